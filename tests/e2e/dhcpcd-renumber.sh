# shellcheck shell=bash
# e2e suite (tests/e2e/run.sh): the renumbering scenarios of the dhclient suite, driven by the
# real dhcpcd so that they run on every release (Debian 14 has no dhclient): the first lease and
# a renumbering by the same router with a new pool, for the prefix file (dhcpcd-renumber) and
# for daemon.json (daemon-json-dhcpcd); one docker restart each, and what the router sees of a
# container before ((a)-(c)) and after ((d)). Sourced by run.sh after lib.sh, wiring.sh,
# daemon-json.sh, dhcpcd.sh and nptv6-dhcpcd.sh.

# target_holds TARGET WANT80: the prefix file, or daemon.json's fixed-cidr-v6, holds WANT80
target_holds() {
    if [[ $1 == daemon-json ]]; then json_is "$(compressed "$2")"; else file_is "$2"; fi
}
# target_checks TARGET WANT80: docker follows the target; a container gets an address in WANT80
# and the router sees it there ((a)-(c))
target_checks() {
    if [[ $1 == daemon-json ]]; then json_docker_checks "$2"; else docker_checks "$2"; fi
}

# dhcpcd_renumber TARGET: the scenario, for target prefix-file or daemon-json
dhcpcd_renumber() {
    local target=$1 m r0 t0 prefix want newp
    begin_scenario
    hx install -m 0644 "$E2E/hooks/dhcpcd-e2e-trace" "$DHCPCD_TRACE"
    : >> "$STATE/dhcpcd-events"
    [[ $target == prefix-file ]] || json_wiring
    start_dhcpd "${POOL_A[@]}" "$DUID_1"
    if [[ $target == daemon-json ]]; then json_boot; else fresh_host; fi
    hx find /var/lib/dhcpcd -name '*.lease*' -delete 2> /dev/null || true # a first lease
    info boot "docker $(docker_up && echo running || echo 'not running'); file $(hcat "$PREFIX_FILE"); daemon.json fixed-cidr-v6 '$(json_cidr)'"

    say "    -- first lease"
    m=$(dmark)
    need "dhcpcd started" start_dhcpcd
    need "dhcpcd got a prefix of pool A within 30 s" wait_until 30 dprefix_in "$POOL_A_NET" "$m" > /dev/null
    prefix=$(dprefix_in "$POOL_A_NET" "$m")
    want=$(first80 "$prefix")
    wait_until 20 target_holds "$target" "$want" || true
    wait_until 30 docker_up || true
    show_dhcpcd_events "$m"
    show_restarts 0
    check_eq "one docker restart" "$(restarts)" 1
    check "the restart succeeded" last_restart_ok
    target_checks "$target" "$want"

    say "    -- renumbering: the same router with a new pool (NoBinding)"
    m=$(dmark) r0=$(restarts) t0=$SECONDS
    dhcpcd_renumbered "$m"
    newp=$NEWP
    want=$(first80 "$newp")
    wait_until 20 target_holds "$target" "$want" || true
    info moved "$target moved to $newp $((SECONDS - t0)) s after the router changed pools"
    sleep $((2 * T1 + 1)) # renewals of the new prefix (and any word about the old one) pass
    show_dhcpcd_events "$m"
    show_restarts "$r0"
    check_eq "one docker restart for the renumbering" "$(($(restarts) - r0))" 1
    check "the restart succeeded" last_restart_ok
    # shellcheck disable=SC2034 # read by container_check (lib.sh)
    REACH_TAG='(d) '
    target_checks "$target" "$want"
    say "    -- docker-ipv6-pd doctor (what it says about this release's Docker and dhcpcd)"
    hx "$PRODUCT_BIN" doctor 2>&1 | sed 's/^/    doctor|     /' || true
}

scenario_dhcpcd_renumber() { dhcpcd_renumber prefix-file; }
scenario_daemon_json_dhcpcd() { dhcpcd_renumber daemon-json; }
