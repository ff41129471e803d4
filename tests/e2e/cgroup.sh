# shellcheck shell=bash
# cgroup.sh: how the end-to-end suites end what they started. Each puts every process it starts
# (dhcpd, the DHCP client, dockerd, containerd, shims, containers, its namespace holder) in a
# cgroup of its own; on exit it leaves that cgroup, kills everything left in it and removes the
# cgroups dockerd made under it in every hierarchy. Sourced by run.sh and releases/probe.sh.

# empty_cgroup CG HOME NAME: CG the suite's cgroup directory, HOME the cgroup.procs of the cgroup
# the suite came from, NAME the cgroup's name (dockerd's cgroups under it carry it too).
empty_cgroup() {
    local cg=$1 home=$2 name=$3 pids pid
    echo $$ > "$home"
    for _ in $(seq 50); do
        pids=$(find "$cg" -name cgroup.procs -exec cat {} + 2> /dev/null)
        [[ -z $pids ]] && break
        for pid in $pids; do kill -KILL "$pid" 2> /dev/null; done
        sleep 0.1
    done
    for _ in $(seq 50); do
        find /sys/fs/cgroup -depth -type d -path "*/$name*" -exec rmdir {} + 2> /dev/null
        [[ -z $(find /sys/fs/cgroup -type d -path "*/$name*" -print -quit 2> /dev/null) ]] && break
        sleep 0.1
    done
}
