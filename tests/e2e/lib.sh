# shellcheck shell=bash
# shellcheck disable=SC2034 # the constants below are used by run.sh
# e2e suite (tests/e2e/run.sh): the helpers its scenarios are written in. Sourced by run.sh:
# running commands in the two namespaces, starting and stopping dhcpd, dhclient and docker,
# reading what the trace hooks (around the enter hook under test) and the `service` stand-in
# recorded, and the assertions.
# Globals set by run.sh: T (temp dir), STATE ($T/state, /run/e2e inside the host namespace),
# RNS (router netns name), HOLDER (pid holding the host's network + private mount namespace).

# ---------------------------------------------------------------- constants of the topology
ROUTER_NET=2001:db8:0:1::1/64       # the router's LAN: inside the first /56 of the /48
POOL_A=(2001:db8:0:100:: 2001:db8:0:1f0::) # /60s out of the second /56 of the /48
POOL_B=(2001:db8:0:200:: 2001:db8:0:2f0::) # the third /56: where renumbering moves the client
POOL_A_NET=2001:db8:0:100::/56
POOL_B_NET=2001:db8:0:200::/56
DUID_1=02:00:5e:00:53:01 # the router's identity (DUID-LL)
DUID_2=02:00:5e:00:53:02 # ... and the identity of a replacement router
T1=4 T2=7                # renew / rebind timers in seconds (lifetimes stay 3600/1800)
LEASES=/var/lib/dhcp/dhclient6.leases # inside the private mount namespace
PREFIX_FILE=/etc/docker/ipv6.prefix   # inside the private mount namespace
IMAGE=e2e-busybox

# ---------------------------------------------------------------- output and assertions
say() { printf '%s\n' "$*"; }
info() { printf '    %-11s %s\n' "$1:" "${*:2}"; }

# pass/fail DESCRIPTION: record one assertion of the current scenario in $RESULTS.
pass() { say "    ok    $*"; echo "PASS $*" >> "$RESULTS"; }
fail() { say "    FAIL  $*"; echo "FAIL $*" >> "$RESULTS"; }
# check DESCRIPTION COMMAND...: pass or fail on the command's status.
check() {
    local what=$1
    shift
    if "$@"; then pass "$what"; else fail "$what"; fi
}
# check_eq DESCRIPTION GOT WANT
check_eq() {
    if [[ $2 == "$3" ]]; then pass "$1"; else fail "$1 (got '$2', want '$3')"; fi
}
# need DESCRIPTION COMMAND...: like check, but ends the scenario when it fails.
need() {
    local what=$1
    shift
    if "$@"; then pass "$what"; else
        fail "$what"
        return 1
    fi
}

# wait_until SECONDS COMMAND...: poll until COMMAND succeeds; false on timeout.
wait_until() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.2
    done
}

# ---------------------------------------------------------------- namespaces
rx() { ip netns exec "$RNS" "$@"; }                # in the router
hx() { nsenter -t "$HOLDER" -m -n -- "$@"; }       # in the host, private mount namespace
hcat() { hx cat "$1" 2> /dev/null | tr -d '\n'; } # a file of the host, no newline; '' if absent
# host_daemon NAME LOG CMD...: CMD in the host's namespaces, in the background, its output
# appended to LOG; the pid of CMD itself (not of the nsenter in front of it, whose death would
# leave CMD running) in $STATE/NAME.pid for stop_host_daemon
host_daemon() {
    local name=$1 log=$2
    shift 2
    hx sh -c 'echo $$ > "/run/e2e/$0.pid" && exec "$@"' "$name" "$@" >> "$log" 2>&1 &
}
# stop_host_daemon NAME: ends what host_daemon NAME started (SIGTERM, SIGKILL after 10 s)
stop_host_daemon() {
    local pid
    pid=$(cat "$STATE/$1.pid" 2> /dev/null) && [[ -n $pid ]] || return 0
    kill "$pid" 2> /dev/null || true
    wait_until 10 eval '! kill -0 "$pid" 2> /dev/null' || kill -9 "$pid" 2> /dev/null || true
    rm -f "$STATE/$1.pid"
}

