// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation-failure injection limited to gmem's own calls.
 *
 * failslab and fail_page_alloc get a stack-trace filter that covers exactly
 * gmem.ko's text (require-start/require-end, from /proc/kallsyms), so only
 * an allocation made with a gmem function on the stack can fail: gmem's
 * own kmalloc/folio_alloc and everything core code allocates on its behalf
 * (page-cache xarray nodes, maple-tree nodes, the inode, the file).  The
 * task's /proc/thread-self/fail-nth then makes the N-th such allocation
 * fail, N = 1, 2, ... until an operation runs through with nothing failed:
 * every allocation site on that operation's path has failed once, in turn.
 *
 * After each injected failure the operation must have returned success or
 * the error gmem(4) and ioctl_gmem(2) give for running out of memory,
 * with nothing half-done (st_blocks, GMEM_INFO and contents as before for
 * calls that "change nothing" on failure), and the fd must go on working: a full
 * round of allocate, populate, convert, map and touch, bind and resolve
 * succeeds on it.  After each operation's sweep, gmem's module reference
 * count is back where it was.  kmemleak, scanned at the end of the debug
 * run (scripts/check-debug), finds what any error path leaked.
 *
 * Needs CONFIG_FAULT_INJECTION with FAILSLAB, FAIL_PAGE_ALLOC,
 * FAULT_INJECTION_DEBUG_FS and FAULT_INJECTION_STACKTRACE_FILTER (the
 * debug kernel, scripts/debug-kernel); skipped on kernels without.
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/falloc.h>

#include "check.h"
#include "fault.h"
#include "gmem_test.h"
#include "gmemfd.h"
#include "modctl.h"
#include "numa.h"
#include "suites.h"

#define DEBUGFS		"/sys/kernel/debug"
#define FAILSLAB	DEBUGFS "/failslab/"
#define FAILPAGE	DEBUGFS "/fail_page_alloc/"
#define FAIL_NTH	"/proc/thread-self/fail-nth"
#define MAX_SITES	400	/* give up on an operation beyond this */
#define NPAGES		24
#define PUNCH		(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE)

/* ---- the injection knobs ---- */

static void knob(const char *dir, const char *name, const char *val)
{
	char path[256];
	int ret;

	snprintf(path, sizeof(path), "%s%s", dir, name);
	ret = write_str(path, val);
	if (ret)
		FAIL("writing '%s' to %s: %s", val, path, errno_name(-ret));
}

/* [start, end) of gmem.ko's text, from /proc/kallsyms. */
static void gmem_text(unsigned long long *start, unsigned long long *end)
{
	unsigned long long lo = ULLONG_MAX, hi = 0, next = ULLONG_MAX, a;
	char line[512], type, name[256], mod[128];
	FILE *f = fopen("/proc/kallsyms", "re");

	if (!f)
		FAIL("/proc/kallsyms: %s", errno_name(errno));
	while (fgets(line, sizeof(line), f)) {
		int n = sscanf(line, "%llx %c %255s %127s", &a, &type, name, mod);

		if (n < 3 || (type != 't' && type != 'T'))
			continue;
		if (n == 4 && !strcmp(mod, "[gmem]")) {
			if (a < lo)
				lo = a;
			if (a > hi)
				hi = a;
		}
	}
	if (!hi || !lo)
		FAIL("no text symbols of [gmem] in /proc/kallsyms (addresses hidden?)");
	/* The end: the first text symbol after gmem's last one, anyone's. */
	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c", &a, &type) == 2 &&
		    (type == 't' || type == 'T') && a > hi && a < next)
			next = a;
	}
	fclose(f);
	*start = lo;
	*end = next == ULLONG_MAX ? hi + 4096 : next;
}

static void fi_setup(void)
{
	unsigned long long start, end;
	char val[32];

	if (access(DEBUGFS "/failslab", F_OK)) {
		if (mount("debugfs", DEBUGFS, "debugfs", 0, NULL) && errno != EBUSY)
			test_skip("no debugfs: %s", errno_name(errno));
	}
	if (access(FAILSLAB, F_OK) || access(FAILPAGE, F_OK))
		test_skip("kernel without failslab/fail_page_alloc (CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC: the debug kernel has them)");
	if (access(FAILSLAB "require-start", F_OK))
		test_skip("kernel without CONFIG_FAULT_INJECTION_STACKTRACE_FILTER");
	if (access(FAIL_NTH, F_OK))
		test_skip("no %s", FAIL_NTH);
	gmem_text(&start, &end);
	test_diag("gmem text: [%#llx, %#llx), %llu bytes", start, end, end - start);

	for (int i = 0; i < 2; i++) {
		const char *d = i ? FAILPAGE : FAILSLAB;

		/* Only fail-nth injects: probability 0 keeps the rest quiet. */
		knob(d, "probability", "0");
		knob(d, "interval", "1");
		knob(d, "times", "-1");
		knob(d, "space", "0");
		knob(d, "verbose", "0");
		knob(d, "task-filter", "N");
		knob(d, "ignore-gfp-wait", "N");
		knob(d, "stacktrace-depth", "32");
		knob(d, "reject-start", "0");
		knob(d, "reject-end", "0");
		snprintf(val, sizeof(val), "%llu", start);
		knob(d, "require-start", val);
		snprintf(val, sizeof(val), "%llu", end);
		knob(d, "require-end", val);
	}
	knob(FAILPAGE, "ignore-gfp-highmem", "N");
	knob(FAILPAGE, "min-order", "0");
}

