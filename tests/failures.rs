//! Failure modes of the file system: full, read-only, missing directory, no permission.
//! Each gives a clear error and exit status 1, leaves the old file intact, restarts nothing
//! and leaves no temp file behind.

use std::fs;

use crate::util::*;

/// One hook run for a new prefix over a file holding LINE_200, under `setup` (a shell
/// script run as root in a private mount namespace, with $D the prefix file's directory),
/// started through `runner`; checks the common promises and that stderr holds `expected`.
fn fails_cleanly(test: &str, setup: &str, runner: &str, expected: &str) {
    if !have_root(test) {
        return;
    }
    let m = Machine::new();
    let dir = m.prefix_file.parent().unwrap();
    let status = dir.parent().unwrap().join(format!("{test}.status"));
    let script = format!(
        r#"D={dir}
{setup}
set +e
{runner} env -i {env} new_ip6_prefix=2001:db8:0:100::/60 {bin}
echo $? >{status}
cat {file} >{status}.file
ls -A $D >{status}.ls"#,
        dir = dir.display(),
        env = m.shell_env(),
        file = m.prefix_file.display(),
        bin = BIN,
        runner = runner,
        status = status.display(),
    );
    let out = in_mount_namespace(&script);
    let err = stderr(&out);
    assert_eq!(fs::read_to_string(&status).unwrap().trim(), "1", "{err}");
    assert!(err.contains(expected), "expected {expected:?} in: {err}");
    assert!(err.contains("ipv6.prefix (left as it was)"), "{err}");
    assert!(err.contains("docker not restarted"), "{err}");
    let file = fs::read_to_string(status.with_extension("status.file")).unwrap();
    assert_eq!(file, LINE_200);
    let listing = fs::read_to_string(status.with_extension("status.ls")).unwrap();
    assert!(listing.lines().any(|l| l == "ipv6.prefix"), "{listing}");
    assert!(
        !listing.contains(".ipv6.prefix."),
        "stray temp file: {listing}"
    );
    assert!(m.restarts().is_empty());
}

#[test]
fn full_disk() {
    fails_cleanly(
        "full_disk",
        &format!(
            "mount -t tmpfs -o size=64k tmpfs $D\nprintf '%s\\n' '{}' >$D/ipv6.prefix\n\
             dd if=/dev/zero of=$D/filler bs=4k 2>/dev/null || true",
            LINE_200.trim_end()
        ),
        "",
        "No space left on device",
    );
}

#[test]
fn read_only_file_system() {
    fails_cleanly(
        "read_only_file_system",
        &format!(
            "mount -t tmpfs tmpfs $D\nprintf '%s\\n' '{}' >$D/ipv6.prefix\nmount -o remount,ro $D",
            LINE_200.trim_end()
        ),
        "",
        "Read-only file system",
    );
}

#[test]
fn permission_denied() {
    if !have_tool("permission_denied", "setpriv") {
        return;
    }
    fails_cleanly(
        "permission_denied",
        &format!(
            "mount -t tmpfs -o mode=0755 tmpfs $D\nprintf '%s\\n' '{}' >$D/ipv6.prefix\n\
             chmod 755 $D/../.. $D/..; chmod 644 $D/../../docker-ipv6-pd.conf\n\
             mkdir -p -m 0777 $D/../../var/lib/docker-ipv6-pd; chmod 755 $D/../../var $D/../../var/lib",
            LINE_200.trim_end(),
        ),
        "setpriv --reuid=65534 --regid=65534 --clear-groups",
        "Permission denied",
    );
}

#[test]
fn missing_directory() {
    let m = Machine::new();
    let out = m
        .command()
        .env(
            "DOCKER_IPV6_PD_PREFIX_FILE",
            m.dir.path().join("no/such/dir/ipv6.prefix"),
        )
        .env("new_ip6_prefix", "2001:db8:0:100::/60")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("no/such/dir"), "{err}");
    assert!(err.contains("No such file or directory"), "{err}");
    assert!(m.restarts().is_empty());
}

#[test]
fn prefix_file_is_a_directory() {
    let m = Machine::new();
    fs::create_dir(&m.prefix_file).unwrap();
    let out = m.event("BOUND6", "2001:db8:0:100::/60", "");
    assert_fails(&out, 1, "ipv6.prefix is not a regular file (a directory)");
    assert!(
        stderr(&out).contains("docker not restarted"),
        "{}",
        stderr(&out)
    );
    assert!(m.prefix_file.is_dir());
    assert!(m.restarts().is_empty());
}

