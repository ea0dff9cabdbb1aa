/* target_dwarf.c - DWARF-located target values (ACC_DWARF) of process
 * probes and of kernel.function probes with kernel debuginfo: the location
 * program of each item (translate/dwarf_loc.c, usdt.c) run at compile time
 * on a stack of virtual registers, reading saved registers from the
 * pt_regs context, and memory from the process (bpf_copy_from_user,
 * bpf_probe_read_user_str) or from the kernel (bpf_probe_read_kernel and
 * _str) as LocAccess.kernel says.  A plain value is a long or a string; $$parms and $x$ are strings
 * formatted here, in BPF: hex, decimal and char escapes are computed without
 * branches (each branch would double the paths the verifier walks), into a
 * buffer whose write offset is clamped to MAXSTRINGLEN - 1 and masked to a
 * power of two the verifier can bound. */
#include <string.h>

#include "codegen/lower.h"

#define PT_REGS_IP 128      /* offsetof(struct pt_regs, ip) on x86-64 */
#define MAX_STACK 16

typedef struct Emit {
	Lower *L;
	Node *n;
	const LocAccess *la;
	int slot;               /* scratch offset of an 8-byte read buffer, -1 none */
} Emit;

static int vreg_copy(IrFunc *f, int src)
{
	int v = ir_vreg(f);
	ir_emit_mov(f, v, src);
	return v;
}

static void add_imm(IrFunc *f, int v, int64_t imm)
{
	if (imm >= INT32_MIN && imm <= INT32_MAX) {
		ir_emit_alui(f, BPF_ADD, v, (int32_t)imm);
	} else {
		int t = ir_vreg(f);
		ir_emit_movi(f, t, imm);
		ir_emit_alu(f, BPF_ADD, v, t);
	}
}

/* helper(dst, size, src), the shape of every user-memory helper: r0 in a
 * register. */
static int call_copy(IrFunc *f, int helper, int dst, int size, int src)
{
	ir_emit_mov(f, 1, dst);
	ir_emit_movi(f, 2, size);
	ir_emit_mov(f, 3, src);
	return ir_emit_call_result(f, helper, 3);
}

static const char *near_text(Emit *e)
{
	return arena_printf(e->L->a, "identifier '%s'", e->la->expr);
}

/* size bytes of memory at addr, zero-extended; a fault ends the probe
 * with a run-time error.  Process probes are sleepable programs
 * (uprobe.s): bpf_copy_from_user brings in pages the process has not
 * touched yet, where bpf_probe_read_user would fail.  Kernel memory is
 * read with bpf_probe_read_kernel (kprobes cannot sleep, nor need to). */
static int load_mem(Emit *e, int addr, int size)
{
	Lower *L = e->L;
	IrFunc *f = L->f;
	static const int sizes[9] = {0, BPF_B, BPF_H, 0, BPF_W, 0, 0, 0, BPF_DW};
	if (e->slot < 0)
		e->slot = scratch_alloc(L, 8);
	int helper = e->la->kernel ? BPF_FUNC_probe_read_kernel : BPF_FUNC_copy_from_user;
	int r = call_copy(f, helper, scratch_ptr(L, e->slot), size, addr);
	int ok = ir_label(f);
	ir_emit_jmpi(f, BPF_JEQ, r, 0, ok);
	emit_error(L, e->la->kernel ? "kernel read fault" : "user read fault", near_text(e), &e->n->loc);
	ir_emit_label(f, ok);
	int v = ir_vreg(f);
	ir_emit_ldx(f, sizes[size], v, scratch_ptr(L, e->slot), 0);
	return v;
}

/* The BPF operation of a binary LOP_ (0: none). */
static const int binops[LOP_PICK + 1] = {
	[LOP_ADD] = BPF_ADD, [LOP_SUB] = BPF_SUB, [LOP_MUL] = BPF_MUL, [LOP_DIV] = BPF_DIV,
	[LOP_MOD] = BPF_MOD, [LOP_AND] = BPF_AND, [LOP_OR] = BPF_OR, [LOP_XOR] = BPF_XOR,
	[LOP_SHL] = BPF_LSH, [LOP_SHR] = BPF_RSH, [LOP_SHRA] = BPF_ARSH,
};

/* Run a location program; the register holding what it leaves.  Results
 * always go to fresh registers: DUP and PICK share them. */
