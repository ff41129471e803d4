//! `--target nptv6` through the binary, with a fake `nft` that logs every script it is given:
//! docker restarts once for its wiring and never for a renumbering, each script replaces our
//! table in one transaction, and a failed nft run is retried by the next event.

use std::fs;

use crate::util::*;

const INTERNAL: &str = "fd12:3456:789a::/48";
const P56: &str = "2001:db8:1:100::/56";
const P56_NEXT: &str = "2001:db8:2:200::/56";

#[path = "nptv6_heal.rs"]
mod heal;
#[path = "nptv6_owed.rs"]
mod owed;
#[path = "nptv6_scripts.rs"]
mod scripts;

/// A machine with `--target nptv6`, a fake nft and a post-change script that logs the
/// mapping it is told. The fake nft logs each script to `nft.log` and each `list` to
/// `nft-list.log`; it fails while `nft-fails` exists; `nft-table` stands for our table in
/// the kernel: a script that builds it creates the file, the removal script deletes it, and
/// `list table` fails without it, as nft does.
fn machine(on_loss: &str) -> Machine {
    let m = Machine::new();
    let dir = m.dir.path();
    write_executable(
        &m.fake_bin.join("nft"),
        &format!(
            "#!/bin/sh\nif [ \"$1\" = list ]; then echo \"nft $*\" >>{list_log}\n\
             [ -e {table} ] && exit 0\n\
             echo 'Error: No such file or directory' >&2; exit 1; fi\n\
             script=$(cat)\n\
             {{ echo \"=== nft $*\"; printf '%s\\n' \"$script\"; }} >>{log}\n\
             if [ -e {fail} ]; then echo 'Error: Could not process rule' >&2; exit 1; fi\n\
             case $script in *'docker_ipv6_pd {{'*) : >{table} ;; *) rm -f {table} ;; esac\n",
            log = dir.join("nft.log").display(),
            list_log = dir.join("nft-list.log").display(),
            fail = dir.join("nft-fails").display(),
            table = dir.join("nft-table").display(),
        ),
    );
    let scripts = dir.join("post-change.d");
    fs::create_dir_all(&scripts).unwrap();
    write_executable(
        &scripts.join("10-log"),
        &format!(
            "#!/bin/sh\necho \"$DOCKER_IPV6_PD_SUBNET $DOCKER_IPV6_PD_MAPPED \
             $DOCKER_IPV6_PD_PUBLIC_SUBNET\" >>{}\n",
            dir.join("post-change.log").display()
        ),
    );
    fs::write(
        &m.config,
        format!(
            "target = nptv6\ninternal-prefix = {INTERNAL}\non-loss = {on_loss}\n\
             daemon-json = {}\npost-change-dir = {}\n",
            m.daemon_json().display(),
            scripts.display()
        ),
    )
    .unwrap();
    m
}

