// SPDX-License-Identifier: GPL-2.0
/*
 * gmem-stress: processes and threads hammering gmem for a bounded time,
 * each checking what it reads against a model of what it wrote.
 *
 *   gmem-stress [-s SEED] [-t SECONDS] [-p PROCS] [-T THREADS] [-g OPS]
 *
 * The parent creates one shared fd (F0) and forks PROCS children; each
 * child creates an fd of its own (F1) and runs THREADS workers.  A worker
 * owns one lane (a page range) of F0 and one of F1 and runs random
 * operations on them: fallocate (allocate, punch), GMEM_CONVERT (both
 * ways, with and without GMEM_CONVERT_ZERO), GMEM_POPULATE, map and touch
 * (reads checked, writes of new contents, SIGBUS on private pages),
 * remapping, and through the test consumer /dev/gmem_test: bind, unbind,
 * resolve, read and write of private pages, in-kernel resolver threads.
 * Its lanes' model (shared/private, allocated, contents) says what every
 * read must return: what was written last, zeroes after a punch or a
 * zeroing conversion, SIGBUS on a private page, -EACCES from a resolve of a
 * shared one; mincore() must agree on which pages are allocated.  Other
 * lanes of the same fds change concurrently, so every lock gmem takes is
 * contended.  Workers also create, fill, map, bind and close scratch fds
 * (close before unmap and unbind).
 *
 * In every other child (by process and generation) F1 is armed for demand
 * paging (GMEM_MISSING_ARM over all of it) with an event fd, and a handler
 * thread answers each report with a zero fill (fallocate), the way a VMM
 * restores a zero page: to the model the fd is unchanged (a page without
 * memory reads zero), but every first touch of a hole, by a fault, a
 * read or the consumer, now waits for the handler while the other workers
 * punch, convert, populate and resolve around it.  A consumer's resolve of
 * a missing page returns -ENODATA and is retried once the handler has
 * filled it.
 *
 * A child runs a generation of about OPS operations per worker, unbinds,
 * checks its lanes and F1's GMEM_INFO/st_blocks/fdinfo against the model,
 * closes F1 and exits; the parent forks the next generation in its place
 * until the time is up, then checks F0 the same way.  F0's lane models
 * live in shared memory so they survive the children.
 *
 * Every worker's operations come from its own generator, seeded from SEED,
 * the child's index and generation, and the thread: `gmem-stress -s SEED`
 * with the same -p, -T and -g replays the same operations (the
 * interleaving of threads is up to the scheduler).  SEED is printed first;
 * a failure prints the worker, its seed and its last operations.
 *
 * Prints TAP: the run, then its coverage (lanes bound, consumer
 * operations, in-kernel resolvers and scratch fds read after close, each
 * at least once), then the shared fd checked at the end.  It expects gmem
 * loaded and gmem_test loaded (without it the consumer operations are left
 * out and the coverage test fails, unless -C), and owns the test consumer
 * while it runs: at the end it unbinds every slot.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <linux/gmem.h>

#include "fault.h"
#include "gmem_test.h"
#include "rng.h"
#include "sys.h"

#define MAX_PROCS	16
#define MAX_THREADS	16
#define LANE_PAGES	32
#define HIST		24	/* operations remembered per worker */
#define CONVERT_TRIES	200	/* EAGAIN retries, 1 ms apart */
#define PUNCH		(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE)
#define MISSING_TRIES	5000	/* -ENODATA retries, 1 ms apart */

/* What one page must hold. */
struct pmodel {
	uint8_t shared;
	uint8_t present;
	uint32_t tag;		/* 0: zeroes; else the pattern of that tag */
};

struct lane {
	char name[24];
	int fd;
	uint64_t base;		/* first page index in the fd */
	unsigned int npages;
	unsigned char *map;	/* MAP_SHARED of the lane, or NULL */
	int slot;		/* consumer slot, -1 when unbound */
	bool armed;		/* in a range GMEM_MISSING_ARM armed */
	struct pmodel *pm;
};

struct worker {
	unsigned int proc, gen, thread;
	uint64_t seed;
	struct rng rng;
	struct lane lane[2];
	unsigned long ops;
	char hist[HIST][200];
	unsigned long hist_n;
	unsigned char *buf;	/* page-sized scratch buffers */
	unsigned char *buf2;
};

/* Shared by the parent and every child (MAP_SHARED anonymous memory). */
struct shared {
	atomic_ulong ops;
	atomic_ulong eagain;
	atomic_ulong enospc_slots;
	atomic_ulong nomem;
	/* what the consumer did: each must be above 0 (test 3) */
	atomic_ulong binds;		/* lanes bound */
	atomic_ulong consumer_ops;	/* resolves, reads, writes through it */
	atomic_ulong kstress;		/* GMEM_TEST_STRESS runs */
	atomic_ulong scratch_bound;	/* scratch fds read after close */
	atomic_ulong missing_fills;	/* reports a handler filled */
	atomic_ulong missing_nodata;	/* resolves that met a missing page */
	atomic_ulong armed_gens;	/* armed children that ran every op */
	atomic_int failed;
	struct pmodel f0[];	/* MAX_PROCS * MAX_THREADS * LANE_PAGES */
};

static struct {
	uint64_t seed;
	unsigned int secs, procs, threads, gen_ops;
	bool no_consumer;
} opt = { .secs = 30, .procs = 2, .threads = 3, .gen_ops = 300 };

static long ps;
static int ct = -1;		/* /dev/gmem_test, or -1 */
static double deadline;
static struct shared *sh;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_bool stop;

/* ---- reporting ---- */

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&out_lock);
	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
}

static void note(struct worker *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void note(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->hist[w->hist_n++ % HIST], sizeof(w->hist[0]), fmt, ap);
	va_end(ap);
}

/* A check failed: say where, with the worker's last operations, and stop. */
static void wfail(struct worker *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void wfail(struct worker *w, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&out_lock);
	printf("# FAIL: worker %u.%u.%u (seed %#" PRIx64 "), operation %lu: %s\n",
	       w->proc, w->gen, w->thread, w->seed, w->ops, msg);
	printf("#   its last operations, oldest first:\n");
	for (unsigned long i = w->hist_n > HIST ? w->hist_n - HIST : 0;
	     i < w->hist_n; i++)
		printf("#     %lu: %s\n", i, w->hist[i % HIST]);
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
	atomic_store(&sh->failed, 1);
	atomic_store(&stop, true);
	/* The others stop at their next operation; this one is done. */
	pthread_exit(NULL);
}

