//! One hook run, start to end: read the event, lock the targets, gather what the decision
//! needs, plan, carry the plan out, release the lock, tell the post-change scripts.

use std::io::Write;
use std::time::Duration;

use anyhow::{Context, Result};

use crate::apply::Runner;
use crate::apply::atomic_file::{AtomicFile, DirLock};
use crate::apply::firewall;
use crate::apply::init_system::InitSystem;
use crate::apply::mapping_state::MappingRecord;
use crate::apply::post_change::{self, Change};
use crate::apply::state::PendingRecord;
use crate::bounded_read::{Links, read_regular};
use crate::error::{ConfigError, InputError};
use crate::event::HookEvent;
use crate::event::env::Env;
use crate::event::prefix::configured_choice;
use crate::inspect::docker_flags;
use crate::plan::daemon_json::DaemonJson;
use crate::plan::decision::Policy;
use crate::plan::effect::{Effect, Nptv6Now, Plan, SubnetChange, TargetNow, plan, plan_nptv6};
use crate::plan::nptv6::{LONGEST_MAPPED, MappingRefused};
use crate::plan::pending::Pending;
use crate::plan::target::Contents;
use crate::settings::{FallbackNat, InitChoice, OnLoss, Settings, Target};
use crate::subnet::{Subnet, SubnetChoice};

mod owed;

use owed::owe_restart_after_failure;
pub use owed::owe_restart_despite_configuration;

/// Runs the hook for the event in `env` (the process environment in production).
pub fn run(settings: &Settings, env: &Env) -> Result<()> {
    let event = read_event(settings, env)?;
    run_event(settings, &event)
}

/// Carries out one event however it was read (a hook's environment, networkd's description,
/// NetworkManager's dispatcher): the same plan, effects and post-change scripts for all.
pub fn run_event(settings: &Settings, event: &HookEvent) -> Result<()> {
    if event.new.is_empty() && !event.is_loss() && !settings.dry_run {
        // PREINIT6, DEPREF6 and the like: no I/O at all.
        return Ok(());
    }
    let state = PendingRecord::new(&settings.root);
    let mapping_record = MappingRecord::new(&settings.root);
    let records = (&state, &mapping_record);
    if settings.dry_run {
        let files = target_files(settings)?;
        let plan = plan_under_lock(settings, event, &files, records)?;
        // A closed stdout ends the report, not the run.
        let _ = std::io::stdout()
            .lock()
            .write_all(dry_run_report(settings, &plan).as_bytes());
        return Ok(());
    }
    let planned = target_files(settings).and_then(|files| {
        let locks = lock_all(&files)?;
        let plan = plan_under_lock(settings, event, &files, records)?;
        let runner = Runner {
            targets: &files,
            state: &state,
            mapping_record: &mapping_record,
            init: init_system(settings),
            restart_timeout: Duration::from_secs(settings.restart_timeout),
            service: &settings.service,
            refuse_dockerd_flags: &|| docker_flags::refuse_conflicts(&settings.root),
        };
        runner.carry_out(&plan.effects)?;
        drop(locks);
        Ok(plan)
    });
    match planned {
        Ok(plan) => {
            if let Some(change) = &plan.change {
                let timeout = Duration::from_secs(settings.post_change_timeout);
                post_change::run_all(
                    &settings.post_change_dir,
                    &script_change(settings, change),
                    timeout,
                );
            }
            Ok(())
        }
        // Under nptv6 an unwired daemon.json is found again by the next event, and a failed
        // nft run must not cost a restart. The event's mapping is owed instead: without a
        // record the next event, even a renewal, applies it.
        Err(e) if settings.target == Target::Nptv6 => {
            let _ = mapping_record.clear();
            Err(e)
        }
        Err(e) => {
            owe_restart_after_failure(&state, event);
            Err(e)
        }
    }
}

/// The event, read for the target: under nptv6 a delegated prefix must hold a /64, whatever
/// --subnet-size says.
fn read_event(settings: &Settings, env: &Env) -> Result<HookEvent> {
    let nptv6 = settings.target == Target::Nptv6;
    let choice = if nptv6 {
        SubnetChoice::first(LONGEST_MAPPED)
    } else {
        configured_choice(settings)
    };
    HookEvent::read(env, choice, settings.client).map_err(|mut e: InputError| {
        if nptv6 && let Some(len) = e.too_long {
            e.problem = MappingRefused::DelegatedTooLong(len).to_string();
        }
        e.into()
    })
}

