/* regex_sim.c - the user-space twin of codegen/regex.c: the same walk over
 * the same tables, step for step, so that the unit test's comparison with
 * glibc checks what the BPF code computes.  Keep the two in step. */
#include "translate/regex.h"

static int step(const Regex *re, const RegexDfa *d, int st, unsigned char c)
{
	return d->next[st * re->ncls + re->cls[c]];
}

bool regex_sim_any(const Regex *re, const char *s, size_t cap)
{
	const RegexDfa *d = &re->any;
	int st = d->init_edge;
	for (size_t i = 0;; i++) {
		if (d->acc[st] & RX_ACC_NOW)
			return true;
		if (i >= cap || s[i] == 0)
			return d->acc[st] & RX_ACC_END;
		st = step(re, d, st, (unsigned char)s[i]);
		if (st == 0)
			return false;
	}
}

bool regex_sim_search(const Regex *re, const char *s, size_t cap, int *start, int *end)
{
	int len = 0;
	while ((size_t)len < cap && s[len])
		len++;

	/* backwards from the end: the last (leftmost) place a match starts */
	const RegexDfa *b = &re->back;
	int st = b->init_edge, best = -1;
	if (b->acc[st] & RX_ACC_NOW)
		best = len;
	int i = len;
	while (i > 0) {
		st = step(re, b, st, (unsigned char)s[i - 1]);
		if (st == 0)
			break;
		i--;
		if (b->acc[st] & RX_ACC_NOW)
			best = i;
	}
	if (i == 0 && (b->acc[st] & RX_ACC_END))
		best = 0;
	if (best < 0)
		return false;

	/* forwards from there: the last place it ends */
	const RegexDfa *f = &re->fwd;
	st = best == 0 ? f->init_edge : f->init;
	int last = (f->acc[st] & RX_ACC_NOW) ? best : -1;
	int j = best;
	while (j < len) {
		st = step(re, f, st, (unsigned char)s[j]);
		if (st == 0)
			break;
		j++;
		if (f->acc[st] & RX_ACC_NOW)
			last = j;
	}
	if (j == len && (f->acc[st] & RX_ACC_END))
		last = len;
	if (last < 0)
		return false;
	*start = best;
	*end = last;
	return true;
}
