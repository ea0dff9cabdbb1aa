/* ast_print.c - the -p1 printer: a Script back as canonical SystemTap.
 *
 * The output parses back to the same AST, so printing it again gives the
 * same text (the corpus test checks this on every tapset and example).
 * Layout: one statement per line, 4-space indent, '{' on the header line,
 * every simple statement ended by ';' (statements need no separator in
 * SystemTap, so without it `x = 1` followed by `-y` would re-read as one
 * expression).  Parentheses appear only where stap's precedence needs them;
 * the levels below mirror grammar.y.  Declarations come in a fixed order:
 * embedded code, globals, functions, probes. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parser/parse.h"

/* Expression levels, lowest binding first (grammar.y's nonterminals). */
enum {
	L_ASSIGN = 1, L_TERNARY, L_OR, L_AND, L_BOR, L_BXOR, L_BAND, L_IN, L_CMP,
	L_SHIFT, L_CONCAT, L_ADD, L_MUL, L_UNARY, L_CREMENT, L_DWARF, L_PRIMARY,
};

static void expr(FILE *o, const Node *n, int min);

static void indent(FILE *o, int level)
{
	for (int i = 0; i < level; i++)
		fputs("    ", o);
}

/* A string literal the lexer reads back to the same bytes. */
static void print_string(FILE *o, const char *s, size_t len)
{
	fputc('"', o);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"': fputs("\\\"", o); break;
		case '\\': fputs("\\\\", o); break;
		case '\n': fputs("\\n", o); break;
		case '\t': fputs("\\t", o); break;
		case '\r': fputs("\\r", o); break;
		case '\a': fputs("\\a", o); break;
		case '\b': fputs("\\b", o); break;
		case '\f': fputs("\\f", o); break;
		case '\v': fputs("\\v", o); break;
		default:
			if (c < 0x20 || c == 0x7f)
				fprintf(o, "\\%03o", c);
			else
				fputc(c, o);
		}
	}
	fputc('"', o);
}

static void print_number(FILE *o, int64_t v)
{
	if (v < 0)
		fprintf(o, "-%" PRIu64, (uint64_t)0 - (uint64_t)v);
	else
		fprintf(o, "%" PRId64, v);
}

static int binary_level(OpKind op)
{
	switch (op) {
	case OP_MUL: case OP_DIV: case OP_MOD: return L_MUL;
	case OP_ADD: case OP_SUB: return L_ADD;
	case OP_CONCAT: return L_CONCAT;
	case OP_SHL: case OP_SHR: return L_SHIFT;
	case OP_BAND: return L_BAND;
	case OP_BXOR: return L_BXOR;
	case OP_BOR: return L_BOR;
	case OP_NONE: case OP_EQ: case OP_NE: case OP_LT: case OP_LE: case OP_GT:
	case OP_GE: case OP_NEG: case OP_PLUS: case OP_NOT: case OP_BNOT:
	case OP_ASSIGN: case OP_ADD_ASSIGN: case OP_SUB_ASSIGN: case OP_MUL_ASSIGN:
	case OP_DIV_ASSIGN: case OP_MOD_ASSIGN: case OP_SHL_ASSIGN: case OP_SHR_ASSIGN:
	case OP_AND_ASSIGN: case OP_OR_ASSIGN: case OP_XOR_ASSIGN: case OP_CONCAT_ASSIGN:
	case OP_AGG: case OP_INC: case OP_DEC: case OP_MATCH: case OP_NOMATCH:
		break;
	}
	return L_PRIMARY;
}

static int level(const Node *n)
{
	switch (n->kind) {
	case AST_NUM: return n->num < 0 ? L_UNARY : L_PRIMARY;
	case AST_STR: case AST_VAR: case AST_INDEX: case AST_STAR: case AST_CALL:
	case AST_STAT: case AST_DEFINED: case AST_ENTRY: case AST_PROBEWRITE:
	case AST_CONST: case AST_PERF: case AST_EMBEDDED_EXPR:
		return L_PRIMARY;
	case AST_TARGET: case AST_CAST: case AST_ATVAR: return L_DWARF;
	case AST_UNARY: return L_UNARY;
	case AST_INCDEC: return L_CREMENT;
	case AST_BINARY: return binary_level(n->op);
	case AST_COMPARE: case AST_REGEX: return L_CMP;
	case AST_IN: return L_IN;
	case AST_LOGAND: return L_AND;
	case AST_LOGOR: return L_OR;
	case AST_TERNARY: return L_TERNARY;
	case AST_ASSIGN: return L_ASSIGN;
	case AST_BLOCK: case AST_EXPR_STMT: case AST_IF: case AST_WHILE: case AST_FOR:
	case AST_FOREACH: case AST_RETURN: case AST_NEXT: case AST_BREAK:
	case AST_CONTINUE: case AST_DELETE: case AST_TRY: case AST_NULL:
	case AST_EMBEDDED_STMT:
		break;
	}
	return L_PRIMARY;
}

