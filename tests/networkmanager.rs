//! NetworkManager: the dispatcher script, executed with its arguments and environment as
//! NetworkManager's dispatcher does, and the binary's `--client networkmanager` run.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::loss;
use crate::util::*;

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/hooks/networkmanager-dispatcher"
);
const LINE_1: &str = "2001:0db8:0001:0000:0000:0000:0000:0000/80\n";

/// The dispatcher script as install.sh installs it, calling `binary`.
fn installed_script(dir: &Path, binary: &Path) -> PathBuf {
    let text = fs::read_to_string(SCRIPT).unwrap();
    assert!(text.contains("/usr/local/sbin/docker-ipv6-pd"));
    let path = dir.join("90-docker-ipv6-pd");
    write_executable(
        &path,
        &text.replace("/usr/local/sbin/docker-ipv6-pd", &binary.to_string_lossy()),
    );
    path
}

/// Executes `script` as the dispatcher does: `script IFACE ACTION`, prefixes in the environment.
fn dispatch(m: &Machine, script: &Path, action: &str, prefixes: &str) -> Output {
    m.command_for(&script.to_string_lossy())
        .args(["wan0", action])
        .env("DHCP6_IP6_PREFIX", prefixes)
        .output()
        .unwrap()
}

#[test]
fn the_script_passes_interface_action_and_prefixes_to_the_binary() {
    let m = Machine::new();
    let calls = m.dir.path().join("calls");
    let fake = m.dir.path().join("fake-binary");
    write_executable(
        &fake,
        &format!(
            "#!/bin/sh\necho \"$* | $DISPATCHER_INTERFACE $DISPATCHER_ACTION $DHCP6_IP6_PREFIX\" >>{}\n[ \"$DISPATCHER_ACTION\" != dhcp6-change ] || exit 3\n",
            calls.display()
        ),
    );
    let script = installed_script(m.dir.path(), &fake);
    for action in ["pre-up", "dhcp4-change", "connectivity-change", "pre-down"] {
        ok(dispatch(&m, &script, action, "2001:db8:1::/56"));
    }
    assert!(!calls.exists(), "called for actions that carry no prefix");
    let out = dispatch(
        &m,
        &script,
        "dhcp6-change",
        "2001:db8:1::/56 2001:db8:2::/56",
    );
    assert_eq!(
        out.status.code(),
        Some(3),
        "the binary's status is the script's"
    );
    ok(dispatch(&m, &script, "up", ""));
    let log = fs::read_to_string(&calls).unwrap();
    assert_eq!(
        log,
        "--client networkmanager | wan0 dhcp6-change 2001:db8:1::/56 2001:db8:2::/56\n\
         --client networkmanager | wan0 up \n"
    );
}

#[test]
fn the_script_gives_the_binary_a_path_with_sbin_as_the_dispatcher_passes_none() {
    let m = Machine::new();
    let seen = m.dir.path().join("path");
    let fake = m.dir.path().join("fake-binary");
    write_executable(
        &fake,
        // What the binary was given, not what the shell reading this defaults to.
        &format!(
            "#!/bin/sh\ntr '\\0' '\\n' </proc/$$/environ | sed -n 's/^PATH=//p' >{}\n",
            seen.display()
        ),
    );
    let script = installed_script(m.dir.path(), &fake);
    let out = m
        .command_for(&script.to_string_lossy())
        .env_remove("PATH")
        .args(["wan0", "up"])
        .env("DHCP6_IP6_PREFIX", "2001:db8:1::/56")
        .output()
        .unwrap();
    ok(out);
    let path = fs::read_to_string(&seen).unwrap();
    let dirs: Vec<&str> = path.trim_end().split(':').collect();
    for dir in ["/usr/sbin", "/sbin", "/usr/bin"] {
        assert!(dirs.contains(&dir), "{dir} not in {path:?}");
    }
    // A PATH the caller set is kept.
    ok(dispatch(&m, &script, "up", "2001:db8:1::/56"));
    let path = fs::read_to_string(&seen).unwrap();
    assert!(path.starts_with(&*m.fake_bin.to_string_lossy()), "{path:?}");
}

