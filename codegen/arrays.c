/* arrays.c - associative arrays: one BPF hash map per array global.
 *
 * A key is the tuple of its parts packed in order (8 bytes per long,
 * MAXSTRINGLEN rounded to 8 per string, zero-padded so equal strings hash
 * equally), built in per-CPU scratch.  Reading a missing element gives 0 or
 * "" as in stap.  `a[k]++` and `a[k] += v` as statements add atomically in
 * place, inserting with BPF_NOEXIST first so that two CPUs never lose a
 * count.  An update that finds the map full sends a record; the runtime
 * warns once per array. */
#include "codegen/lower.h"

#define EEXIST_ 17

static int map_of(Node *arr)
{
	return arr->sym->index;
}

/* The global's number in the object's globals table (records name it). */
static int global_number(Lower *L, Symbol *sym)
{
	int i = 0;
	for (Symbol *g = L->s->globals; g; g = g->next, i++)
		if (g == sym)
			return i;
	return -1;
}

/* Pack the keys of n (AST_INDEX or AST_IN) into a fresh scratch buffer. */
int lower_array_key(Lower *L, Symbol *sym, NodeList *keys)
{
	IrFunc *f = L->f;
	int size = 0;
	for (int i = 0; i < sym->nkeys; i++)
		size += sym->keytypes[i] == TY_STRING ? L->cap : 8;
	/* evaluate first: the parts may need scratch space of their own */
	int *vals = arena_alloc(L->a, sizeof(int) * (size_t)(keys->n + 1));
	for (int i = 0; i < keys->n; i++)
		vals[i] = keys->v[i]->kind == AST_STR ? -1 : lower_expr(L, keys->v[i]);
	int key = scratch_ptr(L, scratch_alloc(L, size));
	int off = 0;
	for (int i = 0; i < keys->n && i < sym->nkeys; i++) {
		Node *k = keys->v[i];
		if (sym->keytypes[i] == TY_STRING) {
			for (int z = 0; z < L->cap; z += 8)
				ir_emit_st(f, BPF_DW, key, (int16_t)(off + z), 0);
			if (k->kind == AST_STR)
				store_literal(L, key, off, k->str, k->slen, L->cap);
			else
				copy_string(L, key, off, vals[i], L->cap);
			off += L->cap;
		} else {
			ir_emit_stx(f, BPF_DW, key, (int16_t)off, vals[i]);
			off += 8;
		}
	}
	return key;
}

/* r0 = lookup(map, key): a register with the value pointer or 0. */
static int lookup(Lower *L, int map, int key)
{
	IrFunc *f = L->f;
	ir_emit_ldmap(f, 1, map);
	ir_emit_mov(f, 2, key);
	return ir_emit_call_result(f, BPF_FUNC_map_lookup_elem, 2);
}

/* Send a "full" record when an update returned an error other than
 * EEXIST (which the caller handles). */
static void check_update(Lower *L, Symbol *sym, int rc)
{
	IrFunc *f = L->f;
	int ok = ir_label(f);
	ir_emit_jmpi(f, BPF_JEQ, rc, 0, ok);
	lower_record(L, BSTAP_REC_FULL, global_number(L, sym));
	ir_emit_label(f, ok);
}

/* update(map, key, value, flags): the helper's return code. */
static int update(Lower *L, int map, int key, int val, int flags)
{
	IrFunc *f = L->f;
	ir_emit_ldmap(f, 1, map);
	ir_emit_mov(f, 2, key);
	ir_emit_mov(f, 3, val);
	ir_emit_movi(f, 4, flags);
	return ir_emit_call_result(f, BPF_FUNC_map_update_elem, 4);
}

/* A stack slot holding long v, for update's value argument. */
static int long_slot(Lower *L, int v)
{
	if (!L->valslot)
		L->valslot = ir_stack_alloc(L->f, 8);
	ir_emit_stx(L->f, BPF_DW, IR_FP, (int16_t)L->valslot, v);
	int p = ir_vreg(L->f);
	ir_emit_mov(L->f, p, IR_FP);
	ir_emit_alui(L->f, BPF_ADD, p, L->valslot);
	return p;
}

int lower_index_read(Lower *L, Node *n)
{
	IrFunc *f = L->f;
	Symbol *sym = n->lhs->sym;
	int key = lower_array_key(L, sym, &n->args);
	int p = lookup(L, map_of(n->lhs), key);
	int missing = ir_label(f), done = ir_label(f);
	if (sym->type == TY_STRING) {
		int empty = scratch_ptr(L, scratch_alloc(L, 8));
		int r = ir_vreg(f);
		ir_emit_st(f, BPF_B, empty, 0, 0);
		ir_emit_mov(f, r, empty);
		ir_emit_jmpi(f, BPF_JEQ, p, 0, done);
		ir_emit_mov(f, r, p);
		ir_emit_label(f, done);
		return r;
	}
	int v = ir_vreg(f);
	ir_emit_movi(f, v, 0);
	ir_emit_jmpi(f, BPF_JEQ, p, 0, missing);
	ir_emit_ldx(f, BPF_DW, v, p, 0);
	ir_emit_label(f, missing);
	return v;
}

int lower_in(Lower *L, Node *n)
{
	IrFunc *f = L->f;
	int key = lower_array_key(L, n->lhs->sym, &n->args);
	int p = lookup(L, map_of(n->lhs), key);
	int v = ir_vreg(f), done = ir_label(f);
	ir_emit_movi(f, v, 0);
	ir_emit_jmpi(f, BPF_JEQ, p, 0, done);
	ir_emit_movi(f, v, 1);
	ir_emit_label(f, done);
	return v;
}

