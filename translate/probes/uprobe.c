/* uprobe.c - process("PATH").function("PATTERN[@FILE[:LINE]]")[.call|.return],
 * process("PATH").statement("FUNC@FILE:LINE"), the same after
 * .library("LIB"), and process(PID).
 *
 * Programs are BPF_PROG_TYPE_KPROBE on uprobes (uretprobes for .return):
 * the context is the task's saved struct pt_regs.  A function probe goes on
 * the function's first instruction, where parameters are read through the
 * calling convention or location lists (dwarf_loc.c), not after the
 * prologue as stap does: the entry is usually a push that uprobes emulate,
 * while the instruction after the prologue has to be single-stepped (tens
 * of microseconds per hit instead of one).  usdt.c shares the binary
 * lookup, the expansion and the probe table entry. */
#include <errno.h>
#include <fnmatch.h>
#include <glob.h>
#include <gelf.h>
#include <limits.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "translate/sema.h"

static bool match_process(const ProbePoint *pp)
{
	if (pp->ncomps < 2 || strcmp(pp->comps[0].name, "process"))
		return false;
	int i = 1;
	if (!strcmp(pp->comps[i].name, "library") && pp->ncomps > 2)
		i++;
	return !strcmp(pp->comps[i].name, "function") || !strcmp(pp->comps[i].name, "statement");
}

/* ------------------------------------------------------------ binaries */

static bool is_exec_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* A path as stap takes it: with a '/', relative to the current directory;
 * without, searched on $PATH.  The canonical absolute path, or NULL. */
static char *find_program(Session *s, const char *name)
{
	char buf[PATH_MAX];
	if (strchr(name, '/'))
		return realpath(name, buf) ? arena_strdup(s->arena, buf) : NULL;
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");
		const char *cand = arena_printf(s->arena, "%.*s/%s", (int)n, n ? path : ".", name);
		if (is_exec_file(cand) && realpath(cand, buf))
			return arena_strdup(s->arena, buf);
		path += n + (path[n] == ':');
	}
	return NULL;
}

typedef struct Libs {
	const char **paths;
	int n, cap;
} Libs;

static bool lib_seen(const Libs *l, const char *p)
{
	for (int i = 0; i < l->n; i++)
		if (!strcmp(l->paths[i], p))
			return true;
	return false;
}

/* Call fn with the string of each dynamic entry of elf tagged tag1 or tag2. */
static void each_dyn_string(Elf *elf, int64_t tag1, int64_t tag2, void (*fn)(const char *str, void *ctx), void *ctx)
{
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn));) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC || !sh.sh_entsize)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		for (size_t i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Dyn dyn;
			const char *str;
			if (gelf_getdyn(d, (int)i, &dyn) && (dyn.d_tag == tag1 || dyn.d_tag == tag2) &&
			    (str = elf_strptr(elf, sh.sh_link, dyn.d_un.d_val)))
				fn(str, ctx);
		}
	}
}

typedef struct {
	Session *s;
	const char *origin;
	const char *dirs;
} Dirs;

/* An RPATH/RUNPATH: its directories, with $ORIGIN expanded. */
static void add_rpath(const char *rp, void *ctx)
{
	Dirs *d = ctx;
	while (*rp) {
		size_t n = strcspn(rp, ":");
		const char *dir = arena_strndup(d->s->arena, rp, n);
		if (!strncmp(dir, "$ORIGIN", 7))
			dir = arena_printf(d->s->arena, "%s%s", d->origin, dir + 7);
		else if (!strncmp(dir, "${ORIGIN}", 9))
			dir = arena_printf(d->s->arena, "%s%s", d->origin, dir + 9);
		d->dirs = arena_printf(d->s->arena, "%s%s:", d->dirs, dir);
		rp += n + (rp[n] == ':');
	}
}

/* The directories the dynamic loader searches for a NEEDED entry of
 * `elf` (RPATH/RUNPATH with $ORIGIN, LD_LIBRARY_PATH, the defaults). */
