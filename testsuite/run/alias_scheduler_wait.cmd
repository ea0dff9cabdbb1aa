exec perl -e 'if ($p = fork) { waitpid($p, 2); syscall(101, 3, $p, 0, 0); kill 9, $p; waitpid($p, 0) } else { syscall(101, 0, 0, 0, 0); kill 19, $$; exit 0 }'
