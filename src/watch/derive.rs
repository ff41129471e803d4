//! What one read of networkd's prefixes means, next to the lease last handed to the plan:
//! a new prefix, a renewal (the lifetimes moved, nothing else), a loss, or nothing at all.
//! Pure; the event it gives is the one the hooks' plan takes.

use std::ffi::OsStr;

use ipnet::Ipv6Net;

use crate::error::InputError;
use crate::event::HookEvent;
use crate::event::networkd::Delegation;
use crate::event::prefix::{NewPrefix, parse_delegated};
use crate::subnet::SubnetChoice;

/// The name a refused networkd prefix is reported under.
pub const NETWORKD_PREFIX: &str = "networkd's delegated prefix";

/// The lease the plan last had, as the watch remembers it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Previous {
    /// The prefixes last handed to the plan (from the lease record at start).
    pub prefixes: Vec<Ipv6Net>,
    /// They were read in this boot, so their absence now is a loss. After a reboot networkd
    /// takes a while to lease again: absence then is not yet a loss.
    pub this_boot: bool,
    /// The last read exactly, lifetimes included, when this process made one: the same read
    /// again (the periodic one) is nothing.
    pub last_read: Option<Vec<Delegation>>,
}

/// The event `read` (the uplink's live prefixes at `now`) makes, or `None` when nothing
/// happened. Each prefix must hold the subnet `choice` takes.
pub fn derive(
    previous: &Previous,
    read: &[Delegation],
    now: u64,
    choice: SubnetChoice,
) -> Result<Option<HookEvent>, InputError> {
    if previous.last_read.as_deref() == Some(read) {
        return Ok(None);
    }
    if read.is_empty() {
        if previous.prefixes.is_empty() || !previous.this_boot {
            return Ok(None);
        }
        return Ok(Some(HookEvent {
            reason: "EXPIRE6".into(),
            new: Vec::new(),
            old: previous.prefixes.clone(),
            lists_whole_lease: true,
        }));
    }
    let new = read
        .iter()
        .map(|d| {
            let text = d.prefix.to_string();
            Ok(NewPrefix {
                delegated: parse_delegated(NETWORKD_PREFIX, OsStr::new(&text), choice)?,
                withdrawn: d.deprecated(now),
            })
        })
        .collect::<Result<Vec<_>, InputError>>()?;
    let same = same_networks(&previous.prefixes, read.iter().map(|d| d.prefix));
    Ok(Some(HookEvent {
        reason: if same { "RENEW6" } else { "BOUND6" }.into(),
        new,
        old: previous.prefixes.clone(),
        lists_whole_lease: true,
    }))
}

/// True when both lists hold the same networks, in any order and spelling.
pub fn same_networks(old: &[Ipv6Net], new: impl Iterator<Item = Ipv6Net>) -> bool {
    let mut old: Vec<Ipv6Net> = old.iter().map(Ipv6Net::trunc).collect();
    let mut new: Vec<Ipv6Net> = new.map(|n| n.trunc()).collect();
    old.sort();
    old.dedup();
    new.sort();
    new.dedup();
    old == new
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lease(prefix: &str, valid_until: u64) -> Delegation {
        Delegation {
            prefix: prefix.parse().unwrap(),
            preferred_until: Some(valid_until - 30_000_000),
            valid_until: Some(valid_until),
        }
    }

    fn previous(prefixes: &[&str], this_boot: bool) -> Previous {
        Previous {
            prefixes: prefixes.iter().map(|p| p.parse().unwrap()).collect(),
            this_boot,
            last_read: None,
        }
    }

    const NOW: u64 = 1_000_000_000;

    #[test]
    fn a_first_prefix_is_bound_and_a_different_one_too() {
        let read = [lease("2001:db8:1::/56", NOW + 60_000_000)];
        let event = derive(&previous(&[], true), &read, NOW, SubnetChoice::first(80))
            .unwrap()
            .unwrap();
        assert_eq!(event.reason, "BOUND6");
        assert_eq!(event.new[0].delegated.prefix.to_string(), "2001:db8:1::/56");
        assert!(event.old.is_empty() && event.lists_whole_lease);
        let event = derive(
            &previous(&["2001:db8:2::/56"], false),
            &read,
            NOW,
            SubnetChoice::first(80),
        )
        .unwrap()
        .unwrap();
        assert_eq!(event.reason, "BOUND6");
        assert!(!event.was_in_old_lease(&event.new[0].delegated.prefix));
    }

    #[test]
    fn the_same_prefix_with_moved_lifetimes_is_a_renewal_and_the_same_read_nothing() {
        let read = vec![lease("2001:db8:1::/56", NOW + 60_000_000)];
        let mut before = previous(&["2001:db8:1::/56"], true);
        let event = derive(&before, &read, NOW, SubnetChoice::first(80))
            .unwrap()
            .unwrap();
        assert_eq!(event.reason, "RENEW6");
        assert!(event.was_in_old_lease(&event.new[0].delegated.prefix));
        before.last_read = Some(read.clone());
        assert_eq!(
            derive(&before, &read, NOW, SubnetChoice::first(80)).unwrap(),
            None
        );
        let renewed = vec![lease("2001:db8:1::/56", NOW + 90_000_000)];
        let event = derive(&before, &renewed, NOW, SubnetChoice::first(80))
            .unwrap()
            .unwrap();
        assert_eq!(event.reason, "RENEW6");
    }

    #[test]
    fn a_prefix_gone_in_this_boot_is_a_loss_and_after_a_reboot_not_yet() {
        let event = derive(
            &previous(&["2001:db8:1::/56"], true),
            &[],
            NOW,
            SubnetChoice::first(80),
        )
        .unwrap()
        .unwrap();
        assert!(event.is_loss());
        assert_eq!(event.old, ["2001:db8:1::/56".parse::<Ipv6Net>().unwrap()]);
        assert_eq!(
            derive(
                &previous(&["2001:db8:1::/56"], false),
                &[],
                NOW,
                SubnetChoice::first(80)
            )
            .unwrap(),
            None
        );
        assert_eq!(
            derive(&previous(&[], true), &[], NOW, SubnetChoice::first(80)).unwrap(),
            None
        );
    }

    #[test]
    fn a_deprecated_prefix_is_withdrawn_and_a_short_one_refused() {
        let read = [lease("2001:db8:1::/56", NOW + 10_000_000)];
        let event = derive(&previous(&[], true), &read, NOW, SubnetChoice::first(80))
            .unwrap()
            .unwrap();
        assert!(event.new[0].withdrawn);
        let read = [lease("2001:db8:1::/96", NOW + 60_000_000)];
        let err = derive(&previous(&[], true), &read, NOW, SubnetChoice::first(80)).unwrap_err();
        assert_eq!(err.var, NETWORKD_PREFIX);
        assert!(err.problem.contains("cannot hold a /80"), "{err}");
    }
}
