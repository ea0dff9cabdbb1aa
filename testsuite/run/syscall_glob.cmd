echo $$ > "$PIDFILE"; kill -0 $$; kill -HUP 2147483647 2>/dev/null; true
