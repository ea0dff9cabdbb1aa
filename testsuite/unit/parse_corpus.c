/* parse_corpus.c - parse + print + re-parse + re-print every file given.
 *
 *   parse_corpus [-I TAPSET_DIR] [-v] [-r RUNTIME] [-s STAP_VERSION] FILE...
 *   parse_corpus -k FILE...      (ko mode: only the diagnostics)
 *
 * Each file is parsed with a ParseEnv for this machine (kernel release from
 * uname, arch x86_64, runtime "bpf", positional arguments "1".."8" so that
 * examples using $1/@1 parse), printed as -p1 text, and the text is parsed
 * and printed again: the file passes when both parses are free of errors
 * and the two printouts are identical.  Some examples use $N as text (a
 * probe point: `probe $1.call`, a function name: `$3(x)`); a file that
 * fails with numbers is tried again with some of the arguments it uses
 * replaced by words "a1".."a8" (every combination), which are pasted as
 * identifiers, as stap pastes argument text.
 *
 * With -I, the .stpm macro files of TAPSET_DIR are loaded first, as stap
 * does: the top directory's, plus those of the runtime directory a file
 * belongs to (linux/, bpf/ or dyninst/; linux for everything else).  The
 * runtime directories define the same macros differently, so each runtime
 * gets its own macro table.
 *
 * Prints one line per failure and a final "N passed, N failed" line; exits 1
 * if anything failed.
 *
 * Ko mode (-k) parses each file as `bstap -p1 FILE` would without
 * arguments, and prints nothing but the diagnostics: that is how the golden
 * testsuite/parse/ko/NN-what.err files are made (from inside that
 * directory, so the file name is printed as given).
 *
 * Bench mode (-b, bench/parse.sh) parses every file once per round, as
 * stap's pass 1 parses its library, and prints one line with the time of
 * the fastest and the median round (reading and parsing the files; loading
 * the .stpm macros of -I beforehand is timed apart):
 *   parse_corpus -b [-n ROUNDS] [-I TAPSET_DIR] FILE... */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "parser/parse.h"

enum { RT_LINUX, RT_BPF, RT_DYNINST, RT_COUNT };
enum { ARGS_NUMBERS, ARGS_MIXED, ARGS_COUNT };
static const char *const rt_dirs[RT_COUNT] = { "linux", "bpf", "dyninst" };

static Arena *arena;
static const char *tapset_dir;
static ParseEnv envs[RT_COUNT][ARGS_COUNT];
static bool verbose, ko_mode, bench_mode;
static int bench_rounds = 5;
static const char *runtime = "bpf", *stap_version = "5.0";
static char *argv8[ARGS_COUNT][8] = {
	{ "1", "2", "3", "4", "5", "6", "7", "8" },
	{ "1", "2", "3", "4", "5", "6", "7", "8" },   /* set per attempt */
};
static char *const numbers[8] = { "1", "2", "3", "4", "5", "6", "7", "8" };
static char *const words[8] = { "a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8" };
static struct utsname uts;

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Load DIR/ *.stpm in name order. */
static void load_macros(ParseEnv *env, const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	char **names = NULL;
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len > 5 && strcmp(e->d_name + len - 5, ".stpm") == 0) {
			names = realloc(names, (n + 1) * sizeof *names);
			if (!names)
				abort();
			names[n++] = strdup(e->d_name);
		}
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, cmp_str);
	for (size_t i = 0; i < n; i++) {
		char *path = arena_printf(arena, "%s/%s", dir, names[i]);
		Source *src = src_read_file(path, true);
		if (!src)
			fprintf(stderr, "%s: %s\n", path, strerror(errno));
		else if (parse_macro_file(arena, src, env) != 0)
			fprintf(stderr, "%s: macro file not loaded\n", path);
		free(names[i]);
	}
	free(names);
}

static ParseEnv *env_for(const char *path, int args)
{
	int rt = RT_LINUX;
	size_t tl = tapset_dir ? strlen(tapset_dir) : 0;
	if (tapset_dir && strncmp(path, tapset_dir, tl) == 0 && path[tl] == '/')
		for (int i = 0; i < RT_COUNT; i++) {
			size_t dl = strlen(rt_dirs[i]);
			if (strncmp(path + tl + 1, rt_dirs[i], dl) == 0 && path[tl + 1 + dl] == '/')
				rt = i;
		}
	ParseEnv *env = &envs[rt][args];
	if (!env->arch) {
		if (args != ARGS_NUMBERS) {
			/* share the macro table of the numeric env */
			ParseEnv *base = env_for(path, ARGS_NUMBERS);
			*env = *base;
			env->args = argv8[args];
			return env;
		}
		env->kernel_release = uts.release;
		env->arch = "x86_64";
		env->runtime = runtime;
		env->systemtap_v = stap_version;
		env->privilege = "stapdev";
		env->guru = true;
		env->nargs = 8;
		env->args = argv8[args];
		if (tapset_dir) {
			load_macros(env, tapset_dir);
			load_macros(env, arena_printf(arena, "%s/%s", tapset_dir, rt_dirs[rt]));
		}
	}
	return env;
}

