//! The judge on facts built in code: a healthy machine, then one thing changed at a time.

use std::collections::BTreeMap;

use super::facts::{DhcpFacts, Facts, HookFile, Setup, Shim, TargetFile};
use super::judge::judge;
use super::*;
use crate::inspect::docker_flags::{FlagSource, Survey};
use crate::inspect::lease_file::{LeasedPrefix, Leases};
use crate::inspect::read::Found;
use crate::plan::daemon_json::DaemonJson;
use crate::plan::target::Contents;
use crate::settings::FileKind;

const PREFIX_FILE: &str = "/etc/docker/ipv6.prefix";
const DAEMON_JSON: &str = "/etc/docker/daemon.json";
/// daemon.json of a docker 28.2 or later that routes containers' IPv6 unmasqueraded.
pub(super) const ROUTED: &str = r#"{"ip-masq": false, "allow-direct-routing": true}"#;

fn shim() -> HookFile {
    HookFile {
        name: "docker-ipv6".into(),
        text: Found::Read("if [ -x /usr/sbin/docker-ipv6-pd ]; then :; fi # docker-ipv6-pd".into()),
        shim: Some(Shim {
            binary: "/usr/sbin/docker-ipv6-pd".into(),
            executable: true,
        }),
    }
}

fn docker_opts_source() -> FlagSource {
    FlagSource {
        origin: "/etc/default/docker (DOCKER_OPTS)".into(),
        flags: vec![
            ("ipv6".into(), None),
            (
                "fixed-cidr-v6".into(),
                Some("$(cat /etc/docker/ipv6.prefix)".into()),
            ),
        ],
        words: vec![
            "--ipv6".into(),
            "--fixed-cidr-v6=$(cat /etc/docker/ipv6.prefix)".into(),
        ],
    }
}

fn prefix_file(bytes: Found<Vec<u8>>) -> TargetFile {
    TargetFile {
        kind: FileKind::PrefixFile,
        shown: PREFIX_FILE.into(),
        contents: bytes.map(|b| Contents::PrefixFile(Some(b))),
    }
}

/// The machine of the integration tests' healthy fixture, as facts.
pub(super) fn healthy() -> Facts {
    Facts {
        setup: Setup {
            kinds: vec![FileKind::PrefixFile],
            subnet_size: 80,
            subnet_id: 0,
            prefix_file: PREFIX_FILE.into(),
            daemon_json: DAEMON_JSON.into(),
            nptv6: false,
        },
        hooks: vec![shim()],
        processes: vec![(
            100,
            ["dhclient", "-6", "-P", "eth0"].map(String::from).to_vec(),
        )],
        enabled_units: Vec::new(),
        forwarding: Found::Read("1".into()),
        accept_ra: BTreeMap::from([("eth0".to_string(), Found::Read("2".to_string()))]),
        systemd: false,
        daemon_json: Found::Read(Ok(DaemonJson::parse(Some(ROUTED.as_bytes())).unwrap())),
        targets: vec![prefix_file(Found::Read(b"2001:db8:0:100::/80\n".to_vec()))],
        flags: Survey {
            sources: vec![docker_opts_source()],
            ..Survey::default()
        },
        leases: Leases {
            prefixes: vec![(
                "/var/lib/dhcp/dhclient6.leases".into(),
                LeasedPrefix {
                    prefix: "2001:db8:0:100::/60".parse().unwrap(),
                    interface: Some("eth0".into()),
                    starts: Some(1_742_000_000),
                    preferred_life: Some(1800),
                    max_life: Some(3600),
                },
            )],
            unreadable: Vec::new(),
        },
        docker_package: Found::Read(Some(("docker-ce".into(), "5:28.2.2-1".into()))),
        dhcp: DhcpFacts {
            dhclient: true,
            dhcpcd: false,
            dhcpcd_pids: Vec::new(),
            elsewhere: Vec::new(),
            dhcpcd_conf: Found::Missing,
            dhcpcd_hooks: None,
        },
        docker_unit: None,
        containers: Vec::new(),
        containers_unreadable: Vec::new(),
        docker0: Vec::new(),
        nptv6: None,
        network_managers: Default::default(),
    }
}

/// daemon.json as the only target, holding `json`.
pub(super) fn daemon_json_target(facts: &mut Facts, json: &str) {
    let parsed = DaemonJson::parse(Some(json.as_bytes())).unwrap();
    facts.setup.kinds = vec![FileKind::DaemonJson];
    facts.daemon_json = Found::Read(Ok(parsed.clone()));
    facts.targets = vec![TargetFile {
        kind: FileKind::DaemonJson,
        shown: DAEMON_JSON.into(),
        contents: Found::Read(Contents::DaemonJson(parsed)),
    }];
    facts.flags.sources.clear();
}

pub(super) fn with(verdict: Verdict, report: &Report, part: &str) -> Option<Finding> {
    report
        .0
        .iter()
        .find(|f| f.verdict == verdict && f.message.contains(part))
        .cloned()
}

#[track_caller]
pub(super) fn has(verdict: Verdict, report: &Report, part: &str) -> Finding {
    with(verdict, report, part).unwrap_or_else(|| panic!("no {verdict:?} {part:?} in:\n{report}"))
}

