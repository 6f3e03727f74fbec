// SPDX-License-Identifier: GPL-2.0
/*
 * fallocate on a gmem fd: which modes and ranges are accepted, that
 * st_blocks counts exactly what is allocated, and that the memory really
 * leaves and comes back, including when it runs out.  Free memory is
 * MemFree plus the per-CPU free lists (see free_kb()).
 *
 * Exact st_blocks checks after a punch use ranges that cannot share a
 * folio with memory left allocated (whole 2 MiB blocks, or pages each
 * allocated on its own): gmem may use large folios, and core truncation
 * is allowed to zero a partly punched one instead of splitting it.
 *
 * fallocate() calls on one fd run side by side (the invalidate_lock
 * shared); one that fails takes back exactly the folios it inserted and
 * nobody else relied on: the races at the end check that.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "gmemfd.h"

#define KEEP		FALLOC_FL_KEEP_SIZE
#define PUNCH		(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE)

#ifndef FALLOC_FL_WRITE_ZEROES
#define FALLOC_FL_WRITE_ZEROES	0x80	/* Linux 6.17 */
#endif

/* The memory tests' sizes; the guest has 1 GiB. */
#define MEM_TEST_BYTES		(256 * MiB)
/* Allocating MEM_TEST_BYTES must take at least this much free memory. */
#define MEM_DROP_MIN_KB		(240 * 1024LL)
/*
 * Free memory may come back short by this much: pages still referenced
 * from per-CPU LRU batches, slab kept for the page cache's xarray nodes.
 * GMEM_MEM_SLACK_KB in the environment overrides it, for kernels whose
 * own bookkeeping grows under these tests: on the debug kernel (make
 * check-debug) KASAN's quarantine holds freed slab objects back (up to
 * 1/32 of RAM) and the stack depot, KASAN's and kmemleak's metadata grow
 * during the out-of-memory storm, 7 to 9 MiB after "twice the RAM".
 * gmem's own pages are still counted exactly, by st_blocks and GMEM_INFO
 * (and on the debug kernel kmemleak looks for leaked objects).
 */
#define MEM_SLACK_KB_DEFAULT	(4 * 1024LL)
/* How long freed memory may take to show up as free. */
#define MEM_RETURN_MS		1000

/* MEM_SLACK_KB_DEFAULT, or GMEM_MEM_SLACK_KB if it is a number. */
static long long mem_slack_kb(void)
{
	const char *env = getenv("GMEM_MEM_SLACK_KB");
	long long kb;
	char *end;

	if (!env || !*env)
		return MEM_SLACK_KB_DEFAULT;
	errno = 0;
	kb = strtoll(env, &end, 10);
	if (errno || *end || kb < 0)
		FAIL("GMEM_MEM_SLACK_KB=%s is not a number of kB", env);
	return kb;
}

static long long pages(long long n)
{
	return n * page_size() / 512;	/* in st_blocks' 512-byte units */
}

static const char *mode_name(int mode)
{
	static const struct { int bit; const char *name; } bits[] = {
		{ FALLOC_FL_KEEP_SIZE, "KEEP_SIZE" },
		{ FALLOC_FL_PUNCH_HOLE, "PUNCH_HOLE" },
		{ FALLOC_FL_NO_HIDE_STALE, "NO_HIDE_STALE" },
		{ FALLOC_FL_COLLAPSE_RANGE, "COLLAPSE_RANGE" },
		{ FALLOC_FL_ZERO_RANGE, "ZERO_RANGE" },
		{ FALLOC_FL_INSERT_RANGE, "INSERT_RANGE" },
		{ FALLOC_FL_UNSHARE_RANGE, "UNSHARE_RANGE" },
		{ FALLOC_FL_WRITE_ZEROES, "WRITE_ZEROES" },
	};
	static char s[160];
	int rest = mode;

	snprintf(s, sizeof(s), "%s", mode ? "" : "0");
	for (unsigned int i = 0; i < ARRAY_SIZE(bits); i++) {
		if (!(mode & bits[i].bit))
			continue;
		rest &= ~bits[i].bit;
		snprintf(s + strlen(s), sizeof(s) - strlen(s), "%s%s",
			 s[0] ? "|" : "", bits[i].name);
	}
	if (rest)
		snprintf(s + strlen(s), sizeof(s) - strlen(s), "%s%#x",
			 s[0] ? "|" : "", rest);
	return s;
}

