/* elf_write.c - write an ElfObject as the ELF relocatable object (.bo) that
 * libbpf opens as it is (ELF64, ET_REL, EM_BPF, host byte order).
 *
 * Sections, in index order:
 *   <prog sections>  one PROGBITS AX section per distinct ElfProg.section.
 *                    Programs naming the same section share it, back to
 *                    back, each with a GLOBAL FUNC symbol at its offset (as
 *                    clang does for two SEC("x") functions).  libbpf finds
 *                    programs by symbol, so sharing is fine; keeping names
 *                    unique matters because .BTF.ext refers to sections by
 *                    name, and libbpf resolves a name to its first section.
 *   .rel<sec>        R_BPF_64_64 for each ld_imm64 that names a map
 *   license          "GPL": the tracing helpers are GPL-only
 *   .maps            zeroed BTF map definitions, a GLOBAL OBJECT symbol each
 *   .data[.x]        one section per ELF_MAP_DATA map: its initial value
 *   .BTF             map definitions, plus a DATASEC per data section
 *   .bstap.meta      the runtime's blob; not SHF_ALLOC, libbpf skips it
 *   .symtab .strtab .shstrtab
 *
 * How libbpf (1.1) reads it back (libbpf.c bpf_program__record_reloc,
 * bpf_object__relocate_data, btf_fixup_datasec):
 *  - BTF map: the DATASEC ".maps" has a VAR per map whose type is a struct
 *    of `int (*field)[value]` members.  A relocation against a symbol in
 *    .maps picks the map whose offset there equals st_value, and the
 *    ld_imm64 becomes BPF_PSEUDO_MAP_FD (insn imm is ignored).
 *  - data map: a section named .data, .data.*, .rodata or .rodata.* becomes
 *    an internal ARRAY map of one element whose value is the section.  A
 *    relocation against a symbol in it becomes BPF_PSEUDO_MAP_VALUE with
 *    offset insn[0].imm + st_value; our symbol sits at 0, so the offset the
 *    emitter put in insn[0].imm is kept.  insn[1].imm is overwritten.
 *    Only name, value_size and init of a data map matter: libbpf picks
 *    the type (ARRAY), max_entries (1) and flags itself.
 *  - Every global VAR in any DATASEC needs a GLOBAL OBJECT symbol of the
 *    same name or the open fails.  A DATASEC with a global VAR is what makes
 *    libbpf create a data map BPF_F_MMAPABLE and give it BTF.
 *
 * Later: .BTF.ext line info from ElfProg.srcpos, and .text subprograms
 * (their calls relocate against the local STT_SECTION symbol of .text, which
 * is why every program section already gets one).
 */
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include "bstap/bpf_abi.h"
#include "codegen/ir.h"

#ifndef EM_BPF
#define EM_BPF 247
#endif
#ifndef R_BPF_64_64
#define R_BPF_64_64 1
#endif

#define INSN_SZ ((size_t)sizeof(struct bpf_insn))
#define LD_IMM64 (BPF_LD | BPF_DW | BPF_IMM)
#define MAX_INSNS (1 << 20)    /* the kernel's BPF_COMPLEXITY_LIMIT_INSNS */
#define MAX_FIELDS 5           /* type, max_entries, key_size, value_size, map_flags */

/* A growable byte buffer: string tables, symbols, relocations. */
typedef struct {
	char *p;
	size_t len, cap;
} Buf;

/* One output program section and the programs packed into it. */
typedef struct {
	const char *name;
	struct bpf_insn *insns;    /* owned: its programs back to back */
	size_t ninsns;
	int nrel;                  /* relocations of its programs */
	Buf rel;                   /* Elf64_Rel[] */
	int shndx, relndx, symndx; /* relndx 0: no relocations */
} ProgSec;

