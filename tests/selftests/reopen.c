// SPDX-License-Identifier: GPL-2.0
/*
 * A gmem fd opened again through /proc/<pid>/fd/<n>: what a VMM that
 * takes a file name (QEMU's memory-backend-file) does with an fd it
 * inherited.  The new file is the same memory, shared and private alike,
 * under the same rules; it opens read-write only, and has a position of
 * its own, as the fd GMEM_CREATE returns has (QEMU sizes its backing
 * store with lseek(SEEK_END)).  Closing either leaves the other working,
 * and the last close frees everything.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "fault.h"
#include "gmemfd.h"
#include "modctl.h"

#define MMAP_SHARED_FD	(GMEM_CREATE_MMAP | GMEM_CREATE_SHARED)
#define RW		(PROT_READ | PROT_WRITE)
#define GMEM_MODULE	"gmem"

/* open("/proc/<pid>/fd/<fd>", @flags); the raw result. */
static int reopen_raw(pid_t pid, int fd, int flags)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, fd);
	return open(path, flags);
}

static int reopen(int fd)
{
	return ASSERT_SYS(reopen_raw(getpid(), fd, O_RDWR | O_CLOEXEC));
}

static void same_memory(void)
{
	long pg = page_size();
	size_t len = 16 * pg;
	int fd = gmem_new_flags(len, MMAP_SHARED_FD), r;
	unsigned char *a = gmem_map(fd, len), *b;
	struct stat sa, sb;
	struct gmem_info ia, ib;

	fill_pattern_at(a, 4 * pg, fd, 0, 1);
	r = reopen(fd);
	ASSERT_SYS(fstat(fd, &sa));
	ASSERT_SYS(fstat(r, &sb));
	EXPECT_TRUE(S_ISREG(sb.st_mode));
	EXPECT_EQ(sb.st_ino, sa.st_ino);
	EXPECT_EQ(sb.st_dev, sa.st_dev);
	EXPECT_EQ(sb.st_size, len);
	EXPECT_EQ(sb.st_blocks, 4 * pg / 512);

	/* a mapping of either is the same pages */
	b = gmem_map(r, len);
	EXPECT_EQ(pattern_mismatch_at(b, 4 * pg, fd, 0, 1), -1);
	fill_pattern_at(b + 8 * pg, 2 * pg, fd, 8 * pg, 2);
	EXPECT_EQ(pattern_mismatch_at(a + 8 * pg, 2 * pg, fd, 8 * pg, 2), -1);

	/* and every call on it reaches the same inode */
	ia = gmem_info(fd);
	ib = gmem_info(r);
	EXPECT_EQ(ib.allocated, 6 * pg);
	EXPECT_EQ(memcmp(&ia, &ib, sizeof(ia)), 0);
	EXPECT_EQ(gmem_fdinfo(r).allocated, 6 * pg);
	ASSERT_SYS(fallocate(r, FALLOC_FL_KEEP_SIZE, 12 * pg, 2 * pg));
	EXPECT_EQ(gmem_info(fd).allocated, 8 * pg);
	ASSERT_SYS(fallocate(r, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE,
			     0, pg));
	EXPECT_EQ(nonzero_at(a, pg), -1);
	EXPECT_EQ(gmem_blocks(fd), 8 * pg / 512);

	/* converting through one takes the page from the other's mapping */
	CONVERT(r, 2 * pg, pg, GMEM_PRIVATE);
	EXPECT_SIGBUS(a + 2 * pg, false);
	EXPECT_SIGBUS(b + 2 * pg, true);
	CONVERT(fd, 2 * pg, pg, GMEM_SHARED);
	EXPECT_EQ(pattern_mismatch_at(b + 2 * pg, pg, fd, 2 * pg, 1), -1);
}

