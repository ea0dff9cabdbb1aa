/* usdt.c - process("PATH")[.library("LIB")][.provider("P")].mark("NAME"):
 * SDT markers from <sys/sdt.h>, found in the binary's .note.stapsdt notes
 * (stap's format, which libbpf and bpftrace read too).  Each note gives the
 * address of a nop to put the uprobe on, an optional semaphore (a counter
 * the program tests before preparing the arguments: the kernel increments
 * it in the probed process while the uprobe is attached, from the file
 * offset we pass as the uprobe's reference counter), and the arguments as
 * assembler operands ("-4@%edi 8@16(%rbp)") that become $arg1...$argN. */
#include <ctype.h>
#include <fnmatch.h>
#include <gelf.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>

#include "translate/sema.h"

#define NT_STAPSDT 3
#define MAX_ARGS 12

typedef struct Mark {
	const char *provider, *name, *args;
	uint64_t pc, semaphore;
} Mark;

static bool match_mark(const ProbePoint *pp)
{
	if (pp->ncomps < 2 || strcmp(pp->comps[0].name, "process"))
		return false;
	return !strcmp(pp->comps[pp->ncomps - 1].name, "mark");
}

/* ------------------------------------------------------------ notes */

static uint64_t section_addr(Elf *elf, const char *name, bool *found)
{
	size_t shstrndx;
	*found = false;
	if (elf_getshdrstrndx(elf, &shstrndx) < 0)
		return 0;
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn));) {
		GElf_Shdr sh;
		const char *nm;
		if (gelf_getshdr(scn, &sh) && (nm = elf_strptr(elf, shstrndx, sh.sh_name)) && !strcmp(nm, name)) {
			*found = true;
			return sh.sh_addr;
		}
	}
	return 0;
}

typedef struct Marks {
	Session *s;
	Mark *v;
	int n, cap;
	bool has_base;        /* .stapsdt.base's address, to undo prelink's move */
	uint64_t base;
} Marks;

/* One stapsdt note: pc, .stapsdt.base and semaphore addresses, then the
 * provider, name and argument strings. */
static bool on_note(const char *owner, uint32_t type, const void *desc, size_t size, void *ctx)
{
	Marks *ms = ctx;
	if (type != NT_STAPSDT || strcmp(owner, "stapsdt") || size < 3 * 8 + 3)
		return true;
	const char *p = desc, *end = p + size;
	uint64_t a[3];
	memcpy(a, p, sizeof a);
	const char *prov = p + 24;
	const char *name = prov + strnlen(prov, (size_t)(end - prov)) + 1;
	if (name >= end)
		return true;
	const char *args = name + strnlen(name, (size_t)(end - name)) + 1;
	/* prelink may have moved the binary: the note holds .stapsdt.base's
	 * address at link time */
	uint64_t adj = ms->has_base ? ms->base - a[1] : 0;
	Arena *ar = ms->s->arena;
	ms->v = arena_grow(ar, ms->v, &ms->cap, ms->n + 1, sizeof *ms->v);
	ms->v[ms->n++] = (Mark){ arena_strndup(ar, prov, (size_t)(name - 1 - prov)),
	                         arena_strndup(ar, name, strnlen(name, (size_t)(end - name))),
	                         args < end ? arena_strndup(ar, args, strnlen(args, (size_t)(end - args))) : "",
	                         a[0] + adj, a[2] ? a[2] + adj : 0 };
	return true;
}

/* Every SDT note of the binary. */
static int read_marks(Session *s, DwFile *f, Mark **out)
{
	Marks ms = { .s = s };
	ms.base = section_addr(dw_elf(f), ".stapsdt.base", &ms.has_base);
	dw_each_note(dw_elf(f), on_note, &ms);
	*out = ms.v;
	return ms.n;
}

/* ------------------------------------------------------------ operands */

