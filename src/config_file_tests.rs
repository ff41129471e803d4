//! Unit tests of the configuration file's parser.

use std::path::PathBuf;

use super::*;
use crate::settings::{Client, InitChoice, OnLoss, Target};

fn parse_text(text: &str) -> Result<SettingArgs, String> {
    parse(text.as_bytes())
}

#[test]
fn parses_every_key_with_comments_and_blanks() {
    let layer = parse_text(
        "# docker-ipv6-pd\n\nprefix-file = /srv/ipv6.prefix\nsubnet-size=64\n  service = moby \r\ninit = openrc\ntarget = both\ndaemon-json = /srv/daemon.json\nrestart-timeout = 60\n",
    )
    .unwrap();
    assert_eq!(
        layer,
        SettingArgs {
            prefix_file: Some(PathBuf::from("/srv/ipv6.prefix")),
            subnet_size: Some(64),
            service: Some("moby".into()),
            init: Some(InitChoice::OpenRc),
            target: Some(Target::Both),
            daemon_json: Some(PathBuf::from("/srv/daemon.json")),
            restart_timeout: Some(60),
            ..SettingArgs::default()
        }
    );
}

#[test]
fn parses_the_loss_and_hook_keys() {
    let layer = parse_text(
        "client = dhcpcd\non-loss = fallback\nfallback-prefix = fd12:3456:789a::/48\n\
         fallback-nat = never\npost-change-dir = /srv/hooks\npost-change-timeout = 5\n",
    )
    .unwrap();
    assert_eq!(layer.client, Some(Client::Dhcpcd));
    assert_eq!(layer.on_loss, Some(OnLoss::Fallback));
    assert_eq!(
        layer.fallback_prefix.unwrap().to_string(),
        "fd12:3456:789a::/48"
    );
    assert_eq!(layer.post_change_timeout, Some(5));
    assert_eq!(
        parse_text("on-loss = panic").unwrap_err(),
        "line 1: on-loss: \"panic\" is not one of keep, withdraw, fallback"
    );
    assert!(parse_text("fallback-prefix = 2001:db8::/48").is_err());
}

#[test]
fn the_last_value_of_a_key_wins() {
    let layer = parse_text("subnet-size = 64\ntarget = both\nsubnet-size = 72\n").unwrap();
    assert_eq!(layer.subnet_size, Some(72));
    assert_eq!(layer.target, Some(Target::Both));
}

#[test]
fn refuses_unknown_keys_and_bad_values_with_the_line_number() {
    let err = parse_text("subnet-size = 80\nsubnet_size = 64\n").unwrap_err();
    assert_eq!(
        err,
        "line 2: unknown key \"subnet_size\" (did you mean subnet-size?)"
    );
    let err = parse_text("\n\nbogus = 1").unwrap_err();
    assert!(
        err.starts_with("line 3: unknown key \"bogus\" (known: prefix-file, subnet-size,"),
        "{err}"
    );
    assert_eq!(
        parse_text("subnet-size = 200").unwrap_err(),
        "line 1: subnet-size: \"200\" is not a subnet size from 1 to 128"
    );
    assert_eq!(
        parse_text("prefix-file =").unwrap_err(),
        "line 1: prefix-file: needs a value"
    );
    assert!(parse_text("service = docker;reboot").is_err());
    assert!(
        parse_text("just words")
            .unwrap_err()
            .starts_with("line 1: expected")
    );
    assert!(parse_text("= 5").is_err());
    assert_eq!(
        parse(b"target = both\nservice = \xff\n").unwrap_err(),
        "line 2: not UTF-8 text"
    );
}

#[test]
fn options_that_are_not_settings_are_not_keys() {
    for line in [
        "help = 1",
        "version = 1",
        "config = /x",
        "root = /",
        "dry-run = 1",
    ] {
        let err = parse_text(line).unwrap_err();
        assert!(err.starts_with("line 1: unknown key"), "{line}: {err}");
    }
}

#[test]
fn a_long_bad_line_gives_a_short_error() {
    let long = "9".repeat(50_000);
    for text in [
        format!("subnet-size = {long}"),
        format!("{long} = 1"),
        long.clone(),
        format!("target = {long}"),
    ] {
        let err = parse_text(&text).unwrap_err();
        assert!(err.len() < 400, "{} bytes: {err:.200}", err.len());
    }
}

#[test]
fn the_environment_cannot_reach_the_file_layer() {
    assert!(file_command().get_arguments().count() >= 13);
    for arg in file_command().get_arguments() {
        assert_eq!(arg.get_env(), None, "{}", arg.get_id());
    }
}

#[test]
fn a_missing_default_file_is_empty_but_a_named_one_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("none.conf");
    assert_eq!(load(&missing, false).unwrap(), SettingArgs::default());
    assert!(load(&missing, true).is_err());
}

#[test]
fn a_file_too_large_or_not_regular_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.conf");
    std::fs::write(&big, vec![b'#'; MAX_BYTES as usize + 1]).unwrap();
    let err = load(&big, false).unwrap_err().to_string();
    assert_eq!(
        err,
        format!("reading {}: is larger than 65536 bytes", big.display())
    );
    let err = load(dir.path(), false).unwrap_err().to_string();
    assert!(err.contains("is not a regular file (a directory)"), "{err}");
}

#[test]
fn the_roots_own_file_names_files_under_the_root_and_a_named_file_as_written() {
    let root = tempfile::tempdir().unwrap();
    let text =
        "prefix-file = /etc/docker/ipv6.prefix\npost-change-dir = hooks.d\nsubnet-size = 64\n";
    let own = root.path().join("etc/docker-ipv6-pd/docker-ipv6-pd.conf");
    std::fs::create_dir_all(own.parent().unwrap()).unwrap();
    std::fs::write(&own, text).unwrap();
    let layer = load_layer(root.path(), None).unwrap();
    assert_eq!(
        layer.prefix_file,
        Some(root.path().join("etc/docker/ipv6.prefix"))
    );
    // A relative path is relative to the working directory, with or without --root.
    assert_eq!(layer.post_change_dir, Some(PathBuf::from("hooks.d")));
    assert_eq!(layer.subnet_size, Some(64));
    let named = root.path().join("named.conf");
    std::fs::write(&named, text).unwrap();
    let layer = load_layer(root.path(), Some(&named)).unwrap();
    assert_eq!(
        layer.prefix_file,
        Some(PathBuf::from("/etc/docker/ipv6.prefix"))
    );
    assert!(load_layer(root.path(), Some(&root.path().join("none"))).is_err());
    assert_eq!(
        load_layer(&root.path().join("empty"), None).unwrap(),
        SettingArgs::default()
    );
}
