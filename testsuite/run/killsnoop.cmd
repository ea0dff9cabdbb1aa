echo $$ > "$PIDFILE"; kill -0 $$; kill -s 0 1; kill -0 -1 2>/dev/null; true
