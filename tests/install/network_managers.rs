//! install.sh where systemd-networkd or NetworkManager manages the network: the watch unit
//! installed but never enabled, the dispatcher script only where NetworkManager is, next steps
//! that name the networkd drop-in and the watch, or NetworkManager's shared connection (and
//! the DHCP clients instead before NetworkManager 1.44), and an uninstall that stops the watch
//! and removes both.

use std::fs;
use std::os::unix::fs::PermissionsExt;

use super::fake_machine::*;
use crate::util::*;

const ROUTE6: &str = "default via fe80::1 dev enp1s0 proto ra metric 1024 pref medium";
/// The .network file netplan generates for enp1s0.
const NETPLAN_FILE: &str = "/run/systemd/network/10-netplan-enp1s0.network";
const WATCH_UNIT: &str = "/etc/systemd/system/docker-ipv6-pd-watch.service";
const DISPATCHER: &str = "/etc/NetworkManager/dispatcher.d/90-docker-ipv6-pd";

/// The steps install.sh prints on `machine` (everything after "Next steps"), and its stub calls.
fn install_on(machine: &FakeMachine, before: &str) -> (String, String) {
    let run = machine.run(&format!("{before}sh $INSTALL --binary $BIN"));
    assert!(run.success, "{}", run.output);
    let at = run.output.find("Next steps").expect(&run.output);
    (run.output[at..].to_string(), run.calls)
}

fn assert_has(text: &str, expected: &[&str]) {
    for line in expected {
        assert!(text.contains(line), "{line:?} missing from:\n{text}");
    }
}

fn assert_lacks(text: &str, absent: &[&str]) {
    for line in absent {
        assert!(!text.contains(line), "{line:?} in:\n{text}");
    }
}

