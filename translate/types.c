/* types.c - type inference over the whole program.
 *
 * Types flow both ways (stap's rules): literals, operators, target
 * variables, printf conversions, function returns and declared types decide
 * the type of variables and function parameters.  The walk repeats until
 * nothing changes (a fixpoint, no iteration cap needed: types only go from
 * unknown to known), then one last walk reports mismatches with both
 * locations and whatever is still unknown.
 *
 * Requires: resolve.c's bindings.  Provides: Node.type, Symbol.type,
 * FuncDecl.ret. */
#include <string.h>

#include "runtime/rt.h"
#include "translate/sema.h"

bool sema_is_builtin(const char *name);

typedef struct {
	Session *s;
	FuncDecl *fn;      /* the function being typed, or NULL in a probe */
	bool report;       /* the final walk: report errors */
	bool changed;
	bool lhs;          /* typing the target of an assignment: a write */
	bool stmt_level;   /* the expression is a whole statement (its value unused) */
} TCtx;

/* Reads and writes of globals: stap prints, at the end of a run, the
 * globals a script wrote but never read.  x++, x += v and x <<< v write. */
static void mark(TCtx *c, Symbol *sym)
{
	if (!c->report || !sym || sym->kind != SYM_GLOBAL)
		return;
	if (c->lhs)
		sym->written = true;
	else
		sym->read = true;
}

/* Type the target of an assignment as a write. */
static void lvalue(TCtx *c, Node *n, TypeKind want);

static TypeKind expr(TCtx *c, Node *n);
static void stmt(TCtx *c, Node *n);

static void mismatch(TCtx *c, const SrcLoc *loc, const char *what, TypeKind have, TypeKind want,
                     const SrcLoc *decided)
{
	if (!c->report)
		return;
	diag_at(DIAG_ERROR, "semantic error", loc, "type mismatch: %s is %s, expected %s",
	        what, type_name(have), type_name(want));
	if (decided && decided->file >= 0)
		diag_note(decided, "the type of %s was decided here", what);
}

static void set_sym(TCtx *c, Symbol *sym, TypeKind t, const SrcLoc *loc, const SrcLoc *use)
{
	if (t == TY_UNKNOWN || t == TY_VOID)
		return;
	if (sym->type == TY_UNKNOWN) {
		sym->type = t;
		sym->type_loc = *loc;
		c->changed = true;
	} else if (sym->type != t) {
		char *what = arena_printf(c->s->arena, "'%s'", sym->name);
		mismatch(c, use, what, t, sym->type, &sym->type_loc);
	}
}

/* Check that n has type want; variables and calls of unknown type take it. */
static void expect(TCtx *c, Node *n, TypeKind want)
{
	TypeKind t = expr(c, n);
	if (want == TY_UNKNOWN)
		return;
	if (t == TY_UNKNOWN) {
		if (n->kind == AST_VAR && n->sym) {
			set_sym(c, n->sym, want, &n->loc, &n->loc);
			n->type = want;
		} else if (n->kind == AST_INDEX && n->lhs->sym) {
			set_sym(c, n->lhs->sym, want, &n->loc, &n->loc);
			n->type = want;
		} else if (n->kind == AST_CALL && n->func && n->func->ret == TY_UNKNOWN) {
			n->func->ret = want;
			n->func->ret_loc = n->loc;
			c->changed = true;
		}
		return;
	}
	if (t != want) {
		const char *what = n->kind == AST_VAR ? arena_printf(c->s->arena, "'%s'", n->name)
		                                      : "this expression";
		mismatch(c, &n->loc, what, t, want,
		         n->kind == AST_VAR && n->sym ? &n->sym->type_loc : NULL);
	}
}

/* A string as a C literal would show it, for messages. */
static const char *escaped(Arena *a, const char *s)
{
	char *out = arena_alloc(a, strlen(s) * 4 + 1), *w = out;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		const char *esc = c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '"' ? "\\\"" : c == '\\' ? "\\\\" : NULL;
		if (esc)
			w += sprintf(w, "%s", esc);
		else if (c < 32 || c == 127)
			w += sprintf(w, "\\%03o", c);
		else
			*w++ = (char)c;
	}
	*w = 0;
	return out;
}

