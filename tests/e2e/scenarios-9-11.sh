# shellcheck shell=bash
# e2e suite (tests/e2e/run.sh): the scenarios of issues 4 and 5, sourced by run.sh after its own
# helpers. They run in the same namespaces as scenarios 1-8, with the same dhcpd, dhclient and
# dockerd, and change the product's configuration and docker's wiring only for themselves:
#   9a/9b  `target = daemon-json` (issue 4): first lease and renumbering with docker's IPv6
#          settings in /etc/docker/daemon.json and none in DOCKER_OPTS; `doctor` on the result.
#   10     the real dhcpcd (issue 5) instead of dhclient, through the product's dhcpcd hook.
#   11a    `on-loss = withdraw` (issue 5): a release empties the prefix file, a new lease refills it.
#   11b    `on-loss = fallback` (issue 5): a release moves docker to a ULA /80 reached over NAT66.
# Each one works from the harness as scenarios 1-8 leave it, and leaves it as they expect
# (restore_harness): the seed's DOCKER_OPTS and daemon.json, no configuration file, no DHCPv6
# client running and docker stopped (scenarios that do not build on the one before start with
# fresh_host, which boots docker).

CONF=/etc/docker-ipv6-pd/docker-ipv6-pd.conf
DAEMON_JSON=/etc/docker/daemon.json
DEFAULT_DOCKER=/etc/default/docker
DHCPCD_HOOK=/usr/lib/dhcpcd/dhcpcd-hooks/62-docker-ipv6-pd
DHCPCD_TRACE=/usr/lib/dhcpcd/dhcpcd-hooks/63-e2e-trace
FALLBACK_PREFIX=fd00:db8:1::/48
HOST_NET=2001:db8:0:1::2/64 # the host's own global address on wan0 (scenario 11b: NAT66 source)
ROUTER_ADDR=${ROUTER_NET%/*}

# ---------------------------------------------------------------- the product and its wiring
# ensure_product: the product installed (scenario 8 uninstalls it for the published hook).
ensure_product() {
    if hx grep -q docker-ipv6-pd "$SHIM" 2> /dev/null && hx test -x "$PRODUCT_BIN"; then
        return 0
    fi
    hx rm -f "$SHIM" # the published hook of scenario 8, if any
    need "install.sh --binary installed the product again (scenario 8 removed it)" install_product
}
# configure LINE...: the product's configuration file holds these `key = value` lines.
configure() {
    hx mkdir -p "$(dirname "$CONF")"
    printf '# e2e scenario %s\n' "$SCENARIO" > "$T/conf"
    printf '%s\n' "$@" >> "$T/conf"
    hx cp "$T/conf" "$CONF"
    info config "$CONF: $(paste -sd';' <<< "$(printf '%s\n' "$@")" | sed 's/;/; /g')"
}
# docker_opts TEXT: /etc/default/docker holds TEXT (a DOCKER_OPTS line), as said in the output.
docker_opts() {
    printf '%s\n' "# e2e scenario $SCENARIO" "$1" > "$T/default-docker"
    hx cp "$T/default-docker" "$DEFAULT_DOCKER"
    info wiring "$DEFAULT_DOCKER: $1"
}
# restore_harness: as scenarios 1-8 expect it. Also run when a scenario aborts (EXIT trap).
# The DHCPv6 clients and docker stop first, under the scenario's own wiring: no hook may run with
# half of it restored, and /etc/init.d/docker sources DOCKER_OPTS even to stop (the seed's line
# fails, under its `set -e`, while there is no prefix file).
restore_harness() {
    stop_dhcpcd
    kill_dhclient
    docker_stop
    hx rm -f "$CONF" "$DHCPCD_TRACE" /var/lib/docker-ipv6-pd/unfinished
    hx cp /run/e2e/default-docker.seed "$DEFAULT_DOCKER"
    hx cp /run/e2e/daemon.json.seed "$DAEMON_JSON"
    hx ip -6 addr del "$HOST_NET" dev wan0 2> /dev/null || true
    hx sysctl -qw net.ipv6.conf.wan0.accept_ra=1
    hx ip6tables -w -t nat -F POSTROUTING 2> /dev/null || true
}
# begin_scenario: the product installed, the harness restored now and when the scenario ends;
# renew/rebind after 2/4 s (each scenario runs in a subshell of its own: scenarios 1-8 keep 4/7).
begin_scenario() {
    # shellcheck disable=SC2034 # T2 is read by start_dhcpd (lib.sh)
    T1=2 T2=4
    ensure_product
    trap restore_harness EXIT
    restore_harness
}
SCENARIO=

# ---------------------------------------------------------------- daemon.json
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
seed_json() { json others < "$STATE/daemon.json.seed"; }
seed_keys() { json keys < "$STATE/daemon.json.seed"; }
json_is() { [[ $(json_cidr) == "$1" ]]; }
# json_never_back MARK GOOD BAD: after daemon.json first held GOOD, no event shows BAD in it
json_never_back() {
    since "$1" | awk -v good="json=$2" -v bad="json=$3" '
        $2 == "ENTER" { if ($13 == good) seen = 1; else if (seen && $13 == bad) exit 1 }'
}
show_json() { hx cat "$DAEMON_JSON" 2> /dev/null | sed 's/^/    json|       /'; }
# bridge_v6: what the running dockerd made of its configuration: "IPV6-ON SUBNETS..."
bridge_v6() {
    hx docker network inspect bridge --format '{{.EnableIPv6}}{{range .IPAM.Config}} {{.Subnet}}{{end}}' 2> /dev/null
}
bridge_has() { [[ " $(bridge_v6) " == " true "*" $1 "* ]]; } # bridge_has SUBNET: IPv6 on, SUBNET
# dockerd_v6_flags: the IPv6 flags on the running dockerd's command line ('' for none)
dockerd_v6_flags() {
    local pid
    pid=$(hcat /run/docker-ssd.pid) && [[ -n $pid ]] || return 0
    tr '\0' '\n' < "/proc/$pid/cmdline" | grep -E '^--(ipv6|fixed-cidr-v6)' | paste -sd' ' || true
}

# compressed EXPANDED/LEN: the RFC 5952 spelling (docker's and daemon.json's) of first80's line
compressed() {
    local addr=${1%/*} len=${1#*/} i s=-1 n=0 best_s=-1 best_n=1 out=''
    local -a g
    IFS=: read -ra g <<< "$addr"
    for i in "${!g[@]}"; do g[i]=$(printf '%x' "$((16#${g[i]}))"); done
    for ((i = 0; i < 8; i++)); do
        if [[ ${g[i]} == 0 ]]; then
            ((n == 0)) && s=$i
            n=$((n + 1))
            ((n > best_n)) && best_n=$n best_s=$s
        else
            n=0
        fi
    done
    if ((best_s < 0)); then
        out=$(IFS=:; echo "${g[*]}")
    else
        out=$(IFS=:; echo "${g[*]:0:best_s}")::$(IFS=:; echo "${g[*]:best_s+best_n}")
    fi
    echo "$out/$len"
}

