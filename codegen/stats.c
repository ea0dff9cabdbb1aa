/* stats.c - statistics: x <<< v in any probe, @count(x) ... and histograms
 * in begin/end/error probes.
 *
 * A statistic is a per-CPU map value (bpf_abi.h, enum bstap_stat_word):
 * count, sum, min, max, sum of squares and, when the script prints a
 * histogram of it, the buckets.  A scalar statistic is a PERCPU_ARRAY of
 * one entry; an array of statistics a PERCPU_HASH with the array's keys.
 * Adding touches only this CPU's copy, so no atomics are needed; reading
 * merges every CPU's copy in the user-space executor. */
#include <string.h>

#include "codegen/lower.h"

/* Register with the map value pointer of statistic x (AST_VAR or an
 * element), inserting a zeroed element when it is missing. */
static int stat_value(Lower *L, Node *x, int *key_out)
{
	IrFunc *f = L->f;
	bool elem = x->kind == AST_INDEX;
	Symbol *sym = elem ? x->lhs->sym : x->sym;
	const ElfMap *m = &L->o->maps[sym->index];
	int key;
	if (elem) {
		key = lower_array_key(L, sym, &x->args);
	} else {
		key = scratch_ptr(L, scratch_alloc(L, 8));
		ir_emit_st(f, BPF_W, key, 0, 0);
	}
	*key_out = key;
	int p = ir_vreg(f), got = ir_label(f);
	ir_emit_ldmap(f, 1, sym->index);
	ir_emit_mov(f, 2, key);
	ir_emit_call(f, BPF_FUNC_map_lookup_elem, 2);
	ir_emit_mov(f, p, 0);
	ir_emit_jmpi(f, BPF_JNE, p, 0, got);
	if (elem) {
		/* a new element: zeroes from scratch, then look again */
		int zero = scratch_ptr(L, scratch_alloc(L, (int)m->value_size));
		for (uint32_t i = 0; i < m->value_size; i += 8)
			ir_emit_st(f, BPF_DW, zero, (int16_t)i, 0);
		ir_emit_ldmap(f, 1, sym->index);
		ir_emit_mov(f, 2, key);
		ir_emit_mov(f, 3, zero);
		ir_emit_movi(f, 4, BPF_NOEXIST);
		ir_emit_call(f, BPF_FUNC_map_update_elem, 4);
		ir_emit_ldmap(f, 1, sym->index);
		ir_emit_mov(f, 2, key);
		ir_emit_call(f, BPF_FUNC_map_lookup_elem, 2);
		ir_emit_mov(f, p, 0);
		ir_emit_jmpi(f, BPF_JNE, p, 0, got);
	}
	ir_emit_ja(f, L->exit_label); /* full map: the value is dropped */
	ir_emit_label(f, got);
	return p;
}

/* bits(v) for v >= 0: the position of the highest set bit, plus one. */
static int bit_length(Lower *L, int x)
{
	IrFunc *f = L->f;
	int b = ir_vreg(f), t = ir_vreg(f);
	ir_emit_movi(f, b, 0);
	ir_emit_mov(f, t, x);
	static const int steps[] = {32, 16, 8, 4, 2, 1};
	for (int i = 0; i < 6; i++) {
		int skip = ir_label(f), lim = ir_vreg(f);
		ir_emit_movi(f, lim, (int64_t)1 << steps[i]);
		ir_emit_jmp(f, BPF_JLT, t, lim, skip);
		ir_emit_alui(f, BPF_RSH, t, steps[i]);
		ir_emit_alui(f, BPF_ADD, b, steps[i]);
		ir_emit_label(f, skip);
	}
	int zero = ir_label(f);
	ir_emit_jmpi(f, BPF_JEQ, t, 0, zero);
	ir_emit_alui(f, BPF_ADD, b, 1);
	ir_emit_label(f, zero);
	return b;
}

