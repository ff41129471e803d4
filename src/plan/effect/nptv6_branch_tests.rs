//! The effects of each kind of event under `--target nptv6`: docker restarts only when its
//! wiring changes, the mapping is applied only when it differs from the one in place or the
//! kernel lost our table.

use std::path::Path;

use super::*;
use crate::event::tests::env;
use crate::settings::Client;
use crate::subnet::SubnetChoice;

const INTERNAL: &str = "fd12:3456:789a::/48";
const P56: &str = "2001:db8:1:100::/56";
const P56_NEXT: &str = "2001:db8:2:200::/56";
const P60: &str = "2001:db8:3:10::/60";
const JSON: &str = "/etc/docker/daemon.json";

fn net(s: &str) -> Ipv6Net {
    s.parse().unwrap()
}

fn mapping(delegated: &str) -> Mapping {
    Mapping::new(net(delegated), net(INTERNAL)).unwrap()
}

fn event(vars: &[(&str, &str)]) -> HookEvent {
    HookEvent::read(&env(vars), SubnetChoice::first(64), Client::Auto).unwrap()
}

fn bound(new: &str, old: &str) -> HookEvent {
    event(&[
        ("reason", "BOUND6"),
        ("new_ip6_prefix", new),
        ("old_ip6_prefix", old),
    ])
}

/// daemon.json wired for the mapping of `delegated`, or empty.
fn json_for(delegated: Option<&str>) -> DaemonJson {
    let empty = DaemonJson::default();
    match delegated {
        None => empty,
        Some(d) => {
            let bytes = empty.with_nptv6_wiring(net(INTERNAL), mapping(d).mapped);
            DaemonJson::parse(Some(&bytes)).unwrap()
        }
    }
}

fn plan_with(
    event: &HookEvent,
    json: &DaemonJson,
    applied: Option<Mapping>,
    on_loss: OnLoss,
    pending: Option<Pending>,
) -> Plan {
    let now = Nptv6Now {
        daemon_json_path: Path::new(JSON),
        daemon_json: json,
        internal: net(INTERNAL),
        applied,
        on_loss,
        pending,
    };
    plan_nptv6(event, &now, || true).unwrap()
}

/// The effects without the decision's own log line.
fn effects(plan: &Plan) -> Vec<Effect> {
    assert!(matches!(plan.effects[0], Effect::Log(..)), "{plan:?}");
    plan.effects[1..].to_vec()
}

fn apply(delegated: &str) -> Effect {
    let mapping = mapping(delegated);
    Effect::ApplyMapping {
        mapping,
        script: mapping.apply_script(),
    }
}

fn wire(delegated: &str, json: &DaemonJson) -> Effect {
    let mapped = mapping(delegated).mapped;
    Effect::WireNptv6 {
        path: JSON.into(),
        mapped,
        bytes: json.with_nptv6_wiring(net(INTERNAL), mapped),
    }
}

#[test]
fn the_first_lease_wires_docker_maps_and_restarts_once() {
    let json = json_for(None);
    let plan = plan_with(&bound(P56, ""), &json, None, OnLoss::Keep, None);
    assert_eq!(
        effects(&plan),
        [
            Effect::RecordPending(Pending::Apply(net(P56))),
            Effect::RefuseDockerdFlags,
            wire(P56, &json),
            apply(P56),
            Effect::RestartDocker,
            Effect::ClearPending,
        ]
    );
    let change = plan.change.unwrap();
    assert_eq!(change.subnet, Some(net("fd12:3456:789a::/64")));
    assert_eq!(change.mapping, Some(mapping(P56)));
}

#[test]
fn a_renumbering_of_the_same_length_only_swaps_the_mapping() {
    let json = json_for(Some(P56));
    let plan = plan_with(
        &bound(P56_NEXT, P56),
        &json,
        Some(mapping(P56)),
        OnLoss::Keep,
        None,
    );
    assert_eq!(effects(&plan), [apply(P56_NEXT)]);
    let change = plan.change.unwrap();
    assert_eq!(
        change.mapping.unwrap().public_subnet(),
        net("2001:db8:2:200::/64")
    );
    assert_eq!(change.old_subnet, change.subnet);
    assert_eq!(change.old_mapping, Some(mapping(P56)));
}

