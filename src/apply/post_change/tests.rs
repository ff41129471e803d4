//! Tests of the post-change scripts: which run, in what order, with what, and which are refused.

use std::os::unix::fs::PermissionsExt;
use std::time::Instant;

use super::*;

fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[test]
fn only_executables_with_run_parts_names_in_order() {
    let dir = tempfile::tempdir().unwrap();
    script(dir.path(), "20-b", "true");
    script(dir.path(), "10-a", "true");
    script(dir.path(), "30-c.sh", "true");
    script(dir.path(), "40-d~", "true");
    fs::write(dir.path().join("50-e"), "not executable").unwrap();
    let names: Vec<String> = scripts_in(dir.path())
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["10-a", "20-b"]);
    assert!(scripts_in(&dir.path().join("missing")).is_empty());
}

#[test]
fn hooks_get_the_change_and_no_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let seen = dir.path().join("seen");
    script(
        dir.path(),
        "10-record",
        &format!(
            "echo \"$DOCKER_IPV6_PD_SUBNET|$DOCKER_IPV6_PD_OLD_SUBNET|$DOCKER_IPV6_PD_PREFIX|$DOCKER_IPV6_PD_REASON\" >{s}; cat >>{s}",
            s = seen.display()
        ),
    );
    let change = Change {
        subnet: "2001:db8:0:200::/80".into(),
        old_subnet: "2001:db8:0:100::/80".into(),
        prefix: "2001:db8:0:200::/60".into(),
        reason: "BOUND6".into(),
        mapping: Vec::new(),
    };
    let outcomes = run_all(dir.path(), &change, Duration::from_secs(5));
    assert_eq!(outcomes[0].1, Outcome::Succeeded);
    assert_eq!(
        fs::read_to_string(seen).unwrap(),
        "2001:db8:0:200::/80|2001:db8:0:100::/80|2001:db8:0:200::/60|BOUND6\n"
    );
}

#[test]
fn a_failing_hook_is_reported_and_the_next_still_runs() {
    let dir = tempfile::tempdir().unwrap();
    script(dir.path(), "10-fail", "echo broken >&2; exit 3");
    script(dir.path(), "20-ok", "true");
    let outcomes = run_all(dir.path(), &Change::default(), Duration::from_secs(5));
    assert_eq!(
        outcomes[0].1,
        Outcome::Failed("exit status: 3: broken".into())
    );
    assert_eq!(outcomes[1].1, Outcome::Succeeded);
}

#[test]
fn a_hanging_hook_and_its_children_are_killed_at_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("child-survived");
    script(
        dir.path(),
        "10-hang",
        &format!("(sleep 2; touch {}) & sleep 60", marker.display()),
    );
    let start = Instant::now();
    let outcomes = run_all(dir.path(), &Change::default(), Duration::from_millis(300));
    assert_eq!(outcomes[0].1, Outcome::TimedOut);
    assert!(start.elapsed() < Duration::from_secs(5));
    std::thread::sleep(Duration::from_millis(2500));
    assert!(!marker.exists(), "the hook's child outlived the timeout");
}

const ROOT_DIR: Ownership = Ownership {
    mode: 0o40755,
    uid: 0,
    gid: 0,
};

fn file(mode: u32, uid: u32, gid: u32) -> Ownership {
    Ownership {
        mode: 0o100000 | mode,
        uid,
        gid,
    }
}

#[test]
fn scripts_only_root_or_we_could_change_may_run() {
    assert_eq!(refusal(file(0o755, 0, 0), ROOT_DIR, 0), None);
    assert_eq!(refusal(file(0o775, 0, 0), ROOT_DIR, 0), None);
    assert_eq!(refusal(file(0o700, 1000, 1000), ROOT_DIR, 1000), None);
    assert_eq!(
        refusal(file(0o757, 0, 0), ROOT_DIR, 0).as_deref(),
        Some("it is writable by everyone")
    );
    assert_eq!(
        refusal(file(0o775, 0, 50), ROOT_DIR, 0).as_deref(),
        Some("it is writable by group 50")
    );
    assert_eq!(
        refusal(file(0o755, 65534, 0), ROOT_DIR, 0).as_deref(),
        Some("it is owned by uid 65534, not root")
    );
    assert_eq!(
        refusal(file(0o755, 1000, 1000), ROOT_DIR, 0).as_deref(),
        Some("it is owned by uid 1000, not root")
    );
}

