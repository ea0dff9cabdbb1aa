/* asm.c - embedded BPF assembly: the body of a tapset function written as
 *
 *   function pid:long () %{ /-* bpf *-/
 *       call get_current_pid_tgid
 *       rsh r0, 32
 *       mov $$, r0
 *   %}
 *
 * One instruction per line (or ';'-separated); comments as in C, or '#'.
 *
 * Operands
 *   r0..r10      machine registers (r0..r5 only: see below)
 *   $$           the result: a long, or the result buffer of a string
 *                function (MAXSTRINGLEN bytes, its first byte already 0)
 *   $param       a parameter (read-only: a long, or a pointer to a string
 *                buffer that belongs to the caller)
 *   $ctx         the program's context (read-only; unless a parameter or
 *                local has that name): struct pt_regs of a kprobe or
 *                uprobe, bpf_perf_event_data of a timer or perf probe,
 *                the record of a tracepoint (for helpers like get_stack)
 *   $name        a temporary declared with "local name, ..."
 *   immediates   expressions of + - * and parentheses over: numbers,
 *                character literals ('a', '\n', '\0', '\x41', '\101'),
 *                the constant maxstringlen (the string capacity,
 *                MAXSTRINGLEN rounded up to 8), and from the running
 *                kernel's BTF: offsetof(TYPE, MEMBER), sizeof(TYPE) (TYPE
 *                a struct, union or typedef name; MEMBER a designator such
 *                as "signal", "pids[3]" or "numbers[0].nr"; anonymous
 *                members are looked through) and enumval(NAME), the value
 *                of an enumerator such as PIDTYPE_SID; ksym(NAME), the
 *                address of a kernel symbol (/proc/kallsyms).  The offsets
 *                and addresses are those of the kernel bstap compiles on
 *                (no relocation).
 *                Names BSTAP_* and BPF_F_* are the runtime's and the
 *                helpers' constants (bpf_abi.h; the table abi_consts:
 *                record kinds, stack layouts such as BSTAP_STACK_IPS,
 *                BSTAP_UH_SYM, BSTAP_SYM_* kinds, BPF_F_USER_STACK ...).
 *   [base+off]   memory: base is a register or $-operand, off an immediate
 *   "text"       a string (for "error")
 *   names        labels, helpers, data words
 *
 * Mnemonics: mov add sub mul div mod sdiv smod and or xor lsh rsh arsh neg
 * (64-bit); be16 be32 be64 le16 le32 le64 REG (convert between host and
 * big/little endian, zero-extending); ldx{b,h,w,dw} dst, [src+off];
 * stx{b,h,w,dw} [dst+off], src; st{b,h,w,dw} [dst+off], imm; ja L;
 * j{eq,ne,gt,ge,lt,le,sgt,sge,slt,sle,set} a, b|imm, L; call HELPER (by
 * name without bpf_, or number: its arguments are the registers r1..r5
 * written since the previous call); exit (leave the whole probe handler,
 * returning r0); "L:" defines a label, alone or before an instruction;
 * "lddata dst, NAME" puts the address of one of the runtime's words of
 * the global data map in dst (NAME: lost, target, state, realtime,
 * stp_pid, truncated, unotes, hz, pidns, userns; bpf_abi.h); "ldmap dst, events" the ring
 * buffer (for ringbuf_reserve/output); "ldstr dst, "TEXT"" the address of
 * a constant copy of TEXT in read-only data (for helpers that take only
 * constant strings, such as snprintf's format; kernel code only);
 * "xadddw [dst+off], src" adds src to the 8 bytes there atomically.
 *
 * Directives: "local a, b" declares temporaries $a, $b (virtual registers:
 * they survive helper calls); "scratch $a, SIZE" points $a at SIZE fresh
 * bytes of per-CPU scratch memory (readable and writable, for temporary
 * buffers; SIZE an immediate, e.g. maxstringlen); "error "MESSAGE""
 * raises a run-time error at the call (the handler stops, as for a
 * division by zero); "refuse "MESSAGE"" makes any use of the function a
 * compile-time error (for what BPF cannot do).  A body with the comment
 * "guru" expands only in guru mode (-g); more words in that comment say
 * why, in the error ("guru writes user memory": "this function writes
 * user memory: it needs guru mode (-g)"; the default: "writes memory").
 *
 * Conditional code: ".if COND" ... [".else" ...] ".endif", on lines of
 * their own and nestable, keeps the code only where COND (or, as "!COND",
 * its negation) holds for the probe being compiled: user (the user-space
 * executor runs it: begin, end, error and user-space timers), kernel (a
 * BPF program), regs ($ctx starts with the probed task's struct pt_regs:
 * kprobes, uprobes, timer and perf probes), uprobe (a process probe: the
 * registers are user space's), perf (timer and perf probes), tracepoint.
 * The code left out is not checked either, so one body can call kernel
 * helpers and the executor's own ones (bpf_abi.h, enum bstap_uhelper,
 * called by number) in separate branches.
 *
 * For the verifier: a loop must be counted by a register it can follow
 * exactly (compared with a constant); a value computed by one loop and
 * used after it (a length, a position) multiplies the checking of
 * everything that follows, once per possible value, unless it goes
 * through memory (store it in scratch memory and load it back): see
 * tapsets/string.stp.  In a loop of many rounds, a branch the verifier
 * cannot decide (a byte compared with a value) should fall through to
 * the way out and jump to go on: the verifier keeps the target of each
 * such jump pending until the path it follows ends, and gives up past
 * 8192 of them (see symname() in tapsets/stack.stp).
 *
 * Labels are local to one expansion.  Registers r0..r5 are the
 * caller-saved ones: the code is inlined, so only values in $-operands
 * survive from one expansion to the rest of the program, and r6..r9 belong
 * to the register allocator. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include "codegen/ir.h"
#include "translate/sema.h"

#define HELPER_NAME(x) #x
static const char *const helper_names[] = { __BPF_FUNC_MAPPER(HELPER_NAME) };

int asm_helper_id(const char *name)
{
	if (!strncmp(name, "bpf_", 4))
		name += 4;
	for (size_t i = 1; i < sizeof helper_names / sizeof helper_names[0]; i++)
		if (!strcmp(helper_names[i], name))
			return (int)i;
	return -1;
}

typedef struct {
	AsmEnv *env;
	int line;
	char **labels;
	int *label_ids;
	int nlabels, caplabels;
	char **locals;
	int *local_regs;
	int nlocals, caplocals;
	unsigned args_set;     /* r1..r5 written since the last call: its arguments */
	bool failed;
} Asm;

