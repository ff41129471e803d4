//! `doctor` and `status` on a machine where a file they read is a FIFO, or where
//! DOCKER_OPTS nests 40,000 command substitutions: each returns promptly, in bounded
//! memory, and names the file or says it cannot tell, instead of hanging or crashing.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::doctor::healthy;
use crate::util::*;

/// How a bounded run of the binary ended.
struct Finished {
    code: i32,
    stdout: String,
    /// The child's peak resident set size, in KiB.
    peak_rss_kib: i64,
}

/// Runs the binary with `--root` and `args`; fails the test if it runs 10 s or longer.
#[expect(
    clippy::zombie_processes,
    reason = "the child is reaped by wait4, which also gives its peak RSS"
)]
fn run_bounded(root: &Path, args: &[&str]) -> Finished {
    let mut child = Command::new(BIN)
        .env_clear()
        .arg("--root")
        .arg(root)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = i32::try_from(child.id()).unwrap();
    // Read while it runs: a report larger than the pipe must not stall the child.
    let mut out = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut stdout = String::new();
        out.read_to_string(&mut stdout).unwrap();
        stdout
    });
    let started = Instant::now();
    let mut status = 0;
    // SAFETY: zeroed rusage is a valid value; wait4 only writes into the two out-pointers.
    let mut usage: nix::libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: pid is our own child, not yet reaped; both pointers are valid.
        let reaped = unsafe { nix::libc::wait4(pid, &mut status, nix::libc::WNOHANG, &mut usage) };
        if reaped == pid {
            break;
        }
        // A hang is forever; a slow run on a loaded machine is seconds.
        if started.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("docker-ipv6-pd {args:?} still ran after 30 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let stdout = reader.join().unwrap();
    Finished {
        code: nix::libc::WEXITSTATUS(status),
        stdout,
        peak_rss_kib: usage.ru_maxrss,
    }
}

fn fifo(m: &Machine, relative: &str) {
    let path = m.dir.path().join(relative);
    let _ = std::fs::remove_file(&path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    nix::unistd::mkfifo(&path, nix::sys::stat::Mode::S_IRWXU).unwrap();
}

/// With `relative` a FIFO, doctor reports a problem naming it and status a warning.
fn fifo_is_named(relative: &str, config: Option<&str>) {
    let m = healthy();
    if let Some(config) = config {
        m.put("etc/docker-ipv6-pd/docker-ipv6-pd.conf", config.as_bytes());
    }
    fifo(&m, relative);
    let message = format!("/{relative} is not a regular file (a FIFO)");
    let doctor = run_bounded(m.dir.path(), &["doctor"]);
    assert_eq!(doctor.code, 5, "{}", doctor.stdout);
    assert!(
        doctor
            .stdout
            .lines()
            .any(|l| l.starts_with("problem") && l.contains(&message)),
        "no problem {message:?} in:\n{}",
        doctor.stdout
    );
    let status = run_bounded(m.dir.path(), &["status"]);
    assert_eq!(status.code, 0, "{}", status.stdout);
    assert!(
        status.stdout.contains(&format!("warning:    {message}")),
        "{}",
        status.stdout
    );
    let json = run_bounded(m.dir.path(), &["status", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(json["warnings"], serde_json::json!([message]));
}

#[test]
fn a_fifo_as_lease_file() {
    fifo_is_named("var/lib/dhcp/dhclient6.leases", None);
}

#[test]
fn a_fifo_as_daemon_json() {
    fifo_is_named("etc/docker/daemon.json", Some("target = both\n"));
}

#[test]
fn a_fifo_as_etc_default_docker() {
    fifo_is_named("etc/default/docker", None);
}

#[test]
fn docker_opts_nested_40000_deep_cannot_be_told() {
    let m = healthy();
    let deep = format!(
        "DOCKER_OPTS=\"{}--ipv6{}\"\n",
        "$(".repeat(40_000),
        ")".repeat(40_000)
    );
    m.put("etc/default/docker", deep.as_bytes());
    let doctor = run_bounded(m.dir.path(), &["doctor"]);
    assert!(
        doctor.stdout.contains(
            "warning  cannot tell which flags /etc/default/docker (DOCKER_OPTS) gives dockerd: \
             its command substitutions nest 40000 levels deep (at most 16 are read)"
        ),
        "{}",
        doctor.stdout
    );
    // The running dockerd still shows its flags; nothing was guessed for DOCKER_OPTS.
    assert!(
        !doctor.stdout.contains("from /etc/default/docker"),
        "{}",
        doctor.stdout
    );
    assert!(
        doctor.peak_rss_kib < 64 * 1024,
        "peak RSS {} KiB",
        doctor.peak_rss_kib
    );
    let status = run_bounded(m.dir.path(), &["status"]);
    assert!(
        status
            .stdout
            .contains("warning:    cannot tell which flags /etc/default/docker"),
        "{}",
        status.stdout
    );
}
