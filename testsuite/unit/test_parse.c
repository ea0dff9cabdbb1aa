/* test_parse.c - unit tests of the front end: arena, sources, diagnostics,
 * lexer, preprocessor, grammar and the -p1 printer.
 *
 * Most tests parse a snippet and compare the canonical print (which shows
 * the structure: parentheses appear exactly where precedence needs them),
 * or compare the exact diagnostics text. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parser/parse.h"
#include "parser/grammar.h"
#include "testsuite/unit/unit.h"

static Arena *arena;
static ParseEnv env;
static char *args[] = { "10", "hello", "kernel.function(\"f\")", "-3" };

static const char *config(const char *name)
{
	if (strcmp(name, "CONFIG_SMP") == 0)
		return "y";
	if (strcmp(name, "CONFIG_NR_CPUS") == 0)
		return "64";
	if (strcmp(name, "CONFIG_HZ") == 0)
		return "250";
	return NULL;
}

static void reset_env(void)
{
	env = (ParseEnv){
		.kernel_release = "6.8.0-45-generic", .arch = "x86_64", .runtime = "bpf",
		.systemtap_v = "5.0", .privilege = "stapdev", .guru = false,
		.nargs = 4, .args = args, .config = config,
	};
}

/* Diagnostics of the last parse, and its -p1 text. */
static char *diag_text;
static size_t diag_len;
static FILE *diag_file;

static void capture_begin(void)
{
	free(diag_text);
	diag_text = NULL;
	diag_file = open_memstream(&diag_text, &diag_len);
	diag_init(diag_file);
}

static const char *capture_end(void)
{
	fclose(diag_file);
	diag_init(stderr);
	return diag_text ? diag_text : "";
}

static char *print_text;

static const char *p1_env(const char *text, const ParseEnv *e)
{
	Source *src = src_add("t.stp", text, strlen(text), false);
	capture_begin();
	Script *s = parse_source(arena, src, e);
	capture_end();
	free(print_text);
	size_t len;
	FILE *f = open_memstream(&print_text, &len);
	if (s)
		ast_print_script(f, s);
	fclose(f);
	return print_text;
}

static const char *p1(const char *text)
{
	return p1_env(text, &env);
}

/* The printed statement of `probe begin { STMT }`, without the frame. */
static char *one_stmt_buf;
static const char *stmt1(const char *stmt)
{
	char *text = arena_printf(arena, "probe begin { %s }", stmt);
	const char *out = p1(text);
	free(one_stmt_buf);
	one_stmt_buf = strdup(out);
	char *b = strstr(one_stmt_buf, "{\n    ");
	if (!b)
		return one_stmt_buf;
	b += 6;
	char *e = strstr(b, ";\n}");
	if (e)
		*e = '\0';
	return b;
}

/* ------------------------------------------------------------ arena */

static void test_arena(void)
{
	Arena *a = arena_new();
	int *p = arena_alloc(a, 100 * sizeof(int));
	bool zero = true;
	for (int i = 0; i < 100; i++)
		zero = zero && p[i] == 0;
	CHECK(zero);
	CHECK(((uintptr_t)p & 15) == 0);
	char *big = arena_alloc(a, 1 << 20);   /* larger than a chunk */
	CHECK(big[0] == 0 && big[(1 << 20) - 1] == 0);
	CHECK_STR(arena_strdup(a, "abc"), "abc");
	CHECK_STR(arena_strndup(a, "abcdef", 3), "abc");
	CHECK_STR(arena_printf(a, "%d-%s", 42, "x"), "42-x");
	char longfmt[600];
	memset(longfmt, 'z', sizeof longfmt - 1);
	longfmt[sizeof longfmt - 1] = '\0';
	CHECK(strlen(arena_printf(a, "%s!", longfmt)) == sizeof longfmt);
	int cap = 0;
	int *v = NULL;
	for (int i = 0; i < 1000; i++) {
		v = arena_grow(a, v, &cap, i + 1, sizeof *v);
		v[i] = i;
	}
	CHECK(cap >= 1000 && v[999] == 999 && v[0] == 0);
	arena_free(a);
	arena_free(NULL);
}