/* A failed fallocate must fail with @err and change nothing. */
static void falloc_fails_at(const char *file, int line, int fd, int mode,
			    long long off, long long len, int err)
{
	struct stat before, after;
	int ret, e;

	ASSERT_SYS(fstat(fd, &before));
	errno = 0;
	ret = fallocate(fd, mode, off, len);
	e = errno;
	if (ret == 0)
		test_fail_at(file, line,
			     "fallocate(%s, off %lld, len %lld): expected %s, got success",
			     mode_name(mode), off, len, errno_name(err));
	else if (e != err)
		test_fail_at(file, line,
			     "fallocate(%s, off %lld, len %lld): expected %s, got %s",
			     mode_name(mode), off, len, errno_name(err),
			     errno_name(e));
	ASSERT_SYS(fstat(fd, &after));
	if (after.st_blocks != before.st_blocks ||
	    after.st_size != before.st_size)
		test_fail_at(file, line,
			     "fallocate(%s, off %lld, len %lld) must change nothing, but st_blocks %lld -> %lld, st_size %lld -> %lld",
			     mode_name(mode), off, len,
			     (long long)before.st_blocks,
			     (long long)after.st_blocks,
			     (long long)before.st_size,
			     (long long)after.st_size);
}

#define EXPECT_FALLOC_FAILS(fd, mode, off, len, err)			\
	falloc_fails_at(__FILE__, __LINE__, fd, mode, off, len, err)

/* Allocates or punches [off, off + len), which must work. */
#define FALLOC(fd, mode, off, len)					\
	ASSERT_SYS(fallocate(fd, mode, off, len))

/* A 4 MiB fd with its first and last page allocated, to see changes. */
static int fd_with_pages(void)
{
	long pg = page_size();
	int fd = gmem_new(4 * MiB);

	FALLOC(fd, KEEP, 0, pg);
	FALLOC(fd, KEEP, 4 * MiB - pg, pg);
	ASSERT_EQ(gmem_blocks(fd), pages(2));
	return fd;
}

/* One page is one page, even where a 2 MiB folio would fit around it. */
static void one_page(void)
{
	long pg = page_size();
	int fd = gmem_new(4 * MiB);
	struct stat st;

	FALLOC(fd, KEEP, 2 * MiB, pg);
	ASSERT_SYS(fstat(fd, &st));
	EXPECT_EQ(st.st_blocks, pages(1));
	EXPECT_EQ(st.st_size, 4 * MiB);
	FALLOC(fd, PUNCH, 2 * MiB, pg);
	EXPECT_EQ(gmem_blocks(fd), 0);
}

static void page_by_page(void)
{
	long pg = page_size();
	int fd = gmem_new(4 * MiB);

	for (int i = 0; i < 8; i++) {
		FALLOC(fd, KEEP, i * pg, pg);
		EXPECT_EQ(gmem_blocks(fd), pages(i + 1));
	}
	/* across three pages, each its own allocation */
	FALLOC(fd, PUNCH, 2 * pg, 3 * pg);
	EXPECT_EQ(gmem_blocks(fd), pages(5));
	/* holes inside the range are fine */
	FALLOC(fd, PUNCH, 0, 4 * MiB);
	EXPECT_EQ(gmem_blocks(fd), 0);
}

static void realloc_noop(void)
{
	long pg = page_size();
	int fd = gmem_new(4 * MiB);
	struct stat st;

	FALLOC(fd, KEEP, 0, 4 * pg);
	EXPECT_EQ(gmem_blocks(fd), pages(4));
	FALLOC(fd, KEEP, 0, 4 * pg);
	EXPECT_EQ(gmem_blocks(fd), pages(4));
	FALLOC(fd, KEEP, pg, pg);
	EXPECT_EQ(gmem_blocks(fd), pages(4));
	/* half old, half new */
	FALLOC(fd, KEEP, 2 * pg, 4 * pg);
	EXPECT_EQ(gmem_blocks(fd), pages(6));
	ASSERT_SYS(fstat(fd, &st));
	EXPECT_EQ(st.st_size, 4 * MiB);
}

