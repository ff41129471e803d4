#!/bin/bash
# End-to-end suite of docker-ipv6-pd (issue 3): a delegating router (ISC dhcpd -6) and a host
# running the real dhclient -6 -P, /sbin/dhclient-script, the project as its install.sh installs
# it, and a real dockerd started through /etc/init.d/docker, all in network namespaces and, on the
# host side, a private mount namespace. Nothing outside them is touched: no route, file or daemon
# of the machine. Scenarios 1-8 are issue 3's; 9a-11b (scenarios-9-11.sh) add the daemon.json
# wiring (issue 4), the real dhcpcd and the loss policies withdraw and fallback with NAT66
# (issue 5). Each scenario prints what it saw (events, prefix file, docker restarts, container
# address), PASS/FAIL and its wall time; the last line is "N passed, N failed".
#
# Usage: bash tests/e2e/run.sh [--binary PATH] [SCENARIO...]
#   --binary PATH  install this built binary (default: cargo build --release, then
#                  target/release/docker-ipv6-pd); also E2E_BINARY=PATH
#   SCENARIO       run only these (1 2 3 4a 4b 5 6 7 8 9a 9b 10 11a 11b); some build on the
#                  one before
#   E2E_HOOK=published  run scenarios 1-6 and 8 with the seed's published hook instead of the
#                  product (to check the harness itself; several scenarios are then expected to
#                  fail); 7 and 9a-11b, about the product itself, are left out
#   E2E_LOGS=DIR   keep the logs (dhclient, dhcpcd, dhcpd, dockerd, events, restarts) in DIR
# Needs root. Without root, or without a needed package, it skips; with CI=true it fails.
set -euo pipefail

E2E=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$E2E/../.." && pwd)
# shellcheck source=tests/e2e/lib.sh
source "$E2E/lib.sh"
# shellcheck source=tests/e2e/scenarios-9-11.sh
source "$E2E/scenarios-9-11.sh"

BINARY=${E2E_BINARY:-}
HOOK=${E2E_HOOK:-product}
ONLY=()
while (($#)); do
    case $1 in
        --binary) BINARY=$2 && shift 2 ;;
        --binary=*) BINARY=${1#*=} && shift ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' && exit 0 ;;
        *) ONLY+=("$1") && shift ;;
    esac
done

# Start from a clean descriptor table: whatever called us may have left descriptors open, and
# they would show up as "inherited from dhclient" in the `service` stand-in's leak check.
for fd in $(find "/proc/$$/fd" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -n); do
    case $fd in 0 | 1 | 2 | 255) ;; *) eval "exec $fd>&-" 2> /dev/null || true ;; esac
done

# ---------------------------------------------------------------- preflight
# A missing prerequisite skips the suite on a workstation and fails it in CI.
unable() {
    if [[ ${CI:-} == true ]]; then
        say "e2e: FAIL: $*" >&2
        say "0 passed, 1 failed"
        exit 1
    fi
    say "e2e: SKIPPED: $* (with CI=true this is a failure)"
    say "0 passed, 0 failed"
    exit 0
}
((EUID == 0)) || unable "needs root (network and mount namespaces, dhclient, dockerd)"
missing=()
for tool in dhclient:isc-dhcp-client dhcpd:isc-dhcp-server dockerd:docker.io docker:docker.io \
    busybox:busybox-static nft:nftables sipcalc:sipcalc ip:iproute2 ss:iproute2 \
    nsenter:util-linux unshare:util-linux dhcpcd:dhcpcd-base ip6tables:iptables python3:python3; do
    command -v "${tool%%:*}" > /dev/null || missing+=("${tool#*:}")
done
[[ -x /sbin/dhclient-script && -x /etc/init.d/docker && -x /usr/sbin/service ]] ||
    missing+=("isc-dhcp-client/docker.io/init-system-helpers (dhclient-script, init.d/docker, service)")
