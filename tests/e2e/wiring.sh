# shellcheck shell=bash
# shellcheck disable=SC2034,SC2120 # used and called by the scenario files run.sh sources
# e2e suite (tests/e2e/run.sh): installing the enter hook under test (the product, or the
# published hook), the host as after a reboot, the checks every scenario shares; changing the
# product's configuration and docker's wiring for one scenario, and putting the harness back
# afterwards. Sourced by run.sh after lib.sh. The scenarios of daemon-json.sh, dhcpcd.sh and
# loss-policies.sh start with begin_scenario: they work from the harness as the dhclient
# scenarios leave it, and leave it as those expect (restore_harness): the harness's own
# DOCKER_OPTS and daemon.json, no configuration file, no DHCPv6 client running and docker
# stopped (scenarios that do not build on the one before start with fresh_host, which boots
# docker).

CONF=/etc/docker-ipv6-pd/docker-ipv6-pd.conf
DAEMON_JSON=/etc/docker/daemon.json
DEFAULT_DOCKER=/etc/default/docker
HOST_NET=2001:db8:0:1::2/64 # the host's own global address on wan0 (fallback: NAT66 source)

# ---------------------------------------------------------------- the enter hook under test
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
# holds FILE (default: a ULA /80, as an earlier NAT setup of the machine would have left it)
# and docker was started by its init script, as at boot. With `none`, a machine that never had a
# prefix: no file, and docker could not start at boot (the published hook's DOCKER_OPTS line
# fails without the file under the init script's `set -e`).
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

# ---------------------------------------------------------------- the product and its wiring
# ensure_product: the product installed (the published-hook scenario uninstalls it).
ensure_product() {
    if hx grep -q docker-ipv6-pd "$SHIM" 2> /dev/null && hx test -x "$PRODUCT_BIN"; then
        return 0
    fi
    hx rm -f "$SHIM" # the published hook, if the published-hook scenario left it
    need "install.sh --binary installed the product again (the published-hook scenario removed it)" install_product
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
# restore_harness: as the dhclient scenarios expect it. Also run when a scenario aborts (EXIT
# trap). The DHCPv6 clients and docker stop first, under the scenario's own wiring: no shim may
# run with half of it restored, and /etc/init.d/docker sources DOCKER_OPTS even to stop (the
# harness's backtick line fails, under its `set -e`, while there is no prefix file).
restore_harness() {
    stop_dhcpcd
    kill_dhclient
    docker_stop
    hx rm -f "$CONF" "$DHCPCD_TRACE" /var/lib/docker-ipv6-pd/unfinished
    hx cp /run/e2e/default-docker.orig "$DEFAULT_DOCKER"
    hx cp /run/e2e/daemon.json.orig "$DAEMON_JSON"
    hx ip -6 addr del "$HOST_NET" dev wan0 2> /dev/null || true
    hx sysctl -qw net.ipv6.conf.wan0.accept_ra=1
    hx ip6tables -w -t nat -F POSTROUTING 2> /dev/null || true
    # Docker's own IPv6 rules, where a scenario kept its default (ip6tables on from 27): with
    # docker stopped they stay, and would filter the next scenario's containers (Docker 28's raw
    # rules drop routed packets to them), whose docker has ip6tables off.
    local table
    for table in filter nat raw mangle; do
        hx ip6tables -w -t "$table" -F 2> /dev/null || true
        hx ip6tables -w -t "$table" -X 2> /dev/null || true
    done
    hx ip6tables -w -P FORWARD ACCEPT 2> /dev/null || true
}
# begin_scenario: the product installed, the harness restored now and when the scenario ends;
# renew/rebind after 2/4 s (each scenario runs in a subshell of its own: the dhclient scenarios
# keep 4/7).
begin_scenario() {
    # shellcheck disable=SC2034 # T2 is read by start_dhcpd (lib.sh)
    T1=2 T2=4
    ensure_product
    trap restore_harness EXIT
    restore_harness
}
SCENARIO= # the running scenario's name, set by run.sh's `scenario`

# bridge_v6: what the running dockerd made of its configuration: "IPV6-ON SUBNETS..."
bridge_v6() {
    hx docker network inspect bridge --format '{{.EnableIPv6}}{{range .IPAM.Config}} {{.Subnet}}{{end}}' 2> /dev/null
}
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
