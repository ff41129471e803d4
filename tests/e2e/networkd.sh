# shellcheck shell=bash
# e2e suite (tests/e2e/run.sh): `docker-ipv6-pd watch` against a real systemd-networkd, run
# standalone (not as PID 1) in the host's private mount namespace as root, with wan0 set up as
# the README says (a .network running DHCPv6 and the README's drop-in asking for a prefix).
# target = nptv6: the first lease wires docker (at most one restart) and maps the prefix;
# renewals change nothing; a renumbering (the same router with a new pool) maps the new prefix
# without a restart. Prints the latency from networkctl showing the new prefix to our nft table
# mapping it, and what networkd makes of the uplink's accept_ra. The helpers here also serve
# networkd-prefix-file.sh. Sourced by run.sh after lib.sh, wiring.sh, dhcpcd.sh and nptv6.sh.

ND_DIR=/etc/systemd/network
ND_LOG=networkd.log
WATCH_LOG=watch.log

# networkd_present: the host side has systemd-networkd and networkctl
networkd_present() {
    hx sh -c 'test -x /usr/lib/systemd/systemd-networkd && command -v networkctl' > /dev/null 2>&1
}
# nd_prefix NET: the prefix networkctl --json=short shows delegated inside NET (DHCPv6Client
# Prefixes from 255 on; the unreachable DHCPv6 route on 252, which can outlive its lease: an
# entry whose lifetime, on CLOCK_BOOTTIME in µs, is over does not count)
nd_prefix() {
    hx networkctl --json=short 2> /dev/null | python3 -c '
import ipaddress, json, sys, time
net = ipaddress.IPv6Network(sys.argv[1])
now = time.clock_gettime(time.CLOCK_BOOTTIME) * 1e6
try:
    d = json.load(sys.stdin)
except ValueError:  # networkd not answering (yet)
    sys.exit(1)
found = []
for i in d.get("Interfaces", []):
    for p in (i.get("DHCPv6Client") or {}).get("Prefixes", []):
        if p.get("ValidLifetimeUSec", now + 1) > now:
            found.append(ipaddress.IPv6Network((bytes(p["Prefix"]), p["PrefixLength"])))
for r in d.get("Routes", []):
    if r.get("Type") == 7 and r.get("ConfigSource") == "DHCPv6" and r.get("LifetimeUSec", now + 1) > now:
        found.append(ipaddress.IPv6Network((bytes(r["Destination"]), r["DestinationPrefixLength"])))
for n in found:
    if n.subnet_of(net):
        print(n)
        sys.exit(0)
sys.exit(1)' "$1"
}
nd_has() { nd_prefix "$1" > /dev/null; } # nd_has NET: networkctl shows a prefix inside NET
# readme_block FIRST: the README's fenced code block whose first line contains FIRST, so the
# scenarios set networkd up exactly as the README tells an admin to
readme_block() {
    awk -v want="$1" '/^```/ { if (inb && hit) exit; inb = !inb; first = 1; next }
        inb { if (first && index($0, want)) hit = 1; first = 0; if (hit) print }' "$REPO/README.md"
}
# networkd_config hand|netplan: wan0's .network as the README sets an uplink up: a .network file
# running DHCPv6 (hand), or the README's netplan file rendered as at boot (netplan;
# only where the tree has netplan), each with the README's drop-in asking for a prefix. The
# router sends no router advertisement: the drop-in's WithoutRA=solicit starts DHCPv6 anyway.
networkd_config() {
    local file=10-wan0.network dropin
    dropin=$(readme_block '50-docker-ipv6-pd.conf, for 10-eth0.network' | grep -v '^#')
    [[ -n $dropin ]] || { say "    the README has no networkd drop-in block" && return 1; }
    if [[ $1 == netplan ]]; then
        file=10-netplan-wan0.network
        # Rendered by what writes the .network at boot (netplan-configure.service's `configure`
        # from netplan 1.2 on, the systemd generator's `generate` before), into a scratch root:
        # netplan 1.1 also writes units under /run/systemd/system, whose mere presence tells
        # every program (ours too) that systemd is running, which it is not here.
        mkdir -p "$T/netplan/etc/netplan"
        readme_block '# /etc/netplan/50-uplink.yaml' | sed 's/eth0:/wan0:/' > "$T/netplan/etc/netplan/50-uplink.yaml"
        [[ -s $T/netplan/etc/netplan/50-uplink.yaml ]] || { say "    the README has no netplan block" && return 1; }
        chmod 0600 "$T/netplan/etc/netplan/50-uplink.yaml"
        hx sh -c 'if [ -x /usr/libexec/netplan/configure ]; then exec /usr/libexec/netplan/configure "$@"
            else exec /usr/libexec/netplan/generate "$@"; fi' sh --root-dir "$T/netplan" || return 1
        [[ -f $T/netplan/run/systemd/network/$file ]] || { say "    netplan wrote no /run/systemd/network/$file" && return 1; }
        hx install -D -m 0644 "$T/netplan/run/systemd/network/$file" "/run/systemd/network/$file"
        info netplan "the README's /etc/netplan/50-uplink.yaml (eth0 -> wan0) rendered to /run/systemd/network/$file: $(grep -h '^DHCP=' "$T/netplan/run/systemd/network/$file")"
    else
        printf '%s\n' '[Match]' 'Name=wan0' '[Network]' 'DHCP=ipv6' > "$T/wan0.network"
        hx install -D -m 0644 "$T/wan0.network" "$ND_DIR/$file"
        info network "$ND_DIR/$file: [Match] Name=wan0, [Network] DHCP=ipv6"
    fi
    printf '%s\n' "$dropin" > "$T/dropin.conf"
    hx install -D -m 0644 "$T/dropin.conf" "$ND_DIR/$file.d/50-docker-ipv6-pd.conf"
    info drop-in "$ND_DIR/$file.d/50-docker-ipv6-pd.conf (the README's): $(grep -F '=' "$T/dropin.conf" | paste -sd' ')"
}
# start_networkd: networkd as root with its own /run/systemd (the .network files are in place)
start_networkd() {
    hx sh -c 'mkdir -p /run/systemd/netif && chown systemd-network:systemd-network /run/systemd/netif' ||
        return 1
    # The router sends no router advertisement: the suite gave wan0 a static default route
    # instead, which networkd (257 on) would remove as foreign when it takes wan0 over.
    printf '%s\n' '# e2e: keep the suite'"'"'s static default route' '[Network]' 'ManageForeignRoutes=no' > "$T/networkd.conf"
    hx install -D -m 0644 "$T/networkd.conf" /etc/systemd/networkd.conf.d/50-e2e.conf
    # 252's and 257's networkctl ask networkd over D-Bus: a private system bus where the tree
    # has one (262 answers over varlink without it).
    if hx sh -c 'command -v dbus-daemon' > /dev/null; then
        hx mkdir -p /run/dbus
        host_daemon dbus "$STATE/dbus.log" dbus-daemon --system --nofork --nopidfile
        wait_until 10 hx test -S /run/dbus/system_bus_socket || return 1
    fi
    # In a mount namespace of its own with /sys read-only, as in a container: networkd then
    # takes udev for absent instead of waiting for it to initialise each link.
    host_daemon networkd "$STATE/$ND_LOG" unshare -m --propagation private sh -c \
        'mount -o remount,bind,ro /sys && exec env SYSTEMD_LOG_LEVEL=debug /usr/lib/systemd/systemd-networkd'
    wait_until 10 hx networkctl --json=short > /dev/null 2>&1
}
# start_watch: the product's watch, as the unit install.sh installs runs it
start_watch() {
    host_daemon watch "$STATE/$WATCH_LOG" "$PRODUCT_BIN" watch --interval 5
}
networkd_cleanup() {
    local d
    for d in watch networkd dbus; do stop_host_daemon "$d"; done
    hx rm -rf "$ND_DIR"/10-*wan0.network* "$ND_DIR"/20-lan0.network /etc/systemd/networkd.conf.d/50-e2e.conf \
        /run/systemd/netif /run/systemd/network /run/dbus
    lan_host_down
    hx nft delete table ip6 "$NPTV6_TABLE" 2> /dev/null || true
    hx rm -rf /run/docker-ipv6-pd /var/lib/docker-ipv6-pd/networkd-lease
    hx ip -6 addr flush dev wan0 scope global 2> /dev/null || true
    restore_harness
}
# uplink_sysctls: what networkd made of wan0's accept_ra (set to 2 before it started, as the
# README's sysctls would) and what doctor says of it
uplink_sysctls() {
    info sysctl "with networkd: net.ipv6.conf.wan0.accept_ra=$(hx sysctl -n net.ipv6.conf.wan0.accept_ra), all.forwarding=$(hx sysctl -n net.ipv6.conf.all.forwarding)"
    hx "$PRODUCT_BIN" doctor 2>&1 | grep -E 'accept_ra|networkd' | sed 's/^/    doctor|     /' || true
}
# nd_latency NET APPLIED: polls every 0.1 s until networkctl shows a prefix in NET and then
# `APPLIED PREFIX` holds (e.g. maps: our table maps it); prints "PREFIX MS" (MS from networkctl
# showing it to APPLIED holding)
nd_latency() {
    local i p='' seen=''
    for ((i = 0; i < 600; i++)); do
        if [[ -z $p ]] && p=$(nd_prefix "$1"); then seen=$(date +%s.%N); fi
        if [[ -n $p ]] && "$2" "$p"; then
            echo "$p $(ms_since "$seen")"
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# nd_renumbered APPLIED WHAT: the same router moves to pool B (NoBinding); waits until
# networkctl shows a prefix of pool B and `APPLIED PREFIX` holds, prints the latency between the
# two ("from networkctl showing P to WHAT") and sets NEWP; fails (returns 1) after 60 s
nd_renumbered() {
    local lat
    say "    -- renumbering: the same router with a new pool (NoBinding)"
    stop_dhcpd
    start_dhcpd "${POOL_B[@]}" "$DUID_1"
    if ! lat=$(nd_latency "$POOL_B_NET" "$1"); then
        fail "$2 for a prefix of pool B within 60 s (networkctl: $(nd_prefix "$POOL_B_NET" || echo none))"
        return 1
    fi
    NEWP=${lat% *}
    info latency "from networkctl showing $NEWP to $2: ${lat#* } ms"
    pass "$2 for the new prefix $NEWP"
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
    local prefix r0
    need "wan0's .network as the README has it" networkd_config hand
    need "networkd started ($(hx networkctl --version | head -n 1))" start_networkd
    start_watch
    need "networkctl shows a prefix of pool A within 30 s" wait_until 30 nd_has "$POOL_A_NET"
    prefix=$(nd_prefix "$POOL_A_NET")
    info networkd "delegated $prefix"
    need "our nft table maps $prefix within 30 s" wait_until 30 maps "$prefix"
    need "docker is up" wait_until 30 docker_up
    show_restarts 0
    check "at most one docker restart for the first lease (the wiring): $(restarts)" test "$(restarts)" -le 1
    uplink_sysctls

    say "    -- renewals"
    r0=$(restarts)
    sleep $((3 * T1 + 1))
    check_eq "networkctl still shows $prefix" "$(nd_prefix "$POOL_A_NET")" "$prefix"
    check "our nft table still maps $prefix" maps "$prefix"
    check_eq "no docker restart for renewals" "$(($(restarts) - r0))" 0

    r0=$(restarts)
    nd_renumbered maps "our table mapping it" || return 0
    sleep $((2 * T1 + 1))
    show_restarts "$r0"
    check_eq "no docker restart for the renumbering" "$(($(restarts) - r0))" 0
    check "the old prefix $prefix is no longer mapped" eval '! maps "$prefix"'
    tail -n 8 "$STATE/$WATCH_LOG" | sed 's/^/    watch|      /'
}
