//! The mapping's arithmetic for every common delegated length, and the nft scripts' text.

use super::*;

const INTERNAL: &str = "fd12:3456:789a::/48";

fn net(s: &str) -> Ipv6Net {
    s.parse().unwrap()
}

fn addr(s: &str) -> Ipv6Addr {
    s.parse().unwrap()
}

fn mapping(delegated: &str) -> Mapping {
    Mapping::new(net(delegated), net(INTERNAL)).unwrap()
}

#[test]
fn each_delegated_length_maps_the_same_length_of_the_internal_prefix() {
    for (delegated, public, mapped) in [
        ("2001:db8::/44", "2001:db8::/48", "fd12:3456:789a::/48"),
        ("2001:db8:1::/48", "2001:db8:1::/48", "fd12:3456:789a::/48"),
        (
            "2001:db8:1:100::/56",
            "2001:db8:1:100::/56",
            "fd12:3456:789a::/56",
        ),
        (
            "2001:db8:1:1f0::/60",
            "2001:db8:1:1f0::/60",
            "fd12:3456:789a::/60",
        ),
        (
            "2001:db8:1:1fc::/62",
            "2001:db8:1:1fc::/62",
            "fd12:3456:789a::/62",
        ),
        (
            "2001:db8:1:1ff::/64",
            "2001:db8:1:1ff::/64",
            "fd12:3456:789a::/64",
        ),
    ] {
        let m = mapping(delegated);
        assert_eq!(m.public, net(public), "{delegated}");
        assert_eq!(m.mapped, net(mapped), "{delegated}");
    }
}

#[test]
fn the_host_bits_are_kept_both_ways() {
    let m = mapping("2001:db8:1:1f0::/60");
    let inside = addr("fd12:3456:789a:3:211:22ff:fe33:4455");
    let public = m.public_of(inside).unwrap();
    assert_eq!(public, addr("2001:db8:1:1f3:211:22ff:fe33:4455"));
    assert_eq!(m.internal_of(public), Some(inside));
    // Outside the mapped part (the /60 of a /48): no public address.
    assert_eq!(m.public_of(addr("fd12:3456:789a:10::1")), None);
    assert_eq!(m.internal_of(addr("2001:db8:1:200::1")), None);
    let wide = mapping("2001:db8::/44");
    assert_eq!(
        wide.public_of(addr("fd12:3456:789a:ffff::9")),
        Some(addr("2001:db8:0:ffff::9"))
    );
}

#[test]
fn spellings_and_host_bits_of_the_delegated_prefix_do_not_matter() {
    let want = mapping("2001:db8:1:100::/56");
    for spelling in [
        "2001:0db8:0001:0100:0000:0000:0000:0000/56",
        "2001:DB8:1:100::/56",
        "2001:db8:1:1ab::1/56",
    ] {
        assert_eq!(mapping(spelling), want, "{spelling}");
    }
    let host_bits_inside = Mapping::new(net("2001:db8:1:100::/56"), net("fd12:3456:789a::7/48"));
    assert_eq!(host_bits_inside.unwrap(), want);
}

#[test]
fn docker_and_its_public_subnet_are_the_first_64s() {
    let m = mapping("2001:db8:1:1f0::/60");
    assert_eq!(m.docker_subnet(), net("fd12:3456:789a::/64"));
    assert_eq!(m.public_subnet(), net("2001:db8:1:1f0::/64"));
}

#[test]
fn too_long_prefixes_are_refused_with_a_reason() {
    let err = Mapping::new(net("2001:db8:1:1f0::/72"), net(INTERNAL)).unwrap_err();
    assert_eq!(err, MappingRefused::DelegatedTooLong(72));
    assert!(err.to_string().contains("/72 is longer than /64"), "{err}");
    let err = Mapping::new(net("2001:db8::/44"), net("fd12:3456:789a::/56")).unwrap_err();
    assert_eq!(
        err,
        MappingRefused::InternalTooLong {
            internal: net("fd12:3456:789a::/56"),
            needed: 48
        }
    );
    assert!(err.to_string().contains("use a /48 or shorter"), "{err}");
    // A /56 internal prefix does hold the /60 a /60 maps onto.
    let m = Mapping::new(net("2001:db8:1:1f0::/60"), net("fd12:3456:789a:100::/56")).unwrap();
    assert_eq!(m.mapped, net("fd12:3456:789a:100::/60"));
}

#[test]
fn the_apply_script_replaces_our_table_in_one_file() {
    assert_eq!(
        mapping("2001:db8:1:100::/56").apply_script(),
        "table ip6 docker_ipv6_pd\n\
         delete table ip6 docker_ipv6_pd\n\
         table ip6 docker_ipv6_pd {\n\
         \tchain prerouting {\n\
         \t\ttype nat hook prerouting priority dstnat - 1; policy accept;\n\
         \t\tip6 daddr 2001:db8:1:100::/56 dnat ip6 prefix to fd12:3456:789a::/56\n\
         \t}\n\
         \tchain postrouting {\n\
         \t\ttype nat hook postrouting priority srcnat - 1; policy accept;\n\
         \t\tip6 saddr fd12:3456:789a::/56 snat ip6 prefix to 2001:db8:1:100::/56\n\
         \t}\n\
         \tchain forward {\n\
         \t\ttype filter hook forward priority filter - 1; policy accept;\n\
         \t\tct status dnat ip6 daddr fd12:3456:789a::/56 meta oifkind != \"bridge\" \
         reject with icmpv6 type no-route\n\
         \t\tip6 daddr 2001:db8:1:100::/56 ct status & dnat == 0 \
         reject with icmpv6 type no-route\n\
         \t}\n\
         }\n"
    );
    assert_eq!(
        remove_script(),
        "table ip6 docker_ipv6_pd\ndelete table ip6 docker_ipv6_pd\n"
    );
}

#[test]
fn the_state_line_reads_back_and_garbage_is_nothing() {
    let m = mapping("2001:db8:1:100::/56");
    assert_eq!(m.to_string(), "2001:db8:1:100::/56 fd12:3456:789a::/56");
    assert_eq!(Mapping::parse(&format!("{m}\n")), Some(m));
    for garbage in [
        "",
        "2001:db8:1:100::/56",
        "2001:db8:1:100::/56 fd12:3456:789a::/48",
        "2001:db8:1:100::1/56 fd12:3456:789a::/56",
        "2001:db8:1:100::/56 fd12:3456:789a::/56 extra",
        "apply 2001:db8:1:100::/56",
    ] {
        assert_eq!(Mapping::parse(garbage), None, "{garbage:?}");
    }
}
