echo $$ > $PIDFILE; exec sh -c "true"
