#!/bin/bash
# kit.sh - run one benchmark of the shared bench kit with bstap beside
# bpftrace and stap (those installed), so that every ratio comes from one
# run.  Used by the bench/*.sh wrappers:  kit.sh bench_startup.sh [ARGS]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
kit=${BENCH_KIT:-$top/../shared/bench-kit}
[ -d "$kit" ] || { echo "bench kit not found at $kit (set BENCH_KIT)" >&2; exit 1; }
bench=$1
shift
tools="bstap"
command -v bpftrace >/dev/null && tools="$tools bpftrace"
command -v stap >/dev/null && tools="$tools stap"
BSTAP="${BSTAP:-$top/bstap}" TOOLS="${TOOLS:-$tools}" exec "$kit/$bench" "$@"
