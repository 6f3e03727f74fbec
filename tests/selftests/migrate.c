// SPDX-License-Identifier: GPL-2.0
/*
 * GMEM_MIGRATE: private and shared pages move to the target node with
 * their contents (read back through the test consumer and through
 * mappings made before and after); "moved" counts exactly the bytes that
 * moved, not holes nor pages already there; a bound consumer is
 * invalidated over the range and resolves the new pages after; a page a
 * pipe holds (vmsplice) stops the call with EBUSY at its offset, after
 * the pages before it moved; 2 MiB folios move whole; and every invalid
 * argument gets its errno (EINVAL, EFAULT, ENOTTY for near-miss commands)
 * and changes nothing.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "check.h"
#include "ct.h"
#include "fault.h"
#include "gmemfd.h"
#include "numa.h"

#define HUGE		GMEM_HUGE_SIZE
#define HUGE_PAGES	GMEM_HUGE_PAGES
#define MMAP_SHARED_FD	(GMEM_CREATE_MMAP | GMEM_CREATE_SHARED)

/* Touches and checks that pages [@first, @first + @n) of @a are on @node. */
static void on_node_at(const char *file, int line, unsigned char *a,
		       uint64_t first, uint64_t n, int node)
{
	long pg = page_size();
	int *got = calloc(n, sizeof(*got));
	unsigned int wrong = 0;

	ASSERT_TRUE(got != NULL);
	for (uint64_t i = 0; i < n; i++)
		(void)*(volatile unsigned char *)(a + (first + i) * pg);
	numa_nodes_of(a + first * pg, n, pg, got);
	for (uint64_t i = 0; i < n; i++)
		if (got[i] != node && wrong++ < 4)
			test_fail_at(file, line, "page %llu is on node %d, expected %d",
				     (unsigned long long)(first + i), got[i],
				     node);
	free(got);
}

#define ON_NODE(a, first, n, node)					\
	on_node_at(__FILE__, __LINE__, a, first, n, node)

/* fdinfo's bytes on node 0 and node 1 (their sum not checked). */
#define NODE_BYTES_ONLY(fd, n0, n1)					\
	gmem_node_bytes_at(__FILE__, __LINE__, fd, n0, n1, false)

/*
 * The events since the last call: for @slot, BEGIN/END pairs (each END
 * right after its BEGIN's range, in order) whose ranges together cover
 * [@lo, @hi) and stay inside [@min, @max); no event for another slot.
 */
static void invalidated_at(const char *file, int line, int ct, uint32_t slot,
			   uint64_t lo, uint64_t hi, uint64_t min,
			   uint64_t max)
{
	static struct gmem_test_event ev[GMEM_TEST_MAX_EVENTS];
	unsigned int n = ct_events(ct, ev), open = 0;
	uint64_t covered = lo;
	bool ok = true;

	for (unsigned int i = 0; i < n && ok; i++) {
		if (ev[i].slot != slot || ev[i].start >= ev[i].end ||
		    ev[i].start < min || ev[i].end > max) {
			ok = false;
		} else if (ev[i].type == GMEM_TEST_EV_BEGIN) {
			ok = !open;
			open = i + 1;
		} else if (ev[i].type == GMEM_TEST_EV_END) {
			ok = open && ev[open - 1].start == ev[i].start &&
			     ev[open - 1].end == ev[i].end;
			open = 0;
		} else {
			ok = false;
		}
	}
	if (open)
		ok = false;
	/* the union of the ranges covers [lo, hi) */
	for (bool grew = true; ok && grew && covered < hi;) {
		grew = false;
		for (unsigned int i = 0; i < n; i++)
			if (ev[i].start <= covered && ev[i].end > covered) {
				covered = ev[i].end;
				grew = true;
			}
	}
	if (ok && covered >= hi)
		return;
	test_fail_at(file, line,
		     "slot %u: expected BEGIN/END pairs covering [%llu, %llu) inside [%llu, %llu), got %u event(s):",
		     slot, (unsigned long long)lo, (unsigned long long)hi,
		     (unsigned long long)min, (unsigned long long)max, n);
	for (unsigned int i = 0; i < n; i++)
		test_diag("  %s slot %u [%llu, %llu)",
			  ev[i].type == GMEM_TEST_EV_BEGIN ? "BEGIN" :
			  ev[i].type == GMEM_TEST_EV_END ? "END" : "ERROR",
			  ev[i].slot, (unsigned long long)ev[i].start,
			  (unsigned long long)ev[i].end);
}