static void list(FILE *o, const NodeList *l)
{
	for (int i = 0; i < l->n; i++) {
		if (i)
			fputs(", ", o);
		expr(o, l->v[i], L_ASSIGN);
	}
}

static void comps(FILE *o, const Node *n)
{
	for (int i = 0; i < n->ncomps; i++) {
		const TargetComp *c = &n->comps[i];
		switch (c->kind) {
		case TC_FIELD:
			fprintf(o, "->%s", c->name);
			break;
		case TC_INDEX:
			fputc('[', o);
			expr(o, c->index, L_ASSIGN);
			fputc(']', o);
			break;
		}
	}
	if (n->pretty)
		fputs(n->pretty == 2 ? "$$" : "$", o);
}

/* The operand of an autocast needs parentheses where it would otherwise
 * read back as something else: a target ($x)->a, an array a[1] from (a)[1],
 * or anything below a primary. */
static void autocast_operand(FILE *o, const Node *cast)
{
	const Node *op = cast->lhs;
	bool paren = level(op) < L_PRIMARY ||
		(op->kind == AST_VAR && cast->ncomps > 0 && cast->comps[0].kind == TC_INDEX);
	if (paren)
		fputc('(', o);
	expr(o, op, L_ASSIGN);
	if (paren)
		fputc(')', o);
}

static const char *stat_name(StatOp s)
{
	switch (s) {
	case STAT_COUNT: return "@count";
	case STAT_SUM: return "@sum";
	case STAT_MIN: return "@min";
	case STAT_MAX: return "@max";
	case STAT_AVG: return "@avg";
	case STAT_VARIANCE: return "@variance";
	case STAT_HIST_LINEAR: return "@hist_linear";
	case STAT_HIST_LOG: return "@hist_log";
	}
	return "@?";
}

/* Does the operand of a unary operator begin with a character that would
 * fuse with it ("- -x" must not become "--x", "! ~x" not "!~x")? */
static bool needs_space(OpKind op, const Node *operand)
{
	if (op == OP_NOT)
		return operand->kind == AST_UNARY && operand->op == OP_BNOT;
	if (op != OP_NEG && op != OP_PLUS)
		return false;
	return (operand->kind == AST_UNARY && (operand->op == OP_NEG || operand->op == OP_PLUS)) ||
	       (operand->kind == AST_INCDEC && !operand->postfix) ||
	       (operand->kind == AST_NUM && operand->num < 0);
}