static void fi_cleanup(void)
{
	if (access(FAILSLAB "require-start", F_OK))
		return;
	write_str(FAIL_NTH, "0");
	for (int i = 0; i < 2; i++) {
		const char *d = i ? FAILPAGE : FAILSLAB;

		knob(d, "require-start", "0");
		knob(d, "require-end", "18446744073709551615");
		knob(d, "ignore-gfp-wait", "Y");
		knob(d, "probability", "0");
		knob(d, "task-filter", "N");
	}
	knob(FAILPAGE, "ignore-gfp-highmem", "Y");
	knob(FAILPAGE, "min-order", "1");
}

static void arm(unsigned int n)
{
	char val[16];
	int ret;

	snprintf(val, sizeof(val), "%u", n);
	ret = write_str(FAIL_NTH, val);
	if (ret)
		FAIL("writing %s: %s", FAIL_NTH, errno_name(-ret));
}

/* Disarms; whether the armed failure happened. */
static bool fired(void)
{
	unsigned long long left;
	int ret = read_ull(FAIL_NTH, &left);

	if (ret)
		FAIL("reading %s: %s", FAIL_NTH, errno_name(-ret));
	if (left)
		arm(0);
	return left == 0;
}

/* ---- a prepared fd and what it must hold ---- */

struct fx {
	int ct;			/* /dev/gmem_test */
	int fd;
	uint32_t slot;
	unsigned char *map;	/* MAP_SHARED of the whole fd */
	unsigned int seed[NPAGES];	/* 0: zeroes */
	bool shared[NPAGES];
	long long blocks;
};

static int ct_open_loaded(void)
{
	if (!modctl_is_live("gmem_test")) {
		const char *ko = getenv("GMEM_KO");
		char path[PATH_MAX];
		int ret;

		if (!ko)
			test_skip("gmem_test is not loaded and GMEM_KO is not set");
		snprintf(path, sizeof(path), "%.*s/gmem_test.ko",
			 (int)(strrchr(ko, '/') ? strrchr(ko, '/') - ko : 1),
			 strrchr(ko, '/') ? ko : ".");
		ret = modctl_load(path, NULL);
		if (ret && ret != -EEXIST)
			FAIL("loading %s: %s", path, errno_name(-ret));
	}
	return ASSERT_SYS(open("/dev/gmem_test", O_RDWR | O_CLOEXEC));
}

/*
 * NPAGES pages: even pages populated (private, pattern i), page 1 shared
 * with pattern 100 written through the mapping, the others holes; bound
 * whole in a consumer slot.
 */
static void fx_prepare(struct fx *x, int ct)
{
	long ps = page_size();
	unsigned char buf[65536];
	struct gmem_test_bind b = { 0 };

	memset(x, 0, sizeof(*x));
	x->ct = ct;
	x->fd = gmem_new_flags(NPAGES * ps, GMEM_CREATE_MMAP);
	for (int i = 0; i < NPAGES; i += 2) {
		fill_pattern(buf, ps, i + 1);
		POPULATE(x->fd, (uint64_t)i * ps, ps, buf);
		x->seed[i] = i + 1;
	}
	CONVERT(x->fd, ps, ps, GMEM_SHARED);
	x->shared[1] = true;
	x->map = gmem_map(x->fd, NPAGES * ps);
	fill_pattern(x->map + ps, ps, 100);
	x->seed[1] = 100;
	b.fd = x->fd;
	b.nr_pages = NPAGES;
	ASSERT_SYS(ioctl(ct, GMEM_TEST_BIND, &b));
	x->slot = b.slot;
	x->blocks = gmem_blocks(x->fd);
}

static void fx_release(struct fx *x)
{
	if (x->map)
		munmap(x->map, NPAGES * page_size());
	ioctl(x->ct, GMEM_TEST_UNBIND, &x->slot);
	close(x->fd);
}

