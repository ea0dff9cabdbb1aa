/* parse.h - the front end's data model: arenas, sources, diagnostics, AST.
 *
 * Read top to bottom it follows the front end: memory (arena.c), the source
 * manager and diagnostics (source.c, diag.c), the AST (ast.c), the parser
 * entry points (lexer.l, grammar.y, preprocess.c) and the -p1 printer
 * (ast_print.c).  Every later pass includes this header; the runtime never
 * does (it talks to the compiler only through include/bstap/bpf_abi.h).
 */
#ifndef BSTAP_PARSE_H
#define BSTAP_PARSE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct Arena Arena;
typedef struct Source Source;
typedef struct SrcLoc SrcLoc;
typedef struct Diag Diag;
typedef struct Node Node;
typedef struct NodeList NodeList;
typedef struct ProbePoint ProbePoint;
typedef struct PPComp PPComp;
typedef struct TargetComp TargetComp;
typedef struct Probe Probe;
typedef struct Function Function;
typedef struct Param Param;
typedef struct Global Global;
typedef struct Embedded Embedded;
typedef struct Script Script;
typedef struct ParseEnv ParseEnv;
typedef struct MacroTable MacroTable;   /* addition: preprocess.c */

/* ---------------------------------------------------------------- arena.c */

/* A bump allocator: everything a compile builds lives until arena_free().
 * arena_alloc() returns zeroed memory and never returns NULL (it aborts with
 * a message on out-of-memory, the one failure no caller can recover from). */
