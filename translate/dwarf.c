/* dwarf.c - user-space binaries for process probes: the ELF file, its
 * loadable segments and symbols, its DWARF (found beside it or by build-id
 * under /usr/lib/debug), the functions and statements a probe point names,
 * and the scopes at a site.  Target variables are dwarf_loc.c's (where)
 * and dwarf_value.c's (what).
 *
 * Requires: a path from a process("PATH") probe point.  Provides: DwSite
 * (where to put the uprobe), file offsets, and the DIE offsets dwarf_loc.c
 * starts from.  No Dwarf_Die leaves this file and dwarf_loc.c: sites carry
 * DIE offsets. */
#include <elfutils/libdw.h>
#include <dwarf.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "translate/dwarf_int.h"

/* ------------------------------------------------------------ opening */

static bool has_section(Elf *elf, const char *name)
{
	size_t shstrndx;
	if (elf_getshdrstrndx(elf, &shstrndx) < 0)
		return false;
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn));) {
		GElf_Shdr sh;
		const char *nm;
		if (gelf_getshdr(scn, &sh) && (nm = elf_strptr(elf, shstrndx, sh.sh_name)) && !strcmp(nm, name))
			return sh.sh_type != SHT_NOBITS;
	}
	return false;
}

void dw_each_note(struct Elf *elf, bool (*fn)(const char *owner, uint32_t type, const void *desc, size_t size, void *ctx),
                  void *ctx)
{
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn));) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		GElf_Nhdr nh;
		size_t off = 0, noff, doff;
		while (d && (off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0) {
			const char *owner = (const char *)d->d_buf + noff;
			if (nh.n_namesz && !memchr(owner, 0, nh.n_namesz))
				continue;
			if (!fn(nh.n_namesz ? owner : "", nh.n_type, (const char *)d->d_buf + doff, nh.n_descsz, ctx))
				return;
		}
	}
}

typedef struct {
	Arena *a;
	const char *hex;
} BuildId;

const char *dw_hex(Arena *a, const void *bytes, size_t n)
{
	const unsigned char *id = bytes;
	char *hex = arena_alloc(a, 2 * n + 1);
	for (size_t i = 0; i < n; i++)
		sprintf(hex + 2 * i, "%02x", id[i]);
	return hex;
}

static bool on_build_id(const char *owner, uint32_t type, const void *desc, size_t size, void *ctx)
{
	BuildId *b = ctx;
	if (type != NT_GNU_BUILD_ID || strcmp(owner, "GNU") || !size)
		return true;
	b->hex = dw_hex(b->a, desc, size);
	return false;
}

const char *dw_build_id(Arena *a, struct Elf *elf)
{
	BuildId b = { a, NULL };
	dw_each_note(elf, on_build_id, &b);
	return b.hex;
}

/* A separate debug file as gdb and stap find it: by build-id, then by
 * .gnu_debuglink next to the binary and under /usr/lib/debug. */
static bool open_debug_file(DwFile *f, Arena *a)
{
	const char *tries[4];
	int n = 0;
	const char *id = dw_build_id(a, f->elf);
	if (id)
		tries[n++] = arena_printf(a, "/usr/lib/debug/.build-id/%.2s/%s.debug", id, id + 2);
	size_t shstrndx;
	if (elf_getshdrstrndx(f->elf, &shstrndx) == 0)
		for (Elf_Scn *scn = NULL; (scn = elf_nextscn(f->elf, scn));) {
			GElf_Shdr sh;
			const char *nm;
			if (!gelf_getshdr(scn, &sh) || !(nm = elf_strptr(f->elf, shstrndx, sh.sh_name)) ||
			    strcmp(nm, ".gnu_debuglink"))
				continue;
			Elf_Data *d = elf_getdata(scn, NULL);
			if (!d || !d->d_size || !memchr(d->d_buf, 0, d->d_size))
				break;
			const char *dir = arena_strdup(a, f->path);
			*strrchr((char *)dir, '/') = 0;
			tries[n++] = arena_printf(a, "%s/.debug/%s", dir, (const char *)d->d_buf);
			tries[n++] = arena_printf(a, "/usr/lib/debug%s/%s", dir, (const char *)d->d_buf);
			break;
		}
	for (int i = 0; i < n; i++) {
		int fd = open(tries[i], O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
		if (e && has_section(e, ".debug_info")) {
			f->dfd = fd;
			f->delf = e;
			return true;
		}
		if (e)
			elf_end(e);
		close(fd);
	}
	return false;
}

static int read_loads(DwFile *f, Arena *a, char *err, size_t errlen)
{
	size_t n;
	if (elf_getphdrnum(f->elf, &n) < 0) {
		snprintf(err, errlen, "cannot read its program headers: %s", elf_errmsg(-1));
		return -1;
	}
	f->loads = arena_alloc(a, sizeof *f->loads * (n + 1));
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(f->elf, (int)i, &ph) && ph.p_type == PT_LOAD)
			f->loads[f->nloads++] = ph;
	}
	return 0;
}

