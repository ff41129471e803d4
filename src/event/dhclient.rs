//! ISC dhclient's prefix-delegation variables: one prefix per script call.
//!
//! `new_ip6_prefix` (ADDR/LEN as the server sent it), `old_ip6_prefix` (the same prefix when
//! it was in the previous lease), `new_max_life` and `new_preferred_life` (0: withdrawn).

use crate::error::InputError;
use crate::event::env::{Env, parse_lifetime};
use crate::event::prefix::{NewPrefix, parse_delegated, parse_prefix};
use crate::subnet::SubnetChoice;
use ipnet::Ipv6Net;

/// The new prefix (if any) and the old one. `old_ip6_prefix` is read when there is a new
/// prefix or the event is a loss (EXPIRE6, RELEASE6, STOP6 carry only the old prefix).
pub fn read(
    env: &Env,
    choice: SubnetChoice,
    loss: bool,
) -> Result<(Vec<NewPrefix>, Vec<Ipv6Net>), InputError> {
    let new = match env.get("new_ip6_prefix") {
        Some(raw) => {
            let delegated = parse_delegated("new_ip6_prefix", raw, choice)?;
            let mut withdrawn = false;
            for var in ["new_max_life", "new_preferred_life"] {
                if let Some(raw) = env.get(var) {
                    withdrawn |= parse_lifetime(var, raw)? == 0;
                }
            }
            vec![NewPrefix {
                delegated,
                withdrawn,
            }]
        }
        None => Vec::new(),
    };
    let old = match env.get("old_ip6_prefix") {
        Some(raw) if !new.is_empty() || loss => vec![parse_prefix("old_ip6_prefix", raw)?],
        _ => Vec::new(),
    };
    Ok((new, old))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::tests::env;

    #[test]
    fn no_new_prefix_means_nothing_to_act_on_even_with_garbage_elsewhere() {
        let (new, old) = read(
            &env(&[("old_ip6_prefix", "junk")]),
            SubnetChoice::first(80),
            false,
        )
        .unwrap();
        assert!(new.is_empty() && old.is_empty());
        assert!(
            read(
                &env(&[("old_ip6_prefix", "junk")]),
                SubnetChoice::first(80),
                true
            )
            .is_err()
        );
    }

    #[test]
    fn a_bound_prefix_is_read_with_its_subnet() {
        let (new, old) = read(
            &env(&[("new_ip6_prefix", "2001:db8:100::/60")]),
            SubnetChoice::first(80),
            false,
        )
        .unwrap();
        assert_eq!(
            new[0].delegated.subnet.to_string(),
            "2001:0db8:0100:0000:0000:0000:0000:0000/80"
        );
        assert!(!new[0].withdrawn);
        assert!(old.is_empty());
    }

    #[test]
    fn a_zero_lifetime_marks_the_prefix_withdrawn() {
        for var in ["new_max_life", "new_preferred_life"] {
            let (new, _) = read(
                &env(&[("new_ip6_prefix", "2001:db8:100::/60"), (var, "0")]),
                SubnetChoice::first(80),
                false,
            )
            .unwrap();
            assert!(new[0].withdrawn, "{var}=0");
        }
    }

    #[test]
    fn bad_old_prefix_or_lifetime_is_refused_by_name() {
        let err = read(
            &env(&[("new_ip6_prefix", "2001:db8::/60"), ("old_ip6_prefix", "x")]),
            SubnetChoice::first(80),
            false,
        );
        assert_eq!(err.unwrap_err().var, "old_ip6_prefix");
        let err = read(
            &env(&[("new_ip6_prefix", "2001:db8::/60"), ("new_max_life", "-1")]),
            SubnetChoice::first(80),
            false,
        );
        assert_eq!(err.unwrap_err().var, "new_max_life");
    }
}
