/* uexec.c - the user-space executor: begin, end and error probes run here,
 * as BPF bytecode interpreted with the helpers emulated (stapbpf's model).
 *
 * Why: these probes need no kernel context, and in user space whole-array
 * work is natural (sorted foreach, deleting an array), through helpers the
 * kernel does not have (bpf_abi.h, enum bstap_uhelper).
 *
 * Memory: registers hold real addresses, and every load and store is
 * checked against the regions this run knows: its stack, the scratch
 * buffer, the mmaped global data, and buffers it handed out (looked-up map
 * values, ring-buffer records).  A store into a looked-up hash-map value is
 * written back to the map at once, so the bytecode's "update in place"
 * means the same as in the kernel.  Anything else is a run-time error, never
 * a crash: an object may come from anywhere. */
#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "runtime/rt.h"

#define STACK_SIZE 512
#define MAX_STEPS 100000000L   /* a runaway loop ends as an error, not a hang */
#define MAP_HANDLE 0xb57a000000000000ull

typedef struct Region {
	char *p;
	size_t size;
	int map_fd;            /* >= 0: a looked-up value to write back */
	char *key;             /* its key */
	char *percpu;          /* per-CPU maps: every CPU's copy; p is CPU 0's */
	size_t stride;
	bool owned;            /* freed at the end of the run */
	bool readonly;         /* the read-only data map */
} Region;

typedef struct Iter {
	char *keys, *vals;     /* n entries of key_size / value_size */
	uint32_t key_size, value_size;
	long n, next;
} Iter;

typedef struct Ux {
	UxEnv *env;
	uint64_t reg[11];
	char stack[STACK_SIZE];
	Region *regions;
	int nregions, capregions;
	Iter *iters;
	int niters, capiters;
	char *err;
	size_t errlen;
	bool failed;
} Ux;

static void ux_fail(Ux *u, const char *fmt, unsigned long long a)
{
	if (!u->failed)
		snprintf(u->err, u->errlen, fmt, a);
	u->failed = true;
}

static Region *add_region(Ux *u, char *p, size_t size, bool owned)
{
	if (u->nregions == u->capregions) {
		int nc = u->capregions ? 2 * u->capregions : 16;
		Region *nr = realloc(u->regions, sizeof *nr * (size_t)nc);
		if (!nr) {
			ux_fail(u, "out of memory%llu", 0);
			return NULL;
		}
		u->regions = nr;
		u->capregions = nc;
	}
	Region *r = &u->regions[u->nregions++];
	*r = (Region){ .p = p, .size = size, .map_fd = -1, .owned = owned };
	return r;
}

static char *new_buffer(Ux *u, size_t size, Region **out)
{
	char *p = calloc(1, size ? size : 1);
	if (!p) {
		ux_fail(u, "out of memory%llu", 0);
		return NULL;
	}
	Region *r = add_region(u, p, size, true);
	if (!r) {
		free(p);
		return NULL;
	}
	if (out)
		*out = r;
	return p;
}

/* The region holding [addr, addr + size), or NULL. */
static Region *region_of(Ux *u, uint64_t addr, size_t size)
{
	for (int i = u->nregions - 1; i >= 0; i--) {
		Region *r = &u->regions[i];
		uint64_t lo = (uint64_t)(uintptr_t)r->p;
		if (addr >= lo && size <= r->size && addr - lo <= r->size - size)
			return r;
	}
	return NULL;
}

static char *mem(Ux *u, uint64_t addr, size_t size)
{
	Region *r = region_of(u, addr, size);
	if (!r) {
		ux_fail(u, "invalid memory access at 0x%llx", (unsigned long long)addr);
		return NULL;
	}
	return (char *)(uintptr_t)addr;
}

/* After a store: a looked-up map value goes back into its map (for a
 * per-CPU map, as CPU 0's copy among the others). */
static void wrote(Ux *u, uint64_t addr, size_t size)
{
	Region *r = region_of(u, addr, size);
	if (!r || r->map_fd < 0)
		return;
	if (r->percpu) {
		memcpy(r->percpu, r->p, r->size);
		bpf_map_update_elem(r->map_fd, r->key, r->percpu, BPF_ANY);
	} else {
		bpf_map_update_elem(r->map_fd, r->key, r->p, BPF_ANY);
	}
}

static bool is_percpu(const struct bstap_map *m)
{
	return m->type == BPF_MAP_TYPE_PERCPU_HASH || m->type == BPF_MAP_TYPE_PERCPU_ARRAY;
}

static int ncpus_of(Ux *u)
{
	return u->env->ncpus > 0 ? u->env->ncpus : 1;
}

/* ------------------------------------------------------------ maps */