static DwFile *open_file(Session *s, const char *path, bool kernel, char *err, size_t errlen)
{
	for (DwFile *f = s->dwfiles; f; f = f->next)
		if (!strcmp(f->path, path) && f->kernel == kernel)
			return f;
	elf_version(EV_CURRENT);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		return NULL;
	}
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	GElf_Ehdr eh;
	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh)) {
		snprintf(err, errlen, "not an ELF file");
		goto fail;
	}
	if (eh.e_machine != EM_X86_64 || eh.e_ident[EI_CLASS] != ELFCLASS64) {
		snprintf(err, errlen, "not an x86-64 ELF file (bstap supports x86-64 only)");
		goto fail;
	}
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) {
		snprintf(err, errlen, kernel ? "not a kernel image (vmlinux is an executable)"
		                             : "not an executable or a shared library");
		goto fail;
	}
	DwFile *f = arena_alloc(s->arena, sizeof *f);
	f->path = arena_strdup(s->arena, path);
	f->fd = fd;
	f->dfd = -1;
	f->elf = elf;
	/* the kernel's addresses are its link-time ones (plus KASLR's slide,
	 * which symbol+offset attachment never sees) */
	f->pie = !kernel && eh.e_type == ET_DYN;
	f->kernel = kernel;
	if (read_loads(f, s->arena, err, errlen) < 0) {
		elf_end(elf);
		close(fd);
		return NULL;
	}
	if (!has_section(elf, ".debug_info"))
		open_debug_file(f, s->arena);
	f->dw = dwarf_begin_elf(f->delf ? f->delf : elf, DWARF_C_READ, NULL);
	f->cfi = dwarf_getcfi_elf(elf);
	if (!f->cfi && f->dw)
		f->cfi = dwarf_getcfi(f->dw);
	f->arena = s->arena;
	f->next = s->dwfiles;
	s->dwfiles = f;
	return f;
fail:
	if (elf)
		elf_end(elf);
	close(fd);
	return NULL;
}

DwFile *dw_open(Session *s, const char *path, char *err, size_t errlen)
{
	return open_file(s, path, false, err, errlen);
}

DwFile *dw_open_kernel(Session *s, const char *path, char *err, size_t errlen)
{
	return open_file(s, path, true, err, errlen);
}

void dw_free(Session *s)
{
	for (DwFile *f = s->dwfiles; f; f = f->next) {
		if (f->dw)
			dwarf_end(f->dw);
		if (f->delf)
			elf_end(f->delf);
		if (f->dfd >= 0)
			close(f->dfd);
		elf_end(f->elf);
		close(f->fd);
	}
	s->dwfiles = NULL;
}

void dw_set_slide(DwFile *f, int64_t slide)
{
	f->slide = slide;
}

const char *dw_path(const DwFile *f)
{
	return f->path;
}

struct Elf *dw_elf(const DwFile *f)
{
	return f->elf;
}

bool dw_is_pie(const DwFile *f)
{
	return f->pie;
}

bool dw_has_debuginfo(const DwFile *f)
{
	return f->dw != NULL;
}

