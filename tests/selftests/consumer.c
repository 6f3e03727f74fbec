// SPDX-License-Identifier: GPL-2.0
/*
 * The consumer API, driven from userspace through the test consumer
 * gmem_test.ko (/dev/gmem_test, tests/consumer/gmem_test.h): resolves,
 * reads and writes of private pages, the notifications for punch,
 * conversion, unbind and memory failure with their exact ranges, binding
 * rules, every teardown order, module unload, memory failure (MADV_HWPOISON
 * and hwpoison_inject), migration refused (move_pages, compaction),
 * resolves racing with punch and conversion (also with
 * gmem_read_begin/retry()), the ops table's version check, the
 * private/shared queries and the state conversions announce.
 *
 * Each test loads gmem_test itself (from $GMEM_TEST_KO, or gmem_test.ko
 * beside $GMEM_KO) and its cleanup unloads it, so that every test starts
 * with no bindings and an empty event log, and gmem is left unloadable.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "ct.h"
#include "fault.h"
#include "gmem_test.h"
#include "gmemfd.h"
#include "hwpoison.h"
#include "modctl.h"
#include "numa.h"
#include "sys.h"

#define GMEM_NAME	"gmem"
#define PUNCH		(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE)
#define IN_PAGE		123

/* The kernel's reports of (injected) memory failure. */
#define HWPOISON_KMSG	"hardware memory corruption"

/* Memory figures: as in fallocate.c (free_kb(), 4 MiB slack, 1 s). */
#define MEM_SLACK_KB	(4 * 1024LL)
#define MEM_RETURN_MS	1000

/* ---- gmem_test.ko ---- */

#define EXPECT_RESOLVE(ct, slot, index, err)				\
	EXPECT_EQ(ct_resolve_pfn(ct, slot, index, NULL), err)

/* ---- events ---- */

struct ev {
	uint32_t type;
	uint32_t slot;
	uint64_t start;
	uint64_t end;
};

#define BEGIN	GMEM_TEST_EV_BEGIN
#define END	GMEM_TEST_EV_END
#define ERROR	GMEM_TEST_EV_ERROR
/* The invalidation of [s, e) as one slot must see it. */
#define PAIR(slot, s, e)	{ BEGIN, slot, s, e }, { END, slot, s, e }

#define MAX_EVENTS	GMEM_TEST_MAX_EVENTS

static const char *ev_type(uint32_t type)
{
	return type == BEGIN ? "BEGIN" : type == END ? "END" :
	       type == ERROR ? "ERROR" : "?";
}

static void show_events(const char *what, const struct gmem_test_event *ev,
			unsigned int n)
{
	test_diag("%s: %u event(s)", what, n);
	for (unsigned int i = 0; i < n; i++)
		test_diag("  seq %llu %s slot %u [%llu, %llu)",
			  (unsigned long long)ev[i].seq, ev_type(ev[i].type),
			  ev[i].slot, (unsigned long long)ev[i].start,
			  (unsigned long long)ev[i].end);
}

static void show_expected(const struct ev *exp, unsigned int n)
{
	test_diag("expected, in this order per slot: %u event(s)", n);
	for (unsigned int i = 0; i < n; i++)
		test_diag("  %s slot %u [%llu, %llu)", ev_type(exp[i].type),
			  exp[i].slot, (unsigned long long)exp[i].start,
			  (unsigned long long)exp[i].end);
}

/*
 * The events since the last call are exactly @exp: per slot the same
 * events in the same order (gmem may tell different bindings in any order).
 */
static void expect_events_at(const char *file, int line, int ct,
			     const struct ev *exp, unsigned int n)
{
	static struct gmem_test_event got[MAX_EVENTS];
	unsigned int count = ct_events(ct, got);
	bool used[MAX_EVENTS] = { false }, ok = count == n;

	/* match each expected event to the next unused one of its slot */
	for (unsigned int i = 0, j; ok && i < n; i++) {
		for (j = 0; j < count; j++)
			if (!used[j] && got[j].slot == exp[i].slot)
				break;
		if (j == count || got[j].type != exp[i].type ||
		    got[j].start != exp[i].start || got[j].end != exp[i].end)
			ok = false;
		else
			used[j] = true;
	}
	if (!ok) {
		test_fail_at(file, line, "the consumer's notifications differ");
		show_events("got", got, count);
		show_expected(exp, n);
	}
}

#define EXPECT_EVENTS(ct, ...)						\
	expect_events_at(__FILE__, __LINE__, ct,			\
			 (const struct ev[]){ __VA_ARGS__ },		\
			 sizeof((const struct ev[]){ __VA_ARGS__ }) /	\
			 sizeof(struct ev))
#define EXPECT_NO_EVENTS(ct)	expect_events_at(__FILE__, __LINE__, ct, NULL, 0)

static void drain_events(int ct)
{
	static struct gmem_test_event got[MAX_EVENTS];
	struct gmem_test_events args = {
		.uaddr = (uintptr_t)got, .max = MAX_EVENTS,
	};

	do {
		if (ioctl(ct, GMEM_TEST_EVENTS, &args))
			FAIL("GMEM_TEST_EVENTS: %s", errno_name(errno));
	} while (args.count == MAX_EVENTS);
}

/* ---- helpers ---- */

static unsigned char *page_buf(void)
{
	return xmalloc(page_size());
}

static void dirty_free_memory(size_t len)
{
	unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_TRUE(p != MAP_FAILED);
	memset(p, 0x6b, len);
	ASSERT_SYS(munmap(p, len));
}

/* ---- tests ---- */

static void resolve_contents(void)
{
	long pg = page_size();
	int ct = ct_open(), fd;
	unsigned char *buf = page_buf(), *img = page_buf();
	uint64_t pfn0 = 0, pfn0b = 0, pfn1 = 0;
	uint32_t slot;

	if (kernel_zeroes_allocations())
		test_diag("note: this kernel zeroes every allocation (init_on_alloc), so only a guest booted with init_on_alloc=0 can show gmem not zeroing");
	dirty_free_memory(32 * MiB);
	fd = gmem_new_flags(16 * pg, 0);
	fill_pattern(img, pg, 4);
	POPULATE(fd, 4 * pg, pg, img);
	fill_pattern(img, pg, 5);
	POPULATE(fd, 5 * pg, pg, img);
	slot = CT_BIND(ct, fd, 0, 16);
	EXPECT_EQ(gmem_info(fd).allocated, 2 * pg);

	/* new memory: zeroed */
	for (int i = 0; i < 16; i += 15) {
		memset(buf, 0xee, pg);
		EXPECT_EQ(ct_rw(ct, slot, i, buf, false), 0);
		EXPECT_EQ(nonzero_at(buf, pg), -1);
	}
	/* populated memory: the populated bytes */
	for (int i = 4; i <= 5; i++) {
		EXPECT_EQ(ct_rw(ct, slot, i, buf, false), 0);
		EXPECT_EQ(pattern_mismatch(buf, pg, i), -1);
	}
	EXPECT_EQ(gmem_info(fd).allocated, 4 * pg);

	/* a page resolves to the same frame every time, pages to their own */
	EXPECT_EQ(ct_resolve_pfn(ct, slot, 0, &pfn0), 0);
	EXPECT_EQ(ct_resolve_pfn(ct, slot, 0, &pfn0b), 0);
	EXPECT_EQ(ct_resolve_pfn(ct, slot, 1, &pfn1), 0);
	EXPECT_EQ(pfn0, pfn0b);
	EXPECT_NE(pfn0, pfn1);
	EXPECT_EQ(gmem_info(fd).allocated, 5 * pg);
	EXPECT_EQ(gmem_info(fd).private_bytes, 16 * pg);
}

static void writes_survive_conversion(void)
{
	long pg = page_size();
	int ct = ct_open();
	int fd = gmem_new_flags(4 * pg, GMEM_CREATE_MMAP);
	unsigned char *buf = page_buf(), *a;
	uint32_t slot = CT_BIND(ct, fd, 0, 4);

	for (int i = 0; i < 4; i++) {
		fill_pattern(buf, pg, 10 + i);
		EXPECT_EQ(ct_rw(ct, slot, i, buf, true), 0);
	}
	memset(buf, 0, pg);
	EXPECT_EQ(ct_rw(ct, slot, 2, buf, false), 0);
	EXPECT_EQ(pattern_mismatch(buf, pg, 12), -1);

	/* private -> shared: what the consumer wrote shows through mmap */
	CONVERT(fd, 0, 4 * pg, GMEM_SHARED);
	a = gmem_map(fd, 4 * pg);
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(pattern_mismatch(a + i * pg, pg, 10 + i), -1);
	EXPECT_RESOLVE(ct, slot, 1, -EACCES);

	/* and back: what the VMM wrote shows to the consumer */
	for (int i = 0; i < 4; i++)
		fill_pattern(a + i * pg, pg, 20 + i);
	CONVERT(fd, 0, 4 * pg, GMEM_PRIVATE);
	for (int i = 0; i < 4; i++) {
		EXPECT_EQ(ct_rw(ct, slot, i, buf, false), 0);
		EXPECT_EQ(pattern_mismatch(buf, pg, 20 + i), -1);
	}
	EXPECT_SIGBUS(a + IN_PAGE, false);
}