static const struct bstap_map *map_of(Ux *u, uint64_t handle, int *fd)
{
	if ((handle & 0xffff000000000000ull) != MAP_HANDLE) {
		ux_fail(u, "not a map: 0x%llx", (unsigned long long)handle);
		return NULL;
	}
	uint64_t i = handle & 0xffffffff;
	if (i >= u->env->meta->hdr->nmaps) {
		ux_fail(u, "no map %llu", (unsigned long long)i);
		return NULL;
	}
	*fd = u->env->map_fds[i];
	return &u->env->meta->maps[i];
}

static uint64_t h_lookup(Ux *u, uint64_t mh, uint64_t key)
{
	int fd;
	const struct bstap_map *m = map_of(u, mh, &fd);
	if (!m)
		return 0;
	if (!strcmp(meta_str(u->env->meta, m->name), BSTAP_MAP_SCRATCH)) {
		/* the per-CPU scratch: this run's own buffer */
		return (uint64_t)(uintptr_t)u->env->scratch;
	}
	char *k = mem(u, key, m->key_size);
	if (!k)
		return 0;
	Region *r;
	char *v = new_buffer(u, m->value_size, &r);
	if (!v)
		return 0;
	if (is_percpu(m)) {
		r->stride = (m->value_size + 7) & ~7u;
		r->percpu = calloc((size_t)ncpus_of(u), r->stride);
		if (!r->percpu || bpf_map_lookup_elem(fd, k, r->percpu) < 0)
			return 0;
		memcpy(v, r->percpu, m->value_size);
	} else if (bpf_map_lookup_elem(fd, k, v) < 0) {
		return 0;
	}
	r->map_fd = fd;
	r->key = malloc(m->key_size ? m->key_size : 1);
	if (r->key)
		memcpy(r->key, k, m->key_size);
	else
		r->map_fd = -1;
	return (uint64_t)(uintptr_t)v;
}

static uint64_t h_update(Ux *u, uint64_t mh, uint64_t key, uint64_t val, uint64_t flags)
{
	int fd;
	const struct bstap_map *m = map_of(u, mh, &fd);
	if (!m)
		return 0;
	char *k = mem(u, key, m->key_size), *v = mem(u, val, m->value_size);
	if (!k || !v)
		return 0;
	if (is_percpu(m)) {
		/* from user space a per-CPU map takes every CPU's copy: this
		 * value as CPU 0's, zeroes for the others */
		size_t stride = (m->value_size + 7) & ~7u;
		char *all = calloc((size_t)ncpus_of(u), stride);
		if (!all) {
			ux_fail(u, "out of memory%llu", 0);
			return 0;
		}
		memcpy(all, v, m->value_size);
		int rc = bpf_map_update_elem(fd, k, all, flags);
		int e = errno;
		free(all);
		return rc < 0 ? (uint64_t)(int64_t)-e : 0;
	}
	return bpf_map_update_elem(fd, k, v, flags) < 0 ? (uint64_t)(int64_t)-errno : 0;
}

static uint64_t h_delete(Ux *u, uint64_t mh, uint64_t key)
{
	int fd;
	const struct bstap_map *m = map_of(u, mh, &fd);
	if (!m)
		return 0;
	char *k = mem(u, key, m->key_size);
	if (!k)
		return 0;
	return bpf_map_delete_elem(fd, k) < 0 ? (uint64_t)(int64_t)-errno : 0;
}

/* Every key of a hash map (keys only; values are looked up by the caller). */
static char *all_keys(int fd, uint32_t key_size, long *n)
{
	size_t cap = 64;
	char *keys = malloc(cap * key_size), *prev = NULL;
	*n = 0;
	char *cur = malloc(key_size ? key_size : 1);
	while (keys && cur && bpf_map_get_next_key(fd, prev, cur) == 0) {
		if ((size_t)*n == cap) {
			char *nk = realloc(keys, 2 * cap * key_size);
			if (!nk)
				break;
			keys = nk;
			cap *= 2;
		}
		memcpy(keys + (size_t)*n * key_size, cur, key_size);
		prev = keys + (size_t)*n * key_size;
		(*n)++;
	}
	free(cur);
	return keys;
}

static uint64_t h_delete_all(Ux *u, uint64_t mh)
{
	int fd;
	const struct bstap_map *m = map_of(u, mh, &fd);
	if (!m)
		return 0;
	long n;
	char *keys = all_keys(fd, m->key_size, &n);
	for (long i = 0; keys && i < n; i++)
		bpf_map_delete_elem(fd, keys + (size_t)i * m->key_size);
	free(keys);
	return 0;
}

/* ------------------------------------------------------------ statistics */

/* Look up key in a per-CPU statistics map and merge the CPUs' copies into
 * out (value_size bytes); false when the element does not exist. */
