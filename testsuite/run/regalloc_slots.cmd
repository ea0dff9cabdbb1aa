sh -c "echo \$PPID > /dev/null; sleep 0.1"