static void resolve_errors(void)
{
	long pg = page_size();
	int ct = ct_open();
	int fd = gmem_new_flags(8 * pg, GMEM_CREATE_MMAP);
	unsigned char *buf = page_buf(), *a;
	struct gmem_test_resolve bad = { .slot = GMEM_TEST_SLOTS - 1 };
	uint32_t slot;

	CONVERT(fd, 3 * pg, pg, GMEM_SHARED);
	a = gmem_map(fd, 8 * pg);
	fill_pattern(a + 3 * pg, pg, 30);
	slot = CT_BIND(ct, fd, 2, 4);	/* pages [2, 6) */

	EXPECT_RESOLVE(ct, slot, 3, -EACCES);
	EXPECT_RESOLVE(ct, slot, 2, 0);
	EXPECT_RESOLVE(ct, slot, 4, 0);
	EXPECT_RESOLVE(ct, slot, 5, 0);
	EXPECT_RESOLVE(ct, slot, 1, -ERANGE);
	EXPECT_RESOLVE(ct, slot, 0, -ERANGE);
	EXPECT_RESOLVE(ct, slot, 6, -ERANGE);
	EXPECT_RESOLVE(ct, slot, 7, -ERANGE);
	EXPECT_RESOLVE(ct, slot, 8, -ERANGE);
	EXPECT_RESOLVE(ct, slot, 1ULL << 40, -ERANGE);
	/* a refused resolve allocates nothing: pages 2, 4, 5 only */
	EXPECT_EQ(gmem_info(fd).allocated, 4 * pg);

	/* the shared page cannot be written through the consumer either */
	memset(buf, 0, pg);
	EXPECT_EQ(ct_rw(ct, slot, 3, buf, true), -EACCES);
	EXPECT_EQ(pattern_mismatch(a + 3 * pg, pg, 30), -1);
	/* once private again it resolves, with the contents it had */
	CONVERT(fd, 3 * pg, pg, GMEM_PRIVATE);
	EXPECT_EQ(ct_rw(ct, slot, 3, buf, false), 0);
	EXPECT_EQ(pattern_mismatch(buf, pg, 30), -1);
	/* the consumer's own check: a slot not in use */
	EXPECT_ERRNO(ioctl(ct, GMEM_TEST_RESOLVE, &bad), ENOENT);
}

static void notifications(void)
{
	long pg = page_size();
	int ct = ct_open();
	int fd = gmem_new_flags(32 * pg, 0), fd2 = gmem_new_flags(8 * pg, 0);
	uint32_t a, b, c;

	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 32 * pg));
	a = CT_BIND(ct, fd, 8, 8);	/* [8, 16) */
	b = CT_BIND(ct, fd, 20, 4);	/* [20, 24) */
	c = CT_BIND(ct, fd2, 0, 8);	/* [0, 8) of another fd */
	EXPECT_NE(a, b);
	EXPECT_NE(b, c);
	EXPECT_NO_EVENTS(ct);

	/* punch: clipped to the binding, nothing for the others */
	ASSERT_SYS(fallocate(fd, PUNCH, 4 * pg, 8 * pg));	/* [4, 12) */
	EXPECT_EVENTS(ct, PAIR(a, 8, 12));
	ASSERT_SYS(fallocate(fd, PUNCH, 0, 4 * pg));		/* [0, 4) */
	ASSERT_SYS(fallocate(fd, PUNCH, 16 * pg, 4 * pg));	/* [16, 20) */
	ASSERT_SYS(fallocate(fd, PUNCH, 24 * pg, 8 * pg));	/* [24, 32) */
	EXPECT_NO_EVENTS(ct);
	ASSERT_SYS(fallocate(fd, PUNCH, 15 * pg, 6 * pg));	/* [15, 21) */
	EXPECT_EVENTS(ct, PAIR(a, 15, 16), PAIR(b, 20, 21));

	/* conversion, both ways */
	CONVERT(fd, 14 * pg, 8 * pg, GMEM_SHARED);		/* [14, 22) */
	EXPECT_EVENTS(ct, PAIR(a, 14, 16), PAIR(b, 20, 22));
	CONVERT(fd, 14 * pg, 8 * pg, GMEM_PRIVATE);
	EXPECT_EVENTS(ct, PAIR(a, 14, 16), PAIR(b, 20, 22));
	CONVERT(fd, 0, 32 * pg, GMEM_SHARED);
	EXPECT_EVENTS(ct, PAIR(a, 8, 16), PAIR(b, 20, 24));
	CONVERT(fd, 0, 8 * pg, GMEM_PRIVATE);
	CONVERT(fd, 24 * pg, 8 * pg, GMEM_PRIVATE);
	EXPECT_NO_EVENTS(ct);
	CONVERT(fd, 9 * pg, pg, GMEM_PRIVATE);			/* [9, 10) */
	EXPECT_EVENTS(ct, PAIR(a, 9, 10));

	/* refused calls tell nobody anything */
	EXPECT_ERRNO(gmem_convert_raw(fd, 0, 33 * pg, GMEM_PRIVATE, 0), EINVAL);
	EXPECT_ERRNO(gmem_convert_raw(fd, 8 * pg, 8 * pg, 7, 0), EINVAL);
	EXPECT_ERRNO(fallocate(fd, PUNCH, 8 * pg, 25 * pg), EINVAL);
	EXPECT_NO_EVENTS(ct);

	/* the other fd: only its binding hears */
	ASSERT_SYS(fallocate(fd2, PUNCH, 4 * pg, 4 * pg));
	EXPECT_EVENTS(ct, PAIR(c, 4, 8));
	CONVERT(fd2, 0, 8 * pg, GMEM_SHARED);
	EXPECT_EVENTS(ct, PAIR(c, 0, 8));

	/* unbind: the binding's whole range, to that binding only */
	ct_unbind(ct, a);
	EXPECT_EVENTS(ct, PAIR(a, 8, 16));
	ct_unbind(ct, b);
	EXPECT_EVENTS(ct, PAIR(b, 20, 24));
	/* and nothing after it */
	ASSERT_SYS(fallocate(fd, PUNCH, 0, 32 * pg));
	CONVERT(fd, 0, 32 * pg, GMEM_PRIVATE);
	EXPECT_NO_EVENTS(ct);
	ct_unbind(ct, c);
	EXPECT_EVENTS(ct, PAIR(c, 0, 8));
}

static void overlapping_bind(void)
{
	long pg = page_size();
	int ct = ct_open();
	int fd = gmem_new_flags(32 * pg, 0), fd2 = gmem_new_flags(32 * pg, 0);
	uint32_t a, b, c;
	uint64_t pfn_a = 0, pfn_b = 0;
	const struct { uint64_t start, nr; } overlaps[] = {
		{ 4, 8 }, { 7, 1 }, { 0, 1 }, { 0, 32 }, { 15, 2 }, { 8, 8 },
	};

	a = CT_BIND(ct, fd, 0, 8);
	b = CT_BIND(ct, fd, 8, 8);	/* adjacent is not overlapping */
	for (unsigned int i = 0; i < ARRAY_SIZE(overlaps); i++) {
		test_diag("[%llu, +%llu)", (unsigned long long)overlaps[i].start,
			  (unsigned long long)overlaps[i].nr);
		EXPECT_ERRNO(ct_bind_raw(ct, fd, overlaps[i].start,
					 overlaps[i].nr, NULL), EBUSY);
	}
	/* empty, past the end, overflowing */
	EXPECT_ERRNO(ct_bind_raw(ct, fd, 20, 0, NULL), EINVAL);
	EXPECT_ERRNO(ct_bind_raw(ct, fd, 30, 4, NULL), EINVAL);
	EXPECT_ERRNO(ct_bind_raw(ct, fd, 32, 1, NULL), EINVAL);
	EXPECT_ERRNO(ct_bind_raw(ct, fd, 1ULL << 63, (1ULL << 63) + 1, NULL),
		     EINVAL);
	EXPECT_ERRNO(ct_bind_raw(ct, fd, 16, UINT64_MAX, NULL), EINVAL);
	/* the same range of another fd is another range */
	c = CT_BIND(ct, fd2, 0, 8);

	EXPECT_EQ(ct_resolve_pfn(ct, a, 0, &pfn_a), 0);
	EXPECT_EQ(ct_resolve_pfn(ct, b, 8, &pfn_b), 0);
	EXPECT_NE(pfn_a, pfn_b);
	EXPECT_RESOLVE(ct, b, 15, 0);
	EXPECT_RESOLVE(ct, a, 8, -ERANGE);
	EXPECT_RESOLVE(ct, b, 7, -ERANGE);
	EXPECT_EQ(ct_resolve_pfn(ct, c, 0, &pfn_b), 0);
	EXPECT_NE(pfn_a, pfn_b);

	/* the refused binds left nothing behind: after unbinding a, [0, 8) binds */
	ct_unbind(ct, a);
	EXPECT_ERRNO(ct_bind_raw(ct, fd, 4, 8, NULL), EBUSY);
	a = CT_BIND(ct, fd, 0, 8);
	EXPECT_RESOLVE(ct, a, 0, 0);
	EXPECT_RESOLVE(ct, b, 8, 0);
}