static const struct {
	const char *names[4]; /* 64, 32, 16, 8 bits */
	int regno;            /* DWARF number */
} x86_regs[] = {
	{{"rax", "eax", "ax", "al"}, 0}, {{"rdx", "edx", "dx", "dl"}, 1}, {{"rcx", "ecx", "cx", "cl"}, 2},
	{{"rbx", "ebx", "bx", "bl"}, 3}, {{"rsi", "esi", "si", "sil"}, 4}, {{"rdi", "edi", "di", "dil"}, 5},
	{{"rbp", "ebp", "bp", "bpl"}, 6}, {{"rsp", "esp", "sp", "spl"}, 7}, {{"r8", "r8d", "r8w", "r8b"}, 8},
	{{"r9", "r9d", "r9w", "r9b"}, 9}, {{"r10", "r10d", "r10w", "r10b"}, 10}, {{"r11", "r11d", "r11w", "r11b"}, 11},
	{{"r12", "r12d", "r12w", "r12b"}, 12}, {{"r13", "r13d", "r13w", "r13b"}, 13},
	{{"r14", "r14d", "r14w", "r14b"}, 14}, {{"r15", "r15d", "r15w", "r15b"}, 15}, {{"rip", "", "", ""}, 16},
};

/* "%reg" at *p: the pt_regs offset and, for %ah..%dh, a shift of 8. */
static bool parse_reg(const char **p, int *off, int *shift)
{
	if (**p != '%')
		return false;
	const char *q = *p + 1;
	size_t n = 0;
	while (isalnum((unsigned char)q[n]))
		n++;
	*shift = 0;
	static const char high[4][3] = {"ah", "dh", "ch", "bh"};
	for (int i = 0; i < 4; i++)
		if (n == 2 && !strncmp(q, high[i], 2)) {
			*off = dw_reg_offset(i);
			*shift = 8;
			*p = q + n;
			return true;
		}
	for (size_t r = 0; r < sizeof x86_regs / sizeof x86_regs[0]; r++)
		for (int w = 0; w < 4; w++)
			if (*x86_regs[r].names[w] && strlen(x86_regs[r].names[w]) == n && !strncmp(q, x86_regs[r].names[w], n)) {
				*off = dw_reg_offset(x86_regs[r].regno);
				*p = q + n;
				return true;
			}
	return false;
}

typedef struct Prog {
	LocOp v[16];
	int n;
} Prog;

static void emit(Prog *p, LocOpKind k, int64_t n)
{
	if (p->n < 16)
		p->v[p->n++] = (LocOp){ .op = k, .n = n };
}

/* The link-time address of sym plus the load bias (known from the ip). */
static void sym_addr(Prog *p, DwFile *f, const Mark *m, uint64_t addr)
{
	emit(p, LOP_CONST, (int64_t)addr);
	if (dw_is_pie(f)) {
		emit(p, LOP_BIAS, (int64_t)m->pc);
		emit(p, LOP_ADD, 0);
	}
}

/* One operand "[-]N@OP" into a program leaving its value; false when its
 * form is unknown.  OP: $imm, %reg, or [disp|sym[+-disp]](%base[,%index[,scale]]). */
static bool parse_operand(Session *s, DwFile *f, const Mark *m, const char *text, Prog *p)
{
	const char *q = text;
	char *end;
	long size = 8;
	const char *at = strchr(text, '@');
	if (at) {
		size = strtol(text, &end, 10);
		if (end != at)
			return false;
		q = at + 1;
	}
	bool sign = size < 0;
	int bytes = (int)labs(size);
	if (bytes != 1 && bytes != 2 && bytes != 4 && bytes != 8)
		return false;
	int off, shift;
	if (*q == '$') {
		emit(p, LOP_CONST, strtoll(q + 1, &end, 0));
		if (*end)
			return false;
	} else if (*q == '%') {
		if (!parse_reg(&q, &off, &shift) || *q)
			return false;
		emit(p, LOP_REG, off);
		if (shift) {
			p->v[p->n++] = (LocOp){ .op = LOP_BITS, .n = shift, .width = 8, .sign = sign };
			return true;
		}
	} else {
		int64_t disp = 0;
		const char *sym = NULL;
		if (*q == '-' || *q == '+' || isdigit((unsigned char)*q)) {
			disp = strtoll(q, &end, 0);
			q = end;
		} else {
			size_t n = strcspn(q, "+-(");
			sym = arena_strndup(s->arena, q, n);
			q += n;
			if (*q == '+' || *q == '-') {
				disp = strtoll(q, &end, 0);
				q = end;
			}
		}
		uint64_t addr = 0;
		if (sym && !dw_symbol(f, sym, &addr))
			return false;
		if (*q != '(') {
			/* an absolute address: sym[+disp] */
			if (*q || !sym)
				return false;
			sym_addr(p, f, m, addr + (uint64_t)disp);
		} else {
			q++;
			if (!parse_reg(&q, &off, &shift) || shift)
				return false;
			if (off == dw_reg_offset(16)) {
				/* sym(%rip): the assembler made it relative, we know the symbol */
				if (!sym)
					return false;
				sym_addr(p, f, m, addr + (uint64_t)disp);
			} else {
				emit(p, LOP_REG, off);
				if (disp)
					emit(p, LOP_ADDI, disp);
				if (sym) {
					sym_addr(p, f, m, addr);
					emit(p, LOP_ADD, 0);
				}
				if (*q == ',') {
					q++;
					long scale = 1;
					if (!parse_reg(&q, &off, &shift) || shift)
						return false;
					if (*q == ',') {
						scale = strtol(q + 1, &end, 10);
						q = end;
					}
					emit(p, LOP_REG, off);
					emit(p, LOP_CONST, scale);
					emit(p, LOP_MUL, 0);
					emit(p, LOP_ADD, 0);
				}
			}
			if (*q != ')' || q[1])
				return false;
		}
		emit(p, LOP_LOAD, bytes);
	}
	if (sign && bytes < 8)
		emit(p, LOP_SEXT, bytes);
	else if (bytes < 8)
		emit(p, LOP_ZEXT, bytes);
	return p->n < 16;
}

