/* lower.c - the checked AST of one probe to IR.
 *
 * Requires: a resolved, typed ProbeInst (translate/).  Provides: an IrFunc
 * on virtual registers (regalloc.c comes next).
 *
 * Values: a long is a virtual register; a string is a register holding a
 * pointer to a MAXSTRINGLEN buffer, in the per-CPU scratch map (locals and
 * temporaries) or in the global data map (globals).  Long locals are plain
 * virtual registers.  Globals live in the ".data" map, addressed directly.
 * User functions are inlined at each call (the resolver refuses recursion);
 * tapset functions with embedded code expand through asm.c.
 * printf reserves a ring-buffer record {header, arguments}, fills it and
 * submits it; user space formats it.  Run-time errors send an error record
 * and leave the handler. */
#include <stdlib.h>
#include <string.h>

#include "codegen/lower.h"

static void stmt(Lower *L, Node *n);

void lower_fail(Lower *L, const SrcLoc *loc, const char *msg)
{
	diag_at(DIAG_ERROR, "semantic error", loc, "%s", msg);
	L->failed = true;
}

/* ------------------------------------------------------------ storage */

int scratch_alloc(Lower *L, int size)
{
	L->need_scratch = true;
	int off = L->scratch_used;
	L->scratch_used += (size + 7) & ~7;
	if (L->scratch_used > L->scratch_max)
		L->scratch_max = L->scratch_used;
	return off;
}

/* A register pointing at scratch + off. */
int scratch_ptr(Lower *L, int off)
{
	int v = ir_vreg(L->f);
	ir_emit_mov(L->f, v, L->scratch);
	if (off)
		ir_emit_alui(L->f, BPF_ADD, v, off);
	return v;
}

int data_ptr(Lower *L, uint32_t off)
{
	int v = ir_vreg(L->f);
	ir_emit_ldmapval(L->f, v, L->o->map_data, (int32_t)off);
	return v;
}

static void frame_add(Lower *L, Frame *fr, Symbol *sym)
{
	fr->vars = arena_grow(L->a, fr->vars, &fr->capvars, fr->nvars + 1, sizeof *fr->vars);
	Storage *st = &fr->vars[fr->nvars++];
	st->sym = sym;
	if (sym->type == TY_STRING) {
		st->soff = scratch_alloc(L, L->cap);
		int p = scratch_ptr(L, st->soff);
		ir_emit_st(L->f, BPF_B, p, 0, 0);
	} else {
		st->vreg = ir_vreg(L->f);
		ir_emit_movi(L->f, st->vreg, 0);
	}
}

/* A local's storage: innermost frame first (a try's catch variable can
 * belong to a caller of the inlined function raising the error; the same
 * Symbol is never in two frames, as recursion is refused). */
static Storage *storage_of(Lower *L, Symbol *sym)
{
	for (int k = L->nframes - 1; k >= 0; k--) {
		Frame *fr = &L->frames[k];
		for (int i = 0; i < fr->nvars; i++)
			if (fr->vars[i].sym == sym)
				return &fr->vars[i];
	}
	return NULL;
}

/* Offset of a global in the data map (compile.c laid them out). */
static uint32_t global_off(Symbol *sym)
{
	return (uint32_t)sym->index;
}

/* ------------------------------------------------------------ records */

/* Reserve a ring-buffer record of `size` bytes: returns the register with
 * the record pointer, and the label to jump to when the buffer was full
 * (the lost counter is bumped there). */
static int rec_reserve(Lower *L, uint32_t size, int *skip)
{
	IrFunc *f = L->f;
	ir_emit_ldmap(f, 1, L->o->map_events);
	ir_emit_movi(f, 2, size);
	ir_emit_movi(f, 3, 0);
	int rec = ir_emit_call_result(f, BPF_FUNC_ringbuf_reserve, 3);
	int ok = ir_label(f);
	*skip = ir_label(f);
	ir_emit_jmpi(f, BPF_JNE, rec, 0, ok);
	int p = data_ptr(L, BSTAP_DATA_LOST);
	int one = ir_vreg(f);
	ir_emit_movi(f, one, 1);
	ir_emit_atomic_add(f, p, 0, one);
	ir_emit_ja(f, *skip);
	ir_emit_label(f, ok);
	return rec;
}

static void rec_submit(Lower *L, int rec, int skip)
{
	ir_emit_mov(L->f, 1, rec);
	ir_emit_movi(L->f, 2, 0);
	ir_emit_call(L->f, BPF_FUNC_ringbuf_submit, 2);
	ir_emit_label(L->f, skip);
}

static void rec_header(Lower *L, int rec, int kind, int id)
{
	ir_emit_st(L->f, BPF_W, rec, 0, kind);
	ir_emit_st(L->f, BPF_W, rec, 4, id);
}

static void string_into(Lower *L, Node *n, int dst, int off);

/* A record whose payload is one string (error(msg), warn(msg)). */
static void emit_string_record(Lower *L, int kind, int id, Node *arg)
{
	int src = arg->kind == AST_STR ? -1 : lower_expr(L, arg);
	int skip;
	int rec = rec_reserve(L, sizeof(struct bstap_rec_hdr) + (uint32_t)L->cap, &skip);
	rec_header(L, rec, kind, id);
	if (src < 0)
		store_literal(L, rec, sizeof(struct bstap_rec_hdr), arg->str, arg->slen, L->cap);
	else
		copy_string(L, rec, sizeof(struct bstap_rec_hdr), src, L->cap);
	rec_submit(L, rec, skip);
}

static int var_value(Lower *L, Node *n);

/* A control record with no payload (exit, error). */
void lower_record(Lower *L, int kind, int id)
{
	int skip;
	int rec = rec_reserve(L, sizeof(struct bstap_rec_hdr), &skip);
	rec_header(L, rec, kind, id);
	rec_submit(L, rec, skip);
}

