// SPDX-License-Identifier: GPL-2.0
/*
 * GMEM_FEATURES: what it reports is exactly what the module does.  Every
 * GMEM_CREATE flag, NUMA mode, GMEM_CONVERT, GMEM_MIGRATE, GMEM_DIRTY_LOG,
 * GMEM_POPULATE, GMEM_QUERY and GMEM_INFO flag it reports is accepted and
 * every other bit or mode refused; every command
 * number it reports is served on that file and every other one is ENOTTY;
 * every file operation it reports (fd_ops) works on a memory fd, and
 * GMEM_QUERY answers only in the states it reports; the struct sizes it
 * reports are the ones GMEM_CREATE and GMEM_INFO read and write.  And its
 * own extensible struct: sizes, tails (a caller of the first version gets
 * that much), flags, EFAULT.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "gmemfd.h"
#include "numa.h"
#include "suites.h"

/* The first GMEM_INFO, as a program built against version 0.1.0 has it. */
#define GMEM_INFO_V0	_IOC(_IOC_READ, GMEM_IOCTL_TYPE, 0x03, 72)

/* What this version of the module supports: the report, pinned. */
static void reports_this_module(void)
{
	struct gmem_features f = gmem_features();

	EXPECT_EQ(f.size, GMEM_FEATURES_SIZE_VER2);
	EXPECT_EQ(f.flags, 0);
	EXPECT_EQ(f.dev_ioctls, 1ULL << _IOC_NR(GMEM_CREATE) |
				1ULL << _IOC_NR(GMEM_FEATURES));
	EXPECT_EQ(f.fd_ioctls, 1ULL << _IOC_NR(GMEM_CONVERT) |
			       1ULL << _IOC_NR(GMEM_POPULATE) |
			       1ULL << _IOC_NR(GMEM_INFO_V0) |
			       1ULL << _IOC_NR(GMEM_MIGRATE) |
			       1ULL << _IOC_NR(GMEM_INFO) |
			       1ULL << _IOC_NR(GMEM_QUERY) |
			       1ULL << _IOC_NR(GMEM_DIRTY_LOG) |
			       1ULL << _IOC_NR(GMEM_MISSING_ARM) |
			       1ULL << _IOC_NR(GMEM_MISSING_EVENTS));
	EXPECT_EQ(f.create_flags, GMEM_CREATE_MMAP | GMEM_CREATE_SHARED |
				  GMEM_CREATE_HUGE | GMEM_CREATE_DIRTY_LOG);
	EXPECT_EQ(f.create_size, sizeof(struct gmem_create));
	EXPECT_EQ(f.numa_modes, 1U << GMEM_NUMA_DEFAULT | 1U << GMEM_NUMA_BIND |
				1U << GMEM_NUMA_PREFERRED |
				1U << GMEM_NUMA_INTERLEAVE);
	EXPECT_EQ(f.info_size, sizeof(struct gmem_info));
	EXPECT_EQ(f.convert_flags, GMEM_CONVERT_ZERO);
	EXPECT_EQ(f.migrate_flags, GMEM_MIGRATE_COLLAPSE);
	EXPECT_EQ(f.fd_ops, GMEM_FD_READ_WRITE | GMEM_FD_SEEK_HOLE);
	EXPECT_EQ(f.query_states, GMEM_PAGE_SHARED | GMEM_PAGE_ALLOCATED |
				  GMEM_PAGE_HUGE | GMEM_PAGE_POISONED |
				  GMEM_PAGE_MISSING);
	EXPECT_EQ(f.dirty_log_flags, GMEM_DIRTY_LOG_CLEAR);
	EXPECT_EQ(f.populate_flags, 0);
	EXPECT_EQ(f.query_flags, 0);
	EXPECT_EQ(f.info_flags, 0);
}

static void create_flags_as_reported(void)
{
	struct gmem_features f = gmem_features();
	int dev = gmem_open_dev();

	for (unsigned int bit = 0; bit < 32; bit++) {
		struct gmem_create c = {
			.size = sizeof(c), .flags = 1U << bit,
			.length = page_size(),
		};
		int fd = ioctl(dev, GMEM_CREATE, &c);

		test_diag("flag bit %u", bit);
		if (f.create_flags & c.flags) {
			EXPECT_TRUE(fd >= 0);
			if (fd >= 0)
				EXPECT_EQ(gmem_info(fd).create_flags & c.flags,
					  c.flags);
		} else {
			EXPECT_TRUE(fd < 0 && errno == EINVAL);
		}
		if (fd >= 0)
			close(fd);
	}
	/* all of them together */
	close(ASSERT_SYS(gmem_new_flags(page_size(), f.create_flags)));
}

