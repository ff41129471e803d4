//! The judge on facts built in code, for the DHCP client side of Debian 14: dhcpcd 10.5's
//! helper processes, dhclient's hook where dhclient is not installed, and DHCP clients in
//! another mount namespace.

use super::facts::{DhcpcdHooks, Facts};
use super::judge::judge;
use super::tests::{has, healthy, with};
use super::*;
use crate::inspect::read::Found;

/// A Debian 14 machine: dhcpcd installed and running the processes `titles` (pids from 500),
/// no dhclient, the shim in dhcpcd's hook directory, ia_pd configured, wan0 the uplink.
fn forky(titles: &[&str]) -> Facts {
    let mut facts = healthy();
    facts.processes = (500..)
        .zip(titles)
        .map(|(pid, title)| (pid, vec![title.to_string()]))
        .collect();
    facts.dhcp.dhclient = false;
    facts.dhcp.dhcpcd = true;
    facts.dhcp.dhcpcd_pids = facts.processes.iter().map(|(pid, _)| *pid).collect();
    facts.dhcp.dhcpcd_hooks = Some(DhcpcdHooks {
        dir: "/usr/libexec/dhcpcd-hooks".into(),
        shim: true,
    });
    facts.dhcp.dhcpcd_conf = Found::Read("interface wan0\n  ipv6rs\n  ia_pd 1 -\n".into());
    facts.accept_ra = [("wan0".to_string(), Found::Read("2".to_string()))].into();
    facts
}

/// The messages of the findings that contain `part`.
fn lines_with(report: &Report, part: &str) -> Vec<String> {
    report
        .0
        .iter()
        .filter(|f| f.message.contains(part))
        .map(|f| f.message.clone())
        .collect()
}

#[test]
fn dhcpcd_10_5s_helpers_are_the_same_dhcpcd_on_the_same_interface() {
    let facts = forky(&[
        "dhcpcd: [privileged proxy] wan0 [ip6]",
        "dhcpcd: wan0 [ip6]",
        "dhcpcd: [network proxy] fe80::a8c1:abff:fe01:2%wan0",
        "dhcpcd: [network proxy] 2001:db8:0:1::5",
        "dhcpcd: [control proxy] wan0 [ip6]",
    ]);
    let report = judge(&facts);
    assert!(!report.has_problem(), "{report}");
    assert_eq!(
        lines_with(&report, "dhcpcd runs"),
        ["dhcpcd runs on wan0 (pid 501)"],
        "{report}"
    );
    has(
        Verdict::Ok,
        &report,
        "net.ipv6.conf.wan0.accept_ra=2: router advertisements",
    );
    assert!(lines_with(&report, "cannot read").is_empty(), "{report}");
    assert!(!report.to_string().contains("fe80::"), "{report}");
}

#[test]
fn dhcpcd_in_manager_mode_runs_on_every_interface_once() {
    let facts = forky(&[
        "dhcpcd: [privileged proxy]",
        "dhcpcd: [manager] [ip4] [ip6]",
        "dhcpcd: [network proxy]",
        "dhcpcd: [DHCP6 proxy] fe80::1%wan0",
        "dhcpcd: [control proxy]",
    ]);
    let report = judge(&facts);
    assert_eq!(
        lines_with(&report, "dhcpcd runs"),
        ["dhcpcd runs on every interface (pid 501)"],
        "{report}"
    );
    // It asks for a prefix when dhcpcd.conf says so, whichever interfaces it serves.
    assert!(!report.has_problem(), "{report}");
    has(Verdict::Ok, &report, "asks for a delegated prefix (ia_pd)");
}

#[test]
fn only_helpers_in_sight_still_show_dhcpcd_runs() {
    let report = judge(&forky(&["dhcpcd: [DHCP6 proxy] 2001:db8::1"]));
    assert_eq!(
        lines_with(&report, "dhcpcd runs"),
        ["dhcpcd runs (pid 500; its titles name no interface)"],
        "{report}"
    );
    assert!(!report.has_problem(), "{report}");
}

#[test]
fn dhclients_hook_without_dhclient_is_installed_but_runs_nothing() {
    let mut facts = forky(&["dhcpcd: wan0 [ip6]"]);
    let report = judge(&facts);
    assert!(!report.has_problem(), "{report}");
    has(
        Verdict::Ok,
        &report,
        "/etc/dhcp/dhclient-enter-hooks.d/docker-ipv6 is installed, but dhclient is not: nothing runs it",
    );
    assert!(
        with(Verdict::Ok, &report, "docker-ipv6 runs").is_none(),
        "{report}"
    );
    // With dhclient there, the hook runs the binary.
    facts.dhcp.dhclient = true;
    has(
        Verdict::Ok,
        &judge(&facts),
        "/etc/dhcp/dhclient-enter-hooks.d/docker-ipv6 runs /usr/sbin/docker-ipv6-pd",
    );
}

#[test]
fn no_dhclient6_pd_advice_where_dhclient_is_missing() {
    let mut facts = forky(&["dhcpcd: wan0 [ip6]"]);
    facts.enabled_units = vec!["dhclient6-pd@wan0.service".into()];
    facts.leases.prefixes.clear();
    facts.targets[0].contents = Found::Read(crate::plan::target::Contents::PrefixFile(Some(
        b"garbage\n".to_vec(),
    )));
    let report = judge(&facts);
    has(
        Verdict::Warning,
        &report,
        "dhclient6-pd@wan0.service is enabled but dhclient is not installed",
    );
    let advice: Vec<&String> = report.0.iter().filter_map(|f| f.fix.as_ref()).collect();
    assert!(
        advice
            .iter()
            .all(|fix| !fix.contains("dhclient6-pd@IFACE") && !fix.contains("start dhclient6-pd")),
        "{report}"
    );
    has(Verdict::Problem, &report, "holds no valid subnet")
        .fix
        .filter(|fix| fix.contains("dhcpcd --rebind"))
        .expect("dhcpcd's way to rerun the hook");
    // dhclient's lease files say nothing on a machine without dhclient.
    assert!(with(Verdict::Warning, &report, "dhclient6*.leases").is_none());
}

#[test]
fn dhcp_clients_in_another_mount_namespace_are_not_ours() {
    let mut facts = healthy();
    facts.dhcp.elsewhere = vec![100];
    let report = judge(&facts);
    assert!(
        with(Verdict::Ok, &report, "dhclient -6 -P runs").is_none(),
        "{report}"
    );
    has(
        Verdict::Ok,
        &report,
        "not checked: dhclient (pid 100) runs in another mount namespace",
    );
    has(
        Verdict::Problem,
        &report,
        "no DHCPv6 client asks for a prefix",
    );
    // A dhcpcd elsewhere neither runs here nor needs the hook here.
    let mut facts = forky(&["dhcpcd: wan0 [ip6]", "dhcpcd: eth9 [ip6]"]);
    facts.dhcp.elsewhere = vec![501];
    let report = judge(&facts);
    assert_eq!(
        lines_with(&report, "dhcpcd runs"),
        ["dhcpcd runs on wan0 (pid 500)"],
        "{report}"
    );
    has(
        Verdict::Ok,
        &report,
        "not checked: dhcpcd (pid 501) runs in another mount namespace",
    );
}