/* The bucket of v, bounded so that the verifier sees the index in range. */
static int bucket_of(Lower *L, Symbol *sym, int v, int nbuckets)
{
	IrFunc *f = L->f;
	int idx = ir_vreg(f);
	if (sym->hist == STAT_HIST_LOG) {
		int neg = ir_label(f), done = ir_label(f), a = ir_vreg(f);
		ir_emit_mov(f, a, v);
		ir_emit_jmpi(f, BPF_JSLT, a, 0, neg);
		ir_emit_movi(f, idx, BSTAP_HIST_LOG_BUCKETS / 2);
		ir_emit_alu(f, BPF_ADD, idx, bit_length(L, a));
		ir_emit_ja(f, done);
		ir_emit_label(f, neg);
		ir_emit_alui(f, BPF_NEG, a, 0);
		ir_emit_movi(f, idx, BSTAP_HIST_LOG_BUCKETS / 2);
		ir_emit_alu(f, BPF_SUB, idx, bit_length(L, a));
		ir_emit_label(f, done);
	} else {
		int under = ir_label(f), done = ir_label(f), lo = ir_vreg(f);
		ir_emit_mov(f, idx, v);
		ir_emit_movi(f, lo, sym->hist_lo);
		ir_emit_jmp(f, BPF_JSLT, idx, lo, under);
		ir_emit_alu(f, BPF_SUB, idx, lo);
		int step = ir_vreg(f);
		ir_emit_movi(f, step, sym->hist_step);
		ir_emit_alu(f, BPF_DIV, idx, step);
		ir_emit_alui(f, BPF_ADD, idx, 1);
		ir_emit_jmpi(f, BPF_JLE, idx, nbuckets - 1, done);
		ir_emit_movi(f, idx, nbuckets - 1);
		ir_emit_ja(f, done);
		ir_emit_label(f, under);
		ir_emit_movi(f, idx, 0);
		ir_emit_label(f, done);
	}
	/* never past the last bucket, whatever the verifier can prove */
	int ok = ir_label(f);
	ir_emit_jmpi(f, BPF_JLT, idx, nbuckets, ok);
	ir_emit_movi(f, idx, nbuckets - 1);
	ir_emit_label(f, ok);
	return idx;
}

int lower_stat_buckets(const Symbol *sym)
{
	if (sym->hist == STAT_HIST_LOG)
		return BSTAP_HIST_LOG_BUCKETS;
	if (sym->hist == STAT_HIST_LINEAR)
		return (int)((sym->hist_hi - sym->hist_lo) / sym->hist_step + 3);
	return 0;
}

void lower_stat_add(Lower *L, Node *n)
{
	IrFunc *f = L->f;
	Node *x = n->lhs;
	Symbol *sym = x->kind == AST_INDEX ? x->lhs->sym : x->sym;
	int v = ir_vreg(f);
	ir_emit_mov(f, v, lower_expr(L, n->rhs));
	int key;
	int p = stat_value(L, x, &key);
	int c = ir_vreg(f), t = ir_vreg(f);
	int first = ir_label(f), minmax = ir_label(f), not_min = ir_label(f), not_max = ir_label(f);
	ir_emit_ldx(f, BPF_DW, c, p, 8 * BSTAP_STAT_COUNT);
	ir_emit_jmpi(f, BPF_JEQ, c, 0, first);
	ir_emit_ldx(f, BPF_DW, t, p, 8 * BSTAP_STAT_MIN);
	ir_emit_jmp(f, BPF_JSGE, v, t, not_min);
	ir_emit_stx(f, BPF_DW, p, 8 * BSTAP_STAT_MIN, v);
	ir_emit_label(f, not_min);
	ir_emit_ldx(f, BPF_DW, t, p, 8 * BSTAP_STAT_MAX);
	ir_emit_jmp(f, BPF_JSLE, v, t, not_max);
	ir_emit_stx(f, BPF_DW, p, 8 * BSTAP_STAT_MAX, v);
	ir_emit_label(f, not_max);
	ir_emit_ja(f, minmax);
	ir_emit_label(f, first);
	ir_emit_stx(f, BPF_DW, p, 8 * BSTAP_STAT_MIN, v);
	ir_emit_stx(f, BPF_DW, p, 8 * BSTAP_STAT_MAX, v);
	ir_emit_label(f, minmax);
	ir_emit_alui(f, BPF_ADD, c, 1);
	ir_emit_stx(f, BPF_DW, p, 8 * BSTAP_STAT_COUNT, c);
	ir_emit_ldx(f, BPF_DW, t, p, 8 * BSTAP_STAT_SUM);
	ir_emit_alu(f, BPF_ADD, t, v);
	ir_emit_stx(f, BPF_DW, p, 8 * BSTAP_STAT_SUM, t);
	int sq = ir_vreg(f);
	ir_emit_mov(f, sq, v);
	ir_emit_alu(f, BPF_MUL, sq, v);
	ir_emit_ldx(f, BPF_DW, t, p, 8 * BSTAP_STAT_SUMSQ);
	ir_emit_alu(f, BPF_ADD, t, sq);
	ir_emit_stx(f, BPF_DW, p, 8 * BSTAP_STAT_SUMSQ, t);
	int nb = lower_stat_buckets(sym);
	if (nb) {
		int idx = bucket_of(L, sym, v, nb);
		int q = ir_vreg(f);
		ir_emit_alui(f, BPF_LSH, idx, 3);
		ir_emit_mov(f, q, p);
		ir_emit_alu(f, BPF_ADD, q, idx);
		ir_emit_ldx(f, BPF_DW, t, q, 8 * BSTAP_STAT_HIST);
		ir_emit_alui(f, BPF_ADD, t, 1);
		ir_emit_stx(f, BPF_DW, q, 8 * BSTAP_STAT_HIST, t);
	}
}

