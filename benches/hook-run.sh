#!/usr/bin/env bash
# hook-run.sh: what one hook run costs, against exec'ing /bin/true and against the published
# sipcalc hook run the way dhclient runs it (sourced by dash with SIGPIPE ignored, so sipcalc
# enumerates every /80 of the prefix). Times with hyperfine, peak memory with GNU time.
# A benchmark, not a test: it reports, and asserts nothing. Usage: benches/hook-run.sh [--quick]
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
quick=${1:-}
for tool in hyperfine /usr/bin/time sipcalc dash; do
    command -v "$tool" >/dev/null || { echo "hook-run.sh: needs $tool (apt-get install hyperfine time sipcalc dash)" >&2; exit 1; }
done

(cd "$repo" && cargo build --release --quiet)
bin=$repo/target/release/docker-ipv6-pd
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A `service` that does nothing, first on PATH, for both hooks.
mkdir "$tmp/bin"
printf '#!/bin/sh\nexit 0\n' >"$tmp/bin/service"
chmod +x "$tmp/bin/service"
export PATH="$tmp/bin:$PATH"

# The published hook, verbatim but for the directory it writes to.
sed "s|DOCKER_ETC_DIR=\"/etc/docker\"|DOCKER_ETC_DIR=\"$tmp\"|" \
    "$repo/tests/e2e/published-hook" >"$tmp/published-hook"

export DOCKER_IPV6_PD_PREFIX_FILE=$tmp/ours.prefix
# A configuration file as install.sh leaves one: a hook run parses a setting line too.
export DOCKER_IPV6_PD_CONFIG=$tmp/docker-ipv6-pd.conf DOCKER_IPV6_PD_INIT=service
printf '# docker-ipv6-pd\ntarget = prefix-file\n' >"$tmp/docker-ipv6-pd.conf"

median_ms() { # hyperfine JSON [INDEX] -> median of the INDEXth command (default the first), in ms
    python3 -c 'import json,sys; print("%.3f" % (1000*json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]["median"]))' "$1" "${2:-0}"
}
peak_kib() { /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -n 1; }

fast_runs=(--warmup 50 --runs 1000)
[ "$quick" = --quick ] && fast_runs=(--warmup 10 --runs 100)

hyperfine -N "${fast_runs[@]}" --export-json "$tmp/true.json" /bin/true >/dev/null
true_ms=$(median_ms "$tmp/true.json")
printf '%-52s %10s %8s %10s\n' "command" "median ms" "x true" "peak KiB"
printf '%-52s %10s %8s %10s\n' "/bin/true" "$true_ms" "1.00" "$(peak_kib /bin/true)"

for len in 64 60 56; do
    prefix=2001:db8:0:100::/$len
    export new_ip6_prefix=$prefix old_ip6_prefix=$prefix reason=RENEW6
    "$bin" subnet "$prefix" >"$tmp/ours.prefix"

    # /bin/true again in the same hyperfine run: on a shared machine the ratio of two runs
    # taken minutes apart says more about the machine than about the hook.
    hyperfine -N "${fast_runs[@]}" --export-json "$tmp/ours.json" /bin/true "$bin" >/dev/null
    ours_ms=$(median_ms "$tmp/ours.json" 1)
    beside_ms=$(median_ms "$tmp/ours.json" 0)
    printf '%-52s %10s %8.2f %10s\n' "docker-ipv6-pd, renewal, /$len" "$ours_ms" \
        "$(echo "$ours_ms / $beside_ms" | bc -l)" "$(peak_kib "$bin")"

    # A new prefix every run: write, fsync, rename, fsync dir, and the (no-op) restart.
    export old_ip6_prefix=
    hyperfine -N --warmup 5 --runs 200 --prepare "rm -f $tmp/ours.prefix" \
        --export-json "$tmp/ours-new.json" "$bin" >/dev/null
    new_ms=$(median_ms "$tmp/ours-new.json")
    printf '%-52s %10s %8.2f %10s\n' "docker-ipv6-pd, new prefix (write+restart), /$len" "$new_ms" \
        "$(echo "$new_ms / $true_ms" | bc -l)" "-"

    runs=(--runs 5)
    [ "$len" -le 56 ] && runs=(--runs 2)
    [ "$quick" = --quick ] && [ "$len" -le 56 ] && { echo "(published hook at /$len skipped with --quick)"; continue; }
    export old_ip6_prefix=$prefix
    hyperfine -N "${runs[@]}" --export-json "$tmp/published.json" \
        "dash -c \"trap '' PIPE; . $tmp/published-hook\"" >/dev/null
    pub_ms=$(median_ms "$tmp/published.json")
    printf '%-52s %10s %8.0f %10s\n' "published sipcalc hook, SIGPIPE ignored, /$len" "$pub_ms" \
        "$(echo "$pub_ms / $true_ms" | bc -l)" \
        "$(peak_kib dash -c "trap '' PIPE; . $tmp/published-hook")"
done
echo "target: a renewal run costs at most 2x /bin/true at every prefix length (renewal ratios"
echo "are against /bin/true measured in the same hyperfine run)"
