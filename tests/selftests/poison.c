// SPDX-License-Identifier: GPL-2.0
/*
 * Memory failure racing gmem's own users of a page: a fault (and through
 * the same lookup, resolve and populate) that was already past its check
 * of the poison record when memory failure took the page out must not get
 * a fresh page at the poisoned index.  And memory failure in a 2 MiB folio
 * it cannot split, which it gives up on without telling gmem: gmem finds
 * the page when it next touches the folio.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "ct.h"
#include "fault.h"
#include "gmemfd.h"
#include "hwpoison.h"
#include "modctl.h"
#include "numa.h"
#include "suites.h"

#define PUNCH		(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE)
#define HWPOISON_KMSG	"hardware memory corruption"

#define RACE_ROUNDS	300
#define RACE_SECS	30.0

/* What the parent is doing, as the reader in the child sees it. */
enum phase {
	PHASE_FILLING,		/* punched, the new page being written */
	PHASE_POISONED,		/* MADV_HWPOISON succeeded, not punched yet */
	PHASE_PUNCHING,
	PHASE_STOP,
};

struct race {
	volatile int phase;
	/* counted by the reader */
	volatile unsigned long reads;
	volatile unsigned long read_while_poisoned;	/* the defect */
	volatile unsigned long wrong_code;	/* SIGBUS, not BUS_MCEERR_AR */
	volatile unsigned char last_seen;
};

/*
 * The child: through a mapping of its own, drop its PTE and read the page
 * again and again.  A read that completes entirely inside one POISONED
 * phase found a page at a poisoned index.
 */
static noreturn void race_reader(int fd, struct race *r)
{
	unsigned char *p = mmap(NULL, page_size(), PROT_READ, MAP_SHARED,
				fd, 0);

	if (p == MAP_FAILED)
		_exit(2);
	fault_install();
	while (r->phase != PHASE_STOP) {
		int before = r->phase, after;
		struct fault f;
		unsigned char v = 0;

		madvise(p, page_size(), MADV_DONTNEED);
		f = fault_read(p, &v);
		after = r->phase;
		r->reads++;
		if (before != PHASE_POISONED || after != PHASE_POISONED)
			continue;
		if (!f.sig) {
			r->read_while_poisoned++;
			r->last_seen = v;
		} else if (f.sig != SIGBUS || f.code != BUS_MCEERR_AR) {
			r->wrong_code++;
		}
	}
	_exit(0);
}

/*
 * One page, poisoned and punched over and over while another process
 * faults it in: once memory failure has recorded the page, every read
 * raises SIGBUS (BUS_MCEERR_AR) and GMEM_INFO counts no allocated page
 * at the poisoned index, until the punch.
 */
static void fault_races_memory_failure(void)
{
	const uint32_t flags = GMEM_CREATE_MMAP | GMEM_CREATE_SHARED;
	long pg = page_size();
	int fd = gmem_new_flags(pg, flags), status, round, err;
	unsigned char *a = gmem_map(fd, pg);
	unsigned long poisoned = 0, ebusy = 0, allocated_at_poison = 0;
	struct race *r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	double end = now_s() + RACE_SECS;
	pid_t pid;

	ASSERT_TRUE(r != MAP_FAILED);
	memset((void *)r, 0, sizeof(*r));
	pid = ASSERT_SYS(fork());
	if (pid == 0)
		race_reader(fd, r);

	for (round = 0; round < RACE_ROUNDS && now_s() < end; round++) {
		struct gmem_info info;

		r->phase = PHASE_FILLING;
		a[0] = 0x80 | (round & 0x7f);
		err = poison_in_child(a);
		if (err == EINVAL) {
			r->phase = PHASE_STOP;
			waitpid(pid, &status, 0);
			test_skip("MADV_HWPOISON: EINVAL (no CONFIG_MEMORY_FAILURE)");
		}
		/* EBUSY: the reader's fault held a reference just then */
		if (err == EBUSY)
			ebusy++;
		else if (err)
			FAIL("MADV_HWPOISON: %s", err < 0 ? "child lost" :
			     errno_name(err));
		/* recorded either way: memory failure took the page out */
		info = gmem_info(fd);
		if (info.poisoned == (uint64_t)pg) {
			poisoned++;
			r->phase = PHASE_POISONED;
			/* let the reader run into the poisoned index */
			usleep(2000);
			info = gmem_info(fd);
			if (info.allocated) {
				allocated_at_poison++;
				test_diag("round %d: allocated %llu poisoned %llu",
					  round,
					  (unsigned long long)info.allocated,
					  (unsigned long long)info.poisoned);
			}
		}
		r->phase = PHASE_PUNCHING;
		ASSERT_SYS(fallocate(fd, PUNCH, 0, pg));
	}
	r->phase = PHASE_STOP;
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	test_diag("%d rounds: %lu poisoned (%lu of them EBUSY); reader: %lu reads, %lu completed on a poisoned index (last byte %#x), %lu other signals",
		  round, poisoned, ebusy, r->reads, r->read_while_poisoned,
		  r->last_seen, r->wrong_code);
	EXPECT_EQ(r->read_while_poisoned, 0);
	EXPECT_EQ(r->wrong_code, 0);
	EXPECT_EQ(allocated_at_poison, 0);
	/* The race must have been run, not dodged. */
	EXPECT_EQ(poisoned, (unsigned long)round);
	EXPECT_GT(r->reads, (unsigned long)round);
	/* the reader may have faulted a page in after the last punch */
	ASSERT_SYS(fallocate(fd, PUNCH, 0, pg));
	EXPECT_EQ(gmem_info(fd).allocated, 0);
	EXPECT_EQ(gmem_info(fd).poisoned, 0);
	ASSERT_SYS(close(fd));
}

