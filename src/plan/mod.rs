//! Decides what one hook event does to the target files and to docker.
//!
//! Pure: given the event, what each target file holds now and the loss policy, it returns a
//! plan, which the hook carries out, `--dry-run` prints, and the unit tests below check
//! case by case.

pub mod daemon_json;
pub mod target;

use ipnet::Ipv6Net;

use crate::event::HookEvent;
use crate::plan::target::Contents;
use crate::settings::OnLoss;
use crate::subnet::Subnet;

/// The settings a decision depends on besides the event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    pub on_loss: OnLoss,
    /// The unique local subnet `fallback` moves to (only known when it may be in use).
    pub fallback: Option<Subnet>,
}

/// What a loss leads to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LossAction {
    Keep,
    Withdraw,
    Fallback { subnet: Subnet },
}

/// What to do for one event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Plan {
    /// The event carries no delegated prefix (PREINIT6, DEPREF6), or loses a prefix that
    /// does not hold the configured subnet.
    NoPrefix,
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
    },
    /// The prefix holding the configured subnet `current` expired or was released.
    Lost {
        prefix: Ipv6Net,
        current: Ipv6Net,
        action: LossAction,
    },
}

/// Decides what `event` does, given what each target file holds now and the prefix whose
/// apply a previous run could not finish (see `unfinished`).
pub fn decide(
    event: &HookEvent,
    targets: &[Contents],
    policy: &Policy,
    unfinished: Option<Ipv6Net>,
) -> Plan {
    if event.new.is_empty() {
        return decide_loss(event, targets, policy);
    }
    let live: Vec<_> = event
        .new
        .iter()
        .filter(|p| !p.withdrawn)
        .map(|p| p.delegated)
        .collect();
    let Some(first) = live.first() else {
        return Plan::Withdrawn {
            prefix: event.new[0].delegated.prefix,
        };
    };
    let fallback = policy.fallback.map(|f| f.net());
    let on_fallback = fallback.is_some() && targets.iter().any(|t| t.held() == fallback);
    // The fallback subnet never holds a prefix back from returning.
    let held: Vec<Ipv6Net> = targets
        .iter()
        .filter_map(Contents::held)
        .filter(|h| Some(*h) != fallback)
        .collect();
    // Stay in the prefix that holds the subnet now; else take the first, in message order.
    let holder = live
        .iter()
        .find(|p| held.iter().any(|h| p.prefix.trunc().contains(h)));
    let chosen = holder.unwrap_or(first);
    // Finishing what failed last time is not a renewal, whatever the lease says.
    let retry = unfinished.is_some_and(|u| u.trunc() == chosen.prefix.trunc());
    let renewal = event.was_in_old_lease(&chosen.prefix) && !retry;
    if renewal
        && !event.complete
        && let Some(current) = held.iter().find(|h| !chosen.prefix.trunc().contains(*h))
    {
        return Plan::KeepCurrent {
            prefix: chosen.prefix,
            current: *current,
        };
    }
    // dhcpcd lists the whole lease: a subnet in none of its prefixes is in a dead one.
    let leaves_dead_prefix = event.complete && holder.is_none() && !held.is_empty();
    Plan::Apply {
        prefix: chosen.prefix,
        subnet: chosen.subnet,
        write: !targets.iter().all(|t| t.holds(&chosen.subnet)),
        restart: !renewal || leaves_dead_prefix || on_fallback,
    }
}

/// A loss (EXPIRE6, RELEASE6, STOP6) triggers the policy only for the prefix that holds
/// the configured subnet.
fn decide_loss(event: &HookEvent, targets: &[Contents], policy: &Policy) -> Plan {
    if !event.is_loss() {
        return Plan::NoPrefix;
    }
    let held: Vec<Ipv6Net> = targets.iter().filter_map(Contents::held).collect();
    let Some((prefix, current)) = event.old.iter().find_map(|p| {
        held.iter()
            .find(|h| p.trunc().contains(*h))
            .map(|h| (*p, *h))
    }) else {
        return Plan::NoPrefix;
    };
    let action = match (policy.on_loss, policy.fallback) {
        (OnLoss::Withdraw, _) => LossAction::Withdraw,
        (OnLoss::Fallback, Some(subnet)) => LossAction::Fallback { subnet },
        _ => LossAction::Keep,
    };
    Plan::Lost {
        prefix,
        current,
        action,
    }
}

