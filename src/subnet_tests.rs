//! Tests of the subnet docker gets from a delegated prefix.

use super::*;

fn net(s: &str) -> Ipv6Net {
    s.parse().unwrap()
}

#[test]
fn first_80_of_a_60_is_spelled_like_sipcalc() {
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

#[test]
fn subnet_id_0_is_the_first_subnet_of_the_prefix_whatever_the_size() {
    for (prefix, size) in [
        ("2001:db8:0:10f:dead::1/60", 80),
        ("2001:db8::/32", 48),
        ("2001:db8::/80", 80),
        ("2001:db8::/96", 80),
    ] {
        assert_eq!(
            Subnet::of(net(prefix), size, 0).ok(),
            Subnet::first_of(net(prefix), size),
            "{prefix} /{size}"
        );
    }
    assert_eq!(
        Subnet::of(net("2001:db8::/96"), 80, 0),
        Err(NoSubnet::TooLong(96))
    );
}

#[test]
fn subnet_id_counts_64s_from_the_start_of_the_prefix() {
    let of = |id| Subnet::of(net("2001:db8:0:10f::1/60"), 80, id).map(|s| s.to_string());
    assert_eq!(
        of(1),
        Ok("2001:0db8:0000:0101:0000:0000:0000:0000/80".into())
    );
    assert_eq!(
        of(15),
        Ok("2001:0db8:0000:010f:0000:0000:0000:0000/80".into())
    );
    let of = |size| Subnet::of(net("2001:db8:ab:cd00::/56"), size, 0xab).map(|s| s.to_string());
    assert_eq!(
        of(64),
        Ok("2001:0db8:00ab:cdab:0000:0000:0000:0000/64".into())
    );
    assert_eq!(
        of(128),
        Ok("2001:0db8:00ab:cdab:0000:0000:0000:0000/128".into())
    );
}

#[test]
fn the_last_subnet_id_of_a_prefix_is_its_last_64() {
    let last = Subnet::of(net("2001:db8:0:100::/60"), 80, 15).unwrap();
    assert_eq!(last.net(), net("2001:db8:0:10f::/80"));
    let last = Subnet::of(net("2001:db8::/32"), 64, u64::from(u32::MAX)).unwrap();
    assert_eq!(last.net(), net("2001:db8:ffff:ffff::/64"));
    let last = Subnet::of(net("::/0"), 64, u64::MAX).unwrap();
    assert_eq!(last.net(), net("ffff:ffff:ffff:ffff::/64"));
    let only = Subnet::of(net("2001:db8:0:100::/63"), 80, 1).unwrap();
    assert_eq!(only.net(), net("2001:db8:0:101::/80"));
}

#[test]
fn a_subnet_id_beyond_the_prefix_is_refused() {
    assert_eq!(
        Subnet::of(net("2001:db8:0:100::/60"), 80, 16),
        Err(NoSubnet::NoSuchId(60, 16))
    );
    assert_eq!(
        Subnet::of(net("2001:db8:0:100::/64"), 80, 1),
        Err(NoSubnet::NoSuchId(64, 1))
    );
    assert_eq!(
        Subnet::of(net("2001:db8:0:100::/72"), 80, 1),
        Err(NoSubnet::NoSuchId(72, 1))
    );
    assert_eq!(
        Subnet::of(net("2001:db8::/32"), 64, 1 << 32),
        Err(NoSubnet::NoSuchId(32, 1 << 32))
    );
    let problem = NoSubnet::NoSuchId(60, 16).problem(80);
    assert_eq!(
        problem,
        "a /60 holds /64s number 0 to 15, not number 16 (--subnet-id)"
    );
    assert!(
        NoSubnet::NoSuchId(72, 1)
            .problem(80)
            .contains("holds no /64")
    );
    assert!(NoSubnet::NoSuchId(64, 1).problem(80).contains("single /64"));
}

#[test]
fn a_subnet_id_needs_a_subnet_of_64_or_longer() {
    assert_eq!(
        Subnet::of(net("2001:db8::/32"), 63, 1),
        Err(NoSubnet::SizeBelow64(63))
    );
    assert!(Subnet::of(net("2001:db8::/32"), 63, 0).is_ok());
    assert!(Subnet::of(net("2001:db8::/32"), 64, 1).is_ok());
}
