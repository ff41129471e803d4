//! Tests of reading dockerd's IPv6 flags: every spelling, DOCKER_OPTS and drop-ins, the
//! limits on nesting and length, and files that are not regular files.

use super::*;
use std::fs;
use std::time::{Duration, Instant};

/// What the hook's refusal counts under `root`, without the notes.
pub(super) fn find(root: &Path) -> Vec<FlagSource> {
    conflicts(&survey(root), &DockerStarter::find(root))
        .into_iter()
        .map(|(source, _)| source)
        .collect()
}

#[test]
fn finds_ipv6_flags_in_every_spelling() {
    let flags = ipv6_flags([
        "dockerd",
        "-H",
        "fd://",
        "--ipv6",
        "--fixed-cidr-v6",
        "2001:db8::/80",
        "--mtu=1400",
    ]);
    assert_eq!(
        flags,
        [
            ("ipv6".to_string(), None),
            (
                "fixed-cidr-v6".to_string(),
                Some("2001:db8::/80".to_string())
            )
        ]
    );
    let flags = ipv6_flags(["--ipv6=true", "--fixed-cidr-v6=2001:db8::/80"]);
    assert_eq!(flags.len(), 2);
    assert!(ipv6_flags(["dockerd", "--ipv6-other", "-6"]).is_empty());
}

#[test]
fn reads_the_active_docker_opts_line() {
    let text = "# DOCKER_OPTS=\"--dns 8.8.8.8\"\nDOCKER_OPTS=\"--ipv6 --fixed-cidr-v6=$(cat /etc/docker/ipv6.prefix)\"\n";
    let words = docker_opts(text).unwrap().unwrap();
    assert_eq!(
        words,
        ["--ipv6", "--fixed-cidr-v6=$(cat /etc/docker/ipv6.prefix)"]
    );
    assert_eq!(ipv6_flags(words.iter().map(String::as_str)).len(), 2);
    assert_eq!(docker_opts("#DOCKER_OPTS=\"--ipv6\"\n"), None);
    // The published hook's own line, with backticks.
    let published = "DOCKER_OPTS=\"--ipv6 --fixed-cidr-v6=`cat /etc/docker/ipv6.prefix`\"\n";
    assert_eq!(
        docker_opts(published).unwrap().unwrap(),
        ["--ipv6", "--fixed-cidr-v6=`cat /etc/docker/ipv6.prefix`"]
    );
    // The README's line that copes with a missing or empty prefix file.
    let text = "DOCKER_OPTS=\"$(p=$(cat /etc/docker/ipv6.prefix 2>/dev/null) || true; [ -n \"$p\" ] && echo \"--ipv6 --fixed-cidr-v6=$p\"; true)\"\n";
    let words = docker_opts(text).unwrap().unwrap();
    let names: Vec<String> = ipv6_flags(words.iter().map(String::as_str))
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, ["ipv6", "fixed-cidr-v6"]);
    assert!(words.iter().any(|w| w.contains("/etc/docker/ipv6.prefix")));
}

#[test]
fn reads_the_last_exec_start_of_a_drop_in() {
    let text = "[Service]\nExecStart=\nExecStart=/bin/sh -c 'exec /usr/bin/dockerd -H fd:// --ipv6 --fixed-cidr-v6=\"$(cat /etc/docker/ipv6.prefix)\"'\n";
    let words = exec_start(text).unwrap().unwrap();
    assert_eq!(ipv6_flags(words.iter().map(String::as_str)).len(), 2);
}

#[test]
fn finds_sources_under_a_root() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    fs::create_dir_all(r.join("etc/default")).unwrap();
    fs::write(r.join("etc/default/docker"), "DOCKER_OPTS=\"--ipv6\"\n").unwrap();
    fs::create_dir_all(r.join("proc/42")).unwrap();
    fs::write(
        r.join("proc/42/cmdline"),
        b"/usr/bin/dockerd\0--fixed-cidr-v6\0fd00::/80\0",
    )
    .unwrap();
    fs::create_dir_all(r.join("proc/43")).unwrap();
    fs::write(r.join("proc/43/cmdline"), b"/usr/bin/containerd\0--ipv6\0").unwrap();
    let found = find(r);
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[0].origin, "/etc/default/docker (DOCKER_OPTS)");
    assert_eq!(found[1].origin, "running dockerd (pid 42)");
}

