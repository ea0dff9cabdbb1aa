/* symbols.c - addresses to symbols: backtraces, symname() and the rest of
 * tapsets/stack.stp, resolved in user space (bpf_abi.h, "stacks and
 * symbols", has the records and tokens this reads).
 *
 * Kernel addresses: /proc/kallsyms, read on first use and sorted.  A
 * symbol's size is the distance to the next symbol, as the kernel's own
 * %pS computes it; the module is the one kallsyms names, else "kernel".
 * Where kallsyms hides the addresses (kptr_restrict, not root) kernel
 * frames print as hex; without CONFIG_KALLSYMS_ALL it lists no data
 * symbols, so an address in kernel data names the function before it.
 *
 * User-space addresses: an address means something only in its process.
 * For each process the runtime heard of (a note or a stack record, both
 * carrying its pid) it keeps what /proc/PID/maps said while the process
 * lived, and the load bias of each file that a frame with a build id
 * placed (address - the file's virtual address for the frame's offset).
 * Either gives the file and the address inside it, and the file's ELF
 * symbols (.symtab, else .dynsym; a .debug file under
 * /usr/lib/debug/.build-id adds its .symtab) give the name.  Files are
 * found by path (maps) or by build id: among the files known so far, the
 * files given with sym_add_file (uprobe targets, the -c command) and
 * the libraries they need (DT_NEEDED through RUNPATH/RPATH, $ORIGIN and
 * the default directories), the .build-id debug tree, and as a last resort
 * every ELF file of the default library and program directories (their
 * build ids read directly, a few preads each, once per run).  So a stack
 * captured in a process that exited long ago still resolves, as long as
 * its files are still on disk.
 *
 * Everything is cached for the run (the runtime runs one object per
 * process) and freed by sym_reset.  Nothing here fails loudly: what cannot
 * be resolved prints as a hex address, as stap prints it. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runtime/rt.h"

#define BID_MAX 20

typedef struct Sym {
	uint64_t addr, size;
	const char *name;
} Sym;

/* What an address resolved to: a symbol and the offset in it, and the
 * module (with the offset in it when the symbol is unknown); for a
 * user-space address also the file and the virtual address in it, where
 * its source line is looked up. */
typedef struct SymInfo {
	const char *name;          /* NULL: no symbol */
	uint64_t off, size;
	const char *mod;           /* "kernel", a module, a file's path; NULL: unknown */
	uint64_t modoff, modsize;
	struct EFile *file;        /* NULL: a kernel address, or no file known */
	uint64_t vaddr;
} SymInfo;

/* ------------------------------------------------------------ memory */

/* Names live in chunks that are freed together. */
typedef struct Chunk {
	struct Chunk *next;
	size_t used, cap;
	char data[];
} Chunk;

static Chunk *chunks;

static const char *save_str(const char *s, size_t n)
{
	if (!chunks || chunks->cap - chunks->used < n + 1) {
		size_t cap = n + 1 > 1 << 20 ? n + 1 : 1 << 20;
		Chunk *c = malloc(sizeof *c + cap);
		if (!c)
			return "?";
		c->next = chunks;
		c->used = 0;
		c->cap = cap;
		chunks = c;
	}
	char *p = chunks->data + chunks->used;
	memcpy(p, s, n);
	p[n] = 0;
	chunks->used += n + 1;
	return p;
}

static bool grow(void **v, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return true;
	size_t nc = *cap ? *cap * 2 : 16;
	while (nc < need)
		nc *= 2;
	void *nv = realloc(*v, nc * elem);
	if (!nv)
		return false;
	*v = nv;
	*cap = nc;
	return true;
}

static int cmp_sym(const void *a, const void *b)
{
	const Sym *x = a, *y = b;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* at one address: one with a size first, then the first read */
	if ((x->size != 0) != (y->size != 0))
		return x->size ? -1 : 1;
	return x->name < y->name ? -1 : x->name > y->name;
}

/* The last symbol at or below addr, or NULL. */
static const Sym *sym_find(const Sym *v, size_t n, uint64_t addr)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	/* the first of the symbols at that address */
	const Sym *s = &v[lo - 1];
	while (s > v && s[-1].addr == s->addr)
		s--;
	return s;
}

/* ------------------------------------------------------------ the kernel */

typedef struct KSym {
	uint64_t addr;
	const char *name, *mod;
	uint32_t order;
} KSym;

static struct {
	KSym *v;
	size_t n, cap;
	bool loaded;
} ks;

