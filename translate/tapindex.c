/* tapindex.c - which tapset files a script needs.
 *
 * Parsing the whole library on every run would make start-up grow with
 * it.  Instead each tapset file is scanned (a character loop, no lexer)
 * for the names it declares at the top level -- functions, globals, probe
 * aliases -- and the parser runs only on the files that declare a name
 * the script, or a file already loaded, refers to: a worklist until
 * nothing new is needed.  The scan may see too much (both branches of a
 * %( %) conditional), never too little, so the result is a superset of
 * the files stap would use.
 *
 * Requires: the sources of the tapset directories, the parsed user script.
 * Provides: s->tapsets with only the needed files. */
#include <ctype.h>
#include <fnmatch.h>
#include <string.h>

#include "translate/sema.h"

typedef struct TapName {
	char kind;             /* 'f' function, 'g' global, 'a' probe alias */
	const char *name;      /* an alias's dotted component names */
} TapName;

struct TapFile {
	Source *src;
	TapName *names;
	int nnames, cap;
	bool loaded;
};

static void add_name(Arena *a, TapFile *f, char kind, const char *p, size_t n)
{
	f->names = arena_grow(a, f->names, &f->cap, f->nnames + 1, sizeof *f->names);
	f->names[f->nnames++] = (TapName){ kind, arena_strndup(a, p, n) };
}

static bool is_ident(int c)
{
	return isalnum(c) || c == '_';
}

/* Past comments, strings and embedded code starting at p (or p itself). */
static const char *skip_opaque(const char *p)
{
	if (p[0] == '#' || (p[0] == '/' && p[1] == '/')) {
		while (*p && *p != '\n')
			p++;
	} else if (p[0] == '/' && p[1] == '*') {
		const char *e = strstr(p + 2, "*/");
		p = e ? e + 2 : p + strlen(p);
	} else if (p[0] == '%' && p[1] == '{') {
		const char *e = strstr(p + 2, "%}");
		p = e ? e + 2 : p + strlen(p);
	} else if (*p == '"') {
		for (p++; *p && *p != '"'; p++)
			if (*p == '\\' && p[1])
				p++;
		if (*p)
			p++;
	}
	return p;
}

static const char *skip_space(const char *p)
{
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		const char *q = skip_opaque(p);
		if (q == p || *p == '"' || (p[0] == '%' && p[1] == '{'))
			return p;
		p = q;
	}
}

/* probe a.b, c = ...: the names before '=' or '+=' are aliases. */
static const char *scan_probe(Arena *a, TapFile *f, const char *p)
{
	const char *names[16];
	size_t lens[16];
	int n = 0;
	for (;;) {
		p = skip_space(p);
		const char *start = p;
		/* a dotted point: components, with (args) and wildcards */
		while (*p && (is_ident((unsigned char)*p) || *p == '.' || *p == '*' || *p == '(')) {
			if (*p == '(') {
				int depth = 0;
				do {
					if (*p == '"')
						p = skip_opaque(p) - 1;
					depth += *p == '(';
					depth -= *p == ')';
					p++;
				} while (*p && depth > 0);
				continue;
			}
			p++;
		}
		if (p > start && n < 16) {
			names[n] = start;
			lens[n++] = (size_t)(p - start);
		}
		p = skip_space(p);
		while (*p == '?' || *p == '!')
			p = skip_space(p + 1);
		if (*p != ',')
			break;
		p++;
	}
	if (*p == '=' || (p[0] == '+' && p[1] == '=')) {
		for (int i = 0; i < n; i++) {
			/* the alias's name is its components without arguments */
			char *dotted = arena_alloc(a, lens[i] + 1), *w = dotted;
			for (size_t k = 0; k < lens[i]; k++) {
				if (names[i][k] == '(') {
					int depth = 0;
					for (; k < lens[i]; k++) {
						depth += names[i][k] == '(';
						depth -= names[i][k] == ')';
						if (!depth)
							break;
					}
					continue;
				}
				*w++ = names[i][k];
			}
			add_name(a, f, 'a', dotted, (size_t)(w - dotted));
		}
	}
	return p;
}