static int run_ops(Emit *e, const LocOp *ops, int nops)
{
	Lower *L = e->L;
	IrFunc *f = L->f;
	int st[MAX_STACK], sp = 0;
	for (int i = 0; i < nops; i++) {
		const LocOp *o = &ops[i];
		int v, t;
		switch (o->op) {
		case LOP_REG:
			v = ir_vreg(f);
			ir_emit_ldx(f, BPF_DW, v, L->ctx, (int16_t)o->n);
			st[sp++] = v;
			break;
		case LOP_CONST:
			v = ir_vreg(f);
			ir_emit_movi(f, v, o->n);
			st[sp++] = v;
			break;
		case LOP_BIAS:
			/* a uprobe handler sees ip at the probed instruction */
			v = ir_vreg(f);
			ir_emit_ldx(f, BPF_DW, v, L->ctx, PT_REGS_IP);
			add_imm(f, v, -o->n);
			st[sp++] = v;
			break;
		case LOP_ADDI:
			v = vreg_copy(f, st[sp - 1]);
			add_imm(f, v, o->n);
			st[sp - 1] = v;
			break;
		case LOP_LOAD:
			st[sp - 1] = load_mem(e, st[sp - 1], (int)o->n);
			break;
		case LOP_SEXT: case LOP_ZEXT:
			v = vreg_copy(f, st[sp - 1]);
			ir_emit_alui(f, BPF_LSH, v, (int32_t)(64 - 8 * o->n));
			ir_emit_alui(f, o->op == LOP_SEXT ? BPF_ARSH : BPF_RSH, v, (int32_t)(64 - 8 * o->n));
			st[sp - 1] = v;
			break;
		case LOP_BITS:
			v = vreg_copy(f, st[sp - 1]);
			if (o->n + o->width < 64)
				ir_emit_alui(f, BPF_LSH, v, (int32_t)(64 - o->n - o->width));
			if (o->width < 64)
				ir_emit_alui(f, o->sign ? BPF_ARSH : BPF_RSH, v,
				             (int32_t)(o->n + o->width < 64 ? 64 - o->width : o->n));
			st[sp - 1] = v;
			break;
		case LOP_NEG: case LOP_NOT:
			v = vreg_copy(f, st[sp - 1]);
			if (o->op == LOP_NEG)
				ir_emit_alui(f, BPF_NEG, v, 0);
			else
				ir_emit_alui(f, BPF_XOR, v, -1);
			st[sp - 1] = v;
			break;
		case LOP_DUP:
			st[sp] = st[sp - 1];
			sp++;
			break;
		case LOP_PICK:
			st[sp] = st[sp - 1 - o->n];
			sp++;
			break;
		case LOP_DROP:
			sp--;
			break;
		case LOP_SWAP:
			t = st[sp - 1];
			st[sp - 1] = st[sp - 2];
			st[sp - 2] = t;
			break;
		case LOP_ROT:
			t = st[sp - 1];
			st[sp - 1] = st[sp - 2];
			st[sp - 2] = st[sp - 3];
			st[sp - 3] = t;
			break;
		case LOP_ADD: case LOP_SUB: case LOP_MUL: case LOP_DIV: case LOP_MOD: case LOP_AND: case LOP_OR:
		case LOP_XOR: case LOP_SHL: case LOP_SHR: case LOP_SHRA: {
			int b = st[--sp];
			v = vreg_copy(f, st[sp - 1]);
			/* DWARF divides signed: BPF's signed form has off = 1 */
			ir_emit(f, (IrInsn){ .kind = IRK_INSN, .code = (uint8_t)(BPF_ALU64 | binops[o->op] | BPF_X), .dst = v,
			                     .src = b, .off = o->op == LOP_DIV || o->op == LOP_MOD });
			st[sp - 1] = v;
			break;
		}
		}
		if (sp <= 0 || sp >= MAX_STACK) {
			lower_fail(L, &e->n->loc, "internal error: a malformed location program");
			return -1;
		}
	}
	return st[sp - 1];
}

/* bpf_probe_read_user_str(dst, size, addr), the result in a register.  It
 * cannot fault pages in: when it fails, touch the first byte and the next
 * page with bpf_copy_from_user (which can) and read again.  A kernel
 * string is read once with bpf_probe_read_kernel_str. */