static void expr_inner(FILE *o, const Node *n)
{
	switch (n->kind) {
	case AST_NUM:
		print_number(o, n->num);
		break;
	case AST_STR:
		print_string(o, n->str, n->slen);
		break;
	case AST_VAR:
		fputs(n->name, o);
		break;
	case AST_TARGET:
		if (n->addr_of)
			fputc('&', o);
		fprintf(o, "$%s", n->name);
		comps(o, n);
		break;
	case AST_CAST:
		if (n->addr_of)
			fputc('&', o);
		if (!n->str) {
			autocast_operand(o, n);
		} else {
			fputs("@cast(", o);
			expr(o, n->lhs, L_ASSIGN);
			fputs(", ", o);
			print_string(o, n->str, strlen(n->str));
			if (n->str2) {
				fputs(", ", o);
				print_string(o, n->str2, strlen(n->str2));
			}
			fputc(')', o);
		}
		comps(o, n);
		break;
	case AST_ATVAR:
		if (n->addr_of)
			fputc('&', o);
		fputs("@var(", o);
		print_string(o, n->str, strlen(n->str));
		if (n->str2) {
			fputs(", ", o);
			print_string(o, n->str2, strlen(n->str2));
		}
		fputc(')', o);
		comps(o, n);
		break;
	case AST_INDEX:
		expr(o, n->lhs, L_PRIMARY);
		fputc('[', o);
		list(o, &n->args);
		fputc(']', o);
		break;
	case AST_STAR:
		fputc('*', o);
		break;
	case AST_CALL:
		fprintf(o, "%s(", n->name);
		list(o, &n->args);
		fputc(')', o);
		break;
	case AST_UNARY:
		fputs(op_spelling(n->op), o);
		if (needs_space(n->op, n->lhs))
			fputc(' ', o);
		expr(o, n->lhs, L_UNARY);
		break;
	case AST_BINARY: {
		int l = binary_level(n->op);
		expr(o, n->lhs, l);
		fprintf(o, " %s ", op_spelling(n->op));
		expr(o, n->rhs, l + 1);
		break;
	}
	case AST_COMPARE:
		/* a regex match ends a comparison chain in stap's grammar */
		if (n->lhs->kind == AST_REGEX) {
			fputc('(', o);
			expr(o, n->lhs, L_ASSIGN);
			fputc(')', o);
		} else {
			expr(o, n->lhs, L_CMP);
		}
		fprintf(o, " %s ", op_spelling(n->op));
		expr(o, n->rhs, L_SHIFT);
		break;
	case AST_REGEX:
		expr(o, n->lhs, L_SHIFT);
		fprintf(o, " %s ", op_spelling(n->op));
		expr(o, n->rhs, L_PRIMARY);
		break;
	case AST_LOGAND:
	case AST_LOGOR: {
		int l = level(n);
		expr(o, n->lhs, l);
		fputs(n->kind == AST_LOGAND ? " && " : " || ", o);
		expr(o, n->rhs, l + 1);
		break;
	}
	case AST_TERNARY:
		expr(o, n->cond, L_OR);
		fputs(" ? ", o);
		expr(o, n->lhs, L_ASSIGN);
		fputs(" : ", o);
		expr(o, n->rhs, L_TERNARY);
		break;
	case AST_ASSIGN:
		expr(o, n->lhs, L_TERNARY);
		fprintf(o, " %s ", op_spelling(n->op));
		expr(o, n->rhs, L_ASSIGN);
		break;
	case AST_INCDEC:
		if (!n->postfix)
			fputs(op_spelling(n->op), o);
		expr(o, n->lhs, L_DWARF);
		if (n->postfix)
			fputs(op_spelling(n->op), o);
		break;
	case AST_IN: {
		bool bracket = n->args.n != 1 || n->args.v[0]->kind == AST_STAR;
		if (bracket)
			fputc('[', o);
		for (int i = 0; i < n->args.n; i++) {
			if (i)
				fputs(", ", o);
			expr(o, n->args.v[i], L_CMP);
		}
		if (bracket)
			fputc(']', o);
		fputs(" in ", o);
		expr(o, n->lhs, L_PRIMARY);
		break;
	}
	case AST_STAT:
		fprintf(o, "%s(", stat_name(n->stat));
		expr(o, n->lhs, L_ASSIGN);
		for (int i = 0; i < n->args.n; i++) {
			fputs(", ", o);
			expr(o, n->args.v[i], L_ASSIGN);
		}
		fputc(')', o);
		break;
	case AST_DEFINED:
	case AST_ENTRY:
	case AST_PROBEWRITE:
		fputs(n->kind == AST_DEFINED ? "@defined(" : n->kind == AST_ENTRY ? "@entry("
		      : "@probewrite(", o);
		expr(o, n->lhs, L_ASSIGN);
		fputc(')', o);
		break;
	case AST_CONST:
	case AST_PERF:
		fputs(n->kind == AST_CONST ? "@const(" : "@perf(", o);
		print_string(o, n->str, strlen(n->str));
		fputc(')', o);
		break;
	case AST_EMBEDDED_EXPR:
	case AST_EMBEDDED_STMT:
		fprintf(o, "%%{%s%%}", n->code);
		break;
	case AST_BLOCK: case AST_EXPR_STMT: case AST_IF: case AST_WHILE: case AST_FOR:
	case AST_FOREACH: case AST_RETURN: case AST_NEXT: case AST_BREAK:
	case AST_CONTINUE: case AST_DELETE: case AST_TRY: case AST_NULL:
		fputs("/* statement */", o);
		break;
	}
}

static void expr(FILE *o, const Node *n, int min)
{
	if (!n)
		return;
	bool paren = level(n) < min;
	if (paren)
		fputc('(', o);
	expr_inner(o, n);
	if (paren)
		fputc(')', o);
}

void ast_print_expr(FILE *out, const Node *n)
{
	expr(out, n, L_ASSIGN);
}

/* ------------------------------------------------------------ statements */

static void stmt(FILE *o, const Node *n, int ind, bool lead);

/* The body of if/while/for/foreach/try after its header: a block stays on
 * the header line (returns true: the caller ends the line); anything else
 * goes on its own, indented line (returns false). */
