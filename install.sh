#!/bin/sh
# install.sh: builds docker-ipv6-pd and installs the binary, its dhclient and dhcpcd shims, the
# dhclient units, the systemd-networkd watch unit and the NetworkManager dispatcher script, then
# prints the steps left for this machine; `--uninstall` takes away
# everything of ours again (files, enabled units, state, the nft table), keeping only a
# configuration the admin edited, and puts back an enter hook, such as the published one, that
# the install had set aside. Run it as often as you like: it converges on the same result.
set -eu

usage() {
    cat <<'EOF'
Usage: ./install.sh [--prefix DIR] [--binary PATH] [--sysctl] [--uninstall]

  --prefix DIR    install the binary as DIR/sbin/docker-ipv6-pd (default /usr/local)
  --binary PATH   install this already-built binary instead of running
                  `cargo build --release`
  --sysctl        also write /etc/sysctl.d/60-docker-ipv6-pd.conf (forwarding on,
                  accept_ra=2 on the uplink) and load it
  --uninstall     remove everything install.sh and the hook left (a configuration
                  you edited stays); a hook it replaced comes back
  -h, --help      show this help

Environment: DESTDIR=DIR stages the whole install under DIR (for packagers; root is
then not required, and nothing on the running system is touched).
EOF
}

say() { printf 'install.sh: %s\n' "$*"; }
die() { printf 'install.sh: error: %s\n' "$*" >&2; exit 1; }

prefix=/usr/local
binary=
action=install
sysctl=0
while [ $# -gt 0 ]; do
    case $1 in
        --prefix) [ $# -ge 2 ] || die "--prefix needs a directory"; prefix=$2; shift 2 ;;
        --prefix=*) prefix=${1#--prefix=}; shift ;;
        --binary) [ $# -ge 2 ] || die "--binary needs a path"; binary=$2; shift 2 ;;
        --binary=*) binary=${1#--binary=}; shift ;;
        --sysctl) sysctl=1; shift ;;
        --uninstall) action=uninstall; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done

