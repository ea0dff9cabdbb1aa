/* test_fmt.c - the printf engine (fmt.c) and output buffers (outbuf.c).
 *
 * Where stap's printf means what C's does, the expected text comes from
 * glibc's snprintf over a table of formats and values (with "ll" added, as
 * our values are 64-bit).  The corners where stap differs from C, and the
 * conversions C lacks (%p's layout, %b, %m, %M, %#c), are written out by
 * hand from stap's documentation and its runtime's behaviour.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/rt.h"
#include "testsuite/unit/unit.h"

/* ------------------------------------------------------------- helpers */

#define L(v) ((FmtArg){ .kind = FMT_ARG_LONG, .l = (int64_t)(v) })
#define S(str) ((FmtArg){ .kind = FMT_ARG_STRING, .s = (str), .slen = strlen(str) })
#define B(ptr, n) ((FmtArg){ .kind = FMT_ARG_STRING, .s = (ptr), .slen = (n) })

static OutBuf out;

/* Format into the shared buffer and return it as a C string. */
static const char *fmtv(const char *fmt, const FmtArg *args, int nargs)
{
	out.len = 0;
	fmt_format(&out, fmt, args, nargs);
	return out.p ? out.p : "";
}

#define NARGS(...) ((int)(sizeof((FmtArg[]){ __VA_ARGS__ }) / sizeof(FmtArg)))
#define F(fmt, ...) fmtv(fmt, (FmtArg[]){ __VA_ARGS__ }, NARGS(__VA_ARGS__))
#define F0(fmt) fmtv(fmt, NULL, 0)

/* The last output is exactly these bytes (which may include NULs). */
#define CHECK_BYTES(want, n) \
	CHECK(out.len == (n) && memcmp(out.p, (want), (n)) == 0)

/* A table case: say which format and value before the usual report. */
static void check_case(const char *fmt, long long v, const char *got, const char *want)
{
	if (strcmp(got, want) != 0)
		fprintf(stderr, "case: format \"%s\", value %lld\n", fmt, v);
	CHECK_STR(got, want);
}

/* ------------------------------------------- integers against glibc */

static const char *const int_fmts[] = {
	"%d", "%i", "%u", "%x", "%X", "%o", "%1d", "%5d", "%-5d", "%05d",
	"%+d", "% d", "%+5d", "%-+8d", "% 05d", "%+05d", "%-05d", "%.3d",
	"%8.3d", "%-8.3d", "%+.3d", "%20d", "%-20u", "%.10x", "%#x", "%#X",
	"%#10x", "%#-10x", "%#010x", "%#o", "%#8o", "%08X", "%-#12o", "%+u",
	"% u", "%+x", "%.20o", "%24o", "%-30d", "%.0d", "%.1d", "%.25u",
	"%#.20x",
};

static const long long int_vals[] = {
	0, 1, 7, 8, 42, -1, -42, 255, 4096, 65535, 123456789, -123456789,
	0x7fffffff, 0x100000000LL, INT64_MAX, INT64_MIN,
	(long long)0xdeadbeefcafef00dULL,
};

/* Where stap's runtime and C part ways (rt.h lists them); those pairs
 * are tested by hand below instead. */
static int diverges_from_c(const char *fmt, long long v)
{
	const char *dot = strchr(fmt, '.');
	const char *flags_end = fmt + 1 + strspn(fmt + 1, "-+ #0");
	int alt = memchr(fmt, '#', (size_t)(flags_end - fmt)) != NULL;
	int zero = memchr(fmt, '0', (size_t)(flags_end - fmt)) != NULL;
	int left = memchr(fmt, '-', (size_t)(flags_end - fmt)) != NULL;
	char conv = fmt[strlen(fmt) - 1];

	if (alt && v == 0)
		return 1;
	if (alt && conv == 'o' && dot)
		return 1;
	if (zero && dot && !left)
		return 1;
	if (dot && atoi(dot + 1) == 0 && v == 0)
		return 1;
	return 0;
}

