// SPDX-License-Identifier: GPL-2.0
/*
 * gmem-fuzz: randomized calls into every entry point of gmem, each result
 * checked against the documentation (ioctl_gmem(2), gmem(4),
 * Documentation/userspace-api.rst).
 *
 *   gmem-fuzz [-s SEED] [-n CALLS] [-v FROM]
 *
 * Every call draws its arguments from values that matter (zero, one, page
 * size +- 1, the fd's size +- a page, 2^32, 2^63, 2^64 - 1, negative
 * numbers, random ones) and from plainly valid ones, so that both the
 * checks and the work behind them get exercised:
 *
 *   GMEM_CREATE    every field of struct gmem_create, sizes from 0 to past
 *                  a page with zero and non-zero tails (and ending inside
 *                  the NUMA fields), argument pointers NULL, unmapped,
 *                  kernel, non-canonical and straddling an unmapped page;
 *                  GMEM_CREATE_HUGE; NUMA modes, mask lengths and masks
 *                  (empty, nodes without memory or past the possible ones,
 *                  several for PREFERRED, unreadable or cut short)
 *   GMEM_CONVERT, GMEM_POPULATE, GMEM_INFO, GMEM_MIGRATE
 *                  every field, read-only argument pages (the results that
 *                  are written back), populate sources that are unmapped,
 *                  end at an unmapped page, are unaligned, or are a
 *                  mapping of a gmem fd (shared, private, past its end)
 *   GMEM_QUERY     ranges valid and not, room for one run or more, its
 *                  runs against the model's pages
 *   GMEM_MISSING_ARM, GMEM_MISSING_EVENTS
 *                  every field, flags and reserved, ranges valid and not
 *                  (huge fds: whole 2 MiB blocks), argument pointers of
 *                  every kind; what is armed is read (EIO without memory,
 *                  the bytes with) and disarmed within the call; event
 *                  fds with any flags, read (EINVAL, EAGAIN), one at a time
 *   GMEM_DIRTY_LOG on fds with and without GMEM_CREATE_DIRTY_LOG, ranges
 *                  valid and not, peek and clear, unknown flags, reserved,
 *                  bitmaps NULL, unmapped, read-only and cut short; every
 *                  page whose contents the model saw change since its last
 *                  clear must be reported (a page may be reported without
 *                  a change: a write of the same bytes, a PMD's block)
 *   mbind()        on scratch mappings of pool fds side by side, with
 *                  holes, between guard pages: ranges in and across them,
 *                  every mode (WEIGHTED_INTERLEAVE and unknown ones too),
 *                  mode flags, masks and maxnode values (empty, nodes
 *                  without memory, past the possible ones and past
 *                  MAX_NUMNODES; NULL, unreadable, cut short),
 *                  MPOL_MF_* flags, unaligned starts, empty and wrapping
 *                  lengths; then get_mempolicy(MPOL_F_ADDR), also with
 *                  MPOL_F_NODE, and touches there
 *   set_mempolicy(), get_mempolicy() of the task (which
 *                  GMEM_NUMA_DEFAULT fds follow)
 *   open()         of /proc/self/fd/N with every access mode and flag;
 *                  the new file's size, inode, GMEM_INFO and reads
 *   other ioctl commands on both fds; fallocate with every mode bit and
 *                  combination; mmap with every prot, MAP_* type and flag,
 *                  offsets and lengths, then touches of the mapping;
 *                  read/write/readv/writev/pread/pwrite at the position or
 *                  any offset (the bytes of shared pages, up to the first
 *                  private one), lseek with every whence (SEEK_DATA and
 *                  SEEK_HOLE against the model's allocated pages),
 *                  ftruncate, splice, sendfile
 *   /dev/gmem_test bind (fds that are closed, not gmem, overlapping,
 *                  ranges past the end), unbind, resolve, read/write,
 *                  events and in-kernel resolver threads
 *
 * The oracle: for each call, every documented error whose condition the
 * arguments meet is allowed (the documentation does not order them); if
 * none is met the call must succeed, up to the resource errors documented
 * for it (ENOMEM, ENOSPC, EINTR, EMFILE, ENFILE).  A few errors come from the
 * VFS or mm before gmem sees the call, exactly as for any file (mmap(2):
 * ENOMEM for no address space, EOVERFLOW, EOPNOTSUPP for unknown
 * MAP_SHARED_VALIDATE flags; pread(2) EINVAL for a negative offset); they
 * are allowed only under those conditions.  A model of every fd (state,
 * allocation and contents of each page) says what the successful calls
 * must have done: GMEM_INFO, st_blocks and fdinfo are checked against it
 * every few thousand calls and at the end, and contents whenever they are
 * read (mappings, the consumer).  Fds larger than 8192 pages are modeled in
 * two windows of 1024 pages at their ends; calls that would touch pages
 * between them are drawn only to fail, or to cover that middle whole.
 * Huge fds (always mappable in the pool) are modeled by 2 MiB block: a
 * block allocated whole, or touched while empty, is one large folio until
 * punched; where gmem fell back to small folios, fdinfo's
 * gmem-large-fallbacks says so after the call, and the model learns which
 * pages the call allocated from mincore().  A collapse makes whole blocks
 * one folio again; when its struct cannot be written back, the call ends
 * in EFAULT after the work, and GMEM_INFO's count before and after says
 * how many blocks collapsed.  The pool's fds get random valid NUMA
 * policies; GMEM_MIGRATE must keep every page's contents and state, and
 * say it moved no more than the model holds in the range (widened to
 * whole 2 MiB blocks).  For mbind() the model follows the kernel: each
 * scratch page's VMA policy (a VMA given the policy it has is skipped;
 * one changed merges with equal neighbours and reaches gmem whole), each
 * fd page's range policy and gmem's policy object (fdinfo's
 * gmem-mbind-ranges and -policies are counted from them).  Every page
 * allocated gets the nodes the policies allowed then (the range's, else
 * the fd's, else the task's; GMEM_MIGRATE adds its target), and its node
 * must be one of them wherever it is seen: touches, resolves,
 * get_mempolicy(MPOL_F_NODE) and fdinfo's gmem-node<N> lines.
 *
 * Single-threaded and deterministic: `gmem-fuzz -s SEED -n N` replays a
 * run call for call (the seed is printed first); -v FROM prints every
 * call from number FROM on.  Stops at the first call whose result is wrong
 * and prints it.  Prints TAP: the calls; their coverage (in a run of
 * COVERAGE_CALLS or more, every kind of call ran, the main ones succeeded
 * at least once, an mbind() set a policy, 2 MiB folios were made and,
 * with two nodes, memory migrated and pages' nodes were checked; in
 * 100000 calls or more, GMEM_MIGRATE_COLLAPSE collapsed a block; the
 * consumer was there, unless -C); the state at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <linux/gmem.h>

#include "fault.h"
#include "gmem_test.h"
#include "numa.h"
#include "rng.h"
#include "sys.h"

#define NFD		8	/* memory fds in the pool */
#define NMAP		8	/* live mappings */
#define SMALL_PAGES	8192	/* fds up to this are modeled whole */
#define WIN_PAGES	1024	/* else two windows of this many pages */
#define ALLOC_PAGES	256	/* most pages one allocating call may add */
#define HELD_MAX	(48 * 1024 * 1024ULL)	/* memory the model may hold */
#define SRC_PAGES	8	/* populate source buffer */
#define CHECK_EVERY	5000	/* calls between GMEM_INFO/st_blocks/fdinfo checks */

/*
 * What the model expects this module to accept (the uAPI header has no
 * such masks; gmem-selftests' features suite checks GMEM_FEATURES says
 * the same).
 */
#define CREATE_FLAGS	(GMEM_CREATE_MMAP | GMEM_CREATE_SHARED | GMEM_CREATE_HUGE | \
			 GMEM_CREATE_DIRTY_LOG)
#define DIRTY_FLAGS	GMEM_DIRTY_LOG_CLEAR
#define CONVERT_FLAGS	GMEM_CONVERT_ZERO
#define MIGRATE_FLAGS	GMEM_MIGRATE_COLLAPSE
/* The first GMEM_INFO (0.1.0), still served: _IOR() of 72 bytes. */
#define GMEM_INFO_V0	_IOC(_IOC_READ, GMEM_IOCTL_TYPE, 0x03, 72)
#define PUNCH		(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE)

#ifndef MAP_DROPPABLE
#define MAP_DROPPABLE	0x08
#endif
#ifndef MAP_ABOVE4G
#define MAP_ABOVE4G	0x80
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MAP_SYNC
#define MAP_SYNC	0x080000
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#define LEGACY_MAP_FLAGS (MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | \
			  0x0800 | 0x1000 | 0x4000000 | MAP_GROWSDOWN |	\
			  MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE |	\
			  MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB |	\
			  MAP_32BIT | MAP_ABOVE4G | (21U << 26) | (30U << 26))

#define MPOL_USER_NODES	(MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES)
#define MPOL_FLAGS	(MPOL_USER_NODES | MPOL_F_NUMA_BALANCING)
/* Every node: where a page may be when nothing confines it. */
#define ALL_NODES		UINT64_MAX
/* The most a node mask the kernel reads: a page of bits. */
#define MASK_BITS_MAX		32768

/* ---- the model ---- */

struct pstate {
	uint8_t shared;
	uint8_t present;
	uint8_t big;		/* first page of a block held as one 2 MiB folio */
	uint64_t hash;		/* of the contents; HASH_UNKNOWN: unchecked */
	uint64_t logged;	/* hash at the last GMEM_DIRTY_LOG clear */
	/*
	 * Nodes the page's memory may be on (placed by the policies when
	 * it was allocated; GMEM_MIGRATE adds its target).
	 */
	uint64_t at;
	/*
	 * Punched out of a 2 MiB folio cut in part, which the kernel may
	 * have had to keep whole (zeroed where punched): the page may still
	 * be where it was, so a later allocation adds to @at.
	 */
	uint8_t kept;
	/*
	 * The policy mbind() gave the page's range: where it places new
	 * pages (0: none, the fd's own policy then), and which of gmem's
	 * policy objects holds it (0: none), for fdinfo's counts.
	 */
	uint64_t rp;
	uint32_t rid;
};

struct gfd {
	bool used;
	bool closed;		/* the fd is closed, bindings keep the file */
	int fd;
	uint32_t flags;
	uint64_t size, npages;
	int nwin;
	uint64_t wstart[2], wn[2];
	struct pstate *w[2];
	uint8_t mid_shared;	/* pages outside the windows: absent, zero */
	int bound;		/* consumer slots bound to it */
	uint32_t numa_mode;	/* GMEM_NUMA_* it was created with */
	uint64_t numa_mask;	/* its nodes (BIND, PREFERRED, INTERLEAVE) */
	/*
	 * mbind() reached pages the model does not keep (between the
	 * windows), or failed part way: fdinfo's gmem-mbind-* counts are
	 * not known.
	 */
	bool mpol_unknown;
	/*
	 * A punch split a 2 MiB folio: how many large folios the split left
	 * depends on the kernel (uniform or not), so large_folios is then
	 * only bounded, not counted.
	 */
	bool large_unknown;
	/* fdinfo's gmem-large-fallbacks when last read */
	uint64_t fallbacks;
	uint64_t pos;		/* the file position read() and write() use */
};

/* The pages of a 2 MiB block, GMEM_CREATE_HUGE's folio. */
#define HUGE_PAGES	512

struct mapping {
	bool used;
	int gi;
	unsigned char *addr;
	size_t len;
	uint64_t pgoff;
	int prot;
};

struct slot {
	bool used;
	int gi;
	uint64_t start, end;
};

/* The set of results a call may have. */
struct expect {
	bool ok;		/* success allowed */
	int n;
	int err[20];
};

#define HASH_UNKNOWN	0

static long ps;
static uint64_t max_size;
static uint64_t mem_nodes;	/* nodes (below 64) with memory */
/*
 * MAX_NUMNODES of the running kernel (1 << CONFIG_NODES_SHIFT: 1024 on
 * the tier-1 kernels, 64 on the debug kernel); probed at the start.
 */
static unsigned long kmax_nodes;
static int possible_nodes;	/* nr_node_ids */
static uint64_t hash_zero;
static struct rng R;
static unsigned long long ncalls = 1000000, call_no, verbose_from = ULLONG_MAX;
static int last_err;	/* errno of the current call's last expected failure */
static bool check_always;
static uint64_t seed;
static int dev_fd, ct = -1, null_fd;
static unsigned char *argbuf;	/* two pages then an unmapped one */
static unsigned char *guard;	/* that unmapped page */
static unsigned char *ro_page;	/* read-only */
static unsigned char *src;	/* SRC_PAGES then an unmapped page */
static unsigned char *page_a, *page_b;
static char desc[768];
static struct gfd fds[NFD];
static struct mapping maps[NMAP];
static struct slot slots[GMEM_TEST_SLOTS];
static unsigned long long stat_ok, stat_err, stat_calls[32], stat_kind_ok[32];
static bool no_consumer;	/* -C */
static int coverage_failed;
static unsigned long long stat_big, stat_moved;	/* 2 MiB folios made, bytes migrated */
static unsigned long long stat_collapsed;	/* blocks collapsed */
/* collapse calls that reached gmem, those with a block to collapse */
static unsigned long long stat_collapse_calls, stat_collapse_candidates;
/* bytes read() and write() copied, lseek()s to data or a hole that worked */
static unsigned long long stat_read, stat_written, stat_seek_data;
/* mbind() calls that set a policy, pages placed by one and checked */
static unsigned long long stat_mbind_set, stat_placed;
static double stat_time[32];

static const char *const call_names[] = {
	"create", "convert", "populate", "info", "fallocate", "mmap",
	"touch", "munmap", "ioctl-other", "file-ops", "bind", "unbind",
	"resolve", "rw", "events", "kstress", "close", "migrate", "query",
	"dirty", "missing", "mbind", "mempolicy", "reopen",
};

/* ---- output ---- */

static void describe(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void describe(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	if (call_no >= verbose_from)
		printf("# %llu: %s\n", call_no, desc);
}

static void __attribute__((noreturn, format(printf, 1, 2))) bad(const char *fmt, ...)
{
	va_list ap;

	printf("# FAIL at call %llu (seed %#" PRIx64 "): %s\n#   ", call_no,
	       seed, desc);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n#   replay: gmem-fuzz -s %#" PRIx64 " -n %llu -v %llu\n", seed,
	       call_no + 1, call_no > 20 ? call_no - 20 : 0);
	printf("not ok 1 - fuzz: %llu calls, seed %#" PRIx64 "\n", ncalls, seed);
	printf("not ok 2 - coverage # SKIP the run failed\n");
	printf("not ok 3 - state consistent at the end # SKIP the run failed\n");
	exit(1);
}

static void allow(struct expect *e, int err)
{
	for (int i = 0; i < e->n; i++)
		if (e->err[i] == err)
			return;
	if (e->n < (int)(sizeof(e->err) / sizeof(e->err[0])))
		e->err[e->n++] = err;
}

static bool allowed(const struct expect *e, int err)
{
	for (int i = 0; i < e->n; i++)
		if (e->err[i] == err)
			return true;
	return false;
}

static const char *expect_str(const struct expect *e)
{
	static char s[256];
	int n = 0;

	s[0] = 0;
	if (e->ok)
		n += snprintf(s + n, sizeof(s) - n, "success");
	for (int i = 0; i < e->n && n < (int)sizeof(s); i++)
		n += snprintf(s + n, sizeof(s) - n, "%s%s", n ? ", " : "",
			      errno_name(e->err[i]));
	return s;
}

/*
 * Judge a result: @ret < 0 with @err, or success.  @n_violations says
 * whether any documented error condition was met (then success is wrong);
 * @resource are the errors allowed even for a valid call.
 */
static bool judge(long ret, int err, struct expect *e)
{
	if (ret >= 0) {
		if (!e->ok)
			bad("succeeded (%ld), expected %s", ret, expect_str(e));
		stat_ok++;
		return true;
	}
	if (!allowed(e, err))
		bad("failed with %s, expected %s", errno_name(err), expect_str(e));
	stat_err++;
	last_err = err;
	return false;
}

/* ---- contents ---- */

static uint64_t page_hash(const void *p)
{
	const uint64_t *w = p;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (long i = 0; i < ps / 8; i++)
		h = (h ^ w[i]) * 0x100000001b3ULL;
	return h ? h : 1;
}

static void fill_random(void *p, size_t len)
{
	uint64_t *w = p;

	for (size_t i = 0; i < len / 8; i++)
		w[i] = rng_next(&R);
}

/* ---- model helpers ---- */

static struct pstate *pg(struct gfd *g, uint64_t i)
{
	for (int k = 0; k < g->nwin; k++)
		if (i >= g->wstart[k] && i < g->wstart[k] + g->wn[k])
			return &g->w[k][i - g->wstart[k]];
	return NULL;
}

/* [a, b) lies in the windows. */
static bool in_windows(struct gfd *g, uint64_t a, uint64_t b)
{
	for (int k = 0; k < g->nwin; k++)
		if (a >= g->wstart[k] && b <= g->wstart[k] + g->wn[k])
			return true;
	return false;
}

static bool has_mid(struct gfd *g)
{
	return g->nwin == 2;
}

static uint64_t mid_start(struct gfd *g)
{
	return g->wn[0];
}

static uint64_t mid_end(struct gfd *g)
{
	return g->wstart[1];
}

/* The model can follow a successful call on [a, b). */
static bool modelable(struct gfd *g, uint64_t a, uint64_t b)
{
	if (!has_mid(g) || b <= mid_start(g) || a >= mid_end(g))
		return true;
	return a <= mid_start(g) && b >= mid_end(g);
}

static bool touches_mid(struct gfd *g, uint64_t a, uint64_t b)
{
	return has_mid(g) && a < mid_end(g) && b > mid_start(g);
}

static bool any_shared(struct gfd *g, uint64_t a, uint64_t b)
{
	if (touches_mid(g, a, b) && g->mid_shared)
		return true;
	for (int k = 0; k < g->nwin; k++) {
		uint64_t lo = a > g->wstart[k] ? a : g->wstart[k];
		uint64_t hi = b < g->wstart[k] + g->wn[k] ? b : g->wstart[k] + g->wn[k];

		for (uint64_t i = lo; i < hi; i++)
			if (g->w[k][i - g->wstart[k]].shared)
				return true;
	}
	return false;
}

static uint64_t count_pages(struct gfd *g, bool shared)
{
	uint64_t n = 0;

	for (int k = 0; k < g->nwin; k++)
		for (uint64_t i = 0; i < g->wn[k]; i++)
			n += shared ? g->w[k][i].shared : g->w[k][i].present;
	if (shared && has_mid(g) && g->mid_shared)
		n += mid_end(g) - mid_start(g);
	return n;
}

static bool is_huge(struct gfd *g)
{
	return g->flags & GMEM_CREATE_HUGE;
}

/* Block @b (its first page) is inside the fd, modeled, and holds nothing. */
static bool block_empty(struct gfd *g, uint64_t b)
{
	if (b + HUGE_PAGES > g->npages || !in_windows(g, b, b + HUGE_PAGES))
		return false;
	for (uint64_t i = b; i < b + HUGE_PAGES; i++)
		if (pg(g, i)->present)
			return false;
	return true;
}

/*
 * Blocks the model took for new 2 MiB folios during the current call.
 * Where gmem could not have one it falls back to pages and counts that in
 * fdinfo (gmem-large-fallbacks); after the call, settle_claims() compares
 * and takes back the claims that did not come true.
 */
#define MAX_CLAIMS	64
static struct { int gi; uint64_t blk; } claims[MAX_CLAIMS];
static int nclaims;
static bool claims_lost;	/* more than MAX_CLAIMS in one call */

static void claim_big(struct gfd *g, uint64_t blk)
{
	pg(g, blk)->big = 1;
	stat_big++;
	if (nclaims == MAX_CLAIMS) {
		claims_lost = true;
		return;
	}
	claims[nclaims].gi = g - fds;
	claims[nclaims++].blk = blk;
}

/*
 * A memory policy as the kernel keeps it (struct mempolicy): what mbind()
 * gives a mapping, set_mempolicy() the task.
 */
struct kpol {
	bool set;		/* false: none, MPOL_DEFAULT */
	int mode;		/* MPOL_PREFERRED with no node is MPOL_LOCAL */
	unsigned int flags;	/* MPOL_FLAGS given */
	uint64_t nodes;		/* the nodes it allocates on, below 64 */
	/*
	 * Bits 0-127 of the mask given, kept with any mode flag
	 * (mpol_store_user_nodemask()): compared, and reported.
	 */
	uint64_t user[2];
};

/* The task's own policy, which GMEM_NUMA_DEFAULT fds follow. */
static struct kpol task_pol;
/*
 * The kernel keeps the mask as given, compares policies by it and reports
 * it (mpol_store_user_nodemask()) for MPOL_F_STATIC_NODES and
 * MPOL_F_RELATIVE_NODES, and for MPOL_F_NUMA_BALANCING on 6.12 but not
 * on 7.2: the modes for which it does so with MPOL_F_NUMA_BALANCING,
 * found out at the start (setup()).
 */
static unsigned int nb_user_modes;

static bool keeps_user(int mode, unsigned int flags)
{
	return flags & MPOL_USER_NODES ||
	       (flags & MPOL_F_NUMA_BALANCING && nb_user_modes & 1U << mode);
}

/* Where a policy places new pages. */
static uint64_t kpol_where(const struct kpol *p)
{
	if (p->set && (p->mode == MPOL_BIND || p->mode == MPOL_INTERLEAVE ||
		       p->mode == MPOL_WEIGHTED_INTERLEAVE))
		return p->nodes;
	return ALL_NODES;
}

/*
 * Where gmem may put a new page @i of @g, allocated by this process:
 * the policy mbind() gave its range (on a huge fd, that of its block's
 * first page), else the fd's, else the task's.
 */
static uint64_t where(struct gfd *g, uint64_t i)
{
	struct pstate *q = pg(g, is_huge(g) ? i - i % HUGE_PAGES : i);

	if (q && q->rp)
		return q->rp;
	if (g->numa_mode == GMEM_NUMA_BIND || g->numa_mode == GMEM_NUMA_INTERLEAVE)
		return g->numa_mask;
	if (g->numa_mode == GMEM_NUMA_DEFAULT)
		return kpol_where(&task_pol);
	return ALL_NODES;
}

/* Node @node is one of @mask (a node past 63 only in ALL_NODES). */
static bool node_in(uint64_t mask, int node)
{
	return mask == ALL_NODES || (node >= 0 && node < 64 && mask & 1ULL << node);
}

/*
 * Page @i was allocated by a fault, a resolve or populate: in a huge fd
 * gmem allocates the whole 2 MiB block around it when the block is empty.
 */
static void model_got_page(struct gfd *g, uint64_t i)
{
	uint64_t b = i - i % HUGE_PAGES;
	struct pstate *q = pg(g, i);

	if (q->present)
		return;
	if (is_huge(g) && block_empty(g, b)) {
		uint64_t at = where(g, b);

		for (uint64_t j = b; j < b + HUGE_PAGES; j++) {
			struct pstate *p = pg(g, j);

			p->present = 1;
			p->at = at | (p->kept ? p->at : 0);
			p->kept = 0;
		}
		claim_big(g, b);
		return;
	}
	q->present = 1;
	q->at = where(g, i) | (q->kept ? q->at : 0);
	q->kept = 0;
}

/* fallocate() of pages [a, b): empty blocks wholly inside are one folio. */
static void model_alloc(struct gfd *g, uint64_t a, uint64_t b);

/* Punch of pages [a, b): a 2 MiB folio cut in part is split. */
static void model_punch(struct gfd *g, uint64_t a, uint64_t b);

/* Large folios the model knows of. */
static uint64_t count_big(struct gfd *g)
{
	uint64_t n = 0;

	for (int k = 0; k < g->nwin; k++)
		for (uint64_t i = 0; i < g->wn[k]; i++)
			n += g->w[k][i].big;
	return n;
}

static uint64_t held_bytes(void)
{
	uint64_t n = 0;

	for (int i = 0; i < NFD; i++)
		if (fds[i].used)
			n += count_pages(&fds[i], false);
	return n * ps;
}

/* Apply @fn to each modeled page of [a, b). */
#define FOR_PAGES(g, a, b, p, body)					\
	for (int k_ = 0; k_ < (g)->nwin; k_++) {			\
		uint64_t lo_ = (a) > (g)->wstart[k_] ? (a) : (g)->wstart[k_]; \
		uint64_t hi_ = (b) < (g)->wstart[k_] + (g)->wn[k_] ?	\
			       (b) : (g)->wstart[k_] + (g)->wn[k_];	\
		for (uint64_t i_ = lo_; i_ < hi_; i_++) {		\
			struct pstate *p = &(g)->w[k_][i_ - (g)->wstart[k_]]; \
			body;						\
		}							\
	}

