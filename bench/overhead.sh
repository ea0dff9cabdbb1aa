#!/bin/bash
# overhead.sh - per-event cost of a probe in the traced process, bstap
# against bpftrace, stap and the hand-written libbpf floor, in one run,
# through the shared bench kit (its benchmark 3).  The figure issue 6 asks
# for is tp_count: a counting probe on syscalls:sys_enter_getppid, whose
# extra ns per event should be within 10% of floor_count's.  Run as root
# from the top of the build tree:
#   sudo bench/overhead.sh           (results in $BENCH_WORK/results, default /tmp/bench)
#   sudo REPS=9 N_TP_COUNT=2000000 bench/overhead.sh      (the kit's settings)
exec "$(dirname "$0")/kit.sh" bench_overhead.sh "$@"
