echo $$ > "$PIDFILE"; exec /bin/true
