//! install.sh --uninstall on a machine the hook has run on: every dhclient6-pd@ instance stopped
//! and disabled, the hook's state, its nft table and the sysctl file gone, and nothing of ours
//! left but a configuration the admin edited, named once.

use super::fake_machine::*;

/// An install with everything a running setup accumulates: an enabled instance, a running one,
/// their dhclient's lease, the hook's state and the nptv6 mapping record.
const INSTALL_AND_RUN_FOR_A_WHILE: &str = "sh $INSTALL --binary $BIN --sysctl >/dev/null
mkdir -p /etc/systemd/system/multi-user.target.wants /var/lib/docker-ipv6-pd /run/docker-ipv6-pd /var/lib/dhcp
ln -s /etc/systemd/system/dhclient6-pd@.service /etc/systemd/system/multi-user.target.wants/dhclient6-pd@eth0.service
echo 'apply 2001:db8:0:100::/60' >/var/lib/docker-ipv6-pd/pending
echo mapped >/run/docker-ipv6-pd/mapping
echo lease >/var/lib/dhcp/dhclient6-pd.eth0.leases
";

fn machine(systemd: bool, nft_table: bool) -> FakeMachine {
    FakeMachine {
        systemd,
        nft_table,
        route6: Some("default via fe80::1 dev eth0 proto ra metric 1024"),
        dhclient: true,
        dhcpcd: true,
        running_units: "dhclient6-pd@eth0.service loaded active running DHCPv6 prefix delegation client on eth0\n\
                        dhclient6-pd@wan1.service loaded active running DHCPv6 prefix delegation client on wan1\n",
        ..FakeMachine::default()
    }
}

#[test]
fn uninstall_stops_every_instance_and_leaves_only_the_edited_configuration() {
    if !can_fake("install: uninstall under systemd") {
        return;
    }
    let run = machine(true, true).run(&format!(
        "{INSTALL_AND_RUN_FOR_A_WHILE}echo 'on-loss = withdraw' >>/etc/docker-ipv6-pd/docker-ipv6-pd.conf\n\
         : >/tmp/calls\nsh $INSTALL --uninstall"
    ));
    assert!(run.success, "{}", run.output);
    assert_eq!(
        run.left,
        ["etc/docker-ipv6-pd/docker-ipv6-pd.conf"],
        "{}",
        run.output
    );
    for call in [
        "systemctl disable --now dhclient6-pd@eth0.service\n",
        "systemctl disable --now dhclient6-pd@wan1.service\n",
        "nft delete table ip6 docker_ipv6_pd\n",
        "systemctl daemon-reload\n",
    ] {
        assert!(run.calls.contains(call), "{call:?} not in:\n{}", run.calls);
    }
    for line in [
        "install.sh: stopped and disabled dhclient6-pd@eth0.service\n",
        "install.sh: stopped and disabled dhclient6-pd@wan1.service\n",
        "install.sh: removed /var/lib/dhcp/dhclient6-pd.eth0.leases\n",
        "install.sh: removed /var/lib/docker-ipv6-pd (the hook's state)\n",
        "install.sh: removed /run/docker-ipv6-pd (the hook's state)\n",
        "install.sh: removed the nft table ip6 docker_ipv6_pd (the nptv6 mapping)\n",
        "install.sh: removed /etc/sysctl.d/60-docker-ipv6-pd.conf",
        "install.sh: kept your edited /etc/docker-ipv6-pd/docker-ipv6-pd.conf\n",
    ] {
        assert!(
            run.output.contains(line),
            "{line:?} not in:\n{}",
            run.output
        );
    }
    // The configuration is named once, as kept: never as removed or "left alone" too.
    assert_eq!(
        run.output
            .matches("/etc/docker-ipv6-pd/docker-ipv6-pd.conf")
            .count(),
        1,
        "{}",
        run.output
    );
}

#[test]
fn without_systemd_the_enabled_instance_is_disabled_and_an_unedited_configuration_goes() {
    if !can_fake("install: uninstall without systemd") {
        return;
    }
    // The configuration as install.sh writes it under systemd, left from a time systemd ran.
    let run = machine(false, false).run(&format!(
        "{INSTALL_AND_RUN_FOR_A_WHILE}mkdir -p /run/systemd/system\n\
         sh $INSTALL --binary $BIN >/dev/null\nrm -r /run/systemd\n\
         : >/tmp/calls\nsh $INSTALL --uninstall"
    ));
    assert!(run.success, "{}", run.output);
    assert!(run.left.is_empty(), "{:?}\n{}", run.left, run.output);
    assert!(
        run.output
            .contains("install.sh: disabled dhclient6-pd@eth0.service\n"),
        "{}",
        run.output
    );
    assert!(
        run.output.contains(
            "install.sh: removed /etc/docker-ipv6-pd/docker-ipv6-pd.conf (as install.sh wrote it)\n"
        ),
        "{}",
        run.output
    );
    assert!(!run.output.contains("kept"), "{}", run.output);
    // No systemd to ask, and no nft table to delete.
    assert!(!run.calls.contains("systemctl"), "{}", run.calls);
    assert!(!run.calls.contains("nft delete"), "{}", run.calls);
    assert!(
        run.calls.contains("nft list table ip6 docker_ipv6_pd"),
        "{}",
        run.calls
    );
}
