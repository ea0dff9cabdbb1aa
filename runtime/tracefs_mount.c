/* tracefs_mount.c - tracepoints need tracefs; mount it when it is missing
 * and we may (root), as the brief of a tracer run by root expects. */
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/rt.h"

void rt_ensure_tracefs(void)
{
	struct stat st;
	if (stat("/sys/kernel/tracing/events", &st) == 0)
		return;
	if (geteuid() != 0)
		return;
	/* a failure shows later as "tracepoint not found": nothing to add here */
	(void)mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL);
}