static const char *scan_global(Arena *a, TapFile *f, const char *p)
{
	for (;;) {
		p = skip_space(p);
		const char *start = p;
		while (is_ident((unsigned char)*p))
			p++;
		if (p > start)
			add_name(a, f, 'g', start, (size_t)(p - start));
		/* sizes, wrap marks and initialisers up to the next ',' */
		while (*p && *p != ',' && *p != '\n' && *p != ';') {
			const char *q = skip_opaque(p);
			p = q > p ? q : p + 1;
		}
		if (*p != ',')
			return p;
		p++;
	}
}

static void scan(Arena *a, TapFile *f)
{
	const char *p = f->src->text;
	int depth = 0;
	while (*p) {
		const char *q = skip_opaque(p);
		if (q != p) {
			p = q;
			continue;
		}
		if (*p == '{') {
			depth++;
			p++;
			continue;
		}
		if (*p == '}') {
			depth -= depth > 0;
			p++;
			continue;
		}
		if (!is_ident((unsigned char)*p) || (p > f->src->text && is_ident((unsigned char)p[-1]))) {
			p++;
			continue;
		}
		const char *start = p;
		while (is_ident((unsigned char)*p))
			p++;
		size_t n = (size_t)(p - start);
		if (depth)
			continue;
		if (n == 8 && !strncmp(start, "function", 8)) {
			p = skip_space(p);
			const char *name = p;
			while (is_ident((unsigned char)*p))
				p++;
			if (p > name)
				add_name(a, f, 'f', name, (size_t)(p - name));
		} else if (n == 6 && !strncmp(start, "global", 6)) {
			p = scan_global(a, f, p);
		} else if (n == 5 && !strncmp(start, "probe", 5)) {
			p = scan_probe(a, f, p);
		}
	}
}

TapFile *tapindex_add(Session *s, Source *src)
{
	TapFile *f = arena_alloc(s->arena, sizeof *f);
	f->src = src;
	scan(s->arena, f);
	return f;
}

/* ------------------------------------------------------------ the worklist */

typedef struct {
	Session *s;
	TapFile **files;
	int nfiles;
	Script ***tail;
	/* names asked for already */
	char *kinds;
	const char **names;
	int nnames, cap, capk;
	/* the files parsed so far */
	Script **loaded;
	int nloaded, caploaded;
	/* declarations whose references were followed already */
	const void **seen;
	int nseen, capseen;
} Need;

static void want_node(Need *w, const Node *n);
static void want_point(Need *w, const ProbePoint *pp);

static bool matches(const TapName *t, char kind, const char *name)
{
	if (t->kind != kind)
		return false;
	if (kind == 'a')
		return fnmatch(name, t->name, 0) == 0;
	return !strcmp(t->name, name);
}

static bool first_visit(Need *w, const void *decl)
{
	for (int i = 0; i < w->nseen; i++)
		if (w->seen[i] == decl)
			return false;
	w->seen = arena_grow(w->s->arena, w->seen, &w->capseen, w->nseen + 1, sizeof *w->seen);
	w->seen[w->nseen++] = decl;
	return true;
}

static char *dotted_name(Arena *a, const ProbePoint *pp)
{
	size_t len = 0;
	for (int i = 0; i < pp->ncomps; i++)
		len += strlen(pp->comps[i].name) + 1;
	char *dotted = arena_alloc(a, len + 1), *d = dotted;
	for (int i = 0; i < pp->ncomps; i++)
		d += sprintf(d, "%s%s", i ? "." : "", pp->comps[i].name);
	return dotted;
}

/* Follow what the declarations named `name` in a parsed file refer to. */
static void follow(Need *w, const Script *sc, char kind, const char *name)
{
	if (kind == 'f') {
		for (const Function *f = sc->functions; f; f = f->next)
			if (!strcmp(f->name, name) && first_visit(w, f))
				want_node(w, f->body);
	} else if (kind == 'a') {
		for (const Probe *p = sc->probes; p; p = p->next)
			for (const ProbePoint *al = p->alias; al; al = al->next)
				if (fnmatch(name, dotted_name(w->s->arena, al), 0) == 0 && first_visit(w, p)) {
					for (const ProbePoint *pp = p->points; pp; pp = pp->next)
						want_point(w, pp);
					want_node(w, p->body);
					want_node(w, p->body2);
				}
	}
}

