// SPDX-License-Identifier: GPL-2.0
/*
 * GMEM_POPULATE: the bytes copied into private pages are there when the
 * pages are made shared (and gone with GMEM_CONVERT_ZERO); invalid
 * arguments, shared pages in the range and unreadable sources fail with
 * their errno, copied says how far it got, no page is half written and
 * nothing else changes; allocated memory grows by what was populated.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "fault.h"
#include "gmemfd.h"

#define RW		(PROT_READ | PROT_WRITE)
#define IN_PAGE		123
#define COPIED_UNSET	0xc0c0c0c0ULL

static unsigned char *pattern_buf(size_t len, unsigned int seed)
{
	unsigned char *p = mmap(NULL, len, RW, MAP_PRIVATE | MAP_ANONYMOUS,
				-1, 0);

	ASSERT_TRUE(p != MAP_FAILED);
	fill_pattern(p, len, seed);
	return p;
}

static void shows_when_shared(void)
{
	long pg = page_size();
	size_t len = 8 * pg;
	int fd = gmem_new_flags(len, GMEM_CREATE_MMAP);
	unsigned char *img = pattern_buf(len, 1), *a;
	uint64_t copied = COPIED_UNSET;
	struct gmem_info info;

	ASSERT_SYS(gmem_populate_raw(fd, 0, len, img, &copied));
	EXPECT_EQ(copied, len);
	info = gmem_info(fd);
	EXPECT_EQ(info.allocated, len);
	EXPECT_EQ(info.private_bytes, len);
	/* private memory: not reachable until it is converted */
	a = gmem_map(fd, len);
	EXPECT_SIGBUS(a + IN_PAGE, false);

	CONVERT(fd, 0, len, GMEM_SHARED);
	EXPECT_EQ(memcmp(a, img, len), 0);
	EXPECT_EQ(gmem_info(fd).allocated, len);
	/* the source is the caller's: changing it changes nothing here */
	memset(img, 0, len);
	EXPECT_EQ(pattern_mismatch(a, len, 1), -1);
}

static void partial_and_unaligned_source(void)
{
	long pg = page_size();
	size_t len = 8 * pg;
	int fd = gmem_new_flags(len, GMEM_CREATE_MMAP);
	unsigned char *img = pattern_buf(4 * pg, 2), *a;

	/* pages 2 and 3 only, from an odd address */
	POPULATE(fd, 2 * pg, 2 * pg, img + 1);
	EXPECT_EQ(gmem_info(fd).allocated, 2 * pg);
	/* again over page 3 and 4: page 3 is overwritten, not added */
	POPULATE(fd, 3 * pg, 2 * pg, img + 2 * pg);
	EXPECT_EQ(gmem_info(fd).allocated, 3 * pg);

	CONVERT(fd, 0, len, GMEM_SHARED);
	a = gmem_map(fd, len);
	EXPECT_EQ(nonzero_at(a, 2 * pg), -1);
	EXPECT_EQ(memcmp(a + 2 * pg, img + 1, pg), 0);
	EXPECT_EQ(memcmp(a + 3 * pg, img + 2 * pg, 2 * pg), 0);
	EXPECT_EQ(nonzero_at(a + 5 * pg, 3 * pg), -1);
}

static void with_convert_zero(void)
{
	long pg = page_size();
	size_t len = 4 * pg;
	int fd = gmem_new_flags(len, GMEM_CREATE_MMAP);
	unsigned char *img = pattern_buf(len, 3), *a;

	POPULATE(fd, 0, len, img);
	CONVERT_FLAGS(fd, 0, 2 * pg, GMEM_SHARED, GMEM_CONVERT_ZERO);
	CONVERT(fd, 2 * pg, 2 * pg, GMEM_SHARED);
	a = gmem_map(fd, len);
	EXPECT_EQ(nonzero_at(a, 2 * pg), -1);
	EXPECT_EQ(memcmp(a + 2 * pg, img + 2 * pg, 2 * pg), 0);
}

/*
 * The invalid-argument fixture: 8 pages, page 1 populated with pattern 4
 * and page 6 shared, so that a change to either shows.
 */
struct fixture {
	int fd;
	long pg;
	unsigned char *src;	/* 8 pages of pattern 5 */
};

static struct fixture fixture(void)
{
	struct fixture f = { .pg = page_size() };

