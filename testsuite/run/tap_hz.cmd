hz=$({ zcat /proc/config.gz 2>/dev/null || cat "/boot/config-$(uname -r)"; } | sed -n 's/^CONFIG_HZ=//p'); exec sh -c 'sleep 3' sh "$hz"
