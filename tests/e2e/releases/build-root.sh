#!/bin/bash
# e2e on other Debian releases: builds (or reuses) a cached root file system of one Debian suite
# holding the software the end-to-end suite exercises there: dockerd and the docker CLI, containerd,
# runc, iptables/nftables, dhcpcd (and dhclient where the release still ships it), busybox-static,
# systemd-networkd and, on trixie and later, netplan and NetworkManager.
# The tree is only ever used through enter-root.sh, which pivots into a throw-away overlay of it.
#
# Usage: build-root.sh SUITE        SUITE = bookworm | trixie | forky
#   E2E_ROOTS_CACHE=DIR  cache directory (default /var/cache/docker-ipv6-pd-e2e/roots)
#   E2E_ROOTS_REBUILD=1  rebuild even when the cached tree is younger than 7 days
#   E2E_ROOTS_EXTRA_PACKAGES="P..."  more packages (e.g. sipcalc for the published hook); a
#                        cached tree built with another package list is rebuilt
# Result: $CACHE/SUITE/root (the tree), $CACHE/SUITE/stamp (suite and build time), and
# $CACHE/SUITE/versions (what the tree holds). Prints the path of the tree on its last line.
set -euo pipefail

releases=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
suite=${1:?usage: build-root.sh bookworm|trixie|forky}
cache=${E2E_ROOTS_CACHE:-/var/cache/docker-ipv6-pd-e2e/roots}
max_age_days=7

# The archive and the keys this machine's own apt uses (deb.debian.org; debian-archive-keyring
# holds the trixie keys, which also sign forky's Release file).
mirror=http://deb.debian.org/debian
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

# systemd and dbus for the standalone systemd-networkd (and the private system bus its networkctl
# asks on 252 and 257); on trixie and later, netplan (which renders to networkd, as on Ubuntu)
# and NetworkManager, which hands its dispatcher scripts the delegated prefix from 1.44 on
# (bookworm has 1.42).
packages=(docker.io containerd runc iptables nftables dhcpcd-base busybox-static iproute2 procps
    iputils-ping systemd dbus)
case $suite in
    bookworm) optional=(isc-dhcp-client) ;;
    trixie) optional=(docker-cli isc-dhcp-client) && packages+=(network-manager netplan.io) ;;
    forky) optional=(docker-cli isc-dhcp-client) && packages+=(network-manager netplan.io) ;; # isc-dhcp-client is gone from forky
    *) echo "build-root.sh: unknown suite '$suite' (bookworm, trixie or forky)" >&2 && exit 2 ;;
esac
read -ra extra <<< "${E2E_ROOTS_EXTRA_PACKAGES:-}"
packages+=("${extra[@]}")
# The stamp's second line: a cached tree is reused only when it was built from the same list.
wanted="packages: ${packages[*]}; where available: ${optional[*]}"
# debootstrap 1.0.128 (bookworm) has no script for forky: it is built like sid.
script=/usr/share/debootstrap/scripts/$suite
[[ -e $script ]] || script=/usr/share/debootstrap/scripts/sid

dest=$cache/$suite
if [[ -z ${E2E_ROOTS_REBUILD:-} && -f $dest/stamp && -d $dest/root ]] &&
    [[ -n $(find "$dest/stamp" -mtime -"$max_age_days") ]] && grep -qxF "$wanted" "$dest/stamp"; then
    echo "build-root.sh: reusing $dest/root ($(head -n 1 "$dest/stamp"))" >&2
    echo "$dest/root"
    exit 0
fi

((EUID == 0)) || { echo "build-root.sh: needs root" >&2 && exit 1; }
mkdir -p "$cache"
build=$(mktemp -d "$cache/.$suite.building.XXXXXX")
cleanup() {
    local rc=$?
    [[ -n ${build:-} && -d $build ]] && rm -rf --one-file-system "$build"
    exit "$rc"
}
trap cleanup EXIT
started=$SECONDS

echo "build-root.sh: debootstrap --variant=minbase $suite into $build/root" >&2
debootstrap --variant=minbase --keyring="$keyring" "$suite" "$build/root" "$mirror" "$script" \
    > "$build/debootstrap.log" 2>&1 || {
    tail -n 30 "$build/debootstrap.log" >&2
    exit 1
}

