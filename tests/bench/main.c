// SPDX-License-Identifier: GPL-2.0
/*
 * gmem-bench: gmem, with 4 KiB and with 2 MiB folios (GMEM_CREATE_HUGE),
 * against memfd, shmem THP, hugetlbfs and upstream guest_memfd, and
 * against the cost of zeroing memory, in one guest boot; and GMEM_MIGRATE
 * between the guest's two NUMA nodes against core MM's mbind() of a memfd.
 *
 * Runs as root inside the benchmark guest (tests/bench/init), with gmem.ko
 * and gmem_test.ko loaded and, for guest_memfd, kvm_amd.  Every
 * repetition runs every benchmark once, backends interleaved, so that
 * whatever else the host does spreads over all of them alike.  Results go
 * to stdout as files (report.c), progress to stderr.
 *
 * The nested parts, guest (guest.c: a nested guest on the patched KVM
 * reading and writing gmem, gmem-huge and guest_memfd memory), restore
 * (restore.c: a snapshot restored into such a guest's memory, eagerly and
 * on demand) and qemu (qemu.c: the guest part's passes in a Linux guest
 * of Debian's QEMU), run only when BENCH_ONLY names them: scripts/bench
 * gives them a boot of their own, with the patched KVM.
 *
 * Environment (from the guest's kernel command line): BENCH_REPS
 * (default 5), BENCH_SIZE_MB (default 1024; a multiple of 4), BENCH_ONLY
 * (comma-separated parts: ops,threads,stall,floor,convert,resolve,
 * metadata,migrate,copy,dirty,guest,restore,qemu; empty: all but the
 * nested ones, guest, restore and qemu), BENCH_GUEST_MB (the guest and
 * qemu parts' memory, default 512; a
 * multiple of 2, at most 2048), BENCH_RESTORE_MB (the restore part's
 * sizes, comma-separated, default 256,1024; each a multiple of 2, at most
 * 2048, at most MAX_RESTORE_SIZES of them).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <linux/gmem.h>

#include "bench.h"
#include "gmem_test.h"

/* Resolve: this many 2 MiB chunks populated, spread over the fd. */
#define RESOLVE_CHUNKS	128
#define RESOLVE_ROUNDS	10
/* A conversion may meet a page in a per-CPU LRU batch (ioctl_gmem(2)). */
#define CONVERT_TRIES	1000

/* mbind(2) and move_pages(2), without libnuma's header. */
#define MPOL_BIND_	2
#define MPOL_MF_MOVE_	(1 << 1)

static uint64_t size = GiB;
static int reps = 5;
static const char *only;
static int test_dev;
static unsigned long convert_retries;
static unsigned long migrate_retries;
/* Why the resolve part cannot turn gmem's trace events on, or NULL. */
static const char *no_trace_events;

static double secs(uint64_t ns)
{
	return ns / 1e9;
}

/* The parts, in BENCH_ONLY's names: the fd parts, then the nested ones. */
static const char *const parts[] = {
	"ops", "threads", "stall", "floor", "convert", "resolve", "metadata",
	"migrate", "copy", "dirty", "guest", "restore", "qemu",
};
#define NR_FD_PARTS	10

/* Whether BENCH_ONLY lists @part. */
static bool named(const char *part)
{
	const char *p = only;
	size_t len = strlen(part);

	if (!only)
		return false;
	while ((p = strstr(p, part))) {
		if ((p == only || p[-1] == ',') && (p[len] == ',' || !p[len]))
			return true;
		p += len;
	}
	return false;
}

/*
 * Whether part @part runs: every fd part when BENCH_ONLY is empty, the
 * nested parts (which need the patched KVM's boot) only when named.
 */
