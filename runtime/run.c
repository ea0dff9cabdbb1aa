/* run.c - running an object: load, attach, begin, events, end, cleanup.
 *
 * Order (stap's): maps are created and programs loaded, kernel probes are
 * attached (they stay idle while the state word is STARTING), begin probes
 * run, the state becomes RUNNING, and records are formatted until exit(),
 * the end of -c CMD, -T, or a signal.  Then the state becomes STOPPING,
 * end probes run (error probes instead after a run-time error), the ring
 * buffer is drained and everything is closed.  Every program, link and map
 * belongs to the bpf_object and its links, so closing them on every path
 * leaves nothing behind in the kernel. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <wordexp.h>

#include "runtime/rt.h"

typedef struct Run {
	const RtOptions *opt;
	const char *name;
	RtMeta meta;
	void *meta_copy;
	struct bpf_object *obj;
	struct bpf_program **progs;   /* parallel to meta.probes */
	RtLinks links;                /* every probe's links */
	struct ring_buffer *rb;
	volatile uint64_t *data;      /* the mmaped global data map */
	size_t data_len;
	OutBuf out;
	int out_fd;
	bool stop;
	bool error;                   /* a run-time error happened */
	uint64_t warned_full;         /* arrays already reported full */
	UxEnv ux;                     /* the user-space executor (begin, end, error) */
	int *map_fds;                 /* by map index, for the executor */
	char *scratch;
	pid_t child;
	int child_go;                 /* pipe to release the -c child */
	int child_status;
	bool child_done;
	char *libbpf_log;             /* libbpf's messages, for diagnostics */
	size_t libbpf_log_len;
} Run;

static volatile sig_atomic_t got_signal;
static Run *log_run;

static void on_signal(int sig)
{
	got_signal = sig;
}

static void on_child(int sig)
{
	(void)sig; /* only to interrupt poll */
}

