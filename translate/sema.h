/* sema.h - pass 2: the session, tapsets, probe providers, symbols and types.
 *
 * session.c   options and limits shared by every pass
 * tapset.c    tapset search path and loading
 * provider.c  the table of probe-point families (translate/probes/ *.c)
 * resolve.c   alias expansion, probe instances, symbols, functions
 * types.c     type inference over the whole program
 * tracefs.c   tracepoint format files (fields without kernel headers)
 * btf.c       kernel types from BTF (parameters, members, chains)
 * elab_print.c  the -p2 listing
 *
 * Requires: parsed Scripts (parser/).  Provides: a Program whose probes,
 * functions and globals are resolved and typed, ready for codegen/.
 */
#ifndef BSTAP_SEMA_H
#define BSTAP_SEMA_H

#include "bstap/bpf_abi.h"
#include "parser/parse.h"

typedef struct Session Session;
typedef struct Symbol Symbol;
typedef struct FuncDecl FuncDecl;
typedef struct ProbeInst ProbeInst;
typedef struct Provider Provider;
typedef struct TpFormat TpFormat;
typedef struct TpField TpField;
typedef struct Access Access;
typedef struct LocAccess LocAccess;
typedef struct DwFile DwFile;
typedef struct AccStep AccStep;
typedef struct BtfCache BtfCache;
struct btf;

/* -------------------------------------------------------------- session.c */

struct Session {
	Arena *arena;

	/* options */
	int last_pass;            /* -p N (5 = run) */
	int verbose;              /* -v count */
	bool guru;                /* -g */
	bool no_elide;            /* -u */
	const char **inc_dirs;    /* -I, in order */
	int ninc_dirs;
	ParseEnv env;             /* kernel version, args, ... */
	int64_t maxstringlen;     /* -D MAXSTRINGLEN (default 128) */
	int64_t maxmapentries;    /* -D MAXMAPENTRIES (default 2048) */
	int64_t maxaction;        /* -D MAXACTION (default 1000) */
	const char *tracefs;      /* "/sys/kernel/tracing" */

	/* the program */
	Script *user;             /* the user's script */
	Script *tapsets;          /* parsed tapset files */
	Symbol *globals;          /* in declaration order */
	int nglobals;
	FuncDecl *funcs;          /* every function known (script + tapsets) */
	ProbeInst **probes;       /* resolved probe instances */
	int nprobes, capprobes;
	int used_tapset_files;
	bool regex_saves_match;   /* matched() & co. are used: every =~ keeps its match */

	BtfCache *btf;            /* kernel BTF, loaded on first use (btf.c) */
	DwFile *dwfiles;          /* binaries opened by process probes (dwarf.c) */
	const char *kernel_debuginfo; /* --kernel-debuginfo=PATH, or NULL: search */
	struct KdwState *kdw;     /* the kernel's DWARF, looked for once (kdwarf.c) */
	struct ScTable *syscalls; /* the system calls, listed on first use (probes/syscall.c) */
};

void session_init(Session *s);
void session_fini(Session *s);
/* -D NAME=VALUE; returns false for an unknown name or bad value. */
bool session_define(Session *s, const char *def);

/* --------------------------------------------------------------- tapset.c */

/* Parse the tapset library: every *.stpm (macros) then *.stp of each -I
 * directory, then of the installed directory (or the source tree's
 * tapsets/ when running from a build tree).  Returns 0 or -1. */
int tap_load(Session *s);
/* tapindex.c: a tapset file's declared names, scanned without parsing;
 * then only the files the user's script needs are parsed into tail. */
typedef struct TapFile TapFile;
TapFile *tapindex_add(Session *s, Source *src);
void tapindex_load_needed(Session *s, TapFile **files, int nfiles, Script ***tail);

/* The @define macros of the tapset directories' *.stpm files, which the
 * user's script may use too: loaded before anything is parsed. */
void tap_load_macros(Session *s);

/* ------------------------------------------------------------ elide.c */

/* A set of names (arena-grown). */
typedef struct Names {
	const char **v;
	int n, cap;
} Names;
bool names_has(const Names *ns, const char *name);
void names_add(Arena *a, Names *ns, const char *name);

