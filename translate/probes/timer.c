/* timer.c - timer.{s,sec,ms,msec,us,usec,ns,nsec,hz,jiffies}(N)[.randomize(M)],
 * timer.profile, timer.profile.tick and timer.profile.freq.hz(N).
 *
 * Every timer is a software cpu-clock perf event with a BPF_PROG_TYPE_
 * PERF_EVENT program (runtime/attach_perf.c).  As in stap, an interval
 * timer fires on one CPU (stap uses one hrtimer), and a profile timer on
 * every CPU at the tick rate (or N hz), with the interrupted task as its
 * context.  A jiffy is the kernel tick, read from the resolution of
 * CLOCK_MONOTONIC_COARSE (1/CONFIG_HZ) on the compiling machine.
 *
 * randomize(M): stap adds a random [-M, M] to every interval; a perf event
 * has one fixed period, so the runtime picks the period at random in
 * [N-M, N+M] once, when it attaches.  The phase and rate thus differ from
 * run to run, but not from one firing to the next.
 *
 * Probe table: arg = the period in ns; target = "cpus=one|all,period=NS"
 * plus ",random=NS" (bpf_abi.h). */
#include <linux/bpf.h>
#include <string.h>
#include <time.h>

#include "translate/sema.h"

/* cpu-clock events cannot fire more often than this (the kernel raises
 * smaller periods to it: kernel/events/core.c perf_swevent_init_hrtimer) */
#define TIMER_MIN_NS 10000

typedef struct TimerData {
	int64_t period;           /* ns */
	int64_t random;           /* ns, 0 for none */
	bool all_cpus;
} TimerData;

static bool match_timer(const ProbePoint *pp)
{
	return pp->ncomps >= 2 && !strcmp(pp->comps[0].name, "timer");
}

/* Nanoseconds in one unit: 0 for an unknown unit, -1 for hz. */
static int64_t unit_ns(const char *u)
{
	static const struct { const char *name; int64_t ns; } units[] = {
		{"s", 1000000000}, {"sec", 1000000000}, {"ms", 1000000}, {"msec", 1000000},
		{"us", 1000}, {"usec", 1000}, {"ns", 1}, {"nsec", 1}, {"hz", -1}, {"jiffies", -2},
	};
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (!strcmp(units[i].name, u))
			return units[i].ns;
	return 0;
}

/* The kernel tick in ns (one jiffy). */
static int64_t tick_ns(void)
{
	struct timespec ts;
	if (clock_getres(CLOCK_MONOTONIC_COARSE, &ts) == 0 && ts.tv_sec == 0 && ts.tv_nsec > 0)
		return ts.tv_nsec;
	return 4000000; /* CONFIG_HZ=250 */
}

/* The positive number argument of component c, or -1 after a diagnostic. */
static int64_t number_arg(const PPComp *c, const char *what)
{
	if (!c->arg || c->arg->kind != AST_NUM) {
		diag_at(DIAG_ERROR, "semantic error", &c->loc, "%s needs a number: %s(N)", what, c->name);
		return -1;
	}
	if (c->arg->num <= 0) {
		diag_at(DIAG_ERROR, "semantic error", &c->arg->loc, "%s must be positive", what);
		return -1;
	}
	return c->arg->num;
}

static void no_such_timer(const ProbePoint *pp, const PPComp *c)
{
	diag_at(DIAG_ERROR, "semantic error", &c->loc,
	        "no match for probe point: unknown timer '%s' (timer.s/ms/us/ns/hz/jiffies(N), timer.profile)",
	        c->name);
}

/* timer.profile[.tick] and timer.profile.freq.hz(N) */
static int resolve_profile(const ProbePoint *pp, TimerData *td)
{
	td->all_cpus = true;
	td->period = tick_ns();
	if (pp->ncomps == 2)
		return 0;
	const PPComp *c = &pp->comps[2];
	if (pp->ncomps == 3 && !strcmp(c->name, "tick") && !c->arg)
		return 0;
	if (pp->ncomps == 4 && !strcmp(c->name, "freq") && !strcmp(pp->comps[3].name, "hz")) {
		int64_t hz = number_arg(&pp->comps[3], "the frequency");
		if (hz < 0)
			return -1;
		td->period = 1000000000 / hz;
		return 0;
	}
	diag_at(DIAG_ERROR, "semantic error", &c->loc,
	        "no match for probe point: timer.profile takes .tick or .freq.hz(N), not '.%s'", c->name);
	return -1;
}

