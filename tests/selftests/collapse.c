// SPDX-License-Identifier: GPL-2.0
/*
 * GMEM_MIGRATE_COLLAPSE: a 2 MiB block of a huge fd that a partial punch
 * split, or that got 4 KiB pages when no 2 MiB folio was free, becomes one
 * 2 MiB folio again once it holds every page: contents, shared/private
 * state and the consumer's max_order follow; blocks with a hole, a
 * poisoned page or a pinned page, and the fd's short last block, are left
 * as they are; bad arguments change nothing.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#include "check.h"
#include "ct.h"
#include "fault.h"
#include "gmemfd.h"
#include "hwpoison.h"
#include "numa.h"

#define HUGE		GMEM_HUGE_SIZE
#define HUGE_PAGES	GMEM_HUGE_PAGES
#define PUNCH		(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE)
#define HUGE_MMAP	(GMEM_CREATE_HUGE | GMEM_CREATE_MMAP | GMEM_CREATE_SHARED)
#define POLICY		GMEM_MIGRATE_NODE_POLICY

/* ---- helpers ---- */

/*
 * GMEM_MIGRATE with GMEM_MIGRATE_COLLAPSE of [@off, @off + @len); the raw
 * result, and what the call wrote back in @args.
 */
static int collapse_raw(int fd, uint64_t off, uint64_t len, uint32_t node,
			struct gmem_migrate *args)
{
	*args = (struct gmem_migrate){
		.offset = off, .length = len, .node = node,
		.flags = GMEM_MIGRATE_COLLAPSE,
		/* out fields: what comes in is ignored */
		.moved = GMEM_UNTOUCHED, .collapsed = GMEM_UNTOUCHED,
		.error_offset = GMEM_UNTOUCHED,
	};
	return ioctl(fd, GMEM_MIGRATE, args);
}

/*
 * A collapse that must succeed; returns the bytes collapsed.  EBUSY from
 * a page still in a per-CPU LRU batch is retried, as MIGRATE() does.
 */
static uint64_t collapse_at(const char *file, int line, int fd, uint64_t off,
			    uint64_t len, uint32_t node)
{
	struct gmem_migrate args;
	uint64_t total = 0;
	int busy = 0;

	while (collapse_raw(fd, off, len, node, &args)) {
		total += args.collapsed;
		if (errno == EBUSY && ++busy < GMEM_CONVERT_TRIES) {
			usleep(1000);
			continue;
		}
		test_fail_at(file, line,
			     "collapse of [%#llx, +%#llx) failed with %s (collapsed %#llx, error_offset %#llx)",
			     (unsigned long long)off, (unsigned long long)len,
			     errno_name(errno),
			     (unsigned long long)args.collapsed,
			     (unsigned long long)args.error_offset);
		test_end();
	}
	if (args.error_offset != GMEM_UNTOUCHED)
		test_fail_at(file, line, "collapse worked but wrote error_offset %#llx",
			     (unsigned long long)args.error_offset);
	if (node == POLICY && args.moved)
		test_fail_at(file, line, "collapse by policy moved %#llx bytes",
			     (unsigned long long)args.moved);
	return total + args.collapsed;
}

#define COLLAPSE(fd, off, len, node)					\
	collapse_at(__FILE__, __LINE__, fd, off, len, node)

/*
 * Whether the @n pages mapped at @a are one large folio, each page where
 * it belongs: the first page a folio head, the others the frames after it
 * and no head among them (a split leaves contiguous frames behind).
 */
static bool one_folio(const unsigned char *a, uint64_t n)
{
	uint64_t head, pfn;

	for (uint64_t i = 0; i < n; i++)
		(void)*(const volatile unsigned char *)(a + i * page_size());
	head = pagemap_pfn(a);
	if (!pfn_is_folio_head(head))
		return false;
	for (uint64_t i = 1; i < n; i++) {
		pfn = pagemap_pfn(a + i * page_size());
		if (pfn != head + i || pfn_is_folio_head(pfn))
			return false;
	}
	return true;
}

/*
 * A huge fd of @blocks blocks, filled through a mapping with the fd's
 * pattern (@seed), whose first block is then split by a punch of one page
 * and made whole again with 4 KiB pages.  Returns the fd; the mapping in
 * *@map and the pattern in *@ref.
 */
