//! Files that are not what they seem: a prefix file or daemon.json that is a symbolic link
//! (written through, the link kept), one that is a FIFO or a directory (refused at once, in
//! one line, nothing changed), and odd things at the record of an owed restart.

use std::fs::{self, File};
use std::os::unix::fs::symlink;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::util::*;

const P100: &str = "2001:db8:0:100::/60";

/// Runs `cmd`, killing it and failing the test if it has not ended within a few seconds.
fn output_within_seconds(cmd: &mut Command) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("the run did not end within 30 seconds: it hung");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// A directory outside etc/docker (another volume, a git checkout) holding the real files.
fn elsewhere(m: &Machine) -> std::path::PathBuf {
    let dir = m.dir.path().join("srv/etc-repo/docker");
    fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_linked_prefix_file_is_written_through_and_stays_a_link() {
    let m = Machine::new();
    let real = elsewhere(&m).join("ipv6.prefix");
    fs::write(&real, LINE_200).unwrap();
    symlink("../../srv/etc-repo/docker/ipv6.prefix", &m.prefix_file).unwrap();

    let out = m.event("BOUND6", P100, "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(fs::symlink_metadata(&m.prefix_file).unwrap().is_symlink());
    assert_eq!(fs::read_to_string(&real).unwrap(), LINE_100);
    assert_eq!(m.restarts().len(), 1, "{:?}", m.restarts());
    assert!(m.strays().is_empty(), "{:?}", m.strays());
    assert_eq!(fs::read_dir(real.parent().unwrap()).unwrap().count(), 1);
    // And the renewal reads the new line through the link: nothing to do.
    let out = m.event("RENEW6", P100, P100);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(m.restarts().len(), 1, "{:?}", m.restarts());
}

#[test]
fn a_linked_daemon_json_is_written_through_and_stays_a_link() {
    let m = Machine::new();
    let real = elsewhere(&m).join("daemon.json");
    fs::write(&real, "{\n  \"log-driver\": \"journald\"\n}\n").unwrap();
    symlink(&real, m.daemon_json()).unwrap();

    let out = m
        .command()
        .args(["--target", "daemon-json"])
        .env("DOCKER_IPV6_PD_DAEMON_JSON", m.daemon_json())
        .env("new_ip6_prefix", P100)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(fs::symlink_metadata(m.daemon_json()).unwrap().is_symlink());
    assert_eq!(
        fs::read_to_string(&real).unwrap(),
        "{\n  \"log-driver\": \"journald\",\n  \"ipv6\": true,\n  \"fixed-cidr-v6\": \"2001:db8:0:100::/80\"\n}\n"
    );
    assert_eq!(m.restarts().len(), 1, "{:?}", m.restarts());
}

#[test]
fn two_targets_in_one_real_directory_lock_it_once() {
    let m = Machine::new();
    let repo = elsewhere(&m);
    // The prefix file links into the directory daemon.json is named in, by another spelling:
    // two locks on one directory from one run would wait on each other forever.
    symlink("../../srv/etc-repo/docker/ipv6.prefix", &m.prefix_file).unwrap();
    let out = output_within_seconds(
        m.command()
            .args(["--target", "both"])
            .env("DOCKER_IPV6_PD_DAEMON_JSON", repo.join("daemon.json"))
            .env("new_ip6_prefix", P100),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fs::read_to_string(repo.join("ipv6.prefix")).unwrap(),
        LINE_100
    );
    assert!(
        fs::read_to_string(repo.join("daemon.json"))
            .unwrap()
            .contains("2001:db8:0:100::/80")
    );
}

#[test]
fn a_link_to_a_fifo_or_a_directory_is_refused_in_one_line_naming_the_link() {
    let m = Machine::new();
    let fifo = elsewhere(&m).join("fifo");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
    for (target, kind) in [(fifo, "FIFO"), (elsewhere(&m), "directory")] {
        let _ = fs::remove_file(&m.prefix_file);
        symlink(&target, &m.prefix_file).unwrap();
        let out = output_within_seconds(m.command().env("new_ip6_prefix", P100));
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains(&format!(
                "{} links to {}, which is not a regular file (a {kind})",
                m.prefix_file.display(),
                target.display()
            )),
            "{err}"
        );
        assert_eq!(fs::read_link(&m.prefix_file).unwrap(), target);
        assert!(m.restarts().is_empty());
        assert!(m.strays().is_empty(), "{:?}", m.strays());
    }
    assert_eq!(fs::read_dir(elsewhere(&m)).unwrap().count(), 1);
}

#[test]
fn a_fifo_as_prefix_file_fails_at_once_for_the_hook_and_for_dry_run() {
    let m = Machine::new();
    nix::unistd::mkfifo(&m.prefix_file, nix::sys::stat::Mode::S_IRWXU).unwrap();
    for dry_run in [false, true] {
        let mut cmd = m.command();
        cmd.env("new_ip6_prefix", P100);
        if dry_run {
            cmd.arg("--dry-run");
        }
        let out = output_within_seconds(&mut cmd);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let expected = format!("{} is not a regular file (a FIFO)", m.prefix_file.display());
        assert!(stderr(&out).contains(&expected), "{}", stderr(&out));
    }
    assert!(m.restarts().is_empty());
}

#[test]
fn a_link_planted_at_the_record_of_an_owed_restart_is_replaced_and_its_target_untouched() {
    let m = Machine::new();
    let victim = m.dir.path().join("victim");
    fs::write(&victim, "precious\n").unwrap();
    let record = m.dir.path().join("var/lib/docker-ipv6-pd/pending");
    fs::create_dir_all(record.parent().unwrap()).unwrap();
    symlink(&victim, &record).unwrap();

    // A failed restart is recorded, so the next renewal retries it.
    m.make_restarts_fail();
    let out = m.event("BOUND6", P100, "");
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_eq!(fs::read_to_string(&victim).unwrap(), "precious\n");
    assert!(fs::symlink_metadata(&record).unwrap().is_file());
    assert!(fs::read_to_string(&record).unwrap().contains(P100));
}

#[test]
fn a_huge_record_of_an_owed_restart_is_ignored_with_a_warning() {
    let m = Machine::new();
    let record = m.dir.path().join("var/lib/docker-ipv6-pd/pending");
    fs::create_dir_all(record.parent().unwrap()).unwrap();
    File::create(&record).unwrap().set_len(800 << 20).unwrap();
    m.set_file(LINE_100.as_bytes());

    let started = Instant::now();
    let out = m.event("RENEW6", P100, P100);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(started.elapsed() < Duration::from_secs(20));
    let warning = format!(
        "warning: ignoring the record of an owed restart {}: it is larger than 4096 bytes",
        record.display()
    );
    assert!(stderr(&out).contains(&warning), "{}", stderr(&out));
    // Ignored, not obeyed: a renewal of the prefix in place restarts nothing.
    assert!(m.restarts().is_empty(), "{:?}", m.restarts());
}
