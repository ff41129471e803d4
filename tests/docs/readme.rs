//! The README's commands: every command it shows in a code block is run by a test here or by
//! CI, every `docker-ipv6-pd ...` command it names in the text runs, and the output it shows
//! is what the command prints.

use std::fs;
use std::process::Command;
use std::time::{Duration, SystemTime};

use crate::doctor::healthy;
use crate::install::fake_machine::FakeMachine;
use crate::util::*;

const README: &str = include_str!("../../README.md");
const THIS_FILE: &str = include_str!("readme.rs");

/// Who runs a command the README shows.
enum RunBy {
    /// A test in this file, by name: it runs the command and compares what it prints.
    Test(&'static str),
    /// A test in another file of this suite: (file, test name, the text in that file that
    /// runs the command, such as its arguments).
    TestIn(&'static str, &'static str, &'static str),
    /// Scripts CI runs (`.ci/run` runs tests/run.sh), each with the text in it that runs a
    /// part of the command.
    Scripts(&'static [(&'static str, &'static str)]),
}

/// Every command in the README's code blocks (`sh` blocks, and `$ ` lines in others).
const COMMANDS: &[(&str, RunBy)] = &[
    (
        "./install.sh && new_ip6_prefix=2001:db8:100::/60 /usr/local/sbin/docker-ipv6-pd --dry-run",
        RunBy::Test("the_install_command_and_its_dry_run_under_systemd"),
    ),
    (
        "cargo install cargo-deb && packaging/build-deb.sh && dpkg -i target/debian/docker-ipv6-pd_*.deb",
        RunBy::Scripts(&[
            ("tests/run.sh", "cargo install --locked --quiet cargo-deb"),
            (
                "tests/run.sh",
                "packaging/test-deb.sh \"$(packaging/build-deb.sh)\"",
            ),
            ("packaging/test-deb-in-root.sh", "dpkg_clean -i \"$deb\""),
        ]),
    ),
    (
        "docker-ipv6-pd --dry-run watch --once",
        RunBy::TestIn(
            "tests/watch.rs",
            "dry_run_prints_the_plan_and_changes_nothing",
            r#".args(["--dry-run", "watch", "--once"])"#,
        ),
    ),
    (
        "docker-ipv6-pd watch --once",
        RunBy::TestIn(
            "tests/watch.rs",
            "a_first_lease_writes_the_subnet_and_restarts_docker_once",
            r#".args(["watch", "--once"])"#,
        ),
    ),
    (
        "docker-ipv6-pd doctor",
        RunBy::Test("the_doctor_example_is_an_excerpt_of_what_doctor_prints"),
    ),
    (
        "docker-ipv6-pd status",
        RunBy::Test("the_status_example_is_what_status_prints"),
    ),
    (
        "tests/run.sh",
        RunBy::Scripts(&[(".ci/run", "exec bash tests/run.sh")]),
    ),
];

/// The README's code blocks: (info string, lines).
fn code_blocks() -> Vec<(String, Vec<String>)> {
    let mut blocks = Vec::new();
    let mut open: Option<(String, Vec<String>)> = None;
    for line in README.lines() {
        match (line.strip_prefix("```"), open.take()) {
            (Some(info), None) => open = Some((info.to_string(), Vec::new())),
            (Some(_), Some(block)) => blocks.push(block),
            (None, Some((info, mut lines))) => {
                lines.push(line.to_string());
                open = Some((info, lines));
            }
            (None, None) => {}
        }
    }
    assert!(open.is_none(), "a code block is never closed");
    blocks
}

/// The block right after the one holding the command `$ command` (or the block that holds it,
/// without the command line).
fn shown_output(command: &str) -> String {
    let blocks = code_blocks();
    let at = blocks
        .iter()
        .position(|(_, lines)| lines.iter().any(|l| l.trim_start_matches("$ ") == command))
        .unwrap_or_else(|| panic!("the README shows no {command:?}"));
    let (info, lines) = &blocks[at];
    let lines: Vec<&String> = if info == "sh" {
        blocks[at + 1].1.iter().collect()
    } else {
        lines.iter().filter(|l| !l.starts_with("$ ")).collect()
    };
    lines.iter().map(|l| format!("{l}\n")).collect()
}

#[test]
fn every_command_in_a_readme_code_block_is_run_by_a_test_or_ci() {
    let mut shown: Vec<String> = Vec::new();
    for (info, lines) in code_blocks() {
        for line in lines {
            let command = if info == "sh" {
                Some(line.as_str())
            } else {
                line.strip_prefix("$ ")
            };
            if let Some(command) = command.filter(|c| !c.is_empty() && !c.starts_with('#')) {
                shown.push(command.to_string());
            }
        }
    }
    let known: Vec<&str> = COMMANDS.iter().map(|(c, _)| *c).collect();
    assert_eq!(shown, known, "say in COMMANDS who runs each README command");
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for (command, by) in COMMANDS {
        match by {
            RunBy::Test(name) => assert!(
                THIS_FILE.contains(&format!("fn {name}()")),
                "{command}: no test {name}"
            ),
            RunBy::TestIn(file, name, runs) => {
                let body = fs::read_to_string(repo.join(file)).unwrap();
                assert!(
                    body.contains(&format!("fn {name}()")),
                    "{command}: no test {name} in {file}"
                );
                assert!(body.contains(runs), "{command}: {file} lacks {runs:?}");
            }
            RunBy::Scripts(parts) => {
                for (script, text) in *parts {
                    let body = fs::read_to_string(repo.join(script)).unwrap();
                    assert!(body.contains(text), "{command}: {script} lacks {text:?}");
                }
            }
        }
    }
}

#[test]
fn the_install_command_and_its_dry_run_under_systemd() {
    if !have_root("README: install and dry run") {
        return;
    }
    let (command, _) = &COMMANDS[0];
    // The same command, with the binary this test run built instead of a release build.
    let command = command.replace("./install.sh", "sh $INSTALL --binary $BIN >/dev/null");
    let run = FakeMachine {
        systemd: true,
        dhclient: true,
        ..FakeMachine::default()
    }
    .run(&command);
    assert!(run.success, "{}", run.output);
    assert_eq!(run.output, shown_output(COMMANDS[0].0));
}

#[test]
fn the_doctor_example_is_an_excerpt_of_what_doctor_prints() {
    // The README's machine: the old hook still in place, and forwarding off.
    let m = healthy();
    m.put(
        "etc/dhcp/dhclient-enter-hooks.d/docker-ipv6-old",
        b"SUBNET=$(sipcalc -S 80 $new_ip6_prefix|grep Network)\necho > /etc/docker/ipv6.prefix\n",
    );
    m.put("proc/sys/net/ipv6/conf/all/forwarding", b"0\n");
    let out = crate::doctor::run(&m, &["doctor"]);
    assert_eq!(out.status.code(), Some(5), "{}", stdout(&out));
    let printed = stdout(&out);
    let mut rest = printed.lines();
    for line in shown_output("docker-ipv6-pd doctor").lines() {
        assert!(
            rest.any(|l| l == line),
            "the README shows {line:?}, doctor printed (in this order):\n{printed}"
        );
    }
}

#[test]
fn the_status_example_is_what_status_prints() {
    let m = healthy();
    // The prefix file last changed when the README says.
    let changed = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_670_545);
    fs::File::options()
        .write(true)
        .open(m.dir.path().join("etc/docker/ipv6.prefix"))
        .unwrap()
        .set_modified(changed)
        .unwrap();
    let out = crate::doctor::run(&m, &["status"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), shown_output("docker-ipv6-pd status"));
}

/// Every `docker-ipv6-pd ...` command the README's text names, with its placeholders filled in.
fn named_commands() -> Vec<Vec<String>> {
    let mut commands = Vec::new();
    for span in README.split('`').skip(1).step_by(2) {
        let Some(args) = span.strip_prefix("docker-ipv6-pd ") else {
            continue;
        };
        let args = args.replace("PREFIX", "2001:db8:100::/60");
        let (args, optional) = match args.split_once(" [") {
            Some((args, optional)) => (
                args.to_string(),
                Some(optional.trim_end_matches(']').replace(" N", " 64")),
            ),
            None => (args, None),
        };
        let mut variants = vec![args.clone()];
        if let Some(optional) = optional {
            variants.push(format!("{args} {optional}"));
        }
        for variant in variants {
            let words: Vec<&str> = variant.split_whitespace().collect();
            let choices = words.iter().position(|w| w.contains('|'));
            match choices {
                Some(at) => {
                    for choice in words[at].split('|') {
                        let mut words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
                        words[at] = choice.to_string();
                        commands.push(words);
                    }
                }
                None => commands.push(words.iter().map(|w| w.to_string()).collect()),
            }
        }
    }
    commands
}

#[test]
fn every_docker_ipv6_pd_command_the_readme_names_runs() {
    let commands = named_commands();
    assert!(commands.len() >= 8, "{commands:?}");
    let m = healthy();
    for args in commands {
        // On the fixture machine; a hook run (no subcommand) only as a dry run.
        let mut command = Command::new(BIN);
        command
            .env_clear()
            .arg("--root")
            .arg(m.dir.path())
            .args(&args);
        if args[0].starts_with("--") && !args.contains(&"--dry-run".to_string()) {
            command.arg("--dry-run");
        }
        let out = command.output().unwrap();
        let code = out.status.code();
        assert!(
            code == Some(0) || (args[0] == "doctor" && code == Some(5)),
            "docker-ipv6-pd {}: {code:?} {}",
            args.join(" "),
            stderr(&out)
        );
        assert!(
            !stdout(&out).is_empty() || args[0].starts_with("--"),
            "{args:?} printed nothing"
        );
    }
}