static void test_ints_vs_glibc(void)
{
	for (size_t i = 0; i < sizeof int_fmts / sizeof *int_fmts; i++) {
		const char *fmt = int_fmts[i];
		size_t n = strlen(fmt);
		char cfmt[32], want[128];

		/* "%-5d" -> "%-5lld" */
		memcpy(cfmt, fmt, n - 1);
		memcpy(cfmt + n - 1, "ll", 2);
		cfmt[n + 1] = fmt[n - 1];
		cfmt[n + 2] = '\0';
		for (size_t j = 0; j < sizeof int_vals / sizeof *int_vals; j++) {
			long long v = int_vals[j];
			if (diverges_from_c(fmt, v))
				continue;
			snprintf(want, sizeof want, cfmt, v);
			check_case(fmt, v, F(fmt, L(v)), want);
		}
	}
}

/* ----------------------------------- strings and chars against glibc */

static void test_strings_vs_glibc(void)
{
	static const char *const fmts[] = {
		"%s", "%1s", "%8s", "%-8s", "%.0s", "%.s", "%.2s", "%.20s",
		"%8.2s", "%-8.2s", "%-1.1s", "%+s", "% s", "%#s", "%ls",
	};
	static const char *const strs[] = { "", "a", "hello", "hello, world" };
	char want[64];

	for (size_t i = 0; i < sizeof fmts / sizeof *fmts; i++)
		for (size_t j = 0; j < sizeof strs / sizeof *strs; j++) {
			/* glibc's %ls wants a wide string: compare with %s. */
			snprintf(want, sizeof want, strcmp(fmts[i], "%ls") ? fmts[i] : "%s", strs[j]);
			check_case(fmts[i], (long long)j, F(fmts[i], S(strs[j])), want);
		}

	static const char *const cfmts[] = { "%c", "%3c", "%-3c", "%1c", "%+c", "%lc" };
	static const long long chars[] = { 'A', 'z', ' ', '~', 'A' + 256, '0' - 512 };
	for (size_t i = 0; i < sizeof cfmts / sizeof *cfmts; i++)
		for (size_t j = 0; j < sizeof chars / sizeof *chars; j++) {
			snprintf(want, sizeof want, strcmp(cfmts[i], "%lc") ? cfmts[i] : "%c",
				 (int)(unsigned char)chars[j]);
			check_case(cfmts[i], chars[j], F(cfmts[i], L(chars[j])), want);
		}

	/* '*' for width and precision, including a negative width. */
	static const struct { int w, p; } stars[] = {
		{ 0, 0 }, { 5, 2 }, { -5, 2 }, { 12, 20 }, { -12, 1 }, { 1, 0 },
	};
	for (size_t i = 0; i < sizeof stars / sizeof *stars; i++) {
		int w = stars[i].w, p = stars[i].p;
		snprintf(want, sizeof want, "[%*.*s]", w, p, "hello");
		check_case("[%*.*s]", w, F("[%*.*s]", L(w), L(p), S("hello")), want);
		snprintf(want, sizeof want, "[%*lld]", w, -42LL);
		check_case("[%*d]", w, F("[%*d]", L(w), L(-42)), want);
		snprintf(want, sizeof want, "[%-*.*llx]", w, p + 1, 0xbeefLL);
		check_case("[%-*.*x]", w, F("[%-*.*x]", L(w), L(p + 1), L(0xbeef)), want);
	}
}

/* --------------------------------------------------- integers by hand */

