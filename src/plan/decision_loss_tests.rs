//! The decision when a prefix is lost, returns, or was left unfinished by an earlier run.

use super::*;

#[test]
fn loss_of_the_prefix_holding_the_subnet_follows_the_policy() {
    let e = event_with(&[
        ("reason", "EXPIRE6"),
        ("old_ip6_prefix", "2001:db8:0:100::/60"),
    ]);
    let lost = |action| Decision::Lost {
        prefix: "2001:db8:0:100::/60".parse().unwrap(),
        current: Some("2001:db8:0:100::/80".parse().unwrap()),
        action,
    };
    let held = file(Some(FILE_100));
    assert_eq!(
        decide(&e, &held, &policy(OnLoss::Keep), None),
        lost(LossAction::Keep)
    );
    assert_eq!(
        decide(&e, &held, &policy(OnLoss::Withdraw), None),
        lost(LossAction::Withdraw)
    );
    assert_eq!(
        decide(&e, &held, &policy(OnLoss::Fallback), None),
        lost(LossAction::Fallback {
            subnet: subnet("fd00::/48")
        })
    );
}

#[test]
fn loss_of_another_prefix_never_triggers_the_policy() {
    for reason in ["EXPIRE6", "RELEASE6", "STOP6"] {
        let e = event_with(&[
            ("reason", reason),
            ("old_ip6_prefix", "2001:db8:0:200::/60"),
        ]);
        assert_eq!(
            decide(&e, &file(Some(FILE_100)), &policy(OnLoss::Withdraw), None),
            Decision::OtherPrefixLost {
                prefix: "2001:db8:0:200::/60".parse().unwrap()
            }
        );
    }
    let e = event_with(&[
        ("reason", "DEPREF6"),
        ("old_ip6_prefix", "2001:db8:0:100::/60"),
    ]);
    assert_eq!(
        decide(&e, &file(Some(FILE_100)), &policy(OnLoss::Withdraw), None),
        Decision::NoPrefix
    );
    let e = dhcpcd("EXPIRE6", &[], &["2001:db8:0:100::/60"]);
    assert!(matches!(
        decide(&e, &file(Some(FILE_100)), &policy(OnLoss::Withdraw), None),
        Decision::Lost { .. }
    ));
}

#[test]
fn a_returning_prefix_replaces_the_fallback_and_restarts_even_as_a_renewal() {
    let e = event("2001:db8:0:100::/60", "");
    assert_eq!(
        decide(&e, &file(Some(FILE_ULA)), &policy(OnLoss::Fallback), None),
        apply(true, true)
    );
    let e = event("2001:db8:0:100::/60", "2001:db8:0:100::/60");
    assert_eq!(
        decide(&e, &file(Some(FILE_ULA)), &policy(OnLoss::Fallback), None),
        apply(true, true)
    );
}

#[test]
fn an_unfinished_apply_is_finished_by_the_next_renewal_of_its_prefix() {
    let e = event("2001:db8:0:100::/60", "2001:db8:0:100::/60");
    let unfinished = Some(Pending::Apply("2001:db8:0:100::/60".parse().unwrap()));
    // The write failed: the file still holds the old prefix's subnet.
    let plan = decide(&e, &file(Some(FILE_200)), &policy(OnLoss::Keep), unfinished);
    assert_eq!(plan, owed(true));
    // The restart failed: the file is right, docker is not.
    let plan = decide(&e, &file(Some(FILE_100)), &policy(OnLoss::Keep), unfinished);
    assert_eq!(plan, owed(false));
    assert!(
        plan.describe(&e)
            .ends_with("; docker restarts for it, which a previous run did not finish")
    );
    // Another prefix's unfinished apply changes nothing here.
    let other = Some(Pending::Apply("2001:db8:0:300::/60".parse().unwrap()));
    let plan = decide(&e, &file(Some(FILE_100)), &policy(OnLoss::Keep), other);
    assert_eq!(plan, apply(false, false));
}

#[test]
fn description_names_reason_prefix_and_subnet() {
    let e = event("2001:db8:0:100::/60", "");
    let line = decide_keep(&e, &file(None)).describe(&e);
    assert_eq!(
        line,
        "BOUND6: prefix 2001:db8:0:100::/60 (previous none) gives subnet 2001:db8:0:100::/80"
    );
}

#[test]
fn a_withdrawn_prefix_that_returns_as_a_renewal_restarts_docker() {
    let e = event("2001:db8:0:100::/60", "2001:db8:0:100::/60");
    let withdrawn = Some(Pending::Withdrawn("2001:db8:0:100::/60".parse().unwrap()));
    let plan = decide(&e, &file(None), &policy(OnLoss::Withdraw), withdrawn);
    assert_eq!(plan, owed(true));
}

#[test]
fn an_unfinished_loss_is_finished_by_the_next_loss_event_of_its_prefix() {
    let e = event_with(&[
        ("reason", "EXPIRE6"),
        ("old_ip6_prefix", "2001:db8:0:100::/60"),
    ]);
    let prefix: Ipv6Net = "2001:db8:0:100::/60".parse().unwrap();
    // The fallback subnet was written but docker did not restart: the file no longer holds
    // the lost prefix's subnet, yet the fallback is still owed.
    let plan = decide(
        &e,
        &file(Some(FILE_ULA)),
        &policy(OnLoss::Fallback),
        Some(Pending::Fallback(prefix)),
    );
    assert_eq!(
        plan,
        Decision::Lost {
            prefix,
            current: Some("fd00::/80".parse().unwrap()),
            action: LossAction::Fallback {
                subnet: subnet("fd00::/48")
            },
        }
    );
    // The subnet was taken out but docker did not restart: the withdrawal is still owed.
    let plan = decide(
        &e,
        &file(None),
        &policy(OnLoss::Withdraw),
        Some(Pending::Withdraw(prefix)),
    );
    assert_eq!(
        plan,
        Decision::Lost {
            prefix,
            current: None,
            action: LossAction::Withdraw,
        }
    );
    // Once done, a further loss event of the same prefix changes nothing.
    let plan = decide(
        &e,
        &file(None),
        &policy(OnLoss::Withdraw),
        Some(Pending::Withdrawn(prefix)),
    );
    assert_eq!(plan, Decision::OtherPrefixLost { prefix });
}
