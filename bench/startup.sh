#!/bin/bash
# startup.sh - start-up time and peak memory of a begin-only script (and a
# tracepoint and a uprobe one), bstap against bpftrace and stap in one run,
# through the shared bench kit.  Run as root from the top of the build tree:
#   sudo bench/startup.sh            (results in $BENCH_WORK/results, default /tmp/bench)
exec "$(dirname "$0")/kit.sh" bench_startup.sh "$@"
