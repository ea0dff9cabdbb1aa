/* bpf_abi.h - the contract between the compiler (bstap -p4) and the runtime
 * (bstap-run, and bstap's pass 5).
 *
 * A .bo is an ELF relocatable object for EM_BPF that libbpf opens as it is:
 * one section per kernel program, BTF-defined maps in ".maps", "license".
 * Everything else the runtime needs lives in one section, BSTAP_SEC_META,
 * laid out as below (little-endian, naturally aligned, offsets from the
 * start of the section).  The runtime includes only this header.
 */
#ifndef BSTAP_BPF_ABI_H
#define BSTAP_BPF_ABI_H

#include <stdint.h>

#define BSTAP_ABI_VERSION 1
#define BSTAP_META_MAGIC "BSTAPMD"   /* 8 bytes with the NUL */
#define BSTAP_SEC_META ".bstap.meta"

/* Names of the maps every object has. */
#define BSTAP_MAP_EVENTS "bstap_events"   /* BPF_MAP_TYPE_RINGBUF */
#define BSTAP_SEC_DATA ".data.globals"  /* global data map (see below) */
#define BSTAP_SEC_RODATA ".rodata.strings" /* read-only data: helper formats, regex tables */
#define BSTAP_MAP_SCRATCH "bstap_scratch" /* PERCPU_ARRAY, 1 entry: strings */

struct bstap_meta_hdr {
	char magic[8];
	uint32_t abi_version;
	uint32_t hdr_size;          /* sizeof(struct bstap_meta_hdr) */
	uint32_t nprobes, probes_off;     /* struct bstap_probe[] */
	uint32_t nformats, formats_off;   /* struct bstap_format[] */
	uint32_t nfargs, fargs_off;       /* struct bstap_farg[] */
	uint32_t nglobals, globals_off;   /* struct bstap_global[] */
	uint32_t nsrcpos, srcpos_off;     /* struct bstap_srcpos[] */
	uint32_t nerrors, errors_off;     /* struct bstap_errsite[] */
	uint32_t nmaps, maps_off;         /* struct bstap_map[] (by map index) */
	uint32_t nuprogs, uprogs_off;     /* struct bstap_uprog[] */
	uint32_t nlines, lines_off;       /* uint32_t[]: per instruction of each kernel
	                                   * program, its srcpos index (or ~0) */
	uint32_t ninsns, insns_off;       /* struct bpf_insn[] of user-space probes */
	uint32_t strtab_off, strtab_len;  /* NUL-terminated strings */
	uint32_t globals_size;            /* value size of BSTAP_MAP_GLOBALS */
	uint32_t flags;                   /* BSTAP_HF_* */
	uint32_t scratch_size;            /* bytes of BSTAP_MAP_SCRATCH's value */
	uint32_t merge_cpus;              /* statistics read in kernel probes merge this
	                                   * many CPUs' copies (0: none are read there) */
	uint32_t maxstringlen;            /* MAXSTRINGLEN the object was compiled with */
	uint32_t reserved[1];
};

/* The programs read HZ or the namespaces' inodes (BSTAP_DATA_HZ ...): the
 * runtime finds them only then (/proc/config.gz, or a 100 ms measurement). */
#define BSTAP_HF_KINFO 0x1u

/* Strings are offsets into the string table. */
typedef uint32_t bstap_str;

enum bstap_probe_kind {
	BSTAP_PROBE_BEGIN = 1,   /* run once at start (test-run of a raw_tp prog) */
	BSTAP_PROBE_END,         /* run once at the end */
	BSTAP_PROBE_ERROR,       /* run at the end instead of END after an error */
	BSTAP_PROBE_TRACEPOINT,  /* target "subsys:event" */
	BSTAP_PROBE_KPROBE,      /* target "func", "module:func" or "func+0xOFF" (an
	                          * inlined instance), arg 1 for a return probe */
	BSTAP_PROBE_UPROBE,      /* target "off=0xOFF,ret=R,ref=0xREF,pid=PID,path=PATH":
	                          * the uprobe at file offset OFF of PATH (R 1: a
	                          * uretprobe), REF the file offset of an SDT
	                          * semaphore (0 none), PID 0 for target() */
	BSTAP_PROBE_TIMER,       /* arg = period in ns; target "cpus=one|all,period=NS"
	                          * [",random=NS": the period drawn once in NS-R..NS+R];
	                          * a software cpu-clock perf event */
	BSTAP_PROBE_PERF,        /* target "cpus=all,type=T,config=C,period=N" (or
	                          * ",freq=HZ"), arg = the period (0 with freq) */
	BSTAP_PROBE_RAW_TRACEPOINT, /* target "event": a raw tracepoint (typed arguments) */
};

