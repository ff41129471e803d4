//! daemon.json for `--target nptv6`: docker gets IPv6 on the internal prefix's mapped part,
//! the default bridge on its first /64 and an address pool of /64s over the rest, so every
//! network `docker network create --ipv6` makes is inside what the host maps.
//!
//! An explicit `default-address-pools` replaces docker's built-in list, IPv4 included: when
//! the file has none, docker's own IPv4 defaults are written out with ours. When it has one,
//! the admin's entries are kept, except those that overlap the internal prefix (ours from an
//! earlier delegated length among them), which our single entry replaces.

use ipnet::Ipv6Net;
use serde_json::{Map, Value, json};

use super::{DaemonJson, FIXED_CIDR_V6, IPV6};

/// The key of docker's address pools for new networks.
pub const DEFAULT_ADDRESS_POOLS: &str = "default-address-pools";

/// Docker's built-in IPv4 pools for local networks (libnetwork's ipamutils, as in Docker
/// 20.10 and up to 27): 172.17-31.x.x/16, then 192.168.x.x/20.
const DOCKER_IPV4_POOLS: [(&str, u8); 7] = [
    ("172.17.0.0/16", 16),
    ("172.18.0.0/16", 16),
    ("172.19.0.0/16", 16),
    ("172.20.0.0/14", 16),
    ("172.24.0.0/14", 16),
    ("172.28.0.0/14", 16),
    ("192.168.0.0/16", 20),
];

/// The size of each network docker takes from our pool.
const NETWORK_SIZE: u8 = 64;

impl DaemonJson {
    /// True when the file already wires docker onto `mapped` (the mapped part of `internal`).
    pub fn is_wired_for_nptv6(&self, internal: Ipv6Net, mapped: Ipv6Net) -> bool {
        self.nptv6_map(internal, mapped) == self.0
    }

    /// The file's new bytes: `ipv6: true`, `fixed-cidr-v6` the first /64 of `mapped`, and our
    /// pool in `default-address-pools`; everything else as it was.
    pub fn with_nptv6_wiring(&self, internal: Ipv6Net, mapped: Ipv6Net) -> Vec<u8> {
        let map = self.nptv6_map(internal, mapped);
        let mut bytes = serde_json::to_vec_pretty(&Value::Object(map)).expect("a map serialises");
        bytes.push(b'\n');
        bytes
    }

    fn nptv6_map(&self, internal: Ipv6Net, mapped: Ipv6Net) -> Map<String, Value> {
        let mut map = self.0.clone();
        let bridge = Ipv6Net::new(mapped.network(), NETWORK_SIZE).expect("64 is a valid length");
        map.insert(IPV6.to_string(), Value::Bool(true));
        map.insert(FIXED_CIDR_V6.to_string(), Value::String(bridge.to_string()));
        let ours = json!({"base": mapped.to_string(), "size": NETWORK_SIZE});
        let mut pools: Vec<Value> = match map.get(DEFAULT_ADDRESS_POOLS) {
            Some(Value::Array(pools)) => pools
                .iter()
                .filter(|pool| !overlaps(pool, internal))
                .cloned()
                .collect(),
            // Absent (or not a list, which docker would refuse anyway): docker's defaults.
            _ => DOCKER_IPV4_POOLS
                .iter()
                .map(|(base, size)| json!({"base": base, "size": size}))
                .collect(),
        };
        pools.push(ours);
        map.insert(DEFAULT_ADDRESS_POOLS.to_string(), Value::Array(pools));
        map
    }
}

