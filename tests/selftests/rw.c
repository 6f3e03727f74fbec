// SPDX-License-Identifier: GPL-2.0
/*
 * read() and write() of a memory fd, and their vector and positioned
 * kinds: how a VMM saves and restores a guest's shared memory without
 * mapping it.  They copy bytes of shared pages at any offset, on any fd
 * (mappable or not, the one GMEM_CREATE returns or one reopened through
 * /proc), allocating a zeroed page where a write lands on none and
 * nothing where a read does; a private page or one lost to memory
 * failure ends a call there, with its errno if it is the first page; the
 * size is fixed, so a write at the end has no room.  And the file
 * position these calls use, which lseek() now moves on every memory fd.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "check.h"
#include "gmemfd.h"
#include "hwpoison.h"
#include "suites.h"

#ifndef RWF_NOWAIT
#define RWF_NOWAIT	0x00000008
#endif
#ifndef RWF_APPEND
#define RWF_APPEND	0x00000010
#endif

#define SHARED_FD	GMEM_CREATE_SHARED
#define MMAP_SHARED_FD	(GMEM_CREATE_MMAP | GMEM_CREATE_SHARED)
#define PUNCH		(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE)
#define HWPOISON_KMSG	"hardware memory corruption"

/* What a buffer holds before a call that must not write to it. */
#define JUNK		0x5a

static unsigned char *junk_buf(size_t len)
{
	unsigned char *b = xmalloc(len);

	memset(b, JUNK, len);
	return b;
}

/* The offset of the first byte of @b that is not JUNK, or -1. */
static long long junk_changed_at(const unsigned char *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (b[i] != JUNK)
			return i;
	return -1;
}

/*
 * Lengths that cut an fd into pieces ending at every kind of place:
 * inside a page, just before, on and just after a page boundary, and
 * spanning several pages.
 */
static size_t cut_len(unsigned int i)
{
	long pg = page_size();
	const size_t cut[] = {
		1, 2, 3, pg - 3, pg, pg + 1, 100, 2 * pg - 1, 3 * pg, 5,
		pg - 96, 1,
	};

	return cut[i % ARRAY_SIZE(cut)];
}

/*
 * The fd in pieces of cut_len(): pwrite() of every other piece over a
 * pattern of another seed changes exactly those bytes; pread() of pieces
 * cut another way reads them back.
 */
static void any_offset_and_length(void)
{
	long pg = page_size();
	size_t len = 16 * pg, off, n;
	int fd = gmem_new_flags(len, MMAP_SHARED_FD);
	unsigned char *a = gmem_map(fd, len), *buf = junk_buf(len);
	unsigned char *want = pattern_pages_at(fd, 0, len, 1);
	unsigned int i;

	fill_pattern_at(a, len, fd, 0, 2);
	for (off = 0, i = 0; off < len; off += n, i++) {
		n = cut_len(i) < len - off ? cut_len(i) : len - off;
		if (i % 2)
			EXPECT_EQ(pwrite(fd, want + off, n, off), n);
	}
	for (off = 0, i = 0; off < len; off += n, i++) {
		n = cut_len(i) < len - off ? cut_len(i) : len - off;
		if (pattern_mismatch_at(a + off, n, fd, off, i % 2 ? 1 : 2) >= 0)
			test_fail_at(__FILE__, __LINE__,
				     "piece %u, [%#zx, +%#zx): not what %s",
				     i, off, n, i % 2 ? "pwrite wrote" :
				     "the mapping wrote before");
	}

	/* the rest written, then read back in pieces cut another way */
	for (off = 0, i = 0; off < len; off += n, i++) {
		n = cut_len(i) < len - off ? cut_len(i) : len - off;
		if (!(i % 2))
			EXPECT_EQ(pwrite(fd, want + off, n, off), n);
	}
	for (off = 0, i = 3; off < len; off += n, i++) {
		n = cut_len(i) < len - off ? cut_len(i) : len - off;
		EXPECT_EQ(pread(fd, buf + off, n, off), n);
	}
	EXPECT_EQ(pattern_mismatch_at(buf, len, fd, 0, 1), -1);
	EXPECT_EQ(pattern_mismatch_at(a, len, fd, 0, 1), -1);
	/* and in one call */
	memset(buf, JUNK, len);
	EXPECT_EQ(pread(fd, buf, len, 0), len);
	EXPECT_EQ(pattern_mismatch_at(buf, len, fd, 0, 1), -1);
	EXPECT_EQ(gmem_info(fd).allocated, len);
	free(buf);
	free(want);
}

/*
 * Whether the fd can be mapped or not, shared at creation or converted,
 * the fd itself or a file reopened from it: the same memory, read and
 * written by either, with a position of its own each.
 */
static void any_memory_fd(void)
{
	const unsigned int flags[] = {
		SHARED_FD, MMAP_SHARED_FD, 0, GMEM_CREATE_MMAP,
	};
	long pg = page_size();
	size_t len = 4 * pg, half = 2 * pg + 1;
	unsigned char *buf = xmalloc(len), *want;

	for (unsigned int i = 0; i < ARRAY_SIZE(flags); i++) {
		int fd = gmem_new_flags(len, flags[i]), r;

		test_diag("GMEM_CREATE flags %#x", flags[i]);
		if (!(flags[i] & GMEM_CREATE_SHARED))
			CONVERT(fd, 0, len, GMEM_SHARED);
		r = gmem_reopen(fd, O_RDWR);
		want = pattern_pages_at(fd, 0, len, 3);

		EXPECT_EQ(pwrite(fd, want, half, 0), half);
		EXPECT_EQ(pwrite(r, want + half, len - half, half), len - half);
		memset(buf, JUNK, len);
		EXPECT_EQ(pread(r, buf, len, 0), len);
		EXPECT_EQ(pattern_mismatch_at(buf, len, fd, 0, 3), -1);
		memset(buf, JUNK, len);
		EXPECT_EQ(read(fd, buf, len), len);
		EXPECT_EQ(pattern_mismatch_at(buf, len, fd, 0, 3), -1);
		/* each file its own position */
		EXPECT_EQ(lseek(fd, 0, SEEK_CUR), len);
		EXPECT_EQ(read(r, buf, 10), 10);
		EXPECT_EQ(lseek(r, 0, SEEK_CUR), 10);
		EXPECT_EQ(gmem_info(r).allocated, len);
		EXPECT_EQ(gmem_blocks(fd), len / 512);
		/* a page made private through one is private to both */
		CONVERT(r, pg, pg, GMEM_PRIVATE);
		EXPECT_ERRNO(pread(fd, buf, 10, pg), EACCES);
		EXPECT_ERRNO(pread(r, buf, 10, pg), EACCES);
		EXPECT_ERRNO(pwrite(r, buf, 10, pg), EACCES);
		ASSERT_SYS(close(r));
		ASSERT_SYS(close(fd));
		free(want);
	}
	free(buf);
}

