// SPDX-License-Identifier: GPL-2.0
/*
 * NUMA placement at GMEM_CREATE: where each mode puts the pages, seen
 * through a shared mapping (move_pages(2) without target nodes reports a
 * mapped page's node) and through the test consumer (the node of the page
 * a resolve returns): BIND and PREFERRED on their node whatever the task's
 * own policy, INTERLEAVE by offset (pages, or 2 MiB blocks of a huge fd),
 * DEFAULT by the allocating task's policy; BIND fails with ENOMEM when its
 * nodes are full where PREFERRED spills over; fdinfo's per-node bytes; and
 * every invalid policy refused (EINVAL, EFAULT), while a version-0 struct
 * still works.
 *
 * The guests have two nodes (scripts/run-guest, NUMA=2); a test that needs
 * both is skipped, saying so, with fewer.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "ct.h"
#include "gmemfd.h"
#include "numa.h"

#define HUGE		GMEM_HUGE_SIZE
#define HUGE_PAGES	GMEM_HUGE_PAGES
#define MMAP_SHARED_FD	(GMEM_CREATE_MMAP | GMEM_CREATE_SHARED)

/* ---- helpers ---- */

static void mode_is_at(const char *file, int line, int fd, unsigned int mode)
{
	struct gmem_info info = gmem_info(fd), fdi = gmem_fdinfo(fd);

	if (info.numa_mode != mode || fdi.numa_mode != mode)
		test_fail_at(file, line,
			     "numa_mode: GMEM_INFO %u, fdinfo %u; expected %u (%s)",
			     info.numa_mode, fdi.numa_mode, mode,
			     gmem_numa_mode_name(mode));
}

#define MODE_IS(fd, mode)	mode_is_at(__FILE__, __LINE__, fd, mode)

/* ---- placement ---- */

static void bind_node1(void)
{
	long pg = page_size();
	size_t len = 2 * HUGE;
	unsigned char *a;
	int fd;

	numa_need_two();
	numa_bind_task(0);
	fd = gmem_new_numa(len, MMAP_SHARED_FD, GMEM_NUMA_BIND, NODE_BIT(1));
	MODE_IS(fd, GMEM_NUMA_BIND);
	/* by fallocate */
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, HUGE));
	NODE_BYTES(fd, 0, HUGE);
	a = gmem_map(fd, len);
	NODES_ARE(a, 0, HUGE, 1);
	/* by fault */
	for (size_t off = HUGE; off < len; off += pg)
		a[off] = 1;
	NODES_ARE(a, HUGE, HUGE, 1);
	NODE_BYTES(fd, 0, len);
	/* the same, huge */
	fd = gmem_new_numa(len, MMAP_SHARED_FD | GMEM_CREATE_HUGE,
			   GMEM_NUMA_BIND, NODE_BIT(1));
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, len));
	a = gmem_map_aligned(fd, len, HUGE);
	NODES_ARE(a, 0, len, 1);
	NODE_BYTES(fd, 0, len);
}

static void preferred_node1(void)
{
	size_t len = HUGE;
	unsigned char *a;
	int fd;

	numa_need_two();
	numa_bind_task(0);
	fd = gmem_new_numa(len, MMAP_SHARED_FD, GMEM_NUMA_PREFERRED,
			   NODE_BIT(1));
	MODE_IS(fd, GMEM_NUMA_PREFERRED);
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, len / 2));
	a = gmem_map(fd, len);
	NODES_ARE(a, 0, len, 1);	/* the second half by fault */
	NODE_BYTES(fd, 0, len);
	/* and node0 preferred */
	numa_bind_task(1);
	fd = gmem_new_numa(len, MMAP_SHARED_FD, GMEM_NUMA_PREFERRED,
			   NODE_BIT(0));
	a = gmem_map(fd, len);
	NODES_ARE(a, 0, len, 0);
	NODE_BYTES(fd, len, 0);
}

