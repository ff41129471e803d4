//! `doctor` under `target = nptv6` against a fixture tree (`--root`) and a fake `nft` on
//! PATH that prints a fixture ruleset: the mapping right, then each thing broken in turn.

use std::fs;
use std::process::{Command, Output};

use crate::doctor::healthy;
use crate::util::*;

/// What the hook writes to daemon.json for the healthy machine's /60 (its pools as given).
const WIRED: &str = r#"{"ip-masq": false, "allow-direct-routing": true, "ipv6": true,
"fixed-cidr-v6": "fd12:3456:789a::/64",
"default-address-pools": [{"base": "fd12:3456:789a::/60", "size": 64}]}
"#;

/// Docker's own masquerade rule, then our table mapping the lease's /60.
pub(crate) const RULESET: &str = "table ip6 nat {\n\
    \tchain POSTROUTING {\n\
    \t\ttype nat hook postrouting priority srcnat; policy accept;\n\
    \t\tip6 saddr fd12:3456:789a::/64 oifname != \"docker0\" counter packets 0 bytes 0 masquerade\n\
    \t}\n\
    }\n\
    table ip6 docker_ipv6_pd {\n\
    \tchain prerouting {\n\
    \t\ttype nat hook prerouting priority dstnat - 1; policy accept;\n\
    \t\tip6 daddr 2001:db8:0:100::/60 dnat ip6 prefix to fd12:3456:789a::/60\n\
    \t}\n\
    \tchain postrouting {\n\
    \t\ttype nat hook postrouting priority srcnat - 1; policy accept;\n\
    \t\tip6 saddr fd12:3456:789a::/60 snat ip6 prefix to 2001:db8:0:100::/60\n\
    \t}\n\
    }\n";

/// docker0 and one network of docker's, each with a link-local and a global address.
const IF_INET6: &str = "fe80000000000000000000fffe000001 05 40 20 80  docker0\n\
    fd123456789a00000000000000000001 05 40 00 80  docker0\n\
    fd123456789a00010000000000000001 07 40 00 80 br-1a2b3c4d5e6f\n\
    20010db8000000ff0000000000000002 02 40 00 80     eth0\n";

/// The healthy machine switched to `target = nptv6`, its /60 mapped as it should be.
pub(crate) fn mapped() -> Machine {
    let m = healthy();
    m.put(
        "etc/docker-ipv6-pd/docker-ipv6-pd.conf",
        b"target = nptv6\ninternal-prefix = fd12:3456:789a::/48\n",
    );
    // dockerd gets its IPv6 settings from daemon.json alone.
    fs::remove_file(m.dir.path().join("etc/default/docker")).unwrap();
    m.put("proc/200/cmdline", b"/usr/bin/dockerd\0-H\0fd://\0");
    m.put("etc/docker/daemon.json", WIRED.as_bytes());
    m.put(
        "run/docker-ipv6-pd/mapping",
        b"2001:db8:0:100::/60 fd12:3456:789a::/60\n",
    );
    m.put("proc/net/if_inet6", IF_INET6.as_bytes());
    m.put("usr/sbin/nft", b"");
    m.put("ruleset", RULESET.as_bytes());
    write_executable(
        &m.fake_bin.join("nft"),
        &format!(
            "#!/bin/sh\n[ \"$*\" = 'list ruleset' ] || exit 9\ncat {}\n",
            m.dir.path().join("ruleset").display()
        ),
    );
    m
}

/// Runs the binary on `m` with `args`, the fake nft first on PATH.
pub(crate) fn run_with_nft(m: &Machine, args: &[&str]) -> Output {
    Command::new(BIN)
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", m.fake_bin.display()))
        .arg("--root")
        .arg(m.dir.path())
        .args(args)
        .output()
        .unwrap()
}

fn doctor(m: &Machine) -> (Option<i32>, String) {
    let out = run_with_nft(m, &["doctor"]);
    (out.status.code(), stdout(&out))
}

/// The line after the one that starts with `verdict` and holds `message`.
fn finding(report: &str, verdict: &str, message: &str) -> (String, String) {
    let lines: Vec<&str> = report.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with(verdict) && l.contains(message))
        .unwrap_or_else(|| panic!("no {verdict} {message:?} in:\n{report}"));
    (
        lines[at].to_string(),
        lines.get(at + 1).unwrap_or(&"").to_string(),
    )
}