/* Page @i read through the consumer (private) or the mapping (shared). */
static void fx_expect_page(struct fx *x, int i, const char *when)
{
	long ps = page_size();
	unsigned char buf[65536];
	const unsigned char *p = buf;
	long long bad;

	if (x->shared[i]) {
		struct fault f = fault_read(x->map + (size_t)i * ps, NULL);

		if (f.sig)
			FAIL("%s: shared page %d: %s", when, i, fault_str(f));
		p = x->map + (size_t)i * ps;
	} else {
		struct gmem_test_rw rw = {
			.slot = x->slot, .index = i, .len = ps,
			.uaddr = (uintptr_t)buf,
		};

		ASSERT_SYS(ioctl(x->ct, GMEM_TEST_RW, &rw));
		if (rw.err)
			FAIL("%s: consumer read of private page %d: %s", when, i,
			     errno_name(-rw.err));
	}
	bad = x->seed[i] ? pattern_mismatch(p, ps, x->seed[i]) : nonzero_at(p, ps);
	if (bad >= 0)
		FAIL("%s: page %d differs at byte %lld (expected %s %u)", when, i,
		     bad, x->seed[i] ? "pattern" : "zeroes", x->seed[i]);
}

/* Everything as the model says, then a full round of use that must work. */
static void fx_verify(struct fx *x, const char *when)
{
	long ps = page_size();
	unsigned char buf[65536];
	struct gmem_info info = gmem_info(x->fd);
	struct gmem_info fdi = gmem_fdinfo(x->fd);
	long long shared = 0;

	for (int i = 0; i < NPAGES; i++)
		shared += x->shared[i];
	if (info.allocated != (uint64_t)gmem_blocks(x->fd) * 512 ||
	    fdi.allocated != info.allocated ||
	    info.shared_bytes != (uint64_t)shared * ps ||
	    fdi.shared_bytes != info.shared_bytes)
		FAIL("%s: GMEM_INFO allocated %llu shared %llu, st_blocks %lld, fdinfo allocated %llu shared %llu, model shared %lld pages",
		     when, (unsigned long long)info.allocated,
		     (unsigned long long)info.shared_bytes, gmem_blocks(x->fd),
		     (unsigned long long)fdi.allocated,
		     (unsigned long long)fdi.shared_bytes, shared);
	for (int i = 0; i < NPAGES; i++)
		fx_expect_page(x, i, when);

	/* Still usable: allocate all, populate, convert both ways, resolve. */
	ASSERT_SYS(fallocate(x->fd, FALLOC_FL_KEEP_SIZE, 0, NPAGES * ps));
	ASSERT_EQ(gmem_blocks(x->fd), NPAGES * ps / 512);
	if (!x->shared[NPAGES - 1]) {
		fill_pattern(buf, ps, 77);
		POPULATE(x->fd, (NPAGES - 1) * ps, ps, buf);
		x->seed[NPAGES - 1] = 77;
		fx_expect_page(x, NPAGES - 1, "after populate");
	}
	CONVERT(x->fd, 3 * ps, ps, x->shared[3] ? GMEM_PRIVATE : GMEM_SHARED);
	x->shared[3] = !x->shared[3];
	fx_expect_page(x, 3, "after convert");
	CONVERT(x->fd, 3 * ps, ps, x->shared[3] ? GMEM_PRIVATE : GMEM_SHARED);
	x->shared[3] = !x->shared[3];
	fx_expect_page(x, 3, "after converting back");
}

/* ---- the sweep ---- */

/*
 * One operation under injection.  Returns 0 for success or the errno it
 * failed with (its own checks of what must have happened are inside).
 */
typedef int (*fi_op)(struct fx *x);

/* Open file descriptors of this process. */
static int nr_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		FAIL("/proc/self/fd: %s", errno_name(errno));
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/*
 * @prep (may be NULL) readies the prepared fd before the failure is
 * armed; @op runs armed; @after (may be NULL) checks what @op made once
 * the injection is disarmed.  An @op that sets x->fd to -1 has consumed the
 * fd (teardown): then a new one is checked instead.  At least @min_sites
 * allocations must have failed: an operation that allocates, swept
 * without one failure, shows that the injection never reached gmem (a
 * wrong text range, a kernel without the filter) and tested nothing.
 */
