//! The networkd and NetworkManager verdicts on facts built in code: a networkd machine and
//! a NetworkManager machine, one thing changed at a time.

use super::*;
use crate::inspect::doctor::Verdict;
use crate::inspect::doctor::gather_network_managers::{Mode, NetworkManagersFacts};
use crate::inspect::doctor::tests::healthy;

/// A networkd machine: no dhclient, the watch enabled, wan0's file asking for a prefix.
fn networkd_machine() -> Facts {
    let mut facts = healthy();
    facts.processes = vec![(90, vec!["/usr/lib/systemd/systemd-networkd".into()])];
    facts.systemd = true;
    facts.network_managers = NetworkManagersFacts {
        networkd_running: true,
        watch_enabled: true,
        uplink: Some(("wan0".into(), "the watch's record")),
        network_file: Some(NetworkFile {
            path: "/run/systemd/network/10-netplan-wan0.network".into(),
            drop_ins: Vec::new(),
            text:
                "[Match]\nName=wan0\n[Network]\nDHCP=ipv6\n[DHCPv6]\nPrefixDelegationHint=::/56\n"
                    .into(),
        }),
        ..NetworkManagersFacts::default()
    };
    facts
}

/// A NetworkManager 1.52 machine with the dispatcher in place and a shared connection.
fn nm_machine() -> Facts {
    let mut facts = healthy();
    facts.processes = vec![(
        80,
        vec!["/usr/sbin/NetworkManager".into(), "--no-daemon".into()],
    )];
    facts.network_managers = NetworkManagersFacts {
        nm_running: true,
        dispatcher: Found::Read(Mode {
            uid: 0,
            mode: 0o755,
        }),
        nm_version: Some("1.52.0-1".into()),
        shared_connections: vec!["/etc/NetworkManager/system-connections/lan.nmconnection".into()],
        ..NetworkManagersFacts::default()
    };
    facts
}

/// The whole doctor finds no fault with the DHCP client side: no "no DHCPv6 client" and no
/// missing dhclient hook.
fn assert_no_dhcp_client_problem(facts: &Facts) {
    let mut facts = facts.clone();
    facts.dhcp.dhclient = false;
    facts.dhcp.dhcpcd = false;
    facts.hooks.clear();
    let whole = crate::inspect::doctor::judge::judge(&facts);
    let client = |f: &&crate::inspect::doctor::Finding| {
        f.verdict == Verdict::Problem
            && (f.message.contains("DHCPv6 client") || f.message.contains("hook in"))
    };
    assert!(!whole.0.iter().any(|f| client(&f)), "{whole}");
}

fn report(facts: &Facts) -> Report {
    let mut report = Report::default();
    network_managers(facts, &mut report);
    report
}

/// The one finding whose message contains `part`.
fn finding(report: &Report, part: &str) -> (Verdict, Option<String>) {
    let found: Vec<_> = report
        .0
        .iter()
        .filter(|f| f.message.contains(part))
        .collect();
    assert_eq!(found.len(), 1, "{part:?} in {report}");
    (found[0].verdict, found[0].fix.clone())
}

#[test]
fn a_healthy_networkd_machine_is_all_ok() {
    let facts = networkd_machine();
    let report = report(&facts);
    assert!(
        report.0.iter().all(|f| f.verdict == Verdict::Ok),
        "{report}"
    );
    assert_eq!(
        finding(&report, "asks for a delegated prefix").0,
        Verdict::Ok
    );
    assert!(speaks_for_the_prefix(&facts));
    assert!(!speaks_for_the_prefix(&healthy()));
    assert!(self::report(&healthy()).0.is_empty());
    // The whole doctor: networkd with the watch needs no dhclient or dhcpcd.
    assert_no_dhcp_client_problem(&facts);
}

#[test]
fn networkd_without_the_watch_is_a_problem_unless_another_client_runs() {
    let mut facts = networkd_machine();
    facts.network_managers.watch_enabled = false;
    let (verdict, fix) = finding(&report(&facts), "is not enabled");
    assert_eq!(verdict, Verdict::Problem);
    assert_eq!(
        fix.as_deref(),
        Some("systemctl enable --now docker-ipv6-pd-watch")
    );
    facts.processes.push((
        100,
        ["dhclient", "-6", "-P", "eth0"].map(String::from).to_vec(),
    ));
    let report = report(&facts);
    assert!(!report.has_problem(), "{report}");
    assert!(!report.to_string().contains(".network"), "{report}");
}