static void rt_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void rt_err(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("ERROR: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* libbpf's messages are kept, not printed: bstap says what went wrong in
 * its own words and shows the kernel's at -v. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!log_run)
		return 0;
	if (level == LIBBPF_DEBUG && log_run->opt->verbose < 3)
		return 0;
	/* whole: the verifier's log comes as one message, often past 4 KiB */
	char *buf = NULL;
	int n = vasprintf(&buf, fmt, ap);
	if (n < 0)
		return 0;
	if (log_run->opt->verbose >= 3)
		fputs(buf, stderr);
	char *nl = realloc(log_run->libbpf_log, log_run->libbpf_log_len + (size_t)n + 1);
	if (!nl) {
		free(buf);
		return 0;
	}
	memcpy(nl + log_run->libbpf_log_len, buf, (size_t)n + 1);
	free(buf);
	log_run->libbpf_log = nl;
	log_run->libbpf_log_len += (size_t)n;
	return 0;
}

/* ------------------------------------------------------------ output */

static void flush_out(Run *r)
{
	if (r->out.len && ob_flush(&r->out, r->out_fd) < 0 && !r->stop) {
		rt_err("cannot write output: %s", strerror(errno));
		r->stop = true;
		r->error = true;
	}
}

/* ERROR: MESSAGE near THING at FILE:LINE:COL; msg overrides the site's
 * message (error(msg) has a run-time one). */
static void report_error(Run *r, uint32_t id, const char *msg, size_t msglen)
{
	flush_out(r);
	if (id >= r->meta.hdr->nerrors) {
		rt_err("run-time error %u", id);
		return;
	}
	const struct bstap_errsite *e = &r->meta.errors[id];
	const char *near = meta_str(&r->meta, e->near);
	if (msg)
		fprintf(stderr, "ERROR: %.*s", (int)strnlen(msg, msglen), msg);
	else
		fprintf(stderr, "ERROR: %s", meta_str(&r->meta, e->msg));
	if (*near)
		fprintf(stderr, " near %s", near);
	if (e->srcpos < r->meta.hdr->nsrcpos) {
		const struct bstap_srcpos *p = &r->meta.srcpos[e->srcpos];
		fprintf(stderr, " at %s:%u:%u", meta_str(&r->meta, p->file), p->line, p->col);
	}
	fputc('\n', stderr);
}

/* The message of a warn/log/error record, its symbol tokens replaced. */
static void message_text(OutBuf *msg, const void *data, size_t size)
{
	const char *s = (const char *)data + sizeof(struct bstap_rec_hdr);
	sym_expand(msg, s, strnlen(s, size - sizeof(struct bstap_rec_hdr)));
}

static int on_record(void *ctx, void *data, size_t size)
{
	Run *r = ctx;
	struct bstap_rec_hdr h;
	if (size < sizeof h)
		return 0;
	memcpy(&h, data, sizeof h);
	switch (h.kind) {
	case BSTAP_REC_PRINTF:
		if (h.id < r->meta.hdr->nformats && size - sizeof h >= r->meta.formats[h.id].size)
			rt_format_payload(&r->out, &r->meta, &r->meta.formats[h.id], (const char *)data + sizeof h);
		break;
	case BSTAP_REC_EXIT:
		r->stop = true;
		break;
	case BSTAP_REC_FULL:
		/* once per array: the array's name and size say what to raise */
		if (h.id < r->meta.hdr->nglobals && h.id < 64 && !(r->warned_full & (1ull << h.id)) &&
		    r->opt->warnings) {
			const struct bstap_global *g = &r->meta.globals[h.id];
			r->warned_full |= 1ull << h.id;
			flush_out(r);
			fprintf(stderr, "WARNING: array '%s' is full (%u elements): updates are dropped "
			        "(raise it with global %s[N] or -D MAXMAPENTRIES=N)\n",
			        meta_str(&r->meta, g->name), g->max_entries, meta_str(&r->meta, g->name));
		}
		break;
	case BSTAP_REC_WARN:
		if (r->opt->warnings && size > sizeof h) {
			OutBuf msg = { 0 };
			message_text(&msg, data, size);
			flush_out(r);
			fprintf(stderr, "WARNING: %.*s\n", (int)msg.len, msg.p ? msg.p : "");
			ob_free(&msg);
		}
		break;
	case BSTAP_REC_LOG:
		if (size > sizeof h) {
			OutBuf msg = { 0 };
			message_text(&msg, data, size);
			ob_write(&r->out, msg.p ? msg.p : "", msg.len);
			if (!msg.len || msg.p[msg.len - 1] != '\n')
				ob_putc(&r->out, '\n');
			ob_free(&msg);
		}
		break;
	case BSTAP_REC_ERROR_MSG:
		if (!r->error && size > sizeof h) {
			OutBuf msg = { 0 };
			message_text(&msg, data, size);
			report_error(r, h.id, msg.p ? msg.p : "", msg.len);
			ob_free(&msg);
		}
		r->error = true;
		r->stop = true;
		break;
	case BSTAP_REC_STACK:
		/* print_backtrace(), print_ubacktrace(), and the notes of user
		 * stacks (symbols.c) */
		sym_stack_record(&r->out, h.id, (const char *)data + sizeof h, size - sizeof h);
		break;
	case BSTAP_REC_STACK_STR:
		sym_stack_str_record(&r->out, h.id, (const char *)data + sizeof h, size - sizeof h);
		break;
	case BSTAP_REC_ERROR:
		if (!r->error)
			report_error(r, h.id, NULL, 0);
		r->error = true;
		r->stop = true;
		break;
	default:
		break;
	}
	return 0;
}

/* ------------------------------------------------------------ loading */

/* The metadata section, found with libelf in the in-memory object. */
static int read_meta(Run *r, const void *image, size_t len)
{
	elf_version(EV_CURRENT);
	Elf *e = elf_memory((char *)image, len);
	if (!e) {
		rt_err("%s: not an ELF object: %s", r->name, elf_errmsg(-1));
		return -1;
	}
	size_t shstrndx;
	int rc = -1;
	if (elf_getshdrstrndx(e, &shstrndx) == 0) {
		for (Elf_Scn *scn = NULL; (scn = elf_nextscn(e, scn));) {
			GElf_Shdr sh;
			if (!gelf_getshdr(scn, &sh))
				break;
			const char *nm = elf_strptr(e, shstrndx, sh.sh_name);
			if (!nm || strcmp(nm, BSTAP_SEC_META))
				continue;
			Elf_Data *d = elf_getdata(scn, NULL);
			if (!d || !d->d_buf)
				break;
			/* keep an aligned copy that outlives the ELF handle */
			r->meta_copy = malloc(d->d_size + 1);
			if (!r->meta_copy)
				break;
			memcpy(r->meta_copy, d->d_buf, d->d_size);
			char err[256];
			if (meta_parse(&r->meta, r->meta_copy, d->d_size, err, sizeof err) < 0) {
				rt_err("%s: %s", r->name, err);
				break;
			}
			rc = 0;
			break;
		}
	}
	if (rc < 0 && !r->meta.hdr && !r->meta_copy)
		rt_err("%s: not a bstap object (no %s section)", r->name, BSTAP_SEC_META);
	elf_end(e);
	return rc;
}

/* The program that failed to load, named by libbpf's log. */
static void explain_load_failure(Run *r, int err)
{
	const char *log = r->libbpf_log ? r->libbpf_log : "";
	for (uint32_t i = 0; i < r->meta.hdr->nprobes; i++) {
		const struct bstap_probe *p = &r->meta.probes[i];
		char key[128];
		snprintf(key, sizeof key, "prog '%s': BPF program load failed", meta_str(&r->meta, p->prog));
		if (strstr(log, key)) {
			rt_err("the kernel's verifier rejected probe %s (program %s)", meta_str(&r->meta, p->pp),
			       meta_str(&r->meta, p->prog));
			/* the last instruction the verifier names: "123: (79) ..." */
			long last = -1;
			for (const char *q = log; (q = strchr(q, '\n')); q++) {
				char *end;
				long idx = strtol(q + 1, &end, 10);
				if (end != q + 1 && end[0] == ':' && end[1] == ' ' && end[2] == '(')
					last = idx;
			}
			if (last >= 0 && (uint32_t)last < p->ninsns) {
				uint32_t sp = r->meta.lines[p->lines + (uint32_t)last];
				if (sp < r->meta.hdr->nsrcpos) {
					const struct bstap_srcpos *sp_ = &r->meta.srcpos[sp];
					fprintf(stderr, "        at: %s:%u:%u (instruction %ld)\n",
					        meta_str(&r->meta, sp_->file), sp_->line, sp_->col, last);
				}
			}
			if (r->opt->verbose) {
				/* the verifier's last lines */
				const char *end = log + strlen(log);
				const char *start = end;
				for (int lines = 0; start > log && lines < 20; start--)
					if (start[-1] == '\n')
						lines++;
				fprintf(stderr, "%s", start);
			} else {
				fprintf(stderr, "(run with -v to see the verifier's messages)\n");
			}
			return;
		}
	}
	rt_err("cannot load %s: %s", r->name, strerror(-err));
	if (r->opt->verbose && *log)
		fprintf(stderr, "%s", log);
}

static bool is_user_probe(const struct bstap_probe *p)
{
	return p->kind == BSTAP_PROBE_BEGIN || p->kind == BSTAP_PROBE_END || p->kind == BSTAP_PROBE_ERROR ||
	       (p->flags & BSTAP_PF_USER);
}

static struct bpf_map *find_map(Run *r, const char *suffix)
{
	struct bpf_map *m;
	bpf_object__for_each_map(m, r->obj) {
		const char *nm = bpf_map__name(m);
		size_t n = strlen(nm), k = strlen(suffix);
		if (n >= k && !strcmp(nm + n - k, suffix))
			return m;
	}
	return NULL;
}

static int open_and_load(Run *r, const void *image, size_t len)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = "bstap");
	r->obj = bpf_object__open_mem(image, len, &oo);
	if (!r->obj) {
		rt_err("cannot open %s: %s", r->name, strerror(errno));
		return -1;
	}
	uint32_t n = r->meta.hdr->nprobes;
	r->progs = calloc(n + 1, sizeof *r->progs);
	if (!r->progs)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		const struct bstap_probe *p = &r->meta.probes[i];
		if (is_user_probe(p))
			continue; /* run by the user-space executor */
		r->progs[i] = bpf_object__find_program_by_name(r->obj, meta_str(&r->meta, p->prog));
		if (!r->progs[i]) {
			rt_err("%s: program %s is missing", r->name, meta_str(&r->meta, p->prog));
			return -1;
		}
		bpf_program__set_type(r->progs[i], rt_prog_type(p->kind));
	}
	/* -c / -x: target() is known before the programs load */
	struct bpf_map *data = find_map(r, BSTAP_SEC_DATA);
	if (!data) {
		rt_err("%s: no global data map", r->name);
		return -1;
	}
	size_t isz;
	const void *init = bpf_map__initial_value(data, &isz);
	if (init && isz >= BSTAP_DATA_GLOBALS) {
		uint64_t target = (uint64_t)(r->child ? r->child : r->opt->target_pid);
		char *copy = malloc(isz);
		if (!copy)
			return -1;
		memcpy(copy, init, isz);
		memcpy(copy + BSTAP_DATA_TARGET, &target, 8);
		/* HZ() and the namespaces ns_pid() & co. see ids in */
		bool kinfo = r->meta.hdr->flags & BSTAP_HF_KINFO; /* else not worth finding */
		uint64_t hz = kinfo ? (uint64_t)rt_kernel_hz() : 0;
		uint64_t pidns = rt_namespace_inode(r->opt->target_ns_pid, "pid");
		uint64_t userns = rt_namespace_inode(r->opt->target_ns_pid, "user");
		if (r->opt->target_ns_pid && (!pidns || !userns)) {
			rt_err("cannot read the namespaces of process %d", r->opt->target_ns_pid);
			free(copy);
			return -1;
		}
		memcpy(copy + BSTAP_DATA_HZ, &hz, 8);
		memcpy(copy + BSTAP_DATA_PIDNS, &pidns, 8);
		memcpy(copy + BSTAP_DATA_USERNS, &userns, 8);
		int e = bpf_map__set_initial_value(data, copy, isz);
		free(copy);
		if (e) {
			rt_err("%s: cannot set target(): %s", r->name, strerror(-e));
			return -1;
		}
	}
	if (r->opt->bufsize_mb) {
		/* -s: a power of two the kernel takes as a ring buffer size */
		uint32_t sz = 4096;
		while (sz < (uint32_t)r->opt->bufsize_mb << 20)
			sz <<= 1;
		struct bpf_map *ev = find_map(r, BSTAP_MAP_EVENTS);
		if (ev)
			bpf_map__set_max_entries(ev, sz);
	}
	int err = bpf_object__load(r->obj);
	if (err) {
		explain_load_failure(r, err);
		return -1;
	}
	/* libbpf 1.1 keeps its own copy: map the live value ourselves */
	r->data_len = (bpf_map__value_size(data) + 4095) & ~(size_t)4095;
	void *m = mmap(NULL, r->data_len, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(data), 0);
	if (m == MAP_FAILED) {
		rt_err("cannot map the global data of %s: %s", r->name, strerror(errno));
		return -1;
	}
	r->data = m;
	struct bpf_map *events = find_map(r, BSTAP_MAP_EVENTS);
	if (!events) {
		rt_err("%s: no event map", r->name);
		return -1;
	}
	r->rb = ring_buffer__new(bpf_map__fd(events), on_record, r, NULL);
	if (!r->rb) {
		rt_err("cannot read events: %s", strerror(errno));
		return -1;
	}
	/* the user-space executor reaches maps by their index in the object */
	uint32_t nm = r->meta.hdr->nmaps;
	r->map_fds = calloc(nm + 1, sizeof *r->map_fds);
	r->scratch = calloc(1, r->meta.hdr->scratch_size + 8);
	if (!r->map_fds || !r->scratch)
		return -1;
	int rodata_map = -1;
	const void *rodata = NULL;
	size_t rodata_len = 0;
	for (uint32_t i = 0; i < nm; i++) {
		const char *name = meta_str(&r->meta, r->meta.maps[i].name);
		struct bpf_map *bm = bpf_object__find_map_by_name(r->obj, name);
		r->map_fds[i] = bm ? bpf_map__fd(bm) : -1;
		/* the executor reads constants (regex tables) where libbpf keeps them */
		if (bm && !strcmp(name, BSTAP_SEC_RODATA)) {
			rodata = bpf_map__initial_value(bm, &rodata_len);
			rodata_map = rodata ? (int)i : -1;
		}
	}
	r->ux = (UxEnv){ .meta = &r->meta, .map_fds = r->map_fds, .scratch = r->scratch,
	                 .scratch_size = r->meta.hdr->scratch_size, .data = (char *)r->data,
	                 .data_len = r->meta.hdr->globals_size, .rodata = rodata, .rodata_len = rodata_len,
	                 .rodata_map = rodata_map, .record = on_record, .ctx = r,
	                 .out = &r->out, .ncpus = libbpf_num_possible_cpus() };
	return 0;
}

