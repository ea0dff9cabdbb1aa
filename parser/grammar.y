/* grammar.y - the SystemTap grammar (bison, pure, LALR(1) with LAC).
 *
 * Token flow:  lexer.l (raw tokens) -> preprocess.c (@define, macros,
 * %( %? %: %), then token shaping) -> this grammar.
 *
 * The shaping (preprocess.c) does the few things an LALR(1) grammar cannot
 * do with one token of lookahead, which stap's hand-written parser does by
 * peeking: adjacent string literals are joined; in a probe point list the
 * pieces of a component name written without spaces are glued into one
 * COMPNAME (syscall.*, sys_*_at, .return) and a '{' opening a group of
 * alternatives (kernel.{a,b}) becomes PP_LBRACE; `return` directly before
 * ';' or '}' becomes RETURN0 (no value).
 *
 * Statements need no ';' in SystemTap, so an expression statement ends
 * wherever the expression cannot go on: `x = 1 -y` is `x = 1 - y`, as in
 * stap's greedy descent.  Each place where a token could either continue the
 * expression or start the next statement ('(', '[', '+', '-', '&', '++',
 * '--') is resolved to "continue" through %prec LOWEST on the rule that would
 * end it; %expect 0 checks that no other conflict exists.
 *
 * Expression levels follow stap's parser (lowest first): assignment (right
 * assoc), ?:, ||, &&, |, ^, &, `in`, comparisons and =~ !~, << >>, '.'
 * (concatenation), + -, * / %, unary, ++ --, target chains, primaries.
 *
 * Errors: yyreport_syntax_error() names the expected tokens; error rules at
 * statement, block and top-level boundaries let one run report several.
 */

%code top {
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* A rule's location runs from its first symbol to the end of its last (an
 * empty rule sits just after the previous symbol).  Nodes mostly use the
 * location of their representative token instead. */
#define YYLLOC_DEFAULT(Cur, Rhs, N)						\
	do {									\
		if (N) {							\
			(Cur) = YYRHSLOC(Rhs, 1);				\
			const SrcLoc *e_ = &YYRHSLOC(Rhs, N);			\
			if (e_->file == (Cur).file && e_->off >= (Cur).off)	\
				(Cur).len = e_->off + e_->len - (Cur).off;	\
		} else {							\
			(Cur) = YYRHSLOC(Rhs, 0);				\
			(Cur).off += (Cur).len;					\
			(Cur).col += (int)(Cur).len;				\
			(Cur).len = 0;						\
		}								\
	} while (0)
}

%code requires {
#include "parser/parse.h"

typedef struct ParseCtx ParseCtx;

/* A list of probe points under construction (a component group such as
 * kernel.{a,b} multiplies it out). */
typedef struct PPList { ProbePoint *head, *tail; int n; } PPList;

/* A target-symbol chain under construction: ->a [i] $ */
typedef struct TcList {
	TargetComp *v;
	int n, cap;
	int pretty;
	SrcLoc pretty_loc;
} TcList;

/* foreach variables */
typedef struct FeKey { Node *var; int dir; } FeKey;
typedef struct FeVars {
	NodeList keys;
	Node *value;
	int sort_col, sort_dir;
} FeVars;

typedef struct ParamList { Param *v; int n, cap; } ParamList;

/* A token's value in the grammar: the part of a Token the actions use.
 * Kept small, since bison copies semantic values on every shift and
 * reduction. */
typedef struct STok {
	const char *text;
	size_t len;
	int64_t num;
	SrcLoc loc;
} STok;
}

%code provides {
int stpparse(ParseCtx *ctx);
}

%define api.pure full
%define api.prefix {stp}
%define api.location.type {SrcLoc}
%define parse.error custom
%define parse.lac full
%locations
%expect 0
%param {ParseCtx *ctx}

%union {
	STok tok;
	Node *node;
	NodeList list;
	OpKind op;
	int num;
	int64_t n64;
	PPList pps;
	TcList tcs;
	FeKey fek;
	FeVars fev;
	Global *glob;
	Function *func;
	Probe *probe;
	ParamList params;
	TypeKind type;
}

