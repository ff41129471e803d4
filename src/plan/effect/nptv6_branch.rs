//! The plan of one event under `--target nptv6`. Docker's wiring (daemon.json) depends only on
//! the internal prefix and the delegated length, so docker restarts when that wiring changes
//! (the first lease, a new length) or a restart is still owed, never on a renumbering of the
//! same length; the nft mapping is applied whenever it differs from the one recorded as
//! applied since boot, or when the record says it is applied but the kernel no longer holds
//! our table (a firewall reload flushed the ruleset). A loss with `withdraw` or `fallback`
//! removes the mapping and leaves docker alone.

use std::path::Path;

use ipnet::Ipv6Net;

use crate::event::HookEvent;
use crate::log::Level;
use crate::plan::daemon_json::DaemonJson;
use crate::plan::decision::{Decision, LossAction};
use crate::plan::effect::{Effect, Plan, SubnetChange};
use crate::plan::nptv6::{Mapping, MappingRefused, TABLE, remove_script};
use crate::plan::pending::Pending;
use crate::settings::OnLoss;
use crate::subnet::Subnet;

/// What an nptv6 plan starts from besides the event.
#[derive(Clone, Debug, PartialEq)]
pub struct Nptv6Now<'a> {
    /// daemon.json's path and what it holds.
    pub daemon_json_path: &'a Path,
    pub daemon_json: &'a DaemonJson,
    /// The internal prefix docker keeps.
    pub internal: Ipv6Net,
    /// The mapping recorded as applied since boot.
    pub applied: Option<Mapping>,
    pub on_loss: OnLoss,
    /// The owed restart, if any.
    pub pending: Option<Pending>,
}

/// Plans what `event` does under `--target nptv6`; refused when the delegated prefix cannot
/// be mapped onto the internal prefix.
///
/// `table_present` asks the kernel whether our nft table is there. It is asked only when the
/// record says this event's mapping is applied already (a renewal): a firewall reload (`nft
/// flush ruleset`, `systemctl restart nftables`) removes the table behind the record's back,
/// and the event then applies the mapping again. A renewal costs that one read and nothing
/// more; any other event applies the mapping without asking.
pub fn plan_nptv6(
    event: &HookEvent,
    now: &Nptv6Now,
    table_present: impl FnOnce() -> bool,
) -> Result<Plan, MappingRefused> {
    let reason = if event.reason.is_empty() {
        "no reason given"
    } else {
        &event.reason
    };
    if event.new.is_empty() {
        return plan_loss(event, now, reason);
    }
    let live: Vec<Ipv6Net> = event
        .new
        .iter()
        .filter(|p| !p.withdrawn)
        .map(|p| p.delegated.prefix)
        .collect();
    let Some(first) = live.first() else {
        let decision = Decision::Withdrawn {
            prefix: event.new[0].delegated.prefix,
        };
        return Ok(logged_only(decision, event));
    };
    // Stay on the prefix mapped now (dhcpcd lists every prefix of the lease).
    let same_as_applied = |p: &&Ipv6Net| {
        let mapping = Mapping::new(**p, now.internal).ok();
        mapping.is_some() && mapping.map(|m| m.public) == now.applied.map(|m| m.public)
    };
    let prefix = *live.iter().find(same_as_applied).unwrap_or(first);
    let mapping = Mapping::new(prefix, now.internal)?;
    // A renumbered-away prefix lingers in dhclient's lease and comes back as a renewal of
    // itself: it must not pull the mapping back.
    if let Some(applied) = now.applied
        && applied.public != mapping.public
        && event.was_in_old_lease(&prefix)
        && !event.lists_whole_lease
    {
        let line = format!(
            "{reason}: renewal of {prefix}, which is not the mapped prefix {}; mapping left \
             as it is",
            applied.public
        );
        return Ok(Plan {
            decision: Decision::KeepCurrent {
                prefix,
                current: applied.public,
            },
            effects: vec![Effect::Log(Level::Info, line)],
            change: None,
        });
    }
    let wired = now
        .daemon_json
        .is_wired_for_nptv6(now.internal, mapping.mapped);
    let restart = !wired || matches!(now.pending, Some(Pending::Apply(_)));
    let in_kernel = if now.applied != Some(mapping) {
        InKernel::Other
    } else if table_present() {
        InKernel::This
    } else {
        InKernel::Flushed
    };
    let map = in_kernel != InKernel::This;
    let docker_subnet = Subnet::first_of(mapping.docker_subnet(), 64).expect("a /64 holds a /64");
    let decision = Decision::Apply {
        prefix,
        subnet: docker_subnet,
        write: !wired,
        restart,
        owed: wired && restart,
    };
    let level = match in_kernel {
        InKernel::Flushed => Level::Warning,
        _ => Level::Info,
    };
    let mut effects = vec![Effect::Log(
        level,
        describe_apply(event, reason, prefix, &mapping, !wired, in_kernel),
    )];
    if restart {
        effects.push(Effect::RecordPending(Pending::Apply(prefix)));
    }
    if !wired {
        effects.push(Effect::RefuseDockerdFlags);
        effects.push(Effect::WireNptv6 {
            path: now.daemon_json_path.to_path_buf(),
            mapped: mapping.mapped,
            bytes: now
                .daemon_json
                .with_nptv6_wiring(now.internal, mapping.mapped),
        });
    }
    if map {
        effects.push(Effect::ApplyMapping {
            mapping,
            script: mapping.apply_script(),
        });
    }
    if restart {
        effects.extend([Effect::RestartDocker, Effect::ClearPending]);
    }
    // Putting back a flushed table changes no address: the scripts were told this mapping
    // when it was applied.
    let change = (restart || in_kernel == InKernel::Other).then(|| SubnetChange {
        subnet: Some(mapping.docker_subnet()),
        old_subnet: now.daemon_json.subnet(),
        prefix,
        reason: event.reason.clone(),
        mapping: Some(mapping),
        old_mapping: now.applied,
    });
    Ok(Plan {
        decision,
        effects,
        change,
    })
}