static int resolve_interval(const ProbePoint *pp, TimerData *td)
{
	const PPComp *c = &pp->comps[1];
	int64_t unit = unit_ns(c->name);
	if (!unit) {
		no_such_timer(pp, c);
		return -1;
	}
	int64_t n = number_arg(c, "the timer interval");
	if (n < 0)
		return -1;
	if (unit == -1) {
		if (n > 1000000000) {
			diag_at(DIAG_ERROR, "semantic error", &c->arg->loc, "timer.hz(%lld) is too fast (limit 1000000000)",
			        (long long)n);
			return -1;
		}
		td->period = 1000000000 / n;
	} else {
		if (unit == -2)
			unit = tick_ns();
		if (n > INT64_MAX / unit) {
			diag_at(DIAG_ERROR, "semantic error", &c->arg->loc, "the timer interval is too long");
			return -1;
		}
		td->period = n * unit;
	}
	if (pp->ncomps == 2)
		return 0;
	const PPComp *r = &pp->comps[2];
	if (pp->ncomps > 3 || strcmp(r->name, "randomize")) {
		diag_at(DIAG_ERROR, "semantic error", &r->loc,
		        "no match for probe point: a timer takes only .randomize(M), not '.%s'", r->name);
		return -1;
	}
	if (unit == -1) {
		diag_at(DIAG_ERROR, "semantic error", &r->loc, "randomize is not supported for hertz timers");
		return -1;
	}
	if (!r->arg || r->arg->kind != AST_NUM || r->arg->num < 0) {
		diag_at(DIAG_ERROR, "semantic error", &r->loc, "randomize needs a number: randomize(M)");
		return -1;
	}
	if (r->arg->num >= n) {
		diag_at(DIAG_ERROR, "semantic error", &r->arg->loc,
		        "randomize(%lld) must be smaller than the interval (%lld)", (long long)r->arg->num,
		        (long long)n);
		return -1;
	}
	td->random = r->arg->num * unit;
	return 0;
}

static int resolve_timer(Session *s, ProbeInst *inst,
                         void (*more)(Session *, ProbeInst *, const char *, void *))
{
	const ProbePoint *pp = inst->pp;
	TimerData *td = arena_alloc(s->arena, sizeof *td);
	int r = !strcmp(pp->comps[1].name, "profile") && !pp->comps[1].arg ? resolve_profile(pp, td)
	                                                                    : resolve_interval(pp, td);
	if (r < 0)
		return -1;
	if (td->period - td->random < TIMER_MIN_NS) {
		diag_at(DIAG_WARNING, NULL, &pp->loc,
		        "timer period of %lld ns raised to the kernel's minimum of %d ns", (long long)(td->period - td->random),
		        TIMER_MIN_NS);
		td->period = TIMER_MIN_NS + td->random;
	}
	inst->pdata = td;
	inst->order = td->period; /* the probe table's arg */
	return 0;
}

/* Shared with perf.c: libbpf knows the section as a perf-event program. */
const char *timer_perf_section(const ProbeInst *inst, Arena *a)
{
	return "perf_event";
}

static const char *timer_attach(const ProbeInst *inst)
{
	const TimerData *td = inst->pdata;
	static char buf[128];
	snprintf(buf, sizeof buf, "cpus=%s,period=%lld", td->all_cpus ? "all" : "one", (long long)td->period);
	if (td->random)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), ",random=%lld", (long long)td->random);
	return buf;
}

const Provider provider_timer = {
	.name = "timer", .matches = match_timer, .resolve = resolve_timer, .target = provider_no_target,
	.abi_kind = BSTAP_PROBE_TIMER, .prog_type = BPF_PROG_TYPE_PERF_EVENT,
	.section = timer_perf_section, .attach_target = timer_attach, .list_vars = provider_no_vars,
};
