//! Reading `nft list ruleset` for doctor: the mapping our own table holds, and the NAT rules
//! of every other table that name the delegated prefix. Pure, on the listing's text.

use std::net::Ipv6Addr;

use ipnet::Ipv6Net;

use crate::plan::nptv6::{Mapping, TABLE};

/// What our table holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OurTable {
    /// The ruleset has no table of ours.
    Absent,
    /// It maps `public` onto `mapped` both ways (the dnat and the snat rule agree).
    Maps(Mapping),
    /// It is there, but without a dnat and a snat rule that agree.
    Garbled,
}

/// One NAT rule outside our table that names the delegated prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForeignNat {
    /// Its table, as nft names it: `ip6 nat`.
    pub table: String,
    /// The rule, trimmed.
    pub rule: String,
}

/// The words that make a rule translate addresses (nft's, and iptables' targets in
/// `xt target "MASQUERADE"` or `ip6tables-save` form).
const NAT_WORDS: [&str; 5] = ["snat", "dnat", "masquerade", "netmap", "redirect"];

/// Each table of the listing: its name (`ip6 nat`) and its lines.
fn tables(ruleset: &str) -> Vec<(String, Vec<&str>)> {
    let mut tables: Vec<(String, Vec<&str>)> = Vec::new();
    for line in ruleset.lines() {
        if let Some(header) = line.strip_prefix("table ") {
            let name: Vec<&str> = header.split_whitespace().filter(|w| *w != "{").collect();
            tables.push((name.join(" "), Vec::new()));
        } else if let Some((_, lines)) = tables.last_mut() {
            lines.push(line);
        }
    }
    tables
}

/// The words of a rule, with nft's set and list punctuation taken off.
fn words(line: &str) -> Vec<&str> {
    line.split(|c: char| c.is_whitespace() || "{},;\"".contains(c))
        .filter(|w| !w.is_empty())
        .collect()
}

/// A word as an IPv6 network: `2001:db8::/56`, or an address as a /128.
fn as_net(word: &str) -> Option<Ipv6Net> {
    word.parse::<Ipv6Net>()
        .ok()
        .or_else(|| word.parse::<Ipv6Addr>().ok().map(Ipv6Net::from))
}

/// The first network after the word `keyword`.
fn net_after(words: &[&str], keyword: &str) -> Option<Ipv6Net> {
    let mut after = words.iter().skip_while(|w| **w != keyword).skip(1);
    after.find_map(|w| as_net(w))
}

/// The (match, target) networks of our table's rule that does `nat` (`dnat`, `snat`) on
/// `side` (`daddr`, `saddr`).
fn translation(lines: &[&str], nat: &str, side: &str) -> Option<(Ipv6Net, Ipv6Net)> {
    lines.iter().find_map(|line| {
        let words = words(line);
        if !words.contains(&nat) {
            return None;
        }
        Some((net_after(&words, side)?, net_after(&words, "to")?))
    })
}

/// What our table holds in `ruleset`.
pub fn our_table(ruleset: &str) -> OurTable {
    let ours = format!("ip6 {TABLE}");
    let Some((_, lines)) = tables(ruleset).into_iter().find(|(name, _)| *name == ours) else {
        return OurTable::Absent;
    };
    let dnat = translation(&lines, "dnat", "daddr");
    let snat = translation(&lines, "snat", "saddr");
    match (dnat, snat) {
        (Some((public, mapped)), Some((from, to))) if from == mapped && to == public => {
            OurTable::Maps(Mapping { public, mapped })
        }
        _ => OurTable::Garbled,
    }
}

