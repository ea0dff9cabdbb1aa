/* sema.h - pass 2: the session, tapsets, probe providers, symbols and types.
 *
 * session.c   options and limits shared by every pass
 * tapset.c    tapset search path and loading
 * provider.c  the table of probe-point families (translate/probes/ *.c)
 * resolve.c   alias expansion, probe instances, symbols, functions
 * types.c     type inference over the whole program
 * tracefs.c   tracepoint format files (fields without kernel headers)
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
	} kind;
	int off, size;
	bool is_signed;
	const char *ctype;        /* the C type as the format gives it */
};

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
};

/* Resolve the whole program: expand aliases, find providers, build probe
 * instances, bind symbols and functions, then infer types.  0 or -1. */
int sema_resolve(Session *s);

/* Find a function by name and arity (NULL if none). */
FuncDecl *sema_find_func(Session *s, const char *name, int nargs);

/* ------------------------------------------------------------- provider.c */

/* A family of probe points (one file each in translate/probes/). */
struct Provider {
	const char *name;
	/* Does pp name this family?  (Just a check of the first component.) */
	bool (*matches)(const ProbePoint *pp);
	/* Check the point and fill inst (kind, pdata).  0, or -1 after a
	 * diagnostic.  May expand wildcards into several instances through
	 * `more` (called once per extra concrete point). */
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
};

const Provider *provider_find(const ProbePoint *pp);
extern const Provider provider_begin, provider_end, provider_error, provider_never;
extern const Provider provider_tracepoint;

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
/* Map a field to how stap types it: true and fill acc when readable. */
bool tracefs_field_access(const TpField *f, Access *acc);

/* ------------------------------------------------------------- listing.c */

/* -l / -L: print the probe points matching `pattern`, one per line (with
 * their context variables for -L).  Returns 0, or 1 when nothing matched. */
int sema_list(Session *s, const char *pattern, bool with_vars, FILE *out);

/* ---------------------------------------------------------- elab_print.c */

/* -p2: the elaborated program in stap's layout. */
void elab_print(FILE *out, Session *s);

#endif