static int read_str(Emit *e, int dst, int size, int addr)
{
	IrFunc *f = e->L->f;
	if (e->la->kernel)
		return call_copy(f, BPF_FUNC_probe_read_kernel_str, dst, size, addr);
	int r = call_copy(f, BPF_FUNC_probe_read_user_str, dst, size, addr), done = ir_label(f);
	ir_emit_jmpi(f, BPF_JSGE, r, 0, done);
	if (e->slot < 0)
		e->slot = scratch_alloc(e->L, 8);
	int next = vreg_copy(f, addr);
	ir_emit_alui(f, BPF_OR, next, 4095);
	ir_emit_alui(f, BPF_ADD, next, 1);
	call_copy(f, BPF_FUNC_copy_from_user, scratch_ptr(e->L, e->slot), 1, addr);
	call_copy(f, BPF_FUNC_copy_from_user, scratch_ptr(e->L, e->slot), 1, next);
	int again = call_copy(f, BPF_FUNC_probe_read_user_str, dst, size, addr);
	ir_emit_mov(f, r, again);
	ir_emit_label(f, done);
	return r;
}

/* The string at addr into a fresh MAXSTRINGLEN buffer (at most max
 * bytes, 0: no limit). */
static int read_string(Emit *e, int addr, int max)
{
	Lower *L = e->L;
	IrFunc *f = L->f;
	int buf = scratch_ptr(L, scratch_alloc(L, L->cap));
	int r = read_str(e, buf, max > 0 && max + 1 < L->cap ? max + 1 : L->cap, addr);
	int ok = ir_label(f);
	ir_emit_jmpi(f, BPF_JSGE, r, 0, ok);
	emit_error(L, e->la->kernel ? "kernel string copy fault" : "user string copy fault", near_text(e),
	           &e->n->loc);
	ir_emit_label(f, ok);
	return buf;
}

/* ------------------------------------------------------------ formatting */

/* The string being built lives in scratch memory, and so does its length:
 * nothing stays in a register between two pieces, which keeps the
 * register pressure (and the spills) of long $x$ strings low. */
typedef struct Sb {
	int buf;                /* scratch offsets: the output buffer, */
	int tmp;                /* 40 bytes of digits, */
	int pos;                /* the u64 count of characters written (may pass cap) */
	int pow2;               /* a power of two > the largest write offset */
} Sb;

static int pow2_above(int n)
{
	int p = 1;
	while (p < n)
		p *= 2;
	return p;
}

/* 1 if v != 0, else 0, without a branch: (v | -v) has the sign bit set. */
static int nonzero(IrFunc *f, int v)
{
	int t = vreg_copy(f, v);
	ir_emit_alui(f, BPF_NEG, t, 0);
	ir_emit_alu(f, BPF_OR, t, v);
	ir_emit_alui(f, BPF_RSH, t, 63);
	return t;
}

static int sb_tmp(Lower *L, const Sb *b)
{
	return scratch_ptr(L, b->tmp);
}

/* Where the next character goes: buf + min(pos, cap - 1), masked so the
 * verifier sees the bound. */
static int sb_ptr(Lower *L, const Sb *b)
{
	IrFunc *f = L->f;
	int pos = ir_vreg(f);
	ir_emit_ldx(f, BPF_DW, pos, scratch_ptr(L, b->pos), 0);
	int d = ir_vreg(f);
	ir_emit_movi(f, d, L->cap - 1);
	ir_emit_alu(f, BPF_SUB, d, pos);
	int m = vreg_copy(f, d);
	ir_emit_alui(f, BPF_ARSH, m, 63);
	ir_emit_alu(f, BPF_AND, d, m);
	ir_emit_alu(f, BPF_ADD, d, pos);
	ir_emit_alui(f, BPF_AND, d, b->pow2 - 1);
	int p = scratch_ptr(L, b->buf);
	ir_emit_alu(f, BPF_ADD, p, d);
	return p;
}

/* pos += n (a register, or imm when n < 0). */
static void sb_advance(Lower *L, const Sb *b, int n, int32_t imm)
{
	IrFunc *f = L->f;
	int at = scratch_ptr(L, b->pos), pos = ir_vreg(f);
	ir_emit_ldx(f, BPF_DW, pos, at, 0);
	if (n >= 0)
		ir_emit_alu(f, BPF_ADD, pos, n);
	else
		ir_emit_alui(f, BPF_ADD, pos, imm);
	ir_emit_stx(f, BPF_DW, at, 0, pos);
}

