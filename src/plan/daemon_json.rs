//! Docker's own configuration file, /etc/docker/daemon.json, as a place for the subnet.
//!
//! Only `ipv6` and `fixed-cidr-v6` are ever changed: every other key, its value (numbers
//! verbatim) and the key order survive. A file that is not a JSON object is never
//! overwritten.

use std::fmt;

use ipnet::Ipv6Net;
use serde_json::{Map, Value};

use crate::subnet::Subnet;

pub mod nptv6_wiring;

/// The key docker reads the default bridge's IPv6 subnet from.
pub const FIXED_CIDR_V6: &str = "fixed-cidr-v6";
/// The key that turns IPv6 on for the default bridge.
pub const IPV6: &str = "ipv6";

/// A daemon.json that we must not touch: not JSON, or not an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidDaemonJson(pub String);

impl fmt::Display for InvalidDaemonJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not valid daemon.json, left as it is: {}", self.0)
    }
}

impl std::error::Error for InvalidDaemonJson {}

/// A parsed daemon.json.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DaemonJson(Map<String, Value>);

impl DaemonJson {
    /// Parses the file's bytes. A missing file is `None` bytes; an empty (or all blank) file
    /// is an empty configuration, as dockerd takes it.
    pub fn parse(bytes: Option<&[u8]>) -> Result<DaemonJson, InvalidDaemonJson> {
        let Some(bytes) = bytes else {
            return Ok(DaemonJson::default());
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(DaemonJson::default());
        }
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(map)) => Ok(DaemonJson(map)),
            Ok(_) => Err(InvalidDaemonJson("the top level is not an object".into())),
            Err(e) => Err(InvalidDaemonJson(e.to_string())),
        }
    }

    /// The subnet in `fixed-cidr-v6`, when it holds a valid one.
    pub fn subnet(&self) -> Option<Ipv6Net> {
        self.0.get(FIXED_CIDR_V6)?.as_str()?.parse().ok()
    }

    /// Whether `ipv6` is `true`.
    pub fn ipv6_enabled(&self) -> bool {
        self.0.get(IPV6) == Some(&Value::Bool(true))
    }

    /// True when the file already gives docker `subnet` with IPv6 on.
    pub fn is_written_for(&self, subnet: &Subnet) -> bool {
        self.ipv6_enabled()
            && self.0.get(FIXED_CIDR_V6).and_then(Value::as_str) == Some(&compressed(subnet))
    }

    /// A boolean key's value, when it is a boolean.
    pub fn get_bool(&self, key: &str) -> Option<bool> {
        self.0.get(key)?.as_bool()
    }

    /// Whether a key is set at all (for conflict checks).
    pub fn has(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    /// The file's new bytes: `ipv6: true` and `fixed-cidr-v6` set in place (appended when
    /// absent), everything else as it was, pretty-printed with a final newline.
    pub fn with_subnet(&self, subnet: &Subnet) -> Vec<u8> {
        let mut map = self.0.clone();
        map.insert(IPV6.to_string(), Value::Bool(true));
        map.insert(FIXED_CIDR_V6.to_string(), Value::String(compressed(subnet)));
        let mut bytes = serde_json::to_vec_pretty(&Value::Object(map)).expect("a map serialises");
        bytes.push(b'\n');
        bytes
    }
}

impl DaemonJson {
    /// The file's new bytes without a subnet: `fixed-cidr-v6` removed and `ipv6` false, so
    /// docker's default bridge runs without IPv6 until a prefix returns (a bridge with IPv6
    /// on and no subnet fails to start on some docker versions).
    pub fn without_subnet(&self) -> Vec<u8> {
        let mut map = self.0.clone();
        map.shift_remove(FIXED_CIDR_V6);
        map.insert(IPV6.to_string(), Value::Bool(false));
        let mut bytes = serde_json::to_vec_pretty(&Value::Object(map)).expect("a map serialises");
        bytes.push(b'\n');
        bytes
    }
}