static bool stat_lookup(Ux *u, int fd, const struct bstap_map *m, const void *key, int64_t *out)
{
	uint32_t stride = (m->value_size + 7) & ~7u;
	int ncpus = ncpus_of(u);
	char *all = calloc((size_t)ncpus, stride);
	if (!all) {
		ux_fail(u, "out of memory%llu", 0);
		return false;
	}
	bool found = bpf_map_lookup_elem(fd, key, all) == 0;
	int nb = (int)(m->value_size / 8) - BSTAP_STAT_HIST;
	if (found)
		stat_merge(all, ncpus, m->value_size, nb < 0 ? 0 : nb, out);
	free(all);
	return found;
}

static uint64_t h_stat(Ux *u, uint64_t mh, uint64_t key, uint64_t op, uint64_t outp)
{
	int fd;
	const struct bstap_map *m = map_of(u, mh, &fd);
	if (!m)
		return 0;
	char *k = mem(u, key, m->key_size), *o = mem(u, outp, 8);
	if (!k || !o || !is_percpu(m) || m->value_size < 8 * BSTAP_STAT_HIST) {
		ux_fail(u, "bad statistic%llu", 0);
		return 0;
	}
	int64_t *s = calloc(1, m->value_size);
	int64_t v = 0;
	bool ok = s && stat_lookup(u, fd, m, k, s) && stat_value(s, (int)op, &v);
	/* a missing element: @count is 0, the rest have no value */
	if (s && !ok && op == BSTAP_SOP_COUNT)
		ok = true;
	if (s && !ok && op == BSTAP_SOP_SUM)
		ok = true;
	free(s);
	memcpy(o, &v, 8);
	return ok ? 0 : (uint64_t)-1;
}

static uint64_t h_print_hist(Ux *u, uint64_t mh, uint64_t key, uint64_t gi)
{
	int fd;
	const struct bstap_map *m = map_of(u, mh, &fd);
	if (!m)
		return 0;
	const RtMeta *meta = u->env->meta;
	char *k = mem(u, key, m->key_size);
	if (!k || gi >= meta->hdr->nglobals || !is_percpu(m)) {
		ux_fail(u, "bad histogram%llu", 0);
		return 0;
	}
	int64_t *s = calloc(1, m->value_size + 8 * BSTAP_STAT_HIST);
	if (!s) {
		ux_fail(u, "out of memory%llu", 0);
		return 0;
	}
	stat_lookup(u, fd, m, k, s); /* missing: an empty histogram */
	if (u->env->out && meta->globals[gi].hist_buckets * 8 + 8 * BSTAP_STAT_HIST <= m->value_size)
		stat_print_hist(u->env->out, s, &meta->globals[gi]);
	free(s);
	return 0;
}

/* ------------------------------------------------------------ foreach */

/* Sorting a snapshot: by the sort column (the value, or key k) in its
 * direction, then by the keys in order, ascending (so that the order is
 * the same every run). */
typedef struct {
	const struct bstap_global *g;  /* key and value kinds */
	uint32_t cap;                  /* bytes of a string key */
	int col, dir;
	int stat_op;                   /* statistics: what the value sorts by */
	const Iter *it;
} SortCtx;

static int cmp_part(const char *a, const char *b, bool is_string)
{
	if (is_string)
		return strcmp(a, b);
	int64_t x, y;
	memcpy(&x, a, 8);
	memcpy(&y, b, 8);
	return x < y ? -1 : x > y;
}

/* Compare key k (0-based) of two packed keys. */
static int cmp_key(const SortCtx *c, const char *ka, const char *kb, int k)
{
	uint32_t off = 0;
	for (int i = 0; i < k; i++)
		off += ((c->g->key_strings >> i) & 1) ? c->cap : 8;
	return cmp_part(ka + off, kb + off, (c->g->key_strings >> k) & 1);
}

static int cmp_entries(const void *pa, const void *pb, void *ctx)
{
	const SortCtx *c = ctx;
	long ia = *(const long *)pa, ib = *(const long *)pb;
	const char *ka = c->it->keys + (size_t)ia * c->it->key_size;
	const char *kb = c->it->keys + (size_t)ib * c->it->key_size;
	if (!c->g)
		return memcmp(ka, kb, c->it->key_size);
	int r = 0;
	const char *va = c->it->vals + (size_t)ia * c->it->value_size;
	const char *vb = c->it->vals + (size_t)ib * c->it->value_size;
	if (c->col == -1 && c->g->value_kind == BSTAP_GLOBAL_STATS) {
		int64_t x = 0, y = 0;
		stat_value((const int64_t *)(const void *)va, c->stat_op, &x);
		stat_value((const int64_t *)(const void *)vb, c->stat_op, &y);
		r = c->dir * (x < y ? -1 : x > y);
	} else if (c->col == -1) {
		r = c->dir * cmp_part(va, vb, c->g->value_kind == BSTAP_GLOBAL_STRING);
	}
	else if (c->col > 0 && c->col <= c->g->nkeys)
		r = c->dir * cmp_key(c, ka, kb, c->col - 1);
	for (int k = 0; r == 0 && k < c->g->nkeys; k++)
		r = cmp_key(c, ka, kb, k);
	return r;
}