#define INVALIDATED(ct, slot, lo, hi, min, max)				\
	invalidated_at(__FILE__, __LINE__, ct, slot, lo, hi, min, max)

static void drain_events(int ct)
{
	static struct gmem_test_event ev[GMEM_TEST_MAX_EVENTS];

	ct_events(ct, ev);
}

/* ---- tests ---- */

static void private_pages(void)
{
	long pg = page_size();
	const uint64_t n = 32, full = 16;
	unsigned char *ref, *buf = xmalloc(pg), *a;
	struct gmem_test_resolve r;
	uint64_t pfn[16];
	uint32_t slot;
	int ct, fd;

	numa_need_two();
	ct = ct_open();
	fd = gmem_new_numa(n * pg, GMEM_CREATE_MMAP, GMEM_NUMA_BIND,
			   NODE_BIT(0));
	ref = pattern_pages_at(fd, 0, full * pg, 10);
	/* pages [0, 16) populated, [16, 32) holes */
	POPULATE(fd, 0, full * pg, ref);
	slot = CT_BIND(ct, fd, 0, n);
	for (uint64_t i = 0; i < full; i++) {
		r = ct_resolve(ct, slot, i);
		ASSERT_EQ(r.err, 0);
		EXPECT_EQ(r.node, 0);
		pfn[i] = r.pfn;
	}
	NODE_BYTES_ONLY(fd, full * pg, 0);
	drain_events(ct);

	/* all of it: the 16 pages move, the holes stay holes */
	EXPECT_EQ(MIGRATE(fd, 0, n * pg, 1), full * pg);
	INVALIDATED(ct, slot, 0, full, 0, n);
	EXPECT_EQ(gmem_info(fd).allocated, full * pg);
	NODE_BYTES_ONLY(fd, 0, full * pg);
	for (uint64_t i = 0; i < full; i++) {
		r = ct_resolve(ct, slot, i);
		ASSERT_EQ(r.err, 0);
		EXPECT_EQ(r.node, 1);
		EXPECT_NE(r.pfn, pfn[i]);
		EXPECT_EQ(ct_rw(ct, slot, i, buf, false), 0);
		if (memcmp(buf, ref + i * pg, pg))
			FAIL("page %llu changed in the move",
			     (unsigned long long)i);
	}

	/* again: everything is there already */
	EXPECT_EQ(MIGRATE(fd, 0, n * pg, 1), 0);
	/* part of it back, and once more: only what is elsewhere counts */
	EXPECT_EQ(MIGRATE(fd, 4 * pg, 4 * pg, 0), 4 * pg);
	EXPECT_EQ(MIGRATE(fd, 0, 12 * pg, 0), 8 * pg);
	NODE_BYTES_ONLY(fd, 12 * pg, 4 * pg);
	for (uint64_t i = 0; i < full; i++)
		EXPECT_EQ(ct_resolve(ct, slot, i).node, i < 12 ? 0 : 1);
	/* a hole alone: nothing */
	drain_events(ct);
	EXPECT_EQ(MIGRATE(fd, 20 * pg, 4 * pg, 1), 0);
	EXPECT_EQ(gmem_info(fd).allocated, full * pg);

	/* and the contents, once shared, through a mapping */
	ct_unbind(ct, slot);
	CONVERT(fd, 0, n * pg, GMEM_SHARED);
	a = gmem_map(fd, n * pg);
	EXPECT_EQ(memcmp(a, ref, full * pg), 0);
	EXPECT_EQ(nonzero_at(a + full * pg, (n - full) * pg), -1);
}

