# shellcheck shell=bash
# e2e suite (tests/e2e/run.sh): `docker-ipv6-pd watch` against a real systemd-networkd with the
# default target, the prefix file docker reads through DOCKER_OPTS, on-loss = withdraw and
# subnet-id = 1. wan0 is set up with the README's netplan file where the tree has netplan
# (rendered by `netplan generate`), else with a .network file, plus the README's drop-in; and
# networkd also hands the prefix on to lan0, a veth with a host on the LAN behind it (lan.sh),
# with the README's downstream .network (SubnetId=0, RAs announcing the /64). The first lease
# writes the first /80 of the prefix's /64 number 1 and restarts docker once; renewals change
# nothing; a renumbering (the same router with a new pool) restarts docker once; the router
# going away for good lets the lease expire, and the withdraw empties the file and restarts
# docker without IPv6. After the first lease and after the renumbering: lan0 holds an address
# in /64 number 0, docker's /80 lies outside it, and the LAN host, addressed from networkd's
# RAs, reaches the router and a container; and what the router sees of a container ((a)-(c),
# then (d)). Prints what networkd assigned and the latency from networkctl showing the new
# prefix to the file holding its /80. Sourced by run.sh after lan.sh and networkd.sh.

ND_DOCKER_ID=1 # the product's subnet-id: docker's /80 from /64 number 1, out of lan0's
ND_LAN_ID=0    # lan0's SubnetId= in the README's downstream .network

# holds_80_of PREFIX: the prefix file holds the first /80 of PREFIX's /64 number ND_DOCKER_ID
holds_80_of() { file_is "$(subnet80 "$1" "$ND_DOCKER_ID")"; }
# nd_gone NET: networkctl shows no prefix inside NET
nd_gone() { ! nd_has "$1"; }
# lan0_in PREFIX: lan0 holds an address in PREFIX's /64 number ND_LAN_ID
lan0_in() {
    local a net
    a=$(lan0_addr) && net=$(subnet80 "$1" "$ND_LAN_ID") && in_net "${a%/*}/128" "${net%/*}/64"
}
# nd_lan_config: lan0's .network, the README's downstream block with its uplink eth0 as wan0
nd_lan_config() {
    readme_block '# /etc/systemd/network/20-lan0.network' | sed 's/^UplinkInterface=eth0$/UplinkInterface=wan0/' > "$T/lan0.network"
    grep -qx 'UplinkInterface=wan0' "$T/lan0.network" || { say "    the README has no downstream .network block" && return 1; }
    hx install -D -m 0644 "$T/lan0.network" "$ND_DIR/20-lan0.network"
    info network "$ND_DIR/20-lan0.network (the README's, eth0 -> wan0): $(grep -F '=' "$T/lan0.network" | paste -sd' ')"
}
# nd_lan_checks PREFIX WANT80: lan0 took its /64 of PREFIX, and a host behind it reaches the
# router and a container at WANT80 (lan_check)
nd_lan_checks() {
    local want64
    want64=$(subnet80 "$1" "$ND_LAN_ID")
    check "lan0 holds an address in /64 number $ND_LAN_ID (${want64%/*}/64) within 15 s" wait_until 15 lan0_in "$1"
    info networkd "lan0: $(hx ip -6 -o addr show dev lan0 scope global | awk '{ printf "%s%s", sep, $4; sep = ", " }'); docker0: $(compressed "$2")"
    lan_check "$1" "$2" networkd
}

scenario_networkd_prefix_file() {
    begin_scenario
    trap networkd_cleanup EXIT
    # Lifetimes short enough for the lease to expire within the scenario once the router is gone.
    # shellcheck disable=SC2034 # read by start_dhcpd (lib.sh)
    DHCPD_VALID=30 DHCPD_PREFERRED=20
    # shellcheck disable=SC2016 # for /etc/init.d/docker to expand
    docker_opts 'DOCKER_OPTS="$(p=$(cat /etc/docker/ipv6.prefix 2>/dev/null) || true; [ -n "$p" ] && echo "--ipv6 --fixed-cidr-v6=$p"; true)"'
    configure "on-loss = withdraw" "subnet-id = $ND_DOCKER_ID"
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
    need "lan0, a veth with a host on the LAN behind it" lan_host_up
    need "lan0's .network as the README has it" nd_lan_config

    say "    -- first lease"
    local prefix want newp r0 t0
    need "networkd started ($(hx networkctl --version | head -n 1))" start_networkd
    start_watch
    need "networkctl shows a prefix of pool A within 30 s" wait_until 30 nd_has "$POOL_A_NET"
    prefix=$(nd_prefix "$POOL_A_NET")
    want=$(subnet80 "$prefix" "$ND_DOCKER_ID")
    info networkd "delegated $prefix"
    need "the file holds $want, the first /80 of /64 number $ND_DOCKER_ID, within 30 s" wait_until 30 file_is "$want"
    need "docker is up" wait_until 30 docker_up
    show_restarts 0
    check_eq "one docker restart for the first lease" "$(restarts)" 1
    check "the restart succeeded" last_restart_ok
    docker_checks "$want"
    nd_lan_checks "$prefix" "$want"
    uplink_sysctls

    say "    -- renewals"
    r0=$(restarts)
    sleep $((3 * T1 + 1))
    check_eq "networkctl still shows $prefix" "$(nd_prefix "$POOL_A_NET")" "$prefix"
    check_eq "the file still holds $want" "$(hcat "$PREFIX_FILE")" "$want"
    check_eq "no docker restart for renewals" "$(($(restarts) - r0))" 0

    r0=$(restarts)
    nd_renumbered holds_80_of "the file holding its /80 of /64 number $ND_DOCKER_ID" || return 0
    newp=$NEWP
    sleep $((2 * T1 + 1))
    show_restarts "$r0"
    check_eq "one docker restart for the renumbering" "$(($(restarts) - r0))" 1
    check "the restart succeeded" last_restart_ok
    # shellcheck disable=SC2034 # read by container_check (lib.sh)
    REACH_TAG='(d) '
    docker_checks "$(subnet80 "$newp" "$ND_DOCKER_ID")"
    nd_lan_checks "$newp" "$(subnet80 "$newp" "$ND_DOCKER_ID")"

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
