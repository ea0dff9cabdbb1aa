/* regex_parse.c - a POSIX extended regular expression into a syntax tree.
 *
 *   alt    := branch ('|' branch)*
 *   branch := piece*                      (empty: matches "")
 *   piece  := atom ('*' | '+' | '?' | '{m}' | '{m,}' | '{m,n}')*
 *   atom   := '(' alt ')' | '[' bracket ']' | '.' | '^' | '$' | '\' char | char
 *
 * What POSIX leaves undefined or glibc adds is refused rather than guessed
 * (a leading '*', back-references, word anchors, collating elements), so
 * that a pattern never means something else than the user read. */
#include <stdio.h>
#include <string.h>

#include "translate/regex.h"

typedef struct RxParser {
	Arena *a;
	const char *p;
	size_t len, pos;
	int ngroups;
	char *err;
	size_t errlen;
	int erroff;
	bool failed;
} RxParser;

static RxNode *alt(RxParser *P);

static RxNode *fail(RxParser *P, size_t off, const char *msg)
{
	if (!P->failed) {
		snprintf(P->err, P->errlen, "%s", msg);
		P->erroff = (int)off;
	}
	P->failed = true;
	return NULL;
}

static RxNode *new_node(RxParser *P, RxKind kind, RxNode *a, RxNode *b)
{
	RxNode *n = arena_alloc(P->a, sizeof *n);
	n->kind = kind;
	n->a = a;
	n->b = b;
	return n;
}

static void set_add(uint8_t *set, int b)
{
	if (b > 0 && b < 256) /* NUL ends the subject: nothing matches it */
		set[b >> 3] |= (uint8_t)(1u << (b & 7));
}

static RxNode *byte_node(RxParser *P, int b)
{
	RxNode *n = new_node(P, RX_SET, NULL, NULL);
	set_add(n->set, b);
	return n;
}

/* Bytes of a [:name:] class (the C locale's, fixed: no locale at run time). */
static bool class_has(const char *name, int c)
{
	bool upper = c >= 'A' && c <= 'Z', lower = c >= 'a' && c <= 'z', digit = c >= '0' && c <= '9';
	bool space = c == ' ' || (c >= '\t' && c <= '\r'), graph = c > ' ' && c < 127;
	if (!strcmp(name, "alpha")) return upper || lower;
	if (!strcmp(name, "digit")) return digit;
	if (!strcmp(name, "alnum")) return upper || lower || digit;
	if (!strcmp(name, "upper")) return upper;
	if (!strcmp(name, "lower")) return lower;
	if (!strcmp(name, "space")) return space;
	if (!strcmp(name, "blank")) return c == ' ' || c == '\t';
	if (!strcmp(name, "punct")) return graph && !upper && !lower && !digit;
	if (!strcmp(name, "print")) return graph || c == ' ';
	if (!strcmp(name, "graph")) return graph;
	if (!strcmp(name, "cntrl")) return c < ' ' || c == 127;
	if (!strcmp(name, "xdigit")) return digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
	return false;
}

static bool is_class_name(const char *name)
{
	static const char *const names[] = { "alpha", "digit", "alnum", "upper", "lower", "space",
	                                     "blank", "punct", "print", "graph", "cntrl", "xdigit" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcmp(name, names[i]))
			return true;
	return false;
}

/* bracket := '[' '^'? ']'? (class | c '-' c | c)* ']'; P->pos is after '['.
 * Inside brackets a backslash is an ordinary byte (POSIX). */
static RxNode *bracket(RxParser *P, size_t open)
{
	RxNode *n = new_node(P, RX_SET, NULL, NULL);
	bool negate = P->pos < P->len && P->p[P->pos] == '^';
	if (negate)
		P->pos++;
	bool first = true;
	for (;;) {
		if (P->pos >= P->len)
			return fail(P, open, "missing ']'");
		size_t at = P->pos;
		int c = (unsigned char)P->p[P->pos];
		if (c == ']' && !first) {
			P->pos++;
			break;
		}
		first = false;
		if (c == '[' && P->pos + 1 < P->len && strchr(":.=", P->p[P->pos + 1])) {
			char kind = P->p[P->pos + 1];
			if (kind != ':')
				return fail(P, at, "collating elements and equivalence classes ([. .] [= =]) are not supported");
			const char *end = NULL;
			for (size_t k = P->pos + 2; k + 1 < P->len; k++)
				if (P->p[k] == ':' && P->p[k + 1] == ']') {
					end = P->p + k;
					break;
				}
			if (!end)
				return fail(P, at, "missing ':]'");
			char name[16] = "";
			size_t nl = (size_t)(end - (P->p + P->pos + 2));
			if (nl < sizeof name)
				memcpy(name, P->p + P->pos + 2, nl);
			if (!is_class_name(name))
				return fail(P, at, "unknown character class");
			for (int b = 1; b < 256; b++)
				if (class_has(name, b))
					set_add(n->set, b);
			P->pos = (size_t)(end - P->p) + 2;
			continue;
		}
		P->pos++;
		if (P->pos + 1 < P->len && P->p[P->pos] == '-' && P->p[P->pos + 1] != ']') {
			int hi = (unsigned char)P->p[P->pos + 1];
			if (hi == '[')
				return fail(P, at, "a range cannot end in a bracketed class");
			if (hi < c)
				return fail(P, at, "range out of order");
			for (int b = c; b <= hi; b++)
				set_add(n->set, b);
			P->pos += 2;
			continue;
		}
		set_add(n->set, c);
	}
	if (negate)
		for (int i = 0; i < 32; i++)
			n->set[i] = (uint8_t)~n->set[i];
	n->set[0] &= (uint8_t)~1u;
	return n;
}

