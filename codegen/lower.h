/* lower.h - lowering's private interface, shared by the files that lower
 * one family of constructs each (lower.c: statements, expressions, calls,
 * printf; target.c: target variables).  Nothing outside codegen/ sees it. */
#ifndef BSTAP_LOWER_H
#define BSTAP_LOWER_H

#include "codegen/ir.h"

#define MAX_LOOPS 64
#define MAX_FRAMES 32

typedef struct Storage {
	Symbol *sym;
	int vreg;        /* long: the register holding it */
	int soff;        /* string: offset of its buffer in scratch */
} Storage;

typedef struct Frame {
	FuncDecl *fn;            /* NULL for the probe itself */
	Storage *vars;
	int nvars, capvars;
	int ret_label;
	int ret_vreg;            /* long result, or pointer to string result */
} Frame;

typedef struct Lower {
	CgObject *o;
	Session *s;
	Arena *a;
	IrFunc *f;
	ProbeInst *inst;
	int ctx;                 /* vreg: the program's context */
	int scratch;             /* vreg: the per-CPU scratch buffer */
	bool need_scratch;
	int scratch_used, scratch_max;
	int actions;             /* vreg: loop iterations, for MAXACTION */
	bool need_actions;
	int exit_label;
	int brk[MAX_LOOPS], cont[MAX_LOOPS];
	int nloops;
	Frame frames[MAX_FRAMES];
	int nframes;
	int cap;                 /* MAXSTRINGLEN, rounded up to 8 */
	int valslot;             /* an 8-byte stack slot for map updates, 0 until used */
	const SrcLoc *asm_call;  /* the call whose embedded code is being expanded */
	const SrcLoc *user_call; /* the outermost call from the user's script, or NULL */
	int stmt_serial;         /* counts statements, to scope caches to one */
	struct {                 /* the last merged scalar statistic (stats.c) */
		Symbol *sym;
		int stmt;
		int at;              /* IR position right after the merge */
		int v[5];
	} statcache;
	bool user;               /* runs in the user-space executor (begin/end/error) */
	struct {                 /* enclosing try blocks, innermost last */
		int catch_label;
		Node *var;           /* catch (var), or NULL */
	} tries[16];
	int ntries;
	struct {                 /* the last successful =~ (regex.c), when matched() is used */
		bool used;
		int ptr;             /* vreg: the state in scratch, set by the prologue */
		int banks;           /* bytes of tagged-DFA registers the largest pattern needs */
	} match;
	bool failed;
} Lower;

/* lower.c */
void lower_fail(Lower *L, const SrcLoc *loc, const char *msg);
int lower_expr(Lower *L, Node *n);
/* Bytes of per-CPU scratch for this probe (strings); its offset. */
int scratch_alloc(Lower *L, int size);
/* A new register pointing at scratch + off. */
int scratch_ptr(Lower *L, int off);
/* A new register pointing at the global data map + off. */
int data_ptr(Lower *L, uint32_t off);
/* Copy the string at src to dst+off, at most cap bytes with the NUL. */
void copy_string(Lower *L, int dst, int off, int src, int cap);
/* Store literal bytes s (with a NUL, cut to cap) at dst+off. */
void store_literal(Lower *L, int dst, int off, const char *s, size_t len, int cap);
/* Send a record with no payload (bpf_abi.h kind, id). */
void lower_record(Lower *L, int kind, int id);
/* Report a run-time error (message, "near" text, position) and leave. */
void emit_error(Lower *L, const char *msg, const char *near, const SrcLoc *loc);

/* strings.c */
/* Compare two string expressions by content: a register holding -1, 0 or
 * 1 (for lhs against rhs; *swapped when it is rhs against lhs). */
int lower_strcmp(Lower *L, Node *lhs, Node *rhs, bool *swapped);
/* lhs . rhs into a fresh buffer; lower_concat_into writes into dst, which
 * must have 2 * cap bytes. */
int lower_concat(Lower *L, Node *n);
int lower_concat_into(Lower *L, int dst, Node *lhs, Node *rhs);

/* arrays.c: n is an AST_INDEX (or AST_IN) of an array global */
/* The packed key of an element, in a fresh scratch buffer. */
int lower_array_key(Lower *L, Symbol *sym, NodeList *keys);
int lower_index_read(Lower *L, Node *n);
int lower_in(Lower *L, Node *n);
void lower_index_store_long(Lower *L, Node *n, int v);
void lower_index_store_string(Lower *L, Node *n, int buf);
/* a[k] += delta, atomically, inserting it when missing */
void lower_index_add(Lower *L, Node *n, int delta);
void lower_index_delete(Lower *L, Node *n);
/* delete arr: every element (user-space probes) */
void lower_delete_all(Lower *L, Node *arr);
/* foreach over an array (user-space probes): a sorted snapshot, walked;
 * body() lowers the loop body between the given break/continue labels. */
void lower_foreach(Lower *L, Node *n, void (*body)(Lower *, Node *, int brk, int cont));
/* Store a long / copy a string into a variable (AST_VAR or array element). */
void lower_store_long(Lower *L, Node *var, int v);
void lower_store_string(Lower *L, Node *var, int src);

/* lower.c, sprintf.c: sprintf(fmt, ...) into a fresh string buffer */
int lower_sprintf(Lower *L, Node *n);
int lower_sprintf_kernel(Lower *L, Node *n, const char *fmt, Node **args, int nargs);
/* sprintf.c: NUL-terminated s in the read-only data map (o->map_rodata,
 * created on first use): its offset */
int rodata_add(Lower *L, const char *s);
/* n constant bytes there (tables), 8-aligned: their offset */
int rodata_add_bytes(Lower *L, const void *bytes, uint32_t n);

/* regex.c */
/* s =~ "re" / s !~ "re": a register holding 1 or 0. */
int lower_regex(Lower *L, Node *n);
/* __regex_matched(n), __regex_ngroups(), __regex_matched_str() */
int lower_regex_builtin(Lower *L, Node *n);
/* The prologue's part: place and clear the probe's match state. */
void lower_regex_prologue(Lower *L);

/* stats.c */
int lower_stat_buckets(const Symbol *sym);
void lower_stat_add(Lower *L, Node *n);          /* x <<< v */
int lower_stat_read(Lower *L, Node *n);          /* @count(x) ... */
void lower_print_hist(Lower *L, Node *n);        /* print(@hist_log(x)) */

/* target.c */
/* The value of a target variable node (AST_TARGET with its Access). */
int target_value(Lower *L, Node *n);

/* target_dwarf.c */
/* The value of an ACC_DWARF target (user space: process probes). */
int target_dwarf_value(Lower *L, Node *n);

/* target_kernel.c */
/* The value of an ACC_KMEM_CHAIN target (kernel memory through BTF). */
int target_kernel_value(Lower *L, Node *n);

#endif
