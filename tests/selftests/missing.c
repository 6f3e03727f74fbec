// SPDX-License-Identifier: GPL-2.0
/*
 * Demand paging: GMEM_MISSING_ARM and GMEM_MISSING_EVENTS, how a VMM
 * starts a guest before its memory is there (snapshot restore, post-copy
 * migration).  A touch of a missing page is reported once on the event fd
 * and waits: a fault of a mapping and read() sleep until the page is
 * filled (pwrite(), GMEM_POPULATE, fallocate() as zeroes) or the range
 * disarmed, and then see the filled contents; a consumer's resolve fails
 * at once with -ENODATA.  Without an event fd, or once it is closed, a
 * touch fails at once.  Signals end the waits cleanly, teardown in any
 * order frees everything, and every bad argument gets its errno and
 * changes nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "ct.h"
#include "fault.h"
#include "gmemfd.h"
#include "suites.h"

#define MAPPABLE	(GMEM_CREATE_MMAP | GMEM_CREATE_SHARED)
#define PUNCH		(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE)
#define HUGE		GMEM_HUGE_SIZE
#define EV_SIZE		sizeof(struct gmem_missing_event)
/* How long a waiter is given to show it waits (and not finishes). */
#define SETTLE_MS	200
/* How long an event or a waiter's end is waited for. */
#define EVENT_MS	10000

#define CT_TEST(name, fn, ...)	TEST(name, fn, .cleanup = ct_cleanup, __VA_ARGS__)

/* GMEM_MISSING_ARM of [@off, @off + @len) with @flags: the raw result. */
static int arm_raw(int fd, uint64_t off, uint64_t len, uint32_t flags,
		   uint32_t reserved)
{
	struct gmem_missing_range r = {
		.offset = off, .length = len, .flags = flags,
		.reserved = reserved,
	};

	return ioctl(fd, GMEM_MISSING_ARM, &r);
}

#define ARM(fd, off, len)	ASSERT_SYS(arm_raw(fd, off, len, 0, 0))
#define DISARM(fd, off, len)						\
	ASSERT_SYS(arm_raw(fd, off, len, GMEM_MISSING_DISARM, 0))

static int events_open(int fd, int flags)
{
	return ioctl(fd, GMEM_MISSING_EVENTS, (unsigned long)flags);
}

/* The next event of @efd within @ms: 1, or 0 if none came. */
static int next_event(int efd, struct gmem_missing_event *ev, int ms)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, ms) <= 0)
		return 0;
	n = read(efd, ev, sizeof(*ev));
	if (n != (ssize_t)sizeof(*ev))
		FAIL("read of the event fd: %zd, %s", n, errno_name(errno));
	return 1;
}

/* The next event must come, and be @off, @len, @source. */
static void expect_event_at(const char *file, int line, int efd, uint64_t off,
			    uint64_t len, uint32_t source)
{
	struct gmem_missing_event ev;

	if (!next_event(efd, &ev, EVENT_MS)) {
		test_fail_at(file, line, "no event for offset %#llx",
			     (unsigned long long)off);
		test_end();
	}
	if (ev.offset != off || ev.length != len || ev.source != source ||
	    ev.flags || ev.reserved)
		test_fail_at(file, line, "event offset %#llx length %#llx source %u flags %#x reserved %#llx, expected %#llx %#llx %u",
			     (unsigned long long)ev.offset,
			     (unsigned long long)ev.length, ev.source,
			     ev.flags, (unsigned long long)ev.reserved,
			     (unsigned long long)off,
			     (unsigned long long)len, source);
}

#define EXPECT_EVENT(efd, off, len, source)				\
	expect_event_at(__FILE__, __LINE__, efd, off, len, source)

/* No event is queued (after @ms to let one come). */
#define EXPECT_NO_EVENT(efd, ms)					\
	do {								\
		struct gmem_missing_event ev_;				\
		if (next_event(efd, &ev_, ms))				\
			FAIL("unexpected event at %#llx source %u",	\
			     (unsigned long long)ev_.offset, ev_.source); \
	} while (0)

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* ---- threads that touch a page and wait ---- */

enum touch_kind { TOUCH_READ, TOUCH_WRITE, TOUCH_PREAD };

struct toucher {
	pthread_t thread;
	enum touch_kind kind;
	int fd;			/* TOUCH_PREAD */
	unsigned char *addr;	/* TOUCH_READ, TOUCH_WRITE: the mapped byte */
	uint64_t off;		/* TOUCH_PREAD: the fd offset */
	unsigned char val;	/* read, or written */
	struct fault f;		/* the fault, if any */
	ssize_t ret;		/* TOUCH_PREAD: pread's result */
	int err;		/* and its errno */
	atomic_int done;
};

static void *toucher_fn(void *arg)
{
	struct toucher *t = arg;

	switch (t->kind) {
	case TOUCH_READ:
		t->f = fault_read(t->addr, &t->val);
		break;
	case TOUCH_WRITE:
		t->f = fault_write(t->addr, t->val);
		break;
	case TOUCH_PREAD:
		t->ret = pread(t->fd, &t->val, 1, t->off);
		t->err = errno;
		break;
	}
	atomic_store(&t->done, 1);
	return NULL;
}

static void toucher_start(struct toucher *t)
{
	atomic_store(&t->done, 0);
	ASSERT_EQ(pthread_create(&t->thread, NULL, toucher_fn, t), 0);
}

/* Waits up to EVENT_MS for @t to finish; false if it did not. */
static bool toucher_join(struct toucher *t)
{
	for (int i = 0; i < EVENT_MS / 10; i++) {
		if (atomic_load(&t->done)) {
			pthread_join(t->thread, NULL);
			return true;
		}
		sleep_ms(10);
	}
	return false;
}

static struct toucher *fault_toucher(unsigned char *addr, bool write,
				     unsigned char val)
{
	struct toucher *t = calloc(1, sizeof(*t));

	ASSERT_TRUE(t != NULL);
	t->kind = write ? TOUCH_WRITE : TOUCH_READ;
	t->addr = addr;
	t->val = val;
	toucher_start(t);
	return t;
}

static struct toucher *pread_toucher(int fd, uint64_t off)
{
	struct toucher *t = calloc(1, sizeof(*t));

	ASSERT_TRUE(t != NULL);
	t->kind = TOUCH_PREAD;
	t->fd = fd;
	t->off = off;
	toucher_start(t);
	return t;
}

/* @t must still be waiting after SETTLE_MS. */
#define EXPECT_WAITING(t)						\
	do {								\
		sleep_ms(SETTLE_MS);					\
		EXPECT_EQ(atomic_load(&(t)->done), 0);			\
	} while (0)

