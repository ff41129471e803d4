//! When the prefix holding the subnet goes away (`--on-loss keep|withdraw|fallback`), and
//! when it comes back; post-change scripts around every change of the subnet.

use std::fs;

use crate::util::*;

const P100: &str = "2001:db8:0:100::/60";
const P200: &str = "2001:db8:0:200::/60";
const ULA: &str = "fd12:3456:789a::/48";
pub const ULA_LINE: &str = "fd12:3456:789a:0000:0000:0000:0000:0000/80\n";

/// A machine whose ip6tables keeps its nat rules in a file, whose dockerd says it is 20.10
/// (no IPv6 masquerading of its own), and with a post-change script that logs each call.
pub fn machine(on_loss: &str) -> Machine {
    let m = Machine::new();
    let rules = m.dir.path().join("nat-rules");
    write_executable(
        &m.fake_bin.join("ip6tables"),
        &format!(
            "#!/bin/sh\n# ip6tables -w -t nat OP POSTROUTING RULE...\nop=$4; shift 5; rule=\"$*\"\n\
             touch {r}\ncase $op in\n\
             -C) grep -qxF -- \"$rule\" {r} ;;\n\
             -A) echo \"$rule\" >>{r} ;;\n\
             -D) grep -vxF -- \"$rule\" {r} >{r}.new; mv {r}.new {r} ;;\nesac\n",
            r = rules.display()
        ),
    );
    write_executable(
        &m.fake_bin.join("dockerd"),
        "#!/bin/sh\necho 'Docker version 20.10.24+dfsg1, build 297e128'\n",
    );
    let scripts = m.dir.path().join("post-change.d");
    fs::create_dir_all(&scripts).unwrap();
    write_executable(
        &scripts.join("10-log"),
        &format!(
            "#!/bin/sh\necho \"$DOCKER_IPV6_PD_REASON $DOCKER_IPV6_PD_OLD_SUBNET -> $DOCKER_IPV6_PD_SUBNET ($DOCKER_IPV6_PD_PREFIX)\" >>{}\n",
            m.dir.path().join("post-change.log").display()
        ),
    );
    fs::write(
        &m.config,
        format!(
            "on-loss = {on_loss}\nfallback-prefix = {ULA}\npost-change-dir = {}\n",
            scripts.display()
        ),
    )
    .unwrap();
    m
}

pub fn nat_rules(m: &Machine) -> String {
    fs::read_to_string(m.dir.path().join("nat-rules")).unwrap_or_default()
}

pub fn post_changes(m: &Machine) -> Vec<String> {
    fs::read_to_string(m.dir.path().join("post-change.log"))
        .unwrap_or_default()
        .lines()
        .map(String::from)
        .collect()
}

fn lose(m: &Machine, reason: &str, prefix: &str) -> std::process::Output {
    m.hook_run(&[("reason", reason), ("old_ip6_prefix", prefix)])
}

#[test]
fn keep_changes_nothing_and_says_so() {
    let m = machine("keep");
    ok(m.event("BOUND6", P100, ""));
    let out = ok(lose(&m, "EXPIRE6", P100));
    assert!(
        stderr(&out).contains("is gone; keeping it (on-loss = keep)"),
        "{}",
        stderr(&out)
    );
    assert_eq!(m.file().as_deref(), Some(LINE_100));
    assert_eq!(m.restarts().len(), 1);
    assert_eq!(
        post_changes(&m),
        ["BOUND6  -> 2001:db8:0:100::/80 (2001:db8:0:100::/60)"]
    );
}

#[test]
fn withdraw_empties_the_prefix_file_and_restarts() {
    let m = machine("withdraw");
    ok(m.event("BOUND6", P100, ""));
    let out = lose(&m, "RELEASE6", P100);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(m.file().as_deref(), Some(""));
    assert_eq!(m.restarts().len(), 2);
    assert_eq!(m.restarts()[1], "service docker restart | ");
    assert_eq!(
        post_changes(&m)[1],
        "RELEASE6 2001:db8:0:100::/80 ->  (2001:db8:0:100::/60)"
    );
    // The next lease fills it again, with a restart.
    ok(m.event("BOUND6", P200, ""));
    assert_eq!(m.file().as_deref(), Some(LINE_200));
    assert_eq!(m.restarts().len(), 3);
}

#[test]
fn a_withdrawn_prefix_that_comes_back_as_a_renewal_restarts_docker() {
    // After a reboot dhclient solicits with its lease file: BOUND6 with old = new.
    let m = machine("withdraw");
    ok(m.event("BOUND6", P100, ""));
    assert!(lose(&m, "RELEASE6", P100).status.success());
    assert_eq!(m.file().as_deref(), Some(""));
    let out = m.event("BOUND6", P100, P100);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(m.file().as_deref(), Some(LINE_100));
    assert_eq!(m.restarts().len(), 3, "{:?}", m.restarts());
    // Applied: later renewals are plain renewals again.
    ok(m.event("RENEW6", P100, P100));
    assert_eq!(m.restarts().len(), 3);
}

