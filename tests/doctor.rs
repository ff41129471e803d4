//! `doctor` against fixture trees (`--root`): a healthy machine, then each broken one,
//! every problem named with its fix and exit status 5.

use std::fs;
use std::process::{Command, Output};

use crate::util::*;

const SHIM: &str = "if [ -x /usr/local/sbin/docker-ipv6-pd ]; then\n    /usr/local/sbin/docker-ipv6-pd\nfi\n# docker-ipv6-pd shim\n";
const LEASES: &str = "lease6 {\n  interface \"eth0\";\n  ia-pd 1a:2b:3c:4d {\n    starts 1742000000;\n    iaprefix 2001:db8:0:100::/60 {\n      starts 1742000000;\n      preferred-life 1800;\n      max-life 3600;\n    }\n  }\n}\n";
const DPKG_28: &str =
    "Package: docker-ce\nStatus: install ok installed\nVersion: 5:28.2.2-1~debian.13~trixie\n";
/// daemon.json of a docker 28.2 or later that routes containers' IPv6 unmasqueraded.
const ROUTED: &str = "{\"ip-masq\": false, \"allow-direct-routing\": true}\n";

/// A machine on which everything is right (sysvinit-style wiring through DOCKER_OPTS).
pub(crate) fn healthy() -> Machine {
    let m = Machine::new();
    m.put(
        "etc/dhcp/dhclient-enter-hooks.d/docker-ipv6",
        SHIM.as_bytes(),
    );
    m.put("usr/local/sbin/docker-ipv6-pd", b"#!/bin/sh\n");
    write_executable(
        &m.dir.path().join("usr/local/sbin/docker-ipv6-pd"),
        "#!/bin/sh\n",
    );
    m.put("proc/100/cmdline", b"dhclient\0-6\0-P\0-d\0eth0\0");
    m.put("proc/sys/net/ipv6/conf/all/forwarding", b"1\n");
    m.put("proc/sys/net/ipv6/conf/eth0/accept_ra", b"2\n");
    m.put(
        "etc/default/docker",
        b"DOCKER_OPTS=\"--ipv6 --fixed-cidr-v6=$(cat /etc/docker/ipv6.prefix)\"\n",
    );
    m.put("etc/docker/ipv6.prefix", LINE_100.as_bytes());
    m.put("var/lib/dhcp/dhclient6.leases", LEASES.as_bytes());
    m.put(
        "proc/200/cmdline",
        b"/usr/bin/dockerd\0--ipv6\0--fixed-cidr-v6=2001:0db8:0000:0100:0000:0000:0000:0000/80\0",
    );
    // Doctor and dockerd in one mount namespace, as on a host without containers.
    for pid in ["self", "200"] {
        let ns = m.dir.path().join(format!("proc/{pid}/ns"));
        fs::create_dir_all(&ns).unwrap();
        std::os::unix::fs::symlink("mnt:[4026531841]", ns.join("mnt")).unwrap();
    }
    m.put("var/lib/dpkg/status", DPKG_28.as_bytes());
    m.put("etc/docker/daemon.json", ROUTED.as_bytes());
    m.put("sbin/dhclient", b"");
    m
}

/// Runs the binary on machine `m` with `args`.
pub(crate) fn run(m: &Machine, args: &[&str]) -> Output {
    Command::new(BIN)
        .env_clear()
        .arg("--root")
        .arg(m.dir.path())
        .args(args)
        .output()
        .unwrap()
}

pub(crate) fn doctor(m: &Machine) -> (Option<i32>, String) {
    let out = run(m, &["doctor"]);
    (out.status.code(), stdout(&out))
}

/// Doctor finds a problem whose line contains `problem` and whose fix contains `fix`.
pub(crate) fn finds(m: &Machine, problem: &str, fix: &str) {
    let (code, report) = doctor(m);
    assert_eq!(code, Some(5), "{report}");
    let lines: Vec<&str> = report.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("problem") && l.contains(problem))
        .unwrap_or_else(|| panic!("no problem {problem:?} in:\n{report}"));
    assert!(
        lines[at + 1].contains("fix:") && lines[at + 1].contains(fix),
        "fix {fix:?} missing:\n{report}"
    );
}

#[test]
fn a_healthy_machine_has_no_problem() {
    let m = healthy();
    let (code, report) = doctor(&m);
    assert_eq!(code, Some(0), "{report}");
    for expected in [
        "ok       /etc/dhcp/dhclient-enter-hooks.d/docker-ipv6 runs /usr/local/sbin/docker-ipv6-pd",
        "ok       dhclient -6 -P runs on eth0 (pid 100)",
        "ok       net.ipv6.conf.all.forwarding=1",
        "ok       net.ipv6.conf.eth0.accept_ra=2",
        "ok       dockerd gets --ipv6 --fixed-cidr-v6 from /etc/default/docker (DOCKER_OPTS)",
        "ok       /etc/docker/ipv6.prefix holds 2001:db8:0:100::/80",
        "ok       2001:db8:0:100::/80 in /etc/docker/ipv6.prefix lies inside the delegated prefix",
        "ok       the running dockerd (pid 200) uses 2001:db8:0:100::/80",
        "ok       docker-ce 5:28.2.2-1~debian.13~trixie gives default-bridge containers sequential addresses in the /80",
        "ok       docker 28.2 routes containers' IPv6 with their own addresses (ip-masq off); only published ports are reachable",
        "0 problem(s), 0 warning(s)",
    ] {
        assert!(
            report.contains(expected),
            "missing {expected:?} in:\n{report}"
        );
    }
}