/* ------------------------------------------------------------ sources */

static void test_source(void)
{
	int n = src_count();
	Source *s = src_add("x.stp", "ab\0cd", 5, true);
	CHECK(s && s->id == n && src_get(n) == s && src_count() == n + 1);
	CHECK(s->len == 5 && s->text[2] == '\0' && s->text[4] == 'd' && s->is_tapset);
	CHECK(src_get(-1) == NULL && src_get(n + 1) == NULL);
	SrcLoc use = { .file = s->id, .line = 1, .col = 2, .off = 1, .len = 1 };
	Source *e = src_add_expansion(s, &use);
	CHECK(e && e->text == s->text && e->expanded_at && e->expanded_at->col == 2);
	CHECK(src_read_file("/nonexistent/file.stp", false) == NULL);
}

/* ------------------------------------------------------------ diagnostics */

static void test_diag(void)
{
	const char *text = "probe begin { x = 1 y }\n\tz = 2\n";
	Source *s = src_add("t.stp", text, strlen(text), false);
	SrcLoc y = { .file = s->id, .line = 1, .col = 21, .off = 20, .len = 1 };
	SrcLoc probe = { .file = s->id, .line = 1, .col = 1, .off = 0, .len = 5 };
	SrcLoc z = { .file = s->id, .line = 2, .col = 2, .off = 25, .len = 1 };

	capture_begin();
	diag_at(DIAG_ERROR, "parse error", &y, "expected ';' or '}'");
	CHECK_STR(capture_end(),
		  "parse error: expected ';' or '}'\n"
		  "        at: t.stp:1:21\n"
		  "     source: probe begin { x = 1 y }\n"
		  "                                 ^\n");
	CHECK(diag_errors() == 0);   /* diag_init resets the counts */

	capture_begin();
	diag_at(DIAG_WARNING, NULL, &probe, "w %d", 1);
	diag_note(&z, "see here");
	diag_at(DIAG_ERROR, "semantic error", NULL, "no location");
	CHECK_STR(capture_end(),
		  "WARNING: w 1\n"
		  "        at: t.stp:1:1\n"
		  "     source: probe begin { x = 1 y }\n"
		  "             ^~~~~\n"
		  "        note: see here\n"
		  "        at: t.stp:2:2\n"
		  "     source: \tz = 2\n"
		  "             \t^\n"
		  "semantic error: no location\n");

	/* -w hides warnings (and their notes), -W counts them as errors */
	capture_begin();
	diag_set_warnings(false, false);
	diag_at(DIAG_WARNING, NULL, NULL, "hidden");
	diag_note(NULL, "hidden note");
	CHECK(diag_warnings() == 0 && diag_errors() == 0);
	diag_set_warnings(true, true);
	diag_at(DIAG_WARNING, NULL, NULL, "now an error");
	CHECK(diag_errors() == 1);
	diag_set_warnings(true, false);
	CHECK_STR(capture_end(), "WARNING: now an error\n");

	/* the cap: errors past it are counted, not printed */
	capture_begin();
	diag_set_max_errors(2);
	for (int i = 0; i < 4; i++)
		diag_at(DIAG_ERROR, "parse error", NULL, "e%d", i);
	diag_note(NULL, "note of a hidden error");
	CHECK(diag_errors() == 4);
	diag_set_max_errors(20);
	CHECK_STR(capture_end(), "parse error: e0\nparse error: e1\ntoo many errors; stopping\n");

	/* a location in a macro expansion names the use */
	SrcLoc use = { .file = s->id, .line = 2, .col = 2, .off = 25, .len = 1 };
	Source *exp = src_add_expansion(s, &use);
	SrcLoc in = { .file = exp->id, .line = 1, .col = 7, .off = 6, .len = 5 };
	capture_begin();
	diag_at(DIAG_ERROR, "parse error", &in, "inside");
	CHECK_STR(capture_end(),
		  "parse error: inside\n"
		  "        at: t.stp:1:7\n"
		  "     source: probe begin { x = 1 y }\n"
		  "                   ^~~~~\n"
		  "        note: in expansion of macro 'z'\n"
		  "        at: t.stp:2:2\n"
		  "     source: \tz = 2\n"
		  "             \t^\n");
}

