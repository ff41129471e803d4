//! The settings a run works with, merged from the command line, the environment and the
//! configuration file, in that order of precedence, over built-in defaults.

use std::path::{Path, PathBuf};

use ipnet::Ipv6Net;

use crate::plan::target::Kind;

/// When the fallback subnet gets our own NAT66 rule (`--fallback-nat`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FallbackNat {
    /// When docker does not masquerade IPv6 itself (before Docker 27, or ip6tables off).
    Auto,
    Always,
    Never,
}

/// Where the subnet goes when no one says otherwise: the file the seed's DOCKER_OPTS reads.
pub const DEFAULT_PREFIX_FILE: &str = "/etc/docker/ipv6.prefix";
/// The published hook's SUBNET_SIZE: docker up to 27 needs /80 or shorter.
pub const DEFAULT_SUBNET_SIZE: u8 = 80;
/// The init-system name of docker's service.
pub const DEFAULT_SERVICE: &str = "docker";
/// Docker's own configuration file, for `--target daemon-json`.
pub const DEFAULT_DAEMON_JSON: &str = "/etc/docker/daemon.json";
/// Where post-change hooks live.
pub const DEFAULT_POST_CHANGE_DIR: &str = "/etc/docker-ipv6-pd/post-change.d";
/// How long a post-change hook may run, in seconds.
pub const DEFAULT_POST_CHANGE_TIMEOUT: u64 = 30;
/// The configuration file read when `--config` is not given.
pub const DEFAULT_CONFIG: &str = "/etc/docker-ipv6-pd/docker-ipv6-pd.conf";

/// Which init system restarts docker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InitChoice {
    /// systemd when /run/systemd/system is a directory, OpenRC when /run/openrc is, else `service`
    Auto,
    /// `systemctl restart SERVICE.service`
    Systemd,
    /// `rc-service SERVICE restart`
    Openrc,
    /// `service SERVICE restart` (sysvinit, Upstart)
    Service,
}

/// Everything a run needs to know, with no trace of where each value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub prefix_file: PathBuf,
    pub subnet_size: u8,
    pub service: String,
    pub init: InitChoice,
    pub target: Target,
    pub daemon_json: PathBuf,
    pub client: Client,
    pub on_loss: OnLoss,
    /// `None`: derived from the machine id when needed.
    pub fallback_prefix: Option<Ipv6Net>,
    pub fallback_nat: FallbackNat,
    pub post_change_dir: PathBuf,
    pub post_change_timeout: u64,
    /// Where the system's own files (/proc, /run, /etc/default/docker, ...) are looked up:
    /// `/` but in tests and when inspecting a mounted system.
    pub root: PathBuf,
    pub dry_run: bool,
}

/// Settings that may be given or not: one layer (command line with environment, or the
/// configuration file).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Layer {
    pub prefix_file: Option<PathBuf>,
    pub subnet_size: Option<u8>,
    pub service: Option<String>,
    pub init: Option<InitChoice>,
    pub target: Option<Target>,
    pub daemon_json: Option<PathBuf>,
    pub client: Option<Client>,
    pub on_loss: Option<OnLoss>,
    pub fallback_prefix: Option<Ipv6Net>,
    pub fallback_nat: Option<FallbackNat>,
    pub post_change_dir: Option<PathBuf>,
    pub post_change_timeout: Option<u64>,
}

