/* kprobe.c - kernel.function("PATTERN")[.call|.return] and
 * module("M").function("PATTERN")[.call|.return].
 *
 * Programs are BPF_PROG_TYPE_KPROBE in sections "kprobe/FUNC" and
 * "kretprobe/FUNC"; the runtime attaches them (runtime/attach_kprobe.c).
 *
 * With the kernel's DWARF (kdwarf.c: --kernel-debuginfo, or a vmlinux of
 * the running build in the usual places), vmlinux functions come from it
 * (wildcards and "FUNC@FILE[:LINE]" too), with their inlined instances
 * unless .call or .return: one probe per instance, at its entry pc, put
 * on the containing symbol at an offset ("SYM+0xOFF").  $params, locals,
 * $return, $$parms and member chains are then dwarf_value.c's, reading
 * kernel memory.  A function DWARF does not have goes the BTF way:
 *
 * Function names come from BTF FUNCs and /proc/kallsyms (text symbols;
 * "[mod]" marks a module's), wildcards match with fnmatch.  $param comes
 * from the BTF prototype and the x86-64 calling convention (the first six
 * arguments in di, si, dx, cx, r8, r9 of struct pt_regs, the result in
 * ax); members and arrays ($file->f_path->dentry) through btf_chain().
 *
 * Syscall entry points (sys_NAME, __x64_sys_NAME, __se_sys_NAME,
 * __do_sys_NAME) have a tracepoint, syscalls:sys_enter_NAME (.return:
 * sys_exit_NAME, whose `ret` is $return).  When the kernel has no kprobes,
 * or the name is no real function (sys_kill is not, on x86-64), such a
 * probe becomes that tracepoint, with a warning: its fields are the
 * syscall's parameters by the same names.  Any other function on a kernel
 * without kprobes compiles and loads, and fails to attach with a message
 * naming CONFIG_KPROBES; in a wildcard it is left out, with a warning.
 * DWARF of another build than the running kernel's (an explicit
 * --kernel-debuginfo) describes that kernel: its functions stay kprobes.
 *
 * Probe table: target "FUNC" (or "MOD:FUNC", "SYM+0xOFF"), arg 1 for a
 * return probe. */
#include <fnmatch.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "translate/sema.h"

/* One program per function: more is a mistake, not a trace */
#define KP_MAX_MATCHES 1000
#define KP_MAX_PARAMS 16

typedef struct KpData {
	const char *func;
	const char *module;       /* NULL: vmlinux */
	bool is_return;
	const struct btf *btf;    /* NULL: no type information */
	int32_t func_id;          /* its BTF FUNC, or -1 */
	DwFile *dw;               /* the kernel's DWARF describes it, at site
	                           * (kdwarf.c); NULL: BTF */
	DwSite site;
	const char *sym;          /* dw: the symbol the kprobe goes on */
	uint64_t sym_off;         /* and the offset in it (inlined instances) */
} KpData;

/* What a point names: kernel.function("F") or module("M").function("F"),
 * then .call, .return or nothing. */
typedef struct KpPoint {
	const char *module;       /* glob, NULL for kernel */
	const char *pattern;
	const SrcLoc *loc;        /* of the function pattern */
	int fcomp;                /* index of the function component */
	bool is_return;
	bool is_call;             /* .call: no inlined instances (stap's rule) */
} KpPoint;

static const Provider provider_kprobe_syscall;

static bool match_kp(const ProbePoint *pp)
{
	return pp->ncomps >= 2 && !strcmp(pp->comps[1].name, "function") &&
	       ((!strcmp(pp->comps[0].name, "kernel") && !pp->comps[0].arg) || !strcmp(pp->comps[0].name, "module"));
}

static bool is_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static bool kp_is_return(const ProbePoint *pp)
{
	return pp->ncomps == 3 && !strcmp(pp->comps[2].name, "return");
}

