// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/gmem and GMEM_CREATE: the device node, the new fd's flags, and
 * every way the extensible argument struct can be wrong.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "gmemfd.h"
#include "suites.h"

#define MISC_MAJOR	10

/*
 * Two zeroed read-write pages followed by an inaccessible one, so that
 * an argument can be placed to end exactly where readable memory does.
 */
static unsigned char *arg_pages(void)
{
	long pg = page_size();
	unsigned char *p;

	p = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	ASSERT_SYS(mprotect(p + 2 * pg, pg, PROT_NONE));
	return p;
}

/*
 * Writes the version-0 fields of a struct gmem_create at @at, which need
 * not be aligned; the bytes after them (the NUMA fields) are left as they
 * are, zero in arg_pages() memory.
 */
static void put_args(void *at, uint32_t size, uint32_t flags,
		     uint64_t length)
{
	struct gmem_create args = {
		.size = size,
		.flags = flags,
		.length = length,
	};

	memcpy(at, &args, GMEM_CREATE_SIZE_VER0);
}

static void __attribute__((format(printf, 6, 7)))
create_fails_at(const char *file, int line, int dev, void *arg, int err,
		const char *fmt, ...)
{
	char what[128];
	va_list ap;
	int fd;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);

	errno = 0;
	fd = ioctl(dev, GMEM_CREATE, arg);
	if (fd >= 0) {
		test_fail_at(file, line,
			     "GMEM_CREATE with %s: expected %s, got fd %d",
			     what, errno_name(err), fd);
		close(fd);
	} else if (errno != err) {
		test_fail_at(file, line,
			     "GMEM_CREATE with %s: expected %s, got %s",
			     what, errno_name(err), errno_name(errno));
	}
}

/* GMEM_CREATE on @dev with @arg must fail with @err; fmt describes it. */
#define EXPECT_CREATE_FAILS(dev, arg, err, ...)				\
	create_fails_at(__FILE__, __LINE__, dev, arg, err, __VA_ARGS__)

static void __attribute__((format(printf, 5, 6)))
create_works_at(const char *file, int line, int dev, void *arg,
		const char *fmt, ...)
{
	struct gmem_create args;
	char what[128];
	struct stat st;
	va_list ap;
	int fd;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);

	memcpy(&args, arg, sizeof(args));
	fd = ioctl(dev, GMEM_CREATE, arg);
	if (fd < 0) {
		test_fail_at(file, line, "GMEM_CREATE with %s: failed with %s",
			     what, errno_name(errno));
		return;
	}
	if (fstat(fd, &st))
		test_fail_at(file, line, "fstat after GMEM_CREATE with %s: %s",
			     what, errno_name(errno));
	else if ((unsigned long long)st.st_size != args.length)
		test_fail_at(file, line,
			     "GMEM_CREATE with %s: st_size %lld, expected %llu",
			     what, (long long)st.st_size,
			     (unsigned long long)args.length);
	close(fd);
}

/* GMEM_CREATE on @dev with @arg must give an fd of the struct's length. */
#define EXPECT_CREATE_WORKS(dev, arg, ...)				\
	create_works_at(__FILE__, __LINE__, dev, arg, __VA_ARGS__)

static void dev_node(void)
{
	struct stat st;

	ASSERT_SYS(stat(GMEM_DEV, &st));
	ASSERT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(major(st.st_rdev), MISC_MAJOR);
	/* Whoever may open it may pin memory: root only. */
	EXPECT_EQ(st.st_mode & 07777, 0600);
}

static void fd_flags(void)
{
	int fd = gmem_new(page_size());
	int fl = ASSERT_SYS(fcntl(fd, F_GETFL));

	EXPECT_EQ(fl & O_ACCMODE, O_RDWR);
	EXPECT_TRUE(ASSERT_SYS(fcntl(fd, F_GETFD)) & FD_CLOEXEC);
}

/* Executes ourselves to ask whether @fd is open there. */
static bool open_after_exec(int fd)
{
	char arg[16];
	int status;
	pid_t pid;

	snprintf(arg, sizeof(arg), "%d", fd);
	pid = ASSERT_SYS(fork());
	if (pid == 0) {
		execl("/proc/self/exe", "gmem-selftests", FD_CLOSED_ARG, arg,
		      (char *)NULL);
		printf("exec /proc/self/exe: %s\n", errno_name(errno));
		_exit(127);
	}
	ASSERT_SYS(waitpid(pid, &status, 0));
	/* 0: closed, 1: open, anything else: the check itself failed */
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) <= 1);
	return WEXITSTATUS(status) == 1;
}