#[test]
fn a_renewal_on_a_read_only_file_system_with_the_file_in_place_succeeds() {
    if !have_root("renewal on read-only") {
        return;
    }
    let m = Machine::new();
    let dir = m.prefix_file.parent().unwrap();
    let script = format!(
        "mount -t tmpfs tmpfs {dir}\nprintf '%s\\n' '{line}' >{dir}/ipv6.prefix\n\
         mount -o remount,ro {dir}\n\
         env -i {env} new_ip6_prefix=2001:db8:0:100::/60 old_ip6_prefix=2001:db8:0:100::/60 {bin}\n\
         cat {dir}/ipv6.prefix",
        dir = dir.display(),
        line = LINE_100.trim_end(),
        env = m.shell_env(),
        bin = BIN,
    );
    let out = in_mount_namespace(&script);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), LINE_100);
    assert!(m.restarts().is_empty());
}

#[test]
fn a_write_that_failed_is_finished_by_the_next_renewal_with_a_restart() {
    if !have_root("unfinished write") {
        return;
    }
    let m = Machine::new();
    let dir = m.prefix_file.parent().unwrap();
    let hook_run = |prefix_old: &str| {
        format!(
            "env -i {env} new_ip6_prefix=2001:db8:0:100::/60 old_ip6_prefix={prefix_old} {bin}",
            env = m.shell_env(),
            bin = BIN,
        )
    };
    let script = format!(
        "mount -t tmpfs tmpfs {dir}\nprintf '%s\\n' '{old}' >{dir}/ipv6.prefix\n\
         mount -o remount,ro {dir}\n\
         {first} && exit 90 || true\n\
         mount -o remount,rw {dir}\n\
         {renewal}\ncat {dir}/ipv6.prefix >{copy}",
        dir = dir.display(),
        old = LINE_200.trim_end(),
        first = hook_run(""),
        renewal = hook_run("2001:db8:0:100::/60"),
        copy = m.dir.path().join("after").display(),
    );
    let out = in_mount_namespace(&script);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fs::read_to_string(m.dir.path().join("after")).unwrap(),
        LINE_100
    );
    // Without the note of the unfinished apply, the renewal would have kept the old subnet.
    assert_eq!(m.restarts().len(), 1, "{:?}", m.restarts());
    assert!(!m.dir.path().join("var/lib/docker-ipv6-pd/pending").exists());
}

#[test]
fn a_restart_that_failed_is_retried_by_the_next_renewal() {
    let m = Machine::new();
    m.make_restarts_fail();
    let out = m.event("BOUND6", "2001:db8:0:100::/60", "");
    assert_eq!(out.status.code(), Some(4));
    fs::remove_file(m.dir.path().join("restart-fails")).unwrap();
    let out = m.event("RENEW6", "2001:db8:0:100::/60", "2001:db8:0:100::/60");
    assert!(out.status.success(), "{}", stderr(&out));
    // restart (failed), start (failed), then the renewal's restart.
    let calls: Vec<String> = m
        .restarts()
        .iter()
        .map(|l| l.split(" |").next().unwrap().to_string())
        .collect();
    assert_eq!(
        calls,
        [
            "service docker restart",
            "service docker start",
            "service docker restart"
        ]
    );
    // Finished: the next renewal is a plain renewal again.
    m.event("RENEW6", "2001:db8:0:100::/60", "2001:db8:0:100::/60");
    assert_eq!(m.restarts().len(), 3);
}

#[test]
fn a_restart_of_a_stopped_docker_that_fails_is_followed_by_a_start() {
    let m = Machine::new();
    let log = m.dir.path().join("service.log");
    write_executable(
        &m.fake_bin.join("service"),
        &format!(
            "#!/bin/sh\necho \"$*\" >>{}\n[ \"$2\" = start ] || {{ echo 'cat: /var/run/docker-ssd.pid: No such file' >&2; exit 1; }}\n",
            log.display()
        ),
    );
    let out = m.event("BOUND6", "2001:db8:0:100::/60", "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("docker was not running, so started it: service docker start"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        fs::read_to_string(&log).unwrap(),
        "docker restart\ndocker start\n"
    );
}