static void bind_bad_fd(void)
{
	int ct = ct_open();
	int dev = gmem_open_dev();
	int null = ASSERT_SYS(open("/dev/null", O_RDWR | O_CLOEXEC));
	int memfd = ASSERT_SYS(memfd_create("not-gmem", MFD_CLOEXEC));
	int p[2], fd, closed;

	ASSERT_SYS(ftruncate(memfd, 1 * MiB));
	ASSERT_SYS(pipe2(p, O_CLOEXEC));
	/* open files that are not gmem memory fds: /dev/gmem is not one */
	EXPECT_ERRNO(ct_bind_raw(ct, dev, 0, 1, NULL), EINVAL);
	EXPECT_ERRNO(ct_bind_raw(ct, null, 0, 1, NULL), EINVAL);
	EXPECT_ERRNO(ct_bind_raw(ct, memfd, 0, 1, NULL), EINVAL);
	EXPECT_ERRNO(ct_bind_raw(ct, p[0], 0, 1, NULL), EINVAL);
	EXPECT_ERRNO(ct_bind_raw(ct, ct, 0, 1, NULL), EINVAL);
	/* not open at all */
	closed = ASSERT_SYS(dup(null));
	ASSERT_SYS(close(closed));
	EXPECT_ERRNO(ct_bind_raw(ct, closed, 0, 1, NULL), EBADF);
	EXPECT_ERRNO(ct_bind_raw(ct, -1, 0, 1, NULL), EBADF);
	EXPECT_ERRNO(ct_bind_raw(ct, INT_MAX, 0, 1, NULL), EBADF);
	/* the control: a gmem fd binds */
	fd = gmem_new_flags(MiB, 0);
	CT_BIND(ct, fd, 0, 1);
}

static void unbind_then_punch(void)
{
	long pg = page_size();
	int ct = ct_open();
	int fd = gmem_new_flags(16 * pg, GMEM_CREATE_MMAP);
	uint32_t slot = CT_BIND(ct, fd, 0, 16);
	struct gmem_test_resolve gone;

	for (int i = 0; i < 4; i++)
		EXPECT_RESOLVE(ct, slot, i, 0);
	EXPECT_EQ(gmem_info(fd).allocated, 4 * pg);
	ct_unbind(ct, slot);
	EXPECT_EVENTS(ct, PAIR(slot, 0, 16));

	ASSERT_SYS(fallocate(fd, PUNCH, 0, 16 * pg));
	CONVERT(fd, 0, 16 * pg, GMEM_SHARED);
	EXPECT_NO_EVENTS(ct);
	EXPECT_EQ(gmem_info(fd).allocated, 0);
	gone = (struct gmem_test_resolve){ .slot = slot };
	EXPECT_ERRNO(ioctl(ct, GMEM_TEST_RESOLVE, &gone), ENOENT);
	/* the fd is fine, and binds again */
	CONVERT(fd, 0, 16 * pg, GMEM_PRIVATE);
	slot = CT_BIND(ct, fd, 0, 16);
	EXPECT_RESOLVE(ct, slot, 5, 0);
}

static void close_fd_keep_resolving(void)
{
	long pg = page_size();
	size_t len = 64 * MiB;
	uint64_t nr = len / pg;
	int ct = ct_open(), fd, refs = modctl_refcnt(GMEM_NAME);
	unsigned char *buf = page_buf();
	long long before, during, after;
	uint32_t slot;

	before = free_kb();
	fd = gmem_new_flags(len, 0);
	fill_pattern(buf, pg, 40);
	POPULATE(fd, 0, pg, buf);
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, len));
	slot = CT_BIND(ct, fd, 0, nr);
	ASSERT_SYS(close(fd));

	/* the binding keeps the memory: contents, and resolves of any page */
	memset(buf, 0, pg);
	EXPECT_EQ(ct_rw(ct, slot, 0, buf, false), 0);
	EXPECT_EQ(pattern_mismatch(buf, pg, 40), -1);
	EXPECT_RESOLVE(ct, slot, nr - 1, 0);
	fill_pattern(buf, pg, 41);
	EXPECT_EQ(ct_rw(ct, slot, 1, buf, true), 0);
	memset(buf, 0, pg);
	EXPECT_EQ(ct_rw(ct, slot, 1, buf, false), 0);
	EXPECT_EQ(pattern_mismatch(buf, pg, 41), -1);
	during = free_kb();
	test_diag("free memory: %lld kB before, %lld kB with the fd closed but bound",
		  before, during);
	EXPECT_GE(before - during, (long long)(len / KiB) - MEM_SLACK_KB * 2);
	EXPECT_NO_EVENTS(ct);

	/* unbind: the last reference goes, and the memory with it */
	ct_unbind(ct, slot);
	EXPECT_EVENTS(ct, PAIR(slot, 0, nr));
	after = wait_kb(free_kb, before - MEM_SLACK_KB, MEM_RETURN_MS);
	test_diag("free memory after unbind: %lld kB", after);
	EXPECT_GE(after, before - MEM_SLACK_KB);
	/* and the file with it: gmem's references are gmem_test's alone */
	EXPECT_EQ(modctl_refcnt(GMEM_NAME), refs);
}

static void unload_consumer_while_bound(void)
{
	long pg = page_size();
	size_t len = 64 * MiB;
	uint64_t nr = len / pg;
	int ct = ct_open(), fd, ret;
	long long before, after;
	uint32_t slot;

	before = free_kb();
	fd = gmem_new_flags(len, 0);
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, len));
	CT_BIND(ct, fd, 0, nr / 2);
	CT_BIND(ct, fd, nr / 2, nr / 2);
	ASSERT_SYS(close(ct));

	/* the module's exit unbinds what is left */
	ret = ct_unload();
	if (ret)
		FAIL("unloading %s with two bindings: %s", CT_NAME,
		     errno_name(-ret));
	EXPECT_TRUE(access(CT_DEV, F_OK) != 0);
	EXPECT_EQ(gmem_info(fd).allocated, len);

	/* reload works, and finds the whole fd free to bind */
	ct = ct_open();
	slot = CT_BIND(ct, fd, 0, nr);
	EXPECT_RESOLVE(ct, slot, nr - 1, 0);
	ASSERT_SYS(close(ct));
	ret = ct_unload();
	if (ret)
		FAIL("unloading %s again: %s", CT_NAME, errno_name(-ret));

	/* with no binding left, closing the fd frees the memory */
	EXPECT_LE(free_kb(), before - (long long)(len / KiB) + 2 * MEM_SLACK_KB);
	ASSERT_SYS(close(fd));
	after = wait_kb(free_kb, before - MEM_SLACK_KB, MEM_RETURN_MS);
	test_diag("free memory: %lld kB before, %lld kB after closing", before,
		  after);
	EXPECT_GE(after, before - MEM_SLACK_KB);
	EXPECT_EQ(modctl_refcnt(GMEM_NAME), 0);
}

static void unload_gmem_refused(void)
{
	int ct = ct_open(), ret, fd;
	uint32_t slot;

	ASSERT_SYS(close(ct));
	/* gmem_test uses gmem's symbols: gmem cannot go first */
	ret = modctl_unload(GMEM_NAME);
	if (ret == 0)
		FAIL("gmem unloaded while gmem_test, which uses it, is loaded");
	EXPECT_EQ(-ret, EWOULDBLOCK);
	EXPECT_TRUE(modctl_is_live(GMEM_NAME));
	EXPECT_TRUE(modctl_is_live(CT_NAME));
	fd = gmem_new_flags(MiB, 0);
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, MiB));
	/* and the same with a binding */
	ct = ct_open();
	slot = CT_BIND(ct, fd, 0, 16);
	ASSERT_SYS(close(fd));
	EXPECT_EQ(-modctl_unload(GMEM_NAME), EWOULDBLOCK);
	EXPECT_TRUE(modctl_is_live(GMEM_NAME));
	/* the consumer is unharmed */
	EXPECT_RESOLVE(ct, slot, 3, 0);
}

