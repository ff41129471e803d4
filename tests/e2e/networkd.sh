# shellcheck shell=bash
# e2e suite (tests/e2e/run.sh): `docker-ipv6-pd watch` against a real systemd-networkd, run
# standalone (not as PID 1) in the host's private mount namespace as root, with a .network for
# wan0 asking for a prefix (DHCP=ipv6, WithoutRA=solicit, UseDelegatedPrefix=yes,
# PrefixDelegationHint=::/60). target = nptv6: the first lease wires docker (at most one
# restart) and maps the prefix; renewals change nothing; a renumbering (the same router with a
# new pool) maps the new prefix without a restart. Prints the latency from networkctl showing
# the new prefix to our nft table mapping it. Sourced by run.sh after lib.sh, wiring.sh,
# dhcpcd.sh and nptv6.sh.

ND_NETWORK=/etc/systemd/network/10-wan0.network
ND_LOG=networkd.log
WATCH_LOG=watch.log

# networkd_present: the host side has systemd-networkd and networkctl
networkd_present() {
    hx sh -c 'test -x /usr/lib/systemd/systemd-networkd && command -v networkctl' > /dev/null 2>&1
}
# nd_prefix NET: the prefix networkctl --json=short shows delegated inside NET (DHCPv6Client
# Prefixes from 255 on; the unreachable DHCPv6 route on 252)
nd_prefix() {
    hx networkctl --json=short 2> /dev/null | python3 -c '
import ipaddress, json, sys
net = ipaddress.IPv6Network(sys.argv[1])
d = json.load(sys.stdin)
found = []
for i in d.get("Interfaces", []):
    for p in (i.get("DHCPv6Client") or {}).get("Prefixes", []):
        found.append(ipaddress.IPv6Network((bytes(p["Prefix"]), p["PrefixLength"])))
for r in d.get("Routes", []):
    if r.get("Type") == 7 and r.get("ConfigSource") == "DHCPv6":
        found.append(ipaddress.IPv6Network((bytes(r["Destination"]), r["DestinationPrefixLength"])))
for n in found:
    if n.subnet_of(net):
        print(n)
        sys.exit(0)
sys.exit(1)' "$1"
}
nd_has() { nd_prefix "$1" > /dev/null; } # nd_has NET: networkctl shows a prefix inside NET
# start_networkd: networkd as root with its own /run/systemd and .network directory
start_networkd() {
    hx sh -c 'mkdir -p /run/systemd/netif /etc/systemd/network &&
        chown systemd-network:systemd-network /run/systemd/netif' || return 1
    printf '%s\n' '[Match]' 'Name=wan0' '[Network]' 'DHCP=ipv6' 'IPv6AcceptRA=no' '[DHCPv6]' \
        'WithoutRA=solicit' 'UseDelegatedPrefix=yes' 'PrefixDelegationHint=::/60' > "$T/wan0.network"
    hx cp "$T/wan0.network" "$ND_NETWORK"
    # 252's and 257's networkctl ask networkd over D-Bus: a private system bus where the tree
    # has one (262 answers over varlink without it).
    if hx sh -c 'command -v dbus-daemon' > /dev/null; then
        hx sh -c 'mkdir -p /run/dbus && exec dbus-daemon --system --nofork --nopidfile' \
            >> "$STATE/dbus.log" 2>&1 &
        echo $! > "$T/dbus.pid"
        wait_until 10 hx test -S /run/dbus/system_bus_socket || return 1
    fi
    # In a mount namespace of its own with /sys read-only, as in a container: networkd then
    # takes udev for absent instead of waiting for it to initialise each link.
    hx unshare -m --propagation private sh -c 'mount -o remount,bind,ro /sys &&
        exec env SYSTEMD_LOG_LEVEL=debug /usr/lib/systemd/systemd-networkd' >> "$STATE/$ND_LOG" 2>&1 &
    echo $! > "$T/networkd.pid"
    wait_until 10 hx networkctl --json=short > /dev/null 2>&1
}
# start_watch: the product's watch, as the unit install.sh installs runs it
start_watch() {
    hx "$PRODUCT_BIN" watch --interval 5 >> "$STATE/$WATCH_LOG" 2>&1 &
    echo $! > "$T/watch.pid"
}
networkd_cleanup() {
    local f
    for f in watch networkd dbus; do
        [[ -s $T/$f.pid ]] && kill "$(cat "$T/$f.pid")" 2> /dev/null || true
    done
    hx rm -f "$ND_NETWORK"
    hx rm -rf /run/systemd/netif
    hx nft delete table ip6 "$NPTV6_TABLE" 2> /dev/null || true
    hx rm -rf /run/docker-ipv6-pd /var/lib/docker-ipv6-pd/networkd-lease
    hx ip -6 addr flush dev wan0 scope global 2> /dev/null || true
    restore_harness
}
# nd_latency NET OLD: polls every 0.1 s until networkctl shows a prefix in NET and then our
# table maps it; prints "PREFIX MS" (MS from networkctl showing it to the mapping)
nd_latency() {
    local i p='' seen=''
    for ((i = 0; i < 600; i++)); do
        if [[ -z $p ]] && p=$(nd_prefix "$1"); then seen=$(date +%s.%N); fi
        if [[ -n $p ]] && maps "$p"; then
            echo "$p $(ms_since "$seen")"
            return 0
        fi
        sleep 0.1
    done
    return 1
}