static const struct bstap_global *global_of_map(Ux *u, const struct bstap_map *m)
{
	const RtMeta *meta = u->env->meta;
	for (uint32_t i = 0; i < meta->hdr->nglobals; i++)
		if (meta->globals[i].kind == BSTAP_GLOBAL_ARRAY &&
		    !strcmp(meta_str(meta, meta->globals[i].map), meta_str(meta, m->name)))
			return &meta->globals[i];
	return NULL;
}

static uint64_t h_foreach_start(Ux *u, uint64_t mh, int64_t col, int64_t dir, int64_t limit, int64_t sop)
{
	int fd;
	const struct bstap_map *m = map_of(u, mh, &fd);
	if (!m)
		return 0;
	Iter it = { .key_size = m->key_size, .value_size = m->value_size };
	long n;
	char *keys = all_keys(fd, m->key_size, &n);
	char *vals = malloc((size_t)(n + 1) * m->value_size);
	long *order = malloc(sizeof(long) * (size_t)(n + 1));
	if (!keys || !vals || !order) {
		free(keys);
		free(vals);
		free(order);
		ux_fail(u, "out of memory%llu", 0);
		return 0;
	}
	long k = 0;
	for (long i = 0; i < n; i++) {
		/* an element deleted meanwhile is skipped; statistics are merged */
		char *key = keys + (size_t)i * m->key_size, *val = vals + (size_t)k * m->value_size;
		bool found = is_percpu(m) ? stat_lookup(u, fd, m, key, (int64_t *)(void *)val)
		                          : bpf_map_lookup_elem(fd, key, val) == 0;
		if (found) {
			memmove(keys + (size_t)k * m->key_size, key, m->key_size);
			k++;
		}
	}
	it.keys = keys;
	it.vals = vals;
	it.n = k;
	for (long i = 0; i < k; i++)
		order[i] = i;
	SortCtx sc = { global_of_map(u, m), 0, (int)col, dir < 0 ? -1 : 1, (int)sop, &it };
	/* a string key's width: the key size less the long keys, per string */
	if (sc.g) {
		int nstr = __builtin_popcount(sc.g->key_strings);
		sc.cap = nstr ? (m->key_size - 8u * (uint32_t)(sc.g->nkeys - nstr)) / (uint32_t)nstr : 0;
	}
	qsort_r(order, (size_t)k, sizeof(long), cmp_entries, &sc);
	if (limit >= 0 && limit < k)
		k = limit;
	/* lay the snapshot out in the sorted order */
	char *sk = malloc((size_t)(k + 1) * m->key_size), *sv = malloc((size_t)(k + 1) * m->value_size);
	if (!sk || !sv) {
		free(sk);
		free(sv);
		free(keys);
		free(vals);
		free(order);
		ux_fail(u, "out of memory%llu", 0);
		return 0;
	}
	for (long i = 0; i < k; i++) {
		memcpy(sk + (size_t)i * m->key_size, keys + (size_t)order[i] * m->key_size, m->key_size);
		memcpy(sv + (size_t)i * m->value_size, vals + (size_t)order[i] * m->value_size, m->value_size);
	}
	free(keys);
	free(vals);
	free(order);
	it.keys = sk;
	it.vals = sv;
	it.n = k;
	if (u->niters == u->capiters) {
		int nc = u->capiters ? 2 * u->capiters : 4;
		Iter *ni = realloc(u->iters, sizeof *ni * (size_t)nc);
		if (!ni) {
			free(sk);
			free(sv);
			ux_fail(u, "out of memory%llu", 0);
			return 0;
		}
		u->iters = ni;
		u->capiters = nc;
	}
	u->iters[u->niters] = it;
	return (uint64_t)u->niters++;
}

static uint64_t h_foreach_next(Ux *u, uint64_t h, uint64_t keybuf, uint64_t valbuf)
{
	if (h >= (uint64_t)u->niters) {
		ux_fail(u, "bad foreach handle %llu", (unsigned long long)h);
		return 0;
	}
	Iter *it = &u->iters[h];
	if (it->next >= it->n)
		return 0;
	char *k = mem(u, keybuf, it->key_size), *v = mem(u, valbuf, it->value_size);
	if (!k || !v)
		return 0;
	memcpy(k, it->keys + (size_t)it->next * it->key_size, it->key_size);
	memcpy(v, it->vals + (size_t)it->next * it->value_size, it->value_size);
	it->next++;
	return 1;
}