static void asm_error(Asm *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void asm_error(Asm *a, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (!a->failed)
		diag_at(DIAG_ERROR, "semantic error", a->env->loc, "in embedded code, line %d: %s", a->line, msg);
	a->failed = true;
}

static int label_id(Asm *a, const char *name)
{
	for (int i = 0; i < a->nlabels; i++)
		if (!strcmp(a->labels[i], name))
			return a->label_ids[i];
	Arena *ar = a->env->f->arena;
	int cap = a->caplabels;
	a->labels = arena_grow(ar, a->labels, &cap, a->nlabels + 1, sizeof(char *));
	cap = a->caplabels;
	a->label_ids = arena_grow(ar, a->label_ids, &cap, a->nlabels + 1, sizeof(int));
	a->caplabels = cap;
	a->labels[a->nlabels] = arena_strdup(ar, name);
	a->label_ids[a->nlabels] = ir_label(a->env->f);
	return a->label_ids[a->nlabels++];
}

static char *trim(char *t)
{
	while (isspace((unsigned char)*t))
		t++;
	char *e = t + strlen(t);
	while (e > t && isspace((unsigned char)e[-1]))
		*--e = 0;
	return t;
}

/* ------------------------------------------------------------ kernel BTF */

/* The running kernel's BTF (NULL if it has none): the session's (btf.c),
 * or, without a session (unit tests), one loaded here on first use. */
static const struct btf *kernel_btf(Asm *a)
{
	if (a->env->session)
		return btf_kernel(a->env->session, NULL);
	static struct btf *btf;
	static bool tried;
	if (!tried) {
		tried = true;
		btf = btf__load_vmlinux_btf();
	}
	return btf;
}

/* A named struct, union or typedef. */
static int btf_type_named(Asm *a, const struct btf *btf, const char *name)
{
	static const int kinds[] = { BTF_KIND_STRUCT, BTF_KIND_UNION, BTF_KIND_TYPEDEF };
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		int id = btf__find_by_name_kind(btf, name, kinds[i]);
		if (id > 0)
			return id;
	}
	asm_error(a, "no type '%s' in the kernel's BTF", name);
	return -1;
}

/* offsetof(TYPE, DESIGNATOR) or sizeof(TYPE) from the text inside the
 * parentheses.  true on success. */
static bool btf_eval(Asm *a, bool is_sizeof, char *args, int64_t *val)
{
	const struct btf *btf = kernel_btf(a);
	if (!btf) {
		asm_error(a, "%s needs the kernel's BTF (/sys/kernel/btf/vmlinux)", is_sizeof ? "sizeof" : "offsetof");
		return false;
	}
	char *comma = strchr(args, ',');
	if (is_sizeof == (comma != NULL)) {
		asm_error(a, "%s", is_sizeof ? "sizeof takes one type name" : "offsetof takes a type and a member");
		return false;
	}
	if (comma)
		*comma = 0;
	char tname[128];
	if (sscanf(args, " %127[A-Za-z0-9_] ", tname) != 1) {
		asm_error(a, "bad type name '%s'", args);
		return false;
	}
	int id = btf_type_named(a, btf, tname);
	if (id < 0)
		return false;
	if (is_sizeof) {
		int64_t sz = btf__resolve_size(btf, (uint32_t)id);
		if (sz < 0) {
			asm_error(a, "type '%s' has no size", tname);
			return false;
		}
		*val = sz;
		return true;
	}
	int32_t cur = id;
	int64_t off = 0;
	const char *p = comma + 1;
	bool first = true;
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		cur = btf_skip_mods(btf, cur);
		const struct btf_type *t = btf__type_by_id(btf, (uint32_t)cur);
		if (*p == '[') {
			char *end;
			long idx = strtol(p + 1, &end, 0);
			if (*end != ']' || idx < 0 || !t || !btf_is_array(t)) {
				asm_error(a, "bad array index in '%s'", comma + 1);
				return false;
			}
			const struct btf_array *arr = btf_array(t);
			int64_t esz = btf__resolve_size(btf, arr->type);
			if (esz < 0) {
				asm_error(a, "array of unknown size in '%s'", comma + 1);
				return false;
			}
			off += esz * idx;
			cur = (int32_t)arr->type;
			p = end + 1;
			continue;
		}
		if (!first) {
			if (*p != '.') {
				asm_error(a, "bad member designator '%s'", comma + 1);
				return false;
			}
			p++;
		}
		char mname[128];
		int k = 0;
		while ((isalnum((unsigned char)*p) || *p == '_') && k < 127)
			mname[k++] = *p++;
		mname[k] = 0;
		BtfMember m;
		if (!k || !btf_find_member(btf, cur, mname, &m)) {
			asm_error(a, "no member '%s' in '%s' (kernel BTF)", k ? mname : comma + 1, tname);
			return false;
		}
		if (m.bit_size || m.bit_off % 8) {
			asm_error(a, "member '%s' is a bit field", mname);
			return false;
		}
		off += m.bit_off / 8;
		cur = m.type;
		first = false;
	}
	if (first) {
		asm_error(a, "offsetof needs a member");
		return false;
	}
	*val = off;
	return true;
}

/* ------------------------------------------------------------ operands */

typedef struct {
	enum { OPD_NONE, OPD_REG, OPD_IMM, OPD_MEM, OPD_NAME, OPD_STR } kind;
	int reg;
	bool param;            /* the register is a parameter's (read-only) */
	int64_t imm;
	int16_t off;
	char name[64];
	char *str;             /* OPD_STR, arena */
} Operand;

static int find_local(Asm *a, const char *name)
{
	for (int i = 0; i < a->nlocals; i++)
		if (!strcmp(a->locals[i], name))
			return a->local_regs[i];
	return -1;
}