/* ---- memory failure ---- */

/* Written by the child that poisons a page, read by the parent. */
struct poison_report {
	int sig, code;
	void *addr;
	int madvise_errno;
};

static struct poison_report *report;

static void poison_child_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	report->sig = sig;
	report->code = si->si_code;
	report->addr = si->si_addr;
	_exit(0);
}

/* In a child: MADV_HWPOISON the page at @p, then touch it. */
static noreturn void poison_child(unsigned char *p)
{
	struct sigaction sa = {
		.sa_sigaction = poison_child_sigbus,
		.sa_flags = SA_SIGINFO,
	};
	volatile unsigned char v;

	sigaction(SIGBUS, &sa, NULL);
	if (madvise(p, page_size(), MADV_HWPOISON)) {
		report->madvise_errno = errno;
		_exit(2);
	}
	v = p[IN_PAGE];
	(void)v;
	_exit(1);	/* the touch worked: the page is still there */
}

/* The ERROR events of @got are exactly one, for [@start, @end) of @slot. */
static void expect_one_error_at(const char *file, int line,
				const struct gmem_test_event *got,
				unsigned int n, uint32_t slot, uint64_t start,
				uint64_t end)
{
	unsigned int errors = 0, begins = 0, ends = 0;
	bool ok = true;

	for (unsigned int i = 0; i < n; i++) {
		if (got[i].type == ERROR) {
			errors++;
			ok &= got[i].slot == slot && got[i].start == start &&
			      got[i].end == end;
		} else if (got[i].type == BEGIN) {
			begins++;
		} else if (got[i].type == END) {
			/* gmem may invalidate too, but always in pairs */
			ok &= ++ends <= begins;
		}
	}
	if (!ok || errors != 1 || begins != ends) {
		test_fail_at(file, line,
			     "expected one ERROR for slot %u [%llu, %llu) (and only paired BEGIN/END)",
			     slot, (unsigned long long)start,
			     (unsigned long long)end);
		show_events("got", got, n);
	}
}

static void hwpoison_shared(void)
{
	static struct gmem_test_event got[MAX_EVENTS];
	long pg = page_size();
	int ct = ct_open();
	int fd = gmem_new_flags(16 * pg, GMEM_CREATE_MMAP);
	uint32_t slot = CT_BIND(ct, fd, 0, 16);
	unsigned char *a, *b, *buf = page_buf();
	struct fault f;
	int status;
	pid_t pid;

	report = mmap(NULL, sizeof(*report), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(report != MAP_FAILED);
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 16 * pg));
	CONVERT(fd, 4 * pg, 4 * pg, GMEM_SHARED);	/* [4, 8) shared */
	a = gmem_map(fd, 16 * pg);
	for (int i = 4; i < 8; i++)
		fill_pattern(a + i * pg, pg, 50 + i);
	fill_pattern(buf, pg, 58);
	EXPECT_EQ(ct_rw(ct, slot, 8, buf, true), 0);
	drain_events(ct);

	pid = ASSERT_SYS(fork());
	if (pid == 0)
		poison_child(a + 5 * pg);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 2) {
		if (report->madvise_errno == EINVAL)
			test_skip("MADV_HWPOISON: EINVAL (no CONFIG_MEMORY_FAILURE)");
		FAIL("madvise(MADV_HWPOISON): %s",
		     errno_name(report->madvise_errno));
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		FAIL("the child that poisoned the page was not sent SIGBUS (status %#x)",
		     status);
	test_diag("child: SIGBUS si_code %d at %p", report->code, report->addr);
	EXPECT_TRUE(report->code == BUS_MCEERR_AR ||
		    report->code == BUS_MCEERR_AO);
	EXPECT_TRUE((unsigned char *)report->addr >= a + 5 * pg &&
		    (unsigned char *)report->addr < a + 6 * pg);

	/* the consumer is told, about exactly that page */
	expect_one_error_at(__FILE__, __LINE__, got, ct_events(ct, got), slot,
			    5, 6);
	EXPECT_RESOLVE(ct, slot, 5, -EHWPOISON);
	EXPECT_EQ(gmem_info(fd).allocated, 15 * pg);

	/* the rest of the fd works */
	memset(buf, 0, pg);
	EXPECT_EQ(ct_rw(ct, slot, 8, buf, false), 0);
	EXPECT_EQ(pattern_mismatch(buf, pg, 58), -1);
	EXPECT_RESOLVE(ct, slot, 9, 0);
	EXPECT_RESOLVE(ct, slot, 4, -EACCES);
	EXPECT_EQ(pattern_mismatch(a + 4 * pg, pg, 54), -1);
	EXPECT_EQ(pattern_mismatch(a + 6 * pg, pg, 56), -1);
	/* the page stays lost: a fault there is SIGBUS, fallocate skips it */
	EXPECT_SIGBUS_CODE(a + 5 * pg + IN_PAGE, false, BUS_MCEERR_AR);
	EXPECT_SIGBUS_CODE(a + 5 * pg + IN_PAGE, true, BUS_MCEERR_AR);
	/* also in a new mapping, where the fault reaches gmem itself */
	b = gmem_map(fd, 16 * pg);
	EXPECT_SIGBUS_CODE(b + 5 * pg + IN_PAGE, false, BUS_MCEERR_AR);
	EXPECT_SIGBUS_CODE(b + 5 * pg + IN_PAGE, true, BUS_MCEERR_AR);
	EXPECT_ACCESS(b + 4 * pg + IN_PAGE, false);
	ASSERT_SYS(munmap(b, 16 * pg));
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 16 * pg));
	EXPECT_EQ(gmem_info(fd).allocated, 15 * pg);
	EXPECT_RESOLVE(ct, slot, 5, -EHWPOISON);

	/* punching it makes it usable again: a new zeroed page */
	drain_events(ct);
	ASSERT_SYS(fallocate(fd, PUNCH, 5 * pg, pg));
	EXPECT_EVENTS(ct, PAIR(slot, 5, 6));
	EXPECT_RESOLVE(ct, slot, 5, -EACCES);
	b = gmem_map(fd, 16 * pg);
	f = fault_read(b + 5 * pg + IN_PAGE, NULL);
	if (f.sig)
		FAIL("a new mapping of the punched page: %s", fault_str(f));
	EXPECT_EQ(nonzero_at(b + 5 * pg, pg), -1);
	fill_pattern(b + 5 * pg, pg, 55);
	/* also through the mapping that had the poisoned page mapped */
	f = fault_read(a + 5 * pg + IN_PAGE, NULL);
	if (f.sig)
		test_fail_at(__FILE__, __LINE__,
			     "the mapping that had the page when it was poisoned still faults after the punch: %s",
			     fault_str(f));
	else
		EXPECT_EQ(pattern_mismatch(a + 5 * pg, pg, 55), -1);
	CONVERT(fd, 5 * pg, pg, GMEM_PRIVATE);
	EXPECT_EQ(ct_rw(ct, slot, 5, buf, false), 0);
	EXPECT_EQ(pattern_mismatch(buf, pg, 55), -1);
	EXPECT_EQ(gmem_info(fd).allocated, 16 * pg);
}

#define CORRUPT_PFN	HWPOISON_CORRUPT_PFN