int fd_closed_main(const char *arg)
{
	return !(fcntl(atoi(arg), F_GETFD) == -1 && errno == EBADF);
}

static void cloexec_exec(void)
{
	int fd = gmem_new(page_size());

	EXPECT_TRUE(!open_after_exec(fd));
	/* And the check can tell: without FD_CLOEXEC the fd survives. */
	ASSERT_SYS(fcntl(fd, F_SETFD, 0));
	EXPECT_TRUE(open_after_exec(fd));
}

/* The fd lives on its own: closing /dev/gmem does not touch it. */
static void outlives_dev(void)
{
	long pg = page_size();
	int dev = gmem_open_dev();
	int fd = ASSERT_SYS(gmem_create_raw(dev, 4 * pg));

	ASSERT_SYS(close(dev));
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, pg));
	EXPECT_EQ(gmem_blocks(fd), pg / 512);
}

static void efault(void)
{
	long pg = page_size();
	unsigned char *b = arg_pages();
	unsigned char *end = b + 2 * pg;	/* first inaccessible byte */
	void *gone;
	int dev = gmem_open_dev();

	EXPECT_CREATE_FAILS(dev, NULL, EFAULT, "a NULL pointer");
	EXPECT_CREATE_FAILS(dev, (void *)-4096L, EFAULT, "a kernel address");

	gone = mmap(NULL, pg, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(gone != MAP_FAILED);
	ASSERT_SYS(munmap(gone, pg));
	EXPECT_CREATE_FAILS(dev, gone, EFAULT, "an unmapped page");

	/* size is readable, the rest of the struct is not */
	memcpy(end - sizeof(uint32_t), &(uint32_t){ 32 }, sizeof(uint32_t));
	EXPECT_CREATE_FAILS(dev, end - sizeof(uint32_t), EFAULT,
			    "a struct cut short");

	/* the first 32 bytes are readable, the zero tail is not */
	put_args(end - 32, 64, 0, pg);
	EXPECT_CREATE_FAILS(dev, end - 32, EFAULT, "a tail cut short");
}

static void size_too_small(void)
{
	static const uint32_t sizes[] = { 0, 1, 8, 16, 24, 31 };
	unsigned char *b = arg_pages();
	int dev = gmem_open_dev();

	for (unsigned int i = 0; i < ARRAY_SIZE(sizes); i++) {
		put_args(b, sizes[i], 0, page_size());
		EXPECT_CREATE_FAILS(dev, b, EINVAL, "size %u", sizes[i]);
	}
}

static void flags_unknown(void)
{
	uint32_t known = gmem_features().create_flags;
	/* The lowest and highest unknown bits, all bits, unknown beside known. */
	const uint32_t flags[] = {
		~known & (known + 1), 0x80000000u, UINT32_MAX,
		GMEM_CREATE_MMAP | 0x80000000u,
	};
	unsigned char *b = arg_pages();
	int dev = gmem_open_dev();

	for (unsigned int i = 0; i < ARRAY_SIZE(flags); i++) {
		put_args(b, 32, flags[i], page_size());
		EXPECT_CREATE_FAILS(dev, b, EINVAL, "flags %#x", flags[i]);
	}
}

static void reserved_nonzero(void)
{
	struct gmem_create args = { .size = 32, .length = page_size() };
	int dev = gmem_open_dev();

	args.reserved[0] = 1;
	EXPECT_CREATE_FAILS(dev, &args, EINVAL, "reserved[0] = 1");
	args.reserved[0] = 0;
	args.reserved[1] = 1ULL << 63;
	EXPECT_CREATE_FAILS(dev, &args, EINVAL, "reserved[1] = 1 << 63");
	args.reserved[1] = 0;
	EXPECT_CREATE_WORKS(dev, &args, "reserved words zero again");
}

static void length_bad(void)
{
	unsigned long long pg = page_size(), max = gmem_max_size();
	const unsigned long long lengths[] = {
		0, 1, 512, pg - 1, pg + 1, pg + 512, 2 * MiB + 8, max - pg / 2,
	};
	unsigned char *b = arg_pages();
	int dev = gmem_open_dev();

	for (unsigned int i = 0; i < ARRAY_SIZE(lengths); i++) {
		put_args(b, 32, 0, lengths[i]);
		EXPECT_CREATE_FAILS(dev, b, EINVAL, "length %llu", lengths[i]);
	}
}

/*
 * A newer caller's larger struct is fine while its extra bytes are 0; so
 * is one that ends inside the version-1 fields (they read as zero).
 */
static void size_larger_zero_tail(void)
{
	const uint32_t sizes[] = { 33, 40, 47, 48, 49, 56, 64, 256,
				   page_size() };
	unsigned char *b = arg_pages();
	int dev = gmem_open_dev();

	for (unsigned int i = 0; i < ARRAY_SIZE(sizes); i++) {
		put_args(b, sizes[i], 0, 2 * page_size());
		EXPECT_CREATE_WORKS(dev, b, "size %u, zero tail", sizes[i]);
	}
}

/*
 * ... but an extra field the module does not know must not be ignored:
 * past GMEM_CREATE_SIZE_VER1 a non-zero byte is E2BIG.  Inside the
 * version-1 fields (a size from 33 to 48) it is a NUMA mode no module
 * knows, EINVAL.
 */
static void size_larger_nonzero_tail(void)
{
	long pg = page_size();
	const uint32_t sizes[] = { 49, 56, 64, pg };
	const uint32_t ver1_sizes[] = { 33, 40, 48 };
	unsigned char *b = arg_pages();
	int dev = gmem_open_dev();

	for (unsigned int i = 0; i < ARRAY_SIZE(sizes); i++) {
		put_args(b, sizes[i], 0, pg);
		/* the last byte: every byte of the tail must be checked */
		b[sizes[i] - 1] = 0x01;
		EXPECT_CREATE_FAILS(dev, b, E2BIG,
				    "size %u, byte %u non-zero", sizes[i],
				    sizes[i] - 1);
		b[sizes[i] - 1] = 0;
		b[GMEM_CREATE_SIZE_VER1] = 0x80;
		EXPECT_CREATE_FAILS(dev, b, E2BIG,
				    "size %u, byte %u non-zero", sizes[i],
				    GMEM_CREATE_SIZE_VER1);
		b[GMEM_CREATE_SIZE_VER1] = 0;
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(ver1_sizes); i++) {
		put_args(b, ver1_sizes[i], 0, pg);
		/* the low byte of numa_mode, the one byte a size of 33 has */
		b[GMEM_CREATE_SIZE_VER0] = 0x80;
		EXPECT_CREATE_FAILS(dev, b, EINVAL, "size %u, numa_mode 0x80",
				    ver1_sizes[i]);
		b[GMEM_CREATE_SIZE_VER0] = 0;
	}
	/* the bytes after size are never read: a version-0 size ignores them */
	put_args(b, GMEM_CREATE_SIZE_VER0, 0, pg);
	memset(b + GMEM_CREATE_SIZE_VER0, 0xff, 16);
	EXPECT_CREATE_WORKS(dev, b, "size 32, 0xff after it");
	memset(b + GMEM_CREATE_SIZE_VER0, 0, 16);
}

/*
 * Nothing larger than a page is read at all, zero or not: UINT32_MAX
 * would otherwise make the module scan 4 GiB of our memory (EFAULT).
 */
static void size_above_page(void)
{
	long pg = page_size();
	const uint32_t sizes[] = { pg + 1, pg + 8, 2 * pg, UINT32_MAX };
	unsigned char *b = arg_pages();
	int dev = gmem_open_dev();

	for (unsigned int i = 0; i < ARRAY_SIZE(sizes); i++) {
		put_args(b, sizes[i], 0, pg);
		EXPECT_CREATE_FAILS(dev, b, E2BIG, "size %u, zero tail",
				    sizes[i]);
	}
}

static void max_size_default(void)
{
	EXPECT_EQ(gmem_max_size(), GMEM_MAX_SIZE_DEFAULT);
}

static void length_max_size(void)
{
	unsigned long long pg = page_size(), max = gmem_max_size();
	const unsigned long long too_big[] = {
		max + pg, max * 2, 1ULL << 62, 1ULL << 63, -pg,
	};
	struct gmem_create args = { .size = 32, .length = max };
	int dev = gmem_open_dev();
	int fd;

	/* All of it is allowed, since nothing is allocated until asked. */
	fd = ASSERT_SYS(ioctl(dev, GMEM_CREATE, &args));
	EXPECT_EQ(gmem_blocks(fd), 0);
	EXPECT_CREATE_WORKS(dev, &args, "length max_size (%llu)", max);

	for (unsigned int i = 0; i < ARRAY_SIZE(too_big); i++) {
		args.length = too_big[i];
		EXPECT_CREATE_FAILS(dev, &args, EFBIG, "length %llu",
				    too_big[i]);
	}
}

/* Commands near GMEM_CREATE that a sloppy decoder could take for it. */
static const unsigned long bad_cmds[] = {
	_IO(GMEM_IOCTL_TYPE, 0x01),
	_IO(GMEM_IOCTL_TYPE, 0xff),
	_IOW(GMEM_IOCTL_TYPE, 0x00, struct gmem_create),
	_IOWR(GMEM_IOCTL_TYPE, 0x00, struct gmem_create),
	_IO(GMEM_IOCTL_TYPE + 1, 0x00),
	0,
};

/*
 * GMEM_CREATE keeps version 0.1.0's number, _IO(0xB9, 0): a program built
 * then and one built now make the same call, with either struct size.  No
 * encoding of number 0 with a direction or size is an alias for it: one
 * command, whose struct states its size (see the uAPI header for why).
 */
static void command_number(void)
{
	const unsigned long others[] = {
		_IOW(GMEM_IOCTL_TYPE, 0x00, struct gmem_create),
		_IOR(GMEM_IOCTL_TYPE, 0x00, struct gmem_create),
		_IOWR(GMEM_IOCTL_TYPE, 0x00, struct gmem_create),
		_IOC(_IOC_WRITE, GMEM_IOCTL_TYPE, 0x00, GMEM_CREATE_SIZE_VER0),
		_IOC(_IOC_NONE, GMEM_IOCTL_TYPE, 0x00, GMEM_CREATE_SIZE_VER1),
	};
	struct gmem_create args = { .size = GMEM_CREATE_SIZE_VER0,
				    .length = page_size() };
	int dev = gmem_open_dev();

	EXPECT_EQ(GMEM_CREATE, 0xb900);
	close(ASSERT_SYS(ioctl(dev, 0xb900, &args)));
	args.size = GMEM_CREATE_SIZE_VER1;
	close(ASSERT_SYS(ioctl(dev, 0xb900, &args)));
	for (unsigned int i = 0; i < ARRAY_SIZE(others); i++) {
		test_diag("command %#lx", others[i]);
		EXPECT_ERRNO(ioctl(dev, others[i], &args), ENOTTY);
	}
}

static void ioctl_unknown_dev(void)
{
	struct gmem_create args = { .size = 32, .length = page_size() };
	int dev = gmem_open_dev();

	for (unsigned int i = 0; i < ARRAY_SIZE(bad_cmds); i++)
		EXPECT_ERRNO(ioctl(dev, bad_cmds[i], &args), ENOTTY);
}

static void ioctl_unknown_fd(void)
{
	struct gmem_create args = { .size = 32, .length = page_size() };
	int fd = gmem_new(page_size());

	EXPECT_ERRNO(ioctl(fd, GMEM_CREATE, &args), ENOTTY);
	for (unsigned int i = 0; i < ARRAY_SIZE(bad_cmds); i++)
		EXPECT_ERRNO(ioctl(fd, bad_cmds[i], &args), ENOTTY);
}

static const struct test create_tests[] = {
	TEST("/dev/gmem is a misc device, mode 0600", dev_node),
	TEST("the fd is O_RDWR and FD_CLOEXEC", fd_flags),
	TEST("the fd is closed in an exec'd program", cloexec_exec),
	TEST("the fd works after /dev/gmem is closed", outlives_dev),
	TEST("EFAULT for bad argument pointers", efault),
	TEST("EINVAL for size below 32", size_too_small),
	TEST("EINVAL for unknown flags", flags_unknown),
	TEST("EINVAL for non-zero reserved words", reserved_nonzero),
	TEST("EINVAL for a zero or unaligned length", length_bad),
	TEST("size above 32 (inside or past the version-1 fields) with a zero tail works",
	     size_larger_zero_tail),
	TEST("E2BIG for a non-zero byte past 48, EINVAL for one in numa_mode",
	     size_larger_nonzero_tail),
	TEST("E2BIG for size above the page size", size_above_page),
	TEST("max_size defaults to 64 TiB", max_size_default),
	TEST("length max_size works, EFBIG above it", length_max_size),
	TEST("GMEM_CREATE is _IO(0xB9, 0) as in 0.1.0, no other encoding an alias",
	     command_number),
	TEST("ENOTTY for other ioctls on /dev/gmem", ioctl_unknown_dev),
	TEST("ENOTTY for ioctls on a gmem fd", ioctl_unknown_fd),
};

DEFINE_SUITE(create_suite, "create", create_tests);
