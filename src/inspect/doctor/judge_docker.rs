//! Doctor's verdicts on docker's side: where dockerd gets its IPv6 settings, whether they
//! conflict, and whether the configured subnet lies inside the delegated prefix and is the
//! one dockerd runs with. Pure, like `judge`.

use ipnet::Ipv6Net;

use crate::inspect::docker_flags::FlagSource;
use crate::inspect::doctor::Report;
use crate::inspect::doctor::facts::{Facts, Setup};
use crate::inspect::doctor::judge::MAKE_IT_REGULAR;
use crate::inspect::doctor::judge_dhcp::rerun_event;
use crate::inspect::read::Found;
use crate::plan::daemon_json;
use crate::plan::target::Contents;
use crate::settings::FileKind;
use crate::subnet::Subnet;

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
        let fix = if facts.systemd {
            USE_DAEMON_JSON.to_string()
        } else {
            "write the options without nested $( … ), e.g. DOCKER_OPTS=\"--ipv6 --fixed-cidr-v6=$(cat /etc/docker/ipv6.prefix)\"".into()
        };
        report.warning(why.clone(), Some(fix));
    }
    for source in &facts.flags.sources {
        let names: Vec<String> = source.flags.iter().map(|(n, _)| format!("--{n}")).collect();
        let names = names.join(" ");
        match reach(facts, source) {
            Reach::Ignored(unit) => {
                report.problem(
                    format!("/etc/default/docker sets DOCKER_OPTS ({names}), but {unit} does not read that file (Docker CE's unit has no EnvironmentFile): dockerd never gets them"),
                    USE_DAEMON_JSON,
                );
                continue;
            }
            Reach::Literal(word) => report.problem(
                format!("{} gives dockerd {word:?} as it stands: systemd runs no $( … ) or backticks, so dockerd gets that text and refuses to start", source.origin),
                USE_DAEMON_JSON,
            ),
            Reach::AsWritten => {
                report.ok(format!("dockerd gets {names} from {}", source.origin))
            }
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
    left_out(facts, report);
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
    let working: Vec<&FlagSource> = facts
        .flags
        .sources
        .iter()
        .filter(|s| reach(facts, s) == Reach::AsWritten)
        .collect();
    let from_flags = working
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
            "docker gets no IPv6 subnet: neither a dockerd flag that reaches dockerd as written nor daemon.json sets fixed-cidr-v6",
            fix,
        );
    }
    let prefix_file = &facts.setup.prefix_file;
    let read_by_flags = working
        .iter()
        .any(|s| s.words.iter().any(|w| w.contains(prefix_file.as_str())));
    if kinds.contains(&FileKind::PrefixFile) && !read_by_flags && !from_json && !unknown {
        let fix = if facts.systemd {
            format!(
                "`target = daemon-json` in /etc/docker-ipv6-pd/docker-ipv6-pd.conf (systemd runs no $(cat {prefix_file}) in DOCKER_OPTS or ExecStart)"
            )
        } else {
            format!(
                "DOCKER_OPTS=\"--ipv6 --fixed-cidr-v6=$(cat {prefix_file})\" in /etc/default/docker, or `target = daemon-json`"
            )
        };
        report.warning(
            format!("the hook writes the subnet to {prefix_file}, but nothing gives that file to dockerd"),
            Some(fix),
        );
    }
}

/// The fix for DOCKER_OPTS or an ExecStart systemd does not pass on as meant.
const USE_DAEMON_JSON: &str = "set `target = daemon-json` in /etc/docker-ipv6-pd/docker-ipv6-pd.conf and remove the flags from DOCKER_OPTS or the ExecStart override";

/// Whether flags reach dockerd as their file means them.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Reach {
    AsWritten,
    /// systemd runs docker.service (named here), which does not read /etc/default/docker.
    Ignored(String),
    /// systemd passes this word on without running the command substitution in it.
    Literal(String),
}