/* ------------------------------------------------------------ sprintf */

static uint64_t h_sprintf(Ux *u, uint64_t dst, uint64_t size, uint64_t id, uint64_t payload)
{
	const RtMeta *meta = u->env->meta;
	if (id >= meta->hdr->nformats || size == 0 || size > (1u << 16)) {
		ux_fail(u, "bad sprintf %llu", (unsigned long long)id);
		return 0;
	}
	const struct bstap_format *f = &meta->formats[id];
	char *d = mem(u, dst, size), *p = mem(u, payload, f->size ? f->size : 1);
	if (!d || !p)
		return 0;
	OutBuf ob = {0};
	rt_format_payload(&ob, meta, f, p);
	size_t n = ob.len < size - 1 ? ob.len : size - 1;
	memcpy(d, ob.p ? ob.p : "", n);
	d[n] = 0;
	ob_free(&ob);
	return n;
}

/* ------------------------------------------------------------ symbols */

/* symname() & co. in begin/end probes: the text symbols.c gives, cut to
 * the destination; the line kinds keep whole lines, as stap cuts them. */
static uint64_t h_sym(Ux *u, uint64_t dst, uint64_t size, uint64_t kind, uint64_t arg, uint64_t pid)
{
	if (size == 0 || size > (1u << 16)) {
		ux_fail(u, "bad symbol request %llu", (unsigned long long)kind);
		return 0;
	}
	char *d = mem(u, dst, size);
	if (!d)
		return 0;
	bool lines = kind == BSTAP_SYM_STACK || kind == BSTAP_SYM_USTACK || kind == BSTAP_SYM_BACKTRACE ||
	             kind == BSTAP_SYM_UBACKTRACE;
	const char *s = NULL;
	size_t n = 0;
	if (lines && arg) {
		Region *r = region_of(u, arg, 1);
		if (!r) {
			ux_fail(u, "invalid memory access at 0x%llx", (unsigned long long)arg);
			return 0;
		}
		s = (const char *)(uintptr_t)arg;
		n = strnlen(s, (size_t)((uint64_t)(uintptr_t)r->p + r->size - arg));
	}
	OutBuf ob = {0};
	sym_text(&ob, (int)kind, (uint32_t)pid, arg, s, n);
	size_t len = ob.len < size - 1 ? ob.len : size - 1;
	if (lines && len < ob.len) {
		while (len > 0 && ob.p[len - 1] != '\n')
			len--;
	}
	memcpy(d, ob.p ? ob.p : "", len);
	d[len] = 0;
	ob_free(&ob);
	return len;
}

/* bpf_trace_printk in begin/end probes (ftrace(), printk()): the line goes
 * to tracefs's trace_marker.  Only %s (of the first argument) and %% are
 * expanded: what the tapsets use. */
