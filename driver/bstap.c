/* bstap.c - the command: stap's options, then the whole pipeline in order.
 *
 *   pass 1  parse the script and the tapset library      (parser/)
 *   pass 2  elaborate: aliases, symbols, types          (translate/)
 *   pass 3  translate each probe to BPF                  (codegen/)
 *   pass 4  write the .bo object                         (codegen/elf_write.c)
 *   pass 5  load, attach and run it                      (runtime/)
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "codegen/ir.h"
#include "runtime/rt.h"
#include "translate/sema.h"

#define VERSION_TEXT "bstap " PACKAGE_VERSION " (SystemTap language on eBPF)"

static void usage(FILE *out)
{
	fputs("Usage: bstap [OPTIONS] (SCRIPT-FILE | -e SCRIPT | -) [ARGS...]\n"
	      "Compile a SystemTap script to eBPF and run it.\n"
	      "\n"
	      "  -e SCRIPT       run SCRIPT given on the command line\n"
	      "  -p NUM          stop after pass NUM: 1 parse, 2 elaborate, 3 translate,\n"
	      "                  4 write the object, 5 run (default)\n"
	      "  -v              more verbose; each pass reports its time (repeatable)\n"
	      "  -o FILE         send the script's output (with -p4: the object) to FILE\n"
	      "  -c CMD          run CMD under the probes; stop when it exits; target() is its pid\n"
	      "  -x PID          target() is PID\n"
	      "  -I DIR          look for tapsets in DIR first\n"
	      "  -D NAME=VALUE   set a limit: MAXSTRINGLEN, MAXMAPENTRIES, MAXACTION\n"
	      "  -g              guru mode\n"
	      "  -w              no warnings\n"
	      "  -W              warnings are errors\n"
	      "  -u              keep unused code (no elision)\n"
	      "  -T SECONDS      stop after SECONDS\n"
	      "  -s MB           a ring buffer of MB MiB for the probes' output (default 1)\n"
	      "  -l PROBE        list the probe points PROBE matches\n"
	      "  -L PROBE        list them with their context variables and types\n"
	      "  -V, --version   print the version\n"
	      "  -h, --help      print this help\n"
	      "  --runtime=bpf   accepted for stap compatibility (the only runtime)\n"
	      "  --kernel-debuginfo=VMLINUX\n"
	      "                  read kernel.function probes' functions and variables from\n"
	      "                  VMLINUX's DWARF (default: /usr/lib/debug/boot/vmlinux-RELEASE\n"
	      "                  and the like, when their build id is the running kernel's)\n"
	      "  --target-namespaces=PID\n"
	      "                  ns_pid(), ns_uid() ... see ids as PID's namespaces do\n"
	      "\n"
	      "ARGS fill $1 $2 ... (numbers) and @1 @2 ... (strings).\n",
	      out);
}

/* ------------------------------------------------------------ timing */

typedef struct {
	struct timespec wall;
	struct rusage ru;
} Stamp;

static void stamp(Stamp *s)
{
	clock_gettime(CLOCK_MONOTONIC, &s->wall);
	getrusage(RUSAGE_SELF, &s->ru);
}

static long ms_between(struct timeval a, struct timeval b)
{
	return (b.tv_sec - a.tv_sec) * 1000 + (b.tv_usec - a.tv_usec) / 1000;
}

static void report_pass(int verbose, int n, const char *what, const Stamp *from)
{
	if (!verbose)
		return;
	Stamp to;
	stamp(&to);
	long real = (to.wall.tv_sec - from->wall.tv_sec) * 1000 + (to.wall.tv_nsec - from->wall.tv_nsec) / 1000000;
	fprintf(stderr, "Pass %d: %s in %ldusr/%ldsys/%ldreal ms.\n", n, what,
	        ms_between(from->ru.ru_utime, to.ru.ru_utime), ms_between(from->ru.ru_stime, to.ru.ru_stime), real);
}

static int pass_failed(int n, const char *what)
{
	fprintf(stderr, "Pass %d: %s failed.\n", n, what);
	return 1;
}

/* ------------------------------------------------------------ input */

