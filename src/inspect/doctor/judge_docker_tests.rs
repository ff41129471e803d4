//! Doctor's lines for the running dockerds the flag checks leave out or count without
//! knowing their mount namespace; and with a subnet-id, for a subnet that is not the one
//! it gives and for the /64 suggested to a routed network.

use crate::inspect::doctor::Verdict;
use crate::inspect::doctor::facts::Facts;
use crate::inspect::doctor::judge::judge;
use crate::inspect::doctor::tests::{has, healthy};
use crate::inspect::read::Found;
use crate::plan::daemon_json::DaemonJson;

#[test]
fn with_a_subnet_id_a_routed_network_is_offered_a_64_after_dockers() {
    let mut facts = healthy();
    facts.docker_package = Found::Read(Some(("docker-ce".into(), "5:27.5.1-1".into())));
    facts.daemon_json = Found::Read(Ok(DaemonJson::parse(Some(b"{}")).unwrap()));
    let fix = |facts: &Facts| {
        has(Verdict::Problem, &judge(facts), "masquerades IPv6")
            .fix
            .unwrap()
    };
    assert!(fix(&facts).contains("--subnet 2001:db8:0:101::/64 "));
    facts.setup.subnet_id = 1;
    facts.targets[0].contents = Found::Read(crate::plan::target::Contents::PrefixFile(Some(
        b"2001:0db8:0000:0101:0000:0000:0000:0000/80\n".to_vec(),
    )));
    assert!(fix(&facts).contains("--subnet 2001:db8:0:102::/64 "));
}

#[test]
fn with_a_subnet_id_a_subnet_of_another_64_of_the_prefix_is_a_problem() {
    let mut facts = healthy();
    facts.setup.subnet_id = 1;
    let report = judge(&facts);
    let problem = has(
        Verdict::Problem,
        &report,
        "2001:db8:0:100::/80 in /etc/docker/ipv6.prefix lies inside the delegated prefix \
         2001:db8:0:100::/60, but subnet-id 1 gives docker 2001:db8:0:101::/80",
    );
    assert!(problem.fix.unwrap().contains("then restart docker"));
    facts.setup.subnet_id = 0;
    has(
        Verdict::Ok,
        &judge(&facts),
        "lies inside the delegated prefix",
    );
}

#[test]
fn a_dockerd_in_another_mount_namespace_is_shown_as_left_out() {
    let mut facts = healthy();
    facts.flags.elsewhere.push(
        "dockerd (pid 7) runs in another mount namespace (a container's, a test's or a \
         rootless one): restarting docker does not reach it"
            .into(),
    );
    let report = judge(&facts);
    let line = has(
        Verdict::Ok,
        &report,
        "not checked: dockerd (pid 7) runs in another",
    );
    assert_eq!(line.fix, None);
    assert!(!report.has_problem(), "{report}");
}

#[test]
fn a_dockerd_whose_namespace_cannot_be_read_is_a_warning_saying_why() {
    let mut facts = healthy();
    facts.flags.namespace_unknown.push((
        "running dockerd (pid 42)".into(),
        "/proc/42/ns/mnt: Permission denied (os error 13)".into(),
    ));
    let report = judge(&facts);
    let line = has(
        Verdict::Warning,
        &report,
        "running dockerd (pid 42): its mount namespace cannot be told (/proc/42/ns/mnt: \
         Permission denied (os error 13))",
    );
    assert!(line.fix.unwrap().starts_with("run doctor as root"));
    assert!(judge(&healthy()).0.iter().all(|f| f.verdict == Verdict::Ok));
}
