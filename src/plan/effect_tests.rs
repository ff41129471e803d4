//! The effects of every kind of event, in order: what the runner will do and `--dry-run`
//! prints.

use super::*;
use crate::event::tests::env;
use crate::settings::{Client, OnLoss};
use crate::subnet::{Subnet, SubnetChoice};

const P100: &str = "2001:db8:0:100::/60";
const LINE_100: &[u8] = b"2001:0db8:0000:0100:0000:0000:0000:0000/80\n";
const LINE_ULA: &[u8] = b"fd00:0000:0000:0000:0000:0000:0000:0000/80\n";

fn net(s: &str) -> Ipv6Net {
    s.parse().unwrap()
}

fn event(vars: &[(&str, &str)]) -> HookEvent {
    HookEvent::read(&env(vars), SubnetChoice::first(80), Client::Auto).unwrap()
}

fn bound(new: &str, old: &str) -> HookEvent {
    event(&[
        ("reason", "BOUND6"),
        ("new_ip6_prefix", new),
        ("old_ip6_prefix", old),
    ])
}

fn expire(old: &str) -> HookEvent {
    event(&[("reason", "EXPIRE6"), ("old_ip6_prefix", old)])
}

fn prefix_file(bytes: Option<&[u8]>) -> TargetNow {
    TargetNow {
        kind: FileKind::PrefixFile,
        path: "/etc/docker/ipv6.prefix".into(),
        contents: Contents::PrefixFile(bytes.map(<[u8]>::to_vec)),
    }
}

fn daemon_json(text: &str) -> TargetNow {
    TargetNow {
        kind: FileKind::DaemonJson,
        path: "/etc/docker/daemon.json".into(),
        contents: Contents::parse(FileKind::DaemonJson, Some(text.as_bytes().to_vec())).unwrap(),
    }
}

fn policy(on_loss: OnLoss, fallback_nat66: bool) -> Policy {
    Policy {
        on_loss,
        fallback: Subnet::first_of(net("fd00::/48"), 80),
        fallback_nat66,
    }
}

fn keep() -> Policy {
    policy(OnLoss::Keep, false)
}

/// The effects without the decision's own log line (checked apart).
fn effects(plan: &Plan) -> Vec<Effect> {
    assert!(matches!(plan.effects[0], Effect::Log(..)), "{plan:?}");
    plan.effects[1..].to_vec()
}

fn write_100() -> Effect {
    Effect::Write {
        path: "/etc/docker/ipv6.prefix".into(),
        kind: FileKind::PrefixFile,
        subnet: Some(net("2001:db8:0:100::/80")),
        bytes: LINE_100.to_vec(),
    }
}

#[test]
fn a_new_prefix_records_the_owed_restart_before_writing_and_clears_it_after() {
    let plan = plan(&bound(P100, ""), &[prefix_file(None)], &keep(), None);
    assert_eq!(
        effects(&plan),
        [
            Effect::RecordPending(Pending::Apply(net(P100))),
            write_100(),
            Effect::RestartDocker,
            Effect::ClearPending,
        ]
    );
    assert_eq!(
        plan.change,
        Some(SubnetChange {
            subnet: Some(net("2001:db8:0:100::/80")),
            old_subnet: None,
            prefix: net(P100),
            reason: "BOUND6".into(),
            mapping: None,
            old_mapping: None,
        })
    );
    assert_eq!(
        plan.effects[0],
        Effect::Log(Level::Info, plan.decision.describe(&bound(P100, "")))
    );
}

#[test]
fn a_renewal_with_the_file_in_place_only_logs() {
    let plan = plan(
        &bound(P100, P100),
        &[prefix_file(Some(LINE_100))],
        &keep(),
        None,
    );
    assert_eq!(effects(&plan), []);
    assert_eq!(plan.change, None);
}

#[test]
fn a_renewal_that_rewrites_the_file_neither_restarts_nor_tells_the_scripts() {
    let other = b"2001:0db8:0000:0100:0000:0001:0000:0000/80\n";
    let plan = plan(
        &bound(P100, P100),
        &[prefix_file(Some(other))],
        &keep(),
        None,
    );
    assert_eq!(effects(&plan), [write_100()]);
    // Docker still runs with the other /80 until it restarts: the scripts hear nothing.
    assert_eq!(plan.change, None);
}

#[test]
fn an_owed_restart_turns_a_renewal_into_an_apply() {
    let pending = Some(Pending::Apply(net(P100)));
    let plan = plan(
        &bound(P100, P100),
        &[prefix_file(Some(LINE_100))],
        &keep(),
        pending,
    );
    assert_eq!(
        effects(&plan),
        [
            Effect::RecordPending(Pending::Apply(net(P100))),
            Effect::RestartDocker,
            Effect::ClearPending,
        ]
    );
    // The targets already held the subnet: nothing new for the scripts.
    assert_eq!(plan.change, None);
}

