//! `status` under `target = nptv6`: the mapping the lease calls for, the one applied since
//! boot, and each docker bridge's IPv6 subnet with its public counterpart.

use ipnet::Ipv6Net;

use crate::apply::mapping_state::MappingRecord;
use crate::inspect::lease_file::Leases;
use crate::inspect::nptv6::{self, lease_mapping, public_subnet};
use crate::plan::nptv6::Mapping;
use crate::settings::Settings;

/// What status shows of `target = nptv6`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nptv6Status {
    /// The internal prefix docker lives on.
    pub internal: Ipv6Net,
    /// The mapping the lease calls for: the delegated prefix's mapped part (`public`) onto
    /// the internal prefix's (`mapped`); without a lease to read (dhcpcd), the one applied.
    pub mapping: Option<Mapping>,
    /// The mapping recorded as applied since boot.
    pub applied: Option<Mapping>,
    /// Each docker bridge with a global IPv6 subnet, as the kernel has it.
    pub bridges: Vec<Bridge>,
}

/// One docker bridge's IPv6 subnet and the public subnet it is reached at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bridge {
    /// `docker0` or `br-` and a network's id.
    pub interface: String,
    pub subnet: Ipv6Net,
    /// Its public counterpart; none when the subnet lies outside the mapped part.
    pub public: Option<Ipv6Net>,
}

/// Reads the mapping's side of the machine under `settings.root`; what could not be read
/// goes to `warnings`.
pub fn collect(settings: &Settings, leases: &Leases, warnings: &mut Vec<String>) -> Nptv6Status {
    let internal = nptv6::internal_prefix(settings);
    let applied = MappingRecord::new(&settings.root).read();
    let mapping = match lease_mapping(leases, internal, applied) {
        Some(Ok(mapping)) => Some(mapping),
        Some(Err(refused)) => {
            warnings.push(format!("the delegated prefix cannot be mapped: {refused}"));
            None
        }
        None => applied,
    };
    let subnets = nptv6::bridges(&settings.root).unwrap_or_else(|why| {
        warnings.push(why);
        Vec::new()
    });
    let bridges = subnets
        .into_iter()
        .map(|b| Bridge {
            public: mapping.and_then(|m| public_subnet(&m, b.subnet)),
            interface: b.interface,
            subnet: b.subnet,
        })
        .collect();
    Nptv6Status {
        internal,
        mapping,
        applied,
        bridges,
    }
}

/// The text lines: the mapping, then one line per bridge.
pub fn render(status: &Nptv6Status) -> String {
    let mut out = match status.mapping {
        Some(m) => {
            let applied = match status.applied {
                Some(applied) if applied == m => "applied".to_string(),
                Some(applied) => format!(
                    "not applied (applied: {} onto {})",
                    applied.public, applied.mapped
                ),
                None => "not applied since boot".to_string(),
            };
            format!(
                "mapping:    {} onto {} of internal prefix {}, {applied}\n",
                m.public, m.mapped, status.internal
            )
        }
        None => format!(
            "mapping:    none (no prefix delegated); docker keeps internal prefix {}\n",
            status.internal
        ),
    };
    for bridge in &status.bridges {
        let (interface, subnet) = (&bridge.interface, bridge.subnet);
        out += &match bridge.public {
            Some(public) => format!("bridge:     {interface} {subnet} is public {public}\n"),
            None if status.mapping.is_some() => {
                format!("bridge:     {interface} {subnet}, outside the mapped part: not public\n")
            }
            None => format!("bridge:     {interface} {subnet}, not mapped\n"),
        };
    }
    out
}
