/* regex_nfa.c - a regex syntax tree into a Thompson NFA.
 *
 * Choices are ordered: a split's `out` is the preferred way (the left
 * alternative, one more iteration, taking the optional part), which is
 * what regex_tdfa.c's priorities read.  Counted repetition copies the
 * subtree; past RX_MAX_NFA nodes the build stops with too_big set. */
#include "translate/regex_int.h"

typedef struct Frag {
	int start, end;        /* end: an NF_EPS whose out is patched by the user */
} Frag;

static int nf_new(Nfa *N, NfKind kind, int out, int out2)
{
	if (N->n >= RX_MAX_NFA) {
		N->too_big = true;
		return 0;
	}
	N->v = arena_grow(N->a, N->v, &N->cap, N->n + 1, sizeof *N->v);
	N->v[N->n] = (NfNode){ .kind = kind, .out = out, .out2 = out2 };
	return N->n++;
}

static Frag frag_eps(Nfa *N)
{
	int e = nf_new(N, NF_EPS, -1, -1);
	return (Frag){ e, e };
}

static Frag frag_cat(Nfa *N, Frag x, Frag y)
{
	N->v[x.end].out = y.start;
	return (Frag){ x.start, y.end };
}

/* x? */
static Frag frag_opt(Nfa *N, Frag x)
{
	int e = nf_new(N, NF_EPS, -1, -1);
	int s = nf_new(N, NF_SPLIT, x.start, e);
	N->v[x.end].out = e;
	return (Frag){ s, e };
}

static Frag build(Nfa *N, const RxNode *r, bool reverse);

/* x{min,max}: min copies, then max-min optional ones nested (x(x(x)?)?)?,
 * or a star; each copy is built anew from the tree. */
static Frag build_repeat(Nfa *N, const RxNode *r, bool reverse)
{
	Frag f = frag_eps(N);
	for (int i = 0; i < r->min && !N->too_big; i++)
		f = frag_cat(N, f, build(N, r->a, reverse));
	if (r->max < 0) {
		Frag body = build(N, r->a, reverse);
		int e = nf_new(N, NF_EPS, -1, -1);
		int s = nf_new(N, NF_SPLIT, body.start, e);
		N->v[body.end].out = s;
		return frag_cat(N, f, (Frag){ s, e });
	}
	if (r->max > r->min) {
		Frag tail = frag_opt(N, build(N, r->a, reverse));
		for (int i = r->min + 1; i < r->max && !N->too_big; i++)
			tail = frag_opt(N, frag_cat(N, build(N, r->a, reverse), tail));
		f = frag_cat(N, f, tail);
	}
	return f;
}

static Frag build(Nfa *N, const RxNode *r, bool reverse)
{
	if (N->too_big)
		return (Frag){ 0, 0 };
	switch (r->kind) {
	case RX_SET: {
		int e = nf_new(N, NF_EPS, -1, -1);
		int s = nf_new(N, NF_SET, e, -1);
		N->v[s].set = r->set;
		return (Frag){ s, e };
	}
	case RX_CAT: {
		Frag x = build(N, reverse ? r->b : r->a, reverse);
		Frag y = build(N, reverse ? r->a : r->b, reverse);
		return frag_cat(N, x, y);
	}
	case RX_ALT: {
		Frag x = build(N, r->a, reverse), y = build(N, r->b, reverse);
		int e = nf_new(N, NF_EPS, -1, -1);
		int s = nf_new(N, NF_SPLIT, x.start, y.start);
		N->v[x.end].out = e;
		N->v[y.end].out = e;
		return (Frag){ s, e };
	}
	case RX_REPEAT:
		return build_repeat(N, r, reverse);
	case RX_GROUP: {
		if (!N->tags)
			return build(N, r->a, reverse);
		int open = nf_new(N, NF_TAG, -1, -1), close = nf_new(N, NF_TAG, -1, -1);
		if (N->too_big)
			return (Frag){ 0, 0 };
		N->v[open].tag = 2 * r->group - 2;
		N->v[close].tag = 2 * r->group - 1;
		Frag in = build(N, r->a, reverse);
		N->v[open].out = in.start;
		N->v[in.end].out = close;
		int e = nf_new(N, NF_EPS, -1, -1);
		N->v[close].out = e;
		return (Frag){ open, e };
	}
	case RX_BOL: case RX_EOL: {
		bool at_start = (r->kind == RX_BOL) != reverse;
		int e = nf_new(N, NF_EPS, -1, -1);
		int s = nf_new(N, at_start ? NF_AT_START : NF_AT_END, e, -1);
		return (Frag){ s, e };
	}
	case RX_EMPTY:
		return frag_eps(N);
	}
	return frag_eps(N);
}

/* The whole automaton: [.* loop] R MATCH; its start node. */
int rx_build_nfa(Nfa *N, const RxNode *r, bool reverse, bool unanchored, const uint8_t *any)
{
	Frag f = build(N, r, reverse);
	int m = nf_new(N, NF_MATCH, -1, -1);
	if (N->too_big)
		return 0;
	N->v[f.end].out = m;
	if (!unanchored)
		return f.start;
	/* split: into R now, or consume any byte and come back */
	int loop = nf_new(N, NF_SET, -1, -1);
	int s = nf_new(N, NF_SPLIT, f.start, loop);
	if (N->too_big)
		return 0;
	N->v[loop].set = any;
	N->v[loop].out = s;
	return s;
}

