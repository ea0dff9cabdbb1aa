/* regex_int.h - the regex compiler's private interface: the Thompson NFA
 * that regex_nfa.c builds and regex_dfa.c and regex_tdfa.c determinise. */
#ifndef BSTAP_REGEX_INT_H
#define BSTAP_REGEX_INT_H

#include "translate/regex.h"

typedef enum {
	NF_SET,        /* consume a byte of set, then out */
	NF_EPS,        /* to out (out < 0: not yet patched) */
	NF_SPLIT,      /* to out and out2 */
	NF_AT_START,   /* passes only at the scan's start */
	NF_AT_END,     /* passes only at the scan's end */
	NF_TAG,        /* to out, recording the position as tag `tag` (submatches) */
	NF_MATCH,
} NfKind;

typedef struct NfNode {
	NfKind kind;
	int out, out2;
	const uint8_t *set;    /* NF_SET */
	int tag;               /* NF_TAG: 2g-2 opens subexpression g, 2g-1 closes it */
} NfNode;

typedef struct Nfa {
	NfNode *v;
	int n, cap;
	Arena *a;
	bool too_big;
	bool tags;             /* build NF_TAG nodes around subexpressions */
} Nfa;

/* The automaton of tree r: [.* loop] r MATCH, reversed (concatenations
 * read right to left, ^ and $ swapped) when asked; its start node.  `any`
 * is the set of the .* loop.  N->too_big when RX_MAX_NFA was passed. */
int rx_build_nfa(Nfa *N, const RxNode *r, bool reverse, bool unanchored, const uint8_t *any);

/* regex_tdfa.c: the tagged DFA for submatches (regex.h, RegexTdfa), from
 * an NFA built with tags.  false when it passes its limits. */
bool rx_tdfa_build(const Nfa *N, int start, const Regex *re, Arena *a, RegexTdfa *out);

#endif
