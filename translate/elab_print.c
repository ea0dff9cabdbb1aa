/* elab_print.c - the -p2 listing in stap's layout: globals, the functions
 * that are used, then each probe instance with what its aliases expanded
 * to, its locals and its combined body. */
#include "translate/sema.h"

static void print_locals(FILE *out, Symbol *l)
{
	if (!l)
		return;
	fprintf(out, "# locals\n");
	for (; l; l = l->next)
		fprintf(out, "%s:%s\n", l->name, type_name(l->type));
}

void elab_print(FILE *out, Session *s)
{
	if (s->globals) {
		fprintf(out, "# globals\n");
		for (Symbol *g = s->globals; g; g = g->next)
			fprintf(out, "%s:%s\n", g->name, type_name(g->type));
	}
	bool any = false;
	for (FuncDecl *d = s->funcs; d; d = d->next) {
		if (!d->used)
			continue;
		if (!any)
			fprintf(out, "# functions\n");
		any = true;
		fprintf(out, "%s:%s (", d->name, type_name(d->ret));
		for (int i = 0; i < d->nparams; i++)
			fprintf(out, "%s%s:%s", i ? ", " : "", d->params[i]->name, type_name(d->params[i]->type));
		fprintf(out, ")\n");
		print_locals(out, d->locals);
		if (d->fn->body) {
			ast_print_stmt(out, d->fn->body, 0);
			fputc('\n', out);
		} else {
			fprintf(out, "%%{%s%%}\n", d->fn->code);
		}
	}
	fprintf(out, "# probes\n");
	for (int i = 0; i < s->nprobes; i++) {
		ProbeInst *p = s->probes[i];
		if (p->alias_chain)
			fprintf(out, "%s /* <- %s */\n", p->pp_text, p->alias_chain);
		else
			fprintf(out, "%s\n", p->pp_text);
		print_locals(out, p->locals);
		ast_print_stmt(out, p->body, 0);
		fputc('\n', out);
	}
}
