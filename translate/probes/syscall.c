/* syscall.c - syscall.NAME[.return] and nd_syscall.NAME[.return] (the same
 * points), with wildcards in NAME: SystemTap's syscall tapset, made on
 * demand from the running kernel's tracepoints.
 *
 * Each system call has the tracepoints syscalls:sys_enter_NAME (its
 * arguments are the fields) and sys_exit_NAME (`ret`).  A probe on
 * syscall.NAME runs the call's prologue, then the user's body:
 *
 *   entry:  name = "NAME"; the arguments under SystemTap's names; argstr
 *   return: name = "NAME"; retval = $return; retstr = return_str(1, retval)
 *
 * The entry variables of the calls SystemTap shows in its own way are the
 * body of an alias __syscall.EVENT in tapsets/syscalls.stp; those of the
 * others are made from the tracepoint's format (make_generic): an int
 * as a number, a pointer in hexadecimal, a file name quoted.  Nothing is
 * read before a script names a call: the list of calls is one directory
 * of tracefs, a format file is read when its call is used, and -l reads
 * none.  A prologue keeps only what the probe's body uses (the variables
 * it names, and what those need), unless -u; a variable of the prologue
 * named like a global of the script is renamed (rename_globals), so the
 * body's name stays the global's.
 *
 * A point that matches few calls gets a program per call, at that call's
 * tracepoints.  One that matches more (syscall.*) shares programs on
 * raw_syscalls:sys_enter / sys_exit, whose `id` is the call's number
 * (syscall_table.c) and `args` its arguments, at the same offsets as in
 * the call's own format: each program tells the calls apart by number (a
 * tree of comparisons whose leaves are the prologues), then runs the
 * user's body once; argstr is described by the leaves and made once after
 * them (describe_argstr).  Attaching and detaching 350 tracepoints takes
 * half a minute (each detach waits for an RCU grace period); a handful of
 * programs takes a moment.  The shared form needs what the per-call form
 * does not: the body names no target variable (a $var means a different
 * argument in each call), and each variable it uses has one type across
 * the calls; otherwise each call gets its own program.  pp() names the
 * tracepoint: syscalls:sys_enter_NAME, or raw_syscalls:sys_enter.  Calls
 * of 32-bit tasks reach raw_syscalls with their own numbers; they are not
 * told apart (the per-call tracepoints ignore them).
 *
 * Probe table: BSTAP_PROBE_TRACEPOINT, like kernel.trace(). */
#include <fnmatch.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>

#include "translate/probes/syscall.h"
#include "translate/sema.h"

/* A point matching more calls than this shares raw_syscalls programs. */
#define SHARED_MIN 8
/* What a shared program may hold.  The kernel's verifier walks each
 * prologue, then the user's body once per call, at most a million
 * instructions in all: the estimate (cost()) of the prologues stays under
 * SHARED_BUDGET.  And a prologue that calls functions has values that live
 * across the calls, some on the stack of 512 bytes: at most SHARED_CALLING
 * such prologues in a program. */
#define SHARED_BUDGET 250000
#define SHARED_CALLING 8
/* With argstr described (describe_argstr): the 8-byte stack slots the
 * formatter's functions may take in a program (piece_stack()); and the
 * leaves' estimate, which bounds the compile time rather than the
 * verifier's (a program of thousands of calls' leaves takes a second to
 * allocate registers for). */
#define SHARED_STACK 24
#define SHARED_LEAVES 30000

typedef struct Var {
	const char *name;
	TypeKind type;
} Var;

/* One system call of the running kernel. */
typedef struct Sc {
	const char *event;        /* "pread64": syscalls:sys_enter_pread64 */
	const char *name;         /* "pread": SystemTap's name */
	int nr;                   /* its number, -1 unknown */
	TpFormat *fmt[2];         /* sys_enter_, sys_exit_ (fields read on need) */
	Node *prologue[2];        /* entry, return: every statement (made on need) */
	Var *vars[2];             /* what the prologue sets, in order (-L) */
	int nvars[2];
} Sc;

/* An instance's data: one call's tracepoint, or a shared raw_syscalls one. */
typedef struct ScInst {
	Sc *sc;                   /* NULL when shared */
	bool is_return;
	TpFormat *fmt;            /* the tracepoint it is attached to */
	const char *alias;        /* "syscall.kill", for messages */
} ScInst;

/* The calls of the session, read once (sorted by SystemTap's name):
 * Session.syscalls. */
struct ScTable {
	Sc *v;
	int n, cap;
	TpFormat *raw[2];         /* raw_syscalls:sys_enter, sys_exit */
};

static bool match_sc(const ProbePoint *pp)
{
	return pp->ncomps >= 1 && (!strcmp(pp->comps[0].name, "syscall") || !strcmp(pp->comps[0].name, "nd_syscall"));
}

/* ------------------------------------------------------------ the calls */

static void add_call(const char *system, const char *event, void *ctx)
{
	Session *s = ctx;
	struct ScTable *t = s->syscalls;
	(void)system;
	const char *ev = event + strlen("sys_enter_");
	t->v = arena_grow(s->arena, t->v, &t->cap, t->n + 1, sizeof *t->v);
	Sc *sc = &t->v[t->n++];
	memset(sc, 0, sizeof *sc);
	sc->event = arena_strdup(s->arena, ev);
	sc->name = arena_strdup(s->arena, syscall_stap_name(ev));
	sc->nr = syscall_number(ev);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const Sc *)a)->name, ((const Sc *)b)->name);
}

/* The calls of the running kernel (s->syscalls); NULL when tracefs
 * cannot be read. */
static struct ScTable *list_calls(Session *s)
{
	if (s->syscalls)
		return s->syscalls;
	s->syscalls = arena_alloc(s->arena, sizeof *s->syscalls);
	if (tracefs_list(s, "syscalls:sys_enter_*", add_call, s) < 0) {
		s->syscalls = NULL;
		return NULL;
	}
	if (s->syscalls->n)
		qsort(s->syscalls->v, (size_t)s->syscalls->n, sizeof *s->syscalls->v, by_name);
	return s->syscalls;
}

static TpFormat *call_format(Session *s, Sc *sc, int ret)
{
	if (!sc->fmt[ret])
		sc->fmt[ret] = tracefs_event(s, "syscalls",
		                             arena_printf(s->arena, "sys_%s_%s", ret ? "exit" : "enter", sc->event));
	return sc->fmt[ret];
}

static Sc *find_event(Session *s, const char *event)
{
	struct ScTable *T = s->syscalls;
	for (int i = 0; T && i < T->n; i++)
		if (!strcmp(T->v[i].event, event))
			return &T->v[i];
	return NULL;
}

/* The first argument of a format: its first field after the header and
 * the call number. */
static const TpField *first_arg(const TpFormat *fmt)
{
	for (int i = 0; i < fmt->nfields; i++)
		if (!fmt->fields[i].is_common && strcmp(fmt->fields[i].name, "__syscall_nr") &&
		    strcmp(fmt->fields[i].name, "id"))
			return &fmt->fields[i];
	return NULL;
}

/* ------------------------------------------------------------ AST walks */

/* A prologue's variable named like a global of the script would be that
 * global (as in stap, where it is clobbered): it becomes __sc_NAME. */