/* begin, end and error probes run in the runtime's user-space executor
 * (runtime/uexec.c), not in the kernel: their bytecode is in this section
 * (struct bstap_uprog), and prog names no ELF program. */
struct bstap_probe {
	uint32_t kind;           /* enum bstap_probe_kind */
	bstap_str prog;          /* name of the program in the ELF ("" for user-space probes) */
	bstap_str target;        /* what to attach to (see kind) */
	bstap_str pp;            /* the probe point as the user wrote it */
	int64_t arg, arg2, arg3; /* kind-specific (begin/end: the order N) */
	uint32_t flags;          /* BSTAP_PF_* */
	uint32_t uprog;          /* user-space probes: index of its struct bstap_uprog */
	uint32_t lines;          /* kernel probes: first entry of its instructions in
	                          * the lines table */
	uint32_t ninsns;         /* kernel probes: its number of instructions */
};

#define BSTAP_PF_OPTIONAL 1u    /* '?': a failure to attach is not an error */
#define BSTAP_PF_USER 2u        /* a timer run by the user-space executor (its
                                 * uprog) every arg ns, instead of a perf event */

/* A map of the object, by the index that user-space bytecode uses in
 * ld_imm64 (src_reg BPF_PSEUDO_MAP_IDX / BPF_PSEUDO_MAP_IDX_VALUE). */
struct bstap_map {
	bstap_str name;          /* as libbpf names it (bpf_map__name) */
	uint32_t type;           /* BPF_MAP_TYPE_* (0 for the global data map) */
	uint32_t key_size, value_size, max_entries;
	uint32_t reserved;
};

/* The bytecode of one user-space probe: insns[first .. first + n). */
struct bstap_uprog {
	uint32_t first, n;
};

/* Helpers only the user-space executor has (the kernel would refuse these
 * numbers).  Arguments in r1..r5, result in r0, like BPF helpers. */
enum bstap_uhelper {
	/* r1 = map, r2 = sort column (0 none, -1 value, k key k), r3 = +1/-1,
	 * r4 = limit (< 0 none), r5 = for arrays of statistics, the enum
	 * bstap_stat_op the value sorts by: a handle to a sorted snapshot */
	BSTAP_UH_FOREACH_START = 0x10000,
	/* r1 = handle, r2 = key buffer, r3 = value buffer: 1 and the next
	 * element copied out, or 0 at the end */
	BSTAP_UH_FOREACH_NEXT,
	/* r1 = map: delete every element */
	BSTAP_UH_DELETE_ALL,
	/* r1 = map, r2 = key (or any pointer for a scalar), r3 = enum
	 * bstap_stat_op, r4 = where to store the result: 0, or -1 when the
	 * statistic is empty (stap's "empty aggregate" error) */
	BSTAP_UH_STAT,
	/* r1 = map, r2 = key, r3 = the global's index: print its histogram */
	BSTAP_UH_PRINT_HIST,
	/* r1 = destination, r2 = its size, r3 = format index, r4 = payload
	 * (laid out as a printf record's): sprintf */
	BSTAP_UH_SPRINTF,
	/* r1 = destination, r2 = its size, r3 = enum bstap_sym_kind, r4 =
	 * the address, or for the stack kinds a string of addresses, r5 = the
	 * process of user-space addresses (0: unknown, the runtime looks in
	 * the processes it knows): the text, symbolised (tapsets/stack.stp) */
	BSTAP_UH_SYM,
};