static void test_ints_by_hand(void)
{
	/* 64-bit extremes. */
	CHECK_STR(F("%d", L(INT64_MIN)), "-9223372036854775808");
	CHECK_STR(F("%i", L(INT64_MAX)), "9223372036854775807");
	CHECK_STR(F("%u", L(INT64_MIN)), "9223372036854775808");
	CHECK_STR(F("%u", L(-1)), "18446744073709551615");
	CHECK_STR(F("%x", L(INT64_MIN)), "8000000000000000");
	CHECK_STR(F("%X", L(-1)), "FFFFFFFFFFFFFFFF");
	CHECK_STR(F("%o", L(-1)), "1777777777777777777777");
	CHECK_STR(F("%+d", L(INT64_MIN)), "-9223372036854775808");
	CHECK_STR(F("%025d", L(INT64_MIN)), "-000009223372036854775808");

	/* Where stap's runtime differs from C: '#' always adds its prefix. */
	CHECK_STR(F("%#x", L(0)), "0x0");
	CHECK_STR(F("%#X", L(0)), "0X0");
	CHECK_STR(F("%#o", L(0)), "00");
	CHECK_STR(F("%#5x", L(0)), "  0x0");
	CHECK_STR(F("%#.3o", L(8)), "0010");
	/* '0' still pads when a precision is given; .0 still prints 0. */
	CHECK_STR(F("%08.3d", L(5)), "00000005");
	CHECK_STR(F("%08.3d", L(-5)), "-0000005");
	CHECK_STR(F("%.0d", L(0)), "0");
	CHECK_STR(F("%5.0x", L(0)), "    0");
	/* '+' and ' ' only sign signed conversions; '#' means nothing to %d. */
	CHECK_STR(F("%+u %+x % o %#d", L(1), L(2), L(3), L(4)), "1 2 3 4");

	/* Examples from stap(1). */
	CHECK_STR(F("%#o %#x %#X\n", L(1), L(2), L(3)), "01 0x2 0X3\n");
	CHECK_STR(F("%c is %s; %x or %X or %p; %d or %u\n", L(97), S("alice"),
		    L(0x1234abcd), L(0x1234abcd), L(0x1234abcd), L(-1), L(-1)),
		  "a is alice; 1234abcd or 1234ABCD or 0x1234abcd; -1 or 18446744073709551615\n");
	CHECK_STR(F("%*d", L(4), L(2)), "   2");

	/* Length modifiers are accepted and change nothing. */
	CHECK_STR(F("%hd %hhd %ld %lld %Lx %zu %jd %td", L(70000), L(300), L(1LL << 40),
		    L(-1), L(0x123456789LL), L(5), L(-6), L(7)),
		  "70000 300 1099511627776 -1 123456789 5 -6 7");

	/* '*' values: negative precision counts as 0; both are clamped. */
	CHECK_STR(F("%.*d|%.*s|", L(-3), L(42), L(-1), S("abc")), "42||");
	CHECK_STR(F("%*d|", L(-5), L(42)), "42   |");
	F("%*d", L(INT64_MIN), L(1));
	CHECK(out.len == FMT_WIDTH_MAX && out.p[0] == '1' && out.p[out.len - 1] == ' ');
	F("%*d", L(1LL << 40), L(1));
	CHECK(out.len == FMT_WIDTH_MAX && out.p[out.len - 1] == '1');
	F("%.*x", L(INT64_MAX), L(1));
	CHECK(out.len == FMT_WIDTH_MAX && out.p[0] == '0');
}

/* ---------------------------------------------------------------- %p */

static void test_pointer(void)
{
	CHECK_STR(F("%p", L(0xffffffff81000000ULL)), "0xffffffff81000000");
	CHECK_STR(F("%p", L(0)), "0x0");
	CHECK_STR(F("%p", L(-1)), "0xffffffffffffffff");
	CHECK_STR(F("%p", L(0xbc614e)), "0xbc614e");
	/* Width covers the whole field, "0x" included. */
	CHECK_STR(F("[%20p]", L(0x1234)), "[              0x1234]");
	CHECK_STR(F("[%-20p]", L(0x1234)), "[0x1234              ]");
	CHECK_STR(F("[%020p]", L(0x1234)), "[0x000000000000001234]");
	CHECK_STR(F("[%.8p]", L(0x1234)), "[0x00001234]");
	CHECK_STR(F("[%#p|%+p|%lp]", L(1), L(2), L(3)), "[0x1|0x2|0x3]");
	CHECK_STR(F("[%*p]", L(8), L(0xab)), "[    0xab]");
}

/* ---------------------------------------------------------------- %c */