static int parse_point(Session *s, const ProbePoint *pp, KpPoint *kp)
{
	const PPComp *c = pp->comps;
	memset(kp, 0, sizeof *kp);
	if (!strcmp(c[0].name, "module")) {
		if (!c[0].arg || c[0].arg->kind != AST_STR) {
			diag_at(DIAG_ERROR, "semantic error", &c[0].loc, "module needs a \"NAME\" argument");
			return -1;
		}
		kp->module = c[0].arg->str;
	}
	kp->fcomp = 1;
	if (!c[1].arg || c[1].arg->kind != AST_STR) {
		diag_at(DIAG_ERROR, "semantic error", &c[1].loc, "function needs a \"PATTERN\" argument");
		return -1;
	}
	kp->pattern = c[1].arg->str;
	kp->loc = &c[1].arg->loc;
	if (pp->ncomps > 3 || (pp->ncomps == 3 && (c[2].arg || (strcmp(c[2].name, "call") &&
	                                                          strcmp(c[2].name, "return"))))) {
		const PPComp *bad = &c[pp->ncomps == 3 ? 2 : 3];
		diag_at(DIAG_ERROR, "semantic error", &bad->loc,
		        "no match for probe point: a kernel function probe takes .call or .return, not '.%s'",
		        bad->name);
		return -1;
	}
	kp->is_return = kp_is_return(pp);
	kp->is_call = pp->ncomps == 3 && !strcmp(c[2].name, "call");
	if ((strchr(kp->pattern, '@') || strchr(kp->pattern, ':')) && (kp->module || !kdw_get(s))) {
		diag_at(DIAG_ERROR, "semantic error", kp->loc,
		        "'%s': source files and lines need the kernel's debuginfo (--kernel-debuginfo=VMLINUX; "
		        "modules have none); name the function alone", kp->pattern);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ kernel facts */

static bool have_kprobes(Session *s)
{
	char path[512];
	snprintf(path, sizeof path, "%s/kprobe_events", s->tracefs);
	return access(path, F_OK) == 0 || access("/sys/bus/event_source/devices/kprobe/type", F_OK) == 0;
}

/* The syscall NAME that a function name stands for, or NULL. */
static const char *syscall_of(const char *func)
{
	static const char *const prefixes[] = {"__x64_sys_", "__se_sys_", "__do_sys_", "sys_"};
	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
		size_t n = strlen(prefixes[i]);
		if (!strncmp(func, prefixes[i], n) && func[n])
			return func + n;
	}
	return NULL;
}

/* The syscall tracepoint of func (entry or exit), or NULL. */
static TpFormat *syscall_tp(Session *s, const char *func, bool is_return)
{
	const char *sc = syscall_of(func);
	if (!sc)
		return NULL;
	return tracefs_format(s, "syscalls", arena_printf(s->arena, "sys_%s_%s", is_return ? "exit" : "enter", sc));
}

/* A function a pattern matched: from kallsyms (real), or a syscall's
 * own name that only its tracepoint stands for. */
typedef struct KpCand {
	const char *name, *module;
	bool real;
} KpCand;

typedef struct KpCands {
	Session *s;
	const char *pattern;
	KpCand *v;
	int n, cap;
} KpCands;

static void cand_add(KpCands *c, const char *name, const char *module, bool real)
{
	c->v = arena_grow(c->s->arena, c->v, &c->cap, c->n + 1, sizeof *c->v);
	c->v[c->n++] = (KpCand){ arena_strdup(c->s->arena, name), module ? arena_strdup(c->s->arena, module) : NULL,
	                         real };
}

/* The text symbols of /proc/kallsyms, read once per run: a script may ask
 * for hundreds of names, and the file is ~10 MB of text. */
typedef struct KSym {
	const char *name, *module; /* module NULL for vmlinux */
} KSym;

static KSym *ksym_cache;
static int nksyms, capksyms;
static bool ksyms_read, ksyms_failed;

static void ksyms_load(Session *s)
{
	ksyms_read = true;
	FILE *f = fopen("/proc/kallsyms", "re");
	if (!f) {
		ksyms_failed = true;
		return;
	}
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		char type, name[256], mod[128] = "";
		if (strlen(line) > 300 || sscanf(line, "%*s %c %255s [%127[^]]", &type, name, mod) < 2)
			continue; /* (names past 255 bytes are mangled Rust: not probed) */
		if (type != 't' && type != 'T' && type != 'w' && type != 'W')
			continue;
		if (strchr(name, '.') || !strncmp(name, "__pfx_", 6) || !strncmp(name, "__cfi_", 6))
			continue; /* compiler-made pieces (.cold, .isra) and padding */
		ksym_cache = arena_grow(s->arena, ksym_cache, &capksyms, nksyms + 1, sizeof *ksym_cache);
		ksym_cache[nksyms++] = (KSym){ arena_strdup(s->arena, name), *mod ? arena_strdup(s->arena, mod) : NULL };
	}
	free(line);
	fclose(f);
}