/* ---- page contents ---- */

static void fill_tag(void *buf, uint32_t tag)
{
	uint64_t *p = buf;

	for (long j = 0; j < ps / 8; j++)
		p[j] = tag ? ((uint64_t)tag << 32 | tag) ^
			     ((uint64_t)j * 0x9e3779b97f4a7c15ULL) : 0;
}

/* Offset of the first byte not as @tag says, or -1. */
static long check_tag(const void *buf, uint32_t tag)
{
	const uint64_t *p = buf;

	for (long j = 0; j < ps / 8; j++) {
		uint64_t want = tag ? ((uint64_t)tag << 32 | tag) ^
				      ((uint64_t)j * 0x9e3779b97f4a7c15ULL) : 0;

		if (p[j] != want)
			return j * 8;
	}
	return -1;
}

static uint32_t new_tag(struct worker *w)
{
	uint32_t t;

	do {
		t = (uint32_t)rng_next(&w->rng);
	} while (!t);
	return t;
}

/* ---- the consumer ---- */

static int ct_rw(int slot, uint64_t index, void *buf, bool write, int *err)
{
	struct gmem_test_rw a = {
		.slot = slot, .write = write, .index = index,
		.len = ps, .uaddr = (uintptr_t)buf,
	};
	int ret = ioctl(ct, GMEM_TEST_RW, &a);

	*err = a.err;
	return ret;
}

static int ct_bind(int fd, uint64_t start, uint64_t nr)
{
	struct gmem_test_bind a = { .fd = fd, .start = start, .nr_pages = nr };

	if (ioctl(ct, GMEM_TEST_BIND, &a))
		return -errno;
	return a.slot;
}

static int ct_unbind(int slot)
{
	uint32_t s = slot;

	return ioctl(ct, GMEM_TEST_UNBIND, &s) ? -errno : 0;
}

/* ---- operations on a lane ---- */

static void pick_range(struct worker *w, struct lane *l, unsigned int *a,
		       unsigned int *n)
{
	if (rng_pct(&w->rng, 10)) {
		*a = 0;
		*n = l->npages;
		return;
	}
	*n = rng_range(&w->rng, 1, l->npages < 8 ? l->npages : 8);
	*a = rng_below(&w->rng, l->npages - *n + 1);
}

static off_t off_of(struct lane *l, unsigned int page)
{
	return (off_t)(l->base + page) * ps;
}

static void op_allocate(struct worker *w, struct lane *l)
{
	unsigned int a, n;

	pick_range(w, l, &a, &n);
	note(w, "%s: fallocate(KEEP_SIZE) pages [%u, +%u)", l->name, a, n);
	if (fallocate(l->fd, FALLOC_FL_KEEP_SIZE, off_of(l, a), (off_t)n * ps)) {
		if (errno == ENOMEM || errno == ENOSPC) {
			atomic_fetch_add(&sh->nomem, 1);
			return;		/* a failed call changes nothing */
		}
		wfail(w, "fallocate failed with %s", errno_name(errno));
	}
	for (unsigned int i = a; i < a + n; i++)
		l->pm[i].present = 1;
}

static void op_punch(struct worker *w, struct lane *l)
{
	unsigned int a, n;

	pick_range(w, l, &a, &n);
	note(w, "%s: punch pages [%u, +%u)", l->name, a, n);
	if (fallocate(l->fd, PUNCH, off_of(l, a), (off_t)n * ps))
		wfail(w, "punch failed with %s", errno_name(errno));
	for (unsigned int i = a; i < a + n; i++)
		l->pm[i].present = 0, l->pm[i].tag = 0;
}

static void op_convert(struct worker *w, struct lane *l)
{
	bool to_shared = rng_pct(&w->rng, 50), zero = rng_pct(&w->rng, 20);
	struct gmem_convert c;
	unsigned int a, n;
	int tries = 0;

	pick_range(w, l, &a, &n);
	note(w, "%s: convert pages [%u, +%u) to %s%s", l->name, a, n,
	     to_shared ? "shared" : "private", zero ? ", zero" : "");
	for (;;) {
		c = (struct gmem_convert) {
			.offset = off_of(l, a), .length = (uint64_t)n * ps,
			.to = to_shared ? GMEM_SHARED : GMEM_PRIVATE,
			.flags = zero ? GMEM_CONVERT_ZERO : 0,
		};
		if (!ioctl(l->fd, GMEM_CONVERT, &c))
			break;
		if (errno == ENOMEM) {
			atomic_fetch_add(&sh->nomem, 1);
			return;
		}
		if (errno != EAGAIN || to_shared)
			wfail(w, "GMEM_CONVERT failed with %s", errno_name(errno));
		/* Nothing of ours holds these pages: only a moment's LRU batch. */
		if (c.error_offset < (uint64_t)off_of(l, a) ||
		    c.error_offset >= (uint64_t)off_of(l, a + n) ||
		    c.error_offset % ps)
			wfail(w, "EAGAIN with error_offset %#llx outside the range",
			      (unsigned long long)c.error_offset);
		atomic_fetch_add(&sh->eagain, 1);
		if (++tries >= CONVERT_TRIES)
			wfail(w, "GMEM_CONVERT to private: EAGAIN %d times (error_offset %#llx), but nothing holds the pages",
			      tries, (unsigned long long)c.error_offset);
		usleep(1000);
	}
	for (unsigned int i = a; i < a + n; i++) {
		l->pm[i].shared = to_shared;
		if (zero)
			l->pm[i].tag = 0;
	}
}