#[test]
fn daemon_json_is_checked_for_clashing_flags_before_it_is_written() {
    let plan = plan(
        &bound(P100, ""),
        &[daemon_json(r#"{"ipv6": false}"#)],
        &keep(),
        None,
    );
    let effects = effects(&plan);
    assert_eq!(effects[0], Effect::RecordPending(Pending::Apply(net(P100))));
    assert_eq!(effects[1], Effect::RefuseDockerdFlags);
    assert!(
        matches!(&effects[2], Effect::Log(Level::Warning, line) if line.contains("\"ipv6\": false")),
        "{effects:?}"
    );
    assert!(matches!(
        effects[3],
        Effect::Write {
            kind: FileKind::DaemonJson,
            ..
        }
    ));
    assert_eq!(effects[4..], [Effect::RestartDocker, Effect::ClearPending]);
}

#[test]
fn withdraw_takes_the_subnet_out_restarts_and_remembers_the_prefix() {
    let plan = plan(
        &expire(P100),
        &[prefix_file(Some(LINE_100))],
        &policy(OnLoss::Withdraw, false),
        None,
    );
    assert_eq!(
        effects(&plan),
        [
            Effect::RecordPending(Pending::Withdraw(net(P100))),
            Effect::Write {
                path: "/etc/docker/ipv6.prefix".into(),
                kind: FileKind::PrefixFile,
                subnet: None,
                bytes: Vec::new(),
            },
            Effect::RestartDocker,
            Effect::RecordPending(Pending::Withdrawn(net(P100))),
        ]
    );
    assert_eq!(plan.change.unwrap().subnet, None);
    assert!(matches!(plan.effects[0], Effect::Log(Level::Warning, _)));
}

#[test]
fn withdrawing_from_daemon_json_needs_no_flag_check_and_warns_of_nothing() {
    let json = daemon_json(r#"{"ipv6": false, "fixed-cidr-v6": "2001:db8:0:100::/80"}"#);
    let plan = plan(
        &expire(P100),
        &[json],
        &policy(OnLoss::Withdraw, false),
        None,
    );
    let effects = effects(&plan);
    assert_eq!(
        effects[0],
        Effect::RecordPending(Pending::Withdraw(net(P100)))
    );
    assert!(
        matches!(
            &effects[1],
            Effect::Write {
                kind: FileKind::DaemonJson,
                subnet: None,
                ..
            }
        ),
        "{effects:?}"
    );
    assert_eq!(
        effects[2..],
        [
            Effect::RestartDocker,
            Effect::RecordPending(Pending::Withdrawn(net(P100)))
        ]
    );
}

#[test]
fn fallback_puts_the_nat_rule_in_place_before_docker_moves() {
    let planned = plan(
        &expire(P100),
        &[prefix_file(Some(LINE_100))],
        &policy(OnLoss::Fallback, true),
        None,
    );
    assert_eq!(
        effects(&planned),
        [
            Effect::RecordPending(Pending::Fallback(net(P100))),
            Effect::AddNat66(net("fd00::/80")),
            Effect::Write {
                path: "/etc/docker/ipv6.prefix".into(),
                kind: FileKind::PrefixFile,
                subnet: Some(net("fd00::/80")),
                bytes: LINE_ULA.to_vec(),
            },
            Effect::RestartDocker,
            Effect::ClearPending,
        ]
    );
    // Docker masquerades itself: no rule of ours.
    let planned = plan(
        &expire(P100),
        &[prefix_file(Some(LINE_100))],
        &policy(OnLoss::Fallback, false),
        None,
    );
    assert!(
        !planned
            .effects
            .iter()
            .any(|e| matches!(e, Effect::AddNat66(_)))
    );
}

#[test]
fn a_returning_prefix_leaves_the_fallback_and_its_rule() {
    let plan = plan(
        &bound(P100, ""),
        &[prefix_file(Some(LINE_ULA))],
        &policy(OnLoss::Fallback, true),
        None,
    );
    assert_eq!(
        effects(&plan),
        [
            Effect::RecordPending(Pending::Apply(net(P100))),
            write_100(),
            Effect::RemoveNat66(net("fd00::/80")),
            Effect::RestartDocker,
            Effect::ClearPending,
        ]
    );
    assert_eq!(plan.change.unwrap().old_subnet, Some(net("fd00::/80")));
}

#[test]
fn keep_withdrawn_and_other_prefixes_only_log() {
    let held = [prefix_file(Some(LINE_100))];
    let lost = plan(&expire(P100), &held, &keep(), None);
    assert_eq!(effects(&lost), []);
    assert!(matches!(lost.effects[0], Effect::Log(Level::Warning, _)));
    let other = plan(
        &expire("2001:db8:0:200::/60"),
        &held,
        &policy(OnLoss::Withdraw, false),
        None,
    );
    assert_eq!(effects(&other), []);
    let withdrawn = event(&[
        ("new_ip6_prefix", P100),
        ("old_ip6_prefix", P100),
        ("new_max_life", "0"),
    ]);
    assert_eq!(effects(&plan(&withdrawn, &held, &keep(), None)), []);
}

#[test]
fn every_effect_reads_as_a_dry_run_line() {
    let lines: Vec<String> = [
        Effect::RecordPending(Pending::Apply(net(P100))),
        write_100(),
        Effect::RestartDocker,
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    assert_eq!(
        lines,
        [
            "record the owed restart: apply 2001:db8:0:100::/60",
            "write 2001:0db8:0000:0100:0000:0000:0000:0000/80 to /etc/docker/ipv6.prefix",
            "restart docker",
        ]
    );
}