/* Text symbols of /proc/kallsyms: those of `module` (a glob; NULL for
 * vmlinux) whose name matches c->pattern.  -1 when it cannot be read. */
static int ksyms(KpCands *c, const char *module)
{
	if (!ksyms_read)
		ksyms_load(c->s);
	if (ksyms_failed)
		return -1;
	for (int i = 0; i < nksyms; i++) {
		const KSym *k = &ksym_cache[i];
		if (module ? !k->module || fnmatch(module, k->module, 0) : k->module != NULL)
			continue;
		if (fnmatch(c->pattern, k->name, 0) == 0)
			cand_add(c, k->name, k->module, true);
	}
	return c->n;
}

/* Is func a function of the kernel (or of module) we could kprobe? */
static bool is_function(Session *s, const char *module, const char *func)
{
	const struct btf *b;
	if (btf_find_func(s, module, func, &b) >= 0)
		return true;
	KpCands c = { .s = s, .pattern = func };
	return ksyms(&c, module) > 0;
}

/* ------------------------------------------------------------ instances */

/* The concrete point of one match: the pattern replaced by func. */
static void set_point(Session *s, ProbeInst *inst, const ProbePoint *pattern, const KpPoint *kp,
                      const char *func, const char *module)
{
	ProbePoint *pp = arena_alloc(s->arena, sizeof *pp);
	*pp = *pattern;
	pp->comps = arena_alloc(s->arena, sizeof(PPComp) * (size_t)pp->ncomps);
	memcpy(pp->comps, pattern->comps, sizeof(PPComp) * (size_t)pp->ncomps);
	PPComp *fc = &pp->comps[kp->fcomp];
	fc->arg = ast_str(s->arena, func, strlen(func), fc->arg->loc);
	if (module)
		pp->comps[0].arg = ast_str(s->arena, module, strlen(module), pp->comps[0].arg->loc);
	inst->pp = pp;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (f) {
		ProbePoint one = *pp;
		one.next = NULL;
		one.optional = one.sufficient = false;
		one.cond = NULL;
		ast_print_probe_point(f, &one);
		fclose(f);
		inst->pp_text = arena_strdup(s->arena, buf ? buf : "?");
	}
	free(buf);
}

static KpData *kprobe_data(Session *s, const char *func, const char *module, bool is_return)
{
	KpData *kd = arena_alloc(s->arena, sizeof *kd);
	kd->func = func;
	kd->module = module;
	kd->is_return = is_return;
	kd->func_id = btf_find_func(s, module, func, &kd->btf);
	return kd;
}

