// SPDX-License-Identifier: GPL-2.0
/*
 * GMEM_CONVERT: every invalid argument gets its errno and changes nothing
 * (state read back through GMEM_INFO and a mapping, contents at the end);
 * contents survive shared -> private -> shared; GMEM_CONVERT_ZERO zeroes
 * in both directions; shared -> private is refused with EAGAIN and the
 * offending offset while a page sits in a pipe after vmsplice(), and works
 * once the pipe is drained; faults racing with conversions neither crash
 * nor leave a page mapped that is private.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
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

#define RW		(PROT_READ | PROT_WRITE)
#define IN_PAGE		123

/*
 * The fixture of the invalid-argument tests: NR_PAGES pages, the first
 * half shared with the fd's pattern (written through the mapping), the
 * second half private with it populated, so that any change of state or
 * contents, or a page moved, shows.
 */
#define NR_PAGES	8

struct fixture {
	int fd;
	unsigned char *map;
	long pg;
};

static struct fixture fixture(void)
{
	struct fixture f = { .pg = page_size() };
	unsigned char *buf = malloc(f.pg);

	ASSERT_TRUE(buf != NULL);
	f.fd = gmem_new_flags(NR_PAGES * f.pg, GMEM_CREATE_MMAP);
	for (int i = NR_PAGES / 2; i < NR_PAGES; i++) {
		fill_pattern_at(buf, f.pg, f.fd, i * f.pg, 1);
		POPULATE(f.fd, i * f.pg, f.pg, buf);
	}
	CONVERT(f.fd, 0, NR_PAGES / 2 * f.pg, GMEM_SHARED);
	f.map = gmem_map(f.fd, NR_PAGES * f.pg);
	for (int i = 0; i < NR_PAGES / 2; i++)
		fill_pattern_at(f.map + i * f.pg, f.pg, f.fd, i * f.pg, 1);
	free(buf);
	return f;
}

/* The fixture is as fixture() made it, as far as can be seen now. */
static void unchanged_at(const char *file, int line, struct fixture *f)
{
	struct gmem_info info = gmem_info(f->fd);
	long long at;

	if (info.shared_bytes != NR_PAGES / 2 * (uint64_t)f->pg ||
	    info.private_bytes != NR_PAGES / 2 * (uint64_t)f->pg ||
	    info.allocated != NR_PAGES * (uint64_t)f->pg)
		test_fail_at(file, line,
			     "GMEM_INFO changed: shared %llu, private %llu, allocated %llu",
			     (unsigned long long)info.shared_bytes,
			     (unsigned long long)info.private_bytes,
			     (unsigned long long)info.allocated);
	for (int i = 0; i < NR_PAGES / 2; i++) {
		at = pattern_mismatch_at(f->map + i * f->pg, f->pg, f->fd,
					 i * f->pg, 1);
		if (at >= 0)
			test_fail_at(file, line,
				     "shared page %d changed at byte %lld", i,
				     at);
	}
	for (int i = NR_PAGES / 2; i < NR_PAGES; i++)
		expect_sigbus_at(file, line, f->map + i * f->pg + IN_PAGE,
				 false, 0);
}

/* At the end: make all of it shared and check every page's contents. */
static void contents_intact(struct fixture *f)
{
	CONVERT(f->fd, 0, NR_PAGES * f->pg, GMEM_SHARED);
	for (int i = 0; i < NR_PAGES; i++) {
		long long at = pattern_mismatch_at(f->map + i * f->pg, f->pg,
						   f->fd, i * f->pg, 1);

		if (at >= 0)
			FAIL("page %d changed at byte %lld", i, at);
	}
}

#define ERROR_OFFSET_UNTOUCHED	0x5eed5eedULL

/*
 * GMEM_CONVERT with @args must fail with @err, leave error_offset alone
 * and change nothing in @f.
 */
