/* elide.c - what a probe alias's prologue keeps: the statements that give
 * the variables the rest of the probe uses, and those they use in turn.
 *
 * SystemTap elides assignments to locals nothing reads.  Here it matters
 * beyond speed: a kernel.trace probe whose prologue reads a tracepoint's
 * typed arguments runs as a raw tracepoint (tracepoint_btf.c) and reads
 * kernel memory for each member, so a probe that uses two of an alias's
 * variables should pay for two.  Used for the prologues of the tapsets'
 * aliases (resolve.c, before the provider chooses its program) and for
 * the syscall prologues (probes/syscall.c).  Statements that assign
 * nothing (`if (...) next`) are kept, as is any statement assigning a
 * variable the probe names. */
#include <string.h>

#include "translate/sema.h"

bool names_has(const Names *ns, const char *name)
{
	for (int i = 0; i < ns->n; i++)
		if (!strcmp(ns->v[i], name))
			return true;
	return false;
}

void names_add(Arena *a, Names *ns, const char *name)
{
	if (names_has(ns, name))
		return;
	ns->v = arena_grow(a, ns->v, &ns->cap, ns->n + 1, sizeof *ns->v);
	ns->v[ns->n++] = name;
}

AstWalk elide_note_use(Node *n, void *ctx)
{
	VarUses *u = ctx;
	if (n->kind == AST_VAR)
		names_add(u->a, &u->vars, n->name);
	else if (n->kind == AST_TARGET)
		/* $return is the same in every call */
		u->targets |= strcmp(n->name, "return") || n->ncomps || n->addr_of || n->pretty;
	else if (n->kind == AST_CAST || n->kind == AST_ATVAR || n->kind == AST_ENTRY || n->kind == AST_DEFINED ||
	         n->kind == AST_PROBEWRITE)
		u->targets = true;
	return AST_DESCEND;
}

AstWalk elide_note_assigned(Node *n, void *ctx)
{
	VarUses *u = ctx;
	if ((n->kind == AST_ASSIGN || n->kind == AST_INCDEC) && n->lhs && n->lhs->kind == AST_VAR)
		names_add(u->a, &u->vars, n->lhs->name);
	return AST_DESCEND;
}

bool elide_script_global(Session *s, const char *name)
{
	for (Global *g = s->user ? s->user->globals : NULL; g; g = g->next)
		if (!strcmp(g->name, name))
			return true;
	return false;
}

Node *elide_prologue(Session *s, const Node *prologue, const Names *need_in)
{
	Names need = { 0 };
	for (int i = 0; i < need_in->n; i++)
		names_add(s->arena, &need, need_in->v[i]);
	int n = prologue->body.n;
	bool *keep = arena_alloc(s->arena, sizeof *keep * (size_t)(n + 1));
	for (int i = n - 1; i >= 0; i--) {
		Node *st = prologue->body.v[i];
		VarUses set = { s->arena, { 0 }, false };
		ast_walk(st, elide_note_assigned, &set);
		bool wanted = set.vars.n == 0; /* side effects only: keep */
		for (int j = 0; j < set.vars.n && !wanted; j++)
			wanted = names_has(&need, set.vars.v[j]);
		if (!wanted)
			continue;
		keep[i] = true;
		VarUses used = { s->arena, { 0 }, false };
		ast_walk(st, elide_note_use, &used);
		for (int j = 0; j < used.vars.n; j++)
			names_add(s->arena, &need, used.vars.v[j]);
	}
	Node *blk = ast_new(s->arena, AST_BLOCK, prologue->loc);
	for (int i = 0; i < n; i++)
		if (keep[i])
			nodelist_add(s->arena, &blk->body, ast_clone(s->arena, prologue->body.v[i]));
	return blk;
}

Node *elide_alias(Session *s, const Node *prologue, Node *rest)
{
	if (prologue->kind != AST_BLOCK)
		return ast_clone(s->arena, prologue);
	VarUses uses = { s->arena, { 0 }, false };
	ast_walk(rest, elide_note_use, &uses);
	/* a prologue's variable named like a global of the script is that
	 * global, which other probes may read */
	for (Global *g = s->user ? s->user->globals : NULL; g; g = g->next)
		names_add(s->arena, &uses.vars, g->name);
	return elide_prologue(s, prologue, &uses.vars);
}
