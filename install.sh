#!/bin/sh
# install.sh: builds docker-ipv6-pd and installs the binary, its dhclient and dhcpcd shims and
# the dhclient units; `--uninstall` takes exactly those away again (and puts back an enter hook,
# such as the published one, that the install had set aside). Run it as often as you like: it
# converges on the same result.
set -eu

usage() {
    cat <<'EOF'
Usage: ./install.sh [--prefix DIR] [--binary PATH] [--uninstall]

  --prefix DIR    install the binary as DIR/sbin/docker-ipv6-pd (default /usr/local)
  --binary PATH   install this already-built binary instead of running
                  `cargo build --release`
  --uninstall     remove what install.sh installed; a hook it replaced comes back
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
while [ $# -gt 0 ]; do
    case $1 in
        --prefix) [ $# -ge 2 ] || die "--prefix needs a directory"; prefix=$2; shift 2 ;;
        --prefix=*) prefix=${1#--prefix=}; shift ;;
        --binary) [ $# -ge 2 ] || die "--binary needs a path"; binary=$2; shift 2 ;;
        --binary=*) binary=${1#--binary=}; shift ;;
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
    die "run as root (sudo ./install.sh), or set DESTDIR to stage the install elsewhere"
fi

repo=$(cd "$(dirname "$0")" && pwd)
bin_path=$prefix/sbin/docker-ipv6-pd
hook=/etc/dhcp/dhclient-enter-hooks.d/docker-ipv6
# A name with a dot: run-parts --list ignores it, so the set-aside enter hook never runs.
saved_hook=$hook.replaced-by-docker-ipv6-pd
unit=/etc/systemd/system/dhclient6-pd@.service
# dhcpcd's hook directory moved between releases: /usr/lib/dhcpcd/dhcpcd-hooks (Debian 12,
# 13), /usr/libexec/dhcpcd-hooks (Debian 14). dhcpcd-run-hooks names the one it reads.
dhcpcd_hook_dirs="/usr/lib/dhcpcd/dhcpcd-hooks /usr/libexec/dhcpcd-hooks"
dhcpcd_run_hooks="/usr/lib/dhcpcd/dhcpcd-run-hooks /usr/libexec/dhcpcd-run-hooks"
dhcpcd_hook_name=62-docker-ipv6-pd
examples=$prefix/share/doc/docker-ipv6-pd/examples/post-change.d
config=/etc/docker-ipv6-pd/docker-ipv6-pd.conf
upstart_job=/etc/init/dhclient6-pd.conf
marker=docker-ipv6-pd
# Generated from the binary itself (`docker-ipv6-pd man`, `completions SHELL`).
man_page=$prefix/share/man/man8/docker-ipv6-pd.8
bash_completion=$prefix/share/bash-completion/completions/docker-ipv6-pd
zsh_completion=$prefix/share/zsh/site-functions/_docker-ipv6-pd
fish_completion=$prefix/share/fish/vendor_completions.d/docker-ipv6-pd.fish

systemd_running() { [ -z "$dest" ] && [ -d /run/systemd/system ]; }

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
    rm -f "$tmp"

    install -D -m 0644 "$repo/hooks/dhclient6-pd@.service" "$dest$unit"
    say "installed $unit"
    for example in "$repo"/hooks/examples/post-change.d/*; do
        install -D -m 0755 "$example" "$dest$examples/$(basename "$example")"
    done
    say "installed example post-change scripts in $examples"
    if [ -d "$dest/etc/init" ]; then
        install -m 0644 "$repo/hooks/dhclient6-pd.conf" "$dest$upstart_job"
        say "installed $upstart_job (Upstart)"
    fi
    if systemd_running; then
        systemctl daemon-reload || say "warning: systemctl daemon-reload failed"
    fi
    [ -n "$dest" ] || { choose_wiring; next_steps; }
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

# Picks how docker gets the subnet, and says which and why.
choose_wiring() {
    if [ -e "$config" ]; then
        say "kept your $config (target: $(sed -n 's/^ *target *= *//p' "$config" | tail -n 1))"
        wiring=kept
    elif systemd_running; then
        mkdir -p "$(dirname "$config")"
        daemon_json_config >"$config"
        say "wiring: daemon.json (systemd runs here: it does not run the \$(cat ...) a DOCKER_OPTS"
        say "        needs, and Docker CE's docker.service does not read /etc/default/docker at all);"
        say "        wrote $config with target = daemon-json"
        wiring=daemon-json
    else
        say "wiring: the prefix file /etc/docker/ipv6.prefix read through DOCKER_OPTS (no systemd"
        say "        runs here, so docker's init script reads /etc/default/docker)"
        wiring=docker-opts
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

uninstall_files() {
    rm -f "$dest$bin_path" "$dest$man_page" "$dest$bash_completion" "$dest$zsh_completion" \
        "$dest$fish_completion"
    say "removed $bin_path, its man page and completions"
    if ours "$dest$hook"; then
        rm -f "$dest$hook"
        say "removed $hook"
    fi
    if [ -e "$dest$saved_hook" ] && [ ! -e "$dest$hook" ]; then
        mv "$dest$saved_hook" "$dest$hook"
        say "put the earlier hook back as $hook"
    fi
    for dir in $dhcpcd_hook_dirs; do
        if ours "$dest$dir/$dhcpcd_hook_name"; then
            rm -f "$dest$dir/$dhcpcd_hook_name"
            say "removed $dir/$dhcpcd_hook_name"
        fi
    done
    rm -f "$dest$unit"
    say "removed $unit"
    rm -rf "$dest$examples"
    rmdir "$dest$prefix/share/doc/docker-ipv6-pd/examples" "$dest$prefix/share/doc/docker-ipv6-pd" 2>/dev/null || true
    if ours "$dest$upstart_job"; then
        rm -f "$dest$upstart_job"
        say "removed $upstart_job"
    fi
    if [ -e "$dest$config" ] && { [ "$(cat "$dest$config")" = "$(daemon_json_config)" ] ||
        [ "$(cat "$dest$config")" = "$(daemon_json_config_before)" ]; }; then
        rm -f "$dest$config"
        rmdir "$(dirname "$dest$config")" 2>/dev/null || true
        say "removed $config (as install.sh wrote it)"
    fi
    if systemd_running; then
        systemctl daemon-reload || say "warning: systemctl daemon-reload failed"
    fi
    say "left alone: /etc/docker/ipv6.prefix, daemon.json, an edited $config, and docker's own configuration"
}

next_steps() {
    cat <<EOF

Next steps:
1. Ask for a prefix on the uplink (eth0 here):
EOF
    if ! command -v dhclient >/dev/null && command -v dhcpcd >/dev/null; then
        cat <<'EOF'
     dhcpcd is the client here (Debian 14 has no dhclient): in /etc/dhcpcd.conf add
       interface eth0
         ipv6rs
         ia_pd 1 -
     ("-": request the prefix but assign it to no interface; `ia_pd 1 lan0/0/64` also puts a
     /64 on lan0), then restart dhcpcd. Its hook runs docker-ipv6-pd on every DHCPv6 event.
EOF
    elif systemd_running; then
        cat <<'EOF'
     systemctl enable --now dhclient6-pd@eth0
EOF
    else
        cat <<'EOF'
     dhclient -6 -P eth0   (where Upstart runs: start dhclient6-pd, after setting the interface in /etc/init/dhclient6-pd.conf)
EOF
    fi
    case $wiring in
        daemon-json) cat <<'EOF'
2. Nothing to do for docker: the hook writes ipv6 and fixed-cidr-v6 into /etc/docker/daemon.json
   and runs systemctl restart docker.service. Keep --ipv6 and --fixed-cidr-v6 out of any
   docker.service override: dockerd refuses to start when a setting is both a flag and in
   daemon.json.
EOF
            ;;
        docker-opts) cat <<'EOF'
2. Point docker at the prefix file: in /etc/default/docker set
     DOCKER_OPTS="--ipv6 --fixed-cidr-v6=$(cat /etc/docker/ipv6.prefix)"
EOF
            ;;
        *) cat <<'EOF'
2. Check that docker reads what your configuration's target writes.
EOF
            ;;
    esac
    cat <<EOF
3. Try it without changing anything, then check the whole setup:
     new_ip6_prefix=2001:db8:100::/60 $bin_path --dry-run
     $bin_path doctor
EOF
}

case $action in
    install) install_files ;;
    uninstall) uninstall_files ;;
esac
