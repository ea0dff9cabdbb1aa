/* perf.c - perf.sw.EVENT, perf.hw.EVENT, perf.hw_cache.CACHE.OP.RESULT and
 * perf.type(N).config(M), each with an optional .sample(N) or .hz(N).
 *
 * The names and numbers are stap's (tapset/linux/perf.stp, which follows
 * linux/perf_event.h).  The handler runs once every N occurrences of the
 * event (default 1000000, as in stap) or N times a second (.hz), on every
 * CPU, in the context of the task that caused it.  Programs are
 * BPF_PROG_TYPE_PERF_EVENT, attached by runtime/attach_perf.c.  Hardware
 * events need a PMU, which virtual machines often lack: that is an attach
 * error then.
 *
 * Probe table: arg = the sample period (0 with .hz); target =
 * "cpus=all,type=T,config=C" plus ",period=N" or ",freq=HZ" (bpf_abi.h). */
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <string.h>

#include "translate/sema.h"

#define PERF_DEFAULT_SAMPLE 1000000

typedef struct PerfData {
	uint32_t type;
	uint64_t config;
	int64_t period, freq;     /* one of them is set */
} PerfData;

typedef struct PerfName {
	const char *name;
	uint64_t config;
} PerfName;

static const PerfName sw_events[] = {
	{"cpu_clock", PERF_COUNT_SW_CPU_CLOCK},
	{"task_clock", PERF_COUNT_SW_TASK_CLOCK},
	{"page_faults", PERF_COUNT_SW_PAGE_FAULTS},
	{"context_switches", PERF_COUNT_SW_CONTEXT_SWITCHES},
	{"cpu_migrations", PERF_COUNT_SW_CPU_MIGRATIONS},
	{"page_faults_min", PERF_COUNT_SW_PAGE_FAULTS_MIN},
	{"page_faults_maj", PERF_COUNT_SW_PAGE_FAULTS_MAJ},
	{"alignment_faults", PERF_COUNT_SW_ALIGNMENT_FAULTS},
	{"emulation_faults", PERF_COUNT_SW_EMULATION_FAULTS},
	{NULL, 0},
};

static const PerfName hw_events[] = {
	{"cpu_cycles", PERF_COUNT_HW_CPU_CYCLES},
	{"instructions", PERF_COUNT_HW_INSTRUCTIONS},
	{"cache_references", PERF_COUNT_HW_CACHE_REFERENCES},
	{"cache_misses", PERF_COUNT_HW_CACHE_MISSES},
	{"branch_instructions", PERF_COUNT_HW_BRANCH_INSTRUCTIONS},
	{"branch_misses", PERF_COUNT_HW_BRANCH_MISSES},
	{"bus_cycles", PERF_COUNT_HW_BUS_CYCLES},
	{"stalled_cycles_frontend", PERF_COUNT_HW_STALLED_CYCLES_FRONTEND},
	{"stalled_cycles_backend", PERF_COUNT_HW_STALLED_CYCLES_BACKEND},
	{"ref_cpu_cycles", PERF_COUNT_HW_REF_CPU_CYCLES},
	{NULL, 0},
};

/* perf.hw_cache.CACHE.OP.RESULT: config = cache | op << 8 | result << 16 */
static const PerfName hw_caches[] = {
	{"l1d", PERF_COUNT_HW_CACHE_L1D}, {"l1i", PERF_COUNT_HW_CACHE_L1I},
	{"ll", PERF_COUNT_HW_CACHE_LL}, {"dtlb", PERF_COUNT_HW_CACHE_DTLB},
	{"itlb", PERF_COUNT_HW_CACHE_ITLB}, {"bpu", PERF_COUNT_HW_CACHE_BPU},
	{"node", PERF_COUNT_HW_CACHE_NODE}, {NULL, 0},
};
static const PerfName hw_cache_ops[] = {
	{"read", PERF_COUNT_HW_CACHE_OP_READ}, {"write", PERF_COUNT_HW_CACHE_OP_WRITE},
	{"prefetch", PERF_COUNT_HW_CACHE_OP_PREFETCH}, {NULL, 0},
};
static const PerfName hw_cache_results[] = {
	{"access", PERF_COUNT_HW_CACHE_RESULT_ACCESS}, {"miss", PERF_COUNT_HW_CACHE_RESULT_MISS},
	{NULL, 0},
};

static bool match_perf(const ProbePoint *pp)
{
	return pp->ncomps >= 2 && !strcmp(pp->comps[0].name, "perf");
}

/* Look component c up in table; false after a diagnostic listing it. */
static bool lookup(const PPComp *c, const PerfName *table, const char *what, uint64_t *out, Arena *a)
{
	for (const PerfName *p = table; p->name; p++)
		if (!strcmp(p->name, c->name) && !c->arg) {
			*out = p->config;
			return true;
		}
	char *names = "";
	for (const PerfName *p = table; p->name; p++)
		names = arena_printf(a, "%s%s%s", names, *names ? " " : "", p->name);
	diag_at(DIAG_ERROR, "semantic error", &c->loc, "no match for probe point: unknown %s '%s'", what, c->name);
	diag_note(NULL, "known: %s", names);
	return false;
}

