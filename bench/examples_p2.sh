#!/bin/bash
# examples_p2.sh - `bstap -p2` on every script of SystemTap's examples
# (package systemtap-doc): how many elaborate, and why the others stop.
#
#   bench/examples_p2.sh [EXAMPLES_DIR]        (default /usr/share/systemtap/examples)
#
# Each script runs from its own directory with the options and positional
# arguments its .meta file's test_check line gives stap (-g, -I, -c, -x and
# the arguments after the script name are kept; options bstap does not have,
# such as -G, -d, --all-modules, --ldd, are dropped).  Files under a tapset/
# directory are libraries the examples include with -I; they are run too
# (they must not crash) but counted apart.
#
# A script either elaborates (exit 0) or stops with a clear error: exit 1,
# and a first diagnostic that names file:line:col and shows the line with a
# caret.  Anything else is a failure of bstap: a crash (a signal), a hang
# (TIMEOUT seconds, default 30), an internal error, or an error without a
# location.  The script exits 1 when there is any such failure.
#
# Output: $BENCH_RESULTS/examples_p2.md (default $BENCH_WORK/results, with
# BENCH_WORK default /tmp/bench) and examples_p2.tsv beside it (one line per
# script: file, args, result, exit status, ms, first error line).  BSTAP
# picks the binary (default: the one in this build tree).  EXAMPLES_CMDS=FILE
# also writes each command, for other tools to time (bench/elaborate.sh):
# one line per script, "FILE<TAB>DIR<TAB>ARGV" with DIR and ARGV quoted
# for sh (ARGV starts with -p2, has no program name).
set -u
export LC_ALL=C
top=$(cd "$(dirname "$0")/.." && pwd)
BSTAP=${BSTAP:-$top/bstap}
EXAMPLES=${1:-${EXAMPLES:-/usr/share/systemtap/examples}}
BENCH_WORK=${BENCH_WORK:-/tmp/bench}
RESULTS=${BENCH_RESULTS:-$BENCH_WORK/results}
TIMEOUT=${TIMEOUT:-30}
[ -x "$BSTAP" ] || { echo "examples_p2.sh: no bstap at $BSTAP (build first, or set BSTAP)" >&2; exit 2; }
[ -d "$EXAMPLES" ] || { echo "examples_p2.sh: no examples at $EXAMPLES (apt-get install systemtap-doc)" >&2; exit 2; }
mkdir -p "$RESULTS"
scratch=$(mktemp -d /tmp/examples_p2.XXXXXX)
trap 'rm -rf "$scratch"' EXIT

# ---- the .meta files: script name -> its test_check command line
declare -A META
while IFS= read -r m; do
	name=$(sed -n 's/^name: *//p' "$m" | head -1)
	line=$(sed -n 's/^test_check: *//p' "$m" | head -1)
	[ -n "$line" ] || line=$(sed -n 's/^test_check_bpf: *//p' "$m" | head -1)
	[ -n "$name" ] && [ -n "$line" ] || continue
	key="$(dirname "$m")/$name"
	# several metas may name one script (py2example, py3example): the one
	# named after the script wins, else the first in name order
	if [ -z "${META[$key]:-}" ] || [ "$(basename "$m" .meta).stp" = "$name" ]; then
		META[$key]=$line
	fi
done < <(find "$EXAMPLES" -name '*.meta' | sort)

# Split a command line as sh would, without expanding anything: quotes and
# backslashes only.  `cmd` becomes 0 (an address in hw_watch_addr's meta, a
# path after -d); $$ outside single quotes becomes our pid.  Result in TOKS.
tokenize() {
	local s=$1 i c tok="" q="" have=0
	s=$(sed 's/`[^`]*`/0/g' <<<"$s")
	TOKS=()
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		if [ "$c$q" = '$' ] || [ "$c$q" = '$"' ]; then
			if [ "${s:i+1:1}" = '$' ]; then
				tok+=$$ have=1
				i=$((i + 1))
				continue
			fi
		fi
		if [ -n "$q" ]; then
			if [ "$c" = "$q" ]; then
				q=""
			elif [ "$q" = '"' ] && [ "$c" = '\' ]; then
				i=$((i + 1))
				tok+=${s:i:1}
			else
				tok+=$c
			fi
			continue
		fi
		case $c in
		"'" | '"') q=$c; have=1 ;;
		' ' | $'\t')
			if [ $have = 1 ]; then TOKS+=("$tok"); fi
			tok="" have=0 ;;
		'\') i=$((i + 1)); tok+=${s:i:1}; have=1 ;;
		*) tok+=$c; have=1 ;;
		esac
	done
	if [ $have = 1 ]; then TOKS+=("$tok"); fi
	return 0
}