static void huge_ranges(void)
{
	int fd = gmem_new(16 * MiB);

	FALLOC(fd, KEEP, 2 * MiB, 8 * MiB);
	EXPECT_EQ(gmem_blocks(fd), 8 * MiB / 512);
	FALLOC(fd, PUNCH, 4 * MiB, 2 * MiB);
	EXPECT_EQ(gmem_blocks(fd), 6 * MiB / 512);
	FALLOC(fd, KEEP, 0, 16 * MiB);
	EXPECT_EQ(gmem_blocks(fd), 16 * MiB / 512);
	FALLOC(fd, PUNCH, 0, 16 * MiB);
	EXPECT_EQ(gmem_blocks(fd), 0);
}

/* Large-folio edges: a range that starts and ends inside 2 MiB blocks. */
static void unaligned_range(void)
{
	long pg = page_size();
	int fd = gmem_new(8 * MiB);

	FALLOC(fd, KEEP, pg, 4 * MiB);
	EXPECT_EQ(gmem_blocks(fd), 4 * MiB / 512);
	FALLOC(fd, KEEP, 0, 8 * MiB);
	EXPECT_EQ(gmem_blocks(fd), 8 * MiB / 512);
	FALLOC(fd, PUNCH, 0, 8 * MiB);
	EXPECT_EQ(gmem_blocks(fd), 0);
}

/* Offsets past 32 bits, and the very end of a max_size fd. */
static void far_offsets(void)
{
	long long pg = page_size();
	const long long offs[] = {
		(1LL << 31) - pg, 1LL << 31, 1LL << 32, 64 * GiB - pg,
	};
	unsigned long long max = gmem_max_size();
	int fd = gmem_new(64 * GiB);

	for (unsigned int i = 0; i < ARRAY_SIZE(offs); i++) {
		FALLOC(fd, KEEP, offs[i], pg);
		EXPECT_EQ(gmem_blocks(fd), pages(i + 1));
	}
	FALLOC(fd, PUNCH, 0, 64 * GiB);
	EXPECT_EQ(gmem_blocks(fd), 0);

	fd = gmem_new(max);
	FALLOC(fd, KEEP, max - pg, pg);
	EXPECT_EQ(gmem_blocks(fd), pages(1));
	FALLOC(fd, PUNCH, max - pg, pg);
	EXPECT_EQ(gmem_blocks(fd), 0);
}

static void punch_unallocated(void)
{
	long pg = page_size();
	int fd = gmem_new(4 * MiB);

	FALLOC(fd, PUNCH, 0, 4 * MiB);
	EXPECT_EQ(gmem_blocks(fd), 0);
	FALLOC(fd, KEEP, 0, pg);
	FALLOC(fd, KEEP, 2 * pg, pg);
	FALLOC(fd, PUNCH, pg, pg);
	EXPECT_EQ(gmem_blocks(fd), pages(2));
}

static void fds_separate(void)
{
	int a = gmem_new(4 * MiB), b = gmem_new(4 * MiB);

	FALLOC(a, KEEP, 0, 2 * MiB);
	FALLOC(b, KEEP, 0, 4 * MiB);
	EXPECT_EQ(gmem_blocks(a), 2 * MiB / 512);
	EXPECT_EQ(gmem_blocks(b), 4 * MiB / 512);
	FALLOC(a, PUNCH, 0, 4 * MiB);
	EXPECT_EQ(gmem_blocks(a), 0);
	EXPECT_EQ(gmem_blocks(b), 4 * MiB / 512);
	ASSERT_SYS(close(b));
	FALLOC(a, KEEP, 0, 4 * MiB);
	EXPECT_EQ(gmem_blocks(a), 4 * MiB / 512);
}

