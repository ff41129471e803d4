//! The command line, the environment and the configuration file: each setting declared once,
//! the precedence of the three, and configuration files that are not what they should be.

use std::fs;
use std::time::{Duration, Instant};

use docker_ipv6_pd::cli::{SettingArgs, setting_args};
use docker_ipv6_pd::config_file;

use crate::util::*;

const P100: &str = "2001:db8:0:100::/60";

/// The `[default: ...]` a setting's help names.
fn default_in_help(arg: &clap::Arg) -> String {
    let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
    let start = help.find("[default: ").expect("help names the default") + "[default: ".len();
    help[start..help.rfind(']').unwrap()].to_string()
}

/// A value the setting takes: its first possible value, else the default its help names.
fn valid_value(arg: &clap::Arg) -> String {
    match arg.get_possible_values().first() {
        Some(value) => value.get_name().to_string(),
        None if ["fallback_prefix", "internal_prefix"].contains(&arg.get_id().as_str()) => {
            "fd00:1:2::/48".to_string()
        }
        None => default_in_help(arg),
    }
}

#[test]
fn every_setting_is_an_option_a_variable_and_a_key_and_the_man_page_names_all_three() {
    let page = stdout(&std::process::Command::new(BIN).arg("man").output().unwrap());
    let settings = setting_args();
    assert!(settings.len() >= 13, "{} settings", settings.len());
    for arg in &settings {
        let key = arg.get_long().expect("every setting has a long option");
        let env = arg.get_env().expect("every setting has a variable");
        let env = env.to_str().unwrap();
        assert_eq!(
            env,
            format!("DOCKER_IPV6_PD_{}", key.to_uppercase().replace('-', "_"))
        );
        let value = valid_value(arg);
        let layer = config_file::parse(format!("{key} = {value}").as_bytes())
            .unwrap_or_else(|e| panic!("{key} = {value}: {e}"));
        assert_ne!(layer, SettingArgs::default(), "{key} = {value} set nothing");
        let roff = |text: &str| text.replace('-', "\\-");
        for needle in [
            format!("\\fB{}\\fR", roff(&format!("--{key}"))),
            format!("\\fB{}\\fR = ", roff(key)),
            roff(env).to_string(),
        ] {
            assert!(page.contains(&needle), "the man page lacks {needle}");
        }
    }
}

#[test]
fn the_default_each_help_names_is_the_built_in_default() {
    let built_in = docker_ipv6_pd::cli::merge(
        SettingArgs::default(),
        SettingArgs::default(),
        "/".into(),
        false,
    );
    let mut not_literal = Vec::new();
    for arg in setting_args() {
        let key = arg.get_long().unwrap();
        let default = default_in_help(&arg);
        match config_file::parse(format!("{key} = {default}").as_bytes()) {
            Ok(layer) => {
                let merged =
                    docker_ipv6_pd::cli::merge(layer, SettingArgs::default(), "/".into(), false);
                assert_eq!(merged, built_in, "{key}: help says {default}");
            }
            Err(_) => not_literal.push(key.to_string()),
        }
    }
    // Only the unique local prefixes have a default that is a rule, not a value.
    assert_eq!(not_literal, ["fallback-prefix", "internal-prefix"]);
}

#[test]
fn the_command_line_wins_over_the_environment_before_or_after_the_subcommand() {
    let m = Machine::new();
    fs::write(&m.config, "subnet-size = 68\n").unwrap();
    let subnet = |env: Option<&str>, args: &[&str]| {
        let mut cmd = m.command();
        if let Some(size) = env {
            cmd.env("DOCKER_IPV6_PD_SUBNET_SIZE", size);
        }
        let out = cmd.args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        stdout(&out).trim().rsplit('/').next().unwrap().to_string()
    };
    assert_eq!(subnet(None, &["subnet", P100]), "68");
    assert_eq!(subnet(Some("72"), &["subnet", P100]), "72");
    assert_eq!(
        subnet(Some("72"), &["--subnet-size", "64", "subnet", P100]),
        "64"
    );
    assert_eq!(
        subnet(Some("72"), &["subnet", P100, "--subnet-size", "64"]),
        "64"
    );
    assert_eq!(
        subnet(
            None,
            &["--subnet-size", "60", "subnet", P100, "--subnet-size", "64"]
        ),
        "64"
    );
}

