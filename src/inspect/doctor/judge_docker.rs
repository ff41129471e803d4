//! Doctor's verdicts on docker's side: where dockerd gets its IPv6 settings, whether they
//! conflict, and whether the configured subnet lies inside the delegated prefix and is the
//! one dockerd runs with. Pure, like `judge`.

use ipnet::Ipv6Net;

use crate::inspect::doctor::Report;
use crate::inspect::doctor::facts::Facts;
use crate::inspect::doctor::judge::MAKE_IT_REGULAR;
use crate::inspect::read::Found;
use crate::plan::daemon_json;
use crate::plan::target::Contents;
use crate::settings::FileKind;

/// Reports where docker gets its IPv6 settings and every conflict.
pub fn wiring(facts: &Facts, report: &mut Report) {
    let shown = &facts.setup.daemon_json;
    let json = match &facts.daemon_json {
        Found::Read(Ok(json)) => Some(json),
        Found::Read(Err(e)) => {
            report.problem(
                format!("{shown}: {e}: dockerd will not start"),
                format!("fix the JSON in {shown}"),
            );
            None
        }
        Found::Unreadable(why) => {
            report.problem(why.clone(), MAKE_IT_REGULAR);
            None
        }
        Found::Missing => None,
    };
    for why in &facts.flags.unreadable {
        report.problem(why.clone(), MAKE_IT_REGULAR);
    }
    for why in &facts.flags.cannot_tell {
        report.warning(
            why.clone(),
            Some("write the options without nested $( … ), e.g. DOCKER_OPTS=\"--ipv6 --fixed-cidr-v6=$(cat /etc/docker/ipv6.prefix)\"".into()),
        );
    }
    for source in &facts.flags.sources {
        let names: Vec<String> = source.flags.iter().map(|(n, _)| format!("--{n}")).collect();
        report.ok(format!(
            "dockerd gets {} from {}",
            names.join(" "),
            source.origin
        ));
        if source.origin.starts_with("/etc/default/docker") && facts.systemd {
            report.problem(
                "/etc/default/docker sets DOCKER_OPTS, but systemd runs here and docker.service ignores that file",
                "set `target = daemon-json` in /etc/docker-ipv6-pd/docker-ipv6-pd.conf and remove the DOCKER_OPTS line",
            );
        }
        for (name, _) in &source.flags {
            if json.is_some_and(|j| j.has(name)) {
                report.problem(
                    format!("{name} is both a dockerd flag ({}) and a key in {shown}: dockerd refuses to start, even with equal values", source.origin),
                    format!("keep one: remove the flag, or the key from {shown}"),
                );
            }
        }
    }
    let from_json = json.is_some_and(|j| j.has(daemon_json::FIXED_CIDR_V6));
    if let Some(json) = json
        && from_json
    {
        report.ok(format!("{shown} sets fixed-cidr-v6"));
        if !json.ipv6_enabled() {
            report.problem(
                format!("{shown} sets fixed-cidr-v6 but not \"ipv6\": true"),
                format!("add \"ipv6\": true to {shown}"),
            );
        }
    }
    let kinds = &facts.setup.kinds;
    if kinds.contains(&FileKind::DaemonJson)
        && json.and_then(|j| j.get_bool(daemon_json::IPV6)) == Some(false)
    {
        report.warning(
            format!("{shown} has \"ipv6\": false, which the hook turns to true when it writes the subnet there"),
            Some("nothing to do if docker should have IPv6; if not, take daemon-json out of `target` in /etc/docker-ipv6-pd/docker-ipv6-pd.conf".into()),
        );
    }
    let from_flags = facts
        .flags
        .sources
        .iter()
        .any(|s| s.flags.iter().any(|(n, _)| n == "fixed-cidr-v6"));
    // Options that could not be read may set the subnet: say nothing rather than guess.
    let unknown = !facts.flags.cannot_tell.is_empty();
    if !from_flags && !from_json && !unknown {
        let fix = if facts.systemd {
            "set `target = daemon-json` in /etc/docker-ipv6-pd/docker-ipv6-pd.conf".to_string()
        } else {
            "in /etc/default/docker: DOCKER_OPTS=\"--ipv6 --fixed-cidr-v6=$(cat /etc/docker/ipv6.prefix)\"".to_string()
        };
        report.problem(
            "docker gets no IPv6 subnet: neither a dockerd flag nor daemon.json sets fixed-cidr-v6",
            fix,
        );
    }
    let prefix_file = &facts.setup.prefix_file;
    let read_by_flags = facts
        .flags
        .sources
        .iter()
        .any(|s| s.words.iter().any(|w| w.contains(prefix_file.as_str())));
    if kinds.contains(&FileKind::PrefixFile) && !read_by_flags && !from_json && !unknown {
        report.warning(
            format!("the hook writes the subnet to {prefix_file}, but neither DOCKER_OPTS nor a docker.service override reads that file"),
            Some(format!("--fixed-cidr-v6=$(cat {prefix_file}) in DOCKER_OPTS or the ExecStart override, or `target = daemon-json`")),
        );
    }
}

