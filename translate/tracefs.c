/* tracefs.c - tracepoint formats from tracefs: every field's name, C type,
 * offset, size and signedness, read from events/SYSTEM/EVENT/format.  This
 * is what replaces kernel headers for kernel.trace() probes. */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "translate/sema.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	size_t r;
	while (buf && (r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += r;
		if (n + 1 == cap) {
			char *nb = realloc(buf, cap *= 2);
			if (!nb) {
				free(buf);
				buf = NULL;
			}
			buf = nb;
		}
	}
	fclose(f);
	if (buf)
		buf[n] = 0;
	*len = n;
	return buf;
}

/* Parse "field:TYPE NAME[N];\toffset:O;\tsize:S;\tsigned:G;". */
static bool parse_field(Arena *a, const char *line, TpField *f)
{
	const char *p = strstr(line, "field:");
	if (!p)
		return false;
	p += 6;
	const char *semi = strchr(p, ';');
	if (!semi)
		return false;
	/* The declaration is "TYPE NAME" or "TYPE NAME[N]": NAME is the last
	 * identifier before any '['. */
	const char *end = semi;
	const char *br = memchr(p, '[', (size_t)(semi - p));
	const char *name_end = end;
	if (br) {
		/* "__data_loc char[] name" has the brackets in the type */
		const char *close = memchr(br, ']', (size_t)(semi - br));
		if (close && close + 1 < semi && close[1] == ' ')
			br = NULL;
		else
			name_end = br;
	}
	const char *name_start = name_end;
	while (name_start > p && (name_start[-1] == '_' || (name_start[-1] >= '0' && name_start[-1] <= '9') ||
	                          (name_start[-1] >= 'a' && name_start[-1] <= 'z') ||
	                          (name_start[-1] >= 'A' && name_start[-1] <= 'Z')))
		name_start--;
	if (name_start == name_end)
		return false;
	f->name = arena_strndup(a, name_start, (size_t)(name_end - name_start));
	const char *type_end = name_start;
	while (type_end > p && type_end[-1] == ' ')
		type_end--;
	if (br) /* keep the array brackets in the type: "char[16]" */
		f->ctype = arena_printf(a, "%.*s%.*s", (int)(type_end - p), p, (int)(semi - br), br);
	else
		f->ctype = arena_strndup(a, p, (size_t)(type_end - p));
	f->is_array = br != NULL;
	f->data_loc = strncmp(f->ctype, "__data_loc", 10) == 0;
	const char *o = strstr(semi, "offset:"), *s = strstr(semi, "size:"), *g = strstr(semi, "signed:");
	if (!o || !s || !g)
		return false;
	f->off = atoi(o + 7);
	f->size = atoi(s + 5);
	f->is_signed = atoi(g + 7) != 0;
	f->elem_size = f->size;
	if (f->is_array) {
		long n = strtol(br + 1, NULL, 10);
		if (n > 0)
			f->elem_size = f->size / (int)n;
	}
	f->is_common = strncmp(f->name, "common_", 7) == 0;
	return true;
}

TpFormat *tracefs_event(Session *s, const char *system, const char *event)
{
	TpFormat *fmt = arena_alloc(s->arena, sizeof *fmt);
	fmt->system = arena_strdup(s->arena, system);
	fmt->event = arena_strdup(s->arena, event);
	fmt->nfields = -1;
	return fmt;
}

TpFormat *tracefs_format(Session *s, const char *system, const char *event)
{
	TpFormat *fmt = tracefs_event(s, system, event);
	return tracefs_fields(s, fmt) ? fmt : NULL;
}

bool tracefs_fields(Session *s, TpFormat *fmt)
{
	if (fmt->nfields >= 0)
		return true;
	char path[512];
	snprintf(path, sizeof path, "%s/events/%s/%s/format", s->tracefs, fmt->system, fmt->event);
	size_t len;
	char *text = slurp(path, &len);
	if (!text)
		return false;
	fmt->nfields = 0;
	int cap = 0;
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		if (!strncmp(line, "ID:", 3))
			fmt->id = atoi(line + 3);
		TpField f = {0};
		if (parse_field(s->arena, line, &f)) {
			fmt->fields = arena_grow(s->arena, fmt->fields, &cap, fmt->nfields + 1, sizeof f);
			fmt->fields[fmt->nfields++] = f;
		}
	}
	free(text);
	return true;
}

