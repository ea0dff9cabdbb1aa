echo $$ > $PIDFILE; kill -0 $$; kill -s 0 $$
