/* resolve.c - pass 2's binding: probe aliases and wildcards are expanded
 * into probe instances, each with its own copy of the (combined) body, and
 * every variable, function call and target variable is bound.
 *
 * Requires: the parsed user script and tapsets.  Provides: s->probes,
 * s->globals, used FuncDecls, Node.sym / Node.func / Node.aux (Access). */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "translate/sema.h"

typedef struct Alias {
	ProbePoint *name;
	Probe *def;
	Script *file;
	struct Alias *next;
} Alias;

typedef struct Ctx {
	Session *s;
	ProbeInst *inst;     /* binding a probe body, or NULL */
	FuncDecl *fn;        /* binding a function body, or NULL */
	Symbol **locals;
	int loops;           /* enclosing while/for/foreach (break, continue) */
} Ctx;

static Alias *aliases;

/* ------------------------------------------------------------ helpers */


/* One probe point as text (without its condition); with its '?' and '!'
 * when `marks` (elab_print.c shows points as the script wrote them). */
char *sema_point_text(Arena *a, const ProbePoint *pp, bool marks);
char *sema_point_text(Arena *a, const ProbePoint *pp, bool marks)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return "?";
	ProbePoint one = *pp;
	one.next = NULL;
	one.cond = NULL;
	if (!marks)
		one.optional = one.sufficient = false;
	ast_print_probe_point(f, &one);
	fclose(f);
	char *r = arena_strdup(a, buf ? buf : "?");
	free(buf);
	return r;
}

static char *pp_to_text(Arena *a, const ProbePoint *pp)
{
	return sema_point_text(a, pp, false);
}

/* ------------------------------------------------------------ symbols */

static Symbol *new_symbol(Session *s, const char *name, int kind, SrcLoc loc)
{
	Symbol *sym = arena_alloc(s->arena, sizeof *sym);
	sym->name = name;
	sym->kind = kind;
	sym->loc = loc;
	sym->nkeys = -1;
	return sym;
}

static Symbol *find_in(Symbol *list, const char *name)
{
	for (; list; list = list->next)
		if (!strcmp(list->name, name))
			return list;
	return NULL;
}

static void add_global(Session *s, Global *g)
{
	Symbol *sym = new_symbol(s, g->name, SYM_GLOBAL, g->loc);
	sym->decl = g;
	sym->is_array = g->is_array;
	Symbol **tail = &s->globals;
	while (*tail)
		tail = &(*tail)->next;
	*tail = sym;
	sym->index = s->nglobals++;
}

void sema_add_global(Session *s, Global *g)
{
	add_global(s, g);
}

/* A global by name: the user's, or a tapset's (added on first use). */
static Symbol *find_global(Session *s, const char *name)
{
	Symbol *sym = find_in(s->globals, name);
	if (sym)
		return sym;
	for (Script *t = s->tapsets; t; t = t->next)
		for (Global *g = t->globals; g; g = g->next)
			if (!strcmp(g->name, name)) {
				t->used = true;
				add_global(s, g);
				return find_in(s->globals, name);
			}
	return NULL;
}

static Symbol *find_var(Ctx *c, const char *name)
{
	Symbol *sym = NULL;
	if (c->fn)
		for (int i = 0; i < c->fn->nparams; i++)
			if (!strcmp(c->fn->params[i]->name, name))
				return c->fn->params[i];
	sym = find_in(*c->locals, name);
	if (sym)
		return sym;
	return find_global(c->s, name);
}

static Symbol *bind_local(Ctx *c, const char *name, SrcLoc loc)
{
	Symbol *sym = find_var(c, name);
	if (sym)
		return sym;
	sym = new_symbol(c->s, name, SYM_LOCAL, loc);
	sym->next = *c->locals;
	*c->locals = sym;
	return sym;
}

/* ------------------------------------------------------------ functions */

/* Builtins the compiler handles itself (not tapset functions). */
static const char *const builtins[] = {
	"printf", "sprintf", "print", "println", "printd", "printdln",
	"sprint", "sprintln", "exit", "error", "warn", "log",
	"pp", "pn", "probefunc", "probemod", "is_return", "__bstap_frame",
	"__regex_matched", "__regex_ngroups", "__regex_matched_str",
};