static void bad_modes(void)
{
	static const int modes[] = {
		0,
		FALLOC_FL_PUNCH_HOLE,
		FALLOC_FL_ZERO_RANGE,
		FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
		FALLOC_FL_COLLAPSE_RANGE,
		FALLOC_FL_INSERT_RANGE,
		FALLOC_FL_UNSHARE_RANGE,
		FALLOC_FL_UNSHARE_RANGE | FALLOC_FL_KEEP_SIZE,
		FALLOC_FL_WRITE_ZEROES,
		FALLOC_FL_NO_HIDE_STALE | FALLOC_FL_KEEP_SIZE,
		0x100 | FALLOC_FL_KEEP_SIZE,
	};
	int fd = fd_with_pages();

	for (unsigned int i = 0; i < ARRAY_SIZE(modes); i++) {
		EXPECT_FALLOC_FAILS(fd, modes[i], 0, 2 * MiB, EOPNOTSUPP);
		EXPECT_FALLOC_FAILS(fd, modes[i], 2 * MiB, 2 * MiB,
				    EOPNOTSUPP);
	}
}

static void unaligned(void)
{
	static const int modes[] = { KEEP, PUNCH };
	long long pg = page_size();
	const long long offs[] = { 1, 512, pg / 2, pg + 1, 4 * MiB - pg - 1 };
	const long long lens[] = { 1, 512, pg - 1, pg + 1, 2 * MiB - 512 };
	int fd = fd_with_pages();

	for (unsigned int m = 0; m < ARRAY_SIZE(modes); m++) {
		for (unsigned int i = 0; i < ARRAY_SIZE(offs); i++)
			EXPECT_FALLOC_FAILS(fd, modes[m], offs[i], pg, EINVAL);
		for (unsigned int i = 0; i < ARRAY_SIZE(lens); i++) {
			EXPECT_FALLOC_FAILS(fd, modes[m], 0, lens[i], EINVAL);
			EXPECT_FALLOC_FAILS(fd, modes[m], pg, lens[i], EINVAL);
		}
	}
}

/* Past the end: even the part that is in range must stay untouched. */
static void past_end(void)
{
	static const int modes[] = { KEEP, PUNCH };
	long long pg = page_size(), size = 4 * MiB;
	const long long cases[][2] = {	/* offset, length */
		{ size - 2 * pg, 3 * pg },
		{ size - pg, 2 * pg },
		{ size, pg },
		{ size + pg, pg },
		{ 0, size + pg },
		{ 0, 2 * size },
		{ pg, (LLONG_MAX & ~(pg - 1)) - pg },	/* ends at the top */
		{ 0, LLONG_MAX & ~(pg - 1) },
		{ 1LL << 40, pg },
	};
	int fd = fd_with_pages();

	for (unsigned int m = 0; m < ARRAY_SIZE(modes); m++)
		for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++)
			EXPECT_FALLOC_FAILS(fd, modes[m], cases[i][0],
					    cases[i][1], EINVAL);
}

/* Checked by the VFS before gmem is asked. */
static void vfs_einval(void)
{
	static const int modes[] = { KEEP, PUNCH };
	long long pg = page_size();
	int fd = fd_with_pages();

	for (unsigned int m = 0; m < ARRAY_SIZE(modes); m++) {
		EXPECT_FALLOC_FAILS(fd, modes[m], 0, 0, EINVAL);
		EXPECT_FALLOC_FAILS(fd, modes[m], 0, -pg, EINVAL);
		EXPECT_FALLOC_FAILS(fd, modes[m], pg, LLONG_MIN, EINVAL);
		EXPECT_FALLOC_FAILS(fd, modes[m], -pg, pg, EINVAL);
		EXPECT_FALLOC_FAILS(fd, modes[m], LLONG_MIN, pg, EINVAL);
	}
}

/* offset + length wraps past LLONG_MAX: the VFS says EFBIG. */
static void overflow(void)
{
	static const int modes[] = { KEEP, PUNCH };
	long long pg = page_size(), top = LLONG_MAX & ~(pg - 1);
	int fd = fd_with_pages();

	for (unsigned int m = 0; m < ARRAY_SIZE(modes); m++) {
		EXPECT_FALLOC_FAILS(fd, modes[m], top, 2 * pg, EFBIG);
		EXPECT_FALLOC_FAILS(fd, modes[m], top, top, EFBIG);
		EXPECT_FALLOC_FAILS(fd, modes[m], pg, top, EFBIG);
	}
}

