/* regalloc.c - register allocation by graph colouring, with spilling.
 *
 * Requires: IR whose virtual registers may be defined several times (locals
 * are plain vregs), with helper arguments and results moved through r0..r5
 * explicitly.  Provides: the same IR on r0..r9 only.
 *
 * 1. Liveness: backward dataflow per instruction over the control flow.
 * 2. Interference: a register defined at an instruction interferes with
 *    everything live after it (a helper call defines r0..r5, so values
 *    live across calls end up in r6..r9).  Physical registers are
 *    precoloured nodes.
 * 3. Colouring in order of first definition, following move hints so that
 *    "mov r1, v" usually vanishes.
 * 4. When a vreg finds no colour, the longest-lived of it and the vregs it
 *    interferes with is spilled to an 8-byte stack slot (which keeps the
 *    verifier's pointer tracking): each use loads into a fresh short-lived
 *    vreg and each definition stores one; then start again.  The fresh
 *    vregs are never spilled themselves, so the rounds converge.
 * 5. Spill slots whose values are never live at the same time share a
 *    slot (compact_slots): when the 512 bytes of stack run out, and once
 *    at the end, so that a long body's many short-lived spills fit.
 */
#include <stdlib.h>
#include <string.h>

#include "codegen/ir.h"

#define NPHYS 11
#define MAX_ROUNDS 128

typedef uint64_t Word;
#define WBITS 64

typedef struct {
	int nregs;       /* IR_VREG0 + nvregs */
	int words;       /* words per register set */
	Word *live;      /* live-out set per instruction: n * words */
	Word *graph;     /* interference: nregs * words */
	int *label_at;   /* instruction index of each label */
} RA;

static inline void set_bit(Word *s, int i) { s[i / WBITS] |= (Word)1 << (i % WBITS); }

/* Each register r in set s (of `words` words). */
#define SET_FOREACH(s, words, r) \
	for (int w_ = 0; w_ < (words); w_++) \
		for (Word bits_ = (s)[w_]; bits_; bits_ &= bits_ - 1) \
			for (int r = w_ * WBITS + __builtin_ctzll(bits_), once_ = 1; once_; once_ = 0)
static inline bool has_bit(const Word *s, int i) { return s[i / WBITS] >> (i % WBITS) & 1; }

/* The registers instruction `in` uses and defines (at most 6 each). */
static int uses_of(const IrInsn *in, int *u)
{
	int n = 0;
	switch (in->kind) {
	case IRK_INSN: {
		int cls = BPF_CLASS(in->code);
		if (cls == BPF_ALU64 || cls == BPF_ALU) {
			int op = BPF_OP(in->code);
			if (op != BPF_MOV)
				u[n++] = in->dst;
			if (BPF_SRC(in->code) == BPF_X && op != BPF_NEG)
				u[n++] = in->src;
		} else if (cls == BPF_LDX) {
			u[n++] = in->src;
		} else if (cls == BPF_STX) {
			u[n++] = in->dst;
			u[n++] = in->src;
		} else if (cls == BPF_ST) {
			u[n++] = in->dst;
		} else if (in->code == (BPF_JMP | BPF_EXIT)) {
			u[n++] = 0;
		}
		break;
	}
	case IRK_JUMP:
		if (BPF_OP(in->code) != BPF_JA) {
			u[n++] = in->dst;
			if (BPF_SRC(in->code) == BPF_X)
				u[n++] = in->src;
		}
		break;
	case IRK_CALL_HELPER:
		for (int i = 1; i <= in->off && i <= 5; i++)
			u[n++] = i;
		break;
	case IRK_LABEL: case IRK_LDMAP: case IRK_LDMAPVAL: case IRK_LDIMM64:
		break;
	}
	return n;
}

static int defs_of(const IrInsn *in, int *d)
{
	int n = 0;
	switch (in->kind) {
	case IRK_INSN: {
		int cls = BPF_CLASS(in->code);
		if (cls == BPF_ALU64 || cls == BPF_ALU || cls == BPF_LDX)
			d[n++] = in->dst;
		break;
	}
	case IRK_LDMAP: case IRK_LDMAPVAL: case IRK_LDIMM64:
		d[n++] = in->dst;
		break;
	case IRK_CALL_HELPER:
		for (int i = 0; i <= 5; i++)
			d[n++] = i;
		break;
	case IRK_JUMP: case IRK_LABEL:
		break;
	}
	return n;
}

static bool falls_through(const IrInsn *in)
{
	if (in->kind == IRK_JUMP && BPF_OP(in->code) == BPF_JA)
		return false;
	return !(in->kind == IRK_INSN && in->code == (BPF_JMP | BPF_EXIT));
}

