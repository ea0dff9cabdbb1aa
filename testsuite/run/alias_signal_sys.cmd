exec perl -e '$p = $$ + 0; syscall(200, $p, 0); syscall(234, $p, $p, 0); syscall(234, 1, $p, 0); kill 0, $p'
