//! Which situation one event is in: a new prefix to apply, a renewal, a withdrawn or lost
//! prefix, or nothing for us. Pure; `effect` turns the decision into the effects to carry out.

use ipnet::Ipv6Net;

use crate::event::HookEvent;
use crate::plan::pending::Pending;
use crate::plan::target::Contents;
use crate::settings::OnLoss;
use crate::subnet::Subnet;

/// The settings a decision depends on besides the event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    pub on_loss: OnLoss,
    /// The unique local subnet `fallback` moves to (only known when it may be in use).
    pub fallback: Option<Subnet>,
    /// The fallback subnet needs our own NAT66 rule (docker does not masquerade it).
    pub fallback_nat66: bool,
}

/// What a loss leads to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LossAction {
    Keep,
    Withdraw,
    Fallback { subnet: Subnet },
}

/// The situation one event is in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// The event carries no delegated prefix (PREINIT6, DEPREF6).
    NoPrefix,
    /// The event loses a prefix that does not hold the configured subnet.
    OtherPrefixLost { prefix: Ipv6Net },
    /// Every prefix of the event was withdrawn (a lifetime of 0): none becomes docker's.
    Withdrawn { prefix: Ipv6Net },
    /// A renewal of a prefix that does not hold the subnet in a target file. With two
    /// delegated prefixes, or while a renumbered-away prefix lingers in the lease, the
    /// published hook flips the file on every renewal; we keep what the file holds.
    KeepCurrent { prefix: Ipv6Net, current: Ipv6Net },
    /// The target files must hold `subnet` of `prefix`: write those that do not (`write`
    /// says whether any needs it), then restart docker when the published hook would (the
    /// prefix is not the previous lease's), or when the subnet leaves a dead prefix or the
    /// fallback.
    Apply {
        prefix: Ipv6Net,
        subnet: Subnet,
        write: bool,
        restart: bool,
        /// The restart is one a previous run owes (the lease alone calls this a renewal).
        owed: bool,
    },
    /// The prefix holding the configured subnet `current` expired or was released (or the
    /// loss policy a previous run started for it is still owed: `current` may then be gone).
    Lost {
        prefix: Ipv6Net,
        current: Option<Ipv6Net>,
        action: LossAction,
    },
}

/// Decides what `event` does, given what each target file holds now and the restart a
/// previous run still owes (see [`Pending`]).
pub fn decide(
    event: &HookEvent,
    targets: &[Contents],
    policy: &Policy,
    pending: Option<Pending>,
) -> Decision {
    if event.new.is_empty() {
        return decide_loss(event, targets, policy, pending);
    }
    let live: Vec<_> = event
        .new
        .iter()
        .filter(|p| !p.withdrawn)
        .map(|p| p.delegated)
        .collect();
    let Some(first) = live.first() else {
        return Decision::Withdrawn {
            prefix: event.new[0].delegated.prefix,
        };
    };
    let fallback = policy.fallback.map(|f| f.net());
    let on_fallback = fallback.is_some() && targets.iter().any(|t| t.subnet() == fallback);
    // The fallback subnet never holds a prefix back from returning.
    let held: Vec<Ipv6Net> = targets
        .iter()
        .filter_map(Contents::subnet)
        .filter(|h| Some(*h) != fallback)
        .collect();
    // Stay in the prefix that holds the subnet now; else take the first, in message order.
    let holder = live
        .iter()
        .find(|p| held.iter().any(|h| p.prefix.trunc().contains(h)));
    let chosen = holder.unwrap_or(first);
    // Finishing what failed last time is not a renewal, whatever the lease says.
    let retry = pending.is_some_and(|p| p.is_for(&chosen.prefix));
    let renewal = event.was_in_old_lease(&chosen.prefix) && !retry;
    if renewal
        && !event.lists_whole_lease
        && let Some(current) = held.iter().find(|h| !chosen.prefix.trunc().contains(*h))
    {
        return Decision::KeepCurrent {
            prefix: chosen.prefix,
            current: *current,
        };
    }
    let held_nothing = targets.iter().all(|t| t.subnet().is_none());
    // dhcpcd lists the whole lease: a subnet in none of its prefixes is in a dead one.
    let leaves_dead_prefix = event.lists_whole_lease && holder.is_none() && !held.is_empty();
    Decision::Apply {
        prefix: chosen.prefix,
        subnet: chosen.subnet,
        write: !targets.iter().all(|t| t.is_written_for(&chosen.subnet)),
        // A renewal that finds no valid subnet in any target (missing, empty, garbage; the
        // reboot after which dhclient and dhcpcd rebind from their lease files) means docker
        // cannot be running with it: an init script under `set -e` did not even start it.
        restart: !renewal || leaves_dead_prefix || on_fallback || held_nothing,
        owed: retry && event.was_in_old_lease(&chosen.prefix),
    }
}

