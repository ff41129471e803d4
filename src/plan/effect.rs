//! What a decision does, as an ordered list of effects: the order is the safety argument.
//!
//! A restart that is owed is recorded before any target is touched and cleared only after
//! docker restarted; the NAT66 rule of the fallback is in place before docker moves to the
//! fallback subnet; post-change scripts run last, only when docker applied a new subnet,
//! and with the lock released. The runner in `apply` carries the effects out in order and
//! stops at the first that fails; it decides nothing itself.

use std::fmt;
use std::path::PathBuf;

use ipnet::Ipv6Net;

use crate::event::HookEvent;
use crate::log::Level;
use crate::plan::decision::{Decision, LossAction, Policy, decide};
use crate::plan::nptv6::Mapping;
use crate::plan::pending::Pending;
use crate::plan::target::Contents;
use crate::settings::FileKind;

mod nptv6_branch;
pub use nptv6_branch::{Nptv6Now, plan_nptv6};

/// One target file as it is now.
#[derive(Clone, Debug)]
pub struct TargetNow {
    pub kind: FileKind,
    pub path: PathBuf,
    pub contents: Contents,
}

/// One thing a run does.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// A line for the admin, in syslog and on stderr.
    Log(Level, String),
    /// Record that a restart is owed, before any target is touched.
    RecordPending(Pending),
    /// Refuse to go on while dockerd gets IPv6 settings as flags: with the same settings in
    /// daemon.json it would refuse to start at the restart.
    RefuseDockerdFlags,
    /// Replace a target file with `bytes`, which give docker `subnet` (none: taken out).
    Write {
        path: PathBuf,
        kind: FileKind,
        subnet: Option<Ipv6Net>,
        bytes: Vec<u8>,
    },
    /// Masquerade the fallback subnet with our own NAT66 rule (kept if already there).
    AddNat66(Ipv6Net),
    /// Remove that rule (best effort: a failure is a warning).
    RemoveNat66(Ipv6Net),
    /// Wire docker onto the mapped part of the internal prefix (`--target nptv6`): replace
    /// daemon.json with `bytes`.
    WireNptv6 {
        path: PathBuf,
        mapped: Ipv6Net,
        bytes: Vec<u8>,
    },
    /// Replace our nft table with `script`, which maps `mapping`, and record it as applied.
    ApplyMapping { mapping: Mapping, script: String },
    /// Remove our nft table with `script`, and forget the recorded mapping.
    RemoveMapping { script: String },
    /// Restart docker so it reads the targets again.
    RestartDocker,
    /// Forget the owed restart: docker restarted.
    ClearPending,
}

/// What post-change scripts are told after docker applied a new subnet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubnetChange {
    /// The subnet docker now runs with; none when it was taken out.
    pub subnet: Option<Ipv6Net>,
    /// The subnet the targets held before.
    pub old_subnet: Option<Ipv6Net>,
    /// The prefix the subnet comes from, or the one lost.
    pub prefix: Ipv6Net,
    /// The DHCP client's reason.
    pub reason: String,
    /// `--target nptv6`: the mapping now in place (none when it was removed).
    pub mapping: Option<Mapping>,
    /// `--target nptv6`: the mapping recorded as applied before the event (none after a
    /// reboot, a failed run, or when none was).
    pub old_mapping: Option<Mapping>,
}

/// Everything one event does.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub decision: Decision,
    /// Carried out in order, under the lock; the first failure stops the run.
    pub effects: Vec<Effect>,
    /// Told to the post-change scripts once every effect succeeded and the lock is released.
    pub change: Option<SubnetChange>,
}