/* Key i of array sym has type t (from an index, `in` or foreach). */
static void key_type(TCtx *c, Symbol *sym, int i, TypeKind t, const SrcLoc *loc)
{
	if (t == TY_UNKNOWN || i >= 9)
		return;
	if (t != TY_LONG && t != TY_STRING) {
		if (c->report)
			diag_at(DIAG_ERROR, "semantic error", loc, "array keys must be numbers or strings");
		return;
	}
	if (sym->keytypes[i] == TY_UNKNOWN) {
		sym->keytypes[i] = t;
		c->changed = true;
	} else if (sym->keytypes[i] != t && c->report) {
		diag_at(DIAG_ERROR, "semantic error", loc, "type mismatch: key %d of array '%s' is %s, expected %s",
		        i + 1, sym->name, type_name(t), type_name(sym->keytypes[i]));
	}
}

/* The keys of a[k...] or [k...] in a: each takes or gives its type. */
static void keys(TCtx *c, Node *n)
{
	Symbol *sym = n->lhs ? n->lhs->sym : NULL;
	for (int i = 0; i < n->args.n; i++) {
		Node *k = n->args.v[i];
		if (!sym) {
			expr(c, k);
			continue;
		}
		TypeKind t = expr(c, k);
		if (t == TY_UNKNOWN && i < 9)
			expect(c, k, sym->keytypes[i]);
		else
			key_type(c, sym, i, t, &k->loc);
	}
}

/* x in x <<< v or @op(x): a statistic (a global or an array element). */
static void stat_operand(TCtx *c, Node *x)
{
	Symbol *sym = x->kind == AST_INDEX ? (x->lhs ? x->lhs->sym : NULL) : x->sym;
	if (!sym)
		return;
	mark(c, sym);
	if (x->kind == AST_INDEX) {
		bool w = c->lhs;
		c->lhs = false;
		keys(c, x);
		c->lhs = w;
	}
	set_sym(c, sym, TY_STATS, &x->loc, &x->loc);
	x->type = TY_STATS;
}

/* A literal number argument of @hist_linear. */
static bool hist_param(TCtx *c, Node *a, int64_t *v)
{
	if (a->kind == AST_NUM) {
		*v = a->num;
		return true;
	}
	if (a->kind == AST_UNARY && a->op == OP_NEG && a->lhs->kind == AST_NUM) {
		*v = -a->lhs->num;
		return true;
	}
	if (c->report)
		diag_at(DIAG_ERROR, "semantic error", &a->loc, "histogram parameters must be literal numbers");
	return false;
}

/* @count(x) ... @variance(x) are longs; @hist_* is only printed. */
static TypeKind stat_type(TCtx *c, Node *n)
{
	stat_operand(c, n->lhs);
	if (n->stat != STAT_HIST_LINEAR && n->stat != STAT_HIST_LOG)
		return TY_LONG;
	Symbol *sym = n->lhs->kind == AST_INDEX ? n->lhs->lhs->sym : n->lhs->sym;
	int64_t lo = 0, hi = 0, step = 0;
	if (n->stat == STAT_HIST_LINEAR) {
		if (n->args.n != 3) {
			if (c->report)
				diag_at(DIAG_ERROR, "semantic error", &n->loc, "@hist_linear takes a statistic, low, high and step");
			return TY_VOID;
		}
		if (!hist_param(c, n->args.v[0], &lo) || !hist_param(c, n->args.v[1], &hi) ||
		    !hist_param(c, n->args.v[2], &step))
			return TY_VOID;
		if (c->report && (step <= 0 || hi <= lo || (hi - lo) / step + 3 > 128)) {
			diag_at(DIAG_ERROR, "semantic error", &n->loc,
			        "@hist_linear needs low < high and step > 0, with (high - low) / step at most 125 buckets");
			return TY_VOID;
		}
	}
	if (!sym || !c->report)
		return TY_VOID;
	if (!sym->hist) {
		sym->hist = (int)n->stat;
		sym->hist_lo = lo;
		sym->hist_hi = hi;
		sym->hist_step = step;
		sym->hist_loc = n->loc;
	} else if (sym->hist != (int)n->stat || sym->hist_lo != lo || sym->hist_hi != hi || sym->hist_step != step) {
		diag_at(DIAG_ERROR, "semantic error", &n->loc, "statistic '%s' is printed as two different histograms",
		        sym->name);
		diag_note(&sym->hist_loc, "the other one is here");
	}
	return TY_VOID;
}