static void test_char(void)
{
	F("%c", L(0));
	CHECK_BYTES("\0", 1);
	F("%3c", L(0));
	CHECK_BYTES("  \0", 3);
	CHECK_STR(F("%c%c", L(0x141), L(-190)), "AB"); /* the low byte */
	CHECK_STR(F("[%05c]", L('x')), "[    x]");    /* '0' pads with spaces */

	/* %#c escapes, stap(1)'s example first. */
	CHECK_STR(F("%#c %#c %#c\n", L(0), L(9), L(42)), "\\000 \\t *\n");
	CHECK_STR(F("%#c%#c%#c%#c%#c%#c%#c", L('\a'), L('\b'), L('\f'), L('\n'), L('\r'),
		    L('\v'), L('a')),
		  "\\a\\b\\f\\n\\r\\va");
	CHECK_STR(F("%#c %#c", L('\''), L('\\')), "\\' \\\\");
	CHECK_STR(F("%#c %#c %#c %#c", L(1), L(0x1b), L(0x7f), L(0xff)), "\\001 \\033 \\177 \\377");
	CHECK_STR(F("%#c", L('"')), "\"");
	CHECK_STR(F("[%#5c][%-#5c][%#2c]", L('\n'), L(1), L(0x80)), "[   \\n][\\001 ][\\200]");
}

/* ---------------------------------------------------------------- %s */

static void test_string(void)
{
	static const char nul[] = { 'a', 'b', '\0', 'c', 'd' };
	static const char unterminated[] = { 'x', 'y', 'z' };

	/* %s stops at a NUL, and never reads past the argument's length. */
	CHECK_STR(F("[%s]", B(nul, 5)), "[ab]");
	CHECK_STR(F("[%.1s]", B(nul, 5)), "[a]");
	CHECK_STR(F("[%.4s]", B(nul, 5)), "[ab]");
	CHECK_STR(F("[%5s]", B(nul, 5)), "[   ab]");
	CHECK_STR(F("[%s]", B(unterminated, 2)), "[xy]");
	CHECK_STR(F("[%-4.3s]", B(unterminated, 3)), "[xyz ]");
	CHECK_STR(F("[%s]", B(NULL, 4)), "[]");

	/* stap's '0' flag on %s: spaces, then one NUL after the field. */
	F("%0s", S("ab"));
	CHECK_BYTES("ab\0", 3);
	F("%05s|", S("ab"));
	CHECK_BYTES("   ab\0|", 7);
	F("%-05s|", S("ab"));
	CHECK_BYTES("ab   \0|", 7);

	/* A long argument makes the buffer grow. */
	static char big[5000];
	memset(big, 'q', sizeof big - 1);
	F("<%s>", S(big));
	CHECK(out.len == sizeof big + 1 && out.p[0] == '<' && out.p[4999] == 'q'
	      && out.p[5000] == '>' && out.p[5001] == '\0');
}

/* ---------------------------------------------------------- %m and %M */

static void test_memory(void)
{
	static const char raw[] = { 0x01, (char)0xab, 0x00, (char)0xff, 'Z' };

	/* NEWS: %m "prints one character: M" by default. */
	CHECK_STR(F("%m", S("My String")), "M");
	CHECK_STR(F("%.5m", S("My String")), "My St");
	CHECK_STR(F("%.0m", S("My String")), "M");
	CHECK_STR(F("%.*m", L(0), S("My String")), "M");
	CHECK_STR(F("%.*m", L(-4), S("My String")), "M");
	/* NULs are data for %m. */
	F("%.4m", B(raw, 5));
	CHECK_BYTES("\x01\xab\0\xff", 4);
	/* stap(1): "%10.4m prints 4 bytes of the memory in a 10-character-wide field". */
	F("%10.4m", B(raw, 5));
	CHECK_BYTES("      \x01\xab\0\xff", 10);
	F("%-6.2m|", B(raw, 5));
	CHECK_BYTES("\x01\xab    |", 7);
	/* Never more than the argument holds. */
	CHECK_STR(F("[%.10m]", S("abc")), "[abc]");
	CHECK_STR(F("[%m]", S("")), "[]");
	CHECK_STR(F("[%3m]", S("")), "[   ]");
	F("%0.2m", S("hi!"));
	CHECK_BYTES("hi\0", 3);

	/* %M: two lower-case hex digits per byte, width over all of them. */
	CHECK_STR(F("%M", S("A")), "41");
	CHECK_STR(F("%.5M", B(raw, 5)), "01ab00ff5a");
	CHECK_STR(F("[%10.4M]", B(raw, 5)), "[  01ab00ff]");
	CHECK_STR(F("[%-10.2M]", B(raw, 5)), "[01ab      ]");
	CHECK_STR(F("%.*M", L(3), B(raw, 5)), "01ab00");
	CHECK_STR(F("%#.2M", B(raw, 5)), "01ab");
	CHECK_STR(F("[%.8M]", B(raw, 2)), "[01ab]");
	F("%0.1M", B(raw, 5));
	CHECK_BYTES("01\0", 3);
}

