# shellcheck shell=sh
# shellcheck disable=SC2154 # bin_path, config, sysctl_file, wiring and the like: set by install.sh
# next-steps.sh: sourced by install.sh. Looks at the machine (its uplink, init system, Docker
# version, the DHCP clients installed, ifupdown and dhcpcd configuration, whether
# systemd-networkd or NetworkManager manages the network) and prints the steps
# left to the admin for exactly that machine. Reads only; every command it runs is looked up on
# PATH, so tests fake the machine with stub commands.

# probe_machine: sets uplink, uplink_from, docker_version, docker_major, has_dhclient,
# has_dhcpcd, ifupdown_stanza (the file with `iface UPLINK inet6 dhcp`), ifupdown_pd (set when
# that file also asks for a prefix), dhcpcd_pd (set when /etc/dhcpcd.conf has ia_pd) and what
# probe_network_managers sets.
probe_machine() {
    uplink=IFACE
    uplink_from=
    for family in 6 4; do
        command -v ip >/dev/null 2>&1 || break
        dev=$(ip "-$family" route show default 2>/dev/null | sed -n 's/.* dev \([^ ]*\).*/\1/p' | head -n 1)
        case $dev in
            '' | *[!A-Za-z0-9_.-]* | ????????????????*) continue ;;
        esac
        uplink=$dev
        uplink_from="the interface of the default IPv$family route"
        break
    done

    docker_version=
    for daemon in dockerd docker; do
        command -v "$daemon" >/dev/null 2>&1 || continue
        docker_version=$("$daemon" --version 2>/dev/null |
            sed -n 's/^Docker version \([0-9][0-9]*\.[0-9][0-9]*\).*/\1/p' | head -n 1)
        [ -z "$docker_version" ] || break
    done
    docker_major=${docker_version%%.*}

    has_dhclient=
    has_dhcpcd=
    ! command -v dhclient >/dev/null 2>&1 || has_dhclient=1
    ! command -v dhcpcd >/dev/null 2>&1 || has_dhcpcd=1

    ifupdown_stanza=
    ifupdown_pd=
    uplink_re=$(printf '%s\n' "$uplink" | sed 's/\./\\./g')
    for file in /etc/network/interfaces /etc/network/interfaces.d/*; do
        [ -f "$file" ] || continue
        if grep -Eq "^[[:space:]]*iface[[:space:]]+${uplink_re}[[:space:]]+inet6[[:space:]]+dhcp([[:space:]]|\$)" "$file"; then
            ifupdown_stanza=$file
            ! grep -Eq '^[[:space:]]*request_prefix[[:space:]]+1' "$file" || ifupdown_pd=1
            break
        fi
    done
    dhcpcd_pd=
    ! grep -Eq '^[[:space:]]*ia_pd([[:space:]]|$)' /etc/dhcpcd.conf 2>/dev/null || dhcpcd_pd=1
    probe_network_managers
}

# probe_network_managers: sets networkd (set when an active systemd-networkd manages the uplink,
# or may: no uplink known), networkd_file (the .network file it uses for the uplink, if it
# says), nm (the same for NetworkManager) and nm_version (what `NetworkManager --version` says).
probe_network_managers() {
    networkd=
    networkd_file=
    nm=
    nm_version=
    systemd_running || return 0
    if systemctl is-active --quiet systemd-networkd 2>/dev/null; then
        if [ "$uplink" != IFACE ] && command -v networkctl >/dev/null 2>&1; then
            networkd_file=$(networkctl status "$uplink" --no-pager 2>/dev/null |
                sed -n 's/^[[:space:]]*Network File: \(\/[^[:space:]]*\.network\)$/\1/p' | head -n 1)
        fi
        # A known uplink that networkd names no .network file for is not networkd's.
        [ -z "$networkd_file" ] && [ "$uplink" != IFACE ] || networkd=1
    fi
    if systemctl is-active --quiet NetworkManager 2>/dev/null; then
        nm=1
        if [ "$uplink" != IFACE ] && command -v nmcli >/dev/null 2>&1 &&
            nmcli -g GENERAL.STATE device show "$uplink" 2>/dev/null | grep -q unmanaged; then
            nm=
        fi
        nm_version=$(NetworkManager --version 2>/dev/null |
            sed -n 's/^\([0-9][0-9]*\.[0-9][0-9]*\).*/\1/p' | head -n 1)
    fi
}