static void numa_modes_as_reported(void)
{
	struct gmem_features f = gmem_features();
	uint64_t mask = numa_mem_mask() & -numa_mem_mask();	/* one node */

	for (unsigned int mode = 0; mode < 40; mode++) {
		/* a mask for every mode but the default, which takes none */
		int fd = gmem_create_numa_raw(page_size(), 0, mode,
					      mode == GMEM_NUMA_DEFAULT ? 0 : mask);

		test_diag("numa_mode %u", mode);
		if (mode < 32 && f.numa_modes & 1U << mode)
			EXPECT_TRUE(fd >= 0);
		else
			EXPECT_TRUE(fd < 0 && errno == EINVAL);
		if (fd >= 0)
			close(fd);
	}
}

static void convert_flags_as_reported(void)
{
	struct gmem_features f = gmem_features();
	long pg = page_size();
	int fd = gmem_new_flags(4 * pg, 0);

	for (unsigned int bit = 0; bit < 32; bit++) {
		int ret = gmem_convert_raw(fd, 0, pg, GMEM_SHARED, 1U << bit);

		test_diag("flag bit %u", bit);
		if (f.convert_flags & 1U << bit) {
			EXPECT_EQ(ret, 0);
			ASSERT_SYS(gmem_convert_raw(fd, 0, pg, GMEM_PRIVATE, 0));
		} else {
			EXPECT_TRUE(ret < 0 && errno == EINVAL);
		}
	}
}

static void migrate_flags_as_reported(void)
{
	struct gmem_features f = gmem_features();
	uint64_t mask = numa_mem_mask();
	unsigned int node = __builtin_ctzll(mask);
	int fd = gmem_new_flags(GMEM_HUGE_SIZE, GMEM_CREATE_HUGE);

	for (unsigned int bit = 0; bit < 32; bit++) {
		struct gmem_migrate m = {
			.length = GMEM_HUGE_SIZE, .node = node,
			.flags = 1U << bit,
		};
		int ret = ioctl(fd, GMEM_MIGRATE, &m);

		test_diag("flag bit %u", bit);
		if (f.migrate_flags & 1U << bit)
			EXPECT_EQ(ret, 0);
		else
			EXPECT_TRUE(ret < 0 && errno == EINVAL);
	}
}

/*
 * The flags of GMEM_DIRTY_LOG, GMEM_POPULATE, GMEM_QUERY and GMEM_INFO:
 * each call is one that works without flags, so a refusal can only be the
 * flag's.  A reported flag must work, every other bit must be EINVAL and
 * change nothing (the populate source differs from what the page holds).
 */
static void ioctl_flags_as_reported(void)
{
	struct gmem_features f = gmem_features();
	long pg = page_size();
	int logged = gmem_new_flags(4 * pg, GMEM_CREATE_DIRTY_LOG);
	int fd = gmem_new_flags(4 * pg, GMEM_CREATE_MMAP);
	unsigned char *src = xmalloc(pg);
	uint64_t bitmap;

	memset(src, 0x5a, pg);
	for (unsigned int bit = 0; bit < 32; bit++) {
		uint32_t flag = 1U << bit;
		struct gmem_dirty_log d = {
			.length = 4 * pg, .bitmap = (uintptr_t)&bitmap,
			.flags = flag,
		};
		struct gmem_populate p = {
			.offset = pg, .length = pg, .uaddr = (uintptr_t)src,
			.flags = flag,
		};
		struct gmem_query_run run;
		struct gmem_query q = {
			.length = 4 * pg, .runs = (uintptr_t)&run, .nr_runs = 1,
			.flags = flag,
		};
		struct gmem_info info = { .size = sizeof(info), .flags = flag };
		int ret;

		test_diag("flag bit %u", bit);
		ret = ioctl(logged, GMEM_DIRTY_LOG, &d);
		if (f.dirty_log_flags & flag)
			EXPECT_EQ(ret, 0);
		else
			EXPECT_TRUE(ret < 0 && errno == EINVAL);

		ret = ioctl(fd, GMEM_POPULATE, &p);
		if (f.populate_flags & flag) {
			EXPECT_EQ(ret, 0);
		} else {
			EXPECT_TRUE(ret < 0 && errno == EINVAL);
			EXPECT_EQ(p.copied, 0);
			EXPECT_EQ(gmem_info(fd).allocated, 0);
		}

		ret = ioctl(fd, GMEM_QUERY, &q);
		if (f.query_flags & flag)
			EXPECT_EQ(ret, 0);
		else
			EXPECT_TRUE(ret < 0 && errno == EINVAL);

		ret = ioctl(fd, GMEM_INFO, &info);
		if (f.info_flags & flag)
			EXPECT_EQ(ret, 0);
		else
			EXPECT_TRUE(ret < 0 && errno == EINVAL);
	}
	/* the calls refused only for their flags: without, each works */
	EXPECT_EQ(ioctl(logged, GMEM_DIRTY_LOG, &(struct gmem_dirty_log){
			.length = 4 * pg, .bitmap = (uintptr_t)&bitmap }), 0);
	EXPECT_EQ(ioctl(fd, GMEM_POPULATE, &(struct gmem_populate){
			.offset = pg, .length = pg, .uaddr = (uintptr_t)src }), 0);
	EXPECT_EQ(gmem_info(fd).allocated, pg);
	free(src);
}

