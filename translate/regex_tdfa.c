/* regex_tdfa.c - the tagged DFA behind matched(n), built from an NFA with
 * tags (a Laurikari-style TDFA with leftmost-greedy priorities).
 *
 * A state is an ordered list of items: the NFA threads alive, best first,
 * where "best" is the order of the NFA's choices (left alternative, one
 * more iteration, the optional part taken).  The items of the next state
 * come from following each item in order; a node reached twice keeps its
 * first (best) way.  Registers are canonical: item j's tag t lives in
 * register j * ntags + t, so a state is identified by its ordered node list
 * alone, and a transition's work is, per new item, "copy the registers of
 * old item src, then set the tags in mask to the position".
 *
 * Rule this gives (documented in tapsets/regex.stp): the whole match is
 * POSIX's (found before, by the plain DFAs); among the ways the pattern can
 * match exactly that text, matched(n) reports the one that prefers, at each
 * choice from left to right, the left alternative and more iterations (as
 * Perl would for a match of that extent).  A subexpression repeated
 * reports its last iteration that took part.
 *
 * Requires: an NFA from rx_build_nfa with tags (forwards, anchored), the
 * byte classes of re.  Provides: re->sub, or false when a state would need
 * more than RX_MAX_ITEMS items or there would be more than RX_MAX_STATES
 * states. */
#include <string.h>

#include "translate/regex_int.h"

#define RX_MAX_SUB_TABLE (256 * 1024)   /* bytes of op tables for one pattern */

typedef struct Item {
	int node;
	int src;               /* the old item it came from (start states: 0, all unset) */
	uint32_t mask;         /* tags passed on the way */
} Item;

typedef struct Tdfa {
	const Nfa *N;
	Arena *a;
	int **nodes;           /* per state: its items' nodes, best first */
	int *nitems;
	bool *edge;            /* the start state at a subject end */
	int n, capnodes, capnitems, capedge;
	uint8_t *seen;
	int maxitems;
	bool too_big;
} Tdfa;

static void push(Tdfa *X, Item it, Item *out, int *nout)
{
	if (*nout >= RX_MAX_ITEMS) {
		X->too_big = true;
		return;
	}
	out[(*nout)++] = it;
}

/* Follow node without consuming a byte, the better way first. */
static void tclose(Tdfa *X, int node, int src, uint32_t mask, bool at_start, bool at_end, Item *out,
                   int *nout)
{
	if (X->seen[node])
		return;
	X->seen[node] = 1;
	const NfNode *nd = &X->N->v[node];
	switch (nd->kind) {
	case NF_SET: case NF_MATCH:
		push(X, (Item){ node, src, mask }, out, nout);
		return;
	case NF_AT_END:
		if (at_end)
			tclose(X, nd->out, src, mask, at_start, at_end, out, nout);
		else
			push(X, (Item){ node, src, mask }, out, nout);
		return;
	case NF_AT_START:
		if (at_start)
			tclose(X, nd->out, src, mask, at_start, at_end, out, nout);
		return;
	case NF_EPS:
		tclose(X, nd->out, src, mask, at_start, at_end, out, nout);
		return;
	case NF_TAG:
		tclose(X, nd->out, src, mask | 1u << nd->tag, at_start, at_end, out, nout);
		return;
	case NF_SPLIT:
		tclose(X, nd->out, src, mask, at_start, at_end, out, nout);
		tclose(X, nd->out2, src, mask, at_start, at_end, out, nout);
		return;
	}
}

/* The state of these items (in this order); a new one if needed, -1 when
 * there would be too many. */
static int state_of(Tdfa *X, const Item *items, int n, bool edge)
{
	for (int s = 0; s < X->n; s++) {
		if (X->edge[s] != edge || X->nitems[s] != n)
			continue;
		int k = 0;
		while (k < n && X->nodes[s][k] == items[k].node)
			k++;
		if (k == n)
			return s;
	}
	if (X->n >= RX_MAX_STATES)
		return -1;
	X->nodes = arena_grow(X->a, X->nodes, &X->capnodes, X->n + 1, sizeof *X->nodes);
	X->nitems = arena_grow(X->a, X->nitems, &X->capnitems, X->n + 1, sizeof *X->nitems);
	X->edge = arena_grow(X->a, X->edge, &X->capedge, X->n + 1, sizeof *X->edge);
	int *v = arena_alloc(X->a, sizeof *v * (size_t)(n + 1));
	for (int k = 0; k < n; k++)
		v[k] = items[k].node;
	X->nodes[X->n] = v;
	X->nitems[X->n] = n;
	X->edge[X->n] = edge;
	if (n > X->maxitems)
		X->maxitems = n;
	return X->n++;
}

static void set_row(RxOp *row, const Item *items, int n)
{
	for (int j = 0; j < RX_MAX_ITEMS; j++)
		row[j] = j < n ? (RxOp){ .mask = items[j].mask, .src = (uint8_t)items[j].src }
		               : (RxOp){ .src = RX_NO_ITEM };
}

/* Which item's parse wins when the match ends in state s: [0] here, [1]
 * at the subject's end (pending $ pass), with the tags passed then. */