/* ------------------------------------------------------------ lexer */

static int lex_all(const char *text, Token *out, int max)
{
	Source *s = src_add("l.stp", text, strlen(text), false);
	Lexer *lx = lex_new(arena, s, &env);
	int n = 0;
	for (;;) {
		Token t;
		lex_next(lx, &t);
		if (n < max)
			out[n] = t;
		n++;
		if (t.kind == 0)
			break;
	}
	lex_free(lx);
	return n;
}

static void test_lexer(void)
{
	Token t[32];
	int n = lex_all("probe foo $x $$vars $ @count @cast @bar <<< =~ !~ .= -> %( %? %: %)", t, 32);
	CHECK(n == 18);
	int want[] = { PROBE, IDENT, TARGET, TARGET, DOLLARS, AT_STAT, AT_CAST, AT_WORD, AGG,
		       MATCH, NOMATCH, CONCAT_ASSIGN, ARROW, PP_OPEN, PP_THEN, PP_ELSE, PP_CLOSE, 0 };
	bool same = true;
	for (int i = 0; i < 18 && i < n; i++)
		same = same && t[i].kind == want[i];
	CHECK(same);
	CHECK_STR(t[3].text, "$$vars");
	CHECK(t[5].num == STAT_COUNT);
	CHECK(t[1].loc.line == 1 && t[1].loc.col == 7 && t[1].loc.off == 6 && t[1].loc.len == 3);

	n = lex_all("42 0x2a 052 18446744073709551615 18446744073709551616 09", t, 32);
	CHECK(n == 7);
	CHECK(t[0].num == 42 && t[1].num == 42 && t[2].num == 42 && t[3].num == -1);
	CHECK(t[3].error == NULL && t[4].error != NULL && t[5].error != NULL);

	n = lex_all("\"a\\n\\t\\\"\\\\\\101\\x41\\q\" \"unterminated\n", t, 32);
	CHECK(n == 3);
	CHECK(t[0].kind == STRING && t[0].len == 8 && memcmp(t[0].text, "a\n\t\"\\AAq", 8) == 0);
	CHECK(t[1].kind == STRING && t[1].error != NULL);

	n = lex_all("# shell\n// c++\n/* c\n */ x %{ code } %} y\n", t, 32);
	CHECK(n == 4 && t[0].kind == IDENT && t[0].loc.line == 4 && t[0].space_before);
	CHECK(t[1].kind == EMBEDDED && strcmp(t[1].text, " code } ") == 0);
	CHECK(t[2].kind == IDENT && t[2].loc.line == 4);

	/* positional arguments: $1 a number, @2 a string, $3 pasted text */
	n = lex_all("$1 @2 $# @# $4 $5 $3", t, 32);
	CHECK(t[0].kind == NUMBER && t[0].num == 10);
	CHECK(t[1].kind == STRING && strcmp(t[1].text, "hello") == 0);
	CHECK(t[2].kind == NUMBER && t[2].num == 4);
	CHECK(t[3].kind == STRING && strcmp(t[3].text, "4") == 0);
	CHECK(t[4].kind == NUMBER && t[4].num == -3);
	CHECK(t[5].kind == NUMBER && t[5].error &&
	      strstr(t[5].error, "command line argument index 5 out of range [1-4]"));
	CHECK(t[6].kind == IDENT && strcmp(t[6].text, "kernel") == 0);
	CHECK(t[7].kind == '.' && t[8].kind == FUNCTION && t[9].kind == '(' && t[10].kind == STRING);

	n = lex_all("a ` b", t, 32);
	CHECK(n == 4 && t[1].kind == JUNK && t[1].error != NULL);

	capture_begin();
	n = lex_all("x /* open", t, 32);
	CHECK(strstr(capture_end(), "unterminated comment") != NULL);
	CHECK(n == 2);
}

