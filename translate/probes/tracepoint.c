/* tracepoint.c - kernel.trace("SYSTEM:EVENT"), with wildcards.
 *
 * Programs are BPF_PROG_TYPE_TRACEPOINT: the context is the raw trace
 * record, so $field reads ctx + offset with the offsets and sizes of the
 * tracefs format file.  No kernel headers are involved.  A body that
 * needs the tracepoint's typed arguments instead ($prev->comm) moves its
 * instance to tracepoint_btf.c. */
#include <linux/bpf.h>
#include <string.h>

#include "translate/sema.h"

static bool match_tp(const ProbePoint *pp)
{
	return pp->ncomps == 2 && !strcmp(pp->comps[0].name, "kernel") &&
	       !strcmp(pp->comps[1].name, "trace");
}

typedef struct {
	Session *s;
	ProbeInst *inst;
	void (*more)(Session *, ProbeInst *, const char *, void *);
	int n;
} Expand;

/* Each matching event becomes an instance of its own, in tracefs order,
 * named by its concrete "system:event" (what pp() returns). */
static void add_event(const char *system, const char *event, void *ctx)
{
	Expand *e = ctx;
	/* the format is read when a target variable needs it */
	TpFormat *fmt = tracefs_event(e->s, system, event);
	e->n++;
	e->more(e->s, e->inst, arena_printf(e->s->arena, "%s:%s", system, event), fmt);
}

static int resolve_tp(Session *s, ProbeInst *inst,
                      void (*more)(Session *, ProbeInst *, const char *, void *))
{
	if (inst->pdata) /* an instance made by the expansion below */
		return 0;
	const PPComp *c = &inst->pp->comps[1];
	if (!c->arg || c->arg->kind != AST_STR) {
		diag_at(DIAG_ERROR, "semantic error", &c->loc,
		        "kernel.trace needs a \"SYSTEM:EVENT\" argument");
		return -1;
	}
	const char *name = c->arg->str;
	Expand e = {s, inst, more, 0};
	int r = tracefs_list(s, name, add_event, &e);
	if (r < 0) {
		diag_at(DIAG_ERROR, "semantic error", &c->arg->loc,
		        "cannot read tracepoints from %s/events (is tracefs mounted?)", s->tracefs);
		return -1;
	}
	if (e.n == 0) {
		if (inst->pp->optional)
			return 1; /* '?': quietly no probe */
		diag_at(DIAG_ERROR, "semantic error", &c->arg->loc,
		        "no match for probe point: tracepoint '%s' not found", name);
		return -1;
	}
	return 1; /* every instance was made through more() */
}

static int target_tp(Session *s, ProbeInst *inst, Node *n, Access *acc)
{
	TpFormat *fmt = inst->pdata;
	if (!tracefs_fields(s, fmt)) {
		diag_at(DIAG_ERROR, "semantic error", &n->loc, "cannot read the format of tracepoint %s:%s",
		        fmt->system, fmt->event);
		return -1;
	}
	const TpField *f = tracefs_field(fmt, n->name);
	if (!f || f->is_common) {
		diag_at(DIAG_ERROR, "semantic error", &n->loc,
		        "unresolved target-symbol expression '$%s' in %s", n->name, inst->pp_text);
		char *list = NULL;
		for (int i = 0; i < fmt->nfields; i++)
			if (!fmt->fields[i].is_common)
				list = list ? arena_printf(s->arena, "%s $%s", list, fmt->fields[i].name)
				            : arena_printf(s->arena, "$%s", fmt->fields[i].name);
		diag_note(NULL, "the variables of this probe are: %s", list ? list : "(none)");
		return -1;
	}
	if (!tracefs_field_access(f, acc)) {
		diag_at(DIAG_ERROR, "semantic error", &n->loc,
		        "cannot read target variable '$%s' of type '%s'", n->name, f->ctype);
		return -1;
	}
	return 0;
}

static const char *tp_section(const ProbeInst *inst, Arena *a)
{
	const TpFormat *fmt = inst->pdata;
	return arena_printf(a, "tracepoint/%s/%s", fmt->system, fmt->event);
}

static const char *tp_attach(const ProbeInst *inst)
{
	const TpFormat *fmt = inst->pdata;
	/* system and event are arena strings; join them once per call */
	static char buf[512];
	snprintf(buf, sizeof buf, "%s:%s", fmt->system, fmt->event);
	return buf;
}

static const char *tp_vars(Session *s, const ProbeInst *inst)
{
	TpFormat *fmt = inst->pdata;
	char *out = "";
	if (!tracefs_fields(s, fmt))
		return out;
	for (int i = 0; i < fmt->nfields; i++) {
		const TpField *f = &fmt->fields[i];
		Access acc;
		if (f->is_common || !tracefs_field_access(f, &acc))
			continue;
		out = arena_printf(s->arena, "%s%s$%s:%s", out, *out ? " " : "", f->name,
		                   acc.kind == ACC_CTX_INT ? "long" : "string");
	}
	const char *args = tp_btf_more_vars(s, fmt);
	if (*args)
		out = arena_printf(s->arena, "%s%s%s", out, *out ? " " : "", args);
	return out;
}

/* $$vars / $$parms (the same here: a tracepoint's fields are its
 * parameters), $$vars$ and $$vars$$: "name=value" pairs as stap prints
 * them, numbers in hex, strings quoted in the $ forms.  Written as a
 * sprintf over the fields, so that the rest of the compiler sees code. */
static Node *tp_pretty(Session *s, ProbeInst *inst, Node *n)
{
	TpFormat *fmt = inst->pdata;
	const char *what = n->name + 1;
	if (strcmp(what, "vars") && strcmp(what, "parms") && strcmp(what, "locals")) {
		diag_at(DIAG_ERROR, "semantic error", &n->loc, "tracepoints have no '$%s'", n->name);
		return NULL;
	}
	if (!tracefs_fields(s, fmt)) {
		diag_at(DIAG_ERROR, "semantic error", &n->loc, "cannot read the format of tracepoint %s:%s",
		        fmt->system, fmt->event);
		return NULL;
	}
	Node *call = ast_new(s->arena, AST_CALL, n->loc);
	call->name = "sprintf";
	char *f = "";
	nodelist_add(s->arena, &call->args, NULL); /* the format, below */
	if (strcmp(what, "locals")) {
		for (int i = 0; i < fmt->nfields; i++) {
			const TpField *fl = &fmt->fields[i];
			Access acc;
			if (fl->is_common || !tracefs_field_access(fl, &acc))
				continue;
			bool str = acc.kind != ACC_CTX_INT;
			const char *conv = str ? (n->pretty ? "\"%s\"" : "%s") : "0x%x";
			f = arena_printf(s->arena, "%s%s%s=%s", f, *f ? " " : "", fl->name, conv);
			Node *t = ast_new(s->arena, AST_TARGET, n->loc);
			t->name = fl->name;
			nodelist_add(s->arena, &call->args, t);
		}
	}
	call->args.v[0] = ast_str(s->arena, f, strlen(f), n->loc);
	return call;
}

const Provider provider_tracepoint = {
	.name = "kernel.trace", .matches = match_tp, .resolve = resolve_tp, .target = target_tp,
	.abi_kind = BSTAP_PROBE_TRACEPOINT, .prog_type = BPF_PROG_TYPE_TRACEPOINT,
	.section = tp_section, .attach_target = tp_attach, .list_vars = tp_vars, .pretty = tp_pretty,
	.specialise = tp_btf_choose,
};
