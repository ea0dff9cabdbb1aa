/* elab_print.c - the -p2 listing in stap's layout:
 *
 *   # globals
 *   count:long
 *   names[100]:long [string]          an array: declared size, value type, key types
 *   # functions
 *   fmt:string (n:long)               the functions used, by name
 *   # probes
 *   begin  (in a comment: <- b = begin <- a = b <- a)
 *     # locals                        each probe, then what it came from: the
 *     x:long                          aliases it went through (innermost first,
 *                                     "+=" for appending ones), then the probe
 *                                     points as the script wrote them
 *
 * With -v each function and probe is followed by its body, as stap does.
 * Globals the script never uses are left out (stap elides them) unless -u
 * keeps them.  A function that returns nothing is "unknown", stap's word. */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "translate/sema.h"

static const char *tname(TypeKind t)
{
	return t == TY_VOID ? "unknown" : type_name(t);
}

/* resolve.c: a probe point as text, with its '?' and '!' when `marks`. */
char *sema_point_text(Arena *a, const ProbePoint *pp, bool marks);

static void print_locals(FILE *out, Symbol *l)
{
	if (!l)
		return;
	/* the list is newest first: print in the order they appeared */
	int n = 0;
	for (Symbol *x = l; x; x = x->next)
		n++;
	Symbol **v = malloc(sizeof *v * (size_t)n);
	if (!v)
		return;
	n = 0;
	for (Symbol *x = l; x; x = x->next)
		v[n++] = x;
	fprintf(out, "  # locals\n");
	while (n-- > 0)
		fprintf(out, "  %s:%s\n", v[n]->name, tname(v[n]->type));
	free(v);
}

static void print_global(FILE *out, const Symbol *g)
{
	fprintf(out, "%s", g->name);
	if (g->decl && g->decl->size > 0)
		fprintf(out, "[%lld]", (long long)g->decl->size);
	fprintf(out, ":%s", tname(g->type));
	if (g->is_array && g->nkeys > 0) {
		fprintf(out, " [");
		for (int i = 0; i < g->nkeys && i < 9; i++)
			fprintf(out, "%s%s", i ? ", " : "", tname(g->keytypes[i]));
		fprintf(out, "]");
	}
	fputc('\n', out);
}

static int by_name(const void *a, const void *b)
{
	const FuncDecl *x = *(FuncDecl *const *)a, *y = *(FuncDecl *const *)b;
	int r = strcmp(x->name, y->name);
	return r ? r : x->nparams - y->nparams;
}

/* The definition of probe alias `name` (as pp text), searching the
 * script and the tapsets it used. */
static const Probe *find_alias(Session *s, const char *name, const ProbePoint **which)
{
	for (Script *sc = s->user; sc; sc = sc == s->user ? s->tapsets : sc->next)
		for (const Probe *p = sc->probes; p; p = p->next)
			for (const ProbePoint *a = p->alias; a; a = a->next)
				if (!strcmp(sema_point_text(s->arena, a, false), name)) {
					*which = a;
					return p;
				}
	return NULL;
}

/* The location of alias definition `def` that led to `next` (the next
 * alias's name, or the concrete point): the one whose text, wildcards and
 * all, matches it; all of them when none or several could. */
static const char *alias_location(Session *s, const Probe *def, const char *next)
{
	const ProbePoint *hit = NULL;
	int n = 0, hits = 0;
	for (const ProbePoint *p = def->points; p; p = p->next, n++) {
		const char *t = sema_point_text(s->arena, p, false);
		if (!strcmp(t, next) || (strchr(t, '*') && !fnmatch(t, next, 0))) {
			hit = p;
			hits++;
		}
	}
	if (n == 1)
		hit = def->points, hits = 1;
	if (hits == 1)
		return sema_point_text(s->arena, hit, true);
	char *all = "";
	for (const ProbePoint *p = def->points; p; p = p->next)
		all = arena_printf(s->arena, "%s%s%s", all, *all ? "," : "", sema_point_text(s->arena, p, true));
	return all;
}

/* stap's "/ * <- ... * /" text: what probe instance p came from. */
static const char *origin(Session *s, const ProbeInst *p)
{
	const char *user = "";
	for (const ProbePoint *pp = p->probe ? p->probe->points : NULL; pp; pp = pp->next)
		user = arena_printf(s->arena, "%s%s%s", user, *user ? "," : "", sema_point_text(s->arena, pp, true));
	if (!p->alias_chain)
		return user;
	/* "a -> b": the aliases from the outermost in */
	const char *names[64];
	int n = 0;
	for (const char *c = p->alias_chain; c && n < 64;) {
		const char *arrow = strstr(c, " -> ");
		names[n++] = arrow ? arena_strndup(s->arena, c, (size_t)(arrow - c)) : c;
		c = arrow ? arrow + 4 : NULL;
	}
	const char *text = user;
	for (int i = 0; i < n; i++) {
		const ProbePoint *which = NULL;
		const Probe *def = find_alias(s, names[i], &which);
		const char *next = i + 1 < n ? names[i + 1] : p->pp_text;
		const char *loc = def ? alias_location(s, def, next) : next;
		text = arena_printf(s->arena, "%s %s %s <- %s", names[i], def && def->alias_append ? "+=" : "=", loc,
		                    text);
	}
	return text;
}

void elab_print(FILE *out, Session *s)
{
	bool bodies = s->verbose > 0;
	bool any = false;
	for (Symbol *g = s->globals; g; g = g->next) {
		Source *src = g->decl ? src_get(g->decl->loc.file) : NULL;
		if (!g->read && !g->written && src && !src->is_tapset && !s->no_elide)
			continue; /* elided (types.c warned) */
		if (!any)
			fprintf(out, "# globals\n");
		any = true;
		print_global(out, g);
	}

	int nf = 0;
	for (FuncDecl *d = s->funcs; d; d = d->next)
		nf += d->used;
	FuncDecl **fv = malloc(sizeof *fv * (size_t)(nf + 1));
	if (fv && nf) {
		nf = 0;
		for (FuncDecl *d = s->funcs; d; d = d->next)
			if (d->used)
				fv[nf++] = d;
		qsort(fv, (size_t)nf, sizeof *fv, by_name);
		fprintf(out, "# functions\n");
		for (int k = 0; k < nf; k++) {
			FuncDecl *d = fv[k];
			fprintf(out, "%s:%s (", d->name, tname(d->ret));
			for (int i = 0; i < d->nparams; i++)
				fprintf(out, "%s%s:%s", i ? ", " : "", d->params[i]->name, tname(d->params[i]->type));
			fprintf(out, ")\n");
			print_locals(out, d->locals);
			if (!bodies)
				continue;
			if (d->fn->body) {
				ast_print_stmt(out, d->fn->body, 0);
				fputc('\n', out);
			} else {
				fprintf(out, "%%{%s%%}\n", d->fn->code ? d->fn->code : "");
			}
		}
	}
	free(fv);

	fprintf(out, "# probes\n");
	for (int i = 0; i < s->nprobes; i++) {
		ProbeInst *p = s->probes[i];
		fprintf(out, "%s /* <- %s */\n", p->pp_text, origin(s, p));
		print_locals(out, p->locals);
		if (bodies) {
			ast_print_stmt(out, p->body, 0);
			fputc('\n', out);
		}
	}
}
