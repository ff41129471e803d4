//! Unit tests of the command-line definition.

use super::*;
use clap::CommandFactory;
use std::path::Path;

use crate::settings::{FileKind, InitChoice, Target};

fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
    Cli::try_parse_from(std::iter::once("docker-ipv6-pd").chain(args.iter().copied()))
}

#[test]
fn the_command_line_definition_is_consistent() {
    Cli::command().debug_assert();
}

#[test]
fn a_setting_may_come_before_or_after_the_subcommand() {
    let after = parse(&["subnet", "2001:db8::/56", "--subnet-size", "64"]).unwrap();
    assert_eq!(after.settings.subnet_size, Some(64));
    assert!(matches!(after.command, Some(Command::Subnet { .. })));
    let before = parse(&["--subnet-size", "64", "subnet", "2001:db8::/56"]).unwrap();
    assert_eq!(before.settings.subnet_size, Some(64));
    let status = parse(&["status", "--json", "--target", "both"]).unwrap();
    assert_eq!(status.settings.target, Some(Target::Both));
    assert!(matches!(
        status.command,
        Some(Command::Status { json: true, .. })
    ));
}

#[test]
fn the_hook_takes_every_setting_and_dry_run() {
    let cli = parse(&[
        "--dry-run",
        "--init",
        "openrc",
        "--restart-timeout",
        "9",
        "--root",
        "/mnt",
    ])
    .unwrap();
    assert!(cli.command.is_none());
    assert!(cli.dry_run);
    assert_eq!(cli.settings.init, Some(InitChoice::OpenRc));
    assert_eq!(cli.settings.restart_timeout, Some(9));
    assert_eq!(cli.root, Some(PathBuf::from("/mnt")));
    assert!(!parse(&[]).unwrap().dry_run);
}

#[test]
fn bad_option_values_are_usage_errors() {
    for args in [
        &["--subnet-size", "0"][..],
        &["--service", "-x"],
        &["--init", "runit"],
        &["--restart-timeout", "0"],
        &["--restart-timeout", "3601"],
        &["--dry-run=yes"],
        &["completions", "tcsh"],
    ] {
        let err = parse(args).unwrap_err();
        assert_eq!(err.exit_code(), 2, "{args:?}");
    }
}

#[test]
fn each_subcommand_keeps_its_own_description() {
    let mut definition = command();
    definition.build();
    for sub in definition.get_subcommands() {
        for text in [sub.get_about(), sub.get_long_about()]
            .into_iter()
            .flatten()
        {
            let text = text.to_string();
            assert!(
                !text.contains("configuration file"),
                "{}: {text}",
                sub.get_name()
            );
        }
    }
    let status = definition.find_subcommand("status").unwrap();
    assert!(status.get_arguments().any(|a| a.get_id() == "subnet_size"));
    assert!(status.get_arguments().all(|a| a.get_env().is_none()));
}

#[test]
fn defaults_apply_when_nothing_is_given() {
    let s = merge(
        SettingArgs::default(),
        SettingArgs::default(),
        "/".into(),
        false,
    );
    assert_eq!(s.prefix_file, PathBuf::from("/etc/docker/ipv6.prefix"));
    assert_eq!(s.subnet_size, 80);
    assert_eq!(s.service, "docker");
    assert_eq!(s.init, InitChoice::Auto);
    assert_eq!(s.target, Target::PrefixFile);
    assert_eq!(s.restart_timeout, 120);
    assert_eq!(s.post_change_timeout, 30);
    assert_eq!(
        s.path(FileKind::DaemonJson),
        Path::new("/etc/docker/daemon.json")
    );
}

#[test]
fn the_first_layer_wins_per_setting() {
    let first = SettingArgs {
        subnet_size: Some(64),
        ..SettingArgs::default()
    };
    let second = SettingArgs {
        subnet_size: Some(72),
        service: Some("moby".into()),
        restart_timeout: Some(5),
        ..SettingArgs::default()
    };
    let s = merge(first, second, "/".into(), true);
    assert_eq!(s.subnet_size, 64);
    assert_eq!(s.service, "moby");
    assert_eq!(s.restart_timeout, 5);
    assert!(s.dry_run);
}

#[test]
fn default_paths_lie_under_the_root_and_given_ones_stay_as_given() {
    let given = SettingArgs {
        prefix_file: Some("/srv/ipv6.prefix".into()),
        ..SettingArgs::default()
    };
    let s = merge(given, SettingArgs::default(), "/mnt".into(), false);
    assert_eq!(s.prefix_file, Path::new("/srv/ipv6.prefix"));
    assert_eq!(s.daemon_json, Path::new("/mnt/etc/docker/daemon.json"));
    assert_eq!(
        s.post_change_dir,
        Path::new("/mnt/etc/docker-ipv6-pd/post-change.d")
    );
    let second = SettingArgs {
        daemon_json: Some("/srv/daemon.json".into()),
        ..SettingArgs::default()
    };
    let s = merge(SettingArgs::default(), second, "/mnt".into(), false);
    assert_eq!(s.prefix_file, Path::new("/mnt/etc/docker/ipv6.prefix"));
    assert_eq!(s.daemon_json, Path::new("/srv/daemon.json"));
}
