//! `doctor` against fixture trees for what docker itself does with the subnet (IPv6 NAT and
//! filtering by version, live-restore, containers a restart leaves stopped, docker0's
//! address) and for dhcpcd as Debian 13 and 14 run it.

use std::fs;
use std::os::unix::fs::symlink;

use crate::doctor::{doctor, finds, healthy};
use crate::util::*;

fn docker_ce(m: &Machine, version: &str, daemon_json: &str) {
    m.put(
        "var/lib/dpkg/status",
        format!("Package: docker-ce\nStatus: install ok installed\nVersion: {version}\n")
            .as_bytes(),
    );
    m.put("etc/docker/daemon.json", daemon_json.as_bytes());
}

#[test]
fn docker_27_masquerades_ipv6_unless_told_not_to() {
    let m = healthy();
    docker_ce(&m, "5:27.5.1-1~debian.12~bookworm", "{}\n");
    finds(
        &m,
        "docker 27.5 masquerades IPv6",
        "com.docker.network.bridge.gateway_mode_ipv6=routed",
    );
    docker_ce(
        &m,
        "5:27.5.1-1~debian.12~bookworm",
        "{\"ip-masq\": false}\n",
    );
    let (code, report) = doctor(&m);
    assert_eq!(code, Some(0), "{report}");
}

#[test]
fn docker_28_2_drops_inbound_without_allow_direct_routing() {
    let m = healthy();
    docker_ce(&m, "5:28.3.0-1~debian.13~trixie", "{\"ip-masq\": false}\n");
    finds(
        &m,
        "drops IPv6 sent to a container's address",
        "\"allow-direct-routing\": true",
    );
}

#[test]
fn docker_before_27_filters_nothing_and_its_ip6tables_needs_experimental() {
    let m = healthy();
    m.put(
        "var/lib/dpkg/status",
        b"Package: docker.io\nStatus: install ok installed\nVersion: 26.1.5+dfsg1-9+b9\n",
    );
    m.put("etc/docker/daemon.json", b"{}\n");
    let (code, report) = doctor(&m);
    assert_eq!(code, Some(0), "{report}");
    assert!(
        report.contains("warning  docker 26.1 neither filters nor masquerades IPv6: every container port is reachable from the Internet over IPv6"),
        "{report}"
    );
    m.put("etc/docker/daemon.json", b"{\"ip6tables\": true}\n");
    finds(&m, "needs \"experimental\": true", "remove \"ip6tables\"");
}

#[test]
fn live_restore_and_containers_that_stay_stopped() {
    let m = healthy();
    m.put(
        "etc/docker/daemon.json",
        b"{\"ip-masq\": false, \"allow-direct-routing\": true, \"live-restore\": true}\n",
    );
    let dir = "var/lib/docker/containers";
    m.put(
        &format!("{dir}/aaaa/hostconfig.json"),
        b"{\"RestartPolicy\": {\"Name\": \"no\", \"MaximumRetryCount\": 0}}",
    );
    m.put(
        &format!("{dir}/aaaa/config.v2.json"),
        b"{\"Name\": \"/web\", \"State\": {\"Running\": true}}",
    );
    m.put(
        &format!("{dir}/bbbb/hostconfig.json"),
        b"{\"RestartPolicy\": {\"Name\": \"unless-stopped\"}}",
    );
    m.put(
        &format!("{dir}/bbbb/config.v2.json"),
        b"{\"Name\": \"/db\", \"State\": {\"Running\": true}}",
    );
    // No config.v2.json: named by its id, and not known to run.
    m.put(
        &format!("{dir}/cccc/hostconfig.json"),
        b"{\"RestartPolicy\": {\"Name\": \"\"}}",
    );
    let (code, report) = doctor(&m);
    assert_eq!(code, Some(0), "{report}");
    for expected in [
        "warning  \"live-restore\": true: while any container runs, restarting docker keeps docker0's old IPv6 subnet",
        "warning  restarting docker for a new prefix stops these containers and leaves them stopped (restart policy no or on-failure): web\n",
        "fix: docker update --restart unless-stopped web\n",
    ] {
        assert!(
            report.contains(expected),
            "missing {expected:?} in:\n{report}"
        );
    }
}