static int cmp_ksym(const void *a, const void *b)
{
	const KSym *x = a, *y = b;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void ksyms_load(void)
{
	ks.loaded = true;
	FILE *f = fopen("/proc/kallsyms", "re");
	if (!f)
		return;
	char line[1024];
	const char *lastmod = NULL;
	while (fgets(line, sizeof line, f)) {
		char *p = line, *end;
		uint64_t addr = strtoull(p, &end, 16);
		if (end == p || *end != ' ' || !addr)
			continue;
		p = end + 1;
		char type = *p;
		if (!type || p[1] != ' ' || type == 'U' || type == 'a' || type == 'A')
			continue;
		p += 2;
		char *name = p;
		while (*p && *p != '\t' && *p != '\n' && *p != ' ')
			p++;
		size_t nlen = (size_t)(p - name);
		const char *mod = "kernel";
		char *lb = strchr(p, '[');
		if (lb) {
			char *rb = strchr(lb, ']');
			if (rb) {
				size_t mlen = (size_t)(rb - lb - 1);
				if (lastmod && strlen(lastmod) == mlen && !strncmp(lastmod, lb + 1, mlen))
					mod = lastmod;
				else
					mod = lastmod = save_str(lb + 1, mlen);
			}
		}
		if (!nlen || !grow((void **)&ks.v, &ks.cap, ks.n + 1, sizeof *ks.v))
			continue;
		ks.v[ks.n] = (KSym){ addr, save_str(name, nlen), mod, (uint32_t)ks.n };
		ks.n++;
	}
	fclose(f);
	qsort(ks.v, ks.n, sizeof *ks.v, cmp_ksym);
}

static void sym_kernel(uint64_t addr, SymInfo *si)
{
	memset(si, 0, sizeof *si);
	if (!ks.loaded)
		ksyms_load();
	size_t lo = 0, hi = ks.n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ks.v[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return;
	size_t i = lo - 1;
	while (i > 0 && ks.v[i - 1].addr == ks.v[i].addr)
		i--;
	const KSym *k = &ks.v[i];
	uint64_t size = lo < ks.n ? ks.v[lo].addr - k->addr : 0;
	/* past the last symbol (or a huge gap): not the kernel's */
	if ((!size && addr - k->addr > (1u << 20)) || (size > (1u << 26)))
		return;
	si->name = k->name;
	si->off = addr - k->addr;
	si->size = size;
	si->mod = k->mod;
}

/* ------------------------------------------------------------ ELF files */

typedef struct Seg {
	uint64_t off, filesz, vaddr, memsz;
} Seg;

typedef struct EFile {
	struct EFile *next;
	const char *path;
	bool headed, head_ok;         /* build id, segments, needed libraries read */
	bool syms_loaded, needed_done;
	uint8_t bid[BID_MAX];
	size_t bidlen;
	Seg *segs;
	size_t nsegs, capsegs;
	uint64_t lo, hi;              /* span of the PT_LOAD segments (virtual addresses) */
	const char **needed;          /* DT_NEEDED, with the directories to search */
	size_t nneeded, capneeded;
	const char *runpath;          /* DT_RUNPATH or DT_RPATH, $ORIGIN expanded */
	const char *interp;
	Sym *syms;
	size_t nsyms, capsyms;
} EFile;

static EFile *files, **files_tail = &files;

static EFile *file_get(const char *path)
{
	for (EFile *f = files; f; f = f->next)
		if (!strcmp(f->path, path))
			return f;
	EFile *f = calloc(1, sizeof *f);
	if (!f)
		return NULL;
	f->path = save_str(path, strlen(path));
	*files_tail = f;
	files_tail = &f->next;
	return f;
}

static Elf *elf_open(const char *path, int *fd)
{
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return NULL;
	elf_version(EV_CURRENT);
	Elf *e = elf_begin(*fd, ELF_C_READ_MMAP, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF) {
		if (e)
			elf_end(e);
		close(*fd);
		return NULL;
	}
	return e;
}

/* $ORIGIN in a RUNPATH: the file's directory. */
static const char *expand_origin(const char *rp, const char *path)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = 0;
	char out[4096];
	size_t n = 0;
	for (const char *p = rp; *p && n < sizeof out - 1;) {
		const char *o = NULL;
		size_t skip = 0;
		if (!strncmp(p, "$ORIGIN", 7)) {
			o = dir;
			skip = 7;
		} else if (!strncmp(p, "${ORIGIN}", 9)) {
			o = dir;
			skip = 9;
		}
		if (o) {
			n += (size_t)snprintf(out + n, sizeof out - n, "%s", o);
			if (n >= sizeof out)
				n = sizeof out - 1;
			p += skip;
		} else {
			out[n++] = *p++;
		}
	}
	out[n] = 0;
	return save_str(out, n);
}

/* Read the build id, the load segments and the libraries needed. */
static void file_head(EFile *f)
{
	if (f->headed)
		return;
	f->headed = true;
	int fd;
	Elf *e = elf_open(f->path, &fd);
	if (!e)
		return;
	size_t nph;
	if (elf_getphdrnum(e, &nph) == 0) {
		f->lo = UINT64_MAX;
		for (size_t i = 0; i < nph; i++) {
			GElf_Phdr ph;
			if (!gelf_getphdr(e, (int)i, &ph))
				continue;
			if (ph.p_type == PT_LOAD && grow((void **)&f->segs, &f->capsegs, f->nsegs + 1, sizeof *f->segs)) {
				f->segs[f->nsegs++] = (Seg){ ph.p_offset, ph.p_filesz, ph.p_vaddr, ph.p_memsz };
				if (ph.p_vaddr < f->lo)
					f->lo = ph.p_vaddr;
				if (ph.p_vaddr + ph.p_memsz > f->hi)
					f->hi = ph.p_vaddr + ph.p_memsz;
			}
		}
		if (!f->nsegs)
			f->lo = 0;
	}
	size_t shstrndx = 0;
	elf_getshdrstrndx(e, &shstrndx);
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(e, scn));) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			continue;
		Elf_Data *d;
		if (sh.sh_type == SHT_NOTE && !f->bidlen && (d = elf_getdata(scn, NULL))) {
			GElf_Nhdr nh;
			size_t off = 0, noff, doff;
			while ((off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0) {
				if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
				    !memcmp((char *)d->d_buf + noff, "GNU", 4)) {
					f->bidlen = nh.n_descsz < BID_MAX ? nh.n_descsz : BID_MAX;
					memcpy(f->bid, (char *)d->d_buf + doff, f->bidlen);
					break;
				}
			}
		} else if (sh.sh_type == SHT_DYNAMIC && (d = elf_getdata(scn, NULL))) {
			size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
			for (size_t i = 0; i < n; i++) {
				GElf_Dyn dyn;
				if (!gelf_getdyn(d, (int)i, &dyn))
					break;
				if (dyn.d_tag != DT_NEEDED && dyn.d_tag != DT_RUNPATH && dyn.d_tag != DT_RPATH)
					continue;
				const char *s = elf_strptr(e, sh.sh_link, dyn.d_un.d_val);
				if (!s)
					continue;
				if (dyn.d_tag == DT_NEEDED) {
					if (grow((void **)&f->needed, &f->capneeded, f->nneeded + 1, sizeof *f->needed))
						f->needed[f->nneeded++] = save_str(s, strlen(s));
				} else if (!f->runpath || dyn.d_tag == DT_RUNPATH) {
					f->runpath = expand_origin(s, f->path);
				}
			}
		}
	}
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_INTERP) {
			size_t sz;
			char *img = elf_rawfile(e, &sz);
			if (img && ph.p_offset < sz && ph.p_filesz <= sz - ph.p_offset && ph.p_filesz > 1)
				f->interp = save_str(img + ph.p_offset, strnlen(img + ph.p_offset, ph.p_filesz));
		}
	}
	f->head_ok = true;
	elf_end(e);
	close(fd);
}