#define EXPECT_DONE(t)	ASSERT_TRUE(toucher_join(t))

/* Fills page @off of @fd with @c through pwrite(); all of it. */
static void fill_page(int fd, uint64_t off, int c)
{
	long pg = page_size();
	unsigned char *buf = xmalloc(pg);

	memset(buf, c, pg);
	ASSERT_EQ(pwrite(fd, buf, pg, off), pg);
	free(buf);
}

static unsigned long long fdinfo_missing(int fd, const char *what)
{
	char key[64];

	snprintf(key, sizeof(key), "gmem-missing-%s", what);
	return gmem_fdinfo_value(fd, key);
}

/* The state GMEM_QUERY gives the page at @off. */
static uint32_t page_state(int fd, uint64_t off)
{
	struct gmem_query_run run;
	uint32_t n = 0;

	ASSERT_SYS(gmem_query_raw(fd, off, page_size(), &run, 1, &n, NULL));
	ASSERT_EQ(n, 1);
	return run.state;
}

/* ---- arguments ---- */

static void arm_errnos(void)
{
	long pg = page_size();
	int fd = gmem_new_flags(8 * pg, MAPPABLE);
	int hfd = gmem_new_flags(2 * HUGE + 4 * pg, MAPPABLE | GMEM_CREATE_HUGE);
	struct gmem_missing_range r = { .offset = 0, .length = pg };
	int dev = gmem_open_dev(), efd;

	/* flags, reserved, every bad range */
	for (unsigned int bit = 1; bit < 32; bit++)
		EXPECT_ERRNO(arm_raw(fd, 0, pg, 1U << bit, 0), EINVAL);
	EXPECT_ERRNO(arm_raw(fd, 0, pg, 0, 1), EINVAL);
	EXPECT_ERRNO(arm_raw(fd, 0, pg, GMEM_MISSING_DISARM, 1U << 31), EINVAL);
	EXPECT_ERRNO(arm_raw(fd, 0, 0, 0, 0), EINVAL);
	EXPECT_ERRNO(arm_raw(fd, 1, pg, 0, 0), EINVAL);
	EXPECT_ERRNO(arm_raw(fd, 0, pg + 1, 0, 0), EINVAL);
	EXPECT_ERRNO(arm_raw(fd, 8 * pg, pg, 0, 0), EINVAL);
	EXPECT_ERRNO(arm_raw(fd, 7 * pg, 2 * pg, 0, 0), EINVAL);
	EXPECT_ERRNO(arm_raw(fd, -(uint64_t)pg, 2 * pg, 0, 0), EINVAL);
	EXPECT_ERRNO(arm_raw(fd, pg, -(uint64_t)pg, 0, 0), EINVAL);
	/* a huge fd arms whole 2 MiB blocks, or up to its end */
	EXPECT_ERRNO(arm_raw(hfd, pg, HUGE, 0, 0), EINVAL);
	EXPECT_ERRNO(arm_raw(hfd, 0, HUGE + pg, 0, 0), EINVAL);
	EXPECT_ERRNO(arm_raw(hfd, HUGE, pg, GMEM_MISSING_DISARM, 0), EINVAL);
	/* the pointer */
	EXPECT_ERRNO(ioctl(fd, GMEM_MISSING_ARM, NULL), EFAULT);
	EXPECT_ERRNO(ioctl(fd, GMEM_MISSING_ARM, (void *)-4096L), EFAULT);
	/* nothing was armed by any of them */
	EXPECT_EQ(fdinfo_missing(fd, "armed"), 0);
	EXPECT_EQ(fdinfo_missing(hfd, "armed"), 0);
	EXPECT_EQ(page_state(fd, 0) & GMEM_PAGE_MISSING, 0);
	/* what works */
	ARM(hfd, 2 * HUGE, 4 * pg);
	ARM(hfd, 0, HUGE);
	EXPECT_EQ(fdinfo_missing(hfd, "armed"), HUGE + 4 * pg);
	DISARM(hfd, 0, 2 * HUGE + 4 * pg);
	EXPECT_EQ(fdinfo_missing(hfd, "armed"), 0);

	/* the other encodings of both numbers, and /dev/gmem */
	EXPECT_ERRNO(ioctl(fd, _IOR(GMEM_IOCTL_TYPE, 0x09,
				    struct gmem_missing_range), &r), ENOTTY);
	EXPECT_ERRNO(ioctl(fd, _IOWR(GMEM_IOCTL_TYPE, 0x09,
				     struct gmem_missing_range), &r), ENOTTY);
	EXPECT_ERRNO(ioctl(fd, _IO(GMEM_IOCTL_TYPE, 0x09), &r), ENOTTY);
	EXPECT_ERRNO(ioctl(fd, _IOW(GMEM_IOCTL_TYPE, 0x0a, int), 0), ENOTTY);
	EXPECT_ERRNO(ioctl(fd, _IOR(GMEM_IOCTL_TYPE, 0x0a, int), 0), ENOTTY);
	EXPECT_ERRNO(ioctl(dev, GMEM_MISSING_ARM, &r), ENOTTY);
	EXPECT_ERRNO(ioctl(dev, GMEM_MISSING_EVENTS, 0), ENOTTY);
	EXPECT_EQ(fdinfo_missing(fd, "armed"), 0);

	/* the event fd: flags, one at a time, again once closed */
	EXPECT_ERRNO(events_open(fd, O_RDWR), EINVAL);
	EXPECT_ERRNO(events_open(fd, O_APPEND), EINVAL);
	EXPECT_ERRNO(events_open(fd, 1 << 30), EINVAL);
	efd = ASSERT_SYS(events_open(fd, 0));
	EXPECT_EQ(fcntl(efd, F_GETFD) & FD_CLOEXEC, 0);
	EXPECT_EQ(fcntl(efd, F_GETFL) & O_NONBLOCK, 0);
	EXPECT_ERRNO(events_open(fd, 0), EBUSY);
	EXPECT_ERRNO(events_open(gmem_reopen(fd, O_RDWR), O_CLOEXEC), EBUSY);
	close(efd);
	efd = ASSERT_SYS(events_open(fd, O_CLOEXEC | O_NONBLOCK));
	EXPECT_EQ(fcntl(efd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	EXPECT_EQ(fcntl(efd, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	/* reads: whole records only, EAGAIN when empty */
	{
		unsigned char buf[EV_SIZE * 2];

		EXPECT_ERRNO(read(efd, buf, EV_SIZE - 1), EINVAL);
		EXPECT_ERRNO(read(efd, buf, 0), EINVAL);
		EXPECT_ERRNO(read(efd, buf, sizeof(buf)), EAGAIN);
		EXPECT_ERRNO(write(efd, buf, EV_SIZE), EBADF);
	}
	close(efd);
}

/* Armed bytes in fdinfo and GMEM_PAGE_MISSING in GMEM_QUERY, step by step. */
static void arm_query(void)
{
	long pg = page_size();
	int fd = gmem_new_flags(16 * pg, MAPPABLE);
	struct gmem_query_run runs[8];
	uint32_t n = 0;

	EXPECT_EQ(fdinfo_missing(fd, "armed"), 0);
	fill_page(fd, 5 * pg, 0x55);
	ARM(fd, 2 * pg, 6 * pg);		/* [2, 8), page 5 has memory */
	ARM(fd, 4 * pg, 8 * pg);		/* [2, 12) */
	EXPECT_EQ(fdinfo_missing(fd, "armed"), 10 * pg);
	DISARM(fd, 6 * pg, 2 * pg);		/* [2, 6) and [8, 12) */
	DISARM(fd, 14 * pg, 2 * pg);		/* nothing armed there */
	EXPECT_EQ(fdinfo_missing(fd, "armed"), 8 * pg);
	ASSERT_SYS(gmem_query_raw(fd, 0, 16 * pg, runs, ARRAY_SIZE(runs), &n,
				  NULL));
	ASSERT_EQ(n, 6);
	struct { uint64_t off, len; uint32_t state; } want[] = {
		{ 0, 2, GMEM_PAGE_SHARED },
		{ 2, 3, GMEM_PAGE_SHARED | GMEM_PAGE_MISSING },
		{ 5, 1, GMEM_PAGE_SHARED | GMEM_PAGE_ALLOCATED },
		{ 6, 2, GMEM_PAGE_SHARED },
		{ 8, 4, GMEM_PAGE_SHARED | GMEM_PAGE_MISSING },
		{ 12, 4, GMEM_PAGE_SHARED },
	};
	for (unsigned int i = 0; i < ARRAY_SIZE(want); i++) {
		test_diag("run %u: %#llx +%#llx state %#x", i,
			  (unsigned long long)runs[i].offset,
			  (unsigned long long)runs[i].length, runs[i].state);
		EXPECT_EQ(runs[i].offset, want[i].off * pg);
		EXPECT_EQ(runs[i].length, want[i].len * pg);
		EXPECT_EQ(runs[i].state, want[i].state);
	}
	/* filled: no longer missing; punched again: missing again */
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 3 * pg, pg));
	EXPECT_EQ(page_state(fd, 3 * pg),
		  GMEM_PAGE_SHARED | GMEM_PAGE_ALLOCATED);
	ASSERT_SYS(fallocate(fd, PUNCH, 3 * pg, pg));
	EXPECT_EQ(page_state(fd, 3 * pg), GMEM_PAGE_SHARED | GMEM_PAGE_MISSING);
	/* private pages are missing alike */
	CONVERT(fd, 8 * pg, 2 * pg, GMEM_PRIVATE);
	EXPECT_EQ(page_state(fd, 8 * pg), GMEM_PAGE_MISSING);
	EXPECT_EQ(fdinfo_missing(fd, "outstanding"), 0);
	EXPECT_EQ(fdinfo_missing(fd, "queued"), 0);
	/* an fd that never armed pays nothing and says so */
	EXPECT_EQ(fdinfo_missing(gmem_new(pg), "armed"), 0);
}

/* ---- host faults ---- */

/*
 * A fault on a missing shared page waits, reported once; pwrite() fills
 * it and the fault sees exactly what was written.  Nothing is allocated
 * until then.
 */
static void fault_waits_for_fill(void)
{
	long pg = page_size();
	int fd = gmem_new_flags(4 * pg, MAPPABLE);
	unsigned char *map = gmem_map(fd, 4 * pg);
	int efd = ASSERT_SYS(events_open(fd, O_CLOEXEC));
	struct toucher *t;

	fault_install();
	map[0] = 1;			/* not armed: an ordinary page */
	ARM(fd, 0, 4 * pg);
	EXPECT_EQ(map[0], 1);		/* has memory: not missing */
	t = fault_toucher(map + pg + 7, false, 0);
	EXPECT_EVENT(efd, pg, pg, GMEM_MISSING_FAULT);
	EXPECT_WAITING(t);
	EXPECT_EQ(gmem_info(fd).allocated, pg);
	EXPECT_EQ(fdinfo_missing(fd, "outstanding"), 1);
	EXPECT_EQ(fdinfo_missing(fd, "queued"), 0);
	fill_page(fd, pg, 0x3c);
	EXPECT_DONE(t);
	EXPECT_EQ(t->f.sig, 0);
	EXPECT_EQ(t->val, 0x3c);
	EXPECT_EQ(fdinfo_missing(fd, "outstanding"), 0);
	EXPECT_EQ(gmem_info(fd).allocated, 2 * pg);
	/* the filled page stays; the next one is missing in its turn */
	EXPECT_EQ(map[pg + 100], 0x3c);
	t = fault_toucher(map + 2 * pg, true, 0x77);
	EXPECT_EVENT(efd, 2 * pg, pg, GMEM_MISSING_FAULT);
	EXPECT_WAITING(t);
	fill_page(fd, 2 * pg, 0x11);
	EXPECT_DONE(t);
	EXPECT_EQ(t->f.sig, 0);
	/* the write went in after the fill */
	EXPECT_EQ(map[2 * pg], 0x77);
	EXPECT_EQ(map[2 * pg + 1], 0x11);
	EXPECT_NO_EVENT(efd, 0);
}

/* Threads faulting on the same page: one event, all proceed on the fill. */
static void fault_concurrent_one_event(void)
{
	long pg = page_size();
	int fd = gmem_new_flags(4 * pg, MAPPABLE);
	unsigned char *map = gmem_map(fd, 4 * pg);
	unsigned char *map2 = gmem_map(fd, 4 * pg);
	int efd = ASSERT_SYS(events_open(fd, O_CLOEXEC | O_NONBLOCK));
	struct toucher *t[4];
	unsigned char buf[EV_SIZE * 4];
	struct gmem_missing_event ev;

	fault_install();
	ARM(fd, 0, 4 * pg);
	t[0] = fault_toucher(map + 3 * pg, false, 0);
	t[1] = fault_toucher(map + 3 * pg + 100, false, 0);
	t[2] = fault_toucher(map2 + 3 * pg + 200, false, 0);
	t[3] = pread_toucher(fd, 3 * pg + 300);
	/* the first toucher's event, a fault or the read */
	ASSERT_EQ(next_event(efd, &ev, EVENT_MS), 1);
	EXPECT_EQ(ev.offset, 3 * pg);
	EXPECT_EQ(ev.length, pg);
	EXPECT_TRUE(ev.source == GMEM_MISSING_FAULT ||
		    ev.source == GMEM_MISSING_READ);
	for (unsigned int i = 0; i < ARRAY_SIZE(t); i++)
		EXPECT_WAITING(t[i]);
	/* and no second one, whoever touched it */
	EXPECT_ERRNO(read(efd, buf, sizeof(buf)), EAGAIN);
	EXPECT_EQ(fdinfo_missing(fd, "outstanding"), 1);
	fill_page(fd, 3 * pg, 0xa7);
	for (unsigned int i = 0; i < ARRAY_SIZE(t); i++) {
		EXPECT_DONE(t[i]);
		EXPECT_EQ(t[i]->val, 0xa7);
	}
	EXPECT_EQ(t[3]->ret, 1);
	EXPECT_ERRNO(read(efd, buf, sizeof(buf)), EAGAIN);
}

struct kernel_toucher {
	pthread_t thread;
	int kind;		/* 0: pread() into it, 1: process_vm_readv() */
	int src;		/* kind 0: the fd read from */
	unsigned char *addr;	/* the missing page's address */
	unsigned char buf[64];	/* kind 1: what was read */
	ssize_t ret;
	int err;
	atomic_int done;
};

static void *kernel_toucher_fn(void *arg)
{
	struct kernel_toucher *k = arg;

	if (k->kind == 0) {
		k->ret = pread(k->src, k->addr, 64, 0);
	} else {
		struct iovec local = { k->buf, 64 }, remote = { k->addr, 64 };

		k->ret = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	}
	k->err = errno;
	atomic_store(&k->done, 1);
	return NULL;
}

/*
 * Faults the kernel takes on a user's behalf wait too, until a fatal
 * signal: a copy to user memory (pread() of another fd into a missing
 * page of a mapping) and GUP (process_vm_readv() of one); both complete
 * with the filled bytes.
 */
static void kernel_faults_wait(void)
{
	long pg = page_size();
	int fd = gmem_new_flags(4 * pg, MAPPABLE);
	int src = gmem_new_flags(pg, MAPPABLE);
	unsigned char *map = gmem_map(fd, 4 * pg);
	int efd = ASSERT_SYS(events_open(fd, O_CLOEXEC));
	struct kernel_toucher k[2] = {
		{ .kind = 0, .src = src, .addr = map + pg },
		{ .kind = 1, .addr = map + 2 * pg + 8 },
	};

	fill_page(src, 0, 0x6e);
	ARM(fd, 0, 4 * pg);
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(pthread_create(&k[i].thread, NULL, kernel_toucher_fn,
					 &k[i]), 0);
		EXPECT_EVENT(efd, (i + 1) * pg, pg, GMEM_MISSING_FAULT);
		sleep_ms(SETTLE_MS);
		EXPECT_EQ(atomic_load(&k[i].done), 0);
	}
	fill_page(fd, pg, 0x11);
	fill_page(fd, 2 * pg, 0x22);
	for (int i = 0; i < 2; i++) {
		pthread_join(k[i].thread, NULL);
		EXPECT_EQ(k[i].ret, 64);
		if (k[i].ret < 0)
			test_diag("toucher %d: %s", i, errno_name(k[i].err));
	}
	/* pread()'s bytes over the fill, process_vm_readv() read the fill */
	EXPECT_EQ(map[pg], 0x6e);
	EXPECT_EQ(map[pg + 63], 0x6e);
	EXPECT_EQ(map[pg + 64], 0x11);
	EXPECT_EQ(k[1].buf[0], 0x22);
	EXPECT_EQ(k[1].buf[63], 0x22);
	EXPECT_NO_EVENT(efd, 0);
}

/*
 * GUP that may not let go of the mmap lock cannot wait: /proc/<pid>/mem
 * (and ptrace's PEEKDATA, the same access_remote_vm()) fails a missing
 * page at once with EIO, reads and writes alike, and the page is
 * reported all the same, once while outstanding.  Once filled, it reads
 * the fill.
 */
static void proc_mem_fails_at_once(void)
{
	long pg = page_size();
	int fd = gmem_new_flags(2 * pg, MAPPABLE);
	unsigned char *map = gmem_map(fd, 2 * pg);
	int efd = ASSERT_SYS(events_open(fd, O_CLOEXEC));
	int mem = ASSERT_SYS(open("/proc/self/mem", O_RDWR | O_CLOEXEC));
	off_t at = (off_t)(uintptr_t)(map + pg);
	unsigned char buf[16] = { 0x5a };
	struct timespec t0, t1;

	ARM(fd, 0, 2 * pg);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	EXPECT_ERRNO(pread(mem, buf, sizeof(buf), at), EIO);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* at once: not after a wait some wakeup ended */
	EXPECT_TRUE(t1.tv_sec - t0.tv_sec < EVENT_MS / 1000);
	EXPECT_EVENT(efd, pg, pg, GMEM_MISSING_FAULT);
	/* outstanding: fails again, is not reported again */
	EXPECT_ERRNO(pwrite(mem, buf, sizeof(buf), at), EIO);
	EXPECT_ERRNO(pread(mem, buf, sizeof(buf), at), EIO);
	EXPECT_NO_EVENT(efd, 0);
	EXPECT_EQ(fdinfo_missing(fd, "outstanding"), 1);
	EXPECT_EQ(page_state(fd, pg), GMEM_PAGE_SHARED | GMEM_PAGE_MISSING);

	fill_page(fd, pg, 0x3c);
	EXPECT_EQ(pread(mem, buf, sizeof(buf), at), (ssize_t)sizeof(buf));
	EXPECT_EQ(buf[0], 0x3c);
	EXPECT_EQ(buf[15], 0x3c);
	memset(buf, 0xc3, sizeof(buf));
	EXPECT_EQ(pwrite(mem, buf, sizeof(buf), at), (ssize_t)sizeof(buf));
	EXPECT_EQ(map[pg], 0xc3);
	EXPECT_EQ(map[pg + 16], 0x3c);
	EXPECT_EQ(fdinfo_missing(fd, "outstanding"), 0);
	/* the other page is still missing, and untouched */
	EXPECT_EQ(page_state(fd, 0), GMEM_PAGE_SHARED | GMEM_PAGE_MISSING);
	EXPECT_NO_EVENT(efd, 0);
	close(mem);
}

/* fallocate() resolves as zeroes; disarming lets waiters allocate zeroes. */
static void fallocate_and_disarm_resolve(void)
{
	long pg = page_size();
	int fd = gmem_new_flags(4 * pg, MAPPABLE);
	unsigned char *map = gmem_map(fd, 4 * pg);
	int efd = ASSERT_SYS(events_open(fd, O_CLOEXEC));
	struct toucher *t, *u;

	fault_install();
	ARM(fd, 0, 4 * pg);
	t = fault_toucher(map + pg, false, 0);
	EXPECT_EVENT(efd, pg, pg, GMEM_MISSING_FAULT);
	EXPECT_WAITING(t);
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 2 * pg));
	EXPECT_DONE(t);
	EXPECT_EQ(t->f.sig, 0);
	EXPECT_EQ(t->val, 0);
	EXPECT_EQ(page_state(fd, 0), GMEM_PAGE_SHARED | GMEM_PAGE_ALLOCATED);

	t = fault_toucher(map + 2 * pg, true, 0x42);
	EXPECT_EVENT(efd, 2 * pg, pg, GMEM_MISSING_FAULT);
	u = pread_toucher(fd, 3 * pg);
	EXPECT_EVENT(efd, 3 * pg, pg, GMEM_MISSING_READ);
	EXPECT_WAITING(t);
	EXPECT_WAITING(u);
	DISARM(fd, 2 * pg, 2 * pg);
	EXPECT_DONE(t);
	EXPECT_DONE(u);
	EXPECT_EQ(t->f.sig, 0);
	EXPECT_EQ(map[2 * pg], 0x42);
	EXPECT_EQ(map[2 * pg + 1], 0);
	EXPECT_EQ(u->ret, 1);
	EXPECT_EQ(u->val, 0);
	EXPECT_EQ(fdinfo_missing(fd, "outstanding"), 0);
	EXPECT_EQ(fdinfo_missing(fd, "armed"), 2 * pg);
}

