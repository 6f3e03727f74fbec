// SPDX-License-Identifier: GPL-2.0
/*
 * gmem's trace events through tracefs: every event is there with its
 * fields, and each operation logs its event with the right values, the fd
 * named by its inode number (st_ino): create and release, fallocate and
 * the folios it allocates, punch, conversion and its result, faults,
 * populate, read and write, the consumer's bind, resolve (the lockless
 * path told apart from the locked one), invalidations and unbind, memory
 * failure and migration.  With the events disabled nothing is logged, and
 * a filter on ino keeps other fds' events out.
 *
 * Each test records into a tracefs instance of its own, so the global
 * buffer (and anyone reading it) is left alone; tracefs is mounted at
 * /sys/kernel/tracing if it is not yet, and the test skips if the kernel
 * has none.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "check.h"
#include "ct.h"
#include "fault.h"
#include "gmemfd.h"
#include "hwpoison.h"
#include "numa.h"
#include "suites.h"

#define TRACEFS		"/sys/kernel/tracing"
#define INSTANCE	TRACEFS "/instances/gmem-selftests"
#define PUNCH		(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE)

/* The kernel's reports of (injected) memory failure. */
#define HWPOISON_KMSG	"hardware memory corruption"

/* vm_fault_t bits gmem_fault's ret shows (the same since 2.6). */
#define VM_FAULT_SIGBUS	0x002
#define VM_FAULT_LOCKED	0x200

/* Every event and each of its fields, as its tracefs format names them. */
static const struct {
	const char *event;
	const char *fields[9];
} events[] = {
	{ "gmem_create", { "ino", "fd", "flags", "numa_mode", "size" } },
	{ "gmem_release", { "ino", "nr_pages" } },
	{ "gmem_alloc", { "ino", "index", "order", "node", "ret" } },
	{ "gmem_fallocate", { "ino", "start", "end", "ret" } },
	{ "gmem_punch", { "ino", "start", "end", "nr_pages" } },
	{ "gmem_convert", { "ino", "start", "end", "to_shared", "zero", "ret" } },
	{ "gmem_fault", { "ino", "index", "order", "ret" } },
	{ "gmem_populate", { "ino", "start", "end", "copied", "ret" } },
	{ "gmem_read", { "ino", "index", "offset", "bytes", "ret" } },
	{ "gmem_write", { "ino", "index", "offset", "bytes", "ret" } },
	{ "gmem_resolve", { "ino", "bind_start", "index", "pfn", "order",
			    "shared", "fast", "ret" } },
	{ "gmem_bind", { "ino", "bind_start", "bind_end", "ret" } },
	{ "gmem_unbind", { "ino", "bind_start", "bind_end", "ret" } },
	{ "gmem_invalidate_begin", { "ino", "bind_start", "start", "end",
				     "flags" } },
	{ "gmem_invalidate_end", { "ino", "bind_start", "start", "end",
				   "flags" } },
	{ "gmem_memory_failure", { "ino", "start", "end", "pfn", "ret" } },
	{ "gmem_migrate", { "ino", "start", "end", "moved", "collapsed",
			    "node", "collapse", "ret" } },
	{ "gmem_missing_arm", { "ino", "start", "end", "armed", "disarm",
				"ret" } },
	{ "gmem_missing_touch", { "ino", "index", "source", "reported",
				  "ret" } },
	{ "gmem_missing_fill", { "ino", "start", "end", "nr" } },
};

/* ---- tracefs ---- */

/* Writes @s to @path; 0 or the errno. */
static int put_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC), err = 0;

	if (fd < 0)
		return errno;
	if (write(fd, s, strlen(s)) < 0)
		err = errno;
	close(fd);
	return err;
}

static void put(const char *path, const char *s)
{
	int err = put_file(path, s);

	if (err)
		FAIL("writing \"%s\" to %s: %s", s, path, errno_name(err));
}