static const char *search_dirs(Session *s, Elf *elf, const char *origin)
{
	Dirs d = { s, origin, "" };
	each_dyn_string(elf, DT_RPATH, DT_RUNPATH, add_rpath, &d);
	const char *ld = getenv("LD_LIBRARY_PATH");
	return arena_printf(s->arena, "%s%s%s/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu:/lib64:/usr/lib64:"
	                    "/lib:/usr/lib:/usr/local/lib", d.dirs, ld ? ld : "", ld ? ":" : "");
}

typedef struct {
	Session *s;
	const char *pat, *dirs;
	Libs *l, *visited;
	int depth;
} Needed;

static void find_libs(Session *s, const char *bin, const char *pat, Libs *l, Libs *visited, int depth);

/* One NEEDED entry: where the loader would find it; kept when it matches. */
static void add_needed(const char *name, void *ctx)
{
	Needed *nd = ctx;
	char buf[PATH_MAX];
	const char *found = NULL;
	for (const char *p = nd->dirs; *p && !found;) {
		size_t n = strcspn(p, ":");
		const char *cand = arena_printf(nd->s->arena, "%.*s/%s", (int)n, p, name);
		if (access(cand, R_OK) == 0 && realpath(cand, buf))
			found = arena_strdup(nd->s->arena, buf);
		p += n + (p[n] == ':');
	}
	if (!found)
		return;
	const char *base = strrchr(found, '/') + 1;
	if ((!fnmatch(nd->pat, name, 0) || !fnmatch(nd->pat, base, 0) || !fnmatch(nd->pat, found, 0)) &&
	    !lib_seen(nd->l, found)) {
		nd->l->paths = arena_grow(nd->s->arena, nd->l->paths, &nd->l->cap, nd->l->n + 1, sizeof(char *));
		nd->l->paths[nd->l->n++] = found;
	}
	find_libs(nd->s, found, nd->pat, nd->l, nd->visited, nd->depth + 1);
}

/* The shared libraries `bin` needs (and theirs) whose name or path matches
 * glob `pat`, added to l. */
static void find_libs(Session *s, const char *bin, const char *pat, Libs *l, Libs *visited, int depth)
{
	char err[256];
	DwFile *f;
	if (depth > 4 || lib_seen(visited, bin) || !(f = dw_open(s, bin, err, sizeof err)))
		return;
	visited->paths = arena_grow(s->arena, visited->paths, &visited->cap, visited->n + 1, sizeof(char *));
	visited->paths[visited->n++] = bin;
	char *origin = arena_strdup(s->arena, bin);
	*strrchr(origin, '/') = 0;
	Needed nd = { s, pat, search_dirs(s, dw_elf(f), origin), l, visited, depth };
	each_dyn_string(dw_elf(f), DT_NEEDED, DT_NEEDED, add_needed, &nd);
}

static DwFile *open_or_say(Session *s, const char *path, const char *what, const SrcLoc *loc)
{
	char err[256];
	DwFile *f = dw_open(s, path, err, sizeof err);
	if (!f)
		diag_at(DIAG_ERROR, "semantic error", loc, "cannot probe %s '%s': %s", what, path, err);
	return f;
}

/* process("/usr/bin/ba?h"): every executable a pattern names, as stap
 * expands it (no library of several programs). */
