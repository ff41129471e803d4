# shellcheck shell=bash
# e2e suite (tests/e2e/run.sh): the enter hook under test (the dhclient shim, or the published
# hook with E2E_HOOK=published) through dhclient's events: first lease, renewal and rebind,
# reboot, both kinds of renumbering, two delegated prefixes, release. Sourced by run.sh after
# lib.sh; most of them build on the one before.

scenario_first_lease() {
    if [[ $HOOK == product ]]; then
        need "install.sh --binary installed into the private namespace (before the first scenario)" \
            grep -q '^ok$' "$T/install.status"
        info install "$(sed -n '/wiring:/ { N; s/\n *install.sh: */ /; s/^install.sh: //; s/  */ /g; p; q }' "$STATE/install.log")"
        check "binary installed at $PRODUCT_BIN" hx test -x "$PRODUCT_BIN"
        check "shim installed at $SHIM" hx test -f "$SHIM"
        check "shim calls the binary by its absolute path" hx grep -q "$PRODUCT_BIN" "$SHIM"
        check "systemd unit installed at $UNIT" hx test -f "$UNIT"
    fi
    start_dhcpd "${POOL_A[@]}" "$DUID_1"
    say "    -- a machine that never had a prefix: no file, docker not running"
    fresh_host none
    start_dhclient -P
    wait_events 30 0 1 ' EXIT BOUND6' || true
    show_events 0
    show_restarts 0
    if grep -q 'status=0$' "$STATE/restarts.log"; then
        info docker "$(wait_until 20 docker_up && echo running || echo 'not running')"
    else
        info docker "not running: Debian's /etc/init.d/docker restart exits 1 (set -e) when docker never ran: no pid file"
    fi
    info file "$(hcat "$PREFIX_FILE")"
    say "    -- the first lease on a booted machine: docker runs with the file of an earlier network"
    first_lease -P
    show_events 0 all
    show_restarts 0
    info file "$(hcat "$PREFIX_FILE")"
    check "delegated prefix comes from the pool" in_net "$PREFIX" "$POOL_A_NET"
    check_eq "prefix file holds the first /80 of $PREFIX" "$(hx cat "$PREFIX_FILE" 2> /dev/null)" "$WANT"
    check_eq "one docker restart" "$(restarts)" 1
    check "the restart succeeded" grep -q 'status=0$' "$STATE/restarts.log"
    check "dhclient-script completed (exit hooks ran)" test "$(count_since 0 ' EXIT BOUND6')" -ge 1
    check_eq "the sourced enter hook left no shell variable behind" \
        "$(grep ' ENTER BOUND6 ' "$STATE/events" | head -n 1 | field left)" -
    fds_check 0
    docker_checks "$WANT"
    grep ' ENTER BOUND6 ' "$STATE/events" | head -n 1 | field hook_ms > "$T/results/first-lease.ms"
}

scenario_renewal() { # renewal and rebind
    need "dhclient still running from the first-lease scenario" dhclient_running
    local m r0 f0
    m=$(mark) r0=$(restarts) f0=$(hcat "$PREFIX_FILE")
    need "two renewals (RENEW6) within $((3 * T1 + 5)) s" wait_events $((3 * T1 + 5)) "$m" 2 ' ENTER RENEW6 '
    trap 'drop_renew off' EXIT
    drop_renew on
    need "a rebind (REBIND6) within $((2 * T2 + 5)) s while the router drops Renew" \
        wait_events $((2 * T2 + 5)) "$m" 1 ' ENTER REBIND6 '
    info router "dropped $(renews_dropped) Renew message(s)"
    drop_renew off
    trap - EXIT
    show_events "$m"
    info file "$(hcat "$PREFIX_FILE")"
    check_eq "file unchanged" "$(hcat "$PREFIX_FILE")" "$f0"
    check_eq "no docker restart" "$(restarts)" "$r0"
    check "no event changed the file" file_stayed "$m" "$f0"
    since "$m" | grep ' ENTER RENEW6 ' | field hook_ms > "$T/results/renewal.ms"
}

scenario_reboot() { # dhclient restarted with its lease file
    need "a lease on disk from the first-lease scenario" hx test -s "$LEASES"
    local m r0 f0 first
    kill_dhclient
    m=$(mark) r0=$(restarts) f0=$(hcat "$PREFIX_FILE")
    start_dhclient -P
    need "an event with the leased prefix within 20 s" \
        wait_events 20 "$m" 1 ' ENTER (BOUND6|RENEW6|REBIND6) '
    show_events "$m"
    first=$(since "$m" | grep ' ENTER ' | grep -v ' PREINIT6 ' | head -n 1)
    check_eq "first event after the restart is REBIND6" "$(awk '{print $3}' <<< "$first")" REBIND6
    check_eq "... with old = new" "$(field old <<< "$first")" "$(field new <<< "$first")"
    check_eq "file unchanged" "$(hcat "$PREFIX_FILE")" "$f0"
    check_eq "no docker restart" "$(restarts)" "$r0"
}