/* A run-time error: inside try, the message goes to the catch variable
 * and control to the catch block; else it is reported and the handler
 * ends (the runtime then runs error probes and stops, as stap does). */
void emit_error(Lower *L, const char *msg, const char *near, const SrcLoc *loc)
{
	/* inside tapset code, the user's call is what the message should name */
	Source *src = loc ? src_get(loc->file) : NULL;
	if (L->user_call && (!src || src->is_tapset))
		loc = L->user_call;
	if (L->ntries) {
		Node *var = L->tries[L->ntries - 1].var;
		if (var)
			store_literal(L, var_value(L, var), 0, msg, strlen(msg), L->cap);
		ir_emit_ja(L->f, L->tries[L->ntries - 1].catch_label);
		return;
	}
	lower_record(L, BSTAP_REC_ERROR, cg_errsite(L->o, msg, near, loc));
	ir_emit_ja(L->f, L->exit_label);
}

/* error(msg) with a run-time message. */
static void emit_error_msg(Lower *L, Node *arg, const SrcLoc *loc)
{
	IrFunc *f = L->f;
	if (L->ntries) {
		Node *var = L->tries[L->ntries - 1].var;
		if (var)
			string_into(L, arg, var_value(L, var), 0);
		ir_emit_ja(f, L->tries[L->ntries - 1].catch_label);
		return;
	}
	int site = cg_errsite(L->o, "", "identifier 'error'", loc);
	emit_string_record(L, BSTAP_REC_ERROR_MSG, site, arg);
	ir_emit_ja(f, L->exit_label);
}

/* ------------------------------------------------------------ strings */

/* Store literal bytes s (with a NUL, cut to cap) at dst+off. */
void store_literal(Lower *L, int dst, int off, const char *s, size_t len, int cap)
{
	if (len > (size_t)cap - 1)
		len = (size_t)cap - 1;
	size_t total = len + 1;
	for (size_t i = 0; i < total; i += 4) {
		uint32_t w = 0;
		for (size_t k = 0; k < 4 && i + k < total; k++)
			w |= (uint32_t)(unsigned char)(i + k < len ? s[i + k] : 0) << (8 * k);
		if (total - i >= 4)
			ir_emit_st(L->f, BPF_W, dst, (int16_t)(off + (int)i), (int32_t)w);
		else
			for (size_t k = 0; i + k < total; k++)
				ir_emit_st(L->f, BPF_B, dst, (int16_t)(off + (int)(i + k)), (int32_t)((w >> (8 * k)) & 0xff));
	}
}

/* Copy the string at src (a buffer of at least `cap` readable bytes or a
 * kernel address) to dst+off, at most cap bytes with the NUL. */
void copy_string(Lower *L, int dst, int off, int src, int cap)
{
	IrFunc *f = L->f;
	ir_emit_mov(f, 1, dst);
	if (off)
		ir_emit_alui(f, BPF_ADD, 1, off);
	ir_emit_movi(f, 2, cap);
	ir_emit_mov(f, 3, src);
	ir_emit_call(f, BPF_FUNC_probe_read_kernel_str, 3);
}

/* Put the value of string expression n at dst+off. */
static void string_into(Lower *L, Node *n, int dst, int off)
{
	if (n->kind == AST_STR) {
		store_literal(L, dst, off, n->str, n->slen, L->cap);
		return;
	}
	int src = lower_expr(L, n);
	if (src < 0)
		return;
	copy_string(L, dst, off, src, L->cap);
}

/* ------------------------------------------------------------ printf */

/* Build a printf record from args[first..] with format fmt. */
/* The arguments of a printf-style call, evaluated (before anything is
 * reserved: a run-time error inside an argument must not leave a
 * reservation behind), and the format registered in the object: its id. */
static int printf_args(Lower *L, const char *fmt, Node **args, int nargs, int **vals_out, uint32_t *size_out)
{
	CgObject *o = L->o;
	int *vals = arena_alloc(L->a, sizeof(int) * (size_t)(nargs + 1));
	struct bstap_farg *fa = arena_alloc(L->a, sizeof *fa * (size_t)(nargs + 1));
	uint32_t size = 0;
	for (int i = 0; i < nargs; i++) {
		Node *a = args[i];
		if (a->type == TY_STRING) {
			fa[i] = (struct bstap_farg){ .kind = BSTAP_FARG_STRING, .off = size, .size = (uint32_t)L->cap };
			size += (uint32_t)L->cap;
			vals[i] = a->kind == AST_STR ? -1 : lower_expr(L, a);
		} else {
			fa[i] = (struct bstap_farg){ .kind = BSTAP_FARG_LONG, .off = size, .size = 8 };
			size += 8;
			vals[i] = lower_expr(L, a);
		}
	}
	o->formats = arena_grow(o->a, o->formats, &o->capformats, o->nformats + 1, sizeof *o->formats);
	int id = o->nformats++;
	o->formats[id] = (CgFormat){ .fmt = fmt, .args = fa, .nargs = nargs, .size = size };
	*vals_out = vals;
	*size_out = size;
	return id;
}

/* Store the evaluated arguments as the format's payload at base+off. */
static void printf_payload(Lower *L, int id, Node **args, const int *vals, int base, int off)
{
	const CgFormat *cf = &L->o->formats[id];
	for (int i = 0; i < cf->nargs; i++) {
		int at = off + (int)cf->args[i].off;
		if (cf->args[i].kind == BSTAP_FARG_LONG)
			ir_emit_stx(L->f, BPF_DW, base, (int16_t)at, vals[i]);
		else if (args[i]->kind == AST_STR)
			store_literal(L, base, at, args[i]->str, args[i]->slen, L->cap);
		else
			copy_string(L, base, at, vals[i], L->cap);
	}
}