# nm_hands_prefixes: true unless the NetworkManager found is older than 1.44, the first to put
# the delegated prefix in its dispatcher scripts' environment.
nm_hands_prefixes() {
    [ -n "$nm_version" ] || return 0
    major=${nm_version%%.*}
    minor=${nm_version#*.}
    [ "$major" -gt 1 ] || { [ "$major" -eq 1 ] && [ "$minor" -ge 44 ]; }
}

# docker_27_or_later: true when the Docker found here masquerades and filters IPv6 by default.
docker_27_or_later() { [ -n "$docker_major" ] && [ "$docker_major" -ge 27 ]; }

# step TEXT: prints the next step's number and its first line.
step() {
    step_number=$((step_number + 1))
    printf '%s. %s\n' "$step_number" "$*"
}

sysctl_step() {
    if [ "$sysctl_written" = 1 ]; then
        step "Routing: done ($sysctl_file written and loaded: forwarding on, accept_ra=2 on $uplink)."
        return
    fi
    # networkd and NetworkManager take router advertisements themselves, forwarding on or not
    # (each sets the kernel's accept_ra to 0); networkd stops where its .network turns
    # forwarding on.
    manager=
    if [ -n "$networkd" ] && [ -z "$nm" ]; then
        manager=systemd-networkd
    elif [ -n "$nm" ] && [ -z "$networkd" ] && nm_hands_prefixes; then
        manager=NetworkManager
    fi
    if [ -n "$manager" ]; then
        step "Let the host route: put"
        cat <<EOF
     net.ipv6.conf.all.forwarding = 1
   in $sysctl_file, then run
     sysctl -p $sysctl_file
   $manager handles $uplink's router advertisements itself (accept_ra is not needed)
   and keeps its default route with forwarding on.
EOF
        [ "$manager" = NetworkManager ] || cat <<EOF
   (Unless $uplink's .network sets IPForward= or IPv6Forwarding=: then add IPv6AcceptRA=yes.)
EOF
        return
    fi
    step "Let the host route, and keep $uplink's default route once forwarding is on: put"
    cat <<EOF
     net.ipv6.conf.all.forwarding = 1
     net.ipv6.conf.$(sysctl_name "$uplink").accept_ra = 2
   in $sysctl_file, then run
     sysctl -p $sysctl_file
   (./install.sh --sysctl does both).
EOF
}

dhclient_step() {
    if [ -n "$ifupdown_pd" ]; then
        step "Prefix: ifupdown already runs dhclient -6 -P on $uplink (request_prefix 1 in $ifupdown_stanza)."
    elif [ -n "$ifupdown_stanza" ]; then
        step "Ask for a prefix on $uplink: ifupdown runs its own dhclient -6 there ($ifupdown_stanza"
        cat <<EOF
   has \`iface $uplink inet6 dhcp\`). Add to that stanza
     request_prefix 1
   and run \`ifdown $uplink && ifup $uplink\` (ifupdown then runs dhclient -6 -P -N). Do not also
   enable dhclient6-pd@$uplink: two dhclient -6 on one interface compete for the DHCPv6 port.
EOF
    elif systemd_running; then
        step "Ask for a prefix on $uplink with dhclient, now and at every boot:"
        cat <<EOF
     systemctl enable --now dhclient6-pd@$uplink
   (Where ifupdown configures $uplink with \`iface $uplink inet6 dhcp\`, add \`request_prefix 1\`
   to that stanza instead: one dhclient -6 per interface.)
EOF
    else
        step "Ask for a prefix on $uplink with dhclient at every boot: in /etc/network/interfaces add"
        cat <<EOF
     iface $uplink inet6 dhcp
         request_prefix 1
   and run \`ifup $uplink\` (ifupdown runs dhclient -6 -P -N); without ifupdown, start
   \`dhclient -6 -P $uplink\` at boot yourself.
EOF
    fi
}

dhcpcd_step() {
    if [ -n "$dhcpcd_pd" ]; then
        step "Prefix: /etc/dhcpcd.conf already asks dhcpcd for one (ia_pd)."
        return
    fi
    step "Ask for a prefix on $uplink with dhcpcd: in /etc/dhcpcd.conf add"
    cat <<EOF
     interface $uplink
       ipv6rs
       ia_pd 1 -
   ("-": request the prefix, assign it to no interface), then restart dhcpcd (where ifupdown
   starts it: \`ifdown $uplink && ifup $uplink\`).
EOF
}

# networkd_step: the [DHCPv6] drop-in for the uplink's .network file, and the watch.
networkd_step() {
    if [ -n "$networkd_file" ]; then
        where="in /etc/systemd/network/${networkd_file##*/}.d/50-docker-ipv6-pd.conf, a drop-in for
   $networkd_file, the file networkd uses for $uplink"
    else
        where="in a drop-in for the .network file networkd uses for $uplink (\`networkctl status $uplink\`
   names it): /etc/systemd/network/FILE.network.d/50-docker-ipv6-pd.conf"
    fi
    step "Ask systemd-networkd for a prefix on $uplink: put"
    cat <<EOF
     [DHCPv6]
     WithoutRA=solicit
     UseDelegatedPrefix=yes
     PrefixDelegationHint=::/56
   $where. That
   file must start DHCPv6 (DHCP=ipv6 or DHCP=yes; netplan: dhcp6: true). Then run
     networkctl reload
EOF
    step "Follow networkd's prefix, now and at every boot (its first read restarts docker once):"
    cat <<EOF
     systemctl enable --now docker-ipv6-pd-watch
   (Where several links get a prefix: \`systemctl edit docker-ipv6-pd-watch\`, with the lines
   ExecStart= and ExecStart=$bin_path watch --client networkd --uplink $uplink)
EOF
}

# nm_step: the shared connection NetworkManager asks for a prefix for; the dispatcher does the rest.
nm_step() {
    step "NetworkManager${nm_version:+ $nm_version} manages the network: it asks for a prefix on $uplink only for a"
    cat <<EOF
   connection with ipv6.method shared (a downstream port's: nmcli connection modify LAN
   ipv6.method shared). $nm_dispatcher then runs docker-ipv6-pd
   at every dhcp6-change, up and down of $uplink (NetworkManager 1.44 and later).
   The shared port takes the prefix's first /64, where docker's first /80 would lie: put
     subnet-id = 1
   in $config, so that hosts on that LAN reach the containers.
EOF
}

client_step() {
    if [ -n "$networkd" ] && [ -n "$nm" ]; then
        printf '   systemd-networkd and NetworkManager both run: follow the steps of the one managing %s.\n' "$uplink"
    fi
    [ -z "$networkd" ] || networkd_step
    if [ -n "$nm" ] && nm_hands_prefixes; then
        nm_step
    elif [ -n "$nm" ]; then
        step "NetworkManager $nm_version manages the network, and hands its dispatcher scripts no prefix"
        cat <<EOF
   before 1.44: leave $uplink to dhclient or dhcpcd (\`nmcli device set $uplink managed no\`).
EOF
        nm=
    fi
    [ -z "$networkd$nm" ] || return 0
    if [ -n "$has_dhclient" ] && [ -n "$has_dhcpcd" ]; then
        printf '   dhclient and dhcpcd are both installed: use one of them on %s.\n' "$uplink"
    fi
    [ -z "$has_dhclient" ] || dhclient_step
    [ -z "$has_dhcpcd" ] || dhcpcd_step
    if [ -z "$has_dhclient" ] && [ -z "$has_dhcpcd" ]; then
        step "No DHCPv6 client is installed: install isc-dhcp-client (Debian 12, 13) or dhcpcd-base"
        echo "   (Debian 13, 14), then run ./install.sh again for the exact steps."
    fi
}

docker_step() {
    if docker_27_or_later && [ "$kept_target" != nptv6 ]; then
        routed=no
    else
        routed=yes
    fi
    case $wiring in
        daemon-json)
            if [ "$routed" = yes ]; then
                step "Docker: nothing to do. The hook sets ipv6 and fixed-cidr-v6 in /etc/docker/daemon.json"
            else
                step "Docker: the hook sets ipv6 and fixed-cidr-v6 in /etc/docker/daemon.json"
            fi
            cat <<'EOF'
   and runs systemctl restart docker.service. Keep --ipv6 and --fixed-cidr-v6 out of
   docker.service and its drop-ins: dockerd refuses a setting given as a flag and in daemon.json.
EOF
            ;;
        docker-opts)
            step "Docker: in /etc/default/docker set (docker starts without IPv6 until the first prefix):"
            cat <<'EOF'
     DOCKER_OPTS="$(p=$(cat /etc/docker/ipv6.prefix 2>/dev/null) || true; [ -n "$p" ] && echo "--ipv6 --fixed-cidr-v6=$p"; true)"
EOF
            ;;
        *)
            step "Docker: your $config sets target = $kept_target: check that docker reads what it writes."
            ;;
    esac
    if [ "$routed" = no ]; then
        cat <<EOF
   But Docker $docker_version masquerades and filters the default bridge's IPv6 (ip6tables is on
   from 27): containers get addresses from the prefix but are not reachable at them and leave
   with the host's address. For routed addresses set \`target = nptv6\` in $config.
EOF
    fi
}

exposure_step() {
    step "Exposure: routed container addresses are reachable from outside, and what filters them"
    if [ -z "$docker_major" ]; then
        echo "   depends on the Docker version (20.10, 26: nothing unless ip6tables is on; 28: unpublished ports)."
    elif docker_27_or_later; then
        echo "   depends on the Docker version: $docker_version filters unpublished ports; published ones are open to all."
    else
        echo "   depends on the Docker version: $docker_version filters none, published or not, unless ip6tables is on."
    fi
}

# next_steps: prints what is left to do on this machine (after probe_machine).
next_steps() {
    if systemd_running; then init=systemd; else init="no systemd"; fi
    clients=
    [ -z "$has_dhclient" ] || clients=dhclient
    [ -z "$has_dhcpcd" ] || clients="${clients:+$clients and }dhcpcd"
    [ -z "$networkd" ] || clients="${clients:+$clients, }systemd-networkd"
    [ -z "$nm" ] || clients="${clients:+$clients, }NetworkManager"
    step_number=0
    echo
    printf 'Next steps for this machine: %s, Docker %s, DHCP client %s,\n' \
        "$init" "${docker_version:-not found}" "${clients:-none}"
    printf 'uplink %s%s.\n' "$uplink" "${uplink_from:+ ($uplink_from)}"
    [ -n "$uplink_from" ] || echo "   (No default route shows the uplink: put its name where IFACE stands.)"
    sysctl_step
    client_step
    docker_step
    exposure_step
    step "Try it without changing anything, then check the whole setup:"
    cat <<EOF
     new_ip6_prefix=2001:db8:100::/60 $bin_path --dry-run
     $bin_path doctor
EOF
}

# sysctl_name IFACE: the interface as a sysctl key part (a dot in a VLAN name becomes a slash).
sysctl_name() { printf '%s\n' "$1" | tr . /; }
