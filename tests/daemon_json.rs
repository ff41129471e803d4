//! `--target daemon-json` and `both`: docker's own configuration file gets `ipv6` and
//! `fixed-cidr-v6`, everything else in it survives, and a file we cannot trust is never
//! overwritten.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};

use crate::util::*;

const P100: &str = "2001:db8:0:100::/60";
const P200: &str = "2001:db8:0:200::/60";

fn hook_run_with_target(m: &Machine, target: &str, new: &str, old: &str) -> std::process::Output {
    m.command()
        .args(["--target", target])
        .env("DOCKER_IPV6_PD_DAEMON_JSON", m.daemon_json())
        .env("reason", "BOUND6")
        .env("new_ip6_prefix", new)
        .env("old_ip6_prefix", old)
        .output()
        .unwrap()
}

fn json(m: &Machine) -> String {
    fs::read_to_string(m.daemon_json()).unwrap()
}

#[test]
fn missing_file_is_created_with_mode_0644() {
    let m = Machine::new();
    let out = hook_run_with_target(&m, "daemon-json", P100, "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        json(&m),
        "{\n  \"ipv6\": true,\n  \"fixed-cidr-v6\": \"2001:db8:0:100::/80\"\n}\n"
    );
    assert_eq!(
        fs::metadata(m.daemon_json()).unwrap().mode() & 0o7777,
        0o644
    );
    assert_eq!(m.restarts().len(), 1);
    assert!(m.restarts()[0].starts_with("service docker restart"));
    assert_eq!(m.file(), None, "the prefix file is not a target");
}

#[test]
fn empty_file_is_filled() {
    let m = Machine::new();
    fs::write(m.daemon_json(), "").unwrap();
    ok(hook_run_with_target(&m, "daemon-json", P100, ""));
    assert_eq!(
        json(&m),
        "{\n  \"ipv6\": true,\n  \"fixed-cidr-v6\": \"2001:db8:0:100::/80\"\n}\n"
    );
}

#[test]
fn other_keys_their_values_order_and_the_mode_survive() {
    let m = Machine::new();
    let before = "{\n  \"log-driver\": \"journald\",\n  \"fixed-cidr-v6\": \"2001:db8:0:200::/80\",\n  \"registry-mirrors\": [\"https://mirror.invalid\"],\n  \"mtu\": 1500,\n  \"ipv6\": false\n}\n";
    fs::write(m.daemon_json(), before).unwrap();
    fs::set_permissions(m.daemon_json(), fs::Permissions::from_mode(0o600)).unwrap();
    assert!(
        hook_run_with_target(&m, "daemon-json", P100, P200)
            .status
            .success()
    );
    assert_eq!(
        json(&m),
        before
            .replace("2001:db8:0:200::/80", "2001:db8:0:100::/80")
            .replace("\"ipv6\": false", "\"ipv6\": true")
            .replace(
                "[\"https://mirror.invalid\"]",
                "[\n    \"https://mirror.invalid\"\n  ]"
            )
    );
    assert_eq!(
        fs::metadata(m.daemon_json()).unwrap().mode() & 0o7777,
        0o600
    );
}

#[test]
fn invalid_json_is_never_overwritten() {
    for bad in ["{\"ipv6\": true,", "[]", "not json", "{\"a\": 1} trailing"] {
        let m = Machine::new();
        fs::write(m.daemon_json(), bad).unwrap();
        let out = hook_run_with_target(&m, "daemon-json", P100, "");
        assert_eq!(out.status.code(), Some(1), "{bad}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("not valid daemon.json"),
            "{}",
            stderr(&out)
        );
        assert!(stderr(&out).contains("daemon.json"), "{}", stderr(&out));
        assert_eq!(json(&m), bad);
        assert!(m.restarts().is_empty());
    }
}

#[test]
fn invalid_json_stops_both_targets_before_either_is_written() {
    let m = Machine::new();
    fs::write(m.daemon_json(), "{").unwrap();
    let out = hook_run_with_target(&m, "both", P100, "");
    assert_fails(&out, 1, "daemon.json: not valid daemon.json, left as it is");
    assert_eq!(json(&m), "{");
    assert_eq!(m.file(), None);
    assert!(m.restarts().is_empty());
}

#[test]
fn a_dockerd_flag_for_the_same_setting_is_a_conflict() {
    let m = Machine::new();
    fs::write(m.daemon_json(), "{}").unwrap();
    m.put(
        "etc/default/docker",
        b"DOCKER_OPTS=\"--ipv6 --fixed-cidr-v6=$(cat /etc/docker/ipv6.prefix)\"\n",
    );
    let out = hook_run_with_target(&m, "daemon-json", P100, "");
    // A configuration problem: exit status 2.
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("dockerd gets --ipv6 and --fixed-cidr-v6 as a flag"),
        "{err}"
    );
    assert!(err.contains("/etc/default/docker (DOCKER_OPTS)"), "{err}");
    assert_eq!(json(&m), "{}");
    assert!(m.restarts().is_empty());

    // The same conflict seen in a running dockerd's command line.
    let m = Machine::new();
    m.put(
        "proc/4242/cmdline",
        b"/usr/bin/dockerd\0-H\0fd://\0--fixed-cidr-v6\0fd00::/80\0",
    );
    let out = hook_run_with_target(&m, "daemon-json", P100, "");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("running dockerd (pid 4242)"),
        "{}",
        stderr(&out)
    );
    assert!(!m.daemon_json().exists());
}