/* printf-style calls: a literal format checked against the arguments. */
static void check_format(TCtx *c, Node *call, int first)
{
	Node *f = call->args.v[first];
	if (f->kind != AST_STR) {
		expect(c, f, TY_STRING);
		if (c->report)
			diag_at(DIAG_ERROR, "semantic error", &f->loc, "%s needs a literal format string",
			        call->name);
		return;
	}
	FmtConv convs[64];
	char err[128];
	size_t errpos = 0;
	int n = fmt_scan(f->str, convs, 64, err, sizeof err, &errpos);
	if (n < 0) {
		if (c->report)
			diag_at(DIAG_ERROR, "semantic error", &f->loc, "invalid format: %s", err);
		return;
	}
	int nargs = call->args.n - first - 1;
	if (n != nargs) {
		if (c->report)
			diag_at(DIAG_ERROR, "semantic error", &call->loc,
			        "format \"%s\" takes %d argument%s, %d given", escaped(c->s->arena, f->str), n,
			        n == 1 ? "" : "s", nargs);
		for (int i = first + 1; i < call->args.n; i++)
			expr(c, call->args.v[i]);
		return;
	}
	for (int i = 0; i < n && i < 64; i++)
		expect(c, call->args.v[first + 1 + i], convs[i].kind == FMT_ARG_LONG ? TY_LONG : TY_STRING);
}

static TypeKind call_type(TCtx *c, Node *n)
{
	if (sema_is_builtin(n->name)) {
		const char *nm = n->name;
		if (!strcmp(nm, "printf") || !strcmp(nm, "sprintf")) {
			if (n->args.n < 1) {
				if (c->report)
					diag_at(DIAG_ERROR, "semantic error", &n->loc, "%s needs a format", nm);
				return TY_UNKNOWN;
			}
			check_format(c, n, 0);
			return nm[0] == 's' ? TY_STRING : TY_VOID;
		}
		if (!strcmp(nm, "error") || !strcmp(nm, "warn") || !strcmp(nm, "log")) {
			if (n->args.n != 1) {
				if (c->report)
					diag_at(DIAG_ERROR, "semantic error", &n->loc, "%s takes one string", nm);
				return TY_VOID;
			}
			expect(c, n->args.v[0], TY_STRING);
			return TY_VOID;
		}
		if (!strcmp(nm, "pp") || !strcmp(nm, "pn") || !strcmp(nm, "probefunc") || !strcmp(nm, "probemod") ||
		    !strcmp(nm, "is_return") || !strcmp(nm, "__bstap_frame")) {
			if (n->args.n && c->report)
				diag_at(DIAG_ERROR, "semantic error", &n->loc, "%s takes no argument", nm);
			return nm[0] == 'i' || nm[0] == '_' ? TY_LONG : TY_STRING;
		}
		if (!strcmp(nm, "exit")) {
			if (n->args.n && c->report)
				diag_at(DIAG_ERROR, "semantic error", &n->loc, "exit takes no argument");
			return TY_VOID;
		}
		/* print, println, sprint, sprintln, printd, printdln */
		int first = !strncmp(nm, "printd", 6) ? 1 : 0;
		if (first) {
			if (n->args.n < 2) {
				if (c->report)
					diag_at(DIAG_ERROR, "semantic error", &n->loc,
					        "%s needs a delimiter and at least one value", nm);
				return TY_VOID;
			}
			expect(c, n->args.v[0], TY_STRING);
		}
		for (int i = first; i < n->args.n; i++) {
			TypeKind t = expr(c, n->args.v[i]);
			Node *a = n->args.v[i];
			bool hist = a->kind == AST_STAT && (a->stat == STAT_HIST_LINEAR || a->stat == STAT_HIST_LOG);
			if (t == TY_VOID && !hist && c->report)
				diag_at(DIAG_ERROR, "semantic error", &n->args.v[i]->loc, "this has no value to print");
			if (t == TY_UNKNOWN && c->report)
				diag_at(DIAG_ERROR, "semantic error", &n->args.v[i]->loc,
				        "cannot tell the type of this value");
		}
		return nm[0] == 's' ? TY_STRING : TY_VOID;
	}
	FuncDecl *d = n->func;
	if (!d)
		return TY_UNKNOWN;
	for (int i = 0; i < n->args.n && i < d->nparams; i++) {
		Symbol *p = d->params[i];
		TypeKind t = expr(c, n->args.v[i]);
		if (t == TY_UNKNOWN)
			expect(c, n->args.v[i], p->type);
		else
			set_sym(c, p, t, &n->args.v[i]->loc, &n->args.v[i]->loc);
	}
	return d->ret;
}