# From a stap command line, the options bstap should get (OPTS) and the
# script's positional arguments (ARGS).
stap_args() { # script-name command-line
	local script=$1 i t seen=0 k ch
	OPTS=() ARGS=()
	tokenize "$2"
	[ "${TOKS[0]:-}" = stap ] || return 0
	for ((i = 1; i < ${#TOKS[@]}; i++)); do
		t=${TOKS[i]}
		if [ $seen = 1 ] && [[ $t != -* ]]; then ARGS+=("$t"); continue; fi
		case $t in
		--*) continue ;;    # --all-modules --ldd --bpf --dyninst: not bstap's
		-*) ;;
		*)
			if [ "$(basename "$t")" = "$script" ]; then seen=1; else ARGS+=("$t"); fi
			continue ;;
		esac
		# a cluster of short options: -gp4, -wp4, -Itapset/, -x PID
		for ((k = 1; k < ${#t}; k++)); do
			ch=${t:k:1}
			case $ch in
			g | w | u) OPTS+=("-$ch") ;;
			[pIxcDGdToTmrBsSaRe])
				local val=${t:k+1}
				if [ -z "$val" ]; then i=$((i + 1)); val=${TOKS[i]:-}; fi
				case $ch in
				I | x | c | D) OPTS+=("-$ch" "$val") ;;
				esac
				break ;;
			*) ;;               # -v -k ... : nothing for -p2
			esac
		done
	done
	return 0
}

# The reason a run stopped, shared by scripts that stop for the same cause:
# the first diagnostic with what it quotes replaced by '...'.
reason_of() {
	sed -E "s/(^|[^[:alnum:]])'[^']*'/\\1'…'/g; s/\"[^\"]*\"/\"…\"/g; s/index [0-9]+/index N/; s/[0-9]+ arguments?/N arguments/g" <<<"$1"
}

