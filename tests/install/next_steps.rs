//! install.sh's next steps, checked for each kind of machine it meets: systemd with docker.io
//! 20.10 or 26, systemd with Docker 28, sysvinit, dhcpcd alone, ifupdown already running
//! dhclient, nothing found; the uplink always the interface of the default route; and a second
//! run that recognises the configuration it wrote itself.

use super::fake_machine::*;

const ROUTE6: &str =
    "default via fe80::1 dev enp1s0 proto ra metric 1024 expires 1790sec hoplimit 64 pref medium";
const INSTALL_IT: &str = "sh $INSTALL --binary $BIN";

/// The safe DOCKER_OPTS line: docker starts before the first prefix, and copes with an empty file.
const SAFE_DOCKER_OPTS: &str = r#"     DOCKER_OPTS="$(p=$(cat /etc/docker/ipv6.prefix 2>/dev/null) || true; [ -n "$p" ] && echo "--ipv6 --fixed-cidr-v6=$p"; true)""#;
/// The line that keeps docker from starting until the first prefix arrives.
const BLOCKING_DOCKER_OPTS: &str = r#"DOCKER_OPTS="--ipv6 --fixed-cidr-v6=$(cat"#;

/// The next steps install.sh prints on `machine` (everything after "Next steps").
fn next_steps(machine: &FakeMachine) -> String {
    let run = machine.run(INSTALL_IT);
    assert!(run.success, "{}", run.output);
    let at = run.output.find("Next steps").expect(&run.output);
    run.output[at..].to_string()
}

#[test]
fn systemd_with_docker_io_20_10_and_26_gets_the_unit_daemon_json_and_no_filtering() {
    if !can_fake("install: systemd + docker.io") {
        return;
    }
    for (version, short) in [
        ("Docker version 20.10.24+dfsg1, build 5d6db84", "20.10"),
        ("Docker version 26.1.5+dfsg1, build 411e817", "26.1"),
    ] {
        let steps = next_steps(&FakeMachine {
            systemd: true,
            docker: Some(version),
            route6: Some(ROUTE6),
            route4: Some("default via 192.0.2.1 dev eth9"),
            dhclient: true,
            ..FakeMachine::default()
        });
        for expected in [
            &format!(
                "systemd, Docker {short}, DHCP client dhclient,\nuplink enp1s0 (the interface of the default IPv6 route).\n"
            ),
            "     net.ipv6.conf.all.forwarding = 1\n     net.ipv6.conf.enp1s0.accept_ra = 2\n",
            "   in /etc/sysctl.d/60-docker-ipv6-pd.conf, then run\n     sysctl -p /etc/sysctl.d/60-docker-ipv6-pd.conf\n   (./install.sh --sysctl does both).\n",
            "     systemctl enable --now dhclient6-pd@enp1s0\n",
            "add `request_prefix 1`",
            "3. Docker: nothing to do. The hook sets ipv6 and fixed-cidr-v6 in /etc/docker/daemon.json",
            "4. Exposure: routed container addresses are reachable from outside",
            &format!("{short} filters none, published or not, unless ip6tables is on."),
            "     new_ip6_prefix=2001:db8:100::/60 /usr/local/sbin/docker-ipv6-pd --dry-run\n",
            "     /usr/local/sbin/docker-ipv6-pd doctor\n",
        ] {
            assert!(
                steps.contains(expected),
                "{expected:?} missing from:\n{steps}"
            );
        }
        for absent in ["eth0", "eth9", "DOCKER_OPTS", "nptv6", "ia_pd", "IFACE"] {
            assert!(!steps.contains(absent), "{absent:?} in:\n{steps}");
        }
    }
}