/* The register an operand names ($$, $param, $local or rN), or -1. */
static int named_reg(Asm *a, const char *t, bool *param)
{
	*param = false;
	if (!strcmp(t, "$$")) {
		if (a->env->result < 0)
			asm_error(a, "'$$' used in a function that returns nothing");
		return a->env->result;
	}
	if (t[0] == '$') {
		for (int i = 0; i < a->env->n; i++)
			if (!strcmp(a->env->names[i], t + 1)) {
				*param = true;
				return a->env->vregs[i];
			}
		int r = find_local(a, t + 1);
		if (r >= 0)
			return r;
		if (!strcmp(t, "$ctx")) {
			if (!a->env->ctx_reg)
				asm_error(a, "no program context here");
			*param = true;
			return a->env->ctx_reg ? a->env->ctx_reg : -1;
		}
		asm_error(a, "unknown parameter or local '%s'", t);
		return -1;
	}
	if (t[0] == 'r' && isdigit((unsigned char)t[1])) {
		char *end;
		long r = strtol(t + 1, &end, 10);
		if (!*end && r >= 0 && r <= 10)
			return (int)r;
	}
	return -1;
}

/* One escape sequence after the backslash at *pp; advances *pp. */
static int escape_char(const char **pp)
{
	const char *p = *pp;
	int c = *p++;
	switch (c) {
	case 'n': c = '\n'; break;
	case 't': c = '\t'; break;
	case 'r': c = '\r'; break;
	case 'a': c = '\a'; break;
	case 'b': c = '\b'; break;
	case 'f': c = '\f'; break;
	case 'v': c = '\v'; break;
	case 'x': {
		c = 0;
		for (int i = 0; i < 2 && isxdigit((unsigned char)*p); i++, p++)
			c = c * 16 + (isdigit((unsigned char)*p) ? *p - '0' : (tolower((unsigned char)*p) - 'a' + 10));
		break;
	}
	default:
		if (c >= '0' && c <= '7') {
			c -= '0';
			for (int i = 0; i < 2 && *p >= '0' && *p <= '7'; i++, p++)
				c = c * 8 + (*p - '0');
		}
		break;
	}
	*pp = p;
	return c & 0xff;
}

static bool is_ident_start(int c) { return isalpha(c) || c == '_'; }
static bool is_ident(int c) { return isalnum(c) || c == '_'; }

/* The value of enumerator `name` of any kernel enum (BTF). */
static bool btf_enumval(Asm *a, const char *name, int64_t *val)
{
	const struct btf *btf = kernel_btf(a);
	if (!btf) {
		asm_error(a, "enumval needs the kernel's BTF (/sys/kernel/btf/vmlinux)");
		return false;
	}
	uint32_t n = btf__type_cnt(btf);
	for (uint32_t id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		if (btf_is_enum(t)) {
			const struct btf_enum *e = btf_enum(t);
			for (int i = 0; i < btf_vlen(t); i++)
				if (!strcmp(btf__name_by_offset(btf, e[i].name_off), name)) {
					*val = e[i].val;
					return true;
				}
		} else if (btf_is_enum64(t)) {
			const struct btf_enum64 *e = btf_enum64(t);
			for (int i = 0; i < btf_vlen(t); i++)
				if (!strcmp(btf__name_by_offset(btf, e[i].name_off), name)) {
					*val = (int64_t)btf_enum64_value(e + i);
					return true;
				}
		}
	}
	asm_error(a, "no enumerator '%s' in the kernel's BTF", name);
	return false;
}

/* The address of kernel symbol `name` (not a module's), from
 * /proc/kallsyms as root sees it: the running kernel's, as for offsetof. */
static bool kernel_symbol(Asm *a, const char *name, int64_t *val)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	if (!f) {
		asm_error(a, "ksym needs /proc/kallsyms");
		return false;
	}
	char line[512];
	bool found = false;
	size_t n = strlen(name);
	while (!found && fgets(line, sizeof line, f)) {
		char *p = strchr(line, ' ');
		if (!p || !p[1] || p[2] != ' ' || strncmp(p + 3, name, n) || (p[3 + n] != '\n' && p[3 + n] != 0))
			continue;
		*val = (int64_t)strtoull(line, NULL, 16);
		found = *val != 0;
	}
	fclose(f);
	if (!found)
		asm_error(a, "no kernel symbol '%s' with an address in /proc/kallsyms (root sees them)", name);
	return found;
}

/* The runtime's constants that embedded code may name (bpf_abi.h): record
 * kinds, stack flags and layouts, the executor's helpers, symbol kinds. */
#define ABI(x) { #x, (int64_t)(x) }
static const struct { const char *name; int64_t v; } abi_consts[] = {
	ABI(BSTAP_REC_PRINTF), ABI(BSTAP_REC_STACK), ABI(BSTAP_REC_STACK_STR),
	ABI(BSTAP_DATA_NUNOTES), ABI(BSTAP_STACK_USER), ABI(BSTAP_STACK_PRINT), ABI(BSTAP_STACK_BRIEF), ABI(BSTAP_STACK_FILELINE),
	ABI(BSTAP_MAXBACKTRACE),
	{ "BSTAP_REC_HDR_SIZE", (int64_t)sizeof(struct bstap_rec_hdr) },
	{ "BSTAP_STACK_PID", (int64_t)offsetof(struct bstap_stack, pid) },
	{ "BSTAP_STACK_NBYTES", (int64_t)offsetof(struct bstap_stack, nbytes) },
	{ "BSTAP_STACK_NBID", (int64_t)offsetof(struct bstap_stack, nbid) },
	{ "BSTAP_STACK_IPS", (int64_t)offsetof(struct bstap_stack, ips) },
	{ "BSTAP_STACK_BIDS", (int64_t)offsetof(struct bstap_stack, bids) },
	{ "BSTAP_STACK_SIZE", (int64_t)sizeof(struct bstap_stack) },
	{ "BSTAP_BID_FRAME_SIZE", (int64_t)sizeof(struct bstap_build_id_frame) },
	{ "BSTAP_STACK_STR_SIZE", (int64_t)sizeof(struct bstap_stack_str) },
	ABI(BSTAP_UH_SYM), ABI(BSTAP_SYMTOK_START), ABI(BSTAP_SYMTOK_END),
	ABI(BSTAP_SYM_NAME), ABI(BSTAP_SYM_DATA), ABI(BSTAP_SYM_STACK), ABI(BSTAP_SYM_BACKTRACE),
	ABI(BSTAP_SYM_UNAME), ABI(BSTAP_SYM_UDATA), ABI(BSTAP_SYM_USTACK), ABI(BSTAP_SYM_UBACKTRACE),
	ABI(BSTAP_SYM_LINE), ABI(BSTAP_SYM_FILE), ABI(BSTAP_SYM_FILELINE), ABI(BSTAP_SYM_MOD),
	ABI(BSTAP_SYM_ULINE), ABI(BSTAP_SYM_UFILE), ABI(BSTAP_SYM_UFILELINE), ABI(BSTAP_SYM_UMOD),
	ABI(BPF_F_USER_STACK), ABI(BPF_F_USER_BUILD_ID), ABI(BPF_F_SKIP_FIELD_MASK),
};
#undef ABI

