//! The judge of `target = nptv6` on facts built in code: a machine whose mapping is right,
//! then one thing changed at a time, each finding checked word for word.

use super::facts::{Facts, Nptv6Facts};
use super::judge::judge;
use super::judge_nptv6;
use super::tests::{daemon_json_target, healthy};
use super::*;
use crate::inspect::nptv6::BridgeSubnet;
use crate::inspect::read::Found;
use crate::plan::daemon_json::DaemonJson;
use crate::plan::nptv6::Mapping;

const INTERNAL: &str = "fd12:3456:789a::/48";
const P56: &str = "2001:db8:1:100::/56";
const P56_NEXT: &str = "2001:db8:2:200::/56";
const RECORD: &str = "/run/docker-ipv6-pd/mapping";

/// Docker's masquerade rule, then our table mapping [`P56`], as `nft list ruleset` prints them.
pub(crate) const RULESET: &str = "table ip6 nat {\n\
    \tchain POSTROUTING {\n\
    \t\ttype nat hook postrouting priority srcnat; policy accept;\n\
    \t\tip6 saddr fd12:3456:789a::/64 oifname != \"docker0\" counter packets 0 bytes 0 masquerade\n\
    \t}\n\
    }\n\
    table ip6 docker_ipv6_pd {\n\
    \tchain prerouting {\n\
    \t\ttype nat hook prerouting priority dstnat - 1; policy accept;\n\
    \t\tip6 daddr 2001:db8:1:100::/56 dnat ip6 prefix to fd12:3456:789a::/56\n\
    \t}\n\
    \tchain postrouting {\n\
    \t\ttype nat hook postrouting priority srcnat - 1; policy accept;\n\
    \t\tip6 saddr fd12:3456:789a::/56 snat ip6 prefix to 2001:db8:1:100::/56\n\
    \t}\n\
    }\n";

fn net(s: &str) -> ipnet::Ipv6Net {
    s.parse().unwrap()
}

fn mapping_of(prefix: &str) -> Mapping {
    Mapping::new(net(prefix), net(INTERNAL)).unwrap()
}

fn bridge(interface: &str, subnet: &str) -> BridgeSubnet {
    BridgeSubnet {
        interface: interface.into(),
        subnet: net(subnet),
    }
}

/// A machine on which `target = nptv6` maps [`P56`] as it should, with docker0 and one
/// network of docker's own.
fn mapped() -> Facts {
    let mut facts = healthy();
    let wired = DaemonJson::default().with_nptv6_wiring(net(INTERNAL), mapping_of(P56).mapped);
    daemon_json_target(&mut facts, std::str::from_utf8(&wired).unwrap());
    facts.setup.nptv6 = true;
    facts.leases.prefixes[0].1.prefix = net(P56);
    facts.nptv6 = Some(Nptv6Facts {
        internal: net(INTERNAL),
        applied: Some(mapping_of(P56)),
        record: RECORD.into(),
        nft_installed: true,
        ruleset: Some(Ok(RULESET.into())),
        bridges: Ok(vec![
            bridge("docker0", "fd12:3456:789a::/64"),
            bridge("br-1a2b3c4d5e6f", "fd12:3456:789a:1::/64"),
        ]),
    });
    facts
}

fn nptv6(facts: &mut Facts) -> &mut Nptv6Facts {
    facts.nptv6.as_mut().unwrap()
}

/// Every finding of the nptv6 judge alone: `verdict: message [fix: fix]`.
fn findings(facts: &Facts) -> Vec<String> {
    let mut report = Report::default();
    judge_nptv6::mapping(facts, &mut report);
    report
        .0
        .iter()
        .map(|f| {
            let fix = f.fix.as_ref().map(|fix| format!(" [fix: {fix}]"));
            format!("{:?}: {}{}", f.verdict, f.message, fix.unwrap_or_default())
        })
        .collect()
}

