/* regex.c - `=~`, `!~` and the last match (matched() & co.) in BPF.
 *
 * The pattern's DFA tables (translate/regex.h) go into the read-only data
 * map as one blob: the byte-class map (256 bytes) at offset 0, then per DFA
 * its transitions (u16, state * stride + class) and accept flags (u8).  The
 * code walks the subject one byte per step in loops bounded by
 * MAXSTRINGLEN; every table index is masked with a power of two minus one
 * first (the tables are padded to that), which bounds the loads for the
 * verifier without a branch: it keeps at most 8192 branches pending along
 * a path, and a branch per byte per check would pass that at once.  translate/regex_sim.c walks the same
 * tables the same way for the unit test: keep the two in step.
 *
 * Without matched() in the program, `=~` runs the "any" DFA alone and stops
 * at the first accepting state.  With it, `=~` finds the leftmost-longest
 * match (backwards for the start, forwards for the end) and keeps it in the
 * probe's match state, in scratch (with subexpressions: a third walk,
 * over the match, with the tagged DFA and its registers):
 *   +0 status: -1 no successful match (none yet, or the last =~ failed),
 *      else the number of subexpressions of its pattern
 *   +8 start, +16 end (byte offsets in the subject), +24 its length
 *   +32 a copy of the subject (MAXSTRINGLEN bytes)
 *   then start and end of subexpressions 1..16 (-1 -1: no part in it)
 *   then two banks of tagged-DFA registers (items x tags x 8 bytes). */
#include <string.h>

#include "codegen/lower.h"
#include "translate/regex.h"

#define MS_STATUS 0
#define MS_START 8
#define MS_END 16
#define MS_LEN 24
#define MS_SUBJECT 32

typedef struct DfaCode {
	int tab;               /* vreg: the pattern's blob */
	int next_off, acc_off; /* this DFA's tables in the blob */
	int rows, stride;      /* powers of two: masks bound the indexes (regex.h) */
	int p, c;              /* vregs: temporaries the site's loops share */
} DfaCode;

/* The register pointing at the probe's match state (the prologue sets it). */
static int match_state(Lower *L)
{
	if (!L->match.used) {
		L->match.used = true;
		L->match.ptr = ir_vreg(L->f);
	}
	L->need_scratch = true;
	return L->match.ptr;
}

/* The pattern's constant blob, built up then put in the read-only data. */
typedef struct Blob {
	char *v;
	uint32_t len, cap;
	Arena *a;
} Blob;

/* Append n bytes at an 8-aligned offset: that offset. */
static int blob_put(Blob *bl, const void *p, size_t n)
{
	uint32_t at = (bl->len + 7) & ~7u;
	if (at + n > bl->cap) {
		uint32_t nc = bl->cap ? bl->cap : 1024;
		while (nc < at + n)
			nc *= 2;
		char *nv = arena_alloc(bl->a, nc);
		memcpy(nv, bl->v, bl->len);
		bl->v = nv;
		bl->cap = nc;
	}
	memset(bl->v + bl->len, 0, at - bl->len);
	memcpy(bl->v + at, p, n);
	bl->len = at + (uint32_t)n;
	return (int)at;
}

static void blob_add_dfa(Blob *bl, const Regex *re, const RegexDfa *d, DfaCode *dc)
{
	dc->next_off = blob_put(bl, d->next, 2 * (size_t)d->rows * (size_t)re->stride);
	dc->acc_off = blob_put(bl, d->acc, (size_t)d->rows);
	dc->rows = d->rows;
	dc->stride = re->stride;
}

static int log2_of(int pow2)
{
	int k = 0;
	while ((1 << k) < pow2)
		k++;
	return k;
}

/* acc = the accept flags of state st.  The masks below change nothing at
 * run time (states and classes are in range); they let the verifier see
 * the bounds without a branch, each of which it would keep pending. */
static void emit_acc(Lower *L, const DfaCode *dc, int st, int acc)
{
	IrFunc *f = L->f;
	ir_emit_alui(f, BPF_AND, st, dc->rows - 1);
	ir_emit_mov(f, dc->p, dc->tab);
	ir_emit_alui(f, BPF_ADD, dc->p, dc->acc_off);
	ir_emit_alu(f, BPF_ADD, dc->p, st);
	ir_emit_ldx(f, BPF_B, acc, dc->p, 0);
}

