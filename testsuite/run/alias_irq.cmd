dd if=/dev/zero of="$TMP/alias_irq" bs=4096 count=4 oflag=direct,sync 2>/dev/null; dd if="$TMP/alias_irq" of=/dev/null bs=4096 count=4 iflag=direct 2>/dev/null; sleep 1.2
