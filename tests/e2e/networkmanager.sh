# shellcheck shell=bash
# e2e suite (tests/e2e/run.sh): the product's NetworkManager dispatcher script against a real
# NetworkManager, run standalone (not as PID 1) in the host's private mount namespace as root,
# with a private system bus (its dispatcher is D-Bus activated on it) and /sys read-only in a
# mount namespace of its own. Two keyfile connections, nothing else managed: wan0, the uplink,
# and lan0, one end of a veth pair, with ipv6.method=shared, which makes NetworkManager ask for a
# prefix (DHCPv6 with IA_PD alone) on its default IPv6 device: the one with a default route. So
# wan0 needs one: by default it has ipv6.method=auto and the router sends RAs (M and O off, the
# router's /64 for SLAAC), as an ISP's does; with E2E_NM_UPLINK=manual the router sends none and
# wan0 has a static address and gateway instead (ipv6.method=dhcp without RAs never gets a
# default route, and NetworkManager then never asks for a prefix). lan0 asks for the prefix's
# /64 number 0, where docker's first /80 would be: the product is configured with subnet-id = 1,
# as the README advises, so docker's /80 lies in /64 number 1, and a host on the LAN (the veth's
# other end) must reach the router and the container.
# The prefix file wiring with on-loss = withdraw: the first lease writes the first /80 (one
# restart), renewals change nothing, a renumbering (the same router with a new pool) writes the
# new /80 (one restart), and `nmcli device disconnect wan0` (`down`) empties the file (one
# restart). Prints NetworkManager's version, every dispatcher call (a trace script that runs
# just before ours) and the latency from the call with the new prefix to the file holding its
# /80. Sourced by run.sh after lib.sh, lan.sh, wiring.sh, loss-policies.sh and nptv6.sh.

NM_DOCKER_ID=1 # the product's subnet-id: docker's /80 from /64 number 1, out of the shared LAN's
docker80() { subnet80 "$1" "$NM_DOCKER_ID"; } # docker80 PREFIX: the prefix file's line for PREFIX

