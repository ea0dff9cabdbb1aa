#!/bin/sh
# tapset-man.sh - the tapsets' reference pages, from their doc comments.
#
#   tapset-man.sh OUTDIR FILE.stp...   write OUTDIR/bstap-NAME.3stap for each
#                                      FILE and the index bstap-tapsets.3stap
#   tapset-man.sh --check FILE.stp...  only check: every function whose name
#                                      does not start with "__" has a doc
#                                      comment; prints what lacks one
#
# A doc comment (see tapsets/context.stp) comes right before its function:
#
#   /**
#    * sfunction NAME - what it gives, in one line
#    * @param: what the parameter is (more lines may follow)
#    *
#    * Description: more text, up to the end of the comment.
#    */
#   function NAME:TYPE (param:TYPE) ...
#
# The // lines at the top of a file describe the whole tapset.  Exit status
# 1 when a function has no doc comment (both modes).
set -eu
check=0
if [ "${1:-}" = --check ]; then
	check=1
	shift
else
	out=${1:?usage: tapset-man.sh OUTDIR FILE.stp... | --check FILE.stp...}
	shift
	mkdir -p "$out"
fi
[ $# -gt 0 ] || { echo "tapset-man.sh: no tapset files" >&2; exit 1; }

# One awk pass per file: the page's head on stdout, its functions to the
# file fnout, "NAME<TAB>SUMMARY<TAB>TAPSET" index lines appended to the
# file idx, undocumented functions to stderr.
page() { # file tapset-name index-file functions-file
	awk -v tapset="$2" -v idx="$3" -v fnout="$4" '
	function esc(s) {
		gsub(/\\/, "\\e", s)
		sub(/^[.\047]/, "\\\\\\&&", s)
		return s
	}
	function flush_para() {
		if (para != "") { body = body esc(para) "\n"; para = "" }
	}
	BEGIN { state = "head"; nfun = 0; bad = 0 }
	# the file header: leading // lines
	state == "head" && /^\/\// {
		line = $0; sub(/^\/\/ ?/, "", line)
		if (headline == "" && line != "") {
			headline = line
			sub(/^[^ ]+ - /, "", headline)
			next
		}
		if (line == "") { if (head != "") head = head "\n.PP\n"; next }
		head = head esc(line) "\n"
		next
	}
	state == "head" && !/^\/\// { state = "code" }
	/^\/\*\*[ \t]*$/ { state = "doc"; name = ""; summary = ""; body = ""; para = ""; params = ""; inparam = 0; next }
	state == "doc" && /^[ \t]*\*\// { flush_para(); state = "after"; next }
	state == "doc" {
		line = $0; sub(/^[ \t]*\* ?/, "", line)
		if (name == "" && line ~ /^sfunction /) {
			name = line; sub(/^sfunction /, "", name)
			summary = name; sub(/^[^ ]+ - /, "", summary); sub(/ .*/, "", name)
			next
		}
		if (line ~ /^@[A-Za-z_0-9]+:/) {
			flush_para()
			p = line; sub(/:.*/, "", p); sub(/^@/, "", p)
			t = line; sub(/^@[A-Za-z_0-9]+: */, "", t)
			params = params ".TP\n.I " p "\n" esc(t) "\n"
			inparam = 1
			next
		}
		if (line == "") { inparam = 0; flush_para(); if (body != "") body = body ".PP\n"; next }
		if (inparam) { sub(/^ +/, "", line); params = params esc(line) "\n"; next }
		sub(/^Description: */, "", line)
		para = para (para == "" ? "" : "\n") line
		next
	}
	/^function[ \t]/ {
		sig = $0
		sub(/^function[ \t]+/, "", sig)
		sub(/[ \t]*(%\{|\{).*$/, "", sig)
		fname = sig; sub(/[:( \t].*/, "", fname)
		if (state == "after" && name == fname) {
			printf ".SS %s\n.B %s\n.PP\n%s\n", fname, esc(sig), esc(summary) > fnout
			if (params != "") printf ".RS\n%s.RE\n", params > fnout
			if (body != "") printf ".PP\n%s", body > fnout
			if (!(fname in seen)) { print fname "\t" summary "\t" tapset >> idx; seen[fname] = 1 }
			nfun++
		} else if (fname !~ /^__/) {
			print FILENAME ": function " fname " has no doc comment" > "/dev/stderr"
			bad = 1
		}
		state = "code"
		next
	}
	END {
		if (tapset != "" && idx != "/dev/null") {
			printf ".TH BSTAP-%s 3stap \"\" \"bstap\" \"bstap tapsets\"\n", toupper(tapset)
			printf ".SH NAME\nbstap-%s \\- %s\n", tapset, esc(headline)
			if (head != "") printf ".SH DESCRIPTION\n%s", head
			printf ".SH FUNCTIONS\n"
		}
		exit bad
	}' "$1"
}

status=0
index_file=$(mktemp)
trap 'rm -f "$index_file" "$index_file".*' EXIT
for f in "$@"; do
	name=$(basename "$f" .stp)
	if [ $check = 1 ]; then
		page "$f" "" /dev/null /dev/null >/dev/null || status=1
		continue
	fi
	tmp="$index_file.head"
	fn="$index_file.fn"
	: >"$fn"
	page "$f" "$name" "$index_file" "$fn" >"$tmp" || status=1
	{ cat "$tmp" "$fn"
	  printf '.SH SEE ALSO\n.BR bstap (1),\n.BR bstap-tapsets (3stap)\n'; } >"$out/bstap-$name.3stap"
	rm -f "$tmp" "$fn"
done
[ $check = 1 ] && exit $status

# the index: every function and the page that has it
{
	printf '.TH BSTAP-TAPSETS 3stap "" "bstap" "bstap tapsets"\n'
	printf '.SH NAME\nbstap-tapsets \\- the functions of bstap'"'"'s tapset library\n'
	printf '.SH DESCRIPTION\n'
	printf 'Scripts call these functions by name; the tapsets are searched in the\n'
	printf '.B \\-I\n'
	printf 'directories, then in the installed tapset directory.  Each page\n'
	printf '.BR bstap-NAME (3stap)\n'
	printf 'documents the tapset file NAME.stp.\n'
	printf '.SH FUNCTIONS\n'
	sort -t "$(printf '\t')" -k1,1 "$index_file" | while IFS="$(printf '\t')" read -r fname summary tapset; do
		printf '.TP\n.B %s\n%s (\\fBbstap-%s\\fR(3stap))\n' "$fname" "$(printf '%s' "$summary" | sed 's/\\/\\e/g')" "$tapset"
	done
	printf '.SH SEE ALSO\n.BR bstap (1)\n'
} >"$out/bstap-tapsets.3stap"
exit $status
