/* bstap_run.c - run an object compiled earlier with bstap -p4, on a host
 * without compiler, tapsets or debuginfo (stap's stapbpf). */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/rt.h"

static void usage(FILE *out)
{
	fputs("Usage: bstap-run [OPTIONS] FILE.bo\n"
	      "Run a bstap object (written by bstap -p4 -o FILE.bo).\n"
	      "\n"
	      "  -o FILE      send the script's output to FILE\n"
	      "  -c CMD       run CMD under the probes; stop when it exits\n"
	      "  -x PID       target() is PID\n"
	      "  -T SECONDS   stop after SECONDS\n"
	      "  -s MB        a ring buffer of MB MiB for the probes' output\n"
	      "  -v           more verbose (repeatable)\n"
	      "  -w           no warnings\n"
	      "  -V           print the version\n"
	      "  -h           print this help\n"
	      "  --target-namespaces=PID\n"
	      "               ns_pid(), ns_uid() ... see ids as PID's namespaces do\n",
	      out);
}

int main(int argc, char **argv)
{
	RtOptions ro = { .warnings = true };
	static const struct option longopts[] = {
		{"target-namespaces", required_argument, NULL, RT_OPT_TARGET_NS},
		{NULL, 0, NULL, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "+o:c:x:T:s:vwVh", longopts, NULL)) != -1) {
		int r = rt_option(&ro, c, optarg);
		if (r < 0)
			return 1;
		if (r > 0)
			continue;
		switch (c) {
		case 'V':
			printf("bstap-run " PACKAGE_VERSION "\n");
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 1;
	}
	const char *path = argv[optind];
	size_t len;
	void *image = rt_read_file(path, &len);
	if (!image) {
		fprintf(stderr, "ERROR: cannot read %s: %s\n", path, strerror(errno));
		return 1;
	}
	int status = rt_run(image, len, path, &ro);
	free(image);
	return status;
}
