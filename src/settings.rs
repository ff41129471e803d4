//! The settings a run works with, as plain values with no trace of where each came from, and
//! the values each setting takes. The options themselves are declared once, in `crate::cli`,
//! which also merges the command line, the environment and the configuration file into them.

use std::path::{Component, Path, PathBuf};

use clap::ValueEnum;
use ipnet::Ipv6Net;

/// Where the subnet goes when no one says otherwise: the file docker's DOCKER_OPTS reads.
pub const DEFAULT_PREFIX_FILE: &str = "/etc/docker/ipv6.prefix";
/// The published hook's SUBNET_SIZE. Any size works; before Docker 28, /80 or shorter gives MAC-derived addresses.
pub const DEFAULT_SUBNET_SIZE: u8 = 80;
/// The init-system name of docker's service.
pub const DEFAULT_SERVICE: &str = "docker";
/// Docker's own configuration file, for `--target daemon-json`.
pub const DEFAULT_DAEMON_JSON: &str = "/etc/docker/daemon.json";
/// Where post-change scripts live.
pub const DEFAULT_POST_CHANGE_DIR: &str = "/etc/docker-ipv6-pd/post-change.d";
/// How long a post-change script may run, in seconds.
pub const DEFAULT_POST_CHANGE_TIMEOUT: u64 = 30;
/// How long a restart of docker may take, in seconds.
pub const DEFAULT_RESTART_TIMEOUT: u64 = 120;
/// The configuration file read when `--config` is not given.
pub const DEFAULT_CONFIG: &str = "/etc/docker-ipv6-pd/docker-ipv6-pd.conf";

/// When the fallback subnet gets our own NAT66 rule (`--fallback-nat`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FallbackNat {
    /// When docker does not masquerade IPv6 itself (before Docker 27, or ip6tables off)
    Auto,
    /// Always add the rule
    Always,
    /// Never add it
    Never,
}

/// Which init system restarts docker (`--init`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum InitChoice {
    /// systemd when /run/systemd/system is a directory, OpenRC when /run/openrc is, else service
    Auto,
    /// systemctl restart SERVICE.service
    Systemd,
    /// rc-service SERVICE restart
    #[value(name = "openrc")]
    OpenRc,
    /// service SERVICE restart (sysvinit, Upstart)
    Service,
}

/// Which DHCP client ran us (`--client`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Client {
    /// Recognise the client from the variables present
    Auto,
    /// ISC dhclient: new_ip6_prefix, old_ip6_prefix, one prefix per call
    Dhclient,
    /// dhcpcd: every prefix of the lease in each call
    Dhcpcd,
    /// systemd-networkd, which runs no hooks: read by `docker-ipv6-pd watch`
    Networkd,
    /// NetworkManager's dispatcher: DHCP6_IP6_PREFIX on dhcp6-change and up, a loss on down
    #[value(name = "networkmanager")]
    NetworkManager,
}

/// What to do when the prefix that holds the configured subnet goes away (`--on-loss`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OnLoss {
    /// Change nothing (the published hook's behaviour), log it
    Keep,
    /// Take the subnet out of the targets and restart docker
    Withdraw,
    /// Move to a unique local subnet, reached over NAT66, until a prefix returns
    Fallback,
}

/// Which files get the subnet (`--target`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Target {
    /// The prefix file, which DOCKER_OPTS passes to --fixed-cidr-v6 (the published setup)
    PrefixFile,
    /// fixed-cidr-v6 and ipv6 in daemon.json (docker's own place, usable under systemd
    /// without overriding docker's unit)
    DaemonJson,
    /// Both
    Both,
    /// Docker on a stable unique local prefix (--internal-prefix) in daemon.json, mapped 1:1
    /// onto the delegated prefix with nftables: a renumbering restarts nothing
    Nptv6,
}

impl Target {
    /// The target named `text`, as `--target` spells it.
    pub fn parse(text: &str) -> Result<Target, String> {
        parse_choice(text)
    }
}

impl Client {
    /// The client named `text`, as `--client` spells it.
    pub fn parse(text: &str) -> Result<Client, String> {
        parse_choice(text)
    }
}