static void op_populate(struct worker *w, struct lane *l)
{
	struct gmem_populate p;
	bool any_shared = false;
	unsigned int a, n;
	unsigned char *src;
	uint32_t *tags;

	pick_range(w, l, &a, &n);
	src = malloc((size_t)n * ps);
	tags = malloc(n * sizeof(*tags));
	if (!src || !tags)
		wfail(w, "out of memory in the test");
	for (unsigned int i = 0; i < n; i++) {
		tags[i] = new_tag(w);
		fill_tag(src + (size_t)i * ps, tags[i]);
		any_shared |= l->pm[a + i].shared;
	}
	note(w, "%s: populate pages [%u, +%u)%s", l->name, a, n,
	     any_shared ? " (some shared: EINVAL)" : "");
	p = (struct gmem_populate) {
		.offset = off_of(l, a), .length = (uint64_t)n * ps,
		.uaddr = (uintptr_t)src,
	};
	if (ioctl(l->fd, GMEM_POPULATE, &p)) {
		int err = errno;

		if (any_shared && err == EINVAL && !p.copied)
			goto out;
		if (!any_shared && (err == ENOMEM || err == ENOSPC) &&
		    p.copied % ps == 0 && p.copied < p.length) {
			atomic_fetch_add(&sh->nomem, 1);
			n = p.copied / ps;	/* those pages hold the new data */
			goto apply;
		}
		wfail(w, "GMEM_POPULATE failed with %s, copied %llu", errno_name(err),
		      (unsigned long long)p.copied);
	}
	if (any_shared)
		wfail(w, "GMEM_POPULATE into a range with shared pages worked");
	if (p.copied != p.length)
		wfail(w, "GMEM_POPULATE copied %llu of %llu",
		      (unsigned long long)p.copied, (unsigned long long)p.length);
apply:
	for (unsigned int i = 0; i < n; i++)
		l->pm[a + i].present = 1, l->pm[a + i].tag = tags[i];
out:
	free(src);
	free(tags);
}

/* Touch pages through the lane's mapping: check, and maybe write, them. */
static void op_touch(struct worker *w, struct lane *l)
{
	unsigned int a, n;

	if (!l->map)
		return;
	pick_range(w, l, &a, &n);
	note(w, "%s: touch pages [%u, +%u) through the mapping", l->name, a, n);
	for (unsigned int i = a; i < a + n; i++) {
		unsigned char *p = l->map + (size_t)i * ps;
		struct fault f;
		unsigned char v;
		long bad;

		f = fault_read(p, &v);
		if (!l->pm[i].shared) {
			if (f.sig != SIGBUS || f.addr != p)
				wfail(w, "reading private page %u: expected SIGBUS, got %s",
				      i, fault_str(f));
			continue;
		}
		if (f.sig)
			wfail(w, "reading shared page %u: %s", i, fault_str(f));
		l->pm[i].present = 1;
		bad = check_tag(p, l->pm[i].tag);
		if (bad >= 0)
			wfail(w, "shared page %u through the mapping: byte %ld is %#x, expected tag %#x%s",
			      i, bad, p[bad], l->pm[i].tag,
			      l->pm[i].tag ? "" : " (zeroes)");
		if (rng_pct(&w->rng, 50)) {
			uint32_t t = new_tag(w);

			note(w, "%s:   write tag %#x to shared page %u", l->name, t, i);
			fill_tag(p, t);
			l->pm[i].tag = t;
		}
	}
}

static void op_remap(struct worker *w, struct lane *l)
{
	void *m;

	note(w, "%s: munmap and mmap again", l->name);
	if (l->map && munmap(l->map, (size_t)l->npages * ps))
		wfail(w, "munmap: %s", errno_name(errno));
	l->map = NULL;
	m = mmap(NULL, (size_t)l->npages * ps, PROT_READ | PROT_WRITE,
		 MAP_SHARED, l->fd, off_of(l, 0));
	if (m == MAP_FAILED)
		wfail(w, "mmap: %s", errno_name(errno));
	l->map = m;
}

/* mincore() sees the page cache: it must match the model's allocations. */
static void check_present(struct worker *w, struct lane *l, bool resync)
{
	unsigned char vec[LANE_PAGES];

	if (!l->map)
		return;
	if (mincore(l->map, (size_t)l->npages * ps, vec))
		wfail(w, "mincore: %s", errno_name(errno));
	for (unsigned int i = 0; i < l->npages; i++) {
		if (resync)
			l->pm[i].present = vec[i] & 1;
		else if ((vec[i] & 1) != l->pm[i].present)
			wfail(w, "%s page %u: mincore says %s, the model %s",
			      l->name, i, vec[i] & 1 ? "allocated" : "a hole",
			      l->pm[i].present ? "allocated" : "a hole");
	}
}

static void op_bind(struct worker *w, struct lane *l)
{
	int slot;

	if (ct < 0)
		return;
	if (l->slot >= 0) {
		note(w, "%s: unbind slot %d", l->name, l->slot);
		if (ct_unbind(l->slot))
			wfail(w, "GMEM_TEST_UNBIND of slot %d: %s", l->slot,
			      errno_name(errno));
		l->slot = -1;
		return;
	}
	note(w, "%s: bind", l->name);
	slot = ct_bind(l->fd, l->base, l->npages);
	if (slot == -ENOSPC) {
		atomic_fetch_add(&sh->enospc_slots, 1);
		return;
	}
	if (slot < 0)
		wfail(w, "GMEM_TEST_BIND: %s", errno_name(-slot));
	atomic_fetch_add(&sh->binds, 1);
	l->slot = slot;
	note(w, "%s:   bound in slot %d", l->name, slot);
}

/*
 * A consumer's access to page @i of @l returned @err: -ENODATA is a
 * missing page of an armed lane, reported to the handler, which fills it
 * soon.  Return true to try again (after a moment).
 */
static bool consumer_again(struct worker *w, struct lane *l, unsigned int i,
			   int err, unsigned int *tries)
{
	if (err != -ENODATA)
		return false;
	if (!l->armed)
		wfail(w, "consumer on page %u: -ENODATA, but nothing is armed", i);
	atomic_fetch_add(&sh->missing_nodata, 1);
	if (++*tries >= MISSING_TRIES)
		wfail(w, "consumer on page %u: still -ENODATA after %u tries: the handler never filled it",
		      i, *tries);
	usleep(1000);
	return true;
}

/*
 * Read (into w->buf, poisoned first) or write (from it) page @i of @l
 * through consumer slot @slot, again while the page is missing.
 */
static void consumer_rw(struct worker *w, struct lane *l, int slot,
			unsigned int i, bool write, int *err, unsigned int *tries)
{
	do {
		if (!write)
			memset(w->buf, 0xee, ps);
		if (ct_rw(slot, l->base + i, w->buf, write, err))
			wfail(w, "GMEM_TEST_RW: %s", errno_name(errno));
	} while (consumer_again(w, l, i, *err, tries));
}