/* ------------------------------------------------------------ grammar */

static void test_expressions(void)
{
	/* precedence as stap's parser; the printer adds only needed parens */
	CHECK_STR(stmt1("x = (a + b) * c"), "x = (a + b) * c");
	CHECK_STR(stmt1("x = a + b * c"), "x = a + b * c");
	CHECK_STR(stmt1("x = a . b + c"), "x = a . b + c");
	CHECK_STR(stmt1("x = (a . b) + c"), "x = (a . b) + c");
	CHECK_STR(stmt1("x = a << (b . c)"), "x = a << b . c");
	CHECK_STR(stmt1("x = a - (b - c)"), "x = a - (b - c)");
	CHECK_STR(stmt1("x = (a - b) - c"), "x = a - b - c");
	CHECK_STR(stmt1("a = b = c"), "a = b = c");
	CHECK_STR(stmt1("(a = b) = c"), "(a = b) = c");
	CHECK_STR(stmt1("x = a ? b : c ? d : e"), "x = a ? b : c ? d : e");
	CHECK_STR(stmt1("x = (a ? b : c) ? d : e"), "x = (a ? b : c) ? d : e");
	CHECK_STR(stmt1("x = a || b && c | d ^ e & f == g"), "x = a || b && c | d ^ e & f == g");
	CHECK_STR(stmt1("x = (a || b) && c"), "x = (a || b) && c");
	CHECK_STR(stmt1("x = !a in b"), "x = !a in b");
	CHECK_STR(stmt1("x = [a, *] in b"), "x = [a, *] in b");
	CHECK_STR(stmt1("x = [a] in b"), "x = a in b");
	CHECK_STR(stmt1("x = (a in b) == 0"), "x = (a in b) == 0");
	CHECK_STR(stmt1("x = s =~ \"^a.*\""), "x = s =~ \"^a.*\"");
	CHECK_STR(stmt1("x = - -y"), "x = - -y");
	CHECK_STR(stmt1("x = -(-5)"), "x = - -5");
	CHECK_STR(stmt1("x = ! ~y"), "x = ! ~y");
	CHECK_STR(stmt1("x = y-- - --z"), "x = y-- - --z");
	CHECK_STR(stmt1("x = \"a\" \"b\" . \"c\""), "x = \"ab\" . \"c\"");
	CHECK_STR(stmt1("x <<< 1"), "x <<< 1");
	CHECK_STR(stmt1("x .= \"s\\001\\n\""), "x .= \"s\\001\\n\"");
	CHECK_STR(stmt1("x = 0x10 + 010"), "x = 16 + 8");
	/* no ';' needed: the expression goes on as long as it can */
	CHECK_STR(p1("probe begin { x = 1 -y z = 2 }"),
		  "probe begin {\n    x = 1 - y;\n    z = 2;\n}\n");
	CHECK_STR(p1("probe begin { a = b ++c }"),
		  "probe begin {\n    a = b++;\n    c;\n}\n");
}