/* Skips unless there is room for @bytes and a margin for everything else. */
static void need_free(unsigned long long bytes)
{
	long long kb = free_kb();

	if (kb < 0)
		test_skip("no MemFree in /proc/meminfo");
	if ((unsigned long long)kb * KiB < bytes + 128 * MiB)
		test_skip("%lld MiB free, %llu MiB needed", kb / 1024,
			  (bytes + 128 * MiB) / MiB);
}

/* Allocates all of @fd (MEM_TEST_BYTES); returns free memory before, kB. */
static long long alloc_all(int fd)
{
	long long before_kb = free_kb(), memfree_before = memfree_kb();
	long long unev_kb = meminfo_kb("Unevictable");
	long long after_kb;
	double t = now_s();

	FALLOC(fd, KEEP, 0, MEM_TEST_BYTES);
	t = now_s() - t;
	after_kb = free_kb();
	test_diag("fallocate %llu MiB: %.3f s; free %lld -> %lld MiB (MemFree %lld -> %lld MiB); Unevictable %+lld MiB",
		  MEM_TEST_BYTES / MiB, t, before_kb / 1024, after_kb / 1024,
		  memfree_before / 1024, memfree_kb() / 1024,
		  (meminfo_kb("Unevictable") - unev_kb) / 1024);
	EXPECT_EQ(gmem_blocks(fd), MEM_TEST_BYTES / 512);
	EXPECT_EQ(gmem_info(fd).allocated, MEM_TEST_BYTES);
	EXPECT_GE(before_kb - after_kb, MEM_DROP_MIN_KB);
	return before_kb;
}

/* Free memory must come back to @before_kb - @less_kb, within the slack. */
static void expect_returned(long long before_kb, long long less_kb,
			    const char *how)
{
	long long slack_kb = mem_slack_kb();
	long long want_kb = before_kb - less_kb - slack_kb;
	long long now_kb = wait_kb(free_kb, want_kb, MEM_RETURN_MS);

	test_diag("after %s: free %lld MiB, %+lld kB from the expected %lld MiB (slack %lld kB)",
		  how, now_kb / 1024, now_kb - (before_kb - less_kb),
		  (before_kb - less_kb) / 1024, slack_kb);
	EXPECT_GE(now_kb, want_kb);
}

static void mem_punch(void)
{
	long long before_kb;
	int fd;

	need_free(MEM_TEST_BYTES);
	fd = gmem_new(MEM_TEST_BYTES);
	before_kb = alloc_all(fd);

	FALLOC(fd, PUNCH, MEM_TEST_BYTES / 2, MEM_TEST_BYTES / 2);
	EXPECT_EQ(gmem_blocks(fd), MEM_TEST_BYTES / 2 / 512);
	EXPECT_EQ(gmem_info(fd).allocated, MEM_TEST_BYTES / 2);
	expect_returned(before_kb, MEM_TEST_BYTES / 2 / KiB, "punching half");

	FALLOC(fd, PUNCH, 0, MEM_TEST_BYTES);
	EXPECT_EQ(gmem_blocks(fd), 0);
	EXPECT_EQ(gmem_info(fd).allocated, 0);
	expect_returned(before_kb, 0, "punching all");
}

static void mem_close(void)
{
	long long before_kb;
	int fd;

	need_free(MEM_TEST_BYTES);
	fd = gmem_new(MEM_TEST_BYTES);
	before_kb = alloc_all(fd);
	ASSERT_SYS(close(fd));
	expect_returned(before_kb, 0, "close");
}

/*
 * Twice the RAM cannot be had.  The call must fail with ENOMEM rather than
 * call the OOM killer (the runner fails the test if the kernel logs an
 * OOM kill or an allocation-failure splat), give back what it took, leave
 * @keep bytes allocated before it at each end of the fd alone, and leave
 * the fd usable.
 */