bool sema_is_builtin(const char *name);
bool sema_is_builtin(const char *name)
{
	for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
		if (!strcmp(builtins[i], name))
			return true;
	return false;
}

static void register_functions(Session *s, Script *sc)
{
	for (Function *f = sc->functions; f; f = f->next) {
		FuncDecl *d = arena_alloc(s->arena, sizeof *d);
		d->name = f->name;
		d->fn = f;
		d->file = sc;
		d->ret = f->ret;
		d->ret_loc = f->loc;
		d->next = s->funcs;
		s->funcs = d;
	}
}

FuncDecl *sema_find_func(Session *s, const char *name, int nargs)
{
	FuncDecl *best = NULL;
	for (FuncDecl *d = s->funcs; d; d = d->next)
		if (!strcmp(d->name, name) && d->fn->nparams == nargs) {
			/* the user's script wins over tapsets; s->funcs is newest
			 * first and the user's script was registered last */
			if (!best)
				best = d;
		}
	return best;
}

static const char *suggest_func(Session *s, const char *name)
{
	const char *best = NULL;
	/* one edit per four characters, one or two: "pstrace" is no "ftrace" */
	int most = (int)strlen(name) / 4, bd = (most < 1 ? 1 : most > 2 ? 2 : most) + 1;
	for (FuncDecl *d = s->funcs; d; d = d->next) {
		int dd = diag_distance(name, d->name);
		if (dd < bd) {
			bd = dd;
			best = d->name;
		}
	}
	return best;
}

static void bind_node(Ctx *c, Node *n);
static int resolve_func(Session *s, FuncDecl *d);

static void bind_list(Ctx *c, NodeList *l)
{
	for (int i = 0; i < l->n; i++)
		bind_node(c, l->v[i]);
}

static void bind_call(Ctx *c, Node *n)
{
	bind_list(c, &n->args);
	if (sema_is_builtin(n->name))
		return;
	FuncDecl *d = sema_find_func(c->s, n->name, n->args.n);
	if (!d) {
		FuncDecl *other = NULL;
		unsigned arities = 0; /* bit k: some overload takes k arguments */
		for (FuncDecl *x = c->s->funcs; x; x = x->next)
			if (!strcmp(x->name, n->name)) {
				other = x;
				arities |= x->fn->nparams < 32 ? 1u << x->fn->nparams : 0;
			}
		if (other) {
			char takes[160] = "";
			for (int k = 0, left = __builtin_popcount(arities); k < 32; k++)
				if (arities & (1u << k)) {
					left--;
					snprintf(takes + strlen(takes), sizeof takes - strlen(takes), "%s%d",
					         !*takes ? "" : left ? ", " : " or ", k);
				}
			diag_at(DIAG_ERROR, "semantic error", &n->loc,
			        "wrong number of arguments: '%s' takes %s, but %d %s given", n->name, takes, n->args.n,
			        n->args.n == 1 ? "is" : "are");
			if (__builtin_popcount(arities) == 1)
				diag_note(&other->fn->loc, "'%s' is declared here", n->name);
		} else {
			const char *sug = suggest_func(c->s, n->name);
			if (sug)
				diag_at(DIAG_ERROR, "semantic error", &n->loc,
				        "unresolved function '%s' (did you mean '%s'?)", n->name, sug);
			else
				diag_at(DIAG_ERROR, "semantic error", &n->loc,
				        "unresolved function '%s'", n->name);
		}
		return;
	}
	n->func = d;
	if (d->in_progress) {
		diag_at(DIAG_ERROR, "semantic error", &n->loc,
		        "recursive call of function '%s' is not supported yet", d->name);
		return;
	}
	resolve_func(c->s, d);
}

