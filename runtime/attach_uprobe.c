/* attach_uprobe.c - attaching uprobe probes (placeholder until the family
 * lands: the compiler does not emit this kind yet). */
#include <stdio.h>

#include "runtime/rt.h"

int rt_attach_uprobe(const RtMeta *m, const struct bstap_probe *p, struct bpf_program *prog,
                   RtLinks *links, char *err, size_t errlen)
{
	snprintf(err, errlen, "uprobe probes are not supported by this runtime yet");
	return -1;
}
