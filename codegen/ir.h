/* ir.h - the back end's data model: IR, lowering, register allocation, BPF
 * emission and the ELF writer.
 *
 * The IR is a flat array of real BPF instructions whose registers may be
 * virtual (numbers >= IR_VREG0), plus a few pseudo instructions (labels,
 * map loads, jumps to labels).  Lowering (lower.c) walks the checked AST and
 * appends IR; regalloc.c maps virtual registers onto r0-r9 (spilling to the
 * stack when they run out); emit.c resolves labels and produces struct
 * bpf_insn plus relocations; elf_write.c writes the .bo with libelf.
 */
#ifndef BSTAP_IR_H
#define BSTAP_IR_H

#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bstap/bpf_abi.h"
#include "parser/parse.h"
#include "translate/sema.h"

typedef struct IrInsn IrInsn;
typedef struct IrFunc IrFunc;
typedef struct ElfProg ElfProg;
typedef struct ElfReloc ElfReloc;
typedef struct ElfMap ElfMap;
typedef struct ElfObject ElfObject;

/* ------------------------------------------------------------------- ir.c */

#define IR_VREG0 16        /* registers below are r0..r10 */
#define IR_NOREG (-1)
#define IR_FP 10           /* r10, the read-only frame pointer */

typedef enum {
	IRK_INSN,              /* a BPF instruction: code, dst, src, off, imm */
	IRK_JUMP,              /* a BPF_JMP instruction whose target is `label` */
	IRK_LABEL,             /* defines `label` */
	IRK_LDMAP,             /* dst = map `map` (ld_imm64 pseudo map fd) */
	IRK_LDMAPVAL,          /* dst = &map[0] + imm (ld_imm64 map value) */
	IRK_LDIMM64,           /* dst = imm (a 64-bit constant, two slots) */
	IRK_CALL_HELPER,       /* call helper imm with `off` arguments in r1..: clobbers r0-r5 */
} IrKind;

struct IrInsn {
	IrKind kind;
	uint8_t code;          /* BPF opcode (class | size/op | source) */
	int dst, src;          /* registers: 0..10 or virtual */
	int16_t off;
	int64_t imm;
	int label;             /* IRK_JUMP, IRK_LABEL */
	int map;               /* IRK_LDMAP, IRK_LDMAPVAL: index in the object's maps */
	int srcpos;            /* index into the object's source positions, -1 none */
};

/* One BPF program (a probe handler) under construction. */
struct IrFunc {
	const char *name;
	IrInsn *v;
	int n, cap;
	int nvregs;            /* next virtual register is IR_VREG0 + nvregs */
	int nlabels;
	int stack;             /* bytes of stack used below r10 (positive) */
	int cur_srcpos;        /* attached to each emitted instruction */
	Arena *arena;
};

IrFunc *ir_func_new(Arena *a, const char *name);
int ir_vreg(IrFunc *f);
int ir_label(IrFunc *f);
/* Reserve `size` bytes of stack aligned to 8; returns the (negative) offset
 * from r10, or 0 when the 512-byte limit would be passed. */
int ir_stack_alloc(IrFunc *f, int size);

/* Append an instruction at the current source position (ir_append keeps
 * the one `in` carries). */
IrInsn *ir_emit(IrFunc *f, IrInsn in);
IrInsn *ir_append(IrFunc *f, IrInsn in);
void ir_emit_mov(IrFunc *f, int dst, int src);
void ir_emit_movi(IrFunc *f, int dst, int64_t imm);         /* any 64-bit value */
void ir_emit_alu(IrFunc *f, int op, int dst, int src);       /* op: BPF_ADD ... */
void ir_emit_alui(IrFunc *f, int op, int dst, int32_t imm);
void ir_emit_ldx(IrFunc *f, int size, int dst, int src, int16_t off);
void ir_emit_stx(IrFunc *f, int size, int dst, int16_t off, int src);
void ir_emit_st(IrFunc *f, int size, int dst, int16_t off, int32_t imm);
void ir_emit_atomic_add(IrFunc *f, int dst, int16_t off, int src);
void ir_emit_jmp(IrFunc *f, int op, int dst, int src, int label);  /* op: BPF_JEQ ... */
void ir_emit_jmpi(IrFunc *f, int op, int dst, int32_t imm, int label);
void ir_emit_ja(IrFunc *f, int label);
void ir_emit_label(IrFunc *f, int label);
/* A helper call taking nargs arguments already moved into r1..r5. */
void ir_emit_call(IrFunc *f, int helper, int nargs);
int ir_emit_call_result(IrFunc *f, int helper, int nargs);
void ir_emit_exit(IrFunc *f);
void ir_emit_ldmap(IrFunc *f, int dst, int map);
void ir_emit_ldmapval(IrFunc *f, int dst, int map, int32_t off);