const TABLE_OK: &str = "Ok: nft table ip6 docker_ipv6_pd maps 2001:db8:1:100::/56 onto fd12:3456:789a::/56, as delegated";
const NO_FOREIGN: &str = "Ok: no other nft rule translates the delegated prefix";
const WIRED: &str = "Ok: /etc/docker/daemon.json wires docker onto fd12:3456:789a::/56: docker0 on fd12:3456:789a::/64, new networks from a pool of /64s";
const DOCKER0: &str = "Ok: docker0 has fd12:3456:789a::/64, mapped to 2001:db8:1:100::/64";
const BR: &str = "Ok: br-1a2b3c4d5e6f has fd12:3456:789a:1::/64, mapped to 2001:db8:1:101::/64";
const REAPPLY: &str = "[fix: rm /run/docker-ipv6-pd/mapping, then let a DHCPv6 event apply the mapping again (systemctl restart dhclient6-pd@IFACE); a firewall reload that flushes the whole ruleset (systemctl restart nftables) removes our table]";

#[test]
fn a_machine_mapped_as_delegated_has_no_problem() {
    let facts = mapped();
    assert_eq!(findings(&facts), [TABLE_OK, NO_FOREIGN, WIRED, DOCKER0, BR]);
    let report = judge(&facts);
    assert!(!report.has_problem(), "{report}");
    // The other targets get none of these checks.
    let mut other = mapped();
    other.nptv6 = None;
    assert!(findings(&other).is_empty());
}

#[test]
fn without_nft_nothing_can_be_mapped() {
    let mut facts = mapped();
    nptv6(&mut facts).nft_installed = false;
    nptv6(&mut facts).ruleset = None;
    assert_eq!(
        findings(&facts)[0],
        "Problem: nft is not installed: the hook cannot map the delegated prefix onto docker's [fix: apt-get install nftables]"
    );
    assert_eq!(findings(&facts)[1..], [WIRED, DOCKER0, BR]);
    nptv6(&mut facts).nft_installed = true;
    assert_eq!(findings(&facts), [WIRED, DOCKER0, BR]);
    nptv6(&mut facts).ruleset = Some(Err(
        "nft list ruleset failed: Operation not permitted".into()
    ));
    assert_eq!(
        findings(&facts)[0],
        "Warning: cannot list nft's ruleset: nft list ruleset failed: Operation not permitted [fix: run doctor as root]"
    );
}

#[test]
fn a_missing_table_is_healed_by_the_next_event_a_stale_one_by_removing_the_record() {
    let mut facts = mapped();
    nptv6(&mut facts).ruleset = Some(Ok("table ip6 nat {\n}\n".into()));
    assert_eq!(
        findings(&facts)[0],
        format!(
            "Problem: nft table ip6 docker_ipv6_pd is missing: 2001:db8:1:100::/56 is not mapped onto fd12:3456:789a::/56, so containers have no public IPv6 [fix: nothing: the next DHCPv6 event of the prefix, a renewal too, applies the mapping again (a firewall reload that flushes the whole ruleset, such as systemctl restart nftables, removes our table); to apply it now: systemctl restart dhclient6-pd@IFACE]"
        )
    );
    // Where dhclient is missing, only dhcpcd's way is offered; with both, both.
    facts.dhcp.dhclient = false;
    facts.dhcp.dhcpcd = true;
    assert!(
        findings(&facts)[0].ends_with("to apply it now: dhcpcd --rebind]"),
        "{:?}",
        findings(&facts)
    );
    facts.dhcp.dhclient = true;
    assert!(
        findings(&facts)[0].ends_with(
            "to apply it now: systemctl restart dhclient6-pd@IFACE, or dhcpcd --rebind]"
        ),
        "{:?}",
        findings(&facts)
    );
    assert_eq!(findings(&facts)[1], NO_FOREIGN);
    // Renumbered: the lease holds the next prefix, the table the old one.
    let mut facts = mapped();
    facts.leases.prefixes[0].1.prefix = net(P56_NEXT);
    nptv6(&mut facts).applied = Some(mapping_of(P56_NEXT));
    assert_eq!(
        findings(&facts)[..2],
        [
            format!(
                "Problem: nft table ip6 docker_ipv6_pd maps 2001:db8:1:100::/56 onto fd12:3456:789a::/56, but 2001:db8:2:200::/56 is delegated (onto fd12:3456:789a::/56) {REAPPLY}"
            ),
            NO_FOREIGN.to_string(),
        ]
    );
    assert_eq!(
        findings(&facts)[3],
        "Ok: docker0 has fd12:3456:789a::/64, mapped to 2001:db8:2:200::/64"
    );
    let mut facts = mapped();
    nptv6(&mut facts).ruleset = Some(Ok(RULESET.replace("snat ip6", "dnat ip6")));
    assert_eq!(
        findings(&facts)[0],
        format!(
            "Problem: nft table ip6 docker_ipv6_pd has no dnat and snat rule that map the same prefixes {REAPPLY}"
        )
    );
}

