//! `doctor` and `status` on fixture trees of a systemd-networkd machine (the watch) and a
//! NetworkManager machine (the dispatcher script): each recognised, each missing piece
//! named with its fix, and the prefix's source in `status --json`.

use std::fs;
use std::os::unix::fs::PermissionsExt;

use crate::doctor::{doctor, healthy, run};
use crate::util::*;

const DISPATCHER: &str = "etc/NetworkManager/dispatcher.d/90-docker-ipv6-pd";

/// The healthy machine with its dhclient gone (Debian 14 has none) and `boot` as boot id.
fn without_dhclient(boot: &str) -> Machine {
    let m = healthy();
    fs::remove_dir_all(m.dir.path().join("proc/100")).unwrap();
    fs::remove_file(m.dir.path().join("sbin/dhclient")).unwrap();
    m.put(
        "proc/sys/kernel/random/boot_id",
        format!("{boot}\n").as_bytes(),
    );
    m
}

/// A systemd machine where networkd runs with netplan's file for wan0 asking for a
/// prefix, the watch enabled and its record from boot b1.
fn networkd_machine() -> Machine {
    let m = without_dhclient("b1");
    fs::create_dir_all(m.dir.path().join("run/systemd/system")).unwrap();
    m.put("proc/90/cmdline", b"/usr/lib/systemd/systemd-networkd\0");
    let wants = m
        .dir
        .path()
        .join("etc/systemd/system/multi-user.target.wants");
    fs::create_dir_all(&wants).unwrap();
    std::os::unix::fs::symlink(
        "/etc/systemd/system/docker-ipv6-pd-watch.service",
        wants.join("docker-ipv6-pd-watch.service"),
    )
    .unwrap();
    m.put(
        "run/systemd/network/10-netplan-wan0.network",
        b"[Match]\nName=wan0\n\n[Network]\nDHCP=ipv6\n",
    );
    m.put(
        "etc/systemd/network/10-netplan-wan0.network.d/50-docker-ipv6-pd.conf",
        b"[DHCPv6]\nWithoutRA=solicit\nUseDelegatedPrefix=yes\nPrefixDelegationHint=::/56\n",
    );
    m.put(
        "var/lib/docker-ipv6-pd/networkd-lease",
        b"b1 wan0 2001:db8:0:100::/56\n",
    );
    m
}

/// A machine where NetworkManager 1.52 runs with the dispatcher script in place, a shared
/// connection, and a record from an earlier boot.
fn nm_machine() -> Machine {
    let m = without_dhclient("b2");
    m.put(
        "proc/80/cmdline",
        b"/usr/sbin/NetworkManager\0--no-daemon\0",
    );
    let mut dpkg = fs::read_to_string(m.dir.path().join("var/lib/dpkg/status")).unwrap();
    dpkg += "\nPackage: network-manager\nStatus: install ok installed\nVersion: 1.52.0-1\n";
    m.put("var/lib/dpkg/status", dpkg.as_bytes());
    m.put(DISPATCHER, b"#!/bin/sh\n");
    set_mode(&m, DISPATCHER, 0o755);
    m.put(
        "etc/NetworkManager/system-connections/lan.nmconnection",
        b"[connection]\nid=lan\n\n[ipv6]\nmethod=shared\n",
    );
    m.put(
        "var/lib/docker-ipv6-pd/networkmanager-lease",
        b"b1 eth0 2001:db8:0:100::/60\n",
    );
    m
}

fn set_mode(m: &Machine, relative: &str, mode: u32) {
    let path = m.dir.path().join(relative);
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// The line that starts with `verdict` and contains `part`, and the line after it.
fn line<'a>(report: &'a str, verdict: &str, part: &str) -> (&'a str, &'a str) {
    let lines: Vec<&str> = report.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with(verdict) && l.contains(part))
        .unwrap_or_else(|| panic!("no {verdict} {part:?} in:\n{report}"));
    (lines[at], lines.get(at + 1).copied().unwrap_or(""))
}

#[test]
fn doctor_recognises_networkd_the_watch_and_the_uplink_s_file() {
    let m = networkd_machine();
    let (_, report) = doctor(&m);
    line(&report, "ok", "systemd-networkd runs");
    line(&report, "ok", "docker-ipv6-pd-watch.service is enabled");
    line(
        &report,
        "ok",
        "/run/systemd/network/10-netplan-wan0.network with 1 drop-in(s), networkd's file for wan0, asks for a delegated prefix",
    );
    fs::remove_dir_all(m.dir.path().join("etc/systemd/network")).unwrap();
    let (_, report) = doctor(&m);
    let (_, fix) = line(&report, "warning", "asks for no prefix");
    assert!(
        fix.contains("/etc/systemd/network/10-netplan-wan0.network.d/50-docker-ipv6-pd.conf"),
        "{report}"
    );
    fs::remove_dir_all(m.dir.path().join("etc/systemd/system")).unwrap();
    let (code, report) = doctor(&m);
    assert_eq!(code, Some(5), "{report}");
    let (_, fix) = line(
        &report,
        "problem",
        "docker-ipv6-pd-watch.service is not enabled",
    );
    assert!(
        fix.ends_with("fix: systemctl enable --now docker-ipv6-pd-watch"),
        "{report}"
    );
}

#[test]
fn doctor_recognises_network_manager_and_its_dispatcher() {
    if !have_root("doctor_recognises_network_manager_and_its_dispatcher") {
        return;
    }
    let m = nm_machine();
    let (_, report) = doctor(&m);
    line(&report, "ok", "NetworkManager 1.52.0-1 runs");
    line(
        &report,
        "ok",
        "/etc/NetworkManager/dispatcher.d/90-docker-ipv6-pd is root's with mode 0755",
    );
    line(&report, "ok", "lan.nmconnection has ipv6.method=shared");
    set_mode(&m, DISPATCHER, 0o775);
    fs::remove_dir_all(m.dir.path().join("etc/NetworkManager/system-connections")).unwrap();
    let (code, report) = doctor(&m);
    assert_eq!(code, Some(5), "{report}");
    let (_, fix) = line(&report, "problem", "NetworkManager skips it");
    assert!(fix.contains("chmod 0755"), "{report}");
    let (_, fix) = line(
        &report,
        "warning",
        "no NetworkManager connection has ipv6.method=shared",
    );
    assert!(
        fix.contains("nmcli connection modify LAN ipv6.method shared"),
        "{report}"
    );
}

#[test]
fn status_names_networkd_or_network_manager_as_the_source() {
    let m = networkd_machine();
    let out = run(&m, &["status"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with(
            "source:     networkd (wan0), lease 2001:db8:0:100::/56, recorded this boot\n"
        ),
        "{}",
        stdout(&out)
    );
    let out = run(&nm_machine(), &["status", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["sources"],
        serde_json::json!([{
            "client": "NetworkManager",
            "link": "eth0",
            "prefixes": ["2001:db8:0:100::/60"],
            "recorded": "before a reboot",
        }])
    );
    let json: serde_json::Value =
        serde_json::from_slice(&run(&healthy(), &["status", "--json"]).stdout).unwrap();
    assert!(json.get("sources").is_none(), "{json}");
}