static AstWalk rename_globals(Node *n, void *ctx)
{
	Session *s = ctx;
	if (n->kind == AST_VAR && elide_script_global(s, n->name))
		n->name = arena_printf(s->arena, "__sc_%s", n->name);
	return AST_DESCEND;
}

/* ------------------------------------------------------------ types (-L) */

static TypeKind guess_type(Session *s, const Node *e, const Var *vars, int nvars)
{
	if (!e)
		return TY_LONG;
	if (e->kind == AST_STR)
		return TY_STRING;
	if (e->kind == AST_BINARY)
		return e->op == OP_CONCAT ? TY_STRING : TY_LONG;
	if (e->kind == AST_TERNARY)
		return guess_type(s, e->lhs, vars, nvars);
	if (e->kind == AST_ASSIGN)
		return guess_type(s, e->rhs, vars, nvars);
	if (e->kind == AST_VAR) {
		for (int i = 0; i < nvars; i++)
			if (!strcmp(vars[i].name, e->name))
				return vars[i].type;
		return TY_LONG;
	}
	if (e->kind == AST_CALL) {
		if (!strcmp(e->name, "sprintf") || !strcmp(e->name, "sprint") || !strcmp(e->name, "sprintln"))
			return TY_STRING;
		FuncDecl *d = sema_find_func(s, e->name, e->args.n);
		return d && d->ret == TY_STRING ? TY_STRING : TY_LONG;
	}
	return TY_LONG;
}

typedef struct VarScan {
	Session *s;
	Var *v;
	int n, cap;
} VarScan;

static AstWalk note_var(Node *n, void *ctx)
{
	VarScan *vs = ctx;
	if (n->kind != AST_ASSIGN || n->op != OP_ASSIGN || !n->lhs || n->lhs->kind != AST_VAR)
		return AST_DESCEND;
	for (int i = 0; i < vs->n; i++)
		if (!strcmp(vs->v[i].name, n->lhs->name))
			return AST_DESCEND;
	TypeKind t = guess_type(vs->s, n->rhs, vs->v, vs->n);
	vs->v = arena_grow(vs->s->arena, vs->v, &vs->cap, vs->n + 1, sizeof *vs->v);
	vs->v[vs->n++] = (Var){ n->lhs->name, t };
	return AST_DESCEND;
}

/* ------------------------------------------------------------ prologues */

/* A probe body written as text (a generated Source, library code). */
static Node *parse_body(Session *s, const char *what, const char *text)
{
	int errors = diag_errors();
	Source *src = src_add(arena_printf(s->arena, "<%s>", what), text, strlen(text), true);
	Script *sc = parse_source(s->arena, src, &s->env);
	if (!sc || !sc->probes || diag_errors() > errors)
		return NULL;
	return sc->probes->body;
}

/* The alias __syscall.EVENT of tapsets/syscalls.stp, or NULL. */
static Probe *library_format(Session *s, const char *event, Script **file)
{
	for (Script *t = s->tapsets; t; t = t->next)
		for (Probe *p = t->probes; p; p = p->next)
			for (ProbePoint *a = p->alias; a; a = a->next)
				if (a->ncomps == 2 && !strcmp(a->comps[0].name, "__syscall") && !strcmp(a->comps[1].name, event)) {
					*file = t;
					return p;
				}
	return NULL;
}

/* How make_generic shows an argument of C type `ctype`. */
typedef enum { ARG_STRING, ARG_POINTER, ARG_INT, ARG_UINT, ARG_MODE, ARG_FLAGS, ARG_LONG, ARG_ULONG } ArgKind;

static bool is_string_arg(const char *ctype, const char *name)
{
	static const char *const buffers[] = {"buf", "u_msg_ptr", "optval", "ubuf", "list", "shmaddr"};
	static const char *const paths[] = {"filename", "name", "dev_name", "dir_name", "type", "pathname", "path"};
	if (!strcmp(ctype, "const char *")) {
		for (size_t i = 0; i < sizeof buffers / sizeof buffers[0]; i++)
			if (!strcmp(name, buffers[i]))
				return false;
		return true;
	}
	if (!strcmp(ctype, "char *"))
		for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
			if (!strcmp(name, paths[i]))
				return true;
	return false;
}

static ArgKind arg_kind(const TpField *f)
{
	const char *t = f->ctype;
	if (is_string_arg(t, f->name))
		return ARG_STRING;
	if (strchr(t, '*') || !strcmp(t, "cap_user_header_t") || !strcmp(t, "cap_user_data_t") ||
	    !strcmp(t, "const cap_user_data_t"))
		return ARG_POINTER;
	if (!strncmp(t, "const ", 6))
		t += 6;
	if (strstr(f->name, "flag"))
		return ARG_FLAGS;
	if (!strcmp(t, "umode_t") || !strcmp(f->name, "mode"))
		return ARG_MODE;
	Access acc;
	if (tracefs_field_access(f, &acc) && acc.size < 8)
		return acc.is_signed ? ARG_INT : ARG_UINT;
	if (!strcmp(t, "long") || !strcmp(t, "loff_t") || !strcmp(t, "off_t") || !strcmp(t, "__s64") ||
	    !strcmp(t, "s64") || !strcmp(t, "long long"))
		return ARG_LONG;
	if (strstr(f->name, "addr") || strstr(f->name, "ptr") || !strcmp(f->name, "arg") || !strcmp(f->name, "start") ||
	    !strcmp(f->name, "brk") || !strcmp(f->name, "newsp"))
		return ARG_POINTER;
	return ARG_ULONG;
}

/* The name of a variable for field `field`: itself, unless the prologue
 * or the language has that name already. */
static const char *var_name(Session *s, const char *field)
{
	static const char *const taken[] = {
		"name", "argstr", "retstr", "retval", "probe", "function", "global", "private", "if", "else", "for",
		"foreach", "in", "limit", "return", "delete", "while", "break", "continue", "next", "try", "catch",
		"string", "long",
	};
	for (size_t i = 0; i < sizeof taken / sizeof taken[0]; i++)
		if (!strcmp(field, taken[i]))
			return arena_printf(s->arena, "%s_str", field);
	return field;
}

/* The entry statements of a call SystemTap has no format of its own for,
 * from its tracepoint's fields, as text. */
static char *make_generic(Session *s, Sc *sc, TpFormat *fmt)
{
	char *body = "", *fmts = "", *args = "";
	for (int i = 0; i < fmt->nfields; i++) {
		const TpField *f = &fmt->fields[i];
		if (f->is_common || !strcmp(f->name, "__syscall_nr"))
			continue;
		const char *v = var_name(s, f->name), *expr, *conv, *arg = v;
		switch (arg_kind(f)) {
		case ARG_STRING:
			expr = arena_printf(s->arena, "user_string_quoted($%s)", f->name);
			conv = "%s";
			break;
		case ARG_POINTER:
			expr = arena_printf(s->arena, "$%s", f->name);
			conv = "%p";
			break;
		case ARG_INT:
			expr = arena_printf(s->arena, "__int32($%s)", f->name);
			conv = "%d";
			break;
		case ARG_UINT:
			expr = arena_printf(s->arena, "__uint32($%s)", f->name);
			conv = "%u";
			break;
		case ARG_MODE:
			expr = arena_printf(s->arena, "__uint32($%s)", f->name);
			conv = "%s"; /* octal: C's %#o, which bpf_snprintf lacks */
			arg = arena_printf(s->arena, "__sc_octal(%s)", v);
			break;
		case ARG_FLAGS:
			expr = arena_printf(s->arena, "__uint32($%s)", f->name);
			conv = "0x%x";
			break;
		case ARG_LONG:
			expr = arena_printf(s->arena, "$%s", f->name);
			conv = "%d";
			break;
		case ARG_ULONG: default:
			expr = arena_printf(s->arena, "$%s", f->name);
			conv = "%u";
			break;
		}
		body = arena_printf(s->arena, "%s\t%s = %s\n", body, v, expr);
		fmts = arena_printf(s->arena, "%s%s%s", fmts, *fmts ? ", " : "", conv);
		args = arena_printf(s->arena, "%s, %s", args, arg);
	}
	if (*fmts)
		return arena_printf(s->arena, "%s\targstr = sprintf(\"%s\"%s)\n", body, fmts, args);
	return arena_printf(s->arena, "%s\targstr = \"\"\n", body);
}