static void sweep(const char *what, fi_op prep, fi_op op, fi_op after,
		  bool needs_fx, unsigned int min_sites)
{
	int refs = modctl_refcnt("gmem"), ct = -1, fds;
	unsigned int n, nomem = 0, ok = 0;

	fi_setup();
	if (needs_fx)
		ct = ct_open_loaded();
	if (refs < 0)
		FAIL("gmem is not loaded");
	fault_install();
	fds = nr_fds();
	for (n = 1; n <= MAX_SITES; n++) {
		struct fx x = { .ct = -1, .fd = -1 };
		char when[96];
		bool hit;
		int err;

		if (needs_fx)
			fx_prepare(&x, ct);
		if (prep && prep(&x))
			FAIL("%s: preparing failed", what);
		arm(n);
		err = op(&x);
		hit = fired();
		if (after)
			after(&x);
		if (hit && err && err != ENOMEM)
			FAIL("%s with allocation %u failing: %s, expected ENOMEM (or success)",
			     what, n, errno_name(err));
		if (!hit && err)
			FAIL("%s without any injected failure: %s", what,
			     errno_name(err));
		if (hit) {
			if (err)
				nomem++;
			else
				ok++;
		}
		if (needs_fx) {
			if (hit)
				snprintf(when, sizeof(when), "after allocation %u failed", n);
			else
				snprintf(when, sizeof(when), "after the run without failures");
			if (x.fd < 0) {
				/* Torn down: a new fd must work as well. */
				fx_prepare(&x, ct);
			}
			fx_verify(&x, when);
			fx_release(&x);
		}
		if (!hit)
			break;
	}
	if (n > MAX_SITES)
		FAIL("%s: still failing allocations after %u: endless?", what, MAX_SITES);
	test_diag("%s: %u allocation sites on its path, each failed once: %u ENOMEM, %u absorbed",
		  what, n - 1, nomem, ok);
	if (n - 1 < min_sites)
		FAIL("%s: %u allocations failed, expected at least %u: the injection did not reach gmem",
		     what, n - 1, min_sites);
	/* No reference and no fd leaked by any error path. */
	for (int i = 0; i < 100 && modctl_refcnt("gmem") != refs; i++)
		usleep(10 * 1000);
	EXPECT_EQ(modctl_refcnt("gmem"), refs);
	EXPECT_EQ(nr_fds(), fds);
	if (ct >= 0)
		close(ct);
}

/* ---- the operations ---- */

/*
 * GMEM_CREATE alone runs armed; what it made is checked (mapped, touched)
 * and closed by after_create() once the injection is disarmed.
 */
static int created_fd = -1;
static uint64_t created_len;

static int create_with(uint32_t flags)
{
	struct gmem_create c = {
		.size = sizeof(c), .length = 64 * page_size(), .flags = flags,
	};
	int dev = gmem_open_dev(), fd, err;

	fd = ioctl(dev, GMEM_CREATE, &c);
	err = fd < 0 ? errno : 0;
	close(dev);
	created_fd = fd;
	created_len = c.length;
	return err;
}

static int op_create(struct fx *x)
{
	(void)x;
	return create_with(GMEM_CREATE_MMAP | GMEM_CREATE_SHARED);
}

static int op_create_private(struct fx *x)
{
	(void)x;
	return create_with(0);
}

static int after_create(struct fx *x)
{
	(void)x;
	if (created_fd < 0)
		return 0;
	if (gmem_info(created_fd).create_flags & GMEM_CREATE_MMAP) {
		unsigned char *m = gmem_map(created_fd, created_len);

		ASSERT_EQ(gmem_info(created_fd).shared_bytes, created_len);
		EXPECT_ACCESS(m, true);
		munmap(m, created_len);
	} else {
		ASSERT_EQ(gmem_info(created_fd).private_bytes, created_len);
	}
	close(created_fd);
	created_fd = -1;
	return 0;
}

/* Allocate every hole (7 runs of them): on failure, nothing is added. */
static int op_allocate(struct fx *x)
{
	long ps = page_size();
	long long before = gmem_blocks(x->fd);
	int ret = fallocate(x->fd, FALLOC_FL_KEEP_SIZE, 0, NPAGES * ps);
	int err = ret ? errno : 0;

	if (err)
		ASSERT_EQ(gmem_blocks(x->fd), before);
	else
		ASSERT_EQ(gmem_blocks(x->fd), NPAGES * ps / 512);
	return err;
}

static int op_punch(struct fx *x)
{
	long ps = page_size();
	int err = fallocate(x->fd, PUNCH, 2 * ps, 4 * ps) ? errno : 0;

	if (!err)
		for (int i = 2; i < 6; i++)
			x->seed[i] = 0;
	return err;
}

static int op_convert(struct fx *x, uint64_t off, uint64_t n, bool to_shared,
		      bool zero)
{
	long ps = page_size();
	struct gmem_convert c = {
		.offset = off * ps, .length = n * ps,
		.to = to_shared ? GMEM_SHARED : GMEM_PRIVATE,
		.flags = zero ? GMEM_CONVERT_ZERO : 0,
	};
	int err, tries = 0;

	while ((err = ioctl(x->fd, GMEM_CONVERT, &c) ? errno : 0) == EAGAIN &&
	       ++tries < 100)
		usleep(1000);
	if (!err) {
		for (uint64_t i = off; i < off + n; i++) {
			x->shared[i] = to_shared;
			if (zero)
				x->seed[i] = 0;
		}
	}
	return err;
}