/* ---- read() ---- */

static void on_usr1(int sig)
{
	(void)sig;
}

/*
 * read() of a missing page: EAGAIN at once on an O_NONBLOCK file (the
 * page reported), a short count when bytes came before it, a wait
 * otherwise that a signal ends with EINTR; a partial pwrite() fills the
 * rest of the page with zeroes.
 */
static void read_waits(void)
{
	long pg = page_size();
	int fd = gmem_new_flags(4 * pg, MAPPABLE);
	int nb = gmem_reopen(fd, O_RDWR | O_NONBLOCK);
	int efd = ASSERT_SYS(events_open(fd, O_CLOEXEC));
	unsigned char *buf = xmalloc(2 * pg);
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct toucher *t;

	fill_page(fd, 0, 0x12);
	ARM(fd, 0, 4 * pg);
	/* O_NONBLOCK: EAGAIN, reported; bytes before it: short */
	EXPECT_ERRNO(pread(nb, buf, 10, pg), EAGAIN);
	EXPECT_EVENT(efd, pg, pg, GMEM_MISSING_READ);
	EXPECT_EQ(pread(nb, buf, 2 * pg, 0), pg);
	EXPECT_EQ(buf[pg - 1], 0x12);
	EXPECT_ERRNO(pread(nb, buf, 10, pg), EAGAIN);
	EXPECT_NO_EVENT(efd, 0);		/* outstanding: once */

	/* blocking: waits for the fill, then reads it */
	t = pread_toucher(fd, pg + 5);
	EXPECT_WAITING(t);
	ASSERT_EQ(pwrite(fd, "abcdefgh", 8, pg), 8);
	EXPECT_DONE(t);
	EXPECT_EQ(t->ret, 1);
	EXPECT_EQ(t->val, 'f');
	EXPECT_EQ(pread(fd, buf, pg, pg), pg);
	EXPECT_EQ(memcmp(buf, "abcdefgh", 8), 0);
	EXPECT_EQ(nonzero_at(buf + 8, pg - 8), -1);

	/* a signal without SA_RESTART: EINTR */
	ASSERT_SYS(sigaction(SIGUSR1, &sa, NULL));
	t = pread_toucher(fd, 2 * pg);
	EXPECT_EVENT(efd, 2 * pg, pg, GMEM_MISSING_READ);
	EXPECT_WAITING(t);
	ASSERT_EQ(pthread_kill(t->thread, SIGUSR1), 0);
	EXPECT_DONE(t);
	EXPECT_EQ(t->ret, -1);
	EXPECT_EQ(t->err, EINTR);
	/* still outstanding: the next reader waits without a new event */
	t = pread_toucher(fd, 2 * pg);
	EXPECT_WAITING(t);
	EXPECT_NO_EVENT(efd, 0);
	fill_page(fd, 2 * pg, 0x99);
	EXPECT_DONE(t);
	EXPECT_EQ(t->ret, 1);
	EXPECT_EQ(t->val, 0x99);
	/* SA_RESTART: the read restarts and gets the page */
	sa.sa_flags = SA_RESTART;
	ASSERT_SYS(sigaction(SIGUSR1, &sa, NULL));
	t = pread_toucher(fd, 3 * pg);
	EXPECT_EVENT(efd, 3 * pg, pg, GMEM_MISSING_READ);
	EXPECT_WAITING(t);
	ASSERT_EQ(pthread_kill(t->thread, SIGUSR1), 0);
	EXPECT_WAITING(t);
	fill_page(fd, 3 * pg, 0x5a);
	EXPECT_DONE(t);
	EXPECT_EQ(t->ret, 1);
	EXPECT_EQ(t->val, 0x5a);
	free(buf);
}

