/* fmt.c - the printf engine: stap's printf over 64-bit values and strings.
 *
 * One parser, parse_spec, serves both entry points, so a format fmt_scan
 * accepts is read the same way by fmt_format.  fmt_format runs for every
 * event: it parses the format as it goes (formats are short), writes each
 * field straight into the OutBuf after a single ob_reserve, and allocates
 * nothing else.  Integers are converted by hand rather than via snprintf,
 * because stap's rules for '#', '0' and precision are not C's (see rt.h).
 *
 * Where bstap departs from stap on purpose:
 *  - stap's parser takes one flag and few length modifiers; any flags and
 *    all of C's modifiers are accepted here;
 *  - stap's translator drops a literal precision of 0, so its "%.0s"
 *    prints the whole string; here it prints nothing, as in C and as stap
 *    itself does for "%.*s" with 0;
 *  - '*' values are 64-bit and clamped to FMT_WIDTH_MAX (stap casts them
 *    to int);
 *  - %m and %M print bytes the record carries, so they never go past the
 *    argument (stap reads kernel or user memory at an address).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "runtime/rt.h"

/* ------------------------------------------------------- specifications */

/* Flags of one conversion.  The last two are set by the conversion, not
 * by the format text. */
enum {
	FL_LEFT = 1,       /* '-': pad on the right */
	FL_PLUS = 2,       /* '+': sign even when positive (signed only) */
	FL_SPACE = 4,      /* ' ': space where '+' would go (signed only) */
	FL_ALT = 8,        /* '#': 0x / 0 prefix, %c escapes */
	FL_ZERO = 16,      /* '0': pad numbers with zeros; NUL after %s/%m/%M */
	FL_SIGNED = 32,    /* %d %i */
	FL_UPPER = 64,     /* %X */
};

/* One conversion specification: %[flags][width][.precision][length]conv. */
typedef struct Spec {
	unsigned flags;
	int width;            /* -1 when absent; unset if width_star */
	int prec;             /* -1 when absent; unset if prec_star */
	bool width_star, prec_star;
	bool width_big, prec_big; /* a literal exceeded FMT_WIDTH_MAX (clamped) */
	char conv;            /* the conversion letter, or NUL at the end */
	const char *end;      /* just past the letter (at the NUL if none) */
} Spec;

typedef enum {
	SPEC_OK,
	SPEC_INCOMPLETE,      /* the format ends inside the specification */
	SPEC_BAD_CONV,        /* conv is not a conversion letter */
} SpecStatus;

static bool is_conv(char c)
{
	switch (c) {
	case 'd': case 'i': case 'u': case 'x': case 'X': case 'o':
	case 'c': case 'p': case 'b': case 's': case 'm': case 'M': case '%':
		return true;
	default:
		return false;
	}
}

/* Digits of a width or precision.  The value saturates just above the
 * limit, so a long run of digits can neither overflow nor pass unnoticed. */
static int read_num(const char **pp, bool *big)
{
	const char *p = *pp;
	int v = 0;

	while (*p >= '0' && *p <= '9') {
		if (v <= FMT_WIDTH_MAX)
			v = v * 10 + (*p - '0');
		p++;
	}
	*pp = p;
	if (v > FMT_WIDTH_MAX) {
		*big = true;
		v = FMT_WIDTH_MAX;
	}
	return v;
}

