// SPDX-License-Identifier: GPL-2.0
/*
 * mmap() of a gmem fd: shared pages round-trip through mappings and start
 * zeroed; private pages and pages past the end raise SIGBUS at exactly
 * the address touched, so nothing that walks a mapping (/proc/<pid>/mem,
 * process_vm_readv) reaches private memory either; punch and shared ->
 * private conversion take pages away from every process mapping them.
 * The mmap errnos: EINVAL (MAP_PRIVATE), ENODEV (no GMEM_CREATE_MMAP),
 * EPERM (PROT_EXEC).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "fault.h"
#include "gmemfd.h"

#define MMAP_SHARED_FD	(GMEM_CREATE_MMAP | GMEM_CREATE_SHARED)
#define RW		(PROT_READ | PROT_WRITE)

/* Some offset inside a page, so that si_addr is checked to the byte. */
#define IN_PAGE		123

static void round_trip_shared(void)
{
	long pg = page_size();
	size_t len = 8 * pg;
	int fd = gmem_new_flags(len, MMAP_SHARED_FD);
	unsigned char *a = gmem_map(fd, len), *b = gmem_map(fd, len), *c;

	fill_pattern(a, len, 1);
	/* a second mapping of the fd is the same memory */
	EXPECT_EQ(pattern_mismatch(b, len, 1), -1);
	fill_pattern(b + 5 * pg, pg, 2);
	EXPECT_EQ(pattern_mismatch(a + 5 * pg, pg, 2), -1);
	ASSERT_SYS(munmap(a, len));
	ASSERT_SYS(munmap(b, len));

	/* the memory is the fd's: it outlives the mappings */
	a = gmem_map(fd, len);
	EXPECT_EQ(pattern_mismatch(a, 5 * pg, 1), -1);
	EXPECT_EQ(pattern_mismatch(a + 5 * pg, pg, 2), -1);
	EXPECT_EQ(gmem_info(fd).allocated, len);

	/* a mapping at an offset sees the pages at that offset */
	c = mmap(NULL, 2 * pg, RW, MAP_SHARED, fd, 5 * pg);
	ASSERT_TRUE(c != MAP_FAILED);
	EXPECT_EQ(memcmp(c, a + 5 * pg, 2 * pg), 0);
	ASSERT_SYS(close(fd));
	/* and the mappings outlive the fd */
	EXPECT_EQ(pattern_mismatch(c, pg, 2), -1);
	EXPECT_EQ(memcmp(c + pg, a + 6 * pg, pg), 0);
}

/*
 * Fills and frees anonymous memory, so that the free lists hold pages
 * with data in them: a page gmem forgot to zero would show it.
 */
static void dirty_free_memory(size_t len)
{
	unsigned char *p = mmap(NULL, len, RW, MAP_PRIVATE | MAP_ANONYMOUS,
				-1, 0);

	ASSERT_TRUE(p != MAP_FAILED);
	memset(p, 0x6b, len);
	ASSERT_SYS(munmap(p, len));
}

static void new_pages_zero(void)
{
	long pg = page_size();
	size_t len = 4 * MiB;
	int fd, fd2;
	unsigned char *a;
	long long at;

	if (kernel_zeroes_allocations())
		test_diag("note: this kernel zeroes every allocation (init_on_alloc), so only a guest booted with init_on_alloc=0 can show gmem not zeroing");
	dirty_free_memory(32 * MiB);
	/* pages allocated by the fault itself */
	fd = gmem_new_flags(len, MMAP_SHARED_FD);
	a = gmem_map(fd, len);
	at = nonzero_at(a, len);
	if (at >= 0)
		FAIL("byte %#llx of a new shared page is %#x, not 0", at, a[at]);
	EXPECT_EQ(gmem_info(fd).allocated, len);

	/* pages allocated by fallocate() before the mapping */
	dirty_free_memory(32 * MiB);
	fd2 = gmem_new_flags(len, MMAP_SHARED_FD);
	ASSERT_SYS(fallocate(fd2, FALLOC_FL_KEEP_SIZE, 0, len));
	a = gmem_map(fd2, len);
	at = nonzero_at(a, len);
	if (at >= 0)
		FAIL("byte %#llx of a fallocated page is %#x, not 0", at, a[at]);

	/* pages that were private, never touched, then converted */
	fd = gmem_new_flags(len, GMEM_CREATE_MMAP);
	CONVERT(fd, pg, len - pg, GMEM_SHARED);
	a = gmem_map(fd, len);
	at = nonzero_at(a + pg, len - pg);
	if (at >= 0)
		FAIL("byte %#llx of a converted page is %#x, not 0", at,
		     a[pg + at]);
}