static int glob_programs(Session *s, const ProbePoint *pp, UprobeBins *b)
{
	const Node *arg = pp->comps[0].arg;
	if (!strcmp(pp->comps[1].name, "library") && pp->ncomps > 2) {
		diag_at(DIAG_ERROR, "semantic error", &arg->loc,
		        "process(\"%s\").library(...): name one program, not a pattern, to find its libraries", arg->str);
		return -1;
	}
	glob_t g;
	int n = 0;
	if (glob(arg->str, 0, NULL, &g) == 0) {
		b->f = arena_alloc(s->arena, sizeof *b->f * g.gl_pathc);
		b->text = arena_alloc(s->arena, sizeof *b->text * g.gl_pathc);
		for (size_t i = 0; i < g.gl_pathc; i++) {
			char buf[PATH_MAX];
			if (!is_exec_file(g.gl_pathv[i]) || !realpath(g.gl_pathv[i], buf))
				continue;
			bool seen = false; /* /bin/x and /usr/bin/x are one file */
			for (int k = 0; k < n && !seen; k++)
				seen = !strcmp(dw_path(b->f[k]), buf);
			if (seen)
				continue;
			DwFile *f = open_or_say(s, buf, "executable", &arg->loc);
			if (!f) {
				globfree(&g);
				return -1;
			}
			b->f[n] = f;
			b->text[n++] = arena_printf(s->arena, "process(\"%s\")", dw_path(f));
		}
		globfree(&g);
	}
	b->n = n;
	if (!n && !pp->optional) {
		diag_at(DIAG_ERROR, "semantic error", &arg->loc, "no executable matches '%s'", arg->str);
		return -1;
	}
	return 1;
}

int uprobe_binaries(Session *s, ProbeInst *inst, UprobeBins *b)
{
	const ProbePoint *pp = inst->pp;
	const PPComp *pc = &pp->comps[0];
	*b = (UprobeBins){0};
	const char *prog;
	if (!pc->arg) {
		diag_at(DIAG_ERROR, "semantic error", &pc->loc,
		        "process probes need the program: process(\"PATH\") or process(PID) (the -c or -x "
		        "target's is not supported yet)");
		return -1;
	}
	if (pc->arg->kind == AST_NUM) {
		/* process(PID): that process's executable, that process only */
		char buf[PATH_MAX];
		ssize_t n = readlink(arena_printf(s->arena, "/proc/%lld/exe", (long long)pc->arg->num), buf,
		                     sizeof buf - 1);
		if (pc->arg->num <= 0 || pc->arg->num > INT_MAX || n <= 0) {
			diag_at(DIAG_ERROR, "semantic error", &pc->arg->loc, "no process %lld to probe",
			        (long long)pc->arg->num);
			return -1;
		}
		buf[n] = 0;
		prog = arena_strdup(s->arena, buf);
		b->pid = (int)pc->arg->num;
	} else if (strpbrk(pc->arg->str, "*?[")) {
		return glob_programs(s, pp, b);
	} else {
		prog = find_program(s, pc->arg->str);
		if (!prog) {
			diag_at(DIAG_ERROR, "semantic error", &pc->arg->loc, "cannot find executable '%s'%s",
			        pc->arg->str, strchr(pc->arg->str, '/') ? "" : " on $PATH");
			return -1;
		}
	}
	DwFile *main = open_or_say(s, prog, "executable", &pc->arg->loc);
	if (!main)
		return -1;
	const char *ptext = b->pid ? arena_printf(s->arena, "process(%d)", b->pid)
	                         : arena_printf(s->arena, "process(\"%s\")", prog);
	if (strcmp(pp->comps[1].name, "library") || pp->ncomps < 3) {
		b->f = arena_alloc(s->arena, sizeof *b->f);
		b->text = arena_alloc(s->arena, sizeof *b->text);
		b->f[0] = main;
		b->text[0] = ptext;
		b->n = 1;
		return 1;
	}
	const PPComp *lc = &pp->comps[1];
	if (!lc->arg || lc->arg->kind != AST_STR) {
		diag_at(DIAG_ERROR, "semantic error", &lc->loc, "library needs a \"LIBRARY\" argument");
		return -1;
	}
	Libs libs = {0}, visited = {0};
	char buf[PATH_MAX];
	if (strchr(lc->arg->str, '/') && !strpbrk(lc->arg->str, "*?[")) {
		if (!realpath(lc->arg->str, buf)) {
			diag_at(DIAG_ERROR, "semantic error", &lc->arg->loc, "cannot find library '%s': %s",
			        lc->arg->str, strerror(errno));
			return -1;
		}
		libs.paths = arena_alloc(s->arena, sizeof(char *));
		libs.paths[libs.n++] = arena_strdup(s->arena, buf);
	} else {
		find_libs(s, prog, lc->arg->str, &libs, &visited, 0);
	}
	if (!libs.n) {
		if (pp->optional)
			return 0;
		diag_at(DIAG_ERROR, "semantic error", &lc->arg->loc, "no library of %s matches '%s'",
		        uprobe_spelled(s, pp, 1), lc->arg->str);
		return -1;
	}
	b->f = arena_alloc(s->arena, sizeof *b->f * (size_t)libs.n);
	b->text = arena_alloc(s->arena, sizeof *b->text * (size_t)libs.n);
	for (int i = 0; i < libs.n; i++) {
		DwFile *f = open_or_say(s, libs.paths[i], "library", &lc->arg->loc);
		if (!f)
			return -1;
		b->f[b->n] = f;
		b->text[b->n++] = arena_printf(s->arena, "%s.library(\"%s\")", ptext, libs.paths[i]);
	}
	return 2;
}