/* Parse the specification that follows a '%'; s points just past it. */
static SpecStatus parse_spec(const char *s, Spec *sp)
{
	sp->flags = 0;
	sp->width = sp->prec = -1;
	sp->width_star = sp->prec_star = false;
	sp->width_big = sp->prec_big = false;

	for (;; s++) {
		switch (*s) {
		case '-': sp->flags |= FL_LEFT; continue;
		case '+': sp->flags |= FL_PLUS; continue;
		case ' ': sp->flags |= FL_SPACE; continue;
		case '#': sp->flags |= FL_ALT; continue;
		case '0': sp->flags |= FL_ZERO; continue;
		default: break;
		}
		break;
	}
	if (*s == '*') {
		sp->width_star = true;
		s++;
	} else if (*s >= '0' && *s <= '9') {
		sp->width = read_num(&s, &sp->width_big);
	}
	if (*s == '.') {
		s++;
		if (*s == '*') {
			sp->prec_star = true;
			s++;
		} else {
			sp->prec = read_num(&s, &sp->prec_big); /* "." alone is 0, as in C */
		}
	}
	/* Length modifiers mean nothing here: every value is 64 bits. */
	switch (*s) {
	case 'h': s += s[1] == 'h' ? 2 : 1; break;
	case 'l': s += s[1] == 'l' ? 2 : 1; break;
	case 'L': case 'z': case 'j': case 't': s++; break;
	default: break;
	}
	sp->conv = *s;
	if (!*s) {
		sp->end = s;
		return SPEC_INCOMPLETE;
	}
	sp->end = s + 1;
	return is_conv(*s) ? SPEC_OK : SPEC_BAD_CONV;
}

/* ------------------------------------------------------------- fmt_scan */

/* Quote format bytes [from, to) for a message: non-printing bytes are
 * escaped and a long specification is cut with "..." (said, not silent). */
static void quote_spec(char *buf, size_t size, const char *from, const char *to)
{
	enum { SHOWN = 40 };
	size_t n = 0;
	const char *p;

	for (p = from; p < to && p - from < SHOWN && n + 8 < size; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '\n')
			n += (size_t)snprintf(buf + n, size - n, "\\n");
		else if (c == '\t')
			n += (size_t)snprintf(buf + n, size - n, "\\t");
		else if (c < 0x20 || c > 0x7e)
			n += (size_t)snprintf(buf + n, size - n, "\\x%02x", c);
		else
			buf[n++] = (char)c;
	}
	if (p < to && n + 4 <= size) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
}

/* Fail fmt_scan: the message is in err already; record where. */
static int scan_fail(size_t *errpos, size_t pos)
{
	if (errpos)
		*errpos = pos;
	return -1;
}

static void add_conv(FmtConv *convs, int max, int *n, FmtArgKind kind, char conv, size_t pos)
{
	if (*n < max)
		convs[*n] = (FmtConv){ .kind = kind, .conv = conv, .pos = pos };
	(*n)++;
}

int fmt_scan(const char *fmt, FmtConv *convs, int max, char *err, size_t errlen, size_t *errpos)
{
	const char *f = fmt;
	char q[200]; /* the quoted spec for messages; cheap, as this runs at compile time */
	int n = 0;

	if (!convs || max < 0)
		max = 0;
	if (!err)
		errlen = 0;
	while ((f = strchr(f, '%')) != NULL) {
		size_t pos = (size_t)(f - fmt);
		Spec sp;
		SpecStatus st = parse_spec(f + 1, &sp);

		quote_spec(q, sizeof q, f, sp.end);
		switch (st) {
		case SPEC_OK:
			break;
		case SPEC_INCOMPLETE:
			if (sp.end == f + 1)
				snprintf(err, errlen, "lone '%%' at the end of the format "
					 "(write '%%%%' for a literal '%%')");
			else
				snprintf(err, errlen, "incomplete conversion '%s' at the end of the format", q);
			return scan_fail(errpos, pos);
		case SPEC_BAD_CONV:
			snprintf(err, errlen, "invalid conversion '%s' (conversions are "
				 "%%d %%i %%u %%x %%X %%o %%c %%p %%b %%s %%m %%M %%%%)", q);
			return scan_fail(errpos, pos);
		}
		if (sp.conv == '%' && sp.end != f + 2) {
			snprintf(err, errlen, "'%s': '%%%%' takes no flags, width or precision", q);
			return scan_fail(errpos, pos);
		}
		if (sp.width_big || sp.prec_big) {
			snprintf(err, errlen, "%s too large in '%s' (limit %d)",
				 sp.width_big ? "field width" : "precision", q, FMT_WIDTH_MAX);
			return scan_fail(errpos, pos);
		}
		if (sp.conv != '%') {
			/* '*' arguments come before the value, as in C. */
			if (sp.width_star)
				add_conv(convs, max, &n, FMT_ARG_LONG, '*', pos);
			if (sp.prec_star)
				add_conv(convs, max, &n, FMT_ARG_LONG, '*', pos);
			bool str = sp.conv == 's' || sp.conv == 'm' || sp.conv == 'M';
			add_conv(convs, max, &n, str ? FMT_ARG_STRING : FMT_ARG_LONG, sp.conv, pos);
		}
		f = sp.end;
	}
	return n;
}