/* Resolve, read or write one page through the consumer. */
static void op_consumer(struct worker *w, struct lane *l)
{
	unsigned int i = rng_below(&w->rng, l->npages), what = rng_below(&w->rng, 3);
	uint64_t index = l->base + i;
	unsigned int tries = 0;
	int err;

	if (l->slot < 0)
		return;
	atomic_fetch_add(&sh->consumer_ops, 1);
	if (what == 0) {
		struct gmem_test_resolve r;

		note(w, "%s: resolve page %u", l->name, i);
		do {
			r = (struct gmem_test_resolve){ .slot = l->slot, .index = index };
			if (ioctl(ct, GMEM_TEST_RESOLVE, &r))
				wfail(w, "GMEM_TEST_RESOLVE: %s", errno_name(errno));
			err = r.err;
		} while (consumer_again(w, l, i, err, &tries));
		if (!err && (!r.pfn || r.max_order < 0))
			wfail(w, "resolve of page %u: pfn %#llx, max_order %d", i,
			      (unsigned long long)r.pfn, r.max_order);
	} else if (what == 1) {
		uint32_t t = new_tag(w);

		note(w, "%s: consumer writes tag %#x to page %u", l->name, t, i);
		fill_tag(w->buf, t);
		consumer_rw(w, l, l->slot, i, true, &err, &tries);
		if (!err)
			l->pm[i].tag = t;
	} else {
		long bad;

		note(w, "%s: consumer reads page %u", l->name, i);
		consumer_rw(w, l, l->slot, i, false, &err, &tries);
		if (!err) {
			bad = check_tag(w->buf, l->pm[i].tag);
			if (bad >= 0)
				wfail(w, "private page %u through the consumer: byte %ld is %#x, expected tag %#x%s",
				      i, bad, w->buf[bad], l->pm[i].tag,
				      l->pm[i].tag ? "" : " (zeroes)");
		}
	}
	if (tries)
		note(w, "%s:   missing: %u tries until the handler filled it",
		     l->name, tries);
	if (l->pm[i].shared) {
		if (err != -EACCES)
			wfail(w, "consumer on shared page %u: %d, expected -EACCES",
			      i, err);
		return;
	}
	if (err == -ENOMEM || err == -ENOSPC) {
		atomic_fetch_add(&sh->nomem, 1);
		return;
	}
	if (err)
		wfail(w, "consumer on private page %u: %d (%s)", i, err,
		      errno_name(-err));
	l->pm[i].present = 1;
}

/* In-kernel resolvers on the lane's binding for a moment. */
static void op_kstress(struct worker *w, struct lane *l)
{
	struct gmem_test_stress s = { .threads = 2, .msecs = 20 };

	if (l->slot < 0 || !l->map)
		return;
	/*
	 * The in-kernel resolvers count -ENODATA as a failure: give the
	 * lane's holes zeroes first, as the handler would.
	 */
	if (l->armed) {
		note(w, "%s: fallocate the lane before GMEM_TEST_STRESS", l->name);
		if (fallocate(l->fd, FALLOC_FL_KEEP_SIZE, off_of(l, 0),
			      (off_t)l->npages * ps)) {
			if (errno != ENOMEM && errno != ENOSPC)
				wfail(w, "fallocate failed with %s",
				      errno_name(errno));
			atomic_fetch_add(&sh->nomem, 1);
			check_present(w, l, true);
			return;
		}
		for (unsigned int i = 0; i < l->npages; i++)
			l->pm[i].present = 1;
	}
	s.slot = l->slot;
	note(w, "%s: GMEM_TEST_STRESS, 2 threads, 20 ms", l->name);
	if (ioctl(ct, GMEM_TEST_STRESS, &s))
		wfail(w, "GMEM_TEST_STRESS: %s", errno_name(errno));
	atomic_fetch_add(&sh->kstress, 1);
	if (s.bad)
		wfail(w, "GMEM_TEST_STRESS: %llu of %llu resolves failed, last %d",
		      (unsigned long long)s.bad, (unsigned long long)s.resolves,
		      s.last_bad_err);
	/* The resolvers allocated private pages we cannot name. */
	check_present(w, l, true);
}

/* Check every page of a lane; binds for a moment if it can. */
static void verify_lane(struct worker *w, struct lane *l)
{
	int slot = l->slot, err;

	note(w, "%s: verify every page", l->name);
	check_present(w, l, false);
	if (slot < 0 && ct >= 0) {
		slot = ct_bind(l->fd, l->base, l->npages);
		if (slot < 0 && slot != -ENOSPC)
			wfail(w, "GMEM_TEST_BIND: %s", errno_name(-slot));
	}
	for (unsigned int i = 0; i < l->npages; i++) {
		const unsigned char *p;
		long bad;

		if (l->pm[i].shared) {
			if (!l->map)
				continue;
			p = l->map + (size_t)i * ps;
			struct fault f = fault_read(p, NULL);

			if (f.sig)
				wfail(w, "%s: reading shared page %u: %s", l->name,
				      i, fault_str(f));
			l->pm[i].present = 1;
		} else {
			unsigned int tries = 0;

			if (slot < 0)
				continue;
			consumer_rw(w, l, slot, i, false, &err, &tries);
			if (err)
				wfail(w, "%s: consumer read of private page %u: %d",
				      l->name, i, err);
			l->pm[i].present = 1;
			p = w->buf;
		}
		bad = check_tag(p, l->pm[i].tag);
		if (bad >= 0)
			wfail(w, "%s page %u (%s): byte %ld is %#x, expected tag %#x",
			      l->name, i, l->pm[i].shared ? "shared" : "private",
			      bad, p[bad], l->pm[i].tag);
	}
	if (slot >= 0 && slot != l->slot && ct_unbind(slot))
		wfail(w, "GMEM_TEST_UNBIND: %s", errno_name(errno));
}

/*
 * A scratch fd: filled, mapped, bound, then closed first; the mapping and
 * the binding must still show the data, and then go too.
 */
