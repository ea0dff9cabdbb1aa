/* compile.c - pass 3 and 4's driver: lay out globals, lower each probe,
 * allocate registers, emit BPF, and describe the maps and probes of the
 * object.  The whole back end reads top to bottom in cg_compile(). */
#include <string.h>

#include "codegen/lower.h"

int cg_srcpos(CgObject *o, const SrcLoc *loc)
{
	if (!loc || loc->file < 0)
		return -1;
	/* consecutive instructions share positions: reuse the last one */
	if (o->nsrcpos && o->srcpos[o->nsrcpos - 1].file == loc->file &&
	    o->srcpos[o->nsrcpos - 1].line == loc->line && o->srcpos[o->nsrcpos - 1].col == loc->col)
		return o->nsrcpos - 1;
	o->srcpos = arena_grow(o->a, o->srcpos, &o->capsrcpos, o->nsrcpos + 1, sizeof *o->srcpos);
	o->srcpos[o->nsrcpos] = *loc;
	return o->nsrcpos++;
}

int cg_errsite(CgObject *o, const char *msg, const char *near, const SrcLoc *loc)
{
	o->errs = arena_grow(o->a, o->errs, &o->caperrs, o->nerrs + 1, sizeof *o->errs);
	o->errs[o->nerrs] = (CgErrSite){ msg, near ? near : "", *loc };
	return o->nerrs++;
}

/* Globals go after the runtime's own words in the data map. */
static void *layout_globals(Session *s, CgObject *o)
{
	uint32_t off = BSTAP_DATA_GLOBALS;
	uint32_t cap = (uint32_t)((s->maxstringlen + 7) & ~7);
	for (Symbol *g = s->globals; g; g = g->next) {
		if (g->is_array || g->type == TY_STATS)
			continue;
		g->index = (int)off;
		off += g->type == TY_STRING ? cap : 8;
	}
	o->data_size = off;
	char *init = arena_alloc(o->a, off);
	for (Symbol *g = s->globals; g; g = g->next) {
		Node *v = g->decl ? g->decl->init : NULL;
		if (!v || g->is_array)
			continue;
		if (v->kind == AST_NUM)
			memcpy(init + g->index, &v->num, 8);
		else if (v->kind == AST_STR)
			memcpy(init + g->index, v->str, v->slen < cap - 1 ? v->slen : cap - 1);
	}
	return init;
}

int cg_add_map(CgObject *o, ElfMap m)
{
	o->maps = arena_grow(o->a, o->maps, &o->capmaps, o->nmaps + 1, sizeof *o->maps);
	o->maps[o->nmaps] = m;
	return o->nmaps++;
}

/* Each array is a hash map; sym->index is its map's index. */
static void layout_arrays(Session *s, CgObject *o)
{
	uint32_t cap = (uint32_t)((s->maxstringlen + 7) & ~7);
	for (Symbol *g = s->globals; g; g = g->next) {
		bool stats = g->type == TY_STATS;
		uint32_t vsize = stats ? 8u * (uint32_t)(BSTAP_STAT_HIST + lower_stat_buckets(g))
		                       : g->type == TY_STRING ? cap : 8;
		if (stats && !g->is_array) {
			/* a scalar statistic: one per-CPU slot */
			g->index = cg_add_map(o, (ElfMap){ .name = g->name, .kind = ELF_MAP_BTF,
			                                   .type = BPF_MAP_TYPE_PERCPU_ARRAY, .key_size = 4,
			                                   .value_size = vsize, .max_entries = 1 });
			continue;
		}
		if (!g->is_array)
			continue;
		uint32_t ksize = 0;
		for (int i = 0; i < g->nkeys; i++)
			ksize += g->keytypes[i] == TY_STRING ? cap : 8;
		int64_t max = g->decl && g->decl->size > 0 ? g->decl->size : s->maxmapentries;
		g->index = cg_add_map(o, (ElfMap){ .name = g->name, .kind = ELF_MAP_BTF,
		                                   .type = stats ? BPF_MAP_TYPE_PERCPU_HASH : BPF_MAP_TYPE_HASH,
		                                   .key_size = ksize, .value_size = vsize,
		                                   .max_entries = (uint32_t)max });
	}
}

bool cg_is_user_probe(const ProbeInst *inst)
{
	return inst->in_user;
}

/* Does n (or a function it calls) do what only user space can: a foreach,
 * deleting a whole array, reading a statistic? */
static bool needs_user(const Node *n, int depth)
{
	if (!n || depth > 64)
		return false;
	switch ((int)n->kind) { /* only a few kinds matter here */
	case AST_FOREACH: case AST_STAT:
		return true;
	case AST_DELETE:
		if (n->lhs && n->lhs->kind == AST_VAR && n->lhs->sym && n->lhs->sym->is_array)
			return true;
		break;
	case AST_CALL:
		if (n->func && n->func->fn->body && needs_user(n->func->fn->body, depth + 1))
			return true;
		break;
	default:
		break;
	}
	const Node *kids[] = { n->lhs, n->rhs, n->cond, n->init, n->step, n->then, n->els, n->value, n->limit };
	for (size_t i = 0; i < sizeof kids / sizeof kids[0]; i++)
		if (needs_user(kids[i], depth + 1))
			return true;
	for (int i = 0; i < n->args.n; i++)
		if (needs_user(n->args.v[i], depth + 1))
			return true;
	for (int i = 0; i < n->body.n; i++)
		if (needs_user(n->body.v[i], depth + 1))
			return true;
	return false;
}

/* begin, end and error run in user space; so does a timer on one CPU whose
 * body needs user space (the periodic report: foreach, then delete) -- in
 * the kernel it could not be compiled at all. */