/*
 * readv(), writev(), preadv(), pwritev() and the v2 calls: several
 * buffers, one after another in the fd.  read(), write() and the vector
 * calls without an offset start at the file position and move it on; the
 * positioned ones leave it; dup() shares it.
 */
static void vectors_and_position(void)
{
	long pg = page_size();
	size_t len = 8 * pg, first = 10 + pg + 300, pos;
	int fd = gmem_new_flags(len, MMAP_SHARED_FD), d;
	unsigned char *a = gmem_map(fd, len), *buf = junk_buf(len);
	unsigned char *want = pattern_pages_at(fd, 0, len, 4);
	struct iovec iov[3];

	/* writev: three buffers in a row, at the position */
	iov[0] = (struct iovec){ want, 10 };
	iov[1] = (struct iovec){ want + 10, pg };
	iov[2] = (struct iovec){ want + 10 + pg, 300 };
	ASSERT_EQ(lseek(fd, 0, SEEK_CUR), 0);
	EXPECT_EQ(writev(fd, iov, 3), first);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), first);
	EXPECT_EQ(write(fd, want + first, 2 * pg), 2 * pg);
	pos = first + 2 * pg;
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), pos);
	EXPECT_EQ(pattern_mismatch_at(a, pos, fd, 0, 4), -1);

	/* pwritev: at its offset, an empty buffer between; the position stays */
	iov[0] = (struct iovec){ want + 5 * pg - 7, 7 };
	iov[1] = (struct iovec){ want, 0 };
	iov[2] = (struct iovec){ want + 5 * pg, pg + 3 };
	EXPECT_EQ(pwritev(fd, iov, 3, 5 * pg - 7), pg + 10);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), pos);
	EXPECT_EQ(pattern_mismatch_at(a + 5 * pg - 7, pg + 10, fd,
				      5 * pg - 7, 4), -1);

	/* readv and read from the position */
	ASSERT_EQ(lseek(fd, 3, SEEK_SET), 3);
	iov[0] = (struct iovec){ buf, 1 };
	iov[1] = (struct iovec){ buf + 1, pg - 1 };
	iov[2] = (struct iovec){ buf + pg, 2 };
	EXPECT_EQ(readv(fd, iov, 3), pg + 2);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), pg + 5);
	EXPECT_EQ(pattern_mismatch_at(buf, pg + 2, fd, 3, 4), -1);
	memset(buf, JUNK, len);
	EXPECT_EQ(read(fd, buf, pg), pg);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 2 * pg + 5);
	EXPECT_EQ(pattern_mismatch_at(buf, pg, fd, pg + 5, 4), -1);

	/* preadv at its offset; the position stays */
	memset(buf, JUNK, len);
	iov[0] = (struct iovec){ buf, 7 };
	iov[1] = (struct iovec){ buf + 7, pg + 3 };
	EXPECT_EQ(preadv(fd, iov, 2, 5 * pg - 7), pg + 10);
	EXPECT_EQ(pattern_mismatch_at(buf, pg + 10, fd, 5 * pg - 7, 4), -1);
	EXPECT_EQ(junk_changed_at(buf + pg + 10, len - pg - 10), -1);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 2 * pg + 5);

	/* the v2 calls: offset -1 is the position, which moves on */
	memset(buf, JUNK, len);
	iov[0] = (struct iovec){ buf, 20 };
	EXPECT_EQ(preadv2(fd, iov, 1, -1, 0), 20);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 2 * pg + 25);
	EXPECT_EQ(pattern_mismatch_at(buf, 20, fd, 2 * pg + 5, 4), -1);
	EXPECT_EQ(preadv2(fd, iov, 1, pg, 0), 20);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 2 * pg + 25);
	iov[0] = (struct iovec){ want + 2 * pg + 25, 30 };
	EXPECT_EQ(pwritev2(fd, iov, 1, -1, 0), 30);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 2 * pg + 55);

	/* a dup() is the same file: one position */
	d = ASSERT_SYS(dup(fd));
	ASSERT_EQ(lseek(d, pg, SEEK_SET), pg);
	memset(buf, JUNK, len);
	EXPECT_EQ(read(fd, buf, 10), 10);
	EXPECT_EQ(pattern_mismatch_at(buf, 10, fd, pg, 4), -1);
	EXPECT_EQ(lseek(d, 0, SEEK_CUR), pg + 10);
	free(buf);
	free(want);
}

/* SEEK_SET, SEEK_CUR and SEEK_END on @fd of @len bytes, at position 0. */
static void lseek_range(int fd, off_t len)
{
	off_t pg = page_size();

	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 0);
	EXPECT_EQ(lseek(fd, pg, SEEK_SET), pg);
	EXPECT_EQ(lseek(fd, pg, SEEK_CUR), 2 * pg);
	EXPECT_EQ(lseek(fd, -pg, SEEK_CUR), pg);
	EXPECT_EQ(lseek(fd, 0, SEEK_END), len);
	EXPECT_EQ(lseek(fd, -pg, SEEK_END), len - pg);
	EXPECT_EQ(lseek(fd, -len, SEEK_END), 0);
	EXPECT_EQ(lseek(fd, 123, SEEK_SET), 123);
	EXPECT_EQ(lseek(fd, len, SEEK_SET), len);
	/* nowhere outside [0, size]: EINVAL, the position stays */
	EXPECT_ERRNO(lseek(fd, len + 1, SEEK_SET), EINVAL);
	EXPECT_ERRNO(lseek(fd, -1, SEEK_SET), EINVAL);
	EXPECT_ERRNO(lseek(fd, 1, SEEK_END), EINVAL);
	EXPECT_ERRNO(lseek(fd, -len - 1, SEEK_END), EINVAL);
	EXPECT_ERRNO(lseek(fd, 1, SEEK_CUR), EINVAL);
	EXPECT_ERRNO(lseek(fd, INT64_MAX, SEEK_SET), EINVAL);
	EXPECT_ERRNO(lseek(fd, 0, SEEK_HOLE + 1), EINVAL);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), len);
}