#[test]
fn a_missing_binary_is_logged_and_not_an_error() {
    let m = Machine::new();
    let script = installed_script(m.dir.path(), &m.dir.path().join("absent"));
    ok(dispatch(&m, &script, "up", "2001:db8:1::/56"));
}

#[test]
fn up_applies_a_renewal_changes_nothing_and_down_follows_the_loss_policy() {
    let m = loss::machine("withdraw");
    let script = installed_script(m.dir.path(), Path::new(BIN));
    ok(dispatch(&m, &script, "up", "2001:db8:1::/56"));
    assert_eq!(m.file().as_deref(), Some(LINE_1));
    assert_eq!(m.restarts().len(), 1);
    let out = ok(dispatch(&m, &script, "dhcp6-change", "2001:db8:1::/56"));
    assert!(stderr(&out).contains("RENEW6"), "{}", stderr(&out));
    assert_eq!(m.restarts().len(), 1);
    // Another link going down takes nothing away.
    let out = m
        .command_for(&script.to_string_lossy())
        .args(["wlan0", "down"])
        .output()
        .unwrap();
    ok(out);
    assert_eq!(m.restarts().len(), 1);
    let out = ok(dispatch(&m, &script, "down", ""));
    assert!(stderr(&out).contains("STOP6"), "{}", stderr(&out));
    assert!(
        !m.file().unwrap_or_default().contains("2001"),
        "{:?}",
        m.file()
    );
    assert_eq!(m.restarts().len(), 2);
    // Down again: nothing left to lose.
    ok(dispatch(&m, &script, "down", ""));
    assert_eq!(m.restarts().len(), 2);
}

#[test]
fn a_new_prefix_on_the_uplink_moves_docker() {
    let m = Machine::new();
    let run = |action: &str, prefixes: &str| {
        ok(m.hook_run(&[
            ("DOCKER_IPV6_PD_CLIENT", "networkmanager"),
            ("DISPATCHER_INTERFACE", "wan0"),
            ("DISPATCHER_ACTION", action),
            ("DHCP6_IP6_PREFIX", prefixes),
        ]))
    };
    run("up", "2001:db8:1::/56");
    run("dhcp6-change", "2001:db8:2::/56");
    assert_eq!(
        m.file().as_deref(),
        Some("2001:0db8:0002:0000:0000:0000:0000:0000/80\n")
    );
    assert_eq!(m.restarts().len(), 2);
}

#[test]
fn a_bad_prefix_is_refused_by_its_variable() {
    let m = Machine::new();
    let out = m.hook_run(&[
        ("DOCKER_IPV6_PD_CLIENT", "networkmanager"),
        ("DISPATCHER_INTERFACE", "wan0"),
        ("DISPATCHER_ACTION", "up"),
        ("DHCP6_IP6_PREFIX", "2001:db8:1::/96"),
    ]);
    assert_fails(&out, 3, "DHCP6_IP6_PREFIX");
    assert_eq!(m.file(), None);
}

#[test]
fn under_nptv6_a_prefix_too_long_to_map_says_so() {
    let m = Machine::new();
    let config = format!(
        "target = nptv6\ndaemon-json = {}\n",
        m.daemon_json().display()
    );
    fs::write(&m.config, config).unwrap();
    let out = m.hook_run(&[
        ("DOCKER_IPV6_PD_CLIENT", "networkmanager"),
        ("DISPATCHER_INTERFACE", "wan0"),
        ("DISPATCHER_ACTION", "up"),
        ("DHCP6_IP6_PREFIX", "2001:db8:1::/72"),
    ]);
    assert_fails(&out, 3, "--target nptv6 needs a /64 or shorter");
}
