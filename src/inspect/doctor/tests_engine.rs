//! The judge on facts built in code, for docker's own behaviour (version, NAT, filtering,
//! live-restore, containers, docker0), DOCKER_OPTS under systemd, and dhcpcd.

use super::facts::{Container, DhcpcdHooks, DockerUnit};
use super::judge::judge;
use super::judge_engine::{flag_bool, version_of};
use super::tests::{ROUTED, has, healthy, with};
use super::*;
use crate::inspect::read::Found;
use crate::plan::daemon_json::DaemonJson;

fn docker(facts: &mut facts::Facts, version: &str, json: &str) {
    facts.docker_package = Found::Read(Some(("docker-ce".into(), version.into())));
    facts.daemon_json = Found::Read(Ok(DaemonJson::parse(Some(json.as_bytes())).unwrap()));
}

#[test]
fn reads_docker_versions() {
    assert_eq!(version_of("20.10.24+dfsg1-1+deb12u1+b6"), Some((20, 10)));
    assert_eq!(version_of("5:27.3.1-1~debian.12~bookworm"), Some((27, 3)));
    assert_eq!(version_of("5:28.2.2-1"), Some((28, 2)));
    assert_eq!(version_of("26.1.5+dfsg1-9"), Some((26, 1)));
    assert_eq!(version_of("latest"), None);
}

