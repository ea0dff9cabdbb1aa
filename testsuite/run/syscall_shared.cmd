echo $$ > "$PIDFILE"; kill -0 $$; echo bstap-shared > /dev/null; kill -USR2 2147483647 2>/dev/null; true
