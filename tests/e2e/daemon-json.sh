# shellcheck shell=bash
# e2e suite (tests/e2e/run.sh): `target = daemon-json`: first lease and renumbering with docker's
# IPv6 settings in /etc/docker/daemon.json and none in DOCKER_OPTS; `doctor` on the result.
# Sourced by run.sh after lib.sh and wiring.sh.

# json WHAT < FILE: a daemon.json's fixed-cidr-v6 (cidr), ipv6 (true/false), keys in file order
# (keys), or the object without the two keys the product owns, compact (others); '' if invalid.
json() {
    python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
except ValueError:
    sys.exit(0)
what = sys.argv[1]
if what == "cidr":
    print(d.get("fixed-cidr-v6", ""))
elif what == "ipv6":
    print(json.dumps(d["ipv6"]) if "ipv6" in d else "")
elif what == "keys":
    print(",".join(d))
else:
    d.pop("ipv6", None)
    d.pop("fixed-cidr-v6", None)
    print(json.dumps(d, separators=(",", ":")))
' "$1"
}
host_json() { hx cat "$DAEMON_JSON" 2> /dev/null | json "$1"; } # host_json WHAT
json_cidr() { host_json cidr; }
json_ipv6() { host_json ipv6; }
json_keys() { host_json keys; }
json_others() { host_json others; }
orig_json() { json others < "$STATE/daemon.json.orig"; } # the harness's own daemon.json
orig_keys() { json keys < "$STATE/daemon.json.orig"; }
json_is() { [[ $(json_cidr) == "$1" ]]; }
# json_never_back MARK GOOD BAD: after daemon.json first held GOOD, no event shows BAD in it
json_never_back() {
    since "$1" | awk -v good="json=$2" -v bad="json=$3" '
        $2 == "ENTER" { if ($13 == good) seen = 1; else if (seen && $13 == bad) exit 1 }'
}
show_json() { hx cat "$DAEMON_JSON" 2> /dev/null | sed 's/^/    json|       /'; }
bridge_has() { # bridge_has SUBNET: IPv6 on, SUBNET among its subnets (in any order: 26 lists IPv6 first)
    local v6
    v6=$(bridge_v6)
    [[ $v6 == true\ * && " $v6 " == *" $1 "* ]]
}

# admin_view COMMAND...: COMMAND in the host namespace as an admin's machine would show it: the
# suite's trace hooks (which read the prefix file, so doctor rightly takes them for a second
# enter hook writing it) hidden in a nested, throwaway mount namespace.
admin_view() {
    hx unshare -m --propagation private sh -c '
        d=/etc/dhcp/dhclient-enter-hooks.d
        mount -t tmpfs e2e-admin-view /mnt && cp -a "$d/." /mnt/ &&
            rm -f /mnt/docker-e2e-start /mnt/docker-ipv6-e2e-trace && mount --bind /mnt "$d" &&
            exec "$@"' sh "$@"
}
# doctor_check: runs `docker-ipv6-pd doctor` (admin_view), prints its report, and checks that
# none of its problems is about docker's wiring or subnet (lines naming docker, daemon.json,
# DOCKER_OPTS, fixed-cidr-v6, the prefix file or the subnet).
doctor_check() {
    local out rc=0 wiring
    out=$(admin_view "$PRODUCT_BIN" doctor 2>&1) || rc=$?
    info doctor "docker-ipv6-pd doctor (the suite's trace hooks hidden), exit status $rc:"
    sed 's/^/    doctor|     /' <<< "$out"
    wiring=$(awk '/^problem/ { p = $0; getline f; if (f !~ /^ +fix:/) f = ""; print p " " f }' <<< "$out" |
        grep -iE 'docker|daemon\.json|fixed-cidr|ipv6\.prefix|subnet' || true)
    check "doctor reports no problem about docker's wiring or subnet" test -z "$wiring"
    [[ -z $wiring ]] || sed 's/^/    problem:    /' <<< "$wiring"
}