/* Shared pages in the middle of private ones: the maple tree must split. */
static int op_convert_shared(struct fx *x)
{
	return op_convert(x, 5, 3, true, false);
}

static int op_convert_private(struct fx *x)
{
	return op_convert(x, 0, 3, false, false);
}

static int op_convert_zero(struct fx *x)
{
	return op_convert(x, 9, 4, true, true);
}

/* Populate pages 2..8 (holes and allocated ones); the copied ones only. */
static int op_populate(struct fx *x)
{
	long ps = page_size();
	static unsigned char buf[7 * 65536];
	struct gmem_populate p = {
		.offset = 2 * ps, .length = 7 * ps, .uaddr = (uintptr_t)buf,
	};
	int err;

	for (int i = 0; i < 7; i++)
		fill_pattern(buf + (size_t)i * ps, ps, 200 + i);
	/* Page 1 is shared: start after it, and keep the range private. */
	err = ioctl(x->fd, GMEM_POPULATE, &p) ? errno : 0;
	if (p.copied % ps || p.copied > p.length || (!err && p.copied != p.length))
		FAIL("GMEM_POPULATE: copied %llu of %llu (%s)",
		     (unsigned long long)p.copied, (unsigned long long)p.length,
		     errno_name(err));
	for (uint64_t i = 0; i < p.copied / ps; i++)
		x->seed[2 + i] = 200 + i;
	return err;
}

/* Page 6 a shared hole. */
static int prep_shared_hole(struct fx *x)
{
	if (op_convert(x, 6, 1, true, false))
		return 1;
	ASSERT_SYS(fallocate(x->fd, PUNCH, 6 * page_size(), page_size()));
	x->seed[6] = 0;
	return 0;
}

/* A fault on a shared hole: SIGBUS when its page cannot be allocated. */
static int op_fault(struct fx *x)
{
	struct fault f = fault_write(x->map + 6 * page_size(), 0);

	if (f.sig && f.sig != SIGBUS)
		FAIL("touching a shared hole: %s", fault_str(f));
	return f.sig ? ENOMEM : 0;
}

/* The prepared binding covers everything: move it aside. */
static int prep_unbind(struct fx *x)
{
	return ioctl(x->ct, GMEM_TEST_UNBIND, &x->slot);
}

static int op_bind(struct fx *x)
{
	struct gmem_test_bind b = { .fd = x->fd, .nr_pages = NPAGES };
	int err;

	err = ioctl(x->ct, GMEM_TEST_BIND, &b) ? errno : 0;
	if (err) {
		b.slot = UINT32_MAX;
		ASSERT_SYS(ioctl(x->ct, GMEM_TEST_BIND, &b));
	}
	x->slot = b.slot;
	return err;
}

static int op_resolve(struct fx *x)
{
	struct gmem_test_resolve r = { .slot = x->slot, .index = 3 };

	ASSERT_SYS(ioctl(x->ct, GMEM_TEST_RESOLVE, &r));
	if (r.err && r.err != -ENOMEM)
		FAIL("resolving a hole: %s, expected ENOMEM or success",
		     errno_name(-r.err));
	return -r.err;
}

static int op_fdinfo(struct fx *x)
{
	gmem_fdinfo(x->fd);
	gmem_info(x->fd);
	return 0;
}

/* The last references go: unbind, munmap, close (release and evict). */
static int op_teardown(struct fx *x)
{
	if (ioctl(x->ct, GMEM_TEST_UNBIND, &x->slot))
		return errno;
	if (munmap(x->map, NPAGES * page_size()))
		return errno;
	x->map = NULL;
	close(x->fd);
	x->fd = -1;
	return 0;
}

/* GMEM_CREATE with an interleave policy over nodes 0 and 1. */
static int op_create_numa(struct fx *x)
{
	int fd;

	(void)x;
	numa_need_two();
	fd = gmem_create_numa_raw(64 * page_size(),
				  GMEM_CREATE_MMAP | GMEM_CREATE_SHARED,
				  GMEM_NUMA_INTERLEAVE, 3);
	created_fd = fd;
	created_len = 64 * page_size();
	return fd < 0 ? errno : 0;
}

/*
 * GMEM_MIGRATE: every page first on node 0 (unarmed), then the whole fd
 * to node 1 armed.  On ENOMEM the folios moved so far stay moved, the
 * rest stay where they were, and contents are kept either way
 * (fx_verify); on success nothing is left on node 0.  A transient EBUSY
 * (a new page still in a per-CPU LRU batch, ioctl_gmem(2)) is retried.
 */