/*
 * A call of command @nr with a zeroed argument: whatever it answers (most
 * refuse the zeroes with EINVAL), it must not be ENOTTY.
 */
static unsigned long command_of(int nr, bool on_dev)
{
	static const unsigned long dev_cmds[] = { GMEM_CREATE, GMEM_FEATURES };
	static const unsigned long fd_cmds[] = {
		GMEM_CONVERT, GMEM_POPULATE, GMEM_INFO_V0, GMEM_MIGRATE,
		GMEM_INFO, GMEM_QUERY, GMEM_DIRTY_LOG, GMEM_MISSING_ARM,
		GMEM_MISSING_EVENTS,
	};
	const unsigned long *cmds = on_dev ? dev_cmds : fd_cmds;
	unsigned int n = on_dev ? ARRAY_SIZE(dev_cmds) : ARRAY_SIZE(fd_cmds);

	for (unsigned int i = 0; i < n; i++)
		if ((int)_IOC_NR(cmds[i]) == nr)
			return cmds[i];
	return 0;
}

static void ioctls_as_reported_on(int file, uint64_t reported, bool on_dev)
{
	unsigned char arg[4096] __attribute__((aligned(8)));

	for (int nr = 0; nr < 256; nr++) {
		unsigned long cmd = command_of(nr, on_dev);
		bool rep = nr < 64 && reported & 1ULL << nr;

		if (rep && !cmd) {
			FAIL("command number %#x reported; this test knows none",
			     nr);
		} else if (rep) {
			memset(arg, 0, sizeof(arg));
			errno = 0;
			if (ioctl(file, cmd, arg) < 0 && errno == ENOTTY)
				FAIL("reported command %#lx: ENOTTY", cmd);
			continue;
		}
		if (cmd)
			FAIL("command %#lx served but not reported", cmd);
		/* every encoding of an unreported number is unknown */
		for (unsigned int dir = 0; dir < 4; dir++) {
			unsigned long c = _IOC(dir, GMEM_IOCTL_TYPE, nr,
					       dir ? 72 : 0);

			memset(arg, 0, sizeof(arg));
			EXPECT_ERRNO(ioctl(file, c, arg), ENOTTY);
		}
	}
}

static void ioctls_as_reported(void)
{
	struct gmem_features f = gmem_features();
	int dev = gmem_open_dev();
	int fd = gmem_new_flags(4 * page_size(), 0);

	/* no command number is served on both */
	EXPECT_EQ(f.dev_ioctls & f.fd_ioctls, 0);
	ioctls_as_reported_on(dev, f.dev_ioctls, true);
	ioctls_as_reported_on(fd, f.fd_ioctls, false);
}

/*
 * Every fd_ops bit reported works on a memory fd, the one GMEM_CREATE
 * returns and a reopened one (an unknown bit fails the test: it would
 * need a check here); GMEM_QUERY answers in reported states only.
 */
