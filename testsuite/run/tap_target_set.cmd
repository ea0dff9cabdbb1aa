"$BSTAP" -c 'sh -c "/bin/kill -0 1"; /bin/kill -0 1' -e 'global in_set
probe kernel.trace("syscalls:sys_enter_kill") { if (target_set_pid(pid())) in_set++ }
probe end {
	printf("kills from the target set: %d\n", in_set)
	printf("target %d, init %d, bstap %d\n", target_set_pid(target()), target_set_pid(1), target_set_pid(stp_pid()))
	target_set_report()
}' | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/ && $i > 99) { if (!($i in p)) p[$i] = "P" (++n); $i = p[$i] } print }'