#[test]
fn flags_that_never_reach_the_restarted_dockerd_are_no_conflict() {
    // Docker CE's unit under systemd does not read DOCKER_OPTS; the only running dockerd
    // with the flag is a container's, in another mount namespace.
    let m = Machine::new();
    m.put("run/systemd/system/.keep", b"");
    m.put(
        "lib/systemd/system/docker.service",
        b"[Service]\nExecStart=/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock\n",
    );
    m.put("etc/default/docker", b"DOCKER_OPTS=\"--ipv6\"\n");
    m.put(
        "proc/4242/cmdline",
        b"/usr/bin/dockerd\0--fixed-cidr-v6\0fd00::/80\0",
    );
    for (pid, ns) in [("self", "mnt:[4026531841]"), ("4242", "mnt:[4026532999]")] {
        let dir = m.dir.path().join("proc").join(pid).join("ns");
        fs::create_dir_all(&dir).unwrap();
        std::os::unix::fs::symlink(ns, dir.join("mnt")).unwrap();
    }
    let out = hook_run_with_target(&m, "daemon-json", P100, "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(json(&m).contains("\"fixed-cidr-v6\": \"2001:db8:0:100::/80\""));
    assert_eq!(m.restarts().len(), 1, "{:?}", m.restarts());

    // Debian's docker.io unit reads it: the same file is a conflict again.
    m.put(
        "lib/systemd/system/docker.service",
        b"[Service]\nEnvironmentFile=-/etc/default/docker\nExecStart=/usr/sbin/dockerd -H fd:// $DOCKER_OPTS\n",
    );
    let out = hook_run_with_target(&m, "daemon-json", P200, P100);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "from /etc/default/docker (DOCKER_OPTS), which /lib/systemd/system/docker.service reads"
        ),
        "{}",
        stderr(&out)
    );
    assert!(json(&m).contains("2001:db8:0:100::/80"));
}

#[test]
fn read_only_daemon_json_gives_an_error_and_no_restart() {
    if !have_root("read_only_daemon_json") {
        return;
    }
    let m = Machine::new();
    let dir = m.daemon_json().parent().unwrap().to_path_buf();
    let status = m.dir.path().join("status");
    let script = format!(
        "mount -t tmpfs tmpfs {dir}\necho '{{\"debug\": true}}' >{dir}/daemon.json\n\
         mount -o remount,ro {dir}\nset +e\n\
         env -i {env} DOCKER_IPV6_PD_TARGET=daemon-json \
         DOCKER_IPV6_PD_DAEMON_JSON={dir}/daemon.json new_ip6_prefix={P100} {bin}\n\
         echo $? >{status}\ncat {dir}/daemon.json >>{status}",
        dir = dir.display(),
        env = m.shell_env(),
        bin = BIN,
        status = status.display(),
    );
    let out = in_mount_namespace(&script);
    assert!(
        stderr(&out).contains("Read-only file system"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        fs::read_to_string(&status).unwrap(),
        "1\n{\"debug\": true}\n"
    );
    assert!(m.restarts().is_empty());
}

#[test]
fn both_targets_move_together_and_restart_once() {
    let m = Machine::new();
    let json_for =
        |subnet: &str| format!("{{\n  \"ipv6\": true,\n  \"fixed-cidr-v6\": \"{subnet}\"\n}}\n");
    ok(hook_run_with_target(&m, "both", P100, ""));
    assert_eq!(m.file().as_deref(), Some(LINE_100));
    assert_eq!(json(&m), json_for("2001:db8:0:100::/80"));
    ok(hook_run_with_target(&m, "both", P200, ""));
    assert_eq!(m.file().as_deref(), Some(LINE_200));
    assert_eq!(json(&m), json_for("2001:db8:0:200::/80"));
    // One restart per change, each seeing both files already written.
    assert_eq!(
        m.restarts(),
        [
            format!("service docker restart | {}", LINE_100.trim()),
            format!("service docker restart | {}", LINE_200.trim()),
        ]
    );
    // Renewals of the old prefix leave both alone.
    ok(hook_run_with_target(&m, "both", P100, P100));
    assert_eq!(json(&m), json_for("2001:db8:0:200::/80"));
    assert_eq!(m.file().as_deref(), Some(LINE_200));
    assert_eq!(m.restarts().len(), 2);
}

#[test]
fn renewal_with_the_file_in_place_does_not_rewrite_it() {
    let m = Machine::new();
    assert!(
        hook_run_with_target(&m, "daemon-json", P100, "")
            .status
            .success()
    );
    let ino = fs::metadata(m.daemon_json()).unwrap().ino();
    assert!(
        hook_run_with_target(&m, "daemon-json", P100, P100)
            .status
            .success()
    );
    assert_eq!(fs::metadata(m.daemon_json()).unwrap().ino(), ino);
}

#[test]
fn target_from_the_config_file_and_dry_run() {
    let m = Machine::new();
    m.configure_daemon_json_target();
    let out = m
        .command()
        .arg("--dry-run")
        .env("new_ip6_prefix", P100)
        .output()
        .unwrap();
    let text = stdout(&ok(out));
    assert!(
        text.contains("would set ipv6 and fixed-cidr-v6 to 2001:db8:0:100::/80 in "),
        "{text}"
    );
    assert!(!m.daemon_json().exists());
    assert!(m.restarts().is_empty());
}

#[test]
fn under_a_running_systemd_auto_restarts_the_unit() {
    let m = Machine::new();
    fs::create_dir_all(m.dir.path().join("run/systemd/system")).unwrap();
    let out = hook_run_with_init_auto(&m);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(m.restarts().len(), 1);
    assert!(m.restarts()[0].starts_with("systemctl restart docker.service |"));
}

fn hook_run_with_init_auto(m: &Machine) -> std::process::Output {
    m.command()
        .env("DOCKER_IPV6_PD_INIT", "auto")
        .args(["--target", "daemon-json"])
        .env("DOCKER_IPV6_PD_DAEMON_JSON", m.daemon_json())
        .env("new_ip6_prefix", P100)
        .output()
        .unwrap()
}