/* ---- no event fd, and teardown ---- */

/*
 * Without an event fd a touch of a missing page fails at once, allocating
 * nothing: SIGBUS for a fault, EIO for read(); write() still fills.
 */
static void no_reader_fails(void)
{
	long pg = page_size();
	int fd = gmem_new_flags(4 * pg, MAPPABLE);
	unsigned char *map = gmem_map(fd, 4 * pg);
	unsigned char c;
	int efd;

	fault_install();
	ARM(fd, 0, 4 * pg);
	EXPECT_SIGBUS(map + pg, false);
	EXPECT_SIGBUS(map + pg, true);
	EXPECT_ERRNO(pread(fd, &c, 1, pg), EIO);
	EXPECT_EQ(gmem_info(fd).allocated, 0);
	ASSERT_EQ(pwrite(fd, "x", 1, pg), 1);
	EXPECT_EQ(map[pg], 'x');
	/* an event fd opened and closed again: the same */
	efd = ASSERT_SYS(events_open(fd, 0));
	close(efd);
	EXPECT_SIGBUS(map + 2 * pg, false);
	EXPECT_ERRNO(pread(fd, &c, 1, 2 * pg), EIO);
	EXPECT_EQ(gmem_info(fd).allocated, pg);
}

/*
 * Closing the event fd wakes every waiter with the error (SIGBUS, EIO)
 * and ends the reports; a new event fd reports touches again.
 */
