//! Doctor's verdicts: pure functions from the gathered facts to findings, each problem with
//! its fix. The hooks (dhclient's and dhcpcd's) and the sysctls are here; the DHCP client
//! processes in `judge_dhcp`, docker's wiring in `judge_docker`, what dockerd itself does
//! with the subnet in `judge_engine`.

use crate::apply::run_parts;
use crate::inspect::doctor::Report;
use crate::inspect::doctor::facts::{Facts, HOOKS_DIR};
use crate::inspect::doctor::{
    judge_dhcp, judge_docker, judge_engine, judge_network_managers, judge_nptv6,
};
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
    let uplinks = judge_dhcp::dhcp_client(facts, &mut report);
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
            if shim.executable && !facts.dhcp.dhclient {
                report.ok(format!(
                    "{path} is installed, but dhclient is not: nothing runs it (nothing to fix)"
                ));
            } else if shim.executable {
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
    if shims == 0 && !dhcpcd_only && !judge_network_managers::speaks_for_the_prefix(facts) {
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
    } else if facts
        .dhcp
        .dhcpcd_pids
        .iter()
        .any(|pid| !facts.dhcp.elsewhere.contains(pid))
        || !facts.dhcp.dhclient
    {
        report.problem(
            format!("no docker-ipv6-pd hook in {dir}, the directory dhcpcd-run-hooks reads: dhcpcd never calls it"),
            "./install.sh (or install the .deb)",
        );
    }
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
