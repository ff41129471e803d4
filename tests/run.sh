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
          python3 hyperfine time bc zsh fish debootstrap debian-archive-keyring strace)
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

# End to end, once per Debian release: the host side (DHCP client, product, dockerd) on this
# machine (Debian 12, Docker 20.10), then in a pivoted root of Debian 13 (Docker 26, dhcpcd 10.1)
# and 14 (Docker 28, dhcpcd 10.5, no dhclient: only the dhcpcd scenarios), each built once with
# debootstrap and cached for a week (about a minute each, cold). The binary is built once.
if [ -f tests/e2e/run.sh ]; then
    e2e_started=$SECONDS
    cargo build --release --quiet
    for suite in "" trixie forky; do
        echo "== end to end on ${suite:-this machine} (tests/e2e/run.sh${suite:+, E2E_SUITE=$suite})"
        started=$SECONDS
        E2E_SUITE=$suite bash tests/e2e/run.sh --binary target/release/docker-ipv6-pd
        echo "   ${suite:-this machine}: $((SECONDS - started)) s"
    done
    # What each release's Docker does by itself with a delegated prefix, under settings the suite
    # does not use (its defaults, allow-direct-routing, ip6tables with experimental on 26, a
    # routed user network on 28): the facts the README's table rests on.
    for suite in trixie forky; do
        echo "== Docker of Debian $suite under its own settings (tests/e2e/releases/probe.sh)"
        bash tests/e2e/releases/probe.sh "$suite"
    done
    echo "   end to end: $((SECONDS - e2e_started)) s"
fi
