/* listing.c - -l and -L: the probe points a pattern matches, found by the
 * same alias and provider expansion as a real probe (resolve.c), printed
 * once each in name order, as stap does: an alias by its own name,
 * anything else as the concrete point; -L adds the context variables with
 * their types. */
#include <stdlib.h>
#include <string.h>

#include "translate/sema.h"

typedef struct Listed {
	const char *name;
	const ProbeInst *inst;     /* the first instance of that name */
} Listed;

static int by_name(const void *a, const void *b)
{
	const Listed *x = a, *y = b;
	int r = strcmp(x->name, y->name);
	return r ? r : x->inst->index - y->inst->index;
}

int sema_list(Session *s, const char *pattern, bool with_vars, FILE *out)
{
	/* '?': a pattern that matches nothing lists nothing, quietly */
	const char *text = arena_printf(s->arena, "probe %s ? {}\n", pattern);
	Source *src = src_add("<listing>", text, strlen(text), false);
	s->user = parse_source(s->arena, src, &s->env);
	if (!s->user || diag_errors() || tap_load(s) < 0)
		return 1;
	/* a pattern that matches nothing lists nothing, as stap: the
	 * resolver's complaints about it are not shown */
	diag_quiet_begin();
	int rc = sema_resolve(s);
	diag_quiet_end();
	if (rc < 0 && s->nprobes == 0)
		return 1;
	/* sorted and once each, as stap lists them */
	Listed *v = arena_alloc(s->arena, sizeof *v * (size_t)(s->nprobes + 1));
	for (int i = 0; i < s->nprobes; i++) {
		ProbeInst *p = s->probes[i];
		const char *name = p->pp_text;
		if (p->alias_chain) {
			const char *arrow = strstr(p->alias_chain, " -> ");
			name = arrow ? arena_strndup(s->arena, p->alias_chain, (size_t)(arrow - p->alias_chain))
			             : p->alias_chain;
		}
		v[i] = (Listed){ name, p };
	}
	qsort(v, (size_t)s->nprobes, sizeof *v, by_name);
	int n = 0;
	for (int i = 0; i < s->nprobes; i++) {
		if (i > 0 && !strcmp(v[i].name, v[i - 1].name))
			continue;
		n++;
		if (with_vars) {
			const char *vars = v[i].inst->prov->list_vars(s, v[i].inst);
			fprintf(out, "%s%s%s\n", v[i].name, *vars ? " " : "", vars);
		} else {
			fprintf(out, "%s\n", v[i].name);
		}
	}
	return n ? 0 : 1;
}