/// A value of a choice setting by the name its option takes.
fn parse_choice<T: ValueEnum>(text: &str) -> Result<T, String> {
    T::from_str(text, false).map_err(|_| {
        let names: Vec<String> = T::value_variants()
            .iter()
            .filter_map(|v| v.to_possible_value())
            .map(|v| v.get_name().to_string())
            .collect();
        format!("{} is not one of {}", excerpt(text), names.join(", "))
    })
}

/// Everything a run needs to know, with no trace of where each value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub prefix_file: PathBuf,
    pub subnet_size: u8,
    /// The /64 of the delegated prefix docker's subnet is taken from (0: the first).
    pub subnet_id: u64,
    pub service: String,
    pub init: InitChoice,
    pub target: Target,
    pub daemon_json: PathBuf,
    pub client: Client,
    pub on_loss: OnLoss,
    /// `None`: derived from the machine id when needed.
    pub fallback_prefix: Option<Ipv6Net>,
    pub fallback_nat: FallbackNat,
    /// `--target nptv6`'s prefix for docker; `None`: derived from the machine id.
    pub internal_prefix: Option<Ipv6Net>,
    pub post_change_dir: PathBuf,
    /// Seconds each post-change script may run.
    pub post_change_timeout: u64,
    /// Seconds a restart of docker may take before its process group is killed.
    pub restart_timeout: u64,
    /// The system worked on (`--root`): `/` but in tests and when inspecting a mounted
    /// system. The paths above already lie under it when they are defaults (see
    /// [`given_or_default`]); the system's own fixed files (/proc, /run, /var/lib,
    /// /etc/default/docker, lease files) are looked up under it with [`under_root`].
    pub root: PathBuf,
    pub dry_run: bool,
}

impl Settings {
    /// The file a kind of target lives in.
    pub fn path(&self, kind: FileKind) -> &Path {
        match kind {
            FileKind::PrefixFile => &self.prefix_file,
            FileKind::DaemonJson => &self.daemon_json,
        }
    }
}

/// One kind of file the subnet is written to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    PrefixFile,
    DaemonJson,
}

impl FileKind {
    /// The option that names the file.
    pub fn option(self) -> &'static str {
        match self {
            FileKind::PrefixFile => "--prefix-file",
            FileKind::DaemonJson => "--daemon-json",
        }
    }
}

impl Target {
    /// The files this target writes, in the order they are written.
    pub fn files(self) -> &'static [FileKind] {
        match self {
            Target::PrefixFile => &[FileKind::PrefixFile],
            Target::DaemonJson => &[FileKind::DaemonJson],
            Target::Both => &[FileKind::PrefixFile, FileKind::DaemonJson],
            Target::Nptv6 => &[FileKind::DaemonJson],
        }
    }
}

/// `path` (absolute) as seen under `root` (`--root`: a mounted system or a test's fixture).
pub fn under_root(root: &Path, path: &Path) -> PathBuf {
    root.join(path.strip_prefix("/").unwrap_or(path))
}

/// The rule for a path setting under `--root`, the same for the hook and for inspect: a path
/// someone gave (option, variable, or the file `--config` names) is used as given; a default
/// belongs to the system worked on, so it is taken under `root`.
pub fn given_or_default(root: &Path, given: Option<PathBuf>, default: &str) -> PathBuf {
    given.unwrap_or_else(|| under_root(root, Path::new(default)))
}

/// True when `root` is the running system's own `/`.
pub fn is_system_root(root: &Path) -> bool {
    root.components().all(|c| c == Component::RootDir)
}

/// Refuses a hook run that would change a file under `--root` which nobody named: run by
/// the DHCP client, the hook works on the running system, and a `--root` there is most
/// likely a dry run that lost its `--dry-run` (it would also restart this machine's docker).
/// `named` says whether the file of a kind was given by an option, a variable or the file
/// `--config` names. The error is a configuration error's one line.
pub fn refuse_unnamed_files_under_root(
    settings: &Settings,
    named: impl Fn(FileKind) -> bool,
) -> Result<(), String> {
    if settings.dry_run || is_system_root(&settings.root) {
        return Ok(());
    }
    match settings.target.files().iter().find(|&&kind| !named(kind)) {
        None => Ok(()),
        Some(&kind) => Err(format!(
            "--root {} without --dry-run would write {} and restart this machine's docker: \
             add --dry-run, or name the file with {}",
            settings.root.display(),
            settings.path(kind).display(),
            kind.option()
        )),
    }
}