/* One exact name: a kprobe, or the syscall tracepoint. */
static int resolve_exact(Session *s, ProbeInst *inst, const KpPoint *kp)
{
	bool kprobes = have_kprobes(s);
	TpFormat *tp = kp->module ? NULL : syscall_tp(s, kp->pattern, kp->is_return);
	/* (without kprobes a syscall goes to its tracepoint anyway) */
	bool real = tp && !kprobes ? false : is_function(s, kp->module, kp->pattern);
	if (tp && (!kprobes || !real)) {
		diag_at(DIAG_WARNING, NULL, kp->loc, "kernel.function(\"%s\") is probed at tracepoint %s:%s: %s",
		        kp->pattern, tp->system, tp->event,
		        kprobes ? "there is no such kernel function to kprobe"
		                : "this kernel has no kprobes (CONFIG_KPROBES is not set)");
		inst->prov = &provider_kprobe_syscall;
		inst->pdata = tp;
		return 0;
	}
	if (!real) {
		if (inst->pp->optional)
			return 1;
		if (kp->module)
			diag_at(DIAG_ERROR, "semantic error", kp->loc,
			        "no match for probe point: function '%s' of module '%s' not found (is it loaded?)",
			        kp->pattern, kp->module);
		else
			diag_at(DIAG_ERROR, "semantic error", kp->loc,
			        "no match for probe point: kernel function '%s' not found", kp->pattern);
		return -1;
	}
	inst->pdata = kprobe_data(s, kp->pattern, kp->module, kp->is_return);
	return 0;
}

typedef struct Expand {
	Session *s;
	ProbeInst *inst;          /* the base instance: takes the first match */
	const ProbePoint *pattern;
	const KpPoint *kp;
	void (*more)(Session *, ProbeInst *, const char *, void *);
	int made, via_tp, dropped;
} Expand;

static void add_match(Expand *e, const Provider *prov, void *pdata, const char *func, const char *module)
{
	ProbeInst *inst = e->inst;
	if (e->made++ == 0) {
		inst->prov = prov;
		inst->pdata = pdata;
		set_point(e->s, inst, e->pattern, e->kp, func, module);
		return;
	}
	/* a copy of the base with this provider; resolve.c puts `func` in
	 * the last component, set_point puts it where it belongs */
	const Provider *base_prov = inst->prov;
	inst->prov = prov;
	e->more(e->s, inst, func, pdata);
	inst->prov = base_prov;
	set_point(e->s, e->s->probes[e->s->nprobes - 1], e->pattern, e->kp, func, module);
}

static void add_syscall(const char *system, const char *event, void *ctx)
{
	KpCands *c = ctx;
	/* "sys_NAME" is the syscall's canonical stap name */
	const char *name = arena_printf(c->s->arena, "sys_%s", event + strlen("sys_enter_"));
	if (fnmatch(c->pattern, name, 0) == 0)
		cand_add(c, name, NULL, false);
}

static bool same_func(const KpCand *x, const KpCand *y)
{
	return !strcmp(x->name, y->name) && !strcmp(x->module ? x->module : "", y->module ? y->module : "");
}

static int cand_cmp(const void *a, const void *b)
{
	const KpCand *x = a, *y = b;
	int r = strcmp(x->name, y->name);
	if (r)
		return r;
	r = strcmp(x->module ? x->module : "", y->module ? y->module : "");
	return r ? r : (int)y->real - (int)x->real; /* the real one first */
}