static void hwpoison_private(void)
{
	static struct gmem_test_event got[MAX_EVENTS];
	long pg = page_size();
	int ct = ct_open();
	int fd = gmem_new_flags(8 * pg, 0);
	unsigned char *img = malloc(3 * pg), *buf = page_buf();
	uint64_t pfn = 0, copied = 1;
	uint32_t slot;
	char num[32];
	int ret;

	ASSERT_TRUE(img != NULL);
	hwpoison_inject_ready();
	fill_pattern(img, 3 * pg, 60);
	POPULATE(fd, 2 * pg, 3 * pg, img);		/* pages 2, 3, 4 */
	slot = CT_BIND(ct, fd, 0, 8);
	ASSERT_EQ(ct_resolve_pfn(ct, slot, 3, &pfn), 0);
	EXPECT_EQ(gmem_info(fd).allocated, 3 * pg);
	drain_events(ct);

	snprintf(num, sizeof(num), "%llu", (unsigned long long)pfn);
	ret = write_str(CORRUPT_PFN, num);
	if (ret)
		FAIL("writing pfn %s to %s: %s", num, CORRUPT_PFN,
		     errno_name(-ret));

	expect_one_error_at(__FILE__, __LINE__, got, ct_events(ct, got), slot,
			    3, 4);
	EXPECT_RESOLVE(ct, slot, 3, -EHWPOISON);
	EXPECT_EQ(ct_rw(ct, slot, 3, buf, false), -EHWPOISON);
	EXPECT_EQ(gmem_info(fd).allocated, 2 * pg);
	/* its neighbours are intact */
	EXPECT_EQ(ct_rw(ct, slot, 2, buf, false), 0);
	EXPECT_EQ(memcmp(buf, img, pg), 0);
	EXPECT_EQ(ct_rw(ct, slot, 4, buf, false), 0);
	EXPECT_EQ(memcmp(buf, img + 2 * pg, pg), 0);
	/* populate stops there: EHWPOISON, after the page before it */
	EXPECT_ERRNO(gmem_populate_raw(fd, 3 * pg, pg, img, &copied),
		     EHWPOISON);
	EXPECT_EQ(copied, 0);
	fill_pattern(img, pg, 61);
	EXPECT_ERRNO(gmem_populate_raw(fd, 2 * pg, 2 * pg, img, &copied),
		     EHWPOISON);
	EXPECT_EQ(copied, pg);
	EXPECT_EQ(ct_rw(ct, slot, 2, buf, false), 0);
	EXPECT_EQ(pattern_mismatch(buf, pg, 61), -1);
	/* fallocate leaves the hole */
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 8 * pg));
	EXPECT_EQ(gmem_info(fd).allocated, 7 * pg);
	EXPECT_RESOLVE(ct, slot, 3, -EHWPOISON);

	/* punched, it is new zeroed memory */
	drain_events(ct);
	ASSERT_SYS(fallocate(fd, PUNCH, 3 * pg, pg));
	EXPECT_EVENTS(ct, PAIR(slot, 3, 4));
	memset(buf, 0xee, pg);
	EXPECT_EQ(ct_rw(ct, slot, 3, buf, false), 0);
	EXPECT_EQ(nonzero_at(buf, pg), -1);
	EXPECT_EQ(ct_resolve_pfn(ct, slot, 3, &pfn), 0);
	EXPECT_EQ(gmem_info(fd).allocated, 8 * pg);
}

/* ---- migration ---- */

static long sys_move_pages(int pid, unsigned long n, void **pages,
		       const int *nodes, int *status, int flags)
{
	return syscall(SYS_move_pages, pid, n, pages, nodes, status, flags);
}

static int node_of(void *p)
{
	int status = -1;

	if (sys_move_pages(0, 1, &p, NULL, &status, 0))
		FAIL("move_pages (query) of %p: %s", p, errno_name(errno));
	return status;
}

static void move_pages_refused(void)
{
	long pg = page_size();
	int fd, from, to, st = -1;
	unsigned char *a, *anon;
	uint64_t pfn[4], anon_pfn;
	void *pages[4];
	int nodes[4], status[4];
	long ret;

	if (access("/sys/devices/system/node/node1", F_OK))
		test_skip("one NUMA node: moving a page needs a second (node1)");

	/* the control: an anonymous page does move */
	anon = mmap(NULL, pg, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(anon != MAP_FAILED);
	memset(anon, 1, pg);
	from = node_of(anon);
	to = from == 0 ? 1 : 0;
	anon_pfn = pagemap_pfn(anon);
	pages[0] = anon;
	ret = sys_move_pages(0, 1, pages, &to, &st, MPOL_MF_MOVE);
	if (ret || st != to || node_of(anon) != to)
		test_skip("move_pages cannot move even an anonymous page from node %d to %d here (ret %ld, status %d)",
			  from, to, ret, st);
	EXPECT_NE(pagemap_pfn(anon), anon_pfn);

	fd = gmem_new_flags(4 * pg, GMEM_CREATE_MMAP | GMEM_CREATE_SHARED);
	a = gmem_map(fd, 4 * pg);
	fill_pattern(a, 4 * pg, 70);
	for (int i = 0; i < 4; i++) {
		pages[i] = a + i * pg;
		pfn[i] = pagemap_pfn(pages[i]);
	}
	from = node_of(a);
	to = from == 0 ? 1 : 0;
	for (int i = 0; i < 4; i++) {
		nodes[i] = to;
		status[i] = INT_MIN;
	}
	ret = sys_move_pages(0, 4, pages, nodes, status, MPOL_MF_MOVE);
	test_diag("move_pages of 4 gmem pages from node %d to %d: %ld (%s), status %d %d %d %d",
		  from, to, ret, ret < 0 ? errno_name(errno) : "-",
		  status[0], status[1], status[2], status[3]);
	for (int i = 0; i < 4; i++) {
		EXPECT_NE(status[i], to);
		EXPECT_EQ(node_of(pages[i]), from);
		EXPECT_EQ(pagemap_pfn(pages[i]), pfn[i]);
	}
	EXPECT_EQ(pattern_mismatch(a, 4 * pg, 70), -1);
}

static void compaction_refused(void)
{
	long pg = page_size();
	size_t len = 16 * MiB, frag;
	uint64_t nr = len / pg, *pfn = malloc(nr * sizeof(*pfn)), now = 0;
	unsigned char *buf = page_buf(), *anon;
	long long fail0 = vmstat_get("pgmigrate_fail");
	long long scanned0 = vmstat_get("compact_migrate_scanned");
	long long free_kb = meminfo_kb("MemFree");
	uint64_t *anon_pfn, lo = UINT64_MAX, hi = 0;
	unsigned int moved = 0, anon_moved = 0, anon_among = 0, round;
	int ct = ct_open(), fd, ret;
	uint32_t slot;

	ASSERT_TRUE(pfn != NULL);
	/*
	 * Compaction's migration scanner walks a zone up from its start and
	 * its free scanner down from its end, and they stop where they meet:
	 * only pages in the lower part ever move.  Where the allocator puts a
	 * test's pages is its business, so fill nearly all free memory:
	 * then anonymous pages, and gmem's among them, lie in the lower part
	 * of every zone too, and the control below sees compaction move some
	 * of them from among gmem's frames.
	 */
	ASSERT_TRUE(free_kb > 0);
	frag = (size_t)(free_kb / 1024 * 3 / 4) / (len / MiB) * (len / MiB) * MiB;
	ASSERT_GE(frag, 64 * MiB);
	anon_pfn = malloc(frag / (2 * pg) * sizeof(*anon_pfn));
	fd = gmem_new_flags(len, 0);
	/*
	 * gmem's pages and anonymous ones allocated in turn, a MiB of gmem
	 * after every frag/16 of anonymous memory, so that the anonymous
	 * pages compaction moves lie among gmem's frames.
	 */
	anon = mmap(NULL, frag, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(anon != MAP_FAILED);
	/*
	 * 4 KiB pages, which compaction moves: a THP that MADV_DONTNEED
	 * below cuts into waits for its deferred split instead.
	 */
	ASSERT_SYS(madvise(anon, frag, MADV_NOHUGEPAGE));
	for (size_t c = 0; c < len / MiB; c++) {
		memset(anon + c * (frag / (len / MiB)), 1, frag / (len / MiB));
		ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, c * MiB, MiB));
	}
	slot = CT_BIND(ct, fd, 0, nr);
	for (uint64_t i = 0; i < nr; i++)
		ASSERT_EQ(ct_resolve_pfn(ct, slot, i, &pfn[i]), 0);
	for (uint64_t i = 0; i < nr; i += 256) {
		fill_pattern(buf, pg, i / 256);
		ASSERT_EQ(ct_rw(ct, slot, i, buf, true), 0);
	}
	/* holes everywhere, so that compaction has work to do */
	for (size_t off = 0; off < frag; off += 2 * pg)
		ASSERT_SYS(madvise(anon + off, pg, MADV_DONTNEED));
	/* the control: the anonymous pages left, which compaction may move */
	ASSERT_TRUE(anon_pfn != NULL);
	for (size_t i = 0; i < frag / (2 * pg); i++)
		anon_pfn[i] = pagemap_pfn(anon + (2 * i + 1) * pg);

	for (uint64_t i = 0; i < nr; i++) {
		lo = pfn[i] < lo ? pfn[i] : lo;
		hi = pfn[i] > hi ? pfn[i] : hi;
	}

	/*
	 * Compaction now and then moves nothing at all (on 6.1 it once
	 * scanned 5669 pages and failed 176 migrations): then the check has
	 * no control, so compact again, up to three rounds, checking gmem's
	 * pages after each.
	 */
	for (round = 1; round <= 3 && !anon_among; round++) {
		ret = write_str("/proc/sys/vm/compact_memory", "1");
		if (ret == -ENOENT)
			test_skip("no /proc/sys/vm/compact_memory (no CONFIG_COMPACTION)");
		if (ret)
			FAIL("writing /proc/sys/vm/compact_memory: %s",
			     errno_name(-ret));
		test_diag("compaction round %u: migrate_scanned +%lld, pgmigrate_fail +%lld",
			  round,
			  vmstat_get("compact_migrate_scanned") - scanned0,
			  vmstat_get("pgmigrate_fail") - fail0);

		for (uint64_t i = 0; i < nr; i++) {
			ASSERT_EQ(ct_resolve_pfn(ct, slot, i, &now), 0);
			if (now != pfn[i] && moved++ < 5)
				test_fail_at(__FILE__, __LINE__,
					     "page %llu moved from pfn %#llx to %#llx",
					     (unsigned long long)i,
					     (unsigned long long)pfn[i],
					     (unsigned long long)now);
		}
		EXPECT_EQ(moved, 0);
		for (uint64_t i = 0; i < nr; i += 256) {
			ASSERT_EQ(ct_rw(ct, slot, i, buf, false), 0);
			EXPECT_EQ(pattern_mismatch(buf, pg, i / 256), -1);
		}

		/*
		 * The positive control: compaction did move pages, some of
		 * them from among gmem's frames; without any, the pfns kept
		 * above would show nothing.
		 */
		anon_moved = 0;
		for (size_t i = 0; i < frag / (2 * pg); i++) {
			if (pagemap_pfn(anon + (2 * i + 1) * pg) == anon_pfn[i])
				continue;
			anon_moved++;
			anon_among += anon_pfn[i] > lo && anon_pfn[i] < hi;
		}
		test_diag("the control: compaction moved %u of %zu anonymous pages, %u of them from between gmem's frames %#llx and %#llx",
			  anon_moved, frag / (2 * pg), anon_among,
			  (unsigned long long)lo, (unsigned long long)hi);
	}
	if (!anon_among)
		test_skip("compaction moved no anonymous page from among gmem's frames in 3 rounds: no control for the check");
	ASSERT_SYS(munmap(anon, frag));
	free(anon_pfn);
	free(pfn);
}


