//! The hook run, event by event: what it writes, when it restarts docker.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};

use crate::util::*;

const P100: &str = "2001:db8:0:100::/60";
const P200: &str = "2001:db8:0:200::/60";

#[test]
fn first_lease_writes_the_sipcalc_line_then_restarts_docker_once() {
    let m = Machine::new();
    let out = m.event("BOUND6", "2001:db8:0:100::/60", "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(m.file().as_deref(), Some(LINE_100));
    // The restart saw the new file: it ran after the write.
    assert_eq!(
        m.restarts(),
        [format!("service docker restart | {}", LINE_100.trim())]
    );
    assert_eq!(fs::metadata(&m.prefix_file).unwrap().mode() & 0o7777, 0o644);
    let err = stderr(&out);
    assert!(
        err.contains("BOUND6: prefix 2001:db8:0:100::/60 (previous none) gives subnet "),
        "{err}"
    );
    assert!(err.contains("wrote "), "{err}");
}

#[test]
fn dry_run_shows_the_line_and_the_restart_and_changes_nothing() {
    let m = Machine::new();
    let out = ok(m
        .command()
        .arg("--dry-run")
        .env("new_ip6_prefix", "2001:db8:100::/60")
        .output()
        .unwrap());
    let text = stdout(&out);
    assert!(
        text.contains("would write 2001:0db8:0100:0000:0000:0000:0000:0000/80 to "),
        "{text}"
    );
    assert!(
        text.contains("would restart docker: service docker restart"),
        "{text}"
    );
    assert_eq!(m.file(), None);
    assert!(m.restarts().is_empty());
}

#[test]
fn renewal_with_the_file_in_place_touches_nothing() {
    let m = Machine::new();
    ok(m.event("BOUND6", P100, ""));
    let before = fs::metadata(&m.prefix_file).unwrap();
    for reason in ["RENEW6", "REBIND6", "BOUND6"] {
        ok(m.event(reason, P100, P100));
    }
    let after = fs::metadata(&m.prefix_file).unwrap();
    assert_eq!(
        (before.ino(), before.mtime_nsec()),
        (after.ino(), after.mtime_nsec())
    );
    assert_eq!(m.restarts().len(), 1);
}

#[test]
fn renewal_rewrites_a_missing_or_broken_file_and_restarts_docker() {
    // The first event after a reboot is a rebind from the lease file (old = new); docker
    // could not start without a valid file, so it must (re)start now.
    let m = Machine::new();
    ok(m.event("REBIND6", P100, P100));
    assert_eq!(m.file().as_deref(), Some(LINE_100));
    assert_eq!(m.restarts().len(), 1);
    m.set_file(b"/80\n");
    ok(m.event("RENEW6", P100, P100));
    assert_eq!(m.file().as_deref(), Some(LINE_100));
    assert_eq!(m.restarts().len(), 2);
    // With the file in place, a renewal restarts nothing.
    ok(m.event("RENEW6", P100, P100));
    assert_eq!(m.restarts().len(), 2);
}

#[test]
fn old_prefix_in_another_spelling_is_the_same_prefix() {
    let m = Machine::new();
    m.set_file(LINE_100.as_bytes());
    let ino = fs::metadata(&m.prefix_file).unwrap().ino();
    // Accepted (a refusal would also leave docker alone, but exits 3) and seen as a renewal:
    // the file is neither rewritten nor replaced, docker not restarted.
    let out = ok(m.event("REBIND6", P100, "2001:0DB8:0000:0100::/60"));
    assert_eq!(
        stderr(&out),
        "docker-ipv6-pd: REBIND6: prefix 2001:db8:0:100::/60 (previous 2001:db8:0:100::/60) \
         gives subnet (already configured) 2001:db8:0:100::/80\n"
    );
    assert_eq!(fs::read(&m.prefix_file).unwrap(), LINE_100.as_bytes());
    assert_eq!(fs::metadata(&m.prefix_file).unwrap().ino(), ino);
    assert!(m.restarts().is_empty());
}

#[test]
fn new_prefix_with_the_file_already_right_restarts_without_rewriting() {
    let m = Machine::new();
    m.set_file(LINE_100.as_bytes());
    let ino = fs::metadata(&m.prefix_file).unwrap().ino();
    ok(m.event("BOUND6", P100, ""));
    assert_eq!(fs::metadata(&m.prefix_file).unwrap().ino(), ino);
    assert_eq!(m.file().as_deref(), Some(LINE_100));
    assert_eq!(
        m.restarts(),
        [format!("service docker restart | {}", LINE_100.trim())]
    );
}

#[test]
fn a_withdrawn_prefix_is_never_written() {
    let m = Machine::new();
    m.set_file(LINE_200.as_bytes());
    for (max, preferred) in [("0", "0"), ("0", "1800"), ("3600", "0")] {
        let out = m.hook_run(&[
            ("reason", "REBIND6"),
            ("new_ip6_prefix", P100),
            ("new_max_life", max),
            ("new_preferred_life", preferred),
        ]);
        let out = ok(out);
        assert!(stderr(&out).contains("withdrawn"), "{}", stderr(&out));
    }
    assert_eq!(m.file().as_deref(), Some(LINE_200));
    assert!(m.restarts().is_empty());
}

#[test]
fn events_without_a_prefix_do_nothing() {
    let m = Machine::new();
    m.set_file(LINE_100.as_bytes());
    for reason in ["PREINIT6", "DEPREF6", "EXPIRE6", "RELEASE6", "STOP6"] {
        let out = m.hook_run(&[
            ("reason", reason),
            ("old_ip6_prefix", P100),
            ("new_ip6_prefix", ""),
        ]);
        let err = stderr(&ok(out));
        if ["EXPIRE6", "RELEASE6", "STOP6"].contains(&reason) {
            // The default loss policy keeps the subnet, and says so.
            assert!(
                err.contains("is gone; keeping it (on-loss = keep)"),
                "{reason}: {err}"
            );
        } else {
            assert_eq!(err, "", "{reason}");
        }
    }
    assert_eq!(m.file().as_deref(), Some(LINE_100));
    assert!(m.restarts().is_empty());
}

#[test]
fn two_delegated_prefixes_settle_without_flip_flop() {
    // dhclient -P -P: one script call per prefix, first exchange then renewals.
    let m = Machine::new();
    ok(m.event("BOUND6", P100, ""));
    ok(m.event("BOUND6", P200, ""));
    let settled = m.file();
    let restarts = m.restarts().len();
    for _ in 0..3 {
        ok(m.event("RENEW6", P100, P100));
        assert_eq!(m.file(), settled);
        ok(m.event("RENEW6", P200, P200));
        assert_eq!(m.file(), settled);
    }
    assert_eq!(
        m.restarts().len(),
        restarts,
        "no restart after the first exchange"
    );
    assert_eq!(settled.as_deref(), Some(LINE_200));
}

#[test]
fn renumbering_by_a_server_with_a_new_identity() {
    // dhclient reports it as REBIND6 new=old=OLD with lifetime 0, REBIND6 new=NEW
    // old=(empty), then renewals of NEW (as RENEW6, or BOUND6 new=old=NEW).
    let m = Machine::new();
    ok(m.event("BOUND6", P100, ""));
    let out = ok(m.hook_run(&[
        ("reason", "REBIND6"),
        ("new_ip6_prefix", P100),
        ("old_ip6_prefix", P100),
        ("new_max_life", "0"),
        ("new_preferred_life", "0"),
    ]));
    assert!(stderr(&out).contains("withdrawn"), "{}", stderr(&out));
    assert_eq!(m.file().as_deref(), Some(LINE_100));
    ok(m.event("REBIND6", P200, ""));
    assert_eq!(m.file().as_deref(), Some(LINE_200));
    ok(m.hook_run(&[("reason", "DEPREF6"), ("cur_ip6_prefix", P100)]));
    ok(m.hook_run(&[("reason", "EXPIRE6"), ("old_ip6_prefix", P100)]));
    ok(m.event("RENEW6", P200, P200));
    ok(m.event("BOUND6", P200, P200));
    assert_eq!(m.file().as_deref(), Some(LINE_200));
    assert_eq!(m.restarts().len(), 2, "{:?}", m.restarts());
}

#[test]
fn renumbering_by_the_same_server_with_a_new_pool_never_flips_back() {
    // After NoBinding, dhclient reports the stale prefix as BOUND6 new=old=OLD (with
    // lifetimes) every T1, next to BOUND6 new=old=NEW, until OLD expires.
    let m = Machine::new();
    ok(m.event("BOUND6", P100, ""));
    ok(m.event("BOUND6", P200, ""));
    assert_eq!(m.file().as_deref(), Some(LINE_200));
    for _ in 0..3 {
        ok(m.event("BOUND6", P100, P100));
        assert_eq!(m.file().as_deref(), Some(LINE_200));
        ok(m.event("BOUND6", P200, P200));
        assert_eq!(m.file().as_deref(), Some(LINE_200));
    }
    assert_eq!(m.restarts().len(), 2);
}

#[test]
fn under_systemd_it_restarts_the_unit_and_the_service_name_is_configurable() {
    let m = Machine::new();
    let out = m
        .command()
        .args(["--init", "systemd", "--service", "moby"])
        .env("new_ip6_prefix", P100)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        m.restarts(),
        [format!(
            "systemctl restart moby.service | {}",
            LINE_100.trim()
        )]
    );
    let out = m
        .command()
        .args(["--init", "openrc"])
        .env("new_ip6_prefix", P200)
        .output()
        .unwrap();
    ok(out);
    assert_eq!(
        m.restarts()[1],
        format!("rc-service docker restart | {}", LINE_200.trim())
    );
}

