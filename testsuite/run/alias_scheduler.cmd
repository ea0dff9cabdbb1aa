nice -n 5 sleep 0.2; true