static void close_events_wakes(void)
{
	long pg = page_size();
	int fd = gmem_new_flags(4 * pg, MAPPABLE);
	unsigned char *map = gmem_map(fd, 4 * pg);
	int efd = ASSERT_SYS(events_open(fd, O_CLOEXEC));
	struct toucher *t, *u;

	fault_install();
	ARM(fd, 0, 4 * pg);
	t = fault_toucher(map + pg, false, 0);
	EXPECT_EVENT(efd, pg, pg, GMEM_MISSING_FAULT);
	u = pread_toucher(fd, 2 * pg);
	EXPECT_EVENT(efd, 2 * pg, pg, GMEM_MISSING_READ);
	EXPECT_WAITING(t);
	EXPECT_WAITING(u);
	close(efd);
	EXPECT_DONE(t);
	EXPECT_DONE(u);
	EXPECT_EQ(t->f.sig, SIGBUS);
	EXPECT_EQ(u->ret, -1);
	EXPECT_EQ(u->err, EIO);
	EXPECT_EQ(fdinfo_missing(fd, "outstanding"), 0);
	EXPECT_EQ(gmem_info(fd).allocated, 0);
	/* reopened: reported again, and served */
	efd = ASSERT_SYS(events_open(fd, O_CLOEXEC));
	t = fault_toucher(map + pg, false, 0);
	EXPECT_EVENT(efd, pg, pg, GMEM_MISSING_FAULT);
	fill_page(fd, pg, 0x61);
	EXPECT_DONE(t);
	EXPECT_EQ(t->val, 0x61);
	close(efd);
}

