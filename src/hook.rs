//! One run of the hook: read the event, decide under the lock, carry the plan out.

use std::ffi::OsString;
use std::fmt;
use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::atomic_file::{AtomicFile, DirLock};
use crate::docker_flags;
use crate::event::HookEvent;
use crate::init_system::{self, InitSystem};
use crate::log;
use crate::plan::{Plan, decide};
use crate::settings::{InitChoice, Settings};
use crate::target::{Contents, Kind};

/// The files were written but docker did not restart (exit status 4).
#[derive(Debug)]
pub struct RestartFailed(pub String);

impl fmt::Display for RestartFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RestartFailed {}

/// One target file of this run.
struct TargetFile {
    kind: Kind,
    file: AtomicFile,
}

/// Runs the hook for the event in `env` (the process environment in production).
pub fn run(settings: &Settings, env: impl Fn(&str) -> Option<OsString>) -> Result<()> {
    let event = HookEvent::read(env, settings.subnet_size)?;
    let targets: Vec<TargetFile> = settings
        .target
        .kinds()
        .iter()
        .map(|&kind| TargetFile {
            kind,
            file: AtomicFile::new(settings.path(kind)),
        })
        .collect();
    if settings.dry_run {
        let contents = read_all(&targets)?;
        let plan = decide(&event, &contents);
        print!(
            "{}",
            dry_run_report(settings, &event, &plan, &targets, &contents)
        );
        return Ok(());
    }
    if event.new.is_none() {
        // PREINIT6, DEPREF6, EXPIRE6, RELEASE6, STOP6: no I/O at all.
        return Ok(());
    }
    let _locks = lock_all(&targets)?;
    let contents = read_all(&targets)?;
    let plan = decide(&event, &contents);
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
        if targets.iter().any(|t| t.kind == Kind::DaemonJson) {
            refuse_flag_conflicts(&settings.root)?;
        }
        for (target, current) in targets.iter().zip(&contents) {
            if current.holds(&subnet) {
                continue;
            }
            let path = target.file.path().display();
            target
                .file
                .replace(&current.updated(&subnet))
                .with_context(|| format!("could not write {path} (left as it was)"))?;
            log::info(&format!("{}; wrote it to {path}", plan.describe(&event)));
        }
    }
    if restart {
        let argv = restart_command(settings);
        init_system::run(&argv).map_err(|e| {
            RestartFailed(format!(
                "the configuration holds {subnet}, but restarting docker failed: {e:#}"
            ))
        })?;
        log::info(&format!("restarted docker: {}", argv.join(" ")));
    }
    Ok(())
}

/// Locks each distinct directory once (two flocks on one directory from one process would
/// wait on each other), in path order so concurrent runs cannot deadlock.
fn lock_all(targets: &[TargetFile]) -> Result<Vec<DirLock>> {
    let mut files: Vec<&AtomicFile> = targets.iter().map(|t| &t.file).collect();
    files.sort_by_key(|f| f.dir().to_path_buf());
    files.dedup_by_key(|f| f.dir().to_path_buf());
    files.into_iter().map(AtomicFile::lock).collect()
}

fn read_all(targets: &[TargetFile]) -> Result<Vec<Contents>> {
    targets
        .iter()
        .map(|t| {
            let bytes = t.file.read()?;
            Contents::parse(t.kind, bytes).with_context(|| t.file.path().display().to_string())
        })
        .collect()
}

/// Fails when dockerd gets IPv6 settings as flags: with the same settings in daemon.json
/// it would refuse to start at the restart.
fn refuse_flag_conflicts(root: &Path) -> Result<()> {
    let sources = docker_flags::find(root);
    if let Some(source) = sources.first() {
        let names: Vec<String> = source.flags.iter().map(|(n, _)| format!("--{n}")).collect();
        bail!(
            "dockerd gets {} as a flag from {}; writing daemon.json too would stop dockerd from \
             starting. Remove the flag, or use --target prefix-file",
            names.join(" and "),
            source.origin
        );
    }
    Ok(())
}

/// The restart command for the configured init system and service.
fn restart_command(settings: &Settings) -> Vec<String> {
    let init = match settings.init {
        InitChoice::Auto => InitSystem::detect(&settings.root),
        InitChoice::Systemd => InitSystem::Systemd,
        InitChoice::Openrc => InitSystem::OpenRc,
        InitChoice::Service => InitSystem::Service,
    };
    init.restart_command(&settings.service)
}

/// What `--dry-run` prints: the decision, then each action it would take.
fn dry_run_report(
    settings: &Settings,
    event: &HookEvent,
    plan: &Plan,
    targets: &[TargetFile],
    contents: &[Contents],
) -> String {
    let mut out = format!("{}\n", plan.describe(event));
    let Plan::Apply {
        subnet, restart, ..
    } = plan
    else {
        return out;
    };
    for (target, current) in targets.iter().zip(contents) {
        let path = target.file.path().display();
        if current.holds(subnet) {
            out += &format!("would leave {path} as it is (it already holds {subnet})\n");
        } else if target.kind == Kind::DaemonJson {
            out += &format!(
                "would set ipv6 and fixed-cidr-v6 to {} in {path}\n",
                subnet.net()
            );
        } else {
            out += &format!("would write {subnet} to {path}\n");
        }
    }
    if *restart {
        out += &format!(
            "would restart docker: {}\n",
            restart_command(settings).join(" ")
        );
    } else {
        out += "would not restart docker (same prefix as the previous lease)\n";
    }
    out
}