/* The size and signedness of C scalar types that tracepoints store in a
 * wider slot (syscall arguments are all 8 bytes): pid_t is an int. */
static const struct { const char *name; int size; bool is_signed; } ctypes[] = {
	{"int", 4, true}, {"pid_t", 4, true}, {"signed int", 4, true},
	{"unsigned int", 4, false}, {"unsigned", 4, false}, {"uid_t", 4, false},
	{"gid_t", 4, false}, {"qid_t", 4, false}, {"key_serial_t", 4, true},
	{"clockid_t", 4, true}, {"timer_t", 4, true}, {"mqd_t", 4, true},
	{"short", 2, true}, {"unsigned short", 2, false}, {"umode_t", 2, false},
	{"char", 1, true}, {"unsigned char", 1, false}, {"u8", 1, false}, {"s8", 1, true},
	{"u16", 2, false}, {"s16", 2, true}, {"u32", 4, false}, {"s32", 4, true},
	{"__u32", 4, false}, {"__s32", 4, true}, {"bool", 1, false},
};

const TpField *tracefs_field(const TpFormat *fmt, const char *name)
{
	for (int i = 0; i < fmt->nfields; i++)
		if (!strcmp(fmt->fields[i].name, name))
			return &fmt->fields[i];
	return NULL;
}

bool tracefs_field_access(const TpField *f, Access *acc)
{
	memset(acc, 0, sizeof *acc);
	acc->off = f->off;
	acc->size = f->size;
	acc->is_signed = f->is_signed;
	acc->ctype = f->ctype;
	if (f->data_loc) {
		acc->kind = ACC_CTX_DATA_LOC;
		return strstr(f->ctype, "char") != NULL;
	}
	if (f->is_array) {
		acc->kind = ACC_CTX_CHARS;
		return f->elem_size == 1 && strstr(f->ctype, "char") != NULL;
	}
	acc->kind = ACC_CTX_INT;
	if (f->size != 1 && f->size != 2 && f->size != 4 && f->size != 8)
		return false;
	const char *t = f->ctype;
	if (!strncmp(t, "const ", 6))
		t += 6;
	for (size_t i = 0; i < sizeof ctypes / sizeof ctypes[0]; i++)
		if (!strcmp(t, ctypes[i].name) && ctypes[i].size <= f->size) {
			acc->size = ctypes[i].size;
			acc->is_signed = ctypes[i].is_signed;
			break;
		}
	return true;
}

static int is_dir_entry(const struct dirent *d)
{
	return d->d_name[0] != '.' && d->d_type == DT_DIR;
}

int tracefs_list(Session *s, const char *glob,
                 void (*cb)(const char *system, const char *event, void *ctx), void *ctx)
{
	const char *colon = strchr(glob, ':');
	char *sysglob = colon ? arena_strndup(s->arena, glob, (size_t)(colon - glob)) : "*";
	const char *evglob = colon ? colon + 1 : glob;
	char path[512];
	snprintf(path, sizeof path, "%s/events", s->tracefs);
	struct dirent **systems;
	int ns = scandir(path, &systems, is_dir_entry, alphasort);
	if (ns < 0)
		return -1;
	int found = 0;
	for (int i = 0; i < ns; i++) {
		if (fnmatch(sysglob, systems[i]->d_name, 0) == 0) {
			char sub[768];
			snprintf(sub, sizeof sub, "%s/%s", path, systems[i]->d_name);
			struct dirent **events;
			int ne = scandir(sub, &events, is_dir_entry, alphasort);
			for (int j = 0; j < ne; j++) {
				if (fnmatch(evglob, events[j]->d_name, 0) == 0) {
					cb(systems[i]->d_name, events[j]->d_name, ctx);
					found++;
				}
				free(events[j]);
			}
			if (ne >= 0)
				free(events);
		}
		free(systems[i]);
	}
	free(systems);
	return found;
}
