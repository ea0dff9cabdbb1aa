/* sprintf.c - sprintf in kernel probes, through bpf_snprintf.
 *
 * The kernel formats only from a constant string in a read-only map and
 * with C's conversions, so the stap format is translated at compile time
 * (%d -> %lld: every value is 64-bit; %p -> 0x%llx) into ".rodata.strings",
 * and the arguments go as an array of u64 (strings by address).  What the
 * kernel lacks (%o %b %m %M, '#', precisions, '*') is refused with a clear
 * error; in begin/end probes the runtime's own printf engine does it all. */
#include <string.h>

#include "codegen/lower.h"

#define MAX_KERNEL_ARGS 12   /* MAX_BPRINTF_VARARGS */

/* Offset of n constant bytes, aligned to 8, in the read-only data map.
 * The same bytes added again are found and shared: a pattern used by a
 * probe that a wildcard makes into hundreds keeps one copy of its tables. */
int rodata_add_bytes(Lower *L, const void *bytes, uint32_t n)
{
	CgObject *o = L->o;
	for (uint32_t at = 0; n && at + n <= o->rodata_len; at += 8)
		if (!memcmp(o->rodata + at, bytes, n))
			return (int)at;
	if (o->map_rodata < 0)
		o->map_rodata = cg_add_map(o, (ElfMap){ .name = BSTAP_SEC_RODATA, .kind = ELF_MAP_DATA,
		                                        .max_entries = 1 });
	uint32_t at = (o->rodata_len + 7) & ~7u;
	if (at + n > o->rodata_cap) {
		uint32_t nc = o->rodata_cap ? o->rodata_cap * 2 : 256;
		while (nc < at + n)
			nc *= 2;
		char *nb = arena_alloc(o->a, nc);
		if (o->rodata_len)
			memcpy(nb, o->rodata, o->rodata_len);
		o->rodata = nb;
		o->rodata_cap = nc;
	}
	memset(o->rodata + o->rodata_len, 0, at - o->rodata_len);
	memcpy(o->rodata + at, bytes, n);
	o->rodata_len = at + n;
	return (int)at;
}

/* Offset of a NUL-terminated constant in the read-only data map. */
int rodata_add(Lower *L, const char *s)
{
	return rodata_add_bytes(L, s, (uint32_t)strlen(s) + 1);
}

/* The kernel's version of a stap format, or NULL with *why set.  The
 * kernel's checker takes the flags "-+ 0" and a width, but no '#', no
 * precision and no '*'. */
static char *kernel_format(Lower *L, const char *fmt, const char **why)
{
	char *out = arena_alloc(L->a, strlen(fmt) * 3 + 8), *w = out;
	for (const char *p = fmt; *p;) {
		if (*p != '%') {
			*w++ = *p++;
			continue;
		}
		if (p[1] == '%') {
			*w++ = '%';
			*w++ = '%';
			p += 2;
			continue;
		}
		const char *spec = p++;
		while (*p && strchr("-+ 0123456789", *p))
			p++;
		if (*p == '#' || *p == '.' || *p == '*') {
			*why = *p == '#' ? "the '#' flag" : *p == '.' ? "a precision" : "a '*' width";
			return NULL;
		}
		while (*p && strchr("hlLqjzt", *p))
			p++; /* length modifiers: ours are always 64-bit */
		char conv = *p;
		if (conv == 'p') {
			/* stap prints pointers as 0x-prefixed hex */
			if (p != spec + 1) {
				*why = "flags or a width on %p";
				return NULL;
			}
			w += sprintf(w, "0x%%llx");
			p++;
			continue;
		}
		if (!conv || !strchr("diuxXsc", conv)) {
			*why = arena_printf(L->a, "%%%c", conv ? conv : '?');
			return NULL;
		}
		/* the flags and width as written, then the conversion */
		for (const char *q = spec; q < p && !strchr("hlLqjzt", *q); q++)
			*w++ = *q;
		if (strchr("diuxX", conv)) {
			*w++ = 'l';
			*w++ = 'l';
		}
		*w++ = conv;
		p++;
	}
	*w = 0;
	return out;
}

int lower_sprintf_kernel(Lower *L, Node *n, const char *fmt, Node **args, int nargs)
{
	IrFunc *f = L->f;
	const char *why = NULL;
	char *kfmt = kernel_format(L, fmt, &why);
	if (!kfmt) {
		lower_fail(L, &n->loc, arena_printf(L->a, "sprintf with %s is not available in kernel probes "
		                                    "(only in begin, end and error probes)", why));
		return -1;
	}
	if (nargs > MAX_KERNEL_ARGS) {
		lower_fail(L, &n->loc, arena_printf(L->a, "sprintf in a kernel probe takes at most %d values",
		                                    MAX_KERNEL_ARGS));
		return -1;
	}
	int data = scratch_ptr(L, scratch_alloc(L, 8 * (nargs ? nargs : 1)));
	for (int i = 0; i < nargs; i++) {
		int v = lower_expr(L, args[i]);
		ir_emit_stx(f, BPF_DW, data, (int16_t)(8 * i), v);
	}
	int dst = scratch_ptr(L, scratch_alloc(L, L->cap));
	int off = rodata_add(L, kfmt);
	ir_emit_mov(f, 1, dst);
	ir_emit_movi(f, 2, L->cap);
	ir_emit_ldmapval(f, 3, L->o->map_rodata, off);
	ir_emit_mov(f, 4, data);
	ir_emit_movi(f, 5, 8 * nargs);
	ir_emit_call(f, BPF_FUNC_snprintf, 5);
	return dst;
}
