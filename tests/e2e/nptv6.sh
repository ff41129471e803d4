# shellcheck shell=bash
# e2e suite (tests/e2e/run.sh): `target = nptv6`: docker lives on a stable unique local prefix
# and the host maps it 1:1 onto the delegated prefix with nftables. The first lease wires docker
# (one restart); a container is reached from the router at its public address ((a)-(c)); a
# renumbering by the same router with a new pool restarts nothing, the container keeps running
# (same PID) and is reached at its new public address ((d)). Sourced by run.sh after lib.sh and
# wiring.sh.

NPTV6_INTERNAL=fd12:3456:789a::/48
NPTV6_TABLE=docker_ipv6_pd

# public_of ADDR PREFIX: the public address of an internal ADDR under delegated PREFIX (the
# first max(L, 48) bits of PREFIX, the rest of ADDR's).
public_of() {
    python3 -c '
import ipaddress, sys
addr = int(ipaddress.IPv6Address(sys.argv[1]))
net = ipaddress.IPv6Network(sys.argv[2], strict=False)
length = max(net.prefixlen, 48)
mask = ((1 << length) - 1) << (128 - length)
print(ipaddress.IPv6Address((int(net.network_address) & mask) | (addr & ~mask & ((1 << 128) - 1))))
' "$1" "$2"
}
# http_from_router ADDR: the router gets the container's answer on its port 80 at ADDR (the
# name stays from when the container served a page).
http_from_router() { [[ $(router_connect "$1" 80) == hello-80 ]]; }
# unrouted ADDR: a connection from the router to ADDR is refused with "no route" at once
# (ICMPv6 destination unreachable), rather than looping between router and host until it times out.
unrouted() {
    rx python3 -c 'import errno, socket, sys
s = socket.socket(socket.AF_INET6)
s.settimeout(3)
try:
    s.connect((sys.argv[1], 8080))
except OSError as e:
    print("    router:     " + str(e))
    sys.exit(0 if e.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH) else 1)
sys.exit(1)' "$1"
}
# ula_leaked: how many packets for a unique local address the router got from the host (a
# counter in the router's own table e2e_nptv6, added by the scenario)
ula_leaked() {
    rx nft list table ip6 e2e_nptv6 2> /dev/null | sed -n 's/.*counter packets \([0-9]*\).*/\1/p'
}
nft_table() { hx nft list table ip6 "$NPTV6_TABLE" 2> /dev/null; }
# maps PREFIX: our nft table DNATs PREFIX (listed whole first: grep -q would cut nft short)
maps() {
    local table
    table=$(nft_table)
    grep -qF "ip6 daddr $1 dnat" <<< "$table"
}
# nptv6_diagnose ADDR PUB: what the host and the router see, when the router cannot fetch PUB
nptv6_diagnose() {
    local got
    got=$(hx busybox nc -w 2 "$1" 80 < /dev/null 2>&1 | tail -n 1 || true)
    info diagnose "host connects to [$1]:80 directly: '$got'"
    got=$(rx busybox ping6 -c 1 -W 2 "$2" 2>&1 | tail -n 2 | paste -sd' ' || true)
    info diagnose "router ping6 $2: $got"
    hx ip -6 route | sed 's/^/    route|      /'
    hx nft list ruleset 2> /dev/null | grep -v '^[[:space:]]*$' | sed 's/^/    ruleset|    /'
}
container_pid() { hx docker inspect --format '{{.State.Pid}}' "$1" 2> /dev/null; }
# ms_since EPOCH_SECONDS.NANOS: milliseconds from then to now
ms_since() { python3 -c 'import sys, time; print(int((time.time() - float(sys.argv[1])) * 1000))' "$1"; }
nptv6_cleanup() {
    hx docker rm -f e2e-nptv6 > /dev/null 2>&1 || true
    hx nft delete table ip6 "$NPTV6_TABLE" 2> /dev/null || true
    hx rm -rf /run/docker-ipv6-pd
    rx nft delete table ip6 e2e_nptv6 2> /dev/null || true
    restore_harness
}

