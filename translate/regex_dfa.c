/* regex_dfa.c - regex_compile: the pattern's NFAs (regex_nfa.c) into DFA
 * tables: byte classes, subset construction, padding to powers of two;
 * then the tagged DFA (regex_tdfa.c) when submatches are wanted.
 *
 * Anchors are assertions about where the scan is.  Each DFA reads in one
 * direction, so `^` and `$` become "at the scan's start" (passed only while
 * computing the start state of a scan that begins at a subject end) and
 * "at the scan's end" (kept pending in the state; the state's RX_ACC_END
 * says whether a match would end if the subject ends here).  Reading the
 * reversed pattern from the end, `$` is at the scan's start and `^` at its
 * end.
 *
 * Requires: a tree from rx_parse.  Provides: Regex's three DFAs, or a
 * "too complex" message when the NFA or a DFA passes its limit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "translate/regex_int.h"

/* ------------------------------------------------------- byte classes */

/* Bytes every NFA set treats alike share a class: refine the partition by
 * each set in turn. */
static int byte_classes(const Nfa *N, uint8_t cls[256])
{
	int work[256], ncls = 2; /* class 0: NUL alone; class 1: the rest, at first */
	for (int b = 0; b < 256; b++)
		work[b] = b ? 1 : 0;
	for (int i = 0; i < N->n; i++) {
		if (N->v[i].kind != NF_SET)
			continue;
		const uint8_t *set = N->v[i].set;
		int split_to[512];
		for (int k = 0; k < 512; k++)
			split_to[k] = -1;
		/* the bytes of a class that are in the set move to a new class */
		for (int b = 1; b < 256; b++) {
			if (!(set[b >> 3] & (1u << (b & 7))))
				continue;
			int c = work[b];
			if (split_to[c] < 0)
				split_to[c] = ncls++;
			work[b] = split_to[c];
		}
		/* a class moved whole left an empty id behind: renumber densely */
		int remap[512], next = 0;
		for (int k = 0; k < 512; k++)
			remap[k] = -1;
		for (int b = 0; b < 256; b++) {
			if (remap[work[b]] < 0)
				remap[work[b]] = next++;
			work[b] = remap[work[b]];
		}
		ncls = next;
	}
	for (int b = 0; b < 256; b++)
		cls[b] = (uint8_t)work[b];
	return ncls;
}

/* --------------------------------------------------- subset construction */

typedef struct Dfa {
	const Nfa *N;
	int words;                 /* uint64_t words of a state's NFA set */
	uint64_t **sets;           /* per state: its NFA nodes */
	bool *edge;                /* per state: the start state at a subject end */
	int n, cap, capedge;
	uint16_t *next;
	uint8_t *acc;
	int ncls;
	const uint8_t *cls;
	Arena *a;
	int *stack;                /* closure's work list */
	uint64_t *seen;
} Dfa;

static bool bit(const uint64_t *s, int i) { return s[i >> 6] >> (i & 63) & 1; }
static void bit_set(uint64_t *s, int i) { s[i >> 6] |= 1ull << (i & 63); }

/* Add node `from` and everything reachable without consuming a byte to
 * `out`, keeping only the nodes a state is made of (sets, pending end
 * assertions, the match).  Start assertions pass when at_start. */
static void closure(Dfa *D, int from, bool at_start, bool at_end, uint64_t *out)
{
	const Nfa *N = D->N;
	int sp = 0;
	if (bit(D->seen, from))
		return;
	bit_set(D->seen, from);
	D->stack[sp++] = from;
	while (sp) {
		int i = D->stack[--sp];
		const NfNode *nd = &N->v[i];
		int to[2] = { -1, -1 };
		switch (nd->kind) {
		case NF_SET: case NF_MATCH:
			bit_set(out, i);
			break;
		case NF_EPS: case NF_TAG:
			to[0] = nd->out;
			break;
		case NF_SPLIT:
			to[0] = nd->out;
			to[1] = nd->out2;
			break;
		case NF_AT_START:
			if (at_start)
				to[0] = nd->out;
			break;
		case NF_AT_END:
			if (at_end)
				to[0] = nd->out;
			else
				bit_set(out, i);
			break;
		}
		for (int k = 0; k < 2; k++)
			if (to[k] >= 0 && !bit(D->seen, to[k])) {
				bit_set(D->seen, to[k]);
				D->stack[sp++] = to[k];
			}
	}
}

