cat /tmp/bstap-syscall-none 2>/dev/null; : > /tmp/bstap-syscall-made; rm -f /tmp/bstap-syscall-made; true