/* c = the class of byte b; st = st * stride + c, the row of (st, c) */
static void emit_row_index(Lower *L, int tab, int rows, int stride, int st, int b, int p, int c)
{
	IrFunc *f = L->f;
	ir_emit_mov(f, p, tab);
	ir_emit_alu(f, BPF_ADD, p, b);
	ir_emit_ldx(f, BPF_B, c, p, 0);
	ir_emit_alui(f, BPF_AND, c, stride - 1);
	ir_emit_alui(f, BPF_AND, st, rows - 1);
	ir_emit_alui(f, BPF_LSH, st, log2_of(stride));
	ir_emit_alu(f, BPF_ADD, st, c);
}

/* st = next[st][class of byte b] */
static void emit_step(Lower *L, const DfaCode *dc, int st, int b)
{
	IrFunc *f = L->f;
	emit_row_index(L, dc->tab, dc->rows, dc->stride, st, b, dc->p, dc->c);
	ir_emit_alui(f, BPF_LSH, st, 1);
	ir_emit_mov(f, dc->p, dc->tab);
	ir_emit_alui(f, BPF_ADD, dc->p, dc->next_off);
	ir_emit_alu(f, BPF_ADD, dc->p, st);
	ir_emit_ldx(f, BPF_H, st, dc->p, 0);
}

/* b = subject[i], i known to be below cap */
static void emit_byte(Lower *L, int subj, int i, int b, int p)
{
	IrFunc *f = L->f;
	ir_emit_mov(f, p, subj);
	ir_emit_alu(f, BPF_ADD, p, i);
	ir_emit_ldx(f, BPF_B, b, p, 0);
}

/* Is there a match at all: the "any" DFA, forwards, first accept wins.
 * Jumps to yes or no. */
static void emit_any(Lower *L, const DfaCode *dc, const RegexDfa *d, int subj, int yes, int no)
{
	IrFunc *f = L->f;
	int st = ir_vreg(f), i = ir_vreg(f), acc = ir_vreg(f), b = ir_vreg(f);
	int top = ir_label(f), end = ir_label(f);
	ir_emit_movi(f, st, d->init_edge);
	ir_emit_movi(f, i, 0);
	ir_emit_label(f, top);
	emit_acc(L, dc, st, acc);
	ir_emit_jmpi(f, BPF_JSET, acc, RX_ACC_NOW, yes);
	ir_emit_jmpi(f, BPF_JGE, i, L->cap, end);
	emit_byte(L, subj, i, b, dc->p);
	ir_emit_jmpi(f, BPF_JEQ, b, 0, end);
	emit_step(L, dc, st, b);
	ir_emit_jmpi(f, BPF_JEQ, st, 0, no);
	ir_emit_alui(f, BPF_ADD, i, 1);
	ir_emit_ja(f, top);
	ir_emit_label(f, end);
	ir_emit_jmpi(f, BPF_JSET, acc, RX_ACC_END, yes);
	ir_emit_ja(f, no);
}

/* v = the bit t of mask ? pos : v, without a branch (each branch is a
 * state the verifier keeps pending, and it keeps at most 8192): with bit
 * 0 or 1, v = (v - pos) * (1 - bit) + pos.  x is a temporary. */
static void emit_blend(Lower *L, int v, int mask, int t, int pos, int x)
{
	IrFunc *f = L->f;
	ir_emit_mov(f, x, mask);
	if (t)
		ir_emit_alui(f, BPF_RSH, x, t);
	ir_emit_alui(f, BPF_AND, x, 1);
	ir_emit_alu(f, BPF_SUB, v, pos);
	ir_emit_alu(f, BPF_MUL, x, v);
	ir_emit_alu(f, BPF_SUB, v, x);
	ir_emit_alu(f, BPF_ADD, v, pos);
}

/* When acc has flag: [ms + field] = val.  Then on to next. */
static void emit_keep_if(Lower *L, const DfaCode *dc, int acc, int flag, int ms, int field, int val, int next)
{
	IrFunc *f = L->f;
	ir_emit_ldx(f, BPF_DW, dc->p, ms, (int16_t)field);
	emit_blend(L, dc->p, acc, flag == RX_ACC_NOW ? 0 : 1, val, dc->c);
	ir_emit_stx(f, BPF_DW, ms, (int16_t)field, dc->p);
	ir_emit_ja(f, next);
}

