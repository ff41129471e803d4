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