scenario_nptv6() {
    begin_scenario
    trap nptv6_cleanup EXIT
    hx sysctl -qw net.ipv6.conf.wan0.accept_ra=2
    docker_opts 'DOCKER_OPTS="" # IPv6 settings come from daemon.json (target = nptv6)'
    configure "target = nptv6" "internal-prefix = $NPTV6_INTERNAL"
    start_dhcpd "${POOL_A[@]}" "$DUID_1"
    json_boot
    start_dhclient -P
    need "dhclient got a prefix (BOUND6) within 30 s" wait_events 30 0 1 ' ENTER BOUND6 .*life=[1-9]'
    wait_events 10 0 1 ' EXIT BOUND6' || true
    PREFIX=$(grep ' ENTER BOUND6 ' "$STATE/events" | head -n 1 | field new)
    show_events 0 all
    show_restarts 0
    show_json
    check_eq "one docker restart (the wiring)" "$(restarts)" 1
    check_eq "daemon.json \"fixed-cidr-v6\" is the first /64 of the internal prefix" \
        "$(json_cidr)" "fd12:3456:789a::/64"
    need "docker is up after the restart" wait_until 30 docker_up
    info dockerd "bridge network: $(bridge_v6)"
    check "docker's bridge network has IPv6 on with fd12:3456:789a::/64" bridge_has fd12:3456:789a::/64
    nft_table | sed 's/^/    nft|        /'
    check "our nft table maps $PREFIX" maps "$PREFIX"

    need "image imported" ensure_image
    local cid addr pub pid0 m r0 t0 newp newpub ms
    cid=$(hx docker run -d --name e2e-nptv6 --init -p 8080:80 "$IMAGE" sh -c "$CONTAINER_CMD") ||
        { fail "container started" && return 0; }
    wait_until 10 container_hex "$cid" > /dev/null || true
    addr=$(sed 's/.\{4\}/&:/g; s/:$//' <<< "$(container_hex "$cid" || true)")
    addr=$(python3 -c 'import ipaddress, sys; print(ipaddress.IPv6Address(sys.argv[1]))' "$addr")
    pub=$(public_of "$addr" "$PREFIX")
    pid0=$(container_pid "$cid")
    info container "eth0 $addr, public $pub, pid $pid0"
    if wait_until 10 http_from_router "$pub"; then
        pass "the router reaches the container at its public address $pub"
    else
        fail "the router reaches the container at its public address $pub"
        nptv6_diagnose "$addr" "$pub"
    fi
    reach_checks "$cid" "$pub"

    local unused
    unused=$(public_of fd12:3456:789a:5::1 "$PREFIX")
    rx nft -f - <<'EOF'
table ip6 e2e_nptv6 {
    chain prerouting {
        type filter hook prerouting priority 0;
        ip6 daddr fc00::/7 counter
    }
}
EOF
    check "an address of the prefix that no docker network holds ($unused) gets \"no route\"" \
        unrouted "$unused"
    check_eq "no packet for the internal prefix left the host" "$(ula_leaked)" 0

    say "    -- renumbering: the same router with a new pool (NoBinding)"
    m=$(mark) r0=$(restarts) t0=$SECONDS
    stop_dhcpd
    start_dhcpd "${POOL_B[@]}" "$DUID_1"
    need "a new prefix from pool B within 30 s" wait_until 30 new_prefix_in "$POOL_B_NET" "$m" > /dev/null
    newp=$(new_prefix_in "$POOL_B_NET" "$m")
    local event_time
    event_time=$(since "$m" | grep " ENTER [A-Z0-9]* iaid=[^ ]* new=$newp " | head -n 1 | cut -d' ' -f1)
    newpub=$(public_of "$addr" "$newp")
    if wait_until 20 eval '[[ $(router_connect "$newpub" 80 0.3) == hello-80 ]]'; then
        ms=$(ms_since "$event_time")
        pass "the router reaches the container at its new public address $newpub"
        info timing "from the event (dhclient-script ran for $newp) to the first answer: $ms ms"
    else
        fail "the router reaches the container at its new public address $newpub"
    fi
    # Let the withdrawn prefix linger: it comes back as BOUND6 old = new every T1.
    wait_events $((2 * T1 + 3)) "$(mark)" 2 ' ENTER ' || true
    show_events "$m"
    show_restarts "$r0"
    nft_table | sed 's/^/    nft|        /'
    check_eq "no docker restart for the renumbering" "$(($(restarts) - r0))" 0
    check_eq "the container kept running (same PID)" "$(container_pid "$cid")" "$pid0"
    check "our nft table maps $newp" maps "$newp"
    check "the new public address still answers after the old prefix lingered" http_from_router "$newpub"
    REACH_TAG='(d) ' reach_checks "$cid" "$newpub"
    check "the old public address $pub no longer answers" eval '! http_from_router "$pub"'
    info took "$((SECONDS - t0)) s for the renumbering part"
}
