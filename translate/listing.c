/* listing.c - -l and -L: the probe points a pattern matches, found by the
 * same alias and provider expansion as a real probe (resolve.c), printed
 * once each: an alias by its own name, anything else as the concrete
 * point; -L adds the context variables with their types. */
#include <stdlib.h>
#include <string.h>

#include "translate/sema.h"

static bool seen(char **names, int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(names[i], s))
			return true;
	return false;
}

int sema_list(Session *s, const char *pattern, bool with_vars, FILE *out)
{
	/* '?': a pattern that matches nothing lists nothing, quietly */
	const char *text = arena_printf(s->arena, "probe %s ? {}\n", pattern);
	Source *src = src_add("<listing>", text, strlen(text), false);
	s->user = parse_source(s->arena, src, &s->env);
	if (!s->user || diag_errors() || tap_load(s) < 0)
		return 1;
	if (sema_resolve(s) < 0 && s->nprobes == 0)
		return 1;
	char **names = arena_alloc(s->arena, sizeof(char *) * (size_t)(s->nprobes + 1));
	int n = 0;
	for (int i = 0; i < s->nprobes; i++) {
		ProbeInst *p = s->probes[i];
		const char *name = p->pp_text;
		if (p->alias_chain) {
			const char *arrow = strstr(p->alias_chain, " -> ");
			name = arrow ? arena_strndup(s->arena, p->alias_chain, (size_t)(arrow - p->alias_chain))
			             : p->alias_chain;
		}
		if (seen(names, n, name))
			continue;
		names[n++] = (char *)name;
		if (with_vars) {
			const char *vars = p->prov->list_vars(s, p);
			fprintf(out, "%s%s%s\n", name, *vars ? " " : "", vars);
		} else {
			fprintf(out, "%s\n", name);
		}
	}
	return n ? 0 : 1;
}
