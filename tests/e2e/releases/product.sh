# shellcheck shell=bash
# shellcheck disable=SC2154 # hookdir, PLEN, REPO... are probe.sh's
# e2e on other Debian releases: a smoke run of the product inside a release root, sourced by
# probe.sh when E2E_ROOTS_BINARY names a built docker-ipv6-pd. install.sh installs it into the
# root (its overlay, never the machine); the release's dhcpcd gets a lease again; the product's
# dhcpcd hook must write the first /80 of the prefix to /etc/docker/ipv6.prefix and restart
# docker through `service docker restart`, i.e. the release's /etc/init.d/docker, with the
# sysvinit wiring DOCKER_OPTS="--ipv6 --fixed-cidr-v6=`cat /etc/docker/ipv6.prefix`".
# Uses probe.sh's globals (REPO, STATE, PREFIX, PLEN, hookdir, CG_PARENT) and lib.sh's helpers.

# same_net A B: whether two IPv6 prefixes are the same network, however they are written
same_net() {
    python3 -c 'import ipaddress, sys; sys.exit(ipaddress.ip_network(sys.argv[1]) != ipaddress.ip_network(sys.argv[2]))' "$1" "$2" 2> /dev/null
}
# addr_in ADDR NET: whether the address lies inside the network
addr_in() {
    python3 -c 'import ipaddress, sys; sys.exit(ipaddress.ip_address(sys.argv[1]) not in ipaddress.ip_network(sys.argv[2]))' "$1" "$2" 2> /dev/null
}

# dhcpcd_again keep|fresh: stop dhcpcd (STOP6) and start it again, with or without the lease it
# saved; true once its hooks saw a lease (BOUND6, REBIND6 or REBOOT6). The trace lines of this
# start go to $STATE/dhcpcd-again; PREFIX is the prefix of the last lease.
dhcpcd_again() {
    local n
    n=$(wc -l < "$STATE/dhcpcd-trace")
    hx dhcpcd -6 -x wan0 >> "$STATE/dhcpcd.log" 2>&1 || true
    sleep 1
    [[ $1 == keep ]] || hx sh -c 'rm -f /var/lib/dhcpcd/*.lease6'
    hx unshare -u dhcpcd -6 -B -d -f /state/dhcpcd.conf wan0 >> "$STATE/dhcpcd.log" 2>&1 &
    disown
    need "dhcpcd ($1 lease) has a lease again (BOUND6, REBIND6 or REBOOT6)" wait_until 30 eval \
        'tail -n "+$((n + 1))" "$STATE/dhcpcd-trace" | grep -qE "^reason=(BOUND6|REBIND6|REBOOT6)$"' ||
        return 1
    tail -n "+$((n + 1))" "$STATE/dhcpcd-trace" > "$STATE/dhcpcd-again"
    info event "$(grep '^reason=' "$STATE/dhcpcd-again" | tr '\n' ' ')"
    PREFIX=$(sed -n 's/^new_dhcp6_ia_pd1_prefix1=//p' "$STATE/dhcpcd-trace" | tail -n 1)
}

