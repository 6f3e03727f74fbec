// SPDX-License-Identifier: GPL-2.0
/*
 * GMEM_INFO and /proc/<pid>/fdinfo/<fd>: the same numbers, and the ones
 * the test's own steps (create flags, fallocate, punch, convert, populate,
 * faults) should have produced; st_blocks agrees with allocated.  EFAULT
 * for an unwritable argument, ENOTTY for commands the fd does not know.
 */
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "gmemfd.h"

#define PUNCH	(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE)

struct expect {
	uint64_t size;
	uint32_t flags;
	uint64_t allocated;
	uint64_t shared;
};

/* GMEM_INFO, fdinfo and fstat all say what @e says. */
static void info_is_at(const char *file, int line, int fd, struct expect e)
{
	struct gmem_info info = gmem_info(fd), fdi = gmem_fdinfo(fd);
	uint64_t private = e.size - e.shared;
	struct stat st;

	ASSERT_SYS(fstat(fd, &st));
	if (info.size != e.size || info.flags != e.flags ||
	    info.allocated != e.allocated || info.shared_bytes != e.shared ||
	    info.private_bytes != private)
		test_fail_at(file, line,
			     "GMEM_INFO: size %llu flags %#x allocated %llu private %llu shared %llu; expected %llu %#x %llu %llu %llu",
			     (unsigned long long)info.size, info.flags,
			     (unsigned long long)info.allocated,
			     (unsigned long long)info.private_bytes,
			     (unsigned long long)info.shared_bytes,
			     (unsigned long long)e.size, e.flags,
			     (unsigned long long)e.allocated,
			     (unsigned long long)private,
			     (unsigned long long)e.shared);
	if (fdi.size != info.size || fdi.flags != info.flags ||
	    fdi.allocated != info.allocated ||
	    fdi.private_bytes != info.private_bytes ||
	    fdi.shared_bytes != info.shared_bytes)
		test_fail_at(file, line,
			     "fdinfo: size %llu flags %#x allocated %llu private %llu shared %llu; GMEM_INFO says %llu %#x %llu %llu %llu",
			     (unsigned long long)fdi.size, fdi.flags,
			     (unsigned long long)fdi.allocated,
			     (unsigned long long)fdi.private_bytes,
			     (unsigned long long)fdi.shared_bytes,
			     (unsigned long long)info.size, info.flags,
			     (unsigned long long)info.allocated,
			     (unsigned long long)info.private_bytes,
			     (unsigned long long)info.shared_bytes);
	/* the counters of an fd without a NUMA policy, huge pages or poison */
	if (info.numa_mode != GMEM_NUMA_DEFAULT || info.large_folios ||
	    info.poisoned ||
	    info.allocated_private + info.allocated_shared != info.allocated)
		test_fail_at(file, line,
			     "GMEM_INFO: numa_mode %u large_folios %llu poisoned %llu, allocated_private %llu + allocated_shared %llu != allocated %llu",
			     info.numa_mode,
			     (unsigned long long)info.large_folios,
			     (unsigned long long)info.poisoned,
			     (unsigned long long)info.allocated_private,
			     (unsigned long long)info.allocated_shared,
			     (unsigned long long)info.allocated);
	if ((uint64_t)st.st_size != e.size ||
	    (uint64_t)st.st_blocks * 512 != e.allocated)
		test_fail_at(file, line,
			     "fstat: st_size %lld, st_blocks %lld; expected %llu, %llu",
			     (long long)st.st_size, (long long)st.st_blocks,
			     (unsigned long long)e.size,
			     (unsigned long long)e.allocated / 512);
}

#define INFO_IS(fd, ...)						\
	info_is_at(__FILE__, __LINE__, fd, (struct expect){ __VA_ARGS__ })

static void new_fd(void)
{
	static const uint32_t flags[] = {
		0, GMEM_CREATE_MMAP, GMEM_CREATE_SHARED,
		GMEM_CREATE_MMAP | GMEM_CREATE_SHARED,
	};
	long pg = page_size();

	for (unsigned int i = 0; i < ARRAY_SIZE(flags); i++) {
		uint64_t size = (i + 1) * 3 * pg;
		int fd = gmem_new_flags(size, flags[i]);

		test_diag("flags %#x", flags[i]);
		INFO_IS(fd, .size = size, .flags = flags[i],
			.shared = flags[i] & GMEM_CREATE_SHARED ? size : 0);
		ASSERT_SYS(close(fd));
	}
	/* a large one: the numbers are 64-bit */
	int fd = gmem_new_flags(1ULL << 40, GMEM_CREATE_SHARED);

	INFO_IS(fd, .size = 1ULL << 40, .flags = GMEM_CREATE_SHARED,
		.shared = 1ULL << 40);
}

