//! Turns the raw value of a lease variable into a delegated prefix we are willing to act on.
//!
//! dhclient hands us bytes; anything that is not exactly one IPv6 prefix that a router could
//! delegate, and that holds a /N, is refused here with an error naming the variable and value.

use std::ffi::OsStr;

use std::os::unix::ffi::OsStrExt;

use ipnet::Ipv6Net;

use crate::error::InputError;
use crate::settings::Settings;
use crate::subnet::{Subnet, SubnetChoice};

/// Address ranges no delegated prefix may come from and no docker subnet may touch.
const SPECIAL_RANGES: [(&str, &str); 5] = [
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("::ffff:0:0/96", "IPv4-mapped"),
    ("fe80::/10", "link-local"),
    ("ff00::/8", "multicast"),
];

/// A prefix as written in a lease variable, with the subnet it yields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DelegatedPrefix {
    /// The prefix exactly as sent (host bits kept, as dhclient reports it).
    pub prefix: Ipv6Net,
    /// The subnet docker takes from it: the first /N, of its /64 number `subnet-id`.
    pub subnet: Subnet,
}

/// A prefix the event delegates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewPrefix {
    pub delegated: DelegatedPrefix,
    /// The server withdrew it (a lifetime of 0): it must not become docker's subnet.
    pub withdrawn: bool,
}

/// Which subnet of a delegated prefix the settings give docker (`subnet-size`, `subnet-id`).
pub fn configured_choice(settings: &Settings) -> SubnetChoice {
    SubnetChoice {
        size: settings.subnet_size,
        id: settings.subnet_id,
    }
}

/// Parses `raw` (the value of `var`) as a prefix that holds the subnet `choice` takes and
/// is neither special itself nor yields a special subnet.
pub fn parse_delegated(
    var: &str,
    raw: &OsStr,
    choice: SubnetChoice,
) -> Result<DelegatedPrefix, InputError> {
    let prefix = parse_prefix(var, raw)?;
    let bytes = raw.as_bytes();
    let size = choice.size;
    let subnet = choice.of(prefix).map_err(|no_subnet| InputError {
        too_long: Some(prefix.prefix_len()),
        ..InputError::new(var, bytes, no_subnet.problem(size))
    })?;
    let ranges = SPECIAL_RANGES.map(|(range, name)| (range.parse::<Ipv6Net>().unwrap(), name));
    if let Some((range, name)) = ranges.iter().find(|(r, _)| r.contains(&prefix.addr())) {
        return Err(InputError::new(
            var,
            bytes,
            format!("{name} address ({range}), not a delegated prefix"),
        ));
    }
    let overlaps = |r: &Ipv6Net| r.contains(&subnet.net()) || subnet.net().contains(r);
    if let Some((range, name)) = ranges.iter().find(|(r, _)| overlaps(r)) {
        return Err(InputError::new(
            var,
            bytes,
            match choice.id {
                0 => format!(
                    "its first /{size}, {}, overlaps {name} space ({range})",
                    subnet.net()
                ),
                id => format!(
                    "its /{size} of /64 number {id}, {}, overlaps {name} space ({range})",
                    subnet.net()
                ),
            },
        ));
    }
    Ok(DelegatedPrefix { prefix, subnet })
}

/// Parses `raw` as one IPv6 prefix `ADDR/LEN`, any length, any class.
pub fn parse_prefix(var: &str, raw: &OsStr) -> Result<Ipv6Net, InputError> {
    let bytes = raw.as_bytes();
    let text = std::str::from_utf8(bytes)
        .map_err(|_| InputError::new(var, bytes, "not valid text (bytes that are not UTF-8)"))?;
    text.parse::<Ipv6Net>().map_err(|_| {
        let problem = if !text.contains('/') {
            "no prefix length (expected ADDR/LEN, such as 2001:db8:100::/60)"
        } else if text.contains('%') {
            "a zone id has no place in a delegated prefix"
        } else if text.contains('.') && !text.contains(':') {
            "an IPv4 network, not an IPv6 prefix"
        } else {
            "not an IPv6 prefix (expected ADDR/LEN, such as 2001:db8:100::/60)"
        };
        InputError::new(var, bytes, problem)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;
    use std::os::unix::ffi::OsStringExt;

    fn parse(s: &str) -> Result<DelegatedPrefix, InputError> {
        parse_delegated("new_ip6_prefix", OsStr::new(s), SubnetChoice::first(80))
    }

    fn problem(s: &str) -> String {
        parse(s).unwrap_err().problem
    }

    #[test]
    fn accepts_global_ula_and_documentation_prefixes() {
        for ok in [
            "2001:db8:100::/60",
            "2001:DB8:100::/60",
            "2001:0db8:0100:0000:0000:0000:0000:0000/60",
            "fd12:3456:789a::/48",
            "2a00:1450::1/32",
            "8000::/1",
            "2001:db8::/80",
        ] {
            assert!(parse(ok).is_ok(), "{ok} refused: {:?}", parse(ok));
        }
    }

    #[test]
    fn keeps_the_prefix_as_sent_and_masks_only_the_subnet() {
        let p = parse("2001:db8:0:10f::1/60").unwrap();
        assert_eq!(p.prefix.to_string(), "2001:db8:0:10f::1/60");
        assert_eq!(
            p.subnet.to_string(),
            "2001:0db8:0000:0100:0000:0000:0000:0000/80"
        );
    }

    #[test]
    fn refuses_malformed_values_with_a_reason() {
        assert!(problem("2001:db8:100::").contains("no prefix length"));
        assert!(problem("192.0.2.0/24").contains("IPv4 network"));
        assert!(problem("fe80::1%eth0/64").contains("zone id"));
        assert!(problem("2001:db8::/96").contains("cannot hold a /80"));
        for bad in [
            "garbage",
            "/80",
            "-/80",
            "2001:db8::/129",
            "2001:db8::/99999999999999999999",
            "2001:db8::/60; rm -rf /",
            "$(reboot)",
            "2001:db8::/60\n",
            " 2001:db8::/60",
            "2001:db8::/60 2001:db8:1::/60",
            "2001:db8:::/60",
            "2001:db8::/",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn refuses_special_addresses() {
        assert!(problem("ff02::/60").contains("multicast"));
        assert!(problem("fe80::/64").contains("link-local"));
        assert!(problem("fe80::1/3").contains("link-local"));
        assert!(problem("::1/64").contains("loopback"));
        assert!(problem("::/64").contains("unspecified"));
        assert!(problem("::ffff:192.0.2.1/64").contains("IPv4-mapped"));
    }

    #[test]
    fn refuses_prefixes_whose_first_subnet_is_special() {
        assert!(problem("2001:db8::1/0").contains("overlaps"));
        assert!(problem("fec0::/9").contains("link-local space"));
        assert!(problem("::102:304/64").contains("overlaps"));
    }

    #[test]
    fn refuses_bytes_that_are_not_utf8_and_shows_them_escaped() {
        let raw = OsString::from_vec(b"2001:db8::\xff/60".to_vec());
        let err = parse_delegated("new_ip6_prefix", &raw, SubnetChoice::first(80)).unwrap_err();
        assert_eq!(err.value, "\"2001:db8::\\xff/60\"");
        assert!(err.problem.contains("UTF-8"));
    }

    #[test]
    fn error_is_one_line_naming_variable_and_value() {
        let err = parse("2001:db8::/60\nrm -rf /").unwrap_err();
        let line = err.to_string();
        assert!(!line.contains('\n'));
        assert!(
            line.starts_with("new_ip6_prefix=\"2001:db8::/60\\x0arm -rf /\": "),
            "{line}"
        );
    }
}