static void interleave_pages(void)
{
	long pg = page_size();
	const size_t n = 64;
	unsigned char *a;
	int fd;

	numa_need_two();
	numa_bind_task(1);
	fd = gmem_new_numa(n * pg, MMAP_SHARED_FD, GMEM_NUMA_INTERLEAVE,
			   NODE_BIT(0) | NODE_BIT(1));
	MODE_IS(fd, GMEM_NUMA_INTERLEAVE);
	/* half by fallocate, half by faults in a scrambled order */
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, n / 2 * pg));
	a = gmem_map(fd, n * pg);
	for (size_t i = 0; i < n / 2; i++)
		a[(n / 2 + (i * 7) % (n / 2)) * pg] = 1;
	NODES_INTERLEAVE(a, 0, n * pg, 1);
	NODE_BYTES(fd, n / 2 * pg, n / 2 * pg);

	/* one node in the mask: all of it there */
	fd = gmem_new_numa(n * pg, MMAP_SHARED_FD, GMEM_NUMA_INTERLEAVE,
			   NODE_BIT(1));
	a = gmem_map(fd, n * pg);
	NODES_ARE(a, 0, n * pg, 1);
}

static void interleave_huge(void)
{
	size_t len = 4 * HUGE;
	unsigned char *a;
	int fd;

	numa_need_two();
	numa_bind_task(1);
	fd = gmem_new_numa(len, MMAP_SHARED_FD | GMEM_CREATE_HUGE,
			   GMEM_NUMA_INTERLEAVE, NODE_BIT(0) | NODE_BIT(1));
	gmem_need_huge_blocks(8);
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, len));
	EXPECT_EQ(gmem_info(fd).large_folios, 4);
	a = gmem_map_aligned(fd, len, HUGE);
	/* block b on node b % 2, every page of it */
	NODES_INTERLEAVE(a, 0, len, HUGE_PAGES);
	NODE_BYTES(fd, 2 * HUGE, 2 * HUGE);
}

static void default_follows_task(void)
{
	long pg = page_size();
	size_t len = 64 * pg;
	unsigned char *a;
	int fd;

	numa_need_two();
	fd = gmem_new_numa(len, MMAP_SHARED_FD, GMEM_NUMA_DEFAULT, 0);
	MODE_IS(fd, GMEM_NUMA_DEFAULT);
	a = gmem_map(fd, len);
	/* the first quarter under a policy of node1: fallocate, then faults */
	numa_bind_task(1);
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, len / 8));
	NODES_ARE(a, 0, len / 4, 1);
	/* the next under node0 */
	numa_bind_task(0);
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, len / 4, len / 8));
	NODES_ARE(a, len / 4, len / 4, 0);
	/* and the pages there already stay where they are */
	NODES_ARE(a, 0, len / 4, 1);
	NODE_BYTES(fd, len / 4, len / 4);
	/* a version-0 struct is the default mode too */
	ASSERT_EQ(numa_set_policy(MPOL_DEFAULT, 0), 0);
	fd = gmem_new_flags(pg, 0);
	MODE_IS(fd, GMEM_NUMA_DEFAULT);
}

/* The node of every private page, through the consumer, in each mode. */
static void consumer_nodes(void)
{
	static const struct {
		unsigned int mode;
		uint64_t mask;
		unsigned int flags;
	} cases[] = {
		{ GMEM_NUMA_BIND, NODE_BIT(1), 0 },
		{ GMEM_NUMA_PREFERRED, NODE_BIT(1), 0 },
		{ GMEM_NUMA_INTERLEAVE, NODE_BIT(0) | NODE_BIT(1), 0 },
		{ GMEM_NUMA_INTERLEAVE, NODE_BIT(0) | NODE_BIT(1),
		  GMEM_CREATE_HUGE },
		{ GMEM_NUMA_BIND, NODE_BIT(0), GMEM_CREATE_HUGE },
	};
	const uint64_t n = 2 * HUGE_PAGES;
	int ct;

	numa_need_two();
	ct = ct_open();
	numa_bind_task(0);
	for (unsigned int c = 0; c < ARRAY_SIZE(cases); c++) {
		int fd = gmem_new_numa(n * page_size(), cases[c].flags,
				       cases[c].mode, cases[c].mask);
		uint32_t slot = CT_BIND(ct, fd, 0, n);
		bool huge = cases[c].flags & GMEM_CREATE_HUGE;
		unsigned int wrong = 0;

		test_diag("%s over %#llx%s", gmem_numa_mode_name(cases[c].mode),
			  (unsigned long long)cases[c].mask,
			  huge ? ", huge" : "");
		/* resolves allocate: from the end backwards, then the rest */
		for (uint64_t k = 0; k < n; k++) {
			uint64_t i = k < n / 2 ? n - 1 - k : k - n / 2;
			struct gmem_test_resolve r = ct_resolve(ct, slot, i);
			int want;

			ASSERT_EQ(r.err, 0);
			if (cases[c].mode == GMEM_NUMA_INTERLEAVE)
				want = (i / (huge ? HUGE_PAGES : 1)) % 2;
			else
				want = __builtin_ctzll(cases[c].mask);
			if (r.node != want && wrong++ < 4)
				test_fail_at(__FILE__, __LINE__,
					     "page %llu resolved on node %d, expected %d",
					     (unsigned long long)i, r.node, want);
		}
		ct_unbind(ct, slot);
		ASSERT_SYS(close(fd));
	}
}

