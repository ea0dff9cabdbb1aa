echo $$ >"$PIDFILE"; /bin/kill -0 1; grep -o "tap-printk-$$-[a-z]*" /sys/kernel/tracing/trace | sort