static void test_targets(void)
{
	CHECK_STR(stmt1("x = $a->b[1]->c"), "x = $a->b[1]->c");
	CHECK_STR(stmt1("x = $a$"), "x = $a$");
	CHECK_STR(stmt1("x = $a->b$$"), "x = $a->b$$");
	CHECK_STR(stmt1("x = $a[2]$"), "x = $a[2]$");
	CHECK_STR(stmt1("x = $$vars$"), "x = $$vars$");
	CHECK_STR(stmt1("x = $$parms"), "x = $$parms");
	CHECK_STR(stmt1("x = &$a->b"), "x = &$a->b");
	CHECK_STR(stmt1("x = &@cast(p, \"task_struct\", \"kernel\")->pid"),
		  "x = &@cast(p, \"task_struct\", \"kernel\")->pid");
	CHECK_STR(stmt1("x = @var(\"jiffies@kernel/time.c\")->x"),
		  "x = @var(\"jiffies@kernel/time.c\")->x");
	CHECK_STR(stmt1("x = f()->next"), "x = f()->next");
	CHECK_STR(stmt1("x = (a)[1]"), "x = (a)[1]");
	CHECK_STR(stmt1("x = ($a)->b"), "x = ($a)->b");
	CHECK_STR(stmt1("x = &(a + 1)"), "x = &(a + 1)");
	CHECK_STR(stmt1("x = @entry($a) + @defined($b)"), "x = @entry($a) + @defined($b)");
	CHECK_STR(stmt1("x = @const(\"X\") + @perf(\"y\")"), "x = @const(\"X\") + @perf(\"y\")");
	CHECK_STR(stmt1("x = @probewrite(v)"), "x = @probewrite(v)");
	CHECK_STR(stmt1("x = %{ 1 + 1 %}"), "x = %{ 1 + 1 %}");
	/* one node kind each */
	p1("probe begin { x = $a$->b }");
	CHECK(strstr(diag_text, "-> and [ are not accepted for a pretty-printing variable") != NULL);
}

static void test_stats(void)
{
	CHECK_STR(stmt1("x = @count(a[1]) + @variance(s, 3)"), "x = @count(a[1]) + @variance(s, 3)");
	CHECK_STR(stmt1("print(@hist_log(s))"), "print(@hist_log(s))");
	CHECK_STR(stmt1("print(@hist_linear(s, 0, 100, -10))"), "print(@hist_linear(s, 0, 100, -10))");
	CHECK_STR(stmt1("x = @hist_log(s)[3]"), "x = @hist_log(s)[3]");
	p1("probe begin { x = @hist_log(s) }");
	CHECK(strstr(diag_text, "base histogram operator where expression expected") != NULL);
	p1("probe begin { x = @sum(s, 3) }");
	CHECK(strstr(diag_text, "only @variance takes a second argument") != NULL);
}

static void test_statements(void)
{
	CHECK_STR(p1("probe begin { if (a) b else if (c) { d } else e }"),
		  "probe begin {\n"
		  "    if (a)\n        b;\n"
		  "    else if (c) {\n        d;\n    } else\n        e;\n"
		  "}\n");
	CHECK_STR(p1("probe begin { for (;;) break; for (i = 0; i < 3; i++) continue while (1) next }"),
		  "probe begin {\n"
		  "    for (;;)\n        break;\n"
		  "    for (i = 0; i < 3; i++)\n        continue;\n"
		  "    while (1)\n        next;\n"
		  "}\n");
	CHECK_STR(p1("probe begin { foreach ([a, b-] in x limit 5) { } foreach (v = k in x+) ; "
		     "foreach (k in x[*, 1] @avg -) {} foreach (v- = [a] in h) delete h[a] }"),
		  "probe begin {\n"
		  "    foreach ([a, b-] in x limit 5) {\n    }\n"
		  "    foreach (v = [k] in x+)\n        ;\n"
		  "    foreach ([k] in x[*, 1] @avg-) {\n    }\n"
		  "    foreach (v = [a] in h-)\n        delete h[a];\n"
		  "}\n");
	CHECK_STR(p1("function f() { try { x = 1 } catch { return } try { } catch (e) { return e } }"),
		  "function f () {\n"
		  "    try {\n        x = 1;\n    } catch {\n        return;\n    }\n"
		  "    try {\n    } catch (e) {\n        return e;\n    }\n"
		  "}\n");
	CHECK_STR(p1("probe begin { ; x = 1;; { } delete a[*, 2]; delete a }"),
		  "probe begin {\n    ;\n    x = 1;\n    ;\n    {\n    }\n"
		  "    delete a[*, 2];\n    delete a;\n}\n");
	p1("probe begin { foreach ([a+, b-] in x) {} }");
	CHECK(strstr(diag_text, "multiple sort directives") != NULL);
	p1("probe begin { return 1 }");
	CHECK(strstr(diag_text, "found 'return' not in function context") != NULL);
}