/* Symbolisation (runtime/symbols.c): what an address or a string of them
 * becomes.  The letters also name the kinds in symbol tokens (below). */
enum bstap_sym_kind {
	BSTAP_SYM_NAME = 'N',        /* kernel: symname(): "vfs_read", else "0x..." */
	BSTAP_SYM_DATA = 'D',        /* kernel: symdata(): "vfs_read+0x0/0x190 [kernel]" */
	BSTAP_SYM_STACK = 'S',       /* kernel: sprint_stack() of a string of addresses:
	                              * " ADDR : " symdata "\n" per address */
	BSTAP_SYM_BACKTRACE = 'B',   /* kernel: sprint_backtrace() of a string of addresses:
	                              * "vfs_read+0x0 [kernel]\n" per address */
	BSTAP_SYM_LINE = 'L',        /* kernel: symline(): "123" (the source line), else "0x..." */
	BSTAP_SYM_FILE = 'F',        /* kernel: symfile(): the source file, else "0x..." */
	BSTAP_SYM_FILELINE = 'W',    /* kernel: symfileline(): "FILE:LINE", else "0x..." */
	BSTAP_SYM_MOD = 'M',         /* kernel: modname(): "kernel", a module, else "" */
	BSTAP_SYM_UNAME = 'n',       /* the same for user-space addresses (umodname():
	                              * the mapped file's path, else "<unknown>") */
	BSTAP_SYM_UDATA = 'd',
	BSTAP_SYM_USTACK = 's',
	BSTAP_SYM_UBACKTRACE = 'b',
	BSTAP_SYM_ULINE = 'l',
	BSTAP_SYM_UFILE = 'f',
	BSTAP_SYM_UFILELINE = 'w',
	BSTAP_SYM_UMOD = 'm',
};

/* What BSTAP_UH_STAT computes, over every CPU. */
enum bstap_stat_op {
	BSTAP_SOP_COUNT, BSTAP_SOP_SUM, BSTAP_SOP_MIN, BSTAP_SOP_MAX, BSTAP_SOP_AVG, BSTAP_SOP_VARIANCE,
};

/* One printf/print format: the format text and its arguments. */
struct bstap_format {
	bstap_str fmt;           /* a stap printf format, e.g. "%s sends %d\n" */
	uint32_t nargs;
	uint32_t farg0;          /* index of the first struct bstap_farg */
	uint32_t size;           /* payload bytes after the record header */
};

enum bstap_farg_kind {
	BSTAP_FARG_LONG = 1,     /* 8 bytes, signed 64-bit */
	BSTAP_FARG_STRING,       /* `size` bytes, NUL-terminated unless full */
};

struct bstap_farg {
	uint32_t kind;
	uint32_t off;            /* offset in the payload */
	uint32_t size;
	uint32_t reserved;
};

/* A global variable: where it lives, for the end-of-run report. */
enum bstap_global_kind {
	BSTAP_GLOBAL_LONG = 1,   /* in the data map at off */
	BSTAP_GLOBAL_STRING,     /* in the data map at off, size bytes */
	BSTAP_GLOBAL_ARRAY,      /* a hash map named `map` */
	BSTAP_GLOBAL_STATS,      /* a statistic: value_kind of an array, or a
	                          * scalar in a per-CPU array map named `map` */
};

/* A statistic's per-CPU value (8-byte words), then its histogram buckets:
 * log histograms have BSTAP_HIST_LOG_BUCKETS (value 0 is bucket 64, v > 0
 * bucket 64 + bits(v), v < 0 bucket 64 - bits(-v)); linear ones
 * (hi - lo) / step + 3 (under, buckets, over). */
enum bstap_stat_word {
	BSTAP_STAT_COUNT, BSTAP_STAT_SUM, BSTAP_STAT_MIN, BSTAP_STAT_MAX, BSTAP_STAT_SUMSQ,
	BSTAP_STAT_HIST,
};
#define BSTAP_HIST_LOG_BUCKETS 128
enum bstap_hist_kind { BSTAP_HIST_NONE, BSTAP_HIST_LINEAR, BSTAP_HIST_LOG };