tsv="$RESULTS/examples_p2.tsv"
: >"$tsv"
cmds=${EXAMPLES_CMDS:-/dev/null}
: >"$cmds"
n_ok=0 n_err=0 n_bad=0 n_lib=0 n_lib_bad=0 total=0
ms_total=0
while IFS= read -r f; do
	rel=${f#"$EXAMPLES"/}
	dir=$(dirname "$f") base=$(basename "$f")
	lib=0
	[[ $rel == */tapset/* ]] && lib=1
	OPTS=() ARGS=()
	[ -n "${META[$dir/$base]:-}" ] && stap_args "$base" "${META[$dir/$base]}"
	t0=$(date +%s%N)
	(cd "$dir" && exec timeout -k 5 "$TIMEOUT" "$BSTAP" -p2 "${OPTS[@]}" "$base" "${ARGS[@]}") \
		>"$scratch/out" 2>"$scratch/err" </dev/null
	rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	ms_total=$((ms_total + ms))
	first=$(grep -m1 -E '^(parse error|semantic error|ERROR|error|internal error)' "$scratch/err")
	[ -n "$first" ] || first=$(grep -m1 -v '^WARNING' "$scratch/err")
	# a clear error: "at: FILE:L:C" and a caret line come before the next message
	located=$(awk '/^(parse error|semantic error|ERROR|internal error)/ { if (on) exit; on = 1; next }
		on && /^[^ \t]/ { exit }
		on && /^[ \t]*at: [^ ]+:[0-9]+:[0-9]+$/ { at = 1 }
		on && at && /^[ \t]*\^/ { print "yes"; exit }' "$scratch/err")
	if [ $rc = 0 ]; then
		result=ok first=""
	elif [ $rc = 124 ] || [ $rc = 137 ]; then
		result=hang first="no answer in ${TIMEOUT}s"
	elif [ $rc -gt 128 ]; then
		result=crash first="killed by signal $((rc - 128)): ${first}"
	elif [ $rc != 1 ]; then
		result=crash first="exit status $rc: ${first}"
	elif grep -qE 'internal error|Assertion|AddressSanitizer|LeakSanitizer|runtime error:' "$scratch/err"; then
		result=internal
	elif [ "$located" = yes ] || [[ $first == *"no probes found" ]]; then
		result=error
	else
		result=unlocated
	fi
	total=$((total + 1))
	if [ $lib = 1 ]; then
		n_lib=$((n_lib + 1))
		case $result in ok | error) ;; *) n_lib_bad=$((n_lib_bad + 1)) ;; esac
	else
		case $result in ok) n_ok=$((n_ok + 1)) ;; error) n_err=$((n_err + 1)) ;; *) n_bad=$((n_bad + 1)) ;; esac
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$rel" "${OPTS[*]} ${ARGS[*]}" "$result" "$rc" "$ms" "$first" "$lib" >>"$tsv"
	[ $lib = 1 ] || printf '%s\t%q\t%s\n' "$rel" "$dir" "$(printf '%q ' -p2 "${OPTS[@]}" "$base" "${ARGS[@]}")" >>"$cmds"
done < <(find "$EXAMPLES" -name '*.stp' | sort)

# ---- the report
md="$RESULTS/examples_p2.md"
n_scripts=$((total - n_lib))
{
	echo "# bstap -p2 on SystemTap's examples"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $("$BSTAP" -V 2>/dev/null), kernel $(uname -r)," \
		"systemtap-doc $(dpkg-query -W -f '${Version}' systemtap-doc 2>/dev/null || echo '?'), $EXAMPLES."
	echo "Command: \`bstap -p2 [options from the script's .meta] SCRIPT [arguments from the .meta]\`, run from the"
	echo "script's directory, ${TIMEOUT} s limit each; ${ms_total} ms for all ${total} files."
	echo
	echo "| | scripts |"
	echo "| --- | ---: |"
	echo "| scripts | $n_scripts |"
	echo "| **elaborate** (exit 0) | **$n_ok** |"
	echo "| stop with a clear error (exit 1, file:line:col and caret) | $n_err |"
	echo "| crash, hang, internal error or error without a location | $n_bad |"
	echo "| tapset library files (under tapset/, run alone too) | $n_lib ($n_lib_bad bad) |"
	echo
	if [ $((n_bad + n_lib_bad)) -gt 0 ]; then
		echo "## Failures of bstap"
		echo
		echo "| script | result | first line |"
		echo "| --- | --- | --- |"
		awk -F'\t' '$3 != "ok" && $3 != "error" { printf "| %s | %s | `%s` |\n", $1, $3, $6 }' "$tsv"
		echo
	fi
	echo "## Why the others stop (first error, grouped)"
	echo
	echo "| count | first error | scripts |"
	echo "| ---: | --- | --- |"
	while IFS=$'\t' read -r rel args result rc ms first lib; do
		[ "$result" = error ] && [ "$lib" = 0 ] || continue
		printf '%s\t%s\n' "$(reason_of "$first")" "$(basename "$rel" .stp)"
	done <"$tsv" | sort | awk -F'\t' '
		{ if ($1 != r) { if (r != "") print n "\t" r "\t" s; r = $1; n = 0; s = "" }
		  n++; s = s (s == "" ? "" : ", ") $2 }
		END { if (r != "") print n "\t" r "\t" s }' |
		sort -t$'\t' -k1,1nr -k2 | awk -F'\t' '{ gsub(/\|/, "\\|", $2); printf "| %d | `%s` | %s |\n", $1, $2, $3 }'
	echo
	echo "## Every script"
	echo
	echo "| script | arguments | result | ms | first error |"
	echo "| --- | --- | --- | ---: | --- |"
	awk -F'\t' '{ a = $2; gsub(/\|/, "\\|", a); e = $6; gsub(/\|/, "\\|", e); sub(/^ +/, "", a)
		printf "| %s | %s | %s | %s | %s |\n", $1, (a == "" ? "" : "`" a "`"), $3, $5, (e == "" ? "" : "`" e "`") }' "$tsv"
} >"$md"
echo "examples: $n_scripts scripts, $n_ok elaborate, $n_err stop with a clear error, $n_bad failures" \
	"(+ $n_lib tapset files, $n_lib_bad bad); report in $md"
[ $((n_bad + n_lib_bad)) = 0 ]
