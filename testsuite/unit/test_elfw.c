/* test_elfw.c - the ELF writer: objects libbpf opens, loads and runs.
 *
 * Hand-assembled programs go through elfw_write into a memfd, then:
 *  1. libbpf opens the object: programs, maps, and the meta section (which
 *     libbpf must ignore, and libelf must read back byte for byte);
 *  2. as root, libbpf loads it and the programs run: a raw_tp program
 *     (test-run) writes the data map at offset 8 and sends a ring-buffer
 *     record; a second program in the same section updates a hash map; a
 *     tracepoint program counts this process's getppid() calls;
 *  3. malformed objects fail with a message.
 */
#include <errno.h>
#include <stdarg.h>
#include <gelf.h>
#include <libelf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bstap/bpf_abi.h"
#include "codegen/ir.h"
#include "testsuite/unit/unit.h"

#define I(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define MOV_IMM(d, i)    I(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define MOV_REG(d, s)    I(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define ADD_IMM(d, i)    I(BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, i)
#define RSH_IMM(d, i)    I(BPF_ALU64 | BPF_RSH | BPF_K, d, 0, 0, i)
#define LD64(d, lo)      I(BPF_LD | BPF_DW | BPF_IMM, d, 0, 0, lo)   /* two slots */
#define LD64_HI(hi)      I(0, 0, 0, 0, hi)
#define LDX_DW(d, s, o)  I(BPF_LDX | BPF_MEM | BPF_DW, d, s, o, 0)
#define STX_DW(d, s, o)  I(BPF_STX | BPF_MEM | BPF_DW, d, s, o, 0)
#define XADD_DW(d, s, o) I(BPF_STX | BPF_ATOMIC | BPF_DW, d, s, o, BPF_ADD)
#define JNE_REG(d, s, o) I(BPF_JMP | BPF_JNE | BPF_X, d, s, o, 0)
#define CALL(h)          I(BPF_JMP | BPF_CALL, 0, 0, 0, h)
#define EXIT()           I(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

enum { M_EVENTS, M_DATA, M_COUNTS, M_SCRATCH };
#define DATA_SEC ".data.bstap_globals"
#define INIT0 0x1122334455667788ULL     /* data[0], read by begin_0 */
#define MAGIC 0x0123456789abcdefULL     /* written by begin_0 to data[1] */

/* begin_0: data[1] = MAGIC (through "data + 8"); ringbuf_output(data[0] + 1). */
static struct bpf_insn begin0[] = {
	LD64(1, 8), LD64_HI(0),                         /* 0: r1 = &data + 8 */
	LD64(2, (int32_t)(uint32_t)MAGIC), LD64_HI((int32_t)(MAGIC >> 32)),
	STX_DW(1, 2, 0),                                /* 4 */
	LD64(1, 0), LD64_HI(0),                         /* 5: r1 = &data + 0 */
	LDX_DW(3, 1, 0),
	ADD_IMM(3, 1),
	STX_DW(10, 3, -8),
	LD64(1, 0), LD64_HI(0),                         /* 10: r1 = events */
	MOV_REG(2, 10), ADD_IMM(2, -8),
	MOV_IMM(3, 8), MOV_IMM(4, 0),
	CALL(BPF_FUNC_ringbuf_output),
	MOV_IMM(0, 0), EXIT(),
};
static ElfReloc begin0_rel[] = { { 0, M_DATA }, { 5, M_DATA }, { 10, M_EVENTS } };

/* begin_1, same section: counts[5] = 77. */
static struct bpf_insn begin1[] = {
	MOV_IMM(1, 5), STX_DW(10, 1, -8),
	MOV_IMM(1, 77), STX_DW(10, 1, -16),
	LD64(1, 0), LD64_HI(0),                         /* 4: r1 = counts */
	MOV_REG(2, 10), ADD_IMM(2, -8),
	MOV_REG(3, 10), ADD_IMM(3, -16),
	MOV_IMM(4, BPF_ANY),
	CALL(BPF_FUNC_map_update_elem),
	MOV_IMM(0, 0), EXIT(),
};
static ElfReloc begin1_rel[] = { { 4, M_COUNTS } };

