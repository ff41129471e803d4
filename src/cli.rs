//! The command line: what `--help` shows, and nothing else.
//!
//! Built with clap's builder rather than its derive macros: a proc-macro in the build keeps
//! the binary from being linked statically (see .cargo/config.toml), and a static binary
//! execs about as fast as /bin/true, which a hook run on every DHCPv6 event should.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Arg, ArgAction, ArgMatches, value_parser};
use clap_complete::Shell;

use ipnet::Ipv6Net;

use crate::settings::Client;
use crate::settings::OnLoss;
use crate::settings::Target;
use crate::settings::{
    FallbackNat, InitChoice, Layer, parse_fallback_nat, parse_fallback_prefix, parse_init,
    parse_service, parse_subnet_size, parse_timeout,
};

const ABOUT: &str = "Give docker the IPv6 subnet of a DHCPv6 delegated prefix";

const LONG_ABOUT: &str = "\
Give docker the IPv6 subnet of a DHCPv6 delegated prefix.

Run with no subcommand, docker-ipv6-pd is the dhclient enter hook: dhclient-script sources \
/etc/dhcp/dhclient-enter-hooks.d/docker-ipv6, which runs it with the lease in the environment \
(reason, new_ip6_prefix, old_ip6_prefix, new_max_life, new_preferred_life). It writes the first \
/N of new_ip6_prefix (fully expanded, as sipcalc prints it) to the prefix file, or as \
fixed-cidr-v6 to docker's daemon.json (--target), atomically, and restarts docker when the prefix is not the previous lease's. Withdrawn prefixes (lifetime 0) \
are ignored, and a renewal never moves the file away from a valid subnet of another prefix.

Settings come from the command line, then DOCKER_IPV6_PD_* environment variables, then the \
configuration file (/etc/docker-ipv6-pd/docker-ipv6-pd.conf: `key = value` lines with the long \
option names as keys). dhclient gives its script an environment of its own, so for the hook \
the configuration file is the place.

Exit status: 0 done (or nothing to do), 1 the file could not be read or written, 2 bad usage \
or configuration, 3 a lease variable was refused, 4 the file was written but docker did not \
restart, 5 doctor found a problem.";

/// The parsed command line, with no clap types in it.
#[derive(Debug)]
pub struct Cli {
    pub command: Option<Command>,
    pub options: Options,
}

/// The subcommands; none means "run as the hook".
#[derive(Debug)]
pub enum Command {
    /// Print the line the hook would write for `prefix`.
    Subnet { prefix: OsString },
    /// Print the man page (roff).
    Man,
    /// Print the completion script for a shell.
    Completions { shell: Shell },
    /// Check the machine's setup.
    Doctor,
    /// Show what is delegated and configured.
    Status { json: bool },
}

/// The options every subcommand takes.
#[derive(Debug, Default)]
pub struct Options {
    /// The settings given on the command line or in the environment.
    pub layer: Layer,
    pub config: Option<PathBuf>,
    pub root: Option<PathBuf>,
    pub dry_run: bool,
}

/// The whole command-line definition: parsing, `--help`, and later the man page.
pub fn command() -> clap::Command {
    clap::Command::new("docker-ipv6-pd")
        .version(concat!(
            env!("CARGO_PKG_VERSION"),
            " (commit ",
            env!("DOCKER_IPV6_PD_COMMIT"),
            ")"
        ))
        .about(ABOUT)
        .long_about(LONG_ABOUT)
        .args(settings_args())
        .arg(
            Arg::new("dry-run")
                .long("dry-run")
                .env("DOCKER_IPV6_PD_DRY_RUN")
                .action(ArgAction::SetTrue)
                .help("Print what the hook would do, and change nothing"),
        )
        .subcommand(
            clap::Command::new("doctor")
                .about(
                    "Check the whole setup (hook, DHCPv6 client, sysctls, docker's wiring, \
                     subnets, docker version); exit 5 when a problem is found",
                )
                .defer(|cmd| cmd.args(settings_args())),
        )
        .subcommand(
            clap::Command::new("status")
                .about("Show the delegated prefix, the configured subnet and docker's IPv6 flags")
                .defer(|cmd| cmd.args(settings_args()))
                .arg(
                    Arg::new("json")
                        .long("json")
                        .action(ArgAction::SetTrue)
                        .help("Print JSON, for scripts"),
                ),
        )
        .subcommand(
            clap::Command::new("man").about("Print the man page docker-ipv6-pd(8), in roff"),
        )
        .subcommand(
            clap::Command::new("completions")
                .about("Print the completion script for bash, zsh or fish")
                .arg(
                    Arg::new("shell")
                        .value_name("SHELL")
                        .required(true)
                        .value_parser(["bash", "zsh", "fish"])
                        .help("The shell: bash, zsh or fish"),
                ),
        )
        .subcommand(
            clap::Command::new("subnet")
                .about("Print the line the hook would write for PREFIX, and nothing else")
                .defer(|cmd| cmd.args(settings_args()))
                .arg(
                    Arg::new("prefix")
                        .value_name("PREFIX")
                        .required(true)
                        .value_parser(value_parser!(OsString))
                        .help("A delegated prefix, such as 2001:db8:100::/60"),
                ),
        )
}