/* The leftmost-longest match into the match state's start and end, or a
 * jump to no.  Length, start and end go through memory, not registers:
 * the verifier then carries one unknown value instead of one exact value
 * per loop exit, each of which it would check the rest of the probe with. */
static void emit_search(Lower *L, const DfaCode *back, const RegexDfa *bd, const DfaCode *fwd,
                        const RegexDfa *fd, int subj, int ms, int no)
{
	IrFunc *f = L->f;
	int i = ir_vreg(f), st = ir_vreg(f), acc = ir_vreg(f), b = ir_vreg(f), len = ir_vreg(f);

	/* the subject's length */
	int ltop = ir_label(f), ldone = ir_label(f);
	ir_emit_movi(f, i, 0);
	ir_emit_label(f, ltop);
	ir_emit_jmpi(f, BPF_JGE, i, L->cap, ldone);
	emit_byte(L, subj, i, b, back->p);
	ir_emit_jmpi(f, BPF_JEQ, b, 0, ldone);
	ir_emit_alui(f, BPF_ADD, i, 1);
	ir_emit_ja(f, ltop);
	ir_emit_label(f, ldone);
	ir_emit_stx(f, BPF_DW, ms, MS_LEN, i);
	ir_emit_ldx(f, BPF_DW, len, ms, MS_LEN);
	ir_emit_mov(f, i, len);

	/* backwards from the end: the last (leftmost) accepting position */
	int btop = ir_label(f), bend = ir_label(f), bdone = ir_label(f);
	ir_emit_st(f, BPF_DW, ms, MS_START, -1);
	ir_emit_movi(f, st, bd->init_edge);
	emit_acc(L, back, st, acc);
	emit_keep_if(L, back, acc, RX_ACC_NOW, ms, MS_START, i, btop);
	ir_emit_label(f, btop);
	ir_emit_jmpi(f, BPF_JLE, i, 0, bend);
	ir_emit_alui(f, BPF_SUB, i, 1);
	ir_emit_jmpi(f, BPF_JGE, i, L->cap, no);
	emit_byte(L, subj, i, b, back->p);
	emit_step(L, back, st, b);
	ir_emit_jmpi(f, BPF_JEQ, st, 0, bdone);
	emit_acc(L, back, st, acc);
	emit_keep_if(L, back, acc, RX_ACC_NOW, ms, MS_START, i, btop);
	ir_emit_label(f, bend); /* i is 0: the subject's start */
	emit_keep_if(L, back, acc, RX_ACC_END, ms, MS_START, i, bdone);
	ir_emit_label(f, bdone);
	ir_emit_ldx(f, BPF_DW, i, ms, MS_START);
	ir_emit_jmpi(f, BPF_JSLT, i, 0, no);

	/* forwards from the start: the last accepting position */
	int ftop = ir_label(f), fend = ir_label(f), fdone = ir_label(f), fedge = ir_label(f), fgo = ir_label(f);
	ir_emit_st(f, BPF_DW, ms, MS_END, -1);
	ir_emit_jmpi(f, BPF_JEQ, i, 0, fedge);
	ir_emit_movi(f, st, fd->init);
	ir_emit_ja(f, fgo);
	ir_emit_label(f, fedge);
	ir_emit_movi(f, st, fd->init_edge);
	ir_emit_label(f, fgo);
	emit_acc(L, fwd, st, acc);
	emit_keep_if(L, fwd, acc, RX_ACC_NOW, ms, MS_END, i, ftop);
	ir_emit_label(f, ftop);
	ir_emit_jmp(f, BPF_JGE, i, len, fend);
	ir_emit_jmpi(f, BPF_JGE, i, L->cap, no);
	emit_byte(L, subj, i, b, back->p);
	emit_step(L, fwd, st, b);
	ir_emit_jmpi(f, BPF_JEQ, st, 0, fdone);
	ir_emit_alui(f, BPF_ADD, i, 1);
	emit_acc(L, fwd, st, acc);
	emit_keep_if(L, fwd, acc, RX_ACC_NOW, ms, MS_END, i, ftop);
	ir_emit_label(f, fend);
	emit_keep_if(L, fwd, acc, RX_ACC_END, ms, MS_END, len, fdone);
	ir_emit_label(f, fdone);
	ir_emit_ldx(f, BPF_DW, i, ms, MS_END);
	ir_emit_jmpi(f, BPF_JSLT, i, 0, no);
}