/*
 * Positions from 0 to the size on the fd GMEM_CREATE returns (it had
 * none before read() and write()) as on a reopened file, each its own.
 */
static void lseek_positions(void)
{
	long pg = page_size();
	off_t len = 16 * pg;
	int fd = gmem_new(len), r = gmem_reopen(fd, O_RDWR);
	int big = gmem_new_flags(8 * GiB, SHARED_FD);

	lseek_range(fd, len);
	EXPECT_EQ(lseek(r, 0, SEEK_CUR), 0);
	lseek_range(r, len);
	/* past 4 GiB, for a 32-bit off_t that would wrap */
	lseek_range(big, 8 * GiB);
	EXPECT_EQ(lseek(big, 5 * GiB + 3, SEEK_SET), 5 * GiB + 3);
	EXPECT_EQ(write(big, "xyz", 3), 3);
	EXPECT_EQ(lseek(big, 0, SEEK_CUR), 5 * GiB + 6);
	EXPECT_EQ(gmem_info(big).allocated, pg);
}

/*
 * A page without memory reads as zeroes and stays without; a write
 * allocates the page it lands in, zeroed but for the bytes written.
 */
static void write_allocates_zeroed(void)
{
	long pg = page_size();
	size_t len = 8 * pg;
	int fd = gmem_new_flags(len, MMAP_SHARED_FD);
	unsigned char *buf = junk_buf(len), *a;
	unsigned char *want = pattern_pages_at(fd, 0, len, 5);
	struct gmem_info info;

	EXPECT_EQ(pread(fd, buf, len, 0), len);
	EXPECT_EQ(nonzero_at(buf, len), -1);
	info = gmem_info(fd);
	EXPECT_EQ(info.allocated, 0);
	EXPECT_EQ(gmem_blocks(fd), 0);

	/* three bytes in page 1: page 1, zero around them */
	EXPECT_EQ(pwrite(fd, want + pg + 100, 3, pg + 100), 3);
	info = gmem_info(fd);
	EXPECT_EQ(info.allocated, pg);
	EXPECT_EQ(info.allocated_shared, pg);
	EXPECT_EQ(gmem_blocks(fd), pg / 512);
	memset(buf, JUNK, len);
	EXPECT_EQ(pread(fd, buf, len, 0), len);
	EXPECT_EQ(nonzero_at(buf, pg + 100), -1);
	EXPECT_EQ(pattern_mismatch_at(buf + pg + 100, 3, fd, pg + 100, 5), -1);
	EXPECT_EQ(nonzero_at(buf + pg + 103, len - pg - 103), -1);

	/* four bytes across pages 3 and 4: both */
	EXPECT_EQ(pwrite(fd, want + 4 * pg - 2, 4, 4 * pg - 2), 4);
	EXPECT_EQ(gmem_info(fd).allocated, 3 * pg);
	EXPECT_EQ(gmem_fdinfo(fd).allocated_shared, 3 * pg);
	EXPECT_EQ(gmem_blocks(fd), 3 * pg / 512);
	/* nothing written, nothing allocated */
	EXPECT_EQ(pwrite(fd, want, 0, 6 * pg), 0);
	EXPECT_EQ(gmem_info(fd).allocated, 3 * pg);

	/* the mapping sees the same pages */
	a = gmem_map(fd, len);
	EXPECT_EQ(nonzero_at(a + pg, 100), -1);
	EXPECT_EQ(pattern_mismatch_at(a + pg + 100, 3, fd, pg + 100, 5), -1);
	EXPECT_EQ(nonzero_at(a + pg + 103, pg - 103), -1);
	EXPECT_EQ(nonzero_at(a + 3 * pg, pg - 2), -1);
	EXPECT_EQ(pattern_mismatch_at(a + 4 * pg - 2, 4, fd, 4 * pg - 2, 5),
		  -1);
	EXPECT_EQ(nonzero_at(a + 4 * pg + 2, pg - 2), -1);
	EXPECT_EQ(gmem_info(fd).allocated, 3 * pg);
	free(buf);
	free(want);
}

/*
 * On a GMEM_CREATE_HUGE fd a write into an empty 2 MiB block allocates
 * the block as one folio, as a fault or GMEM_POPULATE does: the rest of
 * the block reads zero.
 */
static void huge_write_allocates_block(void)
{
	const uint32_t flags = MMAP_SHARED_FD | GMEM_CREATE_HUGE;
	size_t blk = GMEM_HUGE_SIZE, len = 2 * GMEM_HUGE_SIZE, in = 12345;
	unsigned char *buf = junk_buf(blk), *want;
	struct gmem_info info;
	int fd;

	gmem_need_huge_blocks(1);
	fd = gmem_new_flags(len, flags);
	want = pattern_pages_at(fd, 0, len, 6);
	EXPECT_EQ(pwrite(fd, want + blk + in, 5, blk + in), 5);
	info = gmem_info(fd);
	if (info.large_folios != 1 &&
	    gmem_fdinfo_value(fd, "gmem-large-fallbacks"))
		test_skip("no 2 MiB folio to be had (fragmented memory)");
	EXPECT_EQ(info.allocated, blk);
	EXPECT_EQ(info.allocated_shared, blk);
	EXPECT_EQ(info.large_folios, 1);
	EXPECT_EQ(gmem_blocks(fd), blk / 512);
	EXPECT_EQ(pread(fd, buf, blk, blk), blk);
	EXPECT_EQ(nonzero_at(buf, in), -1);
	EXPECT_EQ(pattern_mismatch_at(buf + in, 5, fd, blk + in, 6), -1);
	EXPECT_EQ(nonzero_at(buf + in + 5, blk - in - 5), -1);

	/* block 0 still has none: it reads zero and stays empty */
	memset(buf, JUNK, blk);
	EXPECT_EQ(pread(fd, buf, blk, 0), blk);
	EXPECT_EQ(nonzero_at(buf, blk), -1);
	/* more writes into block 1, one across the fd's end, add nothing */
	EXPECT_EQ(pwrite(fd, want + len - 3, 5, len - 3), 3);
	EXPECT_EQ(pwrite(fd, want + blk, blk, blk), blk);
	info = gmem_info(fd);
	EXPECT_EQ(info.allocated, blk);
	EXPECT_EQ(info.large_folios, 1);
	memset(buf, JUNK, blk);
	EXPECT_EQ(pread(fd, buf, blk, blk), blk);
	EXPECT_EQ(pattern_mismatch_at(buf, blk, fd, blk, 6), -1);
	free(buf);
	free(want);
}

