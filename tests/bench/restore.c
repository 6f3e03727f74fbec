// SPDX-License-Identifier: GPL-2.0
/*
 * gmem-bench's restore part (issue 19): a snapshot restored into a
 * guest's memory eagerly, and on demand (GMEM_MISSING_ARM), as the
 * guest feels it.  It runs the guest part's VMs (gvm.h) in the guest
 * part's boot, on the patched KVM: the nested guest's code and stack in
 * the shared first 2 MiB, then the restored memory, private, from a gmem
 * fd (4 KiB folios) or a GMEM_CREATE_HUGE one (2 MiB folios).
 *
 * The snapshot is a buffer of generated contents: each 32-bit word is the
 * guest physical address it is restored to xor SNAP_SEED (what CMD_STAMP
 * leaves), so that the guest's CMD_ADD over it has a sum the VMM knows,
 * and a word read anywhere says whether its page landed in its place.
 * How a snapshot is taken and laid out is tests/vmm/restore.c's test;
 * here only the time counts.
 *
 * Per repetition, per size and per fd kind, a new VM and fd for each of:
 *
 *   eager      t0; GMEM_POPULATE of the whole snapshot in 2 MiB calls;
 *              the first command; the read pass.
 *   lazy       the memory armed whole (GMEM_MISSING_ARM), an event fd
 *              and a handler thread that fills each reported page (2 MiB
 *              block on a huge fd) with one GMEM_POPULATE from the
 *              snapshot; t0; the first command; the read pass.  Every
 *              page is a missing-page exit: KVM_RUN fails with EFAULT,
 *              the vCPU thread waits for the handler's fill and runs the
 *              vCPU again (vm.c's missing hook).
 *   lazy, vCPU fills
 *              armed the same, but no event fd and no handler: the vCPU
 *              thread fills the page of each missing-page exit itself,
 *              then runs the vCPU again.  What the exit and the fill
 *              cost without the handoff to another thread.
 *   zero fill  nothing restored, nothing armed: t0; the first command;
 *              the read pass, each page allocated and zeroed at its
 *              first touch, as in any guest's first touch.
 *
 * The interpreter's own pages are mapped before t0 (a read of its shared
 * data), and they are not part of the snapshot, so the first command
 * after t0 reads the first word of the restored memory: the "first
 * instruction" time is when a guest whose code is restored could run its
 * first instruction.  The read pass sums every word of the memory
 * (CMD_ADD, stride 4; the sum checked) and "completion" is its end: the
 * whole snapshot is in and the guest has seen it.  Its time over the
 * number of pages (blocks) is the cost of one fault of the guest: of a
 * page that is there (eager), of a zeroed page (zero fill) and of a page
 * the VMM fills on demand (lazy, by a handler or by the vCPU thread).  A
 * few words are read back after the pass, at pseudo-random pages, to
 * check the pages' places.
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

#include "bench.h"
#include "guest.h"
#include "gvm.h"

#define SNAP_SEED	0x5eedf00du
/* The longest a vCPU waits for the handler's fill of one page. */
#define FILL_WAIT_S	60
#define SPOT_CHECKS	16

const char *const restore_mode_name[NR_RESTORE_MODES] = {
	[RM_EAGER]	= "eager",
	[RM_LAZY]	= "lazy",
	[RM_SELF]	= "lazy, vCPU fills",
	[RM_ZERO]	= "zero fill",
};

static const char *why_not[2];
static uint8_t *snap;		/* the snapshot: snap[0] is at GUEST_BASE */
static uint64_t snap_size;
static uint64_t snap_sizes[MAX_RESTORE_SIZES];
static uint32_t snap_sums[MAX_RESTORE_SIZES];
static int nr_snap_sizes;

void restore_variant(char *buf, size_t len, bool huge, uint64_t size,
		     enum restore_mode mode)
{
	snprintf(buf, len, "%s, %llu MiB, %s", huge ? "gmem-huge" : "gmem",
		 (unsigned long long)(size / MiB), restore_mode_name[mode]);
}