	f.fd = gmem_new_flags(8 * f.pg, GMEM_CREATE_MMAP);
	POPULATE(f.fd, f.pg, f.pg, pattern_buf(f.pg, 4));
	CONVERT(f.fd, 6 * f.pg, f.pg, GMEM_SHARED);
	f.src = pattern_buf(8 * f.pg, 5);
	return f;
}

static void unchanged_at(const char *file, int line, struct fixture *f)
{
	struct gmem_info info = gmem_info(f->fd);

	if (info.allocated != (uint64_t)f->pg ||
	    info.shared_bytes != (uint64_t)f->pg ||
	    info.private_bytes != 7 * (uint64_t)f->pg)
		test_fail_at(file, line,
			     "GMEM_INFO changed: allocated %llu, shared %llu, private %llu",
			     (unsigned long long)info.allocated,
			     (unsigned long long)info.shared_bytes,
			     (unsigned long long)info.private_bytes);
}

/* At the end: every page as fixture() left it. */
static void contents_intact(struct fixture *f)
{
	long pg = f->pg;
	unsigned char *a;

	CONVERT(f->fd, 0, 8 * pg, GMEM_SHARED);
	a = gmem_map(f->fd, 8 * pg);
	EXPECT_EQ(nonzero_at(a, pg), -1);
	EXPECT_EQ(pattern_mismatch(a + pg, pg, 4), -1);
	EXPECT_EQ(nonzero_at(a + 2 * pg, 6 * pg), -1);
}

static void populate_fails_at(const char *file, int line, struct fixture *f,
			      struct gmem_populate args, int err,
			      uint64_t copied, const char *what)
{
	int ret, e;

	errno = 0;
	ret = ioctl(f->fd, GMEM_POPULATE, &args);
	e = errno;
	if (ret == 0)
		test_fail_at(file, line, "GMEM_POPULATE with %s: expected %s, got success",
			     what, errno_name(err));
	else if (e != err)
		test_fail_at(file, line, "GMEM_POPULATE with %s: expected %s, got %s",
			     what, errno_name(err), errno_name(e));
	if (args.copied != copied)
		test_fail_at(file, line, "GMEM_POPULATE with %s: copied %llu, expected %llu",
			     what, (unsigned long long)args.copied,
			     (unsigned long long)copied);
	unchanged_at(file, line, f);
}

/*
 * Refused for its arguments with @err: the struct is left untouched
 * (ioctl_gmem(2)), so copied still holds what it was set to before.
 */