static void op_scratch(struct worker *w)
{
	unsigned int n = rng_range(&w->rng, 1, 16);
	bool shared = rng_pct(&w->rng, 50);
	struct gmem_create c = {
		.size = sizeof(c), .length = (uint64_t)n * ps,
		.flags = GMEM_CREATE_MMAP | (shared ? GMEM_CREATE_SHARED : 0),
	};
	uint32_t tags[16];
	unsigned char *m;
	int dev, fd, slot = -1, err;

	note(w, "scratch: %u %s pages: fill, map, bind, close, check, unbind", n,
	     shared ? "shared" : "private");
	dev = open("/dev/gmem", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		wfail(w, "open /dev/gmem: %s", errno_name(errno));
	fd = ioctl(dev, GMEM_CREATE, &c);
	if (fd < 0)
		wfail(w, "GMEM_CREATE: %s", errno_name(errno));
	close(dev);
	m = mmap(NULL, (size_t)n * ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		wfail(w, "mmap of the scratch fd: %s", errno_name(errno));
	for (unsigned int i = 0; i < n; i++) {
		tags[i] = new_tag(w);
		if (shared) {
			fill_tag(m + (size_t)i * ps, tags[i]);
		} else {
			struct gmem_populate p = {
				.offset = (uint64_t)i * ps, .length = ps,
				.uaddr = (uintptr_t)w->buf,
			};

			fill_tag(w->buf, tags[i]);
			if (ioctl(fd, GMEM_POPULATE, &p)) {
				if (errno != ENOMEM && errno != ENOSPC)
					wfail(w, "scratch populate: %s",
					      errno_name(errno));
				atomic_fetch_add(&sh->nomem, 1);
				tags[i] = 0;	/* still a hole */
			}
		}
	}
	if (ct >= 0) {
		slot = ct_bind(fd, 0, n);
		if (slot < 0 && slot != -ENOSPC)
			wfail(w, "scratch bind: %s", errno_name(-slot));
		if (slot >= 0)
			atomic_fetch_add(&sh->scratch_bound, 1);
	}
	close(fd);
	for (unsigned int i = 0; i < n; i++) {
		const unsigned char *p;
		long bad;

		if (shared) {
			p = m + (size_t)i * ps;
		} else {
			if (slot < 0)
				break;
			if (ct_rw(slot, i, w->buf, false, &err))
				wfail(w, "scratch GMEM_TEST_RW: %s", errno_name(errno));
			if (err == -ENOMEM || err == -ENOSPC)
				continue;
			if (err)
				wfail(w, "scratch consumer read of page %u after close: %d",
				      i, err);
			p = w->buf;
		}
		bad = check_tag(p, tags[i]);
		if (bad >= 0)
			wfail(w, "scratch page %u after close: byte %ld is %#x, expected tag %#x",
			      i, bad, p[bad], tags[i]);
	}
	if (slot >= 0 && ct_unbind(slot))
		wfail(w, "scratch unbind: %s", errno_name(errno));
	if (munmap(m, (size_t)n * ps))
		wfail(w, "scratch munmap: %s", errno_name(errno));
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	w->buf = aligned_alloc(ps, ps);
	w->buf2 = aligned_alloc(ps, ps);
	if (!w->buf || !w->buf2)
		wfail(w, "out of memory in the test");
	for (int i = 0; i < 2; i++)
		op_remap(w, &w->lane[i]);

	while (w->ops < opt.gen_ops && !atomic_load(&stop) && now_s() < deadline) {
		struct lane *l = &w->lane[rng_below(&w->rng, 2)];
		unsigned int r = rng_below(&w->rng, 100);

		w->ops++;
		atomic_fetch_add(&sh->ops, 1);
		if (r < 12)
			op_allocate(w, l);
		else if (r < 22)
			op_punch(w, l);
		else if (r < 38)
			op_convert(w, l);
		else if (r < 48)
			op_populate(w, l);
		else if (r < 64)
			op_touch(w, l);
		else if (r < 67)
			op_remap(w, l);
		else if (r < 72)
			op_bind(w, l);
		else if (r < 90)
			op_consumer(w, l);
		else if (r < 92)
			op_kstress(w, l);
		else if (r < 95)
			op_scratch(w);
		else
			check_present(w, l, false);
	}
	if (atomic_load(&stop))
		return NULL;
	/* The generation is over: unbind, then check every page. */
	for (int i = 0; i < 2; i++) {
		struct lane *l = &w->lane[i];

		if (l->slot >= 0) {
			note(w, "%s: unbind slot %d", l->name, l->slot);
			if (ct_unbind(l->slot))
				wfail(w, "GMEM_TEST_UNBIND of slot %d: %s", l->slot,
				      errno_name(errno));
			l->slot = -1;
		}
	}
	for (int i = 0; i < 2; i++)
		verify_lane(w, &w->lane[i]);
	return NULL;
}

/* ---- fd-wide consistency ---- */

struct fdinfo_vals {
	unsigned long long size, flags, allocated, private_bytes, shared_bytes;
};

static int read_fdinfo(int fd, struct fdinfo_vals *v)
{
	char path[64], line[256];
	int seen = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		seen += sscanf(line, "gmem-size: %llu", &v->size);
		seen += sscanf(line, "gmem-flags: %llx", &v->flags);
		seen += sscanf(line, "gmem-allocated: %llu", &v->allocated);
		seen += sscanf(line, "gmem-private: %llu", &v->private_bytes);
		seen += sscanf(line, "gmem-shared: %llu", &v->shared_bytes);
	}
	fclose(f);
	return seen == 5 ? 0 : -1;
}

/*
 * With nothing else using @fd: GMEM_INFO, fstat and fdinfo must agree with
 * each other and with the model of its @npages pages.
 */
static int check_fd(const char *name, int fd, uint64_t size, uint32_t flags,
		    const struct pmodel *pm, uint64_t npages)
{
	uint64_t present = 0, shared = 0;
	struct fdinfo_vals v;
	struct gmem_info info = { .size = sizeof(info) };
	struct stat st;
	int bad = 0;

	for (uint64_t i = 0; i < npages; i++)
		present += pm[i].present, shared += pm[i].shared;
	if (ioctl(fd, GMEM_INFO, &info) || fstat(fd, &st) || read_fdinfo(fd, &v)) {
		say("FAIL: %s: GMEM_INFO, fstat or fdinfo failed: %s", name,
		    errno_name(errno));
		return 1;
	}
#define CHK(what, got, want)						\
	do {								\
		if ((unsigned long long)(got) != (unsigned long long)(want)) { \
			say("FAIL: %s: %s is %llu, expected %llu", name, what, \
			    (unsigned long long)(got), (unsigned long long)(want)); \
			bad = 1;					\
		}							\
	} while (0)
	CHK("GMEM_INFO size", info.length, size);
	CHK("GMEM_INFO flags", info.create_flags, flags);
	CHK("GMEM_INFO allocated", info.allocated, present * ps);
	CHK("GMEM_INFO shared_bytes", info.shared_bytes, shared * ps);
	CHK("GMEM_INFO private_bytes", info.private_bytes, size - shared * ps);
	CHK("st_size", st.st_size, size);
	CHK("st_blocks * 512", (unsigned long long)st.st_blocks * 512, info.allocated);
	CHK("fdinfo gmem-size", v.size, info.length);
	CHK("fdinfo gmem-flags", v.flags, info.create_flags);
	CHK("fdinfo gmem-allocated", v.allocated, info.allocated);
	CHK("fdinfo gmem-private", v.private_bytes, info.private_bytes);
	CHK("fdinfo gmem-shared", v.shared_bytes, info.shared_bytes);
#undef CHK
	return bad;
}

/* Concurrent readers of the fd-wide state: what must hold at any moment. */
struct watcher {
	int fd[2];
	uint64_t size[2];
};

static void *watcher_main(void *arg)
{
	struct watcher *wt = arg;

	while (!atomic_load(&stop) && now_s() < deadline) {
		for (int i = 0; i < 2; i++) {
			struct gmem_info info = { .size = sizeof(info) };
			struct fdinfo_vals v;
			struct stat st;

			if (ioctl(wt->fd[i], GMEM_INFO, &info) ||
			    fstat(wt->fd[i], &st) || read_fdinfo(wt->fd[i], &v)) {
				say("FAIL: watcher: GMEM_INFO, fstat or fdinfo: %s",
				    errno_name(errno));
				goto fail;
			}
			if (info.length != wt->size[i] || st.st_size != (off_t)wt->size[i] ||
			    info.private_bytes + info.shared_bytes != info.length ||
			    info.allocated > info.length || info.allocated % ps ||
			    (uint64_t)st.st_blocks * 512 > info.length ||
			    v.size != info.length ||
			    v.private_bytes + v.shared_bytes != v.size) {
				say("FAIL: watcher: inconsistent state: size %llu/%lld/%llu, allocated %llu, private %llu + shared %llu, st_blocks %lld",
				    (unsigned long long)info.length, (long long)st.st_size,
				    v.size, (unsigned long long)info.allocated,
				    (unsigned long long)info.private_bytes,
				    (unsigned long long)info.shared_bytes,
				    (long long)st.st_blocks);
				goto fail;
			}
		}
		usleep(2000);
	}
	return NULL;
fail:
	atomic_store(&sh->failed, 1);
	atomic_store(&stop, true);
	return NULL;
}

/* ---- demand paging: F1 armed, and a handler thread filling it ---- */

struct handler {
	int fd, efd;
	uint64_t size;
	pthread_t tid;
	atomic_bool stop;
};

/* Something went wrong: let every waiter go on, and stop the run. */
static bool handler_fail(struct handler *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static bool handler_fail(struct handler *h, const char *fmt, ...)
{
	struct gmem_missing_range r = {
		.length = h->size, .flags = GMEM_MISSING_DISARM,
	};
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	say("FAIL: missing-page handler: %s", msg);
	atomic_store(&sh->failed, 1);
	atomic_store(&stop, true);
	ioctl(h->fd, GMEM_MISSING_ARM, &r);
	return false;
}

/* A missing page, as the handler fills it: with zeroes.  False: stop. */
static bool handler_fill(struct handler *h, const struct gmem_missing_event *ev)
{
	if (ev->offset % ps || ev->length != (uint64_t)ps ||
	    ev->offset >= h->size || ev->flags || ev->reserved ||
	    ev->source < GMEM_MISSING_FAULT || ev->source > GMEM_MISSING_CONSUMER)
		return handler_fail(h, "a malformed report: offset %#llx, length %llu, source %u, flags %#x, reserved %#llx",
				    (unsigned long long)ev->offset,
				    (unsigned long long)ev->length, ev->source,
				    ev->flags, (unsigned long long)ev->reserved);
	while (fallocate(h->fd, FALLOC_FL_KEEP_SIZE, ev->offset, ev->length)) {
		if (errno != ENOMEM && errno != ENOSPC)
			return handler_fail(h, "fallocate of %#llx: %s",
					    (unsigned long long)ev->offset,
					    errno_name(errno));
		atomic_fetch_add(&sh->nomem, 1);
		if (atomic_load(&h->stop))
			return false;
		usleep(1000);
	}
	atomic_fetch_add(&sh->missing_fills, 1);
	return true;
}

static void *handler_main(void *arg)
{
	struct handler *h = arg;
	struct gmem_missing_event ev[16];

	while (!atomic_load(&h->stop)) {
		struct pollfd pfd = { .fd = h->efd, .events = POLLIN };
		ssize_t n;

		n = poll(&pfd, 1, 20);
		if (n < 0 && errno != EINTR) {
			handler_fail(h, "poll: %s", errno_name(errno));
			break;
		}
		if (n <= 0)
			continue;
		n = read(h->efd, ev, sizeof(ev));
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0 || n % sizeof(ev[0])) {
			handler_fail(h, "read of the event fd: %zd (%s)", n,
				     n < 0 ? errno_name(errno) : "not whole records");
			break;
		}
		for (size_t i = 0; i < n / sizeof(ev[0]); i++)
			if (!handler_fill(h, &ev[i]))
				return NULL;
	}
	return NULL;
}

/* Arms all of @fd, @size bytes, and starts its handler. */
static int handler_start(struct handler *h, int fd, uint64_t size)
{
	struct gmem_missing_range r = { .length = size };

	*h = (struct handler){ .fd = fd, .size = size };
	h->efd = ioctl(fd, GMEM_MISSING_EVENTS, O_CLOEXEC | O_NONBLOCK);
	if (h->efd < 0) {
		say("FAIL: GMEM_MISSING_EVENTS: %s", errno_name(errno));
		return -1;
	}
	if (ioctl(fd, GMEM_MISSING_ARM, &r)) {
		say("FAIL: GMEM_MISSING_ARM: %s", errno_name(errno));
		return -1;
	}
	if (pthread_create(&h->tid, NULL, handler_main, h)) {
		say("FAIL: pthread_create");
		return -1;
	}
	return 0;
}

/* ---- a child: one generation of THREADS workers ---- */

static int child_main(int f0, unsigned int proc, unsigned int gen)
{
	uint64_t seed = rng_mix(rng_mix(opt.seed, proc), gen);
	uint64_t f1_pages = (uint64_t)opt.threads * LANE_PAGES;
	struct gmem_create c = {
		.size = sizeof(c), .length = f1_pages * ps, .flags = GMEM_CREATE_MMAP,
	};
	struct worker *ws = calloc(opt.threads, sizeof(*ws));
	struct pmodel *f1_pm = calloc(f1_pages, sizeof(*f1_pm));
	pthread_t tids[MAX_THREADS], watch;
	bool armed = (proc + gen) % 2, all_ops = true;
	struct handler hd;
	struct watcher wt;
	int dev, f1, bad = 0;

	if (!ws || !f1_pm)
		return 1;
	/* Every other generation starts F1 all shared. */
	if (gen % 2) {
		c.flags |= GMEM_CREATE_SHARED;
		for (uint64_t i = 0; i < f1_pages; i++)
			f1_pm[i].shared = 1;
	}
	dev = open("/dev/gmem", O_RDWR | O_CLOEXEC);
	f1 = dev < 0 ? -1 : ioctl(dev, GMEM_CREATE, &c);
	if (f1 < 0) {
		say("FAIL: child %u.%u: creating F1: %s", proc, gen, errno_name(errno));
		return 1;
	}
	close(dev);
	fault_install();
	if (armed && handler_start(&hd, f1, f1_pages * ps))
		return 1;

	for (unsigned int t = 0; t < opt.threads; t++) {
		struct worker *w = &ws[t];
		unsigned int f0_lane = proc * opt.threads + t;

		*w = (struct worker) {
			.proc = proc, .gen = gen, .thread = t,
			.seed = rng_mix(seed, t),
		};
		w->rng.s = w->seed;
		w->lane[0] = (struct lane) {
			.fd = f0, .base = (uint64_t)f0_lane * LANE_PAGES,
			.npages = LANE_PAGES, .slot = -1,
			.pm = &sh->f0[(size_t)f0_lane * LANE_PAGES],
		};
		snprintf(w->lane[0].name, sizeof(w->lane[0].name), "F0 lane %u", f0_lane);
		w->lane[1] = (struct lane) {
			.fd = f1, .base = (uint64_t)t * LANE_PAGES,
			.npages = LANE_PAGES, .slot = -1, .armed = armed,
			.pm = &f1_pm[(size_t)t * LANE_PAGES],
		};
		snprintf(w->lane[1].name, sizeof(w->lane[1].name), "F1 lane %u", t);
		if (pthread_create(&tids[t], NULL, worker_main, w)) {
			say("FAIL: pthread_create");
			return 1;
		}
	}
	wt = (struct watcher) {
		.fd = { f0, f1 },
		.size = { (uint64_t)opt.procs * opt.threads * LANE_PAGES * ps,
			  f1_pages * ps },
	};
	if (pthread_create(&watch, NULL, watcher_main, &wt)) {
		say("FAIL: pthread_create");
		return 1;
	}
	for (unsigned int t = 0; t < opt.threads; t++) {
		pthread_join(tids[t], NULL);
		all_ops &= ws[t].ops >= opt.gen_ops;
	}
	atomic_store(&stop, true);
	pthread_join(watch, NULL);
	if (armed) {
		/* Every touch has been answered: the workers checked their pages. */
		atomic_store(&hd.stop, true);
		pthread_join(hd.tid, NULL);
		if (all_ops)
			atomic_fetch_add(&sh->armed_gens, 1);
	}
	if (atomic_load(&sh->failed))
		return 1;

	/* Each worker has checked its lanes; now F1 as a whole. */
	bad |= check_fd("F1", f1, f1_pages * ps, c.flags, f1_pm, f1_pages);
	/* With the event fd still open: the memory goes with the last file. */
	close(f1);
	if (armed)
		close(hd.efd);
	for (unsigned int t = 0; t < opt.threads; t++)
		for (int i = 0; i < 2; i++)
			if (ws[t].lane[i].map)
				munmap(ws[t].lane[i].map, (size_t)LANE_PAGES * ps);
	return bad || atomic_load(&sh->failed);
}

/* ---- the parent ---- */

static void *verify_main(void *arg)
{
	struct worker *w = arg;

	w->buf = aligned_alloc(ps, ps);
	if (!w->buf)
		wfail(w, "out of memory in the test");
	op_remap(w, &w->lane[0]);
	verify_lane(w, &w->lane[0]);
	munmap(w->lane[0].map, (size_t)w->lane[0].npages * ps);
	free(w->buf);
	return NULL;
}

/* F0 once every child is gone: every page, then the fd as a whole. */
static int check_f0(int f0, uint64_t size)
{
	unsigned int lanes = opt.procs * opt.threads;
	struct worker *w = calloc(1, sizeof(*w));
	int bad;

	if (!w)
		return 1;
	fault_install();
	for (unsigned int i = 0; i < lanes && !atomic_load(&sh->failed); i++) {
		pthread_t tid;

		*w = (struct worker) { .proc = ~0U, .seed = opt.seed };
		w->lane[0] = (struct lane) {
			.fd = f0, .base = (uint64_t)i * LANE_PAGES,
			.npages = LANE_PAGES, .slot = -1,
			.pm = &sh->f0[(size_t)i * LANE_PAGES],
		};
		snprintf(w->lane[0].name, sizeof(w->lane[0].name), "F0 lane %u", i);
		if (pthread_create(&tid, NULL, verify_main, w))
			return 1;
		pthread_join(tid, NULL);
	}
	free(w);
	bad = atomic_load(&sh->failed);
	bad |= check_fd("F0", f0, size, GMEM_CREATE_MMAP, sh->f0,
			(uint64_t)lanes * LANE_PAGES);
	return bad;
}

/*
 * Test 2: the run did what it is there for.  Without the consumer (unless
 * -C) or with none of its operations done, the consumer's side of gmem
 * went untested however long it ran.  Returns true if it passed.
 */
static bool coverage(void)
{
	const struct {
		const char *what;
		atomic_ulong *n;
	} c[] = {
		{ "lanes bound", &sh->binds },
		{ "consumer resolves, reads and writes", &sh->consumer_ops },
		{ "GMEM_TEST_STRESS runs", &sh->kstress },
		{ "scratch fds read through the consumer after close", &sh->scratch_bound },
	};
	unsigned long armed = atomic_load(&sh->armed_gens);
	bool ok = true;

	if (ct < 0 && opt.no_consumer) {
		printf("ok 2 - coverage: the consumer's operations ran # SKIP -C: without the test consumer\n");
		return true;
	}
	if (ct < 0) {
		say("no /dev/gmem_test: none of the consumer's operations ran (-C to allow that)");
		ok = false;
	}
	for (unsigned int i = 0; ct >= 0 && i < sizeof(c) / sizeof(c[0]); i++) {
		unsigned long n = atomic_load(c[i].n);

		say("%lu %s", n, c[i].what);
		if (!n) {
			say("FAIL: no %s", c[i].what);
			ok = false;
		}
	}
	/* An armed child that ran all its operations touched a hole. */
	say("%lu missing pages filled by a handler, %lu resolves met one (-ENODATA), in %lu armed generations run whole",
	    atomic_load(&sh->missing_fills), atomic_load(&sh->missing_nodata),
	    armed);
	if (armed && !atomic_load(&sh->missing_fills)) {
		say("FAIL: no missing page was reported and filled");
		ok = false;
	}
	printf("%s 2 - coverage: lanes bound, consumer resolves, reads, writes, in-kernel resolvers and scratch fds all ran\n",
	       ok ? "ok" : "not ok");
	return ok;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: gmem-stress [-s SEED] [-t SECONDS] [-p PROCS] [-T THREADS] [-g OPS] [-C]\n"
		"  -s  seed of every worker's operations (default: random, printed)\n"
		"  -t  run time (default %u s)\n"
		"  -p  processes at once, 1..%d (default %u)\n"
		"  -T  worker threads per process, 1..%d (default %u)\n"
		"  -g  operations per worker and generation (default %u)\n"
		"  -C  without the test consumer: do not fail for lack of it\n",
		opt.secs, MAX_PROCS, opt.procs, MAX_THREADS, opt.threads, opt.gen_ops);
	exit(2);
}

