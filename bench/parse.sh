#!/bin/bash
# parse.sh - how fast the front end parses, against stap's pass 1, in one run.
#
#   bench/parse.sh                 (from anywhere; after `make check`, which
#                                   builds testsuite/unit/parse_corpus)
#
# 1. The corpus: every .stp file of Debian's tapset directory (586 files,
#    package systemtap) parsed in one process, as stap's pass 1 parses its
#    library: testsuite/unit/parse_corpus -b reads and parses them all once
#    per round (the .stpm macros of the tapset directory loaded beforehand,
#    timed apart), ROUNDS rounds (default 10); best and median wall time and
#    the CPU time of the best round.  Goal: under 100 ms.
# 2. Whole processes, timed by the bench kit's benchrun (RUNS runs, default
#    10, interleaved; wall time fork to reap): `bstap -p1` of a one-liner,
#    `stap -p1` of the same one-liner (stap parses its whole tapset library
#    in pass 1 even for a one-liner), and parse_corpus -b -n 1 (bstap's front
#    end over the whole library, the like-for-like process).
# 3. stap's own account of pass 1 (`stap -v -p1`, median of 5): the time it
#    reports for parsing the user script and its library scripts.
#
# Results: stdout and $BENCH_RESULTS/parse.md (default $BENCH_WORK/results,
# BENCH_WORK default /tmp/bench).  BSTAP, PARSE_CORPUS, STAP, TAPSET_DIR and
# BENCH_KIT override where things are.
set -u
export LC_ALL=C
top=$(cd "$(dirname "$0")/.." && pwd)
BSTAP=${BSTAP:-$top/bstap}
PARSE_CORPUS=${PARSE_CORPUS:-$top/testsuite/unit/parse_corpus}
STAP=${STAP:-stap}
TAPSET_DIR=${TAPSET_DIR:-/usr/share/systemtap/tapset}
KIT=${BENCH_KIT:-$top/../shared/bench-kit}
BENCH_WORK=${BENCH_WORK:-/tmp/bench}
RESULTS=${BENCH_RESULTS:-$BENCH_WORK/results}
ROUNDS=${ROUNDS:-10}
RUNS=${RUNS:-10}
ONELINER='probe begin { printf("hello\n") exit() }'

die() { echo "parse.sh: $*" >&2; exit 2; }
[ -x "$BSTAP" ] || die "no bstap at $BSTAP (make, or set BSTAP)"
[ -x "$PARSE_CORPUS" ] || die "no $PARSE_CORPUS (make check builds it, or set PARSE_CORPUS)"
[ -d "$TAPSET_DIR" ] || die "no tapsets at $TAPSET_DIR (apt-get install systemtap)"
mkdir -p "$RESULTS" "$BENCH_WORK/bin"
BENCHRUN=$BENCH_WORK/bin/benchrun
if [ ! -x "$BENCHRUN" ]; then
	[ -f "$KIT/src/benchrun.c" ] || die "no bench kit at $KIT (set BENCH_KIT)"
	cc -O2 -o "$BENCHRUN" "$KIT/src/benchrun.c" || die "cannot build benchrun"
fi
have_stap=0
command -v "$STAP" >/dev/null && have_stap=1

mapfile -t FILES < <(find "$TAPSET_DIR" -name '*.stp' | sort)
out=$RESULTS/parse.md
{
	echo "# Parsing: bstap's front end and stap's pass 1"
	echo
	echo "$(date -u +%Y-%m-%d), $(uname -r), $(nproc) CPUs; $("$STAP" -V 2>&1 | head -1)"
	echo
	echo "## The tapset corpus in one process"
	echo
	echo "\`parse_corpus -b -n $ROUNDS -I $TAPSET_DIR\` on the ${#FILES[@]} .stp files of $TAPSET_DIR:"
	echo
	echo '```'
	"$PARSE_CORPUS" -b -n "$ROUNDS" -I "$TAPSET_DIR" "${FILES[@]}"
	echo '```'
	echo
	echo "## Whole processes (benchrun, $RUNS runs each, interleaved)"
	echo
	echo "The one-liner: \`$ONELINER\`"
	echo
	q() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
	cmds=("bstap_p1=exec $BSTAP -p1 -e $(q "$ONELINER")")
	[ $have_stap = 1 ] && cmds+=("stap_p1=exec $STAP -p1 -e $(q "$ONELINER")")
	cmds+=("bstap_corpus=exec $PARSE_CORPUS -b -n 1 -I $TAPSET_DIR ${FILES[*]}")
	echo '```'
	"$BENCHRUN" -n "$RUNS" -w 1 "${cmds[@]}"
	echo '```'
	echo
	if [ $have_stap = 1 ]; then
		echo "## stap -v -p1: its own account of pass 1 (median of 5)"
		echo
		reals=()
		for i in 1 2 3 4 5; do
			line=$("$STAP" -v -p1 -e "$ONELINER" 2>&1 >/dev/null | grep -m1 '^Pass 1:')
			reals+=("$(sed -n 's/.*\/\([0-9]*\)real ms\..*/\1/p' <<<"$line")")
		done
		med=$(printf '%s\n' "${reals[@]}" | sort -n | sed -n 3p)
		echo '```'
		echo "$line"
		echo '```'
		echo
		echo "stap's pass 1 (real): median $med ms; runs: ${reals[*]} ms"
	fi
} | tee "$out"
echo
echo "parse.sh: results in $out"