/*
 * Page 7 of a 2 MiB folio poisoned while a pipe holds page 5: the split
 * that would isolate page 7 fails.  The next fault on the folio (on page 7
 * itself) makes gmem record the page, refuse it and tell the consumer, and
 * the rest of the folio stays usable; a punch of part of the
 * folio leaves the page poisoned and the folio whole, a punch of all of
 * it heals the range.
 */
static void unsplittable_folio(void)
{
	const uint32_t flags = GMEM_CREATE_MMAP | GMEM_CREATE_SHARED |
			       GMEM_CREATE_HUGE;
	struct gmem_test_event ev[GMEM_TEST_MAX_EVENTS];
	long pg = page_size();
	size_t len = GMEM_HUGE_SIZE, i;
	unsigned int n, k, errors = 0;
	struct iovec iov;
	int fd, ct, pipefd[2], err;
	unsigned char *a, v;
	struct gmem_info info;
	struct fault f;
	uint32_t slot;

	gmem_need_huge_blocks(1);
	fd = gmem_new_flags(len, flags);
	a = gmem_map_aligned(fd, len, len);
	for (i = 0; i < len; i += pg)
		memcpy(a + i, &i, sizeof(i));
	if (gmem_info(fd).large_folios != 1)
		test_skip("no 2 MiB folio to be had (fragmented memory)");
	ct = ct_open();
	slot = CT_BIND(ct, fd, 0, len / pg);
	ct_events(ct, ev);

	ASSERT_SYS(pipe(pipefd));
	iov.iov_base = a + 5 * pg;
	iov.iov_len = pg;
	ASSERT_EQ(vmsplice(pipefd[1], &iov, 1, 0), pg);
	err = poison_in_child(a + 7 * pg);
	if (err == EINVAL)
		test_skip("MADV_HWPOISON: EINVAL (no CONFIG_MEMORY_FAILURE)");
	info = gmem_info(fd);
	test_diag("MADV_HWPOISON of page 7: %s; large_folios %llu, poisoned %llu",
		  err ? errno_name(err) : "done",
		  (unsigned long long)info.large_folios,
		  (unsigned long long)info.poisoned);
	if (info.large_folios != 1)
		test_skip("memory failure split the folio after all");

	/*
	 * gmem's first touch of the folio since: a fault on the bad page
	 * itself, which the poison record does not name yet.
	 */
	fault_install();
	ASSERT_SYS(madvise(a + 7 * pg, pg, MADV_DONTNEED));
	EXPECT_SIGBUS_CODE(a + 7 * pg, false, BUS_MCEERR_AR);
	n = ct_events(ct, ev);
	for (k = 0; k < n; k++) {
		if (ev[k].type != GMEM_TEST_EV_ERROR)
			continue;
		errors++;
		EXPECT_EQ(ev[k].slot, slot);
		EXPECT_EQ(ev[k].start, 7);
		EXPECT_EQ(ev[k].end, 8);
	}
	EXPECT_EQ(errors, 1);
	info = gmem_info(fd);
	EXPECT_EQ(info.poisoned, (uint64_t)pg);
	EXPECT_EQ(info.large_folios, 1);
	EXPECT_SIGBUS_CODE(a + 7 * pg, false, BUS_MCEERR_AR);
	ASSERT_SYS(madvise(a + 200 * pg, pg, MADV_DONTNEED));
	EXPECT_EQ(*(volatile size_t *)(a + 200 * pg), 200 * (size_t)pg);
	EXPECT_EQ(*(volatile size_t *)(a + 8 * pg), 8 * (size_t)pg);

	/* a punch of part of the folio: page 7 stays lost, the rest zeroed */
	ASSERT_SYS(fallocate(fd, PUNCH, 6 * pg, 3 * pg));
	info = gmem_info(fd);
	EXPECT_EQ(info.poisoned, (uint64_t)pg);
	EXPECT_EQ(info.allocated, (uint64_t)len);
	EXPECT_SIGBUS_CODE(a + 7 * pg, false, BUS_MCEERR_AR);
	EXPECT_EQ(*(volatile size_t *)(a + 6 * pg), 0);
	EXPECT_EQ(*(volatile size_t *)(a + 9 * pg), 9 * (size_t)pg);

	/* all of it: healed, fresh zeroed memory at page 7 */
	ASSERT_SYS(close(pipefd[0]));
	ASSERT_SYS(close(pipefd[1]));
	ASSERT_SYS(fallocate(fd, PUNCH, 0, len));
	info = gmem_info(fd);
	EXPECT_EQ(info.poisoned, 0);
	EXPECT_EQ(info.allocated, 0);
	f = fault_read(a + 7 * pg, &v);
	EXPECT_EQ(f.sig, 0);
	EXPECT_EQ(v, 0);
	ct_unbind(ct, slot);
	ASSERT_SYS(close(fd));
}