static void enomem_with(unsigned long long keep)
{
	long long pg = page_size(), total_kb = meminfo_kb("MemTotal");
	unsigned long long size = (2 * total_kb * KiB + pg - 1) & ~(pg - 1);
	long long before_kb, blocks;
	double t;
	int fd;

	ASSERT_GT(total_kb, 0);
	/* If something must die, let it be us: the runner reports that. */
	write_str("/proc/self/oom_score_adj", "1000");
	fd = gmem_new(size);
	before_kb = free_kb();
	if (keep) {
		FALLOC(fd, KEEP, 0, keep);
		FALLOC(fd, KEEP, size - keep, keep);
	}
	blocks = gmem_blocks(fd);
	EXPECT_EQ(blocks, 2 * keep / 512);
	EXPECT_EQ(gmem_info(fd).allocated, 2 * keep);

	/* also checks that st_blocks stays @blocks */
	t = now_s();
	EXPECT_FALLOC_FAILS(fd, KEEP, 0, size, ENOMEM);
	test_diag("fallocate %llu MiB with MemTotal %lld MiB: %.3f s",
		  size / MiB, total_kb / 1024, now_s() - t);
	/*
	 * gmem's own count is exact whatever the kernel's bookkeeping does
	 * to free memory: only the pages kept from before are left.
	 */
	EXPECT_EQ(gmem_info(fd).allocated, 2 * keep);
	expect_returned(before_kb, 2 * keep / KiB, "ENOMEM");

	FALLOC(fd, PUNCH, 0, size);
	EXPECT_EQ(gmem_blocks(fd), 0);
	EXPECT_EQ(gmem_info(fd).allocated, 0);
	expect_returned(before_kb, 0, "punching all");

	/* still usable */
	FALLOC(fd, KEEP, 0, 2 * MiB);
	EXPECT_EQ(gmem_blocks(fd), 2 * MiB / 512);
	EXPECT_EQ(gmem_info(fd).allocated, 2 * MiB);
}

static void enomem(void)
{
	enomem_with(0);
}

static void enomem_keeps_earlier(void)
{
	enomem_with(2 * MiB);
}

/* ---- concurrent calls, one of them failing ---- */

#define MAX_TOTAL_PARAM	GMEM_SYSFS "/parameters/max_total"
#define PINNED_BYTES	GMEM_STATS_DIR "/pinned_bytes"
#define RACE_ROUNDS	6
#define KILL_TRIES	5
#define TOUCH_PAGES	16

struct racer {
	pthread_barrier_t *go;
	int fd;
	long long off;
	long long len;
	int err;			/* 0, or the call's errno */
};

static void *racer_fn(void *arg)
{
	struct racer *r = arg;

	pthread_barrier_wait(r->go);
	r->err = fallocate(r->fd, KEEP, r->off, r->len) ? errno : 0;
	return NULL;
}

/* @a and @b's fallocate() calls, from two threads let go at once. */
static void race_two(struct racer *a, struct racer *b)
{
	pthread_barrier_t go;
	pthread_t t[2];

	ASSERT_EQ(pthread_barrier_init(&go, NULL, 2), 0);
	a->go = &go;
	b->go = &go;
	ASSERT_EQ(pthread_create(&t[0], NULL, racer_fn, a), 0);
	ASSERT_EQ(pthread_create(&t[1], NULL, racer_fn, b), 0);
	ASSERT_EQ(pthread_join(t[0], NULL), 0);
	ASSERT_EQ(pthread_join(t[1], NULL), 0);
	pthread_barrier_destroy(&go);
}

/*
 * What every gmem fd holds against max_total: allocated, plus what is
 * kept for references others still held when it was freed, once those
 * are let go.  A racing call's lookup lets go at once; a per-CPU LRU
 * batch of another CPU that a new folio went into only when it drains,
 * which compaction makes every CPU do.
 */
static unsigned long long held_bytes(void)
{
	unsigned long long pinned = 0;
	double start = now_s();
	bool drained = false;

	while (!read_ull(PINNED_BYTES, &pinned) && pinned &&
	       now_s() < start + 5) {
		if (!drained && now_s() > start + 1.5) {
			write_str("/proc/sys/vm/compact_memory", "1");
			drained = true;
		}
		usleep(50 * 1000);
	}
	EXPECT_EQ(pinned, 0);
	return gmem_stats().allocated_bytes + pinned;
}

