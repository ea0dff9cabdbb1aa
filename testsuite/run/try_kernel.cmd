echo $$ > "$PIDFILE"; kill -0 $$; kill -s CONT $$
