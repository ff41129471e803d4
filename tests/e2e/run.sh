#!/bin/bash
# End-to-end suite of docker-ipv6-pd: a delegating router (ISC dhcpd -6) and a host running the
# real dhclient -6 -P, /sbin/dhclient-script, the project as its install.sh installs it, and a
# real dockerd started through /etc/init.d/docker, all in network namespaces and, on the host
# side, a private mount namespace. Nothing outside them is touched: no route, file or daemon of
# the machine. The scenarios live in files by topic: dhclient's events (dhclient-events.sh), a
# broken binary (broken-binary.sh), the published hook for comparison (comparison.sh), the
# daemon.json wiring (daemon-json.sh), the real dhcpcd (dhcpcd.sh) and the loss policies
# withdraw and fallback with NAT66 (loss-policies.sh) and the nftables mapping of
# target = nptv6 (nptv6.sh with dhclient, nptv6-dhcpcd.sh with dhcpcd). Every scenario that
# starts a container checks what the router sees of it (lib.sh reach_checks): (a) a published
# port answers at its delegated (or public) address, (b) an unpublished one only where Docker
# does not filter, (c) the container's own connections come from that address, (d) the same at
# the new prefix after a renumbering. Each scenario prints what it saw (events,
# prefix file, docker restarts, container address), PASS/FAIL and its wall time; the last line
# is "N passed, N failed".
#
# Usage: bash tests/e2e/run.sh [--binary PATH] [SCENARIO...]
#   --binary PATH  install this built binary (default: cargo build --release, then
#                  target/release/docker-ipv6-pd); also E2E_BINARY=PATH
#   SCENARIO       run only these, by name: first-lease renewal reboot renumber-new-router
#                  renumber-new-pool two-prefixes release broken-binary published-hook
#                  daemon-json-first-lease daemon-json-renumber dhcpcd dhcpcd-renumber
#                  daemon-json-dhcpcd withdraw fallback nptv6 nptv6-dhcpcd networkd
#                  networkd-prefix-file networkmanager; some build on the one before
#   E2E_HOOK=published  run the dhclient scenarios and published-hook with the published hook
#                  (the sipcalc hook, wido/docker-ipv6) instead of the product (to check the
#                  harness itself; several scenarios are then expected to fail); the scenarios
#                  about the product itself are left out
#   E2E_LOGS=DIR   keep the logs (dhclient, dhcpcd, dhcpd, dockerd, events, restarts) in DIR
#   E2E_SUITE=bookworm|trixie|forky  run the host side (DHCP client, product, dockerd) in a
#                  pivoted root of that Debian release (tests/e2e/releases/build-root.sh,
#                  enter-root.sh) instead of the machine's own files; the router stays on the
#                  machine's dhcpd -6. Scenarios whose DHCP client the release lacks say so
#                  ("not on forky: no dhclient") and are not counted.
# Needs root. Without root, or without a needed package, it skips; with CI=true it fails.
set -euo pipefail

E2E=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$E2E/../.." && pwd)
# shellcheck source=tests/e2e/lib.sh
source "$E2E/lib.sh"
# shellcheck source=tests/e2e/lan.sh
source "$E2E/lan.sh"
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
# shellcheck source=tests/e2e/nptv6-dhcpcd.sh
source "$E2E/nptv6-dhcpcd.sh"
# shellcheck source=tests/e2e/dhcpcd-renumber.sh
source "$E2E/dhcpcd-renumber.sh"
# shellcheck source=tests/e2e/networkd.sh
source "$E2E/networkd.sh"
# shellcheck source=tests/e2e/networkd-prefix-file.sh
source "$E2E/networkd-prefix-file.sh"
# shellcheck source=tests/e2e/networkmanager.sh
source "$E2E/networkmanager.sh"

# Every scenario, in the order they run; those about the product itself are left out with
# E2E_HOOK=published.
SCENARIOS=(first-lease renewal reboot renumber-new-router renumber-new-pool two-prefixes release
    broken-binary published-hook daemon-json-first-lease daemon-json-renumber dhcpcd
    dhcpcd-renumber daemon-json-dhcpcd withdraw fallback nptv6 nptv6-dhcpcd networkd
    networkd-prefix-file networkmanager)
PRODUCT_ONLY=(broken-binary daemon-json-first-lease daemon-json-renumber dhcpcd dhcpcd-renumber
    daemon-json-dhcpcd withdraw fallback nptv6 nptv6-dhcpcd networkd networkd-prefix-file
    networkmanager)