static void liveness(RA *ra, const IrFunc *f)
{
	int W = ra->words;
	Word *in_set = calloc((size_t)W, sizeof(Word));
	bool changed = true;
	memset(ra->live, 0, sizeof(Word) * (size_t)W * (size_t)f->n);
	while (changed) {
		changed = false;
		for (int i = f->n - 1; i >= 0; i--) {
			const IrInsn *in = &f->v[i];
			Word *out = &ra->live[(size_t)i * W];
			/* out = union of live-in of successors; live-in(j) is
			 * computed on the fly from live-out(j) */
			int succ[2], ns = 0;
			if (falls_through(in) && i + 1 < f->n)
				succ[ns++] = i + 1;
			if (in->kind == IRK_JUMP)
				succ[ns++] = ra->label_at[in->label];
			for (int k = 0; k < ns; k++) {
				int j = succ[k];
				const IrInsn *sj = &f->v[j];
				memcpy(in_set, &ra->live[(size_t)j * W], sizeof(Word) * (size_t)W);
				int r[8], nr = defs_of(sj, r);
				for (int q = 0; q < nr; q++)
					if (r[q] >= 0)
						in_set[r[q] / WBITS] &= ~((Word)1 << (r[q] % WBITS));
				nr = uses_of(sj, r);
				for (int q = 0; q < nr; q++)
					if (r[q] >= 0)
						set_bit(in_set, r[q]);
				for (int w = 0; w < W; w++)
					if ((out[w] | in_set[w]) != out[w]) {
						out[w] |= in_set[w];
						changed = true;
					}
			}
		}
	}
	free(in_set);
}

static void add_edge(RA *ra, int a, int b)
{
	if (a == b || a < 0 || b < 0 || a == IR_FP || b == IR_FP)
		return;
	set_bit(&ra->graph[(size_t)a * ra->words], b);
	set_bit(&ra->graph[(size_t)b * ra->words], a);
}

static void interference(RA *ra, const IrFunc *f)
{
	memset(ra->graph, 0, sizeof(Word) * (size_t)ra->words * (size_t)ra->nregs);
	for (int i = 0; i < f->n; i++) {
		const IrInsn *in = &f->v[i];
		const Word *out = &ra->live[(size_t)i * ra->words];
		int d[8], nd = defs_of(in, d);
		/* a move does not make its source and destination interfere */
		int move_src = (in->kind == IRK_INSN && in->code == (BPF_ALU64 | BPF_MOV | BPF_X)) ? in->src : -1;
		for (int k = 0; k < nd; k++) {
			SET_FOREACH(out, ra->words, r)
				if (r != move_src)
					add_edge(ra, d[k], r);
			/* registers defined together (a call's r0..r5) */
			for (int k2 = 0; k2 < nd; k2++)
				add_edge(ra, d[k], d[k2]);
		}
	}
}

/* Rewrite vreg v into a stack slot at fp+off. */
static void spill(IrFunc *f, int v, int off)
{
	IrInsn *old = f->v;
	int n = f->n;
	f->v = NULL;
	f->n = f->cap = 0;
	int saved_pos = f->cur_srcpos;
	for (int i = 0; i < n; i++) {
		IrInsn in = old[i];
		int u[8], nu = uses_of(&in, u), d[8], nd = defs_of(&in, d);
		bool uses = false, defs = false;
		for (int k = 0; k < nu; k++)
			uses |= u[k] == v;
		for (int k = 0; k < nd; k++)
			defs |= d[k] == v;
		f->cur_srcpos = in.srcpos;
		if (!uses && !defs) {
			ir_append(f, in);
			continue;
		}
		int t = ir_vreg(f);
		if (uses)
			ir_emit_ldx(f, BPF_DW, t, IR_FP, (int16_t)off);
		if (in.dst == v)
			in.dst = t;
		if (in.src == v)
			in.src = t;
		ir_append(f, in);
		if (defs)
			ir_emit_stx(f, BPF_DW, IR_FP, (int16_t)off, t);
	}
	f->cur_srcpos = saved_pos;
}

/* ------------------------------------------------------------ spill slots */

/* The spill slots are the 8-byte slots fp-(base+8), fp-(base+16), ... that
 * spill() made: below everything else on the stack, and reached only by
 * spill()'s DW loads and stores.  The slot an instruction reads or writes
 * (*store says which), or -1. */
