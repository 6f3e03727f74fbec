// SPDX-License-Identifier: GPL-2.0
/*
 * Where a memory fd's memory is and what state its pages are in:
 * lseek() with SEEK_DATA and SEEK_HOLE, and GMEM_QUERY's runs of pages,
 * so that a VMM saving a guest copies only what exists and a tool can
 * show the layout.  Both are held against what the test did to the fd:
 * data is every page with memory, private or shared, 4 KiB or in a 2 MiB
 * folio, and every page lost to memory failure; GMEM_QUERY gives runs of
 * equal state as long as they go, the same runs whatever room it is
 * given and resumed at next_offset, also past a kernel page of them.  A
 * sparse 1 TiB fd answers both from what it holds, not from its size.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "check.h"
#include "fault.h"
#include "gmemfd.h"
#include "hwpoison.h"
#include "rng.h"
#include "suites.h"

#define S		GMEM_PAGE_SHARED
#define A		GMEM_PAGE_ALLOCATED
#define H		GMEM_PAGE_HUGE
#define P		GMEM_PAGE_POISONED
#define STATES_ALL	(S | A | H | P)

#define MMAP_SHARED_FD	(GMEM_CREATE_MMAP | GMEM_CREATE_SHARED)
#define PUNCH		(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE)
#define HWPOISON_KMSG	"hardware memory corruption"
#define TiB		(1024 * GiB)

/* The most runs a test asks for at once. */
#define MAX_RUNS	4096
/* What the runs array holds where GMEM_QUERY must not write. */
#define UNTOUCHED	0xa5

/* A run of @nr pages from page @first, in @pg-byte pages. */
#define RUN(first, nr, st)						\
	{ .offset = (uint64_t)(first) * pg, .length = (uint64_t)(nr) * pg, \
	  .state = (st) }

static void show_runs(const char *what, const struct gmem_query_run *r,
		      uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n && i < 24; i++)
		test_diag("%s %u: [%#llx, +%#llx) state %#x", what, i,
			  (unsigned long long)r[i].offset,
			  (unsigned long long)r[i].length, r[i].state);
	if (n > i)
		test_diag("%s: %u more", what, n - i);
}

/*
 * GMEM_QUERY of [@off, @off + @len) with room for @cap runs, which must
 * work, into @runs (room for @cap + 1); returns nr_runs, next_offset in
 * *@next.  Holds it to what every answer must be: one run or more, at
 * most @cap, one after another from @off, page aligned, none empty or
 * past the range, neighbours in different states, only known state
 * bits, reserved written as zero, nothing written past the last run, and
 * next_offset where the runs end, which is the range's end unless the
 * array is full.
 */
static uint32_t query_at(const char *file, int line, int fd, uint64_t off,
			 uint64_t len, struct gmem_query_run *runs,
			 uint32_t cap, uint64_t *next)
{
	unsigned char untouched[sizeof(*runs)];
	uint64_t pos = off, pg = page_size();
	uint32_t n = 0, i;

	memset(runs, UNTOUCHED, (cap + 1ULL) * sizeof(*runs));
	memset(untouched, UNTOUCHED, sizeof(untouched));
	if (gmem_query_raw(fd, off, len, runs, cap, &n, next)) {
		test_fail_at(file, line,
			     "GMEM_QUERY of [%#llx, +%#llx), room for %u: %s",
			     (unsigned long long)off,
			     (unsigned long long)len, cap, errno_name(errno));
		test_end();
	}
	if (n < 1 || n > cap) {
		test_fail_at(file, line,
			     "GMEM_QUERY of [%#llx, +%#llx), room for %u: %u runs",
			     (unsigned long long)off,
			     (unsigned long long)len, cap, n);
		test_end();
	}
	for (i = 0; i < n; i++) {
		const struct gmem_query_run *r = &runs[i];

		if (r->offset == pos && r->length && !(r->length % pg) &&
		    r->length <= off + len - pos && !r->reserved &&
		    !(r->state & ~STATES_ALL) &&
		    (!i || r->state != runs[i - 1].state)) {
			pos += r->length;
			continue;
		}
		test_fail_at(file, line,
			     "GMEM_QUERY of [%#llx, +%#llx), room for %u: run %u of %u is [%#llx, +%#llx) state %#x reserved %#x, where [%#llx, ...) was due",
			     (unsigned long long)off,
			     (unsigned long long)len, cap, i, n,
			     (unsigned long long)r->offset,
			     (unsigned long long)r->length, r->state,
			     r->reserved, (unsigned long long)pos);
		show_runs("got", runs, n);
		test_end();
	}
	if (*next != pos || (pos != off + len && n != cap)) {
		test_fail_at(file, line,
			     "GMEM_QUERY of [%#llx, +%#llx), room for %u: %u runs up to %#llx, next_offset %#llx",
			     (unsigned long long)off,
			     (unsigned long long)len, cap, n,
			     (unsigned long long)pos,
			     (unsigned long long)*next);
		test_end();
	}
	if (memcmp(&runs[n], untouched, sizeof(untouched))) {
		test_fail_at(file, line,
			     "GMEM_QUERY of [%#llx, +%#llx), room for %u: wrote past its %u runs",
			     (unsigned long long)off,
			     (unsigned long long)len, cap, n);
		test_end();
	}
	return n;
}

/*
 * The whole answer for [@off, @off + @len) into @out (room for
 * MAX_RUNS), asked with room for @cap runs at a time and resumed at
 * next_offset: a call's first run never has the state of the last one
 * before it, which ended because the state changed.
 */
static uint32_t query_all_at(const char *file, int line, int fd,
			     uint64_t off, uint64_t len, uint32_t cap,
			     struct gmem_query_run *out)
{
	struct gmem_query_run *runs = xmalloc((cap + 1ULL) * sizeof(*runs));
	uint64_t pos = off, end = off + len, next;
	uint32_t total = 0, n;

	while (pos < end) {
		n = query_at(file, line, fd, pos, end - pos, runs, cap, &next);
		if (total + n > MAX_RUNS) {
			test_fail_at(file, line, "more than %u runs", MAX_RUNS);
			test_end();
		}
		if (total && runs[0].state == out[total - 1].state) {
			test_fail_at(file, line,
				     "GMEM_QUERY resumed at %#llx (room for %u): its first run [%#llx, +%#llx) has the state %#x of the run before",
				     (unsigned long long)pos, cap,
				     (unsigned long long)runs[0].offset,
				     (unsigned long long)runs[0].length,
				     runs[0].state);
			test_end();
		}
		memcpy(out + total, runs, n * sizeof(*runs));
		total += n;
		pos = next;
	}
	free(runs);
	return total;
}