static uint64_t migrate_armed(int fd, uint64_t len, uint32_t node, int *err)
{
	uint64_t moved, eo, total = 0;

	for (int busy = 0;; busy++) {
		int ret = gmem_migrate_raw(fd, 0, len, node, &moved, &eo);

		*err = ret ? errno : 0;
		if (moved == GMEM_UNTOUCHED)
			FAIL("GMEM_MIGRATE (%s) did not write moved",
			     errno_name(*err));
		total += moved;
		if (*err != EBUSY || busy >= 100)
			break;
		usleep(1000);
	}
	return total;
}

static int prep_node0(struct fx *x)
{
	numa_need_two();
	MIGRATE(x->fd, 0, NPAGES * page_size(), 0);
	return 0;
}

/* What the armed GMEM_MIGRATE did, for its check once disarmed. */
static int migrate_err;
static uint64_t migrate_moved;

static int op_migrate(struct fx *x)
{
	migrate_moved = migrate_armed(x->fd, NPAGES * page_size(), 1,
				      &migrate_err);
	return migrate_err;
}

/*
 * fdinfo's node lines (read disarmed: without memory for them fdinfo
 * leaves them out) account for every allocated byte; after a success,
 * none on node 0.
 */
static void check_moved(int fd, uint64_t len, uint64_t unit)
{
	uint64_t bytes[2], allocated = gmem_info(fd).allocated;

	gmem_fdinfo_nodes(fd, bytes, 2);
	if (migrate_moved > len || migrate_moved % unit ||
	    bytes[0] + bytes[1] != allocated || (!migrate_err && bytes[0]))
		FAIL("GMEM_MIGRATE to node 1 (%s): moved %llu of %llu; fdinfo node0 %llu node1 %llu, allocated %llu",
		     migrate_err ? errno_name(migrate_err) : "worked",
		     (unsigned long long)migrate_moved, (unsigned long long)len,
		     (unsigned long long)bytes[0], (unsigned long long)bytes[1],
		     (unsigned long long)allocated);
}

static int after_migrate(struct fx *x)
{
	check_moved(x->fd, NPAGES * page_size(), page_size());
	return 0;
}

/*
 * A huge fd (GMEM_CREATE_HUGE, two 2 MiB blocks), made by @prep and
 * checked and closed by @after with the injection disarmed: whatever
 * failed, GMEM_INFO agrees with st_blocks, every page reads zero and
 * keeps what is written.
 */
#define HUGE_LEN	(4 * MiB)

static int prep_huge(struct fx *x)
{
	x->fd = gmem_new_flags(HUGE_LEN, GMEM_CREATE_HUGE | GMEM_CREATE_MMAP |
				       GMEM_CREATE_SHARED);
	return 0;
}

static int prep_huge_node0(struct fx *x)
{
	numa_need_two();
	x->fd = gmem_new_numa(HUGE_LEN, GMEM_CREATE_HUGE | GMEM_CREATE_MMAP |
				     GMEM_CREATE_SHARED, GMEM_NUMA_BIND, 1);
	ASSERT_SYS(fallocate(x->fd, FALLOC_FL_KEEP_SIZE, 0, HUGE_LEN));
	/* the memory written before the move must be there after it */
	x->map = gmem_map(x->fd, HUGE_LEN);
	fill_pattern(x->map, HUGE_LEN, 31);
	x->seed[0] = 31;
	return 0;
}

static int after_huge(struct fx *x)
{
	struct gmem_info info = gmem_info(x->fd);
	unsigned char *m = x->map ? x->map : gmem_map(x->fd, HUGE_LEN);
	long long bad;

	if (info.allocated != (uint64_t)gmem_blocks(x->fd) * 512)
		FAIL("huge fd: GMEM_INFO allocated %llu, st_blocks %lld",
		     (unsigned long long)info.allocated, gmem_blocks(x->fd));
	bad = x->seed[0] ? pattern_mismatch(m, HUGE_LEN, x->seed[0]) :
			   nonzero_at(m, HUGE_LEN);
	if (bad >= 0)
		FAIL("huge fd: byte %lld is not what was there", bad);
	fill_pattern(m, HUGE_LEN, 32);
	EXPECT_EQ(pattern_mismatch(m, HUGE_LEN, 32), -1);
	EXPECT_EQ(gmem_info(x->fd).allocated, HUGE_LEN);
	munmap(m, HUGE_LEN);
	x->map = NULL;
	close(x->fd);
	x->fd = -1;
	return 0;
}

/*
 * fallocate of both blocks: a 2 MiB folio that cannot be had is made of
 * smaller ones (gmem(4)), so failures are absorbed or end in ENOMEM with
 * nothing kept.
 */
static int op_huge_allocate(struct fx *x)
{
	int err = fallocate(x->fd, FALLOC_FL_KEEP_SIZE, 0, HUGE_LEN) ? errno : 0;

	ASSERT_EQ(gmem_blocks(x->fd), err ? 0 : HUGE_LEN / 512);
	return err;
}