Arena *arena_new(void);
void arena_free(Arena *a);
void *arena_alloc(Arena *a, size_t size);
char *arena_strdup(Arena *a, const char *s);
char *arena_strndup(Arena *a, const char *s, size_t n);
char *arena_printf(Arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Grow an arena array of `*cap` elements of `esz` bytes to hold `need`. */
void *arena_grow(Arena *a, void *v, int *cap, int need, size_t esz);

/* --------------------------------------------------------------- source.c */

/* Every text the compiler reads (script file, -e string, tapset file, macro
 * expansion) is registered once; locations refer to it by id, and the
 * diagnostics echo lines from the kept contents. */
struct Source {
	int id;
	const char *name;     /* "foo.stp", "<input>", "/usr/share/.../x.stp" */
	const char *text;     /* NUL-terminated contents */
	size_t len;
	bool is_tapset;       /* from the tapset search path, not the user */
	SrcLoc *expanded_at;  /* for macro expansions: where the macro was used */
};

/* A position: file id, 1-based line and column (in bytes), byte offset and
 * token length.  file < 0 means "no position" (built-in things). */
struct SrcLoc {
	int file;
	int line, col;
	uint32_t off, len;
};

void src_init(Arena *a);
Source *src_add(const char *name, const char *text, size_t len, bool is_tapset);
Source *src_read_file(const char *path, bool is_tapset); /* NULL + errno */
Source *src_get(int id);
/* Addition (front end): register one macro expansion.  The new Source
 * shares `def`'s name and text (no copy) and records the use site, so
 * tokens of the expansion point into the definition and diagnostics add
 * "in expansion of macro at ...". */
Source *src_add_expansion(const Source *def, const SrcLoc *use);
int src_count(void);
/* Length of the UTF-8 sequence that starts at s (avail bytes there), or 0
 * if it is not one (the lexer names such characters; diagnostics echo
 * them, showing anything else as '?'). */
size_t src_utf8_len(const char *s, size_t avail);

/* ----------------------------------------------------------------- diag.c */

/* One diagnostics module for every pass.  Messages have stap's shape:
 *   parse error: expected ';'
 *           at: foo.stp:3:14
 *        source: probe begin { x = 1 y }
 *                                    ^
 * Errors are counted; passes keep going within themselves and the driver
 * stops between passes when diag_errors() is non-zero. */
typedef enum { DIAG_ERROR, DIAG_WARNING, DIAG_NOTE } DiagLevel;

void diag_init(FILE *out);
/* kind is the prefix before ':' ("parse error", "semantic error"). */
void diag_at(DiagLevel lvl, const char *kind, const SrcLoc *loc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void diag_vat(DiagLevel lvl, const char *kind, const SrcLoc *loc, const char *fmt, va_list ap);
/* A note attached to the last diagnostic (no count). */
void diag_note(const SrcLoc *loc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int diag_errors(void);
int diag_warnings(void);
void diag_reset(void);
void diag_set_warnings(bool enabled, bool as_errors); /* -w, -W */
void diag_set_max_errors(int n);                       /* cap per run (0: none) */
/* Try something without a word: between these, diagnostics are neither
 * printed nor counted; diag_quiet_end() returns how many errors there
 * would have been (@defined asks whether an expression resolves). */
void diag_quiet_begin(void);
int diag_quiet_end(void);
/* Edit distance of two names (a swap of neighbours counts one), for "did
 * you mean" suggestions; 99 for names longer than 64 bytes. */
int diag_distance(const char *a, const char *b);
/* Print source line `loc` and a caret under it, to the diag stream. */
void diag_show_source(const SrcLoc *loc);

/* ------------------------------------------------------------------ ast.c */

struct NodeList {
	Node **v;
	int n, cap;
};

void nodelist_add(Arena *a, NodeList *l, Node *n);

/* Value types, filled by type inference (translate/types.c). */
typedef enum {
	TY_UNKNOWN,
	TY_LONG,
	TY_STRING,
	TY_STATS,   /* a statistics aggregate: target of <<< */
	TY_VOID,    /* a function that returns nothing */
} TypeKind;

const char *type_name(TypeKind t);

/* Statistic operators of @count(x) ... and histograms. */
typedef enum {
	STAT_COUNT, STAT_SUM, STAT_MIN, STAT_MAX, STAT_AVG, STAT_VARIANCE,
	STAT_HIST_LINEAR, STAT_HIST_LOG,
} StatOp;

/* Operators: the token value is the operator's spelling as an enum so that
 * switches are complete. */
typedef enum {
	OP_NONE,
	/* binary arithmetic and bitwise */
	OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD,
	OP_SHL, OP_SHR, OP_BAND, OP_BOR, OP_BXOR,
	OP_CONCAT,                  /* "." */
	/* comparison */
	OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE,
	/* unary */
	OP_NEG, OP_PLUS, OP_NOT, OP_BNOT,
	/* assignment ("=" and compound ones) and statistics */
	OP_ASSIGN, OP_ADD_ASSIGN, OP_SUB_ASSIGN, OP_MUL_ASSIGN, OP_DIV_ASSIGN,
	OP_MOD_ASSIGN, OP_SHL_ASSIGN, OP_SHR_ASSIGN, OP_AND_ASSIGN, OP_OR_ASSIGN,
	OP_XOR_ASSIGN, OP_CONCAT_ASSIGN,
	OP_AGG,                     /* "<<<" */
	/* increments */
	OP_INC, OP_DEC,
	/* regex match */
	OP_MATCH, OP_NOMATCH,       /* "=~" "!~" */
} OpKind;

const char *op_spelling(OpKind op);

/* Node kinds.  The comment says the syntax and which fields are valid. */
typedef enum {
	/* ---- expressions */
	AST_NUM,        /* 42, 0x2a, 052: num */
	AST_STR,        /* "text": str (escapes decoded), slen */
	AST_VAR,        /* name: name; sym set by sema */
	AST_TARGET,     /* $name..., $$vars, &$x->a[1], $x$$: name (without '$',
	                 * "$vars" "$parms" "$locals" "$return" for $$x forms),
	                 * comps, addr_of, pretty (0, 1 for $, 2 for $$) */
	AST_CAST,       /* @cast(lhs, "str", "module")->a: lhs, str (type),
	                 * str2 (module or NULL), comps, addr_of, pretty.
	                 * Addition: str == NULL is an autocast, stap's
	                 * `expr->a` or `f(x)[1]` on a non-target value. */
	AST_ATVAR,      /* @var("name@file", "module")->a: str, str2, comps,
	                 * addr_of, pretty */
	AST_INDEX,      /* arr[k1, k2]: lhs (AST_VAR of the array, or AST_STAT
	                 * for a histogram bucket @hist_log(s)[3]), args (keys;
	                 * AST_STAR for a '*' wildcard in delete/foreach) */
	AST_STAR,       /* '*' in an array slice */
	AST_CALL,       /* f(a, b): name, args; func set by sema */
	AST_UNARY,      /* -x !x ~x +x: op, lhs */
	AST_BINARY,     /* x op y, including ".": op, lhs, rhs */
	AST_COMPARE,    /* x == y ...: op, lhs, rhs */
	AST_LOGAND,     /* x && y: lhs, rhs */
	AST_LOGOR,      /* x || y: lhs, rhs */
	AST_TERNARY,    /* c ? a : b: cond, lhs, rhs */
	AST_ASSIGN,     /* x = y, x += y, x .= y, x <<< y: op, lhs, rhs */
	AST_INCDEC,     /* ++x --x x++ x--: op (OP_INC/OP_DEC), lhs, postfix */
	AST_IN,         /* [k1, k2] in arr, k in arr: args (keys), lhs (AST_VAR) */
	AST_REGEX,      /* s =~ "re", s !~ "re": op, lhs, rhs (AST_STR) */
	AST_STAT,       /* @count(x) @sum ... @hist_log(x) @hist_linear(x, lo,
	                 * hi, step): stat, lhs (the aggregate: AST_VAR or
	                 * AST_INDEX), args (histogram parameters) */
	AST_DEFINED,    /* @defined(expr): lhs */
	AST_ENTRY,      /* @entry(expr): lhs */
	AST_PROBEWRITE, /* @probewrite(var): lhs */
	AST_CONST,      /* @const("NAME"): str */
	AST_PERF,       /* @perf("name"): str */
	AST_EMBEDDED_EXPR, /* %{ code %} used as an expression: code */

	/* ---- statements */
	AST_BLOCK,      /* { s1; s2 }: body */
	AST_EXPR_STMT,  /* expr;: lhs */
	AST_IF,         /* if (cond) then else: cond, then, els (or NULL) */
	AST_WHILE,      /* while (cond) then: cond, then */
	AST_FOR,        /* for (init; cond; step) then: init, cond, step (each
	                 * may be NULL), then */
	AST_FOREACH,    /* foreach (v = [k1, k2] in arr+ limit n) then:
	                 * args (key vars, AST_VAR), value (AST_VAR or NULL),
	                 * lhs (AST_VAR, or AST_INDEX with AST_STAR slices, or
	                 * AST_STAT for a histogram), sort_col (0 none, -1 the
	                 * value, k>0 key k), sort_dir (+1/-1), limit, then */
	AST_RETURN,     /* return; return expr;: lhs (or NULL) */
	AST_NEXT,       /* next; */
	AST_BREAK,      /* break; */
	AST_CONTINUE,   /* continue; */
	AST_DELETE,     /* delete x; delete arr; delete arr[k]: lhs */
	AST_TRY,        /* try { } catch (msg) { }: then (try body), els (catch
	                 * body), value (AST_VAR of msg or NULL) */
	AST_NULL,       /* ; */
	AST_EMBEDDED_STMT, /* %{ code %} in a function body: code */
} AstKind;

/* One link of a target-variable chain: ->name or [index]. */
struct TargetComp {
	enum { TC_FIELD, TC_INDEX } kind;
	const char *name;  /* TC_FIELD */
	Node *index;       /* TC_INDEX: a literal number or expression */
	SrcLoc loc;
};

struct Symbol;    /* translate/sema.h */
struct FuncDecl;  /* translate/sema.h */

struct Node {
	AstKind kind;
	SrcLoc loc;            /* the node's representative token */
	TypeKind type;         /* set by sema */

	OpKind op;
	int64_t num;           /* AST_NUM */
	const char *str;       /* AST_STR text; AST_CAST/ATVAR/CONST/PERF arg */
	size_t slen;           /* AST_STR: length (may contain NUL) */
	const char *str2;      /* AST_CAST/ATVAR: module */
	const char *name;      /* AST_VAR, AST_TARGET, AST_CALL */
	const char *code;      /* AST_EMBEDDED_*: the text between %{ and %} */

	Node *lhs, *rhs, *cond;
	Node *init, *step, *then, *els, *value, *limit;
	NodeList args;         /* call arguments, keys, histogram params */
	NodeList body;         /* AST_BLOCK statements */

	TargetComp *comps;     /* AST_TARGET/CAST/ATVAR member chain */
	int ncomps;
	bool addr_of;          /* &$x */
	int pretty;            /* $x$ = 1, $x$$ = 2 */
	bool postfix;          /* AST_INCDEC */
	StatOp stat;           /* AST_STAT; AST_FOREACH when sort_by_stat */
	int sort_col, sort_dir;/* AST_FOREACH */
	bool sort_by_stat;     /* addition: AST_FOREACH `in arr @sum+` sorts
	                        * on statistic `stat` of the values */

	/* Filled by later passes. */
	struct Symbol *sym;    /* AST_VAR, AST_INDEX, AST_FOREACH vars */
	struct FuncDecl *func; /* AST_CALL */
	void *aux;             /* per-pass annotations (e.g. a target resolution) */
};

Node *ast_new(Arena *a, AstKind kind, SrcLoc loc);
Node *ast_num(Arena *a, int64_t v, SrcLoc loc);
Node *ast_str(Arena *a, const char *s, size_t len, SrcLoc loc);
Node *ast_var(Arena *a, const char *name, SrcLoc loc);
Node *ast_unary(Arena *a, AstKind kind, OpKind op, Node *lhs, SrcLoc loc);
Node *ast_binary(Arena *a, AstKind kind, OpKind op, Node *lhs, Node *rhs, SrcLoc loc);
/* A deep copy (alias bodies are instantiated once per use). */
Node *ast_clone(Arena *a, const Node *n);
/* Pre-order walk of n and every node under it (children, lists, target
 * chain indices): fn returns AST_DESCEND to go on into the node's
 * children, AST_SKIP to leave them, AST_STOP to end the walk, and then
 * ast_walk returns true. */
typedef enum AstWalk { AST_DESCEND, AST_SKIP, AST_STOP } AstWalk;
bool ast_walk(Node *n, AstWalk (*fn)(Node *n, void *ctx), void *ctx);

/* One component of a probe point: name, name(NUM), name("str"). */
struct PPComp {
	const char *name;      /* may contain '*' and '**' wildcards */
	Node *arg;             /* AST_NUM or AST_STR, or NULL */
	SrcLoc loc;
};

/* kernel.function("f").return ? if (cond) */
struct ProbePoint {
	PPComp *comps;
	int ncomps;
	bool optional;         /* '?' */
	bool sufficient;       /* '!' */
	Node *cond;            /* if (expr), or NULL */
	SrcLoc loc;
	ProbePoint *next;      /* in a probe's list */
};

/* probe p1, p2 { body }   or an alias:  probe name = p1, p2 { body }  */
struct Probe {
	ProbePoint *points;    /* the locations (for an alias: what it expands to) */
	ProbePoint *alias;     /* alias names (probe a, b = ...), NULL if a probe */
	bool alias_append;     /* '+=' (body runs after the user's) */
	bool is_private;
	Node *body;            /* AST_BLOCK */
	Node *body2;           /* addition: an alias's epilogue, the second block
	                        * of `probe a = b { before }, { after }`, or NULL */
	SrcLoc loc;
	Probe *next;
};

struct Param {
	const char *name;
	TypeKind type;         /* TY_UNKNOWN when not declared */
	SrcLoc loc;
};

/* function name:type (p1:type, p2) { body }   or  %{ code %} */
struct Function {
	const char *name;
	TypeKind ret;          /* declared type or TY_UNKNOWN */
	Param *params;
	int nparams;
	Node *body;            /* AST_BLOCK, or NULL for embedded code */
	const char *code;      /* embedded body text, or NULL */
	bool is_private;
	SrcLoc loc;
	Function *next;
};

/* global name, global name[100]%, global name = init */
struct Global {
	const char *name;
	Node *init;            /* initialiser literal or NULL */
	int64_t size;          /* declared array size, 0 if none */
	bool is_array;         /* declared with [size] */
	bool wrap;             /* '%' */
	bool is_private;
	SrcLoc loc;
	Global *next;
};

/* %{ ... %} at file level */
struct Embedded {
	const char *code;
	SrcLoc loc;
	Embedded *next;
};

/* One parsed file (script or tapset). */
struct Script {
	Source *src;
	bool used;             /* elaboration took something from it (-vv lists it) */
	Probe *probes;         /* probes and aliases in order */
	Function *functions;
	Global *globals;
	Embedded *embeds;
	Script *next;          /* the session's list of files */
};

/* --------------------------------------------------- preprocess.c, lexer.l */

/* What %( %? %: %) conditions and positional arguments may consult. */
struct ParseEnv {
	const char *kernel_release;  /* kernel_v / kernel_vr, e.g. "6.18.44" */
	const char *arch;            /* "x86_64" */
	const char *runtime;         /* "bpf" */
	const char *systemtap_v;     /* compatibility version, e.g. "5.0" */
	const char *privilege;       /* "stapdev" */
	bool guru;
	int nargs;                   /* $1.. / @1.. */
	char **args;
	/* CONFIG_FOO lookups: returns "y", "m", a string, or NULL if unset. */
	const char *(*config)(const char *name);
	/* Addition: library macros (@define in tapset .stpm files), filled by
	 * parse_macro_file() and visible to every parse_source() using this
	 * env.  NULL until the first macro file is loaded. */
	MacroTable *macros;
};

/* Addition: read the @define macros of a .stpm file into env->macros
 * (created in `a` on first use).  Returns 0, or -1 after reporting errors
 * (then none of the file's macros are added, as stap does).  A .stpm file
 * may hold only macro definitions and %( %) conditionals around them. */
int parse_macro_file(Arena *a, Source *src, ParseEnv *env);

/* Addition: front-end internals shared by lexer.l, preprocess.c and
 * grammar.y (no other pass needs them).  Token kinds are the grammar's
 * (grammar.h); 0 is the end of input. */
typedef struct Token {
	int kind;
	SrcLoc loc;
	const char *text;      /* spelling of identifiers, keywords and @words;
	                        * decoded bytes of a string; code of %{ %} */
	size_t len;            /* length of text (a string may hold NUL) */
	int64_t num;           /* NUMBER value (64-bit, wrapping as stap's) */
	bool space_before;     /* whitespace or a comment precedes the token */
	const char *error;     /* a lexical error, reported only if the token is
	                        * used (not in a skipped %( %) branch), as stap */
	SrcLoc error_at;       /* where in the token the error is (a bad escape
	                        * in a string), if len > 0; else the token */
} Token;

typedef struct Lexer Lexer;
/* The raw scanner over one source: comments dropped, $1/@1/$#/@# replaced
 * from env (a numeric $N is one NUMBER; other text is pasted and scanned,
 * as stap pastes it: `probe $1 {}`; @N is a string).  A lexical error travels in Token.error with the token in its
 * most useful repaired form (a stray character is a JUNK token), and the
 * preprocessor reports it when the token is used, so parsing goes on. */
Lexer *lex_new(Arena *a, Source *src, const ParseEnv *env);
void lex_next(Lexer *lx, Token *t);
void lex_free(Lexer *lx);
/* Whether the source held any token at all (not only white space and
 * comments): stap refuses an empty script. */
bool lex_saw_tokens(const Lexer *lx);
/* Whether an unterminated comment, string or %{ ran to the end of the
 * input (reported already: what the grammar finds missing there is not). */
bool lex_eof_swallowed(const Lexer *lx);

typedef struct PP PP;
/* The preprocessor over a Lexer: @define and macro expansion, then
 * %( %? %: %) conditionals; pp_next() yields the tokens the grammar sees.
 * `env->macros` are the library macros; the file's own go in the PP. */
PP *pp_new(Arena *a, Source *src, const ParseEnv *env);
void pp_next(PP *pp, Token *t);
void pp_free(PP *pp);
/* The grammar's tokens: pp_next() shaped for an LALR(1) parser (strings
 * joined, probe point component names glued, `return` with no value told
 * apart; see preprocess.c).  pp_unclosed_brace() is the innermost '{' not
 * yet closed, or NULL. */
void pp_shaped_next(PP *pp, Token *t);
const SrcLoc *pp_unclosed_brace(const PP *pp);
/* The shaped tokens last handed out: back 0 is the grammar's lookahead,
 * 1 the token before it, 2 the one before that (NULL at the start).
 * Syntax errors word their message by what came before ("after '.'"). */
const Token *pp_history(const PP *pp, int back);
bool pp_saw_tokens(const PP *pp);
/* The name of a macro visible here or of a built-in @operator that is
 * close to `name` (a typo: "sqaure" for "square"), or NULL. */
const char *pp_similar_atword(const PP *pp, const char *name);
/* True when the grammar's lookahead is the first token after a macro use
 * that failed (and was reported): a syntax error there only repeats it. */
bool pp_quiet_error(const PP *pp);
/* How many declaration keywords (probe, function, global, private) were
 * handed to the grammar so far. */
long pp_declarations(const PP *pp);

/* ---------------------------------------------------------------- grammar.y */

/* Parse one source into a Script.  Returns NULL only if nothing could be
 * recovered; syntax errors are reported through diag and counted. */
Script *parse_source(Arena *a, Source *src, const ParseEnv *env);

/* ------------------------------------------------------------ ast_print.c */

/* -p1: print a script back as canonical SystemTap. */
void ast_print_script(FILE *out, const Script *s);
/* The same into a malloc'd, NUL-terminated string (free() it); its length
 * in *len unless len is NULL (the round trips of the tests). */
char *ast_print_script_text(const Script *s, size_t *len);
void ast_print_probe(FILE *out, const Probe *p);
void ast_print_function(FILE *out, const Function *f);
void ast_print_probe_point(FILE *out, const ProbePoint *pp);
void ast_print_expr(FILE *out, const Node *n);
void ast_print_stmt(FILE *out, const Node *n, int indent);

#endif
