//! `watch`, networkd's reader, against a fake `networkctl` printing real captures of networkd
//! 252, 257 and 262, their lifetimes moved onto this machine's boot-time clock: a first
//! lease, a renewal, a renumbering, a loss, two links with a prefix, and the running loop.

use std::fs;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::loss;
use crate::util::*;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/networkd");
const LINE_262: &str = "2001:0db8:03fe:4f00:0000:0000:0000:0000/80\n";
const LINE_257: &str = "2001:0db8:03fe:6c00:0000:0000:0000:0000/80\n";
const LINE_252: &str = "2001:0db8:01ff:0000:0000:0000:0000:0000/80\n";
const LINE_252_RENUMBERED: &str = "2001:0db8:03ff:0000:0000:0000:0000:0000/80\n";

/// A capture, and a moment of its boot-time clock (seconds) when its lease was live.
#[derive(Clone, Copy)]
struct Capture(&'static str, f64);
const V252: Capture = Capture("networkctl-252-all.json", 3700.0);
const V252_RENUMBERED: Capture = Capture("networkctl-252-all-after-renumber.json", 3970.0);
const V257: Capture = Capture("networkctl-257-all.json", 4090.0);
const V262: Capture = Capture("networkctl-262-all.json", 4140.0);

fn boottime_usec() -> i128 {
    let t = nix::time::clock_gettime(nix::time::ClockId::CLOCK_BOOTTIME).unwrap();
    t.tv_sec() as i128 * 1_000_000 + t.tv_nsec() as i128 / 1000
}

/// Adds `by` to every lifetime (`...USec`, `...Usec`) in `value`, forever excepted.
fn shift(value: &mut Value, by: i128) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if (key.ends_with("USec") || key.ends_with("Usec"))
                    && let Some(n) = v.as_u64()
                    && n != u64::MAX
                {
                    *v = Value::from(u64::try_from(n as i128 + by).unwrap_or(0));
                } else {
                    shift(v, by);
                }
            }
        }
        Value::Array(list) => list.iter_mut().for_each(|v| shift(v, by)),
        _ => {}
    }
}

/// The capture as networkctl would print it now, `later` seconds into its lease.
fn capture_now(capture: Capture, later: f64) -> Value {
    let text = fs::read(format!("{FIXTURES}/{}", capture.0)).unwrap();
    let mut json: Value = serde_json::from_slice(&text).unwrap();
    let at = ((capture.1 + later) * 1e6) as i128;
    shift(&mut json, boottime_usec() - at);
    json
}

/// A machine whose `networkctl` prints what [`show`] last put there.
fn machine_with(m: Machine) -> Machine {
    let json = m.dir.path().join("networkctl.json");
    write_executable(
        &m.fake_bin.join("networkctl"),
        &format!(
            "#!/bin/sh\n[ \"$*\" = --json=short ] || exit 64\ncat '{}'\n",
            json.display()
        ),
    );
    m
}

fn show(m: &Machine, json: &Value) {
    let path = m.dir.path().join("networkctl.json");
    fs::write(path.with_extension("new"), json.to_string()).unwrap();
    fs::rename(path.with_extension("new"), path).unwrap();
}

fn watch_once(m: &Machine, extra: &[&str]) -> Output {
    m.command()
        .args(["watch", "--once"])
        .args(extra)
        .output()
        .unwrap()
}

fn lease_record(m: &Machine) -> String {
    fs::read_to_string(m.dir.path().join("var/lib/docker-ipv6-pd/networkd-lease"))
        .unwrap_or_default()
}

#[test]
fn a_first_lease_writes_the_subnet_and_restarts_docker_once() {
    let m = machine_with(Machine::new());
    show(&m, &capture_now(V262, 0.0));
    let out = ok(watch_once(&m, &[]));
    assert_eq!(m.file().as_deref(), Some(LINE_262));
    assert_eq!(m.restarts().len(), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("BOUND6"), "{}", stderr(&out));
    assert!(lease_record(&m).ends_with(" wan0 2001:db8:3fe:4f00::/56\n"));
}

#[test]
fn a_subnet_id_takes_the_subnet_from_that_64_of_networkds_prefix() {
    let m = machine_with(Machine::new());
    show(&m, &capture_now(V262, 0.0));
    ok(watch_once(&m, &["--subnet-id", "255"]));
    let line = "2001:0db8:03fe:4fff:0000:0000:0000:0000/80\n";
    assert_eq!(m.file().as_deref(), Some(line));
}

#[test]
fn a_renewal_changes_nothing_and_says_so_once() {
    let m = machine_with(Machine::new());
    show(&m, &capture_now(V257, 0.0));
    ok(watch_once(&m, &[]));
    // Twenty seconds on, the lifetimes moved: the same prefix renewed.
    show(&m, &capture_now(V257, -20.0));
    let out = ok(watch_once(&m, &[]));
    assert_eq!(m.file().as_deref(), Some(LINE_257));
    assert_eq!(m.restarts().len(), 1);
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 2, "{err}");
    assert!(
        err.contains("RENEW6") && err.contains("already configured"),
        "{err}"
    );
}

#[test]
fn a_renumbering_on_252_moves_docker_once() {
    let m = machine_with(Machine::new());
    show(&m, &capture_now(V252, 0.0));
    ok(watch_once(&m, &[]));
    assert_eq!(m.file().as_deref(), Some(LINE_252));
    show(&m, &capture_now(V252_RENUMBERED, 0.0));
    let out = ok(watch_once(&m, &[]));
    assert_eq!(m.file().as_deref(), Some(LINE_252_RENUMBERED));
    assert_eq!(m.restarts().len(), 2, "{}", stderr(&out));
}