/* Build a printf record: a ring-buffer reservation filled and submitted. */
static void emit_printf(Lower *L, const SrcLoc *loc, const char *fmt, Node **args, int nargs)
{
	int *vals;
	uint32_t size;
	int id = printf_args(L, fmt, args, nargs, &vals, &size);
	size += sizeof(struct bstap_rec_hdr);
	if (size > 32768) {
		lower_fail(L, loc, "printf record is too large (limit 32768 bytes)");
		return;
	}
	int skip;
	int rec = rec_reserve(L, size, &skip);
	rec_header(L, rec, BSTAP_REC_PRINTF, id);
	printf_payload(L, id, args, vals, rec, sizeof(struct bstap_rec_hdr));
	rec_submit(L, rec, skip);
}

int lower_sprintf(Lower *L, Node *n)
{
	IrFunc *f = L->f;
	const char *fmt = n->args.v[0]->str;
	Node **args = n->args.v + 1;
	int nargs = n->args.n - 1;
	if (!L->user)
		return lower_sprintf_kernel(L, n, fmt, args, nargs);
	/* in user space the runtime's printf engine formats the payload */
	int *vals;
	uint32_t size;
	int id = printf_args(L, fmt, args, nargs, &vals, &size);
	int payload = scratch_ptr(L, scratch_alloc(L, (int)size + 8));
	printf_payload(L, id, args, vals, payload, 0);
	int dst = scratch_ptr(L, scratch_alloc(L, L->cap));
	ir_emit_mov(f, 1, dst);
	ir_emit_movi(f, 2, L->cap);
	ir_emit_movi(f, 3, id);
	ir_emit_mov(f, 4, payload);
	ir_emit_call(f, BSTAP_UH_SPRINTF, 4);
	return dst;
}

/* print/println/printd/printdln: a format made from the argument types. */
static void emit_print(Lower *L, Node *n)
{
	const char *nm = n->name;
	bool ln = strstr(nm, "ln") != NULL;
	if (n->args.n == 1 && n->args.v[0]->kind == AST_STAT &&
	    (n->args.v[0]->stat == STAT_HIST_LINEAR || n->args.v[0]->stat == STAT_HIST_LOG)) {
		lower_print_hist(L, n->args.v[0]);
		if (ln)
			emit_printf(L, &n->loc, "\n", NULL, 0);
		return;
	}
	bool delim = !strncmp(nm, "printd", 6);
	int first = delim ? 1 : 0;
	const char *sep = "";
	if (delim) {
		Node *d = n->args.v[0];
		if (d->kind != AST_STR) {
			lower_fail(L, &d->loc, "the delimiter of printd must be a literal string");
			return;
		}
		/* a '%' in the delimiter must print as itself */
		char *esc = arena_alloc(L->a, d->slen * 2 + 1), *q = esc;
		for (size_t i = 0; i < d->slen; i++) {
			if (d->str[i] == '%')
				*q++ = '%';
			*q++ = d->str[i];
		}
		sep = esc;
	}
	char *fmt = "";
	for (int i = first; i < n->args.n; i++)
		fmt = arena_printf(L->a, "%s%s%s", fmt, i > first ? sep : "",
		                   n->args.v[i]->type == TY_STRING ? "%s" : "%d");
	if (ln)
		fmt = arena_printf(L->a, "%s\n", fmt);
	emit_printf(L, &n->loc, fmt, n->args.v + first, n->args.n - first);
}

/* ------------------------------------------------------------ calls */

/* .return as the last component of the concrete probe point */
static bool probe_is_return(const ProbeInst *inst)
{
	const ProbePoint *pp = inst->pp;
	return pp->ncomps > 1 && !strcmp(pp->comps[pp->ncomps - 1].name, "return");
}

/* pp(), pn(), probefunc(), probemod(): known at compile time for each probe. */
static const char *probe_info(Lower *L, const char *what)
{
	const ProbeInst *inst = L->inst;
	if (!strcmp(what, "pp"))
		return inst->pp_text;
	if (!strcmp(what, "pn")) {
		/* the probe as the script named it: the outermost alias, if any */
		if (inst->alias_chain) {
			const char *arrow = strstr(inst->alias_chain, " -> ");
			return arrow ? arena_strndup(L->a, inst->alias_chain, (size_t)(arrow - inst->alias_chain))
			             : inst->alias_chain;
		}
		return inst->pp_text;
	}
	const ProbePoint *pp = inst->pp;
	const char *func = "", *mod = "";
	for (int i = 0; i < pp->ncomps; i++) {
		const PPComp *c = &pp->comps[i];
		if ((!strcmp(c->name, "function") || !strcmp(c->name, "statement")) && c->arg &&
		    c->arg->kind == AST_STR) {
			/* "f@file.c:12" names f */
			const char *at = strchr(c->arg->str, '@');
			func = at ? arena_strndup(L->a, c->arg->str, (size_t)(at - c->arg->str)) : c->arg->str;
		}
		if (!strcmp(c->name, "kernel") && i == 0)
			mod = "kernel";
		if ((!strcmp(c->name, "module") || !strcmp(c->name, "process")) && c->arg && c->arg->kind == AST_STR)
			mod = c->arg->str;
	}
	return !strcmp(what, "probefunc") ? func : mod;
}

static int asm_scratch(void *ctx, int size)
{
	Lower *L = ctx;
	return scratch_ptr(L, scratch_alloc(L, size));
}

/* A run-time error raised by embedded code, at the call being expanded. */
static void asm_error(void *ctx, const char *msg)
{
	Lower *L = ctx;
	emit_error(L, arena_strdup(L->a, msg), "", L->asm_call);
}

/* A constant string for embedded code (ldstr). */
static int asm_rodata(void *ctx, const char *s, int *map)
{
	Lower *L = ctx;
	int off = rodata_add(L, s);
	*map = L->o->map_rodata;
	return off;
}

static int inline_call_body(Lower *L, Node *n);

