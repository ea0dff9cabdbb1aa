#!/bin/bash
# addr2line.sh - print_ubacktrace_fileline() against binutils: every frame
# bstap prints with a source position must have the one addr2line gives
# for the same place (the symbol's address from nm, plus the frame's
# offset in it), and the frames of the fixture itself must have one.  Run
# by run-tests; prints "ok NAME", "not ok NAME" (details between "# NAME"
# and "# end") or "skip NAME (why)".  Needs root, $BSTAP, $TMP and the
# fixtures on $PATH.
set -u
. "$(dirname "$0")/report.inc"
name=addr2line_fileline
if ! command -v addr2line >/dev/null || ! command -v nm >/dev/null; then
	echo "skip $name (binutils is not installed)"
	exit 0
fi
W=$TMP/addr2line
mkdir -p "$W"
# fact(1) is five calls deep into fact, under main; lib_scale is in the
# fixture's shared library
cat >"$W/t.stp" <<'STP'
probe process("upfix_O0").function("fact") { if ($n == 1) print_ubacktrace_fileline() }
probe process("libupfix.so").function("lib_scale") { print_ubacktrace_fileline() }
STP
"$BSTAP" -c upfix_O0 "$W/t.stp" >"$W/out" 2>"$W/err"
rc=$?

problems=""
[ $rc = 0 ] || problems+="bstap exited with $rc"$'\n'
checked=0
# " 0xADDR : NAME+0xOFF/0xSIZE at FILE:LINE [PATH]"
while read -r _ _ symoff _ at_pos path; do
	[ "$at_pos" ] && [ "$path" ] || continue
	sym=${symoff%%+*} off=${symoff#*+}
	off=${off%%/*} path=${path#[} path=${path%]}
	# the system's libraries may have their symbols in a debug file only
	case $path in "$FIXTURES"/*) ;; *) continue ;; esac
	base=$(nm "$path" 2>/dev/null | awk -v s="$sym" '$3 == s && $2 ~ /^[tTwWiI]$/ { print $1; exit }')
	if [ -z "$base" ]; then
		problems+="nm does not know $sym in $path"$'\n'
		continue
	fi
	want=$(addr2line -e "$path" "$(printf '0x%x' $((0x$base + off)))" | sed 's/ (discriminator.*//')
	[ "$want" = "$at_pos" ] || problems+="$sym+$off in $path: bstap says $at_pos, addr2line $want"$'\n'
	checked=$((checked + 1))
done < <(awk '$4 == "at"' "$W/out")
# fact x5 and main, lib_scale and main
[ $checked -ge 8 ] || problems+="only $checked frames with a source position"$'\n'
for fn in fact main lib_scale; do
	grep -qE " : $fn\+0x[0-9a-f]+/0x[0-9a-f]+ at .*/upfix(_lib)?\.c:[0-9]+ \[" "$W/out" ||
		problems+="no line for $fn"$'\n'
done
report "$name ($checked frames)" "$problems" "bstap stdout" "$W/out" "bstap stderr" "$W/err"

# the kernel's frames: with no vmlinux DWARF read, print_backtrace_fileline()
# prints what print_backtrace() prints (stap's form without a line)
name=kernel_fileline
cat >"$W/k.stp" <<'STP'
probe kernel.trace("syscalls:sys_enter_getppid") {
	if (pid() == target()) { print_backtrace(); println("--"); print_backtrace_fileline() }
}
STP
# (the shell asks for its parent's pid as it starts, for $PPID)
"$BSTAP" -c "sh -c :" "$W/k.stp" >"$W/kout" 2>"$W/kerr"
rc=$?
problems=""
[ $rc = 0 ] || problems+="bstap exited with $rc"$'\n'
sed '/^--$/,$d' "$W/kout" >"$W/k1"
sed '1,/^--$/d' "$W/kout" >"$W/k2"
[ -s "$W/k1" ] || problems+="no frames"$'\n'
cmp -s "$W/k1" "$W/k2" || problems+="the two differ"$'\n'
report "$name" "$problems" "bstap stdout" "$W/kout" "bstap stderr" "$W/kerr"
