echo $$ > "$PIDFILE"; printf renamed > /proc/$$/comm