/// Checks what each target file holds against the lease and against the running dockerd.
pub fn subnets(facts: &Facts, report: &mut Report) {
    let mut configured: Vec<(&str, Ipv6Net)> = Vec::new();
    for target in &facts.targets {
        let shown = target.shown.as_str();
        let contents = match (&target.contents, target.kind) {
            (Found::Read(contents), _) => contents,
            (Found::Missing, _) => {
                report.warning(
                    format!("{shown} does not exist yet (no prefix delegated so far)"),
                    None,
                );
                continue;
            }
            (Found::Unreadable(why), FileKind::PrefixFile) => {
                report.problem(
                    why.clone(),
                    "remove it: the hook writes it again at the next DHCPv6 event",
                );
                continue;
            }
            // daemon.json that cannot be read or parsed is reported with docker's wiring.
            (Found::Unreadable(_), FileKind::DaemonJson) => continue,
        };
        match (contents.subnet(), contents) {
            (Some(net), Contents::PrefixFile(_)) => {
                report.ok(format!("{shown} holds {net}"));
                configured.push((shown, net));
            }
            (Some(net), Contents::DaemonJson(_)) => configured.push((shown, net)),
            (None, Contents::PrefixFile(bytes)) => report.problem(
                format!("{shown} holds no valid subnet: {}", crate::error::quote(bytes.as_deref().unwrap_or_default())),
                "let the hook write it: restart dhclient, or run the hook by hand with new_ip6_prefix set",
            ),
            (None, Contents::DaemonJson(_)) => report.warning(
                format!("{shown} has no fixed-cidr-v6 yet (no prefix delegated so far)"),
                None,
            ),
        }
    }
    leases(facts, &configured, report);
    running_dockerd(facts, &configured, report);
}

/// Whether each configured subnet lies inside a live delegated prefix.
fn leases(facts: &Facts, configured: &[(&str, Ipv6Net)], report: &mut Report) {
    for why in &facts.leases.unreadable {
        report.problem(why.clone(), MAKE_IT_REGULAR);
    }
    let leased = &facts.leases.prefixes;
    let live: Vec<Ipv6Net> = leased
        .iter()
        .filter(|(_, p)| p.max_life != Some(0))
        .map(|(_, p)| p.prefix.trunc())
        .collect();
    if leased.is_empty() {
        report.warning(
            "no delegated prefix in /var/lib/dhcp/dhclient6*.leases",
            None,
        );
    }
    for (shown, net) in configured {
        if live.iter().any(|p| p.contains(net)) {
            report.ok(format!("{net} in {shown} lies inside the delegated prefix"));
        } else if !leased.is_empty() {
            let prefixes: Vec<String> = live.iter().map(|p| p.to_string()).collect();
            report.problem(
                format!("{net} in {shown} is not inside the delegated prefix ({}): the router does not route it here", prefixes.join(", ")),
                "run the hook with the current lease: restart the dhclient6-pd unit (or dhclient -6 -P)",
            );
        }
    }
}

/// Whether the running dockerd uses the configured subnet.
fn running_dockerd(facts: &Facts, configured: &[(&str, Ipv6Net)], report: &mut Report) {
    let running_sources = facts
        .flags
        .sources
        .iter()
        .filter(|s| s.origin.starts_with("running dockerd"));
    for source in running_sources {
        for (name, value) in &source.flags {
            let Some(running) = value.as_deref().and_then(|v| v.parse::<Ipv6Net>().ok()) else {
                continue;
            };
            if name != "fixed-cidr-v6" {
                continue;
            }
            match configured.iter().find(|(_, net)| *net != running) {
                Some((shown, net)) => report.problem(
                    format!(
                        "the {} uses {running}, but {shown} holds {net}",
                        source.origin
                    ),
                    "restart docker so it picks up the new subnet",
                ),
                None => report.ok(format!("the {} uses {running}", source.origin)),
            }
        }
    }
}