# renumber DUID POOL_START POOL_END POOL_NET: the router restarts with a fresh lease database;
# the file must move to the new prefix within a minute, docker restart once, never go back.
renumber() {
    local duid=$1 m r0 f0 newp want t0
    m=$(mark) r0=$(restarts) f0=$(hcat "$PREFIX_FILE")
    t0=$SECONDS
    start_dhcpd "$2" "$3" "$duid"
    need "a new prefix from the new pool within 60 s" wait_until 60 new_prefix_in "$4" "$m" > /dev/null
    newp=$(new_prefix_in "$4" "$m")
    want=$(first80 "$newp")
    wait_until $((60 - (SECONDS - t0))) file_is "$want" || true
    info moved "file moved to $newp after $((SECONDS - t0)) s"
    # Let the withdrawn prefix linger: two more T1 periods of events.
    wait_events $((3 * T1 + 3)) "$(mark)" 3 ' ENTER ' || true
    show_events "$m"
    show_restarts "$r0"
    info file "$(hcat "$PREFIX_FILE")"
    check_eq "file holds the first /80 of the new prefix" "$(hcat "$PREFIX_FILE")" "$want"
    check_eq "one docker restart" "$(($(restarts) - r0))" 1
    check "file never went back to the withdrawn prefix" never_back "$m" "$want" "$f0"
    fds_check "$r0"
    # shellcheck disable=SC2034 # read by container_check (lib.sh)
    REACH_TAG='(d) ' # (a)-(c) again, at the new prefix
    docker_checks "$want"
    since "$m" > "$T/results/renumber.events"
}

# A router with a new identity: the old prefix comes back with lifetime 0.
scenario_renumber_new_router() {
    need "bound to a prefix of pool A from the reboot scenario" dhclient_running
    stop_dhcpd
    local old
    old=$(grep ' ENTER ' "$STATE/events" | tail -n 1 | field new)
    renumber "$DUID_2" "${POOL_B[@]}" "$POOL_B_NET"
    check "the old prefix came back with lifetime 0" \
        grep -q " ENTER [A-Z0-9]* iaid=[^ ]* new=$old .* life=0/0 " "$T/results/renumber.events"
}

# The same router with a new pool (NoBinding): the stale prefix keeps coming back.
scenario_renumber_new_pool() {
    start_dhcpd "${POOL_A[@]}" "$DUID_1"
    first_lease -P
    info bound "$PREFIX, file $(hcat "$PREFIX_FILE")"
    need "bound to a prefix of pool A" in_net "$PREFIX" "$POOL_A_NET"
    need "docker up" docker_up
    stop_dhcpd
    renumber "$DUID_1" "${POOL_B[@]}" "$POOL_B_NET"
    local stale
    stale=$(grep -cE " ENTER BOUND6 iaid=[^ ]* new=$PREFIX old=$PREFIX .*life=[1-9]" "$T/results/renumber.events" || true)
    info stale "the withdrawn prefix came back as BOUND6 old = new $stale time(s)"
}

scenario_two_prefixes() { # two delegated prefixes
    start_dhcpd "${POOL_A[@]}" "$DUID_1"
    first_lease -P -P
    local m r1 f1 p1 p2
    m=$(mark) r1=$(restarts) f1=$(hcat "$PREFIX_FILE")
    p1=$(grep ' ENTER BOUND6 ' "$STATE/events" | sed -n 1p | field new)
    p2=$(grep ' ENTER BOUND6 ' "$STATE/events" | sed -n 2p | field new)
    show_events 0
    info first "two prefixes $p1 $p2; $r1 restart(s) for the first exchange; file $f1"
    need "three renewals of both prefixes within $((4 * T1 + 6)) s" \
        wait_events $((4 * T1 + 6)) "$m" 6 ' ENTER RENEW6 '
    show_events "$m"
    check "two different prefixes delegated" test -n "$p2" -a "$p1" != "$p2"
    check "file holds one of them" eval '[[ $f1 == "$(first80 "$p1")" || $f1 == "$(first80 "$p2")" ]]'
    check "the first exchange restarted docker at least once, at most twice" test "$r1" -ge 1 -a "$r1" -le 2
    check_eq "no restart after the first exchange" "$(restarts)" "$r1"
    check "no flip-flop: every renewal left the file as it was" file_stayed "$m" "$f1"
    docker_checks "$f1"
}

scenario_release() {
    need "dhclient running from the two-prefixes scenario" dhclient_running
    local m r0 f0 args rc=0
    m=$(mark) r0=$(restarts) f0=$(hcat "$PREFIX_FILE")
    mapfile -t args < "$STATE/dhclient.args"
    hx dhclient -6 -r "${args[@]}" -v -lf "$LEASES" -pf /run/e2e/dhclient6.pid wan0 \
        >> "$STATE/dhclient.log" 2>&1 || rc=$?
    wait_events 5 "$m" 1 ' EXIT RELEASE6' || true
    show_events "$m" all
    info release "dhclient -r exited $rc"
    local n
    n=$(count_since "$m" ' ENTER RELEASE6 ')
    check "RELEASE6 reached the enter hooks" test "$n" -ge 1
    check "dhclient-script completed for every RELEASE6 (exit hooks ran)" \
        test "$(count_since "$m" ' EXIT RELEASE6')" -eq "$n"
    check_eq "file left as it was" "$(hcat "$PREFIX_FILE")" "$f0"
    check_eq "no docker restart" "$(restarts)" "$r0"
}