static int inline_call(Lower *L, Node *n)
{
	/* remember the outermost call from the user's script */
	Source *src = src_get(n->loc.file);
	const SrcLoc *saved = L->user_call;
	if (!L->user_call && src && !src->is_tapset)
		L->user_call = &n->loc;
	int r = inline_call_body(L, n);
	L->user_call = saved;
	return r;
}

static int inline_call_body(Lower *L, Node *n)
{
	FuncDecl *d = n->func;
	IrFunc *f = L->f;
	if (L->nframes == MAX_FRAMES) {
		lower_fail(L, &n->loc, "function calls nested too deeply");
		return -1;
	}
	/* evaluate arguments in the caller's frame */
	int *argv = arena_alloc(L->a, sizeof(int) * (size_t)(d->nparams + 1));
	for (int i = 0; i < d->nparams; i++)
		argv[i] = lower_expr(L, n->args.v[i]);
	int result = -1;
	if (d->ret == TY_STRING) {
		int off = scratch_alloc(L, L->cap);
		result = scratch_ptr(L, off);
		ir_emit_st(f, BPF_B, result, 0, 0);
	} else if (d->ret == TY_LONG) {
		result = ir_vreg(f);
		ir_emit_movi(f, result, 0);
	}
	if (d->fn->code) {
		const char **names = arena_alloc(L->a, sizeof(char *) * (size_t)(d->nparams + 1));
		for (int i = 0; i < d->nparams; i++)
			names[i] = d->params[i]->name;
		AsmEnv env = { .f = f, .names = names, .vregs = argv, .n = d->nparams, .result = result,
		               .loc = &d->fn->loc, .data_map = L->o->map_data, .hdr_flags = &L->o->flags,
		               .maxstringlen = L->cap,
		               .scratch = asm_scratch, .ctx = L, .error = asm_error,
		               /* compile-time refusals name the script's call */
		               .call_loc = L->user_call ? L->user_call : &n->loc,
		               .guru = L->s->guru, .session = L->s, .user = L->user,
		               .prog_type = (int)L->inst->prov->prog_type, .probe_kind = (int)L->inst->prov->abi_kind,
		               .ctx_reg = L->ctx, .events_map = L->o->map_events, .rodata = asm_rodata };
		L->asm_call = &n->loc;
		if (asm_lower(&env, d->fn->code) < 0)
			L->failed = true;
		return result;
	}
	Frame *fr = &L->frames[L->nframes++];
	memset(fr, 0, sizeof *fr);
	fr->fn = d;
	fr->ret_label = ir_label(f);
	fr->ret_vreg = result;
	for (int i = 0; i < d->nparams; i++) {
		Symbol *p = d->params[i];
		frame_add(L, fr, p);
		Storage *st = &fr->vars[fr->nvars - 1];
		if (p->type == TY_STRING) {
			int dst = scratch_ptr(L, st->soff);
			if (argv[i] >= 0)
				copy_string(L, dst, 0, argv[i], L->cap);
		} else if (argv[i] >= 0) {
			ir_emit_mov(f, st->vreg, argv[i]);
		}
	}
	for (Symbol *l = d->locals; l; l = l->next)
		frame_add(L, fr, l);
	int saved_loops = L->nloops;
	L->nloops = 0; /* break/continue do not cross a function */
	stmt(L, d->fn->body);
	L->nloops = saved_loops;
	ir_emit_label(f, fr->ret_label);
	L->nframes--;
	return result;
}

static int call(Lower *L, Node *n)
{
	const char *nm = n->name;
	if (!n->func) {
		if (!strcmp(nm, "sprintf"))
			return lower_sprintf(L, n);
		if (!strncmp(nm, "__regex_", 8))
			return lower_regex_builtin(L, n);
		if (!strcmp(nm, "printf")) {
			Node *fmt = n->args.v[0];
			emit_printf(L, &n->loc, fmt->str, n->args.v + 1, n->args.n - 1);
		} else if (!strcmp(nm, "exit")) {
			/* stap: the handler goes on; no further probe runs */
			int p = data_ptr(L, BSTAP_DATA_STATE);
			ir_emit_st(L->f, BPF_DW, p, 0, BSTAP_STATE_STOPPING);
			lower_record(L, BSTAP_REC_EXIT, 0);
		} else if (!strcmp(nm, "error")) {
			emit_error_msg(L, n->args.v[0], &n->loc);
		} else if (!strcmp(nm, "warn")) {
			emit_string_record(L, BSTAP_REC_WARN, 0, n->args.v[0]);
		} else if (!strcmp(nm, "log")) {
			emit_string_record(L, BSTAP_REC_LOG, 0, n->args.v[0]);
		} else if (!strcmp(nm, "pp") || !strcmp(nm, "pn") || !strcmp(nm, "probefunc") ||
		           !strcmp(nm, "probemod")) {
			const char *v = probe_info(L, nm);
			int p = scratch_ptr(L, scratch_alloc(L, L->cap));
			store_literal(L, p, 0, v, strlen(v), L->cap);
			return p;
		} else if (!strcmp(nm, "__bstap_frame")) {
			/* entry.c's key for @entry: the stack pointer at the function's
			 * entry (pt_regs->sp; after the return it is 8 bytes higher) */
			int v = ir_vreg(L->f);
			ir_emit_ldx(L->f, BPF_DW, v, L->ctx, 152);
			if (probe_is_return(L->inst))
				ir_emit_alui(L->f, BPF_SUB, v, 8);
			return v;
		} else if (!strcmp(nm, "is_return")) {
			int v = ir_vreg(L->f);
			ir_emit_movi(L->f, v, probe_is_return(L->inst));
			return v;
		} else if (!strcmp(nm, "print") || !strcmp(nm, "println") || !strcmp(nm, "printd") ||
		           !strcmp(nm, "printdln")) {
			emit_print(L, n);
		} else {
			lower_fail(L, &n->loc, arena_printf(L->a, "'%s' is not supported in probes yet", nm));
		}
		return -1;
	}
	return inline_call(L, n);
}

