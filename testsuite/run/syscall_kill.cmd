echo $$ > "$PIDFILE"; kill -0 $$; kill -USR1 2147483647 2>/dev/null; kill -s TERM 2147483646 2>/dev/null; true
