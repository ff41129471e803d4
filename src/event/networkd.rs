//! systemd-networkd runs no hooks: what it delegated is read from `networkctl --json=short`.
//!
//! From systemd 255 each link lists its lease under `DHCPv6Client.Prefixes[]` (`Prefix` as 16
//! bytes, 262 adds `PrefixString`; `PrefixLength`; `PreferredLifetimeUSec`,
//! `ValidLifetimeUSec`). Before 255 (Debian 12 has 252) the prefix shows only as a
//! manager-level `Routes[]` entry: an unreachable route (type 7) of protocol dhcp (16) from
//! `ConfigSource` DHCPv6, its `LifetimeUSec` the valid lifetime's end, tied to no link. Every
//! `*USec` lifetime is an absolute CLOCK_BOOTTIME time in microseconds, not a duration, and
//! networkd may keep listing an entry after it expired: the caller's clock decides what is live.

use std::net::Ipv6Addr;

use ipnet::Ipv6Net;
use serde_json::Value;

/// A lifetime networkd writes for "forever".
const INFINITY: u64 = u64::MAX;
/// Route type unreachable, and route protocol dhcp, as the kernel numbers them.
const RTN_UNREACHABLE: u64 = 7;
const RTPROT_DHCP: u64 = 16;
/// Before 255, the routes of one lease end within this of each other; a route that ends
/// sooner is left from an earlier lease (networkd lists it until it expires, even later).
const SAME_LEASE_USEC: u64 = 1_000_000;

/// One delegated prefix, with the ends of its lifetimes (CLOCK_BOOTTIME µs; `None`: forever,
/// or, for the preferred lifetime before 255, not said).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delegation {
    pub prefix: Ipv6Net,
    pub preferred_until: Option<u64>,
    pub valid_until: Option<u64>,
}

impl Delegation {
    /// True when the preferred lifetime is over at `now`: the prefix is on its way out and
    /// must not become docker's subnet.
    pub fn deprecated(&self, now: u64) -> bool {
        self.preferred_until.is_some_and(|end| end <= now)
    }

    /// Whole seconds of valid lifetime left at `now` (`None`: forever).
    pub fn valid_seconds(&self, now: u64) -> Option<u64> {
        self.valid_until
            .map(|end| end.saturating_sub(now) / 1_000_000)
    }
}

/// The live delegated prefixes of one link. `link` is `None` for prefixes that networkd
/// before 255 lists with no link the caller can tell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkLease {
    pub link: Option<String>,
    pub prefixes: Vec<Delegation>,
}

/// Every link's live delegated prefixes in `networkctl --json=short` output, as they stand
/// at `now` (CLOCK_BOOTTIME µs). Links without one are left out.
pub fn parse(json: &[u8], now: u64) -> Result<Vec<LinkLease>, String> {
    let root: Value = serde_json::from_slice(json)
        .map_err(|e| format!("networkctl printed no JSON networkd description: {e}"))?;
    let interfaces = root
        .get("Interfaces")
        .and_then(Value::as_array)
        .ok_or("networkctl's JSON has no Interfaces list")?;
    let live = |d: &Delegation| d.valid_until.is_none_or(|end| end > now);
    if interfaces.iter().any(|i| i.get("DHCPv6Client").is_some()) {
        let mut leases = Vec::new();
        for interface in interfaces {
            let Some(prefixes) = interface.pointer("/DHCPv6Client/Prefixes") else {
                continue;
            };
            let prefixes: Vec<Delegation> = prefixes
                .as_array()
                .ok_or("DHCPv6Client.Prefixes is not a list")?
                .iter()
                .map(client_prefix)
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .filter(live)
                .collect();
            if !prefixes.is_empty() {
                leases.push(LinkLease {
                    link: interface
                        .get("Name")
                        .and_then(Value::as_str)
                        .map(Into::into),
                    prefixes,
                });
            }
        }
        return Ok(leases);
    }
    let routes = root.get("Routes").and_then(Value::as_array);
    let mut leases: Vec<LinkLease> = Vec::new();
    for route in routes
        .into_iter()
        .flatten()
        .filter(|r| is_delegated_route(r))
    {
        let delegation = route_prefix(route)?;
        if !live(&delegation) {
            continue;
        }
        let link = link_of(interfaces, route.get("ConfigProvider"));
        match leases.iter_mut().find(|l| l.link == link) {
            Some(lease) => lease.prefixes.push(delegation),
            None => leases.push(LinkLease {
                link,
                prefixes: vec![delegation],
            }),
        }
    }
    for lease in &mut leases {
        let end = |d: &Delegation| d.valid_until.unwrap_or(INFINITY);
        let latest = lease.prefixes.iter().map(end).max().unwrap_or(0);
        lease
            .prefixes
            .retain(|d| end(d) >= latest.saturating_sub(SAME_LEASE_USEC));
    }
    Ok(leases)
}

