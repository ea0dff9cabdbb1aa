cc -pthread -o "$TMP/alias_thr" -x c - <<'EOF'
#include <pthread.h>
static void *run(void *arg) { return arg; }
int main(void) { pthread_t t; pthread_create(&t, 0, run, 0); return pthread_join(t, 0); }
EOF
"$TMP/alias_thr"; (exit 3); sh -c 'kill -9 $$'; true
