/* attach_perf.c - timer and perf probes: one perf event per CPU (or on one
 * CPU for interval timers), each running the probe's BPF_PROG_TYPE_
 * PERF_EVENT program on overflow.
 *
 * The probe's target describes the events as comma-separated key=value
 * pairs (bpf_abi.h): cpus=one|all, type=T, config=C (default: the
 * software cpu-clock, the timers' clock), period=N or freq=HZ, random=R
 * (a period drawn once in [N-R, N+R], see translate/probes/timer.c).
 * Every event is owned by its bpf_link, so destroying the links closes
 * them. */
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "runtime/rt.h"

typedef struct PerfSpec {
	struct perf_event_attr attr;
	bool all_cpus;
	uint64_t random;
} PerfSpec;

static bool parse_spec(const char *target, PerfSpec *ps, char *err, size_t errlen)
{
	memset(ps, 0, sizeof *ps);
	ps->attr.size = sizeof ps->attr;
	ps->attr.type = PERF_TYPE_SOFTWARE;
	ps->attr.config = PERF_COUNT_SW_CPU_CLOCK;
	const char *p = target;
	while (*p) {
		const char *eq = strchr(p, '='), *end = strchrnul(p, ',');
		if (!eq || eq > end)
			goto bad;
		size_t klen = (size_t)(eq - p);
		char *vend;
		errno = 0;
		unsigned long long v = strtoull(eq + 1, &vend, 10);
		bool num = vend == end && vend != eq + 1 && !errno;
		if (klen == 4 && !strncmp(p, "cpus", 4)) {
			if (end - eq - 1 == 3 && !strncmp(eq + 1, "all", 3))
				ps->all_cpus = true;
			else if (end - eq - 1 != 3 || strncmp(eq + 1, "one", 3))
				goto bad;
		} else if (!num) {
			goto bad;
		} else if (klen == 4 && !strncmp(p, "type", 4)) {
			ps->attr.type = (uint32_t)v;
		} else if (klen == 6 && !strncmp(p, "config", 6)) {
			ps->attr.config = v;
		} else if (klen == 6 && !strncmp(p, "period", 6)) {
			ps->attr.sample_period = v;
		} else if (klen == 4 && !strncmp(p, "freq", 4)) {
			ps->attr.freq = 1;
			ps->attr.sample_freq = v;
		} else if (klen == 6 && !strncmp(p, "random", 6)) {
			ps->random = v;
		} else {
			goto bad;
		}
		p = *end ? end + 1 : end;
	}
	if (!ps->attr.sample_period && !ps->attr.sample_freq)
		goto bad;
	return true;
bad:
	snprintf(err, errlen, "bad perf event description '%s'", target);
	return false;
}

/* The online CPUs, from "0-3,5" in sysfs; the count, or -1. */
static int online_cpus(int *cpus, int max)
{
	FILE *f = fopen("/sys/devices/system/cpu/online", "re");
	if (!f)
		return -1;
	char line[4096];
	int n = 0;
	if (fgets(line, sizeof line, f)) {
		for (char *p = line; *p && *p != '\n';) {
			char *e;
			long lo = strtol(p, &e, 10), hi = lo;
			if (e == p)
				break;
			if (*e == '-')
				hi = strtol(e + 1, &e, 10);
			for (long c = lo; c <= hi && n < max; c++)
				cpus[n++] = (int)c;
			p = *e == ',' ? e + 1 : e;
		}
	}
	fclose(f);
	return n ? n : -1;
}

/* What a failed perf_event_open means for this kind of event. */
static void explain(const PerfSpec *ps, int cpu, int e, char *err, size_t errlen)
{
	if ((e == ENOENT || e == EOPNOTSUPP) &&
	    (ps->attr.type == PERF_TYPE_HARDWARE || ps->attr.type == PERF_TYPE_HW_CACHE))
		snprintf(err, errlen,
		         "hardware perf events are not available here (%s): this machine has no usable "
		         "PMU (a virtual machine?); use a perf.sw.* event or a timer",
		         strerror(e));
	else
		snprintf(err, errlen, "cannot open perf event (type %u, config %llu) on CPU %d: %s", ps->attr.type,
		         (unsigned long long)ps->attr.config, cpu, strerror(e));
}

int rt_attach_perf(const RtMeta *m, const struct bstap_probe *p, struct bpf_program *prog,
                   RtLinks *links, char *err, size_t errlen)
{
	PerfSpec ps;
	if (!parse_spec(meta_str(m, p->target), &ps, err, errlen))
		return -1;
	if (ps.random && ps.attr.sample_period > ps.random) {
		/* randomize(M): one period in [N-M, N+M], drawn at attach */
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		srand48((long)(ts.tv_nsec ^ getpid()));
		ps.attr.sample_period = ps.attr.sample_period - ps.random +
		                        (uint64_t)(drand48() * (double)(2 * ps.random + 1));
	}
	int cpus[1024];
	int ncpus = online_cpus(cpus, 1024);
	if (ncpus < 0) {
		cpus[0] = 0;
		ncpus = 1;
	}
	if (!ps.all_cpus)
		ncpus = 1;
	for (int i = 0; i < ncpus; i++) {
		int fd = (int)syscall(SYS_perf_event_open, &ps.attr, -1, cpus[i], -1, PERF_FLAG_FD_CLOEXEC);
		if (fd < 0) {
			explain(&ps, cpus[i], errno, err, errlen);
			return -1;
		}
		struct bpf_link *link = bpf_program__attach_perf_event(prog, fd);
		if (!link) {
			int e = errno;
			close(fd);
			snprintf(err, errlen, "cannot attach to the perf event on CPU %d: %s", cpus[i], strerror(e));
			return -1;
		}
		if (!rt_links_add(links, link)) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	return 0;
}
