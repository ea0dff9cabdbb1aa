/* test_symbols.c - runtime/symbols.c on this very program: its functions
 * named from their addresses, through /proc/self/maps and through a
 * stack record of a process that no longer exists (build id and file
 * offset only); the text of each symbol kind and of tokens; kernel
 * symbols when /proc/kallsyms shows addresses (root). */
#include <elf.h>
#include <gelf.h>
#include <libelf.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "runtime/rt.h"
#include "unit.h"

int unit_target_function(int x);
__attribute__((noinline)) int unit_target_function(int x)
{
	return x * 3 + 1;
}

static char *text(int kind, uint32_t pid, uint64_t addr, const char *s)
{
	OutBuf ob = {0};
	sym_text(&ob, kind, pid, addr, s, s ? strlen(s) : 0);
	char *r = strdup(ob.p ? ob.p : "");
	ob_free(&ob);
	return r;
}

static char *expand(const char *s)
{
	OutBuf ob = {0};
	sym_expand(&ob, s, strlen(s));
	char *r = strdup(ob.p ? ob.p : "");
	ob_free(&ob);
	return r;
}

/* The load bias and the PT_LOAD segments of the main program. */
static uintptr_t bias;
static const ElfW(Phdr) *phdr;
static int phnum;

static int first_object(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	(void)data;
	bias = info->dlpi_addr;
	phdr = info->dlpi_phdr;
	phnum = info->dlpi_phnum;
	return 1; /* the main program comes first */
}

static bool build_id(const char *path, uint8_t *bid)
{
	elf_version(EV_CURRENT);
	int fd = open(path, O_RDONLY);
	Elf *e = fd < 0 ? NULL : elf_begin(fd, ELF_C_READ, NULL);
	bool found = false;
	for (Elf_Scn *scn = NULL; e && !found && (scn = elf_nextscn(e, scn));) {
		GElf_Shdr sh;
		Elf_Data *d;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE || !(d = elf_getdata(scn, NULL)))
			continue;
		GElf_Nhdr nh;
		size_t off = 0, noff, doff;
		while (!found && (off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0)
			if (nh.n_type == NT_GNU_BUILD_ID && nh.n_descsz <= 20) {
				memset(bid, 0, 20);
				memcpy(bid, (char *)d->d_buf + doff, nh.n_descsz);
				found = true;
			}
	}
	if (e)
		elf_end(e);
	if (fd >= 0)
		close(fd);
	return found;
}