#[test]
fn a_network_file_without_pd_gets_the_drop_in() {
    let mut facts = networkd_machine();
    let file = facts.network_managers.network_file.as_mut().unwrap();
    file.text = "[Match]\nName=wan0\n[Network]\nDHCP=yes\n".into();
    let (verdict, fix) = finding(&report(&facts), "asks for no prefix");
    assert_eq!(verdict, Verdict::Warning);
    assert_eq!(
        fix.unwrap(),
        "put the lines `[DHCPv6]`, `WithoutRA=solicit`, `UseDelegatedPrefix=yes` and `PrefixDelegationHint=::/56` in /etc/systemd/network/10-netplan-wan0.network.d/50-docker-ipv6-pd.conf (the .network file must start DHCPv6: DHCP=ipv6 or DHCP=yes; netplan: dhcp6: true), then networkctl reload"
    );
    let file = facts.network_managers.network_file.as_mut().unwrap();
    file.text = "[Network]\nDHCP=ipv4\n[DHCPv6]\nUseDelegatedPrefix=yes\n".into();
    assert_eq!(
        finding(&report(&facts), "starts no DHCPv6").0,
        Verdict::Warning
    );
    let file = facts.network_managers.network_file.as_mut().unwrap();
    file.text += "[DHCPv6]\nWithoutRA=solicit\n";
    assert_eq!(
        finding(&report(&facts), "asks for a delegated prefix").0,
        Verdict::Ok
    );
}

#[test]
fn no_uplink_or_no_matching_file_is_a_warning() {
    let mut facts = networkd_machine();
    facts.network_managers.network_file = None;
    let (verdict, fix) = finding(&report(&facts), "matches wan0 (from the watch's record)");
    assert_eq!(verdict, Verdict::Warning);
    assert!(
        fix.unwrap()
            .starts_with("`networkctl status wan0` names the file")
    );
    facts.network_managers.uplink = None;
    assert_eq!(
        finding(&report(&facts), "the uplink is unknown").0,
        Verdict::Warning
    );
}

#[test]
fn networkd_counts_only_on_a_systemd_machine_and_a_lone_watch_is_a_warning() {
    let mut facts = networkd_machine();
    facts.systemd = false;
    let report = report(&facts);
    assert_eq!(report.0.len(), 1, "{report}");
    assert_eq!(finding(&report, "does not run").0, Verdict::Warning);
    assert!(!speaks_for_the_prefix(&facts));
}

#[test]
fn a_healthy_network_manager_machine_is_all_ok() {
    let facts = nm_machine();
    let report = report(&facts);
    assert!(
        report.0.iter().all(|f| f.verdict == Verdict::Ok),
        "{report}"
    );
    assert_eq!(
        finding(&report, "NetworkManager 1.52.0-1 runs").0,
        Verdict::Ok
    );
    assert!(speaks_for_the_prefix(&facts));
    assert_no_dhcp_client_problem(&facts);
}

#[test]
fn a_dispatcher_network_manager_skips_is_a_problem() {
    let mut facts = nm_machine();
    for (uid, mode) in [
        (1000, 0o755),
        (0, 0o775),
        (0, 0o757),
        (0, 0o644),
        (0, 0o4755),
    ] {
        facts.network_managers.dispatcher = Found::Read(Mode { uid, mode });
        let (verdict, fix) = finding(&report(&facts), "NetworkManager skips it");
        assert_eq!(verdict, Verdict::Problem, "{uid} {mode:o}");
        assert_eq!(
            fix.unwrap(),
            format!("chown root:root {DISPATCHER} && chmod 0755 {DISPATCHER}")
        );
    }
    // NetworkManager refuses set-uid files, not set-gid ones.
    for mode in [0o700, 0o2755] {
        facts.network_managers.dispatcher = Found::Read(Mode { uid: 0, mode });
        assert!(!report(&facts).has_problem(), "{mode:o}");
    }
    facts.network_managers.dispatcher = Found::Missing;
    assert_eq!(finding(&report(&facts), "is missing").0, Verdict::Problem);
    facts.processes.push((
        100,
        ["dhclient", "-6", "-P", "eth0"].map(String::from).to_vec(),
    ));
    assert_eq!(finding(&report(&facts), "is missing").0, Verdict::Warning);
}

#[test]
fn network_manager_before_1_44_hands_no_prefix() {
    let mut facts = nm_machine();
    facts.network_managers.nm_version = Some("1.42.4-1".into());
    let report_ = report(&facts);
    let (verdict, fix) = finding(&report_, "before 1.44");
    assert_eq!(verdict, Verdict::Problem);
    assert!(fix.unwrap().contains("nmcli device set IFACE managed no"));
    facts.network_managers.nm_version = Some("1.44.0-1".into());
    assert!(!report(&facts).has_problem());
    facts.network_managers.nm_version = None;
    assert_eq!(
        finding(&report(&facts), "version unknown").0,
        Verdict::Warning
    );
}

#[test]
fn no_shared_connection_is_a_warning_with_the_nmcli_fix() {
    let mut facts = nm_machine();
    facts.network_managers.shared_connections.clear();
    let (verdict, fix) = finding(&report(&facts), "ipv6.method=shared");
    assert_eq!(verdict, Verdict::Warning);
    assert_eq!(fix.as_deref(), Some(NM_SHARED_FIX));
}
