// SPDX-License-Identifier: GPL-2.0
/* gmem-bench: clocks, /proc readers and messages. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

long long free_kb(void)
{
	long long kb = meminfo_kb("MemFree"), pages = 0, n;
	char line[256];
	FILE *f;

	if (kb < 0)
		return -1;
	f = fopen("/proc/zoneinfo", "re");
	if (!f)
		return kb;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " count: %lld", &n) == 1)
			pages += n;
	fclose(f);
	return kb + pages * (long long)(PAGE / KiB);
}

void slab_shrink_all(void)
{
	char path[512];
	struct dirent *d;
	DIR *dir;

	dir = opendir("/sys/kernel/slab");
	if (!dir)
		return;
	while ((d = readdir(dir))) {
		/* Aliases are symbolic links to the caches they merge into. */
		if (d->d_name[0] == '.' || d->d_type == DT_LNK)
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink", d->d_name);
		write_file(path, "1");
	}
	closedir(dir);
}

const char *kmsg_find(const char *what)
{
	static char rec[1024];
	const char *msg;
	ssize_t n;
	int fd;

	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return "";
	/* One record per read, "prio,seq,time,flags;message\n". */
	while ((n = read(fd, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		if (n < 0)
			continue;
		rec[n] = '\0';
		msg = strchr(rec, ';');
		if (msg && strstr(msg, what)) {
			close(fd);
			rec[strcspn(rec, "\n")] = '\0';
			return msg + 1;
		}
	}
	close(fd);
	return "";
}

long long fdinfo_value(int fd, const char *key)
{
	size_t len = strlen(key);
	long long v = -1;
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, len) && line[len] == ':') {
			v = strtoll(line + len + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

int nodes_with_memory(void)
{
	char buf[256], *p = buf, *end;
	long a, b;
	int n = 0;
	FILE *f;

	f = fopen("/sys/devices/system/node/has_memory", "re");
	if (!f)
		return 1;	/* no NUMA: one node */
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	/* A list like "0-1,3". */
	while (*p && *p != '\n') {
		a = strtol(p, &end, 10);
		if (end == p)
			break;
		b = a;
		if (*end == '-')
			b = strtol(end + 1, &end, 10);
		n += b - a + 1;
		p = *end == ',' ? end + 1 : end;
	}
	return n;
}

char *xmmap(int fd, uint64_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		die("mmap %llu bytes: %s", (unsigned long long)len,
		    strerror(errno));
	return p;
}
