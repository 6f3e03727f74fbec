// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "sys.h"

const char *errno_name(int err)
{
	static char unknown[32];
	const char *name = strerrorname_np(err);

	if (name)
		return name;
	snprintf(unknown, sizeof(unknown), "errno %d", err);
	return unknown;
}

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

long page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(s);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, len);
	if (n < 0)
		n = -errno;
	close(fd);
	return n < 0 ? n : (size_t)n == len ? 0 : -EIO;
}

int read_ull(const char *path, unsigned long long *val)
{
	FILE *f = fopen(path, "re");
	int ret = 0;

	if (!f)
		return -errno;
	if (fscanf(f, "%llu", val) != 1)
		ret = -EINVAL;
	fclose(f);
	return ret;
}

/* The number after "@key" + @sep at the start of a line of @path. */
static long long field_of(const char *path, const char *key, char sep)
{
	size_t klen = strlen(key);
	long long val = -1;
	char line[256];
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) && line[klen] == sep) {
			if (sscanf(line + klen + 1, "%lld", &val) != 1)
				val = -1;
			break;
		}
	}
	fclose(f);
	return val;
}

long long meminfo_kb(const char *field)
{
	return field_of("/proc/meminfo", field, ':');
}

long long vmstat_get(const char *field)
{
	return field_of("/proc/vmstat", field, ' ');
}

long long memfree_kb(void)
{
	return meminfo_kb("MemFree");
}

/* Pages in every zone's per-CPU free lists, in kB. */
/* The sum over the zones of what /proc/zoneinfo's lines @fmt match, in kB. */
static long long zoneinfo_kb(const char *fmt)
{
	long long pages = 0, n;
	char line[256];
	FILE *f;

	f = fopen("/proc/zoneinfo", "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, fmt, &n) == 1)
			pages += n;
	fclose(f);
	return pages * (page_size() / 1024);
}

static long long pcp_kb(void)
{
	return zoneinfo_kb(" count: %lld");
}

long long watermark_high_kb(void)
{
	/* " high:" is a per-CPU list's; its colon stops this format */
	return zoneinfo_kb(" high %lld");
}

long long free_kb(void)
{
	long long kb = memfree_kb();

	return kb < 0 ? kb : kb + pcp_kb();
}

long long wait_kb(long long (*read)(void), long long kb, unsigned int ms)
{
	double end = now_s() + ms / 1000.0;
	long long val;

	for (;;) {
		val = read();
		if (val >= kb || now_s() >= end)
			return val;
		usleep(10 * 1000);
	}
}

bool kernel_zeroes_allocations(void)
{
	static const char on[] = "heap alloc:on";
	char cmdline[4096] = "", *log;
	bool zeroes = false;
	FILE *f;
	int len;

	f = fopen("/proc/cmdline", "re");
	if (f) {
		if (!fgets(cmdline, sizeof(cmdline), f))
			cmdline[0] = '\0';
		fclose(f);
	}
	if (strstr(cmdline, "init_on_alloc=0"))
		return false;
	if (strstr(cmdline, "init_on_alloc=1"))
		return true;
	/* the boot log says "mem auto-init: ..., heap alloc:on, ..." */
	len = klogctl(10, NULL, 0);	/* SYSLOG_ACTION_SIZE_BUFFER */
	if (len <= 0)
		return false;
	log = malloc(len + 1);
	if (!log)
		return false;
	len = klogctl(3, log, len);	/* SYSLOG_ACTION_READ_ALL */
	if (len > 0) {
		log[len] = '\0';
		zeroes = strstr(log, on) != NULL;
	}
	free(log);
	return zeroes;
}

bool kernel_at_least(int major, int minor)
{
	struct utsname u;
	int ma = 0, mi = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		return false;
	return ma > major || (ma == major && mi >= minor);
}