static void model_alloc(struct gfd *g, uint64_t a, uint64_t b)
{
	if (is_huge(g))
		for (uint64_t blk = (a + HUGE_PAGES - 1) / HUGE_PAGES * HUGE_PAGES;
		     blk + HUGE_PAGES <= b; blk += HUGE_PAGES)
			if (block_empty(g, blk))
				claim_big(g, blk);
	FOR_PAGES(g, a, b, q, {
		if (!q->present)
			q->at = where(g, i_) | (q->kept ? q->at : 0);
		q->kept = 0;
		q->present = 1;
	});
}

static void model_punch(struct gfd *g, uint64_t a, uint64_t b)
{
	if (is_huge(g)) {
		for (uint64_t blk = a - a % HUGE_PAGES; blk < b;
		     blk += HUGE_PAGES) {
			struct pstate *q = pg(g, blk);

			if (!q || !q->big)
				continue;
			if (blk < a || blk + HUGE_PAGES > b) {
				g->large_unknown = true;
				for (uint64_t j = blk; j < blk + HUGE_PAGES; j++)
					pg(g, j)->kept = 1;
			}
			q->big = 0;
		}
	}
	FOR_PAGES(g, a, b, q, { q->present = 0; q->hash = hash_zero; });
}

static void model_init(struct gfd *g, int fd, uint64_t size, uint32_t flags)
{
	*g = (struct gfd) { .used = true, .fd = fd, .flags = flags, .size = size,
			    .npages = size / ps };
	if (g->npages <= SMALL_PAGES) {
		g->nwin = 1;
		g->wn[0] = g->npages;
	} else {
		g->nwin = 2;
		g->wn[0] = g->wn[1] = WIN_PAGES;
		g->wstart[1] = g->npages - WIN_PAGES;
		/*
		 * A huge fd's blocks lie whole in a window or whole in the
		 * middle: the second window starts on a block.
		 */
		if (flags & GMEM_CREATE_HUGE) {
			g->wstart[1] -= g->wstart[1] % HUGE_PAGES;
			g->wn[1] = g->npages - g->wstart[1];
		}
		g->mid_shared = !!(flags & GMEM_CREATE_SHARED);
	}
	for (int k = 0; k < g->nwin; k++) {
		g->w[k] = calloc(g->wn[k], sizeof(struct pstate));
		if (!g->w[k]) {
			printf("Bail out! out of memory\n");
			exit(1);
		}
		for (uint64_t i = 0; i < g->wn[k]; i++) {
			g->w[k][i].shared = !!(flags & GMEM_CREATE_SHARED);
			g->w[k][i].hash = hash_zero;
			g->w[k][i].logged = hash_zero;
		}
	}
}

static void model_free(struct gfd *g)
{
	for (int k = 0; k < g->nwin; k++)
		free(g->w[k]);
	g->used = false;
}

/* ---- argument values ---- */

/* An offset or length worth trying for an fd of @size bytes. */
static uint64_t interesting(uint64_t size)
{
	switch (rng_below(&R, 26)) {
	case 0: return 0;
	case 1: return 1;
	case 2: return ps - 1;
	case 3: return ps;
	case 4: return ps + 1;
	case 5: return 2 * ps;
	case 6: return size - ps;
	case 7: return size - 1;
	case 8: return size;
	case 9: return size + ps;
	case 10: return size + 1;
	case 11: return 1ULL << 31;
	case 12: return 1ULL << 32;
	case 13: return (1ULL << 32) - ps;
	case 14: return 1ULL << 40;
	case 15: return max_size;
	case 16: return max_size + ps;
	case 17: return 1ULL << 62;
	case 18: return (1ULL << 63) - ps;
	case 19: return 1ULL << 63;
	case 20: return -(uint64_t)ps;
	case 21: return UINT64_MAX;
	case 22: return -size;
	case 23: return rng_next(&R);
	case 24: return rng_below(&R, size / ps + 1) * ps;
	default: return rng_below(&R, 2 * (size / ps) + 2) * ps;
	}
}

static bool range_valid(struct gfd *g, uint64_t off, uint64_t len)
{
	return len && off % ps == 0 && len % ps == 0 && off + len >= off &&
	       off + len <= g->size;
}

/*
 * A byte range of @g: mostly valid (inside the windows, at most @maxp
 * pages; with @whole, also spans over the middle), else interesting
 * values, never a valid range the model could not follow.
 */
static void gen_range(struct gfd *g, uint64_t *off, uint64_t *len,
		      uint64_t maxp, bool whole)
{
	for (int tries = 0; tries < 50; tries++) {
		if (rng_pct(&R, 65)) {
			int k = rng_below(&R, g->nwin);
			uint64_t n, a;

			if (whole && has_mid(g) && rng_pct(&R, 10)) {
				a = rng_below(&R, g->wn[0]);
				n = g->wstart[1] + rng_below(&R, g->wn[1]) + 1 - a;
			} else if (whole && rng_pct(&R, 8)) {
				a = 0;
				n = g->npages;
			} else {
				n = rng_range(&R, 1, g->wn[k] < maxp ? g->wn[k] : maxp);
				if (rng_pct(&R, 70) && n > 8)
					n = rng_range(&R, 1, 8);
				a = g->wstart[k] + rng_below(&R, g->wn[k] - n + 1);
			}
			*off = a * ps;
			*len = n * ps;
		} else {
			*off = rng_pct(&R, 50) ? interesting(g->size) :
				rng_below(&R, g->npages) * ps;
			*len = rng_pct(&R, 50) ? interesting(g->size) :
				rng_range(&R, 1, 8) * ps;
		}
		if (!range_valid(g, *off, *len))
			return;
		if (!modelable(g, *off / ps, (*off + *len) / ps))
			continue;
		if (!whole && !in_windows(g, *off / ps, (*off + *len) / ps))
			continue;
		if (*len / ps > maxp && !whole)
			continue;
		return;
	}
	*off = 1;		/* unaligned: refused before anything happens */
	*len = ps;
}

enum ptr_kind { P_VALID, P_NULL, P_UNMAPPED, P_KERNEL, P_NONCANON,
		P_STRADDLE, P_RO, P_NR };

static const char *const ptr_names[] = {
	"valid", "NULL", "unmapped", "kernel", "non-canonical", "straddling",
	"read-only",
};

static enum ptr_kind gen_ptr_kind(void)
{
	return rng_pct(&R, 85) ? P_VALID : rng_below(&R, P_NR);
}

/*
 * Where to put a struct of @len bytes for pointer kind @k, its bytes
 * copied there as far as they are mapped; *@readable tells how many are.
 */
static void *place(enum ptr_kind k, const void *s, size_t len, size_t *readable)
{
	unsigned char *p;
	size_t r;

	switch (k) {
	case P_VALID:
		memcpy(argbuf, s, len);
		*readable = SIZE_MAX;
		return argbuf;
	case P_NULL:
		*readable = 0;
		return NULL;
	case P_UNMAPPED:
		*readable = 0;
		return guard;
	case P_KERNEL:
		*readable = 0;
		return (void *)0xffffffff81000000UL;
	case P_NONCANON:
		*readable = 0;
		return (void *)0x0000800000000000UL;
	case P_STRADDLE:
		r = len > 1 ? rng_range(&R, 1, len - 1) : 0;
		p = guard - r;
		memcpy(p, s, r);
		*readable = r;
		return p;
	case P_RO:
	default:
		if (len > (size_t)ps)
			return place(P_VALID, s, len, readable);
		if (mprotect(ro_page, ps, PROT_READ | PROT_WRITE))
			bad("mprotect: %s", errno_name(errno));
		memcpy(ro_page, s, len);
		mprotect(ro_page, ps, PROT_READ);
		*readable = SIZE_MAX;
		return ro_page;
	}
}

static bool writable(enum ptr_kind k)
{
	return k == P_VALID;
}

/* ---- the pool ---- */

static int pick_fd(void)
{
	int live[NFD], n = 0;

	for (int i = 0; i < NFD; i++)
		if (fds[i].used && !fds[i].closed)
			live[n++] = i;
	return n ? live[rng_below(&R, n)] : -1;
}

static void unmap_of(int gi)
{
	for (int m = 0; m < NMAP; m++) {
		if (maps[m].used && maps[m].gi == gi) {
			munmap(maps[m].addr, maps[m].len);
			maps[m].used = false;
		}
	}
}

static void drop_fd(int gi)
{
	struct gfd *g = &fds[gi];

	unmap_of(gi);
	if (!g->closed)
		close(g->fd);
	g->closed = true;
	if (!g->bound)
		model_free(g);
}

static int new_slot_in_pool(void)
{
	for (int i = 0; i < NFD; i++)
		if (!fds[i].used)
			return i;
	return -1;
}

static void resync_present(int gi, uint64_t a, uint64_t b);

/*
 * fdinfo's gmem-mbind-ranges and gmem-mbind-policies: the runs of pages
 * under one of gmem's policy objects, and the objects, as the model has
 * them (each range mbind() stored got an object of its own).
 */
static void check_mbind_counts(int gi, unsigned long long ranges,
			       unsigned long long objects)
{
	struct gfd *g = &fds[gi];
	uint64_t runs = 0, distinct = 0;
	uint32_t last = 0, *ids;
	bool seen;

	if (ranges == ULLONG_MAX || objects == ULLONG_MAX)
		bad("check: fdinfo of pool fd %d lacks the gmem-mbind- lines", gi);
	if (objects > ranges)
		bad("check: pool fd %d: %llu mbind policies for %llu ranges",
		    gi, objects, ranges);
	if (g->mpol_unknown || has_mid(g))
		return;
	ids = calloc(g->npages, sizeof(*ids));
	if (!ids)
		bad("check: out of memory");
	for (uint64_t i = 0; i < g->npages; i++) {
		uint32_t id = g->w[0][i].rid;

		if (id && id != last)
			runs++;
		last = id;
		if (!id)
			continue;
		/* an object's pages may lie in several runs: count it once */
		seen = false;
		for (uint64_t j = 0; j < distinct && !seen; j++)
			seen = ids[j] == id;
		if (!seen)
			ids[distinct++] = id;
	}
	free(ids);
	if (runs != ranges || distinct != objects) {
		last = 0;
		printf("# pool fd %d, its pages' policy objects:", gi);
		for (uint64_t i = 0; i < g->npages; i++) {
			if (g->w[0][i].rid != last || !i)
				printf(" %llu:%u", (unsigned long long)i, g->w[0][i].rid);
			last = g->w[0][i].rid;
		}
		printf("\n");
		bad("check: pool fd %d: fdinfo has %llu mbind ranges and %llu policies; the model %llu and %llu",
		    gi, ranges, objects, (unsigned long long)runs,
		    (unsigned long long)distinct);
	}
}

/* GMEM_INFO, st_blocks and fdinfo against each other and the model. */
static void check_fd_state(int gi)
{
	struct gfd *g = &fds[gi];
	static const char *const keys[] = {
		"gmem-size:", "gmem-flags:", "gmem-allocated:", "gmem-private:",
		"gmem-shared:", "gmem-numa-mode:", "gmem-allocated-private:",
		"gmem-allocated-shared:", "gmem-large-folios:", "gmem-poisoned:",
	};
	unsigned long long v[10] = { 0 }, node_sum = 0, node_bytes;
	unsigned long long mb_ranges = ULLONG_MAX, mb_objects = ULLONG_MAX;
	char path[64], line[256];
	struct gmem_info info;
	struct stat st;
	uint64_t present, shared, present_shared, big, places = 0;
	bool large_ok, resynced = false;
	int seen = 0, node;
	FILE *f;

	if (g->closed)
		return;
again:
	present = count_pages(g, false) * ps;
	shared = count_pages(g, true) * ps;
	big = count_big(g);
	present_shared = 0;
	for (int k = 0; k < g->nwin; k++)
		for (uint64_t i = 0; i < g->wn[k]; i++) {
			present_shared += g->w[k][i].present && g->w[k][i].shared;
			if (g->w[k][i].present)
				places |= g->w[k][i].at;
		}
	present_shared *= ps;
	memset(&info, 0xa5, sizeof(info));
	info.size = sizeof(info);
	info.flags = 0;
	if (ioctl(g->fd, GMEM_INFO, &info))
		bad("check: GMEM_INFO of pool fd %d: %s", gi, errno_name(errno));
	/*
	 * Where a 2 MiB folio could not be had, a huge fd falls back to a
	 * page: the model, which assumed the block, learns from mincore.
	 */
	if (is_huge(g) && info.allocated != present && !resynced &&
	    (g->flags & GMEM_CREATE_MMAP)) {
		printf("# pool fd %d: huge fd holds %llu bytes, the model %llu: resynced (small folios where 2 MiB ones could not be had?)\n",
		       gi, (unsigned long long)info.allocated,
		       (unsigned long long)present);
		for (int k = 0; k < g->nwin; k++) {
			resync_present(gi, g->wstart[k], g->wstart[k] + g->wn[k]);
			/* a block not all there is no 2 MiB folio */
			for (uint64_t i = 0; i < g->wn[k]; i++) {
				struct pstate *q = &g->w[k][i];
				uint64_t idx = g->wstart[k] + i;

				for (uint64_t j = idx; q->big && j < idx + HUGE_PAGES; j++)
					if (!pg(g, j) || !pg(g, j)->present)
						q->big = 0;
			}
		}
		g->large_unknown = true;
		resynced = true;
		goto again;
	}
	if (fstat(g->fd, &st))
		bad("check: fstat: %s", errno_name(errno));
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", g->fd);
	f = fopen(path, "re");
	if (!f)
		bad("check: %s: %s", path, errno_name(errno));
	while (fgets(line, sizeof(line), f)) {
		for (int i = 0; i < 10; i++) {
			size_t n = strlen(keys[i]);

			if (!strncmp(line, keys[i], n)) {
				v[i] = strtoull(line + n, NULL, 0);
				seen |= 1 << i;
			}
		}
		if (sscanf(line, "gmem-node%d: %llu", &node, &node_bytes) == 2) {
			node_sum += node_bytes;
			/*
			 * Only where the policies (the fd's, mbind()'s, the
			 * task's) or GMEM_MIGRATE put its pages.
			 */
			if (node_bytes && !node_in(places, node))
				bad("check: pool fd %d has %llu bytes on node %d, where the model put none of its pages (nodes %#llx)",
				    gi, node_bytes, node,
				    (unsigned long long)places);
		}
		sscanf(line, "gmem-mbind-ranges: %llu", &mb_ranges);
		sscanf(line, "gmem-mbind-policies: %llu", &mb_objects);
	}
	fclose(f);
	if (seen != 0x3ff)
		bad("check: %s lacks gmem- lines (seen %#x)", path, seen);
	/*
	 * The model knows every 2 MiB folio until a punch splits one; then
	 * the blocks it knows are large folios still, and each large folio
	 * holds at least two pages.
	 */
	if (g->large_unknown)
		large_ok = info.large_folios >= big &&
			   info.large_folios * 2 * ps <= info.allocated;
	else
		large_ok = info.large_folios == big;
	if (info.length != g->size || info.create_flags != g->flags ||
	    info.numa_mode != g->numa_mode ||
	    info.allocated != present || info.shared_bytes != shared ||
	    info.private_bytes != g->size - shared ||
	    info.allocated_shared != present_shared ||
	    info.allocated_private != present - present_shared ||
	    !large_ok || info.poisoned)
		bad("check: pool fd %d: GMEM_INFO size %llu flags %#x numa_mode %u allocated %llu private %llu shared %llu allocated_private %llu allocated_shared %llu large_folios %llu poisoned %llu; model: size %llu flags %#x numa_mode %u allocated %llu shared %llu allocated_shared %llu large folios %llu%s",
		    gi, (unsigned long long)info.length, info.create_flags,
		    info.numa_mode, (unsigned long long)info.allocated,
		    (unsigned long long)info.private_bytes,
		    (unsigned long long)info.shared_bytes,
		    (unsigned long long)info.allocated_private,
		    (unsigned long long)info.allocated_shared,
		    (unsigned long long)info.large_folios,
		    (unsigned long long)info.poisoned,
		    (unsigned long long)g->size, g->flags, g->numa_mode,
		    (unsigned long long)present, (unsigned long long)shared,
		    (unsigned long long)present_shared,
		    (unsigned long long)big,
		    g->large_unknown ? " or more (a 2 MiB folio was split)" : "");
	if ((uint64_t)st.st_size != g->size || (uint64_t)st.st_blocks * 512 != present ||
	    !S_ISREG(st.st_mode) || st.st_blksize != ps)
		bad("check: pool fd %d: fstat size %lld blocks %lld blksize %ld mode %o; model size %llu allocated %llu",
		    gi, (long long)st.st_size, (long long)st.st_blocks,
		    (long)st.st_blksize, st.st_mode, (unsigned long long)g->size,
		    (unsigned long long)present);
	if (v[0] != info.length || v[1] != info.create_flags || v[2] != info.allocated ||
	    v[3] != info.private_bytes || v[4] != info.shared_bytes ||
	    v[5] != info.numa_mode || v[6] != info.allocated_private ||
	    v[7] != info.allocated_shared || v[8] != info.large_folios ||
	    v[9] != info.poisoned)
		bad("check: pool fd %d: fdinfo %llu %#llx %llu %llu %llu %llu %llu %llu %llu %llu differs from GMEM_INFO",
		    gi, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8],
		    v[9]);
	if (node_sum != info.allocated)
		bad("check: pool fd %d: the gmem-node lines add up to %llu, allocated is %llu",
		    gi, node_sum, (unsigned long long)info.allocated);
	check_mbind_counts(gi, mb_ranges, mb_objects);
}

/*
 * Resync which pages are allocated, through mincore() of a mapping.  In a
 * huge fd over whole blocks (a fault allocates its block), and a block
 * that was empty and is full now came as one 2 MiB folio.
 */
static void resync_present(int gi, uint64_t a, uint64_t b)
{
	struct gfd *g = &fds[gi];
	unsigned char *vec, *m;
	uint8_t *was_empty = NULL;

	if (!(g->flags & GMEM_CREATE_MMAP) || g->closed || a >= b)
		return;
	if (is_huge(g)) {
		a -= a % HUGE_PAGES;
		b = (b + HUGE_PAGES - 1) / HUGE_PAGES * HUGE_PAGES;
		if (b > g->npages)
			b = g->npages;
		was_empty = calloc((b - a) / HUGE_PAGES + 1, 1);
		if (!was_empty)
			bad("resync: out of memory");
		for (uint64_t blk = a; blk < b; blk += HUGE_PAGES)
			was_empty[(blk - a) / HUGE_PAGES] = block_empty(g, blk);
	}
	m = mmap(NULL, (b - a) * ps, PROT_NONE, MAP_SHARED, g->fd, a * ps);
	if (m == MAP_FAILED)
		bad("resync: mmap: %s", errno_name(errno));
	vec = malloc(b - a);
	if (!vec || mincore(m, (b - a) * ps, vec))
		bad("resync: mincore: %s", errno_name(errno));
	for (uint64_t i = a; i < b; i++) {
		struct pstate *p = pg(g, i);

		if (p) {
			/* found, not seen allocated: placed who knows when */
			if (!p->present && vec[i - a] & 1)
				p->at = ALL_NODES;
			p->present = vec[i - a] & 1;
		} else if (vec[i - a] & 1)
			bad("resync: page %llu between the windows is allocated",
			    (unsigned long long)i);
	}
	if (was_empty) {
		for (uint64_t blk = a; blk < b; blk += HUGE_PAGES) {
			bool full = blk + HUGE_PAGES <= b;

			for (uint64_t i = blk; full && i < blk + HUGE_PAGES; i++)
				full = vec[i - a] & 1;
			if (was_empty[(blk - a) / HUGE_PAGES] && full)
				claim_big(g, blk);
		}
		free(was_empty);
	}
	free(vec);
	munmap(m, (b - a) * ps);
}

/* fdinfo's gmem-large-fallbacks of open pool fd @gi. */
static uint64_t read_fallbacks(int gi)
{
	static const char key[] = "gmem-large-fallbacks:";
	char path[64], line[256];
	uint64_t v = 0;
	bool seen = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fds[gi].fd);
	f = fopen(path, "re");
	if (!f)
		bad("%s: %s", path, errno_name(errno));
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, sizeof(key) - 1)) {
			v = strtoull(line + sizeof(key) - 1, NULL, 0);
			seen = true;
		}
	fclose(f);
	if (!seen)
		bad("%s has no %s line", path, key);
	return v;
}

/*
 * A call that ran out of something (memory, max_total, a signal, a bad
 * source buffer) may have tried for 2 MiB folios the model never claimed:
 * its calls only model what succeeded.
 */
static bool call_cut_short(void)
{
	return last_err == ENOMEM || last_err == ENOSPC || last_err == EINTR ||
	       last_err == EFAULT;
}

/*
 * After each call: a 2 MiB folio claimed where gmem counted a fallback
 * was 4 KiB pages instead (only those the call touched).  All claims of
 * an fd false, or none: the model stays exact.  Some, or a call cut
 * short, which may have counted fallbacks for blocks it did not claim:
 * which claims held is not known, so none is kept and large_folios is
 * only bounded from then on.  A call cut short also renews every huge
 * fd's count, so that what it added is not taken for a later call's.
 */
static void settle_claims(void)
{
	bool short_call = call_cut_short();

	for (int i = 0; i < nclaims; i++) {
		int gi = claims[i].gi, k = 0;
		struct gfd *g = &fds[gi];
		uint64_t now, d;

		if (gi < 0 || g->closed || !g->used)
			continue;
		for (int j = i; j < nclaims; j++)
			k += claims[j].gi == gi;
		now = read_fallbacks(gi);
		d = now - g->fallbacks;
		g->fallbacks = now;
		if (d && (d != (uint64_t)k || claims_lost || short_call))
			g->large_unknown = true;
		for (int j = i; j < nclaims; j++) {
			if (claims[j].gi != gi)
				continue;
			if (d) {
				pg(g, claims[j].blk)->big = 0;
				stat_big--;
				/* re-claims nothing: the block is not empty */
				resync_present(gi, claims[j].blk,
					       claims[j].blk + HUGE_PAGES);
			}
			claims[j].gi = -1;
		}
	}
	nclaims = 0;
	claims_lost = false;
	if (short_call)
		for (int gi = 0; gi < NFD; gi++)
			if (fds[gi].used && !fds[gi].closed && is_huge(&fds[gi]))
				fds[gi].fallbacks = read_fallbacks(gi);
}

/* A new fd for the pool, outside the fuzzed calls. */
/* A valid NUMA policy: mostly the default, else over nodes with memory. */
static void gen_policy(uint32_t *mode, uint64_t *mask)
{
	uint64_t m;

	*mode = rng_pct(&R, 40) ? GMEM_NUMA_DEFAULT : rng_range(&R, 1, 3);
	*mask = 0;
	if (*mode == GMEM_NUMA_DEFAULT)
		return;
	do
		m = mem_nodes & rng_next(&R);
	while (!m);
	if (*mode == GMEM_NUMA_PREFERRED)
		m &= -m;		/* one node */
	*mask = m;
}

static void pool_add(uint64_t size, uint32_t flags)
{
	static uint64_t word;
	struct gmem_create c = { .size = sizeof(c), .flags = flags, .length = size };
	int gi = new_slot_in_pool(), fd;

	if (gi < 0)
		return;
	gen_policy(&c.numa_mode, &word);
	if (c.numa_mode != GMEM_NUMA_DEFAULT) {
		c.numa_maxnode = 64;
		c.numa_nodes = (uintptr_t)&word;
	}
	fd = ioctl(dev_fd, GMEM_CREATE, &c);
	if (fd < 0)
		bad("pool: GMEM_CREATE of %llu bytes, flags %#x, NUMA mode %u mask %#llx: %s",
		    (unsigned long long)size, flags, c.numa_mode,
		    (unsigned long long)word, errno_name(errno));
	model_init(&fds[gi], fd, size, flags);
	fds[gi].numa_mode = c.numa_mode;
	fds[gi].numa_mask = c.numa_mode ? word : 0;
}

static void slot_release(int s);