#[test]
fn a_lost_prefix_follows_the_loss_policy() {
    let m = machine_with(loss::machine("withdraw"));
    show(&m, &capture_now(V262, 0.0));
    ok(watch_once(&m, &[]));
    // Past the valid lifetime: networkd may still list it, but it is gone.
    show(&m, &capture_now(V262, 121.0));
    let out = ok(watch_once(&m, &[]));
    assert!(
        !m.file().unwrap_or_default().contains("2001"),
        "{:?}",
        m.file()
    );
    assert_eq!(m.restarts().len(), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("EXPIRE6"), "{}", stderr(&out));
    assert_eq!(loss::post_changes(&m).len(), 2);
    // Nothing more to lose.
    ok(watch_once(&m, &[]));
    assert_eq!(m.restarts().len(), 2);
}

#[test]
fn a_prefix_gone_after_a_reboot_is_not_yet_a_loss() {
    let m = machine_with(loss::machine("withdraw"));
    m.put(
        "var/lib/docker-ipv6-pd/networkd-lease",
        b"another-boot wan0 2001:db8:3fe:4f00::/56\n",
    );
    m.set_file(LINE_262.as_bytes());
    show(&m, &capture_now(V262, 121.0));
    ok(watch_once(&m, &[]));
    assert_eq!(m.file().as_deref(), Some(LINE_262));
    assert!(m.restarts().is_empty());
}

/// The 262 capture with a second link, wan1, leased 2001:db8:77::/56.
fn two_uplinks() -> Value {
    let mut json = capture_now(V262, 0.0);
    let interfaces = json["Interfaces"].as_array_mut().unwrap();
    let mut wan1 = interfaces
        .iter()
        .find(|i| i["Name"] == "wan0")
        .unwrap()
        .clone();
    wan1["Name"] = Value::from("wan1");
    wan1["DHCPv6Client"]["Prefixes"][0]["PrefixString"] = Value::from("2001:db8:77::");
    interfaces.push(wan1);
    json
}

#[test]
fn two_links_with_a_prefix_need_uplink() {
    let m = machine_with(Machine::new());
    show(&m, &two_uplinks());
    assert_fails(&watch_once(&m, &[]), 2, "--uplink");
    assert_eq!(m.file(), None);
    let mut running = m
        .command()
        .arg("watch")
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let status = wait_exit(&mut running, Duration::from_secs(10));
    assert_eq!(status, Some(2), "the loop must refuse at start too");
    ok(watch_once(&m, &["--uplink", "wan1"]));
    assert_eq!(
        m.file().as_deref(),
        Some("2001:0db8:0077:0000:0000:0000:0000:0000/80\n")
    );
}

#[test]
fn dry_run_prints_the_plan_and_changes_nothing() {
    let m = machine_with(Machine::new());
    show(&m, &capture_now(V262, 0.0));
    let out = ok(m
        .command()
        .args(["--dry-run", "watch", "--once"])
        .output()
        .unwrap());
    assert!(
        stdout(&out).contains("would restart docker"),
        "{}",
        stdout(&out)
    );
    assert_eq!(m.file(), None);
    assert_eq!(lease_record(&m), "");
}

#[test]
fn a_failing_networkctl_is_an_error_naming_it() {
    let m = machine_with(Machine::new());
    write_executable(
        &m.fake_bin.join("networkctl"),
        "#!/bin/sh\necho 'Failed to connect to bus' >&2\nexit 1\n",
    );
    assert_fails(&watch_once(&m, &[]), 1, "Failed to connect to bus");
}

#[test]
fn the_hook_run_with_client_networkd_points_to_watch() {
    let m = Machine::new();
    let out = m.command().args(["--client", "networkd"]).output().unwrap();
    assert_fails(&out, 2, "docker-ipv6-pd watch");
}

fn wait_exit(child: &mut Child, limit: Duration) -> Option<i32> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    None
}

fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_loop_follows_changes_and_ends_cleanly_on_sigterm() {
    let m = machine_with(Machine::new());
    show(&m, &capture_now(V262, 0.0));
    let mut watch = m
        .command()
        .args(["watch", "--interval", "1"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("the first lease", Duration::from_secs(10), || {
        m.file().as_deref() == Some(LINE_262)
    });
    // A reading that fails is logged, and the watch carries on.
    show(&m, &Value::String("not networkd".into()));
    std::thread::sleep(Duration::from_millis(1500));
    show(&m, &capture_now(V257, 0.0));
    wait_for("the renumbering", Duration::from_secs(10), || {
        m.file().as_deref() == Some(LINE_257)
    });
    let pid = nix::unistd::Pid::from_raw(watch.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    let status = wait_exit(&mut watch, Duration::from_secs(5));
    let mut err = String::new();
    std::io::Read::read_to_string(&mut watch.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(status, Some(0), "{err}");
    assert!(err.contains("Interfaces"), "the bad read is logged: {err}");
    assert!(err.contains("watch stopped"), "{err}");
    assert_eq!(m.restarts().len(), 2, "{err}");
}

#[test]
fn watch_takes_its_settings_after_its_name_and_reads_networkd_only() {
    let m = machine_with(Machine::new());
    show(&m, &capture_now(V262, 0.0));
    ok(watch_once(
        &m,
        &["--client", "networkd", "--subnet-size", "64"],
    ));
    assert_eq!(
        m.file().as_deref(),
        Some("2001:0db8:03fe:4f00:0000:0000:0000:0000/64\n")
    );
    assert_fails(&watch_once(&m, &["--client", "dhcpcd"]), 2, "networkd only");
}