%code {
struct ParseCtx {
	Arena *a;
	Source *src;
	const ParseEnv *env;
	PP *pp;
	Script *script;
	Probe **probe_tail;
	Function **func_tail;
	Global **glob_tail;
	Embedded **emb_tail;
	/* a syntax error on this line (file, line) before another declaration
	 * (the count is quiet_decls) follows from the last one: not shown */
	SrcLoc quiet_line;
	long quiet_decls;
};

static int stplex(STPSTYPE *lval, SrcLoc *lloc, ParseCtx *ctx);
static void stperror(SrcLoc *loc, ParseCtx *ctx, const char *msg);
static void perr(ParseCtx *ctx, const SrcLoc *loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static Node *mk(ParseCtx *ctx, AstKind k, SrcLoc loc);
static Node *mk_var(ParseCtx *ctx, const STok *t);
static Node *mk_str(ParseCtx *ctx, const STok *t);
static Node *mk_target(ParseCtx *ctx, const STok *t);
static Node *apply_chain(ParseCtx *ctx, Node *n, TcList *tc);
static Node *mk_autocast(ParseCtx *ctx, Node *operand, TcList *tc, SrcLoc loc);
static Node *mk_stat(ParseCtx *ctx, const STok *op, Node *operand, SrcLoc loc);
static void tc_add(ParseCtx *ctx, TcList *tc, TargetComp c);
static void tc_pretty(ParseCtx *ctx, TcList *tc, const STok *t);
static void tc_member(ParseCtx *ctx, TcList *tc, const STok *t);
static PPList pp_one(ParseCtx *ctx, const STok *name, Node *arg);
static PPList pp_product(ParseCtx *ctx, PPList a, PPList b);
static PPList pp_append(PPList a, PPList b);
static PPList pp_finish(ParseCtx *ctx, PPList l, int opt, Node *cond, SrcLoc optloc);
static void add_probe(ParseCtx *ctx, Probe *p);
static void add_globals(ParseCtx *ctx, Global *g, bool priv);
static void add_function(ParseCtx *ctx, Function *f, bool priv);
static Global *mk_global(ParseCtx *ctx, const STok *name, bool wrap, int64_t size,
			 bool is_array, Node *init);
static void param_add(ParseCtx *ctx, ParamList *l, const STok *name, TypeKind ty);
static Node *mk_foreach(ParseCtx *ctx, SrcLoc loc, FeVars *v, Node *base, int stat,
			int dir, SrcLoc dir_loc, Node *limit, Node *body);
static void fe_key_add(ParseCtx *ctx, FeVars *v, const FeKey *k, SrcLoc loc);
static void unknown_atword(ParseCtx *ctx, const STok *t);
}

/* ---- tokens (aliases are what error messages say) */
%token <tok> IDENT "identifier"
%token <tok> TARGET "target variable"
%token <tok> DOLLARS "'$'"
%token <tok> NUMBER "number"
%token <tok> STRING "string literal"
%token <tok> EMBEDDED "embedded code"
%token <tok> COMPNAME "probe point component"
%token <tok> PP_LBRACE "'{' (probe point group)"
%token <tok> AT_CAST "'@cast'"
%token <tok> AT_VAR "'@var'"
%token <tok> AT_DEFINED "'@defined'"
%token <tok> AT_ENTRY "'@entry'"
%token <tok> AT_PROBEWRITE "'@probewrite'"
%token <tok> AT_CONST "'@const'"
%token <tok> AT_PERF "'@perf'"
%token <tok> AT_STAT "statistic operator"
%token <tok> AT_HIST_LINEAR "'@hist_linear'"
%token <tok> AT_HIST_LOG "'@hist_log'"
%token <tok> AT_WORD "'@' operator"
%token <tok> AT_DEFINE "'@define'"
%token <tok> JUNK "invalid character"
%token <tok> PROBE "'probe'"
%token <tok> GLOBAL "'global'"
%token <tok> PRIVATE "'private'"
%token <tok> FUNCTION "'function'"
%token <tok> IF "'if'"
%token <tok> ELSE "'else'"
%token <tok> FOR "'for'"
%token <tok> FOREACH "'foreach'"
%token <tok> IN "'in'"
%token <tok> LIMIT "'limit'"
%token <tok> RETURN "'return'"
%token <tok> RETURN0 "'return' (no value)"
%token <tok> DELETE "'delete'"
%token <tok> WHILE "'while'"
%token <tok> BREAK "'break'"
%token <tok> CONTINUE "'continue'"
%token <tok> NEXT "'next'"
%token <tok> STRING_KW "'string'"
%token <tok> LONG_KW "'long'"
%token <tok> TRY "'try'"
%token <tok> CATCH "'catch'"
%token <tok> AGG "'<<<'"
%token <tok> MATCH "'=~'"
%token <tok> NOMATCH "'!~'"
%token <tok> CONCAT_ASSIGN "'.='"
%token <tok> INC "'++'"
%token <tok> DEC "'--'"
%token <tok> ARROW "'->'"
%token <tok> ADD_ASSIGN "'+='"
%token <tok> SUB_ASSIGN "'-='"
%token <tok> MUL_ASSIGN "'*='"
%token <tok> DIV_ASSIGN "'/='"
%token <tok> MOD_ASSIGN "'%='"
%token <tok> SHL_ASSIGN "'<<='"
%token <tok> SHR_ASSIGN "'>>='"
%token <tok> AND_ASSIGN "'&='"
%token <tok> OR_ASSIGN "'|='"
%token <tok> XOR_ASSIGN "'^='"
%token <tok> EQ "'=='"
%token <tok> NE "'!='"
%token <tok> LE "'<='"
%token <tok> GE "'>='"
%token <tok> SHL "'<<'"
%token <tok> SHR "'>>'"
%token <tok> ANDAND "'&&'"
%token <tok> OROR "'||'"
%token <tok> PP_OPEN "'%('"
%token <tok> PP_THEN "'%?'"
%token <tok> PP_ELSE "'%:'"
%token <tok> PP_CLOSE "'%)'"

/* Precedence only settles "end the statement or go on" (see the top). */
%precedence LOWEST
%precedence THEN
%precedence ELSE
%precedence ';'
%precedence '(' '[' '+' '-' '&' INC DEC

%type <node> expr ternary logor logand bor bxor band arrin cmp cmpchain shift concat
%type <node> additive mult unary crement dwarf value target_head hist_op indexable
%type <node> strlit literal opt_expr stmt simple block in_key idx_key slice_key
%type <node> fe_base fe_limit pp_cond catch_var
%type <list> stmts args in_keys idx_keys slice_keys
%type <op> assignop cmpop
%type <n64> number_lit
%type <tcs> tcomps
%type <tok> member anykw fname
%type <pps> pp_list pp pp_comps pp_comp alias_heads alias_head
%type <num> pp_opt gwrap fe_dir fe_stat
%type <fek> fe_key
%type <fev> fe_vars fe_keys
%type <glob> gvars gvar
%type <func> function_rest
%type <probe> probe_rest
%type <params> params param_list
%type <type> opt_type type

%start script

%%

/* ---------------------------------------------------------------- files */

/* script: { probe | global | function | %{ %} | private ... } */
script
	: %empty
	| script toplevel
	;

toplevel
	: PROBE probe_rest		{ add_probe(ctx, $2); }
	| GLOBAL gvars opt_semi		{ add_globals(ctx, $2, false); }
	| FUNCTION function_rest	{ add_function(ctx, $2, false); }
	| PRIVATE PROBE probe_rest	{ $3->is_private = true; add_probe(ctx, $3); }
	| PRIVATE GLOBAL gvars opt_semi	{ add_globals(ctx, $3, true); }
	| PRIVATE gvars opt_semi	{ add_globals(ctx, $2, true); }
	| PRIVATE FUNCTION function_rest { add_function(ctx, $3, true); }
	| EMBEDDED
		{
			Embedded *e = arena_alloc(ctx->a, sizeof *e);
			e->code = $1.text;
			e->loc = @1;
			*ctx->emb_tail = e;
			ctx->emb_tail = &e->next;
		}
	| error
	;

opt_semi
	: %empty
	| ';'
	;

/* ---------------------------------------------------------------- probes */

/* probe PP, PP { body }
 * probe NAME = PP, PP { body }     (alias; '+=' runs the body after) */
probe_rest
	: pp_list block
		{
			$$ = arena_alloc(ctx->a, sizeof *$$);
			$$->points = $1.head;
			$$->body = $2;
			$$->loc = @$;
		}
	| alias_heads pp_list block
		{
			$$ = arena_alloc(ctx->a, sizeof *$$);
			$$->alias = $1.head;
			$$->alias_append = $1.n < 0;
			$$->points = $2.head;
			$$->body = $3;
			$$->loc = @$;
		}
	/* probe NAME = PP { prologue }, { epilogue } */
	| alias_heads pp_list block ',' block
		{
			$$ = arena_alloc(ctx->a, sizeof *$$);
			$$->alias = $1.head;
			$$->points = $2.head;
			$$->body = $3;
			$$->body2 = $5;
			$$->loc = @$;
			if ($1.n < 0)
				perr(ctx, &@4, "Combined prologue and epilogue cannot be defined with '+='");
		}
	;

/* The alias list; n < 0 marks a '+=' alias. */
alias_heads
	: alias_head			{ $$ = $1; }
	| alias_heads alias_head
		{
			bool app = $1.n < 0 || $2.n < 0;
			$$ = pp_append($1, $2);
			if (app)
				$$.n = -1;
		}
	;

alias_head
	: pp '='
		{
			if ($1.n != 1 || $1.head->optional || $1.head->cond)
				perr(ctx, &@1, "probe point alias name cannot be optional, conditional nor a group");
			$$ = $1;
		}
	| pp ADD_ASSIGN
		{
			if ($1.n != 1 || $1.head->optional || $1.head->cond)
				perr(ctx, &@1, "probe point alias name cannot be optional, conditional nor a group");
			$$ = $1;
			$$.n = -1;
		}
	;

pp_list
	: pp				{ $$ = $1; }
	| pp_list ',' pp		{ $$ = pp_append($1, $3); }
	;

/* pp: comp { '.' comp } [ '?' | '!' ] [ if ( expr ) ] */
pp
	: pp_comps pp_opt pp_cond	{ $$ = pp_finish(ctx, $1, $2, $3, @2); }
	;

pp_comps
	: pp_comp			{ $$ = $1; }
	| pp_comps '.' pp_comp		{ $$ = pp_product(ctx, $1, $3); }
	;

/* comp: NAME | NAME ( literal ) | { pp, pp } */
pp_comp
	: COMPNAME			{ $$ = pp_one(ctx, &$1, NULL); }
	| COMPNAME '(' literal ')'	{ $$ = pp_one(ctx, &$1, $3); }
	| PP_LBRACE pp_list '}'		{ $$ = $2; }
	;

pp_opt
	: %empty			{ $$ = 0; }
	| '?'				{ $$ = 1; }
	| '!'				{ $$ = 2; }
	;

pp_cond
	: %empty			{ $$ = NULL; }
	| IF '(' expr ')'		{ $$ = $3; }
	;

/* literal: NUMBER | - NUMBER | STRING */
literal
	: number_lit			{ $$ = ast_num(ctx->a, $1, @1); }
	| strlit			{ $$ = $1; }
	;

number_lit
	: NUMBER			{ $$ = $1.num; }
	| '-' NUMBER
		{
			if ((uint64_t)$2.num > (uint64_t)INT64_MAX + 1)
				perr(ctx, &@2, "number invalid or out of range");
			$$ = (int64_t)(0 - (uint64_t)$2.num);
		}
	;

strlit
	: STRING			{ $$ = mk_str(ctx, &$1); }
	;

/* ---------------------------------------------------------------- globals */

/* global NAME [%] [ [SIZE] ] [%] [= literal], ... [;] */
gvars
	: gvar				{ $$ = $1; }
	| gvars ',' gvar
		{
			Global *g = $1;
			while (g->next)
				g = g->next;
			g->next = $3;
			$$ = $1;
		}
	;

gvar
	: IDENT gwrap			{ $$ = mk_global(ctx, &$1, $2, 0, false, NULL); }
	| IDENT gwrap '=' literal	{ $$ = mk_global(ctx, &$1, $2, 0, false, $4); }
	| IDENT gwrap '[' NUMBER ']' gwrap
		{
			if ($4.num <= 0 || $4.num > 0x7fffffff)
				perr(ctx, &@4, "array size out of range");
			$$ = mk_global(ctx, &$1, $2 || $6, $4.num, true, NULL);
		}
	| IDENT gwrap '[' NUMBER ']' gwrap '=' literal
		{
			perr(ctx, &@7, "only scalar globals can be initialized");
			$$ = mk_global(ctx, &$1, $2 || $6, $4.num, true, NULL);
		}
	;

gwrap
	: %empty			{ $$ = 0; }
	| '%'				{ $$ = 1; }
	;

/* -------------------------------------------------------------- functions */

/* function NAME [:type] ( [p [:type], ...] ) { body } | %{ code %} */
function_rest
	: fname opt_type '(' params ')' block
		{
			$$ = arena_alloc(ctx->a, sizeof *$$);
			$$->name = $1.text;
			$$->ret = $2;
			$$->params = $4.v;
			$$->nparams = $4.n;
			$$->body = $6;
			$$->loc = @1;
		}
	| fname opt_type '(' params ')' EMBEDDED
		{
			$$ = arena_alloc(ctx->a, sizeof *$$);
			$$->name = $1.text;
			$$->ret = $2;
			$$->params = $4.v;
			$$->nparams = $4.n;
			$$->code = $6.text;
			$$->loc = @1;
		}
	;

/* stap allows the names "string" and "long" for functions */
fname
	: IDENT				{ $$ = $1; }
	| STRING_KW			{ $$ = $1; }
	| LONG_KW			{ $$ = $1; }
	;

opt_type
	: %empty			{ $$ = TY_UNKNOWN; }
	| ':' type			{ $$ = $2; }
	;

type
	: STRING_KW			{ $$ = TY_STRING; }
	| LONG_KW			{ $$ = TY_LONG; }
	;

params
	: %empty			{ $$ = (ParamList){0}; }
	| param_list			{ $$ = $1; }
	;

param_list
	: IDENT opt_type		{ $$ = (ParamList){0}; param_add(ctx, &$$, &$1, $2); }
	| param_list ',' IDENT opt_type	{ $$ = $1; param_add(ctx, &$$, &$3, $4); }
	;

/* ------------------------------------------------------------- statements */

/* block: { stmt* } */
block
	: '{' stmts '}'
		{
			$$ = mk(ctx, AST_BLOCK, @1);
			$$->body = $2;
		}
	;

stmts
	: %empty			{ $$ = (NodeList){0}; }
	| stmts stmt
		{
			$$ = $1;
			if ($2)
				nodelist_add(ctx->a, &$$, $2);
		}
	;

/* A simple statement may be followed by one ';' of its own; any further
 * ';' is an empty statement. */
stmt
	: ';'				{ $$ = mk(ctx, AST_NULL, @1); }
	| block				{ $$ = $1; }
	| simple %prec LOWEST		{ $$ = $1; }
	| simple ';'			{ $$ = $1; }
	| IF '(' expr ')' stmt %prec THEN
		{
			$$ = mk(ctx, AST_IF, @1);
			$$->cond = $3;
			$$->then = $5;
		}
	| IF '(' expr ')' stmt ELSE stmt
		{
			$$ = mk(ctx, AST_IF, @1);
			$$->cond = $3;
			$$->then = $5;
			$$->els = $7;
		}
	| WHILE '(' expr ')' stmt
		{
			$$ = mk(ctx, AST_WHILE, @1);
			$$->cond = $3;
			$$->then = $5;
		}
	| FOR '(' opt_expr ';' opt_expr ';' opt_expr ')' stmt
		{
			$$ = mk(ctx, AST_FOR, @1);
			$$->init = $3;
			$$->cond = $5;
			$$->step = $7;
			$$->then = $9;
		}
	/* foreach ( vars in base [@stat] [+|-] [limit expr] ) stmt */
	| FOREACH '(' fe_vars IN fe_base fe_stat fe_dir fe_limit ')' stmt
		{
			$$ = mk_foreach(ctx, @1, &$3, $5, $6, $7, @7, $8, $10);
			if ($6 >= 0 && $7 == 0)
				perr(ctx, &@6, "expected sort directive");
		}
	/* try { } catch [( var )] { } */
	| TRY block CATCH catch_var block
		{
			$$ = mk(ctx, AST_TRY, @1);
			$$->then = $2;
			$$->value = $4;
			$$->els = $5;
		}
	/* recovery: parsing goes on at the first token that can start a
	 * statement (bison reports nothing more until 3 tokens are read) */
	| error				{ $$ = NULL; }
	;

catch_var
	: %empty			{ $$ = NULL; }
	| '(' IDENT ')'			{ $$ = mk_var(ctx, &$2); }
	;

simple
	: expr
		{
			$$ = mk(ctx, AST_EXPR_STMT, $1->loc);
			$$->lhs = $1;
		}
	| RETURN0			{ $$ = mk(ctx, AST_RETURN, @1); }
	| RETURN expr
		{
			$$ = mk(ctx, AST_RETURN, @1);
			$$->lhs = $2;
		}
	| DELETE expr
		{
			$$ = mk(ctx, AST_DELETE, @1);
			$$->lhs = $2;
		}
	| BREAK				{ $$ = mk(ctx, AST_BREAK, @1); }
	| CONTINUE			{ $$ = mk(ctx, AST_CONTINUE, @1); }
	| NEXT				{ $$ = mk(ctx, AST_NEXT, @1); }
	;

opt_expr
	: %empty			{ $$ = NULL; }
	| expr				{ $$ = $1; }
	;

/* fe_vars: key | [ key, ... ] | value = key | value = [ key, ... ]
 * where key: IDENT [+|-] */
fe_vars
	: fe_key
		{
			$$ = (FeVars){0};
			nodelist_add(ctx->a, &$$.keys, $1.var);
			if ($1.dir) {
				$$.sort_col = 1;
				$$.sort_dir = $1.dir;
			}
		}
	| '[' fe_keys ']'		{ $$ = $2; }
	| fe_key '=' fe_key
		{
			$$ = (FeVars){0};
			$$.value = $1.var;
			if ($1.dir) {
				$$.sort_col = -1;
				$$.sort_dir = $1.dir;
			}
			nodelist_add(ctx->a, &$$.keys, $3.var);
			if ($3.dir) {
				if ($$.sort_dir)
					perr(ctx, &@3, "multiple sort directives");
				$$.sort_col = 1;
				$$.sort_dir = $3.dir;
			}
		}
	| fe_key '=' '[' fe_keys ']'
		{
			$$ = $4;
			if ($1.dir) {
				if ($$.sort_dir)
					perr(ctx, &@1, "multiple sort directives");
				$$.sort_col = -1;
				$$.sort_dir = $1.dir;
			}
			$$.value = $1.var;
		}
	;

fe_keys
	: fe_key			{ $$ = (FeVars){0}; fe_key_add(ctx, &$$, &$1, @1); }
	| fe_keys ',' fe_key		{ $$ = $1; fe_key_add(ctx, &$$, &$3, @3); }
	;

fe_key
	: IDENT fe_dir			{ $$.var = mk_var(ctx, &$1); $$.dir = $2; }
	;

fe_dir
	: %empty			{ $$ = 0; }
	| '+'				{ $$ = 1; }
	| '-'				{ $$ = -1; }
	;

/* base: indexable [ [ slice, ... ] ] */
fe_base
	: indexable			{ $$ = $1; }
	| indexable '[' slice_keys ']'
		{
			$$ = mk(ctx, AST_INDEX, @2);
			$$->lhs = $1;
			$$->args = $3;
		}
	;

slice_keys
	: slice_key			{ $$ = (NodeList){0}; nodelist_add(ctx->a, &$$, $1); }
	| slice_keys ',' slice_key	{ $$ = $1; nodelist_add(ctx->a, &$$, $3); }
	;

slice_key
	: '*'				{ $$ = mk(ctx, AST_STAR, @1); }
	| expr				{ $$ = $1; }
	;

fe_stat
	: %empty			{ $$ = -1; }
	| AT_STAT
		{
			$$ = (int)$1.num;
			if ($$ == STAT_HIST_LINEAR || $$ == STAT_HIST_LOG)
				perr(ctx, &@1, "expected statistical operation");
		}
	;

fe_limit
	: %empty			{ $$ = NULL; }
	| LIMIT expr			{ $$ = $2; }
	;

/* ------------------------------------------------------------ expressions */

/* expr: ternary [ assignop expr ]   (right associative) */
expr
	: ternary			{ $$ = $1; }
	| ternary assignop expr		{ $$ = ast_binary(ctx->a, AST_ASSIGN, $2, $1, $3, @2); }
	;

assignop
	: '='				{ $$ = OP_ASSIGN; }
	| ADD_ASSIGN			{ $$ = OP_ADD_ASSIGN; }
	| SUB_ASSIGN			{ $$ = OP_SUB_ASSIGN; }
	| MUL_ASSIGN			{ $$ = OP_MUL_ASSIGN; }
	| DIV_ASSIGN			{ $$ = OP_DIV_ASSIGN; }
	| MOD_ASSIGN			{ $$ = OP_MOD_ASSIGN; }
	| SHL_ASSIGN			{ $$ = OP_SHL_ASSIGN; }
	| SHR_ASSIGN			{ $$ = OP_SHR_ASSIGN; }
	| AND_ASSIGN			{ $$ = OP_AND_ASSIGN; }
	| OR_ASSIGN			{ $$ = OP_OR_ASSIGN; }
	| XOR_ASSIGN			{ $$ = OP_XOR_ASSIGN; }
	| CONCAT_ASSIGN			{ $$ = OP_CONCAT_ASSIGN; }
	| AGG				{ $$ = OP_AGG; }
	;

/* ternary: logor [ ? expr : ternary ] */
ternary
	: logor				{ $$ = $1; }
	| logor '?' expr ':' ternary
		{
			$$ = mk(ctx, AST_TERNARY, @2);
			$$->cond = $1;
			$$->lhs = $3;
			$$->rhs = $5;
		}
	;

logor
	: logand			{ $$ = $1; }
	| logor OROR logand		{ $$ = ast_binary(ctx->a, AST_LOGOR, OP_NONE, $1, $3, @2); }
	;

logand
	: bor				{ $$ = $1; }
	| logand ANDAND bor		{ $$ = ast_binary(ctx->a, AST_LOGAND, OP_NONE, $1, $3, @2); }
	;

bor
	: bxor				{ $$ = $1; }
	| bor '|' bxor			{ $$ = ast_binary(ctx->a, AST_BINARY, OP_BOR, $1, $3, @2); }
	;

bxor
	: band %prec LOWEST		{ $$ = $1; }
	| bxor '^' band %prec LOWEST	{ $$ = ast_binary(ctx->a, AST_BINARY, OP_BXOR, $1, $3, @2); }
	;

band
	: arrin				{ $$ = $1; }
	| band '&' arrin		{ $$ = ast_binary(ctx->a, AST_BINARY, OP_BAND, $1, $3, @2); }
	;

/* arrin: cmp [ in indexable ] | [ key, ... ] in indexable */
arrin
	: cmp				{ $$ = $1; }
	| cmp IN indexable
		{
			$$ = mk(ctx, AST_IN, @2);
			nodelist_add(ctx->a, &$$->args, $1);
			$$->lhs = $3;
		}
	| '[' in_keys ']' IN indexable
		{
			$$ = mk(ctx, AST_IN, @4);
			$$->args = $2;
			$$->lhs = $5;
		}
	;

in_keys
	: in_key			{ $$ = (NodeList){0}; nodelist_add(ctx->a, &$$, $1); }
	| in_keys ',' in_key		{ $$ = $1; nodelist_add(ctx->a, &$$, $3); }
	;

in_key
	: '*'				{ $$ = mk(ctx, AST_STAR, @1); }
	| cmp				{ $$ = $1; }
	;

/* cmp: shift [ =~ "re" ] | shift { cmpop shift } */
cmp
	: shift				{ $$ = $1; }
	| shift MATCH strlit		{ $$ = ast_binary(ctx->a, AST_REGEX, OP_MATCH, $1, $3, @2); }
	| shift NOMATCH strlit		{ $$ = ast_binary(ctx->a, AST_REGEX, OP_NOMATCH, $1, $3, @2); }
	| cmpchain			{ $$ = $1; }
	;

cmpchain
	: shift cmpop shift		{ $$ = ast_binary(ctx->a, AST_COMPARE, $2, $1, $3, @2); }
	| cmpchain cmpop shift		{ $$ = ast_binary(ctx->a, AST_COMPARE, $2, $1, $3, @2); }
	;

cmpop
	: EQ				{ $$ = OP_EQ; }
	| NE				{ $$ = OP_NE; }
	| '<'				{ $$ = OP_LT; }
	| LE				{ $$ = OP_LE; }
	| '>'				{ $$ = OP_GT; }
	| GE				{ $$ = OP_GE; }
	;

shift
	: concat			{ $$ = $1; }
	| shift SHL concat		{ $$ = ast_binary(ctx->a, AST_BINARY, OP_SHL, $1, $3, @2); }
	| shift SHR concat		{ $$ = ast_binary(ctx->a, AST_BINARY, OP_SHR, $1, $3, @2); }
	;

concat
	: additive %prec LOWEST		{ $$ = $1; }
	| concat '.' additive %prec LOWEST { $$ = ast_binary(ctx->a, AST_BINARY, OP_CONCAT, $1, $3, @2); }
	;

additive
	: mult				{ $$ = $1; }
	| additive '+' mult		{ $$ = ast_binary(ctx->a, AST_BINARY, OP_ADD, $1, $3, @2); }
	| additive '-' mult		{ $$ = ast_binary(ctx->a, AST_BINARY, OP_SUB, $1, $3, @2); }
	;

mult
	: unary				{ $$ = $1; }
	| mult '*' unary		{ $$ = ast_binary(ctx->a, AST_BINARY, OP_MUL, $1, $3, @2); }
	| mult '/' unary		{ $$ = ast_binary(ctx->a, AST_BINARY, OP_DIV, $1, $3, @2); }
	| mult '%' unary		{ $$ = ast_binary(ctx->a, AST_BINARY, OP_MOD, $1, $3, @2); }
	;

unary
	: crement			{ $$ = $1; }
	| '+' unary			{ $$ = ast_unary(ctx->a, AST_UNARY, OP_PLUS, $2, @1); }
	| '-' unary			{ $$ = ast_unary(ctx->a, AST_UNARY, OP_NEG, $2, @1); }
	| '!' unary			{ $$ = ast_unary(ctx->a, AST_UNARY, OP_NOT, $2, @1); }
	| '~' unary			{ $$ = ast_unary(ctx->a, AST_UNARY, OP_BNOT, $2, @1); }
	;

/* crement: ++dwarf | --dwarf | dwarf [++ | --] */
crement
	: dwarf %prec LOWEST		{ $$ = $1; }
	| INC dwarf			{ $$ = ast_unary(ctx->a, AST_INCDEC, OP_INC, $2, @1); }
	| DEC dwarf			{ $$ = ast_unary(ctx->a, AST_INCDEC, OP_DEC, $2, @1); }
	| dwarf INC
		{
			$$ = ast_unary(ctx->a, AST_INCDEC, OP_INC, $1, @2);
			$$->postfix = true;
		}
	| dwarf DEC
		{
			$$ = ast_unary(ctx->a, AST_INCDEC, OP_DEC, $1, @2);
			$$->postfix = true;
		}
	;

/* dwarf: [&] target { ->member | [expr] } [$|$$]
 *      | [&] value { ->member | [expr] } [$|$$]    (an autocast when a
 *                                                    chain follows) */
dwarf
	: value %prec LOWEST		{ $$ = $1; }
	| value tcomps %prec LOWEST	{ $$ = mk_autocast(ctx, $1, &$2, @1); }
	| target_head %prec LOWEST	{ $$ = $1; }
	| target_head tcomps %prec LOWEST { $$ = apply_chain(ctx, $1, &$2); }
	| '&' target_head %prec LOWEST
		{
			$$ = $2;
			$$->addr_of = true;
		}
	| '&' target_head tcomps %prec LOWEST
		{
			$$ = apply_chain(ctx, $2, &$3);
			$$->addr_of = true;
		}
	| '&' value %prec LOWEST
		{
			TcList none = {0};
			$$ = mk_autocast(ctx, $2, &none, @1);
			$$->addr_of = true;
		}
	| '&' value tcomps %prec LOWEST
		{
			$$ = mk_autocast(ctx, $2, &$3, @1);
			$$->addr_of = true;
		}
	;

tcomps
	: ARROW member			{ $$ = (TcList){0}; tc_member(ctx, &$$, &$2); }
	| '[' expr ']'
		{
			$$ = (TcList){0};
			tc_add(ctx, &$$, (TargetComp){ .kind = TC_INDEX, .index = $2, .loc = @1 });
		}
	| DOLLARS			{ $$ = (TcList){0}; tc_pretty(ctx, &$$, &$1); }
	| tcomps ARROW member		{ $$ = $1; tc_member(ctx, &$$, &$3); }
	| tcomps '[' expr ']'
		{
			$$ = $1;
			tc_add(ctx, &$$, (TargetComp){ .kind = TC_INDEX, .index = $3, .loc = @2 });
		}
	| tcomps DOLLARS		{ $$ = $1; tc_pretty(ctx, &$$, &$2); }
	;

/* a member name may be a keyword (->next, ->string) and end in $ or $$ */
member
	: IDENT				{ $$ = $1; }
	| DOLLARS			{ $$ = $1; }
	| anykw				{ $$ = $1; }
	;

anykw
	: PROBE | GLOBAL | PRIVATE | FUNCTION | IF | ELSE | FOR | FOREACH | IN
	| LIMIT | RETURN | RETURN0 | DELETE | WHILE | BREAK | CONTINUE | NEXT
	| STRING_KW | LONG_KW | TRY | CATCH
	;

/* target_head: $var | @cast(expr, "type" [, "module"]) | @var("n" [, "m"]) */
target_head
	: TARGET			{ $$ = mk_target(ctx, &$1); }
	| AT_CAST '(' expr ',' strlit ')'
		{
			$$ = mk(ctx, AST_CAST, @1);
			$$->lhs = $3;
			$$->str = $5->str;
			if (!$5->slen)
				perr(ctx, &@5, "expected non-empty string");
		}
	| AT_CAST '(' expr ',' strlit ',' strlit ')'
		{
			$$ = mk(ctx, AST_CAST, @1);
			$$->lhs = $3;
			$$->str = $5->str;
			$$->str2 = $7->str;
			if (!$5->slen)
				perr(ctx, &@5, "expected non-empty string");
		}
	| AT_VAR '(' strlit ')'
		{
			$$ = mk(ctx, AST_ATVAR, @1);
			$$->str = $3->str;
		}
	| AT_VAR '(' strlit ',' strlit ')'
		{
			$$ = mk(ctx, AST_ATVAR, @1);
			$$->str = $3->str;
			$$->str2 = $5->str;
		}
	;

/* value: literal | ( expr ) | %{ %} | name | name(args) | name[keys]
 *      | @hist_*(..)[bucket] | @stat(x) | @defined(x) | @entry(x) ... */
value
	: NUMBER			{ $$ = ast_num(ctx->a, $1.num, @1); }
	| strlit			{ $$ = $1; }
	| EMBEDDED
		{
			$$ = mk(ctx, AST_EMBEDDED_EXPR, @1);
			$$->code = $1.text;
		}
	| '(' expr ')'			{ $$ = $2; }
	| IDENT %prec LOWEST		{ $$ = mk_var(ctx, &$1); }
	| IDENT '(' ')'
		{
			$$ = mk(ctx, AST_CALL, @1);
			$$->name = $1.text;
		}
	| IDENT '(' args ')'
		{
			$$ = mk(ctx, AST_CALL, @1);
			$$->name = $1.text;
			$$->args = $3;
		}
	| IDENT '[' idx_keys ']'
		{
			$$ = mk(ctx, AST_INDEX, @1);
			$$->lhs = mk_var(ctx, &$1);
			$$->args = $3;
		}
	/* a bare histogram is only an argument of print() and friends:
	 * checked by check_tree() once the body is complete */
	| hist_op %prec LOWEST		{ $$ = $1; }
	| hist_op '[' expr ']'
		{
			$$ = mk(ctx, AST_INDEX, @1);
			$$->lhs = $1;
			nodelist_add(ctx->a, &$$->args, $3);
		}
	| AT_STAT '(' expr ')'		{ $$ = mk_stat(ctx, &$1, $3, @1); }
	| AT_STAT '(' expr ',' number_lit ')'
		{
			$$ = mk_stat(ctx, &$1, $3, @1);
			if ($1.num != STAT_VARIANCE)
				perr(ctx, &@4, "only @variance takes a second argument");
			nodelist_add(ctx->a, &$$->args, ast_num(ctx->a, $5, @5));
		}
	| AT_DEFINED '(' expr ')'
		{
			$$ = mk(ctx, AST_DEFINED, @1);
			$$->lhs = $3;
		}
	| AT_ENTRY '(' expr ')'
		{
			$$ = mk(ctx, AST_ENTRY, @1);
			$$->lhs = $3;
		}
	| AT_PROBEWRITE '(' IDENT ')'
		{
			$$ = mk(ctx, AST_PROBEWRITE, @1);
			$$->lhs = mk_var(ctx, &$3);
		}
	| AT_CONST '(' strlit ')'
		{
			$$ = mk(ctx, AST_CONST, @1);
			$$->str = $3->str;
			if (!$3->slen)
				perr(ctx, &@3, "expected non-empty string");
		}
	| AT_PERF '(' strlit ')'
		{
			$$ = mk(ctx, AST_PERF, @1);
			$$->str = $3->str;
			if (!$3->slen)
				perr(ctx, &@3, "expected non-empty string");
		}
	| AT_WORD %prec LOWEST
		{
			unknown_atword(ctx, &$1);
			$$ = mk(ctx, AST_NUM, @1);
		}
	| AT_WORD '(' ')'
		{
			unknown_atword(ctx, &$1);
			$$ = mk(ctx, AST_NUM, @1);
		}
	| AT_WORD '(' args ')'
		{
			unknown_atword(ctx, &$1);
			$$ = mk(ctx, AST_NUM, @1);
		}
	;

args
	: expr				{ $$ = (NodeList){0}; nodelist_add(ctx->a, &$$, $1); }
	| args ',' expr			{ $$ = $1; nodelist_add(ctx->a, &$$, $3); }
	;

idx_keys
	: idx_key			{ $$ = (NodeList){0}; nodelist_add(ctx->a, &$$, $1); }
	| idx_keys ',' idx_key		{ $$ = $1; nodelist_add(ctx->a, &$$, $3); }
	;

idx_key
	: '*'				{ $$ = mk(ctx, AST_STAR, @1); }
	| expr				{ $$ = $1; }
	;

/* hist_op: @hist_linear(x, lo, hi, step) | @hist_log(x) */
hist_op
	: AT_HIST_LINEAR '(' expr ',' number_lit ',' number_lit ',' number_lit ')'
		{
			$$ = mk_stat(ctx, &$1, $3, @1);
			nodelist_add(ctx->a, &$$->args, ast_num(ctx->a, $5, @5));
			nodelist_add(ctx->a, &$$->args, ast_num(ctx->a, $7, @7));
			nodelist_add(ctx->a, &$$->args, ast_num(ctx->a, $9, @9));
		}
	| AT_HIST_LOG '(' expr ')'	{ $$ = mk_stat(ctx, &$1, $3, @1); }
	;

/* indexable: IDENT | hist_op */
indexable
	: IDENT				{ $$ = mk_var(ctx, &$1); }
	| hist_op			{ $$ = $1; }
	;

%%

/* ============================================================ tokens */

/* The preprocessor's shaped stream (preprocess.c, layer 3) is the grammar's
 * token stream. */
static int stplex(STPSTYPE *lval, SrcLoc *lloc, ParseCtx *ctx)
{
	Token t;
	pp_shaped_next(ctx->pp, &t);
	lval->tok = (STok){ .text = t.text, .len = t.len, .num = t.num, .loc = t.loc };
	*lloc = t.loc;
	return t.kind;
}

/* ================================================================= errors */

static void perr(ParseCtx *ctx, const SrcLoc *loc, const char *fmt, ...)
{
	(void)ctx;
	va_list ap;
	va_start(ap, fmt);
	diag_vat(DIAG_ERROR, "parse error", loc, fmt, ap);
	va_end(ap);
}

/* bison's own messages: only "memory exhausted" (its stack, YYMAXDEPTH)
 * reaches here, from input nested too deeply */
static void stperror(SrcLoc *loc, ParseCtx *ctx, const char *msg)
{
	if (strcmp(msg, "memory exhausted") == 0)
		perr(ctx, loc, "expression or statement nesting too deep (the parser's stack is full)");
	else
		perr(ctx, loc, "%s", msg);
}

/* Tokens that would continue an expression: after a complete expression
 * they are always possible, so naming them would only hide the one or two
 * tokens that matter ("expected ')'"). */
static bool continues_expr(yysymbol_kind_t k)
{
	static const char *const ops[] = {
		"'+'", "'-'", "'*'", "'/'", "'%'", "'.'", "'<'", "'>'", "'&'", "'|'",
		"'^'", "'?'", "'='", "'['", "'('", "'$'", "'in'",
	};
	switch (k) {
	case YYSYMBOL_AGG: case YYSYMBOL_MATCH: case YYSYMBOL_NOMATCH:
	case YYSYMBOL_CONCAT_ASSIGN: case YYSYMBOL_INC: case YYSYMBOL_DEC:
	case YYSYMBOL_ARROW: case YYSYMBOL_ADD_ASSIGN: case YYSYMBOL_SUB_ASSIGN:
	case YYSYMBOL_MUL_ASSIGN: case YYSYMBOL_DIV_ASSIGN: case YYSYMBOL_MOD_ASSIGN:
	case YYSYMBOL_SHL_ASSIGN: case YYSYMBOL_SHR_ASSIGN: case YYSYMBOL_AND_ASSIGN:
	case YYSYMBOL_OR_ASSIGN: case YYSYMBOL_XOR_ASSIGN: case YYSYMBOL_EQ:
	case YYSYMBOL_NE: case YYSYMBOL_LE: case YYSYMBOL_GE: case YYSYMBOL_SHL:
	case YYSYMBOL_SHR: case YYSYMBOL_ANDAND: case YYSYMBOL_OROR:
	case YYSYMBOL_DOLLARS: case YYSYMBOL_IN:
		return true;
	default:
		break;
	}
	const char *name = yysymbol_name(k);
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (strcmp(name, ops[i]) == 0)
			return true;
	return false;
}

/* Is symbol `name` ("'{'", "identifier") among the expected ones? */
static bool expects(const yysymbol_kind_t *exp, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(yysymbol_name(exp[i]), name) == 0)
			return true;
	return false;
}