/* The key of statistic x for the executor's helpers (a dummy for scalars). */
static int stat_key(Lower *L, Node *x, Symbol **sym)
{
	if (x->kind == AST_INDEX) {
		*sym = x->lhs->sym;
		return lower_array_key(L, *sym, &x->args);
	}
	*sym = x->sym;
	int key = scratch_ptr(L, scratch_alloc(L, 8));
	ir_emit_st(L->f, BPF_W, key, 0, 0);
	return key;
}

#include <bpf/libbpf.h>

/* The merge loop runs over the CPUs this machine may have (the bound the
 * verifier needs; the runtime warns when a machine has more). */
static int merge_cpus(void)
{
	int n = libbpf_num_possible_cpus();
	return n > 0 ? n : 1;
}

static int stat_pick(Lower *L, Node *n, const int *v);

/* @count(x) ... in a kernel probe: every CPU's copy merged here, through
 * bpf_map_lookup_percpu_elem (NULL past the last CPU, or for a missing
 * element). */
static int stat_read_kernel(Lower *L, Node *n)
{
	IrFunc *f = L->f;
	Node *x = n->lhs;
	Symbol *sym;
	int key;
	/* several reads of one scalar statistic in a statement share a merge,
	 * while the merge dominates the read: no label (join) since */
	if (x->kind == AST_VAR && L->statcache.sym == x->sym && L->statcache.stmt == L->stmt_serial) {
		bool straight = true;
		for (int i = L->statcache.at; i < f->n; i++)
			if (f->v[i].kind == IRK_LABEL)
				straight = false;
		if (straight)
			return stat_pick(L, n, L->statcache.v);
	}
	if (x->kind == AST_INDEX) {
		sym = x->lhs->sym;
		key = lower_array_key(L, sym, &x->args);
	} else {
		sym = x->sym;
		key = scratch_ptr(L, scratch_alloc(L, 8));
		ir_emit_st(f, BPF_W, key, 0, 0);
	}
	int cnt = ir_vreg(f), sum = ir_vreg(f), mn = ir_vreg(f), mx = ir_vreg(f), sq = ir_vreg(f);
	int cpu = ir_vreg(f), p = ir_vreg(f), t = ir_vreg(f);
	int top = ir_label(f), done = ir_label(f), next = ir_label(f);
	ir_emit_movi(f, cnt, 0);
	ir_emit_movi(f, sum, 0);
	ir_emit_movi(f, mn, 0);
	ir_emit_movi(f, mx, 0);
	ir_emit_movi(f, sq, 0);
	ir_emit_movi(f, cpu, 0);
	ir_emit_label(f, top);
	L->o->merge_cpus = (uint32_t)merge_cpus();
	ir_emit_jmpi(f, BPF_JGE, cpu, merge_cpus(), done);
	ir_emit_ldmap(f, 1, sym->index);
	ir_emit_mov(f, 2, key);
	ir_emit_mov(f, 3, cpu);
	ir_emit_call(f, BPF_FUNC_map_lookup_percpu_elem, 3);
	ir_emit_mov(f, p, 0);
	ir_emit_jmpi(f, BPF_JEQ, p, 0, done);
	ir_emit_ldx(f, BPF_DW, t, p, 8 * BSTAP_STAT_COUNT);
	ir_emit_jmpi(f, BPF_JEQ, t, 0, next);
	{
		/* min and max over the CPUs that saw values */
		int first = ir_label(f), merged = ir_label(f), nmin = ir_label(f), nmax = ir_label(f);
		int v = ir_vreg(f), w = ir_vreg(f);
		ir_emit_ldx(f, BPF_DW, v, p, 8 * BSTAP_STAT_MIN);
		ir_emit_ldx(f, BPF_DW, w, p, 8 * BSTAP_STAT_MAX);
		ir_emit_jmpi(f, BPF_JEQ, cnt, 0, first);
		ir_emit_jmp(f, BPF_JSGE, v, mn, nmin);
		ir_emit_mov(f, mn, v);
		ir_emit_label(f, nmin);
		ir_emit_jmp(f, BPF_JSLE, w, mx, nmax);
		ir_emit_mov(f, mx, w);
		ir_emit_label(f, nmax);
		ir_emit_ja(f, merged);
		ir_emit_label(f, first);
		ir_emit_mov(f, mn, v);
		ir_emit_mov(f, mx, w);
		ir_emit_label(f, merged);
	}
	ir_emit_alu(f, BPF_ADD, cnt, t);
	ir_emit_ldx(f, BPF_DW, t, p, 8 * BSTAP_STAT_SUM);
	ir_emit_alu(f, BPF_ADD, sum, t);
	ir_emit_ldx(f, BPF_DW, t, p, 8 * BSTAP_STAT_SUMSQ);
	ir_emit_alu(f, BPF_ADD, sq, t);
	ir_emit_label(f, next);
	ir_emit_alui(f, BPF_ADD, cpu, 1);
	ir_emit_ja(f, top);
	ir_emit_label(f, done);
	int v[5] = { cnt, sum, mn, mx, sq };
	if (x->kind == AST_VAR) {
		L->statcache.sym = x->sym;
		L->statcache.stmt = L->stmt_serial;
		L->statcache.at = f->n;
		memcpy(L->statcache.v, v, sizeof v);
	}
	return stat_pick(L, n, v);
}

