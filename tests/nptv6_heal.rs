//! `--target nptv6` after a firewall reload flushed the ruleset: the next event, a renewal
//! included, finds our table gone and puts it back, with one read of the table on a renewal
//! and none under the other targets.

use std::fs;

use super::*;

/// A firewall reload (`nft flush ruleset`, `systemctl restart nftables`) as the fake nft sees
/// it: our table is gone, the record in /run still says it is applied.
fn flush_ruleset(m: &Machine) {
    fs::remove_file(m.dir.path().join("nft-table")).unwrap();
}

fn record(m: &Machine) -> Option<String> {
    fs::read_to_string(m.dir.path().join("run/docker-ipv6-pd/mapping")).ok()
}

#[test]
fn a_renewal_after_a_flush_applies_the_mapping_again_and_restarts_nothing() {
    let m = machine("keep");
    ok(m.event("BOUND6", P56, ""));
    let recorded = record(&m);
    assert!(recorded.is_some());
    flush_ruleset(&m);
    let out = ok(m.event("RENEW6", P56, P56));
    assert!(
        stderr(&out).contains("nft table ip6 docker_ipv6_pd is gone"),
        "{}",
        stderr(&out)
    );
    let runs = nft_runs(&m);
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[1], runs[0], "the heal is not the same transaction");
    assert_eq!(nft_lists(&m).len(), 1);
    assert!(m.dir.path().join("nft-table").exists());
    assert_eq!(record(&m), recorded);
    assert_eq!(m.restarts().len(), 1);
    // Putting the table back changes no address: the scripts were told at the first lease.
    assert_eq!(post_changes(&m).len(), 1);

    // Healed: the next renewal reads the table once and runs nothing.
    ok(m.event("RENEW6", P56, P56));
    assert_eq!(nft_runs(&m).len(), 2);
    assert_eq!(nft_lists(&m).len(), 2);
}

#[test]
fn a_new_mapping_is_applied_without_reading_the_table_first() {
    let m = machine("keep");
    ok(m.event("BOUND6", P56, ""));
    ok(m.event("BOUND6", P56_NEXT, P56));
    assert_eq!(nft_runs(&m).len(), 2);
    assert!(nft_lists(&m).is_empty(), "{:?}", nft_lists(&m));
}

#[test]
fn dry_run_after_a_flush_says_it_would_map_again_and_runs_no_script() {
    let m = machine("keep");
    ok(m.event("BOUND6", P56, ""));
    flush_ruleset(&m);
    let out = ok(m
        .command()
        .arg("--dry-run")
        .envs([
            ("reason", "RENEW6"),
            ("new_ip6_prefix", P56),
            ("old_ip6_prefix", P56),
        ])
        .output()
        .unwrap());
    let text = stdout(&out);
    assert!(text.contains("is gone"), "{text}");
    assert!(
        text.contains("would map 2001:db8:1:100::/56 onto fd12:3456:789a::/56"),
        "{text}"
    );
    assert!(!text.contains("post-change"), "{text}");
    assert_eq!(nft_runs(&m).len(), 1);
    assert!(!m.dir.path().join("nft-table").exists());
}

#[test]
fn renewals_under_the_other_targets_never_run_nft() {
    let m = machine("keep");
    m.configure_daemon_json_target();
    ok(m.event("BOUND6", P56, ""));
    ok(m.event("RENEW6", P56, P56));
    let m2 = machine("keep");
    fs::write(&m2.config, "").unwrap();
    ok(m2.event("BOUND6", P56, ""));
    ok(m2.event("RENEW6", P56, P56));
    for m in [&m, &m2] {
        assert_eq!(m.restarts().len(), 1);
        assert!(nft_runs(m).is_empty());
        assert!(nft_lists(m).is_empty());
    }
}