static TypeKind expr_kind(TCtx *c, Node *n)
{
	switch (n->kind) {
	case AST_NUM:
		return TY_LONG;
	case AST_STR:
		if (c->report && n->slen > (size_t)c->s->maxstringlen - 1 && !n->aux) {
			diag_at(DIAG_WARNING, "WARNING", &n->loc,
			        "string of %zu bytes cut to MAXSTRINGLEN - 1 (%lld); raise it with -D MAXSTRINGLEN=N",
			        n->slen, (long long)c->s->maxstringlen - 1);
			n->aux = n; /* warned once */
		}
		return TY_STRING;
	case AST_VAR:
		mark(c, n->sym);
		if (n->sym && n->sym->is_array && c->report)
			diag_at(DIAG_ERROR, "semantic error", &n->loc, "array '%s' used without an index", n->name);
		return n->sym ? n->sym->type : TY_UNKNOWN;
	case AST_INDEX: {
		bool w = c->lhs;
		c->lhs = false; /* the keys are read */
		keys(c, n);
		c->lhs = w;
		if (n->lhs)
			mark(c, n->lhs->sym);
		return n->lhs && n->lhs->sym ? n->lhs->sym->type : TY_UNKNOWN;
	}
	case AST_IN:
		keys(c, n);
		if (n->lhs)
			mark(c, n->lhs->sym);
		return TY_LONG;
	case AST_TARGET: {
		const Access *acc = n->aux;
		if (!acc)
			return TY_UNKNOWN;
		return access_type(acc);
	}
	case AST_CALL:
		return call_type(c, n);
	case AST_UNARY:
		expect(c, n->lhs, TY_LONG);
		return TY_LONG;
	case AST_BINARY:
		if (n->op == OP_CONCAT) {
			expect(c, n->lhs, TY_STRING);
			expect(c, n->rhs, TY_STRING);
			return TY_STRING;
		}
		expect(c, n->lhs, TY_LONG);
		expect(c, n->rhs, TY_LONG);
		return TY_LONG;
	case AST_COMPARE: {
		TypeKind l = expr(c, n->lhs), r = expr(c, n->rhs);
		if (l == TY_UNKNOWN)
			expect(c, n->lhs, r);
		else
			expect(c, n->rhs, l);
		return TY_LONG;
	}
	case AST_LOGAND: case AST_LOGOR:
		expect(c, n->lhs, TY_LONG);
		expect(c, n->rhs, TY_LONG);
		return TY_LONG;
	case AST_TERNARY: {
		expect(c, n->cond, TY_LONG);
		TypeKind l = expr(c, n->lhs), r = expr(c, n->rhs);
		if (l == TY_UNKNOWN) {
			expect(c, n->lhs, r);
			return r;
		}
		expect(c, n->rhs, l);
		return l;
	}
	case AST_ASSIGN: {
		if (n->lhs->kind != AST_VAR && n->lhs->kind != AST_TARGET && n->lhs->kind != AST_INDEX) {
			if (c->report)
				diag_at(DIAG_ERROR, "semantic error", &n->lhs->loc, "cannot assign to this expression");
			return TY_UNKNOWN;
		}
		if (n->lhs->kind == AST_TARGET && c->report)
			diag_at(DIAG_ERROR, "semantic error", &n->lhs->loc,
			        "writing to target variable '$%s' needs guru mode (-g)", n->lhs->name);
		TypeKind want;
		switch ((int)n->op) {
		case OP_ASSIGN: {
			TypeKind r = expr(c, n->rhs);
			if (r == TY_VOID) {
				if (c->report)
					diag_at(DIAG_ERROR, "semantic error", &n->rhs->loc, "this has no value to assign");
				return TY_UNKNOWN;
			}
			if (r == TY_UNKNOWN) {
				c->lhs = true;
				TypeKind l = expr(c, n->lhs);
				c->lhs = false;
				expect(c, n->rhs, l);
				return l;
			}
			lvalue(c, n->lhs, r);
			return r;
		}
		case OP_CONCAT_ASSIGN:
			want = TY_STRING;
			break;
		case OP_AGG:
			c->lhs = true;
			stat_operand(c, n->lhs);
			c->lhs = false;
			expect(c, n->rhs, TY_LONG);
			return TY_VOID;
		default: /* the arithmetic compound assignments */
			want = TY_LONG;
			break;
		}
		lvalue(c, n->lhs, want);
		expect(c, n->rhs, want);
		return want;
	}
	case AST_INCDEC: {
		if (n->lhs->kind != AST_VAR && n->lhs->kind != AST_INDEX && c->report)
			diag_at(DIAG_ERROR, "semantic error", &n->lhs->loc, "cannot increment this expression");
		bool value_used = !c->stmt_level;
		lvalue(c, n->lhs, TY_LONG);
		if (value_used) /* ++g == k reads g */
			expr(c, n->lhs);
		return TY_LONG;
	}
	case AST_REGEX:
		expect(c, n->lhs, TY_STRING);
		expect(c, n->rhs, TY_STRING);
		if (c->report)
			diag_at(DIAG_ERROR, "semantic error", &n->loc, "regular expressions are not supported yet");
		return TY_LONG;
	case AST_STAT:
		return stat_type(c, n);
	case AST_STAR: case AST_CAST: case AST_ATVAR:
	case AST_DEFINED: case AST_ENTRY: case AST_PROBEWRITE: case AST_CONST: case AST_PERF:
	case AST_EMBEDDED_EXPR:
		return TY_UNKNOWN; /* reported by resolve.c */
	case AST_BLOCK: case AST_EXPR_STMT: case AST_IF: case AST_WHILE: case AST_FOR:
	case AST_FOREACH: case AST_RETURN: case AST_NEXT: case AST_BREAK: case AST_CONTINUE:
	case AST_DELETE: case AST_TRY: case AST_NULL: case AST_EMBEDDED_STMT:
		break;
	}
	return TY_UNKNOWN;
}

