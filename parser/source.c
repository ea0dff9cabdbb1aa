/* source.c - the table of every text the compiler reads.
 *
 * A Source is registered once (script, -e string, tapset file, macro
 * expansion) and locations refer to it by id, so diagnostics can echo the
 * line a position points into.  The table is module state reset by
 * src_init(); the sources and their texts live in the arena given there. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parser/parse.h"

static Arena *src_arena;
static Source **sources;
static int nsources, capsources;

void src_init(Arena *a)
{
	src_arena = a;
	sources = NULL;
	nsources = capsources = 0;
}

/* The text is copied into the arena, NUL-terminated. */
Source *src_add(const char *name, const char *text, size_t len, bool is_tapset)
{
	if (!src_arena)
		return NULL;
	sources = arena_grow(src_arena, sources, &capsources, nsources + 1, sizeof *sources);
	Source *s = arena_alloc(src_arena, sizeof *s);
	s->id = nsources;
	s->name = arena_strdup(src_arena, name);
	s->text = arena_strndup(src_arena, text, len);
	s->len = len;
	s->is_tapset = is_tapset;
	sources[nsources++] = s;
	return s;
}

Source *src_read_file(const char *path, bool is_tapset)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	if (!buf) {
		fclose(f);
		errno = ENOMEM;
		return NULL;
	}
	for (;;) {
		if (len == cap) {
			char *nb = cap < SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
			if (!nb) {
				free(buf);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
		size_t n = fread(buf + len, 1, cap - len, f);
		if (n == 0)
			break;
		len += n;
	}
	int err = ferror(f) ? errno : 0;
	fclose(f);
	if (err) {
		free(buf);
		errno = err;
		return NULL;
	}
	Source *s = src_add(path, buf, len, is_tapset);
	free(buf);
	return s;
}

Source *src_get(int id)
{
	if (id < 0 || id >= nsources)
		return NULL;
	return sources[id];
}

int src_count(void)
{
	return nsources;
}

Source *src_add_expansion(const Source *def, const SrcLoc *use)
{
	if (!src_arena || !def)
		return NULL;
	sources = arena_grow(src_arena, sources, &capsources, nsources + 1, sizeof *sources);
	Source *s = arena_alloc(src_arena, sizeof *s);
	*s = *def;
	s->id = nsources;
	if (use) {
		SrcLoc *u = arena_alloc(src_arena, sizeof *u);
		*u = *use;
		s->expanded_at = u;
	}
	sources[nsources++] = s;
	return s;
}

size_t src_utf8_len(const char *text, size_t avail)
{
	const unsigned char *s = (const unsigned char *)text;
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		lo = c == 0xe0 ? 0xa0 : 0x80;   /* no overlong forms */
		hi = c == 0xed ? 0x9f : 0xbf;   /* no surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		lo = c == 0xf0 ? 0x90 : 0x80;
		hi = c == 0xf4 ? 0x8f : 0xbf;   /* nothing past U+10FFFF */
	} else {
		return 0;
	}
	if (avail < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}