static bool is_abi_const(const char *name)
{
	for (size_t i = 0; i < sizeof abi_consts / sizeof abi_consts[0]; i++)
		if (!strcmp(abi_consts[i].name, name))
			return true;
	return false;
}

/* Immediate expressions: recursive descent over + - * ( ) and the terms
 * described at the top.  Each returns false after a diagnostic. */
typedef struct {
	Asm *a;
	const char *p, *text;
} Expr;

static bool expr_sum(Expr *e, int64_t *v);

static void expr_space(Expr *e)
{
	while (isspace((unsigned char)*e->p))
		e->p++;
}

static bool expr_bad(Expr *e)
{
	asm_error(e->a, "bad operand '%s'", e->text);
	return false;
}

static bool expr_primary(Expr *e, int64_t *v)
{
	expr_space(e);
	const char *p = e->p;
	if (*p == '-' || *p == '+') {
		e->p++;
		if (!expr_primary(e, v))
			return false;
		if (*p == '-')
			*v = -*v;
		return true;
	}
	if (*p == '(') {
		e->p++;
		if (!expr_sum(e, v))
			return false;
		expr_space(e);
		if (*e->p != ')')
			return expr_bad(e);
		e->p++;
		return true;
	}
	if (isdigit((unsigned char)*p)) {
		char *end;
		errno = 0;
		*v = (int64_t)strtoull(p, &end, 0);
		if (errno || is_ident((unsigned char)*end))
			return expr_bad(e);
		e->p = end;
		return true;
	}
	if (*p == '\'') {
		p++;
		if (*p == '\\') {
			p++;
			*v = escape_char(&p);
		} else {
			*v = (unsigned char)*p++;
		}
		if (*p++ != '\'')
			return expr_bad(e);
		e->p = p;
		return true;
	}
	if (!is_ident_start((unsigned char)*p))
		return expr_bad(e);
	const char *s = p;
	while (is_ident((unsigned char)*p))
		p++;
	int n = (int)(p - s);
	const char *q = p;
	while (isspace((unsigned char)*q))
		q++;
	if (n == 12 && !strncmp(s, "maxstringlen", 12)) {
		*v = e->a->env->maxstringlen;
		e->p = p;
		return true;
	}
	if (n > 6 && (!strncmp(s, "BSTAP_", 6) || !strncmp(s, "BPF_F_", 6))) {
		for (size_t i = 0; i < sizeof abi_consts / sizeof abi_consts[0]; i++)
			if (strlen(abi_consts[i].name) == (size_t)n && !strncmp(s, abi_consts[i].name, (size_t)n)) {
				*v = abi_consts[i].v;
				e->p = p;
				return true;
			}
	}
	bool is_off = n == 8 && !strncmp(s, "offsetof", 8), is_size = n == 6 && !strncmp(s, "sizeof", 6),
	     is_enum = n == 7 && !strncmp(s, "enumval", 7), is_ksym = n == 4 && !strncmp(s, "ksym", 4);
	if (*q == '(' && (is_off || is_size || is_enum || is_ksym)) {
		const char *close = strchr(q, ')');
		if (!close)
			return expr_bad(e);
		char *args = arena_strdup(e->a->env->f->arena, q + 1);
		args[close - q - 1] = 0;
		e->p = close + 1;
		if (is_enum)
			return btf_enumval(e->a, trim(args), v);
		if (is_ksym)
			return kernel_symbol(e->a, trim(args), v);
		return btf_eval(e->a, is_size, args, v);
	}
	asm_error(e->a, "unknown name '%.*s' in '%s'", n, s, e->text);
	return false;
}

static bool expr_product(Expr *e, int64_t *v)
{
	if (!expr_primary(e, v))
		return false;
	for (;;) {
		expr_space(e);
		if (*e->p != '*')
			return true;
		e->p++;
		int64_t r;
		if (!expr_primary(e, &r))
			return false;
		*v *= r;
	}
}

static bool expr_sum(Expr *e, int64_t *v)
{
	if (!expr_product(e, v))
		return false;
	for (;;) {
		expr_space(e);
		char op = *e->p;
		if (op != '+' && op != '-')
			return true;
		e->p++;
		int64_t r;
		if (!expr_product(e, &r))
			return false;
		*v = op == '+' ? *v + r : *v - r;
	}
}

/* An immediate expression: 1 with *val, 0 when the text is not one (a
 * plain name: a label, helper or data word), -1 after a diagnostic. */
static int eval_imm(Asm *a, const char *text, int64_t *val)
{
	const char *p = text;
	if (is_ident_start((unsigned char)*p)) {
		while (is_ident((unsigned char)*p))
			p++;
		if (!*p && strcmp(text, "maxstringlen") && !is_abi_const(text))
			return 0; /* just a name */
	}
	Expr e = { a, text, text };
	if (!expr_sum(&e, val))
		return -1;
	expr_space(&e);
	if (*e.p) {
		expr_bad(&e);
		return -1;
	}
	return 1;
}