void lower_index_store_long(Lower *L, Node *n, int v)
{
	Symbol *sym = n->lhs->sym;
	int key = lower_array_key(L, sym, &n->args);
	int rc = update(L, map_of(n->lhs), key, long_slot(L, v), BPF_ANY);
	check_update(L, sym, rc);
}

void lower_index_store_string(Lower *L, Node *n, int buf)
{
	Symbol *sym = n->lhs->sym;
	int key = lower_array_key(L, sym, &n->args);
	int rc = update(L, map_of(n->lhs), key, buf, BPF_ANY);
	check_update(L, sym, rc);
}

void lower_index_add(Lower *L, Node *n, int delta)
{
	IrFunc *f = L->f;
	Symbol *sym = n->lhs->sym;
	int map = map_of(n->lhs);
	int key = lower_array_key(L, sym, &n->args);
	int done = ir_label(f), retry = ir_label(f), add = ir_label(f);
	int p = lookup(L, map, key);
	ir_emit_jmpi(f, BPF_JNE, p, 0, add);
	/* not there: insert delta, unless another CPU just did */
	int rc = update(L, map, key, long_slot(L, delta), BPF_NOEXIST);
	ir_emit_jmpi(f, BPF_JEQ, rc, 0, done);
	ir_emit_jmpi(f, BPF_JEQ, rc, -EEXIST_, retry);
	lower_record(L, BSTAP_REC_FULL, global_number(L, sym));
	ir_emit_ja(f, done);
	ir_emit_label(f, retry);
	int q = lookup(L, map, key);
	ir_emit_mov(f, p, q);
	ir_emit_jmpi(f, BPF_JEQ, p, 0, done);
	ir_emit_label(f, add);
	ir_emit_atomic_add(f, p, 0, delta);
	ir_emit_label(f, done);
}

void lower_index_delete(Lower *L, Node *n)
{
	int key = lower_array_key(L, n->lhs->sym, &n->args);
	ir_emit_ldmap(L->f, 1, map_of(n->lhs));
	ir_emit_mov(L->f, 2, key);
	ir_emit_call(L->f, BPF_FUNC_map_delete_elem, 2);
}

void lower_delete_all(Lower *L, Node *arr)
{
	ir_emit_ldmap(L->f, 1, map_of(arr));
	ir_emit_call(L->f, BSTAP_UH_DELETE_ALL, 1);
}

void lower_foreach(Lower *L, Node *n, void (*body)(Lower *, Node *, int brk, int cont))
{
	IrFunc *f = L->f;
	Node *arr = n->lhs;
	Symbol *sym = arr->sym;
	const ElfMap *m = &L->o->maps[map_of(arr)];
	int limit = ir_vreg(f);
	if (n->limit)
		ir_emit_mov(f, limit, lower_expr(L, n->limit));
	else
		ir_emit_movi(f, limit, -1);
	ir_emit_ldmap(f, 1, map_of(arr));
	ir_emit_movi(f, 2, n->sort_col);
	ir_emit_movi(f, 3, n->sort_dir < 0 ? -1 : 1);
	ir_emit_mov(f, 4, limit);
	/* statistics sort on @count unless the script names an operation */
	static const int sops[] = {
		[STAT_COUNT] = BSTAP_SOP_COUNT, [STAT_SUM] = BSTAP_SOP_SUM, [STAT_MIN] = BSTAP_SOP_MIN,
		[STAT_MAX] = BSTAP_SOP_MAX, [STAT_AVG] = BSTAP_SOP_AVG, [STAT_VARIANCE] = BSTAP_SOP_VARIANCE,
		[STAT_HIST_LINEAR] = BSTAP_SOP_COUNT, [STAT_HIST_LOG] = BSTAP_SOP_COUNT,
	};
	ir_emit_movi(f, 5, n->sort_by_stat ? sops[n->stat] : BSTAP_SOP_COUNT);
	int h = ir_emit_call_result(f, BSTAP_UH_FOREACH_START, 5);
	int keybuf = scratch_ptr(L, scratch_alloc(L, (int)m->key_size));
	int valbuf = scratch_ptr(L, scratch_alloc(L, (int)m->value_size));
	int top = ir_label(f), next = ir_label(f), out = ir_label(f);
	ir_emit_label(f, top);
	ir_emit_mov(f, 1, h);
	ir_emit_mov(f, 2, keybuf);
	ir_emit_mov(f, 3, valbuf);
	ir_emit_call(f, BSTAP_UH_FOREACH_NEXT, 3);
	ir_emit_jmpi(f, BPF_JEQ, 0, 0, out);
	/* the element into the key and value variables */
	int off = 0;
	for (int i = 0; i < n->args.n && i < sym->nkeys; i++) {
		Node *k = n->args.v[i];
		int p = ir_vreg(f);
		ir_emit_mov(f, p, keybuf);
		ir_emit_alui(f, BPF_ADD, p, off);
		if (sym->keytypes[i] == TY_STRING) {
			lower_store_string(L, k, p);
			off += L->cap;
		} else {
			int v = ir_vreg(f);
			ir_emit_ldx(f, BPF_DW, v, p, 0);
			lower_store_long(L, k, v);
			off += 8;
		}
	}
	if (n->value) {
		if (sym->type == TY_STRING) {
			lower_store_string(L, n->value, valbuf);
		} else {
			int v = ir_vreg(f);
			ir_emit_ldx(f, BPF_DW, v, valbuf, 0);
			lower_store_long(L, n->value, v);
		}
	}
	body(L, n->then, out, next);
	ir_emit_label(f, next);
	ir_emit_ja(f, top);
	ir_emit_label(f, out);
}
