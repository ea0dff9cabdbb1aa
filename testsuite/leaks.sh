#!/bin/bash
# leaks.sh - bstap's BPF programs that outlive the bstap that loaded them.
#
# A loaded program always has a holder: an fd (or a link's fd) in some
# process, or a pin.  Pinned programs are someone's own doing (bstap never
# pins).  Programs held by a running bstap or bstap-run belong
# to a session still going on (maybe another user's), and bpftool may be
# inspecting them or loading an object itself; any other holder --
# a child that inherited an fd, a pin, no process at all -- is a leak.
# Inspection tools (bpftool) hold programs for a moment, and the kernel
# frees programs some time after their process exited: a leak must still
# be there after a few seconds.  Prints one line per leaked program and exits 1
# if there is any.
set -u
check() {
ids=$(bpftool prog show 2>/dev/null | sed -n 's/^\([0-9]*\): .* name probe_[0-9]*  .*/\1/p')
[ -n "$ids" ] || return 0
# pinned by someone (bpftool prog loadall ...): theirs, not a leak of ours
pinned=$(bpftool -f prog show 2>/dev/null | awk '/^[0-9]+:/ { id = $1; sub(":", "", id) } /^\tpinned / { print id }' | tr '\n' ' ')
declare -A owner
for f in /proc/[0-9]*/fdinfo/*; do
	id=$(sed -n 's/^prog_id:[[:space:]]*//p' "$f" 2>/dev/null) || continue
	[ -n "$id" ] || continue
	pid=${f#/proc/}
	pid=${pid%%/*}
	comm=$(cat "/proc/$pid/comm" 2>/dev/null)
	case "$comm" in
	# a running session, or bpftool looking at (or loading) an object
	bstap|bstap-run|bpftool) owner[$id]="${owner[$id]:-}ok " ;;
	*) owner[$id]="${owner[$id]:-}$comm($pid) " ;;
	esac
done
leaked=0
for id in $ids; do
	held=${owner[$id]:-}
	case " $pinned " in *" $id "*) continue ;; esac
	case "$held" in
	*ok*) ;;
	"") echo "program $id is held by no process (pinned?)"; leaked=1 ;;
	*) echo "program $id is held by $held"; leaked=1 ;;
	esac
done
return $leaked
}
# the kernel frees an exited process's programs through deferred work
# (and detaching many perf events takes a while): give it a few seconds
for _ in 1 2 3 4 5; do
	check >/dev/null && exit 0
	sleep 1
done
check