impl Settings {
    /// `first` wins over `second`, which wins over the defaults.
    pub fn merge(first: Layer, second: Layer, root: PathBuf, dry_run: bool) -> Settings {
        Settings {
            prefix_file: first
                .prefix_file
                .or(second.prefix_file)
                .unwrap_or_else(|| PathBuf::from(DEFAULT_PREFIX_FILE)),
            subnet_size: first
                .subnet_size
                .or(second.subnet_size)
                .unwrap_or(DEFAULT_SUBNET_SIZE),
            service: first
                .service
                .or(second.service)
                .unwrap_or_else(|| DEFAULT_SERVICE.to_string()),
            init: first.init.or(second.init).unwrap_or(InitChoice::Auto),
            target: first.target.or(second.target).unwrap_or(Target::PrefixFile),
            daemon_json: first
                .daemon_json
                .or(second.daemon_json)
                .unwrap_or_else(|| PathBuf::from(DEFAULT_DAEMON_JSON)),
            client: first.client.or(second.client).unwrap_or(Client::Auto),
            on_loss: first.on_loss.or(second.on_loss).unwrap_or(OnLoss::Keep),
            fallback_prefix: first.fallback_prefix.or(second.fallback_prefix),
            fallback_nat: first
                .fallback_nat
                .or(second.fallback_nat)
                .unwrap_or(FallbackNat::Auto),
            post_change_dir: first
                .post_change_dir
                .or(second.post_change_dir)
                .unwrap_or_else(|| PathBuf::from(DEFAULT_POST_CHANGE_DIR)),
            post_change_timeout: first
                .post_change_timeout
                .or(second.post_change_timeout)
                .unwrap_or(DEFAULT_POST_CHANGE_TIMEOUT),
            root,
            dry_run,
        }
    }

    /// The file a kind of target lives in.
    pub fn path(&self, kind: Kind) -> &Path {
        match kind {
            Kind::PrefixFile => &self.prefix_file,
            Kind::DaemonJson => &self.daemon_json,
        }
    }
}

/// `path` (absolute) as seen under `root` (`--root`: a mounted system or a test's fixture).
pub fn under(root: &Path, path: &Path) -> PathBuf {
    root.join(path.strip_prefix("/").unwrap_or(path))
}

/// A subnet size: 1 to 128.
pub fn parse_subnet_size(text: &str) -> Result<u8, String> {
    match text.parse::<u8>() {
        Ok(n @ 1..=128) => Ok(n),
        _ => Err(format!("{text:?} is not a subnet size from 1 to 128")),
    }
}

/// A service name that is safe to hand to systemctl, rc-service or service: letters, digits
/// and `@._:-`, not starting with `-` (which they would take for an option).
pub fn parse_service(text: &str) -> Result<String, String> {
    let safe = |c: char| c.is_ascii_alphanumeric() || "@._:-".contains(c);
    if !text.is_empty() && !text.starts_with('-') && text.chars().all(safe) {
        Ok(text.to_string())
    } else {
        Err(format!(
            "{text:?} is not a service name (letters, digits and @._:- only)"
        ))
    }
}

/// A fallback prefix: a unique local prefix (fc00::/7).
pub fn parse_fallback_prefix(text: &str) -> Result<Ipv6Net, String> {
    let net: Ipv6Net = text
        .parse()
        .map_err(|_| format!("{text:?} is not an IPv6 prefix"))?;
    let ula: Ipv6Net = "fc00::/7".parse().expect("valid constant");
    if ula.contains(&net) {
        Ok(net.trunc())
    } else {
        Err(format!("{text:?} is not a unique local prefix (fc00::/7)"))
    }
}

/// A `--fallback-nat` value.
pub fn parse_fallback_nat(text: &str) -> Result<FallbackNat, String> {
    match text {
        "auto" => Ok(FallbackNat::Auto),
        "always" => Ok(FallbackNat::Always),
        "never" => Ok(FallbackNat::Never),
        _ => Err(format!("{text:?} is not one of auto, always, never")),
    }
}

/// A timeout in whole seconds, 1 to 3600.
pub fn parse_timeout(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(n @ 1..=3600) => Ok(n),
        _ => Err(format!(
            "{text:?} is not a number of seconds from 1 to 3600"
        )),
    }
}

/// An init system by the name `--init` takes.
pub fn parse_init(text: &str) -> Result<InitChoice, String> {
    match text {
        "auto" => Ok(InitChoice::Auto),
        "systemd" => Ok(InitChoice::Systemd),
        "openrc" => Ok(InitChoice::Openrc),
        "service" => Ok(InitChoice::Service),
        _ => Err(format!(
            "{text:?} is not one of auto, systemd, openrc, service"
        )),
    }
}

/// Which DHCP client ran us (`--client`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Client {
    /// Recognise the client from the variables present.
    Auto,
    Dhclient,
    Dhcpcd,
}

