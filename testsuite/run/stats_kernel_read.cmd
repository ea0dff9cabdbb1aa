sh -c "echo \$\$ > $PIDFILE; kill -0 \$\$; kill -s CONT \$\$; kill -s WINCH \$\$"
