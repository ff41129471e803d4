#!/bin/bash
# e2e on other Debian releases: runs a command with a root tree built by build-root.sh as its real
# root (pivot_root in a private mount namespace, never a chroot: from a chroot, `nsenter -m` and
# the like land on the machine's root and a setup step would write the machine's /etc).
# By default the command sees a throw-away overlay of the tree (upper layer on a tmpfs), so
# neither the cached tree nor the machine keeps anything it writes. It stays in the caller's
# network namespace; /sys is a fresh sysfs of that namespace with the machine's cgroup mounts
# replayed onto it, /proc a new proc, /dev the machine's, /run and /tmp empty tmpfs.
#
# Usage: enter-root.sh [--writable] [--bind SRC:DST]... ROOT -- CMD [ARG]...
#   --writable     pivot into ROOT itself, no overlay (build-root.sh installs packages so)
#   --bind SRC:DST bind-mount the machine's SRC at DST inside (after /run and /tmp are mounted)
set -euo pipefail

marker=/etc/docker-ipv6-pd-e2e-root
usage() { echo "usage: enter-root.sh [--writable] [--bind SRC:DST]... ROOT -- CMD [ARG]..." >&2 && exit 2; }

if [[ ${_E2E_ENTER_ROOT_INSIDE:-} != 1 ]]; then
    # Outside: check the arguments, then run the rest of this script in a new mount namespace.
    ((EUID == 0)) || { echo "enter-root.sh: needs root" >&2 && exit 1; }
    args=("$@")
    root=
    while (($#)); do
        case $1 in
            --writable) shift ;;
            --bind) [[ ${2-} == ?*:/?* ]] || usage && shift 2 ;;
            --) break ;;
            -*) usage ;;
            *) [[ -z $root ]] || usage && root=$1 && shift ;;
        esac
    done
    [[ -n $root && ${1-} == -- && $# -ge 2 ]] || usage
    [[ -f $root$marker ]] || { echo "enter-root.sh: $root has no $marker: not a tree of build-root.sh" >&2 && exit 1; }
    # A mount point for the overlay's tmpfs beside the tree: mounted on only inside the new
    # namespace, so concurrent runs do not meet, and nothing is left to remove afterwards.
    work=$(dirname "$(realpath "$root")")/mnt
    mkdir -p "$work"
    exec env _E2E_ENTER_ROOT_INSIDE=1 _E2E_ENTER_ROOT_WORK="$work" _E2E_ENTER_ROOT_FROM="$(readlink /proc/self/ns/mnt)" \
        unshare --mount --propagation private -- "${BASH_SOURCE[0]}" "${args[@]}"
fi

# ---------------------------------------------------------------- inside the new mount namespace
# Never touch the mounts of the namespace we came from.
[[ $(readlink /proc/self/ns/mnt) != "$_E2E_ENTER_ROOT_FROM" ]] || { echo "enter-root.sh: no new mount namespace" >&2 && exit 1; }
work=$_E2E_ENTER_ROOT_WORK
unset _E2E_ENTER_ROOT_INSIDE _E2E_ENTER_ROOT_WORK _E2E_ENTER_ROOT_FROM
writable=0
binds=()
while [[ $1 != -- ]]; do
    case $1 in
        --writable) writable=1 && shift ;;
        --bind) binds+=("$2") && shift 2 ;;
        *) root=$(realpath "$1") && shift ;;
    esac
done
shift # --
mount --make-rprivate / # nothing mounted below may propagate back to the machine

mount -t tmpfs -o mode=0755 roots-work "$work"
new=$work/root
mkdir "$new"
if ((writable)); then
    mount --bind "$root" "$new"
else
    mkdir "$work/upper" "$work/work"
    mount -t overlay -o "lowerdir=$root,upperdir=$work/upper,workdir=$work/work" roots-overlay "$new"
fi

mount -t proc proc "$new/proc"
# A sysfs of the caller's network namespace (`ip netns exec` would have mounted one too), and the
# machine's cgroup hierarchies on it, as dockerd and runc need them.
mount -t sysfs sysfs "$new/sys"
while read -r source dir fstype options _; do
    mkdir -p "$new$dir"
    mount -t "$fstype" -o "$options" "$source" "$new$dir"
done < <(awk '$2 ~ "^/sys/fs/cgroup(/|$)"' /proc/1/mounts)
mount --rbind /dev "$new/dev"
mount -t tmpfs -o mode=0755 roots-run "$new/run"
mkdir -m 1777 "$new/run/lock"
mount -t tmpfs -o mode=1777 roots-tmp "$new/tmp"
for bind in "${binds[@]}"; do
    src=${bind%%:*} dst=${bind#*:}
    if [[ -d $src ]]; then mkdir -p "$new$dst"; else
        mkdir -p "$(dirname "$new$dst")" && touch "$new$dst"
    fi
    mount --bind "$src" "$new$dst"
done

cd "$new"
mkdir -p old_root
pivot_root . old_root
cd /
umount -l /old_root
rmdir /old_root

# Refuse to go on unless / is the tree: its marker, no way back to the machine's root, and (with
# the overlay) an overlay as the root mount.
fail() { echo "enter-root.sh: not inside the tree after pivot_root: $*" >&2 && exit 1; }
[[ -f $marker ]] || fail "no $marker"
[[ ! -e /old_root ]] || fail "/old_root is still there"
root_fs=$(awk '$2 == "/" { fs = $3 } END { print fs }' /proc/self/mounts)
((writable)) || [[ $root_fs == overlay ]] || fail "/ is $root_fs, not the overlay"

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
exec "$@"