/* ------------------------------------------------------------ expressions */

static int alu_op(OpKind op)
{
	switch ((int)op) {
	case OP_ADD: case OP_ADD_ASSIGN: return BPF_ADD;
	case OP_SUB: case OP_SUB_ASSIGN: return BPF_SUB;
	case OP_MUL: case OP_MUL_ASSIGN: return BPF_MUL;
	case OP_DIV: case OP_DIV_ASSIGN: return BPF_DIV;
	case OP_MOD: case OP_MOD_ASSIGN: return BPF_MOD;
	case OP_SHL: case OP_SHL_ASSIGN: return BPF_LSH;
	case OP_SHR: case OP_SHR_ASSIGN: return BPF_ARSH;
	case OP_BAND: case OP_AND_ASSIGN: return BPF_AND;
	case OP_BOR: case OP_OR_ASSIGN: return BPF_OR;
	case OP_BXOR: case OP_XOR_ASSIGN: return BPF_XOR;
	default: return -1;
	}
}

/* dst = dst OP src, with stap's semantics: signed division that fails on
 * zero, shifts masked to 0..63. */
static void arith(Lower *L, int op, int dst, int src, Node *at)
{
	IrFunc *f = L->f;
	if (op == BPF_DIV || op == BPF_MOD) {
		int ok = ir_label(f);
		ir_emit_jmpi(f, BPF_JNE, src, 0, ok);
		emit_error(L, "division by 0", arena_printf(L->a, "operator '%s'", op_spelling(at->op)),
		           &at->loc);
		ir_emit_label(f, ok);
		/* off = 1: signed division and modulo (BPF v4) */
		ir_emit(f, (IrInsn){ .kind = IRK_INSN, .code = BPF_ALU64 | op | BPF_X, .dst = dst, .src = src,
		                     .off = 1 });
		return;
	}
	if (op == BPF_LSH || op == BPF_ARSH) {
		int s = ir_vreg(f);
		ir_emit_mov(f, s, src);
		ir_emit_alui(f, BPF_AND, s, 63);
		ir_emit_alu(f, op, dst, s);
		return;
	}
	ir_emit_alu(f, op, dst, src);
}

static int jmp_op(OpKind op)
{
	switch ((int)op) {
	case OP_EQ: return BPF_JEQ;
	case OP_NE: return BPF_JNE;
	case OP_LT: return BPF_JSLT;
	case OP_LE: return BPF_JSLE;
	case OP_GT: return BPF_JSGT;
	case OP_GE: return BPF_JSGE;
	default: return -1;
	}
}

/* Jump to `target` when n is true (or false, when `when` is false). */
static void branch(Lower *L, Node *n, bool when, int target)
{
	IrFunc *f = L->f;
	if (n->kind == AST_COMPARE) {
		int a, b;
		int op = jmp_op(n->op);
		if (n->lhs->type == TY_STRING) {
			bool swapped;
			a = lower_strcmp(L, n->lhs, n->rhs, &swapped);
			b = ir_vreg(f);
			ir_emit_movi(f, b, 0);
			if (swapped) {
				/* rhs OP' lhs: mirror the comparison */
				static const int mirror[16] = {
					[BPF_JEQ >> 4] = BPF_JEQ, [BPF_JNE >> 4] = BPF_JNE,
					[BPF_JSLT >> 4] = BPF_JSGT, [BPF_JSGT >> 4] = BPF_JSLT,
					[BPF_JSLE >> 4] = BPF_JSGE, [BPF_JSGE >> 4] = BPF_JSLE,
				};
				op = mirror[op >> 4];
			}
		} else {
			a = lower_expr(L, n->lhs);
			b = lower_expr(L, n->rhs);
		}
		if (!when) {
			static const int inv[16] = {
				[BPF_JEQ >> 4] = BPF_JNE, [BPF_JNE >> 4] = BPF_JEQ,
				[BPF_JSLT >> 4] = BPF_JSGE, [BPF_JSGE >> 4] = BPF_JSLT,
				[BPF_JSGT >> 4] = BPF_JSLE, [BPF_JSLE >> 4] = BPF_JSGT,
			};
			op = inv[op >> 4];
		}
		ir_emit_jmp(f, op, a, b, target);
		return;
	}
	if (n->kind == AST_UNARY && n->op == OP_NOT) {
		branch(L, n->lhs, !when, target);
		return;
	}
	if (n->kind == AST_LOGAND || n->kind == AST_LOGOR) {
		bool is_and = n->kind == AST_LOGAND;
		if (is_and == when) {
			/* (a && b) true / (a || b) false: both must hold */
			int out = ir_label(f);
			branch(L, n->lhs, !when, out);
			branch(L, n->rhs, when, target);
			ir_emit_label(f, out);
		} else {
			branch(L, n->lhs, when, target);
			branch(L, n->rhs, when, target);
		}
		return;
	}
	int v = lower_expr(L, n);
	if (v < 0)
		return;
	ir_emit_jmpi(f, when ? BPF_JNE : BPF_JEQ, v, 0, target);
}

static int bool_value(Lower *L, Node *n)
{
	int v = ir_vreg(L->f);
	int done = ir_label(L->f);
	ir_emit_movi(L->f, v, 1);
	branch(L, n, true, done);
	ir_emit_movi(L->f, v, 0);
	ir_emit_label(L->f, done);
	return v;
}

/* Read variable n (AST_VAR, or an array element): a long register or a
 * string pointer. */
