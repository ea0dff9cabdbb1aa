/* outbuf.c - growable output buffers, flushed to an fd in one go.
 *
 * The event loop formats every record of a poll round into one OutBuf and
 * writes it with a single ob_flush, so output costs one write(2) per round
 * rather than one per printf.  See rt.h for the NUL-terminator invariant.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/rt.h"

#define OB_MIN_CAP 256

__attribute__((noreturn)) static void ob_oom(size_t want)
{
	fprintf(stderr, "bstap: out of memory growing the output buffer to %zu bytes\n", want);
	abort();
}

/* Room for n more bytes plus the terminator.  The fast path is one compare,
 * as this runs for every piece of every record (cap > len always holds once
 * p is allocated, and cap == len == 0 before). */
char *ob_reserve(OutBuf *b, size_t n)
{
	if (b->cap - b->len > n)
		return b->p + b->len;
	if (n > SIZE_MAX - 1 - b->len)
		ob_oom(SIZE_MAX);
	size_t need = b->len + n + 1;
	size_t cap = b->cap ? b->cap : OB_MIN_CAP;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	char *p = realloc(b->p, cap);
	if (!p)
		ob_oom(cap);
	b->p = p;
	b->cap = cap;
	return b->p + b->len;
}

void ob_commit(OutBuf *b, size_t n)
{
	b->len += n;
	b->p[b->len] = '\0';
}

void ob_putc(OutBuf *b, char c)
{
	char *w = ob_reserve(b, 1);
	*w = c;
	ob_commit(b, 1);
}

void ob_write(OutBuf *b, const void *data, size_t n)
{
	char *w = ob_reserve(b, n);
	if (n)
		memcpy(w, data, n);
	ob_commit(b, n);
}

void ob_puts(OutBuf *b, const char *s)
{
	ob_write(b, s, strlen(s));
}

void ob_printf(OutBuf *b, const char *fmt, ...)
{
	va_list ap;

	/* Try the spare room first; most messages fit and need one pass. */
	size_t room = b->cap > b->len ? b->cap - b->len : 0;
	va_start(ap, fmt);
	int n = vsnprintf(room ? b->p + b->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return; /* an encoding error: nothing sensible to add */
	if ((size_t)n >= room) {
		char *w = ob_reserve(b, (size_t)n);
		va_start(ap, fmt);
		vsnprintf(w, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	ob_commit(b, (size_t)n);
}

int ob_flush(OutBuf *b, int fd)
{
	size_t done = 0;
	int err = 0;

	while (done < b->len) {
		ssize_t w = write(fd, b->p + done, b->len - done);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (w == 0) {
			/* write(2) never returns 0 for n > 0 on a working fd;
			 * treat it as an error rather than spin. */
			err = -EIO;
			break;
		}
		done += (size_t)w;
	}
	/* Keep what was not written, at the front, for the caller to decide. */
	if (done && done < b->len)
		memmove(b->p, b->p + done, b->len - done);
	if (b->p) {
		b->len -= done;
		b->p[b->len] = '\0';
	}
	return err;
}

void ob_free(OutBuf *b)
{
	if (!b)
		return;
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}
