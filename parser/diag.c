/* diag.c - diagnostics for every pass, in stap's shape:
 *
 *   parse error: expected ';' or '}'
 *           at: t.stp:1:21
 *        source: probe begin { x = 1 y }
 *                                    ^
 *
 * Errors are counted, and printed up to a cap (diag_set_max_errors); past the
 * cap they are still counted, and one "too many errors; stopping" line says
 * so.  Warnings can be silenced (-w) or turned into errors (-W): a -W warning
 * is printed as a warning and counted as an error.  Output is plain text,
 * never coloured, so golden files and logs stay clean. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "parser/parse.h"

#define SOURCE_PREFIX "     source: "   /* 13 columns */
#define MAX_EXPANSION_NOTES 6

static FILE *diag_out;
static int nerrors, nwarnings;
static int quiet;          /* > 0: diagnostics are dropped, errors counted apart */
static int quiet_errors;
static int max_errors = 20;
static bool warnings_on = true, warnings_are_errors;
static bool said_too_many;
static bool last_shown = true;   /* was the last diagnostic printed? (notes follow it) */

static FILE *out(void)
{
	return diag_out ? diag_out : stderr;
}

void diag_init(FILE *o)
{
	diag_out = o;
	diag_reset();
}

void diag_reset(void)
{
	nerrors = nwarnings = 0;
	said_too_many = false;
	last_shown = true;
}

int diag_errors(void)
{
	return nerrors;
}

int diag_warnings(void)
{
	return nwarnings;
}

void diag_set_warnings(bool enabled, bool as_errors)
{
	warnings_on = enabled;
	warnings_are_errors = as_errors;
}

void diag_set_max_errors(int n)
{
	max_errors = n;
}

/* Optimal string alignment distance (insert, delete, substitute, swap two
 * neighbours), for "did you mean" suggestions; 99 for names longer than
 * 64 bytes, and at least the difference of the lengths. */
int diag_distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	if (n > 64 || m > 64)
		return 99;
	if (n > m + 3 || m > n + 3)
		return (int)(n > m ? n - m : m - n);
	int d[65][65];
	for (size_t i = 0; i <= n; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= n; i++)
		for (size_t j = 1; j <= m; j++) {
			int c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < c)
				c = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < c)
				c = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < c)
				c = d[i - 2][j - 2] + 1;
			d[i][j] = c;
		}
	return d[n][m];
}

/* The source a location points into, or NULL. */
static const Source *loc_source(const SrcLoc *loc)
{
	if (!loc || loc->file < 0)
		return NULL;
	return src_get(loc->file);
}

/* ---- echoing a source line
 *
 * The line is shown in display units: one per ASCII byte and one per valid
 * UTF-8 sequence.  Control characters and bytes that are not UTF-8 (a binary
 * file, a stray Latin-1 byte) are shown as '?', so the echo never sends
 * terminal controls and the caret line, built from the same units, stays
 * aligned.  Tabs are copied into both lines, so the caret lines up however
 * the terminal expands them.  A line longer than ECHO_WIDTH units is shown
 * as a window around the caret, with "..." where it is cut. */
#define ECHO_WIDTH 100
#define ECHO_BEFORE 60   /* units kept before the caret in a window */

/* Bytes in the display unit at s[i]. */
static size_t unit_len(const unsigned char *s, size_t i, size_t end)
{
	if (s[i] < 0x80)
		return 1;
	size_t n = src_utf8_len((const char *)s + i, end - i);
	return n ? n : 1;
}

static void put_unit(FILE *o, const unsigned char *s, size_t i, size_t n)
{
	unsigned char c = s[i];
	if (c == '\t')
		fputc('\t', o);
	else if (c < 0x20 || c == 0x7f || (c >= 0x80 && n == 1))
		fputc('?', o);
	else
		fwrite(s + i, 1, n, o);
}

/* Units from a to b (byte offsets on one line). */
static size_t count_units(const unsigned char *s, size_t a, size_t b)
{
	size_t n = 0;
	for (size_t i = a; i < b; i += unit_len(s, i, b))
		n++;
	return n;
}

/* The byte offset `units` units after a (not beyond end). */
static size_t skip_units(const unsigned char *s, size_t a, size_t end, size_t units)
{
	size_t i = a;
	while (units-- > 0 && i < end)
		i += unit_len(s, i, end);
	return i;
}