static void bind_target(Ctx *c, Node *n)
{
	if (!c->inst) {
		diag_at(DIAG_ERROR, "semantic error", &n->loc,
		        "target variable '$%s' used outside a probe", n->name);
		return;
	}
	if (n->name[0] == '$' && !n->ncomps && !n->addr_of && c->inst->prov->pretty) {
		/* $$vars and its kind, rewritten by the provider, then bound */
		Node *r = c->inst->prov->pretty(c->s, c->inst, n);
		if (r) {
			*n = *r;
			bind_node(c, n);
		}
		return;
	}
	if (!c->inst->prov->target_exprs && (n->ncomps || n->addr_of || n->pretty || n->name[0] == '$')) {
		const char *vars = c->inst->prov->list_vars ? c->inst->prov->list_vars(c->s, c->inst) : "";
		Access none;
		if (!*vars && c->inst->prov->target(c->s, c->inst, n, &none) < 0)
			return; /* no context variables at all: the provider said so */
		Arena *a = c->s->arena;
		const char *what = n->name[0] == '$' ? arena_printf(a, "'$%s': context variable lists are", n->name)
		                   : n->addr_of ? arena_printf(a, "'&$%s': addresses of target variables are", n->name)
		                   : n->pretty ? arena_printf(a, "'$%s$': pretty printing is", n->name)
		                   : arena_printf(a, "'$%s%s': members and elements of target variables are", n->name,
		                                  n->comps[0].kind == TC_FIELD ? "->..." : "[...]");
		diag_at(DIAG_ERROR, "semantic error", &n->loc, "%s not supported yet in %s probes", what,
		        c->inst->prov->name);
		return;
	}
	Access *acc = arena_alloc(c->s->arena, sizeof *acc);
	if (c->inst->prov->target(c->s, c->inst, n, acc) == 0)
		n->aux = acc;
}

/* The array of a[k...], [k...] in a, foreach: a global with a fixed
 * number of keys. */
static void bind_array(Ctx *c, Node *var, int nkeys, const SrcLoc *use)
{
	if (!var || var->kind != AST_VAR) {
		diag_at(DIAG_ERROR, "semantic error", var ? &var->loc : use, "only a global array can be indexed");
		return;
	}
	Symbol *sym = find_var(c, var->name);
	if (!sym || sym->kind != SYM_GLOBAL) {
		diag_at(DIAG_ERROR, "semantic error", &var->loc,
		        "'%s' is used as an array but is not a global (declare it: global %s)", var->name,
		        var->name);
		return;
	}
	var->sym = sym;
	sym->is_array = true;
	if (nkeys > 9) {
		diag_at(DIAG_ERROR, "semantic error", use, "arrays have at most 9 keys, this one has %d", nkeys);
		return;
	}
	if (nkeys < 0)
		return; /* foreach over the whole array: any number of keys */
	if (sym->nkeys < 0) {
		sym->nkeys = nkeys;
		sym->keys_loc = *use;
	} else if (sym->nkeys != nkeys) {
		diag_at(DIAG_ERROR, "semantic error", use, "array '%s' used with %d key%s here", sym->name,
		        nkeys, nkeys == 1 ? "" : "s");
		diag_note(&sym->keys_loc, "and with %d key%s here", sym->nkeys, sym->nkeys == 1 ? "" : "s");
	}
}

/* The aggregate of @count(x), x <<< v: a global, or an element of one. */
static void bind_stat_operand(Ctx *c, Node *x)
{
	if (x && x->kind == AST_INDEX) {
		bind_array(c, x->lhs, x->args.n, &x->loc);
		bind_list(c, &x->args);
		return;
	}
	if (!x || x->kind != AST_VAR) {
		diag_at(DIAG_ERROR, "semantic error", x ? &x->loc : NULL, "statistics are kept in globals");
		return;
	}
	Symbol *sym = find_var(c, x->name);
	if (!sym || sym->kind != SYM_GLOBAL) {
		diag_at(DIAG_ERROR, "semantic error", &x->loc,
		        "'%s' is used as a statistic but is not a global (declare it: global %s)", x->name, x->name);
		return;
	}
	x->sym = sym;
}

static void bind_foreach(Ctx *c, Node *n)
{
	Node *arr = n->lhs;
	if (arr && arr->kind == AST_INDEX) {
		diag_at(DIAG_ERROR, "semantic error", &arr->loc, "foreach over an array slice is not supported yet");
		return;
	}
	bind_array(c, arr, n->args.n, &n->loc);
	for (int i = 0; i < n->args.n; i++) {
		Node *k = n->args.v[i];
		if (k->kind != AST_VAR) {
			diag_at(DIAG_ERROR, "semantic error", &k->loc, "foreach keys must be variables");
			continue;
		}
		k->sym = bind_local(c, k->name, k->loc);
	}
	if (n->value)
		n->value->sym = bind_local(c, n->value->name, n->value->loc);
	bind_node(c, n->limit);
	c->loops++;
	bind_node(c, n->then);
	c->loops--;
}

