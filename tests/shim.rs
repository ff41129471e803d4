//! The dhclient shim, sourced by dhclient-script: it runs the binary, and whatever the binary
//! does (or if it is missing) the sourcing shell carries on with its variables untouched.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::*;

const SHIM: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/hooks/docker-ipv6");
/// The dhcpcd shim: sourced by dhcpcd-run-hooks, so under the same rules.
const DHCPCD_SHIM: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/hooks/dhcpcd-hook");

/// The shim as install.sh installs it, calling `binary`.
fn installed_shim(dir: &Path, binary: &Path) -> PathBuf {
    let text = fs::read_to_string(SHIM).unwrap();
    assert!(text.contains("/usr/local/sbin/docker-ipv6-pd"));
    let path = dir.join("docker-ipv6");
    fs::write(
        &path,
        text.replace("/usr/local/sbin/docker-ipv6-pd", &binary.to_string_lossy()),
    )
    .unwrap();
    path
}

/// Sources `shim` from dash the way dhclient-script does, between two snapshots of the
/// shell's variables; returns (shim status, variables unchanged, shell carried on, stderr).
fn source_from_dash(m: &Machine, shim: &Path) -> (i32, bool, bool, String) {
    let snapshots = m.dir.path();
    let script = format!(
        r#"reason=BOUND6; new_ip6_prefix=2001:db8:0:100::/60; old_ip6_prefix=
export reason new_ip6_prefix old_ip6_prefix
keep=me; bin=unchanged; status=unchanged
set >{before}
. {shim}
shim_status=$?
set >{after}
echo "status $shim_status"
echo carried-on"#,
        before = snapshots.join("before").display(),
        after = snapshots.join("after").display(),
        shim = shim.display(),
    );
    let out = m
        .command_for("dash")
        .args(["-c", &script])
        .output()
        .unwrap();
    let text = stdout(&out);
    let status = text
        .lines()
        .find_map(|l| l.strip_prefix("status "))
        .and_then(|s| s.parse().ok())
        .unwrap_or(-1);
    let before = fs::read_to_string(snapshots.join("before")).unwrap();
    let after = fs::read_to_string(snapshots.join("after")).unwrap();
    let strip = |s: &str| {
        s.lines()
            .filter(|l| !l.starts_with("shim_status=") && !l.starts_with("_="))
            .collect::<Vec<_>>()
            .join("\n")
    };
    (
        status,
        strip(&before) == strip(&after),
        text.contains("carried-on"),
        stderr(&out),
    )
}

