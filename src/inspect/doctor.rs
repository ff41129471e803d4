//! `docker-ipv6-pd doctor`: checks a machine's whole setup and says, one line per check,
//! what is right, what is odd, and what is wrong with the fix for it.
//!
//! Everything is read under `--root` (`/` on a live system; a fixture tree in tests):
//! /etc, /proc (processes and sysctls), /var/lib/dhcp, /var/lib/dpkg and /run.

use std::fmt;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use ipnet::Ipv6Net;

use crate::apply::init_system::InitSystem;
use crate::inspect::docker_flags::{self, FlagSource};
use crate::inspect::lease_file;
use crate::plan::daemon_json::{self, DaemonJson};
use crate::plan::target::Kind;
use crate::settings::{Settings, under};
use crate::subnet::parse_file_contents;

/// How a check came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Ok,
    Warning,
    Problem,
}

/// One line of the report, with the fix when something is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub level: Level,
    pub message: String,
    pub fix: Option<String>,
}

/// Everything doctor found, in the order checked.
#[derive(Clone, Debug, Default)]
pub struct Report(pub Vec<Finding>);

impl Report {
    fn ok(&mut self, message: impl Into<String>) {
        self.push(Level::Ok, message.into(), None);
    }

    fn warning(&mut self, message: impl Into<String>, fix: Option<String>) {
        self.push(Level::Warning, message.into(), fix);
    }

    fn problem(&mut self, message: impl Into<String>, fix: impl Into<String>) {
        self.push(Level::Problem, message.into(), Some(fix.into()));
    }

    fn push(&mut self, level: Level, message: String, fix: Option<String>) {
        self.0.push(Finding {
            level,
            message,
            fix,
        });
    }

    /// True when any check found a problem (doctor then exits non-zero).
    pub fn has_problem(&self) -> bool {
        self.0.iter().any(|f| f.level == Level::Problem)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for finding in &self.0 {
            let label = match finding.level {
                Level::Ok => "ok",
                Level::Warning => "warning",
                Level::Problem => "problem",
            };
            writeln!(f, "{label:<8} {}", finding.message)?;
            if let Some(fix) = &finding.fix {
                writeln!(f, "{:<8} fix: {fix}", "")?;
            }
        }
        let problems = self.0.iter().filter(|f| f.level == Level::Problem).count();
        let warnings = self.0.iter().filter(|f| f.level == Level::Warning).count();
        writeln!(f, "{problems} problem(s), {warnings} warning(s)")
    }
}

/// Runs every check.
pub fn examine(settings: &Settings) -> Report {
    let root = settings.root.as_path();
    let mut report = Report::default();
    let processes = docker_flags::processes(root);
    check_hooks(root, &mut report);
    let uplinks = check_dhcp_client(root, &processes, &mut report);
    check_sysctls(root, &uplinks, &mut report);
    let flags = docker_flags::find(root);
    let json = check_docker_wiring(settings, &flags, &mut report);
    check_subnets(settings, &flags, json.as_ref(), &mut report);
    check_docker_version(root, settings.subnet_size, &mut report);
    report
}

