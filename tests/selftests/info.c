// SPDX-License-Identifier: GPL-2.0
/*
 * GMEM_INFO and /proc/<pid>/fdinfo/<fd>: the same numbers, and the ones
 * the test's own steps (create flags, fallocate, punch, convert, populate,
 * faults) should have produced, allocated_private and allocated_shared
 * included; st_blocks agrees with allocated.  numa_mode and large_folios
 * of NUMA and huge fds, poisoned after memory failure; the module-wide
 * sums in /sys/class/misc/gmem/.  EFAULT for an unwritable argument,
 * ENOTTY for commands the fd does not know.
 */
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "fault.h"
#include "gmemfd.h"
#include "numa.h"

#define PUNCH	(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE)

/* The first GMEM_INFO, as a program built against version 0.1.0 has it. */
struct info_v0 {
	uint64_t size;
	uint32_t flags;
	uint32_t numa_mode;
	uint64_t allocated;
	uint64_t private_bytes;
	uint64_t shared_bytes;
	uint64_t allocated_private;
	uint64_t allocated_shared;
	uint64_t large_folios;
	uint64_t poisoned;
};

#define GMEM_INFO_V0	_IOR(GMEM_IOCTL_TYPE, 0x03, struct info_v0)

struct expect {
	uint64_t size;
	uint32_t flags;
	uint64_t allocated;
	uint64_t shared;
	uint64_t alloc_shared;		/* of allocated, the shared bytes */
	uint32_t numa_mode;
	uint64_t large;			/* large folios */
	uint64_t poisoned;
};

static void show_info(const char *what, const struct gmem_info *i)
{
	test_diag("%s: size %u flags %#x length %llu create_flags %#x numa_mode %u allocated %llu private %llu shared %llu allocated_private %llu allocated_shared %llu large_folios %llu poisoned %llu large_fallbacks %llu",
		  what, i->size, i->flags, (unsigned long long)i->length,
		  i->create_flags, i->numa_mode,
		  (unsigned long long)i->allocated,
		  (unsigned long long)i->private_bytes,
		  (unsigned long long)i->shared_bytes,
		  (unsigned long long)i->allocated_private,
		  (unsigned long long)i->allocated_shared,
		  (unsigned long long)i->large_folios,
		  (unsigned long long)i->poisoned,
		  (unsigned long long)i->large_fallbacks);
}

