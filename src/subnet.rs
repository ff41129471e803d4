//! The subnet docker gets: the first /N of a delegated prefix, spelled the way sipcalc spells it.

use std::fmt;

use ipnet::Ipv6Net;

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
mod tests {
    use super::*;

    fn net(s: &str) -> Ipv6Net {
        s.parse().unwrap()
    }

    #[test]
    fn first_80_of_the_seed_prefix_is_spelled_like_sipcalc() {
        let subnet = Subnet::first_of(net("2001:980:1234:140::/60"), 80).unwrap();
        assert_eq!(
            subnet.file_line(),
            "2001:0980:1234:0140:0000:0000:0000:0000/80\n"
        );
    }

    #[test]
    fn host_bits_of_the_prefix_are_masked() {
        let subnet = Subnet::first_of(net("2001:db8:0:10f:dead::1/60"), 80).unwrap();
        assert_eq!(
            subnet.to_string(),
            "2001:0db8:0000:0100:0000:0000:0000:0000/80"
        );
    }

    #[test]
    fn a_prefix_longer_than_the_subnet_has_no_first_subnet() {
        assert_eq!(Subnet::first_of(net("2001:db8::/96"), 80), None);
        assert!(Subnet::first_of(net("2001:db8::/80"), 80).is_some());
    }

    #[test]
    fn other_subnet_sizes_follow_the_same_rule() {
        let subnet = Subnet::first_of(net("2001:db8:ab:cd00::/56"), 64).unwrap();
        assert_eq!(
            subnet.to_string(),
            "2001:0db8:00ab:cd00:0000:0000:0000:0000/64"
        );
        let subnet = Subnet::first_of(net("2001:db8::/32"), 128).unwrap();
        assert_eq!(
            subnet.to_string(),
            "2001:0db8:0000:0000:0000:0000:0000:0000/128"
        );
    }

    #[test]
    fn file_contents_parse_in_any_spelling_with_or_without_newline() {
        let expected = Some(net("2001:db8:0:100::/80"));
        assert_eq!(
            parse_file_contents(b"2001:0db8:0000:0100:0000:0000:0000:0000/80\n"),
            expected
        );
        assert_eq!(parse_file_contents(b"2001:db8:0:100::/80"), expected);
        assert_eq!(parse_file_contents(b""), None);
        assert_eq!(parse_file_contents(b"/80\n"), None);
        assert_eq!(parse_file_contents(b"2001:db8::/80\n\n"), None);
        assert_eq!(parse_file_contents(b"\xff/80"), None);
    }
}