#[test]
fn staged_the_watch_unit_and_the_dispatcher_call_the_installed_binary() {
    let dest = tempfile::tempdir().unwrap();
    let out = super::install(dest.path(), &["--binary", BIN, "--prefix", "/opt/pd"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let watch = fs::read_to_string(dest.path().join(&WATCH_UNIT[1..])).unwrap();
    assert!(
        watch.contains("\nExecStart=/opt/pd/sbin/docker-ipv6-pd watch --client networkd\n"),
        "{watch}"
    );
    let dispatcher = dest.path().join(&DISPATCHER[1..]);
    let text = fs::read_to_string(&dispatcher).unwrap();
    assert!(
        text.contains("\nexec /opt/pd/sbin/docker-ipv6-pd --client networkmanager\n"),
        "{text}"
    );
    assert!(!text.contains("/usr/local/sbin"), "{text}");
    // NetworkManager runs only scripts no one but their owner may write.
    let mode = fs::metadata(&dispatcher).unwrap().permissions().mode();
    assert_eq!(mode & 0o7777, 0o755);
}

#[test]
fn networkd_gets_the_drop_in_for_its_network_file_and_the_watch_left_to_enable() {
    if !can_fake("install: systemd-networkd") {
        return;
    }
    let machine = FakeMachine {
        systemd: true,
        route6: Some(ROUTE6),
        dhcpcd: true,
        active: &["systemd-networkd"],
        network_file: Some(NETPLAN_FILE),
        ..FakeMachine::default()
    };
    let (steps, calls) = install_on(&machine, "");
    assert_has(
        &steps,
        &[
            "DHCP client dhcpcd, systemd-networkd,\nuplink enp1s0 ",
            "1. Let the host route: put\n     net.ipv6.conf.all.forwarding = 1\n",
            "   systemd-networkd handles enp1s0's router advertisements itself (accept_ra is not needed)\n   and keeps its default route with forwarding on.\n",
            "   (Unless enp1s0's .network sets IPForward= or IPv6Forwarding=: then add IPv6AcceptRA=yes.)\n",
            "2. Ask systemd-networkd for a prefix on enp1s0: put\n     [DHCPv6]\n     WithoutRA=solicit\n     UseDelegatedPrefix=yes\n     PrefixDelegationHint=::/56\n",
            "   in /etc/systemd/network/10-netplan-enp1s0.network.d/50-docker-ipv6-pd.conf, a drop-in for\n   /run/systemd/network/10-netplan-enp1s0.network, the file networkd uses for enp1s0. That\n",
            "   file must start DHCPv6 (DHCP=ipv6 or DHCP=yes; netplan: dhcp6: true). Then run\n     networkctl reload\n",
            "3. Follow networkd's prefix, now and at every boot (its first read restarts docker once):\n     systemctl enable --now docker-ipv6-pd-watch\n",
            "ExecStart=/usr/local/sbin/docker-ipv6-pd watch --client networkd --uplink enp1s0)",
            "4. Docker: nothing to do.",
        ],
    );
    // networkd asks for the prefix: no second client on the uplink.
    assert_lacks(
        &steps,
        &[
            "ia_pd",
            "dhclient6-pd@",
            "ipv6.method",
            "IFACE",
            "accept_ra = 2",
        ],
    );
    // Installed, never enabled or started: its first read restarts docker.
    assert_lacks(&calls, &["systemctl enable", "systemctl start"]);
    assert!(
        calls.contains("systemctl daemon-reload"),
        "the new unit is not loaded: {calls}"
    );
}

#[test]
fn networkd_leaves_an_uplink_it_does_not_manage_to_the_dhcp_client_and_guesses_no_file() {
    if !can_fake("install: networkd elsewhere") {
        return;
    }
    let (steps, _) = install_on(
        &FakeMachine {
            systemd: true,
            route6: Some(ROUTE6),
            dhcpcd: true,
            active: &["systemd-networkd"],
            ..FakeMachine::default()
        },
        "",
    );
    assert_has(&steps, &["DHCP client dhcpcd,\n", "ia_pd 1 -"]);
    assert_lacks(&steps, &["systemd-networkd", "docker-ipv6-pd-watch"]);

    // No route names the uplink: networkd may well manage it, and the file is a placeholder.
    let (steps, _) = install_on(
        &FakeMachine {
            systemd: true,
            active: &["systemd-networkd"],
            ..FakeMachine::default()
        },
        "",
    );
    assert_has(
        &steps,
        &[
            "for IFACE (`networkctl status IFACE`\n   names it): /etc/systemd/network/FILE.network.d/50-docker-ipv6-pd.conf.",
            "     systemctl enable --now docker-ipv6-pd-watch\n",
        ],
    );
}

#[test]
fn networkmanager_gets_the_dispatcher_and_the_shared_connection_step() {
    if !can_fake("install: NetworkManager") {
        return;
    }
    let machine = FakeMachine {
        systemd: true,
        route6: Some(ROUTE6),
        dhclient: true,
        active: &["NetworkManager"],
        network_manager: Some("1.46.0"),
        ..FakeMachine::default()
    };
    let run = machine.run(&format!(
        "mkdir -p /etc/NetworkManager\nsh $INSTALL --binary $BIN\necho ---\n\
         stat -c '%U %a' {DISPATCHER}; grep '^exec ' {DISPATCHER}"
    ));
    assert!(run.success, "{}", run.output);
    let (output, installed) = run.output.split_once("---\n").unwrap();
    let steps = &output[output.find("Next steps").expect(output)..];
    assert_eq!(
        installed,
        "root 755\nexec /usr/local/sbin/docker-ipv6-pd --client networkmanager\n"
    );
    assert_has(
        output,
        &[
            &format!("install.sh: installed {DISPATCHER} (NetworkManager)\n"),
            "DHCP client dhclient, NetworkManager,\n",
            "   NetworkManager handles enp1s0's router advertisements itself (accept_ra is not needed)\n   and keeps its default route with forwarding on.\n",
            "2. NetworkManager 1.46 manages the network: it asks for a prefix on enp1s0 only for a\n   connection with ipv6.method shared",
            "/etc/NetworkManager/dispatcher.d/90-docker-ipv6-pd then runs docker-ipv6-pd\n   at every dhcp6-change, up and down of enp1s0",
            "   The shared port takes the prefix's first /64, where docker's first /80 would lie: put\n     subnet-id = 1\n   in /etc/docker-ipv6-pd/docker-ipv6-pd.conf, so that hosts on that LAN reach the containers.\n",
        ],
    );
    assert_lacks(
        steps,
        &[
            "dhclient6-pd@",
            "request_prefix",
            "[DHCPv6]",
            "accept_ra = 2",
            "IPForward=",
        ],
    );
}

#[test]
fn networkmanager_before_1_44_sends_the_uplink_to_the_dhcp_client() {
    if !can_fake("install: NetworkManager 1.42") {
        return;
    }
    let (steps, _) = install_on(
        &FakeMachine {
            systemd: true,
            route6: Some(ROUTE6),
            dhclient: true,
            active: &["NetworkManager"],
            network_manager: Some("1.42.4"),
            ..FakeMachine::default()
        },
        "mkdir -p /etc/NetworkManager\n",
    );
    assert_has(
        &steps,
        &[
            "2. NetworkManager 1.42 manages the network, and hands its dispatcher scripts no prefix\n   before 1.44: leave enp1s0 to dhclient or dhcpcd (`nmcli device set enp1s0 managed no`).\n",
            "3. Ask for a prefix on enp1s0 with dhclient",
            // dhclient leaves router advertisements to the kernel.
            "     net.ipv6.conf.enp1s0.accept_ra = 2\n",
        ],
    );
    assert_lacks(&steps, &["ipv6.method shared"]);
}

#[test]
fn both_running_says_to_follow_the_one_managing_the_uplink() {
    if !can_fake("install: networkd and NetworkManager") {
        return;
    }
    let (steps, _) = install_on(
        &FakeMachine {
            systemd: true,
            route6: Some(ROUTE6),
            active: &["systemd-networkd", "NetworkManager"],
            network_file: Some("/etc/systemd/network/10-wan.network"),
            network_manager: Some("1.52.1"),
            ..FakeMachine::default()
        },
        "",
    );
    assert_has(
        &steps,
        &[
            "   systemd-networkd and NetworkManager both run: follow the steps of the one managing enp1s0.\n",
            "/etc/systemd/network/10-wan.network.d/50-docker-ipv6-pd.conf",
            "4. NetworkManager 1.52 manages the network",
        ],
    );
    assert_lacks(&steps, &["No DHCPv6 client is installed"]);
}

#[test]
fn uninstall_stops_the_watch_and_removes_it_and_the_dispatcher() {
    if !can_fake("install: uninstall networkd and NetworkManager") {
        return;
    }
    let enabled = "mkdir -p /etc/NetworkManager /etc/systemd/system/multi-user.target.wants\n\
                   sh $INSTALL --binary $BIN >/dev/null\n\
                   ln -s /etc/systemd/system/docker-ipv6-pd-watch.service /etc/systemd/system/multi-user.target.wants/\n\
                   mkdir -p /var/lib/docker-ipv6-pd; echo 'boot wan0 2001:db8::/56' >/var/lib/docker-ipv6-pd/networkd-lease\n\
                   : >/tmp/calls\nsh $INSTALL --uninstall";
    for systemd in [true, false] {
        let run = FakeMachine {
            systemd,
            active: &["systemd-networkd", "docker-ipv6-pd-watch.service"],
            ..FakeMachine::default()
        }
        .run(enabled);
        assert!(run.success, "{}", run.output);
        assert!(run.left.is_empty(), "{:?}\n{}", run.left, run.output);
        let stopped = if systemd {
            "install.sh: stopped and disabled docker-ipv6-pd-watch.service\n"
        } else {
            "install.sh: disabled docker-ipv6-pd-watch.service\n"
        };
        assert_has(
            &run.output,
            &[
                stopped,
                &format!("install.sh: removed {WATCH_UNIT}\n"),
                &format!("install.sh: removed {DISPATCHER}\n"),
                "install.sh: removed /var/lib/docker-ipv6-pd (the hook's state)\n",
            ],
        );
        let disable = "systemctl disable --now docker-ipv6-pd-watch.service\n";
        assert_eq!(run.calls.contains(disable), systemd, "{}", run.calls);
    }
}