#[test]
fn keeps_words_in_order_with_each_substitution_after_its_word() {
    let words = words("--ipv6 $(echo --fixed-cidr-v6=x; true) --mtu=1400").unwrap();
    assert_eq!(
        words,
        [
            "--ipv6",
            "$(echo --fixed-cidr-v6=x; true)",
            "echo",
            "--fixed-cidr-v6=x",
            "true",
            "--mtu=1400"
        ]
    );
}

#[test]
fn nesting_past_the_limit_cannot_be_told_and_ends_at_once() {
    let deep = |levels: usize| {
        format!(
            "DOCKER_OPTS=\"{}--ipv6{}\"\n",
            "$(echo ".repeat(levels),
            ")".repeat(levels)
        )
    };
    let words = docker_opts(&deep(MAX_NESTING)).unwrap().unwrap();
    assert!(words.iter().any(|w| w == "--ipv6"), "{words:?}");
    let started = Instant::now();
    let err = docker_opts(&deep(40_000)).unwrap().unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(
        err.to_string(),
        "its command substitutions nest 40000 levels deep (at most 16 are read)"
    );
    let err = docker_opts(&deep(MAX_NESTING + 1)).unwrap().unwrap_err();
    assert!(err.to_string().contains("nest 17 levels"), "{err}");
}

#[test]
fn an_option_string_past_the_length_limit_cannot_be_told() {
    let long = format!("DOCKER_OPTS=\"--ipv6 {}\"\n", "x".repeat(MAX_OPTIONS_LEN));
    let err = docker_opts(&long).unwrap().unwrap_err();
    assert!(err.to_string().contains("at most 65536 are read"), "{err}");
}

#[test]
fn survey_reports_what_it_cannot_read_or_tell() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    fs::create_dir_all(r.join("etc/default")).unwrap();
    nix::unistd::mkfifo(&r.join("etc/default/docker"), nix::sys::stat::Mode::S_IRWXU).unwrap();
    let dropins = r.join("etc/systemd/system/docker.service.d");
    fs::create_dir_all(&dropins).unwrap();
    let deep = format!("ExecStart={}{}\n", "$(".repeat(100), ")".repeat(100));
    fs::write(dropins.join("ipv6.conf"), deep).unwrap();
    let started = Instant::now();
    let survey = survey(r);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(survey.sources.is_empty(), "{survey:?}");
    assert_eq!(
        survey.unreadable,
        ["/etc/default/docker is not a regular file (a FIFO)"]
    );
    assert_eq!(
        survey.cannot_tell,
        [
            "cannot tell which flags /etc/systemd/system/docker.service.d/ipv6.conf gives dockerd: its command substitutions nest 100 levels deep (at most 16 are read)"
        ]
    );
    assert!(survey.maybe.is_empty(), "{survey:?}");
}

#[test]
fn an_unreadable_option_string_that_mentions_a_flag_may_give_it() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    fs::create_dir_all(r.join("etc/default")).unwrap();
    let deep = format!(
        "DOCKER_OPTS=\"{}--fixed-cidr-v6=x{}\"\n",
        "$(".repeat(40),
        ")".repeat(40)
    );
    fs::write(r.join("etc/default/docker"), deep).unwrap();
    let survey = survey(r);
    assert!(survey.sources.is_empty());
    assert_eq!(survey.cannot_tell.len(), 1);
    let expected = [FlagSource {
        origin: "/etc/default/docker (DOCKER_OPTS)".into(),
        flags: vec![("fixed-cidr-v6".into(), None)],
        words: Vec::new(),
    }];
    assert_eq!(survey.maybe, expected);
    // The hook takes it as a flag source, so it will not write daemon.json next to it.
    assert_eq!(find(r), expected);
}

#[test]
fn only_the_conf_files_of_the_drop_in_directory_count() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    let dropins = r.join("etc/systemd/system/docker.service.d");
    fs::create_dir_all(&dropins).unwrap();
    let text = "[Service]\nExecStart=\nExecStart=/usr/bin/dockerd -H fd:// --ipv6\n";
    fs::write(dropins.join("ipv6.conf.disabled"), text).unwrap();
    assert!(find(r).is_empty());
    fs::write(dropins.join("ipv6.conf"), text).unwrap();
    assert_eq!(
        origins(&find(r)),
        ["/etc/systemd/system/docker.service.d/ipv6.conf"]
    );
}

/// Where each source is, in order.
pub(super) fn origins(sources: &[FlagSource]) -> Vec<&str> {
    sources.iter().map(|s| s.origin.as_str()).collect()
}
