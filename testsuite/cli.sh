#!/bin/bash
# cli.sh - command-line behaviour of bstap and bstap-run, run by run-tests.
# Prints "ok NAME" or "not ok NAME" per check; details of a failure sit
# between "# NAME" and "# end".  Needs root (real BPF) and $BSTAP, $BSTAP_RUN,
# $TMP, $HERE from run-tests.
set -u
W=$TMP/cli
mkdir -p "$W"

check() { # name, then a command that must succeed; its output is the detail
	local name=$1
	shift
	local out
	if out=$("$@" 2>&1); then
		echo "ok $name"
	else
		echo "not ok $name"
		echo "# $name"
		echo "$out"
		echo "# end"
	fi
}

# A background bstap that prints READY from begin; returns when it has.
start_bg() { # outfile errfile args...
	local out=$1 err=$2
	shift 2
	"$BSTAP" "$@" >"$out" 2>"$err" &
	BG=$!
	for _ in $(seq 1 200); do
		grep -q READY "$out" 2>/dev/null && return 0
		kill -0 $BG 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

t_version() { "$BSTAP" -V | grep -q '^bstap [0-9]'; }
t_help_in_man() {
	# every option the help lists is documented in the man page
	local man="$HERE/../man/bstap.1" missing=""
	"$BSTAP" -h | grep -oE '^  -[a-zA-Z]|--[a-z]+' | sed 's/^ *//' | sort -u >"$W/opts"
	[ -s "$W/opts" ] || { echo "no options in -h"; return 1; }
	while read -r o; do
		grep -qF -- "$(sed 's/-/\\-/g' <<<"$o")" "$man" || missing+=" $o"
	done <"$W/opts"
	[ -z "$missing" ] || { echo "not in man/bstap.1:$missing"; return 1; }
}
t_hello() { [ "$("$BSTAP" -e 'probe begin { printf("hello %d\n", 42); exit() }')" = "hello 42" ]; }
t_bad_option() { ! "$BSTAP" --runtime=kernel -e 'probe begin {}' 2>"$W/e" && grep -q "runtime 'kernel'" "$W/e"; }
t_no_script() { ! "$BSTAP" 2>"$W/e" && grep -q 'no script' "$W/e"; }

t_sig() { # SIGNAL: ends the run, end probes run, exit 0
	start_bg "$W/o" "$W/e" -e 'probe begin { printf("READY\n") } probe end { printf("end ran\n") }
		probe kernel.trace("syscalls:sys_enter_kill") { printf("kill\n") }' || { cat "$W/e"; return 1; }
	kill -s "$1" $BG
	wait $BG
	local rc=$?
	cat "$W/o" "$W/e"
	echo "exit status $rc"
	[ $rc -eq 0 ] && grep -q 'end ran' "$W/o"
}
t_sigint() { t_sig INT; }
t_sigterm() { t_sig TERM; }
t_sighup() { t_sig HUP; }

t_timeout() {
	local s=$SECONDS
	"$BSTAP" -T 1 -e 'probe end { printf("end\n") }' >"$W/o" 2>&1 || return 1
	[ "$(cat "$W/o")" = end ] && [ $((SECONDS - s)) -le 3 ]
}
t_output_file() {
	"$BSTAP" -o "$W/f.out" -e 'probe begin { printf("to file\n"); exit() }' >"$W/o" || return 1
	[ "$(cat "$W/f.out")" = "to file" ] && [ ! -s "$W/o" ]
}
t_command() {
	# -c: target() is the command's pid; the run ends when it exits
	"$BSTAP" -c 'echo $$ > '"$W/pid"'; exit 0' -e 'probe begin { printf("%d\n", 7) } probe end { printf("end\n") }' >"$W/o" 2>&1 || { cat "$W/o"; return 1; }
	[ "$(cat "$W/o")" = $'7\nend' ]
}
t_object() {
	# -p4 writes an object; bstap-run runs it with the same output
	local s='probe begin { printf("from object %d\n", 5); exit() }'
	"$BSTAP" -p4 -o "$W/x.bo" -e "$s" || return 1
	bpftool btf dump file "$W/x.bo" >/dev/null 2>&1 || { echo "bpftool cannot read the object's BTF"; return 1; }
	[ "$("$BSTAP_RUN" "$W/x.bo")" = "from object 5" ]
}
t_run_bad_object() {
	echo "not an object" >"$W/bad.bo"
	! "$BSTAP_RUN" "$W/bad.bo" 2>"$W/e" && grep -q 'ERROR: .*bad.bo' "$W/e"
}
t_verbose() {
	"$BSTAP" -v -e 'probe begin { exit() }' 2>"$W/e" >/dev/null || return 1
	cat "$W/e"
	for p in 1 2 3 4 5; do
		grep -qE "^Pass $p: .* in [0-9]+usr/[0-9]+sys/[0-9]+real ms\.$" "$W/e" || return 1
	done
}
t_p1() { "$BSTAP" -p1 -e 'probe begin { exit() }' | grep -q begin; }
t_p2() { "$BSTAP" -p2 -e 'probe begin { printf("%d\n", pid()) }' | grep -q '# probes'; }
t_runtime_error() {
	"$BSTAP" -e 'probe begin { x = 0; printf("%d\n", 10 / x) } probe error { printf("error probe\n") } probe end { printf("end probe\n") }' >"$W/o" 2>"$W/e"
	local rc=$?
	cat "$W/o" "$W/e"
	[ $rc -eq 1 ] && grep -q "^ERROR: division by 0 near operator '/' at <input>:1:" "$W/e" &&
		[ "$(cat "$W/o")" = "error probe" ]
}
t_verifier_refusal() {
	# a tapset whose embedded code reads a register never written: the
	# kernel refuses it in a kernel probe, the executor in a begin probe
	mkdir -p "$W/badtap"
	printf '%s\n' 'function bad:long () %{ /* bpf */' '	ldxdw r2, [r3+0]' '	mov $$, r2' '%}' >"$W/badtap/bad.stp"
	! timeout 10 "$BSTAP" -I "$W/badtap" -e 'probe kernel.trace("syscalls:sys_enter_kill") { printf("%d\n", bad()) }' \
		2>"$W/e" >/dev/null || return 1
	cat "$W/e"
	grep -q 'verifier rejected probe kernel.trace("syscalls:sys_enter_kill")' "$W/e" || return 1
	grep -q '^        at: <input>:1:[0-9]* (instruction [0-9]*)$' "$W/e" || return 1
	! timeout 10 "$BSTAP" -I "$W/badtap" -e 'probe begin { printf("%d\n", bad()) }' 2>"$W/e" >/dev/null || return 1
	cat "$W/e"
	grep -q "ERROR: in probe begin: invalid memory access" "$W/e"
}
t_unknown_tracepoint() {
	! "$BSTAP" -e 'probe kernel.trace("syscalls:no_such_event") {}' 2>"$W/e" && grep -q 'semantic error' "$W/e" && grep -q '\^' "$W/e"
}
t_no_leak_after_errors() {
	"$BSTAP" -e 'probe begin { x = 0; printf("%d\n", 1 / x) }' >/dev/null 2>&1
	"$BSTAP" -T 1 -e 'probe kernel.trace("syscalls:sys_enter_kill") { printf("k\n") }' >/dev/null 2>&1
	"$BSTAP" -c 'sleep 3' -e 'probe kernel.trace("syscalls:sys_enter_kill") { exit() } probe begin { exit() }' >/dev/null 2>&1
	# the -c command outlives bstap here: it must not hold bstap's programs
	bash "$HERE/leaks.sh"
}

for t in version help_in_man hello bad_option no_script sigint sigterm sighup timeout output_file \
	command object run_bad_object verbose p1 p2 runtime_error verifier_refusal unknown_tracepoint \
	no_leak_after_errors; do
	check "$t" "t_$t"
done

# ---- the kernel side of issue 6 (testsuite/run/{timer,perf,kfunc}_* have the rest)
have_kprobes() { [ -e /sys/kernel/tracing/kprobe_events ] || [ -e /sys/bus/event_source/devices/kprobe ]; }
t_kprobe_load() {
	# kernel.function probes (parameters, BTF member chains, $return)
	# compile and pass the verifier everywhere; on a kernel without kprobes
	# they then fail to attach, saying why, exit 1 and leave nothing loaded
	local rc
	"$BSTAP" -e 'probe kernel.function("vfs_read") { printf("%d %d %d %d %d\n", $count, $file,
			$file->f_path->dentry->d_name->len, $file->f_inode->i_ino, &$file->f_pos) }
		probe kernel.function("vfs_read").return { printf("%d\n", $return) }
		probe begin { printf("attached\n"); exit() }' >"$W/o" 2>"$W/e"
	rc=$?
	cat "$W/o" "$W/e"
	bash "$HERE/leaks.sh" || { echo "programs left loaded"; return 1; }
	if have_kprobes; then
		[ $rc -eq 0 ] && grep -q attached "$W/o"
	else
		[ $rc -eq 1 ] && ! grep -q verifier "$W/e" &&
			grep -q '^ERROR: cannot attach probe kernel.function("vfs_read").*CONFIG_KPROBES.*kernel.trace' "$W/e"
	fi
}
t_kprobe_list() {
	# -L: parameters from BTF, numbers as long, pointers as their C type
	"$BSTAP" -L 'kernel.function("vfs_read")' >"$W/o" 2>&1 || { cat "$W/o"; return 1; }
	"$BSTAP" -L 'kernel.function("vfs_read").return' >>"$W/o" 2>&1 || { cat "$W/o"; return 1; }
	"$BSTAP" -L 'kernel.function("sys_kill")' 2>/dev/null >>"$W/o" || { cat "$W/o"; return 1; }
	cat "$W/o"
	grep -qx 'kernel.function("vfs_read") $file:struct file\* $buf:char\* $count:long $pos:loff_t\*' "$W/o" &&
		grep -qx 'kernel.function("vfs_read").return $return:long' "$W/o" &&
		grep -qx 'kernel.function("sys_kill") $pid:long $sig:long' "$W/o"
}
t_kfunc_seed() {
	# the seed's example, as its blog runs it: the syscall entry with a warning
	"$BSTAP" -c 'kill -0 $$' -e 'probe kernel.function("sys_kill") {
		if (pid() == target()) printf("PID %d sends signal %d\n", $pid, $sig) }' >"$W/o" 2>"$W/e" || { cat "$W/e"; return 1; }
	cat "$W/o" "$W/e"
	grep -qE '^PID [0-9]+ sends signal 0$' "$W/o" &&
		grep -q '^WARNING: kernel.function("sys_kill") is probed at tracepoint syscalls:sys_enter_kill' "$W/e"
}
t_perf_hw() {
	# hardware events need a PMU: they count, or fail to attach clearly
	"$BSTAP" -T 1 -e 'global n probe perf.hw.instructions.sample(100000) { n++ }
		probe end { printf("n=%d\n", n) }' >"$W/o" 2>"$W/e"
	local rc=$?
	cat "$W/o" "$W/e"
	if [ -e /sys/bus/event_source/devices/cpu ]; then
		[ $rc -eq 0 ] && ! grep -q '^n=0$' "$W/o"
	else
		[ $rc -eq 1 ] && grep -q '^ERROR: cannot attach probe perf.hw.instructions.sample(100000): .*no usable PMU' "$W/e"
	fi
}
t_timer_object() {
	# a timer's period travels in the object's probe table
	"$BSTAP" -p4 -o "$W/t.bo" -e 'global n probe timer.ms(20) { if (++n == 3) exit() } probe end { printf("n=%d\n", n) }' || return 1
	[ "$("$BSTAP_RUN" "$W/t.bo")" = "n=3" ]
}
t_tp_btf_list() {
	# -L: a tracepoint's record fields, then the typed arguments (BTF) it
	# has no field for; syscall events have no arguments of their own
	"$BSTAP" -L 'kernel.trace("sched:sched_switch")' >"$W/o" 2>&1 &&
		"$BSTAP" -L 'kernel.trace("syscalls:sys_enter_kill")' >>"$W/o" 2>&1 || { cat "$W/o"; return 1; }
	cat "$W/o"
	grep -q '^kernel.trace("sched:sched_switch") $prev_comm:string .* $prev_state:long .* $preempt:bool $prev:struct task_struct\* $next:struct task_struct\*$' "$W/o" &&
		grep -qx 'kernel.trace("syscalls:sys_enter_kill") $__syscall_nr:long $pid:long $sig:long' "$W/o"
}
t_process_glob() {
	# process("PATTERN"): each executable the pattern names (both builds of
	# the fixture), and a probe on the one that runs fires in it
	"$BSTAP" -l "process(\"$FIXTURES/upfix_O?\").function(\"main\")" >"$W/o" 2>&1 || { cat "$W/o"; return 1; }
	cat "$W/o"
	[ "$(wc -l <"$W/o")" -eq 2 ] && grep -q "^process(\"$FIXTURES/upfix_O0\").function(\"main@.*upfix.c:" "$W/o" &&
		grep -q "^process(\"$FIXTURES/upfix_O2\").function(\"main@.*upfix.c:" "$W/o" || return 1
	"$BSTAP" -c "$FIXTURES/upfix_O2" -e "probe process(\"$FIXTURES/upfix_O[0-9]\").function(\"main\") {
		printf(\"%s\\n\", pp()) }" >"$W/o" 2>&1 || { cat "$W/o"; return 1; }
	cat "$W/o"
	[ "$(wc -l <"$W/o")" -eq 1 ] && grep -q "^process(\"$FIXTURES/upfix_O2\").function(\"main@" "$W/o" || return 1
	! "$BSTAP" -p2 -e 'probe process("/nonexistent/x*").function("main") {}' 2>"$W/e" &&
		grep -q "no executable matches '/nonexistent/x\*'" "$W/e"
}
for t in kprobe_load kprobe_list kfunc_seed perf_hw timer_object tp_btf_list process_glob; do
	check "$t" "t_$t"
done
# ---- kernel.function through the kernel's DWARF (--kernel-debuginfo), on
# fixtures/kfix.c: SYSCALL_DEFINE-like wrappers with an inlined __do_sys_kill
t_kdwarf_list() {
	# functions, inlined ones too, and their variables with DWARF's C types;
	# the fixture is not the running kernel's build: used, with a warning
	local K="$FIXTURES/kfix" f='@[^"]*kfix\.c:[0-9]+'
	"$BSTAP" --kernel-debuginfo="$K" -L 'kernel.function("*sys_kill")' >"$W/o" 2>"$W/e" || { cat "$W/o" "$W/e"; return 1; }
	"$BSTAP" -w --kernel-debuginfo="$K" -L 'kernel.function("kfix_vfs_read")' >>"$W/o" || return 1
	"$BSTAP" -w --kernel-debuginfo="$K" -L 'kernel.function("kfix_vfs_read").return' >>"$W/o" || return 1
	cat "$W/o" "$W/e"
	grep -q "^WARNING: --kernel-debuginfo '$K': its build id differs from the running kernel's" "$W/e" &&
		grep -qE "^kernel.function\(\"__do_sys_kill$f\"\) \\\$pid:pid_t \\\$sig:int\$" "$W/o" &&
		grep -qE "^kernel.function\(\"__se_sys_kill$f\"\) \\\$pid:long int \\\$sig:long int" "$W/o" &&
		grep -qE "^kernel.function\(\"__x64_sys_kill$f\"\) \\\$regs:struct pt_regs const\\*\$" "$W/o" &&
		grep -qE "^kernel.function\(\"kfix_vfs_read$f\"\) \\\$file:struct kfix_file\\* \\\$buf:char\\* \\\$count:size_t \\\$pos:long int\\*\$" "$W/o" &&
		grep -qE "^kernel.function\(\"kfix_vfs_read$f\"\).return \\\$return:long int\$" "$W/o"
}
t_kdwarf_load() {
	# $pid/$sig of the inlined body, a member chain, $return, @entry and
	# $$parms compile (inlined instances go on SYMBOL+OFFSET), pass the
	# verifier, then fail to attach (here: no kprobes; elsewhere: the
	# fixture's functions are not the kernel's), leaving nothing loaded
	local K="$FIXTURES/kfix" rc
	cat >"$W/kd.stp" <<-'EOF'
	probe kernel.function("__do_sys_kill") { printf("%d %d %s\n", $pid, $sig, $$parms) }
	probe kernel.function("kfix_vfs_read") {
		printf("%d %s %d\n", $file->f_path->dentry->d_name->len, $file->f_path->dentry->d_name->name,
		       $file->f_inode->i_ino) }
	probe kernel.function("kfix_vfs_read").return { printf("%d %d\n", $return, @entry($count)) }
	probe kernel.function("__se_sys_kill").return { printf("%d %d\n", $return, $sig) }
	EOF
	"$BSTAP" -w -p4 -o "$W/kd.bo" --kernel-debuginfo="$K" "$W/kd.stp" || return 1
	grep -qa '__se_sys_kill+0x[0-9a-f]' "$W/kd.bo" && grep -qa '__ia32_sys_kill+0x[0-9a-f]' "$W/kd.bo" || {
		echo "no kprobe at an inlined instance's offset"; return 1; }
	"$BSTAP" -w --kernel-debuginfo="$K" "$W/kd.stp" >"$W/o" 2>"$W/e"
	rc=$?
	cat "$W/o" "$W/e"
	bash "$HERE/leaks.sh" || { echo "programs left loaded"; return 1; }
	[ $rc -eq 1 ] && ! grep -qi verifier "$W/e" || return 1
	if have_kprobes; then
		grep -q '^ERROR: cannot attach probe kernel.function("__do_sys_kill@' "$W/e"
	else
		grep -q '^ERROR: cannot attach probe kernel.function("__do_sys_kill@.*CONFIG_KPROBES' "$W/e"
	fi
}
t_kdwarf_errors() {
	# a missing file, a file without DWARF: said, exit 1; an unknown
	# variable: located, with the function's variables
	local K="$FIXTURES/kfix"
	"$BSTAP" --kernel-debuginfo=/nonexistent/vmlinux -e 'probe begin { exit() }' 2>"$W/e" && return 1
	cat "$W/e"
	grep -qx "ERROR: --kernel-debuginfo '/nonexistent/vmlinux': No such file or directory" "$W/e" || return 1
	"$BSTAP" --kernel-debuginfo=/bin/sh -e 'probe begin { exit() }' 2>"$W/e" && return 1
	cat "$W/e"
	grep -qx "ERROR: --kernel-debuginfo '/bin/sh': it has no DWARF debug information" "$W/e" || return 1
	"$BSTAP" -w -p2 --kernel-debuginfo="$K" -e 'probe kernel.function("__do_sys_kill") { print($nosuch) }' 2>"$W/e" &&
		return 1
	cat "$W/e"
	grep -q "^semantic error: unresolved target-symbol expression '\$nosuch' in function '__do_sys_kill'" "$W/e" &&
		grep -q '^ *at: <input>:1:48' "$W/e" && grep -q 'variables of this probe are: \$pid:pid_t \$sig:int' "$W/e"
}
for t in kdwarf_list kdwarf_load kdwarf_errors; do
	check "$t" "t_$t"
done
t_kernel_sprintf_octal() {
	# bpf_snprintf has no %o: refused at compile time, located, not at load
	! "$BSTAP" -p4 -o "$W/o.bo" -e 'probe kernel.trace("syscalls:sys_enter_kill") { s = sprintf("%o", 8) }' 2>"$W/e" || return 1
	cat "$W/e"
	grep -q '^semantic error: sprintf with %o is not available in kernel probes' "$W/e" &&
		grep -q 'at: <input>:1:53' "$W/e" && [ ! -e "$W/o.bo" ]
}
check kernel_sprintf_octal t_kernel_sprintf_octal
