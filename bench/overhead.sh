#!/bin/bash
# overhead.sh - per-event cost of a probe in the traced process, bstap
# against bpftrace, stap and the hand-written libbpf floor, in one run,
# through the shared bench kit (its benchmark 3).  The figure issue 6 asks
# for is tp_count: a counting probe on syscalls:sys_enter_getppid, whose
# extra ns per event should be within 10% of floor_count's.  Run as root
# from the top of the build tree:
#   sudo bench/overhead.sh           (results in $BENCH_WORK/results, default /tmp/bench)
#   sudo REPS=9 N_TP_COUNT=2000000 bench/overhead.sh      (the kit's settings)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
kit=${BENCH_KIT:-$top/../shared/bench-kit}
[ -d "$kit" ] || { echo "bench kit not found at $kit (set BENCH_KIT)" >&2; exit 1; }
tools="bstap"
command -v bpftrace >/dev/null && tools="$tools bpftrace"
command -v stap >/dev/null && tools="$tools stap"
BSTAP="$top/bstap" TOOLS="${TOOLS:-$tools}" exec "$kit/bench_overhead.sh" "$@"
