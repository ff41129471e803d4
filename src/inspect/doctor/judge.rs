//! Doctor's verdicts: pure functions from the gathered facts to findings, each problem with
//! its fix. The DHCP client side is here; docker's side is in `judge_docker`.

use crate::apply::run_parts;
use crate::inspect::docker_flags;
use crate::inspect::doctor::Report;
use crate::inspect::doctor::facts::{Facts, HOOKS_DIR};
use crate::inspect::doctor::judge_docker;
use crate::inspect::read::Found;

/// Words in a hook that show it writes docker's subnet (the published hook has them all).
const SUBNET_WRITER_MARKS: [&str; 3] = ["sipcalc", "ipv6.prefix", "fixed-cidr-v6"];

/// The fix for a file that is not a regular file or is too large.
pub const MAKE_IT_REGULAR: &str = "make it a regular file of sensible size, or remove it";

/// Judges every fact, in the order a reader follows the setup: hook, DHCP client,
/// sysctls, docker's wiring, the subnets, docker's version.
pub fn judge(facts: &Facts) -> Report {
    let mut report = Report::default();
    hooks(facts, &mut report);
    let uplinks = dhcp_client(facts, &mut report);
    sysctls(facts, &uplinks, &mut report);
    judge_docker::wiring(facts, &mut report);
    judge_docker::subnets(facts, &mut report);
    docker_version(facts, &mut report);
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
    if shims == 0 {
        report.problem(
            format!("no docker-ipv6-pd hook in {dir}: dhclient never calls it"),
            "./install.sh (or install the .deb)",
        );
    }
}

/// Checks that a DHCPv6 client asks for a prefix; returns the uplink interfaces.
fn dhcp_client(facts: &Facts, report: &mut Report) -> Vec<String> {
    let mut uplinks = Vec::new();
    let mut without_prefix = false;
    for (pid, argv) in &facts.processes {
        let interface = argv.last().filter(|a| !a.starts_with('-')).cloned();
        let on = interface
            .clone()
            .unwrap_or_else(|| "every interface".into());
        if docker_flags::is_program(argv, "dhcpcd") {
            // dhcpcd asks for a prefix when its configuration has ia_pd; its binary lease
            // files are not read, so the lease checks cannot speak for it.
            report.ok(format!("dhcpcd runs on {on} (pid {pid}); its hook is /usr/lib/dhcpcd/dhcpcd-hooks/62-docker-ipv6-pd"));
            uplinks.extend(interface);
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
    if uplinks.is_empty() && !without_prefix {
        report.problem(
            "no DHCPv6 client asks for a prefix (no dhclient -6 -P running, no dhclient6-pd@ unit enabled)",
            "systemctl enable --now dhclient6-pd@IFACE (IFACE: the interface towards the router)",
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

fn docker_version(facts: &Facts, report: &mut Report) {
    let subnet_size = facts.setup.subnet_size;
    let (package, version) = match &facts.docker_package {
        Found::Read(Some(installed)) => installed,
        Found::Unreadable(why) => {
            report.warning(
                format!("cannot tell which docker is installed: {why}"),
                None,
            );
            return;
        }
        Found::Read(None) | Found::Missing => {
            report.warning(
                "no docker package installed (docker.io, docker-ce or moby-engine)",
                None,
            );
            return;
        }
    };
    match docker_major(version) {
        Some(m) if m < 28 && subnet_size > 80 => report.problem(
            format!("{package} {version} gives default-bridge containers the subnet plus their 48-bit MAC, so the subnet must be /80 or shorter, not /{subnet_size}"),
            "subnet-size = 80 in /etc/docker-ipv6-pd/docker-ipv6-pd.conf",
        ),
        Some(_) => report.ok(format!("{package} {version} works with /{subnet_size} subnets")),
        None => report.warning(format!("cannot read the version of {package}: {version}"), None),
    }
}

/// `20.10.24+dfsg1-1` -> 20, `5:27.3.1-1~debian.12` -> 27.
pub fn docker_major(version: &str) -> Option<u32> {
    let version = version.split_once(':').map_or(version, |(_, v)| v);
    version.split('.').next()?.parse().ok()
}