/* ---- consumer API version 2 ---- */

/* GMEM_TEST_BIND_OPS with a made-up ops table: the raw ioctl result. */
static int bind_ops_raw(int ct, int fd, uint64_t start, uint64_t nr,
			uint32_t layout, uint32_t size, uint32_t flags,
			uint64_t tail, uint32_t *slot)
{
	struct gmem_test_bind_ops args = {
		.fd = fd, .start = start, .nr_pages = nr, .ops_size = size,
		.ops_flags = flags, .layout = layout, .tail = tail,
		.slot = UINT32_MAX,
	};
	int ret = ioctl(ct, GMEM_TEST_BIND_OPS, &args);

	if (slot)
		*slot = args.slot;
	return ret;
}

static void ops_version_check(void)
{
	long pg = page_size();
	int ct = ct_open();
	int fd = gmem_new_flags(16 * pg, 0);
	const uint32_t sz = GMEM_TEST_OPS_SIZE;
	const struct {
		const char *what;
		uint32_t layout, size, flags;
		uint64_t tail;
		int err;
	} bad[] = {
		{ "API version 1's table (three op pointers)", GMEM_TEST_OPS_V1, 0, 0, 0, EPROTO },
		{ "size 0", GMEM_TEST_OPS_V2, 0, 0, 0, EPROTO },
		{ "size 8 (size and flags only)", GMEM_TEST_OPS_V2, 8, 0, 0, EPROTO },
		{ "a byte short", GMEM_TEST_OPS_V2, sz - 1, 0, 0, EPROTO },
		{ "flags 1", GMEM_TEST_OPS_V2, sz, 1, 0, EPROTO },
		{ "flags 1 << 31", GMEM_TEST_OPS_V2, sz, 1U << 31, 0, EPROTO },
		{ "larger, an unknown op set", GMEM_TEST_OPS_V2, sz + 8, 0, 0xffffffffc0de0000ULL, E2BIG },
		{ "larger, an unknown byte set", GMEM_TEST_OPS_V2, sz + 64, 0, 1ULL << 56, E2BIG },
		{ "larger than gmem reads (8 KiB)", GMEM_TEST_OPS_V2, 8192, 0, 0, E2BIG },
	};
	uint32_t slot, first;

	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		test_diag("%s: %s", bad[i].what, errno_name(bad[i].err));
		slot = UINT32_MAX;
		EXPECT_ERRNO(bind_ops_raw(ct, fd, 0, 16, bad[i].layout,
					  bad[i].size, bad[i].flags,
					  bad[i].tail, &slot), bad[i].err);
		EXPECT_EQ(slot, UINT32_MAX);
	}
	/* Nothing was bound: no slot is in use, no event, the range is free. */
	for (uint32_t i = 0; i < GMEM_TEST_SLOTS; i++) {
		struct gmem_test_state st = { .slot = i, .start = 0, .end = 1 };

		EXPECT_ERRNO(ioctl(ct, GMEM_TEST_STATE, &st), ENOENT);
	}
	ASSERT_SYS(fallocate(fd, PUNCH, 0, 16 * pg));
	EXPECT_NO_EVENTS(ct);
	EXPECT_EQ(gmem_info(fd).allocated, 0);

	/* The right size binds; so does a larger one whose tail is zero. */
	ASSERT_SYS(bind_ops_raw(ct, fd, 0, 8, GMEM_TEST_OPS_V2, sz, 0, 0, &first));
	EXPECT_RESOLVE(ct, first, 3, 0);
	ASSERT_SYS(bind_ops_raw(ct, fd, 8, 8, GMEM_TEST_OPS_V2, sz + 256, 0, 0,
				&slot));
	EXPECT_RESOLVE(ct, slot, 9, 0);
	/* gmem copied the table (freed once bound): its ops still run. */
	ASSERT_SYS(fallocate(fd, PUNCH, 6 * pg, 4 * pg));
	EXPECT_EVENTS(ct, PAIR(first, 6, 8), PAIR(slot, 8, 10));
}

/* The events since the last call, with their flags: exactly @exp, in order. */
struct evf {
	uint32_t type;
	uint64_t start;
	uint64_t end;
	uint32_t flags;
};

static void expect_flags_at(int line, int ct, const struct evf *exp,
			    unsigned int n)
{
	static struct gmem_test_event got[MAX_EVENTS];
	unsigned int count = ct_events(ct, got);
	bool ok = count == n;

	for (unsigned int i = 0; ok && i < n; i++)
		ok = got[i].type == exp[i].type && got[i].start == exp[i].start &&
		     got[i].end == exp[i].end && got[i].flags == exp[i].flags;
	if (!ok) {
		test_fail_at(__FILE__, line, "the notifications' flags differ");
		for (unsigned int i = 0; i < count; i++)
			test_diag("  got %s [%llu, %llu) flags %#x",
				  ev_type(got[i].type),
				  (unsigned long long)got[i].start,
				  (unsigned long long)got[i].end, got[i].flags);
		for (unsigned int i = 0; i < n; i++)
			test_diag("  expected %s [%llu, %llu) flags %#x",
				  ev_type(exp[i].type),
				  (unsigned long long)exp[i].start,
				  (unsigned long long)exp[i].end, exp[i].flags);
	}
}

#define EXPECT_FLAGS(ct, ...)						\
	expect_flags_at(__LINE__, ct, (const struct evf[]){ __VA_ARGS__ },\
			sizeof((const struct evf[]){ __VA_ARGS__ }) /	\
			sizeof(struct evf))
#define FPAIR(s, e, f)	{ BEGIN, s, e, f }, { END, s, e, f }

/* gmem_is_private() and gmem_is_shared() of [@s, @e) of @slot. */
static void expect_state_at(int line, int ct, uint32_t slot, uint64_t s,
			    uint64_t e, int priv, int shared)
{
	struct gmem_test_state st = { .slot = slot, .start = s, .end = e,
				      .is_private = -1, .is_shared = -1 };

	if (ioctl(ct, GMEM_TEST_STATE, &st))
		FAIL("GMEM_TEST_STATE: %s", errno_name(errno));
	if (st.is_private != priv || st.is_shared != shared)
		test_fail_at(__FILE__, line,
			     "[%llu, %llu): gmem_is_private %d, gmem_is_shared %d; expected %d, %d",
			     (unsigned long long)s, (unsigned long long)e,
			     st.is_private, st.is_shared, priv, shared);
}

#define EXPECT_STATE(ct, slot, s, e, p, sh)				\
	expect_state_at(__LINE__, ct, slot, s, e, p, sh)

