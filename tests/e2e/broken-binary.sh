# shellcheck shell=bash
# e2e suite (tests/e2e/run.sh): the binary missing, failing, or unable to write: dhclient-script
# must still complete its own work. Sourced by run.sh after lib.sh.

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
scenario_broken_binary() { # the binary missing or failing
    start_dhcpd "${POOL_A[@]}" "$DUID_1"
    fresh_host
    broken "binary missing" binary_away binary_back
    broken "binary failing (a stand-in that exits 1)" binary_failing binary_real
    broken "the real binary, /etc/docker read-only, then writable again" docker_dir_ro docker_dir_rw retry
}
