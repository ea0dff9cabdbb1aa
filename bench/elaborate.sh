#!/bin/bash
# elaborate.sh - how fast pass 2 answers, bstap against its peers in one
# run (ratios on this machine, never pass/fail timings):
#
#   1. `-p2` of SystemTap's examples, with the options and arguments their
#      .meta files give (bench/examples_p2.sh derives the commands and
#      writes its own report first): bstap against `stap -p2`, the whole
#      corpus per round (whatever each tool answers, success or error),
#      then one by one the scripts that both tools elaborate;
#   2. listing every tracepoint: `bstap -l 'kernel.trace("*")'` against
#      `bpftrace -l 'tracepoint:*'`, and `-L` against `bpftrace -lv`.
#      The goal: bstap lists every tracepoint in under 100 ms.
#
#   sudo bench/elaborate.sh        results in $BENCH_RESULTS/elaborate.md
#                                  (default $BENCH_WORK/results, BENCH_WORK /tmp/bench)
#
# Timings come from the shared kit's benchrun (built into $BENCH_WORK/bin if
# missing): RUNS rounds (default 10) for single commands, RUNS_CORPUS (3)
# for the whole corpus, tools interleaved round by round, paired ratios.
# BSTAP, STAP, BPFTRACE pick the binaries; a tool that is missing is left
# out.  stap needs /lib/modules/$(uname -r)/build (a stub one will do, see
# the kit's README); bpftrace gets BPFTRACE_KERNEL_SOURCE= (empty) unless it
# is set.
set -u
export LC_ALL=C
top=$(cd "$(dirname "$0")/.." && pwd)
kit=${BENCH_KIT:-$top/../shared/bench-kit}
BENCH_WORK=${BENCH_WORK:-/tmp/bench}
RESULTS=${BENCH_RESULTS:-$BENCH_WORK/results}
RUNS=${RUNS:-10}
RUNS_CORPUS=${RUNS_CORPUS:-3}
BSTAP=${BSTAP:-$top/bstap}
STAP=$(command -v "${STAP:-stap}" || true)
BPFTRACE=$(command -v "${BPFTRACE:-bpftrace}" || true)
export BPFTRACE_KERNEL_SOURCE=${BPFTRACE_KERNEL_SOURCE:-}
[ -x "$BSTAP" ] || { echo "elaborate.sh: no bstap at $BSTAP (build first, or set BSTAP)" >&2; exit 2; }
if [ -n "$STAP" ] && [ ! -d "/lib/modules/$(uname -r)/build" ]; then
	echo "elaborate.sh: stap needs /lib/modules/$(uname -r)/build (see $kit/README.md); leaving stap out" >&2
	STAP=
fi

BIN=$BENCH_WORK/bin
mkdir -p "$BIN" "$RESULTS"
if [ ! -x "$BIN/benchrun" ] || [ "$kit/src/benchrun.c" -nt "$BIN/benchrun" ]; then
	cc -O2 -Wall -o "$BIN/benchrun" "$kit/src/benchrun.c" || exit 2
fi
WORK=$(mktemp -d /tmp/elaborate.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
md=$RESULTS/elaborate.md
q() { printf '%q' "$1"; }

# benchrun's paired ratio of label $2 over label $1 in its output file $3
ratio() { sed -n "s/^ratio wall $2\\/$1 (paired): median \\([0-9.]*\\).*/\\1/p" "$3"; }
# the median wall time of label $1 in benchrun's output $2
median() { awk -v l="$1" '$1 == l { print $3; exit }' "$2"; }

{
	echo "# Pass 2 and listing speed: bstap against stap and bpftrace"
	echo
	printf '%s, kernel %s, %s CPUs; %s%s%s.\n' "$(date -u '+%Y-%m-%d %H:%M UTC')" "$(uname -r)" "$(nproc)" \
		"$("$BSTAP" -V 2>/dev/null)" "${STAP:+; $("$STAP" -V 2>&1 | head -1)}" \
		"${BPFTRACE:+; $("$BPFTRACE" --version 2>&1 | head -1)}"
	echo "Wall times are medians of paired rounds from the bench kit's benchrun (fork to reap, the ~2 ms"
	echo "launch floor included); a ratio is the median of the per-round ratios, above 1 when bstap is faster."
	echo
} >"$md"

# ---- 1. -p2 of the examples
cmds=$WORK/cmds
EXAMPLES_CMDS=$cmds "$top/bench/examples_p2.sh" >"$WORK/examples.log" 2>&1
tsv=$RESULTS/examples_p2.tsv
if [ ! -s "$cmds" ]; then
	echo "elaborate.sh: examples_p2.sh made no commands: $(cat "$WORK/examples.log")" >&2
	exit 2
fi
# the whole corpus as one command per tool
corpus() { # tool -> script path
	local f=$WORK/corpus_$1.sh rel dir argv
	echo "T=\${1:?tool}" >"$f"
	while IFS=$'\t' read -r rel dir argv; do
		echo "(cd $dir && exec timeout 60 \"\$T\" $argv) >/dev/null 2>&1 </dev/null"
	done <"$cmds" >>"$f"
	echo "$f"
}
tools=(bstap)
[ -n "$STAP" ] && tools+=(stap)
bin_of() { case $1 in bstap) echo "$BSTAP" ;; stap) echo "$STAP" ;; bpftrace) echo "$BPFTRACE" ;; esac; }
nscripts=$(wc -l <"$cmds")