/* GMEM_QUERY of the range, @cap runs at a time, must give @want. */
static bool runs_are_at(const char *file, int line, int fd, uint64_t off,
			uint64_t len, uint32_t cap,
			const struct gmem_query_run *want, uint32_t nwant)
{
	struct gmem_query_run *got = xmalloc(MAX_RUNS * sizeof(*got));
	uint32_t n = query_all_at(file, line, fd, off, len, cap, got), i;
	bool same = n == nwant;

	for (i = 0; same && i < n; i++)
		same = got[i].offset == want[i].offset &&
		       got[i].length == want[i].length &&
		       got[i].state == want[i].state;
	if (!same) {
		test_fail_at(file, line,
			     "GMEM_QUERY of [%#llx, +%#llx), room for %u: %u runs, not the %u expected",
			     (unsigned long long)off,
			     (unsigned long long)len, cap, n, nwant);
		show_runs("got", got, n);
		show_runs("expected", want, nwant);
	}
	free(got);
	return same;
}

#define EXPECT_RUNS(fd, off, len, ...)					\
	do {								\
		const struct gmem_query_run want_[] = { __VA_ARGS__ };	\
									\
		runs_are_at(__FILE__, __LINE__, fd, off, len, MAX_RUNS,	\
			    want_, ARRAY_SIZE(want_));			\
	} while (0)

/*
 * lseek(@fd, @off, @whence) must give @want (-1: ENXIO) and leave the
 * position there (where it was after ENXIO).
 */
static bool seek_is_at(const char *file, int line, int fd, off_t off,
		       int whence, off_t want)
{
	const char *how = whence == SEEK_DATA ? "SEEK_DATA" : "SEEK_HOLE";
	off_t before = lseek(fd, 0, SEEK_CUR), got, pos;
	int err;

	errno = 0;
	got = lseek(fd, off, whence);
	err = errno;
	pos = lseek(fd, 0, SEEK_CUR);
	if (want < 0 ? got != -1 || err != ENXIO : got != want) {
		test_fail_at(file, line,
			     "lseek(%#llx, %s): %lld (%s), expected %lld%s",
			     (long long)off, how, (long long)got,
			     got < 0 ? errno_name(err) : "no error",
			     (long long)want, want < 0 ? " (ENXIO)" : "");
		return false;
	}
	if (pos != (want < 0 ? before : want)) {
		test_fail_at(file, line,
			     "lseek(%#llx, %s) = %lld left the position at %lld",
			     (long long)off, how, (long long)got,
			     (long long)pos);
		return false;
	}
	return true;
}

#define EXPECT_SEEK(fd, off, whence, want)				\
	seek_is_at(__FILE__, __LINE__, fd, off, whence, want)

/* ---- a model: the state of every page, as the test left it ---- */

/* The runs of pages [@first, @first + @nr) of @state, into @out. */
static uint32_t model_runs(const uint32_t *state, size_t first, size_t nr,
			   struct gmem_query_run *out)
{
	uint64_t pg = page_size();
	uint32_t n = 0;

	for (size_t i = first; i < first + nr; i++) {
		if (n && out[n - 1].state == state[i]) {
			out[n - 1].length += pg;
			continue;
		}
		out[n++] = (struct gmem_query_run){
			.offset = i * pg, .length = pg, .state = state[i],
		};
	}
	return n;
}

/* GMEM_QUERY of pages [@first, @first + @nr), @cap runs at a time. */
static bool model_query_at(const char *file, int line, int fd,
			   const uint32_t *state, size_t first, size_t nr,
			   uint32_t cap)
{
	struct gmem_query_run *want = xmalloc(MAX_RUNS * sizeof(*want));
	uint32_t n = model_runs(state, first, nr, want);
	uint64_t pg = page_size();
	bool ok = runs_are_at(file, line, fd, first * pg, nr * pg, cap, want,
			      n);

	free(want);
	return ok;
}

/*
 * SEEK_DATA and SEEK_HOLE from an offset in every page of @fd (@np
 * pages), at its start, inside it or at its last byte, and from the
 * edges: data is every page whose state is allocated or poisoned.
 */
static bool model_seek_at(const char *file, int line, int fd,
			  const uint32_t *state, size_t np)
{
	off_t pg = page_size(), size = np * pg, data = -1, hole = size;
	off_t *next_data = xmalloc(np * sizeof(off_t));
	off_t *next_hole = xmalloc(np * sizeof(off_t));
	bool ok = true;

	for (size_t i = np; i-- > 0;) {
		if (state[i] & (A | P))
			data = i * pg;
		else
			hole = i * pg;
		next_data[i] = data;
		next_hole[i] = hole;
	}
	for (size_t i = 0; ok && i < np; i++) {
		off_t in = i % 3 == 0 ? 0 : i % 3 == 1 ? 123 : pg - 1;
		off_t off = i * pg + in;

		ok = seek_is_at(file, line, fd, off, SEEK_DATA,
				next_data[i] == (off_t)(i * pg) ? off :
				next_data[i]) &&
		     seek_is_at(file, line, fd, off, SEEK_HOLE,
				next_hole[i] == (off_t)(i * pg) ? off :
				next_hole[i]);
	}
	for (int w = SEEK_DATA; ok && w <= SEEK_HOLE; w++)
		ok = seek_is_at(file, line, fd, -1, w, -1) &&
		     seek_is_at(file, line, fd, size, w, -1) &&
		     seek_is_at(file, line, fd, size + 1, w, -1);
	free(next_data);
	free(next_hole);
	return ok;
}

/*
 * @fd as @state says, through every window: GMEM_QUERY of all of it,
 * and of a part with little room; SEEK_DATA and SEEK_HOLE; GMEM_INFO's
 * counts.  False at the first difference.
 */
