/* options.c - the run options bstap and bstap-run share (-o -c -x -T -s -v -w
 * --target-namespaces),
 * parsed in one place so that both commands take and check them alike. */
#include <stdlib.h>

#include "runtime/rt.h"

int rt_option(RtOptions *ro, int opt, const char *arg)
{
	char *end;
	switch (opt) {
	case 'o':
		ro->output = arg;
		return 1;
	case 'c':
		ro->command = arg;
		return 1;
	case 'x':
		ro->target_pid = (int)strtol(arg, &end, 10);
		if (*end || ro->target_pid <= 0) {
			fprintf(stderr, "ERROR: -x takes a process id, not '%s'\n", arg);
			return -1;
		}
		return 1;
	case 'T':
		ro->timeout_s = (int)strtol(arg, &end, 10);
		if (*end || ro->timeout_s <= 0) {
			fprintf(stderr, "ERROR: -T takes a number of seconds, not '%s'\n", arg);
			return -1;
		}
		return 1;
	case 's':
		ro->bufsize_mb = (int)strtol(arg, &end, 10);
		if (*end || ro->bufsize_mb <= 0 || ro->bufsize_mb > 4096) {
			fprintf(stderr, "ERROR: -s takes the buffer size in MiB (1 to 4096), not '%s'\n", arg);
			return -1;
		}
		return 1;
	case RT_OPT_TARGET_NS:
		ro->target_ns_pid = (int)strtol(arg, &end, 10);
		if (*end || ro->target_ns_pid <= 0) {
			fprintf(stderr, "ERROR: --target-namespaces takes a process id, not '%s'\n", arg);
			return -1;
		}
		return 1;
	case 'v':
		ro->verbose++;
		return 1;
	case 'w':
		ro->warnings = false;
		return 1;
	default:
		return 0;
	}
}
