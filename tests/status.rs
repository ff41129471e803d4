//! `status` against the healthy fixture tree: the text lines and the whole JSON document.

use crate::doctor::{healthy, run};
use crate::util::*;

#[test]
fn status_shows_lease_subnet_and_docker() {
    let m = healthy();
    let out = run(&m, &["status"]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(
        text.contains("delegated:  2001:db8:0:100::/60 on eth0, preferred 1800s, valid 3600s, expires 2025-03-15 01:53:20 UTC"),
        "{text}"
    );
    assert!(
        text.contains("configured: 2001:db8:0:100::/80 in /etc/docker/ipv6.prefix, changed "),
        "{text}"
    );
    assert!(
        text.contains("docker:     --ipv6 --fixed-cidr-v6=$(cat /etc/docker/ipv6.prefix) from /etc/default/docker (DOCKER_OPTS)\n"),
        "{text}"
    );
    assert!(
        text.contains("docker:     --ipv6 --fixed-cidr-v6=2001:0db8:0000:0100:0000:0000:0000:0000/80 from running dockerd (pid 200)\n"),
        "{text}"
    );
    assert!(!text.contains("warning"), "{text}");
    let out = run(&m, &["status", "--json"]);
    let mut json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // The file's modification time is the only field that varies from run to run.
    let changed = json["configured"][0]["changed"].take();
    assert!(changed.as_str().unwrap().ends_with(" UTC"), "{changed}");
    assert_eq!(
        json,
        serde_json::json!({
            "delegated": [{
                "prefix": "2001:db8:0:100::/60",
                "interface": "eth0",
                "preferred_life": 1800,
                "max_life": 3600,
                "starts": "2025-03-15 00:53:20 UTC",
                "expires": "2025-03-15 01:53:20 UTC",
                "lease_file": "/var/lib/dhcp/dhclient6.leases",
            }],
            "configured": [{
                "file": "/etc/docker/ipv6.prefix",
                "subnet": "2001:db8:0:100::/80",
                "changed": null,
            }],
            "docker_flags": [
                {
                    "source": "/etc/default/docker (DOCKER_OPTS)",
                    "flags": {"ipv6": true, "fixed-cidr-v6": "$(cat /etc/docker/ipv6.prefix)"},
                },
                {
                    "source": "running dockerd (pid 200)",
                    "flags": {"ipv6": true, "fixed-cidr-v6": "2001:0db8:0000:0100:0000:0000:0000:0000/80"},
                },
            ],
        })
    );
}

#[test]
fn status_under_nptv6_shows_the_mapping_and_each_bridge_s_public_subnet() {
    let m = crate::doctor_nptv6::mapped();
    let out = crate::doctor_nptv6::run_with_nft(&m, &["status"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.ends_with(
            "mapping:    2001:db8:0:100::/60 onto fd12:3456:789a::/60 of internal prefix fd12:3456:789a::/48, applied\n\
             bridge:     docker0 fd12:3456:789a::/64 is public 2001:db8:0:100::/64\n\
             bridge:     br-1a2b3c4d5e6f fd12:3456:789a:1::/64 is public 2001:db8:0:101::/64\n"
        ),
        "{text}"
    );
    let out = crate::doctor_nptv6::run_with_nft(&m, &["status", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["nptv6"],
        serde_json::json!({
            "internal_prefix": "fd12:3456:789a::/48",
            "public": "2001:db8:0:100::/60",
            "mapped": "fd12:3456:789a::/60",
            "applied": {"public": "2001:db8:0:100::/60", "mapped": "fd12:3456:789a::/60"},
            "bridges": [
                {"interface": "docker0", "subnet": "fd12:3456:789a::/64", "public": "2001:db8:0:100::/64"},
                {"interface": "br-1a2b3c4d5e6f", "subnet": "fd12:3456:789a:1::/64", "public": "2001:db8:0:101::/64"},
            ],
        })
    );
    assert_eq!(
        json["configured"][0]["subnet"], "fd12:3456:789a::/64",
        "{json}"
    );
    // Renumbered, the record not yet updated; a network outside the mapped part.
    let lease =
        std::fs::read_to_string(m.dir.path().join("var/lib/dhcp/dhclient6.leases")).unwrap();
    m.put(
        "var/lib/dhcp/dhclient6.leases",
        lease
            .replace("2001:db8:0:100::/60", "2001:db8:0:200::/60")
            .as_bytes(),
    );
    let if_inet6 = std::fs::read_to_string(m.dir.path().join("proc/net/if_inet6")).unwrap();
    m.put(
        "proc/net/if_inet6",
        format!("{if_inet6}fd990000000000000000000000000001 09 40 00 80 br-99\n").as_bytes(),
    );
    let text = stdout(&crate::doctor_nptv6::run_with_nft(&m, &["status"]));
    assert!(
        text.contains(
            "mapping:    2001:db8:0:200::/60 onto fd12:3456:789a::/60 of internal prefix fd12:3456:789a::/48, not applied (applied: 2001:db8:0:100::/60 onto fd12:3456:789a::/60)\n"
        ),
        "{text}"
    );
    assert!(
        text.ends_with("bridge:     br-99 fd99::/64, outside the mapped part: not public\n"),
        "{text}"
    );
    // The other targets' JSON has no nptv6 field.
    let plain = run(&healthy(), &["status", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&plain.stdout).unwrap();
    assert_eq!(json.get("nptv6"), None);
}