static bool model_holds_at(const char *file, int line, int fd,
			   const uint32_t *state, size_t np, struct rng *rng)
{
	uint64_t pg = page_size(), allocated = 0, shared = 0;
	size_t first = rng_below(rng, np);
	size_t nr = 1 + rng_below(rng, np - first);
	struct gmem_info info;

	for (size_t i = 0; i < np; i++) {
		allocated += state[i] & A ? pg : 0;
		shared += state[i] & S ? pg : 0;
	}
	info = gmem_info(fd);
	if (info.allocated != allocated || info.shared_bytes != shared) {
		test_fail_at(file, line,
			     "GMEM_INFO: allocated %#llx shared %#llx, expected %#llx and %#llx",
			     (unsigned long long)info.allocated,
			     (unsigned long long)info.shared_bytes,
			     (unsigned long long)allocated,
			     (unsigned long long)shared);
		return false;
	}
	return model_query_at(file, line, fd, state, 0, np, MAX_RUNS) &&
	       model_query_at(file, line, fd, state, first, nr,
			      1 + rng_below(rng, 4)) &&
	       model_seek_at(file, line, fd, state, np);
}

/* Sets (@set) or clears @bit of pages [@s, @e). */
static void model_mark(uint32_t *state, size_t s, size_t e, uint32_t bit,
		       bool set)
{
	for (size_t i = s; i < e; i++)
		state[i] = set ? state[i] | bit : state[i] & ~bit;
}

/*
 * One random step on @fd (mapped at @a, @np pages, GMEM_CREATE_MMAP) of
 * the things that change a page's state, its result checked against
 * @state, which it updates: conversions both ways, fallocate, punch,
 * pwrite and pread of a byte range (from a shared page: the bytes up to
 * the first private one; from a private one EACCES), a write fault
 * (SIGBUS on a private page), GMEM_POPULATE (EINVAL with a shared page
 * in the range).  @what gets a description.
 */
static void model_step(int fd, unsigned char *a, uint32_t *state, size_t np,
		       struct rng *rng, char *what, size_t what_len)
{
	static const char *const names[] = {
		"to shared", "to private", "fallocate", "punch", "pwrite",
		"pread", "write fault", "populate",
	};
	long pg = page_size();
	size_t s = rng_below(rng, np), e, p;
	unsigned int op = rng_below(rng, ARRAY_SIZE(names));
	uint64_t from = s * pg + rng_below(rng, pg / 2), to, want = 0;
	unsigned char *buf;
	ssize_t ret;

	e = s + 1 + rng_below(rng, np - s < 16 ? np - s : 16);
	to = e * pg - rng_below(rng, pg / 2);
	snprintf(what, what_len, "%s of pages [%zu, %zu) (bytes [%#llx, %#llx))",
		 names[op], s, e, (unsigned long long)from,
		 (unsigned long long)to);
	switch (op) {
	case 0:
		CONVERT(fd, s * pg, (e - s) * pg, GMEM_SHARED);
		model_mark(state, s, e, S, true);
		break;
	case 1:
		CONVERT(fd, s * pg, (e - s) * pg, GMEM_PRIVATE);
		model_mark(state, s, e, S, false);
		break;
	case 2:
		ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, s * pg,
				     (e - s) * pg));
		model_mark(state, s, e, A, true);
		break;
	case 3:
		ASSERT_SYS(fallocate(fd, PUNCH, s * pg, (e - s) * pg));
		model_mark(state, s, e, A, false);
		break;
	case 4:
	case 5:
		/* up to the first private page */
		for (p = s; p < e && state[p] & S; p++)
			;
		want = p == s ? 0 : (p == e ? to : p * pg) - from;
		buf = pattern_pages(e * pg, op);
		errno = 0;
		ret = op == 4 ? pwrite(fd, buf, to - from, from) :
				pread(fd, buf, to - from, from);
		if (!want && (ret != -1 || errno != EACCES))
			FAIL("%s: %zd (%s), expected EACCES", what, ret,
			     errno_name(errno));
		if (want && ret != (ssize_t)want)
			FAIL("%s: %zd (%s), expected %llu", what, ret,
			     errno_name(errno), (unsigned long long)want);
		if (op == 4)
			model_mark(state, s, p, A, true);
		free(buf);
		break;
	case 6: {
		struct fault f = fault_write(a + s * pg + 77, 1);

		if ((f.sig != 0) != !(state[s] & S))
			FAIL("%s: %s on a %s page", what, fault_str(f),
			     state[s] & S ? "shared" : "private");
		if (state[s] & S)
			state[s] |= A;
		break;
	}
	default:
		buf = pattern_pages((e - s) * pg, 100);
		for (p = s; p < e && !(state[p] & S); p++)
			;
		if (p == e) {
			POPULATE(fd, s * pg, (e - s) * pg, buf);
			model_mark(state, s, e, A, true);
		} else {
			uint64_t copied = GMEM_UNTOUCHED;

			EXPECT_ERRNO(gmem_populate_raw(fd, s * pg, (e - s) * pg,
						       buf, &copied), EINVAL);
			EXPECT_EQ(copied, 0);
		}
		free(buf);
	}
}

/* ---- SEEK_DATA and SEEK_HOLE ---- */

/*
 * A layout of private and shared pages with and without memory, a page
 * punched between two: answers from an offset in every page, on the fd
 * and on a reopened file; then all of it allocated (no hole but the
 * end) and all of it punched (no data).
 */