/* on_getppid: if (tgid == data[3]) data[2] += 1. */
static struct bpf_insn getppid_prog[] = {
	CALL(BPF_FUNC_get_current_pid_tgid),
	RSH_IMM(0, 32),
	LD64(1, 24), LD64_HI(0),                        /* 2: r1 = &data + 24 */
	LDX_DW(2, 1, 0),
	JNE_REG(0, 2, 4),
	LD64(1, 16), LD64_HI(0),                        /* 6: r1 = &data + 16 */
	MOV_IMM(2, 1),
	XADD_DW(1, 2, 0),
	MOV_IMM(0, 0), EXIT(),
};
static ElfReloc getppid_rel[] = { { 2, M_DATA }, { 6, M_DATA } };

static const char meta[] = BSTAP_META_MAGIC "not really a header";
static uint64_t data_init[4];

static ElfProg progs[] = {
	{ "begin_0", "raw_tp/bstap_begin", begin0, N(begin0), begin0_rel, N(begin0_rel), NULL },
	{ "on_getppid", "tracepoint/syscalls/sys_enter_getppid", getppid_prog, N(getppid_prog),
	  getppid_rel, N(getppid_rel), NULL },
	{ "begin_1", "raw_tp/bstap_begin", begin1, N(begin1), begin1_rel, N(begin1_rel), NULL },
};

static ElfMap maps[] = {
	[M_EVENTS] = { "events", ELF_MAP_BTF, BPF_MAP_TYPE_RINGBUF, 0, 0, 16384, 0, NULL },
	[M_DATA] = { DATA_SEC, ELF_MAP_DATA, 0, 0, sizeof data_init, 0, 0, data_init },
	[M_COUNTS] = { "counts", ELF_MAP_BTF, BPF_MAP_TYPE_HASH, 8, 8, 128, BPF_F_NO_PREALLOC, NULL },
	[M_SCRATCH] = { "scratch", ELF_MAP_BTF, BPF_MAP_TYPE_PERCPU_ARRAY, 4, 64, 1, 0, NULL },
};

static ElfObject object = { progs, N(progs), maps, N(maps), meta, sizeof meta };

/* Write `o` to a memfd and return its bytes (malloc'd), or NULL with err. */
static char *write_mem(const ElfObject *o, size_t *size, char *err, size_t errlen)
{
	int fd = memfd_create("bo", MFD_CLOEXEC);
	char *buf = NULL;
	off_t end;

	if (fd < 0) {
		snprintf(err, errlen, "memfd_create: %s", strerror(errno));
		return NULL;
	}
	if (elfw_write(fd, o, err, errlen) == 0) {
		end = lseek(fd, 0, SEEK_END);
		if (end <= 0 || !(buf = malloc((size_t)end)) || pread(fd, buf, (size_t)end, 0) != end) {
			snprintf(err, errlen, "cannot read the object back");
			free(buf);
			buf = NULL;
		}
		*size = (size_t)end;
	}
	close(fd);
	return buf;
}

static struct bpf_object *open_mem(const char *buf, size_t size)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "test_elfw");
	struct bpf_object *obj = bpf_object__open_mem(buf, size, &opts);

	return libbpf_get_error(obj) ? NULL : obj;
}

/* ---------------------------------------------------------- 1. libelf's view */

static Elf_Scn *find_scn(Elf *elf, const char *name, GElf_Shdr *sh)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, sh) && strcmp(elf_strptr(elf, shstrndx, sh->sh_name), name) == 0)
			return scn;
	return NULL;
}