case $prefix in
    /*) ;;
    *) die "--prefix must be an absolute path, not '$prefix'" ;;
esac
case $prefix in
    *[!A-Za-z0-9/._+-]*) die "--prefix may only hold letters, digits and /._+-: '$prefix'" ;;
esac
prefix=${prefix%/}

dest=${DESTDIR:-}
if [ -z "$dest" ] && [ "$(id -u)" -ne 0 ]; then
    die "run as root, or set DESTDIR to stage the install elsewhere"
fi
[ -z "$dest" ] || [ "$sysctl" = 0 ] || die "--sysctl configures this machine: not with DESTDIR"
# The tools probed and called below live in the sbin directories, missing from some PATHs.
PATH=$PATH:/usr/sbin:/sbin

repo=$(cd "$(dirname "$0")" && pwd)
bin_path=$prefix/sbin/docker-ipv6-pd
hook=/etc/dhcp/dhclient-enter-hooks.d/docker-ipv6
# A name with a dot: run-parts --list ignores it, so the set-aside enter hook never runs.
saved_hook=$hook.replaced-by-docker-ipv6-pd
unit=/etc/systemd/system/dhclient6-pd@.service
# systemd-networkd runs no hooks: this unit runs `docker-ipv6-pd watch`. Installed, never
# enabled here: its first read is a new prefix, which restarts docker once.
watch_unit=/etc/systemd/system/docker-ipv6-pd-watch.service
watch_unit_name=docker-ipv6-pd-watch.service
# NetworkManager executes the scripts in dispatcher.d that root owns and only root may write.
nm_dispatcher=/etc/NetworkManager/dispatcher.d/90-docker-ipv6-pd
# dhcpcd's hook directory moved between releases: /usr/lib/dhcpcd/dhcpcd-hooks (Debian 12,
# 13), /usr/libexec/dhcpcd-hooks (Debian 14). dhcpcd-run-hooks names the one it reads.
dhcpcd_hook_dirs="/usr/lib/dhcpcd/dhcpcd-hooks /usr/libexec/dhcpcd-hooks"
dhcpcd_run_hooks="/usr/lib/dhcpcd/dhcpcd-run-hooks /usr/libexec/dhcpcd-run-hooks"
dhcpcd_hook_name=62-docker-ipv6-pd
examples=$prefix/share/doc/docker-ipv6-pd/examples/post-change.d
config=/etc/docker-ipv6-pd/docker-ipv6-pd.conf
upstart_job=/etc/init/dhclient6-pd.conf
sysctl_file=/etc/sysctl.d/60-docker-ipv6-pd.conf
sysctl_written=0
state_dirs="/var/lib/docker-ipv6-pd /run/docker-ipv6-pd"
nft_table="ip6 docker_ipv6_pd"
marker=docker-ipv6-pd
# Generated from the binary itself (`docker-ipv6-pd man`, `completions SHELL`).
man_page=$prefix/share/man/man8/docker-ipv6-pd.8
bash_completion=$prefix/share/bash-completion/completions/docker-ipv6-pd
zsh_completion=$prefix/share/zsh/site-functions/_docker-ipv6-pd
fish_completion=$prefix/share/fish/vendor_completions.d/docker-ipv6-pd.fish

systemd_running() { [ -z "$dest" ] && [ -d /run/systemd/system ]; }

# shellcheck source=packaging/next-steps.sh
. "$repo/packaging/next-steps.sh"
# shellcheck source=packaging/uninstall.sh
. "$repo/packaging/uninstall.sh"

# dhcpcd_hooks_dir: prints the hook directory this machine's dhcpcd-run-hooks reads (the
# word ending in -hooks/* in its `for hook in` list); else the first of the known directories
# that exists; else nothing (when staging: the first known directory).
dhcpcd_hooks_dir() {
    for script in $dhcpcd_run_hooks; do
        [ -f "$dest$script" ] || continue
        dir=$(sed -n 's|.*[[:space:]]\(/[^[:space:]]*-hooks\)/\*.*|\1|p' "$dest$script" | head -n 1)
        if [ -n "$dir" ]; then
            printf '%s\n' "$dir"
            return
        fi
    done
    for dir in $dhcpcd_hook_dirs; do
        if [ -d "$dest$dir" ]; then
            printf '%s\n' "$dir"
            return
        fi
    done
    [ -z "$dest" ] || printf '%s\n' "${dhcpcd_hook_dirs%% *}"
}

# ours FILE: true when FILE was installed by us (it names the project).
ours() { grep -q "$marker" "$1" 2>/dev/null; }

install_files() {
    if [ -z "$dest" ]; then
        probe_machine
        if [ "$sysctl" = 1 ] && [ "$uplink" = IFACE ]; then
            die "--sysctl: no default route names the uplink, so accept_ra=2 has no interface; write $sysctl_file yourself"
        fi
    fi
    if [ -z "$binary" ]; then
        command -v cargo >/dev/null || die "cargo not found: install Rust (https://rustup.rs), or pass --binary"
        say "building (cargo build --release)"
        (cd "$repo" && cargo build --release --locked --quiet)
        binary=$repo/target/release/docker-ipv6-pd
    fi
    [ -x "$binary" ] || die "no executable binary at $binary"

    install -D -m 0755 "$binary" "$dest$bin_path"
    say "installed $bin_path"
    generate "$man_page" man
    generate "$bash_completion" completions bash
    generate "$zsh_completion" completions zsh
    generate "$fish_completion" completions fish
    say "installed the man page $man_page and bash, zsh and fish completions"

    if [ -e "$dest$hook" ] && ! ours "$dest$hook"; then
        if [ -e "$dest$saved_hook" ]; then
            die "$hook is not ours and $saved_hook exists already: move one of them away first"
        fi
        mv "$dest$hook" "$dest$saved_hook"
        say "set the existing $hook aside as $saved_hook (it no longer runs; --uninstall puts it back)"
    fi
    tmp=$(mktemp)
    sed "s|/usr/local/sbin/docker-ipv6-pd|$bin_path|g" "$repo/hooks/docker-ipv6" >"$tmp"
    install -D -m 0644 "$tmp" "$dest$hook"
    say "installed $hook (calls $bin_path)"

    # The dhcpcd shim goes in the hook directory dhcpcd-run-hooks reads: only where dhcpcd is
    # (always when staging).
    dhcpcd_hooks=$(dhcpcd_hooks_dir)
    if [ -n "$dhcpcd_hooks" ]; then
        sed "s|/usr/local/sbin/docker-ipv6-pd|$bin_path|g" "$repo/hooks/dhcpcd-hook" >"$tmp"
        install -D -m 0644 "$tmp" "$dest$dhcpcd_hooks/$dhcpcd_hook_name"
        say "installed $dhcpcd_hooks/$dhcpcd_hook_name (dhcpcd)"
    fi

    install -D -m 0644 "$repo/hooks/dhclient6-pd@.service" "$dest$unit"
    say "installed $unit"
    sed "s|/usr/local/sbin/docker-ipv6-pd|$bin_path|g" "$repo/hooks/docker-ipv6-pd-watch.service" >"$tmp"
    install -D -m 0644 "$tmp" "$dest$watch_unit"
    say "installed $watch_unit (systemd-networkd; not enabled)"
    # The dispatcher only where NetworkManager is (always when staging).
    if [ -n "$dest" ] || [ -d /etc/NetworkManager ]; then
        sed "s|/usr/local/sbin/docker-ipv6-pd|$bin_path|g" "$repo/hooks/networkmanager-dispatcher" >"$tmp"
        install -D -m 0755 "$tmp" "$dest$nm_dispatcher"
        say "installed $nm_dispatcher (NetworkManager)"
    fi
    for example in "$repo"/hooks/examples/post-change.d/*; do
        install -D -m 0755 "$example" "$dest$examples/$(basename "$example")"
    done
    say "installed example post-change scripts in $examples"
    if [ -d "$dest/etc/init" ]; then
        # The job names eth0; on this machine, the uplink found (when one was).
        job_uplink=${uplink:-eth0}
        [ "$job_uplink" != IFACE ] || job_uplink=eth0
        sed "s/^exec dhclient -6 -P -d eth0\$/exec dhclient -6 -P -d $job_uplink/" \
            "$repo/hooks/dhclient6-pd.conf" >"$tmp"
        install -m 0644 "$tmp" "$dest$upstart_job"
        say "installed $upstart_job (Upstart)"
    fi
    rm -f "$tmp"
    if systemd_running; then
        systemctl daemon-reload || say "warning: systemctl daemon-reload failed"
    fi
    [ -n "$dest" ] && return
    choose_wiring
    [ "$sysctl" = 0 ] || write_sysctl
    next_steps
}

# The configuration install.sh writes under systemd, byte for byte (uninstall compares).
daemon_json_config() {
    cat <<'EOF'
# Written by docker-ipv6-pd's install.sh: systemd runs here. Docker CE's docker.service
# never reads /etc/default/docker, and Debian's docker.io passes DOCKER_OPTS to dockerd
# without running its $(cat ...), so the subnet goes to docker's own daemon.json.
target = daemon-json
EOF
}

# What earlier versions of install.sh wrote there (uninstall takes that away too).
daemon_json_config_before() {
    cat <<'EOF'
# Written by docker-ipv6-pd's install.sh: systemd runs here, and docker.service ignores
# DOCKER_OPTS in /etc/default/docker, so the subnet goes to docker's own daemon.json.
target = daemon-json
EOF
}

# holds FILE FUNCTION: true when FILE is a regular file holding exactly what FUNCTION prints.
holds() { [ -f "$1" ] && [ "$(cat "$1")" = "$($2)" ]; }

# Picks how docker gets the subnet, and says which and why.
choose_wiring() {
    kept_target=
    if holds "$config" daemon_json_config; then
        say "wiring: daemon.json ($config is as install.sh wrote it: target = daemon-json)"
        wiring="daemon-json"
    elif holds "$config" daemon_json_config_before; then
        daemon_json_config >"$config"
        say "wiring: daemon.json (rewrote $config, as an earlier install.sh wrote it, with today's comment)"
        wiring="daemon-json"
    elif [ -e "$config" ]; then
        kept_target=$(sed -n 's/^ *target *= *//p' "$config" | tail -n 1)
        say "kept your $config (target: ${kept_target:-prefix-file})"
        wiring=kept
        case ${kept_target:-prefix-file} in
            daemon-json) wiring="daemon-json" ;;
            prefix-file) systemd_running || wiring=docker-opts ;;
        esac
    elif systemd_running; then
        mkdir -p "$(dirname "$config")"
        daemon_json_config >"$config"
        say "wiring: daemon.json (systemd runs here: it does not run the \$(cat ...) a DOCKER_OPTS"
        say "        needs, and Docker CE's docker.service does not read /etc/default/docker at all);"
        say "        wrote $config with target = daemon-json"
        wiring="daemon-json"
    else
        say "wiring: the prefix file /etc/docker/ipv6.prefix read through DOCKER_OPTS (no systemd"
        say "        runs here, so docker's init script reads /etc/default/docker)"
        wiring=docker-opts
    fi
}

