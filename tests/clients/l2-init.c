// SPDX-License-Identifier: GPL-2.0
/*
 * /init of the L2 guest that Debian's QEMU boots inside the L1 test guest
 * (scripts/clients/check-clients): a static program, the only file of its
 * initramfs.  It says when userspace began (the kernel's own uptime),
 * writes client_mib MiB (kernel command line, default 256) of anonymous
 * memory with a pattern that names each word's place and a seed, reads it
 * all back, reports on the console (ttyS0) and reboots, which with
 * reboot=t and QEMU's -no-reboot ends QEMU.
 *
 * Every line it prints starts with "CLIENT-L2 "; the launcher in L1
 * (gmem-qemu-run) reads them from the console log:
 *   CLIENT-L2 userspace UPTIME       seconds since the L2 kernel started
 *   CLIENT-L2 memtotal KIB
 *   CLIENT-L2 verified MIB MiB in SECONDS s     or
 *   CLIENT-L2 FAIL what                         then
 *   CLIENT-L2 done
 *
 * With client_bench=1 (gmem-bench's qemu part, tests/bench/qemu.c) it
 * times three passes over client_mib MiB instead, as the guest part's
 * nested guest does (tests/bench/guest.c), each between two markers:
 *   CLIENT-L2 phase touch     a word stored in each 4 KiB page: every
 *                             page faulted in, here and in L1's KVM
 *   CLIENT-L2 phase reread    every word read back and summed
 *   CLIENT-L2 phase walk      one word of each page summed
 *   CLIENT-L2 phase end
 *   CLIENT-L2 bench touch=S reread=S walk=S     (or FAIL), then done
 * After each marker it sleeps a second, so that the launcher, which polls
 * the console, reads KVM's statistics while the guest is idle.  The memory
 * is MADV_NOHUGEPAGE: this kernel faults it in by 4 KiB pages, whatever
 * backs it in L1.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The first number of a /proc file, or -1. */
static double proc_number(const char *path, const char *key)
{
	char line[256];
	double v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (key && strncmp(line, key, strlen(key)))
			continue;
		v = strtod(line + (key ? strlen(key) : 0), NULL);
		break;
	}
	fclose(f);
	return v;
}

/* A word that depends on its index and the seed: a moved page differs. */
static uint64_t word(uint64_t i, uint64_t seed)
{
	uint64_t x = (i + 1) * 0x9e3779b97f4a7c15ULL ^ seed;

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ULL;
	return x ^ (x >> 29);
}

/* A marker the launcher takes KVM's statistics at, then a quiet second. */
static void phase(const char *name)
{
	printf("CLIENT-L2 phase %s\n", name);
	fflush(stdout);
	sleep(1);
}

/*
 * The bench mode: first touch, re-read and page walk of @mib MiB, timed
 * here, each sum checked against what the first touch stored.
 */
static void bench(unsigned long mib, uint64_t seed)
{
	const uint64_t words = 4096 / sizeof(uint64_t);
	uint64_t pages = (uint64_t)mib << 8, i, want = 0, sum;
	volatile uint64_t *p;
	double t, touch, reread, walk;

	p = mmap(NULL, mib << 20, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		printf("CLIENT-L2 FAIL mmap of %lu MiB\n", mib);
		return;
	}
	madvise((void *)p, mib << 20, MADV_NOHUGEPAGE);
	for (i = 0; i < pages; i++)
		want += word(i, seed);

	phase("touch");
	t = now();
	for (i = 0; i < pages; i++)
		p[i * words] = word(i, seed);
	touch = now() - t;

	phase("reread");
	t = now();
	sum = 0;
	for (i = 0; i < pages * words; i++)
		sum += p[i];
	reread = now() - t;
	if (sum != want) {
		printf("CLIENT-L2 FAIL re-read summed %#llx, not %#llx\n",
		       (unsigned long long)sum, (unsigned long long)want);
		return;
	}

	phase("walk");
	t = now();
	sum = 0;
	for (i = 0; i < pages; i++)
		sum += p[i * words];
	walk = now() - t;
	phase("end");
	if (sum != want) {
		printf("CLIENT-L2 FAIL page walk summed %#llx, not %#llx\n",
		       (unsigned long long)sum, (unsigned long long)want);
		return;
	}
	printf("CLIENT-L2 bench touch=%.6f reread=%.6f walk=%.6f\n", touch,
	       reread, walk);
}

static void finish(void)
{
	printf("CLIENT-L2 done\n");
	fflush(stdout);
	sync();
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}

int main(void)
{
	const char *arg = getenv("client_mib");
	unsigned long mib = arg ? strtoul(arg, NULL, 10) : 256;
	uint64_t n, i, bad = 0, first_bad = 0;
	uint64_t seed = 0x676d656d;	/* "gmem" */
	uint64_t *p;
	double t;
	int fd;

	mkdir("/proc", 0555);
	mkdir("/dev", 0755);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	fd = open("/dev/ttyS0", O_WRONLY | O_NOCTTY);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	printf("CLIENT-L2 userspace %.2f\n", proc_number("/proc/uptime", NULL));
	printf("CLIENT-L2 memtotal %.0f\n",
	       proc_number("/proc/meminfo", "MemTotal:"));
	if (!mib || mib > (1UL << 20)) {
		printf("CLIENT-L2 FAIL client_mib=%s\n", arg);
		finish();
	}
	arg = getenv("client_bench");
	if (arg && !strcmp(arg, "1")) {
		bench(mib, seed);
		finish();
	}

	n = (uint64_t)mib << 17;	/* 8-byte words */
	t = now();
	p = mmap(NULL, mib << 20, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		printf("CLIENT-L2 FAIL mmap of %lu MiB\n", mib);
		finish();
	}
	for (i = 0; i < n; i++)
		p[i] = word(i, seed);
	for (i = 0; i < n; i++) {
		if (p[i] == word(i, seed))
			continue;
		if (!bad++)
			first_bad = i;
	}
	if (bad)
		printf("CLIENT-L2 FAIL %llu words of %lu MiB differ, the first at byte %llu\n",
		       (unsigned long long)bad, mib,
		       (unsigned long long)first_bad * 8);
	else
		printf("CLIENT-L2 verified %lu MiB in %.1f s\n", mib, now() - t);
	finish();
}