/// A loss: the mapping of the lost prefix is kept or removed; docker is never touched.
fn plan_loss(event: &HookEvent, now: &Nptv6Now, reason: &str) -> Result<Plan, MappingRefused> {
    if !event.is_loss() {
        return Ok(logged_only(Decision::NoPrefix, event));
    }
    let maps_to = |p: &Ipv6Net| Mapping::new(*p, now.internal).ok().map(|m| m.public);
    // With no record (none applied since boot, or a record that failed), removing the table
    // is harmless: whatever is lost, nothing of ours stays.
    let lost = match now.applied {
        Some(applied) => event
            .old
            .iter()
            .find(|p| maps_to(p) == Some(applied.public)),
        None => event.old.first(),
    };
    let Some(&prefix) = lost else {
        let decision = match event.old.first() {
            Some(prefix) => Decision::OtherPrefixLost { prefix: *prefix },
            None => Decision::NoPrefix,
        };
        return Ok(logged_only(decision, event));
    };
    let remove = now.on_loss != OnLoss::Keep;
    let decision = Decision::Lost {
        prefix,
        current: now.daemon_json.subnet(),
        action: if remove {
            LossAction::Withdraw
        } else {
            LossAction::Keep
        },
    };
    let what = if remove {
        "removing its mapping; docker keeps running on its internal prefix"
    } else {
        "keeping its mapping (on-loss = keep)"
    };
    let mut effects = vec![Effect::Log(
        Level::Warning,
        format!("{reason}: prefix {prefix} is gone; {what}"),
    )];
    if !remove {
        return Ok(Plan {
            decision,
            effects,
            change: None,
        });
    }
    effects.push(Effect::RemoveMapping {
        script: remove_script(),
    });
    let subnet = now.daemon_json.subnet();
    Ok(Plan {
        decision,
        effects,
        change: Some(SubnetChange {
            subnet,
            old_subnet: subnet,
            prefix,
            reason: event.reason.clone(),
            mapping: None,
            old_mapping: now.applied,
        }),
    })
}

/// What the kernel holds of the event's mapping, as far as the run knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum InKernel {
    /// The record says another mapping, or none, is applied: this one must be.
    Other,
    /// Recorded as applied, and our table is there.
    This,
    /// Recorded as applied, but our table is gone: something flushed the ruleset.
    Flushed,
}

/// A plan that only logs the decision's own line.
fn logged_only(decision: Decision, event: &HookEvent) -> Plan {
    let level = match decision {
        Decision::Withdrawn { .. } => Level::Warning,
        _ => Level::Info,
    };
    Plan {
        effects: vec![Effect::Log(level, decision.describe(event))],
        decision,
        change: None,
    }
}

/// The log line of a live prefix.
fn describe_apply(
    event: &HookEvent,
    reason: &str,
    prefix: Ipv6Net,
    mapping: &Mapping,
    wire: bool,
    in_kernel: InKernel,
) -> String {
    let old: Vec<String> = event.old.iter().map(ToString::to_string).collect();
    let old = if old.is_empty() {
        "none".to_string()
    } else {
        old.join(", ")
    };
    let docker = if wire {
        "docker must be wired onto it (restart)"
    } else {
        "docker is wired already"
    };
    let nft = match in_kernel {
        InKernel::Other => "mapping to apply".to_string(),
        InKernel::This => "mapping in place".to_string(),
        InKernel::Flushed => format!(
            "mapping recorded as applied but nft table ip6 {TABLE} is gone (a firewall reload \
             flushed the ruleset?), to apply again"
        ),
    };
    format!(
        "{reason}: prefix {prefix} (previous {old}) maps {} onto {}; {docker}, {nft}",
        mapping.public, mapping.mapped
    )
}

#[cfg(test)]
#[path = "nptv6_branch_tests.rs"]
mod tests;
