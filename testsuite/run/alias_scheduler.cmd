nice -n 5 sleep 0.2; taskset -pc 0 $$ >/dev/null; taskset -pc 1 $$ >/dev/null; sleep 0.1