/* GMEM_INFO, fdinfo and fstat all say what @e says. */
static void info_is_at(const char *file, int line, int fd, struct expect e)
{
	struct gmem_info info = gmem_info(fd), fdi = gmem_fdinfo(fd);
	struct gmem_info want = {
		.size = sizeof(want),
		.length = e.size,
		.create_flags = e.flags,
		.numa_mode = e.numa_mode,
		.allocated = e.allocated,
		.private_bytes = e.size - e.shared,
		.shared_bytes = e.shared,
		.allocated_private = e.allocated - e.alloc_shared,
		.allocated_shared = e.alloc_shared,
		.large_folios = e.large,
		.poisoned = e.poisoned,
	};
	struct stat st;

	/* Not predictable here (huge.c tests it); fdinfo must agree. */
	want.large_fallbacks = info.large_fallbacks;
	ASSERT_SYS(fstat(fd, &st));
	if (memcmp(&info, &want, sizeof(info))) {
		test_fail_at(file, line, "GMEM_INFO is not as expected");
		show_info("GMEM_INFO", &info);
		show_info("expected ", &want);
	}
	if (memcmp(&fdi, &info, sizeof(info))) {
		test_fail_at(file, line, "fdinfo differs from GMEM_INFO");
		show_info("fdinfo   ", &fdi);
		show_info("GMEM_INFO", &info);
	}
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
	/* an allocated page becomes shared: allocated_shared follows */
	CONVERT(fd, 0, pg, GMEM_SHARED);
	INFO_IS(fd, .size = size, .flags = flags, .allocated = 6 * pg,
		.shared = 17 * pg, .alloc_shared = pg);

	/* populate allocates the private pages it fills */
	POPULATE(fd, 40 * pg, 4 * pg, src);
	INFO_IS(fd, .size = size, .flags = flags, .allocated = 10 * pg,
		.shared = 17 * pg, .alloc_shared = pg);

	/* faults on shared pages allocate them */
	a = gmem_map(fd, size);
	for (int i = 16; i < 20; i++)
		a[i * pg] = 1;
	INFO_IS(fd, .size = size, .flags = flags, .allocated = 14 * pg,
		.shared = 17 * pg, .alloc_shared = 5 * pg);

	/* back to private, partly: bytes move, allocated stays */
	CONVERT(fd, 24 * pg, 8 * pg, GMEM_PRIVATE);
	INFO_IS(fd, .size = size, .flags = flags, .allocated = 14 * pg,
		.shared = 9 * pg, .alloc_shared = 5 * pg);
	CONVERT(fd, 18 * pg, 2 * pg, GMEM_PRIVATE);
	INFO_IS(fd, .size = size, .flags = flags, .allocated = 14 * pg,
		.shared = 7 * pg, .alloc_shared = 3 * pg);
	CONVERT(fd, 18 * pg, 2 * pg, GMEM_SHARED);
	INFO_IS(fd, .size = size, .flags = flags, .allocated = 14 * pg,
		.shared = 9 * pg, .alloc_shared = 5 * pg);

	/* punch across shared and private: state stays, memory goes */
	ASSERT_SYS(fallocate(fd, PUNCH, 0, 20 * pg));
	INFO_IS(fd, .size = size, .flags = flags, .allocated = 4 * pg,
		.shared = 9 * pg);

	/* the whole range one way, then the other */
	CONVERT(fd, 0, size, GMEM_SHARED);
	INFO_IS(fd, .size = size, .flags = flags, .allocated = 4 * pg,
		.shared = size, .alloc_shared = 4 * pg);
	CONVERT(fd, 0, size, GMEM_PRIVATE);
	INFO_IS(fd, .size = size, .flags = flags, .allocated = 4 * pg);

	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, size));
	INFO_IS(fd, .size = size, .flags = flags, .allocated = size);
	CONVERT(fd, size / 2, size / 2, GMEM_SHARED);
	INFO_IS(fd, .size = size, .flags = flags, .allocated = size,
		.shared = size / 2, .alloc_shared = size / 2);
	ASSERT_SYS(fallocate(fd, PUNCH, 0, size));
	INFO_IS(fd, .size = size, .flags = flags, .shared = size / 2);
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
		.shared = size, .alloc_shared = 4 * pg);
	EXPECT_ERRNO(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, size + pg), EINVAL);
	EXPECT_ERRNO(gmem_convert_raw(fd, 0, size + pg, GMEM_PRIVATE, 0),
		     EINVAL);
	EXPECT_ERRNO(gmem_populate_raw(fd, 0, pg, &fd, NULL), EINVAL);
	EXPECT_ERRNO(gmem_migrate_raw(fd, 0, size + pg, 0, NULL, NULL),
		     EINVAL);
	EXPECT_ERRNO(gmem_migrate_raw(fd, 0, size, UINT32_MAX, NULL, NULL),
		     EINVAL);
	INFO_IS(fd, .size = size, .flags = flags, .allocated = 4 * pg,
		.shared = size, .alloc_shared = 4 * pg);
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
	info = (void *)(p + pg);
	info->size = sizeof(*info);
	ASSERT_SYS(mprotect(p + pg, pg, PROT_READ));
	EXPECT_ERRNO(ioctl(fd, GMEM_INFO, p + pg), EFAULT);
	info = (void *)(p + pg - sizeof(*info) + 8);
	info->size = sizeof(*info);
	EXPECT_ERRNO(ioctl(fd, GMEM_INFO, info), EFAULT);
	/* the control: the same place, moved back into writable memory */
	info = (void *)(p + pg - sizeof(*info));
	info->size = sizeof(*info);
	ASSERT_SYS(ioctl(fd, GMEM_INFO, info));
	EXPECT_EQ(info->length, 4 * pg);
	/* and the first GMEM_INFO, which only writes */
	EXPECT_ERRNO(ioctl(fd, GMEM_INFO_V0, p + pg), EFAULT);
	EXPECT_ERRNO(ioctl(fd, GMEM_INFO_V0, p + pg - 64), EFAULT);
	ASSERT_SYS(ioctl(fd, GMEM_INFO_V0, p + pg - 72));
}