bool dw_file_offset(const DwFile *f, uint64_t addr, uint64_t *off)
{
	for (int i = 0; i < f->nloads; i++) {
		const GElf_Phdr *ph = &f->loads[i];
		if (addr >= ph->p_vaddr && addr < ph->p_vaddr + ph->p_filesz) {
			*off = addr - ph->p_vaddr + ph->p_offset;
			return true;
		}
	}
	return false;
}

/* ------------------------------------------------------------ symbols */

/* Call fn on each defined symbol of the symbol tables of e. */
static void each_symbol(Elf *e, void (*fn)(const char *name, const GElf_Sym *sym, void *ctx), void *ctx)
{
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(e, scn));) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) ||
		    !sh.sh_entsize)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		size_t n = sh.sh_size / sh.sh_entsize;
		for (size_t i = 1; d && i < n; i++) {
			GElf_Sym sym;
			const char *name;
			if (!gelf_getsym(d, (int)i, &sym) || sym.st_shndx == SHN_UNDEF || !sym.st_value)
				continue;
			if ((name = elf_strptr(e, sh.sh_link, sym.st_name)) && *name)
				fn(name, &sym, ctx);
		}
	}
}

typedef struct {
	const char *name;
	uint64_t addr;
	bool found;
} SymFind;

static void find_sym(const char *name, const GElf_Sym *sym, void *ctx)
{
	SymFind *sf = ctx;
	if (!sf->found && !strcmp(name, sf->name)) {
		sf->addr = sym->st_value;
		sf->found = true;
	}
}

bool dw_symbol(const DwFile *f, const char *name, uint64_t *addr)
{
	SymFind sf = { name, 0, false };
	each_symbol(f->elf, find_sym, &sf);
	if (!sf.found && f->delf)
		each_symbol(f->delf, find_sym, &sf);
	*addr = sf.addr;
	return sf.found;
}

typedef struct {
	uint64_t addr;
	const char *name;
	uint64_t off;
} SymAt;

static void find_sym_at(const char *name, const GElf_Sym *sym, void *ctx)
{
	SymAt *sa = ctx;
	int type = GELF_ST_TYPE(sym->st_info);
	if (sa->name || (type != STT_FUNC && type != STT_GNU_IFUNC) || sa->addr < sym->st_value ||
	    sa->addr >= sym->st_value + (sym->st_size ? sym->st_size : 1))
		return;
	sa->name = name;
	sa->off = sa->addr - sym->st_value;
}

bool dw_symbol_at(const DwFile *f, uint64_t addr, const char **name, uint64_t *off)
{
	SymAt sa = { addr, NULL, 0 };
	each_symbol(f->elf, find_sym_at, &sa);
	if (!sa.name && f->delf)
		each_symbol(f->delf, find_sym_at, &sa);
	*name = sa.name ? arena_strdup(f->arena, sa.name) : NULL;
	*off = sa.off;
	return sa.name != NULL;
}

/* ------------------------------------------------------------ functions */

typedef struct {
	DwFile *f;
	DwSite *v;
	int n, cap;
} FuncList;

static void add_func(FuncList *l, DwSite site)
{
	l->v = arena_grow(l->f->arena, l->v, &l->cap, l->n + 1, sizeof *l->v);
	l->v[l->n++] = site;
}

/* The entry of a function: DW_AT_entry_pc or low_pc, else the start of its
 * first range (a function split into hot and cold parts). */
static bool func_entry(Dwarf_Die *die, Dwarf_Addr *pc)
{
	if (dwarf_entrypc(die, pc) == 0)
		return true;
	Dwarf_Addr base, start, end;
	return dwarf_ranges(die, 0, &base, &start, &end) > 0 && (*pc = start, true);
}

static int on_func(Dwarf_Die *die, void *ctx)
{
	FuncList *l = ctx;
	Dwarf_Addr pc;
	const char *name = dwarf_diename(die);
	if (!name || dwarf_hasattr(die, DW_AT_declaration) || !func_entry(die, &pc))
		return DWARF_CB_OK;
	int line = 0;
	dwarf_decl_line(die, &line);
	const char *file = dwarf_decl_file(die);
	add_func(l, (DwSite){ .func = arena_strdup(l->f->arena, name),
	                      .file = file ? arena_strdup(l->f->arena, file) : NULL, .line = line,
	                      .addr = pc, .func_addr = pc, .die = dwarf_dieoffset(die) });
	return DWARF_CB_OK;
}