/* The operands of a mark, split at blanks. */
static int split_args(Session *s, const char *args, const char **out)
{
	int n = 0;
	for (const char *p = args; *p && n < MAX_ARGS;) {
		while (*p == ' ')
			p++;
		size_t len = strcspn(p, " ");
		if (len)
			out[n++] = arena_strndup(s->arena, p, len);
		p += len;
	}
	return n;
}

/* ------------------------------------------------------------ the provider */

static int resolve_mark(Session *s, ProbeInst *inst, void (*more)(Session *, ProbeInst *, const char *, void *))
{
	UprobeBins bins;
	int k = uprobe_binaries(s, inst, &bins);
	if (k < 0)
		return -1;
	const ProbePoint *pp = inst->pp;
	const char *prov = NULL;
	int k0 = k;
	if (!strcmp(pp->comps[k].name, "provider")) {
		if (!pp->comps[k].arg || pp->comps[k].arg->kind != AST_STR) {
			diag_at(DIAG_ERROR, "semantic error", &pp->comps[k].loc, "provider needs a \"NAME\" argument");
			return -1;
		}
		prov = pp->comps[k++].arg->str;
	}
	const PPComp *mc = &pp->comps[k];
	if (k != pp->ncomps - 1 || strcmp(mc->name, "mark")) {
		diag_at(DIAG_ERROR, "semantic error", &mc->loc,
		        "expected process(\"PATH\")[.library(\"LIB\")][.provider(\"P\")].mark(\"NAME\")");
		return -1;
	}
	if (!mc->arg || mc->arg->kind != AST_STR) {
		diag_at(DIAG_ERROR, "semantic error", &mc->loc, "mark needs a \"NAME\" argument");
		return -1;
	}
	UprobeSite **all = NULL;
	int n = 0, cap = 0;
	for (int b = 0; b < bins.n; b++) {
		Mark *marks;
		int nm = read_marks(s, bins.f[b], &marks);
		for (int i = 0; i < nm; i++) {
			const Mark *m = &marks[i];
			if (fnmatch(mc->arg->str, m->name, 0) || (prov && fnmatch(prov, m->provider, 0)))
				continue;
			UprobeSite *u = arena_alloc(s->arena, sizeof *u);
			u->f = bins.f[b];
			u->site = (DwSite){ .func = m->name, .addr = m->pc, .func_addr = m->pc, .is_stmt = true };
			u->pid = bins.pid;
			u->mark = m;
			if (!dw_file_offset(bins.f[b], m->pc, &u->offset) ||
			    (m->semaphore && !dw_file_offset(bins.f[b], m->semaphore, &u->semaphore))) {
				diag_at(DIAG_ERROR, "semantic error", &mc->arg->loc,
				        "cannot probe mark '%s' of %s: its address is in no loadable segment", m->name,
				        dw_path(bins.f[b]));
				return -1;
			}
			u->pp = arena_printf(s->arena, "%s.mark(\"%s\")", bins.text[b], m->name);
			all = arena_grow(s->arena, all, &cap, n + 1, sizeof *all);
			all[n++] = u;
		}
	}
	if (n == 0) {
		if (pp->optional)
			return 1;
		diag_at(DIAG_ERROR, "semantic error", &mc->arg->loc, "no match for probe point: no mark '%s'%s%s in %s",
		        mc->arg->str, prov ? " of provider " : "", prov ? prov : "", uprobe_spelled(s, pp, k0));
		return -1;
	}
	uprobe_expand(s, inst, more, all, n);
	return 0;
}