/// `2001:db8:1234:1f0::/80`: the form docker itself prints.
pub fn compressed(subnet: &Subnet) -> String {
    subnet.net().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subnet(s: &str) -> Subnet {
        Subnet::first_of(s.parse().unwrap(), 80).unwrap()
    }

    fn text(json: &DaemonJson, s: &str) -> String {
        String::from_utf8(json.with_subnet(&subnet(s))).unwrap()
    }

    #[test]
    fn missing_and_empty_files_get_just_the_two_keys() {
        for bytes in [None, Some(&b""[..]), Some(&b" \n"[..])] {
            let json = DaemonJson::parse(bytes).unwrap();
            assert_eq!(
                text(&json, "2001:db8:1234:1f0::/60"),
                "{\n  \"ipv6\": true,\n  \"fixed-cidr-v6\": \"2001:db8:1234:1f0::/80\"\n}\n"
            );
        }
    }

    #[test]
    fn other_keys_values_and_order_survive() {
        let before = br#"{"log-driver": "journald", "fixed-cidr-v6": "2001:db8:0:100::/80",
            "mtu": 1500, "big": 123456789012345678901234567890, "f": 1.50,
            "default-address-pools": [{"base": "172.30.0.0/16", "size": 24}], "ipv6": false}"#;
        let json = DaemonJson::parse(Some(before)).unwrap();
        let after = text(&json, "2001:db8:0:200::/60");
        let keys: Vec<&str> = after
            .lines()
            .filter_map(|l| l.trim().strip_prefix('"')?.split('"').next())
            .filter(|k| !["base", "size"].contains(k))
            .collect();
        assert_eq!(
            keys,
            [
                "log-driver",
                "fixed-cidr-v6",
                "mtu",
                "big",
                "f",
                "default-address-pools",
                "ipv6"
            ]
        );
        assert!(after.contains("\"fixed-cidr-v6\": \"2001:db8:0:200::/80\""));
        assert!(after.contains("\"ipv6\": true"));
        assert!(
            after.contains("123456789012345678901234567890"),
            "number changed: {after}"
        );
        assert!(after.contains("\"f\": 1.50"), "number changed: {after}");
        assert!(after.contains("\"size\": 24"));
    }

    #[test]
    fn withdrawing_removes_the_subnet_and_turns_ipv6_off() {
        let json = DaemonJson::parse(Some(
            br#"{"debug": true, "ipv6": true, "fixed-cidr-v6": "2001:db8::/80", "mtu": 1400}"#,
        ))
        .unwrap();
        assert_eq!(
            String::from_utf8(json.without_subnet()).unwrap(),
            "{\n  \"debug\": true,\n  \"ipv6\": false,\n  \"mtu\": 1400\n}\n"
        );
    }

    #[test]
    fn invalid_files_are_refused() {
        for bad in [
            &b"{"[..],
            b"[1, 2]",
            b"\"text\"",
            b"{\"a\": 1,}",
            b"\xff\xfe",
        ] {
            assert!(DaemonJson::parse(Some(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn is_written_for_needs_both_keys_right() {
        let s = subnet("2001:db8:0:100::/60");
        let json = |t: &str| DaemonJson::parse(Some(t.as_bytes())).unwrap();
        assert!(
            json(r#"{"ipv6": true, "fixed-cidr-v6": "2001:db8:0:100::/80"}"#).is_written_for(&s)
        );
        assert!(!json(r#"{"fixed-cidr-v6": "2001:db8:0:100::/80"}"#).is_written_for(&s));
        assert!(
            !json(r#"{"ipv6": true, "fixed-cidr-v6": "2001:db8:0:200::/80"}"#).is_written_for(&s)
        );
        assert_eq!(
            json(r#"{"fixed-cidr-v6": "2001:db8:0:200::/80"}"#).subnet(),
            Some("2001:db8:0:200::/80".parse().unwrap())
        );
        assert_eq!(json(r#"{"fixed-cidr-v6": 7}"#).subnet(), None);
    }
}
