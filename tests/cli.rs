//! The command line and the configuration file: where each setting comes from, a bad
//! configuration refused, the `subnet` subcommand, --help, --version and unknown flags.

use std::fs;
use std::process::Command;

use crate::util::*;

const P100: &str = "2001:db8:0:100::/60";

#[test]
fn settings_come_from_the_config_file_env_and_command_line_in_that_rising_order() {
    let m = Machine::new();
    let other = m.dir.path().join("etc/docker/other.prefix");
    fs::write(
        &m.config,
        format!(
            "# test\nprefix-file = {}\nsubnet-size = 64\nservice = moby\n",
            other.display()
        ),
    )
    .unwrap();
    let out = m
        .command()
        .env_remove("DOCKER_IPV6_PD_PREFIX_FILE")
        .env("DOCKER_IPV6_PD_SERVICE", "engine")
        .args(["--subnet-size", "72"])
        .env("new_ip6_prefix", P100)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fs::read_to_string(&other).unwrap(),
        "2001:0db8:0000:0100:0000:0000:0000:0000/72\n"
    );
    assert_eq!(
        m.restarts(),
        // The fake init tool shows the default prefix file, which stays absent.
        ["service engine restart | "]
    );
    assert_eq!(
        m.file(),
        None,
        "the configured prefix file replaces the default"
    );
}

#[test]
fn a_bad_config_file_is_a_usage_error_and_changes_nothing() {
    let m = Machine::new();
    m.set_file(LINE_200.as_bytes());
    fs::write(&m.config, "subnet_size = 64\n").unwrap();
    assert_fails(
        &m.event("BOUND6", P100, ""),
        2,
        "unknown key \"subnet_size\"",
    );
    assert_eq!(m.file().as_deref(), Some(LINE_200));
    assert!(m.restarts().is_empty());
}

#[test]
fn subnet_prints_the_line_the_hook_run_would_write() {
    let m = Machine::new();
    let out = m
        .command()
        .args(["subnet", "2001:980:1234:140::/60"])
        .output()
        .unwrap();
    let out = ok(out);
    assert_eq!(stdout(&out), "2001:0980:1234:0140:0000:0000:0000:0000/80\n");
    let out = m
        .command()
        .args(["subnet", "2001:db8:ab:cd00::/56", "--subnet-size", "64"])
        .output()
        .unwrap();
    let out = ok(out);
    assert_eq!(stdout(&out), "2001:0db8:00ab:cd00:0000:0000:0000:0000/64\n");
    let out = m
        .command()
        .args(["subnet", "2001:db8::/96"])
        .output()
        .unwrap();
    assert_fails(&out, 3, "PREFIX=\"2001:db8::/96\"");
    assert_eq!(stdout(&out), "");
}

#[test]
fn help_and_version_work() {
    let out = std::process::Command::new(BIN)
        .arg("--help")
        .output()
        .unwrap();
    let help = stdout(&ok(out));
    for word in [
        "--prefix-file",
        "--subnet-size",
        "--dry-run",
        "subnet",
        "Exit status",
    ] {
        assert!(help.contains(word), "--help lacks {word}");
    }
    let out = std::process::Command::new(BIN)
        .arg("--version")
        .output()
        .unwrap();
    let version = stdout(&ok(out));
    assert!(
        version.starts_with(&format!("docker-ipv6-pd {}", env!("CARGO_PKG_VERSION")))
            && version.lines().count() == 1,
        "{version}"
    );
    let out = std::process::Command::new(BIN)
        .arg("--no-such-flag")
        .output()
        .unwrap();
    assert_fails(&out, 2, "unexpected argument '--no-such-flag'");
}

#[test]
fn the_root_rule_is_in_help_and_in_the_man_page() {
    let help = stdout(&ok(Command::new(BIN).arg("--help").output().unwrap()));
    let man = stdout(&ok(Command::new(BIN).arg("man").output().unwrap()));
    for text in [&help, &man.replace("\\-", "-")] {
        for rule in [
            "Every default path is taken under DIR",
            "own configuration file. A path you give yourself (an option, a DOCKER_IPV6_PD_* \
             variable, a key in the file --config names) is used as written.",
            "Without --dry-run the hook refuses --root unless the files it writes are given so.",
        ] {
            let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(flat.contains(rule), "{rule:?} missing in:\n{text}");
        }
    }
    assert!(man.contains(".SH FILES"), "{man}");
}
