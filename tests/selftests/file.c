// SPDX-License-Identifier: GPL-2.0
/*
 * The gmem fd as a file: what fstat says; that read(), write() and their
 * kinds reach it but copy nothing of private memory (rw.c has the shared
 * pages they copy); that it seeks like a file of its fixed size; and
 * that no other path copies its memory (splice, sendfile) or maps it
 * without GMEM_CREATE_MMAP.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "check.h"
#include "gmemfd.h"

static void fstat_fields(void)
{
	long pg = page_size();
	int fd = gmem_new(3 * MiB);
	struct stat st;

	ASSERT_SYS(fstat(fd, &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_EQ(st.st_size, 3 * MiB);
	EXPECT_EQ(st.st_blksize, pg);
	EXPECT_EQ(st.st_blocks, 0);
}

/* Every fd is its own inode: its own size, page cache and accounting. */
static void own_inode(void)
{
	const unsigned long long sizes[] = { 1 * MiB, 2 * MiB, 1 * MiB };
	struct stat st[ARRAY_SIZE(sizes)];

	for (unsigned int i = 0; i < ARRAY_SIZE(sizes); i++) {
		ASSERT_SYS(fstat(gmem_new(sizes[i]), &st[i]));
		EXPECT_EQ(st[i].st_size, sizes[i]);
		for (unsigned int j = 0; j < i; j++)
			EXPECT_NE(st[i].st_ino, st[j].st_ino);
	}
}

/*
 * Every page of a new fd is private: read(), write() and the vector
 * calls reach the fd and are refused there, allocated page or not,
 * copying nothing and allocating nothing.
 */
static void read_write(void)
{
	char buf[64], junk[64];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	int fd = gmem_new(MiB);

	memset(buf, 0x5a, sizeof(buf));
	memcpy(junk, buf, sizeof(buf));
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, page_size()));
	EXPECT_ERRNO(read(fd, buf, sizeof(buf)), EACCES);
	EXPECT_ERRNO(write(fd, buf, sizeof(buf)), EACCES);
	EXPECT_ERRNO(readv(fd, &iov, 1), EACCES);
	EXPECT_ERRNO(writev(fd, &iov, 1), EACCES);
	ASSERT_EQ(lseek(fd, page_size(), SEEK_SET), page_size());
	EXPECT_ERRNO(read(fd, buf, sizeof(buf)), EACCES);
	EXPECT_ERRNO(write(fd, buf, sizeof(buf)), EACCES);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), page_size());
	EXPECT_EQ(memcmp(buf, junk, sizeof(buf)), 0);
	EXPECT_EQ(gmem_blocks(fd), page_size() / 512);
}

/*
 * The fd has a position now, so positioned I/O reaches it too: EACCES
 * on its private pages; at the end of the fd nothing to read and no
 * room to write.
 */
static void pread_pwrite(void)
{
	char buf[64], junk[64];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	int fd = gmem_new(MiB);

	memset(buf, 0x5a, sizeof(buf));
	memcpy(junk, buf, sizeof(buf));
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, page_size()));
	EXPECT_ERRNO(pread(fd, buf, sizeof(buf), 0), EACCES);
	EXPECT_ERRNO(pwrite(fd, buf, sizeof(buf), 0), EACCES);
	EXPECT_ERRNO(pread(fd, buf, sizeof(buf), page_size()), EACCES);
	EXPECT_ERRNO(pwrite(fd, buf, sizeof(buf), page_size() + 1), EACCES);
	EXPECT_ERRNO(preadv(fd, &iov, 1, 0), EACCES);
	EXPECT_ERRNO(pwritev(fd, &iov, 1, 0), EACCES);
	EXPECT_EQ(pread(fd, buf, sizeof(buf), MiB), 0);
	EXPECT_ERRNO(pwrite(fd, buf, sizeof(buf), MiB), ENOSPC);
	EXPECT_ERRNO(pread(fd, buf, sizeof(buf), -1), EINVAL);
	EXPECT_EQ(memcmp(buf, junk, sizeof(buf)), 0);
	EXPECT_EQ(gmem_blocks(fd), page_size() / 512);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 0);
}

/*
 * The fd GMEM_CREATE returns seeks (it did not before it could be read):
 * positions 0 to the size, and SEEK_DATA and SEEK_HOLE over its pages.
 */
static void lseek_positions(void)
{
	long pg = page_size();
	int fd = gmem_new(MiB);

	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 0);
	EXPECT_EQ(lseek(fd, pg, SEEK_SET), pg);
	EXPECT_EQ(lseek(fd, pg, SEEK_CUR), 2 * pg);
	EXPECT_EQ(lseek(fd, 0, SEEK_END), MiB);
	EXPECT_ERRNO(lseek(fd, MiB + 1, SEEK_SET), EINVAL);
	EXPECT_ERRNO(lseek(fd, -1, SEEK_SET), EINVAL);
	EXPECT_ERRNO(lseek(fd, 0, SEEK_DATA), ENXIO);
	EXPECT_EQ(lseek(fd, 0, SEEK_HOLE), 0);
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 2 * pg, pg));
	EXPECT_EQ(lseek(fd, 0, SEEK_DATA), 2 * pg);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 2 * pg);
	EXPECT_EQ(lseek(fd, 2 * pg, SEEK_HOLE), 3 * pg);
	EXPECT_ERRNO(lseek(fd, MiB, SEEK_DATA), ENXIO);
	EXPECT_ERRNO(lseek(fd, MiB, SEEK_HOLE), ENXIO);
}

