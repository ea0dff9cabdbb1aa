kill -0 $(date +%s) 2>/dev/null; kill -0 $(awk '/^now at/ { print int($3 / 1e9); exit }' /proc/timer_list) 2>/dev/null; sleep 0.3; kill -0 1
