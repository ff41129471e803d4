//! The command line, declared once with clap's derive macros: every setting is an option, an
//! environment variable and a configuration-file key (its long name), so `--help`, the man
//! page, the completions and the configuration file's parser all read the same definition.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{ArgAction, ArgMatches, Args, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::settings::{parse_switch, parse_timeout};

mod setting_args;
pub use setting_args::{SettingArgs, merge, setting_args};

const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("DOCKER_IPV6_PD_COMMIT"),
    ")"
);

const LONG_ABOUT: &str = "\
Give docker the IPv6 subnet of a DHCPv6 delegated prefix.

Run with no subcommand, docker-ipv6-pd is the DHCP client's hook: dhclient-script sources \
/etc/dhcp/dhclient-enter-hooks.d/docker-ipv6 (dhcpcd-run-hooks its 62-docker-ipv6-pd), which \
runs it with the lease in the environment (reason, new_ip6_prefix, old_ip6_prefix, \
new_max_life, new_preferred_life). It writes the first /N of new_ip6_prefix (of its /64 \
number --subnet-id when that is not 0; fully expanded, as sipcalc prints it) to the prefix file, or as fixed-cidr-v6 to docker's daemon.json \
(--target), atomically, and restarts docker when the prefix is not the previous lease's. \
Withdrawn prefixes (lifetime 0) are ignored, and a renewal never moves the file away from a \
valid subnet of another prefix.

Settings come from the command line, then DOCKER_IPV6_PD_* environment variables, then the \
configuration file (/etc/docker-ipv6-pd/docker-ipv6-pd.conf: `key = value` lines with the long \
option names as keys), then the defaults. dhclient gives its script an environment of its own, \
so for the hook the configuration file is the place.

Exit status: 0 done (or nothing to do), 1 the file could not be read or written, 2 bad usage \
or configuration, 3 a lease variable was refused, 4 the file was written but docker did not \
restart, 5 doctor found a problem.";

/// The parsed command line, environment included.
#[derive(Debug, Parser)]
#[command(
    name = "docker-ipv6-pd",
    version = VERSION,
    about = "Give docker the IPv6 subnet of a DHCPv6 delegated prefix",
    long_about = LONG_ABOUT
)]
pub struct Cli {
    /// The settings given on the command line or in the environment.
    #[command(flatten)]
    pub settings: SettingArgs,

    /// The configuration file [default: /etc/docker-ipv6-pd/docker-ipv6-pd.conf]
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        env = "DOCKER_IPV6_PD_CONFIG"
    )]
    pub config: Option<PathBuf>,

    /// Work on the system under DIR (a mounted system, a test's fixture) [default: /]
    ///
    /// Every default path is taken under DIR: the prefix file, daemon.json, the configuration
    /// file, the post-change directory, the state in /var/lib/docker-ipv6-pd and /run, and
    /// every system file read (/proc, /etc/machine-id, /etc/default/docker, lease files, the
    /// init system's and the DHCP clients' files); so are the absolute paths in DIR's own
    /// configuration file. A path you give yourself (an option, a DOCKER_IPV6_PD_* variable,
    /// a key in the file --config names) is used as written. Without --dry-run the hook
    /// refuses --root unless the files it writes are given so. doctor and status name files
    /// as the system under DIR names them (/etc/docker/daemon.json); the hook names the file
    /// it opens (DIR/etc/docker/ipv6.prefix). Programs (systemctl, dockerd, nft, ip6tables)
    /// are this machine's, found through PATH.
    #[arg(long, global = true, value_name = "DIR", env = "DOCKER_IPV6_PD_ROOT")]
    pub root: Option<PathBuf>,

    /// Print what the hook would do, and change nothing (the variable takes 1/0, yes/no,
    /// true/false, on/off)
    #[arg(
        long,
        env = "DOCKER_IPV6_PD_DRY_RUN",
        action = ArgAction::SetTrue,
        value_parser = parse_switch
    )]
    pub dry_run: bool,

    /// None: run as the hook.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands; none means "run as the hook". Those that use the settings take them