/* Run one user-space probe in the executor. */
static void run_user_probe(Run *r, uint32_t i)
{
	char err[256];
	if (ux_run(&r->ux, r->meta.probes[i].uprog, err, sizeof err) < 0) {
		flush_out(r);
		rt_err("in probe %s: %s", meta_str(&r->meta, r->meta.probes[i].pp), err);
		r->error = true;
		r->stop = true;
	}
}

/* Run begin, end or error probes in order of their N (stable). */
static void run_once_probes(Run *r, uint32_t kind)
{
	uint32_t n = r->meta.hdr->nprobes;
	bool *done = calloc(n + 1, 1);
	if (!done)
		return;
	for (;;) {
		int best = -1;
		for (uint32_t i = 0; i < n; i++) {
			const struct bstap_probe *p = &r->meta.probes[i];
			if (p->kind == kind && !done[i] && (best < 0 || p->arg < r->meta.probes[best].arg))
				best = (int)i;
		}
		if (best < 0)
			break;
		done[best] = true;
		/* after exit() in begin, the rest of begin does not run */
		if (kind == BSTAP_PROBE_BEGIN && (r->stop || r->error))
			break;
		run_user_probe(r, (uint32_t)best);
		/* an error in an end probe does not stop the other end probes */
		ring_buffer__consume(r->rb);
	}
	free(done);
	flush_out(r);
}

