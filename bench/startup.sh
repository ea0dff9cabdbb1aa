#!/bin/bash
# startup.sh - start-up time and peak memory of a begin-only script (and a
# tracepoint and a uprobe one), bstap against bpftrace and stap in one run,
# through the shared bench kit.  Run as root from the top of the build tree:
#   sudo bench/startup.sh            (results in $BENCH_WORK/results, default /tmp/bench)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
kit=${BENCH_KIT:-$top/../shared/bench-kit}
[ -d "$kit" ] || { echo "bench kit not found at $kit (set BENCH_KIT)" >&2; exit 1; }
tools="bstap"
command -v bpftrace >/dev/null && tools="$tools bpftrace"
command -v stap >/dev/null && tools="$tools stap"
BSTAP="$top/bstap" TOOLS="${TOOLS:-$tools}" exec "$kit/bench_startup.sh" "$@"
