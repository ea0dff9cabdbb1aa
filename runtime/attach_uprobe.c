/* attach_uprobe.c - attaching process probes: a uprobe (or uretprobe) at a
 * file offset of a binary, through libbpf's perf-event uprobes.  An SDT
 * semaphore is the uprobe's reference counter: the kernel increments it in
 * each process where the uprobe is installed, and decrements it when the
 * link goes.  With -x PID or -c CMD the uprobe is installed in that process
 * only (target()); process(PID) names its own. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/rt.h"

/* target() of the object: the word the runtime stored in the global data
 * map before loading (run.c), read back through the program's maps, as
 * the attach interface carries no pid. */
static int target_pid(struct bpf_program *prog)
{
	__u32 ids[16];
	struct bpf_prog_info info = { .nr_map_ids = 16, .map_ids = (__u64)(unsigned long)ids };
	__u32 len = sizeof info;
	if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
		return 0;
	int pid = 0;
	for (__u32 i = 0; i < info.nr_map_ids && i < 16 && !pid; i++) {
		int fd = bpf_map_get_fd_by_id(ids[i]);
		if (fd < 0)
			continue;
		struct bpf_map_info mi = {0};
		__u32 mlen = sizeof mi;
		/* the data map: libbpf's mmapable array for BSTAP_SEC_DATA */
		if (!bpf_obj_get_info_by_fd(fd, &mi, &mlen) && mi.type == BPF_MAP_TYPE_ARRAY &&
		    (mi.map_flags & BPF_F_MMAPABLE) && mi.value_size >= BSTAP_DATA_GLOBALS && strstr(mi.name, ".data")) {
			char *val = calloc(1, mi.value_size);
			__u32 zero = 0;
			uint64_t t;
			if (val && !bpf_map_lookup_elem(fd, &zero, val)) {
				memcpy(&t, val + BSTAP_DATA_TARGET, sizeof t);
				pid = (int)t;
			}
			free(val);
		}
		close(fd);
	}
	return pid;
}

/* "off=0x..,ret=0|1,ref=0x..,pid=N,path=PATH" (bpf_abi.h). */
static bool parse_target(const char *t, unsigned long long *off, int *ret, unsigned long long *ref, int *pid,
                         const char **path)
{
	int n = 0;
	if (sscanf(t, "off=%llx,ret=%d,ref=%llx,pid=%d,path=%n", off, ret, ref, pid, &n) != 4 || !n)
		return false;
	*path = t + n;
	return **path == '/';
}

int rt_attach_uprobe(const RtMeta *m, const struct bstap_probe *p, struct bpf_program *prog,
                     RtLinks *links, char *err, size_t errlen)
{
	const char *target = meta_str(m, p->target), *path;
	unsigned long long off, ref;
	int ret, pid;
	if (!parse_target(target, &off, &ret, &ref, &pid, &path)) {
		snprintf(err, errlen, "bad uprobe target '%s'", target);
		return -1;
	}
	if (!pid)
		pid = target_pid(prog);
	LIBBPF_OPTS(bpf_uprobe_opts, uo, .retprobe = ret != 0, .ref_ctr_offset = (size_t)ref);
	struct bpf_link *link = bpf_program__attach_uprobe_opts(prog, pid ? pid : -1, path, (size_t)off, &uo);
	if (!link) {
		int e = errno;
		if (e == ESRCH)
			snprintf(err, errlen, "process %d does not exist", pid);
		else
			snprintf(err, errlen, "uprobe at %s+0x%llx: %s", path, off, strerror(e));
		return -1;
	}
	if (!rt_links_add(links, link)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}