static void first_difference(const char *a, const char *b)
{
	int line = 1;
	const char *la = a, *lb = b;
	while (*a && *a == *b) {
		if (*a == '\n') {
			line++;
			la = a + 1;
			lb = b + 1;
		}
		a++;
		b++;
	}
	fprintf(stderr, "    first difference at printed line %d:\n    1st: %.*s\n    2nd: %.*s\n",
		line, (int)strcspn(la, "\n"), la, (int)strcspn(lb, "\n"), lb);
}

/* Parse, print, re-parse, re-print; diagnostics go to `diag_out`. */
static bool attempt(const char *path, ParseEnv *env, bool print)
{
	Source *src = src_read_file(path, tapset_dir != NULL);
	if (!src) {
		fprintf(stderr, "FAIL %s: %s\n", path, strerror(errno));
		return false;
	}
	int before = diag_errors();
	Script *s = parse_source(arena, src, env);
	if (!s || diag_errors() != before) {
		if (print)
			fprintf(stderr, "FAIL %s: parse errors\n", path);
		return false;
	}
	size_t len1, len2;
	char *text1 = ast_print_script_text(s, &len1);
	char *name = arena_printf(arena, "%s (printed)", path);
	/* derived text: may be empty when %( %) dropped everything */
	Source *src2 = src_add(name, text1, len1, true);
	Script *s2 = parse_source(arena, src2, env);
	bool ok = true;
	if (!s2 || diag_errors() != before) {
		if (print)
			fprintf(stderr, "FAIL %s: printed text does not parse\n", path);
		ok = false;
	} else {
		char *text2 = ast_print_script_text(s2, &len2);
		if (len1 != len2 || memcmp(text1, text2, len1) != 0) {
			if (print) {
				fprintf(stderr, "FAIL %s: round trip differs\n", path);
				first_difference(text1, text2);
			}
			ok = false;
		}
		free(text2);
	}
	if (verbose && ok)
		fputs(text1, stdout);
	free(text1);
	return ok;
}

/* Which of $1..$8 a file mentions (a bit per argument). */
static unsigned args_used(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	unsigned used = 0;
	int prev = 0, c;
	while ((c = fgetc(f)) != EOF) {
		if (prev == '$' && c >= '1' && c <= '8') {
			int next = fgetc(f);
			if (next == EOF || next < '0' || next > '9')
				used |= 1u << (c - '1');
			if (next != EOF)
				ungetc(next, f);
		}
		prev = c;
	}
	fclose(f);
	return used;
}

static bool check_file(const char *path)
{
	/* Quietly try numeric arguments, then words for some of those used;
	 * if nothing works, run the numeric attempt again to show why. */
	char *quiet = NULL;
	size_t qlen = 0;
	FILE *q = open_memstream(&quiet, &qlen);
	if (!q)
		abort();
	diag_init(q);
	bool ok = attempt(path, env_for(path, ARGS_NUMBERS), false);
	unsigned used = ok ? 0 : args_used(path);
	for (unsigned mask = used; !ok && mask; mask = (mask - 1) & used) {
		for (int i = 0; i < 8; i++)
			argv8[ARGS_MIXED][i] = mask & (1u << i) ? words[i] : numbers[i];
		ok = attempt(path, env_for(path, ARGS_MIXED), false);
		if (ok && verbose)
			fprintf(stderr, "note: %s passes with word arguments (mask %#x)\n", path, mask);
	}
	fclose(q);
	free(quiet);
	diag_init(stderr);
	if (!ok)
		attempt(path, env_for(path, ARGS_NUMBERS), true);
	return ok;
}