#[test]
fn systemd_with_docker_28_and_only_dhcpcd_points_at_nptv6_and_ia_pd() {
    if !can_fake("install: systemd + Docker 28 + dhcpcd") {
        return;
    }
    let mut machine = FakeMachine {
        systemd: true,
        docker: Some("Docker version 28.5.2+dfsg4, build 3ef3c07c883b"),
        route6: Some("default via fe80::1 dev ens3 proto ra metric 100 pref medium"),
        dhcpcd: true,
        ..FakeMachine::default()
    };
    let steps = next_steps(&machine);
    for expected in [
        "systemd, Docker 28.5, DHCP client dhcpcd,\nuplink ens3 ",
        "2. Ask for a prefix on ens3 with dhcpcd: in /etc/dhcpcd.conf add\n     interface ens3\n       ipv6rs\n       ia_pd 1 -\n",
        "Docker 28.5 masquerades and filters the default bridge's IPv6",
        "For routed addresses set `target = nptv6` in /etc/docker-ipv6-pd/docker-ipv6-pd.conf.",
        "28.5 filters unpublished ports; published ones are open to all.",
    ] {
        assert!(
            steps.contains(expected),
            "{expected:?} missing from:\n{steps}"
        );
    }
    for absent in [
        "dhclient6-pd@",
        "request_prefix",
        "DOCKER_OPTS",
        "eth0",
        "nothing to do",
    ] {
        assert!(!steps.contains(absent), "{absent:?} in:\n{steps}");
    }

    // Already on nptv6: nothing to point at.
    machine.files = vec![(
        "/etc/docker-ipv6-pd/docker-ipv6-pd.conf",
        "target = nptv6\n",
    )];
    let steps = next_steps(&machine);
    assert!(
        steps.contains(
            "3. Docker: your /etc/docker-ipv6-pd/docker-ipv6-pd.conf sets target = nptv6"
        ),
        "{steps}"
    );
    assert!(!steps.contains("masquerades"), "{steps}");
}

#[test]
fn sysvinit_gets_the_ifupdown_stanza_and_the_docker_opts_that_never_blocks_docker() {
    if !can_fake("install: sysvinit") {
        return;
    }
    // No IPv6 default route yet (the prefix is not there): the IPv4 route names the uplink.
    let steps = next_steps(&FakeMachine {
        docker: Some("Docker version 20.10.24+dfsg1, build 5d6db84"),
        route4: Some("default via 192.0.2.1 dev ens18 onlink"),
        dhclient: true,
        ..FakeMachine::default()
    });
    for expected in [
        "no systemd, Docker 20.10, DHCP client dhclient,\nuplink ens18 (the interface of the default IPv4 route).\n",
        "in /etc/network/interfaces add\n     iface ens18 inet6 dhcp\n         request_prefix 1\n",
        "     net.ipv6.conf.ens18.accept_ra = 2\n",
        &format!(
            "3. Docker: in /etc/default/docker set (docker starts without IPv6 until the first prefix):\n{SAFE_DOCKER_OPTS}\n"
        ),
    ] {
        assert!(
            steps.contains(expected),
            "{expected:?} missing from:\n{steps}"
        );
    }
    for absent in [BLOCKING_DOCKER_OPTS, "systemctl", "eth0", "daemon.json"] {
        assert!(!steps.contains(absent), "{absent:?} in:\n{steps}");
    }
}

#[test]
fn where_ifupdown_runs_dhclient_on_the_uplink_it_says_request_prefix_not_the_unit() {
    if !can_fake("install: ifupdown's own dhclient") {
        return;
    }
    let mut machine = FakeMachine {
        systemd: true,
        route6: Some(ROUTE6),
        dhclient: true,
        files: vec![(
            "/etc/network/interfaces",
            "auto enp1s0\niface enp1s0 inet dhcp\niface enp1s0 inet6 dhcp\n",
        )],
        ..FakeMachine::default()
    };
    let steps = next_steps(&machine);
    assert!(
        steps.contains("ifupdown runs its own dhclient -6 there (/etc/network/interfaces\n   has `iface enp1s0 inet6 dhcp`). Add to that stanza\n     request_prefix 1\n"),
        "{steps}"
    );
    assert!(
        steps.contains("Do not also\n   enable dhclient6-pd@enp1s0"),
        "{steps}"
    );
    assert!(!steps.contains("systemctl enable"), "{steps}");

    machine.files = vec![(
        "/etc/network/interfaces",
        "iface enp1s0 inet6 dhcp\n    request_prefix 1\n",
    )];
    let steps = next_steps(&machine);
    assert!(
        steps.contains("2. Prefix: ifupdown already runs dhclient -6 -P on enp1s0 (request_prefix 1 in /etc/network/interfaces)."),
        "{steps}"
    );
}

