// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty logging: GMEM_CREATE_DIRTY_LOG and GMEM_DIRTY_LOG, how a VMM
 * migrating a guest or taking incremental snapshots learns which pages
 * were written.  Each way of writing (a mapping, write() and its kin,
 * GMEM_POPULATE, a consumer's resolve for writing) sets exactly the bits
 * of its pages, each way of reading none; punch and a zeroing conversion
 * report the pages that held memory.  A clear write-protects again: the
 * same mapping's next write is reported anew.  Under writers racing a
 * loop of get-and-clear, the copy the log guides ends equal to the
 * memory.  Refused calls change nothing, and an fd without the flag pays
 * no extra fault.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <unistd.h>

#include "check.h"
#include "ct.h"
#include "gmemfd.h"
#include "numa.h"
#include "suites.h"

#define LOGGED		GMEM_CREATE_DIRTY_LOG
#define MMAP_LOGGED	(GMEM_CREATE_MMAP | GMEM_CREATE_SHARED | LOGGED)
#define PUNCH		(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE)
#define CLEAR		GMEM_DIRTY_LOG_CLEAR
#define PEEK		0
#define HUGE		GMEM_HUGE_SIZE
/* What the bitmap holds where GMEM_DIRTY_LOG must not write. */
#define UNTOUCHED	0xa5a5a5a5a5a5a5a5ULL
/* The end of a list of page indices. */
#define END		(-1L)

#define CT_TEST(name, fn, ...)	TEST(name, fn, .cleanup = ct_cleanup, __VA_ARGS__)

/*
 * GMEM_DIRTY_LOG of [@off, @off + @len); the raw ioctl result.  *@nr and
 * *@status (when not NULL) get what the call left in the struct, which
 * starts with both at UNTOUCHED.
 */
static int dirty_log_raw(int fd, uint64_t off, uint64_t len, void *bitmap,
			 uint32_t flags, uint64_t *nr, uint32_t *status)
{
	struct gmem_dirty_log d = {
		.offset = off, .length = len, .bitmap = (uintptr_t)bitmap,
		.flags = flags, .status = (uint32_t)UNTOUCHED,
		.nr_dirty = UNTOUCHED,
	};
	int ret = ioctl(fd, GMEM_DIRTY_LOG, &d);

	if (nr)
		*nr = d.nr_dirty;
	if (status)
		*status = d.status;
	return ret;
}

/*
 * GMEM_DIRTY_LOG of pages [@first, @first + @n) of @fd with @flags must
 * work and report exactly the pages whose bits are set in @want (bit i:
 * page @first + i): the right words, no word past them written, nr_dirty
 * their count, status 0.
 */
static void dirty_bits_at(const char *file, int line, int fd, uint64_t first,
			  uint64_t n, uint32_t flags, const uint64_t *want)
{
	uint64_t words = (n + 63) / 64, nr, count = 0, i;
	uint64_t *got = xmalloc((words + 1) * sizeof(*got));
	long pg = page_size();
	unsigned int shown = 0;
	uint32_t status;

	for (i = 0; i <= words; i++)
		got[i] = UNTOUCHED;
	if (dirty_log_raw(fd, first * pg, n * pg, got, flags, &nr, &status)) {
		test_fail_at(file, line, "GMEM_DIRTY_LOG of pages [%llu, +%llu) flags %#x: %s",
			     (unsigned long long)first,
			     (unsigned long long)n, flags, errno_name(errno));
		test_end();
	}
	for (i = 0; i < n; i++) {
		bool g = got[i / 64] >> (i % 64) & 1;
		bool w = want[i / 64] >> (i % 64) & 1;

		count += w;
		if (g == w)
			continue;
		if (shown++ < 16)
			test_fail_at(file, line, "page %llu: %s, expected %s",
				     (unsigned long long)(first + i),
				     g ? "dirty" : "clean",
				     w ? "dirty" : "clean");
	}
	if (n % 64 && got[words - 1] >> (n % 64))
		test_fail_at(file, line, "bits past the range set: %#llx",
			     (unsigned long long)got[words - 1]);
	if (got[words] != UNTOUCHED)
		test_fail_at(file, line, "the word past the bitmap written: %#llx",
			     (unsigned long long)got[words]);
	if (nr != count || status)
		test_fail_at(file, line, "nr_dirty %llu for %llu pages, status %#x",
			     (unsigned long long)nr,
			     (unsigned long long)count, status);
	free(got);
}

/* The same, with the dirty pages listed (page indices, ending in END). */
static void dirty_pages_at(const char *file, int line, int fd, uint64_t first,
			   uint64_t n, uint32_t flags, const long *pages)
{
	uint64_t *want = calloc((n + 63) / 64 + 1, sizeof(*want));

	ASSERT_TRUE(want != NULL);
	for (; *pages != END; pages++) {
		uint64_t i = *pages - first;

		want[i / 64] |= 1ULL << (i % 64);
	}
	dirty_bits_at(file, line, fd, first, n, flags, want);
	free(want);
}

#define DIRTY_IS(fd, first, n, flags, ...)				\
	dirty_pages_at(__FILE__, __LINE__, fd, first, n, flags,	\
		       (const long[]){ __VA_ARGS__ })
#define DIRTY_BITS(fd, first, n, flags, want)				\
	dirty_bits_at(__FILE__, __LINE__, fd, first, n, flags, want)

static long minflt(void)
{
	struct rusage ru;

	ASSERT_SYS(getrusage(RUSAGE_SELF, &ru));
	return ru.ru_minflt;
}

/*
 * Where a write must take no fault: the minor faults since @minor (a
 * minflt()) and @hint (a numa_hint_faults()) that NUMA balancing does
 * not account for.  On the guests' two nodes its hinting faults can come
 * at any time (6.1 failed here now and then with one fault too many);
 * the tests that count keep it off their mappings (numa_no_balancing()),
 * and whatever hinting fault still comes is subtracted here.  They are
 * counted system wide, so this can come out low, never high.
 */
static long faults_not_numa(long minor, long long hint)
{
	long long hints = numa_hint_faults() - hint;

	minor = minflt() - minor;
	if (hints)
		test_diag("%ld minor fault(s), %lld NUMA hinting fault(s) meanwhile",
			  minor, hints);
	return minor > hints ? minor - hints : 0;
}

static void touch_write(volatile unsigned char *p, unsigned char v)
{
	*p = v;
}

static unsigned int touch_read(const volatile unsigned char *p)
{
	return *p;
}

/* ---- tests ---- */

static void advertised(void)
{
	struct gmem_features f = gmem_features();
	int fd;

	EXPECT_TRUE(f.create_flags & GMEM_CREATE_DIRTY_LOG);
	EXPECT_TRUE(f.fd_ioctls & 1ULL << _IOC_NR(GMEM_DIRTY_LOG));
	fd = gmem_new_flags(16 * page_size(), MMAP_LOGGED);
	EXPECT_EQ(gmem_info(fd).create_flags, MMAP_LOGGED);
	/* a new fd: nothing written, its zeroes are no news */
	DIRTY_IS(fd, 0, 16, PEEK, END);
	DIRTY_IS(fd, 0, 16, CLEAR, END);
	ASSERT_SYS(close(fd));
}

static void mapping_writes(void)
{
	long pg = page_size();
	int fd = gmem_new_flags(64 * pg, MMAP_LOGGED);
	unsigned char *a = gmem_map(fd, 64 * pg), *buf = xmalloc(pg);
	unsigned int sum = 0;
	long long hint;
	long faults;

	numa_no_balancing();
	/* reading every page, through the mapping and read(): nothing */
	for (int i = 0; i < 64; i++)
		sum += touch_read(a + i * pg);
	EXPECT_EQ(sum, 0);
	ASSERT_EQ(pread(fd, buf, pg, 9 * pg), pg);
	DIRTY_IS(fd, 0, 64, PEEK, END);

	/* writes after the reads: exactly their pages */
	touch_write(a + 1 * pg, 1);
	touch_write(a + 5 * pg + 100, 2);
	touch_write(a + 63 * pg + pg - 1, 3);
	/* a peek leaves them; a second peek sees the same */
	DIRTY_IS(fd, 0, 64, PEEK, 1, 5, 63, END);
	DIRTY_IS(fd, 0, 64, PEEK, 1, 5, 63, END);
	DIRTY_IS(fd, 0, 64, CLEAR, 1, 5, 63, END);
	DIRTY_IS(fd, 0, 64, PEEK, END);

	/*
	 * The same mapping, writable before the clear, is write-protected
	 * again: the next write faults and is reported, the one after it
	 * does not fault (but for NUMA balancing's own).
	 */
	faults = minflt();
	touch_write(a + 5 * pg, 4);
	faults = minflt() - faults;
	test_diag("the first write after the clear: %ld faults", faults);
	EXPECT_GE(faults, 1);
	hint = numa_hint_faults();
	faults = minflt();
	touch_write(a + 5 * pg + 1, 5);
	EXPECT_EQ(faults_not_numa(faults, hint), 0);
	DIRTY_IS(fd, 0, 64, CLEAR, 5, END);

	/* what was written is what reads back */
	EXPECT_EQ(a[5 * pg], 4);
	EXPECT_EQ(a[5 * pg + 1], 5);
	EXPECT_EQ(a[63 * pg + pg - 1], 3);
	DIRTY_IS(fd, 0, 64, PEEK, END);

	/* a second mapping of the same pages: write-protected alike */
	unsigned char *b = gmem_map(fd, 64 * pg);

	touch_write(b + 7 * pg, 6);
	touch_write(a + 8 * pg, 7);
	DIRTY_IS(fd, 0, 64, CLEAR, 7, 8, END);
	touch_write(b + 8 * pg, 8);
	DIRTY_IS(fd, 0, 64, CLEAR, 8, END);
	ASSERT_SYS(munmap(b, 64 * pg));
	ASSERT_SYS(munmap(a, 64 * pg));
	ASSERT_SYS(close(fd));
	free(buf);
}

static void rw_writes(void)
{
	long pg = page_size();
	int fd = gmem_new_flags(32 * pg, GMEM_CREATE_SHARED | LOGGED);
	unsigned char *buf = pattern_pages(4 * pg, 3);
	struct iovec iov[2] = {
		{ .iov_base = buf, .iov_len = 10 },
		{ .iov_base = buf + 10, .iov_len = pg },
	};

	/* one byte, and a write from the middle of page 7 to that of 9 */
	ASSERT_EQ(pwrite(fd, buf, 1, 2 * pg + 100), 1);
	ASSERT_EQ(pwrite(fd, buf, 2 * pg, 7 * pg + pg / 2), 2 * pg);
	DIRTY_IS(fd, 0, 32, PEEK, 2, 7, 8, 9, END);
	/* writev from the last 5 bytes of page 20 to the first 5 of 22 */
	ASSERT_EQ(pwritev(fd, iov, 2, 21 * pg - 5), pg + 10);
	DIRTY_IS(fd, 0, 32, CLEAR, 2, 7, 8, 9, 20, 21, 22, END);

	/* reads are no writes */
	ASSERT_EQ(pread(fd, buf, 4 * pg, 6 * pg), 4 * pg);
	ASSERT_EQ(pread(fd, buf, pg, 30 * pg), pg);
	DIRTY_IS(fd, 0, 32, PEEK, END);
	/* nor an allocation, which only makes zeroes be there */
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 32 * pg));
	DIRTY_IS(fd, 0, 32, PEEK, END);
	/* write() at the file position */
	ASSERT_EQ(lseek(fd, 31 * pg, SEEK_SET), 31 * pg);
	ASSERT_EQ(write(fd, buf, pg), pg);
	DIRTY_IS(fd, 0, 32, CLEAR, 31, END);
	ASSERT_SYS(close(fd));
	free(buf);
}

