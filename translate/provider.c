/* provider.c - the table of probe-point families.  Each family lives in
 * translate/probes/<family>.c and is found by its first components. */
#include <string.h>

#include "translate/sema.h"

static const Provider *const providers[] = {
	&provider_begin, &provider_end, &provider_error, &provider_never,
	&provider_tracepoint, &provider_syscall, &provider_timer, &provider_perf, &provider_kprobe,
	&provider_process, &provider_mark,
};

const Provider *provider_find(const ProbePoint *pp)
{
	for (size_t i = 0; i < sizeof providers / sizeof providers[0]; i++)
		if (providers[i]->matches(pp))
			return providers[i];
	return NULL;
}

/* For families without context variables (timer, perf). */
int provider_no_target(Session *s, ProbeInst *inst, Node *n, Access *acc)
{
	diag_at(DIAG_ERROR, "semantic error", &n->loc,
	        "unresolved target-symbol expression '$%s': probe '%s' has no context variables",
	        n->name, inst->pp_text);
	return -1;
}

const char *provider_no_vars(Session *s, const ProbeInst *inst)
{
	return "";
}
