# shellcheck shell=bash
# e2e suite (tests/e2e/run.sh): the real dhcpcd instead of dhclient, through the dhcpcd shim that
# install.sh installs. Sourced by run.sh after lib.sh and wiring.sh.

DHCPCD_SHIM=/usr/lib/dhcpcd/dhcpcd-hooks/62-docker-ipv6-pd
DHCPCD_TRACE=/usr/lib/dhcpcd/dhcpcd-hooks/63-e2e-trace

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
# written by tests/e2e/dhcpcd.sh: DHCPv6 prefix delegation only. The router sends no
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
# host_pids GLOB: every process of the host namespace whose name (comm) matches GLOB
host_pids() {
    local pid
    for pid in $(ip netns pids "$HNS"); do
        # shellcheck disable=SC2053 # GLOB is a pattern
        if [[ $(cat "/proc/$pid/comm" 2> /dev/null) == $1 ]]; then echo "$pid"; fi
    done
}
# host_dhcpcd_pids: every dhcpcd process of the host namespace, its privilege-separated
# helpers included
host_dhcpcd_pids() { host_pids 'dhcpcd*'; }
# stop_dhcpcd: `dhcpcd -x` (STOP6 for the hooks, its routes removed); SIGKILL if it lingers.
# Its helpers can outlive the manager for a moment, holding the DHCPv6 client port a dhclient
# started next must bind: none is left when this returns.
stop_dhcpcd() {
    local pid
    if pid=$(dhcpcd_pid) && [[ -n $pid ]]; then
        hx dhcpcd -6 -x wan0 >> "$STATE/dhcpcd.log" 2>&1 || true
        if ! wait_until 10 eval '! kill -0 "$pid" 2> /dev/null'; then
            kill -KILL "$pid" 2> /dev/null || true
        fi
        hx rm -f "$DHCPCD_PID"
    fi
    if ! wait_until 5 eval '[[ -z $(host_dhcpcd_pids) ]]'; then
        # shellcheck disable=SC2046 # one pid a word
        kill -KILL $(host_dhcpcd_pids) 2> /dev/null || true
        wait_until 5 eval '[[ -z $(host_dhcpcd_pids) ]]' || true
    fi
}

scenario_dhcpcd() {
    begin_scenario
    check "install.sh installed the dhcpcd shim at $DHCPCD_SHIM" hx grep -q "$PRODUCT_BIN" "$DHCPCD_SHIM"
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