/* ---------------------------------------------------------------- %b */

/* The host-order bytes of the low n bytes of v, as stap writes them. */
static void host_bytes(char *dst, uint64_t v, int n)
{
	uint8_t v1 = (uint8_t)v;
	uint16_t v2 = (uint16_t)v;
	uint32_t v4 = (uint32_t)v;
	memcpy(dst, n == 1 ? (void *)&v1 : n == 2 ? (void *)&v2 : n == 4 ? (void *)&v4 : (void *)&v,
	       (size_t)n);
}

static void test_binary(void)
{
	char want[32];

	/* Default: all 8 bytes. */
	F("%b", L(0x1111deadbeef2222LL));
	host_bytes(want, 0x1111deadbeef2222ULL, 8);
	CHECK_BYTES(want, 8);
	/* %1b %2b %4b %8b; %.4b == %4b. */
	static const int sizes[] = { 1, 2, 4, 8 };
	static const char *const wfmts[] = { "%1b", "%2b", "%4b", "%8b" };
	static const char *const pfmts[] = { "%.1b", "%.2b", "%.4b", "%.8b" };
	for (int i = 0; i < 4; i++) {
		host_bytes(want, 0x0102030405060708ULL, sizes[i]);
		F(wfmts[i], L(0x0102030405060708LL));
		CHECK_BYTES(want, (size_t)sizes[i]);
		F(pfmts[i], L(0x0102030405060708LL));
		CHECK_BYTES(want, (size_t)sizes[i]);
	}
	/* NEWS: %4.2b of 0xdeadbeef is two NULs, then the low 2 bytes. */
	memset(want, 0, 2);
	host_bytes(want + 2, 0xbeef, 2);
	F("%4.2b", L(0xdeadbeef));
	CHECK_BYTES(want, 4);
	F("%*.*b", L(4), L(2), L(0xdeadbbeefLL));
	CHECK_BYTES(want, 4);
	/* '-' puts the NUL padding after. */
	host_bytes(want, 0xbeef, 2);
	memset(want + 2, 0, 2);
	F("%-4.2b", L(0xdeadbeef));
	CHECK_BYTES(want, 4);
	/* A width that is no byte count keeps 8 bytes and pads up to it. */
	host_bytes(want, 7, 8);
	F("%3b", L(7));
	CHECK_BYTES(want, 8);
	memset(want, 0, 8);
	host_bytes(want + 8, 7, 8);
	F("%16b", L(7));
	CHECK_BYTES(want, 16);
	F("%.3b", L(7)); /* an invalid precision without width: 8 */
	host_bytes(want, 7, 8);
	CHECK_BYTES(want, 8);

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* The langref's examples, on a little-endian host. */
	F("%b%b", L(0xc0dedbad), L(0x12345678));
	CHECK_BYTES("\xad\xdb\xde\xc0\0\0\0\0\x78\x56\x34\x12\0\0\0\0", 16);
	CHECK_STR(F("%1b%1b%1blo %1b%1brld\n", L(72), L(101), L(108), L(87), L(111)),
		  "Hello World\n");
	CHECK_STR(F("%3d: %1b%1b%1b", L(97), L(97), L(97 - 32), L(97 - 64)), " 97: aA!");
#endif
}

/* ------------------------------------- text, %%, missing and odd args */

