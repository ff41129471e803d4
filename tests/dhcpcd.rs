//! dhcpcd: its variables (every prefix of the lease in each call, numbered in message
//! order), how one prefix is chosen, and the dhcpcd shim sourced by the real dhcpcd-run-hooks.

use std::fs;

use crate::util::*;

/// dhcpcd's variables for these prefixes (`new` and `old` lists of ADDR/LEN).
fn vars(reason: &str, new: &[&str], old: &[&str]) -> Vec<(String, String)> {
    let mut vars = vec![
        ("reason".to_string(), reason.to_string()),
        ("interface".to_string(), "eth0".to_string()),
    ];
    for (side, list) in [("new", new), ("old", old)] {
        for (i, p) in list.iter().enumerate() {
            let (addr, len) = p.split_once('/').unwrap();
            let name = format!("{side}_dhcp6_ia_pd1_prefix{}", i + 1);
            vars.push((format!("{name}_length"), len.to_string()));
            vars.push((format!("{name}_pltime"), "1800".to_string()));
            vars.push((format!("{name}_vltime"), "3600".to_string()));
            vars.push((name, addr.to_string()));
        }
    }
    vars
}

fn run(m: &Machine, vars: &[(String, String)]) -> std::process::Output {
    let pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    m.hook_run(&pairs)
}

const P100: &str = "2001:db8:0:100::/60";
const P200: &str = "2001:db8:0:200::/60";

#[test]
fn the_first_prefix_in_message_order_is_taken_and_kept_across_renewals() {
    let m = Machine::new();
    let out = run(&m, &vars("BOUND6", &[P100, P200], &[]));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(m.file().as_deref(), Some(LINE_100));
    for reason in ["RENEW6", "REBIND6", "REBOOT6"] {
        // Renewals, even with the prefixes in another order: no flip-flop, no restart.
        assert!(
            run(&m, &vars(reason, &[P200, P100], &[P100, P200]))
                .status
                .success()
        );
        assert_eq!(m.file().as_deref(), Some(LINE_100), "{reason}");
    }
    assert_eq!(m.restarts().len(), 1);
}

#[test]
fn a_prefix_gone_from_the_lease_is_left_with_a_restart() {
    let m = Machine::new();
    ok(run(&m, &vars("BOUND6", &[P100], &[])));
    // The server renumbered: the lease now holds only the new prefix.
    let out = run(&m, &vars("REBIND6", &[P200], &[P200]));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(m.file().as_deref(), Some(LINE_200));
    assert_eq!(m.restarts().len(), 2);
}

#[test]
fn withdrawn_prefixes_are_skipped_and_a_lease_of_only_withdrawn_ones_changes_nothing() {
    let m = Machine::new();
    m.set_file(LINE_200.as_bytes());
    let mut v = vars("REBIND6", &[P100], &[P100]);
    v.retain(|(k, _)| !k.ends_with("_vltime"));
    v.push(("new_dhcp6_ia_pd1_prefix1_vltime".into(), "0".into()));
    let out = ok(run(&m, &v));
    assert!(stderr(&out).contains("withdrawn"), "{}", stderr(&out));
    assert_eq!(m.file().as_deref(), Some(LINE_200));
    assert!(m.restarts().is_empty());
}

#[test]
fn client_auto_recognises_dhcpcd_and_explicit_client_ignores_the_other() {
    let m = Machine::new();
    let mut v = vars("BOUND6", &[P100], &[]);
    v.push(("new_ip6_prefix".into(), P200.into()));
    // auto: dhcpcd's variables win.
    ok(run(&m, &v));
    assert_eq!(m.file().as_deref(), Some(LINE_100));
    let m = Machine::new();
    let pairs: Vec<(&str, &str)> = v.iter().map(|(k, p)| (k.as_str(), p.as_str())).collect();
    let out = m
        .command()
        .args(["--client", "dhclient"])
        .envs(pairs)
        .output()
        .unwrap();
    ok(out);
    assert_eq!(m.file().as_deref(), Some(LINE_200));
}

#[test]
fn bad_dhcpcd_values_are_refused_by_variable() {
    let m = Machine::new();
    m.set_file(LINE_200.as_bytes());
    let mut v = vars("BOUND6", &[P100], &[]);
    v.retain(|(k, _)| !k.ends_with("_length"));
    v.push(("new_dhcp6_ia_pd1_prefix1_length".into(), "96".into()));
    assert_fails(
        &run(&m, &v),
        3,
        "new_dhcp6_ia_pd1_prefix1=\"2001:db8:0:100::/96\"",
    );
    assert_eq!(m.file().as_deref(), Some(LINE_200));
    assert!(m.restarts().is_empty());
}

#[test]
fn ipv4_and_delegated6_events_do_nothing() {
    let m = Machine::new();
    m.set_file(LINE_100.as_bytes());
    for reason in ["BOUND", "RENEW", "EXPIRE", "DELEGATED6", "ROUTERADVERT"] {
        let out = m.hook_run(&[
            ("reason", reason),
            ("new_delegated_dhcp6_prefix", "2001:db8:0:200::/64"),
            ("new_ip_address", "192.0.2.10"),
        ]);
        assert_eq!(stderr(&ok(out)), "", "{reason}");
    }
    assert_eq!(m.file().as_deref(), Some(LINE_100));
    assert!(m.restarts().is_empty());
}

/// Debian's real dhcpcd-run-hooks, with the dhcpcd shim and a marker script after it in its
/// directory: it goes on to the marker whether the binary works, fails or is missing.
#[test]
fn dhcpcd_run_hooks_sources_the_shim_and_carries_on() {
    let run_hooks = "/usr/lib/dhcpcd/dhcpcd-run-hooks";
    if !have_root("dhcpcd-run-hooks") || !have_tool("dhcpcd-run-hooks", run_hooks) {
        return;
    }
    let text =
        fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/hooks/dhcpcd-hook")).unwrap();
    for case in ["present", "failing", "missing"] {
        let m = Machine::new();
        let scripts = m.dir.path().join("dhcpcd-hooks");
        fs::create_dir_all(&scripts).unwrap();
        let binary = binary_for(&m, case);
        fs::write(
            scripts.join("62-docker-ipv6-pd"),
            text.replace("/usr/local/sbin/docker-ipv6-pd", &binary.to_string_lossy()),
        )
        .unwrap();
        let marker = m.dir.path().join("later-script-ran");
        fs::write(
            scripts.join("99-marker"),
            format!("touch {}\n", marker.display()),
        )
        .unwrap();
        let env: String = vars("BOUND6", &[P100], &[])
            .iter()
            .map(|(k, v)| format!("{k}={v} "))
            .collect();
        let script = format!(
            "mount --bind {scripts} /usr/lib/dhcpcd/dhcpcd-hooks\n\
             env -i {base} {env} {run_hooks}",
            scripts = scripts.display(),
            base = m.shell_env(),
        );
        let out = in_mount_namespace(&script);
        assert!(
            marker.exists(),
            "{case}: dhcpcd-run-hooks stopped before the marker: {}",
            stderr(&out)
        );
        match case {
            "present" => {
                assert_eq!(m.file().as_deref(), Some(LINE_100), "{}", stderr(&out));
                assert_eq!(m.restarts().len(), 1);
            }
            _ => assert_eq!(m.file(), None),
        }
    }
}