static void seek_data_hole(void)
{
	long pg = page_size();
	const size_t np = 32;
	size_t len = np * pg;
	int fd = gmem_new_flags(len, GMEM_CREATE_MMAP);
	int r = gmem_reopen(fd, O_RDWR);
	uint32_t state[32] = { 0 };

	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 2 * pg, 2 * pg));
	CONVERT(fd, 7 * pg, pg, GMEM_SHARED);
	ASSERT_EQ(pwrite(fd, "x", 1, 7 * pg + 9), 1);
	CONVERT(fd, 9 * pg, 2 * pg, GMEM_SHARED);
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 15 * pg, 3 * pg));
	ASSERT_SYS(fallocate(fd, PUNCH, 16 * pg, pg));
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 31 * pg, pg));
	model_mark(state, 2, 4, A, true);
	model_mark(state, 7, 8, S | A, true);
	model_mark(state, 9, 11, S, true);
	model_mark(state, 15, 18, A, true);
	model_mark(state, 16, 17, A, false);
	model_mark(state, 31, 32, A, true);

	EXPECT_SEEK(fd, 0, SEEK_DATA, 2 * pg);
	EXPECT_SEEK(fd, 2 * pg + 5, SEEK_DATA, 2 * pg + 5);
	EXPECT_SEEK(fd, 4 * pg, SEEK_DATA, 7 * pg);
	EXPECT_SEEK(fd, 8 * pg, SEEK_DATA, 15 * pg);
	EXPECT_SEEK(fd, 16 * pg + 1, SEEK_DATA, 17 * pg);
	EXPECT_SEEK(fd, 18 * pg, SEEK_DATA, 31 * pg);
	EXPECT_SEEK(fd, 0, SEEK_HOLE, 0);
	EXPECT_SEEK(fd, 2 * pg, SEEK_HOLE, 4 * pg);
	EXPECT_SEEK(fd, 7 * pg + 100, SEEK_HOLE, 8 * pg);
	EXPECT_SEEK(fd, 9 * pg + 1, SEEK_HOLE, 9 * pg + 1);
	EXPECT_SEEK(fd, 15 * pg + 9, SEEK_HOLE, 16 * pg);
	EXPECT_SEEK(fd, 31 * pg, SEEK_HOLE, len);
	EXPECT_SEEK(fd, len - 1, SEEK_HOLE, len);
	EXPECT_SEEK(fd, len - 1, SEEK_DATA, len - 1);
	/* nothing at or past the end, nor before the start */
	EXPECT_SEEK(fd, len, SEEK_DATA, -1);
	EXPECT_SEEK(fd, len, SEEK_HOLE, -1);
	EXPECT_SEEK(fd, len + pg, SEEK_HOLE, -1);
	EXPECT_SEEK(fd, INT64_MAX, SEEK_DATA, -1);
	EXPECT_SEEK(fd, -1, SEEK_DATA, -1);
	EXPECT_SEEK(fd, -1, SEEK_HOLE, -1);
	EXPECT_SEEK(fd, INT64_MIN, SEEK_HOLE, -1);

	EXPECT_TRUE(model_seek_at(__FILE__, __LINE__, fd, state, np));
	EXPECT_TRUE(model_seek_at(__FILE__, __LINE__, r, state, np));

	/* data to the end */
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, len));
	model_mark(state, 0, np, A, true);
	EXPECT_TRUE(model_seek_at(__FILE__, __LINE__, r, state, np));
	/* no data at all */
	ASSERT_SYS(fallocate(r, PUNCH, 0, len));
	model_mark(state, 0, np, A, false);
	EXPECT_TRUE(model_seek_at(__FILE__, __LINE__, fd, state, np));
	EXPECT_SEEK(fd, 0, SEEK_DATA, -1);
}

/*
 * A 2 MiB folio is data whole, from the page a fault or a write made it
 * for to its last; a 4 KiB page of a huge fd is data alone.
 */
static void seek_huge(void)
{
	const uint32_t flags = MMAP_SHARED_FD | GMEM_CREATE_HUGE;
	off_t pg = page_size(), blk = GMEM_HUGE_SIZE, len = 3 * blk;
	unsigned char *a;
	int fd;

	gmem_need_huge_blocks(2);
	fd = gmem_new_flags(len, flags);
	a = gmem_map_aligned(fd, len, blk);
	a[blk + 5 * pg] = 1;
	if (gmem_info(fd).large_folios != 1 &&
	    gmem_fdinfo_value(fd, "gmem-large-fallbacks"))
		test_skip("no 2 MiB folio to be had (fragmented memory)");
	ASSERT_EQ(gmem_info(fd).allocated, blk);
	EXPECT_SEEK(fd, 0, SEEK_DATA, blk);
	EXPECT_SEEK(fd, blk - 1, SEEK_DATA, blk);
	EXPECT_SEEK(fd, blk + 17, SEEK_DATA, blk + 17);
	EXPECT_SEEK(fd, blk, SEEK_HOLE, 2 * blk);
	EXPECT_SEEK(fd, 2 * blk - 1, SEEK_HOLE, 2 * blk);
	EXPECT_SEEK(fd, 2 * blk, SEEK_DATA, -1);

	/* block 2 by a write: data to the end */
	ASSERT_EQ(pwrite(fd, "x", 1, 2 * blk + 9 * pg), 1);
	ASSERT_EQ(gmem_info(fd).allocated, 2 * blk);
	EXPECT_SEEK(fd, blk, SEEK_HOLE, len);
	EXPECT_SEEK(fd, 2 * blk - 1, SEEK_DATA, 2 * blk - 1);
	EXPECT_SEEK(fd, 2 * blk, SEEK_DATA, 2 * blk);
	/* one 4 KiB page in block 0 */
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 3 * pg, pg));
	EXPECT_SEEK(fd, 0, SEEK_DATA, 3 * pg);
	EXPECT_SEEK(fd, 3 * pg, SEEK_HOLE, 4 * pg);
	EXPECT_SEEK(fd, 4 * pg, SEEK_DATA, blk);
	/* block 1 punched */
	ASSERT_SYS(fallocate(fd, PUNCH, blk, blk));
	EXPECT_SEEK(fd, 4 * pg, SEEK_DATA, 2 * blk);
	EXPECT_SEEK(fd, 3 * pg, SEEK_HOLE, 4 * pg);
	EXPECT_SEEK(fd, 2 * blk + 1, SEEK_HOLE, len);
}

/*
 * 1 TiB with a page near its end and one in its middle: SEEK_DATA from
 * the start finds them (stepping over the holes, not through them), and
 * GMEM_QUERY describes the fd in five runs.
 */
static void sparse_tib(void)
{
	off_t pg = page_size(), len = TiB, mid = len / 2 + 7 * pg;
	off_t last = len - 3 * pg;
	int fd;

	if (gmem_max_size() < (unsigned long long)len)
		test_skip("max_size %llu is below 1 TiB", gmem_max_size());
	fd = gmem_new(len);
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, last, pg));
	EXPECT_SEEK(fd, 0, SEEK_DATA, last);
	EXPECT_SEEK(fd, 0, SEEK_HOLE, 0);
	EXPECT_SEEK(fd, last + 11, SEEK_DATA, last + 11);
	EXPECT_SEEK(fd, last, SEEK_HOLE, last + pg);
	EXPECT_SEEK(fd, last + pg, SEEK_DATA, -1);
	EXPECT_SEEK(fd, len - 1, SEEK_HOLE, len - 1);

	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, mid, pg));
	EXPECT_SEEK(fd, 0, SEEK_DATA, mid);
	EXPECT_SEEK(fd, mid + pg, SEEK_DATA, last);
	EXPECT_SEEK(fd, mid, SEEK_HOLE, mid + pg);
	EXPECT_RUNS(fd, 0, len,
		    RUN(0, mid / pg, 0),
		    RUN(mid / pg, 1, A),
		    RUN(mid / pg + 1, (last - mid) / pg - 1, 0),
		    RUN(last / pg, 1, A),
		    RUN(last / pg + 1, 2, 0));
	EXPECT_EQ(gmem_info(fd).allocated, 2 * pg);
}

