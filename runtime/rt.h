/* rt.h - the runtime: output buffers, the printf engine, object loading,
 * the event loop and the run driver.
 *
 * The runtime links only libbpf and libelf and includes no compiler header:
 * everything it knows about a program comes from the .bo (bpf_abi.h).
 * bstap-run is this layer plus a main(); bstap's pass 5 calls rt_run().
 */
#ifndef BSTAP_RT_H
#define BSTAP_RT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/bpf.h>

#include "bstap/bpf_abi.h"

/* --------------------------------------------------------------- outbuf.c */

/* A growable byte buffer that is written to an fd in one go.  A zeroed
 * OutBuf is empty and ready.  Once anything was written, p[len] is a NUL
 * that is not part of the content, so p reads as a C string when the
 * content holds no NUL bytes.  Growth doubles; running out of memory (or a
 * size that would overflow) prints a message and aborts, as these calls
 * sit in the per-event path and have no way to report failure. */
typedef struct OutBuf {
	char *p;
	size_t len, cap;
} OutBuf;

void ob_putc(OutBuf *b, char c);
void ob_write(OutBuf *b, const void *data, size_t n);
void ob_puts(OutBuf *b, const char *s);
void ob_printf(OutBuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Make room for n more bytes and return where they go (p + len).  The
 * caller writes at most n bytes there and then calls ob_commit with the
 * count it wrote; nothing else may touch b in between. */
char *ob_reserve(OutBuf *b, size_t n);
void ob_commit(OutBuf *b, size_t n);
/* Write everything to fd and empty the buffer; -errno on a write error.
 * Writes are retried on EINTR and continued after partial writes.  On an
 * error the bytes not yet written stay in the buffer (moved to the front),
 * so the caller may retry or drop them (b->len = 0). */
int ob_flush(OutBuf *b, int fd);
/* Free the memory and leave b empty and reusable; NULL is ignored. */
void ob_free(OutBuf *b);

/* ------------------------------------------------------------------ fmt.c */

/* The printf engine, shared by the compiler (to check a format against its
 * arguments) and the runtime (to format records).  It implements stap's
 * conversions: %d %i %u %x %X %o %s %c %p %b %m %M %%, with flags - + space
 * # 0, width, precision and '*' for either; length modifiers (l, ll, h, hh,
 * L, z, j, t) are accepted and ignored, as values are always 64-bit.
 *
 * Output matches stap's kernel runtime (runtime/vsprintf.c), which differs
 * from C's printf in a few corners:
 *  - '#' always adds its prefix: %#x of 0 is "0x0", %#o of 0 is "00";
 *  - '0' pads with zeros even when a precision is given (%08.3d -> 00000005),
 *    and a precision of 0 still prints the digit 0;
 *  - %p is %#x of the 64-bit value: "0x" then lower-case hex, without
 *    leading zeros unless a precision asks; width (and '0', '-') apply to
 *    the whole field: %020p -> 0x000000000000001234;
 *  - %c prints the low byte, padded with spaces even with '0'; %#c escapes
 *    it C-style (\n, \', \\) or as three octal digits when it is not
 *    printable ASCII;
 *  - %s stops at the first NUL; %m copies raw bytes, NULs included, and %M
 *    prints them as two lower-case hex digits each; both take
 *    precision bytes (default 1, also for a precision <= 0), but never more
 *    than the argument holds; width pads with spaces;
 *  - the '0' flag on %s, %m or %M appends one NUL byte after the field;
 *  - %b writes the value's bytes in host order (little-endian on every
 *    target bstap runs on): precision picks 1, 2, 4 or 8 bytes, width is the
 *    field size padded with NUL bytes ('-' pads after); a missing or
 *    invalid precision is taken from the width when that is 1, 2, 4 or 8,
 *    else 8, and a missing width equals the byte count;
 *  - a negative '*' width means '-' and its absolute value; a negative '*'
 *    precision counts as 0.
 * Width and precision are limited to FMT_WIDTH_MAX: fmt_scan rejects larger
 * literals, and '*' values are clamped to it at run time. */

#define FMT_WIDTH_MAX 1000000

typedef enum {
	FMT_ARG_LONG,      /* a 64-bit signed value (also for '*') */
	FMT_ARG_STRING,    /* a string (%s), or raw bytes (%m, %M) */
} FmtArgKind;

typedef struct FmtArg {
	FmtArgKind kind;
	int64_t l;
	const char *s;     /* FMT_ARG_STRING: bytes, not necessarily NUL-ended */
	size_t slen;
} FmtArg;

/* What fmt_scan reports for each argument a format consumes, in order. */
typedef struct FmtConv {
	FmtArgKind kind;   /* what the argument must be */
	char conv;         /* the conversion letter, or '*' for a width/precision */
	size_t pos;        /* byte offset of the '%' in the format */
} FmtConv;

/* Scan `fmt`: store up to `max` conversions in `convs` and return how many
 * arguments it consumes, or -1 with a message (and the offending byte
 * offset in *errpos) for a malformed format such as "%q" or a trailing '%'.
 * The count covers every argument even when it exceeds `max`, so
 * fmt_scan(fmt, NULL, 0, ...) counts.  err/errpos may be NULL. */
int fmt_scan(const char *fmt, FmtConv *convs, int max, char *err, size_t errlen, size_t *errpos);

/* Format into `out`.  Arguments beyond nargs format as 0 / "" (the compiler
 * guarantees they match); so does an argument of the wrong kind.  Never
 * fails: text that fmt_scan would reject is copied through unchanged. */
void fmt_format(OutBuf *out, const char *fmt, const FmtArg *args, int nargs);

/* ----------------------------------------------------------------- meta.c */

/* The .bstap.meta section of an object, checked and indexed. */
typedef struct RtMeta {
	const struct bstap_meta_hdr *hdr;
	const struct bstap_probe *probes;
	const struct bstap_format *formats;
	const struct bstap_farg *fargs;
	const struct bstap_global *globals;
	const struct bstap_srcpos *srcpos;
	const struct bstap_errsite *errors;
	const struct bstap_map *maps;
	const struct bstap_uprog *uprogs;
	const struct bpf_insn *insns;
	const uint32_t *lines;
	const char *strtab;
	uint32_t strtab_len;
} RtMeta;

/* Format a printf record's payload (or sprintf's) with format f. */
void rt_format_payload(OutBuf *out, const RtMeta *m, const struct bstap_format *f, const char *payload);

/* Validate the blob (bounds of every table and string).  0 or -1 + err. */
int meta_parse(RtMeta *m, const void *blob, size_t len, char *err, size_t errlen);
const char *meta_str(const RtMeta *m, bstap_str s);

/* ----------------------------------------------------------------- hist.c */

/* Merge ncpus per-CPU copies of a statistic (value_size bytes each, rounded
 * up to 8 as the kernel lays them out) into out (BSTAP_STAT_HIST +
 * nbuckets words). */
void stat_merge(const char *percpu, int ncpus, uint32_t value_size, int nbuckets, int64_t *out);
/* @count ... @variance (enum bstap_stat_op) of a merged statistic; false
 * when it is empty and the operation needs a value (min, max, avg, ...). */
bool stat_value(const int64_t *s, int op, int64_t *out);
/* print(@hist_*(x)) of a merged statistic, in stap's layout. */
void stat_print_hist(OutBuf *out, const int64_t *s, const struct bstap_global *g);

/* --------------------------------------------------------------- report.c */

struct bpf_object;
/* Print the globals written but never read, as stap does at the end. */
void rt_report_globals(OutBuf *out, const RtMeta *meta, struct bpf_object *obj, const char *data);

/* -------------------------------------------------------------- symbols.c */

/* Addresses to symbols for backtraces and symname() & co. (bpf_abi.h,
 * "stacks and symbols"): kernel ones from /proc/kallsyms, user-space ones
 * from the ELF symbols of the files each process mapped.  The caches are
 * the process's (one run at a time) until sym_reset. */

/* A file the probes are about (a uprobe's binary, the -c command): it and
 * the libraries it needs are where build ids are looked for first. */
void sym_add_file(const char *path);
/* target(): tried first for user-space addresses of no known process. */
void sym_set_target(uint32_t pid);
/* A BSTAP_REC_STACK record (flags: its id): learn the process's layout
 * from it, and print it (as print_backtrace) when it asks. */
void sym_stack_record(OutBuf *out, uint32_t flags, const void *payload, size_t size);
/* A BSTAP_REC_STACK_STR record: print_stack() / print_ustack(). */
void sym_stack_str_record(OutBuf *out, uint32_t flags, const void *payload, size_t size);
/* The text of enum bstap_sym_kind `kind`: of addr (name, data kinds) or of
 * the string of addresses s[0..n) (stack, backtrace kinds); pid: the
 * process of user-space addresses, 0 if unknown. */
void sym_text(OutBuf *out, int kind, uint32_t pid, uint64_t addr, const char *s, size_t n);
/* Does s[0..n) hold a symbol token?  sym_expand writes s[0..n) to out with
 * each token replaced by its text. */
bool sym_has_token(const char *s, size_t n);
void sym_expand(OutBuf *out, const char *s, size_t n);
void sym_reset(void);

/* ---------------------------------------------------------------- kinfo.c */

/* The running kernel's CONFIG_HZ (its configuration, else measured), 0 if
 * unknown. */
long rt_kernel_hz(void);
/* The inode of namespace kind ("pid", "user") of process pid (<= 0: of
 * this process), 0 if it cannot be read. */
uint64_t rt_namespace_inode(int pid, const char *kind);

/* ---------------------------------------------------------------- lines.c */

/* The source position of virtual address vaddr of the ELF file path, from
 * its DWARF line table, else from that of debug_path (its separate debug
 * file; may be NULL): true with *file (NULL if unknown; valid until
 * lines_reset) and *line (0 if unknown), false when no line table covers
 * vaddr. */
bool line_find(const char *path, const char *debug_path, uint64_t vaddr, const char **file, int *line);
void lines_reset(void);

/* ---------------------------------------------------------------- uexec.c */

/* What the user-space executor runs against. */
typedef struct UxEnv {
	const RtMeta *meta;
	const int *map_fds;       /* by map index */
	char *scratch;            /* stands for the per-CPU scratch map */
	size_t scratch_size;
	char *data;               /* the mmaped global data map */
	size_t data_len;
	const char *rodata;       /* the read-only data map's contents, or NULL */
	size_t rodata_len;
	int rodata_map;           /* its map index, -1 none */
	/* a ring-buffer record the program submitted */
	int (*record)(void *ctx, void *data, size_t size);
	void *ctx;
	OutBuf *out;              /* where histograms print (in order with records) */
	int ncpus;                /* possible CPUs: per-CPU maps hold this many copies */
} UxEnv;

/* Run user-space program `uprog` of the object to its exit.  0, or -1 with
 * a message in err (a bad access, an unknown helper, a runaway loop). */
int ux_run(UxEnv *env, uint32_t uprog, char *err, size_t errlen);

/* --------------------------------------------------------------- attach.c */

#include <linux/bpf.h>

struct bpf_program;
struct bpf_link;

/* The links one probe made (a timer has one per CPU, a wildcard uprobe one
 * per address); all destroyed at the end. */
typedef struct RtLinks {
	struct bpf_link **v;
	int n, cap;
} RtLinks;

/* Keep a link (NULL is ignored); false when out of memory. */
bool rt_links_add(RtLinks *l, struct bpf_link *link);
void rt_links_destroy(RtLinks *l);

/* The BPF program type of a probe kind. */
enum bpf_prog_type rt_prog_type(uint32_t kind);
/* Attach one probe's loaded program, adding its links to `links`; begin,
 * end and error probes attach nothing (run.c fires them itself).  0, or -1
 * with a message in err. */
int rt_attach(const RtMeta *m, const struct bstap_probe *p, struct bpf_program *prog,
              RtLinks *links, char *err, size_t errlen);
/* The families, one file each (attach_<family>.c). */
int rt_attach_perf(const RtMeta *m, const struct bstap_probe *p, struct bpf_program *prog,
                   RtLinks *links, char *err, size_t errlen);
int rt_attach_kprobe(const RtMeta *m, const struct bstap_probe *p, struct bpf_program *prog,
                     RtLinks *links, char *err, size_t errlen);
int rt_attach_uprobe(const RtMeta *m, const struct bstap_probe *p, struct bpf_program *prog,
                     RtLinks *links, char *err, size_t errlen);

/* ------------------------------------------------------------------ run.c */

typedef struct RtOptions {
	const char *output;     /* -o FILE, or NULL for stdout */
	const char *command;    /* -c CMD */
	int target_pid;         /* -x PID */
	int timeout_s;          /* -T SECS, 0 none */
	int bufsize_mb;         /* -s MB: the ring buffer's size, 0 as compiled */
	int verbose;            /* -v count */
	int target_ns_pid;      /* --target-namespaces=PID, 0: the runtime's own */
	bool warnings;          /* print WARNING: lines (-w turns off) */
	char *const *argv0;     /* unused for now */
} RtOptions;

/* Take run option opt (-o -c -x -T -s -v -w) with its argument: 1 when it
 * was one, 0 when it is not a run option, -1 after an error message. */
int rt_option(RtOptions *ro, int opt, const char *arg);
/* The long options' codes for rt_option. */
enum { RT_OPT_TARGET_NS = 0x200 };

/* Load, attach and run an object held in memory (an ELF .bo image) until
 * exit(), the end of -c CMD, -T, or a signal; then run end probes, print
 * what is left and detach everything.  Returns the process exit status
 * (0 or 1).  `name` is used in messages. */
int rt_run(const void *obj, size_t len, const char *name, const RtOptions *opt);

/* Read a whole file into memory (for bstap-run).  NULL + errno. */
void *rt_read_file(const char *path, size_t *len);

/* Mount tracefs when it is missing and we are root; quiet on success. */
void rt_ensure_tracefs(void);

#endif
