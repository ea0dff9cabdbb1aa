#!/bin/sh
# tapset-man.sh - the tapsets' reference pages, from their doc comments.
#
#   tapset-man.sh OUTDIR FILE.stp...   write OUTDIR/bstap-NAME.3stap for each
#                                      FILE and the index bstap-tapsets.3stap
#   tapset-man.sh --check FILE.stp...  only check: every function and probe
#                                      alias whose name does not start with
#                                      "__" has a doc comment; prints what
#                                      lacks one
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
# or before its probe alias (see tapsets/kprocess.stp), the @ lines then
# naming the variables the alias sets:
#
#   /**
#    * probe NAME - when it fires, in one line
#    * @var: what the variable holds
#    *
#    * Context: whose context the handler runs in.
#    *
#    * Description: more text.
#    */
#   probe NAME = POINT, ... { ... }      (or +=)
#
# The // lines at the top of a file describe the whole tapset.  Exit status
# 1 when a function or probe alias has no doc comment (both modes).
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
# file fnout, its probe aliases to the file prout, "NAME<TAB>SUMMARY<TAB>
# TAPSET<TAB>KIND" index lines (KIND function or probe) appended to the
# file idx, undocumented functions and aliases to stderr.
page() { # file tapset-name index-file functions-file probes-file
	awk -v tapset="$2" -v idx="$3" -v fnout="$4" -v prout="$5" '
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
	/^\/\*\*[ \t]*$/ { state = "doc"; name = ""; kind = ""; summary = ""; body = ""; para = ""; params = ""; inparam = 0; next }
	state == "doc" && /^[ \t]*\*\// { flush_para(); state = "after"; next }
	state == "doc" {
		line = $0; sub(/^[ \t]*\* ?/, "", line)
		if (name == "" && line ~ /^(sfunction|probe) /) {
			kind = line; sub(/ .*/, "", kind)
			name = line; sub(/^[a-z]+ /, "", name)
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
		if (state == "after" && kind == "sfunction" && name == fname) {
			printf ".SS %s\n.B %s\n.PP\n%s\n", fname, esc(sig), esc(summary) > fnout
			if (params != "") printf ".RS\n%s.RE\n", params > fnout
			if (body != "") printf ".PP\n%s", body > fnout
			if (!(fname in seen)) { print fname "\t" summary "\t" tapset "\tfunction" >> idx; seen[fname] = 1 }
			nfun++
		} else if (fname !~ /^__/) {
			print FILENAME ": function " fname " has no doc comment" > "/dev/stderr"
			bad = 1
		}
		state = "code"
		next
	}
	# a probe alias: "probe NAME[, NAME...] = POINTS" or "+="; other
	# probes (probe begin { }) are not aliases and need no comment
	/^probe([ \t]|$)/ {
		names = $0
		# "probe NAME" alone, its "= POINTS" on the next lines
		for (k = 0; names !~ /[={]/ && k < 3 && (getline more) > 0; k++)
			names = names " " more
		sub(/^probe[ \t]+/, "", names)
		if (names !~ /^[^{]*[^!<>=+]\+?=([^=]|$)/) { state = "code"; next }
		sub(/[ \t]*\+?=([^=].*)?$/, "", names)
		n = split(names, an, /[ \t]*,[ \t]*/)
		for (i = 1; i <= n; i++) {
			aname = an[i]
			if (state == "after" && kind == "probe" && name == aname) {
				printf ".SS %s\n.B probe %s\n.PP\n%s\n", aname, esc(aname), esc(summary) > prout
				if (params != "") printf ".PP\nValues:\n.RS\n%s.RE\n", params > prout
				if (body != "") printf ".PP\n%s", body > prout
				if (!((aname, "probe") in seen)) {
					print aname "\t" summary "\t" tapset "\tprobe" >> idx
					seen[aname, "probe"] = 1
				}
			} else if (aname !~ /^__/) {
				print FILENAME ": probe alias " aname " has no doc comment" > "/dev/stderr"
				bad = 1
			}
		}
		state = "code"
		next
	}
	END {
		if (tapset != "" && idx != "/dev/null") {
			printf ".TH BSTAP-%s 3stap \"\" \"bstap\" \"bstap tapsets\"\n", toupper(tapset)
			printf ".SH NAME\nbstap-%s \\- %s\n", tapset, esc(headline)
			if (head != "") printf ".SH DESCRIPTION\n%s", head
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
		page "$f" "" /dev/null /dev/null /dev/null >/dev/null || status=1
		continue
	fi
	tmp="$index_file.head"
	fn="$index_file.fn"
	pr="$index_file.pr"
	: >"$fn"
	: >"$pr"
	page "$f" "$name" "$index_file" "$fn" "$pr" >"$tmp" || status=1
	{ cat "$tmp"
	  if [ -s "$fn" ] || [ ! -s "$pr" ]; then printf '.SH FUNCTIONS\n'; cat "$fn"; fi
	  if [ -s "$pr" ]; then printf '.SH PROBE ALIASES\n'; cat "$pr"; fi
	  printf '.SH SEE ALSO\n.BR bstap (1),\n.BR bstap-tapsets (3stap)\n'; } >"$out/bstap-$name.3stap"
	rm -f "$tmp" "$fn" "$pr"
done
[ $check = 1 ] && exit $status

# the index: every function and probe alias, and the page that has it
{
	printf '.TH BSTAP-TAPSETS 3stap "" "bstap" "bstap tapsets"\n'
	printf '.SH NAME\nbstap-tapsets \\- the functions and probe aliases of bstap'"'"'s tapset library\n'
	printf '.SH DESCRIPTION\n'
	printf 'Scripts call these functions and probe these aliases by name; the\n'
	printf 'tapsets are searched in the\n'
	printf '.B \\-I\n'
	printf 'directories, then in the installed tapset directory.  Each page\n'
	printf '.BR bstap-NAME (3stap)\n'
	printf 'documents the tapset file NAME.stp.\n'
	for kind in function probe; do
		if [ $kind = function ]; then printf '.SH FUNCTIONS\n'; else printf '.SH PROBE ALIASES\n'; fi
		sort -t "$(printf '\t')" -k1,1 "$index_file" | while IFS="$(printf '\t')" read -r fname summary tapset k; do
			[ "$k" = $kind ] || continue
			printf '.TP\n.B %s\n%s (\\fBbstap-%s\\fR(3stap))\n' "$fname" "$(printf '%s' "$summary" | sed 's/\\/\\e/g')" "$tapset"
		done
	done
	printf '.SH SEE ALSO\n.BR bstap (1)\n'
} >"$out/bstap-tapsets.3stap"
exit $status