# Those that need dhclient (absent from Debian 14); the others run with dhcpcd.
DHCLIENT_ONLY=(first-lease renewal reboot renumber-new-router renumber-new-pool two-prefixes release
    broken-binary published-hook daemon-json-first-lease daemon-json-renumber withdraw fallback nptv6)

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
# The host side runs on the machine's own files, or in a pivoted root of another release.
SUITE=${E2E_SUITE:-}
ROOT=
ON=${SUITE:-this machine}
# The router's tools and the harness's are always the machine's.
MACHINE_TOOLS=(dhcpd:isc-dhcp-server busybox:busybox-static nft:nftables ip:iproute2 ss:iproute2
    nsenter:util-linux unshare:util-linux python3:python3)
# What the host side needs, asked where it runs (the machine, or the tree through hx).
HOST_TOOLS=(dockerd:docker.io docker:docker.io/docker-cli nft:nftables ip:iproute2 ss:iproute2
    dhcpcd:dhcpcd-base ip6tables:iptables unshare:util-linux)
# missing_in RUNNER TOOL:PACKAGE...: the packages whose tool RUNNER (`env` or `hx`) cannot find
missing_in() {
    "$1" sh -c 'for t; do command -v "${t%%:*}" > /dev/null || echo "${t#*:}"; done' sh "${@:2}"
}
if [[ -z $SUITE ]]; then
    MACHINE_TOOLS+=("${HOST_TOOLS[@]}" dhclient:isc-dhcp-client sipcalc:sipcalc)
fi
mapfile -t missing < <(missing_in env "${MACHINE_TOOLS[@]}")
if [[ -z $SUITE ]]; then
    [[ -x /sbin/dhclient-script && -x /etc/init.d/docker && -x /usr/sbin/service ]] ||
        missing+=("isc-dhcp-client/docker.io/init-system-helpers (dhclient-script, init.d/docker, service)")