static bool parse_operand(Asm *a, char *t, Operand *o)
{
	memset(o, 0, sizeof *o);
	t = trim(t);
	if (!*t)
		return false;
	if (*t == '"') {
		char *out = arena_alloc(a->env->f->arena, strlen(t) + 1), *w = out;
		const char *p = t + 1;
		while (*p && *p != '"') {
			if (*p == '\\') {
				p++;
				*w++ = (char)escape_char(&p);
			} else {
				*w++ = *p++;
			}
		}
		if (*p != '"' || p[1]) {
			asm_error(a, "bad string %s", t);
			return false;
		}
		*w = 0;
		o->kind = OPD_STR;
		o->str = out;
		return true;
	}
	if (*t == '[') {
		size_t len = strlen(t);
		if (t[len - 1] != ']') {
			asm_error(a, "missing ']' in '%s'", t);
			return false;
		}
		t[len - 1] = 0;
		char *r = t + 1;
		while (isspace((unsigned char)*r))
			r++;
		char *e = r;
		while (*e == '$' || is_ident((unsigned char)*e))
			e++;
		char base[64];
		snprintf(base, sizeof base, "%.*s", (int)(e - r), r);
		char *rest = trim(e);
		o->kind = OPD_MEM;
		o->reg = named_reg(a, base, &o->param);
		if (o->reg < 0) {
			if (!a->failed)
				asm_error(a, "bad base register '%s'", base);
			return false;
		}
		if (*rest) {
			if (*rest != '+' && *rest != '-') {
				asm_error(a, "bad memory operand '[%s]'", t + 1);
				return false;
			}
			int64_t off;
			if (eval_imm(a, rest, &off) != 1) {
				if (!a->failed)
					asm_error(a, "bad offset '%s'", rest);
				return false;
			}
			if (off < INT16_MIN || off > INT16_MAX) {
				asm_error(a, "offset %lld out of range", (long long)off);
				return false;
			}
			o->off = (int16_t)off;
		}
		return true;
	}
	int r = named_reg(a, t, &o->param);
	if (r >= 0) {
		o->kind = OPD_REG;
		o->reg = r;
		return true;
	}
	if (a->failed)
		return false;
	int rc = eval_imm(a, t, &o->imm);
	if (rc < 0)
		return false;
	if (rc == 1) {
		o->kind = OPD_IMM;
		return true;
	}
	o->kind = OPD_NAME;
	snprintf(o->name, sizeof o->name, "%s", t);
	return true;
}

/* ------------------------------------------------------------ instructions */

static const struct { const char *name; int op; } alus[] = {
	{"mov", BPF_MOV}, {"add", BPF_ADD}, {"sub", BPF_SUB}, {"mul", BPF_MUL},
	{"div", BPF_DIV}, {"mod", BPF_MOD}, {"sdiv", BPF_DIV | 0x100}, {"smod", BPF_MOD | 0x100},
	{"and", BPF_AND}, {"or", BPF_OR}, {"xor", BPF_XOR}, {"lsh", BPF_LSH},
	{"rsh", BPF_RSH}, {"arsh", BPF_ARSH}, {"neg", BPF_NEG},
};
static const struct { const char *name; int op; } jmps[] = {
	{"jeq", BPF_JEQ}, {"jne", BPF_JNE}, {"jgt", BPF_JGT}, {"jge", BPF_JGE},
	{"jlt", BPF_JLT}, {"jle", BPF_JLE}, {"jsgt", BPF_JSGT}, {"jsge", BPF_JSGE},
	{"jslt", BPF_JSLT}, {"jsle", BPF_JSLE}, {"jset", BPF_JSET},
};
/* kinfo: a fact the runtime finds only for objects that read it */
static const struct { const char *name; int off; bool kinfo; } data_words[] = {
	{"lost", BSTAP_DATA_LOST, false}, {"target", BSTAP_DATA_TARGET, false}, {"state", BSTAP_DATA_STATE, false},
	{"realtime", BSTAP_DATA_REALTIME, false}, {"stp_pid", BSTAP_DATA_STP_PID, false},
	{"truncated", BSTAP_DATA_TRUNCATED, false}, {"unotes", BSTAP_DATA_UNOTES, false},
	{"hz", BSTAP_DATA_HZ, true}, {"pidns", BSTAP_DATA_PIDNS, true}, {"userns", BSTAP_DATA_USERNS, true},
};

static int size_of(const char *suffix)
{
	if (!strcmp(suffix, "b")) return BPF_B;
	if (!strcmp(suffix, "h")) return BPF_H;
	if (!strcmp(suffix, "w")) return BPF_W;
	if (!strcmp(suffix, "dw")) return BPF_DW;
	return -1;
}

#define BAIL(...) do { asm_error(a, __VA_ARGS__); return; } while (0)

/* Operand o is written: parameters belong to the caller. */
static bool writable(Asm *a, const Operand *o)
{
	if (o->param)
		asm_error(a, "parameters are read-only (copy them to a local)");
	return !o->param;
}

static void note_write(Asm *a, int reg)
{
	if (reg >= 1 && reg <= 5)
		a->args_set |= 1u << reg;
}

/* "local a, b, c" */
static void declare_locals(Asm *a, char *list)
{
	Arena *ar = a->env->f->arena;
	for (char *name = strtok(list, ","); name; name = strtok(NULL, ",")) {
		name = trim(name);
		if (*name == '$')
			name++;
		bool ok = is_ident_start((unsigned char)*name);
		for (char *c = name; *c; c++)
			ok &= is_ident((unsigned char)*c);
		if (!ok)
			BAIL("bad local name '%s'", name);
		for (int i = 0; i < a->env->n; i++)
			if (!strcmp(a->env->names[i], name))
				BAIL("local '%s' has the name of a parameter", name);
		if (find_local(a, name) >= 0)
			BAIL("local '%s' declared twice", name);
		int cap = a->caplocals;
		a->locals = arena_grow(ar, a->locals, &cap, a->nlocals + 1, sizeof(char *));
		cap = a->caplocals;
		a->local_regs = arena_grow(ar, a->local_regs, &cap, a->nlocals + 1, sizeof(int));
		a->caplocals = cap;
		a->locals[a->nlocals] = arena_strdup(ar, name);
		a->local_regs[a->nlocals++] = ir_vreg(a->env->f);
	}
}

