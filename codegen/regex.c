/* regex.c - `=~`, `!~` and the last match (matched() & co.) in BPF.
 *
 * The pattern's DFA tables (translate/regex.h) go into the read-only data
 * map as one blob: the byte-class map (256 bytes) at offset 0, then per DFA
 * its transitions (u16, state * ncls + class) and accept flags (u8).  The
 * code walks the subject one byte per step in loops bounded by
 * MAXSTRINGLEN; every table index is range-checked first, which is what
 * lets the verifier accept the loads.  translate/regex_sim.c walks the same
 * tables the same way for the unit test: keep the two in step.
 *
 * Without matched() in the program, `=~` runs the "any" DFA alone and stops
 * at the first accepting state.  With it, `=~` finds the leftmost-longest
 * match (backwards for the start, forwards for the end) and keeps it in the
 * probe's match state, in scratch:
 *   +0 status: -1 no successful match (none yet, or the last =~ failed),
 *      else the number of subexpressions of its pattern
 *   +8 start, +16 end (byte offsets in the subject), +24 its length
 *   +32 a copy of the subject (MAXSTRINGLEN bytes). */
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
	int nstates, ncls;
	int dead;              /* label: an index out of range, taken as "no match" */
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

/* Append one DFA's tables to the blob being built. */
static void blob_add_dfa(char *blob, uint32_t *len, const Regex *re, const RegexDfa *d, DfaCode *dc)
{
	uint32_t n = (uint32_t)(d->nstates * re->ncls);
	*len = (*len + 7) & ~7u;
	dc->next_off = (int)*len;
	memcpy(blob + *len, d->next, 2 * n);
	*len += 2 * n;
	dc->acc_off = (int)*len;
	memcpy(blob + *len, d->acc, (size_t)d->nstates);
	*len += (uint32_t)d->nstates;
	dc->nstates = d->nstates;
	dc->ncls = re->ncls;
}

/* acc = the accept flags of state st */
static void emit_acc(Lower *L, const DfaCode *dc, int st, int acc)
{
	IrFunc *f = L->f;
	int p = ir_vreg(f);
	ir_emit_jmpi(f, BPF_JGE, st, dc->nstates, dc->dead);
	ir_emit_mov(f, p, dc->tab);
	ir_emit_alui(f, BPF_ADD, p, dc->acc_off);
	ir_emit_alu(f, BPF_ADD, p, st);
	ir_emit_ldx(f, BPF_B, acc, p, 0);
}

/* st = next[st][class of byte b] */
static void emit_step(Lower *L, const DfaCode *dc, int st, int b)
{
	IrFunc *f = L->f;
	int p = ir_vreg(f), c = ir_vreg(f);
	ir_emit_mov(f, p, dc->tab);
	ir_emit_alu(f, BPF_ADD, p, b);
	ir_emit_ldx(f, BPF_B, c, p, 0);
	ir_emit_jmpi(f, BPF_JGE, st, dc->nstates, dc->dead);
	ir_emit_alui(f, BPF_MUL, st, dc->ncls);
	ir_emit_alu(f, BPF_ADD, st, c);
	ir_emit_jmpi(f, BPF_JGE, st, dc->nstates * dc->ncls, dc->dead);
	ir_emit_alui(f, BPF_LSH, st, 1);
	ir_emit_mov(f, p, dc->tab);
	ir_emit_alui(f, BPF_ADD, p, dc->next_off);
	ir_emit_alu(f, BPF_ADD, p, st);
	ir_emit_ldx(f, BPF_H, st, p, 0);
}

/* b = subject[i], i known to be below cap */
static void emit_byte(Lower *L, int subj, int i, int b)
{
	IrFunc *f = L->f;
	int p = ir_vreg(f);
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
	emit_byte(L, subj, i, b);
	ir_emit_jmpi(f, BPF_JEQ, b, 0, end);
	emit_step(L, dc, st, b);
	ir_emit_jmpi(f, BPF_JEQ, st, 0, no);
	ir_emit_alui(f, BPF_ADD, i, 1);
	ir_emit_ja(f, top);
	ir_emit_label(f, end);
	ir_emit_jmpi(f, BPF_JSET, acc, RX_ACC_END, yes);
	ir_emit_ja(f, no);
}