/* Every statement of the call's entry (ret 0) or return (ret 1) prologue,
 * and the variables it sets; NULL after a diagnostic. */
static Node *prologue(Session *s, Sc *sc, int ret)
{
	if (sc->prologue[ret])
		return sc->prologue[ret];
	Script *file = NULL;
	Probe *lib = ret ? NULL : library_format(s, sc->event, &file);
	char *text;
	if (ret) {
		text = arena_printf(s->arena, "probe never {\n\tname = \"%s\"\n\tretval = $return\n"
		                    "\tretstr = return_str(%d, retval)\n}\n",
		                    sc->name, syscall_result_format(sc->event));
	} else if (lib) {
		text = arena_printf(s->arena, "probe never {\n\tname = \"%s\"\n}\n", sc->name);
	} else {
		TpFormat *fmt = call_format(s, sc, 0);
		if (!tracefs_fields(s, fmt)) {
			diag_at(DIAG_ERROR, "semantic error", NULL, "cannot read the format of tracepoint syscalls:sys_enter_%s",
			        sc->event);
			return NULL;
		}
		text = arena_printf(s->arena, "probe never {\n\tname = \"%s\"\n%s}\n", sc->name, make_generic(s, sc, fmt));
	}
	Node *blk = parse_body(s, arena_printf(s->arena, "syscall.%s%s", sc->name, ret ? ".return" : ""), text);
	if (!blk)
		return NULL;
	if (lib) {
		file->used = true;
		for (int i = 0; i < lib->body->body.n; i++)
			nodelist_add(s->arena, &blk->body, ast_clone(s->arena, lib->body->body.v[i]));
	}
	VarScan vs = { s, NULL, 0, 0 };
	for (int i = 0; i < blk->body.n; i++)
		ast_walk(blk->body.v[i], note_var, &vs);
	sc->vars[ret] = vs.v;
	sc->nvars[ret] = vs.n;
	sc->prologue[ret] = blk;
	return blk;
}

/* ------------------------------------------------------------ the point */

typedef struct ScPoint {
	const char *pattern;
	bool is_return;
	const SrcLoc *loc;        /* of the name */
} ScPoint;

static int parse_point(const ProbePoint *pp, ScPoint *p)
{
	const PPComp *c = pp->comps;
	if (pp->ncomps < 2 || c[0].arg || c[1].arg) {
		diag_at(DIAG_ERROR, "semantic error", pp->ncomps < 2 || c[0].arg ? &c[0].loc : &c[1].loc,
		        "no match for probe point: a system call is named as %s.NAME or %s.NAME.return", c[0].name,
		        c[0].name);
		return -1;
	}
	if (pp->ncomps > 3 || (pp->ncomps == 3 && (c[2].arg || strcmp(c[2].name, "return")))) {
		const PPComp *bad = &c[pp->ncomps == 3 ? 2 : 3];
		diag_at(DIAG_ERROR, "semantic error", &bad->loc,
		        "no match for probe point: a system call probe takes .return, not '.%s'", bad->name);
		return -1;
	}
	p->pattern = c[1].name;
	p->is_return = pp->ncomps == 3;
	p->loc = &c[1].loc;
	return 0;
}

static bool is_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static bool call_matches(const Sc *sc, const char *pattern)
{
	if (fnmatch(pattern, sc->name, 0) == 0)
		return true;
	/* the tracepoints' own name, when SystemTap's differs */
	return !is_glob(pattern) && !strcmp(pattern, sc->event);
}

/* No call matches: say so, with the nearest names. */
static void no_match(Session *s, const ProbePoint *pp, const ScPoint *p)
{
	const char *fam = pp->comps[0].name, *ret = p->is_return ? ".return" : "";
	const struct ScTable *T = s->syscalls;
	int best = 4;
	for (int i = 0; i < T->n; i++) {
		int d = diag_distance(p->pattern, T->v[i].name);
		if (d < best)
			best = d;
	}
	char *sugg = NULL;
	int nsugg = 0;
	for (int i = 0; i < T->n && best < 4 && nsugg < 3; i++)
		if (diag_distance(p->pattern, T->v[i].name) == best) {
			const char *one = arena_printf(s->arena, "'%s.%s%s'", fam, T->v[i].name, ret);
			sugg = sugg ? arena_printf(s->arena, "%s or %s", sugg, one) : (char *)one;
			nsugg++;
		}
	const char *what = is_glob(p->pattern) ? "no system call matches" : "no system call is named";
	if (sugg)
		diag_at(DIAG_ERROR, "semantic error", p->loc,
		        "no match for probe point '%s.%s%s': %s '%s' (did you mean %s?)", fam, p->pattern, ret, what,
		        p->pattern, sugg);
	else
		diag_at(DIAG_ERROR, "semantic error", p->loc, "no match for probe point '%s.%s%s': %s '%s'", fam,
		        p->pattern, ret, what, p->pattern);
}

/* The instance more() just made: its concrete point, its name for pp()
 * and what -l and -p2 call it. */
static void name_instance(Session *s, ProbeInst *made, const ProbePoint *pattern, const char *chain,
                          const char *call, const TpFormat *fmt)
{
	ProbePoint *pp = arena_alloc(s->arena, sizeof *pp);
	*pp = *pattern;
	pp->comps = arena_alloc(s->arena, sizeof(PPComp) * (size_t)pp->ncomps);
	memcpy(pp->comps, pattern->comps, sizeof(PPComp) * (size_t)pp->ncomps);
	if (call)
		pp->comps[1].name = call;
	made->pp = pp;
	const char *alias = sema_point_text(s->arena, pp, false);
	made->alias_chain = chain ? arena_printf(s->arena, "%s -> %s", chain, alias) : alias;
	made->pp_text = arena_printf(s->arena, "kernel.trace(\"%s:%s\")", fmt->system, fmt->event);
}

/* ------------------------------------------------------------ shared programs */