/* Byte-order conversions: to and from big or little endian, zero-extending
 * to 64 bits (BPF_END to little endian, or the unconditional swap of
 * BPF_ALU64 | BPF_END; the host is little-endian on every architecture we
 * support, checked below). */
static bool byte_swap(Asm *a, const char *mn, int nop, Operand *op)
{
	if ((mn[0] != 'b' && mn[0] != 'l') || mn[1] != 'e')
		return false;
	int bits = atoi(mn + 2);
	if (bits != 16 && bits != 32 && bits != 64)
		return false;
	char want[8];
	snprintf(want, sizeof want, "%ce%d", mn[0], bits);
	if (strcmp(mn, want))
		return false;
	if (nop != 1 || op[0].kind != OPD_REG) {
		asm_error(a, "'%s' takes one register", mn);
		return true;
	}
	if (!writable(a, &op[0]))
		return true;
	note_write(a, op[0].reg);
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "asm.c: byte swaps assume a little-endian host"
#endif
	bool swap = mn[0] == 'b';
	ir_emit(a->env->f, (IrInsn){ .kind = IRK_INSN, .dst = op[0].reg, .src = IR_NOREG, .imm = bits,
	                             .code = (uint8_t)((swap ? BPF_ALU64 : BPF_ALU) | BPF_END | BPF_K) });
	return true;
}

