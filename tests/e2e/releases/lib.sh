# shellcheck shell=bash
# shellcheck disable=SC2034 # the constants below are used by probe.sh
# e2e on other Debian releases: the topology probe.sh builds and the helpers it runs commands with.
# A router network namespace running the machine's ISC `dhcpd -6`, and a host network namespace
# whose processes live in a pivoted root of the release under test (enter-root.sh), held open by
# a sleeping process. Every name starts with `roots-`; only 2001:db8::/32 and link-local addresses.
# Globals set by probe.sh: T (temp dir), STATE ($T/state, /state inside the root), ROOT (the tree).

ROUTER_NET=2001:db8:0:1::1/64       # the router's LAN
HOST_UPLINK=2001:db8:0:1::2/64      # the host's address on it: what masquerading shows
POOL=(2001:db8:0:100:: 2001:db8:0:1f0::) # /60s delegated out of this /56
POOL_NET=2001:db8:0:100::/56
DUID=02:00:5e:00:53:01
DOCKER_SOCK=/run/roots-docker/docker.sock # inside the root
IMAGE=roots-busybox

say() { printf '%s\n' "$*"; }
info() { printf '    %-10s %s\n' "$1:" "${*:2}"; }
pass() { say "    ok    $*" && echo "PASS $*" >> "$T/results"; }
fail() { say "    FAIL  $*" && echo "FAIL $*" >> "$T/results"; }
check() { # check DESCRIPTION COMMAND...
    local what=$1
    shift
    if "$@"; then pass "$what"; else fail "$what"; fi
}
need() { # need DESCRIPTION COMMAND...: like check; false when it fails
    local what=$1
    shift
    if "$@"; then pass "$what"; else fail "$what" && return 1; fi
}
wait_until() { # wait_until SECONDS COMMAND...
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.2
    done
}

rx() { ip netns exec "$RNS" "$@"; } # in the router (the machine's own tools)
# hx COMMAND...: in the host, its network namespace and the pivoted root. Refuses to run the
# command unless / there is the tree (its marker), whatever happened to the holder.
hx() {
    nsenter -t "$HOLDER" -m -n -- /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        DOCKER_HOST="unix://$DOCKER_SOCK" /bin/sh -c \
        '[ -f /etc/docker-ipv6-pd-e2e-root ] || { echo "hx: not inside the release root" >&2; exit 125; }; exec "$@"' hx "$@"
}
link_local() { # link_local NS DEV: the usable link-local address, if any
    ip -n "$1" -6 -o addr show dev "$2" scope link | awk '!/tentative/ { sub("/.*", "", $4); print $4; exit }' | grep .
}

# topology: the two namespaces, the veth pair between them, routes, and the holder of the root.
topology() {
    local ns router_ll host_ll
    ip netns add "$RNS"
    ip netns add "$HNS"
    for ns in "$RNS" "$HNS"; do
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
        ip -n "$ns" link set lo up
    done
    ip -n "$RNS" link add up0 type veth peer name wan0 netns "$HNS"
    ip -n "$RNS" addr add "$ROUTER_NET" dev up0 nodad
    ip -n "$HNS" addr add "$HOST_UPLINK" dev wan0 nodad
    ip -n "$RNS" link set up0 up
    ip -n "$HNS" link set wan0 up
    wait_until 10 link_local "$RNS" up0 > /dev/null && wait_until 10 link_local "$HNS" wan0 > /dev/null ||
        { say "no link-local address on the veth pair" && return 1; }
    router_ll=$(link_local "$RNS" up0)
    host_ll=$(link_local "$HNS" wan0)
    ip -n "$RNS" -6 route add "$POOL_NET" via "$host_ll" dev up0 # the delegating router's route
    ip netns exec "$HNS" sysctl -qw net.ipv6.conf.all.forwarding=1
    ip -n "$HNS" -6 route add default via "$router_ll" dev wan0

    ip netns exec "$HNS" "$RELEASES/enter-root.sh" --bind "$STATE:/state" --bind "$RELEASES:/e2e" "$ROOT" -- \
        sh -c 'echo $$ > /state/holder.pid && exec sleep infinity' >> "$STATE/holder.log" 2>&1 &
    disown
    wait_until 20 test -s "$STATE/holder.pid" || {
        say "entering the root failed:" && cat "$STATE/holder.log"
        return 1
    }
    HOLDER=$(cat "$STATE/holder.pid")
}

