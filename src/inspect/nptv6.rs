//! What `status` and `doctor` read of `--target nptv6`: the mapping the lease calls for (by
//! the hook's own arithmetic), and docker's bridges with their IPv6 subnets as the kernel
//! has them, each with its public counterpart.

use std::path::Path;

use ipnet::Ipv6Net;

use crate::apply::firewall;
use crate::inspect::lease_file::Leases;
use crate::inspect::read::{self, CONFIG_CAP, Found};
use crate::plan::nptv6::{Mapping, MappingRefused};
use crate::settings::Settings;

/// The kernel's list of IPv6 addresses.
pub const IF_INET6: &str = "/proc/net/if_inet6";

/// One docker bridge's global IPv6 subnet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BridgeSubnet {
    /// `docker0`, or `br-` and a network's id for a network docker created.
    pub interface: String,
    /// The subnet, from an address and its prefix length (a network address).
    pub subnet: Ipv6Net,
}

/// The internal prefix docker lives on: the setting, else the machine's own ULA /48.
pub fn internal_prefix(settings: &Settings) -> Ipv6Net {
    settings
        .internal_prefix
        .unwrap_or_else(|| firewall::host_ula(&settings.root))
}

/// The mapping the lease calls for: of the live delegated prefixes the one mapped now
/// (`applied`), else the first, as the hook chooses. `None` when no live prefix is leased.
pub fn lease_mapping(
    leases: &Leases,
    internal: Ipv6Net,
    applied: Option<Mapping>,
) -> Option<Result<Mapping, MappingRefused>> {
    let live: Vec<Ipv6Net> = leases
        .prefixes
        .iter()
        .filter(|(_, lease)| lease.max_life != Some(0))
        .map(|(_, lease)| lease.prefix)
        .collect();
    let mapped_now = |prefix: &&Ipv6Net| {
        let public = Mapping::new(**prefix, internal).ok().map(|m| m.public);
        public.is_some() && public == applied.map(|m| m.public)
    };
    let prefix = live.iter().find(mapped_now).or(live.first())?;
    Some(Mapping::new(*prefix, internal))
}

/// The public counterpart of an internal subnet, when the mapping covers all of it.
pub fn public_subnet(mapping: &Mapping, subnet: Ipv6Net) -> Option<Ipv6Net> {
    if !mapping.mapped.contains(&subnet) {
        return None;
    }
    let public = mapping.public_of(subnet.network())?;
    Ipv6Net::new(public, subnet.prefix_len()).ok()
}

/// Docker's bridges with their global IPv6 subnets, from /proc/net/if_inet6 under `root`;
/// what could not be read, as a message.
pub fn bridges(root: &Path) -> Result<Vec<BridgeSubnet>, String> {
    match read::system_file(root, Path::new(IF_INET6), CONFIG_CAP) {
        Found::Read(bytes) => Ok(bridge_subnets(&String::from_utf8_lossy(&bytes))),
        Found::Missing => Ok(Vec::new()),
        Found::Unreadable(why) => Err(why),
    }
}

/// True for the interfaces docker makes for its bridge networks: docker0 and `br-ID`.
pub fn is_docker_bridge(interface: &str) -> bool {
    interface == "docker0" || interface.starts_with("br-")
}

/// Docker's bridges' global subnets in if_inet6's format, each once, in the file's order.
pub fn bridge_subnets(if_inet6: &str) -> Vec<BridgeSubnet> {
    let mut found: Vec<BridgeSubnet> = Vec::new();
    for (interface, address) in global_addresses(if_inet6) {
        let bridge = BridgeSubnet {
            subnet: address.trunc(),
            interface,
        };
        if is_docker_bridge(&bridge.interface) && !found.contains(&bridge) {
            found.push(bridge);
        }
    }
    found
}

/// Every global address (scope 00) in if_inet6's format, with its prefix length and its
/// interface: `20010db8000001000000000000000001 05 50 00 80 docker0`.
pub fn global_addresses(if_inet6: &str) -> Vec<(String, Ipv6Net)> {
    if_inet6
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [hex, _index, len, scope, _flags, name] = fields[..] else {
                return None;
            };
            if scope != "00" || hex.len() != 32 {
                return None;
            }
            let address = u128::from_str_radix(hex, 16).ok()?;
            let len = u8::from_str_radix(len, 16).ok()?;
            Some((name.to_string(), Ipv6Net::new(address.into(), len).ok()?))
        })
        .collect()
}

