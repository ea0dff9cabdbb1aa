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
#include "translate/regex.h"
#include "translate/sema.h"

bool sema_is_builtin(const char *name);

typedef struct {
	Session *s;
	FuncDecl *fn;      /* the function being typed, or NULL in a probe */
	bool report;       /* the final walk: report errors */
	bool changed;
	bool lhs;          /* typing the target of an assignment: a write */
	bool stmt_level;   /* the expression is a whole statement (its value unused) */
	SrcLoc *later;     /* values of unknown type, reported at the end unless
	                    * other errors explain them */
	int nlater, caplater;
} TCtx;

/* Reads and writes of globals: stap prints, at the end of a run, the
 * globals a script wrote but never read.  x++, x += v and x <<< v write. */
static void mark(TCtx *c, Symbol *sym)
{
	if (!c->report || !sym)
		return; /* (locals too: "never assigned" in messages) */
	if (c->lhs)
		sym->written = true;
	else
		sym->read = true;
}

/* Type the target of an assignment as a write. */
static void lvalue(TCtx *c, Node *n, TypeKind want);

static TypeKind expr(TCtx *c, Node *n);
static void stmt(TCtx *c, Node *n);
static bool stat_misuse(TCtx *c, const Node *n, TypeKind t);
static void unknown_later(TCtx *c, const SrcLoc *loc);

/* A type in a user's words. */
static const char *a_type(TypeKind t)
{
	switch (t) {
	case TY_LONG: return "a long";
	case TY_STRING: return "a string";
	case TY_STATS: return "a statistic";
	case TY_VOID: return "no value";
	case TY_UNKNOWN: break;
	}
	return "of unknown type";
}

static const char *types_of(TypeKind t)
{
	return t == TY_LONG ? "longs" : t == TY_STRING ? "strings" : t == TY_STATS ? "statistics" : "values";
}

/* How a statistic is read, for messages that meet one used as a value. */
static const char *stat_hint(Arena *a, const char *name)
{
	return arena_printf(a, "read it with @count(%s), @sum(%s), @min(%s), @max(%s) or @avg(%s)", name, name,
	                    name, name, name);
}

/* sym (of its type) meets a use as `t` at `use`: an assignment when
 * typing an assignment's target, a use otherwise. */
static void sym_clash(TCtx *c, Symbol *sym, TypeKind t, const SrcLoc *use)
{
	if (!c->report)
		return;
	const char *how = c->lhs && t != TY_STATS ? "assigned" : "used as";
	if (sym->type == TY_STATS && !c->lhs && sym->is_array)
		diag_at(DIAG_ERROR, "semantic error", use, "type mismatch: array '%s' holds statistics, not %s: %s",
		        sym->name, types_of(t), stat_hint(c->s->arena, arena_printf(c->s->arena, "%s[...]", sym->name)));
	else if (sym->type == TY_STATS && !c->lhs)
		diag_at(DIAG_ERROR, "semantic error", use, "type mismatch: '%s' is a statistic, not %s: %s", sym->name,
		        a_type(t), stat_hint(c->s->arena, sym->name));
	else if (sym->is_array)
		diag_at(DIAG_ERROR, "semantic error", use, "type mismatch: array '%s' holds %s, but is %s %s here",
		        sym->name, types_of(sym->type), how, a_type(t));
	else
		diag_at(DIAG_ERROR, "semantic error", use, "type mismatch: '%s' is %s, but is %s %s here", sym->name,
		        a_type(sym->type), how, a_type(t));
	if (sym->type_loc.file >= 0 && (sym->type_loc.line || sym->type_loc.col))
		diag_note(&sym->type_loc, "the type of '%s' (%s) was decided here", sym->name, type_name(sym->type));
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
		sym_clash(c, sym, t, use);
	}
}