/* The binary as the probe point spells it, for messages: "'ls'",
 * "process 42", "library 'libc.so.6'". */
const char *uprobe_spelled(Session *s, const ProbePoint *pp, int k)
{
	const Node *a = pp->comps[k > 1 ? 1 : 0].arg;
	if (k > 1)
		return arena_printf(s->arena, "library '%s'", a->str);
	return a->kind == AST_NUM ? arena_printf(s->arena, "process %lld", (long long)a->num)
	                          : arena_printf(s->arena, "'%s'", a->str);
}

/* ------------------------------------------------------------ expansion */

static int by_pp(const void *a, const void *b)
{
	return strcmp((*(UprobeSite *const *)a)->pp, (*(UprobeSite *const *)b)->pp);
}

void uprobe_expand(Session *s, ProbeInst *inst, void (*more)(Session *, ProbeInst *, const char *, void *),
                   UprobeSite **sites, int n)
{
	qsort(sites, (size_t)n, sizeof *sites, by_pp);
	for (int i = 0; i < n - 1; i++) {
		more(s, inst, sites[i]->pp, sites[i]);
		/* the new instance's name is ours, not `more`'s spelling */
		s->probes[s->nprobes - 1]->pp_text = sites[i]->pp;
	}
	inst->pdata = sites[n - 1];
	inst->pp_text = sites[n - 1]->pp;
}

