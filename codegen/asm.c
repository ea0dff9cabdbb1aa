/* asm.c - embedded BPF assembly: the body of a tapset function written as
 *
 *   function pid:long () %{ /-* bpf *-/
 *       call get_current_pid_tgid
 *       rsh r0, 32
 *       mov $$, r0
 *   %}
 *
 * One instruction per line (or ';'-separated); comments as in C, or '#'.
 * Operands: r0..r10, "$$" (the result: a long, or the result buffer of a
 * string function), "$param", immediates, memory "[reg+off]", labels.
 * Mnemonics: mov add sub mul div mod sdiv smod and or xor lsh rsh arsh neg
 * (64-bit), ldx{b,h,w,dw} dst, [src+off]; stx{b,h,w,dw} [dst+off], src;
 * st{b,h,w,dw} [dst+off], imm; ja L; j{eq,ne,gt,ge,lt,le,sgt,sge,slt,sle,set}
 * a, b|imm, L; call HELPER (by name without bpf_, or number); "L:" defines
 * a label; "lddata dst, NAME" puts the address of one of the runtime's words
 * of the global data map in dst (NAME: lost, target, state; bpf_abi.h).
 * Labels are local to one expansion.  Registers r0..r5 are the
 * caller-saved ones: the code is inlined, so only values in $-operands
 * survive from one expansion to the rest of the program. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/ir.h"

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
	const char *p;         /* cursor */
	int line;
	char **labels;
	int *label_ids;
	int nlabels, caplabels;
	unsigned args_set;     /* r1..r5 written since the last call */
	bool failed;
} Asm;

