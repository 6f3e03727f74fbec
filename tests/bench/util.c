// SPDX-License-Identifier: GPL-2.0
/* gmem-bench: clocks, /proc readers and messages. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("gmem-bench: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* Progress, on stderr: the host keeps it apart from the results. */
void note(const char *fmt, ...)
{
	va_list ap;

	fputs("gmem-bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	if (n < 0)
		return -errno;
	return n == (ssize_t)strlen(s) ? 0 : -EIO;
}

long long meminfo_kb(const char *field)
{
	size_t len = strlen(field);
	long long kb = -1;
	char line[256];
	FILE *f;

	f = fopen("/proc/meminfo", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, field, len) && line[len] == ':') {
			kb = strtoll(line + len + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return kb;
}

void vmstat_refresh(void)
{
	/* Best effort: without it the counters are only a little stale. */
	write_file("/proc/sys/vm/stat_refresh", "1");
}

struct slab_total slab_total(void)
{
	struct slab_total t = { 0, 0 };
	long long active, num, objsize, perslab, pages, slabs, nslabs;
	char line[512], name[128];
	FILE *f;

	f = fopen("/proc/slabinfo", "re");
	if (!f)
		return (struct slab_total){ -1, -1 };
	while (fgets(line, sizeof(line), f)) {
		/* name active num objsize perslab pages : tunables ... : slabdata act num shared */
		if (sscanf(line, "%127s %lld %lld %lld %lld %lld : tunables %*d %*d %*d : slabdata %lld %lld",
			   name, &active, &num, &objsize, &perslab, &pages,
			   &slabs, &nslabs) != 8)
			continue;
		t.objects += active * objsize;
		t.pages += nslabs * pages * (long long)PAGE;
	}
	fclose(f);
	return t;
}