static Source *read_script(const char *script, const char *file)
{
	if (script)
		return src_add("<input>", script, strlen(script), false);
	if (!strcmp(file, "-")) {
		size_t cap = 4096, n = 0;
		char *buf = malloc(cap);
		size_t k;
		while (buf && (k = fread(buf + n, 1, cap - n, stdin)) > 0) {
			n += k;
			if (n == cap) {
				char *nb = realloc(buf, cap *= 2);
				if (!nb)
					free(buf);
				buf = nb;
			}
		}
		if (!buf)
			return NULL;
		Source *s = src_add("<stdin>", buf, n, false);
		free(buf);
		return s;
	}
	return src_read_file(file, false);
}

/* Write the object to fd. */
static int write_object(CgObject *o, int fd)
{
	size_t metalen;
	void *meta = meta_build(o, &metalen);
	ElfObject eo = { o->progs, o->nprogs, o->maps, o->nmaps, meta, metalen };
	char err[512];
	if (elfw_write(fd, &eo, err, sizeof err) < 0) {
		fprintf(stderr, "ERROR: cannot write the object: %s\n", err);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	Session s;
	session_init(&s);
	src_init(s.arena);
	diag_init(stderr);
	RtOptions ro = { .warnings = true };
	const char *script = NULL, *output = NULL, *list = NULL;
	bool list_vars = false;
	int ninc = 0;
	s.inc_dirs = arena_alloc(s.arena, sizeof(char *) * (size_t)(argc + 1));

	enum { OPT_RUNTIME = 256, OPT_KERNEL_DEBUGINFO };
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{"runtime", required_argument, NULL, OPT_RUNTIME},
		{"kernel-debuginfo", required_argument, NULL, OPT_KERNEL_DEBUGINFO},
		{"target-namespaces", required_argument, NULL, RT_OPT_TARGET_NS},
		{NULL, 0, NULL, 0},
	};
	int c;
	/* '+': options end at the script name; what follows are its ARGS */
	while ((c = getopt_long(argc, argv, "+e:p:vo:c:x:I:D:gwWuT:s:l:L:Vh", longopts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'e':
			script = optarg;
			break;
		case 'p':
			s.last_pass = (int)strtol(optarg, &end, 10);
			if (*end || s.last_pass < 1 || s.last_pass > 5) {
				fprintf(stderr, "ERROR: -p takes a pass number from 1 to 5, not '%s'\n", optarg);
				return 1;
			}
			break;
		case 'v':
			s.verbose++;
			break;
		case 'o': case 'c': case 'x': case 'T': case 's': case RT_OPT_TARGET_NS:
			/* the run options, shared with bstap-run */
			if (rt_option(&ro, c, optarg) < 0)
				return 1;
			break;
		case 'I':
			s.inc_dirs[ninc++] = optarg;
			break;
		case 'D':
			if (!session_define(&s, optarg)) {
				fprintf(stderr, "ERROR: -D %s: expected MAXSTRINGLEN, MAXMAPENTRIES or MAXACTION=NUMBER\n",
				        optarg);
				return 1;
			}
			break;
		case 'g':
			s.guru = true;
			s.env.guru = true;
			break;
		case 'w':
			diag_set_warnings(false, false);
			rt_option(&ro, c, optarg);
			break;
		case 'W':
			diag_set_warnings(true, true);
			break;
		case 'u':
			s.no_elide = true;
			break;
		case 'l': case 'L':
			list = optarg;
			list_vars = c == 'L';
			break;
		case 'V':
			printf("%s\n", VERSION_TEXT);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		case OPT_RUNTIME:
			if (strcmp(optarg, "bpf")) {
				fprintf(stderr, "ERROR: runtime '%s' is not available: bstap runs scripts only on bpf\n",
				        optarg);
				return 1;
			}
			break;
		case OPT_KERNEL_DEBUGINFO:
			s.kernel_debuginfo = optarg;
			break;
		default:
			usage(stderr);
			return 1;
		}
	}
	s.ninc_dirs = ninc;
	if (kdw_check_option(&s) < 0)
		return 1;
	if (list) {
		rt_ensure_tracefs();
		return sema_list(&s, list, list_vars, stdout);
	}
	const char *file = NULL;
	if (!script) {
		if (optind >= argc) {
			fprintf(stderr, "ERROR: no script given (a file, -e SCRIPT, or - for standard input)\n");
			usage(stderr);
			return 1;
		}
		file = argv[optind++];
	}
	s.env.nargs = argc - optind;
	s.env.args = argv + optind;
	ro.verbose = s.verbose;
	output = ro.output; /* -p4 writes the object there */

	/* ---- pass 1 */
	Stamp t;
	stamp(&t);
	rt_ensure_tracefs();
	tap_load_macros(&s);
	Source *src = read_script(script, file);
	if (!src) {
		fprintf(stderr, "ERROR: cannot read script %s: %s\n", file, strerror(errno));
		return 1;
	}
	s.user = parse_source(s.arena, src, &s.env);
	if (!s.user || diag_errors())
		return pass_failed(1, "parse");
	if (s.last_pass == 1) {
		ast_print_script(stdout, s.user);
		report_pass(s.verbose, 1, "parsed user script", &t);
		return 0;
	}
	if (tap_load(&s) < 0)
		return pass_failed(1, "parse");
	int ntap = 0;
	for (Script *sc = s.tapsets; sc; sc = sc->next)
		ntap++;
	report_pass(s.verbose, 1, arena_printf(s.arena, "parsed user script and %d library scripts", ntap), &t);

	/* ---- pass 2 */
	stamp(&t);
	if (sema_resolve(&s) < 0)
		return pass_failed(2, "analysis");
	if (diag_errors())
		return pass_failed(2, "analysis");
	report_pass(s.verbose, 2, arena_printf(s.arena, "analyzed script: %d probes, %d globals", s.nprobes,
	                                       s.nglobals), &t);
	if (s.verbose >= 2)
		for (Script *sc = s.tapsets; sc; sc = sc->next)
			if (sc->used)
				fprintf(stderr, "Pass 2: used tapset file %s\n", sc->src->name);
	if (s.last_pass == 2) {
		elab_print(stdout, &s);
		return 0;
	}

	/* ---- pass 3 */
	stamp(&t);
	CgObject obj;
	if (cg_compile(&s, &obj) < 0)
		return pass_failed(3, "translation");
	report_pass(s.verbose, 3, arena_printf(s.arena, "translated to %d BPF programs", obj.nprogs), &t);
	if (s.last_pass == 3) {
		int total = 0;
		for (int i = 0, k = 0; i < obj.nprobes; i++) {
			bool user = !*obj.probe_strs[3 * i];
			int n = user ? (int)obj.uprogs[obj.probes[i].uprog].n : obj.progs[k++].ninsns;
			printf("%s (%s): %d instructions%s\n", user ? "user" : obj.probe_strs[3 * i],
			       obj.probe_strs[3 * i + 2], n, user ? " (run in user space)" : "");
			total += n;
		}
		printf("total: %d instructions\n", total);
		return 0;
	}

	/* ---- pass 4 */
	stamp(&t);
	if (s.last_pass == 4) {
		char defname[64];
		const char *path = output;
		if (!path) {
			snprintf(defname, sizeof defname, "bstap_%d.bo", (int)getpid());
			path = defname;
		}
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			fprintf(stderr, "ERROR: cannot create %s: %s\n", path, strerror(errno));
			return 1;
		}
		int rc = write_object(&obj, fd);
		close(fd);
		if (rc < 0) {
			unlink(path);
			return pass_failed(4, "compilation");
		}
		report_pass(s.verbose, 4, arena_printf(s.arena, "wrote %s", path), &t);
		if (!output)
			printf("%s\n", path);
		return 0;
	}
	int fd = memfd_create("bstap.bo", MFD_CLOEXEC);
	if (fd < 0 || write_object(&obj, fd) < 0)
		return pass_failed(4, "compilation");
	struct stat st;
	fstat(fd, &st);
	void *image = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (image == MAP_FAILED)
		return pass_failed(4, "compilation");
	report_pass(s.verbose, 4, "compiled the object", &t);

	/* ---- pass 5 */
	stamp(&t);
	int status = rt_run(image, (size_t)st.st_size, file ? file : "<input>", &ro);
	report_pass(s.verbose, 5, status ? "run failed" : "run completed", &t);
	munmap(image, (size_t)st.st_size);
	session_fini(&s);
	return status;
}
