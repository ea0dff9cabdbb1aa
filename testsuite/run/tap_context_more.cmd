exec sh -c 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; /bin/kill -0 1; exec upfix_O0'