sysctl_header="# Written by docker-ipv6-pd's install.sh --sysctl (its --uninstall removes it): the host"
sysctl_config() {
    cat <<EOF
$sysctl_header
# routes the containers' prefix, and $uplink keeps its default route from router advertisements.
net.ipv6.conf.all.forwarding = 1
net.ipv6.conf.$(sysctl_name "$uplink").accept_ra = 2
EOF
}

# write_sysctl: writes and loads the sysctl file, unless the admin has one of their own there.
write_sysctl() {
    if [ -e "$sysctl_file" ] && ! holds "$sysctl_file" sysctl_config &&
        [ "$(head -n 1 "$sysctl_file")" != "$sysctl_header" ]; then
        say "kept your $sysctl_file (not written by install.sh): check forwarding and accept_ra there"
        return
    fi
    mkdir -p "$(dirname "$sysctl_file")"
    sysctl_config >"$sysctl_file"
    if sysctl -q -p "$sysctl_file"; then
        say "wrote and loaded $sysctl_file (forwarding on, accept_ra=2 on $uplink)"
        sysctl_written=1
    else
        say "warning: wrote $sysctl_file, but sysctl -p could not load it"
    fi
}

# generate PATH ARGS...: writes the output of the installed binary's ARGS to PATH.
generate() {
    target=$1
    shift
    mkdir -p "$(dirname "$dest$target")"
    "$dest$bin_path" "$@" >"$dest$target.tmp"
    chmod 0644 "$dest$target.tmp"
    mv "$dest$target.tmp" "$dest$target"
}

case $action in
    install) install_files ;;
    uninstall) uninstall_files ;;
esac