static void populate_writes(void)
{
	long pg = page_size();
	int fd = gmem_new_flags(16 * pg, LOGGED);
	unsigned char *img = pattern_pages(3 * pg, 1);

	POPULATE(fd, 3 * pg, 3 * pg, img);
	POPULATE(fd, 15 * pg, pg, img);
	DIRTY_IS(fd, 0, 16, CLEAR, 3, 4, 5, 15, END);
	DIRTY_IS(fd, 0, 16, PEEK, END);
	/* the same page populated again: again */
	POPULATE(fd, 4 * pg, pg, img);
	DIRTY_IS(fd, 0, 16, CLEAR, 4, END);
	ASSERT_SYS(close(fd));
	free(img);
}

static void consumer_writes(void)
{
	long pg = page_size();
	int ct = ct_open(), fd = gmem_new_flags(16 * pg, LOGGED), plain;
	unsigned char *buf = pattern_pages(pg, 7);
	struct gmem_test_event *ev = xmalloc(GMEM_TEST_MAX_EVENTS *
					     sizeof(*ev));
	unsigned int n, begins = 0;
	uint32_t slot, other;

	slot = CT_BIND(ct, fd, 0, 16);
	ct_events(ct, ev);

	/* resolves without the flag, and reads through the consumer: none */
	EXPECT_EQ(ct_resolve_flags(ct, slot, 2, 0).err, 0);
	EXPECT_EQ(ct_rw(ct, slot, 4, buf, false), 0);
	DIRTY_IS(fd, 0, 16, PEEK, END);
	/* with GMEM_GET_WRITE, and a write through the consumer: theirs */
	EXPECT_EQ(ct_resolve_flags(ct, slot, 3, GMEM_TEST_GET_WRITE).err, 0);
	EXPECT_EQ(ct_rw(ct, slot, 6, buf, true), 0);
	DIRTY_IS(fd, 0, 16, PEEK, 3, 6, END);
	/* a peek tells the consumer nothing */
	EXPECT_EQ(ct_events(ct, ev), 0);

	/* the clear has the consumer drop exactly those pages */
	DIRTY_IS(fd, 0, 16, CLEAR, 3, 6, END);
	n = ct_events(ct, ev);
	for (unsigned int i = 0; i < n; i++) {
		test_diag("event %u: type %u [%llu, %llu) flags %#x", i,
			  ev[i].type, (unsigned long long)ev[i].start,
			  (unsigned long long)ev[i].end, ev[i].flags);
		EXPECT_EQ(ev[i].flags, 0);
		if (ev[i].type != GMEM_TEST_EV_BEGIN)
			continue;
		begins++;
		EXPECT_TRUE((ev[i].start == 3 && ev[i].end == 4) ||
			    (ev[i].start == 6 && ev[i].end == 7));
	}
	EXPECT_EQ(begins, 2);
	EXPECT_EQ(n, 4);

	/* shared pages resolved for writing, too */
	CONVERT(fd, 8 * pg, pg, GMEM_SHARED);
	DIRTY_IS(fd, 0, 16, CLEAR, END);
	EXPECT_EQ(ct_resolve_flags(ct, slot, 8, GMEM_TEST_GET_SHARED |
				   GMEM_TEST_GET_WRITE).err, 0);
	DIRTY_IS(fd, 0, 16, CLEAR, 8, END);
	/* an unknown flag: EINVAL, nothing marked */
	EXPECT_EQ(ct_resolve_flags(ct, slot, 9, 1U << 2).err, -EINVAL);
	DIRTY_IS(fd, 0, 16, PEEK, END);

	/* on an fd without the log, the flag is accepted and does nothing */
	plain = gmem_new_flags(4 * pg, 0);
	other = CT_BIND(ct, plain, 0, 4);
	EXPECT_EQ(ct_resolve_flags(ct, other, 1, GMEM_TEST_GET_WRITE).err, 0);
	EXPECT_ERRNO(dirty_log_raw(plain, 0, 4 * pg, buf, PEEK, NULL, NULL),
		     EINVAL);
	ct_unbind(ct, other);
	ct_unbind(ct, slot);
	ASSERT_SYS(close(plain));
	ASSERT_SYS(close(fd));
	free(ev);
	free(buf);
}

