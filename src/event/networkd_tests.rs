//! The parser on real `networkctl --json=short` captures of networkd 252, 257 and 262 (each
//! standalone against ISC `dhcpd -6` delegating /56s), with the clock set by the test.

use super::*;

const V252: &[u8] = include_bytes!("../../tests/fixtures/networkd/networkctl-252-all.json");
const V252_RENUMBERED: &[u8] =
    include_bytes!("../../tests/fixtures/networkd/networkctl-252-all-after-renumber.json");
const V257: &[u8] = include_bytes!("../../tests/fixtures/networkd/networkctl-257-all.json");
const V262: &[u8] = include_bytes!("../../tests/fixtures/networkd/networkctl-262-all.json");

/// A CLOCK_BOOTTIME time in µs from seconds.
fn at(seconds: f64) -> u64 {
    (seconds * 1e6) as u64
}

fn net(text: &str) -> Ipv6Net {
    text.parse().unwrap()
}

fn only(leases: &[LinkLease]) -> (&str, Vec<Delegation>) {
    assert_eq!(leases.len(), 1, "{leases:?}");
    (
        leases[0].link.as_deref().unwrap(),
        leases[0].prefixes.clone(),
    )
}

#[test]
fn v262_gives_the_prefix_of_wan0_as_text_with_its_lifetimes() {
    // Leased at 4137.46 s of boot time: 90 s preferred, 120 s valid.
    let leases = parse(V262, at(4140.0)).unwrap();
    let (link, prefixes) = only(&leases);
    assert_eq!(link, "wan0");
    assert_eq!(
        prefixes,
        [Delegation {
            prefix: net("2001:db8:3fe:4f00::/56"),
            preferred_until: Some(4_227_455_739),
            valid_until: Some(4_257_455_739),
        }]
    );
    assert_eq!(prefixes[0].valid_seconds(at(4140.0)), Some(117));
}

#[test]
fn v257_gives_the_prefix_of_wan0_from_its_bytes() {
    let leases = parse(V257, at(4090.0)).unwrap();
    let (link, prefixes) = only(&leases);
    assert_eq!(link, "wan0");
    assert_eq!(prefixes[0].prefix, net("2001:db8:3fe:6c00::/56"));
    assert_eq!(prefixes[0].preferred_until, Some(4_173_776_536));
    assert!(!prefixes[0].deprecated(at(4090.0)));
    assert!(prefixes[0].deprecated(at(4180.0)));
}

#[test]
fn from_255_the_lease_is_read_not_the_routes_beside_it() {
    // 257 lists the same prefix as an unreachable route too; it must not count twice.
    let (_, prefixes) = only(&parse(V257, at(4090.0)).unwrap());
    assert_eq!(prefixes.len(), 1);
}

#[test]
fn an_expired_prefix_is_gone_whatever_networkd_still_lists() {
    assert_eq!(parse(V262, at(4257.456)).unwrap(), []);
    assert_eq!(parse(V257, at(4300.0)).unwrap(), []);
    assert_eq!(parse(V252, at(3783.906)).unwrap(), []);
}

#[test]
fn v252_gives_the_unreachable_route_tied_to_wan0_by_its_server() {
    let leases = parse(V252, at(3700.0)).unwrap();
    let (link, prefixes) = only(&leases);
    assert_eq!(link, "wan0");
    assert_eq!(
        prefixes,
        [Delegation {
            prefix: net("2001:db8:1ff::/56"),
            preferred_until: None,
            valid_until: Some(3_783_905_001),
        }]
    );
    assert!(!prefixes[0].deprecated(at(3783.0)));
}

#[test]
fn v252_after_renumbering_ignores_the_stale_entry_and_the_earlier_lease() {
    // 2001:db8:1ff::/56 expired long ago; 2001:db8:2ff::/56 (left from the lease before,
    // 60 s to go) ends a minute before the new lease's 2001:db8:3ff::/56.
    let leases = parse(V252_RENUMBERED, at(3970.0)).unwrap();
    let (link, prefixes) = only(&leases);
    assert_eq!(link, "wan0");
    let found: Vec<Ipv6Net> = prefixes.iter().map(|d| d.prefix).collect();
    assert_eq!(found, [net("2001:db8:3ff::/56")]);
}

