# shellcheck shell=sh
# shellcheck disable=SC2154 # dest, unit, config and the like: set by install.sh
# uninstall.sh: sourced by install.sh, whose --uninstall it carries out: it stops and disables
# every dhclient6-pd@ instance and the networkd watch, removes what install.sh installed, the hook's state, our nft
# table and the sysctl file, and names what it keeps (only a configuration the admin edited,
# and docker's own configuration).

# stop_units: stops and disables every dhclient6-pd@ instance, enabled or running, and removes
# the lease and pid files its dhclient kept.
stop_units() {
    units=
    for link in "$dest"/etc/systemd/system/*.wants/dhclient6-pd@*.service; do
        [ -L "$link" ] || [ -e "$link" ] || continue
        units="$units ${link##*/}"
    done
    if systemd_running; then
        units="$units $(systemctl list-units --all --plain --no-legend 'dhclient6-pd@*' 2>/dev/null |
            awk '{ print $1 }')"
    fi
    for name in $(printf '%s\n' $units | sort -u); do
        case $name in
            dhclient6-pd@?*.service) ;;
            *) continue ;;
        esac
        if systemd_running; then
            systemctl disable --now "$name" >/dev/null 2>&1 || say "warning: systemctl disable --now $name failed"
            say "stopped and disabled $name"
        else
            say "disabled $name"
        fi
        rm -f "$dest"/etc/systemd/system/*.wants/"$name"
    done
    stop_watch
    for file in "$dest"/var/lib/dhcp/dhclient6-pd.*.leases "$dest"/run/dhclient6-pd.*.pid; do
        [ -e "$file" ] || continue
        rm -f "$file"
        say "removed ${file#"$dest"}"
    done
}

# stop_watch: stops and disables the networkd watch when it is enabled or running.
stop_watch() {
    enabled=
    for link in "$dest"/etc/systemd/system/*.wants/"$watch_unit_name"; do
        [ -L "$link" ] || [ -e "$link" ] || continue
        enabled=1
    done
    running=
    if systemd_running && systemctl is-active --quiet "$watch_unit_name" 2>/dev/null; then
        running=1
    fi
    [ -n "$enabled$running" ] || return 0
    if systemd_running; then
        systemctl disable --now "$watch_unit_name" >/dev/null 2>&1 ||
            say "warning: systemctl disable --now $watch_unit_name failed"
        say "stopped and disabled $watch_unit_name"
    else
        say "disabled $watch_unit_name"
    fi
    rm -f "$dest"/etc/systemd/system/*.wants/"$watch_unit_name"
}

uninstall_files() {
    stop_units
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
    if ours "$dest$watch_unit"; then
        rm -f "$dest$watch_unit"
        say "removed $watch_unit"
    fi
    if ours "$dest$nm_dispatcher"; then
        rm -f "$dest$nm_dispatcher"
        say "removed $nm_dispatcher"
    fi
    rm -rf "$dest$examples"
    rmdir "$dest$prefix/share/doc/docker-ipv6-pd/examples" "$dest$prefix/share/doc/docker-ipv6-pd" 2>/dev/null || true
    if ours "$dest$upstart_job"; then
        rm -f "$dest$upstart_job"
        say "removed $upstart_job"
    fi
    for dir in $state_dirs; do
        if [ -e "$dest$dir" ]; then
            rm -rf "$dest$dir"
            say "removed $dir (the hook's state)"
        fi
    done
    if [ -z "$dest" ] && command -v nft >/dev/null 2>&1 && nft list table $nft_table >/dev/null 2>&1; then
        if nft delete table $nft_table; then
            say "removed the nft table $nft_table (the nptv6 mapping)"
        else
            say "warning: nft delete table $nft_table failed"
        fi
    fi
    if [ -f "$dest$sysctl_file" ] && [ "$(head -n 1 "$dest$sysctl_file")" = "$sysctl_header" ]; then
        rm -f "$dest$sysctl_file"
        say "removed $sysctl_file (forwarding and accept_ra keep their values until the next boot)"
    fi
    kept=
    if holds "$dest$config" daemon_json_config || holds "$dest$config" daemon_json_config_before; then
        rm -f "$dest$config"
        say "removed $config (as install.sh wrote it)"
    elif [ -e "$dest$config" ]; then
        kept="your edited $config"
    fi
    post_change=$(dirname "$config")/post-change.d
    rmdir "$dest$post_change" 2>/dev/null || true
    [ ! -e "$dest$post_change" ] || kept="${kept:+$kept and }your scripts in $post_change"
    rmdir "$dest$(dirname "$config")" 2>/dev/null || true
    if systemd_running; then
        systemctl daemon-reload || say "warning: systemctl daemon-reload failed"
    fi
    [ -z "$kept" ] || say "kept $kept"
    # Docker's own configuration is docker's: it keeps starting with the subnet last written.
    if [ -e "$dest/etc/docker/ipv6.prefix" ] || grep -qs fixed-cidr-v6 "$dest/etc/docker/daemon.json"; then
        say "docker's configuration stays as it is (/etc/docker/ipv6.prefix, daemon.json): docker keeps the last subnet"
    fi
}
