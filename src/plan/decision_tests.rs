//! The decision for every kind of event, case by case.

use super::*;
use crate::event::HookEvent;
use crate::event::tests::env;
use crate::settings::Client;
use crate::settings::FileKind;
use crate::subnet::SubnetChoice;

const FILE_100: &[u8] = b"2001:0db8:0000:0100:0000:0000:0000:0000/80\n";
const FILE_200: &[u8] = b"2001:0db8:0000:0200:0000:0000:0000:0000/80\n";
const FILE_ULA: &[u8] = b"fd00:0000:0000:0000:0000:0000:0000:0000/80\n";

fn subnet(p: &str) -> Subnet {
    Subnet::first_of(p.parse().unwrap(), 80).unwrap()
}

fn policy(on_loss: OnLoss) -> Policy {
    Policy {
        on_loss,
        fallback: Some(subnet("fd00::/48")),
        fallback_nat66: false,
    }
}

fn event(new: &str, old: &str) -> HookEvent {
    event_with(&[
        ("reason", "BOUND6"),
        ("new_ip6_prefix", new),
        ("old_ip6_prefix", old),
    ])
}

fn event_with(vars: &[(&str, &str)]) -> HookEvent {
    HookEvent::read(&env(vars), SubnetChoice::first(80), Client::Auto).unwrap()
}

/// The prefix file holding `bytes` (`None`: no file), as the only target.
fn file(bytes: Option<&[u8]>) -> [Contents; 1] {
    [Contents::PrefixFile(bytes.map(<[u8]>::to_vec))]
}

fn decide_keep(e: &HookEvent, targets: &[Contents]) -> Decision {
    decide(e, targets, &policy(OnLoss::Keep), None)
}

fn apply_on(prefix: &str, write: bool, restart: bool) -> Decision {
    Decision::Apply {
        prefix: prefix.parse().unwrap(),
        subnet: subnet(prefix),
        write,
        restart,
        owed: false,
    }
}

fn apply(write: bool, restart: bool) -> Decision {
    apply_on("2001:db8:0:100::/60", write, restart)
}

/// An apply whose restart a previous run owes: the lease calls the event a renewal.
fn owed(write: bool) -> Decision {
    match apply(write, true) {
        Decision::Apply {
            prefix,
            subnet,
            write,
            restart,
            ..
        } => Decision::Apply {
            prefix,
            subnet,
            write,
            restart,
            owed: true,
        },
        other => other,
    }
}

#[test]
fn first_lease_writes_and_restarts() {
    assert_eq!(
        decide_keep(&event("2001:db8:0:100::/60", ""), &file(None)),
        apply(true, true)
    );
    assert_eq!(
        decide_keep(&event("2001:db8:0:100::/60", ""), &file(Some(b""))),
        apply(true, true)
    );
}

#[test]
fn new_prefix_with_unchanged_file_restarts_without_writing() {
    let plan = decide_keep(&event("2001:db8:0:100::/60", ""), &file(Some(FILE_100)));
    assert_eq!(plan, apply(false, true));
}

#[test]
fn renewal_with_matching_file_does_nothing() {
    let e = event("2001:db8:0:100::/60", "2001:db8:0:100::/60");
    assert_eq!(decide_keep(&e, &file(Some(FILE_100))), apply(false, false));
}

#[test]
fn renewal_with_missing_or_garbage_file_writes_and_restarts() {
    // After a reboot the client rebinds from its lease file (old = new), while docker could
    // not start, or started without IPv6, for want of a valid file.
    let e = event("2001:db8:0:100::/60", "2001:db8:0:100::/60");
    assert_eq!(decide_keep(&e, &file(None)), apply(true, true));
    assert_eq!(decide_keep(&e, &file(Some(b"/80\n"))), apply(true, true));
    assert_eq!(decide_keep(&e, &file(Some(b""))), apply(true, true));
}

#[test]
fn renewal_of_another_prefix_keeps_the_file() {
    let e = event("2001:db8:0:100::/60", "2001:db8:0:100::/60");
    assert_eq!(
        decide_keep(&e, &file(Some(FILE_200))),
        Decision::KeepCurrent {
            prefix: "2001:db8:0:100::/60".parse().unwrap(),
            current: "2001:db8:0:200::/80".parse().unwrap(),
        }
    );
}

#[test]
fn renewal_rewrites_a_subnet_inside_the_prefix_that_is_not_its_first() {
    let e = event("2001:db8:0:100::/60", "2001:db8:0:100::/60");
    let other = b"2001:0db8:0000:0100:0000:0001:0000:0000/80\n";
    assert_eq!(decide_keep(&e, &file(Some(other))), apply(true, false));
    assert_eq!(
        decide_keep(&e, &file(Some(b"2001:db8:0:100::/80"))),
        apply(true, false)
    );
}