static void one_insn(Asm *a, char *text)
{
	IrFunc *f = a->env->f;
	char *s = trim(text);
	if (!*s)
		return;
	/* "L:" alone, or before an instruction */
	char *colon = s;
	while (is_ident((unsigned char)*colon))
		colon++;
	if (colon > s && *colon == ':') {
		*colon = 0;
		/* args_set is kept: a call after the label counts the
		 * arguments set on the path that falls into it (more is safe) */
		ir_emit_label(f, label_id(a, s));
		s = trim(colon + 1);
		if (!*s)
			return;
	}
	char mn[16];
	int k = 0;
	while (*s && !isspace((unsigned char)*s) && k < 15)
		mn[k++] = *s++;
	mn[k] = 0;
	if (!strcmp(mn, "local")) {
		declare_locals(a, s);
		return;
	}
	Operand op[3];
	int nop = 0;
	char *rest = s;
	while (nop < 3) {
		/* split at commas outside brackets, parentheses and quotes */
		char *c = rest;
		int depth = 0;
		char quote = 0;
		for (; *c && (depth || quote || *c != ','); c++) {
			if (quote) {
				if (*c == '\\' && c[1])
					c++;
				else if (*c == quote)
					quote = 0;
			} else if (*c == '"' || *c == '\'') {
				quote = *c;
			} else {
				depth += *c == '[' || *c == '(';
				depth -= *c == ']' || *c == ')';
			}
		}
		bool last = !*c;
		*c = 0;
		if (parse_operand(a, rest, &op[nop]))
			nop++;
		if (a->failed || last)
			break;
		rest = c + 1;
	}
	if (a->failed)
		return;
	for (size_t i = 0; i < sizeof alus / sizeof alus[0]; i++) {
		if (strcmp(mn, alus[i].name))
			continue;
		int bop = alus[i].op & 0xff;
		if (bop == BPF_NEG) {
			if (nop != 1 || op[0].kind != OPD_REG)
				BAIL("'%s' takes one register", mn);
			if (!writable(a, &op[0]))
				return;
			ir_emit_alui(f, BPF_NEG, op[0].reg, 0);
			return;
		}
		if (nop != 2 || op[0].kind != OPD_REG || (op[1].kind != OPD_REG && op[1].kind != OPD_IMM))
			BAIL("'%s' takes a register and a register or number", mn);
		if (!writable(a, &op[0]))
			return;
		note_write(a, op[0].reg);
		IrInsn in = { .kind = IRK_INSN, .dst = op[0].reg, .src = IR_NOREG,
		              .off = (alus[i].op & 0x100) ? 1 : 0 };
		if (op[1].kind == OPD_REG) {
			in.code = BPF_ALU64 | bop | BPF_X;
			in.src = op[1].reg;
		} else {
			if (bop == BPF_MOV) {
				ir_emit_movi(f, op[0].reg, op[1].imm);
				return;
			}
			if (op[1].imm < INT32_MIN || op[1].imm > INT32_MAX)
				BAIL("'%s': %lld does not fit in 32 bits", mn, (long long)op[1].imm);
			in.code = BPF_ALU64 | bop | BPF_K;
			in.imm = op[1].imm;
		}
		ir_emit(f, in);
		return;
	}
	if (byte_swap(a, mn, nop, op))
		return;
	if (!strncmp(mn, "ldx", 3) && size_of(mn + 3) >= 0) {
		if (nop != 2 || op[0].kind != OPD_REG || op[1].kind != OPD_MEM)
			BAIL("'%s' takes a register and [reg+off]", mn);
		if (!writable(a, &op[0]))
			return;
		note_write(a, op[0].reg);
		ir_emit_ldx(f, size_of(mn + 3), op[0].reg, op[1].reg, op[1].off);
		return;
	}
	if (!strncmp(mn, "stx", 3) && size_of(mn + 3) >= 0) {
		if (nop != 2 || op[0].kind != OPD_MEM || op[1].kind != OPD_REG)
			BAIL("'%s' takes [reg+off] and a register", mn);
		if (!writable(a, &op[0]))
			return;
		ir_emit_stx(f, size_of(mn + 3), op[0].reg, op[0].off, op[1].reg);
		return;
	}
	if (!strncmp(mn, "st", 2) && size_of(mn + 2) >= 0) {
		if (nop != 2 || op[0].kind != OPD_MEM || op[1].kind != OPD_IMM)
			BAIL("'%s' takes [reg+off] and a number", mn);
		if (!writable(a, &op[0]))
			return;
		ir_emit_st(f, size_of(mn + 2), op[0].reg, op[0].off, (int32_t)op[1].imm);
		return;
	}
	if (!strcmp(mn, "lddata")) {
		if (nop != 2 || op[0].kind != OPD_REG || op[1].kind != OPD_NAME)
			BAIL("'%s' takes a register and a name", mn);
		if (!writable(a, &op[0]))
			return;
		for (size_t i = 0; i < sizeof data_words / sizeof data_words[0]; i++)
			if (!strcmp(op[1].name, data_words[i].name)) {
				note_write(a, op[0].reg);
				ir_emit_ldmapval(f, op[0].reg, a->env->data_map, data_words[i].off);
				if (data_words[i].kinfo && a->env->hdr_flags)
					*a->env->hdr_flags |= BSTAP_HF_KINFO;
				return;
			}
		BAIL("unknown data word '%s' (lost, target, state, realtime, stp_pid, truncated, unotes, hz, pidns, userns)",
		     op[1].name);
	}
	if (!strcmp(mn, "ldmap")) {
		if (nop != 2 || op[0].kind != OPD_REG || op[1].kind != OPD_NAME || strcmp(op[1].name, "events"))
			BAIL("'%s' takes a register and the map name events", mn);
		if (!writable(a, &op[0]))
			return;
		if (a->env->events_map < 0)
			BAIL("'%s': no ring buffer here", mn);
		note_write(a, op[0].reg);
		ir_emit_ldmap(f, op[0].reg, a->env->events_map);
		return;
	}
	if (!strcmp(mn, "ldstr")) {
		if (nop != 2 || op[0].kind != OPD_REG || op[1].kind != OPD_STR)
			BAIL("'%s' takes a register and a string", mn);
		if (!writable(a, &op[0]))
			return;
		if (!a->env->rodata)
			BAIL("'%s': no read-only data here", mn);
		if (a->env->user)
			BAIL("'%s' is for kernel code only (put it under .if kernel)", mn);
		int map;
		int off = a->env->rodata(a->env->ctx, op[1].str, &map);
		note_write(a, op[0].reg);
		ir_emit_ldmapval(f, op[0].reg, map, off);
		return;
	}
	if (!strcmp(mn, "xadddw")) {
		if (nop != 2 || op[0].kind != OPD_MEM || op[1].kind != OPD_REG)
			BAIL("'%s' takes [reg+off] and a register", mn);
		if (!writable(a, &op[0]))
			return;
		ir_emit_atomic_add(f, op[0].reg, op[0].off, op[1].reg);
		return;
	}
	if (!strcmp(mn, "scratch")) {
		if (nop != 2 || op[0].kind != OPD_REG || op[0].reg < IR_VREG0 || op[1].kind != OPD_IMM)
			BAIL("'%s' takes a local and a size", mn);
		if (!writable(a, &op[0]))
			return;
		if (op[0].reg == a->env->result)
			BAIL("'%s' cannot replace '$$'", mn);
		if (op[1].imm <= 0 || op[1].imm > 32768)
			BAIL("'%s': bad size %lld", mn, (long long)op[1].imm);
		if (!a->env->scratch)
			BAIL("'%s': no scratch memory here", mn);
		int p = a->env->scratch(a->env->ctx, (int)op[1].imm);
		ir_emit_mov(f, op[0].reg, p);
		return;
	}
	if (!strcmp(mn, "error")) {
		if (nop != 1 || op[0].kind != OPD_STR)
			BAIL("'%s' takes a string", mn);
		if (!a->env->error)
			BAIL("raising an error from embedded code is not supported by the compiler yet");
		a->env->error(a->env->ctx, op[0].str);
		return;
	}
	if (!strcmp(mn, "refuse")) {
		if (nop != 1 || op[0].kind != OPD_STR)
			BAIL("'%s' takes a string", mn);
		diag_at(DIAG_ERROR, "semantic error", a->env->call_loc ? a->env->call_loc : a->env->loc, "%s",
		        op[0].str);
		a->failed = true;
		return;
	}
	if (!strcmp(mn, "exit")) {
		if (nop)
			BAIL("'%s' takes no operand", mn);
		ir_emit_exit(f);
		return;
	}
	if (!strcmp(mn, "ja")) {
		if (nop != 1 || op[0].kind != OPD_NAME)
			BAIL("'%s' takes a label", mn);
		ir_emit_ja(f, label_id(a, op[0].name));
		return;
	}
	for (size_t i = 0; i < sizeof jmps / sizeof jmps[0]; i++) {
		if (strcmp(mn, jmps[i].name))
			continue;
		if (nop != 3 || op[0].kind != OPD_REG || op[2].kind != OPD_NAME ||
		    (op[1].kind != OPD_REG && op[1].kind != OPD_IMM))
			BAIL("'%s' takes a register, a register or number, and a label", mn);
		if (op[1].kind == OPD_REG) {
			ir_emit_jmp(f, jmps[i].op, op[0].reg, op[1].reg, label_id(a, op[2].name));
		} else {
			if (op[1].imm < INT32_MIN || op[1].imm > INT32_MAX)
				BAIL("'%s': %lld does not fit in 32 bits", mn, (long long)op[1].imm);
			ir_emit_jmpi(f, jmps[i].op, op[0].reg, (int32_t)op[1].imm, label_id(a, op[2].name));
		}
		return;
	}
	if (!strcmp(mn, "call")) {
		int id = -1;
		if (nop == 1 && op[0].kind == OPD_NAME)
			id = asm_helper_id(op[0].name);
		else if (nop == 1 && op[0].kind == OPD_IMM)
			id = (int)op[0].imm;
		if (id <= 0)
			BAIL("unknown helper '%s'", nop ? op[0].name : "");
		int nargs = 0;
		for (int r = 1; r <= 5; r++)
			if (a->args_set & (1u << r))
				nargs = r;
		ir_emit_call(f, id, nargs);
		a->args_set = 0;
		return;
	}
	asm_error(a, "unknown instruction '%s'", mn);
}

/* ------------------------------------------------------------ the body */