static bool sub(FILE *o, const Node *s, int ind)
{
	if (s && s->kind == AST_BLOCK) {
		fputs(" {\n", o);
		for (int i = 0; i < s->body.n; i++)
			stmt(o, s->body.v[i], ind + 1, true);
		indent(o, ind);
		fputc('}', o);
		return true;
	}
	fputc('\n', o);
	if (s)
		stmt(o, s, ind + 1, true);
	return false;
}

static void end_sub(FILE *o, bool closed)
{
	if (closed)
		fputc('\n', o);
}

static void foreach_head(FILE *o, const Node *n)
{
	fputs("foreach (", o);
	if (n->value)
		fprintf(o, "%s = ", n->value->name);
	fputc('[', o);
	for (int i = 0; i < n->args.n; i++) {
		if (i)
			fputs(", ", o);
		expr(o, n->args.v[i], L_PRIMARY);
		if (n->sort_col == i + 1)
			fputc(n->sort_dir < 0 ? '-' : '+', o);
	}
	fputs("] in ", o);
	const Node *base = n->lhs;
	if (base && base->kind == AST_INDEX && base->lhs) {
		expr(o, base->lhs, L_PRIMARY);
		fputc('[', o);
		list(o, &base->args);
		fputc(']', o);
	} else {
		expr(o, base, L_PRIMARY);
	}
	if (n->sort_by_stat)
		fprintf(o, " %s", stat_name(n->stat));
	if (n->sort_col == -1)
		fputc(n->sort_dir < 0 ? '-' : '+', o);
	if (n->limit) {
		fputs(" limit ", o);
		expr(o, n->limit, L_ASSIGN);
	}
	fputc(')', o);
}

static void stmt(FILE *o, const Node *n, int ind, bool lead)
{
	if (lead)
		indent(o, ind);
	switch (n->kind) {
	case AST_BLOCK:
		fputs("{\n", o);
		for (int i = 0; i < n->body.n; i++)
			stmt(o, n->body.v[i], ind + 1, true);
		indent(o, ind);
		fputs("}\n", o);
		break;
	case AST_EXPR_STMT:
		expr(o, n->lhs, L_ASSIGN);
		fputs(";\n", o);
		break;
	case AST_IF: {
		fputs("if (", o);
		expr(o, n->cond, L_ASSIGN);
		fputc(')', o);
		bool closed = sub(o, n->then, ind);
		if (!n->els) {
			end_sub(o, closed);
			break;
		}
		if (closed) {
			fputs(" else", o);
		} else {
			indent(o, ind);
			fputs("else", o);
		}
		if (n->els->kind == AST_IF) {
			fputc(' ', o);
			stmt(o, n->els, ind, false);
		} else {
			end_sub(o, sub(o, n->els, ind));
		}
		break;
	}
	case AST_WHILE:
		fputs("while (", o);
		expr(o, n->cond, L_ASSIGN);
		fputc(')', o);
		end_sub(o, sub(o, n->then, ind));
		break;
	case AST_FOR:
		fputs("for (", o);
		expr(o, n->init, L_ASSIGN);
		fputc(';', o);
		if (n->cond) {
			fputc(' ', o);
			expr(o, n->cond, L_ASSIGN);
		}
		fputc(';', o);
		if (n->step) {
			fputc(' ', o);
			expr(o, n->step, L_ASSIGN);
		}
		fputc(')', o);
		end_sub(o, sub(o, n->then, ind));
		break;
	case AST_FOREACH:
		foreach_head(o, n);
		end_sub(o, sub(o, n->then, ind));
		break;
	case AST_RETURN:
		fputs("return", o);
		if (n->lhs) {
			fputc(' ', o);
			expr(o, n->lhs, L_ASSIGN);
		}
		fputs(";\n", o);
		break;
	case AST_NEXT:
		fputs("next;\n", o);
		break;
	case AST_BREAK:
		fputs("break;\n", o);
		break;
	case AST_CONTINUE:
		fputs("continue;\n", o);
		break;
	case AST_DELETE:
		fputs("delete ", o);
		expr(o, n->lhs, L_ASSIGN);
		fputs(";\n", o);
		break;
	case AST_TRY: {
		fputs("try", o);
		bool closed = sub(o, n->then, ind);
		if (closed) {
			fputs(" catch", o);
		} else {
			indent(o, ind);
			fputs("catch", o);
		}
		if (n->value)
			fprintf(o, " (%s)", n->value->name);
		end_sub(o, sub(o, n->els, ind));
		break;
	}
	case AST_NULL:
		fputs(";\n", o);
		break;
	case AST_EMBEDDED_STMT:
		fprintf(o, "%%{%s%%}\n", n->code);
		break;
	case AST_NUM: case AST_STR: case AST_VAR: case AST_TARGET: case AST_CAST:
	case AST_ATVAR: case AST_INDEX: case AST_STAR: case AST_CALL: case AST_UNARY:
	case AST_BINARY: case AST_COMPARE: case AST_LOGAND: case AST_LOGOR:
	case AST_TERNARY: case AST_ASSIGN: case AST_INCDEC: case AST_IN: case AST_REGEX:
	case AST_STAT: case AST_DEFINED: case AST_ENTRY: case AST_PROBEWRITE:
	case AST_CONST: case AST_PERF: case AST_EMBEDDED_EXPR:
		/* an expression where a statement belongs: print it as one */
		expr(o, n, L_ASSIGN);
		fputs(";\n", o);
		break;
	}
}

