b=$(command -v upfix_O0); exec "$b" "$(readlink -f "$b")" "$(readlink -f "${b%/*}/libupfix.so")"
