//! The DHCP client's environment, read once into a typed event before anything acts on it.
//!
//! dhclient calls its script once per delegated prefix (`new_ip6_prefix`, `old_ip6_prefix`,
//! lifetimes); dhcpcd calls its hooks once per event with every prefix of the lease
//! (`new_dhcp6_ia_pd1_prefix1` and its `_length`, `_pltime`, `_vltime`). Both become one
//! [`HookEvent`]. An empty variable counts as unset, as for the published hook's `[ ! -z ]`.

pub mod dhclient;
pub mod dhcpcd;
pub mod env;
pub mod networkd;
pub mod networkmanager;
pub mod prefix;

use ipnet::Ipv6Net;

use crate::error::InputError;
use crate::event::env::Env;
use crate::event::prefix::NewPrefix;
use crate::settings::Client;
use crate::subnet::SubnetChoice;

/// Reasons that say the lease is gone, for both clients.
pub const LOSS_REASONS: [&str; 3] = ["EXPIRE6", "RELEASE6", "STOP6"];

/// `client` resolved: `Auto` is dhcpcd when any of its prefix-delegation variables is present.
pub fn resolve_client(client: Client, env: &Env) -> Client {
    match client {
        Client::Auto if env.names().any(dhcpcd::is_dhcpcd_variable) => Client::Dhcpcd,
        Client::Auto => Client::Dhclient,
        other => other,
    }
}

/// What one call of the hook is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HookEvent {
    /// The client's `reason` (BOUND6, RENEW6, ...). Decisions rest on the prefixes, since a
    /// stale prefix comes back as BOUND6 just like a new one; only the loss reasons count.
    pub reason: String,
    /// The prefixes delegated now, in message order (dhclient: at most one).
    pub new: Vec<NewPrefix>,
    /// The prefixes of the previous lease.
    pub old: Vec<Ipv6Net>,
    /// The event lists every prefix of the lease (dhcpcd), not one prefix per call
    /// (dhclient): a configured subnet in none of them belongs to a prefix that is gone.
    pub lists_whole_lease: bool,
}

impl HookEvent {
    /// Reads the event from `env` as `client` passes it.
    pub fn read(env: &Env, choice: SubnetChoice, client: Client) -> Result<HookEvent, InputError> {
        let reason = env
            .get("reason")
            .map(|r| r.to_string_lossy().into_owned())
            .unwrap_or_default();
        let loss = LOSS_REASONS.contains(&reason.as_str());
        let (new, old, lists_whole_lease) = match resolve_client(client, env) {
            Client::Dhcpcd => {
                let (new, old) = dhcpcd::read(env, choice)?;
                (new, old, true)
            }
            _ => {
                let (new, old) = dhclient::read(env, choice, loss)?;
                (new, old, false)
            }
        };
        Ok(HookEvent {
            reason,
            new,
            old,
            lists_whole_lease,
        })
    }

    /// True when the event says the lease is gone (EXPIRE6, RELEASE6, STOP6).
    pub fn is_loss(&self) -> bool {
        self.new.is_empty() && LOSS_REASONS.contains(&self.reason.as_str())
    }

    /// True when `prefix` was in the previous lease: its event is a renewal, whatever the
    /// reason says. Compared as networks, so spellings and host bits do not matter.
    pub fn was_in_old_lease(&self, prefix: &Ipv6Net) -> bool {
        self.old.iter().any(|old| old.trunc() == prefix.trunc())
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use crate::event::env::parse_lifetime;
    use std::ffi::{OsStr, OsString};

    pub fn env(vars: &[(&str, &str)]) -> Env {
        Env::from_pairs(vars.iter().map(|(k, v)| (k.to_string(), OsString::from(v))))
    }

    #[test]
    fn empty_variables_count_as_unset_and_the_last_value_wins() {
        let e = env(&[("a", "1"), ("a", "2"), ("b", "")]);
        assert_eq!(e.get("a"), Some(OsStr::new("2")));
        assert_eq!(e.get("b"), None);
        assert_eq!(e.get("c"), None);
    }

    #[test]
    fn the_client_is_recognised_from_its_variables() {
        let dhcpcd = env(&[
            ("reason", "BOUND6"),
            ("new_dhcp6_ia_pd1_prefix1", "2001:db8::"),
        ]);
        assert_eq!(resolve_client(Client::Auto, &dhcpcd), Client::Dhcpcd);
        let dhclient = env(&[("reason", "BOUND6"), ("new_ip6_prefix", "2001:db8::/60")]);
        assert_eq!(resolve_client(Client::Auto, &dhclient), Client::Dhclient);
        assert_eq!(resolve_client(Client::Dhcpcd, &dhclient), Client::Dhcpcd);
        assert!(Client::parse("udhcpc").is_err());
    }

    #[test]
    fn loss_needs_a_loss_reason_and_no_new_prefix() {
        let e = HookEvent::read(
            &env(&[("reason", "EXPIRE6"), ("old_ip6_prefix", "2001:db8::/60")]),
            SubnetChoice::first(80),
            Client::Auto,
        )
        .unwrap();
        assert!(e.is_loss());
        assert!(e.was_in_old_lease(&"2001:db8::1/60".parse().unwrap()));
        let e = HookEvent::read(
            &env(&[("reason", "DEPREF6")]),
            SubnetChoice::first(80),
            Client::Auto,
        )
        .unwrap();
        assert!(!e.is_loss());
    }

    #[test]
    fn lifetimes_are_plain_decimal_seconds() {
        assert_eq!(parse_lifetime("v", OsStr::new("3600")), Ok(3600));
        for bad in ["-1", "1e3", " 1", "0x10", ""] {
            assert!(parse_lifetime("v", OsStr::new(bad)).is_err(), "{bad}");
        }
    }
}
