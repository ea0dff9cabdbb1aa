/* report.c - at the end of a run, stap prints the globals the script
 * wrote but never read:
 *
 *   count=12
 *   name="bash"
 *   bytes["bash",3]=4096
 *   lat @count=10 @min=1 @max=9 @sum=45 @avg=4
 *
 * Arrays are listed in key order (strings quoted), so that the report is
 * the same from run to run. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/rt.h"

typedef struct {
	const struct bstap_global *g;
	uint32_t cap;          /* bytes of a string key */
	uint32_t key_size;
} KeyOrder;

/* The offset of key k within a packed key. */
static uint32_t key_off(const KeyOrder *o, int k)
{
	uint32_t off = 0;
	for (int i = 0; i < k; i++)
		off += ((o->g->key_strings >> i) & 1) ? o->cap : 8;
	return off;
}

static int cmp_keys(const void *a, const void *b, void *ctx)
{
	const KeyOrder *o = ctx;
	for (int k = 0; k < o->g->nkeys; k++) {
		uint32_t off = key_off(o, k);
		int r;
		if ((o->g->key_strings >> k) & 1) {
			r = strncmp((const char *)a + off, (const char *)b + off, o->cap);
		} else {
			int64_t x, y;
			memcpy(&x, (const char *)a + off, 8);
			memcpy(&y, (const char *)b + off, 8);
			r = x < y ? -1 : x > y;
		}
		if (r)
			return r;
	}
	return 0;
}

/* A string between quotes; symbol tokens (usymname() in kernel probes,
 * bpf_abi.h) as their text. */
static void put_quoted(OutBuf *out, const char *s, size_t max)
{
	ob_putc(out, '"');
	sym_expand(out, s, strnlen(s, max));
	ob_putc(out, '"');
}

static void print_key(OutBuf *out, const KeyOrder *o, const char *key)
{
	ob_putc(out, '[');
	for (int k = 0; k < o->g->nkeys; k++) {
		uint32_t off = key_off(o, k);
		if (k)
			ob_putc(out, ',');
		if ((o->g->key_strings >> k) & 1) {
			put_quoted(out, key + off, o->cap);
		} else {
			int64_t v;
			memcpy(&v, key + off, 8);
			ob_printf(out, "%lld", (long long)v);
		}
	}
	ob_putc(out, ']');
}

static void print_stat(OutBuf *out, const int64_t *s)
{
	int64_t v;
	ob_printf(out, " @count=%lld", (long long)s[BSTAP_STAT_COUNT]);
	if (stat_value(s, BSTAP_SOP_MIN, &v))
		ob_printf(out, " @min=%lld", (long long)v);
	if (stat_value(s, BSTAP_SOP_MAX, &v))
		ob_printf(out, " @max=%lld", (long long)v);
	ob_printf(out, " @sum=%lld", (long long)s[BSTAP_STAT_SUM]);
	if (stat_value(s, BSTAP_SOP_AVG, &v))
		ob_printf(out, " @avg=%lld", (long long)v);
	ob_putc(out, '\n');
}

/* One value of an array or a statistic, as the report shows it. */
static void print_value(OutBuf *out, const struct bstap_global *g, const char *val, int ncpus, uint32_t vsize)
{
	if (g->value_kind == BSTAP_GLOBAL_STATS) {
		int nb = (int)(vsize / 8) - BSTAP_STAT_HIST;
		int64_t *s = calloc(1, vsize + 8);
		if (!s)
			return;
		stat_merge(val, ncpus, vsize, nb < 0 ? 0 : nb, s);
		print_stat(out, s);
		free(s);
	} else if (g->value_kind == BSTAP_GLOBAL_STRING) {
		ob_putc(out, '=');
		put_quoted(out, val, vsize);
		ob_putc(out, '\n');
	} else {
		int64_t v;
		memcpy(&v, val, 8);
		ob_printf(out, "=%lld\n", (long long)v);
	}
}

static void print_map(OutBuf *out, const struct bstap_global *g, const char *name, struct bpf_map *m, int ncpus)
{
	int fd = bpf_map__fd(m);
	uint32_t ksize = bpf_map__key_size(m), vsize = bpf_map__value_size(m);
	bool percpu = g->value_kind == BSTAP_GLOBAL_STATS;
	size_t vbytes = percpu ? (size_t)ncpus * ((vsize + 7) & ~7u) : vsize;
	size_t cap = 64, n = 0;
	char *keys = malloc(cap * ksize), *val = malloc(vbytes);
	char *prev = NULL, *cur = malloc(ksize);
	while (keys && val && cur && bpf_map_get_next_key(fd, prev, cur) == 0) {
		if (n == cap) {
			char *nk = realloc(keys, 2 * cap * ksize);
			if (!nk)
				break;
			keys = nk;
			cap *= 2;
		}
		memcpy(keys + n * ksize, cur, ksize);
		prev = keys + n * ksize;
		n++;
	}
	int nstr = __builtin_popcount(g->key_strings);
	KeyOrder o = { g, nstr ? (ksize - 8u * (uint32_t)(g->nkeys - nstr)) / (uint32_t)nstr : 0, ksize };
	if (g->kind == BSTAP_GLOBAL_ARRAY && keys)
		qsort_r(keys, n, ksize, cmp_keys, &o);
	for (size_t i = 0; keys && val && i < n; i++) {
		if (bpf_map_lookup_elem(fd, keys + i * ksize, val) < 0)
			continue;
		ob_puts(out, name);
		if (g->kind == BSTAP_GLOBAL_ARRAY)
			print_key(out, &o, keys + i * ksize);
		print_value(out, g, val, ncpus, vsize);
	}
	free(keys);
	free(val);
	free(cur);
}

void rt_report_globals(OutBuf *out, const RtMeta *meta, struct bpf_object *obj, const char *data)
{
	int ncpus = libbpf_num_possible_cpus();
	if (ncpus < 1)
		ncpus = 1;
	for (uint32_t i = 0; i < meta->hdr->nglobals; i++) {
		const struct bstap_global *g = &meta->globals[i];
		if (!(g->flags & BSTAP_GF_PRINT_AT_END))
			continue;
		const char *name = meta_str(meta, g->name);
		if (g->kind == BSTAP_GLOBAL_LONG && data) {
			int64_t v;
			memcpy(&v, data + g->off, 8);
			ob_printf(out, "%s=%lld\n", name, (long long)v);
		} else if (g->kind == BSTAP_GLOBAL_STRING && data) {
			ob_printf(out, "%s=", name);
			put_quoted(out, data + g->off, g->size);
			ob_putc(out, '\n');
		} else if (g->kind == BSTAP_GLOBAL_ARRAY || g->kind == BSTAP_GLOBAL_STATS) {
			struct bpf_map *m = bpf_object__find_map_by_name(obj, meta_str(meta, g->map));
			if (m)
				print_map(out, g, name, m, ncpus);
		}
	}
}