/// One `DHCPv6Client.Prefixes[]` entry.
fn client_prefix(entry: &Value) -> Result<Delegation, String> {
    let address = address(entry, "PrefixString", "Prefix")?;
    let length = number(entry, "PrefixLength")?;
    Ok(Delegation {
        prefix: network(address, length)?,
        preferred_until: lifetime(entry, "PreferredLifetimeUSec")?,
        valid_until: lifetime(entry, "ValidLifetimeUSec")?,
    })
}

/// True for the unreachable route networkd before 255 adds for a delegated prefix.
fn is_delegated_route(route: &Value) -> bool {
    let is = |key: &str, value: u64| route.get(key).and_then(Value::as_u64) == Some(value);
    is("Family", 10)
        && is("Type", RTN_UNREACHABLE)
        && is("Protocol", RTPROT_DHCP)
        && route.get("ConfigSource").and_then(Value::as_str) == Some("DHCPv6")
}

/// The prefix of such a route, its `LifetimeUSec` the end of the valid lifetime.
fn route_prefix(route: &Value) -> Result<Delegation, String> {
    let address = address(route, "DestinationString", "Destination")?;
    let length = number(route, "DestinationPrefixLength")?;
    Ok(Delegation {
        prefix: network(address, length)?,
        preferred_until: None,
        valid_until: lifetime(route, "LifetimeUSec")?,
    })
}

/// The link whose DHCPv6 address came from the same server (`ConfigProvider`) as a route.
fn link_of(interfaces: &[Value], provider: Option<&Value>) -> Option<String> {
    let provider = provider?;
    interfaces
        .iter()
        .find(|interface| {
            let addresses = interface.get("Addresses").and_then(Value::as_array);
            addresses.into_iter().flatten().any(|a| {
                a.get("ConfigSource").and_then(Value::as_str) == Some("DHCPv6")
                    && a.get("ConfigProvider") == Some(provider)
            })
        })
        .and_then(|interface| interface.get("Name")?.as_str())
        .map(Into::into)
}

/// An IPv6 address given as text under `text` (262) or as 16 bytes under `bytes`.
fn address(entry: &Value, text: &str, bytes: &str) -> Result<Ipv6Addr, String> {
    if let Some(text) = entry.get(text).and_then(Value::as_str) {
        return text
            .parse()
            .map_err(|_| format!("{text:?} is not an IPv6 address"));
    }
    let list = entry
        .get(bytes)
        .and_then(Value::as_array)
        .ok_or_else(|| format!("an entry has no {bytes}"))?;
    let octets: Vec<u8> = list
        .iter()
        .map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok()))
        .collect::<Option<_>>()
        .ok_or_else(|| format!("{bytes} holds something other than bytes"))?;
    let octets: [u8; 16] = octets
        .try_into()
        .map_err(|_| format!("{bytes} is not 16 bytes long"))?;
    Ok(Ipv6Addr::from(octets))
}

fn number(entry: &Value, key: &str) -> Result<u64, String> {
    entry
        .get(key)
        .and_then(Value::as_u64)
        .ok_or_else(|| format!("an entry has no {key}"))
}

/// A lifetime's end; `None` for forever. A missing one counts as forever, as networkd leaves
/// it out when it has none.
fn lifetime(entry: &Value, key: &str) -> Result<Option<u64>, String> {
    match entry.get(key) {
        None => Ok(None),
        Some(value) => match value.as_u64() {
            Some(INFINITY) => Ok(None),
            Some(end) => Ok(Some(end)),
            None => Err(format!("{key} is not a time in microseconds")),
        },
    }
}

fn network(address: Ipv6Addr, length: u64) -> Result<Ipv6Net, String> {
    u8::try_from(length)
        .ok()
        .and_then(|len| Ipv6Net::new(address, len).ok())
        .ok_or_else(|| format!("{address}/{length} is not an IPv6 prefix"))
}

/// The prefixes of the uplink: `uplink` when given (with the prefixes networkd ties to no
/// link), else the one link that has any. Several such links and no `uplink` is an error
/// naming them; no link with a prefix is an empty list.
pub fn uplink_prefixes(
    leases: &[LinkLease],
    uplink: Option<&str>,
) -> Result<(Option<String>, Vec<Delegation>), String> {
    if let Some(name) = uplink {
        let prefixes = leases
            .iter()
            .filter(|l| l.link.is_none() || l.link.as_deref() == Some(name))
            .flat_map(|l| l.prefixes.iter().copied())
            .collect();
        return Ok((Some(name.to_string()), prefixes));
    }
    match leases {
        [] => Ok((None, Vec::new())),
        [one] => Ok((one.link.clone(), one.prefixes.clone())),
        several => {
            let names: Vec<String> = several
                .iter()
                .map(|l| {
                    let prefixes: Vec<String> =
                        l.prefixes.iter().map(|d| d.prefix.to_string()).collect();
                    let link = l.link.as_deref().unwrap_or("a link networkd does not name");
                    format!("{link} ({})", prefixes.join(", "))
                })
                .collect();
            Err(format!(
                "several links have a delegated prefix: {}; say which is the uplink with --uplink",
                names.join(", ")
            ))
        }
    }
}

#[cfg(test)]
#[path = "networkd_tests.rs"]
mod tests;