static void shared_pages(void)
{
	long pg = page_size();
	const uint64_t n = 16;
	unsigned char *ref, *a, *b;
	int fd;

	numa_need_two();
	fd = gmem_new_numa(n * pg, MMAP_SHARED_FD, GMEM_NUMA_BIND,
			   NODE_BIT(0));
	ref = pattern_pages_at(fd, 0, n * pg, 20);
	a = gmem_map(fd, n * pg);
	memcpy(a, ref, n * pg);
	ON_NODE(a, 0, n, 0);

	EXPECT_EQ(MIGRATE(fd, 0, n * pg, 1), n * pg);
	/* the old mapping faults the new pages in */
	EXPECT_EQ(memcmp(a, ref, n * pg), 0);
	ON_NODE(a, 0, n, 1);
	NODE_BYTES_ONLY(fd, 0, n * pg);
	EXPECT_EQ(gmem_info(fd).allocated_shared, n * pg);

	/* written there, moved back: the new data goes along */
	fill_pattern(a + 3 * pg, pg, 99);
	memcpy(ref + 3 * pg, a + 3 * pg, pg);
	EXPECT_EQ(MIGRATE(fd, 2 * pg, 4 * pg, 0), 4 * pg);
	ON_NODE(a, 2, 4, 0);
	ON_NODE(a, 6, n - 6, 1);
	b = gmem_map(fd, n * pg);
	EXPECT_EQ(memcmp(b, ref, n * pg), 0);
	EXPECT_EQ(memcmp(a, ref, n * pg), 0);

	/* private pages too, in the same call */
	CONVERT(fd, 8 * pg, 4 * pg, GMEM_PRIVATE);
	EXPECT_EQ(MIGRATE(fd, 0, n * pg, 0), (n - 4) * pg);
	CONVERT(fd, 8 * pg, 4 * pg, GMEM_SHARED);
	ON_NODE(b, 0, n, 0);
	EXPECT_EQ(memcmp(b, ref, n * pg), 0);
}

static void pinned_page(void)
{
	long pg = page_size();
	const uint64_t n = 8, pinned = 5;
	unsigned char *ref, *a, *buf = xmalloc(pg);
	uint64_t moved, error_offset;
	struct iovec iov;
	int fd, p[2];

	numa_need_two();
	fd = gmem_new_numa(n * pg, MMAP_SHARED_FD, GMEM_NUMA_BIND,
			   NODE_BIT(0));
	ref = pattern_pages_at(fd, 0, n * pg, 30);
	a = gmem_map(fd, n * pg);
	memcpy(a, ref, n * pg);
	ASSERT_SYS(pipe(p));
	iov = (struct iovec){ a + pinned * pg, pg };
	ASSERT_EQ(vmsplice(p[1], &iov, 1, 0), pg);

	/* stops at the page, the ones before it moved */
	EXPECT_ERRNO(gmem_migrate_raw(fd, 0, n * pg, 1, &moved, &error_offset),
		     EBUSY);
	EXPECT_EQ(error_offset, pinned * pg);
	EXPECT_EQ(moved, pinned * pg);
	ON_NODE(a, 0, pinned, 1);
	ON_NODE(a, pinned, n - pinned, 0);
	/* from the page itself: nothing moves */
	EXPECT_ERRNO(gmem_migrate_raw(fd, pinned * pg, pg, 1, &moved,
				      &error_offset), EBUSY);
	EXPECT_EQ(error_offset, pinned * pg);
	EXPECT_EQ(moved, 0);
	/* past it: fine */
	EXPECT_EQ(MIGRATE(fd, (pinned + 1) * pg, (n - pinned - 1) * pg, 1),
		  (n - pinned - 1) * pg);
	EXPECT_EQ(memcmp(a, ref, n * pg), 0);

	/* the pipe drained, the page moves */
	ASSERT_EQ(read(p[0], buf, pg), pg);
	EXPECT_EQ(memcmp(buf, ref + pinned * pg, pg), 0);
	EXPECT_EQ(MIGRATE(fd, 0, n * pg, 1), pg);
	ON_NODE(a, 0, n, 1);
	EXPECT_EQ(memcmp(a, ref, n * pg), 0);
}