/// Plans what `event` does to `targets` (in the order they are written).
pub fn plan(
    event: &HookEvent,
    targets: &[TargetNow],
    policy: &Policy,
    pending: Option<Pending>,
) -> Plan {
    let contents: Vec<Contents> = targets.iter().map(|t| t.contents.clone()).collect();
    let decision = decide(event, &contents, policy, pending);
    let before = contents.iter().find_map(Contents::subnet);
    let mut effects = vec![Effect::Log(level_of(&decision), decision.describe(event))];
    let (prefix, after) = match &decision {
        Decision::Apply {
            prefix,
            subnet,
            restart,
            ..
        } => {
            let after = subnet.net();
            if *restart {
                effects.push(Effect::RecordPending(Pending::Apply(*prefix)));
            }
            effects.extend(writes(targets, Some(after), |c| {
                (!c.is_written_for(subnet)).then(|| c.updated(subnet))
            }));
            if let Some(fallback) = policy.fallback.map(|f| f.net())
                && policy.fallback_nat66
                && before == Some(fallback)
            {
                effects.push(Effect::RemoveNat66(fallback));
            }
            if !*restart {
                return Plan {
                    decision,
                    effects,
                    change: None,
                };
            }
            effects.extend([Effect::RestartDocker, Effect::ClearPending]);
            (*prefix, Some(after))
        }
        Decision::Lost {
            prefix,
            action: LossAction::Withdraw,
            ..
        } => {
            effects.push(Effect::RecordPending(Pending::Withdraw(*prefix)));
            effects.extend(writes(targets, None, |c| {
                c.subnet().is_some().then(|| c.withdrawn())
            }));
            // Docker runs without the subnet now; should the lease bring the prefix back,
            // even as a renewal, docker must restart for it.
            effects.extend([
                Effect::RestartDocker,
                Effect::RecordPending(Pending::Withdrawn(*prefix)),
            ]);
            (*prefix, None)
        }
        Decision::Lost {
            prefix,
            action: LossAction::Fallback { subnet },
            ..
        } => {
            effects.push(Effect::RecordPending(Pending::Fallback(*prefix)));
            // The rule first: should it fail, docker has not moved to a subnet it cannot
            // route out of, and the owed fallback is retried by the next event.
            if policy.fallback_nat66 {
                effects.push(Effect::AddNat66(subnet.net()));
            }
            effects.extend(writes(targets, Some(subnet.net()), |c| {
                (!c.is_written_for(subnet)).then(|| c.updated(subnet))
            }));
            effects.extend([Effect::RestartDocker, Effect::ClearPending]);
            (*prefix, Some(subnet.net()))
        }
        _ => {
            return Plan {
                decision,
                effects,
                change: None,
            };
        }
    };
    let change = (before != after).then(|| SubnetChange {
        subnet: after,
        old_subnet: before,
        prefix,
        reason: event.reason.clone(),
        mapping: None,
        old_mapping: None,
    });
    Plan {
        decision,
        effects,
        change,
    }
}

/// The writes `new_bytes` asks for, preceded by the dockerd flag check when daemon.json is
/// among them, and by a warning when it turns IPv6 on against the admin's explicit `false`.
fn writes(
    targets: &[TargetNow],
    subnet: Option<Ipv6Net>,
    new_bytes: impl Fn(&Contents) -> Option<Vec<u8>>,
) -> Vec<Effect> {
    let mut effects = Vec::new();
    for target in targets {
        let Some(bytes) = new_bytes(&target.contents) else {
            continue;
        };
        // Taking the subnet out cannot clash with a flag, nor turn IPv6 on.
        if let Contents::DaemonJson(json) = &target.contents
            && subnet.is_some()
        {
            effects.push(Effect::RefuseDockerdFlags);
            if json.get_bool("ipv6") == Some(false) {
                effects.push(Effect::Log(
                    Level::Warning,
                    format!(
                        "{} has \"ipv6\": false; setting it to true, as fixed-cidr-v6 needs",
                        target.path.display()
                    ),
                ));
            }
        }
        effects.push(Effect::Write {
            path: target.path.clone(),
            kind: target.kind,
            subnet,
            bytes,
        });
    }
    effects
}

/// How loud the decision's own line is.
fn level_of(decision: &Decision) -> Level {
    match decision {
        Decision::Lost { .. } | Decision::Withdrawn { .. } => Level::Warning,
        _ => Level::Info,
    }
}

impl fmt::Display for Effect {
    /// What `--dry-run` prints for the effect (after "would ").
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Effect::Log(level, line) => write!(f, "log ({level}): {line}"),
            Effect::RecordPending(pending) => {
                write!(f, "record the owed restart: {pending}")
            }
            Effect::RefuseDockerdFlags => f.write_str(
                "check that dockerd gets no IPv6 setting as a flag (it would clash with daemon.json)",
            ),
            Effect::Write {
                path,
                kind: FileKind::DaemonJson,
                subnet: Some(subnet),
                ..
            } => write!(
                f,
                "set ipv6 and fixed-cidr-v6 to {subnet} in {}",
                path.display()
            ),
            Effect::Write {
                path,
                subnet: Some(_),
                bytes,
                ..
            } => write!(
                f,
                "write {} to {}",
                String::from_utf8_lossy(bytes).trim(),
                path.display()
            ),
            Effect::Write {
                path, subnet: None, ..
            } => write!(f, "take the subnet out of {}", path.display()),
            Effect::AddNat66(subnet) => write!(
                f,
                "masquerade {subnet} with ip6tables (nat POSTROUTING), unless already done"
            ),
            Effect::RemoveNat66(subnet) => write!(f, "stop masquerading {subnet}"),
            Effect::WireNptv6 {
                path,
                mapped,
                bytes,
            } => write!(
                f,
                "wire docker onto {mapped} (ipv6, fixed-cidr-v6 and default-address-pools) \
                 in {}:\n{}",
                path.display(),
                String::from_utf8_lossy(bytes).trim_end()
            ),
            Effect::ApplyMapping { mapping, script } => write!(
                f,
                "map {} onto {} with nft -f -:\n{}",
                mapping.public,
                mapping.mapped,
                script.trim_end()
            ),
            Effect::RemoveMapping { script } => {
                write!(f, "remove the mapping with nft -f -:\n{}", script.trim_end())
            }
            Effect::RestartDocker => f.write_str("restart docker"),
            Effect::ClearPending => f.write_str("clear the owed restart"),
        }
    }
}

#[cfg(test)]
#[path = "effect_tests.rs"]
mod tests;