static void sb_text(Lower *L, const Sb *b, const char *s)
{
	size_t len = strlen(s);
	for (size_t i = 0; i < len; i += 32) {
		size_t n = len - i < 32 ? len - i : 32;
		store_literal(L, sb_ptr(L, b), 0, s + i, n, (int)n + 1);
		sb_advance(L, b, -1, (int32_t)n);
	}
}

/* Copy `count` bytes from tmp + count - n (the last n digits) to p + at. */
static void copy_digits(Lower *L, const Sb *b, int p, int at, int n, int count)
{
	IrFunc *f = L->f;
	int src = ir_vreg(f);
	ir_emit_movi(f, src, count);
	ir_emit_alu(f, BPF_SUB, src, n);
	ir_emit_alu(f, BPF_ADD, src, sb_tmp(L, b));
	int c = ir_vreg(f);
	for (int j = 0; j < count; j++) {
		ir_emit_ldx(f, BPF_B, c, src, (int16_t)j);
		ir_emit_stx(f, BPF_B, p, (int16_t)(at + j), c);
	}
}

/* The count of hex digits of v (1..16). */
static int hex_len(IrFunc *f, int v)
{
	int n = ir_vreg(f);
	ir_emit_movi(f, n, 1);
	for (int i = 1; i < 16; i++) {
		int t = vreg_copy(f, v);
		ir_emit_alui(f, BPF_RSH, t, 4 * i);
		ir_emit_alu(f, BPF_ADD, n, nonzero(f, t));
	}
	return n;
}

/* "0x1f" at p; returns its length register. */
static int hex_at(Lower *L, const Sb *b, int p, int v)
{
	IrFunc *f = L->f;
	int tmp = sb_tmp(L, b);
	for (int i = 0; i < 16; i++) {
		int d = vreg_copy(f, v);
		if (i)
			ir_emit_alui(f, BPF_RSH, d, 4 * i);
		ir_emit_alui(f, BPF_AND, d, 15);
		/* 'a' - '0' - 10 more above 9 */
		int over = ir_vreg(f);
		ir_emit_movi(f, over, 9);
		ir_emit_alu(f, BPF_SUB, over, d);
		ir_emit_alui(f, BPF_RSH, over, 63);
		ir_emit_alui(f, BPF_MUL, over, 'a' - '0' - 10);
		ir_emit_alu(f, BPF_ADD, d, over);
		ir_emit_alui(f, BPF_ADD, d, '0');
		ir_emit_stx(f, BPF_B, tmp, (int16_t)(15 - i), d);
	}
	ir_emit_st(f, BPF_B, p, 0, '0');
	ir_emit_st(f, BPF_B, p, 1, 'x');
	int n = hex_len(f, v);
	copy_digits(L, b, p, 2, n, 16);
	ir_emit_alui(f, BPF_ADD, n, 2);
	return n;
}

/* Unsigned decimal digits of v at p; returns the count register. */
static int udec_at(Lower *L, const Sb *b, int p, int v)
{
	IrFunc *f = L->f;
	int a = vreg_copy(f, v), tmp = sb_tmp(L, b);
	int n = ir_vreg(f);
	ir_emit_movi(f, n, 1);
	for (int i = 0; i < 20; i++) {
		int d = vreg_copy(f, a);
		ir_emit_alui(f, BPF_MOD, d, 10);
		ir_emit_alui(f, BPF_ADD, d, '0');
		ir_emit_stx(f, BPF_B, tmp, (int16_t)(19 - i), d);
		ir_emit_alui(f, BPF_DIV, a, 10);
		if (i < 19)
			ir_emit_alu(f, BPF_ADD, n, nonzero(f, a));
	}
	copy_digits(L, b, p, 0, n, 20);
	return n;
}

static void sb_hex(Lower *L, const Sb *b, int v)
{
	sb_advance(L, b, hex_at(L, b, sb_ptr(L, b), v), 0);
}