#[test]
fn withdraw_takes_fixed_cidr_v6_out_of_daemon_json() {
    let m = machine("withdraw");
    fs::write(m.daemon_json(), "{\"debug\": true}").unwrap();
    let hook_run = |vars: &[(&str, &str)]| {
        m.command()
            .args(["--target", "daemon-json"])
            .env("DOCKER_IPV6_PD_DAEMON_JSON", m.daemon_json())
            .envs(vars.iter().copied())
            .output()
            .unwrap()
    };
    assert!(
        hook_run(&[("reason", "BOUND6"), ("new_ip6_prefix", P100)])
            .status
            .success()
    );
    let out = hook_run(&[("reason", "EXPIRE6"), ("old_ip6_prefix", P100)]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fs::read_to_string(m.daemon_json()).unwrap(),
        "{\n  \"debug\": true,\n  \"ipv6\": false\n}\n"
    );
}

#[test]
fn fallback_moves_to_the_ula_with_nat66_and_back_when_a_prefix_returns() {
    let m = machine("fallback");
    ok(m.event("BOUND6", P100, ""));
    let out = lose(&m, "EXPIRE6", P100);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(m.file().as_deref(), Some(ULA_LINE));
    assert_eq!(
        nat_rules(&m),
        "-s fd12:3456:789a::/80 ! -o docker0 -j MASQUERADE\n"
    );
    assert_eq!(m.restarts().len(), 2);
    // Losing it again (STOP6 of the same old prefix) changes nothing: the ULA does not hold it.
    ok(lose(&m, "STOP6", P100));
    assert_eq!(nat_rules(&m).lines().count(), 1, "the rule is added once");
    // A prefix returns: the file moves to it, docker restarts, the NAT rule goes.
    ok(m.event("BOUND6", P200, ""));
    assert_eq!(m.file().as_deref(), Some(LINE_200));
    assert_eq!(nat_rules(&m), "");
    assert_eq!(m.restarts().len(), 3);
    assert_eq!(
        post_changes(&m),
        [
            "BOUND6  -> 2001:db8:0:100::/80 (2001:db8:0:100::/60)",
            "EXPIRE6 2001:db8:0:100::/80 -> fd12:3456:789a::/80 (2001:db8:0:100::/60)",
            "BOUND6 fd12:3456:789a::/80 -> 2001:db8:0:200::/80 (2001:db8:0:200::/60)",
        ]
    );
}

#[test]
fn fallback_leaves_nat_to_docker_when_docker_masquerades_ipv6() {
    let m = machine("fallback");
    write_executable(
        &m.fake_bin.join("dockerd"),
        "#!/bin/sh\necho 'Docker version 28.2.2, build e6534b4'\n",
    );
    ok(m.event("BOUND6", P100, ""));
    assert!(lose(&m, "EXPIRE6", P100).status.success());
    assert_eq!(m.file().as_deref(), Some(ULA_LINE));
    assert_eq!(nat_rules(&m), "");
}

#[test]
fn the_loss_of_a_prefix_that_does_not_hold_the_subnet_triggers_nothing() {
    for policy in ["withdraw", "fallback"] {
        let m = machine(policy);
        ok(m.event("BOUND6", P100, ""));
        for reason in ["EXPIRE6", "RELEASE6", "STOP6"] {
            assert!(lose(&m, reason, P200).status.success());
        }
        assert_eq!(m.file().as_deref(), Some(LINE_100), "{policy}");
        assert_eq!(m.restarts().len(), 1);
        assert_eq!(post_changes(&m).len(), 1);
    }
}

#[test]
fn the_default_fallback_prefix_is_stable_per_machine_id() {
    let m = machine("fallback");
    fs::write(&m.config, "on-loss = fallback\n").unwrap();
    m.put("etc/machine-id", b"0123456789abcdef0123456789abcdef\n");
    ok(m.event("BOUND6", P100, ""));
    ok(lose(&m, "EXPIRE6", P100));
    let first = m.file().unwrap();
    assert!(first.starts_with("fd"), "{first}");
    assert_ne!(first, "fd00:0000:0000:0000:0000:0000:0000:0000/80\n");
    ok(m.event("BOUND6", P100, ""));
    ok(lose(&m, "EXPIRE6", P100));
    assert_eq!(m.file().unwrap(), first);
    // Derived from the machine id: another machine falls back to another ULA.
    let other = machine("fallback");
    fs::write(&other.config, "on-loss = fallback\n").unwrap();
    other.put("etc/machine-id", b"fedcba9876543210fedcba9876543210\n");
    ok(other.event("BOUND6", P100, ""));
    ok(lose(&other, "EXPIRE6", P100));
    let elsewhere = other.file().unwrap();
    assert!(elsewhere.starts_with("fd"), "{elsewhere}");
    assert_ne!(elsewhere, first);
}