# ---------------------------------------------------------------- the DHCPv6 server
# start_dhcpd POOL_START POOL_END DUID: a fresh server (empty lease database) delegating /60s,
# valid for DHCPD_VALID seconds (default 3600), preferred for DHCPD_PREFERRED (1800).
start_dhcpd() {
    stop_dhcpd
    drop_renew off 2> /dev/null || true
    cat > "$T/dhcpd6.conf" <<EOF
# written by tests/e2e: delegates /60s, lifetimes as an ISP's router gives them, short T1/T2
server-duid LL ethernet $3;
default-lease-time ${DHCPD_VALID:-3600};
preferred-lifetime ${DHCPD_PREFERRED:-1800};
option dhcp-renewal-time $T1;
option dhcp-rebinding-time $T2;
option dhcp6.preference 255;
subnet6 ${ROUTER_NET%::*}::/64 {
    prefix6 $1 $2 /60;
}
EOF
    : > "$T/dhcpd6.leases"
    echo "--- dhcpd: pool $1 - $2, DUID $3" >> "$STATE/dhcpd.log"
    rx dhcpd -6 -d -cf "$T/dhcpd6.conf" -lf "$T/dhcpd6.leases" -pf "$T/dhcpd6.pid" up0 \
        >> "$STATE/dhcpd.log" 2>&1 &
    wait_until 10 dhcpd_listening || {
        say "dhcpd did not start:"
        tail -n 20 "$STATE/dhcpd.log"
        return 1
    }
}
dhcpd_listening() { [[ -n $(rx ss -Hlun 'sport = :547') ]]; }
stop_dhcpd() {
    local pid
    pid=$(cat "$T/dhcpd6.pid" 2> /dev/null) || return 0
    kill "$pid" 2> /dev/null || true
    wait_until 10 eval '! kill -0 "$pid" 2> /dev/null'
    rm -f "$T/dhcpd6.pid"
}

# drop_renew on|off: drop DHCPv6 Renew (message type 5) at the router, so the client rebinds.
drop_renew() {
    if [[ $1 == on ]]; then
        rx nft -f - <<'EOF'
table inet e2e {
    chain input {
        type filter hook input priority 0;
        udp dport 547 @th,64,8 5 counter drop
    }
}
EOF
    else
        rx nft delete table inet e2e
    fi
}
renews_dropped() { rx nft list table inet e2e | sed -n 's/.*counter packets \([0-9]*\).*/\1/p'; }

# ---------------------------------------------------------------- the DHCPv6 client
# start_dhclient ARGS...: the real dhclient (and /sbin/dhclient-script) in the host namespace,
# e.g. `start_dhclient -P` or `start_dhclient -P -P`. Keeps its lease file between starts.
start_dhclient() {
    printf '%s\n' "$@" > "$STATE/dhclient.args"
    echo "--- dhclient -6 $* -d -v" >> "$STATE/dhclient.log"
    hx dhclient -6 "$@" -d -v -lf "$LEASES" -pf /run/e2e/dhclient6.pid wan0 \
        >> "$STATE/dhclient.log" 2>&1 &
    wait_until 10 test -s "$STATE/dhclient6.pid"
}
dhclient_pid() { cat "$STATE/dhclient6.pid" 2> /dev/null; }
# kill_dhclient: SIGKILL, as a power cut would; no script runs.
kill_dhclient() {
    local pid
    pid=$(dhclient_pid) || return 0
    kill -KILL "$pid" 2> /dev/null || true
    wait_until 10 eval '! kill -0 "$pid" 2> /dev/null'
    rm -f "$STATE/dhclient6.pid"
}
dhclient_running() { local pid; pid=$(dhclient_pid) && kill -0 "$pid" 2> /dev/null; }