/// Every script the fake nft was given, each with its arguments first.
fn nft_runs(m: &Machine) -> Vec<String> {
    fs::read_to_string(m.dir.path().join("nft.log"))
        .unwrap_or_default()
        .split("=== ")
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// Every `nft list` the fake nft was asked for.
fn nft_lists(m: &Machine) -> Vec<String> {
    fs::read_to_string(m.dir.path().join("nft-list.log"))
        .unwrap_or_default()
        .lines()
        .map(String::from)
        .collect()
}

fn daemon_json(m: &Machine) -> serde_json::Value {
    serde_json::from_slice(&fs::read(m.daemon_json()).unwrap()).unwrap()
}

fn post_changes(m: &Machine) -> Vec<String> {
    fs::read_to_string(m.dir.path().join("post-change.log"))
        .unwrap_or_default()
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn the_first_lease_wires_docker_once_and_a_renumbering_restarts_nothing() {
    let m = machine("keep");
    ok(m.event("BOUND6", P56, ""));
    assert_eq!(m.restarts().len(), 1, "{:?}", m.restarts());
    let json = daemon_json(&m);
    assert_eq!(json["ipv6"], true);
    assert_eq!(json["fixed-cidr-v6"], "fd12:3456:789a::/64");
    let pools = json["default-address-pools"].as_array().unwrap();
    assert_eq!(pools[0]["base"], "172.17.0.0/16");
    assert_eq!(
        pools.last().unwrap(),
        &serde_json::json!({"base": "fd12:3456:789a::/56", "size": 64})
    );
    let runs = nft_runs(&m);
    assert_eq!(runs.len(), 1);
    assert!(runs[0].starts_with("nft -f -\n"), "{}", runs[0]);
    assert!(
        runs[0].contains("ip6 daddr 2001:db8:1:100::/56 dnat ip6 prefix to fd12:3456:789a::/56"),
        "{}",
        runs[0]
    );

    // A renewal costs one read of the table, no nft script and no restart.
    ok(m.event("RENEW6", P56, P56));
    assert_eq!(nft_runs(&m).len(), 1);
    assert_eq!(nft_lists(&m), ["nft list table ip6 docker_ipv6_pd"]);

    let wired = fs::read(m.daemon_json()).unwrap();
    ok(m.event("BOUND6", P56_NEXT, P56));
    assert_eq!(m.restarts().len(), 1, "a renumbering restarted docker");
    assert_eq!(fs::read(m.daemon_json()).unwrap(), wired);
    let runs = nft_runs(&m);
    assert_eq!(runs.len(), 2);
    assert!(
        runs[1].contains("snat ip6 prefix to 2001:db8:2:200::/56"),
        "{}",
        runs[1]
    );
    assert_eq!(
        post_changes(&m),
        [
            "fd12:3456:789a::/64 fd12:3456:789a::/56 2001:db8:1:100::/64",
            "fd12:3456:789a::/64 fd12:3456:789a::/56 2001:db8:2:200::/64",
        ]
    );
}

#[test]
fn each_script_replaces_our_table_in_one_transaction_and_never_flushes() {
    let m = machine("withdraw");
    ok(m.event("BOUND6", P56, ""));
    ok(m.event("BOUND6", P56_NEXT, P56));
    ok(m.hook_run(&[("reason", "EXPIRE6"), ("old_ip6_prefix", P56_NEXT)]));
    let runs = nft_runs(&m);
    assert_eq!(runs.len(), 3);
    for run in &runs {
        assert!(
            run.starts_with(
                "nft -f -\ntable ip6 docker_ipv6_pd\ndelete table ip6 docker_ipv6_pd\n"
            ),
            "{run}"
        );
        assert!(!run.contains("flush"), "{run}");
    }
    assert_eq!(runs[0].matches("table ip6 docker_ipv6_pd {").count(), 1);
    // The removal is the create-then-delete pair alone.
    assert_eq!(
        runs[2],
        "nft -f -\ntable ip6 docker_ipv6_pd\ndelete table ip6 docker_ipv6_pd\n"
    );
    assert_eq!(m.restarts().len(), 1, "a loss restarted docker");
}

#[test]
fn a_failed_nft_run_fails_the_event_and_the_next_event_retries_it() {
    let m = machine("keep");
    ok(m.event("BOUND6", P56, ""));
    fs::write(m.dir.path().join("nft-fails"), "").unwrap();
    let out = m.event("BOUND6", P56_NEXT, P56);
    assert_fails(
        &out,
        1,
        "could not map 2001:db8:2:200::/56 onto fd12:3456:789a::/56",
    );
    assert!(
        stderr(&out).contains("Could not process rule"),
        "{}",
        stderr(&out)
    );
    fs::remove_file(m.dir.path().join("nft-fails")).unwrap();
    // The lease calls it a renewal now; the mapping is still owed.
    ok(m.event("RENEW6", P56_NEXT, P56_NEXT));
    let runs = nft_runs(&m);
    assert_eq!(runs.len(), 3);
    assert!(runs[2].contains("2001:db8:2:200::/56"), "{}", runs[2]);
    ok(m.event("RENEW6", P56_NEXT, P56_NEXT));
    assert_eq!(nft_runs(&m).len(), 3);
    assert_eq!(m.restarts().len(), 1, "a failed nft run cost a restart");
}

#[test]
fn after_a_reboot_the_mapping_is_applied_again_without_a_restart() {
    let m = machine("keep");
    ok(m.event("BOUND6", P56, ""));
    // /run is a tmpfs: the record of the applied mapping is gone after a reboot.
    fs::remove_dir_all(m.dir.path().join("run")).unwrap();
    ok(m.event("REBIND6", P56, P56));
    assert_eq!(nft_runs(&m).len(), 2);
    assert_eq!(m.restarts().len(), 1);
}

#[test]
fn keep_leaves_the_mapping_on_loss() {
    let m = machine("keep");
    ok(m.event("BOUND6", P56, ""));
    let out = ok(m.hook_run(&[("reason", "RELEASE6"), ("old_ip6_prefix", P56)]));
    assert!(
        stderr(&out).contains("keeping its mapping"),
        "{}",
        stderr(&out)
    );
    assert_eq!(nft_runs(&m).len(), 1);
}

#[test]
fn prefixes_that_cannot_be_mapped_are_refused() {
    let m = machine("keep");
    let out = m.event("BOUND6", "2001:db8:1:100::/72", "");
    assert_fails(
        &out,
        3,
        "new_ip6_prefix=\"2001:db8:1:100::/72\": a /72 is longer than /64",
    );
    fs::write(
        &m.config,
        format!(
            "target = nptv6\ninternal-prefix = fd12:3456:789a:100::/56\ndaemon-json = {}\n",
            m.daemon_json().display()
        ),
    )
    .unwrap();
    let out = m.event("BOUND6", "2001:db8::/48", "");
    assert_fails(
        &out,
        2,
        "is longer than the /48 that the delegated prefix maps onto",
    );
    assert!(nft_runs(&m).is_empty());
    assert!(m.restarts().is_empty());
    assert!(!m.daemon_json().exists());
}

#[test]
fn dry_run_prints_the_wiring_and_the_script_and_runs_nothing() {
    let m = machine("keep");
    let out = ok(m
        .command()
        .arg("--dry-run")
        .envs([("reason", "BOUND6"), ("new_ip6_prefix", P56)])
        .output()
        .unwrap());
    let text = stdout(&out);
    for needle in [
        "wire docker onto fd12:3456:789a::/56",
        "\"fixed-cidr-v6\": \"fd12:3456:789a::/64\"",
        "map 2001:db8:1:100::/56 onto fd12:3456:789a::/56 with nft -f -:",
        "delete table ip6 docker_ipv6_pd",
        "DOCKER_IPV6_PD_PUBLIC_SUBNET=2001:db8:1:100::/64",
    ] {
        assert!(text.contains(needle), "{needle}: {text}");
    }
    assert!(nft_runs(&m).is_empty());
    assert!(m.restarts().is_empty());
    assert!(!m.daemon_json().exists());
}

#[test]
fn a_renumbered_away_prefix_coming_back_as_its_own_renewal_is_ignored() {
    let m = machine("keep");
    ok(m.event("BOUND6", P56, ""));
    ok(m.event("BOUND6", P56_NEXT, P56));
    let out = ok(m.event("BOUND6", P56, P56));
    assert!(
        stderr(&out).contains("which is not the mapped prefix 2001:db8:2:200::/56"),
        "{}",
        stderr(&out)
    );
    assert_eq!(nft_runs(&m).len(), 2);
    assert_eq!(m.restarts().len(), 1);
}
