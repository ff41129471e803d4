//! One run of the hook: read the event, decide under the lock, carry the plan out.

use std::ffi::OsString;
use std::fmt;

use anyhow::{Context, Result};

use crate::event::HookEvent;
use crate::init_system::{self, InitSystem};
use crate::log;
use crate::plan::{Plan, decide};
use crate::prefix_file::PrefixFile;
use crate::settings::{InitChoice, Settings};

/// The file holds the new subnet but docker did not restart (exit status 4).
#[derive(Debug)]
pub struct RestartFailed(pub String);

impl fmt::Display for RestartFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RestartFailed {}

/// Runs the hook for the event in `env` (the process environment in production).
pub fn run(settings: &Settings, env: impl Fn(&str) -> Option<OsString>) -> Result<()> {
    let event = HookEvent::read(env, settings.subnet_size)?;
    let file = PrefixFile::new(&settings.prefix_file);
    if settings.dry_run {
        let plan = decide(&event, file.read()?.as_deref());
        print!("{}", dry_run_report(settings, &event, &plan));
        return Ok(());
    }
    if event.new.is_none() {
        // PREINIT6, DEPREF6, EXPIRE6, RELEASE6, STOP6: no I/O at all.
        return Ok(());
    }
    let lock = file.lock()?;
    let plan = decide(&event, file.read()?.as_deref());
    let Plan::Apply {
        subnet,
        write,
        restart,
    } = plan
    else {
        log::info(&plan.describe(&event));
        return Ok(());
    };
    if write {
        file.replace(subnet.file_line().as_bytes(), &lock)
            .with_context(|| format!("could not write {}", file.path().display()))?;
        log::info(&format!(
            "{}; wrote it to {}",
            plan.describe(&event),
            file.path().display()
        ));
    }
    if restart {
        let argv = restart_command(settings);
        init_system::run(&argv).map_err(|e| {
            RestartFailed(format!(
                "{} holds {subnet}, but restarting docker failed: {e:#}",
                file.path().display()
            ))
        })?;
        log::info(&format!("restarted docker: {}", argv.join(" ")));
    }
    Ok(())
}

/// The restart command for the configured init system and service.
fn restart_command(settings: &Settings) -> Vec<String> {
    let init = match settings.init {
        InitChoice::Auto => InitSystem::detect("/".as_ref()),
        InitChoice::Systemd => InitSystem::Systemd,
        InitChoice::Openrc => InitSystem::OpenRc,
        InitChoice::Service => InitSystem::Service,
    };
    init.restart_command(&settings.service)
}

/// What `--dry-run` prints: the decision, then each action it would take.
fn dry_run_report(settings: &Settings, event: &HookEvent, plan: &Plan) -> String {
    let mut out = format!("{}\n", plan.describe(event));
    if let Plan::Apply {
        subnet,
        write,
        restart,
    } = plan
    {
        let path = settings.prefix_file.display();
        if *write {
            out += &format!("would write {subnet} to {path}\n");
        } else {
            out += &format!("would leave {path} as it is (it already holds {subnet})\n");
        }
        if *restart {
            out += &format!(
                "would restart docker: {}\n",
                restart_command(settings).join(" ")
            );
        } else {
            out += "would not restart docker (same prefix as the previous lease)\n";
        }
    }
    out
}