static void asm_error(Asm *a, const char *fmt, const char *what)
{
	char msg[256];
	snprintf(msg, sizeof msg, fmt, what);
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

typedef struct {
	enum { OPD_NONE, OPD_REG, OPD_IMM, OPD_MEM, OPD_NAME } kind;
	int reg;
	int64_t imm;
	int16_t off;
	char name[64];
} Operand;

/* The register an operand names ($$ or $param or rN), or -1. */
static int named_reg(Asm *a, const char *t)
{
	if (!strcmp(t, "$$")) {
		if (a->env->result < 0)
			asm_error(a, "'$$' used in a function that returns nothing%s", "");
		return a->env->result;
	}
	if (t[0] == '$') {
		for (int i = 0; i < a->env->n; i++)
			if (!strcmp(a->env->names[i], t + 1))
				return a->env->vregs[i];
		asm_error(a, "unknown parameter '%s'", t);
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

static bool parse_operand(Asm *a, char *t, Operand *o)
{
	memset(o, 0, sizeof *o);
	while (isspace((unsigned char)*t))
		t++;
	char *e = t + strlen(t);
	while (e > t && isspace((unsigned char)e[-1]))
		*--e = 0;
	if (!*t)
		return false;
	if (*t == '[') {
		char *close = strchr(t, ']');
		if (!close) {
			asm_error(a, "missing ']' in '%s'", t);
			return false;
		}
		*close = 0;
		char *sign = strpbrk(t + 1, "+-");
		long off = 0;
		if (sign) {
			off = strtol(sign, NULL, 0);
			*sign = 0;
		}
		char *r = t + 1;
		while (isspace((unsigned char)*r))
			r++;
		char *re = r + strlen(r);
		while (re > r && isspace((unsigned char)re[-1]))
			*--re = 0;
		o->kind = OPD_MEM;
		o->reg = named_reg(a, r);
		o->off = (int16_t)off;
		if (o->reg < 0) {
			asm_error(a, "bad base register '%s'", r);
			return false;
		}
		return true;
	}
	int r = named_reg(a, t);
	if (r >= 0) {
		o->kind = OPD_REG;
		o->reg = r;
		return true;
	}
	if (a->failed)
		return false;
	if (isdigit((unsigned char)*t) || *t == '-') {
		char *end;
		o->kind = OPD_IMM;
		o->imm = strtoll(t, &end, 0);
		if (*end) {
			asm_error(a, "bad number '%s'", t);
			return false;
		}
		return true;
	}
	o->kind = OPD_NAME;
	snprintf(o->name, sizeof o->name, "%s", t);
	return true;
}

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

static int size_of(const char *suffix)
{
	if (!strcmp(suffix, "b")) return BPF_B;
	if (!strcmp(suffix, "h")) return BPF_H;
	if (!strcmp(suffix, "w")) return BPF_W;
	if (!strcmp(suffix, "dw")) return BPF_DW;
	return -1;
}

#define BAIL(...) do { asm_error(a, __VA_ARGS__); return; } while (0)

static void note_write(Asm *a, int reg)
{
	if (reg >= 1 && reg <= 5)
		a->args_set |= 1u << reg;
}

static void one_insn(Asm *a, char *text)
{
	IrFunc *f = a->env->f;
	char *s = text;
	while (isspace((unsigned char)*s))
		s++;
	if (!*s)
		return;
	size_t len = strlen(s);
	if (s[len - 1] == ':') {
		s[len - 1] = 0;
		ir_emit_label(f, label_id(a, s));
		a->args_set = 0;
		return;
	}
	char mn[16];
	int k = 0;
	while (*s && !isspace((unsigned char)*s) && k < 15)
		mn[k++] = *s++;
	mn[k] = 0;
	Operand op[3];
	int nop = 0;
	char *rest = s;
	while (nop < 3) {
		/* split at commas outside brackets */
		char *c = rest;
		int depth = 0;
		while (*c && (depth || *c != ',')) {
			depth += *c == '[';
			depth -= *c == ']';
			c++;
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
			ir_emit_alui(f, BPF_NEG, op[0].reg, 0);
			return;
		}
		if (nop != 2 || op[0].kind != OPD_REG || (op[1].kind != OPD_REG && op[1].kind != OPD_IMM))
			BAIL("'%s' takes a register and a register or number", mn);
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
			in.code = BPF_ALU64 | bop | BPF_K;
			in.imm = op[1].imm;
		}
		ir_emit(f, in);
		return;
	}
	if (!strncmp(mn, "ldx", 3) && size_of(mn + 3) >= 0) {
		if (nop != 2 || op[0].kind != OPD_REG || op[1].kind != OPD_MEM)
			BAIL("'%s' takes a register and [reg+off]", mn);
		note_write(a, op[0].reg);
		ir_emit_ldx(f, size_of(mn + 3), op[0].reg, op[1].reg, op[1].off);
		return;
	}
	if (!strncmp(mn, "stx", 3) && size_of(mn + 3) >= 0) {
		if (nop != 2 || op[0].kind != OPD_MEM || op[1].kind != OPD_REG)
			BAIL("'%s' takes [reg+off] and a register", mn);
		ir_emit_stx(f, size_of(mn + 3), op[0].reg, op[0].off, op[1].reg);
		return;
	}
	if (!strncmp(mn, "st", 2) && size_of(mn + 2) >= 0) {
		if (nop != 2 || op[0].kind != OPD_MEM || op[1].kind != OPD_IMM)
			BAIL("'%s' takes [reg+off] and a number", mn);
		ir_emit_st(f, size_of(mn + 2), op[0].reg, op[0].off, (int32_t)op[1].imm);
		return;
	}
	if (!strcmp(mn, "lddata")) {
		static const struct { const char *name; int off; } words[] = {
			{"lost", BSTAP_DATA_LOST}, {"target", BSTAP_DATA_TARGET}, {"state", BSTAP_DATA_STATE},
		};
		if (nop != 2 || op[0].kind != OPD_REG || op[1].kind != OPD_NAME)
			BAIL("'%s' takes a register and a name", mn);
		for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
			if (!strcmp(op[1].name, words[i].name)) {
				note_write(a, op[0].reg);
				ir_emit_ldmapval(f, op[0].reg, a->env->data_map, words[i].off);
				return;
			}
		BAIL("unknown data word '%s' (lost, target, state)", op[1].name);
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
		if (op[1].kind == OPD_REG)
			ir_emit_jmp(f, jmps[i].op, op[0].reg, op[1].reg, label_id(a, op[2].name));
		else
			ir_emit_jmpi(f, jmps[i].op, op[0].reg, (int32_t)op[1].imm, label_id(a, op[2].name));
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

/* Strip comments, keeping line numbers. */
static char *strip_comments(Arena *ar, const char *code)
{
	char *out = arena_strdup(ar, code), *w = out;
	for (const char *p = code; *p;) {
		if (p[0] == '/' && p[1] == '*') {
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

int asm_lower(AsmEnv *env, const char *code)
{
	Asm a = { .env = env, .line = 1 };
	char *text = strip_comments(env->f->arena, code);
	for (char *line = text, *next; line && !a.failed; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		for (char *part = line, *semi; part; part = semi) {
			semi = strchr(part, ';');
			if (semi)
				*semi++ = 0;
			one_insn(&a, part);
			if (a.failed)
				break;
		}
		a.line++;
	}
	return a.failed ? -1 : 0;
}