root=$build/root
# The marker enter-root.sh checks after pivot_root: proof that / is this tree.
echo "$suite" > "$root/etc/docker-ipv6-pd-e2e-root"
# Nothing installed here may start a service.
printf '#!/bin/sh\n# e2e root: no package may start a service\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"
# The archive this machine reaches may serve a testing Release file past its Valid-Until date.
printf 'APT::Install-Recommends "false";\nAcquire::Languages "none";\nAcquire::Check-Valid-Until "false";\n' \
    > "$root/etc/apt/apt.conf.d/90e2e"
cp /etc/resolv.conf "$root/etc/resolv.conf" # only needed while apt downloads

# Install with the root's own apt, pivoted into the tree itself (--writable: no overlay).
in_root() { "$releases/enter-root.sh" --writable --bind "$releases:/e2e" "$root" -- "$@"; }
in_root apt-get update -q > "$build/apt.log" 2>&1 || {
    tail -n 30 "$build/apt.log" >&2
    exit 1
}
for pkg in "${optional[@]}"; do
    policy=$(in_root apt-cache policy "$pkg" 2> /dev/null) # not piped into grep -q: SIGPIPE
    if grep -q 'Candidate: [0-9]' <<< "$policy"; then
        packages+=("$pkg")
    else
        echo "build-root.sh: $suite has no package $pkg" >&2
    fi
done
echo "build-root.sh: apt-get install ${packages[*]}" >&2
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${packages[@]}" \
    >> "$build/apt.log" 2>&1 || {
    tail -n 30 "$build/apt.log" >&2
    exit 1
}
# The probe and the suite need these; a release that dropped one is a failed build, not a quiet one.
in_root sh -c 'for c in dockerd docker containerd runc iptables ip6tables nft dhcpcd busybox ip ss ps ping; do
    command -v "$c" > /dev/null || { echo "build-root.sh: the tree has no $c" >&2; exit 1; }; done'
in_root apt-get clean
rm -rf "$root"/var/lib/apt/lists/*_Packages "$root"/var/lib/apt/lists/*_Translation-*

# What the tree holds, for the reports.
in_root sh -c '
    echo "suite: $(cat /etc/docker-ipv6-pd-e2e-root) (debian_version $(cat /etc/debian_version))"
    echo "dockerd: $(dockerd --version 2>&1)"
    echo "docker: $(docker --version 2>&1 || echo absent)"
    echo "containerd: $(containerd --version 2>&1)"
    echo "runc: $(runc --version 2>&1 | head -n 1)"
    echo "iptables: $(iptables --version 2>&1)"
    echo "nft: $(nft --version 2>&1)"
    echo "dhcpcd: $(dhcpcd --version 2>&1 | head -n 1)"
    if command -v dhclient > /dev/null; then echo "dhclient: $(dhclient --version 2>&1)"; else echo "dhclient: absent"; fi
    if [ -x /lib/systemd/systemd ]; then echo "systemd: $(/lib/systemd/systemd --version | head -n 1)"; else echo "systemd: not installed"; fi
    for h in /usr/lib/dhcpcd/dhcpcd-run-hooks /usr/libexec/dhcpcd-run-hooks; do
        [ -e "$h" ] && echo "dhcpcd-run-hooks: $h, hook directory $(/e2e/hook-dir.sh "$h")"
    done
    dpkg-query -W -f "package: \${Package} \${Version}\n" docker.io docker-cli containerd runc dhcpcd-base isc-dhcp-client busybox-static iptables nftables systemd dbus network-manager netplan.io 2> /dev/null
    true
' > "$build/versions"
cat "$build/versions" >&2

printf '%s\n' "$suite built $(date -u +%Y-%m-%dT%H:%M:%SZ) in $((SECONDS - started))s from $mirror" "$wanted" \
    > "$build/stamp"
# Swap the finished tree in; a half-built one is never under $dest.
old=
if [[ -d $dest ]]; then
    old=$build.old
    mv "$dest" "$old"
fi
mv "$build" "$dest"
build=
[[ -z $old ]] || rm -rf --one-file-system "$old"
echo "build-root.sh: $(head -n 1 "$dest/stamp")" >&2
echo "$dest/root"
