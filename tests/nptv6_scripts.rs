//! What post-change scripts are told under `--target nptv6`: the public side of the mapping
//! beside docker's internal subnet, the public side before the event (docker0's internal
//! subnet does not change on a renumbering), every variable set even when empty, and a run
//! after each change of the mapping, a reboot's included.

use std::fs;

use super::*;

/// The variables a script records, `unset` for one that is not in its environment.
const VARS: [&str; 9] = [
    "SUBNET",
    "OLD_SUBNET",
    "PREFIX",
    "MAPPED",
    "PUBLIC",
    "PUBLIC_SUBNET",
    "OLD_MAPPED",
    "OLD_PUBLIC",
    "OLD_PUBLIC_SUBNET",
];

/// `machine`, with a second script that records every variable of `VARS`, one run a line.
fn recording_machine(on_loss: &str) -> Machine {
    let m = machine(on_loss);
    let fields: Vec<String> = VARS
        .iter()
        .map(|v| format!("{v}=${{DOCKER_IPV6_PD_{v}-unset}}"))
        .collect();
    write_executable(
        &m.dir.path().join("post-change.d/20-env"),
        &format!(
            "#!/bin/sh\necho \"{}\" >>{}\n",
            fields.join(" "),
            m.dir.path().join("env.log").display()
        ),
    );
    m
}

/// Each run's variables, as `NAME=value` words.
fn told(m: &Machine) -> Vec<Vec<String>> {
    fs::read_to_string(m.dir.path().join("env.log"))
        .unwrap_or_default()
        .lines()
        .map(|l| l.split(' ').map(String::from).collect())
        .collect()
}

fn words(text: &str) -> Vec<String> {
    text.split_whitespace().map(String::from).collect()
}

#[test]
fn a_renumbering_tells_the_public_side_before_and_after() {
    let m = recording_machine("keep");
    ok(m.event("BOUND6", P56, ""));
    ok(m.event("BOUND6", P56_NEXT, P56));
    assert_eq!(
        told(&m),
        [
            words(
                "SUBNET=fd12:3456:789a::/64 OLD_SUBNET= PREFIX=2001:db8:1:100::/56 \
                 MAPPED=fd12:3456:789a::/56 PUBLIC=2001:db8:1:100::/56 \
                 PUBLIC_SUBNET=2001:db8:1:100::/64 OLD_MAPPED= OLD_PUBLIC= OLD_PUBLIC_SUBNET="
            ),
            // docker0's subnet is the same internal /64: the public side says what moved.
            words(
                "SUBNET=fd12:3456:789a::/64 OLD_SUBNET=fd12:3456:789a::/64 \
                 PREFIX=2001:db8:2:200::/56 MAPPED=fd12:3456:789a::/56 \
                 PUBLIC=2001:db8:2:200::/56 PUBLIC_SUBNET=2001:db8:2:200::/64 \
                 OLD_MAPPED=fd12:3456:789a::/56 OLD_PUBLIC=2001:db8:1:100::/56 \
                 OLD_PUBLIC_SUBNET=2001:db8:1:100::/64"
            ),
        ]
    );
    assert_eq!(m.restarts().len(), 1, "a renumbering restarted docker");
}

#[test]
fn a_prefix_shorter_than_48_tells_the_48_that_is_mapped() {
    let m = recording_machine("keep");
    ok(m.event("BOUND6", "2001:db8:10::/44", ""));
    let run = &told(&m)[0];
    for expected in [
        "PREFIX=2001:db8:10::/44",
        "MAPPED=fd12:3456:789a::/48",
        "PUBLIC=2001:db8:10::/48",
        "PUBLIC_SUBNET=2001:db8:10::/64",
    ] {
        assert!(run.contains(&expected.to_string()), "{expected}: {run:?}");
    }
}

#[test]
fn a_withdrawn_mapping_sets_the_mapping_variables_empty() {
    let m = recording_machine("withdraw");
    ok(m.event("BOUND6", P56, ""));
    ok(m.hook_run(&[("reason", "EXPIRE6"), ("old_ip6_prefix", P56)]));
    let runs = told(&m);
    assert_eq!(runs.len(), 2);
    assert_eq!(
        runs[1],
        words(
            "SUBNET=fd12:3456:789a::/64 OLD_SUBNET=fd12:3456:789a::/64 \
             PREFIX=2001:db8:1:100::/56 MAPPED= PUBLIC= PUBLIC_SUBNET= \
             OLD_MAPPED=fd12:3456:789a::/56 OLD_PUBLIC=2001:db8:1:100::/56 \
             OLD_PUBLIC_SUBNET=2001:db8:1:100::/64"
        )
    );
}

#[test]
fn scripts_run_after_a_reboot_applies_the_mapping_again() {
    let m = recording_machine("keep");
    ok(m.event("BOUND6", P56, ""));
    fs::remove_dir_all(m.dir.path().join("run")).unwrap();
    fs::remove_file(m.dir.path().join("nft-table")).unwrap();
    ok(m.event("REBIND6", P56, P56));
    let runs = told(&m);
    assert_eq!(runs.len(), 2);
    // What was mapped before the reboot is not known: /run is a tmpfs.
    assert!(
        runs[1].contains(&"PUBLIC=2001:db8:1:100::/56".to_string())
            && runs[1].contains(&"OLD_PUBLIC=".to_string()),
        "{:?}",
        runs[1]
    );
    assert_eq!(m.restarts().len(), 1);
}

#[test]
fn the_other_targets_get_no_mapping_variables() {
    let m = recording_machine("keep");
    m.configure_daemon_json_target();
    fs::write(
        &m.config,
        format!(
            "{}post-change-dir = {}\n",
            fs::read_to_string(&m.config).unwrap(),
            m.dir.path().join("post-change.d").display()
        ),
    )
    .unwrap();
    ok(m.event("BOUND6", P56, ""));
    let run = &told(&m)[0];
    assert!(run.contains(&"MAPPED=unset".to_string()), "{run:?}");
    assert!(run.contains(&"OLD_PUBLIC=unset".to_string()), "{run:?}");
}