fi
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
if [[ -n $SUITE ]]; then
    # The release's tree, cached for a week (a cold build takes about a minute and needs
    # debootstrap and the network).
    ROOT=$("$E2E/releases/build-root.sh" "$SUITE") || unable "no root tree of Debian $SUITE (build-root.sh failed)"
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

    # The host's private mount namespace, held open by a sleeping process for the whole suite:
    # a private copy of the machine's, or (E2E_SUITE) one whose root is the release's tree, with
    # the temp dir and the repository bound at the same paths, so that every path stays valid.
    grep -E '^[^ ]+ /sys/fs/cgroup[ /]' /proc/self/mounts > "$T/cgroup-mounts"
    local enter=(unshare -m --propagation private)
    if [[ -n $ROOT ]]; then
        enter=("$E2E/releases/enter-root.sh" --bind "$T:$T" --bind "$REPO:$REPO")
        [[ -z $BINARY || $BINARY == "$REPO"/* ]] || enter+=(--bind "$BINARY:$BINARY")
        # The published hook calls sipcalc; the machine's (it needs only libc) stands in.
        if [[ ! -e $ROOT/usr/bin/sipcalc ]] && command -v sipcalc > /dev/null; then
            enter+=(--bind "$(command -v sipcalc):/usr/bin/sipcalc")
        fi
        enter+=("$ROOT" --)
    fi
    ip netns exec "$HNS" "${enter[@]}" bash -c \
        'bash "$1" "${@:2}" && echo $$ > "$0/holder.pid" && exec sleep infinity' "$T" \
        "$E2E/ns-setup.sh" "$STATE" "$T/ns" "$T/cgroup-mounts" "/$CG_NAME/docker" "$SUITE" \
        >> "$STATE/holder.log" 2>&1 &
    disown
    wait_until 20 test -s "$T/holder.pid" || {
        say "private mount namespace setup failed:"
        cat "$STATE/holder.log"
        return 1
    }
    HOLDER=$(cat "$T/holder.pid")
    if [[ -n $ROOT && $(hx cat /etc/docker-ipv6-pd-e2e-root 2> /dev/null) != "$SUITE" ]]; then
        say "nsenter -t $HOLDER -m does not land in the $SUITE tree (no marker saying $SUITE)"
        return 1
    fi
}
# host_preflight: what the host side needs, asked where it runs; whether it has dhclient; the
# hook directory its dhcpcd-run-hooks reads (moved between dhcpcd releases).
HAS_DHCLIENT=yes
host_preflight() {
    if [[ -n $SUITE ]]; then
        mapfile -t missing < <(missing_in hx "${HOST_TOOLS[@]}")
        hx test -x /etc/init.d/docker -a -x /run/e2e/service.real ||
            missing+=("docker.io/init-system-helpers (init.d/docker, service)")
        ((${#missing[@]} == 0)) || unable "missing packages in the $SUITE tree: $(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')"
        hx sh -c 'command -v dhclient && test -x /sbin/dhclient-script' > /dev/null || HAS_DHCLIENT=
    fi
    local run_hooks
    run_hooks=$(hx sh -c 'for f in /usr/libexec/dhcpcd-run-hooks /usr/lib/dhcpcd/dhcpcd-run-hooks; do
        [ -f "$f" ] && echo "$f" && break; done') || true
    [[ -n $run_hooks ]] || unable "no dhcpcd-run-hooks on $ON"
    DHCPCD_HOOKS=$(hx sh "$E2E/releases/hook-dir.sh" "$run_hooks")
    # shellcheck disable=SC2034 # both read by the dhcpcd scenarios (dhcpcd.sh sets defaults)
    DHCPCD_SHIM=$DHCPCD_HOOKS/62-docker-ipv6-pd DHCPCD_TRACE=$DHCPCD_HOOKS/63-e2e-trace
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
    if [[ -z $HAS_DHCLIENT && " ${DHCLIENT_ONLY[*]} " == *" $id "* ]]; then
        say "=== [$id] not on $SUITE: no dhclient"
        echo "$id" >> "$T/not-here"
        return 0
    fi
    if [[ $id == networkd* ]] && ! networkd_present; then
        say "=== [$id] not on $ON: no systemd-networkd"
        echo "$id" >> "$T/not-here"
        return 0
    fi
    local unfit
    if [[ $id == networkmanager ]] && unfit=$(nm_unfit); then
        say "=== [$id] not on $ON: $unfit"
        echo "$id" >> "$T/not-here"
        return 0
    fi
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
say "e2e: host side on $ON${ROOT:+ (pivoted root $ROOT: $(head -n 1 "${ROOT%/root}/stamp"))}"
setup
host_preflight
say "e2e: router $RNS (up0 ${ROUTER_NET}, $ROUTER_LL), host $HNS (wan0 $HOST_LL), mount ns of pid $HOLDER"
say "e2e: $(hx dockerd --version 2>&1); $(hx dhcpcd --version 2>&1 | head -n 1), hooks in $DHCPCD_HOOKS; $([[ -n $HAS_DHCLIENT ]] && hx dhclient --version 2>&1 || echo 'dhclient absent')"
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
scenario dhcpcd-renumber "dhcpcd, prefix file: first lease and a renumbering (new pool), one restart each, (a)-(d)"
scenario daemon-json-dhcpcd "dhcpcd, daemon.json: first lease and a renumbering (new pool), one restart each, (a)-(d)"
scenario withdraw "on-loss = withdraw: a release empties the file and restarts docker; a new lease brings it back"
scenario fallback "on-loss = fallback: a release moves docker to a ULA /80 with NAT66; a returning prefix undoes it"
scenario nptv6 "target = nptv6: one restart for the wiring; a renumbering maps the container's new public address, no restart"
scenario nptv6-dhcpcd "target = nptv6 with dhcpcd: renumbering, a second network, reboot and withdraw, no docker restart"
scenario networkd "systemd-networkd and the watch, target = nptv6: first lease, renewals, renumbering, no restart"
scenario networkd-prefix-file "systemd-networkd (netplan where present) and the watch, prefix file: one restart per new prefix, (a)-(d), the lease expiring withdraws"
scenario networkmanager "NetworkManager and its dispatcher, prefix file, on-loss = withdraw: first lease, renewals, renumbering, down"
say ""
[[ ! -s $T/not-here ]] || say "e2e: not on $ON (what they need is missing there, as said above): $(paste -sd' ' "$T/not-here")"
[[ ! -s $T/times ]] || say "e2e: wall time per scenario: $(paste -sd, "$T/times" | sed 's/,/, /g')"
say "e2e: $((SECONDS)) s on $ON"
say "$PASSED passed, $FAILED failed"
((FAILED == 0))