/* $argN, $$name, $$provider, $$parms ("arg1=0x1 arg2=0x2"). */
static int target_mark(Session *s, ProbeInst *inst, Node *n, Access *acc)
{
	const UprobeSite *u = inst->pdata;
	const Mark *m = u->mark;
	const char *argv[MAX_ARGS];
	int argc = split_args(s, m->args, argv);
	LocItem *items = arena_alloc(s->arena, sizeof *items * (MAX_ARGS + 1));
	int ni = 0;
	const char *nm = n->name;
	char *end;
	if (n->ncomps || n->addr_of || (n->pretty && strcmp(nm, "$parms"))) {
		diag_at(DIAG_ERROR, "semantic error", &n->loc,
		        "'$%s': mark arguments are plain numbers (no members, '&' or pretty printing)", nm);
		return -1;
	}
	if (!strcmp(nm, "$name") || !strcmp(nm, "$provider")) {
		items[ni++] = (LocItem){ .text = !strcmp(nm, "$name") ? m->name : m->provider };
	} else if (!strcmp(nm, "$parms") || !strcmp(nm, "$vars")) {
		for (int i = 0; i < argc; i++) {
			Prog p = {0};
			if (!parse_operand(s, u->f, m, argv[i], &p))
				goto bad_operand;
			LocOp *ops = arena_alloc(s->arena, sizeof *ops * (size_t)p.n);
			memcpy(ops, p.v, sizeof *ops * (size_t)p.n);
			items[ni++] = (LocItem){ .text = arena_printf(s->arena, "%sarg%d=", i ? " " : "", i + 1), .ops = ops,
			                         .nops = p.n, .fmt = LOCF_HEX };
		}
		if (!ni)
			items[ni++] = (LocItem){ .text = "" };
	} else {
		long k = strncmp(nm, "arg", 3) ? 0 : strtol(nm + 3, &end, 10);
		if (k < 1 || *end || k > argc) {
			diag_at(DIAG_ERROR, "semantic error", &n->loc, "unresolved target-symbol expression '$%s' in mark '%s'",
			        nm, m->name);
			const char *list = "";
			for (int i = 0; i < argc; i++)
				list = arena_printf(s->arena, "%s%s$arg%d", list, i ? " " : "", i + 1);
			diag_note(NULL, "the variables of this mark are: %s%s$$name $$provider", list, argc ? " " : "");
			return -1;
		}
		Prog p = {0};
		if (!parse_operand(s, u->f, m, argv[k - 1], &p))
			goto bad_operand;
		LocOp *ops = arena_alloc(s->arena, sizeof *ops * (size_t)p.n);
		memcpy(ops, p.v, sizeof *ops * (size_t)p.n);
		items[ni++] = (LocItem){ .ops = ops, .nops = p.n, .fmt = LOCF_VALUE };
	}
	LocAccess *la = arena_alloc(s->arena, sizeof *la);
	la->items = items;
	la->nitems = ni;
	la->expr = arena_printf(s->arena, "$%s", nm);
	acc->kind = ACC_DWARF;
	acc->loc = la;
	acc->expr = la->expr;
	return 0;
bad_operand:
	diag_at(DIAG_ERROR, "semantic error", &n->loc, "cannot read '$%s': mark '%s' has operands '%s' of an unknown form",
	        nm, m->name, m->args);
	return -1;
}

static const char *mark_vars(Session *s, const ProbeInst *inst)
{
	const UprobeSite *u = inst->pdata;
	const char *argv[MAX_ARGS];
	int argc = split_args(s, ((const Mark *)u->mark)->args, argv);
	char *out = "";
	for (int i = 0; i < argc; i++)
		out = arena_printf(s->arena, "%s%s$arg%d:long", out, i ? " " : "", i + 1);
	return out;
}

const Provider provider_mark = {
	.name = "process.mark", .matches = match_mark, .resolve = resolve_mark, .target = target_mark,
	.abi_kind = BSTAP_PROBE_UPROBE, .prog_type = BPF_PROG_TYPE_KPROBE, .section = uprobe_section,
	.attach_target = uprobe_attach_target, .list_vars = mark_vars, .target_exprs = true,
};