/* ---- a 2 MiB folio memory failure could not split ---- */

#define CORRUPT_PFN	HWPOISON_CORRUPT_PFN
#define BAD		7	/* the poisoned page of the folio */

/*
 * A GMEM_CREATE_HUGE fd of one 2 MiB block, every page shared and holding
 * its pattern, mapped at *@map: one 2 MiB folio, or the test is skipped.
 */
static int huge_block(unsigned char **map)
{
	const uint32_t flags = GMEM_CREATE_MMAP | GMEM_CREATE_SHARED |
			       GMEM_CREATE_HUGE;
	size_t len = GMEM_HUGE_SIZE;
	int fd;

	gmem_need_huge_blocks(1);
	fd = gmem_new_flags(len, flags);
	*map = gmem_map_aligned(fd, len, len);
	fill_pattern_at(*map, len, fd, 0, 1);
	if (gmem_info(fd).large_folios != 1)
		test_skip("no 2 MiB folio to be had (fragmented memory)");
	return fd;
}

/*
 * MADV_HWPOISON of page BAD of @fd's folio at @a while @pipefd holds one
 * of its pages: memory failure cannot split the folio, so it flags the
 * page and gives up, without telling gmem.  Skips the test where it did
 * split after all or where there is no memory failure.
 */
static void poison_unsplittable(int fd, unsigned char *a)
{
	int err = poison_in_child(a + BAD * page_size());

	if (err == EINVAL)
		test_skip("MADV_HWPOISON: EINVAL (no CONFIG_MEMORY_FAILURE)");
	test_diag("MADV_HWPOISON of page %d: %s", BAD,
		  err ? errno_name(err) : "done");
	if (gmem_info(fd).large_folios != 1)
		test_skip("memory failure split the folio after all");
}

/*
 * The poisoned page itself spliced into a pipe before memory failure:
 * the pipe still reads what it held.  GMEM_CONVERT_ZERO of a range around
 * it and a punch of one must zero the rest of the range and leave the bad
 * page untouched: gmem never writes (or reads) memory that failed.
 */