/* ------------------------------------------------------ subexpressions */

/* The tagged DFA (regex.h, RegexTdfa) in the blob. */
typedef struct SubCode {
	int tab, dead;
	int next_off, ops_off, init_off, acc_off, mask_off;
} SubCode;

/* Where the groups and the register banks are in the match state. */
static int groups_at(const Lower *L) { return MS_SUBJECT + L->cap; }
static int banks_at(const Lower *L) { return groups_at(L) + 16 * RX_MAX_TAGS / 2; }

/* Put the tagged DFA in the blob; false after an error when walking it
 * would be too much for the verifier at this MAXSTRINGLEN. */
static bool blob_add_sub(Lower *L, Blob *bl, const Regex *re, SubCode *sc, const SrcLoc *loc)
{
	const RegexTdfa *d = &re->sub;
	size_t rows = (size_t)d->rows * (size_t)re->stride;
	/* per byte: each item's row entry, then its tags (unrolled) */
	long per_byte = (long)d->nitems * (16 + 10L * d->ntags) + 30;
	if (!L->user && (long)L->cap * per_byte > 400000) {
		lower_fail(L, loc, arena_printf(L->a, "regular expression too complex for matched(n) at MAXSTRINGLEN=%lld: "
		           "its %d threads x %d tags per byte would pass the verifier's limit",
		           (long long)L->s->maxstringlen, d->nitems, d->ntags));
		return false;
	}
	sc->next_off = blob_put(bl, d->next, 2 * rows);
	sc->ops_off = blob_put(bl, d->ops, sizeof(RxOp) * rows * (size_t)d->nitems);
	sc->init_off = blob_put(bl, d->init_ops, sizeof(RxOp) * 2 * (size_t)d->nitems);
	sc->acc_off = blob_put(bl, d->acc, 2 * (size_t)d->rows);
	sc->mask_off = blob_put(bl, d->acc_mask, 4 * (size_t)d->rows);
	int banks = 2 * d->nitems * d->ntags * 8;
	if (banks > L->match.banks)
		L->match.banks = banks;
	return true;
}

/* dst = tab + off + idx * scale */
static void emit_index(Lower *L, int dst, int tab, int off, int idx, int scale)
{
	IrFunc *f = L->f;
	ir_emit_mov(f, dst, idx);
	if (scale != 1)
		ir_emit_alui(f, BPF_MUL, dst, scale);
	ir_emit_alui(f, BPF_ADD, dst, off);
	ir_emit_alu(f, BPF_ADD, dst, tab);
}

/* Apply one row of register operations (regex_sim.c, regex_sim_groups):
 * new item j = old item src's registers, then tags of mask = pos. */
static void emit_row(Lower *L, const RegexTdfa *d, const SubCode *sc, int ms, int row, int cur, int nxt, int pos)
{
	IrFunc *f = L->f;
	int M = d->nitems, T = d->ntags;
	int j = ir_vreg(f), p = ir_vreg(f), mask = ir_vreg(f), src = ir_vreg(f), q = ir_vreg(f), v = ir_vreg(f);
	int top = ir_label(f), done = ir_label(f);
	ir_emit_movi(f, j, 0);
	ir_emit_label(f, top);
	ir_emit_jmpi(f, BPF_JGE, j, M, done);
	emit_index(L, p, row, 0, j, 8);
	ir_emit_ldx(f, BPF_W, mask, p, 0);
	ir_emit_ldx(f, BPF_B, src, p, 4);
	ir_emit_jmpi(f, BPF_JEQ, src, RX_NO_ITEM, done);
	ir_emit_alui(f, BPF_AND, src, M - 1);
	/* q: the new item's registers; p: the old one's */
	emit_index(L, q, ms, 0, j, T * 8);
	ir_emit_alu(f, BPF_ADD, q, nxt);
	emit_index(L, p, ms, 0, src, T * 8);
	ir_emit_alu(f, BPF_ADD, p, cur);
	for (int t = 0; t < T; t++) {
		ir_emit_ldx(f, BPF_DW, v, p, (int16_t)(t * 8));
		emit_blend(L, v, mask, t, pos, src);
		ir_emit_stx(f, BPF_DW, q, (int16_t)(t * 8), v);
	}
	ir_emit_alui(f, BPF_ADD, j, 1);
	ir_emit_ja(f, top);
	ir_emit_label(f, done);
}