static void round_trip_converted(void)
{
	long pg = page_size();
	int fd = gmem_new_flags(4 * pg, GMEM_CREATE_MMAP);
	unsigned char *a = gmem_map(fd, 4 * pg);
	struct gmem_info info;

	/* mapped while every page is private: nothing is reachable */
	for (int i = 0; i < 4; i++)
		EXPECT_SIGBUS(a + i * pg + IN_PAGE, false);

	CONVERT(fd, pg, 2 * pg, GMEM_SHARED);
	info = gmem_info(fd);
	EXPECT_EQ(info.shared_bytes, 2 * pg);
	EXPECT_EQ(info.private_bytes, 2 * pg);

	/* the same mapping now reaches the shared pages */
	EXPECT_EQ(nonzero_at(a + pg, 2 * pg), -1);
	fill_pattern(a + pg, 2 * pg, 3);
	EXPECT_EQ(pattern_mismatch(a + pg, 2 * pg, 3), -1);
	/* and still not their private neighbours */
	EXPECT_SIGBUS(a + IN_PAGE, false);
	EXPECT_SIGBUS(a + IN_PAGE, true);
	EXPECT_SIGBUS(a + 3 * pg + IN_PAGE, false);
	EXPECT_SIGBUS(a + 3 * pg + IN_PAGE, true);
	EXPECT_EQ(gmem_info(fd).allocated, 2 * pg);

	/* a new mapping sees what the first one wrote */
	ASSERT_SYS(munmap(a, 4 * pg));
	a = gmem_map(fd, 4 * pg);
	EXPECT_EQ(pattern_mismatch(a + pg, 2 * pg, 3), -1);
	EXPECT_SIGBUS(a + IN_PAGE, false);
}

static void map_private_einval(void)
{
	long pg = page_size();
	int fd = gmem_new_flags(4 * pg, MMAP_SHARED_FD);
	void *p;

	EXPECT_ERRNO((long)mmap(NULL, 4 * pg, RW, MAP_PRIVATE, fd, 0), EINVAL);
	EXPECT_ERRNO((long)mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, 0),
		     EINVAL);
	EXPECT_ERRNO((long)mmap(NULL, pg, PROT_READ,
				MAP_PRIVATE | MAP_POPULATE, fd, pg), EINVAL);
	/* the refusal is about MAP_PRIVATE: MAP_SHARED of the same works */
	p = mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, 0);
	EXPECT_TRUE(p != MAP_FAILED);
	/* nothing was allocated by the refused calls */
	EXPECT_EQ(gmem_info(fd).allocated, 0);
}

static void no_mmap_flag_enodev(void)
{
	long pg = page_size();
	int fd = gmem_new_flags(4 * pg, GMEM_CREATE_SHARED);
	int fd2 = gmem_new_flags(4 * pg, 0);

	EXPECT_ERRNO((long)mmap(NULL, 4 * pg, RW, MAP_SHARED, fd, 0), ENODEV);
	EXPECT_ERRNO((long)mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, pg),
		     ENODEV);
	/* shared pages of a private fd do not make it mappable either */
	CONVERT(fd2, 0, 4 * pg, GMEM_SHARED);
	EXPECT_ERRNO((long)mmap(NULL, 4 * pg, RW, MAP_SHARED, fd2, 0), ENODEV);
	/* and the same with GMEM_CREATE_MMAP works */
	ASSERT_SYS(close(fd));
	fd = gmem_new_flags(4 * pg, MMAP_SHARED_FD);
	EXPECT_TRUE(mmap(NULL, 4 * pg, RW, MAP_SHARED, fd, 0) != MAP_FAILED);
}

