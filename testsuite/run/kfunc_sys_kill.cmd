echo $$ > $PIDFILE; kill -0 $$; kill -s 0 1; kill -0 2147483647 2>/dev/null; true