/* One value of a merged statistic: v = count, sum, min, max, sum of squares. */
static int stat_pick(Lower *L, Node *n, const int *v)
{
	IrFunc *f = L->f;
	int cnt = v[0], sum = v[1], mn = v[2], mx = v[3], sq = v[4];
	if (n->stat == STAT_COUNT)
		return cnt;
	if (n->stat == STAT_SUM)
		return sum;
	int ok = ir_label(f);
	ir_emit_jmpi(f, BPF_JNE, cnt, 0, ok);
	emit_error(L, "empty aggregate", "", &n->loc);
	ir_emit_label(f, ok);
	int r = ir_vreg(f);
	switch ((int)n->stat) {
	case STAT_MIN:
		return mn;
	case STAT_MAX:
		return mx;
	case STAT_AVG:
		ir_emit_mov(f, r, sum);
		ir_emit(f, (IrInsn){ .kind = IRK_INSN, .code = BPF_ALU64 | BPF_DIV | BPF_X, .dst = r, .src = cnt, .off = 1 });
		return r;
	default: {
		/* (n Σx² - (Σx)²) / (n (n - 1)), 0 for a single value */
		int one = ir_label(f), d = ir_vreg(f), t = ir_vreg(f);
		ir_emit_movi(f, r, 0);
		ir_emit_jmpi(f, BPF_JSLE, cnt, 1, one);
		ir_emit_mov(f, r, sq);
		ir_emit_alu(f, BPF_MUL, r, cnt);
		ir_emit_mov(f, t, sum);
		ir_emit_alu(f, BPF_MUL, t, sum);
		ir_emit_alu(f, BPF_SUB, r, t);
		ir_emit_mov(f, d, cnt);
		ir_emit_alui(f, BPF_SUB, d, 1);
		ir_emit_alu(f, BPF_MUL, d, cnt);
		ir_emit(f, (IrInsn){ .kind = IRK_INSN, .code = BPF_ALU64 | BPF_DIV | BPF_X, .dst = r, .src = d, .off = 1 });
		ir_emit_label(f, one);
		return r;
	}
	}
}

int lower_stat_read(Lower *L, Node *n)
{
	IrFunc *f = L->f;
	if (!L->user)
		return stat_read_kernel(L, n);
	static const int ops[] = {
		[STAT_COUNT] = BSTAP_SOP_COUNT, [STAT_SUM] = BSTAP_SOP_SUM, [STAT_MIN] = BSTAP_SOP_MIN,
		[STAT_MAX] = BSTAP_SOP_MAX, [STAT_AVG] = BSTAP_SOP_AVG, [STAT_VARIANCE] = BSTAP_SOP_VARIANCE,
	};
	Symbol *sym;
	int key = stat_key(L, n->lhs, &sym);
	int out = scratch_ptr(L, scratch_alloc(L, 8));
	ir_emit_ldmap(f, 1, sym->index);
	ir_emit_mov(f, 2, key);
	ir_emit_movi(f, 3, ops[n->stat]);
	ir_emit_mov(f, 4, out);
	ir_emit_call(f, BSTAP_UH_STAT, 4);
	int ok = ir_label(f);
	ir_emit_jmpi(f, BPF_JEQ, 0, 0, ok);
	emit_error(L, "empty aggregate", "", &n->loc);
	ir_emit_label(f, ok);
	int v = ir_vreg(f);
	ir_emit_ldx(f, BPF_DW, v, out, 0);
	return v;
}

void lower_print_hist(Lower *L, Node *n)
{
	IrFunc *f = L->f;
	if (!L->user) {
		lower_fail(L, &n->loc, "histograms can be printed only in begin, end and error probes so far");
		return;
	}
	Symbol *sym;
	int key = stat_key(L, n->lhs, &sym);
	int gi = 0;
	for (Symbol *g = L->s->globals; g && g != sym; g = g->next)
		gi++;
	ir_emit_ldmap(f, 1, sym->index);
	ir_emit_mov(f, 2, key);
	ir_emit_movi(f, 3, gi);
	ir_emit_call(f, BSTAP_UH_PRINT_HIST, 3);
}
