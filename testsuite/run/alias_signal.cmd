trap true USR1; kill -USR1 $$; sleep 5 & kill -TERM $!; wait; true