static void contents_changed(void)
{
	long pg = page_size();
	int fd = gmem_new_flags(32 * pg, MMAP_LOGGED);
	unsigned char *buf = pattern_pages(4 * pg, 2);

	ASSERT_EQ(pwrite(fd, buf, 4 * pg, 0), 4 * pg);
	ASSERT_EQ(pwrite(fd, buf, pg, 12 * pg), pg);
	DIRTY_IS(fd, 0, 32, CLEAR, 0, 1, 2, 3, 12, END);

	/* a punch: the pages that held memory now read zero; holes stay */
	ASSERT_SYS(fallocate(fd, PUNCH, 2 * pg, 8 * pg));
	DIRTY_IS(fd, 0, 32, CLEAR, 2, 3, END);
	/* a conversion: the contents stay, nothing to copy */
	CONVERT(fd, 12 * pg, 4 * pg, GMEM_PRIVATE);
	CONVERT(fd, 12 * pg, 4 * pg, GMEM_SHARED);
	DIRTY_IS(fd, 0, 32, PEEK, END);
	/* a zeroing one: the pages with memory */
	CONVERT_FLAGS(fd, 0, 16 * pg, GMEM_PRIVATE, GMEM_CONVERT_ZERO);
	DIRTY_IS(fd, 0, 32, CLEAR, 0, 1, 12, END);
	CONVERT_FLAGS(fd, 0, 16 * pg, GMEM_SHARED, GMEM_CONVERT_ZERO);
	DIRTY_IS(fd, 0, 32, CLEAR, 0, 1, 12, END);
	ASSERT_SYS(close(fd));
	free(buf);
}