static bool has_sym(const yysymbol_kind_t *exp, int n, yysymbol_kind_t k)
{
	for (int i = 0; i < n; i++)
		if (exp[i] == k)
			return true;
	return false;
}

/* Drop `name` from the list. */
static void drop(yysymbol_kind_t *exp, int *n, const char *name)
{
	int k = 0;
	for (int i = 0; i < *n; i++)
		if (strcmp(yysymbol_name(exp[i]), name) != 0)
			exp[k++] = exp[i];
	*n = k;
}

static bool is_keyword_sym(yysymbol_kind_t k)
{
	switch (k) {
	case YYSYMBOL_PROBE: case YYSYMBOL_GLOBAL: case YYSYMBOL_PRIVATE:
	case YYSYMBOL_FUNCTION: case YYSYMBOL_IF: case YYSYMBOL_ELSE: case YYSYMBOL_FOR:
	case YYSYMBOL_FOREACH: case YYSYMBOL_IN: case YYSYMBOL_LIMIT: case YYSYMBOL_RETURN:
	case YYSYMBOL_RETURN0: case YYSYMBOL_DELETE: case YYSYMBOL_WHILE: case YYSYMBOL_BREAK:
	case YYSYMBOL_CONTINUE: case YYSYMBOL_NEXT: case YYSYMBOL_STRING_KW:
	case YYSYMBOL_LONG_KW: case YYSYMBOL_TRY: case YYSYMBOL_CATCH:
		return true;
	default:
		return false;
	}
}