/* All of @path, NUL-terminated (freed by the caller). */
static char *slurp(const char *path)
{
	size_t len = 0, cap = 1 << 16;
	char *buf = xmalloc(cap);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		FAIL("open %s: %s", path, errno_name(errno));
	for (;;) {
		if (cap - len < 4096) {
			cap *= 2;
			buf = realloc(buf, cap);
			ASSERT_TRUE(buf != NULL);
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0)
			FAIL("read %s: %s", path, errno_name(errno));
		if (!n)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

/* tracefs mounted, with gmem's events: or the test skips (no tracefs). */
static void tracefs_need(void)
{
	if (access(TRACEFS "/instances", F_OK)) {
		if (mount("nodev", TRACEFS, "tracefs", 0, NULL))
			test_skip("no tracefs: mount at %s: %s", TRACEFS,
				  errno_name(errno));
	}
	if (access(TRACEFS "/events/gmem", F_OK))
		FAIL("gmem is loaded but %s/events/gmem is missing: %s",
		     TRACEFS, errno_name(errno));
}

static void instance_remove(void)
{
	if (rmdir(INSTANCE) && errno != ENOENT)
		FAIL("rmdir %s: %s", INSTANCE, errno_name(errno));
}

/*
 * Enabling an event in an instance created with the global record-cmd
 * option on also hooks sched_switch (to remember task names), which
 * live-patches __schedule on every enable and disable.  Under QEMU's
 * multi-threaded TCG a vCPU now and then executes the int3 of such a patch
 * after the kernel finished it ("Oops: int3" in __schedule): the same
 * emulator fault scripts/kvm/README.md describes for KVM's static keys.
 * The events need no task names, so the instance is made without them.
 * The test's cleanup runs in a process of its own, so a file, not a
 * variable, remembers to put the option back.
 */
#define RECORD_CMD	TRACEFS "/options/record-cmd"
#define RECORD_CMD_WAS_ON	"/tmp/gmem-selftests-record-cmd"

static void record_cmd_off(void)
{
	char c = '0';
	int fd = open(RECORD_CMD, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;		/* no such option: nothing hooks sched_switch */
	if (read(fd, &c, 1) != 1)
		c = '0';
	close(fd);
	if (c != '1')
		return;
	fd = open(RECORD_CMD_WAS_ON, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		FAIL("creating %s: %s", RECORD_CMD_WAS_ON, errno_name(errno));
	close(fd);
	put(RECORD_CMD, "0");
}

static void record_cmd_restore(void)
{
	if (access(RECORD_CMD_WAS_ON, F_OK))
		return;
	put(RECORD_CMD, "1");
	ASSERT_SYS(unlink(RECORD_CMD_WAS_ON));
}

/* A new instance of our own with every gmem event on, its buffer empty. */
static void trace_start(void)
{
	tracefs_need();
	if (rmdir(INSTANCE) && errno != ENOENT)
		FAIL("rmdir %s (left over): %s", INSTANCE, errno_name(errno));
	record_cmd_off();
	if (mkdir(INSTANCE, 0755))
		FAIL("mkdir %s: %s", INSTANCE, errno_name(errno));
	put(INSTANCE "/events/gmem/enable", "1");
}

static void trace_clear(void)
{
	put(INSTANCE "/trace", "");
}

/* What the instance's buffer holds, as `cat trace` shows it. */
static char *trace_text(void)
{
	return slurp(INSTANCE "/trace");
}

static void trace_cleanup(void)
{
	if (!access(INSTANCE, F_OK))
		instance_remove();
	record_cmd_restore();
}

static void trace_ct_cleanup(void)
{
	trace_cleanup();
	ct_cleanup();
}

static uint64_t ino_of(int fd)
{
	struct stat st;

	ASSERT_SYS(fstat(fd, &st));
	return st.st_ino;
}

/* ---- reading events ---- */

/*
 * Whether line @line (up to @end) is event @event of inode @ino whose
 * printed fields include every "name=value" of @want (space-separated).
 */
static bool line_matches(const char *line, const char *end, const char *event,
			 uint64_t ino, const char *want)
{
	char tag[64], fields[512], tokens[512], *tok, *save = NULL;
	const char *p;
	size_t len;

	snprintf(tag, sizeof(tag), " %s: ", event);
	p = strstr(line, tag);
	if (!p || p >= end)
		return false;
	p += strlen(tag);
	len = end - p;
	if (len >= sizeof(fields) - 2)
		return false;
	/* " a=1 b=2 ": each token is found with its spaces around it */
	fields[0] = ' ';
	memcpy(fields + 1, p, len);
	fields[len + 1] = ' ';
	fields[len + 2] = '\0';

	snprintf(tokens, sizeof(tokens), "ino=%llu %s",
		 (unsigned long long)ino, want);
	for (tok = strtok_r(tokens, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		char pad[128];

		snprintf(pad, sizeof(pad), " %s ", tok);
		if (!strstr(fields, pad))
			return false;
	}
	return true;
}

/* How many lines of @text are @event of @ino with the fields of @want. */
static unsigned int count_events(const char *text, const char *event,
				 uint64_t ino, const char *want)
{
	const char *line = text, *end;
	unsigned int n = 0;

	for (; *line; line = *end ? end + 1 : end) {
		end = strchrnul(line, '\n');
		if (*line != '#' && line_matches(line, end, event, ino, want))
			n++;
	}
	return n;
}

/* The gmem lines of @text, as diagnostics. */
static void show_gmem_lines(const char *text)
{
	const char *line = text, *end;
	unsigned int shown = 0;

	for (; *line && shown < 60; line = *end ? end + 1 : end) {
		end = strchrnul(line, '\n');
		if (*line != '#' && memmem(line, end - line, " gmem_", 6)) {
			test_diag("  %.*s", (int)(end - line), line);
			shown++;
		}
	}
	if (!shown)
		test_diag("  (no gmem event in the buffer)");
}

static void expect_event_at(const char *file, int line, const char *text,
			    const char *event, uint64_t ino, const char *fmt,
			    ...)
	__attribute__((format(printf, 6, 7)));

static void expect_event_at(const char *file, int line, const char *text,
			    const char *event, uint64_t ino, const char *fmt,
			    ...)
{
	char want[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	if (count_events(text, event, ino, want))
		return;
	test_fail_at(file, line, "no %s event with ino=%llu %s", event,
		     (unsigned long long)ino, want);
	show_gmem_lines(text);
}

/* An event of @ino whose fields include the printf-made "name=value ...". */
#define EXPECT_EVENT(text, event, ino, ...)				\
	expect_event_at(__FILE__, __LINE__, text, event, ino, __VA_ARGS__)

/* ---- tests ---- */

static void formats(void)
{
	char path[256], field[64];
	unsigned int i, j;

	tracefs_need();
	for (i = 0; i < ARRAY_SIZE(events); i++) {
		char *fmt;

		snprintf(path, sizeof(path), TRACEFS "/events/gmem/%s/format",
			 events[i].event);
		if (access(path, R_OK)) {
			test_fail_at(__FILE__, __LINE__, "%s: %s", path,
				     errno_name(errno));
			continue;
		}
		fmt = slurp(path);
		for (j = 0; j < ARRAY_SIZE(events[i].fields) &&
			    events[i].fields[j]; j++) {
			snprintf(field, sizeof(field), " %s;",
				 events[i].fields[j]);
			if (!strstr(fmt, field))
				test_fail_at(__FILE__, __LINE__,
					     "%s has no field %s", path,
					     events[i].fields[j]);
		}
		free(fmt);
	}
}

static void create_release(void)
{
	long pg = page_size();
	uint64_t ino;
	char *text;
	int fd;

	trace_start();
	fd = gmem_new_flags(16 * pg, GMEM_CREATE_MMAP);
	ino = ino_of(fd);
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 3 * pg));
	ASSERT_SYS(close(fd));
	text = trace_text();
	EXPECT_EVENT(text, "gmem_create", ino, "fd=%d size=%ld flags=%#x numa_mode=0",
		     fd, 16 * pg, GMEM_CREATE_MMAP);
	EXPECT_EVENT(text, "gmem_release", ino, "nr_pages=3");
	EXPECT_EQ(count_events(text, "gmem_create", ino, ""), 1);
	EXPECT_EQ(count_events(text, "gmem_release", ino, ""), 1);
	free(text);
}

static void allocate_punch(void)
{
	long pg = page_size();
	int fd = gmem_new_flags(8 * pg, 0), hfd;
	uint64_t ino = ino_of(fd), hino;
	char *text;

	trace_start();
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 2 * pg, 4 * pg));
	ASSERT_SYS(fallocate(fd, PUNCH, 2 * pg, 2 * pg));
	text = trace_text();
	EXPECT_EVENT(text, "gmem_fallocate", ino, "start=2 end=6 ret=0");
	for (int i = 2; i < 6; i++)
		EXPECT_EVENT(text, "gmem_alloc", ino, "index=%d order=0 ret=0",
			     i);
	/* four folios, each on a node (never NUMA_NO_NODE) */
	EXPECT_EQ(count_events(text, "gmem_alloc", ino, ""), 4);
	EXPECT_EQ(count_events(text, "gmem_alloc", ino, "node=-1"), 0);
	EXPECT_EVENT(text, "gmem_punch", ino, "start=2 end=4 nr_pages=2");
	free(text);

	/* a 2 MiB block of a huge fd: one folio of order 9 */
	gmem_need_huge_blocks(1);
	hfd = gmem_new_flags(2 * GMEM_HUGE_SIZE, GMEM_CREATE_HUGE);
	hino = ino_of(hfd);
	trace_clear();
	ASSERT_SYS(fallocate(hfd, FALLOC_FL_KEEP_SIZE, GMEM_HUGE_SIZE,
			     GMEM_HUGE_SIZE));
	text = trace_text();
	EXPECT_EVENT(text, "gmem_fallocate", hino, "start=512 end=1024 ret=0");
	if (gmem_info(hfd).large_folios == 1) {
		EXPECT_EVENT(text, "gmem_alloc", hino,
			     "index=512 order=9 ret=0");
		EXPECT_EQ(count_events(text, "gmem_alloc", hino, ""), 1);
	} else {
		test_diag("no 2 MiB folio to be had: the order-9 event not checked");
	}
	free(text);
	ASSERT_SYS(close(hfd));
	ASSERT_SYS(close(fd));
}

static void convert(void)
{
	long pg = page_size();
	int fd = gmem_new_flags(4 * pg, GMEM_CREATE_MMAP), p[2];
	uint64_t ino = ino_of(fd);
	unsigned char *a;
	struct iovec iov;
	char *text;

	trace_start();
	CONVERT(fd, 0, 2 * pg, GMEM_SHARED);
	CONVERT_FLAGS(fd, 0, pg, GMEM_PRIVATE, GMEM_CONVERT_ZERO);
	/* page 1 spliced into a pipe: shared -> private refused */
	a = gmem_map(fd, 4 * pg);
	memset(a + pg, 0x5a, pg);
	iov = (struct iovec){ a + pg, pg };
	ASSERT_SYS(pipe(p));
	ASSERT_EQ(vmsplice(p[1], &iov, 1, 0), pg);
	EXPECT_ERRNO(gmem_convert_raw(fd, pg, pg, GMEM_PRIVATE, 0), EAGAIN);
	text = trace_text();
	EXPECT_EVENT(text, "gmem_convert", ino,
		     "start=0 end=2 to=shared zero=0 ret=0");
	EXPECT_EVENT(text, "gmem_convert", ino,
		     "start=0 end=1 to=private zero=1 ret=0");
	EXPECT_EVENT(text, "gmem_convert", ino,
		     "start=1 end=2 to=private zero=0 ret=%d", -EAGAIN);
	free(text);
	close(p[0]);
	close(p[1]);
	ASSERT_SYS(munmap(a, 4 * pg));
	ASSERT_SYS(close(fd));
}

static void faults(void)
{
	long pg = page_size();
	int fd = gmem_new_flags(4 * pg, GMEM_CREATE_MMAP);
	uint64_t ino = ino_of(fd);
	unsigned char *a, v;
	char *text;

	CONVERT(fd, 0, pg, GMEM_SHARED);
	a = gmem_map(fd, 4 * pg);
	fault_install();
	trace_start();
	EXPECT_EQ(fault_read(a, &v).sig, 0);
	EXPECT_EQ(fault_read(a + 2 * pg, &v).sig, SIGBUS);
	text = trace_text();
	EXPECT_EVENT(text, "gmem_fault", ino, "index=0 order=0 ret=%#x",
		     VM_FAULT_LOCKED);
	EXPECT_EVENT(text, "gmem_fault", ino, "index=2 order=0 ret=%#x",
		     VM_FAULT_SIGBUS);
	free(text);
	ASSERT_SYS(munmap(a, 4 * pg));
	ASSERT_SYS(close(fd));

	/*
	 * A 4 KiB fd's fault is the one 4 KiB event, even where core MM
	 * would try a 2 MiB mapping first (THP "always", a VMA aligned to
	 * and covering a whole block): such an fd has no ->huge_fault.
	 */
	fd = gmem_new_flags(GMEM_HUGE_SIZE, GMEM_CREATE_MMAP);
	ino = ino_of(fd);
	CONVERT(fd, 0, GMEM_HUGE_SIZE, GMEM_SHARED);
	a = gmem_map_aligned(fd, GMEM_HUGE_SIZE, GMEM_HUGE_SIZE);
	trace_clear();
	EXPECT_EQ(fault_read(a + 3 * pg, &v).sig, 0);
	text = trace_text();
	EXPECT_EQ(count_events(text, "gmem_fault", ino, ""), 1);
	EXPECT_EQ(count_events(text, "gmem_fault", ino, "index=3 order=0"), 1);
	free(text);
	ASSERT_SYS(munmap(a, GMEM_HUGE_SIZE));
	ASSERT_SYS(close(fd));
}

static void populate(void)
{
	long pg = page_size();
	int fd = gmem_new_flags(4 * pg, 0);
	uint64_t ino = ino_of(fd), copied = 0;
	unsigned char *src;
	char *text;

	/* two readable pages, then one that is not */
	src = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(src != MAP_FAILED);
	memset(src, 0x11, 2 * pg);
	ASSERT_SYS(mprotect(src + 2 * pg, pg, PROT_NONE));
	CONVERT(fd, 3 * pg, pg, GMEM_SHARED);

	trace_start();
	POPULATE(fd, pg, 2 * pg, src);
	EXPECT_ERRNO(gmem_populate_raw(fd, 3 * pg, pg, src, NULL), EINVAL);
	EXPECT_ERRNO(gmem_populate_raw(fd, 0, 2 * pg, src + pg, &copied),
		     EFAULT);
	EXPECT_EQ(copied, pg);
	text = trace_text();
	EXPECT_EVENT(text, "gmem_populate", ino,
		     "start=1 end=3 copied=%ld ret=0", 2 * pg);
	EXPECT_EVENT(text, "gmem_populate", ino,
		     "start=3 end=4 copied=0 ret=%d", -EINVAL);
	EXPECT_EVENT(text, "gmem_populate", ino,
		     "start=0 end=2 copied=%ld ret=%d", pg, -EFAULT);
	free(text);
	ASSERT_SYS(munmap(src, 3 * pg));
	ASSERT_SYS(close(fd));
}

static void read_write(void)
{
	long pg = page_size();
	int fd = gmem_new_flags(4 * pg, GMEM_CREATE_SHARED);
	uint64_t ino = ino_of(fd);
	unsigned char *buf = xmalloc(2 * pg);
	char *text;

	memset(buf, 0x3c, 2 * pg);
	CONVERT(fd, 3 * pg, pg, GMEM_PRIVATE);
	trace_start();
	EXPECT_EQ(pwrite(fd, buf, 100, pg + 10), 100);
	EXPECT_EQ(pread(fd, buf, 2 * pg, 0), 2 * pg);
	/* pages 2 and 3: the read stops at the private one */
	EXPECT_EQ(pread(fd, buf, 2 * pg, 2 * pg), pg);
	EXPECT_ERRNO(pread(fd, buf, pg, 3 * pg), EACCES);
	EXPECT_ERRNO(pwrite(fd, buf, pg, 4 * pg), ENOSPC);
	text = trace_text();
	EXPECT_EVENT(text, "gmem_write", ino,
		     "index=1 offset=10 bytes=100 ret=100");
	EXPECT_EVENT(text, "gmem_read", ino,
		     "index=0 offset=0 bytes=%ld ret=%ld", 2 * pg, 2 * pg);
	EXPECT_EVENT(text, "gmem_read", ino,
		     "index=2 offset=0 bytes=%ld ret=%ld", 2 * pg, pg);
	EXPECT_EVENT(text, "gmem_read", ino,
		     "index=3 offset=0 bytes=%ld ret=%d", pg, -EACCES);
	EXPECT_EVENT(text, "gmem_write", ino,
		     "index=4 offset=0 bytes=%ld ret=%d", pg, -ENOSPC);
	/* the write allocated page 1 */
	EXPECT_EVENT(text, "gmem_alloc", ino, "index=1 order=0 ret=0");
	free(text);
	free(buf);
	ASSERT_SYS(close(fd));
}

static void resolve(void)
{
	long pg = page_size();
	int ct = ct_open(), fd = gmem_new_flags(16 * pg, 0);
	uint64_t ino = ino_of(fd);
	struct gmem_test_resolve r1, r2;
	uint32_t slot;
	char *text;

	trace_start();
	slot = CT_BIND(ct, fd, 4, 8);
	EXPECT_ERRNO(ct_bind_raw(ct, fd, 10, 4, NULL), EBUSY);
	/* a hole: the locked path allocates; then the lockless one */
	r1 = ct_resolve(ct, slot, 5);
	r2 = ct_resolve(ct, slot, 5);
	ASSERT_EQ(r1.err, 0);
	ASSERT_EQ(r2.err, 0);
	EXPECT_EQ(r1.pfn, r2.pfn);
	EXPECT_EQ(ct_resolve_pfn(ct, slot, 13, NULL), -ERANGE);
	CONVERT(fd, 6 * pg, pg, GMEM_SHARED);
	EXPECT_EQ(ct_resolve_pfn(ct, slot, 6, NULL), -EACCES);
	ASSERT_SYS(fallocate(fd, PUNCH, 0, 16 * pg));
	ct_unbind(ct, slot);
	text = trace_text();

	EXPECT_EVENT(text, "gmem_bind", ino, "bind_start=4 bind_end=12 ret=0");
	EXPECT_EVENT(text, "gmem_bind", ino, "bind_start=10 bind_end=14 ret=%d",
		     -EBUSY);
	EXPECT_EVENT(text, "gmem_resolve", ino,
		     "bind_start=4 index=5 want=private fast=0 pfn=%#llx order=0 ret=0",
		     (unsigned long long)r1.pfn);
	EXPECT_EVENT(text, "gmem_resolve", ino,
		     "bind_start=4 index=5 want=private fast=1 pfn=%#llx order=0 ret=0",
		     (unsigned long long)r2.pfn);
	EXPECT_EVENT(text, "gmem_resolve", ino,
		     "bind_start=4 index=13 fast=0 pfn=0x0 order=-1 ret=%d",
		     -ERANGE);
	EXPECT_EVENT(text, "gmem_resolve", ino,
		     "bind_start=4 index=6 fast=0 pfn=0x0 order=-1 ret=%d",
		     -EACCES);
	/* the conversion, clipped to nothing but its page */
	EXPECT_EVENT(text, "gmem_invalidate_begin", ino,
		     "bind_start=4 start=6 end=7 flags=to_shared");
	EXPECT_EVENT(text, "gmem_invalidate_end", ino,
		     "bind_start=4 start=6 end=7 flags=to_shared");
	/* the punch of the whole fd, clipped to the binding; then unbind */
	EXPECT_EQ(count_events(text, "gmem_invalidate_begin", ino,
			       "bind_start=4 start=4 end=12 flags=none"), 2);
	EXPECT_EQ(count_events(text, "gmem_invalidate_end", ino,
			       "bind_start=4 start=4 end=12 flags=none"), 2);
	EXPECT_EVENT(text, "gmem_unbind", ino, "bind_start=4 bind_end=12 ret=0");
	free(text);
	ASSERT_SYS(close(fd));
}

static void memory_failure(void)
{
	const uint32_t flags = GMEM_CREATE_MMAP | GMEM_CREATE_SHARED;
	long pg = page_size();
	int fd = gmem_new_flags(2 * pg, flags), err;
	uint64_t ino = ino_of(fd), pfn;
	unsigned char *a = gmem_map(fd, 2 * pg);
	char *text;

	memset(a, 0x77, 2 * pg);
	pfn = pagemap_pfn(a + pg);
	ASSERT_NE(pfn, 0);
	trace_start();
	err = poison_in_child(a + pg);
	if (err == EINVAL)
		test_skip("MADV_HWPOISON: EINVAL (no CONFIG_MEMORY_FAILURE)");
	ASSERT_EQ(err, 0);
	text = trace_text();
	EXPECT_EVENT(text, "gmem_memory_failure", ino,
		     "start=1 end=2 pfn=%#llx ret=0", (unsigned long long)pfn);
	free(text);
	ASSERT_SYS(munmap(a, 2 * pg));
	ASSERT_SYS(close(fd));
}

static void migrate(void)
{
	long pg = page_size();
	int fd, ret;
	uint64_t ino, moved = 0;
	char *text;

	numa_need_two();
	fd = gmem_new_numa(4 * pg, 0, GMEM_NUMA_BIND, 1 << 0);
	ino = ino_of(fd);
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 4 * pg));
	trace_start();
	ret = gmem_migrate_raw(fd, 0, 4 * pg, 1, &moved, NULL);
	text = trace_text();
	if (ret && errno == EBUSY) {
		/* a page still in a per-CPU LRU batch: refused, and said so */
		EXPECT_EVENT(text, "gmem_migrate", ino,
			     "start=0 end=4 node=1 collapse=0 ret=%d", -EBUSY);
	} else {
		ASSERT_EQ(ret, 0);
		EXPECT_EQ(moved, 4 * pg);
		EXPECT_EVENT(text, "gmem_migrate", ino,
			     "start=0 end=4 node=1 collapse=0 moved=%ld collapsed=0 ret=0",
			     4 * pg);
	}
	free(text);
	ASSERT_SYS(close(fd));
}