#[test]
fn a_new_prefix_moves_the_file_even_from_a_valid_subnet() {
    let plan = decide_keep(&event("2001:db8:0:100::/60", ""), &file(Some(FILE_200)));
    assert_eq!(plan, apply(true, true));
    let plan = decide_keep(
        &event("2001:db8:0:100::/60", "2001:db8:0:200::/60"),
        &file(Some(FILE_200)),
    );
    assert_eq!(plan, apply(true, true));
}

#[test]
fn withdrawn_prefix_is_never_applied() {
    let e = event_with(&[
        ("new_ip6_prefix", "2001:db8:0:100::/60"),
        ("old_ip6_prefix", "2001:db8:0:100::/60"),
        ("new_max_life", "0"),
        ("new_preferred_life", "0"),
    ]);
    assert!(matches!(
        decide_keep(&e, &file(None)),
        Decision::Withdrawn { .. }
    ));
}

#[test]
fn no_prefix_does_nothing() {
    let e = event_with(&[("reason", "DEPREF6"), ("cur_ip6_prefix", "2001:db8::/60")]);
    assert_eq!(decide_keep(&e, &file(Some(FILE_100))), Decision::NoPrefix);
}

#[test]
fn with_two_targets_any_subnet_outside_keeps_both_and_any_stale_one_is_written() {
    let e = event("2001:db8:0:100::/60", "2001:db8:0:100::/60");
    let json =
        |t: &str| Contents::parse(FileKind::DaemonJson, Some(t.as_bytes().to_vec())).unwrap();
    let both = [
        Contents::PrefixFile(Some(FILE_100.to_vec())),
        json(r#"{"ipv6": true, "fixed-cidr-v6": "2001:db8:0:200::/80"}"#),
    ];
    assert!(matches!(
        decide_keep(&e, &both),
        Decision::KeepCurrent { .. }
    ));
    let both = [Contents::PrefixFile(Some(FILE_100.to_vec())), json("{}")];
    assert_eq!(decide_keep(&e, &both), apply(true, false));
    let both = [
        Contents::PrefixFile(Some(FILE_100.to_vec())),
        json(r#"{"ipv6": true, "fixed-cidr-v6": "2001:db8:0:100::/80"}"#),
    ];
    assert_eq!(decide_keep(&e, &both), apply(false, false));
}

fn dhcpcd(reason: &str, new: &[&str], old: &[&str]) -> HookEvent {
    let mut vars: Vec<(String, String)> = vec![("reason".into(), reason.into())];
    for (side, list) in [("new", new), ("old", old)] {
        for (i, p) in list.iter().enumerate() {
            let (addr, len) = p.split_once('/').unwrap();
            let name = format!("{side}_dhcp6_ia_pd{}_prefix1", i + 1);
            vars.push((format!("{name}_length"), len.into()));
            vars.push((name, addr.into()));
        }
    }
    let pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    event_with(&pairs)
}

#[test]
fn dhcpcd_stays_in_the_prefix_that_holds_the_subnet() {
    let p = ["2001:db8:0:100::/60", "2001:db8:0:200::/60"];
    // First exchange: the first prefix in message order.
    assert_eq!(
        decide_keep(&dhcpcd("BOUND6", &p, &[]), &file(None)),
        apply(true, true)
    );
    // Renewals, in either order: stay.
    let reversed = [p[1], p[0]];
    assert_eq!(
        decide_keep(&dhcpcd("RENEW6", &reversed, &p), &file(Some(FILE_100))),
        apply(false, false)
    );
    assert_eq!(
        decide_keep(&dhcpcd("REBOOT6", &p, &p), &file(Some(FILE_100))),
        apply(false, false)
    );
    // A new lease that still has our prefix, among others, also stays.
    assert_eq!(
        decide_keep(&dhcpcd("BOUND6", &reversed, &[]), &file(Some(FILE_100))),
        apply(false, true)
    );
}

#[test]
fn dhcpcd_leaves_a_prefix_the_lease_no_longer_has() {
    // The file's prefix is gone from the lease; the remaining one is a renewal, yet the
    // subnet must move, and docker must restart for it.
    let e = dhcpcd("RENEW6", &["2001:db8:0:200::/60"], &["2001:db8:0:200::/60"]);
    assert_eq!(
        decide_keep(&e, &file(Some(FILE_100))),
        apply_on("2001:db8:0:200::/60", true, true)
    );
}

#[path = "decision_loss_tests.rs"]
mod loss;
