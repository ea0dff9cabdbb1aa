s=$(date +%s); date -u -d @$s +"%a %b %e %H:%M:%S %Y" > $PIDFILE; kill -0 $s 2>/dev/null; true