static void huge_block(void)
{
	long pg = page_size();
	uint64_t *block = xmalloc(2 * HUGE / pg / 8), *page3;
	bool pmd = gmem_pmd_mapping_expected();
	unsigned char *a, *buf;
	int fd;

	gmem_need_huge_blocks(4);
	fd = gmem_new_flags(2 * HUGE, MMAP_LOGGED | GMEM_CREATE_HUGE);
	a = gmem_map_aligned(fd, 2 * HUGE, HUGE);
	memset(block, 0, 2 * HUGE / pg / 8);
	memset(block, 0xff, HUGE / pg / 8);
	page3 = calloc(2 * HUGE / pg / 64, 8);
	ASSERT_TRUE(page3 != NULL);

	/*
	 * A write fault in a wholly shared block: from 6.15 one writable
	 * PMD, so the whole block is logged; before, 4 KiB entries mapped
	 * read-only, and the page written alone is.
	 */
	test_diag("PMD mappings %sexpected", pmd ? "" : "not ");
	touch_write(a + 3 * pg, 1);
	page3[0] = 1ULL << 3;
	DIRTY_BITS(fd, 0, 2 * HUGE / pg, CLEAR, pmd ? block : page3);
	/* the next write, to another page: the same, write-protected again */
	touch_write(a + 10 * pg, 2);
	page3[0] = 1ULL << 10;
	DIRTY_BITS(fd, 0, 2 * HUGE / pg, CLEAR, pmd ? block : page3);
	/* a read first, then a write: the read maps read-only */
	EXPECT_EQ(touch_read(a + HUGE + 5 * pg), 0);
	DIRTY_IS(fd, 0, 2 * HUGE / pg, PEEK, END);
	touch_write(a + HUGE + 6 * pg, 3);
	memset(block, 0, 2 * HUGE / pg / 8);
	memset(block + HUGE / pg / 64, 0xff, HUGE / pg / 8);
	page3[0] = 0;
	page3[HUGE / pg / 64] = 1ULL << 6;
	DIRTY_BITS(fd, 0, 2 * HUGE / pg, CLEAR, pmd ? block : page3);
	/* write() and a punch stay exact to the page on a huge fd */
	ASSERT_EQ(pwrite(fd, a, 1, 7 * pg), 1);
	DIRTY_IS(fd, 0, 2 * HUGE / pg, CLEAR, 7, END);
	EXPECT_EQ(a[10 * pg], 2);
	EXPECT_EQ(a[HUGE + 6 * pg], 3);
	/*
	 * write() copies a run of the folio's pages at a time: exactly the
	 * pages written, with the one a short copy wrote 100 bytes of
	 * before the buffer's page 300 (out of reach) stopped it
	 */
	buf = mmap(NULL, 400 * pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(buf != MAP_FAILED);
	memset(buf, 4, 300 * pg);
	ASSERT_SYS(mprotect(buf + 300 * pg, pg, PROT_NONE));
	EXPECT_EQ(pwrite(fd, buf, 400 * pg, 10 * pg + 100), 300 * pg);
	memset(block, 0, 2 * HUGE / pg / 8);
	for (long i = 10; i <= 310; i++)
		block[i / 64] |= 1ULL << (i % 64);
	DIRTY_BITS(fd, 0, 2 * HUGE / pg, CLEAR, block);
	EXPECT_EQ(a[310 * pg + 99], 4);
	EXPECT_EQ(a[310 * pg + 100], 0);
	ASSERT_SYS(munmap(buf, 400 * pg));
	ASSERT_SYS(munmap(a, 2 * HUGE));
	ASSERT_SYS(close(fd));
	free(block);
	free(page3);
}

/*
 * A consumer may map the whole block a resolve's max_order allows: a
 * resolve for writing logs that block, no more, no less.
 */
static void consumer_huge_block(void)
{
	long pg = page_size();
	long per = HUGE / pg;
	uint64_t *want = xmalloc(2 * per / 8);
	struct gmem_test_resolve r;
	int ct = ct_open(), fd;
	uint64_t first, n;
	uint32_t slot;

	gmem_need_huge_blocks(4);
	fd = gmem_new_flags(2 * HUGE, LOGGED | GMEM_CREATE_HUGE);
	slot = CT_BIND(ct, fd, 0, 2 * per);
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 2 * HUGE));

	/* a private 2 MiB folio: order 9, the whole block */
	r = ct_resolve_flags(ct, slot, 5, GMEM_TEST_GET_WRITE);
	ASSERT_EQ(r.err, 0);
	EXPECT_EQ(r.max_order, 9);
	memset(want, 0, 2 * per / 8);
	memset(want, 0xff, per / 8);
	DIRTY_BITS(fd, 0, 2 * per, CLEAR, want);

	/* read: nothing; a page of the second block made shared cuts it */
	EXPECT_EQ(ct_resolve_flags(ct, slot, per + 5, 0).err, 0);
	DIRTY_IS(fd, 0, 2 * per, PEEK, END);
	CONVERT(fd, HUGE + 7 * pg, pg, GMEM_SHARED);
	r = ct_resolve_flags(ct, slot, per + 5, GMEM_TEST_GET_WRITE);
	ASSERT_EQ(r.err, 0);
	test_diag("max_order %d beside a shared page", r.max_order);
	EXPECT_TRUE(r.max_order >= 0 && r.max_order < 3);
	n = 1ULL << r.max_order;
	first = (per + 5) & ~(n - 1);
	memset(want, 0, 2 * per / 8);
	for (uint64_t i = first; i < first + n; i++)
		want[i / 64] |= 1ULL << (i % 64);
	DIRTY_BITS(fd, 0, 2 * per, CLEAR, want);

	ct_unbind(ct, slot);
	ASSERT_SYS(close(fd));
	free(want);
}

