#!/bin/bash
# namespaces.sh - ns_pid() & co. against what a process in new pid and
# user namespaces sees itself: unshare makes them (uid and gid 1234
# inside, root outside), bstap runs with --target-namespaces= its first
# process inside, and a shell started there prints its own $$, $PPID,
# process group, session, uid and gid, while the probe prints the ns_*
# ids of that same shell.  Run by run-tests; prints "ok NAME", "not ok
# NAME" (details between "# NAME" and "# end") or "skip NAME (why)".
set -u
. "$(dirname "$0")/report.inc"
name=ns_ids
if ! command -v unshare >/dev/null; then
	echo "skip $name (unshare is not installed)"
	exit 0
fi
W=$TMP/namespaces
mkdir -p "$W"
rm -f "$W"/*
mkfifo "$W/go"
# inside: pid 1 waits, then starts the shell whose ids both sides print
# (dash asks for its parent's pid as it starts: the probe's event)
unshare --pid --fork --mount-proc --map-user=1234 --map-group=1234 sh -c '
	read -r go <"$1"
	sh -c "read -r _ _ _ _ pg sid _ </proc/self/stat; echo \"ids \$\$ \$\$ \$PPID \$pg \$sid \$(id -u) \$(id -u) \$(id -g) \$(id -g)\"" >"$2"' \
	inner "$W/go" "$W/seen" &
outer=$!
inner=""
for _ in $(seq 1 100); do
	inner=$(cat /proc/$outer/task/*/children 2>/dev/null | tr -d ' ')
	[ -n "$inner" ] && break
	sleep 0.05
done
cat >"$W/t.stp" <<'STP'
probe begin { printf("READY\n") }
probe kernel.trace("syscalls:sys_enter_getppid") {
	if (ppid() == target())
		printf("ids %d %d %d %d %d %d %d %d %d\n", ns_pid(), ns_tid(), ns_ppid(), ns_pgrp(), ns_sid(),
		       ns_uid(), ns_euid(), ns_gid(), ns_egid())
}
STP
"$BSTAP" --target-namespaces="$inner" -x "$inner" "$W/t.stp" >"$W/out" 2>"$W/err" &
bs=$!
for _ in $(seq 1 400); do
	grep -q READY "$W/out" 2>/dev/null && break
	kill -0 $bs 2>/dev/null || break
	sleep 0.05
done
sleep 0.3
echo go >"$W/go"
wait $outer
sleep 0.3
kill -INT $bs 2>/dev/null
wait $bs
rc=$?
problems=""
[ -n "$inner" ] || problems+="no process inside the namespaces"$'\n'
[ $rc = 0 ] || problems+="bstap exited with $rc"$'\n'
want=$(cat "$W/seen" 2>/dev/null)
got=$(grep '^ids' "$W/out")
[ -n "$want" ] || problems+="the shell inside printed nothing"$'\n'
# the shell is its namespace's pid 2 or more, its parent pid 1, uid 1234
case $want in "ids "[2-9]*" 1 "*" 1234 1234 1234 1234") ;; *) problems+="unexpected ids inside: $want"$'\n' ;; esac
[ "$got" = "$want" ] || problems+="bstap says '$got', the shell '$want'"$'\n'
report "$name" "$problems" "bstap stdout" "$W/out" "bstap stderr" "$W/err"