static void test_declarations(void)
{
	CHECK_STR(p1("global a, b[100], c = 5, d%[10], e = \"x\"; private f global g = -3"),
		  "global a\nglobal b[100]\nglobal c = 5\nglobal d%[10]\nglobal e = \"x\"\n"
		  "private global f\nglobal g = -3\n");
	CHECK_STR(p1("global a[10]%"), "global a%[10]\n");
	CHECK_STR(p1("function f:long (a:string, b) { return 1 } "
		     "private function g() %{ /* C */ %} %{ #include <x> %}"),
		  "%{ #include <x> %}\n"
		  "function f:long (a:string, b) {\n    return 1;\n}\n"
		  "private function g () %{ /* C */ %}\n");
	CHECK_STR(p1("probe kernel.function(\"*\").return?, begin(-1), timer.ms(100).randomize(5) "
		     "if (x > 1) { }"),
		  "probe kernel.function(\"*\").return?, begin(-1), timer.ms(100).randomize(5) "
		  "if (x > 1) {\n}\n");
	CHECK_STR(p1("probe syscall.*, sys*_at.call!, process(\"/bin/ls\").function(\"main@ls.c:12\") {}"),
		  "probe syscall.*, sys*_at.call!, process(\"/bin/ls\").function(\"main@ls.c:12\") {\n}\n");
	CHECK_STR(p1("probe kernel.{function(\"a\"), function(\"b\").return}? { }"),
		  "probe kernel.function(\"a\")?, kernel.function(\"b\").return? {\n}\n");
	CHECK_STR(p1("probe foo = begin { x = 1 }, { y = 2 } probe bar += end, error {}"),
		  "probe foo = begin {\n    x = 1;\n}, {\n    y = 2;\n}\n"
		  "probe bar += end, error {\n}\n");
	CHECK_STR(p1("probe $3 { }"), "probe kernel.function(\"f\") {\n}\n");
	p1("global a, a");
	CHECK(strstr(diag_text, "duplicate global name") != NULL);
	p1("function f(a, a) { }");
	CHECK(strstr(diag_text, "duplicate parameter names") != NULL);
	p1("global a[1] = 2");
	CHECK(strstr(diag_text, "only scalar globals can be initialized") != NULL);
	p1("probe a.{b?, c}.d {}");
	CHECK(strstr(diag_text, "'?', '!' or condition must only be specified in suffix") != NULL);
}

/* ------------------------------------------------------------ preprocessor */