/*
 * A page lost to memory failure is still data, for a saver that skips
 * holes must not skip it as zeroes, and its state is POISONED without
 * ALLOCATED: the memory is gone.  Punched, it is a hole again.
 */
static void poisoned_state(void)
{
	long pg = page_size();
	size_t len = 8 * pg;
	int fd = gmem_new_flags(len, MMAP_SHARED_FD), err;
	unsigned char *a = gmem_map(fd, len);

	fill_pattern_at(a + 2 * pg, 3 * pg, fd, 2 * pg, 1);
	err = poison_in_child(a + 3 * pg);
	if (err == EINVAL)
		test_skip("MADV_HWPOISON: EINVAL (no CONFIG_MEMORY_FAILURE)");
	if (err)
		FAIL("MADV_HWPOISON: %s", err < 0 ? "child lost" :
		     errno_name(err));
	ASSERT_EQ(gmem_info(fd).poisoned, pg);
	EXPECT_RUNS(fd, 0, len,
		    RUN(0, 2, S),
		    RUN(2, 1, S | A),
		    RUN(3, 1, S | P),
		    RUN(4, 1, S | A),
		    RUN(5, 3, S));
	EXPECT_SEEK(fd, 0, SEEK_DATA, 2 * pg);
	EXPECT_SEEK(fd, 3 * pg + 1, SEEK_DATA, 3 * pg + 1);
	EXPECT_SEEK(fd, 2 * pg, SEEK_HOLE, 5 * pg);

	/* alone between holes */
	ASSERT_SYS(fallocate(fd, PUNCH, 2 * pg, pg));
	ASSERT_SYS(fallocate(fd, PUNCH, 4 * pg, pg));
	EXPECT_RUNS(fd, 0, len,
		    RUN(0, 3, S),
		    RUN(3, 1, S | P),
		    RUN(4, 4, S));
	EXPECT_RUNS(fd, 3 * pg, pg, RUN(3, 1, S | P));
	EXPECT_SEEK(fd, 0, SEEK_DATA, 3 * pg);
	EXPECT_SEEK(fd, 3 * pg, SEEK_HOLE, 4 * pg);
	EXPECT_SEEK(fd, 4 * pg, SEEK_DATA, -1);

	/* punched: gone */
	ASSERT_SYS(fallocate(fd, PUNCH, 3 * pg, pg));
	EXPECT_EQ(gmem_info(fd).poisoned, 0);
	EXPECT_RUNS(fd, 0, len, RUN(0, 8, S));
	EXPECT_SEEK(fd, 0, SEEK_DATA, -1);
}

/*
 * Page 7 of a 2 MiB folio poisoned while a pipe holds page 5: memory
 * failure cannot split the folio and leaves the page in it.  It is
 * ALLOCATED, HUGE and POISONED, its neighbours ALLOCATED and HUGE;
 * reading or writing it is EHWPOISON, and a read from the page before
 * stops at it.
 */
static void poisoned_in_huge_folio(void)
{
	const uint32_t flags = MMAP_SHARED_FD | GMEM_CREATE_HUGE;
	long pg = page_size();
	size_t len = GMEM_HUGE_SIZE, np = GMEM_HUGE_PAGES;
	unsigned char *a, *buf = xmalloc(2 * pg);
	struct iovec iov;
	int fd, pipefd[2], err;

	gmem_need_huge_blocks(1);
	fd = gmem_new_flags(len, flags);
	a = gmem_map_aligned(fd, len, len);
	fill_pattern_at(a, len, fd, 0, 2);
	if (gmem_info(fd).large_folios != 1)
		test_skip("no 2 MiB folio to be had (fragmented memory)");
	EXPECT_RUNS(fd, 0, len, RUN(0, np, S | A | H));
	ASSERT_SYS(pipe(pipefd));
	iov.iov_base = a + 5 * pg;
	iov.iov_len = pg;
	ASSERT_EQ(vmsplice(pipefd[1], &iov, 1, 0), pg);
	err = poison_in_child(a + 7 * pg);
	if (err == EINVAL)
		test_skip("MADV_HWPOISON: EINVAL (no CONFIG_MEMORY_FAILURE)");
	test_diag("MADV_HWPOISON of page 7: %s",
		  err ? errno_name(err) : "done");
	if (gmem_info(fd).large_folios != 1)
		test_skip("memory failure split the folio after all");

	EXPECT_RUNS(fd, 0, len,
		    RUN(0, 7, S | A | H),
		    RUN(7, 1, S | A | H | P),
		    RUN(8, np - 8, S | A | H));
	EXPECT_SEEK(fd, 0, SEEK_HOLE, len);
	EXPECT_ERRNO(pread(fd, buf, pg, 7 * pg), EHWPOISON);
	EXPECT_ERRNO(pwrite(fd, buf, 1, 7 * pg + 1), EHWPOISON);
	EXPECT_EQ(pread(fd, buf, 2 * pg, 6 * pg), pg);
	EXPECT_EQ(pattern_mismatch_at(buf, pg, fd, 6 * pg, 2), -1);
	EXPECT_EQ(pread(fd, buf, pg, 8 * pg), pg);
	EXPECT_EQ(pattern_mismatch_at(buf, pg, fd, 8 * pg, 2), -1);
	/* gmem has looked at the page now: the same answer */
	EXPECT_RUNS(fd, 0, len,
		    RUN(0, 7, S | A | H),
		    RUN(7, 1, S | A | H | P),
		    RUN(8, np - 8, S | A | H));

	ASSERT_SYS(close(pipefd[0]));
	ASSERT_SYS(close(pipefd[1]));
	ASSERT_SYS(fallocate(fd, PUNCH, 0, len));
	EXPECT_EQ(gmem_info(fd).poisoned, 0);
	EXPECT_RUNS(fd, 0, len, RUN(0, np, S));
	free(buf);
}

/* ---- GMEM_QUERY ---- */

/*
 * Nothing allocated, nothing converted: one run of the creation state
 * over 1 TiB, and over any part of it, at the cost of one run.
 */
