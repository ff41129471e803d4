//! Tests of `status`: the JSON shape scripts rely on, the text lines, UTC times, and files
//! that are not regular files.

use super::*;

fn example() -> Status {
    Status {
        sources: Vec::new(),
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
        nptv6: None,
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

fn net(s: &str) -> Ipv6Net {
    s.parse().unwrap()
}

/// [`example`] under `target = nptv6`: a /56 mapped, docker0 and two networks of docker's.
fn mapped() -> Status {
    let mapping =
        crate::plan::nptv6::Mapping::new(net("2001:db8:1:100::/56"), net("fd12:3456:789a::/48"))
            .unwrap();
    let bridge = |interface: &str, subnet: &str, public: Option<&str>| Bridge {
        interface: interface.into(),
        subnet: net(subnet),
        public: public.map(net),
    };
    Status {
        nptv6: Some(Nptv6Status {
            internal: net("fd12:3456:789a::/48"),
            mapping: Some(mapping),
            applied: Some(mapping),
            bridges: vec![
                bridge(
                    "docker0",
                    "fd12:3456:789a::/64",
                    Some("2001:db8:1:100::/64"),
                ),
                bridge(
                    "br-1a2b3c4d5e6f",
                    "fd12:3456:789a:1::/64",
                    Some("2001:db8:1:101::/64"),
                ),
                bridge("br-99", "fd99::/64", None),
            ],
        }),
        ..example()
    }
}

#[test]
fn the_nptv6_json_shape_is_pinned() {
    let json = serde_json::to_value(mapped()).unwrap();
    assert_eq!(
        serde_json::to_string(&json["nptv6"]).unwrap(),
        concat!(
            r#"{"internal_prefix":"fd12:3456:789a::/48","public":"2001:db8:1:100::/56","#,
            r#""mapped":"fd12:3456:789a::/56","#,
            r#""applied":{"public":"2001:db8:1:100::/56","mapped":"fd12:3456:789a::/56"},"#,
            r#""bridges":[{"interface":"docker0","subnet":"fd12:3456:789a::/64","public":"2001:db8:1:100::/64"},"#,
            r#"{"interface":"br-1a2b3c4d5e6f","subnet":"fd12:3456:789a:1::/64","public":"2001:db8:1:101::/64"},"#,
            r#"{"interface":"br-99","subnet":"fd99::/64","public":null}]}"#
        )
    );
    // After the other fields, before the warnings.
    let keys: Vec<String> = json.as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys, ["delegated", "configured", "docker_flags", "nptv6"]);
    let mut nothing = mapped();
    let inner = nothing.nptv6.as_mut().unwrap();
    inner.mapping = None;
    inner.applied = None;
    inner.bridges.clear();
    assert_eq!(
        serde_json::to_string(&serde_json::to_value(&nothing).unwrap()["nptv6"]).unwrap(),
        r#"{"internal_prefix":"fd12:3456:789a::/48","public":null,"mapped":null,"applied":null,"bridges":[]}"#
    );
}

#[test]
fn the_nptv6_text_lines() {
    let text = render(&mapped());
    assert!(
        text.ends_with(
            "mapping:    2001:db8:1:100::/56 onto fd12:3456:789a::/56 of internal prefix fd12:3456:789a::/48, applied\n\
             bridge:     docker0 fd12:3456:789a::/64 is public 2001:db8:1:100::/64\n\
             bridge:     br-1a2b3c4d5e6f fd12:3456:789a:1::/64 is public 2001:db8:1:101::/64\n\
             bridge:     br-99 fd99::/64, outside the mapped part: not public\n"
        ),
        "{text}"
    );
    let mut status = mapped();
    let inner = status.nptv6.as_mut().unwrap();
    inner.applied = None;
    assert!(render(&status).contains(", not applied since boot\n"));
    let inner = status.nptv6.as_mut().unwrap();
    inner.applied = crate::plan::nptv6::Mapping::parse("2001:db8:2:200::/56 fd12:3456:789a::/56");
    assert!(
        render(&status)
            .contains(", not applied (applied: 2001:db8:2:200::/56 onto fd12:3456:789a::/56)\n"),
        "{}",
        render(&status)
    );
    let inner = status.nptv6.as_mut().unwrap();
    inner.mapping = None;
    inner.bridges.truncate(1);
    inner.bridges[0].public = None;
    assert!(
        render(&status).ends_with(
            "mapping:    none (no prefix delegated); docker keeps internal prefix fd12:3456:789a::/48\n\
             bridge:     docker0 fd12:3456:789a::/64, not mapped\n"
        ),
        "{}",
        render(&status)
    );
}