#[test]
fn with_nothing_delegated_no_table_is_right_and_a_kept_one_is_odd() {
    let mut facts = mapped();
    facts.leases.prefixes.clear();
    nptv6(&mut facts).applied = None;
    assert_eq!(
        findings(&facts),
        [
            "Warning: nft table ip6 docker_ipv6_pd maps 2001:db8:1:100::/56 onto fd12:3456:789a::/56, but no live lease holds 2001:db8:1:100::/56 [fix: nothing, if on-loss = keep left it for the prefix to come back; else nft delete table ip6 docker_ipv6_pd]",
            "Ok: docker0 has fd12:3456:789a::/64, inside the internal prefix (no prefix delegated to map it onto)",
            "Ok: br-1a2b3c4d5e6f has fd12:3456:789a:1::/64, inside the internal prefix (no prefix delegated to map it onto)",
        ]
    );
    nptv6(&mut facts).ruleset = Some(Ok(String::new()));
    assert_eq!(
        findings(&facts)[0],
        "Ok: no nft table ip6 docker_ipv6_pd: no prefix is delegated to map"
    );
    // An expired lease counts as none.
    facts.leases = mapped().leases;
    facts.leases.prefixes[0].1.max_life = Some(0);
    assert_eq!(findings(&facts).len(), 3, "{:?}", findings(&facts));
}

#[test]
fn under_dhcpcd_the_record_says_what_is_mapped() {
    let mut facts = mapped();
    facts.leases.prefixes.clear();
    assert_eq!(findings(&facts), [TABLE_OK, NO_FOREIGN, WIRED, DOCKER0, BR]);
}

#[test]
fn prefixes_that_cannot_be_mapped_are_problems_with_their_fix() {
    let mut facts = mapped();
    facts.leases.prefixes[0].1.prefix = net("2001:db8:1:100::/72");
    nptv6(&mut facts).applied = None;
    assert_eq!(
        findings(&facts)[0],
        "Problem: the delegated prefix cannot be mapped: a /72 is longer than /64: --target nptv6 needs a /64 or shorter [fix: ask the router for a /64 or shorter, or choose another target]"
    );
    let mut facts = mapped();
    nptv6(&mut facts).internal = net("fd12:3456:789a:100::/60");
    assert_eq!(
        findings(&facts)[0],
        "Problem: the delegated prefix cannot be mapped: internal-prefix fd12:3456:789a:100::/60 is longer than the /56 that the delegated prefix maps onto; use a /56 or shorter [fix: set internal-prefix to a /56 or shorter in /etc/docker-ipv6-pd/docker-ipv6-pd.conf]"
    );
}