/*
 * A huge fd's 2 MiB folio is copied a run of pages at a time: one call
 * still stops exactly where it must, to the byte where the user's buffer
 * stops being reachable (at any offset, both ways, the rest of the block
 * as it was), before a private page, and before a page lost to memory
 * failure; a call across a block and a hole reads both.
 */
static void huge_runs_stop_exactly(void)
{
	const uint32_t flags = MMAP_SHARED_FD | GMEM_CREATE_HUGE;
	size_t blk = GMEM_HUGE_SIZE, pg = page_size(), cut = 300 * pg;
	unsigned char *want, *next, *buf, *back = junk_buf(2 * blk);
	int fd, err;

	gmem_need_huge_blocks(1);
	fd = gmem_new_flags(2 * blk, flags);
	want = pattern_pages_at(fd, 0, blk, 13);
	next = pattern_pages_at(fd, 0, blk, 14);
	EXPECT_EQ(pwrite(fd, want, blk, 0), blk);
	if (gmem_info(fd).large_folios != 1 &&
	    gmem_fdinfo_value(fd, "gmem-large-fallbacks"))
		test_skip("no 2 MiB folio to be had (fragmented memory)");
	ASSERT_EQ(gmem_info(fd).large_folios, 1);
	/* the block, then the hole after it, in one call */
	EXPECT_EQ(pread(fd, back, 2 * blk, 0), 2 * blk);
	EXPECT_EQ(pattern_mismatch_at(back, blk, fd, 0, 13), -1);
	EXPECT_EQ(nonzero_at(back + blk, blk), -1);

	/* a buffer whose page 300 cannot be reached */
	buf = mmap(NULL, blk, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(buf != MAP_FAILED);
	ASSERT_SYS(mprotect(buf + cut, pg, PROT_NONE));
	memset(buf, JUNK, cut);
	EXPECT_EQ(pread(fd, buf, blk, 0), cut);
	EXPECT_EQ(pattern_mismatch_at(buf, cut, fd, 0, 13), -1);
	memset(buf, JUNK, cut);
	EXPECT_EQ(pread(fd, buf, blk, 100), cut);
	EXPECT_EQ(pattern_mismatch_at(buf, cut, fd, 100, 13), -1);
	/* written from it: the new bytes up to there, the old ones after */
	memcpy(buf, next + 100, cut);
	EXPECT_EQ(pwrite(fd, buf, blk, 100), cut);
	memset(back, JUNK, blk);
	EXPECT_EQ(pread(fd, back, blk, 0), blk);
	EXPECT_EQ(pattern_mismatch_at(back, 100, fd, 0, 13), -1);
	EXPECT_EQ(pattern_mismatch_at(back + 100, cut, fd, 100, 14), -1);
	EXPECT_EQ(pattern_mismatch_at(back + 100 + cut, blk - 100 - cut, fd,
				      100 + cut, 13), -1);
	ASSERT_SYS(munmap(buf, blk));

	/* page 400 private: both ways stop before it */
	CONVERT(fd, 400 * pg, pg, GMEM_PRIVATE);
	memset(back, JUNK, blk);
	EXPECT_EQ(pread(fd, back, blk, 0), 400 * pg);
	EXPECT_EQ(junk_changed_at(back + 400 * pg, blk - 400 * pg), -1);
	EXPECT_EQ(pwrite(fd, want, blk, 0), 400 * pg);
	EXPECT_EQ(gmem_info(fd).large_folios, 1);
	CONVERT(fd, 400 * pg, pg, GMEM_SHARED);

	/* page 200 lost: both ways stop before it, split or not */
	err = poison_in_child(gmem_map(fd, blk) + 200 * pg);
	if (err == EINVAL)
		test_skip("MADV_HWPOISON: EINVAL (no CONFIG_MEMORY_FAILURE)");
	if (err)
		FAIL("MADV_HWPOISON: %s", err < 0 ? "child lost" :
		     errno_name(err));
	test_diag("after memory failure: %llu large folio(s)",
		  (unsigned long long)gmem_info(fd).large_folios);
	memset(back, JUNK, blk);
	EXPECT_EQ(pread(fd, back, blk, 0), 200 * pg);
	EXPECT_EQ(pattern_mismatch_at(back, 200 * pg, fd, 0, 13), -1);
	EXPECT_EQ(junk_changed_at(back + 200 * pg, blk - 200 * pg), -1);
	EXPECT_EQ(pwrite(fd, want, blk, 0), 200 * pg);
	EXPECT_ERRNO(pread(fd, back, pg, 200 * pg), EHWPOISON);
	EXPECT_EQ(pread(fd, back, pg, 201 * pg), pg);
	free(back);
	free(want);
	free(next);
}

/*
 * A private page has no host path here either: as the first page of a
 * call, EACCES, with the user's buffer and the page as they were and
 * nothing allocated; after shared pages, the call stops at it.  The page
 * keeps its contents: converted to shared it reads what was populated.
 */
static void private_refused(void)
{
	long pg = page_size();
	size_t len = 8 * pg;
	int fd = gmem_new_flags(len, GMEM_CREATE_MMAP), plain;
	unsigned char *buf = junk_buf(2 * pg), *src, *want, *other;
	struct iovec iov = { buf, pg };
	uint64_t allocated;

	src = pattern_pages_at(fd, 2 * pg, pg, 7);
	want = pattern_pages_at(fd, 0, len, 8);
	other = pattern_pages_at(fd, 0, len, 9);
	POPULATE(fd, 2 * pg, pg, src);
	CONVERT(fd, 0, 2 * pg, GMEM_SHARED);
	ASSERT_EQ(pwrite(fd, want, 2 * pg, 0), 2 * pg);
	allocated = gmem_info(fd).allocated;
	EXPECT_EQ(allocated, 3 * pg);

	/* private first: nothing read, allocated or without memory */
	EXPECT_ERRNO(pread(fd, buf, pg, 2 * pg), EACCES);
	EXPECT_ERRNO(pread(fd, buf, 10, 2 * pg + 99), EACCES);
	EXPECT_ERRNO(pread(fd, buf, pg, 3 * pg), EACCES);
	EXPECT_ERRNO(preadv(fd, &iov, 1, 2 * pg), EACCES);
	EXPECT_EQ(junk_changed_at(buf, 2 * pg), -1);
	/* nothing written, nothing allocated */
	EXPECT_ERRNO(pwrite(fd, other, pg, 2 * pg), EACCES);
	EXPECT_ERRNO(pwrite(fd, other, 1, 3 * pg + 5), EACCES);
	EXPECT_ERRNO(pwritev(fd, &iov, 1, 3 * pg), EACCES);
	EXPECT_EQ(gmem_info(fd).allocated, allocated);
	/* the same at the position, which stays */
	ASSERT_EQ(lseek(fd, 2 * pg, SEEK_SET), 2 * pg);
	EXPECT_ERRNO(read(fd, buf, pg), EACCES);
	EXPECT_ERRNO(readv(fd, &iov, 1), EACCES);
	EXPECT_ERRNO(write(fd, other, pg), EACCES);
	EXPECT_ERRNO(writev(fd, &iov, 1), EACCES);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 2 * pg);
	EXPECT_EQ(junk_changed_at(buf, 2 * pg), -1);

	/* from a shared page into a private one: up to it */
	EXPECT_EQ(pread(fd, buf, 2 * pg, pg + 10), pg - 10);
	EXPECT_EQ(pattern_mismatch_at(buf, pg - 10, fd, pg + 10, 8), -1);
	EXPECT_EQ(junk_changed_at(buf + pg - 10, pg + 10), -1);
	ASSERT_EQ(lseek(fd, pg + 10, SEEK_SET), pg + 10);
	EXPECT_EQ(read(fd, buf, 2 * pg), pg - 10);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 2 * pg);
	EXPECT_ERRNO(read(fd, buf, 2 * pg), EACCES);
	EXPECT_EQ(pwrite(fd, other + pg + 10, 2 * pg, pg + 10), pg - 10);
	ASSERT_EQ(lseek(fd, 10, SEEK_SET), 10);
	EXPECT_EQ(write(fd, other + 10, 3 * pg), 2 * pg - 10);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 2 * pg);
	EXPECT_EQ(gmem_info(fd).allocated, allocated);

	/* the private page holds what was populated: shared, it reads so */
	CONVERT(fd, 2 * pg, pg, GMEM_SHARED);
	memset(buf, JUNK, 2 * pg);
	EXPECT_EQ(pread(fd, buf, 2 * pg, pg), 2 * pg);
	EXPECT_EQ(pattern_mismatch_at(buf, pg, fd, pg, 9), -1);
	EXPECT_EQ(pattern_mismatch_at(buf + pg, pg, fd, 2 * pg, 7), -1);
	/* and a shared page made private is refused the same way */
	CONVERT(fd, 0, pg, GMEM_PRIVATE);
	EXPECT_ERRNO(pread(fd, buf, 2 * pg, 0), EACCES);
	EXPECT_ERRNO(pwrite(fd, want, 2 * pg, 0), EACCES);
	CONVERT(fd, 0, pg, GMEM_SHARED);
	memset(buf, JUNK, 2 * pg);
	EXPECT_EQ(pread(fd, buf, pg, 0), pg);
	EXPECT_EQ(pattern_mismatch_at(buf, 10, fd, 0, 8), -1);
	EXPECT_EQ(pattern_mismatch_at(buf + 10, pg - 10, fd, 10, 9), -1);
	EXPECT_EQ(gmem_info(fd).allocated, allocated);

	/* an fd with no shared page at all */
	plain = gmem_new(len);
	EXPECT_ERRNO(read(plain, buf, pg), EACCES);
	EXPECT_ERRNO(pwrite(plain, want, len, 0), EACCES);
	EXPECT_EQ(gmem_info(plain).allocated, 0);
	free(buf);
	free(src);
	free(want);
	free(other);
}