static void bind_node(Ctx *c, Node *n)
{
	if (!n)
		return;
	switch (n->kind) {
	case AST_NUM: case AST_STR: case AST_STAR: case AST_CONST: case AST_PERF:
	case AST_NEXT: case AST_NULL:
		return;
	case AST_BREAK: case AST_CONTINUE:
		if (!c->loops)
			diag_at(DIAG_ERROR, "semantic error", &n->loc, "'%s' outside a loop",
			        n->kind == AST_BREAK ? "break" : "continue");
		return;
	case AST_EMBEDDED_EXPR: case AST_EMBEDDED_STMT:
		diag_at(DIAG_ERROR, "semantic error", &n->loc,
		        "embedded code inside a probe or function body is not supported yet: only a whole function "
		        "body can be %%{ %%} (in tapsets, or with -g)");
		return;
	case AST_VAR:
		n->sym = bind_local(c, n->name, n->loc);
		return;
	case AST_TARGET:
		bind_target(c, n);
		return;
	case AST_DEFINED: {
		/* @defined(x): does x resolve here?  Decided now, quietly; the
		 * node becomes the number 1 or 0 */
		diag_quiet_begin();
		bind_node(c, n->lhs);
		int errs = diag_quiet_end();
		bool ok = errs == 0 && (n->lhs->kind != AST_TARGET || n->lhs->aux);
		n->kind = AST_NUM;
		n->num = ok;
		n->lhs = NULL;
		return;
	}
	case AST_ENTRY:
		/* entry.c rewrote the ones in .return probes */
		diag_at(DIAG_ERROR, "semantic error", &n->loc, "@entry is only meaningful in a .return probe");
		return;
	case AST_CAST: case AST_ATVAR: case AST_PROBEWRITE:
		diag_at(DIAG_ERROR, "semantic error", &n->loc, "%s is not supported yet",
		        n->kind == AST_ATVAR ? "@var" : n->kind == AST_PROBEWRITE ? "@probewrite"
		        : n->str ? "@cast" : "'->' on a value that is not a target variable (stap's autocast)");
		return;
	case AST_INDEX: case AST_IN:
		bind_array(c, n->lhs, n->args.n, &n->loc);
		bind_list(c, &n->args);
		return;
	case AST_FOREACH:
		bind_foreach(c, n);
		return;
	case AST_STAT:
		bind_stat_operand(c, n->lhs);
		bind_list(c, &n->args);
		return;
	case AST_CALL:
		bind_call(c, n);
		return;
	case AST_ASSIGN:
		if (n->op == OP_AGG) {
			bind_stat_operand(c, n->lhs);
			bind_node(c, n->rhs);
			return;
		}
		break;
	case AST_TERNARY: case AST_IF:
		/* a condition known now (@defined) drops the branch not taken
		 * before its target variables are looked for, as stap does */
		bind_node(c, n->cond);
		if (n->cond && n->cond->kind == AST_NUM) {
			Node *taken = n->cond->num ? n->then : n->els;
			if (n->kind == AST_TERNARY)
				taken = n->cond->num ? n->lhs : n->rhs;
			if (taken) {
				bind_node(c, taken);
				*n = *taken;
			} else {
				n->kind = AST_NULL; /* if (0) without else */
			}
			return;
		}
		bind_node(c, n->lhs);
		bind_node(c, n->rhs);
		bind_node(c, n->then);
		bind_node(c, n->els);
		return;
	case AST_UNARY: case AST_BINARY: case AST_COMPARE: case AST_LOGAND: case AST_LOGOR:
	case AST_INCDEC: case AST_REGEX:
	case AST_BLOCK: case AST_EXPR_STMT: case AST_WHILE: case AST_FOR:
	case AST_RETURN: case AST_DELETE: case AST_TRY:
		break;
	}
	bind_node(c, n->cond);
	bind_node(c, n->init);
	bind_node(c, n->lhs);
	bind_node(c, n->rhs);
	bind_node(c, n->step);
	bind_node(c, n->value);
	bind_list(c, &n->args);
	bind_list(c, &n->body);
	int loop = n->kind == AST_WHILE || n->kind == AST_FOR;
	c->loops += loop;
	bind_node(c, n->then);
	c->loops -= loop;
	bind_node(c, n->els);
	if (n->kind == AST_RETURN && !c->fn)
		diag_at(DIAG_ERROR, "semantic error", &n->loc, "'return' outside a function");
}

