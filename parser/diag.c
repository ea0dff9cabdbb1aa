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
#define MAX_EXPANSION_NOTES 16

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

/* The source a location points into, or NULL. */
static const Source *loc_source(const SrcLoc *loc)
{
	if (!loc || loc->file < 0)
		return NULL;
	return src_get(loc->file);
}

void diag_show_source(const SrcLoc *loc)
{
	const Source *s = loc_source(loc);
	if (!s || !s->text)
		return;
	size_t off = loc->off <= s->len ? loc->off : s->len;
	size_t start = off, end = off;
	while (start > 0 && s->text[start - 1] != '\n')
		start--;
	while (end < s->len && s->text[end] != '\n')
		end++;
	size_t vis_end = end;
	if (vis_end > start && s->text[vis_end - 1] == '\r')
		vis_end--;
	FILE *o = out();
	fputs(SOURCE_PREFIX, o);
	fwrite(s->text + start, 1, vis_end - start, o);
	fputc('\n', o);
	/* Under the token: tabs are copied so the caret lines up however the
	 * terminal expands them. */
	fprintf(o, "%*s", (int)strlen(SOURCE_PREFIX), "");
	for (size_t i = start; i < off; i++)
		fputc(s->text[i] == '\t' ? '\t' : ' ', o);
	fputc('^', o);
	size_t tok_end = off + (loc->len ? loc->len : 1);
	if (tok_end > vis_end)
		tok_end = vis_end;
	for (size_t i = off + 1; i < tok_end; i++)
		fputc('~', o);
	fputc('\n', o);
}

/* "at:" line, source echo, and the chain of macro uses that produced the
 * location. */
static void show_location(const SrcLoc *loc)
{
	const Source *s = loc_source(loc);
	if (!s)
		return;
	FILE *o = out();
	fprintf(o, "        at: %s:%d:%d\n", s->name, loc->line, loc->col);
	diag_show_source(loc);
	for (int depth = 0; s && s->expanded_at && depth < MAX_EXPANSION_NOTES; depth++) {
		const SrcLoc *use = s->expanded_at;
		const Source *us = loc_source(use);
		if (!us)
			break;
		fprintf(o, "        note: in expansion of macro at %s:%d:%d\n",
			us->name, use->line, use->col);
		s = us;
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