/* Walk the match [start, end) once more with the tagged DFA; store each
 * subexpression's start and end (-1 -1: no part in the match) in the
 * match state. */
static void emit_groups(Lower *L, const Regex *re, const SubCode *sc, int subj, int ms)
{
	IrFunc *f = L->f;
	const RegexTdfa *d = &re->sub;
	int M = d->nitems, T = d->ntags;
	int pos = ir_vreg(f), end = ir_vreg(f), st = ir_vreg(f), row = ir_vreg(f), cur = ir_vreg(f),
	    nxt = ir_vreg(f), b = ir_vreg(f), c = ir_vreg(f), p = ir_vreg(f), t = ir_vreg(f);
	ir_emit_ldx(f, BPF_DW, pos, ms, MS_START);
	ir_emit_ldx(f, BPF_DW, end, ms, MS_END);
	int edge = ir_label(f), go = ir_label(f);
	ir_emit_jmpi(f, BPF_JEQ, pos, 0, edge);
	ir_emit_movi(f, st, d->init);
	ir_emit_mov(f, row, sc->tab);
	ir_emit_alui(f, BPF_ADD, row, sc->init_off);
	ir_emit_ja(f, go);
	ir_emit_label(f, edge);
	ir_emit_movi(f, st, d->init_edge);
	ir_emit_mov(f, row, sc->tab);
	ir_emit_alui(f, BPF_ADD, row, sc->init_off + M * 8);
	ir_emit_label(f, go);
	ir_emit_movi(f, cur, banks_at(L));
	ir_emit_movi(f, nxt, banks_at(L) + M * T * 8);
	for (int k = 0; k < T; k++) /* what the start rows copy: unset */
		ir_emit_st(f, BPF_DW, ms, (int16_t)(banks_at(L) + k * 8), -1);

	int top = ir_label(f), finish = ir_label(f);
	ir_emit_label(f, top);
	emit_row(L, d, sc, ms, row, cur, nxt, pos);
	ir_emit_mov(f, t, cur);
	ir_emit_mov(f, cur, nxt);
	ir_emit_mov(f, nxt, t);
	ir_emit_jmp(f, BPF_JGE, pos, end, finish);
	ir_emit_jmpi(f, BPF_JGE, pos, L->cap, sc->dead);
	emit_byte(L, subj, pos, b, p);
	emit_row_index(L, sc->tab, d->rows, re->stride, st, b, p, c);
	emit_index(L, row, sc->tab, sc->ops_off, st, M * 8);
	emit_index(L, p, sc->tab, sc->next_off, st, 2);
	ir_emit_ldx(f, BPF_H, st, p, 0);
	ir_emit_alui(f, BPF_ADD, pos, 1);
	ir_emit_ja(f, top);

	/* the winning item, and the tags set on the way to a final $ */
	ir_emit_label(f, finish);
	int item = ir_vreg(f), mend = ir_vreg(f), len = ir_vreg(f), inner = ir_label(f), none = ir_label(f),
	    out = ir_label(f);
	ir_emit_alui(f, BPF_AND, st, d->rows - 1);
	ir_emit_ldx(f, BPF_DW, len, ms, MS_LEN);
	ir_emit_movi(f, mend, 0);
	ir_emit_mov(f, t, st);
	ir_emit_alui(f, BPF_LSH, t, 1);
	ir_emit_jmp(f, BPF_JNE, end, len, inner);
	ir_emit_alui(f, BPF_ADD, t, 1);
	emit_index(L, p, sc->tab, sc->mask_off, st, 4);
	ir_emit_ldx(f, BPF_W, mend, p, 0);
	ir_emit_label(f, inner);
	emit_index(L, p, sc->tab, sc->acc_off, t, 1);
	ir_emit_ldx(f, BPF_B, item, p, 0);
	ir_emit_jmpi(f, BPF_JGE, item, M, none);
	emit_index(L, p, ms, 0, item, T * 8);
	ir_emit_alu(f, BPF_ADD, p, cur);
	for (int k = 0; k < T; k++) {
		ir_emit_ldx(f, BPF_DW, b, p, (int16_t)(k * 8));
		emit_blend(L, b, mend, k, end, c);
		ir_emit_stx(f, BPF_DW, ms, (int16_t)(groups_at(L) + k * 8), b);
	}
	ir_emit_ja(f, out);
	ir_emit_label(f, none);
	for (int k = 0; k < T; k++)
		ir_emit_st(f, BPF_DW, ms, (int16_t)(groups_at(L) + k * 8), -1);
	ir_emit_label(f, out);
}