/*
 * The faults of reading page @i of a fresh mapping of @fd, then of
 * writing it.
 */
static void read_then_write(int fd, long *rf, long *wf)
{
	long pg = page_size();
	unsigned char *a = gmem_map(fd, 4 * pg);
	long long hint;
	long before;

	before = minflt();
	touch_read(a + 2 * pg);
	*rf = minflt() - before;
	hint = numa_hint_faults();
	before = minflt();
	touch_write(a + 2 * pg, 1);
	*wf = faults_not_numa(before, hint);
	ASSERT_SYS(munmap(a, 4 * pg));
}

static void untracked_fd(void)
{
	long pg = page_size(), rf, wf;
	int plain = gmem_new_flags(4 * pg, MMAP_LOGGED & ~LOGGED);
	int logged = gmem_new_flags(4 * pg, MMAP_LOGGED);
	uint64_t bits = UNTOUCHED, nr;
	uint32_t status;

	numa_no_balancing();
	/* the measuring code's own faults out of the way */
	read_then_write(plain, &rf, &wf);
	read_then_write(plain, &rf, &wf);
	test_diag("without the log: read %ld fault(s), write after it %ld", rf,
		  wf);
	EXPECT_GE(rf, 1);
	EXPECT_EQ(wf, 0);
	read_then_write(logged, &rf, &wf);
	test_diag("with the log: read %ld fault(s), write after it %ld", rf,
		  wf);
	EXPECT_GE(rf, 1);
	EXPECT_GE(wf, 1);

	/* GMEM_DIRTY_LOG on the fd without the flag: EINVAL, nothing done */
	EXPECT_ERRNO(dirty_log_raw(plain, 0, 4 * pg, &bits, CLEAR, &nr,
				   &status), EINVAL);
	EXPECT_ERRNO(dirty_log_raw(plain, 0, 4 * pg, &bits, PEEK, NULL, NULL),
		     EINVAL);
	EXPECT_EQ(bits, UNTOUCHED);
	EXPECT_EQ(nr, UNTOUCHED);
	EXPECT_EQ(status, (uint32_t)UNTOUCHED);
	ASSERT_SYS(close(plain));
	ASSERT_SYS(close(logged));
}