static void zeroing_skips_poisoned_page(void)
{
	long pg = page_size();
	unsigned char *a, *buf = xmalloc(pg);
	struct iovec iov;
	int fd, pipefd[2], i;

	fd = huge_block(&a);
	ASSERT_SYS(pipe(pipefd));
	iov.iov_base = a + BAD * pg;
	iov.iov_len = pg;
	for (i = 0; i < 2; i++)
		ASSERT_EQ(vmsplice(pipefd[1], &iov, 1, 0), pg);
	poison_unsplittable(fd, a);
	fault_install();

	CONVERT_FLAGS(fd, (BAD - 1) * pg, 3 * pg, GMEM_SHARED,
		      GMEM_CONVERT_ZERO);
	EXPECT_EQ(gmem_info(fd).poisoned, (uint64_t)pg);
	EXPECT_EQ(gmem_info(fd).large_folios, 1);
	EXPECT_EQ(nonzero_at(a + (BAD - 1) * pg, pg), -1);
	EXPECT_EQ(nonzero_at(a + (BAD + 1) * pg, pg), -1);
	EXPECT_EQ(pattern_mismatch_at(a + (BAD + 2) * pg, pg, fd,
				      (BAD + 2) * pg, 1), -1);
	EXPECT_SIGBUS_CODE(a + BAD * pg, false, BUS_MCEERR_AR);
	ASSERT_EQ(read(pipefd[0], buf, pg), pg);
	EXPECT_EQ(pattern_mismatch_at(buf, pg, fd, BAD * pg, 1), -1);

	ASSERT_SYS(fallocate(fd, PUNCH, (BAD - 2) * pg, 5 * pg));
	EXPECT_EQ(gmem_info(fd).poisoned, (uint64_t)pg);
	EXPECT_EQ(nonzero_at(a + (BAD - 2) * pg, pg), -1);
	EXPECT_SIGBUS_CODE(a + BAD * pg, false, BUS_MCEERR_AR);
	ASSERT_EQ(read(pipefd[0], buf, pg), pg);
	EXPECT_EQ(pattern_mismatch_at(buf, pg, fd, BAD * pg, 1), -1);

	ASSERT_SYS(close(pipefd[0]));
	ASSERT_SYS(close(pipefd[1]));
	ASSERT_SYS(fallocate(fd, PUNCH, 0, GMEM_HUGE_SIZE));
	EXPECT_EQ(gmem_info(fd).poisoned, 0);
	free(buf);
	ASSERT_SYS(close(fd));
}

/*
 * read() and write() copy a 2 MiB folio a run of pages at a time: across
 * a page left poisoned in the folio (held through a pipe, so memory
 * failure could not split it) they stop right before it, fail at it with
 * EHWPOISON, and go on after it.
 */
static void rw_stops_at_poisoned_page(void)
{
	long pg = page_size();
	size_t len = GMEM_HUGE_SIZE;
	unsigned char *a, *buf = xmalloc(len), *src;
	struct iovec iov;
	int fd, pipefd[2];

	fd = huge_block(&a);
	src = pattern_pages_at(fd, 0, len, 2);
	ASSERT_SYS(pipe(pipefd));
	iov.iov_base = a + BAD * pg;
	iov.iov_len = pg;
	ASSERT_EQ(vmsplice(pipefd[1], &iov, 1, 0), pg);
	poison_unsplittable(fd, a);

	memset(buf, 0x5a, len);
	EXPECT_EQ(pread(fd, buf, len, 0), BAD * pg);
	EXPECT_EQ(pattern_mismatch_at(buf, BAD * pg, fd, 0, 1), -1);
	EXPECT_EQ(buf[BAD * pg], 0x5a);
	EXPECT_ERRNO(pread(fd, buf, len, BAD * pg + 10), EHWPOISON);
	EXPECT_EQ(pread(fd, buf, len - (BAD + 1) * pg, (BAD + 1) * pg),
		  len - (BAD + 1) * pg);
	EXPECT_EQ(pattern_mismatch_at(buf, len - (BAD + 1) * pg, fd,
				      (BAD + 1) * pg, 1), -1);

	EXPECT_EQ(pwrite(fd, src + 100, len - 100, 100), BAD * pg - 100);
	EXPECT_ERRNO(pwrite(fd, src, pg, BAD * pg), EHWPOISON);
	EXPECT_EQ(pwrite(fd, src + (BAD + 1) * pg, len - (BAD + 1) * pg,
			 (BAD + 1) * pg), len - (BAD + 1) * pg);
	EXPECT_EQ(pattern_mismatch_at(a, 100, fd, 0, 1), -1);
	EXPECT_EQ(pattern_mismatch_at(a + 100, BAD * pg - 100, fd, 100, 2), -1);
	EXPECT_EQ(pattern_mismatch_at(a + (BAD + 1) * pg, len - (BAD + 1) * pg,
				      fd, (BAD + 1) * pg, 2), -1);
	EXPECT_EQ(gmem_info(fd).large_folios, 1);
	EXPECT_EQ(gmem_info(fd).poisoned, (uint64_t)pg);

	ASSERT_SYS(close(pipefd[0]));
	ASSERT_SYS(close(pipefd[1]));
	free(src);
	free(buf);
	ASSERT_SYS(close(fd));
}

/*
 * Page BAD private, the folio held through a shared page in a pipe;
 * memory failure hits page BAD by its pfn (hwpoison_inject), and the
 * first thing to touch the folio since is a consumer's resolve of that
 * very page: -EHWPOISON and one ERROR event, never the page.
 */