#[test]
fn a_hook_name_run_parts_ignores() {
    let m = healthy();
    let hooks = m.dir.path().join("etc/dhcp/dhclient-enter-hooks.d");
    fs::rename(hooks.join("docker-ipv6"), hooks.join("docker-ipv6.sh")).unwrap();
    finds(&m, "docker-ipv6.sh is ignored: run-parts", "rename it to");
    finds(&m, "no docker-ipv6-pd hook", "install.sh");
}

#[test]
fn a_shim_whose_binary_is_gone() {
    let m = healthy();
    fs::remove_file(m.dir.path().join("usr/local/sbin/docker-ipv6-pd")).unwrap();
    finds(
        &m,
        "calls /usr/local/sbin/docker-ipv6-pd, which is missing",
        "install the binary",
    );
}

#[test]
fn the_published_hook_still_in_place() {
    let m = healthy();
    let published =
        "SUBNET=$(sipcalc -S 80 $new_ip6_prefix|grep Network)\necho > /etc/docker/ipv6.prefix\n";
    m.put(
        "etc/dhcp/dhclient-enter-hooks.d/docker-ipv6-old",
        published.as_bytes(),
    );
    finds(
        &m,
        "docker-ipv6-old also writes docker's IPv6 subnet",
        "move it aside",
    );
    // Set aside under a name run-parts skips, it is no problem.
    let m = healthy();
    m.put(
        "etc/dhcp/dhclient-enter-hooks.d/docker-ipv6.replaced-by-docker-ipv6-pd",
        published.as_bytes(),
    );
    let (code, report) = doctor(&m);
    assert_eq!(code, Some(0), "{report}");
    assert!(!report.contains("replaced-by-docker-ipv6-pd"), "{report}");
}

#[test]
fn no_dhcpv6_client_or_one_without_prefix_delegation() {
    let m = healthy();
    fs::remove_dir_all(m.dir.path().join("proc/100")).unwrap();
    finds(
        &m,
        "no DHCPv6 client asks for a prefix",
        "systemctl enable --now dhclient6-pd@",
    );
    m.put("proc/100/cmdline", b"dhclient\0-6\0eth0\0");
    finds(&m, "dhclient -6 runs without -P", "dhclient -6 -P");
    // dhcpcd counts as a DHCPv6 client.
    let m = healthy();
    fs::remove_dir_all(m.dir.path().join("proc/100")).unwrap();
    m.put("proc/100/cmdline", b"dhcpcd\0-6\0-B\0eth0\0");
    m.put(
        "etc/dhcpcd.conf",
        b"interface eth0\n  ipv6rs\n  ia_pd 1 -\n",
    );
    let (code, report) = doctor(&m);
    assert_eq!(code, Some(0), "{report}");
    assert!(
        report.contains("ok       dhcpcd runs on eth0 (pid 100)"),
        "{report}"
    );
    // An enabled unit that is not running is a warning, not a problem.
    let m = healthy();
    fs::remove_dir_all(m.dir.path().join("proc/100")).unwrap();
    m.put(
        "etc/systemd/system/multi-user.target.wants/dhclient6-pd@eth0.service",
        b"",
    );
    let (code, report) = doctor(&m);
    assert_eq!(code, Some(0), "{report}");
    assert!(
        report.contains(
            "warning  dhclient6-pd@eth0.service is enabled but no dhclient -6 -P runs on eth0"
        ),
        "{report}"
    );
    assert!(
        report.contains("fix: systemctl start dhclient6-pd@eth0; journalctl -u dhclient6-pd@eth0"),
        "{report}"
    );
}

#[test]
fn forwarding_off_and_accept_ra_1() {
    let m = healthy();
    m.put("proc/sys/net/ipv6/conf/all/forwarding", b"0\n");
    finds(
        &m,
        "forwarding=0",
        "sysctl -w net.ipv6.conf.all.forwarding=1",
    );
    let m = healthy();
    m.put("proc/sys/net/ipv6/conf/eth0/accept_ra", b"1\n");
    finds(&m, "accept_ra=1 with forwarding on", "accept_ra=2");
}

#[test]
fn the_same_setting_as_a_flag_and_in_daemon_json() {
    let m = healthy();
    m.put(
        "etc/docker/daemon.json",
        b"{\"fixed-cidr-v6\": \"2001:db8:0:100::/80\", \"ipv6\": true}",
    );
    finds(
        &m,
        "fixed-cidr-v6 is both a dockerd flag (/etc/default/docker (DOCKER_OPTS))",
        "keep one",
    );
    finds(&m, "ipv6 is both a dockerd flag", "keep one");
}