void diag_show_source(const SrcLoc *loc)
{
	const Source *s = loc_source(loc);
	if (!s || !s->text)
		return;
	const unsigned char *t = (const unsigned char *)s->text;
	size_t off = loc->off <= s->len ? loc->off : s->len;
	size_t start = off, end = off;
	while (start > 0 && t[start - 1] != '\n')
		start--;
	while (end < s->len && t[end] != '\n')
		end++;
	if (end > start && t[end - 1] == '\r')
		end--;
	if (off > end)
		off = end;
	/* a caret inside a multi-byte character goes to its first byte */
	for (size_t i = start; i < off;) {
		size_t n = unit_len(t, i, end);
		if (i + n > off) {
			off = i;
			break;
		}
		i += n;
	}

	/* the window [from, to) of the line that is shown */
	size_t from = start, to = end;
	size_t total = count_units(t, start, end);
	if (total > ECHO_WIDTH) {
		size_t before = count_units(t, start, off);
		size_t first = before > ECHO_BEFORE ? before - ECHO_BEFORE : 0;
		if (first + ECHO_WIDTH > total)
			first = total - ECHO_WIDTH;
		from = skip_units(t, start, end, first);
		to = skip_units(t, from, end, ECHO_WIDTH);
	}
	FILE *o = out();
	fputs(SOURCE_PREFIX, o);
	if (from > start)
		fputs("...", o);
	for (size_t i = from; i < to;) {
		size_t n = unit_len(t, i, to);
		put_unit(o, t, i, n);
		i += n;
	}
	if (to < end)
		fputs("...", o);
	fputc('\n', o);

	fprintf(o, "%*s", (int)strlen(SOURCE_PREFIX), "");
	if (from > start)
		fputs("   ", o);
	for (size_t i = from; i < off;) {
		fputc(t[i] == '\t' ? '\t' : ' ', o);
		i += unit_len(t, i, off);
	}
	fputc('^', o);
	size_t tok_end = off + (loc->len ? loc->len : 1);
	if (tok_end > to)
		tok_end = to;
	if (off < tok_end) {
		for (size_t i = off + unit_len(t, off, tok_end); i < tok_end; i += unit_len(t, i, tok_end))
			fputc('~', o);
	}
	fputc('\n', o);
}

/* "at:" line and source echo of one location. */
static void show_at(const SrcLoc *loc)
{
	const Source *s = loc_source(loc);
	if (!s)
		return;
	fprintf(out(), "        at: %s:%d:%d\n", s->name, loc->line, loc->col);
	diag_show_source(loc);
}

/* The location, then the chain of macro uses that produced it, innermost
 * first: each names the macro (its spelling at the use) and echoes the use.
 * A long chain shows its first and last uses. */
static void show_location(const SrcLoc *loc)
{
	const Source *s = loc_source(loc);
	if (!s)
		return;
	show_at(loc);
	int depth = 0;
	for (const Source *e = s; e && e->expanded_at; e = loc_source(e->expanded_at))
		depth++;
	FILE *o = out();
	int i = 0;
	for (const Source *e = s; e && e->expanded_at; e = loc_source(e->expanded_at), i++) {
		const SrcLoc *use = e->expanded_at;
		const Source *us = loc_source(use);
		if (!us)
			break;
		if (depth > MAX_EXPANSION_NOTES && i >= MAX_EXPANSION_NOTES / 2 &&
		    i < depth - MAX_EXPANSION_NOTES / 2) {
			if (i == MAX_EXPANSION_NOTES / 2)
				fprintf(o, "        note: (%d more macro expansions)\n",
					depth - MAX_EXPANSION_NOTES);
			continue;
		}
		if (use->len > 0 && use->len <= 64 && use->off + use->len <= us->len &&
		    !memchr(us->text + use->off, '\n', use->len))
			fprintf(o, "        note: in expansion of macro '%.*s'\n", (int)use->len,
				us->text + use->off);
		else
			fputs("        note: in expansion of macro\n", o);
		show_at(use);
	}
}

void diag_quiet_begin(void)
{
	if (quiet++ == 0)
		quiet_errors = 0;
}

int diag_quiet_end(void)
{
	quiet--;
	last_shown = false; /* notes of dropped messages are dropped too */
	return quiet_errors;
}

void diag_vat(DiagLevel lvl, const char *kind, const SrcLoc *loc, const char *fmt, va_list ap)
{
	FILE *o = out();
	if (quiet) {
		if (lvl == DIAG_ERROR)
			quiet_errors++;
		last_shown = false;
		return;
	}
	switch (lvl) {
	case DIAG_NOTE:
		if (!last_shown)
			return;
		fputs("        note: ", o);
		break;
	case DIAG_WARNING:
		if (!warnings_on) {
			last_shown = false;
			return;
		}
		if (warnings_are_errors)
			nerrors++;
		else
			nwarnings++;
		fputs("WARNING: ", o);
		break;
	case DIAG_ERROR:
		nerrors++;
		if (max_errors > 0 && nerrors > max_errors) {
			if (!said_too_many) {
				fputs("too many errors; stopping\n", o);
				said_too_many = true;
			}
			last_shown = false;
			return;
		}
		fprintf(o, "%s: ", kind ? kind : "error");
		break;
	}
	if (lvl != DIAG_NOTE)
		last_shown = true;
	vfprintf(o, fmt, ap);
	fputc('\n', o);
	show_location(loc);
	fflush(o);
}

void diag_at(DiagLevel lvl, const char *kind, const SrcLoc *loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_vat(lvl, kind, loc, fmt, ap);
	va_end(ap);
}

void diag_note(const SrcLoc *loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_vat(DIAG_NOTE, NULL, loc, fmt, ap);
	va_end(ap);
}