/* ----------------------------------------------------------- fmt_format */

/* The arguments, consumed in order; missing or mistyped ones read as 0/"". */
typedef struct ArgCursor {
	const FmtArg *args;
	int n, next;
} ArgCursor;

static const FmtArg *next_arg(ArgCursor *ac, FmtArgKind kind)
{
	const FmtArg *a = ac->next < ac->n ? &ac->args[ac->next] : NULL;
	ac->next++;
	return a && a->kind == kind ? a : NULL;
}

static int64_t next_long(ArgCursor *ac)
{
	const FmtArg *a = next_arg(ac, FMT_ARG_LONG);
	return a ? a->l : 0;
}

static const char *next_str(ArgCursor *ac, size_t *len)
{
	const FmtArg *a = next_arg(ac, FMT_ARG_STRING);
	if (!a || !a->s) {
		*len = 0;
		return "";
	}
	*len = a->slen;
	return a->s;
}

static size_t pad_for(int width, size_t body)
{
	return width > 0 && (size_t)width > body ? (size_t)width - body : 0;
}

/* An integer field in stap's layout: [spaces] sign prefix [zeros from '0']
 * [zeros from precision] digits [spaces after '-'].  Unlike C, '#' always
 * adds its prefix and '0' pads even with a precision. */
static void put_int(OutBuf *o, uint64_t v, unsigned base, unsigned fl, int width, int prec)
{
	const char *digits = (fl & FL_UPPER) ? "0123456789ABCDEF" : "0123456789abcdef";
	char buf[24]; /* 22 octal digits hold 64 bits */
	char *d = buf + sizeof buf;
	char sign = 0;

	if (fl & FL_SIGNED) {
		if ((int64_t)v < 0) {
			sign = '-';
			v = -v; /* in unsigned arithmetic, so INT64_MIN comes out right */
		} else if (fl & FL_PLUS) {
			sign = '+';
		} else if (fl & FL_SPACE) {
			sign = ' ';
		}
	}
	/* Constant divisors let the compiler avoid a division instruction. */
	if (base == 16)
		do { *--d = digits[v & 15]; v >>= 4; } while (v);
	else if (base == 8)
		do { *--d = digits[v & 7]; v >>= 3; } while (v);
	else
		do { *--d = digits[v % 10]; v /= 10; } while (v);

	size_t nd = (size_t)(buf + sizeof buf - d);
	size_t zeros = prec > 0 && (size_t)prec > nd ? (size_t)prec - nd : 0;
	size_t pfx = !(fl & FL_ALT) ? 0 : base == 16 ? 2 : base == 8 ? 1 : 0;
	size_t body = (sign != 0) + pfx + zeros + nd;
	size_t pad = pad_for(width, body);
	bool left = fl & FL_LEFT, zpad = !left && (fl & FL_ZERO);
	char *w = ob_reserve(o, body + pad), *p = w;

	if (!left && !zpad) {
		memset(p, ' ', pad);
		p += pad;
	}
	if (sign)
		*p++ = sign;
	if (pfx) {
		*p++ = '0';
		if (pfx == 2)
			*p++ = (fl & FL_UPPER) ? 'X' : 'x';
	}
	if (zpad) {
		memset(p, '0', pad);
		p += pad;
	}
	memset(p, '0', zeros);
	p += zeros;
	memcpy(p, d, nd);
	p += nd;
	if (left) {
		memset(p, ' ', pad);
		p += pad;
	}
	ob_commit(o, (size_t)(p - w));
}

/* A text field padded with spaces to `width`: the n bytes of s, or with
 * `hex` their 2n hex digits; `nul` appends one NUL after the field (stap's
 * '0' flag on %s, %m, %M). */
