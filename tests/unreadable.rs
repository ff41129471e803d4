//! `doctor` and `status` on a machine where a file they read is a FIFO, or where
//! DOCKER_OPTS nests 40,000 command substitutions: each returns promptly, in bounded
//! memory, and names the file or says it cannot tell, instead of hanging or crashing.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::doctor::healthy;
use crate::util::*;

/// How a bounded run of the binary ended.
struct Finished {
    code: i32,
    stdout: String,
    /// The child's peak resident set size, in KiB.
    peak_rss_kib: i64,
}

/// Runs the binary with `--root` and `args` under GNU time (which measures the binary from
/// its own small fork, not from this large test process) and `timeout`: a run that still
/// goes after 30 s has hung, and fails the test.
fn run_bounded(root: &Path, args: &[&str]) -> Finished {
    assert!(have_tool("run_bounded", "/usr/bin/time"));
    let out = Command::new("timeout")
        .env_clear()
        .args(["30", "/usr/bin/time", "-f", "%M"])
        .arg(BIN)
        .arg("--root")
        .arg(root)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_ne!(
        out.status.code(),
        Some(124),
        "docker-ipv6-pd {args:?} still ran after 30 s"
    );
    let err = stderr(&out);
    let peak = err.lines().last().and_then(|l| l.trim().parse().ok());
    Finished {
        code: out.status.code().unwrap_or(-1),
        stdout: stdout(&out),
        peak_rss_kib: peak.unwrap_or_else(|| panic!("no peak RSS from GNU time in: {err}")),
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
