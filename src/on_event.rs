//! One hook run, start to end: read the event, lock the targets, gather what the decision
//! needs, plan, carry the plan out, release the lock, tell the post-change scripts.

use std::io::Write;
use std::net::Ipv6Addr;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use ipnet::Ipv6Net;

use crate::apply::Runner;
use crate::apply::atomic_file::{AtomicFile, DirLock};
use crate::apply::firewall;
use crate::apply::init_system::InitSystem;
use crate::apply::mapping_state::MappingRecord;
use crate::apply::post_change::{self, Change};
use crate::apply::state::PendingRecord;
use crate::bounded_read::{Links, read_regular};
use crate::cli::{self, SettingArgs};
use crate::config_file;
use crate::error::{ConfigError, InputError};
use crate::event::HookEvent;
use crate::event::env::Env;
use crate::event::prefix::configured_choice;
use crate::inspect::docker_flags;
use crate::log;
use crate::plan::daemon_json::DaemonJson;
use crate::plan::decision::Policy;
use crate::plan::effect::{Effect, Nptv6Now, Plan, SubnetChange, TargetNow, plan, plan_nptv6};
use crate::plan::nptv6::{LONGEST_MAPPED, Mapping, MappingRefused, SHORTEST_MAPPED};
use crate::plan::pending::Pending;
use crate::plan::target::Contents;
use crate::settings::{
    Client, DEFAULT_SUBNET_SIZE, FallbackNat, InitChoice, OnLoss, Settings, Target,
};
use crate::subnet::{Subnet, SubnetChoice};

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

/// When a run fails before it could record an owed restart (a lock, an unreadable or
/// invalid daemon.json, a failed write), the event's prefix is recorded now, so that its
/// next event, even a renewal, applies it with a restart. Best effort: the failure itself
/// is what the run reports.
fn owe_restart_after_failure(state: &PendingRecord, event: &HookEvent) {
    let Some(prefix) = event.new.iter().find(|p| !p.withdrawn) else {
        return;
    };
    if state.read_line().and_then(|l| Pending::parse(&l)).is_some() {
        return;
    }
    let record = Pending::Apply(prefix.delegated.prefix);
    if let Err(e) = state.write_line(&record.to_string()) {
        log::warning(&format!(
            "could not record the owed restart ({record}): {e:#}"
        ));
    }
}

/// A configuration the run cannot read stops it before it knows its settings; the event's
/// prefix (read with the default subnet size) is still recorded as owed, so that once the
/// admin repairs the file, the next event of the prefix, even a renewal, restarts docker.
///
/// Under `--target nptv6` no restart is owed: every event finds out from daemon.json itself
/// whether docker's wiring is in place, and wires and restarts when it is not, so an owed
/// restart would only cost one with nothing about docker changed. What the event owes there
/// is its mapping: the record of the applied one is forgotten, so that the next event, even
/// a renewal, applies it. The target is the one `given` on the command line or in the
/// environment, else that of a `target` line of `config` that reads on its own; when
/// neither names one, daemon.json wired onto the internal prefix (for any delegated length)
/// shows nptv6.
pub fn owe_restart_despite_configuration(
    root: &Path,
    env: &Env,
    given: &SettingArgs,
    config: &Path,
) {
    let Ok(event) = HookEvent::read(env, SubnetChoice::first(DEFAULT_SUBNET_SIZE), Client::Auto)
    else {
        return;
    };
    let bytes = read_regular(config, config_file::MAX_BYTES, Links::Follow)
        .ok()
        .flatten()
        .unwrap_or_default();
    let readable: Vec<&[u8]> = bytes
        .split(|&b| b == b'\n')
        .filter(|line| config_file::parse(line).is_ok())
        .collect();
    let file = config_file::parse(&readable.join(&b'\n')).unwrap_or_default();
    let target = given.target.or(file.target);
    let settings = cli::merge(given.clone(), file, root.to_path_buf(), false);
    let wired_for_nptv6 = || {
        let internal = settings
            .internal_prefix
            .unwrap_or_else(|| firewall::host_ula(root));
        let json = read_regular(&settings.daemon_json, 1 << 20, Links::Follow)
            .ok()
            .flatten();
        let Some(json) = json.and_then(|bytes| DaemonJson::parse(Some(&bytes)).ok()) else {
            return false;
        };
        (SHORTEST_MAPPED..=LONGEST_MAPPED).any(|len| {
            let any_of_len = Ipv6Net::new(Ipv6Addr::UNSPECIFIED, len).expect("a valid length");
            Mapping::new(any_of_len, internal)
                .is_ok_and(|m| json.is_wired_for_nptv6(internal, m.mapped))
        })
    };
    let nptv6 = match target {
        Some(target) => target == Target::Nptv6,
        None => wired_for_nptv6(),
    };
    if !nptv6 {
        owe_restart_after_failure(&PendingRecord::new(root), &event);
    } else if event.new.iter().any(|p| !p.withdrawn)
        && let Err(e) = MappingRecord::new(root).clear()
    {
        log::warning(&format!("could not forget the applied mapping: {e:#}"));
    }
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