/* What a walk saw: the variables it met (elide_note_use: read or
 * written; elide_note_assigned: assigned), and whether a target
 * expression ($var other than $return, @cast, @var, @entry ...). */
typedef struct VarUses {
	Arena *a;
	Names vars;
	bool targets;
} VarUses;
AstWalk elide_note_use(Node *n, void *ctx);
AstWalk elide_note_assigned(Node *n, void *ctx);
/* Is name a global of the user's script? */
bool elide_script_global(Session *s, const char *name);
/* The statements of block `prologue` that give what `need` names (and
 * what they use in turn), and those that assign nothing: a new block. */
Node *elide_prologue(Session *s, const Node *prologue, const Names *need);
/* An alias's prologue for a probe whose other statements are `rest`:
 * elide_prologue for what rest names, keeping every assignment to a
 * global of the script.  A copy; the prologue itself is not changed. */
Node *elide_alias(Session *s, const Node *prologue, Node *rest);

/* ------------------------------------------------------------ resolve.c */

struct Symbol {
	const char *name;
	enum { SYM_GLOBAL, SYM_LOCAL, SYM_PARAM } kind;
	TypeKind type;
	SrcLoc loc;               /* declaration or first use */
	SrcLoc type_loc;          /* where its type was decided */
	bool is_array;
	int nkeys;                /* arrays: number of keys (-1 unknown) */
	TypeKind keytypes[9];
	SrcLoc keys_loc;          /* arrays: where the number of keys was decided */
	int hist;                 /* statistics: 0, or STAT_HIST_LINEAR / STAT_HIST_LOG used */
	int64_t hist_lo, hist_hi, hist_step; /* @hist_linear's parameters */
	SrcLoc hist_loc;          /* where the histogram kind was decided */
	Global *decl;             /* globals */
	bool read, written;
	int index;                /* codegen's slot */
	void *cg;                 /* codegen annotation */
	Symbol *next;
};

struct FuncDecl {
	const char *name;
	Function *fn;
	Script *file;
	TypeKind ret;
	SrcLoc ret_loc;           /* where the return type was decided */
	Symbol **params;
	int nparams;
	Symbol *locals;
	bool used;
	bool resolved;
	bool in_progress;         /* recursion detection while resolving */
	FuncDecl *next;
};

/* A target variable or context value, resolved to how to read it. */
struct Access {
	enum {
		ACC_CTX_INT,          /* integer at ctx+off, size, sign */
		ACC_CTX_CHARS,        /* char array at ctx+off (size bytes) */
		ACC_CTX_DATA_LOC,     /* __data_loc string: u32 at ctx+off */
		ACC_KMEM_CHAIN,       /* a BTF-typed chain through kernel memory:
		                       * base, steps, leaf (btf.c builds it) */
		ACC_DWARF,            /* a user-space value (process probes): loc
		                       * says how to compute it (dwarf.c, usdt.c) */
	} kind;
	int off, size;
	bool is_signed;
	const char *ctype;        /* the C type as the format gives it */

	/* ACC_KMEM_CHAIN: v = the base (ACC_BASE_CTX: the u64 at ctx+off, e.g.
	 * a pt_regs slot); each step then moves v (see AccStep); the leaf
	 * says what v finally is.  size/is_signed: a long leaf's C type. */
	enum { ACC_BASE_CTX, ACC_BASE_CURRENT_TASK } base;
	const AccStep *steps;
	int nsteps;
	enum {
		ACC_LEAF_LONG,        /* v is the value (sign-extended from size) */
		ACC_LEAF_STRING,      /* v is the address of a char array of size bytes */
		ACC_LEAF_ADDR,        /* v is an address (&$x->a) */
	} leaf;
	int bit_shift, bit_size;  /* a bitfield leaf: bits of v, 0 size if none */
	const char *expr;         /* "$file->f_path", for run-time messages */

	const LocAccess *loc;     /* ACC_DWARF */
};

/* One move along an ACC_KMEM_CHAIN: size 0 adds off to v; size 1, 2, 4 or
 * 8 replaces v by that many bytes read from kernel memory at v + off. */
struct AccStep {
	int32_t off;
	int32_t size;
};

