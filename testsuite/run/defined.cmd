sh -c "echo \$\$ > $PIDFILE; kill -0 \$\$"
