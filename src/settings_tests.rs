//! Unit tests of the settings: defaults, precedence, and the values each setting refuses.

use super::*;

#[test]
fn validators_refuse_what_would_be_unsafe_or_meaningless() {
    assert_eq!(parse_subnet_size("80"), Ok(80));
    assert!(parse_subnet_size("0").is_err());
    assert!(parse_subnet_size("129").is_err());
    assert!(parse_subnet_size("eighty").is_err());
    assert_eq!(parse_subnet_id("0"), Ok(0));
    assert_eq!(parse_subnet_id("18446744073709551615"), Ok(u64::MAX));
    assert!(parse_subnet_id("18446744073709551616").is_err());
    assert!(parse_subnet_id("-1").is_err());
    assert!(parse_subnet_id("0x1").is_err());
    assert!(parse_subnet_id("").is_err());
    assert_eq!(parse_service("docker"), Ok("docker".into()));
    assert!(parse_service("snap.docker.dockerd").is_ok());
    assert!(parse_service("--now").is_err());
    assert!(parse_service("docker; reboot").is_err());
    assert!(parse_service("").is_err());
    assert_eq!(
        parse_fallback_prefix("fd12:3456:789a::1/48")
            .unwrap()
            .to_string(),
        "fd12:3456:789a::/48"
    );
    assert!(parse_fallback_prefix("2001:db8::/48").is_err());
    assert!(parse_timeout("0").is_err());
    assert!(parse_timeout("3601").is_err());
    assert_eq!(parse_timeout("5"), Ok(5));
}

#[test]
fn choices_are_spelled_as_their_options_take_them() {
    assert_eq!(
        InitChoice::from_str("openrc", false),
        Ok(InitChoice::OpenRc)
    );
    assert!(InitChoice::from_str("open-rc", false).is_err());
    assert_eq!(Target::parse("prefix-file"), Ok(Target::PrefixFile));
    assert_eq!(
        Client::parse("udhcpc"),
        Err("\"udhcpc\" is not one of auto, dhclient, dhcpcd, networkd, networkmanager".into())
    );
    assert_eq!(
        FallbackNat::from_str("never", false),
        Ok(FallbackNat::Never)
    );
}

#[test]
fn switches_take_what_admins_write() {
    for yes in ["1", "yes", "YES", "true", "True", "on"] {
        assert_eq!(parse_switch(yes), Ok(true), "{yes}");
    }
    for no in ["0", "no", "False", "off", "OFF", ""] {
        assert_eq!(parse_switch(no), Ok(false), "{no}");
    }
    assert!(parse_switch("2").is_err());
    assert!(parse_switch("yess").is_err());
}

#[test]
fn an_excerpt_keeps_an_error_line_short() {
    assert_eq!(excerpt("abc"), "\"abc\"");
    let long = "x".repeat(100_000);
    let cut = excerpt(&long);
    assert!(cut.len() < 100, "{cut}");
    assert!(cut.ends_with("... (100000 bytes)"), "{cut}");
    assert!(parse_subnet_size(&long).unwrap_err().len() < 150);
    // Cut on a character boundary, not inside one.
    assert!(excerpt(&"é".repeat(100)).contains("é\"..."));
}

#[test]
fn target_names_and_the_files_each_writes() {
    assert_eq!(
        Target::parse("both").unwrap().files(),
        [FileKind::PrefixFile, FileKind::DaemonJson]
    );
    assert_eq!(Target::parse("daemon-json"), Ok(Target::DaemonJson));
    assert!(Target::parse("json").is_err());
}

#[test]
fn a_hook_run_under_root_must_name_the_files_it_writes() {
    let settings = |root: &str, target: Target, dry_run: bool| Settings {
        prefix_file: under_root(Path::new(root), Path::new(DEFAULT_PREFIX_FILE)),
        subnet_size: DEFAULT_SUBNET_SIZE,
        subnet_id: 0,
        service: DEFAULT_SERVICE.into(),
        init: InitChoice::Auto,
        target,
        daemon_json: under_root(Path::new(root), Path::new(DEFAULT_DAEMON_JSON)),
        client: Client::Auto,
        on_loss: OnLoss::Keep,
        fallback_prefix: None,
        fallback_nat: FallbackNat::Auto,
        internal_prefix: None,
        post_change_dir: DEFAULT_POST_CHANGE_DIR.into(),
        post_change_timeout: DEFAULT_POST_CHANGE_TIMEOUT,
        restart_timeout: DEFAULT_RESTART_TIMEOUT,
        root: root.into(),
        dry_run,
    };
    let none = |_| false;
    let prefix_only = |kind| kind == FileKind::PrefixFile;
    assert_eq!(
        refuse_unnamed_files_under_root(&settings("/mnt", Target::PrefixFile, false), none),
        Err(
            "--root /mnt without --dry-run would write /mnt/etc/docker/ipv6.prefix and \
             restart this machine's docker: add --dry-run, or name the file with --prefix-file"
                .to_string()
        )
    );
    let both = settings("/mnt", Target::Both, false);
    let refused = refuse_unnamed_files_under_root(&both, prefix_only).unwrap_err();
    assert!(refused.ends_with("with --daemon-json"), "{refused}");
    assert!(refuse_unnamed_files_under_root(&both, |_| true).is_ok());
    assert!(refuse_unnamed_files_under_root(&settings("/mnt", Target::Both, true), none).is_ok());
    for system in ["/", "//"] {
        assert!(
            refuse_unnamed_files_under_root(&settings(system, Target::Both, false), none).is_ok()
        );
    }
}

#[test]
fn a_subnet_id_is_refused_with_a_size_under_64_and_with_nptv6() {
    let mut settings = crate::cli::merge(Default::default(), Default::default(), "/".into(), false);
    settings.subnet_id = 1;
    assert_eq!(refuse_subnet_id_misfits(&settings), Ok(()));
    settings.subnet_size = 63;
    assert!(
        refuse_subnet_id_misfits(&settings)
            .unwrap_err()
            .ends_with("needs a subnet-size of 64 or more, not 63")
    );
    settings.subnet_size = 64;
    settings.target = Target::Nptv6;
    assert!(
        refuse_subnet_id_misfits(&settings)
            .unwrap_err()
            .starts_with("subnet-id 1 does not apply to target = nptv6")
    );
    settings.subnet_id = 0;
    settings.subnet_size = 8;
    assert_eq!(refuse_subnet_id_misfits(&settings), Ok(()));
}