/// run-parts --list runs only names made of these characters.
fn run_parts_accepts(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The binary a shim runs: the path in its `if [ -x PATH ]` line.
fn shim_binary(text: &str) -> Option<&str> {
    text.lines()
        .find_map(|l| l.trim().strip_prefix("if [ -x ")?.split_whitespace().next())
}

/// Words in a hook that show it writes docker's subnet (the published hook has them all).
const SUBNET_WRITER_MARKS: [&str; 3] = ["sipcalc", "ipv6.prefix", "fixed-cidr-v6"];

fn check_hooks(root: &Path, report: &mut Report) {
    let dir = "/etc/dhcp/dhclient-enter-hooks.d";
    let mut shims = 0;
    for (name, text) in files_in(&under(root, Path::new(dir))) {
        let path = format!("{dir}/{name}");
        let runs = run_parts_accepts(&name);
        if text.contains("docker-ipv6-pd") && shim_binary(&text).is_some() {
            if !runs {
                if name.ends_with(".replaced-by-docker-ipv6-pd") {
                    continue;
                }
                report.problem(
                    format!(
                        "{path} is ignored: run-parts runs only names of letters, digits, _ and -"
                    ),
                    format!("rename it to {dir}/docker-ipv6"),
                );
                continue;
            }
            shims += 1;
            let binary = shim_binary(&text).unwrap_or_default();
            if is_executable(&under(root, Path::new(binary))) {
                report.ok(format!("{path} runs {binary}"));
            } else {
                report.problem(
                    format!("{path} calls {binary}, which is missing or not executable"),
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
fn check_dhcp_client(
    root: &Path,
    processes: &[(u32, Vec<String>)],
    report: &mut Report,
) -> Vec<String> {
    let mut uplinks = Vec::new();
    let mut without_prefix = false;
    for (pid, argv) in processes {
        if docker_flags::is_program(argv, "dhcpcd") {
            // dhcpcd asks for a prefix when its configuration has ia_pd; its binary lease
            // files are not read, so the lease checks below cannot speak for it.
            let interface = argv.last().filter(|a| !a.starts_with('-')).cloned();
            let on = interface
                .clone()
                .unwrap_or_else(|| "every interface".into());
            report.ok(format!("dhcpcd runs on {on} (pid {pid}); its hook is /usr/lib/dhcpcd/dhcpcd-hooks/62-docker-ipv6-pd"));
            uplinks.extend(interface);
            continue;
        }
        if !docker_flags::is_program(argv, "dhclient") || !argv.iter().any(|a| a == "-6") {
            continue;
        }
        let interface = argv.last().filter(|a| !a.starts_with('-')).cloned();
        if argv.iter().any(|a| a == "-P") {
            let on = interface
                .clone()
                .unwrap_or_else(|| "every interface".into());
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
    let wants = under(
        root,
        Path::new("/etc/systemd/system/multi-user.target.wants"),
    );
    for (name, _) in files_in(&wants) {
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

fn check_sysctls(root: &Path, uplinks: &[String], report: &mut Report) {
    let sysctl = |name: &str| {
        fs::read_to_string(under(
            root,
            &Path::new("/proc/sys/net/ipv6/conf").join(name),
        ))
        .ok()
        .map(|v| v.trim().to_string())
    };
    let forwarding = sysctl("all/forwarding");
    match forwarding.as_deref() {
        Some("1") => report.ok("net.ipv6.conf.all.forwarding=1: containers' packets are routed"),
        Some(value) => report.problem(
            format!("net.ipv6.conf.all.forwarding={value}: the host will not route the containers' packets"),
            "sysctl -w net.ipv6.conf.all.forwarding=1, and persist it in /etc/sysctl.d/",
        ),
        None => report.warning("cannot read net.ipv6.conf.all.forwarding", None),
    }
    for uplink in uplinks {
        match sysctl(&format!("{uplink}/accept_ra")).as_deref() {
            Some("2") => report.ok(format!("net.ipv6.conf.{uplink}.accept_ra=2: router advertisements still count with forwarding on")),
            Some(value) if forwarding.as_deref() == Some("1") => report.problem(
                format!("net.ipv6.conf.{uplink}.accept_ra={value} with forwarding on: the host ignores router advertisements and loses its default route"),
                format!("sysctl -w net.ipv6.conf.{uplink}.accept_ra=2, and persist it in /etc/sysctl.d/"),
            ),
            Some(value) => report.ok(format!("net.ipv6.conf.{uplink}.accept_ra={value}")),
            None => report.warning(format!("cannot read net.ipv6.conf.{uplink}.accept_ra"), None),
        }
    }
}

/// Reports where docker gets its IPv6 settings and every conflict; returns daemon.json.
fn check_docker_wiring(
    settings: &Settings,
    flags: &[FlagSource],
    report: &mut Report,
) -> Option<DaemonJson> {
    let root = settings.root.as_path();
    let systemd = InitSystem::detect(root) == InitSystem::Systemd;
    let json_path = under(root, &settings.daemon_json);
    let shown = settings.daemon_json.display();
    let json = match fs::read(&json_path) {
        Ok(bytes) => match DaemonJson::parse(Some(&bytes)) {
            Ok(json) => Some(json),
            Err(e) => {
                report.problem(
                    format!("{shown}: {e}: dockerd will not start"),
                    format!("fix the JSON in {shown}"),
                );
                None
            }
        },
        Err(_) => None,
    };
    for source in flags {
        let names: Vec<String> = source.flags.iter().map(|(n, _)| format!("--{n}")).collect();
        report.ok(format!(
            "dockerd gets {} from {}",
            names.join(" "),
            source.origin
        ));
        if source.origin.starts_with("/etc/default/docker") && systemd {
            report.problem(
                "/etc/default/docker sets DOCKER_OPTS, but systemd runs here and docker.service ignores that file",
                "set `target = daemon-json` in /etc/docker-ipv6-pd/docker-ipv6-pd.conf and remove the DOCKER_OPTS line",
            );
        }
        if let Some(json) = &json {
            for (name, _) in &source.flags {
                if json.has(name) {
                    report.problem(
                        format!("{name} is both a dockerd flag ({}) and a key in {shown}: dockerd refuses to start, even with equal values", source.origin),
                        format!("keep one: remove the flag, or the key from {shown}"),
                    );
                }
            }
        }
    }
    if let Some(json) = &json
        && json.has(daemon_json::FIXED_CIDR_V6)
    {
        report.ok(format!("{shown} sets fixed-cidr-v6"));
        if !json.ipv6_enabled() {
            report.problem(
                format!("{shown} sets fixed-cidr-v6 but not \"ipv6\": true"),
                format!("add \"ipv6\": true to {shown}"),
            );
        }
    }
    let from_flags = flags
        .iter()
        .any(|s| s.flags.iter().any(|(n, _)| n == "fixed-cidr-v6"));
    let from_json = json
        .as_ref()
        .is_some_and(|j| j.has(daemon_json::FIXED_CIDR_V6));
    if !from_flags && !from_json {
        let fix = if systemd {
            "set `target = daemon-json` in /etc/docker-ipv6-pd/docker-ipv6-pd.conf".to_string()
        } else {
            "in /etc/default/docker: DOCKER_OPTS=\"--ipv6 --fixed-cidr-v6=$(cat /etc/docker/ipv6.prefix)\"".to_string()
        };
        report.problem(
            "docker gets no IPv6 subnet: neither a dockerd flag nor daemon.json sets fixed-cidr-v6",
            fix,
        );
    }
    let kinds = crate::plan::target::files_of(settings.target);
    let prefix_file = settings.prefix_file.display().to_string();
    if kinds.contains(&Kind::PrefixFile)
        && !flags
            .iter()
            .any(|s| s.words.iter().any(|w| w.contains(&prefix_file)))
        && !from_json
    {
        report.warning(
            format!("{prefix_file} is written, but neither DOCKER_OPTS nor a docker.service override reads it"),
            Some(format!("--fixed-cidr-v6=$(cat {prefix_file}) in DOCKER_OPTS or the ExecStart override, or `target = daemon-json`")),
        );
    }
    json
}

fn check_subnets(
    settings: &Settings,
    flags: &[FlagSource],
    json: Option<&DaemonJson>,
    report: &mut Report,
) {
    let root = settings.root.as_path();
    let mut configured: Vec<(String, Ipv6Net)> = Vec::new();
    for kind in crate::plan::target::files_of(settings.target) {
        let shown = settings.path(*kind).display().to_string();
        match kind {
            Kind::PrefixFile => match fs::read(under(root, settings.path(*kind))) {
                Ok(bytes) => match parse_file_contents(&bytes) {
                    Some(net) => {
                        report.ok(format!("{shown} holds {net}"));
                        configured.push((shown, net));
                    }
                    None => report.problem(
                        format!("{shown} holds no valid subnet: {}", crate::error::quote(&bytes)),
                        "let the hook write it: restart dhclient, or run the hook by hand with new_ip6_prefix set",
                    ),
                },
                Err(_) => report.warning(format!("{shown} does not exist yet (no prefix delegated so far)"), None),
            },
            Kind::DaemonJson => match json.and_then(DaemonJson::subnet) {
                Some(net) => configured.push((shown, net)),
                None => report.warning(format!("{shown} has no fixed-cidr-v6 yet (no prefix delegated so far)"), None),
            },
        }
    }
    let leased = lease_file::delegated(root);
    let live: Vec<Ipv6Net> = leased
        .iter()
        .filter(|(_, p)| p.max_life != Some(0))
        .map(|(_, p)| p.prefix.trunc())
        .collect();
    if leased.is_empty() {
        report.warning(
            "no delegated prefix in /var/lib/dhcp/dhclient6*.leases",
            None,
        );
    }
    for (shown, net) in &configured {
        if live.iter().any(|p| p.contains(net)) {
            report.ok(format!("{net} in {shown} lies inside the delegated prefix"));
        } else if !leased.is_empty() {
            let prefixes: Vec<String> = live.iter().map(|p| p.to_string()).collect();
            report.problem(
                format!("{net} in {shown} is not inside the delegated prefix ({}): the router does not route it here", prefixes.join(", ")),
                "run the hook with the current lease: restart the dhclient6-pd unit (or dhclient -6 -P)",
            );
        }
    }
    for source in flags
        .iter()
        .filter(|s| s.origin.starts_with("running dockerd"))
    {
        for (name, value) in &source.flags {
            let Some(running) = value.as_deref().and_then(|v| v.parse::<Ipv6Net>().ok()) else {
                continue;
            };
            if name != "fixed-cidr-v6" {
                continue;
            }
            match configured.iter().find(|(_, net)| *net != running) {
                Some((shown, net)) => report.problem(
                    format!(
                        "the {} uses {running}, but {shown} holds {net}",
                        source.origin
                    ),
                    "restart docker so it picks up the new subnet",
                ),
                None => report.ok(format!("the {} uses {running}", source.origin)),
            }
        }
    }
}

fn check_docker_version(root: &Path, subnet_size: u8, report: &mut Report) {
    let status =
        fs::read_to_string(under(root, Path::new("/var/lib/dpkg/status"))).unwrap_or_default();
    let Some((package, version)) = installed_docker(&status) else {
        report.warning(
            "no docker package installed (docker.io, docker-ce or moby-engine)",
            None,
        );
        return;
    };
    let major = docker_major(&version);
    match major {
        Some(m) if m < 28 && subnet_size > 80 => report.problem(
            format!("{package} {version} gives default-bridge containers the subnet plus their 48-bit MAC, so the subnet must be /80 or shorter, not /{subnet_size}"),
            "subnet-size = 80 in /etc/docker-ipv6-pd/docker-ipv6-pd.conf",
        ),
        Some(_) => report.ok(format!("{package} {version} works with /{subnet_size} subnets")),
        None => report.warning(format!("cannot read the version of {package}: {version}"), None),
    }
}

/// The installed docker package and its version, from dpkg's status file.
fn installed_docker(status: &str) -> Option<(String, String)> {
    status.split("\n\n").find_map(|stanza| {
        let field = |name: &str| {
            stanza
                .lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(": "))
                .map(str::to_string)
        };
        let package = field("Package")?;
        let installed = field("Status").is_some_and(|s| s.ends_with(" installed"));
        (["docker.io", "docker-ce", "moby-engine"].contains(&package.as_str()) && installed)
            .then(|| Some((package, field("Version")?)))
            .flatten()
    })
}

/// `20.10.24+dfsg1-1` -> 20, `5:27.3.1-1~debian.12` -> 27.
fn docker_major(version: &str) -> Option<u32> {
    let version = version.split_once(':').map_or(version, |(_, v)| v);
    version.split('.').next()?.parse().ok()
}

fn files_in(dir: &Path) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| {
                    let e = e.ok()?;
                    let name = e.file_name().to_str()?.to_string();
                    let text = fs::read_to_string(e.path()).unwrap_or_default();
                    Some((name, text))
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

fn is_executable(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_parts_names() {
        assert!(run_parts_accepts("docker-ipv6"));
        assert!(run_parts_accepts("50_docker"));
        assert!(!run_parts_accepts("docker-ipv6.sh"));
        assert!(!run_parts_accepts("docker-ipv6.replaced-by-docker-ipv6-pd"));
    }

    #[test]
    fn finds_the_binary_a_shim_runs() {
        let shim =
            "# c\nif [ -x /usr/sbin/docker-ipv6-pd ]; then\n    /usr/sbin/docker-ipv6-pd\nfi\n";
        assert_eq!(shim_binary(shim), Some("/usr/sbin/docker-ipv6-pd"));
        assert_eq!(shim_binary("echo hi\n"), None);
    }

    #[test]
    fn reads_docker_versions() {
        assert_eq!(docker_major("20.10.24+dfsg1-1+deb12u1+b6"), Some(20));
        assert_eq!(docker_major("5:27.3.1-1~debian.12~bookworm"), Some(27));
        assert_eq!(docker_major("5:28.0.0-1"), Some(28));
        let status = "Package: docker.io\nStatus: deinstall ok config-files\nVersion: 19.03\n\nPackage: docker-ce\nStatus: install ok installed\nVersion: 5:28.1.1-1\n";
        assert_eq!(
            installed_docker(status),
            Some(("docker-ce".into(), "5:28.1.1-1".into()))
        );
    }

    #[test]
    fn report_lines_and_verdict() {
        let mut report = Report::default();
        report.ok("fine");
        assert!(!report.has_problem());
        report.problem("broken", "mend it");
        assert!(report.has_problem());
        assert_eq!(
            report.to_string(),
            "ok       fine\nproblem  broken\n         fix: mend it\n1 problem(s), 0 warning(s)\n"
        );
    }
}