static void sb_dec(Lower *L, const Sb *b, int v, bool is_signed)
{
	IrFunc *f = L->f;
	if (!is_signed) {
		sb_advance(L, b, udec_at(L, b, sb_ptr(L, b), v), 0);
		return;
	}
	/* '-' is always written and kept only for a negative value */
	int p = sb_ptr(L, b);
	ir_emit_st(f, BPF_B, p, 0, '-');
	int neg = vreg_copy(f, v);
	ir_emit_alui(f, BPF_RSH, neg, 63);
	ir_emit_alu(f, BPF_ADD, p, neg);
	sb_advance(L, b, neg, 0);
	int sgn = vreg_copy(f, v);
	ir_emit_alui(f, BPF_ARSH, sgn, 63);
	int mag = vreg_copy(f, v);
	ir_emit_alu(f, BPF_XOR, mag, sgn);
	ir_emit_alu(f, BPF_SUB, mag, sgn);
	sb_advance(L, b, udec_at(L, b, p, mag), 0);
}

/* 1 if c == k, else 0. */
static int equals(IrFunc *f, int c, int k)
{
	int t = vreg_copy(f, c);
	ir_emit_alui(f, BPF_XOR, t, k);
	int nz = nonzero(f, t);
	ir_emit_alui(f, BPF_XOR, nz, 1);
	return nz;
}

/* c >> shift & mask, plus '0': one octal digit. */
static int octal(IrFunc *f, int c, int shift, int mask)
{
	int o = vreg_copy(f, c);
	if (shift)
		ir_emit_alui(f, BPF_RSH, o, shift);
	ir_emit_alui(f, BPF_AND, o, mask);
	ir_emit_alui(f, BPF_ADD, o, '0');
	return o;
}

/* stap's %#c: the character, a C escape (\n, \', \\), or \ooo.  Bytes
 * are stored as soon as they are known, to keep few values alive. */
static void sb_char(Lower *L, const Sb *b, int v)
{
	static const char from[] = "\a\b\f\n\r\t\v'\\", to[] = "abfnrtv'\\";
	IrFunc *f = L->f;
	int c = vreg_copy(f, v);
	ir_emit_alui(f, BPF_AND, c, 0xff);
	int letter = ir_vreg(f), named = ir_vreg(f);
	ir_emit_movi(f, letter, 0);
	ir_emit_movi(f, named, 0);
	for (size_t k = 0; k < sizeof from - 1; k++) {
		int m = equals(f, c, from[k]);
		ir_emit_alu(f, BPF_OR, named, m);
		ir_emit_alui(f, BPF_MUL, m, to[k]);
		ir_emit_alu(f, BPF_OR, letter, m);
	}
	int p = sb_ptr(L, b);
	/* byte 1 = named ? letter : first octal digit */
	int o = octal(f, c, 6, 3);
	ir_emit_alu(f, BPF_SUB, letter, o);
	ir_emit_alu(f, BPF_MUL, letter, named);
	ir_emit_alu(f, BPF_ADD, letter, o);
	ir_emit_stx(f, BPF_B, p, 1, letter);
	ir_emit_stx(f, BPF_B, p, 2, octal(f, c, 3, 7));
	ir_emit_stx(f, BPF_B, p, 3, octal(f, c, 0, 7));
	/* escaped: below 0x20, above 0x7e, or named (' and \ too) */
	int esc = vreg_copy(f, c), t = ir_vreg(f);
	ir_emit_alui(f, BPF_SUB, esc, 0x20);
	ir_emit_alui(f, BPF_RSH, esc, 63);
	ir_emit_movi(f, t, 0x7e);
	ir_emit_alu(f, BPF_SUB, t, c);
	ir_emit_alui(f, BPF_RSH, t, 63);
	ir_emit_alu(f, BPF_OR, esc, t);
	ir_emit_alu(f, BPF_OR, esc, named);
	/* byte 0 = esc ? '\\' : c */
	int b0 = ir_vreg(f);
	ir_emit_movi(f, b0, '\\');
	ir_emit_alu(f, BPF_SUB, b0, c);
	ir_emit_alu(f, BPF_MUL, b0, esc);
	ir_emit_alu(f, BPF_ADD, b0, c);
	ir_emit_stx(f, BPF_B, p, 0, b0);
	/* length: 1, 2 (named escape) or 4 (octal) */
	int len = vreg_copy(f, esc);
	ir_emit_alu(f, BPF_SUB, len, named);
	ir_emit_alui(f, BPF_LSH, len, 1);
	ir_emit_alu(f, BPF_ADD, len, esc);
	ir_emit_alui(f, BPF_ADD, len, 1);
	sb_advance(L, b, len, 0);
}

