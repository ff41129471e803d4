//! Entry point: parse the command line, run, report errors, turn them into an exit status.

use std::process::ExitCode as ProcessExitCode;

use docker_ipv6_pd::cli::{Cli, Command};
use docker_ipv6_pd::error::ExitCode;
use docker_ipv6_pd::error::RestartFailed;
use docker_ipv6_pd::event::env::Env;
use docker_ipv6_pd::event::prefix::parse_delegated;
use docker_ipv6_pd::inspect::{doctor, status};
use docker_ipv6_pd::settings::{DEFAULT_CONFIG, Settings, under};
use docker_ipv6_pd::{config_file, log, manual, on_event};

fn main() -> ProcessExitCode {
    let cli = Cli::parse();
    let is_hook = cli.command.is_none() && !cli.options.dry_run;
    match run(cli) {
        Ok(code) => code.into(),
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
                eprintln!("docker-ipv6-pd: error: {err:#}");
            }
            code.into()
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let root = cli.options.root.clone().unwrap_or_else(|| "/".into());
    // The default configuration belongs to the system under --root; a named one is as given.
    let config_path = cli.options.config.clone();
    let config = config_file::load(
        &config_path
            .clone()
            .unwrap_or_else(|| under(&root, DEFAULT_CONFIG.as_ref())),
        config_path.is_some(),
    )?;
    let settings = Settings::merge(cli.options.layer, config, root, cli.options.dry_run);
    match cli.command {
        None => on_event::run(&settings, &Env::from_process())?,
        Some(Command::Subnet { prefix }) => {
            let delegated = parse_delegated("PREFIX", &prefix, settings.subnet_size)?;
            println!("{}", delegated.subnet);
        }
        Some(Command::Doctor) => {
            let report = doctor::examine(&settings);
            print!("{report}");
            if report.has_problem() {
                return Ok(ExitCode::ProblemsFound);
            }
        }
        Some(Command::Status { json }) => {
            let status = status::collect(&settings);
            if json {
                println!("{}", serde_json::to_string_pretty(&status)?);
            } else {
                print!("{}", status::render(&status));
            }
        }
        Some(Command::Man) => manual::write_man_page(&mut std::io::stdout().lock())?,
        Some(Command::Completions { shell }) => {
            manual::write_completions(shell, &mut std::io::stdout().lock());
        }
    }
    Ok(ExitCode::Success)
}