static int split_block(uint64_t blocks, unsigned int seed, unsigned char **map,
		       unsigned char **ref)
{
	long pg = page_size();
	uint64_t len = blocks * HUGE;
	struct gmem_info info;
	int fd;

	gmem_need_huge_blocks(blocks + 1);
	fd = gmem_new_flags(len, HUGE_MMAP);
	*ref = pattern_pages_at(fd, 0, len, seed);
	*map = gmem_map_aligned(fd, len, HUGE);
	memcpy(*map, *ref, len);
	ASSERT_EQ(gmem_info(fd).large_folios, blocks);

	ASSERT_SYS(fallocate(fd, PUNCH, 9 * pg, pg));
	/* gmem(4): a partial punch splits the folio when nothing holds it */
	ASSERT_EQ(gmem_info(fd).allocated, len - pg);
	memcpy(*map + 9 * pg, *ref + 9 * pg, pg);
	info = gmem_info(fd);
	ASSERT_EQ(info.allocated, len);
	test_diag("block 0 split, then whole again: %llu large folios in %llu blocks",
		  (unsigned long long)info.large_folios,
		  (unsigned long long)blocks);
	ASSERT_TRUE(!one_folio(*map, HUGE_PAGES));
	return fd;
}

/* ---- tests ---- */

/*
 * The block a punch split, whole again, is one 2 MiB folio after the
 * collapse: same contents at the same offsets, same private pages, and a
 * consumer gets max_order 9 for it.
 */
static void collapse_split_block(void)
{
	long pg = page_size();
	unsigned char *a, *ref, *buf = xmalloc(pg);
	struct gmem_test_resolve r;
	struct gmem_info before, after;
	uint32_t slot;
	int fd, ct;

	fd = split_block(2, 40, &a, &ref);
	/* two private pages, which the collapse must keep private */
	CONVERT(fd, 100 * pg, 2 * pg, GMEM_PRIVATE);
	before = gmem_info(fd);

	EXPECT_EQ(COLLAPSE(fd, 0, pg, POLICY), HUGE);
	after = gmem_info(fd);
	EXPECT_EQ(after.allocated, 2 * HUGE);
	EXPECT_EQ(after.large_folios, 2);
	EXPECT_EQ(after.allocated_private, 2 * pg);
	EXPECT_EQ(after.shared_bytes, before.shared_bytes);
	EXPECT_EQ(gmem_fdinfo(fd).large_folios, 2);

	/* shared pages: the old mapping reads the old data, page by page */
	EXPECT_EQ(pattern_mismatch_at(a, 100 * pg, fd, 0, 40), -1);
	EXPECT_EQ(pattern_mismatch_at(a + 102 * pg, 2 * HUGE - 102 * pg, fd,
				      102 * pg, 40), -1);
	EXPECT_SIGBUS(a + 100 * pg, false);
	EXPECT_SIGBUS(a + 101 * pg, true);

	/* private pages, through the consumer: data kept, one folio */
	ct = ct_open();
	slot = CT_BIND(ct, fd, 0, HUGE_PAGES);
	for (uint64_t i = 100; i < 102; i++) {
		EXPECT_EQ(ct_rw(ct, slot, i, buf, false), 0);
		EXPECT_EQ(memcmp(buf, ref + i * pg, pg), 0);
	}
	/* the whole block private: the consumer may map 2 MiB */
	CONVERT(fd, 0, HUGE, GMEM_PRIVATE);
	r = ct_resolve(ct, slot, 77);
	EXPECT_EQ(r.err, 0);
	EXPECT_EQ(r.max_order, 9);
	EXPECT_EQ(r.folio_order, 9);
	ct_unbind(ct, slot);
	CONVERT(fd, 0, HUGE, GMEM_SHARED);
	EXPECT_TRUE(one_folio(a, HUGE_PAGES));
	EXPECT_EQ(pattern_mismatch_at(a, 2 * HUGE, fd, 0, 40), -1);

	/* nothing left to collapse */
	EXPECT_EQ(COLLAPSE(fd, 0, 2 * HUGE, POLICY), 0);
	EXPECT_EQ(gmem_info(fd).large_folios, 2);
	free(buf);
	free(ref);
}

/*
 * Blocks that do not qualify stay as they are: one with a hole (a
 * collapse does not allocate), the short block at the end of the fd, and
 * one with a page lost to memory failure.
 */
