#!/bin/bash
# run.sh - build and run the front end's libFuzzer target.
#
#   testsuite/fuzz/run.sh BUILDDIR [SECONDS] [LIBFUZZER-OPTION...]
#
# Everything it makes goes to W=BUILDDIR/testsuite/fuzz/work: it builds
# W/fuzz_parse from the parser's sources with clang
# -fsanitize=fuzzer,address,undefined (again only when a source is newer),
# then fuzzes for SECONDS (default 20).  The corpus grows in W/corpus from
# the seeds: Debian's tapsets and examples (read from /usr/share/systemtap
# and copied to W/seeds, never into the source tree), our seeds/ and the
# broken scripts of parse/ko.  A finding is saved as W/crash-* (or leak-*,
# timeout-*, oom-*); reproduce it with `W/fuzz_parse W/crash-...`.
#
# The last line says what happened:
#   fuzz_parse: ok, N runs in S s, corpus C inputs
#   fuzz_parse: FAILED (the sanitizer's report is above it)
# Exit status 0, 1 on a finding, 77 when clang or its fuzzer runtime
# (Debian: clang, libclang-rt-14-dev) is missing.
set -u
BUILD=$(cd "${1:?usage: run.sh BUILDDIR [SECONDS] [LIBFUZZER-OPTION...]}" && pwd)
SECONDS_WANTED=${2:-20}
shift $(($# >= 2 ? 2 : 1))
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
OUT=$BUILD/testsuite/fuzz/work
BIN=$OUT/fuzz_parse
CC=${FUZZ_CC:-clang}
mkdir -p "$OUT"

# ---- build
gen() { # the generated parser and scanner: in the build or the source tree
	for d in "$BUILD/parser" "$SRC/parser"; do
		[ -e "$d/$1" ] && { echo "$d/$1"; return; }
	done
	echo "run.sh: $1 not found: build bstap first (make)" >&2
	exit 1
}
GRAMMAR=$(gen grammar.c) || exit 1
LEXER=$(gen lexer.c) || exit 1
SOURCES="$SRC/parser/arena.c $SRC/parser/source.c $SRC/parser/diag.c $SRC/parser/ast.c
	$SRC/parser/ast_print.c $SRC/parser/preprocess.c $GRAMMAR $LEXER $HERE/fuzz_parse.c"
stale=0
[ -x "$BIN" ] || stale=1
for f in $SOURCES "$SRC/parser/parse.h" "$(dirname "$GRAMMAR")/grammar.h" "$0"; do
	[ "$f" -nt "$BIN" ] && stale=1
done
if [ $stale = 1 ]; then
	if ! command -v "$CC" >/dev/null; then
		echo "fuzz_parse: skipped ($CC is not installed)"
		exit 77
	fi
	# shellcheck disable=SC2086
	if ! "$CC" -std=gnu11 -D_GNU_SOURCE -DBSTAP_ARENA_DEBUG -g -O1 \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-I"$SRC" -I"$BUILD" -I"$(dirname "$GRAMMAR")/.." \
		-Wno-unused-function -Wno-sign-compare \
		-o "$BIN.tmp" $SOURCES 2>"$OUT/build.log"; then
		if grep -q 'libclang_rt.fuzzer\|fuzzer.*No such file\|cannot find.*fuzzer' "$OUT/build.log"; then
			echo "fuzz_parse: skipped (no libFuzzer runtime: install libclang-rt-14-dev)"
			exit 77
		fi
		cat "$OUT/build.log"
		echo "fuzz_parse: FAILED to build"
		exit 1
	fi
	mv "$BIN.tmp" "$BIN"
fi

# ---- seeds: Debian's corpora under flat names, ours, and the ko scripts
SEEDS=$OUT/seeds
if [ ! -d "$SEEDS" ]; then
	mkdir -p "$SEEDS.tmp"
	for dir in /usr/share/systemtap/tapset /usr/share/systemtap/examples; do
		[ -d "$dir" ] || continue
		find "$dir" -type f \( -name '*.stp' -o -name '*.stpm' \) | while read -r f; do
			cp "$f" "$SEEDS.tmp/$(echo "${f#/usr/share/systemtap/}" | tr / _)"
		done
	done
	mv "$SEEDS.tmp" "$SEEDS"
fi
mkdir -p "$OUT/corpus"

# ---- fuzz
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
"$BIN" -max_total_time="$SECONDS_WANTED" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
	-dict="$HERE/stap.dict" -artifact_prefix="$OUT/" -print_final_stats=1 "$@" \
	"$OUT/corpus" "$SEEDS" "$HERE/seeds" "$SRC/testsuite/parse/ko" >"$OUT/fuzz.log" 2>&1
rc=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$OUT/fuzz.log" | tail -1)
secs=$(sed -n 's/^stat::total_run_time_seconds\?: *//p' "$OUT/fuzz.log" | tail -1)
corpus=$(find "$OUT/corpus" -type f | wc -l)
if [ $rc -eq 0 ]; then
	echo "fuzz_parse: ok, ${runs:-?} runs in ${secs:-$SECONDS_WANTED} s, corpus $corpus inputs"
	exit 0
fi
grep -v '^#[0-9]' "$OUT/fuzz.log" | tail -60
echo "fuzz_parse: FAILED (exit $rc; input saved as $(ls -t "$OUT"/crash-* "$OUT"/leak-* "$OUT"/timeout-* "$OUT"/oom-* 2>/dev/null | head -1))"
exit 1