static void fresh_tib(void)
{
	long pg = page_size();
	uint64_t len = TiB;
	int fd, sfd;

	if (gmem_max_size() < len)
		test_skip("max_size %llu is below 1 TiB", gmem_max_size());
	fd = gmem_new(len);
	sfd = gmem_new_flags(len, GMEM_CREATE_SHARED);
	EXPECT_RUNS(fd, 0, len, RUN(0, len / pg, 0));
	EXPECT_RUNS(sfd, 0, len, RUN(0, len / pg, S));
	EXPECT_RUNS(fd, len / 2 + 5 * pg, 7 * pg, RUN(len / pg / 2 + 5, 7, 0));
	EXPECT_RUNS(sfd, len - pg, pg, RUN(len / pg - 1, 1, S));
	EXPECT_RUNS(fd, 0, pg, RUN(0, 1, 0));
	runs_are_at(__FILE__, __LINE__, fd, 0, len, 1,
		    (struct gmem_query_run[]){ RUN(0, len / pg, 0) }, 1);
	EXPECT_SEEK(fd, 0, SEEK_DATA, -1);
	EXPECT_SEEK(sfd, len - 1, SEEK_HOLE, len - 1);
	EXPECT_EQ(gmem_info(fd).allocated, 0);
	EXPECT_EQ(gmem_info(sfd).allocated, 0);
}

/*
 * Step by step, each answer as a table: a shared page alone at the
 * start, private pages allocated, shared pages with and without memory,
 * a page punched between two, a shared page faulted in at the end; and
 * parts of the range, on the fd and on a reopened file.
 */
static void layout_runs(void)
{
	long pg = page_size();
	size_t len = 32 * pg;
	int fd = gmem_new_flags(len, GMEM_CREATE_MMAP);
	int r = gmem_reopen(fd, O_RDWR);
	unsigned char *a = gmem_map(fd, len);

	EXPECT_RUNS(fd, 0, len, RUN(0, 32, 0));
	CONVERT(fd, 0, pg, GMEM_SHARED);
	EXPECT_RUNS(fd, 0, len, RUN(0, 1, S), RUN(1, 31, 0));
	CONVERT(fd, 0, pg, GMEM_PRIVATE);
	CONVERT(fd, len - pg, pg, GMEM_SHARED);
	EXPECT_RUNS(fd, 0, len, RUN(0, 31, 0), RUN(31, 1, S));
	CONVERT(fd, 0, pg, GMEM_SHARED);

	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 4 * pg, 2 * pg));
	CONVERT(fd, 6 * pg, 6 * pg, GMEM_SHARED);
	ASSERT_EQ(pwrite(fd, "xy", 2, 11 * pg - 1), 2);
	EXPECT_RUNS(fd, 0, len,
		    RUN(0, 1, S),
		    RUN(1, 3, 0),
		    RUN(4, 2, A),
		    RUN(6, 4, S),
		    RUN(10, 2, S | A),
		    RUN(12, 19, 0),
		    RUN(31, 1, S));

	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 12 * pg, 4 * pg));
	ASSERT_SYS(fallocate(fd, PUNCH, 13 * pg, pg));
	a[31 * pg + 5] = 1;
	/* the fd and the reopened file: the same memory, the same runs */
	for (int i = 0; i < 2; i++)
		EXPECT_RUNS(i ? r : fd, 0, len,
			    RUN(0, 1, S),
			    RUN(1, 3, 0),
			    RUN(4, 2, A),
			    RUN(6, 4, S),
			    RUN(10, 2, S | A),
			    RUN(12, 1, A),
			    RUN(13, 1, 0),
			    RUN(14, 2, A),
			    RUN(16, 15, 0),
			    RUN(31, 1, S | A));
	/* parts: runs cut at the range */
	EXPECT_RUNS(fd, 5 * pg, 3 * pg, RUN(5, 1, A), RUN(6, 2, S));
	EXPECT_RUNS(r, 13 * pg, pg, RUN(13, 1, 0));
	EXPECT_RUNS(fd, 17 * pg, 15 * pg, RUN(17, 14, 0), RUN(31, 1, S | A));
	EXPECT_RUNS(fd, 7 * pg, 4 * pg, RUN(7, 3, S), RUN(10, 1, S | A));
}

/*
 * A huge fd: 2 MiB folios are HUGE, also one half shared; a 4 KiB page
 * fallocated alone in an empty block is not; a punched block and a
 * shared page without memory.  Then a page punched inside a folio: the
 * folio split (its pages allocated but not HUGE, the page a hole) or
 * the page zeroed in place (nothing changes); both happen, by kernel.
 */
static void huge_runs(void)
{
	const uint32_t flags = GMEM_CREATE_MMAP | GMEM_CREATE_HUGE;
	long pg = page_size();
	size_t blk = GMEM_HUGE_SIZE, len = 4 * blk, np = GMEM_HUGE_PAGES;
	struct gmem_info info;
	int fd;

	gmem_need_huge_blocks(3);
	fd = gmem_new_flags(len, flags);
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, blk));
	CONVERT(fd, blk, blk / 2, GMEM_SHARED);
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, blk, blk));
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 2 * blk + 3 * pg, pg));
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 3 * blk, blk));
	ASSERT_SYS(fallocate(fd, PUNCH, 3 * blk, blk));
	CONVERT(fd, len - pg, pg, GMEM_SHARED);
	info = gmem_info(fd);
	if (info.large_folios != 2 &&
	    gmem_fdinfo_value(fd, "gmem-large-fallbacks"))
		test_skip("no 2 MiB folios to be had (fragmented memory)");
	ASSERT_EQ(info.large_folios, 2);
	ASSERT_EQ(info.allocated, 2 * blk + pg);
	EXPECT_RUNS(fd, 0, len,
		    RUN(0, np, A | H),
		    RUN(np, np / 2, S | A | H),
		    RUN(np + np / 2, np / 2, A | H),
		    RUN(2 * np, 3, 0),
		    RUN(2 * np + 3, 1, A),
		    RUN(2 * np + 4, 2 * np - 5, 0),
		    RUN(4 * np - 1, 1, S));
	/* a part from inside one folio to inside the next */
	EXPECT_RUNS(fd, blk - pg, 2 * pg, RUN(np - 1, 1, A | H),
		    RUN(np, 1, S | A | H));

	ASSERT_SYS(fallocate(fd, PUNCH, 5 * pg, pg));
	info = gmem_info(fd);
	test_diag("one page punched in the folio: allocated %llu, large_folios %llu",
		  (unsigned long long)info.allocated,
		  (unsigned long long)info.large_folios);
	if (info.allocated == 2 * blk + pg) {
		/* zeroed in place: the folio whole */
		EXPECT_EQ(info.large_folios, 2);
		EXPECT_RUNS(fd, 0, blk, RUN(0, np, A | H));
	} else {
		/* split: into pages, or (7.2) smaller large folios */
		EXPECT_EQ(info.allocated, 2 * blk);
		EXPECT_RUNS(fd, 0, blk, RUN(0, 5, A), RUN(5, 1, 0),
			    RUN(6, np - 6, A));
	}
	EXPECT_RUNS(fd, blk, blk, RUN(np, np / 2, S | A | H),
		    RUN(np + np / 2, np / 2, A | H));
}

