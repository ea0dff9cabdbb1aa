dd if=/dev/urandom of="$TMP/alias_io" bs=4096 count=1 conv=fsync 2>/dev/null; exec dd if="$TMP/alias_io" of=/dev/null bs=4096 count=1 iflag=direct 2>/dev/null