void ir_dump(FILE *out, const IrFunc *f);

/* ------------------------------------------------------------ elf_write.c */

struct ElfProg {
	const char *name;      /* the function symbol: probe_0 ... */
	const char *section;   /* "tracepoint/syscalls/sys_enter_kill", ... */
	struct bpf_insn *insns;
	int ninsns;
	ElfReloc *relocs;
	int nrelocs;
	int *srcpos;           /* per instruction, -1 none (for line info) */
};

/* A map.  Maps of kind ELF_MAP_DATA are libbpf "global data": the section
 * `name` (".data") holds `init` (value_size bytes); programs address it with
 * IRK_LDMAPVAL.  All others are BTF-defined maps in ".maps". */
struct ElfMap {
	const char *name;
	enum { ELF_MAP_BTF, ELF_MAP_DATA } kind;
	uint32_t type;         /* BPF_MAP_TYPE_* (ELF_MAP_BTF) */
	uint32_t key_size, value_size, max_entries, flags;
	const void *init;      /* ELF_MAP_DATA: initial contents, or NULL (zeros) */
};

struct ElfObject {
	ElfProg *progs;
	int nprogs;
	ElfMap *maps;
	int nmaps;
	const void *meta;      /* the BSTAP_SEC_META blob */
	size_t metalen;
};

/* Write `obj` as an ELF relocatable object to fd.  Returns 0, or -1 with a
 * message in err. */
int elfw_write(int fd, const ElfObject *obj, char *err, size_t errlen);

/* ------------------------------------------------- compile.c, lower.c, asm.c */

/* The object being built: maps, printf formats, error sites, positions. */
typedef struct CgFormat {
	const char *fmt;
	struct bstap_farg *args;
	int nargs;
	uint32_t size;             /* payload bytes */
} CgFormat;

typedef struct CgErrSite {
	const char *msg, *near;
	SrcLoc loc;
} CgErrSite;

typedef struct CgObject {
	Session *s;
	Arena *a;
	ElfMap *maps;
	int nmaps, capmaps;
	int map_events, map_scratch, map_data;
	int map_rodata;            /* constant strings for kernel helpers, -1 until needed */
	char *rodata;              /* its contents */
	uint32_t rodata_len, rodata_cap;
	CgFormat *formats;
	int nformats, capformats;
	CgErrSite *errs;
	int nerrs, caperrs;
	SrcLoc *srcpos;
	int nsrcpos, capsrcpos;
	uint32_t data_size;        /* bytes of the global data map's value */
	uint32_t scratch_size;     /* largest per-CPU scratch any probe needs */
	uint32_t merge_cpus;       /* CPUs a kernel-side statistics read merges */
	uint32_t flags;            /* the metadata header's BSTAP_HF_* */
	ElfProg *progs;            /* kernel programs (ELF sections) */
	int nprogs;
	struct bstap_probe *probes; /* the probe table: kernel and user space */
	int nprobes;
	const char **probe_strs;   /* prog, target, pp for each probe, as C strings */
	struct bpf_insn *uinsns;   /* bytecode of user-space probes */
	int nuinsns, capuinsns;
	struct bstap_uprog *uprogs;
	int nuprogs, capuprogs;
} CgObject;

