echo $$ > "$PIDFILE"; kill -0 $$; kill -0 $$; kill -s CONT $$; kill -s WINCH $$