static void max_total_reset(void)
{
	ASSERT_EQ(write_str(MAX_TOTAL_PARAM, "0"), 0);
}

/*
 * Two calls on disjoint ranges of one fd at once, under a max_total with
 * room for the small one's pages (and three times more) but never for the
 * large one's: the large one fails with ENOSPC and takes back all it
 * inserted; the small one either gets all of its range or, when the
 * large one took the room first, fails the same way.  Either way the fd holds exactly what it
 * held before plus the range of the call that succeeded.
 */
static void race_enospc_with(unsigned int flags)
{
	const long long size = 64 * MiB, pre = 2 * MiB;
	const long long a_off = 8 * MiB, a_len = 2 * MiB;
	const long long b_off = 16 * MiB, b_len = 48 * MiB;
	unsigned int round, survived = 0;
	long long want;
	char cap[32];
	int fd;

	fd = gmem_new_flags(size, flags);
	FALLOC(fd, KEEP, 0, pre);
	for (round = 0; round < RACE_ROUNDS; round++) {
		struct racer a = { .fd = fd, .off = a_off, .len = a_len };
		struct racer b = { .fd = fd, .off = b_off, .len = b_len };

		/* room for the small call's pages and three times more */
		snprintf(cap, sizeof(cap), "%llu", held_bytes() + 4 * a_len);
		ASSERT_EQ(write_str(MAX_TOTAL_PARAM, cap), 0);
		race_two(&a, &b);
		max_total_reset();

		EXPECT_EQ(b.err, ENOSPC);
		if (a.err)
			EXPECT_EQ(a.err, ENOSPC);
		else
			survived++;
		want = pre + (a.err ? 0 : a_len);
		EXPECT_EQ(gmem_info(fd).allocated, want);
		EXPECT_EQ(gmem_blocks(fd), want / 512);
		EXPECT_EQ(held_bytes(), want);
		/* and those are the pages: allocating them again adds none */
		FALLOC(fd, KEEP, 0, pre);
		if (!a.err)
			FALLOC(fd, KEEP, a_off, a_len);
		EXPECT_EQ(gmem_info(fd).allocated, want);
		FALLOC(fd, PUNCH, a_off, a_len);
	}
	test_diag("the small call succeeded in %u of %d rounds", survived,
		  RACE_ROUNDS);
	ASSERT_SYS(close(fd));
}

static void race_enospc(void)
{
	race_enospc_with(0);
}

static void race_enospc_huge(void)
{
	race_enospc_with(GMEM_CREATE_HUGE);
}

/*
 * A child's fallocate() of most of the fd is killed (SIGKILL: EINTR in
 * the kernel) while the parent faults in pages inside its range, some
 * where the child has been and some ahead of it, and allocates a range
 * that begins inside what the child has done and reaches past where it
 * is.  Afterwards the fd holds exactly what it held before, the faulted
 * pages with what was written to them (on a huge fd their whole 2 MiB
 * blocks) and the parent's whole range, the child's pages in it included;
 * none of the child's other pages.
 */
