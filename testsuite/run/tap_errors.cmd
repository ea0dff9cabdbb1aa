kill -0 $$
