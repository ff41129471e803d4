# shellcheck shell=bash
# e2e suite (tests/e2e/run.sh): a host on the LAN behind the host side's lan0, for the scenarios
# where the host routes a delegated /64 to a LAN of its own (NetworkManager's shared connection,
# systemd-networkd's [DHCPPrefixDelegation]). lan0 is one end of a veth pair (the kernel here may
# have no dummy driver); the other end, lan0p, is the LAN host, in a network namespace of its own
# held by a sleeping process. It takes its address from the RAs the host side sends on lan0, and
# lan_check proves that docker's /80, taken from another /64 of the prefix (subnet-id), stays
# reachable from there. Sourced by run.sh after lib.sh.

LAN_PID=lan-host.pid # in $T: the sleeping process holding the LAN host's network namespace

lx() { nsenter -t "$(cat "$T/$LAN_PID")" -n -- "$@"; } # in the LAN host behind lan0
# lan_host_up: the LAN host's namespace and the veth pair lan0 (host side) / lan0p (LAN host)
lan_host_up() {
    unshare -n sleep infinity &
    echo $! > "$T/$LAN_PID"
    wait_until 5 lx true || return 1
    hx ip link add lan0 type veth peer name lan0p netns "$(cat "$T/$LAN_PID")" || return 1
    lx sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
    lx ip link set lo up
    lx ip link set lan0p up
}
# lan_host_down: the LAN host and lan0 gone (nothing when there is none)
lan_host_down() {
    local pid
    pid=$(cat "$T/$LAN_PID" 2> /dev/null) && kill "$pid" 2> /dev/null
    rm -f "$T/$LAN_PID"
    hx ip link del lan0 2> /dev/null || true
}
lan_addr() { # lan_addr NET: the LAN host's address inside NET (from the RAs on lan0)
    local a
    for a in $(lx ip -6 -o addr show dev lan0p scope global 2> /dev/null | awk '{ sub("/.*", "", $4); print $4 }'); do
        in_net "$a/128" "$1" && echo "$a" && return 0
    done
    return 1
}
lan_pings() { three_tries lx busybox ping6 -c 1 -W 2 "$1" > /dev/null 2>&1; } # lan_pings ADDR
# lan0_addr: lan0's first global address that is not deprecated, ADDR/LEN
lan0_addr() { hx ip -6 -o addr show dev lan0 scope global 2> /dev/null | awk '!/deprecated/ { print $4; exit }'; }
# outside_64 NET80 ADDR/LEN: NET80 lies outside the /64 of ADDR (no ADDR: false)
outside_64() { [[ -n $2 ]] && ! in_net "$1" "${2%/*}/64"; }
# lan_check PREFIX WANT80 WHO: what a host on lan0 makes of the /64 WHO (NetworkManager,
# networkd) gives lan0 and announces there: docker's /80 (WANT80, from another /64 of PREFIX)
# must lie outside it, and the host must reach the router and the container. (With docker's /80
# inside lan0's /64 the host takes a container's address for on-link and asks for it on lan0,
# where no one answers.)
lan_check() {
    local lan64 addr cid hex caddr route router=${ROUTER_NET%/*}
    lan64=$(lan0_addr)
    if ! wait_until 15 lan_addr "$1" > /dev/null; then
        fail "a host on lan0 got an address in $1 from $3's RAs within 15 s"
        return 0
    fi
    addr=$(lan_addr "$1")
    info lan "a host on lan0 took $addr (lan0 ${lan64:-none}; docker0 $(compressed "$2"))"
    check "the host on lan0 pings the router at $router" lan_pings "$router"
    cid=$(hx docker run -d --init --stop-timeout 1 "$IMAGE" sleep 600) || {
        fail "container started"
        return 0
    }
    wait_until 10 container_hex "$cid" > /dev/null || true
    hex=$(container_hex "$cid" || true)
    caddr=$(canonical "$(sed 's/.\{4\}/&:/g; s/:$//' <<< "$hex")" 2> /dev/null || true)
    route=$(lx ip -6 route get "$caddr" 2> /dev/null | head -n 1)
    check "docker's /80 lies outside lan0's /64 ${lan64:-none}" outside_64 "$2" "$lan64"
    check "the host on lan0 pings the container at $caddr ($route)" lan_pings "$caddr"
    hx docker rm -f "$cid" > /dev/null 2>&1 || true
}