static void resolve_first_touch(void)
{
	const uint32_t flags = GMEM_CREATE_MMAP | GMEM_CREATE_HUGE;
	struct gmem_test_event ev[GMEM_TEST_MAX_EVENTS];
	long pg = page_size();
	size_t len = GMEM_HUGE_SIZE;
	struct gmem_test_resolve r;
	unsigned int n, k, errors = 0;
	unsigned char *a;
	struct iovec iov;
	int fd, ct, pipefd[2], ret;
	uint32_t slot;
	char num[32];

	hwpoison_inject_ready();
	gmem_need_huge_blocks(1);
	fd = gmem_new_flags(len, flags);
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, len));
	if (gmem_info(fd).large_folios != 1)
		test_skip("no 2 MiB folio to be had (fragmented memory)");
	CONVERT(fd, 5 * pg, pg, GMEM_SHARED);
	a = gmem_map_aligned(fd, len, len);
	ASSERT_SYS(pipe(pipefd));
	iov.iov_base = a + 5 * pg;
	iov.iov_len = pg;
	ASSERT_EQ(vmsplice(pipefd[1], &iov, 1, 0), pg);

	ct = ct_open();
	slot = CT_BIND(ct, fd, 0, len / pg);
	r = ct_resolve(ct, slot, BAD - 1);
	ASSERT_EQ(r.err, 0);
	ASSERT_EQ(r.folio_order, 9);
	ct_events(ct, ev);

	snprintf(num, sizeof(num), "%llu", (unsigned long long)r.pfn + 1);
	ret = write_str(CORRUPT_PFN, num);
	test_diag("pfn %s to %s: %s", num, CORRUPT_PFN,
		  ret ? errno_name(-ret) : "done");
	if (gmem_info(fd).large_folios != 1)
		test_skip("memory failure split the folio after all");
	EXPECT_EQ(ct_events(ct, ev), 0);

	EXPECT_EQ(ct_resolve_pfn(ct, slot, BAD, NULL), -EHWPOISON);
	n = ct_events(ct, ev);
	for (k = 0; k < n; k++) {
		if (ev[k].type != GMEM_TEST_EV_ERROR)
			continue;
		errors++;
		EXPECT_EQ(ev[k].start, BAD);
		EXPECT_EQ(ev[k].end, BAD + 1);
	}
	EXPECT_EQ(errors, 1);
	EXPECT_EQ(gmem_info(fd).poisoned, (uint64_t)pg);
	EXPECT_EQ(ct_resolve_pfn(ct, slot, BAD, NULL), -EHWPOISON);
	r = ct_resolve(ct, slot, BAD + 1);
	EXPECT_EQ(r.err, 0);
	EXPECT_EQ(r.folio_order, 9);

	ct_unbind(ct, slot);
	ASSERT_SYS(close(pipefd[0]));
	ASSERT_SYS(close(pipefd[1]));
	ASSERT_SYS(fallocate(fd, PUNCH, 0, len));
	EXPECT_EQ(gmem_info(fd).poisoned, 0);
	ASSERT_SYS(close(fd));
}

/*
 * GMEM_MIGRATE over a 2 MiB folio with a page memory failure could not
 * take out, nothing holding it any more: the folio is not copied (that
 * would read the bad page, and the copy would carry no poison mark),
 * it stays on its node, and the page stays lost.
 */
static void migrate_skips_poisoned_folio(void)
{
	const uint32_t flags = GMEM_CREATE_MMAP | GMEM_CREATE_SHARED |
			       GMEM_CREATE_HUGE;
	long pg = page_size();
	size_t len = GMEM_HUGE_SIZE;
	uint64_t moved = GMEM_UNTOUCHED, nodes[2];
	unsigned char *a;
	struct iovec iov;
	int fd, pipefd[2];

	numa_need_two();
	gmem_need_huge_blocks(1);
	fd = gmem_new_numa(len, flags, GMEM_NUMA_BIND, NODE_BIT(0));
	a = gmem_map_aligned(fd, len, len);
	fill_pattern_at(a, len, fd, 0, 2);
	if (gmem_info(fd).large_folios != 1)
		test_skip("no 2 MiB folio to be had on node 0 (fragmented memory)");
	ASSERT_SYS(pipe(pipefd));
	iov.iov_base = a + 5 * pg;
	iov.iov_len = pg;
	ASSERT_EQ(vmsplice(pipefd[1], &iov, 1, 0), pg);
	poison_unsplittable(fd, a);
	ASSERT_SYS(close(pipefd[0]));
	ASSERT_SYS(close(pipefd[1]));

	EXPECT_SYS(gmem_migrate_raw(fd, 0, len, 1, &moved, NULL));
	EXPECT_EQ(moved, 0);
	ASSERT_SYS(gmem_fdinfo_nodes(fd, nodes, 2));
	EXPECT_EQ(nodes[0], len);
	EXPECT_EQ(nodes[1], 0);
	EXPECT_EQ(gmem_info(fd).large_folios, 1);
	fault_install();
	EXPECT_SIGBUS_CODE(a + BAD * pg, false, BUS_MCEERR_AR);
	EXPECT_EQ(gmem_info(fd).poisoned, (uint64_t)pg);
	EXPECT_EQ(pattern_mismatch_at(a + (BAD + 1) * pg, pg, fd,
				      (BAD + 1) * pg, 2), -1);
	EXPECT_EQ(numa_node_of(a + (BAD + 1) * pg), 0);

	ASSERT_SYS(fallocate(fd, PUNCH, 0, len));
	EXPECT_EQ(gmem_info(fd).poisoned, 0);
	ASSERT_SYS(close(fd));
}