static void fd_ops_as_reported(void)
{
	struct gmem_features f = gmem_features();
	long pg = page_size();
	const uint32_t flags = GMEM_CREATE_MMAP | GMEM_CREATE_SHARED;
	int fd = gmem_new_flags(4 * pg, flags);
	int files[2] = { fd, gmem_reopen(fd, O_RDWR) };
	struct gmem_query_run runs[8];
	uint32_t n = 0;
	char buf[8] = { 0 };

	for (unsigned int bit = 0; bit < 32; bit++) {
		uint32_t op = 1U << bit;

		if (!(f.fd_ops & op))
			continue;
		test_diag("fd_ops bit %u", bit);
		for (unsigned int i = 0; i < ARRAY_SIZE(files); i++) {
			int file = files[i];

			switch (op) {
			case GMEM_FD_READ_WRITE:
				EXPECT_EQ(pwrite(file, "gmem", 4, pg + i), 4);
				EXPECT_EQ(pread(file, buf, 4, pg + i), 4);
				EXPECT_EQ(memcmp(buf, "gmem", 4), 0);
				EXPECT_EQ(lseek(file, 3, SEEK_SET), 3);
				EXPECT_EQ(write(file, "x", 1), 1);
				EXPECT_EQ(lseek(file, 0, SEEK_CUR), 4);
				break;
			case GMEM_FD_SEEK_HOLE:
				ASSERT_SYS(fallocate(file, FALLOC_FL_KEEP_SIZE,
						     2 * pg, pg));
				EXPECT_EQ(lseek(file, 2 * pg, SEEK_DATA),
					  2 * pg);
				EXPECT_EQ(lseek(file, 2 * pg, SEEK_HOLE),
					  3 * pg);
				break;
			default:
				FAIL("fd_ops bit %u reported; this test knows none",
				     bit);
			}
		}
	}
	/* the states of shared pages with and without memory, private ones */
	CONVERT(fd, 3 * pg, pg, GMEM_PRIVATE);
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 3 * pg, pg));
	ASSERT_SYS(gmem_query_raw(fd, 0, 4 * pg, runs, ARRAY_SIZE(runs), &n,
				  NULL));
	ASSERT_TRUE(n >= 1 && n <= ARRAY_SIZE(runs));
	for (uint32_t i = 0; i < n; i++) {
		test_diag("run %u: state %#x", i, runs[i].state);
		EXPECT_EQ(runs[i].state & ~f.query_states, 0);
	}
}

/* The sizes reported are the ones GMEM_CREATE reads and GMEM_INFO fills. */
static void sizes_as_reported(void)
{
	struct gmem_features f = gmem_features();
	unsigned char buf[512] __attribute__((aligned(8)));
	struct gmem_create *c = (void *)buf;
	struct gmem_info *info = (void *)buf;
	int dev = gmem_open_dev();
	int fd;

	ASSERT_TRUE(f.create_size + 8 <= sizeof(buf));
	ASSERT_TRUE(f.info_size + 8 <= sizeof(buf));

	/* GMEM_CREATE: zero past create_size works, a byte there is E2BIG */
	memset(buf, 0, sizeof(buf));
	c->size = f.create_size + 8;
	c->length = page_size();
	close(ASSERT_SYS(ioctl(dev, GMEM_CREATE, buf)));
	buf[f.create_size] = 1;
	EXPECT_ERRNO(ioctl(dev, GMEM_CREATE, buf), E2BIG);

	/* GMEM_INFO: a larger struct gets info_size bytes and says so */
	fd = gmem_new_flags(4 * page_size(), 0);
	memset(buf, 0, sizeof(buf));
	info->size = f.info_size + 8;
	ASSERT_SYS(ioctl(fd, GMEM_INFO, buf));
	EXPECT_EQ(info->size, f.info_size);
	EXPECT_EQ(info->length, 4 * page_size());
}

/* GMEM_FEATURES's own struct: sizes, tail, flags. */
static void own_struct(void)
{
	unsigned char b[256] __attribute__((aligned(8)));
	struct gmem_features *f = (void *)b;
	int dev = gmem_open_dev();

	CHECK_SIZED(dev, GMEM_FEATURES, sizeof(*f), GMEM_FEATURES_SIZE_VER0);
	/* the out fields are ignored on the way in */
	memset(b, 0xff, sizeof(b));
	f->size = sizeof(*f);
	f->flags = 0;
	ASSERT_SYS(ioctl(dev, GMEM_FEATURES, b));
	EXPECT_EQ(f->size, sizeof(*f));
	EXPECT_EQ(f->create_flags, gmem_features().create_flags);
	EXPECT_EQ(b[sizeof(*f)], 0xff);
	/* a larger struct gets the same */
	memset(b, 0, sizeof(b));
	f->size = sizeof(b);
	ASSERT_SYS(ioctl(dev, GMEM_FEATURES, b));
	EXPECT_EQ(f->size, sizeof(*f));
	EXPECT_EQ(f->dev_ioctls, gmem_features().dev_ioctls);
}