static uint8_t accept_flags(Dfa *D, const uint64_t *set, bool edge)
{
	const Nfa *N = D->N;
	uint8_t acc = 0;
	uint64_t *end = arena_alloc(D->a, sizeof *end * (size_t)D->words);
	memset(D->seen, 0, sizeof *D->seen * (size_t)D->words);
	for (int i = 0; i < N->n; i++) {
		if (!bit(set, i))
			continue;
		if (N->v[i].kind == NF_MATCH)
			acc |= RX_ACC_NOW;
		if (N->v[i].kind == NF_AT_END || N->v[i].kind == NF_MATCH)
			closure(D, N->v[i].kind == NF_AT_END ? N->v[i].out : i, edge, true, end);
	}
	for (int i = 0; i < N->n; i++)
		if (bit(end, i) && N->v[i].kind == NF_MATCH)
			acc |= RX_ACC_END;
	return acc;
}

/* The state made of `set` (edge: the start state at a subject end); a new
 * one if needed.  -1 when there would be too many. */
static int state_of(Dfa *D, uint64_t *set, bool edge)
{
	size_t bytes = sizeof *set * (size_t)D->words;
	for (int i = 0; i < D->n; i++)
		if (D->edge[i] == edge && !memcmp(D->sets[i], set, bytes))
			return i;
	if (D->n >= RX_MAX_STATES)
		return -1;
	int cap = D->cap;
	D->sets = arena_grow(D->a, D->sets, &D->cap, D->n + 1, sizeof *D->sets);
	D->edge = arena_grow(D->a, D->edge, &D->capedge, D->n + 1, sizeof *D->edge);
	(void)cap;
	uint64_t *copy = arena_alloc(D->a, bytes);
	memcpy(copy, set, bytes);
	D->sets[D->n] = copy;
	D->edge[D->n] = edge;
	return D->n++;
}

static bool determinise(const Nfa *N, int start, const uint8_t *cls, int ncls, Arena *a, RegexDfa *out)
{
	Dfa D = { .N = N, .words = (N->n + 63) / 64, .a = a, .ncls = ncls, .cls = cls };
	D.stack = arena_alloc(a, sizeof *D.stack * (size_t)N->n);
	D.seen = arena_alloc(a, sizeof *D.seen * (size_t)D.words);
	size_t bytes = sizeof(uint64_t) * (size_t)D.words;
	uint64_t *set = arena_alloc(a, bytes);

	state_of(&D, set, false); /* 0: the empty set, dead */
	closure(&D, start, false, false, set);
	out->init = state_of(&D, set, false);
	memset(set, 0, bytes);
	memset(D.seen, 0, bytes);
	closure(&D, start, true, false, set);
	out->init_edge = state_of(&D, set, true);

	/* a representative byte per class */
	int rep[256];
	for (int c = 0; c < ncls; c++)
		rep[c] = -1;
	for (int b = 255; b >= 0; b--)
		rep[cls[b]] = b;

	int capnext = 0;
	uint16_t *next = NULL;
	for (int s = 0; s < D.n; s++) {
		next = arena_grow(a, next, &capnext, (s + 1) * ncls, sizeof *next);
		for (int c = 0; c < ncls; c++) {
			memset(set, 0, bytes);
			memset(D.seen, 0, bytes);
			int b = rep[c];
			if (b > 0)
				for (int i = 0; i < N->n; i++)
					if (bit(D.sets[s], i) && N->v[i].kind == NF_SET &&
					    N->v[i].set[b >> 3] & (1u << (b & 7)))
						closure(&D, N->v[i].out, false, false, set);
			int t = state_of(&D, set, false);
			if (t < 0)
				return false;
			next[s * ncls + c] = (uint16_t)t;
		}
	}
	out->nstates = D.n;
	out->next = next;
	out->acc = arena_alloc(a, (size_t)D.n);
	for (int s = 1; s < D.n; s++)
		out->acc[s] = accept_flags(&D, D.sets[s], D.edge[s]);
	return true;
}

