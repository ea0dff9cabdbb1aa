/* tracepoint_btf.c - kernel.trace("SYS:EVENT") with the tracepoint's typed
 * arguments, as SystemTap gives them: $prev and $next of sched_switch are
 * struct task_struct pointers, so $next->comm and $prev->se.vruntime work.
 *
 * The trace record (tracepoint.c) has only what the event chose to copy;
 * the arguments of the tracepoint call (its TP_PROTO) are richer.  They
 * reach a raw tracepoint program (BPF_PROG_TYPE_RAW_TRACEPOINT) as an
 * array of u64, and their names and types are in the kernel's BTF: the
 * prototype of __traceiter_EVENT (or __probestub_EVENT, __bpf_trace_EVENT)
 * is (void *__data, ARGS...).  Member chains are read from kernel memory
 * as for kernel.function (btf_chain).
 *
 * tracepoint.c keeps an event on the record unless the probe's body needs
 * more: a target variable that is not a field of the record, or a member
 * chain.  Then the instance is moved here (tp_btf_choose), and every
 * target variable of the body must be an argument; a probe cannot mix the
 * two, since a raw tracepoint never sees the record.  Only vmlinux's
 * tracepoints are known; a module's stay on the record.
 *
 * Probe table: BSTAP_PROBE_RAW_TRACEPOINT, target "EVENT". */
#include <linux/bpf.h>
#include <string.h>

#include <bpf/btf.h>

#include "translate/sema.h"

#define TPB_MAX_ARGS 12      /* a raw tracepoint's context holds 12 u64 */

typedef struct TpBtf {
	TpFormat *fmt;            /* the event (section, attach name) */
	const struct btf *btf;
	BtfParam args[TPB_MAX_ARGS];
	int nargs;
	const Node *why;          /* the target variable that needed arguments */
} TpBtf;

/* The arguments of tracepoint `event` from vmlinux's BTF: false when it
 * has none there (a module's, or a syscall event, which has no
 * tracepoint of its own). */
static bool find_args(Session *s, const char *event, TpBtf *d)
{
	static const char *const prefixes[] = {"__traceiter_", "__probestub_", "__bpf_trace_"};
	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
		char name[256];
		snprintf(name, sizeof name, "%s%s", prefixes[i], event);
		int32_t id = btf_find_func(s, NULL, name, &d->btf);
		BtfParam p[TPB_MAX_ARGS + 1];
		int32_t ret;
		int n = id > 0 ? btf_func_proto(d->btf, id, p, TPB_MAX_ARGS + 1, &ret) : -1;
		if (n < 1 || n > TPB_MAX_ARGS + 1)
			continue;
		d->nargs = n - 1; /* without __data */
		memcpy(d->args, p + 1, sizeof *p * (size_t)d->nargs);
		return true;
	}
	return false;
}

static const BtfParam *find_arg(const TpBtf *d, const char *name)
{
	for (int i = 0; i < d->nargs; i++)
		if (!strcmp(d->args[i].name, name))
			return &d->args[i];
	return NULL;
}

/* A field of the event's own (not common_*) */
static bool is_field(const TpFormat *fmt, const char *name)
{
	const TpField *f = tracefs_field(fmt, name);
	return f && !f->is_common;
}

typedef struct Scan {
	const TpFormat *fmt;
	const TpBtf *d;           /* NULL: only look for what the record lacks */
	const Node *beyond;       /* first target the record cannot give */
	const Node *why;          /* first of those that is an argument */
} Scan;

static AstWalk scan_target(Node *n, void *ctx)
{
	Scan *sc = ctx;
	if (n->kind != AST_TARGET || n->name[0] == '$' || !strcmp(n->name, "return") ||
	    !(n->ncomps || n->addr_of || !is_field(sc->fmt, n->name)))
		return AST_DESCEND;
	if (!sc->beyond)
		sc->beyond = n;
	if (!sc->d)
		return AST_STOP;
	/* a name neither has is the record's to report (or @defined's) */
	if (!sc->why && find_arg(sc->d, n->name))
		sc->why = n;
	return AST_DESCEND;
}

static AstWalk any_target(Node *n, void *ctx)
{
	if (n->kind != AST_TARGET)
		return AST_DESCEND;
	*(bool *)ctx = true;
	return AST_STOP;
}

