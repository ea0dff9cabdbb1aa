/* fuzz_parse.c - libFuzzer target for the front end (parser/).
 *
 * Each input is read twice:
 *   1. as a .stpm macro library (parse_macro_file), whose macros, when the
 *      input holds nothing but definitions, are visible to step 2;
 *   2. as a script (parse_source), with two positional arguments, one a
 *      number and one text that is pasted into the script ($2).
 * When the script parses without an error, it is printed (-p1), the text
 * is parsed again and printed again: both parses must be clean and both
 * printouts the same, or the target aborts (the round trip the corpus test
 * checks on real scripts).  Diagnostics are formatted into /dev/null, so
 * the caret and expansion-note code runs too.  An input holding NUL bytes
 * is also tried with them turned into spaces, since the parser refuses NUL
 * up front.
 *
 * Built by testsuite/fuzz/run.sh with clang -fsanitize=fuzzer,address,
 * undefined and -DBSTAP_ARENA_DEBUG (every arena block its own malloc, so
 * AddressSanitizer sees overruns between AST objects).  Every input gets
 * its own arena and source table: nothing is kept from one to the next. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parser/parse.h"

static FILE *devnull;
static char *args[] = { "42", "begin" };

static const char *config(const char *name)
{
	if (!strcmp(name, "CONFIG_SMP"))
		return "y";
	if (!strcmp(name, "CONFIG_NR_CPUS"))
		return "64";
	return NULL;
}

static void env_init(ParseEnv *env)
{
	memset(env, 0, sizeof *env);
	env->kernel_release = "6.1.0-13-amd64";
	env->arch = "x86_64";
	env->runtime = "bpf";
	env->systemtap_v = "5.0";
	env->privilege = "stapdev";
	env->nargs = 2;
	env->args = args;
	env->config = config;
}

static void one(const char *text, size_t size)
{
	Arena *a = arena_new();
	src_init(a);
	diag_init(devnull);
	diag_set_max_errors(20);
	ParseEnv env;
	env_init(&env);

	Source *lib = src_add("fuzz.stpm", text, size, true);
	diag_reset();
	parse_macro_file(a, lib, &env);

	Source *src = src_add("fuzz.stp", text, size, false);
	diag_reset();
	Script *s = parse_source(a, src, &env);
	if (s && diag_errors() == 0) {
		size_t len1, len2;
		char *p1 = ast_print_script_text(s, &len1);
		Source *src2 = src_add("fuzz.stp (printed)", p1, len1, true);
		Script *s2 = parse_source(a, src2, &env);
		if (!s2 || diag_errors() != 0) {
			fprintf(stderr, "fuzz_parse: the printed script does not parse:\n%s\n", p1);
			abort();
		}
		char *p2 = ast_print_script_text(s2, &len2);
		if (len1 != len2 || memcmp(p1, p2, len1) != 0) {
			fprintf(stderr, "fuzz_parse: round trip differs:\n--- first\n%s\n--- second\n%s\n",
				p1, p2);
			abort();
		}
		free(p1);
		free(p2);
	}
	arena_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!devnull) {
		devnull = fopen("/dev/null", "w");
		if (!devnull)
			abort();
	}
	one((const char *)data, size);
	if (memchr(data, '\0', size)) {
		char *copy = malloc(size ? size : 1);
		if (!copy)
			abort();
		for (size_t i = 0; i < size; i++)
			copy[i] = data[i] ? (char)data[i] : ' ';
		one(copy, size);
		free(copy);
	}
	return 0;
}