static void prot_exec_eperm(void)
{
	long pg = page_size();
	int fd = gmem_new_flags(4 * pg, MMAP_SHARED_FD);
	void *p;

	EXPECT_ERRNO((long)mmap(NULL, pg, PROT_READ | PROT_EXEC, MAP_SHARED,
				fd, 0), EPERM);
	EXPECT_ERRNO((long)mmap(NULL, pg, PROT_EXEC, MAP_SHARED, fd, 0), EPERM);
	EXPECT_ERRNO((long)mmap(NULL, pg, RW | PROT_EXEC, MAP_SHARED, fd, 0),
		     EPERM);
	/* nor can a mapping be made executable afterwards */
	p = gmem_map(fd, pg);
	EXPECT_ERRNO(mprotect(p, pg, PROT_READ | PROT_EXEC), EACCES);
	EXPECT_ACCESS(p, true);
}

static void sigbus_private(void)
{
	long pg = page_size();
	int fd = gmem_new_flags(4 * pg, GMEM_CREATE_MMAP);
	unsigned char *a = gmem_map(fd, 4 * pg);
	struct gmem_info info;

	for (int i = 0; i < 4; i++) {
		EXPECT_SIGBUS_CODE(a + i * pg, false, BUS_ADRERR);
		EXPECT_SIGBUS_CODE(a + i * pg + IN_PAGE, true, BUS_ADRERR);
		EXPECT_SIGBUS_CODE(a + (i + 1) * pg - 1, false, BUS_ADRERR);
	}
	/* a refused fault allocates nothing and changes no state */
	info = gmem_info(fd);
	EXPECT_EQ(info.allocated, 0);
	EXPECT_EQ(info.private_bytes, 4 * pg);

	/* allocated private memory is refused the same way */
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 4 * pg));
	EXPECT_SIGBUS_CODE(a + 2 * pg + IN_PAGE, false, BUS_ADRERR);
	EXPECT_SIGBUS_CODE(a + 2 * pg + IN_PAGE, true, BUS_ADRERR);
}

static void sigbus_past_end(void)
{
	long pg = page_size();
	int fd = gmem_new_flags(2 * pg, MMAP_SHARED_FD);
	unsigned char *a = mmap(NULL, 4 * pg, RW, MAP_SHARED, fd, 0);

	ASSERT_TRUE(a != MAP_FAILED);
	EXPECT_ACCESS(a + IN_PAGE, true);
	EXPECT_ACCESS(a + 2 * pg - 1, true);
	EXPECT_SIGBUS_CODE(a + 2 * pg, false, BUS_ADRERR);
	EXPECT_SIGBUS_CODE(a + 2 * pg + IN_PAGE, true, BUS_ADRERR);
	EXPECT_SIGBUS_CODE(a + 3 * pg + IN_PAGE, false, BUS_ADRERR);
	EXPECT_SIGBUS_CODE(a + 4 * pg - 1, true, BUS_ADRERR);
	EXPECT_EQ(gmem_info(fd).allocated, 2 * pg);

	/* a mapping that starts past the end: every page */
	a = mmap(NULL, pg, RW, MAP_SHARED, fd, 8 * pg);
	if (a != MAP_FAILED)
		EXPECT_SIGBUS_CODE(a + IN_PAGE, false, BUS_ADRERR);
	EXPECT_EQ(gmem_info(fd).allocated, 2 * pg);
}

/*
 * Page 0 shared with a known pattern, page 1 private with a secret: the
 * shared page is the control that shows each method does read memory.
 */