/*
 * The first shared page of an fd that never had one: the conversion also
 * allocates the fd's summary of the 2 MiB blocks that hold a shared page
 * (module/attr.c), which the fixture's fd has from its preparation.
 */
static int prep_private(struct fx *x)
{
	x->fd = gmem_new_flags(NPAGES * page_size(), GMEM_CREATE_MMAP);
	return 0;
}

static int op_convert_first(struct fx *x)
{
	return op_convert(x, 2, 3, true, false);
}

static int after_convert_first(struct fx *x)
{
	uint64_t len = 3 * page_size();

	/* ENOMEM changed nothing; either way the fd converts on. */
	EXPECT_EQ(gmem_info(x->fd).shared_bytes, x->shared[2] ? len : 0);
	if (!x->shared[2])
		CONVERT(x->fd, 2 * page_size(), len, GMEM_SHARED);
	EXPECT_EQ(gmem_info(x->fd).shared_bytes, len);
	CONVERT(x->fd, 2 * page_size(), len, GMEM_PRIVATE);
	EXPECT_EQ(gmem_info(x->fd).shared_bytes, 0);
	close(x->fd);
	x->fd = -1;
	return 0;
}

/* GMEM_MIGRATE of 2 MiB folios from node 0 to node 1. */
static int op_huge_migrate(struct fx *x)
{
	migrate_moved = migrate_armed(x->fd, HUGE_LEN, 1, &migrate_err);
	return migrate_err;
}

static int after_huge_migrate(struct fx *x)
{
	check_moved(x->fd, HUGE_LEN, 2 * MiB);
	return after_huge(x);
}

/*
 * Memory failure, with the one allocation gmem makes there (its poison
 * bookkeeping) failing: whatever gmem_error_folio() does then, the page
 * must not come back as good memory.  Page 1 (shared, mapped) is poisoned
 * with MADV_HWPOISON by a child in which gmem's allocations fail; then
 * the page is converted to private and resolved through the consumer,
 * which must say -EHWPOISON (or fail to resolve at all), not hand out the
 * poisoned pfn; populating it must fail with EHWPOISON; a punch heals it.
 */
static void poison_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
}

static void t_poison(void)
{
	long ps = page_size();
	unsigned char buf[65536];
	struct gmem_test_resolve r;
	struct gmem_populate p = { .offset = ps, .length = ps, .uaddr = 0 };
	struct fx x;
	int status, ct, err;
	pid_t pid;

	fi_setup();
	ct = ct_open_loaded();
	fault_install();
	fx_prepare(&x, ct);
	/*
	 * One failure is not enough here: the xarray retries a failed node
	 * allocation once outside its lock.  So every allocation with gmem on
	 * the stack fails in the child (task-filter, make-it-fail), up to
	 * 100 of them; "times" going down shows that some did.
	 */
	knob(FAILSLAB, "times", "100");
	knob(FAILSLAB, "task-filter", "Y");
	knob(FAILSLAB, "probability", "100");
	pid = ASSERT_SYS(fork());
	if (!pid) {
		struct sigaction sa = {
			.sa_sigaction = poison_sigbus, .sa_flags = SA_SIGINFO,
		};
		unsigned long long left = 100;

		sigaction(SIGBUS, &sa, NULL);
		if (write_str("/proc/self/make-it-fail", "1"))
			_exit(12);
		/* A failed recovery is EBUSY: the page is poisoned either way. */
		if (madvise(x.map + ps, ps, MADV_HWPOISON) && errno != EBUSY)
			_exit(10);
		write_str("/proc/self/make-it-fail", "0");
		read_ull(FAILSLAB "times", &left);
		_exit(left < 100 ? 0 : 11);
	}
	ASSERT_SYS(waitpid(pid, &status, 0));
	knob(FAILSLAB, "probability", "0");
	knob(FAILSLAB, "task-filter", "N");
	knob(FAILSLAB, "times", "-1");
	if (!WIFEXITED(status) || WEXITSTATUS(status) == 10)
		test_skip("MADV_HWPOISON did not work here (status %#x)", status);
	if (WEXITSTATUS(status) == 12)
		FAIL("/proc/self/make-it-fail: cannot write");
	if (WEXITSTATUS(status) == 11)
		test_skip("memory failure made no allocation with gmem on the stack");
	test_diag("every slab allocation under gmem failed during MADV_HWPOISON");

	EXPECT_SIGBUS(x.map + ps, false);
	err = op_convert(&x, 1, 1, false, false);
	test_diag("converting the poisoned page to private: %s",
		  err ? errno_name(err) : "done");
	if (!err) {
		r = (struct gmem_test_resolve) { .slot = x.slot, .index = 1 };
		ASSERT_SYS(ioctl(ct, GMEM_TEST_RESOLVE, &r));
		if (!r.err)
			FAIL("the poisoned page resolved to pfn %#llx: a consumer would map poisoned memory",
			     (unsigned long long)r.pfn);
		EXPECT_EQ(r.err, -EHWPOISON);
		fill_pattern(buf, ps, 5);
		p.uaddr = (uintptr_t)buf;
		EXPECT_ERRNO(ioctl(x.fd, GMEM_POPULATE, &p), EHWPOISON);
	}
	ASSERT_SYS(fallocate(x.fd, PUNCH, ps, ps));
	if (!err) {
		r = (struct gmem_test_resolve) { .slot = x.slot, .index = 1 };
		ASSERT_SYS(ioctl(ct, GMEM_TEST_RESOLVE, &r));
		EXPECT_EQ(r.err, 0);
	}
	fx_release(&x);
	close(ct);
}

