exec bash -c 'printf %077d 0 > /dev/udp/127.0.0.1/9'