/* Keep the pool full and the memory it holds bounded. */
static void pool_tend(void)
{
	static const uint64_t pages[] = {
		1, 2, 3, 16, 17, 256, 513, 2048, 4096,
	};
	int live = 0, biggest = -1;
	uint64_t most = 0;

	for (int i = 0; i < NFD; i++) {
		if (fds[i].used && !fds[i].closed) {
			uint64_t h = count_pages(&fds[i], false);

			live++;
			if (h >= most)
				most = h, biggest = i;
		}
	}
	/* Closed fds kept only by bindings may fill the pool: let one go. */
	if (new_slot_in_pool() < 0) {
		for (uint32_t s = 0; s < GMEM_TEST_SLOTS; s++) {
			if (slots[s].used && fds[slots[s].gi].closed) {
				if (ioctl(ct, GMEM_TEST_UNBIND, &s))
					bad("pool: unbind: %s", errno_name(errno));
				slot_release(s);
			}
		}
	}
	while (live < NFD - 2) {
		uint32_t flags = rng_below(&R, 4);
		uint64_t size;

		/* huge fds always mappable: the model can then resync them */
		if (rng_pct(&R, 30))
			flags |= GMEM_CREATE_HUGE | GMEM_CREATE_MMAP;
		if (rng_pct(&R, 40))
			flags |= GMEM_CREATE_DIRTY_LOG;
		switch (rng_below(&R, 6)) {
		case 0: size = max_size; break;
		case 1: size = (1ULL << 32) + ps; break;
		case 2: size = 2 * SMALL_PAGES * ps; break;
		default: size = pages[rng_below(&R, 9)] * ps; break;
		}
		if (new_slot_in_pool() < 0)
			break;
		pool_add(size, flags);
		live++;
	}
	if (held_bytes() > HELD_MAX && biggest >= 0) {
		struct gfd *g = &fds[biggest];

		for (int k = 0; k < g->nwin; k++) {
			if (fallocate(g->fd, PUNCH, g->wstart[k] * ps, g->wn[k] * ps))
				bad("pool: punch: %s", errno_name(errno));
			model_punch(g, g->wstart[k], g->wstart[k] + g->wn[k]);
		}
	}
}

/* ---- the calls ---- */

/*
 * The NUMA fields of a GMEM_CREATE: a mode (mostly a known one), a mask
 * length and a mask placed at the end of page_b (the page after it is
 * unmapped) or nowhere readable.  *@words_readable says how many __u64
 * words of it can be read.
 */
static void gen_numa_args(struct gmem_create *c, uint64_t *words_readable)
{
	static const uint32_t maxnodes[] = {
		0, 1, 2, 3, 63, 64, 65, 128, 1024, 32768, 32769, UINT32_MAX,
	};
	uint32_t maxnode, nwords;
	uint64_t *mask;

	c->numa_mode = rng_pct(&R, 90) ? rng_below(&R, 4) :
		       rng_pct(&R, 50) ? 4 : (uint32_t)rng_next(&R);
	*words_readable = 0;
	if (c->numa_mode == GMEM_NUMA_DEFAULT && rng_pct(&R, 85))
		return;
	maxnode = rng_pct(&R, 60) ? 64 : rng_pct(&R, 80) ?
		  maxnodes[rng_below(&R, sizeof(maxnodes) / sizeof(maxnodes[0]))] :
		  (uint32_t)rng_next(&R) >> rng_below(&R, 32);
	c->numa_maxnode = maxnode;
	nwords = maxnode / 64 + !!(maxnode % 64);
	if (nwords > (uint32_t)ps / 8)
		nwords = ps / 8;
	switch (rng_below(&R, 12)) {
	case 0: c->numa_nodes = 0; return;
	case 1: c->numa_nodes = (uintptr_t)guard; return;
	case 2: c->numa_nodes = 0xffffffff81000000ULL; return;
	case 3:		/* the mask runs into the unmapped page */
		*words_readable = nwords ? rng_below(&R, nwords) : 0;
		break;
	default:
		*words_readable = nwords;
		break;
	}
	mask = (uint64_t *)(page_b + ps) - *words_readable;
	c->numa_nodes = (uintptr_t)mask;
	for (uint64_t i = 0; i < *words_readable; i++)
		mask[i] = 0;
	if (!*words_readable)
		return;
	switch (rng_below(&R, 8)) {
	case 0: mask[0] = 0; break;
	case 1: mask[0] = rng_next(&R); break;
	case 2: mask[0] = 1ULL << rng_below(&R, 64); break;
	case 3: mask[0] = mem_nodes & -mem_nodes; break;
	default: mask[0] = mem_nodes & (rng_next(&R) | (mem_nodes & -mem_nodes)); break;
	}
	if (*words_readable > 1 && rng_pct(&R, 15))
		mask[rng_below(&R, *words_readable)] |= 1ULL << rng_below(&R, 64);
}

/*
 * The errors the NUMA fields of @c may get, with @readable of the mask's
 * words readable: the documented EINVAL and EFAULT.
 */
static void numa_expect(const struct gmem_create *c, uint64_t readable,
			struct expect *e)
{
	const uint64_t *mask = (const uint64_t *)(uintptr_t)c->numa_nodes;
	uint32_t maxnode = c->numa_maxnode;
	uint64_t nwords = maxnode / 64 + !!(maxnode % 64), nodes = 0;
	bool invalid = false;

	if (c->numa_mode > GMEM_NUMA_INTERLEAVE) {
		allow(e, EINVAL);
		return;
	}
	if (c->numa_mode == GMEM_NUMA_DEFAULT) {
		if (maxnode || c->numa_nodes)
			allow(e, EINVAL);
		return;
	}
	if (!maxnode || !c->numa_nodes) {
		/* no mask: empty, or (NULL) unreadable */
		allow(e, EINVAL);
		if (maxnode)
			allow(e, EFAULT);
		return;
	}
	/* longer than mbind() takes: the module may refuse it outright */
	if (maxnode > 8 * (uint64_t)ps)
		allow(e, EINVAL);
	if (readable < nwords) {
		allow(e, EFAULT);
		/* what it could read may be wrong already */
		allow(e, EINVAL);
		return;
	}
	for (uint64_t w = 0; w < nwords; w++) {
		uint64_t bits = mask[w];

		if (w == nwords - 1 && maxnode % 64)
			bits &= (1ULL << (maxnode % 64)) - 1;
		for (; bits; bits &= bits - 1) {
			uint64_t n = w * 64 + __builtin_ctzll(bits);

			if (n >= (uint64_t)possible_nodes || n >= 64 ||
			    !(mem_nodes & 1ULL << n))
				invalid = true;
			else
				nodes |= 1ULL << n;
		}
	}
	if (invalid || !nodes ||
	    (c->numa_mode == GMEM_NUMA_PREFERRED && (nodes & (nodes - 1))))
		allow(e, EINVAL);
}

/* The nodes of a valid mask (its first word, as nodes are below 64). */
static uint64_t numa_mask_of(const struct gmem_create *c)
{
	uint64_t m;

	if (c->numa_mode == GMEM_NUMA_DEFAULT)
		return 0;
	m = *(const uint64_t *)(uintptr_t)c->numa_nodes;
	if (c->numa_maxnode < 64)
		m &= (1ULL << c->numa_maxnode) - 1;
	return m;
}

static void call_create(void)
{
	struct { struct gmem_create c; unsigned char tail[2 * 4096]; } s;
	enum ptr_kind pk = gen_ptr_kind();
	struct gmem_create eff;
	struct expect e = { 0 };
	size_t readable, structlen;
	uint64_t mask_words = 0;
	uint32_t size;
	void *p;
	int fd, err;

	memset(&s, 0, sizeof(s));
	switch (rng_below(&R, 12)) {
	case 0: size = rng_below(&R, 32); break;
	case 1: size = 33 + rng_below(&R, 64); break;
	case 2: size = ps - rng_below(&R, 2); break;
	case 3: size = ps + 1 + rng_below(&R, 64); break;
	case 4: size = rng_pct(&R, 50) ? UINT32_MAX : (uint32_t)rng_next(&R); break;
	case 5: size = GMEM_CREATE_SIZE_VER0; break;
	default: size = sizeof(s.c); break;
	}
	s.c.size = size;
	s.c.flags = rng_pct(&R, 80) ? rng_below(&R, 8) :
		    (uint32_t)rng_next(&R) >> rng_below(&R, 32);
	if (rng_pct(&R, 60)) {
		uint64_t n = rng_pct(&R, 80) ? rng_range(&R, 1, 64) :
			     rng_range(&R, 1, max_size / ps);

		s.c.length = n * ps;
	} else {
		s.c.length = interesting(rng_pct(&R, 50) ? max_size : 64 * (uint64_t)ps);
	}
	if (rng_pct(&R, 8))
		s.c.reserved[rng_below(&R, 2)] = rng_next(&R) | 1;
	gen_numa_args(&s.c, &mask_words);
	structlen = size <= sizeof(s) ? size : sizeof(s);
	if (structlen < sizeof(s.c))
		structlen = sizeof(s.c);
	if (size > sizeof(s.c) && size <= sizeof(s) && rng_pct(&R, 30))
		((unsigned char *)&s)[rng_range(&R, sizeof(s.c), size - 1)] =
			rng_below(&R, 255) + 1;
	if (structlen > 2 * (size_t)ps)
		structlen = 2 * ps;
	/* a size that cuts the pointer: no pointer (not a random address) */
	if (size > offsetof(struct gmem_create, numa_nodes) && size < sizeof(s.c))
		s.c.numa_nodes = 0;
	/* what the module sees: the fields past @size read as zero */
	eff = s.c;
	if (size < sizeof(eff))
		memset((unsigned char *)&eff + size, 0, sizeof(eff) - size);
	describe("GMEM_CREATE size %u flags %#x length %#llx reserved %#llx %#llx numa mode %u maxnode %u nodes %#llx (%llu words readable), %s pointer",
		 size, s.c.flags, (unsigned long long)s.c.length,
		 (unsigned long long)s.c.reserved[0],
		 (unsigned long long)s.c.reserved[1], s.c.numa_mode,
		 s.c.numa_maxnode, (unsigned long long)s.c.numa_nodes,
		 (unsigned long long)mask_words, ptr_names[pk]);
	p = place(pk, &s, structlen, &readable);

	if (readable < 4) {
		allow(&e, EFAULT);
	} else if (size < GMEM_CREATE_SIZE_VER0) {
		allow(&e, EINVAL);
	} else if (size > ps) {
		allow(&e, E2BIG);
	} else {
		bool tail = false;

		for (size_t i = sizeof(s.c); i < size && i < readable; i++)
			tail |= ((unsigned char *)&s)[i] != 0;
		if (tail)
			allow(&e, E2BIG);
		if (readable < size)
			allow(&e, EFAULT);
		if (readable >= (size < sizeof(eff) ? size : sizeof(eff))) {
			if (eff.flags & ~CREATE_FLAGS ||
			    eff.reserved[0] || eff.reserved[1] || !eff.length ||
			    eff.length % ps)
				allow(&e, EINVAL);
			if (eff.length > max_size)
				allow(&e, EFBIG);
			numa_expect(&eff, mask_words, &e);
		}
	}
	e.ok = e.n == 0;
	allow(&e, ENOMEM);
	allow(&e, EMFILE);
	allow(&e, ENFILE);

	fd = ioctl(dev_fd, GMEM_CREATE, p);
	err = errno;
	if (!judge(fd, err, &e))
		return;
	if (fcntl(fd, F_GETFD) != FD_CLOEXEC ||
	    (fcntl(fd, F_GETFL) & O_ACCMODE) != O_RDWR)
		bad("the new fd is not O_RDWR with FD_CLOEXEC");
	{
		int gi = new_slot_in_pool();

		/* a huge fd the model cannot resync (no mmap) is not pooled */
		if (gi < 0 || ((eff.flags & GMEM_CREATE_HUGE) &&
			       !(eff.flags & GMEM_CREATE_MMAP))) {
			/* Pool full: check it and let it go. */
			struct gmem_info info = { .size = sizeof(info) };

			if (ioctl(fd, GMEM_INFO, &info) || info.length != eff.length ||
			    info.create_flags != eff.flags || info.allocated ||
			    info.numa_mode != eff.numa_mode ||
			    info.shared_bytes != (eff.flags & GMEM_CREATE_SHARED ?
						  eff.length : 0))
				bad("the new fd's GMEM_INFO does not match its creation");
			close(fd);
			return;
		}
		model_init(&fds[gi], fd, eff.length, eff.flags);
		fds[gi].numa_mode = eff.numa_mode;
		fds[gi].numa_mask = numa_mask_of(&eff);
		check_fd_state(gi);
	}
}

static void call_convert(int gi)
{
	struct gfd *g = &fds[gi];
	struct gmem_convert c = { 0 };
	enum ptr_kind pk = gen_ptr_kind();
	struct expect e = { 0 };
	size_t readable;
	void *p;
	long ret;
	int err;

	{
		uint64_t o, l;

		gen_range(g, &o, &l, g->npages, true);
		c.offset = o;
		c.length = l;
	}
	c.to = rng_pct(&R, 90) ? rng_below(&R, 2) :
	       rng_pct(&R, 50) ? 2 : (uint32_t)rng_next(&R);
	c.flags = rng_pct(&R, 85) ? rng_below(&R, 2) : (uint32_t)rng_next(&R);
	c.error_offset = rng_next(&R);
	if (rng_pct(&R, 5))
		c.reserved[rng_below(&R, 2)] = rng_next(&R) | 1;
	describe("GMEM_CONVERT fd %d [%#llx, +%#llx) to %u flags %#x reserved %#llx %#llx, %s pointer",
		 gi, (unsigned long long)c.offset, (unsigned long long)c.length,
		 c.to, c.flags, (unsigned long long)c.reserved[0],
		 (unsigned long long)c.reserved[1], ptr_names[pk]);
	p = place(pk, &c, sizeof(c), &readable);

	if (readable < sizeof(c)) {
		allow(&e, EFAULT);
	} else {
		if (c.reserved[0] || c.reserved[1] ||
		    c.flags & ~CONVERT_FLAGS ||
		    (c.to != GMEM_PRIVATE && c.to != GMEM_SHARED) ||
		    !range_valid(g, c.offset, c.length))
			allow(&e, EINVAL);
	}
	e.ok = e.n == 0;
	allow(&e, ENOMEM);
	if (e.ok && c.to == GMEM_PRIVATE)
		allow(&e, writable(pk) ? EAGAIN : EFAULT);

	ret = ioctl(g->fd, GMEM_CONVERT, p);
	err = errno;
	if (!judge(ret, err, &e)) {
		if (err == EAGAIN) {
			struct gmem_convert *out = p;

			if (out->error_offset < c.offset ||
			    out->error_offset >= c.offset + c.length ||
			    out->error_offset % ps)
				bad("EAGAIN with error_offset %#llx outside the range",
				    (unsigned long long)out->error_offset);
		}
		return;
	}
	if (((struct gmem_convert *)p)->error_offset != c.error_offset)
		bad("a successful GMEM_CONVERT changed error_offset");
	FOR_PAGES(g, c.offset / ps, (c.offset + c.length) / ps, q, {
		q->shared = c.to == GMEM_SHARED;
		if (c.flags & GMEM_CONVERT_ZERO)
			q->hash = hash_zero;
	});
	if (touches_mid(g, c.offset / ps, (c.offset + c.length) / ps))
		g->mid_shared = c.to == GMEM_SHARED;
}

/* A mapping of a pool fd whose first page is @a's source, if any. */
static int pick_map(void)
{
	int live[NMAP], n = 0;

	for (int m = 0; m < NMAP; m++)
		if (maps[m].used)
			live[n++] = m;
	return n ? live[rng_below(&R, n)] : -1;
}

static void call_populate(int gi)
{
	struct gfd *g = &fds[gi];
	struct gmem_populate a = { 0 };
	enum ptr_kind pk = gen_ptr_kind();
	struct expect e = { 0 };
	uint64_t src_pages, expect_copied, n;
	uint64_t src_hash[SRC_PAGES + 1];
	int srckind = rng_below(&R, 10), mi = -1;
	size_t readable;
	const char *srcdesc;
	void *p;
	long ret;
	int err;

	{
		uint64_t o, l;

		gen_range(g, &o, &l, SRC_PAGES + 1, false);
		a.offset = o;
		a.length = l;
	}
	a.flags = rng_pct(&R, 92) ? 0 : (uint32_t)rng_next(&R) | 1;
	a.pad = rng_pct(&R, 95) ? 0 : (uint32_t)rng_next(&R) | 1;
	if (rng_pct(&R, 5))
		a.reserved[rng_below(&R, 2)] = rng_next(&R) | 1;
	a.copied = rng_next(&R);
	n = range_valid(g, a.offset, a.length) ? a.length / ps : 0;

	/* The source: how many whole pages can be read from it, and what. */
	fill_random(src, SRC_PAGES * ps);
	if (srckind < 5) {
		a.uaddr = (uintptr_t)src;
		src_pages = SRC_PAGES;
		srcdesc = "buffer";
	} else if (srckind < 7) {
		uint64_t skew = rng_range(&R, 1, ps - 1);

		a.uaddr = (uintptr_t)src + skew;
		src_pages = SRC_PAGES - 1;
		srcdesc = "unaligned buffer";
	} else if (srckind == 7) {
		a.uaddr = rng_pct(&R, 50) ? 0 : (uintptr_t)guard;
		src_pages = 0;
		srcdesc = "unmapped";
	} else {
		mi = pick_map();
		srcdesc = "gmem mapping";
		/* What lies after a short mapping is anyone's guess. */
		if (mi >= 0 && maps[mi].len / ps < n)
			mi = -1;
		if (mi < 0) {
			a.uaddr = (uintptr_t)src;
			src_pages = SRC_PAGES;
			srcdesc = "buffer";
		} else {
			a.uaddr = (uintptr_t)maps[mi].addr;
			src_pages = 0;	/* worked out below */
		}
	}
	for (uint64_t i = 0; i < SRC_PAGES && mi < 0; i++)
		src_hash[i] = i < src_pages ?
			      page_hash((unsigned char *)(uintptr_t)a.uaddr + i * ps) : 0;
	if (mi >= 0) {
		/* Page by page: readable while shared, inside the fd and mapped readable. */
		struct mapping *m = &maps[mi];
		struct gfd *sg = &fds[m->gi];

		if (call_no >= verbose_from)
			printf("# source: mapping %d of pool fd %d, pgoff %llu, %zu bytes, prot %#x\n",
			       mi, m->gi, (unsigned long long)m->pgoff, m->len, m->prot);
		for (src_pages = 0; src_pages < n && src_pages < m->len / ps; src_pages++) {
			uint64_t idx = m->pgoff + src_pages;
			struct pstate *q = idx < sg->npages ? pg(sg, idx) : NULL;

			/* x86: PROT_WRITE lets the kernel read too. */
			if (!(m->prot & (PROT_READ | PROT_WRITE)) ||
			    idx >= sg->npages || !q || !q->shared)
				break;
			src_hash[src_pages] = q->hash;
		}
		/* A source page between the windows would change the middle. */
		if (src_pages < n && src_pages < m->len / ps) {
			uint64_t idx = m->pgoff + src_pages;

			if (idx < sg->npages && !pg(sg, idx) &&
			    (m->prot & (PROT_READ | PROT_WRITE)) && sg->mid_shared)
				n = 0, a.offset = 1;	/* make it fail early */
		}
	}
	describe("GMEM_POPULATE fd %d [%#llx, +%#llx) from %s %#llx (%llu pages readable) flags %#x pad %#x reserved %#llx %#llx, %s pointer",
		 gi, (unsigned long long)a.offset, (unsigned long long)a.length,
		 srcdesc, (unsigned long long)a.uaddr,
		 (unsigned long long)src_pages, a.flags, a.pad,
		 (unsigned long long)a.reserved[0],
		 (unsigned long long)a.reserved[1], ptr_names[pk]);
	p = place(pk, &a, sizeof(a), &readable);

	expect_copied = 0;
	if (readable < sizeof(a)) {
		allow(&e, EFAULT);
	} else if (a.flags || a.pad || a.reserved[0] || a.reserved[1] ||
		   !range_valid(g, a.offset, a.length)) {
		allow(&e, EINVAL);
	} else {
		if (any_shared(g, a.offset / ps, a.offset / ps + n)) {
			allow(&e, EINVAL);
		} else {
			expect_copied = (src_pages < n ? src_pages : n) * ps;
			if (expect_copied < a.length)
				allow(&e, EFAULT);
		}
		/* copied is written back whatever happened. */
		if (!writable(pk))
			allow(&e, EFAULT);
	}
	e.ok = e.n == 0;
	if (readable >= sizeof(a) && (e.ok || allowed(&e, EFAULT)) && n) {
		allow(&e, ENOMEM);
		allow(&e, ENOSPC);
	}

	ret = ioctl(g->fd, GMEM_POPULATE, p);
	err = errno;
	judge(ret, err, &e);
	if (readable < sizeof(a) || (ret < 0 && err == EINVAL))
		return;
	if (mi >= 0 && n) {
		/* Source pages the copy touched were faulted in. */
		struct mapping *m = &maps[mi];
		uint64_t end = m->pgoff + n;

		if (end > fds[m->gi].npages)
			end = fds[m->gi].npages;
		resync_present(m->gi, m->pgoff, end);
	}
	if (!writable(pk)) {
		/* It could not say how far it got: start the range over. */
		if (n) {
			if (fallocate(g->fd, PUNCH, a.offset, a.length))
				bad("punch after populate: %s", errno_name(errno));
			model_punch(g, a.offset / ps, a.offset / ps + n);
			/*
			 * In a huge fd the copy may have allocated whole blocks
			 * around the range, and the punch split them.
			 */
			if (is_huge(g)) {
				resync_present(gi, a.offset / ps,
					       a.offset / ps + n);
				g->large_unknown = true;
			}
		}
		return;
	}
	{
		uint64_t copied = ((struct gmem_populate *)p)->copied;

		if (copied % ps || copied > a.length ||
		    (ret == 0 && copied != a.length) ||
		    (ret < 0 && err == EFAULT && copied != expect_copied) ||
		    (ret < 0 && err != EFAULT && copied > expect_copied))
			bad("copied %llu (length %llu, %llu readable): wrong",
			    (unsigned long long)copied, (unsigned long long)a.length,
			    (unsigned long long)expect_copied);
		for (uint64_t i = 0; i < copied / ps; i++) {
			model_got_page(g, a.offset / ps + i);
			pg(g, a.offset / ps + i)->hash = src_hash[i];
		}
	}
}

/*
 * GMEM_INFO with every kind of size (below the first version, the
 * module's, larger with a zero or non-zero tail, above a page), flags and
 * pointer; the out fields come in as junk.  Now and then the first
 * GMEM_INFO, which reads nothing.
 */
static void call_info(int gi)
{
	struct gfd *g = &fds[gi];
	enum ptr_kind pk = gen_ptr_kind();
	struct { struct gmem_info i; unsigned char tail[64]; } s;
	bool v0 = rng_pct(&R, 10);
	struct expect e = { 0 };
	size_t readable, len;
	uint32_t size;
	bool tail = false;
	void *p;
	long ret;

	memset(&s, 0x5a, sizeof(s));
	memset(s.tail, 0, sizeof(s.tail));
	switch (rng_below(&R, 8)) {
	case 0: size = rng_below(&R, GMEM_INFO_SIZE_VER0); break;
	case 1: size = sizeof(s.i) + 1 + rng_below(&R, sizeof(s.tail)); break;
	case 2: size = rng_pct(&R, 50) ? ps + 1 + rng_below(&R, 64) :
				      (uint32_t)rng_next(&R); break;
	default: size = sizeof(s.i); break;
	}
	/* past our buffer but within a page: bytes we did not choose */
	if (size > sizeof(s) && size <= ps)
		size = ps + 1;
	s.i.size = size;
	s.i.flags = rng_pct(&R, 95) ? 0 : (uint32_t)rng_next(&R) | 1;
	if (size > sizeof(s.i) && size <= sizeof(s) && rng_pct(&R, 30)) {
		((unsigned char *)&s)[rng_range(&R, sizeof(s.i), size - 1)] =
			rng_below(&R, 255) + 1;
		tail = true;
	}
	len = size > sizeof(s.i) && size <= sizeof(s) ? size : sizeof(s.i);
	describe("GMEM_INFO%s fd %d size %u flags %#x%s, %s pointer",
		 v0 ? " (first version)" : "", gi, size, s.i.flags,
		 tail ? " non-zero tail" : "", ptr_names[pk]);
	p = place(pk, &s, len, &readable);
	if (v0) {
		/* 72 bytes written: a straddling struct may have room */
		if (pk == P_STRADDLE ? readable < 72 : !writable(pk))
			allow(&e, EFAULT);
	} else if (readable < sizeof(s.i.size)) {
		allow(&e, EFAULT);
	} else if (size < GMEM_INFO_SIZE_VER0) {
		allow(&e, EINVAL);
	} else if (size > ps) {
		allow(&e, E2BIG);
	} else {
		/* a fault in the tail before its non-zero byte: EFAULT */
		if (tail)
			allow(&e, E2BIG);
		if (readable < size)
			allow(&e, EFAULT);
		if (s.i.flags)
			allow(&e, EINVAL);
		if (!writable(pk))
			allow(&e, EFAULT);
	}
	e.ok = e.n == 0;
	ret = ioctl(g->fd, v0 ? GMEM_INFO_V0 : GMEM_INFO, p);
	if (!judge(ret, errno, &e))
		return;
	if (!v0 && ((struct gmem_info *)p)->size != sizeof(s.i))
		bad("GMEM_INFO of size %u filled %u bytes", size,
		    ((struct gmem_info *)p)->size);
	check_fd_state(gi);
}