((${#missing[@]} == 0)) || unable "missing packages: $(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')"
busybox ping6 --help > /dev/null 2>&1 || [[ $? -ne 127 ]] || unable "busybox without ping6"
if [[ $HOOK == product ]]; then
    [[ -x $REPO/install.sh ]] || unable "no executable install.sh at $REPO"
    if [[ -z $BINARY ]]; then
        say "e2e: cargo build --release"
        (cd "$REPO" && cargo build --release --quiet) || {
            say "e2e: FAIL: cargo build --release failed"
            say "0 passed, 1 failed"
            exit 1
        }
        BINARY=$REPO/target/release/docker-ipv6-pd
    fi
    [[ -x $BINARY ]] || unable "no binary at $BINARY"
    BINARY=$(realpath "$BINARY")
fi

# ---------------------------------------------------------------- cleanup, always
ID=$$
RNS=e2e-router-$ID
HNS=e2e-host-$ID
CG_NAME=docker-ipv6-pd-e2e-$ID
CG= # the suite's cgroup (pids controller, or cgroup v2): every process it starts lands in it
CG_HOME= # cgroup.procs of the cgroup the suite came from
HOLDER=
T='' STATE=''
RESULTS=/dev/null

cleanup() {
    local rc=$? pid pids
    trap - EXIT INT TERM
    set +eu
    if [[ -n ${E2E_LOGS:-} && -n $STATE ]]; then
        mkdir -p "$E2E_LOGS" && cp -r "$STATE/." "$E2E_LOGS/" 2> /dev/null
        [[ -n $HOLDER ]] && hx cat /var/log/docker.log > "$E2E_LOGS/docker.log" 2> /dev/null
    fi
    # Leave the cgroup, then kill everything in it: dhcpd, dhclient, dockerd, containerd, shims,
    # containers, the namespace holder. The private mounts die with the last of them.
    if [[ -n $CG ]]; then
        echo $$ > "$CG_HOME"
        for _ in $(seq 50); do
            pids=$(find "$CG" -name cgroup.procs -exec cat {} + 2> /dev/null)
            [[ -z $pids ]] && break
            for pid in $pids; do kill -KILL "$pid" 2> /dev/null; done
            sleep 0.1
        done
        for _ in $(seq 50); do # dockerd made cgroups under the suite's one in every hierarchy
            find /sys/fs/cgroup -depth -type d -path "*/$CG_NAME*" -exec rmdir {} + 2> /dev/null
            [[ -z $(find /sys/fs/cgroup -type d -path "*/$CG_NAME*" -print -quit 2> /dev/null) ]] && break
            sleep 0.1
        done
    fi
    ip netns delete "$RNS" 2> /dev/null
    ip netns delete "$HNS" 2> /dev/null
    [[ -z $T ]] || rm -rf --one-file-system "$T"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
T=$(mktemp -d /tmp/docker-ipv6-pd-e2e.XXXXXX)
STATE=$T/state

# ---------------------------------------------------------------- topology
setup() {
    mkdir -p "$STATE" "$T/ns" "$T/results"
    : > "$STATE/events"
    : > "$STATE/restarts.log"
    : > "$STATE/dhclient.log"
    : > "$STATE/dhcpd.log"

    local cg_root
    if [[ -f /sys/fs/cgroup/cgroup.procs && ! -d /sys/fs/cgroup/pids ]]; then
        cg_root=/sys/fs/cgroup # cgroup v2 only
        CG_HOME=$cg_root$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)/cgroup.procs
    elif [[ -d /sys/fs/cgroup/pids ]]; then
        cg_root=/sys/fs/cgroup/pids
        CG_HOME=$cg_root$(awk -F: '$2 == "pids" { print $3 }' /proc/self/cgroup)/cgroup.procs
    else
        unable "no cgroup v2 and no v1 pids controller mounted at /sys/fs/cgroup"
    fi
    CG_HOME=${CG_HOME/\/\//\/}
    mkdir "$cg_root/$CG_NAME" "$cg_root/$CG_NAME/suite"
    CG=$cg_root/$CG_NAME
    echo $$ > "$CG/suite/cgroup.procs"

    ip netns add "$RNS"
    ip netns add "$HNS"
    local ns
    for ns in "$RNS" "$HNS"; do # no DAD: addresses usable at once, and no "tentative" races
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
        ip -n "$ns" link set lo up
    done
    ip -n "$RNS" link add up0 type veth peer name wan0 netns "$HNS"
    ip -n "$RNS" addr add "$ROUTER_NET" dev up0 nodad # dhcpd -6 needs it, in its subnet6
    ip -n "$RNS" link set up0 up
    ip -n "$HNS" link set wan0 up
    wait_until 10 link_local "$RNS" up0 > /dev/null && wait_until 10 link_local "$HNS" wan0 > /dev/null ||
        { say "no link-local address on the veth pair" && return 1; }
    ROUTER_LL=$(link_local "$RNS" up0)
    HOST_LL=$(link_local "$HNS" wan0)
    # The router routes the delegated prefixes to the host's link-local address, as the seed's
    # Cisco did; the host forwards, and its default route points back to the router.
    ip -n "$RNS" -6 route add "$POOL_A_NET" via "$HOST_LL" dev up0
    ip -n "$RNS" -6 route add "$POOL_B_NET" via "$HOST_LL" dev up0
    ip netns exec "$HNS" sysctl -qw net.ipv6.conf.all.forwarding=1
    ip -n "$HNS" -6 route add default via "$ROUTER_LL" dev wan0

    # The host's private mount namespace, held open by a sleeping process for the whole suite.
    grep -E '^[^ ]+ /sys/fs/cgroup[ /]' /proc/self/mounts > "$T/cgroup-mounts"
    ip netns exec "$HNS" unshare -m --propagation private bash -c \
        'bash "$1" "${@:2}" && echo $$ > "$0/holder.pid" && exec sleep infinity' "$T" \
        "$E2E/ns-setup.sh" "$STATE" "$T/ns" "$T/cgroup-mounts" "/$CG_NAME/docker" \
        >> "$STATE/holder.log" 2>&1 &
    disown
    wait_until 20 test -s "$T/holder.pid" || {
        say "private mount namespace setup failed:"
        cat "$STATE/holder.log"
        return 1
    }
    HOLDER=$(cat "$T/holder.pid")
}
link_local() { # link_local NS DEV: the usable link-local address, if any
    ip -n "$1" -6 -o addr show dev "$2" scope link | awk '!/tentative/ { sub("/.*", "", $4); print $4; exit }' | grep .
}

# ---------------------------------------------------------------- the hook under test
install_product() {
    hx env -C "$REPO" ./install.sh --binary "$BINARY" > "$STATE/install.log" 2>&1
}
uninstall_product() {
    hx env -C "$REPO" ./install.sh --uninstall >> "$STATE/install.log" 2>&1
}
install_published() {
    hx install -m 0644 "$E2E/published-hook" /etc/dhcp/dhclient-enter-hooks.d/docker-ipv6
}
SHIM=/etc/dhcp/dhclient-enter-hooks.d/docker-ipv6
PRODUCT_BIN=/usr/local/sbin/docker-ipv6-pd
UNIT=/etc/systemd/system/dhclient6-pd@.service

# fresh_host [FILE|none]: the host as after a reboot: no dhclient, no lease; the prefix file
# holds FILE (default: the ULA /80 of the seed's earlier NAT setup, as left by an earlier life
# of the machine) and docker was started by its init script, as at boot. With `none`, a machine
# that never had a prefix: no file, and docker could not start at boot (the seed's DOCKER_OPTS
# line fails without the file under the init script's `set -e`).
BOOT_FILE=fd00:0000:0000:0000:0000:0000:0000:0000/80
fresh_host() {
    local file=${1:-$BOOT_FILE}
    kill_dhclient
    docker_stop
    hx rm -f "$LEASES" "$PREFIX_FILE" /run/docker-ssd.pid
    if [[ $file != none ]]; then
        hx sh -c 'echo "$1" > "$2"' sh "$file" "$PREFIX_FILE"
        hx /etc/init.d/docker start > /dev/null 2>&1 || true
        wait_until 30 docker_up || say "    (docker did not start at boot)"
    fi
    : > "$STATE/events"
    : > "$STATE/restarts.log"
}
# first_lease ARGS...: dhclient ARGS on a fresh host, until the first BOUND6 (one per -P) and
# docker answering. Sets PREFIX (the first prefix delegated) and WANT (its /80 line).
first_lease() {
    local n=$(($# > 1 ? $# : 1))
    fresh_host
    start_dhclient "$@"
    need "dhclient got $n prefix(es) (BOUND6) within 30 s" \
        wait_events 30 0 "$n" ' ENTER BOUND6 .*life=[1-9]'
    wait_events 5 0 "$n" ' EXIT BOUND6' || true
    PREFIX=$(grep ' ENTER BOUND6 ' "$STATE/events" | head -n 1 | field new)
    WANT=$(first80 "$PREFIX")
    wait_until 30 docker_up || true
}
# docker_checks WANT: docker came back with WANT, and a container gets an address in it.
docker_checks() {
    local want=$1
    need "docker is up after the restart" wait_until 30 docker_up
    check_eq "dockerd runs with --fixed-cidr-v6 from the file" "$(dockerd_cidr)" "${want}"
    container_check "$want"
}
# fds_check FROM: the restarts after the first FROM inherited no descriptor from dhclient
fds_check() {
    local leaked
    leaked=$(tail -n "+$(($1 + 1))" "$STATE/restarts.log" | grep -v 'inherited_fds=- ' || true)
    check "service/dockerd inherited no descriptor of dhclient" test -z "$leaked"
}
# never_back MARK GOOD BAD: after the file first held GOOD, no event line shows BAD in it
never_back() {
    since "$1" | awk -v good="$2" -v bad="$3" '
        $2 == "ENTER" { f = substr($12, 6); if (f == good) seen = 1; else if (seen && f == bad) exit 1 }'
}
# file_stayed MARK LINE: every event since MARK left LINE in the file
file_stayed() { ! since "$1" | awk -v want="$2" '$2 == "ENTER" && substr($12, 6) != want { bad = 1 } END { exit !bad }'; }
file_is() { [[ $(hcat "$PREFIX_FILE") == "$1" ]]; }

# ---------------------------------------------------------------- scenarios
s1() { # first lease
    if [[ $HOOK == product ]]; then
        need "install.sh --binary installed into the private namespace (before scenario 1)" \
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
    check_eq "the sourced hook left no shell variable behind" \
        "$(grep ' ENTER BOUND6 ' "$STATE/events" | head -n 1 | field left)" -
    fds_check 0
    docker_checks "$WANT"
    grep ' ENTER BOUND6 ' "$STATE/events" | head -n 1 | field hook_ms > "$T/results/s1.ms"
}

s2() { # renewal and rebind
    need "dhclient still running from scenario 1" dhclient_running
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
    since "$m" | grep ' ENTER RENEW6 ' | field hook_ms > "$T/results/s2.ms"
}

s3() { # reboot: dhclient restarted with its lease file
    need "a lease on disk from scenario 1" hx test -s "$LEASES"
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
    docker_checks "$want"
    since "$m" > "$T/results/renumber.events"
}

s4a() { # renumbering: a router with a new identity (the old prefix comes back with lifetime 0)
    need "bound to a prefix of pool A from scenario 3" dhclient_running
    stop_dhcpd
    local old
    old=$(grep ' ENTER ' "$STATE/events" | tail -n 1 | field new)
    renumber "$DUID_2" "${POOL_B[@]}" "$POOL_B_NET"
    check "the old prefix came back with lifetime 0" \
        grep -q " ENTER [A-Z0-9]* iaid=[^ ]* new=$old .* life=0/0 " "$T/results/renumber.events"
}

s4b() { # renumbering: the same router, a new pool (NoBinding; the stale prefix keeps coming back)
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

s5() { # two delegated prefixes
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

s6() { # release
    need "dhclient running from scenario 5" dhclient_running
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
    check "RELEASE6 reached the hooks" test "$n" -ge 1
    check "the hook chain completed for every RELEASE6 (exit hooks ran)" \
        test "$(count_since "$m" ' EXIT RELEASE6')" -eq "$n"
    check_eq "file left as it was" "$(hcat "$PREFIX_FILE")" "$f0"
    check_eq "no docker restart" "$(restarts)" "$r0"
}

# broken CASE BREAK MEND [retry]: a first lease while BREAK has broken the binary (MEND undoes
# it, also when the scenario aborts); dhclient-script must carry on, the file and docker stay as
# they were. With `retry`, the next renewal once mended must finish the apply: the README's
# "nothing is left half done" (the prefix noted in /var/lib/docker-ipv6-pd/unfinished).
SENTINEL=2001:0db8:0000:0ff0:0000:0000:0000:0000/80
broken() {
    local m logmark
    say "    -- $1"
    kill_dhclient
    hx rm -f "$LEASES"
    hx sh -c 'echo "$1" > "$2"' sh "$SENTINEL" "$PREFIX_FILE"
    # shellcheck disable=SC2064 # MEND is expanded now on purpose: a function name
    trap "$3" EXIT
    "$2"
    m=$(mark) logmark=$(wc -l < "$STATE/dhclient.log")
    : > "$STATE/restarts.log"
    start_dhclient -P
    wait_events 20 "$m" 1 ' EXIT BOUND6' || true
    wait_events $((2 * T1 + 3)) "$m" 1 ' ENTER RENEW6 ' || true
    local broken_file broken_restarts # as left while broken
    broken_file=$(hcat "$PREFIX_FILE") broken_restarts=$(restarts)
    "$3"
    trap - EXIT
    local mended=
    if [[ ${4-} == retry ]]; then # mended: does the next renewal put the lease's prefix in?
        wait_events $((2 * T1 + 3)) "$m" 2 ' ENTER RENEW6 ' || true
        mended=$(hcat "$PREFIX_FILE")
    fi
    kill_dhclient
    show_events "$m" all
    [[ -z $mended ]] || info mended "once writable, the next renewal left the file at $mended"
    tail -n "+$((logmark + 1))" "$STATE/dhclient.log" | grep -iE 'docker-ipv6|error|fail|denied|read-only' |
        grep -v '^XMT\|^RCV\|^PRC' | awk '!seen[$0]++' | head -n 2 | sed 's/^/    log:        /' || true
    check "dhclient-script completed for BOUND6 (exit hooks ran)" test "$(count_since "$m" ' EXIT BOUND6')" -ge 1
    check "dhclient carried on (RENEW6 seen)" test "$(count_since "$m" ' ENTER RENEW6 ')" -ge 1
    if [[ ${4-} == retry ]]; then
        local want
        want=$(first80 "$(since "$m" | grep ' ENTER BOUND6 ' | head -n 1 | field new)")
        check_eq "file untouched while read-only" "$broken_file" "$SENTINEL"
        check_eq "no docker restart while read-only" "$broken_restarts" 0
        check_eq "once writable, the next renewal finished the apply: file" "$mended" "$want"
        check_eq "... and docker restarted once" "$(restarts)" 1
    else
        check_eq "file untouched" "$(hcat "$PREFIX_FILE")" "$SENTINEL"
        check_eq "no docker restart" "$(restarts)" 0
    fi
}
binary_away() { hx mv "$PRODUCT_BIN" "$PRODUCT_BIN.e2e-away"; }
binary_back() { hx sh -c '[ ! -e "$1.e2e-away" ] || mv "$1.e2e-away" "$1"' sh "$PRODUCT_BIN"; }
binary_failing() { hx mount --bind "$E2E/failing-binary" "$PRODUCT_BIN"; }
binary_real() { hx sh -c '! mountpoint -q "$1" || umount "$1"' sh "$PRODUCT_BIN"; }
docker_dir_ro() { hx sh -c 'mount --bind /etc/docker /etc/docker && mount -o remount,bind,ro /etc/docker'; }
docker_dir_rw() { hx sh -c '! mountpoint -q /etc/docker || umount /etc/docker'; }
s7() { # the binary missing or failing
    start_dhcpd "${POOL_A[@]}" "$DUID_1"
    fresh_host
    broken "binary missing" binary_away binary_back
    broken "binary failing (a stand-in that exits 1)" binary_failing binary_real
    broken "the real binary, /etc/docker read-only, then writable again" docker_dir_ro docker_dir_rw retry
}

s8() { # the seed's published hook through the same harness
    if [[ $HOOK == product ]]; then
        need "install.sh --uninstall" uninstall_product
        check "uninstall removed the shim" hx test ! -e "$SHIM"
        check "uninstall removed the binary" hx test ! -e "$PRODUCT_BIN"
        check "uninstall removed the unit" hx test ! -e "$UNIT"
    fi
    install_published
    say "    -- first lease"
    start_dhcpd "${POOL_A[@]}" "$DUID_1"
    first_lease -P
    show_events 0
    show_restarts 0
    local line
    line=$(grep ' ENTER BOUND6 ' "$STATE/events" | head -n 1)
    check_eq "prefix file holds the first /80 of $PREFIX" "$(hx cat "$PREFIX_FILE" 2> /dev/null)" "$WANT"
    check_eq "one docker restart" "$(restarts)" 1
    docker_checks "$WANT"
    say "    -- renewals (dhclient-script runs with SIGPIPE $(field sigpipe <<< "$line"))"
    local m
    m=$(mark)
    wait_events $((3 * T1 + 20)) "$m" 2 ' ENTER RENEW6 ' || true
    show_events "$m"
    since "$m" | grep ' ENTER RENEW6 ' | field hook_ms > "$T/results/s8.ms"
    say "    -- renumbering, same router, new pool (NoBinding)"
    local r0 back renumbered
    m=$(mark) r0=$(restarts)
    stop_dhcpd
    start_dhcpd "${POOL_B[@]}" "$DUID_1"
    wait_until 60 new_prefix_in "$POOL_B_NET" "$m" > /dev/null || true
    wait_events $((3 * T1 + 20)) "$(mark)" 4 ' ENTER ' || true
    show_events "$m"
    renumbered=$(($(restarts) - r0))
    back=$(since "$m" | awk -v old="$WANT" '$2 == "ENTER" { f = substr($12, 6); if (f != old) moved = 1; else if (moved) n++ } END { print n + 0 }')

    say "    -- two delegated prefixes (-P -P)"
    start_dhcpd "${POOL_A[@]}" "$DUID_1"
    first_lease -P -P
    local r1 flips
    r1=$(restarts) m=$(mark)
    wait_events $((3 * T1 + 6)) "$m" 4 ' ENTER RENEW6 ' || true
    show_events 0
    flips=$(since "$m" | awk '$2 == "ENTER" { f = substr($12, 6); if (prev != "" && f != prev) n++; prev = f } END { print n + 0 }')

    say "    differences from the product:"
    info left "$(field left <<< "$line") (variables the sourced hook leaves in dhclient-script)"
    info fds "$(head -n 1 "$STATE/restarts.log" | field inherited_fds) (dhclient's descriptors inherited by service/dockerd)"
    info hook_ms "first lease $(field hook_ms <<< "$line") ms (product: $(cat "$T/results/s1.ms" 2> /dev/null || echo -) ms, both including the docker restart)"
    info hook_ms "renewal $(paste -sd/ "$T/results/s8.ms") ms (product: $(paste -sd/ "$T/results/s2.ms" 2> /dev/null || echo -) ms)"
    info renumber "file went back to the withdrawn prefix $back time(s) after moving; $renumbered restart(s)"
    info two "-P -P: $r1 restart(s) for the first exchange, then the file changed $flips time(s) in $(count_since "$m" ' ENTER RENEW6 ') renewals"
}

# ---------------------------------------------------------------- main
PASSED=0 FAILED=0
scenario() { # scenario ID TITLE: run s<ID> in a subshell, set -e on; PASS when nothing failed
    local id=$1 rc=0 start=$SECONDS
    if ((${#ONLY[@]})) && [[ " ${ONLY[*]} " != *" $id "* ]]; then return 0; fi
    [[ $id =~ ^(7|9.*|1[01].*)$ && $HOOK != product ]] && return 0 # about the product itself
    say ""
    say "=== [$id] $2"
    RESULTS=$T/results/$id
    : > "$RESULTS"
    # In the background, so that a signal to this shell is handled at once (`wait` returns), not
    # when the scenario is over; cleanup then kills the scenario with everything else.
    set +e
    (
        set -e
        "s$id"
    ) &
    wait $!
    rc=$?
    set -e
    if ((rc != 0)) && ! grep -q '^FAIL' "$RESULTS"; then fail "scenario aborted (status $rc)"; fi
    local took=$((SECONDS - start))
    echo "$id ${took}s" >> "$T/times"
    if grep -q '^FAIL' "$RESULTS" || ! grep -q '^PASS' "$RESULTS"; then
        FAILED=$((FAILED + 1))
        say "--- FAIL [$id] ($took s)"
        tail -n 5 "$STATE/dhclient.log" 2> /dev/null | sed 's/^/    dhclient.log| /' || true
    else
        PASSED=$((PASSED + 1))
        say "--- PASS [$id] ($took s)"
    fi
}

say "e2e: hook under test: $HOOK${BINARY:+ ($BINARY)}; temp dir $T"
setup
say "e2e: router $RNS (up0 ${ROUTER_NET}, $ROUTER_LL), host $HNS (wan0 $HOST_LL), mount ns of pid $HOLDER"
[[ -s $STATE/notes ]] && sed 's/^/e2e: note: /' "$STATE/notes"
if [[ $HOOK == product ]]; then
    if install_product; then echo ok > "$T/install.status"; else
        say "e2e: install.sh --binary $BINARY failed:"
        sed 's/^/    /' "$STATE/install.log"
    fi
else
    install_published
fi
scenario 1 "First lease (BOUND6): file, one restart, container address, router ping"
scenario 2 "Renewal (RENEW6) and rebind (REBIND6, Renew dropped at the router): nothing changes"
scenario 3 "Reboot: dhclient restarted with its lease file (first event REBIND6): no restart"
scenario 4a "Renumbering by a router with a new identity (old prefix back with lifetime 0)"
scenario 4b "Renumbering by the same router with a new pool (NoBinding, stale BOUND6 old = new)"
scenario 5 "Two delegated prefixes (-P -P): settles on one, no flip-flop, no restart on renewals"
scenario 6 "Release (dhclient -r): hook chain completes, file as it was, no restart"
scenario 7 "The binary missing or failing: dhclient-script still completes its own work"
scenario 8 "The seed's published hook through the same harness, for comparison"
scenario 9a "daemon.json wiring (target = daemon-json, no IPv6 in DOCKER_OPTS): first lease, doctor"
scenario 9b "daemon.json wiring: renumbering by the same router with a new pool (NoBinding)"
scenario 10 "dhcpcd instead of dhclient: its hook writes the first /80, one restart; renewals change nothing"
scenario 11a "on-loss = withdraw: a release empties the file and restarts docker; a new lease brings it back"
scenario 11b "on-loss = fallback: a release moves docker to a ULA /80 with NAT66; a returning prefix undoes it"
say ""
[[ ! -s $T/times ]] || say "e2e: wall time per scenario: $(paste -sd, "$T/times" | sed 's/,/, /g')"
say "e2e: $((SECONDS)) s"
say "$PASSED passed, $FAILED failed"
((FAILED == 0))