static void test_conditionals(void)
{
	CHECK_STR(p1("%( arch == \"x86_64\" %? global a %: global b %)"), "global a\n");
	CHECK_STR(p1("%( arch == \"x86*\" && runtime != \"kernel\" %? global a %)"), "global a\n");
	CHECK_STR(p1("%( arch == \"arm\" || kernel_v >= \"6.8\" %? global a %: global b %)"),
		  "global a\n");
	CHECK_STR(p1("%( kernel_v > \"6.8.0\" %? global a %: global b %)"), "global b\n");
	CHECK_STR(p1("%( kernel_v > \"6.8\" %? global a %: global b %)"), "global a\n");
	CHECK_STR(p1("%( kernel_vr > \"6.8.0\" %? global a %: global b %)"), "global a\n");
	CHECK_STR(p1("%( kernel_vr == \"6.8.0-*\" %? global a %)"), "global a\n");
	CHECK_STR(p1("%( systemtap_v >= \"4.0\" %? global a %)"), "global a\n");
	CHECK_STR(p1("%( CONFIG_SMP == \"y\" && CONFIG_NR_CPUS >= 32 %? global a %)"), "global a\n");
	CHECK_STR(p1("%( CONFIG_NR_CPUS > CONFIG_HZ %? global a %: global b %)"), "global b\n");
	CHECK_STR(p1("%( CONFIG_UNSET == \"\" %? global a %)"), "global a\n");
	CHECK_STR(p1("%( $# == 4 %? global a %)"), "global a\n");
	CHECK_STR(p1("%( guru_mode == 0 && systemtap_privilege == \"stapdev\" %? global a %)"),
		  "global a\n");
	CHECK_STR(p1("%( 1 == 1 %? %( \"a\" < \"b\" %? global a %: global b %) %: global c %)"),
		  "global a\n");
	/* a skipped branch may hold anything, even bad tokens */
	CHECK_STR(p1("%( 1 == 0 %? $9 \"open\n ` %: global c %)"), "global c\n");
	CHECK_STR(diag_text, "");
	p1("%( kernel_v >= \"2.*\" %? global a %)");
	CHECK(strstr(diag_text, "wildcard not allowed with order comparison operators") != NULL);
	p1("%( foo == 1 %? global a %)");
	CHECK(strstr(diag_text, "expected 'arch', 'kernel_v'") != NULL);
	p1("%( 1 == 1 %? global a");
	CHECK(strstr(diag_text, "incomplete conditional at end of file") != NULL);
	p1("global a %)");
	CHECK(strstr(diag_text, "'%)' without a matching '%('") != NULL);
}

static void test_macros(void)
{
	CHECK_STR(p1("@define two %( 2 %) @define add(a, b) %( (@a + @b) %) "
		     "probe begin { x = @add(@two, 3) * @add(y[1, 2], -z) }"),
		  "probe begin {\n    x = (2 + 3) * (y[1, 2] + -z);\n}\n");
	/* arguments are closures: @a inside an argument is the caller's a */
	CHECK_STR(p1("@define inner(a) %( @a %) @define outer(a) %( @inner(@a + 1) %) "
		     "probe begin { x = @outer(5) }"),
		  "probe begin {\n    x = 5 + 1;\n}\n");
	/* conditionals inside macro bodies are decided at each use */
	CHECK_STR(p1("@define arch_name %( %( arch == \"x86_64\" %? \"x86\" %: \"other\" %) %) "
		     "probe begin { print(@arch_name) }"),
		  "probe begin {\n    print(\"x86\");\n}\n");
	/* unknown @words are operators: left for the grammar */
	CHECK_STR(stmt1("x = @cast(p, \"t\")->a"), "x = @cast(p, \"t\")->a");
	p1("@define m(a) %( @a %) probe begin { x = @m(1, 2) }");
	CHECK(strstr(diag_text, "too many arguments for macro '@m' (it takes 1)") != NULL);
	p1("@define m(a, b) %( @a %) probe begin { x = @m(1) }");
	CHECK(strstr(diag_text, "too few arguments for macro '@m' (it takes 2)") != NULL);
	p1("@define m %( 1 %) @define m %( 2 %)");
	CHECK(strstr(diag_text, "attempt to redefine macro '@m' in the same file") != NULL);
	CHECK(strstr(diag_text, "note: macro '@m' first defined here") != NULL);
	p1("@define r %( @r %) probe begin { x = @r }");
	CHECK(strstr(diag_text, "macro '@r' expands to itself (recursive macro)") != NULL);
	/* an error inside an expansion names the use */
	p1("@define bad %( 1 + ) %)\nprobe begin { x = @bad }");
	CHECK(strstr(diag_text, "note: in expansion of macro '@bad'\n        at: t.stp:2:19\n") != NULL);

	/* library macros, from a .stpm file */
	ParseEnv lib = env;
	lib.macros = NULL;
	const char *stpm = "@define libm(x) %( (@x * 2) %)\n%( arch == \"x86_64\" %? "
			   "@define archm %( 64 %) %)";
	Source *s = src_add("lib.stpm", stpm, strlen(stpm), true);
	capture_begin();
	CHECK(parse_macro_file(arena, s, &lib) == 0);
	CHECK_STR(capture_end(), "");
	CHECK_STR(p1_env("probe begin { x = @libm(@archm) }", &lib),
		  "probe begin {\n    x = 64 * 2;\n}\n");
	Source *bad = src_add("bad.stpm", "@define libm %( 1 %) global x", 29, true);
	capture_begin();
	CHECK(parse_macro_file(arena, bad, &lib) == -1);
	CHECK(strstr(capture_end(), "unexpected token in library macro file") != NULL);
}

