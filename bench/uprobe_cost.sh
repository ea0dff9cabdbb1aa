#!/bin/bash
# uprobe_cost.sh - per-hit cost of a process-function probe on an -O0 -g
# binary: bstap against stap --runtime=bpf (and bpftrace) in one run.
#
# On unoptimised code stap puts process("X").function("f") after the
# prologue, on an instruction the kernel must single-step (two traps);
# bstap puts it on the entry ("push %rbp", emulated: one trap) and reads the
# parameters where the calling convention left them.  bpftrace's uprobe is
# on the entry too (its arg0/arg1).  The workload is the kit's
# uprobe_target built with -O0 -g; it times its own loop of N calls of
# target(a, b).  Bodies: count (c++) and args (c += $a + $b).
#   overhead ns/hit = median traced ns/call - median untraced ns/call
# Run as root from the top of the build tree:
#   sudo bench/uprobe_cost.sh      (N, REPS; table in $BENCH_WORK/results/uprobe_cost.md)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
BENCH_DIR=${BENCH_KIT:-$top/../shared/bench-kit}
[ -d "$BENCH_DIR" ] || { echo "bench kit not found at $BENCH_DIR (set BENCH_KIT)" >&2; exit 1; }
BSTAP=${BSTAP:-$top/bstap}
tools="bstap"
command -v stap >/dev/null && tools="$tools stap"
command -v bpftrace >/dev/null && tools="$tools bpftrace"
TOOLS=${TOOLS:-$tools}
. "$BENCH_DIR/lib.sh"
bench_prepare
# stapbpf opens /sys/kernel/debug/tracing/uprobe_events
if [[ " $TOOLS " == *" stap "* ]] && [ ! -e /sys/kernel/debug/tracing/uprobe_events ]; then
	mountpoint -q /sys/kernel/debug || mount -t debugfs nodev /sys/kernel/debug 2>/dev/null
	[ -e /sys/kernel/debug/tracing/uprobe_events ] || mount -t tracefs nodev /sys/kernel/debug/tracing 2>/dev/null
fi

N=${N:-20000}
REPS=${REPS:-5}
RES=$BENCH_RESULTS/uprobe_cost.md
SCR=$BENCH_WORK/out/uprobe_cost
mkdir -p "$SCR"
W=$BIN/uprobe_target_O0
cc -g -O0 -o "$W" "$BENCH_DIR/src/uprobe_target.c" || exit 1

script() { # TOOL BODY -> script path
	local f=$SCR/$2.$(tool_dialect "$1")
	case $1 in
	bpftrace)
		local b='@c = count();'
		[ "$2" = args ] && b='@c = sum(arg0 + arg1);'
		printf 'BEGIN { printf("READY\\n") }\nuprobe:%s:target { %s }\n' "$W" "$b" >"$f" ;;
	*)
		local b='c++'
		[ "$2" = args ] && b='c += $a + $b'
		printf 'global c\nprobe begin { printf("READY\\n") }\nprobe process("%s").function("target") { %s }\nprobe end { printf("count=%%d\\n", c) }\n' \
			"$W" "$b" >"$f" ;;
	esac
	echo "$f"
}

runs() { # N REPS -> ns_per_call values
	local i
	for i in $(seq "$2"); do
		"$W" "$1" | sed -n 's/.*ns_per_call=\([0-9.]*\).*/\1/p'
	done
}

{
	echo "## Process-function probe: cost per hit on an -O0 -g binary"
	echo
	echo "$(machine_line); workload \`$W $N\` (\`cc -g -O0\` of the kit's uprobe_target.c), $REPS runs each."
	echo
	echo "| body | tracer | probe address | untraced ns/call | traced ns/call med [min..max] | overhead ns/hit |"
	echo "|---|---|---|---|---|---|"
} >"$RES"

declare -A over
for body in count args; do
	for tool in $TOOLS; do
		out=$SCR/$body.$tool.out
		u=$(runs "$N" "$REPS" | stats)
		tracer_start "$(tool_run_cmd "$tool" "$(script "$tool" "$body")")" "$out"
		if ! tracer_wait_ready "$out" 180; then
			tracer_stop
			echo "| $body | $tool | | | FAILED: $(grep -m1 -iE 'error' "$out" | cut -c1-100) | |" >>"$RES"
			continue
		fi
		t=$(runs "$N" "$REPS" | stats)
		tracer_stop
		set -- $u
		um=$1
		set -- $t
		ov=$(awk -v a="$1" -v b="$um" 'BEGIN{printf "%.0f", a-b}')
		over[$body.$tool]=$ov
		case $tool in
		stap) where="after the prologue (single-stepped)" ;;
		*) where="entry (push %rbp, emulated)" ;;
		esac
		echo "| $body | $tool | $where | $um | $1 [$2..$3] | **$ov** |" >>"$RES"
		log "[$body/$tool] untraced $um traced $1 overhead $ov"
	done
done
{
	echo
	for body in count args; do
		b=${over[$body.bstap]:-}
		s=${over[$body.stap]:-}
		[ -n "$b" ] && [ -n "$s" ] && [ "$b" -gt 0 ] &&
			echo "$body: stap / bstap = $(awk -v s="$s" -v b="$b" 'BEGIN{printf "%.1f", s/b}')x (goal: at least 20x)"
	done
} >>"$RES"
cat "$RES"
