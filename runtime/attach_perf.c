/* attach_perf.c - attaching perf probes (placeholder until the family
 * lands: the compiler does not emit this kind yet). */
#include <stdio.h>

#include "runtime/rt.h"

int rt_attach_perf(const RtMeta *m, const struct bstap_probe *p, struct bpf_program *prog,
                   RtLinks *links, char *err, size_t errlen)
{
	snprintf(err, errlen, "perf probes are not supported by this runtime yet");
	return -1;
}