/* A child waiting in a fault or a read() dies of SIGKILL cleanly. */
static void sigkill_waiter(void)
{
	long pg = page_size();
	int fd = gmem_new_flags(4 * pg, MAPPABLE);
	unsigned char *map = gmem_map(fd, 4 * pg);
	int efd = ASSERT_SYS(events_open(fd, O_CLOEXEC));
	int status;

	ARM(fd, 0, 4 * pg);
	for (int kind = 0; kind < 2; kind++) {
		pid_t pid = fork();
		unsigned char c;

		ASSERT_SYS(pid);
		if (!pid) {
			if (kind)
				_exit(pread(fd, &c, 1, (kind + 1) * pg) == 1 ?
				      3 : 4);
			_exit(map[(kind + 1) * pg] == 0 ? 5 : 6);
		}
		EXPECT_EVENT(efd, (kind + 1) * pg, pg,
			     kind ? GMEM_MISSING_READ : GMEM_MISSING_FAULT);
		sleep_ms(SETTLE_MS);
		ASSERT_EQ(waitpid(pid, &status, WNOHANG), 0);
		ASSERT_SYS(kill(pid, SIGKILL));
		ASSERT_EQ(waitpid(pid, &status, 0), pid);
		EXPECT_TRUE(WIFSIGNALED(status));
		EXPECT_EQ(WTERMSIG(status), SIGKILL);
	}
	/* the reports stay until filled, and fills go through */
	EXPECT_EQ(fdinfo_missing(fd, "outstanding"), 2);
	fill_page(fd, pg, 1);
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 2 * pg, pg));
	EXPECT_EQ(fdinfo_missing(fd, "outstanding"), 0);
	EXPECT_EQ(map[pg], 1);
	EXPECT_EQ(map[2 * pg], 0);
}

/*
 * Teardown with waiters: the memory fd closed first (a mapping and the
 * event fd keep the memory), then the event fd, which wakes the waiter
 * with SIGBUS; or the other way round; every fd's memory freed after.
 */
static void teardown_orders(void)
{
	long pg = page_size();
	unsigned long long fds0 = gmem_stats().fds;

	fault_install();
	for (int order = 0; order < 2; order++) {
		int fd = gmem_new_flags(4 * pg, MAPPABLE);
		unsigned char *map = gmem_map(fd, 4 * pg);
		int efd = ASSERT_SYS(events_open(fd, O_CLOEXEC));
		struct toucher *t;

		ARM(fd, 0, 4 * pg);
		fill_page(fd, 0, 0x10);
		t = fault_toucher(map + 3 * pg, false, 0);
		EXPECT_EVENT(efd, 3 * pg, pg, GMEM_MISSING_FAULT);
		EXPECT_WAITING(t);
		if (order == 0) {
			close(fd);
			EXPECT_WAITING(t);
			close(efd);
		} else {
			close(efd);
			EXPECT_DONE(t);
			close(fd);
		}
		EXPECT_DONE(t);
		EXPECT_EQ(t->f.sig, SIGBUS);
		EXPECT_EQ(map[0], 0x10);
		munmap(map, 4 * pg);
	}
	EXPECT_EQ(gmem_stats().fds, fds0);
}

/* ---- huge fds ---- */

/* One event per 2 MiB block, whichever pages are touched. */
static void huge_block_events(void)
{
	int fd, efd;
	unsigned char *map;
	struct toucher *t[3];
	unsigned char *buf;

	gmem_need_huge_blocks(4);
	fd = gmem_new_flags(2 * HUGE, MAPPABLE | GMEM_CREATE_HUGE);
	map = gmem_map_aligned(fd, 2 * HUGE, HUGE);
	efd = ASSERT_SYS(events_open(fd, O_CLOEXEC | O_NONBLOCK));
	fault_install();
	ARM(fd, 0, 2 * HUGE);
	t[0] = fault_toucher(map + 5 * page_size(), false, 0);
	t[1] = fault_toucher(map + HUGE - 1, false, 0);
	EXPECT_EVENT(efd, 0, HUGE, GMEM_MISSING_FAULT);
	t[2] = pread_toucher(fd, HUGE + 3);
	EXPECT_EVENT(efd, HUGE, HUGE, GMEM_MISSING_READ);
	for (unsigned int i = 0; i < ARRAY_SIZE(t); i++)
		EXPECT_WAITING(t[i]);
	EXPECT_NO_EVENT(efd, 0);
	EXPECT_EQ(fdinfo_missing(fd, "outstanding"), 2);
	buf = xmalloc(HUGE);
	memset(buf, 0xbe, HUGE);
	ASSERT_EQ(pwrite(fd, buf, HUGE, 0), HUGE);
	EXPECT_DONE(t[0]);
	EXPECT_DONE(t[1]);
	EXPECT_EQ(t[0]->val, 0xbe);
	EXPECT_EQ(t[1]->val, 0xbe);
	EXPECT_WAITING(t[2]);
	memset(buf, 0xef, HUGE);
	ASSERT_EQ(pwrite(fd, buf, HUGE, HUGE), HUGE);
	EXPECT_DONE(t[2]);
	EXPECT_EQ(t[2]->val, 0xef);
	EXPECT_EQ(gmem_info(fd).allocated, 2 * HUGE);
	free(buf);
}