static void test_text_and_args(void)
{
	CHECK_STR(F0("no conversions here\n"), "no conversions here\n");
	CHECK_STR(F0(""), "");
	CHECK(out.len == 0);
	CHECK_STR(F0("100%%"), "100%");
	CHECK_STR(F0("%%d%%%%"), "%d%%");
	/* Missing arguments read as 0 and "", and so do mistyped ones. */
	F0("[%d|%s|%x|%c|%p|%m]");
	CHECK_BYTES("[0||0|\0|0x0|]", 13);
	CHECK_STR(F("[%d|%s]", S("oops"), L(7)), "[0|]");
	CHECK_STR(fmtv("[%d %d]", (FmtArg[]){ L(1), L(2) }, 1), "[1 0]");
	/* What fmt_scan rejects is copied through rather than dropped. */
	CHECK_STR(F("a%qb%d", L(5)), "a%qb5");
	CHECK_STR(F0("x%-5"), "x%-5");
	CHECK_STR(F0("x%"), "x%");
	CHECK_STR(F0("[%5%]"), "[%]");
	/* Output appends: fmt_format never clears the buffer. */
	out.len = 0;
	fmt_format(&out, "%d,", (FmtArg[]){ L(1) }, 1);
	fmt_format(&out, "%s", (FmtArg[]){ S("two") }, 1);
	CHECK_STR(out.p, "1,two");
}

/* ------------------------------------------------------------ fmt_scan */

static void test_scan(void)
{
	FmtConv c[16];
	char err[256];
	size_t pos;

	CHECK(fmt_scan("hello\n", c, 16, err, sizeof err, &pos) == 0);
	CHECK(fmt_scan("", c, 16, err, sizeof err, &pos) == 0);
	CHECK(fmt_scan("100%% sure%%", c, 16, err, sizeof err, &pos) == 0);

	CHECK(fmt_scan("%d %s %c", c, 16, err, sizeof err, &pos) == 3);
	CHECK(c[0].kind == FMT_ARG_LONG && c[0].conv == 'd' && c[0].pos == 0);
	CHECK(c[1].kind == FMT_ARG_STRING && c[1].conv == 's' && c[1].pos == 3);
	CHECK(c[2].kind == FMT_ARG_LONG && c[2].conv == 'c' && c[2].pos == 6);

	/* Every conversion's argument kind. */
	const char *all = "%i%u%x%X%o%p%b%m%M%s%d%c";
	CHECK(fmt_scan(all, c, 16, err, sizeof err, &pos) == 12);
	int kinds_ok = 1;
	for (int i = 0; i < 12; i++) {
		char conv = all[2 * i + 1];
		FmtArgKind want = strchr("mMs", conv) ? FMT_ARG_STRING : FMT_ARG_LONG;
		kinds_ok &= c[i].kind == want && c[i].conv == conv && c[i].pos == (size_t)(2 * i);
	}
	CHECK(kinds_ok);

	/* '*' takes a long before the value. */
	CHECK(fmt_scan("x%-*.*s", c, 16, err, sizeof err, &pos) == 3);
	CHECK(c[0].kind == FMT_ARG_LONG && c[0].conv == '*' && c[0].pos == 1);
	CHECK(c[1].kind == FMT_ARG_LONG && c[1].conv == '*' && c[1].pos == 1);
	CHECK(c[2].kind == FMT_ARG_STRING && c[2].conv == 's' && c[2].pos == 1);
	CHECK(fmt_scan("%.*M%*b", c, 16, err, sizeof err, &pos) == 4);
	CHECK(c[0].conv == '*' && c[1].conv == 'M' && c[2].conv == '*' && c[3].conv == 'b');

	/* Flags, widths, length modifiers. */
	CHECK(fmt_scan("%-+ #010.5lld %hhx %hu %Lo %zd %jd %td %lp %ls", c, 16, err, sizeof err, &pos) == 9);
	CHECK(c[0].conv == 'd' && c[8].conv == 's' && c[8].kind == FMT_ARG_STRING);
	CHECK(fmt_scan("%1000000d%.1000000s", c, 16, err, sizeof err, &pos) == 2);

	/* More conversions than room: all counted, only `max` stored. */
	c[2].conv = '?';
	CHECK(fmt_scan("%d%d%d", c, 2, err, sizeof err, &pos) == 3);
	CHECK(c[2].conv == '?');
	CHECK(fmt_scan("%d%*s", NULL, 0, NULL, 0, NULL) == 3);

	/* Errors: message and the offset of the offending '%'. */
	pos = 99;
	CHECK(fmt_scan("%q", c, 16, err, sizeof err, &pos) == -1);
	CHECK(pos == 0 && strstr(err, "invalid conversion '%q'"));
	CHECK(fmt_scan("%d %s %5.3q", c, 16, err, sizeof err, &pos) == -1);
	CHECK(pos == 6 && strstr(err, "invalid conversion '%5.3q'"));
	CHECK(fmt_scan("ab%ly", c, 16, err, sizeof err, &pos) == -1);
	CHECK(pos == 2 && strstr(err, "'%ly'"));
	CHECK(fmt_scan("tab%\t", c, 16, err, sizeof err, &pos) == -1);
	CHECK(pos == 3 && strstr(err, "'%\\t'"));
	CHECK(fmt_scan("x%\xc3\xa9", c, 16, err, sizeof err, &pos) == -1);
	CHECK(pos == 1 && strstr(err, "'%\\xc3'"));
	CHECK(fmt_scan("abc%", c, 16, err, sizeof err, &pos) == -1);
	CHECK(pos == 3 && strstr(err, "lone '%'"));
	CHECK(fmt_scan("%d%-5", c, 16, err, sizeof err, &pos) == -1);
	CHECK(pos == 2 && strstr(err, "incomplete conversion '%-5'"));
	CHECK(fmt_scan("%.", c, 16, err, sizeof err, &pos) == -1 && pos == 0);
	CHECK(fmt_scan(" %1000001d", c, 16, err, sizeof err, &pos) == -1);
	CHECK(pos == 1 && strstr(err, "field width too large") && strstr(err, "1000000"));
	CHECK(fmt_scan("%.99999999999999999999s", c, 16, err, sizeof err, &pos) == -1);
	CHECK(pos == 0 && strstr(err, "precision too large"));
	CHECK(fmt_scan("%5%", c, 16, err, sizeof err, &pos) == -1);
	CHECK(pos == 0 && strstr(err, "takes no flags"));
	/* A long specification is shortened in the message, visibly. */
	char longspec[80] = "%";
	memset(longspec + 1, '0', 70);
	strcpy(longspec + 71, "q");
	CHECK(fmt_scan(longspec, c, 16, err, sizeof err, &pos) == -1);
	CHECK(strstr(err, "...") != NULL);
	/* A small or missing message buffer is fine. */
	CHECK(fmt_scan("%q", c, 16, err, 8, &pos) == -1 && strlen(err) == 7);
	CHECK(fmt_scan("%q", c, 16, NULL, 0, NULL) == -1);
}

