/* preprocess.c - @define macros, %( %? %: %) conditionals, token shaping.
 *
 * Three layers over the raw scanner; the first two in stap's order:
 *
 *  1. Macros (expand_next).  `@define NAME(a, b) %( body %)` records the
 *     body's tokens; `@NAME(x, y)` pushes an activation that replays them,
 *     where `@a` inside the body replays the tokens of argument a.  An
 *     argument is a closure: it is expanded in the scope where it was
 *     written, so `@x` inside an argument means the caller's parameter x.
 *     Unknown @words are left for the grammar (@cast, @count ...).  Macros
 *     of the file are visible after their definition; library macros (from
 *     tapset .stpm files, see parse_macro_file) everywhere, and a library
 *     macro's body sees only library macros.  Each expansion is registered
 *     as a Source sharing the definition's text, with expanded_at set to the
 *     use, so a diagnostic inside it points into the definition and adds
 *     "in expansion of macro at FILE:L:C".
 *
 *  2. Conditionals (pp_next), evaluated on the expanded stream, so a
 *     condition may come from a macro (%( @_IS_SREG_KERNEL %? ...).  A
 *     condition is `l op r` terms joined by && and || (&& binds tighter):
 *       kernel_v | kernel_vr | systemtap_v   op "version"   (strverscmp;
 *                                            ==/!= with "*?[" glob)
 *       arch | runtime                       ==|!= "glob"
 *       systemtap_privilege                  ==|!= "stapdev"
 *       guru_mode                            ==|!= 0|1
 *       CONFIG_X   op "glob" | number | CONFIG_Y
 *       "s1" op "s2" | n1 op n2
 *     As in stap 4.8 `@defined(...)` is not a preprocessor condition (it is
 *     reported like any other unknown left operand); use it in expressions.
 *     Skipped regions are read as raw tokens: only %( %: %? %) nesting
 *     matters there, and their @define's are not recorded.
 *
 *  3. Shaping (pp_shaped_next), what the LALR(1) grammar reads: the few
 *     decisions stap's hand-written parser makes by peeking.  Adjacent
 *     string literals are joined.  In a probe point list (after `probe`, up
 *     to the body's '{'), a component name is glued from the identifiers,
 *     keywords and '*' written without space between them (syscall.*,
 *     sys_*_at, .return), and a '{' that opens a group of alternatives
 *     (kernel.{a,b}) is told from the body's.  `return` right before ';'
 *     or '}' has no value (RETURN0), and outside a function is an error.
 *
 * Errors are reported through diag; the preprocessor then goes on with the
 * most plausible reading, so one run reports several problems. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "parser/parse.h"
#include "parser/grammar.h"

#define MAX_EXPANSION_DEPTH 200

typedef struct Macro {
	const char *name;          /* without the '@' */
	const char **params;
	int nparams;
	Token *body;
	int nbody, capbody;
	const Source *src;         /* where it is defined */
	SrcLoc loc;                /* its name in the definition */
	bool library;
} Macro;

struct MacroTable {
	Macro **v;                 /* in definition order */
	int n, cap;
	int *slot;                 /* open hash on the name: index + 1, 0 empty */
	int nslot;                 /* a power of two, more than twice n */
};

typedef struct Activation Activation;

/* An actual argument: its tokens and the activation it was written in. */
typedef struct ArgBody {
	Token *toks;
	int n, cap;
	Activation *scope;
} ArgBody;

/* One macro body or argument being replayed. */
struct Activation {
	Token *toks;
	int n, pos;
	const Source *exp_src;     /* relocate body tokens here (NULL: keep) */
	Macro *macro;              /* macro activations: whose parameters */
	ArgBody *args;
	Activation *scope;         /* argument activations: the closure */
	bool is_arg;
	Activation *caller;        /* macro activations: the one whose text
	                            * invoked it (NULL: the file) */
	bool library;
};

enum { COND_KEEP_THEN, COND_SKIP_THEN, COND_KEEP_ELSE, COND_SKIP_ELSE };

typedef struct Cond {
	Token open;
	int state;
} Cond;

struct PP {
	Arena *a;
	const Source *src;
	const ParseEnv *env;
	Lexer *lx;
	MacroTable file_macros;
	Activation **stack;
	int nstack, capstack;
	Token pushback;
	bool has_pushback;
	long nshaped;              /* tokens handed to the grammar so far */
	long ndecls;               /* of them declaration keywords */
	long failed_at;            /* nshaped when a macro use last failed */
	Cond *conds;
	int nconds, capconds;
	bool library_file;         /* a .stpm file: only definitions allowed */
	SrcLoc junk_end;           /* just after the last invalid character reported */
	/* shaping (layer 3) */
	Token la;                  /* one token of lookahead */
	int nla;
	int prev_kind;             /* the kind last handed to the grammar */
	Token hist[3];             /* the last shaped tokens (for messages), a ring: */
	int nhist, hpos;           /* how many, and where the next goes */
	bool pp_mode;              /* inside a probe point list */
	int pp_paren, pp_group;
	bool in_function;
	struct Brace { SrcLoc loc; bool body; } *braces; /* the '{' not yet closed */
	int nbraces, capbraces;
	int nbodies;               /* how many of them open a body (not a group) */
	int synth_close;           /* '}' still to insert before a declaration */
	Token synth;
};