/*
 * A program built against an earlier struct (48 bytes, before fd_ops and
 * query_states; 56, before the ioctls' flags) gets that many bytes and no
 * more, its size unchanged.
 */
static void earlier_versions(void)
{
	static const uint32_t sizes[] = {
		GMEM_FEATURES_SIZE_VER0, GMEM_FEATURES_SIZE_VER1,
	};
	unsigned char b[GMEM_FEATURES_SIZE_VER2 + 8] __attribute__((aligned(8)));
	struct gmem_features *f = (void *)b;
	struct gmem_features all = gmem_features();
	int dev = gmem_open_dev();

	for (unsigned int v = 0; v < ARRAY_SIZE(sizes); v++) {
		uint32_t size = sizes[v];

		test_diag("%u-byte struct", size);
		memset(b, 0xff, sizeof(b));
		f->size = size;
		f->flags = 0;
		ASSERT_SYS(ioctl(dev, GMEM_FEATURES, b));
		EXPECT_EQ(f->size, size);
		EXPECT_EQ(memcmp(b + 4, (unsigned char *)&all + 4, size - 4), 0);
		for (unsigned int i = size; i < sizeof(b); i++)
			if (b[i] != 0xff)
				FAIL("byte %u past the %u-byte struct written",
				     i, size);
	}
}

static void bad_pointer(void)
{
	long pg = page_size();
	unsigned char *p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct gmem_features *f;
	int dev = gmem_open_dev();

	ASSERT_TRUE(p != MAP_FAILED);
	EXPECT_ERRNO(ioctl(dev, GMEM_FEATURES, NULL), EFAULT);
	EXPECT_ERRNO(ioctl(dev, GMEM_FEATURES, (void *)0xffffffff81000000UL),
		     EFAULT);
	/* readable, not writable: the answer cannot be given */
	f = (void *)(p + pg);
	f->size = sizeof(*f);
	ASSERT_SYS(mprotect(p + pg, pg, PROT_READ));
	EXPECT_ERRNO(ioctl(dev, GMEM_FEATURES, f), EFAULT);
	/* the size readable, the rest not */
	ASSERT_SYS(mprotect(p + pg, pg, PROT_NONE));
	f = (void *)(p + pg - 8);
	f->size = sizeof(*f);
	f->flags = 0;
	EXPECT_ERRNO(ioctl(dev, GMEM_FEATURES, f), EFAULT);
}

static const struct test features_tests[] = {
	TEST("reports this module: commands, flags, NUMA modes, sizes",
	     reports_this_module),
	TEST("every reported GMEM_CREATE flag works, every other bit EINVAL",
	     create_flags_as_reported),
	TEST("every reported NUMA mode works, every other mode EINVAL",
	     numa_modes_as_reported),
	TEST("every reported GMEM_CONVERT flag works, every other bit EINVAL",
	     convert_flags_as_reported),
	TEST("every reported GMEM_MIGRATE flag works, every other bit EINVAL",
	     migrate_flags_as_reported),
	TEST("every reported GMEM_DIRTY_LOG, GMEM_POPULATE, GMEM_QUERY and GMEM_INFO flag works, every other bit EINVAL",
	     ioctl_flags_as_reported),
	TEST("every reported command is served, every other number ENOTTY",
	     ioctls_as_reported),
	TEST("every reported fd_ops bit works on both memory fds; GMEM_QUERY answers in reported states",
	     fd_ops_as_reported),
	TEST("create_size and info_size are what GMEM_CREATE reads and GMEM_INFO fills",
	     sizes_as_reported),
	TEST("its struct: EINVAL below 48, a zero tail works, E2BIG for a non-zero tail or above a page, EINVAL for flags",
	     own_struct),
	TEST("its 48- and 56-byte earlier versions get that many bytes back, nothing past them",
	     earlier_versions),
	TEST("EFAULT for an unreadable or unwritable argument", bad_pointer),
};

DEFINE_SUITE(features_suite, "features", features_tests);