static void convert_fails_at(const char *file, int line, struct fixture *f,
			     struct gmem_convert args, int err,
			     const char *what)
{
	int ret, e;

	args.error_offset = ERROR_OFFSET_UNTOUCHED;
	errno = 0;
	ret = ioctl(f->fd, GMEM_CONVERT, &args);
	e = errno;
	if (ret == 0)
		test_fail_at(file, line, "GMEM_CONVERT with %s: expected %s, got success",
			     what, errno_name(err));
	else if (e != err)
		test_fail_at(file, line, "GMEM_CONVERT with %s: expected %s, got %s",
			     what, errno_name(err), errno_name(e));
	if (args.error_offset != ERROR_OFFSET_UNTOUCHED)
		test_fail_at(file, line, "GMEM_CONVERT with %s: error_offset set to %#llx",
			     what, (unsigned long long)args.error_offset);
	unchanged_at(file, line, f);
}

#define CONVERT_FAILS(f, err, ...)					\
	convert_fails_at(__FILE__, __LINE__, f,				\
			 (struct gmem_convert){ __VA_ARGS__ }, err,	\
			 #__VA_ARGS__)

static void invalid_ranges(void)
{
	struct fixture f = fixture();
	uint64_t pg = f.pg, size = NR_PAGES * pg;

	unchanged_at(__FILE__, __LINE__, &f);
	for (uint32_t to = GMEM_PRIVATE; to <= GMEM_SHARED; to++) {
		test_diag("to = %u", to);
		/* unaligned */
		CONVERT_FAILS(&f, EINVAL, .offset = 1, .length = pg, .to = to);
		CONVERT_FAILS(&f, EINVAL, .offset = pg / 2, .length = pg, .to = to);
		CONVERT_FAILS(&f, EINVAL, .offset = 3 * pg + 8, .length = pg, .to = to);
		CONVERT_FAILS(&f, EINVAL, .offset = 0, .length = pg + 1, .to = to);
		CONVERT_FAILS(&f, EINVAL, .offset = 0, .length = pg - 1, .to = to);
		CONVERT_FAILS(&f, EINVAL, .offset = 2 * pg, .length = 1, .to = to);
		CONVERT_FAILS(&f, EINVAL, .offset = 0, .length = size - 1, .to = to);
		/* empty */
		CONVERT_FAILS(&f, EINVAL, .offset = 0, .length = 0, .to = to);
		CONVERT_FAILS(&f, EINVAL, .offset = 4 * pg, .length = 0, .to = to);
		/* offset + length overflows u64, both aligned */
		CONVERT_FAILS(&f, EINVAL, .offset = -pg, .length = 2 * pg, .to = to);
		CONVERT_FAILS(&f, EINVAL, .offset = pg, .length = -pg, .to = to);
		CONVERT_FAILS(&f, EINVAL, .offset = 4 * pg, .length = -(2 * pg), .to = to);
		CONVERT_FAILS(&f, EINVAL, .offset = -pg, .length = -pg, .to = to);
		/* past the end */
		CONVERT_FAILS(&f, EINVAL, .offset = size, .length = pg, .to = to);
		CONVERT_FAILS(&f, EINVAL, .offset = 0, .length = size + pg, .to = to);
		CONVERT_FAILS(&f, EINVAL, .offset = size - pg, .length = 2 * pg, .to = to);
		CONVERT_FAILS(&f, EINVAL, .offset = 3 * pg, .length = size, .to = to);
		CONVERT_FAILS(&f, EINVAL, .offset = 1ULL << 62, .length = pg, .to = to);
		CONVERT_FAILS(&f, EINVAL, .offset = -pg, .length = pg, .to = to);
	}
	contents_intact(&f);
}

static void invalid_fields(void)
{
	struct fixture f = fixture();
	uint64_t pg = f.pg, size = NR_PAGES * pg;

	for (uint32_t to = GMEM_PRIVATE; to <= GMEM_SHARED; to++) {
		test_diag("to = %u", to);
		/* unknown flags */
		CONVERT_FAILS(&f, EINVAL, .length = size, .to = to, .flags = 1U << 1);
		CONVERT_FAILS(&f, EINVAL, .length = size, .to = to, .flags = 1U << 31);
		CONVERT_FAILS(&f, EINVAL, .length = size, .to = to,
			      .flags = GMEM_CONVERT_ZERO | 1U << 2);
		CONVERT_FAILS(&f, EINVAL, .length = size, .to = to,
			      .flags = ~GMEM_CONVERT_ZERO);
		/* reserved not zero */
		CONVERT_FAILS(&f, EINVAL, .length = size, .to = to, .reserved = { 1, 0 });
		CONVERT_FAILS(&f, EINVAL, .length = size, .to = to, .reserved = { 0, 1 });
		CONVERT_FAILS(&f, EINVAL, .length = size, .to = to,
			      .reserved = { 0, 1ULL << 63 });
		CONVERT_FAILS(&f, EINVAL, .length = size, .to = to,
			      .flags = GMEM_CONVERT_ZERO, .reserved = { 1ULL << 32, 0 });
	}
	/* to neither GMEM_PRIVATE nor GMEM_SHARED */
	CONVERT_FAILS(&f, EINVAL, .length = size, .to = 2);
	CONVERT_FAILS(&f, EINVAL, .length = size, .to = 3);
	CONVERT_FAILS(&f, EINVAL, .length = size, .to = 0x100);
	CONVERT_FAILS(&f, EINVAL, .length = size, .to = UINT32_MAX);
	CONVERT_FAILS(&f, EINVAL, .length = size, .to = 2, .flags = GMEM_CONVERT_ZERO);
	/* everything else right, one thing wrong: each alone is enough */
	CONVERT_FAILS(&f, EINVAL, .offset = pg, .length = pg, .to = GMEM_SHARED,
		      .flags = GMEM_CONVERT_ZERO, .reserved = { 0, 2 });
	contents_intact(&f);
}

static void bad_pointer(void)
{
	struct fixture f = fixture();
	long pg = f.pg;
	struct gmem_convert args = {
		.length = NR_PAGES * pg, .to = GMEM_SHARED,
		.flags = GMEM_CONVERT_ZERO,
	};
	unsigned char *p = mmap(NULL, 2 * pg, RW, MAP_PRIVATE | MAP_ANONYMOUS,
				-1, 0);

	ASSERT_TRUE(p != MAP_FAILED);
	ASSERT_SYS(munmap(p + pg, pg));
	EXPECT_ERRNO(ioctl(f.fd, GMEM_CONVERT, NULL), EFAULT);
	EXPECT_ERRNO(ioctl(f.fd, GMEM_CONVERT, (void *)1), EFAULT);
	EXPECT_ERRNO(ioctl(f.fd, GMEM_CONVERT, p + pg), EFAULT);
	EXPECT_ERRNO(ioctl(f.fd, GMEM_CONVERT, (void *)0xffffffff81000000UL),
		     EFAULT);
	/* a valid argument whose last byte is unreadable */
	memcpy(p + pg - sizeof(args) + 1, &args, sizeof(args) - 1);
	EXPECT_ERRNO(ioctl(f.fd, GMEM_CONVERT, p + pg - sizeof(args) + 1),
		     EFAULT);
	unchanged_at(__FILE__, __LINE__, &f);
	/* the same argument, readable, works: the pointer was the problem */
	args.flags = 0;
	memcpy(p, &args, sizeof(args));
	ASSERT_SYS(ioctl(f.fd, GMEM_CONVERT, p));
	EXPECT_EQ(gmem_info(f.fd).shared_bytes, NR_PAGES * pg);
	contents_intact(&f);
}

static void idempotent(void)
{
	struct fixture f = fixture();
	long pg = f.pg;

	/* converting to the state a range already has changes nothing */
	CONVERT(f.fd, 0, NR_PAGES / 2 * pg, GMEM_SHARED);
	CONVERT(f.fd, pg, pg, GMEM_SHARED);
	CONVERT(f.fd, NR_PAGES / 2 * pg, NR_PAGES / 2 * pg, GMEM_PRIVATE);
	unchanged_at(__FILE__, __LINE__, &f);
	contents_intact(&f);
}

/* A range across both states becomes wholly one of them. */
static void mixed_range(void)
{
	struct fixture f = fixture();
	long pg = f.pg;
	struct gmem_info info;

	CONVERT(f.fd, 2 * pg, 4 * pg, GMEM_PRIVATE);
	info = gmem_info(f.fd);
	EXPECT_EQ(info.shared_bytes, 2 * pg);
	EXPECT_EQ(info.private_bytes, 6 * pg);
	EXPECT_ACCESS(f.map + pg + IN_PAGE, false);
	EXPECT_SIGBUS(f.map + 2 * pg + IN_PAGE, false);
	EXPECT_SIGBUS(f.map + 3 * pg + IN_PAGE, false);

	CONVERT(f.fd, 3 * pg, 2 * pg, GMEM_SHARED);
	info = gmem_info(f.fd);
	EXPECT_EQ(info.shared_bytes, 4 * pg);
	EXPECT_SIGBUS(f.map + 2 * pg + IN_PAGE, false);
	EXPECT_EQ(pattern_mismatch_at(f.map + 3 * pg, pg, f.fd, 3 * pg, 1), -1);
	EXPECT_EQ(pattern_mismatch_at(f.map + 4 * pg, pg, f.fd, 4 * pg, 1), -1);
	EXPECT_SIGBUS(f.map + 5 * pg + IN_PAGE, false);
	contents_intact(&f);
}

static void contents_kept(void)
{
	long pg = page_size();
	size_t len = 16 * pg;
	int fd = gmem_new_flags(len, GMEM_CREATE_MMAP | GMEM_CREATE_SHARED);
	unsigned char *a = gmem_map(fd, len);

	fill_pattern_at(a, len, fd, 0, 20);
	for (int round = 0; round < 3; round++) {
		CONVERT(fd, 0, len, GMEM_PRIVATE);
		EXPECT_EQ(gmem_info(fd).private_bytes, len);
		EXPECT_SIGBUS(a + 7 * pg + IN_PAGE, false);
		CONVERT(fd, 0, len, GMEM_SHARED);
		EXPECT_EQ(pattern_mismatch_at(a, len, fd, 0, 20), -1);
	}
	/* part of it, while the rest stays mapped and written */
	CONVERT(fd, 4 * pg, 4 * pg, GMEM_PRIVATE);
	fill_pattern_at(a, pg, fd, 0, 50);
	CONVERT(fd, 4 * pg, 4 * pg, GMEM_SHARED);
	EXPECT_EQ(pattern_mismatch_at(a, pg, fd, 0, 50), -1);
	EXPECT_EQ(pattern_mismatch_at(a + pg, len - pg, fd, pg, 20), -1);
	EXPECT_EQ(gmem_info(fd).allocated, len);
}

static void convert_zero(void)
{
	long pg = page_size();
	size_t len = 8 * pg;
	int fd = gmem_new_flags(len, GMEM_CREATE_MMAP | GMEM_CREATE_SHARED);
	unsigned char *a = gmem_map(fd, len), *buf = malloc(len);

	ASSERT_TRUE(buf != NULL);
	/* shared -> private with ZERO: back to shared (no ZERO) reads zero */
	fill_pattern_at(a, len, fd, 0, 60);
	CONVERT_FLAGS(fd, 2 * pg, 3 * pg, GMEM_PRIVATE, GMEM_CONVERT_ZERO);
	CONVERT(fd, 2 * pg, 3 * pg, GMEM_SHARED);
	EXPECT_EQ(nonzero_at(a + 2 * pg, 3 * pg), -1);
	/* the pages around the range keep their contents */
	EXPECT_EQ(pattern_mismatch_at(a, 2 * pg, fd, 0, 60), -1);
	EXPECT_EQ(pattern_mismatch_at(a + 5 * pg, 3 * pg, fd, 5 * pg, 60), -1);

	/* private -> shared with ZERO: populated contents are gone */
	CONVERT(fd, 0, len, GMEM_PRIVATE);
	fill_pattern_at(buf, len, fd, 0, 61);
	POPULATE(fd, 0, len, buf);
	CONVERT_FLAGS(fd, pg, 2 * pg, GMEM_SHARED, GMEM_CONVERT_ZERO);
	EXPECT_EQ(nonzero_at(a + pg, 2 * pg), -1);
	/* the rest stayed private, with the populated data */
	EXPECT_SIGBUS(a + IN_PAGE, false);
	EXPECT_SIGBUS(a + 3 * pg + IN_PAGE, false);
	CONVERT(fd, 0, len, GMEM_SHARED);
	EXPECT_EQ(pattern_mismatch_at(a, pg, fd, 0, 61), -1);
	EXPECT_EQ(pattern_mismatch_at(a + 3 * pg, 5 * pg, fd, 3 * pg, 61), -1);
	EXPECT_EQ(nonzero_at(a + pg, 2 * pg), -1);
	free(buf);
}

/* A page of the mapping held by a pipe after vmsplice(). */
static void pinned_by_pipe(void)
{
	long pg = page_size();
	size_t len = 4 * pg;
	int fd = gmem_new_flags(len, GMEM_CREATE_MMAP | GMEM_CREATE_SHARED);
	unsigned char *a = gmem_map(fd, len), *buf = malloc(pg), *ro;
	struct gmem_convert args;
	struct iovec iov = { a + 2 * pg, pg };
	struct gmem_info info;
	int p[2], again;

	ASSERT_TRUE(buf != NULL);
	for (int i = 0; i < 4; i++)
		fill_pattern(a + i * pg, pg, 70 + i);
	ASSERT_SYS(pipe(p));
	ASSERT_EQ(vmsplice(p[1], &iov, 1, 0), pg);

	/* the page spliced is where the conversion stops, every time */
	for (int i = 0; i < 3; i++) {
		uint64_t off = i < 2 ? 0 : pg;

		args = (struct gmem_convert){
			.offset = off, .length = len - off, .to = GMEM_PRIVATE,
			.error_offset = ERROR_OFFSET_UNTOUCHED,
		};
		EXPECT_ERRNO(ioctl(fd, GMEM_CONVERT, &args), EAGAIN);
		EXPECT_EQ(args.error_offset, 2 * pg);
	}
	/* also with ZERO, which must then zero nothing */
	args = (struct gmem_convert){
		.offset = 2 * pg, .length = pg, .to = GMEM_PRIVATE,
		.flags = GMEM_CONVERT_ZERO,
	};
	EXPECT_ERRNO(ioctl(fd, GMEM_CONVERT, &args), EAGAIN);
	EXPECT_EQ(args.error_offset, 2 * pg);

	/* error_offset unwritable: EFAULT, and still nothing changed */
	ro = mmap(NULL, pg, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(ro != MAP_FAILED);
	args = (struct gmem_convert){ .length = len, .to = GMEM_PRIVATE };
	memcpy(ro, &args, sizeof(args));
	ASSERT_SYS(mprotect(ro, pg, PROT_READ));
	EXPECT_ERRNO(ioctl(fd, GMEM_CONVERT, ro), EFAULT);

	/* nothing changed: still all shared, contents intact */
	info = gmem_info(fd);
	EXPECT_EQ(info.shared_bytes, len);
	EXPECT_EQ(info.allocated, len);
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(pattern_mismatch(a + i * pg, pg, 70 + i), -1);

	/* a range without the spliced page converts */
	CONVERT(fd, 3 * pg, pg, GMEM_PRIVATE);
	EXPECT_SIGBUS(a + 3 * pg + IN_PAGE, false);

	/* drain the pipe: it held the page itself */
	ASSERT_EQ(read(p[0], buf, pg), pg);
	EXPECT_EQ(pattern_mismatch(buf, pg, 72), -1);
	again = CONVERT(fd, 0, len, GMEM_PRIVATE);
	if (again)
		test_diag("%d transient EAGAIN(s) after the pipe was drained",
			  again);
	info = gmem_info(fd);
	EXPECT_EQ(info.private_bytes, len);
	for (int i = 0; i < 4; i++)
		EXPECT_SIGBUS(a + i * pg + IN_PAGE, false);
	CONVERT(fd, 0, len, GMEM_SHARED);
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(pattern_mismatch(a + i * pg, pg, 70 + i), -1);
	free(buf);
}

/*
 * Faulting threads against a converting one.  Each fault thread touches
 * every page in turn, reading or writing, and counts what happened: the
 * access worked, or SIGBUS at exactly that address; anything else is a
 * bug.
 */
#define RACE_PAGES	16
#define RACE_THREADS	3
#define RACE_SECONDS	2.0

struct race {
	unsigned char *map;
	long pg;
	atomic_bool stop;
	atomic_long ok, sigbus, wrong;
	struct fault wrong_fault;
};

struct racer {
	struct race *r;
	int id;
};

static void *race_fault(void *arg)
{
	struct racer *me = arg;
	struct race *r = me->r;
	unsigned int n = 0;

	while (!atomic_load(&r->stop)) {
		for (int i = 0; i < RACE_PAGES; i++, n++) {
			unsigned char *p = r->map + i * r->pg + me->id * 64;
			struct fault f = n & 1 ? fault_write(p, me->id) :
						 fault_read(p, NULL);

			if (!f.sig) {
				atomic_fetch_add(&r->ok, 1);
			} else if (f.sig == SIGBUS && f.addr == (void *)p) {
				atomic_fetch_add(&r->sigbus, 1);
			} else {
				r->wrong_fault = f;
				atomic_fetch_add(&r->wrong, 1);
			}
		}
	}
	return NULL;
}

static void fault_vs_convert(void)
{
	long pg = page_size();
	size_t len = RACE_PAGES * pg;
	int fd = gmem_new_flags(len, GMEM_CREATE_MMAP | GMEM_CREATE_SHARED);
	struct race r = { .map = gmem_map(fd, len), .pg = pg };
	struct racer racers[RACE_THREADS];
	pthread_t threads[RACE_THREADS];
	long rounds = 0, again = 0;
	struct gmem_info info;
	double end;

	fault_install();
	for (int i = 0; i < RACE_THREADS; i++) {
		racers[i] = (struct racer){ &r, i + 1 };
		ASSERT_EQ(pthread_create(&threads[i], NULL, race_fault,
					 &racers[i]), 0);
	}
	end = now_s() + RACE_SECONDS;
	do {
		/* faults in flight make this EAGAIN for a moment */
		again += gmem_convert_at(__FILE__, __LINE__, fd, 0, len,
					 GMEM_PRIVATE, 0, 2000);
		usleep(500);
		CONVERT(fd, 0, len, GMEM_SHARED);
		usleep(500);
		rounds++;
	} while (now_s() < end);
	/* the last conversion: to private, with the faulting still going */
	again += gmem_convert_at(__FILE__, __LINE__, fd, 0, len, GMEM_PRIVATE,
				 0, 2000);
	usleep(20 * 1000);
	atomic_store(&r.stop, true);
	for (int i = 0; i < RACE_THREADS; i++)
		ASSERT_EQ(pthread_join(threads[i], NULL), 0);

	test_diag("%ld rounds, %ld EAGAINs; accesses: %ld worked, %ld SIGBUS",
		  rounds, again, atomic_load(&r.ok), atomic_load(&r.sigbus));
	if (atomic_load(&r.wrong))
		FAIL("%ld accesses ended otherwise, e.g. %s",
		     atomic_load(&r.wrong), fault_str(r.wrong_fault));
	/* the race must have seen both states, or it tested nothing */
	EXPECT_GT(atomic_load(&r.ok), 0);
	EXPECT_GT(atomic_load(&r.sigbus), 0);
	EXPECT_GT(rounds, 1);

	/* the final state is the last conversion's */
	info = gmem_info(fd);
	EXPECT_EQ(info.private_bytes, len);
	EXPECT_EQ(info.shared_bytes, 0);
	EXPECT_LE(info.allocated, len);
	for (int i = 0; i < RACE_PAGES; i++) {
		EXPECT_SIGBUS(r.map + i * pg + IN_PAGE, false);
		EXPECT_SIGBUS(r.map + i * pg + IN_PAGE, true);
	}
	/* and the memory is still whole: shared again, every page works */
	CONVERT(fd, 0, len, GMEM_SHARED);
	for (int i = 0; i < RACE_PAGES; i++)
		EXPECT_ACCESS(r.map + i * pg + IN_PAGE, true);
}

static const struct test convert_tests[] = {
	TEST("unaligned, empty, overflowing, past-the-end ranges: EINVAL, nothing changed",
	     invalid_ranges),
	TEST("unknown flags, bad 'to', reserved set: EINVAL, nothing changed",
	     invalid_fields),
	TEST("unreadable argument: EFAULT, nothing changed", bad_pointer),
	TEST("converting to the current state changes nothing", idempotent),
	TEST("a range across both states becomes wholly one", mixed_range),
	TEST("contents kept shared -> private -> shared", contents_kept),
	TEST("GMEM_CONVERT_ZERO zeroes the range in both directions",
	     convert_zero),
	TEST("page held by a pipe (vmsplice): EAGAIN at its offset, then works once drained",
	     pinned_by_pipe),
	TEST("threads faulting while another converts: final state is the last conversion",
	     fault_vs_convert),
};

DEFINE_SUITE(convert_suite, "convert", convert_tests);