static void accepting(Tdfa *X, int s, uint8_t acc[2], uint32_t *end_mask)
{
	const Nfa *N = X->N;
	acc[0] = acc[1] = RX_NO_ITEM;
	*end_mask = 0;
	for (int k = 0; k < X->nitems[s]; k++) {
		const NfNode *nd = &N->v[X->nodes[s][k]];
		if (nd->kind == NF_MATCH && acc[0] == RX_NO_ITEM)
			acc[0] = (uint8_t)k;
		if (acc[1] != RX_NO_ITEM)
			continue;
		if (nd->kind == NF_MATCH) {
			acc[1] = (uint8_t)k;
		} else if (nd->kind == NF_AT_END) {
			Item found[RX_MAX_ITEMS];
			int nf = 0;
			memset(X->seen, 0, (size_t)N->n);
			tclose(X, nd->out, k, 0, X->edge[s], true, found, &nf);
			for (int i = 0; i < nf; i++)
				if (N->v[found[i].node].kind == NF_MATCH) {
					acc[1] = (uint8_t)k;
					*end_mask = found[i].mask;
					break;
				}
		}
	}
}

bool rx_tdfa_build(const Nfa *N, int start, const Regex *re, Arena *a, RegexTdfa *out)
{
	Tdfa X = { .N = N, .a = a };
	X.seen = arena_alloc(a, (size_t)N->n);
	int ncls = re->ncls;
	Item items[RX_MAX_ITEMS];
	int ni;
	RxOp init_rows[2][RX_MAX_ITEMS];

	state_of(&X, items, 0, false); /* 0: dead */
	for (int e = 0; e < 2; e++) {
		memset(X.seen, 0, (size_t)N->n);
		ni = 0;
		tclose(&X, start, 0, 0, e, false, items, &ni);
		int s = state_of(&X, items, ni, e);
		if (e)
			out->init_edge = s;
		else
			out->init = s;
		set_row(init_rows[e], items, ni);
	}

	int rep[256];
	for (int c = 0; c < ncls; c++)
		rep[c] = -1;
	for (int b = 255; b >= 0; b--)
		rep[re->cls[b]] = b;

	int capnext = 0, capops = 0;
	uint16_t *next = NULL;
	RxOp *ops = NULL; /* RX_MAX_ITEMS per row while building */
	for (int s = 0; s < X.n && !X.too_big; s++) {
		next = arena_grow(a, next, &capnext, (s + 1) * ncls, sizeof *next);
		ops = arena_grow(a, ops, &capops, (s + 1) * ncls * RX_MAX_ITEMS, sizeof *ops);
		for (int c = 0; c < ncls; c++) {
			memset(X.seen, 0, (size_t)N->n);
			ni = 0;
			int b = rep[c];
			for (int k = 0; b > 0 && k < X.nitems[s]; k++) {
				const NfNode *nd = &N->v[X.nodes[s][k]];
				if (nd->kind == NF_SET && nd->set[b >> 3] & (1u << (b & 7)))
					tclose(&X, nd->out, k, 0, false, false, items, &ni);
			}
			int t = state_of(&X, items, ni, false);
			if (t < 0)
				return false;
			next[s * ncls + c] = (uint16_t)t;
			set_row(ops + (size_t)(s * ncls + c) * RX_MAX_ITEMS, items, ni);
		}
	}
	/* lay the tables out as rows x stride x m, m a power of two (regex.h) */
	int m = 1, rows = 1, stride = re->stride;
	while (m < X.maxitems)
		m <<= 1;
	while (rows < X.n)
		rows <<= 1;
	if (X.too_big || (size_t)rows * (size_t)stride * (size_t)m * sizeof(RxOp) > RX_MAX_SUB_TABLE)
		return false;
	out->nstates = X.n;
	out->rows = rows;
	out->nitems = m;
	out->ntags = 2 * re->ngroups;
	out->next = arena_alloc(a, sizeof *out->next * (size_t)(rows * stride));
	out->ops = arena_alloc(a, sizeof *out->ops * (size_t)(rows * stride * m));
	for (int k = 0; k < rows * stride * m; k++)
		out->ops[k].src = RX_NO_ITEM;
	for (int s = 0; s < X.n; s++)
		for (int c = 0; c < ncls; c++) {
			out->next[s * stride + c] = next[s * ncls + c];
			memcpy(out->ops + (size_t)(s * stride + c) * m, ops + (size_t)(s * ncls + c) * RX_MAX_ITEMS,
			       sizeof *ops * (size_t)m);
		}
	out->init_ops = arena_alloc(a, sizeof *out->init_ops * (size_t)(2 * m));
	memcpy(out->init_ops, init_rows[0], sizeof *ops * (size_t)m);
	memcpy(out->init_ops + m, init_rows[1], sizeof *ops * (size_t)m);
	out->acc = arena_alloc(a, (size_t)(2 * rows));
	memset(out->acc, RX_NO_ITEM, (size_t)(2 * rows));
	out->acc_mask = arena_alloc(a, sizeof *out->acc_mask * (size_t)rows);
	for (int s = 0; s < X.n; s++)
		accepting(&X, s, out->acc + 2 * s, &out->acc_mask[s]);
	return true;
}
