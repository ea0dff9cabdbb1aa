hex() { sed -E "s#$FIXTURES/#FIX/#g; s/0x[0-9a-f]+/0xN/g"; }
echo "-- print_backtrace, print_stack, print_syms in kill(2)"
"$BSTAP" -c "/bin/kill -0 1" -e 'probe kernel.trace("syscalls:sys_enter_kill") {
	if (pid() == target()) { print_backtrace(); printf("--\n"); print_stack(callers(1)); print_syms(callers(0)) } }' |
	hex | awk 'BEGIN { part = 0 } /^--$/ { part++; next }
	{ n[part]++; if ($0 !~ /^ 0xN : [A-Za-z0-9_.]+\+0xN\/0xN \[kernel\]$/) bad = bad $0 "\n" }
	/do_syscall_64/ { print }
	END { printf "%d frames >= 3, then %d lines; not as expected: [%s]\n", (n[0] >= 3), n[1], bad }'
echo "-- print_ubacktrace, print_ustack, print_usyms, print_ubacktrace_brief in upfix_O0"
"$BSTAP" -c "exec upfix_O0" -e 'global kept
probe process("upfix_O0").function("fact") {
	if ($n == 1) { print_ubacktrace(); printf("--\n"); print_ustack(ucallers(1)); print_usyms(ucallers(0)); kept = ubacktrace() } }
probe process("libupfix.so").function("lib_scale") { printf("--\n"); print_ubacktrace_brief() }
probe end { printf("-- after the exit\n"); print_ustack(kept) }' | hex | grep -v -e /libc -e __libc
