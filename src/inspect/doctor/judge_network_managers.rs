//! Doctor's verdicts on systemd-networkd and NetworkManager: each runs no hook, so each
//! needs our piece (the watch, the dispatcher script) and its own request for a prefix.
//! Pure, like `judge`.

use crate::inspect::docker_flags;
use crate::inspect::doctor::Report;
use crate::inspect::doctor::facts::Facts;
use crate::inspect::doctor::gather_network_managers::{
    DISPATCHER, NETWORK_DIRS, NetworkFile, WATCH_UNIT, values,
};
use crate::inspect::doctor::judge::MAKE_IT_REGULAR;
use crate::inspect::read::Found;

/// The first NetworkManager that puts the delegated prefix in its dispatcher scripts'
/// environment.
const NM_HANDS_PREFIXES: (u32, u32) = (1, 44);

/// How to make networkd ask for a prefix for the .network file `file` (the drop-in
/// install.sh's next steps print).
pub fn networkd_pd_fix(file: &str) -> String {
    let name = file.rsplit('/').next().unwrap_or(file);
    format!(
        "put the lines `[DHCPv6]`, `WithoutRA=solicit`, `UseDelegatedPrefix=yes` and `PrefixDelegationHint=::/56` in /etc/systemd/network/{name}.d/50-docker-ipv6-pd.conf (the .network file must start DHCPv6: DHCP=ipv6 or DHCP=yes; netplan: dhcp6: true), then networkctl reload"
    )
}

/// How to make NetworkManager ask for a prefix.
pub const NM_SHARED_FIX: &str =
    "nmcli connection modify LAN ipv6.method shared (LAN: the connection of a downstream port)";

/// True when systemd-networkd or NetworkManager runs: their own checks then say what hands
/// docker the prefix, so the checks for a dhclient or dhcpcd hook stay quiet.
pub fn speaks_for_the_prefix(facts: &Facts) -> bool {
    networkd_active(facts) || facts.network_managers.nm_running
}

/// Judges networkd and NetworkManager, where either runs (or the watch is enabled).
pub fn network_managers(facts: &Facts, report: &mut Report) {
    networkd(facts, report);
    network_manager(facts, report);
}

fn networkd_active(facts: &Facts) -> bool {
    facts.systemd && facts.network_managers.networkd_running
}

/// A dhclient -6 or dhcpcd runs.
fn other_client_runs(facts: &Facts) -> bool {
    !facts.dhcp.dhcpcd_pids.is_empty()
        || facts.processes.iter().any(|(_, argv)| {
            docker_flags::is_program(argv, "dhcpcd")
                || (docker_flags::is_program(argv, "dhclient") && argv.iter().any(|a| a == "-6"))
        })
}

fn networkd(facts: &Facts, report: &mut Report) {
    let n = &facts.network_managers;
    if !networkd_active(facts) {
        if n.watch_enabled {
            report.warning(
                format!("{WATCH_UNIT} is enabled, but systemd-networkd does not run: the watch has no prefix to follow"),
                Some("systemctl enable --now systemd-networkd, or systemctl disable --now docker-ipv6-pd-watch".into()),
            );
        }
        return;
    }
    report.ok("systemd-networkd runs");
    let other = other_client_runs(facts);
    if n.watch_enabled {
        report.ok(format!(
            "{WATCH_UNIT} is enabled: it follows networkd's delegated prefix"
        ));
    } else if other {
        return;
    } else {
        report.problem(
            format!("systemd-networkd runs, no dhclient or dhcpcd does, and {WATCH_UNIT} is not enabled: nothing hands docker networkd's prefix"),
            "systemctl enable --now docker-ipv6-pd-watch",
        );
    }
    let Some((uplink, how)) = &n.uplink else {
        report.warning(
            "the uplink is unknown (no lease recorded by the watch, no IPv6 default route): its .network file is not checked",
            Some(format!("`networkctl status IFACE` names the file; {}", networkd_pd_fix("FILE.network"))),
        );
        return;
    };
    match &n.network_file {
        None => report.warning(
            format!("no .network file in {} matches {uplink} (from {how}) by [Match] Name=: networkd does not manage it, or matches it otherwise (MACAddress=, Type=, `!`: not checked)", NETWORK_DIRS.join(", ")),
            Some(format!("`networkctl status {uplink}` names the file; {}", networkd_pd_fix("FILE.network"))),
        ),
        Some(file) => network_file(file, uplink, report),
    }
}

