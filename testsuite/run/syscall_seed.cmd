echo $$ > "$PIDFILE"; kill -0 $$; kill -0 1