/* Add the symbols of one ELF file (a path) to f's table. */
static void add_symbols(EFile *f, const char *path)
{
	int fd;
	Elf *e = elf_open(path, &fd);
	if (!e)
		return;
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(e, scn));) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM))
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		if (!d || !sh.sh_entsize)
			continue;
		size_t n = sh.sh_size / sh.sh_entsize;
		for (size_t i = 1; i < n; i++) {
			GElf_Sym s;
			if (!gelf_getsym(d, (int)i, &s))
				break;
			int type = GELF_ST_TYPE(s.st_info);
			if ((type != STT_FUNC && type != STT_OBJECT && type != STT_GNU_IFUNC) ||
			    s.st_shndx == SHN_UNDEF || !s.st_value)
				continue;
			const char *name = elf_strptr(e, sh.sh_link, s.st_name);
			if (!name || !*name || !grow((void **)&f->syms, &f->capsyms, f->nsyms + 1, sizeof *f->syms))
				continue;
			f->syms[f->nsyms++] = (Sym){ s.st_value, s.st_size, save_str(name, strlen(name)) };
		}
	}
	elf_end(e);
	close(fd);
}

static bool has_symtab(const char *path)
{
	int fd;
	Elf *e = elf_open(path, &fd);
	if (!e)
		return false;
	bool found = false;
	for (Elf_Scn *scn = NULL; !found && (scn = elf_nextscn(e, scn));) {
		GElf_Shdr sh;
		found = gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB;
	}
	elf_end(e);
	close(fd);
	return found;
}

static void debug_path(const uint8_t *bid, size_t n, char *out, size_t outlen)
{
	size_t k = (size_t)snprintf(out, outlen, "/usr/lib/debug/.build-id/%02x/", bid[0]);
	for (size_t i = 1; i < n && k + 3 < outlen; i++)
		k += (size_t)snprintf(out + k, outlen - k, "%02x", bid[i]);
	snprintf(out + k, outlen - k, ".debug");
}

static void file_symbols(EFile *f)
{
	if (f->syms_loaded)
		return;
	f->syms_loaded = true;
	file_head(f);
	add_symbols(f, f->path);
	if (f->bidlen && !has_symtab(f->path)) {
		/* a stripped file: its separate debug file has the full table */
		char dbg[PATH_MAX];
		debug_path(f->bid, f->bidlen, dbg, sizeof dbg);
		if (access(dbg, R_OK) == 0)
			add_symbols(f, dbg);
	}
	qsort(f->syms, f->nsyms, sizeof *f->syms, cmp_sym);
}

/* The virtual address of file offset off, or false. */
static bool off_to_vaddr(EFile *f, uint64_t off, uint64_t *vaddr)
{
	file_head(f);
	for (size_t i = 0; i < f->nsegs; i++) {
		const Seg *s = &f->segs[i];
		if (off >= s->off && off - s->off < (s->filesz ? s->filesz : 1)) {
			*vaddr = off - s->off + s->vaddr;
			return true;
		}
	}
	return false;
}

/* Symbol of virtual address v in file f, filling si (module: the path). */
static void file_lookup(EFile *f, uint64_t v, SymInfo *si)
{
	file_symbols(f);
	si->file = f;
	si->vaddr = v;
	si->mod = f->path;
	si->modoff = v - f->lo;
	si->modsize = f->hi - f->lo;
	const Sym *s = sym_find(f->syms, f->nsyms, v);
	if (!s)
		return;
	/* a symbol with a size must hold v; try its neighbours at the same
	 * address before giving up */
	for (const Sym *t = s; t < f->syms + f->nsyms && t->addr == s->addr; t++)
		if (!t->size || v - t->addr < t->size) {
			si->name = t->name;
			si->off = v - t->addr;
			si->size = t->size;
			return;
		}
}