/* The word the snapshot holds at guest physical address @gpa. */
static uint32_t snap_word(uint32_t gpa)
{
	return gpa ^ SNAP_SEED;
}

void restore_setup(const uint64_t *sizes, int n)
{
	uint64_t off, t = now_ns();
	uint32_t sum = 0, *w;
	int i;

	for (i = 0; i < n; i++)
		if (sizes[i] > snap_size)
			snap_size = sizes[i];
	snap = mmap(NULL, snap_size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (snap == MAP_FAILED)
		die("restore: no memory for a snapshot of %llu MiB: %s",
		    (unsigned long long)(snap_size / MiB), strerror(errno));
	/* The expected sums, of each size's prefix, as the words are made. */
	w = (uint32_t *)snap;
	for (off = 0; off < snap_size; off += 4) {
		w[off / 4] = snap_word(GUEST_BASE + off);
		sum += w[off / 4];
		for (i = 0; i < n; i++)
			if (off + 4 == sizes[i])
				snap_sums[i] = sum;
	}
	memcpy(snap_sizes, sizes, n * sizeof(sizes[0]));
	nr_snap_sizes = n;
	info("restore: a snapshot of %llu MiB generated in %.2f s",
	     (unsigned long long)(snap_size / MiB), (now_ns() - t) / 1e9);
}

static uint32_t snap_sum(uint64_t size)
{
	int i;

	for (i = 0; i < nr_snap_sizes; i++)
		if (snap_sizes[i] == size)
			return snap_sums[i];
	die("restore: no snapshot sum for %llu MiB",
	    (unsigned long long)(size / MiB));
}

/* GMEM_POPULATE of @len bytes at @off from @src in 2 MiB calls: 0, -errno. */
static int populate(int fd, uint64_t off, const uint8_t *src, uint64_t len)
{
	struct gmem_populate p;
	uint64_t done;

	for (done = 0; done < len; done += HUGE) {
		p = (struct gmem_populate){
			.offset = off + done,
			.length = len - done < HUGE ? len - done : HUGE,
			.uaddr = (uintptr_t)(src + done),
		};
		if (ioctl(fd, GMEM_POPULATE, &p))
			return -errno;
	}
	return 0;
}

static int arm(int fd, uint64_t off, uint64_t len)
{
	struct gmem_missing_range r = { .offset = off, .length = len };

	return ioctl(fd, GMEM_MISSING_ARM, &r) ? -errno : 0;
}

/* What the handler thread and the vCPU thread share. */
struct lazy {
	int fd;			/* the restored memory */
	int events;		/* its GMEM_MISSING_EVENTS fd */
	int stop;		/* eventfd: the handler returns */
	uint64_t unit;		/* what one event reports: PAGE or HUGE */
	uint64_t nr_units;
	pthread_mutex_t lock;
	pthread_cond_t filled_cond;
	uint8_t *filled;	/* per unit: filled */
	uint64_t nr_events;
	uint64_t missing_exits;
	int error;		/* the handler's first failure, -errno */
};

static int handle(struct lazy *l, const struct gmem_missing_event *ev)
{
	uint64_t u = (ev->offset - GUEST_BASE) / l->unit;
	int err;

	if (ev->offset < GUEST_BASE || (ev->offset - GUEST_BASE) % l->unit ||
	    ev->length != l->unit || u >= l->nr_units)
		return -ERANGE;
	err = populate(l->fd, ev->offset, snap + (ev->offset - GUEST_BASE),
		       l->unit);
	if (err)
		return err;
	pthread_mutex_lock(&l->lock);
	l->filled[u] = 1;
	l->nr_events++;
	pthread_cond_broadcast(&l->filled_cond);
	pthread_mutex_unlock(&l->lock);
	return 0;
}

/* The handler: reads reports and fills their pages until told to stop. */
static void *handler(void *arg)
{
	struct lazy *l = arg;
	struct pollfd pfd[2] = {
		{ .fd = l->events, .events = POLLIN },
		{ .fd = l->stop, .events = POLLIN },
	};
	struct gmem_missing_event ev[64];
	ssize_t n, i;
	int err;

	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto fail;
		}
		if (pfd[1].revents)
			return NULL;
		n = read(l->events, ev, sizeof(ev));
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0 || n % sizeof(ev[0])) {
			err = n < 0 ? -errno : -EIO;
			goto fail;
		}
		for (i = 0; i < n / (ssize_t)sizeof(ev[0]); i++) {
			err = handle(l, &ev[i]);
			if (err)
				goto fail;
		}
	}