static int var_value(Lower *L, Node *n)
{
	if (n->kind == AST_INDEX)
		return lower_index_read(L, n);
	Symbol *sym = n->sym;
	if (sym->kind == SYM_GLOBAL) {
		int p = data_ptr(L, global_off(sym));
		if (sym->type == TY_STRING)
			return p;
		int v = ir_vreg(L->f);
		ir_emit_ldx(L->f, BPF_DW, v, p, 0);
		return v;
	}
	Storage *st = storage_of(L, sym);
	if (!st) {
		lower_fail(L, &n->loc, "internal error: variable without storage");
		return -1;
	}
	if (sym->type == TY_STRING)
		return scratch_ptr(L, st->soff);
	return st->vreg;
}

void lower_store_string(Lower *L, Node *var, int src)
{
	if (var->kind == AST_INDEX) {
		lower_index_store_string(L, var, src);
		return;
	}
	copy_string(L, var_value(L, var), 0, src, L->cap);
}

/* Store long v into variable node n (AST_VAR or an array element). */
void lower_store_long(Lower *L, Node *n, int v)
{
	if (n->kind == AST_INDEX) {
		lower_index_store_long(L, n, v);
		return;
	}
	Symbol *sym = n->sym;
	if (sym->kind == SYM_GLOBAL) {
		int p = data_ptr(L, global_off(sym));
		ir_emit_stx(L->f, BPF_DW, p, 0, v);
		return;
	}
	Storage *st = storage_of(L, sym);
	if (st)
		ir_emit_mov(L->f, st->vreg, v);
}

static int assign(Lower *L, Node *n)
{
	IrFunc *f = L->f;
	Node *lhs = n->lhs;
	if (n->op == OP_AGG) {
		lower_stat_add(L, n);
		return -1;
	}
	if (lhs->kind != AST_VAR && lhs->kind != AST_INDEX) {
		lower_fail(L, &lhs->loc, "cannot assign to this expression");
		return -1;
	}
	if (lhs->kind == AST_INDEX && lhs->type == TY_STRING) {
		/* build the new value, then store the whole element */
		int buf = scratch_ptr(L, scratch_alloc(L, 2 * L->cap));
		if (n->op == OP_CONCAT_ASSIGN)
			lower_concat_into(L, buf, lhs, n->rhs);
		else
			string_into(L, n->rhs, buf, 0);
		lower_index_store_string(L, lhs, buf);
		return buf;
	}
	if (lhs->type == TY_STRING) {
		int dst = var_value(L, lhs);
		if (n->op == OP_CONCAT_ASSIGN) {
			int tmp = scratch_ptr(L, scratch_alloc(L, 2 * L->cap));
			lower_concat_into(L, tmp, lhs, n->rhs);
			copy_string(L, dst, 0, tmp, L->cap);
			return dst;
		}
		string_into(L, n->rhs, dst, 0);
		return dst;
	}
	if (n->op == OP_ASSIGN) {
		int v = lower_expr(L, n->rhs);
		int t = ir_vreg(f);
		ir_emit_mov(f, t, v);
		lower_store_long(L, lhs, t);
		return t;
	}
	int cur = var_value(L, lhs);
	int t = ir_vreg(f);
	ir_emit_mov(f, t, cur);
	int r = lower_expr(L, n->rhs);
	arith(L, alu_op(n->op), t, r, n);
	lower_store_long(L, lhs, t);
	return t;
}

static int incdec(Lower *L, Node *n)
{
	IrFunc *f = L->f;
	int cur = var_value(L, n->lhs);
	int old = ir_vreg(f), t = ir_vreg(f);
	ir_emit_mov(f, old, cur);
	ir_emit_mov(f, t, cur);
	ir_emit_alui(f, BPF_ADD, t, n->op == OP_INC ? 1 : -1);
	lower_store_long(L, n->lhs, t);
	return n->postfix ? old : t;
}

int lower_expr(Lower *L, Node *n)
{
	IrFunc *f = L->f;
	switch (n->kind) {
	case AST_NUM: {
		int v = ir_vreg(f);
		ir_emit_movi(f, v, n->num);
		return v;
	}
	case AST_STR: {
		int off = scratch_alloc(L, L->cap);
		int p = scratch_ptr(L, off);
		store_literal(L, p, 0, n->str, n->slen, L->cap);
		return p;
	}
	case AST_VAR:
		return var_value(L, n);
	case AST_TARGET:
		return target_value(L, n);
	case AST_CALL:
		return call(L, n);
	case AST_UNARY: {
		if (n->op == OP_NOT)
			return bool_value(L, n);
		int a = lower_expr(L, n->lhs);
		if (n->op == OP_PLUS)
			return a;
		int v = ir_vreg(f);
		ir_emit_mov(f, v, a);
		if (n->op == OP_NEG)
			ir_emit_alui(f, BPF_NEG, v, 0);
		else
			ir_emit_alui(f, BPF_XOR, v, -1);
		return v;
	}
	case AST_BINARY: {
		if (n->op == OP_CONCAT)
			return lower_concat(L, n);
		int a = lower_expr(L, n->lhs);
		int v = ir_vreg(f);
		ir_emit_mov(f, v, a);
		int b = lower_expr(L, n->rhs);
		arith(L, alu_op(n->op), v, b, n);
		return v;
	}
	case AST_COMPARE:
		return bool_value(L, n);
	case AST_LOGAND: case AST_LOGOR:
		return bool_value(L, n);
	case AST_TERNARY: {
		int v = ir_vreg(f);
		int els = ir_label(f), done = ir_label(f);
		branch(L, n->cond, false, els);
		ir_emit_mov(f, v, lower_expr(L, n->lhs));
		ir_emit_ja(f, done);
		ir_emit_label(f, els);
		ir_emit_mov(f, v, lower_expr(L, n->rhs));
		ir_emit_label(f, done);
		return v;
	}
	case AST_ASSIGN:
		return assign(L, n);
	case AST_INCDEC:
		return incdec(L, n);
	case AST_INDEX:
		return lower_index_read(L, n);
	case AST_IN:
		return lower_in(L, n);
	case AST_STAT:
		if (n->stat == STAT_HIST_LINEAR || n->stat == STAT_HIST_LOG) {
			lower_fail(L, &n->loc, "a histogram can only be printed");
			return -1;
		}
		return lower_stat_read(L, n);
	case AST_REGEX:
		return lower_regex(L, n);
	case AST_STAR: case AST_CAST: case AST_ATVAR:
	case AST_DEFINED: case AST_ENTRY: case AST_PROBEWRITE: case AST_CONST:
	case AST_PERF: case AST_EMBEDDED_EXPR:
	case AST_BLOCK: case AST_EXPR_STMT: case AST_IF: case AST_WHILE: case AST_FOR: case AST_FOREACH:
	case AST_RETURN: case AST_NEXT: case AST_BREAK: case AST_CONTINUE: case AST_DELETE: case AST_TRY:
	case AST_NULL: case AST_EMBEDDED_STMT:
		break;
	}
	lower_fail(L, &n->loc, "this expression is not supported in probes yet");
	return -1;
}