/* A block of huge fd @g that holds some pages, not all; its first page. */
static bool holey_block(struct gfd *g, uint64_t *blk)
{
	for (int k = 0; k < g->nwin; k++) {
		uint64_t first = g->wstart[k] + HUGE_PAGES - 1;

		first -= first % HUGE_PAGES;
		for (uint64_t b = first; b + HUGE_PAGES <= g->wstart[k] + g->wn[k] &&
		     b + HUGE_PAGES <= g->npages; b += HUGE_PAGES) {
			uint64_t n = 0;

			for (uint64_t i = b; i < b + HUGE_PAGES; i++)
				n += pg(g, i)->present;
			if (n && n < HUGE_PAGES) {
				*blk = b;
				return true;
			}
		}
	}
	return false;
}

static void call_fallocate(int gi)
{
	static const int modes[] = {
		FALLOC_FL_KEEP_SIZE, PUNCH, 0, FALLOC_FL_PUNCH_HOLE,
		FALLOC_FL_ZERO_RANGE, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
		FALLOC_FL_COLLAPSE_RANGE, FALLOC_FL_INSERT_RANGE,
		FALLOC_FL_UNSHARE_RANGE, FALLOC_FL_UNSHARE_RANGE | FALLOC_FL_KEEP_SIZE,
		FALLOC_FL_NO_HIDE_STALE | PUNCH, FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_KEEP_SIZE,
		FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
	};
	struct gfd *g = &fds[gi];
	struct expect e = { 0 };
	uint64_t off, len;
	int mode;
	long ret;
	int err;

	if (rng_pct(&R, 85))
		mode = rng_pct(&R, 55) ? modes[rng_below(&R, 2)] :
		       modes[rng_below(&R, sizeof(modes) / sizeof(modes[0]))];
	else
		mode = (int)(rng_next(&R) >> rng_below(&R, 64));
	/* a huge fd's blocks are allocated whole only by a range covering them */
	gen_range(g, &off, &len, mode != FALLOC_FL_KEEP_SIZE ? g->npages :
		  is_huge(g) && rng_pct(&R, 25) ? 2 * HUGE_PAGES : ALLOC_PAGES,
		  mode != FALLOC_FL_KEEP_SIZE);
	/*
	 * Sometimes the holes of a block a punch left in part: whole again,
	 * in small folios, it is what GMEM_MIGRATE_COLLAPSE re-forms.
	 */
	if (mode == FALLOC_FL_KEEP_SIZE && is_huge(g) && rng_pct(&R, 30)) {
		uint64_t blk;

		if (holey_block(g, &blk)) {
			off = blk * ps;
			len = HUGE_PAGES * ps;
		}
	}
	describe("fallocate fd %d mode %#x offset %lld len %lld", gi, mode,
		 (long long)off, (long long)len);

	if ((int64_t)off < 0 || (int64_t)len <= 0)
		allow(&e, EINVAL);
	if (mode != FALLOC_FL_KEEP_SIZE && mode != PUNCH)
		allow(&e, EOPNOTSUPP);
	/*
	 * Older VFSes (6.1) refuse COLLAPSE_RANGE or INSERT_RANGE with
	 * another flag, and UNSHARE_RANGE with any but KEEP_SIZE, with EINVAL
	 * (gmem(4): fallocate's EINVAL).
	 */
	if (((mode & FALLOC_FL_COLLAPSE_RANGE) && (mode & ~FALLOC_FL_COLLAPSE_RANGE)) ||
	    ((mode & FALLOC_FL_INSERT_RANGE) && (mode & ~FALLOC_FL_INSERT_RANGE)) ||
	    ((mode & FALLOC_FL_UNSHARE_RANGE) &&
	     (mode & ~(FALLOC_FL_UNSHARE_RANGE | FALLOC_FL_KEEP_SIZE))))
		allow(&e, EINVAL);
	if ((int64_t)off >= 0 && (int64_t)len > 0 &&
	    (int64_t)(off + len) < 0)
		allow(&e, EFBIG);
	if (!range_valid(g, off, len))
		allow(&e, EINVAL);
	e.ok = e.n == 0;
	if (e.ok && mode == FALLOC_FL_KEEP_SIZE) {
		allow(&e, ENOMEM);
		allow(&e, ENOSPC);
	}
	ret = fallocate(g->fd, mode, (off_t)off, (off_t)len);
	err = errno;
	if (!judge(ret, err, &e))
		return;
	if (mode == PUNCH)
		model_punch(g, off / ps, (off + len) / ps);
	else
		model_alloc(g, off / ps, (off + len) / ps);
}

/* The node of the page mapped at @addr (move_pages(2), no move), or -errno. */
static int node_of(void *addr)
{
	void *pages[1] = { addr };
	int status = -ENOENT;

	if (syscall(SYS_move_pages, 0, 1UL, pages, NULL, &status, 0))
		return -errno;
	return status;
}

/*
 * Page @i of @g, mapped at @addr, is on a node the policies allowed when
 * it was allocated (or GMEM_MIGRATE moved it to).
 */
static void check_node(struct gfd *g, uint64_t i, void *addr, const char *how)
{
	int node;

	if (__builtin_popcountll(mem_nodes) < 2)
		return;
	node = node_of(addr);
	if (node < 0)
		bad("%s page %llu: move_pages() finds no node: %s", how,
		    (unsigned long long)i, errno_name(-node));
	if (!node_in(pg(g, i)->at, node))
		bad("%s page %llu is on node %d; the model has it on %#llx (mbind policy %#llx, fd's %u %#llx, task's %#llx)",
		    how, (unsigned long long)i, node,
		    (unsigned long long)pg(g, i)->at,
		    (unsigned long long)pg(g, i)->rp, g->numa_mode,
		    (unsigned long long)g->numa_mask,
		    (unsigned long long)kpol_where(&task_pol));
	stat_placed++;
}

/* Touch a few pages of mapping @mi; check what must happen. */
static void touch_map(int mi, int count)
{
	struct mapping *m = &maps[mi];
	struct gfd *g = &fds[m->gi];

	for (int t = 0; t < count; t++) {
		uint64_t i = rng_below(&R, m->len / ps), idx = m->pgoff + i;
		unsigned char *addr = m->addr + i * ps;
		bool write = rng_pct(&R, 40);
		struct pstate *q = idx < g->npages ? pg(g, idx) : NULL;
		int want_sig;
		struct fault f;

		if (idx < g->npages && !q)
			continue;	/* between the windows: not ours to touch */
		if (!(m->prot & PROT_READ) && !(m->prot & PROT_WRITE))
			want_sig = SIGSEGV;
		else if (write && !(m->prot & PROT_WRITE))
			want_sig = SIGSEGV;
		else if (idx >= g->npages || !q->shared)
			want_sig = SIGBUS;
		else
			want_sig = 0;
		describe("touch mapping %d (fd %d, pgoff %llu, %zu bytes, prot %#x) page %llu, %s",
			 mi, m->gi, (unsigned long long)m->pgoff, m->len, m->prot,
			 (unsigned long long)i, write ? "write" : "read");
		stat_calls[6]++;
		if (write) {
			unsigned char v = 0;

			if (!want_sig) {
				f = fault_read(addr, &v);
				if (f.sig)
					bad("reading a shared page: %s", fault_str(f));
				model_got_page(g, idx);
				if (q->hash != HASH_UNKNOWN && page_hash(addr) != q->hash)
					bad("shared page %llu of fd %d does not hold what it should",
					    (unsigned long long)idx, m->gi);
			}
			f = fault_write(addr + rng_below(&R, ps), (unsigned char)rng_next(&R));
		} else {
			f = fault_read(addr, NULL);
		}
		if (f.sig != want_sig || (want_sig && f.addr != addr && !write))
			bad("%s: got %s, expected %s", write ? "write" : "read",
			    fault_str(f), want_sig == SIGBUS ? "SIGBUS" :
			    want_sig == SIGSEGV ? "SIGSEGV" : "no fault");
		if (want_sig)
			continue;
		model_got_page(g, idx);
		check_node(g, idx, addr, "touched");
		if (write)
			q->hash = page_hash(addr);
		else if (q->hash != HASH_UNKNOWN && page_hash(addr) != q->hash)
			bad("shared page %llu of fd %d does not hold what it should",
			    (unsigned long long)idx, m->gi);
		else
			q->hash = page_hash(addr);
	}
}

static void call_mmap(int gi)
{
	static const int types[] = {
		MAP_SHARED, MAP_SHARED, MAP_SHARED, MAP_SHARED_VALIDATE,
		MAP_PRIVATE, 0, 0x04, 0x0f, MAP_DROPPABLE,
	};
	static const int extra[] = {
		MAP_POPULATE, MAP_LOCKED, MAP_NORESERVE, MAP_HUGETLB, MAP_SYNC,
		MAP_32BIT, MAP_ABOVE4G, MAP_STACK, MAP_NONBLOCK, MAP_GROWSDOWN,
		0x0800, 0x1000, 0x4000000, 1 << 21, 1 << 27,
	};
	struct gfd *g = &fds[gi];
	struct expect e = { 0 };
	uint64_t off, len, pgoff, aligned;
	int prot, flags, mi, err;
	void *ret;

	for (mi = 0; mi < NMAP && maps[mi].used; mi++)
		;
	if (mi == NMAP) {
		mi = rng_below(&R, NMAP);
		munmap(maps[mi].addr, maps[mi].len);
		maps[mi].used = false;
	}
	if (rng_pct(&R, 70)) {
		uint64_t n = rng_range(&R, 1, g->npages < 64 ? g->npages + 1 : 64);
		int k = rng_below(&R, g->nwin);

		off = (g->wstart[k] + rng_below(&R, g->wn[k])) * ps;
		len = n * ps - (rng_pct(&R, 10) ? rng_range(&R, 1, ps - 1) : 0);
	} else {
		off = interesting(g->size);
		len = interesting(g->size);
	}
	prot = rng_below(&R, 8);
	flags = types[rng_pct(&R, 60) ? 0 : rng_below(&R, 9)];
	for (int i = rng_below(&R, 3); i > 0; i--)
		flags |= extra[rng_below(&R, sizeof(extra) / sizeof(extra[0]))];
	aligned = (len + ps - 1) & ~(uint64_t)(ps - 1);
	/* Never let population allocate more than a little, or the middle. */
	if ((flags & (MAP_POPULATE | MAP_LOCKED)) &&
	    (aligned > 4 * 1024 * 1024 || aligned < len ||
	     !in_windows(g, off / ps, off / ps + (aligned ? aligned / ps : 1) >
			 g->npages ? g->npages : off / ps + aligned / ps)))
		flags &= ~(MAP_POPULATE | MAP_LOCKED);
	describe("mmap fd %d len %#llx prot %#x flags %#x offset %#llx", gi,
		 (unsigned long long)len, prot, flags, (unsigned long long)off);

	pgoff = off / ps;
	if (off % ps || flags & MAP_HUGETLB || !len)
		allow(&e, EINVAL);
	else if (!aligned)
		allow(&e, ENOMEM);
	else if (pgoff + aligned / ps < pgoff ||
		 aligned > INT64_MAX || pgoff > (INT64_MAX - aligned) / ps)
		allow(&e, EOVERFLOW);
	if (len && aligned && aligned > (1ULL << 47))
		allow(&e, ENOMEM);	/* more than the address space */
	switch (flags & 0x0f) {
	case MAP_SHARED_VALIDATE:
		if (flags & ~(LEGACY_MAP_FLAGS))
			allow(&e, EOPNOTSUPP);
		/* fallthrough */
	case MAP_SHARED:
	case MAP_PRIVATE:
		if (prot & PROT_EXEC)
			allow(&e, EPERM);
		if (flags & MAP_GROWSDOWN)
			allow(&e, EINVAL);
		if (!(g->flags & GMEM_CREATE_MMAP))
			allow(&e, ENODEV);
		if ((flags & 0x0f) == MAP_PRIVATE)
			allow(&e, EINVAL);
		break;
	default:
		allow(&e, EINVAL);
	}
	e.ok = e.n == 0;
	if (e.ok && (flags & MAP_LOCKED))
		allow(&e, EAGAIN);	/* mlock limits, as for any file */
	/* MAP_ABOVE4G is new in 6.5: older kernels do not validate it. */
	if ((flags & 0x0f) == MAP_SHARED_VALIDATE && (flags & MAP_ABOVE4G))
		allow(&e, EOPNOTSUPP);
	/* No room left in the address space may or may not happen. */
	if (len && (aligned >= (1ULL << 40) ||
		    /* overcommit: a writable private mapping is accounted */
		    ((flags & 0x0f) == MAP_PRIVATE && (prot & PROT_WRITE) &&
		     aligned >= (1ULL << 28)) ||
		     ((flags & MAP_32BIT) && aligned >= (1ULL << 28))))
		allow(&e, ENOMEM);

	ret = mmap(NULL, len, prot, flags, g->fd, off);
	err = errno;
	if (!judge(ret == MAP_FAILED ? -1 : 0, err, &e))
		return;
	maps[mi] = (struct mapping) {
		.used = true, .gi = gi, .addr = ret, .len = aligned,
		.pgoff = pgoff, .prot = prot,
	};
	if (flags & (MAP_POPULATE | MAP_LOCKED)) {
		uint64_t end = pgoff + aligned / ps;

		resync_present(gi, pgoff, end > g->npages ? g->npages : end);
	}
	if (aligned > (1ULL << 40)) {
		/* Huge: nothing to touch usefully; let it go. */
		munmap(ret, aligned);
		maps[mi].used = false;
		return;
	}
	touch_map(mi, rng_range(&R, 0, 3));
}

/* A node to migrate to: mostly one with memory, else anything. */
static uint32_t gen_node(void)
{
	uint64_t m = mem_nodes;

	if (rng_pct(&R, 85)) {
		for (int n = rng_below(&R, __builtin_popcountll(m)); n; n--)
			m &= m - 1;
		return __builtin_ctzll(m);
	}
	switch (rng_below(&R, 6)) {
	case 0: return possible_nodes;
	case 1: return 64;
	case 2: return UINT32_MAX;
	case 3: return 0x80000000u;
	case 4: return rng_below(&R, possible_nodes + 2);
	default: return (uint32_t)rng_next(&R);
	}
}

static bool node_valid(uint32_t node)
{
	return node < (uint32_t)possible_nodes && node < 64 &&
	       (mem_nodes & 1ULL << node);
}

/* Bytes the model holds in pages [a, b). */
static uint64_t present_bytes(struct gfd *g, uint64_t a, uint64_t b)
{
	uint64_t n = 0;

	FOR_PAGES(g, a, b, q, n += q->present);
	return n * ps;
}

/*
 * The blocks of [@lo, @hi) (@lo block aligned) a collapse re-forms: inside
 * the fd, every page there, not one 2 MiB folio yet.  Their first pages
 * into @q (up to @max); returns how many.
 */
static int collapsible(struct gfd *g, uint64_t lo, uint64_t hi, uint64_t *q,
		       int max)
{
	int n = 0;

	for (uint64_t blk = lo; blk + HUGE_PAGES <= hi && n < max;
	     blk += HUGE_PAGES) {
		bool whole = pg(g, blk) && !pg(g, blk)->big;

		for (uint64_t i = blk; whole && i < blk + HUGE_PAGES; i++)
			whole = pg(g, i) && pg(g, i)->present;
		if (whole)
			q[n++] = blk;
	}
	return n;
}

/* GMEM_INFO's large_folios of pool fd @g. */
static long long kernel_large_folios(struct gfd *g)
{
	struct gmem_info info = { .size = sizeof(info) };

	if (ioctl(g->fd, GMEM_INFO, &info))
		bad("GMEM_INFO of pool fd %d: %s", (int)(g - fds),
		    errno_name(errno));
	return info.large_folios;
}

/* A collapse made @k of the @nblocks qualifying @blocks 2 MiB folios. */
static void model_collapsed(struct gfd *g, const uint64_t *blocks, int k,
			    int nblocks)
{
	if (k == nblocks || !g->large_unknown)
		for (int i = 0; i < k; i++) {
			pg(g, blocks[i])->big = 1;
			stat_big++;
		}
	stat_collapsed += k;
	stat_collapse_calls++;
	stat_collapse_candidates += nblocks > 0;
}

static void call_migrate(int gi)
{
	struct gfd *g = &fds[gi];
	struct gmem_migrate a = { 0 };
	enum ptr_kind pk = gen_ptr_kind();
	struct expect e = { 0 };
	uint64_t lo = 0, hi = 0, bound = 0, blocks[64];
	struct gmem_migrate *out;
	bool collapse, by_policy;
	long long large0 = 0;
	int nblocks = 0, k;
	size_t readable;
	void *p;
	long ret;
	int err;

	{
		uint64_t o, l;

		gen_range(g, &o, &l, g->npages, true);
		a.offset = o;
		a.length = l;
	}
	a.node = gen_node();
	if (rng_pct(&R, 85))
		a.flags = rng_pct(&R, 60) ? 0 : GMEM_MIGRATE_COLLAPSE;
	else
		a.flags = (uint32_t)rng_next(&R) >> rng_below(&R, 32) | 1;
	collapse = a.flags == GMEM_MIGRATE_COLLAPSE;
	if (collapse && rng_pct(&R, 50))
		a.node = GMEM_MIGRATE_NODE_POLICY;
	/* mostly over a block that can be collapsed, when there is one */
	if (collapse && is_huge(g) && rng_pct(&R, 70)) {
		for (int k = 0; k < g->nwin; k++) {
			uint64_t first = g->wstart[k] - g->wstart[k] % HUGE_PAGES;
			uint64_t q;

			if (!collapsible(g, first, g->wstart[k] + g->wn[k], &q, 1))
				continue;
			a.offset = (q + rng_below(&R, HUGE_PAGES)) * ps;
			a.length = ps;
			break;
		}
	}
	by_policy = collapse && a.node == GMEM_MIGRATE_NODE_POLICY;
	if (rng_pct(&R, 5))
		a.reserved = rng_next(&R) | 1;
	/* out fields: what comes in is ignored */
	a.moved = rng_next(&R);
	a.collapsed = rng_next(&R);
	a.error_offset = rng_next(&R);
	describe("GMEM_MIGRATE fd %d [%#llx, +%#llx) to node %u flags %#x reserved %#llx, %s pointer",
		 gi, (unsigned long long)a.offset, (unsigned long long)a.length,
		 a.node, a.flags, (unsigned long long)a.reserved,
		 ptr_names[pk]);
	p = place(pk, &a, sizeof(a), &readable);
	if (readable < sizeof(a))
		allow(&e, EFAULT);
	else if (a.flags & ~MIGRATE_FLAGS || a.reserved ||
		 (collapse && !is_huge(g)) ||
		 !(node_valid(a.node) || by_policy) ||
		 !range_valid(g, a.offset, a.length))
		allow(&e, EINVAL);
	e.ok = e.n == 0;
	if (e.ok) {
		/* no room on the node, max_total, a signal */
		allow(&e, ENOMEM);
		allow(&e, ENOSPC);
		allow(&e, EINTR);
		/* a page in use: only for a moment here (an LRU batch) */
		allow(&e, EBUSY);
		/* moved is written back whatever happened */
		if (!writable(pk))
			allow(&e, EFAULT);
		/* folios move whole: a huge fd's blocks at the ends too */
		lo = a.offset / ps;
		hi = (a.offset + a.length) / ps;
		if (is_huge(g)) {
			lo -= lo % HUGE_PAGES;
			hi = (hi + HUGE_PAGES - 1) / HUGE_PAGES * HUGE_PAGES;
			if (hi > g->npages)
				hi = g->npages;
		}
		bound = by_policy ? 0 : present_bytes(g, lo, hi);
		if (collapse)
			nblocks = collapsible(g, lo, hi, blocks, 64);
	}
	/*
	 * A struct gmem cannot write back still gets the work done, then
	 * EFAULT: GMEM_INFO's count before and after tells how many blocks
	 * collapsed (nothing else makes or splits a 2 MiB folio here).  Not
	 * once a punch has split a 2 MiB folio (large_unknown): the pieces
	 * may be large folios too, and a collapse replaces several.
	 */
	if (e.ok && !writable(pk) && nblocks && !g->large_unknown)
		large0 = kernel_large_folios(g);
	ret = ioctl(g->fd, GMEM_MIGRATE, p);
	err = errno;
	out = p;
	/*
	 * Whatever the result, some pages may have moved (EFAULT: after),
	 * or been re-formed where the policies place them.
	 */
	if (e.ok)
		FOR_PAGES(g, lo, hi, q, {
			if (!q->present)
				continue;
			if (!by_policy)
				q->at |= a.node < 64 ? 1ULL << a.node : ALL_NODES;
			if (collapse)
				q->at |= where(g, i_);
		});
	if (!judge(ret, err, &e) && (!e.ok || !writable(pk))) {
		if (e.ok && nblocks && !g->large_unknown) {
			k = kernel_large_folios(g) - large0;
			if (k < 0 || k > nblocks)
				bad("GMEM_MIGRATE_COLLAPSE (%s, nothing written back) made %d 2 MiB folios; the model has %d blocks to collapse",
				    errno_name(err), k, nblocks);
			model_collapsed(g, blocks, k, nblocks);
		}
		return;
	}
	if (ret) {
		if (err == EBUSY &&
		    (out->error_offset < lo * ps ||
		     out->error_offset >= a.offset + a.length ||
		     out->error_offset % ps))
			bad("EBUSY with error_offset %#llx outside the range",
			    (unsigned long long)out->error_offset);
		if (err != EBUSY && out->error_offset != a.error_offset)
			bad("GMEM_MIGRATE failing with %s wrote error_offset",
			    errno_name(err));
	} else if (out->error_offset != a.error_offset) {
		bad("a successful GMEM_MIGRATE changed error_offset");
	}
	if (out->moved % ps || out->moved > bound)
		bad("GMEM_MIGRATE (%s) moved %#llx bytes, at most %#llx are there",
		    ret ? errno_name(err) : "success",
		    (unsigned long long)out->moved, (unsigned long long)bound);
	stat_moved += out->moved;
	if (!collapse) {
		if (out->collapsed)
			bad("GMEM_MIGRATE without GMEM_MIGRATE_COLLAPSE says it collapsed %#llx bytes",
			    (unsigned long long)out->collapsed);
		return;
	}
	/*
	 * Blocks collapse in order, so the first k of those the model
	 * knows to qualify did; all of them when the call succeeded.
	 * A block the model takes for pages may be one folio after a punch
	 * that could not split it (large_unknown): then fewer may collapse,
	 * and the model cannot tell which.
	 */
	k = out->collapsed / (HUGE_PAGES * ps);
	if (out->collapsed % (HUGE_PAGES * ps) || k > nblocks ||
	    (!ret && k != nblocks && !g->large_unknown))
		bad("GMEM_MIGRATE_COLLAPSE (%s) collapsed %#llx bytes; the model has %d blocks to collapse",
		    ret ? errno_name(err) : "success",
		    (unsigned long long)out->collapsed, nblocks);
	model_collapsed(g, blocks, k, nblocks);
}