/// Reads the targets, the owed restart and (nptv6) the applied mapping, and plans (the
/// caller holds the lock, but for `--dry-run`).
fn plan_under_lock(
    settings: &Settings,
    event: &HookEvent,
    files: &[AtomicFile],
    (state, mapping_record): (&PendingRecord, &MappingRecord),
) -> Result<Plan> {
    let targets = read_all(settings, files)?;
    let pending = state.read_line().and_then(|line| Pending::parse(&line));
    if settings.target == Target::Nptv6
        && let [target] = targets.as_slice()
        && let Contents::DaemonJson(json) = &target.contents
    {
        let now = Nptv6Now {
            daemon_json_path: &target.path,
            daemon_json: json,
            internal: settings
                .internal_prefix
                .unwrap_or_else(|| firewall::host_ula(&settings.root)),
            applied: mapping_record.read(),
            on_loss: settings.on_loss,
            pending,
        };
        return plan_nptv6(event, &now, firewall::nft_table_exists).map_err(
            |refused| match refused {
                MappingRefused::InternalTooLong { .. } => ConfigError(refused.to_string()).into(),
                MappingRefused::DelegatedTooLong(_) => anyhow::anyhow!(InputError::new(
                    "the delegated prefix",
                    b"",
                    refused.to_string()
                )),
            },
        );
    }
    let policy = policy(settings, event, &targets)?;
    Ok(plan(event, &targets, &policy, pending))
}

/// What the post-change scripts are told.
fn script_change(settings: &Settings, change: &SubnetChange) -> Change {
    Change::of(change, settings.target == Target::Nptv6)
}

/// The loss policy, with the fallback subnet when it may be in use, and whether it needs our
/// own NAT66 rule (asked of dockerd only when the fallback is being entered or left).
fn policy(settings: &Settings, event: &HookEvent, targets: &[TargetNow]) -> Result<Policy> {
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
    let in_play = fallback.is_some_and(|f| {
        event.is_loss() || targets.iter().any(|t| t.contents.subnet() == Some(f.net()))
    });
    let fallback_nat66 = in_play
        && match settings.fallback_nat {
            FallbackNat::Always => true,
            FallbackNat::Never => false,
            FallbackNat::Auto => !docker_masquerades(settings, targets),
        };
    Ok(Policy {
        on_loss: settings.on_loss,
        fallback,
        fallback_nat66,
    })
}

/// Whether docker masquerades IPv6 itself, by its version and daemon.json.
fn docker_masquerades(settings: &Settings, targets: &[TargetNow]) -> bool {
    let json = targets
        .iter()
        .find_map(|t| match &t.contents {
            Contents::DaemonJson(json) => Some(json.clone()),
            Contents::PrefixFile(_) => None,
        })
        .or_else(|| {
            let bytes = read_regular(&settings.daemon_json, 1 << 20, Links::Follow).ok()??;
            DaemonJson::parse(Some(&bytes)).ok()
        })
        .unwrap_or_default();
    firewall::docker_masquerades(firewall::dockerd_major_version(), &json)
}

/// The target files, each followed through its links to the file that is written.
fn target_files(settings: &Settings) -> Result<Vec<AtomicFile>> {
    settings
        .target
        .files()
        .iter()
        .map(|&kind| AtomicFile::resolve(settings.path(kind)))
        .collect()
}

/// Locks each distinct directory once (two flocks on one directory from one process would
/// wait on each other), in path order so concurrent runs cannot deadlock.
fn lock_all(files: &[AtomicFile]) -> Result<Vec<DirLock>> {
    let mut files: Vec<&AtomicFile> = files.iter().collect();
    files.sort_by_key(|f| f.dir().to_path_buf());
    files.dedup_by_key(|f| f.dir().to_path_buf());
    files.into_iter().map(AtomicFile::lock).collect()
}

/// Each target file as it is now.
fn read_all(settings: &Settings, files: &[AtomicFile]) -> Result<Vec<TargetNow>> {
    settings
        .target
        .files()
        .iter()
        .zip(files)
        .map(|(&kind, file)| {
            let bytes = file.read()?;
            let contents =
                Contents::parse(kind, bytes).with_context(|| file.path().display().to_string())?;
            Ok(TargetNow {
                kind,
                path: file.path().to_path_buf(),
                contents,
            })
        })
        .collect()
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

/// What `--dry-run` prints: the decision, then each effect in the order it would be carried
/// out, then what the post-change scripts would be told.
fn dry_run_report(settings: &Settings, plan: &Plan) -> String {
    let mut effects = plan.effects.iter();
    let mut out = match effects.next() {
        Some(Effect::Log(_, line)) => format!("{line}\n"),
        _ => String::new(),
    };
    let mut restarts = false;
    for (number, effect) in effects.enumerate() {
        out += &format!("{}. would {effect}", number + 1);
        if *effect == Effect::RestartDocker {
            restarts = true;
            let argv = init_system(settings).restart_command(&settings.service);
            out += &format!(": {}", argv.join(" "));
        }
        out.push('\n');
    }
    if !restarts {
        out += "would not restart docker\n";
    }
    if let Some(change) = &plan.change {
        let change = script_change(settings, change);
        out += &format!(
            "then, with the lock released, would run the post-change scripts in {} with \
             DOCKER_IPV6_PD_SUBNET={} DOCKER_IPV6_PD_OLD_SUBNET={} DOCKER_IPV6_PD_PREFIX={}\n",
            settings.post_change_dir.display(),
            change.subnet,
            change.old_subnet,
            change.prefix
        );
        for (name, value) in &change.mapping {
            out += &format!("  and {name}={value}\n");
        }
    }
    out
}