/* ------------------------------------------------------------ statements */

/* A global long updated by a statement whose value is unused: one atomic
 * add, so that concurrent CPUs never lose counts. */
static bool atomic_update(Lower *L, Node *e)
{
	Node *var = e->lhs;
	bool elem = var && var->kind == AST_INDEX;
	if (!var || var->type != TY_LONG || (!elem && (var->kind != AST_VAR || var->sym->kind != SYM_GLOBAL)))
		return false;
	int v;
	if (e->kind == AST_INCDEC) {
		v = ir_vreg(L->f);
		ir_emit_movi(L->f, v, e->op == OP_INC ? 1 : -1);
	} else if (e->kind == AST_ASSIGN && (e->op == OP_ADD_ASSIGN || e->op == OP_SUB_ASSIGN)) {
		int r = lower_expr(L, e->rhs);
		v = ir_vreg(L->f);
		ir_emit_mov(L->f, v, r);
		if (e->op == OP_SUB_ASSIGN)
			ir_emit_alui(L->f, BPF_NEG, v, 0);
	} else {
		return false;
	}
	if (elem) {
		lower_index_add(L, var, v);
		return true;
	}
	int p = data_ptr(L, global_off(var->sym));
	ir_emit_atomic_add(L->f, p, 0, v);
	return true;
}

/* Count a loop iteration against MAXACTION (this also bounds every loop
 * for the verifier). */
static void count_action(Lower *L, const SrcLoc *loc)
{
	IrFunc *f = L->f;
	L->need_actions = true;
	ir_emit_alui(f, BPF_ADD, L->actions, 1);
	int ok = ir_label(f);
	ir_emit_jmpi(f, BPF_JSLE, L->actions, (int32_t)L->s->maxaction, ok);
	emit_error(L, "MAXACTION exceeded", "", loc);
	ir_emit_label(f, ok);
}

/* The body of a loop, with break and continue going to brk and cont. */
static void loop_body(Lower *L, Node *body, int brk, int cont)
{
	L->brk[L->nloops] = brk;
	L->cont[L->nloops] = cont;
	L->nloops++;
	stmt(L, body);
	L->nloops--;
}

static void loop(Lower *L, Node *n, Node *cond, Node *step, Node *body)
{
	IrFunc *f = L->f;
	if (L->nloops == MAX_LOOPS) {
		lower_fail(L, &n->loc, "loops nested too deeply");
		return;
	}
	int top = ir_label(f), next = ir_label(f), out = ir_label(f);
	ir_emit_label(f, top);
	if (cond)
		branch(L, cond, false, out);
	L->brk[L->nloops] = out;
	L->cont[L->nloops] = next;
	L->nloops++;
	stmt(L, body);
	L->nloops--;
	ir_emit_label(f, next);
	if (step) {
		int mark = L->scratch_used;
		lower_expr(L, step);
		L->scratch_used = mark;
	}
	count_action(L, &n->loc);
	ir_emit_ja(f, top);
	ir_emit_label(f, out);
}

