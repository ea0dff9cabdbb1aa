echo $$ > "$PIDFILE"; mkdir -m 750 /tmp/bstap-sc-dir; : > /tmp/bstap-sc-a; mv /tmp/bstap-sc-a /tmp/bstap-sc-b; rm /tmp/bstap-sc-b; rmdir /tmp/bstap-sc-dir; rmdir /tmp/bstap-sc-dir 2>/dev/null; true