/* Is an ACC_DWARF value a string (dwarf.c)? */
bool loc_is_string(const LocAccess *loc);

/* The script type of a resolved target variable. */
static inline TypeKind access_type(const Access *acc)
{
	if (acc->kind == ACC_KMEM_CHAIN)
		return acc->leaf == ACC_LEAF_STRING ? TY_STRING : TY_LONG;
	if (acc->kind == ACC_DWARF)
		return loc_is_string(acc->loc) ? TY_STRING : TY_LONG;
	return acc->kind == ACC_CTX_INT ? TY_LONG : TY_STRING;
}

/* One concrete probe: a probe point after alias and wildcard expansion,
 * with its combined body. */
struct ProbeInst {
	Probe *probe;             /* as written by the user */
	ProbePoint *pp;           /* the concrete point */
	const char *pp_text;      /* "kernel.trace(\"syscalls:sys_enter_kill\")" */
	const Provider *prov;
	Node *body;               /* alias prologue + user body + epilogue */
	Symbol *locals;
	void *pdata;              /* provider data (e.g. TpFormat) */
	int64_t order;            /* begin(N) / end(N) */
	int index;
	const char *alias_chain;  /* for -p2: what aliases expanded to */
	bool in_user;             /* runs in the runtime's user-space executor (codegen decides) */
};

/* Resolve the whole program: expand aliases, find providers, build probe
 * instances, bind symbols and functions, then infer types.  0 or -1. */
int sema_resolve(Session *s);

/* One probe point as text (without its condition); with its '?' and '!'
 * when `marks` (resolve.c). */
char *sema_point_text(Arena *a, const ProbePoint *pp, bool marks);

/* Add a global the compiler made (entry.c's saved @entry values). */
void sema_add_global(Session *s, Global *g);

/* entry.c: rewrite @entry(e) (and, in function .return probes, $param) of
 * inst's unbound body into reads of values a companion entry probe saves;
 * `make` builds that companion from a point and a body.  0 or -1. */
int entry_split(Session *s, ProbeInst *inst,
                int (*make)(Session *, ProbeInst *like, ProbePoint *pp, Node *body));

/* Find a function by name and arity (NULL if none). */
FuncDecl *sema_find_func(Session *s, const char *name, int nargs);

/* ------------------------------------------------------------- provider.c */

/* A family of probe points (one file each in translate/probes/). */
struct Provider {
	const char *name;
	/* Does pp name this family?  (Just a check of the first component.) */
	bool (*matches)(const ProbePoint *pp);
	/* Check the point and fill inst (kind, pdata).  0 keeps inst; 1 drops
	 * it (an optional point that matched nothing, or one expanded into
	 * instances through `more`, called once per concrete point); -1 after
	 * a diagnostic. */
	int (*resolve)(Session *s, ProbeInst *inst,
	               void (*more)(Session *, ProbeInst *, const char *target, void *pdata));
	/* Resolve $name in this probe: fill acc; 0, or -1 after a diagnostic. */
	int (*target)(Session *s, ProbeInst *inst, Node *n, Access *acc);
	/* The probe table entry for the object (bpf_abi.h). */
	uint32_t abi_kind;
	/* BPF program type and ELF section for the object. */
	uint32_t prog_type;
	const char *(*section)(const ProbeInst *inst, Arena *a);
	/* What the runtime attaches to (bpf_abi.h struct bstap_probe.target). */
	const char *(*attach_target)(const ProbeInst *inst);
	/* -L: list context variables ("$pid:long $sig:long") */
	const char *(*list_vars)(Session *s, const ProbeInst *inst);
	/* target() takes whole target expressions itself: member chains,
	 * [i], &, $$vars and the $x$ forms (resolve.c refuses them otherwise) */
	bool target_exprs;
	/* Optional: $$vars, $$parms ... written as SystemTap AST (a sprintf
	 * over the context's variables); NULL when the family has none. */
	Node *(*pretty)(Session *s, ProbeInst *inst, Node *n);
	/* The tapset aliases (a glob) this family's points are made from, or
	 * NULL: the tapset index loads the files declaring them (syscall.*
	 * takes its variables from tapsets/syscalls.stp's __syscall.*). */
	const char *library;
	/* Optional: called on each instance made through `more`, before its
	 * body is bound; may move it to another provider (inst->prov). */
	void (*specialise)(Session *s, ProbeInst *inst);
};