static int resolve_flags(int ct, uint32_t slot, uint64_t index,
			 uint32_t flags, int *max_order)
{
	struct gmem_test_resolve r = { .slot = slot, .index = index,
				       .flags = flags, .err = 1 };

	if (ioctl(ct, GMEM_TEST_RESOLVE, &r))
		FAIL("GMEM_TEST_RESOLVE: %s", errno_name(errno));
	if (max_order)
		*max_order = r.max_order;
	return r.err;
}

static void state_and_conversion_flags(void)
{
	long pg = page_size();
	int ct = ct_open();
	int fd = gmem_new_flags(32 * pg, GMEM_CREATE_MMAP);
	uint32_t slot = CT_BIND(ct, fd, 8, 16);	/* [8, 24) */
	unsigned char *buf = page_buf(), *a;
	int order = -1;

	/* All private at first; the queries answer for the binding only. */
	EXPECT_STATE(ct, slot, 8, 24, 1, 0);
	EXPECT_STATE(ct, slot, 10, 11, 1, 0);
	EXPECT_STATE(ct, slot, 7, 9, 0, 0);	/* starts outside */
	EXPECT_STATE(ct, slot, 23, 25, 0, 0);	/* ends outside */
	EXPECT_STATE(ct, slot, 12, 12, 0, 0);	/* empty */

	/* A conversion says its new state; punch and unbind say none. */
	CONVERT(fd, 4 * pg, 8 * pg, GMEM_SHARED);	/* [4, 12) */
	EXPECT_FLAGS(ct, FPAIR(8, 12, GMEM_TEST_INV_TO_SHARED));
	EXPECT_STATE(ct, slot, 8, 12, 0, 1);
	EXPECT_STATE(ct, slot, 11, 12, 0, 1);
	EXPECT_STATE(ct, slot, 8, 13, 0, 0);	/* mixed */
	EXPECT_STATE(ct, slot, 12, 24, 1, 0);
	CONVERT(fd, 10 * pg, pg, GMEM_PRIVATE);
	EXPECT_FLAGS(ct, FPAIR(10, 11, GMEM_TEST_INV_TO_PRIVATE));
	EXPECT_STATE(ct, slot, 10, 11, 1, 0);
	EXPECT_STATE(ct, slot, 8, 10, 0, 1);
	ASSERT_SYS(fallocate(fd, PUNCH, 9 * pg, 2 * pg));
	EXPECT_FLAGS(ct, FPAIR(9, 11, 0));
	a = gmem_map(fd, 32 * pg);
	fill_pattern(a + 8 * pg, pg, 8);

	/* GMEM_TEST_GET_SHARED: shared pages resolve, private ones do not. */
	EXPECT_EQ(resolve_flags(ct, slot, 8, GMEM_TEST_GET_SHARED, &order), 0);
	EXPECT_EQ(order, 0);
	EXPECT_EQ(resolve_flags(ct, slot, 8, 0, NULL), -EACCES);
	EXPECT_EQ(resolve_flags(ct, slot, 12, GMEM_TEST_GET_SHARED, NULL), -EACCES);
	EXPECT_EQ(resolve_flags(ct, slot, 12, 0, NULL), 0);
	EXPECT_EQ(resolve_flags(ct, slot, 12, 1U << 2, NULL), -EINVAL);
	/* GMEM_TEST_GET_WRITE: any page, in either state */
	EXPECT_EQ(resolve_flags(ct, slot, 12, GMEM_TEST_GET_WRITE, NULL), 0);
	EXPECT_EQ(resolve_flags(ct, slot, 8, GMEM_TEST_GET_SHARED |
				GMEM_TEST_GET_WRITE, NULL), 0);
	EXPECT_EQ(resolve_flags(ct, slot, 30, GMEM_TEST_GET_SHARED, NULL), -ERANGE);
	/* The page the consumer resolved shared is the one the VMM wrote. */
	CONVERT(fd, 8 * pg, pg, GMEM_PRIVATE);
	munmap(a, 32 * pg);
	EXPECT_EQ(ct_rw(ct, slot, 8, buf, false), 0);
	EXPECT_EQ(pattern_mismatch(buf, pg, 8), -1);
	drain_events(ct);
	ct_unbind(ct, slot);
	EXPECT_FLAGS(ct, FPAIR(8, 24, 0));
}

/* ---- concurrency ---- */

#define STRESS_MSECS	3000

static void stress_run(uint32_t flags)
{
	long pg = page_size();
	uint64_t nr = 64;
	int ct = ct_open();
	int fd = gmem_new_flags(nr * pg, 0), status;
	struct gmem_test_stress *st;
	uint32_t slot = CT_BIND(ct, fd, 0, nr);
	long rounds = 0, again = 0;
	pid_t pid;

	st = mmap(NULL, sizeof(*st), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(st != MAP_FAILED);
	*st = (struct gmem_test_stress){
		.slot = slot, .threads = 2, .msecs = STRESS_MSECS,
		.bad = UINT64_MAX, .flags = flags, .retries = UINT64_MAX,
	};
	pid = ASSERT_SYS(fork());
	if (pid == 0)
		_exit(ioctl(ct, GMEM_TEST_STRESS, st) ? 1 : 0);

	do {
		struct gmem_convert cv = {
			.offset = 16 * pg, .length = 32 * pg, .to = GMEM_SHARED,
		};

		ASSERT_SYS(fallocate(fd, PUNCH, 0, nr * pg));
		ASSERT_SYS(ioctl(fd, GMEM_CONVERT, &cv));
		ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, nr * pg));
		cv.to = GMEM_PRIVATE;
		/* in-flight resolves hold no page of a shared range, but an LRU batch may */
		while (ioctl(fd, GMEM_CONVERT, &cv)) {
			ASSERT_EQ(errno, EAGAIN);
			if (++again > 10000)
				FAIL("shared -> private: EAGAIN 10000 times");
		}
		rounds++;
	} while (waitpid(pid, &status, WNOHANG) == 0);

	test_diag("%ld punch/convert rounds (%ld EAGAIN); %llu resolves, %llu bad, %llu retried",
		  rounds, again, (unsigned long long)st->resolves,
		  (unsigned long long)st->bad, (unsigned long long)st->retries);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		FAIL("GMEM_TEST_STRESS failed (status %#x)", status);
	if (st->bad)
		FAIL("%llu resolves failed otherwise than -EACCES, e.g. %s",
		     (unsigned long long)st->bad, errno_name(-st->last_bad_err));
	EXPECT_GT(st->resolves, 0);
	EXPECT_GT(rounds, 1);
	if (flags & GMEM_TEST_STRESS_SEQ) {
		/* some resolves raced an invalidation, and were retried */
		EXPECT_GT(st->retries, 0);
		EXPECT_GT(st->resolves, st->retries);
	} else {
		EXPECT_EQ(st->retries, 0);
	}
	/* all of it still works */
	drain_events(ct);
	EXPECT_RESOLVE(ct, slot, 20, 0);
	EXPECT_EQ(gmem_info(fd).private_bytes, nr * pg);
}

static void stress_vs_punch_convert(void)
{
	stress_run(0);
}

static void stress_seq_vs_punch_convert(void)
{
	stress_run(GMEM_TEST_STRESS_SEQ);
}

/*
 * Every change that can make a lockless resolve's answer stale, one after
 * the other while two kernel threads resolve with gmem_read_begin/retry():
 * a punch of part of a folio (on a huge fd: a split) and fallocate() back,
 * a conversion to shared and back, GMEM_MIGRATE to the other node (on a
 * huge fd with GMEM_MIGRATE_COLLAPSE, which re-forms split blocks) and
 * memory failure of a page, punched again afterwards.  Every answer the
 * retry check keeps must still hold (gmem_test_still_good()).
 */
#define LOCKLESS_BLOCKS		4
#define LOCKLESS_POISONS	6

/*
 * Memory failure of page @index (at @pfn, resolved before the stress:
 * GMEM_TEST_RESOLVE would wait for it to end), then a punch of its whole
 * block, which takes out a large folio that could not split too.  Memory
 * failure may meet the resolvers' references: EBUSY (it gave up), or
 * EHWPOISON for a large folio it could not split (the page stays marked
 * in it, and gmem finds it at the next locked touch).  Returns 1 if
 * memory failure reported it handled the page, else 0.
 */
static int lockless_poison(int fd, uint64_t pfn, uint64_t index,
			   uint64_t block_pages)
{
	long pg = page_size();
	char num[32];
	int err;

	snprintf(num, sizeof(num), "%llu", (unsigned long long)pfn);
	err = write_str(CORRUPT_PFN, num);
	if (err && err != -EBUSY && err != -EHWPOISON)
		FAIL("writing pfn %s to %s: %s", num, CORRUPT_PFN,
		     errno_name(-err));
	index -= index % block_pages;
	ASSERT_SYS(fallocate(fd, PUNCH, index * pg, block_pages * pg));
	return !err;
}