# admin_view COMMAND...: COMMAND in the host namespace as an admin's machine would show it: the
# suite's trace hooks (which read the prefix file, so doctor rightly takes them for a second hook
# writing it) hidden in a nested, throwaway mount namespace.
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
    hx cp /run/e2e/daemon.json.seed "$DAEMON_JSON"
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
        "$(json_keys)" "$(seed_keys),ipv6,fixed-cidr-v6"
    check_eq "daemon.json: the suite's keys keep their values" "$(json_others)" "$(seed_json)"
    check "no prefix file written (target = daemon-json)" hx test ! -e "$PREFIX_FILE"
    need "docker is up after the restart" wait_until 30 docker_up
    info dockerd "IPv6 flags '$(dockerd_v6_flags)'; bridge network: $(bridge_v6)"
    check_eq "dockerd has no IPv6 flag on its command line" "$(dockerd_v6_flags)" ""
    check "docker's bridge network has IPv6 on with $wantc" bridge_has "$wantc"
    container_check "$want"
}

s9a() { # daemon.json wiring: first lease
    SCENARIO=9a
    begin_scenario
    json_wiring
    start_dhcpd "${POOL_A[@]}" "$DUID_1"
    json_boot
    info boot "docker runs with daemon.json: $(seed_json); bridge network: $(bridge_v6)"
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

s9b() { # daemon.json wiring: renumbering by the same router with a new pool (NoBinding)
    SCENARIO=9b
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
    json_docker_checks "$want"
    doctor_check
}

# ---------------------------------------------------------------- dhcpcd
# Lines of $STATE/dhcpcd-events (see hooks/dhcpcd-e2e-trace):
#   <time> DHCPCD <reason> if=.. new=ADDR/LEN@VL/PL,.. old=.. file=..
DHCPCD_PID=/run/dhcpcd/wan0-6.pid # dhcpcd's own paths, in the private /run and /var
dmark() { wc -l < "$STATE/dhcpcd-events"; }
dsince() { tail -n "+$(($1 + 1))" "$STATE/dhcpcd-events"; }
dcount_since() { dsince "$1" | grep -cE "$2" || true; } # dcount_since MARK REGEX
devents_at_least() { (($(dcount_since "$1" "$3") >= $2)); }
dwait_events() { wait_until "$1" devents_at_least "$2" "$3" "$4"; } # SECONDS MARK N REGEX
show_dhcpcd_events() { # show_dhcpcd_events MARK: one line per event, runs of equal lines folded
    dsince "$1" | awk '
        function flush() { if (prev != "") printf "%s%s\n", prev, (n > 1 ? " x" n : ""); prev = ""; n = 0 }
        {
            new = $5; old = $6; file = substr($7, 6)
            gsub(/@[0-9]+\/[0-9]+/, "", new); gsub(/@[0-9]+\/[0-9]+/, "", old)
            line = sprintf("    dhcpcd:     %-8s %s %s -> file %s", $3, new, old, file)
            if (line == prev) { n++; next }
            flush(); prev = line; n = 1
        }
        END { flush() }'
}
# start_dhcpcd: the real dhcpcd, DHCPv6 only, asking for one delegated prefix on wan0, in the
# foreground (-B) in the host's private mount namespace (its pid file, control socket, DUID and
# lease live in the private /run and /var) and a private UTS namespace (its hostname hook).
start_dhcpcd() {
    cat > "$T/dhcpcd.conf" << 'EOF2'
# written by tests/e2e (scenario 10): DHCPv6 prefix delegation only. The router sends no
# router advertisements, so no solicitation; ia_pd without a downstream interface asks for a
# prefix and delegates nothing (dhcpcd installs a reject route for it, as documented).
nodelay
noipv6rs
interface wan0
    ia_pd 1
EOF2
    : >> "$STATE/dhcpcd-events"
    echo "--- dhcpcd -6 -B -d -f $T/dhcpcd.conf wan0" >> "$STATE/dhcpcd.log"
    hx unshare -u dhcpcd -6 -B -d -f "$T/dhcpcd.conf" wan0 >> "$STATE/dhcpcd.log" 2>&1 &
    wait_until 10 hx test -s "$DHCPCD_PID"
}
dhcpcd_pid() { hcat "$DHCPCD_PID"; }
dhcpcd_running() { local pid; pid=$(dhcpcd_pid) && [[ -n $pid ]] && kill -0 "$pid" 2> /dev/null; }
# stop_dhcpcd: `dhcpcd -x` (STOP6 for the hooks, its routes removed); SIGKILL if it lingers.
stop_dhcpcd() {
    local pid
    pid=$(dhcpcd_pid) && [[ -n $pid ]] || return 0
    hx dhcpcd -6 -x wan0 >> "$STATE/dhcpcd.log" 2>&1 || true
    if ! wait_until 10 eval '! kill -0 "$pid" 2> /dev/null'; then
        kill -KILL "$pid" 2> /dev/null || true
    fi
    hx rm -f "$DHCPCD_PID"
}

s10() { # dhcpcd
    SCENARIO=10
    begin_scenario
    check "install.sh installed the dhcpcd hook at $DHCPCD_HOOK" hx grep -q "$PRODUCT_BIN" "$DHCPCD_HOOK"
    : >> "$STATE/dhcpcd-events"
    hx install -m 0644 "$E2E/hooks/dhcpcd-e2e-trace" "$DHCPCD_TRACE"
    start_dhcpd "${POOL_A[@]}" "$DUID_1"
    fresh_host # dhclient stopped (one DHCPv6 client at a time); docker booted with an old file
    info boot "dhclient stopped; file $(hcat "$PREFIX_FILE"); docker $(docker_up && echo running || echo 'not running')"
    local m prefix want f1 r1
    m=$(dmark)
    need "dhcpcd started" start_dhcpcd
    need "dhcpcd got a delegated prefix (BOUND6) within 30 s" dwait_events 30 "$m" 1 ' DHCPCD BOUND6 .*new=[0-9a-f]'
    prefix=$(dsince "$m" | grep ' DHCPCD BOUND6 ' | head -n 1 | sed -n 's/.* new=\([^@,]*\)@.*/\1/p')
    want=$(first80 "$prefix")
    show_dhcpcd_events "$m"
    show_restarts 0
    info file "$(hcat "$PREFIX_FILE")"
    check "delegated prefix comes from the pool" in_net "$prefix" "$POOL_A_NET"
    check_eq "prefix file holds the first /80 of $prefix" "$(hcat "$PREFIX_FILE")" "$want"
    check_eq "one docker restart" "$(restarts)" 1
    check "the restart succeeded" grep -q 'status=0$' "$STATE/restarts.log"
    check "service/dockerd inherited no descriptor of dhcpcd" eval '! grep -qv "inherited_fds=- " "$STATE/restarts.log"'
    docker_checks "$want"
    say "    -- renewals"
    m=$(dmark) r1=$(restarts) f1=$(hcat "$PREFIX_FILE")
    need "two renewals (RENEW6) within $((3 * T1 + 5)) s" dwait_events $((3 * T1 + 5)) "$m" 2 ' DHCPCD RENEW6 '
    show_dhcpcd_events "$m"
    check_eq "file unchanged" "$(hcat "$PREFIX_FILE")" "$f1"
    check_eq "no docker restart" "$(restarts)" "$r1"
    check "every renewal left the file as it was" \
        eval "! dsince $m | grep ' DHCPCD RENEW6 ' | grep -qv ' file=$f1\$'"
    say "    -- dhcpcd -x (STOP6; on-loss = keep, the default)"
    m=$(dmark)
    stop_dhcpcd
    dwait_events 5 "$m" 1 ' DHCPCD STOPPED ' || true
    show_dhcpcd_events "$m"
    check "dhcpcd stopped" eval '! dhcpcd_running'
    check_eq "file kept" "$(hcat "$PREFIX_FILE")" "$f1"
    check_eq "no docker restart" "$(restarts)" "$r1"
}

# ---------------------------------------------------------------- prefix loss
# release_lease: `dhclient -r` with the running dhclient's arguments, as in scenario 6: it stops
# that dhclient and sends a Release; dhclient-script runs RELEASE6.
release_lease() {
    local args rc=0
    mapfile -t args < "$STATE/dhclient.args"
    hx dhclient -6 -r "${args[@]}" -v -lf "$LEASES" -pf /run/e2e/dhclient6.pid wan0 \
        >> "$STATE/dhclient.log" 2>&1 || rc=$?
    info release "dhclient -r exited $rc"
}
# release_traced: release_lease between a mark and a restart count (left in REL_MARK and
# REL_R0 for the caller's checks), then show what the hooks saw and check RELEASE6 reached them.
release_traced() {
    say "    -- release (dhclient -r: RELEASE6)"
    REL_MARK=$(mark) REL_R0=$(restarts)
    release_lease
    wait_events 5 "$REL_MARK" 1 ' EXIT RELEASE6' || true
    show_events "$REL_MARK" all
    show_restarts "$REL_R0"
    check "RELEASE6 reached the hooks" test "$(count_since "$REL_MARK" ' ENTER RELEASE6 ')" -ge 1
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

s11a() { # on-loss = withdraw
    SCENARIO=11a
    begin_scenario
    # shellcheck disable=SC2016 # for /etc/init.d/docker to expand
    docker_opts 'DOCKER_OPTS="$(p=$(cat /etc/docker/ipv6.prefix 2>/dev/null); [ -n "$p" ] && echo "--ipv6 --fixed-cidr-v6=$p"; true)"'
    say "    (a DOCKER_OPTS that copes with an empty prefix file: docker then starts without IPv6;"
    say "     with the seed's line /etc/init.d/docker would start dockerd with --fixed-cidr-v6=)"
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
    local try
    for try in 1 2 3; do
        hx docker exec "$1" /bin/busybox ping6 -c 1 -W 2 "$2" > /dev/null 2>&1 && return 0
        ((try < 3)) && sleep 0.5
    done
    return 1
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
    hx docker rm -f "$CID" > /dev/null 2>&1 || true
}

s11b() { # on-loss = fallback
    SCENARIO=11b
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
