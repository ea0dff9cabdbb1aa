/* tapset.c - the tapset search path: -I directories first, then the source
 * tree's tapsets/ (when bstap runs from its build directory) or the
 * installed one.  Every *.stp of those directories is indexed, and only the
 * files declaring what the script uses are parsed (tapindex.c). */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "translate/sema.h"

static int has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n > m && strcmp(s + n - m, suf) == 0;
}

static int is_stp(const struct dirent *d)
{
	return has_suffix(d->d_name, ".stp");
}

static int is_stpm(const struct dirent *d)
{
	return has_suffix(d->d_name, ".stpm");
}

/* A directory's *.stpm macro libraries come first: its .stp files (and the
 * user's script) may use their @define macros. */
static void load_macros(Session *s, const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, is_stpm, alphasort);
	for (int i = 0; i < n; i++) {
		char *path = arena_printf(s->arena, "%s/%s", dir, names[i]->d_name);
		free(names[i]);
		Source *src = src_read_file(path, true);
		if (src)
			parse_macro_file(s->arena, src, &s->env);
	}
	if (n >= 0)
		free(names);
}

/* Read every *.stp of dir, in name order, into the index. */
static int index_dir(Session *s, const char *dir, TapFile ***files, int *n, int *cap)
{
	struct dirent **names;
	int k = scandir(dir, &names, is_stp, alphasort);
	if (k < 0)
		return errno == ENOENT ? 0 : -1;
	for (int i = 0; i < k; i++) {
		char *path = arena_printf(s->arena, "%s/%s", dir, names[i]->d_name);
		free(names[i]);
		Source *src = src_read_file(path, true);
		if (!src) {
			diag_at(DIAG_WARNING, "WARNING", NULL, "cannot read tapset %s: %s", path, strerror(errno));
			continue;
		}
		*files = arena_grow(s->arena, *files, cap, *n + 1, sizeof **files);
		(*files)[(*n)++] = tapindex_add(s, src);
	}
	free(names);
	return 0;
}

/* The directory shipped with bstap: the source tree's when this binary
 * sits in the build tree, else the installed one. */
static const char *default_dir(void)
{
	const char *env = getenv("BSTAP_TAPSET_DIR");
	if (env && *env)
		return env;
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = 0;
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = 0;
			if (strcmp(exe, BSTAP_BUILD_DIR) == 0)
				return BSTAP_SRC_TAPSET_DIR;
		}
	}
	return BSTAP_TAPSET_DIR;
}

void tap_load_macros(Session *s)
{
	for (int i = 0; i < s->ninc_dirs; i++)
		load_macros(s, s->inc_dirs[i]);
	load_macros(s, default_dir());
}

int tap_load(Session *s)
{
	TapFile **files = NULL;
	int n = 0, cap = 0;
	for (int i = 0; i < s->ninc_dirs; i++)
		if (index_dir(s, s->inc_dirs[i], &files, &n, &cap) < 0)
			diag_at(DIAG_WARNING, "WARNING", NULL, "cannot read tapset directory %s: %s",
			        s->inc_dirs[i], strerror(errno));
	if (index_dir(s, default_dir(), &files, &n, &cap) < 0)
		diag_at(DIAG_WARNING, "WARNING", NULL, "cannot read tapset directory %s: %s",
		        default_dir(), strerror(errno));
	Script **tail = &s->tapsets;
	tapindex_load_needed(s, files, n, &tail);
	return diag_errors() ? -1 : 0;
}
