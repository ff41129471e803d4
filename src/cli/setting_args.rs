//! The settings a run can be given (each an option, an environment variable and a
//! configuration-file key), and how the layers that give them are merged over the defaults.

use std::path::PathBuf;

use clap::Args;
use ipnet::Ipv6Net;

use crate::settings::{
    Client, DEFAULT_DAEMON_JSON, DEFAULT_POST_CHANGE_DIR, DEFAULT_POST_CHANGE_TIMEOUT,
    DEFAULT_PREFIX_FILE, DEFAULT_RESTART_TIMEOUT, DEFAULT_SERVICE, DEFAULT_SUBNET_SIZE,
    FallbackNat, FileKind, InitChoice, OnLoss, Settings, Target, given_or_default,
    parse_fallback_prefix, parse_service, parse_subnet_id, parse_subnet_size, parse_timeout,
};

/// The settings a configuration file may hold too: each field is an option (its long name
/// is the configuration key) and an environment variable. All are optional here, so that
/// the layers (command line and environment, configuration file) can be merged over the
/// defaults in `crate::settings`; the `[default: ...]` each help names is checked against
/// those by the tests.
#[derive(Args, Clone, Debug, Default, PartialEq, Eq)]
pub struct SettingArgs {
    /// The file docker reads its subnet from [default: /etc/docker/ipv6.prefix]
    #[arg(long, value_name = "PATH", env = "DOCKER_IPV6_PD_PREFIX_FILE")]
    pub prefix_file: Option<PathBuf>,

    /// Length of the subnet taken from the delegated prefix, 1 to 128 [default: 80]
    #[arg(long, value_name = "N", env = "DOCKER_IPV6_PD_SUBNET_SIZE",
          value_parser = parse_subnet_size)]
    pub subnet_size: Option<u8>,

    /// Take the subnet (the first /SIZE) from /64 number N of the delegated prefix, counting
    /// /64s from 0 as systemd-networkd's SubnetId= and NetworkManager's
    /// prefix-delegation.subnet-id do; 1 or more keeps docker out of a LAN on /64 number 0.
    /// Needs a --subnet-size of 64 or more; not with --target nptv6 [default: 0]
    #[arg(long, value_name = "N", env = "DOCKER_IPV6_PD_SUBNET_ID",
          value_parser = parse_subnet_id)]
    pub subnet_id: Option<u64>,

    /// Where the subnet goes [default: prefix-file]
    #[arg(long, value_enum, value_name = "TARGET", env = "DOCKER_IPV6_PD_TARGET")]
    pub target: Option<Target>,

    /// Docker's daemon.json, for --target daemon-json [default: /etc/docker/daemon.json]
    #[arg(long, value_name = "PATH", env = "DOCKER_IPV6_PD_DAEMON_JSON")]
    pub daemon_json: Option<PathBuf>,

    /// The init-system service to restart [default: docker]
    #[arg(long, value_name = "NAME", env = "DOCKER_IPV6_PD_SERVICE",
          value_parser = parse_service)]
    pub service: Option<String>,

    /// How to restart the service [default: auto]
    #[arg(long, value_enum, value_name = "INIT", env = "DOCKER_IPV6_PD_INIT")]
    pub init: Option<InitChoice>,

    /// How long a restart of docker may take before its whole process group is killed; the
    /// next event retries it [default: 120]
    #[arg(long, value_name = "SECONDS", env = "DOCKER_IPV6_PD_RESTART_TIMEOUT",
          value_parser = parse_timeout)]
    pub restart_timeout: Option<u64>,

    /// The DHCP client whose variables to read [default: auto]
    #[arg(long, value_enum, value_name = "CLIENT", env = "DOCKER_IPV6_PD_CLIENT")]
    pub client: Option<Client>,

    /// When the prefix holding the subnet expires or is released; with --target nptv6,
    /// withdraw and fallback both remove the mapping and keep docker as it is [default: keep]
    #[arg(
        long,
        value_enum,
        value_name = "POLICY",
        env = "DOCKER_IPV6_PD_ON_LOSS"
    )]
    pub on_loss: Option<OnLoss>,

    /// The unique local prefix of --on-loss fallback [default: a /48 in fd00::/8 hashed from
    /// /etc/machine-id]
    #[arg(long, value_name = "PREFIX", env = "DOCKER_IPV6_PD_FALLBACK_PREFIX",
          value_parser = parse_fallback_prefix)]
    pub fallback_prefix: Option<Ipv6Net>,

    /// Masquerade the fallback subnet with ip6tables [default: auto]
    #[arg(
        long,
        value_enum,
        value_name = "WHEN",
        env = "DOCKER_IPV6_PD_FALLBACK_NAT"
    )]
    pub fallback_nat: Option<FallbackNat>,

    /// The unique local prefix docker keeps for good with --target nptv6, mapped onto the
    /// delegated prefix [default: the /48 in fd00::/8 hashed from /etc/machine-id, as for
    /// --fallback-prefix]
    #[arg(long, value_name = "PREFIX", env = "DOCKER_IPV6_PD_INTERNAL_PREFIX",
          value_parser = parse_fallback_prefix)]
    pub internal_prefix: Option<Ipv6Net>,

    /// Executables run after the subnet changes [default: /etc/docker-ipv6-pd/post-change.d]
    #[arg(long, value_name = "DIR", env = "DOCKER_IPV6_PD_POST_CHANGE_DIR")]
    pub post_change_dir: Option<PathBuf>,

    /// How long each post-change script may run before it is killed [default: 30]
    #[arg(long, value_name = "SECONDS",
          env = "DOCKER_IPV6_PD_POST_CHANGE_TIMEOUT", value_parser = parse_timeout)]
    pub post_change_timeout: Option<u64>,
}

