//! Doctor's verdicts on what dockerd itself does with the subnet: how it addresses the
//! default bridge, whether it masquerades or filters containers' IPv6 (it changed in 27.0,
//! 28.0 and 28.2), whether a restart moves docker0 and which containers it leaves stopped.
//! Pure, like `judge`.

use ipnet::Ipv6Net;

use crate::inspect::doctor::Report;
use crate::inspect::doctor::facts::Facts;
use crate::inspect::read::Found;
use crate::plan::daemon_json::DaemonJson;
use crate::subnet::Subnet;

/// Judges docker's version, its IPv6 NAT and filtering, live-restore, the containers a
/// restart stops and docker0's addresses.
pub fn engine(facts: &Facts, report: &mut Report) {
    let json = match &facts.daemon_json {
        Found::Read(Ok(json)) => Some(json),
        _ => None,
    };
    // daemon.json that cannot be read says nothing of its settings: judge no defaults.
    let settings_known = matches!(facts.daemon_json, Found::Read(Ok(_)) | Found::Missing);
    let setting = |name: &str| setting(facts, json, name);
    if let Some(version) = docker_version(facts, report)
        && settings_known
    {
        if facts.setup.nptv6 {
            report.ok(
                "target = nptv6: the delegated prefix is mapped onto docker's internal one before docker's own NAT runs",
            );
        } else {
            nat_and_filtering(version, &setting, routed_subnet(facts), report);
        }
    }
    if setting("live-restore") == Some(true) {
        report.warning(
            "\"live-restore\": true: while any container runs, restarting docker keeps docker0's old IPv6 subnet",
            Some("stop the containers before docker restarts for a new prefix (a post-change script can), or set \"live-restore\": false".into()),
        );
    }
    containers(facts, report);
    docker0(facts, report);
}

/// A boolean dockerd setting: daemon.json's key, else a flag dockerd gets (`--ip-masq=false`,
/// `--allow-direct-routing`), the running dockerd's first.
fn setting(facts: &Facts, json: Option<&DaemonJson>, name: &str) -> Option<bool> {
    if let Some(value) = json.and_then(|j| j.get_bool(name)) {
        return Some(value);
    }
    let mut sources: Vec<_> = facts.flags.sources.iter().collect();
    sources.sort_by_key(|s| !s.origin.starts_with("running dockerd"));
    sources
        .iter()
        .flat_map(|s| s.words.iter())
        .find_map(|word| flag_bool(word, name))
}

/// `--NAME` -> true, `--NAME=false` -> false; anything else -> None.
pub fn flag_bool(word: &str, name: &str) -> Option<bool> {
    let rest = word.strip_prefix("--")?.strip_prefix(name)?;
    match rest {
        "" => Some(true),
        _ => rest.strip_prefix('=')?.parse().ok(),
    }
}

/// `20.10.24+dfsg1-1` -> (20, 10), `5:28.2.2-1~debian.12` -> (28, 2).
pub fn version_of(version: &str) -> Option<(u32, u32)> {
    let version = version.split_once(':').map_or(version, |(_, v)| v);
    let mut parts = version.split(['.', '+', '-', '~']);
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().and_then(|m| m.parse().ok()).unwrap_or(0);
    Some((major, minor))
}

/// Names the installed docker and how it addresses default-bridge containers; returns
/// its version when known.
fn docker_version(facts: &Facts, report: &mut Report) -> Option<(u32, u32)> {
    let size = facts.setup.subnet_size;
    let (package, version) = match &facts.docker_package {
        Found::Read(Some(installed)) => installed,
        Found::Unreadable(why) => {
            report.warning(
                format!("cannot tell which docker is installed: {why}"),
                None,
            );
            return None;
        }
        Found::Read(None) | Found::Missing => {
            report.warning(
                "no docker package installed (docker.io, docker-ce or moby-engine)",
                None,
            );
            return None;
        }
    };
    let Some(parsed) = version_of(version) else {
        report.warning(
            format!("cannot read the version of {package}: {version}"),
            None,
        );
        return None;
    };
    let how = if parsed.0 < 28 && size <= 80 {
        "addresses made of the subnet and their MAC"
    } else if parsed.0 < 28 {
        "sequential addresses (MAC-derived ones only in a /80 or shorter)"
    } else {
        "sequential addresses"
    };
    report.ok(format!(
        "{package} {version} gives default-bridge containers {how} in the /{size}"
    ));
    Some(parsed)
}