/* Does this probe run in the runtime's user-space executor? */
bool cg_is_user_probe(const ProbeInst *inst);


/* Add a map to the object; its index. */
int cg_add_map(CgObject *o, ElfMap m);

/* Compile every probe of the resolved program into obj.  0 or -1. */
int cg_compile(Session *s, CgObject *obj);
/* Lower one probe instance into a new IrFunc (before allocation). */
IrFunc *lower_probe(CgObject *o, ProbeInst *inst, const char *name);
int cg_srcpos(CgObject *o, const SrcLoc *loc);
int cg_errsite(CgObject *o, const char *msg, const char *near, const SrcLoc *loc);

/* Embedded BPF assembly of tapset functions (asm.c).  `names` are the
 * function's parameters, `vregs` where their values are; "$$" is `result`
 * (for a string function: the pointer to its result buffer). */
typedef struct AsmEnv {
	IrFunc *f;
	const char *const *names;
	const int *vregs;
	int n;
	int result;
	const SrcLoc *loc;         /* the function's position, for errors */
	int data_map;              /* the object's global data map, for lddata */
	uint32_t *hdr_flags;       /* the object's BSTAP_HF_* (lddata of kernel facts), or NULL */
	int maxstringlen;          /* MAXSTRINGLEN rounded up to 8 */
	/* A new register pointing at `size` fresh bytes of per-CPU scratch
	 * memory (a map value: readable and writable), for temporary buffers. */
	int (*scratch)(void *ctx, int size);
	void *ctx;
	/* Emit code that raises run-time error `msg` at the call being
	 * expanded (as emit_error: the handler stops, error probes run).
	 * NULL: asm_lower refuses code that raises errors. */
	void (*error)(void *ctx, const char *msg);
	const SrcLoc *call_loc;    /* the call being expanded, or NULL */
	bool guru;                 /* -g: bodies marked guru may expand */
	Session *session;          /* for the kernel's BTF (btf.c); NULL: asm.c loads it */
	/* Where the code runs, for ".if" (asm.c): in the user-space executor
	 * (begin/end/error probes), or in a kernel program of this BPF program
	 * type (BPF_PROG_TYPE_*) for this kind of probe (enum bstap_probe_kind). */
	bool user;
	int prog_type, probe_kind;
	int ctx_reg;               /* the register holding the program's context ($ctx), 0: none */
	int events_map;            /* the ring buffer (ldmap ..., events), -1: none */
	/* Put NUL-terminated s in the object's read-only data (for helpers
	 * that want a constant string, such as bpf_snprintf's format): its
	 * offset, and the map in *map.  NULL: ldstr is refused. */
	int (*rodata)(void *ctx, const char *s, int *map);
} AsmEnv;

int asm_lower(AsmEnv *env, const char *code);
/* BPF helper number by name ("get_current_pid_tgid"), or -1. */
int asm_helper_id(const char *name);

/* -------------------------------------------------------- meta_write.c */

/* Serialise the .bstap.meta blob for obj (bpf_abi.h).  Arena memory. */
void *meta_build(CgObject *o, size_t *len);

/* ---------------------------------------------------------------- prune.c */

/* Remove unreachable instructions and jumps to the next instruction. */
void ir_prune(IrFunc *f);

/* ------------------------------------------------------------- regalloc.c */

/* Replace every virtual register by r0..r9.  Values live across a helper
 * call go to r6..r9 or to stack slots; explicit uses of r0..r5 (call
 * arguments and results) are respected.  Returns 0, or -1 after a
 * diagnostic (e.g. the stack would pass 512 bytes). */
int ra_allocate(IrFunc *f, const SrcLoc *where);

/* ----------------------------------------------------------------- emit.c */

struct ElfReloc {
	int insn;              /* index of the ld_imm64 instruction */
	int map;               /* index into the object's maps */
};

/* Lower the allocated IR to BPF: labels to offsets (range-checked), pseudo
 * instructions to ld_imm64 pairs with map relocations. */
int bpf_emit(const IrFunc *f, ElfProg *out, Arena *a, const SrcLoc *where);

#endif
