/* kdwarf.c - which vmlinux gives kernel.function probes their DWARF.
 *
 * --kernel-debuginfo=PATH names it; without the option bstap looks where
 * Debian and the kernel's build leave it, and takes a file only when its
 * build id is the running kernel's (/sys/kernel/notes): DWARF of another
 * build would put probes and variables at wrong addresses.  An explicit
 * file of another build is the user's choice (a fixture, another
 * machine's kernel): used, with a warning.  Finding nothing is normal:
 * kernel.function probes then use BTF (probes/kprobe.c).
 *
 * Requires: the session's option.  Provides: the DwFile (dwarf.c, opened
 * as a kernel image, with KASLR's slide) and whether it is another
 * kernel's. */
#include <fcntl.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "translate/sema.h"

struct KdwState {
	DwFile *f;                /* NULL: none found (BTF) */
	bool foreign;             /* its build id is not the running kernel's */
};

const char *kdw_running_build_id(Arena *a)
{
	int fd = open("/sys/kernel/notes", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	static char buf[4096];
	ssize_t n = read(fd, buf, sizeof buf);
	close(fd);
	if (n <= 0)
		return NULL;
	/* the raw notes of vmlinux's .notes section: walked by libelf */
	elf_version(EV_CURRENT);
	Elf_Data d = { .d_buf = buf, .d_size = (size_t)n, .d_type = ELF_T_NHDR, .d_version = EV_CURRENT };
	GElf_Nhdr nh;
	size_t off = 0, noff, doff;
	while ((off = gelf_getnote(&d, off, &nh, &noff, &doff)) > 0)
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 && !memcmp(buf + noff, "GNU", 4) && nh.n_descsz)
			return dw_hex(a, buf + doff, nh.n_descsz);
	return NULL;
}

/* Open path as the kernel's debuginfo: NULL with why in err when it is no
 * ELF file or has no DWARF. */
static DwFile *open_debuginfo(Session *s, const char *path, char *err, size_t errlen)
{
	DwFile *f = dw_open_kernel(s, path, err, errlen);
	if (f && !dw_has_debuginfo(f)) {
		snprintf(err, errlen, "it has no DWARF debug information");
		return NULL;
	}
	return f;
}

/* Is f the running kernel's build?  Then its variables are where KASLR
 * slid them: /proc/kallsyms's _text minus the file's (0 when kallsyms
 * hides addresses). */
static bool same_build(Session *s, DwFile *f)
{
	const char *mine = kdw_running_build_id(s->arena), *its = dw_build_id(s->arena, dw_elf(f));
	if (!mine || !its || strcmp(mine, its))
		return false;
	uint64_t linked, running = 0;
	FILE *ks = fopen("/proc/kallsyms", "re");
	char line[512];
	while (ks && fgets(line, sizeof line, ks)) {
		unsigned long long a;
		char name[64];
		if (sscanf(line, "%llx %*c %63s", &a, name) == 2 && !strcmp(name, "_text")) {
			running = a;
			break;
		}
	}
	if (ks)
		fclose(ks);
	if (running && dw_symbol(f, "_text", &linked))
		dw_set_slide(f, (int64_t)(running - linked));
	return true;
}

int kdw_check_option(Session *s)
{
	if (!s->kernel_debuginfo)
		return 0;
	char err[256];
	DwFile *f = open_debuginfo(s, s->kernel_debuginfo, err, sizeof err);
	if (!f) {
		fprintf(stderr, "ERROR: --kernel-debuginfo '%s': %s\n", s->kernel_debuginfo, err);
		return -1;
	}
	s->kdw = arena_alloc(s->arena, sizeof *s->kdw);
	s->kdw->f = f;
	s->kdw->foreign = !same_build(s, f);
	if (s->kdw->foreign)
		diag_at(DIAG_WARNING, NULL, NULL,
		        "--kernel-debuginfo '%s': its build id differs from the running kernel's; "
		        "kernel.function probes are compiled for the kernel it describes", s->kernel_debuginfo);
	return 0;
}

DwFile *kdw_get(Session *s)
{
	if (s->kdw)
		return s->kdw->f;
	s->kdw = arena_alloc(s->arena, sizeof *s->kdw);
	struct utsname u;
	if (uname(&u) < 0)
		return NULL;
	const char *places[] = {
		arena_printf(s->arena, "/usr/lib/debug/boot/vmlinux-%s", u.release),
		arena_printf(s->arena, "/usr/lib/debug/lib/modules/%s/vmlinux", u.release),
		arena_printf(s->arena, "/boot/vmlinux-%s", u.release),
		arena_printf(s->arena, "/lib/modules/%s/build/vmlinux", u.release),
	};
	for (size_t i = 0; i < sizeof places / sizeof places[0]; i++) {
		char err[256];
		DwFile *f;
		if (access(places[i], R_OK) == 0 && (f = open_debuginfo(s, places[i], err, sizeof err)) &&
		    same_build(s, f)) {
			s->kdw->f = f;
			break;
		}
	}
	return s->kdw->f;
}

bool kdw_is_foreign(Session *s)
{
	return kdw_get(s) && s->kdw->foreign;
}
