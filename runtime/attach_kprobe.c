/* attach_kprobe.c - kernel.function probes: a kprobe or kretprobe on the
 * function the target names ("func" or "module:func"), through libbpf;
 * "func+0xOFF" is a kprobe inside func (where DWARF says a function was
 * inlined), through libbpf's kprobe offset.
 *
 * A kernel built without CONFIG_KPROBES has neither the kprobe PMU nor
 * tracefs's kprobe_events: the programs still load (the verifier checks
 * them like any other), but attaching fails, and the message says so and
 * what to use instead. */
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/rt.h"

#define NO_KPROBES "this kernel has no kprobes (CONFIG_KPROBES is not set), so kernel.function " \
                   "probes cannot attach; use a kernel.trace(\"SUBSYSTEM:EVENT\") or syscall.* probe instead"

static bool kernel_has_kprobes(void)
{
	return access("/sys/bus/event_source/devices/kprobe/type", F_OK) == 0 ||
	       access("/sys/kernel/tracing/kprobe_events", F_OK) == 0 ||
	       access("/sys/kernel/debug/tracing/kprobe_events", F_OK) == 0;
}

int rt_attach_kprobe(const RtMeta *m, const struct bstap_probe *p, struct bpf_program *prog,
                     RtLinks *links, char *err, size_t errlen)
{
	const char *func = meta_str(m, p->target);
	if (!kernel_has_kprobes()) {
		snprintf(err, errlen, NO_KPROBES);
		return -1;
	}
	char sym[512];
	const char *plus = strstr(func, "+0x");
	LIBBPF_OPTS(bpf_kprobe_opts, opts, .retprobe = p->arg != 0);
	if (plus && (size_t)(plus - func) < sizeof sym) {
		snprintf(sym, sizeof sym, "%.*s", (int)(plus - func), func);
		opts.offset = (size_t)strtoull(plus + 3, NULL, 16);
	} else {
		snprintf(sym, sizeof sym, "%s", func);
	}
	struct bpf_link *link = bpf_program__attach_kprobe_opts(prog, sym, &opts);
	if (!link) {
		int e = errno;
		if ((e == ENOENT || e == EOPNOTSUPP) && !kernel_has_kprobes())
			snprintf(err, errlen, NO_KPROBES);
		else if (e == ENOENT || e == EINVAL)
			snprintf(err, errlen, "cannot put a %s on '%s' (%s): the kernel cannot probe this function",
			         p->arg ? "kretprobe" : "kprobe", func, strerror(e));
		else
			snprintf(err, errlen, "cannot attach a %s to '%s': %s", p->arg ? "kretprobe" : "kprobe", func,
			         strerror(e));
		return -1;
	}
	if (!rt_links_add(links, link)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}