static int resolve_glob(Session *s, ProbeInst *inst, const KpPoint *kp,
                        void (*more)(Session *, ProbeInst *, const char *, void *))
{
	bool kprobes = have_kprobes(s);
	KpCands c = { .s = s, .pattern = kp->pattern };
	if (ksyms(&c, kp->module) < 0) {
		diag_at(DIAG_ERROR, "semantic error", kp->loc, "cannot read /proc/kallsyms to match '%s'", kp->pattern);
		return -1;
	}
	if (!kp->module)
		tracefs_list(s, "syscalls:sys_enter_*", add_syscall, &c);
	if (c.n)
		qsort(c.v, (size_t)c.n, sizeof *c.v, cand_cmp);
	Expand e = { s, inst, inst->pp, kp, more, 0, 0, 0 };
	TpFormat **used = arena_alloc(s->arena, sizeof *used * (size_t)(c.n + 1));
	int nused = 0;
	for (int i = 0; i < c.n; i++) {
		const KpCand *k = &c.v[i];
		if (i > 0 && same_func(&c.v[i - 1], k))
			continue; /* the same function again (static ones repeat) */
		TpFormat *tp = !k->module && (!kprobes || !k->real) ? syscall_tp(s, k->name, kp->is_return) : NULL;
		if (tp) {
			bool seen = false;
			for (int j = 0; j < nused; j++)
				seen |= !strcmp(used[j]->event, tp->event);
			if (seen)
				continue; /* __x64_sys_kill and sys_kill: one tracepoint */
			used[nused++] = tp;
			e.via_tp++;
			add_match(&e, &provider_kprobe_syscall, tp, k->name, NULL);
		} else if (!k->real) {
			continue;
		} else if (!kprobes) {
			e.dropped++;
		} else if (e.made == KP_MAX_MATCHES) {
			diag_at(DIAG_ERROR, "semantic error", kp->loc,
			        "'%s' matches more than %d functions: bstap makes one program per function", kp->pattern,
			        KP_MAX_MATCHES);
			return -1;
		} else {
			add_match(&e, &provider_kprobe, kprobe_data(s, k->name, k->module, kp->is_return), k->name,
			          k->module);
		}
	}
	if (e.via_tp)
		diag_at(DIAG_WARNING, NULL, kp->loc, "%d function%s matching '%s' %s probed at %s syscall tracepoint%s%s",
		        e.via_tp, e.via_tp == 1 ? "" : "s", kp->pattern, e.via_tp == 1 ? "is" : "are",
		        e.via_tp == 1 ? "its" : "their", e.via_tp == 1 ? "" : "s",
		        kprobes ? "" : ": this kernel has no kprobes (CONFIG_KPROBES is not set)");
	if (e.dropped)
		diag_at(DIAG_WARNING, NULL, kp->loc,
		        "%d function%s matching '%s' left out: this kernel has no kprobes (CONFIG_KPROBES is not set)",
		        e.dropped, e.dropped == 1 ? "" : "s", kp->pattern);
	if (e.made)
		return 0;
	if (inst->pp->optional)
		return 1;
	if (kp->module)
		diag_at(DIAG_ERROR, "semantic error", kp->loc,
		        "no match for probe point: no function of module '%s' matches '%s' (is it loaded?)", kp->module,
		        kp->pattern);
	else
		diag_at(DIAG_ERROR, "semantic error", kp->loc, "no match for probe point: no kernel function matches '%s'%s",
		        kp->pattern, e.dropped ? " that this kernel can probe (it has no kprobes)" : "");
	return -1;
}

/* ------------------------------------------------------------ with DWARF */

/* The DWARF sites of what kp names: the functions, and their inlined
 * instances unless .call or .return (a return probe needs a real call). */
static int dwarf_sites(Session *s, DwFile *f, const KpPoint *kp, DwSite **out)
{
	const char *func, *file;
	int line;
	dw_split_spec(s->arena, kp->pattern, &func, &file, &line);
	DwSite *fs, *in = NULL;
	int nf = dw_functions(f, func, file, line, s->arena, &fs);
	int ni = kp->is_return || kp->is_call ? 0 : dw_inlined(f, func, file, line, &in);
	DwSite *v = arena_alloc(s->arena, sizeof *v * (size_t)(nf + ni + 1));
	int n = 0;
	for (int i = 0; i < nf; i++)
		if (fs[i].die) /* an ELF symbol alone: BTF knows more */
			v[n++] = fs[i];
	for (int i = 0; i < ni; i++)
		v[n++] = in[i];
	*out = v;
	return n;
}

/* A kprobe at a DWARF site: on the symbol that contains it, at its
 * offset there (libbpf's kprobe offset), as stap puts inlined ones. */