# ---------------------------------------------------------------- docker
docker_up() { hx docker version > /dev/null 2>&1; }
# docker_stop: stop dockerd through its init script, behind the restart counter's back.
docker_stop() { hx /etc/init.d/docker stop > /dev/null 2>&1 || true; }
# dockerd_cidr: the --fixed-cidr-v6 the running dockerd was started with.
dockerd_cidr() {
    local pid
    pid=$(hcat /run/docker-ssd.pid) && [[ -n $pid ]] || return 0
    tr '\0' '\n' < "/proc/$pid/cmdline" | sed -n 's/^--fixed-cidr-v6=//p'
}
# ensure_image: a tiny image from busybox-static (no registry is reachable).
ensure_image() {
    hx docker image inspect "$IMAGE" > /dev/null 2>&1 && return 0
    local root=$T/rootfs app
    mkdir -p "$root/bin"
    cp "$(command -v busybox)" "$root/bin/busybox"
    for app in sh sleep cat ip nc echo; do ln -sf busybox "$root/bin/$app"; done
    tar -C "$root" -cf - . | hx docker import - "$IMAGE" > /dev/null
}
# The container the scenarios start: port 80 published (host port 8080), 81 not; each answers
# with its number. --init: it stops at once.
CONTAINER_CMD='nc -ll -p 80 -e echo hello-80 & nc -ll -p 81 -e echo hello-81 & exec sleep 600'
# start_container WANT80: run a container on the default bridge and check that its eth0 has an
# address inside WANT80 (the prefix file's line). Sets CID and ADDR (empty: no address; else in
# its canonical spelling); returns 1 when no container runs.
start_container() {
    local want=$1 hex
    CID='' ADDR=''
    if ! ensure_image; then
        fail "image imported into the restarted docker"
        return 1
    fi
    CID=$(hx docker run -d --init --stop-timeout 1 -p 8080:80 "$IMAGE" sh -c "$CONTAINER_CMD") || {
        fail "container started"
        return 1
    }
    wait_until 10 container_hex "$CID" > /dev/null || true
    hex=$(container_hex "$CID" || true)
    [[ -z $hex ]] || ADDR=$(canonical "$(sed 's/.\{4\}/&:/g; s/:$//' <<< "$hex")")
    info container "eth0 ${ADDR:-<no global address>} (docker0 $(hx ip -6 -o addr show dev docker0 scope global 2> /dev/null | awk '{print $4}'))"
    check "container eth0 has an address inside ${want}" \
        test -n "$hex" -a "${hex:0:20}" = "$(tr -d ':' <<< "${want%/*}" | cut -c1-20)"
}
canonical() { python3 -c 'import ipaddress, sys; print(ipaddress.IPv6Address(sys.argv[1]))' "$1"; }
# container_check WANT80: a container gets an address inside WANT80, the router pings it, and
# (a)-(c) hold at that address (reach_checks; REACH_TAG, e.g. "(d) " after a renumbering).
container_check() {
    start_container "$1" || return 0
    if [[ -n $ADDR ]]; then
        check "router pings the container at $ADDR" router_pings "$ADDR"
        reach_checks "$CID" "$ADDR"
    fi
    hx docker rm -f "$CID" > /dev/null 2>&1 || true
}
REACH_TAG=

# ---------------------------------------------------------------- what the router sees
# reach_checks CID ADDR: what the router sees of a container that answers on ports 80
# (published) and 81 (not), at ADDR (its delegated address, or its public one under nptv6):
# (a) port 80 answers; (b) port 81 answers only where this Docker filters nothing (where it
# filters, an answer is a failure; where it does not, the answer is noted); (c) the container
# connects to the router, which sees ADDR as the source. One info line each.
reach_checks() {
    local cid=$1 addr=$2 tag=${REACH_TAG-} got
    got=$(router_connect "$addr" 80)
    info "${tag}(a)" "router -> [$addr]:80 (published): $got"
    check "${tag}(a) the router reaches the published port at $addr" test "$got" = hello-80
    got=$(router_connect "$addr" 81)
    if docker_filters; then
        info "${tag}(b)" "router -> [$addr]:81 (not published): $got; this Docker filters (ip6tables rules)"
        check "${tag}(b) the unpublished port at $addr is not reachable" test "$got" != hello-81
    else
        info "${tag}(b)" "router -> [$addr]:81 (not published): $got$([[ $got != hello-81 ]] || echo ': reachable, this Docker does not filter')"
    fi
    got=$(source_seen "$cid")
    info "${tag}(c)" "container -> router [${ROUTER_NET%/*}]:9000: the router sees $got"
    check "${tag}(c) the router sees the container's connection come from $addr" test "$got" = "$addr"
}
# router_connect ADDR PORT [TIMEOUT]: the first line the router reads from ADDR:PORT, or what
# went wrong (3 s to connect by default)
router_connect() {
    rx python3 -c 'import socket, sys
try:
    s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=float(sys.argv[3]))
    s.settimeout(3)
    print(s.recv(100).decode().strip() or "connected, nothing read")
except OSError as e:
    print(e)' "$1" "$2" "${3:-3}" 2>&1 | head -n 1
}
# source_seen CID: the source address of the container's connection to the router's port 9000,
# as the router's listener sees it ("no connection" when none came within 8 s)
source_seen() {
    rm -f "$T/peer"
    rx python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET6)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", 9000))
s.listen(1)
s.settimeout(8)
open(sys.argv[1] + ".up", "w").close()
try:
    c, peer = s.accept()
    c.sendall(b"hello-router\n")
    c.close()
    print(peer[0])
except OSError:
    print("no connection")' "$T/peer" > "$T/peer" 2>&1 &
    local listener=$!
    wait_until 5 test -e "$T/peer.up" || true
    hx docker exec "$1" nc -w 3 "${ROUTER_NET%/*}" 9000 < /dev/null > /dev/null 2>&1 || true
    wait "$listener" || true
    rm -f "$T/peer.up"
    head -n 1 "$T/peer"
}
# docker_filters: whether the host's ip6tables has Docker's filter rules (Docker 27+ with
# ip6tables on, or 26 with ip6tables and experimental): then an unpublished port must be closed.
docker_filters() { hx ip6tables-save -t filter 2> /dev/null | grep -q -- '^-A DOCKER'; }
container_hex() { # the container's global eth0 address, 32 hex digits
    local out
    out=$(hx docker exec "$1" cat /proc/net/if_inet6 | awk '$6 == "eth0" && $4 == "00" { print $1; exit }')
    [[ -n $out ]] && echo "$out"
}
router_pings() { three_tries rx busybox ping6 -c 1 -W 2 "$1" > /dev/null 2>&1; }
# three_tries CMD...: CMD until it succeeds, at most three times half a second apart (one ping
# can be lost while neighbour discovery settles)
three_tries() {
    local try
    for try in 1 2 3; do
        "$@" && return 0
        ((try < 3)) && sleep 0.5
    done
    return 1
}

# ---------------------------------------------------------------- what the hooks recorded
# Lines of $STATE/events (see hooks/docker-ipv6-e2e-trace, hooks/zz-e2e-exit):
#   <time> ENTER <reason> iaid=.. new=.. old=.. cur=.. life=MAX/PREF hook_ms=.. left=.. sigpipe=.. file=..
#   <time> EXIT <reason> new=.. old=..
mark() { wc -l < "$STATE/events"; }
since() { tail -n "+$(($1 + 1))" "$STATE/events"; } # since MARK: the lines after MARK
# count_since MARK REGEX
count_since() { since "$1" | grep -cE "$2" || true; }
# wait_events SECONDS MARK N REGEX: until N lines after MARK match REGEX
wait_events() { wait_until "$1" events_at_least "$2" "$3" "$4"; }
events_at_least() { (($(count_since "$1" "$3") >= $2)); } # events_at_least MARK N REGEX
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; } # field NAME < lines
# new_prefix_in NET MARK: the first prefix inside NET, with a non-zero lifetime, since MARK
new_prefix_in() {
    local p
    for p in $(since "$2" | grep ' ENTER ' | grep -v ' life=0/' | field new); do
        [[ $p != - ]] && in_net "$p" "$1" && echo "$p" && return 0
    done
    return 1
}
# show_events MARK [all]: what dhclient-script saw since MARK, one line per call, runs of
# identical calls folded; with `all`, also where dhclient-script completed (EXIT lines). When
# daemon.json has a fixed-cidr-v6 (the daemon.json wiring), it follows the file.
show_events() {
    since "$1" | awk -v all="${2-}" '
        function flush() { if (prev != "") printf "%s%s\n", prev, (n > 1 ? " x" n : ""); prev = ""; n = 0 }
        $2 == "ENTER" {
            line = sprintf("    event:      %-8s %s %s %s%s -> file %s%s", $3, $5, $6, ($7 == "cur=-" ? "" : $7 " "),
                           $8, substr($12, 6), ($13 ~ /^json=[^-]/ ? ", daemon.json " substr($13, 6) : ""))
            if (line == prev) { n++; next }
            flush(); prev = line; n = 1; next
        }
        $2 == "EXIT" && all != "" { flush(); printf "    event:      %-8s dhclient-script completed (exit hooks ran)\n", $3 }
        END { flush() }'
}

restarts() { grep -c ' docker restart' "$STATE/restarts.log" 2> /dev/null || true; }
show_restarts() { # show_restarts FROM: the restarts after the first FROM ones
    tail -n "+$(($1 + 1))" "$STATE/restarts.log" 2> /dev/null |
        awk '{ printf "    restart:    service %s %s: %s, %s\n", $2, $3, $5, $4 }'
}

# ---------------------------------------------------------------- prefixes
# first80 PREFIX: the line the prefix file must hold for PREFIX (its first /80, fully expanded).
first80() {
    local addr=${1%/*} len=${1#*/} head tail i
    local -a h=() t=() g=()
    if [[ $addr == *::* ]]; then head=${addr%%::*} tail=${addr#*::}; else head=$addr tail=; fi
    [[ -n $head ]] && IFS=: read -ra h <<< "$head"
    [[ -n $tail ]] && IFS=: read -ra t <<< "$tail"
    g=("${h[@]}")
    for ((i = ${#h[@]} + ${#t[@]}; i < 8; i++)); do g+=(0); done
    g+=("${t[@]}")
    local out='' bits v
    for ((i = 0; i < 8; i++)); do
        bits=$((len - 16 * i))
        ((bits > 16)) && bits=16
        ((bits < 0)) && bits=0
        v=$((16#${g[i]} & (0xffff << (16 - bits)) & 0xffff))
        ((i >= 5)) && v=0
        out+=$(printf '%04x' "$v")
        ((i < 7)) && out+=:
    done
    echo "$out/80"
}
# subnet80 PREFIX ID: the line the prefix file must hold for PREFIX with subnet-id = ID (the
# first /80 of the prefix's /64 number ID, fully expanded)
subnet80() {
    python3 -c 'import ipaddress, sys
p = ipaddress.IPv6Network(sys.argv[1])
print(ipaddress.IPv6Address(int(p.network_address) + (int(sys.argv[2]) << 64)).exploded + "/80")' "$1" "$2"
}
# in_net ADDR/LEN NET/LEN: whether the prefix lies inside NET (NET's length a multiple of 4)
in_net() {
    local a n nlen=${2#*/}
    a=$(first80 "${1%/*}/128" | tr -d ':')
    n=$(first80 "$2" | tr -d ':')
    [[ ${a:0:$((nlen / 4))} == "${n:0:$((nlen / 4))}" ]]
}
