echo $$ > "$PIDFILE"; sleep 0.2; exec /bin/true