/* ---- tests ---- */

/*
 * @min: allocation sites the operation has at least (1: it allocates a
 * folio, an inode or a binding each time; 0: it may allocate nothing).
 */
#define FI_TEST(name, prep, fn, fx, min)				\
	static void t_##fn(void) { sweep(name, prep, fn, NULL, fx, min); }
static void t_op_create(void)
{
	sweep("GMEM_CREATE (shared, mmap)", NULL, op_create, after_create, false, 1);
}

static void t_op_create_private(void)
{
	sweep("GMEM_CREATE (private)", NULL, op_create_private, after_create, false, 1);
}

static void t_op_create_numa(void)
{
	sweep("GMEM_CREATE with an interleave policy", NULL, op_create_numa,
	      after_create, false, 1);
}

static void t_op_convert_first(void)
{
	sweep("GMEM_CONVERT to shared, the fd's first shared page",
	      prep_private, op_convert_first, after_convert_first, false, 1);
}

static void t_op_huge_allocate(void)
{
	sweep("fallocate of a huge fd", prep_huge, op_huge_allocate, after_huge,
	      false, 1);
}

static void t_op_huge_migrate(void)
{
	sweep("GMEM_MIGRATE of 2 MiB folios", prep_huge_node0, op_huge_migrate,
	      after_huge_migrate, false, 1);
}

static void t_op_migrate(void)
{
	sweep("GMEM_MIGRATE", prep_node0, op_migrate, after_migrate, true, 1);
}

FI_TEST("fallocate over holes and pages", NULL, op_allocate, true, 1)
FI_TEST("punch", NULL, op_punch, true, 0)
FI_TEST("GMEM_CONVERT to shared", NULL, op_convert_shared, true, 0)
FI_TEST("GMEM_CONVERT to private", NULL, op_convert_private, true, 0)
FI_TEST("GMEM_CONVERT with GMEM_CONVERT_ZERO", NULL, op_convert_zero, true, 0)
FI_TEST("GMEM_POPULATE", NULL, op_populate, true, 1)
FI_TEST("fault on a shared hole", prep_shared_hole, op_fault, true, 1)
FI_TEST("consumer bind", prep_unbind, op_bind, true, 1)
FI_TEST("consumer resolve of a hole", NULL, op_resolve, true, 1)
FI_TEST("GMEM_INFO and fdinfo", NULL, op_fdinfo, true, 0)
FI_TEST("unbind, munmap and close: release", NULL, op_teardown, true, 0)

#define T(name, fn)	TEST("each allocation fails in turn: " name, t_##fn,	\
			     .timeout = 300, .cleanup = fi_cleanup)
static const struct test tests[] = {
	T("GMEM_CREATE (shared, mmap)", op_create),
	T("GMEM_CREATE (private)", op_create_private),
	T("fallocate over holes and pages", op_allocate),
	T("punch", op_punch),
	T("GMEM_CONVERT to shared", op_convert_shared),
	T("GMEM_CONVERT to private", op_convert_private),
	T("GMEM_CONVERT with GMEM_CONVERT_ZERO", op_convert_zero),
	T("GMEM_CONVERT to shared, the fd's first shared page",
	  op_convert_first),
	T("GMEM_POPULATE", op_populate),
	T("fault on a shared hole", op_fault),
	T("consumer bind", op_bind),
	T("consumer resolve of a hole", op_resolve),
	T("GMEM_INFO and fdinfo", op_fdinfo),
	T("unbind, munmap and close: release", op_teardown),
	T("GMEM_CREATE with an interleave policy", op_create_numa),
	T("GMEM_MIGRATE", op_migrate),
	T("fallocate of a huge fd", op_huge_allocate),
	T("GMEM_MIGRATE of 2 MiB folios", op_huge_migrate),
	TEST("memory failure whose poison bookkeeping cannot allocate: the page stays poisoned",
	     t_poison, .timeout = 120, .cleanup = fi_cleanup,
	     .kmsg_allow = "hardware memory corruption"),
};

DEFINE_SUITE(failinject_suite, "failinject", tests);
