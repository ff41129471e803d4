//! `doctor --root` on docker's side: how dockerd gets its IPv6 flags (DOCKER_OPTS under
//! systemd or daemon.json), whether its subnet is the one the prefix gives, at any size.

use std::fs;

use crate::doctor::{doctor, finds, healthy};
use crate::util::*;

/// Debian's docker.io unit, as docker.io installs it.
const DEBIAN_UNIT: &str = "[Service]\nEnvironmentFile=-/etc/default/docker\nExecStart=/usr/sbin/dockerd -H fd:// $DOCKER_OPTS\n";
/// Docker CE's unit: no EnvironmentFile.
const DOCKER_CE_UNIT: &str =
    "[Service]\nExecStart=/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock\n";

#[test]
fn docker_opts_under_systemd() {
    let m = healthy();
    fs::create_dir_all(m.dir.path().join("run/systemd/system")).unwrap();
    m.put(
        "usr/lib/systemd/system/docker.service",
        DOCKER_CE_UNIT.as_bytes(),
    );
    finds(
        &m,
        "but /usr/lib/systemd/system/docker.service does not read that file",
        "target = daemon-json",
    );
    // Debian's unit reads the file, but hands `$(cat …)` to dockerd as text.
    m.put(
        "usr/lib/systemd/system/docker.service",
        DEBIAN_UNIT.as_bytes(),
    );
    finds(
        &m,
        "systemd runs no $( … ) or backticks",
        "target = daemon-json",
    );
    let (_, report) = doctor(&m);
    assert!(!report.contains("does not read that file"), "{report}");
    // Flags written out in full reach dockerd through Debian's unit.
    m.put(
        "etc/default/docker",
        b"DOCKER_OPTS=\"--ipv6 --fixed-cidr-v6=2001:db8:0:100::/80\"\n",
    );
    let (_, report) = doctor(&m);
    assert!(
        report.contains(
            "ok       dockerd gets --ipv6 --fixed-cidr-v6 from /etc/default/docker (DOCKER_OPTS)"
        ),
        "{report}"
    );
    assert!(!report.contains("systemd runs no $( … )"), "{report}");
}

#[test]
fn no_ipv6_subnet_for_docker_at_all() {
    let m = healthy();
    fs::remove_file(m.dir.path().join("etc/default/docker")).unwrap();
    fs::remove_dir_all(m.dir.path().join("proc/200")).unwrap();
    finds(&m, "docker gets no IPv6 subnet", "DOCKER_OPTS=");
}

#[test]
fn an_invalid_or_stale_subnet() {
    let m = healthy();
    m.put("etc/docker/ipv6.prefix", b"/80\n");
    finds(
        &m,
        "holds no valid subnet: \"/80\\x0a\"",
        "let the hook write it",
    );
    let m = healthy();
    m.put("etc/docker/ipv6.prefix", LINE_200.as_bytes());
    finds(
        &m,
        "2001:db8:0:200::/80 in /etc/docker/ipv6.prefix is not inside the delegated prefix (2001:db8:0:100::/60)",
        "run the hook with the current lease: systemctl restart dhclient6-pd@IFACE",
    );
    finds(
        &m,
        "uses 2001:db8:0:100::/80, but /etc/docker/ipv6.prefix holds 2001:db8:0:200::/80",
        "restart docker",
    );
}

#[test]
fn daemon_json_wiring_is_checked_too() {
    let m = healthy();
    fs::remove_file(m.dir.path().join("etc/default/docker")).unwrap();
    fs::remove_dir_all(m.dir.path().join("proc/200")).unwrap();
    m.put(
        "etc/docker-ipv6-pd/docker-ipv6-pd.conf",
        b"target = daemon-json\n",
    );
    m.put(
        "etc/docker/daemon.json",
        b"{\"ipv6\": true, \"fixed-cidr-v6\": \"2001:db8:0:100::/80\", \"ip-masq\": false, \"allow-direct-routing\": true}\n",
    );
    let (code, report) = doctor(&m);
    assert_eq!(code, Some(0), "{report}");
    assert!(
        report.contains("ok       /etc/docker/daemon.json sets fixed-cidr-v6"),
        "{report}"
    );
    m.put(
        "etc/docker/daemon.json",
        b"{\"fixed-cidr-v6\": \"2001:db8:0:100::/80\"}\n",
    );
    finds(
        &m,
        "sets fixed-cidr-v6 but not \"ipv6\": true",
        "add \"ipv6\": true",
    );
    m.put("etc/docker/daemon.json", b"{\"ipv6\": tru");
    finds(&m, "not valid daemon.json", "fix the JSON");
}

#[test]
fn any_subnet_size_works_with_any_docker() {
    let m = healthy();
    m.put(
        "var/lib/dpkg/status",
        b"Package: docker-ce\nStatus: install ok installed\nVersion: 5:27.3.1-1~debian.12\n",
    );
    m.put("etc/docker/daemon.json", b"{\"ip-masq\": false}\n");
    m.put(
        "etc/docker-ipv6-pd/docker-ipv6-pd.conf",
        b"subnet-size = 96\n",
    );
    let (code, report) = doctor(&m);
    assert_eq!(code, Some(0), "{report}");
    assert!(
        report.contains("ok       docker-ce 5:27.3.1-1~debian.12 gives default-bridge containers sequential addresses (MAC-derived ones only in a /80 or shorter) in the /96"),
        "{report}"
    );
}

#[test]
fn daemon_json_with_ipv6_false_is_turned_on_by_the_hook() {
    let m = healthy();
    fs::remove_file(m.dir.path().join("etc/default/docker")).unwrap();
    fs::remove_dir_all(m.dir.path().join("proc/200")).unwrap();
    m.put(
        "etc/docker-ipv6-pd/docker-ipv6-pd.conf",
        b"target = daemon-json\n",
    );
    m.put("etc/docker/daemon.json", b"{\"ipv6\": false}\n");
    let (_, report) = doctor(&m);
    assert!(
        report.contains("warning  /etc/docker/daemon.json has \"ipv6\": false, which the hook turns to true when it writes the subnet there"),
        "{report}"
    );
}

#[test]
fn a_prefix_file_not_written_yet_is_not_called_written() {
    let m = healthy();
    fs::remove_file(&m.prefix_file).unwrap();
    m.put(
        "etc/default/docker",
        b"DOCKER_OPTS=\"--ipv6 --fixed-cidr-v6=2001:db8:0:100::/80\"\n",
    );
    let (_, report) = doctor(&m);
    assert!(
        report.contains("warning  /etc/docker/ipv6.prefix does not exist yet"),
        "{report}"
    );
    assert!(
        report.contains("warning  the hook writes the subnet to /etc/docker/ipv6.prefix, but nothing gives that file to dockerd"),
        "{report}"
    );
    assert!(!report.contains("is written"), "{report}");
}
