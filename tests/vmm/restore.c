// SPDX-License-Identifier: GPL-2.0
/*
 * Demand paging under the patched KVM, end to end: a snapshot of a
 * running guest restored lazily.
 *
 * The source VM runs on a gmem-only memslot (GMEM_CREATE_MMAP), its
 * code and data private, the stub page shared.  The guest stamps its
 * data pages and checksums them.  The VMM then saves the memory the way
 * Documentation/userspace-api.rst describes for a stopped guest: every
 * private range converted to shared (contents kept), read with pread(),
 * converted back; the layout is GMEM_QUERY's.
 *
 * The restore is a new fd with the same layout, armed whole with
 * GMEM_MISSING_ARM before anything is in it, an event fd, and a handler
 * thread that fills each reported page from the snapshot: GMEM_POPULATE
 * for private pages, pwrite() for shared ones.  The new VM starts at
 * once on that fd: each first touch of a page by the guest is a resolve
 * of a missing page, which gmem reports to the handler and KVM turns
 * into a memory fault exit flagged GMEM_MEMORY_EXIT_FLAG_MISSING; the
 * vCPU thread waits for the handler's fill of that page and runs the
 * vCPU again.  The guest's checksums must match the source's, each page
 * must be reported once, and the pages the guest never touched must
 * still be missing when everything is torn down, with nothing leaked.
 *
 * A vCPU's registers are the VMM's own business (KVM_GET_REGS and
 * friends), not gmem's: the restored guest starts its interpreter
 * afresh, which reads its memory as the source left it.
 *
 * Skipped, saying why, on a KVM without the series, as the e2e suite is.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/gmem.h>

#include "common.h"
#include "suites.h"

#define PAGES		(GUEST_MEM_SIZE / GUEST_PAGE)
#define STAMP_SEED	0x5eed0001u

/* What the handler thread and the vCPU thread share. */
struct restore {
	int fd;			/* the restored memory fd */
	int events;		/* its GMEM_MISSING_EVENTS fd */
	int stop;		/* eventfd: the handler returns */
	const uint8_t *snap;	/* the saved memory */
	uint64_t shared;	/* bit n: page n is shared */
	pthread_mutex_t lock;
	pthread_cond_t filled_cond;
	uint64_t filled;	/* bit n: page n filled */
	unsigned int reports[PAGES];
	unsigned int by_source[4];
	unsigned int missing_exits;
	int error;		/* the handler's first failure, -errno */
};

/* The layout: bit n set if page n of @fd is shared (GMEM_QUERY). */
static uint64_t shared_pages(int fd)
{
	struct gmem_query_run runs[PAGES];
	struct gmem_query q = {
		.offset = 0, .length = GUEST_MEM_SIZE,
		.runs = (uintptr_t)runs, .nr_runs = PAGES,
	};
	uint64_t bits = 0;

	if (ioctl(fd, GMEM_QUERY, &q))
		FAIL("GMEM_QUERY: %s", errno_name(errno));
	ASSERT_EQ(q.next_offset, GUEST_MEM_SIZE);
	for (unsigned int i = 0; i < q.nr_runs; i++) {
		if (!(runs[i].state & GMEM_PAGE_SHARED))
			continue;
		for (uint64_t p = runs[i].offset / GUEST_PAGE;
		     p < (runs[i].offset + runs[i].length) / GUEST_PAGE; p++)
			bits |= 1ULL << p;
	}
	return bits;
}

/*
 * Saves the stopped guest's memory: its private pages shared for the
 * time of the read, then private again.
 */
static uint8_t *snapshot(int fd, uint64_t shared)
{
	uint8_t *snap = malloc(GUEST_MEM_SIZE);

	ASSERT_TRUE(snap != NULL);
	for (unsigned int p = 0; p < PAGES; p++)
		if (!(shared & (1ULL << p)))
			ASSERT_OK(gmem_convert(fd, (uint64_t)p * GUEST_PAGE,
					       GUEST_PAGE, GMEM_SHARED));
	ASSERT_EQ(pread(fd, snap, GUEST_MEM_SIZE, 0), GUEST_MEM_SIZE);
	for (unsigned int p = 0; p < PAGES; p++)
		if (!(shared & (1ULL << p)))
			ASSERT_OK(gmem_convert(fd, (uint64_t)p * GUEST_PAGE,
					       GUEST_PAGE, GMEM_PRIVATE));
	return snap;
}

