#!/usr/bin/env bash
# run.sh: the README's test command. On a fresh Debian machine it installs what the tests
# need, checks formatting and lints, then runs every test: unit, integration, end to end.
# Needs root (namespaces, tmpfs mounts, dhclient-script); exports CI=true so that a test
# missing root or a package fails instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."

[ "$(id -u)" -eq 0 ] || { echo "tests/run.sh: run as root (sudo tests/run.sh)" >&2; exit 1; }
command -v cargo >/dev/null || { echo "tests/run.sh: cargo not found: install Rust first (https://rustup.rs)" >&2; exit 1; }
export CI=true

packages=(sipcalc dash shellcheck util-linux iproute2 procps isc-dhcp-client isc-dhcp-server
          dhcpcd-base docker.io iptables busybox-static nftables iputils-ping man-db groff-base
          python3 hyperfine time bc zsh fish debootstrap debian-archive-keyring)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "tests/run.sh: installing ${missing[*]}"
    # Installing docker.io or isc-dhcp-server must not start services on this machine.
    guard=
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        guard=/usr/sbin/policy-rc.d
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    [ -z "$guard" ] || rm -f "$guard"
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --locked --all-targets --quiet -- -D warnings
echo "== shellcheck"
mapfile -t shell_files < <(git ls-files | while read -r f; do
    [ -f "$f" ] && head -c 64 "$f" | grep -qE '^#!.*\b(ba)?sh\b|^# shellcheck shell=' && echo "$f"
done)
shellcheck -S warning "${shell_files[@]}"
echo "   ${#shell_files[@]} files clean"

echo "== cargo test"
cargo test --locked

echo "== the Debian package (packaging/build-deb.sh, packaging/test-deb.sh)"
command -v cargo-deb >/dev/null || cargo install --locked --quiet cargo-deb
packaging/test-deb.sh "$(packaging/build-deb.sh)"

if [ -f tests/e2e/run.sh ]; then
    echo "== end to end (tests/e2e/run.sh)"
    bash tests/e2e/run.sh
fi

# Debian 13 (Docker 26, dhcpcd 10.1) and 14 (Docker 28, dhcpcd 10.5, no dhclient): each
# release's own dhcpcd and dockerd in a pivoted root of that release (built once with
# debootstrap and cached for a week), with the product installed by install.sh.
for suite in trixie forky; do
    echo "== Debian $suite (tests/e2e/releases/probe.sh)"
    E2E_ROOTS_BINARY="$PWD/target/release/docker-ipv6-pd" bash tests/e2e/releases/probe.sh "$suite"
done
