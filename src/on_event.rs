//! One run of the hook: read the event, decide under the lock, carry the plan out.

use std::fmt;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use ipnet::Ipv6Net;

use crate::apply::atomic_file::{AtomicFile, DirLock};
use crate::apply::firewall;
use crate::apply::init_system::{self, InitSystem};
use crate::apply::post_change::{self, Change};
use crate::apply::state::Unfinished;
use crate::config_file::ConfigError;
use crate::event::{Env, HookEvent};
use crate::inspect::docker_flags;
use crate::log;
use crate::plan::daemon_json::DaemonJson;
use crate::plan::subnet::Subnet;
use crate::plan::target::{Contents, Kind};
use crate::plan::{LossAction, Plan, Policy, decide};
use crate::settings::OnLoss;
use crate::settings::{FallbackNat, InitChoice, Settings};

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
pub fn run(settings: &Settings, env: &Env) -> Result<()> {
    let event = HookEvent::read(env, settings.subnet_size, settings.client)?;
    let targets: Vec<TargetFile> = crate::plan::target::files_of(settings.target)
        .iter()
        .map(|&kind| TargetFile {
            kind,
            file: AtomicFile::new(settings.path(kind)),
        })
        .collect();
    if event.new.is_empty() && !event.is_loss() && !settings.dry_run {
        // PREINIT6, DEPREF6 and the like: no I/O at all.
        return Ok(());
    }
    let policy = policy(settings)?;
    let unfinished = Unfinished::new(&settings.root);
    if settings.dry_run {
        let contents = read_all(&targets)?;
        let plan = decide(&event, &contents, &policy, unfinished.read());
        print!(
            "{}",
            dry_run_report(settings, &event, &plan, &targets, &contents)
        );
        return Ok(());
    }
    let _locks = lock_all(&targets)?;
    let contents = read_all(&targets)?;
    let pending = unfinished.read();
    let plan = decide(&event, &contents, &policy, pending);
    let before = contents.iter().find_map(Contents::held);
    let description = plan.describe(&event);
    let (prefix, after) = match plan {
        Plan::Apply {
            prefix,
            subnet,
            write,
            restart,
        } => {
            if write {
                let written = write_targets(settings, &targets, &contents, &description, |c| {
                    (!c.holds(&subnet)).then(|| c.updated(&subnet))
                });
                if written.is_err() {
                    unfinished.record(prefix);
                }
                written?;
            }
            if let Some(fallback) = policy.fallback
                && before == Some(fallback.net())
                && let Err(e) = firewall::remove_nat66(&fallback.net())
            {
                log::warning(&format!("removing the fallback's NAT66 rule: {e:#}"));
            }
            if !restart {
                if pending.is_some() {
                    unfinished.clear();
                }
                return finish(settings, &event, before, Some(subnet.net()), prefix, Ok(()));
            }
            let restarted = restart_docker(settings, Some(subnet.net()));
            match &restarted {
                Ok(()) if pending.is_some() => unfinished.clear(),
                Ok(()) => {}
                Err(_) => unfinished.record(prefix),
            }
            return finish(
                settings,
                &event,
                before,
                Some(subnet.net()),
                prefix,
                restarted,
            );
        }
        Plan::Lost {
            prefix,
            action: LossAction::Withdraw,
            ..
        } => {
            write_targets(settings, &targets, &contents, &description, |c| {
                c.held().is_some().then(|| c.withdrawn())
            })?;
            // If the lease brings this prefix back as a renewal, docker must restart for it.
            unfinished.record(prefix);
            (prefix, None)
        }
        Plan::Lost {
            prefix,
            action: LossAction::Fallback { subnet },
            ..
        } => {
            write_targets(settings, &targets, &contents, &description, |c| {
                (!c.holds(&subnet)).then(|| c.updated(&subnet))
            })?;
            if needs_nat66(settings, &targets, &contents) {
                firewall::add_nat66(&subnet.net())
                    .context("adding the NAT66 rule for the fallback subnet")?;
                log::info(&format!(
                    "masquerading {} (ip6tables, nat POSTROUTING)",
                    subnet.net()
                ));
            }
            (prefix, Some(subnet.net()))
        }
        _ => {
            log::info(&description);
            return Ok(());
        }
    };
    let restarted = restart_docker(settings, after);
    finish(settings, &event, before, after, prefix, restarted)
}

/// Runs the post-change hooks when the configured subnet changed, then returns `result`.
fn finish(
    settings: &Settings,
    event: &HookEvent,
    before: Option<Ipv6Net>,
    after: Option<Ipv6Net>,
    prefix: Ipv6Net,
    result: Result<()>,
) -> Result<()> {
    if before != after {
        let show = |n: Option<Ipv6Net>| n.map(|n| n.to_string()).unwrap_or_default();
        let change = Change {
            subnet: show(after),
            old_subnet: show(before),
            prefix: prefix.to_string(),
            reason: event.reason.clone(),
        };
        let timeout = Duration::from_secs(settings.post_change_timeout);
        post_change::run_all(&settings.post_change_dir, &change, timeout);
    }
    result
}