/*
 * A huge fd whose block has no folio but a page lost to memory failure
 * (a 4 KiB page there, poisoned and taken out): the block is filled with
 * 4 KiB pages around the lost index, never a 2 MiB folio over it, by
 * fallocate and by faults alike.
 */
static void no_huge_folio_over_lost_page(void)
{
	const uint32_t flags = GMEM_CREATE_MMAP | GMEM_CREATE_SHARED |
			       GMEM_CREATE_HUGE;
	long pg = page_size();
	size_t len = 2 * GMEM_HUGE_SIZE, blk = GMEM_HUGE_SIZE;
	struct gmem_info info;
	unsigned char *a;
	struct fault f;
	unsigned char v = 0xff;
	int fd, err;

	gmem_need_huge_blocks(2);
	fd = gmem_new_flags(len, flags);
	a = gmem_map_aligned(fd, len, blk);
	/* one page only: a 4 KiB folio */
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, BAD * pg, pg));
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, blk + BAD * pg, pg));
	info = gmem_info(fd);
	ASSERT_EQ(info.allocated, 2 * (uint64_t)pg);
	ASSERT_EQ(info.large_folios, 0);
	fill_pattern_at(a + BAD * pg, pg, fd, BAD * pg, 3);
	fill_pattern_at(a + blk + BAD * pg, pg, fd, blk + BAD * pg, 3);
	err = poison_in_child(a + BAD * pg);
	if (err == EINVAL)
		test_skip("MADV_HWPOISON: EINVAL (no CONFIG_MEMORY_FAILURE)");
	if (!err)
		err = poison_in_child(a + blk + BAD * pg);
	if (err)
		FAIL("MADV_HWPOISON: %s", err < 0 ? "child lost" :
		     errno_name(err));
	info = gmem_info(fd);
	ASSERT_EQ(info.poisoned, 2 * (uint64_t)pg);
	ASSERT_EQ(info.allocated, 0);

	/* block 0 by fallocate, block 1 by a fault on its first page */
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, blk));
	info = gmem_info(fd);
	EXPECT_EQ(info.allocated, blk - pg);
	EXPECT_EQ(info.large_folios, 0);
	fault_install();
	f = fault_read(a + blk, &v);
	EXPECT_EQ(f.sig, 0);
	EXPECT_EQ(v, 0);
	info = gmem_info(fd);
	EXPECT_EQ(info.allocated, blk);
	EXPECT_EQ(info.large_folios, 0);
	EXPECT_EQ(info.poisoned, 2 * (uint64_t)pg);
	EXPECT_SIGBUS_CODE(a + BAD * pg, false, BUS_MCEERR_AR);
	EXPECT_SIGBUS_CODE(a + blk + BAD * pg, false, BUS_MCEERR_AR);
	EXPECT_EQ(nonzero_at(a + (BAD + 1) * pg, pg), -1);

	/* punched, the blocks take 2 MiB folios again */
	ASSERT_SYS(fallocate(fd, PUNCH, 0, len));
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, len));
	info = gmem_info(fd);
	EXPECT_EQ(info.poisoned, 0);
	EXPECT_EQ(info.allocated, len);
	if (info.large_folios != 2)
		test_diag("after the punch: %llu large folios (fragmented memory?)",
			  (unsigned long long)info.large_folios);
	ASSERT_SYS(close(fd));
}

/* ---- a fault held inside gmem_get_folio() by memory.high ---- */

#define CGROOT		"/sys/fs/cgroup"
#define LOST		7	/* the index memory failure takes */