void tp_btf_choose(Session *s, ProbeInst *inst)
{
	TpFormat *fmt = inst->pdata;
	bool any = false;
	/* the format is read only when the body names a variable, and BTF
	 * only when the record cannot give one of them */
	if (!inst->body || (ast_walk(inst->body, any_target, &any), !any) || !tracefs_fields(s, fmt))
		return;
	Scan sc = { fmt, NULL, NULL, NULL };
	ast_walk(inst->body, scan_target, &sc);
	if (!sc.beyond)
		return;
	TpBtf *d = arena_alloc(s->arena, sizeof *d);
	if (!find_args(s, fmt->event, d))
		return;
	sc.d = d;
	ast_walk(inst->body, scan_target, &sc);
	if (!sc.why)
		return;
	d->fmt = fmt;
	d->why = sc.why;
	inst->prov = &provider_tracepoint_btf;
	inst->pdata = d;
}

/* -L: the arguments that the record does not have under the same name. */
const char *tp_btf_more_vars(Session *s, TpFormat *fmt)
{
	TpBtf d;
	char *out = "";
	if (!find_args(s, fmt->event, &d))
		return out;
	for (int i = 0; i < d.nargs; i++)
		if (*d.args[i].name && !is_field(fmt, d.args[i].name))
			out = arena_printf(s->arena, "%s%s$%s:%s", out, *out ? " " : "", d.args[i].name,
			                   btf_type_str(d.btf, d.args[i].type, s->arena));
	return out;
}

/* ------------------------------------------------------------ $variables */

static const char *arg_list(Session *s, const TpBtf *d)
{
	char *out = "";
	for (int i = 0; i < d->nargs; i++)
		out = arena_printf(s->arena, "%s%s$%s", out, *out ? " " : "", d->args[i].name);
	return *out ? out : "(none)";
}

static int target_tpb(Session *s, ProbeInst *inst, Node *n, Access *acc)
{
	const TpBtf *d = inst->pdata;
	if (n->pretty || n->name[0] == '$') {
		diag_at(DIAG_ERROR, "semantic error", &n->loc,
		        "'$%s%s' is not supported with a tracepoint's typed arguments yet", n->name,
		        n->pretty == 2 ? "$$" : n->pretty ? "$" : "");
		return -1;
	}
	const BtfParam *a = find_arg(d, n->name);
	if (!a && (n->ncomps || n->addr_of) && is_field(d->fmt, n->name)) {
		/* a member or element of a record's field ($prev_comm[0]) */
		diag_at(DIAG_ERROR, "semantic error", &n->loc,
		        "'$%s' is a field of the event's record: its members and elements are not supported", n->name);
		diag_note(NULL, "the tracepoint's arguments, which have them, are: %s", arg_list(s, d));
		return -1;
	}
	if (!a) {
		diag_at(DIAG_ERROR, "semantic error", &n->loc, "unresolved target-symbol expression '$%s' in %s", n->name,
		        inst->pp_text);
		if (is_field(d->fmt, n->name))
			diag_note(&d->why->loc,
			          "'$%s' is a field of the event's record, but '$%s' here needs the tracepoint's arguments, "
			          "and one probe cannot read both", n->name, d->why->name);
		diag_note(NULL, "the arguments of this tracepoint are: %s", arg_list(s, d));
		return -1;
	}
	acc->off = (int)(a - d->args) * 8; /* the u64 slots of a raw tracepoint */
	return btf_ctx_value(s, d->btf, a->type, n, acc);
}

static const char *tpb_section(const ProbeInst *inst, Arena *a)
{
	const TpBtf *d = inst->pdata;
	return arena_printf(a, "raw_tracepoint/%s", d->fmt->event);
}

static const char *tpb_attach(const ProbeInst *inst)
{
	const TpBtf *d = inst->pdata;
	return d->fmt->event;
}

static const char *tpb_vars(Session *s, const ProbeInst *inst)
{
	const TpBtf *d = inst->pdata;
	char *out = "";
	for (int i = 0; i < d->nargs; i++)
		out = arena_printf(s->arena, "%s%s$%s:%s", out, *out ? " " : "", d->args[i].name,
		                   btf_type_str(d->btf, d->args[i].type, s->arena));
	return out;
}

const Provider provider_tracepoint_btf = {
	.name = "kernel.trace", .resolve = NULL, .target = target_tpb,
	.abi_kind = BSTAP_PROBE_RAW_TRACEPOINT, .prog_type = BPF_PROG_TYPE_RAW_TRACEPOINT,
	.section = tpb_section, .attach_target = tpb_attach, .list_vars = tpb_vars, .target_exprs = true,
};