/// Writes each target `new_bytes` gives bytes for, logging each write.
fn write_targets(
    settings: &Settings,
    targets: &[TargetFile],
    contents: &[Contents],
    description: &str,
    new_bytes: impl Fn(&Contents) -> Option<Vec<u8>>,
) -> Result<()> {
    let writes: Vec<(&TargetFile, Vec<u8>)> = targets
        .iter()
        .zip(contents)
        .filter_map(|(t, c)| Some((t, new_bytes(c)?)))
        .collect();
    if writes.iter().any(|(t, _)| t.kind == Kind::DaemonJson) {
        refuse_flag_conflicts(&settings.root)?;
    }
    for (target, bytes) in writes {
        let path = target.file.path().display();
        target
            .file
            .replace(&bytes)
            .with_context(|| format!("could not write {path} (left as it was)"))?;
        log::info(&format!("{description}; wrote {path}"));
    }
    Ok(())
}

/// Restarts docker. Where the init script fails a restart of a docker that was not running
/// (Debian's sysvinit script does, under `set -e`), a start follows.
fn restart_docker(settings: &Settings, subnet: Option<Ipv6Net>) -> Result<()> {
    let init = init_system(settings);
    let argv = init.restart_command(&settings.service);
    let restart_error = match init_system::run(&argv) {
        Ok(()) => {
            log::info(&format!("restarted docker: {}", argv.join(" ")));
            return Ok(());
        }
        Err(e) => e,
    };
    if let Some(start) = init.start_command(&settings.service)
        && init_system::run(&start).is_ok()
    {
        log::info(&format!(
            "{restart_error:#}; docker was not running, so started it: {}",
            start.join(" ")
        ));
        return Ok(());
    }
    let now = subnet.map_or("no subnet".to_string(), |s| s.to_string());
    Err(anyhow!(RestartFailed(format!(
        "the configuration holds {now}, but restarting docker failed: {restart_error:#}"
    ))))
}

/// The loss policy, with the fallback subnet when it may be in use.
fn policy(settings: &Settings) -> Result<Policy> {
    let wanted = settings.on_loss == OnLoss::Fallback || settings.fallback_prefix.is_some();
    let fallback = if wanted {
        let prefix = settings
            .fallback_prefix
            .unwrap_or_else(|| firewall::host_ula(&settings.root));
        let subnet = Subnet::first_of(prefix, settings.subnet_size).ok_or_else(|| {
            ConfigError(format!(
                "fallback-prefix {prefix} cannot hold a /{} subnet",
                settings.subnet_size
            ))
        })?;
        Some(subnet)
    } else {
        None
    };
    Ok(Policy {
        on_loss: settings.on_loss,
        fallback,
    })
}

/// Whether the fallback subnet needs our own masquerade rule.
fn needs_nat66(settings: &Settings, targets: &[TargetFile], contents: &[Contents]) -> bool {
    match settings.fallback_nat {
        FallbackNat::Always => true,
        FallbackNat::Never => false,
        FallbackNat::Auto => {
            let json = targets
                .iter()
                .zip(contents)
                .find_map(|(t, c)| match (t.kind, c) {
                    (Kind::DaemonJson, Contents::DaemonJson(json)) => Some(json.clone()),
                    _ => None,
                })
                .or_else(|| {
                    let bytes = std::fs::read(&settings.daemon_json).ok();
                    DaemonJson::parse(bytes.as_deref()).ok()
                })
                .unwrap_or_default();
            !firewall::docker_masquerades(firewall::dockerd_major_version(), &json)
        }
    }
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

/// The configured init system.
fn init_system(settings: &Settings) -> InitSystem {
    match settings.init {
        InitChoice::Auto => InitSystem::detect(&settings.root),
        InitChoice::Systemd => InitSystem::Systemd,
        InitChoice::OpenRc => InitSystem::OpenRc,
        InitChoice::Service => InitSystem::Service,
    }
}

/// The restart command for the configured init system and service.
fn restart_command(settings: &Settings) -> Vec<String> {
    init_system(settings).restart_command(&settings.service)
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
    let (subnet, restart) = match plan {
        Plan::Apply {
            subnet, restart, ..
        } => (Some(*subnet), *restart),
        Plan::Lost {
            action: LossAction::Fallback { subnet },
            ..
        } => (Some(*subnet), true),
        Plan::Lost {
            action: LossAction::Withdraw,
            ..
        } => (None, true),
        _ => return out,
    };
    for (target, current) in targets.iter().zip(contents) {
        let path = target.file.path().display();
        match subnet {
            Some(s) if current.holds(&s) => {
                out += &format!("would leave {path} as it is (it already holds {s})\n");
            }
            Some(s) if target.kind == Kind::DaemonJson => {
                out += &format!(
                    "would set ipv6 and fixed-cidr-v6 to {} in {path}\n",
                    s.net()
                );
            }
            Some(s) => out += &format!("would write {s} to {path}\n"),
            None => out += &format!("would take the subnet out of {path}\n"),
        }
    }
    if restart {
        out += &format!(
            "would restart docker: {}\n",
            restart_command(settings).join(" ")
        );
    } else {
        out += "would not restart docker (same prefix as the previous lease)\n";
    }
    out
}
