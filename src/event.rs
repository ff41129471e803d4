//! The dhclient environment, read once into a typed event before anything acts on it.
//!
//! dhclient-script passes the lease as environment variables (see FACTS.md): for prefix
//! delegation `new_ip6_prefix`, `old_ip6_prefix`, `new_max_life`, `new_preferred_life` and
//! `reason`. An empty variable counts as unset, as it does for the published hook's `[ ! -z ]`.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

use ipnet::Ipv6Net;

use crate::prefix::{DelegatedPrefix, InputError, parse_delegated, parse_prefix};

/// What one call of the hook is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HookEvent {
    /// dhclient's `reason` (BOUND6, RENEW6, ...), for the log only: decisions rest on the
    /// prefixes, since a stale prefix comes back as BOUND6 just like a new one.
    pub reason: String,
    /// The prefix in `new_ip6_prefix`, when there is one.
    pub new: Option<DelegatedPrefix>,
    /// The prefix in `old_ip6_prefix`, when there is one.
    pub old: Option<Ipv6Net>,
    /// The server withdrew the new prefix (a lifetime of 0).
    pub withdrawn: bool,
}

impl HookEvent {
    /// Reads the event through `lookup` (the process environment in production).
    pub fn read(
        lookup: impl Fn(&str) -> Option<OsString>,
        subnet_size: u8,
    ) -> Result<HookEvent, InputError> {
        let get = |name: &str| lookup(name).filter(|value| !value.is_empty());
        let reason = get("reason")
            .map(|r| r.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Some(raw_new) = get("new_ip6_prefix") else {
            return Ok(HookEvent {
                reason,
                new: None,
                old: None,
                withdrawn: false,
            });
        };
        let new = parse_delegated("new_ip6_prefix", &raw_new, subnet_size)?;
        let old = match get("old_ip6_prefix") {
            Some(raw) => Some(parse_prefix("old_ip6_prefix", &raw)?),
            None => None,
        };
        let mut withdrawn = false;
        for var in ["new_max_life", "new_preferred_life"] {
            if let Some(raw) = get(var) {
                withdrawn |= parse_lifetime(var, &raw)? == 0;
            }
        }
        Ok(HookEvent {
            reason,
            new: Some(new),
            old,
            withdrawn,
        })
    }

    /// True when the new prefix is the one of the previous lease: a renewal, whatever the
    /// reason says. Compared as networks, so spellings and host bits do not matter.
    pub fn is_renewal(&self) -> bool {
        match (&self.new, &self.old) {
            (Some(new), Some(old)) => same_network(&new.prefix, old),
            _ => false,
        }
    }
}

fn same_network(a: &Ipv6Net, b: &Ipv6Net) -> bool {
    a.trunc() == b.trunc()
}

fn parse_lifetime(var: &str, raw: &OsStr) -> Result<u64, InputError> {
    let bytes = raw.as_bytes();
    std::str::from_utf8(bytes)
        .ok()
        .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| InputError::new(var, bytes, "not a lifetime in seconds"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(vars: &[(&str, &str)]) -> Result<HookEvent, InputError> {
        let vars: Vec<(String, OsString)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        HookEvent::read(
            |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()),
            80,
        )
    }

    #[test]
    fn no_new_prefix_means_nothing_to_act_on_even_with_garbage_elsewhere() {
        let e = event(&[("reason", "EXPIRE6"), ("old_ip6_prefix", "junk")]).unwrap();
        assert_eq!(e.new, None);
        assert_eq!(e.reason, "EXPIRE6");
        let e = event(&[("new_ip6_prefix", "")]).unwrap();
        assert_eq!(e.new, None);
    }

    #[test]
    fn a_bound_prefix_is_read_with_its_subnet() {
        let e = event(&[
            ("reason", "BOUND6"),
            ("new_ip6_prefix", "2001:db8:100::/60"),
        ])
        .unwrap();
        let new = e.new.unwrap();
        assert_eq!(
            new.subnet.to_string(),
            "2001:0db8:0100:0000:0000:0000:0000:0000/80"
        );
        assert!(!e.is_renewal());
        assert!(!e.withdrawn);
    }

    #[test]
    fn renewal_compares_networks_not_strings() {
        let e = event(&[
            ("new_ip6_prefix", "2001:db8:100::/60"),
            ("old_ip6_prefix", "2001:0DB8:0100:0000::1/60"),
        ])
        .unwrap();
        assert!(e.is_renewal());
        let e = event(&[
            ("new_ip6_prefix", "2001:db8:100::/60"),
            ("old_ip6_prefix", "2001:db8:100::/56"),
        ])
        .unwrap();
        assert!(!e.is_renewal());
    }

    #[test]
    fn a_zero_lifetime_marks_the_prefix_withdrawn() {
        for var in ["new_max_life", "new_preferred_life"] {
            let e = event(&[("new_ip6_prefix", "2001:db8:100::/60"), (var, "0")]).unwrap();
            assert!(e.withdrawn, "{var}=0");
        }
        let e = event(&[
            ("new_ip6_prefix", "2001:db8:100::/60"),
            ("new_max_life", "3600"),
            ("new_preferred_life", "1800"),
        ])
        .unwrap();
        assert!(!e.withdrawn);
    }

    #[test]
    fn bad_old_prefix_or_lifetime_is_refused_by_name() {
        let err = event(&[("new_ip6_prefix", "2001:db8::/60"), ("old_ip6_prefix", "x")]);
        assert_eq!(err.unwrap_err().var, "old_ip6_prefix");
        let err = event(&[("new_ip6_prefix", "2001:db8::/60"), ("new_max_life", "-1")]);
        assert_eq!(err.unwrap_err().var, "new_max_life");
        let err = event(&[
            ("new_ip6_prefix", "2001:db8::/60"),
            ("new_preferred_life", "1e3"),
        ]);
        assert_eq!(err.unwrap_err().var, "new_preferred_life");
    }
}
