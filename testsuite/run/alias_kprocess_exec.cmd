/bin/sh -c 'exec /nonexistent/x' 2>/dev/null; exec /bin/true one "two words"