/* user_string_quoted(): "text" (at most max bytes), or the address in hex
 * when it cannot be read.  Both arms only write memory, and the length is
 * computed before them: the registers are the same after either, so the
 * verifier walks the rest once. */
static void sb_quoted(Emit *e, const Sb *b, int addr, int max)
{
	Lower *L = e->L;
	IrFunc *f = L->f;
	int size = max > 0 && max + 1 < L->cap ? max + 1 : L->cap;
	int dst = sb_ptr(L, b);
	ir_emit_alui(f, BPF_ADD, dst, 1);
	int got = read_str(e, dst, size, addr);
	/* delta = got > 0 ? got + 1 : 2 + hex digits */
	int ok = vreg_copy(f, got);
	ir_emit_alui(f, BPF_NEG, ok, 0);
	ir_emit_alui(f, BPF_RSH, ok, 63);
	int hexn = hex_len(f, addr);
	ir_emit_alui(f, BPF_ADD, hexn, 2);
	int delta = vreg_copy(f, got);
	ir_emit_alui(f, BPF_ADD, delta, 1);
	ir_emit_alu(f, BPF_SUB, delta, hexn);
	ir_emit_alu(f, BPF_MUL, delta, ok);
	ir_emit_alu(f, BPF_ADD, delta, hexn);
	int bad = ir_label(f), done = ir_label(f);
	ir_emit_jmpi(f, BPF_JSLE, got, 0, bad);
	int p = sb_ptr(L, b);
	ir_emit_st(f, BPF_B, p, 0, '"');
	ir_emit_alui(f, BPF_AND, got, b->pow2 - 1);
	ir_emit_alu(f, BPF_ADD, p, got);
	ir_emit_st(f, BPF_B, p, 0, '"');
	ir_emit_ja(f, done);
	ir_emit_label(f, bad);
	hex_at(L, b, sb_ptr(L, b), addr);
	ir_emit_label(f, done);
	sb_advance(L, b, delta, 0);
}

/* The string of items: text and formatted values. */
static int build_string(Emit *e)
{
	Lower *L = e->L;
	IrFunc *f = L->f;
	Sb b;
	b.pow2 = pow2_above(L->cap + 1);
	b.buf = scratch_alloc(L, 2 * b.pow2 + 64);
	b.tmp = scratch_alloc(L, 40);
	b.pos = scratch_alloc(L, 8);
	ir_emit_st(f, BPF_DW, scratch_ptr(L, b.pos), 0, 0);
	for (int i = 0; i < e->la->nitems && !L->failed; i++) {
		const LocItem *it = &e->la->items[i];
		if (it->text && *it->text)
			sb_text(L, &b, it->text);
		if (!it->ops)
			continue;
		int v = run_ops(e, it->ops, it->nops);
		if (v < 0)
			return -1;
		switch (it->fmt) {
		case LOCF_HEX: sb_hex(L, &b, v); break;
		case LOCF_DEC: sb_dec(L, &b, v, true); break;
		case LOCF_UDEC: sb_dec(L, &b, v, false); break;
		case LOCF_CHAR: sb_char(L, &b, v); break;
		case LOCF_QUOTED: sb_quoted(e, &b, v, it->strmax); break;
		case LOCF_VALUE:
			if (it->is_string)
				sb_quoted(e, &b, v, it->strmax);
			else
				sb_dec(L, &b, v, true);
			break;
		}
	}
	ir_emit_st(f, BPF_B, sb_ptr(L, &b), 0, 0);
	return scratch_ptr(L, b.buf);
}

int target_dwarf_value(Lower *L, Node *n)
{
	const Access *acc = n->aux;
	Emit e = { L, n, acc->loc, -1 };
	const LocItem *it = &e.la->items[0];
	if (!loc_is_string(e.la) || (e.la->nitems == 1 && it->fmt == LOCF_VALUE && it->ops && !it->text)) {
		int v = run_ops(&e, it->ops, it->nops);
		if (v < 0 || !it->is_string)
			return v;
		return read_string(&e, v, it->strmax);
	}
	if (e.la->nitems == 1 && !it->ops) {
		int buf = scratch_ptr(L, scratch_alloc(L, L->cap));
		store_literal(L, buf, 0, it->text, strlen(it->text), L->cap);
		return buf;
	}
	return build_string(&e);
}
