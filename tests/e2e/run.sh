#!/bin/bash
# End-to-end suite of docker-ipv6-pd: a delegating router (ISC dhcpd -6) and a host running the
# real dhclient -6 -P, /sbin/dhclient-script, the project as its install.sh installs it, and a
# real dockerd started through /etc/init.d/docker, all in network namespaces and, on the host
# side, a private mount namespace. Nothing outside them is touched: no route, file or daemon of
# the machine. The scenarios live in files by topic: dhclient's events (dhclient-events.sh), a
# broken binary (broken-binary.sh), the published hook for comparison (comparison.sh), the
# daemon.json wiring (daemon-json.sh), the real dhcpcd (dhcpcd.sh) and the loss policies
# withdraw and fallback with NAT66 (loss-policies.sh) and the nftables mapping of
# target = nptv6 (nptv6.sh). Each scenario prints what it saw (events,
# prefix file, docker restarts, container address), PASS/FAIL and its wall time; the last line
# is "N passed, N failed".
#
# Usage: bash tests/e2e/run.sh [--binary PATH] [SCENARIO...]
#   --binary PATH  install this built binary (default: cargo build --release, then
#                  target/release/docker-ipv6-pd); also E2E_BINARY=PATH
#   SCENARIO       run only these, by name: first-lease renewal reboot renumber-new-router
#                  renumber-new-pool two-prefixes release broken-binary published-hook
#                  daemon-json-first-lease daemon-json-renumber dhcpcd withdraw fallback nptv6;
#                  some build on the one before
#   E2E_HOOK=published  run the dhclient scenarios and published-hook with the published hook
#                  (the sipcalc hook, wido/docker-ipv6) instead of the product (to check the
#                  harness itself; several scenarios are then expected to fail); the scenarios
#                  about the product itself are left out
#   E2E_LOGS=DIR   keep the logs (dhclient, dhcpcd, dhcpd, dockerd, events, restarts) in DIR
# Needs root. Without root, or without a needed package, it skips; with CI=true it fails.
set -euo pipefail

E2E=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$E2E/../.." && pwd)
# shellcheck source=tests/e2e/lib.sh
source "$E2E/lib.sh"
# shellcheck source=tests/e2e/cgroup.sh
source "$E2E/cgroup.sh"
# shellcheck source=tests/e2e/wiring.sh
source "$E2E/wiring.sh"
# shellcheck source=tests/e2e/dhclient-events.sh
source "$E2E/dhclient-events.sh"
# shellcheck source=tests/e2e/broken-binary.sh
source "$E2E/broken-binary.sh"
# shellcheck source=tests/e2e/comparison.sh
source "$E2E/comparison.sh"
# shellcheck source=tests/e2e/daemon-json.sh
source "$E2E/daemon-json.sh"
# shellcheck source=tests/e2e/dhcpcd.sh
source "$E2E/dhcpcd.sh"
# shellcheck source=tests/e2e/loss-policies.sh
source "$E2E/loss-policies.sh"
# shellcheck source=tests/e2e/nptv6.sh
source "$E2E/nptv6.sh"

# Every scenario, in the order they run; those about the product itself are left out with
# E2E_HOOK=published.
SCENARIOS=(first-lease renewal reboot renumber-new-router renumber-new-pool two-prefixes release
    broken-binary published-hook daemon-json-first-lease daemon-json-renumber dhcpcd withdraw
    fallback nptv6)
PRODUCT_ONLY=(broken-binary daemon-json-first-lease daemon-json-renumber dhcpcd withdraw fallback
    nptv6)

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
for name in "${ONLY[@]}"; do
    [[ " ${SCENARIOS[*]} " == *" $name "* ]] || {
        say "e2e: no scenario named '$name'; the scenarios: ${SCENARIOS[*]}" >&2
        exit 2
    }
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
    local rc=$?
    trap - EXIT INT TERM
    set +eu
    if [[ -n ${E2E_LOGS:-} && -n $STATE ]]; then
        mkdir -p "$E2E_LOGS" && cp -r "$STATE/." "$E2E_LOGS/" 2> /dev/null
        [[ -n $HOLDER ]] && hx cat /var/log/docker.log > "$E2E_LOGS/docker.log" 2> /dev/null
    fi
    # Leave the cgroup, then kill everything in it: dhcpd, dhclient, dockerd, containerd, shims,
    # containers, the namespace holder. The private mounts die with the last of them.
    [[ -z $CG ]] || empty_cgroup "$CG" "$CG_HOME" "$CG_NAME"
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
    # The router routes the delegated prefixes to the host's link-local address, as a delegating
    # router does; the host forwards, and its default route points back to the router.
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

# ---------------------------------------------------------------- main
PASSED=0 FAILED=0
# scenario NAME TITLE: run scenario_NAME (dashes as underscores) in a subshell, set -e on; PASS
# when nothing failed.
scenario() {
    local id=$1 rc=0 start=$SECONDS
    if ((${#ONLY[@]})) && [[ " ${ONLY[*]} " != *" $id "* ]]; then return 0; fi
    [[ " ${PRODUCT_ONLY[*]} " == *" $id "* && $HOOK != product ]] && return 0
    say ""
    say "=== [$id] $2"
    RESULTS=$T/results/$id
    : > "$RESULTS"
    # In the background, so that a signal to this shell is handled at once (`wait` returns), not
    # when the scenario is over; cleanup then kills the scenario with everything else.
    set +e
    (
        set -e
        # shellcheck disable=SC2034 # read by the scenario helpers in wiring.sh
        SCENARIO=$id
        "scenario_${id//-/_}"
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

say "e2e: enter hook under test: $HOOK${BINARY:+ ($BINARY)}; temp dir $T"
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
scenario first-lease "First lease (BOUND6): file, one restart, container address, router ping"
scenario renewal "Renewal (RENEW6) and rebind (REBIND6, Renew dropped at the router): nothing changes"
scenario reboot "Reboot: dhclient restarted with its lease file (first event REBIND6): no restart"
scenario renumber-new-router "Renumbering by a router with a new identity (old prefix back with lifetime 0)"
scenario renumber-new-pool "Renumbering by the same router with a new pool (NoBinding, stale BOUND6 old = new)"
scenario two-prefixes "Two delegated prefixes (-P -P): settles on one, no flip-flop, no restart on renewals"
scenario release "Release (dhclient -r): dhclient-script completes, file as it was, no restart"
scenario broken-binary "The binary missing or failing: dhclient-script still completes its own work"
scenario published-hook "The published hook (wido/docker-ipv6) through the same harness, for comparison"
scenario daemon-json-first-lease "daemon.json wiring (target = daemon-json, no IPv6 in DOCKER_OPTS): first lease, doctor"
scenario daemon-json-renumber "daemon.json wiring: renumbering by the same router with a new pool (NoBinding)"
scenario dhcpcd "dhcpcd instead of dhclient: its shim writes the first /80, one restart; renewals change nothing"
scenario withdraw "on-loss = withdraw: a release empties the file and restarts docker; a new lease brings it back"
scenario fallback "on-loss = fallback: a release moves docker to a ULA /80 with NAT66; a returning prefix undoes it"
scenario nptv6 "target = nptv6: one restart for the wiring; a renumbering maps the container's new public address, no restart"
say ""
[[ ! -s $T/times ]] || say "e2e: wall time per scenario: $(paste -sd, "$T/times" | sed 's/,/, /g')"
say "e2e: $((SECONDS)) s"
say "$PASSED passed, $FAILED failed"
((FAILED == 0))