/// The settings, taken by the hook and by the subcommands that use them. They are given to
/// each of those commands rather than declared global, and deferred there, so that a hook run
/// builds them once: clap copying global options into every subcommand on each run made up a
/// good part of a hook run's cost.
fn settings_args() -> Vec<Arg> {
    vec![
        setting("prefix-file", "DOCKER_IPV6_PD_PREFIX_FILE", "PATH")
            .value_parser(value_parser!(PathBuf))
            .help("The file docker reads its subnet from [default: /etc/docker/ipv6.prefix]"),
        setting("subnet-size", "DOCKER_IPV6_PD_SUBNET_SIZE", "N")
            .value_parser(parse_subnet_size)
            .help("Length of the subnet taken from the delegated prefix [default: 80]"),
        setting("target", "DOCKER_IPV6_PD_TARGET", "TARGET")
            .value_parser(Target::parse)
            .help("Where the subnet goes: prefix-file, daemon-json or both [default: prefix-file]"),
        setting("daemon-json", "DOCKER_IPV6_PD_DAEMON_JSON", "PATH")
            .value_parser(value_parser!(PathBuf))
            .help("Docker's daemon.json, for --target daemon-json [default: /etc/docker/daemon.json]"),
        setting("service", "DOCKER_IPV6_PD_SERVICE", "NAME")
            .value_parser(parse_service)
            .help("The init-system service to restart [default: docker]"),
        setting("init", "DOCKER_IPV6_PD_INIT", "INIT")
            .value_parser(parse_init)
            .help("How to restart the service: auto, systemd, openrc or service [default: auto]"),
        setting("client", "DOCKER_IPV6_PD_CLIENT", "CLIENT")
            .value_parser(Client::parse)
            .help("The DHCP client whose variables to read: auto, dhclient or dhcpcd [default: auto]"),
        setting("on-loss", "DOCKER_IPV6_PD_ON_LOSS", "POLICY")
            .value_parser(OnLoss::parse)
            .help("When the prefix holding the subnet expires or is released: keep, withdraw or fallback [default: keep]"),
        setting("fallback-prefix", "DOCKER_IPV6_PD_FALLBACK_PREFIX", "PREFIX")
            .value_parser(parse_fallback_prefix)
            .help("The unique local prefix of --on-loss fallback [default: a /48 in fd00::/8 hashed from /etc/machine-id]"),
        setting("fallback-nat", "DOCKER_IPV6_PD_FALLBACK_NAT", "WHEN")
            .value_parser(parse_fallback_nat)
            .help("Masquerade the fallback subnet with ip6tables: auto (when docker does not), always or never [default: auto]"),
        setting("post-change-dir", "DOCKER_IPV6_PD_POST_CHANGE_DIR", "DIR")
            .value_parser(value_parser!(PathBuf))
            .help("Executables run after the subnet changes [default: /etc/docker-ipv6-pd/post-change.d]"),
        setting("post-change-timeout", "DOCKER_IPV6_PD_POST_CHANGE_TIMEOUT", "SECONDS")
            .value_parser(parse_timeout)
            .help("How long each post-change hook may run before it is killed [default: 30]"),
        setting("root", "DOCKER_IPV6_PD_ROOT", "DIR")
            .value_parser(value_parser!(PathBuf))
            .help("Look for the system's files (/etc, /proc, /run, /var/lib/dhcp) under DIR [default: /]"),
        setting("config", "DOCKER_IPV6_PD_CONFIG", "PATH")
            .value_parser(value_parser!(PathBuf))
            .help("The configuration file [default: /etc/docker-ipv6-pd/docker-ipv6-pd.conf]"),
    ]
}

