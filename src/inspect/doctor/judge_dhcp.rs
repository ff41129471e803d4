//! Doctor's verdicts on the DHCPv6 client: which dhclient or dhcpcd runs here (those in
//! another mount namespace are not ours), whether it asks for a prefix, and on which uplinks.

use crate::inspect::docker_flags;
use crate::inspect::doctor::Report;
use crate::inspect::doctor::dhcpcd_title::{self, Serves};
use crate::inspect::doctor::facts::{DhcpFacts, Facts};
use crate::inspect::doctor::judge::{DHCPCD_PD_FIX, MAKE_IT_REGULAR};
use crate::inspect::doctor::judge_network_managers;
use crate::inspect::read::Found;

/// How to have the DHCP clients installed run the hook again, for fixes: dhclient6-pd@ only
/// where dhclient is installed.
pub fn rerun_event(dhcp: &DhcpFacts) -> &'static str {
    match (dhcp.dhclient, dhcp.dhcpcd) {
        (true, true) => "systemctl restart dhclient6-pd@IFACE, or dhcpcd --rebind",
        (true, false) => "systemctl restart dhclient6-pd@IFACE",
        (false, true) => "dhcpcd --rebind",
        (false, false) => "restart the DHCPv6 client",
    }
}

/// True when dhcpcd.conf has an active `ia_pd` line.
pub fn asks_for_prefix(dhcpcd_conf: &str) -> bool {
    dhcpcd_conf
        .lines()
        .any(|l| l.split_whitespace().next() == Some("ia_pd"))
}

/// Whether a running dhcpcd is configured to ask for a prefix.
fn dhcpcd_conf(facts: &Facts, report: &mut Report) {
    match &facts.dhcp.dhcpcd_conf {
        Found::Read(text) if asks_for_prefix(text) => {
            report.ok("/etc/dhcpcd.conf asks for a delegated prefix (ia_pd)")
        }
        Found::Unreadable(why) => report.warning(why.clone(), Some(MAKE_IT_REGULAR.into())),
        _ => report.problem(
            "dhcpcd runs, but /etc/dhcpcd.conf has no ia_pd: it asks for no prefix (unless it was started with -f another file, which dhcpcd 10 no longer shows in its command line)",
            DHCPCD_PD_FIX,
        ),
    }
}

/// True when process `pid` with `argv` is a dhcpcd: by name, or by /proc/PID/comm or exe.
fn is_dhcpcd(facts: &Facts, pid: u32, argv: &[String]) -> bool {
    docker_flags::is_program(argv, "dhcpcd") || facts.dhcp.dhcpcd_pids.contains(&pid)
}

/// The running dhcpcd, one line per interface it serves however many processes it runs
/// (each proxy and helper is the same dhcpcd), naming its manager's pid where there is one.
/// Returns the interfaces, and whether any dhcpcd runs here.
fn dhcpcd(facts: &Facts, report: &mut Report) -> (Vec<String>, bool) {
    // (what it serves, pid named, named by the manager's title)
    let mut served: Vec<(Serves, u32, bool)> = Vec::new();
    let mut first = None;
    for (pid, argv) in &facts.processes {
        if !is_dhcpcd(facts, *pid, argv) || facts.dhcp.elsewhere.contains(pid) {
            continue;
        }
        first.get_or_insert(*pid);
        let serves = dhcpcd_title::serves(argv);
        if serves == Serves::Helper {
            continue;
        }
        let manager = dhcpcd_title::is_manager(argv);
        match served.iter_mut().find(|(s, _, _)| *s == serves) {
            Some(entry) if manager && !entry.2 => *entry = (serves, *pid, true),
            Some(_) => {}
            None => served.push((serves, *pid, manager)),
        }
    }
    let mut uplinks = Vec::new();
    for (serves, pid, _) in &served {
        match serves {
            Serves::Interface(name) => {
                report.ok(format!("dhcpcd runs on {name} (pid {pid})"));
                uplinks.push(name.clone());
            }
            _ => report.ok(format!("dhcpcd runs on every interface (pid {pid})")),
        }
    }
    if let (true, Some(pid)) = (served.is_empty(), first) {
        report.ok(format!(
            "dhcpcd runs (pid {pid}; its titles name no interface)"
        ));
    }
    (uplinks, first.is_some())
}