/*
 * The extensible struct: a size below the first version is EINVAL, one
 * above a page E2BIG, a larger struct works while its extra bytes are zero
 * (E2BIG otherwise) and gets back what the module knows, and the size it
 * filled; flags must be zero.  A refused call writes nothing.
 */
static void struct_sizes(void)
{
	long pg = page_size();
	unsigned char b[256] __attribute__((aligned(8)));
	struct gmem_info *info = (void *)b;
	int fd = gmem_new_flags(4 * pg, GMEM_CREATE_SHARED);

	EXPECT_EQ(GMEM_INFO_SIZE_VER0, sizeof(*info));
	CHECK_SIZED(fd, GMEM_INFO, sizeof(*info), GMEM_INFO_SIZE_VER0);
	/* the current size, the out fields junk on the way in */
	memset(b, 0x5a, sizeof(b));
	info->size = sizeof(*info);
	info->flags = 0;
	ASSERT_SYS(ioctl(fd, GMEM_INFO, b));
	EXPECT_EQ(info->size, sizeof(*info));
	EXPECT_EQ(info->length, 4 * pg);
	EXPECT_EQ(info->shared_bytes, 4 * pg);
	EXPECT_EQ(info->large_fallbacks, 0);
	EXPECT_EQ(b[sizeof(*info)], 0x5a);
	/* a larger struct gets the same */
	memset(b, 0, sizeof(b));
	info->size = sizeof(b);
	ASSERT_SYS(ioctl(fd, GMEM_INFO, b));
	EXPECT_EQ(info->size, sizeof(*info));
	EXPECT_EQ(info->length, 4 * pg);
	EXPECT_EQ(info->shared_bytes, 4 * pg);
}

/*
 * A program built against version 0.1.0 issues command 0x03, _IOR() of a
 * 72-byte struct without a size field: it gets those 72 bytes, the
 * fields from length to poisoned in that order, and not one byte more.
 */
static void first_version(void)
{
	long pg = page_size();
	int fd = gmem_new_flags(8 * pg, GMEM_CREATE_MMAP);
	struct info_v0 old;
	unsigned char buf[128];
	struct gmem_info now;

	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 3 * pg));
	CONVERT(fd, 2 * pg, 4 * pg, GMEM_SHARED);
	EXPECT_EQ(GMEM_INFO_V0, 0x8048b903UL);
	memset(buf, 0x77, sizeof(buf));
	ASSERT_SYS(ioctl(fd, GMEM_INFO_V0, buf));
	for (size_t j = sizeof(old); j < sizeof(buf); j++)
		if (buf[j] != 0x77)
			FAIL("byte %zu written", j);
	memcpy(&old, buf, sizeof(old));
	now = gmem_info(fd);
	EXPECT_EQ(old.size, 8 * pg);
	EXPECT_EQ(old.size, now.length);
	EXPECT_EQ(old.flags, GMEM_CREATE_MMAP);
	EXPECT_EQ(old.numa_mode, now.numa_mode);
	EXPECT_EQ(old.allocated, 3 * pg);
	EXPECT_EQ(old.private_bytes, 4 * pg);
	EXPECT_EQ(old.shared_bytes, 4 * pg);
	EXPECT_EQ(old.allocated_private, now.allocated_private);
	EXPECT_EQ(old.allocated_shared, pg);
	EXPECT_EQ(old.large_folios, now.large_folios);
	EXPECT_EQ(old.poisoned, now.poisoned);
	/* the bytes in the new struct's order, from length on */
	EXPECT_TRUE(!memcmp(buf, (unsigned char *)&now +
			    offsetof(struct gmem_info, length), sizeof(old)));
}