static void put_text(OutBuf *o, const char *s, size_t n, bool hex, int width, unsigned fl, bool nul)
{
	static const char xd[] = "0123456789abcdef";
	size_t shown = hex ? 2 * n : n;
	size_t pad = pad_for(width, shown);
	char *w = ob_reserve(o, shown + pad + nul), *p = w;

	if (!(fl & FL_LEFT)) {
		memset(p, ' ', pad);
		p += pad;
	}
	if (hex) {
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)s[i];
			*p++ = xd[c >> 4];
			*p++ = xd[c & 15];
		}
	} else if (n) {
		memcpy(p, s, n);
		p += n;
	}
	if (fl & FL_LEFT) {
		memset(p, ' ', pad);
		p += pad;
	}
	if (nul)
		*p++ = '\0';
	ob_commit(o, (size_t)(p - w));
}

/* %c: the low byte, or with '#' its escape: \n-style where C has one,
 * else \ooo for anything that is not printable ASCII (and for ' and \). */
static void put_char(OutBuf *o, unsigned char c, int width, unsigned fl)
{
	static const char from[] = "\a\b\f\n\r\t\v'\\", to[] = "abfnrtv'\\";
	char buf[4];
	size_t n = 0;

	if ((fl & FL_ALT) && (c < 0x20 || c > 0x7e || c == '\'' || c == '\\')) {
		const char *e = c ? memchr(from, c, sizeof from - 1) : NULL;
		buf[n++] = '\\';
		if (e) {
			buf[n++] = to[e - from];
		} else {
			buf[n++] = (char)('0' + (c >> 6));
			buf[n++] = (char)('0' + ((c >> 3) & 7));
			buf[n++] = (char)('0' + (c & 7));
		}
	} else {
		buf[n++] = (char)c;
	}
	put_text(o, buf, n, false, width, fl, false);
}

static int bin_size(int n)
{
	return n == 1 || n == 2 || n == 4 || n == 8 ? n : -1;
}

/* %b: the value's low bytes in host order, in a field padded with NULs.
 * Precision picks the byte count; a missing or invalid one comes from the
 * width if that is a valid count, else 8; a missing width is the count. */
static void put_binary(OutBuf *o, uint64_t v, int width, int prec, unsigned fl)
{
	int nb = bin_size(prec);

	if (width < 0) {
		if (nb < 0)
			nb = 8;
		width = nb;
	} else if (nb < 0) {
		nb = bin_size(width);
		if (nb < 0)
			nb = 8;
	}

	uint8_t v1 = (uint8_t)v;
	uint16_t v2 = (uint16_t)v;
	uint32_t v4 = (uint32_t)v;
	const void *src = nb == 1 ? (const void *)&v1 : nb == 2 ? (const void *)&v2
			: nb == 4 ? (const void *)&v4 : (const void *)&v;
	size_t pad = pad_for(width, (size_t)nb);
	char *w = ob_reserve(o, (size_t)nb + pad), *p = w;

	if (!(fl & FL_LEFT)) {
		memset(p, 0, pad);
		p += pad;
	}
	memcpy(p, src, (size_t)nb);
	p += nb;
	if (fl & FL_LEFT) {
		memset(p, 0, pad);
		p += pad;
	}
	ob_commit(o, (size_t)(p - w));
}