/* The source position of what si resolved (lines.c): user-space
 * addresses only; the kernel's would need a vmlinux with DWARF. */
static bool sym_line(const SymInfo *si, const char **src, int *line)
{
	*src = NULL;
	*line = 0;
	if (!si->file)
		return false;
	char dbg[PATH_MAX];
	if (si->file->bidlen)
		debug_path(si->file->bid, si->file->bidlen, dbg, sizeof dbg);
	return line_find(si->file->path, si->file->bidlen ? dbg : NULL, si->vaddr, src, line);
}

/* ------------------------------------------------------------ build ids */

static const char *const lib_dirs[] = {
	"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib",
	"/usr/local/lib",
};

static const char *const bin_dirs[] = { "/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin" };

/* Build ids looked for and not found (looked for again only after new files). */
static struct {
	uint8_t (*v)[BID_MAX];
	size_t n, cap;
} missing;
static bool scanned_dirs;

static bool bid_eq(const EFile *f, const uint8_t *bid)
{
	return f->bidlen && !memcmp(f->bid, bid, f->bidlen);
}

/* Resolve f's DT_NEEDED names to files (added to the list). */
static void file_needed(EFile *f)
{
	if (f->needed_done)
		return;
	f->needed_done = true;
	file_head(f);
	if (f->interp)
		file_get(f->interp);
	for (size_t i = 0; i < f->nneeded; i++) {
		const char *name = f->needed[i];
		char path[PATH_MAX];
		bool found = false;
		if (strchr(name, '/')) {
			found = access(name, R_OK) == 0;
			snprintf(path, sizeof path, "%s", name);
		}
		const char *llp = getenv("LD_LIBRARY_PATH");
		const char *lists[] = { f->runpath, llp };
		for (size_t l = 0; !found && l < 2; l++) {
			if (!lists[l])
				continue;
			char buf[4096];
			snprintf(buf, sizeof buf, "%s", lists[l]);
			for (char *save, *dir = strtok_r(buf, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
				snprintf(path, sizeof path, "%s/%s", *dir ? dir : ".", name);
				found = access(path, R_OK) == 0;
			}
		}
		for (size_t d = 0; !found && d < sizeof lib_dirs / sizeof lib_dirs[0]; d++) {
			snprintf(path, sizeof path, "%s/%s", lib_dirs[d], name);
			found = access(path, R_OK) == 0;
		}
		if (found) {
			char real[PATH_MAX];
			file_get(realpath(path, real) ? real : path);
		}
	}
}

static EFile *find_loaded_bid(const uint8_t *bid)
{
	/* the list grows while it is walked: needed libraries join at the end */
	for (EFile *f = files; f; f = f->next) {
		file_head(f);
		if (bid_eq(f, bid))
			return f;
		file_needed(f);
	}
	return NULL;
}

/* The build id of an ELF file, read directly (a few preads: the header,
 * the program headers, the notes), for scanning many files quickly. */
static bool quick_build_id(const char *path, uint8_t *bid)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool found = false;
	Elf64_Ehdr eh;
	Elf64_Phdr ph[64];
	if (pread(fd, &eh, sizeof eh, 0) == (ssize_t)sizeof eh && !memcmp(eh.e_ident, ELFMAG, SELFMAG) &&
	    eh.e_ident[EI_CLASS] == ELFCLASS64 && eh.e_phentsize == sizeof(Elf64_Phdr) && eh.e_phnum <= 64 &&
	    pread(fd, ph, eh.e_phnum * sizeof *ph, (off_t)eh.e_phoff) == (ssize_t)(eh.e_phnum * sizeof *ph)) {
		for (int i = 0; !found && i < eh.e_phnum; i++) {
			char notes[4096];
			if (ph[i].p_type != PT_NOTE || ph[i].p_filesz > sizeof notes ||
			    pread(fd, notes, ph[i].p_filesz, (off_t)ph[i].p_offset) != (ssize_t)ph[i].p_filesz)
				continue;
			for (size_t off = 0; off + sizeof(Elf64_Nhdr) <= ph[i].p_filesz;) {
				Elf64_Nhdr nh;
				memcpy(&nh, notes + off, sizeof nh);
				size_t name = off + sizeof nh, desc = name + ((nh.n_namesz + 3) & ~3u);
				size_t next = desc + ((nh.n_descsz + 3) & ~3u);
				if (next > ph[i].p_filesz || next <= off)
					break;
				if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 && !memcmp(notes + name, "GNU", 4)) {
					memset(bid, 0, BID_MAX);
					memcpy(bid, notes + desc, nh.n_descsz < BID_MAX ? nh.n_descsz : BID_MAX);
					found = true;
					break;
				}
				off = next;
			}
		}
	}
	close(fd);
	return found;
}

/* Build ids of the files in the scanned directories: path, build id. */
static struct {
	struct { const char *path; uint8_t bid[BID_MAX]; } *v;
	size_t n, cap;
} scanned;

