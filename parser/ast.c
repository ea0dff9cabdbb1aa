/* ast.c - building, copying and naming AST nodes.
 *
 * Every constructor takes the node's location (the representative token:
 * the operator of a binary expression, the keyword of a statement), so each
 * later diagnostic can point somewhere.  Nodes live in the caller's arena. */
#include <string.h>

#include "parser/parse.h"

void nodelist_add(Arena *a, NodeList *l, Node *n)
{
	l->v = arena_grow(a, l->v, &l->cap, l->n + 1, sizeof *l->v);
	l->v[l->n++] = n;
}

const char *type_name(TypeKind t)
{
	switch (t) {
	case TY_UNKNOWN: return "unknown";
	case TY_LONG: return "long";
	case TY_STRING: return "string";
	case TY_STATS: return "stats";
	case TY_VOID: return "void";
	}
	return "?";
}

const char *op_spelling(OpKind op)
{
	switch (op) {
	case OP_NONE: return "";
	case OP_ADD: return "+";
	case OP_SUB: return "-";
	case OP_MUL: return "*";
	case OP_DIV: return "/";
	case OP_MOD: return "%";
	case OP_SHL: return "<<";
	case OP_SHR: return ">>";
	case OP_BAND: return "&";
	case OP_BOR: return "|";
	case OP_BXOR: return "^";
	case OP_CONCAT: return ".";
	case OP_EQ: return "==";
	case OP_NE: return "!=";
	case OP_LT: return "<";
	case OP_LE: return "<=";
	case OP_GT: return ">";
	case OP_GE: return ">=";
	case OP_NEG: return "-";
	case OP_PLUS: return "+";
	case OP_NOT: return "!";
	case OP_BNOT: return "~";
	case OP_ASSIGN: return "=";
	case OP_ADD_ASSIGN: return "+=";
	case OP_SUB_ASSIGN: return "-=";
	case OP_MUL_ASSIGN: return "*=";
	case OP_DIV_ASSIGN: return "/=";
	case OP_MOD_ASSIGN: return "%=";
	case OP_SHL_ASSIGN: return "<<=";
	case OP_SHR_ASSIGN: return ">>=";
	case OP_AND_ASSIGN: return "&=";
	case OP_OR_ASSIGN: return "|=";
	case OP_XOR_ASSIGN: return "^=";
	case OP_CONCAT_ASSIGN: return ".=";
	case OP_AGG: return "<<<";
	case OP_INC: return "++";
	case OP_DEC: return "--";
	case OP_MATCH: return "=~";
	case OP_NOMATCH: return "!~";
	}
	return "?";
}

Node *ast_new(Arena *a, AstKind kind, SrcLoc loc)
{
	Node *n = arena_alloc(a, sizeof *n);
	n->kind = kind;
	n->loc = loc;
	return n;
}

Node *ast_num(Arena *a, int64_t v, SrcLoc loc)
{
	Node *n = ast_new(a, AST_NUM, loc);
	n->num = v;
	return n;
}

/* The bytes are copied (and NUL-terminated) into the arena. */
Node *ast_str(Arena *a, const char *s, size_t len, SrcLoc loc)
{
	Node *n = ast_new(a, AST_STR, loc);
	n->str = arena_strndup(a, s, len);
	n->slen = len;
	return n;
}

Node *ast_var(Arena *a, const char *name, SrcLoc loc)
{
	Node *n = ast_new(a, AST_VAR, loc);
	n->name = name;
	return n;
}

Node *ast_unary(Arena *a, AstKind kind, OpKind op, Node *lhs, SrcLoc loc)
{
	Node *n = ast_new(a, kind, loc);
	n->op = op;
	n->lhs = lhs;
	return n;
}

Node *ast_binary(Arena *a, AstKind kind, OpKind op, Node *lhs, Node *rhs, SrcLoc loc)
{
	Node *n = ast_new(a, kind, loc);
	n->op = op;
	n->lhs = lhs;
	n->rhs = rhs;
	return n;
}

bool ast_walk(Node *n, AstWalk (*fn)(Node *n, void *ctx), void *ctx)
{
	if (!n)
		return false;
	AstWalk w = fn(n, ctx);
	if (w != AST_DESCEND)
		return w == AST_STOP;
	Node *kids[] = { n->lhs, n->rhs, n->cond, n->init, n->step, n->then, n->els, n->value, n->limit };
	for (size_t i = 0; i < sizeof kids / sizeof kids[0]; i++)
		if (ast_walk(kids[i], fn, ctx))
			return true;
	for (int i = 0; i < n->args.n; i++)
		if (ast_walk(n->args.v[i], fn, ctx))
			return true;
	for (int i = 0; i < n->body.n; i++)
		if (ast_walk(n->body.v[i], fn, ctx))
			return true;
	for (int i = 0; i < n->ncomps; i++)
		if (ast_walk(n->comps[i].index, fn, ctx))
			return true;
	return false;
}

static void clone_list(Arena *a, NodeList *dst, const NodeList *src)
{
	*dst = (NodeList){0};
	for (int i = 0; i < src->n; i++)
		nodelist_add(a, dst, ast_clone(a, src->v[i]));
}

/* Children, lists and target chains are copied; strings are shared (they
 * are immutable) and so are the annotations of later passes (sym, func,
 * aux), which a pass re-resolving the copy overwrites. */
Node *ast_clone(Arena *a, const Node *n)
{
	if (!n)
		return NULL;
	Node *c = arena_alloc(a, sizeof *c);
	*c = *n;
	c->lhs = ast_clone(a, n->lhs);
	c->rhs = ast_clone(a, n->rhs);
	c->cond = ast_clone(a, n->cond);
	c->init = ast_clone(a, n->init);
	c->step = ast_clone(a, n->step);
	c->then = ast_clone(a, n->then);
	c->els = ast_clone(a, n->els);
	c->value = ast_clone(a, n->value);
	c->limit = ast_clone(a, n->limit);
	clone_list(a, &c->args, &n->args);
	clone_list(a, &c->body, &n->body);
	if (n->ncomps > 0) {
		c->comps = arena_alloc(a, (size_t)n->ncomps * sizeof *c->comps);
		for (int i = 0; i < n->ncomps; i++) {
			c->comps[i] = n->comps[i];
			c->comps[i].index = ast_clone(a, n->comps[i].index);
		}
	}
	return c;
}