/* Fills page @p of the restore from the snapshot; 0 or -errno. */
static int fill_page(struct restore *r, unsigned int p)
{
	uint64_t off = (uint64_t)p * GUEST_PAGE;

	if (r->shared & (1ULL << p))
		return pwrite(r->fd, r->snap + off, GUEST_PAGE, off) ==
		       GUEST_PAGE ? 0 : -errno;
	return gmem_populate(r->fd, off, r->snap + off, GUEST_PAGE);
}

/* The handler: reads reports and fills their pages until told to stop. */
static void *handler(void *arg)
{
	struct restore *r = arg;
	struct pollfd pfd[2] = {
		{ .fd = r->events, .events = POLLIN },
		{ .fd = r->stop, .events = POLLIN },
	};
	struct gmem_missing_event ev[8];
	ssize_t n;
	int err;

	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			err = -errno;
			goto fail;
		}
		if (pfd[1].revents)
			return NULL;
		n = read(r->events, ev, sizeof(ev));
		if (n < 0 && errno == EAGAIN)
			continue;
		if (n <= 0 || n % sizeof(ev[0])) {
			err = n < 0 ? -errno : -EIO;
			goto fail;
		}
		for (size_t i = 0; i < n / sizeof(ev[0]); i++) {
			unsigned int p = ev[i].offset / GUEST_PAGE;

			if (ev[i].length != GUEST_PAGE || p >= PAGES ||
			    ev[i].source > 3) {
				err = -ERANGE;
				goto fail;
			}
			err = fill_page(r, p);
			if (err)
				goto fail;
			pthread_mutex_lock(&r->lock);
			r->reports[p]++;
			r->by_source[ev[i].source]++;
			r->filled |= 1ULL << p;
			pthread_cond_broadcast(&r->filled_cond);
			pthread_mutex_unlock(&r->lock);
		}
	}
fail:
	pthread_mutex_lock(&r->lock);
	r->error = err;
	pthread_cond_broadcast(&r->filled_cond);
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

/*
 * vcpu_run()'s hook for a missing page: wait (10 s at most) for the
 * handler to fill it, then have the vCPU run again.
 */
static bool wait_filled(struct vm *vm, const struct vexit *x, void *arg)
{
	struct restore *r = arg;
	unsigned int p = x->fault.gpa / GUEST_PAGE;
	struct timespec end;
	bool ok;

	(void)vm;
	if (p >= PAGES)
		return false;
	clock_gettime(CLOCK_REALTIME, &end);
	end.tv_sec += 10;
	pthread_mutex_lock(&r->lock);
	r->missing_exits++;
	while (!(r->filled & (1ULL << p)) && !r->error)
		if (pthread_cond_timedwait(&r->filled_cond, &r->lock, &end))
			break;
	ok = r->filled & (1ULL << p);
	pthread_mutex_unlock(&r->lock);
	return ok;
}