static void scan_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char path[PATH_MAX], real[PATH_MAX];
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		struct stat st;
		uint8_t bid[BID_MAX];
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || !realpath(path, real) || !quick_build_id(real, bid) ||
		    !grow((void **)&scanned.v, &scanned.cap, scanned.n + 1, sizeof *scanned.v))
			continue;
		scanned.v[scanned.n].path = save_str(real, strlen(real));
		memcpy(scanned.v[scanned.n].bid, bid, BID_MAX);
		scanned.n++;
	}
	closedir(d);
}

static EFile *file_by_bid(const uint8_t *bid)
{
	static size_t nfiles_seen;
	size_t nfiles = 0;
	for (EFile *f = files; f; f = f->next)
		nfiles++;
	for (size_t i = 0; i < missing.n; i++)
		if (!memcmp(missing.v[i], bid, BID_MAX) && nfiles == nfiles_seen)
			return NULL;
	EFile *f = find_loaded_bid(bid);
	if (!f) {
		char dbg[PATH_MAX];
		debug_path(bid, BID_MAX, dbg, sizeof dbg);
		if (access(dbg, R_OK) == 0 && (f = file_get(dbg))) {
			file_head(f);
			if (!bid_eq(f, bid))
				f = NULL;
		}
	}
	if (!f) {
		/* the libraries and programs on this system, once per run */
		if (!scanned_dirs) {
			scanned_dirs = true;
			for (size_t d = 0; d < sizeof lib_dirs / sizeof lib_dirs[0]; d++)
				scan_dir(lib_dirs[d]);
			for (size_t d = 0; d < sizeof bin_dirs / sizeof bin_dirs[0]; d++)
				scan_dir(bin_dirs[d]);
		}
		for (size_t i = 0; !f && i < scanned.n; i++)
			if (!memcmp(scanned.v[i].bid, bid, BID_MAX) && (f = file_get(scanned.v[i].path))) {
				file_head(f);
				if (!bid_eq(f, bid))
					f = NULL;
			}
	}
	if (!f && grow((void **)&missing.v, &missing.cap, missing.n + 1, sizeof *missing.v)) {
		memcpy(missing.v[missing.n++], bid, BID_MAX);
		nfiles = 0;
		for (EFile *g = files; g; g = g->next)
			nfiles++;
		nfiles_seen = nfiles;
	}
	return f;
}

/* ------------------------------------------------------------ processes */

typedef struct Mapping {
	uint64_t start, end, pgoff;
	EFile *file;
} Mapping;

typedef struct Module {
	EFile *file;
	uint64_t bias;               /* address = virtual address + bias */
} Module;

typedef struct Proc {
	struct Proc *next;
	uint32_t pid;
	Mapping *maps;
	size_t nmaps, capmaps;
	double maps_time;            /* when /proc/PID/maps was read (0: never) */
	Module *mods;
	size_t nmods, capmods;
	uint64_t serial;             /* last heard of: newest first when guessing */
} Proc;

static Proc *procs;
static uint32_t target_pid;
static uint64_t serial;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void read_maps(Proc *p)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%u/maps", p->pid);
	FILE *f = fopen(path, "re");
	p->maps_time = now_s();
	if (!f)
		return;
	p->nmaps = 0;
	char line[PATH_MAX + 128];
	while (fgets(line, sizeof line, f)) {
		unsigned long long start, end, pgoff;
		int pos = 0;
		if (sscanf(line, "%llx-%llx %*s %llx %*s %*s %n", &start, &end, &pgoff, &pos) < 3 || !pos)
			continue;
		char *name = line + pos;
		name[strcspn(name, "\n")] = 0;
		if (*name != '/')
			continue;
		char *del = strstr(name, " (deleted)");
		if (del)
			*del = 0;
		EFile *ef = file_get(name);
		if (ef && grow((void **)&p->maps, &p->capmaps, p->nmaps + 1, sizeof *p->maps))
			p->maps[p->nmaps++] = (Mapping){ start, end, pgoff, ef };
	}
	fclose(f);
}

static Proc *proc_get(uint32_t pid, bool create)
{
	for (Proc *p = procs; p; p = p->next)
		if (p->pid == pid)
			return p;
	if (!create || !pid)
		return NULL;
	Proc *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->pid = pid;
	p->next = procs;
	procs = p;
	return p;
}

