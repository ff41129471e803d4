//! `subnet-id`: docker's subnet taken from the N-th /64 of the delegated prefix, given as an
//! option, a variable or a configuration key, in every hook run; and the settings and
//! prefixes it is refused with.

use std::fs;

use crate::util::*;

const P100: &str = "2001:db8:0:100::/60";
/// The first /80 of 2001:db8:0:100::/60's /64 number 1, and number 15.
const LINE_101: &str = "2001:0db8:0000:0101:0000:0000:0000:0000/80\n";
const LINE_10F: &str = "2001:0db8:0000:010f:0000:0000:0000:0000/80\n";

/// One dhclient BOUND6 of `prefix` on `m`, with `extra` lease or setting variables.
fn bound(m: &Machine, prefix: &str, extra: &[(&str, &str)]) -> std::process::Output {
    let mut vars = vec![
        ("reason", "BOUND6"),
        ("new_ip6_prefix", prefix),
        ("new_max_life", "3600"),
        ("new_preferred_life", "1800"),
    ];
    vars.extend_from_slice(extra);
    m.hook_run(&vars)
}

#[test]
fn a_bound6_with_subnet_id_1_writes_the_first_80_of_the_second_64() {
    let m = Machine::new();
    let out = ok(bound(&m, P100, &[("DOCKER_IPV6_PD_SUBNET_ID", "1")]));
    assert_eq!(m.file().as_deref(), Some(LINE_101));
    assert_eq!(
        m.restarts(),
        [format!("service docker restart | {}", LINE_101.trim())],
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_configuration_key_and_the_option_give_the_id_and_the_option_wins() {
    let m = Machine::new();
    fs::write(&m.config, "subnet-id = 15\n").unwrap();
    ok(bound(&m, P100, &[]));
    assert_eq!(m.file().as_deref(), Some(LINE_10F));
    let out = m
        .command()
        .args(["--subnet-id", "1"])
        .envs([("reason", "RENEW6"), ("new_ip6_prefix", P100)])
        .env("old_ip6_prefix", P100)
        .output()
        .unwrap();
    ok(out);
    // The same prefix renewed, with another /64 asked for: the file moves there, and as for
    // any renewal docker is not restarted (doctor tells it runs with the old subnet).
    assert_eq!(m.file().as_deref(), Some(LINE_101));
    assert_eq!(m.restarts().len(), 1);
}

#[test]
fn the_subnet_command_and_the_dry_run_show_the_subnet_of_the_id() {
    let m = Machine::new();
    let out = ok(m
        .command()
        .args(["subnet", P100, "--subnet-id", "15"])
        .output()
        .unwrap());
    assert_eq!(stdout(&out), LINE_10F);
    let out = ok(m
        .command()
        .args(["--dry-run", "--subnet-id", "1"])
        .env("new_ip6_prefix", P100)
        .output()
        .unwrap());
    let text = stdout(&out);
    assert!(
        text.contains(&format!("would write {}", LINE_101.trim())),
        "{text}"
    );
    assert_eq!(m.file(), None);
}

#[test]
fn dhcpcd_and_networkmanager_runs_take_the_id_too() {
    let m = Machine::new();
    fs::write(&m.config, "subnet-id = 1\n").unwrap();
    ok(m.hook_run(&[
        ("reason", "BOUND6"),
        ("new_dhcp6_ia_pd1_prefix1", "2001:db8:0:100::"),
        ("new_dhcp6_ia_pd1_prefix1_length", "60"),
        ("new_dhcp6_ia_pd1_prefix1_vltime", "3600"),
        ("new_dhcp6_ia_pd1_prefix1_pltime", "1800"),
    ]));
    assert_eq!(m.file().as_deref(), Some(LINE_101));
    let m = Machine::new();
    fs::write(&m.config, "subnet-id = 15\n").unwrap();
    ok(m.hook_run(&[
        ("DOCKER_IPV6_PD_CLIENT", "networkmanager"),
        ("DISPATCHER_INTERFACE", "wan0"),
        ("DISPATCHER_ACTION", "up"),
        ("DHCP6_IP6_PREFIX", P100),
    ]));
    assert_eq!(m.file().as_deref(), Some(LINE_10F));
}

#[test]
fn a_prefix_without_that_64_is_refused_and_nothing_changes() {
    let m = Machine::new();
    let id = [("DOCKER_IPV6_PD_SUBNET_ID", "1")];
    ok(bound(&m, P100, &id));
    let before = fs::read(&m.prefix_file).unwrap();
    for (prefix, id, problem) in [
        ("2001:db8:0:200::/64", "1", "a /64 is a single /64"),
        ("2001:db8:0:200::/72", "1", "a /72 holds no /64"),
        (
            "2001:db8:0:200::/60",
            "16",
            "a /60 holds /64s number 0 to 15, not number 16 (--subnet-id)",
        ),
    ] {
        let out = bound(&m, prefix, &[("DOCKER_IPV6_PD_SUBNET_ID", id)]);
        assert_fails(&out, 3, &format!("new_ip6_prefix=\"{prefix}\": {problem}"));
        assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
        assert_eq!(fs::read(&m.prefix_file).unwrap(), before);
        assert_eq!(m.restarts().len(), 1);
    }
}

#[test]
fn an_id_with_a_subnet_shorter_than_64_is_a_configuration_error() {
    let m = Machine::new();
    fs::write(&m.config, "subnet-id = 1\nsubnet-size = 56\n").unwrap();
    let out = bound(&m, P100, &[]);
    assert_fails(
        &out,
        2,
        "subnet-id 1 takes a subnet inside one /64, so it needs a subnet-size of 64 or more, not 56",
    );
    assert_eq!(m.file(), None);
    assert!(m.restarts().is_empty());
    // Id 0 takes any size, as before.
    fs::write(&m.config, "subnet-id = 0\nsubnet-size = 56\n").unwrap();
    ok(bound(&m, "2001:db8:1::/48", &[]));
    assert_eq!(
        m.file().as_deref(),
        Some("2001:0db8:0001:0000:0000:0000:0000:0000/56\n")
    );
}

#[test]
fn an_id_with_target_nptv6_is_a_configuration_error() {
    let m = Machine::new();
    let config = format!(
        "target = nptv6\ndaemon-json = {}\nsubnet-id = 1\n",
        m.daemon_json().display()
    );
    fs::write(&m.config, config).unwrap();
    let out = bound(&m, P100, &[]);
    assert_fails(
        &out,
        2,
        "subnet-id 1 does not apply to target = nptv6, which maps the whole delegated prefix",
    );
    assert!(!m.daemon_json().exists());
    assert!(m.restarts().is_empty());
}

#[test]
fn an_id_that_is_not_a_number_or_beyond_64_bits_is_refused() {
    let m = Machine::new();
    let out = bound(&m, P100, &[("DOCKER_IPV6_PD_SUBNET_ID", "one")]);
    assert_fails(&out, 2, "\"one\" is not a subnet id from 0 to");
    assert!(stderr(&out).contains("DOCKER_IPV6_PD_SUBNET_ID"));
    fs::write(&m.config, "subnet-id = 18446744073709551616\n").unwrap();
    let out = bound(&m, P100, &[]);
    assert_fails(
        &out,
        2,
        "line 1: subnet-id: \"18446744073709551616\" is not a subnet id",
    );
    fs::write(&m.config, "").unwrap();
    let out = bound(&m, P100, &[("DOCKER_IPV6_PD_SUBNET_ID", "-1")]);
    assert_fails(&out, 2, "is not a subnet id");
    assert_eq!(m.file(), None);
    assert!(m.restarts().is_empty());
}

#[test]
fn the_man_page_lists_the_option_and_says_when_networkmanager_needs_it() {
    let m = Machine::new();
    let page = stdout(&ok(m.command().arg("man").output().unwrap()));
    assert!(page.contains("\\fB\\-\\-subnet\\-id\\fR"), "{page}");
    assert!(page.contains("DOCKER_IPV6_PD_SUBNET_ID"), "{page}");
    assert!(page.contains("set subnet\\-id = 1"), "{page}");
}