static void refused(void)
{
	long pg = page_size();
	int fd = gmem_new_flags(16 * pg, MMAP_LOGGED), dev;
	uint64_t bits[4], nr;
	struct gmem_dirty_log d;
	unsigned char b = 1;
	struct {
		uint64_t off, len;
	} bad[] = {
		{ 1, pg }, { 0, pg + 1 }, { pg / 2, pg / 2 }, { 0, 0 },
		{ 0, 17 * pg }, { 16 * pg, pg }, { 15 * pg, 2 * pg },
		{ -(uint64_t)pg, 2 * pg }, { pg, -(uint64_t)pg },
	};

	ASSERT_EQ(pwrite(fd, &b, 1, 3 * pg), 1);
	ASSERT_EQ(pwrite(fd, &b, 1, 15 * pg), 1);

	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		bits[0] = UNTOUCHED;
		EXPECT_ERRNO(dirty_log_raw(fd, bad[i].off, bad[i].len, bits,
					   CLEAR, &nr, NULL), EINVAL);
		EXPECT_EQ(bits[0], UNTOUCHED);
		EXPECT_EQ(nr, UNTOUCHED);
	}
	/* unknown flags, reserved fields */
	for (unsigned int bit = 1; bit < 32; bit++)
		EXPECT_ERRNO(dirty_log_raw(fd, 0, 16 * pg, bits,
					   CLEAR | 1U << bit, NULL, NULL),
			     EINVAL);
	for (unsigned int r = 0; r < 2; r++) {
		d = (struct gmem_dirty_log){
			.length = 16 * pg, .bitmap = (uintptr_t)bits,
			.flags = CLEAR,
		};
		d.reserved[r] = 1;
		EXPECT_ERRNO(ioctl(fd, GMEM_DIRTY_LOG, &d), EINVAL);
	}
	/* status and nr_dirty are out fields: whatever they hold is fine */
	d = (struct gmem_dirty_log){
		.length = 16 * pg, .bitmap = (uintptr_t)bits,
		.status = ~0U, .nr_dirty = ~0ULL,
	};
	EXPECT_SYS(ioctl(fd, GMEM_DIRTY_LOG, &d));
	EXPECT_EQ(d.nr_dirty, 2);
	EXPECT_EQ(d.status, 0);
	/* a bitmap that cannot be written: EFAULT, nothing taken */
	EXPECT_ERRNO(dirty_log_raw(fd, 0, 16 * pg, NULL, CLEAR, NULL, NULL),
		     EFAULT);
	EXPECT_ERRNO(dirty_log_raw(fd, 0, 16 * pg, (void *)8, CLEAR, NULL,
				   NULL), EFAULT);
	EXPECT_ERRNO(ioctl(fd, GMEM_DIRTY_LOG, NULL), EFAULT);
	/* other encodings of the number: ENOTTY */
	EXPECT_ERRNO(ioctl(fd, _IO(GMEM_IOCTL_TYPE, 0x08), &d), ENOTTY);
	EXPECT_ERRNO(ioctl(fd, _IOW(GMEM_IOCTL_TYPE, 0x08,
				    struct gmem_dirty_log), &d), ENOTTY);
	EXPECT_ERRNO(ioctl(fd, _IOWR(GMEM_IOCTL_TYPE, 0x08, uint64_t), &d),
		     ENOTTY);
	/* nor on /dev/gmem */
	dev = gmem_open_dev();
	EXPECT_ERRNO(ioctl(dev, GMEM_DIRTY_LOG, &d), ENOTTY);
	ASSERT_SYS(close(dev));

	/* all of that changed nothing */
	DIRTY_IS(fd, 0, 16, CLEAR, 3, 15, END);
	ASSERT_SYS(close(fd));
}