static int resolve_process(Session *s, ProbeInst *inst,
                           void (*more)(Session *, ProbeInst *, const char *, void *))
{
	UprobeBins bins;
	int k = uprobe_binaries(s, inst, &bins);
	if (k < 0)
		return -1;
	const ProbePoint *pp = inst->pp;
	const PPComp *fc = &pp->comps[k];
	bool stmt = !strcmp(fc->name, "statement");
	bool is_return = false;
	for (int i = k + 1; i < pp->ncomps; i++) {
		const char *nm = pp->comps[i].name;
		if (!stmt && !strcmp(nm, "return") && i == pp->ncomps - 1) {
			is_return = true;
		} else if (stmt || strcmp(nm, "call") || i != pp->ncomps - 1) {
			diag_at(DIAG_ERROR, "semantic error", &pp->comps[i].loc,
			        "'.%s' after %s is not supported (only .call and .return after function)", nm, fc->name);
			return -1;
		}
	}
	if (!fc->arg || fc->arg->kind != AST_STR) {
		diag_at(DIAG_ERROR, "semantic error", &fc->loc, "%s needs a \"PATTERN\" argument", fc->name);
		return -1;
	}
	const char *func, *file;
	int line;
	dw_split_spec(s->arena, fc->arg->str, &func, &file, &line);
	if (stmt && (!file || !line)) {
		diag_at(DIAG_ERROR, "semantic error", &fc->arg->loc,
		        "statement needs \"FUNCTION@FILE:LINE\" (a line number)");
		return -1;
	}
	UprobeSite **all = NULL;
	int n = 0, cap = 0;
	for (int b = 0; b < bins.n; b++) {
		DwFile *f = bins.f[b];
		DwSite *ds;
		int nd = stmt ? dw_statements(f, func, file, line, s->arena, &ds)
		              : dw_functions(f, func, file, line, s->arena, &ds);
		for (int i = 0; i < nd; i++) {
			UprobeSite *u = arena_alloc(s->arena, sizeof *u);
			u->f = f;
			u->site = ds[i];
			u->is_return = is_return;
			u->pid = bins.pid;
			if (!dw_file_offset(f, ds[i].addr, &u->offset)) {
				diag_at(DIAG_ERROR, "semantic error", &fc->arg->loc,
				        "cannot probe '%s' in %s: address 0x%llx is in no loadable segment", ds[i].func,
				        dw_path(f), (unsigned long long)ds[i].addr);
				return -1;
			}
			u->pp = arena_printf(s->arena, "%s.%s(\"%s\")%s", bins.text[b], stmt ? "statement" : "function",
			                     dw_site_name(s->arena, &ds[i]), is_return ? ".return" : "");
			all = arena_grow(s->arena, all, &cap, n + 1, sizeof *all);
			all[n++] = u;
		}
	}
	if (n == 0) {
		if (pp->optional)
			return 1;
		if (stmt)
			diag_at(DIAG_ERROR, "semantic error", &fc->arg->loc,
			        "no match for probe point: no statement at %s:%d in a function matching '%s'%s", file,
			        line, func, bins.n && !dw_has_debuginfo(bins.f[0]) ? " (no debug information)" : "");
		else
			diag_at(DIAG_ERROR, "semantic error", &fc->arg->loc,
			        "no match for probe point: no function matching '%s' in %s", fc->arg->str,
			        uprobe_spelled(s, pp, k));
		return -1;
	}
	uprobe_expand(s, inst, more, all, n);
	return 0;
}

static int target_process(Session *s, ProbeInst *inst, Node *n, Access *acc)
{
	const UprobeSite *u = inst->pdata;
	return dw_target(s, u->f, &u->site, u->is_return, n, acc);
}

static const char *process_vars(Session *s, const ProbeInst *inst)
{
	const UprobeSite *u = inst->pdata;
	return dw_list_vars(s, u->f, &u->site, u->is_return);
}

/* ------------------------------------------------------------ the object */

/* Sleepable programs (".s"), so that reading user memory can bring in
 * pages the process has not touched yet (bpf_copy_from_user). */
const char *uprobe_section(const ProbeInst *inst, Arena *a)
{
	const UprobeSite *u = inst->pdata;
	return arena_printf(a, "%s/%s", u->is_return ? "uretprobe.s" : "uprobe.s", u->site.func);
}

const char *uprobe_attach_target(const ProbeInst *inst)
{
	/* bpf_abi.h: "off=0x..,ret=0|1,ref=0x..,pid=N,path=PATH" (path last) */
	const UprobeSite *u = inst->pdata;
	static char buf[4096 + 128];
	snprintf(buf, sizeof buf, "off=0x%llx,ret=%d,ref=0x%llx,pid=%d,path=%s", (unsigned long long)u->offset,
	         u->is_return, (unsigned long long)u->semaphore, u->pid, dw_path(u->f));
	return buf;
}

const Provider provider_process = {
	.name = "process", .matches = match_process, .resolve = resolve_process, .target = target_process,
	.abi_kind = BSTAP_PROBE_UPROBE, .prog_type = BPF_PROG_TYPE_KPROBE, .section = uprobe_section,
	.attach_target = uprobe_attach_target, .list_vars = process_vars, .target_exprs = true,
};
