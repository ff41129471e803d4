#!/usr/bin/env bash
# test-deb.sh: proves the .deb on Debian 12, 13 and 14. Checks the package's file list and
# control data once, then in each release's cached root (tests/e2e/releases/build-root.sh
# builds or reuses it) runs packaging/test-deb-in-root.sh, through enter-root.sh: pivot_root
# onto a throwaway overlay of the tree, so neither the cached tree nor this machine keeps
# anything. There it installs the package (dpkg -i), runs the binary, checks the dhcpcd shim is
# where that release's dhcpcd-run-hooks reads hooks, that the networkd watch unit and the
# NetworkManager dispatcher call /usr/sbin, and that nothing restarted docker, purges it
# (dpkg -P) and checks that nothing is left and dpkg warned about nothing. Starts no network
# namespace and no dockerd.
# Usage: packaging/test-deb.sh target/debian/X.deb [SUITE...]   (default: bookworm trixie forky)
set -euo pipefail
deb=$(readlink -f "$1")
shift
suites=("$@")
((${#suites[@]})) || suites=(bookworm trixie forky)
[ "$(id -u)" -eq 0 ] || { echo "test-deb.sh: run as root" >&2; exit 1; }
packaging=$(cd "$(dirname "$0")" && pwd)
releases=$packaging/../tests/e2e/releases

expected='./etc/NetworkManager/dispatcher.d/90-docker-ipv6-pd
./etc/dhcp/dhclient-enter-hooks.d/docker-ipv6
./usr/lib/dhcpcd/dhcpcd-hooks/62-docker-ipv6-pd
./usr/lib/systemd/system/dhclient6-pd@.service
./usr/lib/systemd/system/docker-ipv6-pd-watch.service
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
# Every file in /etc is a conffile (Debian policy): an admin's edit survives an upgrade, and
# dpkg -P removes them. The two shims there are rarely edited, but are treated alike.
conffiles=$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles | sort)
expected_conffiles='/etc/NetworkManager/dispatcher.d/90-docker-ipv6-pd
/etc/dhcp/dhclient-enter-hooks.d/docker-ipv6'
[ "$conffiles" = "$expected_conffiles" ] || { echo "FAIL: conffiles: $conffiles"; exit 1; }
echo "ok: the dhclient shim and the NetworkManager dispatcher are the conffiles"
scripts=$(dpkg-deb --ctrl-tarfile "$deb" | tar -t | grep -E 'preinst|postinst|prerm|postrm' || true)
[ -z "$scripts" ] || { echo "FAIL: maintainer scripts present: $scripts"; exit 1; }
echo "ok: no maintainer scripts, so installing or removing never restarts docker"
[ "$(dpkg-deb -f "$deb" Recommends)" = "isc-dhcp-client | dhcpcd-base" ] ||
    { echo "FAIL: Recommends: $(dpkg-deb -f "$deb" Recommends)"; exit 1; }
echo "ok: recommends a DHCPv6 client, dhclient or dhcpcd"

# The package and the script that tests it, bound into each root at /deb-test.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$deb" "$work/pkg.deb"
cp "$packaging/test-deb-in-root.sh" "$work/"
failed=()
for suite in "${suites[@]}"; do
    echo "--- $suite"
    if ! root=$("$releases/build-root.sh" "$suite" | tail -n 1) || [ -z "$root" ]; then
        echo "FAIL ($suite): no root"; failed+=("$suite"); continue
    fi
    "$releases/enter-root.sh" --bind "$work:/deb-test" --bind "$releases:/e2e" "$root" -- \
        bash /deb-test/test-deb-in-root.sh /deb-test/pkg.deb || failed+=("$suite")
done
if ((${#failed[@]})); then
    echo "FAIL: the package failed on ${failed[*]}"
    exit 1
fi
echo "ok: the package installs, runs and purges cleanly on ${suites[*]}"
