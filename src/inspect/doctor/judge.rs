//! Doctor's verdicts: pure functions from the gathered facts to findings, each problem with
//! its fix. The DHCP client side (dhclient and dhcpcd) is here; docker's wiring is in
//! `judge_docker`, what dockerd itself does with the subnet in `judge_engine`.

use crate::apply::run_parts;
use crate::inspect::docker_flags;
use crate::inspect::doctor::Report;
use crate::inspect::doctor::facts::{Facts, HOOKS_DIR};
use crate::inspect::doctor::{judge_docker, judge_engine, judge_network_managers, judge_nptv6};
use crate::inspect::read::Found;

/// Words in a hook that show it writes docker's subnet (the published hook has them all).
const SUBNET_WRITER_MARKS: [&str; 3] = ["sipcalc", "ipv6.prefix", "fixed-cidr-v6"];

/// How to make dhcpcd ask for a prefix (dhcpcd.conf(5): `ia_pd` belongs in an interface
/// block; `-` as the interface requests the prefix without assigning it anywhere).
pub const DHCPCD_PD_FIX: &str = "in /etc/dhcpcd.conf add `interface IFACE` with `ipv6rs` and `ia_pd 1 -` under it (`-`: assign the prefix to no interface; `ia_pd 1 lan0/0/64` also puts a /64 on lan0), then restart dhcpcd";

/// The fix for a file that is not a regular file or is too large.
pub const MAKE_IT_REGULAR: &str = "make it a regular file of sensible size, or remove it";

/// Judges every fact, in the order a reader follows the setup: hooks, DHCP client,
/// sysctls, docker's wiring, the subnets, what docker itself does with them, then (nptv6)
/// the mapping.
pub fn judge(facts: &Facts) -> Report {
    let mut report = Report::default();
    hooks(facts, &mut report);
    let uplinks = dhcp_client(facts, &mut report);
    judge_network_managers::network_managers(facts, &mut report);
    sysctls(facts, &uplinks, &mut report);
    judge_docker::wiring(facts, &mut report);
    judge_docker::subnets(facts, &mut report);
    judge_engine::engine(facts, &mut report);
    judge_nptv6::mapping(facts, &mut report);
    report
}

fn hooks(facts: &Facts, report: &mut Report) {
    let dir = HOOKS_DIR;
    let mut shims = 0;
    for hook in &facts.hooks {
        let path = format!("{dir}/{}", hook.name);
        let runs = run_parts::accepts_name(&hook.name);
        let text = match &hook.text {
            Found::Read(text) => text,
            Found::Unreadable(why) if runs => {
                report.problem(why.clone(), MAKE_IT_REGULAR);
                continue;
            }
            _ => continue,
        };
        if let Some(shim) = &hook.shim {
            if !runs {
                if !hook.name.ends_with(".replaced-by-docker-ipv6-pd") {
                    report.problem(
                        format!("{path} is ignored: run-parts runs only names of letters, digits, _ and -"),
                        format!("rename it to {dir}/docker-ipv6"),
                    );
                }
                continue;
            }
            shims += 1;
            if shim.executable {
                report.ok(format!("{path} runs {}", shim.binary));
            } else {
                report.problem(
                    format!(
                        "{path} calls {}, which is missing or not executable",
                        shim.binary
                    ),
                    "install the binary again: ./install.sh (or the .deb)",
                );
            }
        } else if runs && SUBNET_WRITER_MARKS.iter().any(|m| text.contains(m)) {
            report.problem(
                format!("{path} also writes docker's IPv6 subnet (it mentions sipcalc, ipv6.prefix or fixed-cidr-v6): the two will fight"),
                format!("remove it, or move it aside as {path}.disabled (run-parts skips names with a dot)"),
            );
        }
    }
    dhcpcd_hook(facts, report);
    // Where dhcpcd is the only client (Debian 14 has no dhclient), dhclient's hooks do not matter.
    let dhcpcd_only = facts.dhcp.dhcpcd && !facts.dhcp.dhclient;
    if shims == 0 && !dhcpcd_only {
        report.problem(
            format!("no docker-ipv6-pd hook in {dir}: dhclient never calls it"),
            "./install.sh (or install the .deb)",
        );
    }
}

/// Whether the shim is in the hook directory dhcpcd-run-hooks reads.
fn dhcpcd_hook(facts: &Facts, report: &mut Report) {
    let Some(hooks) = &facts.dhcp.dhcpcd_hooks else {
        return;
    };
    let dir = &hooks.dir;
    if hooks.shim {
        report.ok(format!(
            "{dir} (where dhcpcd-run-hooks looks) has the docker-ipv6-pd hook"
        ));
    } else if !facts.dhcp.dhcpcd_pids.is_empty() || !facts.dhcp.dhclient {
        report.problem(
            format!("no docker-ipv6-pd hook in {dir}, the directory dhcpcd-run-hooks reads: dhcpcd never calls it"),
            "./install.sh (or install the .deb)",
        );
    }
}

