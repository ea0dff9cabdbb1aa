/* attach.c - attaching one probe program by its kind (bpf_abi.h).  Each
 * kind of kernel probe has its case here; begin/end/error probes are not
 * attached (run.c fires them with BPF_PROG_TEST_RUN). */
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/rt.h"

enum bpf_prog_type rt_prog_type(uint32_t kind)
{
	switch (kind) {
	case BSTAP_PROBE_TRACEPOINT:
		return BPF_PROG_TYPE_TRACEPOINT;
	case BSTAP_PROBE_KPROBE: case BSTAP_PROBE_UPROBE:
		return BPF_PROG_TYPE_KPROBE;
	case BSTAP_PROBE_TIMER: case BSTAP_PROBE_PERF:
		return BPF_PROG_TYPE_PERF_EVENT;
	default:
		return BPF_PROG_TYPE_RAW_TRACEPOINT;
	}
}

bool rt_links_add(RtLinks *l, struct bpf_link *link)
{
	if (!link)
		return true;
	if (l->n == l->cap) {
		int nc = l->cap ? 2 * l->cap : 4;
		struct bpf_link **nv = realloc(l->v, sizeof *nv * (size_t)nc);
		if (!nv) {
			bpf_link__destroy(link);
			return false;
		}
		l->v = nv;
		l->cap = nc;
	}
	l->v[l->n++] = link;
	return true;
}

void rt_links_destroy(RtLinks *l)
{
	for (int i = 0; i < l->n; i++)
		bpf_link__destroy(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

static int attach_tracepoint(const RtMeta *m, const struct bstap_probe *p, struct bpf_program *prog,
                             RtLinks *links, char *err, size_t errlen)
{
	const char *target = meta_str(m, p->target);
	char sys[256];
	const char *colon = strchr(target, ':');
	if (!colon || (size_t)(colon - target) >= sizeof sys) {
		snprintf(err, errlen, "bad tracepoint '%s'", target);
		return -1;
	}
	memcpy(sys, target, (size_t)(colon - target));
	sys[colon - target] = 0;
	struct bpf_link *link = bpf_program__attach_tracepoint(prog, sys, colon + 1);
	if (!link) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	if (!rt_links_add(links, link)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static int attach_raw_tracepoint(const RtMeta *m, const struct bstap_probe *p, struct bpf_program *prog,
                                 RtLinks *links, char *err, size_t errlen)
{
	struct bpf_link *link = bpf_program__attach_raw_tracepoint(prog, meta_str(m, p->target));
	if (!link) {
		snprintf(err, errlen, "raw tracepoint %s: %s", meta_str(m, p->target), strerror(errno));
		return -1;
	}
	if (!rt_links_add(links, link)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

int rt_attach(const RtMeta *m, const struct bstap_probe *p, struct bpf_program *prog,
              RtLinks *links, char *err, size_t errlen)
{
	switch (p->kind) {
	case BSTAP_PROBE_BEGIN: case BSTAP_PROBE_END: case BSTAP_PROBE_ERROR:
		return 0;
	case BSTAP_PROBE_TRACEPOINT:
		return attach_tracepoint(m, p, prog, links, err, errlen);
	case BSTAP_PROBE_RAW_TRACEPOINT:
		return attach_raw_tracepoint(m, p, prog, links, err, errlen);
	case BSTAP_PROBE_TIMER: case BSTAP_PROBE_PERF:
		return rt_attach_perf(m, p, prog, links, err, errlen);
	case BSTAP_PROBE_KPROBE:
		return rt_attach_kprobe(m, p, prog, links, err, errlen);
	case BSTAP_PROBE_UPROBE:
		return rt_attach_uprobe(m, p, prog, links, err, errlen);
	default:
		snprintf(err, errlen, "this kind of probe (%u) cannot be attached by this runtime", p->kind);
		return -1;
	}
}