static KpData *dwarf_data(Session *s, DwFile *f, const DwSite *site, const KpPoint *kp)
{
	KpData *kd = kprobe_data(s, site->func, NULL, kp->is_return);
	kd->dw = f;
	kd->site = *site;
	if (!dw_symbol_at(f, site->addr, &kd->sym, &kd->sym_off)) {
		diag_at(DIAG_ERROR, "semantic error", kp->loc,
		        "cannot probe '%s' at 0x%llx: no function symbol of %s contains it", site->func,
		        (unsigned long long)site->addr, dw_path(f));
		return NULL;
	}
	return kd;
}

/* kp through the kernel's DWARF: 0 done, 1 when DWARF does not decide it
 * (no such function, or a syscall entry that this kernel, having no
 * kprobes, probes at its tracepoint), -1 after a diagnostic. */
static int resolve_dwarf(Session *s, ProbeInst *inst, const KpPoint *kp,
                         void (*more)(Session *, ProbeInst *, const char *, void *))
{
	DwFile *f = kdw_get(s);
	/* another kernel's DWARF describes that kernel: the running one's
	 * lack of kprobes does not reroute its functions */
	bool reroute = !kdw_is_foreign(s) && !have_kprobes(s);
	if (reroute && (is_glob(kp->pattern) || syscall_tp(s, kp->pattern, kp->is_return)))
		return 1;
	DwSite *sites;
	int n = dwarf_sites(s, f, kp, &sites);
	if (n == 0 && !strchr(kp->pattern, '@'))
		return 1;
	if (n == 0) {
		if (inst->pp->optional)
			return 1;
		diag_at(DIAG_ERROR, "semantic error", kp->loc,
		        "no match for probe point: no function of %s matches '%s'", dw_path(f), kp->pattern);
		return -1;
	}
	if (n > KP_MAX_MATCHES) {
		diag_at(DIAG_ERROR, "semantic error", kp->loc,
		        "'%s' matches more than %d functions: bstap makes one program per function", kp->pattern,
		        KP_MAX_MATCHES);
		return -1;
	}
	Expand e = { s, inst, inst->pp, kp, more, 0, 0, 0 };
	for (int i = 0; i < n; i++) {
		KpData *kd = dwarf_data(s, f, &sites[i], kp);
		if (!kd)
			return -1;
		add_match(&e, &provider_kprobe, kd, dw_site_name(s->arena, &sites[i]), NULL);
	}
	return 0;
}

static int resolve_kp(Session *s, ProbeInst *inst,
                      void (*more)(Session *, ProbeInst *, const char *, void *))
{
	if (inst->pdata) /* made by a wildcard expansion */
		return 0;
	KpPoint kp;
	if (parse_point(s, inst->pp, &kp) < 0)
		return -1;
	inst->order = kp.is_return; /* the probe table's arg */
	if (!kp.module && kdw_get(s)) {
		int r = resolve_dwarf(s, inst, &kp, more);
		if (r <= 0)
			return r;
	}
	if (!is_glob(kp.pattern) && (!kp.module || !is_glob(kp.module)))
		return resolve_exact(s, inst, &kp);
	return resolve_glob(s, inst, &kp, more);
}

/* ------------------------------------------------------------ $variables */

/* The offset in struct pt_regs of register `reg`, from BTF; x86-64's
 * layout (arch/x86/include/asm/ptrace.h) if BTF lacks the struct. */
static int reg_off(Session *s, const char *reg)
{
	static const struct { const char *name; int off; } x86_64[] = {
		{"di", 112}, {"si", 104}, {"dx", 96}, {"cx", 88}, {"r8", 72}, {"r9", 64}, {"ax", 80},
	};
	const struct btf *b = btf_kernel(s, NULL);
	int32_t id = b ? btf__find_by_name_kind(b, "pt_regs", BTF_KIND_STRUCT) : -1;
	BtfMember m;
	if (id > 0 && btf_find_member(b, id, reg, &m))
		return (int)(m.bit_off / 8);
	for (size_t i = 0; i < sizeof x86_64 / sizeof x86_64[0]; i++)
		if (!strcmp(x86_64[i].name, reg))
			return x86_64[i].off;
	return -1;
}

