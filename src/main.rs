#![no_main]
//! Entry point: parse the command line, run, report errors, turn them into an exit status.
//!
//! Output goes through `writeln!` on a locked stdout, and a reader that went away
//! (`status | head -c1`) ends the output quietly: with `panic = "abort"` a failed `println!`
//! would kill the process with SIGABRT.

use std::ffi::OsString;
use std::io::{self, Write};
use std::time::Duration;

use docker_ipv6_pd::cli::{self, Cli, Command, CompletionShell};
use docker_ipv6_pd::error::RestartFailed;
use docker_ipv6_pd::error::{ConfigError, ExitCode};
use docker_ipv6_pd::event::dhcpcd::is_dhcpcd_variable;
use docker_ipv6_pd::event::env::Env;
use docker_ipv6_pd::event::prefix::{configured_choice, parse_delegated};
use docker_ipv6_pd::inspect::{doctor, status};
use docker_ipv6_pd::settings::{
    Client, DEFAULT_CONFIG, FileKind, refuse_subnet_id_misfits, refuse_unnamed_files_under_root,
    under_root,
};
use docker_ipv6_pd::watch::{self, WatchOptions};
use docker_ipv6_pd::{config_file, log, manual, on_event};

/// The C entry point: Rust's runtime setup is skipped, since it reads the whole of
/// /proc/self/maps for a stack guard on every start (about a sixth of a renewal's
/// instructions). What the program needs of that setup is done here: SIGPIPE ignored, so
/// that a reader that went away is an error to handle, not a signal that kills the run.
#[unsafe(no_mangle)]
extern "C" fn main(
    _argc: std::ffi::c_int,
    _argv: *const *const std::ffi::c_char,
) -> std::ffi::c_int {
    // SAFETY: setting a signal's disposition to SIG_IGN, before any thread exists.
    unsafe {
        nix::libc::signal(nix::libc::SIGPIPE, nix::libc::SIG_IGN);
    }
    let code = entry();
    let _ = io::stdout().flush();
    std::ffi::c_int::from(code)
}

fn entry() -> u8 {
    let args: Vec<OsString> = std::env::args_os().collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(err) => {
            // --help and --version come this way too, to stdout, with status 0.
            let _ = err.print();
            if let Some(variable) = cli::variable_behind(&err, &args) {
                let _ = writeln!(
                    io::stderr(),
                    "docker-ipv6-pd: that value comes from {variable}"
                );
            }
            return err.exit_code() as u8;
        }
    };
    let is_hook = cli.command.is_none() && !cli.dry_run;
    match run(cli) {
        Ok(code) => code as u8,
        Err(err) => {
            let code = ExitCode::for_error(&err);
            if is_hook {
                let unchanged = if err.chain().any(|e| e.is::<RestartFailed>()) {
                    ""
                } else {
                    "; docker not restarted"
                };
                log::error(&format!("{err:#}{unchanged}"));
            } else {
                let _ = writeln!(io::stderr(), "docker-ipv6-pd: error: {err:#}");
            }
            code as u8
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let root = cli.root.clone().unwrap_or_else(|| "/".into());
    // The default configuration belongs to the system under --root; a named one is as given.
    let config_path = cli
        .config
        .clone()
        .unwrap_or_else(|| under_root(&root, DEFAULT_CONFIG.as_ref()));
    let config = config_file::load_layer(&root, cli.config.as_deref()).inspect_err(|_| {
        if cli.command.is_none() && !cli.dry_run {
            let env = Env::from_process();
            on_event::owe_restart_despite_configuration(&root, &env, &cli.settings, &config_path);
        }
    })?;
    // Paths in the system's own configuration file are the system's, not the admin's.
    let named = |kind| cli.settings.names(kind) || (cli.config.is_some() && config.names(kind));
    let named: Vec<FileKind> = [FileKind::PrefixFile, FileKind::DaemonJson]
        .into_iter()
        .filter(|&kind| named(kind))
        .collect();
    let settings = cli::merge(cli.settings, config, root, cli.dry_run);
    refuse_subnet_id_misfits(&settings).map_err(ConfigError)?;
    // Every run that writes files (the hook, NetworkManager's dispatcher, the watch) refuses a
    // --root it would otherwise carry out on this machine's docker.
    if matches!(cli.command, None | Some(Command::Watch { .. })) {
        refuse_unnamed_files_under_root(&settings, |kind| named.contains(&kind))
            .map_err(ConfigError)?;
    }
    let mut out = io::stdout().lock();
    let written = match cli.command {
        None if settings.client == Client::NetworkManager => {
            watch::networkmanager::run(&settings, &Env::from_process())?;
            Ok(())
        }
        None if settings.client == Client::Networkd => {
            return Err(ConfigError(
                "systemd-networkd runs no hooks: run `docker-ipv6-pd watch` (its unit is \
                 docker-ipv6-pd-watch.service)"
                    .into(),
            )
            .into());
        }
        None => {
            let env = Env::from_process();
            if !settings.dry_run && !is_dhcp_event(&env) {
                let _ = writeln!(
                    io::stderr(),
                    "docker-ipv6-pd: this is the DHCP client's hook, and no DHCP event is in the \
                     environment: nothing to do (see docker-ipv6-pd --help)"
                );
                return Ok(ExitCode::Success);
            }
            on_event::run(&settings, &env)?;
            Ok(())
        }
        Some(Command::Subnet { prefix, .. }) => {
            let delegated = parse_delegated("PREFIX", &prefix, configured_choice(&settings))?;
            writeln!(out, "{}", delegated.subnet)
        }
        Some(Command::Doctor { .. }) => {
            let report = doctor::examine(&settings);
            ignore_closed_reader(write!(out, "{report}"))?;
            if report.has_problem() {
                return Ok(ExitCode::ProblemsFound);
            }
            Ok(())
        }
        Some(Command::Status { json, .. }) => {
            let status = status::collect(&settings);
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&status)?)
            } else {
                write!(out, "{}", status::render(&status))
            }
        }
        Some(Command::Watch {
            uplink,
            once,
            interval,
            ..
        }) => {
            let options = WatchOptions {
                uplink,
                once,
                interval: Duration::from_secs(interval),
            };
            watch::run(&settings, &options).map_err(|e| e.context("watching systemd-networkd"))?;
            Ok(())
        }
        Some(Command::Man) => manual::write_man_page(&mut out),
        Some(Command::Completions { shell }) => {
            let shell = match shell {
                CompletionShell::Bash => clap_complete::Shell::Bash,
                CompletionShell::Zsh => clap_complete::Shell::Zsh,
                CompletionShell::Fish => clap_complete::Shell::Fish,
            };
            manual::write_completions(shell, &mut out)
        }
    };
    ignore_closed_reader(written.and_then(|()| out.flush()))?;
    Ok(ExitCode::Success)
}

/// True when the environment holds a DHCP client's event: its `reason`, or a prefix variable
/// of dhclient or dhcpcd. An admin running the hook by hand has none of them.
fn is_dhcp_event(env: &Env) -> bool {
    ["reason", "new_ip6_prefix", "old_ip6_prefix"]
        .iter()
        .any(|name| env.get(name).is_some())
        || env.names().any(is_dhcpcd_variable)
}

/// A reader that stopped reading (`| head -1`) is not an error: the output is just done.
fn ignore_closed_reader(result: io::Result<()>) -> io::Result<()> {
    match result {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}