static void follows_steps(void)
{
	long pg = page_size();
	uint64_t size = 64 * pg;
	uint32_t flags = GMEM_CREATE_MMAP;
	int fd = gmem_new_flags(size, flags);
	unsigned char *src = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char *a;

	ASSERT_TRUE(src != MAP_FAILED);
	memset(src, 0x3c, 4 * pg);
	INFO_IS(fd, .size = size, .flags = flags);

	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 8 * pg));
	INFO_IS(fd, .size = size, .flags = flags, .allocated = 8 * pg);

	ASSERT_SYS(fallocate(fd, PUNCH, 2 * pg, 2 * pg));
	INFO_IS(fd, .size = size, .flags = flags, .allocated = 6 * pg);

	/* conversion moves bytes between private and shared, allocates none */
	CONVERT(fd, 16 * pg, 16 * pg, GMEM_SHARED);
	INFO_IS(fd, .size = size, .flags = flags, .allocated = 6 * pg,
		.shared = 16 * pg);
	CONVERT(fd, 0, pg, GMEM_SHARED);
	INFO_IS(fd, .size = size, .flags = flags, .allocated = 6 * pg,
		.shared = 17 * pg);

	/* populate allocates the private pages it fills */
	POPULATE(fd, 40 * pg, 4 * pg, src);
	INFO_IS(fd, .size = size, .flags = flags, .allocated = 10 * pg,
		.shared = 17 * pg);

	/* faults on shared pages allocate them */
	a = gmem_map(fd, size);
	for (int i = 16; i < 20; i++)
		a[i * pg] = 1;
	INFO_IS(fd, .size = size, .flags = flags, .allocated = 14 * pg,
		.shared = 17 * pg);

	/* back to private, partly: bytes move, allocated stays */
	CONVERT(fd, 24 * pg, 8 * pg, GMEM_PRIVATE);
	INFO_IS(fd, .size = size, .flags = flags, .allocated = 14 * pg,
		.shared = 9 * pg);

	/* punch across shared and private: state stays, memory goes */
	ASSERT_SYS(fallocate(fd, PUNCH, 0, 20 * pg));
	INFO_IS(fd, .size = size, .flags = flags, .allocated = 4 * pg,
		.shared = 9 * pg);

	/* the whole range one way, then the other */
	CONVERT(fd, 0, size, GMEM_SHARED);
	INFO_IS(fd, .size = size, .flags = flags, .allocated = 4 * pg,
		.shared = size);
	CONVERT(fd, 0, size, GMEM_PRIVATE);
	INFO_IS(fd, .size = size, .flags = flags, .allocated = 4 * pg);

	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, size));
	INFO_IS(fd, .size = size, .flags = flags, .allocated = size);
	ASSERT_SYS(fallocate(fd, PUNCH, 0, size));
	INFO_IS(fd, .size = size, .flags = flags);
}

/* Refused calls change none of the numbers. */
static void refused_calls(void)
{
	long pg = page_size();
	uint64_t size = 16 * pg;
	uint32_t flags = GMEM_CREATE_MMAP | GMEM_CREATE_SHARED;
	int fd = gmem_new_flags(size, flags);

	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 4 * pg));
	INFO_IS(fd, .size = size, .flags = flags, .allocated = 4 * pg,
		.shared = size);
	EXPECT_ERRNO(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, size + pg), EINVAL);
	EXPECT_ERRNO(gmem_convert_raw(fd, 0, size + pg, GMEM_PRIVATE, 0),
		     EINVAL);
	EXPECT_ERRNO(gmem_populate_raw(fd, 0, pg, &fd, NULL), EINVAL);
	INFO_IS(fd, .size = size, .flags = flags, .allocated = 4 * pg,
		.shared = size);
}