static void unknown_ioctl(void)
{
	const unsigned long cmds[] = {
		_IO(GMEM_IOCTL_TYPE, 0x04),
		_IOWR(GMEM_IOCTL_TYPE, 0x04, struct gmem_info),
		_IOWR(GMEM_IOCTL_TYPE, 0x05, struct gmem_migrate),
		_IOWR(GMEM_IOCTL_TYPE, 0xff, struct gmem_info),
		/* known numbers with the wrong size or direction */
		_IOR(GMEM_IOCTL_TYPE, 0x03, uint32_t),
		_IOW(GMEM_IOCTL_TYPE, 0x03, struct gmem_info),
		_IOWR(GMEM_IOCTL_TYPE, 0x01, uint64_t),
		_IOR(GMEM_IOCTL_TYPE, 0x02, struct gmem_populate),
		/* /dev/gmem's commands are not the memory fd's */
		GMEM_CREATE,
		GMEM_FEATURES,
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
	EXPECT_ERRNO(ioctl(dev, GMEM_MIGRATE, &buf), ENOTTY);
	INFO_IS(fd, .size = 4 * pg, .flags = GMEM_CREATE_MMAP);
}

/* A huge fd with a NUMA policy: numa_mode, large_folios, step by step. */
static void huge_numa(void)
{
	long pg = page_size();
	const uint64_t huge = GMEM_HUGE_SIZE, size = 4 * huge;
	const uint32_t flags = GMEM_CREATE_HUGE | GMEM_CREATE_MMAP;
	int node = __builtin_ctzll(numa_mem_mask());
	unsigned char *a;
	int fd;

	gmem_need_huge_blocks(8);
	fd = gmem_new_numa(size, flags, GMEM_NUMA_BIND, NODE_BIT(node));
	INFO_IS(fd, .size = size, .flags = flags,
		.numa_mode = GMEM_NUMA_BIND);
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, huge));
	INFO_IS(fd, .size = size, .flags = flags,
		.numa_mode = GMEM_NUMA_BIND, .allocated = huge, .large = 1);
	/* part of a block: small folios */
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, huge, 3 * pg));
	INFO_IS(fd, .size = size, .flags = flags,
		.numa_mode = GMEM_NUMA_BIND, .allocated = huge + 3 * pg,
		.large = 1);
	/* half of the folio shared, then all of it */
	CONVERT(fd, 0, huge / 2, GMEM_SHARED);
	INFO_IS(fd, .size = size, .flags = flags,
		.numa_mode = GMEM_NUMA_BIND, .allocated = huge + 3 * pg,
		.shared = huge / 2, .alloc_shared = huge / 2, .large = 1);
	CONVERT(fd, 0, 2 * huge, GMEM_SHARED);
	INFO_IS(fd, .size = size, .flags = flags,
		.numa_mode = GMEM_NUMA_BIND, .allocated = huge + 3 * pg,
		.shared = 2 * huge, .alloc_shared = huge + 3 * pg, .large = 1);
	/* a fault in an empty block of a huge fd allocates it whole */
	CONVERT(fd, 2 * huge, huge, GMEM_SHARED);
	a = gmem_map_aligned(fd, size, huge);
	a[2 * huge + 5 * pg] = 1;
	INFO_IS(fd, .size = size, .flags = flags,
		.numa_mode = GMEM_NUMA_BIND, .allocated = 2 * huge + 3 * pg,
		.shared = 3 * huge, .alloc_shared = 2 * huge + 3 * pg,
		.large = 2);
	/* a whole folio punched */
	ASSERT_SYS(fallocate(fd, PUNCH, 0, huge));
	INFO_IS(fd, .size = size, .flags = flags,
		.numa_mode = GMEM_NUMA_BIND, .allocated = huge + 3 * pg,
		.shared = 3 * huge, .alloc_shared = huge + 3 * pg, .large = 1);
	/* GMEM_MIGRATE to the node they are on changes nothing */
	EXPECT_EQ(MIGRATE(fd, 0, size, node), 0);
	INFO_IS(fd, .size = size, .flags = flags,
		.numa_mode = GMEM_NUMA_BIND, .allocated = huge + 3 * pg,
		.shared = 3 * huge, .alloc_shared = huge + 3 * pg, .large = 1);
	ASSERT_SYS(close(fd));

	/* each mode shows as itself */
	for (uint32_t mode = GMEM_NUMA_DEFAULT; mode <= GMEM_NUMA_INTERLEAVE;
	     mode++) {
		fd = gmem_new_numa(pg, 0, mode,
				   mode == GMEM_NUMA_DEFAULT ? 0 :
				   NODE_BIT(node));
		INFO_IS(fd, .size = pg, .numa_mode = mode);
		ASSERT_SYS(close(fd));
	}
}