/* How -L shows a type: "long" for numbers, else its C spelling. */
static const char *var_type(const struct btf *b, int32_t type, Arena *a)
{
	int size;
	bool sign;
	const struct btf_type *t = btf__type_by_id(b, (uint32_t)btf_skip_mods(b, type));
	if (t && !btf_is_ptr(t) && btf_scalar(b, type, &size, &sign))
		return "long";
	return btf_type_str(b, type, a);
}

static void unresolved(Session *s, ProbeInst *inst, Node *n, const char *vars)
{
	diag_at(DIAG_ERROR, "semantic error", &n->loc, "unresolved target-symbol expression '$%s' in %s", n->name,
	        inst->pp_text);
	diag_note(NULL, "the variables of this probe are: %s", *vars ? vars : "(none)");
}

static const char *kp_vars(Session *s, const ProbeInst *inst);

static int target_kp(Session *s, ProbeInst *inst, Node *n, Access *acc)
{
	static const char *const arg_regs[] = {"di", "si", "dx", "cx", "r8", "r9"};
	const KpData *kd = inst->pdata;
	if (kd->dw)
		return dw_target(s, kd->dw, &kd->site, kd->is_return, n, acc);
	if (n->pretty || n->name[0] == '$') {
		diag_at(DIAG_ERROR, "semantic error", &n->loc, "'$%s%s' is not supported for kernel functions yet",
		        n->name, n->pretty == 2 ? "$$" : n->pretty ? "$" : "");
		return -1;
	}
#ifndef __x86_64__
	diag_at(DIAG_ERROR, "semantic error", &n->loc,
	        "kernel function parameters are only known for x86-64 (its calling convention)");
	return -1;
#endif
	BtfParam params[KP_MAX_PARAMS];
	int32_t ret = 0;
	int np = kd->btf && kd->func_id >= 0 ? btf_func_proto(kd->btf, kd->func_id, params, KP_MAX_PARAMS, &ret) : -1;
	if (np < 0) {
		diag_at(DIAG_ERROR, "semantic error", &n->loc,
		        "cannot resolve '$%s': kernel function '%s' has no BTF type information", n->name, kd->func);
		return -1;
	}
	int32_t type;
	const char *reg;
	if (!strcmp(n->name, "return")) {
		if (!kd->is_return) {
			diag_at(DIAG_ERROR, "semantic error", &n->loc, "'$return' is only available in .return probes");
			return -1;
		}
		if (!ret) {
			diag_at(DIAG_ERROR, "semantic error", &n->loc, "'$return': function '%s' returns void", kd->func);
			return -1;
		}
		type = ret;
		reg = "ax";
	} else {
		int i = 0;
		while (i < np && i < KP_MAX_PARAMS && strcmp(params[i].name, n->name))
			i++;
		if (i == np || i == KP_MAX_PARAMS) {
			unresolved(s, inst, n, kp_vars(s, inst));
			return -1;
		}
		if (kd->is_return) {
			diag_at(DIAG_ERROR, "semantic error", &n->loc,
			        "'$%s' in a .return probe: the parameters' entry values (@entry) are not supported yet",
			        n->name);
			return -1;
		}
		if (i >= 6) {
			diag_at(DIAG_ERROR, "semantic error", &n->loc,
			        "'$%s' is parameter %d: only the first 6 (passed in registers) are supported", n->name, i + 1);
			return -1;
		}
		type = params[i].type;
		reg = arg_regs[i];
	}
	acc->off = reg_off(s, reg);
	return btf_ctx_value(s, kd->btf, type, n, acc);
}