/* What the faulting child saw, and when the parent lets it start. */
struct held_fault {
	volatile int go, done;
	volatile int sig, code;
	volatile unsigned char val;
};

static void cg_set(const char *dir, const char *file, const char *val)
{
	char path[320];
	int ret;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	ret = write_str(path, val);
	if (ret)
		FAIL("writing '%s' to %s: %s", val, path, errno_name(-ret));
}

/* The "high" count of @dir's memory.events. */
static long long cg_high_events(const char *dir)
{
	char path[256], line[128];
	long long v = -1, n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/memory.events", dir);
	f = fopen(path, "re");
	if (!f)
		FAIL("%s: %s", path, errno_name(errno));
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "high %lld", &n) == 1)
			v = n;
	fclose(f);
	return v;
}

/* The state letter of /proc/@pid/stat ('D': in an uninterruptible sleep). */
static char proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return '?';
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

/*
 * One try: the child's fault on page LOST of an empty huge fd has found
 * no folio and no poison, and sleeps in the memory cgroup charge of the
 * 2 MiB folio it is about to insert (the fd's cgroup, which is also the
 * child's, is over memory.high).  Meanwhile the parent, in a cgroup
 * without a limit, faults the block in and has memory failure take page
 * LOST out.  When the child wakes, its folio must not be handed out.
 * False if the child's fault was over before the poison (nothing shown).
 */
static bool fault_held_over_poison(const char *cg, const char *home)
{
	const uint32_t flags = GMEM_CREATE_MMAP | GMEM_CREATE_SHARED |
			       GMEM_CREATE_HUGE;
	size_t len = GMEM_HUGE_SIZE;
	long pg = page_size();
	struct held_fault *h = mmap(NULL, sizeof(*h), PROT_READ | PROT_WRITE,
				    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	unsigned long long usage;
	long long high0;
	char path[256], val[32];
	struct gmem_info info;
	unsigned char *a;
	int fd, err, status;
	bool held = false, raced;
	double end;
	pid_t pid;

	ASSERT_TRUE(h != MAP_FAILED);
	memset((void *)h, 0, sizeof(*h));
	/* the fd's memory is charged to the cgroup of its creator */
	cg_set(cg, "cgroup.procs", "0");
	fd = gmem_new_flags(len, flags);
	a = gmem_map_aligned(fd, len, len);
	pid = ASSERT_SYS(fork());
	if (pid == 0) {
		struct fault f;
		unsigned char v = 0;

		fault_install();
		while (!h->go)
			usleep(1000);
		f = fault_read(a + LOST * pg, &v);
		h->sig = f.sig;
		h->code = f.code;
		h->val = v;
		h->done = 1;
		_exit(0);
	}
	cg_set(home, "cgroup.procs", "0");
	/* the child's 2 MiB charge goes over memory.high by far */
	snprintf(path, sizeof(path), "%s/memory.current", cg);
	ASSERT_EQ(read_ull(path, &usage), 0);
	snprintf(val, sizeof(val), "%llu", usage + 256 * 1024);
	cg_set(cg, "memory.high", val);
	high0 = cg_high_events(cg);

	h->go = 1;
	end = now_s() + 10;
	while (!h->done && now_s() < end) {
		if (cg_high_events(cg) > high0 && proc_state(pid) == 'D' &&
		    gmem_info(fd).allocated == 0) {
			held = true;
			break;
		}
		usleep(500);
	}
	if (held) {
		fault_install();
		/* page 0: the whole block, a 2 MiB folio, the parent's */
		ASSERT_EQ(fault_write(a, 1).sig, 0);
		err = poison_in_child(a + LOST * pg);
		if (err == EINVAL)
			test_skip("MADV_HWPOISON: EINVAL (no CONFIG_MEMORY_FAILURE)");
		if (err)
			FAIL("MADV_HWPOISON: %s", err < 0 ? "child lost" :
			     errno_name(err));
	}
	/* the child's fault still inside gmem when the poison was recorded */
	raced = held && !h->done;
	info = gmem_info(fd);
	test_diag("fault held %s, %s; then poisoned %llu, allocated %llu, large folios %llu",
		  held ? "in the charge" : "never",
		  raced ? "still there after memory failure" : "over too soon",
		  (unsigned long long)info.poisoned,
		  (unsigned long long)info.allocated,
		  (unsigned long long)info.large_folios);
	if (held && info.large_folios)
		test_skip("memory failure did not split the 2 MiB folio");
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (raced) {
		EXPECT_EQ(info.poisoned, (uint64_t)pg);
		if (h->sig != SIGBUS || h->code != BUS_MCEERR_AR)
			test_fail_at(__FILE__, __LINE__,
				     "the held fault got %s (byte %#x), not SIGBUS (BUS_MCEERR_AR)",
				     h->sig ? strsignal(h->sig) : "the page",
				     h->val);
		info = gmem_info(fd);
		EXPECT_EQ(info.poisoned, (uint64_t)pg);
		EXPECT_EQ(info.allocated, len - pg);
		EXPECT_SIGBUS_CODE(a + LOST * pg, false, BUS_MCEERR_AR);
	}
	ASSERT_SYS(munmap(a, len));
	ASSERT_SYS(close(fd));
	munmap((void *)h, sizeof(*h));
	return raced;
}

/*
 * gmem_get_folio() checks the poison record, allocates, then inserts:
 * memory failure can take the page out in between, and the fresh folio
 * must then not be handed out.  The window is microseconds, so a fault
 * is held in it: memory.high throttles a task whose charge takes its
 * cgroup over the limit right in the charge, before the insert, for up
 * to 2 s.
 */
static void fault_held_in_charge(void)
{
	char cg[128], home[256] = CGROOT, line[200];
	struct statfs sfs;
	int tries;
	FILE *f;

	gmem_need_huge_blocks(2);
	if (statfs(CGROOT, &sfs) || sfs.f_type != CGROUP2_SUPER_MAGIC) {
		mkdir(CGROOT, 0755);
		if (mount("cgroup2", CGROOT, "cgroup2", 0, NULL))
			test_skip("cannot mount cgroup2 at %s: %s", CGROOT,
				  errno_name(errno));
	}
	f = fopen("/proc/self/cgroup", "re");
	ASSERT_TRUE(f != NULL);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(home, sizeof(home), "%s%s", CGROOT,
				 strcmp(line + 3, "/") ? line + 3 : "");
		}
	fclose(f);
	if (write_str(CGROOT "/cgroup.subtree_control", "+memory"))
		test_skip("no memory controller in cgroup v2");
	snprintf(cg, sizeof(cg), "%s/gmem-poison-%d", CGROOT, getpid());
	if (mkdir(cg, 0755))
		FAIL("mkdir %s: %s", cg, errno_name(errno));
	for (tries = 1; tries <= 3; tries++)
		if (fault_held_over_poison(cg, home))
			break;
	for (int i = 0; i < 200 && rmdir(cg); i++)
		usleep(10 * 1000);
	if (tries > 3)
		FAIL("in 3 tries the fault was never held in its charge until the poison");
}