/* Private pages are no more reachable through the new file. */
static void private_stays_private(void)
{
	long pg = page_size();
	size_t len = 8 * pg;
	int fd = gmem_new_flags(len, GMEM_CREATE_MMAP), r, plain;
	unsigned char *src = pattern_pages(pg, 3), *b;

	POPULATE(fd, 0, pg, src);
	r = reopen(fd);
	b = gmem_map(r, len);
	EXPECT_SIGBUS(b, false);
	EXPECT_SIGBUS(b + pg, true);
	EXPECT_EQ(gmem_info(fd).allocated, pg);
	CONVERT(r, 0, pg, GMEM_SHARED);
	EXPECT_EQ(memcmp(b, src, pg), 0);

	/* the new file maps only what the old one may */
	plain = gmem_new_flags(len, 0);
	r = reopen(plain);
	EXPECT_TRUE(mmap(NULL, len, RW, MAP_SHARED, r, 0) == MAP_FAILED);
	EXPECT_EQ(errno, ENODEV);
	r = reopen(fd);
	EXPECT_TRUE(mmap(NULL, len, RW, MAP_PRIVATE, r, 0) == MAP_FAILED);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_TRUE(mmap(NULL, len, PROT_READ | PROT_EXEC, MAP_SHARED, r, 0) ==
		    MAP_FAILED);
	EXPECT_EQ(errno, EPERM);
}

static void file_rules(void)
{
	long pg = page_size();
	size_t len = 4 * pg;
	int fd = gmem_new_flags(len, MMAP_SHARED_FD), r;
	char buf[64] = "reopened";

	/* read-write only; the size is fixed */
	EXPECT_ERRNO(reopen_raw(getpid(), fd, O_RDONLY), EACCES);
	EXPECT_ERRNO(reopen_raw(getpid(), fd, O_WRONLY), EACCES);
	EXPECT_ERRNO(reopen_raw(getpid(), fd, O_RDWR | O_TRUNC), EINVAL);
	EXPECT_ERRNO(reopen_raw(getpid(), fd, O_RDWR | O_DIRECT), EINVAL);
	r = reopen(fd);
	EXPECT_ERRNO(ftruncate(r, 2 * len), EINVAL);
	EXPECT_ERRNO(ftruncate(r, 0), EINVAL);
	EXPECT_EQ(gmem_info(r).length, len);

	/* shared pages copied to and from the memory, by either file */
	EXPECT_EQ(write(r, buf, sizeof(buf)), sizeof(buf));
	EXPECT_EQ(lseek(r, 0, SEEK_CUR), sizeof(buf));
	EXPECT_EQ(pwrite(r, buf, sizeof(buf), pg + 1), sizeof(buf));
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(pread(fd, buf, sizeof(buf), pg + 1), sizeof(buf));
	EXPECT_EQ(strcmp(buf, "reopened"), 0);
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(read(fd, buf, sizeof(buf)), sizeof(buf));
	EXPECT_EQ(strcmp(buf, "reopened"), 0);
	EXPECT_EQ(gmem_info(fd).allocated, 2 * pg);
	CONVERT(fd, 0, pg, GMEM_PRIVATE);
	EXPECT_ERRNO(pread(r, buf, sizeof(buf), 0), EACCES);
	EXPECT_ERRNO(pwrite(r, buf, sizeof(buf), 0), EACCES);

	/* positions from 0 to the size, for QEMU's lseek(SEEK_END) */
	EXPECT_EQ(lseek(r, 0, SEEK_END), len);
	EXPECT_EQ(lseek(r, pg, SEEK_SET), pg);
	EXPECT_EQ(lseek(r, pg, SEEK_CUR), 2 * pg);
	EXPECT_EQ(lseek(r, -(off_t)pg, SEEK_END), len - pg);
	EXPECT_ERRNO(lseek(r, len + 1, SEEK_SET), EINVAL);
	EXPECT_ERRNO(lseek(r, -1, SEEK_SET), EINVAL);
	/* data: the two pages written; the private one is data too */
	EXPECT_EQ(lseek(r, 0, SEEK_DATA), 0);
	EXPECT_EQ(lseek(r, 0, SEEK_HOLE), 2 * pg);
	EXPECT_ERRNO(lseek(r, 2 * pg, SEEK_DATA), ENXIO);
	/* the fd GMEM_CREATE made has its own position */
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), sizeof(buf));
	EXPECT_EQ(lseek(fd, 0, SEEK_END), len);
	EXPECT_EQ(lseek(fd, pg + 5, SEEK_DATA), pg + 5);
	EXPECT_EQ(lseek(r, 0, SEEK_CUR), 2 * pg);
}