/* ------------------------------------------------------------ -c CMD */

static int start_child(Run *r)
{
	int go[2];
	if (pipe2(go, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		/* wait until the probes are in place, then become CMD */
		char c;
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(127);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		/* as stap: a plain command line is exec'ed itself (so that the
		 * traced process is the command), one with shell operators
		 * (| ; & < > ...) runs under /bin/sh */
		wordexp_t we;
		if (wordexp(r->opt->command, &we, WRDE_NOCMD) == 0 && we.we_wordc > 0) {
			char **argv = we.we_wordv;
			if (!strcmp(argv[0], "exec") && argv[1])
				argv++; /* "exec prog": what the shell would do */
			execvp(argv[0], argv);
			fprintf(stderr, "ERROR: cannot run %s: %s\n", argv[0], strerror(errno));
			_exit(127);
		}
		execl("/bin/sh", "sh", "-c", r->opt->command, (char *)NULL);
		_exit(127);
	}
	close(go[0]);
	r->child = pid;
	r->child_go = go[1];
	return 0;
}

static void release_child(Run *r)
{
	if (r->child_go > 0) {
		if (write(r->child_go, "g", 1) != 1) {
			/* the child is gone already; waitpid will say so */
		}
		close(r->child_go);
		r->child_go = -1;
	}
}

static void check_child(Run *r)
{
	if (!r->child || r->child_done)
		return;
	int st;
	if (waitpid(r->child, &st, WNOHANG) == r->child) {
		r->child_done = true;
		r->child_status = st;
		r->stop = true;
	}
}

/* ------------------------------------------------------------ the run */

/* What symbols.c should know before records arrive: target(), and the
 * files probed (uprobe targets) and run (-c), whose build ids user stacks
 * will name. */
static void symbol_sources(Run *r)
{
	sym_set_target((uint32_t)(r->child ? r->child : r->opt->target_pid));
	for (uint32_t i = 0; i < r->meta.hdr->nprobes; i++) {
		const char *t = meta_str(&r->meta, r->meta.probes[i].target);
		const char *path = r->meta.probes[i].kind == BSTAP_PROBE_UPROBE ? strstr(t, ",path=") : NULL;
		if (path)
			sym_add_file(path + 6);
	}
	if (r->opt->command) {
		wordexp_t we;
		if (wordexp(r->opt->command, &we, WRDE_NOCMD) == 0) {
			if (we.we_wordc > 0) {
				const char *cmd = we.we_wordv[0];
				if (!strcmp(cmd, "exec") && we.we_wordc > 1)
					cmd = we.we_wordv[1]; /* as start_child runs it */
				if (strchr(cmd, '/')) {
					sym_add_file(cmd);
				} else {
					/* as execvp finds it */
					const char *pathenv = getenv("PATH");
					char buf[4096], cand[4096];
					snprintf(buf, sizeof buf, "%s", pathenv ? pathenv : "/usr/bin:/bin");
					for (char *save, *d = strtok_r(buf, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
						snprintf(cand, sizeof cand, "%s/%s", d, cmd);
						if (access(cand, X_OK) == 0) {
							sym_add_file(cand);
							break;
						}
					}
				}
			}
			wordfree(&we);
		}
	}
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void cleanup(Run *r)
{
	rt_links_destroy(&r->links);
	ring_buffer__free(r->rb);
	if (r->data)
		munmap((void *)r->data, r->data_len);
	bpf_object__close(r->obj);
	if (r->child_go > 0)
		close(r->child_go);
	if (r->out_fd > 2)
		close(r->out_fd);
	free(r->progs);
	free(r->map_fds);
	free(r->scratch);
	free(r->meta_copy);
	free(r->libbpf_log);
	ob_free(&r->out);
	sym_reset();
	log_run = NULL;
}

int rt_run(const void *image, size_t len, const char *name, const RtOptions *opt)
{
	Run run = { .opt = opt, .name = name, .out_fd = 1, .child_go = -1 };
	Run *r = &run;
	int status = 1;
	log_run = r;
	libbpf_set_print(libbpf_print);

	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	struct sigaction sc = { .sa_handler = on_child, .sa_flags = SA_NOCLDSTOP };
	sigemptyset(&sc.sa_mask);
	sigaction(SIGCHLD, &sc, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (read_meta(r, image, len) < 0)
		goto out;
	if (opt->output) {
		r->out_fd = open(opt->output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (r->out_fd < 0) {
			rt_err("cannot open output file %s: %s", opt->output, strerror(errno));
			r->out_fd = 1;
			goto out;
		}
	}
	for (uint32_t i = 0; i < r->meta.hdr->nprobes; i++)
		if (r->meta.probes[i].kind == BSTAP_PROBE_TRACEPOINT) {
			rt_ensure_tracefs();
			break;
		}
	if (r->meta.hdr->merge_cpus && opt->warnings &&
	    (uint32_t)libbpf_num_possible_cpus() > r->meta.hdr->merge_cpus)
		fprintf(stderr, "WARNING: %s was compiled for %u CPUs and this machine has %d: statistics read "
		        "in kernel probes leave the others out (compile it here)\n",
		        name, r->meta.hdr->merge_cpus, libbpf_num_possible_cpus());
	if (opt->command && start_child(r) < 0) {
		rt_err("cannot start command: %s", strerror(errno));
		goto out;
	}
	if (open_and_load(r, image, len) < 0)
		goto out;
	symbol_sources(r);
	for (uint32_t i = 0; i < r->meta.hdr->nprobes; i++) {
		const struct bstap_probe *p = &r->meta.probes[i];
		char err[512] = "";
		if (p->flags & BSTAP_PF_USER)
			continue; /* a user-space timer: the event loop fires it */
		if (rt_attach(&r->meta, p, r->progs[i], &r->links, err, sizeof err) < 0) {
			if (p->flags & BSTAP_PF_OPTIONAL)
				continue;
			rt_err("cannot attach probe %s: %s", meta_str(&r->meta, p->pp), err);
			goto out;
		}
	}

	struct timespec rt, mono;
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	r->data[BSTAP_DATA_REALTIME / 8] =
		(uint64_t)((rt.tv_sec - mono.tv_sec) * 1000000000LL + (rt.tv_nsec - mono.tv_nsec));
	r->data[BSTAP_DATA_STP_PID / 8] = (uint64_t)getpid();
	run_once_probes(r, BSTAP_PROBE_BEGIN);
	if (!r->stop && !r->error) {
		r->data[BSTAP_DATA_STATE / 8] = BSTAP_STATE_RUNNING;
		release_child(r);
	}
	double deadline = opt->timeout_s > 0 ? now_s() + opt->timeout_s : 0;
	/* user-space timers: when each fires next */
	uint32_t np = r->meta.hdr->nprobes;
	double *next_fire = calloc(np + 1, sizeof *next_fire);
	for (uint32_t i = 0; next_fire && i < np; i++)
		if (r->meta.probes[i].flags & BSTAP_PF_USER)
			next_fire[i] = now_s() + (double)r->meta.probes[i].arg / 1e9;
	while (!r->stop && !got_signal) {
		double now = now_s(), wake = now + 0.1;
		if (deadline) {
			if (deadline <= now)
				break;
			if (deadline < wake)
				wake = deadline;
		}
		for (uint32_t i = 0; next_fire && i < np; i++)
			if (next_fire[i] && next_fire[i] < wake)
				wake = next_fire[i];
		int timeout = wake > now ? (int)((wake - now) * 1000) + 1 : 0;
		int n = ring_buffer__poll(r->rb, timeout);
		if (n < 0 && n != -EINTR) {
			rt_err("reading events: %s", strerror(-n));
			r->error = true;
			break;
		}
		now = now_s();
		for (uint32_t i = 0; next_fire && i < np && !r->stop; i++) {
			if (!next_fire[i] || next_fire[i] > now)
				continue;
			/* records sent before the timer are printed before it */
			ring_buffer__consume(r->rb);
			run_user_probe(r, i);
			next_fire[i] += (double)r->meta.probes[i].arg / 1e9;
			if (next_fire[i] < now)
				next_fire[i] = now + (double)r->meta.probes[i].arg / 1e9;
		}
		flush_out(r);
		check_child(r);
	}
	free(next_fire);
	r->data[BSTAP_DATA_STATE / 8] = BSTAP_STATE_STOPPING;
	/* what was sent before the stop is still printed */
	ring_buffer__consume(r->rb);
	run_once_probes(r, r->error ? BSTAP_PROBE_ERROR : BSTAP_PROBE_END);
	ring_buffer__consume(r->rb);
	rt_report_globals(&r->out, &r->meta, r->obj, (const char *)r->data);
	flush_out(r);
	uint64_t cut = r->data[BSTAP_DATA_TRUNCATED / 8];
	if (cut && opt->warnings)
		fprintf(stderr, "WARNING: %llu string%s cut to MAXSTRINGLEN (%u bytes); raise it with "
		        "-D MAXSTRINGLEN=N\n", (unsigned long long)cut, cut == 1 ? " was" : "s were",
		        r->meta.hdr->maxstringlen);
	uint64_t lost = r->data[BSTAP_DATA_LOST / 8];
	if (lost && opt->warnings)
		fprintf(stderr, "WARNING: %llu events lost (the ring buffer was full)\n", (unsigned long long)lost);
	status = r->error ? 1 : 0;
out:
	flush_out(r);
	if (r->child && !r->child_done) {
		/* the probes are going: the command must not wait for them */
		release_child(r);
	}
	cleanup(r);
	return status;
}

void *rt_read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (!buf)
			break;
		if (n == cap) {
			char *nb = realloc(buf, cap *= 2);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
		}
		ssize_t k = read(fd, buf + n, cap - n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			free(buf);
			close(fd);
			errno = e;
			return NULL;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	close(fd);
	*len = n;
	return buf;
}