/*
 * BIND's nodes full: ENOMEM, and nothing kept.  PREFERRED asks for the
 * same and gets it, from the other node as well.
 */
static void bind_full_preferred_spills(void)
{
	long long free1 = numa_free_kb(1), free_all = free_kb();
	uint64_t len, bytes[GMEM_MAX_NODES];
	int fd;

	numa_need_two();
	ASSERT_GT(free1, 0);
	write_str("/proc/self/oom_score_adj", "1000");
	/* more than node1 has, well within what both have */
	len = ((uint64_t)free1 * 1024 + 64 * MiB) & ~(HUGE - 1);
	test_diag("node1 has %lld MiB free, both %lld MiB: asking for %llu MiB",
		  free1 / 1024, free_all / 1024, (unsigned long long)(len / MiB));
	if ((long long)(len / 1024) + 128 * 1024 > free_all)
		test_skip("not enough memory on node0 to spill over");

	fd = gmem_new_numa(len, 0, GMEM_NUMA_BIND, NODE_BIT(1));
	EXPECT_ERRNO(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, len), ENOMEM);
	EXPECT_EQ(gmem_info(fd).allocated, 0);
	ASSERT_SYS(close(fd));

	fd = gmem_new_numa(len, 0, GMEM_NUMA_PREFERRED, NODE_BIT(1));
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, len));
	EXPECT_EQ(gmem_info(fd).allocated, len);
	gmem_fdinfo_nodes(fd, bytes, GMEM_MAX_NODES);
	test_diag("PREFERRED node1: %llu MiB on node1, %llu MiB on node0",
		  (unsigned long long)(bytes[1] / MiB),
		  (unsigned long long)(bytes[0] / MiB));
	EXPECT_GT(bytes[0], 0);
	EXPECT_GT(bytes[1], len / 2);
	EXPECT_EQ(bytes[0] + bytes[1], len);
}

/* ---- arguments ---- */

/*
 * GMEM_CREATE with every field given; -1 with errno, or the fd (closed
 * again here: only the result matters).
 */
static int create_raw(uint32_t size, unsigned int mode, uint32_t maxnode,
		      const void *nodes)
{
	struct gmem_create args = {
		.size = size,
		.length = page_size(),
		.numa_mode = mode,
		.numa_maxnode = maxnode,
		.numa_nodes = (uintptr_t)nodes,
	};
	int dev = gmem_open_dev(), fd, err;

	fd = ioctl(dev, GMEM_CREATE, &args);
	err = errno;
	if (fd >= 0)
		close(fd);
	close(dev);
	errno = err;
	return fd < 0 ? -1 : 0;
}

#define SZ	GMEM_CREATE_SIZE_VER1