/* When acc has flag: [ms + field] = val.  Then on to next. */
static void emit_keep_if(Lower *L, int acc, int flag, int ms, int field, int val, int next)
{
	IrFunc *f = L->f;
	int keep = ir_label(f);
	ir_emit_jmpi(f, BPF_JSET, acc, flag, keep);
	ir_emit_ja(f, next);
	ir_emit_label(f, keep);
	ir_emit_stx(f, BPF_DW, ms, (int16_t)field, val);
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
	emit_byte(L, subj, i, b);
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
	emit_keep_if(L, acc, RX_ACC_NOW, ms, MS_START, i, btop);
	ir_emit_label(f, btop);
	ir_emit_jmpi(f, BPF_JLE, i, 0, bend);
	ir_emit_alui(f, BPF_SUB, i, 1);
	ir_emit_jmpi(f, BPF_JGE, i, L->cap, back->dead);
	emit_byte(L, subj, i, b);
	emit_step(L, back, st, b);
	ir_emit_jmpi(f, BPF_JEQ, st, 0, bdone);
	emit_acc(L, back, st, acc);
	emit_keep_if(L, acc, RX_ACC_NOW, ms, MS_START, i, btop);
	ir_emit_label(f, bend); /* i is 0: the subject's start */
	emit_keep_if(L, acc, RX_ACC_END, ms, MS_START, i, bdone);
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
	emit_keep_if(L, acc, RX_ACC_NOW, ms, MS_END, i, ftop);
	ir_emit_label(f, ftop);
	ir_emit_jmp(f, BPF_JGE, i, len, fend);
	ir_emit_jmpi(f, BPF_JGE, i, L->cap, fwd->dead);
	emit_byte(L, subj, i, b);
	emit_step(L, fwd, st, b);
	ir_emit_jmpi(f, BPF_JEQ, st, 0, fdone);
	ir_emit_alui(f, BPF_ADD, i, 1);
	emit_acc(L, fwd, st, acc);
	emit_keep_if(L, acc, RX_ACC_NOW, ms, MS_END, i, ftop);
	ir_emit_label(f, fend);
	emit_keep_if(L, acc, RX_ACC_END, ms, MS_END, len, fdone);
	ir_emit_label(f, fdone);
	ir_emit_ldx(f, BPF_DW, i, ms, MS_END);
	ir_emit_jmpi(f, BPF_JSLT, i, 0, no);
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

	/* the blob: class map, then the DFAs this site walks */
	const RegexDfa *d1 = save ? &re->back : &re->any, *d2 = &re->fwd;
	size_t most = 256 + 16 + (size_t)(2 * re->ncls + 1) * (size_t)(d1->nstates + d2->nstates);
	char *blob = arena_alloc(L->a, most);
	uint32_t len = 256;
	memcpy(blob, re->cls, 256);
	DfaCode c1 = {0}, c2 = {0};
	blob_add_dfa(blob, &len, re, d1, &c1);
	if (save)
		blob_add_dfa(blob, &len, re, d2, &c2);
	int off = rodata_add_bytes(L, blob, len);
	int tab = ir_vreg(f);
	ir_emit_ldmapval(f, tab, L->o->map_rodata, off);
	int yes = ir_label(f), no = ir_label(f), done = ir_label(f);
	c1.tab = c2.tab = tab;
	c1.dead = c2.dead = no;
	int r = ir_vreg(f);
	if (!save) {
		emit_any(L, &c1, d1, subj, yes, no);
	} else {
		emit_search(L, &c1, d1, &c2, d2, subj, match_state(L), no);
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

/* A fresh string holding subject[start, end). */
static int substring(Lower *L)
{
	IrFunc *f = L->f;
	int dst = scratch_ptr(L, scratch_alloc(L, L->cap));
	int k = ir_vreg(f), at = ir_vreg(f), stop = ir_vreg(f), p = ir_vreg(f), b = ir_vreg(f);
	int top = ir_label(f), done = ir_label(f);
	ir_emit_ldx(f, BPF_DW, at, L->match.ptr, MS_START);
	ir_emit_ldx(f, BPF_DW, stop, L->match.ptr, MS_END);
	ir_emit_movi(f, k, 0);
	ir_emit_label(f, top);
	ir_emit_jmpi(f, BPF_JGE, k, L->cap - 1, done);
	ir_emit_jmp(f, BPF_JGE, at, stop, done);
	ir_emit_jmpi(f, BPF_JGE, at, L->cap, done);
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
	/* __regex_matched(n): 0 is the whole match */
	int which = lower_expr(L, n->args.v[0]);
	int status = ir_vreg(f), ok = ir_label(f), bad = ir_label(f);
	ir_emit_ldx(f, BPF_DW, status, L->match.ptr, MS_STATUS);
	ir_emit_jmpi(f, BPF_JSLT, which, 0, bad);
	ir_emit_jmp(f, BPF_JSGT, which, status, bad);
	ir_emit_jmpi(f, BPF_JEQ, which, 0, ok);
	emit_error(L, "subexpressions (matched(n) for n > 0) are not supported yet", "identifier 'matched'",
	           &n->loc);
	ir_emit_label(f, bad);
	emit_error(L, "matched(n): the pattern has no subexpression n", "identifier 'matched'", &n->loc);
	ir_emit_label(f, ok);
	return substring(L);
}

void lower_regex_prologue(Lower *L)
{
	if (!L->match.used)
		return;
	IrFunc *f = L->f;
	int off = (L->scratch_max + 7) & ~7;
	L->scratch_max = off + MS_SUBJECT + L->cap;
	ir_emit_mov(f, L->match.ptr, L->scratch);
	ir_emit_alui(f, BPF_ADD, L->match.ptr, off);
	ir_emit_st(f, BPF_DW, L->match.ptr, MS_STATUS, -1);
}
