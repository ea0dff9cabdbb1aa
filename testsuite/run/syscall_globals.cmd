echo $$ > "$PIDFILE"; kill -0 $$