static uint64_t h_trace_printk(Ux *u, uint64_t fmtp, uint64_t size, uint64_t arg)
{
	if (size == 0 || size > 256)
		return (uint64_t)(int64_t)-EINVAL;
	const char *fmt = mem(u, fmtp, size);
	if (!fmt)
		return 0;
	OutBuf ob = {0};
	for (size_t i = 0; i < size && fmt[i]; i++) {
		if (fmt[i] == '%' && i + 1 < size && fmt[i + 1] == 's') {
			Region *r = region_of(u, arg, 1);
			if (r)
				ob_write(&ob, (const char *)(uintptr_t)arg,
				         strnlen((const char *)(uintptr_t)arg, (size_t)((uint64_t)(uintptr_t)r->p + r->size - arg)));
			i++;
		} else if (fmt[i] == '%' && i + 1 < size && fmt[i + 1] == '%') {
			ob_putc(&ob, '%');
			i++;
		} else {
			ob_putc(&ob, fmt[i]);
		}
	}
	int64_t rc = -ENOENT;
	static const char *const markers[] = { "/sys/kernel/tracing/trace_marker",
	                                       "/sys/kernel/debug/tracing/trace_marker" };
	for (size_t k = 0; k < 2 && rc == -ENOENT && ob.len; k++) {
		int fd = open(markers[k], O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		rc = write(fd, ob.p, ob.len) < 0 ? -errno : (int64_t)ob.len;
		close(fd);
	}
	ob_free(&ob);
	return (uint64_t)rc;
}

/* ------------------------------------------------------------ helpers */

static uint64_t h_read(Ux *u, uint64_t dst, uint64_t size, uint64_t src, bool str)
{
	if (size == 0 || size > (1u << 20))
		return (uint64_t)(int64_t)-EINVAL;
	char *d = mem(u, dst, size);
	if (!d)
		return 0;
	/* user space has no kernel memory: only our own regions are readable */
	if (!str) {
		Region *r = region_of(u, src, size);
		if (!r) {
			memset(d, 0, size);
			return (uint64_t)(int64_t)-EFAULT;
		}
		memmove(d, (char *)(uintptr_t)src, size);
		return 0;
	}
	Region *r = region_of(u, src, 1);
	if (!r) {
		d[0] = 0;
		return (uint64_t)(int64_t)-EFAULT;
	}
	size_t avail = (size_t)((uint64_t)(uintptr_t)r->p + r->size - src);
	const char *s = (const char *)(uintptr_t)src;
	size_t n = strnlen(s, avail < size - 1 ? avail : size - 1);
	memmove(d, s, n);
	d[n] = 0;
	return n + 1;
}

static uint64_t now_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t call(Ux *u, int64_t id)
{
	uint64_t *r = u->reg;
	switch (id) {
	case BPF_FUNC_map_lookup_elem:
		return h_lookup(u, r[1], r[2]);
	case BPF_FUNC_map_update_elem:
		return h_update(u, r[1], r[2], r[3], r[4]);
	case BPF_FUNC_map_delete_elem:
		return h_delete(u, r[1], r[2]);
	case BPF_FUNC_ktime_get_ns:
		return now_ns(CLOCK_MONOTONIC);
	case BPF_FUNC_ktime_get_boot_ns:
		return now_ns(CLOCK_BOOTTIME);
	case BPF_FUNC_get_prandom_u32:
		return (uint64_t)(uint32_t)random();
	case BPF_FUNC_get_smp_processor_id:
		return (uint64_t)(sched_getcpu() < 0 ? 0 : sched_getcpu());
	case BPF_FUNC_get_current_pid_tgid:
		return (uint64_t)getpid() << 32 | (uint32_t)gettid();
	case BPF_FUNC_get_current_uid_gid:
		return (uint64_t)getgid() << 32 | (uint32_t)getuid();
	case BPF_FUNC_get_current_comm: {
		char comm[17] = "";
		prctl(PR_GET_NAME, comm);
		char *d = mem(u, r[1], r[2]);
		if (!d || r[2] == 0)
			return (uint64_t)(int64_t)-EFAULT;
		memset(d, 0, r[2]);
		memcpy(d, comm, strnlen(comm, r[2] - 1));
		return 0;
	}
	case BPF_FUNC_probe_read: case BPF_FUNC_probe_read_kernel: case BPF_FUNC_probe_read_user:
		return h_read(u, r[1], r[2], r[3], false);
	case BPF_FUNC_probe_read_str: case BPF_FUNC_probe_read_kernel_str: case BPF_FUNC_probe_read_user_str:
		return h_read(u, r[1], r[2], r[3], true);
	case BPF_FUNC_get_current_task:
		return 0; /* no kernel task here */
	case BPF_FUNC_ringbuf_reserve: {
		if (r[2] == 0 || r[2] > (1u << 20))
			return 0;
		return (uint64_t)(uintptr_t)new_buffer(u, r[2], NULL);
	}
	case BPF_FUNC_ringbuf_submit: case BPF_FUNC_ringbuf_discard: {
		Region *rg = region_of(u, r[1], 1);
		if (!rg || (uint64_t)(uintptr_t)rg->p != r[1]) {
			ux_fail(u, "bad ring-buffer record 0x%llx", (unsigned long long)r[1]);
			return 0;
		}
		if (id == BPF_FUNC_ringbuf_submit)
			u->env->record(u->env->ctx, rg->p, rg->size);
		return 0;
	}
	case BPF_FUNC_ringbuf_output: {
		char *d = mem(u, r[2], r[3]);
		if (d)
			u->env->record(u->env->ctx, d, r[3]);
		return 0;
	}
	case BSTAP_UH_FOREACH_START:
		return h_foreach_start(u, r[1], (int64_t)r[2], (int64_t)r[3], (int64_t)r[4], (int64_t)r[5]);
	case BSTAP_UH_FOREACH_NEXT:
		return h_foreach_next(u, r[1], r[2], r[3]);
	case BSTAP_UH_DELETE_ALL:
		return h_delete_all(u, r[1]);
	case BSTAP_UH_STAT:
		return h_stat(u, r[1], r[2], r[3], r[4]);
	case BSTAP_UH_PRINT_HIST:
		return h_print_hist(u, r[1], r[2], r[3]);
	case BSTAP_UH_SPRINTF:
		return h_sprintf(u, r[1], r[2], r[3], r[4]);
	case BSTAP_UH_SYM:
		return h_sym(u, r[1], r[2], r[3], r[4], r[5]);
	case BPF_FUNC_trace_printk:
		return h_trace_printk(u, r[1], r[2], r[3]);
	default:
		ux_fail(u, "helper %llu is not available in begin/end probes", (unsigned long long)id);
		return 0;
	}
}

/* ------------------------------------------------------------ the loop */

static bool jump_taken(uint8_t op, uint64_t a, uint64_t b)
{
	switch (op) {
	case BPF_JEQ: return a == b;
	case BPF_JNE: return a != b;
	case BPF_JGT: return a > b;
	case BPF_JGE: return a >= b;
	case BPF_JLT: return a < b;
	case BPF_JLE: return a <= b;
	case BPF_JSGT: return (int64_t)a > (int64_t)b;
	case BPF_JSGE: return (int64_t)a >= (int64_t)b;
	case BPF_JSLT: return (int64_t)a < (int64_t)b;
	case BPF_JSLE: return (int64_t)a <= (int64_t)b;
	case BPF_JSET: return (a & b) != 0;
	default: return false;
	}
}

static uint64_t alu(Ux *u, uint8_t op, uint64_t a, uint64_t b, int16_t off, bool is64)
{
	if (!is64) {
		a = (uint32_t)a;
		b = (uint32_t)b;
	}
	uint64_t r;
	switch (op) {
	case BPF_ADD: r = a + b; break;
	case BPF_SUB: r = a - b; break;
	case BPF_MUL: r = a * b; break;
	case BPF_DIV:
		if (b == 0)
			r = 0;
		else if (off == 1)
			r = is64 ? (uint64_t)((int64_t)a == INT64_MIN && (int64_t)b == -1 ? INT64_MIN : (int64_t)a / (int64_t)b)
			         : (uint64_t)(uint32_t)((int32_t)a / ((int32_t)b ? (int32_t)b : 1));
		else
			r = a / b;
		break;
	case BPF_MOD:
		if (b == 0)
			r = a;
		else if (off == 1)
			r = is64 ? (uint64_t)((int64_t)b == -1 ? 0 : (int64_t)a % (int64_t)b)
			         : (uint64_t)(uint32_t)((int32_t)a % ((int32_t)b ? (int32_t)b : 1));
		else
			r = a % b;
		break;
	case BPF_OR: r = a | b; break;
	case BPF_AND: r = a & b; break;
	case BPF_XOR: r = a ^ b; break;
	case BPF_LSH: r = a << (b & (is64 ? 63 : 31)); break;
	case BPF_RSH: r = a >> (b & (is64 ? 63 : 31)); break;
	case BPF_ARSH:
		r = is64 ? (uint64_t)((int64_t)a >> (b & 63)) : (uint64_t)(uint32_t)((int32_t)a >> (b & 31));
		break;
	case BPF_NEG: r = (uint64_t)-(int64_t)a; break;
	case BPF_MOV: r = b; break;
	default:
		ux_fail(u, "unknown ALU operation %#llx", op);
		return 0;
	}
	return is64 ? r : (uint32_t)r;
}

static size_t size_bytes(uint8_t size)
{
	return size == BPF_B ? 1 : size == BPF_H ? 2 : size == BPF_W ? 4 : 8;
}

static uint64_t load(const char *p, size_t n)
{
	uint64_t v = 0;
	memcpy(&v, p, n); /* little-endian: the low bytes */
	return v;
}

int ux_run(UxEnv *env, uint32_t uprog, char *err, size_t errlen)
{
	const RtMeta *meta = env->meta;
	if (uprog >= meta->hdr->nuprogs) {
		snprintf(err, errlen, "no user-space program %u", uprog);
		return -1;
	}
	const struct bstap_uprog *up = &meta->uprogs[uprog];
	const struct bpf_insn *insns = meta->insns + up->first;
	uint32_t n = up->n;
	Ux u = { .env = env, .err = err, .errlen = errlen };
	add_region(&u, u.stack, STACK_SIZE, false);
	if (env->scratch)
		add_region(&u, env->scratch, env->scratch_size, false);
	if (env->data)
		add_region(&u, env->data, env->data_len, false);
	if (env->rodata) {
		Region *ro = add_region(&u, (char *)env->rodata, env->rodata_len, false);
		if (ro)
			ro->readonly = true;
	}
	u.reg[10] = (uint64_t)(uintptr_t)(u.stack + STACK_SIZE);
	uint32_t pc = 0;
	for (long steps = 0; !u.failed; steps++) {
		if (pc >= n) {
			ux_fail(&u, "ran off the end of the program at %llu", pc);
			break;
		}
		if (steps > MAX_STEPS) {
			ux_fail(&u, "more than %llu instructions: stopped", (unsigned long long)MAX_STEPS);
			break;
		}
		const struct bpf_insn *in = &insns[pc];
		uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
		uint64_t *dst = &u.reg[in->dst_reg % 11], src = u.reg[in->src_reg % 11];
		uint64_t imm = (uint64_t)(int64_t)in->imm;
		if (in->dst_reg > 10 || in->src_reg > 10) {
			ux_fail(&u, "bad register at instruction %llu", pc);
			break;
		}
		switch (cls) {
		case BPF_ALU64: case BPF_ALU: {
			bool is64 = cls == BPF_ALU64;
			if (op == BPF_END) {
				/* byte swaps: to big endian swaps on this little-endian host */
				uint64_t v = *dst;
				if (BPF_SRC(in->code) == BPF_TO_BE || is64) {
					if (in->imm == 16) v = __builtin_bswap16((uint16_t)v);
					else if (in->imm == 32) v = __builtin_bswap32((uint32_t)v);
					else v = __builtin_bswap64(v);
				} else {
					v = in->imm == 16 ? (uint16_t)v : in->imm == 32 ? (uint32_t)v : v;
				}
				*dst = v;
				break;
			}
			uint64_t b = BPF_SRC(in->code) == BPF_X ? src : imm;
			if (op == BPF_NEG)
				b = 0;
			*dst = alu(&u, op, op == BPF_MOV ? 0 : *dst, b, in->off, is64);
			break;
		}
		case BPF_JMP: case BPF_JMP32:
			if (op == BPF_EXIT) {
				goto done;
			} else if (op == BPF_CALL) {
				u.reg[0] = call(&u, in->imm);
				/* r1..r5 are clobbered: leave nothing to rely on */
				for (int i = 1; i <= 5; i++)
					u.reg[i] = 0xdeadbeefdeadbeefull;
			} else if (op == BPF_JA) {
				pc += (uint32_t)(int32_t)in->off;
			} else {
				uint64_t a = *dst, b = BPF_SRC(in->code) == BPF_X ? src : imm;
				if (cls == BPF_JMP32) {
					a = (uint32_t)a;
					b = (uint32_t)b;
					if (op == BPF_JSGT || op == BPF_JSGE || op == BPF_JSLT || op == BPF_JSLE) {
						a = (uint64_t)(int64_t)(int32_t)a;
						b = (uint64_t)(int64_t)(int32_t)b;
					}
				}
				if (jump_taken(op, a, b))
					pc += (uint32_t)(int32_t)in->off;
			}
			break;
		case BPF_LDX: {
			size_t sz = size_bytes(BPF_SIZE(in->code));
			char *p = mem(&u, src + (uint64_t)(int64_t)in->off, sz);
			if (p)
				*dst = load(p, sz);
			break;
		}
		case BPF_ST: case BPF_STX: {
			size_t sz = size_bytes(BPF_SIZE(in->code));
			uint64_t addr = *dst + (uint64_t)(int64_t)in->off;
			char *p = mem(&u, addr, sz);
			if (!p)
				break;
			if (region_of(&u, addr, sz)->readonly) {
				ux_fail(&u, "store into read-only data at %llu", pc);
				break;
			}
			uint64_t v = cls == BPF_ST ? imm : src;
			if (BPF_MODE(in->code) == BPF_ATOMIC) {
				if (in->imm != BPF_ADD) {
					ux_fail(&u, "unsupported atomic operation at %llu", pc);
					break;
				}
				v += load(p, sz);
			}
			memcpy(p, &v, sz);
			wrote(&u, addr, sz);
			break;
		}
		case BPF_LD:
			if (in->code != (BPF_LD | BPF_DW | BPF_IMM) || pc + 1 >= n) {
				ux_fail(&u, "unsupported load at instruction %llu", pc);
				break;
			}
			if (in->src_reg == BPF_PSEUDO_MAP_IDX) {
				*dst = MAP_HANDLE | (uint32_t)in->imm;
			} else if (in->src_reg == BPF_PSEUDO_MAP_IDX_VALUE) {
				/* the global data and the read-only data are addressed by value */
				const char *base = env->rodata && in->imm == env->rodata_map ? env->rodata : env->data;
				*dst = (uint64_t)(uintptr_t)base + (uint64_t)(uint32_t)insns[pc + 1].imm;
			} else {
				*dst = (uint64_t)(uint32_t)in->imm | (uint64_t)(uint32_t)insns[pc + 1].imm << 32;
			}
			pc++;
			break;
		default:
			ux_fail(&u, "unknown instruction class at %llu", pc);
			break;
		}
		pc++;
	}
done:
	for (int i = 0; i < u.nregions; i++)
		if (u.regions[i].owned) {
			free(u.regions[i].p);
			free(u.regions[i].key);
			free(u.regions[i].percpu);
		}
	free(u.regions);
	for (int i = 0; i < u.niters; i++) {
		free(u.iters[i].keys);
		free(u.iters[i].vals);
	}
	free(u.iters);
	return u.failed ? -1 : 0;
}