/* The token's own spelling, when it is short and on one line. */
static bool spelling(const SrcLoc *loc, const char **text, int *len)
{
	const Source *s = src_get(loc->file);
	if (!s || loc->len == 0 || loc->len > 24 || loc->off + loc->len > s->len)
		return false;
	for (uint32_t i = 0; i < loc->len; i++) {
		unsigned char c = (unsigned char)s->text[loc->off + i];
		if (c < 0x20 || c >= 0x7f)
			return false;
	}
	*text = s->text + loc->off;
	*len = (int)loc->len;
	return true;
}

/* " before 'x'", " before string literal", " at end of input" */
static void where(char *buf, size_t size, yysymbol_kind_t la, const SrcLoc *loc)
{
	const char *text;
	int len;
	if (la == YYSYMBOL_YYEOF)
		snprintf(buf, size, " at end of input");
	else if (la == YYSYMBOL_STRING || la == YYSYMBOL_EMBEDDED)
		snprintf(buf, size, " before %s", yysymbol_name(la));
	else if (spelling(loc, &text, &len))
		snprintf(buf, size, " before '%.*s'", len, text);
	else
		snprintf(buf, size, " before %s", yysymbol_name(la));
}

/* Syntax errors say what was expected in the user's words, and before
 * what: "expected ';' or '}' before 'probe'", "expected expression before
 * ')'", "expected probe point component after '.'".  The expected tokens
 * come from LAC, so they are exact; the wording picks the ones that
 * matter. */