/* -------------------------------------------------------------- OutBuf */

static unsigned char pattern(size_t i)
{
	return (unsigned char)(i * 7 % 251);
}

static void fill(OutBuf *b, size_t n)
{
	char *w = ob_reserve(b, n);
	for (size_t i = 0; i < n; i++)
		w[i] = (char)pattern(i);
	ob_commit(b, n);
}

static void test_outbuf_basic(void)
{
	OutBuf b = { 0 };

	ob_putc(&b, 'a');
	ob_puts(&b, "bc");
	ob_write(&b, "d\0e", 3);
	ob_printf(&b, "[%d %s]", 42, "x");
	CHECK(b.len == 12 && memcmp(b.p, "abcd\0e[42 x]", 12) == 0 && b.p[12] == '\0');
	CHECK(b.cap > b.len);
	/* ob_printf past the spare room grows and retries. */
	ob_printf(&b, "%2000s|", "y");
	CHECK(b.len == 12 + 2001 && b.p[b.len - 1] == '|' && b.p[b.len - 2] == 'y'
	      && b.p[b.len] == '\0');
	ob_free(&b);
	CHECK(b.p == NULL && b.len == 0 && b.cap == 0);
	ob_free(&b);
	ob_free(NULL);
	/* A freed buffer is reusable; ob_printf on an empty one works. */
	ob_printf(&b, "%s", "again");
	CHECK_STR(b.p, "again");
	ob_write(&b, "", 0);
	CHECK(b.len == 5);
	ob_free(&b);
}