/// Whether a shell line assigns a variable (`NAME=...`, `export NAME`, `read`, `local`).
fn assigns(line: &str) -> bool {
    let words: Vec<&str> = line.split_whitespace().collect();
    let sets_name = words
        .first()
        .and_then(|w| w.split_once('='))
        .is_some_and(|(name, _)| {
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
    sets_name
        || ["export", "read", "local", "unset"]
            .iter()
            .any(|w| words.contains(w))
}

#[test]
fn shims_are_posix_sh_with_no_exit_exec_or_assignment() {
    assert!(assigns("x=1") && assigns("  export PATH") && !assigns("  /bin/x --a=b"));
    for path in [SHIM, DHCPCD_SHIM] {
        let text = fs::read_to_string(path).unwrap();
        for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
            let words: Vec<&str> = line.split_whitespace().collect();
            assert!(
                !words.contains(&"exit") && !words.contains(&"exec"),
                "{path}: {line}"
            );
            assert!(!assigns(line), "{path}: assignment: {line}");
        }
        if have_tool("shim syntax", "dash") {
            let out = Command::new("dash").args(["-n", path]).output().unwrap();
            assert!(out.status.success(), "{path}: {}", stderr(&out));
        }
    }
}

#[test]
fn with_the_binary_present_the_file_is_written_and_the_shell_carries_on() {
    if !have_tool("shim", "dash") {
        return;
    }
    let m = Machine::new();
    let shim = installed_shim(m.dir.path(), Path::new(BIN));
    let (status, unchanged, carried_on, err) = source_from_dash(&m, &shim);
    assert_eq!(status, 0, "{err}");
    assert!(unchanged, "the shim changed the shell's variables");
    assert!(carried_on);
    assert_eq!(m.file().as_deref(), Some(LINE_100));
    assert_eq!(m.restarts().len(), 1);
}

#[test]
fn with_the_binary_missing_the_shell_carries_on() {
    if !have_tool("shim", "dash") {
        return;
    }
    let m = Machine::new();
    // A logger that records what the shim asks it to send to syslog.
    let logged = m.dir.path().join("logger.log");
    write_executable(
        &m.fake_bin.join("logger"),
        &format!("#!/bin/sh\necho \"$*\" >>{}\n", logged.display()),
    );
    let missing = m.dir.path().join("no-such-binary");
    let shim = installed_shim(m.dir.path(), &missing);
    let (status, unchanged, carried_on, _) = source_from_dash(&m, &shim);
    assert_eq!(status, 0);
    assert!(unchanged);
    assert!(carried_on);
    assert_eq!(m.file(), None);
    assert_eq!(
        fs::read_to_string(&logged).unwrap(),
        format!(
            "-t docker-ipv6-pd -p daemon.warning {} is missing: docker's IPv6 prefix not updated\n",
            missing.display()
        )
    );
}

#[test]
fn with_the_binary_failing_the_shell_carries_on_and_sees_the_status() {
    if !have_tool("shim", "dash") {
        return;
    }
    let m = Machine::new();
    let failing = m.dir.path().join("failing");
    write_executable(&failing, "#!/bin/sh\necho broken >&2\nexit 7\n");
    let shim = installed_shim(m.dir.path(), &failing);
    let (status, unchanged, carried_on, err) = source_from_dash(&m, &shim);
    assert_eq!(status, 7);
    assert!(unchanged);
    assert!(carried_on);
    assert!(err.contains("broken"));
}

#[test]
fn with_a_refused_prefix_the_shell_carries_on() {
    if !have_tool("shim", "dash") {
        return;
    }
    let m = Machine::new();
    m.set_file(LINE_200.as_bytes());
    let shim = installed_shim(m.dir.path(), Path::new(BIN));
    let out = m
        .command_for("dash")
        .args([
            "-c",
            &format!(
                "new_ip6_prefix='2001:db8::/96'; export new_ip6_prefix; . {}; echo \"status $?\"",
                shim.display()
            ),
        ])
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "status 3\n");
    assert_eq!(m.file().as_deref(), Some(LINE_200));
}

/// Debian's real dhclient-script, with the dhclient shim alone in its enter-hooks directory and
/// a marker in its exit-hooks directory: the script must reach the marker whether the binary
/// works, fails or is missing.
#[test]
fn debians_dhclient_script_completes_around_the_shim() {
    if !have_root("dhclient-script") || !have_tool("dhclient-script", "dhclient-script") {
        return;
    }
    for case in ["present", "failing", "missing"] {
        let m = Machine::new();
        let enter = m.dir.path().join("enter.d");
        let exit = m.dir.path().join("exit.d");
        fs::create_dir_all(&enter).unwrap();
        fs::create_dir_all(&exit).unwrap();
        let binary = binary_for(&m, case);
        let shim = installed_shim(&enter, &binary);
        assert!(shim.exists());
        let marker = m.dir.path().join("exit-marker-ran");
        fs::write(exit.join("marker"), format!("touch {}\n", marker.display())).unwrap();
        let script = format!(
            "mount --bind {enter} /etc/dhcp/dhclient-enter-hooks.d\n\
             mount --bind {exit} /etc/dhcp/dhclient-exit-hooks.d\n\
             env -i {env} reason=BOUND6 interface=lo \
             new_ip6_prefix=2001:db8:0:100::/60 new_max_life=3600 new_preferred_life=1800 \
             /sbin/dhclient-script",
            enter = enter.display(),
            exit = exit.display(),
            env = m.shell_env(),
        );
        let out = in_mount_namespace(&script);
        assert!(
            marker.exists(),
            "{case}: dhclient-script stopped early: {}",
            stderr(&out)
        );
        assert!(out.status.success(), "{case}: {}", stderr(&out));
        let written = m.file();
        match case {
            "present" => assert_eq!(written.as_deref(), Some(LINE_100)),
            _ => assert_eq!(written, None),
        }
    }
}
