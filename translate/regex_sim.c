/* regex_sim.c - the user-space twin of codegen/regex.c: the same walk over
 * the same tables, step for step, so that the unit test's comparison with
 * glibc checks what the BPF code computes.  Keep the two in step. */
#include "translate/regex.h"

/* The masks bound the indexes for the verifier; here they change nothing. */
static int step(const Regex *re, const RegexDfa *d, int st, unsigned char c)
{
	return d->next[(st & (d->rows - 1)) * re->stride + (re->cls[c] & (re->stride - 1))];
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

void regex_sim_groups(const Regex *re, const char *s, size_t cap, int start, int end, int *so, int *eo)
{
	for (int g = 1; g <= re->ngroups; g++)
		so[g] = eo[g] = -1;
	if (!re->has_sub)
		return;
	const RegexTdfa *d = &re->sub;
	int T = d->ntags, M = d->nitems;
	int64_t bank[2][RX_MAX_ITEMS * RX_MAX_TAGS];
	int cur = 0;
	for (int t = 0; t < T; t++) /* what the start rows copy: unset */
		bank[cur][t] = -1;
	/* the start state's registers: tags set at start, the rest unset */
	const RxOp *row = d->init_ops + (start == 0 ? M : 0);
	int st = start == 0 ? d->init_edge : d->init;
	int pos = start;
	for (;;) {
		for (int j = 0; j < M && row[j].src != RX_NO_ITEM; j++)
			for (int t = 0; t < T; t++)
				bank[!cur][j * T + t] = row[j].mask >> t & 1 ? pos : bank[cur][(row[j].src & (M - 1)) * T + t];
		cur = !cur;
		if (pos >= end || st == 0)
			break;
		int k = (st & (d->rows - 1)) * re->stride + (re->cls[(unsigned char)s[pos]] & (re->stride - 1));
		row = d->ops + (size_t)k * M;
		st = d->next[k];
		pos++;
	}
	int len = 0;
	while ((size_t)len < cap && s[len])
		len++;
	bool at_end = end == len;
	int item = d->acc[2 * st + at_end];
	if (st == 0 || item == RX_NO_ITEM)
		return;
	for (int g = 1; g <= re->ngroups; g++) {
		int t = 2 * g - 2;
		int64_t a = at_end && (d->acc_mask[st] >> t & 1) ? end : bank[cur][item * T + t];
		int64_t b = at_end && (d->acc_mask[st] >> (t + 1) & 1) ? end : bank[cur][item * T + t + 1];
		if (a >= 0 && b >= 0) {
			so[g] = (int)a;
			eo[g] = (int)b;
		}
	}
}