static bool alive(uint32_t pid)
{
	return pid && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

static void learn(Proc *p, EFile *f, uint64_t bias)
{
	for (size_t i = 0; i < p->nmods; i++)
		if (p->mods[i].file == f) {
			p->mods[i].bias = bias;
			return;
		}
	if (grow((void **)&p->mods, &p->capmods, p->nmods + 1, sizeof *p->mods))
		p->mods[p->nmods++] = (Module){ f, bias };
}

/* addr in process p through what is known of it; false if nothing covers it. */
static bool proc_lookup(Proc *p, uint64_t addr, SymInfo *si)
{
	for (size_t i = 0; i < p->nmaps; i++) {
		const Mapping *m = &p->maps[i];
		if (addr >= m->start && addr < m->end) {
			uint64_t v;
			if (!off_to_vaddr(m->file, addr - m->start + m->pgoff, &v))
				continue;
			file_lookup(m->file, v, si);
			return true;
		}
	}
	for (size_t i = 0; i < p->nmods; i++) {
		const Module *m = &p->mods[i];
		file_head(m->file);
		uint64_t v = addr - m->bias;
		if (m->file->nsegs && v >= m->file->lo && v < m->file->hi) {
			file_lookup(m->file, v, si);
			return true;
		}
	}
	return false;
}

static int cmp_newest(const void *a, const void *b)
{
	const Proc *x = *(Proc *const *)a, *y = *(Proc *const *)b;
	return x->serial > y->serial ? -1 : x->serial < y->serial;
}

static void sym_user(uint32_t pid, uint64_t addr, SymInfo *si)
{
	memset(si, 0, sizeof *si);
	if (!addr)
		return;
	if (pid) {
		Proc *p = proc_get(pid, true);
		if (!p)
			return;
		if (proc_lookup(p, addr, si))
			return;
		/* the process may have mapped more since: read again (not too often) */
		if (now_s() - p->maps_time > 0.05 && alive(pid)) {
			read_maps(p);
			proc_lookup(p, addr, si);
		}
		return;
	}
	/* no process given (begin and end probes): the target first, then
	 * the processes heard of, newest first */
	Proc *t = proc_get(target_pid, target_pid && alive(target_pid));
	if (t) {
		if (!t->maps_time)
			read_maps(t);
		if (proc_lookup(t, addr, si))
			return;
	}
	size_t n = 0;
	for (Proc *p = procs; p; p = p->next)
		n++;
	Proc **order = malloc(sizeof *order * (n + 1));
	if (!order)
		return;
	n = 0;
	for (Proc *p = procs; p; p = p->next)
		if (p != t)
			order[n++] = p;
	qsort(order, n, sizeof *order, cmp_newest);
	for (size_t i = 0; i < n; i++)
		if (proc_lookup(order[i], addr, si))
			break;
	free(order);
}

/* Heard of process pid: read its maps now, while it (probably) lives. */
static Proc *proc_heard(uint32_t pid)
{
	Proc *p = proc_get(pid, true);
	if (!p)
		return NULL;
	p->serial = ++serial;
	if ((!p->maps_time || now_s() - p->maps_time > 0.05) && alive(pid))
		read_maps(p);
	return p;
}

/* Frame i of a user stack record: its symbol, learning the bias of its
 * file in the process when the frame has a build id and an address. */
static void sym_user_frame(Proc *p, uint64_t ip, bool have_ip, const struct bstap_build_id_frame *b, SymInfo *si)
{
	memset(si, 0, sizeof *si);
	if (b && b->status == 1) {
		uint8_t bid[BID_MAX] = { 0 };
		memcpy(bid, b->build_id, BID_MAX);
		EFile *f = file_by_bid(bid);
		uint64_t v;
		if (f && off_to_vaddr(f, b->offset_or_ip, &v)) {
			if (p && have_ip)
				learn(p, f, ip - v);
			file_lookup(f, v, si);
			return;
		}
	}
	if (b && b->status == 2 && !have_ip) {
		ip = b->offset_or_ip;
		have_ip = true;
	}
	if (have_ip)
		sym_user(p ? p->pid : 0, ip, si);
}

/* ------------------------------------------------------------ text */

static void put_data(OutBuf *out, uint64_t addr, const SymInfo *si)
{
	if (si->name && si->mod)
		ob_printf(out, "%s+0x%llx/0x%llx [%s]", si->name, (unsigned long long)si->off,
		          (unsigned long long)si->size, si->mod);
	else if (si->name)
		ob_printf(out, "%s+0x%llx/0x%llx", si->name, (unsigned long long)si->off, (unsigned long long)si->size);
	else if (si->mod)
		ob_printf(out, "0x%llx [%s+0x%llx/0x%llx]", (unsigned long long)addr, si->mod,
		          (unsigned long long)si->modoff, (unsigned long long)si->modsize);
	else
		ob_printf(out, "0x%llx", (unsigned long long)addr);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* One frame as print_backtrace prints it; with fileline (and a source
 * file known) as print_backtrace_fileline: " at FILE[:LINE]" after the
 * symbol, before the module. */
static void put_full(OutBuf *out, uint64_t addr, const SymInfo *si, bool fileline)
{
	const char *src = NULL;
	int line = 0;
	if (fileline && (si->name || si->mod))
		sym_line(si, &src, &line);
	ob_printf(out, " 0x%llx", (unsigned long long)addr);
	if (si->name && src) {
		ob_printf(out, " : %s+0x%llx/0x%llx at %s", si->name, (unsigned long long)si->off,
		          (unsigned long long)si->size, src);
		if (line)
			ob_printf(out, ":%d", line);
		if (si->mod)
			ob_printf(out, " [%s]", si->mod);
	} else if (si->name) {
		ob_puts(out, " : ");
		put_data(out, addr, si);
	} else if (si->mod) {
		ob_printf(out, " [%s+0x%llx/0x%llx]", si->mod, (unsigned long long)si->modoff,
		          (unsigned long long)si->modsize);
		if (src)
			ob_printf(out, line ? " at %s:%d" : " at %s", src, line);
	}
	ob_putc(out, '\n');
}

/* symline(), symfile(), symfileline() and their u* twins: what is known
 * of the source position, else the address in hex. */
static void put_line(OutBuf *out, int kind, uint64_t addr, const SymInfo *si)
{
	const char *src;
	int line;
	sym_line(si, &src, &line);
	switch (toupper(kind)) {
	case BSTAP_SYM_LINE:
		if (line) {
			ob_printf(out, "%d", line);
			return;
		}
		break;
	case BSTAP_SYM_FILE:
		if (src) {
			ob_puts(out, src);
			return;
		}
		break;
	default: /* BSTAP_SYM_FILELINE */
		if (src && line)
			ob_printf(out, "%s:%d", src, line);
		else if (src)
			ob_puts(out, src);
		else if (line)
			ob_printf(out, "??:%d", line);
		if (src || line)
			return;
		break;
	}
	ob_printf(out, "0x%llx", (unsigned long long)addr);
}

/* One frame as print_ubacktrace_brief prints it: symbol+offset, or the address. */
static void put_brief(OutBuf *out, uint64_t addr, const SymInfo *si)
{
	if (si->name)
		ob_printf(out, "%s+0x%llx\n", si->name, (unsigned long long)si->off);
	else
		ob_printf(out, "0x%llx\n", (unsigned long long)addr);
}

/* One line of sprint_backtrace: symbol+offset [module base name]. */
static void put_simple(OutBuf *out, uint64_t addr, const SymInfo *si)
{
	if (si->name)
		ob_printf(out, "%s+0x%llx", si->name, (unsigned long long)si->off);
	else
		ob_printf(out, "0x%llx", (unsigned long long)addr);
	if (si->name && si->mod)
		ob_printf(out, " [%s]", base_name(si->mod));
	else if (si->mod)
		ob_printf(out, " [%s+0x%llx]", base_name(si->mod), (unsigned long long)si->modoff);
	ob_putc(out, '\n');
}

static void resolve(bool user, uint32_t pid, uint64_t addr, SymInfo *si)
{
	if (user)
		sym_user(pid, addr, si);
	else
		sym_kernel(addr, si);
}

/* The addresses of a string ("0x... 0x... "): each one's text.  With
 * whole_only, an address not followed by a space (cut) is left out. */
static void put_addrs(OutBuf *out, int kind, uint32_t pid, const char *s, size_t n, bool whole_only)
{
	bool user = islower(kind);
	size_t i = 0;
	while (i < n) {
		while (i < n && isspace((unsigned char)s[i]))
			i++;
		size_t st = i;
		while (i < n && !isspace((unsigned char)s[i]))
			i++;
		if (i == st || (whole_only && i == n))
			break;
		char tok[32];
		size_t tl = i - st < sizeof tok - 1 ? i - st : sizeof tok - 1;
		memcpy(tok, s + st, tl);
		tok[tl] = 0;
		char *end;
		uint64_t addr = strtoull(tok, &end, 16);
		if (*end)
			continue;
		SymInfo si;
		resolve(user, pid, addr, &si);
		switch (toupper(kind)) {
		case BSTAP_SYM_BACKTRACE:
			put_simple(out, addr, &si);
			break;
		default: /* BSTAP_SYM_STACK: print_stack, sprint_stack, print_syms ... */
			ob_printf(out, " %s : ", tok);
			put_data(out, addr, &si);
			ob_putc(out, '\n');
			break;
		}
	}
}

void sym_text(OutBuf *out, int kind, uint32_t pid, uint64_t addr, const char *s, size_t n)
{
	SymInfo si;
	switch (kind) {
	case BSTAP_SYM_NAME: case BSTAP_SYM_UNAME:
		resolve(kind == BSTAP_SYM_UNAME, pid, addr, &si);
		if (si.name)
			ob_puts(out, si.name);
		else
			ob_printf(out, "0x%llx", (unsigned long long)addr);
		break;
	case BSTAP_SYM_DATA: case BSTAP_SYM_UDATA:
		resolve(kind == BSTAP_SYM_UDATA, pid, addr, &si);
		put_data(out, addr, &si);
		break;
	case BSTAP_SYM_STACK: case BSTAP_SYM_USTACK: case BSTAP_SYM_BACKTRACE: case BSTAP_SYM_UBACKTRACE:
		put_addrs(out, kind, pid, s ? s : "", s ? n : 0, false);
		break;
	case BSTAP_SYM_LINE: case BSTAP_SYM_ULINE: case BSTAP_SYM_FILE: case BSTAP_SYM_UFILE:
	case BSTAP_SYM_FILELINE: case BSTAP_SYM_UFILELINE:
		resolve(islower(kind), pid, addr, &si);
		put_line(out, kind, addr, &si);
		break;
	case BSTAP_SYM_MOD:
		/* "" when unknown: modname() reports the error */
		resolve(false, pid, addr, &si);
		if (si.mod)
			ob_puts(out, si.mod);
		break;
	case BSTAP_SYM_UMOD:
		resolve(true, pid, addr, &si);
		ob_puts(out, si.mod ? si.mod : "<unknown>");
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------ tokens */

bool sym_has_token(const char *s, size_t n)
{
	return memchr(s, BSTAP_SYMTOK_START, n) != NULL;
}

/* The kinds that take a string of addresses (the others take one). */
static bool is_stack_kind(int kind)
{
	switch (kind) {
	case BSTAP_SYM_STACK: case BSTAP_SYM_USTACK: case BSTAP_SYM_BACKTRACE: case BSTAP_SYM_UBACKTRACE:
		return true;
	default:
		return false;
	}
}

void sym_expand(OutBuf *out, const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		const char *st = memchr(s + i, BSTAP_SYMTOK_START, n - i);
		if (!st) {
			ob_write(out, s + i, n - i);
			return;
		}
		ob_write(out, s + i, (size_t)(st - (s + i)));
		size_t j = (size_t)(st - s) + 1;
		const char *end = memchr(s + j, BSTAP_SYMTOK_END, n - j);
		size_t tend = end ? (size_t)(end - s) : n;
		/* KIND PID ':' ADDRESSES */
		if (j < tend) {
			int kind = (unsigned char)s[j++];
			uint32_t pid = 0;
			while (j < tend && isxdigit((unsigned char)s[j])) {
				int c = tolower((unsigned char)s[j++]);
				pid = pid * 16 + (uint32_t)(isdigit(c) ? c - '0' : c - 'a' + 10);
			}
			if (j < tend && s[j] == ':')
				j++;
			if (!is_stack_kind(kind)) {
				char tok[32];
				size_t k = 0;
				while (j < tend && isspace((unsigned char)s[j]))
					j++;
				while (j < tend && !isspace((unsigned char)s[j]) && k < sizeof tok - 1)
					tok[k++] = s[j++];
				tok[k] = 0;
				if (k)
					sym_text(out, kind, pid, strtoull(tok, NULL, 16), NULL, 0);
			} else {
				put_addrs(out, kind, pid, s + j, tend - j, true);
			}
		}
		i = end ? tend + 1 : n;
	}
}

/* ------------------------------------------------------------ records */

void sym_stack_record(OutBuf *out, uint32_t flags, const void *payload, size_t size)
{
	struct bstap_stack st;
	memset(&st, 0, sizeof st);
	size_t head = offsetof(struct bstap_stack, ips);
	if (size < head)
		return;
	memcpy(&st, payload, size < sizeof st ? size : sizeof st);
	bool user = flags & BSTAP_STACK_USER;
	int nips = st.nbytes > 0 ? st.nbytes / 8 : 0;
	int nbid = user && st.nbid > 0 ? st.nbid / (int)sizeof(struct bstap_build_id_frame) : 0;
	if (nips > BSTAP_MAXBACKTRACE)
		nips = BSTAP_MAXBACKTRACE;
	if (nbid > BSTAP_MAXBACKTRACE)
		nbid = BSTAP_MAXBACKTRACE;
	/* what the record holds, not more */
	if ((size_t)nips * 8 > size - head)
		nips = (int)((size - head) / 8);
	size_t bidoff = offsetof(struct bstap_stack, bids);
	if (size < bidoff + (size_t)nbid * sizeof(struct bstap_build_id_frame))
		nbid = size > bidoff ? (int)((size - bidoff) / sizeof(struct bstap_build_id_frame)) : 0;
	Proc *p = user ? proc_heard(st.pid) : NULL;
	/* the two walks pair up frame by frame only when they agree */
	bool paired = nbid == nips;
	int n = nips > nbid ? nips : nbid;
	for (int i = 0; i < n; i++) {
		SymInfo si;
		uint64_t ip = i < nips ? st.ips[i] : 0;
		if (user) {
			const struct bstap_build_id_frame *b = paired || !nips ? &st.bids[i] : NULL;
			if (i >= nbid)
				b = NULL;
			sym_user_frame(p, ip, i < nips, b, &si);
			if (i >= nips && b && b->status == 2)
				ip = b->offset_or_ip;
		} else {
			sym_kernel(ip, &si);
		}
		if ((flags & BSTAP_STACK_PRINT) && out) {
			if (flags & BSTAP_STACK_BRIEF)
				put_brief(out, ip, &si);
			else
				put_full(out, ip, &si, flags & BSTAP_STACK_FILELINE);
		}
	}
}

void sym_stack_str_record(OutBuf *out, uint32_t flags, const void *payload, size_t size)
{
	struct bstap_stack_str h;
	if (size < sizeof h)
		return;
	memcpy(&h, payload, sizeof h);
	const char *s = (const char *)payload + sizeof h;
	size_t n = strnlen(s, size - sizeof h);
	bool user = flags & BSTAP_STACK_USER;
	if (user && h.pid)
		proc_heard(h.pid);
	if (flags & BSTAP_STACK_PRINT)
		put_addrs(out, user ? BSTAP_SYM_USTACK : BSTAP_SYM_STACK, h.pid, s, n, false);
}

/* ------------------------------------------------------------ setup */

void sym_add_file(const char *path)
{
	char real[PATH_MAX];
	if (path && *path && realpath(path, real))
		file_get(real);
}

void sym_set_target(uint32_t pid)
{
	target_pid = pid;
}

void sym_reset(void)
{
	while (procs) {
		Proc *p = procs;
		procs = p->next;
		free(p->maps);
		free(p->mods);
		free(p);
	}
	while (files) {
		EFile *f = files;
		files = f->next;
		free(f->segs);
		free(f->needed);
		free(f->syms);
		free(f);
	}
	files_tail = &files;
	free(ks.v);
	memset(&ks, 0, sizeof ks);
	free(missing.v);
	memset(&missing, 0, sizeof missing);
	free(scanned.v);
	memset(&scanned, 0, sizeof scanned);
	scanned_dirs = false;
	while (chunks) {
		Chunk *c = chunks;
		chunks = c->next;
		free(c);
	}
	target_pid = 0;
	serial = 0;
	lines_reset();
}