/*
 * The size is fixed: a read at or past it reads nothing, across it up to
 * it; a write has no room at or past it (ENOSPC, as a full device), and
 * is cut short across it.  An appending write always starts at the end.
 */
static void end_of_fd(void)
{
	long pg = page_size();
	size_t len = 4 * pg;
	int fd = gmem_new_flags(len, MMAP_SHARED_FD), r;
	unsigned char *want = pattern_pages_at(fd, 0, len, 10);
	unsigned char *buf = junk_buf(64);
	struct iovec iov = { buf, 64 };
	struct stat st;

	EXPECT_EQ(pread(fd, buf, 10, len), 0);
	EXPECT_EQ(pread(fd, buf, 10, len + 1), 0);
	EXPECT_EQ(pread(fd, buf, 10, len + pg), 0);
	EXPECT_EQ(pread(fd, buf, 10, (off_t)1 << 62), 0);
	EXPECT_EQ(preadv(fd, &iov, 1, len), 0);
	EXPECT_EQ(junk_changed_at(buf, 64), -1);
	EXPECT_ERRNO(pwrite(fd, want, 10, len), ENOSPC);
	EXPECT_ERRNO(pwrite(fd, want, 10, len + pg), ENOSPC);
	EXPECT_ERRNO(pwrite(fd, want, 10, (off_t)1 << 62), ENOSPC);
	EXPECT_ERRNO(pwritev(fd, &iov, 1, len), ENOSPC);
	EXPECT_EQ(gmem_info(fd).allocated, 0);

	/* across the end: up to it */
	EXPECT_EQ(pwrite(fd, want + len - 3, 10, len - 3), 3);
	EXPECT_EQ(pread(fd, buf, 10, len - 3), 3);
	EXPECT_EQ(pattern_mismatch_at(buf, 3, fd, len - 3, 10), -1);
	EXPECT_EQ(junk_changed_at(buf + 3, 61), -1);
	EXPECT_EQ(gmem_info(fd).allocated, pg);

	/* at the position */
	ASSERT_EQ(lseek(fd, 0, SEEK_END), len);
	EXPECT_EQ(read(fd, buf, 10), 0);
	EXPECT_ERRNO(write(fd, want, 10), ENOSPC);
	EXPECT_EQ(write(fd, want, 0), 0);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), len);
	ASSERT_EQ(lseek(fd, -5, SEEK_END), len - 5);
	EXPECT_EQ(write(fd, want + len - 5, 10), 5);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), len);
	EXPECT_ERRNO(write(fd, want, 1), ENOSPC);
	ASSERT_EQ(lseek(fd, -5, SEEK_END), len - 5);
	memset(buf, JUNK, 64);
	EXPECT_EQ(read(fd, buf, 64), 5);
	EXPECT_EQ(pattern_mismatch_at(buf, 5, fd, len - 5, 10), -1);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), len);

	/* appending: O_APPEND on a reopened file, RWF_APPEND on either */
	r = gmem_reopen(fd, O_RDWR | O_APPEND);
	EXPECT_ERRNO(write(r, want, 10), ENOSPC);
	EXPECT_ERRNO(pwrite(r, want, 10, 0), ENOSPC);
	EXPECT_ERRNO(writev(r, &iov, 1), ENOSPC);
	EXPECT_ERRNO(pwritev2(fd, &iov, 1, 0, RWF_APPEND), ENOSPC);
	EXPECT_EQ(pread(r, buf, 3, len - 3), 3);
	EXPECT_EQ(pattern_mismatch_at(buf, 3, fd, len - 3, 10), -1);
	EXPECT_EQ(gmem_info(fd).allocated, pg);
	ASSERT_SYS(fstat(fd, &st));
	EXPECT_EQ(st.st_size, len);
	free(buf);
	free(want);
}