static int resolve_func(Session *s, FuncDecl *d)
{
	d->used = true;
	d->file->used = true;
	if (d->resolved)
		return 0;
	d->resolved = true;
	Function *f = d->fn;
	d->nparams = f->nparams;
	d->params = arena_alloc(s->arena, sizeof(Symbol *) * (size_t)(f->nparams + 1));
	for (int i = 0; i < f->nparams; i++) {
		d->params[i] = new_symbol(s, f->params[i].name, SYM_PARAM, f->params[i].loc);
		d->params[i]->type = f->params[i].type;
		if (f->params[i].type != TY_UNKNOWN)
			d->params[i]->type_loc = f->params[i].loc;
	}
	if (f->code) {
		if (!d->file->src->is_tapset && !s->guru)
			diag_at(DIAG_ERROR, "semantic error", &f->loc, "embedded code in function '%s' needs guru mode (-g)",
			        f->name);
		return 0;
	}
	Ctx c = {s, NULL, d, &d->locals, 0};
	d->in_progress = true;
	bind_node(&c, f->body);
	d->in_progress = false;
	return 0;
}

/* ------------------------------------------------------------ probes */

static void add_inst(Session *s, ProbeInst *inst)
{
	s->probes = arena_grow(s->arena, s->probes, &s->capprobes, s->nprobes + 1, sizeof *s->probes);
	inst->index = s->nprobes;
	s->probes[s->nprobes++] = inst;
}

static void bind_inst(Session *s, ProbeInst *inst);
static void more_inst(Session *s, ProbeInst *base, const char *target, void *pdata);

/* The companion entry probe of a .return probe that uses @entry. */
static int make_entry(Session *s, ProbeInst *like, ProbePoint *pp, Node *body)
{
	ProbeInst *e = arena_alloc(s->arena, sizeof *e);
	e->probe = like->probe;
	e->pp = pp;
	e->prov = like->prov;
	e->pp_text = pp_to_text(s->arena, pp);
	e->alias_chain = like->alias_chain;
	e->body = body;
	int r = e->prov->resolve(s, e, more_inst);
	if (r < 0)
		return -1;
	if (r == 0) {
		add_inst(s, e);
		bind_inst(s, e);
	}
	return 0;
}

static void bind_inst(Session *s, ProbeInst *inst)
{
	Ctx c = {s, inst, NULL, &inst->locals, 0};
	if (entry_split(s, inst, make_entry) < 0)
		return;
	bind_node(&c, inst->body);
}

/* Wildcard expansion by a provider: one more instance at `target`. */
static void more_inst(Session *s, ProbeInst *base, const char *target, void *pdata)
{
	ProbeInst *inst = arena_alloc(s->arena, sizeof *inst);
	*inst = *base;
	inst->pdata = pdata;
	inst->locals = NULL;
	inst->body = ast_clone(s->arena, base->body);
	/* the concrete point: the provider's own spelling of it */
	ProbePoint *pp = arena_alloc(s->arena, sizeof *pp);
	*pp = *base->pp;
	pp->comps = arena_alloc(s->arena, sizeof(PPComp) * (size_t)pp->ncomps);
	memcpy(pp->comps, base->pp->comps, sizeof(PPComp) * (size_t)pp->ncomps);
	/* the expanded name goes where the pattern was: the last component
	 * with an argument (kernel.function("f*").return has it second) */
	PPComp *at = &pp->comps[pp->ncomps - 1];
	for (int i = pp->ncomps - 1; i >= 0; i--)
		if (pp->comps[i].arg) {
			at = &pp->comps[i];
			break;
		}
	at->arg = ast_str(s->arena, target, strlen(target), at->arg ? at->arg->loc : at->loc);
	inst->pp = pp;
	inst->pp_text = pp_to_text(s->arena, pp);
	if (inst->prov->specialise)
		inst->prov->specialise(s, inst);
	add_inst(s, inst);
	bind_inst(s, inst);
}

