/* SPDX-License-Identifier: GPL-2.0 */
/* Small system helpers shared by the tests, the tools and the example. */
#ifndef GMEM_TESTS_SYS_H
#define GMEM_TESTS_SYS_H

#include <stdbool.h>

#define KiB	1024ULL
#define MiB	(1024 * KiB)
#define GiB	(1024 * MiB)

/* "EINVAL" for EINVAL; never NULL. */
const char *errno_name(int err);

/* Seconds on the monotonic clock. */
double now_s(void);

long page_size(void);

/* Whether the running kernel's release is at least @major.@minor. */
bool kernel_at_least(int major, int minor);

/* Writes @s to @path; returns 0 or -errno. */
int write_str(const char *path, const char *s);

/* Reads one unsigned decimal number from @path; returns 0 or -errno. */
int read_ull(const char *path, unsigned long long *val);

/*
 * Whether the kernel zeroes every page it allocates by itself
 * (init_on_alloc, on by default in Debian's kernels): then a test cannot
 * tell whether gmem zeroes its pages, only that they are zero.
 */
bool kernel_zeroes_allocations(void);

/* A /proc/meminfo field in kB ("MemFree"), or -1 if absent. */
long long meminfo_kb(const char *field);

/* A /proc/vmstat counter ("oom_kill"), or -1 if absent. */
long long vmstat_get(const char *field);

/* MemFree, in kB; -1 if unreadable. */
long long memfree_kb(void);

/*
 * All free memory in kB: MemFree plus the pages waiting in the per-CPU
 * free lists (/proc/zoneinfo "count:"), which MemFree leaves out.  Those
 * lists hold several MiB that come and go with every allocation, so
 * MemFree alone cannot tell a few MiB leaked from a few MiB in transit.
 */
long long free_kb(void);

/*
 * The high watermarks of every zone, boost included, in kB: below them
 * kswapd reclaims, and not far below, at the min watermarks, the
 * kernel's own allocations fail and call the OOM killer.
 */
long long watermark_high_kb(void);

/*
 * Polls @read (memfree_kb, free_kb) for up to @ms milliseconds until it
 * says at least @kb; returns the last value read.
 */
long long wait_kb(long long (*read)(void), long long kb, unsigned int ms);

#endif /* GMEM_TESTS_SYS_H */
