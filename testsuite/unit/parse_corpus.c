/* parse_corpus.c - parse + print + re-parse + re-print every file given.
 *
 *   parse_corpus [-I TAPSET_DIR] [-v] FILE...
 *
 * Each file is parsed with a ParseEnv for this machine (kernel release from
 * uname, arch x86_64, runtime "bpf", positional arguments "1".."8" so that
 * examples using $1/@1 parse), printed as -p1 text, and the text is parsed
 * and printed again: the file passes when both parses are free of errors
 * and the two printouts are identical.
 *
 * With -I, the .stpm macro files of TAPSET_DIR are loaded first, as stap
 * does: the top directory's, plus those of the runtime directory a file
 * belongs to (linux/, bpf/ or dyninst/; linux for everything else).  The
 * runtime directories define the same macros differently, so each runtime
 * gets its own macro table.
 *
 * Prints one line per failure and a final "N passed, N failed" line; exits 1
 * if anything failed. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "parser/parse.h"

enum { RT_LINUX, RT_BPF, RT_DYNINST, RT_COUNT };
static const char *const rt_dirs[RT_COUNT] = { "linux", "bpf", "dyninst" };

static Arena *arena;
static const char *tapset_dir;
static ParseEnv envs[RT_COUNT];
static bool env_ready[RT_COUNT];
static bool verbose;
static char *argv8[8] = { "1", "2", "3", "4", "5", "6", "7", "8" };
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

static ParseEnv *env_for(const char *path)
{
	int rt = RT_LINUX;
	size_t tl = tapset_dir ? strlen(tapset_dir) : 0;
	if (tapset_dir && strncmp(path, tapset_dir, tl) == 0 && path[tl] == '/')
		for (int i = 0; i < RT_COUNT; i++) {
			size_t dl = strlen(rt_dirs[i]);
			if (strncmp(path + tl + 1, rt_dirs[i], dl) == 0 && path[tl + 1 + dl] == '/')
				rt = i;
		}
	ParseEnv *env = &envs[rt];
	if (!env_ready[rt]) {
		env_ready[rt] = true;
		env->kernel_release = uts.release;
		env->arch = "x86_64";
		env->runtime = "bpf";
		env->systemtap_v = "5.0";
		env->privilege = "stapdev";
		env->guru = true;
		env->nargs = 8;
		env->args = argv8;
		if (tapset_dir) {
			load_macros(env, tapset_dir);
			load_macros(env, arena_printf(arena, "%s/%s", tapset_dir, rt_dirs[rt]));
		}
	}
	return env;
}

/* Print a script into a malloc'd string. */
static char *print_to_string(const Script *s, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	if (!f)
		abort();
	ast_print_script(f, s);
	fclose(f);
	return buf;
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

static bool check_file(const char *path)
{
	ParseEnv *env = env_for(path);
	Source *src = src_read_file(path, tapset_dir != NULL);
	if (!src) {
		fprintf(stderr, "FAIL %s: %s\n", path, strerror(errno));
		return false;
	}
	int before = diag_errors();
	Script *s = parse_source(arena, src, env);
	if (!s || diag_errors() != before) {
		fprintf(stderr, "FAIL %s: parse errors\n", path);
		return false;
	}
	size_t len1, len2;
	char *text1 = print_to_string(s, &len1);
	char *name = arena_printf(arena, "%s (printed)", path);
	Source *src2 = src_add(name, text1, len1, false);
	Script *s2 = parse_source(arena, src2, env);
	bool ok = true;
	if (!s2 || diag_errors() != before) {
		fprintf(stderr, "FAIL %s: printed text does not parse\n", path);
		ok = false;
	} else {
		char *text2 = print_to_string(s2, &len2);
		if (len1 != len2 || memcmp(text1, text2, len1) != 0) {
			fprintf(stderr, "FAIL %s: round trip differs\n", path);
			first_difference(text1, text2);
			ok = false;
		}
		free(text2);
	}
	if (verbose && ok)
		fputs(text1, stdout);
	free(text1);
	return ok;
}

int main(int argc, char **argv)
{
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-I") == 0 && i + 1 < argc) {
			tapset_dir = argv[++i];
		} else if (strcmp(argv[i], "-v") == 0) {
			verbose = true;
		} else {
			fprintf(stderr, "usage: %s [-I TAPSET_DIR] [-v] FILE...\n", argv[0]);
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
	arena = arena_new();
	src_init(arena);
	diag_init(stderr);
	diag_set_max_errors(0);   /* report everything */
	int passed = 0, failed = 0;
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