int lower_regex(Lower *L, Node *n)
{
	IrFunc *f = L->f;
	char err[160];
	int erroff;
	Regex *re = regex_compile(L->a, n->rhs->str, n->rhs->slen, L->s->regex_saves_match, err, sizeof err, &erroff);
	if (!re) { /* types.c reported it */
		lower_fail(L, &n->rhs->loc, err);
		return -1;
	}
	int subj = lower_expr(L, n->lhs);
	bool save = L->s->regex_saves_match;

	/* the blob: class map, then the automata this site walks */
	const RegexDfa *d1 = save ? &re->back : &re->any, *d2 = &re->fwd;
	Blob bl = { .a = L->a };
	blob_put(&bl, re->cls, 256);
	DfaCode c1 = { .p = ir_vreg(f), .c = ir_vreg(f) }, c2 = c1;
	SubCode sc = {0};
	blob_add_dfa(&bl, re, d1, &c1);
	if (save)
		blob_add_dfa(&bl, re, d2, &c2);
	if (save && re->has_sub && !blob_add_sub(L, &bl, re, &sc, &n->rhs->loc))
		return -1;
	/* the verifier keeps at most 8192 branches pending along one path, and
	 * the walks leave a few per byte (loop exits, the bound on an index
	 * read from memory): measured, about 6 for the search and 3 plus one
	 * per thread for the subexpressions */
	long pending = save ? (long)L->cap * (6 + (re->has_sub ? 3 + re->sub.nitems : 0)) : 0;
	if (!L->user && pending > 7000) {
		lower_fail(L, &n->rhs->loc, arena_printf(L->a, "with matched() in the script, =~ in a kernel probe "
		           "needs MAXSTRINGLEN at most %ld for this pattern (the verifier's limit on pending branches)",
		           7000 / (pending / L->cap)));
		return -1;
	}
	int off = rodata_add_bytes(L, bl.v, bl.len);
	int tab = ir_vreg(f);
	ir_emit_ldmapval(f, tab, L->o->map_rodata, off);
	int yes = ir_label(f), no = ir_label(f), done = ir_label(f);
	c1.tab = c2.tab = tab;
	int r = ir_vreg(f);
	if (!save) {
		emit_any(L, &c1, d1, subj, yes, no);
	} else {
		emit_search(L, &c1, d1, &c2, d2, subj, match_state(L), no);
		if (re->has_sub) {
			sc.tab = tab;
			sc.dead = no;
			emit_groups(L, re, &sc, subj, L->match.ptr);
		}
		ir_emit_st(f, BPF_DW, L->match.ptr, MS_STATUS, re->ngroups);
		copy_string(L, L->match.ptr, MS_SUBJECT, subj, L->cap);
		ir_emit_ja(f, yes);
	}
	/* r is 1 on a match for =~, 0 for !~ */
	bool want = n->op == OP_MATCH;
	ir_emit_label(f, no);
	if (save)
		ir_emit_st(f, BPF_DW, L->match.ptr, MS_STATUS, -1);
	ir_emit_movi(f, r, !want);
	ir_emit_ja(f, done);
	ir_emit_label(f, yes);
	ir_emit_movi(f, r, want);
	ir_emit_label(f, done);
	return r;
}

/* Raise "no successful match" unless the last =~ matched. */
static void need_match(Lower *L, Node *n)
{
	IrFunc *f = L->f;
	int status = ir_vreg(f), ok = ir_label(f);
	ir_emit_ldx(f, BPF_DW, status, L->match.ptr, MS_STATUS);
	ir_emit_jmpi(f, BPF_JSGE, status, 0, ok);
	emit_error(L, "there is no successful regular expression match to query", "identifier 'matched'",
	           &n->loc);
	ir_emit_label(f, ok);
}