#[test]
fn docker0_still_on_the_old_subnet() {
    let m = healthy();
    m.put(
        "proc/net/if_inet6",
        b"fe800000000000000000000000000001 05 40 20 80  docker0\n20010db8000002000000000000000001 05 50 00 80  docker0\n",
    );
    finds(
        &m,
        "docker0 has 2001:db8:0:200::1/80, outside the configured subnet (2001:db8:0:100::/80)",
        "restart docker",
    );
    m.put(
        "proc/net/if_inet6",
        b"20010db8000001000000000000000001 05 50 00 80  docker0\n",
    );
    let (code, report) = doctor(&m);
    assert_eq!(code, Some(0), "{report}");
    assert!(
        report.contains("ok       docker0 has 2001:db8:0:100::1/80, inside the configured subnet"),
        "{report}"
    );
}

/// dhcpcd-run-hooks as dhcpcd 10.5 installs it on Debian 14.
const RUN_HOOKS_LIBEXEC: &str = "for hook in \\\n\t/etc/dhcpcd.enter-hook \\\n\t/usr/libexec/dhcpcd-hooks/* \\\n\t/etc/dhcpcd.exit-hook\ndo\n";

/// Debian 14: dhcpcd 10.5 with retitled processes, no dhclient at all.
fn debian_14_with_dhcpcd() -> Machine {
    let m = healthy();
    fs::remove_dir_all(m.dir.path().join("proc/100")).unwrap();
    fs::remove_file(m.dir.path().join("sbin/dhclient")).unwrap();
    fs::remove_dir_all(m.dir.path().join("etc/dhcp")).unwrap();
    m.put("usr/sbin/dhcpcd", b"");
    m.put("usr/libexec/dhcpcd-run-hooks", RUN_HOOKS_LIBEXEC.as_bytes());
    m.put(
        "usr/libexec/dhcpcd-hooks/62-docker-ipv6-pd",
        b"    /usr/local/sbin/docker-ipv6-pd --client dhcpcd\n",
    );
    m.put(
        "etc/dhcpcd.conf",
        b"interface eth0\n  ipv6rs\n  ia_pd 1 -\n",
    );
    // Found by comm, then by exe: the command line is a title, not argv.
    m.put(
        "proc/300/cmdline",
        b"dhcpcd: [privileged proxy] eth0 [ip6]\0",
    );
    m.put("proc/300/comm", b"dhcpcd\n");
    m.put("proc/301/cmdline", b"dhcpcd: eth0 [ip6]\0");
    symlink("/usr/sbin/dhcpcd", m.dir.path().join("proc/301/exe")).unwrap();
    m
}

#[test]
fn dhcpcd_10_on_debian_14() {
    let m = debian_14_with_dhcpcd();
    let (code, report) = doctor(&m);
    assert_eq!(code, Some(0), "{report}");
    for expected in [
        "ok       /usr/libexec/dhcpcd-hooks (where dhcpcd-run-hooks looks) has the docker-ipv6-pd hook",
        "ok       dhcpcd runs on eth0 (pid 301)",
        "ok       /etc/dhcpcd.conf asks for a delegated prefix (ia_pd)",
    ] {
        assert!(
            report.contains(expected),
            "missing {expected:?} in:\n{report}"
        );
    }
    assert!(!report.contains("dhclient"), "{report}");
    // Without ia_pd dhcpcd asks for no prefix.
    m.put("etc/dhcpcd.conf", b"interface eth0\n  ipv6rs\n");
    finds(&m, "/etc/dhcpcd.conf has no ia_pd", "ia_pd 1 -");
    // The shim in the directory dhcpcd-run-hooks does not read is no shim.
    let m = debian_14_with_dhcpcd();
    fs::remove_dir_all(m.dir.path().join("usr/libexec/dhcpcd-hooks")).unwrap();
    m.put(
        "usr/lib/dhcpcd/dhcpcd-hooks/62-docker-ipv6-pd",
        b"    /usr/local/sbin/docker-ipv6-pd --client dhcpcd\n",
    );
    finds(
        &m,
        "no docker-ipv6-pd hook in /usr/libexec/dhcpcd-hooks, the directory dhcpcd-run-hooks reads",
        "./install.sh",
    );
    // Found by its exe link alone.
    let m = debian_14_with_dhcpcd();
    fs::remove_dir_all(m.dir.path().join("proc/300")).unwrap();
    let (code, report) = doctor(&m);
    assert_eq!(code, Some(0), "{report}");
    assert!(
        report.contains("ok       dhcpcd runs on eth0 (pid 301)"),
        "{report}"
    );
    // Nothing running: the advice is dhcpcd's.
    let m = debian_14_with_dhcpcd();
    fs::remove_dir_all(m.dir.path().join("proc/300")).unwrap();
    fs::remove_dir_all(m.dir.path().join("proc/301")).unwrap();
    finds(
        &m,
        "no DHCPv6 client asks for a prefix",
        "dhcpcd is installed and dhclient is not",
    );
}