static int yyreport_syntax_error(const yypcontext_t *pc, ParseCtx *ctx)
{
	yysymbol_kind_t exp[YYNTOKENS];
	int n = yypcontext_expected_tokens(pc, exp, YYNTOKENS);
	if (n < 0)
		n = 0;
	yysymbol_kind_t la = yypcontext_token(pc);
	const SrcLoc *loc = yypcontext_location(pc);
	const Token *ptok = pp_history(ctx->pp, 1), *ptok2 = pp_history(ctx->pp, 2);
	int prev = ptok ? ptok->kind : 0;
	char at[64];
	where(at, sizeof at, la, loc);
	const SrcLoc *open = pp_unclosed_brace(ctx->pp);
	bool ident = has_sym(exp, n, YYSYMBOL_IDENT);
	bool number = has_sym(exp, n, YYSYMBOL_NUMBER);
	bool stmt = has_sym(exp, n, YYSYMBOL_IF);
	/* after a complete expression: binary operators may follow */
	bool complete = expects(exp, n, "'*'") || has_sym(exp, n, YYSYMBOL_ANDAND);
	const char *text;
	int len;

	if (pp_quiet_error(ctx->pp))
		return 0;
	/* After an error in the middle of a line, parsing resumes at the next
	 * token that can start a statement, often on the same line; what goes
	 * wrong there next ("unexpected ')'") only echoes the first error.  An
	 * error at the start of a line is about the line before (a missing
	 * ')'), so the line it is on still gets its own, and so does the next
	 * declaration (-e 'probe a { x = } probe b { y = ( }'). */
	if (loc->line == ctx->quiet_line.line && loc->file == ctx->quiet_line.file &&
	    pp_declarations(ctx->pp) == ctx->quiet_decls)
		return 0;
	ctx->quiet_line.file = -1;
	if (ptok && ptok->loc.file == loc->file && ptok->loc.line == loc->line) {
		ctx->quiet_line = *loc;
		ctx->quiet_decls = pp_declarations(ctx->pp);
	}
	if (la == YYSYMBOL_YYEOF && open && expects(exp, n, "'}'")) {
		perr(ctx, loc, "expected '}' at end of input");
		diag_note(open, "'{' opened here");
		return 0;
	}
	/* a declaration keyword inside a body: the body was not closed */
	if ((la == YYSYMBOL_PROBE || la == YYSYMBOL_FUNCTION || la == YYSYMBOL_GLOBAL) &&
	    open && expects(exp, n, "'}'")) {
		perr(ctx, loc, "expected '}'%s", at);
		diag_note(open, "'{' opened here");
		return 0;
	}
	if (prev == ELSE && stmt) {
		perr(ctx, loc, "expected statement after 'else'%s", la == YYSYMBOL_YYEOF ? at : "");
		return 0;
	}
	if (la == YYSYMBOL_DOLLARS && !has_sym(exp, n, la)) {
		perr(ctx, loc, "expected target variable name after '$'");
		return 0;
	}
	if (prev == PRIVATE && has_sym(exp, n, YYSYMBOL_PROBE)) {
		perr(ctx, loc, "expected 'probe', 'function', 'global' or a variable name after 'private'%s",
		     la == YYSYMBOL_YYEOF ? at : "");
		return 0;
	}
	if (la == YYSYMBOL_CATCH && !has_sym(exp, n, la)) {
		perr(ctx, loc, "'catch' without a 'try' block before it");
		return 0;
	}
	if (la == YYSYMBOL_ELSE && !has_sym(exp, n, YYSYMBOL_ELSE)) {
		perr(ctx, loc, "'else' without a matching 'if'");
		return 0;
	}
	if (has_sym(exp, n, YYSYMBOL_ARROW) == false && ident && has_sym(exp, n, YYSYMBOL_PROBE) &&
	    has_sym(exp, n, YYSYMBOL_DOLLARS)) {
		perr(ctx, loc, "expected field name after '->'%s", at);
		return 0;
	}
	/* an empty group: the '{' was read as opening one (probe {a, b}) */
	if (prev == PP_LBRACE && !strcmp(yysymbol_name(la), "'}'")) {
		if (ptok2 && ptok2->kind == '.')
			perr(ctx, &ptok->loc, "expected probe point component after '.' before '{'");
		else
			perr(ctx, &ptok->loc, "expected probe point before '{'");
		return 0;
	}
	if (has_sym(exp, n, YYSYMBOL_COMPNAME)) {
		if (prev == '.' && !strcmp(yysymbol_name(la), "'.'"))
			perr(ctx, loc, "empty probe point component ('..')");
		else if (prev == '.')
			perr(ctx, loc, "expected probe point component after '.'%s",
			     la == YYSYMBOL_YYEOF ? at : "");
		else
			perr(ctx, loc, "expected probe point%s", at);
		return 0;
	}
	if (!strcmp(yysymbol_name(la), "','") && has_sym(exp, n, YYSYMBOL_IN) &&
	    expects(exp, n, "'='") && !expects(exp, n, "','") && !expects(exp, n, "'*'")) {
		perr(ctx, loc, "expected 'in' before ','; several keys go in brackets: [k1, k2]");
		return 0;
	}
	if ((la == YYSYMBOL_PROBE || la == YYSYMBOL_GLOBAL || la == YYSYMBOL_FUNCTION) &&
	    !ident && !stmt && !has_sym(exp, n, la) && expects(exp, n, "'{'") &&
	    !expects(exp, n, "'}'")) {
		perr(ctx, loc, "expected '{'%s", at);
		return 0;
	}
	/* '?' and '!' end a probe point */
	if (!has_sym(exp, n, la) && (prev == '?' || prev == '!') &&
	    (la == YYSYMBOL_YYEOF || expects(exp, n, "','"))) {
		const char *s = yysymbol_name(la);
		if (!strcmp(s, "'.'") || !strcmp(s, "'('")) {
			perr(ctx, loc, "'?' and '!' go at the end of a probe point, after its last component");
			return 0;
		}
		if (!strcmp(s, "'?'") || !strcmp(s, "'!'")) {
			perr(ctx, loc, "only one '?' or '!' may end a probe point");
			return 0;
		}
	}
	if (has_sym(exp, n, YYSYMBOL_PROBE) && has_sym(exp, n, YYSYMBOL_FUNCTION) &&
	    has_sym(exp, n, YYSYMBOL_GLOBAL)) {
		if (expects(exp, n, "','")) {
			/* after a global variable */
			perr(ctx, loc, "expected ',' or ';'%s", at);
			return 0;
		} else if (la == YYSYMBOL_YYEOF || strcmp(yysymbol_name(la), "'}'") != 0) {
			perr(ctx, loc, "expected 'probe', 'function', 'global' or '%%{'%s", at);
			return 0;
		} else {
			perr(ctx, loc, "unexpected '}' outside any probe or function");
			return 0;
		}
	}
	/* a name is expected and a reserved word was written (not one that
	 * rather shows something missing before it: "foreach (in a)", or a
	 * statement keyword starting a line after an incomplete one) */
	bool first_on_line = !ptok || ptok->loc.line != loc->line || ptok->loc.file != loc->file;
	bool name_like = la == YYSYMBOL_STRING_KW || la == YYSYMBOL_LONG_KW || la == YYSYMBOL_LIMIT ||
		la == YYSYMBOL_NEXT || la == YYSYMBOL_PROBE || la == YYSYMBOL_GLOBAL ||
		la == YYSYMBOL_PRIVATE || la == YYSYMBOL_FUNCTION;
	if (ident && is_keyword_sym(la) && !has_sym(exp, n, la) && la != YYSYMBOL_IN &&
	    la != YYSYMBOL_CATCH && (name_like || !first_on_line) && spelling(loc, &text, &len)) {
		const char *what = prev == FUNCTION ? "function name"
			: prev == GLOBAL || prev == PRIVATE ? "variable name"
			: number ? "expression" : "identifier";
		if (stmt && number)
			what = "statement";
		perr(ctx, loc, "expected %s; '%.*s' is a reserved word", what, len, text);
		return 0;
	}

	yysymbol_kind_t keep[YYNTOKENS];
	int nkeep = 0;
	for (int i = 0; i < n; i++)
		if (!complete || !continues_expr(exp[i]))
			keep[nkeep++] = exp[i];
	/* a probe header after a complete probe point: the body or the next
	 * point; the optional marks and conditions are noise here */
	if (expects(keep, nkeep, "'!'") && expects(keep, nkeep, "','") && !ident) {
		drop(keep, &nkeep, "'?'");
		drop(keep, &nkeep, "'!'");
		drop(keep, &nkeep, "'if'");
		drop(keep, &nkeep, "'('");
		drop(keep, &nkeep, "'='");
		drop(keep, &nkeep, "'+='");
	}
	/* a literal: "-" NUMBER is a number too */
	if (number && !ident)
		drop(keep, &nkeep, "'-'");
	char msg[512];
	msg[0] = '\0';
	if (ident && number && stmt) {
		if (complete)
			; /* a statement ended: the token is simply out of place */
		else
			snprintf(msg, sizeof msg, "expected statement%s", at);
	} else if (ident && number) {
		snprintf(msg, sizeof msg, "expected expression%s", at);
	} else if (ident && !number && nkeep == 2 && expects(keep, nkeep, "')'") && prev == '(') {
		snprintf(msg, sizeof msg, "expected parameter name or ')'%s", at);
	} else if (ident && nkeep <= 2) {
		const char *what = prev == FUNCTION ? "function name"
			: prev == GLOBAL || prev == PRIVATE ? "variable name" : NULL;
		if (what && nkeep == 1)
			snprintf(msg, sizeof msg, "expected %s%s", what, at);
	}
	if (!msg[0] && !(ident && number && stmt) && nkeep > 0 && nkeep <= 6) {
		size_t l = (size_t)snprintf(msg, sizeof msg, "expected ");
		for (int i = 0; i < nkeep && l < sizeof msg; i++) {
			const char *sep = i == 0 ? "" : i == nkeep - 1 ? " or " : ", ";
			l += (size_t)snprintf(msg + l, sizeof msg - l, "%s%s", sep,
					      yysymbol_name(keep[i]));
		}
		if (l < sizeof msg)
			snprintf(msg + l, sizeof msg - l, "%s", at);
	}
	if (!msg[0]) {
		if (la == YYSYMBOL_YYEOF)
			snprintf(msg, sizeof msg, "unexpected end of input");
		else if (spelling(loc, &text, &len))
			snprintf(msg, sizeof msg, "unexpected '%.*s'", len, text);
		else
			snprintf(msg, sizeof msg, "unexpected %s", yysymbol_name(la));
	}
	perr(ctx, loc, "%s", msg);
	return 0;
}

