//! `--target nptv6`: docker keeps a stable unique local prefix for good, and the host maps it
//! 1:1 onto whatever prefix is delegated today (nftables prefix translation, RFC 6296
//! semantics: the host bits are kept). A renumbering then swaps two nft rules and restarts
//! nothing. Pure: the mapping's arithmetic, the nft scripts and the state line.

use std::fmt;
use std::net::Ipv6Addr;

use ipnet::Ipv6Net;

/// The shortest delegated length mapped whole: of a shorter prefix only the first /48 is used.
pub const SHORTEST_MAPPED: u8 = 48;
/// The longest delegated prefix that can be mapped: docker's networks are /64s.
pub const LONGEST_MAPPED: u8 = 64;
/// The nft table that holds our rules, and nothing else.
pub const TABLE: &str = "docker_ipv6_pd";

/// The 1:1 mapping between the public part of a delegated prefix and the same-sized part of
/// the internal prefix docker uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mapping {
    /// The first /L_eff of the delegated prefix (a network address).
    pub public: Ipv6Net,
    /// The first /L_eff of the internal prefix: where docker's networks live.
    pub mapped: Ipv6Net,
}

/// Why a delegated prefix cannot be mapped onto the internal prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MappingRefused {
    /// The delegated prefix is longer than /64: no docker network fits.
    DelegatedTooLong(u8),
    /// The internal prefix is longer than the part that must be mapped onto it.
    InternalTooLong { internal: Ipv6Net, needed: u8 },
}

impl fmt::Display for MappingRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MappingRefused::DelegatedTooLong(len) => write!(
                f,
                "a /{len} is longer than /{LONGEST_MAPPED}: --target nptv6 needs a /{LONGEST_MAPPED} \
                 or shorter"
            ),
            MappingRefused::InternalTooLong { internal, needed } => write!(
                f,
                "internal-prefix {internal} is longer than the /{needed} that the delegated \
                 prefix maps onto; use a /{needed} or shorter"
            ),
        }
    }
}

impl Mapping {
    /// The mapping of `delegated` (any spelling, host bits allowed) onto `internal`.
    pub fn new(delegated: Ipv6Net, internal: Ipv6Net) -> Result<Mapping, MappingRefused> {
        let len = delegated.prefix_len();
        if len > LONGEST_MAPPED {
            return Err(MappingRefused::DelegatedTooLong(len));
        }
        let effective = len.max(SHORTEST_MAPPED);
        if internal.prefix_len() > effective {
            return Err(MappingRefused::InternalTooLong {
                internal: internal.trunc(),
                needed: effective,
            });
        }
        let first = |net: Ipv6Net| {
            Ipv6Net::new(net.network(), effective)
                .expect("a length up to 64 is valid")
                .trunc()
        };
        Ok(Mapping {
            public: first(delegated),
            mapped: first(internal),
        })
    }

    /// The public address of an internal address: the public part's bits, then the
    /// internal address's remaining bits. `None` when the address is outside the mapped part.
    pub fn public_of(&self, internal: Ipv6Addr) -> Option<Ipv6Addr> {
        self.mapped
            .contains(&internal)
            .then(|| swap_prefix(internal, self.public))
    }

    /// The internal address a public address is mapped to, when it is in the public part.
    pub fn internal_of(&self, public: Ipv6Addr) -> Option<Ipv6Addr> {
        self.public
            .contains(&public)
            .then(|| swap_prefix(public, self.mapped))
    }

    /// Docker's default bridge: the first /64 of the mapped part.
    pub fn docker_subnet(&self) -> Ipv6Net {
        first_64(self.mapped)
    }

    /// The public /64 of docker's default bridge.
    pub fn public_subnet(&self) -> Ipv6Net {
        first_64(self.public)
    }

    /// The `nft -f` script that replaces our table with this mapping in one transaction:
    /// creating the table first makes the delete succeed when it is not there yet. Our nat
    /// chains run just before docker's (priority - 1), so they bind the connection first. The
    /// forward chain keeps the delegated prefix from bouncing out of the default route: a
    /// connection mapped onto an internal address no docker network (a bridge) holds, and a
    /// packet for the public part that was not mapped, get "no route" back.
    pub fn apply_script(&self) -> String {
        let (public, mapped) = (self.public, self.mapped);
        format!(
            "table ip6 {TABLE}\n\
             delete table ip6 {TABLE}\n\
             table ip6 {TABLE} {{\n\
             \tchain prerouting {{\n\
             \t\ttype nat hook prerouting priority dstnat - 1; policy accept;\n\
             \t\tip6 daddr {public} dnat ip6 prefix to {mapped}\n\
             \t}}\n\
             \tchain postrouting {{\n\
             \t\ttype nat hook postrouting priority srcnat - 1; policy accept;\n\
             \t\tip6 saddr {mapped} snat ip6 prefix to {public}\n\
             \t}}\n\
             \tchain forward {{\n\
             \t\ttype filter hook forward priority filter - 1; policy accept;\n\
             \t\tct status dnat ip6 daddr {mapped} meta oifkind != \"bridge\" \
             reject with icmpv6 type no-route\n\
             \t\tip6 daddr {public} ct status & dnat == 0 reject with icmpv6 type no-route\n\
             \t}}\n\
             }}\n"
        )
    }

    /// Reads a state line as [`Display`](fmt::Display) writes it; anything else is `None`.
    pub fn parse(line: &str) -> Option<Mapping> {
        let mut words = line.split_whitespace();
        let public: Ipv6Net = words.next()?.parse().ok()?;
        let mapped: Ipv6Net = words.next()?.parse().ok()?;
        let consistent = words.next().is_none()
            && public.prefix_len() == mapped.prefix_len()
            && public == public.trunc()
            && mapped == mapped.trunc();
        consistent.then_some(Mapping { public, mapped })
    }
}

/// The `nft -f` script that removes our table, whether or not it is there.
pub fn remove_script() -> String {
    format!("table ip6 {TABLE}\ndelete table ip6 {TABLE}\n")
}

/// The state line: `PUBLIC MAPPED`, e.g. `2001:db8:0:100::/56 fd12:3456:789a::/56`.
impl fmt::Display for Mapping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.public, self.mapped)
    }
}

/// `addr` with its first `prefix.prefix_len()` bits replaced by `prefix`'s.
fn swap_prefix(addr: Ipv6Addr, prefix: Ipv6Net) -> Ipv6Addr {
    let mask = u128::from(prefix.netmask());
    Ipv6Addr::from((u128::from(prefix.network()) & mask) | (u128::from(addr) & !mask))
}

fn first_64(net: Ipv6Net) -> Ipv6Net {
    Ipv6Net::new(net.network(), LONGEST_MAPPED).expect("64 is a valid length")
}

#[cfg(test)]
#[path = "nptv6_tests.rs"]
mod tests;
