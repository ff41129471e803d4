# shellcheck shell=bash
# e2e suite (tests/e2e/run.sh): `docker-ipv6-pd watch` against a real systemd-networkd with the
# default target, the prefix file docker reads through DOCKER_OPTS, and on-loss = withdraw. wan0
# is set up with the README's netplan file where the tree has netplan (rendered by `netplan
# generate`), else with a .network file, plus the README's drop-in. The first lease writes the
# file and restarts docker once; renewals change nothing; a renumbering (the same router with a
# new pool) restarts docker once; the router going away for good lets the lease expire, and the
# withdraw empties the file and restarts docker without IPv6. What the router sees of a
# container before ((a)-(c)) and after the renumbering ((d)). Prints the latency from networkctl
# showing the new prefix to the file holding its /80. Sourced by run.sh after networkd.sh.

# holds_80_of PREFIX: the prefix file holds PREFIX's first /80
holds_80_of() { file_is "$(first80 "$1")"; }
# nd_gone NET: networkctl shows no prefix inside NET
nd_gone() { ! nd_has "$1"; }

scenario_networkd_prefix_file() {
    begin_scenario
    trap networkd_cleanup EXIT
    # Lifetimes short enough for the lease to expire within the scenario once the router is gone.
    # shellcheck disable=SC2034 # read by start_dhcpd (lib.sh)
    DHCPD_VALID=30 DHCPD_PREFERRED=20
    # shellcheck disable=SC2016 # for /etc/init.d/docker to expand
    docker_opts 'DOCKER_OPTS="$(p=$(cat /etc/docker/ipv6.prefix 2>/dev/null) || true; [ -n "$p" ] && echo "--ipv6 --fixed-cidr-v6=$p"; true)"'
    configure "on-loss = withdraw"
    fresh_host none
    hx /etc/init.d/docker start >> "$STATE/boot.log" 2>&1 || true
    need "docker started at boot, without IPv6" wait_until 30 docker_up
    : > "$STATE/restarts.log"
    start_dhcpd "${POOL_A[@]}" "$DUID_1"
    if hx sh -c 'command -v netplan' > /dev/null; then
        need "wan0 set up with the README's netplan file" networkd_config netplan
    else
        need "wan0's .network as the README has it" networkd_config hand
    fi

    say "    -- first lease"
    local prefix want newp r0 t0
    need "networkd started ($(hx networkctl --version | head -n 1))" start_networkd
    start_watch
    need "networkctl shows a prefix of pool A within 30 s" wait_until 30 nd_has "$POOL_A_NET"
    prefix=$(nd_prefix "$POOL_A_NET")
    want=$(first80 "$prefix")
    info networkd "delegated $prefix"
    need "the file holds its first /80 $want within 30 s" wait_until 30 file_is "$want"
    need "docker is up" wait_until 30 docker_up
    show_restarts 0
    check_eq "one docker restart for the first lease" "$(restarts)" 1
    check "the restart succeeded" last_restart_ok
    docker_checks "$want"

    say "    -- renewals"
    r0=$(restarts)
    sleep $((3 * T1 + 1))
    check_eq "networkctl still shows $prefix" "$(nd_prefix "$POOL_A_NET")" "$prefix"
    check_eq "the file still holds $want" "$(hcat "$PREFIX_FILE")" "$want"
    check_eq "no docker restart for renewals" "$(($(restarts) - r0))" 0

    r0=$(restarts)
    nd_renumbered holds_80_of "the file holding its /80" || return 0
    newp=$NEWP
    sleep $((2 * T1 + 1))
    show_restarts "$r0"
    check_eq "one docker restart for the renumbering" "$(($(restarts) - r0))" 1
    check "the restart succeeded" last_restart_ok
    # shellcheck disable=SC2034 # read by container_check (lib.sh)
    REACH_TAG='(d) '
    docker_checks "$(first80 "$newp")"

    say "    -- the router goes away: the lease expires"
    r0=$(restarts) t0=$SECONDS
    stop_dhcpd
    need "networkctl drops $newp within 60 s" wait_until 60 nd_gone "$POOL_B_NET"
    local gone
    gone=$(date +%s.%N)
    info expired "networkctl dropped $newp $((SECONDS - t0)) s after the router went away"
    check "the file is emptied within 15 s (on-loss = withdraw)" wait_until 15 file_empty
    info latency "from networkctl dropping $newp to the file emptied: at most $(ms_since "$gone") ms"
    need "docker is up after the restart" wait_until 30 docker_up
    show_restarts "$r0"
    check_eq "one docker restart for the loss" "$(($(restarts) - r0))" 1
    check "the restart succeeded" last_restart_ok
    info dockerd "IPv6 flags '$(dockerd_v6_flags)'; bridge network: $(bridge_v6)"
    check_eq "dockerd runs without IPv6 flags" "$(dockerd_v6_flags)" ""
    tail -n 8 "$STATE/$WATCH_LOG" | sed 's/^/    watch|      /'
}