/* Strip comments (not inside quotes), keeping line numbers. */
static char *strip_comments(Arena *ar, const char *code)
{
	char *out = arena_strdup(ar, code), *w = out;
	char quote = 0;
	for (const char *p = code; *p;) {
		if (quote) {
			if (*p == '\\' && p[1])
				*w++ = *p++;
			else if (*p == quote || *p == '\n')
				quote = 0;
			*w++ = *p++;
		} else if (*p == '"' || *p == '\'') {
			quote = *p;
			*w++ = *p++;
		} else if (p[0] == '/' && p[1] == '*') {
			p += 2;
			while (*p && !(p[0] == '*' && p[1] == '/')) {
				if (*p == '\n')
					*w++ = '\n';
				p++;
			}
			if (*p)
				p += 2;
		} else if ((p[0] == '/' && p[1] == '/') || p[0] == '#') {
			while (*p && *p != '\n')
				p++;
		} else {
			*w++ = *p++;
		}
	}
	*w = 0;
	return out;
}

/* Does a comment of the code say `word` (a pragma such as guru)?  The
 * rest of that comment, trimmed, goes to why (when not NULL). */
static bool pragma_says(const char *code, const char *word, char *why, size_t whylen)
{
	for (const char *c = strstr(code, "/*"); c; c = strstr(c + 2, "/*")) {
		const char *end = strstr(c + 2, "*/");
		if (!end)
			break;
		const char *p = c + 2;
		while (isspace((unsigned char)*p))
			p++;
		size_t n = strlen(word);
		if (!strncmp(p, word, n) && (isspace((unsigned char)p[n]) || p + n == end)) {
			if (why) {
				const char *r = p + n, *e = end;
				while (r < e && isspace((unsigned char)*r))
					r++;
				while (e > r && isspace((unsigned char)e[-1]))
					e--;
				snprintf(why, whylen, "%.*s", (int)(e - r), r);
			}
			return true;
		}
	}
	return false;
}


/* Next ';' that ends an instruction (not one in quotes), or NULL. */
static char *next_semicolon(char *s)
{
	char quote = 0;
	for (; *s; s++) {
		if (quote) {
			if (*s == '\\' && s[1])
				s++;
			else if (*s == quote)
				quote = 0;
		} else if (*s == '"' || *s == '\'') {
			quote = *s;
		} else if (*s == ';') {
			return s;
		}
	}
	return NULL;
}

/* Does condition `cond` of ".if" hold where the code is compiled?
 * 1, 0, or -1 for an unknown name. */
static int condition(const AsmEnv *env, const char *cond)
{
	bool neg = *cond == '!';
	if (neg)
		cond = trim((char *)cond + 1);
	int v;
	bool regs = env->prog_type == BPF_PROG_TYPE_KPROBE || env->prog_type == BPF_PROG_TYPE_PERF_EVENT;
	if (!strcmp(cond, "user"))
		v = env->user;
	else if (!strcmp(cond, "kernel"))
		v = !env->user;
	else if (!strcmp(cond, "regs"))
		v = !env->user && regs;
	else if (!strcmp(cond, "uprobe"))
		v = !env->user && env->probe_kind == BSTAP_PROBE_UPROBE;
	else if (!strcmp(cond, "perf"))
		v = !env->user && env->prog_type == BPF_PROG_TYPE_PERF_EVENT;
	else if (!strcmp(cond, "tracepoint"))
		v = !env->user && env->prog_type == BPF_PROG_TYPE_TRACEPOINT;
	else
		return -1;
	return neg ? !v : v;
}

/* A ".if", ".else" or ".endif" line: updates the stack of conditions
 * (each entry: its branch is taken, and everything around it is) and
 * returns true; false for any other line. */
#define MAX_IF_DEPTH 8
typedef struct {
	int depth;
	bool taken[MAX_IF_DEPTH];    /* this level's current branch is kept */
	bool outer[MAX_IF_DEPTH];    /* the enclosing levels are all kept */
} IfStack;

static bool if_active(const IfStack *st)
{
	return !st->depth || (st->taken[st->depth - 1] && st->outer[st->depth - 1]);
}

static bool directive(Asm *a, IfStack *st, char *line)
{
	char *t = trim(line);
	if (*t != '.')
		return false;
	if (!strncmp(t, ".if", 3) && (isspace((unsigned char)t[3]) || !t[3])) {
		if (st->depth == MAX_IF_DEPTH) {
			asm_error(a, ".if nested too deeply");
			return true;
		}
		int c = condition(a->env, trim(t + 3));
		if (c < 0) {
			asm_error(a, "unknown condition '%s' (user, kernel, regs, uprobe, perf, tracepoint)", trim(t + 3));
			return true;
		}
		st->outer[st->depth] = if_active(st);
		st->taken[st->depth++] = c;
		return true;
	}
	if (!strcmp(t, ".else") || !strcmp(t, ".endif")) {
		if (!st->depth) {
			asm_error(a, "%s without .if", t);
			return true;
		}
		if (t[1] == 'e' && t[2] == 'l')
			st->taken[st->depth - 1] = !st->taken[st->depth - 1];
		else
			st->depth--;
		return true;
	}
	asm_error(a, "unknown directive '%s'", t);
	return true;
}

int asm_lower(AsmEnv *env, const char *code)
{
	Asm a = { .env = env, .line = 1 };
	IfStack ifs = { 0 };
	char why[128];
	if (pragma_says(code, "guru", why, sizeof why) && !env->guru) {
		diag_at(DIAG_ERROR, "semantic error", env->call_loc ? env->call_loc : env->loc,
		        "this function %s: it needs guru mode (-g)", *why ? why : "writes memory");
		return -1;
	}
	char *text = strip_comments(env->f->arena, code);
	for (char *line = text, *next; line && !a.failed; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		if (directive(&a, &ifs, line) || !if_active(&ifs)) {
			a.line++;
			continue;
		}
		for (char *part = line, *semi; part; part = semi) {
			semi = next_semicolon(part);
			if (semi)
				*semi++ = 0;
			one_insn(&a, part);
			if (a.failed)
				break;
		}
		a.line++;
	}
	if (ifs.depth && !a.failed)
		asm_error(&a, ".if without .endif");
	return a.failed ? -1 : 0;
}
