/* entry.c - @entry(expr) in .return probes.
 *
 * A return probe cannot see what was true at the function's entry, so each
 * @entry(e) becomes a hidden global array keyed by thread id: a companion
 * probe on the entry point stores e there (evaluated in the entry's
 * context, where the parameters are), and the return probe reads it in
 * place of @entry(e) and deletes it at the end of its body.  Written as
 * SystemTap AST, so every later pass treats it like the user's code.
 *
 * Requires: a probe instance whose body is not bound yet.  Provides: the
 * rewritten body, the companion instance (through `make`), the globals. */
#include <linux/bpf.h>
#include <string.h>

#include "translate/sema.h"

typedef struct Uses {
	Arena *a;
	NodeList *out;
} Uses;

static AstWalk collect(Node *n, void *ctx)
{
	if (n->kind != AST_ENTRY)
		return AST_DESCEND;
	Uses *u = ctx;
	nodelist_add(u->a, u->out, n);
	return AST_SKIP; /* @entry inside @entry is evaluated at entry anyway */
}

static Node *call0(Arena *a, const char *name, SrcLoc loc)
{
	Node *c = ast_new(a, AST_CALL, loc);
	c->name = name;
	return c;
}

/* name[tid()], or name[tid(), __bstap_frame()] for function probes, whose
 * stack pointer tells recursive calls apart: it points at the return
 * address at entry and is 8 bytes higher after the return (x86-64). */
static Node *slot(Arena *a, const char *name, SrcLoc loc, bool framed)
{
	Node *idx = ast_new(a, AST_INDEX, loc);
	idx->lhs = ast_var(a, name, loc);
	nodelist_add(a, &idx->args, call0(a, "tid", loc));
	if (framed)
		nodelist_add(a, &idx->args, call0(a, "__bstap_frame", loc));
	return idx;
}

static Node *stmt_of(Arena *a, Node *e)
{
	Node *st = ast_new(a, AST_EXPR_STMT, e->loc);
	st->lhs = e;
	return st;
}

static bool is_return_point(const ProbePoint *pp)
{
	return pp->ncomps >= 2 && !strcmp(pp->comps[pp->ncomps - 1].name, "return");
}

/* In a .return probe, a target variable other than $return means its value
 * at entry (stap's rule): $x becomes @entry($x). */
static AstWalk implicit_entry(Node *n, void *ctx)
{
	if (n->kind == AST_ENTRY)
		return AST_SKIP;
	if (n->kind == AST_TARGET && strcmp(n->name, "return") && n->name[0] != '$') {
		Node *inner = arena_alloc(ctx, sizeof *inner);
		*inner = *n;
		Node wrap = { .kind = AST_ENTRY, .loc = n->loc, .type = TY_UNKNOWN, .lhs = inner };
		*n = wrap;
		return AST_SKIP;
	}
	return AST_DESCEND;
}

int entry_split(Session *s, ProbeInst *inst,
                int (*make)(Session *, ProbeInst *like, ProbePoint *pp, Node *body))
{
	Arena *a = s->arena;
	NodeList uses = {0};
	if (is_return_point(inst->pp) && inst->prov->target_exprs)
		ast_walk(inst->body, implicit_entry, a);
	ast_walk(inst->body, collect, &(Uses){ a, &uses });
	if (!uses.n)
		return 0;
	const ProbePoint *pp = inst->pp;
	if (!is_return_point(pp)) {
		diag_at(DIAG_ERROR, "semantic error", &uses.v[0]->loc,
		        "@entry is only meaningful in a .return probe");
		return -1;
	}
	/* the entry point: the same point without its .return; a function
	 * probe's as .call, the real entry (not where it is inlined, which
	 * never returns) */
	bool framed = inst->prov->prog_type == BPF_PROG_TYPE_KPROBE; /* pt_regs context */
	ProbePoint *epp = arena_alloc(a, sizeof *epp);
	*epp = *pp;
	if (framed) {
		epp->comps = arena_alloc(a, sizeof(PPComp) * (size_t)pp->ncomps);
		memcpy(epp->comps, pp->comps, sizeof(PPComp) * (size_t)pp->ncomps);
		epp->comps[pp->ncomps - 1].name = "call";
	} else {
		epp->ncomps--;
	}
	epp->next = NULL;
	epp->cond = NULL;
	Node *ebody = ast_new(a, AST_BLOCK, inst->body->loc);
	Node *cleanup = ast_new(a, AST_BLOCK, inst->body->loc);
	for (int i = 0; i < uses.n; i++) {
		Node *use = uses.v[i];
		Global *g = arena_alloc(a, sizeof *g);
		g->name = arena_printf(a, "__entry_%d_%d", s->nprobes, i);
		g->is_array = true;
		g->loc = use->loc;
		sema_add_global(s, g);
		/* at entry: __entry_N_i[tid()] = e */
		Node *set = ast_new(a, AST_ASSIGN, use->loc);
		set->op = OP_ASSIGN;
		set->lhs = slot(a, g->name, use->loc, framed);
		set->rhs = use->lhs;
		nodelist_add(a, &ebody->body, stmt_of(a, set));
		/* at return: the saved value, then forget it */
		Node *read = slot(a, g->name, use->loc, framed);
		*use = *read;
		Node *del = ast_new(a, AST_DELETE, use->loc);
		del->lhs = slot(a, g->name, use->loc, framed);
		nodelist_add(a, &cleanup->body, del);
	}
	Node *body = ast_new(a, AST_BLOCK, inst->body->loc);
	nodelist_add(a, &body->body, inst->body);
	nodelist_add(a, &body->body, cleanup);
	inst->body = body;
	return make(s, inst, epp, ebody);
}
