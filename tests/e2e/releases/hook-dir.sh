#!/bin/sh
# e2e on other Debian releases: prints the hook directory a dhcpcd-run-hooks script sources, read
# from its `for hook in ... DIR/* ...` loop (the place differs between dhcpcd releases).
# Usage: hook-dir.sh PATH-OF-dhcpcd-run-hooks
awk '/^for hook in/ { inside = 1; next }
    inside && /dhcpcd-hooks/ { sub(/^[ \t]*/, ""); sub(/\/\*.*$/, ""); print; exit }
    inside && !/\\$/ { exit }' "${1:?usage: hook-dir.sh PATH-OF-dhcpcd-run-hooks}"