const Provider *provider_find(const ProbePoint *pp);
extern const Provider provider_begin, provider_end, provider_error, provider_never;
extern const Provider provider_tracepoint;
/* kernel.trace with the tracepoint's typed arguments (probes/tracepoint_btf.c):
 * tp_btf_choose (provider_tracepoint's specialise) moves an instance
 * (pdata: TpFormat) there when its body needs more than the record's fields; tp_btf_more_vars lists, for -L,
 * the arguments the record has no field for. */
extern const Provider provider_tracepoint_btf;
void tp_btf_choose(Session *s, ProbeInst *inst);
const char *tp_btf_more_vars(Session *s, TpFormat *fmt);
/* syscall.NAME[.return] and nd_syscall.*: made from the syscalls:
 * tracepoints (probes/syscall.c) */
extern const Provider provider_syscall;
extern const Provider provider_timer, provider_perf, provider_kprobe;
extern const Provider provider_process, provider_mark;
/* Provider hooks for families without context variables. */
int provider_no_target(Session *s, ProbeInst *inst, Node *n, Access *acc);
const char *provider_no_vars(Session *s, const ProbeInst *inst);
/* timer.c: the ELF section of perf-event programs (timer and perf). */
const char *timer_perf_section(const ProbeInst *inst, Arena *a);

/* -------------------------------------------------------------- types.c */

/* Infer types of every symbol, expression and function; 0 or -1. */
int types_infer(Session *s);

/* ------------------------------------------------------------- tracefs.c */

struct TpField {
	const char *name;
	const char *ctype;        /* "pid_t", "char[16]", "__data_loc char[]" */
	int off, size;
	bool is_signed;
	bool is_array;            /* fixed array: size = total bytes */
	int elem_size;
	bool data_loc;            /* __data_loc: u32 (len << 16 | offset) */
	bool is_common;           /* common_* header fields */
};

struct TpFormat {
	const char *system, *event;
	int id;
	TpField *fields;
	int nfields;             /* -1 until tracefs_fields() read the format */
};

/* Read events/SYSTEM/EVENT/format.  NULL with errno when missing. */
TpFormat *tracefs_format(Session *s, const char *system, const char *event);
/* An event known to exist, with its fields read on first need. */
TpFormat *tracefs_event(Session *s, const char *system, const char *event);
/* Read the fields of fmt if not yet done; false when the format is missing. */
bool tracefs_fields(Session *s, TpFormat *fmt);
/* List "system:event" names matching a glob, in tracefs order, through cb. */
int tracefs_list(Session *s, const char *glob,
                 void (*cb)(const char *system, const char *event, void *ctx), void *ctx);
/* The field called `name` of a format already read, or NULL. */
const TpField *tracefs_field(const TpFormat *fmt, const char *name);
/* Map a field to how stap types it: true and fill acc when readable. */
bool tracefs_field_access(const TpField *f, Access *acc);

/* ----------------------------------------------------------------- btf.c */

/* Kernel types from BTF (/sys/kernel/btf/vmlinux, and /sys/kernel/btf/MOD
 * split on it), loaded on first use and kept in s->btf: what replaces
 * kernel headers and debuginfo for kernel.function parameters, member
 * chains and task accessors.  A type is an id in a struct btf (libbpf's);
 * a module's ids continue vmlinux's, so its btf resolves both. */

/* vmlinux's BTF (module NULL) or module MOD's; NULL when the kernel has
 * none (errno says why).  Owned by the session. */
const struct btf *btf_kernel(Session *s, const char *module);
/* Free what btf_kernel loaded (session_fini). */
void btf_free(Session *s);

/* The FUNC named `name` in module's BTF (vmlinux's for NULL), or -1. */
int32_t btf_find_func(Session *s, const char *module, const char *name, const struct btf **btfp);

typedef struct BtfParam {
	const char *name;         /* "" for an unnamed parameter */
	int32_t type;
} BtfParam;