#[test]
fn any_subnet_size_works_the_size_only_picks_how_addresses_are_made() {
    let mut facts = healthy();
    facts.setup.subnet_size = 96;
    docker(&mut facts, "5:27.3.1-1", r#"{"ip-masq": false}"#);
    let report = judge(&facts);
    assert!(!report.has_problem(), "{report}");
    has(
        Verdict::Ok,
        &report,
        "27.3.1-1 gives default-bridge containers sequential addresses (MAC-derived ones only in a /80 or shorter) in the /96",
    );
    facts.setup.subnet_size = 80;
    has(
        Verdict::Ok,
        &judge(&facts),
        "addresses made of the subnet and their MAC in the /80",
    );
    facts.docker_package =
        Found::Unreadable("/var/lib/dpkg/status is larger than 33554432 bytes".into());
    has(
        Verdict::Warning,
        &judge(&facts),
        "cannot tell which docker is installed",
    );
}

#[test]
fn docker_27_and_later_masquerade_ipv6_by_default() {
    let mut facts = healthy();
    docker(&mut facts, "5:27.5.1-1", "{}");
    let problem = has(Verdict::Problem, &judge(&facts), "masquerades IPv6");
    let fix = problem.fix.unwrap();
    assert!(
        fix.contains(
            "--subnet 2001:db8:0:101::/64 -o com.docker.network.bridge.gateway_mode_ipv6=routed"
        ),
        "{fix}"
    );
    assert!(fix.contains("\"ip-masq\": false"), "{fix}");
    assert!(fix.contains("\"ip6tables\": false"), "{fix}");
    // 27 has no direct-routing filter.
    assert!(with(Verdict::Problem, &judge(&facts), "arrives over the bridge").is_none());
    docker(&mut facts, "5:27.5.1-1", r#"{"ip-masq": false}"#);
    let report = judge(&facts);
    assert!(!report.has_problem(), "{report}");
    has(
        Verdict::Ok,
        &report,
        "routes containers' IPv6 with their own addresses",
    );
}

#[test]
fn docker_28_2_drops_direct_routing_unless_allowed() {
    let mut facts = healthy();
    docker(&mut facts, "5:28.2.2-1", r#"{"ip-masq": false}"#);
    let problem = has(Verdict::Problem, &judge(&facts), "arrives over the bridge");
    assert!(
        problem
            .fix
            .unwrap()
            .contains("\"allow-direct-routing\": true")
    );
    docker(&mut facts, "5:28.1.1-1", r#"{"ip-masq": false}"#);
    assert!(!judge(&facts).has_problem());
    docker(&mut facts, "5:28.2.2-1", ROUTED);
    has(
        Verdict::Ok,
        &judge(&facts),
        "only published ports are reachable",
    );
}

#[test]
fn no_ip6tables_means_no_filter() {
    let mut facts = healthy();
    docker(&mut facts, "5:28.2.2-1", r#"{"ip6tables": false}"#);
    let report = judge(&facts);
    assert!(!report.has_problem(), "{report}");
    has(Verdict::Warning, &report, "ip6tables is off");
    docker(&mut facts, "26.1.5+dfsg1-9", "{}");
    has(
        Verdict::Warning,
        &judge(&facts),
        "every container port is reachable",
    );
    docker(&mut facts, "26.1.5+dfsg1-9", r#"{"ip6tables": true}"#);
    let problem = has(Verdict::Problem, &judge(&facts), "dockerd refuses to start");
    assert!(problem.fix.unwrap().contains("experimental"));
    // With experimental it starts, and masquerades IPv6 like 27 (no gateway modes yet).
    docker(
        &mut facts,
        "26.1.5+dfsg1-9",
        r#"{"ip6tables": true, "experimental": true}"#,
    );
    let fix = has(
        Verdict::Problem,
        &judge(&facts),
        "docker 26.1 masquerades IPv6",
    )
    .fix
    .unwrap();
    assert!(
        !fix.contains("gateway_mode_ipv6") && fix.contains("\"ip-masq\": false"),
        "{fix}"
    );
    docker(
        &mut facts,
        "26.1.5+dfsg1-9",
        r#"{"ip6tables": true, "experimental": true, "ip-masq": false}"#,
    );
    assert!(!judge(&facts).has_problem());
}

#[test]
fn live_restore_and_containers_a_restart_leaves_stopped() {
    let mut facts = healthy();
    docker(
        &mut facts,
        "5:28.2.2-1",
        r#"{"ip-masq": false, "allow-direct-routing": true, "live-restore": true}"#,
    );
    has(Verdict::Warning, &judge(&facts), "\"live-restore\": true");
    let container = |name: &str, policy: &str, running: bool| Container {
        name: name.into(),
        restart_policy: policy.into(),
        running,
    };
    facts.containers = vec![
        container("web", "no", true),
        container("db", "unless-stopped", true),
        container("job", "on-failure", true),
        container("old", "no", false),
    ];
    let warning = has(Verdict::Warning, &judge(&facts), "leaves them stopped");
    assert!(
        warning.message.ends_with(": web job"),
        "{}",
        warning.message
    );
    assert_eq!(
        warning.fix.as_deref(),
        Some("docker update --restart unless-stopped web job")
    );
}

#[test]
fn docker0_outside_the_configured_subnet() {
    let mut facts = healthy();
    facts.docker0 = vec!["2001:db8:0:100::1/80".parse().unwrap()];
    has(
        Verdict::Ok,
        &judge(&facts),
        "docker0 has 2001:db8:0:100::1/80, inside",
    );
    facts.docker0 = vec!["2001:db8:0:200::1/80".parse().unwrap()];
    let problem = has(
        Verdict::Problem,
        &judge(&facts),
        "docker0 has 2001:db8:0:200::1/80, outside the configured subnet (2001:db8:0:100::/80)",
    );
    assert!(problem.fix.unwrap().contains("restart docker"));
}

#[test]
fn docker_opts_under_systemd_depend_on_the_unit() {
    let mut facts = healthy();
    facts.systemd = true;
    // Docker CE's unit: the file is never read, so the flags are not dockerd's.
    facts.docker_unit = Some(DockerUnit {
        path: "/usr/lib/systemd/system/docker.service".into(),
        reads_defaults: false,
    });
    let report = judge(&facts);
    has(
        Verdict::Problem,
        &report,
        "but /usr/lib/systemd/system/docker.service does not read that file",
    );
    assert!(
        with(Verdict::Ok, &report, "dockerd gets --ipv6").is_none(),
        "{report}"
    );
    // Debian's unit reads it, but passes `$(cat …)` on as text.
    facts.docker_unit = Some(DockerUnit {
        path: "/usr/lib/systemd/system/docker.service".into(),
        reads_defaults: true,
    });
    let report = judge(&facts);
    let problem = has(Verdict::Problem, &report, "systemd runs no $( … )");
    assert!(problem.fix.unwrap().contains("target = daemon-json"));
    assert!(
        with(Verdict::Problem, &report, "does not read that file").is_none(),
        "{report}"
    );
    has(
        Verdict::Warning,
        &report,
        "nothing gives that file to dockerd",
    );
    // Plain flags from Debian's unit do reach dockerd.
    facts.flags.sources[0].words = vec![
        "--ipv6".into(),
        "--fixed-cidr-v6=2001:db8:0:100::/80".into(),
    ];
    let report = judge(&facts);
    has(
        Verdict::Ok,
        &report,
        "dockerd gets --ipv6 --fixed-cidr-v6 from /etc/default/docker",
    );
    assert!(
        with(Verdict::Problem, &report, "DOCKER_OPTS").is_none(),
        "{report}"
    );
}

#[test]
fn dhcpcd_by_comm_with_its_title_and_its_ia_pd() {
    let mut facts = healthy();
    facts.processes = vec![
        (300, vec!["dhcpcd: [manager] [ip4] [ip6]".to_string()]),
        (
            301,
            vec!["dhcpcd: [privileged proxy] eth0 [ip6]".to_string()],
        ),
        (302, vec!["dhcpcd: eth0 [ip6]".to_string()]),
    ];
    facts.dhcp.dhcpcd = true;
    facts.dhcp.dhclient = false;
    facts.dhcp.dhcpcd_pids = vec![300, 301, 302];
    facts.dhcp.dhcpcd_hooks = Some(DhcpcdHooks {
        dir: "/usr/libexec/dhcpcd-hooks".into(),
        shim: true,
    });
    facts.hooks.clear();
    facts.dhcp.dhcpcd_conf = Found::Read("interface eth0\n  ipv6rs\n  ia_pd 1 -\n".into());
    let report = judge(&facts);
    assert!(!report.has_problem(), "{report}");
    // The manager's pid names the dhcpcd, not its privileged proxy's.
    has(Verdict::Ok, &report, "dhcpcd runs on eth0 (pid 302)");
    has(
        Verdict::Ok,
        &report,
        "/usr/libexec/dhcpcd-hooks (where dhcpcd-run-hooks looks) has the docker-ipv6-pd hook",
    );
    has(Verdict::Ok, &report, "asks for a delegated prefix");
    assert_eq!(
        report
            .0
            .iter()
            .filter(|f| f.message.contains("on eth0"))
            .count(),
        1,
        "{report}"
    );
    facts.dhcp.dhcpcd_conf = Found::Read("# ia_pd 1 -\ninterface eth0\n".into());
    let problem = has(Verdict::Problem, &judge(&facts), "has no ia_pd");
    assert!(problem.fix.unwrap().contains("ia_pd 1 -"));
    facts.dhcp.dhcpcd_hooks.as_mut().unwrap().shim = false;
    has(
        Verdict::Problem,
        &judge(&facts),
        "no docker-ipv6-pd hook in /usr/libexec/dhcpcd-hooks",
    );
    // Nothing running: the advice is dhcpcd's, not dhclient's, where dhclient is missing.
    facts.processes.clear();
    let problem = has(
        Verdict::Problem,
        &judge(&facts),
        "no DHCPv6 client asks for a prefix",
    );
    let fix = problem.fix.unwrap();
    assert!(
        fix.contains("ia_pd") && !fix.contains("dhclient6-pd@"),
        "{fix}"
    );
}

#[test]
fn dockerd_flags_count_where_daemon_json_is_silent() {
    assert_eq!(flag_bool("--ip-masq=false", "ip-masq"), Some(false));
    assert_eq!(
        flag_bool("--allow-direct-routing", "allow-direct-routing"),
        Some(true)
    );
    assert_eq!(flag_bool("--ip-masquerade", "ip-masq"), None);
    assert_eq!(flag_bool("--ip6tables=maybe", "ip6tables"), None);
    let mut facts = healthy();
    docker(&mut facts, "5:28.2.2-1", "{}");
    facts.flags.sources[0]
        .words
        .extend(["--ip-masq=false".into(), "--allow-direct-routing".into()]);
    let report = judge(&facts);
    assert!(!report.has_problem(), "{report}");
    // Unparseable daemon.json: its settings are unknown, so no verdict on defaults.
    facts.daemon_json = Found::Read(Err("not valid daemon.json".into()));
    facts.flags.sources[0].words.truncate(2);
    assert!(with(Verdict::Problem, &judge(&facts), "masquerades").is_none());
}

#[test]
fn with_no_dhcp_client_installed_doctor_names_both() {
    let mut facts = healthy();
    facts.processes.clear();
    facts.dhcp.dhclient = false;
    let problem = has(
        Verdict::Problem,
        &judge(&facts),
        "no DHCPv6 client asks for a prefix",
    );
    let fix = problem.fix.unwrap();
    assert!(fix.starts_with("install a DHCPv6 client"), "{fix}");
    assert!(
        fix.contains("dhclient6-pd@IFACE") && fix.contains("ia_pd 1 -"),
        "{fix}"
    );
}

#[test]
fn under_nptv6_docker_nat_and_an_internal_subnet_are_by_design() {
    let mut facts = healthy();
    docker(&mut facts, "5:28.5.2-1", "{}");
    assert!(judge(&facts).has_problem());
    facts.setup.nptv6 = true;
    let report = judge(&facts);
    assert!(
        with(Verdict::Problem, &report, "masquerades IPv6").is_none(),
        "{report}"
    );
    has(
        Verdict::Ok,
        &report,
        "target = nptv6: the delegated prefix is mapped",
    );
}
