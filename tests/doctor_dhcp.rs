//! `doctor --root` on the DHCP client side of a Debian 14 machine: dhcpcd 10.5 found by
//! /proc/PID/comm with its rewritten titles, and DHCP clients in another mount namespace.

use std::fs;

use crate::doctor::{doctor, healthy};
use crate::util::*;

/// `pid` under /proc of machine `m`: its command line, its comm, its mount namespace link.
fn process(m: &Machine, pid: u32, cmdline: &str, comm: &str, mount_ns: &str) {
    m.put(&format!("proc/{pid}/cmdline"), cmdline.as_bytes());
    m.put(&format!("proc/{pid}/comm"), format!("{comm}\n").as_bytes());
    let ns = m.dir.path().join(format!("proc/{pid}/ns"));
    fs::create_dir_all(&ns).unwrap();
    std::os::unix::fs::symlink(mount_ns, ns.join("mnt")).unwrap();
}

const OURS: &str = "mnt:[4026531841]";
const A_CONTAINERS: &str = "mnt:[4026532999]";

#[test]
fn dhcpcd_10_5_without_dhclient_is_read_by_its_titles() {
    let m = healthy();
    let root = m.dir.path();
    fs::remove_dir_all(root.join("proc/100")).unwrap();
    fs::remove_file(root.join("sbin/dhclient")).unwrap();
    fs::remove_file(root.join("var/lib/dhcp/dhclient6.leases")).unwrap();
    m.put("usr/sbin/dhcpcd", b"");
    m.put(
        "usr/libexec/dhcpcd-hooks/62-docker-ipv6",
        b"/usr/local/sbin/docker-ipv6-pd # docker-ipv6-pd shim\n",
    );
    m.put(
        "etc/dhcpcd.conf",
        b"interface wan0\n  ipv6rs\n  ia_pd 1 -\n",
    );
    m.put("proc/sys/net/ipv6/conf/wan0/accept_ra", b"2\n");
    for (pid, title) in [
        (300, "dhcpcd: [privileged proxy] wan0 [ip6]"),
        (301, "dhcpcd: wan0 [ip6]"),
        (302, "dhcpcd: [network proxy] fe80::a8c1:abff:fe01:2%wan0"),
        (303, "dhcpcd: [network proxy] 2001:db8:0:1::5"),
        (304, "dhcpcd: [control proxy] wan0 [ip6]"),
    ] {
        process(&m, pid, &format!("{title}\0"), "dhcpcd", OURS);
    }
    let (code, report) = doctor(&m);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(
        report.matches("dhcpcd runs").count(),
        1,
        "one dhcpcd, one line:\n{report}"
    );
    for expected in [
        "ok       dhcpcd runs on wan0 (pid 301)",
        "ok       net.ipv6.conf.wan0.accept_ra=2",
        "ok       /etc/dhcp/dhclient-enter-hooks.d/docker-ipv6 is installed, but dhclient is not: nothing runs it",
    ] {
        assert!(
            report.contains(expected),
            "missing {expected:?} in:\n{report}"
        );
    }
    assert!(!report.contains("fe80::"), "{report}");
    assert!(!report.contains("dhclient6-pd@"), "{report}");
}

#[test]
fn a_dhcp_client_in_another_mount_namespace_is_not_ours() {
    let m = healthy();
    process(
        &m,
        100,
        "dhclient\0-6\0-P\0-d\0eth0\0",
        "dhclient",
        A_CONTAINERS,
    );
    process(&m, 101, "dhcpcd: eth1 [ip6]\0", "dhcpcd", A_CONTAINERS);
    let (code, report) = doctor(&m);
    assert_eq!(code, Some(5), "{report}");
    for expected in [
        "ok       not checked: dhclient (pid 100) runs in another mount namespace",
        "ok       not checked: dhcpcd (pid 101) runs in another mount namespace",
        "problem  no DHCPv6 client asks for a prefix",
    ] {
        assert!(
            report.contains(expected),
            "missing {expected:?} in:\n{report}"
        );
    }
    assert!(!report.contains("runs on eth"), "{report}");
    // In our mount namespace, the same dhclient is ours.
    let m = healthy();
    process(&m, 100, "dhclient\0-6\0-P\0-d\0eth0\0", "dhclient", OURS);
    let (code, report) = doctor(&m);
    assert_eq!(code, Some(0), "{report}");
    assert!(
        report.contains("ok       dhclient -6 -P runs on eth0 (pid 100)"),
        "{report}"
    );
}