/* Everything one elfw_write call builds; freed by w_free on every path. */
typedef struct {
	const ElfObject *obj;
	char *err;
	size_t errlen;
	ProgSec *secs;
	int nsecs;
	int *prog_sec;             /* per prog: its index in secs */
	size_t *prog_off;          /* per prog: its first insn in the section */
	int *map_sym;              /* per map: symbol index */
	int *map_ndx;              /* per map: section index (.maps or its own) */
	uint32_t *map_off;         /* per map: offset of its definition in .maps */
	uint32_t maps_size;
	void *zeros;               /* contents of .maps and of data maps without init */
	struct btf *btf;
	Buf syms, strtab, shstrtab;
	int nlocals;
	int license_ndx, maps_ndx, btf_ndx, meta_ndx;
	int symtab_ndx, strtab_ndx, shstrtab_ndx;
	Elf *elf;
} W;

static int fail(W *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(W *w, const char *fmt, ...)
{
	va_list ap;

	if (w->err && w->errlen) {
		va_start(ap, fmt);
		vsnprintf(w->err, w->errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Append n bytes; returns their offset, or -1 when out of memory. */
static long buf_add(Buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *q;

		while (cap < b->len + n)
			cap *= 2;
		if (!(q = realloc(b->p, cap)))
			return -1;
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return (long)(b->len - n);
}

static long buf_str(Buf *b, const char *s)
{
	return buf_add(b, s, strlen(s) + 1);
}

/* ------------------------------------------------------------ checks */

static bool is_ident(const char *s)
{
	if (!s || !(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
		return false;
	for (s++; *s; s++)
		if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9')))
			return false;
	return true;
}

static bool is_rodata(const char *sec)
{
	return strncmp(sec, ".rodata", 7) == 0;
}

/* The symbol (and BTF VAR) naming a data section's value: ".data" ->
 * "data", ".data.x" -> "x"; NULL when libbpf would not treat the name as
 * global data or the result is no C identifier (the kernel requires VAR
 * names to be identifiers). */
static const char *data_var_name(const char *sec)
{
	static const char *const pfx[] = { ".data", ".rodata" };

	for (size_t i = 0; i < sizeof pfx / sizeof pfx[0]; i++) {
		size_t n = strlen(pfx[i]);

		if (strncmp(sec, pfx[i], n) != 0)
			continue;
		if (sec[n] == '\0')
			return sec + 1;
		if (sec[n] == '.' && is_ident(sec + n + 1))
			return sec + n + 1;
		return NULL;
	}
	return NULL;
}

/* Section names libbpf gives a meaning of its own, or we use ourselves. */
static bool is_reserved_section(const char *s)
{
	static const char *const names[] = {
		"license", "version", "maps", ".maps", ".BTF", ".BTF.ext",
		".symtab", ".strtab", ".shstrtab", BSTAP_SEC_META,
	};
	static const char *const pfx[] = {
		".rel", ".data", ".rodata", ".bss", ".debug_", ".kconfig",
		".ksyms", ".struct_ops",
	};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(s, names[i]) == 0)
			return true;
	for (size_t i = 0; i < sizeof pfx / sizeof pfx[0]; i++)
		if (strncmp(s, pfx[i], strlen(pfx[i])) == 0)
			return true;
	return false;
}

static const char *sym_name(const ElfObject *o, int i)
{
	if (i < o->nprogs)
		return o->progs[i].name;
	i -= o->nprogs;
	return o->maps[i].kind == ELF_MAP_DATA ? data_var_name(o->maps[i].name) : o->maps[i].name;
}

static int check_map(W *w, int i)
{
	const ElfMap *m = &w->obj->maps[i];

	if (!m->name || !*m->name)
		return fail(w, "map #%d has no name", i);
	if (m->kind == ELF_MAP_DATA) {
		if (!data_var_name(m->name))
			return fail(w, "data map '%s': name must be .data, .rodata, "
				    ".data.<identifier> or .rodata.<identifier>", m->name);
		if (m->value_size == 0)
			return fail(w, "data map '%s' has size 0", m->name);
		return 0;
	}
	if (m->kind != ELF_MAP_BTF)
		return fail(w, "map '%s' has unknown kind %d", m->name, (int)m->kind);
	if (!is_ident(m->name))
		return fail(w, "map '%s': name is not an identifier", m->name);
	if (m->type == BPF_MAP_TYPE_UNSPEC)
		return fail(w, "map '%s' has no type", m->name);
	return 0;
}

static int check_reloc(W *w, const ElfProg *p, const ElfReloc *r, char *seen)
{
	const struct bpf_insn *in;
	const ElfMap *m;

	if (r->map < 0 || r->map >= w->obj->nmaps)
		return fail(w, "prog '%s': relocation at insn %d names map #%d of %d",
			    p->name, r->insn, r->map, w->obj->nmaps);
	m = &w->obj->maps[r->map];
	if (r->insn < 0 || r->insn + 1 >= p->ninsns)
		return fail(w, "prog '%s': relocation for map '%s' at insn %d is outside "
			    "the program (%d insns)", p->name, m->name, r->insn, p->ninsns);
	in = &p->insns[r->insn];
	if (in[0].code != LD_IMM64 || in[1].code || in[1].dst_reg || in[1].src_reg || in[1].off)
		return fail(w, "prog '%s': relocation for map '%s' at insn %d is not an "
			    "ld_imm64 (code 0x%02x)", p->name, m->name, r->insn, in[0].code);
	if (seen[r->insn]++)
		return fail(w, "prog '%s': two relocations at insn %d", p->name, r->insn);
	/* libbpf overwrites insn[1].imm (and insn[0].imm for a map fd), so a
	 * value there would be lost without a word. */
	if (in[1].imm)
		return fail(w, "prog '%s': ld_imm64 of map '%s' at insn %d has upper "
			    "half %d, want 0", p->name, m->name, r->insn, in[1].imm);
	if (m->kind == ELF_MAP_BTF && in[0].imm)
		return fail(w, "prog '%s': ld_imm64 of map '%s' at insn %d has imm %d, want 0",
			    p->name, m->name, r->insn, in[0].imm);
	if (m->kind == ELF_MAP_DATA && (in[0].imm < 0 || (uint32_t)in[0].imm >= m->value_size))
		return fail(w, "prog '%s': offset %d into map '%s' at insn %d is outside "
			    "its %u bytes", p->name, in[0].imm, m->name, r->insn, m->value_size);
	return 0;
}

static int check_prog(W *w, int i)
{
	const ElfProg *p = &w->obj->progs[i];
	char *seen;
	int rc = 0;

	if (!is_ident(p->name))
		return fail(w, "prog #%d: name '%s' is not an identifier", i,
			    p->name ? p->name : "(null)");
	if (!p->section || !*p->section)
		return fail(w, "prog '%s' has no section name", p->name);
	if (is_reserved_section(p->section))
		return fail(w, "prog '%s': section name '%s' is reserved", p->name, p->section);
	if (!p->insns || p->ninsns <= 0 || p->ninsns > MAX_INSNS)
		return fail(w, "prog '%s' has %d instructions", p->name, p->ninsns);
	if (p->nrelocs < 0 || (p->nrelocs && !p->relocs))
		return fail(w, "prog '%s' has %d relocations", p->name, p->nrelocs);
	if (!(seen = calloc((size_t)p->ninsns, 1)))
		return fail(w, "out of memory");
	for (int k = 0; k < p->nrelocs && !rc; k++)
		rc = check_reloc(w, p, &p->relocs[k], seen);
	free(seen);
	return rc;
}

/* Check everything before building anything (as btf.c does). */
static int check_object(W *w)
{
	const ElfObject *o = w->obj;
	int nsyms;

	if (o->nprogs < 0 || o->nmaps < 0 || (o->nprogs && !o->progs) || (o->nmaps && !o->maps))
		return fail(w, "invalid object: %d programs, %d maps", o->nprogs, o->nmaps);
	if (!o->meta && o->metalen)
		return fail(w, "metadata of %zu bytes without contents", o->metalen);
	for (int i = 0; i < o->nmaps; i++)
		if (check_map(w, i))
			return -1;
	for (int i = 0; i < o->nprogs; i++)
		if (check_prog(w, i))
			return -1;
	/* Programs, BTF maps and data values are all global symbols, and
	 * libbpf matches DATASEC VARs to symbols by name. */
	nsyms = o->nprogs + o->nmaps;
	for (int i = 0; i < nsyms; i++)
		for (int j = i + 1; j < nsyms; j++)
			if (strcmp(sym_name(o, i), sym_name(o, j)) == 0)
				return fail(w, "two symbols named '%s' (programs, maps and "
					    "data sections share one namespace)", sym_name(o, i));
	return 0;
}

/* ------------------------------------------------------------ layout */

/* The fields of a BTF map definition, as __uint(name, value) writes them. */
static int map_fields(const ElfMap *m, const char **names, uint32_t *vals)
{
	int n = 0;
	bool ring = m->type == BPF_MAP_TYPE_RINGBUF;

	names[n] = "type", vals[n++] = m->type;
	names[n] = "max_entries", vals[n++] = m->max_entries;
	if (!ring && m->key_size)
		names[n] = "key_size", vals[n++] = m->key_size;
	if (!ring && m->value_size)
		names[n] = "value_size", vals[n++] = m->value_size;
	if (m->flags)
		names[n] = "map_flags", vals[n++] = m->flags;
	return n;
}

static uint32_t map_def_size(const ElfMap *m)
{
	const char *names[MAX_FIELDS];
	uint32_t vals[MAX_FIELDS];

	return (uint32_t)map_fields(m, names, vals) * 8;   /* one pointer each */
}

/* Group programs by section name and number every section. */
static int plan(W *w)
{
	const ElfObject *o = w->obj;
	int ndx = 1, nmaps = o->nmaps;
	bool have_btf_maps = false;
	size_t zeros;

	w->secs = calloc((size_t)o->nprogs + 1, sizeof *w->secs);
	w->prog_sec = calloc((size_t)o->nprogs + 1, sizeof *w->prog_sec);
	w->prog_off = calloc((size_t)o->nprogs + 1, sizeof *w->prog_off);
	w->map_sym = calloc((size_t)nmaps + 1, sizeof *w->map_sym);
	w->map_ndx = calloc((size_t)nmaps + 1, sizeof *w->map_ndx);
	w->map_off = calloc((size_t)nmaps + 1, sizeof *w->map_off);
	if (!w->secs || !w->prog_sec || !w->prog_off || !w->map_sym || !w->map_ndx || !w->map_off)
		return fail(w, "out of memory");

	for (int i = 0; i < o->nprogs; i++) {
		const ElfProg *p = &o->progs[i];
		int s = 0;

		while (s < w->nsecs && strcmp(w->secs[s].name, p->section) != 0)
			s++;
		if (s == w->nsecs)
			w->secs[w->nsecs++].name = p->section;
		w->prog_sec[i] = s;
		w->prog_off[i] = w->secs[s].ninsns;
		w->secs[s].ninsns += (size_t)p->ninsns;
		w->secs[s].nrel += p->nrelocs;
	}
	for (int s = 0; s < w->nsecs; s++) {
		if (w->secs[s].ninsns > MAX_INSNS)
			return fail(w, "section '%s' has %zu instructions", w->secs[s].name,
				    w->secs[s].ninsns);
		if (!(w->secs[s].insns = malloc(w->secs[s].ninsns * INSN_SZ)))
			return fail(w, "out of memory");
	}
	for (int i = 0; i < o->nprogs; i++)
		memcpy(w->secs[w->prog_sec[i]].insns + w->prog_off[i], o->progs[i].insns,
		       (size_t)o->progs[i].ninsns * INSN_SZ);

	/* Section indices, in the order write_elf creates them. */
	for (int s = 0; s < w->nsecs; s++)
		w->secs[s].shndx = ndx++;
	for (int s = 0; s < w->nsecs; s++)
		if (w->secs[s].nrel)
			w->secs[s].relndx = ndx++;
	w->license_ndx = ndx++;
	for (int i = 0; i < nmaps; i++)
		if (o->maps[i].kind == ELF_MAP_BTF) {
			w->map_off[i] = w->maps_size;
			w->maps_size += map_def_size(&o->maps[i]);
			have_btf_maps = true;
		}
	zeros = w->maps_size + 1;
	if (have_btf_maps)
		w->maps_ndx = ndx++;
	for (int i = 0; i < nmaps; i++) {
		w->map_ndx[i] = o->maps[i].kind == ELF_MAP_BTF ? w->maps_ndx : ndx++;
		if (o->maps[i].kind == ELF_MAP_DATA && o->maps[i].value_size > zeros)
			zeros = o->maps[i].value_size;
	}
	if (!(w->zeros = calloc(zeros, 1)))
		return fail(w, "out of memory");
	w->btf_ndx = nmaps ? ndx++ : 0;
	w->meta_ndx = o->meta ? ndx++ : 0;
	w->symtab_ndx = ndx++;
	w->strtab_ndx = ndx++;
	w->shstrtab_ndx = ndx++;
	if (ndx >= SHN_LORESERVE)
		return fail(w, "too many sections (%d)", ndx);
	return 0;
}

static int add_sym(W *w, const char *name, int bind, int type, int shndx,
		   uint64_t value, uint64_t size)
{
	Elf64_Sym s = {
		.st_info = (unsigned char)ELF64_ST_INFO(bind, type),
		.st_other = STV_DEFAULT,
		.st_shndx = (Elf64_Section)shndx,
		.st_value = value,
		.st_size = size,
	};
	long off = name ? buf_str(&w->strtab, name) : 0;

	if (off < 0)
		return fail(w, "out of memory");
	s.st_name = (Elf64_Word)off;
	if (buf_add(&w->syms, &s, sizeof s) < 0)
		return fail(w, "out of memory");
	return (int)(w->syms.len / sizeof s) - 1;
}

/* Local section symbols first (ELF wants locals before globals; .symtab's
 * sh_info is the index of the first global), then programs and maps. */
static int build_symbols(W *w)
{
	const ElfObject *o = w->obj;
	int k;

	if (buf_str(&w->strtab, "") < 0 || buf_str(&w->shstrtab, "") < 0)
		return fail(w, "out of memory");
	if (add_sym(w, NULL, STB_LOCAL, STT_NOTYPE, SHN_UNDEF, 0, 0) < 0)
		return -1;
	for (int s = 0; s < w->nsecs; s++)
		if ((w->secs[s].symndx = add_sym(w, NULL, STB_LOCAL, STT_SECTION,
						 w->secs[s].shndx, 0, 0)) < 0)
			return -1;
	for (int i = 0; i < o->nmaps; i++)
		if (o->maps[i].kind == ELF_MAP_DATA &&
		    add_sym(w, NULL, STB_LOCAL, STT_SECTION, w->map_ndx[i], 0, 0) < 0)
			return -1;
	w->nlocals = (int)(w->syms.len / sizeof(Elf64_Sym));

	for (int i = 0; i < o->nprogs; i++)
		if (add_sym(w, o->progs[i].name, STB_GLOBAL, STT_FUNC,
			    w->secs[w->prog_sec[i]].shndx, w->prog_off[i] * INSN_SZ,
			    (uint64_t)o->progs[i].ninsns * INSN_SZ) < 0)
			return -1;
	for (int i = 0; i < o->nmaps; i++) {
		const ElfMap *m = &o->maps[i];

		if (m->kind == ELF_MAP_BTF)
			k = add_sym(w, m->name, STB_GLOBAL, STT_OBJECT, w->maps_ndx,
				    w->map_off[i], map_def_size(m));
		else
			k = add_sym(w, data_var_name(m->name), STB_GLOBAL, STT_OBJECT,
				    w->map_ndx[i], 0, m->value_size);
		if ((w->map_sym[i] = k) < 0)
			return -1;
	}
	return 0;
}

/* Relocation offsets are from the start of the section, not the program. */
static int build_relocs(W *w)
{
	const ElfObject *o = w->obj;

	for (int i = 0; i < o->nprogs; i++) {
		const ElfProg *p = &o->progs[i];
		ProgSec *sec = &w->secs[w->prog_sec[i]];

		for (int k = 0; k < p->nrelocs; k++) {
			Elf64_Rel r = {
				.r_offset = (w->prog_off[i] + (size_t)p->relocs[k].insn) * INSN_SZ,
				.r_info = ELF64_R_INFO((Elf64_Xword)w->map_sym[p->relocs[k].map],
						       R_BPF_64_64),
			};

			if (buf_add(&sec->rel, &r, sizeof r) < 0)
				return fail(w, "out of memory");
		}
	}
	return 0;
}

/* ------------------------------------------------------------ BTF */

/* Keep the first error of a run of btf__add_* calls (each returns a type
 * id or -errno; after a failure the later calls fail harmlessly). */
static int btf_ok(int *err, int id)
{
	if (id < 0 && !*err)
		*err = id;
	return id;
}

/* A map definition: struct { int (*type)[T]; int (*max_entries)[N]; ... },
 * the layout libbpf's __uint() produces.  Returns the VAR's id. */
static int btf_map_var(struct btf *b, const ElfMap *m, int int_id, int *err)
{
	const char *names[MAX_FIELDS];
	uint32_t vals[MAX_FIELDS];
	int ptr[MAX_FIELDS], n = map_fields(m, names, vals), st;

	for (int k = 0; k < n; k++)
		ptr[k] = btf_ok(err, btf__add_ptr(b, btf_ok(err, btf__add_array(b, int_id, int_id,
										   vals[k]))));
	st = btf_ok(err, btf__add_struct(b, NULL, (uint32_t)n * 8));
	for (int k = 0; k < n; k++)   /* fields must follow their struct at once */
		btf_ok(err, btf__add_field(b, names[k], ptr[k], (uint32_t)k * 64, 0));
	return btf_ok(err, btf__add_var(b, m->name, BTF_VAR_GLOBAL_ALLOCATED, st));
}

static int build_btf(W *w)
{
	const ElfObject *o = w->obj;
	int err = 0, int_id, uchar_id, *vars;
	struct btf *b;

	if (!o->nmaps)
		return 0;
	if (!(w->btf = b = btf__new_empty()))
		return fail(w, "BTF: %s", strerror(errno));
	if (!(vars = calloc((size_t)o->nmaps, sizeof *vars)))
		return fail(w, "out of memory");
	int_id = btf_ok(&err, btf__add_int(b, "int", 4, BTF_INT_SIGNED));
	uchar_id = btf_ok(&err, btf__add_int(b, "unsigned char", 1, 0));

	for (int i = 0; i < o->nmaps; i++)
		if (o->maps[i].kind == ELF_MAP_BTF)
			vars[i] = btf_map_var(b, &o->maps[i], int_id, &err);
	if (w->maps_ndx) {
		btf_ok(&err, btf__add_datasec(b, ".maps", w->maps_size));
		for (int i = 0; i < o->nmaps; i++)   /* secinfos must follow the DATASEC */
			if (o->maps[i].kind == ELF_MAP_BTF)
				btf_ok(&err, btf__add_datasec_var_info(b, vars[i], w->map_off[i],
								       map_def_size(&o->maps[i])));
	}
	/* A data section's value is one VAR of type unsigned char[size]. */
	for (int i = 0; i < o->nmaps; i++) {
		const ElfMap *m = &o->maps[i];
		int arr, var;

		if (m->kind != ELF_MAP_DATA)
			continue;
		arr = btf_ok(&err, btf__add_array(b, int_id, uchar_id, m->value_size));
		var = btf_ok(&err, btf__add_var(b, data_var_name(m->name),
						 BTF_VAR_GLOBAL_ALLOCATED, arr));
		btf_ok(&err, btf__add_datasec(b, m->name, m->value_size));
		btf_ok(&err, btf__add_datasec_var_info(b, var, 0, m->value_size));
	}
	free(vars);
	if (err)
		return fail(w, "BTF: cannot describe the maps: %s", strerror(-err));
	return 0;
}

/* ------------------------------------------------------------ ELF */

/* Create section number `ndx` (sections come in plan order) with one data
 * buffer; libelf only reads `buf` when writing, so it may be const data. */
static Elf_Data *new_scn(W *w, int ndx, const char *name, const Elf64_Shdr *tmpl,
			 const void *buf, size_t size, Elf_Type type)
{
	long off = buf_str(&w->shstrtab, name);
	Elf64_Shdr *sh;
	Elf_Data *d;
	Elf_Scn *scn;

	if (off < 0)
		return fail(w, "out of memory"), NULL;
	if (!(scn = elf_newscn(w->elf)) || !(sh = elf64_getshdr(scn)) || !(d = elf_newdata(scn)))
		return fail(w, "libelf: cannot add section '%s': %s", name, elf_errmsg(-1)), NULL;
	if ((int)elf_ndxscn(scn) != ndx)
		return fail(w, "internal error: section '%s' is #%zu, planned #%d", name,
			    elf_ndxscn(scn), ndx), NULL;
	*sh = *tmpl;
	sh->sh_name = (Elf64_Word)off;
	d->d_buf = (void *)buf;
	d->d_size = size;
	d->d_type = type;
	d->d_align = tmpl->sh_addralign;
	d->d_version = EV_CURRENT;
	return d;
}

#define SHDR(...) (&(const Elf64_Shdr){ __VA_ARGS__ })

static int write_elf(W *w, int fd)
{
	static const char license[] = "GPL";
	const ElfObject *o = w->obj;
	Elf64_Ehdr *eh;
	Elf_Data *d;
	char *name;
	const void *raw;
	uint32_t rawlen;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return fail(w, "libelf: initialization failed: %s", elf_errmsg(-1));
	if (!(w->elf = elf_begin(fd, ELF_C_WRITE, NULL)))
		return fail(w, "libelf: elf_begin: %s", elf_errmsg(-1));
	if (!(eh = elf64_newehdr(w->elf)))
		return fail(w, "libelf: elf64_newehdr: %s", elf_errmsg(-1));
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	/* libbpf insists the object matches the host, and so does the kernel. */
	eh->e_ident[EI_DATA] = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB : ELFDATA2MSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_REL;
	eh->e_machine = EM_BPF;
	eh->e_version = EV_CURRENT;
	eh->e_shstrndx = (Elf64_Half)w->shstrtab_ndx;

	for (int s = 0; s < w->nsecs; s++)
		if (!new_scn(w, w->secs[s].shndx, w->secs[s].name,
			     SHDR(.sh_type = SHT_PROGBITS, .sh_flags = SHF_ALLOC | SHF_EXECINSTR,
				  .sh_addralign = 8),
			     w->secs[s].insns, w->secs[s].ninsns * INSN_SZ, ELF_T_BYTE))
			return -1;
	for (int s = 0; s < w->nsecs; s++) {
		if (!w->secs[s].relndx)
			continue;
		if (!(name = malloc(strlen(w->secs[s].name) + 5)))
			return fail(w, "out of memory");
		sprintf(name, ".rel%s", w->secs[s].name);
		d = new_scn(w, w->secs[s].relndx, name,
			    SHDR(.sh_type = SHT_REL, .sh_flags = SHF_INFO_LINK, .sh_addralign = 8,
				 .sh_entsize = sizeof(Elf64_Rel), .sh_link = (Elf64_Word)w->symtab_ndx,
				 .sh_info = (Elf64_Word)w->secs[s].shndx),
			    w->secs[s].rel.p, w->secs[s].rel.len, ELF_T_REL);
		free(name);
		if (!d)
			return -1;
	}
	if (!new_scn(w, w->license_ndx, "license",
		     SHDR(.sh_type = SHT_PROGBITS, .sh_flags = SHF_ALLOC | SHF_WRITE, .sh_addralign = 1),
		     license, sizeof license, ELF_T_BYTE))
		return -1;
	if (w->maps_ndx &&
	    !new_scn(w, w->maps_ndx, ".maps",
		     SHDR(.sh_type = SHT_PROGBITS, .sh_flags = SHF_ALLOC | SHF_WRITE, .sh_addralign = 8),
		     w->zeros, w->maps_size, ELF_T_BYTE))
		return -1;
	for (int i = 0; i < o->nmaps; i++) {
		const ElfMap *m = &o->maps[i];

		if (m->kind != ELF_MAP_DATA)
			continue;
		if (!new_scn(w, w->map_ndx[i], m->name,
			     SHDR(.sh_type = SHT_PROGBITS, .sh_addralign = 8,
				  .sh_flags = SHF_ALLOC | (is_rodata(m->name) ? 0 : SHF_WRITE)),
			     m->init ? m->init : w->zeros, m->value_size, ELF_T_BYTE))
			return -1;
	}
	if (w->btf_ndx) {
		if (!(raw = btf__raw_data(w->btf, &rawlen)))
			return fail(w, "BTF: cannot encode: %s", strerror(errno));
		if (!new_scn(w, w->btf_ndx, ".BTF", SHDR(.sh_type = SHT_PROGBITS, .sh_addralign = 4),
			     raw, rawlen, ELF_T_BYTE))
			return -1;
	}
	if (w->meta_ndx &&
	    !new_scn(w, w->meta_ndx, BSTAP_SEC_META, SHDR(.sh_type = SHT_PROGBITS, .sh_addralign = 8),
		     o->meta, o->metalen, ELF_T_BYTE))
		return -1;
	if (!new_scn(w, w->symtab_ndx, ".symtab",
		     SHDR(.sh_type = SHT_SYMTAB, .sh_addralign = 8, .sh_entsize = sizeof(Elf64_Sym),
			  .sh_link = (Elf64_Word)w->strtab_ndx, .sh_info = (Elf64_Word)w->nlocals),
		     w->syms.p, w->syms.len, ELF_T_SYM))
		return -1;
	if (!new_scn(w, w->strtab_ndx, ".strtab", SHDR(.sh_type = SHT_STRTAB, .sh_addralign = 1),
		     w->strtab.p, w->strtab.len, ELF_T_BYTE))
		return -1;
	/* .shstrtab holds its own name, so its buffer is final only now. */
	if (!(d = new_scn(w, w->shstrtab_ndx, ".shstrtab",
			  SHDR(.sh_type = SHT_STRTAB, .sh_addralign = 1), NULL, 0, ELF_T_BYTE)))
		return -1;
	d->d_buf = w->shstrtab.p;
	d->d_size = w->shstrtab.len;

	if (elf_update(w->elf, ELF_C_NULL) < 0)
		return fail(w, "libelf: laying out the object: %s", elf_errmsg(-1));
	if (elf_update(w->elf, ELF_C_WRITE) < 0)
		return fail(w, "libelf: writing the object: %s", elf_errmsg(-1));
	return 0;
}

static void w_free(W *w)
{
	if (w->elf)
		elf_end(w->elf);
	for (int s = 0; s < w->nsecs; s++) {
		free(w->secs[s].insns);
		free(w->secs[s].rel.p);
	}
	free(w->secs);
	free(w->prog_sec);
	free(w->prog_off);
	free(w->map_sym);
	free(w->map_ndx);
	free(w->map_off);
	free(w->zeros);
	btf__free(w->btf);
	free(w->syms.p);
	free(w->strtab.p);
	free(w->shstrtab.p);
}

int elfw_write(int fd, const ElfObject *obj, char *err, size_t errlen)
{
	W w = { .obj = obj, .err = err, .errlen = errlen };
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (!obj)
		return fail(&w, "no object");
	if (fd < 0)
		return fail(&w, "bad file descriptor %d", fd);
	rc = check_object(&w);
	rc = rc ? rc : plan(&w);
	rc = rc ? rc : build_symbols(&w);
	rc = rc ? rc : build_relocs(&w);
	rc = rc ? rc : build_btf(&w);
	rc = rc ? rc : write_elf(&w, fd);
	w_free(&w);
	return rc;
}