#[test]
fn a_bad_environment_value_is_a_usage_error() {
    let m = Machine::new();
    for (name, value) in [
        ("DOCKER_IPV6_PD_SUBNET_SIZE", "0"),
        ("DOCKER_IPV6_PD_TARGET", "json"),
        ("DOCKER_IPV6_PD_RESTART_TIMEOUT", "3601"),
        ("DOCKER_IPV6_PD_DRY_RUN", "maybe"),
    ] {
        let out = m
            .command()
            .env(name, value)
            .env("new_ip6_prefix", P100)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}={value}");
        assert_eq!(m.file(), None, "{name}={value}");
    }
}

#[test]
fn dry_run_from_the_environment_takes_what_admins_write() {
    let m = Machine::new();
    for yes in ["1", "yes", "TRUE", "on"] {
        let out = m
            .command()
            .env("DOCKER_IPV6_PD_DRY_RUN", yes)
            .env("new_ip6_prefix", P100)
            .output()
            .unwrap();
        assert!(out.status.success(), "{yes}: {}", stderr(&out));
        assert!(
            stdout(&out).contains(LINE_100.trim()),
            "{yes}: {}",
            stdout(&out)
        );
        assert_eq!(m.file(), None, "{yes}: a dry run wrote the file");
    }
    let out = m
        .command()
        .env("DOCKER_IPV6_PD_DRY_RUN", "off")
        .env("new_ip6_prefix", P100)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(m.file().as_deref(), Some(LINE_100));
}

#[test]
fn restart_timeout_is_a_setting_everywhere() {
    let m = Machine::new();
    fs::write(&m.config, "restart-timeout = 0\n").unwrap();
    let out = m.command().args(["subnet", P100]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("line 1: restart-timeout: \"0\" is not a number of seconds"),
        "{}",
        stderr(&out)
    );
    fs::write(&m.config, "restart-timeout = 3600\n").unwrap();
    let out = m.command().args(["subnet", P100]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn a_fifo_as_configuration_is_refused_at_once() {
    let m = Machine::new();
    let fifo = m.dir.path().join("fifo.conf");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
    let started = Instant::now();
    let out = m
        .command()
        .env("DOCKER_IPV6_PD_CONFIG", &fifo)
        .env("new_ip6_prefix", P100)
        .output()
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains(&fifo.display().to_string()), "{err}");
    assert!(err.contains("not a regular file (a FIFO)"), "{err}");
    assert_eq!(m.file(), None);
}

#[test]
fn a_huge_one_line_configuration_gives_a_one_line_error() {
    let m = Machine::new();
    // 100 MB without a newline (sparse: it costs no disk).
    let file = fs::File::create(&m.config).unwrap();
    file.set_len(100_000_000).unwrap();
    let out = m.command().args(["subnet", P100]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err:.300}");
    assert!(err.len() < 300, "{} bytes: {err:.300}", err.len());
    assert!(err.contains("is larger than 65536 bytes"), "{err}");
    // Under the cap, a long bad value is quoted in part.
    fs::write(&m.config, format!("service = {}\n", "x;".repeat(30_000))).unwrap();
    let out = m.command().args(["subnet", P100]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.len() < 300, "{} bytes: {err:.300}", err.len());
    assert!(err.contains("line 1: service: \"x;x;"), "{err}");
}

#[test]
fn a_bare_run_without_an_event_says_what_it_is() {
    let m = Machine::new();
    let out = m.command().output().unwrap();
    assert!(out.status.success());
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("DHCP client's hook") && err.contains("--help"),
        "{err}"
    );
    assert_eq!(m.file(), None);
    // A real event, even one with nothing to do, stays quiet.
    let out = m.command().env("reason", "PREINIT6").output().unwrap();
    assert!(out.status.success());
    assert_eq!(stderr(&out), "");
}

#[test]
fn a_refused_variable_is_named() {
    let m = Machine::new();
    let out = m
        .command()
        .env("DOCKER_IPV6_PD_SUBNET_SIZE", "0")
        .args(["subnet", P100])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("that value comes from DOCKER_IPV6_PD_SUBNET_SIZE"),
        "{}",
        stderr(&out)
    );
    let out = m
        .command()
        .env("DOCKER_IPV6_PD_SUBNET_SIZE", "0")
        .args(["subnet", P100, "--subnet-size=200"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        !stderr(&out).contains("that value comes from"),
        "{}",
        stderr(&out)
    );
}