static void pp_error(const SrcLoc *loc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool is_keyword(int k);

static void pp_error(const SrcLoc *loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_vat(DIAG_ERROR, "parse error", loc, fmt, ap);
	va_end(ap);
}

/* ================================================================ macros */

static unsigned name_hash(const char *s)
{
	unsigned h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static Macro *table_find(const MacroTable *t, const char *name)
{
	if (!t || t->n == 0)
		return NULL;
	unsigned mask = (unsigned)t->nslot - 1;
	for (unsigned i = name_hash(name) & mask;; i = (i + 1) & mask) {
		int k = t->slot[i];
		if (k == 0)
			return NULL;
		if (strcmp(t->v[k - 1]->name, name) == 0)
			return t->v[k - 1];
	}
}

static void table_put(MacroTable *t, int index)
{
	unsigned mask = (unsigned)t->nslot - 1;
	unsigned i = name_hash(t->v[index]->name) & mask;
	while (t->slot[i])
		i = (i + 1) & mask;
	t->slot[i] = index + 1;
}

/* A name already in the table is shadowed by the new macro only if the
 * caller wants that; callers check for duplicates first. */
static void table_add(Arena *a, MacroTable *t, Macro *m)
{
	t->v = arena_grow(a, t->v, &t->cap, t->n + 1, sizeof *t->v);
	t->v[t->n++] = m;
	if (t->n * 2 >= t->nslot) {
		t->nslot = t->nslot ? t->nslot * 2 : 16;
		t->slot = arena_alloc(a, (size_t)t->nslot * sizeof *t->slot);
		for (int i = 0; i < t->n; i++)
			table_put(t, i);
	} else {
		table_put(t, t->n - 1);
	}
}

static void tokens_add(Arena *a, Token **v, int *n, int *cap, const Token *t)
{
	*v = arena_grow(a, *v, cap, *n + 1, sizeof **v);
	(*v)[(*n)++] = *t;
}

static bool is_atword(int kind)
{
	switch (kind) {
	case AT_CAST: case AT_VAR: case AT_DEFINED: case AT_ENTRY:
	case AT_PROBEWRITE: case AT_CONST: case AT_PERF: case AT_STAT:
	case AT_HIST_LINEAR: case AT_HIST_LOG: case AT_WORD:
		return true;
	default:
		return false;
	}
}

/* The next token of the innermost activation, or of the file.  Returns
 * false at the end of an activation (which the caller pops). */
static bool raw_next(PP *pp, Token *t)
{
	if (pp->has_pushback) {
		*t = pp->pushback;
		pp->has_pushback = false;
		return true;
	}
	if (pp->nstack == 0) {
		lex_next(pp->lx, t);
		return true;
	}
	Activation *act = pp->stack[pp->nstack - 1];
	if (act->pos >= act->n)
		return false;
	*t = act->toks[act->pos++];
	if (act->exp_src) {
		t->loc.file = act->exp_src->id;
		t->error_at.file = act->exp_src->id;
	}
	return true;
}

static void push(PP *pp, Activation *act)
{
	pp->stack = arena_grow(pp->a, pp->stack, &pp->capstack, pp->nstack + 1, sizeof *pp->stack);
	pp->stack[pp->nstack++] = act;
}

/* The macro activation whose parameters are visible from `act`. */
static Activation *param_scope(Activation *act)
{
	while (act && act->is_arg)
		act = act->scope;
	return act;
}

static const char *const builtin_atwords[] = {
	"cast", "defined", "probewrite", "entry", "perf", "var", "avg", "count",
	"sum", "min", "max", "hist_linear", "hist_log", "const", "variance",
};

/* After an error in a macro definition's header: skip to its body and
 * over it, so that the body is not read as script text.  A token that
 * starts a declaration means there is no body; it is given back. */
static void skip_definition(PP *pp)
{
	Token t;
	for (;;) {
		if (!raw_next(pp, &t))
			return;
		switch (t.kind) {
		case PP_OPEN: {
			int nest = 0;
			for (;;) {
				if (!raw_next(pp, &t) || t.kind == 0)
					return;
				if (t.kind == PP_OPEN)
					nest++;
				else if (t.kind == PP_CLOSE && nest-- == 0)
					return;
			}
		}
		case 0: case PROBE: case FUNCTION: case GLOBAL: case PRIVATE: case AT_DEFINE:
		case EMBEDDED:
			pp->pushback = t;
			pp->has_pushback = true;
			return;
		default:
			break;
		}
	}
}

/* Give `t` back and skip the rest of a broken definition. */
static void abandon_definition(PP *pp, const Token *t)
{
	pp->pushback = *t;
	pp->has_pushback = true;
	skip_definition(pp);
}

/* @define NAME [( p, ... )] %( body %)   (the @define is consumed) */
static void define_macro(PP *pp, const Token *at)
{
	Token t;
	raw_next(pp, &t);
	if (t.kind != IDENT) {
		if (is_keyword(t.kind))
			pp_error(&t.loc, "expected macro name after '@define'; '%s' is a reserved word",
				 t.text);
		else
			pp_error(&t.loc, "expected macro name after '@define'");
		abandon_definition(pp, &t);
		return;
	}
	Macro *m = arena_alloc(pp->a, sizeof *m);
	m->name = t.text;
	m->loc = t.loc;
	m->src = src_get(t.loc.file);
	m->library = pp->library_file;
	Macro *old = table_find(&pp->file_macros, m->name);
	bool ok = true;
	if (strcmp(m->name, "define") == 0) {
		pp_error(&t.loc, "attempt to redefine '@define'");
		ok = false;
	} else if (old) {
		pp_error(&t.loc, "attempt to redefine macro '@%s' in the same file", m->name);
		diag_note(&old->loc, "macro '@%s' first defined here", m->name);
		ok = false;
	} else {
		for (size_t i = 0; i < sizeof builtin_atwords / sizeof builtin_atwords[0]; i++)
			if (strcmp(m->name, builtin_atwords[i]) == 0)
				diag_at(DIAG_WARNING, NULL, &t.loc,
					"macro redefines built-in operator '@%s'", m->name);
	}

	raw_next(pp, &t);
	if (t.kind == '(') {
		int cap = 0;
		for (;;) {
			raw_next(pp, &t);
			if (t.kind != IDENT) {
				pp_error(&t.loc, "expected parameter name in the definition of macro '@%s'",
					 m->name);
				abandon_definition(pp, &t);
				return;
			}
			for (int i = 0; i < m->nparams; i++)
				if (strcmp(m->params[i], t.text) == 0) {
					pp_error(&t.loc, "duplicate macro parameter '%s'", t.text);
					ok = false;
				}
			m->params = arena_grow(pp->a, m->params, &cap, m->nparams + 1, sizeof *m->params);
			m->params[m->nparams++] = t.text;
			raw_next(pp, &t);
			if (t.kind == ',')
				continue;
			if (t.kind != ')') {
				pp_error(&t.loc, "expected ',' or ')' in the parameters of macro '@%s'",
					 m->name);
				abandon_definition(pp, &t);
				return;
			}
			raw_next(pp, &t);
			break;
		}
	}
	if (t.kind != PP_OPEN) {
		pp_error(&t.loc, "expected '%%(' to begin the body of macro '@%s'", m->name);
		abandon_definition(pp, &t);
		return;
	}
	int nest = 0;
	for (;;) {
		raw_next(pp, &t);
		if (t.kind == 0) {
			pp_error(&m->loc, "incomplete macro definition: the body of '@%s' has no '%%)'",
				 m->name);
			return;
		}
		if (t.kind == PP_OPEN)
			nest++;
		else if (t.kind == PP_CLOSE && nest-- == 0)
			break;
		tokens_add(pp->a, &m->body, &m->nbody, &m->capbody, &t);
	}
	(void)at;
	if (ok)
		table_add(pp->a, &pp->file_macros, m);
}

/* Read one argument of an invocation: tokens up to ',' or ')' outside
 * brackets.  Returns the separator's kind, or 0 when the argument list runs
 * off the end of the file or of the enclosing macro body. */
static int slurp_arg(PP *pp, ArgBody *arg, Token *sep)
{
	int nest = 0;
	for (;;) {
		if (!raw_next(pp, sep) || sep->kind == 0)
			return 0;
		int k = sep->kind;
		if (k == '(' || k == '[')
			nest++;
		else if (nest && (k == ')' || k == ']'))
			nest--;
		else if (!nest && (k == ')' || k == ','))
			return k;
		tokens_add(pp->a, &arg->toks, &arg->n, &arg->cap, sep);
	}
}

/* A macro use went wrong: the grammar's complaint about the next token
 * would only repeat it (see pp_quiet_error). */
static void invocation_failed(PP *pp)
{
	pp->failed_at = pp->nshaped;
}

/* @name [( args )]: push the expansion.  `at` is the @name token. */
static void invoke_macro(PP *pp, Macro *m, const Token *at)
{
	Activation *cur = pp->nstack ? pp->stack[pp->nstack - 1] : NULL;
	/* Recursion: the use is (lexically) inside an expansion of the same
	 * macro.  An argument is not: @f(@f(1)) is fine. */
	Activation *owner = param_scope(cur);
	for (Activation *a = owner; a; a = a->caller)
		if (a->macro == m) {
			pp_error(&at->loc, "macro '@%s' expands to itself (recursive macro)", m->name);
			diag_note(&m->loc, "macro '@%s' is defined here", m->name);
			invocation_failed(pp);
			return;
		}
	if (pp->nstack >= MAX_EXPANSION_DEPTH) {
		pp_error(&at->loc, "macro expansion too deep (limit %d)", MAX_EXPANSION_DEPTH);
		invocation_failed(pp);
		return;
	}
	Activation *act = arena_alloc(pp->a, sizeof *act);
	act->macro = m;
	act->caller = owner;
	act->library = m->library;
	act->toks = m->body;
	act->n = m->nbody;
	if (m->nparams > 0) {
		Token t = { .kind = 0 };
		bool got = raw_next(pp, &t);
		if (!got || t.kind != '(') {
			pp_error(&at->loc, "expected '(' and %d argument%s after macro '@%s'",
				 m->nparams, m->nparams == 1 ? "" : "s", m->name);
			diag_note(&m->loc, "macro '@%s' is defined here", m->name);
			if (got && t.kind != 0) {
				pp->pushback = t;
				pp->has_pushback = true;
			}
			invocation_failed(pp);
			return;
		}
		act->args = arena_alloc(pp->a, (size_t)m->nparams * sizeof *act->args);
		for (int i = 0; i < m->nparams; i++) {
			act->args[i].scope = cur;
			Token sep;
			int k = slurp_arg(pp, &act->args[i], &sep);
			if (k == 0) {
				pp_error(&t.loc, "unterminated argument list of macro '@%s' (missing ')')",
					 m->name);
				invocation_failed(pp);
				return;
			}
			if (k == ',' && i + 1 == m->nparams) {
				pp_error(&sep.loc, "too many arguments for macro '@%s' (it takes %d)",
					 m->name, m->nparams);
				diag_note(&m->loc, "macro '@%s' is defined here", m->name);
				/* Skip the rest of the list, so parsing resumes after it. */
				ArgBody junk = {0};
				while ((k = slurp_arg(pp, &junk, &sep)) == ',')
					;
				invocation_failed(pp);
				return;
			} else if (k == ')' && i + 1 != m->nparams) {
				pp_error(&sep.loc, "too few arguments for macro '@%s' (it takes %d)",
					 m->name, m->nparams);
				diag_note(&m->loc, "macro '@%s' is defined here", m->name);
				invocation_failed(pp);
				return;
			}
		}
	}
	if (act->n > 0)
		act->exp_src = src_add_expansion(m->src, &at->loc);
	push(pp, act);
}

/* Layer 1: the next token after macro definition and expansion. */
static void expand_next(PP *pp, Token *t)
{
	for (;;) {
		if (!raw_next(pp, t)) {
			pp->nstack--;
			continue;
		}
		if (t->kind == AT_DEFINE) {
			if (pp->nstack > 0) {
				pp_error(&t->loc, "'@define' forbidden inside macro body");
				skip_definition(pp);
				continue;
			}
			define_macro(pp, t);
			continue;
		}
		if (!is_atword(t->kind))
			return;
		const char *name = t->text + 1;
		Activation *top = pp->nstack ? pp->stack[pp->nstack - 1] : NULL;
		Activation *scope = param_scope(top);
		if (scope && scope->macro) {
			Macro *m = scope->macro;
			int i;
			for (i = 0; i < m->nparams; i++)
				if (strcmp(m->params[i], name) == 0)
					break;
			if (i < m->nparams) {
				Activation *act = arena_alloc(pp->a, sizeof *act);
				act->is_arg = true;
				act->toks = scope->args[i].toks;
				act->n = scope->args[i].n;
				act->scope = scope->args[i].scope;
				Activation *ps = param_scope(act->scope);
				act->library = ps ? ps->library : false;
				if (pp->nstack >= MAX_EXPANSION_DEPTH) {
					pp_error(&t->loc, "macro expansion too deep (limit %d)",
						 MAX_EXPANSION_DEPTH);
					continue;
				}
				push(pp, act);
				continue;
			}
		}
		Macro *m = NULL;
		bool in_library = top ? top->library : pp->library_file;
		if (!in_library)
			m = table_find(&pp->file_macros, name);
		if (!m)
			m = table_find(pp->env->macros, name);
		if (!m && in_library)
			m = table_find(&pp->file_macros, name);
		if (!m)
			return;   /* an ordinary @operator */
		invoke_macro(pp, m, t);
	}
}

/* =========================================================== conditionals */

/* A lexical error is an error once the token is really used. */
static void report_token_error(PP *pp, const Token *t)
{
	if (!t->error)
		return;
	pp_error(t->error_at.len ? &t->error_at : &t->loc, "%s", t->error);
	/* the grammar choking on the repaired token would say it again */
	pp->failed_at = pp->nshaped;
}

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

/* Apply a comparison operator to a three-way result. */
static bool compare(int op, int c, const Token *optok, bool *ok)
{
	switch (op) {
	case EQ: return c == 0;
	case NE: return c != 0;
	case '<': return c < 0;
	case LE: return c <= 0;
	case '>': return c > 0;
	case GE: return c >= 0;
	default:
		pp_error(&optok->loc, "expected comparison operator");
		*ok = false;
		return false;
	}
}

static bool glob_match(int op, const char *pattern, const char *value, const Token *optok, bool *ok)
{
	bool match = fnmatch(pattern, value, FNM_NOESCAPE) == 0;
	if (op == EQ)
		return match;
	if (op == NE)
		return !match;
	pp_error(&optok->loc, "expected '==' or '!='");
	*ok = false;
	return false;
}

static bool parse_ll(const char *s, long long *v)
{
	if (!s || !*s)
		return false;
	char *end;
	errno = 0;
	*v = strtoll(s, &end, 0);
	return errno == 0 && *end == '\0';
}

static int cmp_ll(long long a, long long b)
{
	return (a > b) - (a < b);
}

static const char *config_value(const PP *pp, const char *name)
{
	const char *v = pp->env->config ? pp->env->config(name) : NULL;
	return v ? v : "";
}

/* kernel_v is the release without its "-local" suffix, as stap's
 * kernel_base_release. */
static const char *kernel_v(const PP *pp, bool full)
{
	const char *r = pp->env->kernel_release ? pp->env->kernel_release : "";
	if (full)
		return r;
	const char *dash = strchr(r, '-');
	return dash ? arena_strndup(pp->a, r, (size_t)(dash - r)) : r;
}

/* One term `l op r`; *ok is cleared after an error (the term is false). */
static bool eval_term(PP *pp, const Token *l, const Token *op, const Token *r, bool *ok)
{
	int o = op->kind;
	if (l->kind == IDENT) {
		const char *n = l->text;
		if (!strcmp(n, "kernel_v") || !strcmp(n, "kernel_vr") || !strcmp(n, "systemtap_v")) {
			if (r->kind != STRING) {
				pp_error(&r->loc, "expected string literal");
				return *ok = false;
			}
			const char *target = !strcmp(n, "systemtap_v")
				? (pp->env->systemtap_v ? pp->env->systemtap_v : "5.0")
				: kernel_v(pp, n[8] == 'r');
			bool wild = strpbrk(r->text, "*?[") != NULL;
			if (wild) {
				if (o != EQ && o != NE) {
					pp_error(&op->loc, o == '<' || o == '>' || o == LE || o == GE
						 ? "wildcard not allowed with order comparison operators"
						 : "expected comparison operator");
					return *ok = false;
				}
				return glob_match(o, r->text, target, op, ok);
			}
			return compare(o, sign(strverscmp(target, r->text)), op, ok);
		}
		if (!strcmp(n, "systemtap_privilege")) {
			if (r->kind != STRING) {
				pp_error(&r->loc, "expected string literal");
				return *ok = false;
			}
			const char *priv = pp->env->privilege ? pp->env->privilege : "stapdev";
			if (o != EQ && o != NE) {
				pp_error(&op->loc, "expected '==' or '!='");
				return *ok = false;
			}
			return (strcmp(priv, r->text) == 0) == (o == EQ);
		}
		if (!strcmp(n, "guru_mode")) {
			if (r->kind != NUMBER) {
				pp_error(&r->loc, "expected number");
				return *ok = false;
			}
			if (r->num != 0 && r->num != 1) {
				pp_error(&r->loc, "expected 0 or 1");
				return *ok = false;
			}
			if (o != EQ && o != NE) {
				pp_error(&op->loc, "expected '==' or '!='");
				return *ok = false;
			}
			return compare(o, cmp_ll(pp->env->guru, r->num), op, ok);
		}
		if (!strcmp(n, "arch") || !strcmp(n, "runtime")) {
			if (r->kind != STRING) {
				pp_error(&r->loc, "expected string literal");
				return *ok = false;
			}
			const char *v = n[0] == 'a' ? (pp->env->arch ? pp->env->arch : "x86_64")
				: (pp->env->runtime ? pp->env->runtime : "bpf");
			return glob_match(o, r->text, v, op, ok);
		}
		if (!strncmp(n, "CONFIG_", 7)) {
			const char *lv = config_value(pp, n);
			long long a, b;
			if (r->kind == STRING)
				return glob_match(o, r->text, lv, op, ok);
			if (r->kind == NUMBER) {
				if (!parse_ll(lv, &a)) {
					pp_error(&l->loc, "Config option value not a number");
					return *ok = false;
				}
				return compare(o, cmp_ll(a, r->num), op, ok);
			}
			if (r->kind == IDENT && !strncmp(r->text, "CONFIG_", 7)) {
				const char *rv = config_value(pp, r->text);
				if (parse_ll(lv, &a) && parse_ll(rv, &b))
					return compare(o, cmp_ll(a, b), op, ok);
				return compare(o, sign(strcmp(lv, rv)), op, ok);
			}
			pp_error(&r->loc, "expected string, number literal or other CONFIG_... as right side operand");
			return *ok = false;
		}
	} else if (l->kind == STRING && r->kind == STRING) {
		return compare(o, sign(strcmp(l->text, r->text)), op, ok);
	} else if (l->kind == NUMBER && r->kind == NUMBER) {
		return compare(o, cmp_ll(l->num, r->num), op, ok);
	} else if (l->kind == STRING && r->kind == NUMBER) {
		pp_error(&r->loc, "expected string literal as right value");
		return *ok = false;
	} else if (l->kind == NUMBER && r->kind == STRING) {
		pp_error(&r->loc, "expected number literal as right value");
		return *ok = false;
	}
	if (l->kind == AT_DEFINED) {
		pp_error(&l->loc, "'@defined' is no preprocessor condition: test it in an "
			 "expression instead, as in if (@defined($var))");
		return *ok = false;
	}
	pp_error(&l->loc, "expected 'arch', 'kernel_v', 'kernel_vr', 'systemtap_v', 'runtime', "
		 "'systemtap_privilege', 'guru_mode', 'CONFIG_...', or a comparison between "
		 "strings or integers");
	return *ok = false;
}

/* After %(: read and evaluate the condition up to and including %?.  On an
 * error the condition counts as false. */
static bool eval_condition(PP *pp, const Token *open)
{
	bool result = false, and_result = true, ok = true;
	for (;;) {
		Token term[3];
		for (int i = 0; i < 3; i++) {
			expand_next(pp, &term[i]);
			report_token_error(pp, &term[i]);
			if (term[i].kind == 0 || term[i].kind == PP_THEN) {
				pp_error(&open->loc, "incomplete condition after '%%(': expected a "
					 "comparison such as arch == \"x86_64\" before '%%?'");
				if (term[i].kind == 0) {
					pp->pushback = term[i];
					pp->has_pushback = true;
				}
				return false;
			}
		}
		bool v = eval_term(pp, &term[0], &term[1], &term[2], &ok);
		if (!ok)
			break;
		and_result = and_result && v;
		Token n;
		expand_next(pp, &n);
		if (n.kind == ANDAND)
			continue;
		result = result || and_result;
		and_result = true;
		if (n.kind == OROR)
			continue;
		if (n.kind == PP_THEN)
			return result;
		pp_error(&n.loc, "expected '%%?' marker for conditional");
		if (n.kind == 0 || n.kind == PP_ELSE || n.kind == PP_CLOSE) {
			pp->pushback = n;
			pp->has_pushback = true;
			return false;
		}
		ok = false;
		break;
	}
	/* Resynchronise on the %? (or on a %: or %) when there is none). */
	int nest = 0;
	for (;;) {
		Token n;
		expand_next(pp, &n);
		if (n.kind == PP_OPEN) {
			nest++;
		} else if (nest && n.kind == PP_CLOSE) {
			nest--;
		} else if (!nest && n.kind == PP_THEN) {
			break;
		} else if (n.kind == 0 || (!nest && (n.kind == PP_ELSE || n.kind == PP_CLOSE))) {
			pp->pushback = n;
			pp->has_pushback = true;
			break;
		}
	}
	return false;
}

/* Skip a region not taken: stop at the %: %? or %) that ends it. */
static void skip_region(PP *pp, Token *t)
{
	int nest = 0;
	for (;;) {
		if (!raw_next(pp, t)) {
			pp->nstack--;
			continue;
		}
		int k = t->kind;
		if (k == 0)
			return;
		if (k == PP_OPEN)
			nest++;
		else if (k == PP_CLOSE && nest)
			nest--;
		else if (!nest && (k == PP_ELSE || k == PP_THEN || k == PP_CLOSE))
			return;
	}
}

void pp_next(PP *pp, Token *t)
{
	for (;;) {
		int st = pp->nconds ? pp->conds[pp->nconds - 1].state : -1;
		if (st == COND_SKIP_THEN || st == COND_SKIP_ELSE)
			skip_region(pp, t);
		else
			expand_next(pp, t);
		switch (t->kind) {
		case 0:
			if (pp->nstack == 0 && lex_eof_swallowed(pp->lx))
				pp->failed_at = pp->nshaped;
			if (pp->nconds) {
				pp_error(&pp->conds[pp->nconds - 1].open.loc,
					 "incomplete conditional at end of file: this '%%(' has no '%%)'");
				pp->nconds = 0;
			}
			return;
		case PP_THEN:
			pp_error(&t->loc, "'%s' without a matching '%%('", t->kind == PP_THEN ? "%?"
				 : t->kind == PP_ELSE ? "%:" : "%)");
			continue;
		case PP_ELSE:
			if (st < 0)
				pp_error(&t->loc, "'%s' without a matching '%%('", t->kind == PP_THEN ? "%?"
				 : t->kind == PP_ELSE ? "%:" : "%)");
			else if (st == COND_KEEP_ELSE || st == COND_SKIP_ELSE)
				pp_error(&t->loc, "invalid conditional - duplicate '%%:'");
			else
				pp->conds[pp->nconds - 1].state =
					st == COND_KEEP_THEN ? COND_SKIP_ELSE : COND_KEEP_ELSE;
			continue;
		case PP_CLOSE:
			if (st < 0)
				pp_error(&t->loc, "'%s' without a matching '%%('", t->kind == PP_THEN ? "%?"
				 : t->kind == PP_ELSE ? "%:" : "%)");
			else
				pp->nconds--;
			continue;
		case PP_OPEN: {
			Token open = *t;
			bool v = eval_condition(pp, &open);
			pp->conds = arena_grow(pp->a, pp->conds, &pp->capconds, pp->nconds + 1,
					       sizeof *pp->conds);
			pp->conds[pp->nconds++] = (Cond){ open, v ? COND_KEEP_THEN : COND_SKIP_THEN };
			continue;
		}
		case JUNK:
			/* a run of invalid characters is one error */
			if (!(t->loc.file == pp->junk_end.file && t->loc.off == pp->junk_end.off &&
			      pp->junk_end.len))
				report_token_error(pp, t);
			pp->junk_end = t->loc;
			pp->junk_end.off += t->loc.len;
			pp->junk_end.len = 1;
			continue;
		default:
			report_token_error(pp, t);
			return;
		}
	}
}

/* ========================================================= token shaping */

static Token *peek_tok(PP *pp)
{
	if (pp->nla == 0) {
		pp_next(pp, &pp->la);
		pp->nla = 1;
	}
	return &pp->la;
}

static Token next_tok(PP *pp)
{
	peek_tok(pp);
	pp->nla = 0;
	return pp->la;
}

static bool is_keyword(int k)
{
	switch (k) {
	case PROBE: case GLOBAL: case PRIVATE: case FUNCTION: case IF: case ELSE:
	case FOR: case FOREACH: case IN: case LIMIT: case RETURN: case DELETE:
	case WHILE: case BREAK: case CONTINUE: case NEXT: case STRING_KW:
	case LONG_KW: case TRY: case CATCH:
		return true;
	default:
		return false;
	}
}

/* Pieces of a probe point component name: stap glues identifiers, keywords
 * and '*' written without space between them. */
static bool is_name_piece(int k)
{
	return k == IDENT || k == '*' || is_keyword(k);
}

/* Tokens after which a probe point component name starts. */
static bool is_pp_separator(int k)
{
	return k == PROBE || k == '.' || k == ',' || k == '=' || k == ADD_ASSIGN ||
	       k == PP_LBRACE;
}

/* End of `t` as an offset, when `n` continues it in the same text. */
static bool adjacent(const Token *t, const Token *n)
{
	return !n->space_before && n->loc.file == t->loc.file &&
	       n->loc.off == t->loc.off + t->loc.len;
}

static void join_strings(PP *pp, Token *t)
{
	if (peek_tok(pp)->kind != STRING)
		return;
	size_t len = t->len, cap = len + 64;
	char *buf = arena_alloc(pp->a, cap);
	memcpy(buf, t->text, t->len);
	while (peek_tok(pp)->kind == STRING) {
		Token n = next_tok(pp);
		if (len + n.len + 1 > cap) {
			int icap = (int)cap;
			buf = arena_grow(pp->a, buf, &icap, (int)(len + n.len + 1), 1);
			cap = (size_t)icap;
		}
		memcpy(buf + len, n.text, n.len);
		len += n.len;
		if (n.loc.file == t->loc.file && n.loc.off >= t->loc.off)
			t->loc.len = n.loc.off + n.loc.len - t->loc.off;
	}
	buf[len] = '\0';
	t->text = buf;
	t->len = len;
}

/* In a probe point list: glue component names, tell a group '{' from the
 * body '{', and leave probe point mode at the body. */
static int shape_pp(PP *pp, Token *t)
{
	int k = t->kind;
	if (pp->pp_paren > 0) {
		if (k == '(')
			pp->pp_paren++;
		else if (k == ')')
			pp->pp_paren--;
		return k;
	}
	if (k == '(') {
		pp->pp_paren++;
		return k;
	}
	if (k == '{') {
		if (is_pp_separator(pp->prev_kind)) {
			pp->pp_group++;
			return PP_LBRACE;
		}
		pp->pp_mode = false;
		return k;
	}
	if (k == '}') {
		if (pp->pp_group > 0)
			pp->pp_group--;
		return k;
	}
	if (is_name_piece(k) && is_pp_separator(pp->prev_kind)) {
		const char *first = k == '*' ? "*" : t->text;
		size_t len = strlen(first), cap = len + 32;
		char *buf = arena_alloc(pp->a, cap);
		memcpy(buf, first, len);
		Token last = *t;
		while (is_name_piece(peek_tok(pp)->kind) && adjacent(&last, peek_tok(pp))) {
			Token n = next_tok(pp);
			const char *piece = n.kind == '*' ? "*" : n.text;
			size_t plen = strlen(piece);
			if (len + plen + 1 > cap) {
				int icap = (int)cap;
				buf = arena_grow(pp->a, buf, &icap, (int)(len + plen + 1), 1);
				cap = (size_t)icap;
			}
			memcpy(buf + len, piece, plen);
			len += plen;
			last = n;
		}
		buf[len] = '\0';
		t->text = buf;
		t->len = len;
		t->loc.len = last.loc.off + last.loc.len - t->loc.off;
		return COMPNAME;
	}
	/* A declaration keyword ends a broken probe header (error recovery). */
	if (k == GLOBAL || k == FUNCTION || k == PRIVATE || k == EMBEDDED)
		pp->pp_mode = false;
	return k;
}

/* Layer 3: the tokens the grammar reads. */
static bool is_declaration(int k)
{
	return k == PROBE || k == FUNCTION || k == GLOBAL || k == PRIVATE;
}

/* The innermost body brace not yet closed. */
static const SrcLoc *open_body(const PP *pp)
{
	for (int i = pp->nbraces - 1; i >= 0; i--)
		if (pp->braces[i].body)
			return &pp->braces[i].loc;
	return NULL;
}

void pp_shaped_next(PP *pp, Token *out)
{
	Token t;
	if (pp->synth_close > 0) {
		pp->synth_close--;
		t = pp->synth;
		goto emit;
	}
	t = next_tok(pp);
	/* A declaration keyword inside a body: the body was not closed.  Say
	 * so here, where the '{' is known, and close every open body with
	 * '}' tokens of our own, so the declaration parses as itself
	 * (`$p->probe` is a member, not a declaration). */
	if (is_declaration(t.kind) && pp->nbodies > 0 && pp->prev_kind != ARROW) {
		pp_error(&t.loc, "expected '}' before '%s'", t.text);
		diag_note(open_body(pp), "'{' opened here");
		pp->failed_at = pp->nshaped;
		pp->la = t;
		pp->nla = 1;
		pp->synth = (Token){ .kind = '}', .loc = t.loc, .space_before = true };
		pp->synth.loc.len = 0;
		pp->synth_close = pp->nbodies - 1;
		t = pp->synth;
		goto emit;
	}
	int k = t.kind;
	if (k == STRING)
		join_strings(pp, &t);
	else if (pp->pp_mode)
		k = shape_pp(pp, &t);

	switch (k) {
	case PROBE:
		pp->pp_mode = true;
		pp->pp_paren = pp->pp_group = 0;
		pp->in_function = false;
		break;
	case FUNCTION:
		pp->in_function = true;
		break;
	case RETURN: {
		int n = peek_tok(pp)->kind;
		if (n == ';' || n == '}' || n == 0)
			k = RETURN0;
		if (!pp->in_function)
			pp_error(&t.loc, "found 'return' not in function context");
		break;
	}
	default:
		break;
	}
	t.kind = k;
emit:
	k = t.kind;
	if (k == '{' || k == PP_LBRACE) {
		pp->braces = arena_grow(pp->a, pp->braces, &pp->capbraces, pp->nbraces + 1,
					sizeof *pp->braces);
		pp->braces[pp->nbraces++] = (struct Brace){ t.loc, k == '{' };
		pp->nbodies += k == '{';
	} else if (k == '}' && pp->nbraces > 0) {
		pp->nbodies -= pp->braces[--pp->nbraces].body;
	}
	pp->prev_kind = k;
	pp->hist[pp->hpos] = t;
	pp->hpos = (pp->hpos + 1) % 3;
	if (pp->nhist < 3)
		pp->nhist++;
	pp->nshaped++;
	pp->ndecls += is_declaration(k);
	*out = t;
}

const SrcLoc *pp_unclosed_brace(const PP *pp)
{
	return pp->nbraces > 0 ? &pp->braces[pp->nbraces - 1].loc : NULL;
}

long pp_declarations(const PP *pp)
{
	return pp->ndecls;
}

bool pp_quiet_error(const PP *pp)
{
	return pp->failed_at >= 0 && pp->nshaped == pp->failed_at + 1;
}

static void consider(const char *cand, const char *name, const char **best, int *dist)
{
	int d = diag_distance(name, cand);
	/* one edit for short names, two for longer ones */
	int limit = strlen(name) <= 4 ? 1 : 2;
	if (d <= limit && d < *dist) {
		*best = cand;
		*dist = d;
	}
}

const char *pp_similar_atword(const PP *pp, const char *name)
{
	const char *best = NULL;
	int dist = 3;
	for (size_t i = 0; i < sizeof builtin_atwords / sizeof builtin_atwords[0]; i++)
		consider(builtin_atwords[i], name, &best, &dist);
	for (int i = 0; i < pp->file_macros.n; i++)
		consider(pp->file_macros.v[i]->name, name, &best, &dist);
	if (pp->env->macros)
		for (int i = 0; i < pp->env->macros->n; i++)
			consider(pp->env->macros->v[i]->name, name, &best, &dist);
	return best;
}

bool pp_saw_tokens(const PP *pp)
{
	return lex_saw_tokens(pp->lx);
}

const Token *pp_history(const PP *pp, int back)
{
	if (back < 0 || back >= pp->nhist)
		return NULL;
	return &pp->hist[(pp->hpos + 2 - back) % 3];
}

/* ============================================================== interface */

PP *pp_new(Arena *a, Source *src, const ParseEnv *env)
{
	static const ParseEnv no_env;
	PP *pp = arena_alloc(a, sizeof *pp);
	pp->a = a;
	pp->src = src;
	pp->env = env ? env : &no_env;
	pp->failed_at = -1;
	pp->lx = lex_new(a, src, pp->env);
	return pp;
}

void pp_free(PP *pp)
{
	if (!pp)
		return;
	lex_free(pp->lx);
	pp->lx = NULL;
}

int parse_macro_file(Arena *a, Source *src, ParseEnv *env)
{
	int errors_before = diag_errors();
	PP *pp = pp_new(a, src, env);
	pp->library_file = true;
	Token t;
	bool complained = false;
	for (;;) {
		pp_next(pp, &t);
		if (t.kind == 0)
			break;
		if (!complained) {
			pp_error(&t.loc, "unexpected token in library macro file '%s'", src->name);
			complained = true;
		}
	}
	pp_free(pp);
	if (diag_errors() != errors_before)
		return -1;
	if (!env->macros)
		env->macros = arena_alloc(a, sizeof *env->macros);
	/* All or nothing, as stap: a duplicate keeps the whole file out. */
	for (int i = 0; i < pp->file_macros.n; i++) {
		Macro *m = pp->file_macros.v[i];
		Macro *old = table_find(env->macros, m->name);
		if (old) {
			pp_error(&m->loc, "duplicate definition of library macro '@%s'", m->name);
			diag_note(&old->loc, "macro '@%s' first defined here", m->name);
			return -1;
		}
	}
	for (int i = 0; i < pp->file_macros.n; i++) {
		pp->file_macros.v[i]->library = true;
		table_add(a, env->macros, pp->file_macros.v[i]);
	}
	return 0;
}