/// The DHCP clients left out because they run in another mount namespace.
fn left_out(facts: &Facts, report: &mut Report) {
    for (pid, argv) in &facts.processes {
        if !facts.dhcp.elsewhere.contains(pid) {
            continue;
        }
        let program = if is_dhcpcd(facts, *pid, argv) {
            "dhcpcd"
        } else {
            "dhclient"
        };
        report.ok(format!(
            "not checked: {program} (pid {pid}) runs in another mount namespace (a container's, \
             a test's or a rootless one): its hook runs there, not here"
        ));
    }
}

/// Checks that a DHCPv6 client asks for a prefix; returns the uplink interfaces.
pub fn dhcp_client(facts: &Facts, report: &mut Report) -> Vec<String> {
    let (mut uplinks, dhcpcd_runs) = dhcpcd(facts, report);
    let mut without_prefix = false;
    for (pid, argv) in &facts.processes {
        if !docker_flags::is_program(argv, "dhclient")
            || !argv.iter().any(|a| a == "-6")
            || facts.dhcp.elsewhere.contains(pid)
        {
            continue;
        }
        let interface = argv.last().filter(|a| !a.starts_with('-')).cloned();
        let on = interface
            .clone()
            .unwrap_or_else(|| "every interface".into());
        if argv.iter().any(|a| a == "-P") {
            report.ok(format!("dhclient -6 -P runs on {on} (pid {pid})"));
            uplinks.extend(interface);
        } else {
            without_prefix = true;
            report.problem(
                format!(
                    "dhclient -6 runs without -P (pid {pid}): it asks for addresses, not a prefix"
                ),
                "run dhclient -6 -P IFACE, e.g. systemctl enable --now dhclient6-pd@IFACE",
            );
        }
    }
    left_out(facts, report);
    for name in &facts.enabled_units {
        let unit = name
            .strip_prefix("dhclient6-pd@")
            .and_then(|n| n.strip_suffix(".service"));
        let Some(iface) = unit else {
            continue;
        };
        if !facts.dhcp.dhclient {
            report.warning(
                format!("dhclient6-pd@{iface}.service is enabled but dhclient is not installed: it cannot run"),
                Some(format!("systemctl disable dhclient6-pd@{iface}")),
            );
            continue;
        }
        if uplinks.iter().any(|u| u == iface) {
            continue;
        }
        report.warning(
            format!(
                "dhclient6-pd@{iface}.service is enabled but no dhclient -6 -P runs on {iface}"
            ),
            Some(format!(
                "systemctl start dhclient6-pd@{iface}; journalctl -u dhclient6-pd@{iface}"
            )),
        );
        uplinks.push(iface.to_string());
    }
    if dhcpcd_runs {
        dhcpcd_conf(facts, report);
    }
    if uplinks.is_empty()
        && !without_prefix
        && !dhcpcd_runs
        && !judge_network_managers::speaks_for_the_prefix(facts)
    {
        let dhcp = &facts.dhcp;
        let fix = match (dhcp.dhclient, dhcp.dhcpcd) {
            (true, _) => "systemctl enable --now dhclient6-pd@IFACE (IFACE: the interface towards the router)".to_string(),
            (false, true) => format!("dhcpcd is installed and dhclient is not: {DHCPCD_PD_FIX}"),
            (false, false) => format!("install a DHCPv6 client: isc-dhcp-client (Debian 12, 13), then systemctl enable --now dhclient6-pd@IFACE; or dhcpcd-base (Debian 14 has no dhclient), then {DHCPCD_PD_FIX}"),
        };
        report.problem(
            "no DHCPv6 client asks for a prefix (no dhclient -6 -P or dhcpcd running, no dhclient6-pd@ unit enabled)",
            fix,
        );
    }
    uplinks
}
