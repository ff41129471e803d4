#!/usr/bin/env bash
# test-deb-in-root.sh: run by test-deb.sh inside one release's root (enter-root.sh: a pivoted,
# throwaway overlay of the tree; /e2e holds tests/e2e/releases). Installs the package, runs
# the binary, checks where the dhcpcd shim landed, the networkd watch unit and the
# NetworkManager dispatcher, and that nothing restarted or enabled anything, purges the package
# and checks it left nothing and dpkg printed no warning.
# Usage: test-deb-in-root.sh PACKAGE.deb
set -euo pipefail
deb=$1
# Only inside a root of build-root.sh: this script replaces system tools with stubs.
[ -f /etc/docker-ipv6-pd-e2e-root ] || { echo "test-deb-in-root.sh: not inside a release root" >&2; exit 1; }
suite=$(cat /etc/docker-ipv6-pd-e2e-root)
fail() { echo "FAIL ($suite): $*"; exit 1; }
ok() { echo "ok ($suite): $*"; }

# Every way a package could restart docker logs here instead (the root's policy-rc.d would
# silently refuse invoke-rc.d, which would hide the attempt).
for tool in /usr/sbin/service /usr/sbin/invoke-rc.d /usr/bin/systemctl /usr/bin/deb-systemd-invoke; do
    printf '#!/bin/sh\necho "%s $*" >>/tmp/restart-calls\n' "$tool" >"$tool"
    chmod +x "$tool"
done
# Everything on the tree but dpkg's own records and logs; the tree is this test's alone, so
# the two listings differ only by what dpkg did.
listing() {
    find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /run -o -path /tmp \
        -o -path /deb-test -o -path /e2e -o -path /var/lib/dpkg -o -path /var/log \
        -o -path /var/cache \) -prune -o -print | sort
}
listing >/tmp/before

# dpkg -i OUTPUT / dpkg -P OUTPUT: runs dpkg, fails on an error or on any warning it prints.
dpkg_clean() {
    local out
    out=$(dpkg "$@" 2>&1) || fail "dpkg $*: $out"
    if grep -qi warning <<<"$out"; then fail "dpkg $* warned: $out"; fi
}
dpkg_clean -i "$deb"
[[ $(dpkg -s docker-ipv6-pd) == *"Status: install ok installed"* ]] || fail "not installed after dpkg -i"
ok "dpkg -i, without a warning"

bin=/usr/sbin/docker-ipv6-pd
version=$("$bin" --version) || fail "--version exits $?"
[[ $version == "docker-ipv6-pd "* ]] || fail "--version says: $version"
subnet=$("$bin" subnet 2001:db8:100::/60) || fail "subnet exits $?"
[ "$subnet" = 2001:0db8:0100:0000:0000:0000:0000:0000/80 ] || fail "subnet says: $subnet"
status=$("$bin" status) || fail "status exits $?: $status"
grep -q '^delegated: ' <<<"$status" || fail "status says: $status"
json=$("$bin" status --json) || fail "status --json exits $?"
[[ $json == "{"* ]] || fail "status --json says: $json"
# doctor exits 5 exactly when it reports a problem (nothing asks for a prefix here), else 0.
rc=0
doctor=$("$bin" doctor) || rc=$?
problems=$(sed -n 's/^\([0-9][0-9]*\) problem(s).*/\1/p' <<<"$doctor")
[ -n "$problems" ] || fail "doctor printed no summary (exit $rc): $doctor"
if [ "$problems" -gt 0 ]; then want=5; else want=0; fi
[ "$rc" = "$want" ] || fail "doctor found $problems problem(s) but exits $rc"
ok "the binary runs: $version; status 0, doctor $rc with $problems problem(s)"

grep -qx "    $bin" /etc/dhcp/dhclient-enter-hooks.d/docker-ipv6 || fail "the dhclient shim does not call $bin"
read_dir=
for run_hooks in /usr/lib/dhcpcd/dhcpcd-run-hooks /usr/libexec/dhcpcd-run-hooks; do
    [ -f "$run_hooks" ] && read_dir=$(/e2e/hook-dir.sh "$run_hooks") && break
done
[ -n "$read_dir" ] || fail "no dhcpcd-run-hooks names its hook directory"
grep -qx "    $bin --client dhcpcd" "$read_dir/62-docker-ipv6-pd" ||
    fail "no dhcpcd shim calling $bin in $read_dir, where $run_hooks reads hooks"
ok "the dhcpcd shim is in $read_dir, which $run_hooks reads"
[ -f /usr/lib/systemd/system/dhclient6-pd@.service ] || fail "no dhclient6-pd@.service unit"
watch=/usr/lib/systemd/system/docker-ipv6-pd-watch.service
grep -qx "ExecStart=$bin watch --client networkd" "$watch" || fail "$watch does not run $bin watch"
# Enabling is the admin's step: the watch's first read restarts docker.
[ -z "$(find /etc/systemd -name docker-ipv6-pd-watch.service 2>/dev/null)" ] || fail "the watch was enabled"
dispatcher=/etc/NetworkManager/dispatcher.d/90-docker-ipv6-pd
# NetworkManager executes only root's scripts that no one else may write.
[ "$(stat -c '%U %a' "$dispatcher")" = "root 755" ] || fail "$dispatcher is $(stat -c '%U %a' "$dispatcher")"
grep -qx "exec $bin --client networkmanager" "$dispatcher" || fail "$dispatcher does not call $bin"
ok "the watch unit (not enabled) and the NetworkManager dispatcher (root's, 0755) call $bin"

dpkg_clean -P docker-ipv6-pd
dpkg -s docker-ipv6-pd >/dev/null 2>&1 && fail "still known to dpkg after dpkg -P"
listing >/tmp/after
diff /tmp/before /tmp/after || fail "dpkg -P left the differences above"
[ ! -e /tmp/restart-calls ] || fail "something tried to restart a service: $(cat /tmp/restart-calls)"
ok "dpkg -P left nothing and warned about nothing; nothing restarted docker"