/* @nosuch: an operator or a macro that does not exist; a near miss of one
 * that does is named. */
static void unknown_atword(ParseCtx *ctx, const STok *t)
{
	const char *near = pp_similar_atword(ctx->pp, t->text + 1);
	if (near)
		perr(ctx, &t->loc, "unknown operator or undefined macro '%s'; did you mean '@%s'?",
		     t->text, near);
	else
		perr(ctx, &t->loc, "unknown operator or undefined macro '%s'", t->text);
}

/* ================================================================ helpers */

static Node *mk(ParseCtx *ctx, AstKind k, SrcLoc loc)
{
	return ast_new(ctx->a, k, loc);
}

static Node *mk_var(ParseCtx *ctx, const STok *t)
{
	return ast_var(ctx->a, t->text, t->loc);
}

static Node *mk_str(ParseCtx *ctx, const STok *t)
{
	return ast_str(ctx->a, t->text ? t->text : "", t->len, t->loc);
}

/* Count and strip trailing '$' (pretty printing): "$foo$$" -> "foo", 2. */
static int strip_pretty(ParseCtx *ctx, const char *text, const char **base, const SrcLoc *loc)
{
	size_t len = strlen(text), end = len;
	while (end > 0 && text[end - 1] == '$')
		end--;
	int pretty = (int)(len - end);
	if (pretty > 2) {
		perr(ctx, loc, "invalid pretty-printing suffix (expected '$' or '$$')");
		pretty = 2;
	}
	*base = arena_strndup(ctx->a, text, end);
	return pretty;
}