static int slot_of(const IrInsn *in, int base, int nslots, bool *store)
{
	int off;
	if (in->kind != IRK_INSN)
		return -1;
	if (in->code == (BPF_LDX | BPF_MEM | BPF_DW) && in->src == IR_FP)
		*store = false, off = -in->off;
	else if (in->code == (BPF_STX | BPF_MEM | BPF_DW) && in->dst == IR_FP)
		*store = true, off = -in->off;
	else
		return -1;
	if (off <= base || (off - base) % 8)
		return -1;
	int k = (off - base) / 8 - 1;
	return k < nslots ? k : -1;
}

/* Give spill slots that are never live together the same slot, as
 * registers are coloured: liveness over the control flow (a store defines
 * a slot, a load uses it), then each slot takes the first slot number no
 * slot it interferes with has.  Rewrites the offsets and the stack size;
 * returns the number of slots left. */
static int compact_slots(IrFunc *f, const int *label_at, int base, int nslots)
{
	enum { MAXS = 64 }; /* 512 bytes of 8-byte slots */
	if (nslots <= 1 || nslots > MAXS)
		return nslots;
	uint64_t *live = calloc((size_t)f->n + 1, sizeof *live);
	uint64_t clash[MAXS] = {0};
	int color[MAXS];
	if (!live)
		return nslots;
	bool changed = true, st;
	while (changed) {
		changed = false;
		for (int i = f->n - 1; i >= 0; i--) {
			const IrInsn *in = &f->v[i];
			int succ[2], ns = 0;
			if (falls_through(in) && i + 1 < f->n)
				succ[ns++] = i + 1;
			if (in->kind == IRK_JUMP)
				succ[ns++] = label_at[in->label];
			uint64_t out = live[i];
			for (int k = 0; k < ns; k++) {
				uint64_t in_set = live[succ[k]];
				int sl = slot_of(&f->v[succ[k]], base, nslots, &st);
				if (sl >= 0)
					in_set = st ? in_set & ~(1ull << sl) : in_set | 1ull << sl;
				out |= in_set;
			}
			if (out != live[i]) {
				live[i] = out;
				changed = true;
			}
		}
	}
	/* a slot stored while another is live clashes with it; so do slots
	 * live where the program starts (read before any store) */
	uint64_t entry = live[0];
	int sl0 = f->n ? slot_of(&f->v[0], base, nslots, &st) : -1;
	if (sl0 >= 0)
		entry = st ? entry & ~(1ull << sl0) : entry | 1ull << sl0;
	for (int i = 0; i < f->n; i++) {
		int sl = slot_of(&f->v[i], base, nslots, &st);
		if (sl >= 0 && st) {
			clash[sl] |= live[i] & ~(1ull << sl);
			for (int o = 0; o < nslots; o++)
				if (live[i] >> o & 1 && o != sl)
					clash[o] |= 1ull << sl;
		}
	}
	for (int a = 0; a < nslots; a++)
		if (entry >> a & 1)
			clash[a] |= entry & ~(1ull << a);
	free(live);
	int used = 0;
	for (int a = 0; a < nslots; a++) {
		uint64_t taken = 0;
		for (int b = 0; b < a; b++)
			if (clash[a] >> b & 1)
				taken |= 1ull << color[b];
		int c = 0;
		while (taken >> c & 1)
			c++;
		color[a] = c;
		if (c + 1 > used)
			used = c + 1;
	}
	for (int i = 0; i < f->n; i++) {
		int sl = slot_of(&f->v[i], base, nslots, &st);
		if (sl >= 0)
			f->v[i].off = (int16_t)-(base + 8 * (color[sl] + 1));
	}
	f->stack = base + 8 * used;
	return used;
}

static int *labels_of(const IrFunc *f)
{
	int *at = malloc(sizeof(int) * (size_t)(f->nlabels + 1));
	for (int i = 0; i < f->nlabels; i++)
		at[i] = -1;
	for (int i = 0; i < f->n; i++)
		if (f->v[i].kind == IRK_LABEL)
			at[f->v[i].label] = i;
	return at;
}

/* Registers to try, best first, when no hint applies. */
static const int order_short[] = {1, 2, 3, 4, 5, 0, 6, 7, 8, 9};

