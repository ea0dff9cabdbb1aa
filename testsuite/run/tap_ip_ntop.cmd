kill -0 1