/// `text` quoted for an error message, cut to its first 60 characters: a value may be as
/// long as the file it came from, and an error line should stay a line.
pub fn excerpt(text: &str) -> String {
    const KEEP: usize = 60;
    match text.char_indices().nth(KEEP) {
        None => format!("{text:?}"),
        Some((end, _)) => format!("{:?}... ({} bytes)", &text[..end], text.len()),
    }
}

/// A subnet size: 1 to 128.
pub fn parse_subnet_size(text: &str) -> Result<u8, String> {
    match text.parse::<u8>() {
        Ok(n @ 1..=128) => Ok(n),
        _ => Err(format!(
            "{} is not a subnet size from 1 to 128",
            excerpt(text)
        )),
    }
}

/// A subnet id: the number of a /64 in the delegated prefix, 0 to 2^64 - 1.
pub fn parse_subnet_id(text: &str) -> Result<u64, String> {
    text.parse::<u64>().map_err(|_| {
        format!(
            "{} is not a subnet id from 0 to {}",
            excerpt(text),
            u64::MAX
        )
    })
}

/// Refuses a subnet id the other settings leave no room for: one line naming the setting
/// and its value, for a configuration error.
pub fn refuse_subnet_id_misfits(settings: &Settings) -> Result<(), String> {
    let id = settings.subnet_id;
    if id == 0 {
        return Ok(());
    }
    if settings.target == Target::Nptv6 {
        return Err(format!(
            "subnet-id {id} does not apply to target = nptv6, which maps the whole delegated \
             prefix: leave subnet-id at 0"
        ));
    }
    if settings.subnet_size < 64 {
        return Err(format!(
            "subnet-id {id} takes a subnet inside one /64, so it needs a subnet-size of 64 or \
             more, not {}",
            settings.subnet_size
        ));
    }
    Ok(())
}

/// A service name that is safe to hand to systemctl, rc-service or service: letters, digits
/// and `@._:-`, not starting with `-` (which they would take for an option).
pub fn parse_service(text: &str) -> Result<String, String> {
    let safe = |c: char| c.is_ascii_alphanumeric() || "@._:-".contains(c);
    if !text.is_empty() && !text.starts_with('-') && text.chars().all(safe) {
        Ok(text.to_string())
    } else {
        Err(format!(
            "{} is not a service name (letters, digits and @._:- only)",
            excerpt(text)
        ))
    }
}

/// A fallback or internal prefix: a unique local prefix (fc00::/7).
pub fn parse_fallback_prefix(text: &str) -> Result<Ipv6Net, String> {
    let net: Ipv6Net = text
        .parse()
        .map_err(|_| format!("{} is not an IPv6 prefix", excerpt(text)))?;
    let ula: Ipv6Net = "fc00::/7".parse().expect("valid constant");
    if ula.contains(&net) {
        Ok(net.trunc())
    } else {
        Err(format!(
            "{} is not a unique local prefix (fc00::/7)",
            excerpt(text)
        ))
    }
}

/// A timeout in whole seconds, 1 to 3600.
pub fn parse_timeout(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(n @ 1..=3600) => Ok(n),
        _ => Err(format!(
            "{} is not a number of seconds from 1 to 3600",
            excerpt(text)
        )),
    }
}

/// A yes-or-no value as admins write it: 1/0, yes/no, true/false, on/off, in any case.
/// Empty counts as no, as an empty variable counts as unset.
pub fn parse_switch(text: &str) -> Result<bool, String> {
    match text.to_ascii_lowercase().as_str() {
        "1" | "yes" | "true" | "on" => Ok(true),
        "" | "0" | "no" | "false" | "off" => Ok(false),
        _ => Err(format!(
            "{} is not one of 1, 0, yes, no, true, false, on, off",
            excerpt(text)
        )),
    }
}

#[cfg(test)]
#[path = "settings_tests.rs"]
mod tests;