static bool comp_arg_equal(const Node *a, const Node *b)
{
	if (!a || !b)
		return a == b;
	if (a->kind != b->kind)
		return false;
	if (a->kind == AST_NUM)
		return a->num == b->num;
	return a->kind == AST_STR && !strcmp(a->str, b->str);
}

/* Does the user's point `pat` (maybe with wildcards) name alias `al`? */
static bool alias_matches(const ProbePoint *pat, const ProbePoint *al)
{
	if (pat->ncomps != al->ncomps)
		return false;
	for (int i = 0; i < pat->ncomps; i++) {
		if (fnmatch(pat->comps[i].name, al->comps[i].name, 0) != 0)
			return false;
		if (!comp_arg_equal(pat->comps[i].arg, al->comps[i].arg))
			return false;
	}
	return true;
}

static int expand_point(Session *s, Probe *user, ProbePoint *pp, Node *body, int depth, const char *chain);

/* Expand pp against alias al: the alias's own points, with its body
 * before (=) or after (+=) what we have so far. */
static int expand_alias(Session *s, Probe *user, Alias *al, Node *body, int depth, const char *chain)
{
	al->file->used = true;
	Node *blk = ast_new(s->arena, AST_BLOCK, al->def->loc);
	/* a tapset alias's prologue keeps what the probe uses (elide.c); an
	 * epilogue (+=) runs last and keeps all, as does a script's alias */
	Node *mine = !al->def->alias_append && al->file->src->is_tapset && !s->no_elide
	           ? elide_alias(s, al->def->body, body) : ast_clone(s->arena, al->def->body);
	if (al->def->alias_append) {
		nodelist_add(s->arena, &blk->body, body);
		nodelist_add(s->arena, &blk->body, mine);
	} else {
		nodelist_add(s->arena, &blk->body, mine);
		nodelist_add(s->arena, &blk->body, body);
	}
	const char *name = pp_to_text(s->arena, al->name);
	const char *ch = chain ? arena_printf(s->arena, "%s -> %s", chain, name) : name;
	int rc = 0;
	for (ProbePoint *p = al->def->points; p; p = p->next) {
		int r = expand_point(s, user, p, blk, depth + 1, ch);
		if (r < 0)
			rc = -1;
		if (r > 0 && p->sufficient)
			break;
	}
	return rc;
}

/* The component names of a point, dotted: kernel.function.return. */
static const char *dotted(Arena *a, const ProbePoint *pp)
{
	size_t n = 0;
	for (int i = 0; i < pp->ncomps; i++)
		n += strlen(pp->comps[i].name) + 1;
	char *r = arena_alloc(a, n + 1), *w = r;
	for (int i = 0; i < pp->ncomps; i++)
		w += sprintf(w, "%s%s", i ? "." : "", pp->comps[i].name);
	return r;
}

/* Probe point shapes the providers know, for "did you mean". */
static const char *const known_points[] = {
	"begin", "end", "error", "never", "kernel.function", "kernel.function.call", "kernel.function.return",
	"kernel.trace", "module.function", "module.function.return", "process.function", "process.function.return",
	"process.statement", "process.mark", "process.library.function", "timer.s", "timer.ms", "timer.us",
	"timer.ns", "timer.hz", "timer.jiffies", "timer.profile", "timer.profile.tick", "perf.sw", "perf.hw",
};

/* SystemTap's probe points that bstap does not have: built-in families
 * (a prefix of the dotted names) and the alias families of stap's tapset
 * library (a first component). */
static const char *const stap_builtin_points[] = {
	"procfs", "kprobe", "kernel.data", "kernel.statement", "kernel.mark", "module.statement",
	"process.begin", "process.end", "process.thread", "process.syscall", "process.plt", "process.insn",
	"process.provider", "netfilter.hook", "netfilter.pf", "java", "python2", "python3",
};
static const char *const stap_tapset_points[] = {
	"syscall", "nd_syscall", "syscall_any", "nd_syscall_any", "tp_syscall", "dw_syscall", "vfs", "nfs",
	"nfsd", "sunrpc", "generic", "signal", "scheduler", "kprocess", "vm", "netdev", "tcp", "udp", "ipmib",
	"tcpmib", "linuxmib", "socket", "tty", "scsi", "ioblock", "ioblock_trace", "ioscheduler",
	"ioscheduler_trace", "workqueue", "softirq", "irq_handler", "netfilter", "input", "python",
	"prometheus", "json_data", "stap", "staprun", "stapio", "memory",
};