#[test]
fn a_healthy_machine_has_only_ok_findings() {
    let report = judge(&healthy());
    assert!(
        report.0.iter().all(|f| f.verdict == Verdict::Ok),
        "{report}"
    );
    has(
        Verdict::Ok,
        &report,
        "/etc/docker/ipv6.prefix holds 2001:db8:0:100::/80",
    );
    has(Verdict::Ok, &report, "lies inside the delegated prefix");
    has(
        Verdict::Ok,
        &report,
        "docker-ce 5:28.2.2-1 gives default-bridge containers sequential addresses in the /80",
    );
}

#[test]
fn daemon_json_with_ipv6_false_is_turned_on_by_the_hook() {
    let mut facts = healthy();
    daemon_json_target(&mut facts, r#"{"ipv6": false}"#);
    let report = judge(&facts);
    let warning = has(
        Verdict::Warning,
        &report,
        "has \"ipv6\": false, which the hook turns to true",
    );
    assert!(
        warning
            .fix
            .unwrap()
            .contains("take daemon-json out of `target`")
    );
    // Not the hook's file: no such promise.
    let mut facts = healthy();
    facts.daemon_json = Found::Read(Ok(DaemonJson::parse(Some(br#"{"ipv6": false}"#)).unwrap()));
    assert_eq!(
        with(Verdict::Warning, &judge(&facts), "\"ipv6\": false"),
        None
    );
}

#[test]
fn a_missing_prefix_file_is_not_also_called_written() {
    let mut facts = healthy();
    facts.targets = vec![prefix_file(Found::Missing)];
    facts.flags.sources.clear();
    let report = judge(&facts);
    has(
        Verdict::Warning,
        &report,
        "/etc/docker/ipv6.prefix does not exist yet",
    );
    has(
        Verdict::Warning,
        &report,
        "the hook writes the subnet to /etc/docker/ipv6.prefix, but nothing gives that file to dockerd",
    );
    assert!(
        !report.to_string().contains("ipv6.prefix is written"),
        "{report}"
    );
}

#[test]
fn files_that_are_not_regular_are_problems_named_by_path() {
    let fifo = |path: &str| format!("{path} is not a regular file (a FIFO)");
    let mut facts = healthy();
    facts.daemon_json = Found::Unreadable(fifo(DAEMON_JSON));
    facts.flags.unreadable = vec![fifo("/etc/default/docker")];
    facts.leases.unreadable = vec![fifo("/var/lib/dhcp/dhclient6.leases")];
    facts.targets = vec![prefix_file(Found::Unreadable(fifo(PREFIX_FILE)))];
    let report = judge(&facts);
    for path in [
        DAEMON_JSON,
        "/etc/default/docker",
        "/var/lib/dhcp/dhclient6.leases",
        PREFIX_FILE,
    ] {
        let problem = has(Verdict::Problem, &report, &fifo(path));
        assert!(problem.fix.is_some());
    }
}

#[test]
fn options_that_cannot_be_told_are_a_warning_not_a_missing_subnet() {
    let mut facts = healthy();
    facts.flags.sources.clear();
    facts.flags.cannot_tell = vec![
        "cannot tell which flags /etc/default/docker (DOCKER_OPTS) gives dockerd: deep".into(),
    ];
    let report = judge(&facts);
    has(
        Verdict::Warning,
        &report,
        "cannot tell which flags /etc/default/docker",
    );
    assert_eq!(
        with(Verdict::Problem, &report, "docker gets no IPv6 subnet"),
        None,
        "{report}"
    );
    facts.flags.cannot_tell.clear();
    has(
        Verdict::Problem,
        &judge(&facts),
        "docker gets no IPv6 subnet",
    );
}

#[test]
fn hook_names_and_shims() {
    let mut facts = healthy();
    facts.hooks[0].name = "docker-ipv6.sh".into();
    let report = judge(&facts);
    has(
        Verdict::Problem,
        &report,
        "docker-ipv6.sh is ignored: run-parts",
    );
    has(Verdict::Problem, &report, "no docker-ipv6-pd hook");
    facts.hooks[0].name = "docker-ipv6.replaced-by-docker-ipv6-pd".into();
    assert_eq!(with(Verdict::Problem, &judge(&facts), "is ignored"), None);
    let mut facts = healthy();
    facts.hooks[0].shim.as_mut().unwrap().executable = false;
    has(
        Verdict::Problem,
        &judge(&facts),
        "calls /usr/sbin/docker-ipv6-pd, which is missing",
    );
}

#[test]
fn dhcp_client_sysctls_and_running_dockerd() {
    let mut facts = healthy();
    facts.processes[0].1 = ["dhclient", "-6", "eth0"].map(String::from).to_vec();
    has(
        Verdict::Problem,
        &judge(&facts),
        "dhclient -6 runs without -P (pid 100)",
    );
    let mut facts = healthy();
    facts
        .accept_ra
        .insert("eth0".into(), Found::Read("1".into()));
    has(
        Verdict::Problem,
        &judge(&facts),
        "accept_ra=1 with forwarding on",
    );
    facts.accept_ra.clear();
    has(
        Verdict::Warning,
        &judge(&facts),
        "cannot read net.ipv6.conf.eth0.accept_ra",
    );
    let mut facts = healthy();
    facts.flags.sources.push(FlagSource {
        origin: "running dockerd (pid 200)".into(),
        flags: vec![("fixed-cidr-v6".into(), Some("2001:db8:0:200::/80".into()))],
        words: Vec::new(),
    });
    has(
        Verdict::Problem,
        &judge(&facts),
        "the running dockerd (pid 200) uses 2001:db8:0:200::/80, but /etc/docker/ipv6.prefix holds 2001:db8:0:100::/80",
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