fail:
	pthread_mutex_lock(&l->lock);
	l->error = err;
	pthread_cond_broadcast(&l->filled_cond);
	pthread_mutex_unlock(&l->lock);
	return NULL;
}

/*
 * vcpu_run()'s hook for a missing-page exit: wait for the handler to fill
 * the page, then run the vCPU again.  Dies if it never comes.
 */
static bool wait_filled(struct vm *vm, const struct vexit *x, void *arg)
{
	struct lazy *l = arg;
	uint64_t u = (x->fault.gpa - GUEST_BASE) / l->unit;
	struct timespec end;
	int err;

	(void)vm;
	if (x->fault.gpa < GUEST_BASE || u >= l->nr_units)
		die("restore: a missing-page exit at %#llx, outside the restored memory",
		    (unsigned long long)x->fault.gpa);
	clock_gettime(CLOCK_REALTIME, &end);
	end.tv_sec += FILL_WAIT_S;
	pthread_mutex_lock(&l->lock);
	l->missing_exits++;
	while (!l->filled[u] && !l->error)
		if (pthread_cond_timedwait(&l->filled_cond, &l->lock, &end))
			break;
	err = l->filled[u] ? 0 : l->error ? l->error : -ETIMEDOUT;
	pthread_mutex_unlock(&l->lock);
	if (err)
		die("restore: the page at %#llx was not filled: %s",
		    (unsigned long long)x->fault.gpa, strerror(-err));
	return true;
}

/*
 * vcpu_run()'s hook without a handler: the vCPU thread fills the page
 * (block) of the exit itself, then runs the vCPU again.
 */
static bool fill_self(struct vm *vm, const struct vexit *x, void *arg)
{
	struct lazy *l = arg;
	uint64_t u = (x->fault.gpa - GUEST_BASE) / l->unit;
	int err;

	(void)vm;
	if (x->fault.gpa < GUEST_BASE || u >= l->nr_units)
		die("restore: a missing-page exit at %#llx, outside the restored memory",
		    (unsigned long long)x->fault.gpa);
	l->missing_exits++;
	err = populate(l->fd, GUEST_BASE + u * l->unit, snap + u * l->unit,
		       l->unit);
	if (err)
		die("restore: GMEM_POPULATE of the page at %#llx: %s",
		    (unsigned long long)x->fault.gpa, strerror(-err));
	l->nr_events++;		/* fills, here */
	return true;
}

/*
 * Arms @g's memory whole; with @thread, opens its event fd and starts the
 * handler, else has the vCPU thread fill what it misses.
 */
static void lazy_start(struct lazy *l, struct gvm *g, bool huge,
		       pthread_t *thread)
{
	int err;

	memset(l, 0, sizeof(*l));
	l->fd = g->fd;
	l->unit = huge ? HUGE : PAGE;
	l->nr_units = g->size / l->unit;
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->filled_cond, NULL);
	l->filled = calloc(l->nr_units, 1);
	if (!l->filled)
		die("restore: no memory for the fill map");
	err = arm(g->fd, GUEST_BASE, g->size);
	if (err)
		die("restore: GMEM_MISSING_ARM: %s", strerror(-err));
	if (!thread) {
		g->vm.missing = fill_self;
		g->vm.missing_arg = l;
		return;
	}
	l->events = ioctl(g->fd, GMEM_MISSING_EVENTS, O_CLOEXEC | O_NONBLOCK);
	if (l->events < 0)
		die("restore: GMEM_MISSING_EVENTS: %s", strerror(errno));
	l->stop = eventfd(0, EFD_CLOEXEC);
	if (l->stop < 0)
		die("restore: eventfd: %s", strerror(errno));
	g->vm.missing = wait_filled;
	g->vm.missing_arg = l;
	if (pthread_create(thread, NULL, handler, l))
		die("restore: pthread_create failed");
}