static void __attribute__((format(printf, 7, 8)))
mmap_fails_at(const char *file, int line, int fd, int prot, int flags,
	      off_t off, const char *what, ...)
{
	char desc[96];
	va_list ap;
	void *p;

	va_start(ap, what);
	vsnprintf(desc, sizeof(desc), what, ap);
	va_end(ap);

	errno = 0;
	p = mmap(NULL, page_size(), prot, flags, fd, off);
	if (p != MAP_FAILED) {
		test_fail_at(file, line, "mmap %s: expected ENODEV, got %p",
			     desc, p);
		munmap(p, page_size());
	} else if (errno != ENODEV) {
		test_fail_at(file, line, "mmap %s: expected ENODEV, got %s",
			     desc, errno_name(errno));
	}
}

#define EXPECT_MMAP_FAILS(fd, prot, flags, off)				\
	mmap_fails_at(__FILE__, __LINE__, fd, prot, flags, off,		\
		      "%s, %s, offset %lld", #prot, #flags, (long long)(off))

/*
 * No mapping of any kind in this milestone.  PROT_EXEC is left out: the
 * pseudo filesystem is noexec, so the VFS answers EPERM before asking us.
 */
static void mmap_refused(void)
{
	long pg = page_size();
	int fd = gmem_new(MiB);

	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 2 * pg));
	EXPECT_MMAP_FAILS(fd, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	EXPECT_MMAP_FAILS(fd, PROT_READ, MAP_SHARED, 0);
	EXPECT_MMAP_FAILS(fd, PROT_NONE, MAP_SHARED, 0);
	EXPECT_MMAP_FAILS(fd, PROT_READ | PROT_WRITE, MAP_SHARED, pg);
	EXPECT_MMAP_FAILS(fd, PROT_READ | PROT_WRITE, MAP_SHARED, 4 * pg);
	EXPECT_MMAP_FAILS(fd, PROT_READ | PROT_WRITE, MAP_SHARED_VALIDATE, 0);
	EXPECT_MMAP_FAILS(fd, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_POPULATE, 0);
	EXPECT_MMAP_FAILS(fd, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0);
	EXPECT_MMAP_FAILS(fd, PROT_READ, MAP_PRIVATE, 0);
	EXPECT_MMAP_FAILS(fd, PROT_NONE, MAP_PRIVATE, 0);
	EXPECT_MMAP_FAILS(fd, PROT_READ, MAP_PRIVATE | MAP_NORESERVE, pg);
}

/* A memfd with a page of data: a file that splice and sendfile accept. */
static int memfd_with_data(void)
{
	char buf[4096] = { 'x' };
	int fd = ASSERT_SYS(memfd_create("gmem-test", MFD_CLOEXEC));

	ASSERT_EQ(ASSERT_SYS(write(fd, buf, sizeof(buf))), sizeof(buf));
	ASSERT_SYS(lseek(fd, 0, SEEK_SET));
	return fd;
}

static void splice_sendfile_from(void)
{
	long pg = page_size();
	int fd = gmem_new(MiB), mfd = memfd_with_data(), pipefd[2];

	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, pg));
	ASSERT_SYS(pipe2(pipefd, O_CLOEXEC | O_NONBLOCK));
	EXPECT_ERRNO(splice(fd, NULL, pipefd[1], NULL, pg, 0), EINVAL);
	EXPECT_ERRNO(sendfile(pipefd[1], fd, NULL, pg), EINVAL);
	EXPECT_ERRNO(sendfile(mfd, fd, NULL, pg), EINVAL);
	EXPECT_EQ(gmem_blocks(fd), pg / 512);
}

/* Nor can memory be written through the splice paths. */
static void splice_sendfile_into(void)
{
	long pg = page_size();
	int fd = gmem_new(MiB), mfd = memfd_with_data(), pipefd[2];
	char buf[64] = { 'y' };

	ASSERT_SYS(pipe2(pipefd, O_CLOEXEC | O_NONBLOCK));
	ASSERT_SYS(write(pipefd[1], buf, sizeof(buf)));
	EXPECT_ERRNO(splice(pipefd[0], NULL, fd, NULL, sizeof(buf), 0),
		     EINVAL);
	EXPECT_ERRNO(sendfile(fd, mfd, NULL, pg), EINVAL);
	EXPECT_EQ(gmem_blocks(fd), 0);
}

/*
 * The size is fixed at creation (uAPI: "Fixed for the life of the fd"),
 * so truncation must fail, whatever its errno, and free nothing.
 */
static void ftruncate_refused(void)
{
	long pg = page_size();
	int fd = gmem_new(MiB);
	struct stat st;

	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, pg));
	EXPECT_EQ(ftruncate(fd, 0), -1);
	EXPECT_EQ(ftruncate(fd, 2 * MiB), -1);
	ASSERT_SYS(fstat(fd, &st));
	EXPECT_EQ(st.st_size, MiB);
	EXPECT_EQ(st.st_blocks, pg / 512);
}

static const struct test file_tests[] = {
	TEST("fstat: S_ISREG, size, blksize, no blocks", fstat_fields),
	TEST("every fd has its own inode and size", own_inode),
	TEST("read, write, readv, writev of private pages: EACCES, nothing copied",
	     read_write),
	TEST("pread, pwrite, preadv, pwritev reach the fd: EACCES on private pages, 0 and ENOSPC at the end",
	     pread_pwrite),
	TEST("lseek: positions 0 to the size, SEEK_DATA and SEEK_HOLE", lseek_positions),
	TEST("ENODEV for mmap, any flags", mmap_refused),
	TEST("EINVAL for splice and sendfile from it",
	     splice_sendfile_from),
	TEST("EINVAL for splice and sendfile into it",
	     splice_sendfile_into),
	TEST("ftruncate fails and changes nothing", ftruncate_refused),
};

DEFINE_SUITE(file_suite, "file", file_tests);
