set -- $(ps -o pgid=,sid= -p $$); echo "$$ $PPID $1 $2" > $PIDFILE; exec nice -n 5 setpriv --ruid=1001 --euid=1002 --rgid=2001 --egid=2002 --clear-groups kill -0 $$