static void test_elf_layout(char *buf, size_t size)
{
	GElf_Shdr sh, symsh;
	GElf_Ehdr eh;
	GElf_Sym sym;
	Elf_Data *d;
	Elf_Scn *scn;
	Elf *elf;
	int nlocal = 0, nfunc = 0, nobj = 0, globals_seen = 0, bad_order = 0;

	CHECK(elf_version(EV_CURRENT) != EV_NONE);
	CHECK((elf = elf_memory(buf, size)) != NULL);
	if (!elf)
		return;
	CHECK(gelf_getehdr(elf, &eh) && eh.e_type == ET_REL && eh.e_machine == EM_BPF &&
	      eh.e_ident[EI_CLASS] == ELFCLASS64 && eh.e_ident[EI_DATA] == ELFDATA2LSB);

	/* The meta blob reads back byte for byte, and is not loaded. */
	scn = find_scn(elf, BSTAP_SEC_META, &sh);
	CHECK(scn && sh.sh_type == SHT_PROGBITS && !(sh.sh_flags & SHF_ALLOC));
	d = scn ? elf_getdata(scn, NULL) : NULL;
	CHECK(d && d->d_size == sizeof meta && memcmp(d->d_buf, meta, sizeof meta) == 0);

	/* Programs sharing a section name share the section, back to back. */
	scn = find_scn(elf, "raw_tp/bstap_begin", &sh);
	CHECK(scn && sh.sh_size == (N(begin0) + N(begin1)) * 8 &&
	      sh.sh_flags == (SHF_ALLOC | SHF_EXECINSTR));
	CHECK(find_scn(elf, ".relraw_tp/bstap_begin", &sh) && sh.sh_type == SHT_REL &&
	      sh.sh_size == (N(begin0_rel) + N(begin1_rel)) * sizeof(Elf64_Rel));
	CHECK(find_scn(elf, "license", &sh) != NULL);
	CHECK(find_scn(elf, ".maps", &sh) && (sh.sh_flags & SHF_WRITE));
	scn = find_scn(elf, DATA_SEC, &sh);
	d = scn ? elf_getdata(scn, NULL) : NULL;
	CHECK(d && d->d_size == sizeof data_init && memcmp(d->d_buf, data_init, sizeof data_init) == 0);

	/* Symbols: locals first, sh_info = first global. */
	scn = find_scn(elf, ".symtab", &symsh);
	d = scn ? elf_getdata(scn, NULL) : NULL;
	CHECK(d != NULL);
	for (size_t i = 0; d && i < symsh.sh_size / symsh.sh_entsize; i++) {
		const char *name;

		gelf_getsym(d, (int)i, &sym);
		name = elf_strptr(elf, symsh.sh_link, sym.st_name);
		if (GELF_ST_BIND(sym.st_info) == STB_LOCAL) {
			nlocal++;
			bad_order |= globals_seen;
			continue;
		}
		globals_seen = 1;
		if (GELF_ST_TYPE(sym.st_info) == STT_FUNC) {
			nfunc++;
			if (strcmp(name, "begin_1") == 0)
				CHECK(sym.st_value == N(begin0) * 8 && sym.st_size == N(begin1) * 8);
		} else if (GELF_ST_TYPE(sym.st_info) == STT_OBJECT) {
			nobj++;
		}
	}
	CHECK(!bad_order && nlocal == (int)symsh.sh_info);
	CHECK(nfunc == N(progs) && nobj == N(maps));
	elf_end(elf);
}

/* ---------------------------------------------------------- 1. libbpf's view */