static void remote_access(void)
{
	long pg = page_size();
	int fd = gmem_new_flags(2 * pg, GMEM_CREATE_MMAP);
	unsigned char *a, *priv, *secret = xmalloc(pg), buf[2][64];
	struct iovec local[2], remote[2];
	int mem = ASSERT_SYS(open("/proc/self/mem", O_RDWR | O_CLOEXEC));
	ssize_t n;

	fill_pattern(secret, pg, 7);
	POPULATE(fd, pg, pg, secret);
	CONVERT(fd, 0, pg, GMEM_SHARED);
	a = gmem_map(fd, 2 * pg);
	priv = a + pg;
	fill_pattern(a, pg, 8);

	/* the controls: both methods read a shared page */
	memset(buf, 0xee, sizeof(buf));
	EXPECT_EQ(pread(mem, buf[0], 64, (off_t)(uintptr_t)a), 64);
	EXPECT_EQ(memcmp(buf[0], a, 64), 0);
	memset(buf, 0xee, sizeof(buf));
	local[0] = (struct iovec){ buf[0], 64 };
	remote[0] = (struct iovec){ a, 64 };
	EXPECT_EQ(process_vm_readv(getpid(), local, 1, remote, 1, 0), 64);
	EXPECT_EQ(memcmp(buf[0], a, 64), 0);

	/* /proc/self/mem (FOLL_FORCE) cannot read the private page */
	memset(buf, 0xee, sizeof(buf));
	errno = 0;
	n = pread(mem, buf[0], 64, (off_t)(uintptr_t)(priv + IN_PAGE));
	if (n != -1 || errno != EIO)
		test_fail_at(__FILE__, __LINE__,
			     "pread of a private page from /proc/self/mem: expected -1 with EIO, got %zd (%s)",
			     n, errno_name(errno));
	for (size_t i = 0; i < 64; i++)
		if (buf[0][i] != 0xee)
			FAIL("byte %zu of the buffer changed: data came back", i);
	/* a read from the shared page into it stops where private starts */
	n = pread(mem, buf[1], 64, (off_t)(uintptr_t)(priv - 32));
	EXPECT_EQ(n, 32);
	EXPECT_EQ(memcmp(buf[1], priv - 32, 32), 0);
	for (size_t i = 32; i < 64; i++)
		if (buf[1][i] != 0xee)
			FAIL("byte %zu of the buffer changed: private data came back",
			     i);

	/* process_vm_readv cannot either */
	memset(buf, 0xee, sizeof(buf));
	local[0] = (struct iovec){ buf[0], 64 };
	remote[0] = (struct iovec){ priv + IN_PAGE, 64 };
	EXPECT_ERRNO(process_vm_readv(getpid(), local, 1, remote, 1, 0),
		     EFAULT);
	/* shared then private: only the shared part comes back */
	local[1] = (struct iovec){ buf[1], 64 };
	remote[0] = (struct iovec){ a, 64 };
	remote[1] = (struct iovec){ priv, 64 };
	EXPECT_EQ(process_vm_readv(getpid(), local, 2, remote, 2, 0), 64);
	EXPECT_EQ(memcmp(buf[0], a, 64), 0);
	for (size_t i = 0; i < 64; i++)
		if (buf[1][i] != 0xee)
			FAIL("byte %zu of the private page's buffer changed", i);

	/* nor write it */
	memset(buf, 0x11, sizeof(buf));
	errno = 0;
	n = pwrite(mem, buf[0], 64, (off_t)(uintptr_t)priv);
	if (n != -1 || errno != EIO)
		test_fail_at(__FILE__, __LINE__,
			     "pwrite of a private page through /proc/self/mem: expected -1 with EIO, got %zd (%s)",
			     n, errno_name(errno));
	local[0] = (struct iovec){ buf[0], 64 };
	remote[0] = (struct iovec){ priv, 64 };
	EXPECT_ERRNO(process_vm_writev(getpid(), local, 1, remote, 1, 0),
		     EFAULT);

	/* the secret is untouched: look at it by making it shared */
	CONVERT(fd, pg, pg, GMEM_SHARED);
	EXPECT_EQ(pattern_mismatch(priv, pg, 7), -1);
}

static void punch_mapped(void)
{
	long pg = page_size();
	size_t len = 8 * pg;
	int fd = gmem_new_flags(len, MMAP_SHARED_FD);
	unsigned char *a = gmem_map(fd, len), *b = gmem_map(fd, len);

	fill_pattern_at(a, len, fd, 0, 4);
	/* both mappings have every page mapped */
	EXPECT_EQ(pattern_mismatch_at(b, len, fd, 0, 4), -1);
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE,
			     2 * pg, 3 * pg));
	EXPECT_EQ(gmem_info(fd).allocated, 5 * pg);

	/*
	 * The pages before and after the hole keep what was written, in
	 * both mappings: checked against the pattern, not one mapping
	 * against the other (they show the same pages whatever happened).
	 */
	EXPECT_EQ(pattern_mismatch_at(a, 2 * pg, fd, 0, 4), -1);
	EXPECT_EQ(pattern_mismatch_at(b, 2 * pg, fd, 0, 4), -1);
	EXPECT_EQ(pattern_mismatch_at(a + 5 * pg, 3 * pg, fd, 5 * pg, 4), -1);
	EXPECT_EQ(pattern_mismatch_at(b + 5 * pg, 3 * pg, fd, 5 * pg, 4), -1);
	EXPECT_EQ(gmem_info(fd).allocated, 5 * pg);
	/* re-touched, the punched pages are new and zeroed, in both */
	EXPECT_EQ(nonzero_at(a + 2 * pg, 3 * pg), -1);
	EXPECT_EQ(nonzero_at(b + 2 * pg, 3 * pg), -1);
	EXPECT_EQ(gmem_info(fd).allocated, len);

	/* and usable: a write through one shows through the other */
	fill_pattern(a + 3 * pg, pg, 5);
	EXPECT_EQ(pattern_mismatch(b + 3 * pg, pg, 5), -1);
}

