#!/bin/bash
# e2e suite (tests/e2e/run.sh): runs once, inside the `host` network namespace, in the fresh
# private mount namespace that will hold dhclient, the installed product and dockerd for the whole
# suite. It makes every place they write private (overlays over /etc, /usr/local, /var and
# /usr/lib/dhcpcd, tmpfs over /run and /var/lib/docker), so the machine's real files are never
# touched, and puts the test's stand-ins where dhclient's hard-coded PATH and dhclient-script look for them.
# Everything mounted here disappears with the namespace when its last process ends.
# With SUITE (E2E_SUITE), it runs inside a pivoted root of that Debian release
# (releases/enter-root.sh): / is then already a throw-away overlay of the tree, with /sys, the
# cgroup mounts and /run in place, and only the suite's own files are set up.
#
# Usage: ns-setup.sh STATE_DIR SCRATCH_DIR CGROUP_MOUNTS CGROUP_PARENT [SUITE]
set -euo pipefail
suite=${5-}
# Before any write: with a SUITE, / must be that release's tree, never the machine's root.
if [[ -n $suite && $(cat /etc/docker-ipv6-pd-e2e-root 2> /dev/null) != "$suite" ]]; then
    echo "ns-setup.sh: / is not the $suite tree (no /etc/docker-ipv6-pd-e2e-root saying $suite)" >&2
    exit 1
fi

state=$1         # host-visible directory, mounted at /run/e2e: logs the suite reads
scratch=$2       # empty host directory; a private tmpfs over it holds the overlays' upper layers
cgroup_mounts=$3 # the host's /sys/fs/cgroup mounts, lines of /proc/mounts
cgroup_parent=$4 # where dockerd puts its containers' cgroups (inside the suite's own cgroup)
e2e=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# unshare(1) already made the namespace private; say so explicitly, nothing may propagate back.
mount --make-rprivate /

if [[ -z $suite ]]; then
    # `ip netns exec` mounted a sysfs of the namespace over /sys, which hides the host's cgroup
    # mounts: replay them (dockerd and runc need them).
    while read -r source dir fstype options _; do
        mkdir -p "$dir"
        mount -t "$fstype" -o "$options" "$source" "$dir"
    done < "$cgroup_mounts"

    mount -t tmpfs -o mode=0755 e2e-scratch "$scratch"

    overlay() { # overlay DIR NAME: writes under DIR go to the private tmpfs
        mkdir -p "$scratch/$2/upper" "$scratch/$2/work"
        mount -t overlay -o "lowerdir=$1,upperdir=$scratch/$2/upper,workdir=$scratch/$2/work" \
            "e2e-$2" "$1"
    }
    overlay /etc etc
    overlay /usr/local usr-local
    overlay /var var # /var/lib/dhcp, /var/log/docker.log; /var/run is a link to /run
    # install.sh puts the dhcpcd shim into dhcpcd's own hook directory wherever dhcpcd is installed.
    if [ -d /usr/lib/dhcpcd ]; then
        overlay /usr/lib/dhcpcd usr-lib-dhcpcd
    fi
    if [ -d /usr/libexec/dhcpcd-hooks ]; then
        overlay /usr/libexec/dhcpcd-hooks usr-libexec-dhcpcd-hooks
    fi
fi

# A private, empty /run: dockerd, containerd, start-stop-daemon and dhclient keep their pid files
# and sockets there; no /run/systemd/system, so the product takes the `service` path.
mount -t tmpfs -o mode=0755 e2e-run /run
mkdir -m 1777 /run/lock
mkdir /run/e2e
mount --bind "$state" /run/e2e

mkdir -p /var/lib/docker
mount -t tmpfs -o mode=0710 e2e-docker /var/lib/docker

# dhclient runs hooks with PATH=/usr/sbin:/sbin:/bin:/usr/sbin:/usr/bin: the restart counter
# must sit at the real path of `service`. It hands over to a copy of the real one.
cp /usr/sbin/service /run/e2e/service.real
mount --bind "$e2e/fake-service" /usr/sbin/service

# Trace hooks around the enter hook under test (see hooks/*), where dhclient is installed
# (Debian 14 has none).
if [[ -d /etc/dhcp/dhclient-enter-hooks.d ]]; then
    install -m 0644 "$e2e/hooks/docker-e2e-start" "$e2e/hooks/docker-ipv6-e2e-trace" /etc/dhcp/dhclient-enter-hooks.d/
    install -m 0644 "$e2e/hooks/zz-e2e-exit" /etc/dhcp/dhclient-exit-hooks.d/
    rm -f /etc/dhcp/dhclient-enter-hooks.d/docker-ipv6
fi

# The published hook's docker wiring: sysvinit's /etc/init.d/docker reads DOCKER_OPTS here.
# shellcheck disable=SC2016 # the backticks are for /etc/init.d/docker, as in the published hook
printf '%s\n' 'DOCKER_OPTS="--ipv6 --fixed-cidr-v6=`cat /etc/docker/ipv6.prefix`"' > /etc/default/docker
# Everything else dockerd needs here goes to daemon.json: no key may repeat a DOCKER_OPTS flag.
# vfs: no overlay-on-tmpfs questions; no iptables: IPv4 NAT is not under test; containers'
# cgroups under the suite's cgroup so that cleanup finds them. No ip6tables: Docker 27 and later
# turn it on by default, and then masquerade the default bridge's IPv6 traffic and (28) drop
# everything for a container's address that does not come from the bridge, so the delegated
# addresses the scenarios check would be neither reachable nor the source of the containers'
# traffic; 20.10 and 26 have it off already and accept the key. (nptv6-dhcpcd takes it out
# again: the nptv6 mapping works with Docker's own filtering.)
mkdir -p /etc/docker
rm -f /etc/docker/ipv6.prefix
cat > /etc/docker/daemon.json <<EOF
{
  "storage-driver": "vfs",
  "iptables": false,
  "ip6tables": false,
  "cgroup-parent": "$cgroup_parent"
}
EOF

# The daemon.json, dhcpcd and loss-policy scenarios change docker's wiring (DOCKER_OPTS,
# daemon.json) and put these copies back (wiring.sh).
cp /etc/default/docker "$state/default-docker.orig"
cp /etc/docker/daemon.json "$state/daemon.json.orig"

# /etc/init.d/docker raises its limits (ulimit -n 1048576, -u/-p unlimited) under `set -e`. In a
# sandbox without CAP_SYS_RESOURCE that fails and docker never starts; there, and only there,
# the private copy keeps the limits it can get.
if ! (ulimit -n 1048576 && ulimit -u unlimited) 2> /dev/null; then
    sed -i 's/^\([[:space:]]*ulimit -[nup] [0-9a-z]*\)$/\1 || true/' /etc/init.d/docker
    echo "no CAP_SYS_RESOURCE: the private /etc/init.d/docker ignores its failing ulimit calls" >> "$state/notes"
fi

# Debian's /etc/init.d/docker mounts every enabled cgroup controller unless fstab mentions
# cgroup; that would create v1 hierarchies that live only in this namespace and that cleanup
# could not reach. The mounts were replayed above.
printf '%s\n' 'cgroup /sys/fs/cgroup cgroup noauto 0 0 # e2e: cgroups mounted by ns-setup.sh' >> /etc/fstab