/* \w \W \s \S as glibc has them; other letters and punctuation stand for
 * themselves; what glibc would read as an anchor or back-reference is
 * refused. */
static RxNode *escape(RxParser *P, size_t at)
{
	if (P->pos >= P->len)
		return fail(P, at, "trailing backslash");
	int c = (unsigned char)P->p[P->pos++];
	if (c >= '1' && c <= '9')
		return fail(P, at, "back-references are not supported");
	if (strchr("bB<>`'", c))
		return fail(P, at, "word and buffer anchors (\\b \\B \\< \\> \\` \\') are not supported");
	if (c == 'w' || c == 'W' || c == 's' || c == 'S') {
		RxNode *n = new_node(P, RX_SET, NULL, NULL);
		for (int b = 1; b < 256; b++) {
			bool in = c == 'w' || c == 'W' ? class_has("alnum", b) || b == '_' : class_has("space", b);
			if (in == (c == 'w' || c == 's'))
				set_add(n->set, b);
		}
		return n;
	}
	return byte_node(P, c);
}

static RxNode *atom(RxParser *P)
{
	size_t at = P->pos;
	int c = (unsigned char)P->p[P->pos++];
	switch (c) {
	case '(': {
		int g = ++P->ngroups;
		RxNode *inner = alt(P);
		if (P->failed)
			return NULL;
		if (P->pos >= P->len || P->p[P->pos] != ')')
			return fail(P, at, "missing ')'");
		P->pos++;
		RxNode *n = new_node(P, RX_GROUP, inner, NULL);
		n->group = g;
		return n;
	}
	case '[':
		return bracket(P, at);
	case '.': {
		RxNode *n = new_node(P, RX_SET, NULL, NULL);
		memset(n->set, 0xff, sizeof n->set);
		n->set[0] &= (uint8_t)~1u;
		return n;
	}
	case '^':
		return new_node(P, RX_BOL, NULL, NULL);
	case '$':
		return new_node(P, RX_EOL, NULL, NULL);
	case '\\':
		return escape(P, at);
	case '*': case '+': case '?': case '{':
		return fail(P, at, "nothing to repeat");
	case ')':
		return fail(P, at, "unmatched ')'");
	default:
		return byte_node(P, c);
	}
}

static bool number(RxParser *P, int *v)
{
	size_t start = P->pos;
	long n = 0;
	while (P->pos < P->len && P->p[P->pos] >= '0' && P->p[P->pos] <= '9') {
		n = n * 10 + (P->p[P->pos++] - '0');
		if (n > RX_MAX_REPEAT)
			n = RX_MAX_REPEAT + 1;
	}
	*v = (int)n;
	return P->pos > start;
}

/* '{' m [',' [n]] '}', P->pos after '{' */
static bool bound(RxParser *P, size_t at, int *min, int *max)
{
	if (!number(P, min)) {
		fail(P, at, "bad repetition count: '{' needs a number");
		return false;
	}
	*max = *min;
	if (P->pos < P->len && P->p[P->pos] == ',') {
		P->pos++;
		*max = -1;
		if (P->pos < P->len && P->p[P->pos] != '}' && !number(P, max)) {
			fail(P, at, "bad repetition count");
			return false;
		}
	}
	if (P->pos >= P->len || P->p[P->pos] != '}') {
		fail(P, at, "missing '}'");
		return false;
	}
	P->pos++;
	if (*min > RX_MAX_REPEAT || *max > RX_MAX_REPEAT) {
		fail(P, at, "repetition count over 255");
		return false;
	}
	if (*max >= 0 && *max < *min) {
		fail(P, at, "repetition count out of order");
		return false;
	}
	return true;
}

static RxNode *piece(RxParser *P)
{
	RxNode *n = atom(P);
	while (n && P->pos < P->len && strchr("*+?{", P->p[P->pos])) {
		size_t at = P->pos;
		char op = P->p[P->pos++];
		int min = op == '+' ? 1 : 0, max = op == '?' ? 1 : -1;
		if (op == '{' && !bound(P, at, &min, &max))
			return NULL;
		n = new_node(P, RX_REPEAT, n, NULL);
		n->min = min;
		n->max = max;
	}
	return n;
}

static RxNode *branch(RxParser *P)
{
	RxNode *n = NULL;
	while (!P->failed && P->pos < P->len && P->p[P->pos] != '|' && P->p[P->pos] != ')') {
		RxNode *x = piece(P);
		if (!x)
			return NULL;
		n = n ? new_node(P, RX_CAT, n, x) : x;
	}
	return n ? n : new_node(P, RX_EMPTY, NULL, NULL);
}

static RxNode *alt(RxParser *P)
{
	RxNode *n = branch(P);
	while (!P->failed && P->pos < P->len && P->p[P->pos] == '|') {
		P->pos++;
		RxNode *x = branch(P);
		if (!x)
			return NULL;
		n = new_node(P, RX_ALT, n, x);
	}
	return P->failed ? NULL : n;
}

RxNode *rx_parse(Arena *a, const char *pat, size_t len, int *ngroups, char *err, size_t errlen,
                 int *erroff)
{
	RxParser P = { .a = a, .p = pat, .len = len, .err = err, .errlen = errlen, .erroff = -1 };
	if (memchr(pat, 0, len)) {
		fail(&P, (size_t)((const char *)memchr(pat, 0, len) - pat), "a NUL byte cannot be matched");
		*erroff = P.erroff;
		return NULL;
	}
	RxNode *n = alt(&P);
	if (n && P.pos < P.len) /* only a ')' stops alt() early */
		fail(&P, P.pos, "unmatched ')'");
	*erroff = P.erroff;
	*ngroups = P.ngroups;
	return P.failed ? NULL : n;
}