static void call_ioctl_other(int gi)
{
	static const unsigned int ours[] = {
		GMEM_CREATE, GMEM_CONVERT, GMEM_POPULATE, GMEM_INFO,
		GMEM_MIGRATE, GMEM_FEATURES, GMEM_INFO_V0,
	};
	bool on_dev = rng_pct(&R, 30);
	int fd = on_dev ? dev_fd : fds[gi].fd;
	struct expect e = { 0 };
	unsigned int cmd;
	long ret;

	for (;;) {
		switch (rng_below(&R, 4)) {
		case 0:		/* ours, with another direction or size */
			cmd = ours[rng_below(&R, 7)] ^ (1U << rng_range(&R, 16, 31));
			break;
		case 1:		/* ours, on the wrong fd */
			cmd = on_dev ? ours[rng_range(&R, 1, 4)] :
			      rng_pct(&R, 50) ? GMEM_CREATE : GMEM_FEATURES;
			break;
		case 2:		/* gmem's type, another number */
			cmd = _IOC(rng_below(&R, 4), GMEM_IOCTL_TYPE,
				   rng_range(&R, 5, 255), rng_below(&R, 1 << 14));
			break;
		default:
			cmd = (unsigned int)rng_next(&R);
		}
		/* A command this file serves is not "other". */
		if (on_dev ? cmd == GMEM_CREATE || cmd == GMEM_FEATURES :
		    cmd == GMEM_CONVERT || cmd == GMEM_POPULATE ||
		    cmd == GMEM_INFO || cmd == GMEM_MIGRATE ||
		    cmd == GMEM_INFO_V0 || cmd == GMEM_QUERY ||
		    cmd == GMEM_DIRTY_LOG || cmd == GMEM_MISSING_ARM ||
		    cmd == GMEM_MISSING_EVENTS)
			continue;
		/* Commands the VFS answers for every file are not ours. */
		if ((cmd >> 8 & 0xff) != 'T' && (cmd >> 8 & 0xff) != 'f' &&
		    (cmd >> 8 & 0xff) != 'X' && (cmd >> 8 & 0xff) != 0x15 &&
		    (cmd >> 8 & 0xff) != 0x94 && (cmd >> 8 & 0xff) != 0x12)
			break;
	}
	describe("ioctl %s cmd %#x", on_dev ? "/dev/gmem" : "memory fd", cmd);
	allow(&e, ENOTTY);
	ret = ioctl(fd, cmd, argbuf);
	judge(ret, errno, &e);
}

/* Page @i of @g is shared (the middle between the windows as a whole). */
static bool page_shared(struct gfd *g, uint64_t i)
{
	struct pstate *q = pg(g, i);

	return q ? q->shared : g->mid_shared;
}

/* Page @i of @g holds memory: the middle never does. */
static bool page_present(struct gfd *g, uint64_t i)
{
	struct pstate *q = pg(g, i);

	return q && q->present;
}

/*
 * What read() or write() of @cnt bytes at @pos copies, by the model: the
 * bytes of shared pages from @pos up to the first private page, the end
 * of the fd or @cnt; -EACCES when the first page is private.  Whether a
 * page between the windows would be written goes to *@mid.
 */
static long rw_bytes(struct gfd *g, uint64_t pos, uint64_t cnt, bool *mid)
{
	uint64_t n = 0, p = pos;

	*mid = false;
	while (n < cnt && p < g->size) {
		uint64_t i = p / ps, chunk = ps - p % ps;

		if (!page_shared(g, i))
			return n ? (long)n : -EACCES;
		*mid |= !pg(g, i);
		if (chunk > cnt - n)
			chunk = cnt - n;
		if (chunk > g->size - p)
			chunk = g->size - p;
		n += chunk;
		p += chunk;
	}
	return n;
}

/*
 * The bytes @buf read from [@pos, @pos + @n) hold what the model says:
 * a whole page its hash, part of a page without memory (or known to be
 * zero) zeroes.
 */
static void check_read(struct gfd *g, uint64_t pos, const unsigned char *buf,
		       uint64_t n)
{
	for (uint64_t p = pos; p < pos + n;) {
		uint64_t i = p / ps, chunk = ps - p % ps;
		struct pstate *q = pg(g, i);
		const unsigned char *b = buf + (p - pos);
		uint64_t hash = q ? q->hash : hash_zero;

		if (chunk > pos + n - p)
			chunk = pos + n - p;
		if (chunk == (uint64_t)ps && hash != HASH_UNKNOWN &&
		    page_hash(b) != hash)
			bad("read: shared page %llu does not hold what it should",
			    (unsigned long long)i);
		if (chunk < (uint64_t)ps && hash == hash_zero)
			for (uint64_t j = 0; j < chunk; j++)
				if (b[j])
					bad("read: page %llu reads byte %#x at %llu, zero expected",
					    (unsigned long long)i, b[j],
					    (unsigned long long)(p % ps + j));
		p += chunk;
	}
}

/*
 * Before a write of [@pos, @pos + @n) from @buf: the new hash of every
 * page it covers.  A page written whole gets its bytes' hash; one written
 * in part and known before is read first (and must hold what the model
 * says), the part put in, and hashed; one not known stays unknown.
 */
static void write_hashes(struct gfd *g, uint64_t pos, const unsigned char *buf,
			 uint64_t n, uint64_t *hashes)
{
	int k = 0;

	for (uint64_t p = pos; p < pos + n; k++) {
		uint64_t i = p / ps, chunk = ps - p % ps;
		struct pstate *q = pg(g, i);

		if (chunk > pos + n - p)
			chunk = pos + n - p;
		if (chunk == (uint64_t)ps) {
			hashes[k] = page_hash(buf + (p - pos));
		} else if (q->hash == HASH_UNKNOWN) {
			hashes[k] = HASH_UNKNOWN;
		} else {
			if (pread(g->fd, page_b, ps, i * ps) != ps)
				bad("pread of shared page %llu before a write: %s",
				    (unsigned long long)i, errno_name(errno));
			if (page_hash(page_b) != q->hash)
				bad("shared page %llu does not hold what it should (read before a write)",
				    (unsigned long long)i);
			memcpy(page_b + p % ps, buf + (p - pos), chunk);
			hashes[k] = page_hash(page_b);
		}
		p += chunk;
	}
}

/* The first page from @i on that holds memory (@data) or not; npages if none. */
static uint64_t next_page(struct gfd *g, uint64_t i, bool data)
{
	while (i < g->npages) {
		if (!pg(g, i)) {
			/* the middle holds nothing */
			if (!data)
				return i;
			i = mid_end(g);
			continue;
		}
		if (page_present(g, i) == data)
			return i;
		i++;
	}
	return g->npages;
}

/*
 * 0 read, 1 write, 2 readv or writev, 3 pread, 4 pwrite, 5 lseek (twice
 * as likely as the others), 6 ftruncate, 7-9 splice, 10 sendfile.
 */
static int file_op_kind(void)
{
	int k = rng_below(&R, 12);

	return k == 11 ? 5 : k;
}

/*
 * The file operations: read(), write(), readv(), writev() at the fd's
 * position, pread(), pwrite() anywhere, copying the bytes of shared
 * pages; lseek() with every whence; ftruncate(), splice() and sendfile(),
 * which still have no way in.
 */
static void call_file_ops(int gi)
{
	struct gfd *g = &fds[gi];
	struct expect e = { 0 };
	int what = file_op_kind(), pipefd[2];
	bool positioned = what >= 3 && what <= 4, wr = what == 1 || what == 4 ||
		(what == 2 && rng_pct(&R, 50)), mid = false;
	int64_t pos = rng_pct(&R, 80) ? (int64_t)rng_below(&R, g->size) :
		      (int64_t)interesting(g->size);
	size_t cnt = rng_pct(&R, 80) ? rng_range(&R, 1, 2 * ps) : interesting(ps);
	size_t readable = 2 * ps;
	unsigned char *buf = argbuf;
	struct iovec iov;
	uint64_t hashes[3];
	long ret = 0, want = 0;

	if (cnt > 2 * (size_t)ps)
		cnt = 2 * ps;
	if (what <= 4) {
		if (!positioned)
			pos = g->pos;
		/*
		 * A write the model could not follow (into the pages between
		 * the windows) goes elsewhere, or writes nothing.
		 */
		for (int tries = 0; wr && tries < 20; tries++) {
			mid = false;
			if (pos < 0 || (uint64_t)pos >= g->size)
				break;
			rw_bytes(g, pos, cnt, &mid);
			if (!mid || !positioned)
				break;
			pos = (int64_t)(g->wstart[0] * ps +
					rng_below(&R, g->wn[0] * ps));
		}
		if (wr && mid)
			cnt = 0;
		/* a read into a buffer that ends at an unmapped page */
		if (!wr && rng_pct(&R, 10)) {
			readable = rng_below(&R, cnt + 1);
			buf = guard - readable;
		}
		if (wr)
			fill_random(argbuf, 2 * ps);
		else
			memset(buf, 0x5a, readable);
		iov = (struct iovec){ buf, cnt };
		if (pos < 0 || (uint64_t)pos + cnt > INT64_MAX) {
			allow(&e, EINVAL);	/* the VFS's, for the offset */
		} else if (!cnt) {
			e.ok = true;
		} else if (wr && (uint64_t)pos >= g->size) {
			allow(&e, ENOSPC);	/* no room past the fixed size */
		} else {
			want = rw_bytes(g, pos, cnt, &mid);
			if (want == -EACCES) {
				allow(&e, EACCES);
			} else if (want && !readable) {
				allow(&e, EFAULT);
			} else {
				e.ok = true;
				if (want > (long)readable)
					want = readable;
			}
		}
		if (e.ok && wr && want > 0)
			write_hashes(g, pos, buf, want, hashes);
	}

	switch (what) {
	case 0:
		describe("read fd %d count %zu at position %llu", gi, cnt,
			 (unsigned long long)pos);
		ret = read(g->fd, buf, cnt);
		break;
	case 1:
		describe("write fd %d count %zu at position %llu", gi, cnt,
			 (unsigned long long)pos);
		ret = write(g->fd, buf, cnt);
		break;
	case 2:
		describe("%s fd %d count %zu at position %llu",
			 wr ? "writev" : "readv", gi, cnt,
			 (unsigned long long)pos);
		ret = wr ? writev(g->fd, &iov, 1) : readv(g->fd, &iov, 1);
		break;
	case 3:
		describe("pread fd %d count %zu pos %lld", gi, cnt, (long long)pos);
		ret = pread(g->fd, buf, cnt, pos);
		break;
	case 4:
		describe("pwrite fd %d count %zu pos %lld", gi, cnt, (long long)pos);
		ret = pwrite(g->fd, buf, cnt, pos);
		break;
	case 5: {
		/* half of them look for data or a hole */
		int whence = rng_pct(&R, 50) ? SEEK_DATA + (int)rng_below(&R, 2) :
			     (int)rng_below(&R, 6);
		uint64_t np = g->pos;
		bool ok = true;

		describe("lseek fd %d offset %lld whence %d (position %llu)", gi,
			 (long long)pos, whence, (unsigned long long)g->pos);
		switch (whence) {
		case SEEK_SET:
			np = pos;
			break;
		case SEEK_CUR:
			np = g->pos + (uint64_t)pos;
			break;
		case SEEK_END:
			np = g->size + (uint64_t)pos;
			break;
		case SEEK_DATA:
		case SEEK_HOLE:
			ok = pos >= 0 && (uint64_t)pos < g->size;
			if (!ok)
				break;
			np = next_page(g, pos / ps, whence == SEEK_DATA) * ps;
			if (np < (uint64_t)pos)
				np = pos;
			if (np >= g->size)
				ok = whence == SEEK_HOLE, np = g->size;
			break;
		default:
			ok = false;
		}
		if (whence <= SEEK_END)
			ok = np <= g->size;
		if (ok)
			e.ok = true;
		else
			allow(&e, whence == SEEK_DATA || whence == SEEK_HOLE ?
				  ENXIO : EINVAL);
		ret = lseek(g->fd, pos, whence);
		if (judge(ret, errno, &e)) {
			if ((uint64_t)ret != np)
				bad("lseek: %ld, the model says %llu", ret,
				    (unsigned long long)np);
			g->pos = ret;
			stat_seek_data += whence >= SEEK_DATA;
		}
		return;
	}
	case 6:
		describe("ftruncate fd %d length %lld", gi, (long long)pos);
		allow(&e, EINVAL);
		if (pos > (int64_t)INT64_MAX - 1 || pos < 0)
			allow(&e, EFBIG);
		ret = ftruncate(g->fd, pos);
		break;
	default:
		if (pipe2(pipefd, O_NONBLOCK | O_CLOEXEC))
			bad("pipe2: %s", errno_name(errno));
		if (write(pipefd[1], argbuf, 64) != 64)
			bad("write to a pipe: %s", errno_name(errno));
		if (what < 10) {
			bool out = rng_pct(&R, 50);

			describe("splice %s fd %d, %zu bytes", out ? "from" : "to", gi,
				 cnt);
			allow(&e, EINVAL);
			ret = out ? splice(g->fd, NULL, pipefd[1], NULL, cnt,
					   SPLICE_F_NONBLOCK) :
				    splice(pipefd[0], NULL, g->fd, NULL, cnt,
					   SPLICE_F_NONBLOCK);
		} else {
			describe("sendfile from fd %d, %zu bytes", gi, cnt);
			allow(&e, EINVAL);
			ret = sendfile(pipefd[1], g->fd, NULL, cnt);
		}
		{
			int err = errno;

			close(pipefd[0]);
			close(pipefd[1]);
			errno = err;
		}
		if (!cnt)
			e.ok = true;	/* splice(2), sendfile(2): nothing to move */
		judge(ret, errno, &e);
		if (ret > 0)
			bad("splice or sendfile moved data");
		return;
	}
	if (!judge(ret, errno, &e) || what == 6)
		return;
	if (ret != want)
		bad("%ld bytes, the model says %ld", ret, want);
	if (!positioned)
		g->pos += ret;
	if (!ret)
		return;
	if (!wr) {
		check_read(g, pos, buf, ret);
		stat_read += ret;
		return;
	}
	stat_written += ret;
	/* what the write did: its pages allocated, their new contents */
	for (uint64_t p = pos, k = 0; p < (uint64_t)pos + ret; k++) {
		uint64_t i = p / ps;

		model_got_page(g, i);
		pg(g, i)->hash = hashes[k];
		p = (i + 1) * ps;
	}
}

/*
 * GMEM_QUERY over a range (valid and not) with room for one run or a
 * few: the runs, resumed at next_offset until the range is done, are the
 * model's pages, each run as long as it goes.  Whether a page is in a
 * 2 MiB folio is the model's only while it knows every large folio.
 */
static void call_query(int gi)
{
	struct gfd *g = &fds[gi];
	struct gmem_query_run *runs = (void *)page_a;
	uint32_t cap = rng_pct(&R, 30) ? 1 : rng_range(&R, 1, 16);
	uint32_t mask = g->large_unknown ? ~GMEM_PAGE_HUGE : ~0U;
	struct expect e = { 0 };
	uint64_t off, len, at;
	struct gmem_query q;
	uint32_t last = UINT32_MAX;
	long ret;

	gen_range(g, &off, &len, WIN_PAGES, true);
	q = (struct gmem_query){
		.offset = off, .length = len, .runs = (uintptr_t)runs,
		.nr_runs = cap,
	};
	if (rng_pct(&R, 3))
		q.flags = 1U << rng_below(&R, 32);
	if (rng_pct(&R, 3))
		q.reserved[rng_below(&R, 2)] = rng_next(&R) | 1;
	if (rng_pct(&R, 3))
		q.nr_runs = 0;
	describe("GMEM_QUERY fd %d [%#llx, +%#llx) room %u flags %#x reserved %#llx %#llx",
		 gi, (unsigned long long)off, (unsigned long long)len, q.nr_runs,
		 q.flags, (unsigned long long)q.reserved[0],
		 (unsigned long long)q.reserved[1]);
	if (!range_valid(g, off, len) || q.flags || q.nr_runs == 0 ||
	    q.reserved[0] || q.reserved[1])
		allow(&e, EINVAL);
	else
		e.ok = true;
	ret = ioctl(g->fd, GMEM_QUERY, &q);
	if (!judge(ret, errno, &e))
		return;
	for (at = off; ; ) {
		if (q.nr_runs < 1 || q.nr_runs > cap)
			bad("GMEM_QUERY at %#llx: %u runs, room for %u",
			    (unsigned long long)at, q.nr_runs, cap);
		for (uint32_t r = 0; r < q.nr_runs; r++) {
			uint64_t a = runs[r].offset / ps;
			uint64_t b = a + runs[r].length / ps;

			if (runs[r].offset != at || !runs[r].length ||
			    runs[r].length % ps || runs[r].offset + runs[r].length > off + len ||
			    runs[r].reserved || runs[r].state == last)
				bad("GMEM_QUERY: run [%#llx, +%#llx) state %#x reserved %#x where %#llx was due, after state %#x",
				    (unsigned long long)runs[r].offset,
				    (unsigned long long)runs[r].length, runs[r].state,
				    runs[r].reserved, (unsigned long long)at, last);
			/* every page of the run as the model has it */
			for (uint64_t i = a; i < b; i = pg(g, i) ? i + 1 : mid_end(g)) {
				struct pstate *p = pg(g, i);
				uint32_t st = (page_shared(g, i) ? GMEM_PAGE_SHARED : 0) |
					      (p && p->present ? GMEM_PAGE_ALLOCATED : 0);
				uint64_t blk = i - i % HUGE_PAGES;

				if (p && p->present && is_huge(g) && pg(g, blk) &&
				    pg(g, blk)->big)
					st |= GMEM_PAGE_HUGE;
				if ((st & mask) != (runs[r].state & mask))
					bad("GMEM_QUERY: page %llu in a run of state %#x, the model says %#x",
					    (unsigned long long)i, runs[r].state, st);
			}
			last = runs[r].state;
			at += runs[r].length;
		}
		if (q.next_offset != at)
			bad("GMEM_QUERY: next_offset %#llx, the runs end at %#llx",
			    (unsigned long long)q.next_offset, (unsigned long long)at);
		if (at == off + len)
			break;
		if (q.nr_runs != cap)
			bad("GMEM_QUERY: %u runs of room for %u, and the range not done",
			    q.nr_runs, cap);
		q = (struct gmem_query){
			.offset = at, .length = off + len - at,
			.runs = (uintptr_t)runs, .nr_runs = cap,
		};
		if (ioctl(g->fd, GMEM_QUERY, &q))
			bad("GMEM_QUERY resumed at %#llx: %s", (unsigned long long)at,
			    errno_name(errno));
	}
}

/*
 * GMEM_DIRTY_LOG over a range (valid and not), peek or clear, into a
 * bitmap that is valid, NULL, unmapped, read-only or cut short by an
 * unmapped page.  Checked: the words written and nothing past them,
 * nr_dirty, and that every page whose contents changed since the model's
 * last clear of it is reported.  Valid ranges lie in the windows, so one
 * window of the kernel's (2^15 pages) covers them: an EFAULT takes nothing.
 */
static void call_dirty(int gi)
{
	static uint64_t bitmap[WIN_PAGES / 64 + 2];
	struct gfd *g = &fds[gi];
	struct gmem_dirty_log d;
	struct expect e = { 0 };
	uint64_t off, len, n, words, count = 0;
	const char *where = "valid";
	uint64_t *bm = bitmap;
	long ret;

	gen_range(g, &off, &len, WIN_PAGES, false);
	n = len / ps;
	words = (n + 63) / 64;
	d = (struct gmem_dirty_log){
		.offset = off, .length = len,
		.flags = rng_pct(&R, 60) ? GMEM_DIRTY_LOG_CLEAR : 0,
	};
	if (rng_pct(&R, 3))
		d.flags |= 1U << rng_below(&R, 32);
	if (rng_pct(&R, 3))
		d.reserved[rng_below(&R, 2)] = rng_next(&R) | 1;
	switch (rng_pct(&R, 90) ? 0 : rng_below(&R, 4)) {
	case 0:
		break;
	case 1:
		bm = NULL, where = "NULL";
		break;
	case 2:
		bm = (uint64_t *)guard, where = "unmapped";
		break;
	case 3:
		/* the last word of argbuf, then the unmapped page */
		bm = words > 1 ? (uint64_t *)guard - 1 : (uint64_t *)ro_page;
		where = words > 1 ? "cut short" : "read-only";
		break;
	}
	d.bitmap = (uintptr_t)bm;
	describe("GMEM_DIRTY_LOG fd %d [%#llx, +%#llx) flags %#x reserved %#llx %#llx bitmap %s",
		 gi, (unsigned long long)off, (unsigned long long)len, d.flags,
		 (unsigned long long)d.reserved[0],
		 (unsigned long long)d.reserved[1], where);
	if (!(g->flags & GMEM_CREATE_DIRTY_LOG) || !range_valid(g, off, len) ||
	    d.flags & ~DIRTY_FLAGS || d.reserved[0] || d.reserved[1])
		allow(&e, EINVAL);
	else if (bm != bitmap)
		allow(&e, EFAULT);
	else
		e.ok = true;
	for (uint64_t i = 0; i < sizeof(bitmap) / 8; i++)
		bitmap[i] = 0xa5a5a5a5a5a5a5a5ULL;
	ret = ioctl(g->fd, GMEM_DIRTY_LOG, &d);
	if (!judge(ret, errno, &e))
		return;

	if (bitmap[words] != 0xa5a5a5a5a5a5a5a5ULL ||
	    (n % 64 && bitmap[words - 1] >> (n % 64)))
		bad("GMEM_DIRTY_LOG: wrote past its %llu pages' bits",
		    (unsigned long long)n);
	for (uint64_t i = 0; i < n; i++) {
		struct pstate *p = pg(g, off / ps + i);
		bool set = bitmap[i / 64] >> (i % 64) & 1;

		count += set;
		if (!p)
			continue;
		if (!set && p->hash != HASH_UNKNOWN &&
		    p->logged != HASH_UNKNOWN && p->hash != p->logged)
			bad("GMEM_DIRTY_LOG: page %llu changed since its last clear, not reported",
			    (unsigned long long)(off / ps + i));
		if (d.flags & GMEM_DIRTY_LOG_CLEAR)
			p->logged = p->hash;
	}
	if (d.nr_dirty != count || d.status)
		bad("GMEM_DIRTY_LOG: nr_dirty %llu for %llu bits, status %#x",
		    (unsigned long long)d.nr_dirty, (unsigned long long)count,
		    d.status);
}

/* ---- the test consumer ---- */

/*
 * GMEM_MISSING_ARM with every field drawn (flags, reserved, ranges valid
 * and not, huge fds' 2 MiB rule) through pointers of every kind, and
 * GMEM_MISSING_EVENTS with any flags.  An arm that works is disarmed
 * again before the call ends, so no touch of the rest of the run waits;
 * in between, with no event fd open, a pread() of a shared page of the
 * range fails with EIO if the model has no memory there and reads it if
 * it has.  An event fd that opens is read (EINVAL below a record, EAGAIN
 * or a block) and closed.
 */
static void call_missing(int gi)
{
	struct gfd *g = &fds[gi];
	struct gmem_missing_range r;
	struct expect e = { 0 };
	enum ptr_kind pk;
	uint64_t off, len, hp = HUGE_PAGES * ps;
	size_t readable;
	void *arg;
	long ret;

	if (rng_pct(&R, 25)) {
		unsigned long flags = rng_pct(&R, 70) ?
			(rng_pct(&R, 50) ? O_CLOEXEC : 0) |
			(rng_pct(&R, 50) ? O_NONBLOCK : 0) :
			rng_pct(&R, 50) ? 1UL << rng_below(&R, 64) : rng_next(&R);
		unsigned char buf[64];
		int efd;

		describe("GMEM_MISSING_EVENTS fd %d flags %#lx", gi, flags);
		if (flags & ~(unsigned long)(O_CLOEXEC | O_NONBLOCK))
			allow(&e, EINVAL);
		else
			e.ok = true;
		allow(&e, EMFILE);
		ret = ioctl(g->fd, GMEM_MISSING_EVENTS, flags);
		if (!judge(ret, errno, &e))
			return;
		efd = ret;
		if (fcntl(efd, F_SETFL, O_NONBLOCK) ||
		    read(efd, buf, rng_range(&R, 0, 31)) != -1 || errno != EINVAL ||
		    read(efd, buf, sizeof(buf)) != -1 || errno != EAGAIN)
			bad("the new event fd: no EINVAL below a record, or an event nobody caused");
		if (ioctl(g->fd, GMEM_MISSING_EVENTS, 0) != -1 || errno != EBUSY)
			bad("a second event fd: %s, not EBUSY", errno_name(errno));
		close(efd);
		return;
	}

	gen_range(g, &off, &len, WIN_PAGES, true);
	if (is_huge(g) && rng_pct(&R, 60)) {
		/* whole blocks, the common case on a huge fd */
		off -= off % hp;
		len = len < hp ? hp : len - len % hp;
		if (off + len > g->size && off < g->size)
			len = g->size - off;
	}
	r = (struct gmem_missing_range){ .offset = off, .length = len };
	if (rng_pct(&R, 30))
		r.flags = GMEM_MISSING_DISARM;
	if (rng_pct(&R, 4))
		r.flags = 1U << rng_below(&R, 32);
	if (rng_pct(&R, 4))
		r.reserved = (uint32_t)rng_next(&R) | 1;
	pk = gen_ptr_kind();
	arg = place(pk, &r, sizeof(r), &readable);
	describe("GMEM_MISSING_ARM fd %d [%#llx, +%#llx) flags %#x reserved %#x arg %s",
		 gi, (unsigned long long)off, (unsigned long long)len, r.flags,
		 r.reserved, ptr_names[pk]);
	if (readable < sizeof(r))
		allow(&e, EFAULT);
	if (r.flags & ~GMEM_MISSING_DISARM || r.reserved ||
	    !range_valid(g, off, len) ||
	    (is_huge(g) && (off % hp || ((off + len) % hp && off + len != g->size))))
		allow(&e, EINVAL);
	if (readable >= sizeof(r) && !e.n)
		e.ok = true;
	ret = ioctl(g->fd, GMEM_MISSING_ARM, arg);
	if (!judge(ret, errno, &e) || r.flags)
		return;

	/* armed: a shared page of it in the model's windows, read */
	for (int tries = 0; tries < 4; tries++) {
		uint64_t i = off / ps + rng_below(&R, len / ps);
		unsigned char c;

		if (!pg(g, i) || !page_shared(g, i))
			continue;
		describe("pread of page %llu of fd %d, armed, no event fd",
			 (unsigned long long)i, gi);
		ret = pread(g->fd, &c, 1, i * ps);
		if (page_present(g, i) ? ret != 1 : ret != -1 || errno != EIO)
			bad("pread of an armed page %s memory: %ld, %s",
			    page_present(g, i) ? "with" : "without", ret,
			    errno_name(errno));
		break;
	}
	r.flags = GMEM_MISSING_DISARM;
	if (ioctl(g->fd, GMEM_MISSING_ARM, &r))
		bad("GMEM_MISSING_DISARM of what was armed: %s", errno_name(errno));
}