static void test_open(char *buf, size_t size)
{
	struct bpf_object *obj = open_mem(buf, size);
	struct bpf_program *prog;
	struct bpf_map *m;
	int n = 0;

	CHECK(obj != NULL);
	if (!obj)
		return;
	bpf_object__for_each_program(prog, obj)
		n++;
	CHECK(n == N(progs));
	prog = bpf_object__find_program_by_name(obj, "begin_1");
	CHECK(prog && bpf_program__insn_cnt(prog) == N(begin1));
	CHECK_STR(prog ? bpf_program__section_name(prog) : NULL, "raw_tp/bstap_begin");
	prog = bpf_object__find_program_by_name(obj, "on_getppid");
	CHECK(prog && bpf_program__type(prog) == BPF_PROG_TYPE_TRACEPOINT);

	n = 0;
	bpf_object__for_each_map(m, obj)   /* the meta section is no map */
		n++;
	CHECK(n == N(maps));
	m = bpf_object__find_map_by_name(obj, "events");
	CHECK(m && bpf_map__type(m) == BPF_MAP_TYPE_RINGBUF && bpf_map__max_entries(m) == 16384);
	m = bpf_object__find_map_by_name(obj, "counts");
	CHECK(m && bpf_map__type(m) == BPF_MAP_TYPE_HASH && bpf_map__key_size(m) == 8 &&
	      bpf_map__value_size(m) == 8 && bpf_map__max_entries(m) == 128 &&
	      bpf_map__map_flags(m) == BPF_F_NO_PREALLOC);
	m = bpf_object__find_map_by_name(obj, "scratch");
	CHECK(m && bpf_map__type(m) == BPF_MAP_TYPE_PERCPU_ARRAY && bpf_map__value_size(m) == 64);
	/* The data map is libbpf's: a 1-entry ARRAY, mmapable because its
	 * DATASEC has a global VAR, holding the section as initial value. */
	m = bpf_object__find_map_by_name(obj, DATA_SEC);
	CHECK(m && bpf_map__type(m) == BPF_MAP_TYPE_ARRAY && bpf_map__max_entries(m) == 1 &&
	      bpf_map__value_size(m) == sizeof data_init && bpf_map__is_internal(m) &&
	      (bpf_map__map_flags(m) & BPF_F_MMAPABLE));
	CHECK_STR(m ? bpf_map__name(m) : NULL, DATA_SEC);
	if (m) {
		size_t vsz = 0;
		const void *v = bpf_map__initial_value(m, &vsz);

		CHECK(v && vsz == sizeof data_init && memcmp(v, data_init, vsz) == 0);
	}
	bpf_object__close(obj);
}

/* ---------------------------------------------------------- 2. load and run */

static int ring_cb(void *ctx, void *data, size_t size)
{
	if (size == sizeof(uint64_t))
		memcpy(ctx, data, size);
	return 0;
}

static int have_getppid_tracepoint(void)
{
	static const char *const dirs[] = {
		"/sys/kernel/tracing/events/syscalls/sys_enter_getppid",
		"/sys/kernel/debug/tracing/events/syscalls/sys_enter_getppid",
	};

	for (int i = 0; i < 2; i++)
		if (access(dirs[i], F_OK) == 0)
			return 1;
	if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) == 0 &&
	    access(dirs[0], F_OK) == 0)
		return 1;
	return 0;
}