static bool wanted(const char *part)
{
	unsigned int i;

	if (only && *only)
		return named(part);
	for (i = NR_FD_PARTS; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (!strcmp(part, parts[i]))
			return false;
	return true;
}

/* Dies on a name in BENCH_ONLY that is no part: a typo would run nothing. */
static void check_only(void)
{
	char list[256], *p, *save = NULL;
	unsigned int i;

	if (!only)
		return;
	snprintf(list, sizeof(list), "%s", only);
	for (p = strtok_r(list, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
			if (!strcmp(p, parts[i]))
				break;
		if (i == sizeof(parts) / sizeof(parts[0]))
			die("BENCH_ONLY: no part named \"%s\"", p);
	}
}

/* Whether any part but the nested ones runs. */
static bool fd_parts_wanted(void)
{
	unsigned int i;

	for (i = 0; i < NR_FD_PARTS; i++)
		if (wanted(parts[i]))
			return true;
	return false;
}

static void xfallocate(int fd, int mode, uint64_t off, uint64_t len)
{
	while (fallocate(fd, mode, off, len)) {
		if (errno != EINTR)
			die("fallocate(mode %#x, %llu, %llu): %s", mode,
			    (unsigned long long)off, (unsigned long long)len,
			    strerror(errno));
	}
}

#define ALLOC		FALLOC_FL_KEEP_SIZE
#define PUNCH		(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE)

/* Writes one byte in every 4 KiB page. */
static void touch(char *p, uint64_t len)
{
	volatile char *v = p;
	uint64_t off;

	for (off = 0; off < len; off += PAGE)
		v[off] = 1;
}

/* Allocate, punch, then first-touch through a shared mapping. */
static void bench_ops(enum backend be)
{
	const char *name = backend_name[be];
	int fd = backend_create(be, size);
	uint64_t t;
	char *p;

	t = now_ns();
	xfallocate(fd, ALLOC, 0, size);
	record(B_ALLOC, name, "s", secs(now_ns() - t));
	/* How much of it 2 MiB folios hold (the rest fell back to 4 KiB). */
	if (be == BE_GMEM_HUGE)
		record(B_LARGE_ALLOC, name, "folios", gmem_info(fd).large_folios);

	t = now_ns();
	xfallocate(fd, PUNCH, 0, size);
	record(B_PUNCH, name, "s", secs(now_ns() - t));

	p = xmmap(fd, size);
	t = now_ns();
	touch(p, size);
	record(B_TOUCH, name, "s", secs(now_ns() - t));
	if (be == BE_GMEM_HUGE)
		record(B_LARGE_TOUCH, name, "folios", gmem_info(fd).large_folios);
	munmap(p, size);
	close(fd);
}

struct worker {
	pthread_barrier_t *start;
	int fd;
	char *map;		/* NULL: allocate instead of touching */
	uint64_t off;
	uint64_t len;
};

static void *worker_fn(void *arg)
{
	struct worker *w = arg;

	pthread_barrier_wait(w->start);
	if (w->map)
		touch(w->map + w->off, w->len);
	else
		xfallocate(w->fd, ALLOC, w->off, w->len);
	return NULL;
}

/*
 * Two threads, one half of the memory each: of @fd[0] when @fd[1] is -1,
 * else the whole of each fd (of half the size); nanoseconds until both
 * are done.
 */
static uint64_t two_threads(const int fd[2], char *map)
{
	pthread_barrier_t start;
	struct worker w[2];
	pthread_t th[2];
	uint64_t t;
	int i;

	pthread_barrier_init(&start, NULL, 3);
	for (i = 0; i < 2; i++) {
		if (fd[1] < 0)
			w[i] = (struct worker){ &start, fd[0], map, i * size / 2,
						size / 2 };
		else
			w[i] = (struct worker){ &start, fd[i], NULL, 0, size / 2 };
		if (pthread_create(&th[i], NULL, worker_fn, &w[i]))
			die("pthread_create failed");
	}
	pthread_barrier_wait(&start);
	t = now_ns();
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	t = now_ns() - t;
	pthread_barrier_destroy(&start);
	return t;
}

/* One thread allocating all of @fd, which it then punches again. */
static uint64_t one_thread(int fd)
{
	uint64_t t = now_ns();

	xfallocate(fd, ALLOC, 0, size);
	t = now_ns() - t;
	xfallocate(fd, PUNCH, 0, size);
	return t;
}

/*
 * One thread allocating the fd, two allocating one half each of it, two
 * allocating one fd of half the size each, one thread again, and two
 * first-touching one half each: the speedups are taken within the part,
 * back to back, over the better of the two one-thread runs (the first
 * allocation of a fresh fd and the last are as likely to meet a busy
 * host as those between them).
 */
static void bench_threads(enum backend be)
{
	const char *name = backend_name[be];
	int fd = backend_create(be, size);
	int one[2] = { fd, -1 }, two[2];
	uint64_t t1, t2;
	char *p;

	t1 = one_thread(fd);
	record(B_ALLOC2, name, "s", secs(two_threads(one, NULL)));
	xfallocate(fd, PUNCH, 0, size);

	two[0] = backend_create(be, size / 2);
	two[1] = backend_create(be, size / 2);
	record(B_ALLOC2FD, name, "s", secs(two_threads(two, NULL)));
	close(two[0]);
	close(two[1]);

	t2 = one_thread(fd);
	record(B_ALLOC1T, name, "s", secs(t1 < t2 ? t1 : t2));

	p = xmmap(fd, size);
	record(B_TOUCH2, name, "s", secs(two_threads(one, p)));
	munmap(p, size);
	close(fd);
}

struct stall_alloc {
	pthread_barrier_t start;
	int fd;
	volatile int done;
	uint64_t ns;
};

static void *stall_alloc_fn(void *arg)
{
	struct stall_alloc *a = arg;
	uint64_t t;

	pthread_barrier_wait(&a->start);
	t = now_ns();
	xfallocate(a->fd, ALLOC, HUGE, size);
	a->ns = now_ns() - t;
	__atomic_store_n(&a->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* The longest of @n resolves of @r's page, or until *@stop is set. */
static uint64_t worst_resolve(struct gmem_test_resolve *r, uint64_t n,
			      const volatile int *stop, uint64_t *calls)
{
	uint64_t worst = 0, t, d;

	for (*calls = 0; *calls < n; (*calls)++) {
		if (stop && __atomic_load_n(stop, __ATOMIC_ACQUIRE))
			break;
		t = now_ns();
		if (ioctl(test_dev, GMEM_TEST_RESOLVE, r) || r->err)
			die("GMEM_TEST_RESOLVE: %s / %d", strerror(errno), r->err);
		d = now_ns() - t;
		if (d > worst)
			worst = d;
	}
	return worst;
}

/*
 * What a bound consumer (a vCPU fault) waits for while the VMM allocates:
 * a private fd of 2 MiB more than the size, its first 2 MiB allocated and
 * bound to the test consumer, whose page 0 is resolved over and over
 * (GMEM_TEST_RESOLVE, timed around the ioctl) while another thread
 * allocates the rest in one fallocate().  The worst single resolve is the
 * stall; beside it the worst of as many resolves with nothing else going
 * on, which is what the guest's scheduling alone costs.
 */
static void bench_stall(bool huge, bool first)
{
	const char *name = huge ? "gmem-huge" : "gmem";
	struct stall_alloc a = { .done = 0 };
	struct gmem_test_resolve r = { 0 };
	uint64_t worst, idle, calls, idle_calls;
	pthread_t th;

	a.fd = gmem_create(size + HUGE, huge ? GMEM_CREATE_HUGE : 0);
	xfallocate(a.fd, ALLOC, 0, HUGE);
	r.slot = gmem_test_bind(test_dev, a.fd, 0, (size + HUGE) / PAGE);
	pthread_barrier_init(&a.start, NULL, 2);
	if (pthread_create(&th, NULL, stall_alloc_fn, &a))
		die("pthread_create failed");
	pthread_barrier_wait(&a.start);
	worst = worst_resolve(&r, UINT64_MAX, &a.done, &calls);
	pthread_join(th, NULL);
	pthread_barrier_destroy(&a.start);
	idle = worst_resolve(&r, calls ? calls : 1, NULL, &idle_calls);

	record(B_STALL, name, "ms", worst / 1e6);
	record(B_STALL_IDLE, name, "ms", idle / 1e6);
	record(B_STALL_ALLOC, name, "s", secs(a.ns));
	if (first)
		info("%s stall: %llu resolves during a %.2f s fallocate() of %llu MiB, the worst %.3f ms; %llu idle, the worst %.3f ms",
		     name, (unsigned long long)calls, secs(a.ns),
		     (unsigned long long)(size / MiB), worst / 1e6,
		     (unsigned long long)idle_calls, idle / 1e6);
	gmem_test_unbind(test_dev, r.slot);
	close(a.fd);
}

/*
 * The floor: clearing memory that is already allocated, in the kernel
 * (clear_page() on every page of a bound gmem fd), and for reference in
 * userspace (memset() of a memfd mapping already faulted in).
 */
static void bench_floor(void)
{
	struct gmem_test_clear c = { 0 };
	uint64_t t;
	char *p;
	int fd;

	fd = gmem_create(size, 0);
	xfallocate(fd, ALLOC, 0, size);
	c.slot = gmem_test_bind(test_dev, fd, 0, size / PAGE);
	if (ioctl(test_dev, GMEM_TEST_CLEAR, &c))
		die("GMEM_TEST_CLEAR: %s", strerror(errno));
	if (c.err || c.pages != size / PAGE)
		die("GMEM_TEST_CLEAR: resolve error %d after %llu pages", c.err,
		    (unsigned long long)c.pages);
	record(B_FLOOR, V_CLEAR, "s", secs(c.ns));
	gmem_test_unbind(test_dev, c.slot);
	close(fd);

	fd = backend_create(BE_MEMFD, size);
	p = xmmap(fd, size);
	touch(p, size);
	t = now_ns();
	memset(p, 0, size);
	record(B_FLOOR, V_MEMSET, "s", secs(now_ns() - t));
	munmap(p, size);
	close(fd);
}

static uint64_t convert_steps(int fd, uint32_t to, uint64_t step)
{
	uint64_t t = now_ns(), off;
	struct gmem_convert cv;
	int tries;

	for (off = 0; off < size; off += step) {
		cv = (struct gmem_convert){ .offset = off, .length = step, .to = to };
		for (tries = 0; ioctl(fd, GMEM_CONVERT, &cv); tries++) {
			if (errno != EAGAIN || tries == CONVERT_TRIES)
				die("GMEM_CONVERT at %llu: %s",
				    (unsigned long long)off, strerror(errno));
			convert_retries++;
			if (tries < 10)
				sched_yield();
			else
				usleep(1000);
		}
	}
	return now_ns() - t;
}

/*
 * Allocated memory, mapped and touched as a VMM's shared memory is, made
 * private and shared again in 4 KiB and in 2 MiB steps; on a huge fd the
 * 2 MiB folios stay whole throughout (conversions are tracked per page).
 */
static void bench_convert(bool huge, bool first)
{
	static const struct {
		uint64_t step;
		const char *name[2];
	} steps[] = {
		{ PAGE, { V_STEP_4K, V_STEP_4K_HUGE } },
		{ HUGE, { V_STEP_2M, V_STEP_2M_HUGE } },
	};
	uint64_t tp, ts, large = 0;
	const char *name;
	unsigned int i;
	char *p;
	int fd;

	fd = gmem_create(size, GMEM_CREATE_MMAP | GMEM_CREATE_SHARED |
			 (huge ? GMEM_CREATE_HUGE : 0));
	xfallocate(fd, ALLOC, 0, size);
	if (huge)
		large = gmem_info(fd).large_folios;
	p = xmmap(fd, size);
	for (i = 0; i < 2; i++) {
		name = steps[i].name[huge];
		touch(p, size);
		tp = convert_steps(fd, GMEM_PRIVATE, steps[i].step);
		ts = convert_steps(fd, GMEM_SHARED, steps[i].step);
		record(B_CONV_PRIV, name, "s", secs(tp));
		record(B_CONV_SHARED, name, "s", secs(ts));
		record(B_CONV_CALL, name, "us",
		       (tp + ts) / 1e3 / (2.0 * size / steps[i].step));
	}
	if (huge && first)
		info("gmem-huge conversion: %llu large folios before, %llu after",
		     (unsigned long long)large,
		     (unsigned long long)gmem_info(fd).large_folios);
	munmap(p, size);
	close(fd);
}

#define TRACEFS		"/sys/kernel/tracing"
#define GMEM_EVENTS	TRACEFS "/events/gmem/enable"

/* tracefs mounted and gmem's events there, or no_trace_events says why. */
static void trace_events_probe(void)
{
	if (access(TRACEFS "/events", F_OK) &&
	    mount("nodev", TRACEFS, "tracefs", 0, NULL))
		no_trace_events = "no tracefs";
	else if (access(GMEM_EVENTS, W_OK))
		no_trace_events = "no gmem events in tracefs";
	if (no_trace_events)
		info("resolve: %s, so no resolves with the events on",
		     no_trace_events);
}

/* Every gmem trace event on or off, recording into the global buffer. */
static void trace_events(bool on)
{
	int err = write_file(GMEM_EVENTS, on ? "1" : "0");

	if (err)
		die("%s: %s", GMEM_EVENTS, strerror(-err));
}

/*
 * Where gmem_get_pfn() lies in its 4 KiB page, from /proc/kallsyms: its
 * size is the distance to the next symbol of the module.  Under TCG a
 * jump to another guest page is not chained to its target and costs a
 * lookup of the translated code, so the same code reads up to a third
 * slower over the lookup when the module's layout puts a page boundary
 * in its path (tests/bench/results/2026-12-07-resolve-blocks.md): a
 * change that moves it can look like a change of speed.
 */
static void resolve_layout(void)
{
	unsigned long long addr = 0, next = ~0ULL, a;
	char line[256], type, name[128];
	FILE *f = fopen("/proc/kallsyms", "r");
	int pass;

	if (!f) {
		info("gmem_get_pfn: where it lies is unknown (/proc/kallsyms: %s)",
		     strerror(errno));
		return;
	}
	/* A module's symbols are not listed in address order: two passes. */
	for (pass = 0; pass < 2; pass++) {
		rewind(f);
		while (fgets(line, sizeof(line), f)) {
			if (!strstr(line, "\t[gmem]") ||
			    sscanf(line, "%llx %c %127s", &a, &type,
				   name) != 3 || !a)
				continue;
			if (pass == 0 && !strcmp(name, "gmem_get_pfn"))
				addr = a;
			else if (pass == 1 && (type == 't' || type == 'T') &&
				 a > addr && a < next)
				next = a;
		}
		if (!addr)
			break;
	}
	fclose(f);
	if (!addr || next == ~0ULL) {
		info("gmem_get_pfn: where it lies is unknown (no address in /proc/kallsyms)");
		return;
	}
	info("gmem_get_pfn: %llu bytes from offset %#llx of a 4 KiB page%s",
	     next - addr, addr & 4095,
	     (addr & 4095) + (next - addr) > 4096 ?
	     ", across a page boundary (see tests/bench/README.md)" : "");
}

/* Where bench_resolve() makes pages shared. */
enum resolve_shared {
	RESOLVE_ALL_PRIVATE,
	/* one page half-way between each two chunks */
	RESOLVE_SHARED_APART,
	/* the last page of each chunk, which is not resolved */
	RESOLVE_SHARED_IN_BLOCK,
};

/*
 * Resolve latency: RESOLVE_CHUNKS 2 MiB chunks of a private fd of
 * @fd_size bytes populated, spread evenly over it, and every page of them
 * resolved through the consumer API and looked up bare in the page cache;
 * with @traced, the same again with gmem's trace events enabled.  With
 * @shared, a few pages are made shared, as a confidential guest shares
 * some for its devices: apart from the chunks, so that the resolves are
 * of pages in 2 MiB blocks that hold no shared page, or one in each
 * chunk, so that every resolve looks up the run of private pages around
 * it in the tree of shared ranges.
 */
static void bench_resolve(uint64_t fd_size, const char *bench, bool huge,
			  bool first, bool traced, enum resolve_shared shared)
{
	const uint64_t per_chunk = HUGE / PAGE;
	const uint64_t stride = fd_size / RESOLVE_CHUNKS;
	struct gmem_test_resolve_bench b = { 0 };
	uint64_t *idx, c, i, nr = 0;
	int fd;

	idx = malloc(RESOLVE_CHUNKS * per_chunk * sizeof(*idx));
	if (!idx)
		die("out of memory");
	fd = gmem_create(fd_size, huge ? GMEM_CREATE_HUGE : 0);
	for (c = 0; c < RESOLVE_CHUNKS; c++) {
		struct gmem_convert cv = {
			.offset = c * stride + stride / 2, .length = PAGE,
			.to = GMEM_SHARED,
		};

		xfallocate(fd, ALLOC, c * stride, HUGE);
		for (i = 0; i < per_chunk; i++)
			idx[nr++] = c * stride / PAGE + i;
		if (shared == RESOLVE_ALL_PRIVATE)
			continue;
		if (shared == RESOLVE_SHARED_IN_BLOCK) {
			cv.offset = c * stride + HUGE - PAGE;
			nr--;
		}
		if (ioctl(fd, GMEM_CONVERT, &cv))
			die("GMEM_CONVERT at %llu: %s",
			    (unsigned long long)cv.offset, strerror(errno));
	}
	b.slot = gmem_test_bind(test_dev, fd, 0, fd_size / PAGE);
	b.fd = fd;
	b.uaddr = (uintptr_t)idx;
	b.nr = nr;

	if (first) {
		struct gmem_test_resolve r = { .slot = b.slot, .index = idx[0] };

		if (ioctl(test_dev, GMEM_TEST_RESOLVE, &r) || r.err)
			die("GMEM_TEST_RESOLVE: %s / %d", strerror(errno), r.err);
		info("%s: a page allocated by a 2 MiB fallocate() resolves with max_order %d (folio order %d)",
		     huge ? "gmem-huge" : "gmem", r.max_order, r.folio_order);
	}
	/* One round to warm the caches, then the measured ones. */
	b.rounds = 1;
	if (ioctl(test_dev, GMEM_TEST_RESOLVE_BENCH, &b) || b.err)
		die("GMEM_TEST_RESOLVE_BENCH: %s / %d", strerror(errno), b.err);
	b.rounds = RESOLVE_ROUNDS;
	if (ioctl(test_dev, GMEM_TEST_RESOLVE_BENCH, &b) || b.err)
		die("GMEM_TEST_RESOLVE_BENCH: %s / %d", strerror(errno), b.err);
	record(bench, V_GET_PFN, "ns", (double)b.resolve_ns / b.calls);
	record(bench, V_LOOKUP, "ns", (double)b.lookup_ns / b.calls);

	/*
	 * Every resolve now also writes its event to the ring buffer (which
	 * overwrites its oldest events when full), as it does for whoever
	 * traces a running VM; the disabled events cost what the passes
	 * above measured.
	 */
	if (traced && !no_trace_events) {
		trace_events(true);
		if (ioctl(test_dev, GMEM_TEST_RESOLVE_BENCH, &b) || b.err)
			die("GMEM_TEST_RESOLVE_BENCH, events on: %s / %d",
			    strerror(errno), b.err);
		trace_events(false);
		record(bench, V_GET_PFN_TRACED, "ns",
		       (double)b.resolve_ns / b.calls);
		record(bench, V_LOOKUP_TRACED, "ns",
		       (double)b.lookup_ns / b.calls);
	}

	gmem_test_unbind(test_dev, b.slot);
	close(fd);
	free(idx);
}

/*
 * One GMEM_MIGRATE of the whole fd to @node, EBUSY retried as conversions
 * retry EAGAIN; nanoseconds, or 0 after saying why it failed (the other
 * benchmarks' results are worth keeping).
 */
static uint64_t migrate_all(const char *name, int fd, int node)
{
	struct gmem_migrate m;
	uint64_t moved = 0, t = now_ns();
	int tries;

	for (tries = 0;; tries++) {
		m = (struct gmem_migrate){ .offset = 0, .length = size, .node = node };
		if (!ioctl(fd, GMEM_MIGRATE, &m))
			break;
		moved += m.moved;
		if ((errno != EBUSY && errno != EINTR) || tries == CONVERT_TRIES) {
			info("%s: GMEM_MIGRATE to node %d failed: %s (moved %llu, error_offset %llu)",
			     name, node, strerror(errno),
			     (unsigned long long)moved,
			     (unsigned long long)m.error_offset);
			return 0;
		}
		migrate_retries++;
		usleep(1000);
	}
	t = now_ns() - t;
	moved += m.moved;
	if (moved != size) {
		info("%s: GMEM_MIGRATE moved %llu bytes of %llu", name,
		     (unsigned long long)moved, (unsigned long long)size);
		return 0;
	}
	return t;
}

/*
 * GMEM_MIGRATE of a private fd, allocated on node 0 (GMEM_NUMA_BIND), to
 * node 1: copying every folio, under the invalidate_lock.
 */
static void bench_migrate_gmem(bool huge, bool first)
{
	const char *name = huge ? "gmem-huge" : "gmem";
	long long on0, on1;
	uint64_t t, large;
	int fd;

	fd = gmem_create_on(size, huge ? GMEM_CREATE_HUGE : 0, 0);
	xfallocate(fd, ALLOC, 0, size);
	on0 = fdinfo_value(fd, "gmem-node0");
	large = gmem_info(fd).large_folios;
	t = migrate_all(name, fd, 1);
	on1 = fdinfo_value(fd, "gmem-node1");
	if (t && on1 != (long long)size) {
		info("%s: after GMEM_MIGRATE, fdinfo says %lld bytes on node 1, not %llu",
		     name, on1, (unsigned long long)size);
		t = 0;
	}
	if (t)
		record(B_MIGRATE, name, "s", secs(t));
	if (first)
		info("%s migrate: %lld MiB on node 0 before, %lld MiB on node 1 after; large folios %llu before, %llu after",
		     name, on0 / (long long)MiB, on1 / (long long)MiB,
		     (unsigned long long)large,
		     (unsigned long long)gmem_info(fd).large_folios);
	close(fd);
}

static long xmbind(void *p, uint64_t len, int node, unsigned int flags)
{
	unsigned long mask = 1UL << node;

	return syscall(SYS_mbind, p, len, MPOL_BIND_, &mask,
		       8 * sizeof(mask), flags);
}

/* Pages of @p (one per 2 MiB) that move_pages() finds on @node. */
static int sampled_on(char *p, uint64_t len, int node)
{
	int n = len / HUGE, i, on = 0;
	void **pages = calloc(n, sizeof(*pages));
	int *status = calloc(n, sizeof(*status));

	if (!pages || !status)
		die("out of memory");
	for (i = 0; i < n; i++)
		pages[i] = p + (uint64_t)i * HUGE;
	if (syscall(SYS_move_pages, 0, n, pages, NULL, status, 0))
		die("move_pages: %s", strerror(errno));
	for (i = 0; i < n; i++)
		on += status[i] == node;
	free(pages);
	free(status);
	return on;
}

/*
 * For reference, what core MM does for shmem: a memfd mapped, bound to
 * node 0 and touched, then mbind(MPOL_BIND node 1, MPOL_MF_MOVE).
 */
static void bench_migrate_mbind(enum backend be, bool first)
{
	const char *name = be == BE_MEMFD_THP ? V_MBIND_THP : V_MBIND;
	int fd = backend_create(be, size), on0, on1;
	uint64_t t;
	char *p;

	p = xmmap(fd, size);
	if (xmbind(p, size, 0, 0))
		die("mbind node 0: %s", strerror(errno));
	touch(p, size);
	on0 = sampled_on(p, size, 0);
	t = now_ns();
	if (xmbind(p, size, 1, MPOL_MF_MOVE_)) {
		info("%s: mbind to node 1 with MPOL_MF_MOVE failed: %s", name,
		     strerror(errno));
		t = 0;
	} else {
		t = now_ns() - t;
	}
	on1 = sampled_on(p, size, 1);
	if (first)
		info("%s: %d of %llu sampled pages on node 0 before, %d on node 1 after",
		     name, on0, (unsigned long long)(size / HUGE), on1);
	if (t)
		record(B_MIGRATE, name, "s", secs(t));
	munmap(p, size);
	close(fd);
}

static void bench_migrate(bool first)
{
	if (nodes_with_memory() < 2) {
		if (first)
			info("migrate not measured: fewer than 2 NUMA nodes with memory");
		return;
	}
	bench_migrate_gmem(false, first);
	bench_migrate_gmem(true, first);
	if (!backend_unavailable(BE_MEMFD))
		bench_migrate_mbind(BE_MEMFD, first);
	if (!backend_unavailable(BE_MEMFD_THP))
		bench_migrate_mbind(BE_MEMFD_THP, first);
}

/*
 * Kernel memory an allocation costs beyond the memory itself, per GiB:
 * slab objects (/proc/slabinfo), slab pages (/proc/meminfo Slab), and
 * free memory gone that neither the data nor the slab explains.
 */
static void bench_metadata(enum backend be, bool first)
{
	const char *name = backend_name[be];
	long long free0, free1, slab0, slab1, hp0, hp1, thp0, thp1;
	double per_gib = (double)GiB / size, data;
	struct slab_total s0, s1;
	int fd;

	fd = backend_create(be, size);
	slab_shrink_all();
	vmstat_refresh();
	s0 = slab_total();
	slab0 = meminfo_kb("Slab");
	hp0 = meminfo_kb("HugePages_Free");
	thp0 = meminfo_kb("ShmemHugePages");
	free0 = free_kb();

	xfallocate(fd, ALLOC, 0, size);

	slab_shrink_all();
	vmstat_refresh();
	free1 = free_kb();
	s1 = slab_total();
	slab1 = meminfo_kb("Slab");
	hp1 = meminfo_kb("HugePages_Free");
	thp1 = meminfo_kb("ShmemHugePages");

	/* What came from the huge page pool did not leave free memory. */
	data = size - (double)(hp0 - hp1) * HUGE;
	if (s0.objects >= 0 && s1.objects >= 0)
		record(B_META_OBJ, name, "B/GiB", (s1.objects - s0.objects) * per_gib);
	record(B_META_SLAB, name, "B/GiB", (slab1 - slab0) * (double)KiB * per_gib);
	record(B_META_OTHER, name, "B/GiB",
	       ((free0 - free1) * (double)KiB - data -
		(slab1 - slab0) * (double)KiB) * per_gib);
	if (first && be == BE_MEMFD_THP)
		info("memfd-thp: %lld of %llu MiB allocated in shmem huge pages",
		     (thp1 - thp0) / 1024, (unsigned long long)(size / MiB));
	if (first && be == BE_HUGETLB)
		info("hugetlbfs: %lld 2 MiB pages taken from the pool", hp0 - hp1);
	close(fd);
}

static long env_long(const char *name, long def, long lo, long hi)
{
	const char *s = getenv(name);
	char *end;
	long v;

	if (!s || !*s)
		return def;
	v = strtol(s, &end, 10);
	if (*end || v < lo || v > hi)
		die("%s=%s: want a number from %ld to %ld", name, s, lo, hi);
	return v;
}

/* BENCH_RESTORE_MB: comma-separated MiB into @sizes; their number. */
static int restore_sizes(uint64_t *sizes)
{
	const char *s = getenv("BENCH_RESTORE_MB");
	char list[128], *p, *end, *save = NULL;
	int n = 0;
	long v;

	snprintf(list, sizeof(list), "%s", s && *s ? s : "256,1024");
	for (p = strtok_r(list, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		v = strtol(p, &end, 10);
		if (*end || v < 2 || v > 2048 || v % 2 || n == MAX_RESTORE_SIZES)
			die("BENCH_RESTORE_MB=%s: want at most %d sizes in MiB, each a multiple of 2 from 2 to 2048",
			    s, MAX_RESTORE_SIZES);
		sizes[n++] = v * MiB;
	}
	if (!n)
		die("BENCH_RESTORE_MB=%s: no size", s);
	return n;
}

int main(void)
{
	uint64_t guest_size, restore_size[MAX_RESTORE_SIZES];
	int rep, be, i, nr_restore;

	/* It rewrites THP settings and fills memory: never on a real host. */
	if (!getenv("GMEM_BENCH_GUEST"))
		die("runs only in the benchmark guest (scripts/bench)");
	reps = env_long("BENCH_REPS", 5, 1, MAX_REPS);
	size = env_long("BENCH_SIZE_MB", 1024, 4, 1 << 20) * MiB;
	if (size % (4 * MiB))
		die("BENCH_SIZE_MB must be a multiple of 4");
	guest_size = env_long("BENCH_GUEST_MB", 512, 2, 2048) * MiB;
	if (guest_size % HUGE)
		die("BENCH_GUEST_MB must be a multiple of 2");
	nr_restore = restore_sizes(restore_size);
	only = getenv("BENCH_ONLY");
	check_only();

	backend_probe(size);
	machine_describe();
	/* Debian turns init_on_alloc on: the page allocator zeroes too. */
	info("kernel log: %s", kmsg_find("mem auto-init"));
	if (fd_parts_wanted()) {
		backend_describe();
		info("%d repetitions, %llu MiB per fd%s%s", reps,
		     (unsigned long long)(size / MiB), only ? ", only " : "",
		     only ? only : "");
	}
	test_dev = gmem_test_open();
	if (wanted("resolve")) {
		trace_events_probe();
		resolve_layout();
	}
	if (wanted("guest") || wanted("restore") || wanted("qemu"))
		guest_probe();
	if (wanted("guest")) {
		info("guest part: %d repetitions, %llu MiB of private memory per VM",
		     reps, (unsigned long long)(guest_size / MiB));
		for (be = 0; be < NR_GUEST_BACKENDS; be++)
			if (guest_unavailable(be))
				info("guest part: no %s: %s",
				     guest_backend_name[be],
				     guest_unavailable(be));
	}
	if (wanted("restore")) {
		char list[64] = "";

		for (i = 0; i < nr_restore; i++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list),
				 "%s%llu", i ? ", " : "",
				 (unsigned long long)(restore_size[i] / MiB));
		info("restore part: %d repetitions, %s MiB per VM", reps, list);
		restore_setup(restore_size, nr_restore);
		restore_probe();
		for (i = 0; i < 2; i++)
			if (restore_unavailable(i))
				info("restore part: no %s: %s",
				     i ? "gmem-huge" : "gmem",
				     restore_unavailable(i));
	}
	if (wanted("qemu")) {
		info("qemu part: %d repetitions, a Linux guest of Debian's QEMU touching %llu MiB",
		     reps, (unsigned long long)(guest_size / MiB));
		qemu_probe();
		for (be = 0; be < NR_QEMU_BACKENDS; be++)
			if (qemu_unavailable(be))
				info("qemu part: no %s: %s",
				     qemu_backend_name[be],
				     qemu_unavailable(be));
	}

	for (rep = 0; rep < reps; rep++) {
		note("repetition %d of %d", rep + 1, reps);
		for (be = 0; be < NR_BACKENDS && fd_parts_wanted(); be++) {
			if (backend_unavailable(be))
				continue;
			note("  %s", backend_name[be]);
			if (wanted("ops"))
				bench_ops(be);
			if (wanted("threads"))
				bench_threads(be);
			if (wanted("metadata"))
				bench_metadata(be, rep == 0);
		}
		if (wanted("stall")) {
			bench_stall(false, rep == 0);
			bench_stall(true, rep == 0);
		}
		if (wanted("floor"))
			bench_floor();
		if (wanted("convert")) {
			bench_convert(false, rep == 0);
			bench_convert(true, rep == 0);
		}
		if (wanted("resolve")) {
			bench_resolve(GiB, B_RESOLVE_1G, false, rep == 0, true,
				      RESOLVE_ALL_PRIVATE);
			bench_resolve(16 * GiB, B_RESOLVE_16G, false, false,
				      false, RESOLVE_ALL_PRIVATE);
			bench_resolve(GiB, B_RESOLVE_1G_HUGE, true, rep == 0,
				      true, RESOLVE_ALL_PRIVATE);
			bench_resolve(16 * GiB, B_RESOLVE_16G_HUGE, true, false,
				      false, RESOLVE_ALL_PRIVATE);
			bench_resolve(GiB, B_RESOLVE_1G_SHARED, false, false,
				      false, RESOLVE_SHARED_APART);
			bench_resolve(GiB, B_RESOLVE_1G_HUGE_SHARED, true,
				      false, false, RESOLVE_SHARED_APART);
			bench_resolve(GiB, B_RESOLVE_1G_MIXED, false, false,
				      false, RESOLVE_SHARED_IN_BLOCK);
			bench_resolve(GiB, B_RESOLVE_1G_HUGE_MIXED, true,
				      false, false, RESOLVE_SHARED_IN_BLOCK);
		}
		if (wanted("migrate"))
			bench_migrate(rep == 0);
		if (wanted("copy"))
			bench_copy(size);
		if (wanted("dirty"))
			bench_dirty(size);
		/*
		 * A new VM each, in an order that turns by one each
		 * repetition: no backend always follows the same one.
		 */
		for (i = 0; wanted("guest") && i < NR_GUEST_BACKENDS; i++) {
			be = (i + rep) % NR_GUEST_BACKENDS;
			if (guest_unavailable(be))
				continue;
			note("  guest, %s", guest_backend_name[be]);
			bench_guest(be, guest_size, rep == 0);
		}
		for (i = 0; wanted("restore") && i < nr_restore; i++)
			bench_restore(restore_size[i], rep == 0);
		for (i = 0; wanted("qemu") && i < NR_QEMU_BACKENDS; i++) {
			be = (i + rep) % NR_QEMU_BACKENDS;
			if (qemu_unavailable(be))
				continue;
			note("  qemu, %s", qemu_backend_name[be]);
			bench_qemu(be, guest_size, rep == 0);
		}
	}
	if (convert_retries)
		info("conversion: %lu EAGAIN retries (page in a per-CPU LRU batch)",
		     convert_retries);
	if (migrate_retries)
		info("migrate: %lu EBUSY/EINTR retries", migrate_retries);

	report(size, guest_size, restore_size, nr_restore, reps);
	return 0;
}