static int pick_slot(bool used_mostly)
{
	int live[GMEM_TEST_SLOTS], n = 0;

	for (int s = 0; s < GMEM_TEST_SLOTS; s++)
		if (slots[s].used)
			live[n++] = s;
	if (n && (!used_mostly || rng_pct(&R, 85)))
		return live[rng_below(&R, n)];
	return rng_pct(&R, 70) ? (int)rng_below(&R, GMEM_TEST_SLOTS + 2) :
	       (int)(uint32_t)rng_next(&R);
}

static bool slot_used(uint32_t s)
{
	return s < GMEM_TEST_SLOTS && slots[s].used;
}

static void call_bind(void)
{
	struct gmem_test_bind b = { 0 };
	enum ptr_kind pk = gen_ptr_kind();
	struct expect e = { 0 };
	int gi = -1, free_slots = 0;
	struct gfd *g = NULL;
	size_t readable;
	void *p;
	long ret;

	switch (rng_below(&R, 20)) {
	case 0: b.fd = 900 + rng_below(&R, 50); break;		/* not open */
	case 1: b.fd = -1; break;
	case 2: b.fd = dev_fd; break;
	case 3: b.fd = null_fd; break;
	default:
		gi = pick_fd();
		b.fd = gi < 0 ? -1 : fds[gi].fd;
		g = gi < 0 ? NULL : &fds[gi];
	}
	if (g && rng_pct(&R, 75)) {
		int k = rng_below(&R, g->nwin);

		if (has_mid(g) && rng_pct(&R, 10)) {
			b.start = rng_below(&R, g->wn[0]);
			b.nr_pages = g->npages - b.start - rng_below(&R, g->wn[1]);
		} else {
			b.nr_pages = rng_range(&R, 1, g->wn[k] < 64 ? g->wn[k] : 64);
			b.start = g->wstart[k] + rng_below(&R, g->wn[k] - b.nr_pages + 1);
		}
	} else {
		uint64_t np = g ? g->npages : 16;

		b.start = rng_pct(&R, 50) ? rng_below(&R, np + 2) : interesting(np);
		b.nr_pages = rng_pct(&R, 50) ? rng_below(&R, np + 2) : interesting(np);
	}
	describe("GMEM_TEST_BIND fd %d (pool %d) start %llu nr_pages %llu, %s pointer",
		 b.fd, gi, (unsigned long long)b.start,
		 (unsigned long long)b.nr_pages, ptr_names[pk]);
	p = place(pk, &b, sizeof(b), &readable);
	for (int s = 0; s < GMEM_TEST_SLOTS; s++)
		free_slots += !slots[s].used;
	if (readable < sizeof(b)) {
		allow(&e, EFAULT);
	} else if (!g && (b.fd < 0 || b.fd >= 900 || b.fd == INT32_MAX)) {
		allow(&e, EBADF);
	} else if (!g) {
		allow(&e, EINVAL);
	} else if (!free_slots) {
		allow(&e, ENOSPC);
	} else if (!b.nr_pages || b.start + b.nr_pages < b.start ||
		   b.start + b.nr_pages > g->npages) {
		allow(&e, EINVAL);
	} else {
		for (int s = 0; s < GMEM_TEST_SLOTS; s++)
			if (slots[s].used && slots[s].gi == gi &&
			    b.start < slots[s].end && slots[s].start < b.start + b.nr_pages)
				allow(&e, EBUSY);
	}
	e.ok = e.n == 0;
	if (e.ok && !writable(pk))
		allow(&e, EFAULT);	/* bound, but the slot could not be told */
	allow(&e, ENOMEM);
	ret = ioctl(ct, GMEM_TEST_BIND, p);
	if (!judge(ret, errno, &e)) {
		if (errno == EFAULT && e.ok) {
			/* Bound in a slot we cannot name: unbind them all. */
			for (uint32_t s = 0; s < GMEM_TEST_SLOTS; s++)
				if (!slots[s].used)
					ioctl(ct, GMEM_TEST_UNBIND, &s);
		}
		return;
	}
	{
		uint32_t s = ((struct gmem_test_bind *)p)->slot;

		if (s >= GMEM_TEST_SLOTS || slots[s].used)
			bad("bound in slot %u, which is not free", s);
		slots[s] = (struct slot) {
			.used = true, .gi = gi, .start = b.start,
			.end = b.start + b.nr_pages,
		};
		g->bound++;
	}
}

static void slot_release(int s)
{
	struct gfd *g = &fds[slots[s].gi];

	slots[s].used = false;
	if (!--g->bound && g->closed)
		model_free(g);
}

static void call_unbind(void)
{
	enum ptr_kind pk = gen_ptr_kind();
	uint32_t s = pick_slot(true);
	struct expect e = { 0 };
	size_t readable;
	void *p;
	long ret;

	describe("GMEM_TEST_UNBIND slot %u, %s pointer", s, ptr_names[pk]);
	p = place(pk, &s, sizeof(s), &readable);
	if (readable < sizeof(s))
		allow(&e, EFAULT);
	else if (!slot_used(s))
		allow(&e, ENOENT);
	e.ok = e.n == 0;
	ret = ioctl(ct, GMEM_TEST_UNBIND, p);
	if (judge(ret, errno, &e))
		slot_release(s);
}

/* A page index for @s: mostly one the model knows, sometimes outside. */
static uint64_t gen_index(int s, bool *inside)
{
	struct slot *sl = slot_used(s) ? &slots[s] : NULL;
	struct gfd *g = sl ? &fds[sl->gi] : NULL;

	if (sl && rng_pct(&R, 80)) {
		for (int t = 0; t < 20; t++) {
			uint64_t i = rng_range(&R, sl->start, sl->end - 1);

			if (pg(g, i)) {
				*inside = true;
				return i;
			}
		}
	}
	for (;;) {
		uint64_t i = rng_pct(&R, 50) ? interesting(g ? g->npages : 64) :
			     rng_next(&R) % (g ? g->npages + 8 : 64);

		if (!sl || i < sl->start || i >= sl->end) {
			*inside = false;
			return i;
		}
		if (pg(g, i)) {
			*inside = true;
			return i;
		}
	}
}

/* What gmem_get_pfn() may return for page @i of slot @s. */
static void resolve_expect(int s, uint64_t i, bool inside, struct expect *e)
{
	struct pstate *q;

	if (!inside) {
		allow(e, -ERANGE);
		return;
	}
	q = pg(&fds[slots[s].gi], i);
	if (q->shared) {
		allow(e, -EACCES);
		return;
	}
	allow(e, 0);
	if (!q->present) {
		allow(e, -ENOMEM);
		allow(e, -ENOSPC);
	}
}

static void check_err(int err, const struct expect *e, const char *what)
{
	if (!allowed(e, err))
		bad("%s returned %d (%s), expected one of %s", what, err,
		    errno_name(-err), expect_str(e));
}

static void call_resolve(void)
{
	struct gmem_test_resolve r = { .pfn = 7, .max_order = -5 };
	enum ptr_kind pk = gen_ptr_kind();
	struct expect e = { 0 }, ee = { 0 };
	bool inside = false;
	size_t readable;
	void *p;
	long ret;

	r.slot = pick_slot(true);
	r.index = gen_index(r.slot, &inside);
	/* for writing: the same answer, and a bit in a logged fd's log */
	if (rng_pct(&R, 20))
		r.flags = GMEM_TEST_GET_WRITE;
	describe("GMEM_TEST_RESOLVE slot %u index %llu flags %#x, %s pointer",
		 r.slot, (unsigned long long)r.index, r.flags, ptr_names[pk]);
	p = place(pk, &r, sizeof(r), &readable);
	if (readable < sizeof(r))
		allow(&e, EFAULT);
	else if (!slot_used(r.slot))
		allow(&e, ENOENT);
	e.ok = e.n == 0;
	if (e.ok) {
		resolve_expect(r.slot, r.index, inside, &ee);
		if (!writable(pk))
			allow(&e, EFAULT);
	}
	ret = ioctl(ct, GMEM_TEST_RESOLVE, p);
	if (!judge(ret, errno, &e)) {
		if (errno == EFAULT && e.ok && inside && allowed(&ee, 0)) {
			/* It resolved, but could not say so: again, readably. */
			struct gmem_test_resolve again = {
				.slot = r.slot, .index = r.index,
			};

			if (ioctl(ct, GMEM_TEST_RESOLVE, &again))
				bad("resolving again: %s", errno_name(errno));
			if (!again.err)
				model_got_page(&fds[slots[r.slot].gi], r.index);
		}
		return;
	}
	r = *(struct gmem_test_resolve *)p;
	check_err(r.err, &ee, "gmem_get_pfn");
	if (!r.err) {
		struct gfd *g = &fds[slots[r.slot].gi];

		/* a 4 KiB folio maps at order 0; a 2 MiB one up to its order */
		if (!r.pfn || r.max_order < 0 || r.node < 0 ||
		    r.folio_order < 0 || r.max_order > r.folio_order ||
		    r.folio_order > (is_huge(g) ? 9 : 0))
			bad("resolved to pfn %#llx, max_order %d, folio order %d, node %d",
			    (unsigned long long)r.pfn, r.max_order,
			    r.folio_order, r.node);
		model_got_page(g, r.index);
		/* where the policies, or GMEM_MIGRATE, put it */
		if (!node_in(pg(g, r.index)->at, r.node))
			bad("resolved a page on node %d; the model has it on %#llx",
			    r.node, (unsigned long long)pg(g, r.index)->at);
	}
}

/* The whole page @i of slot @s through the consumer; the resolve's error. */
static int ct_read_page(int s, uint64_t i, void *buf)
{
	struct gmem_test_rw a = {
		.slot = s, .index = i, .len = ps, .uaddr = (uintptr_t)buf,
	};

	if (ioctl(ct, GMEM_TEST_RW, &a))
		bad("reading page %llu of slot %d through the consumer: %s",
		    (unsigned long long)i, s, errno_name(errno));
	return a.err;
}

static void call_rw(void)
{
	struct gmem_test_rw a = { 0 };
	enum ptr_kind pk = gen_ptr_kind();
	struct expect e = { 0 }, ee = { 0 };
	int ukind = rng_below(&R, 10);
	bool inside = false, full_ok;
	uint64_t ubytes;
	struct pstate *q = NULL;
	size_t readable;
	void *p;
	long ret;

	a.slot = pick_slot(true);
	a.index = gen_index(a.slot, &inside);
	a.write = rng_pct(&R, 90) ? rng_below(&R, 2) : (uint32_t)rng_next(&R);
	if (rng_pct(&R, 75)) {
		a.offset = rng_pct(&R, 50) ? 0 : rng_below(&R, ps);
		a.len = rng_pct(&R, 50) ? ps - a.offset : rng_below(&R, ps - a.offset + 1);
	} else {
		a.offset = interesting(ps);
		a.len = interesting(ps);
	}
	fill_random(page_a, ps);
	switch (ukind) {
	case 0: a.uaddr = 0; ubytes = 0; break;
	case 1: a.uaddr = (uintptr_t)guard; ubytes = 0; break;
	case 2: ubytes = rng_below(&R, ps); a.uaddr = (uintptr_t)guard - ubytes; break;
	case 3: a.uaddr = (uintptr_t)ro_page; ubytes = a.write ? ps : 0; break;
	default: a.uaddr = (uintptr_t)page_a; ubytes = ps; break;
	}
	if (ukind == 2)
		memcpy(guard - ubytes, page_a, ubytes);
	describe("GMEM_TEST_RW slot %u index %llu %s offset %llu len %llu uaddr %#llx, %s pointer",
		 a.slot, (unsigned long long)a.index, a.write ? "write" : "read",
		 (unsigned long long)a.offset, (unsigned long long)a.len,
		 (unsigned long long)a.uaddr, ptr_names[pk]);
	p = place(pk, &a, sizeof(a), &readable);
	if (readable < sizeof(a))
		allow(&e, EFAULT);
	else if (a.offset > (uint64_t)ps || a.len > ps - a.offset)
		allow(&e, EINVAL);
	else if (!slot_used(a.slot))
		allow(&e, ENOENT);
	e.ok = e.n == 0;
	full_ok = false;
	if (e.ok) {
		resolve_expect(a.slot, a.index, inside, &ee);
		if (allowed(&ee, 0)) {
			q = pg(&fds[slots[a.slot].gi], a.index);
			if (ubytes < a.len)
				allow(&e, EFAULT);
			else
				full_ok = true;
		}
		if (!writable(pk))
			allow(&e, EFAULT);
	}
	/* Before a write: the page as it is, to know what it becomes. */
	if (q && a.write && q->hash != HASH_UNKNOWN) {
		if (ct_read_page(a.slot, a.index, page_b))
			bad("consumer read before the write failed");
		model_got_page(&fds[slots[a.slot].gi], a.index);
		if (page_hash(page_b) != q->hash)
			bad("private page %llu does not hold what it should (before the write)",
			    (unsigned long long)a.index);
	}
	ret = ioctl(ct, GMEM_TEST_RW, p);
	if (!judge(ret, errno, &e) && !(errno == EFAULT && q))
		return;
	if (ret == 0 && writable(pk))
		check_err(((struct gmem_test_rw *)p)->err, &ee, "gmem_get_pfn");
	if (!q)
		return;
	if (ret == 0 && ((struct gmem_test_rw *)p)->err)
		return;		/* out of memory: nothing changed */
	model_got_page(&fds[slots[a.slot].gi], a.index);
	if (!a.write) {
		if (ret == 0 && full_ok && a.offset == 0 && a.len == (uint64_t)ps &&
		    q->hash != HASH_UNKNOWN && page_hash(page_a) != q->hash)
			bad("private page %llu read through the consumer does not hold what it should",
			    (unsigned long long)a.index);
		return;
	}
	/* After a write: read it back; a full copy from our buffer is exact. */
	if (ct_read_page(a.slot, a.index, argbuf))
		bad("consumer read after the write failed");
	if (ret == 0 && full_ok && q->hash != HASH_UNKNOWN) {
		memcpy(page_b + a.offset, (void *)(uintptr_t)a.uaddr, a.len);
		if (memcmp(page_b, argbuf, ps))
			bad("private page %llu after a consumer write is not what was written",
			    (unsigned long long)a.index);
	}
	q->hash = page_hash(argbuf);
}

static void call_events(void)
{
	struct gmem_test_events ev = { 0 };
	enum ptr_kind pk = gen_ptr_kind();
	struct expect e = { 0 };
	size_t readable, room;
	int ukind = rng_below(&R, 8);
	void *p;
	long ret;

	switch (ukind) {
	case 0: ev.uaddr = 0; room = 0; break;
	case 1: room = rng_below(&R, 4 * sizeof(struct gmem_test_event));
		ev.uaddr = (uintptr_t)guard - room; break;
	default: ev.uaddr = (uintptr_t)page_a; room = 2 * ps; break;
	}
	ev.max = rng_pct(&R, 80) ? rng_below(&R, 200) : (uint32_t)rng_next(&R);
	describe("GMEM_TEST_EVENTS uaddr %#llx max %u, %s pointer",
		 (unsigned long long)ev.uaddr, ev.max, ptr_names[pk]);
	p = place(pk, &ev, sizeof(ev), &readable);
	if (readable < sizeof(ev))
		allow(&e, EFAULT);
	e.ok = e.n == 0;
	if (e.ok && (room < (size_t)ev.max * sizeof(struct gmem_test_event) ||
		     !writable(pk)))
		allow(&e, EFAULT);
	ret = ioctl(ct, GMEM_TEST_EVENTS, p);
	if (!judge(ret, errno, &e) || !writable(pk))
		return;
	ev = *(struct gmem_test_events *)p;
	if (ev.count > ev.max)
		bad("%u events for max %u", ev.count, ev.max);
	for (uint32_t i = 0; i < ev.count && ukind >= 2; i++) {
		struct gmem_test_event *x = (struct gmem_test_event *)page_a + i;

		if (x->type < GMEM_TEST_EV_BEGIN || x->type > GMEM_TEST_EV_ERROR ||
		    x->slot >= GMEM_TEST_SLOTS || x->start >= x->end)
			bad("event %u: type %u slot %u [%llu, %llu)", i, x->type,
			    x->slot, (unsigned long long)x->start,
			    (unsigned long long)x->end);
	}
}

static void call_kstress(void)
{
	struct gmem_test_stress st = { 0 };
	enum ptr_kind pk = gen_ptr_kind();
	struct expect e = { 0 };
	size_t readable;
	bool safe;
	void *p;
	long ret;

	st.slot = pick_slot(true);
	st.threads = rng_pct(&R, 80) ? rng_range(&R, 1, 3) :
		     rng_pct(&R, 50) ? rng_below(&R, 20) : (uint32_t)rng_next(&R);
	st.msecs = rng_pct(&R, 90) ? rng_below(&R, 4) : 60001 + rng_below(&R, 1000);
	/* Resolvers allocate pages the model can find only through mincore. */
	safe = slot_used(st.slot) &&
	       (fds[slots[st.slot].gi].flags & GMEM_CREATE_MMAP) &&
	       !fds[slots[st.slot].gi].closed &&
	       in_windows(&fds[slots[st.slot].gi], slots[st.slot].start,
			  slots[st.slot].end);
	if (!safe && st.threads >= 1 && st.threads <= 16)
		st.threads = 0;
	describe("GMEM_TEST_STRESS slot %u threads %u msecs %u, %s pointer",
		 st.slot, st.threads, st.msecs, ptr_names[pk]);
	p = place(pk, &st, sizeof(st), &readable);
	if (readable < sizeof(st))
		allow(&e, EFAULT);
	else if (!st.threads || st.threads > 16 || st.msecs > 60000)
		allow(&e, EINVAL);
	else if (!slot_used(st.slot))
		allow(&e, ENOENT);
	e.ok = e.n == 0;
	if (e.ok) {
		allow(&e, ENOMEM);
		if (!writable(pk))
			allow(&e, EFAULT);
	}
	ret = ioctl(ct, GMEM_TEST_STRESS, p);
	if (e.ok)
		resync_present(slots[st.slot].gi, slots[st.slot].start,
			       slots[st.slot].end);
	if (!judge(ret, errno, &e))
		return;
	if (((struct gmem_test_stress *)p)->bad)
		bad("%llu resolves failed, last with %d",
		    (unsigned long long)((struct gmem_test_stress *)p)->bad,
		    ((struct gmem_test_stress *)p)->last_bad_err);
}

static void call_close(void)
{
	int gi = pick_fd();

	if (gi < 0)
		return;
	describe("close pool fd %d (%d bindings)", gi, fds[gi].bound);
	if (rng_pct(&R, 50)) {
		/* Closed while still mapped: the mappings keep working. */
		struct gfd *g = &fds[gi];

		close(g->fd);
		g->closed = true;
		for (int m = 0; m < NMAP; m++)
			if (maps[m].used && maps[m].gi == gi)
				touch_map(m, 2);
		drop_fd(gi);
	} else {
		drop_fd(gi);
	}
	pool_tend();
}

/*
 * open() of /proc/self/fd/N, the reopen a VMM that takes a file name
 * does (QEMU's memory-backend-file): every flag's answer, and the new
 * file is the same memory (size, inode, GMEM_INFO, what a read finds).
 */
static void call_reopen(int gi)
{
	static const int extra[] = {
		O_TRUNC, O_DIRECT, O_CREAT, O_CREAT | O_EXCL, O_APPEND,
		O_NONBLOCK, O_NOATIME, O_PATH, O_DIRECTORY, O_NOFOLLOW,
		O_SYNC, O_DSYNC, O_NOCTTY,
	};
	static const int acc[] = { O_RDWR, O_RDWR, O_RDWR, O_RDONLY, O_WRONLY, O_ACCMODE };
	struct gfd *g = &fds[gi];
	struct expect e = { 0 };
	char path[64];
	int flags = acc[rng_below(&R, 6)] | O_CLOEXEC, fd, err;

	for (int n = rng_pct(&R, 60) ? 0 : rng_range(&R, 1, 2); n > 0; n--)
		flags |= extra[rng_below(&R, sizeof(extra) / sizeof(extra[0]))];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", g->fd);
	describe("open %s (pool fd %d) flags %#x", path, gi, flags);
	if (flags & O_PATH) {
		/* no open of the file itself: a path, nothing else checked */
		if (flags & O_NOFOLLOW)
			allow(&e, ELOOP);
		if (flags & O_DIRECTORY)
			allow(&e, ENOTDIR);
		e.ok = !e.n || flags & O_NOFOLLOW;
		fd = open(path, flags);
		if (judge(fd, errno, &e))
			close(fd);
		return;
	}
	if (flags & O_NOFOLLOW)
		allow(&e, ELOOP);
	if (flags & O_DIRECTORY)
		allow(&e, ENOTDIR);
	/* refused by open(2) itself since 6.4 (and in 6.1's updates) */
	if ((flags & (O_CREAT | O_DIRECTORY)) == (O_CREAT | O_DIRECTORY))
		allow(&e, EINVAL);
	if ((flags & O_CREAT) && (flags & O_EXCL))
		allow(&e, EEXIST);
	if ((flags & O_ACCMODE) != O_RDWR)
		allow(&e, EACCES);
	/* the size is fixed; gmem has no direct I/O */
	if (flags & (O_TRUNC | O_DIRECT))
		allow(&e, EINVAL);
	e.ok = !e.n;
	if (e.ok) {
		allow(&e, EMFILE);
		allow(&e, ENFILE);
		allow(&e, ENOMEM);
	}
	fd = open(path, flags);
	err = errno;
	if (!judge(fd, err, &e))
		return;
	{
		struct gmem_info info = { .size = sizeof(info) };
		uint64_t i = g->wstart[0] + rng_below(&R, g->wn[0]);
		struct stat st, st0;
		bool mid;
		long want = rw_bytes(g, i * ps, ps, &mid);
		ssize_t n;

		if (fstat(fd, &st) || fstat(g->fd, &st0) || st.st_ino != st0.st_ino ||
		    (uint64_t)st.st_size != g->size)
			bad("reopened: fstat: ino %llu size %lld, the fd's ino %llu size %llu",
			    (unsigned long long)st.st_ino, (long long)st.st_size,
			    (unsigned long long)st0.st_ino,
			    (unsigned long long)g->size);
		if (lseek(fd, 0, SEEK_END) != (off_t)g->size)
			bad("reopened: lseek(SEEK_END): %s", errno_name(errno));
		if (ioctl(fd, GMEM_INFO, &info) || info.length != g->size ||
		    info.create_flags != g->flags)
			bad("reopened: GMEM_INFO: %s, length %llu flags %#x",
			    errno_name(errno), (unsigned long long)info.length,
			    info.create_flags);
		/* a page the model knows, read through the new file */
		n = pread(fd, page_a, ps, i * ps);
		if (want < 0 ? n != -1 || errno != -want : n != want)
			bad("reopened: pread of page %llu: %zd (%s), the model %ld",
			    (unsigned long long)i, n, n < 0 ? errno_name(errno) : "",
			    want);
		if (n > 0)
			check_read(g, i * ps, page_a, n);
		close(fd);
	}
}

/* ---- memory policies: mbind(), set_mempolicy(), get_mempolicy() ---- */

