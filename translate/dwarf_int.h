/* dwarf_int.h - what dwarf.c, dwarf_loc.c and dwarf_value.c share: the
 * DwFile behind sema.h's opaque handle, and the compile-time state of a
 * target variable being resolved.  Nothing else includes this header, so
 * no Dwarf_Die reaches the AST. */
#ifndef BSTAP_DWARF_INT_H
#define BSTAP_DWARF_INT_H

#include <elfutils/libdw.h>
#include <gelf.h>

#include "translate/sema.h"

struct DwFile {
	const char *path;         /* as opened (absolute) */
	int fd, dfd;              /* the binary; its separate debug file or -1 */
	Elf *elf, *delf;          /* delf: the separate debug file, or NULL */
	Dwarf *dw;                /* NULL without debug info */
	Dwarf_CFI *cfi;           /* .eh_frame (or .debug_frame), for the CFA */
	bool pie;                 /* ET_DYN: loaded at a bias */
	bool kernel;              /* a kernel image: values in kernel memory */
	int64_t slide;            /* kernel: KASLR's, added to DW_OP_addr */
	GElf_Phdr *loads;         /* PT_LOAD headers */
	int nloads;
	DwSite *funcs;            /* every function, by name (read_funcs) */
	int nfuncs;
	struct DwAlias {          /* a DWARF function under another symbol's */
		const char *name;     /* name: "malloc" for __libc_malloc */
		DwSite site;
	} *aliases;
	int naliases, capaliases;
	bool funcs_read;
	Arena *arena;
	DwFile *next;             /* the session's list */
};

#define DWL_MAX_OPS 64
#define DWL_MAX_PIECES 4

/* A location program under construction. */
typedef struct Ops {
	LocOp v[DWL_MAX_OPS];
	int n;
	int depth;                /* values on the run-time stack */
} Ops;

/* Where a value is while a chain is walked: an address in user memory
 * (V_MEM), the value itself (V_VAL), or pieces (a struct in registers;
 * no pieces at all: optimised out). */
typedef struct Piece {
	Ops ops;
	int size;
	enum { P_MEM, P_VAL, P_NONE } where;
} Piece;

typedef struct Val {
	enum { V_MEM, V_VAL, V_PIECES } where;
	Ops ops;                  /* V_MEM: leaves the address; V_VAL: the value */
	Piece pieces[DWL_MAX_PIECES];
	int npieces;
	Dwarf_Die type;
	bool has_type;            /* false: void */
	int bit_off, bit_size;    /* a bitfield member (bit_size 0: none) */
} Val;

/* One target expression being resolved. */
typedef struct DwCtx {
	Session *s;
	DwFile *f;
	const DwSite *site;
	bool is_return;
	Node *n;                  /* the target expression, for positions */
	const char *expr;         /* "$o->label", for messages */
	Dwarf_Die func;
	bool failed;              /* a diagnostic was given */
} DwCtx;

/* dwarf.c */
int dwl_scopes(DwFile *f, const DwSite *site, Dwarf_Die *func, Dwarf_Die **scopes);

/* dwarf_loc.c: types */
bool dwl_type_of(Dwarf_Die *die, Dwarf_Die *t);      /* false: void */
bool dwl_peel(Dwarf_Die *t, Dwarf_Die *out);         /* skip typedefs, cv */
int64_t dwl_size(Dwarf_Die *t);                      /* -1 unknown */
bool dwl_is_char(Dwarf_Die *t);                      /* char, unsigned char */
bool dwl_is_signed(Dwarf_Die *t);
bool dwl_is_float(Dwarf_Die *t);
bool dwl_is_scalar(Dwarf_Die *t);                    /* integer, enum, pointer */
/* The C spelling of a type, stap's way: "int", "struct outer*", "char const*". */
const char *dwl_type_name(Arena *a, Dwarf_Die *type);

/* dwarf_loc.c: locations */
void dwl_fail(DwCtx *c, const SrcLoc *loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Append an operation (NULL after a diagnostic: a malformed location). */
LocOp *dwl_op(DwCtx *c, Ops *o, LocOpKind k, int64_t n);
/* Locate variable `var` at the probe address into v (with its type). */
void dwl_var_location(DwCtx *c, Dwarf_Die *var, Val *v);
/* Does var have a location (or a constant value) at the site? */
bool dwl_has_location(DwCtx *c, Dwarf_Die *var);
/* Where $return is: rax (rdx) or the memory rax points to. */
void dwl_return_location(DwCtx *c, Val *v);
/* Find `name` in the scopes at the site, then among globals (*global). */
bool dwl_find_var(DwCtx *c, const char *name, Dwarf_Die *out, bool *global);
/* The parameters (params) or locals of the function at the site, in order. */
int dwl_vars(DwCtx *c, bool params, bool locals, Dwarf_Die **out);

#endif