void fmt_format(OutBuf *out, const char *fmt, const FmtArg *args, int nargs)
{
	ArgCursor ac = { .args = args, .n = args && nargs > 0 ? nargs : 0, .next = 0 };
	const char *f = fmt;

	for (;;) {
		const char *pct = strchr(f, '%');
		if (!pct) {
			ob_write(out, f, strlen(f));
			return;
		}
		if (pct > f)
			ob_write(out, f, (size_t)(pct - f));

		Spec sp;
		SpecStatus st = parse_spec(pct + 1, &sp);
		f = sp.end;
		if (st != SPEC_OK) {
			/* fmt_scan rejects these; copy the text through. */
			ob_write(out, pct, (size_t)(sp.end - pct));
			if (st == SPEC_INCOMPLETE)
				return;
			continue;
		}
		if (sp.conv == '%') {
			ob_putc(out, '%');
			continue;
		}

		unsigned fl = sp.flags;
		int width = sp.width, prec = sp.prec;
		if (sp.width_star) {
			int64_t w = next_long(&ac);
			if (w < 0) {
				fl |= FL_LEFT;
				w = w < -FMT_WIDTH_MAX ? FMT_WIDTH_MAX : -w;
			}
			width = w > FMT_WIDTH_MAX ? FMT_WIDTH_MAX : (int)w;
		}
		if (sp.prec_star) {
			int64_t p = next_long(&ac);
			prec = p < 0 ? 0 : p > FMT_WIDTH_MAX ? FMT_WIDTH_MAX : (int)p;
		}

		switch (sp.conv) {
		case 'd':
		case 'i':
			put_int(out, (uint64_t)next_long(&ac), 10, fl | FL_SIGNED, width, prec);
			break;
		case 'u':
			put_int(out, (uint64_t)next_long(&ac), 10, fl, width, prec);
			break;
		case 'x':
			put_int(out, (uint64_t)next_long(&ac), 16, fl, width, prec);
			break;
		case 'X':
			put_int(out, (uint64_t)next_long(&ac), 16, fl | FL_UPPER, width, prec);
			break;
		case 'o':
			put_int(out, (uint64_t)next_long(&ac), 8, fl, width, prec);
			break;
		case 'p':
			/* Since stap 1.3, %p is %#x of the full 64-bit value. */
			put_int(out, (uint64_t)next_long(&ac), 16, fl | FL_ALT, width, prec);
			break;
		case 'c':
			put_char(out, (unsigned char)next_long(&ac), width, fl);
			break;
		case 'b':
			put_binary(out, (uint64_t)next_long(&ac), width, prec, fl);
			break;
		case 's': {
			size_t len;
			const char *s = next_str(&ac, &len);
			const char *nul = memchr(s, '\0', len);
			if (nul)
				len = (size_t)(nul - s);
			if (prec >= 0 && (size_t)prec < len)
				len = (size_t)prec;
			put_text(out, s, len, false, width, fl, fl & FL_ZERO);
			break;
		}
		case 'm':
		case 'M': {
			size_t len;
			const char *s = next_str(&ac, &len);
			size_t want = prec > 0 ? (size_t)prec : 1;
			if (want < len)
				len = want; /* never more than the argument holds */
			put_text(out, s, len, sp.conv == 'M', width, fl, fl & FL_ZERO);
			break;
		}
		default:
			break; /* parse_spec let only conversion letters through */
		}
	}
}

/* ------------------------------------------------------------ payloads */

/* A string argument holding symbol tokens (usymname() in a kernel probe,
 * bpf_abi.h) is formatted as the text the tokens stand for. */
void rt_format_payload(OutBuf *out, const RtMeta *m, const struct bstap_format *f, const char *payload)
{
	FmtArg args[64];
	OutBuf expanded[64];
	int nexp = 0;
	int n = (int)f->nargs < 64 ? (int)f->nargs : 64;
	for (int i = 0; i < n; i++) {
		const struct bstap_farg *a = &m->fargs[f->farg0 + (uint32_t)i];
		if (a->kind == BSTAP_FARG_LONG) {
			int64_t v;
			memcpy(&v, payload + a->off, 8);
			args[i] = (FmtArg){ .kind = FMT_ARG_LONG, .l = v };
		} else {
			const char *s = payload + a->off;
			size_t len = strnlen(s, a->size);
			if (sym_has_token(s, len)) {
				OutBuf *e = &expanded[nexp++];
				*e = (OutBuf){ 0 };
				sym_expand(e, s, len);
				s = e->p ? e->p : "";
				len = e->len;
			}
			args[i] = (FmtArg){ .kind = FMT_ARG_STRING, .s = s, .slen = len };
		}
	}
	fmt_format(out, meta_str(m, f->fmt), args, n);
	for (int i = 0; i < nexp; i++)
		ob_free(&expanded[i]);
}
