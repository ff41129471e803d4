//! Reading networkd's and NetworkManager's files: routes, [Match] globs, ini values, dpkg
//! versions, and which .network file and drop-ins networkd would use.

use super::*;

#[test]
fn the_default_route_s_interface_skips_loopback_and_other_routes() {
    let routes = "\
20010db8000000000000000000000000 20 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth1
00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo
00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00450003     wan0
";
    assert_eq!(default_route_interface(routes).as_deref(), Some("wan0"));
    assert_eq!(default_route_interface(&routes[..routes.len() / 2]), None);
}

#[test]
fn match_names_are_globs_and_no_name_matches_all() {
    let network = "[Match]\nName=en* wan?\n\n[Network]\nDHCP=yes\n";
    assert!(matches_link(network, "enp3s0"));
    assert!(matches_link(network, "wan0"));
    assert!(!matches_link(network, "wan10"));
    assert!(!matches_link(network, "eth0"));
    assert!(matches_link("[Match]\nType=ether\n", "eth0"));
    assert!(!matches_link("[Match]\nName=eth0\n", "eth01"));
}

#[test]
fn values_come_from_their_section_only_in_order() {
    let text = "[Network]\nDHCP=no\n# DHCP=yes\n[DHCPv6]\nDHCP=x\n[Network]\nDHCP = ipv6\n";
    assert_eq!(values(text, "Network", "DHCP"), ["no", "ipv6"]);
}

#[test]
fn the_network_manager_package_version() {
    let status =
        "Package: network-manager\nStatus: install ok installed\nVersion: 1.42.4-1\n\nPackage: x\n";
    assert_eq!(
        package_version(status, "network-manager").as_deref(),
        Some("1.42.4-1")
    );
    assert_eq!(package_version(status, "x"), None);
}

#[test]
fn etc_overrides_a_network_file_of_the_same_name_and_drop_ins_follow() {
    let root = tempfile::tempdir().unwrap();
    let put = |path: &str, text: &str| {
        let real = root.path().join(path);
        std::fs::create_dir_all(real.parent().unwrap()).unwrap();
        std::fs::write(real, text).unwrap();
    };
    put(
        "usr/lib/systemd/network/10-wan.network",
        "[Match]\nName=wan0\n[Network]\nDHCP=no\n",
    );
    put(
        "etc/systemd/network/10-wan.network",
        "[Match]\nName=wan*\n[Network]\nDHCP=ipv6\n",
    );
    put("run/systemd/network/05-lan.network", "[Match]\nName=lan0\n");
    put(
        "run/systemd/network/10-wan.network.d/50-pd.conf",
        "[DHCPv6]\nUseDelegatedPrefix=yes\n",
    );
    let file = network_file(root.path(), "wan0").unwrap();
    assert_eq!(file.path, "/etc/systemd/network/10-wan.network");
    assert_eq!(
        file.drop_ins,
        ["/run/systemd/network/10-wan.network.d/50-pd.conf"]
    );
    assert_eq!(values(&file.text, "Network", "DHCP"), ["ipv6"]);
    assert_eq!(values(&file.text, "DHCPv6", "UseDelegatedPrefix"), ["yes"]);
    assert_eq!(network_file(root.path(), "eth0"), None);
}

fn put(root: &Path, path: &str, text: &str) {
    let real = root.join(path);
    std::fs::create_dir_all(real.parent().unwrap()).unwrap();
    std::fs::write(real, text).unwrap();
}

#[test]
fn networkd_is_found_by_comm_or_its_state_directory_and_nm_by_its_arguments() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let facts = network_managers(root, &[]);
    assert_eq!(facts, NetworkManagersFacts::default());
    // comm holds 15 bytes of the name.
    put(root, "proc/91/comm", "systemd-network\n");
    let processes = [(80, vec!["/usr/sbin/NetworkManager".to_string()])];
    let facts = network_managers(root, &processes);
    assert!(facts.networkd_running && facts.nm_running);
    std::fs::remove_dir_all(root.join("proc")).unwrap();
    std::fs::create_dir_all(root.join("run/systemd/netif/links")).unwrap();
    assert!(network_managers(root, &[]).networkd_running);
}

#[test]
fn the_uplink_comes_from_the_watch_s_record_else_the_default_route() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let route = "00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00450003     eth9\n";
    put(root, "proc/net/ipv6_route", route);
    assert_eq!(
        network_managers(root, &[]).uplink,
        Some(("eth9".into(), "the default route"))
    );
    put(
        root,
        "var/lib/docker-ipv6-pd/networkd-lease",
        "b1 wan0 2001:db8::/56\n",
    );
    assert_eq!(
        network_managers(root, &[]).uplink,
        Some(("wan0".into(), "the watch's record"))
    );
}

#[test]
fn the_watch_counts_as_enabled_in_any_wants_directory() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let wants = root.join("etc/systemd/system/network-online.target.wants");
    std::fs::create_dir_all(&wants).unwrap();
    assert!(!network_managers(root, &[]).watch_enabled);
    std::os::unix::fs::symlink("/nowhere", wants.join(WATCH_UNIT)).unwrap();
    assert!(network_managers(root, &[]).watch_enabled);
}
