/* kinfo.c - what the runtime tells the probes about the running kernel
 * and about whose view ids are seen from: HZ() and the namespaces of
 * ns_pid() & co. (tapsets/context.stp), written into the global data map
 * before the programs load (bpf_abi.h, BSTAP_DATA_HZ ...).
 *
 * The value of CONFIG_HZ is in no header we may rely on, and BPF cannot
 * read it, so it comes from the kernel's configuration: the file the
 * distribution installs (/boot/config-RELEASE), else the kernel's own copy
 * (/proc/config.gz, CONFIG_IKCONFIG_PROC), else it is measured: jiffies
 * against nanoseconds in /proc/timer_list, rounded to a HZ the kernel
 * offers. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "runtime/rt.h"

/* CONFIG_HZ=N in a configuration read through zlib (plain files too). */
static long hz_from_config(const char *path)
{
	gzFile f = gzopen(path, "rb");
	if (!f)
		return 0;
	char line[256];
	long hz = 0;
	while (!hz && gzgets(f, line, sizeof line))
		if (!strncmp(line, "CONFIG_HZ=", 10))
			hz = strtol(line + 10, NULL, 10);
	gzclose(f);
	return hz;
}

/* The first "jiffies: N" of /proc/timer_list (root only), and when. */
static bool sample_jiffies(unsigned long long *j, double *t)
{
	FILE *f = fopen("/proc/timer_list", "re");
	if (!f)
		return false;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	char line[256];
	bool found = false;
	while (!found && fgets(line, sizeof line, f)) {
		const char *p = strstr(line, "jiffies: ");
		if (p && p == line + strspn(line, " "))
			found = sscanf(p + 9, "%llu", j) == 1;
	}
	fclose(f);
	*t = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	return found;
}

static long hz_measured(void)
{
	unsigned long long j0, j1;
	double t0, t1;
	if (!sample_jiffies(&j0, &t0))
		return 0;
	usleep(100 * 1000);
	if (!sample_jiffies(&j1, &t1) || t1 <= t0)
		return 0;
	double rate = (double)(j1 - j0) / (t1 - t0);
	static const long choices[] = { 100, 250, 300, 1000 };
	long best = 0;
	for (size_t i = 0; i < sizeof choices / sizeof choices[0]; i++)
		if (!best || abs((int)(rate - (double)choices[i])) < abs((int)(rate - (double)best)))
			best = choices[i];
	return best;
}

long rt_kernel_hz(void)
{
	struct utsname u;
	char path[128 + sizeof u.release];
	long hz = 0;
	if (uname(&u) == 0) {
		snprintf(path, sizeof path, "/boot/config-%s", u.release);
		hz = hz_from_config(path);
	}
	if (!hz)
		hz = hz_from_config("/proc/config.gz");
	if (!hz)
		hz = hz_measured();
	return hz;
}

uint64_t rt_namespace_inode(int pid, const char *kind)
{
	char path[64];
	if (pid > 0)
		snprintf(path, sizeof path, "/proc/%d/ns/%s", pid, kind);
	else
		snprintf(path, sizeof path, "/proc/self/ns/%s", kind);
	struct stat st;
	return stat(path, &st) == 0 ? (uint64_t)st.st_ino : 0;
}