static void lazy_restore(void)
{
	unsigned long long refs = gmem_refcnt();
	uint32_t sum_data, sum_code;
	struct gmem_missing_range arm = { .length = GUEST_MEM_SIZE };
	struct restore r = {
		.lock = PTHREAD_MUTEX_INITIALIZER,
		.filled_cond = PTHREAD_COND_INITIALIZER,
	};
	pthread_t thread;
	unsigned int touched = 0;
	uint8_t *mem;
	struct vm vm;
	int fd;

	need_protected_vm();
	/* The source: the guest stamps its data and checksums it. */
	fd = gmem_new(GUEST_MEM_SIZE, GMEM_CREATE_MMAP);
	ASSERT_OK(gmem_populate(fd, 0, guest_image(), GUEST_MEM_SIZE));
	ASSERT_OK(gmem_convert(fd, GUEST_STUBS, GUEST_PAGE, GMEM_SHARED));
	mem = gmem_map(fd, GUEST_MEM_SIZE);
	protected_vm_create(&vm, mem, GUEST_MEM_SIZE, fd, 0);
	ASSERT_EQ(GUEST(&vm, CMD_STAMP, GUEST_DATA, GUEST_DATA_LEN,
			STAMP_SEED), 0);
	sum_data = GUEST(&vm, CMD_SUM, GUEST_DATA, GUEST_DATA_LEN);
	sum_code = GUEST(&vm, CMD_SUM, GUEST_CODE, GUEST_PAGE);
	ASSERT_EQ(sum_code, image_sum(GUEST_CODE, GUEST_PAGE));
	r.shared = shared_pages(fd);
	ASSERT_EQ(r.shared, 1ULL << (GUEST_STUBS / GUEST_PAGE));
	r.snap = snapshot(fd, r.shared);
	vm_destroy(&vm);
	munmap(mem, GUEST_MEM_SIZE);
	close(fd);
	test_diag("source: data checksum %#x, snapshot of %u pages, shared %#llx",
		  sum_data, PAGES, (unsigned long long)r.shared);

	/* The restore: the layout, armed whole, nothing in it yet. */
	r.fd = gmem_new(GUEST_MEM_SIZE, GMEM_CREATE_MMAP);
	ASSERT_OK(gmem_convert(r.fd, GUEST_STUBS, GUEST_PAGE, GMEM_SHARED));
	if (ioctl(r.fd, GMEM_MISSING_ARM, &arm))
		FAIL("GMEM_MISSING_ARM: %s", errno_name(errno));
	r.events = ioctl(r.fd, GMEM_MISSING_EVENTS, O_CLOEXEC | O_NONBLOCK);
	if (r.events < 0)
		FAIL("GMEM_MISSING_EVENTS: %s", errno_name(errno));
	r.stop = eventfd(0, EFD_CLOEXEC);
	ASSERT_TRUE(r.stop >= 0);
	ASSERT_EQ(gmem_get_info(r.fd).allocated, 0);
	ASSERT_EQ(pthread_create(&thread, NULL, handler, &r), 0);

	mem = gmem_map(r.fd, GUEST_MEM_SIZE);
	protected_vm_create(&vm, mem, GUEST_MEM_SIZE, r.fd, 0);
	vm.missing = wait_filled;
	vm.missing_arg = &r;
	/* The guest starts at once and pages arrive as it touches them. */
	ASSERT_EQ(GUEST(&vm, CMD_SUM, GUEST_DATA, GUEST_DATA_LEN), sum_data);
	ASSERT_EQ(GUEST(&vm, CMD_SUM, GUEST_CODE, GUEST_PAGE), sum_code);
	/* the shared stub page too, through the gmem-only memslot */
	ASSERT_EQ(GUEST(&vm, CMD_SUM, GUEST_STUBS, GUEST_PAGE),
		  vmm_checksum(r.snap + GUEST_STUBS, GUEST_PAGE, GUEST_STUBS));

	pthread_mutex_lock(&r.lock);
	ASSERT_EQ(r.error, 0);
	for (unsigned int p = 0; p < PAGES; p++) {
		if (r.reports[p] > 1)
			test_fail_at(__FILE__, __LINE__,
				     "page %u reported %u times", p,
				     r.reports[p]);
		touched += r.reports[p];
	}
	test_diag("restore: %u pages filled on demand (%u by a consumer resolve, %u by a host fault, %u by read()), %u missing-page exits",
		  touched, r.by_source[GMEM_MISSING_CONSUMER],
		  r.by_source[GMEM_MISSING_FAULT],
		  r.by_source[GMEM_MISSING_READ], r.missing_exits);
	/* code, stack, stubs, both data pages */
	ASSERT_GE(touched, 5);
	ASSERT_EQ(r.by_source[GMEM_MISSING_CONSUMER], touched);
	ASSERT_GE(r.missing_exits, touched);
	ASSERT_GT(PAGES, touched);
	ASSERT_EQ(gmem_get_info(r.fd).allocated,
		  (uint64_t)touched * GUEST_PAGE);
	pthread_mutex_unlock(&r.lock);

	/* Torn down with pages still missing and the event fd open. */
	ASSERT_EQ(eventfd_write(r.stop, 1), 0);
	ASSERT_EQ(pthread_join(thread, NULL), 0);
	vm_destroy(&vm);
	munmap(mem, GUEST_MEM_SIZE);
	close(r.events);
	close(r.stop);
	close(r.fd);
	free((void *)r.snap);
	ASSERT_EQ(gmem_refcnt_wait(refs), refs);
}