struct bstap_global {
	bstap_str name;
	uint32_t kind;           /* enum bstap_global_kind */
	uint32_t off;            /* scalars: offset in the data map value */
	uint32_t size;           /* scalars: bytes; arrays: value bytes */
	uint32_t flags;          /* BSTAP_GF_* */
	bstap_str map;           /* arrays: the map's name */
	uint16_t nkeys;          /* arrays: number of keys */
	uint16_t key_strings;    /* arrays: bit i set when key i is a string */
	uint32_t value_kind;     /* arrays: BSTAP_GLOBAL_LONG or _STRING */
	uint32_t key_size;       /* arrays: bytes of a key: 8 per long, MAXSTRINGLEN
	                          * (rounded to 8) per string, in order */
	uint32_t max_entries;    /* arrays */
	uint32_t hist;           /* statistics: enum bstap_hist_kind */
	uint32_t hist_buckets;
	int64_t hist_lo, hist_step; /* linear histograms */
};

#define BSTAP_GF_PRINT_AT_END 1u  /* written but never read: print at exit */

/* A source position (file:line:col) named by records and error sites. */
struct bstap_srcpos {
	bstap_str file;
	uint32_t line, col;
};

/* A place where a run-time error can happen: message and position. */
struct bstap_errsite {
	bstap_str msg;           /* "division by 0" */
	bstap_str near;          /* "operator '/'" or "" */
	uint32_t srcpos;         /* index into the srcpos table */
	uint32_t reserved;
};

/* ---- the global data map (".data", libbpf global data, mmapable): the
 * runtime's words first, then the script's globals at their offsets. */