/*
 * A node mask argument: its length (maxnode, as the syscalls take it:
 * one more than the bits read), words 0 and 1, maybe one bit at or above
 * kmax_nodes, and how it is placed.
 */
enum mask_kind { M_VALID, M_NULL, M_SHORT, M_KERNEL, M_NR };

struct maskarg {
	unsigned long maxnode;
	enum mask_kind kind;
	uint64_t w[2];
	long high;		/* a bit at or above kmax_nodes, or -1 */
	size_t readable;	/* words that can be read */
	unsigned long *ptr;
};

/* Words the kernel reads of @m: get_nodes() (0 when it reads none). */
static size_t mask_words(const struct maskarg *m)
{
	unsigned long bits = m->maxnode - 1;

	if (m->kind == M_NULL || !bits || bits > MASK_BITS_MAX)
		return 0;
	return (bits + 63) / 64;
}

/* A mask: mostly nodes with memory (none, for @none_wanted modes). */
static void gen_mask(struct maskarg *m, bool none_wanted)
{
	static const unsigned long maxnodes[] = {
		0, 1, 2, 3, 63, 64, 65, 66, 127, 128, 129, 1024, 1025, 1026,
		1100, 2049, MASK_BITS_MAX, MASK_BITS_MAX + 1, MASK_BITS_MAX + 2,
		ULONG_MAX,
	};
	uint64_t low = mem_nodes & -mem_nodes;
	unsigned long bits;
	size_t need;

	*m = (struct maskarg) { .high = -1 };
	if (rng_pct(&R, 75))
		m->maxnode = rng_pct(&R, 50) ? 65 : 129;
	else if (rng_pct(&R, 90))
		m->maxnode = maxnodes[rng_below(&R, sizeof(maxnodes) / sizeof(maxnodes[0]))];
	else
		m->maxnode = rng_next(&R) >> rng_below(&R, 64);
	switch (none_wanted && rng_pct(&R, 80) ? 0 : rng_below(&R, 12)) {
	case 0: break;
	case 1: m->w[0] = rng_next(&R); break;
	case 2: m->w[0] = rng_next(&R) & ~mem_nodes; break;	/* no memory there */
	case 3:						/* past the possible nodes */
		m->w[0] = mem_nodes & rng_next(&R);
		m->w[1] = 1ULL << rng_below(&R, 64);
		break;
	case 4: m->w[0] = 1ULL << rng_below(&R, 64); break;
	case 5: m->w[0] = mem_nodes; break;
	default: m->w[0] = mem_nodes & (rng_next(&R) | low); break;
	}
	bits = m->maxnode - 1;
	if (bits > kmax_nodes && bits <= MASK_BITS_MAX && rng_pct(&R, 15))
		m->high = rng_range(&R, kmax_nodes, bits - 1);
	m->kind = rng_pct(&R, 90) ? M_VALID : rng_below(&R, M_NR);
	if (m->kind == M_VALID && rng_pct(&R, 25))
		m->kind = M_NULL;
	/* at the end of argbuf, so that what follows is unmapped */
	need = mask_words(m);
	memset(argbuf, 0, 2 * ps);
	switch (m->kind) {
	case M_NULL:
		m->ptr = NULL;
		return;
	case M_KERNEL:
		m->ptr = (unsigned long *)0xffffffff81000000UL;
		return;
	case M_SHORT:
		m->readable = need ? rng_below(&R, need) : 0;
		break;
	default:
		m->readable = need;
	}
	m->ptr = (unsigned long *)guard - m->readable;
	for (size_t i = 0; i < 2 && i < m->readable; i++)
		m->ptr[i] = m->w[i];
	if (m->high >= 0 && (size_t)m->high / 64 < m->readable)
		m->ptr[m->high / 64] |= 1UL << (m->high % 64);
}

/*
 * get_nodes(): the errors reading @m may give (into @e), else the mask
 * read, bits 0-127, into @user.
 */
static void mask_expect(const struct maskarg *m, struct expect *e,
			uint64_t user[2])
{
	unsigned long bits = m->maxnode - 1;
	size_t need = mask_words(m);

	user[0] = user[1] = 0;
	if (m->kind == M_NULL || !bits)
		return;
	if (bits > MASK_BITS_MAX) {
		allow(e, EINVAL);
		return;
	}
	/* words past kmax_nodes first, from the end, then the rest */
	if ((m->kind == M_KERNEL ? 0 : m->readable) < need) {
		allow(e, EFAULT);
		return;
	}
	/*
	 * Those words are read whole, bits past maxnode too: any bit set in
	 * them (kmax_nodes is a multiple of 64, at least 64).
	 */
	if (m->high >= 0 || (need > 1 && kmax_nodes <= 64 && m->w[1])) {
		allow(e, EINVAL);
		return;
	}
	user[0] = m->w[0];
	user[1] = bits > 64 ? m->w[1] : 0;
	if (bits < 64)
		user[0] &= (1ULL << bits) - 1;
	else if (bits > 64 && bits < 128)
		user[1] &= (1ULL << (bits - 64)) - 1;
}

/* A mode argument: mostly a known mode, now and then with mode flags. */
static unsigned long gen_mode(void)
{
	static const unsigned int flags[] = {
		MPOL_F_STATIC_NODES, MPOL_F_RELATIVE_NODES,
		MPOL_F_NUMA_BALANCING, MPOL_USER_NODES,
		MPOL_F_STATIC_NODES | MPOL_F_NUMA_BALANCING,
	};
	unsigned long mode;

	if (rng_pct(&R, 30))
		mode = MPOL_BIND;
	else if (rng_pct(&R, 85))
		mode = rng_below(&R, MPOL_WEIGHTED_INTERLEAVE + 1);
	else
		switch (rng_below(&R, 4)) {
		case 0: mode = MPOL_WEIGHTED_INTERLEAVE + 1 + rng_below(&R, 8); break;
		case 1: mode = -1UL; break;
		case 2: mode = rng_next(&R); break;
		default: mode = 1UL << rng_below(&R, 64); break;
		}
	if (rng_pct(&R, 12))
		mode |= flags[rng_below(&R, sizeof(flags) / sizeof(flags[0]))];
	return mode;
}

/*
 * sanitize_mpol_flags(): @arg as mode and mode flags; false for EINVAL.
 * *@maybe: refused before Linux 6.10 only (MPOL_F_NUMA_BALANCING with
 * MPOL_PREFERRED_MANY).
 */
static bool mode_valid(unsigned long arg, int *mode, unsigned int *flags,
		       bool *maybe)
{
	int l = (int)arg;
	/* MPOL_WEIGHTED_INTERLEAVE is 6.9's; before, modes end at 5 */
	unsigned int max = kernel_at_least(6, 9) ? 7 : 6;

	*flags = l & MPOL_FLAGS;
	*mode = l & ~MPOL_FLAGS;
	*maybe = false;
	if ((unsigned int)*mode >= max)
		return false;
	if ((*flags & MPOL_USER_NODES) == MPOL_USER_NODES)
		return false;
	if (*flags & MPOL_F_NUMA_BALANCING) {
		if (*mode == MPOL_PREFERRED_MANY)
			*maybe = true;
		else if (*mode != MPOL_BIND)
			return false;
	}
	return true;
}

/*
 * mpol_new() and mpol_set_nodemask(): the policy of @mode, @flags and
 * the mask read, or false for EINVAL.
 */
static bool kpol_make(int mode, unsigned int flags, const uint64_t user[2],
		      struct kpol *p)
{
	bool empty = !user[0] && !user[1];
	uint64_t r = 0;

	*p = (struct kpol) { 0 };
	if (mode == MPOL_DEFAULT)
		return empty;
	if (mode == MPOL_PREFERRED && empty) {
		if (flags & MPOL_USER_NODES)
			return false;
		mode = MPOL_LOCAL;
	} else if (mode == MPOL_LOCAL) {
		if (!empty || flags & MPOL_USER_NODES)
			return false;
	} else if (empty) {
		return false;
	} else if (flags & MPOL_F_RELATIVE_NODES) {
		/* bit n means the (n % w)-th of the w nodes with memory */
		int w = __builtin_popcountll(mem_nodes);

		for (int n = 0; n < 128; n++) {
			uint64_t m = mem_nodes;

			if (!(user[n / 64] >> (n % 64) & 1))
				continue;
			for (int k = n % w; k; k--)
				m &= m - 1;
			r |= m & -m;
		}
	} else {
		r = user[0] & mem_nodes;
	}
	if (mode != MPOL_LOCAL && !r)
		return false;
	if (mode == MPOL_PREFERRED)
		r &= -r;
	*p = (struct kpol) {
		.set = true, .mode = mode, .flags = flags,
		.nodes = mode == MPOL_LOCAL ? 0 : r,
	};
	if (keeps_user(mode, flags)) {
		p->user[0] = user[0];
		p->user[1] = user[1];
	}
	return true;
}

/* mpol_equal() */
static bool kpol_equal(const struct kpol *a, const struct kpol *b)
{
	if (!a->set || !b->set)
		return a->set == b->set;
	if (a->mode != b->mode || a->flags != b->flags)
		return false;
	if (keeps_user(a->mode, a->flags) &&
	    (a->user[0] != b->user[0] || a->user[1] != b->user[1]))
		return false;
	return a->mode == MPOL_LOCAL || a->nodes == b->nodes;
}

/* What get_mempolicy() reports of @p: the mode and word 0 of the mask. */
static void kpol_report(const struct kpol *p, int *mode, uint64_t *mask)
{
	*mode = p->set ? p->mode | (int)p->flags : MPOL_DEFAULT;
	*mask = !p->set ? 0 : keeps_user(p->mode, p->flags) ? p->user[0] :
		p->nodes;
}

/*
 * The scratch mappings of an mbind() call: up to SCR_SEGS segments side
 * by side, each a mapping of a pool fd or a hole, between two PROT_NONE
 * guard pages that keep other mappings from merging with them.  The
 * model keeps the VMAs (where each starts) and each page's VMA policy:
 * mbind() splits a VMA where its range begins or ends inside it, and
 * merges the part it changed with a neighbour of the same segment whose
 * policy is now equal, unless the VMA is VM_SPECIAL (gmem's huge fds
 * before 6.15 map with VM_MIXEDMAP), which the kernel never merges.
 * Adjacent segments never merge: another fd, offsets not contiguous, or
 * another prot.
 */
#define SCR_SEGS	3
#define SCR_PAGES	24
static struct {
	unsigned char *base;	/* page 0; a guard page before it */
	uint64_t npages;
	struct {
		int gi;			/* -1: a hole */
		uint64_t first, n;	/* its pages of the scratch */
		uint64_t pgoff;
		int prot;
		bool special;		/* VM_SPECIAL: never merged */
	} seg[SCR_SEGS];
	int nseg;
	int seg_of[SCR_SEGS * SCR_PAGES];
	bool vstart[SCR_SEGS * SCR_PAGES + 1];	/* a VMA (or hole) starts here */
	struct kpol vpol[SCR_SEGS * SCR_PAGES];
	bool touched;		/* pages mapped: MPOL_MF_STRICT may see them */
} scr;

static bool scr_hole(uint64_t p)
{
	return scr.seg[scr.seg_of[p]].gi < 0;
}

/* The pages [*a, *b) of the VMA that holds page @p. */
static void scr_vma(uint64_t p, uint64_t *a, uint64_t *b)
{
	*a = p;
	*b = p + 1;
	while (!scr.vstart[*a])
		(*a)--;
	while (!scr.vstart[*b])
		(*b)++;
}

/*
 * Whether the VMA at @addr is VM_SPECIAL: smaps' VmFlags io, pf, de or
 * mm (VM_IO, VM_PFNMAP, VM_DONTEXPAND, VM_MIXEDMAP).
 */
static bool vma_special(const void *addr)
{
	unsigned long lo, hi, a = (unsigned long)addr;
	char line[512], perms[8];
	bool here = false, special = false;
	FILE *f = fopen("/proc/self/smaps", "re");

	if (!f)
		bad("/proc/self/smaps: %s", errno_name(errno));
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 &&
		    strlen(perms) == 4) {
			here = a >= lo && a < hi;
			continue;
		}
		if (here && !strncmp(line, "VmFlags:", 8)) {
			special = strstr(line, " io") || strstr(line, " pf") ||
				  strstr(line, " de") || strstr(line, " mm");
			break;
		}
	}
	fclose(f);
	return special;
}

/* A pool fd that can be mapped, or -1. */
static int pick_mappable(void)
{
	int live[NFD], n = 0;

	for (int i = 0; i < NFD; i++)
		if (fds[i].used && !fds[i].closed && fds[i].flags & GMEM_CREATE_MMAP)
			live[n++] = i;
	return n ? live[rng_below(&R, n)] : -1;
}

static bool scr_setup(void)
{
	static const int prots[] = {
		PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE, PROT_READ,
		PROT_NONE, PROT_WRITE,
	};
	unsigned char *r;

	scr.nseg = rng_range(&R, 1, SCR_SEGS);
	scr.npages = 0;
	scr.touched = false;
	for (int s = 0; s < scr.nseg; s++) {
		int gi = scr.nseg > 1 && rng_pct(&R, 20) ? -1 : pick_mappable();
		uint64_t n = rng_range(&R, 1, SCR_PAGES);

		scr.seg[s].gi = gi;
		scr.seg[s].prot = prots[rng_pct(&R, 70) ? 0 : rng_below(&R, 5)];
		scr.seg[s].pgoff = 0;
		if (gi >= 0) {
			struct gfd *g = &fds[gi];
			int k = rng_below(&R, g->nwin);

			if (rng_pct(&R, 10)) {
				/* past the end of the fd */
				scr.seg[s].pgoff = g->npages - rng_below(&R, n < g->npages ? n : g->npages);
			} else if (has_mid(g) && rng_pct(&R, 5)) {
				/* into the pages between the windows */
				scr.seg[s].pgoff = g->wn[0] - 1;
			} else {
				if (n > g->wn[k])
					n = g->wn[k];
				scr.seg[s].pgoff = g->wstart[k] + rng_below(&R, g->wn[k] - n + 1);
			}
			/* not mergeable with the segment before */
			if (s && scr.seg[s - 1].gi == gi &&
			    scr.seg[s - 1].pgoff + scr.seg[s - 1].n == scr.seg[s].pgoff &&
			    scr.seg[s - 1].prot == scr.seg[s].prot)
				scr.seg[s].prot = scr.seg[s].prot == PROT_READ ?
						  PROT_NONE : PROT_READ;
		}
		scr.seg[s].first = scr.npages;
		scr.seg[s].n = n;
		for (uint64_t i = 0; i < n; i++) {
			scr.seg_of[scr.npages + i] = s;
			scr.vpol[scr.npages + i] = (struct kpol) { 0 };
			scr.vstart[scr.npages + i] = !i;
		}
		scr.npages += n;
	}
	scr.vstart[scr.npages] = true;
	if (scr.nseg == 1 && scr.seg[0].gi < 0)
		return false;
	r = mmap(NULL, (scr.npages + 2) * ps, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED)
		bad("scratch: mmap: %s", errno_name(errno));
	scr.base = r + ps;
	for (int s = 0; s < scr.nseg; s++) {
		unsigned char *a = scr.base + scr.seg[s].first * ps;
		size_t len = scr.seg[s].n * ps;

		if (scr.seg[s].gi < 0) {
			if (munmap(a, len))
				bad("scratch: munmap: %s", errno_name(errno));
		} else if (mmap(a, len, scr.seg[s].prot, MAP_SHARED | MAP_FIXED,
				fds[scr.seg[s].gi].fd, scr.seg[s].pgoff * ps) != a) {
			bad("scratch: mmap of pool fd %d at page %llu: %s",
			    scr.seg[s].gi, (unsigned long long)scr.seg[s].pgoff,
			    errno_name(errno));
		}
		scr.seg[s].special = scr.seg[s].gi >= 0 && vma_special(a);
	}
	return true;
}

/*
 * gmem's set_policy() for scratch pages [@a, @b) of one segment: their
 * pages of the fd (those past its end ignored) get @p's placement and a
 * new policy object, or none for MPOL_DEFAULT.
 */
static void scr_store(uint64_t a, uint64_t b, const struct kpol *p)
{
	static uint32_t next_rid;
	int s = scr.seg_of[a];
	struct gfd *g = &fds[scr.seg[s].gi];
	uint64_t lo = scr.seg[s].pgoff + (a - scr.seg[s].first);
	uint64_t hi = lo + (b - a);
	uint32_t rid = p->set ? ++next_rid : 0;
	uint64_t rp = p->set ? kpol_where(p) : 0;

	if (hi > g->npages)
		hi = g->npages;
	if (lo >= hi)
		return;
	if (touches_mid(g, lo, hi))
		g->mpol_unknown = true;
	FOR_PAGES(g, lo, hi, q, {
		q->rp = rp;
		q->rid = rid;
	});
}

/*
 * mbind_range() on the VMA holding page @i, for the range [@a, @b): if
 * its policy differs from @p, its part in the range is split off and
 * takes @p (@store: and goes to gmem, merged with a neighbour of the
 * segment whose policy is @p now, unless VM_SPECIAL).  Returns where the
 * VMA ended.
 */
static uint64_t scr_vma_apply(uint64_t i, uint64_t a, uint64_t b,
			      const struct kpol *p, bool store)
{
	int s = scr.seg_of[i];
	uint64_t va, vb, lo, hi, end = scr.seg[s].first + scr.seg[s].n;

	scr_vma(i, &va, &vb);
	lo = va > a ? va : a;
	hi = vb < b ? vb : b;
	if (kpol_equal(&scr.vpol[i], p))
		return vb;
	scr.vstart[lo] = true;
	scr.vstart[hi] = true;
	if (!store)
		return vb;
	for (uint64_t j = lo; j < hi; j++)
		scr.vpol[j] = *p;
	if (!scr.seg[s].special) {
		if (lo == va && va > scr.seg[s].first &&
		    kpol_equal(&scr.vpol[va - 1], p))
			scr.vstart[lo] = false;
		if (hi == vb && vb < end && kpol_equal(&scr.vpol[vb], p))
			scr.vstart[hi] = false;
	}
	scr_vma(lo, &va, &vb);
	scr_store(va, vb, p);
	return vb;
}

/* mbind() of scratch pages [@a, @b) with @p: each VMA in turn. */
static void scr_apply(uint64_t a, uint64_t b, const struct kpol *p)
{
	uint64_t i = a;

	if (p->set)
		stat_mbind_set++;
	while (i < b)
		i = scr_hole(i) ? i + 1 : scr_vma_apply(i, a, b, p, true);
}

/*
 * A policy gmem refused: the kernel split the first VMA it changes
 * before asking gmem (6.9+, MPOL_WEIGHTED_INTERLEAVE), and stopped.
 */
static void scr_refused(uint64_t a, uint64_t b, const struct kpol *p)
{
	for (uint64_t i = a; i < b; ) {
		uint64_t va, vb;

		if (scr_hole(i)) {
			i++;
			continue;
		}
		scr_vma(i, &va, &vb);
		if (!kpol_equal(&scr.vpol[i], p)) {
			scr_vma_apply(i, a, b, p, false);
			return;
		}
		i = vb;
	}
}

/* One mbind() over the scratch mappings, its result against the model. */
static void mbind_once(void)
{
	struct maskarg m;
	struct expect e = { 0 };
	unsigned long mode_arg = gen_mode(), start, len, alen;
	uint64_t user[2], a, b, holes = 0;
	unsigned int mflags, flags;
	int mode, err;
	bool maybe, none, made = false;
	struct kpol np = { 0 };
	long ret;

	a = rng_below(&R, scr.npages);
	b = rng_range(&R, a + 1, scr.npages);
	if (rng_pct(&R, 20))
		a = 0, b = scr.npages;
	start = (unsigned long)(scr.base + a * ps);
	len = (b - a) * ps;
	if (rng_pct(&R, 10))
		len -= rng_below(&R, ps);		/* rounded up */
	if (rng_pct(&R, 4))
		start += rng_range(&R, 1, ps - 1);	/* unaligned */
	if (rng_pct(&R, 6)) {
		switch (rng_below(&R, 4)) {
		case 0: len = 0; break;
		case 1: len = ULONG_MAX - rng_below(&R, ps - 1); break;	/* aligns to 0 */
		case 2: len = ULONG_MAX - ps - rng_below(&R, 1ULL << 40); break;
		default: len = -start + ps * rng_below(&R, 4); break;	/* wraps */
		}
	}
	flags = rng_pct(&R, 60) ? 0 :
		rng_pct(&R, 90) ? rng_below(&R, 8) :
		(uint32_t)rng_next(&R) >> rng_below(&R, 32);
	mode_valid(mode_arg, &mode, &mflags, &maybe);
	none = mode == MPOL_DEFAULT || mode == MPOL_LOCAL;
	gen_mask(&m, none);
	describe("mbind at scratch page %llu, len %#lx, of %llu scratch pages (%d segments) mode %#lx flags %#x mask %#llx %#llx high %ld maxnode %lu, %s, %zu words readable",
		 (unsigned long long)a, len, (unsigned long long)scr.npages, scr.nseg,
		 mode_arg, flags, (unsigned long long)m.w[0],
		 (unsigned long long)m.w[1], m.high, m.maxnode,
		 m.kind == M_NULL ? "NULL" : m.kind == M_KERNEL ? "kernel" :
		 m.kind == M_SHORT ? "short" : "valid", m.readable);

	/* kernel_mbind(): the mode, then the mask */
	if (!mode_valid(mode_arg, &mode, &mflags, &maybe))
		allow(&e, EINVAL);
	mask_expect(&m, &e, user);
	/* do_mbind()'s own checks */
	if (flags & ~(MPOL_MF_STRICT | MPOL_MF_MOVE | MPOL_MF_MOVE_ALL))
		allow(&e, EINVAL);
	if (flags & MPOL_MF_MOVE_ALL && geteuid())
		allow(&e, EPERM);
	if (start % ps)
		allow(&e, EINVAL);
	alen = (len + ps - 1) & ~(unsigned long)(ps - 1);
	if (start + alen < start)
		allow(&e, EINVAL);
	/* an empty range is done before the policy is made */
	if (!e.n && start + alen == start) {
		e.ok = true;
		goto call;
	}
	if (!e.n && !kpol_make(mode, mflags, user, &np))
		allow(&e, EINVAL);
	if (e.n)
		goto call;
	made = true;
	/* the VMAs: a hole is EFAULT but for MPOL_DEFAULT, all holes always */
	for (uint64_t i = a; i < b; i++)
		holes += scr_hole(i);
	if (holes == b - a || (holes && np.set))
		allow(&e, EFAULT);
	/* gmem cannot follow it; the first VMA it reaches refuses */
	if (np.set && np.mode == MPOL_WEIGHTED_INTERLEAVE)
		allow(&e, EINVAL);
	e.ok = !e.n;
	/* mapped pages off the nodes, which core MM cannot move */
	if (flags & MPOL_MF_STRICT && np.set && scr.touched)
		allow(&e, EIO);
	if (e.ok)
		allow(&e, ENOMEM);
call:
	if (maybe)
		allow(&e, EINVAL);
	ret = syscall(SYS_mbind, start, len, mode_arg, m.ptr, m.maxnode, flags);
	err = errno;
	judge(ret, err, &e);
	if (ret && err == ENOMEM) {
		/* part of it done: which, and the VMAs, are not known */
		for (uint64_t i = a; i < b; i++)
			if (!scr_hole(i)) {
				struct gfd *g = &fds[scr.seg[scr.seg_of[i]].gi];

				g->mpol_unknown = true;
				for (int k = 0; k < g->nwin; k++)
					for (uint64_t j = 0; j < g->wn[k]; j++)
						g->w[k][j].rp = ALL_NODES;
			}
		scr.nseg = -1;
		return;
	}
	if (!made)
		return;
	/*
	 * EIO with MPOL_MF_MOVE comes after the policy is set (6.1 even
	 * with a hole the walk did not reach); but one that gmem refused
	 * stays refused (6.7+ report EIO over that EINVAL).
	 */
	if (np.set && np.mode == MPOL_WEIGHTED_INTERLEAVE) {
		/* EIO without MPOL_MF_MOVE: the walk stopped before that */
		if (ret && holes == 0 && (err == EINVAL ||
		    (err == EIO && flags & (MPOL_MF_MOVE | MPOL_MF_MOVE_ALL))))
			scr_refused(a, b, &np);
		return;
	}
	if (!ret || (err == EIO && flags & (MPOL_MF_MOVE | MPOL_MF_MOVE_ALL)))
		scr_apply(a, b, &np);
}

/*
 * get_mempolicy(MPOL_F_ADDR) in the scratch: the VMA's policy; with
 * MPOL_F_NODE the node of the page there, which it faults in.
 */
