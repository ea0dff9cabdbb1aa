/* begin_end.c - begin[(N)], end[(N)], error[(N)] and never.
 *
 * begin, end and error run once, in user space's control: they are raw
 * tracepoint programs that the runtime fires with BPF_PROG_TEST_RUN (ply's
 * approach), so they share maps and helpers with the kernel probes.  N
 * orders them (lower first, default 0). */
#include <linux/bpf.h>
#include <string.h>

#include "translate/sema.h"

static bool is_named(const ProbePoint *pp, const char *name)
{
	return pp->ncomps == 1 && strcmp(pp->comps[0].name, name) == 0;
}

static bool match_begin(const ProbePoint *pp) { return is_named(pp, "begin"); }
static bool match_end(const ProbePoint *pp) { return is_named(pp, "end"); }
static bool match_error(const ProbePoint *pp) { return is_named(pp, "error"); }
static bool match_never(const ProbePoint *pp) { return is_named(pp, "never"); }

static int resolve_ordered(Session *s, ProbeInst *inst,
                           void (*more)(Session *, ProbeInst *, const char *, void *))
{
	const PPComp *c = &inst->pp->comps[0];
	if (c->arg) {
		if (c->arg->kind != AST_NUM) {
			diag_at(DIAG_ERROR, "semantic error", &c->arg->loc,
			        "probe point '%s' takes a number", c->name);
			return -1;
		}
		inst->order = c->arg->num;
	}
	return 0;
}

static int resolve_never(Session *s, ProbeInst *inst,
                         void (*more)(Session *, ProbeInst *, const char *, void *))
{
	if (inst->pp->comps[0].arg) {
		diag_at(DIAG_ERROR, "semantic error", &inst->pp->comps[0].arg->loc,
		        "probe point 'never' takes no argument");
		return -1;
	}
	return 0;
}

static int no_target(Session *s, ProbeInst *inst, Node *n, Access *acc)
{
	diag_at(DIAG_ERROR, "semantic error", &n->loc,
	        "unresolved target-symbol expression '$%s': probe '%s' has no context variables",
	        n->name, inst->pp_text);
	return -1;
}

static const char *raw_section(const ProbeInst *inst, Arena *a)
{
	return arena_printf(a, "raw_tp/%s", inst->prov->name);
}

static const char *no_attach(const ProbeInst *inst)
{
	return "";
}

static const char *no_vars(Session *s, const ProbeInst *inst)
{
	return "";
}

#define ORDERED_PROVIDER(var, nm, match, kind) \
	const Provider var = { \
		.name = nm, .matches = match, .resolve = resolve_ordered, .target = no_target, \
		.abi_kind = kind, .prog_type = BPF_PROG_TYPE_RAW_TRACEPOINT, \
		.section = raw_section, .attach_target = no_attach, .list_vars = no_vars, \
	}

ORDERED_PROVIDER(provider_begin, "begin", match_begin, BSTAP_PROBE_BEGIN);
ORDERED_PROVIDER(provider_end, "end", match_end, BSTAP_PROBE_END);
ORDERED_PROVIDER(provider_error, "error", match_error, BSTAP_PROBE_ERROR);

/* never: checked like any probe, never compiled (abi_kind 0). */
const Provider provider_never = {
	.name = "never", .matches = match_never, .resolve = resolve_never, .target = no_target,
	.abi_kind = 0, .prog_type = BPF_PROG_TYPE_RAW_TRACEPOINT,
	.section = raw_section, .attach_target = no_attach, .list_vars = no_vars,
};