/// Whether a pool entry's base is an IPv6 network that overlaps `internal`.
fn overlaps(pool: &Value, internal: Ipv6Net) -> bool {
    let base = pool.get("base").and_then(Value::as_str);
    let Some(base) = base.and_then(|b| b.parse::<Ipv6Net>().ok()) else {
        return false;
    };
    internal.contains(&base) || base.contains(&internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    const INTERNAL: &str = "fd12:3456:789a::/48";

    fn net(s: &str) -> Ipv6Net {
        s.parse().unwrap()
    }

    fn wired(before: &str, mapped: &str) -> (String, DaemonJson) {
        let json = DaemonJson::parse(Some(before.as_bytes())).unwrap();
        let bytes = json.with_nptv6_wiring(net(INTERNAL), net(mapped));
        let after = DaemonJson::parse(Some(&bytes)).unwrap();
        (String::from_utf8(bytes).unwrap(), after)
    }

    fn pools(json: &DaemonJson) -> Vec<String> {
        json.0[DEFAULT_ADDRESS_POOLS]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| format!("{} {}", p["base"].as_str().unwrap(), p["size"]))
            .collect()
    }

    #[test]
    fn without_pools_docker_s_ipv4_defaults_are_written_out_with_ours() {
        let (text, after) = wired(r#"{"log-driver": "journald"}"#, "fd12:3456:789a::/56");
        assert_eq!(
            pools(&after),
            [
                "172.17.0.0/16 16",
                "172.18.0.0/16 16",
                "172.19.0.0/16 16",
                "172.20.0.0/14 16",
                "172.24.0.0/14 16",
                "172.28.0.0/14 16",
                "192.168.0.0/16 20",
                "fd12:3456:789a::/56 64",
            ]
        );
        assert!(text.starts_with("{\n  \"log-driver\": \"journald\",\n  \"ipv6\": true,\n"));
        assert!(text.contains("\"fixed-cidr-v6\": \"fd12:3456:789a::/64\""));
        assert!(after.is_wired_for_nptv6(net(INTERNAL), net("fd12:3456:789a::/56")));
        assert!(!after.is_wired_for_nptv6(net(INTERNAL), net("fd12:3456:789a::/60")));
    }

    #[test]
    fn an_admin_s_ipv4_pools_are_kept_and_ours_added() {
        let (_, after) = wired(
            r#"{"default-address-pools": [{"base": "10.10.0.0/16", "size": 24}]}"#,
            "fd12:3456:789a::/48",
        );
        assert_eq!(pools(&after), ["10.10.0.0/16 24", "fd12:3456:789a::/48 64"]);
    }

    #[test]
    fn our_pool_of_another_length_is_replaced_and_foreign_ipv6_pools_kept() {
        let before = r#"{"default-address-pools": [
            {"base": "10.10.0.0/16", "size": 24},
            {"base": "fd12:3456:789a::/48", "size": 64},
            {"base": "fd99::/48", "size": 64},
            {"base": "fd00::/8", "size": 64}
        ], "ipv6": true, "fixed-cidr-v6": "fd12:3456:789a::/64"}"#;
        let (_, after) = wired(before, "fd12:3456:789a::/60");
        // fd00::/8 holds the internal prefix: docker could hand out our addresses from it.
        assert_eq!(
            pools(&after),
            ["10.10.0.0/16 24", "fd99::/48 64", "fd12:3456:789a::/60 64"]
        );
        assert!(
            !DaemonJson::parse(Some(before.as_bytes()))
                .unwrap()
                .is_wired_for_nptv6(net(INTERNAL), net("fd12:3456:789a::/60"))
        );
    }

    #[test]
    fn wiring_twice_changes_nothing_and_other_keys_keep_their_order() {
        let (text, after) = wired(
            r#"{"mtu": 1500, "fixed-cidr-v6": "2001:db8::/80", "debug": true}"#,
            "fd12:3456:789a::/56",
        );
        let again =
            String::from_utf8(after.with_nptv6_wiring(net(INTERNAL), net("fd12:3456:789a::/56")))
                .unwrap();
        assert_eq!(again, text);
        let keys: Vec<&str> = after.0.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "mtu",
                "fixed-cidr-v6",
                "debug",
                "ipv6",
                DEFAULT_ADDRESS_POOLS
            ]
        );
    }
}
