/* regex.h - POSIX extended regular expressions for `=~` and `!~`, compiled
 * at compile time into DFA tables that BPF code (codegen/regex.c) and the
 * simulator (regex_sim.c) walk one byte per step.
 *
 * Pipeline: regex_parse.c reads the pattern into a syntax tree (RxNode);
 * regex_nfa.c builds Thompson NFAs from it; regex_dfa.c determinises them
 * three ways (see Regex below), sharing one byte-class map, and
 * regex_tdfa.c builds the tagged DFA for subexpressions.  Everything lives
 * in the caller's arena.
 *
 * Semantics: POSIX leftmost-longest for the whole match.  The subject is a
 * NUL-terminated string; `.` and negated brackets match any byte but NUL
 * (newline included: no REG_NEWLINE), `^` and `$` match only at the ends of
 * the subject. */
#ifndef BSTAP_REGEX_H
#define BSTAP_REGEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parser/parse.h"

/* Limits: past them the pattern is refused with a message that says so. */
#define RX_MAX_NFA 20000       /* NFA nodes (counted repetition copies) */
#define RX_MAX_STATES 1000     /* states of each DFA */
#define RX_MAX_REPEAT 255      /* m and n of {m,n} (RE_DUP_MAX) */

/* ------------------------------------------------------------ regex_parse.c */

typedef enum {
	RX_SET,        /* one byte of `set` */
	RX_CAT,        /* a then b */
	RX_ALT,        /* a or b */
	RX_REPEAT,     /* a, min to max times (max -1: unbounded) */
	RX_GROUP,      /* ( a ): subexpression number `group` */
	RX_BOL,        /* ^ */
	RX_EOL,        /* $ */
	RX_EMPTY,      /* matches the empty string: () or an empty branch */
} RxKind;

typedef struct RxNode RxNode;
struct RxNode {
	RxKind kind;
	RxNode *a, *b;
	int min, max;          /* RX_REPEAT */
	int group;             /* RX_GROUP: 1, 2, ... in order of '(' */
	uint8_t set[32];       /* RX_SET: bit b set when byte b matches */
};

/* Parse pattern pat (len bytes).  NULL on a syntax error, with a message in
 * err and the offending byte offset in *erroff.  *ngroups: the number of
 * subexpressions. */
RxNode *rx_parse(Arena *a, const char *pat, size_t len, int *ngroups, char *err, size_t errlen,
                 int *erroff);

/* -------------------------------------------------------------- regex_dfa.c */

/* Accept flags of a DFA state. */
#define RX_ACC_NOW 1           /* a match ends here */
#define RX_ACC_END 2           /* a match ends here if this is the scan's last position ($ or ^ pending) */

/* One DFA: state 0 is dead (it never accepts and never leaves).  Its
 * tables have `rows` states (a power of two; the states past nstates are
 * dead), and `stride` (Regex) entries per state, so that masking a state
 * or class with rows - 1 or stride - 1 bounds every index without a
 * branch: the BPF code does, and the verifier sees it. */
typedef struct RegexDfa {
	int nstates, rows;
	int init;              /* start state, scan not starting at a subject end */
	int init_edge;         /* start state, scan starting at a subject end */
	uint16_t *next;        /* next[state * stride + class] */
	uint8_t *acc;          /* RX_ACC_* per state */
} RegexDfa;

/* The tagged DFA for matched(n): it reads the whole match once more (its
 * ends are known by then), each state an ordered list of items (NFA
 * threads, best first), each item with one register per tag (2g-2: where
 * subexpression g starts, 2g-1: where it ends; -1: not set).  Reading a
 * byte, new item j takes old item src's registers, then sets the tags of
 * mask to the position after the byte.  The start rows read item 0 of a
 * bank whose registers are all -1. */
#define RX_MAX_TAGS 32         /* so at most 16 subexpressions for matched(n) */
#define RX_MAX_ITEMS 16        /* items of a state (registers: items x tags) */
#define RX_NO_ITEM 255         /* an unused slot: the row ends */

typedef struct RxOp {
	uint32_t mask;
	uint8_t src;
	uint8_t pad[3];
} RxOp;

typedef struct RegexTdfa {
	int nstates, rows, ntags;      /* rows: as in RegexDfa */
	int nitems;                    /* the most items a state has, rounded up to a power of two */
	int init, init_edge;           /* start states, as in RegexDfa */
	uint16_t *next;                /* next[state * stride + class] */
	RxOp *ops;                     /* ops[(state * stride + class) * nitems + j] */
	RxOp *init_ops;                /* [j] for init, then [nitems + j] for init_edge */
	uint8_t *acc;                  /* [2s]: the item whose parse wins if the match ends
	                                * here, [2s+1]: the same at the subject's end */
	uint32_t *acc_mask;            /* [s]: tags set on the way to the end ($) */
} RegexTdfa;

typedef struct Regex {
	int ngroups;
	bool has_sub;          /* sub was built (regex_compile's submatches, ngroups > 0) */
	RegexTdfa sub;         /* submatches of the match fwd found */
	int ncls;              /* byte classes; class of NUL unused */
	int stride;            /* ncls rounded up to a power of two */
	uint8_t cls[256];      /* byte -> class */
	RegexDfa any;          /* .*R forward: is there a match at all (first accept ends it) */
	RegexDfa back;         /* .*R', R reversed, read from the end: leftmost start */
	RegexDfa fwd;          /* R anchored at that start: longest end */
} Regex;

/* Compile pattern pat (with submatches: its tagged DFA too, for
 * matched(n)).  NULL with a message in err and *erroff (a byte offset in
 * the pattern, or -1 for the pattern as a whole: too complex). */
Regex *regex_compile(Arena *a, const char *pat, size_t len, bool submatches, char *err, size_t errlen,
                     int *erroff);

/* -------------------------------------------------------------- regex_sim.c */

/* Walk re's tables over subject s exactly as the generated BPF does (at most
 * cap bytes, stopping at NUL).  regex_sim_any: is there a match.
 * regex_sim_search: the leftmost-longest match [*start, *end), or false. */
bool regex_sim_any(const Regex *re, const char *s, size_t cap);
bool regex_sim_search(const Regex *re, const char *s, size_t cap, int *start, int *end);
/* After regex_sim_search: where each subexpression g (1..ngroups) starts
 * and ends, so[g] eo[g], -1 -1 when it took no part. */
void regex_sim_groups(const Regex *re, const char *s, size_t cap, int start, int end, int *so, int *eo);

#endif