NM_DIR=/etc/NetworkManager
NM_DISPATCHER=$NM_DIR/dispatcher.d/90-docker-ipv6-pd # what install.sh installs
NM_TRACE=$NM_DIR/dispatcher.d/89-e2e-trace
NM_CONF=$NM_DIR/conf.d/90-e2e.conf
NM_CALLS=nm-dispatch # in $STATE: "EPOCH IFACE ACTION PREFIX..." per call ('-' for none)
NM_LOG=networkmanager.log
NM_GATEWAY=${ROUTER_NET%/*}
NM_UPLINK=${E2E_NM_UPLINK:-auto} # auto (RAs from the router) or manual (static address, gateway)

# nm_unfit: why the host side cannot run this scenario (printed, status 0): no NetworkManager,
# or one older than 1.44, whose dispatcher scripts get no DHCP6_IP6_PREFIX. Status 1 when it can.
nm_unfit() {
    local version
    if ! hx sh -c 'test -x /usr/sbin/NetworkManager -a -x /usr/libexec/nm-dispatcher &&
        command -v nmcli && command -v dbus-daemon' > /dev/null 2>&1; then
        echo "no NetworkManager"
        return 0
    fi
    version=$(hx /usr/sbin/NetworkManager --version 2> /dev/null)
    if [[ $(printf '%s\n' 1.44 "$version" | sort -V | head -n 1) != 1.44 ]]; then
        echo "NetworkManager ${version%.*} hands dispatcher scripts no prefix"
        return 0
    fi
    return 1
}
# nm_dispatcher_installed: install.sh put our dispatcher script where NetworkManager runs it
nm_dispatcher_installed() {
    [[ $(hx stat -c '%U %a' "$NM_DISPATCHER" 2> /dev/null) == "root 755" ]] &&
        hx grep -q -- '--client networkmanager' "$NM_DISPATCHER"
}
nm_calls() { wc -l < "$STATE/$NM_CALLS" 2> /dev/null || echo 0; }
# nm_prefix NET [FROM]: the last prefix inside NET the dispatcher was called with, after the
# first FROM calls; "EPOCH PREFIX" with -t
nm_prefix() {
    local with_time='' line p
    [[ $1 == -t ]] && with_time=1 && shift
    while read -r line; do
        for p in $(cut -d' ' -f4- <<< "$line"); do
            if [[ $p != - ]] && in_net "$p" "$1"; then
                echo "${with_time:+${line%% *} }$p"
                return 0
            fi
        done
    done < <(tail -n "+$((${2:-0} + 1))" "$STATE/$NM_CALLS" 2> /dev/null | tac)
    return 1
}
nm_has() { nm_prefix "$@" > /dev/null; }
# called_since FROM IFACE ACTION: a dispatcher call after the first FROM was IFACE ACTION
called_since() { tail -n "+$(($1 + 1))" "$STATE/$NM_CALLS" | awk -v i="$2" -v a="$3" '$2 == i && $3 == a { f = 1 } END { exit !f }'; }
# show_calls FROM: the dispatcher calls after the first FROM, runs of identical ones folded
show_calls() {
    tail -n "+$(($1 + 1))" "$STATE/$NM_CALLS" 2> /dev/null | cut -d' ' -f2- | awk '
        function flush() { if (prev != "") printf "    dispatch:   %s%s\n", prev, (n > 1 ? " x" n : ""); n = 0 }
        $0 == prev { n++; next }
        { flush(); prev = $0; n = 1 }
        END { flush() }'
}
# start_nm: the configuration, keyfiles and trace script, a private system bus, NetworkManager
start_nm() {
    cat > "$T/nm.conf" <<'EOF'
# e2e: only the two keyfile connections; no DNS, hostname or connectivity business
[main]
plugins=keyfile
dhcp=internal
dns=none
rc-manager=unmanaged
hostname-mode=none
no-auto-default=*
[keyfile]
unmanaged-devices=except:interface-name:wan0;except:interface-name:lan0
[connectivity]
enabled=false
[logging]
level=INFO
domains=ALL:INFO,DHCP6:DEBUG,DISPATCH:DEBUG
EOF
    printf '%s\n' '[connection]' 'id=e2e-wan0' 'type=ethernet' 'interface-name=wan0' '[ipv4]' \
        'method=disabled' '[ipv6]' "method=$NM_UPLINK" 'addr-gen-mode=eui64' > "$T/wan0.nmconnection"
    if [[ $NM_UPLINK == manual ]]; then
        printf '%s\n' "address1=$HOST_NET" "gateway=$NM_GATEWAY" >> "$T/wan0.nmconnection"
    else
        start_ra_sender || return 1
    fi
    printf '%s\n' '[connection]' 'id=e2e-lan0' 'type=ethernet' 'interface-name=lan0' '[ipv4]' \
        'method=disabled' '[ipv6]' 'method=shared' 'addr-gen-mode=eui64' > "$T/lan0.nmconnection"
    cat > "$T/nm-trace" <<EOF
#!/bin/sh
# e2e: what NetworkManager's dispatcher calls the scripts with (this one runs before ours)
echo "\$(date +%s.%N) \${1:--} \${2:--} \${DHCP6_IP6_PREFIX:--}" >> /run/e2e/$NM_CALLS
EOF
    : > "$STATE/$NM_CALLS"
    # lan0: the shared port, with a host on the LAN behind it (lan.sh)
    lan_host_up || return 1
    hx install -D -m 0644 "$T/nm.conf" "$NM_CONF"
    hx install -D -m 0600 "$T/wan0.nmconnection" "$NM_DIR/system-connections/e2e-wan0.nmconnection"
    hx install -D -m 0600 "$T/lan0.nmconnection" "$NM_DIR/system-connections/e2e-lan0.nmconnection"
    hx install -D -m 0755 "$T/nm-trace" "$NM_TRACE"
    hx sh -c 'mkdir -p /run/dbus && rm -f /run/dbus/system_bus_socket'
    host_daemon nm-dbus "$STATE/dbus.log" dbus-daemon --system --nofork --nopidfile
    wait_until 10 hx test -S /run/dbus/system_bus_socket || return 1
    # /sys read-only, as in a container: NetworkManager then does without udev.
    host_daemon nm "$STATE/$NM_LOG" unshare -m --propagation private sh -c \
        'mount -o remount,bind,ro /sys && exec /usr/sbin/NetworkManager --debug'
    wait_until 20 hx nmcli -t general status > /dev/null 2>&1
}
# start_ra_sender: the router advertises itself on up0 every 3 s (router lifetime 1800 s, M and
# O off, its /64 as an on-link, autonomous prefix)
start_ra_sender() {
    rm -f "$T/nm-ra.pid"
    # It writes its own pid: python3 may be a wrapper that forks.
    rx python3 -c 'import os, socket, struct, sys, time
open(sys.argv[2], "w").write(str(os.getpid()))
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"up0")
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
ra = struct.pack("!BBHBBHII", 134, 0, 0, 64, 0, 1800, 0, 0)
pio = struct.pack("!BBBBIII", 3, 4, 64, 0xC0, 86400, 14400, 0) + socket.inet_pton(socket.AF_INET6, sys.argv[1])
while True:
    s.sendto(ra + pio, ("ff02::1", 0, 0, socket.if_nametoindex("up0")))
    time.sleep(3)' "${ROUTER_NET%::*}::" "$T/nm-ra.pid" >> "$STATE/ra.log" 2>&1 &
    wait_until 5 test -s "$T/nm-ra.pid" && sleep 0.5 && kill -0 "$(cat "$T/nm-ra.pid")" 2> /dev/null
}
nm_cleanup() {
    local pid child
    pid=$(cat "$T/nm-ra.pid" 2> /dev/null) && kill "$pid" 2> /dev/null
    stop_host_daemon nm
    if pid=$(cat "$STATE/nm-dbus.pid" 2> /dev/null); then
        # The dispatcher, activated by the bus, is its child.
        for child in $(ps -o pid= --ppid "$pid" 2> /dev/null); do kill "$child" 2> /dev/null || true; done
    fi
    stop_host_daemon nm-dbus
    rm -f "$T/nm-ra.pid"
    hx rm -f "$NM_CONF" "$NM_TRACE" "$NM_DIR"/system-connections/e2e-*.nmconnection
    hx rm -rf /var/lib/NetworkManager /run/NetworkManager /run/dbus
    lan_host_down
    # What NetworkManager changed on wan0, back as run.sh set it up.
    hx ip link set wan0 up
    hx ip -6 addr add "$HOST_LL/64" dev wan0 nodad 2> /dev/null || true
    hx ip -6 route del default via "$NM_GATEWAY" dev wan0 2> /dev/null || true
    hx ip -6 route flush dev wan0 proto ra 2> /dev/null || true
    hx ip -6 addr flush dev wan0 scope global 2> /dev/null || true
    hx ip -6 route replace default via "$ROUTER_LL" dev wan0 2> /dev/null || true
    hx sysctl -qw net.ipv6.conf.all.forwarding=1
    hx rm -rf /run/docker-ipv6-pd /var/lib/docker-ipv6-pd/networkmanager-lease
    restore_harness
}
# nm_latency NET FROM: polls every 0.1 s until a dispatcher call after the first FROM carries a
# prefix in NET and the file holds its first /80; prints "PREFIX MS" (MS from that call)
nm_latency() {
    local i got=''
    for ((i = 0; i < 600; i++)); do
        [[ -n $got ]] || got=$(nm_prefix -t "$1" "$2") || true
        if [[ -n $got ]] && file_is "$(docker80 "${got#* }")"; then
            echo "${got#* } $(ms_since "${got%% *}")"
            return 0
        fi
        sleep 0.1
    done
    return 1
}
# dhcpd_got POOL_START: the messages the server started with that pool has had, in order, runs
# folded ("Rebind x2, Solicit")
dhcpd_got() {
    sed -n "\|^--- dhcpd: pool $1 |,\$p" "$STATE/dhcpd.log" | sed -n 's/^\([A-Z][A-Za-z-]*\) message from .*/\1/p' |
        uniq -c | awk '{ printf "%s%s%s", (NR > 1 ? ", " : ""), $2, ($1 > 1 ? " x" $1 : "") }'
}
# restarts_settle FROM: waits until docker restarted after the first FROM restarts and is up
restarted_since() { (($(restarts) > $1)); }
restarts_settle() {
    wait_until 30 restarted_since "$1" || true
    wait_until 30 docker_up
}