static void collapse_skips(void)
{
	long pg = page_size();
	unsigned char *a, *ref;
	struct gmem_info info;
	int fd, err;

	/* a hole inside block 0, and one at the end of block 1 */
	fd = split_block(2, 41, &a, &ref);
	ASSERT_SYS(fallocate(fd, PUNCH, 200 * pg, pg));
	ASSERT_SYS(fallocate(fd, PUNCH, 2 * HUGE - pg, pg));
	info = gmem_info(fd);
	EXPECT_EQ(info.allocated, 2 * HUGE - 2 * pg);
	EXPECT_EQ(COLLAPSE(fd, 0, 2 * HUGE, POLICY), 0);
	EXPECT_EQ(gmem_info(fd).allocated, info.allocated);
	EXPECT_EQ(gmem_info(fd).large_folios, info.large_folios);
	EXPECT_EQ(pattern_mismatch_at(a, 200 * pg, fd, 0, 41), -1);
	EXPECT_EQ(pattern_mismatch_at(a + 201 * pg, 2 * HUGE - 202 * pg, fd,
				      201 * pg, 41), -1);
	EXPECT_EQ(nonzero_at(a + 200 * pg, pg), -1);
	EXPECT_EQ(nonzero_at(a + 2 * HUGE - pg, pg), -1);
	ASSERT_SYS(close(fd));
	free(ref);

	/* 2 MiB + 64 KiB: the short block gets 4 KiB folios, and keeps them */
	fd = gmem_new_flags(HUGE + 16 * pg, HUGE_MMAP);
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, HUGE + 16 * pg));
	EXPECT_EQ(gmem_info(fd).large_folios, 1);
	EXPECT_EQ(COLLAPSE(fd, 0, HUGE + 16 * pg, POLICY), 0);
	EXPECT_EQ(gmem_info(fd).large_folios, 1);
	ASSERT_SYS(close(fd));

	/* a poisoned page: recorded, and its block is not collapsed */
	fd = split_block(1, 42, &a, &ref);
	err = poison_in_child(a + 300 * pg);
	if (err)
		FAIL("MADV_HWPOISON: %s", errno_name(err));
	ASSERT_EQ(gmem_info(fd).poisoned, pg);
	info = gmem_info(fd);
	EXPECT_EQ(COLLAPSE(fd, 0, HUGE, POLICY), 0);
	EXPECT_EQ(gmem_info(fd).allocated, info.allocated);
	EXPECT_EQ(gmem_info(fd).large_folios, info.large_folios);
	EXPECT_EQ(gmem_info(fd).poisoned, pg);
	/* punched, the page is fresh; refilled, the block collapses */
	ASSERT_SYS(fallocate(fd, PUNCH, 300 * pg, pg));
	memcpy(a + 300 * pg, ref + 300 * pg, pg);
	EXPECT_EQ(COLLAPSE(fd, 0, HUGE, POLICY), HUGE);
	EXPECT_EQ(pattern_mismatch_at(a, HUGE, fd, 0, 42), -1);
	EXPECT_EQ(gmem_info(fd).large_folios, 1);
	free(ref);
}

/*
 * A page of the block held by a pipe: EBUSY at that page, the block as it
 * was; once the pipe lets go, the collapse goes through.
 */
static void collapse_busy(void)
{
	long pg = page_size();
	struct gmem_migrate args;
	unsigned char *a, *ref;
	struct gmem_info info;
	struct iovec iov;
	int fd, p[2];

	fd = split_block(1, 43, &a, &ref);
	iov = (struct iovec){ a + 9 * pg, pg };
	ASSERT_SYS(pipe(p));
	ASSERT_EQ(vmsplice(p[1], &iov, 1, 0), pg);
	info = gmem_info(fd);
	EXPECT_ERRNO(collapse_raw(fd, 4 * pg, pg, POLICY, &args), EBUSY);
	EXPECT_EQ(args.error_offset, 9 * pg);
	EXPECT_EQ(args.collapsed, 0);
	EXPECT_EQ(gmem_info(fd).large_folios, info.large_folios);
	EXPECT_EQ(gmem_info(fd).allocated, HUGE);
	EXPECT_EQ(pattern_mismatch_at(a, HUGE, fd, 0, 43), -1);

	ASSERT_SYS(close(p[0]));
	ASSERT_SYS(close(p[1]));
	EXPECT_EQ(COLLAPSE(fd, 4 * pg, pg, POLICY), HUGE);
	EXPECT_EQ(gmem_info(fd).large_folios, 1);
	EXPECT_EQ(pattern_mismatch_at(a, HUGE, fd, 0, 43), -1);
	free(ref);
}

