//! The command line: what `--help` shows, and nothing else.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::settings::{InitChoice, Layer, parse_init, parse_service, parse_subnet_size};

const ABOUT: &str = "Give docker the IPv6 subnet of a DHCPv6 delegated prefix";

const LONG_ABOUT: &str = "\
Give docker the IPv6 subnet of a DHCPv6 delegated prefix.

Run with no subcommand, docker-ipv6-pd is the dhclient enter hook: dhclient-script sources \
/etc/dhcp/dhclient-enter-hooks.d/docker-ipv6, which runs it with the lease in the environment \
(reason, new_ip6_prefix, old_ip6_prefix, new_max_life, new_preferred_life). It writes the first \
/N of new_ip6_prefix (fully expanded, as sipcalc prints it) to the prefix file, atomically, and \
restarts docker when the prefix is not the previous lease's. Withdrawn prefixes (lifetime 0) \
are ignored, and a renewal never moves the file away from a valid subnet of another prefix.

Settings come from the command line, then DOCKER_IPV6_PD_* environment variables, then the \
configuration file (/etc/docker-ipv6-pd/docker-ipv6-pd.conf: `key = value` lines with the long \
option names as keys). dhclient gives its script an environment of its own, so for the hook \
the configuration file is the place.

Exit status: 0 done (or nothing to do), 1 the file could not be read or written, 2 bad usage \
or configuration, 3 a lease variable was refused, 4 the file was written but docker did not \
restart.";

#[derive(Debug, Parser)]
#[command(name = "docker-ipv6-pd", version, about = ABOUT, long_about = LONG_ABOUT)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub options: Options,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the line the hook would write for PREFIX, and nothing else
    Subnet {
        /// A delegated prefix, such as 2001:db8:100::/60
        prefix: OsString,
    },
}

#[derive(Debug, Args)]
pub struct Options {
    /// The file docker reads its subnet from [default: /etc/docker/ipv6.prefix]
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        env = "DOCKER_IPV6_PD_PREFIX_FILE"
    )]
    pub prefix_file: Option<PathBuf>,

    /// Length of the subnet taken from the delegated prefix [default: 80]
    #[arg(long, global = true, value_name = "N", env = "DOCKER_IPV6_PD_SUBNET_SIZE",
          value_parser = parse_subnet_size)]
    pub subnet_size: Option<u8>,

    /// The init-system service to restart [default: docker]
    #[arg(long, global = true, value_name = "NAME", env = "DOCKER_IPV6_PD_SERVICE",
          value_parser = parse_service)]
    pub service: Option<String>,

    /// How to restart the service [default: auto]
    #[arg(long, global = true, value_name = "INIT", env = "DOCKER_IPV6_PD_INIT",
          value_parser = parse_init)]
    pub init: Option<InitChoice>,

    /// The configuration file [default: /etc/docker-ipv6-pd/docker-ipv6-pd.conf]
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        env = "DOCKER_IPV6_PD_CONFIG"
    )]
    pub config: Option<PathBuf>,

    /// Print what the hook would do, and change nothing
    #[arg(long, global = true, env = "DOCKER_IPV6_PD_DRY_RUN")]
    pub dry_run: bool,
}

impl Options {
    /// The settings given on the command line or in the environment.
    pub fn layer(&self) -> Layer {
        Layer {
            prefix_file: self.prefix_file.clone(),
            subnet_size: self.subnet_size,
            service: self.service.clone(),
            init: self.init,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
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
        assert_eq!(cli.options.subnet_size, Some(64));
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