# which scripts each tool elaborates (one pass, which also warms the caches)
declare -A OK
for t in "${tools[@]}"; do
	b=$(bin_of "$t")
	n=0
	while IFS=$'\t' read -r rel dir argv; do
		if sh -c "cd $dir && exec timeout 60 $(q "$b") $argv" >/dev/null 2>&1 </dev/null; then
			OK[$t:$rel]=1
			n=$((n + 1))
		fi
	done <"$cmds"
	OK[$t]=$n
done

args=()
for t in "${tools[@]}"; do
	args+=("$t=exec bash $(q "$(corpus "$t")") $(q "$(bin_of "$t")")")
done
"$BIN/benchrun" -n "$RUNS_CORPUS" -w 0 -T 1200 "${args[@]}" >"$WORK/corpus.out" 2>&1
{
	echo "## 1. \`-p2\` of SystemTap's examples"
	echo
	echo "$nscripts scripts (systemtap-doc's examples without its tapset/ libraries), each run from its directory"
	echo "with the options and arguments of its .meta file, as \`bench/examples_p2.sh\` does (its report:"
	echo "examples_p2.md)."
	echo
	echo "| tool | scripts elaborated | whole corpus, wall ms (median of $RUNS_CORPUS) | per script, ms |"
	echo "| --- | ---: | ---: | ---: |"
	for t in "${tools[@]}"; do
		m=$(median "$t" "$WORK/corpus.out")
		echo "| $t | ${OK[$t]} / $nscripts | $m | $(awk -v m="$m" -v n="$nscripts" 'BEGIN { printf "%.1f", m / n }') |"
	done
	if [ -n "$STAP" ]; then
		echo
		echo "Whole corpus, stap / bstap (paired): **$(ratio bstap stap "$WORK/corpus.out")**"
	fi
	echo
	echo '```'
	cat "$WORK/corpus.out"
	echo '```'
	echo
} >>"$md"

# one by one, the scripts both tools elaborate
if [ -n "$STAP" ]; then
	both=()
	while IFS=$'\t' read -r rel dir argv; do
		[ -n "${OK[bstap:$rel]:-}" ] && [ -n "${OK[stap:$rel]:-}" ] && both+=("$rel")
	done <"$cmds"
	{
		echo "### Scripts both elaborate (${#both[@]}), one by one, $RUNS rounds each"
		echo
		echo "| script | bstap ms | stap ms | stap / bstap |"
		echo "| --- | ---: | ---: | ---: |"
	} >>"$md"
	: >"$WORK/ratios"
	for rel in "${both[@]}"; do
		line=$(awk -F'\t' -v r="$rel" '$1 == r' "$cmds")
		dir=$(cut -f2 <<<"$line") argv=$(cut -f3 <<<"$line")
		"$BIN/benchrun" -n "$RUNS" -w 1 \
			"bstap=cd $dir && exec $(q "$BSTAP") $argv >/dev/null 2>&1" \
			"stap=cd $dir && exec $(q "$STAP") $argv >/dev/null 2>&1" >"$WORK/one.out" 2>&1
		r=$(ratio bstap stap "$WORK/one.out")
		echo "$r" >>"$WORK/ratios"
		echo "| $rel | $(median bstap "$WORK/one.out") | $(median stap "$WORK/one.out") | $r |" >>"$md"
	done
	if [ -s "$WORK/ratios" ]; then
		gm=$(awk '$1 > 0 { s += log($1); n++ } END { if (n) printf "%.1f", exp(s / n) }' "$WORK/ratios")
		printf '\nGeometric mean of stap / bstap over these scripts: **%s**\n\n' "$gm" >>"$md"
	fi