static bool has_prefix(const char *s, const char *pre)
{
	size_t n = strlen(pre);
	return !strncmp(s, pre, n) && (s[n] == 0 || s[n] == '.');
}

/* Is known point `cand` close to `dn` (one edit per three characters, one
 * to three) and closer than *bd?  Then *bd is its distance. */
static bool closer(const char *dn, const char *cand, int *bd)
{
	int d = diag_distance(dn, cand), most = (int)strlen(cand) / 3;
	if (d > (most < 1 ? 1 : most > 3 ? 3 : most) || d >= *bd)
		return false;
	*bd = d;
	return true;
}

static void no_match(Session *s, const ProbePoint *pp)
{
	const char *name = pp_to_text(s->arena, pp);
	const char *dn = dotted(s->arena, pp);
	const char *best = NULL;
	int bd = 99;
	for (Alias *al = aliases; al; al = al->next)
		if (closer(dn, dotted(s->arena, al->name), &bd))
			best = pp_to_text(s->arena, al->name);
	for (size_t i = 0; i < sizeof known_points / sizeof known_points[0]; i++)
		if (closer(dn, known_points[i], &bd))
			best = known_points[i];
	if (best) {
		diag_at(DIAG_ERROR, "semantic error", &pp->loc, "no match for probe point '%s' (did you mean '%s'?)", name,
		        best);
		return;
	}
	/* an alias with more components after it (stap's alias suffixes) */
	for (int k = pp->ncomps - 1; k > 0; k--) {
		ProbePoint head = *pp;
		head.ncomps = k;
		for (Alias *al = aliases; al; al = al->next)
			if (alias_matches(&head, al->name)) {
				diag_at(DIAG_ERROR, "semantic error", &pp->comps[k].loc,
				        "no match for probe point '%s': no such alias, and '%s' after alias '%s' (an alias "
				        "suffix) is not supported yet", name, dn + strlen(dotted(s->arena, &head)),
				        pp_to_text(s->arena, al->name));
				return;
			}
	}
	for (size_t i = 0; i < sizeof stap_builtin_points / sizeof stap_builtin_points[0]; i++)
		if (has_prefix(dn, stap_builtin_points[i])) {
			diag_at(DIAG_ERROR, "semantic error", &pp->loc,
			        "no match for probe point '%s': SystemTap's %s probes are not supported yet", name,
			        stap_builtin_points[i]);
			return;
		}
	for (size_t i = 0; i < sizeof stap_tapset_points / sizeof stap_tapset_points[0]; i++)
		if (has_prefix(dn, stap_tapset_points[i])) {
			diag_at(DIAG_ERROR, "semantic error", &pp->loc,
			        "no match for probe point '%s': bstap's tapsets do not provide this alias of SystemTap's "
			        "tapset library (yet)", name);
			return;
		}
	diag_at(DIAG_ERROR, "semantic error", &pp->loc, "no match for probe point '%s'", name);
}

/* Is alias `name` already in chain ("a -> b -> c")? */
static bool in_chain(const char *chain, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = chain; p; p = strstr(p, " -> ")) {
		if (!strncmp(p, " -> ", 4))
			p += 4;
		if (!strncmp(p, name, n) && (p[n] == 0 || !strncmp(p + n, " -> ", 4)))
			return true;
	}
	return false;
}

/* Returns the number of instances made (> 0), 0 for an optional point that
 * matched nothing, or -1 after an error. */