/*
 * Armed, but no handler: a resolve of a missing page fails at once, so
 * KVM exits flagged missing every time the guest runs, and the guest
 * goes on once the VMM fills the page itself.
 */
static void no_handler(void)
{
	unsigned long long refs = gmem_refcnt();
	struct gmem_missing_range arm = {
		.offset = GUEST_DATA, .length = GUEST_PAGE,
	};
	struct vexit x;
	uint32_t v;
	uint8_t *mem;
	struct vm vm;
	int fd;

	need_protected_vm();
	fd = gmem_new(GUEST_MEM_SIZE, GMEM_CREATE_MMAP);
	ASSERT_OK(gmem_populate(fd, 0, guest_image(), GUEST_DATA));
	ASSERT_OK(gmem_populate(fd, GUEST_DATA + GUEST_PAGE,
				guest_image() + GUEST_DATA + GUEST_PAGE,
				GUEST_MEM_SIZE - GUEST_DATA - GUEST_PAGE));
	ASSERT_OK(gmem_convert(fd, GUEST_STUBS, GUEST_PAGE, GMEM_SHARED));
	if (ioctl(fd, GMEM_MISSING_ARM, &arm))
		FAIL("GMEM_MISSING_ARM: %s", errno_name(errno));
	mem = gmem_map(fd, GUEST_MEM_SIZE);
	protected_vm_create(&vm, mem, GUEST_MEM_SIZE, fd, 0);

	for (int i = 0; i < 2; i++) {
		ASSERT_TRUE(!guest_cmd(&vm, CMD_READ,
				       (const uint32_t[]){ GUEST_DATA + 8 }, 1,
				       &v, &x));
		test_diag("run %d: %s", i, vexit_str(&x));
		ASSERT_EQ(x.kind, VX_MEMORY_FAULT);
		ASSERT_EQ(x.err, EFAULT);
		ASSERT_TRUE(x.fault.flags & GMEM_MEMORY_EXIT_FLAG_MISSING);
		ASSERT_EQ(x.fault.gpa, GUEST_DATA);
		if (i == 0)
			continue;
		/* the VMM fills it; the vCPU runs on into the command */
		ASSERT_OK(gmem_populate(fd, GUEST_DATA,
					guest_image() + GUEST_DATA, GUEST_PAGE));
		ASSERT_TRUE(guest_finish(&vm, &v, &x));
		ASSERT_EQ(v, ((const uint32_t *)guest_image())[(GUEST_DATA + 8) / 4]);
	}
	vm_destroy(&vm);
	munmap(mem, GUEST_MEM_SIZE);
	close(fd);
	ASSERT_EQ(gmem_refcnt_wait(refs), refs);
}

static const struct test restore_tests[] = {
	TEST("a snapshot restored lazily: the guest starts on an armed, empty fd, a handler fills each page it touches once, checksums match",
	     lazy_restore, .timeout = 120),
	TEST("an armed page without a handler: KVM_RUN fails with EFAULT and a memory fault exit flagged missing until the VMM fills it",
	     no_handler),
};
DEFINE_SUITE(e2e_restore_suite, "e2e-restore", restore_tests);