static unsigned long long num(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || !*s || *end)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	unsigned int gens[MAX_PROCS] = { 0 }, total_gens = 0;
	pid_t pids[MAX_PROCS];
	struct gmem_create c = { .size = sizeof(c), .flags = GMEM_CREATE_MMAP };
	bool have_seed = false, failed = false;
	unsigned int running = 0;
	size_t shsize;
	double start;
	int opt_c, dev, f0;

	while ((opt_c = getopt(argc, argv, "s:t:p:T:g:C")) != -1) {
		switch (opt_c) {
		case 's': opt.seed = num(optarg); have_seed = true; break;
		case 't': opt.secs = num(optarg); break;
		case 'p': opt.procs = num(optarg); break;
		case 'T': opt.threads = num(optarg); break;
		case 'g': opt.gen_ops = num(optarg); break;
		case 'C': opt.no_consumer = true; break;
		default: usage();
		}
	}
	if (optind != argc || !opt.procs || opt.procs > MAX_PROCS ||
	    !opt.threads || opt.threads > MAX_THREADS || !opt.gen_ops)
		usage();
	if (!have_seed) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		opt.seed = rng_mix((uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec,
				   getpid());
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	ps = page_size();

	printf("1..3\n");
	say("gmem-stress: seed %#" PRIx64 "; replay with: gmem-stress -s %#" PRIx64
	    " -t %u -p %u -T %u -g %u", opt.seed, opt.seed, opt.secs, opt.procs,
	    opt.threads, opt.gen_ops);

	ct = open("/dev/gmem_test", O_RDWR | O_CLOEXEC);
	if (ct < 0)
		say("no /dev/gmem_test (%s): bind, resolve and the consumer's reads and writes are left out",
		    errno_name(errno));
	shsize = sizeof(*sh) +
		 (size_t)MAX_PROCS * MAX_THREADS * LANE_PAGES * sizeof(struct pmodel);
	sh = mmap(NULL, shsize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		  -1, 0);
	if (sh == MAP_FAILED) {
		printf("Bail out! mmap: %s\n", errno_name(errno));
		return 1;
	}
	c.length = (uint64_t)opt.procs * opt.threads * LANE_PAGES * ps;
	dev = open("/dev/gmem", O_RDWR | O_CLOEXEC);
	f0 = dev < 0 ? -1 : ioctl(dev, GMEM_CREATE, &c);
	if (f0 < 0) {
		printf("Bail out! /dev/gmem, GMEM_CREATE: %s\n", errno_name(errno));
		return 1;
	}
	close(dev);

	start = now_s();
	deadline = start + opt.secs;
	for (;;) {
		int status;
		pid_t pid;

		for (unsigned int p = 0; p < opt.procs; p++) {
			if (running & (1U << p) || failed || now_s() >= deadline)
				continue;
			pids[p] = fork();
			if (pids[p] < 0) {
				say("FAIL: fork: %s", errno_name(errno));
				failed = true;
				break;
			}
			if (!pids[p])
				_exit(child_main(f0, p, gens[p]));
			running |= 1U << p;
		}
		if (!running)
			break;
		pid = wait(&status);
		if (pid < 0)
			break;
		for (unsigned int p = 0; p < opt.procs; p++) {
			if (!(running & (1U << p)) || pids[p] != pid)
				continue;
			running &= ~(1U << p);
			total_gens++;
			if (!WIFEXITED(status) || WEXITSTATUS(status)) {
				if (WIFSIGNALED(status))
					say("FAIL: child %u.%u (seed %#" PRIx64 ") killed by SIG%s",
					    p, gens[p],
					    rng_mix(rng_mix(opt.seed, p), gens[p]),
					    sigabbrev_np(WTERMSIG(status)) ?: "?");
				else
					say("FAIL: child %u.%u exited with %d", p,
					    gens[p], WEXITSTATUS(status));
				if (!failed)
					for (unsigned int q = 0; q < opt.procs; q++)
						if (running & (1U << q))
							kill(pids[q], SIGKILL);
				failed = true;
			}
			gens[p]++;
		}
	}
	failed |= atomic_load(&sh->failed);
	/* Children killed on the way may have left bindings. */
	if (ct >= 0)
		for (uint32_t s = 0; s < GMEM_TEST_SLOTS; s++)
			ioctl(ct, GMEM_TEST_UNBIND, &s);

	say("%lu operations in %.1f s, %u generations of %u processes x %u threads; %lu EAGAINs retried, %lu ENOMEM/ENOSPC, %lu binds found no free slot",
	    atomic_load(&sh->ops), now_s() - start, total_gens, opt.procs,
	    opt.threads, atomic_load(&sh->eagain), atomic_load(&sh->nomem),
	    atomic_load(&sh->enospc_slots));
	printf("%s 1 - stress: %u processes x %u threads for %u s, seed %#" PRIx64 "\n",
	       failed ? "not ok" : "ok", opt.procs, opt.threads, opt.secs, opt.seed);
	failed |= !coverage();
	if (failed) {
		printf("not ok 3 - F0 consistent at the end # SKIP the run failed\n");
		return 1;
	}
	if (check_f0(f0, c.length)) {
		printf("not ok 3 - F0 consistent at the end: contents, GMEM_INFO, st_blocks, fdinfo\n");
		return 1;
	}
	printf("ok 3 - F0 consistent at the end: contents, GMEM_INFO, st_blocks, fdinfo\n");
	close(f0);
	return 0;
}
