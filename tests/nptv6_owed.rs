//! `--target nptv6` when a run fails before it knows its settings (an unreadable
//! configuration, an invalid daemon.json): no docker restart is owed, only the mapping, and
//! daemon.json's own wiring tells nptv6 when no target is named.

use std::fs;

use super::*;

/// The record of an owed docker restart, if any.
fn owed(m: &Machine) -> Option<String> {
    fs::read_to_string(m.dir.path().join("var/lib/docker-ipv6-pd/pending")).ok()
}

#[test]
fn a_configuration_that_cannot_be_read_owes_no_restart_under_nptv6() {
    let m = machine("keep");
    ok(m.event("BOUND6", P56, ""));
    let good = fs::read_to_string(&m.config).unwrap();
    // One bad line; the target line still reads on its own.
    fs::write(&m.config, format!("{good}subnet-size = eighty\n")).unwrap();
    assert_fails(&m.event("BOUND6", P56_NEXT, P56), 2, "subnet-size");
    assert_eq!(owed(&m), None);
    fs::write(&m.config, &good).unwrap();
    // Repaired: the renumbering is mapped by the next event, a renewal, without a restart.
    ok(m.event("RENEW6", P56_NEXT, P56_NEXT));
    assert!(nft_runs(&m)[1].contains("2001:db8:2:200::/56"));
    assert_eq!(m.restarts().len(), 1, "{:?}", m.restarts());
}

#[test]
fn without_a_target_to_read_daemon_json_s_wiring_tells_nptv6() {
    let m = machine("keep");
    ok(m.event("BOUND6", P56, ""));
    let good = fs::read_to_string(&m.config).unwrap();
    // Not a file at all: no line reads. daemon.json and the internal prefix come from the
    // environment, as they may.
    fs::remove_file(&m.config).unwrap();
    fs::create_dir(&m.config).unwrap();
    let event = |reason: &str, new: &str, old: &str| {
        m.command()
            .envs([
                ("reason", reason),
                ("new_ip6_prefix", new),
                ("old_ip6_prefix", old),
                ("DOCKER_IPV6_PD_INTERNAL_PREFIX", INTERNAL),
            ])
            .env("DOCKER_IPV6_PD_DAEMON_JSON", m.daemon_json())
            .output()
            .unwrap()
    };
    assert_fails(
        &event("BOUND6", P56_NEXT, P56),
        2,
        "not a regular file (a directory)",
    );
    assert_eq!(owed(&m), None);
    // Wired for a /56, it is still nptv6 for a /60.
    assert_fails(
        &event("BOUND6", "2001:db8:3:300::/60", P56_NEXT),
        2,
        "not a regular file (a directory)",
    );
    assert_eq!(owed(&m), None);
    // daemon.json wired onto another internal prefix is not ours: the restart is owed.
    let other = |reason: &str, new: &str, old: &str| {
        m.command()
            .envs([
                ("reason", reason),
                ("new_ip6_prefix", new),
                ("old_ip6_prefix", old),
            ])
            .env("DOCKER_IPV6_PD_INTERNAL_PREFIX", "fd99::/48")
            .env("DOCKER_IPV6_PD_DAEMON_JSON", m.daemon_json())
            .output()
            .unwrap()
    };
    assert_fails(
        &other("BOUND6", P56_NEXT, P56),
        2,
        "not a regular file (a directory)",
    );
    assert_eq!(owed(&m).as_deref(), Some("apply 2001:db8:2:200::/56\n"));
    fs::remove_file(m.dir.path().join("var/lib/docker-ipv6-pd/pending")).unwrap();
    fs::remove_dir(&m.config).unwrap();
    fs::write(&m.config, &good).unwrap();
    ok(m.event("RENEW6", P56_NEXT, P56_NEXT));
    assert!(nft_runs(&m)[1].contains("2001:db8:2:200::/56"));
    assert_eq!(m.restarts().len(), 1, "{:?}", m.restarts());
}

#[test]
fn an_invalid_daemon_json_owes_no_restart_under_nptv6() {
    let m = machine("keep");
    ok(m.event("BOUND6", P56, ""));
    let wired = fs::read(m.daemon_json()).unwrap();
    fs::write(m.daemon_json(), "{\"ipv6\": tru").unwrap();
    assert_fails(&m.event("BOUND6", P56_NEXT, P56), 1, "daemon.json");
    assert_eq!(owed(&m), None);
    fs::write(m.daemon_json(), wired).unwrap();
    // Repaired: the renewal maps the new prefix, and restarts nothing.
    ok(m.event("RENEW6", P56_NEXT, P56_NEXT));
    assert!(nft_runs(&m)[1].contains("2001:db8:2:200::/56"));
    assert_eq!(m.restarts().len(), 1, "{:?}", m.restarts());
}