#[test]
fn a_machine_mapped_as_delegated_has_no_problem() {
    let m = mapped();
    let (code, report) = doctor(&m);
    assert_eq!(code, Some(0), "{report}");
    for expected in [
        "ok       net.ipv6.conf.all.forwarding=1",
        "gives default-bridge containers sequential addresses in the /64\n",
        "ok       nft table ip6 docker_ipv6_pd maps 2001:db8:0:100::/60 onto fd12:3456:789a::/60, as delegated\n",
        "ok       no other nft rule translates the delegated prefix\n",
        "ok       /etc/docker/daemon.json wires docker onto fd12:3456:789a::/60: docker0 on fd12:3456:789a::/64, new networks from a pool of /64s\n",
        "ok       docker0 has fd12:3456:789a::/64, mapped to 2001:db8:0:100::/64\n",
        "ok       br-1a2b3c4d5e6f has fd12:3456:789a:1::/64, mapped to 2001:db8:0:101::/64\n",
    ] {
        assert!(
            report.contains(expected),
            "missing {expected:?} in:\n{report}"
        );
    }
}

#[test]
fn a_flushed_ruleset_is_found_and_left_to_the_next_event() {
    let m = mapped();
    m.put(
        "ruleset",
        RULESET
            .split("table ip6 docker_ipv6_pd")
            .next()
            .unwrap()
            .as_bytes(),
    );
    let (code, report) = doctor(&m);
    assert_eq!(code, Some(5), "{report}");
    let (_, fix) = finding(
        &report,
        "problem",
        "nft table ip6 docker_ipv6_pd is missing",
    );
    assert!(
        fix.contains("fix: nothing: the next DHCPv6 event of the prefix, a renewal too,")
            && !fix.contains("rm "),
        "{fix}"
    );
}

#[test]
fn a_renumbering_the_table_missed_is_a_problem() {
    let m = mapped();
    let lease = fs::read_to_string(m.dir.path().join("var/lib/dhcp/dhclient6.leases")).unwrap();
    m.put(
        "var/lib/dhcp/dhclient6.leases",
        lease
            .replace("2001:db8:0:100::/60", "2001:db8:0:200::/60")
            .as_bytes(),
    );
    let (code, report) = doctor(&m);
    assert_eq!(code, Some(5), "{report}");
    finding(
        &report,
        "problem",
        "maps 2001:db8:0:100::/60 onto fd12:3456:789a::/60, but 2001:db8:0:200::/60 is delegated",
    );
    finding(
        &report,
        "ok",
        "docker0 has fd12:3456:789a::/64, mapped to 2001:db8:0:200::/64",
    );
}

#[test]
fn without_nft_the_mapping_cannot_be_applied() {
    let m = mapped();
    fs::remove_file(m.dir.path().join("usr/sbin/nft")).unwrap();
    let (code, report) = doctor(&m);
    assert_eq!(code, Some(5), "{report}");
    let (_, fix) = finding(&report, "problem", "nft is not installed");
    assert!(fix.contains("apt-get install nftables"), "{fix}");
    // nft is not asked for a ruleset it cannot give.
    assert!(!report.contains("nft table"), "{report}");
}

#[test]
fn a_failing_nft_is_a_warning() {
    let m = mapped();
    write_executable(
        &m.fake_bin.join("nft"),
        "#!/bin/sh\necho 'Error: Operation not permitted' >&2\nexit 1\n",
    );
    let (code, report) = doctor(&m);
    assert_eq!(code, Some(0), "{report}");
    finding(
        &report,
        "warning",
        "cannot list nft's ruleset: nft list ruleset failed (exit status: 1): Error: Operation not permitted",
    );
}

#[test]
fn another_nat_of_the_prefix_and_a_bridge_outside_the_mapped_part_are_problems() {
    let m = mapped();
    m.put(
        "ruleset",
        format!(
            "{RULESET}table ip6 legacy {{\n\tchain post {{\n\t\tip6 saddr 2001:db8:0:100::/64 masquerade\n\t}}\n}}\n"
        )
        .as_bytes(),
    );
    m.put(
        "proc/net/if_inet6",
        format!("{IF_INET6}fd990000000000000000000000000001 09 40 00 80 br-99\n").as_bytes(),
    );
    let (code, report) = doctor(&m);
    assert_eq!(code, Some(5), "{report}");
    finding(
        &report,
        "problem",
        "table ip6 legacy translates the delegated prefix too: ip6 saddr 2001:db8:0:100::/64 masquerade",
    );
    let (_, fix) = finding(
        &report,
        "problem",
        "br-99 has fd99::/64, outside fd12:3456:789a::/60",
    );
    assert!(
        fix.contains("docker network create --ipv6 --subnet"),
        "{fix}"
    );
}

#[test]
fn daemon_json_not_yet_wired_is_a_warning() {
    let m = mapped();
    m.put(
        "etc/docker/daemon.json",
        b"{\"ip-masq\": false, \"allow-direct-routing\": true}\n",
    );
    let (_, report) = doctor(&m);
    finding(
        &report,
        "warning",
        "/etc/docker/daemon.json does not wire docker onto fd12:3456:789a::/60 yet",
    );
}