static void test_load(char *buf, size_t size)
{
	LIBBPF_OPTS(bpf_test_run_opts, run);
	struct bpf_object *obj = open_mem(buf, size);
	struct bpf_program *b0, *b1, *tp;
	struct bpf_map *data, *events, *counts;
	struct ring_buffer *rb;
	struct bpf_link *link;
	uint64_t val[4] = { 0 }, rec = 0, key = 5, cnt = 0;
	uint32_t zero = 0;
	void *mm;
	int fd;

	CHECK(obj != NULL);
	if (!obj)
		return;
	b0 = bpf_object__find_program_by_name(obj, "begin_0");
	b1 = bpf_object__find_program_by_name(obj, "begin_1");
	tp = bpf_object__find_program_by_name(obj, "on_getppid");
	data = bpf_object__find_map_by_name(obj, DATA_SEC);
	events = bpf_object__find_map_by_name(obj, "events");
	counts = bpf_object__find_map_by_name(obj, "counts");
	CHECK(b0 && b1 && tp && data && events && counts);
	if (!(b0 && b1 && tp && data && events && counts))
		goto out;
	/* bstap sets the type itself; the section name is for people. */
	bpf_program__set_type(b0, BPF_PROG_TYPE_RAW_TRACEPOINT);
	bpf_program__set_type(b1, BPF_PROG_TYPE_RAW_TRACEPOINT);
	bpf_program__set_type(tp, BPF_PROG_TYPE_TRACEPOINT);
	CHECK(bpf_object__load(obj) == 0);
	if (bpf_program__fd(b0) < 0)
		goto out;
	CHECK(bpf_object__btf_fd(obj) >= 0);   /* the kernel took our BTF */
	CHECK(bpf_map__btf_value_type_id(data) != 0);

	/* begin_0: offset 8 of the data value, and a record of data[0] + 1. */
	CHECK(bpf_prog_test_run_opts(bpf_program__fd(b0), &run) == 0 && run.retval == 0);
	rb = ring_buffer__new(bpf_map__fd(events), ring_cb, &rec, NULL);
	CHECK(rb != NULL);
	if (rb) {
		CHECK(ring_buffer__poll(rb, 100) == 1);
		ring_buffer__free(rb);
	}
	CHECK(rec == INIT0 + 1);
	CHECK(bpf_map_lookup_elem(bpf_map__fd(data), &zero, val) == 0);
	CHECK(val[0] == INIT0 && val[1] == MAGIC && val[2] == 0 && val[3] == (uint64_t)getpid());
	/* The runtime may read globals through mmap instead of syscalls. */
	mm = mmap(NULL, (size_t)sysconf(_SC_PAGE_SIZE), PROT_READ, MAP_SHARED, bpf_map__fd(data), 0);
	CHECK(mm != MAP_FAILED);
	if (mm != MAP_FAILED) {
		CHECK(((uint64_t *)mm)[1] == MAGIC);
		munmap(mm, (size_t)sysconf(_SC_PAGE_SIZE));
	}

	/* begin_1: a map relocation in the second program of a section. */
	CHECK(bpf_prog_test_run_opts(bpf_program__fd(b1), &run) == 0 && run.retval == 0);
	CHECK(bpf_map_lookup_elem(bpf_map__fd(counts), &key, &cnt) == 0 && cnt == 77);

	/* on_getppid: a tracepoint, relocations against data + 24 and + 16. */
	if (!have_getppid_tracepoint()) {
		printf("test_elfw: no syscalls:sys_enter_getppid tracepoint, skipping attach\n");
		goto out;
	}
	link = bpf_program__attach(tp);
	CHECK(link != NULL && !libbpf_get_error(link));
	if (link && !libbpf_get_error(link)) {
		for (int i = 0; i < 3; i++)
			(void)getppid();
		bpf_link__destroy(link);
	}
	fd = bpf_map__fd(data);
	CHECK(bpf_map_lookup_elem(fd, &zero, val) == 0 && val[2] == 3);
out:
	bpf_object__close(obj);
}

/* ---------------------------------------------------------- 3. errors */

/* elfw_write(obj) must fail with a message containing `want`. */
static void expect_error(const ElfObject *o, const char *want)
{
	char err[256] = "";
	size_t size = 0;
	char *buf = write_mem(o, &size, err, sizeof err);

	CHECK(buf == NULL);
	free(buf);
	if (!strstr(err, want)) {
		unit_failed++;
		fprintf(stderr, "FAIL: error \"%s\" does not mention \"%s\"\n", err, want);
	} else {
		unit_passed++;
	}
}

