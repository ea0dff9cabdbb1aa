/* arena.c - the bump allocator that holds everything a compile builds.
 *
 * Memory comes in chunks of at least 64 KiB; a request larger than a chunk
 * gets a chunk of its own.  Nothing is freed until arena_free(), which is
 * what a compiler whose data all live as long as the session wants.  Out of
 * memory is the one failure no caller can handle, so it aborts with a
 * message instead of returning NULL.  Built with BSTAP_ARENA_DEBUG (the
 * fuzz target), each block is a malloc of its own.
 *
 * Once an arena holds BIG_AFTER bytes (a compile that parses a tapset
 * library, not a one-liner), further chunks are BIG_CHUNK bytes mapped on
 * their own and marked for transparent huge pages: first touching 100 MB
 * of 4 KiB pages costs 25,000 page faults, a fifth of the time of parsing
 * Debian's whole tapset library in this VM. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "parser/parse.h"

#define CHUNK_SIZE (64 * 1024)
#define ALIGN 16
#define HUGE_PAGE (2u << 20)
#define BIG_CHUNK (4u << 20)
#define BIG_AFTER (4u << 20)

typedef struct Chunk {
	struct Chunk *next;
	size_t size, used;
	size_t mapped;             /* bytes of its own mapping, 0 if calloc'd */
	/* payload follows, aligned */
	_Alignas(ALIGN) unsigned char data[];
} Chunk;

struct Arena {
	Chunk *head;
	size_t total;              /* bytes of all chunks */
};

/* A BIG_CHUNK on huge-page boundaries, zeroed (fresh mapping), or NULL. */
static Chunk *big_chunk(void)
{
	size_t len = BIG_CHUNK + HUGE_PAGE;
	unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	uintptr_t start = ((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
	size_t head = start - (uintptr_t)p, tail = len - head - BIG_CHUNK;
	if (head)
		munmap(p, head);
	if (tail)
		munmap((unsigned char *)start + BIG_CHUNK, tail);
#ifdef MADV_HUGEPAGE
	madvise((void *)start, BIG_CHUNK, MADV_HUGEPAGE);
#endif
	Chunk *c = (Chunk *)start;
	c->mapped = BIG_CHUNK;
	c->size = BIG_CHUNK - sizeof(Chunk);
	return c;
}

static void oom(size_t size)
{
	fprintf(stderr, "bstap: out of memory (allocating %zu bytes)\n", size);
	abort();
}

Arena *arena_new(void)
{
	Arena *a = calloc(1, sizeof *a);
	if (!a)
		oom(sizeof *a);
	return a;
}

void arena_free(Arena *a)
{
	if (!a)
		return;
	Chunk *c = a->head;
	while (c) {
		Chunk *next = c->next;
		if (c->mapped)
			munmap(c, c->mapped);
		else
			free(c);
		c = next;
	}
	free(a);
}

void *arena_alloc(Arena *a, size_t size)
{
	if (size == 0)
		size = 1;
	if (size > SIZE_MAX - 2 * ALIGN - sizeof(Chunk))
		oom(size);
#ifdef BSTAP_ARENA_DEBUG
	/* The fuzz build: every block is an allocation of its own, of the
	 * exact size, so AddressSanitizer sees a read or write past it. */
	Chunk *d = calloc(1, sizeof(Chunk) + size);
	if (!d)
		oom(size);
	d->size = d->used = size;
	d->next = a->head;
	a->head = d;
	return d->data;
#endif
	size = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	Chunk *c = a->head;
	if (!c || c->size - c->used < size) {
		size_t csize = size > CHUNK_SIZE ? size : CHUNK_SIZE;
		Chunk *n = NULL;
		if (a->total >= BIG_AFTER && size <= BIG_CHUNK / 4)
			n = big_chunk();
		if (!n) {
			n = calloc(1, sizeof(Chunk) + csize);
			if (!n)
				oom(size);
			n->size = csize;
		}
		a->total += n->size;
		/* A big one-off block goes behind the current chunk so the
		 * current chunk's free tail stays usable. */
		if (c && size > CHUNK_SIZE && !n->mapped) {
			n->next = c->next;
			c->next = n;
		} else {
			n->next = c;
			a->head = n;
		}
		c = n;
	}
	void *p = c->data + c->used;
	c->used += size;
	return p; /* calloc'd and never reused: already zero */
}

char *arena_strndup(Arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *arena_strdup(Arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *arena_printf(Arena *a, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n < sizeof small)
		return arena_strndup(a, small, (size_t)n);
	char *p = arena_alloc(a, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

/* The old block stays in the arena (it is freed with everything else);
 * doubling keeps the waste bounded by the final size. */
void *arena_grow(Arena *a, void *v, int *cap, int need, size_t esz)
{
	if (need <= *cap)
		return v;
	size_t ncap = *cap > 0 ? (size_t)*cap : 8;
	while (ncap < (size_t)need)
		ncap *= 2;
	if (ncap > INT32_MAX || ncap > SIZE_MAX / (esz ? esz : 1))
		oom(ncap * esz);
	void *nv = arena_alloc(a, ncap * esz);
	if (v && *cap > 0)
		memcpy(nv, v, (size_t)*cap * esz);
	*cap = (int)ncap;
	return nv;
}
