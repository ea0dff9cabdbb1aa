exec env BSTAP_TAP_VAR=a=b BSTAP_TAP_EMPTY= /bin/kill -0 1