static void test_errors(void)
{
	struct bpf_insn insns[N(begin0)];
	ElfReloc rel[4];
	ElfProg p = progs[0];
	ElfMap m[N(maps)];
	ElfObject o = object;
	char err[64];

	memcpy(insns, begin0, sizeof insns);
	memcpy(rel, begin0_rel, sizeof begin0_rel);
	memcpy(m, maps, sizeof m);
	p.insns = insns;
	p.relocs = rel;
	o.progs = &p;
	o.nprogs = 1;
	o.maps = m;

	rel[2].insn = 4;                       /* a store, not an ld_imm64 */
	expect_error(&o, "is not an ld_imm64 (code 0x7b)");
	rel[2].insn = 1;                       /* the second half of one */
	expect_error(&o, "is not an ld_imm64");
	rel[2].insn = N(begin0) - 1;           /* no room for two slots */
	expect_error(&o, "outside the program");
	rel[2] = (ElfReloc){ 10, N(maps) };    /* no such map */
	expect_error(&o, "names map #4 of 4");
	rel[2] = (ElfReloc){ 10, -1 };
	expect_error(&o, "names map #-1");
	rel[2] = (ElfReloc){ 0, M_DATA };      /* two at one insn */
	expect_error(&o, "two relocations at insn 0");
	rel[2] = begin0_rel[2];

	insns[0].imm = 32;                     /* past the 32-byte value */
	expect_error(&o, "offset 32 into map '" DATA_SEC "'");
	insns[0].imm = 8;
	insns[1].imm = 1;                      /* would be dropped by libbpf */
	expect_error(&o, "upper half 1");
	insns[1].imm = 0;
	insns[10].imm = 3;                     /* map fd slot must be 0 */
	expect_error(&o, "has imm 3");
	insns[10].imm = 0;

	m[M_COUNTS].name = "bad-name";
	expect_error(&o, "'bad-name': name is not an identifier");
	m[M_COUNTS].name = "begin_0";          /* clashes with the program */
	expect_error(&o, "two symbols named 'begin_0'");
	m[M_COUNTS].name = maps[M_COUNTS].name;
	m[M_DATA].name = ".bss";
	expect_error(&o, "name must be .data");
	m[M_DATA].name = DATA_SEC;

	p.section = ".maps";
	expect_error(&o, "section name '.maps' is reserved");
	p.section = progs[0].section;
	p.name = "";
	expect_error(&o, "is not an identifier");
	p.name = progs[0].name;
	p.ninsns = 0;
	expect_error(&o, "has 0 instructions");
	p.ninsns = N(begin0);

	/* Still good after all that; a bad fd is refused, and a write that
	 * fails late (everything built) reports libelf's reason. */
	CHECK(elfw_write(-1, &o, err, sizeof err) == -1 && strstr(err, "file descriptor"));
	{
		int pfd[2];

		CHECK(pipe(pfd) == 0);
		CHECK(elfw_write(pfd[0], &o, err, sizeof err) == -1 && strstr(err, "libelf"));
		close(pfd[0]);
		close(pfd[1]);
	}
	{
		size_t size;
		char *buf = write_mem(&o, &size, err, sizeof err);

		CHECK(buf != NULL);
		free(buf);
	}
}

/* A program and nothing else: no .maps, no .BTF, no meta. */
static void test_minimal(void)
{
	static struct bpf_insn ret0[] = { MOV_IMM(0, 0), EXIT() };
	ElfProg p = { "only", "raw_tp/x", ret0, 2, NULL, 0, NULL };
	ElfObject o = { &p, 1, NULL, 0, NULL, 0 };
	char err[256] = "";
	size_t size = 0;
	char *buf = write_mem(&o, &size, err, sizeof err);
	struct bpf_object *obj = buf ? open_mem(buf, size) : NULL;

	CHECK(buf != NULL);
	CHECK(obj && bpf_object__find_program_by_name(obj, "only"));
	if (obj && geteuid() == 0 && bpf_object__find_program_by_name(obj, "only")) {
		bpf_program__set_type(bpf_object__find_program_by_name(obj, "only"),
				      BPF_PROG_TYPE_RAW_TRACEPOINT);
		CHECK(bpf_object__load(obj) == 0);
	}
	bpf_object__close(obj);
	free(buf);
}

/* libbpf's own words: warnings always, everything with TEST_VERBOSE set;
 * info is quiet ("skipping unrecognized data section .bstap.meta" is the
 * expected outcome). */
static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN || getenv("TEST_VERBOSE"))
		return vfprintf(stderr, fmt, ap);
	return 0;
}

int main(void)
{
	char err[256] = "";
	size_t size = 0;
	char *buf;

	libbpf_set_print(print_libbpf);
	data_init[0] = INIT0;
	data_init[3] = (uint64_t)getpid();
	buf = write_mem(&object, &size, err, sizeof err);
	CHECK(buf != NULL);
	if (!buf) {
		fprintf(stderr, "elfw_write: %s\n", err);
		return unit_done();
	}
	test_elf_layout(buf, size);
	test_open(buf, size);
	if (geteuid() == 0)
		test_load(buf, size);
	else
		printf("test_elfw: not root, skipping load and run\n");
	test_errors();
	test_minimal();
	free(buf);
	return unit_done();
}
