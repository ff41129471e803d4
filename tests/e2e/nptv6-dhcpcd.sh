# shellcheck shell=bash
# e2e suite (tests/e2e/run.sh): `target = nptv6` driven by the real dhcpcd, so that it runs on
# every release (Debian 14 has no dhclient), with Docker's own IPv6 firewall left at the
# release's default (on from Docker 27): the first lease wires docker (at most one restart); a
# container on the default bridge and one on a second network made with `docker network create
# --ipv6` are reached at their public addresses ((a)-(c)); a renumbering restarts nothing, the
# container keeps its PID and start time, and (a)-(c) hold at the new addresses; a firewall
# reload (our table deleted) is undone by the next renewal; a "reboot" (our table and /run
# deleted, dhcpcd killed and started again with its lease: REBIND6) puts the mapping back;
# a release with on-loss = withdraw removes our table. Prints how long each event took to reach
# the first connection at the new public address. Sourced by run.sh after lib.sh, wiring.sh,
# daemon-json.sh, dhcpcd.sh and nptv6.sh.

NPTV6D_NET2=e2e-nptv6-net2

# dhcpcd_renumbered MARK: the same router (identity kept) moves to pool B, so the client's
# prefix is no longer bound (NoBinding); sets NEWP to the prefix of pool B dhcpcd reports after
# MARK, and ends the scenario when none comes within 45 s
dhcpcd_renumbered() {
    stop_dhcpd
    start_dhcpd "${POOL_B[@]}" "$DUID_1"
    need "dhcpcd got a prefix of pool B within 45 s" wait_until 45 dprefix_in "$POOL_B_NET" "$1" > /dev/null
    NEWP=$(dprefix_in "$POOL_B_NET" "$1")
}
# dprefix_in NET MARK: the first prefix inside NET with a non-zero valid lifetime that dhcpcd
# passed its hooks since MARK; its line's time goes to $T/event-time.
dprefix_in() {
    local t p
    while read -r t p; do
        in_net "$p" "$1" || continue
        echo "$t" > "$T/event-time"
        echo "$p"
        return 0
    done < <(dsince "$2" | sed -n 's/^\([^ ]*\) DHCPCD [A-Z0-9]* .* new=\([^@,]*\)@[1-9][0-9]*\/.*/\1 \2/p')
    return 1
}
# first_answer ADDR: waits (20 s at most) for the published port at ADDR to answer the router
# (tries of 0.3 s each); prints the milliseconds from the event in $T/event-time to the answer.
first_answer() {
    # shellcheck disable=SC2034 # read by the eval below
    local target=$1
    wait_until 20 eval '[[ $(router_connect "$target" 80 0.3) == hello-80 ]]' || return 1
    ms_since "$(cat "$T/event-time")"
}
docker_major() { hx docker version --format '{{.Server.Version}}' 2> /dev/null | cut -d. -f1; }
container_started() { hx docker inspect --format '{{.State.Pid}} {{.State.StartedAt}}' "$1" 2> /dev/null; }
# kill_dhcpcd: SIGKILL to every dhcpcd process of the host namespace (its privilege-separated
# helpers too), as a power cut would: no hook runs, the lease file stays.
kill_dhcpcd() {
    local pid
    for pid in $(host_dhcpcd_pids); do
        kill -KILL "$pid" 2> /dev/null || true
    done
    wait_until 10 eval '! dhcpcd_running' || true
    # A hook run dhcpcd started just before outlives it, and may still apply the mapping.
    wait_until 10 eval '[[ -z $(host_pids docker-ipv6-pd) ]]' || true
    hx rm -f "$DHCPCD_PID"
}
# address_of CID [NETWORK]: the container's global eth0 address, canonical
address_of() {
    local hex
    wait_until 10 container_hex "$1" > /dev/null || true
    hex=$(container_hex "$1") || return 1
    canonical "$(sed 's/.\{4\}/&:/g; s/:$//' <<< "$hex")"
}
nptv6d_cleanup() {
    hx docker rm -f e2e-nptv6d e2e-nptv6d-2 > /dev/null 2>&1 || true
    hx docker network rm "$NPTV6D_NET2" > /dev/null 2>&1 || true
    stop_dhcpcd
    hx nft delete table ip6 "$NPTV6_TABLE" 2> /dev/null || true
    hx rm -rf /run/docker-ipv6-pd
    restore_harness
}