/* $name, $name$, $$vars, $$parms$$ ... */
static Node *mk_target(ParseCtx *ctx, const STok *t)
{
	Node *n = mk(ctx, AST_TARGET, t->loc);
	const char *base;
	n->pretty = strip_pretty(ctx, t->text + 1, &base, &t->loc);
	n->name = base;
	if (!base[0] || (base[0] == '$' && !base[1]))
		perr(ctx, &t->loc, "expected target variable name after '$'");
	return n;
}

static void tc_add(ParseCtx *ctx, TcList *tc, TargetComp c)
{
	if (tc->pretty) {
		perr(ctx, &c.loc, "-> and [ are not accepted for a pretty-printing variable");
		return;
	}
	tc->v = arena_grow(ctx->a, tc->v, &tc->cap, tc->n + 1, sizeof *tc->v);
	tc->v[tc->n++] = c;
}

static void tc_pretty(ParseCtx *ctx, TcList *tc, const STok *t)
{
	if (tc->pretty) {
		perr(ctx, &t->loc, "-> and [ are not accepted for a pretty-printing variable");
		return;
	}
	const char *base;
	tc->pretty = strip_pretty(ctx, t->text, &base, &t->loc);
	tc->pretty_loc = t->loc;
}

/* ->member, ->member$, ->$ */
static void tc_member(ParseCtx *ctx, TcList *tc, const STok *t)
{
	const char *base;
	int pretty = strip_pretty(ctx, t->text, &base, &t->loc);
	if (base[0])
		tc_add(ctx, tc, (TargetComp){ .kind = TC_FIELD, .name = base, .loc = t->loc });
	if (pretty) {
		if (tc->pretty)
			perr(ctx, &t->loc, "-> and [ are not accepted for a pretty-printing variable");
		tc->pretty = pretty;
		tc->pretty_loc = t->loc;
	}
}

static Node *apply_chain(ParseCtx *ctx, Node *n, TcList *tc)
{
	if (n->pretty && (tc->n > 0 || tc->pretty)) {
		perr(ctx, tc->n ? &tc->v[0].loc : &tc->pretty_loc,
		     "-> and [ are not accepted for a pretty-printing variable");
		return n;
	}
	n->comps = tc->v;
	n->ncomps = tc->n;
	if (tc->pretty)
		n->pretty = tc->pretty;
	return n;
}

/* expr->member on a value that is not a target symbol: stap's autocast. */
static Node *mk_autocast(ParseCtx *ctx, Node *operand, TcList *tc, SrcLoc loc)
{
	Node *n = mk(ctx, AST_CAST, loc);
	n->lhs = operand;
	return apply_chain(ctx, n, tc);
}

static Node *mk_stat(ParseCtx *ctx, const STok *op, Node *operand, SrcLoc loc)
{
	Node *n = mk(ctx, AST_STAT, loc);
	n->stat = (StatOp)op->num;
	n->lhs = operand;
	return n;
}

/* ---------------------------------------------------------- probe points */

static PPList pp_one(ParseCtx *ctx, const STok *name, Node *arg)
{
	ProbePoint *pp = arena_alloc(ctx->a, sizeof *pp);
	pp->comps = arena_alloc(ctx->a, sizeof *pp->comps);
	pp->comps[0] = (PPComp){ .name = name->text, .arg = arg, .loc = name->loc };
	pp->ncomps = 1;
	pp->loc = name->loc;
	return (PPList){ pp, pp, 1 };
}

static PPList pp_append(PPList a, PPList b)
{
	if (!a.head)
		return b;
	if (!b.head)
		return a;
	a.tail->next = b.head;
	a.tail = b.tail;
	a.n += b.n;
	return a;
}