static void race_killed_with(unsigned int flags)
{
	const long long size = 256 * MiB, pre = 2 * MiB;
	const long long b_off = pre, b_len = 190 * MiB, b_ahead = 24 * MiB;
	const long long a_off = 8 * MiB, a_len = 32 * MiB;
	const long long touch_off[2] = { 4 * MiB, 96 * MiB };
	long pg = page_size();
	long long touched = flags & GMEM_CREATE_HUGE ? (long long)GMEM_HUGE_SIZE :
			    TOUCH_PAGES * pg;
	long long rolled = pre + 2 * touched + a_len, whole = b_off + b_len;
	long long allocated = 0;
	volatile unsigned char *p;
	int fd, tries, i, t, status = 0, a_err = 0;
	double end;
	pid_t pid;

	fd = gmem_new_flags(size, flags | GMEM_CREATE_MMAP | GMEM_CREATE_SHARED);
	p = gmem_map(fd, size);
	FALLOC(fd, KEEP, 0, pre);
	for (tries = 0; tries < KILL_TRIES; tries++) {
		pid = fork();
		ASSERT_SYS(pid);
		if (pid == 0)
			_exit(fallocate(fd, KEEP, b_off, b_len) ? 1 : 0);
		/* the child is past a_off (sysfs counts without the lock) */
		end = now_s() + 30;
		while (gmem_stats().allocated_bytes <
		       (unsigned long long)(pre + b_ahead) && now_s() < end)
			usleep(1000);
		for (t = 0; t < 2; t++)
			for (i = 0; i < TOUCH_PAGES; i++)
				p[touch_off[t] + i * pg] = 0x5a ^ i ^ t;
		a_err = fallocate(fd, KEEP, a_off, a_len) ? errno : 0;
		kill(pid, SIGKILL);
		ASSERT_EQ(waitpid(pid, &status, 0), pid);
		allocated = gmem_info(fd).allocated;
		if (WIFSIGNALED(status) && allocated != whole)
			break;
		/* it finished first: start over */
		test_diag("try %d: the child's fallocate() was done before the kill",
			  tries + 1);
		FALLOC(fd, PUNCH, pre, size - pre);
	}
	if (tries == KILL_TRIES)
		test_skip("the fallocate() to kill finished first %d times",
			  KILL_TRIES);

	EXPECT_EQ(a_err, 0);
	EXPECT_EQ(WTERMSIG(status), SIGKILL);
	EXPECT_EQ(allocated, rolled);
	EXPECT_EQ(gmem_blocks(fd), rolled / 512);
	EXPECT_EQ(held_bytes(), rolled);
	for (t = 0; t < 2; t++)
		for (i = 0; i < TOUCH_PAGES; i++)
			EXPECT_EQ(p[touch_off[t] + i * pg], 0x5a ^ i ^ t);
	FALLOC(fd, KEEP, 0, pre);
	FALLOC(fd, KEEP, a_off, a_len);
	EXPECT_EQ(gmem_info(fd).allocated, rolled);
	ASSERT_SYS(munmap((void *)p, size));
	ASSERT_SYS(close(fd));
}

static void race_killed(void)
{
	race_killed_with(0);
}

static void race_killed_huge(void)
{
	race_killed_with(GMEM_CREATE_HUGE);
}

static const struct test fallocate_tests[] = {
	TEST("one page allocates exactly one page", one_page),
	TEST("page by page, then a punch across pages", page_by_page),
	TEST("re-allocating changes nothing", realloc_noop),
	TEST("2 MiB ranges: allocate, punch, refill", huge_ranges),
	TEST("a range not aligned to 2 MiB", unaligned_range),
	TEST("offsets past 4 GiB and at max_size", far_offsets),
	TEST("punching holes that are not allocated", punch_unallocated),
	TEST("fds are accounted separately", fds_separate),
	TEST("EOPNOTSUPP for every other mode", bad_modes),
	TEST("EINVAL for an unaligned offset or length", unaligned),
	TEST("EINVAL for a range past the end", past_end),
	TEST("EINVAL for a zero or negative range (VFS)", vfs_einval),
	TEST("EFBIG when offset + length overflows (VFS)", overflow),
	TEST("256 MiB: memory taken, punch returns it", mem_punch,
	     .timeout = 120),
	TEST("256 MiB: close returns it", mem_close,
	     .timeout = 120),
	TEST("twice the RAM: ENOMEM, nothing kept", enomem,
	     .timeout = 300),
	TEST("twice the RAM: ENOMEM keeps earlier pages",
	     enomem_keeps_earlier, .timeout = 300),
	TEST("concurrent calls, one over max_total: ENOSPC takes back its own pages only",
	     race_enospc, .timeout = 120, .cleanup = max_total_reset),
	TEST("concurrent calls on a huge fd, one over max_total: ENOSPC takes back its own pages only",
	     race_enospc_huge, .timeout = 120, .cleanup = max_total_reset),
	TEST("a killed call beside an overlapping one and faults: only its own pages go",
	     race_killed, .timeout = 180),
	TEST("a killed call on a huge fd beside an overlapping one and faults: only its own pages go",
	     race_killed_huge, .timeout = 180),
};

DEFINE_SUITE(fallocate_suite, "fallocate", fallocate_tests);