# json_boot: a machine with the daemon.json wiring after a reboot: no dhclient, no lease, no
# prefix file, the suite's daemon.json (no IPv6 yet), docker started by its init script.
json_boot() {
    fresh_host none
    hx cp /run/e2e/daemon.json.orig "$DAEMON_JSON"
    hx /etc/init.d/docker start > /dev/null 2>&1 || true
    wait_until 30 docker_up || say "    (docker did not start at boot)"
    : > "$STATE/events"
    : > "$STATE/restarts.log"
}
# json_wiring: DOCKER_OPTS without IPv6 flags, target = daemon-json; and accept_ra=2 on the
# uplink as the README asks (no router advertisement comes here anyway), so that doctor's report
# is about the wiring.
json_wiring() {
    hx sysctl -qw net.ipv6.conf.wan0.accept_ra=2
    docker_opts 'DOCKER_OPTS="" # IPv6 settings come from daemon.json (target = daemon-json)'
    configure "target = daemon-json"
}
# json_docker_checks WANT: daemon.json holds WANT's /80 (compressed) with ipv6 true and the
# suite's keys in order; dockerd runs with it and no IPv6 flag; a container gets an address.
json_docker_checks() {
    local want=$1 wantc
    wantc=$(compressed "$want")
    show_json
    check_eq "daemon.json \"fixed-cidr-v6\" is the compressed /80" "$(json_cidr)" "$wantc"
    check_eq "daemon.json \"ipv6\" is true" "$(json_ipv6)" true
    check_eq "daemon.json keys: the suite's in their order, then the product's" \
        "$(json_keys)" "$(orig_keys),ipv6,fixed-cidr-v6"
    check_eq "daemon.json: the suite's keys keep their values" "$(json_others)" "$(orig_json)"
    check "no prefix file written (target = daemon-json)" hx test ! -e "$PREFIX_FILE"
    need "docker is up after the restart" wait_until 30 docker_up
    info dockerd "IPv6 flags '$(dockerd_v6_flags)'; bridge network: $(bridge_v6)"
    check_eq "dockerd has no IPv6 flag on its command line" "$(dockerd_v6_flags)" ""
    check "docker's bridge network has IPv6 on with $wantc" bridge_has "$wantc"
    container_check "$want"
}

scenario_daemon_json_first_lease() {
    begin_scenario
    json_wiring
    start_dhcpd "${POOL_A[@]}" "$DUID_1"
    json_boot
    info boot "docker runs with daemon.json: $(orig_json); bridge network: $(bridge_v6)"
    start_dhclient -P
    need "dhclient got a prefix (BOUND6) within 30 s" wait_events 30 0 1 ' ENTER BOUND6 .*life=[1-9]'
    wait_events 10 0 1 ' EXIT BOUND6' || true
    PREFIX=$(grep ' ENTER BOUND6 ' "$STATE/events" | head -n 1 | field new)
    WANT=$(first80 "$PREFIX")
    show_events 0 all
    show_restarts 0
    check_eq "one docker restart" "$(restarts)" 1
    check "the restart succeeded" grep -q 'status=0$' "$STATE/restarts.log"
    fds_check 0
    json_docker_checks "$WANT"
    doctor_check
    say "    -- docker-ipv6-pd status"
    admin_view "$PRODUCT_BIN" status 2>&1 | sed 's/^/    status|     /' || true
}

scenario_daemon_json_renumber() { # by the same router with a new pool (NoBinding)
    begin_scenario
    json_wiring
    start_dhcpd "${POOL_A[@]}" "$DUID_1"
    json_boot
    start_dhclient -P
    need "bound to a prefix of pool A within 30 s" wait_events 30 0 1 ' ENTER BOUND6 .*life=[1-9]'
    wait_events 10 0 1 ' EXIT BOUND6' || true
    PREFIX=$(grep ' ENTER BOUND6 ' "$STATE/events" | head -n 1 | field new)
    local oldc m r0 t0 newp want wantc stale
    oldc=$(compressed "$(first80 "$PREFIX")")
    need "daemon.json holds $oldc" wait_until 10 json_is "$oldc"
    need "docker up" wait_until 30 docker_up
    info bound "$PREFIX, daemon.json fixed-cidr-v6 $oldc, $(restarts) restart(s)"
    m=$(mark) r0=$(restarts) t0=$SECONDS
    stop_dhcpd
    start_dhcpd "${POOL_B[@]}" "$DUID_1"
    need "a new prefix from pool B within 30 s" wait_until 30 new_prefix_in "$POOL_B_NET" "$m" > /dev/null
    newp=$(new_prefix_in "$POOL_B_NET" "$m")
    want=$(first80 "$newp") wantc=$(compressed "$(first80 "$newp")")
    wait_until $((30 - (SECONDS - t0))) json_is "$wantc" || true
    info moved "daemon.json moved to $wantc after $((SECONDS - t0)) s"
    # Let the withdrawn prefix linger: it comes back as BOUND6 old = new every T1.
    wait_events $((2 * T1 + 3)) "$(mark)" 2 ' ENTER ' || true
    show_events "$m"
    show_restarts "$r0"
    stale=$(since "$m" | grep -cE " ENTER BOUND6 iaid=[^ ]* new=$PREFIX old=$PREFIX .*life=[1-9]" || true)
    info stale "the withdrawn prefix came back as BOUND6 old = new $stale time(s)"
    check_eq "one docker restart for the renumbering" "$(($(restarts) - r0))" 1
    check "daemon.json never went back to $oldc while it lingered" json_never_back "$m" "$wantc" "$oldc"
    fds_check "$r0"
    # shellcheck disable=SC2034 # read by container_check (lib.sh)
    REACH_TAG='(d) ' # (a)-(c) again, at the new prefix
    json_docker_checks "$want"
    doctor_check
}