/* An expression (not a variable) of type `have` where `want` is needed. */
static void expr_clash(TCtx *c, const Node *n, TypeKind have, TypeKind want)
{
	if (!c->report)
		return;
	if (n->kind == AST_CALL && have == TY_VOID)
		diag_at(DIAG_ERROR, "semantic error", &n->loc, "type mismatch: '%s()' returns no value, but %s is expected here",
		        n->name, a_type(want));
	else if (n->kind == AST_CALL)
		diag_at(DIAG_ERROR, "semantic error", &n->loc, "type mismatch: '%s()' returns %s, but %s is expected here",
		        n->name, a_type(have), a_type(want));
	else
		diag_at(DIAG_ERROR, "semantic error", &n->loc, "type mismatch: this is %s, but %s is expected here",
		        a_type(have), a_type(want));
	if (n->kind == AST_CALL && n->func && n->func->ret_loc.file >= 0 && have != TY_VOID)
		diag_note(&n->func->ret_loc, "the return type of '%s' (%s) was decided here", n->name, type_name(have));
}

/* n, already typed t, must be of type want; variables, array elements and
 * calls of unknown type take it. */
static void settle(TCtx *c, Node *n, TypeKind t, TypeKind want)
{
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
	if (t == want)
		return;
	if (n->kind == AST_VAR && n->sym)
		sym_clash(c, n->sym, want, &n->loc);
	else if (n->kind == AST_INDEX && n->lhs && n->lhs->kind == AST_VAR && n->lhs->sym)
		sym_clash(c, n->lhs->sym, want, &n->loc);
	else
		expr_clash(c, n, t, want);
}

/* Check that n has type want; variables and calls of unknown type take it. */
static void expect(TCtx *c, Node *n, TypeKind want)
{
	settle(c, n, expr(c, n), want);
}

/* A statistic where a value is needed (printed, assigned, passed,
 * returned): reported, true. */