static const struct test poison_tests[] = {
	TEST("a fault racing memory failure never gets a page at the poisoned index",
	     fault_races_memory_failure, .timeout = 120,
	     .kmsg_allow = HWPOISON_KMSG),
	TEST("memory failure in a 2 MiB folio it cannot split: gmem finds the page, tells, never zeroes or frees it",
	     unsplittable_folio, .timeout = 120, .cleanup = ct_cleanup,
	     .kmsg_allow = HWPOISON_KMSG),
	TEST("GMEM_CONVERT_ZERO and punch around a page left poisoned in a 2 MiB folio: never written",
	     zeroing_skips_poisoned_page, .timeout = 120,
	     .kmsg_allow = HWPOISON_KMSG),
	TEST("read() and write() across a page left poisoned in a 2 MiB folio: up to it, EHWPOISON at it, on after it",
	     rw_stops_at_poisoned_page, .timeout = 120,
	     .kmsg_allow = HWPOISON_KMSG),
	TEST("a resolve as the first touch of a 2 MiB folio memory failure could not split: -EHWPOISON",
	     resolve_first_touch, .timeout = 120, .cleanup = ct_cleanup,
	     .kmsg_allow = HWPOISON_KMSG),
	TEST("GMEM_MIGRATE skips a 2 MiB folio holding a poisoned page: not copied, not moved",
	     migrate_skips_poisoned_folio, .timeout = 120,
	     .kmsg_allow = HWPOISON_KMSG),
	TEST("a huge fd's block with a lost page gets 4 KiB pages around it, by fallocate and fault",
	     no_huge_folio_over_lost_page, .timeout = 120,
	     .kmsg_allow = HWPOISON_KMSG),
	TEST("a fault held in its memory.high charge while memory failure takes the page: SIGBUS",
	     fault_held_in_charge, .timeout = 120,
	     .kmsg_allow = HWPOISON_KMSG),
};

DEFINE_SUITE(poison_suite, "poison", poison_tests);
