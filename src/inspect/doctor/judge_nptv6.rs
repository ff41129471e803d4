//! Doctor's verdicts on `target = nptv6`: nft is there, our table maps what the lease
//! delegates, daemon.json wires docker onto the mapped part, every docker bridge lies in
//! that part, and nothing else translates the delegated prefix. Pure, like `judge`.

use ipnet::Ipv6Net;

use crate::inspect::doctor::Report;
use crate::inspect::doctor::facts::{Facts, Nptv6Facts};
use crate::inspect::doctor::judge_dhcp::rerun_event;
use crate::inspect::doctor::ruleset::{OurTable, foreign_nat, our_table};
use crate::inspect::nptv6::{BridgeSubnet, lease_mapping, public_subnet};
use crate::inspect::read::Found;
use crate::plan::daemon_json::DaemonJson;
use crate::plan::nptv6::{Mapping, MappingRefused, TABLE};

/// Judges the mapping of `target = nptv6`; nothing for the other targets.
pub fn mapping(facts: &Facts, report: &mut Report) {
    let Some(nptv6) = &facts.nptv6 else {
        return;
    };
    let expected = expected(facts, nptv6, report);
    table(facts, nptv6, expected, report);
    wiring(facts, nptv6, expected, report);
    bridges(nptv6, expected, report);
}

/// The mapping there should be: the lease's, else (dhcpcd, whose leases are not read) the
/// one the hook recorded as applied.
fn expected(facts: &Facts, nptv6: &Nptv6Facts, report: &mut Report) -> Option<Mapping> {
    match lease_mapping(&facts.leases, nptv6.internal, nptv6.applied) {
        Some(Ok(mapping)) => Some(mapping),
        Some(Err(refused)) => {
            let fix = match refused {
                MappingRefused::DelegatedTooLong(_) => {
                    "ask the router for a /64 or shorter, or choose another target".to_string()
                }
                MappingRefused::InternalTooLong { needed, .. } => format!(
                    "set internal-prefix to a /{needed} or shorter in /etc/docker-ipv6-pd/docker-ipv6-pd.conf"
                ),
            };
            report.problem(
                format!("the delegated prefix cannot be mapped: {refused}"),
                fix,
            );
            None
        }
        None => nptv6.applied,
    }
}

/// How to have the hook apply the mapping again: it runs no nft while its record says the
/// mapping is in place.
fn reapply(record: &str, rerun: &str) -> String {
    format!(
        "rm {record}, then let a DHCPv6 event apply the mapping again ({rerun}); a firewall \
         reload that flushes the whole ruleset (systemctl restart nftables) removes our table"
    )
}

/// What to do about a missing table: nothing, since every event of the prefix, a renewal too,
/// finds the table gone and applies the mapping again.
fn healed_by_next_event(rerun: &str) -> String {
    format!(
        "nothing: the next DHCPv6 event of the prefix, a renewal too, applies the mapping again \
         (a firewall reload that flushes the whole ruleset, such as systemctl restart nftables, \
         removes our table); to apply it now: {rerun}"
    )
}

/// nft installed, our table against the lease, and other tables' NAT of the prefix.
fn table(facts: &Facts, nptv6: &Nptv6Facts, expected: Option<Mapping>, report: &mut Report) {
    if !nptv6.nft_installed {
        report.problem(
            "nft is not installed: the hook cannot map the delegated prefix onto docker's",
            "apt-get install nftables",
        );
        return;
    }
    let ruleset = match &nptv6.ruleset {
        Some(Ok(ruleset)) => ruleset,
        Some(Err(why)) => {
            report.warning(
                format!("cannot list nft's ruleset: {why}"),
                Some("run doctor as root".into()),
            );
            return;
        }
        None => return,
    };
    let shown = format!("nft table ip6 {TABLE}");
    let rerun = rerun_event(&facts.dhcp);
    let fix = reapply(&nptv6.record, rerun);
    match (our_table(ruleset), expected) {
        (OurTable::Maps(found), Some(wanted)) if found == wanted => report.ok(format!(
            "{shown} maps {} onto {}, as delegated",
            found.public, found.mapped
        )),
        (OurTable::Maps(found), Some(wanted)) => report.problem(
            format!(
                "{shown} maps {} onto {}, but {} is delegated (onto {})",
                found.public, found.mapped, wanted.public, wanted.mapped
            ),
            fix,
        ),
        (OurTable::Maps(found), None) => report.warning(
            format!(
                "{shown} maps {} onto {}, but no live lease holds {}",
                found.public, found.mapped, found.public
            ),
            Some(format!(
                "nothing, if on-loss = keep left it for the prefix to come back; else nft delete table ip6 {TABLE}"
            )),
        ),
        (OurTable::Absent, Some(wanted)) => report.problem(
            format!(
                "{shown} is missing: {} is not mapped onto {}, so containers have no public IPv6",
                wanted.public, wanted.mapped
            ),
            healed_by_next_event(rerun),
        ),
        (OurTable::Absent, None) => {
            report.ok(format!("no {shown}: no prefix is delegated to map"))
        }
        (OurTable::Garbled, _) => report.problem(
            format!("{shown} has no dnat and snat rule that map the same prefixes"),
            fix,
        ),
    }
    foreign(facts, expected, ruleset, report);
}