static double now_ms(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* -b: parse FILE... once per round, in a fresh arena each round. */
static int bench(int nfiles, char **files)
{
	double *parse = calloc((size_t)bench_rounds, sizeof *parse);
	double *macros = calloc((size_t)bench_rounds, sizeof *macros);
	double *cpu = calloc((size_t)bench_rounds, sizeof *cpu);
	if (!parse || !macros || !cpu)
		abort();
	size_t bytes = 0;
	int nodes_files = 0, bad = 0;
	for (int r = 0; r < bench_rounds; r++) {
		arena = arena_new();
		src_init(arena);
		diag_reset();
		memset(envs, 0, sizeof envs);
		double t0 = now_ms(CLOCK_MONOTONIC);
		if (tapset_dir)
			for (int rt = 0; rt < RT_COUNT; rt++)
				env_for(arena_printf(arena, "%s/%s/x.stp", tapset_dir, rt_dirs[rt]),
					ARGS_NUMBERS);
		double t1 = now_ms(CLOCK_MONOTONIC), c1 = now_ms(CLOCK_PROCESS_CPUTIME_ID);
		bytes = 0;
		nodes_files = bad = 0;
		for (int i = 0; i < nfiles; i++) {
			Source *src = src_read_file(files[i], true);
			if (!src) {
				fprintf(stderr, "%s: %s\n", files[i], strerror(errno));
				bad++;
				continue;
			}
			bytes += src->len;
			int before = diag_errors();
			Script *sc = parse_source(arena, src, env_for(files[i], ARGS_NUMBERS));
			if (!sc || diag_errors() != before)
				bad++;
			else if (sc->probes || sc->functions || sc->globals || sc->embeds)
				nodes_files++;
		}
		double t2 = now_ms(CLOCK_MONOTONIC), c2 = now_ms(CLOCK_PROCESS_CPUTIME_ID);
		macros[r] = t1 - t0;
		parse[r] = t2 - t1;
		cpu[r] = c2 - c1;
		arena_free(arena);
		arena = NULL;
	}
	qsort(parse, (size_t)bench_rounds, sizeof *parse, cmp_double);
	qsort(macros, (size_t)bench_rounds, sizeof *macros, cmp_double);
	qsort(cpu, (size_t)bench_rounds, sizeof *cpu, cmp_double);
	printf("%d files (%zu bytes, %d with declarations, %d with errors): parse %.1f ms "
	       "(median %.1f, CPU %.1f, %d rounds), macros %.1f ms\n",
	       nfiles, bytes, nodes_files, bad, parse[0], parse[bench_rounds / 2], cpu[0],
	       bench_rounds, macros[0]);
	free(parse);
	free(macros);
	free(cpu);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-I") == 0 && i + 1 < argc) {
			tapset_dir = argv[++i];
		} else if (strcmp(argv[i], "-v") == 0) {
			verbose = true;
		} else if (strcmp(argv[i], "-k") == 0) {
			ko_mode = true;
		} else if (strcmp(argv[i], "-b") == 0) {
			bench_mode = true;
		} else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc && atoi(argv[i + 1]) > 0) {
			bench_rounds = atoi(argv[++i]);
		} else if (strcmp(argv[i], "-r") == 0 && i + 1 < argc) {
			runtime = argv[++i];
		} else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc) {
			stap_version = argv[++i];
		} else {
			fprintf(stderr, "usage: %s [-I TAPSET_DIR] [-v] [-r RUNTIME] [-s STAP_VERSION] FILE...\n"
				"       %s -k FILE...\n"
				"       %s -b [-n ROUNDS] [-I TAPSET_DIR] FILE...\n", argv[0], argv[0], argv[0]);
			return 2;
		}
	}
	if (tapset_dir) {
		size_t l = strlen(tapset_dir);
		while (l > 1 && tapset_dir[l - 1] == '/')
			l--;
		tapset_dir = strndup(tapset_dir, l);
	}
	uname(&uts);
	if (bench_mode) {
		diag_init(stderr);
		diag_set_max_errors(0);
		int rc = bench(argc - i, argv + i);
		free((char *)tapset_dir);
		return rc;
	}
	arena = arena_new();
	src_init(arena);
	diag_init(stderr);
	diag_set_max_errors(0);   /* report everything */
	int passed = 0, failed = 0;
	if (ko_mode) {
		static ParseEnv plain;
		plain.kernel_release = uts.release;
		plain.arch = "x86_64";
		plain.runtime = "bpf";
		plain.systemtap_v = "5.0";
		plain.privilege = "stapdev";
		diag_set_max_errors(20);
		for (; i < argc; i++) {
			Source *src = src_read_file(argv[i], false);
			if (!src) {
				fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
				failed++;
				continue;
			}
			diag_reset();
			parse_source(arena, src, &plain);
			if (diag_errors())
				failed++;
			else
				passed++;
		}
		arena_free(arena);
		return failed ? 1 : 0;
	}
	for (; i < argc; i++) {
		if (check_file(argv[i]))
			passed++;
		else
			failed++;
	}
	printf("%d passed, %d failed\n", passed, failed);
	arena_free(arena);
	free((char *)tapset_dir);
	return failed ? 1 : 0;
}