#[test]
fn a_renumbering_to_another_length_rewires_and_restarts() {
    let json = json_for(Some(P56));
    let plan = plan_with(
        &bound(P60, P56),
        &json,
        Some(mapping(P56)),
        OnLoss::Keep,
        None,
    );
    assert_eq!(
        effects(&plan),
        [
            Effect::RecordPending(Pending::Apply(net(P60))),
            Effect::RefuseDockerdFlags,
            wire(P60, &json),
            apply(P60),
            Effect::RestartDocker,
            Effect::ClearPending,
        ]
    );
}

#[test]
fn a_renewal_with_the_mapping_in_place_does_nothing() {
    let json = json_for(Some(P56));
    let plan = plan_with(
        &bound(P56, P56),
        &json,
        Some(mapping(P56)),
        OnLoss::Keep,
        None,
    );
    assert_eq!(effects(&plan), []);
    assert_eq!(plan.change, None);
}

#[test]
fn after_a_reboot_the_first_event_applies_the_mapping_again_without_a_restart() {
    let json = json_for(Some(P56));
    let rebind = event(&[
        ("reason", "REBIND6"),
        ("new_ip6_prefix", P56),
        ("old_ip6_prefix", P56),
    ]);
    let plan = plan_with(&rebind, &json, None, OnLoss::Keep, None);
    assert_eq!(effects(&plan), [apply(P56)]);
}

#[test]
fn an_owed_restart_is_carried_out_even_when_docker_is_wired() {
    let json = json_for(Some(P56));
    let plan = plan_with(
        &bound(P56, P56),
        &json,
        Some(mapping(P56)),
        OnLoss::Keep,
        Some(Pending::Apply(net(P56))),
    );
    assert_eq!(
        effects(&plan),
        [
            Effect::RecordPending(Pending::Apply(net(P56))),
            Effect::RestartDocker,
            Effect::ClearPending,
        ]
    );
}

#[test]
fn a_loss_keeps_or_removes_the_mapping_and_never_touches_docker() {
    let json = json_for(Some(P56));
    let expire = event(&[("reason", "EXPIRE6"), ("old_ip6_prefix", P56)]);
    let keep = plan_with(&expire, &json, Some(mapping(P56)), OnLoss::Keep, None);
    assert_eq!(effects(&keep), []);
    assert_eq!(
        keep.effects[0].clone(),
        Effect::Log(
            Level::Warning,
            format!("EXPIRE6: prefix {P56} is gone; keeping its mapping (on-loss = keep)")
        )
    );
    for on_loss in [OnLoss::Withdraw, OnLoss::Fallback] {
        let plan = plan_with(&expire, &json, Some(mapping(P56)), on_loss, None);
        assert_eq!(
            effects(&plan),
            [Effect::RemoveMapping {
                script: remove_script_text()
            }],
            "{on_loss:?}"
        );
        assert_eq!(plan.change.unwrap().mapping, None);
    }
    // The loss of a prefix that is not mapped changes nothing.
    let other = event(&[("reason", "RELEASE6"), ("old_ip6_prefix", P60)]);
    let plan = plan_with(&other, &json, Some(mapping(P56)), OnLoss::Withdraw, None);
    assert_eq!(effects(&plan), []);
}

fn remove_script_text() -> String {
    crate::plan::nptv6::remove_script()
}

#[test]
fn withdrawn_prefixes_and_events_without_one_change_nothing() {
    let json = json_for(Some(P56));
    let withdrawn = event(&[
        ("reason", "RENEW6"),
        ("new_ip6_prefix", P56_NEXT),
        ("new_max_life", "0"),
    ]);
    let plan = plan_with(
        &withdrawn,
        &json,
        Some(mapping(P56)),
        OnLoss::Withdraw,
        None,
    );
    assert_eq!(effects(&plan), []);
    let preinit = event(&[("reason", "PREINIT6")]);
    assert_eq!(
        effects(&plan_with(&preinit, &json, None, OnLoss::Withdraw, None)),
        []
    );
}

