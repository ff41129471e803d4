//! Events that arrive while something else goes wrong: a closed stderr, a failure before
//! the decision, a fallback whose NAT66 rule cannot be added, a forged log line, slow
//! post-change scripts. Each run either finishes or leaves the owed restart for the next.

use std::fs;
use std::os::fd::OwnedFd;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::loss;
use crate::util::*;

const P100: &str = "2001:db8:0:100::/60";

/// The state record of an owed restart, if any.
fn owed(m: &Machine) -> Option<String> {
    fs::read_to_string(m.dir.path().join("var/lib/docker-ipv6-pd/pending")).ok()
}

#[test]
fn a_broken_stderr_pipe_does_not_stop_the_restart() {
    let m = Machine::new();
    // A pipe whose reader is gone: every write to it fails with EPIPE (SIGPIPE is ignored,
    // as dhclient ignores it for its scripts).
    let (reader, writer): (OwnedFd, OwnedFd) = nix::unistd::pipe().unwrap();
    drop(reader);
    let status = m
        .command()
        .env("reason", "BOUND6")
        .env("new_ip6_prefix", P100)
        .stdout(Stdio::from(writer.try_clone().unwrap()))
        .stderr(Stdio::from(writer))
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0), "{status}");
    assert_eq!(m.file().as_deref(), Some(LINE_100));
    assert_eq!(m.restarts().len(), 1);
    assert_eq!(owed(&m), None);
}

#[test]
fn a_failure_before_the_decision_is_finished_by_the_next_renewal() {
    let m = Machine::new();
    m.configure_daemon_json_target();
    fs::write(m.daemon_json(), "{ not json").unwrap();
    let out = m.event("BOUND6", P100, "");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(m.restarts().is_empty());
    assert_eq!(owed(&m).as_deref(), Some("apply 2001:db8:0:100::/60\n"));
    // The admin repairs daemon.json; the next event is a renewal, yet docker must restart.
    fs::write(m.daemon_json(), "{}").unwrap();
    let out = m.event("RENEW6", P100, P100);
    assert!(out.status.success(), "{}", stderr(&out));
    let json = fs::read_to_string(m.daemon_json()).unwrap();
    assert!(
        json.contains("\"fixed-cidr-v6\": \"2001:db8:0:100::/80\""),
        "{json}"
    );
    assert_eq!(m.restarts().len(), 1);
    assert_eq!(owed(&m), None);
    // Now it is a plain renewal.
    m.event("RENEW6", P100, P100);
    assert_eq!(m.restarts().len(), 1);
}

#[test]
fn a_restart_killed_midway_is_finished_by_the_next_renewal() {
    let m = Machine::new();
    m.make_restarts_fail();
    let out = m.event("BOUND6", P100, "");
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_eq!(m.file().as_deref(), Some(LINE_100));
    assert_eq!(owed(&m).as_deref(), Some("apply 2001:db8:0:100::/60\n"));
    let attempts = m.restarts().len();
    fs::remove_file(m.dir.path().join("restart-fails")).unwrap();
    let out = m.event("RENEW6", P100, P100);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(m.restarts().len(), attempts + 1);
    assert_eq!(owed(&m), None);
}