/* The parameters of FUNC `func` into params (at most max) and its return
 * type (0 for void) into *ret; returns the parameter count (which may
 * exceed max), or -1 when func is no FUNC with a prototype. */
int btf_func_proto(const struct btf *b, int32_t func, BtfParam *params, int max, int32_t *ret);

/* `id` with typedefs, const, volatile, restrict and type tags skipped. */
int32_t btf_skip_mods(const struct btf *b, int32_t id);

/* An integer, enum or pointer: its size and signedness.  false otherwise
 * (struct, union, array, float, void, function). */
bool btf_scalar(const struct btf *b, int32_t id, int *size, bool *is_signed);

/* Member `name` of struct/union `id` (modifiers skipped), looking inside
 * anonymous members too: its type and bit offset (and bitfield size, 0 for
 * a whole member).  false when there is none. */
typedef struct BtfMember {
	int32_t type;
	uint32_t bit_off, bit_size;
} BtfMember;
bool btf_find_member(const struct btf *b, int32_t id, const char *name, BtfMember *m);

/* The C spelling of a type, stap's way: "int", "struct file*", "char const*". */
const char *btf_type_str(const struct btf *b, int32_t id, Arena *a);

/* Turn target node n's member chain ($x->a->b[2], &$x->a) into acc, an
 * ACC_KMEM_CHAIN starting from a value of type `type` that the caller has
 * located (acc->base, acc->off).  0, or -1 after a diagnostic at the
 * offending component. */
int btf_chain(Session *s, const struct btf *b, int32_t type, const Node *n, Access *acc);
/* Target node n as a value of type `type` held in the u64 context slot at
 * acc->off (a pt_regs register, a raw tracepoint's argument): its member
 * chain (btf_chain), or the slot's low bytes as a number.  0, or -1 after
 * a diagnostic. */
int btf_ctx_value(Session *s, const struct btf *b, int32_t type, const Node *n, Access *acc);

/* ------------------------------------- dwarf.c, dwarf_loc.c (and usdt.c) */

/* User-space values of process probes.  A location program computes one
 * on a stack of 64-bit words at run time: dwarf_loc.c builds it from DWARF
 * locations and types, usdt.c from SDT operands, codegen/target_dwarf.c
 * lowers it.  Registers are byte offsets into the probe's struct pt_regs. */
typedef enum {
	LOP_REG,        /* push the saved register at pt_regs offset n */
	LOP_CONST,      /* push n */
	LOP_BIAS,       /* push the load bias: the probed ip minus n (its
	                 * link-time address), for DW_OP_addr in PIE code */
	LOP_ADDI,       /* top += n */
	LOP_LOAD,       /* top = n (1, 2, 4, 8) bytes of user memory at top */
	LOP_SEXT,       /* sign-extend top from its low n bytes */
	LOP_ZEXT,       /* keep the low n bytes of top */
	LOP_BITS,       /* top = `width` bits of top from bit n (sign-extended
	                 * when sign) */
	LOP_ADD, LOP_SUB, LOP_MUL, LOP_DIV, LOP_MOD, LOP_AND, LOP_OR, LOP_XOR,
	LOP_SHL, LOP_SHR, LOP_SHRA,     /* pop b, pop a, push a OP b */
	LOP_NEG, LOP_NOT,               /* top = -top, ~top */
	LOP_DUP, LOP_DROP, LOP_SWAP, LOP_ROT, LOP_PICK, /* DWARF's (PICK: n) */
} LocOpKind;

typedef struct LocOp {
	LocOpKind op;
	int64_t n;
	int width;      /* LOP_BITS */
	bool sign;      /* LOP_BITS */
} LocOp;

/* How an item shows its value (stap's $$vars and $x$ formats). */
typedef enum {
	LOCF_VALUE,     /* the value itself: a long, or a string (is_string);
	                 * alone, with no text (else it is shown as %d / %s) */
	LOCF_HEX,       /* %#llx, %#p: 0x1f */
	LOCF_DEC,       /* %lld */
	LOCF_UDEC,      /* %llu */
	LOCF_CHAR,      /* '%#c' */
	LOCF_QUOTED,    /* user_string_quoted(): "text", or 0x.. if unreadable */
} LocFmt;