/// A loss (EXPIRE6, RELEASE6, STOP6) triggers the policy only for the prefix that holds
/// the configured subnet, or for the prefix whose loss a previous run did not finish.
fn decide_loss(
    event: &HookEvent,
    targets: &[Contents],
    policy: &Policy,
    pending: Option<Pending>,
) -> Decision {
    if !event.is_loss() {
        return Decision::NoPrefix;
    }
    let held: Vec<Ipv6Net> = targets.iter().filter_map(Contents::subnet).collect();
    let holder = event.old.iter().find_map(|p| {
        held.iter()
            .find(|h| p.trunc().contains(*h))
            .map(|h| (*p, Some(*h)))
    });
    let unfinished_loss = || match pending {
        Some(Pending::Withdraw(p) | Pending::Fallback(p)) => event
            .old
            .iter()
            .find(|old| old.trunc() == p.trunc())
            .map(|old| (*old, held.first().copied())),
        _ => None,
    };
    let Some((prefix, current)) = holder.or_else(unfinished_loss) else {
        return match event.old.first() {
            Some(prefix) => Decision::OtherPrefixLost { prefix: *prefix },
            None => Decision::NoPrefix,
        };
    };
    let action = match (policy.on_loss, policy.fallback) {
        (OnLoss::Withdraw, _) => LossAction::Withdraw,
        (OnLoss::Fallback, Some(subnet)) => LossAction::Fallback { subnet },
        _ => LossAction::Keep,
    };
    Decision::Lost {
        prefix,
        current,
        action,
    }
}

impl Decision {
    /// One line for the log and for `--dry-run`, saying what this plan is and why.
    pub fn describe(&self, event: &HookEvent) -> String {
        let reason = if event.reason.is_empty() {
            "no reason given"
        } else {
            &event.reason
        };
        match self {
            Decision::NoPrefix => {
                format!("{reason}: no delegated prefix in this event, nothing to do")
            }
            Decision::OtherPrefixLost { prefix } => format!(
                "{reason}: prefix {prefix} is gone, but it does not hold the configured subnet; \
                 nothing to do"
            ),
            Decision::Withdrawn { prefix } => {
                format!(
                    "{reason}: prefix {prefix} was withdrawn (lifetime 0), files left as they are"
                )
            }
            Decision::KeepCurrent { prefix, current } => format!(
                "{reason}: renewal of {prefix}, which does not hold the configured subnet \
                 {current}; files left as they are"
            ),
            Decision::Apply {
                prefix,
                subnet,
                write,
                owed,
                ..
            } => {
                let old: Vec<String> = event.old.iter().map(ToString::to_string).collect();
                let old = if old.is_empty() {
                    "none".to_string()
                } else {
                    old.join(", ")
                };
                let what = if *write {
                    "subnet"
                } else {
                    "subnet (already configured)"
                };
                let owed = if *owed {
                    "; docker restarts for it, which a previous run did not finish"
                } else {
                    ""
                };
                let subnet = subnet.net();
                format!("{reason}: prefix {prefix} (previous {old}) gives {what} {subnet}{owed}")
            }
            Decision::Lost {
                prefix,
                current,
                action,
            } => {
                let what = match action {
                    LossAction::Keep => "keeping it (on-loss = keep)".to_string(),
                    LossAction::Withdraw => "withdrawing it (on-loss = withdraw)".to_string(),
                    LossAction::Fallback { subnet } => {
                        format!("falling back to {} (on-loss = fallback)", subnet.net())
                    }
                };
                let holds = match current {
                    Some(current) => format!("which holds the configured subnet {current}"),
                    None => "whose loss a previous run did not finish".to_string(),
                };
                format!("{reason}: prefix {prefix}, {holds}, is gone; {what}")
            }
        }
    }
}

#[cfg(test)]
#[path = "decision_tests.rs"]
mod tests;