/// Settings of `target = nptv6` on the machine at `root`, with the default paths.
#[cfg(test)]
pub(crate) fn settings(root: &Path, internal_prefix: Option<Ipv6Net>) -> Settings {
    use crate::settings::*;
    Settings {
        prefix_file: DEFAULT_PREFIX_FILE.into(),
        subnet_size: DEFAULT_SUBNET_SIZE,
        subnet_id: 0,
        service: DEFAULT_SERVICE.into(),
        init: InitChoice::Auto,
        target: Target::Nptv6,
        daemon_json: DEFAULT_DAEMON_JSON.into(),
        client: Client::Auto,
        on_loss: OnLoss::Keep,
        fallback_prefix: None,
        fallback_nat: FallbackNat::Auto,
        internal_prefix,
        post_change_dir: DEFAULT_POST_CHANGE_DIR.into(),
        post_change_timeout: DEFAULT_POST_CHANGE_TIMEOUT,
        restart_timeout: DEFAULT_RESTART_TIMEOUT,
        root: root.into(),
        dry_run: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::lease_file::LeasedPrefix;

    fn net(s: &str) -> Ipv6Net {
        s.parse().unwrap()
    }

    fn leases(prefixes: &[(&str, Option<u32>)]) -> Leases {
        Leases {
            prefixes: prefixes
                .iter()
                .map(|(p, max_life)| {
                    let lease = LeasedPrefix {
                        prefix: net(p),
                        interface: None,
                        starts: None,
                        preferred_life: None,
                        max_life: *max_life,
                    };
                    ("/var/lib/dhcp/dhclient6.leases".into(), lease)
                })
                .collect(),
            unreadable: Vec::new(),
        }
    }

    #[test]
    fn the_internal_prefix_is_the_setting_else_the_machine_s_ula() {
        let root = tempfile::tempdir().unwrap();
        let given = settings(root.path(), Some(net("fd12:3456:789a::/48")));
        assert_eq!(internal_prefix(&given), net("fd12:3456:789a::/48"));
        assert_eq!(
            internal_prefix(&settings(root.path(), None)),
            firewall::host_ula(root.path())
        );
    }

    #[test]
    fn bridges_are_read_from_if_inet6_under_the_root() {
        let root = tempfile::tempdir().unwrap();
        assert_eq!(bridges(root.path()), Ok(Vec::new()));
        let dir = root.path().join("proc/net");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("if_inet6"),
            "fd123456789a00000000000000000001 05 40 00 80  docker0\n",
        )
        .unwrap();
        assert_eq!(
            bridges(root.path()),
            Ok(vec![BridgeSubnet {
                interface: "docker0".into(),
                subnet: net("fd12:3456:789a::/64"),
            }])
        );
        std::fs::remove_file(dir.join("if_inet6")).unwrap();
        std::fs::create_dir(dir.join("if_inet6")).unwrap();
        assert_eq!(
            bridges(root.path()),
            Err("/proc/net/if_inet6 is not a regular file (a directory)".into())
        );
    }

    #[test]
    fn bridges_are_docker0_and_br_with_global_subnets_once_each() {
        let text = "fe800000000000000000000000000001 05 40 20 80  docker0\n\
                    fd123456789a00000000000000000001 05 40 00 80  docker0\n\
                    fd123456789a00000000000000000002 05 40 00 80  docker0\n\
                    fd123456789a00010000000000000001 07 40 00 80 br-1a2b3c4d5e6f\n\
                    20010db8000002000000000000000001 02 40 00 80     eth0\n\
                    fd123456789a000200000000000000zz 08 40 00 80 br-bad\n";
        let found = bridge_subnets(text);
        let shown: Vec<String> = found
            .iter()
            .map(|b| format!("{} {}", b.interface, b.subnet))
            .collect();
        assert_eq!(
            shown,
            [
                "docker0 fd12:3456:789a::/64",
                "br-1a2b3c4d5e6f fd12:3456:789a:1::/64"
            ]
        );
        assert!(!is_docker_bridge("eth0"));
        assert!(!is_docker_bridge("veth1234"));
    }

    #[test]
    fn the_lease_mapping_stays_on_the_applied_prefix() {
        let internal = net("fd12:3456:789a::/48");
        let two = leases(&[
            ("2001:db8:1:100::/56", Some(3600)),
            ("2001:db8:2:200::/56", Some(3600)),
        ]);
        let first = lease_mapping(&two, internal, None).unwrap().unwrap();
        assert_eq!(first.public, net("2001:db8:1:100::/56"));
        assert_eq!(first.mapped, net("fd12:3456:789a::/56"));
        let second = Mapping::new(net("2001:db8:2:200::/56"), internal).unwrap();
        assert_eq!(
            lease_mapping(&two, internal, Some(second)),
            Some(Ok(second))
        );
        let expired = leases(&[
            ("2001:db8:1:100::/56", Some(0)),
            ("2001:db8:2:200::/56", None),
        ]);
        assert_eq!(lease_mapping(&expired, internal, None), Some(Ok(second)));
        assert_eq!(
            lease_mapping(&leases(&[("2001:db8:1:100::/56", Some(0))]), internal, None),
            None
        );
        assert_eq!(
            lease_mapping(&leases(&[("2001:db8::/72", None)]), internal, None),
            Some(Err(MappingRefused::DelegatedTooLong(72)))
        );
    }

    #[test]
    fn a_subnet_s_public_counterpart_keeps_its_length_and_host_bits() {
        let mapping = Mapping::new(net("2001:db8:1:100::/56"), net("fd12:3456:789a::/48")).unwrap();
        assert_eq!(
            public_subnet(&mapping, net("fd12:3456:789a:7::/64")),
            Some(net("2001:db8:1:107::/64"))
        );
        assert_eq!(
            public_subnet(&mapping, net("fd12:3456:789a::/56")),
            Some(net("2001:db8:1:100::/56"))
        );
        assert_eq!(
            public_subnet(&mapping, net("fd12:3456:789a:100::/64")),
            None
        );
        assert_eq!(public_subnet(&mapping, net("fd12:3456:789a::/52")), None);
    }
}