/// A setting's option, with its environment variable.
fn setting(id: &'static str, env: &'static str, value_name: &'static str) -> Arg {
    Arg::new(id).long(id).value_name(value_name).env(env)
}

impl Cli {
    /// Parses `args` (the first is the program name).
    pub fn try_parse_from<I, T>(args: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let matches = command().try_get_matches_from(args)?;
        Ok(Cli::from_matches(&matches))
    }

    /// Parses the process's arguments, exiting with clap's message on a usage error.
    pub fn parse() -> Cli {
        Cli::from_matches(&command().get_matches())
    }

    fn from_matches(matches: &ArgMatches) -> Cli {
        let (command, options) = match matches.subcommand() {
            Some(("subnet", sub)) => (
                Some(Command::Subnet {
                    prefix: sub
                        .get_one::<OsString>("prefix")
                        .cloned()
                        .unwrap_or_default(),
                }),
                sub,
            ),
            Some(("man", sub)) => (Some(Command::Man), sub),
            Some(("doctor", sub)) => (Some(Command::Doctor), sub),
            Some(("status", sub)) => (
                Some(Command::Status {
                    json: sub.get_flag("json"),
                }),
                sub,
            ),
            Some(("completions", sub)) => {
                let shell = match sub.get_one::<String>("shell").map(String::as_str) {
                    Some("zsh") => Shell::Zsh,
                    Some("fish") => Shell::Fish,
                    _ => Shell::Bash,
                };
                (Some(Command::Completions { shell }), sub)
            }
            _ => (None, matches),
        };
        // A setting may come before the subcommand (the top level's) or after it (its own).
        let sources = [options, matches];
        let one = |id: &str| {
            sources
                .iter()
                .find_map(|m| m.try_get_raw(id).ok().flatten().map(|_| *m))
        };
        macro_rules! get {
            ($id:literal, $ty:ty) => {
                one($id).and_then(|m| m.get_one::<$ty>($id).cloned())
            };
        }
        Cli {
            command,
            options: Options {
                layer: Layer {
                    prefix_file: get!("prefix-file", PathBuf),
                    subnet_size: get!("subnet-size", u8),
                    service: get!("service", String),
                    init: get!("init", InitChoice),
                    target: get!("target", Target),
                    daemon_json: get!("daemon-json", PathBuf),
                    client: get!("client", Client),
                    on_loss: get!("on-loss", OnLoss),
                    fallback_prefix: get!("fallback-prefix", Ipv6Net),
                    fallback_nat: get!("fallback-nat", FallbackNat),
                    post_change_dir: get!("post-change-dir", PathBuf),
                    post_change_timeout: get!("post-change-timeout", u64),
                },
                config: get!("config", PathBuf),
                root: get!("root", PathBuf),
                dry_run: matches.get_flag("dry-run"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_definition_is_consistent() {
        command().debug_assert();
    }

    #[test]
    fn subnet_takes_global_options_after_the_prefix() {
        let cli = Cli::try_parse_from([
            "docker-ipv6-pd",
            "subnet",
            "2001:db8::/56",
            "--subnet-size",
            "64",
        ])
        .unwrap();
        assert_eq!(cli.options.layer.subnet_size, Some(64));
        assert!(matches!(cli.command, Some(Command::Subnet { .. })));
    }

    #[test]
    fn bad_option_values_are_usage_errors() {
        for args in [
            &["docker-ipv6-pd", "--subnet-size", "0"][..],
            &["docker-ipv6-pd", "--service", "-x"],
            &["docker-ipv6-pd", "--init", "runit"],
        ] {
            assert!(Cli::try_parse_from(args).is_err(), "{args:?}");
        }
    }
}
