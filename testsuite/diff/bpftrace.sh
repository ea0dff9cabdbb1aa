#!/bin/bash
# bpftrace.sh - the same workload traced by bstap and by bpftrace at once,
# which must find the same events (issue 6's acceptance test).  Run by
# run-tests; prints "ok NAME", "not ok NAME" (details between "# NAME" and
# "# end") or "skip NAME (why)".  Needs root, $BSTAP and $TMP.
#
# The workload is one process (one pid, so both tracers filter on it) that
# waits until both tracers are ready, then kills (signal 0, and one that
# fails), opens files and execs twice.  bstap probes the syscall entry
# functions (kernel.function: tracepoints on a kernel without kprobes) and
# sched_process_exec; bpftrace the equivalent tracepoints.
set -u
name=bpftrace_diff
if ! command -v bpftrace >/dev/null; then
	echo "skip $name (bpftrace is not installed)"
	exit 0
fi
W=$TMP/bpftrace_diff
mkdir -p "$W"
rm -f "$W"/*
# bpftrace 0.17 with fake kernel headers around: use BTF (bench-kit README)
export BPFTRACE_KERNEL_SOURCE=

cat >"$W/t.stp" <<'STP'
probe begin { printf("READY\n") }
probe kernel.function("sys_kill") { if (pid() == target()) printf("kill %d %d\n", $pid, $sig) }
probe kernel.function("sys_kill").return { if (pid() == target()) printf("kill returns %d\n", $return) }
probe kernel.function("sys_openat") { if (pid() == target()) printf("open flags %d mode %d\n", $flags, $mode) }
probe kernel.function("sys_execve") { if (pid() == target()) printf("execve\n") }
probe kernel.trace("sched:sched_process_exec") { if (pid() == target()) printf("exec %s\n", $filename) }
STP
cat >"$W/t.bt" <<'BT'
BEGIN { printf("READY\n") }
tracepoint:syscalls:sys_enter_kill /pid == $1/ { printf("kill %d %d\n", args->pid, args->sig) }
tracepoint:syscalls:sys_exit_kill /pid == $1/ { printf("kill returns %d\n", args->ret) }
tracepoint:syscalls:sys_enter_openat /pid == $1/ { printf("open flags %d mode %d\n", args->flags, args->mode) }
tracepoint:syscalls:sys_enter_execve /pid == $1/ { printf("execve\n") }
tracepoint:sched:sched_process_exec /pid == $1/ { printf("exec %s\n", str(args->filename)) }
BT

mkfifo "$W/go"
sh -c 'read -r go <"$1"; kill -0 $$; kill -s 0 1; kill -0 2147483647 2>/dev/null
	: <"$2/t.stp"; : >"$2/out1"; exec 3<"$2/t.bt"
	exec /bin/sh -c "kill -0 \$\$; : <$2/t.stp; exec /bin/true"' workload "$W/go" "$W" &
wl=$!

"$BSTAP" -x "$wl" "$W/t.stp" >"$W/bstap.out" 2>"$W/bstap.err" &
bs=$!
bpftrace "$W/t.bt" "$wl" >"$W/bpftrace.out" 2>"$W/bpftrace.err" &
bt=$!
ready=0
for _ in $(seq 1 400); do
	if grep -q READY "$W/bstap.out" 2>/dev/null && grep -q READY "$W/bpftrace.out" 2>/dev/null; then
		ready=1
		break
	fi
	kill -0 $bs 2>/dev/null && kill -0 $bt 2>/dev/null || break
	sleep 0.05
done
sleep 0.5 # both have their probes enabled after printing READY
echo go >"$W/go"
wait $wl
sleep 0.5 # let both drain their buffers
kill -INT $bs $bt 2>/dev/null
wait $bs
rc_bs=$?
wait $bt

problems=""
[ $ready = 1 ] || problems+="a tracer did not start"$'\n'
[ $rc_bs = 0 ] || problems+="bstap exited with $rc_bs"$'\n'
grep -v READY "$W/bstap.out" | sort >"$W/bstap.ev"
grep -vE '^(READY|Attaching|$)' "$W/bpftrace.out" | sort >"$W/bpftrace.ev"
# the workload's own events, to be sure both did see something
for ev in "kill $wl 0" "kill 1 0" "kill 2147483647 0" "kill returns -3" "execve" "exec /bin/true"; do
	grep -qxF "$ev" "$W/bstap.ev" || problems+="bstap missed '$ev'"$'\n'
done
diff -u "$W/bpftrace.ev" "$W/bstap.ev" >"$W/diff" || problems+="the events differ (- bpftrace, + bstap):"$'\n'"$(cat "$W/diff")"$'\n'
if [ -z "$problems" ]; then
	echo "ok $name ($(wc -l <"$W/bstap.ev") events)"
else
	echo "not ok $name"
	echo "# $name"
	printf '%s' "$problems"
	echo "--- bstap stderr:"; cat "$W/bstap.err"
	echo "--- bpftrace stderr:"; cat "$W/bpftrace.err"
	echo "# end"
fi