static void scr_get_policy(void)
{
	uint64_t p = rng_below(&R, scr.npages), words[2] = { ~0ULL, ~0ULL };
	unsigned char *addr = scr.base + p * ps + rng_below(&R, ps);
	unsigned long flags = MPOL_F_ADDR, maxnode = 128;
	struct expect e = { 0 };
	bool hole = scr_hole(p);
	int mode = -1, err;
	long ret;

	if (rng_pct(&R, 20))
		flags |= MPOL_F_NODE;
	if (rng_pct(&R, 5))
		flags |= rng_pct(&R, 50) ? MPOL_F_MEMS_ALLOWED : 1UL << rng_range(&R, 3, 63);
	if (rng_pct(&R, 5))
		maxnode = rng_below(&R, possible_nodes);
	describe("get_mempolicy at scratch page %llu flags %#lx maxnode %lu",
		 (unsigned long long)p, flags, maxnode);
	if (flags & ~(unsigned long)(MPOL_F_NODE | MPOL_F_ADDR | MPOL_F_MEMS_ALLOWED) ||
	    flags & MPOL_F_MEMS_ALLOWED || maxnode < (unsigned long)possible_nodes)
		allow(&e, EINVAL);
	else if (hole)
		allow(&e, EFAULT);
	if (!e.n && flags & MPOL_F_NODE) {
		/* the page is faulted in for reading: shared, inside the fd */
		int s = scr.seg_of[p];
		struct gfd *g = &fds[scr.seg[s].gi];
		uint64_t i = scr.seg[s].pgoff + (p - scr.seg[s].first);
		struct pstate *q = i < g->npages ? pg(g, i) : NULL;

		if (i < g->npages && !q)
			return;		/* between the windows: never allocated */
		if (!q || !q->shared || scr.seg[s].prot == PROT_NONE) {
			allow(&e, EFAULT);
		} else if (!(scr.seg[s].prot & PROT_READ)) {
			/* write-only: refused, but GUP-fast takes a mapped page */
			allow(&e, EFAULT);
			e.ok = true;
		} else {
			e.ok = true;
		}
		ret = syscall(SYS_get_mempolicy, &mode, words, maxnode, addr, flags);
		err = errno;
		if (!judge(ret, err, &e))
			return;
		model_got_page(g, i);
		scr.touched = true;
		if (!node_in(q->at, mode))
			bad("get_mempolicy(MPOL_F_NODE) says the page is on node %d; the model has it on %#llx",
			    mode, (unsigned long long)q->at);
		return;
	}
	e.ok = !e.n;
	ret = syscall(SYS_get_mempolicy, &mode, words, maxnode, addr, flags);
	err = errno;
	if (judge(ret, err, &e)) {
		int want;
		uint64_t mask;

		kpol_report(&scr.vpol[p], &want, &mask);
		if (mode != want || words[0] != mask || words[1])
			bad("get_mempolicy(MPOL_F_ADDR) reports mode %#x mask %#llx %#llx; the model %#x %#llx",
			    mode, (unsigned long long)words[0],
			    (unsigned long long)words[1], want,
			    (unsigned long long)mask);
	}
}

/* Read a shared page of the scratch: placed where the model says. */
static void scr_touch(void)
{
	uint64_t p = rng_below(&R, scr.npages), i;
	unsigned char *addr = scr.base + p * ps;
	struct pstate *q;
	struct gfd *g;
	struct fault f;
	int s;

	if (scr_hole(p))
		return;
	s = scr.seg_of[p];
	g = &fds[scr.seg[s].gi];
	i = scr.seg[s].pgoff + (p - scr.seg[s].first);
	q = i < g->npages ? pg(g, i) : NULL;
	if (!q || !q->shared || !(scr.seg[s].prot & PROT_READ))
		return;
	describe("touch scratch page %llu: page %llu of pool fd %d",
		 (unsigned long long)p, (unsigned long long)i,
		 scr.seg[s].gi);
	f = fault_read(addr, NULL);
	if (f.sig)
		bad("reading a shared page: %s", fault_str(f));
	model_got_page(g, i);
	if (q->hash != HASH_UNKNOWN && page_hash(addr) != q->hash)
		bad("shared page %llu of fd %d does not hold what it should",
		    (unsigned long long)i, scr.seg[s].gi);
	q->hash = page_hash(addr);
	check_node(g, i, addr, "mbind scratch");
	scr.touched = true;
}

/*
 * mbind() on gmem mappings: scratch mappings of pool fds (and holes),
 * then up to three mbind() calls over ranges in and across them, each
 * followed by get_mempolicy() and touches that check the VMAs' policies
 * and where new pages went.
 */
static void call_mbind(void)
{
	if (!scr_setup()) {
		describe("mbind: no mappable fd");
		return;
	}
	if (call_no >= verbose_from)
		for (int s = 0; s < scr.nseg; s++)
			printf("#   scratch segment %d: pages [%llu, +%llu) %s %d, pgoff %llu, prot %#x\n",
			       s, (unsigned long long)scr.seg[s].first,
			       (unsigned long long)scr.seg[s].n,
			       scr.seg[s].gi < 0 ? "hole" : "pool fd", scr.seg[s].gi,
			       (unsigned long long)scr.seg[s].pgoff, scr.seg[s].prot);
	for (int c = rng_range(&R, 1, 3); c > 0 && scr.nseg > 0; c--) {
		mbind_once();
		for (int k = rng_below(&R, 3); k > 0 && scr.nseg > 0; k--)
			scr_get_policy();
		for (int k = rng_below(&R, 4); k > 0 && scr.nseg > 0; k--)
			scr_touch();
	}
	munmap(scr.base - ps, (scr.npages + 2) * ps);
}

/*
 * set_mempolicy() of the task, which GMEM_NUMA_DEFAULT fds follow, and
 * get_mempolicy() of it.
 */
static void call_mempolicy(void)
{
	struct maskarg m;
	struct expect e = { 0 };
	unsigned long mode_arg = gen_mode();
	uint64_t user[2], words[2] = { ~0ULL, ~0ULL }, mask;
	unsigned int mflags;
	int mode, got = -1, want;
	bool maybe;
	struct kpol np = { 0 };
	long ret;

	if (rng_pct(&R, 30))
		mode_arg = MPOL_DEFAULT;	/* back to the default, mostly */
	mode_valid(mode_arg, &mode, &mflags, &maybe);
	gen_mask(&m, mode == MPOL_DEFAULT || mode == MPOL_LOCAL);
	describe("set_mempolicy mode %#lx mask %#llx %#llx high %ld maxnode %lu, %s, %zu words readable",
		 mode_arg, (unsigned long long)m.w[0],
		 (unsigned long long)m.w[1], m.high, m.maxnode,
		 m.kind == M_NULL ? "NULL" : m.kind == M_KERNEL ? "kernel" :
		 m.kind == M_SHORT ? "short" : "valid", m.readable);
	if (!mode_valid(mode_arg, &mode, &mflags, &maybe))
		allow(&e, EINVAL);
	mask_expect(&m, &e, user);
	if (!e.n && !kpol_make(mode, mflags, user, &np))
		allow(&e, EINVAL);
	e.ok = !e.n;
	if (e.ok)
		allow(&e, ENOMEM);
	if (maybe)
		allow(&e, EINVAL);
	ret = syscall(SYS_set_mempolicy, mode_arg, m.ptr, m.maxnode);
	if (judge(ret, errno, &e) && e.ok)
		task_pol = np;

	/* what the task's policy reads as now */
	describe("get_mempolicy of the task");
	if (syscall(SYS_get_mempolicy, &got, words, 128UL, NULL, 0UL))
		bad("get_mempolicy: %s", errno_name(errno));
	kpol_report(&task_pol, &want, &mask);
	if (got != want || words[0] != mask || words[1])
		bad("get_mempolicy reports mode %#x mask %#llx %#llx; the model %#x %#llx",
		    got, (unsigned long long)words[0],
		    (unsigned long long)words[1], want, (unsigned long long)mask);
	/* an address without MPOL_F_ADDR */
	if (rng_pct(&R, 10) &&
	    syscall(SYS_get_mempolicy, &got, NULL, 0UL, argbuf, 0UL) != -1)
		bad("get_mempolicy with an address and no MPOL_F_ADDR succeeded");
}

/* ---- the end ---- */

/* Every page the model knows, read back. */
static void check_contents(int gi)
{
	struct gfd *g = &fds[gi];
	unsigned char *m = NULL;

	for (int k = 0; k < g->nwin; k++) {
		int s = -1;
		struct gmem_test_bind b = {
			.fd = g->fd, .start = g->wstart[k], .nr_pages = g->wn[k],
		};

		if (ct >= 0) {
			if (ioctl(ct, GMEM_TEST_BIND, &b))
				bad("final check: bind: %s", errno_name(errno));
			s = b.slot;
		}
		if (g->flags & GMEM_CREATE_MMAP) {
			m = mmap(NULL, g->wn[k] * ps, PROT_READ, MAP_SHARED, g->fd,
				 g->wstart[k] * ps);
			if (m == MAP_FAILED)
				bad("final check: mmap: %s", errno_name(errno));
		}
		for (uint64_t i = 0; i < g->wn[k]; i++) {
			struct pstate *q = &g->w[k][i];
			const unsigned char *data = NULL;

			if (q->shared && m) {
				struct fault f = fault_read(m + i * ps, NULL);

				if (f.sig)
					bad("final check: shared page %llu of pool fd %d: %s",
					    (unsigned long long)(g->wstart[k] + i), gi,
					    fault_str(f));
				data = m + i * ps;
			} else if (!q->shared && s >= 0) {
				int err = ct_read_page(s, g->wstart[k] + i, page_a);

				if (err)
					bad("final check: private page %llu of pool fd %d: %d",
					    (unsigned long long)(g->wstart[k] + i), gi, err);
				data = page_a;
			}
			if (data && q->hash != HASH_UNKNOWN && page_hash(data) != q->hash)
				bad("final check: %s page %llu of pool fd %d does not hold what it should",
				    q->shared ? "shared" : "private",
				    (unsigned long long)(g->wstart[k] + i), gi);
		}
		if (m)
			munmap(m, g->wn[k] * ps);
		m = NULL;
		if (s >= 0)
			ioctl(ct, GMEM_TEST_UNBIND, &b.slot);
	}
}

/*
 * Test 2: the calls did what a run is there for.  Every kind of call ran;
 * those below succeeded at least once (a kind that only ever fails tests
 * only its argument checks); huge fds made 2 MiB folios; with two nodes,
 * GMEM_MIGRATE moved memory; and the consumer was there (unless -C).
 */
#define COVERAGE_CALLS	10000
#define COLLAPSE_COVERAGE_CALLS	100000
static const char *const must_succeed[] = {
	"create", "convert", "populate", "info", "fallocate", "mmap",
	"migrate", "bind", "resolve", "rw", "file-ops", "query", "dirty",
	"missing", "mbind", "mempolicy", "reopen",
};

static void coverage(void)
{
	bool consumer_kind, ok = true;

	if (ncalls < COVERAGE_CALLS) {
		printf("ok 2 - coverage # SKIP %llu calls, fewer than %d\n",
		       ncalls, COVERAGE_CALLS);
		return;
	}
	if (ct < 0 && !no_consumer) {
		printf("# no /dev/gmem_test: the consumer's calls did not run (-C to allow that)\n");
		ok = false;
	}
	for (unsigned int k = 0; k < sizeof(call_names) / sizeof(call_names[0]); k++) {
		consumer_kind = k >= 10 && k <= 15;
		if (ct < 0 && consumer_kind)
			continue;
		if (!stat_calls[k]) {
			printf("# no %s call ran\n", call_names[k]);
			ok = false;
			continue;
		}
		for (unsigned int i = 0; i < sizeof(must_succeed) / sizeof(must_succeed[0]); i++)
			if (!strcmp(call_names[k], must_succeed[i]) && !stat_kind_ok[k]) {
				printf("# none of %llu %s calls succeeded\n",
				       stat_calls[k], call_names[k]);
				ok = false;
			}
	}
	if (!stat_big) {
		printf("# no 2 MiB folio was made\n");
		ok = false;
	}
	if (__builtin_popcountll(mem_nodes) >= 2 && !stat_moved) {
		printf("# two nodes with memory, and GMEM_MIGRATE moved nothing\n");
		ok = false;
	}
	if (!stat_mbind_set) {
		printf("# no mbind() set a policy\n");
		ok = false;
	}
	if (__builtin_popcountll(mem_nodes) >= 2 && !stat_placed) {
		printf("# two nodes with memory, and no page's node was checked\n");
		ok = false;
	}
	/* a block to collapse takes a while to come about */
	if (ncalls >= COLLAPSE_COVERAGE_CALLS && !stat_collapsed) {
		printf("# GMEM_MIGRATE_COLLAPSE collapsed no block in %llu calls\n",
		       ncalls);
		ok = false;
	}
	printf("%s 2 - coverage: every kind of call ran, the main ones succeeded, 2 MiB folios made, memory migrated, blocks collapsed\n",
	       ok ? "ok" : "not ok");
	coverage_failed |= !ok;
}

static void usage(void)
{
	fprintf(stderr, "usage: gmem-fuzz [-s SEED] [-n CALLS] [-v FROM] [-c] [-C]\n"
		"  -c  check GMEM_INFO, st_blocks and fdinfo after every call\n"
		"  -C  without the test consumer: do not fail for lack of it\n");
	exit(2);
}

/*
 * A node list of /sys/devices/system/node ("0-1", "0,2"): the nodes below
 * 64 as a mask, and the highest one in *@highest (-1 if none).
 */
static uint64_t node_list(const char *name, int *highest)
{
	char path[96], buf[256], *q = buf;
	uint64_t mask = 0;
	FILE *f;

	*highest = -1;
	snprintf(path, sizeof(path), "/sys/devices/system/node/%s", name);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	while (*q >= '0' && *q <= '9') {
		long lo = strtol(q, &q, 10), hi = lo;

		if (*q == '-')
			hi = strtol(q + 1, &q, 10);
		for (long n = lo; n <= hi && n < 64; n++)
			mask |= 1ULL << n;
		if (hi > *highest)
			*highest = hi;
		if (*q == ',')
			q++;
	}
	return mask;
}

/*
 * The kernel's MAX_NUMNODES: get_nodes() refuses a mask with a bit set at
 * or above it, while a mask of a node with memory and any node below it
 * binds the task to the node with memory.  It is a power of two; under 64
 * the masks' model (mask_expect()) would not hold.
 */
static unsigned long probe_max_nodes(void)
{
	static unsigned long words[MASK_BITS_MAX / 64];
	uint64_t low = mem_nodes & -mem_nodes;
	unsigned long k = 1;

	/* the first node refused is MAX_NUMNODES */
	for (; k < MASK_BITS_MAX; k *= 2) {
		memset(words, 0, sizeof(words));
		words[0] = low;
		words[k / 64] |= 1UL << (k % 64);
		if (syscall(SYS_set_mempolicy, MPOL_BIND, words, k + 2))
			break;
	}
	/* a kernel without NUMA: the policy calls fail ENOSYS, masks unread */
	if (k == 1 && errno == ENOSYS)
		return MASK_BITS_MAX;
	if (k < MASK_BITS_MAX && errno != EINVAL) {
		printf("Bail out! set_mempolicy(MPOL_BIND) of node %lu: %s\n",
		       k, errno_name(errno));
		exit(1);
	}
	if (k < 64 || syscall(SYS_set_mempolicy, MPOL_DEFAULT, NULL, 0UL)) {
		printf("Bail out! MAX_NUMNODES below 64, or set_mempolicy(MPOL_DEFAULT): %s\n",
		       errno_name(errno));
		exit(1);
	}
	return k;
}

static void setup(void)
{
	unsigned char *region;
	unsigned long long v;

	ps = page_size();
	if (read_ull("/sys/module/gmem/parameters/max_size", &v)) {
		printf("Bail out! cannot read gmem's max_size parameter\n");
		exit(1);
	}
	max_size = v;
	{
		int highest;

		mem_nodes = node_list("has_memory", &highest);
		node_list("possible", &highest);
		possible_nodes = highest + 1;
		if (!mem_nodes || possible_nodes < 1) {
			mem_nodes = 1;		/* no NUMA: node 0 */
			possible_nodes = 1;
		}
		printf("# NUMA: %d possible nodes, with memory %#llx\n",
		       possible_nodes, (unsigned long long)mem_nodes);
	}
	dev_fd = open("/dev/gmem", O_RDWR | O_CLOEXEC);
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (dev_fd < 0 || null_fd < 0) {
		printf("Bail out! open /dev/gmem: %s\n", errno_name(errno));
		exit(1);
	}
	ct = open("/dev/gmem_test", O_RDWR | O_CLOEXEC);
	if (ct < 0)
		printf("# no /dev/gmem_test (%s): the consumer calls are left out\n",
		       errno_name(errno));
	else
		for (uint32_t s = 0; s < GMEM_TEST_SLOTS; s++)
			ioctl(ct, GMEM_TEST_UNBIND, &s);	/* a clean start */
	/* argbuf: 2 pages, guard; src: SRC_PAGES, guard; ro; page_a, page_b, guard */
	region = mmap(NULL, (3 + SRC_PAGES + 1 + 4) * ps, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (region == MAP_FAILED) {
		printf("Bail out! mmap: %s\n", errno_name(errno));
		exit(1);
	}
	argbuf = region;
	guard = region + 2 * ps;
	src = region + 3 * ps;
	ro_page = src + (SRC_PAGES + 1) * ps;
	page_a = ro_page + ps;
	page_b = page_a + ps;
	if (mprotect(guard, ps, PROT_NONE) ||
	    mprotect(src + SRC_PAGES * ps, ps, PROT_NONE) ||
	    mprotect(ro_page, ps, PROT_READ) ||
	    mprotect(page_b + ps, ps, PROT_NONE)) {
		printf("Bail out! mprotect: %s\n", errno_name(errno));
		exit(1);
	}
	memset(page_a, 0, ps);
	hash_zero = page_hash(page_a);
	fault_install();
	/* Does MPOL_F_NUMA_BALANCING keep the mask as given (bit 63)? */
	for (int mode = MPOL_BIND; mode <= MPOL_PREFERRED_MANY;
	     mode += MPOL_PREFERRED_MANY - MPOL_BIND) {
		unsigned long words[2] = { (mem_nodes & -mem_nodes) | 1UL << 63, 0 };
		int got;

		/* PREFERRED_MANY takes the flag from 6.10 */
		if (syscall(SYS_set_mempolicy, mode | MPOL_F_NUMA_BALANCING,
			    words, 65UL))
			continue;
		if (syscall(SYS_get_mempolicy, &got, words, 128UL, NULL, 0UL) ||
		    syscall(SYS_set_mempolicy, MPOL_DEFAULT, NULL, 0UL)) {
			printf("Bail out! get_mempolicy, set_mempolicy: %s\n",
			       errno_name(errno));
			exit(1);
		}
		if (words[0] >> 63)
			nb_user_modes |= 1U << mode;
	}
	printf("# MPOL_F_NUMA_BALANCING keeps the mask as given for modes %#x\n",
	       nb_user_modes);
	kmax_nodes = probe_max_nodes();
	printf("# MAX_NUMNODES %lu\n", kmax_nodes);
}

int main(int argc, char **argv)
{
	bool have_seed = false;
	double start;
	int c;

	while ((c = getopt(argc, argv, "s:n:v:cC")) != -1) {
		char *end;

		errno = 0;
		switch (c) {
		case 's': seed = strtoull(optarg, &end, 0); have_seed = true; break;
		case 'n': ncalls = strtoull(optarg, &end, 0); break;
		case 'v': verbose_from = strtoull(optarg, &end, 0); break;
		case 'c': check_always = true; end = ""; break;
		case 'C': no_consumer = true; end = ""; break;
		default: usage();
		}
		if (errno || *end)
			usage();
	}
	if (optind != argc)
		usage();
	if (!have_seed) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		seed = rng_mix((uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec, getpid());
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	R.s = seed;
	printf("1..3\n# gmem-fuzz: seed %#" PRIx64 "; replay with: gmem-fuzz -s %#" PRIx64
	       " -n %llu\n", seed, seed, ncalls);
	setup();
	pool_tend();
	start = now_s();

	for (call_no = 0; call_no < ncalls; call_no++) {
		unsigned int r = rng_below(&R, 106), kind;
		unsigned long long ok0 = stat_ok;
		int gi = pick_fd();
		double t0 = now_s();

		if (gi < 0) {
			pool_tend();
			gi = pick_fd();
		}
		if (ct < 0 && r >= 78 && r < 98)
			r = rng_below(&R, 78);
		if (r >= 104)
			kind = 23, call_reopen(gi);
		else if (r >= 102)
			kind = 22, call_mempolicy();
		else if (r >= 100)
			kind = 21, call_mbind();
		else if (r < 5)
			kind = 0, call_create();
		else if (r < 18)
			kind = 1, call_convert(gi);
		else if (r < 28)
			kind = 2, call_populate(gi);
		else if (r < 32)
			kind = 3, call_info(gi);
		else if (r < 48)
			kind = 4, call_fallocate(gi);
		else if (r < 56)
			kind = 5, call_mmap(gi);
		else if (r < 64) {
			int mi = pick_map();

			kind = 6;
			if (mi >= 0)
				touch_map(mi, 1);
			else
				call_mmap(gi);
		} else if (r < 66) {
			int mi = pick_map();

			kind = 7;
			describe("munmap mapping %d", mi);
			if (mi >= 0) {
				if (munmap(maps[mi].addr, maps[mi].len))
					bad("munmap: %s", errno_name(errno));
				maps[mi].used = false;
			}
		} else if (r < 69)
			kind = 8, call_ioctl_other(gi);
		else if (r < 72)
			kind = 17, call_migrate(gi);
		else if (r < 75)
			kind = 9, call_file_ops(gi);
		else if (r < 76)
			kind = 18, call_query(gi);
		else if (r < 77)
			kind = 19, call_dirty(gi);
		else if (r < 78)
			kind = rng_pct(&R, 50) ? (call_close(), 16) :
					       (call_missing(gi), 20);
		else if (r < 83)
			kind = 10, call_bind();
		else if (r < 86)
			kind = 11, call_unbind();
		else if (r < 91)
			kind = 12, call_resolve();
		else if (r < 96)
			kind = 13, call_rw();
		else if (r < 97)
			kind = 14, call_events();
		else if (r < 98)
			kind = 15, call_kstress();
		else
			kind = 16, call_close();
		settle_claims();
		last_err = 0;
		stat_calls[kind]++;
		stat_kind_ok[kind] += stat_ok - ok0;
		stat_time[kind] += now_s() - t0;
		if (check_always || call_no % CHECK_EVERY == CHECK_EVERY - 1) {
			pool_tend();
			for (int i = 0; i < NFD; i++)
				if (fds[i].used)
					check_fd_state(i);
		}
	}
	printf("# %llu calls in %.1f s: %llu succeeded, %llu failed as expected; %llu 2 MiB folios made, %llu MiB migrated\n",
	       ncalls, now_s() - start, stat_ok, stat_err, stat_big,
	       stat_moved >> 20);
	printf("# %llu collapse calls, %llu with blocks to collapse: %llu blocks collapsed\n",
	       stat_collapse_calls, stat_collapse_candidates, stat_collapsed);
	printf("# file operations: %llu bytes read, %llu written, %llu SEEK_DATA/SEEK_HOLE answers\n",
	       stat_read, stat_written, stat_seek_data);
	printf("# memory policies: %llu mbind() calls set one, %llu pages' nodes checked against them\n",
	       stat_mbind_set, stat_placed);
	for (unsigned int k = 0; k < sizeof(call_names) / sizeof(call_names[0]); k++)
		printf("#   %-12s %8llu calls %7.1f s\n", call_names[k], stat_calls[k],
		       stat_time[k]);
	printf("ok 1 - fuzz: %llu calls, every result as documented, seed %#" PRIx64 "\n",
	       ncalls, seed);
	coverage();

	/* The end: no bindings, then every fd against the model. */
	call_no = ncalls;
	describe("final check");
	for (int s = 0; s < GMEM_TEST_SLOTS; s++) {
		if (!slots[s].used)
			continue;
		if (ioctl(ct, GMEM_TEST_UNBIND, &(uint32_t){ s }))
			bad("final unbind of slot %d: %s", s, errno_name(errno));
		slot_release(s);
	}
	for (int i = 0; i < NFD; i++) {
		if (!fds[i].used || fds[i].closed)
			continue;
		check_fd_state(i);
		check_contents(i);
		drop_fd(i);
	}
	printf("ok 3 - state consistent at the end: GMEM_INFO, st_blocks, fdinfo, contents\n");
	return coverage_failed;
}