static int pow2_at_least(int n)
{
	int p = 1;
	while (p < n)
		p <<= 1;
	return p;
}

/* Re-lay d's tables as rows x stride (regex.h: masks bound the indexes). */
static void pad_dfa(Arena *a, const Regex *re, RegexDfa *d)
{
	d->rows = pow2_at_least(d->nstates);
	uint16_t *next = arena_alloc(a, sizeof *next * (size_t)(d->rows * re->stride));
	for (int s = 0; s < d->nstates; s++)
		memcpy(next + s * re->stride, d->next + s * re->ncls, sizeof *next * (size_t)re->ncls);
	uint8_t *acc = arena_alloc(a, (size_t)d->rows);
	memcpy(acc, d->acc, (size_t)d->nstates);
	d->next = next;
	d->acc = acc;
}

Regex *regex_compile(Arena *a, const char *pat, size_t len, bool submatches, char *err, size_t errlen,
                     int *erroff)
{
	Regex *re = arena_alloc(a, sizeof *re);
	RxNode *tree = rx_parse(a, pat, len, &re->ngroups, err, errlen, erroff);
	if (!tree)
		return NULL;
	uint8_t *any = arena_alloc(a, 32);
	memset(any, 0xff, 32);
	any[0] &= (uint8_t)~1u;

	struct { RegexDfa *dfa; bool reverse, unanchored; } kinds[] = {
		{ &re->any, false, true }, { &re->back, true, true }, { &re->fwd, false, false },
	};
	Nfa nfas[3];
	int starts[3];
	for (int k = 0; k < 3; k++) {
		nfas[k] = (Nfa){ .a = a };
		starts[k] = rx_build_nfa(&nfas[k], tree, kinds[k].reverse, kinds[k].unanchored, any);
		if (nfas[k].too_big) {
			snprintf(err, errlen, "too complex: its automaton would need more than %d NFA states",
			         RX_MAX_NFA);
			*erroff = -1;
			return NULL;
		}
	}
	/* the three NFAs have the same sets (and `any`): one class map fits all */
	re->ncls = byte_classes(&nfas[0], re->cls);
	re->stride = pow2_at_least(re->ncls);
	for (int k = 0; k < 3; k++) {
		if (!determinise(&nfas[k], starts[k], re->cls, re->ncls, a, kinds[k].dfa)) {
			snprintf(err, errlen, "too complex: its DFA would need more than %d states",
			         RX_MAX_STATES);
			*erroff = -1;
			return NULL;
		}
		pad_dfa(a, re, kinds[k].dfa);
	}
	if (!submatches || re->ngroups == 0)
		return re;
	if (2 * re->ngroups > RX_MAX_TAGS) {
		snprintf(err, errlen, "has %d subexpressions: matched(n) can follow at most %d", re->ngroups,
		         RX_MAX_TAGS / 2);
		*erroff = -1;
		return NULL;
	}
	Nfa tagged = { .a = a, .tags = true };
	int start = rx_build_nfa(&tagged, tree, false, false, any);
	if (tagged.too_big || !rx_tdfa_build(&tagged, start, re, a, &re->sub)) {
		snprintf(err, errlen, "too complex for matched(n): its tagged DFA would need more than %d states "
		         "of at most %d threads each", RX_MAX_STATES, RX_MAX_ITEMS);
		*erroff = -1;
		return NULL;
	}
	re->has_sub = true;
	return re;
}