#[test]
fn dhcpcd_that_already_asks_for_a_prefix_and_both_clients_at_once() {
    if !can_fake("install: dhcpcd with ia_pd") {
        return;
    }
    let steps = next_steps(&FakeMachine {
        route6: Some(ROUTE6),
        dhclient: true,
        dhcpcd: true,
        files: vec![
            ("/etc/dhcpcd.conf", "interface enp1s0\n  ia_pd 1 -\n"),
            ("/run/NetworkManager/NetworkManager.pid", "1\n"),
        ],
        ..FakeMachine::default()
    });
    assert!(
        steps.contains("   dhclient and dhcpcd are both installed: use one of them on enp1s0.\n"),
        "{steps}"
    );
    assert!(steps.contains("request_prefix 1"), "{steps}");
    assert!(
        steps.contains(". Prefix: /etc/dhcpcd.conf already asks dhcpcd for one (ia_pd).\n"),
        "{steps}"
    );
    assert!(!steps.contains("ipv6rs"), "{steps}");
    // A pid file left in /run is no NetworkManager that runs: the DHCP clients' steps stand.
    assert!(!steps.contains("NetworkManager"), "{steps}");
}

#[test]
fn with_no_route_no_client_and_no_docker_it_says_so() {
    if !can_fake("install: bare machine") {
        return;
    }
    let steps = next_steps(&FakeMachine::default());
    for expected in [
        "no systemd, Docker not found, DHCP client none,\nuplink IFACE.\n   (No default route shows the uplink: put its name where IFACE stands.)\n",
        "     net.ipv6.conf.IFACE.accept_ra = 2\n",
        "2. No DHCPv6 client is installed: install isc-dhcp-client (Debian 12, 13) or dhcpcd-base",
        "depends on the Docker version (20.10, 26: nothing unless ip6tables is on; 28: unpublished ports).",
    ] {
        assert!(
            steps.contains(expected),
            "{expected:?} missing from:\n{steps}"
        );
    }
}

#[test]
fn a_second_run_knows_the_configuration_it_wrote_and_keeps_an_edited_one() {
    if !can_fake("install: second run") {
        return;
    }
    let machine = FakeMachine {
        systemd: true,
        route6: Some(ROUTE6),
        dhclient: true,
        ..FakeMachine::default()
    };
    let run = machine.run(&format!(
        "{INSTALL_IT} >/dev/null\necho ---second\n{INSTALL_IT}\n\
         echo 'subnet-size = 64' >>/etc/docker-ipv6-pd/docker-ipv6-pd.conf\necho ---third\n{INSTALL_IT}"
    ));
    assert!(run.success, "{}", run.output);
    let (second, third) = run.output.split_once("---third").unwrap();
    let second = second.split_once("---second").unwrap().1;
    assert!(
        second.contains("wiring: daemon.json (/etc/docker-ipv6-pd/docker-ipv6-pd.conf is as install.sh wrote it: target = daemon-json)"),
        "{second}"
    );
    assert!(!second.contains("kept your"), "{second}");
    assert!(
        third.contains("kept your /etc/docker-ipv6-pd/docker-ipv6-pd.conf (target: daemon-json)"),
        "{third}"
    );
    assert!(third.contains("3. Docker: nothing to do."), "{third}");
}

#[test]
fn sysctl_writes_and_loads_the_file_and_refuses_without_an_uplink() {
    if !can_fake("install: --sysctl") {
        return;
    }
    let machine = FakeMachine {
        systemd: true,
        route6: Some("default via fe80::1 dev eth0.7 proto ra metric 1024"),
        dhclient: true,
        ..FakeMachine::default()
    };
    let run = machine.run(&format!(
        "{INSTALL_IT} --sysctl\necho ---file\ncat /etc/sysctl.d/60-docker-ipv6-pd.conf"
    ));
    assert!(run.success, "{}", run.output);
    let (output, file) = run.output.split_once("---file\n").unwrap();
    assert!(
        file.ends_with("\nnet.ipv6.conf.all.forwarding = 1\nnet.ipv6.conf.eth0/7.accept_ra = 2\n"),
        "{file}"
    );
    assert!(
        run.calls
            .contains("sysctl -q -p /etc/sysctl.d/60-docker-ipv6-pd.conf\n"),
        "{}",
        run.calls
    );
    assert!(
        output
            .contains("1. Routing: done (/etc/sysctl.d/60-docker-ipv6-pd.conf written and loaded"),
        "{output}"
    );

    let run = FakeMachine::default().run(&format!("{INSTALL_IT} --sysctl"));
    assert!(!run.success);
    assert!(
        run.output
            .contains("--sysctl: no default route names the uplink"),
        "{}",
        run.output
    );
    assert!(run.left.is_empty(), "{:?}", run.left);
}