/// The settings' options alone, each with its environment variable: what the configuration
/// file takes, and what the man page lists as its keys.
pub fn setting_args() -> Vec<clap::Arg> {
    SettingArgs::augment_args(clap::Command::new("settings"))
        .get_arguments()
        .cloned()
        .collect()
}

impl SettingArgs {
    /// True when this layer names the file of `kind`.
    pub fn names(&self, kind: FileKind) -> bool {
        match kind {
            FileKind::PrefixFile => self.prefix_file.is_some(),
            FileKind::DaemonJson => self.daemon_json.is_some(),
        }
    }
}

/// The settings of a run: `first` (the command line with the environment) wins over `second`
/// (the configuration file), which wins over the built-in defaults; default paths are taken
/// under `root`.
pub fn merge(first: SettingArgs, second: SettingArgs, root: PathBuf, dry_run: bool) -> Settings {
    let path = |value: Option<PathBuf>, default: &str| given_or_default(&root, value, default);
    Settings {
        prefix_file: path(
            first.prefix_file.or(second.prefix_file),
            DEFAULT_PREFIX_FILE,
        ),
        subnet_size: (first.subnet_size.or(second.subnet_size)).unwrap_or(DEFAULT_SUBNET_SIZE),
        subnet_id: (first.subnet_id.or(second.subnet_id)).unwrap_or(0),
        service: (first.service.or(second.service)).unwrap_or_else(|| DEFAULT_SERVICE.to_string()),
        init: first.init.or(second.init).unwrap_or(InitChoice::Auto),
        target: first.target.or(second.target).unwrap_or(Target::PrefixFile),
        daemon_json: path(
            first.daemon_json.or(second.daemon_json),
            DEFAULT_DAEMON_JSON,
        ),
        client: first.client.or(second.client).unwrap_or(Client::Auto),
        on_loss: first.on_loss.or(second.on_loss).unwrap_or(OnLoss::Keep),
        fallback_prefix: first.fallback_prefix.or(second.fallback_prefix),
        fallback_nat: (first.fallback_nat.or(second.fallback_nat)).unwrap_or(FallbackNat::Auto),
        internal_prefix: first.internal_prefix.or(second.internal_prefix),
        post_change_dir: path(
            first.post_change_dir.or(second.post_change_dir),
            DEFAULT_POST_CHANGE_DIR,
        ),
        post_change_timeout: (first.post_change_timeout.or(second.post_change_timeout))
            .unwrap_or(DEFAULT_POST_CHANGE_TIMEOUT),
        restart_timeout: (first.restart_timeout.or(second.restart_timeout))
            .unwrap_or(DEFAULT_RESTART_TIMEOUT),
        root,
        dry_run,
    }
}