/*
 * A random layout (40 steps of the model's) asked for with room for 1,
 * 2, 3, ... runs and resumed at next_offset: the same runs every time,
 * from the start and from inside a run.
 */
static void any_capacity(void)
{
	long pg = page_size();
	const size_t np = 64;
	size_t len = np * pg;
	int fd = gmem_new_flags(len, GMEM_CREATE_MMAP);
	unsigned char *a = gmem_map(fd, len);
	struct rng rng = { 0x6a09e667f3bcc908ULL };
	uint32_t state[64] = { 0 };
	struct gmem_query_run *want = xmalloc(MAX_RUNS * sizeof(*want));
	uint32_t n;
	char what[160];

	fault_install();
	for (int i = 0; i < 40; i++)
		model_step(fd, a, state, np, &rng, what, sizeof(what));
	n = model_runs(state, 0, np, want);
	test_diag("%u runs", n);
	ASSERT_GT(n, 8);
	for (uint32_t cap = 1; cap <= n + 1; cap++) {
		if (!model_query_at(__FILE__, __LINE__, fd, state, 0, np, cap) ||
		    !model_query_at(__FILE__, __LINE__, fd, state, 3, np - 5,
				    cap))
			test_end();
	}
	free(want);
}

/*
 * 600 runs of one page each, cycling through the four states a 4 KiB fd
 * has, then one of 2048 allocated pages and one of 8 without memory:
 * more runs than a kernel page holds (170) and a run longer than the
 * kernel goes without letting go of its lock.  Exact with room for all
 * of them and with room around those numbers, resumed at next_offset.
 */
static void many_runs(void)
{
	const uint32_t caps[] = {
		1, 7, 169, 170, 171, 339, 340, 341, 601, 602, 603, MAX_RUNS,
	};
	long pg = page_size();
	const size_t alt = 600, longrun = 2048, np = alt + longrun + 8;
	size_t len = np * pg;
	int fd = gmem_new(len);
	uint32_t *state = calloc(np, sizeof(*state));

	ASSERT_TRUE(state != NULL);
	for (size_t i = 0; i < alt; i++) {
		state[i] = (i % 4 & 1 ? S : 0) | (i % 4 & 2 ? A : 0);
		if (state[i] & S)
			CONVERT(fd, i * pg, pg, GMEM_SHARED);
		if (state[i] == A)
			ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, i * pg,
					     pg));
		if (state[i] == (S | A))
			ASSERT_EQ(pwrite(fd, "x", 1, i * pg + i % 64), 1);
	}
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, alt * pg,
			     longrun * pg));
	model_mark(state, alt, alt + longrun, A, true);

	for (unsigned int i = 0; i < ARRAY_SIZE(caps); i++) {
		if (!model_query_at(__FILE__, __LINE__, fd, state, 0, np,
				    caps[i]))
			test_end();
	}
	/* from inside the alternating runs to inside the long one */
	EXPECT_TRUE(model_query_at(__FILE__, __LINE__, fd, state, 301, 1500,
				   MAX_RUNS));
	EXPECT_TRUE(model_query_at(__FILE__, __LINE__, fd, state, 301, 1500,
				   170));
	free(state);
}

/*
 * 300 random steps (conversions, fallocate, punch, pwrite, pread,
 * faults, populate), each one's result checked against the model, and
 * after each the fd as the model says: GMEM_QUERY whole and in part,
 * SEEK_DATA and SEEK_HOLE from every page, GMEM_INFO; through the fd and
 * a reopened file in turn.
 */
#define MODEL_STEPS	300

static void follows_the_model(void)
{
	long pg = page_size();
	const size_t np = 64;
	size_t len = np * pg;
	int fd = gmem_new_flags(len, GMEM_CREATE_MMAP);
	int r = gmem_reopen(fd, O_RDWR);
	unsigned char *a = gmem_map(fd, len);
	uint64_t seed = 0xbb67ae8584caa73bULL;
	struct rng rng = { seed };
	uint32_t state[64] = { 0 };
	char what[160];

	test_diag("seed %#llx", (unsigned long long)seed);
	fault_install();
	for (int step = 0; step < MODEL_STEPS; step++) {
		model_step(fd, a, state, np, &rng, what, sizeof(what));
		if (!model_holds_at(__FILE__, __LINE__, step % 2 ? r : fd,
				    state, np, &rng))
			FAIL("after step %d: %s", step, what);
	}
}

/*
 * Every refused call: EINVAL for unknown flags, reserved fields, no room
 * and every bad range, EFAULT for the argument or the runs out of reach,
 * ENOTTY for number 7 with another direction or size and on /dev/gmem.
 * A refused call writes neither the argument nor the runs (but where it
 * could only fail at writing them).
 */
