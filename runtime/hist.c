/* hist.c - statistics as users see them: per-CPU copies merged, the
 * values of @count ... @variance, and histograms in stap's layout:
 *
 *   value |-------------------------------------------------- count
 *       0 |                                                    0
 *       1 |@@@@                                                4
 *       2 |@@@@@@@@@@                                         10
 *
 * Bars are scaled so the largest fits 50 columns; two empty rows are kept
 * on each side of the data; longer runs of empty rows inside are shown as
 * a single "~" line; a linear histogram's under- and overflow rows appear
 * only when they have counts. */
#include <string.h>

#include "runtime/rt.h"

#define HIST_WIDTH 50
#define HIST_MARGIN 2

void stat_merge(const char *percpu, int ncpus, uint32_t value_size, int nbuckets, int64_t *out)
{
	uint32_t stride = (value_size + 7) & ~7u;
	int nwords = BSTAP_STAT_HIST + nbuckets;
	memset(out, 0, sizeof(int64_t) * (size_t)nwords);
	for (int c = 0; c < ncpus; c++) {
		const char *v = percpu + (size_t)c * stride;
		int64_t w[BSTAP_STAT_HIST];
		memcpy(w, v, sizeof w);
		if (w[BSTAP_STAT_COUNT] == 0)
			continue;
		if (out[BSTAP_STAT_COUNT] == 0 || w[BSTAP_STAT_MIN] < out[BSTAP_STAT_MIN])
			out[BSTAP_STAT_MIN] = w[BSTAP_STAT_MIN];
		if (out[BSTAP_STAT_COUNT] == 0 || w[BSTAP_STAT_MAX] > out[BSTAP_STAT_MAX])
			out[BSTAP_STAT_MAX] = w[BSTAP_STAT_MAX];
		out[BSTAP_STAT_COUNT] += w[BSTAP_STAT_COUNT];
		out[BSTAP_STAT_SUM] += w[BSTAP_STAT_SUM];
		out[BSTAP_STAT_SUMSQ] += w[BSTAP_STAT_SUMSQ];
		for (int b = 0; b < nbuckets; b++) {
			int64_t x;
			memcpy(&x, v + 8 * (BSTAP_STAT_HIST + b), 8);
			out[BSTAP_STAT_HIST + b] += x;
		}
	}
}

bool stat_value(const int64_t *s, int op, int64_t *out)
{
	int64_t n = s[BSTAP_STAT_COUNT];
	switch (op) {
	case BSTAP_SOP_COUNT:
		*out = n;
		return true;
	case BSTAP_SOP_SUM:
		*out = s[BSTAP_STAT_SUM];
		return true;
	case BSTAP_SOP_MIN:
		*out = s[BSTAP_STAT_MIN];
		return n > 0;
	case BSTAP_SOP_MAX:
		*out = s[BSTAP_STAT_MAX];
		return n > 0;
	case BSTAP_SOP_AVG:
		*out = n ? s[BSTAP_STAT_SUM] / n : 0;
		return n > 0;
	case BSTAP_SOP_VARIANCE: {
		/* the sample variance, (n Σx² - (Σx)²) / (n (n - 1)), in 128 bits */
		if (n < 2) {
			*out = 0;
			return n > 0;
		}
		__int128 num = (__int128)s[BSTAP_STAT_SUMSQ] * n - (__int128)s[BSTAP_STAT_SUM] * s[BSTAP_STAT_SUM];
		*out = (int64_t)(num / ((__int128)n * (n - 1)));
		return true;
	}
	default:
		*out = 0;
		return false;
	}
}

static int digits(int64_t v)
{
	int n = v < 0 ? 1 : 0;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do {
		n++;
		u /= 10;
	} while (u);
	return n;
}

/* The value a log bucket starts at. */
static int64_t log_bucket_value(int b)
{
	int zero = BSTAP_HIST_LOG_BUCKETS / 2;
	if (b == zero)
		return 0;
	if (b > zero)
		return (int64_t)((uint64_t)1 << (b - zero - 1));
	return (int64_t)((uint64_t)INT64_MIN >> 0) >> b; /* -2^(63-b), as an arithmetic shift */
}

void stat_print_hist(OutBuf *out, const int64_t *s, const struct bstap_global *g)
{
	int nb = (int)g->hist_buckets;
	const int64_t *h = s + BSTAP_STAT_HIST;
	bool linear = g->hist == BSTAP_HIST_LINEAR;
	int lo = -1, hi = 0;
	int64_t max = 0;
	for (int i = 0; i < nb; i++) {
		if (h[i] > 0 && lo < 0)
			lo = i;
		if (h[i] > 0)
			hi = i;
		if (h[i] > max)
			max = h[i];
	}
	if (lo < 0)
		lo = linear ? 0 : BSTAP_HIST_LOG_BUCKETS / 2;
	for (int i = 0; i < HIST_MARGIN; i++) {
		/* log histograms do not go below zero unless values did */
		if (lo > 0 && (linear || lo != BSTAP_HIST_LOG_BUCKETS / 2))
			lo--;
		if (hi < nb - 1)
			hi++;
	}
	bool under = false, over = false;
	if (linear) {
		if (lo == 0 && h[0] == 0)
			lo++;
		if (hi == nb - 1 && h[hi] == 0)
			hi--;
		under = lo == 0;
		over = hi == nb - 1;
	}
	int64_t scale = max <= HIST_WIDTH ? 1 : (max + HIST_WIDTH - 1) / HIST_WIDTH;
	int cnt_space = digits(max);
	int val_space;
	if (linear) {
		int a = digits(g->hist_lo) + under, b = digits(g->hist_lo + g->hist_step * hi) + over;
		val_space = a > b ? a : b;
	} else {
		int a = digits(log_bucket_value(hi)), b = digits(log_bucket_value(lo));
		val_space = a > b ? a : b;
	}
	if (val_space < 5)
		val_space = 5;
	ob_printf(out, "%*s |", val_space, "value");
	for (int j = 0; j < HIST_WIDTH; j++)
		ob_putc(out, '-');
	ob_puts(out, " count\n");
	bool eliding = false;
	for (int i = lo; i <= hi; i++) {
		/* a zero row whose neighbours within the margin are zero too is elided */
		bool elide = true;
		for (int k = i - HIST_MARGIN; k <= i + HIST_MARGIN; k++)
			if (k >= lo && k <= hi && h[k] != 0)
				elide = false;
		if (elide) {
			eliding = true;
			continue;
		}
		if (eliding) {
			ob_printf(out, "%*s ~\n", val_space, "");
			eliding = false;
		}
		const char *prefix = "";
		int64_t val;
		if (linear) {
			if (i == 0) {
				val = g->hist_lo;
				prefix = "<";
			} else if (i == nb - 1) {
				val = g->hist_lo + (int64_t)(i - 2) * g->hist_step;
				prefix = ">";
			} else {
				val = g->hist_lo + (int64_t)(i - 1) * g->hist_step;
			}
		} else {
			val = log_bucket_value(i);
		}
		ob_printf(out, "%*s%lld |", val_space - digits(val), prefix, (long long)val);
		int64_t bar = h[i] / scale;
		for (int64_t j = 0; j < bar; j++)
			ob_putc(out, '@');
		ob_printf(out, "%*lld\n", (int)(HIST_WIDTH - bar + 1 + cnt_space), (long long)h[i]);
	}
	ob_putc(out, '\n');
}