static void stmt(Lower *L, Node *n)
{
	if (!n)
		return;
	IrFunc *f = L->f;
	int mark = L->scratch_used;
	L->stmt_serial++;
	f->cur_srcpos = cg_srcpos(L->o, &n->loc);
	switch (n->kind) {
	case AST_BLOCK:
		for (int i = 0; i < n->body.n; i++)
			stmt(L, n->body.v[i]);
		break;
	case AST_EXPR_STMT:
		if (!atomic_update(L, n->lhs))
			lower_expr(L, n->lhs);
		break;
	case AST_IF: {
		int els = ir_label(f), done = ir_label(f);
		branch(L, n->cond, false, els);
		stmt(L, n->then);
		if (n->els)
			ir_emit_ja(f, done);
		ir_emit_label(f, els);
		if (n->els) {
			stmt(L, n->els);
			ir_emit_label(f, done);
		}
		break;
	}
	case AST_WHILE:
		loop(L, n, n->cond, NULL, n->then);
		break;
	case AST_FOR:
		if (n->init)
			lower_expr(L, n->init);
		loop(L, n, n->cond, n->step, n->then);
		break;
	case AST_BREAK: case AST_CONTINUE:
		if (!L->nloops) {
			lower_fail(L, &n->loc, n->kind == AST_BREAK ? "'break' outside a loop" : "'continue' outside a loop");
			break;
		}
		ir_emit_ja(f, n->kind == AST_BREAK ? L->brk[L->nloops - 1] : L->cont[L->nloops - 1]);
		break;
	case AST_NEXT:
		ir_emit_ja(f, L->exit_label);
		break;
	case AST_RETURN: {
		Frame *fr = &L->frames[L->nframes - 1];
		if (n->lhs) {
			if (n->lhs->type == TY_STRING)
				string_into(L, n->lhs, fr->ret_vreg, 0);
			else
				ir_emit_mov(f, fr->ret_vreg, lower_expr(L, n->lhs));
		}
		ir_emit_ja(f, fr->ret_label);
		break;
	}
	case AST_DELETE:
		if (n->lhs->kind == AST_INDEX) {
			lower_index_delete(L, n->lhs);
		} else if (n->lhs->kind == AST_VAR && n->lhs->sym->is_array) {
			if (L->user)
				lower_delete_all(L, n->lhs);
			else
				lower_fail(L, &n->loc, "deleting a whole array is only supported in begin, end and "
				                       "error probes so far");
		} else if (n->lhs->kind == AST_VAR) {
			if (n->lhs->type == TY_STRING) {
				ir_emit_st(f, BPF_B, var_value(L, n->lhs), 0, 0);
			} else {
				int z = ir_vreg(f);
				ir_emit_movi(f, z, 0);
				lower_store_long(L, n->lhs, z);
			}
		} else {
			lower_fail(L, &n->loc, "this delete is not supported yet");
		}
		break;
	case AST_NULL:
		break;
	case AST_FOREACH:
		if (!L->user) {
			lower_fail(L, &n->loc, "foreach is only supported in begin, end and error probes so far");
			break;
		}
		if (L->nloops == MAX_LOOPS) {
			lower_fail(L, &n->loc, "loops nested too deeply");
			break;
		}
		lower_foreach(L, n, loop_body);
		break;
	case AST_TRY: {
		if (L->ntries == 16) {
			lower_fail(L, &n->loc, "try blocks nested too deeply");
			break;
		}
		int catch_label = ir_label(f), done = ir_label(f);
		L->tries[L->ntries].catch_label = catch_label;
		L->tries[L->ntries].var = n->value;
		L->ntries++;
		stmt(L, n->then);
		L->ntries--;
		ir_emit_ja(f, done);
		ir_emit_label(f, catch_label);
		stmt(L, n->els);
		ir_emit_label(f, done);
		break;
	}
	case AST_EMBEDDED_STMT:
		lower_fail(L, &n->loc, "this statement is not supported in probes yet");
		break;
	case AST_NUM: case AST_STR: case AST_VAR: case AST_TARGET: case AST_CAST: case AST_ATVAR:
	case AST_INDEX: case AST_STAR: case AST_CALL: case AST_UNARY: case AST_BINARY:
	case AST_COMPARE: case AST_LOGAND: case AST_LOGOR: case AST_TERNARY: case AST_ASSIGN:
	case AST_INCDEC: case AST_IN: case AST_REGEX: case AST_STAT: case AST_DEFINED:
	case AST_ENTRY: case AST_PROBEWRITE: case AST_CONST: case AST_PERF: case AST_EMBEDDED_EXPR:
		lower_expr(L, n);
		break;
	}
	L->scratch_used = mark;
}

/* ------------------------------------------------------------ the probe */

IrFunc *lower_probe(CgObject *o, ProbeInst *inst, const char *name)
{
	Lower L = {0};
	L.o = o;
	L.s = o->s;
	L.a = o->a;
	L.inst = inst;
	L.cap = (int)((o->s->maxstringlen + 7) & ~7);
	L.user = cg_is_user_probe(inst);
	IrFunc *f = L.f = ir_func_new(o->a, name);
	L.ctx = ir_vreg(f);
	L.scratch = ir_vreg(f);
	L.actions = ir_vreg(f);
	L.exit_label = ir_label(f);

	/* the body first: whether it needs scratch space is known after */
	Frame *fr = &L.frames[L.nframes++];
	for (Symbol *l = inst->locals; l; l = l->next)
		frame_add(&L, fr, l);
	stmt(&L, inst->body);
	f->cur_srcpos = -1;
	ir_emit_label(f, L.exit_label);
	ir_emit_movi(f, 0, 0);
	ir_emit_exit(f);
	if (L.failed)
		return NULL;

	/* then the prologue, in front */
	IrInsn *body = f->v;
	int nbody = f->n;
	f->v = NULL;
	f->n = f->cap = 0;
	f->cur_srcpos = -1;
	ir_emit_mov(f, L.ctx, 1);
	if (inst->prov->abi_kind != BSTAP_PROBE_BEGIN && inst->prov->abi_kind != BSTAP_PROBE_END &&
	    inst->prov->abi_kind != BSTAP_PROBE_ERROR) {
		/* kernel probes run only between begin and exit() (stap's order) */
		int p = ir_vreg(f), state = ir_vreg(f);
		ir_emit_ldmapval(f, p, o->map_data, BSTAP_DATA_STATE);
		ir_emit_ldx(f, BPF_DW, state, p, 0);
		ir_emit_jmpi(f, BPF_JNE, state, BSTAP_STATE_RUNNING, L.exit_label);
	}
	if (L.need_scratch) {
		int key = ir_stack_alloc(f, 8);
		ir_emit_st(f, BPF_W, IR_FP, (int16_t)key, 0);
		ir_emit_ldmap(f, 1, o->map_scratch);
		ir_emit_mov(f, 2, IR_FP);
		ir_emit_alui(f, BPF_ADD, 2, key);
		ir_emit_call(f, BPF_FUNC_map_lookup_elem, 2);
		ir_emit_mov(f, L.scratch, 0);
		ir_emit_jmpi(f, BPF_JEQ, L.scratch, 0, L.exit_label);
	}
	lower_regex_prologue(&L);
	if (L.need_actions)
		ir_emit_movi(f, L.actions, 0);
	for (int i = 0; i < nbody; i++)
		ir_append(f, body[i]);
	if ((uint32_t)L.scratch_max > o->scratch_size)
		o->scratch_size = (uint32_t)L.scratch_max;
	return f;
}