static void bitmap_layout(void)
{
	long pg = page_size();
	int fd = gmem_new_flags(200 * pg, GMEM_CREATE_SHARED | LOGGED);
	static const long pages[] = { 0, 63, 64, 65, 127, 130, 199 };
	unsigned char b = 1;

	for (unsigned int i = 0; i < ARRAY_SIZE(pages); i++)
		ASSERT_EQ(pwrite(fd, &b, 1, pages[i] * pg), 1);
	/* bit i is page offset / 4096 + i, whatever the offset */
	DIRTY_IS(fd, 1, 199, PEEK, 63, 64, 65, 127, 130, 199, END);
	DIRTY_IS(fd, 63, 3, PEEK, 63, 64, 65, END);
	DIRTY_IS(fd, 64, 1, PEEK, 64, END);
	DIRTY_IS(fd, 128, 72, PEEK, 130, 199, END);
	/* a clear of part takes that part only */
	DIRTY_IS(fd, 64, 67, CLEAR, 64, 65, 127, 130, END);
	DIRTY_IS(fd, 0, 200, PEEK, 0, 63, 199, END);
	DIRTY_IS(fd, 0, 200, CLEAR, 0, 63, 199, END);
	DIRTY_IS(fd, 0, 200, PEEK, END);
	ASSERT_SYS(close(fd));
}

static void sparse_large(void)
{
	long pg = page_size();
	uint64_t len = 64 * GiB, n = len / pg;
	int fd = gmem_new_flags(len, GMEM_CREATE_SHARED | LOGGED);
	unsigned char b = 1;
	double t;

	ASSERT_EQ(pwrite(fd, &b, 1, 0), 1);
	ASSERT_EQ(pwrite(fd, &b, 1, 40 * GiB + 5 * pg), 1);
	ASSERT_EQ(pwrite(fd, &b, 1, len - pg), 1);
	t = now_s();
	DIRTY_IS(fd, 0, n, CLEAR, 0, (long)((40 * GiB) / pg + 5),
		 (long)(n - 1), END);
	test_diag("get-and-clear of a 64 GiB fd with 3 pages written: %.3f s",
		  now_s() - t);
	DIRTY_IS(fd, 0, n, PEEK, END);
	ASSERT_SYS(close(fd));
}

/* ---- writers racing a loop of get-and-clear ---- */

#define RACE_PAGES	64
#define RACE_THREADS	2
#define RACE_ROUNDS	300

struct race {
	unsigned char *map;
	atomic_int stop;
};

struct race_writer {
	struct race *race;
	unsigned int id;
	uint64_t last[RACE_PAGES];	/* the last sequence written, per page */
};

/*
 * Writes increasing sequence numbers into the first word of its own pages
 * (those with index % RACE_THREADS == id) in turn.
 */
static void *race_write(void *arg)
{
	struct race_writer *w = arg;
	long pg = page_size();
	uint64_t seq = 0;

	for (unsigned int n = 0; !atomic_load(&w->race->stop); n++) {
		unsigned int i = (n * RACE_THREADS + w->id) % RACE_PAGES;

		seq++;
		*(volatile uint64_t *)(w->race->map + i * pg) = seq;
		w->last[i] = seq;
	}
	return NULL;
}

/* The copy the log guides: each page reported is copied after the call. */
static unsigned int race_round(int fd, const unsigned char *map,
			       uint64_t *copy)
{
	long pg = page_size();
	uint64_t bits = 0, nr;
	unsigned int n = 0;

	ASSERT_SYS(dirty_log_raw(fd, 0, RACE_PAGES * pg, &bits, CLEAR, &nr,
				 NULL));
	for (unsigned int i = 0; i < RACE_PAGES; i++) {
		if (!(bits >> i & 1))
			continue;
		copy[i] = *(const volatile uint64_t *)(map + i * pg);
		n++;
	}
	ASSERT_EQ(nr, n);
	return n;
}