int main(void)
{
	char exe[PATH_MAX];
	if (!realpath("/proc/self/exe", exe))
		return 1;
	uint64_t fn = (uint64_t)(uintptr_t)&unit_target_function;
	uint32_t me = (uint32_t)getpid();
	CHECK(unit_target_function(1) == 4);

	/* a user-space address of this process, through its maps (the
	 * function is a few bytes long: offsets stay below 4) */
	CHECK_STR(text(BSTAP_SYM_UNAME, me, fn + 2, NULL), "unit_target_function");
	char *d = text(BSTAP_SYM_UDATA, me, fn + 2, NULL);
	CHECK(!strncmp(d, "unit_target_function+0x2/0x", 27));
	char want[PATH_MAX + 8];
	snprintf(want, sizeof want, " [%s]", exe);
	CHECK(strlen(d) > strlen(want) && !strcmp(d + strlen(d) - strlen(want), want));
	CHECK_STR(text(BSTAP_SYM_UNAME, me, 0x10, NULL), "0x10");
	CHECK_STR(text(BSTAP_SYM_UDATA, me, 0, NULL), "0x0");

	/* strings of addresses: sprint_ustack's and sprint_ubacktrace's lines */
	char addrs[64], line[PATH_MAX + 128];
	snprintf(addrs, sizeof addrs, "0x%llx 0x10 ", (unsigned long long)fn);
	snprintf(line, sizeof line, " 0x%llx : unit_target_function+0x0/0x", (unsigned long long)fn);
	char *st = text(BSTAP_SYM_USTACK, me, 0, addrs);
	CHECK(!strncmp(st, line, strlen(line)));
	CHECK(strstr(st, "]\n 0x10 : 0x10\n") != NULL);
	const char *base = strrchr(exe, '/') + 1;
	snprintf(line, sizeof line, "unit_target_function+0x0 [%s]\n0x10\n", base);
	CHECK_STR(text(BSTAP_SYM_UBACKTRACE, me, 0, addrs), line);

	/* tokens, as kernel probes write them (a cut one loses its last address) */
	char tok[128];
	snprintf(tok, sizeof tok, "<\x01n%x:0x%llx \x02>", me, (unsigned long long)fn + 1);
	CHECK_STR(expand(tok), "<unit_target_function>");
	snprintf(tok, sizeof tok, "\x01" "b%x:0x%llx 0x1", me, (unsigned long long)fn);
	snprintf(line, sizeof line, "unit_target_function+0x0 [%s]\n", base);
	CHECK_STR(expand(tok), line);
	CHECK_STR(expand("no token"), "no token");
	CHECK_STR(expand("\x01N0:0x0 \x02!"), "0x0!");

	/* a stack record of a process that is gone: the frame's build id and
	 * file offset find this program, and teach where it was mapped */
	dl_iterate_phdr(first_object, NULL);
	uint64_t vaddr = fn - bias, off = 0;
	for (int i = 0; i < phnum; i++)
		if (phdr[i].p_type == PT_LOAD && vaddr >= phdr[i].p_vaddr && vaddr < phdr[i].p_vaddr + phdr[i].p_filesz)
			off = vaddr - phdr[i].p_vaddr + phdr[i].p_offset;
	CHECK(off != 0);
	struct {
		struct bstap_stack st;
	} rec;
	memset(&rec, 0, sizeof rec);
	uint32_t gone = 0x3ffffff0; /* no such process */
	rec.st.pid = gone;
	rec.st.nbytes = 16;
	rec.st.nbid = 2 * (int32_t)sizeof(struct bstap_build_id_frame);
	rec.st.ips[0] = fn + 1;
	rec.st.ips[1] = 0x1234;
	rec.st.bids[0].status = 1;
	CHECK(build_id(exe, rec.st.bids[0].build_id));
	rec.st.bids[0].offset_or_ip = off + 1;
	rec.st.bids[1].status = 2;
	rec.st.bids[1].offset_or_ip = 0x1234;
	sym_add_file(exe);
	OutBuf ob = {0};
	sym_stack_record(&ob, BSTAP_STACK_USER | BSTAP_STACK_PRINT, &rec, sizeof rec);
	snprintf(line, sizeof line, " 0x%llx : unit_target_function+0x1/0x", (unsigned long long)fn + 1);
	CHECK(ob.p && !strncmp(ob.p, line, strlen(line)));
	CHECK(ob.p && strstr(ob.p, "]\n 0x1234\n") != NULL);
	ob_free(&ob);
	CHECK_STR(text(BSTAP_SYM_UNAME, gone, fn + 3, NULL), "unit_target_function");
	/* the brief form */
	sym_stack_record(&ob, BSTAP_STACK_USER | BSTAP_STACK_PRINT | BSTAP_STACK_BRIEF, &rec, sizeof rec);
	CHECK_STR(ob.p, "unit_target_function+0x1\n0x1234\n");
	ob_free(&ob);
	/* a note (no PRINT) prints nothing */
	sym_stack_record(&ob, BSTAP_STACK_USER, &rec, sizeof rec);
	CHECK(ob.len == 0);
	ob_free(&ob);

	/* kernel symbols, when this user may see their addresses */
	FILE *f = fopen("/proc/kallsyms", "r");
	unsigned long long ka = 0;
	char ln[512];
	while (f && fgets(ln, sizeof ln, f))
		if (strstr(ln, " do_syscall_64\n") && (ln[16] == ' ') && (ka = strtoull(ln, NULL, 16)))
			break;
	if (f)
		fclose(f);
	if (ka) {
		CHECK_STR(text(BSTAP_SYM_NAME, 0, ka + 1, NULL), "do_syscall_64");
		d = text(BSTAP_SYM_DATA, 0, ka + 1, NULL);
		CHECK(!strncmp(d, "do_syscall_64+0x1/0x", 20) && strstr(d, " [kernel]"));
		snprintf(tok, sizeof tok, "0x%llx ", ka);
		CHECK(strstr(text(BSTAP_SYM_BACKTRACE, 0, 0, tok), "do_syscall_64+0x0 [kernel]\n") != NULL);
	}
	CHECK_STR(text(BSTAP_SYM_NAME, 0, 5, NULL), "0x5");
	sym_reset();
	return unit_done();
}