#define POPULATE_FAILS(f, err, ...)					\
	populate_fails_at(__FILE__, __LINE__, f,			\
			  (struct gmem_populate){ .uaddr = (uintptr_t)(f)->src, \
						  .copied = COPIED_UNSET, \
						  __VA_ARGS__ },	\
			  err, COPIED_UNSET, #__VA_ARGS__)

static void invalid_args(void)
{
	struct fixture f = fixture();
	uint64_t pg = f.pg, size = 8 * pg;

	/* flags, pad, reserved */
	POPULATE_FAILS(&f, EINVAL, .length = pg, .flags = 1);
	POPULATE_FAILS(&f, EINVAL, .length = pg, .flags = 1U << 31);
	POPULATE_FAILS(&f, EINVAL, .length = pg, .pad = 1);
	POPULATE_FAILS(&f, EINVAL, .length = pg, .pad = UINT32_MAX);
	POPULATE_FAILS(&f, EINVAL, .length = pg, .reserved = { 1, 0 });
	POPULATE_FAILS(&f, EINVAL, .length = pg, .reserved = { 0, 1ULL << 63 });
	/* unaligned */
	POPULATE_FAILS(&f, EINVAL, .offset = 1, .length = pg);
	POPULATE_FAILS(&f, EINVAL, .offset = pg + 512, .length = pg);
	POPULATE_FAILS(&f, EINVAL, .length = pg + 1);
	POPULATE_FAILS(&f, EINVAL, .length = pg - 1);
	POPULATE_FAILS(&f, EINVAL, .length = 1);
	/* empty */
	POPULATE_FAILS(&f, EINVAL, .length = 0);
	POPULATE_FAILS(&f, EINVAL, .offset = pg, .length = 0);
	/* overflowing */
	POPULATE_FAILS(&f, EINVAL, .offset = -pg, .length = 2 * pg);
	POPULATE_FAILS(&f, EINVAL, .offset = pg, .length = -pg);
	/* past the end */
	POPULATE_FAILS(&f, EINVAL, .offset = size, .length = pg);
	POPULATE_FAILS(&f, EINVAL, .offset = 0, .length = size + pg);
	POPULATE_FAILS(&f, EINVAL, .offset = size - pg, .length = 2 * pg);
	POPULATE_FAILS(&f, EINVAL, .offset = 1ULL << 62, .length = pg);
	contents_intact(&f);
}

static void shared_page_in_range(void)
{
	struct fixture f = fixture();
	uint64_t pg = f.pg;
	struct gmem_populate args;

	/* the shared page (6) last, first, alone: nothing is copied */
	for (int i = 0; i < 3; i++) {
		uint64_t off = i == 0 ? 0 : 6 * pg;
		uint64_t len = i == 0 ? 7 * pg : i == 1 ? 2 * pg : pg;

		args = (struct gmem_populate){
			.offset = off, .length = len,
			.uaddr = (uintptr_t)f.src, .copied = COPIED_UNSET,
		};
		populate_fails_at(__FILE__, __LINE__, &f, args, EINVAL, 0,
				  "a shared page in the range");
	}
	/* pages next to the shared one are fine */
	POPULATE(f.fd, 7 * pg, pg, f.src);
	EXPECT_EQ(gmem_info(f.fd).allocated, 2 * pg);
	ASSERT_SYS(fallocate(f.fd, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE,
			     7 * pg, pg));
	contents_intact(&f);
}

static void bad_source(void)
{
	struct fixture f = fixture();
	long pg = f.pg;
	unsigned char *gone = mmap(NULL, pg, RW, MAP_PRIVATE | MAP_ANONYMOUS,
				   -1, 0);
	const uint64_t bad[] = {
		0, 1, (uintptr_t)gone, 0xffffffff81000000ULL, -(uint64_t)pg,
	};
	struct gmem_populate args;

	ASSERT_TRUE(gone != MAP_FAILED);
	ASSERT_SYS(munmap(gone, pg));
	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		args = (struct gmem_populate){
			.offset = 2 * pg, .length = 2 * pg, .uaddr = bad[i],
			.copied = COPIED_UNSET,
		};
		test_diag("uaddr %#llx", (unsigned long long)bad[i]);
		populate_fails_at(__FILE__, __LINE__, &f, args, EFAULT, 0,
				  "an unreadable uaddr");
	}
	contents_intact(&f);
}

static void bad_argument_pointer(void)
{
	struct fixture f = fixture();
	long pg = f.pg;
	struct gmem_populate args = {
		.offset = 0, .length = pg, .uaddr = (uintptr_t)f.src,
	};
	unsigned char *ro = mmap(NULL, pg, RW, MAP_PRIVATE | MAP_ANONYMOUS,
				 -1, 0);

	ASSERT_TRUE(ro != MAP_FAILED);
	EXPECT_ERRNO(ioctl(f.fd, GMEM_POPULATE, NULL), EFAULT);
	EXPECT_ERRNO(ioctl(f.fd, GMEM_POPULATE, (void *)0xffffffff81000000UL),
		     EFAULT);
	unchanged_at(__FILE__, __LINE__, &f);
	/*
	 * copied cannot be written back: EFAULT, though the copy itself
	 * was done (ioctl_gmem(2): EFAULT when the argument cannot be written).
	 */
	memcpy(ro, &args, sizeof(args));
	ASSERT_SYS(mprotect(ro, pg, PROT_READ));
	EXPECT_ERRNO(ioctl(f.fd, GMEM_POPULATE, ro), EFAULT);
}