/// What to do when the prefix that holds the configured subnet goes away (`--on-loss`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnLoss {
    /// Change nothing (the published hook's behaviour), log it.
    Keep,
    /// Take the subnet out of the targets and restart docker.
    Withdraw,
    /// Move to a unique local subnet, reached over NAT66, until a prefix returns.
    Fallback,
}

impl OnLoss {
    pub fn parse(text: &str) -> Result<OnLoss, String> {
        match text {
            "keep" => Ok(OnLoss::Keep),
            "withdraw" => Ok(OnLoss::Withdraw),
            "fallback" => Ok(OnLoss::Fallback),
            _ => Err(format!("{text:?} is not one of keep, withdraw, fallback")),
        }
    }
}

/// Which files get the subnet (`--target`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// The prefix file, read by `--fixed-cidr-v6=$(cat ...)` (the published setup).
    PrefixFile,
    /// `fixed-cidr-v6` and `ipv6` in daemon.json (docker's own place, and the one systemd
    /// installations can use without overriding docker's unit).
    DaemonJson,
    /// Both.
    Both,
}

impl Target {
    /// The name `--target` takes.
    pub fn parse(text: &str) -> Result<Target, String> {
        match text {
            "prefix-file" => Ok(Target::PrefixFile),
            "daemon-json" => Ok(Target::DaemonJson),
            "both" => Ok(Target::Both),
            _ => Err(format!(
                "{text:?} is not one of prefix-file, daemon-json, both"
            )),
        }
    }
}

impl Client {
    pub fn parse(text: &str) -> Result<Client, String> {
        match text {
            "auto" => Ok(Client::Auto),
            "dhclient" => Ok(Client::Dhclient),
            "dhcpcd" => Ok(Client::Dhcpcd),
            _ => Err(format!("{text:?} is not one of auto, dhclient, dhcpcd")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_apply_when_nothing_is_given() {
        let s = Settings::merge(Layer::default(), Layer::default(), "/".into(), false);
        assert_eq!(s.prefix_file, PathBuf::from("/etc/docker/ipv6.prefix"));
        assert_eq!(s.subnet_size, 80);
        assert_eq!(s.service, "docker");
        assert_eq!(s.init, InitChoice::Auto);
        assert_eq!(s.target, Target::PrefixFile);
        assert_eq!(
            s.path(Kind::DaemonJson),
            Path::new("/etc/docker/daemon.json")
        );
    }

    #[test]
    fn the_first_layer_wins_per_setting() {
        let first = Layer {
            subnet_size: Some(64),
            ..Layer::default()
        };
        let second = Layer {
            subnet_size: Some(72),
            service: Some("moby".into()),
            ..Layer::default()
        };
        let s = Settings::merge(first, second, "/".into(), true);
        assert_eq!(s.subnet_size, 64);
        assert_eq!(s.service, "moby");
        assert!(s.dry_run);
    }

    #[test]
    fn validators_refuse_what_would_be_unsafe_or_meaningless() {
        assert_eq!(parse_subnet_size("80"), Ok(80));
        assert!(parse_subnet_size("0").is_err());
        assert!(parse_subnet_size("129").is_err());
        assert!(parse_subnet_size("eighty").is_err());
        assert_eq!(parse_service("docker"), Ok("docker".into()));
        assert!(parse_service("snap.docker.dockerd").is_ok());
        assert!(parse_service("--now").is_err());
        assert!(parse_service("docker; reboot").is_err());
        assert!(parse_service("").is_err());
        assert_eq!(parse_init("systemd"), Ok(InitChoice::Systemd));
        assert_eq!(
            parse_fallback_prefix("fd12:3456:789a::1/48")
                .unwrap()
                .to_string(),
            "fd12:3456:789a::/48"
        );
        assert!(parse_fallback_prefix("2001:db8::/48").is_err());
        assert!(parse_timeout("0").is_err());
        assert_eq!(parse_timeout("5"), Ok(5));
        assert_eq!(parse_fallback_nat("never"), Ok(FallbackNat::Never));
        assert!(parse_init("runit").is_err());
    }
}