/* Does embedded code loop (jump back to a label above)? */
static bool code_loops(const char *code)
{
	const char *labels[64];
	size_t lens[64];
	int n = 0;
	for (const char *line = code; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		while (*line == ' ' || *line == '\t')
			line++;
		size_t id = strspn(line, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
		if (id && line[id] == ':' && n < 64) {
			labels[n] = line;
			lens[n++] = id;
		} else if (line[0] == 'j') {
			/* "jlt $i, 64, more": the target is the last word */
			const char *end = line + strcspn(line, "\n#");
			while (end > line && (end[-1] == ' ' || end[-1] == '\t'))
				end--;
			const char *w = end;
			while (w > line && w[-1] != ' ' && w[-1] != ',' && w[-1] != '\t')
				w--;
			for (int i = 0; i < n; i++)
				if ((size_t)(end - w) == lens[i] && !strncmp(w, labels[i], lens[i]))
					return true;
		}
	}
	return false;
}

/* The sum of fn over the children of n. */
static long sum_kids(Session *s, const Node *n, int depth, long (*fn)(Session *, const Node *, int))
{
	long c = 0;
	const Node *kids[] = { n->lhs, n->rhs, n->cond, n->init, n->step, n->then, n->els, n->value, n->limit };
	for (size_t i = 0; i < sizeof kids / sizeof kids[0]; i++)
		c += fn(s, kids[i], depth);
	for (int i = 0; i < n->args.n; i++)
		c += fn(s, n->args.v[i], depth);
	for (int i = 0; i < n->body.n; i++)
		c += fn(s, n->body.v[i], depth);
	return c;
}

/* About how many instructions the kernel's verifier walks for n, from
 * measures of the tapsets' functions: a loop over a string's characters
 * (user_string_quoted's) costs some 30000, a chain of tests 10 or so per
 * node.  Shared programs are cut by it. */
static long cost(Session *s, const Node *n, int depth)
{
	if (!n || depth > 16)
		return 0;
	long c = 12;
	if (n->kind == AST_CALL) {
		FuncDecl *d = sema_find_func(s, n->name, n->args.n);
		if (d && d->fn->body)
			c += cost(s, d->fn->body, depth + 1);
		else if (d && d->fn->code)
			c += code_loops(d->fn->code) ? 9 * (long)strlen(d->fn->code) : (long)strlen(d->fn->code) / 4;
		else
			c += 60; /* sprintf and the like */
	}
	c += sum_kids(s, n, depth, cost);
	/* a loop is walked once per round */
	return n->kind == AST_FOR || n->kind == AST_WHILE ? 8 * c : c;
}

typedef struct CallCount {
	int calls;
} CallCount;

static bool cheap(const Node *n);

static AstWalk count_call(Node *n, void *ctx)
{
	((CallCount *)ctx)->calls += n->kind == AST_CALL && !cheap(n);
	return AST_DESCEND;
}

/* In a shared program, the fields of each call are those of raw_syscalls'
 * args: $pid in kill's prologue becomes $kill:pid (see target_sc). */
typedef struct Rename {
	Session *s;
	const char *event;
} Rename;

static AstWalk qualify_target(Node *n, void *ctx)
{
	Rename *r = ctx;
	if (n->kind == AST_TARGET && strcmp(n->name, "return") && !strchr(n->name, ':'))
		n->name = arena_printf(r->s->arena, "%s:%s", r->event, n->name);
	return AST_DESCEND;
}

static Node *stmt_assign(Session *s, const char *var, Node *value, SrcLoc loc)
{
	Node *st = ast_new(s->arena, AST_EXPR_STMT, loc);
	st->lhs = ast_binary(s->arena, AST_ASSIGN, OP_ASSIGN, ast_var(s->arena, var, loc), value, loc);
	return st;
}

typedef struct Leaf {
	int nr;
	Node *body;               /* the call's prologue */
	long cost;                /* cost() of body */
	bool calling;             /* body calls functions (other than __int32 ...) */
	const char *desc;         /* with argstr described: its slots' pieces */
	uint64_t mask;            /* and which functions they are (Pieces.code index) */
} Leaf;

/* Calls v[lo, hi) by number: a tree of comparisons of __syscall_nr, its
 * leaves the prologues; a number that is none of them ends the probe. */
static Node *dispatch(Session *s, Leaf *v, int lo, int hi, SrcLoc loc)
{
	Node *nr = ast_var(s->arena, "__syscall_nr", loc);
	if (hi - lo <= 3) {
		Node *els = ast_new(s->arena, AST_NEXT, loc);
		for (int i = hi - 1; i >= lo; i--) {
			Node *iff = ast_new(s->arena, AST_IF, loc);
			iff->cond = ast_binary(s->arena, AST_COMPARE, OP_EQ, ast_clone(s->arena, nr),
			                       ast_num(s->arena, v[i].nr, loc), loc);
			iff->then = v[i].body;
			iff->els = els;
			els = iff;
		}
		return els;
	}
	int mid = (lo + hi) / 2;
	Node *iff = ast_new(s->arena, AST_IF, loc);
	iff->cond = ast_binary(s->arena, AST_COMPARE, OP_LT, nr, ast_num(s->arena, v[mid].nr, loc), loc);
	iff->then = dispatch(s, v, lo, mid, loc);
	iff->els = dispatch(s, v, mid, hi, loc);
	return iff;
}

static int by_nr(const void *a, const void *b)
{
	return ((const Leaf *)a)->nr - ((const Leaf *)b)->nr;
}

/* Variables replaced by their values (shared programs); the latest
 * entry of a name counts, "" is a name dropped. */
typedef struct Subst {
	const char **names;
	Node **values;
	int n, cap, capv;
} Subst;

static Node *subst_find(const Subst *m, const char *name)
{
	for (int i = m->n - 1; i >= 0; i--)
		if (!strcmp(m->names[i], name))
			return m->values[i];
	return NULL;
}

static void subst_set(Session *s, Subst *m, const char *name, Node *value)
{
	m->names = arena_grow(s->arena, m->names, &m->cap, m->n + 1, sizeof *m->names);
	m->values = arena_grow(s->arena, m->values, &m->capv, m->n + 1, sizeof *m->values);
	m->names[m->n] = name;
	m->values[m->n++] = value;
}

/* n (a copy) with each variable of m replaced by a copy of its value,
 * except where it is assigned. */
static Node *inline_vars(Session *s, Node *n, const Subst *m)
{
	if (!n)
		return NULL;
	if (n->kind == AST_VAR) {
		Node *v = subst_find(m, n->name);
		return v ? ast_clone(s->arena, v) : n;
	}
	bool assigns = (n->kind == AST_ASSIGN || n->kind == AST_INCDEC) && n->lhs && n->lhs->kind == AST_VAR;
	if (!assigns)
		n->lhs = inline_vars(s, n->lhs, m);
	Node **kids[] = { &n->rhs, &n->cond, &n->init, &n->step, &n->then, &n->els, &n->value, &n->limit };
	for (size_t i = 0; i < sizeof kids / sizeof kids[0]; i++)
		*kids[i] = inline_vars(s, *kids[i], m);
	for (int i = 0; i < n->args.n; i++)
		n->args.v[i] = inline_vars(s, n->args.v[i], m);
	for (int i = 0; i < n->body.n; i++)
		n->body.v[i] = inline_vars(s, n->body.v[i], m);
	return n;
}

/* A call's prologue in a shared program: what the body uses, the other
 * variables replaced by their values, so that the program's locals are
 * the body's alone (the calls name theirs alike with different types:
 * unlink's pathname is a string, unlinkat's an address). */
static Node *shared_prologue(Session *s, Sc *sc, int ret, const Names *need)
{
	Node *el = elide_prologue(s, sc->prologue[ret], need);
	Node *blk = ast_new(s->arena, AST_BLOCK, el->loc);
	Subst m = { 0 };
	for (int i = 0; i < el->body.n; i++) {
		Node *st = el->body.v[i], *e = st->kind == AST_EXPR_STMT ? st->lhs : NULL;
		if (e && e->kind == AST_ASSIGN && e->op == OP_ASSIGN && e->lhs->kind == AST_VAR &&
		    !names_has(need, e->lhs->name)) {
			subst_set(s, &m, e->lhs->name, inline_vars(s, e->rhs, &m));
			continue;
		}
		/* anything else assigned stays a variable */
		VarUses set = { s->arena, { 0 }, false };
		ast_walk(st, elide_note_assigned, &set);
		for (int k = 0; k < m.n; k++)
			if (names_has(&set.vars, m.names[k]))
				m.names[k] = "";
		nodelist_add(s->arena, &blk->body, inline_vars(s, st, &m));
	}
	return blk;
}

typedef struct Typed {
	Names names;
	TypeKind *types;
	int cap;
} Typed;

/* Do the variables the prologue assigns have the types they have in the
 * programs's other prologues (seen)?  Adds them to seen. */
static bool types_agree(Session *s, Sc *sc, int ret, Node *pro, Typed *seen)
{
	VarUses set = { s->arena, { 0 }, false };
	ast_walk(pro, elide_note_assigned, &set);
	for (int i = 0; i < set.vars.n; i++) {
		TypeKind t = TY_LONG;
		for (int j = 0; j < sc->nvars[ret]; j++)
			if (!strcmp(sc->vars[ret][j].name, set.vars.v[i]))
				t = sc->vars[ret][j].type;
		int k = 0;
		while (k < seen->names.n && strcmp(seen->names.v[k], set.vars.v[i]))
			k++;
		if (k < seen->names.n) {
			if (seen->types[k] != t)
				return false;
			continue;
		}
		names_add(s->arena, &seen->names, set.vars.v[i]);
		seen->types = arena_grow(s->arena, seen->types, &seen->cap, seen->names.n, sizeof *seen->types);
		seen->types[k] = t;
	}
	return true;
}

typedef void (*MoreFn)(Session *, ProbeInst *, const char *, void *);

/* ------------------------------------------------------------ argstr, shared */

/* In a shared program whose body uses argstr, each call's prologue would
 * format its own (quoting strings, naming flags): the verifier would walk
 * every formatting function once per call, and each call's values that
 * live across helper calls would take stack of their own.  Instead the
 * calls' leaves only describe their argstr, and one formatter after them
 * makes it:
 *
 *   __sc_desc   a piece per slot: a conversion (d u x X p) or a function
 *               (A, B, ...: __sc_signal_name, user_string_quoted ...),
 *               padded with '_' to ARG_SLOTS characters
 *   __sc_aN     slot N's value (__sc_bN a function's second argument)
 *   __sc_lN     the text between the slots ("", ", " ...)
 *
 * The description is a string (in memory the verifier does not follow),
 * so every leaf reaches the formatter in the same state: it is walked
 * once, each slot once per kind of piece.  A prologue whose argstr has
 * another form (or whose other variables need function calls) keeps the
 * prologue's own code (chunks of calls, as without argstr). */
#define ARG_SLOTS 6

typedef struct Pieces {
	const char *func[48];
	int nargs[48];
	char code[48];
	bool at[ARG_SLOTS][128];  /* which codes slot N has */
	int n, slots;
} Pieces;

static const char piece_codes[] = "ABCDEFGHIJKLMNOPQRSTUVWYZabcefghijklmnoqrstvwyz";

/* A value a leaf may compute: arithmetic on fields, no function but the
 * integer conversions (they make no helper calls). */
static bool cheap(const Node *n)
{
	if (!n)
		return true;
	if (n->kind == AST_NUM || n->kind == AST_VAR)
		return true;
	if (n->kind == AST_TARGET)
		return !n->ncomps && !n->addr_of && !n->pretty;
	if (n->kind == AST_CALL) {
		if (strcmp(n->name, "__int32") && strcmp(n->name, "__uint32") && strcmp(n->name, "__sext"))
			return false;
		for (int i = 0; i < n->args.n; i++)
			if (!cheap(n->args.v[i]))
				return false;
		return true;
	}
	if (n->kind == AST_UNARY || n->kind == AST_COMPARE || n->kind == AST_LOGAND || n->kind == AST_LOGOR ||
	    n->kind == AST_TERNARY || (n->kind == AST_BINARY && n->op != OP_CONCAT))
		return cheap(n->lhs) && cheap(n->rhs) && cheap(n->cond);
	return false;
}

static int piece_code(Pieces *pc, const char *func, int nargs)
{
	for (int i = 0; i < pc->n; i++)
		if (!strcmp(pc->func[i], func) && pc->nargs[i] == nargs)
			return pc->code[i];
	if (pc->n == (int)sizeof piece_codes - 1)
		return -1;
	pc->func[pc->n] = func;
	pc->nargs[pc->n] = nargs;
	pc->code[pc->n] = piece_codes[pc->n];
	return pc->code[pc->n++];
}

static void add_slot_value(Session *s, Node *blk, char var, int slot, Node *value, SrcLoc loc)
{
	nodelist_add(s->arena, &blk->body, stmt_assign(s, arena_printf(s->arena, "__sc_%c%d", var, slot), value, loc));
}

/* A shared prologue (pro, a copy) with its argstr described instead of
 * made; NULL when it does not have the form. */
static Node *describe_argstr(Session *s, Node *pro, Pieces *pc)
{
	Node *blk = ast_new(s->arena, AST_BLOCK, pro->loc);
	for (int i = 0; i < pro->body.n; i++) {
		Node *st = pro->body.v[i], *e = st->kind == AST_EXPR_STMT ? st->lhs : NULL;
		if (!e || e->kind != AST_ASSIGN || e->op != OP_ASSIGN || e->lhs->kind != AST_VAR)
			return NULL;
		if (strcmp(e->lhs->name, "argstr")) {
			if (e->rhs->kind != AST_STR && !cheap(e->rhs))
				return NULL;
			nodelist_add(s->arena, &blk->body, st);
			continue;
		}
		/* argstr = sprintf("FORMAT", ...), "TEXT", or a function's string */
		Node *r = e->rhs, **args = NULL;
		const char *fmt;
		int nargs = 0;
		if (r->kind == AST_CALL && !strcmp(r->name, "sprintf") && r->args.n >= 1 &&
		    r->args.v[0]->kind == AST_STR) {
			fmt = r->args.v[0]->str;
			args = r->args.v + 1;
			nargs = r->args.n - 1;
		} else if (r->kind == AST_STR && !strchr(r->str, '%')) {
			fmt = r->str;
		} else if (r->kind == AST_CALL) {
			fmt = "%s";
			args = &e->rhs;
			nargs = 1;
		} else {
			return NULL;
		}
		char desc[ARG_SLOTS + 1];
		memset(desc, '_', ARG_SLOTS);
		desc[ARG_SLOTS] = 0;
		char *lit = arena_alloc(s->arena, strlen(fmt) + 1);
		size_t nlit = 0;
		int slot = 0;
		for (const char *p = fmt;; p++) {
			if (*p && (*p != '%' || p[1] == '%')) {
				lit[nlit++] = *p;
				p += *p == '%';
				continue;
			}
			if (nlit)
				add_slot_value(s, blk, 'l', slot, ast_str(s->arena, lit, nlit, st->loc), st->loc);
			if (!*p)
				break;
			lit = arena_alloc(s->arena, strlen(p) + 1);
			nlit = 0;
			char conv = *++p;
			if (slot == ARG_SLOTS || slot >= nargs || !conv || !strchr("dsuxXp", conv))
				return NULL;
			Node *a = args[slot];
			int code;
			if (conv == 's') {
				FuncDecl *d = a->kind == AST_CALL ? sema_find_func(s, a->name, a->args.n) : NULL;
				if (!d || d->ret != TY_STRING || a->args.n < 1 || a->args.n > 2)
					return NULL;
				for (int k = 0; k < a->args.n; k++)
					if (!cheap(a->args.v[k]))
						return NULL;
				code = piece_code(pc, a->name, a->args.n);
				if (code < 0)
					return NULL;
				add_slot_value(s, blk, 'a', slot + 1, a->args.v[0], st->loc);
				if (a->args.n == 2)
					add_slot_value(s, blk, 'b', slot + 1, a->args.v[1], st->loc);
			} else {
				if (!cheap(a))
					return NULL;
				code = conv;
				add_slot_value(s, blk, 'a', slot + 1, a, st->loc);
			}
			desc[slot] = (char)code;
			pc->at[slot][code & 127] = true;
			slot++;
		}
		if (slot != nargs)
			return NULL;
		if (slot > pc->slots)
			pc->slots = slot;
		add_slot_value(s, blk, 'd', 0, ast_str(s->arena, desc, ARG_SLOTS, st->loc), st->loc);
	}
	return blk;
}

/* The formatter of a program whose leaves used the pieces at[slot][code]:
 * a loop over the slots, so that each piece's code is there once (the
 * stack its values take is not shared between copies); its tests of the
 * slot number let the verifier skip the pieces a slot never has. */
static Node *argstr_formatter(Session *s, const Pieces *pc, bool at[ARG_SLOTS][128])
{
	int slots = 0;
	for (int i = 0; i < ARG_SLOTS; i++)
		for (int c = 0; c < 128; c++)
			if (at[i][c])
				slots = i + 1;
	char *va = "0", *vb = "0", *lits = "";
	for (int i = slots - 1; i >= 0; i--) {
		va = arena_printf(s->arena, "__sc_i == %d ? __sc_a%d : (%s)", i, i + 1, va);
		vb = arena_printf(s->arena, "__sc_i == %d ? __sc_b%d : (%s)", i, i + 1, vb);
	}
	for (int i = 0; i < slots; i++)
		lits = arena_printf(s->arena, "%s\t\t%sif (__sc_i == %d)\n\t\t\targstr .= __sc_l%d\n", lits,
		                    i ? "else " : "", i, i + 1);
	char *text = arena_printf(s->arena,
	                          "probe never {\n\targstr = __sc_l0\n"
	                          "\tfor (__sc_i = 0; __sc_i < %d; __sc_i++) {\n"
	                          "\t\t__sc_k = __byte_at(__sc_d0, __sc_i)\n"
	                          "\t\tif (__sc_k == 95)\n\t\t\tbreak\n"
	                          "\t\t__sc_va = %s\n\t\t__sc_vb = %s\n\t\t__sc_p = \"\"\n",
	                          slots, va, vb);
	const char *els = "";
	for (int c = 0; c < 128; c++) {
		char *where = "";
		for (int i = 0; i < slots; i++)
			if (at[i][c])
				where = arena_printf(s->arena, "%s%s__sc_i == %d", where, *where ? " || " : "", i);
		if (!*where)
			continue;
		const char *make = NULL;
		if (strchr("duxXp", c)) {
			make = arena_printf(s->arena, "sprintf(\"%%%c\", __sc_va)", c);
		} else {
			for (int k = 0; k < pc->n; k++)
				if (pc->code[k] == c)
					make = arena_printf(s->arena, pc->nargs[k] == 2 ? "%s(__sc_va, __sc_vb)" : "%s(__sc_va)",
					                    pc->func[k]);
		}
		text = arena_printf(s->arena, "%s\t\t%sif (__sc_k == %d && (%s))\n\t\t\t__sc_p = %s\n", text, els, c, where,
		                    make);
		els = "else ";
	}
	text = arena_printf(s->arena, "%s\t\targstr .= __sc_p\n%s\t}\n}\n", text, lits);
	return parse_body(s, "syscall.* argstr", text);
}

/* Roughly how many 8-byte stack slots the code of function `name` takes:
 * a value that lives across a helper call (a copy of strings, a read of
 * user memory) is spilled when the registers that survive calls are
 * taken, about one for two such operations. */
static long ops_of(Session *s, const Node *n, int depth)
{
	if (!n || depth > 8)
		return 0;
	long k = 0;
	if (n->kind == AST_CALL) {
		FuncDecl *d = sema_find_func(s, n->name, n->args.n);
		k += d && d->fn->body ? ops_of(s, d->fn->body, depth + 1) : 1;
	} else if ((n->kind == AST_BINARY && n->op == OP_CONCAT) || (n->kind == AST_ASSIGN && n->op == OP_CONCAT_ASSIGN)) {
		k++;
	}
	k += sum_kids(s, n, depth, ops_of);
	return n->kind == AST_FOR || n->kind == AST_WHILE ? 2 * k : k;
}

static int piece_stack(Session *s, const Pieces *pc, int code)
{
	for (int k = 0; k < pc->n; k++)
		if (pc->code[k] == code) {
			FuncDecl *d = sema_find_func(s, pc->func[k], pc->nargs[k]);
			return 2 + (int)(d && d->fn->body ? ops_of(s, d->fn->body, 0) : 1) / 2;
		}
	return 1;
}

/* A leaf whose argstr is described by desc (describe_argstr's block). */
static void describe_leaf(Leaf *leaf, Node *desc, const Pieces *pc)
{
	leaf->body = desc;
	leaf->desc = "______";
	for (int i = 0; i < desc->body.n; i++) {
		Node *e = desc->body.v[i]->lhs;
		if (e && e->kind == AST_ASSIGN && e->lhs->kind == AST_VAR && !strcmp(e->lhs->name, "__sc_d0"))
			leaf->desc = e->rhs->str;
	}
	for (int i = 0; i < ARG_SLOTS; i++)
		for (int k = 0; k < pc->n; k++)
			if (pc->code[k] == leaf->desc[i])
				leaf->mask |= (uint64_t)1 << k;
}

static int by_pieces(const void *a, const void *b)
{
	const Leaf *x = a, *y = b;
	if (x->mask != y->mask)
		return x->mask < y->mask ? -1 : 1;
	return x->nr - y->nr;
}

/* Shared programs for the calls v[0, n), each with the prologues of as
 * many calls as the SHARED_ limits allow: 1; 0 (and nothing made) when
 * the prologues' variables differ in type; -1 after a diagnostic. */
static int make_shared(Session *s, ProbeInst *inst, MoreFn more, const ProbePoint *pattern, const char *chain,
                       Sc **v, int n, int ret, const Names *need)
{
	SrcLoc loc = pattern->loc;
	Leaf *leaves = arena_alloc(s->arena, sizeof *leaves * (size_t)n);
	Typed seen = { 0 };
	/* on return, the calls differ in name and retstr's base only: the
	 * leaves set those, retval and retstr are made once after them */
	Node *tail = NULL;
	bool want_base = names_has(need, "retstr");
	if (ret) {
		Node *all = parse_body(s, "syscall.*.return",
		                       "probe never {\n\tretval = $return\n"
		                       "\tretstr = return_str(__syscall_retbase ? __syscall_retbase : 1, retval)\n}\n");
		if (!all)
			return -1;
		tail = elide_prologue(s, all, need);
	}
	for (int i = 0; i < n; i++) {
		Node *body;
		if (ret) {
			body = ast_new(s->arena, AST_BLOCK, loc);
			if (names_has(need, "name"))
				nodelist_add(s->arena, &body->body,
				             stmt_assign(s, "name", ast_str(s->arena, v[i]->name, strlen(v[i]->name), loc), loc));
			int base = syscall_result_format(v[i]->event);
			if (want_base && base != 1)
				nodelist_add(s->arena, &body->body, stmt_assign(s, "__syscall_retbase", ast_num(s->arena, base, loc), loc));
		} else {
			body = shared_prologue(s, v[i], ret, need);
		}
		if (!types_agree(s, v[i], ret, body, &seen))
			return 0;
		leaves[i] = (Leaf){ .nr = v[i]->nr, .body = body };
	}
	/* argstr described by the leaves, made once after them */
	Pieces *pc = NULL;
	if (!ret && names_has(need, "argstr")) {
		pc = arena_alloc(s->arena, sizeof *pc);
		Node **desc = arena_alloc(s->arena, sizeof *desc * (size_t)n);
		int i = 0;
		while (i < n && (desc[i] = describe_argstr(s, leaves[i].body, pc)))
			i++;
		if (i == n)
			for (i = 0; i < n; i++)
				describe_leaf(&leaves[i], desc[i], pc);
		else
			pc = NULL;
	}
	for (int i = 0; i < n; i++) {
		Rename r = { s, v[i]->event };
		ast_walk(leaves[i].body, qualify_target, &r);
		ast_walk(leaves[i].body, rename_globals, s);
		leaves[i].cost = cost(s, leaves[i].body, 0);
		CallCount cc = { 0 };
		ast_walk(leaves[i].body, count_call, &cc);
		leaves[i].calling = cc.calls > 0;
	}
	/* chunks: of neighbouring numbers, or of calls with the same pieces */
	qsort(leaves, (size_t)n, sizeof *leaves, pc ? by_pieces : by_nr);
	int stack[64] = { 0 };
	for (int k = 0; pc && k < pc->n; k++)
		stack[k] = piece_stack(s, pc, pc->code[k]);
	Node *user = inst->body;
	ScInst *d = arena_alloc(s->arena, sizeof *d);
	d->is_return = ret;
	d->fmt = s->syscalls->raw[ret];
	d->alias = sema_point_text(s->arena, pattern, false);
	for (int lo = 0; lo < n;) {
		int hi = lo, ncalling = 0;
		long sum = 0;
		uint64_t mask = 0;
		while (hi < n) {
			if (hi > lo && sum + leaves[hi].cost > (pc ? SHARED_LEAVES : SHARED_BUDGET))
				break;
			if (pc) {
				int slots = 0;
				for (int k = 0; k < pc->n; k++)
					slots += (mask | leaves[hi].mask) >> k & 1 ? stack[k] : 0;
				if (hi > lo && slots > SHARED_STACK)
					break;
				mask |= leaves[hi].mask;
			} else {
				if (hi > lo && ncalling + leaves[hi].calling > SHARED_CALLING)
					break;
				ncalling += leaves[hi].calling;
			}
			sum += leaves[hi++].cost;
		}
		qsort(leaves + lo, (size_t)(hi - lo), sizeof *leaves, by_nr);
		Node *blk = ast_new(s->arena, AST_BLOCK, loc);
		Node *id = ast_new(s->arena, AST_TARGET, loc);
		id->name = "id";
		nodelist_add(s->arena, &blk->body, stmt_assign(s, "__syscall_nr", id, loc));
		nodelist_add(s->arena, &blk->body, dispatch(s, leaves, lo, hi, loc));
		if (tail)
			nodelist_add(s->arena, &blk->body, ast_clone(s->arena, tail));
		if (pc) {
			bool (*at)[128] = arena_alloc(s->arena, sizeof(bool[ARG_SLOTS][128]));
			for (int i = lo; i < hi; i++)
				for (int k = 0; k < ARG_SLOTS; k++)
					if (leaves[i].desc[k] != '_')
						at[k][leaves[i].desc[k] & 127] = true;
			Node *fmt = argstr_formatter(s, pc, at);
			if (!fmt)
				return -1;
			nodelist_add(s->arena, &blk->body, fmt);
		}
		nodelist_add(s->arena, &blk->body, user);
		inst->body = blk;
		more(s, inst, "*", d);
		name_instance(s, s->probes[s->nprobes - 1], pattern, chain, NULL, d->fmt);
		lo = hi;
	}
	inst->body = user;
	return 1;
}

/* ------------------------------------------------------------ resolve */

static int resolve_sc(Session *s, ProbeInst *inst, MoreFn more)
{
	if (inst->pdata) /* made below */
		return 0;
	ScPoint p;
	if (parse_point(inst->pp, &p) < 0)
		return -1;
	struct ScTable *T = list_calls(s);
	if (!T) {
		diag_at(DIAG_ERROR, "semantic error", p.loc,
		        "cannot list the system calls' tracepoints in %s/events/syscalls (is tracefs mounted?)", s->tracefs);
		return -1;
	}
	int ret = p.is_return;
	Sc **m = arena_alloc(s->arena, sizeof *m * (size_t)(T->n + 1));
	int nm = 0;
	for (int i = 0; i < T->n; i++)
		if (call_matches(&T->v[i], p.pattern))
			m[nm++] = &T->v[i];
	if (nm == 0) {
		if (inst->pp->optional)
			return 1;
		no_match(s, inst->pp, &p);
		return -1;
	}
	/* -l and -L (listing.c) make each point and read nothing more */
	const Source *src = src_get(inst->pp->loc.file);
	bool listing = src && !strcmp(src->name, "<listing>");
	ProbePoint *pattern = inst->pp;
	const char *chain = inst->alias_chain;
	Node *user = inst->body;
	VarUses uses = { s->arena, { 0 }, false };
	ast_walk(user, elide_note_use, &uses);
	/* a global's name in the body is that global, not the calls' */
	Names need = { 0 };
	for (int i = 0; i < uses.vars.n; i++)
		if (!elide_script_global(s, uses.vars.v[i]))
			names_add(s->arena, &need, uses.vars.v[i]);

	/* shared programs for the calls with a number, when the body allows */
	if (!listing && nm > SHARED_MIN && !uses.targets) {
		if (!T->raw[ret]) {
			TpFormat *raw = tracefs_format(s, "raw_syscalls", ret ? "sys_exit" : "sys_enter");
			if (raw && tracefs_field(raw, "id") && tracefs_field(raw, ret ? "ret" : "args"))
				T->raw[ret] = raw;
		}
		Sc **shared = arena_alloc(s->arena, sizeof *shared * (size_t)nm);
		int nshared = 0;
		for (int i = 0; i < nm && T->raw[ret]; i++)
			if (m[i]->nr >= 0) {
				if (!prologue(s, m[i], ret))
					return -1;
				shared[nshared++] = m[i];
			}
		int r = nshared > SHARED_MIN ? make_shared(s, inst, more, pattern, chain, shared, nshared, ret, &need) : 0;
		if (r < 0)
			return -1;
		if (r > 0) {
			/* the calls without a number get their own programs */
			int k = 0;
			for (int i = 0; i < nm; i++)
				if (m[i]->nr < 0)
					m[k++] = m[i];
			nm = k;
		}
	}

	/* one program per call */
	for (int i = 0; i < nm; i++) {
		Sc *sc = m[i];
		ScInst *d = arena_alloc(s->arena, sizeof *d);
		d->sc = sc;
		d->is_return = ret;
		d->fmt = call_format(s, sc, ret);
		d->alias = arena_printf(s->arena, "%s.%s%s", pattern->comps[0].name, sc->name, ret ? ".return" : "");
		Node *blk = ast_new(s->arena, AST_BLOCK, user->loc);
		if (!listing) {
			Node *pro = prologue(s, sc, ret);
			if (!pro)
				return -1;
			Node *mine = s->no_elide ? ast_clone(s->arena, pro) : elide_prologue(s, pro, &need);
			ast_walk(mine, rename_globals, s);
			nodelist_add(s->arena, &blk->body, mine);
		}
		nodelist_add(s->arena, &blk->body, user);
		inst->body = blk;
		more(s, inst, sc->name, d);
		name_instance(s, s->probes[s->nprobes - 1], pattern, chain, sc->name, d->fmt);
	}
	inst->body = user;
	return 1; /* every instance was made through more() */
}

/* ------------------------------------------------------------ $variables */

static int field_target(Session *s, ProbeInst *inst, TpFormat *fmt, Node *n, const char *field, Access *acc)
{
	ProbeInst tp = *inst;
	tp.pdata = fmt;
	tp.pp_text = ((const ScInst *)inst->pdata)->alias;
	Node copy = *n;
	copy.name = field;
	return provider_tracepoint.target(s, &tp, &copy, acc);
}

static int target_sc(Session *s, ProbeInst *inst, Node *n, Access *acc)
{
	ScInst *d = inst->pdata;
	const char *colon = strchr(n->name, ':');
	if (colon) {
		/* $EVENT:FIELD of a shared program: the field's place in the
		 * call's own format, which is its place among raw_syscalls' args */
		Sc *sc = find_event(s, arena_strndup(s->arena, n->name, (size_t)(colon - n->name)));
		TpFormat *fmt = sc ? call_format(s, sc, 0) : NULL;
		if (!fmt || !tracefs_fields(s, fmt)) {
			diag_at(DIAG_ERROR, "semantic error", &n->loc, "cannot read the format of the tracepoint of '$%s'",
			        n->name);
			return -1;
		}
		if (field_target(s, inst, fmt, n, colon + 1, acc) < 0)
			return -1;
		const TpField *first = first_arg(fmt), *args = tracefs_field(d->fmt, "args");
		if (!first || !args)
			return -1;
		acc->off = args->off + (acc->off - first->off);
		return 0;
	}
	if (!d->sc && !strcmp(n->name, "id")) /* the shared programs' call number */
		return field_target(s, inst, d->fmt, n, "id", acc);
	if (d->is_return) {
		if (strcmp(n->name, "return")) {
			diag_at(DIAG_ERROR, "semantic error", &n->loc,
			        "unresolved target-symbol expression '$%s': a system call's .return probe has only '$return'",
			        n->name);
			return -1;
		}
		return field_target(s, inst, d->fmt, n, "ret", acc);
	}
	if (!strcmp(n->name, "return")) {
		diag_at(DIAG_ERROR, "semantic error", &n->loc, "'$return' is only available in .return probes");
		return -1;
	}
	if (!d->sc) {
		diag_at(DIAG_ERROR, "semantic error", &n->loc,
		        "'$%s' names no single argument here: the calls this probe matches share one program", n->name);
		return -1;
	}
	/* the call's own tracepoint: its fields, stap's names without '$' */
	const TpField *f = tracefs_fields(s, d->fmt) ? tracefs_field(d->fmt, n->name) : NULL;
	if (!f || f->is_common || !strcmp(f->name, "__syscall_nr")) {
		diag_at(DIAG_ERROR, "semantic error", &n->loc, "unresolved target-symbol expression '$%s' in %s", n->name,
		        d->alias);
		char *fields = "", *vars = "";
		for (int i = 0; i < d->fmt->nfields; i++)
			if (!d->fmt->fields[i].is_common && strcmp(d->fmt->fields[i].name, "__syscall_nr"))
				fields = arena_printf(s->arena, "%s $%s", fields, d->fmt->fields[i].name);
		if (prologue(s, d->sc, 0))
			for (int i = 0; i < d->sc->nvars[0]; i++)
				vars = arena_printf(s->arena, "%s %s", vars, d->sc->vars[0][i].name);
		diag_note(NULL, "the variables of this probe are:%s%s, and without '$':%s", fields, *fields ? "" : " (none)",
		          vars);
		return -1;
	}
	return field_target(s, inst, d->fmt, n, n->name, acc);
}

static const char *sc_section(const ProbeInst *inst, Arena *a)
{
	const ScInst *d = inst->pdata;
	return arena_printf(a, "tracepoint/%s/%s", d->fmt->system, d->fmt->event);
}

static const char *sc_attach(const ProbeInst *inst)
{
	const ScInst *d = inst->pdata;
	static char buf[512];
	snprintf(buf, sizeof buf, "%s:%s", d->fmt->system, d->fmt->event);
	return buf;
}

/* -L: the prologue's variables, as stap lists them, then the tracepoint's. */
static const char *sc_vars(Session *s, const ProbeInst *inst)
{
	const ScInst *d = inst->pdata;
	if (!d->sc)
		return "";
	int ret = d->is_return;
	char *out = "";
	if (prologue(s, d->sc, ret))
		for (int i = 0; i < d->sc->nvars[ret]; i++)
			out = arena_printf(s->arena, "%s%s%s:%s", out, *out ? " " : "", d->sc->vars[ret][i].name,
			                   type_name(d->sc->vars[ret][i].type));
	const char *fields;
	if (ret) {
		fields = "$return:long";
	} else {
		ProbeInst tp = *inst;
		tp.pdata = d->fmt;
		fields = provider_tracepoint.list_vars(s, &tp);
		const char *nr = "$__syscall_nr:long";
		if (!strncmp(fields, nr, strlen(nr)))
			fields += strlen(nr) + (fields[strlen(nr)] == ' ');
	}
	if (*fields)
		out = arena_printf(s->arena, "%s%s%s", out, *out ? " " : "", fields);
	return out;
}

const Provider provider_syscall = {
	.name = "syscall", .matches = match_sc, .resolve = resolve_sc, .target = target_sc,
	.abi_kind = BSTAP_PROBE_TRACEPOINT, .prog_type = BPF_PROG_TYPE_TRACEPOINT,
	.section = sc_section, .attach_target = sc_attach, .list_vars = sc_vars,
	.library = "__syscall.*",
};
