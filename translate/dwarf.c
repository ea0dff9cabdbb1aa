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
	char *hex;
} BuildId;

static bool on_build_id(const char *owner, uint32_t type, const void *desc, size_t size, void *ctx)
{
	BuildId *b = ctx;
	if (type != NT_GNU_BUILD_ID || strcmp(owner, "GNU") || !size)
		return true;
	const unsigned char *id = desc;
	b->hex = arena_alloc(b->a, 2 * size + 1);
	for (size_t i = 0; i < size; i++)
		sprintf(b->hex + 2 * i, "%02x", id[i]);
	return false;
}

/* A separate debug file as gdb and stap find it: by build-id, then by
 * .gnu_debuglink next to the binary and under /usr/lib/debug. */
static bool open_debug_file(DwFile *f, Arena *a)
{
	const char *tries[4];
	int n = 0;
	BuildId b = { a, NULL };
	dw_each_note(f->elf, on_build_id, &b);
	const char *id = b.hex;
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

DwFile *dw_open(Session *s, const char *path, char *err, size_t errlen)
{
	for (DwFile *f = s->dwfiles; f; f = f->next)
		if (!strcmp(f->path, path))
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
		snprintf(err, errlen, "not an x86-64 ELF file (process probes support x86-64 only)");
		goto fail;
	}
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) {
		snprintf(err, errlen, "not an executable or a shared library");
		goto fail;
	}
	DwFile *f = arena_alloc(s->arena, sizeof *f);
	f->path = arena_strdup(s->arena, path);
	f->fd = fd;
	f->dfd = -1;
	f->elf = elf;
	f->pie = eh.e_type == ET_DYN;
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
		/* an inlined copy of another function at this pc is not ours */
		for (int i = 0; i < n; i++)
			if (dwarf_dieoffset(&(*scopes)[i]) == site->die)
				return n;
		free(*scopes);
		*scopes = NULL;
	}
	return dwarf_getscopes_die(func, scopes);
}