/* In a child: MADV_HWPOISON the page at @p, then touch it. */
static void poison_child(unsigned char *p)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };
	volatile unsigned char v;

	sigaction(SIGBUS, &sa, NULL);
	if (madvise(p, page_size(), MADV_HWPOISON))
		_exit(errno == EINVAL ? 3 : 2);
	v = p[0];
	(void)v;
	_exit(1);	/* the touch worked: the page is still there */
}

static void poisoned(void)
{
	long pg = page_size();
	const uint64_t size = 8 * pg;
	const uint32_t flags = GMEM_CREATE_MMAP | GMEM_CREATE_SHARED;
	int fd = gmem_new_flags(size, flags), status;
	unsigned char *a = gmem_map(fd, size);
	struct gmem_stats st0, st;
	pid_t pid;

	fault_install();
	memset(a, 1, size);
	st0 = gmem_stats();
	INFO_IS(fd, .size = size, .flags = flags, .allocated = size,
		.shared = size, .alloc_shared = size);
	pid = ASSERT_SYS(fork());
	if (pid == 0)
		poison_child(a + 3 * pg);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
		test_skip("MADV_HWPOISON: EINVAL (no CONFIG_MEMORY_FAILURE)");
	if (WIFEXITED(status) && WEXITSTATUS(status) == 2)
		FAIL("madvise(MADV_HWPOISON) failed");
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGBUS)
		FAIL("the child that poisoned the page was not killed by SIGBUS (status %#x)",
		     status);

	/* the page is gone from allocated, and counted as poisoned */
	INFO_IS(fd, .size = size, .flags = flags, .allocated = size - pg,
		.shared = size, .alloc_shared = size - pg, .poisoned = pg);
	st = gmem_stats();
	EXPECT_EQ(st.poisoned_bytes, st0.poisoned_bytes + pg);
	EXPECT_EQ(st.allocated_bytes, st0.allocated_bytes - pg);
	/* fallocate leaves it alone */
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, size));
	INFO_IS(fd, .size = size, .flags = flags, .allocated = size - pg,
		.shared = size, .alloc_shared = size - pg, .poisoned = pg);
	/* punched, it is gone from poisoned too */
	ASSERT_SYS(fallocate(fd, PUNCH, 3 * pg, pg));
	INFO_IS(fd, .size = size, .flags = flags, .allocated = size - pg,
		.shared = size, .alloc_shared = size - pg);
	EXPECT_EQ(gmem_stats().poisoned_bytes, st0.poisoned_bytes);
	EXPECT_EQ(a[3 * pg], 0);
	INFO_IS(fd, .size = size, .flags = flags, .allocated = size,
		.shared = size, .alloc_shared = size);
}

