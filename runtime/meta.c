/* meta.c - the .bstap.meta section, checked before anything trusts it: an
 * object may come from anywhere (bstap-run takes a file), so every table
 * and string offset is bounds-checked here once. */
#include <string.h>

#include "runtime/rt.h"

static bool table_ok(size_t len, uint32_t off, uint32_t n, size_t esz)
{
	return off <= len && (size_t)n <= (len - off) / esz;
}

const char *meta_str(const RtMeta *m, bstap_str s)
{
	return s < m->strtab_len ? m->strtab + s : "";
}

int meta_parse(RtMeta *m, const void *blob, size_t len, char *err, size_t errlen)
{
	const struct bstap_meta_hdr *h = blob;
	memset(m, 0, sizeof *m);
	if (len < sizeof *h || memcmp(h->magic, BSTAP_META_MAGIC, 8) != 0) {
		snprintf(err, errlen, "not a bstap object (no %s section)", BSTAP_SEC_META);
		return -1;
	}
	if (h->abi_version != BSTAP_ABI_VERSION) {
		snprintf(err, errlen, "object has ABI version %u; this runtime reads version %u",
		         h->abi_version, BSTAP_ABI_VERSION);
		return -1;
	}
	const char *b = blob;
	if (!table_ok(len, h->probes_off, h->nprobes, sizeof(struct bstap_probe)) ||
	    !table_ok(len, h->formats_off, h->nformats, sizeof(struct bstap_format)) ||
	    !table_ok(len, h->fargs_off, h->nfargs, sizeof(struct bstap_farg)) ||
	    !table_ok(len, h->globals_off, h->nglobals, sizeof(struct bstap_global)) ||
	    !table_ok(len, h->srcpos_off, h->nsrcpos, sizeof(struct bstap_srcpos)) ||
	    !table_ok(len, h->errors_off, h->nerrors, sizeof(struct bstap_errsite)) ||
	    !table_ok(len, h->maps_off, h->nmaps, sizeof(struct bstap_map)) ||
	    !table_ok(len, h->uprogs_off, h->nuprogs, sizeof(struct bstap_uprog)) ||
	    !table_ok(len, h->insns_off, h->ninsns, sizeof(struct bpf_insn)) ||
	    !table_ok(len, h->lines_off, h->nlines, sizeof(uint32_t)) ||
	    !table_ok(len, h->strtab_off, h->strtab_len, 1) || h->strtab_len == 0 ||
	    b[h->strtab_off + h->strtab_len - 1] != 0) {
		snprintf(err, errlen, "corrupt %s section", BSTAP_SEC_META);
		return -1;
	}
	m->hdr = h;
	m->probes = (const void *)(b + h->probes_off);
	m->formats = (const void *)(b + h->formats_off);
	m->fargs = (const void *)(b + h->fargs_off);
	m->globals = (const void *)(b + h->globals_off);
	m->srcpos = (const void *)(b + h->srcpos_off);
	m->errors = (const void *)(b + h->errors_off);
	m->maps = (const void *)(b + h->maps_off);
	m->uprogs = (const void *)(b + h->uprogs_off);
	m->insns = (const void *)(b + h->insns_off);
	m->lines = (const void *)(b + h->lines_off);
	m->strtab = b + h->strtab_off;
	m->strtab_len = h->strtab_len;
	for (uint32_t i = 0; i < h->nformats; i++) {
		const struct bstap_format *f = &m->formats[i];
		if (f->farg0 > h->nfargs || f->nargs > h->nfargs - f->farg0)
			goto corrupt;
		for (uint32_t j = 0; j < f->nargs; j++) {
			const struct bstap_farg *a = &m->fargs[f->farg0 + j];
			if (a->off > f->size || a->size > f->size - a->off)
				goto corrupt;
		}
	}
	for (uint32_t i = 0; i < h->nglobals; i++) {
		const struct bstap_global *g = &m->globals[i];
		if (g->kind == BSTAP_GLOBAL_ARRAY || g->kind == BSTAP_GLOBAL_STATS) {
			if (g->nkeys > 9 || g->hist_buckets > 1024)
				goto corrupt;
		} else if (g->off > h->globals_size || g->size > h->globals_size - g->off) {
			goto corrupt;
		}
	}
	for (uint32_t i = 0; i < h->nuprogs; i++)
		if (m->uprogs[i].first > h->ninsns || m->uprogs[i].n > h->ninsns - m->uprogs[i].first)
			goto corrupt;
	for (uint32_t i = 0; i < h->nprobes; i++) {
		uint32_t k = m->probes[i].kind;
		bool user = k == BSTAP_PROBE_BEGIN || k == BSTAP_PROBE_END || k == BSTAP_PROBE_ERROR ||
		            (m->probes[i].flags & BSTAP_PF_USER);
		if (user && m->probes[i].uprog >= h->nuprogs)
			goto corrupt;
		if ((m->probes[i].flags & BSTAP_PF_USER) && (k != BSTAP_PROBE_TIMER || m->probes[i].arg <= 0))
			goto corrupt;
		if (m->probes[i].lines > h->nlines || m->probes[i].ninsns > h->nlines - m->probes[i].lines)
			goto corrupt;
	}
	for (uint32_t i = 0; i < h->nerrors; i++)
		if (m->errors[i].srcpos >= h->nsrcpos && m->errors[i].srcpos != UINT32_MAX)
			goto corrupt;
	return 0;
corrupt:
	snprintf(err, errlen, "corrupt %s section (bad table entry)", BSTAP_SEC_META);
	return -1;
}