static void test_outbuf_flush(void)
{
	OutBuf b = { 0 };
	int fds[2];
	char got[64];

	CHECK(pipe(fds) == 0);
	ob_puts(&b, "hello, pipe\n");
	CHECK(ob_flush(&b, fds[1]) == 0);
	CHECK(b.len == 0 && b.p[0] == '\0');
	CHECK(read(fds[0], got, sizeof got) == 12 && memcmp(got, "hello, pipe\n", 12) == 0);
	CHECK(ob_flush(&b, fds[1]) == 0); /* nothing to write */
	close(fds[0]);
	close(fds[1]);

	/* An error returns -errno and keeps the data. */
	ob_puts(&b, "kept");
	CHECK(ob_flush(&b, -1) == -EBADF);
	CHECK(b.len == 4 && strcmp(b.p, "kept") == 0);
	ob_free(&b);
	CHECK(ob_flush(&b, -1) == 0); /* an empty buffer writes nothing */

	/* Partial writes: a non-blocking pipe takes part of 200000 bytes, then
	 * says EAGAIN; the rest stays at the front, and flushing again after
	 * draining delivers every byte in order. */
	enum { N = 200000 };
	static unsigned char recv_buf[N];
	size_t got_n = 0;
	CHECK(pipe(fds) == 0);
	fcntl(fds[1], F_SETFL, O_NONBLOCK);
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	fill(&b, N);
	int r = ob_flush(&b, fds[1]);
	CHECK(r == -EAGAIN);
	CHECK(b.len > 0 && b.len < N && (unsigned char)b.p[0] == pattern(N - b.len));
	int rounds = 0;
	while (got_n < N && rounds++ < 1000) {
		ssize_t k = read(fds[0], recv_buf + got_n, N - got_n);
		if (k > 0)
			got_n += (size_t)k;
		r = ob_flush(&b, fds[1]);
		if (r != 0 && r != -EAGAIN)
			break;
	}
	int same = got_n == N;
	for (size_t i = 0; same && i < N; i++)
		same = recv_buf[i] == pattern(i);
	CHECK(same && b.len == 0 && r == 0);
	close(fds[0]);
	close(fds[1]);
	ob_free(&b);
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* EINTR: a child reads 4 MiB slowly while SIGALRM (without SA_RESTART)
 * keeps interrupting the blocked writes; every byte must still arrive. */
static void test_outbuf_eintr(void)
{
	enum { N = 4 << 20 };
	OutBuf b = { 0 };
	int fds[2];

	CHECK(pipe(fds) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		static unsigned char buf[65536];
		size_t n = 0;
		int ok = 1;
		ssize_t k;
		close(fds[1]);
		usleep(200 * 1000);
		while ((k = read(fds[0], buf, sizeof buf)) > 0 || (k < 0 && errno == EINTR)) {
			for (ssize_t i = 0; i < k; i++)
				ok &= buf[i] == pattern(n + (size_t)i);
			if (k > 0)
				n += (size_t)k;
			usleep(1000);
		}
		_exit(ok && n == N ? 0 : 1);
	}
	close(fds[0]);

	struct sigaction sa = { .sa_handler = on_alarm }, old;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &old);
	struct itimerval it = { .it_interval = { 0, 5000 }, .it_value = { 0, 5000 } }, off = { 0 };
	setitimer(ITIMER_REAL, &it, NULL);

	fill(&b, N);
	int r = ob_flush(&b, fds[1]);

	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
	close(fds[1]);
	int status = -1;
	waitpid(pid, &status, 0);
	CHECK(r == 0 && b.len == 0);
	CHECK(alarms > 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ob_free(&b);
}

int main(void)
{
	test_ints_vs_glibc();
	test_strings_vs_glibc();
	test_ints_by_hand();
	test_pointer();
	test_char();
	test_string();
	test_memory();
	test_binary();
	test_text_and_args();
	test_scan();
	test_outbuf_basic();
	test_outbuf_flush();
	test_outbuf_eintr();
	ob_free(&out);
	return unit_done();
}