#[test]
fn post_change_scripts_run_only_on_a_change_and_never_fail_the_run() {
    let m = machine("keep");
    let scripts = m.dir.path().join("post-change.d");
    write_executable(
        &scripts.join("20-fails"),
        "#!/bin/sh\necho nope >&2\nexit 1\n",
    );
    write_executable(&scripts.join("30-hangs"), "#!/bin/sh\nsleep 30\n");
    write_executable(
        &scripts.join("40-after"),
        &format!(
            "#!/bin/sh\necho ran >>{}\n",
            m.dir.path().join("after.log").display()
        ),
    );
    fs::write(
        &m.config,
        format!(
            "post-change-dir = {}\npost-change-timeout = 1\n",
            scripts.display()
        ),
    )
    .unwrap();
    let err = stderr(&ok(m.event("BOUND6", P100, "")));
    assert!(
        err.contains("20-fails failed: exit status: 1: nope"),
        "{err}"
    );
    assert!(
        err.contains("30-hangs still ran after 1s and was killed"),
        "{err}"
    );
    assert_eq!(
        fs::read_to_string(m.dir.path().join("after.log")).unwrap(),
        "ran\n"
    );
    // Renewals change nothing, so no post-change script runs.
    ok(m.event("RENEW6", P100, P100));
    ok(m.event("BOUND6", P100, ""));
    assert_eq!(post_changes(&m).len(), 1);
    assert_eq!(
        fs::read_to_string(m.dir.path().join("after.log")).unwrap(),
        "ran\n"
    );
}

#[test]
fn the_examples_do_what_they_say() {
    let m = Machine::new();
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/hooks/examples/post-change.d");
    let conf = m.dir.path().join("ndppd.conf");
    let out = m
        .command_for(&format!("{examples}/ndppd"))
        .env("NDPPD_CONF", &conf)
        .env("NDPPD_UPLINK", "wan0")
        .env("DOCKER_IPV6_PD_SUBNET", "2001:db8:0:100::/80")
        .env("DOCKER_IPV6_PD_REASON", "BOUND6")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = fs::read_to_string(&conf).unwrap();
    assert!(
        text.contains("proxy wan0 {\n    rule 2001:db8:0:100::/80 {\n        static"),
        "{text}"
    );
    assert!(m.restarts()[0].starts_with("service ndppd restart"));

    let seen = m.dir.path().join("nsupdate.in");
    write_executable(
        &m.fake_bin.join("nsupdate"),
        &format!(
            "#!/bin/sh\necho \"args: $*\" >{s}\ncat >>{s}\n",
            s = seen.display()
        ),
    );
    let out = m
        .command_for(&format!("{examples}/nsupdate-aaaa"))
        .env("NSUPDATE_NAME", "web.example.org.")
        .env("NSUPDATE_HOST", "42")
        .env("DOCKER_IPV6_PD_SUBNET", "2001:db8:0:100::/80")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = fs::read_to_string(&seen).unwrap();
    assert!(
        text.contains("args: -k /etc/docker-ipv6-pd/nsupdate.key"),
        "{text}"
    );
    assert!(text.contains("update delete web.example.org. AAAA\nupdate add web.example.org. 300 AAAA 2001:db8:0:100::42\nsend"), "{text}");

    // Under nptv6 the public /64 is published, not docker0's internal one; once the mapping
    // is withdrawn (the public side set and empty) the name is only deleted.
    let nptv6 = |public: &str| {
        let out = m
            .command_for(&format!("{examples}/nsupdate-aaaa"))
            .env("NSUPDATE_NAME", "web.example.org.")
            .env("NSUPDATE_HOST", "42")
            .env("DOCKER_IPV6_PD_SUBNET", "fd12:3456:789a::/64")
            .env("DOCKER_IPV6_PD_PUBLIC_SUBNET", public)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        fs::read_to_string(&seen).unwrap()
    };
    let text = nptv6("2001:db8:0:100::/64");
    assert!(
        text.contains("update add web.example.org. 300 AAAA 2001:db8:0:100::42\nsend"),
        "{text}"
    );
    let text = nptv6("");
    assert!(
        text.contains("update delete web.example.org. AAAA\n\nsend"),
        "{text}"
    );
}
