/* test_regex.c - the regex compiler's tables, walked by regex_sim.c exactly
 * as the BPF code walks them, against glibc's regcomp(REG_EXTENDED) and
 * regexec on many generated pattern x subject pairs (a differential test),
 * plus hand-picked cases and patterns that must be refused. */
#include <regex.h>
#include <stdlib.h>

#include "translate/regex.h"
#include "unit.h"

#define CAP 64

static unsigned long long rng = 0x2545F4914F6CDD1Dull;

static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* A random ERE over the letters a b c, using every construct we accept.
 * No anchors inside a repetition: glibc lets `^` match mid-subject there
 * ("(a|^_){2}" matches "a_"), where POSIX and we do not. */
static void gen(char *out, size_t *n, size_t max, int depth, bool anchors)
{
#define PUT(s) do { for (const char *q_ = (s); *q_ && *n + 1 < max; q_++) out[(*n)++] = *q_; } while (0)
	unsigned k = depth > 3 ? rnd(6) : rnd(14);
	static const char *const atoms[] = { "a", "b", "c", ".", "[ab]", "[^a]", "[a-c]", "[[:alpha:]]",
	                                     "[^[:alpha:]b]", "\\.", "[]a]", "[a-]", "\\w", "x", "(|a)", "()" };
	switch (k) {
	case 0: case 1: case 2: case 3: case 4: case 5:
		PUT(atoms[rnd(sizeof atoms / sizeof atoms[0])]);
		break;
	case 6: case 7:
		PUT("(");
		gen(out, n, max, depth + 1, anchors);
		PUT(")");
		break;
	case 8:
		gen(out, n, max, depth + 1, anchors);
		PUT("|");
		gen(out, n, max, depth + 1, anchors);
		break;
	case 9: case 10: {
		PUT("(");
		gen(out, n, max, depth + 1, false);
		PUT(")");
		static const char *const reps[] = { "*", "+", "?", "{2}", "{1,3}", "{0,2}", "{2,}" };
		PUT(reps[rnd(sizeof reps / sizeof reps[0])]);
		break;
	}
	case 11: case 12:
		gen(out, n, max, depth + 1, anchors);
		gen(out, n, max, depth + 1, anchors);
		break;
	default:
		PUT(!anchors ? "b" : rnd(2) ? "^" : "$");
		break;
	}
	out[*n] = 0;
#undef PUT
}

static void differential(void)
{
	int compared = 0, skipped = 0, bad = 0;
	for (int p = 0; p < 20000; p++) {
		char pat[128];
		size_t n = 0;
		gen(pat, &n, sizeof pat, 0, true);
		regex_t g;
		if (regcomp(&g, pat, REG_EXTENDED)) {
			skipped++;
			continue;
		}
		Arena *a = arena_new();
		char err[200];
		int erroff;
		Regex *re = regex_compile(a, pat, n, false, err, sizeof err, &erroff);
		if (!re) {
			fprintf(stderr, "glibc compiles /%s/, we do not: %s\n", pat, err);
			bad++;
			unit_failed++;
			regfree(&g);
			arena_free(a);
			continue;
		}
		for (int t = 0; t < 40; t++) {
			char s[CAP + 1];
			int len = (int)rnd(10);
			for (int i = 0; i < len; i++)
				s[i] = "abcdx.-_"[rnd(t < 20 ? 3 : 8)];
			s[len] = 0;
			regmatch_t m[1];
			bool want = regexec(&g, s, 1, m, 0) == 0;
			int st = -1, en = -1;
			bool got = regex_sim_search(re, s, CAP, &st, &en);
			bool any = regex_sim_any(re, s, CAP);
			compared++;
			if (got != want || any != want || (want && (st != m[0].rm_so || en != m[0].rm_eo))) {
				if (bad++ < 20)
					fprintf(stderr, "/%s/ on \"%s\": glibc %s [%d,%d), we %s/%s [%d,%d)\n", pat, s,
					        want ? "matches" : "does not match", want ? (int)m[0].rm_so : -1,
					        want ? (int)m[0].rm_eo : -1, got ? "match" : "no match",
					        any ? "any" : "none", st, en);
				unit_failed++;
			} else {
				unit_passed++;
			}
		}
		regfree(&g);
		arena_free(a);
	}
	printf("differential: %d pairs compared, %d patterns glibc refused, %d disagreements\n", compared,
	       skipped, bad);
	CHECK(compared > 500000);
}