/// Other tables' NAT rules that name the delegated prefix: whichever binds first wins.
fn foreign(facts: &Facts, expected: Option<Mapping>, ruleset: &str, report: &mut Report) {
    let mut delegated: Vec<Ipv6Net> = facts
        .leases
        .prefixes
        .iter()
        .filter(|(_, lease)| lease.max_life != Some(0))
        .map(|(_, lease)| lease.prefix.trunc())
        .collect();
    delegated.extend(expected.map(|m| m.public));
    if delegated.is_empty() {
        return;
    }
    let found = foreign_nat(ruleset, &delegated);
    if found.is_empty() {
        report.ok("no other nft rule translates the delegated prefix");
    }
    for nat in found {
        report.problem(
            format!(
                "table {} translates the delegated prefix too: {}",
                nat.table, nat.rule
            ),
            "remove that rule: of two translations the first to bind a connection wins (ours run just before docker's, at dstnat - 1 and srcnat - 1)",
        );
    }
}

/// daemon.json against the wiring the mapped part calls for.
fn wiring(facts: &Facts, nptv6: &Nptv6Facts, expected: Option<Mapping>, report: &mut Report) {
    let Some(wanted) = expected else {
        return;
    };
    let empty = DaemonJson::default();
    let json = match &facts.daemon_json {
        Found::Read(Ok(json)) => json,
        Found::Missing => &empty,
        // Reported with the rest of docker's wiring.
        Found::Read(Err(_)) | Found::Unreadable(_) => return,
    };
    let shown = &facts.setup.daemon_json;
    if json.is_wired_for_nptv6(nptv6.internal, wanted.mapped) {
        report.ok(format!(
            "{shown} wires docker onto {}: docker0 on {}, new networks from a pool of /64s",
            wanted.mapped,
            wanted.docker_subnet()
        ));
    } else {
        report.warning(
            format!(
                "{shown} does not wire docker onto {} yet: the next DHCPv6 event writes it and restarts docker once",
                wanted.mapped
            ),
            None,
        );
    }
}

/// Each docker bridge's subnet against the mapped part (the internal prefix while nothing
/// is mapped).
fn bridges(nptv6: &Nptv6Facts, expected: Option<Mapping>, report: &mut Report) {
    let bridges = match &nptv6.bridges {
        Ok(bridges) => bridges,
        Err(why) => {
            report.warning(format!("cannot read docker's bridges: {why}"), None);
            return;
        }
    };
    if bridges.is_empty() {
        report.warning(
            "no docker bridge (docker0, br-*) has a global IPv6 address: docker runs without IPv6, or does not run",
            Some("docker restarts with IPv6 once the hook wired daemon.json (at the first lease)".into()),
        );
    }
    let part = expected.map_or(nptv6.internal, |m| m.mapped);
    for bridge in bridges {
        let BridgeSubnet { interface, subnet } = bridge;
        let public = expected.and_then(|m| public_subnet(&m, *subnet));
        match public {
            Some(public) => report.ok(format!("{interface} has {subnet}, mapped to {public}")),
            None if expected.is_none() && part.contains(subnet) => report.ok(format!(
                "{interface} has {subnet}, inside the internal prefix (no prefix delegated to map it onto)"
            )),
            None => report.problem(
                format!(
                    "{interface} has {subnet}, outside {part}: nothing maps its addresses to public ones"
                ),
                bridge_fix(interface, part),
            ),
        }
    }
}

/// How to bring a bridge into `part`.
fn bridge_fix(interface: &str, part: Ipv6Net) -> String {
    if interface == "docker0" {
        let subnet = Ipv6Net::new(part.network(), 64).map_or(part, |n| n.trunc());
        return format!(
            "restart docker so docker0 takes {subnet}, the fixed-cidr-v6 the hook writes to daemon.json"
        );
    }
    format!(
        "recreate that network (docker network ls: the id after br-) with a /64 of {part}: docker network create --ipv6 --subnet <a /64 of {part}> NAME"
    )
}