#[test]
fn another_table_translating_the_delegated_prefix_is_a_problem() {
    let mut facts = mapped();
    let ruleset = format!(
        "{RULESET}table ip6 router {{\n\tchain pre {{\n\t\tip6 daddr 2001:db8:1:105::1 dnat to fd00::5\n\t}}\n}}\n"
    );
    nptv6(&mut facts).ruleset = Some(Ok(ruleset));
    assert_eq!(
        findings(&facts)[..2],
        [
            TABLE_OK,
            "Problem: table ip6 router translates the delegated prefix too: ip6 daddr 2001:db8:1:105::1 dnat to fd00::5 [fix: remove that rule: of two translations the first to bind a connection wins (ours run just before docker's, at dstnat - 1 and srcnat - 1)]",
        ]
    );
    // Judged against the lease alone, when no mapping is recorded.
    nptv6(&mut facts).applied = None;
    assert!(findings(&facts)[1].contains("table ip6 router"));
}

#[test]
fn daemon_json_not_wired_yet_is_wired_by_the_next_event() {
    let not_wired = "Warning: /etc/docker/daemon.json does not wire docker onto fd12:3456:789a::/56 yet: the next DHCPv6 event writes it and restarts docker once";
    let mut facts = mapped();
    daemon_json_target(
        &mut facts,
        r#"{"ipv6": true, "fixed-cidr-v6": "fd12:3456:789a::/64"}"#,
    );
    assert_eq!(findings(&facts)[2], not_wired);
    facts.daemon_json = Found::Missing;
    assert_eq!(findings(&facts)[2], not_wired);
    // daemon.json that cannot be read is reported with docker's wiring, not again here.
    facts.daemon_json = Found::Unreadable("/etc/docker/daemon.json is not a regular file".into());
    assert_eq!(findings(&facts)[2], DOCKER0);
    facts.daemon_json = Found::Read(Err("expected value at line 1".into()));
    assert_eq!(findings(&facts)[2], DOCKER0);
}

#[test]
fn bridges_outside_the_mapped_part_are_problems() {
    let mut facts = mapped();
    nptv6(&mut facts).bridges = Ok(vec![
        bridge("docker0", "2001:db8:1:100::/80"),
        bridge("br-99", "fd12:3456:789a:100::/64"),
    ]);
    assert_eq!(
        findings(&facts)[3..],
        [
            "Problem: docker0 has 2001:db8:1:100::/80, outside fd12:3456:789a::/56: nothing maps its addresses to public ones [fix: restart docker so docker0 takes fd12:3456:789a::/64, the fixed-cidr-v6 the hook writes to daemon.json]",
            "Problem: br-99 has fd12:3456:789a:100::/64, outside fd12:3456:789a::/56: nothing maps its addresses to public ones [fix: recreate that network (docker network ls: the id after br-) with a /64 of fd12:3456:789a::/56: docker network create --ipv6 --subnet <a /64 of fd12:3456:789a::/56> NAME]",
        ]
    );
    // With nothing delegated, the internal prefix is the bound.
    facts.leases.prefixes.clear();
    nptv6(&mut facts).applied = None;
    assert_eq!(
        findings(&facts)[1],
        "Problem: docker0 has 2001:db8:1:100::/80, outside fd12:3456:789a::/48: nothing maps its addresses to public ones [fix: restart docker so docker0 takes fd12:3456:789a::/64, the fixed-cidr-v6 the hook writes to daemon.json]"
    );
    nptv6(&mut facts).bridges = Ok(Vec::new());
    assert_eq!(
        findings(&facts)[1..],
        [
            "Warning: no docker bridge (docker0, br-*) has a global IPv6 address: docker runs without IPv6, or does not run [fix: docker restarts with IPv6 once the hook wired daemon.json (at the first lease)]"
        ]
    );
    nptv6(&mut facts).bridges = Err("/proc/net/if_inet6 is larger than 262144 bytes".into());
    assert_eq!(
        findings(&facts)[1..],
        ["Warning: cannot read docker's bridges: /proc/net/if_inet6 is larger than 262144 bytes"]
    );
}