static void huge_whole(void)
{
	long pg = page_size();
	size_t len = 2 * HUGE;
	unsigned char *ref, *a;
	struct gmem_test_resolve r;
	uint32_t slot;
	int ct, fd;

	numa_need_two();
	gmem_need_huge_blocks(8);
	fd = gmem_new_numa(len, MMAP_SHARED_FD | GMEM_CREATE_HUGE,
			   GMEM_NUMA_BIND, NODE_BIT(0));
	ref = pattern_pages_at(fd, 0, len, 40);
	a = gmem_map_aligned(fd, len, HUGE);
	memcpy(a, ref, len);
	EXPECT_EQ(gmem_info(fd).large_folios, 2);
	ON_NODE(a, 0, 2 * HUGE_PAGES, 0);

	/* one page of the first block: the whole folio moves */
	EXPECT_EQ(MIGRATE(fd, 4 * pg, pg, 1), HUGE);
	EXPECT_EQ(gmem_info(fd).large_folios, 2);
	ON_NODE(a, 0, HUGE_PAGES, 1);
	ON_NODE(a, HUGE_PAGES, HUGE_PAGES, 0);
	NODE_BYTES_ONLY(fd, HUGE, HUGE);
	EXPECT_EQ(memcmp(a, ref, len), 0);

	/* two pages across the blocks: the second folio moves */
	EXPECT_EQ(MIGRATE(fd, HUGE - pg, 2 * pg, 1), HUGE);
	EXPECT_EQ(gmem_info(fd).large_folios, 2);
	ON_NODE(a, 0, 2 * HUGE_PAGES, 1);
	EXPECT_EQ(memcmp(a, ref, len), 0);

	/* still a 2 MiB folio for a consumer */
	CONVERT(fd, 0, HUGE, GMEM_PRIVATE);
	ct = ct_open();
	slot = CT_BIND(ct, fd, 0, HUGE_PAGES);
	r = ct_resolve(ct, slot, 7);
	ASSERT_EQ(r.err, 0);
	EXPECT_EQ(r.node, 1);
	EXPECT_EQ(r.folio_order, GMEM_HUGE_ORDER);
	EXPECT_EQ(r.max_order, GMEM_HUGE_ORDER);
	/* and back, whole, the consumer told about the whole block */
	drain_events(ct);
	EXPECT_EQ(MIGRATE(fd, 0, pg, 0), HUGE);
	INVALIDATED(ct, slot, 0, HUGE_PAGES, 0, HUGE_PAGES);
	r = ct_resolve(ct, slot, 7);
	EXPECT_EQ(r.node, 0);
	EXPECT_EQ(r.folio_order, GMEM_HUGE_ORDER);
	EXPECT_EQ(gmem_info(fd).large_folios, 2);
}

/* Runs GMEM_MIGRATE with @args; it must fail with @err. */
static void refused_at(const char *file, int line, int fd,
		       struct gmem_migrate args, int err)
{
	errno = 0;
	args.error_offset = GMEM_UNTOUCHED;
	if (!ioctl(fd, GMEM_MIGRATE, &args))
		test_fail_at(file, line,
			     "GMEM_MIGRATE [%#llx, +%#llx) node %u flags %#x collapsed %#llx reserved %#llx worked, expected %s",
			     (unsigned long long)args.offset,
			     (unsigned long long)args.length, args.node,
			     args.flags, (unsigned long long)args.collapsed,
			     (unsigned long long)args.reserved,
			     errno_name(err));
	else if (errno != err)
		test_fail_at(file, line,
			     "GMEM_MIGRATE [%#llx, +%#llx) node %u flags %#x collapsed %#llx reserved %#llx: %s, expected %s",
			     (unsigned long long)args.offset,
			     (unsigned long long)args.length, args.node,
			     args.flags, (unsigned long long)args.collapsed,
			     (unsigned long long)args.reserved,
			     errno_name(errno), errno_name(err));
	if (args.error_offset != GMEM_UNTOUCHED)
		test_fail_at(file, line, "error_offset written: %#llx",
			     (unsigned long long)args.error_offset);
}