/* A pattern whose every match has one parse: each byte set appears once
 * (so no two pieces can take the same byte), alternatives are single
 * bytes of different sets.  There POSIX's submatch rules and ours agree. */
static size_t gen_unambiguous(char *out, size_t max)
{
	const char *sets[] = { "a", "b", "[cd]", "x", "[-_]" };
	int order[5] = { 0, 1, 2, 3, 4 };
	for (int i = 4; i > 0; i--) {
		int j = (int)rnd((unsigned)i + 1), t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	int k = 2 + (int)rnd(4);
	size_t n = 0;
	out[0] = 0;
	for (int i = 0; i < k; i++) {
		char atom[32];
		if (i + 1 < k && rnd(4) == 0) {
			snprintf(atom, sizeof atom, "(%s|%s)", sets[order[i]], sets[order[i + 1]]);
			i++;
		} else {
			snprintf(atom, sizeof atom, rnd(2) ? "(%s)" : "%s", sets[order[i]]);
		}
		static const char *const reps[] = { "", "", "+", "*", "?", "{1,2}", "{2}" };
		const char *rep = reps[rnd(sizeof reps / sizeof reps[0])];
		bool wrap = rnd(3) == 0;
		n += (size_t)snprintf(out + n, max - n, "%s%s%s%s", wrap ? "(" : "", atom, rep, wrap ? ")" : "");
	}
	return n;
}

static void differential_groups(void)
{
	int compared = 0, bad = 0;
	for (int p = 0; p < 3000; p++) {
		char pat[200];
		size_t n = gen_unambiguous(pat, sizeof pat);
		regex_t g;
		if (regcomp(&g, pat, REG_EXTENDED)) {
			fprintf(stderr, "glibc refuses /%s/\n", pat);
			unit_failed++;
			continue;
		}
		Arena *a = arena_new();
		char err[200];
		int erroff;
		Regex *re = regex_compile(a, pat, n, true, err, sizeof err, &erroff);
		if (!re) {
			fprintf(stderr, "/%s/ refused: %s\n", pat, err);
			unit_failed++;
			regfree(&g);
			arena_free(a);
			continue;
		}
		for (int t = 0; t < 30; t++) {
			char s[CAP + 1];
			int len = (int)rnd(12);
			for (int i = 0; i < len; i++)
				s[i] = "abcdx-_z"[rnd(8)];
			s[len] = 0;
			regmatch_t m[20];
			int st, en, so[20], eo[20];
			if (regexec(&g, s, 20, m, 0) != 0 || !regex_sim_search(re, s, CAP, &st, &en))
				continue;
			regex_sim_groups(re, s, CAP, st, en, so, eo);
			compared++;
			bool same = true;
			for (int k = 1; k <= re->ngroups; k++)
				same = same && so[k] == m[k].rm_so && eo[k] == m[k].rm_eo;
			if (same) {
				unit_passed++;
				continue;
			}
			unit_failed++;
			if (bad++ < 10) {
				fprintf(stderr, "/%s/ on \"%s\":", pat, s);
				for (int k = 1; k <= re->ngroups; k++)
					fprintf(stderr, " %d: glibc [%d,%d) we [%d,%d)", k, (int)m[k].rm_so, (int)m[k].rm_eo,
					        so[k], eo[k]);
				fprintf(stderr, "\n");
			}
		}
		regfree(&g);
		arena_free(a);
	}
	printf("submatch differential: %d matches compared, %d disagreements\n", compared, bad);
	CHECK(compared > 10000);
}

/* Subexpressions of one search: "so,eo so,eo ..." for groups 1.. */
static void expect_groups(const char *pat, const char *s, const char *want)
{
	Arena *a = arena_new();
	char err[200], got[200] = "";
	int erroff, st, en, so[20], eo[20];
	Regex *re = regex_compile(a, pat, strlen(pat), true, err, sizeof err, &erroff);
	if (re && regex_sim_search(re, s, CAP, &st, &en)) {
		regex_sim_groups(re, s, CAP, st, en, so, eo);
		for (int g = 1; g <= re->ngroups; g++)
			snprintf(got + strlen(got), sizeof got - strlen(got), "%s%d,%d", g > 1 ? " " : "", so[g], eo[g]);
	}
	CHECK_STR(got, want);
	arena_free(a);
}

/* One search: start and end, or -1 -1 when there is no match. */
static void expect(const char *pat, const char *s, int st, int en)
{
	Arena *a = arena_new();
	char err[200];
	int erroff, gs = -1, ge = -1;
	Regex *re = regex_compile(a, pat, strlen(pat), true, err, sizeof err, &erroff);
	if (!re) {
		fprintf(stderr, "/%s/ refused: %s\n", pat, err);
		unit_failed++;
	} else {
		if (!regex_sim_search(re, s, CAP, &gs, &ge))
			gs = ge = -1;
		if (gs == st && ge == en && regex_sim_any(re, s, CAP) == (st >= 0)) {
			unit_passed++;
		} else {
			fprintf(stderr, "/%s/ on \"%s\": got [%d,%d), want [%d,%d)\n", pat, s, gs, ge, st, en);
			unit_failed++;
		}
	}
	arena_free(a);
}

static void refused(const char *pat, const char *want)
{
	Arena *a = arena_new();
	char err[200] = "";
	int erroff;
	Regex *re = regex_compile(a, pat, strlen(pat), true, err, sizeof err, &erroff);
	CHECK(re == NULL);
	if (!re && !strstr(err, want)) {
		fprintf(stderr, "/%s/: message \"%s\" lacks \"%s\"\n", pat, err, want);
		unit_failed++;
	}
	arena_free(a);
}

int main(void)
{
	expect("abc", "xxabcxx", 2, 5);
	expect("^abc", "xxabc", -1, -1);
	expect("abc$", "abcabc", 3, 6);
	expect("^$", "", 0, 0);
	expect("x*", "aaa", 0, 0);
	expect("a|ab|abc", "zabcd", 1, 4);          /* longest, not first alternative */
	expect("(a|ab)(c|bcd)", "abcd", 0, 4);
	expect("[[:digit:]]+", "pid 4242 x", 4, 8);
	expect("[^[:space:]]+$", "a b\tcd", 4, 6);
	expect("a{2,3}", "aaaa", 0, 3);
	expect("a.c", "a\nc", 0, 3);                /* '.' matches newline */
	expect("\\.so", "libc.so.6", 4, 7);
	expect("[]x]+", "a]x]b", 1, 4);
	expect("(^a|b$)", "cab", 2, 3);
	/* a subject as long as the buffer has no NUL: the end is the cap */
	char full[CAP];
	memset(full, 'a', sizeof full);
	Arena *a = arena_new();
	char err[200];
	int erroff, st, en;
	Regex *re = regex_compile(a, "a$", 2, true, err, sizeof err, &erroff);
	CHECK(re && regex_sim_search(re, full, CAP, &st, &en) && st == CAP - 1 && en == CAP);
	arena_free(a);

	refused("a(b", "missing ')'");
	refused("a)b", "unmatched ')'");
	refused("*a", "nothing to repeat");
	refused("[b", "missing ']'");
	refused("a{2,1}", "out of order");
	refused("(a)\\1", "back-references");
	refused("[z-a]", "range out of order");
	refused("[[:foo:]]", "unknown character class");
	refused("[ab]*a[ab]{12}", "too complex");

	/* submatches where POSIX has one answer */
	expect_groups("lib([a-z]+)\\.so", "/usr/lib/libc.so.6", "12,13");
	expect_groups("(a|(b))+", "ab", "1,2 1,2");
	expect_groups("^([^:]+):([0-9]+)$", "host:8080", "0,4 5,9");
	expect_groups("(x)?(y)", "y", "-1,-1 0,1");
	expect_groups("((a)|b)*c", "abc", "1,2 0,1");
	expect_groups("(a*)(b*)$", "aab", "0,2 2,3");
	/* where they differ: POSIX makes the first group longest (0,2 2,3);
	 * ours prefers the left alternative at each choice */
	expect_groups("(a|ab)(c|bcd)", "abcd", "0,1 1,4");
	refused("((((a){2,}){2})){1,3}", "too complex for matched(n)");

	differential();
	differential_groups();
	return unit_done();
}