product_smoke() {
    local binary=$1 file cidr addr out
    say "== $SUITE: the product, installed in the root by install.sh"
    stop_dockerd
    hx nft flush ruleset
    mkdir -p "$STATE/repo"
    cp -r "$REPO/install.sh" "$REPO/hooks" "$STATE/repo/"
    cp "$binary" "$STATE/repo/docker-ipv6-pd"
    check "install.sh ran in the root" \
        hx sh -c 'cd /state/repo && ./install.sh --binary /state/repo/docker-ipv6-pd > /state/install.log 2>&1'
    sed 's/^/    install:   /' "$STATE/install.log"
    if ! need "install.sh put the dhcpcd hook where this dhcpcd reads hooks ($hookdir)" \
        hx sh -c "grep -l docker-ipv6-pd $hookdir/* > /dev/null 2>&1"; then
        hx install -m 0644 /state/repo/hooks/dhcpcd-hook "$hookdir/62-docker-ipv6-pd"
        info note "copied hooks/dhcpcd-hook to $hookdir/62-docker-ipv6-pd by hand to go on"
    fi

    # Every run of the product through its hook leaves its stderr and exit status in the logs
    # (there is no syslog in the root): the installed binary moves aside for a wrapper.
    hx sh -c 'mv /usr/local/sbin/docker-ipv6-pd /usr/local/sbin/docker-ipv6-pd.real &&
        printf "%s\n" "#!/bin/sh" "# e2e: records each run of the product" \
            "echo \"--- \$(date +%T) \${reason:-} \$*\" >> /state/product-runs.log" \
            "/usr/local/sbin/docker-ipv6-pd.real \"\$@\" 2>> /state/product-runs.log" \
            "echo \"exit \$?\" >> /state/product-runs.log" > /usr/local/sbin/docker-ipv6-pd &&
        chmod 0755 /usr/local/sbin/docker-ipv6-pd'

    # The sysvinit wiring, as tests/e2e/ns-setup.sh sets it up; dockerd's own paths are the
    # init script's, all inside the root's overlay and /run tmpfs.
    # shellcheck disable=SC2016 # the backticks are for /etc/init.d/docker
    printf '%s\n' 'DOCKER_OPTS="--ipv6 --fixed-cidr-v6=`cat /etc/docker/ipv6.prefix`"' > "$STATE/default-docker"
    write_daemon_json '"ip6tables": false'
    hx sh -c 'cp /state/default-docker /etc/default/docker && cp /state/daemon.json /etc/docker/daemon.json &&
        rm -f /etc/docker/ipv6.prefix &&
        echo "cgroup /sys/fs/cgroup cgroup noauto 0 0 # mounted by enter-root.sh" >> /etc/fstab'
    # The init script raises its limits (ulimit -n 1048576, -u/-p unlimited) under `set -e`; in a
    # sandbox without CAP_SYS_RESOURCE that fails, and there only the root's copy keeps what it gets.
    if ! hx sh -c 'ulimit -n 1048576 && ulimit -u unlimited' 2> /dev/null; then
        hx sed -i 's/^\([[:space:]]*ulimit -[nup] [0-9a-z]*\)$/\1 || true/' /etc/init.d/docker
        info note "no CAP_SYS_RESOURCE here: the root's /etc/init.d/docker ignores its failing ulimit calls"
    fi
    # shellcheck disable=SC2034 # read by hx in lib.sh: the init script's dockerd from now on
    DOCKER_SOCK=/run/docker.sock

    # 1. dhcpcd stopped and started again, its lease kept: it rebinds that lease (REBIND6). The
    # file is missing, docker is not running: what does the product make of it?
    dhcpcd_again keep || return 0
    wait_until 15 hx test -s /etc/docker/ipv6.prefix || true
    file=$(hx cat /etc/docker/ipv6.prefix 2> /dev/null || true)
    info file "/etc/docker/ipv6.prefix: ${file:-<none>} (prefix $PREFIX/$PLEN)"
    check "the product wrote the first /80 of $PREFIX/$PLEN" same_net "${file:-none}" "$PREFIX/80"
    if wait_until 20 eval 'hx docker version > /dev/null 2>&1'; then out='docker was started'; else
        out='docker was not started'
    fi
    info seen "restarted dhcpcd, lease kept: $(grep '^reason=' "$STATE/dhcpcd-again" | tr '\n' ' ')-> $out" |
        tee -a "$STATE/seen"
    # 2. The same with its lease file removed: a new lease (BOUND6), which must restart docker.
    hx /etc/init.d/docker stop > /dev/null 2>&1 || true
    dhcpcd_again fresh || return 0
    need "docker answers after the product's restart" wait_until 60 eval 'hx docker version > /dev/null 2>&1' || {
        {
            echo "--- docker-ipv6-pd status"
            hx /usr/local/sbin/docker-ipv6-pd status
            echo "--- service docker start, by hand"
            hx service docker start
            echo "--- /var/log/docker.log"
            hx tail -n 20 /var/log/docker.log
            echo "--- runs of the product"
            cat "$STATE/product-runs.log"
        } > "$STATE/product-diagnosis" 2>&1
        sed 's/^/    diagnosis: /' "$STATE/product-diagnosis"
        return 0
    }
    sed 's/^/    product:   /' "$STATE/product-runs.log"
    cidr=$(hx sh -c 'tr "\0" "\n" < /proc/$(cat /var/run/docker.pid)/cmdline' | sed -n 's/^--fixed-cidr-v6=//p')
    check "dockerd runs with --fixed-cidr-v6=$cidr from the file" test -n "$cidr" -a "$cidr" = "$file"
    hx docker image inspect "$IMAGE" > /dev/null 2>&1 || make_image
    local cid
    cid=$(hx docker run -d "$IMAGE" sleep 120) || { fail "a container runs" && return 0; }
    wait_until 10 container_addr "$cid" > /dev/null || true
    addr=$(container_addr "$cid" || true)
    info address "${addr:-none}"
    check "the container's address lies in the /80" addr_in "${addr:-::}" "${file:-none}"
    check "the router pings the container" eval 'rx busybox ping6 -c 1 -W 2 "${addr:-::1}" > /dev/null 2>&1'
    hx docker rm -f "$cid" > /dev/null 2>&1 || true
    hx /etc/init.d/docker stop > /dev/null 2>&1 || true
    hx cat /var/log/docker.log > "$STATE/docker-initd.log" 2>&1 || true
}