static void bad_policies(void)
{
	long pg = page_size();
	int possible = numa_possible();
	uint64_t mem = numa_mem_mask();
	uint64_t one[1] = { NODE_BIT(0) }, two[2] = { NODE_BIT(0), 0 };
	uint64_t zero[2] = { 0, 0 }, word[2], *big;
	unsigned char *page, *gone;
	int memless = -1;

	/* modes */
	EXPECT_ERRNO(create_raw(SZ, 4, 64, one), EINVAL);
	EXPECT_ERRNO(create_raw(SZ, 0x80000000u, 64, one), EINVAL);
	EXPECT_ERRNO(create_raw(SZ, UINT32_MAX, 0, NULL), EINVAL);
	/* DEFAULT takes no mask */
	EXPECT_ERRNO(create_raw(SZ, GMEM_NUMA_DEFAULT, 64, NULL), EINVAL);
	EXPECT_ERRNO(create_raw(SZ, GMEM_NUMA_DEFAULT, 0, one), EINVAL);
	EXPECT_ERRNO(create_raw(SZ, GMEM_NUMA_DEFAULT, 64, one), EINVAL);
	EXPECT_SYS(create_raw(SZ, GMEM_NUMA_DEFAULT, 0, NULL));

	for (unsigned int mode = GMEM_NUMA_BIND; mode <= GMEM_NUMA_INTERLEAVE;
	     mode++) {
		test_diag("mode %s", gmem_numa_mode_name(mode));
		/* the control */
		EXPECT_SYS(create_raw(SZ, mode, 64, one));
		/* empty masks: no bits, no words, zero words */
		EXPECT_ERRNO(create_raw(SZ, mode, 0, one), EINVAL);
		EXPECT_ERRNO(create_raw(SZ, mode, 64, zero), EINVAL);
		EXPECT_ERRNO(create_raw(SZ, mode, 128, zero), EINVAL);
		/* a node the kernel does not have */
		if (possible < 64) {
			word[0] = NODE_BIT(0) | NODE_BIT(possible);
			EXPECT_ERRNO(create_raw(SZ, mode, 64, word), EINVAL);
		}
		word[0] = NODE_BIT(63);
		EXPECT_ERRNO(create_raw(SZ, mode, 64, word), EINVAL);
		word[0] = 0;
		word[1] = NODE_BIT(100 - 64);
		EXPECT_ERRNO(create_raw(SZ, mode, 128, word), EINVAL);
		/* a longer mask, zero past the nodes, is fine */
		EXPECT_SYS(create_raw(SZ, mode, 128, two));
		/* bits at maxnode and above are not part of the mask */
		word[0] = NODE_BIT(0) | NODE_BIT(5);
		EXPECT_SYS(create_raw(SZ, mode, 1, word));
		/* unreadable masks */
		EXPECT_ERRNO(create_raw(SZ, mode, 64, (void *)1), EFAULT);
		EXPECT_ERRNO(create_raw(SZ, mode, 64,
					(void *)0xffffffff81000000UL), EFAULT);
	}
	/*
	 * The longest mask: page size * 8 bits (ioctl_gmem(2)), node 0 in its
	 * first word, the rest zero; one bit more is refused before it is
	 * read.
	 */
	big = calloc(pg / sizeof(*big) + 1, sizeof(*big));
	ASSERT_TRUE(big != NULL);
	big[0] = NODE_BIT(0);
	EXPECT_SYS(create_raw(SZ, GMEM_NUMA_BIND, pg * 8, big));
	EXPECT_ERRNO(create_raw(SZ, GMEM_NUMA_BIND, pg * 8 + 1, big), EINVAL);
	EXPECT_ERRNO(create_raw(SZ, GMEM_NUMA_BIND, UINT32_MAX, big), EINVAL);
	free(big);

	/* NULL with bits to read: EFAULT or, as no mask, EINVAL */
	errno = 0;
	if (create_raw(SZ, GMEM_NUMA_BIND, 64, NULL) == 0 ||
	    (errno != EFAULT && errno != EINVAL))
		FAIL("BIND with a NULL mask: %s", errno ? errno_name(errno) :
		     "worked");

	/* a mask running into an unmapped page */
	page = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(page != MAP_FAILED);
	ASSERT_SYS(munmap(page + pg, pg));
	gone = page + pg;
	memcpy(gone - 8, one, 8);
	EXPECT_SYS(create_raw(SZ, GMEM_NUMA_BIND, 64, gone - 8));
	EXPECT_ERRNO(create_raw(SZ, GMEM_NUMA_BIND, 128, gone - 8), EFAULT);
	EXPECT_ERRNO(create_raw(SZ, GMEM_NUMA_BIND, 64, gone), EFAULT);

	/* PREFERRED takes exactly one node */
	word[0] = mem;
	if (numa_count(mem) >= 2)
		EXPECT_ERRNO(create_raw(SZ, GMEM_NUMA_PREFERRED, 64, word),
			     EINVAL);
	else
		test_diag("one node with memory: PREFERRED of two not tried");
	if (numa_count(mem) >= 2) {
		word[0] = NODE_BIT(1);
		EXPECT_SYS(create_raw(SZ, GMEM_NUMA_PREFERRED, 64, word));
		word[0] = NODE_BIT(0) | NODE_BIT(1);
		EXPECT_SYS(create_raw(SZ, GMEM_NUMA_INTERLEAVE, 64, word));
		EXPECT_SYS(create_raw(SZ, GMEM_NUMA_BIND, 64, word));
	}

	/* a possible node without memory, if the machine has one */
	for (int n = 0; n < possible && n < 64; n++)
		if (!(mem & NODE_BIT(n))) {
			memless = n;
			break;
		}
	if (memless >= 0) {
		word[0] = NODE_BIT(memless);
		EXPECT_ERRNO(create_raw(SZ, GMEM_NUMA_BIND, 64, word), EINVAL);
		word[0] |= NODE_BIT(__builtin_ctzll(mem));
		EXPECT_ERRNO(create_raw(SZ, GMEM_NUMA_INTERLEAVE, 64, word),
			     EINVAL);
	} else {
		test_diag("every possible node (%d) has memory: no memoryless node to try",
			  possible);
	}
}