#[test]
fn so_may_only_directories_root_or_we_could_change() {
    let script = file(0o755, 0, 0);
    let dir = |mode: u32, uid, gid| Ownership {
        mode: 0o40000 | mode,
        uid,
        gid,
    };
    assert_eq!(refusal(script, dir(0o775, 0, 0), 0), None);
    assert_eq!(
        refusal(script, dir(0o1777, 0, 0), 0).as_deref(),
        Some("its directory is writable by everyone")
    );
    assert_eq!(
        refusal(script, dir(0o775, 0, 27), 0).as_deref(),
        Some("its directory is writable by group 27")
    );
    assert_eq!(
        refusal(script, dir(0o755, 65534, 0), 0).as_deref(),
        Some("its directory is owned by uid 65534, not root")
    );
}

#[test]
fn refused_hooks_are_skipped_and_the_others_run() {
    let dir = tempfile::tempdir().unwrap();
    let ran = dir.path().join("ran");
    let record = |name: &str| format!("echo {name} >>{}", ran.display());
    let hooks = dir.path().join("hooks");
    fs::create_dir(&hooks).unwrap();
    script(&hooks, "10-ok", &record("10-ok"));
    let open = script(&hooks, "20-world-writable", &record("20"));
    fs::set_permissions(&open, fs::Permissions::from_mode(0o777)).unwrap();
    let foreign = script(&hooks, "30-foreign", &record("30"));
    let as_root = geteuid().is_root();
    if as_root {
        nix::unistd::chown(&foreign, Some(65534.into()), None).unwrap();
    }
    script(&hooks, "40-ok", &record("40-ok"));
    let outcomes = run_all(&hooks, &Change::default(), Duration::from_secs(5));
    let ended: Vec<&Outcome> = outcomes.iter().map(|(_, o)| o).collect();
    assert_eq!(ended[0], &Outcome::Succeeded);
    assert_eq!(
        ended[1],
        &Outcome::Skipped("it is writable by everyone".into())
    );
    if as_root {
        assert_eq!(
            ended[2],
            &Outcome::Skipped("it is owned by uid 65534, not root".into())
        );
    }
    assert_eq!(ended[3], &Outcome::Succeeded);
    let ran = fs::read_to_string(&ran).unwrap();
    assert!(
        ran.starts_with("10-ok\n") && ran.ends_with("40-ok\n"),
        "{ran}"
    );
    assert!(!ran.contains("20"), "{ran}");
    assert_eq!(ran.contains("30"), !as_root, "{ran}");

    fs::set_permissions(&hooks, fs::Permissions::from_mode(0o1777)).unwrap();
    let outcomes = run_all(&hooks, &Change::default(), Duration::from_secs(5));
    assert_eq!(
        outcomes[0].1,
        Outcome::Skipped("its directory is writable by everyone".into())
    );
    assert_eq!(
        outcomes[3].1,
        Outcome::Skipped("its directory is writable by everyone".into())
    );
}

#[test]
fn under_nptv6_every_mapping_variable_is_set_even_when_empty() {
    let net = |s: &str| s.parse::<ipnet::Ipv6Net>().unwrap();
    let before = Mapping::new(net("2001:db8:10::/44"), net("fd12:3456:789a::/48")).unwrap();
    let withdrawn = SubnetChange {
        subnet: Some(net("fd12:3456:789a::/64")),
        old_subnet: Some(net("fd12:3456:789a::/64")),
        prefix: net("2001:db8:10::/44"),
        reason: "EXPIRE6".into(),
        mapping: None,
        old_mapping: Some(before),
    };
    assert_eq!(
        Change::of(&withdrawn, true).mapping,
        [
            ("DOCKER_IPV6_PD_MAPPED", String::new()),
            ("DOCKER_IPV6_PD_PUBLIC", String::new()),
            ("DOCKER_IPV6_PD_PUBLIC_SUBNET", String::new()),
            ("DOCKER_IPV6_PD_OLD_MAPPED", "fd12:3456:789a::/48".into()),
            ("DOCKER_IPV6_PD_OLD_PUBLIC", "2001:db8:10::/48".into()),
            (
                "DOCKER_IPV6_PD_OLD_PUBLIC_SUBNET",
                "2001:db8:10::/64".into()
            ),
        ]
    );
    let other = Change::of(&withdrawn, false);
    assert!(other.mapping.is_empty());
    assert_eq!(other.subnet, "fd12:3456:789a::/64");
}