#[test]
fn v252_without_an_address_from_the_server_ties_the_route_to_no_link() {
    let mut json: Value = serde_json::from_slice(V252).unwrap();
    for interface in json["Interfaces"].as_array_mut().unwrap() {
        interface["Addresses"] = Value::Array(Vec::new());
    }
    let leases = parse(json.to_string().as_bytes(), at(3700.0)).unwrap();
    assert_eq!(leases.len(), 1);
    assert_eq!(leases[0].link, None);
    let (link, prefixes) = uplink_prefixes(&leases, Some("wan0")).unwrap();
    assert_eq!(link.as_deref(), Some("wan0"));
    assert_eq!(prefixes[0].prefix, net("2001:db8:1ff::/56"));
}

#[test]
fn a_lifetime_of_forever_never_expires() {
    let mut json: Value = serde_json::from_slice(V262).unwrap();
    let wan0 = json["Interfaces"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|i| i["Name"] == "wan0")
        .unwrap();
    wan0["DHCPv6Client"]["Prefixes"][0]["ValidLifetimeUSec"] = Value::from(u64::MAX);
    let leases = parse(json.to_string().as_bytes(), u64::MAX - 1).unwrap();
    assert_eq!(only(&leases).1[0].valid_until, None);
    assert_eq!(only(&leases).1[0].valid_seconds(0), None);
}

#[test]
fn output_that_is_not_networkds_is_refused_with_a_reason() {
    assert!(parse(b"", 0).unwrap_err().contains("no JSON"));
    assert!(parse(b"{}", 0).unwrap_err().contains("Interfaces"));
    let bad = br#"{"Interfaces":[{"Name":"wan0","DHCPv6Client":{"Prefixes":[
        {"Prefix":[32,1,13,184],"PrefixLength":56}]}}]}"#;
    assert!(parse(bad, 0).unwrap_err().contains("16 bytes"));
    let bad = br#"{"Interfaces":[{"Name":"wan0","DHCPv6Client":{"Prefixes":[
        {"PrefixString":"2001:db8::","PrefixLength":129}]}}]}"#;
    assert!(parse(bad, 0).unwrap_err().contains("not an IPv6 prefix"));
}

/// The 262 capture with a second link, wan1, that has a lease of its own.
fn two_uplinks() -> Vec<LinkLease> {
    let mut json: Value = serde_json::from_slice(V262).unwrap();
    let interfaces = json["Interfaces"].as_array_mut().unwrap();
    let mut wan1 = interfaces
        .iter()
        .find(|i| i["Name"] == "wan0")
        .unwrap()
        .clone();
    wan1["Name"] = Value::from("wan1");
    wan1["DHCPv6Client"]["Prefixes"][0]["PrefixString"] = Value::from("2001:db8:77::");
    interfaces.push(wan1);
    parse(json.to_string().as_bytes(), at(4140.0)).unwrap()
}

#[test]
fn the_uplink_is_the_one_link_with_a_prefix_unless_named() {
    let leases = parse(V262, at(4140.0)).unwrap();
    let (link, prefixes) = uplink_prefixes(&leases, None).unwrap();
    assert_eq!(link.as_deref(), Some("wan0"));
    assert_eq!(prefixes.len(), 1);
    let (link, prefixes) = uplink_prefixes(&leases, Some("eth9")).unwrap();
    assert_eq!(link.as_deref(), Some("eth9"));
    assert!(prefixes.is_empty());
    assert_eq!(uplink_prefixes(&[], None).unwrap(), (None, Vec::new()));
}

#[test]
fn two_links_with_prefixes_need_the_uplink_named() {
    let leases = two_uplinks();
    let err = uplink_prefixes(&leases, None).unwrap_err();
    assert!(err.contains("wan0 (2001:db8:3fe:4f00::/56)"), "{err}");
    assert!(err.contains("wan1 (2001:db8:77::/56)"), "{err}");
    assert!(err.contains("--uplink"), "{err}");
    let (_, prefixes) = uplink_prefixes(&leases, Some("wan1")).unwrap();
    assert_eq!(prefixes[0].prefix, net("2001:db8:77::/56"));
}
