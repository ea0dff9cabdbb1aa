/* session.c - options and limits shared by every pass. */
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "translate/sema.h"

static char release_buf[65], machine_buf[65];

/* CONFIG_* for %( CONFIG_X == "y" %): this kernel's config is not read yet,
 * so every option is unset (conditions on it take their else branch). */
static const char *no_config(const char *name)
{
	(void)name;
	return NULL;
}

void session_init(Session *s)
{
	memset(s, 0, sizeof *s);
	s->arena = arena_new();
	s->last_pass = 5;
	s->maxstringlen = 128;
	s->maxmapentries = 2048;
	s->maxaction = 1000;
	s->tracefs = "/sys/kernel/tracing";

	struct utsname u;
	if (uname(&u) == 0) {
		/* kernel_v is the release without the local suffix: 6.18.44-fc -> 6.18.44 */
		snprintf(release_buf, sizeof release_buf, "%s", u.release);
		snprintf(machine_buf, sizeof machine_buf, "%s", u.machine);
	}
	s->env.kernel_release = release_buf;
	s->env.arch = machine_buf[0] ? machine_buf : "x86_64";
	s->env.runtime = "bpf";
	s->env.systemtap_v = "5.0";
	s->env.privilege = "stapdev";
	s->env.config = no_config;
}

void session_fini(Session *s)
{
	dw_free(s);
	btf_free(s);
	arena_free(s->arena);
	s->arena = NULL;
}

bool session_define(Session *s, const char *def)
{
	const char *eq = strchr(def, '=');
	if (!eq)
		return false;
	size_t n = (size_t)(eq - def);
	char *end;
	long long v = strtoll(eq + 1, &end, 0);
	if (*end || end == eq + 1 || v <= 0)
		return false;
	if (n == 12 && !strncmp(def, "MAXSTRINGLEN", n)) {
		if (v < 8 || v > 4096)
			return false;
		s->maxstringlen = v;
	} else if (n == 13 && !strncmp(def, "MAXMAPENTRIES", n)) {
		s->maxmapentries = v;
	} else if (n == 9 && !strncmp(def, "MAXACTION", n)) {
		s->maxaction = v;
	} else {
		return false;
	}
	return true;
}