/* A caller built before the NUMA fields: 32 bytes, the default policy. */
static void old_struct(void)
{
	struct {
		struct gmem_create c;
		unsigned char after[16];
	} args;
	int dev = gmem_open_dev(), fd;

	memset(&args, 0, sizeof(args));
	args.c.size = GMEM_CREATE_SIZE_VER0;
	args.c.length = 4 * page_size();
	args.c.flags = GMEM_CREATE_MMAP;
	/* what lies past the 32 bytes is not the caller's struct */
	args.c.numa_mode = GMEM_NUMA_BIND;
	args.c.numa_maxnode = 7;
	args.c.numa_nodes = 1;
	fd = ASSERT_SYS(ioctl(dev, GMEM_CREATE, &args));
	MODE_IS(fd, GMEM_NUMA_DEFAULT);
	EXPECT_EQ(gmem_info(fd).create_flags, GMEM_CREATE_MMAP);
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 4 * page_size()));
	EXPECT_EQ(gmem_info(fd).allocated, 4 * page_size());
}

static const struct test numa_tests[] = {
	TEST("BIND node1: every page there, by fallocate and fault, 4 KiB and huge, whatever the task's policy",
	     bind_node1),
	TEST("PREFERRED node1 (and node0): pages there, whatever the task's policy",
	     preferred_node1),
	TEST("INTERLEAVE {0,1}: page i on node i % 2, whatever order they come in",
	     interleave_pages),
	TEST("INTERLEAVE {0,1} on a huge fd: 2 MiB block b on node b % 2",
	     interleave_huge),
	TEST("DEFAULT: the allocating task's own policy", default_follows_task),
	TEST("gmem_test resolves private pages on the policy's nodes",
	     consumer_nodes, .cleanup = ct_cleanup),
	TEST("BIND to a full node: ENOMEM, nothing kept; PREFERRED spills to the other",
	     bind_full_preferred_spills, .timeout = 180),
	TEST("invalid policies: EINVAL (mode, mask, nodes), EFAULT (mask pointer)",
	     bad_policies),
	TEST("a 32-byte struct from an older caller: default policy, bytes after it ignored",
	     old_struct),
};

DEFINE_SUITE(numa_suite, "numa", numa_tests);
