exec cat /tmp/bstap-rx-abc.txt /tmp/bstap-rx-Q9.txt /tmp/bstap-rx-zz.log /tmp/bstap-rx-x.log.gz 2>/dev/null
