//! The subnet docker gets: the first /N of a delegated prefix (or of its /64 number
//! `subnet-id`), spelled the way sipcalc spells it.

use std::fmt;

use ipnet::Ipv6Net;

/// Which subnet of a delegated prefix docker gets: the first /`size` of the prefix's /64
/// number `id` (`--subnet-size`, `--subnet-id`). Id 0 is the first /`size` of the prefix
/// itself, whatever the size: the published hook's choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubnetChoice {
    pub size: u8,
    pub id: u64,
}

impl SubnetChoice {
    /// The first /`size` of the prefix (subnet-id 0).
    pub fn first(size: u8) -> SubnetChoice {
        SubnetChoice { size, id: 0 }
    }

    /// The subnet this choice takes from `prefix`.
    pub fn of(self, prefix: Ipv6Net) -> Result<Subnet, NoSubnet> {
        Subnet::of(prefix, self.size, self.id)
    }
}

/// Why a prefix yields no subnet for a [`SubnetChoice`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoSubnet {
    /// The prefix (of this length) is longer than the subnet size.
    TooLong(u8),
    /// The prefix (of this length) has no /64 of this number.
    NoSuchId(u8, u64),
    /// A subnet id other than 0 with a subnet shorter than /64 (of this size).
    SizeBelow64(u8),
}

impl NoSubnet {
    /// What the prefix, of length `len`, lacks, for a `size` subnet: one clause naming the
    /// setting that asks for it.
    pub fn problem(self, size: u8) -> String {
        match self {
            NoSubnet::TooLong(len) => {
                format!("a /{len} cannot hold a /{size} subnet (--subnet-size)")
            }
            NoSubnet::NoSuchId(len, id) if len > 64 => {
                format!("a /{len} holds no /64, so no /64 number {id} (--subnet-id)")
            }
            NoSubnet::NoSuchId(64, id) => {
                format!("a /64 is a single /64, number 0: no /64 number {id} (--subnet-id)")
            }
            NoSubnet::NoSuchId(len, id) => format!(
                "a /{len} holds /64s number 0 to {}, not number {id} (--subnet-id)",
                last_id(len)
            ),
            NoSubnet::SizeBelow64(size) => {
                format!("a subnet-id other than 0 needs a subnet-size of 64 or more, not {size}")
            }
        }
    }
}

/// The number of the last /64 in a prefix of length `len` (0 from /64 on).
fn last_id(len: u8) -> u64 {
    u64::MAX.checked_shr(u32::from(len)).unwrap_or(0)
}

/// A subnet that is always a network address (no host bits) of its own length.
///
/// It is the only type whose text reaches the prefix file, so nothing but a valid subnet,
/// spelled fully expanded in lower case, can ever be written there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subnet(Ipv6Net);

impl Subnet {
    /// The first /`size` inside `prefix`, or `None` when the prefix is longer than `size`
    /// (it cannot hold a /`size`).
    pub fn first_of(prefix: Ipv6Net, size: u8) -> Option<Subnet> {
        if prefix.prefix_len() > size {
            return None;
        }
        Ipv6Net::new(prefix.network(), size).ok().map(Subnet)
    }

    /// The first /`size` of /64 number `id` of `prefix`, counting /64s from 0 at the start
    /// of the prefix as systemd-networkd's `SubnetId=` and NetworkManager's
    /// `prefix-delegation.subnet-id` do. Id 0 is exactly [`Subnet::first_of`]; another id
    /// needs a `size` of 64 or more and a prefix that has that /64.
    pub fn of(prefix: Ipv6Net, size: u8, id: u64) -> Result<Subnet, NoSubnet> {
        let len = prefix.prefix_len();
        if id == 0 {
            return Subnet::first_of(prefix, size).ok_or(NoSubnet::TooLong(len));
        }
        if size < 64 {
            return Err(NoSubnet::SizeBelow64(size));
        }
        // A /64 or longer prefix has /64 number 0 at most: last_id is 0 there.
        if id > last_id(len) {
            return Err(NoSubnet::NoSuchId(len, id));
        }
        let network = u128::from(prefix.network()) | (u128::from(id) << 64);
        Ipv6Net::new(network.into(), size)
            .map(Subnet)
            .map_err(|_| NoSubnet::TooLong(len))
    }

    /// The subnet as an `ipnet` network.
    pub fn net(&self) -> Ipv6Net {
        self.0
    }

    /// Exactly the bytes the prefix file holds for this subnet: the expanded form and a newline.
    pub fn file_line(&self) -> String {
        format!("{self}\n")
    }
}

/// `2001:0db8:0000:0100:0000:0000:0000:0000/80`: what
/// `sipcalc -S N P | grep Network | head -n 1 | awk '{print $3}'` prints, plus `/N`.
impl fmt::Display for Subnet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0.addr().segments();
        write!(
            f,
            "{:04x}:{:04x}:{:04x}:{:04x}:{:04x}:{:04x}:{:04x}:{:04x}/{}",
            s[0],
            s[1],
            s[2],
            s[3],
            s[4],
            s[5],
            s[6],
            s[7],
            self.0.prefix_len()
        )
    }
}

/// Reads what a prefix file holds: one IPv6 network in any spelling, with or without the
/// trailing newline. Anything else (empty, garbage, two lines) is `None`.
pub fn parse_file_contents(bytes: &[u8]) -> Option<Ipv6Net> {
    let text = std::str::from_utf8(bytes).ok()?;
    let line = text.strip_suffix('\n').unwrap_or(text);
    line.parse().ok()
}

#[cfg(test)]
#[path = "subnet_tests.rs"]
mod tests;