#[test]
fn a_lease_of_several_prefixes_stays_on_the_mapped_one() {
    let json = json_for(Some(P56));
    let lease = event(&[
        ("reason", "RENEW6"),
        ("new_dhcp6_ia_pd1_prefix1", "2001:db8:2:200::"),
        ("new_dhcp6_ia_pd1_prefix1_length", "56"),
        ("new_dhcp6_ia_pd1_prefix2", "2001:db8:1:100::"),
        ("new_dhcp6_ia_pd1_prefix2_length", "56"),
    ]);
    let plan = plan_with(&lease, &json, Some(mapping(P56)), OnLoss::Keep, None);
    assert_eq!(effects(&plan), []);
    let plan = plan_with(&lease, &json, None, OnLoss::Keep, None);
    assert_eq!(effects(&plan), [apply(P56_NEXT)]);
}

#[test]
fn an_internal_prefix_too_long_for_the_delegated_one_is_refused() {
    let json = json_for(None);
    let now = Nptv6Now {
        daemon_json_path: Path::new(JSON),
        daemon_json: &json,
        internal: net("fd12:3456:789a:100::/56"),
        applied: None,
        on_loss: OnLoss::Keep,
        pending: None,
    };
    let err = plan_nptv6(&bound("2001:db8::/48", ""), &now, || true).unwrap_err();
    assert!(matches!(
        err,
        MappingRefused::InternalTooLong { needed: 48, .. }
    ));
}

#[test]
fn a_renumbered_away_prefix_lingering_as_a_renewal_does_not_pull_the_mapping_back() {
    let json = json_for(Some(P56));
    let stale = bound(P56, P56);
    let plan = plan_with(&stale, &json, Some(mapping(P56_NEXT)), OnLoss::Keep, None);
    assert_eq!(effects(&plan), []);
    assert!(matches!(plan.decision, Decision::KeepCurrent { .. }));
    // The same prefix as a new lease (not in the old one) is a renumbering back.
    let back = bound(P56, P56_NEXT);
    let plan = plan_with(&back, &json, Some(mapping(P56_NEXT)), OnLoss::Keep, None);
    assert_eq!(effects(&plan), [apply(P56)]);
}

/// Plans with the kernel holding our table or not; also how often the kernel was asked.
fn plan_seeing_table(event: &HookEvent, applied: Option<Mapping>, present: bool) -> (Plan, u32) {
    let json = json_for(Some(P56));
    let now = Nptv6Now {
        daemon_json_path: Path::new(JSON),
        daemon_json: &json,
        internal: net(INTERNAL),
        applied,
        on_loss: OnLoss::Keep,
        pending: None,
    };
    let asked = std::cell::Cell::new(0);
    let plan = plan_nptv6(event, &now, || {
        asked.set(asked.get() + 1);
        present
    })
    .unwrap();
    (plan, asked.get())
}

#[test]
fn a_renewal_puts_a_flushed_table_back_and_tells_no_script() {
    let (plan, asked) = plan_seeing_table(&bound(P56, P56), Some(mapping(P56)), false);
    assert_eq!(asked, 1);
    assert_eq!(effects(&plan), [apply(P56)]);
    assert_eq!(plan.change, None);
    let Effect::Log(level, line) = &plan.effects[0] else {
        unreachable!()
    };
    assert_eq!(*level, Level::Warning);
    assert!(
        line.contains("nft table ip6 docker_ipv6_pd is gone"),
        "{line}"
    );

    let (plan, asked) = plan_seeing_table(&bound(P56, P56), Some(mapping(P56)), true);
    assert_eq!((asked, effects(&plan)), (1, vec![]));
}

#[test]
fn the_kernel_is_asked_only_when_the_record_says_the_mapping_is_applied() {
    for (event, applied) in [
        (bound(P56, P56), None),
        (bound(P56_NEXT, P56), Some(mapping(P56))),
        (bound(P56, P56), Some(mapping(P56_NEXT))),
    ] {
        let (_, asked) = plan_seeing_table(&event, applied, false);
        assert_eq!(asked, 0, "{event:?}");
    }
}
