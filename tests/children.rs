//! The children a hook run starts (post-change scripts, the docker restart) run with limits:
//! a timeout, bounded output, no inherited descriptors, and no hooks others could plant.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use nix::fcntl::{OFlag, open};
use nix::sys::stat::Mode;

use crate::util::*;

const P100: &str = "2001:db8:0:100::/60";

/// A machine with a post-change directory (returned) and the given hook timeout.
fn with_hooks(timeout: u64) -> (Machine, PathBuf) {
    let m = Machine::new();
    let hooks = m.dir.path().join("post-change.d");
    fs::create_dir_all(&hooks).unwrap();
    fs::write(
        &m.config,
        format!(
            "post-change-dir = {}\npost-change-timeout = {timeout}\n",
            hooks.display()
        ),
    )
    .unwrap();
    (m, hooks)
}

#[test]
fn a_hook_flooding_its_output_is_killed_and_its_output_stays_small() {
    let (m, hooks) = with_hooks(2);
    let sizes = m.dir.path().join("sizes");
    // Every 50 ms: the memory the hook's output buffer holds (its allocated blocks), and the
    // peak memory of the hook run.
    write_executable(
        &hooks.join("10-flood"),
        &format!(
            "#!/bin/sh\nyes & while :; do\n\
             size=$(( $(stat -L -c '%b*%B' /proc/$$/fd/1) ))\n\
             peak=$(awk '/^VmHWM/ {{print $2}}' /proc/$PPID/status)\n\
             echo \"$size $peak\" >>{}\nsleep 0.05\ndone\n",
            sizes.display()
        ),
    );
    let start = Instant::now();
    let out = m.event("BOUND6", P100, "");
    assert!(start.elapsed() < Duration::from_secs(30));
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("10-flood still ran after 2s and was killed; it printed: y y y"),
        "{err}"
    );
    assert!(err.len() < 2000, "{err}");
    let samples: Vec<(u64, u64)> = fs::read_to_string(&sizes)
        .unwrap()
        .lines()
        .map(|l| {
            let (size, peak) = l.split_once(' ').unwrap();
            (size.parse().unwrap(), peak.parse().unwrap())
        })
        .collect();
    assert!(samples.len() > 5, "{samples:?}");
    // Untrimmed, the buffer grows by hundreds of MB a second; trimmed, it holds a few MB
    // between two polls, more only while the host stalls the polling thread (it did once, to
    // 24 MB, on a busy 2-core VM). So: most samples small, none near unbounded.
    let buffers: Vec<u64> = samples.iter().map(|s| s.0).collect();
    let small = buffers.iter().filter(|&&b| b < 20_000_000).count();
    assert!(
        small * 4 >= buffers.len() * 3,
        "the buffer grew: {buffers:?}"
    );
    let largest_buffer = *buffers.iter().max().unwrap();
    assert!(
        largest_buffer < 256_000_000,
        "the buffer grew to {largest_buffer} bytes"
    );
    let peak_kib = samples.iter().map(|s| s.1).max().unwrap();
    assert!(peak_kib < 20_000, "the hook run peaked at {peak_kib} KiB");
}

#[test]
fn hooks_others_could_have_planted_are_skipped_and_the_rest_run() {
    if !have_root("hooks_others_could_have_planted_are_skipped_and_the_rest_run") {
        return;
    }
    let (m, hooks) = with_hooks(5);
    let ran = m.dir.path().join("ran");
    let hook = |name: &str| {
        let path = hooks.join(name);
        write_executable(
            &path,
            &format!("#!/bin/sh\necho {name} >>{}\n", ran.display()),
        );
        path
    };
    hook("10-ok");
    let writable = hook("20-writable");
    fs::set_permissions(&writable, fs::Permissions::from_mode(0o757)).unwrap();
    let foreign = hook("30-foreign");
    nix::unistd::chown(&foreign, Some(65534.into()), None).unwrap();
    hook("40-ok");
    let out = m.event("BOUND6", P100, "");
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("20-writable skipped: it is writable by everyone"),
        "{err}"
    );
    assert!(
        err.contains("30-foreign skipped: it is owned by uid 65534, not root"),
        "{err}"
    );
    assert_eq!(fs::read_to_string(&ran).unwrap(), "10-ok\n40-ok\n");

    // A directory anyone may write to could hold anything: nothing in it runs.
    fs::set_permissions(&hooks, fs::Permissions::from_mode(0o777)).unwrap();
    let out = m.event("BOUND6", "2001:db8:0:200::/60", P100);
    let err = stderr(&out);
    assert!(
        err.contains("10-ok skipped: its directory is writable by everyone"),
        "{err}"
    );
    assert_eq!(fs::read_to_string(&ran).unwrap(), "10-ok\n40-ok\n");
}

#[test]
fn hooks_get_only_stdin_stdout_and_stderr() {
    let (m, hooks) = with_hooks(5);
    let marker = m.dir.path().join("leaked-marker");
    fs::write(&marker, "").unwrap();
    // Left open across exec, as the DHCP client leaves its own descriptors to its hooks.
    let leaked = open(&marker, OFlag::O_RDONLY, Mode::empty()).unwrap();
    // The hook counts the descriptors leading to the marker, in the hook run and in itself.
    write_executable(
        &hooks.join("10-fds"),
        "#!/bin/sh\necho hook run: $(ls -l /proc/$PPID/fd | grep -c leaked-marker), \
         hook: $(ls -l /proc/$$/fd | grep -c leaked-marker)\nexit 1\n",
    );
    let out = m.event("BOUND6", P100, "");
    drop(leaked);
    // The hook run itself had it open (so the test shows something); the hook does not.
    let err = stderr(&out);
    assert!(
        err.contains("10-fds failed: exit status: 1: hook run: 1, hook: 0\n"),
        "{err}"
    );
}