/* A fresh string holding subject[start, end), where pair points at
 * {start, end}; "" when start is -1 (a group that took no part). */
static int substring(Lower *L, int pair)
{
	IrFunc *f = L->f;
	int dst = scratch_ptr(L, scratch_alloc(L, L->cap));
	int k = ir_vreg(f), at = ir_vreg(f), stop = ir_vreg(f), p = ir_vreg(f), b = ir_vreg(f);
	int top = ir_label(f), done = ir_label(f);
	ir_emit_ldx(f, BPF_DW, at, pair, 0);
	ir_emit_ldx(f, BPF_DW, stop, pair, 8);
	ir_emit_movi(f, k, 0);
	ir_emit_label(f, top);
	ir_emit_jmpi(f, BPF_JGE, k, L->cap - 1, done);
	ir_emit_jmp(f, BPF_JGE, at, stop, done);
	ir_emit_jmpi(f, BPF_JGE, at, L->cap, done); /* also -1, unsigned */
	ir_emit_mov(f, p, L->match.ptr);
	ir_emit_alu(f, BPF_ADD, p, at);
	ir_emit_ldx(f, BPF_B, b, p, MS_SUBJECT);
	ir_emit_mov(f, p, dst);
	ir_emit_alu(f, BPF_ADD, p, k);
	ir_emit_stx(f, BPF_B, p, 0, b);
	ir_emit_alui(f, BPF_ADD, k, 1);
	ir_emit_alui(f, BPF_ADD, at, 1);
	ir_emit_ja(f, top);
	ir_emit_label(f, done);
	ir_emit_mov(f, p, dst);
	ir_emit_alu(f, BPF_ADD, p, k);
	ir_emit_st(f, BPF_B, p, 0, 0);
	return dst;
}

int lower_regex_builtin(Lower *L, Node *n)
{
	IrFunc *f = L->f;
	match_state(L);
	need_match(L, n);
	if (!strcmp(n->name, "__regex_ngroups")) {
		int v = ir_vreg(f);
		ir_emit_ldx(f, BPF_DW, v, L->match.ptr, MS_STATUS);
		return v;
	}
	if (!strcmp(n->name, "__regex_matched_str")) {
		int dst = scratch_ptr(L, scratch_alloc(L, L->cap));
		int src = ir_vreg(f);
		ir_emit_mov(f, src, L->match.ptr);
		ir_emit_alui(f, BPF_ADD, src, MS_SUBJECT);
		copy_string(L, dst, 0, src, L->cap);
		return dst;
	}
	/* __regex_matched(n): 0 is the whole match, n its n-th group */
	int which = lower_expr(L, n->args.v[0]);
	int status = ir_vreg(f), pair = ir_vreg(f), bad = ir_label(f), group = ir_label(f), go = ir_label(f);
	ir_emit_ldx(f, BPF_DW, status, L->match.ptr, MS_STATUS);
	ir_emit_jmpi(f, BPF_JSLT, which, 0, bad);
	ir_emit_jmp(f, BPF_JSGT, which, status, bad);
	ir_emit_jmpi(f, BPF_JGT, which, RX_MAX_TAGS / 2, bad);
	ir_emit_jmpi(f, BPF_JNE, which, 0, group);
	ir_emit_mov(f, pair, L->match.ptr);
	ir_emit_alui(f, BPF_ADD, pair, MS_START);
	ir_emit_ja(f, go);
	ir_emit_label(f, group);
	emit_index(L, pair, L->match.ptr, groups_at(L) - 16, which, 16);
	ir_emit_ja(f, go);
	ir_emit_label(f, bad);
	emit_error(L, "matched(n): the pattern has no subexpression n", "identifier 'matched'", &n->loc);
	ir_emit_label(f, go);
	return substring(L, pair);
}

void lower_regex_prologue(Lower *L)
{
	if (!L->match.used)
		return;
	IrFunc *f = L->f;
	int off = (L->scratch_max + 7) & ~7;
	L->scratch_max = off + banks_at(L) + L->match.banks;
	ir_emit_mov(f, L->match.ptr, L->scratch);
	ir_emit_alui(f, BPF_ADD, L->match.ptr, off);
	ir_emit_st(f, BPF_DW, L->match.ptr, MS_STATUS, -1);
}