#define REFUSED(fd, err, ...)						\
	refused_at(__FILE__, __LINE__, fd,				\
		   (struct gmem_migrate){ __VA_ARGS__ }, err)

static void bad_arguments(void)
{
	long pg = page_size();
	const uint64_t n = 8, len = n * pg;
	int possible = numa_possible(), fd, dev;
	uint64_t mem = numa_mem_mask();
	uint32_t target;
	unsigned char *ref, *a, *ro;
	struct gmem_migrate args;
	struct gmem_info before;
	int node0 = __builtin_ctzll(mem);

	fd = gmem_new_numa(len, MMAP_SHARED_FD, GMEM_NUMA_BIND, NODE_BIT(node0));
	ref = pattern_pages_at(fd, 0, len, 50);
	a = gmem_map(fd, len);
	memcpy(a, ref, len);
	before = gmem_info(fd);
	/* a valid target for every otherwise valid call: another node if any */
	target = node0;
	if (numa_count(mem) > 1)
		target = __builtin_ctzll(mem & ~NODE_BIT(node0));

	/* flags and reserved */
	REFUSED(fd, EINVAL, .length = len, .node = target, .flags = 2);
	REFUSED(fd, EINVAL, .length = len, .node = target,
		.flags = 0x80000000u);
	/* GMEM_MIGRATE_COLLAPSE on an fd without GMEM_CREATE_HUGE */
	REFUSED(fd, EINVAL, .length = len, .node = target,
		.flags = GMEM_MIGRATE_COLLAPSE);
	REFUSED(fd, EINVAL, .length = len, .node = target,
		.reserved = 1ULL << 63);
	/* ranges */
	REFUSED(fd, EINVAL, .offset = 1, .length = pg, .node = target);
	REFUSED(fd, EINVAL, .offset = pg / 2, .length = pg, .node = target);
	REFUSED(fd, EINVAL, .length = pg + 1, .node = target);
	REFUSED(fd, EINVAL, .length = pg - 1, .node = target);
	REFUSED(fd, EINVAL, .length = 0, .node = target);
	REFUSED(fd, EINVAL, .length = len + pg, .node = target);
	REFUSED(fd, EINVAL, .offset = len, .length = pg, .node = target);
	REFUSED(fd, EINVAL, .offset = len - pg, .length = 2 * pg,
		.node = target);
	REFUSED(fd, EINVAL, .offset = UINT64_MAX - pg + 1, .length = 2 * pg,
		.node = target);
	REFUSED(fd, EINVAL, .offset = pg, .length = UINT64_MAX - pg + 1,
		.node = target);
	REFUSED(fd, EINVAL, .offset = 1ULL << 63, .length = 1ULL << 63,
		.node = target);
	/* nodes */
	REFUSED(fd, EINVAL, .length = len, .node = possible);
	REFUSED(fd, EINVAL, .length = len, .node = 64);
	REFUSED(fd, EINVAL, .length = len, .node = 1024);
	REFUSED(fd, EINVAL, .length = len, .node = UINT32_MAX);
	REFUSED(fd, EINVAL, .length = len, .node = 0x80000000u);
	for (int node = 0; node < possible && node < 64; node++)
		if (!(mem & NODE_BIT(node))) {
			test_diag("node%d has no memory", node);
			REFUSED(fd, EINVAL, .length = len, .node = node);
		}

	/* unreadable arguments */
	EXPECT_ERRNO(ioctl(fd, GMEM_MIGRATE, NULL), EFAULT);
	EXPECT_ERRNO(ioctl(fd, GMEM_MIGRATE, (void *)1), EFAULT);
	EXPECT_ERRNO(ioctl(fd, GMEM_MIGRATE, (void *)0xffffffff81000000UL),
		     EFAULT);
	/* "moved" cannot be written back: EFAULT (for a call moving nothing) */
	ro = mmap(NULL, pg, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(ro != MAP_FAILED);
	args = (struct gmem_migrate){ .length = len, .node = node0 };
	memcpy(ro, &args, sizeof(args));
	ASSERT_SYS(mprotect(ro, pg, PROT_READ));
	EXPECT_ERRNO(ioctl(fd, GMEM_MIGRATE, ro), EFAULT);

	/* nothing changed */
	EXPECT_EQ(memcmp(a, ref, len), 0);
	ON_NODE(a, 0, n, node0);
	EXPECT_EQ(gmem_info(fd).allocated, before.allocated);
	EXPECT_EQ(gmem_info(fd).shared_bytes, before.shared_bytes);

	/* near-miss commands are unknown, and GMEM_MIGRATE on /dev/gmem too */
	{
		const unsigned long cmds[] = {
			_IO(GMEM_IOCTL_TYPE, 0x04),
			_IOW(GMEM_IOCTL_TYPE, 0x04, struct gmem_migrate),
			_IOR(GMEM_IOCTL_TYPE, 0x04, struct gmem_migrate),
			_IOWR(GMEM_IOCTL_TYPE, 0x04, struct gmem_convert),
			_IOWR(GMEM_IOCTL_TYPE, 0x05, struct gmem_migrate),
			_IOWR(GMEM_IOCTL_TYPE, 0x06, struct gmem_migrate),
		};
		unsigned char raw[sizeof(struct gmem_migrate)];

		args = (struct gmem_migrate){ .length = len,
					      .node = (uint32_t)target };
		for (unsigned int i = 0; i < ARRAY_SIZE(cmds); i++) {
			test_diag("command %#lx", cmds[i]);
			memcpy(raw, &args, sizeof(args));
			EXPECT_ERRNO(ioctl(fd, cmds[i], raw), ENOTTY);
			EXPECT_EQ(memcmp(raw, &args, sizeof(args)), 0);
		}
		dev = gmem_open_dev();
		memcpy(raw, &args, sizeof(args));
		EXPECT_ERRNO(ioctl(dev, GMEM_MIGRATE, raw), ENOTTY);
	}
	ON_NODE(a, 0, n, node0);
}

/* On one node only, moving to it is a no-op; and it works single-node. */
static void same_node(void)
{
	long pg = page_size();
	const uint64_t n = 8;
	int node0 = __builtin_ctzll(numa_mem_mask());
	unsigned char *ref, *a;
	int fd;

	fd = gmem_new_numa(n * pg, MMAP_SHARED_FD, GMEM_NUMA_BIND,
			   NODE_BIT(node0));
	ref = pattern_pages_at(fd, 0, n * pg, 60);
	a = gmem_map(fd, n * pg);
	memcpy(a, ref, n * pg);
	EXPECT_EQ(MIGRATE(fd, 0, n * pg, node0), 0);
	EXPECT_EQ(memcmp(a, ref, n * pg), 0);
	EXPECT_EQ(gmem_info(fd).allocated, n * pg);
	/* an empty fd */
	fd = gmem_new_flags(n * pg, 0);
	EXPECT_EQ(MIGRATE(fd, 0, n * pg, node0), 0);
	EXPECT_EQ(gmem_info(fd).allocated, 0);
}

static const struct test migrate_tests[] = {
	TEST("private pages: moved with their contents, holes skipped, only what moved counted, consumer invalidated and resolving the new pages",
	     private_pages, .cleanup = ct_cleanup),
	TEST("mapped shared pages: the old mapping refaults the moved pages, contents kept both ways",
	     shared_pages),
	TEST("a page held by a pipe: EBUSY at its offset after the pages before it moved; moves once released",
	     pinned_page),
	TEST("2 MiB folios move whole, still 2 MiB folios, consumer told about the block",
	     huge_whole, .cleanup = ct_cleanup),
	TEST("invalid arguments: EINVAL (flags, reserved, range, node), EFAULT, ENOTTY; nothing changes",
	     bad_arguments),
	TEST("to the node the pages are on: nothing moves, nothing changes",
	     same_node),
};

DEFINE_SUITE(migrate_suite, "migrate", migrate_tests);