static void stats_are_at(const char *file, int line, struct gmem_stats base,
			 const int *fds, unsigned int n)
{
	struct gmem_stats want = base, got = gmem_stats();

	for (unsigned int i = 0; i < n; i++) {
		struct gmem_info info = gmem_info(fds[i]);

		want.allocated_bytes += info.allocated;
		want.private_bytes += info.allocated_private;
		want.shared_bytes += info.allocated_shared;
		want.large_folios += info.large_folios;
		want.poisoned_bytes += info.poisoned;
		want.fds++;
	}
	if (memcmp(&got, &want, sizeof(got)))
		test_fail_at(file, line,
			     "%s: allocated_bytes %llu private_bytes %llu shared_bytes %llu large_folios %llu poisoned_bytes %llu fds %llu; expected %llu %llu %llu %llu %llu %llu",
			     GMEM_STATS_DIR, got.allocated_bytes,
			     got.private_bytes, got.shared_bytes,
			     got.large_folios, got.poisoned_bytes, got.fds,
			     want.allocated_bytes, want.private_bytes,
			     want.shared_bytes, want.large_folios,
			     want.poisoned_bytes, want.fds);
}

#define STATS_ARE(base, ...)						\
	stats_are_at(__FILE__, __LINE__, base, (const int[]){ __VA_ARGS__ }, \
		     ARRAY_SIZE(((const int[]){ __VA_ARGS__ })))

static void module_stats(void)
{
	long pg = page_size();
	const uint64_t huge = GMEM_HUGE_SIZE;
	struct gmem_stats base = gmem_stats();
	unsigned char *m;
	int a, b;

	test_diag("before: allocated_bytes %llu, fds %llu", base.allocated_bytes,
		  base.fds);
	gmem_need_huge_blocks(4);
	/* a private huge fd and a shared one */
	a = gmem_new_flags(2 * huge, GMEM_CREATE_HUGE);
	b = gmem_new_flags(16 * pg, GMEM_CREATE_MMAP | GMEM_CREATE_SHARED);
	STATS_ARE(base, a, b);
	ASSERT_SYS(fallocate(a, FALLOC_FL_KEEP_SIZE, 0, huge + 2 * pg));
	STATS_ARE(base, a, b);
	EXPECT_EQ(gmem_stats().large_folios, base.large_folios + 1);
	m = gmem_map(b, 16 * pg);
	memset(m, 1, 8 * pg);
	STATS_ARE(base, a, b);
	EXPECT_EQ(gmem_stats().shared_bytes, base.shared_bytes + 8 * pg);
	CONVERT(a, 0, huge / 2, GMEM_SHARED);
	CONVERT(b, 4 * pg, 8 * pg, GMEM_PRIVATE);
	STATS_ARE(base, a, b);
	EXPECT_EQ(gmem_stats().allocated_bytes,
		  base.allocated_bytes + huge + 10 * pg);
	/* closed (and unmapped): its share goes */
	ASSERT_SYS(munmap(m, 16 * pg));
	ASSERT_SYS(close(b));
	STATS_ARE(base, a);
	ASSERT_SYS(fallocate(a, PUNCH, 0, 2 * huge));
	STATS_ARE(base, a);
	ASSERT_SYS(close(a));
	STATS_ARE(base);
	EXPECT_EQ(gmem_stats().fds, base.fds);
}

static const struct test info_tests[] = {
	TEST("new fd: size, flags, nothing allocated, private or shared by flag",
	     new_fd),
	TEST("GMEM_INFO, fdinfo and st_blocks follow fallocate, punch, convert, populate, faults",
	     follows_steps),
	TEST("refused calls change none of the numbers", refused_calls),
	TEST("each fd its own numbers; a dup()ed fd the same", per_fd),
	TEST("unwritable argument: EFAULT", bad_pointer),
	TEST("struct size: EINVAL below 88, zero tail works and gets size 88, E2BIG for a non-zero tail or above a page, EINVAL for flags",
	     struct_sizes),
	TEST("the first GMEM_INFO (0x03, 72 bytes) is filled exactly as before",
	     first_version),
	TEST("unknown ioctl commands: ENOTTY, argument untouched", unknown_ioctl),
	TEST("a huge fd with a NUMA policy: numa_mode, large_folios and allocated_shared follow each step",
	     huge_numa),
	TEST("memory failure: poisoned counts the lost page until it is punched",
	     poisoned, .kmsg_allow = "hardware memory corruption"),
	TEST("sysfs stats: the sums over the open fds, as fds come, change and go",
	     module_stats),
};

DEFINE_SUITE(info_suite, "info", info_tests);