static void stress_lockless(bool huge)
{
	uint64_t block = huge ? GMEM_HUGE_SIZE / page_size() : 16;
	/* blocks to punch, convert and migrate, then one per memory failure */
	uint64_t nr = (LOCKLESS_BLOCKS + LOCKLESS_POISONS) * block;
	uint64_t pfns[LOCKLESS_POISONS], victim[LOCKLESS_POISONS];
	uint64_t migrated = 0;
	int fd = gmem_new_flags(nr * page_size(), huge ? GMEM_CREATE_HUGE : 0);
	uint64_t mem = numa_mem_mask(), b;
	unsigned int round = 0, poisons = 0, handled = 0, busy = 0;
	double worst[4] = { 0 }, t;
	long pg = page_size(), again = 0;
	struct gmem_test_stress *st;
	struct gmem_migrate mg;
	int ct = ct_open(), status;
	uint32_t slot, node = 0;
	pid_t pid;

	hwpoison_inject_ready();
	if (huge)
		gmem_need_huge_blocks(2 * LOCKLESS_BLOCKS + LOCKLESS_POISONS);
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, nr * pg));
	/*
	 * On a huge fd, one shared page in the last block for the whole run:
	 * every resolve then asks the summary of which blocks hold a shared
	 * page, while the conversions below set and clear their blocks' bits.
	 * (A small fd's blocks all lie in one 2 MiB block, which the
	 * conversions alone set and clear.)
	 */
	if (huge)
		CONVERT(fd, (nr - 1) * pg, pg, GMEM_SHARED);
	slot = CT_BIND(ct, fd, 0, nr);
	for (int i = 0; i < LOCKLESS_POISONS; i++) {
		victim[i] = (LOCKLESS_BLOCKS + i) * block + block / 2 + i;
		ASSERT_EQ(ct_resolve_pfn(ct, slot, victim[i], &pfns[i]), 0);
	}
	st = mmap(NULL, sizeof(*st), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(st != MAP_FAILED);
	*st = (struct gmem_test_stress){
		.slot = slot, .threads = 2, .msecs = STRESS_MSECS,
		.bad = UINT64_MAX, .flags = GMEM_TEST_STRESS_SEQ,
		.retries = UINT64_MAX,
	};
	pid = ASSERT_SYS(fork());
	if (pid == 0)
		_exit(ioctl(ct, GMEM_TEST_STRESS, st) ? 1 : 0);

	do {
		b = (round / 4 % LOCKLESS_BLOCKS) * block;
		t = now_s();
		switch (round % 4) {
		case 0:		/* part of a folio */
			ASSERT_SYS(fallocate(fd, PUNCH, (b + 3) * pg, 5 * pg));
			ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, b * pg,
					     block * pg));
			break;
		case 1: {
			struct gmem_convert cv = {
				.offset = (b + 7) * pg, .length = 3 * pg,
				.to = GMEM_SHARED,
			};

			ASSERT_SYS(ioctl(fd, GMEM_CONVERT, &cv));
			cv.to = GMEM_PRIVATE;
			while (ioctl(fd, GMEM_CONVERT, &cv)) {
				ASSERT_EQ(errno, EAGAIN);
				if (++again > 10000)
					FAIL("shared -> private: EAGAIN 10000 times");
			}
			break;
		}
		case 2:		/* to the other node, where there is one */
			if (mem & 2)
				node = !node;
			mg = (struct gmem_migrate){
				.length = LOCKLESS_BLOCKS * block * pg,
				.node = node,
				.flags = huge ? GMEM_MIGRATE_COLLAPSE : 0,
			};
			/* a resolve holds a folio for an instant: EBUSY */
			if (ioctl(fd, GMEM_MIGRATE, &mg)) {
				if (errno != EBUSY && errno != ENOMEM)
					FAIL("GMEM_MIGRATE: %s",
					     errno_name(errno));
				busy++;
			}
			migrated += mg.moved;
			break;
		default:
			if (poisons < LOCKLESS_POISONS) {
				handled += lockless_poison(fd, pfns[poisons],
							   victim[poisons],
							   block);
				poisons++;
			}
			break;
		}
		t = now_s() - t;
		if (t > worst[round % 4])
			worst[round % 4] = t;
		round++;
	} while (waitpid(pid, &status, WNOHANG) == 0);

	test_diag("%u rounds (%u memory failures, %u handled whole, %u migrations busy, %ld EAGAIN, %llu MiB migrated; the slowest punch %.3f s, conversion %.3f s, migration %.3f s, memory failure %.3f s); %llu resolves, %llu bad, %llu retried",
		  round, poisons, handled, busy, again,
		  (unsigned long long)(migrated >> 20), worst[0], worst[1],
		  worst[2], worst[3],
		  (unsigned long long)st->resolves,
		  (unsigned long long)st->bad,
		  (unsigned long long)st->retries);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		FAIL("GMEM_TEST_STRESS failed (status %#x)", status);
	if (st->bad)
		FAIL("%llu resolves were wrong, e.g. %s",
		     (unsigned long long)st->bad, errno_name(-st->last_bad_err));
	/* each kind of change ran, raced, and was retried */
	EXPECT_GT(round, 4);
	EXPECT_GT(poisons, 0);
	EXPECT_GT(st->retries, 0);
	EXPECT_GT(st->resolves, st->retries);
	/* all of it still works */
	drain_events(ct);
	EXPECT_RESOLVE(ct, slot, 20, 0);
	EXPECT_EQ(gmem_info(fd).poisoned, 0);
	EXPECT_EQ(gmem_info(fd).private_bytes, (nr - huge) * pg);
}

static void stress_lockless_huge(void)
{
	stress_lockless(true);
}

static void stress_lockless_small(void)
{
	stress_lockless(false);
}

#define CT_TEST(name, fn, ...)	TEST(name, fn, .cleanup = ct_cleanup, __VA_ARGS__)

static const struct test consumer_tests[] = {
	CT_TEST("resolve: new memory zeroed, populated memory its bytes",
		resolve_contents, .zeroing = true),
	CT_TEST("consumer writes survive private -> shared, VMM writes shared -> private",
		writes_survive_conversion),
	CT_TEST("resolve: shared page -EACCES, outside the binding -ERANGE",
		resolve_errors),
	CT_TEST("notifications: punch, conversion, unbind, clipped, per binding",
		notifications),
	CT_TEST("overlapping bind: EBUSY; disjoint bindings both resolve",
		overlapping_bind),
	CT_TEST("bind of a non-gmem fd: EINVAL; of a bad fd: EBADF", bind_bad_fd),
	CT_TEST("unbind then punch: no events, no crash", unbind_then_punch),
	CT_TEST("gmem fd closed while bound: resolves work, memory freed at unbind",
		close_fd_keep_resolving),
	CT_TEST("unload gmem_test while bound: exit unbinds, reload works, memory freed at close",
		unload_consumer_while_bound),
	CT_TEST("unloading gmem while gmem_test is loaded is refused",
		unload_gmem_refused),
	CT_TEST("MADV_HWPOISON on a shared page: ERROR event, -EHWPOISON, SIGBUS, punch heals",
		hwpoison_shared, .kmsg_allow = HWPOISON_KMSG),
	CT_TEST("hwpoison_inject on a private page: ERROR event, -EHWPOISON, punch heals",
		hwpoison_private, .kmsg_allow = HWPOISON_KMSG),
	CT_TEST("move_pages() of a mapped shared page to another node: refused",
		move_pages_refused),
	CT_TEST("compaction leaves private pages where they are",
		compaction_refused, .timeout = 120),
	CT_TEST("GMEM_TEST_STRESS resolving while punch and convert run: no bad results",
		stress_vs_punch_convert),
	CT_TEST("ops table of another API version or size: EPROTO or E2BIG, nothing bound",
		ops_version_check),
	CT_TEST("gmem_is_private/shared, conversions announce their state, GMEM_GET_SHARED",
		state_and_conversion_flags),
	CT_TEST("gmem_read_begin/retry while punch and convert run: nothing stale kept",
		stress_seq_vs_punch_convert),
	CT_TEST("stress: lockless resolves with the retry protocol race punch, conversion, migration and memory failure (2 MiB folios)",
		stress_lockless_huge),
	CT_TEST("stress: lockless resolves with the retry protocol race punch, conversion, migration and memory failure (4 KiB folios)",
		stress_lockless_small),
};

DEFINE_SUITE(consumer_suite, "consumer", consumer_tests);