/*
 * The user's buffer may be a mapping of the very fd, whose pages fault
 * in through gmem while the call runs: a page copied to another by
 * pwrite() from the mapping, and by pread() into it, also with none of
 * its pages mapped yet.  A buffer that is a private page of the fd, or
 * no memory at all, is EFAULT with nothing copied, or ends the call
 * where it starts.
 */
static void buffer_maps_the_fd(void)
{
	long pg = page_size();
	size_t len = 8 * pg;
	int fd = gmem_new_flags(len, MMAP_SHARED_FD);
	unsigned char *a = gmem_map(fd, len), *b, *snap = xmalloc(2 * pg);
	unsigned char *hole, *volatile nowhere = NULL;

	fill_pattern_at(a, pg, fd, 0, 11);
	fill_pattern_at(a + 7 * pg, pg, fd, 7 * pg, 11);

	/* page 0 -> page 3 from a fresh mapping, no page of it mapped */
	b = gmem_map(fd, len);
	EXPECT_EQ(pwrite(fd, b, pg, 3 * pg), pg);
	EXPECT_EQ(pattern_mismatch_at(a + 3 * pg, pg, fd, 0, 11), -1);
	/* page 3 -> page 5, which has no memory yet, into another one */
	ASSERT_SYS(munmap(b, len));
	b = gmem_map(fd, len);
	EXPECT_EQ(pread(fd, b + 5 * pg, pg, 3 * pg), pg);
	EXPECT_EQ(pattern_mismatch_at(a + 5 * pg, pg, fd, 0, 11), -1);
	/* unaligned on both sides */
	memcpy(snap, a + 100, 2 * pg);
	EXPECT_EQ(pwrite(fd, b + 100, 2 * pg, 4 * pg + 50), 2 * pg);
	EXPECT_EQ(memcmp(a + 4 * pg + 50, snap, 2 * pg), 0);
	ASSERT_SYS(munmap(b, len));

	/* a private page of the fd as the buffer */
	CONVERT(fd, 7 * pg, pg, GMEM_PRIVATE);
	EXPECT_ERRNO(pwrite(fd, a + 7 * pg, 100, 0), EFAULT);
	EXPECT_ERRNO(pread(fd, a + 7 * pg, 100, 0), EFAULT);
	EXPECT_ERRNO(pread(fd, a + 7 * pg + 5, 100, 6 * pg + 1), EFAULT);
	/* the buffer running into it: up to it */
	EXPECT_EQ(pwrite(fd, a + 7 * pg - 10, 100, 1), 10);
	EXPECT_EQ(memcmp(a + 1, a + 7 * pg - 10, 10), 0);
	EXPECT_EQ(pattern_mismatch_at(a + 11, pg - 11, fd, 11, 11), -1);
	EXPECT_EQ(pattern_mismatch_at(a, 1, fd, 0, 11), -1);
	CONVERT(fd, 7 * pg, pg, GMEM_SHARED);
	EXPECT_EQ(pattern_mismatch_at(a + 7 * pg, pg, fd, 7 * pg, 11), -1);

	/* no memory at all: a page of its own, then none */
	hole = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(hole != MAP_FAILED);
	ASSERT_SYS(munmap(hole + pg, pg));
	memset(hole, JUNK, pg);
	memcpy(snap, a, pg);
	EXPECT_ERRNO(pread(fd, hole + pg, 10, 0), EFAULT);
	EXPECT_ERRNO(pwrite(fd, hole + pg, 10, 0), EFAULT);
	EXPECT_ERRNO(pwrite(fd, nowhere, 10, 0), EFAULT);
	EXPECT_ERRNO(pread(fd, (void *)0xffffffff81000000UL, 10, 0), EFAULT);
	EXPECT_EQ(memcmp(a, snap, pg), 0);
	EXPECT_EQ(pread(fd, hole + pg - 100, 200, 7 * pg), 100);
	EXPECT_EQ(pattern_mismatch_at(hole + pg - 100, 100, fd, 7 * pg, 11),
		  -1);
	EXPECT_EQ(junk_changed_at(hole, pg - 100), -1);
	EXPECT_EQ(pwrite(fd, hole + pg - 100, 200, 2 * pg + 7), 100);
	EXPECT_EQ(pattern_mismatch_at(a + 2 * pg + 7, 100, fd, 7 * pg, 11),
		  -1);
	EXPECT_EQ(nonzero_at(a + 2 * pg + 107, 100), -1);
	ASSERT_SYS(munmap(hole, pg));
	free(snap);
}