/* The source's second page is inaccessible. */
static void source_ends_early(void)
{
	long pg = page_size();
	int fd = gmem_new_flags(4 * pg, GMEM_CREATE_MMAP);
	unsigned char *src = pattern_buf(2 * pg, 6), *a;
	unsigned char *old = pattern_buf(2 * pg, 7);
	struct gmem_populate args;
	struct gmem_info info;

	/* pages 0 and 1 hold pattern 7 before, so "untouched" shows */
	POPULATE(fd, 0, 2 * pg, old);
	ASSERT_SYS(mprotect(src + pg, pg, PROT_NONE));

	args = (struct gmem_populate){
		.offset = 0, .length = 2 * pg, .uaddr = (uintptr_t)src,
		.copied = COPIED_UNSET,
	};
	EXPECT_ERRNO(ioctl(fd, GMEM_POPULATE, &args), EFAULT);
	EXPECT_EQ(args.copied, pg);

	/* from an odd address the first page already crosses over: none */
	args = (struct gmem_populate){
		.offset = 2 * pg, .length = 2 * pg, .uaddr = (uintptr_t)src + 8,
		.copied = COPIED_UNSET,
	};
	EXPECT_ERRNO(ioctl(fd, GMEM_POPULATE, &args), EFAULT);
	EXPECT_EQ(args.copied, 0);
	info = gmem_info(fd);
	EXPECT_EQ(info.allocated, 2 * pg);

	/* the same, over page 0 and 1 which hold data */
	args = (struct gmem_populate){
		.offset = pg, .length = pg, .uaddr = (uintptr_t)src + 8,
		.copied = COPIED_UNSET,
	};
	EXPECT_ERRNO(ioctl(fd, GMEM_POPULATE, &args), EFAULT);
	EXPECT_EQ(args.copied, 0);

	CONVERT(fd, 0, 4 * pg, GMEM_SHARED);
	a = gmem_map(fd, 4 * pg);
	/* page 0 is the new data, page 1 is untouched, not half written */
	EXPECT_EQ(pattern_mismatch(a, pg, 6), -1);
	EXPECT_EQ(memcmp(a + pg, old + pg, pg), 0);
	EXPECT_EQ(nonzero_at(a + 2 * pg, 2 * pg), -1);
}

static void allocated_grows(void)
{
	long pg = page_size();
	size_t len = 64 * pg;
	int fd = gmem_new_flags(len, 0);
	unsigned char *src = pattern_buf(16 * pg, 8);

	EXPECT_EQ(gmem_info(fd).allocated, 0);
	POPULATE(fd, 0, pg, src);
	EXPECT_EQ(gmem_info(fd).allocated, pg);
	EXPECT_EQ(gmem_blocks(fd), pg / 512);
	POPULATE(fd, 10 * pg, 16 * pg, src);
	EXPECT_EQ(gmem_info(fd).allocated, 17 * pg);
	/* populating pages already there adds nothing */
	POPULATE(fd, 8 * pg, 4 * pg, src);
	EXPECT_EQ(gmem_info(fd).allocated, 19 * pg);
	POPULATE(fd, 0, pg, src);
	EXPECT_EQ(gmem_info(fd).allocated, 19 * pg);
	/* pages allocated by fallocate count once */
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 40 * pg, 4 * pg));
	POPULATE(fd, 38 * pg, 4 * pg, src);
	EXPECT_EQ(gmem_info(fd).allocated, 25 * pg);
	EXPECT_EQ(gmem_blocks(fd), 25 * pg / 512);
	EXPECT_EQ(gmem_info(fd).private_bytes, len);
}

/* The source may be a shared mapping of the same fd. */
static void source_is_same_fd(void)
{
	long pg = page_size();
	int fd = gmem_new_flags(4 * pg, GMEM_CREATE_MMAP);
	unsigned char *a;

	CONVERT(fd, 0, 2 * pg, GMEM_SHARED);
	a = gmem_map(fd, 4 * pg);
	fill_pattern(a, 2 * pg, 9);
	POPULATE(fd, 2 * pg, 2 * pg, a);
	CONVERT(fd, 2 * pg, 2 * pg, GMEM_SHARED);
	EXPECT_EQ(memcmp(a + 2 * pg, a, 2 * pg), 0);
	EXPECT_EQ(pattern_mismatch(a, 2 * pg, 9), -1);
}

static const struct test populate_tests[] = {
	TEST("populated bytes show when converted to shared", shows_when_shared),
	TEST("part of the fd, from an unaligned source, over itself",
	     partial_and_unaligned_source, .zeroing = true),
	TEST("then GMEM_CONVERT_ZERO: zeroes instead", with_convert_zero),
	TEST("flags, pad, reserved, range errors: EINVAL, nothing changed",
	     invalid_args),
	TEST("a shared page in the range: EINVAL, copied 0, nothing changed",
	     shared_page_in_range),
	TEST("unreadable uaddr: EFAULT, copied 0, nothing changed", bad_source),
	TEST("unreadable or unwritable argument: EFAULT", bad_argument_pointer),
	TEST("source's second page PROT_NONE: EFAULT, copied one page, no page half written",
	     source_ends_early, .zeroing = true),
	TEST("allocated bytes grow by the pages populated", allocated_grows),
	TEST("source is a shared mapping of the same fd", source_is_same_fd),
};

DEFINE_SUITE(populate_suite, "populate", populate_tests);