typedef struct LocItem {
	const char *text;     /* literal text before the value, or NULL */
	const LocOp *ops;     /* the value, NULL for text alone */
	int nops;
	LocFmt fmt;
	bool is_string;       /* LOCF_VALUE: ops leave a user string's address */
	int strmax;           /* a char array's size (0: up to MAXSTRINGLEN) */
} LocItem;

/* What Access.loc points to: one LOCF_VALUE item, or a string built from
 * several ($$parms, $x$). */
struct LocAccess {
	const LocItem *items;
	int nitems;
	const char *expr;     /* "$o->label", for run-time messages */
	bool kernel;          /* addresses are kernel memory (kernel.function) */
};

/* DwFile: an ELF binary with its DWARF (its own, or a separate file found
 * by build-id under /usr/lib/debug), opened once per session. */

/* A place to probe: a function's entry, or a statement. */
typedef struct DwSite {
	const char *func;     /* "main" */
	const char *file;     /* declaring file, NULL without DWARF */
	int line;             /* declaration line, or the statement's */
	uint64_t addr;        /* link-time address of the probed instruction */
	uint64_t func_addr;   /* the function's entry */
	uint64_t die;         /* DIE offset of the function, 0 for a symbol
	                       * without DWARF; of the DW_TAG_inlined_subroutine
	                       * for an inlined instance */
	uint64_t outer_die;   /* inlined: the concrete function it is inlined
	                       * into (its frame base); 0 otherwise */
	bool is_stmt;
	bool inlined;         /* an inlined instance: no calling convention */
} DwSite;

/* Open `path` (kept for the session).  NULL with a message in err when it
 * is no readable ELF file. */
DwFile *dw_open(Session *s, const char *path, char *err, size_t errlen);
/* dw_open for a kernel image: its values live in kernel memory. */
DwFile *dw_open_kernel(Session *s, const char *path, char *err, size_t errlen);
/* Where a kernel image's addresses are at run time: KASLR's slide, added
 * to the static addresses of its variables. */
void dw_set_slide(DwFile *f, int64_t slide);
/* Close every file dw_open opened (session_fini). */
void dw_free(Session *s);
const char *dw_path(const DwFile *f);
struct Elf *dw_elf(const DwFile *f);
bool dw_is_pie(const DwFile *f);   /* ET_DYN: loaded at a bias */
bool dw_has_debuginfo(const DwFile *f);
/* The functions whose names match glob `pat` (declared in a file matching
 * glob `file` and at line `line` when those are not NULL / 0), by name;
 * symbols without DWARF too.  The count, sites in *out (arena). */
int dw_functions(DwFile *f, const char *pat, const char *file, int line, Arena *a, DwSite **out);
/* The statements at file:line (or the first line after) in the functions
 * matching `func`; the count, sites in *out. */
int dw_statements(DwFile *f, const char *func, const char *file, int line, Arena *a, DwSite **out);
/* The inlined instances of the functions matching glob `pat` (declared in
 * a file matching `file`, at `line`, when not NULL / 0): one site per
 * DW_TAG_inlined_subroutine, at its entry pc, as stap probes them.  The
 * count, sites in *out (the file's arena). */
int dw_inlined(DwFile *f, const char *pat, const char *file, int line, DwSite **out);
/* "f@file:line" as stap names a function; just "f" without DWARF. */
const char *dw_site_name(Arena *a, const DwSite *d);
/* Split "FUNC[@FILE[:LINE]]" (file NULL and line 0 when absent). */
void dw_split_spec(Arena *a, const char *spec, const char **func, const char **file, int *line);
/* The function symbol containing link-time address `addr` and the offset
 * of addr in it: false when no symbol covers it. */
bool dw_symbol_at(const DwFile *f, uint64_t addr, const char **name, uint64_t *off);
/* The file offset of link-time address `addr` (for the uprobe). */
bool dw_file_offset(const DwFile *f, uint64_t addr, uint64_t *off);
/* The link-time address of ELF symbol `name`. */
bool dw_symbol(const DwFile *f, const char *name, uint64_t *addr);
/* Call fn for each ELF note (owner "" when it has none) until it returns
 * false. */