/* prefix.{x,y} is prefix.x, prefix.y: every prefix times every suffix. */
static PPList pp_product(ParseCtx *ctx, PPList a, PPList b)
{
	PPList out = {0};
	for (ProbePoint *pa = a.head; pa; pa = pa->next) {
		if (pa->optional || pa->cond)
			perr(ctx, &pa->loc, "'?', '!' or condition must only be specified in suffix");
		for (ProbePoint *pb = b.head; pb; pb = pb->next) {
			ProbePoint *pp = arena_alloc(ctx->a, sizeof *pp);
			pp->ncomps = pa->ncomps + pb->ncomps;
			pp->comps = arena_alloc(ctx->a, (size_t)pp->ncomps * sizeof *pp->comps);
			memcpy(pp->comps, pa->comps, (size_t)pa->ncomps * sizeof *pp->comps);
			memcpy(pp->comps + pa->ncomps, pb->comps, (size_t)pb->ncomps * sizeof *pp->comps);
			pp->optional = pb->optional;
			pp->sufficient = pb->sufficient;
			pp->cond = pb->cond;
			pp->loc = pa->loc;
			out = pp_append(out, (PPList){ pp, pp, 1 });
		}
	}
	return out;
}

static PPList pp_finish(ParseCtx *ctx, PPList l, int opt, Node *cond, SrcLoc optloc)
{
	for (ProbePoint *pp = l.head; pp; pp = pp->next) {
		if (opt) {
			if (pp->optional)
				perr(ctx, &optloc, "'?' or '!' respecified");
			pp->optional = true;
			pp->sufficient = opt == 2;
		}
		if (cond) {
			if (pp->cond)
				perr(ctx, &cond->loc, "condition respecified");
			pp->cond = cond;
		}
	}
	return l;
}

/* ---------------------------------------------------------- declarations */

static bool is_hist(const Node *n)
{
	return n && n->kind == AST_STAT &&
	       (n->stat == STAT_HIST_LINEAR || n->stat == STAT_HIST_LOG);
}

/* Trees deeper than this are refused: every pass walks the AST recursively,
 * and a left-associative chain (1+1+1+...) grows the tree without growing
 * bison's stack. */
#define MAX_NESTING 1000

/* A walk over a finished body: nesting depth, and @hist_log(x) alone, which
 * is no value: it may only be indexed (a bucket), iterated (foreach, in) or
 * printed whole (print(@hist_log(x)), stap's special form of print,
 * println, sprint and sprintln).  Returns false once the depth limit is hit
 * (reported once). */
static bool check_tree(ParseCtx *ctx, const Node *n, bool hist_ok, int depth)
{
	if (!n)
		return true;
	if (depth > MAX_NESTING) {
		perr(ctx, &n->loc, "expression or statement nesting too deep (limit %d)", MAX_NESTING);
		return false;
	}
	if (is_hist(n) && !hist_ok)
		perr(ctx, &n->loc, "base histogram operator where expression expected");
	bool array_lhs = n->kind == AST_INDEX || n->kind == AST_IN || n->kind == AST_FOREACH;
	bool printer = n->kind == AST_CALL && n->args.n == 1 &&
		(!strcmp(n->name, "print") || !strcmp(n->name, "println") ||
		 !strcmp(n->name, "sprint") || !strcmp(n->name, "sprintln"));
	if (!check_tree(ctx, n->lhs, array_lhs, depth + 1))
		return false;
	const Node *kids[] = { n->rhs, n->cond, n->init, n->step, n->then, n->els,
			       n->value, n->limit };
	for (size_t i = 0; i < sizeof kids / sizeof kids[0]; i++)
		if (!check_tree(ctx, kids[i], false, depth + 1))
			return false;
	for (int i = 0; i < n->args.n; i++)
		if (!check_tree(ctx, n->args.v[i], printer, depth + 1))
			return false;
	for (int i = 0; i < n->body.n; i++)
		if (!check_tree(ctx, n->body.v[i], false, depth + 1))
			return false;
	for (int i = 0; i < n->ncomps; i++)
		if (!check_tree(ctx, n->comps[i].index, false, depth + 1))
			return false;
	return true;
}

static void add_probe(ParseCtx *ctx, Probe *p)
{
	check_tree(ctx, p->body, false, 0);
	check_tree(ctx, p->body2, false, 0);
	for (ProbePoint *pp = p->points; pp; pp = pp->next)
		check_tree(ctx, pp->cond, false, 0);
	*ctx->probe_tail = p;
	ctx->probe_tail = &p->next;
}

static void add_globals(ParseCtx *ctx, Global *g, bool priv)
{
	while (g) {
		Global *next = g->next;
		g->next = NULL;
		g->is_private = priv;
		bool dup = false;
		for (Global *o = ctx->script->globals; o; o = o->next)
			if (strcmp(o->name, g->name) == 0) {
				perr(ctx, &g->loc, o->is_private == priv ? "duplicate global name"
					: "global versus private variable declaration conflict");
				dup = true;
				break;
			}
		if (!dup) {
			*ctx->glob_tail = g;
			ctx->glob_tail = &g->next;
		}
		g = next;
	}
}

static void add_function(ParseCtx *ctx, Function *f, bool priv)
{
	check_tree(ctx, f->body, false, 0);
	f->is_private = priv;
	*ctx->func_tail = f;
	ctx->func_tail = &f->next;
}

static Global *mk_global(ParseCtx *ctx, const STok *name, bool wrap, int64_t size,
			 bool is_array, Node *init)
{
	Global *g = arena_alloc(ctx->a, sizeof *g);
	g->name = name->text;
	g->loc = name->loc;
	g->wrap = wrap;
	g->size = size;
	g->is_array = is_array;
	g->init = init;
	return g;
}

static void param_add(ParseCtx *ctx, ParamList *l, const STok *name, TypeKind ty)
{
	for (int i = 0; i < l->n; i++)
		if (strcmp(l->v[i].name, name->text) == 0)
			perr(ctx, &name->loc, "duplicate parameter names");
	l->v = arena_grow(ctx->a, l->v, &l->cap, l->n + 1, sizeof *l->v);
	l->v[l->n++] = (Param){ .name = name->text, .type = ty, .loc = name->loc };
}

static void fe_key_add(ParseCtx *ctx, FeVars *v, const FeKey *k, SrcLoc loc)
{
	nodelist_add(ctx->a, &v->keys, k->var);
	if (k->dir) {
		if (v->sort_dir) {
			perr(ctx, &loc, "multiple sort directives");
			return;
		}
		v->sort_col = v->keys.n;
		v->sort_dir = k->dir;
	}
}

static Node *mk_foreach(ParseCtx *ctx, SrcLoc loc, FeVars *v, Node *base, int stat,
			int dir, SrcLoc dir_loc, Node *limit, Node *body)
{
	Node *n = mk(ctx, AST_FOREACH, loc);
	n->args = v->keys;
	n->value = v->value;
	n->lhs = base;
	n->sort_col = v->sort_col;
	n->sort_dir = v->sort_dir;
	if (stat >= 0) {
		n->sort_by_stat = true;
		n->stat = (StatOp)stat;
	}
	if (dir) {
		if (v->sort_dir)
			perr(ctx, &dir_loc, "multiple sort directives");
		n->sort_col = -1;
		n->sort_dir = dir;
	}
	n->limit = limit;
	n->then = body;
	return n;
}

/* ============================================================= entry point */

Script *parse_source(Arena *a, Source *src, const ParseEnv *env)
{
	static const ParseEnv no_env;
	if (!env)
		env = &no_env;
	ParseCtx ctx = { .a = a, .src = src, .env = env, .quiet_line = { .file = -1 } };
	ctx.script = arena_alloc(a, sizeof *ctx.script);
	ctx.script->src = src;
	ctx.probe_tail = &ctx.script->probes;
	ctx.func_tail = &ctx.script->functions;
	ctx.glob_tail = &ctx.script->globals;
	ctx.emb_tail = &ctx.script->embeds;
	/* A NUL byte is in no script: this is a binary file given by
	 * mistake, and one message says so better than hundreds. */
	const char *nul = memchr(src->text, '\0', src->len);
	if (nul) {
		SrcLoc at = { .file = src->id, .line = 1, .col = 1,
			      .off = (uint32_t)(nul - src->text), .len = 1 };
		for (const char *p = src->text; p < nul; p++) {
			at.col++;
			if (*p == '\n') {
				at.line++;
				at.col = 1;
			}
		}
		perr(&ctx, &at, "NUL byte in the input: is '%s' a binary file?", src->name);
		return ctx.script;
	}
	ctx.pp = pp_new(a, src, env);
	int rc = stpparse(&ctx);
	if (rc == 0 && !src->is_tapset && !pp_saw_tokens(ctx.pp))
		perr(&ctx, NULL, "input file '%s' is empty (nothing but white space and comments)",
		     src->name);
	pp_free(ctx.pp);   /* frees the scanner on every path */
	return rc == 2 ? NULL : ctx.script;
}
