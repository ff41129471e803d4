//! Differential test against the real sipcalc: for random prefixes of every length from /0
//! to /80, in every spelling, the line we write is the line the published hook wrote
//! (`sipcalc -S 80 P | grep Network | head -n 1 | awk '{print $3}'`, then `/80`), except for
//! the documented refusals, which sipcalc shows to be special addresses.

use std::cell::RefCell;
use std::io::{BufRead, BufReader};
use std::net::Ipv6Addr;
use std::process::{Command, Stdio};

use docker_ipv6_pd::event::prefix::parse_delegated;
use docker_ipv6_pd::subnet::SubnetChoice;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::util::have_tool;

/// What the published hook wrote for `prefix`: the first Network line of sipcalc's split.
/// sipcalc enumerates every /80 of the prefix, so it is stopped after the first line.
fn sipcalc_line(prefix: &str) -> String {
    let mut child = Command::new("sipcalc")
        .args(["-S", "80", prefix])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let reader = BufReader::new(child.stdout.take().unwrap());
    let mut network = String::new();
    for line in reader.lines() {
        let line = line.unwrap();
        if line.contains("Network") {
            network = line.split_whitespace().nth(2).unwrap_or("").to_string();
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    format!("{network}/80")
}

/// The ways an admin's or a server's prefix may be spelled.
#[derive(Clone, Copy, Debug)]
enum Spelling {
    Compressed,
    Expanded,
    Upper,
    LeadingZerosDropped,
}

fn spell(addr: Ipv6Addr, len: u8, spelling: Spelling) -> String {
    let s = addr.segments();
    let text = match spelling {
        Spelling::Compressed => addr.to_string(),
        Spelling::Expanded => s.map(|g| format!("{g:04x}")).join(":"),
        Spelling::Upper => addr.to_string().to_uppercase(),
        Spelling::LeadingZerosDropped => s.map(|g| format!("{g:x}")).join(":"),
    };
    format!("{text}/{len}")
}

fn is_special_subnet(line: &str) -> bool {
    // ::/80 (holds ::, ::1 and ::ffff:0:0/96), fe80::/10, ff00::/8.
    line.starts_with("0000:0000:0000:0000:0000:")
        || line.starts_with("ff")
        || ["fe8", "fe9", "fea", "feb"]
            .iter()
            .any(|p| line.starts_with(p))
}

fn is_special_address(addr: Ipv6Addr) -> bool {
    addr.is_unspecified()
        || addr.is_loopback()
        || addr.is_multicast()
        || addr.is_unicast_link_local()
        || addr.to_ipv4_mapped().is_some()
}

#[test]
fn matches_sipcalc_on_random_prefixes_of_every_length() {
    if !have_tool("sipcalc differential", "sipcalc") {
        return;
    }
    let compared = RefCell::new([0u32; 81]);
    let refused = RefCell::new([0u32; 81]);
    let strategy = (
        any::<u128>(),
        0u8..=80,
        prop_oneof![
            Just(Spelling::Compressed),
            Just(Spelling::Expanded),
            Just(Spelling::Upper),
            Just(Spelling::LeadingZerosDropped)
        ],
        // Host bits: kept as random, or cleared to the network address.
        any::<bool>(),
    );
    let mut runner = TestRunner::new(Config {
        cases: 2400,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&strategy, |(bits, len, spelling, keep_host_bits)| {
            let mask = if len == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(len))
            };
            let addr = Ipv6Addr::from(if keep_host_bits { bits } else { bits & mask });
            let prefix = spell(addr, len, spelling);
            let theirs = sipcalc_line(&prefix);
            match parse_delegated("new_ip6_prefix", prefix.as_ref(), SubnetChoice::first(80)) {
                Ok(ours) => {
                    prop_assert_eq!(ours.subnet.to_string(), theirs.clone(), "{}", prefix);
                    compared.borrow_mut()[usize::from(len)] += 1;
                }
                Err(err) => {
                    prop_assert!(
                        is_special_address(addr) || is_special_subnet(&theirs),
                        "{} refused ({}) but sipcalc gives {}",
                        prefix,
                        err,
                        theirs
                    );
                    refused.borrow_mut()[usize::from(len)] += 1;
                }
            }
            Ok(())
        })
        .unwrap();
    let (compared, refused) = (compared.into_inner(), refused.into_inner());
    let total: u32 = compared.iter().sum();
    assert!(total >= 2000, "only {total} prefixes compared");
    // /0 always masks to ::/80, which we refuse; every other length is really compared.
    assert_eq!(compared[0], 0);
    assert!(refused[0] > 0);
    for (len, count) in compared.iter().enumerate().skip(1) {
        assert!(*count >= 5, "/{len}: only {count} compared");
    }
}

#[test]
fn matches_sipcalc_on_the_published_example_and_edge_prefixes() {
    if !have_tool("sipcalc edges", "sipcalc") {
        return;
    }
    for prefix in [
        "2001:980:1234:140::/60",
        "2001:980:1234:140::/56",
        "2001:db8::/80",
        "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff/64",
        "fd00::/8",
        "fc00::/7",
        "8000::/1",
        "2000::/3",
        "2001:db8::/64",
    ] {
        let ours = parse_delegated("p", prefix.as_ref(), SubnetChoice::first(80)).unwrap();
        assert_eq!(ours.subnet.to_string(), sipcalc_line(prefix), "{prefix}");
    }
}