void dw_each_note(struct Elf *elf, bool (*fn)(const char *owner, uint32_t type, const void *desc, size_t size, void *ctx),
                  void *ctx);
/* The GNU build id of an ELF file as hex (arena), or NULL. */
const char *dw_build_id(Arena *a, struct Elf *elf);
/* A GNU build-id note's descriptor as hex (arena). */
const char *dw_hex(Arena *a, const void *bytes, size_t n);
/* pt_regs offset of x86-64 DWARF register `regno`, or -1. */
int dw_reg_offset(int regno);

/* Resolve target node n ($x, $x->a[2], &$x, $$parms, $x$, $return) at
 * `site` into acc (ACC_DWARF).  0, or -1 after a diagnostic at n. */
int dw_target(Session *s, DwFile *f, const DwSite *site, bool is_return, Node *n, Access *acc);
/* -L: the variables in scope at site, stap's way ("$a:int $s:char const*"). */
const char *dw_list_vars(Session *s, DwFile *f, const DwSite *site, bool is_return);

/* ------------------------------------------------------------- kdwarf.c */

/* The kernel's DWARF for kernel.function probes: the vmlinux that
 * --kernel-debuginfo names, or the first of the usual places whose build
 * id is the running kernel's. */

/* Check the --kernel-debuginfo file now (the driver, before anything
 * else): 0, or -1 after printing why it cannot be used.  A file for
 * another kernel (its build id differs) is used, with a warning. */
int kdw_check_option(Session *s);
/* The kernel's DWARF, looked for on first use; NULL: none (BTF then). */
DwFile *kdw_get(Session *s);
/* Is kdw_get's file another kernel's (an explicit file whose build id is
 * not the running kernel's)?  Then the running kernel's facts (kprobes,
 * syscall tracepoints) do not reroute its functions. */
bool kdw_is_foreign(Session *s);
/* The build id of the running kernel (/sys/kernel/notes) as hex (arena);
 * NULL when there is none. */
const char *kdw_running_build_id(Arena *a);

/* ---------------------------------------- probes/uprobe.c, probes/usdt.c */

/* One process probe: where its uprobe goes (bpf_abi.h BSTAP_PROBE_UPROBE). */
typedef struct UprobeSite {
	DwFile *f;                /* the binary the uprobe is in */
	DwSite site;
	bool is_return;
	int pid;                  /* process(PID): that process only; 0 any */
	uint64_t offset;          /* file offset of the probed instruction */
	uint64_t semaphore;       /* file offset of an SDT semaphore, 0 none */
	const char *pp;           /* the concrete probe point, stap's spelling */
	const void *mark;         /* usdt.c: its SDT note */
} UprobeSite;

/* The binaries that process("PATH") or process(PID), with .library("LIB")
 * when comps[1] is "library", name: n files, each with the text of that
 * part of the probe point ("process(\"/bin/ls\")..."), and the PID of
 * process(PID) (0 otherwise). */
typedef struct UprobeBins {
	DwFile **f;
	const char **text;
	int n;
	int pid;
} UprobeBins;
/* Returns the index of the component after them, or -1 after a diagnostic
 * (n is 0 for an optional point that names nothing). */
int uprobe_binaries(Session *s, ProbeInst *inst, UprobeBins *b);
/* The binary of component k's point as the user spelled it (messages). */
const char *uprobe_spelled(Session *s, const ProbePoint *pp, int k);
/* Make one probe instance per site (inst itself is the last). */
void uprobe_expand(Session *s, ProbeInst *inst, void (*more)(Session *, ProbeInst *, const char *, void *),
                   UprobeSite **sites, int n);
const char *uprobe_section(const ProbeInst *inst, Arena *a);
const char *uprobe_attach_target(const ProbeInst *inst);

/* ------------------------------------------------------------- listing.c */

/* -l / -L: print the probe points matching `pattern`, one per line (with
 * their context variables for -L).  Returns 0, or 1 when nothing matched. */
int sema_list(Session *s, const char *pattern, bool with_vars, FILE *out);

/* ---------------------------------------------------------- elab_print.c */

/* -p2: the elaborated program in stap's layout. */
void elab_print(FILE *out, Session *s);

#endif