static void load(Need *w, TapFile *f)
{
	f->loaded = true;
	Script *sc = parse_source(w->s->arena, f->src, &w->s->env);
	if (!sc)
		return;
	**w->tail = sc;
	*w->tail = &sc->next;
	w->loaded = arena_grow(w->s->arena, w->loaded, &w->caploaded, w->nloaded + 1, sizeof *w->loaded);
	w->loaded[w->nloaded++] = sc;
	/* what was asked for before may be declared here too (overloads) */
	for (int i = 0; i < w->nnames; i++)
		follow(w, sc, w->kinds[i], w->names[i]);
}

static void want(Need *w, char kind, const char *name)
{
	for (int i = 0; i < w->nnames; i++)
		if (w->kinds[i] == kind && !strcmp(w->names[i], name))
			return;
	w->names = arena_grow(w->s->arena, w->names, &w->cap, w->nnames + 1, sizeof *w->names);
	w->kinds = arena_grow(w->s->arena, w->kinds, &w->capk, w->nnames + 1, 1);
	w->names[w->nnames] = name;
	w->kinds[w->nnames++] = kind;
	bool found = false;
	for (int i = 0; i < w->nfiles; i++) {
		TapFile *f = w->files[i];
		for (int k = 0; k < f->nnames; k++)
			if (matches(&f->names[k], kind, name)) {
				found = true;
				if (!f->loaded)
					load(w, f);
				break;
			}
	}
	/* a function found nowhere: load the files with close names, so that
	 * the error can say "did you mean" */
	for (int i = 0; !found && kind == 'f' && i < w->nfiles; i++) {
		TapFile *f = w->files[i];
		for (int k = 0; !f->loaded && k < f->nnames; k++)
			if (f->names[k].kind == 'f' && diag_distance(name, f->names[k].name) <= 2)
				load(w, f);
	}
	for (int i = 0; i < w->nloaded; i++)
		follow(w, w->loaded[i], kind, name);
}

/* Every name a piece of AST refers to. */
static AstWalk want_visit(Node *n, void *ctx)
{
	Need *w = ctx;
	if (n->kind == AST_CALL)
		want(w, 'f', n->name);
	else if (n->kind == AST_VAR)
		want(w, 'g', n->name);
	else if (n->kind == AST_ENTRY)
		want(w, 'f', "tid"); /* entry.c keys saved values by thread */
	return AST_DESCEND;
}

static void want_node(Need *w, const Node *n)
{
	ast_walk((Node *)n, want_visit, w); /* want_visit only reads */
}

static void want_point(Need *w, const ProbePoint *pp)
{
	want(w, 'a', dotted_name(w->s->arena, pp));
	want_node(w, pp->cond);
	/* a .return probe's $params are @entry values (entry.c) */
	if (pp->ncomps > 1 && !strcmp(pp->comps[pp->ncomps - 1].name, "return"))
		want(w, 'f', "tid");
	/* a family made from tapset aliases (syscall.*: sema.h, library) */
	const Provider *prov = provider_find(pp);
	if (prov && prov->library)
		want(w, 'a', prov->library);
}

void tapindex_load_needed(Session *s, TapFile **files, int nfiles, Script ***tail)
{
	Need w = { .s = s, .files = files, .nfiles = nfiles, .tail = tail };
	const Script *sc = s->user;
	for (const Probe *p = sc->probes; p; p = p->next) {
		for (const ProbePoint *pp = p->points; pp; pp = pp->next)
			want_point(&w, pp);
		want_node(&w, p->body);
		want_node(&w, p->body2);
	}
	for (const Function *f = sc->functions; f; f = f->next)
		want_node(&w, f->body);
}