#[test]
fn a_fallback_whose_nat_rule_fails_writes_nothing_and_is_finished_later() {
    let m = loss::machine("fallback");
    m.event("BOUND6", P100, "");
    assert_eq!(m.restarts().len(), 1);
    let working = fs::read_to_string(m.fake_bin.join("ip6tables")).unwrap();
    write_executable(
        &m.fake_bin.join("ip6tables"),
        "#!/bin/sh\necho 'ip6tables: table nat does not exist' >&2\nexit 3\n",
    );
    let out = m.hook_run(&[("reason", "EXPIRE6"), ("old_ip6_prefix", P100)]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("table nat does not exist"),
        "{}",
        stderr(&out)
    );
    // Nothing was written, docker was not restarted, and the fallback is owed.
    assert_eq!(m.file().as_deref(), Some(LINE_100));
    assert_eq!(m.restarts().len(), 1);
    assert_eq!(owed(&m).as_deref(), Some("fallback 2001:db8:0:100::/60\n"));
    // ip6tables works again: the next loss event finishes the fallback.
    write_executable(&m.fake_bin.join("ip6tables"), &working);
    let out = m.hook_run(&[("reason", "EXPIRE6"), ("old_ip6_prefix", P100)]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(m.file().as_deref(), Some(loss::ULA_LINE));
    assert_eq!(
        loss::nat_rules(&m).trim(),
        "-s fd12:3456:789a::/80 ! -o docker0 -j MASQUERADE"
    );
    assert_eq!(m.restarts().len(), 2);
    assert_eq!(owed(&m), None);
}

#[test]
fn a_fallback_whose_restart_failed_is_finished_by_the_next_loss_event() {
    let m = loss::machine("fallback");
    m.event("BOUND6", P100, "");
    m.make_restarts_fail();
    let out = m.hook_run(&[("reason", "EXPIRE6"), ("old_ip6_prefix", P100)]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    // The file already holds the fallback subnet, so only the owed record says it is owed.
    assert_eq!(m.file().as_deref(), Some(loss::ULA_LINE));
    let attempts = m.restarts().len();
    fs::remove_file(m.dir.path().join("restart-fails")).unwrap();
    let out = m.hook_run(&[("reason", "EXPIRE6"), ("old_ip6_prefix", P100)]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(m.restarts().len(), attempts + 1);
    assert_eq!(owed(&m), None);
}

#[test]
fn scripts_hear_only_subnets_docker_was_restarted_with() {
    let m = loss::machine("keep");
    m.event("BOUND6", P100, "");
    assert_eq!(loss::post_changes(&m).len(), 1);
    // Another /80 of the same prefix: a renewal rewrites it without a restart...
    m.set_file(b"2001:0db8:0000:0100:0000:0001:0000:0000/80\n");
    let out = m.event("RENEW6", P100, P100);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(m.file().as_deref(), Some(LINE_100));
    assert_eq!(m.restarts().len(), 1);
    // ...so the scripts are told nothing: docker did not apply it.
    assert_eq!(loss::post_changes(&m).len(), 1);
}

#[test]
fn a_forged_line_in_the_reason_stays_on_one_line() {
    let m = Machine::new();
    let out = m.hook_run(&[
        ("reason", "BOUND6\ndocker-ipv6-pd: forged: all is well"),
        ("new_ip6_prefix", P100),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("BOUND6\\x0adocker-ipv6-pd: forged"), "{err}");
    assert!(
        !err.lines().any(|l| l.starts_with("docker-ipv6-pd: forged")),
        "{err}"
    );
}

/// Starts a hook run for a new prefix whose post-change script sleeps `seconds`.
fn start_with_slow_script(m: &Machine, seconds: u32) -> Child {
    let scripts = m.dir.path().join("post-change.d");
    fs::create_dir_all(&scripts).unwrap();
    write_executable(
        &scripts.join("10-slow"),
        &format!(
            "#!/bin/sh\nsleep {seconds}\ntouch {}\n",
            m.dir.path().join("slow-done").display()
        ),
    );
    fs::write(
        &m.config,
        format!(
            "post-change-dir = {}\npost-change-timeout = 30\n",
            scripts.display()
        ),
    )
    .unwrap();
    m.command()
        .env("reason", "BOUND6")
        .env("new_ip6_prefix", P100)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn slow_post_change_scripts_do_not_hold_the_lock() {
    let m = Machine::new();
    let mut slow = start_with_slow_script(&m, 20);
    // Wait until the first run has restarted docker: its script is running from then on.
    let started = Instant::now();
    while m.restarts().is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the first run never restarted"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let renewal = m.event("RENEW6", P100, P100);
    let waited = started.elapsed();
    assert!(renewal.status.success(), "{}", stderr(&renewal));
    assert!(
        !m.dir.path().join("slow-done").exists() && waited < Duration::from_secs(15),
        "the renewal waited for the post-change script ({waited:?})"
    );
    let _ = slow.kill();
    let _ = slow.wait();
}

#[test]
fn a_restart_that_never_returns_is_killed_and_owed_to_the_next_event() {
    let m = Machine::new();
    let working = fs::read_to_string(m.fake_bin.join("service")).unwrap();
    write_executable(
        &m.fake_bin.join("service"),
        &format!(
            "#!/bin/sh\necho \"$*\" >>{log}\n(sleep 600) & sleep 600\n",
            log = m.dir.path().join("hung.log").display()
        ),
    );
    fs::write(&m.config, "restart-timeout = 2\n").unwrap();
    let started = Instant::now();
    let out = m.event("BOUND6", P100, "");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("did not finish within 2s and was killed"),
        "{}",
        stderr(&out)
    );
    // No start after a restart that hung, and the restart is owed.
    assert_eq!(
        fs::read_to_string(m.dir.path().join("hung.log")).unwrap(),
        "docker restart\n"
    );
    assert_eq!(owed(&m).as_deref(), Some("apply 2001:db8:0:100::/60\n"));
    // The next event retries it, and the lock was not left behind.
    write_executable(&m.fake_bin.join("service"), &working);
    let out = m.event("RENEW6", P100, P100);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(m.restarts().len(), 1);
    assert_eq!(owed(&m), None);
}

#[test]
fn a_bad_configuration_file_leaves_the_restart_owed_until_it_is_repaired() {
    let m = Machine::new();
    fs::write(&m.config, "subnet-size = eighty\n").unwrap();
    let out = m.event("BOUND6", P100, "");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(m.file(), None);
    assert_eq!(owed(&m).as_deref(), Some("apply 2001:db8:0:100::/60\n"));
    // Repaired; the next event is a renewal, yet docker restarts with the subnet.
    fs::write(&m.config, "subnet-size = 80\n").unwrap();
    let out = m.event("RENEW6", P100, P100);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(m.file().as_deref(), Some(LINE_100));
    assert_eq!(m.restarts().len(), 1);
    assert_eq!(owed(&m), None);
}