#[test]
fn a_failed_restart_exits_4_and_keeps_the_new_file() {
    let m = Machine::new();
    m.set_file(LINE_200.as_bytes());
    m.make_restarts_fail();
    let out = m.event("BOUND6", P100, P200);
    assert_eq!(out.status.code(), Some(4));
    let err = stderr(&out);
    assert!(err.contains("restarting docker failed"), "{err}");
    assert!(err.contains("Job for docker.service failed."), "{err}");
    assert_eq!(m.file().as_deref(), Some(LINE_100));
}

#[test]
fn an_existing_files_mode_is_kept() {
    let m = Machine::new();
    m.set_file(LINE_200.as_bytes());
    fs::set_permissions(&m.prefix_file, fs::Permissions::from_mode(0o640)).unwrap();
    ok(m.event("BOUND6", P100, ""));
    assert_eq!(m.file().as_deref(), Some(LINE_100));
    assert_eq!(fs::metadata(&m.prefix_file).unwrap().mode() & 0o7777, 0o640);
}

#[test]
fn changes_and_refusals_reach_syslog() {
    if !have_root("changes_and_refusals_reach_syslog") || !have_tool("syslog", "python3") {
        return;
    }
    // A private /dev with our own /dev/log: a datagram socket that a small listener drains.
    let m = Machine::new();
    let log = m.dir.path().join("syslog.txt");
    let script = format!(
        r#"mount -t tmpfs tmpfs /dev
mknod -m 666 /dev/null c 1 3
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind("/dev/log")
open("{ready}", "w").close()
s.settimeout(5)
with open("{log}", "ab") as f:
    for _ in range(4):
        f.write(s.recv(4096) + b"\n"); f.flush()
' &
while [ ! -e {ready} ]; do sleep 0.05; done
export {env}
new_ip6_prefix=2001:db8:0:100::/60 {bin} || true
new_ip6_prefix=garbage {bin} || true
wait"#,
        ready = m.dir.path().join("ready").display(),
        log = log.display(),
        env = m.shell_env(),
        bin = BIN,
    );
    let out = in_mount_namespace(&script);
    assert!(out.status.success(), "{}", stderr(&out));
    let logged = fs::read_to_string(&log).unwrap();
    // <30> is facility daemon (3), severity info (6); <27> daemon, err (3).
    assert!(logged.contains("<30>"), "{logged}");
    assert!(logged.contains("docker-ipv6-pd["), "{logged}");
    assert!(logged.contains("gives subnet "), "{logged}");
    assert!(logged.contains("wrote "), "{logged}");
    assert!(
        logged.contains("restarted docker: service docker restart"),
        "{logged}"
    );
    assert!(logged.contains("<27>"), "{logged}");
    assert!(logged.contains("new_ip6_prefix=\"garbage\""), "{logged}");
}