/* Either file keeps the memory; the last close frees it and the module. */
static void lifetime(void)
{
	long pg = page_size();
	size_t len = 64 * pg;
	int refs = modctl_refcnt(GMEM_MODULE), refs_fd, fd, r, r2;
	struct gmem_stats before = gmem_stats();
	unsigned char *b;

	fd = gmem_new_flags(len, MMAP_SHARED_FD);
	/* one more each (the first fd may also have mounted the fs) */
	refs_fd = modctl_refcnt(GMEM_MODULE);
	EXPECT_GT(refs_fd, refs);
	r = reopen(fd);
	r2 = reopen(r);
	EXPECT_EQ(modctl_refcnt(GMEM_MODULE), refs_fd + 2);
	EXPECT_EQ(gmem_stats().fds, before.fds + 1);
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, len));
	b = gmem_map(r, len);
	fill_pattern_at(b, len, fd, 0, 4);
	ASSERT_SYS(munmap(b, len));
	ASSERT_SYS(close(fd));
	ASSERT_SYS(close(r));
	EXPECT_EQ(gmem_info(r2).allocated, len);
	b = gmem_map(r2, len);
	EXPECT_EQ(pattern_mismatch_id(b, len, gmem_fd_id(r2), 0, 4), -1);
	ASSERT_SYS(munmap(b, len));
	ASSERT_SYS(close(r2));
	EXPECT_EQ(modctl_refcnt(GMEM_MODULE), refs);
	EXPECT_EQ(gmem_stats().fds, before.fds);
	EXPECT_EQ(gmem_stats().allocated_bytes, before.allocated_bytes);
}

/*
 * What QEMU does: a child that inherited the fd across exec() opens
 * /proc/self/fd/<n>, maps it and writes; the parent sees the data and
 * the allocation through its own fd.
 */
static void inherited_across_exec(void)
{
	long pg = page_size();
	size_t len = 32 * pg;
	int fd = gmem_new_flags(len, MMAP_SHARED_FD), status;
	char script[256];
	unsigned char *a;
	pid_t pid;

	ASSERT_SYS(fcntl(fd, F_SETFD, 0));
	/* a shell (busybox in the guests) opens it read-write as fd 7 */
	snprintf(script, sizeof(script),
		 "exec 7<>/proc/self/fd/%d && [ -e /proc/self/fd/7 ]", fd);
	pid = ASSERT_SYS(fork());
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", script, (char *)NULL);
		_exit(127);
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* a child of our own doing what QEMU does after exec */
	pid = ASSERT_SYS(fork());
	if (pid == 0) {
		int r = reopen_raw(getpid(), fd, O_RDWR);
		unsigned char *m;

		if (r < 0 || lseek(r, 0, SEEK_END) != (off_t)len)
			_exit(2);
		m = mmap(NULL, len, RW, MAP_SHARED, r, 0);
		if (m == MAP_FAILED)
			_exit(3);
		fill_pattern_at(m, len, fd, 0, 5);
		_exit(0);
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ(gmem_info(fd).allocated, len);
	a = gmem_map(fd, len);
	EXPECT_EQ(pattern_mismatch_at(a, len, fd, 0, 5), -1);
}

static const struct test reopen_tests[] = {
	TEST("/proc/self/fd reopen: same inode and memory, calls on either",
	     same_memory),
	TEST("reopen: private pages SIGBUS, mmap rules as the fd's",
	     private_stays_private),
	TEST("reopen: O_RDWR only, fixed size, read and write of shared pages, a position of its own",
	     file_rules),
	TEST("reopen: either file keeps the memory, the last close frees it",
	     lifetime),
	TEST("reopen: a child inheriting the fd across exec opens and maps it",
	     inherited_across_exec),
};

DEFINE_SUITE(reopen_suite, "reopen", reopen_tests);
