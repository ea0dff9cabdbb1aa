/* provider.c - the table of probe-point families.  Each family lives in
 * translate/probes/<family>.c and is found by its first components. */
#include <string.h>

#include "translate/sema.h"

static const Provider *const providers[] = {
	&provider_begin, &provider_end, &provider_error, &provider_never,
	&provider_tracepoint,
};

const Provider *provider_find(const ProbePoint *pp)
{
	for (size_t i = 0; i < sizeof providers / sizeof providers[0]; i++)
		if (providers[i]->matches(pp))
			return providers[i];
	return NULL;
}
