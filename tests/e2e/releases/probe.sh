#!/bin/bash
# e2e on other Debian releases: proves that a release's own dockerd, docker CLI and dhcpcd run in a
# pivoted root of that release (build-root.sh, enter-root.sh) inside network namespaces, and
# records how its Docker treats traffic to and from a container addressed out of a DHCPv6
# delegated prefix: (a) a published port reached at the container's own address from the router,
# (b) an unpublished port, (c) the source address the router sees when the container connects out,
# (p) whether the router can ping the container, (a') the published port at the host's address.
# Checks count as passed/failed; (a)-(c) are observations, printed as `seen` lines and kept in
# the logs with ip6tables-save and nft list ruleset of the host. Last line: "N passed, N failed".
#
# Usage: bash tests/e2e/releases/probe.sh SUITE     SUITE = bookworm | trixie | forky
#   E2E_ROOTS_LOGS=DIR  keep the logs (dhcpd, dhcpcd trace, dockerd, rule sets) in DIR
#   E2E_ROOTS_BINARY=PATH  also install this built docker-ipv6-pd into the root with install.sh
#                  and check that the release's dhcpcd runs it and docker follows (product.sh)
# Needs root, and the machine's isc-dhcp-server, busybox-static and iproute2 for the router.
set -euo pipefail

RELEASES=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/e2e/releases/lib.sh
source "$RELEASES/lib.sh"
# shellcheck source=tests/e2e/releases/product.sh
source "$RELEASES/product.sh"
# shellcheck source=tests/e2e/cgroup.sh
source "$RELEASES/../cgroup.sh"
# shellcheck disable=SC2034 # read by product.sh
REPO=$(cd "$RELEASES/../../.." && pwd)
SUITE=${1:?usage: probe.sh bookworm|trixie|forky}
((EUID == 0)) || { say "probe.sh: needs root" && exit 1; }
for tool in dhcpd busybox ip ss nsenter unshare python3; do
    command -v "$tool" > /dev/null || { say "probe.sh: the machine lacks $tool" && exit 1; }
done

started=$SECONDS
ROOT=$("$RELEASES/build-root.sh" "$SUITE")
info root "$ROOT ready after $((SECONDS - started))s"

# ---------------------------------------------------------------- cleanup, always
ID=$$
RNS=roots-router-$ID
HNS=roots-host-$ID
CG_NAME=roots-probe-$ID
CG='' CG_HOME='' HOLDER='' T=''
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    set +eu
    [[ -n ${E2E_ROOTS_LOGS:-} && -n $T ]] && mkdir -p "$E2E_ROOTS_LOGS" && cp -r "$STATE/." "$E2E_ROOTS_LOGS/"
    # Everything started here is in the probe's cgroup: kill it all.
    [[ -z $CG ]] || empty_cgroup "$CG" "$CG_HOME" "$CG_NAME"
    ip netns delete "$RNS" 2> /dev/null
    ip netns delete "$HNS" 2> /dev/null
    [[ -z $T ]] || rm -rf --one-file-system "$T"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
T=$(mktemp -d /tmp/roots-probe.XXXXXX)
STATE=$T/state
mkdir -p "$STATE"
: > "$T/results"

if [[ -f /sys/fs/cgroup/cgroup.procs && ! -d /sys/fs/cgroup/pids ]]; then
    cg_root=/sys/fs/cgroup
    CG_HOME=$cg_root$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)/cgroup.procs
else
    cg_root=/sys/fs/cgroup/pids
    CG_HOME=$cg_root$(awk -F: '$2 == "pids" { print $3 }' /proc/self/cgroup)/cgroup.procs
