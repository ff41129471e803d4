#!/usr/bin/env bash
# test-deb.sh: proves the .deb on a throwaway copy of this machine: an overlay of / with a
# tmpfs upper layer, entered by chroot in a private mount namespace, so the real system is
# never touched. Checks the package's file list, installs it (dpkg -i), runs the binary,
# checks that no maintainer script restarts docker, purges it (dpkg -P) and checks that
# nothing it installed is left. Usage: packaging/test-deb.sh target/debian/X.deb
set -euo pipefail
deb=$(readlink -f "$1")
[ "$(id -u)" -eq 0 ] || { echo "test-deb.sh: run as root" >&2; exit 1; }

expected='./etc/dhcp/dhclient-enter-hooks.d/docker-ipv6
./usr/lib/dhcpcd/dhcpcd-hooks/62-docker-ipv6-pd
./usr/lib/systemd/system/dhclient6-pd@.service
./usr/libexec/dhcpcd-hooks/62-docker-ipv6-pd
./usr/sbin/docker-ipv6-pd
./usr/share/bash-completion/completions/docker-ipv6-pd
./usr/share/doc/docker-ipv6-pd/README.md
./usr/share/doc/docker-ipv6-pd/copyright
./usr/share/doc/docker-ipv6-pd/examples/post-change.d/ndppd
./usr/share/doc/docker-ipv6-pd/examples/post-change.d/nsupdate-aaaa
./usr/share/fish/vendor_completions.d/docker-ipv6-pd.fish
./usr/share/man/man8/docker-ipv6-pd.8.gz
./usr/share/zsh/vendor-completions/_docker-ipv6-pd'
files=$(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print $6}' | sort)
if [ "$files" != "$expected" ]; then
    echo "FAIL: file list differs:"; diff <(echo "$expected") <(echo "$files") || true; exit 1
fi
echo "ok: file list ($(echo "$files" | wc -l) files)"
conffiles=$(dpkg-deb -f "$deb" Package >/dev/null && dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)
[ "$conffiles" = /etc/dhcp/dhclient-enter-hooks.d/docker-ipv6 ] || { echo "FAIL: conffiles: $conffiles"; exit 1; }
echo "ok: the dhclient shim is the only conffile"
scripts=$(dpkg-deb --ctrl-tarfile "$deb" | tar -t | grep -E 'preinst|postinst|prerm|postrm' || true)
[ -z "$scripts" ] || { echo "FAIL: maintainer scripts present: $scripts"; exit 1; }
echo "ok: no maintainer scripts, so installing or removing never restarts docker"

work=$(mktemp -d)
mkdir -p "$work/t"
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
cp "$deb" "$work/pkg.deb"
# shellcheck disable=SC2016 # the script below is expanded by the inner bash
unshare --mount --propagation private bash -euo pipefail -c '
work=$1
mount -t tmpfs tmpfs "$work/t"
mkdir -p "$work/t/upper" "$work/t/work" "$work/root"
mount -t overlay overlay -o "lowerdir=/,upperdir=$work/t/upper,workdir=$work/t/work" "$work/root"
for d in proc dev sys; do mount --rbind "/$d" "$work/root/$d"; done
mount -t tmpfs tmpfs "$work/root/tmp"
cp "$work/pkg.deb" "$work/root/tmp/pkg.deb"
# A service that would show any restart attempt.
printf "#!/bin/sh\necho \"\$*\" >>/tmp/service-calls\n" >"$work/root/usr/sbin/service"
chmod +x "$work/root/usr/sbin/service"
# The listings leave out what other processes on this machine change while the test runs
# (work trees and build output under /work, /root and /home; caches, logs, temp files): the
# lower layer of the overlay is the live /.
before=$(mktemp)
chroot "$work/root" sh -c "find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /tmp -o -path /var/lib/dpkg -o -path /var/log -o -path /var/cache -o -path /run -o -path /work -o -path /root -o -path /home -o -path /var/tmp \) -prune -o -print | sort" >"$before"
chroot "$work/root" dpkg -i /tmp/pkg.deb >/dev/null
chroot "$work/root" sh -c "dpkg -s docker-ipv6-pd | grep -q \"Status: install ok installed\""
echo "ok: dpkg -i"
out=$(chroot "$work/root" /usr/sbin/docker-ipv6-pd subnet 2001:db8:100::/60)
[ "$out" = 2001:0db8:0100:0000:0000:0000:0000:0000/80 ] || { echo "FAIL: installed binary said $out"; exit 1; }
chroot "$work/root" grep -q "^    /usr/sbin/docker-ipv6-pd$" /etc/dhcp/dhclient-enter-hooks.d/docker-ipv6
for dir in /usr/lib/dhcpcd/dhcpcd-hooks /usr/libexec/dhcpcd-hooks; do
    chroot "$work/root" grep -q "^    /usr/sbin/docker-ipv6-pd --client dhcpcd$" "$dir/62-docker-ipv6-pd"
done
echo "ok: the installed binary runs, every shim calls /usr/sbin/docker-ipv6-pd"
chroot "$work/root" sh -c "dpkg-deb -f /tmp/pkg.deb Recommends" | grep -qx "isc-dhcp-client | dhcpcd-base"
echo "ok: recommends a DHCPv6 client, dhclient or dhcpcd"
chroot "$work/root" dpkg -P docker-ipv6-pd >/dev/null
after=$(mktemp)
chroot "$work/root" sh -c "find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /tmp -o -path /var/lib/dpkg -o -path /var/log -o -path /var/cache -o -path /run -o -path /work -o -path /root -o -path /home -o -path /var/tmp \) -prune -o -print | sort" >"$after"
if ! diff "$before" "$after"; then echo "FAIL: dpkg -P left the differences above"; exit 1; fi
[ ! -e "$work/root/tmp/service-calls" ] || { echo "FAIL: service was called: $(cat "$work/root/tmp/service-calls")"; exit 1; }
echo "ok: dpkg -P left nothing behind, and docker was never restarted"
' _ "$work"