fi

# ---- 2. listing every tracepoint
{
	echo "## 2. Listing every tracepoint"
	echo
} >>"$md"
lst=("bstap_l=exec $(q "$BSTAP") -l 'kernel.trace(\"*\")' >/dev/null 2>&1")
lstv=("bstap_L=exec $(q "$BSTAP") -L 'kernel.trace(\"*\")' >/dev/null 2>&1")
count() { sh -c "$1" 2>/dev/null </dev/null | wc -l; }
n_b=$(count "exec $(q "$BSTAP") -l 'kernel.trace(\"*\")'")
n_bv=$(count "exec $(q "$BSTAP") -L 'kernel.trace(\"*\")'")
echo "- bstap: \`bstap -l 'kernel.trace(\"*\")'\` lists $n_b; \`-L\` lists $n_bv lines" >>"$md"
if [ -n "$BPFTRACE" ]; then
	lst+=("bpftrace_l=exec $(q "$BPFTRACE") -l 'tracepoint:*' >/dev/null 2>&1")
	lstv+=("bpftrace_lv=exec $(q "$BPFTRACE") -lv 'tracepoint:*' >/dev/null 2>&1")
	echo "- bpftrace: \`bpftrace -l 'tracepoint:*'\` lists $(count "exec $(q "$BPFTRACE") -l 'tracepoint:*'");" \
		"\`-lv\` prints $(count "exec $(q "$BPFTRACE") -lv 'tracepoint:*'") lines (one per field)" >>"$md"
fi
if [ -n "$STAP" ]; then
	if n_s=$(sh -c "exec $(q "$STAP") -l 'kernel.trace(\"*\")'" 2>"$WORK/stap_l.err" </dev/null | wc -l) &&
		[ "$n_s" -gt 0 ]; then
		lst+=("stap_l=exec $(q "$STAP") -l 'kernel.trace(\"*\")' >/dev/null 2>&1")
		echo "- stap: \`stap -l 'kernel.trace(\"*\")'\` lists $n_s" >>"$md"
	else
		echo "- stap: \`stap -l 'kernel.trace(\"*\")'\` lists nothing here (it needs the kernel's headers):" \
			"\`$(grep -m1 -v '^ *$' "$WORK/stap_l.err")\`" >>"$md"
	fi
fi
"$BIN/benchrun" -n "$RUNS" -w 1 "${lst[@]}" >"$WORK/list.out" 2>&1
"$BIN/benchrun" -n "$RUNS" -w 1 "${lstv[@]}" >"$WORK/listv.out" 2>&1
ms=$(median bstap_l "$WORK/list.out")
goal=$(awk -v m="$ms" 'BEGIN { print (m < 100) ? "met" : "NOT met" }')
{
	echo
	echo "| command | wall ms (median of $RUNS) | vs bstap |"
	echo "| --- | ---: | ---: |"
	echo "| \`bstap -l 'kernel.trace(\"*\")'\` | $ms | 1 |"
	[ -n "$BPFTRACE" ] && echo "| \`bpftrace -l 'tracepoint:*'\` | $(median bpftrace_l "$WORK/list.out") |" \
		"$(ratio bstap_l bpftrace_l "$WORK/list.out") |"
	grep -q '^stap_l ' "$WORK/list.out" && echo "| \`stap -l 'kernel.trace(\"*\")'\` |" \
		"$(median stap_l "$WORK/list.out") | $(ratio bstap_l stap_l "$WORK/list.out") |"
	echo "| \`bstap -L 'kernel.trace(\"*\")'\` | $(median bstap_L "$WORK/listv.out") | 1 |"
	[ -n "$BPFTRACE" ] && echo "| \`bpftrace -lv 'tracepoint:*'\` | $(median bpftrace_lv "$WORK/listv.out") |" \
		"$(ratio bstap_L bpftrace_lv "$WORK/listv.out") |"
	echo
	echo "Goal (\`-l\` of every tracepoint under 100 ms): **$goal** ($ms ms)."
	echo
	echo '```'
	cat "$WORK/list.out" "$WORK/listv.out"
	echo '```'
} >>"$md"
echo "elaborate: report in $md"