static void on_symbol(const char *name, const GElf_Sym *sym, void *ctx)
{
	FuncList *l = ctx;
	DwFile *f = l->f;
	if (GELF_ST_TYPE(sym->st_info) != STT_FUNC && GELF_ST_TYPE(sym->st_info) != STT_GNU_IFUNC)
		return;
	/* DWARF describes it already (maybe under another name: then the
	 * symbol is an alias, as malloc of __libc_malloc), or another symbol
	 * table named it */
	for (int i = 0; i < l->n; i++) {
		if (l->v[i].func_addr != sym->st_value)
			continue;
		if (l->v[i].die && strcmp(l->v[i].func, name)) {
			f->aliases = arena_grow(f->arena, f->aliases, &f->capaliases, f->naliases + 1, sizeof *f->aliases);
			f->aliases[f->naliases++] = (struct DwAlias){ arena_strdup(f->arena, name), l->v[i] };
		}
		return;
	}
	add_func(l, (DwSite){ .func = arena_strdup(l->f->arena, name), .addr = sym->st_value,
	                      .func_addr = sym->st_value });
}

static int by_name(const void *a, const void *b)
{
	const DwSite *x = a, *y = b;
	int c = strcmp(x->func, y->func);
	if (c)
		return c;
	c = strcmp(x->file ? x->file : "", y->file ? y->file : "");
	return c ? c : (x->addr > y->addr) - (x->addr < y->addr);
}

