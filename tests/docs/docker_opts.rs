//! The DOCKER_OPTS line the README, the man page and install.sh's next steps give for the
//! prefix file: the same text everywhere, and one that Debian's init script, which sources
//! /etc/default/docker under `sh -e`, survives whether the file is missing, empty or holds a
//! prefix. (dash's command substitutions inherit `-e`: a bare `p=$(cat FILE)` on a missing file
//! ends the script before dockerd starts.)

use std::process::Command;

use crate::util::*;

const PREFIX_FILE: &str = "/etc/docker/ipv6.prefix";

/// The `DOCKER_OPTS="$(p=...` line of `text`, from `DOCKER_OPTS=` to its closing quote.
fn safe_line(text: &str) -> Option<String> {
    let start = text.find("DOCKER_OPTS=\"$(p=")?;
    let line = &text[start..];
    let end = line.find(")\"")?;
    Some(line[..end + 2].to_string())
}

fn documented_lines() -> Vec<(&'static str, String)> {
    let repo = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(format!("{repo}/README.md")).unwrap();
    let next_steps = std::fs::read_to_string(format!("{repo}/packaging/next-steps.sh")).unwrap();
    let man = stdout(&ok(Command::new(BIN).arg("man").output().unwrap()));
    // The man page's roff escapes its dashes and sets the line in bold.
    let man = man.replace("\\-", "-");
    [
        ("README.md", readme),
        ("next-steps.sh", next_steps),
        ("man page", man),
    ]
    .into_iter()
    .map(|(name, text)| {
        let line = safe_line(&text)
            .unwrap_or_else(|| panic!("{name} gives no DOCKER_OPTS=\"$(p=... line"));
        (name, line)
    })
    .collect()
}

#[test]
fn the_readme_the_man_page_and_the_next_steps_give_the_same_docker_opts() {
    let lines = documented_lines();
    for (name, line) in &lines[1..] {
        assert_eq!(line, &lines[0].1, "{name} differs from {}", lines[0].0);
    }
}

/// What Debian's init script gets in DOCKER_OPTS from `line` for the prefix file at `file`,
/// sourced the way the script sources /etc/default/docker: by /bin/sh under `set -e`.
fn init_script_reads(line: &str, file: &std::path::Path) -> Result<String, String> {
    let dir = tempfile::tempdir().unwrap();
    let default = dir.path().join("docker");
    std::fs::write(
        &default,
        line.replace(PREFIX_FILE, file.to_str().unwrap()) + "\n",
    )
    .unwrap();
    let out = Command::new("/bin/sh")
        .args([
            "-c",
            "set -e; . \"$1\"; printf '[%s]' \"$DOCKER_OPTS\"",
            "sh",
        ])
        .arg(&default)
        .output()
        .unwrap();
    if out.status.success() {
        Ok(stdout(&out))
    } else {
        Err(format!("{}: {}", out.status, stderr(&out)))
    }
}

#[test]
fn the_documented_docker_opts_lets_the_init_script_start_docker_with_or_without_a_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ipv6.prefix");
    let (_, line) = documented_lines().remove(0);
    assert!(line.contains(PREFIX_FILE), "{line}");

    assert_eq!(
        init_script_reads(&line, &file),
        Ok("[]".to_string()),
        "no prefix file yet"
    );
    std::fs::write(&file, "").unwrap();
    assert_eq!(
        init_script_reads(&line, &file),
        Ok("[]".to_string()),
        "emptied by withdraw"
    );
    std::fs::write(&file, "2001:0db8:0000:0100:0000:0000:0000:0000/80\n").unwrap();
    assert_eq!(
        init_script_reads(&line, &file),
        Ok("[--ipv6 --fixed-cidr-v6=2001:0db8:0000:0100:0000:0000:0000:0000/80]".to_string())
    );
}

#[test]
fn the_published_hooks_docker_opts_stops_the_init_script_without_the_file() {
    // The comparison the README makes: the published hook's line fails where ours does not.
    let dir = tempfile::tempdir().unwrap();
    let line = format!("DOCKER_OPTS=\"--ipv6 --fixed-cidr-v6=$(cat {PREFIX_FILE})\"");
    assert!(init_script_reads(&line, &dir.path().join("ipv6.prefix")).is_err());
}