#define BSTAP_DATA_LOST 0        /* u64: records lost (ring buffer full) */
#define BSTAP_DATA_TARGET 8      /* u64: target() (-c / -x) */
#define BSTAP_DATA_STATE 16      /* u64: enum bstap_state */
#define BSTAP_DATA_REALTIME 24   /* s64: CLOCK_REALTIME - CLOCK_MONOTONIC, ns */
#define BSTAP_DATA_STP_PID 32    /* u64: pid of the runtime (stp_pid()) */
#define BSTAP_DATA_TRUNCATED 40  /* u64: strings cut to MAXSTRINGLEN at run time */
#define BSTAP_DATA_UNOTES 48     /* u64[8]: what the last notes of user stacks were about
                                  * (pid ^ the top frame's build id), then u64: where the
                                  * next one goes (tapsets/stack.stp) */
#define BSTAP_DATA_NUNOTES 8
#define BSTAP_DATA_HZ 120        /* u64: the kernel's CONFIG_HZ (HZ()), 0 if unknown */
#define BSTAP_DATA_PIDNS 128     /* u64: inode of the pid namespace ns_pid() & co. see ids in */
#define BSTAP_DATA_USERNS 136    /* u64: inode of the user namespace of ns_uid() & co. */
#define BSTAP_DATA_GLOBALS 144

enum bstap_state {
	BSTAP_STATE_STARTING = 0, /* loaded and attached; begin probes running */
	BSTAP_STATE_RUNNING = 1,  /* kernel probes run only in this state */
	BSTAP_STATE_STOPPING = 2, /* exit() or the end of the run */
};

/* ---- ring-buffer records: a header, then the payload. */

enum bstap_rec_kind {
	BSTAP_REC_PRINTF = 1,    /* id = format index; payload = arguments */
	BSTAP_REC_EXIT,          /* exit() was called */
	BSTAP_REC_ERROR,         /* id = error site index; run-time error */
	BSTAP_REC_FULL,          /* id = global index: an update found its array full */
	BSTAP_REC_ERROR_MSG,     /* id = error site; payload: the message (error(msg)) */
	BSTAP_REC_WARN,          /* payload: the message of warn(msg) */
	BSTAP_REC_LOG,           /* payload: log(msg): printed with a newline unless it has one */
	BSTAP_REC_STACK,         /* id = BSTAP_STACK_* flags; payload: struct bstap_stack
	                          * (kernel stacks end after ips[]) */
	BSTAP_REC_STACK_STR,     /* id = BSTAP_STACK_* flags; payload: struct bstap_stack_str */
};

struct bstap_rec_hdr {
	uint16_t kind;           /* enum bstap_rec_kind */
	uint16_t reserved;
	uint32_t id;
};

/* ---- stacks and symbols (tapsets/stack.stp, runtime/symbols.c)
 *
 * Kernel probes capture stacks with bpf_get_stack and leave symbols to the
 * runtime, which reads /proc/kallsyms for kernel addresses and the ELF
 * symbol tables (.symtab, .dynsym) of a process's files for user-space
 * ones.  A user-space address means something only with the layout of its
 * process, which may have exited by the time it is printed, so user stacks
 * travel with the build id and file offset of each frame
 * (BPF_F_USER_BUILD_ID), and every process whose addresses a probe keeps
 * (ubacktrace(), uaddr(), usymname() ...) is described once to the runtime
 * by a note: a user stack record without BSTAP_STACK_PRINT, sent unless
 * one of the last notes (BSTAP_DATA_UNOTES) was about the same process
 * and the same file at the top of its stack.  From a note the runtime learns
 * where the process mapped each file (and reads /proc/PID/maps while it
 * lives), so that later addresses of that process still resolve. */
#define BSTAP_MAXBACKTRACE 20     /* frames kept, as stap's MAXBACKTRACE */

#define BSTAP_STACK_USER 1u       /* a user-space stack (else the kernel's) */
#define BSTAP_STACK_PRINT 2u      /* print it: print_backtrace(), print_stack() ... */
#define BSTAP_STACK_BRIEF 4u      /* with PRINT: "NAME+0xOFFSET" lines (print_ubacktrace_brief) */
#define BSTAP_STACK_FILELINE 8u   /* with PRINT: and " at FILE:LINE" (print_backtrace_fileline) */

/* One frame as bpf_get_stack gives it with BPF_F_USER_BUILD_ID (struct
 * bpf_stack_build_id). */
struct bstap_build_id_frame {
	int32_t status;           /* 1: build_id and offset valid; 2: ip only; 0: none */
	uint8_t build_id[20];
	uint64_t offset_or_ip;    /* the file offset (status 1), or the address */
};

struct bstap_stack {
	uint32_t pid;             /* the process (thread group) */
	int32_t nbytes;           /* bpf_get_stack's result for ips: bytes, or -errno */
	int32_t nbid;             /* the same for bids (user stacks) */
	uint32_t reserved;
	uint64_t ips[BSTAP_MAXBACKTRACE];
	struct bstap_build_id_frame bids[BSTAP_MAXBACKTRACE]; /* user stacks only */
};

/* print_stack(s), print_ustack(s): the string of hex addresses, as
 * backtrace() and ubacktrace() return them. */
struct bstap_stack_str {
	uint32_t pid;             /* user stacks: the process, 0 if unknown */
	uint32_t reserved;
	char addrs[];             /* MAXSTRINGLEN bytes (rounded up to 8) */
};

/* Symbol tokens.  A kernel probe cannot read user-space symbols, so there
 * usymname(), usymdata(), sprint_ustack() (and sprint_stack(), whose lines
 * do not fit a kernel helper) return a token that the runtime replaces by
 * its text wherever a string is printed (printf and print arguments,
 * log/warn/error messages):
 *
 *   BSTAP_SYMTOK_START KIND PID ':' ADDRESSES BSTAP_SYMTOK_END
 *
 * KIND an enum bstap_sym_kind letter, PID in hex, ADDRESSES "0x..." each
 * followed by a space (a token cut by MAXSTRINGLEN loses its last,
 * incomplete one).  Such a string compares, and has a length, as the
 * token, not as the text. */
#define BSTAP_SYMTOK_START '\x01'
#define BSTAP_SYMTOK_END '\x02'

#endif