static void refused(void)
{
	long pg = page_size();
	uint64_t len = 16 * pg, top = UINT64_MAX & ~(uint64_t)(pg - 1);
	const struct { uint64_t off, len; } ranges[] = {
		{ 1, pg }, { pg - 1, pg }, { 0, pg + 1 }, { 0, 1 }, { pg, 0 },
		{ 0, 0 }, { 0, len + pg }, { len, pg }, { len + pg, pg },
		{ pg, len }, { top, 2 * pg }, { 0, top }, { len - pg, top },
	};
	int fd = gmem_new_flags(len, GMEM_CREATE_SHARED), dev = gmem_open_dev();
	struct gmem_query_run runs[4];
	struct gmem_query base = {
		.offset = 0, .length = len, .runs = (uintptr_t)runs,
		.nr_runs = ARRAY_SIZE(runs), .next_offset = GMEM_UNTOUCHED,
	}, q, copy;
	unsigned char untouched[sizeof(runs)], *p;

	memset(untouched, UNTOUCHED, sizeof(untouched));
#define EXPECT_REFUSED(file, cmd, err)					\
	do {								\
		copy = q;						\
		memset(runs, UNTOUCHED, sizeof(runs));			\
		EXPECT_ERRNO(ioctl(file, cmd, &q), err);		\
		EXPECT_EQ(memcmp(&q, &copy, sizeof(q)), 0);		\
		EXPECT_EQ(memcmp(runs, untouched, sizeof(runs)), 0);	\
	} while (0)

	for (unsigned int i = 0; i < ARRAY_SIZE(ranges); i++) {
		test_diag("range [%#llx, +%#llx)",
			  (unsigned long long)ranges[i].off,
			  (unsigned long long)ranges[i].len);
		q = base;
		q.offset = ranges[i].off;
		q.length = ranges[i].len;
		EXPECT_REFUSED(fd, GMEM_QUERY, EINVAL);
	}
	for (unsigned int bit = 0; bit < 32; bit += 31) {
		q = base;
		q.flags = 1U << bit;
		EXPECT_REFUSED(fd, GMEM_QUERY, EINVAL);
	}
	q = base;
	q.reserved[0] = 1;
	EXPECT_REFUSED(fd, GMEM_QUERY, EINVAL);
	q = base;
	q.reserved[1] = 1ULL << 63;
	EXPECT_REFUSED(fd, GMEM_QUERY, EINVAL);
	q = base;
	q.nr_runs = 0;
	EXPECT_REFUSED(fd, GMEM_QUERY, EINVAL);

	/* the runs out of reach */
	q = base;
	q.runs = 0;
	EXPECT_REFUSED(fd, GMEM_QUERY, EFAULT);
	q.runs = 0xffffffff81000000ULL;
	EXPECT_REFUSED(fd, GMEM_QUERY, EFAULT);
	p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	ASSERT_SYS(mprotect(p + pg, pg, PROT_READ));
	q.runs = (uintptr_t)(p + pg);
	EXPECT_REFUSED(fd, GMEM_QUERY, EFAULT);
	/* room for one in reach, and the answer has two */
	CONVERT(fd, pg, pg, GMEM_PRIVATE);
	q.runs = (uintptr_t)(p + pg - sizeof(struct gmem_query_run));
	q.nr_runs = 2;
	EXPECT_ERRNO(ioctl(fd, GMEM_QUERY, &q), EFAULT);
	/* the argument out of reach, or not writable */
	EXPECT_ERRNO(ioctl(fd, GMEM_QUERY, NULL), EFAULT);
	EXPECT_ERRNO(ioctl(fd, GMEM_QUERY, (void *)0xffffffff81000000UL),
		     EFAULT);
	ASSERT_SYS(munmap(p, 2 * pg));
	p = mmap(NULL, pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	memcpy(p, &base, sizeof(base));
	ASSERT_SYS(mprotect(p, pg, PROT_READ));
	EXPECT_ERRNO(ioctl(fd, GMEM_QUERY, p), EFAULT);
	ASSERT_SYS(munmap(p, pg));
	EXPECT_ERRNO(ioctl(fd, GMEM_QUERY, p), EFAULT);

	/* number 7 in any other encoding, and on /dev/gmem */
	for (unsigned int dir = 0; dir < 4; dir++) {
		const unsigned int sizes[] = {
			0, sizeof(q) - 8, sizeof(q), sizeof(q) + 8,
		};

		for (unsigned int i = 0; i < ARRAY_SIZE(sizes); i++) {
			unsigned long cmd = _IOC(dir, GMEM_IOCTL_TYPE,
						 _IOC_NR(GMEM_QUERY), sizes[i]);

			if (cmd == GMEM_QUERY)
				continue;
			q = base;
			EXPECT_REFUSED(fd, cmd, ENOTTY);
		}
	}
	q = base;
	EXPECT_REFUSED(dev, GMEM_QUERY, ENOTTY);
	/* and the same argument works on the fd */
	q = base;
	ASSERT_SYS(ioctl(fd, GMEM_QUERY, &q));
	EXPECT_EQ(q.nr_runs, 3);
	EXPECT_EQ(q.next_offset, len);
#undef EXPECT_REFUSED
}

static const struct test query_tests[] = {
	TEST("SEEK_DATA/SEEK_HOLE: pages with memory are data, private or shared; from every page, both fds; ENXIO outside",
	     seek_data_hole),
	TEST("SEEK_DATA/SEEK_HOLE: a 2 MiB folio from a fault or a write is data whole, a 4 KiB page alone",
	     seek_huge),
	TEST("a 1 TiB fd with a page near its end: SEEK_DATA from 0 finds it, GMEM_QUERY in five runs",
	     sparse_tib),
	TEST("a page lost to memory failure: POISONED, not ALLOCATED, and data for SEEK_DATA until punched",
	     poisoned_state, .kmsg_allow = HWPOISON_KMSG),
	TEST("a page poisoned in a 2 MiB folio memory failure could not split: ALLOCATED|HUGE|POISONED, EHWPOISON to read",
	     poisoned_in_huge_folio, .timeout = 120,
	     .kmsg_allow = HWPOISON_KMSG),
	TEST("GMEM_QUERY: a fresh 1 TiB fd is one run, private or shared, and any part of it",
	     fresh_tib),
	TEST("GMEM_QUERY: shared, private, allocated and punched pages give exactly their runs, both fds, any part",
	     layout_runs),
	TEST("GMEM_QUERY: a huge fd's 2 MiB folios HUGE, a 4 KiB page not; a page punched inside a folio",
	     huge_runs),
	TEST("GMEM_QUERY: room for 1, 2, 3... runs, resumed at next_offset: the same runs",
	     any_capacity),
	TEST("GMEM_QUERY: 600 alternating runs and one of 2048 pages, past a kernel page of runs: exact at any room",
	     many_runs, .timeout = 120),
	TEST("GMEM_QUERY and SEEK_DATA/SEEK_HOLE follow 300 random conversions, punches, writes, faults and populates",
	     follows_the_model, .timeout = 180),
	TEST("GMEM_QUERY: EINVAL for flags, reserved, no room, bad ranges; EFAULT; ENOTTY for other encodings; nothing written",
	     refused),
};

DEFINE_SUITE(query_suite, "query", query_tests);