/* Child: wait for @go, touch @p; exit 0 on SIGBUS at @p, else 1. */
static noreturn void child_expects_sigbus(int go, unsigned char *p)
{
	struct fault f;
	char c;

	if (read(go, &c, 1) != 1)
		_exit(3);
	fault_install();
	f = fault_read(p, NULL);
	if (f.sig == SIGBUS && f.addr == (void *)p)
		_exit(0);
	test_diag("child: read of %p after the conversion: %s", (void *)p,
		  fault_str(f));
	_exit(1);
}

static void to_private_while_mapped_twice(void)
{
	long pg = page_size();
	size_t len = 4 * pg;
	int fd = gmem_new_flags(len, MMAP_SHARED_FD);
	unsigned char *a = gmem_map(fd, len);
	int ready[2], go[2], status;
	pid_t pid;
	char c;

	fill_pattern(a, len, 6);
	ASSERT_SYS(pipe(ready));
	ASSERT_SYS(pipe(go));
	pid = ASSERT_SYS(fork());
	if (pid == 0) {
		/* the child maps the pages too: fault them into its tables */
		if (pattern_mismatch(a, len, 6) != -1)
			_exit(2);
		if (write(ready[1], "r", 1) != 1)
			_exit(3);
		child_expects_sigbus(go[0], a + pg + IN_PAGE);
	}
	ASSERT_EQ(read(ready[0], &c, 1), 1);
	EXPECT_EQ(pattern_mismatch(a, len, 6), -1);

	CONVERT(fd, 0, len, GMEM_PRIVATE);
	ASSERT_EQ(write(go[1], "g", 1), 1);
	for (int i = 0; i < 4; i++)
		EXPECT_SIGBUS(a + i * pg + IN_PAGE, false);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		FAIL("the child still reached the page after the conversion (status %#x)",
		     status);

	/* converting back gives the contents back, through the old mapping */
	CONVERT(fd, 0, len, GMEM_SHARED);
	EXPECT_EQ(pattern_mismatch(a, len, 6), -1);
}

static const struct test mmap_tests[] = {
	TEST("shared fd: mmap round trip, two mappings, outlives fd and mappings",
	     round_trip_shared),
	TEST("new shared pages read zero (fault, fallocate, conversion)",
	     new_pages_zero, .zeroing = true),
	TEST("pages converted to shared: round trip; private neighbours SIGBUS",
	     round_trip_converted),
	TEST("MAP_PRIVATE: EINVAL", map_private_einval),
	TEST("fd without GMEM_CREATE_MMAP: ENODEV", no_mmap_flag_enodev),
	TEST("PROT_EXEC: EPERM; mprotect to exec refused", prot_exec_eperm),
	TEST("private page: SIGBUS at the address touched, nothing allocated",
	     sigbus_private),
	TEST("past the end of the fd: SIGBUS at the address touched",
	     sigbus_past_end),
	TEST("/proc/self/mem and process_vm_readv/writev: private page unreachable",
	     remote_access),
	TEST("punch a mapped range: re-touch reads zero in every mapping",
	     punch_mapped, .zeroing = true),
	TEST("shared -> private while mapped by parent and fork()ed child: both SIGBUS",
	     to_private_while_mapped_twice),
};

DEFINE_SUITE(mmap_suite, "mmap", mmap_tests);