static void race_clear(void)
{
	long pg = page_size();
	int fd = gmem_new_flags(RACE_PAGES * pg, MMAP_LOGGED);
	struct race race = {
		.map = gmem_map(fd, RACE_PAGES * pg),
	};
	struct race_writer *w = calloc(RACE_THREADS, sizeof(*w));
	uint64_t copy[RACE_PAGES] = { 0 };
	unsigned int rounds = 0, lost = 0;
	pthread_t threads[RACE_THREADS];
	unsigned long reported = 0;

	ASSERT_TRUE(w != NULL);
	for (unsigned int t = 0; t < RACE_THREADS; t++) {
		w[t].race = &race;
		w[t].id = t;
		ASSERT_EQ(pthread_create(&threads[t], NULL, race_write, &w[t]),
			  0);
	}
	/* a pause between rounds lets the writers fill the log */
	for (rounds = 0; rounds < RACE_ROUNDS; rounds++) {
		reported += race_round(fd, race.map, copy);
		usleep(200);
	}
	atomic_store(&race.stop, 1);
	for (unsigned int t = 0; t < RACE_THREADS; t++)
		ASSERT_EQ(pthread_join(threads[t], NULL), 0);
	/* the last round, with the writers stopped */
	reported += race_round(fd, race.map, copy);
	test_diag("%u rounds of get-and-clear, %lu pages reported", rounds,
		  reported);

	/* every page's copy is its last write: no write went unreported */
	for (unsigned int i = 0; i < RACE_PAGES; i++) {
		uint64_t want = w[i % RACE_THREADS].last[i];

		EXPECT_EQ(*(uint64_t *)(race.map + i * pg), want);
		if (copy[i] != want && lost++ < 8)
			test_fail_at(__FILE__, __LINE__,
				     "page %u: copy holds %llu, memory %llu",
				     i, (unsigned long long)copy[i],
				     (unsigned long long)want);
	}
	EXPECT_EQ(lost, 0);
	/* the writers did write while the rounds ran */
	EXPECT_GT(reported, RACE_PAGES);
	DIRTY_IS(fd, 0, RACE_PAGES, PEEK, END);
	ASSERT_SYS(munmap(race.map, RACE_PAGES * pg));
	ASSERT_SYS(close(fd));
	free(w);
}

static const struct test dirty_tests[] = {
	TEST("GMEM_FEATURES reports GMEM_CREATE_DIRTY_LOG and GMEM_DIRTY_LOG; a new fd has nothing written",
	     advertised),
	TEST("writes through mappings set exactly their pages, reads none; a peek keeps them; after a clear the same mapping's next write faults and is reported",
	     mapping_writes),
	TEST("pwrite(), pwritev() and write() set exactly the pages they touch; pread() and fallocate() none",
	     rw_writes),
	TEST("GMEM_POPULATE sets the pages it copies",
	     populate_writes),
	CT_TEST("a consumer's resolve with GMEM_GET_WRITE sets its page, without it none; a clear invalidates the consumer for exactly the pages cleared",
		consumer_writes),
	CT_TEST("a consumer's resolve with GMEM_GET_WRITE of a page in a 2 MiB folio sets the block its max_order allows, no more",
		consumer_huge_block, .timeout = 120),
	TEST("a punch and a zeroing conversion report the pages that held memory; a plain conversion nothing",
	     contents_changed),
	TEST("a huge fd: a write fault logs its 2 MiB block with a PMD (6.15+), its page with PTEs (before); write() its pages, a short one too",
	     huge_block, .timeout = 120),
	TEST("without the flag: GMEM_DIRTY_LOG is EINVAL and a read-then-written page costs one fault; with it, two",
	     untracked_fd),
	TEST("GMEM_DIRTY_LOG: EINVAL for bad ranges, flags, reserved; EFAULT for the bitmap; ENOTTY for other encodings; nothing taken",
	     refused),
	TEST("GMEM_DIRTY_LOG: bit i is page offset/4096 + i at any offset; a clear of part takes only that part",
	     bitmap_layout),
	TEST("GMEM_DIRTY_LOG: a 64 GiB fd with three pages written, taken whole",
	     sparse_large, .timeout = 120),
	TEST("two threads writing through a mapping while a loop gets and clears: the copy the log guides ends equal to memory",
	     race_clear, .timeout = 180),
};

DEFINE_SUITE(dirty_suite, "dirty", dirty_tests);
