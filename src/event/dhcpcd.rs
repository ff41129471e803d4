//! dhcpcd's prefix-delegation variables: every prefix of the lease in each hook call.
//!
//! `new_dhcp6_ia_pd1_prefix1=2001:db8:0:100::` with `..._prefix1_length=60`,
//! `..._prefix1_pltime` and `..._prefix1_vltime` (0: withdrawn), numbered in message order
//! over IA_PDs and their prefixes; the same with `old_` for the previous lease.

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use ipnet::Ipv6Net;

use crate::error::InputError;
use crate::event::env::{Env, parse_lifetime};
use crate::event::prefix::{NewPrefix, parse_delegated, parse_prefix};
use crate::subnet::SubnetChoice;

/// True for the names of dhcpcd's delegated-prefix variables.
pub fn is_dhcpcd_variable(name: &str) -> bool {
    ["new_", "old_"].iter().any(|side| {
        name.strip_prefix(side)
            .is_some_and(|rest| rest.starts_with("dhcp6_ia_pd"))
    })
}

/// `(new, old)` prefixes, each in message order (IA_PD number, then prefix number).
pub fn read(env: &Env, choice: SubnetChoice) -> Result<(Vec<NewPrefix>, Vec<Ipv6Net>), InputError> {
    let mut new = Vec::new();
    for (name, raw) in prefixes(env, "new") {
        let delegated = parse_delegated(&name, &raw, choice)?;
        let mut withdrawn = false;
        for suffix in ["_vltime", "_pltime"] {
            let var = format!("{name}{suffix}");
            if let Some(value) = env.get(&var) {
                withdrawn |= parse_lifetime(&var, value)? == 0;
            }
        }
        new.push(NewPrefix {
            delegated,
            withdrawn,
        });
    }
    let old = prefixes(env, "old")
        .into_iter()
        .map(|(name, raw)| parse_prefix(&name, &raw))
        .collect::<Result<_, _>>()?;
    Ok((new, old))
}

/// The `{side}_dhcp6_ia_pdN_prefixM` variables as `(name, "ADDR/LEN")`, in numeric order.
fn prefixes(env: &Env, side: &str) -> Vec<(String, OsString)> {
    let head = format!("{side}_dhcp6_ia_pd");
    let mut found: Vec<((u32, u32), String)> = env
        .names()
        .filter_map(|name| {
            let rest = name.strip_prefix(&head)?;
            let (ia, prefix) = rest.split_once("_prefix")?;
            let key = (ia.parse().ok()?, prefix.parse().ok()?);
            Some((key, name.to_string()))
        })
        .collect();
    found.sort();
    found.dedup();
    found
        .into_iter()
        .filter_map(|(_, name)| {
            let addr = env.get(&name)?;
            let length = env.get(&format!("{name}_length"));
            let mut raw = addr.as_bytes().to_vec();
            raw.push(b'/');
            // A missing length stays missing, and the prefix is refused for it by name.
            raw.extend_from_slice(length.map_or(&b""[..], |l| l.as_bytes()));
            Some((name, OsString::from_vec(raw)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::tests::env;

    #[test]
    fn reads_every_prefix_in_message_order() {
        let e = env(&[
            ("new_dhcp6_ia_pd2_prefix1", "2001:db8:0:300::"),
            ("new_dhcp6_ia_pd2_prefix1_length", "60"),
            ("new_dhcp6_ia_pd1_prefix10", "2001:db8:0:200::"),
            ("new_dhcp6_ia_pd1_prefix10_length", "60"),
            ("new_dhcp6_ia_pd1_prefix2", "2001:db8:0:100::"),
            ("new_dhcp6_ia_pd1_prefix2_length", "60"),
            ("new_dhcp6_ia_pd1_prefix2_vltime", "0"),
            ("old_dhcp6_ia_pd1_prefix1", "2001:db8:0:100::"),
            ("old_dhcp6_ia_pd1_prefix1_length", "60"),
        ]);
        let (new, old) = read(&e, SubnetChoice::first(80)).unwrap();
        let order: Vec<String> = new.iter().map(|p| p.delegated.prefix.to_string()).collect();
        assert_eq!(
            order,
            [
                "2001:db8:0:100::/60",
                "2001:db8:0:200::/60",
                "2001:db8:0:300::/60"
            ]
        );
        assert_eq!(
            new.iter().map(|p| p.withdrawn).collect::<Vec<_>>(),
            [true, false, false]
        );
        assert_eq!(old, ["2001:db8:0:100::/60".parse::<Ipv6Net>().unwrap()]);
    }

    #[test]
    fn a_bad_or_missing_piece_is_refused_by_its_variable() {
        let e = env(&[("new_dhcp6_ia_pd1_prefix1", "2001:db8::")]);
        let err = read(&e, SubnetChoice::first(80)).unwrap_err();
        assert_eq!(err.var, "new_dhcp6_ia_pd1_prefix1");
        assert!(err.problem.contains("not an IPv6 prefix"), "{err}");
        let e = env(&[
            ("new_dhcp6_ia_pd1_prefix1", "2001:db8::"),
            ("new_dhcp6_ia_pd1_prefix1_length", "96"),
        ]);
        assert!(
            read(&e, SubnetChoice::first(80))
                .unwrap_err()
                .problem
                .contains("cannot hold a /80")
        );
        let e = env(&[
            ("new_dhcp6_ia_pd1_prefix1", "2001:db8::"),
            ("new_dhcp6_ia_pd1_prefix1_length", "60"),
            ("new_dhcp6_ia_pd1_prefix1_pltime", "soon"),
        ]);
        assert_eq!(
            read(&e, SubnetChoice::first(80)).unwrap_err().var,
            "new_dhcp6_ia_pd1_prefix1_pltime"
        );
    }

    #[test]
    fn recognises_its_variables() {
        assert!(is_dhcpcd_variable("new_dhcp6_ia_pd1_prefix1"));
        assert!(is_dhcpcd_variable("old_dhcp6_ia_pd1_prefix1_length"));
        assert!(!is_dhcpcd_variable("new_ip6_prefix"));
        assert!(!is_dhcpcd_variable("new_dhcp6_name_servers"));
    }
}