impl Plan {
    /// One line for the log and for `--dry-run`, saying what this plan is and why.
    pub fn describe(&self, event: &HookEvent) -> String {
        let reason = if event.reason.is_empty() {
            "no reason given"
        } else {
            &event.reason
        };
        match self {
            Plan::NoPrefix => format!(
                "{reason}: no delegated prefix for the configured subnet in this event, nothing to do"
            ),
            Plan::Withdrawn { prefix } => {
                format!(
                    "{reason}: prefix {prefix} was withdrawn (lifetime 0), files left as they are"
                )
            }
            Plan::KeepCurrent { prefix, current } => format!(
                "{reason}: renewal of {prefix}, which does not hold the configured subnet \
                 {current}; files left as they are"
            ),
            Plan::Apply {
                prefix,
                subnet,
                write,
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
                format!("{reason}: prefix {prefix} (previous {old}) gives {what} {subnet}")
            }
            Plan::Lost {
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
                format!(
                    "{reason}: prefix {prefix}, which holds the configured subnet {current}, is gone; {what}"
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::HookEvent;
    use crate::event::tests::env;
    use crate::plan::target::Kind;
    use crate::settings::Client;

    const FILE_100: &[u8] = b"2001:0db8:0000:0100:0000:0000:0000:0000/80\n";
    const FILE_200: &[u8] = b"2001:0db8:0000:0200:0000:0000:0000:0000/80\n";
    const FILE_ULA: &[u8] = b"fd00:0000:0000:0000:0000:0000:0000:0000/80\n";

    fn subnet(p: &str) -> Subnet {
        Subnet::first_of(p.parse().unwrap(), 80).unwrap()
    }

    fn policy(on_loss: OnLoss) -> Policy {
        Policy {
            on_loss,
            fallback: Some(subnet("fd00::/48")),
        }
    }

    fn event(new: &str, old: &str) -> HookEvent {
        event_with(&[
            ("reason", "BOUND6"),
            ("new_ip6_prefix", new),
            ("old_ip6_prefix", old),
        ])
    }

    fn event_with(vars: &[(&str, &str)]) -> HookEvent {
        HookEvent::read(&env(vars), 80, Client::Auto).unwrap()
    }

    /// The prefix file holding `bytes` (`None`: no file), as the only target.
    fn file(bytes: Option<&[u8]>) -> [Contents; 1] {
        [Contents::PrefixFile(bytes.map(<[u8]>::to_vec))]
    }

    fn decide_keep(e: &HookEvent, targets: &[Contents]) -> Plan {
        decide(e, targets, &policy(OnLoss::Keep), None)
    }

    fn apply_on(prefix: &str, write: bool, restart: bool) -> Plan {
        Plan::Apply {
            prefix: prefix.parse().unwrap(),
            subnet: subnet(prefix),
            write,
            restart,
        }
    }

    fn apply(write: bool, restart: bool) -> Plan {
        apply_on("2001:db8:0:100::/60", write, restart)
    }

    #[test]
    fn first_lease_writes_and_restarts() {
        assert_eq!(
            decide_keep(&event("2001:db8:0:100::/60", ""), &file(None)),
            apply(true, true)
        );
        assert_eq!(
            decide_keep(&event("2001:db8:0:100::/60", ""), &file(Some(b""))),
            apply(true, true)
        );
    }

    #[test]
    fn new_prefix_with_unchanged_file_restarts_without_writing() {
        let plan = decide_keep(&event("2001:db8:0:100::/60", ""), &file(Some(FILE_100)));
        assert_eq!(plan, apply(false, true));
    }

    #[test]
    fn renewal_with_matching_file_does_nothing() {
        let e = event("2001:db8:0:100::/60", "2001:db8:0:100::/60");
        assert_eq!(decide_keep(&e, &file(Some(FILE_100))), apply(false, false));
    }

    #[test]
    fn renewal_with_missing_or_garbage_file_writes_without_restart() {
        let e = event("2001:db8:0:100::/60", "2001:db8:0:100::/60");
        assert_eq!(decide_keep(&e, &file(None)), apply(true, false));
        assert_eq!(decide_keep(&e, &file(Some(b"/80\n"))), apply(true, false));
        assert_eq!(decide_keep(&e, &file(Some(b""))), apply(true, false));
    }

    #[test]
    fn renewal_of_another_prefix_keeps_the_file() {
        let e = event("2001:db8:0:100::/60", "2001:db8:0:100::/60");
        assert_eq!(
            decide_keep(&e, &file(Some(FILE_200))),
            Plan::KeepCurrent {
                prefix: "2001:db8:0:100::/60".parse().unwrap(),
                current: "2001:db8:0:200::/80".parse().unwrap(),
            }
        );
    }

    #[test]
    fn renewal_rewrites_a_subnet_inside_the_prefix_that_is_not_its_first() {
        let e = event("2001:db8:0:100::/60", "2001:db8:0:100::/60");
        let other = b"2001:0db8:0000:0100:0000:0001:0000:0000/80\n";
        assert_eq!(decide_keep(&e, &file(Some(other))), apply(true, false));
        assert_eq!(
            decide_keep(&e, &file(Some(b"2001:db8:0:100::/80"))),
            apply(true, false)
        );
    }

    #[test]
    fn a_new_prefix_moves_the_file_even_from_a_valid_subnet() {
        let plan = decide_keep(&event("2001:db8:0:100::/60", ""), &file(Some(FILE_200)));
        assert_eq!(plan, apply(true, true));
        let plan = decide_keep(
            &event("2001:db8:0:100::/60", "2001:db8:0:200::/60"),
            &file(Some(FILE_200)),
        );
        assert_eq!(plan, apply(true, true));
    }

    #[test]
    fn withdrawn_prefix_is_never_applied() {
        let e = event_with(&[
            ("new_ip6_prefix", "2001:db8:0:100::/60"),
            ("old_ip6_prefix", "2001:db8:0:100::/60"),
            ("new_max_life", "0"),
            ("new_preferred_life", "0"),
        ]);
        assert!(matches!(
            decide_keep(&e, &file(None)),
            Plan::Withdrawn { .. }
        ));
    }

    #[test]
    fn no_prefix_does_nothing() {
        let e = event_with(&[("reason", "DEPREF6"), ("cur_ip6_prefix", "2001:db8::/60")]);
        assert_eq!(decide_keep(&e, &file(Some(FILE_100))), Plan::NoPrefix);
    }

    #[test]
    fn with_two_targets_any_subnet_outside_keeps_both_and_any_stale_one_is_written() {
        let e = event("2001:db8:0:100::/60", "2001:db8:0:100::/60");
        let json =
            |t: &str| Contents::parse(Kind::DaemonJson, Some(t.as_bytes().to_vec())).unwrap();
        let both = [
            Contents::PrefixFile(Some(FILE_100.to_vec())),
            json(r#"{"ipv6": true, "fixed-cidr-v6": "2001:db8:0:200::/80"}"#),
        ];
        assert!(matches!(decide_keep(&e, &both), Plan::KeepCurrent { .. }));
        let both = [Contents::PrefixFile(Some(FILE_100.to_vec())), json("{}")];
        assert_eq!(decide_keep(&e, &both), apply(true, false));
        let both = [
            Contents::PrefixFile(Some(FILE_100.to_vec())),
            json(r#"{"ipv6": true, "fixed-cidr-v6": "2001:db8:0:100::/80"}"#),
        ];
        assert_eq!(decide_keep(&e, &both), apply(false, false));
    }

    fn dhcpcd(reason: &str, new: &[&str], old: &[&str]) -> HookEvent {
        let mut vars: Vec<(String, String)> = vec![("reason".into(), reason.into())];
        for (side, list) in [("new", new), ("old", old)] {
            for (i, p) in list.iter().enumerate() {
                let (addr, len) = p.split_once('/').unwrap();
                let name = format!("{side}_dhcp6_ia_pd{}_prefix1", i + 1);
                vars.push((format!("{name}_length"), len.into()));
                vars.push((name, addr.into()));
            }
        }
        let pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        event_with(&pairs)
    }

    #[test]
    fn dhcpcd_stays_in_the_prefix_that_holds_the_subnet() {
        let p = ["2001:db8:0:100::/60", "2001:db8:0:200::/60"];
        // First exchange: the first prefix in message order.
        assert_eq!(
            decide_keep(&dhcpcd("BOUND6", &p, &[]), &file(None)),
            apply(true, true)
        );
        // Renewals, in either order: stay.
        let reversed = [p[1], p[0]];
        assert_eq!(
            decide_keep(&dhcpcd("RENEW6", &reversed, &p), &file(Some(FILE_100))),
            apply(false, false)
        );
        assert_eq!(
            decide_keep(&dhcpcd("REBOOT6", &p, &p), &file(Some(FILE_100))),
            apply(false, false)
        );
        // A new lease that still has our prefix, among others, also stays.
        assert_eq!(
            decide_keep(&dhcpcd("BOUND6", &reversed, &[]), &file(Some(FILE_100))),
            apply(false, true)
        );
    }

    #[test]
    fn dhcpcd_leaves_a_prefix_the_lease_no_longer_has() {
        // The file's prefix is gone from the lease; the remaining one is a renewal, yet the
        // subnet must move, and docker must restart for it.
        let e = dhcpcd("RENEW6", &["2001:db8:0:200::/60"], &["2001:db8:0:200::/60"]);
        assert_eq!(
            decide_keep(&e, &file(Some(FILE_100))),
            apply_on("2001:db8:0:200::/60", true, true)
        );
    }

    #[test]
    fn loss_of_the_prefix_holding_the_subnet_follows_the_policy() {
        let e = event_with(&[
            ("reason", "EXPIRE6"),
            ("old_ip6_prefix", "2001:db8:0:100::/60"),
        ]);
        let lost = |action| Plan::Lost {
            prefix: "2001:db8:0:100::/60".parse().unwrap(),
            current: "2001:db8:0:100::/80".parse().unwrap(),
            action,
        };
        let held = file(Some(FILE_100));
        assert_eq!(
            decide(&e, &held, &policy(OnLoss::Keep), None),
            lost(LossAction::Keep)
        );
        assert_eq!(
            decide(&e, &held, &policy(OnLoss::Withdraw), None),
            lost(LossAction::Withdraw)
        );
        assert_eq!(
            decide(&e, &held, &policy(OnLoss::Fallback), None),
            lost(LossAction::Fallback {
                subnet: subnet("fd00::/48")
            })
        );
    }

    #[test]
    fn loss_of_another_prefix_never_triggers_the_policy() {
        for reason in ["EXPIRE6", "RELEASE6", "STOP6"] {
            let e = event_with(&[
                ("reason", reason),
                ("old_ip6_prefix", "2001:db8:0:200::/60"),
            ]);
            assert_eq!(
                decide(&e, &file(Some(FILE_100)), &policy(OnLoss::Withdraw), None),
                Plan::NoPrefix
            );
        }
        let e = event_with(&[
            ("reason", "DEPREF6"),
            ("old_ip6_prefix", "2001:db8:0:100::/60"),
        ]);
        assert_eq!(
            decide(&e, &file(Some(FILE_100)), &policy(OnLoss::Withdraw), None),
            Plan::NoPrefix
        );
        let e = dhcpcd("EXPIRE6", &[], &["2001:db8:0:100::/60"]);
        assert!(matches!(
            decide(&e, &file(Some(FILE_100)), &policy(OnLoss::Withdraw), None),
            Plan::Lost { .. }
        ));
    }

    #[test]
    fn a_returning_prefix_replaces_the_fallback_and_restarts_even_as_a_renewal() {
        let e = event("2001:db8:0:100::/60", "");
        assert_eq!(
            decide(&e, &file(Some(FILE_ULA)), &policy(OnLoss::Fallback), None),
            apply(true, true)
        );
        let e = event("2001:db8:0:100::/60", "2001:db8:0:100::/60");
        assert_eq!(
            decide(&e, &file(Some(FILE_ULA)), &policy(OnLoss::Fallback), None),
            apply(true, true)
        );
    }

    #[test]
    fn an_unfinished_apply_is_finished_by_the_next_renewal_of_its_prefix() {
        let e = event("2001:db8:0:100::/60", "2001:db8:0:100::/60");
        let unfinished = Some("2001:db8:0:100::/60".parse().unwrap());
        // The write failed: the file still holds the old prefix's subnet.
        let plan = decide(&e, &file(Some(FILE_200)), &policy(OnLoss::Keep), unfinished);
        assert_eq!(plan, apply(true, true));
        // The restart failed: the file is right, docker is not.
        let plan = decide(&e, &file(Some(FILE_100)), &policy(OnLoss::Keep), unfinished);
        assert_eq!(plan, apply(false, true));
        // Another prefix's unfinished apply changes nothing here.
        let other = Some("2001:db8:0:300::/60".parse().unwrap());
        let plan = decide(&e, &file(Some(FILE_100)), &policy(OnLoss::Keep), other);
        assert_eq!(plan, apply(false, false));
    }

    #[test]
    fn description_names_reason_prefix_and_subnet() {
        let e = event("2001:db8:0:100::/60", "");
        let line = decide_keep(&e, &file(None)).describe(&e);
        assert_eq!(
            line,
            "BOUND6: prefix 2001:db8:0:100::/60 (previous none) gives subnet \
             2001:0db8:0000:0100:0000:0000:0000:0000/80"
        );
    }
}
