//! Tests of `status`: the JSON shape scripts rely on, the text lines, UTC times, and files
//! that are not regular files.

use super::*;

fn example() -> Status {
    Status {
        delegated: vec![Delegated {
            lease: LeasedPrefix {
                prefix: "2001:db8:0:100::/60".parse().unwrap(),
                interface: Some("eth0".into()),
                preferred_life: Some(1800),
                max_life: None,
                starts: Some(1_742_000_000),
            },
            lease_file: "/var/lib/dhcp/dhclient6.leases".into(),
        }],
        configured: vec![Configured {
            file: "/etc/docker/ipv6.prefix".into(),
            subnet: Some("2001:db8:0:100::/80".parse().unwrap()),
            changed: Some(1_795_670_343),
        }],
        docker_flags: vec![DockerFlags {
            source: "running dockerd (pid 200)".into(),
            flags: vec![
                ("ipv6".into(), None),
                ("fixed-cidr-v6".into(), Some("2001:db8:0:100::/80".into())),
            ],
        }],
        warnings: Vec::new(),
    }
}

#[test]
fn the_json_shape_is_pinned() {
    let json = serde_json::to_string(&example()).unwrap();
    assert_eq!(
        json,
        concat!(
            r#"{"delegated":[{"prefix":"2001:db8:0:100::/60","interface":"eth0","#,
            r#""preferred_life":1800,"max_life":null,"starts":"2025-03-15 00:53:20 UTC","#,
            r#""expires":null,"lease_file":"/var/lib/dhcp/dhclient6.leases"}],"#,
            r#""configured":[{"file":"/etc/docker/ipv6.prefix","subnet":"2001:db8:0:100::/80","#,
            r#""changed":"2026-11-26 05:19:03 UTC"}],"#,
            r#""docker_flags":[{"source":"running dockerd (pid 200)","#,
            r#""flags":{"ipv6":true,"fixed-cidr-v6":"2001:db8:0:100::/80"}}]}"#
        )
    );
    let mut with_warning = example();
    with_warning
        .warnings
        .push("/etc/docker/daemon.json is not a regular file (a FIFO)".into());
    let json = serde_json::to_value(&with_warning).unwrap();
    assert_eq!(
        json["warnings"],
        serde_json::json!(["/etc/docker/daemon.json is not a regular file (a FIFO)"])
    );
}

#[test]
fn the_text_form() {
    let mut status = example();
    status.configured.push(Configured {
        file: "/etc/docker/daemon.json".into(),
        subnet: None,
        changed: None,
    });
    status
        .warnings
        .push("/etc/default/docker is not a regular file (a FIFO)".into());
    assert_eq!(
        render(&status),
        "delegated:  2001:db8:0:100::/60 on eth0, preferred 1800s, valid ?s, expires ?\n\
         configured: 2001:db8:0:100::/80 in /etc/docker/ipv6.prefix, changed 2026-11-26 05:19:03 UTC\n\
         configured: no subnet in /etc/docker/daemon.json\n\
         docker:     --ipv6 --fixed-cidr-v6=2001:db8:0:100::/80 from running dockerd (pid 200)\n\
         warning:    /etc/default/docker is not a regular file (a FIFO)\n"
    );
    assert_eq!(
        render(&Status::default()),
        "delegated:  nothing (no prefix in /var/lib/dhcp/dhclient6*.leases)\n\
         docker:     no IPv6 flags given to dockerd (daemon.json, if set, applies)\n"
    );
}

#[test]
fn utc_formats_known_instants() {
    assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
    assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
    assert_eq!(utc(1_795_670_343), "2026-11-26 05:19:03 UTC");
}