static void lvalue(TCtx *c, Node *n, TypeKind want)
{
	c->lhs = true;
	expect(c, n, want);
	c->lhs = false;
}

static TypeKind expr(TCtx *c, Node *n)
{
	/* only the outermost expression of a statement is at statement level */
	bool top = c->stmt_level;
	c->stmt_level = false;
	if (top && n->kind == AST_INCDEC)
		c->stmt_level = true;
	TypeKind t = expr_kind(c, n);
	c->stmt_level = false;
	n->type = t;
	return t;
}

static void stmt_list(TCtx *c, NodeList *l)
{
	for (int i = 0; i < l->n; i++)
		stmt(c, l->v[i]);
}

static void stmt(TCtx *c, Node *n)
{
	if (!n)
		return;
	switch (n->kind) {
	case AST_BLOCK:
		stmt_list(c, &n->body);
		return;
	case AST_EXPR_STMT:
		c->stmt_level = true;
		expr(c, n->lhs);
		c->stmt_level = false;
		return;
	case AST_IF:
		expect(c, n->cond, TY_LONG);
		stmt(c, n->then);
		stmt(c, n->els);
		return;
	case AST_WHILE:
		expect(c, n->cond, TY_LONG);
		stmt(c, n->then);
		return;
	case AST_FOR:
		if (n->init)
			expr(c, n->init);
		if (n->cond)
			expect(c, n->cond, TY_LONG);
		if (n->step)
			expr(c, n->step);
		stmt(c, n->then);
		return;
	case AST_RETURN:
		if (!c->fn)
			return;
		if (!n->lhs) {
			if (c->fn->ret != TY_UNKNOWN && c->fn->ret != TY_VOID && c->report)
				diag_at(DIAG_ERROR, "semantic error", &n->loc, "function '%s' must return a %s",
				        c->fn->name, type_name(c->fn->ret));
			return;
		}
		if (c->fn->ret == TY_UNKNOWN) {
			TypeKind t = expr(c, n->lhs);
			if (t != TY_UNKNOWN && t != TY_VOID) {
				c->fn->ret = t;
				c->fn->ret_loc = n->lhs->loc;
				c->changed = true;
			}
		} else {
			expect(c, n->lhs, c->fn->ret);
		}
		return;
	case AST_TRY:
		stmt(c, n->then);
		if (n->value)
			expect(c, n->value, TY_STRING);
		stmt(c, n->els);
		return;
	case AST_DELETE:
		if (n->lhs->kind == AST_VAR && n->lhs->sym && n->lhs->sym->is_array)
			return; /* the whole array */
		expr(c, n->lhs);
		return;
	case AST_FOREACH: {
		Symbol *arr = n->lhs && n->lhs->kind == AST_VAR ? n->lhs->sym : NULL;
		mark(c, arr);
		if (arr) {
			for (int i = 0; i < n->args.n && i < 9; i++) {
				Node *k = n->args.v[i];
				if (!k->sym)
					continue;
				if (arr->keytypes[i] != TY_UNKNOWN)
					set_sym(c, k->sym, arr->keytypes[i], &k->loc, &k->loc);
				else
					key_type(c, arr, i, k->sym->type, &k->loc);
			}
			if (n->value && n->value->sym) {
				if (arr->type != TY_UNKNOWN)
					set_sym(c, n->value->sym, arr->type, &n->value->loc, &n->value->loc);
				else
					set_sym(c, arr, n->value->sym->type, &n->value->loc, &n->value->loc);
			}
		}
		if (n->limit)
			expect(c, n->limit, TY_LONG);
		stmt(c, n->then);
		return;
	}
	case AST_NEXT: case AST_BREAK: case AST_CONTINUE: case AST_NULL: case AST_EMBEDDED_STMT:
		return;
	case AST_NUM: case AST_STR: case AST_VAR: case AST_TARGET: case AST_CAST: case AST_ATVAR:
	case AST_INDEX: case AST_STAR: case AST_CALL: case AST_UNARY: case AST_BINARY:
	case AST_COMPARE: case AST_LOGAND: case AST_LOGOR: case AST_TERNARY: case AST_ASSIGN:
	case AST_INCDEC: case AST_IN: case AST_REGEX: case AST_STAT: case AST_DEFINED:
	case AST_ENTRY: case AST_PROBEWRITE: case AST_CONST: case AST_PERF: case AST_EMBEDDED_EXPR:
		expr(c, n);
		return;
	}
}