/* Arguments GMEM_MIGRATE refuses with the flag: EINVAL, nothing done. */
static void collapse_einval(void)
{
	long pg = page_size();
	struct gmem_migrate args;
	unsigned char *a, *ref;
	struct gmem_info info;
	int fd, small;

	fd = split_block(1, 44, &a, &ref);
	info = gmem_info(fd);
	/* reserved must be zero */
	args = (struct gmem_migrate){ .length = HUGE, .node = POLICY,
				      .flags = GMEM_MIGRATE_COLLAPSE,
				      .reserved = 1 };
	EXPECT_ERRNO(ioctl(fd, GMEM_MIGRATE, &args), EINVAL);
	/* unknown flags */
	args = (struct gmem_migrate){ .length = HUGE, .node = POLICY,
				      .flags = GMEM_MIGRATE_COLLAPSE << 1 };
	EXPECT_ERRNO(ioctl(fd, GMEM_MIGRATE, &args), EINVAL);
	/* the policy "node" is for collapsing only */
	args = (struct gmem_migrate){ .length = HUGE, .node = POLICY };
	EXPECT_ERRNO(ioctl(fd, GMEM_MIGRATE, &args), EINVAL);
	/* a range past the end */
	EXPECT_ERRNO(collapse_raw(fd, HUGE, pg, POLICY, &args), EINVAL);
	EXPECT_EQ(args.collapsed, GMEM_UNTOUCHED);
	EXPECT_EQ(args.moved, GMEM_UNTOUCHED);
	EXPECT_EQ(gmem_info(fd).large_folios, info.large_folios);
	EXPECT_TRUE(!one_folio(a, HUGE_PAGES));
	EXPECT_EQ(pattern_mismatch_at(a, HUGE, fd, 0, 44), -1);

	/* an fd without GMEM_CREATE_HUGE has nothing to collapse into */
	small = gmem_new_flags(HUGE, GMEM_CREATE_MMAP | GMEM_CREATE_SHARED);
	ASSERT_SYS(fallocate(small, FALLOC_FL_KEEP_SIZE, 0, HUGE));
	EXPECT_ERRNO(collapse_raw(small, 0, HUGE, POLICY, &args), EINVAL);
	EXPECT_EQ(gmem_info(small).large_folios, 0);
	free(ref);
}

/*
 * With a node: the new 2 MiB folio goes there, and the rest of the range
 * moves there as GMEM_MIGRATE always did.
 */
static void collapse_to_node(void)
{
	long pg = page_size();
	struct gmem_migrate args;
	unsigned char *a, *ref;
	uint64_t bytes[2];
	int fd;

	numa_need_two();
	/* the block's folios on node 0 first */
	ASSERT_EQ(numa_set_policy(MPOL_BIND, 1), 0);
	fd = split_block(2, 45, &a, &ref);
	ASSERT_EQ(numa_set_policy(MPOL_DEFAULT, 0), 0);
	gmem_fdinfo_nodes(fd, bytes, 2);
	ASSERT_EQ(bytes[0], 2 * HUGE);

	ASSERT_SYS(collapse_raw(fd, 0, 2 * HUGE, 1, &args));
	EXPECT_EQ(args.collapsed, HUGE);
	/* block 1 was one folio already: moved, not collapsed */
	EXPECT_EQ(args.moved, HUGE);
	gmem_fdinfo_nodes(fd, bytes, 2);
	EXPECT_EQ(bytes[0], 0);
	EXPECT_EQ(bytes[1], 2 * HUGE);
	EXPECT_EQ(gmem_info(fd).large_folios, 2);
	EXPECT_TRUE(one_folio(a, HUGE_PAGES));
	EXPECT_EQ(numa_node_of(a + 5 * pg), 1);
	EXPECT_EQ(pattern_mismatch_at(a, 2 * HUGE, fd, 0, 45), -1);
	free(ref);
}

static const struct test collapse_tests[] = {
	TEST("a block a punch split, whole again, collapses into one 2 MiB folio: contents, private pages, max_order 9",
	     collapse_split_block, .cleanup = ct_cleanup),
	TEST("blocks with a hole, the fd's short last block and a block with a poisoned page are not collapsed",
	     collapse_skips, .kmsg_allow = "hardware memory corruption"),
	TEST("a page held by a pipe: EBUSY at its offset, nothing collapsed; works once the pipe lets go",
	     collapse_busy),
	TEST("bad arguments (reserved set, unknown flag, policy node without the flag, fd not huge): EINVAL",
	     collapse_einval),
	TEST("collapse to a node: the new folio and the rest of the range go there",
	     collapse_to_node),
};

DEFINE_SUITE(collapse_suite, "collapse", collapse_tests);
