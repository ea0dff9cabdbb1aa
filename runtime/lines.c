/* lines.c - addresses to source file and line (usymline(), symfileline(),
 * print_ubacktrace_fileline() ... in tapsets/stack.stp), from the DWARF
 * line tables of an ELF file, read with libdw.
 *
 * symbols.c knows which file an address is in and its virtual address
 * there; this file only answers "which line is that".  The DWARF may be in
 * the file itself (built with -g) or in its separate debug file, which
 * symbols.c names (the .build-id tree).  Each file is opened once per run
 * and kept open: the names returned point into libdw's data, valid until
 * lines_reset. */
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/rt.h"

typedef struct DwFile {
	struct DwFile *next;
	char *path;
	int fd;
	Dwarf *dw;                  /* NULL: the file has no DWARF */
} DwFile;

static DwFile *dwfiles;

/* The DWARF of path, opened on first use (NULL if it has none). */
static Dwarf *dw_of(const char *path)
{
	for (DwFile *f = dwfiles; f; f = f->next)
		if (!strcmp(f->path, path))
			return f->dw;
	DwFile *f = calloc(1, sizeof *f);
	if (!f)
		return NULL;
	f->path = strdup(path);
	if (!f->path) {
		free(f);
		return NULL;
	}
	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd >= 0) {
		f->dw = dwarf_begin(f->fd, DWARF_C_READ);
		if (!f->dw) {
			close(f->fd);
			f->fd = -1;
		}
	}
	f->next = dwfiles;
	dwfiles = f;
	return f->dw;
}

/* The compilation unit whose code holds addr: through .debug_aranges
 * when the file has them, else by asking each unit (GCC does not always
 * emit aranges, and libdw does not make them up everywhere). */
static bool cu_of(Dwarf *dw, uint64_t addr, Dwarf_Die *cu)
{
	if (dwarf_addrdie(dw, addr, cu))
		return true;
	Dwarf_Off off = 0, next;
	size_t hsize;
	while (dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		if (dwarf_offdie(dw, off + hsize, cu) && dwarf_haspc(cu, addr) == 1)
			return true;
		off = next;
	}
	return false;
}

static bool lookup(Dwarf *dw, uint64_t addr, const char **file, int *line)
{
	Dwarf_Die cu;
	if (!dw || !cu_of(dw, addr, &cu))
		return false;
	Dwarf_Line *ln = dwarf_getsrc_die(&cu, addr);
	if (!ln)
		return false;
	int n = 0;
	const char *src = dwarf_linesrc(ln, NULL, NULL);
	if (dwarf_lineno(ln, &n) != 0)
		n = 0;
	if (!src && !n)
		return false;
	*file = src;
	*line = n;
	return true;
}

bool line_find(const char *path, const char *debug_path, uint64_t vaddr, const char **file, int *line)
{
	*file = NULL;
	*line = 0;
	if (path && lookup(dw_of(path), vaddr, file, line))
		return true;
	/* a stripped file: its debug file has the same addresses */
	return debug_path && lookup(dw_of(debug_path), vaddr, file, line);
}

void lines_reset(void)
{
	while (dwfiles) {
		DwFile *f = dwfiles;
		dwfiles = f->next;
		if (f->dw)
			dwarf_end(f->dw);
		if (f->fd >= 0)
			close(f->fd);
		free(f->path);
		free(f);
	}
}