/// after their name too (`subnet PREFIX --subnet-size 64`); their arguments are built only
/// when that subcommand is used (`defer`), which keeps a hook run cheap.
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum Command {
    /// Check the whole setup (hook, DHCPv6 client, sysctls, docker's wiring, subnets, docker
    /// version); exit 5 when a problem is found
    Doctor {
        #[command(flatten)]
        settings: CommandLineSettings,
    },
    /// Show the delegated prefix, the configured subnet and docker's IPv6 flags
    Status {
        /// Print JSON, for scripts
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        settings: CommandLineSettings,
    },
    /// Print the man page docker-ipv6-pd(8), in roff
    Man,
    /// Print the completion script for bash, zsh or fish
    Completions {
        /// The shell
        #[arg(value_enum)]
        shell: CompletionShell,
    },
    /// Follow systemd-networkd's delegated prefix (networkd runs no hooks): read `networkctl
    /// --json=short` at every IPv6 route or address change and every --interval, and act on
    /// what changed as the hook would
    Watch {
        /// The link whose delegated prefix counts [default: the one link that has one]
        #[arg(long, value_name = "IFACE")]
        uplink: Option<String>,
        /// Read and apply once, then exit
        #[arg(long)]
        once: bool,
        /// Re-read at least every SECONDS, changes or not
        #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = parse_timeout)]
        interval: u64,
        #[command(flatten)]
        settings: CommandLineSettings,
    },
    /// Print the line the hook would write for PREFIX, and nothing else
    Subnet {
        /// A delegated prefix, such as 2001:db8:100::/60
        #[arg(value_name = "PREFIX")]
        prefix: OsString,
        #[command(flatten)]
        settings: CommandLineSettings,
    },
}

impl Command {
    /// True when the subcommand takes the settings after its name.
    fn takes_settings(&self) -> bool {
        matches!(
            self,
            Command::Doctor { .. }
                | Command::Status { .. }
                | Command::Subnet { .. }
                | Command::Watch { .. }
        )
    }
}

/// A subcommand's copy of the settings, which reads the command line only: the environment
/// is read at the top level, so that a setting given before the subcommand is not overridden
/// by the same variable read again after it.
#[derive(Clone, Debug, Default)]
pub struct CommandLineSettings(pub SettingArgs);

impl FromArgMatches for CommandLineSettings {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        SettingArgs::from_arg_matches(matches).map(CommandLineSettings)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches(matches)
    }
}

impl Args for CommandLineSettings {
    fn augment_args(command: clap::Command) -> clap::Command {
        // clap's derive makes SettingArgs' doc comment the description of the command it is
        // added to; the subcommand keeps its own.
        let about = command.get_about().cloned();
        let long_about = command.get_long_about().cloned();
        let command = SettingArgs::augment_args(command).mut_args(|arg| arg.env(None));
        let command = match about {
            Some(text) => command.about(text),
            None => command.about(None::<&'static str>),
        };
        match long_about {
            Some(text) => command.long_about(text),
            None => command.long_about(None::<&'static str>),
        }
    }

    fn augment_args_for_update(command: clap::Command) -> clap::Command {
        CommandLineSettings::augment_args(command)
    }
}

/// The shells completion scripts are written for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
}

impl Cli {
    /// Parses `args` (the first is the program name), the environment included. A setting
    /// after the subcommand wins over one before it; either wins over the environment.
    pub fn try_parse_from<I, T>(args: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let mut definition = command();
        let matches = definition.try_get_matches_from_mut(args)?;
        let mut cli = Cli::from_arg_matches(&matches)?;
        if let Some((_, sub)) = matches.subcommand()
            && cli.command.as_ref().is_some_and(Command::takes_settings)
        {
            cli.settings.update_from_arg_matches(sub)?;
        }
        // The process ends soon after; freeing every argument clap built would cost more than
        // a tenth of a hook run, for nothing.
        std::mem::forget(definition);
        Ok(cli)
    }
}

/// The environment variable a refused value came from, when it did not come from the
/// command line: clap's message names only the option.
pub fn variable_behind(err: &clap::Error, args: &[OsString]) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if !matches!(
        err.kind(),
        ErrorKind::InvalidValue | ErrorKind::ValueValidation
    ) {
        return None;
    }
    let Some(ContextValue::String(option)) = err.get(ContextKind::InvalidArg) else {
        return None;
    };
    let long = option.split_whitespace().next()?.strip_prefix("--")?;
    let given = |arg: &OsString| {
        let arg = arg.to_string_lossy();
        arg.strip_prefix("--")
            .is_some_and(|rest| rest == long || rest.starts_with(&format!("{long}=")))
    };
    if args.iter().any(given) {
        return None;
    }
    let definition = command();
    let arg = definition
        .get_arguments()
        .find(|arg| arg.get_long() == Some(long))?;
    Some(arg.get_env()?.to_string_lossy().into_owned())
}

/// The whole command-line definition: for the man page, the completions and the tests.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

#[cfg(test)]
#[path = "cli_tests.rs"]
mod tests;
