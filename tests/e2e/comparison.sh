# shellcheck shell=bash
# e2e suite (tests/e2e/run.sh): the published hook (tests/e2e/published-hook) through the same
# harness, with the differences from the product it shows. Sourced by run.sh after lib.sh.

scenario_published_hook() { # the published hook through the same harness
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
    since "$m" | grep ' ENTER RENEW6 ' | field hook_ms > "$T/results/published-hook.ms"
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
    info left "$(field left <<< "$line") (variables the published hook leaves in dhclient-script)"
    info fds "$(head -n 1 "$STATE/restarts.log" | field inherited_fds) (dhclient's descriptors inherited by service/dockerd)"
    info hook_ms "first lease $(field hook_ms <<< "$line") ms (product: $(cat "$T/results/first-lease.ms" 2> /dev/null || echo -) ms, both including the docker restart)"
    info hook_ms "renewal $(paste -sd/ "$T/results/published-hook.ms") ms (product: $(paste -sd/ "$T/results/renewal.ms" 2> /dev/null || echo -) ms)"
    info renumber "file went back to the withdrawn prefix $back time(s) after moving; $renumbered restart(s)"
    info two "-P -P: $r1 restart(s) for the first exchange, then the file changed $flips time(s) in $(count_since "$m" ' ENTER RENEW6 ') renewals"
}