static bool stat_misuse(TCtx *c, const Node *n, TypeKind t)
{
	if (t != TY_STATS)
		return false;
	if (c->report) {
		const char *name = n->kind == AST_VAR ? n->name
		                   : n->kind == AST_INDEX && n->lhs && n->lhs->kind == AST_VAR
		                   ? arena_printf(c->s->arena, "%s[...]", n->lhs->name) : NULL;
		if (name)
			diag_at(DIAG_ERROR, "semantic error", &n->loc, "'%s' is a statistic, not a value: %s", name,
			        stat_hint(c->s->arena, name));
		else
			diag_at(DIAG_ERROR, "semantic error", &n->loc, "this is a statistic, not a value");
	}
	return true;
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

/* Where the type of each key of an array was decided (for the note of a
 * mismatch): a short list, one entry per array with keys. */
typedef struct KeyLocs {
	const Symbol *sym;
	SrcLoc loc[9];
	struct KeyLocs *next;
} KeyLocs;

static KeyLocs *key_locs;

static SrcLoc *key_loc(TCtx *c, const Symbol *sym, int i)
{
	KeyLocs *k = key_locs;
	while (k && k->sym != sym)
		k = k->next;
	if (!k) {
		k = arena_alloc(c->s->arena, sizeof *k);
		k->sym = sym;
		for (int j = 0; j < 9; j++)
			k->loc[j].file = -1;
		k->next = key_locs;
		key_locs = k;
	}
	return &k->loc[i];
}

/* Key i of array sym has type t (from an index, `in` or foreach). */
static void key_type(TCtx *c, Symbol *sym, int i, TypeKind t, const SrcLoc *loc)
{
	if (t == TY_UNKNOWN || i >= 9)
		return;
	if (t != TY_LONG && t != TY_STRING) {
		if (c->report)
			diag_at(DIAG_ERROR, "semantic error", loc, "array keys must be longs or strings, not %s",
			        a_type(t));
		return;
	}
	if (sym->keytypes[i] == TY_UNKNOWN) {
		sym->keytypes[i] = t;
		*key_loc(c, sym, i) = *loc;
		c->changed = true;
	} else if (sym->keytypes[i] != t && c->report) {
		diag_at(DIAG_ERROR, "semantic error", loc, "type mismatch: key %d of array '%s' is %s, but %s is used here",
		        i + 1, sym->name, a_type(sym->keytypes[i]), a_type(t));
		const SrcLoc *at = key_loc(c, sym, i);
		if (at->file >= 0)
			diag_note(at, "the type of key %d (%s) was decided here", i + 1, type_name(sym->keytypes[i]));
	}
}

/* The keys of a[k...] or [k...] in a: each takes or gives its type. */
static void keys(TCtx *c, Node *n)
{
	Symbol *sym = n->lhs ? n->lhs->sym : NULL;
	for (int i = 0; i < n->args.n; i++) {
		Node *k = n->args.v[i];
		TypeKind t = expr(c, k);
		if (!sym || stat_misuse(c, k, t))
			continue;
		if (t == TY_UNKNOWN && i < 9)
			settle(c, k, t, sym->keytypes[i]);
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
		const char *bad = NULL;
		const SrcLoc *at = &n->loc;
		if (step <= 0) {
			bad = arena_printf(c->s->arena, "its step must be positive, not %lld", (long long)step);
			at = &n->args.v[2]->loc;
		} else if (hi <= lo) {
			bad = arena_printf(c->s->arena, "its high (%lld) must be greater than its low (%lld)", (long long)hi,
			                   (long long)lo);
			at = &n->args.v[1]->loc;
		} else if ((hi - lo) / step + 3 > 128) {
			bad = arena_printf(c->s->arena, "(high - low) / step makes %lld buckets, at most 125 are allowed",
			                   (long long)((hi - lo) / step));
		}
		if (bad) {
			if (c->report)
				diag_at(DIAG_ERROR, "semantic error", at, "bad @hist_linear: %s", bad);
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
	for (int i = 0; i < n && i < 64; i++) {
		Node *a = call->args.v[first + 1 + i];
		TypeKind want = convs[i].kind == FMT_ARG_LONG ? TY_LONG : TY_STRING;
		TypeKind t = expr(c, a);
		if (stat_misuse(c, a, t))
			continue;
		if (t == TY_UNKNOWN || t == want || (a->kind == AST_VAR && a->sym)) {
			settle(c, a, t, want);
			continue;
		}
		if (!c->report)
			continue;
		const char *conv = convs[i].conv == '*' ? "'*' (a width or precision)"
		                   : arena_printf(c->s->arena, "'%%%c'", convs[i].conv);
		if (t == TY_VOID && a->kind == AST_CALL)
			diag_at(DIAG_ERROR, "semantic error", &a->loc,
			        "type mismatch: argument %d of %s, '%s()', returns no value, but %s in the format needs %s",
			        i + 1, call->name, a->name, conv, a_type(want));
		else
			diag_at(DIAG_ERROR, "semantic error", &a->loc,
			        "type mismatch: argument %d of %s is %s, but %s in the format needs %s", i + 1,
			        call->name, a_type(t), conv, a_type(want));
	}
}

/* A kernel char array ($p->comm) is a string, but where a number is
 * expected (kernel_string($p->comm), as stap scripts write it) it is its
 * address, as in stap: the access is turned into that address. */
static bool char_array_address(Node *a)
{
	Access *acc = a->kind == AST_TARGET ? a->aux : NULL;
	if (!acc || acc->kind != ACC_KMEM_CHAIN || acc->leaf != ACC_LEAF_STRING)
		return false;
	acc->leaf = ACC_LEAF_ADDR;
	return true;
}

/* The pattern of =~ / !~ compiles (regex.h); the caret goes under it. */
static void check_regex(TCtx *c, Node *pat)
{
	char err[160];
	int erroff;
	if (regex_compile(c->s->arena, pat->str, pat->slen, c->s->regex_saves_match, err, sizeof err, &erroff))
		return;
	if (erroff >= 0)
		diag_at(DIAG_ERROR, "semantic error", &pat->loc, "bad regular expression: %s (at offset %d of the pattern)",
		        err, erroff);
	else
		diag_at(DIAG_ERROR, "semantic error", &pat->loc, "regular expression %s", err);
}

/* __regex_matched(n), __regex_ngroups(), __regex_matched_str(): the last
 * successful =~ of the probe (the regex tapset wraps them); using them
 * makes every =~ of the program save its match. */
static TypeKind regex_builtin_type(TCtx *c, Node *n)
{
	bool matched = !strcmp(n->name, "__regex_matched");
	if (n->args.n != (matched ? 1 : 0)) {
		if (c->report)
			diag_at(DIAG_ERROR, "semantic error", &n->loc, "%s takes %s", n->name,
			        matched ? "one number" : "no argument");
		return TY_UNKNOWN;
	}
	if (matched)
		expect(c, n->args.v[0], TY_LONG);
	c->s->regex_saves_match = true;
	return strcmp(n->name, "__regex_ngroups") ? TY_STRING : TY_LONG;
}

static TypeKind call_type(TCtx *c, Node *n)
{
	if (sema_is_builtin(n->name)) {
		const char *nm = n->name;
		if (!strncmp(nm, "__regex_", 8))
			return regex_builtin_type(c, n);
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
			if (stat_misuse(c, a, t) || !c->report)
				continue;
			if (t == TY_VOID && !hist && a->kind == AST_CALL)
				diag_at(DIAG_ERROR, "semantic error", &a->loc, "'%s()' returns no value: nothing to print",
				        a->name);
			else if (t == TY_VOID && !hist)
				diag_at(DIAG_ERROR, "semantic error", &a->loc, "this has no value to print");
			else if (t == TY_UNKNOWN && !(a->kind == AST_VAR && a->sym))
				unknown_later(c, &a->loc); /* a variable is reported itself */
		}
		return nm[0] == 's' ? TY_STRING : TY_VOID;
	}
	FuncDecl *d = n->func;
	if (!d)
		return TY_UNKNOWN;
	for (int i = 0; i < n->args.n && i < d->nparams; i++) {
		Symbol *p = d->params[i];
		Node *a = n->args.v[i];
		TypeKind t = expr(c, a);
		if (stat_misuse(c, a, t))
			continue;
		if (t == TY_VOID && a->kind == AST_CALL) {
			if (c->report)
				diag_at(DIAG_ERROR, "semantic error", &a->loc,
				        "'%s()' returns no value: nothing to pass to parameter '%s' of '%s'", a->name,
				        p->name, d->name);
		} else if (t == TY_UNKNOWN) {
			settle(c, a, t, p->type);
		} else if (p->type == TY_LONG && t == TY_STRING && char_array_address(a)) {
			set_sym(c, p, TY_LONG, &a->loc, &a->loc);
		} else if (p->type != TY_UNKNOWN && p->type != t) {
			if (c->report) {
				diag_at(DIAG_ERROR, "semantic error", &a->loc,
				        "type mismatch: parameter '%s' of '%s' is %s, but is passed %s here", p->name,
				        d->name, a_type(p->type), a_type(t));
				if (p->type_loc.file >= 0)
					diag_note(&p->type_loc, "the type of '%s' (%s) was decided here", p->name,
					          type_name(p->type));
			}
		} else {
			set_sym(c, p, t, &a->loc, &a->loc);
		}
	}
	return d->ret;
}

/* A global used without an index while it is an array elsewhere. */
static void no_index(const Node *n)
{
	const Symbol *g = n->sym;
	if (g->decl && !g->decl->is_array && g->nkeys >= 0) {
		diag_at(DIAG_ERROR, "semantic error", &n->loc, "'%s' is used as a scalar here, but as an array elsewhere",
		        n->name);
		diag_note(&g->keys_loc, "'%s' is used as an array here", n->name);
	} else {
		diag_at(DIAG_ERROR, "semantic error", &n->loc, "array '%s' is used without an index", n->name);
		if (g->decl && g->decl->is_array)
			diag_note(&g->decl->loc, "'%s' is declared as an array here", n->name);
	}
}

/* A value of type t that must be something: a call that returns nothing
 * is reported ("nothing to <what>"), true. */
static bool no_value(TCtx *c, const Node *n, TypeKind t, const char *what)
{
	if (t != TY_VOID)
		return false;
	if (c->report && n->kind == AST_CALL)
		diag_at(DIAG_ERROR, "semantic error", &n->loc, "'%s()' returns no value: nothing to %s", n->name, what);
	else if (c->report)
		diag_at(DIAG_ERROR, "semantic error", &n->loc, "this has no value: nothing to %s", what);
	return true;
}

/* $x = v, $x++: stap writes target variables only in guru mode. */
static void target_write(TCtx *c, const Node *n)
{
	if (!c->report)
		return;
	if (!c->s->guru)
		diag_at(DIAG_ERROR, "semantic error", &n->loc, "writing to target variable '$%s' needs guru mode (-g)",
		        n->name);
	else
		diag_at(DIAG_ERROR, "semantic error", &n->loc, "writing to target variable '$%s' is not supported yet",
		        n->name);
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
			no_index(n);
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
		if (stat_misuse(c, n->lhs, l) | stat_misuse(c, n->rhs, r) || no_value(c, n->lhs, l, "compare") ||
		    no_value(c, n->rhs, r, "compare"))
			return TY_LONG;
		if (l != TY_UNKNOWN && r != TY_UNKNOWN && l != r) {
			if (c->report) {
				diag_at(DIAG_ERROR, "semantic error", &n->rhs->loc, "type mismatch: '%s' compares %s with %s",
				        op_spelling(n->op), a_type(l), a_type(r));
				diag_note(&n->lhs->loc, "the left side is %s", a_type(l));
			}
		} else if (l == TY_UNKNOWN) {
			settle(c, n->lhs, l, r);
		} else {
			settle(c, n->rhs, r, l);
		}
		return TY_LONG;
	}
	case AST_LOGAND: case AST_LOGOR:
		expect(c, n->lhs, TY_LONG);
		expect(c, n->rhs, TY_LONG);
		return TY_LONG;
	case AST_TERNARY: {
		expect(c, n->cond, TY_LONG);
		TypeKind l = expr(c, n->lhs), r = expr(c, n->rhs);
		if (l != TY_UNKNOWN && r != TY_UNKNOWN && l != r) {
			if (c->report) {
				diag_at(DIAG_ERROR, "semantic error", &n->rhs->loc,
				        "type mismatch: the two branches of '?:' are %s and %s", a_type(l), a_type(r));
				diag_note(&n->lhs->loc, "this branch is %s", a_type(l));
			}
			return l;
		}
		if (l == TY_UNKNOWN) {
			settle(c, n->lhs, l, r);
			return r;
		}
		settle(c, n->rhs, r, l);
		return l;
	}
	case AST_ASSIGN: {
		if (n->lhs->kind != AST_VAR && n->lhs->kind != AST_TARGET && n->lhs->kind != AST_INDEX) {
			if (c->report)
				diag_at(DIAG_ERROR, "semantic error", &n->lhs->loc, "cannot assign to %s",
				        n->lhs->kind == AST_CALL ? "a function call"
				        : n->lhs->kind == AST_NUM || n->lhs->kind == AST_STR ? "a literal"
				        : "this expression: only variables, array elements and target variables can be");
			return TY_UNKNOWN;
		}
		if (n->lhs->kind == AST_TARGET)
			target_write(c, n->lhs);
		TypeKind want;
		switch ((int)n->op) {
		case OP_ASSIGN: {
			TypeKind r = expr(c, n->rhs);
			if (no_value(c, n->rhs, r, "assign") || stat_misuse(c, n->rhs, r))
				return TY_UNKNOWN;
			if (r == TY_UNKNOWN) {
				c->lhs = true;
				TypeKind l = expr(c, n->lhs);
				c->lhs = false;
				settle(c, n->rhs, r, l);
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
			TypeKind t = expr(c, n->rhs);
			if (t != TY_UNKNOWN && t != TY_LONG && !(n->rhs->kind == AST_VAR && n->rhs->sym)) {
				if (c->report)
					diag_at(DIAG_ERROR, "semantic error", &n->rhs->loc,
					        "type mismatch: '<<<' adds longs to a statistic, and this is %s", a_type(t));
			} else {
				settle(c, n->rhs, t, TY_LONG);
			}
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
		if (n->lhs->kind == AST_TARGET)
			target_write(c, n->lhs);
		else if (n->lhs->kind != AST_VAR && n->lhs->kind != AST_INDEX && c->report)
			diag_at(DIAG_ERROR, "semantic error", &n->lhs->loc, "'%s' needs a variable or an array element",
			        op_spelling(n->op));
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
			check_regex(c, n->rhs);
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
	case AST_RETURN: {
		FuncDecl *f = c->fn;
		if (!f)
			return;
		if (!n->lhs) {
			if (f->ret != TY_UNKNOWN && f->ret != TY_VOID && c->report)
				diag_at(DIAG_ERROR, "semantic error", &n->loc, "function '%s' returns %s: this 'return' needs a value",
				        f->name, a_type(f->ret));
			return;
		}
		TypeKind t = expr(c, n->lhs);
		if (stat_misuse(c, n->lhs, t) || no_value(c, n->lhs, t, "return"))
			return;
		if (f->ret == TY_UNKNOWN) {
			if (t != TY_UNKNOWN) {
				f->ret = t;
				f->ret_loc = n->lhs->loc;
				c->changed = true;
			}
		} else if (t == TY_UNKNOWN) {
			settle(c, n->lhs, t, f->ret);
		} else if (t != f->ret && c->report) {
			if (f->fn->ret != TY_UNKNOWN) {
				diag_at(DIAG_ERROR, "semantic error", &n->lhs->loc,
				        "type mismatch: function '%s' is declared to return %s, but returns %s here", f->name,
				        a_type(f->ret), a_type(t));
				diag_note(&f->fn->loc, "'%s' is declared here", f->name);
			} else {
				diag_at(DIAG_ERROR, "semantic error", &n->lhs->loc,
				        "type mismatch: function '%s' returns %s here, but %s elsewhere", f->name, a_type(t),
				        a_type(f->ret));
				diag_note(&f->ret_loc, "the return type of '%s' (%s) was decided here", f->name,
				          type_name(f->ret));
			}
		}
		return;
	}
	case AST_TRY:
		stmt(c, n->then);
		if (n->value) {
			c->lhs = true;
			mark(c, n->value->sym);
			c->lhs = false;
			expect(c, n->value, TY_STRING);
		}
		stmt(c, n->els);
		return;
	case AST_DELETE:
		if (n->lhs->kind == AST_VAR && n->lhs->sym && n->lhs->sym->is_array)
			return; /* the whole array */
		if (n->lhs->kind != AST_VAR && n->lhs->kind != AST_INDEX) {
			if (c->report)
				diag_at(DIAG_ERROR, "semantic error", &n->lhs->loc,
				        "'delete' takes a variable, an array or an array element");
			return;
		}
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
				c->lhs = true; /* foreach assigns its keys and value */
				mark(c, k->sym);
				c->lhs = false;
				if (arr->keytypes[i] != TY_UNKNOWN)
					set_sym(c, k->sym, arr->keytypes[i], &k->loc, &k->loc);
				else
					key_type(c, arr, i, k->sym->type, &k->loc);
			}
			if (n->value && n->value->sym) {
				c->lhs = true;
				mark(c, n->value->sym);
				c->lhs = false;
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
	/* global initialisers decide their variable's type, then function
	 * bodies their return types, before the probes use them */
	c->fn = NULL;
	c->lhs = true;
	for (Symbol *g = s->globals; g; g = g->next)
		if (g->decl && g->decl->init)
			set_sym(c, g, g->decl->init->kind == AST_STR ? TY_STRING : TY_LONG,
			        &g->decl->init->loc, &g->decl->init->loc);
	c->lhs = false;
	for (FuncDecl *d = s->funcs; d; d = d->next) {
		if (!d->resolved)
			continue;
		c->fn = d;
		if (d->fn->body)
			stmt(c, d->fn->body);
	}
	c->fn = NULL;
	for (int i = 0; i < s->nprobes; i++)
		stmt(c, s->probes[i]->body);
}

/* A value of unknown type met in the final walk: reported at the end,
 * and only when nothing else went wrong (the usual cause). */
static void unknown_later(TCtx *c, const SrcLoc *loc)
{
	c->later = arena_grow(c->s->arena, c->later, &c->caplater, c->nlater + 1, sizeof *c->later);
	c->later[c->nlater++] = *loc;
}

/* alias: the probe alias a probe local's probe came through, or NULL. */
static void report_unknown(Symbol *sym, const char *where, const char *alias)
{
	if (sym->type != TY_UNKNOWN)
		return;
	if (sym->kind == SYM_PARAM)
		diag_at(DIAG_ERROR, "semantic error", &sym->loc,
		        "unresolved type of parameter '%s' of function '%s': declare it (%s:long or %s:string) or pass it "
		        "a value of known type", sym->name, where, sym->name, sym->name);
	else if (!sym->written && alias)
		diag_at(DIAG_ERROR, "semantic error", &sym->loc,
		        "unresolved type of %s '%s': nothing assigns it a value (a misspelled name, or one that probe "
		        "alias '%s' does not provide?)", where, sym->name, alias);
	else if (!sym->written)
		diag_at(DIAG_ERROR, "semantic error", &sym->loc,
		        "unresolved type of %s '%s': nothing assigns it a value (a misspelled name?)", where, sym->name);
	else
		diag_at(DIAG_ERROR, "semantic error", &sym->loc,
		        "unresolved type of %s '%s': nothing assigned to it has a known type", where, sym->name);
}

/* Does a function body return a value anywhere? */
static bool returns_value(const Node *n)
{
	if (!n)
		return false;
	if (n->kind == AST_RETURN)
		return n->lhs != NULL;
	if (n->kind == AST_BLOCK) {
		for (int i = 0; i < n->body.n; i++)
			if (returns_value(n->body.v[i]))
				return true;
		return false;
	}
	if (n->kind == AST_IF || n->kind == AST_TRY)
		return returns_value(n->then) || returns_value(n->els);
	if (n->kind == AST_WHILE || n->kind == AST_FOR || n->kind == AST_FOREACH)
		return returns_value(n->then);
	return false;
}

int types_infer(Session *s)
{
	TCtx c = {s, NULL, false, true, false, false, NULL, 0, 0};
	key_locs = NULL;
	/* a function that returns no value anywhere returns nothing (not a
	 * type its callers could give it) */
	for (FuncDecl *d = s->funcs; d; d = d->next)
		if (d->resolved && d->ret == TY_UNKNOWN && d->fn->ret == TY_UNKNOWN && !returns_value(d->fn->body))
			d->ret = TY_VOID;
	while (c.changed) {
		c.changed = false;
		walk_all(&c);
	}
	c.report = true;
	walk_all(&c);
	/* what is still unknown is reported only when no other error explains
	 * it (a mismatch or a misuse usually leaves types undecided) */
	bool quiet = diag_errors() > 0;
	for (int i = 0; i < c.nlater && !quiet; i++)
		diag_at(DIAG_ERROR, "semantic error", &c.later[i], "cannot tell the type of this value");
	for (Symbol *g = s->globals; g; g = g->next) {
		/* a global of the user's that nothing reads or writes (stap's
		 * warning; -u keeps such variables without a word) */
		Source *src = g->decl ? src_get(g->decl->loc.file) : NULL;
		if (!g->read && !g->written && src && !src->is_tapset && !s->no_elide) {
			diag_at(DIAG_WARNING, "WARNING", &g->loc, "Eliding unused variable '%s'", g->name);
			continue;
		}
		if (quiet)
			continue;
		report_unknown(g, "global", NULL);
		for (int i = 0; g->is_array && i < g->nkeys; i++)
			if (g->keytypes[i] == TY_UNKNOWN)
				diag_at(DIAG_ERROR, "semantic error", &g->loc, "unresolved type of key %d of array '%s'",
				        i + 1, g->name);
	}
	for (int i = 0; i < s->nprobes && !quiet; i++) {
		const char *alias = s->probes[i]->alias_chain, *arrow = alias ? strstr(alias, " -> ") : NULL;
		if (arrow)
			alias = arena_strndup(s->arena, alias, (size_t)(arrow - alias));
		for (Symbol *l = s->probes[i]->locals; l; l = l->next)
			report_unknown(l, "local", alias);
	}
	for (FuncDecl *d = s->funcs; d; d = d->next) {
		if (!d->resolved)
			continue;
		if (d->ret == TY_UNKNOWN)
			d->ret = TY_VOID;
		for (int i = 0; i < d->nparams && !quiet; i++)
			report_unknown(d->params[i], d->name, NULL);
		for (Symbol *l = d->locals; l && !quiet; l = l->next)
			report_unknown(l, "local", NULL);
	}
	return diag_errors() ? -1 : 0;
}
