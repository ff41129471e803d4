//! Hostile, malformed and impossible lease values: a one-line error naming the variable and
//! value, exit status 3, the prefix file byte for byte as it was, and no restart.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use crate::util::*;

/// A file that is not what we would write, to show it is left exactly as it was.
const ODD_FILE: &[u8] = b"2001:db8:0:200::/80\n# hand-edited\n";

fn assert_refused(var: &str, value: OsString, shown: &str) {
    let m = Machine::new();
    m.set_file(ODD_FILE);
    let mut cmd = m.command();
    cmd.env("reason", "BOUND6")
        .env("new_ip6_prefix", "2001:db8:0:100::/60");
    cmd.env(var, &value);
    let out = cmd.output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{var}={value:?}: {err}");
    assert_eq!(err.lines().count(), 1, "not one line: {err}");
    assert!(
        err.contains(&format!("{var}={shown}")),
        "error does not name {var} and {shown}: {err}"
    );
    assert_eq!(std::fs::read(&m.prefix_file).unwrap(), ODD_FILE);
    assert!(m.restarts().is_empty());
    assert!(m.strays().is_empty());
}

fn refused(var: &str, value: &str) {
    assert_refused(
        var,
        value.into(),
        &format!("\"{}\"", value.replace('"', "\\\"")),
    );
}

#[test]
fn garbage_and_wrong_families() {
    for value in [
        "garbage",
        "/80",
        "-/80",
        "10.0.0.0/8",
        "192.0.2.1",
        "2001:db8::",
        "::/",
        "1/1",
    ] {
        refused("new_ip6_prefix", value);
    }
}

#[test]
fn too_long_for_the_subnet_or_out_of_range_lengths() {
    for value in [
        "2001:db8::/96",
        "2001:db8::/81",
        "2001:db8::/129",
        "2001:db8::/4294967376",
    ] {
        refused("new_ip6_prefix", value);
    }
}

#[test]
fn special_addresses() {
    for value in [
        "ff02::/60",
        "fe80::/60",
        "::1/60",
        "::/60",
        "::ffff:192.0.2.0/64",
        "2001:db8::1/0",
    ] {
        refused("new_ip6_prefix", value);
    }
}

#[test]
fn zone_ids_whitespace_and_shell_metacharacters() {
    for value in [
        "fe80::1%eth0/64",
        "2001:db8::%eth0/60",
        " 2001:db8::/60",
        "2001:db8::/60 ",
        "2001:db8::/60 2001:db8:1::/60",
        "2001:db8::/60;reboot",
        "$(reboot)",
        "`reboot`",
        "2001:db8::/60|rm",
        "2001:db8::/60\"",
    ] {
        refused("new_ip6_prefix", value);
    }
    assert_refused(
        "new_ip6_prefix",
        "2001:db8::/60\nrm -rf /".into(),
        "\"2001:db8::/60\\x0arm -rf /\"",
    );
}

#[test]
fn huge_values_are_refused_and_shown_short() {
    let huge = "2001:db8::".to_string() + &"1".repeat(100_000) + "/60";
    let m = Machine::new();
    let out = m.hook_run(&[("new_ip6_prefix", &huge)]);
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    assert!(err.len() < 400, "error not shortened: {} bytes", err.len());
    assert!(err.contains("(100013 bytes in all)"), "{err}");
    assert_eq!(m.file(), None);
    assert!(m.restarts().is_empty());
    assert!(m.strays().is_empty());
}

#[test]
fn bytes_that_are_not_utf8() {
    let value = OsString::from_vec(b"2001:db8::\xff\xfe/60".to_vec());
    assert_refused("new_ip6_prefix", value, "\"2001:db8::\\xff\\xfe/60\"");
}

#[test]
fn the_other_lease_variables_are_checked_too() {
    refused("old_ip6_prefix", "not-a-prefix");
    refused("new_max_life", "-1");
    refused("new_preferred_life", "forever");
}