static void lazy_stop(struct lazy *l, struct gvm *g, const pthread_t *thread)
{
	g->vm.missing = NULL;
	if (!thread)
		goto out;
	if (eventfd_write(l->stop, 1))
		die("restore: eventfd_write: %s", strerror(errno));
	pthread_join(*thread, NULL);
	if (l->error)
		die("restore: the handler failed: %s", strerror(-l->error));
	close(l->events);
	close(l->stop);
out:
	free(l->filled);
	pthread_cond_destroy(&l->filled_cond);
	pthread_mutex_destroy(&l->lock);
}

/* Words read back at pseudo-random pages: each page in its place. */
static void spot_check(struct gvm *g, const char *name, enum restore_mode mode)
{
	uint64_t x = 0x9e3779b97f4a7c15ull, pages = g->size / PAGE, off;
	uint32_t gpa, want, got;
	int i;

	for (i = 0; i < SPOT_CHECKS; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		off = (x % pages) * PAGE + (x >> 40) % (PAGE / 4) * 4;
		gpa = GUEST_BASE + off;
		want = mode == RM_ZERO ? 0 : snap_word(gpa);
		got = gvm_cmd(g, name, CMD_READ, (const uint32_t[]){ gpa }, 1);
		if (got != want)
			die("%s: the word at %#x reads %#x, not %#x", name, gpa,
			    got, want);
	}
}

static void restore_one(uint64_t size, bool huge, enum restore_mode mode,
			bool first)
{
	enum guest_backend gb = huge ? GB_GMEM_HUGE : GB_GMEM;
	uint64_t unit = huge ? HUGE : PAGE, e0, t0, tp = 0, t1, t2;
	uint32_t base = GUEST_BASE, len = size, sum, want;
	const char *step;
	struct lazy l;
	pthread_t thread;
	char name[64];
	struct gvm g;
	int r;

	restore_variant(name, sizeof(name), huge, size, mode);
	r = gvm_create(&g, gb, size, &step);
	if (r)
		die("%s: %s: %s", name, step, strerror(-r));
	/* The interpreter's own pages mapped before anything is timed. */
	gvm_cmd(&g, name, CMD_READ, (const uint32_t[]){ GUEST_DATA }, 1);
	if (mode == RM_LAZY || mode == RM_SELF)
		lazy_start(&l, &g, huge, mode == RM_LAZY ? &thread : NULL);
	e0 = gvm_exits(&g);

	t0 = now_ns();
	if (mode == RM_EAGER) {
		r = populate(g.fd, GUEST_BASE, snap, size);
		if (r)
			die("%s: GMEM_POPULATE: %s", name, strerror(-r));
		tp = now_ns();
	}
	want = mode == RM_ZERO ? 0 : snap_word(GUEST_BASE);
	if (gvm_cmd(&g, name, CMD_READ, (const uint32_t[]){ base }, 1) != want)
		die("%s: the first word of the memory is not the snapshot's",
		    name);
	t1 = now_ns();
	sum = gvm_cmd(&g, name, CMD_ADD, (const uint32_t[]){ base, len, 4 }, 3);
	t2 = now_ns();

	want = mode == RM_ZERO ? 0 : snap_sum(size);
	if (sum != want)
		die("%s: the guest's read pass summed to %#x, not %#x", name,
		    sum, want);
	record(B_RST_EXITS, name, "exits", (double)(gvm_exits(&g) - e0));
	spot_check(&g, name, mode);
	if (mode != RM_ZERO) {
		record(B_RST_FIRST, name, "s", (t1 - t0) / 1e9);
		record(B_RST_DONE, name, "s", (t2 - t0) / 1e9);
	}
	if (mode == RM_EAGER)
		record(B_RST_POPULATE, name, "s", (tp - t0) / 1e9);
	record(B_RST_PASS, name, "s", (t2 - t1) / 1e9);
	record(B_RST_PER_FAULT, name, "us", (t2 - t1) / 1e3 / (size / unit));
	if (mode == RM_LAZY || mode == RM_SELF) {
		lazy_stop(&l, &g, mode == RM_LAZY ? &thread : NULL);
		if (l.nr_events != size / unit)
			die("%s: %llu pages reported or filled, not %llu", name,
			    (unsigned long long)l.nr_events,
			    (unsigned long long)(size / unit));
		record(B_RST_MISSING_EXITS, name, "exits", l.missing_exits);
		if (mode == RM_LAZY)
			record(B_RST_EVENTS, name, "events", l.nr_events);
	}
	if (first && huge)
		info("restore, %s: %llu of %llu 2 MiB blocks in large folios",
		     name, (unsigned long long)gmem_info(g.fd).large_folios,
		     (unsigned long long)(size / HUGE));
	gvm_destroy(&g);
}