/// Whether the uplink's .network file (with drop-ins) asks for a prefix and starts DHCPv6.
fn network_file(file: &NetworkFile, uplink: &str, report: &mut Report) {
    let last = |section: &str, key: &str| values(&file.text, section, key).pop();
    let yes = |v: Option<String>| {
        v.is_some_and(|v| ["yes", "true", "on", "1"].contains(&v.to_ascii_lowercase().as_str()))
    };
    let hint = last("DHCPv6", "PrefixDelegationHint").is_some_and(|v| !v.is_empty());
    let asks = hint || yes(last("DHCPv6", "UseDelegatedPrefix"));
    let dhcp = last("Network", "DHCP")
        .is_some_and(|v| ["yes", "ipv6", "true", "on", "1"].contains(&v.as_str()));
    let starts = dhcp || last("DHCPv6", "WithoutRA").as_deref() == Some("solicit");
    let path = &file.path;
    let with = match file.drop_ins.len() {
        0 => String::new(),
        n => format!(" with {n} drop-in(s)"),
    };
    match (asks, starts) {
        (true, true) => report.ok(format!(
            "{path}{with}, networkd's file for {uplink}, asks for a delegated prefix"
        )),
        (false, _) => report.warning(
            format!("{path}{with}, networkd's file for {uplink}, asks for no prefix (no [DHCPv6] PrefixDelegationHint= or UseDelegatedPrefix=yes)"),
            Some(networkd_pd_fix(path)),
        ),
        (true, false) => report.warning(
            format!("{path}{with}, networkd's file for {uplink}, asks for a prefix but starts no DHCPv6 (no DHCP=ipv6 or DHCP=yes, no [DHCPv6] WithoutRA=solicit)"),
            Some(networkd_pd_fix(path)),
        ),
    }
}

/// `1.42.4-1` -> (1, 42).
fn major_minor(version: &str) -> Option<(u32, u32)> {
    let mut parts = version.split(['.', '-', '~', '+']);
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

fn network_manager(facts: &Facts, report: &mut Report) {
    let n = &facts.network_managers;
    if !n.nm_running {
        return;
    }
    let other = other_client_runs(facts);
    match n.nm_version.as_deref() {
        Some(v) if major_minor(v).is_some_and(|mm| mm < NM_HANDS_PREFIXES) => {
            let message = format!("NetworkManager {v} runs: before 1.44 it hands its dispatcher scripts no prefix");
            let fix = "leave the uplink to dhclient or dhcpcd: nmcli device set IFACE managed no";
            if other {
                report.warning(message, Some(fix.into()));
            } else {
                report.problem(message, fix);
            }
            return;
        }
        Some(v) => report.ok(format!("NetworkManager {v} runs")),
        None => report.warning(
            "NetworkManager runs, version unknown (no network-manager package in dpkg's status): it needs 1.44 or later to hand its dispatcher scripts the prefix",
            Some("check that `NetworkManager --version` says 1.44 or later".into()),
        ),
    }
    match &n.dispatcher {
        // Where dhclient or dhcpcd runs, NetworkManager may leave the uplink to it.
        Found::Missing if other => report.warning(
            format!("{DISPATCHER} is missing: NetworkManager never calls docker-ipv6-pd (fine if dhclient or dhcpcd, which runs, manages the uplink)"),
            Some("./install.sh (or install the .deb)".into()),
        ),
        Found::Missing => report.problem(
            format!("{DISPATCHER} is missing: NetworkManager never calls docker-ipv6-pd"),
            "./install.sh (or install the .deb)",
        ),
        Found::Unreadable(why) => report.problem(why.clone(), MAKE_IT_REGULAR),
        Found::Read(m) if m.uid != 0 || m.mode & 0o4022 != 0 || m.mode & 0o100 == 0 => report
            .problem(
                format!("{DISPATCHER} is owned by uid {} with mode {:04o}: NetworkManager skips it (it runs only root's executable files that group and others cannot write, not set-uid)", m.uid, m.mode),
                format!("chown root:root {DISPATCHER} && chmod 0755 {DISPATCHER}"),
            ),
        Found::Read(m) => report.ok(format!(
            "{DISPATCHER} is root's with mode {:04o}: NetworkManager runs it",
            m.mode
        )),
    }
    for why in &n.unreadable_connections {
        report.warning(why.clone(), Some(MAKE_IT_REGULAR.into()));
    }
    if n.shared_connections.is_empty() {
        report.warning(
            "no NetworkManager connection has ipv6.method=shared: NetworkManager asks for no prefix",
            Some(NM_SHARED_FIX.into()),
        );
    } else {
        report.ok(format!(
            "{} has ipv6.method=shared: NetworkManager asks for a prefix",
            n.shared_connections.join(", ")
        ));
    }
}

#[cfg(test)]
#[path = "judge_network_managers_tests.rs"]
mod tests;