static bool runs_in_user(ProbeInst *inst)
{
	uint32_t k = inst->prov->abi_kind;
	if (k == BSTAP_PROBE_BEGIN || k == BSTAP_PROBE_END || k == BSTAP_PROBE_ERROR)
		return true;
	if (k == BSTAP_PROBE_TIMER && strstr(inst->prov->attach_target(inst), "cpus=one"))
		return needs_user(inst->body, 0);
	return false;
}

/* A user-space probe's bytecode goes into the metadata, its map references
 * in the kernel's index forms (the executor resolves them, not libbpf). */
static uint32_t add_uprog(CgObject *o, const ElfProg *p)
{
	for (int i = 0; i < p->nrelocs; i++) {
		struct bpf_insn *in = &p->insns[p->relocs[i].insn];
		int m = p->relocs[i].map;
		if (o->maps[m].kind == ELF_MAP_DATA) {
			in[0].src_reg = BPF_PSEUDO_MAP_IDX_VALUE;
			in[1].imm = in[0].imm;
		} else {
			in[0].src_reg = BPF_PSEUDO_MAP_IDX;
		}
		in[0].imm = m;
	}
	uint32_t first = (uint32_t)o->nuinsns;
	o->uinsns = arena_grow(o->a, o->uinsns, &o->capuinsns, o->nuinsns + p->ninsns, sizeof *o->uinsns);
	memcpy(o->uinsns + o->nuinsns, p->insns, sizeof *p->insns * (size_t)p->ninsns);
	o->nuinsns += p->ninsns;
	o->uprogs = arena_grow(o->a, o->uprogs, &o->capuprogs, o->nuprogs + 1, sizeof *o->uprogs);
	o->uprogs[o->nuprogs] = (struct bstap_uprog){ first, (uint32_t)p->ninsns };
	return (uint32_t)o->nuprogs++;
}

int cg_compile(Session *s, CgObject *o)
{
	memset(o, 0, sizeof *o);
	o->s = s;
	o->a = s->arena;
	o->map_rodata = -1;
	void *init = layout_globals(s, o);
	/* the ring buffer's pages are all mapped into the runtime at once (they
	 * count as its memory): 1 MiB by default (-s raises it at run time),
	 * one page when only user-space probes send records */
	o->map_events = cg_add_map(o, (ElfMap){ .name = BSTAP_MAP_EVENTS, .kind = ELF_MAP_BTF,
	                                     .type = BPF_MAP_TYPE_RINGBUF, .max_entries = 1u << 20 });
	o->map_data = cg_add_map(o, (ElfMap){ .name = BSTAP_SEC_DATA, .kind = ELF_MAP_DATA,
	                                   .value_size = o->data_size, .max_entries = 1, .init = init });
	o->map_scratch = cg_add_map(o, (ElfMap){ .name = BSTAP_MAP_SCRATCH, .kind = ELF_MAP_BTF,
	                                      .type = BPF_MAP_TYPE_PERCPU_ARRAY, .key_size = 4,
	                                      .max_entries = 1 });
	layout_arrays(s, o);

	o->progs = arena_alloc(o->a, sizeof *o->progs * (size_t)(s->nprobes + 1));
	o->probes = arena_alloc(o->a, sizeof *o->probes * (size_t)(s->nprobes + 1));
	o->probe_strs = arena_alloc(o->a, sizeof(char *) * 3 * (size_t)(s->nprobes + 1));
	for (int i = 0; i < s->nprobes; i++) {
		ProbeInst *inst = s->probes[i];
		const Provider *prov = inst->prov;
		if (!prov->abi_kind)
			continue; /* never */
		const char *name = arena_printf(o->a, "probe_%d", i);
		inst->in_user = runs_in_user(inst);
		IrFunc *f = lower_probe(o, inst, name);
		if (!f)
			continue;
		ir_prune(f);
		if (s->verbose >= 4)
			ir_dump(stderr, f);
		if (ra_allocate(f, &inst->pp->loc) < 0)
			continue;
		ElfProg *p = &o->progs[o->nprogs];
		if (bpf_emit(f, p, o->a, &inst->pp->loc) < 0)
			continue;
		p->name = name;
		p->section = prov->section(inst, o->a);
		int k = o->nprobes++;
		o->probes[k] = (struct bstap_probe){ .kind = prov->abi_kind, .arg = inst->order,
		                                     .flags = inst->pp->optional ? BSTAP_PF_OPTIONAL : 0 };
		if (cg_is_user_probe(inst)) {
			o->probes[k].uprog = add_uprog(o, p);
			if (prov->abi_kind == BSTAP_PROBE_TIMER)
				o->probes[k].flags |= BSTAP_PF_USER;
			name = "";
		} else {
			o->nprogs++;
		}
		o->probe_strs[3 * k] = name;
		o->probe_strs[3 * k + 1] = arena_strdup(o->a, prov->attach_target(inst));
		o->probe_strs[3 * k + 2] = inst->pp_text;
	}
	if (o->nprogs == 0)
		o->maps[o->map_events].max_entries = 4096;
	if (o->map_rodata >= 0) {
		o->maps[o->map_rodata].value_size = o->rodata_len;
		o->maps[o->map_rodata].init = o->rodata;
	}
	if (o->scratch_size == 0)
		o->scratch_size = 8;
	o->maps[o->map_scratch].value_size = o->scratch_size;
	if (o->scratch_size > 32768) {
		diag_at(DIAG_ERROR, "error", NULL,
		        "probes need %u bytes of string space per CPU (limit 32768): lower MAXSTRINGLEN",
		        o->scratch_size);
	}
	return diag_errors() ? -1 : 0;
}