void restore_probe(void)
{
	static char why[2][200];
	struct gvm g;
	struct vexit x;
	const char *step;
	uint32_t v;
	int huge, r;

	for (huge = 0; huge < 2; huge++) {
		enum guest_backend gb = huge ? GB_GMEM_HUGE : GB_GMEM;
		const char *name = huge ? "gmem-huge" : "gmem";

		why_not[huge] = guest_unavailable(gb);
		if (why_not[huge])
			continue;
		/* An armed, empty fd and no hook: the exit must come back. */
		r = gvm_create(&g, gb, HUGE, &step);
		if (r)
			die("restore: %s: %s: %s", name, step, strerror(-r));
		gvm_cmd(&g, name, CMD_READ, (const uint32_t[]){ GUEST_DATA }, 1);
		r = arm(g.fd, GUEST_BASE, HUGE);
		if (r)
			die("restore: %s: GMEM_MISSING_ARM: %s", name,
			    strerror(-r));
		if (guest_cmd(&g.vm, CMD_READ, (const uint32_t[]){ GUEST_BASE },
			      1, &v, &x)) {
			snprintf(why[huge], sizeof(why[huge]),
				 "the guest read a missing page without an exit");
		} else if (x.kind != VX_MEMORY_FAULT || x.err != EFAULT ||
			   !(x.fault.flags & GMEM_MEMORY_EXIT_FLAG_MISSING) ||
			   x.fault.gpa != GUEST_BASE) {
			snprintf(why[huge], sizeof(why[huge]),
				 "a missing page gives %s, not a memory fault exit flagged missing (a KVM without patch 0012?)",
				 vexit_str(&x));
		} else {
			/* Filled, the guest goes on into its command. */
			r = populate(g.fd, GUEST_BASE, snap, HUGE);
			if (r)
				die("restore: %s: GMEM_POPULATE: %s", name,
				    strerror(-r));
			if (!guest_finish(&g.vm, &v, &x))
				die("restore: %s: after the fill: %s", name,
				    vexit_str(&x));
			if (v != snap_word(GUEST_BASE))
				die("restore: %s: the filled page reads %#x",
				    name, v);
		}
		if (why[huge][0])
			why_not[huge] = why[huge];
		gvm_destroy(&g);
	}
}

const char *restore_unavailable(bool huge)
{
	return why_not[huge];
}

void bench_restore(uint64_t size, bool first)
{
	int huge, mode;

	for (huge = 0; huge < 2; huge++) {
		if (why_not[huge])
			continue;
		for (mode = 0; mode < NR_RESTORE_MODES; mode++) {
			note("  restore, %s, %llu MiB, %s",
			     huge ? "gmem-huge" : "gmem",
			     (unsigned long long)(size / MiB),
			     restore_mode_name[mode]);
			restore_one(size, huge, mode, first);
		}
	}
}