struct block_writer {
	int fd;
	const unsigned char *src;
	ssize_t ret;
	atomic_int done;
};

static void *block_writer_fn(void *arg)
{
	struct block_writer *w = arg;

	w->ret = pwrite(w->fd, w->src, HUGE, 0);
	atomic_store(&w->done, 1);
	return NULL;
}

/*
 * A 2 MiB block filled by one pwrite() whose source stalls partway (a
 * mapping of another fd, with a missing page of its own): the first page
 * written allocated the whole block, and yet a fault and a read() of a
 * page not written yet wait, unreported, until the write is done with the
 * block, and see what it wrote, not zeroes.
 */
static void huge_block_filled_whole(void)
{
	long pg = page_size();
	struct block_writer w = { 0 };
	struct toucher *t, *u;
	unsigned char *src, *map;
	int sfd, sefd, efd;
	pthread_t thread;

	gmem_need_huge_blocks(2);
	/* the source: a 4 KiB fd full of 0xd1 but for its missing page 4 */
	sfd = gmem_new_flags(HUGE, MAPPABLE);
	src = gmem_map(sfd, HUGE);
	for (long i = 0; i < (long)(HUGE / pg); i++)
		if (i != 4)
			fill_page(sfd, i * pg, 0xd1);
	ARM(sfd, 4 * pg, pg);
	sefd = ASSERT_SYS(events_open(sfd, O_CLOEXEC));

	w.fd = gmem_new_flags(HUGE, MAPPABLE | GMEM_CREATE_HUGE);
	w.src = src;
	map = gmem_map_aligned(w.fd, HUGE, HUGE);
	efd = ASSERT_SYS(events_open(w.fd, O_CLOEXEC | O_NONBLOCK));
	fault_install();
	ARM(w.fd, 0, HUGE);
	ASSERT_EQ(pthread_create(&thread, NULL, block_writer_fn, &w), 0);
	/* the write stalls at the source's page 4, the block allocated */
	EXPECT_EVENT(sefd, 4 * pg, pg, GMEM_MISSING_FAULT);
	test_diag("allocated while the write stalls: %llu",
		  (unsigned long long)gmem_info(w.fd).allocated);
	EXPECT_TRUE(gmem_info(w.fd).allocated >= 4 * (uint64_t)pg);
	EXPECT_EQ(atomic_load(&w.done), 0);
	t = fault_toucher(map + HUGE - 1, false, 0);
	u = pread_toucher(w.fd, HUGE - 2 * pg);
	EXPECT_WAITING(t);
	EXPECT_WAITING(u);
	EXPECT_NO_EVENT(efd, 0);
	/* the source's page comes in: the write goes on, and so do they */
	fill_page(sfd, 4 * pg, 0xd1);
	pthread_join(thread, NULL);
	EXPECT_EQ(w.ret, HUGE);
	EXPECT_DONE(t);
	EXPECT_DONE(u);
	EXPECT_EQ(t->f.sig, 0);
	EXPECT_EQ(t->val, 0xd1);
	EXPECT_EQ(u->ret, 1);
	EXPECT_EQ(u->val, 0xd1);
	EXPECT_EQ(map[0], 0xd1);
	EXPECT_EQ(map[4 * pg], 0xd1);
	EXPECT_NO_EVENT(efd, 0);
	close(efd);
	close(sefd);
}

/* ---- the event fd ---- */

/* Addresses nothing can be read into, hidden from the compiler's checks. */
static void *volatile bad_kernel = (void *)-4096L;
static void *volatile bad_null;

/*
 * poll() and epoll: readable exactly while an event is queued; several
 * records per read, whole ones only; a buffer that cannot take them
 * leaves them queued.
 */
static void events_poll_read(void)
{
	long pg = page_size();
	int fd = gmem_new_flags(16 * pg, MAPPABLE);
	int nb = gmem_reopen(fd, O_RDWR | O_NONBLOCK);
	int efd = ASSERT_SYS(events_open(fd, O_CLOEXEC | O_NONBLOCK));
	int ep = ASSERT_SYS(epoll_create1(EPOLL_CLOEXEC));
	struct epoll_event ee = { .events = EPOLLIN };
	struct pollfd p = { .fd = efd, .events = POLLIN };
	struct gmem_missing_event ev[8];
	unsigned char *two, c;

	ARM(fd, 0, 16 * pg);
	ASSERT_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ee));
	EXPECT_EQ(poll(&p, 1, 0), 0);
	EXPECT_EQ(epoll_wait(ep, &ee, 1, 0), 0);
	for (int i = 0; i < 5; i++)
		EXPECT_ERRNO(pread(nb, &c, 1, (i + 2) * pg), EAGAIN);
	EXPECT_EQ(poll(&p, 1, 0), 1);
	EXPECT_EQ(p.revents, POLLIN);
	EXPECT_EQ(epoll_wait(ep, &ee, 1, 0), 1);
	EXPECT_EQ(fdinfo_missing(fd, "queued"), 5);
	/* room for two and a half: two, in order */
	EXPECT_EQ(read(efd, ev, 2 * EV_SIZE + EV_SIZE / 2), 2 * EV_SIZE);
	EXPECT_EQ(ev[0].offset, 2 * pg);
	EXPECT_EQ(ev[1].offset, 3 * pg);
	/* unwritable: EFAULT, nothing lost */
	EXPECT_ERRNO(read(efd, bad_kernel, EV_SIZE), EFAULT);
	EXPECT_ERRNO(read(efd, bad_null, EV_SIZE), EFAULT);
	/* the second record runs into an unmapped page: one */
	two = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(two != MAP_FAILED);
	ASSERT_SYS(munmap(two + pg, pg));
	EXPECT_EQ(read(efd, two + pg - EV_SIZE - 8, 2 * EV_SIZE), EV_SIZE);
	memcpy(ev, two + pg - EV_SIZE - 8, EV_SIZE);
	EXPECT_EQ(ev[0].offset, 4 * pg);
	EXPECT_EQ(fdinfo_missing(fd, "queued"), 2);
	EXPECT_EQ(read(efd, ev, sizeof(ev)), 2 * EV_SIZE);
	EXPECT_EQ(ev[0].offset, 5 * pg);
	EXPECT_EQ(ev[1].offset, 6 * pg);
	for (int i = 0; i < 2; i++) {
		EXPECT_EQ(ev[i].length, pg);
		EXPECT_EQ(ev[i].source, GMEM_MISSING_READ);
	}
	EXPECT_EQ(poll(&p, 1, 0), 0);
	EXPECT_EQ(epoll_wait(ep, &ee, 1, 0), 0);
	EXPECT_EQ(fdinfo_missing(fd, "outstanding"), 5);
	/* a fill ends an event that was never read */
	EXPECT_ERRNO(pread(nb, &c, 1, 9 * pg), EAGAIN);
	EXPECT_EQ(poll(&p, 1, 0), 1);
	fill_page(fd, 9 * pg, 1);
	EXPECT_EQ(poll(&p, 1, 0), 0);
	EXPECT_ERRNO(read(efd, ev, sizeof(ev)), EAGAIN);
	/* a blocking reader wakes for an event */
	{
		pid_t pid;

		ASSERT_SYS(fcntl(efd, F_SETFL, 0));
		pid = fork();
		ASSERT_SYS(pid);
		if (!pid)
			_exit(read(efd, ev, EV_SIZE) == EV_SIZE &&
			      ev[0].offset == 12 * (uint64_t)pg ? 0 : 1);
		sleep_ms(SETTLE_MS);
		EXPECT_ERRNO(pread(nb, &c, 1, 12 * pg), EAGAIN);
		{
			int status;

			ASSERT_EQ(waitpid(pid, &status, 0), pid);
			EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
		}
	}
}