scenario_nptv6_dhcpcd() {
    begin_scenario
    trap nptv6d_cleanup EXIT
    hx install -m 0644 "$E2E/hooks/dhcpcd-e2e-trace" "$DHCPCD_TRACE"
    : >> "$STATE/dhcpcd-events"
    hx sysctl -qw net.ipv6.conf.wan0.accept_ra=2
    docker_opts 'DOCKER_OPTS="" # IPv6 settings come from daemon.json (target = nptv6)'
    configure "target = nptv6" "internal-prefix = $NPTV6_INTERNAL" "on-loss = withdraw"
    # The harness's daemon.json without its "ip6tables": false: the mapping must work with the
    # release's own default (off on 20.10 and 26, on from 27).
    python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
d.pop("ip6tables", None)
print(json.dumps(d, indent=2))' "$STATE/daemon.json.orig" > "$T/daemon-nptv6.json"
    fresh_host none
    hx find /var/lib/dhcpcd -name '*.lease*' -delete 2> /dev/null || true # a first lease, not a REBIND6
    hx cp "$T/daemon-nptv6.json" "$DAEMON_JSON"
    hx /etc/init.d/docker start > /dev/null 2>&1 || true
    need "docker started at boot with ip6tables at its default" wait_until 30 docker_up
    : > "$STATE/restarts.log"
    start_dhcpd "${POOL_A[@]}" "$DUID_1"

    say "    -- first lease"
    local m prefix cid addr pub net2 cid2 addr2 pub2 sub2 ms r0 t0 newp newpub newpub2 before
    m=$(dmark)
    need "dhcpcd started" start_dhcpcd
    need "dhcpcd got a prefix of pool A within 30 s" wait_until 30 dprefix_in "$POOL_A_NET" "$m" > /dev/null
    prefix=$(dprefix_in "$POOL_A_NET" "$m")
    wait_until 30 maps "$prefix" || true
    need "docker is up" wait_until 30 docker_up
    show_dhcpcd_events "$m"
    show_restarts 0
    show_json
    check "at most one docker restart for the first lease (the wiring): $(restarts)" test "$(restarts)" -le 1
    info dockerd "bridge network: $(bridge_v6); ip6tables filter rules: $(hx ip6tables-save -t filter 2> /dev/null | grep -c '^-A' || true)"
    check "our nft table maps $prefix" maps "$prefix"
    need "image imported" ensure_image
    cid=$(hx docker run -d --name e2e-nptv6d --init --stop-timeout 1 -p 8080:80 "$IMAGE" sh -c "$CONTAINER_CMD") ||
        { fail "container started" && return 0; }
    addr=$(address_of "$cid") || { fail "the container has a global address" && return 0; }
    pub=$(public_of "$addr" "$prefix")
    before=$(container_started "$cid")
    info container "eth0 $addr, public $pub, pid and start $before"
    wait_until 10 eval '[[ $(router_connect "$pub" 80) == hello-80 ]]' || true
    reach_checks "$cid" "$pub"

    say "    -- a second network: docker network create --ipv6 (no --subnet)"
    if net2=$(hx docker network create --ipv6 "$NPTV6D_NET2" 2>&1); then
        pass "docker network create --ipv6 without --subnet"
    else
        info network "without --subnet: $net2"
        # Docker 26 takes no IPv6 pool from "default-address-pools" (27 and later do): there a
        # second network needs --subnet inside the mapped part.
        if (($(docker_major) >= 27)); then fail "docker network create --ipv6 without --subnet"; fi
        info network "Docker $(docker_major): --subnet inside the mapped part instead"
        hx docker network create --ipv6 --subnet fd12:3456:789a:1::/64 "$NPTV6D_NET2" > /dev/null || true
    fi
    sub2=$(hx docker network inspect "$NPTV6D_NET2" --format '{{range .IPAM.Config}}{{.Subnet}} {{end}}' 2> /dev/null | tr ' ' '\n' | grep : || true)
    cid2=$(hx docker run -d --name e2e-nptv6d-2 --init --stop-timeout 1 --network "$NPTV6D_NET2" -p 8081:80 "$IMAGE" sh -c "$CONTAINER_CMD") || true
    addr2=$(address_of "$cid2" 2> /dev/null) || addr2=''
    pub2=$(public_of "${addr2:-::}" "$prefix")
    info network "$NPTV6D_NET2: IPv6 subnet ${sub2:-none}; container ${addr2:-<no address>}, public $pub2"
    check "its subnet lies in the mapped part of $NPTV6_INTERNAL" eval '[[ -n $sub2 ]] && in_net "$sub2" "$NPTV6_INTERNAL"'
    wait_until 10 eval '[[ $(router_connect "$pub2" 80) == hello-80 ]]' || true
    REACH_TAG='net2 ' reach_checks "$cid2" "$pub2"

    say "    -- renumbering: the same router with a new pool (NoBinding)"
    m=$(dmark) r0=$(restarts) t0=$SECONDS
    dhcpcd_renumbered "$m"
    newp=$NEWP
    newpub=$(public_of "$addr" "$newp") newpub2=$(public_of "${addr2:-::}" "$newp")
    if ms=$(first_answer "$newpub"); then
        info latency "renumbering: from dhcpcd's event for $newp to the first answer at $newpub: $ms ms"
    fi
    sleep $((2 * T1 + 1)) # renewals of the new prefix (and any word about the old one) pass
    show_dhcpcd_events "$m"
    show_restarts "$r0"
    nft_table | sed 's/^/    nft|        /'
    check_eq "no docker restart for the renumbering" "$(($(restarts) - r0))" 0
    check_eq "the container kept running (same PID, same start time)" "$(container_started "$cid")" "$before"
    check "our nft table maps $newp" maps "$newp"
    REACH_TAG='(d) ' reach_checks "$cid" "$newpub"
    REACH_TAG='(d) net2 ' reach_checks "$cid2" "$newpub2"
    check "the old public address $pub no longer answers" eval '[[ $(router_connect "$pub" 80) != hello-80 ]]'
    info took "$((SECONDS - t0)) s for the renumbering part"

    say "    -- a firewall reload: our table deleted, the product's record of it kept; the next renewal"
    m=$(dmark) r0=$(restarts)
    hx nft delete table ip6 "$NPTV6_TABLE"
    if wait_until $((2 * T1 + 5)) maps "$newp"; then
        pass "the next renewal put our table back (within $((2 * T1 + 5)) s)"
        dsince "$m" | head -n 1 | cut -d' ' -f1 > "$T/event-time"
        if ms=$(first_answer "$newpub"); then
            info latency "firewall reload: from dhcpcd's next event to the first answer at $newpub: $ms ms"
        fi
    else
        fail "the next renewal put our table back (within $((2 * T1 + 5)) s)"
    fi
    show_dhcpcd_events "$m"
    check_eq "no docker restart for the firewall reload" "$(($(restarts) - r0))" 0

    say "    -- reboot: our table and /run gone, dhcpcd killed and started again with its lease"
    # What a reboot takes: the nft rule set, and /run (a tmpfs) with the product's record of the
    # mapping it installed. (With the record kept, the product takes the mapping for installed.)
    # dhcpcd goes first: a renewal (every T1) between the two would put the table back.
    kill_dhcpcd
    hx nft delete table ip6 "$NPTV6_TABLE"
    hx rm -rf /run/docker-ipv6-pd
    check "without our table, $newpub does not answer" eval '[[ $(router_connect "$newpub" 80) != hello-80 ]]'
    m=$(dmark) r0=$(restarts)
    need "dhcpcd started again" start_dhcpcd
    need "dhcpcd passed $newp to its hooks again within 30 s" wait_until 30 dprefix_in "$newp" "$m" > /dev/null
    if ms=$(first_answer "$newpub"); then
        info latency "reboot: from dhcpcd's first event to the first answer at $newpub: $ms ms"
    fi
    show_dhcpcd_events "$m"
    check "our nft table maps $newp again" maps "$newp"
    check_eq "no docker restart for the reboot" "$(($(restarts) - r0))" 0
    REACH_TAG='reboot ' reach_checks "$cid" "$newpub"

    say "    -- release (dhcpcd -k) with on-loss = withdraw"
    m=$(dmark) r0=$(restarts)
    hx dhcpcd -6 -k wan0 >> "$STATE/dhcpcd.log" 2>&1 || true
    dwait_events 10 "$m" 1 ' DHCPCD (RELEASE6|STOP6|EXPIRE6) ' || true
    show_dhcpcd_events "$m"
    show_restarts "$r0"
    check "our nft table is gone" eval '! nft_table > /dev/null'
    info withdrawn "the router -> [$newpub]:80: $(router_connect "$newpub" 80); $(($(restarts) - r0)) docker restart(s)"
    check_eq "the container kept running" "$(container_started "$cid")" "$before"
}