/// The NAT rules outside our table that name an address in or around one of `prefixes`.
pub fn foreign_nat(ruleset: &str, prefixes: &[Ipv6Net]) -> Vec<ForeignNat> {
    let ours = format!("ip6 {TABLE}");
    let overlaps = |net: Ipv6Net| prefixes.iter().any(|p| p.contains(&net) || net.contains(p));
    let mut found = Vec::new();
    for (table, lines) in tables(ruleset) {
        if table == ours {
            continue;
        }
        for line in lines {
            let lower = line.to_ascii_lowercase();
            let words = words(&lower);
            let translates = words.iter().any(|w| NAT_WORDS.contains(w));
            if translates && words.iter().filter_map(|w| as_net(w)).any(overlaps) {
                found.push(ForeignNat {
                    table: table.clone(),
                    rule: line.trim().to_string(),
                });
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::doctor::tests_nptv6::RULESET;

    fn net(s: &str) -> Ipv6Net {
        s.parse().unwrap()
    }

    #[test]
    fn our_table_s_mapping_is_read_from_both_rules() {
        assert_eq!(
            our_table(RULESET),
            OurTable::Maps(Mapping {
                public: net("2001:db8:1:100::/56"),
                mapped: net("fd12:3456:789a::/56"),
            })
        );
        assert_eq!(our_table("table ip6 nat {\n}\n"), OurTable::Absent);
        assert_eq!(our_table(""), OurTable::Absent);
        // The snat rule disagrees with the dnat one.
        let mixed = RULESET.replace(
            "snat ip6 prefix to 2001:db8:1:100::/56",
            "snat ip6 prefix to 2001:db8:2:200::/56",
        );
        assert_eq!(our_table(&mixed), OurTable::Garbled);
        let empty = "table ip6 docker_ipv6_pd {\n\tchain prerouting {\n\t}\n}\n";
        assert_eq!(our_table(empty), OurTable::Garbled);
        // Another family's table of the same name is not ours.
        let inet = RULESET.replace("table ip6 docker_ipv6_pd", "table inet docker_ipv6_pd");
        assert_eq!(our_table(&inet), OurTable::Absent);
    }

    #[test]
    fn nft_s_own_listing_is_read() {
        // `nft list ruleset` (nft 1.0.6) after loading our script: it drops the `ip6` before
        // `prefix to` and puts a blank line between chains.
        let listed = "table ip6 docker_ipv6_pd {\n\
             \tchain prerouting {\n\
             \t\ttype nat hook prerouting priority dstnat - 1; policy accept;\n\
             \t\tip6 daddr 2001:db8:1:100::/56 dnat prefix to fd12:3456:789a::/56\n\
             \t}\n\
             \n\
             \tchain postrouting {\n\
             \t\ttype nat hook postrouting priority srcnat - 1; policy accept;\n\
             \t\tip6 saddr fd12:3456:789a::/56 snat prefix to 2001:db8:1:100::/56\n\
             \t}\n\
             }\n";
        assert_eq!(
            our_table(listed),
            OurTable::Maps(Mapping {
                public: net("2001:db8:1:100::/56"),
                mapped: net("fd12:3456:789a::/56"),
            })
        );
    }

    #[test]
    fn foreign_nat_rules_naming_the_prefix_are_found_ours_and_others_are_not() {
        let delegated = [net("2001:db8:1:100::/56")];
        assert!(foreign_nat(RULESET, &delegated).is_empty());
        let foreign = format!(
            "{RULESET}table inet router {{\n\
             \tchain pre {{\n\
             \t\tip6 daddr {{ 2001:db8:1:105::1, 2001:db8:9::1 }} dnat to fd00::5\n\
             \t\tip6 daddr 2001:db8:1:105::1 accept\n\
             \t\tip6 saddr 2001:db8::/32 counter xt target \"MASQUERADE\"\n\
             \t\tip6 saddr 2001:db8:7::/48 masquerade\n\
             \t}}\n}}\n"
        );
        let found = foreign_nat(&foreign, &delegated);
        let rules: Vec<(&str, &str)> = found
            .iter()
            .map(|f| (f.table.as_str(), f.rule.as_str()))
            .collect();
        assert_eq!(
            rules,
            [
                (
                    "inet router",
                    "ip6 daddr { 2001:db8:1:105::1, 2001:db8:9::1 } dnat to fd00::5"
                ),
                (
                    "inet router",
                    "ip6 saddr 2001:db8::/32 counter xt target \"MASQUERADE\""
                ),
            ]
        );
    }
}