/*
 * A page lost to memory failure cannot be read or written: EHWPOISON as
 * the first page of a call, else the call stops at it.  Its neighbours
 * are unharmed; punched, it is a new page.
 */
static void poisoned_page(void)
{
	long pg = page_size();
	size_t len = 4 * pg;
	int fd = gmem_new_flags(len, MMAP_SHARED_FD), err;
	unsigned char *a = gmem_map(fd, len), *buf = junk_buf(2 * pg);
	unsigned char *want = pattern_pages_at(fd, 0, len, 12);
	struct gmem_info info;

	ASSERT_EQ(pwrite(fd, want, len, 0), len);
	err = poison_in_child(a + 2 * pg);
	if (err == EINVAL)
		test_skip("MADV_HWPOISON: EINVAL (no CONFIG_MEMORY_FAILURE)");
	if (err)
		FAIL("MADV_HWPOISON: %s", err < 0 ? "child lost" :
		     errno_name(err));
	info = gmem_info(fd);
	ASSERT_EQ(info.poisoned, pg);
	EXPECT_EQ(info.allocated, 3 * pg);

	EXPECT_ERRNO(pread(fd, buf, pg, 2 * pg), EHWPOISON);
	EXPECT_ERRNO(pread(fd, buf, 10, 3 * pg - 10), EHWPOISON);
	EXPECT_EQ(junk_changed_at(buf, 2 * pg), -1);
	EXPECT_ERRNO(pwrite(fd, want, 10, 2 * pg + 5), EHWPOISON);
	ASSERT_EQ(lseek(fd, 2 * pg, SEEK_SET), 2 * pg);
	EXPECT_ERRNO(read(fd, buf, 10), EHWPOISON);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 2 * pg);
	/* after another page: up to it */
	EXPECT_EQ(pread(fd, buf, 2 * pg, pg), pg);
	EXPECT_EQ(pattern_mismatch_at(buf, pg, fd, pg, 12), -1);
	EXPECT_EQ(junk_changed_at(buf + pg, pg), -1);
	EXPECT_EQ(pwrite(fd, want + pg + 1, 2 * pg, pg + 1), pg - 1);
	/* the page after it is unharmed */
	memset(buf, JUNK, 2 * pg);
	EXPECT_EQ(pread(fd, buf, pg, 3 * pg), pg);
	EXPECT_EQ(pattern_mismatch_at(buf, pg, fd, 3 * pg, 12), -1);
	info = gmem_info(fd);
	EXPECT_EQ(info.poisoned, pg);
	EXPECT_EQ(info.allocated, 3 * pg);

	/* punched, it is a page without memory again */
	ASSERT_SYS(fallocate(fd, PUNCH, 2 * pg, pg));
	EXPECT_EQ(pread(fd, buf, pg, 2 * pg), pg);
	EXPECT_EQ(nonzero_at(buf, pg), -1);
	EXPECT_EQ(pwrite(fd, want + 2 * pg, pg, 2 * pg), pg);
	info = gmem_info(fd);
	EXPECT_EQ(info.poisoned, 0);
	EXPECT_EQ(info.allocated, len);
	memset(buf, JUNK, 2 * pg);
	EXPECT_EQ(pread(fd, buf, 2 * pg, pg), 2 * pg);
	EXPECT_EQ(pattern_mismatch_at(buf, 2 * pg, fd, pg, 12), -1);
	free(buf);
	free(want);
}

/*
 * Readers and writers against conversions of single pages: a read of the
 * fd returns its contents up to the first page it found private, or
 * EACCES; a write (of the bytes the pages already hold) stops there too,
 * and nothing comes out of or goes into a private page.  Whole pages
 * only: each is copied under the lock that conversion takes, and where
 * the user's buffer must be faulted in partway, the page is copied again
 * from its start, so the count always ends on a page boundary.
 */
#define RACE_PAGES	4
#define RACE_SECONDS	2.0

struct rw_race {
	int fd;
	long pg;
	unsigned char *want;
	atomic_bool stop;
	atomic_long full, partial, unaligned, eacces, wrong;
	long wrong_ret;
};

static void *race_reader(void *arg)
{
	struct rw_race *r = arg;
	size_t len = RACE_PAGES * r->pg;
	unsigned char *buf = malloc(len);

	if (buf)
		memset(buf, 0, len);
	while (buf && !atomic_load(&r->stop)) {
		ssize_t ret = pread(r->fd, buf, len, 0);

		if (ret < 0 && errno == EACCES) {
			atomic_fetch_add(&r->eacces, 1);
		} else if (ret <= 0 || memcmp(buf, r->want, ret)) {
			r->wrong_ret = ret < 0 ? -errno : ret;
			atomic_fetch_add(&r->wrong, 1);
		} else {
			atomic_fetch_add((size_t)ret == len ? &r->full :
					 ret % r->pg ? &r->unaligned :
					 &r->partial, 1);
		}
	}
	free(buf);
	return NULL;
}

static void *race_writer(void *arg)
{
	struct rw_race *r = arg;
	size_t len = RACE_PAGES * r->pg;

	while (!atomic_load(&r->stop)) {
		ssize_t ret = pwrite(r->fd, r->want, len, 0);

		if ((ret < 0 && errno != EACCES) || ret == 0) {
			r->wrong_ret = ret < 0 ? -errno : ret;
			atomic_fetch_add(&r->wrong, 1);
		}
	}
	return NULL;
}

