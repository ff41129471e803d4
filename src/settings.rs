//! The settings a run works with, merged from the command line, the environment and the
//! configuration file, in that order of precedence, over built-in defaults.

use std::path::{Path, PathBuf};

use crate::target::{Kind, Target};

/// Where the subnet goes when no one says otherwise: the file the seed's DOCKER_OPTS reads.
pub const DEFAULT_PREFIX_FILE: &str = "/etc/docker/ipv6.prefix";
/// The published hook's SUBNET_SIZE: docker up to 27 needs /80 or shorter.
pub const DEFAULT_SUBNET_SIZE: u8 = 80;
/// The init-system name of docker's service.
pub const DEFAULT_SERVICE: &str = "docker";
/// Docker's own configuration file, for `--target daemon-json`.
pub const DEFAULT_DAEMON_JSON: &str = "/etc/docker/daemon.json";
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
        assert!(parse_init("runit").is_err());
    }
}