void ast_print_stmt(FILE *out, const Node *n, int ind)
{
	if (n)
		stmt(out, n, ind, true);
}

/* ---------------------------------------------------------- declarations */

static void literal(FILE *o, const Node *n)
{
	if (n->kind == AST_STR)
		print_string(o, n->str, n->slen);
	else if (n->kind == AST_NUM)
		print_number(o, n->num);
	else
		expr(o, n, L_ASSIGN);
}

void ast_print_probe_point(FILE *out, const ProbePoint *pp)
{
	for (int i = 0; i < pp->ncomps; i++) {
		if (i)
			fputc('.', out);
		fputs(pp->comps[i].name, out);
		if (pp->comps[i].arg) {
			fputc('(', out);
			literal(out, pp->comps[i].arg);
			fputc(')', out);
		}
	}
	if (pp->sufficient)
		fputc('!', out);
	else if (pp->optional)
		fputc('?', out);
	if (pp->cond) {
		fputs(" if (", out);
		expr(out, pp->cond, L_ASSIGN);
		fputc(')', out);
	}
}

static void body(FILE *o, const Node *b, bool newline)
{
	fputs(" {\n", o);
	if (b)
		for (int i = 0; i < b->body.n; i++)
			stmt(o, b->body.v[i], 1, true);
	fputs(newline ? "}\n" : "}", o);
}

void ast_print_probe(FILE *out, const Probe *p)
{
	if (p->is_private)
		fputs("private ", out);
	fputs("probe ", out);
	for (const ProbePoint *a = p->alias; a; a = a->next) {
		ast_print_probe_point(out, a);
		fputs(p->alias_append ? " += " : " = ", out);
	}
	for (const ProbePoint *pp = p->points; pp; pp = pp->next) {
		ast_print_probe_point(out, pp);
		if (pp->next)
			fputs(", ", out);
	}
	body(out, p->body, !p->body2);
	if (p->body2) {
		fputc(',', out);
		body(out, p->body2, true);
	}
}

static const char *decl_type(TypeKind t)
{
	switch (t) {
	case TY_LONG: return ":long";
	case TY_STRING: return ":string";
	case TY_UNKNOWN: case TY_STATS: case TY_VOID:
		break;
	}
	return "";
}

void ast_print_function(FILE *out, const Function *f)
{
	if (f->is_private)
		fputs("private ", out);
	fprintf(out, "function %s%s (", f->name, decl_type(f->ret));
	for (int i = 0; i < f->nparams; i++)
		fprintf(out, "%s%s%s", i ? ", " : "", f->params[i].name, decl_type(f->params[i].type));
	fputc(')', out);
	if (f->code)
		fprintf(out, " %%{%s%%}\n", f->code);
	else
		body(out, f->body, true);
}

static void print_global(FILE *o, const Global *g)
{
	if (g->is_private)
		fputs("private ", o);
	fprintf(o, "global %s", g->name);
	if (g->wrap)
		fputc('%', o);
	if (g->is_array)
		fprintf(o, "[%" PRId64 "]", g->size);
	if (g->init) {
		fputs(" = ", o);
		literal(o, g->init);
	}
	fputc('\n', o);
}

void ast_print_script(FILE *out, const Script *s)
{
	for (const Embedded *e = s->embeds; e; e = e->next)
		fprintf(out, "%%{%s%%}\n", e->code);
	for (const Global *g = s->globals; g; g = g->next)
		print_global(out, g);
	for (const Function *f = s->functions; f; f = f->next)
		ast_print_function(out, f);
	for (const Probe *p = s->probes; p; p = p->next)
		ast_print_probe(out, p);
}

char *ast_print_script_text(const Script *s, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	if (!f) {
		fprintf(stderr, "bstap: out of memory\n");
		abort();
	}
	ast_print_script(f, s);
	fclose(f);
	if (len)
		*len = n;
	return buf;
}