static bool num_comp(const PPComp *c, const char *name, int64_t *out)
{
	if (strcmp(c->name, name))
		return false;
	if (!c->arg || c->arg->kind != AST_NUM || c->arg->num < 0) {
		diag_at(DIAG_ERROR, "semantic error", &c->loc, "%s needs a number: %s(N)", name, name);
		*out = -1;
		return true;
	}
	*out = c->arg->num;
	return true;
}

/* The event: comps [1, *next); false after a diagnostic. */
static bool resolve_event(Session *s, const ProbePoint *pp, PerfData *pd, int *next)
{
	const PPComp *c = pp->comps;
	const char *family = c[1].name;
	if ((!strcmp(family, "sw") || !strcmp(family, "hw")) && !c[1].arg) {
		if (pp->ncomps < 3) {
			diag_at(DIAG_ERROR, "semantic error", &c[1].loc, "perf.%s needs an event name", family);
			return false;
		}
		pd->type = family[0] == 's' ? PERF_TYPE_SOFTWARE : PERF_TYPE_HARDWARE;
		*next = 3;
		return lookup(&c[2], family[0] == 's' ? sw_events : hw_events,
		              family[0] == 's' ? "software event" : "hardware event", &pd->config, s->arena);
	}
	if (!strcmp(family, "hw_cache") && !c[1].arg) {
		uint64_t cache, op, result;
		if (pp->ncomps < 5) {
			diag_at(DIAG_ERROR, "semantic error", &c[1].loc, "perf.hw_cache needs CACHE.OP.RESULT");
			return false;
		}
		if (!lookup(&c[2], hw_caches, "cache", &cache, s->arena) ||
		    !lookup(&c[3], hw_cache_ops, "cache operation", &op, s->arena) ||
		    !lookup(&c[4], hw_cache_results, "cache result", &result, s->arena))
			return false;
		pd->type = PERF_TYPE_HW_CACHE;
		pd->config = cache | op << 8 | result << 16;
		*next = 5;
		return true;
	}
	int64_t type, config;
	if (num_comp(&c[1], "type", &type)) {
		if (type < 0)
			return false;
		if (pp->ncomps < 3 || !num_comp(&c[2], "config", &config)) {
			diag_at(DIAG_ERROR, "semantic error", &c[1].loc, "perf.type(N) needs .config(M)");
			return false;
		}
		if (config < 0)
			return false;
		pd->type = (uint32_t)type;
		pd->config = (uint64_t)config;
		*next = 3;
		return true;
	}
	diag_at(DIAG_ERROR, "semantic error", &c[1].loc,
	        "no match for probe point: perf.sw.EVENT, perf.hw.EVENT, perf.hw_cache.C.O.R or "
	        "perf.type(N).config(M), not perf.%s", family);
	return false;
}

static int resolve_perf(Session *s, ProbeInst *inst,
                        void (*more)(Session *, ProbeInst *, const char *, void *))
{
	const ProbePoint *pp = inst->pp;
	PerfData *pd = arena_alloc(s->arena, sizeof *pd);
	int i;
	if (!resolve_event(s, pp, pd, &i))
		return -1;
	pd->period = PERF_DEFAULT_SAMPLE;
	if (i < pp->ncomps) {
		const PPComp *c = &pp->comps[i];
		int64_t v;
		bool sample = num_comp(c, "sample", &v);
		if (!sample && !num_comp(c, "hz", &v)) {
			diag_at(DIAG_ERROR, "semantic error", &c->loc,
			        !strcmp(c->name, "process") || !strcmp(c->name, "counter")
			                ? "perf .%s(...) probes are not supported yet"
			                : "no match for probe point: a perf event takes .sample(N) or .hz(N), not '.%s'",
			        c->name);
			return -1;
		}
		if (v <= 0) {
			if (v == 0)
				diag_at(DIAG_ERROR, "semantic error", &c->arg->loc, "%s(N) must be positive", c->name);
			return -1;
		}
		pd->period = sample ? v : 0;
		pd->freq = sample ? 0 : v;
		if (i + 1 < pp->ncomps) {
			diag_at(DIAG_ERROR, "semantic error", &pp->comps[i + 1].loc,
			        "no match for probe point: nothing may follow .%s(N)", c->name);
			return -1;
		}
	}
	inst->pdata = pd;
	inst->order = pd->period; /* the probe table's arg */
	return 0;
}

static const char *perf_attach(const ProbeInst *inst)
{
	const PerfData *pd = inst->pdata;
	static char buf[128];
	snprintf(buf, sizeof buf, "cpus=all,type=%u,config=%llu,%s=%lld", pd->type, (unsigned long long)pd->config,
	         pd->freq ? "freq" : "period", (long long)(pd->freq ? pd->freq : pd->period));
	return buf;
}

const Provider provider_perf = {
	.name = "perf", .matches = match_perf, .resolve = resolve_perf, .target = provider_no_target,
	.abi_kind = BSTAP_PROBE_PERF, .prog_type = BPF_PROG_TYPE_PERF_EVENT,
	.section = timer_perf_section, .attach_target = perf_attach, .list_vars = provider_no_vars,
};