static const char *kp_vars(Session *s, const ProbeInst *inst)
{
	const KpData *kd = inst->pdata;
	if (kd->dw)
		return dw_list_vars(s, kd->dw, &kd->site, kd->is_return);
	BtfParam params[KP_MAX_PARAMS];
	int32_t ret = 0;
	int np = kd->btf && kd->func_id >= 0 ? btf_func_proto(kd->btf, kd->func_id, params, KP_MAX_PARAMS, &ret) : -1;
	char *out = "";
	for (int i = 0; !kd->is_return && i < np && i < 6; i++)
		if (*params[i].name)
			out = arena_printf(s->arena, "%s%s$%s:%s", out, *out ? " " : "", params[i].name,
			                   var_type(kd->btf, params[i].type, s->arena));
	if (kd->is_return && np >= 0 && ret)
		out = arena_printf(s->arena, "$return:%s", var_type(kd->btf, ret, s->arena));
	return out;
}

static const char *kp_section(const ProbeInst *inst, Arena *a)
{
	const KpData *kd = inst->pdata;
	return arena_printf(a, "%s/%s", kd->is_return ? "kretprobe" : "kprobe", kd->func);
}

static const char *kp_attach(const ProbeInst *inst)
{
	const KpData *kd = inst->pdata;
	static char buf[512];
	if (kd->dw && kd->sym_off) /* bpf_abi.h: "SYMBOL+0xOFFSET" */
		snprintf(buf, sizeof buf, "%s+0x%llx", kd->sym, (unsigned long long)kd->sym_off);
	else
		snprintf(buf, sizeof buf, "%s%s%s", kd->module ? kd->module : "", kd->module ? ":" : "",
		         kd->dw ? kd->sym : kd->func);
	return buf;
}

const Provider provider_kprobe = {
	.name = "kernel.function", .matches = match_kp, .resolve = resolve_kp, .target = target_kp,
	.abi_kind = BSTAP_PROBE_KPROBE, .prog_type = BPF_PROG_TYPE_KPROBE,
	.section = kp_section, .attach_target = kp_attach, .list_vars = kp_vars, .target_exprs = true,
};

/* ------------------------------------------------------------ the syscall fallback */

/* A syscall entry function probed at its tracepoint (pdata: TpFormat):
 * the tracepoint's fields are the parameters, `ret` is $return. */
static int tp_target(Session *s, ProbeInst *inst, Node *n, Access *acc)
{
	if (n->ncomps || n->addr_of) {
		diag_at(DIAG_ERROR, "semantic error", &n->loc,
		        "'$%s' at a syscall tracepoint: the arguments are plain values (pointers into the "
		        "process), with no members", n->name);
		return -1;
	}
	if (!kp_is_return(inst->pp))
		return provider_tracepoint.target(s, inst, n, acc);
	if (strcmp(n->name, "return")) {
		diag_at(DIAG_ERROR, "semantic error", &n->loc,
		        "'$%s' in a .return probe at a syscall tracepoint: only '$return' is available", n->name);
		return -1;
	}
	Node ret = *n;
	ret.name = "ret";
	return provider_tracepoint.target(s, inst, &ret, acc);
}

static const char *tp_section(const ProbeInst *inst, Arena *a)
{
	return provider_tracepoint.section(inst, a);
}

static const char *tp_attach(const ProbeInst *inst)
{
	return provider_tracepoint.attach_target(inst);
}

static const char *tp_vars(Session *s, const ProbeInst *inst)
{
	if (kp_is_return(inst->pp))
		return "$return:long";
	/* the syscall number is the tracepoint's, not a parameter */
	const char *vars = provider_tracepoint.list_vars(s, inst);
	const char *nr = "$__syscall_nr:long";
	if (!strncmp(vars, nr, strlen(nr)))
		vars += strlen(nr) + (vars[strlen(nr)] == ' ');
	return vars;
}

static const Provider provider_kprobe_syscall = {
	.name = "kernel.function", .matches = match_kp, .resolve = resolve_kp, .target = tp_target,
	.abi_kind = BSTAP_PROBE_TRACEPOINT, .prog_type = BPF_PROG_TYPE_TRACEPOINT,
	.section = tp_section, .attach_target = tp_attach, .list_vars = tp_vars,
};