/// The running dockerds the flag checks left out (in another mount namespace: a restart
/// does not reach them) and those counted although their mount namespace could not be read.
fn left_out(facts: &Facts, report: &mut Report) {
    for line in &facts.flags.elsewhere {
        report.ok(format!("not checked: {line}"));
    }
    for (origin, why) in &facts.flags.namespace_unknown {
        report.warning(
            format!(
                "{origin}: its mount namespace cannot be told ({why}), so its flags count as \
                 those of the dockerd a restart replaces"
            ),
            Some(
                "run doctor as root; if that dockerd runs in a container or rootless, its \
                 flags do not matter to the hook"
                    .into(),
            ),
        );
    }
}

/// How systemd treats a flag source: Debian's docker.io unit reads /etc/default/docker
/// (`EnvironmentFile=`, `$DOCKER_OPTS`) but, like any ExecStart, without a shell; Docker
/// CE's unit does not read it. Without systemd, the init script's shell runs the file.
fn reach(facts: &Facts, source: &FlagSource) -> Reach {
    let defaults = source.origin.starts_with("/etc/default/docker");
    let drop_in = source.origin.starts_with("/etc/systemd/");
    if !facts.systemd || !(defaults || drop_in) {
        return Reach::AsWritten;
    }
    if defaults && !facts.docker_unit.as_ref().is_some_and(|u| u.reads_defaults) {
        let unit = match &facts.docker_unit {
            Some(unit) => unit.path.clone(),
            None => "docker.service (no unit file found)".into(),
        };
        return Reach::Ignored(unit);
    }
    let through_shell = drop_in
        && source
            .words
            .first()
            .is_some_and(|w| ["sh", "bash", "dash"].contains(&w.rsplit('/').next().unwrap_or(w)));
    match source
        .words
        .iter()
        .find(|w| w.contains("$(") || w.contains('`'))
    {
        Some(word) if !through_shell => Reach::Literal(word.clone()),
        _ => Reach::AsWritten,
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
                format!(
                    "{shown} holds no valid subnet: {}",
                    crate::error::quote(bytes.as_deref().unwrap_or_default())
                ),
                format!(
                    "let the hook write it: {}, or run the hook by hand with new_ip6_prefix set",
                    rerun_event(&facts.dhcp)
                ),
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
    // dhcpcd's leases are not read: their absence says nothing without dhclient.
    if leased.is_empty() && facts.dhcp.dhclient {
        report.warning(
            "no delegated prefix in /var/lib/dhcp/dhclient6*.leases",
            None,
        );
    }
    for (shown, net) in configured {
        if facts.setup.nptv6 {
            report.ok(format!(
                "{net} in {shown} is docker's internal prefix, which target = nptv6 maps onto the delegated one"
            ));
        } else if let Some(prefix) = live.iter().find(|p| p.contains(net)) {
            match other_subnet_of_the_id(facts, prefix, net) {
                Some(wanted) => report.problem(
                    format!("{net} in {shown} lies inside the delegated prefix {prefix}, but subnet-id {} gives docker {wanted}", facts.setup.subnet_id),
                    format!("let the hook write it ({}), then restart docker", rerun_event(&facts.dhcp)),
                ),
                None => report.ok(format!("{net} in {shown} lies inside the delegated prefix")),
            }
        } else if !leased.is_empty() {
            let prefixes: Vec<String> = live.iter().map(|p| p.to_string()).collect();
            report.problem(
                format!("{net} in {shown} is not inside the delegated prefix ({}): the router does not route it here", prefixes.join(", ")),
                format!("run the hook with the current lease: {}", rerun_event(&facts.dhcp)),
            );
        }
    }
}

/// With a subnet-id other than 0, the subnet it gives docker in `prefix` when `held` is not
/// that subnet: the LAN that subnet-id keeps docker out of may hold `held`. (Id 0 judges
/// as it always did: any subnet inside the prefix.)
fn other_subnet_of_the_id(facts: &Facts, prefix: &Ipv6Net, held: &Ipv6Net) -> Option<Ipv6Net> {
    let Setup {
        subnet_size,
        subnet_id,
        ..
    } = facts.setup;
    if subnet_id == 0 {
        return None;
    }
    let wanted = Subnet::of(*prefix, subnet_size, subnet_id).ok()?.net();
    (wanted != *held).then_some(wanted)
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

#[cfg(test)]
#[path = "judge_docker_tests.rs"]
mod tests;