/* ---- the consumer ---- */

/*
 * A consumer's resolve of a missing page fails with -ENODATA at once and
 * reports it once (source consumer); GMEM_POPULATE fills a private page and
 * the resolve then gets its bytes; a shared page the same through pwrite();
 * without an event fd, -ENODATA and no event.
 */
static void consumer_enodata(void)
{
	long pg = page_size();
	int fd = gmem_new_flags(8 * pg, GMEM_CREATE_MMAP);
	int ct = ct_open();
	uint32_t slot = CT_BIND(ct, fd, 0, 8);
	unsigned char *src = pattern_pages_at(fd, 2 * pg, pg, 7);
	unsigned char *buf = xmalloc(pg);
	int efd;

	ARM(fd, 0, 8 * pg);
	EXPECT_EQ(ct_resolve(ct, slot, 2).err, -ENODATA);
	EXPECT_EQ(gmem_info(fd).allocated, 0);
	efd = ASSERT_SYS(events_open(fd, O_CLOEXEC | O_NONBLOCK));
	EXPECT_EQ(ct_resolve(ct, slot, 2).err, -ENODATA);
	EXPECT_EQ(ct_resolve(ct, slot, 2).err, -ENODATA);
	EXPECT_EVENT(efd, 2 * pg, pg, GMEM_MISSING_CONSUMER);
	EXPECT_NO_EVENT(efd, 0);
	/* the state asked for comes first: a private page asked as shared */
	EXPECT_EQ(ct_resolve_flags(ct, slot, 3, GMEM_TEST_GET_SHARED).err,
		  -EACCES);
	EXPECT_NO_EVENT(efd, 0);
	POPULATE(fd, 2 * pg, pg, src);
	EXPECT_EQ(fdinfo_missing(fd, "outstanding"), 0);
	EXPECT_EQ(ct_rw(ct, slot, 2, buf, false), 0);
	EXPECT_EQ(pattern_mismatch_at(buf, pg, fd, 2 * pg, 7), -1);
	/* a shared page: pwrite() fills it */
	CONVERT(fd, 4 * pg, pg, GMEM_SHARED);
	EXPECT_EQ(ct_resolve_flags(ct, slot, 4, GMEM_TEST_GET_SHARED).err,
		  -ENODATA);
	EXPECT_EVENT(efd, 4 * pg, pg, GMEM_MISSING_CONSUMER);
	fill_page(fd, 4 * pg, 0x4b);
	EXPECT_EQ(ct_resolve_flags(ct, slot, 4, GMEM_TEST_GET_SHARED).err, 0);
	/* a page filled before arming resolves as ever */
	EXPECT_EQ(ct_resolve(ct, slot, 2).err, 0);
	/* disarmed: an ordinary zeroed page */
	DISARM(fd, 5 * pg, pg);
	EXPECT_EQ(ct_rw(ct, slot, 5, buf, false), 0);
	EXPECT_EQ(nonzero_at(buf, pg), -1);
	close(efd);
	EXPECT_EQ(ct_resolve(ct, slot, 6).err, -ENODATA);
	ct_unbind(ct, slot);
	free(src);
	free(buf);
}

static const struct test missing_tests[] = {
	TEST("arm, events: every bad argument, nothing changed", arm_errnos),
	TEST("arm: fdinfo bytes, GMEM_QUERY MISSING, punch makes it missing again",
	     arm_query),
	TEST("fault: waits, reported once, sees what pwrite() filled",
	     fault_waits_for_fill),
	TEST("fault: four touches of one page, one event, all proceed",
	     fault_concurrent_one_event),
	TEST("kernel faults wait too: a copy into a missing page, process_vm_readv()",
	     kernel_faults_wait),
	TEST("/proc/self/mem: EIO at once, reported once, reads the fill",
	     proc_mem_fails_at_once),
	TEST("fallocate() resolves as zeroes, disarm lets waiters allocate",
	     fallocate_and_disarm_resolve),
	TEST("read(): EAGAIN, short count, waits, EINTR and restart",
	     read_waits),
	TEST("no event fd: SIGBUS, EIO at once, nothing allocated",
	     no_reader_fails),
	TEST("closing the event fd wakes waiters with SIGBUS and EIO",
	     close_events_wakes),
	TEST("SIGKILL of a child waiting in a fault and in read()",
	     sigkill_waiter),
	TEST("teardown: memory fd then event fd, and the other way",
	     teardown_orders),
	TEST("huge fd: one event per 2 MiB block", huge_block_events,
	     .timeout = 120),
	TEST("huge fd: a block being filled is seen whole, not half written",
	     huge_block_filled_whole,
	     .timeout = 120),
	TEST("event fd: poll, epoll, whole records, EFAULT keeps them",
	     events_poll_read),
	CT_TEST("consumer: -ENODATA at once, one event, populate resolves it",
		consumer_enodata),
};

DEFINE_SUITE(missing_suite, "missing", missing_tests);