/* A few calls that would log a handful of events each. */
static void some_calls(int fd)
{
	long pg = page_size();
	unsigned char buf[64];

	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 2 * pg));
	CONVERT(fd, 0, pg, GMEM_SHARED);
	EXPECT_EQ(pread(fd, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	ASSERT_SYS(fallocate(fd, PUNCH, 0, 2 * pg));
}

static void disabled(void)
{
	long pg = page_size();
	uint64_t ino;
	char *text;
	int fd;

	trace_start();
	/* the control: enabled, the calls are seen */
	fd = gmem_new_flags(4 * pg, 0);
	ino = ino_of(fd);
	some_calls(fd);
	ASSERT_SYS(close(fd));
	text = trace_text();
	EXPECT_EQ(count_events(text, "gmem_create", ino, ""), 1);
	EXPECT_EQ(count_events(text, "gmem_punch", ino, ""), 1);
	free(text);

	put(INSTANCE "/events/gmem/enable", "0");
	trace_clear();
	fd = gmem_new_flags(4 * pg, 0);
	some_calls(fd);
	ASSERT_SYS(close(fd));
	text = trace_text();
	if (strstr(text, " gmem_")) {
		test_fail_at(__FILE__, __LINE__,
			     "gmem events logged while disabled");
		show_gmem_lines(text);
	}
	free(text);
}

static void filter(void)
{
	long pg = page_size();
	int a = gmem_new_flags(4 * pg, 0), b = gmem_new_flags(4 * pg, 0);
	uint64_t ia = ino_of(a), ib = ino_of(b);
	char expr[64], *text;

	trace_start();
	snprintf(expr, sizeof(expr), "ino == %llu", (unsigned long long)ia);
	put(INSTANCE "/events/gmem/filter", expr);
	some_calls(a);
	some_calls(b);
	text = trace_text();
	EXPECT_EQ(count_events(text, "gmem_fallocate", ia, ""), 1);
	EXPECT_EQ(count_events(text, "gmem_convert", ia, ""), 1);
	EXPECT_EQ(count_events(text, "gmem_read", ia, ""), 1);
	EXPECT_EQ(count_events(text, "gmem_punch", ia, ""), 1);
	EXPECT_EQ(count_events(text, "gmem_fallocate", ib, ""), 0);
	EXPECT_EQ(count_events(text, "gmem_punch", ib, ""), 0);
	free(text);
	ASSERT_SYS(close(a));
	ASSERT_SYS(close(b));
}

static const struct test trace_tests[] = {
	TEST("every gmem event is in tracefs with its fields", formats),
	TEST("create and release: the fd's inode, size, flags, what it held",
	     create_release, .cleanup = trace_cleanup),
	TEST("fallocate: its range, each folio's index, order and node; punch: its range",
	     allocate_punch, .cleanup = trace_cleanup),
	TEST("convert: range, direction, zero and result (EAGAIN for a spliced page)",
	     convert, .cleanup = trace_cleanup),
	TEST("fault: index and vm_fault_t result, SIGBUS on a private page; one event per 4 KiB fault",
	     faults, .cleanup = trace_cleanup),
	TEST("populate: range, bytes copied, result (EINVAL, a short EFAULT)",
	     populate, .cleanup = trace_cleanup),
	TEST("read and write: index, offset, bytes asked, result (short, EACCES, ENOSPC)",
	     read_write, .cleanup = trace_cleanup),
	TEST("resolve: binding, index, lockless or locked, pfn, order, result; bind, invalidations, unbind",
	     resolve, .cleanup = trace_ct_cleanup),
	TEST("memory failure: the folio's range and pfn",
	     memory_failure, .cleanup = trace_cleanup,
	     .kmsg_allow = HWPOISON_KMSG),
	TEST("migrate: range, node, bytes moved, result",
	     migrate, .cleanup = trace_cleanup),
	TEST("with gmem's events disabled nothing is logged",
	     disabled, .cleanup = trace_cleanup),
	TEST("a filter on ino keeps other fds' events out",
	     filter, .cleanup = trace_cleanup),
};

DEFINE_SUITE(trace_suite, "trace", trace_tests);