/// The interface a dhcpcd process serves: its last argument, or in a title dhcpcd 10
/// wrote over its command line (`dhcpcd: [privileged proxy] eth0 [ip6]`) the first word
/// outside brackets.
fn dhcpcd_interface(argv: &[String]) -> Option<String> {
    if let [title] = argv
        && let Some(rest) = title.strip_prefix("dhcpcd:")
    {
        let mut depth = 0usize;
        let outside: String = rest
            .chars()
            .map(|c| {
                match c {
                    '[' => depth += 1,
                    ']' => depth = depth.saturating_sub(1),
                    _ if depth == 0 => return c,
                    _ => {}
                }
                ' '
            })
            .collect();
        return outside.split_whitespace().next().map(str::to_string);
    }
    argv.last()
        .filter(|a| a.len() > 1 && !a.starts_with('-') && !a.starts_with("dhcpcd"))
        .cloned()
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
            "dhcpcd runs, but /etc/dhcpcd.conf has no ia_pd: it asks for no prefix",
            DHCPCD_PD_FIX,
        ),
    }
}

/// Checks that a DHCPv6 client asks for a prefix; returns the uplink interfaces.
fn dhcp_client(facts: &Facts, report: &mut Report) -> Vec<String> {
    let mut uplinks = Vec::new();
    let mut without_prefix = false;
    let mut dhcpcd_seen: Vec<String> = Vec::new();
    for (pid, argv) in &facts.processes {
        let interface = argv.last().filter(|a| !a.starts_with('-')).cloned();
        let on = interface
            .clone()
            .unwrap_or_else(|| "every interface".into());
        if docker_flags::is_program(argv, "dhcpcd") || facts.dhcp.dhcpcd_pids.contains(pid) {
            // dhcpcd asks for a prefix when its configuration has ia_pd; its binary lease
            // files are not read, so the lease checks cannot speak for it. dhcpcd 10 runs
            // several processes per interface: one line for each interface.
            let interface = dhcpcd_interface(argv);
            let on = interface
                .clone()
                .unwrap_or_else(|| "every interface".into());
            if !dhcpcd_seen.contains(&on) {
                report.ok(format!("dhcpcd runs on {on} (pid {pid})"));
                uplinks.extend(interface);
                dhcpcd_seen.push(on);
            }
            continue;
        }
        if !docker_flags::is_program(argv, "dhclient") || !argv.iter().any(|a| a == "-6") {
            continue;
        }
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
    for name in &facts.enabled_units {
        let unit = name
            .strip_prefix("dhclient6-pd@")
            .and_then(|n| n.strip_suffix(".service"));
        if let Some(iface) = unit
            && !uplinks.iter().any(|u| u == iface)
        {
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
    }
    if !dhcpcd_seen.is_empty() {
        dhcpcd_conf(facts, report);
    }
    if uplinks.is_empty() && !without_prefix {
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

/// "cannot read net.ipv6.conf.NAME", with the reason when the file is there but unusable.
fn cannot_read(name: &str, found: Option<&Found<String>>) -> String {
    match found {
        Some(Found::Unreadable(why)) => format!("cannot read net.ipv6.conf.{name}: {why}"),
        _ => format!("cannot read net.ipv6.conf.{name}"),
    }
}

fn sysctls(facts: &Facts, uplinks: &[String], report: &mut Report) {
    let forwarding = facts.forwarding.clone().ok();
    match forwarding.as_deref() {
        Some("1") => report.ok("net.ipv6.conf.all.forwarding=1: containers' packets are routed"),
        Some(value) => report.problem(
            format!("net.ipv6.conf.all.forwarding={value}: the host will not route the containers' packets"),
            "sysctl -w net.ipv6.conf.all.forwarding=1, and persist it in /etc/sysctl.d/",
        ),
        None => report.warning(cannot_read("all.forwarding", Some(&facts.forwarding)), None),
    }
    for uplink in uplinks {
        let found = facts.accept_ra.get(uplink);
        match found.cloned().and_then(Found::ok).as_deref() {
            Some("2") => report.ok(format!("net.ipv6.conf.{uplink}.accept_ra=2: router advertisements still count with forwarding on")),
            Some(value) if forwarding.as_deref() == Some("1") => report.problem(
                format!("net.ipv6.conf.{uplink}.accept_ra={value} with forwarding on: the host ignores router advertisements and loses its default route"),
                format!("sysctl -w net.ipv6.conf.{uplink}.accept_ra=2, and persist it in /etc/sysctl.d/"),
            ),
            Some(value) => report.ok(format!("net.ipv6.conf.{uplink}.accept_ra={value}")),
            None => report.warning(cannot_read(&format!("{uplink}.accept_ra"), found), None),
        }
    }
}
