//! Decides what one hook event does to the prefix file and to docker.
//!
//! Pure: given the event and the file's current bytes it returns a plan, which the hook
//! carries out, `--dry-run` prints, and the unit tests below check case by case.

use ipnet::Ipv6Net;

use crate::event::HookEvent;
use crate::subnet::Subnet;
use crate::target::Contents;

/// What to do for one event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Plan {
    /// The event carries no delegated prefix (PREINIT6, DEPREF6, EXPIRE6, RELEASE6, STOP6).
    NoPrefix,
    /// The server withdrew the prefix (a lifetime of 0): it must not become docker's subnet.
    Withdrawn { prefix: Ipv6Net },
    /// A renewal of a prefix that does not hold the subnet in a target file. With two delegated
    /// prefixes, or while a renumbered-away prefix lingers in the lease, the published hook
    /// flips the file back and forth on every renewal; we keep what the file holds.
    KeepCurrent { prefix: Ipv6Net, current: Ipv6Net },
    /// The target files must hold `subnet`: write those that do not (`write` says whether
    /// any needs it), then restart docker when the published hook would (the prefix is not
    /// the previous lease's).
    Apply {
        subnet: Subnet,
        write: bool,
        restart: bool,
    },
}

/// Decides what `event` does, given what each target file holds now.
pub fn decide(event: &HookEvent, targets: &[Contents]) -> Plan {
    let Some(new) = &event.new else {
        return Plan::NoPrefix;
    };
    if event.withdrawn {
        return Plan::Withdrawn { prefix: new.prefix };
    }
    let outside = targets
        .iter()
        .filter_map(Contents::held)
        .find(|held| !new.prefix.trunc().contains(held));
    if event.is_renewal()
        && let Some(current) = outside
    {
        return Plan::KeepCurrent {
            prefix: new.prefix,
            current,
        };
    }
    Plan::Apply {
        subnet: new.subnet,
        write: !targets.iter().all(|t| t.holds(&new.subnet)),
        restart: !event.is_renewal(),
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
            Plan::NoPrefix => format!("{reason}: no delegated prefix in this event, nothing to do"),
            Plan::Withdrawn { prefix } => {
                format!("{reason}: prefix {prefix} was withdrawn (lifetime 0), file left as it is")
            }
            Plan::KeepCurrent { prefix, current } => format!(
                "{reason}: renewal of {prefix}, which does not hold the configured subnet \
                 {current}; file left as it is"
            ),
            Plan::Apply { subnet, write, .. } => {
                let prefix = event.new.map(|n| n.prefix.to_string()).unwrap_or_default();
                let old = match event.old {
                    Some(old) => old.to_string(),
                    None => "none".to_string(),
                };
                let what = if *write {
                    "subnet"
                } else {
                    "subnet (already in the file)"
                };
                format!("{reason}: prefix {prefix} (previous {old}) gives {what} {subnet}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::Kind;
    use std::ffi::OsString;

    const FILE_100: &[u8] = b"2001:0db8:0000:0100:0000:0000:0000:0000/80\n";
    const FILE_200: &[u8] = b"2001:0db8:0000:0200:0000:0000:0000:0000/80\n";

    fn event(new: &str, old: &str) -> HookEvent {
        event_with(&[
            ("reason", "BOUND6"),
            ("new_ip6_prefix", new),
            ("old_ip6_prefix", old),
        ])
    }

    fn event_with(vars: &[(&str, &str)]) -> HookEvent {
        HookEvent::read(
            |name| {
                vars.iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| OsString::from(v))
            },
            80,
        )
        .unwrap()
    }

    /// The prefix file holding `bytes` (`None`: no file), as the only target.
    fn file(bytes: Option<&[u8]>) -> [Contents; 1] {
        [Contents::PrefixFile(bytes.map(<[u8]>::to_vec))]
    }

    fn apply(write: bool, restart: bool) -> Plan {
        Plan::Apply {
            subnet: Subnet::first_of("2001:db8:0:100::/60".parse().unwrap(), 80).unwrap(),
            write,
            restart,
        }
    }

    #[test]
    fn first_lease_writes_and_restarts() {
        assert_eq!(
            decide(&event("2001:db8:0:100::/60", ""), &file(None)),
            apply(true, true)
        );
        assert_eq!(
            decide(&event("2001:db8:0:100::/60", ""), &file(Some(b""))),
            apply(true, true)
        );
    }

    #[test]
    fn new_prefix_with_unchanged_file_restarts_without_writing() {
        let plan = decide(&event("2001:db8:0:100::/60", ""), &file(Some(FILE_100)));
        assert_eq!(plan, apply(false, true));
    }

    #[test]
    fn renewal_with_matching_file_does_nothing() {
        let plan = decide(
            &event("2001:db8:0:100::/60", "2001:db8:0:100::/60"),
            &file(Some(FILE_100)),
        );
        assert_eq!(plan, apply(false, false));
    }

    #[test]
    fn renewal_with_missing_or_garbage_file_writes_without_restart() {
        let e = event("2001:db8:0:100::/60", "2001:db8:0:100::/60");
        assert_eq!(decide(&e, &file(None)), apply(true, false));
        assert_eq!(decide(&e, &file(Some(b"/80\n"))), apply(true, false));
        assert_eq!(decide(&e, &file(Some(b""))), apply(true, false));
    }

    #[test]
    fn renewal_of_another_prefix_keeps_the_file() {
        let plan = decide(
            &event("2001:db8:0:100::/60", "2001:db8:0:100::/60"),
            &file(Some(FILE_200)),
        );
        assert_eq!(
            plan,
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
        assert_eq!(decide(&e, &file(Some(other))), apply(true, false));
        assert_eq!(
            decide(&e, &file(Some(b"2001:db8:0:100::/80"))),
            apply(true, false)
        );
    }

    #[test]
    fn a_new_prefix_moves_the_file_even_from_a_valid_subnet() {
        let plan = decide(&event("2001:db8:0:100::/60", ""), &file(Some(FILE_200)));
        assert_eq!(plan, apply(true, true));
        let plan = decide(
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
        assert!(matches!(decide(&e, &file(None)), Plan::Withdrawn { .. }));
    }

    #[test]
    fn no_prefix_does_nothing() {
        let e = event_with(&[("reason", "RELEASE6"), ("old_ip6_prefix", "2001:db8::/60")]);
        assert_eq!(decide(&e, &file(Some(FILE_100))), Plan::NoPrefix);
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
        assert!(matches!(decide(&e, &both), Plan::KeepCurrent { .. }));
        let both = [Contents::PrefixFile(Some(FILE_100.to_vec())), json("{}")];
        assert_eq!(decide(&e, &both), apply(true, false));
        let both = [
            Contents::PrefixFile(Some(FILE_100.to_vec())),
            json(r#"{"ipv6": true, "fixed-cidr-v6": "2001:db8:0:100::/80"}"#),
        ];
        assert_eq!(decide(&e, &both), apply(false, false));
    }

    #[test]
    fn description_names_reason_prefix_and_subnet() {
        let e = event("2001:db8:0:100::/60", "");
        let line = decide(&e, &file(None)).describe(&e);
        assert_eq!(
            line,
            "BOUND6: prefix 2001:db8:0:100::/60 (previous none) gives subnet \
             2001:0db8:0000:0100:0000:0000:0000:0000/80"
        );
    }
}