/* Two fds: each has its own numbers. */
static void per_fd(void)
{
	long pg = page_size();
	int a = gmem_new_flags(8 * pg, 0);
	int b = gmem_new_flags(8 * pg, GMEM_CREATE_SHARED);

	ASSERT_SYS(fallocate(a, FALLOC_FL_KEEP_SIZE, 0, 3 * pg));
	CONVERT(b, 0, 2 * pg, GMEM_PRIVATE);
	INFO_IS(a, .size = 8 * pg, .allocated = 3 * pg);
	INFO_IS(b, .size = 8 * pg, .flags = GMEM_CREATE_SHARED,
		.shared = 6 * pg);
	/* a dup()ed fd is the same file */
	int c = ASSERT_SYS(dup(a));

	INFO_IS(c, .size = 8 * pg, .allocated = 3 * pg);
}

static void bad_pointer(void)
{
	long pg = page_size();
	int fd = gmem_new_flags(4 * pg, 0);
	unsigned char *p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct gmem_info *info;

	ASSERT_TRUE(p != MAP_FAILED);
	EXPECT_ERRNO(ioctl(fd, GMEM_INFO, NULL), EFAULT);
	EXPECT_ERRNO(ioctl(fd, GMEM_INFO, (void *)1), EFAULT);
	EXPECT_ERRNO(ioctl(fd, GMEM_INFO, (void *)0xffffffff81000000UL),
		     EFAULT);
	/* read-only memory, and a struct whose end is unwritable */
	ASSERT_SYS(mprotect(p + pg, pg, PROT_READ));
	EXPECT_ERRNO(ioctl(fd, GMEM_INFO, p + pg), EFAULT);
	info = (void *)(p + pg - sizeof(*info) + 8);
	EXPECT_ERRNO(ioctl(fd, GMEM_INFO, info), EFAULT);
	/* the control: the same place, moved back into writable memory */
	info = (void *)(p + pg - sizeof(*info));
	ASSERT_SYS(ioctl(fd, GMEM_INFO, info));
	EXPECT_EQ(info->size, 4 * pg);
}

static void unknown_ioctl(void)
{
	const unsigned long cmds[] = {
		_IO(GMEM_IOCTL_TYPE, 0x04),
		_IOWR(GMEM_IOCTL_TYPE, 0x04, struct gmem_info),
		_IOWR(GMEM_IOCTL_TYPE, 0xff, struct gmem_info),
		/* known numbers with the wrong size or direction */
		_IOR(GMEM_IOCTL_TYPE, 0x03, uint32_t),
		_IOW(GMEM_IOCTL_TYPE, 0x03, struct gmem_info),
		_IOWR(GMEM_IOCTL_TYPE, 0x01, uint64_t),
		_IOR(GMEM_IOCTL_TYPE, 0x02, struct gmem_populate),
		/* /dev/gmem's command is not the memory fd's */
		GMEM_CREATE,
		/* another driver's type */
		_IOR(0xBA, 0x03, struct gmem_info),
		0,
		0xdeadbeef,
	};
	long pg = page_size();
	int fd = gmem_new_flags(4 * pg, GMEM_CREATE_MMAP);
	int dev = gmem_open_dev();
	struct gmem_info buf;
	unsigned char *raw = (void *)&buf;

	for (unsigned int i = 0; i < ARRAY_SIZE(cmds); i++) {
		test_diag("command %#lx", cmds[i]);
		memset(&buf, 0x77, sizeof(buf));
		EXPECT_ERRNO(ioctl(fd, cmds[i], &buf), ENOTTY);
		for (size_t j = 0; j < sizeof(buf); j++)
			if (raw[j] != 0x77)
				FAIL("command %#lx wrote to its argument", cmds[i]);
	}
	/* and the memory fd's commands on /dev/gmem */
	EXPECT_ERRNO(ioctl(dev, GMEM_INFO, &buf), ENOTTY);
	EXPECT_ERRNO(ioctl(dev, GMEM_CONVERT, &buf), ENOTTY);
	EXPECT_ERRNO(ioctl(dev, GMEM_POPULATE, &buf), ENOTTY);
	INFO_IS(fd, .size = 4 * pg, .flags = GMEM_CREATE_MMAP);
}

static const struct test info_tests[] = {
	TEST("new fd: size, flags, nothing allocated, private or shared by flag",
	     new_fd),
	TEST("GMEM_INFO, fdinfo and st_blocks follow fallocate, punch, convert, populate, faults",
	     follows_steps),
	TEST("refused calls change none of the numbers", refused_calls),
	TEST("each fd its own numbers; a dup()ed fd the same", per_fd),
	TEST("unwritable argument: EFAULT", bad_pointer),
	TEST("unknown ioctl commands: ENOTTY, argument untouched", unknown_ioctl),
};

DEFINE_SUITE(info_suite, "info", info_tests);