# start_dhcpd: the machine's dhcpd -6 in the router, delegating /60s out of POOL.
start_dhcpd() {
    cat > "$T/dhcpd6.conf" << EOF
# written by tests/e2e/releases: delegates /60s
server-duid LL ethernet $DUID;
default-lease-time 3600;
preferred-lifetime 1800;
option dhcp6.preference 255;
subnet6 ${ROUTER_NET%::*}::/64 {
    prefix6 ${POOL[0]} ${POOL[1]} /60;
}
EOF
    : > "$T/dhcpd6.leases"
    rx dhcpd -6 -d -cf "$T/dhcpd6.conf" -lf "$T/dhcpd6.leases" -pf "$T/dhcpd6.pid" up0 \
        >> "$STATE/dhcpd.log" 2>&1 &
    disown
    wait_until 10 eval '[[ -n $(rx ss -Hlun "sport = :547") ]]'
}

# ---------------------------------------------------------------- docker in the root
# start_dockerd: the root's dockerd with $STATE/daemon.json as its /etc/docker/daemon.json,
# everything it keeps on the root's /run tmpfs, its containers' cgroups under the probe's own
# cgroup. True once it answers; false when it does not within 60 s or exits first.
start_dockerd() {
    : >> "$STATE/dockerd.log"
    rm -f "$STATE/dockerd.exit"
    echo "--- dockerd with $(tr -d '\n ' < "$STATE/daemon.json")" >> "$STATE/dockerd.log"
    hx sh -c 'cp /state/daemon.json /etc/docker/daemon.json && mkdir -p /run/roots-docker
        dockerd --config-file /etc/docker/daemon.json --data-root /run/roots-docker/data \
            --exec-root /run/roots-docker/exec --pidfile /run/roots-docker/dockerd.pid \
            -H unix:///run/roots-docker/docker.sock >> /state/dockerd.log 2>&1
        echo $? > /state/dockerd.exit' &
    disown
    wait_until 60 eval 'hx docker version > /dev/null 2>&1 || [[ -e $STATE/dockerd.exit ]]'
    hx docker version > /dev/null 2>&1
}
stop_dockerd() {
    local pid
    pid=$(hx cat /run/roots-docker/dockerd.pid 2> /dev/null) || return 0
    kill "$pid" 2> /dev/null || true
    wait_until 30 eval '! kill -0 "$pid" 2> /dev/null' || kill -KILL "$pid" 2> /dev/null || true
    wait_until 10 eval '! kill -0 "$pid" 2> /dev/null'
}
# write_daemon_json JSON-FRAGMENT: daemon.json = the probe's fixed keys + the fragment's keys
write_daemon_json() {
    printf '{\n  "storage-driver": "vfs",\n  "cgroup-parent": "%s"%s\n}\n' "$CG_PARENT" "${1:+,
  $1}" > "$STATE/daemon.json"
}
# make_image: a tiny image from the root's busybox-static (no registry is reachable).
make_image() {
    hx sh -c 'set -e; mkdir -p /tmp/img/bin; cp /bin/busybox /tmp/img/bin/busybox
        for a in sh sleep cat ip nc echo; do ln -sf busybox /tmp/img/bin/$a; done
        tar -C /tmp/img -cf - . | docker import - '"$IMAGE"' > /dev/null'
}
# container_addr CID: the container's global eth0 address
container_addr() {
    hx docker exec "$1" ip -6 -o addr show dev eth0 scope global | awk '{ sub("/.*", "", $4); print $4; exit }' | grep .
}