/// Whether containers' IPv6 leaves with their own addresses and who filters it.
fn nat_and_filtering(
    version: (u32, u32),
    key: &dyn Fn(&str) -> Option<bool>,
    routed: Option<Ipv6Net>,
    report: &mut Report,
) {
    let shown = format!("docker {}.{}", version.0, version.1);
    let ip6tables = key("ip6tables").unwrap_or(version.0 >= 27);
    if version.0 < 27 && ip6tables && key("experimental") != Some(true) {
        report.problem(
            format!("\"ip6tables\": true on {shown} needs \"experimental\": true: dockerd refuses to start"),
            "remove \"ip6tables\" from daemon.json (or add \"experimental\": true; docker 27 and later need neither)",
        );
        return;
    }
    if version.0 < 27 && !ip6tables {
        report.warning(
            format!("{shown} neither filters nor masquerades IPv6: every container port is reachable from the Internet over IPv6 unless the host filters forwarded traffic to docker0"),
            Some("filter forwarded IPv6 to docker0 in the host firewall (docker's own \"ip6tables\" filters, but masquerades too unless \"ip-masq\": false)".into()),
        );
        return;
    }
    if !ip6tables {
        report.warning(
            format!("ip6tables is off: {shown} neither filters nor masquerades IPv6, so every container port is reachable from the Internet over IPv6"),
            Some("filter forwarded IPv6 to docker0 in the host firewall, or drop \"ip6tables\": false and set \"ip-masq\": false instead".into()),
        );
        return;
    }
    let masquerades = key("ip-masq") != Some(false);
    if masquerades {
        let subnet = routed.map_or_else(
            || "<a /64 of the delegated prefix outside the default bridge's subnet>".to_string(),
            |net| net.to_string(),
        );
        // Gateway modes came with 27.0, and only user-defined networks take them.
        let routed_network = if version.0 >= 27 {
            format!(
                "route a user-defined network instead (the hook does not renumber it): docker network create --ipv6 --subnet {subnet} -o com.docker.network.bridge.gateway_mode_ipv6=routed NAME; or "
            )
        } else {
            String::new()
        };
        report.problem(
            format!("{shown} masquerades IPv6 (ip6tables on, ip-masq on by default): containers' IPv6 leaves as the host's address, and the default bridge cannot be routed"),
            format!("{routed_network}\"ip-masq\": false in daemon.json (stops IPv4 masquerading too); or \"ip6tables\": false (stops all IPv6 filtering)"),
        );
    }
    let direct = key("allow-direct-routing") == Some(true);
    if version >= (28, 2) && !direct {
        report.problem(
            format!("{shown} drops IPv6 sent to a container's address unless it arrives over the bridge: nothing from outside reaches the containers directly"),
            "\"allow-direct-routing\": true in daemon.json (it opens published ports only)",
        );
    }
    if !masquerades && (version < (28, 2) || direct) {
        let reach = if version.0 >= 28 {
            "only published ports are reachable"
        } else {
            "docker filters what reaches them"
        };
        report.ok(format!(
            "{shown} routes containers' IPv6 with their own addresses (ip-masq off); {reach}"
        ));
    }
}

/// A /64 for a routed user-defined network: the first /64 of the first live delegated
/// prefix that does not overlap the default bridge's subnet; with a subnet-id other than 0,
/// the first after docker's /64, since those before it may be a LAN's.
fn routed_subnet(facts: &Facts) -> Option<Ipv6Net> {
    let first = match facts.setup.subnet_id {
        0 => 0,
        id => id.checked_add(1)?,
    };
    let configured = configured(facts);
    let overlaps = |net: &Ipv6Net| {
        configured
            .iter()
            .any(|c| c.contains(net) || net.contains(c))
    };
    facts
        .leases
        .prefixes
        .iter()
        .filter(|(_, p)| p.max_life != Some(0) && p.prefix.prefix_len() < 64)
        .find_map(|(_, p)| {
            (first..)
                .map_while(|id| Subnet::of(p.prefix.trunc(), 64, id).ok())
                .map(|subnet| subnet.net())
                .find(|net| !overlaps(net))
        })
}

/// The subnets the target files hold now.
fn configured(facts: &Facts) -> Vec<Ipv6Net> {
    facts
        .targets
        .iter()
        .filter_map(|t| match &t.contents {
            Found::Read(contents) => contents.subnet(),
            _ => None,
        })
        .collect()
}

/// Running containers that docker's restart stops for good.
fn containers(facts: &Facts, report: &mut Report) {
    for why in &facts.containers_unreadable {
        report.warning(why.clone(), None);
    }
    let stay_stopped: Vec<&str> = facts
        .containers
        .iter()
        .filter(|c| c.running && matches!(c.restart_policy.as_str(), "no" | "on-failure"))
        .map(|c| c.name.as_str())
        .collect();
    if !stay_stopped.is_empty() {
        let names = stay_stopped.join(" ");
        report.warning(
            format!("restarting docker for a new prefix stops these containers and leaves them stopped (restart policy no or on-failure): {names}"),
            Some(format!("docker update --restart unless-stopped {names}")),
        );
    }
}

/// docker0's global addresses against the subnets the target files hold.
fn docker0(facts: &Facts, report: &mut Report) {
    let configured = configured(facts);
    if configured.is_empty() {
        return;
    }
    for address in &facts.docker0 {
        let shown = format!("{}/{}", address.addr(), address.prefix_len());
        if configured.iter().any(|net| net.contains(&address.addr())) {
            report.ok(format!("docker0 has {shown}, inside the configured subnet"));
        } else {
            let subnets: Vec<String> = configured.iter().map(|n| n.to_string()).collect();
            report.problem(
                format!("docker0 has {shown}, outside the configured subnet ({}): docker has not restarted since the prefix changed, or live-restore kept the old subnet", subnets.join(", ")),
                "restart docker (with \"live-restore\" on, stop the containers first)",
            );
        }
    }
}