static int try_color(RA *ra, const IrFunc *f, int *color)
{
	int nv = f->nvregs;
	for (int i = 0; i < NPHYS; i++)
		color[i] = i;
	for (int v = IR_VREG0; v < IR_VREG0 + nv; v++)
		color[v] = -1;
	/* move hints: vreg -> physical register or other vreg */
	int *hint = malloc(sizeof(int) * (size_t)ra->nregs);
	for (int i = 0; i < ra->nregs; i++)
		hint[i] = -1;
	for (int i = 0; i < f->n; i++) {
		const IrInsn *in = &f->v[i];
		if (in->kind == IRK_INSN && in->code == (BPF_ALU64 | BPF_MOV | BPF_X)) {
			if (in->dst >= IR_VREG0 && hint[in->dst] < 0)
				hint[in->dst] = in->src;
			if (in->src >= IR_VREG0 && hint[in->src] < 0)
				hint[in->src] = in->dst;
		}
	}
	int failed = -1;
	for (int v = IR_VREG0; v < IR_VREG0 + nv && failed < 0; v++) {
		const Word *adj = &ra->graph[(size_t)v * ra->words];
		bool busy[NPHYS] = {false};
		busy[IR_FP] = true;
		SET_FOREACH(adj, ra->words, r)
			if (r < ra->nregs && color[r] >= 0)
				busy[color[r]] = true;
		int c = -1;
		int h = hint[v];
		if (h >= 0 && color[h] >= 0 && !busy[color[h]])
			c = color[h];
		for (size_t k = 0; c < 0 && k < sizeof order_short / sizeof order_short[0]; k++)
			if (!busy[order_short[k]])
				c = order_short[k];
		if (c < 0)
			failed = v;
		color[v] = c;
	}
	free(hint);
	return failed;
}

/* The vreg to spill when v found no colour: of v and its interfering
 * vregs (not spill temporaries, those at or above first_temp), the one
 * live at the most instructions, freeing a register for longest. */
static int spill_choice(const RA *ra, const IrFunc *f, int v, int first_temp)
{
	int *len = calloc((size_t)ra->nregs, sizeof(int));
	if (!len)
		return v;
	for (int i = 0; i < f->n; i++) {
		const Word *out = &ra->live[(size_t)i * ra->words];
		SET_FOREACH(out, ra->words, r)
			if (r < ra->nregs)
				len[r]++;
	}
	int best = v < first_temp ? v : -1;
	const Word *adj = &ra->graph[(size_t)v * ra->words];
	for (int r = IR_VREG0; r < first_temp && r < ra->nregs; r++)
		if (has_bit(adj, r) && (best < 0 || len[r] > len[best]))
			best = r;
	free(len);
	return best >= 0 ? best : v;
}

int ra_allocate(IrFunc *f, const SrcLoc *where)
{
	int first_temp = IR_VREG0 + f->nvregs;
	int base = f->stack, nslots = 0; /* the spill slots: below base */
	for (int round = 0; round < MAX_ROUNDS; round++) {
		RA ra;
		ra.nregs = IR_VREG0 + f->nvregs;
		ra.words = (ra.nregs + WBITS - 1) / WBITS;
		if ((size_t)ra.nregs * (size_t)ra.words > (size_t)64 << 20) {
			diag_at(DIAG_ERROR, "error", where, "probe is too large to compile (%d values)", f->nvregs);
			return -1;
		}
		ra.label_at = labels_of(f);
		ra.live = malloc(sizeof(Word) * (size_t)ra.words * (size_t)(f->n + 1));
		ra.graph = malloc(sizeof(Word) * (size_t)ra.words * (size_t)ra.nregs);
		liveness(&ra, f);
		interference(&ra, f);
		int *color = malloc(sizeof(int) * (size_t)ra.nregs);
		int failed = try_color(&ra, f, color);
		if (failed >= 0)
			failed = spill_choice(&ra, f, failed, first_temp);
		free(ra.live);
		free(ra.graph);
		free(ra.label_at);
		if (failed < 0) {
			/* rewrite and drop moves that became no-ops */
			int j = 0;
			for (int i = 0; i < f->n; i++) {
				IrInsn in = f->v[i];
				if (in.dst >= IR_VREG0)
					in.dst = color[in.dst];
				if (in.src >= IR_VREG0)
					in.src = color[in.src];
				if (in.kind == IRK_INSN && in.code == (BPF_ALU64 | BPF_MOV | BPF_X) && in.dst == in.src)
					continue;
				f->v[j++] = in;
			}
			f->n = j;
			free(color);
			int *at = labels_of(f);
			compact_slots(f, at, base, nslots);
			free(at);
			return 0;
		}
		free(color);
		int off = ir_stack_alloc(f, 8);
		if (!off && nslots) {
			int *at = labels_of(f);
			nslots = compact_slots(f, at, base, nslots);
			free(at);
			off = ir_stack_alloc(f, 8);
		}
		if (!off) {
			diag_at(DIAG_ERROR, "error", where,
			        "probe needs more than 512 bytes of stack to hold its values");
			return -1;
		}
		nslots++;
		spill(f, failed, off);
	}
	diag_at(DIAG_ERROR, "error", where, "register allocation did not converge");
	return -1;
}