static void race_conversions(void)
{
	long pg = page_size();
	size_t len = RACE_PAGES * pg;
	struct rw_race r = { .pg = pg };
	pthread_t threads[2];
	unsigned char *buf;
	long rounds = 0, again = 0;
	double end;

	r.fd = gmem_new_flags(len, SHARED_FD);
	r.want = pattern_pages_at(r.fd, 0, len, 13);
	ASSERT_EQ(pwrite(r.fd, r.want, len, 0), len);
	ASSERT_EQ(pthread_create(&threads[0], NULL, race_reader, &r), 0);
	ASSERT_EQ(pthread_create(&threads[1], NULL, race_writer, &r), 0);
	end = now_s() + RACE_SECONDS;
	do {
		uint64_t off = rounds % RACE_PAGES * pg;

		/* a copy in flight holds the page: EAGAIN for a moment */
		again += gmem_convert_at(__FILE__, __LINE__, r.fd, off, pg,
					 GMEM_PRIVATE, 0, 2000);
		usleep(300);
		CONVERT(r.fd, off, pg, GMEM_SHARED);
		usleep(300);
		rounds++;
	} while (now_s() < end);
	atomic_store(&r.stop, true);
	for (int i = 0; i < 2; i++)
		ASSERT_EQ(pthread_join(threads[i], NULL), 0);

	test_diag("%ld rounds, %ld EAGAINs; reads: %ld whole, %ld short (%ld inside a page), %ld EACCES",
		  rounds, again, atomic_load(&r.full),
		  atomic_load(&r.partial) + atomic_load(&r.unaligned),
		  atomic_load(&r.unaligned), atomic_load(&r.eacces));
	if (atomic_load(&r.wrong))
		FAIL("%ld calls ended otherwise, e.g. returning %ld",
		     atomic_load(&r.wrong), r.wrong_ret);
	EXPECT_EQ(atomic_load(&r.unaligned), 0);
	/* the race must have run into private pages, or it tested nothing */
	EXPECT_GT(atomic_load(&r.full), 0);
	EXPECT_GT(atomic_load(&r.partial) + atomic_load(&r.unaligned) +
		  atomic_load(&r.eacces), 0);
	buf = junk_buf(len);
	EXPECT_EQ(pread(r.fd, buf, len, 0), len);
	EXPECT_EQ(pattern_mismatch_at(buf, len, r.fd, 0, 13), -1);
	EXPECT_EQ(gmem_info(r.fd).allocated, len);
	free(buf);
	free(r.want);
}

/*
 * What is still refused: RWF_NOWAIT (the VFS's answer for a file that
 * does not say it never blocks), and splice() and sendfile() either way.
 */
static void refused_paths(void)
{
	long pg = page_size();
	int fd = gmem_new_flags(4 * pg, SHARED_FD), pipefd[2], mfd;
	unsigned char *want = pattern_pages_at(fd, 0, pg, 14);
	unsigned char *buf = junk_buf(pg);
	struct iovec iov = { buf, 64 };

	ASSERT_EQ(pwrite(fd, want, pg, 0), pg);
	EXPECT_ERRNO(preadv2(fd, &iov, 1, 0, RWF_NOWAIT), EOPNOTSUPP);
	EXPECT_ERRNO(pwritev2(fd, &iov, 1, 0, RWF_NOWAIT), EOPNOTSUPP);
	EXPECT_ERRNO(preadv2(fd, &iov, 1, -1, RWF_NOWAIT), EOPNOTSUPP);
	EXPECT_EQ(junk_changed_at(buf, pg), -1);

	ASSERT_SYS(pipe2(pipefd, O_CLOEXEC | O_NONBLOCK));
	EXPECT_ERRNO(splice(fd, NULL, pipefd[1], NULL, pg, 0), EINVAL);
	EXPECT_ERRNO(sendfile(pipefd[1], fd, NULL, pg), EINVAL);
	ASSERT_EQ(write(pipefd[1], buf, 64), 64);
	EXPECT_ERRNO(splice(pipefd[0], NULL, fd, NULL, 64, 0), EINVAL);
	mfd = ASSERT_SYS(memfd_create("gmem-test", MFD_CLOEXEC));
	ASSERT_EQ(write(mfd, buf, 64), 64);
	ASSERT_EQ(lseek(mfd, 0, SEEK_SET), 0);
	EXPECT_ERRNO(sendfile(fd, mfd, NULL, 64), EINVAL);
	EXPECT_ERRNO(sendfile(mfd, fd, NULL, 64), EINVAL);

	/* nothing changed */
	EXPECT_EQ(pread(fd, buf, pg, 0), pg);
	EXPECT_EQ(pattern_mismatch_at(buf, pg, fd, 0, 14), -1);
	EXPECT_EQ(gmem_info(fd).allocated, pg);
	free(buf);
	free(want);
}

static const struct test rw_tests[] = {
	TEST("pwrite and pread of shared pages at any offset and length: each byte where it belongs",
	     any_offset_and_length),
	TEST("with or without GMEM_CREATE_MMAP, through the fd or a /proc/self/fd reopen: the same memory",
	     any_memory_fd),
	TEST("readv, writev, preadv, pwritev and v2: several buffers; read and write use and move the position",
	     vectors_and_position),
	TEST("lseek SEEK_SET, SEEK_CUR, SEEK_END on the fd GMEM_CREATE returns and a reopened one: 0 to the size, EINVAL past it",
	     lseek_positions),
	TEST("a write allocates a zeroed page around its bytes; a page without memory reads zero, nothing allocated",
	     write_allocates_zeroed, .zeroing = true),
	TEST("huge fd: a write allocates its 2 MiB block as one folio, zero but for the bytes written",
	     huge_write_allocates_block, .zeroing = true),
	TEST("huge fd: a 2 MiB call stops to the byte at an unreachable buffer, before a private or lost page",
	     huge_runs_stop_exactly, .zeroing = true,
	     .kmsg_allow = HWPOISON_KMSG),
	TEST("a private page first: EACCES, nothing copied either way, nothing allocated; a range running into one stops there",
	     private_refused),
	TEST("end of the fd: read 0 at and past it, write ENOSPC, both short across it; O_APPEND and RWF_APPEND ENOSPC",
	     end_of_fd),
	TEST("the buffer a mapping of the same fd: copies both ways; a private page of it or no memory: EFAULT, or short up to it",
	     buffer_maps_the_fd),
	TEST("a page lost to memory failure: EHWPOISON first, a short count up to it; punched, a new page",
	     poisoned_page, .kmsg_allow = HWPOISON_KMSG),
	TEST("reads and writes racing conversions: the contents up to the first private page, or EACCES",
	     race_conversions),
	TEST("RWF_NOWAIT: EOPNOTSUPP; splice and sendfile either way still EINVAL",
	     refused_paths),
};

DEFINE_SUITE(rw_suite, "rw", rw_tests);
