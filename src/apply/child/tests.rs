//! Tests of running a child with limits: endings, output, descriptors, the timeout.

use std::os::fd::AsRawFd;
use std::os::unix::process::ExitStatusExt;

use nix::fcntl::{FcntlArg, FdFlag, OFlag, fcntl, open};
use nix::sys::stat::Mode;

use super::*;

fn sh(script: &str) -> Command {
    let mut command = Command::new("sh");
    command.args(["-c", script]);
    command
}

/// Processes (not zombies) whose process group is `pgid`.
pub(crate) fn alive_in_group(pgid: i32) -> Vec<String> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("stat")).ok())
        .filter(|stat| {
            // pid (comm) state ppid pgrp ...: comm may hold spaces, so split after ')'.
            let fields: Vec<&str> = stat
                .rsplit_once(')')
                .unwrap()
                .1
                .split_whitespace()
                .collect();
            fields[0] != "Z" && fields[2] == pgid.to_string()
        })
        .collect()
}

/// Whether process `pid` exists and is not a zombie.
pub(crate) fn is_running(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        !stat
            .rsplit_once(')')
            .unwrap()
            .1
            .trim_start()
            .starts_with('Z')
    })
}

#[test]
fn success_and_failure_with_status_and_output() {
    let done = run(sh("echo fine"), Duration::from_secs(10)).unwrap();
    assert_eq!(done.ending, Ending::Succeeded);
    assert_eq!(done.output, "fine");
    let done = run(
        sh("echo 'job  failed:'; printf 'see\\tjournal\\033[0m\\n' >&2; exit 3"),
        Duration::from_secs(10),
    )
    .unwrap();
    assert_eq!(done.ending, Ending::Failed(ExitStatus::from_raw(3 << 8)));
    assert_eq!(done.output, "job failed: see journal\\u{1b}[0m");
}

#[test]
fn stdin_is_empty() {
    let done = run(sh("cat; echo end"), Duration::from_secs(10)).unwrap();
    assert_eq!(done.output, "end");
}

#[test]
fn a_missing_program_is_an_error() {
    assert!(run(Command::new("/nonexistent/program"), Duration::from_secs(1)).is_err());
}

#[test]
fn only_stdin_stdout_and_stderr_reach_the_child() {
    // Opened without O_CLOEXEC, as the DHCP client leaves its own descriptors to its hooks.
    let leaked = open("/dev/null", OFlag::O_RDONLY, Mode::empty()).unwrap();
    assert!(leaked.as_raw_fd() > 2);
    let done = run(sh("ls /proc/$$/fd"), Duration::from_secs(10)).unwrap();
    assert_eq!(done.output, "0 1 2");
}

#[test]
fn without_close_range_the_listed_descriptors_are_marked_one_by_one() {
    let fd = open("/dev/null", OFlag::O_RDONLY, Mode::empty()).unwrap();
    let flags = || FdFlag::from_bits_truncate(fcntl(&fd, FcntlArg::F_GETFD).unwrap());
    assert!(!flags().contains(FdFlag::FD_CLOEXEC));
    mark_close_on_exec(&[fd.as_raw_fd()]);
    assert!(flags().contains(FdFlag::FD_CLOEXEC));
}

#[test]
fn at_the_timeout_the_whole_group_is_killed() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pid");
    let script = format!(
        "echo $$ >{}; (trap '' HUP TERM; sleep 600) & echo started; sleep 600",
        pid_file.display()
    );
    let start = Instant::now();
    let done = run(sh(&script), Duration::from_millis(500)).unwrap();
    assert_eq!(done.ending, Ending::TimedOut);
    assert_eq!(done.output, "started");
    assert!(start.elapsed() < Duration::from_secs(10));
    let pgid: i32 = std::fs::read_to_string(pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // The grandchild is SIGKILLed with the group; give its new parent a moment to reap it.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !alive_in_group(pgid).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(alive_in_group(pgid), Vec::<String>::new());
}

#[test]
fn a_flood_of_output_keeps_the_buffer_small() {
    let dir = tempfile::tempdir().unwrap();
    let sizes = dir.path().join("sizes");
    // The script measures the memory its own stdout (the buffer) holds, its allocated
    // blocks, while `yes` fills it.
    let script = format!(
        "yes & while :; do size=$(( $(stat -L -c '%b*%B' /proc/$$/fd/1) )); echo $size >>{}; sleep 0.05; done",
        sizes.display()
    );
    let done = run(sh(&script), Duration::from_secs(2)).unwrap();
    assert_eq!(done.ending, Ending::TimedOut);
    let sizes: Vec<u64> = std::fs::read_to_string(&sizes)
        .unwrap()
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    assert!(sizes.len() > 5, "{sizes:?}");
    // A buffer never trimmed grows by hundreds of MB a second here. A trimmed one holds a few
    // MB at most between two polls, unless the machine stalls the polling thread for a while
    // (a busy VM's host can, whatever its priority): so most samples must be small, and none
    // anywhere near unbounded.
    let small = sizes.iter().filter(|&&s| s < 20_000_000).count();
    assert!(small * 4 >= sizes.len() * 3, "the buffer grew: {sizes:?}");
    let largest = *sizes.iter().max().unwrap();
    assert!(largest < 256_000_000, "the buffer grew to {largest} bytes");
    assert!(done.output.starts_with("y y y"), "{}", done.output);
    assert!(done.output.chars().count() <= 310, "{}", done.output);
}

#[test]
fn long_output_keeps_its_start_and_end() {
    let done = run(
        sh("echo first; seq 1 100000; echo last"),
        Duration::from_secs(10),
    )
    .unwrap();
    assert!(done.output.starts_with("first 1 2 3"), "{}", done.output);
    assert!(
        done.output.ends_with("99999 100000 last"),
        "{}",
        done.output
    );
    assert!(done.output.contains(" … "), "{}", done.output);
    assert!(done.output.chars().count() <= 310, "{}", done.output);
}

#[test]
fn shown_folds_escapes_and_cuts_the_middle() {
    assert_eq!(output::shown(b"  a\n\tb\r\n", b"", false), "a b");
    assert_eq!(output::shown(b"bell\x07", b"", false), "bell\\u{7}");
    assert_eq!(output::shown(b"start", b"end", true), "start … end");
    let long = "x".repeat(1000);
    let cut = output::shown(long.as_bytes(), b"", false);
    assert_eq!(cut, format!("{} … {}", "x".repeat(100), "x".repeat(200)));
}