scenario_networkd() {
    begin_scenario
    trap networkd_cleanup EXIT
    hx sysctl -qw net.ipv6.conf.wan0.accept_ra=2
    docker_opts 'DOCKER_OPTS="" # IPv6 settings come from daemon.json (target = nptv6)'
    configure "target = nptv6" "internal-prefix = $NPTV6_INTERNAL" "on-loss = withdraw"
    fresh_host none
    hx /etc/init.d/docker start > /dev/null 2>&1 || true
    need "docker started at boot" wait_until 30 docker_up
    : > "$STATE/restarts.log"
    start_dhcpd "${POOL_A[@]}" "$DUID_1"

    say "    -- first lease"
    local prefix lat r0 newp ms
    need "networkd started ($(hx networkctl --version | head -n 1))" start_networkd
    start_watch
    need "networkctl shows a prefix of pool A within 30 s" wait_until 30 nd_has "$POOL_A_NET"
    prefix=$(nd_prefix "$POOL_A_NET")
    info networkd "delegated $prefix"
    need "our nft table maps $prefix within 30 s" wait_until 30 maps "$prefix"
    need "docker is up" wait_until 30 docker_up
    show_restarts 0
    check "at most one docker restart for the first lease (the wiring): $(restarts)" test "$(restarts)" -le 1

    say "    -- renewals"
    r0=$(restarts)
    sleep $((3 * T1 + 1))
    check_eq "networkctl still shows $prefix" "$(nd_prefix "$POOL_A_NET")" "$prefix"
    check "our nft table still maps $prefix" maps "$prefix"
    check_eq "no docker restart for renewals" "$(($(restarts) - r0))" 0

    say "    -- renumbering: the same router with a new pool (NoBinding)"
    r0=$(restarts)
    stop_dhcpd
    start_dhcpd "${POOL_B[@]}" "$DUID_1"
    if lat=$(nd_latency "$POOL_B_NET"); then
        newp=${lat% *} ms=${lat#* }
        info latency "from networkctl showing $newp to our table mapping it: $ms ms"
        pass "our nft table maps the new prefix $newp"
    else
        fail "a prefix of pool B mapped within 60 s (networkctl: $(nd_prefix "$POOL_B_NET" || echo none))"
    fi
    sleep $((2 * T1 + 1))
    show_restarts "$r0"
    check_eq "no docker restart for the renumbering" "$(($(restarts) - r0))" 0
    check "the old prefix $prefix is no longer mapped" eval '! maps "$prefix"'
    tail -n 8 "$STATE/$WATCH_LOG" | sed 's/^/    watch|      /'
}