scenario_networkmanager() {
    begin_scenario
    trap nm_cleanup EXIT
    # A line that copes with an empty prefix file (withdraw) and with none at all (this host never
    # had a prefix): the init script runs under `set -e`, which a failing cat would trip.
    # shellcheck disable=SC2016 # for /etc/init.d/docker to expand
    docker_opts 'DOCKER_OPTS="$(p=$(cat /etc/docker/ipv6.prefix 2>/dev/null) || true; [ -n "$p" ] && echo "--ipv6 --fixed-cidr-v6=$p"; true)"'
    configure "on-loss = withdraw" "subnet-id = $NM_DOCKER_ID"
    fresh_host none
    hx /etc/init.d/docker start > /dev/null 2>&1 || true
    need "docker started at boot (no prefix file: without IPv6)" wait_until 30 docker_up
    : > "$STATE/restarts.log"
    check "install.sh installed $NM_DISPATCHER (root's, 0755, --client networkmanager)" nm_dispatcher_installed
    start_dhcpd "${POOL_A[@]}" "$DUID_1"

    say "    -- first lease"
    local prefix want lat newp new80 ms r0 c0
    need "NetworkManager $(hx /usr/sbin/NetworkManager --version) started (private system bus; wan0 ipv6.method=$NM_UPLINK$([[ $NM_UPLINK == manual ]] && echo ', no RAs' || echo ', RAs from the router'))" start_nm
    need "the dispatcher got a prefix of pool A within 60 s" wait_until 60 nm_has "$POOL_A_NET"
    prefix=$(nm_prefix "$POOL_A_NET")
    want=$(docker80 "$prefix")
    need "file holds $want, the first /80 of /64 number $NM_DOCKER_ID of $prefix, within 30 s" wait_until 30 file_is "$want"
    restarts_settle 0
    show_calls 0
    info networkmanager "delegated $prefix; lan0 (shared) took $(lan0_addr)"
    info sysctl "with NetworkManager: net.ipv6.conf.wan0.accept_ra=$(hx sysctl -n net.ipv6.conf.wan0.accept_ra), all.forwarding=$(hx sysctl -n net.ipv6.conf.all.forwarding)"
    info file "$(hcat "$PREFIX_FILE")"
    show_restarts 0
    check_eq "exactly one docker restart for the first lease" "$(restarts)" 1
    fds_check 0
    docker_checks "$want"
    lan_check "$prefix" "$want" NetworkManager

    say "    -- renewals"
    r0=$(restarts) c0=$(nm_calls)
    sleep $((3 * T1 + 1))
    # Its client's renewals come at uneven times: some may fall after the 3 * T1.
    check "NetworkManager renewed (a dispatcher call with $prefix within 30 s)" \
        wait_until 30 nm_has "$POOL_A_NET" "$c0"
    show_calls "$c0"
    check_eq "file unchanged" "$(hcat "$PREFIX_FILE")" "$want"
    check_eq "no docker restart for renewals" "$(($(restarts) - r0))" 0

    say "    -- renumbering: the same router with a new pool"
    r0=$(restarts) c0=$(nm_calls)
    stop_dhcpd
    start_dhcpd "${POOL_B[@]}" "$DUID_1"
    if lat=$(nm_latency "$POOL_B_NET" "$c0"); then
        newp=${lat% *} ms=${lat#* }
        new80=$(docker80 "$newp")
        info latency "from the dispatcher call with $newp to the file holding $new80: $ms ms"
        info dhcpd "what NetworkManager sent the new server until then: $(dhcpd_got "${POOL_B[0]}")"
        pass "file holds the first /80 of the new prefix $newp"
    else
        fail "the file holds the /80 of a pool B prefix within 60 s (dispatcher: $(nm_prefix "$POOL_B_NET" || echo none))"
        return 0
    fi
    restarts_settle "$r0"
    sleep $((2 * T1 + 1))
    show_calls "$c0"
    info networkmanager "lan0 (shared) now $(lan0_addr)"
    show_restarts "$r0"
    check_eq "exactly one docker restart for the renumbering" "$(($(restarts) - r0))" 1
    check_eq "file still holds $new80" "$(hcat "$PREFIX_FILE")" "$new80"
    REACH_TAG="(d) " docker_checks "$new80"

    say "    -- lease lost: nmcli device disconnect wan0 (down)"
    r0=$(restarts) c0=$(nm_calls)
    hx nmcli device disconnect wan0 > /dev/null || fail "nmcli device disconnect wan0"
    check "the dispatcher was called with down for wan0" wait_until 30 called_since "$c0" wan0 down
    check "file emptied (exists, empty) within 30 s" wait_until 30 file_empty
    restarts_settle "$r0"
    sleep 2
    show_calls "$c0"
    show_restarts "$r0"
    check_eq "one docker restart" "$(($(restarts) - r0))" 1
    check "the restart succeeded" last_restart_ok
    info dockerd "IPv6 flags '$(dockerd_v6_flags)'; bridge network: $(bridge_v6)"
    check_eq "dockerd runs without IPv6 flags" "$(dockerd_v6_flags)" ""
    check "docker's bridge network has IPv6 off" bridge_without_v6
}