/* ------------------------------------------------------------ errors */

static void test_errors(void)
{
	p1("probe begin { x = 1 + }");
	CHECK_STR(diag_text,
		  "parse error: expected expression before '}'\n"
		  "        at: t.stp:1:23\n"
		  "     source: probe begin { x = 1 + }\n"
		  "                                   ^\n");
	p1("probe begin { if (x > 1 { } }");
	CHECK(strstr(diag_text, "parse error: expected ')' before '{'\n") == diag_text);
	p1("probe begin { for (i = 0 i < 3; i++) {} }");
	CHECK(strstr(diag_text, "parse error: expected ';' before 'i'\n") == diag_text);
	/* recovery: one error per broken declaration */
	p1("probe a { x = } probe b { y = ( } function f( { } probe c { z = 1 }");
	int n = 0;
	for (const char *p = diag_text; (p = strstr(p, "parse error:")); p++)
		n++;
	CHECK(n == 3);
	CHECK(strstr(print_text, "probe c {\n    z = 1;\n}") != NULL);
	p1("probe begin { x = @nosuch(1) }");
	CHECK(strstr(diag_text, "unknown operator or undefined macro '@nosuch'") != NULL);
	p1("probe begin { x = \"abc }");
	CHECK(strstr(diag_text, "unterminated string literal") != NULL);
	p1("probe begin { x = 1 %{ abc ");
	CHECK(strstr(diag_text, "unterminated embedded code block") != NULL);
	p1("probe begin { x = 99999999999999999999 }");
	CHECK(strstr(diag_text, "number invalid or out of range") != NULL);
	p1("probe begin { x = $7 }");
	CHECK(strstr(diag_text, "command line argument index 7 out of range [1-4]") != NULL);
	/* no crash on junk */
	p1("\x01\x02%(%?%:%)}{)(][\"");
	CHECK(diag_text[0] != '\0');
}

/* The printer's output parses to the same print. */
static void test_round_trip(void)
{
	const char *text =
		"global g%[5], h = \"q\\\"\"\n"
		"function f:string (a:long) %{ STAP_RETVALUE; %}\n"
		"probe begin, end(10) ! { x = a ? b : c = 1; y = (a)[1][2]->x$; z = - - -1;"
		" if (a) if (b) c; else d; else e; w = [1, \"a\"] in arr && $x->y;"
		" foreach (v = [a, b+] in @hist_log(s)) print(v) }\n";
	char *first = strdup(p1(text));
	CHECK_STR(diag_text, "");
	CHECK_STR(p1(first), first);
	CHECK_STR(diag_text, "");
	free(first);
}

int main(void)
{
	arena = arena_new();
	src_init(arena);
	diag_init(stderr);
	reset_env();
	test_arena();
	test_source();
	test_diag();
	test_lexer();
	test_expressions();
	test_targets();
	test_stats();
	test_statements();
	test_declarations();
	test_conditionals();
	test_macros();
	test_errors();
	test_round_trip();
	free(diag_text);
	free(print_text);
	free(one_stmt_buf);
	arena_free(arena);
	return unit_done();
}
