# shellcheck shell=bash
# e2e suite (tests/e2e/run.sh): what becomes of docker's subnet when the prefix goes away:
# `on-loss = withdraw` (a release empties the prefix file, a new lease refills it) and
# `on-loss = fallback` (a release moves docker to a ULA /80 reached over NAT66, a returning
# prefix undoes it). Sourced by run.sh after lib.sh and wiring.sh.

FALLBACK_PREFIX=fd00:db8:1::/48
ROUTER_ADDR=${ROUTER_NET%/*}

# release_lease: `dhclient -r` with the running dhclient's arguments, as in the release
# scenario: it stops that dhclient and sends a Release; dhclient-script runs RELEASE6.
release_lease() {
    local args rc=0
    mapfile -t args < "$STATE/dhclient.args"
    hx dhclient -6 -r "${args[@]}" -v -lf "$LEASES" -pf /run/e2e/dhclient6.pid wan0 \
        >> "$STATE/dhclient.log" 2>&1 || rc=$?
    info release "dhclient -r exited $rc"
}
# release_traced: release_lease between a mark and a restart count (left in REL_MARK and
# REL_R0 for the caller's checks), then show what the enter hooks saw and check RELEASE6 reached
# them.
release_traced() {
    say "    -- release (dhclient -r: RELEASE6)"
    REL_MARK=$(mark) REL_R0=$(restarts)
    release_lease
    wait_events 5 "$REL_MARK" 1 ' EXIT RELEASE6' || true
    show_events "$REL_MARK" all
    show_restarts "$REL_R0"
    check "RELEASE6 reached the enter hooks" test "$(count_since "$REL_MARK" ' ENTER RELEASE6 ')" -ge 1
}
# live_prefix_since MARK: the first prefix with non-zero lifetimes in an event since MARK
live_prefix_since() {
    since "$1" | grep ' ENTER ' | grep -v ' life=0/' | field new | grep -v '^-$' | head -n 1
}
# new_lease MARK: dhclient started again (with its lease file, as after a reboot); waits for a
# prefix with non-zero lifetimes and for dhclient-script to complete. Sets PREFIX and WANT.
new_lease() {
    start_dhclient -P
    need "a prefix with non-zero lifetimes within 30 s" \
        wait_events 30 "$1" 1 ' ENTER (BOUND6|RENEW6|REBIND6) .*life=[1-9]'
    wait_events 10 "$1" 1 ' EXIT (BOUND6|RENEW6|REBIND6)' || true
    PREFIX=$(live_prefix_since "$1")
    WANT=$(first80 "$PREFIX")
}
last_restart_ok() { tail -n 1 "$STATE/restarts.log" | grep -q 'status=0$'; }
file_empty() { hx test -e "$PREFIX_FILE" -a ! -s "$PREFIX_FILE"; }
bridge_without_v6() { [[ $(bridge_v6) == false* ]]; }

# withdraw_release: dhclient -r with on-loss = withdraw: the file is emptied, docker restarted
# once and comes back without IPv6.
withdraw_release() {
    release_traced
    info file "'$(hcat "$PREFIX_FILE")'"
    check "file emptied (exists, empty)" file_empty
    check_eq "one docker restart" "$(($(restarts) - REL_R0))" 1
    check "the restart succeeded" last_restart_ok
    need "docker is up after the restart" wait_until 30 docker_up
    info dockerd "IPv6 flags '$(dockerd_v6_flags)'; bridge network: $(bridge_v6)"
    check_eq "dockerd runs without IPv6 flags" "$(dockerd_v6_flags)" ""
    check "docker's bridge network has IPv6 off" bridge_without_v6
}
# withdraw_return fresh|kept: dhclient started again, without or with its lease file; the
# prefix's /80 must come back into the file, with one docker restart.
withdraw_return() {
    local m r0
    if [[ $1 == fresh ]]; then
        say "    -- a new lease: dhclient started again without its lease file"
        hx rm -f "$LEASES"
    else
        say "    -- a new lease: dhclient started again with its lease file (as after a reboot)"
    fi
    m=$(mark) r0=$(restarts)
    new_lease "$m"
    show_events "$m" all
    show_restarts "$r0"
    info file "$(hcat "$PREFIX_FILE")"
    check_eq "file holds the first /80 of $PREFIX again" "$(hcat "$PREFIX_FILE")" "$WANT"
    check_eq "one docker restart" "$(($(restarts) - r0))" 1
    fds_check "$r0"
    docker_checks "$WANT"
}

scenario_withdraw() { # on-loss = withdraw
    begin_scenario
    # shellcheck disable=SC2016 # for /etc/init.d/docker to expand
    docker_opts 'DOCKER_OPTS="$(p=$(cat /etc/docker/ipv6.prefix 2>/dev/null) || true; [ -n "$p" ] && echo "--ipv6 --fixed-cidr-v6=$p"; true)"'
    say "    (a DOCKER_OPTS that copes with an empty prefix file: docker then starts without IPv6;"
    say "     with the harness's backtick line /etc/init.d/docker would start dockerd with --fixed-cidr-v6=)"
    configure "on-loss = withdraw"
    start_dhcpd "${POOL_A[@]}" "$DUID_1"
    first_lease -P
    info bound "$PREFIX, file $(hcat "$PREFIX_FILE"), $(restarts) restart(s)"
    need "file holds the first /80 of $PREFIX" file_is "$WANT"
    need "docker is up" wait_until 30 docker_up
    withdraw_release
    withdraw_return fresh
    withdraw_release
    withdraw_return kept
}

masq_rule() { echo "-A POSTROUTING -s $1 ! -o docker0 -j MASQUERADE"; } # masq_rule SUBNET
nat_rules() { hx ip6tables -w -t nat -S POSTROUTING 2> /dev/null | grep -- '^-A' || true; }
has_rule() { nat_rules | grep -qxF -- "$(masq_rule "$1")"; }
masq_packets() {
    hx ip6tables -w -t nat -L POSTROUTING -v -n -x 2> /dev/null | awk '/MASQUERADE/ { n += $1 } END { print n + 0 }'
}
container_pings() { # container_pings CID ADDR
    three_tries hx docker exec "$1" /bin/busybox ping6 -c 1 -W 2 "$2" > /dev/null 2>&1
}
# container_nat_check WANT80: a container on the default bridge gets an address inside WANT80
# (a ULA /80) and reaches the router's global address through the MASQUERADE rule.
container_nat_check() {
    local p0
    start_container "$1" || return 0
    p0=$(masq_packets)
    check "the container pings the router's global address $ROUTER_ADDR" container_pings "$CID" "$ROUTER_ADDR"
    info nat66 "MASQUERADE rule: $((p0)) packet(s) before the ping, $(masq_packets) after"
    check "its packets went through the MASQUERADE rule (NAT66)" test "$(masq_packets)" -gt "$p0"
    # (a) and (b) do not apply: nothing routes a unique local address to the host.
    local seen
    seen=$(source_seen "$CID")
    info "(c)" "container -> router [$ROUTER_ADDR]:9000: the router sees $seen"
    check "(c) the router sees the container's connection come from the host's ${HOST_NET%/*} (NAT66)" \
        test "$seen" = "$(canonical "${HOST_NET%/*}")"
    hx docker rm -f "$CID" > /dev/null 2>&1 || true
}

scenario_fallback() { # on-loss = fallback
    begin_scenario
    configure "on-loss = fallback" "fallback-prefix = $FALLBACK_PREFIX"
    start_dhcpd "${POOL_A[@]}" "$DUID_1"
    first_lease -P
    info bound "$PREFIX, file $(hcat "$PREFIX_FILE"), $(restarts) restart(s)"
    # After dhclient started: Debian's dhclient-script flushes global addresses at PREINIT6.
    hx ip -6 addr add "$HOST_NET" dev wan0 nodad
    info uplink "wan0 $HOST_NET (static, the masqueraded packets' source), default route via the router"
    need "file holds the first /80 of $PREFIX" file_is "$WANT"
    need "docker is up" wait_until 30 docker_up
    local m r0 ula ulac
    ula=$(first80 "$FALLBACK_PREFIX") ulac=$(compressed "$(first80 "$FALLBACK_PREFIX")")
    release_traced
    info file "$(hcat "$PREFIX_FILE")"
    nat_rules | sed 's/^/    ip6tables:  /'
    check_eq "file holds the fallback ULA /80" "$(hcat "$PREFIX_FILE")" "$ula"
    check_eq "one docker restart" "$(($(restarts) - REL_R0))" 1
    check "the restart succeeded" last_restart_ok
    check "ip6tables nat POSTROUTING has: $(masq_rule "$ulac")" has_rule "$ulac"
    need "docker is up after the restart" wait_until 30 docker_up
    check_eq "dockerd runs with --fixed-cidr-v6 from the file" "$(dockerd_cidr)" "$ula"
    container_nat_check "$ula"
    say "    -- the prefix returns (dhclient started again)"
    m=$(mark) r0=$(restarts)
    new_lease "$m"
    show_events "$m" all
    show_restarts "$r0"
    info file "$(hcat "$PREFIX_FILE")"
    info ip6tables "$(nat_rules | paste -sd';')"
    check_eq "file holds the first /80 of $PREFIX" "$(hcat "$PREFIX_FILE")" "$WANT"
    check_eq "one docker restart" "$(($(restarts) - r0))" 1
    check "the MASQUERADE rule for $ulac is gone" eval '! has_rule "$ulac"'
    fds_check "$r0"
    docker_checks "$WANT"
}