/* Every function of the file, sorted by name (read once). */
static void read_funcs(DwFile *f)
{
	if (f->funcs_read)
		return;
	f->funcs_read = true;
	FuncList l = { f, NULL, 0, 0 };
	if (f->dw) {
		Dwarf_Off off = 0, next;
		size_t hsize;
		while (dwarf_nextcu(f->dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
			Dwarf_Die cu;
			if (dwarf_offdie(f->dw, off + hsize, &cu))
				dwarf_getfuncs(&cu, on_func, &l, 0);
			off = next;
		}
	}
	each_symbol(f->elf, on_symbol, &l);
	if (f->delf)
		each_symbol(f->delf, on_symbol, &l);
	if (l.n)
		qsort(l.v, (size_t)l.n, sizeof *l.v, by_name);
	f->funcs = l.v;
	f->nfuncs = l.n;
}

/* Does a function's declaring file match the pattern of "f@FILE"?  The
 * whole path, its base name, or a path suffix after a '/'. */
static bool file_matches(const char *pat, const char *file)
{
	if (!file)
		return false;
	if (!fnmatch(pat, file, 0))
		return true;
	const char *base = strrchr(file, '/');
	if (base && !fnmatch(pat, base + 1, 0))
		return true;
	size_t n = strlen(file), k = strlen(pat);
	return k < n && file[n - k - 1] == '/' && !strcmp(file + n - k, pat);
}

int dw_functions(DwFile *f, const char *pat, const char *file, int line, Arena *a, DwSite **out)
{
	read_funcs(f);
	DwSite *v = arena_alloc(a, sizeof *v * (size_t)(f->nfuncs + f->naliases + 1));
	int n = 0;
	for (int i = 0; i < f->nfuncs; i++) {
		const DwSite *s = &f->funcs[i];
		if (fnmatch(pat, s->func, 0))
			continue;
		if (file && !file_matches(file, s->file))
			continue;
		if (line && s->line != line)
			continue;
		v[n++] = *s;
	}
	/* a symbol that names a DWARF function: that function, once */
	for (int i = 0; i < f->naliases; i++) {
		const DwSite *s = &f->aliases[i].site;
		bool seen = false;
		if (fnmatch(pat, f->aliases[i].name, 0) || (file && !file_matches(file, s->file)) ||
		    (line && s->line != line))
			continue;
		for (int k = 0; k < n && !seen; k++)
			seen = v[k].die == s->die;
		if (!seen)
			v[n++] = *s;
	}
	*out = v;
	return n;
}

/* ------------------------------------------------------------ inlined instances */

typedef struct {
	DwFile *f;
	const char *pat, *file;
	int line;
	Dwarf_Off *origins;       /* the matching abstract functions of a CU */
	int norigins, caporigins;
	FuncList out;
} Inlines;

static bool origin_wanted(Inlines *in, Dwarf_Die *fn)
{
	const char *name = dwarf_diename(fn), *file = dwarf_decl_file(fn);
	int line = 0;
	dwarf_decl_line(fn, &line);
	return name && !fnmatch(in->pat, name, 0) && (!in->file || file_matches(in->file, file)) &&
	       (!in->line || line == in->line);
}

/* An abstract function (DW_AT_inline) whose name matches: remember it. */
static int on_abstract(Dwarf_Die *die, void *ctx)
{
	Inlines *in = ctx;
	if (dwarf_hasattr(die, DW_AT_inline) && origin_wanted(in, die)) {
		in->origins = arena_grow(in->f->arena, in->origins, &in->caporigins, in->norigins + 1,
		                         sizeof *in->origins);
		in->origins[in->norigins++] = dwarf_dieoffset(die);
	}
	return DWARF_CB_OK;
}

static bool is_origin(const Inlines *in, Dwarf_Off off)
{
	for (int i = 0; i < in->norigins; i++)
		if (in->origins[i] == off)
			return true;
	return false;
}

/* Walk the DIEs below `die` (inside concrete function `outer`) for
 * inlined instances of the remembered functions. */
static void find_inlines(Inlines *in, Dwarf_Die *die, Dwarf_Off outer, int depth)
{
	Dwarf_Die ch;
	if (depth > 64 || dwarf_child(die, &ch) != 0)
		return;
	do {
		int tag = dwarf_tag(&ch);
		Dwarf_Off here = outer;
		if (tag == DW_TAG_subprogram) {
			if (dwarf_hasattr(&ch, DW_AT_inline) || dwarf_hasattr(&ch, DW_AT_declaration))
				continue; /* abstract: its instances are elsewhere */
			here = dwarf_dieoffset(&ch);
		} else if (tag == DW_TAG_inlined_subroutine && outer) {
			Dwarf_Attribute a;
			Dwarf_Die origin;
			Dwarf_Addr pc;
			if (dwarf_attr(&ch, DW_AT_abstract_origin, &a) && dwarf_formref_die(&a, &origin) &&
			    is_origin(in, dwarf_dieoffset(&origin)) && func_entry(&ch, &pc)) {
				int line = 0;
				dwarf_decl_line(&origin, &line);
				const char *file = dwarf_decl_file(&origin);
				add_func(&in->out, (DwSite){ .func = arena_strdup(in->f->arena, dwarf_diename(&origin)),
				                             .file = file ? arena_strdup(in->f->arena, file) : NULL,
				                             .line = line, .addr = pc, .func_addr = pc,
				                             .die = dwarf_dieoffset(&ch), .outer_die = outer,
				                             .inlined = true });
			}
		} else if (tag != DW_TAG_lexical_block && tag != DW_TAG_namespace) {
			continue; /* types, variables: no code inside */
		}
		find_inlines(in, &ch, here, depth + 1);
	} while (dwarf_siblingof(&ch, &ch) == 0);
}

int dw_inlined(DwFile *f, const char *pat, const char *file, int line, DwSite **out)
{
	Inlines in = { .f = f, .pat = pat, .file = file, .line = line, .out = { f, NULL, 0, 0 } };
	Dwarf_Off off = 0, next;
	size_t hsize;
	*out = NULL;
	/* only the CUs that define a matching inline function have its
	 * instances (a vmlinux has millions of DIEs: walk few of them) */
	while (f->dw && dwarf_nextcu(f->dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu;
		in.norigins = 0;
		if (dwarf_offdie(f->dw, off + hsize, &cu)) {
			dwarf_getfuncs(&cu, on_abstract, &in, 0);
			if (in.norigins)
				find_inlines(&in, &cu, 0, 0);
		}
		off = next;
	}
	if (in.out.n)
		qsort(in.out.v, (size_t)in.out.n, sizeof *in.out.v, by_name);
	*out = in.out.v;
	return in.out.n;
}

const char *dw_site_name(Arena *a, const DwSite *d)
{
	return d->file ? arena_printf(a, "%s@%s:%d", d->func, d->file, d->line) : d->func;
}

void dw_split_spec(Arena *a, const char *spec, const char **func, const char **file, int *line)
{
	const char *at = strchr(spec, '@');
	*file = NULL;
	*line = 0;
	if (!at) {
		*func = spec;
		return;
	}
	*func = arena_strndup(a, spec, (size_t)(at - spec));
	const char *colon = strrchr(at + 1, ':');
	char *end;
	if (colon && colon[1] && (*line = (int)strtol(colon + 1, &end, 10), !*end))
		*file = arena_strndup(a, at + 1, (size_t)(colon - at - 1));
	else {
		*line = 0;
		*file = at + 1;
	}
}

/* ------------------------------------------------------------ statements */

int dw_statements(DwFile *f, const char *func, const char *file, int line, Arena *a, DwSite **out)
{
	*out = NULL;
	if (!f->dw)
		return 0;
	DwSite *funcs;
	int nf = dw_functions(f, func, NULL, 0, a, &funcs);
	DwSite *v = arena_alloc(a, sizeof *v * (size_t)(nf + 1));
	int n = 0;
	for (int i = 0; i < nf; i++) {
		Dwarf_Die die, cu;
		if (!funcs[i].die || !dwarf_offdie(f->dw, funcs[i].die, &die) || !dwarf_diecu(&die, &cu, NULL, NULL))
			continue;
		Dwarf_Lines *lines;
		size_t nl;
		if (dwarf_getsrclines(&cu, &lines, &nl) < 0)
			continue;
		/* the lowest statement address of that line inside the function */
		uint64_t best = 0;
		bool found = false;
		for (size_t k = 0; k < nl; k++) {
			Dwarf_Line *ln = dwarf_onesrcline(lines, k);
			int lno;
			bool stmt;
			Dwarf_Addr addr;
			const char *src = dwarf_linesrc(ln, NULL, NULL);
			if (dwarf_lineno(ln, &lno) || lno != line || dwarf_linebeginstatement(ln, &stmt) || !stmt ||
			    dwarf_lineaddr(ln, &addr) || !dwarf_haspc(&die, addr))
				continue;
			if (file && !file_matches(file, src))
				continue;
			if (!found || addr < best) {
				best = addr;
				found = true;
			}
		}
		if (!found)
			continue;
		v[n] = funcs[i];
		v[n].addr = best;
		v[n].line = line;
		v[n].is_stmt = true;
		n++;
	}
	*out = v;
	return n;
}

/* ------------------------------------------------------------ scopes */

/* The scopes at site (innermost first), ending with the CU: for a function
 * entry the function itself; for a statement the blocks around it too.
 * *scopes is malloc'd (NULL when there are none). */
int dwl_scopes(DwFile *f, const DwSite *site, Dwarf_Die *func, Dwarf_Die **scopes)
{
	Dwarf_Die cu;
	*scopes = NULL;
	if (!dwarf_diecu(func, &cu, NULL, NULL))
		return 0;
	int n = dwarf_getscopes(&cu, site->addr, scopes);
	if (n > 0) {
		/* an inlined copy of another function at this pc is not ours; an
		 * inlined instance sees its own variables, not its caller's */
		for (int i = 0; i < n; i++)
			if (dwarf_dieoffset(&(*scopes)[i]) == site->die)
				return site->inlined ? i + 1 : n;
		free(*scopes);
		*scopes = NULL;
	}
	n = dwarf_getscopes_die(func, scopes);
	return site->inlined && n > 1 ? 1 : n;
}