static void walk_all(TCtx *c)
{
	Session *s = c->s;
	for (int i = 0; i < s->nprobes; i++) {
		c->fn = NULL;
		stmt(c, s->probes[i]->body);
	}
	for (FuncDecl *d = s->funcs; d; d = d->next) {
		if (!d->resolved)
			continue;
		c->fn = d;
		if (d->fn->body)
			stmt(c, d->fn->body);
	}
	c->fn = NULL;
	/* global initialisers decide their variable's type */
	for (Symbol *g = s->globals; g; g = g->next)
		if (g->decl && g->decl->init)
			set_sym(c, g, g->decl->init->kind == AST_STR ? TY_STRING : TY_LONG,
			        &g->decl->init->loc, &g->decl->init->loc);
}

static void report_unknown(Symbol *sym, const char *where)
{
	if (sym->type == TY_UNKNOWN)
		diag_at(DIAG_ERROR, "semantic error", &sym->loc,
		        "unresolved type for %s '%s'", where, sym->name);
}

int types_infer(Session *s)
{
	TCtx c = {s, NULL, false, true, false, false};
	while (c.changed) {
		c.changed = false;
		walk_all(&c);
	}
	c.report = true;
	walk_all(&c);
	for (Symbol *g = s->globals; g; g = g->next) {
		/* a global of the user's that nothing reads or writes (stap's
		 * warning; -u keeps such variables without a word) */
		Source *src = g->decl ? src_get(g->decl->loc.file) : NULL;
		if (!g->read && !g->written && src && !src->is_tapset && !s->no_elide) {
			diag_at(DIAG_WARNING, "WARNING", &g->loc, "Eliding unused variable '%s'", g->name);
			continue;
		}
		report_unknown(g, "global");
		for (int i = 0; g->is_array && i < g->nkeys; i++)
			if (g->keytypes[i] == TY_UNKNOWN)
				diag_at(DIAG_ERROR, "semantic error", &g->loc, "unresolved type of key %d of array '%s'",
				        i + 1, g->name);
	}
	for (int i = 0; i < s->nprobes; i++)
		for (Symbol *l = s->probes[i]->locals; l; l = l->next)
			report_unknown(l, "local");
	for (FuncDecl *d = s->funcs; d; d = d->next) {
		if (!d->resolved)
			continue;
		if (d->ret == TY_UNKNOWN)
			d->ret = TY_VOID;
		for (int i = 0; i < d->nparams; i++)
			report_unknown(d->params[i], "parameter");
		for (Symbol *l = d->locals; l; l = l->next)
			report_unknown(l, "local");
	}
	return diag_errors() ? -1 : 0;
}
