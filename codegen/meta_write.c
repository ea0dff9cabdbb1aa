/* meta_write.c - the .bstap.meta section (bpf_abi.h): every table the
 * runtime needs, with strings in one table. */
#include <string.h>

#include "codegen/lower.h"

typedef struct {
	Arena *a;
	char *buf;
	uint32_t len, cap;
} StrTab;

static bstap_str str_add(StrTab *t, const char *s)
{
	uint32_t n = (uint32_t)strlen(s) + 1;
	/* reuse an identical earlier string (formats and files repeat) */
	for (uint32_t off = 0; off < t->len; off += (uint32_t)strlen(t->buf + off) + 1)
		if (!strcmp(t->buf + off, s))
			return off;
	while (t->len + n > t->cap) {
		uint32_t nc = t->cap ? t->cap * 2 : 256;
		char *nb = arena_alloc(t->a, nc);
		if (t->len)
			memcpy(nb, t->buf, t->len);
		t->buf = nb;
		t->cap = nc;
	}
	memcpy(t->buf + t->len, s, n);
	bstap_str off = t->len;
	t->len += n;
	return off;
}

void *meta_build(CgObject *o, size_t *len)
{
	Session *s = o->s;
	StrTab st = { o->a, NULL, 0, 0 };
	str_add(&st, ""); /* offset 0 is the empty string */

	int nfargs = 0;
	for (int i = 0; i < o->nformats; i++)
		nfargs += o->formats[i].nargs;

	/* the source position of each instruction of each kernel program, so
	 * that a verifier refusal can name the script line */
	int nlines = 0;
	for (int i = 0; i < o->nprogs; i++)
		nlines += o->progs[i].ninsns;
	uint32_t *lines = arena_alloc(o->a, sizeof *lines * (size_t)(nlines + 1));
	int li = 0, pk = 0;
	struct bstap_probe *probes = arena_alloc(o->a, sizeof *probes * (size_t)(o->nprobes + 1));
	for (int i = 0; i < o->nprobes; i++) {
		if (*o->probe_strs[3 * i]) {
			const ElfProg *p = &o->progs[pk++];
			o->probes[i].lines = (uint32_t)li;
			o->probes[i].ninsns = (uint32_t)p->ninsns;
			for (int k = 0; k < p->ninsns; k++)
				lines[li++] = p->srcpos && p->srcpos[k] >= 0 ? (uint32_t)p->srcpos[k] : UINT32_MAX;
		}
		probes[i] = o->probes[i];
		probes[i].prog = str_add(&st, o->probe_strs[3 * i]);
		probes[i].target = str_add(&st, o->probe_strs[3 * i + 1]);
		probes[i].pp = str_add(&st, o->probe_strs[3 * i + 2]);
	}
	struct bstap_format *fmts = arena_alloc(o->a, sizeof *fmts * (size_t)(o->nformats + 1));
	struct bstap_farg *fargs = arena_alloc(o->a, sizeof *fargs * (size_t)(nfargs + 1));
	int k = 0;
	for (int i = 0; i < o->nformats; i++) {
		fmts[i] = (struct bstap_format){ .fmt = str_add(&st, o->formats[i].fmt),
		                                 .nargs = (uint32_t)o->formats[i].nargs,
		                                 .farg0 = (uint32_t)k, .size = o->formats[i].size };
		for (int j = 0; j < o->formats[i].nargs; j++)
			fargs[k++] = o->formats[i].args[j];
	}
	int nglobals = 0;
	for (Symbol *g = s->globals; g; g = g->next)
		nglobals++;
	struct bstap_global *globals = arena_alloc(o->a, sizeof *globals * (size_t)(nglobals + 1));
	int gi = 0;
	uint32_t cap = (uint32_t)((s->maxstringlen + 7) & ~7);
	for (Symbol *g = s->globals; g; g = g->next, gi++) {
		uint32_t vkind = g->type == TY_STRING ? BSTAP_GLOBAL_STRING
		               : g->type == TY_STATS ? BSTAP_GLOBAL_STATS : BSTAP_GLOBAL_LONG;
		bool in_map = g->is_array || g->type == TY_STATS;
		globals[gi] = (struct bstap_global){
			.name = str_add(&st, g->name),
			.kind = g->is_array ? BSTAP_GLOBAL_ARRAY : vkind,
			.off = in_map ? 0 : (uint32_t)g->index, .size = g->type == TY_STRING ? cap : 8,
			.flags = g->written && !g->read ? BSTAP_GF_PRINT_AT_END : 0,
		};
		if (g->type == TY_STATS) {
			globals[gi].map = str_add(&st, o->maps[g->index].name);
			globals[gi].value_kind = BSTAP_GLOBAL_STATS;
			globals[gi].hist = g->hist == STAT_HIST_LOG ? BSTAP_HIST_LOG
			                 : g->hist == STAT_HIST_LINEAR ? BSTAP_HIST_LINEAR : BSTAP_HIST_NONE;
			globals[gi].hist_buckets = (uint32_t)lower_stat_buckets(g);
			globals[gi].hist_lo = g->hist_lo;
			globals[gi].hist_step = g->hist_step;
		}
		if (g->is_array) {
			const ElfMap *m = &o->maps[g->index];
			globals[gi].map = str_add(&st, m->name);
			globals[gi].nkeys = (uint16_t)g->nkeys;
			for (int ki = 0; ki < g->nkeys; ki++)
				if (g->keytypes[ki] == TY_STRING)
					globals[gi].key_strings |= (uint16_t)(1u << ki);
			globals[gi].value_kind = vkind;
			globals[gi].key_size = m->key_size;
			globals[gi].max_entries = m->max_entries;
		}
	}
	struct bstap_srcpos *pos = arena_alloc(o->a, sizeof *pos * (size_t)(o->nsrcpos + 1));
	for (int i = 0; i < o->nsrcpos; i++) {
		Source *src = src_get(o->srcpos[i].file);
		pos[i] = (struct bstap_srcpos){ .file = str_add(&st, src ? src->name : "?"),
		                                .line = (uint32_t)o->srcpos[i].line,
		                                .col = (uint32_t)o->srcpos[i].col };
	}
	struct bstap_errsite *errs = arena_alloc(o->a, sizeof *errs * (size_t)(o->nerrs + 1));
	for (int i = 0; i < o->nerrs; i++) {
		/* error sites name a source position of their own */
		int sp = cg_srcpos(o, &o->errs[i].loc);
		if (sp >= 0 && sp >= o->nsrcpos - 0) {
			/* cg_srcpos may have grown the table: refresh pos */
		}
		errs[i] = (struct bstap_errsite){ .msg = str_add(&st, o->errs[i].msg),
		                                  .near = str_add(&st, o->errs[i].near), .srcpos = (uint32_t)sp };
	}
	/* error sites may have added positions */
	if (o->nsrcpos) {
		struct bstap_srcpos *np = arena_alloc(o->a, sizeof *np * (size_t)o->nsrcpos);
		for (int i = 0; i < o->nsrcpos; i++) {
			Source *src = src_get(o->srcpos[i].file);
			np[i] = (struct bstap_srcpos){ .file = str_add(&st, src ? src->name : "?"),
			                               .line = (uint32_t)o->srcpos[i].line,
			                               .col = (uint32_t)o->srcpos[i].col };
		}
		pos = np;
	}

	struct bstap_meta_hdr h = {0};
	memcpy(h.magic, BSTAP_META_MAGIC, 8);
	h.abi_version = BSTAP_ABI_VERSION;
	h.hdr_size = sizeof h;
	h.globals_size = o->data_size;
	uint32_t off = sizeof h;
#define PLACE(field_n, field_off, count, type) \
	h.field_n = (uint32_t)(count); h.field_off = off; off += (uint32_t)(sizeof(type) * (size_t)(count));
	struct bstap_map *maps = arena_alloc(o->a, sizeof *maps * (size_t)(o->nmaps + 1));
	for (int i = 0; i < o->nmaps; i++)
		maps[i] = (struct bstap_map){ .name = str_add(&st, o->maps[i].name), .type = o->maps[i].type,
		                              .key_size = o->maps[i].key_size, .value_size = o->maps[i].value_size,
		                              .max_entries = o->maps[i].max_entries };
	h.scratch_size = o->scratch_size;
	h.merge_cpus = o->merge_cpus;
	h.flags = o->flags;
	h.maxstringlen = (uint32_t)s->maxstringlen;
	PLACE(nprobes, probes_off, o->nprobes, struct bstap_probe);
	PLACE(nmaps, maps_off, o->nmaps, struct bstap_map);
	PLACE(nuprogs, uprogs_off, o->nuprogs, struct bstap_uprog);
	PLACE(nlines, lines_off, nlines, uint32_t);
	PLACE(ninsns, insns_off, o->nuinsns, struct bpf_insn);
	PLACE(nformats, formats_off, o->nformats, struct bstap_format);
	PLACE(nfargs, fargs_off, nfargs, struct bstap_farg);
	PLACE(nglobals, globals_off, nglobals, struct bstap_global);
	PLACE(nsrcpos, srcpos_off, o->nsrcpos, struct bstap_srcpos);
	PLACE(nerrors, errors_off, o->nerrs, struct bstap_errsite);
#undef PLACE
	h.strtab_off = off;
	h.strtab_len = st.len;
	off += st.len;
	char *blob = arena_alloc(o->a, off);
	memcpy(blob, &h, sizeof h);
	/* empty tables may have no storage at all: copy only what exists */
#define COPY(off, src, n) do { if ((n) > 0) memcpy(blob + (off), (src), sizeof *(src) * (size_t)(n)); } while (0)
	COPY(h.probes_off, probes, o->nprobes);
	COPY(h.maps_off, maps, o->nmaps);
	COPY(h.uprogs_off, o->uprogs, o->nuprogs);
	COPY(h.lines_off, lines, nlines);
	COPY(h.insns_off, o->uinsns, o->nuinsns);
	COPY(h.formats_off, fmts, o->nformats);
	COPY(h.fargs_off, fargs, nfargs);
	COPY(h.globals_off, globals, nglobals);
	COPY(h.srcpos_off, pos, o->nsrcpos);
	COPY(h.errors_off, errs, o->nerrs);
	COPY(h.strtab_off, st.buf, st.len);
#undef COPY
	*len = off;
	return blob;
}