fi
CG_HOME=${CG_HOME/\/\//\/}
mkdir "$cg_root/$CG_NAME" "$cg_root/$CG_NAME/probe"
CG=$cg_root/$CG_NAME
echo $$ > "$CG/probe/cgroup.procs"
# shellcheck disable=SC2034 # read by write_daemon_json in lib.sh
CG_PARENT=/$CG_NAME/docker

# ---------------------------------------------------------------- the root
say "== $SUITE: the pivoted root"
step=$SECONDS
need "topology up, host side entered into the root" topology || exit 1
info entered "in $((SECONDS - step))s; holder pid $HOLDER"
check "the holder has its own mount namespace" \
    test "$(readlink "/proc/$HOLDER/ns/mnt")" != "$(readlink /proc/self/ns/mnt)"
check "nsenter -m -t HOLDER lands on the tree (marker says $SUITE)" \
    test "$(hx cat /etc/docker-ipv6-pd-e2e-root)" = "$SUITE"
check "nsenter -m -t HOLDER sees an overlay as /" \
    test "$(hx awk '$2 == "/" { fs = $3 } END { print fs }' /proc/self/mounts)" = overlay
hx sh -c 'echo written-inside > /etc/roots-write-test'
check "a write to /etc inside is seen inside" test "$(hx cat /etc/roots-write-test)" = written-inside
check "... and not in the cached tree" test ! -e "$ROOT/etc/roots-write-test"
check "... and not in the machine's /etc" test ! -e /etc/roots-write-test
info versions "$(hx dockerd --version); $(hx dhcpcd --version | head -n 1); dhclient $(hx sh -c 'command -v dhclient || echo absent')"

# ---------------------------------------------------------------- dhcpcd
say "== $SUITE: dhcpcd from the root, prefix from the machine's dhcpd -6"
need "dhcpd -6 listening in the router" start_dhcpd || exit 1
run_hooks=$(hx sh -c 'for f in /usr/libexec/dhcpcd-run-hooks /usr/lib/dhcpcd/dhcpcd-run-hooks; do [ -f $f ] && echo $f && break; done')
hookdir=$(hx /e2e/hook-dir.sh "$run_hooks")
info hooks "$run_hooks reads $hookdir"
check "dhcpcd-run-hooks names a hook directory that exists" hx test -d "$hookdir"
hx install -m 0644 /e2e/trace-hook "$hookdir/99-roots-trace"
cat > "$STATE/dhcpcd.conf" << 'EOF'
# written by tests/e2e/releases: DHCPv6 prefix delegation only, no router solicitation
nodelay
noipv6rs
interface wan0
    ia_pd 1
EOF
: > "$STATE/dhcpcd-trace"
hx unshare -u dhcpcd -6 -B -d -f /state/dhcpcd.conf wan0 >> "$STATE/dhcpcd.log" 2>&1 &
disown
need "dhcpcd got a prefix and ran the trace hook (BOUND6) within 30 s" \
    wait_until 30 grep -q '^reason=BOUND6' "$STATE/dhcpcd-trace" || exit 1
PREFIX=$(sed -n 's/^new_dhcp6_ia_pd1_prefix1=//p' "$STATE/dhcpcd-trace" | head -n 1)
PLEN=$(sed -n 's/^new_dhcp6_ia_pd1_prefix1_length=//p' "$STATE/dhcpcd-trace" | head -n 1)
info trace "$(sed -n '/^reason=BOUND6/,/^$/p' "$STATE/dhcpcd-trace" | tr '\n' ' ')"
check "the delegated prefix $PREFIX/$PLEN lies in the router's pool $POOL_NET" addr_in "$PREFIX" "$POOL_NET"
FIXED80=$PREFIX/80
base=${PREFIX%%::*}
NET64=${base%:*}:$(printf '%x' $((16#${base##*:} + 1)))::/64 # the second /64 of the prefix

# ---------------------------------------------------------------- docker: (a)-(c)
# observe CASE NETWORK-ARGS...: a container with port 80 published (host port 8080) and 81 not;
# what the router sees. Keeps the rule sets in $STATE/rules-CASE.
observe() {
    local case=$1 cid addr out peer
    shift
    cid=$(hx docker run -d "$@" -p 8080:80 "$IMAGE" sh -c \
        'nc -ll -p 80 -e echo hello-80 & nc -ll -p 81 -e echo hello-81 & exec sleep 600') || {
        fail "$case: container started" && return 0
    }
    pass "$case: container started"
    wait_until 10 container_addr "$cid" > /dev/null || true
    addr=$(container_addr "$cid" || true)
    info address "${addr:-none} (docker0: $(hx ip -6 -o addr show scope global | awk '$2 != "wan0" { printf "%s %s ", $2, $4 }'))"
    [[ -n $addr ]] || { fail "$case: container has a global address" && return 0; }
    sleep 1
    out=$(rx busybox nc -w 3 "$addr" 80 < /dev/null 2>&1 || true)
    info seen "$case (a) router -> [$addr]:80 (published): ${out:-no answer}" | tee -a "$STATE/seen"
    out=$(rx busybox nc -w 3 "$addr" 81 < /dev/null 2>&1 || true)
    info seen "$case (b) router -> [$addr]:81 (not published): ${out:-no answer}" | tee -a "$STATE/seen"
    if rx busybox ping6 -c 1 -W 2 "$addr" > /dev/null 2>&1; then out=answers; else out='no answer'; fi
    info seen "$case (p) router pings $addr: $out" | tee -a "$STATE/seen"
    out=$(rx busybox nc -w 3 "${HOST_UPLINK%/*}" 8080 < /dev/null 2>&1 || true)
    info seen "$case (a') router -> [${HOST_UPLINK%/*}]:8080 (host's port): ${out:-no answer}" | tee -a "$STATE/seen"
    rx sh -c 'sleep 6 | busybox nc -l -p 9000' > /dev/null 2>&1 & # holds the connection open
    sleep 0.5
    hx docker exec "$cid" sh -c "sleep 4 | nc -w 3 ${ROUTER_NET%/*} 9000" > "$STATE/c-$case.out" 2>&1 &
    peer=''
    wait_until 5 eval 'peer=$(rx ss -Htn state established "( sport = :9000 )" | awk "{ print \$4; exit }"); [[ -n $peer ]]' || true
    stop_listener
    wait
    [[ -n $peer ]] || peer="no connection: $(tr '\n' ' ' < "$STATE/c-$case.out")"
    info seen "$case (c) container -> router: router sees ${peer:-no connection}" | tee -a "$STATE/seen"
    {
        echo "### $case: $(tr -d '\n ' < "$STATE/daemon.json")"
        hx ip6tables-save 2>&1
        echo "### nft list ruleset"
        hx nft list ruleset 2>&1
    } > "$STATE/rules-$case"
    hx docker rm -f "$cid" > /dev/null 2>&1 || true
}
# stop_listener: ends the router's listener, which waits on when no connection came; only the
# probe's own router namespace holds it.
stop_listener() {
    local pid
    for pid in $(ip netns pids "$RNS"); do
        case $(cat "/proc/$pid/comm" 2> /dev/null) in busybox | sleep) kill "$pid" 2> /dev/null || true ;; esac
    done
    wait_until 5 eval '[[ -z $(rx ss -Htln "sport = :9000") ]]'
}
# restart_docker CASE DAEMON-JSON-KEYS: dockerd again, with those keys in daemon.json
restart_docker() {
    say "== $SUITE: docker, $1"
    stop_dockerd
    # A stopped dockerd leaves its rules behind (a later "ip6tables": false would still see the
    # MASQUERADE and the DROPs of the run before): every case starts from an empty rule set.
    hx nft flush ruleset
    write_daemon_json "$2"
    need "$1: dockerd started" start_dockerd || {
        tail -n 5 "$STATE/dockerd.log"
        return 1
    }
    hx docker image inspect "$IMAGE" > /dev/null 2>&1 || need "$1: image imported" make_image
}
docker_case() { restart_docker "$1" "$2" && observe "$1"; } # docker_case CASE DAEMON-JSON-KEYS
v6="\"ipv6\": true, \"fixed-cidr-v6\": \"$FIXED80\""
docker_case default "$v6"
# What tests/e2e/ns-setup.sh gives the main suite's dockerd: no iptables at all.
docker_case no-iptables "$v6, \"iptables\": false"
case $SUITE in
    trixie)
        docker_case ip6tables "$v6, \"ip6tables\": true, \"experimental\": true"
        say "== $SUITE: docker, ip6tables without experimental"
        stop_dockerd
        write_daemon_json "$v6, \"ip6tables\": true"
        if start_dockerd; then
            fail "dockerd 26 refuses \"ip6tables\": true without \"experimental\""
        else
            pass "dockerd 26 refuses \"ip6tables\": true without \"experimental\""
            info seen "$(grep -v '^---' "$STATE/dockerd.log" | tail -n 1)" | tee -a "$STATE/seen"
        fi
        ;;
    forky)
        docker_case allow-direct-routing "$v6, \"allow-direct-routing\": true"
        docker_case no-ip6tables "$v6, \"ip6tables\": false"
        if restart_docker routed-network "$v6" && hx docker network create --ipv6 --subnet "$NET64" \
            -o com.docker.network.bridge.gateway_mode_ipv6=routed roots-routed > /dev/null; then
            pass "routed network $NET64 created"
            observe routed-network --network roots-routed
        else
            fail "routed network $NET64 created"
        fi
        ;;
esac
if [[ -n ${E2E_ROOTS_BINARY:-} ]]; then
    product_smoke "$(realpath "$E2E_ROOTS_BINARY")"
fi
stop_dockerd

passed=$(grep -c '^PASS' "$T/results" || true)
failed=$(grep -c '^FAIL' "$T/results" || true)
info time "$((SECONDS - started))s in all"
say "$passed passed, $failed failed"
((failed == 0))