static int expand_point(Session *s, Probe *user, ProbePoint *pp, Node *body, int depth, const char *chain)
{
	if (depth > 32) {
		diag_at(DIAG_ERROR, "semantic error", &pp->loc, "probe alias expansion is too deep (a cycle?)");
		return -1;
	}
	if (pp->cond) {
		/* stap arms the probe only while cond holds; the effect users see
		 * is the same as a guard on the body, which is what this is */
		Node *guard = ast_new(s->arena, AST_IF, pp->cond->loc);
		guard->cond = ast_clone(s->arena, pp->cond);
		guard->then = body;
		body = ast_new(s->arena, AST_BLOCK, pp->cond->loc);
		nodelist_add(s->arena, &body->body, guard);
	}
	int before = s->nprobes;
	int rc = 0;
	bool any = false;
	for (Alias *al = aliases; al; al = al->next)
		if (alias_matches(pp, al->name)) {
			any = true;
			const char *an = pp_to_text(s->arena, al->name);
			if (chain && in_chain(chain, an)) {
				diag_at(DIAG_ERROR, "semantic error", &pp->loc, "probe alias '%s' expands to itself: %s -> %s", an,
				        chain, an);
				rc = -1;
				continue;
			}
			if (expand_alias(s, user, al, body, depth, chain) < 0)
				rc = -1;
		}
	if (!any) {
		const Provider *prov = provider_find(pp);
		if (!prov) {
			if (pp->optional)
				return 0;
			no_match(s, pp);
			return -1;
		}
		ProbeInst *inst = arena_alloc(s->arena, sizeof *inst);
		inst->probe = user;
		inst->pp = pp;
		inst->prov = prov;
		inst->pp_text = pp_to_text(s->arena, pp);
		inst->alias_chain = chain;
		inst->body = ast_clone(s->arena, body);
		int r = prov->resolve(s, inst, more_inst);
		if (r < 0)
			return -1;
		if (r > 0) /* nothing there (optional), or expanded through more_inst */
			return s->nprobes - before;
		add_inst(s, inst);
		bind_inst(s, inst);
	}
	if (rc < 0)
		return -1;
	return s->nprobes - before;
}

static void collect_aliases(Session *s, Script *sc)
{
	for (Probe *p = sc->probes; p; p = p->next)
		for (ProbePoint *name = p->alias; name; name = name->next) {
			Alias *al = arena_alloc(s->arena, sizeof *al);
			al->name = name;
			al->def = p;
			al->file = sc;
			al->next = aliases;
			aliases = al;
		}
}

int sema_resolve(Session *s)
{
	aliases = NULL;
	for (Script *t = s->tapsets; t; t = t->next) {
		register_functions(s, t);
		collect_aliases(s, t);
	}
	register_functions(s, s->user);
	collect_aliases(s, s->user);
	/* the user's functions: one per name and number of parameters */
	for (Function *f = s->user->functions; f; f = f->next)
		for (Function *g = f->next; g; g = g->next)
			if (!strcmp(f->name, g->name) && f->nparams == g->nparams) {
				diag_at(DIAG_ERROR, "semantic error", &g->loc, "function '%s' is defined twice with %d parameter%s",
				        g->name, g->nparams, g->nparams == 1 ? "" : "s");
				diag_note(&f->loc, "the first definition is here");
				break;
			}
	/* %{ %} at the top of a script is C for stap's embedded functions */
	for (Embedded *e = s->user->embeds; e && !s->guru; e = e->next)
		diag_at(DIAG_ERROR, "semantic error", &e->loc, "embedded code needs guru mode (-g)");
	for (Global *g = s->user->globals; g; g = g->next) {
		if (find_in(s->globals, g->name)) {
			diag_at(DIAG_ERROR, "semantic error", &g->loc, "duplicate global '%s'", g->name);
			continue;
		}
		add_global(s, g);
	}
	for (Probe *p = s->user->probes; p; p = p->next) {
		if (p->alias)
			continue;
		for (ProbePoint *pp = p->points; pp; pp = pp->next) {
			int r = expand_point(s, p, pp, p->body, 0, NULL);
			if (r > 0 && pp->sufficient)
				break;
		}
	}
	/* Functions the user declared are checked even if unused. */
	for (FuncDecl *d = s->funcs; d; d = d->next)
		if (d->file == s->user && !d->resolved) {
			resolve_func(s, d);
			d->used = s->no_elide;
		}
	if (diag_errors())
		return -1;
	if (s->nprobes == 0) {
		diag_at(DIAG_ERROR, "semantic error", NULL, "no probes found");
		return -1;
	}
	return types_infer(s);
}
