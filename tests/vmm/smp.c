// SPDX-License-Identifier: GPL-2.0
/*
 * Several vCPUs against gmem's operations at the same time (issue 14): a
 * protected VM with SMP_VCPUS vCPUs on a gmem-only memslot (a
 * GMEM_CREATE_MMAP fd, so private and shared pages both fault in through
 * gmem), each vCPU driven by a thread of its own, keeps faulting in,
 * writing and checking the pages of a work area while the test's main
 * thread converts them to shared and back, punches them and writes new
 * contents, and migrates them between NUMA nodes: the same pages, at the
 * same time, not between guest runs.
 *
 * The work area (GPA SMP_WORK up, after the image) is SMP_CHUNKS chunks
 * of four pages: two "guest pages", each written by one vCPU alone
 * (CMD_STAMP: every 32-bit word its own GPA xor a seed), and two "host
 * pages", written by the main thread alone (fill_place() of their GPA,
 * tagged with a generation that each punch and refill advances).  Every
 * check is a CMD_SUM, whose checksum hashes each byte with its GPA,
 * against vmm_checksum() of what the page must hold: a page read from the
 * wrong place, a stale one or a hole fails it.
 *
 * Each vCPU, round after round over its guest pages: checks that the page
 * still holds what it last wrote there (across whatever conversions and
 * migrations happened meanwhile), stamps it with a new seed and checks
 * that; then checks one host page, whose checksum must be that of the
 * generation the main thread had published before the command began.  If
 * the main thread began a newer one before the command ended, the page
 * may be half written or a hole, and any of those generations or anything
 * else passes, counted as "overlapped"; the others are "strict".
 *
 * The main thread, round after round (each once both vCPUs have done a
 * guest page since the last), takes the next chunk through
 *
 *   1. GMEM_CONVERT to shared
 *   2. punch a host page, write its next generation through the mapping
 *   3. read the chunk's guest pages through the mapping (when their vCPU
 *      is not writing them: a sequence count): they must be what the
 *      vCPU wrote, so a write that went to a page KVM should no longer
 *      have mapped shows
 *   4. GMEM_MIGRATE to node 1, and read the guest pages again
 *
 * and the chunk it took there SMP_LAG rounds before (so that the vCPUs
 * find some chunks shared, most private) through
 *
 *   5. read its guest pages once more, GMEM_CONVERT it to private
 *   6. punch the other host page, GMEM_POPULATE its next generation
 *   7. GMEM_MIGRATE to node 0
 *
 * The test runs twice: with the memslot's userspace_addr somewhere else,
 * so that only gmem's invalidations tell KVM what changed, and with it the
 * VMM's mapping of the fd, as a VMM would have it (smp_churn()).
 *
 * A vCPU whose access races a conversion may get a KVM_EXIT_MEMORY_FAULT
 * (EFAULT) for a work page; it runs again, which repeats the access (the
 * patched KVM retries such faults by itself, so these are counted and
 * normally none).  Bounded by SMP_ROUNDS rounds and SMP_SECS seconds; in
 * the end, with everything quiet, the vCPUs and the host check every page
 * once more.  Without two NUMA nodes there are no migrations, and the
 * test says so.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/gmem.h>

#include "common.h"
#include "numa.h"
#include "suites.h"
#include "sys.h"

#define SMP_VCPUS	2
#define SMP_CHUNKS	8
#define CHUNK_PAGES	4
#define SMP_PAGES	(SMP_CHUNKS * CHUNK_PAGES)
#define SMP_WORK	GUEST_MEM_SIZE		/* GPA and fd offset */
#define SMP_MEM		(SMP_WORK + SMP_PAGES * GUEST_PAGE)
#define CHUNK_BYTES	(CHUNK_PAGES * GUEST_PAGE)
#define SMP_LAG		3		/* chunks shared at a time */
#define SMP_ROUNDS	240		/* rounds at most */
#define SMP_SECS	30.0		/* and no longer than this */
#define HOST_TAG	0x484f5354u	/* "HOST", plus the generation */

/* Page @i of the work area, and what it is: in each chunk, page 0 is the
 * guest page of vCPU (chunk % SMP_VCPUS), page 2 that of the next vCPU,
 * pages 1 and 3 host pages. */
static uint32_t work_gpa(unsigned int i)
{
	return SMP_WORK + i * GUEST_PAGE;
}

static bool is_host_page(unsigned int i)
{
	return i % 2;
}

static unsigned int guest_page_owner(unsigned int i)
{
	return (i / CHUNK_PAGES + i % CHUNK_PAGES / 2) % SMP_VCPUS;
}

static bool in_work(uint64_t gpa)
{
	return gpa >= SMP_WORK && gpa < SMP_MEM;
}

struct page_state {
	/* Host pages: the generation begun and the one published. */
	atomic_uint started, done;
	/* Guest pages: the seed stamped last; seq odd while it changes. */
	atomic_uint seq, seed;
};

struct smp;

struct vcpu_thread {
	struct smp *s;
	unsigned int id;
	struct vm cpu;			/* vCPU 0: the VM itself */
	pthread_t thread;
	/* What it did. */
	unsigned long passes, guest_checks, stamps, strict, overlapped;
	unsigned long shared_touches, fault_exits;
	char error[256];
	atomic_bool failed;		/* error[] is set */
	atomic_ulong steps;		/* guest pages done, for the pacing */
};

struct smp {
	struct vm vm;
	int fd;
	uint8_t *mem;			/* the VMM's mapping of the whole fd */
	struct page_state pages[SMP_PAGES];
	atomic_bool chunk_shared[SMP_CHUNKS];
	atomic_bool stop;
	struct vcpu_thread vcpus[SMP_VCPUS];
	/* The main thread's counts. */
	unsigned long rounds, to_shared, to_private, punch_shared,
		      punch_private, migrations, migrate_busy, host_reads;
	uint64_t moved;
};

static void host_page_image(uint8_t *p, unsigned int i, uint32_t gen)
{
	fill_place(p, GUEST_PAGE, HOST_TAG + gen, work_gpa(i));
}

static void guest_page_image(uint8_t *p, unsigned int i, uint32_t seed)
{
	uint32_t gpa = work_gpa(i);

	for (uint32_t o = 0; o < GUEST_PAGE; o += 4) {
		uint32_t v = (gpa + o) ^ seed;

		memcpy(p + o, &v, 4);
	}
}

static uint32_t host_page_sum(unsigned int i, uint32_t gen)
{
	uint8_t p[GUEST_PAGE];

	host_page_image(p, i, gen);
	return vmm_checksum(p, GUEST_PAGE, work_gpa(i));
}

static uint32_t guest_page_sum(unsigned int i, uint32_t seed)
{
	uint8_t p[GUEST_PAGE];

	guest_page_image(p, i, seed);
	return vmm_checksum(p, GUEST_PAGE, work_gpa(i));
}

/* The seed vCPU @v's @n'th stamp of page @i: never the same twice. */
static uint32_t next_seed(unsigned int v, unsigned long n, unsigned int i)
{
	return 0x5eed0000u ^ (uint32_t)(n << 12) ^ (v << 8) ^ i;
}

/*
 * One command on the thread's vCPU, to its result.  A memory fault exit
 * (EFAULT) for a page of the work area is a fault that raced a
 * conversion: the vCPU runs again, which repeats the access.  Anything
 * else records an error and returns false.
 */
static bool vcpu_do(struct vcpu_thread *t, uint32_t cmd, const uint32_t *args,
		    unsigned int nargs, uint32_t *res)
{
	unsigned int retries = 0;
	struct vexit x;
	bool ok;

	ok = guest_cmd(&t->cpu, cmd, args, nargs, res, &x);
	while (!ok) {
		if (x.kind != VX_MEMORY_FAULT || x.err != EFAULT ||
		    !in_work(x.fault.gpa) || ++retries > 100000) {
			snprintf(t->error, sizeof(t->error),
				 "vCPU %u, command %u (%#x): %s%s", t->id, cmd,
				 nargs ? args[0] : 0, vexit_str(&x),
				 retries > 100000 ? ", 100000 times" : "");
			return false;
		}
		t->fault_exits++;
		ok = guest_finish(&t->cpu, res, &x);
	}
	if (*res == RESULT_BAD_CMD) {
		snprintf(t->error, sizeof(t->error),
			 "vCPU %u: guest refused command %u", t->id, cmd);
		return false;
	}
	return true;
}

#define VCPU_DO(t, res, cmd, ...)					\
	vcpu_do((t), (cmd), (const uint32_t[]){ __VA_ARGS__ },		\
		sizeof((const uint32_t[]){ __VA_ARGS__ }) / sizeof(uint32_t),	\
		(res))

/* The guest's checksum of its own page @i must be that of @seed. */
static bool vcpu_check_guest_page(struct vcpu_thread *t, unsigned int i,
				  uint32_t seed, const char *when)
{
	uint32_t sum, want = guest_page_sum(i, seed);

	if (!VCPU_DO(t, &sum, CMD_SUM, work_gpa(i), GUEST_PAGE))
		return false;
	t->guest_checks++;
	if (sum != want) {
		snprintf(t->error, sizeof(t->error),
			 "vCPU %u: its page %#x %s: checksum %#x, expected %#x (seed %#x)",
			 t->id, work_gpa(i), when, sum, want, seed);
		return false;
	}
	return true;
}

/* Check host page @i against the generations it may hold (see above). */
static bool vcpu_check_host_page(struct vcpu_thread *t, unsigned int i,
				 bool strict_only)
{
	struct page_state *ps = &t->s->pages[i];
	uint32_t sum, g0, g1;

	g0 = atomic_load(&ps->done);
	if (!VCPU_DO(t, &sum, CMD_SUM, work_gpa(i), GUEST_PAGE))
		return false;
	g1 = atomic_load(&ps->started);
	for (uint32_t g = g0; g <= g1; g++) {
		if (sum == host_page_sum(i, g)) {
			if (g0 == g1)
				t->strict++;
			else
				t->overlapped++;
			return true;
		}
	}
	if (g0 != g1 && !strict_only) {
		t->overlapped++;
		return true;
	}
	snprintf(t->error, sizeof(t->error),
		 "vCPU %u: host page %#x: checksum %#x is not that of generation %u (%#x), published before the read%s",
		 t->id, work_gpa(i), sum, g0, host_page_sum(i, g0),
		 g0 == g1 ? " and not replaced since" : "");
	return false;
}

/* One vCPU's round over its guest pages, each with a host page after it. */
static bool vcpu_pass(struct vcpu_thread *t)
{
	for (unsigned int i = 0; i < SMP_PAGES; i++) {
		struct page_state *ps = &t->s->pages[i];
		unsigned int h;
		uint32_t seed, res;

		if (is_host_page(i) || guest_page_owner(i) != t->id)
			continue;
		if (atomic_load(&t->s->chunk_shared[i / CHUNK_PAGES]))
			t->shared_touches++;
		seed = atomic_load(&ps->seed);
		if (!vcpu_check_guest_page(t, i, seed, "before its new stamp"))
			return false;
		seed = next_seed(t->id, t->stamps, i);
		atomic_fetch_add(&ps->seq, 1);
		atomic_store(&ps->seed, seed);
		if (!VCPU_DO(t, &res, CMD_STAMP, work_gpa(i), GUEST_PAGE, seed))
			return false;
		atomic_fetch_add(&ps->seq, 1);
		t->stamps++;
		if (!vcpu_check_guest_page(t, i, seed, "just stamped"))
			return false;
		/* A host page: each vCPU goes round all of them. */
		h = (t->passes * 3 + i + t->id * 2) % SMP_PAGES | 1;
		if (!vcpu_check_host_page(t, h, false))
			return false;
		atomic_fetch_add(&t->steps, 1);
	}
	t->passes++;
	return true;
}

static void *vcpu_thread_fn(void *p)
{
	struct vcpu_thread *t = p;

	while (!atomic_load(&t->s->stop))
		if (!vcpu_pass(t)) {
			atomic_store(&t->failed, true);
			break;
		}
	return NULL;
}

/* Why the main thread stopped, if it did. */
static char churn_error[256];

/* @r (0 or -errno) of what @fmt says: false, recorded, unless 0. */
static bool __attribute__((format(printf, 2, 3)))
churn_ok(int r, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!r)
		return true;
	va_start(ap, fmt);
	n = vsnprintf(churn_error, sizeof(churn_error), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(churn_error))
		snprintf(churn_error + n, sizeof(churn_error) - n, ": %s",
			 errno_name(-r));
	return false;
}

/* Punch host page @i and give it its next generation: through the VMM's
 * mapping if it is shared, else with GMEM_POPULATE. */
static bool churn_refill(struct smp *s, unsigned int i, bool shared)
{
	struct page_state *ps = &s->pages[i];
	uint32_t gen = atomic_load(&ps->done) + 1;
	uint8_t img[GUEST_PAGE];

	host_page_image(img, i, gen);
	atomic_store(&ps->started, gen);
	if (!churn_ok(gmem_punch(s->fd, work_gpa(i), GUEST_PAGE),
		      "punch of %#x", work_gpa(i)))
		return false;
	if (shared) {
		memcpy(s->mem + work_gpa(i), img, GUEST_PAGE);
		s->punch_shared++;
	} else {
		if (!churn_ok(gmem_populate(s->fd, work_gpa(i), img, GUEST_PAGE),
			      "GMEM_POPULATE of %#x", work_gpa(i)))
			return false;
		s->punch_private++;
	}
	atomic_store(&ps->done, gen);
	return true;
}

/* The guest pages of chunk @c, shared: through the VMM's mapping they
 * must hold what their vCPU wrote last (unless it is writing them now). */
static bool churn_read_guest_pages(struct smp *s, unsigned int c)
{
	uint8_t got[GUEST_PAGE], want[GUEST_PAGE];

	for (unsigned int i = c * CHUNK_PAGES; i < (c + 1) * CHUNK_PAGES; i++) {
		struct page_state *ps = &s->pages[i];
		uint32_t seq, seed;

		if (is_host_page(i))
			continue;
		seq = atomic_load(&ps->seq);
		if (seq % 2)
			continue;
		seed = atomic_load(&ps->seed);
		memcpy(got, s->mem + work_gpa(i), GUEST_PAGE);
		atomic_thread_fence(memory_order_seq_cst);
		if (atomic_load(&ps->seq) != seq)
			continue;
		s->host_reads++;
		guest_page_image(want, i, seed);
		if (memcmp(got, want, GUEST_PAGE)) {
			unsigned int o = 0;

			while (got[o] == want[o])
				o++;
			snprintf(churn_error, sizeof(churn_error),
				 "the VMM reads guest page %#x (vCPU %u's, seed %#x) through its mapping: byte %#x is %#x, expected %#x",
				 work_gpa(i), guest_page_owner(i), seed, o,
				 got[o], want[o]);
			return false;
		}
	}
	return true;
}

static bool churn_convert(struct smp *s, unsigned int c, bool shared)
{
	uint32_t off = work_gpa(c * CHUNK_PAGES);

	if (!churn_ok(gmem_convert(s->fd, off, CHUNK_BYTES,
				   shared ? GMEM_SHARED : GMEM_PRIVATE),
		      "GMEM_CONVERT of %#x to %s", off,
		      shared ? "shared" : "private"))
		return false;
	atomic_store(&s->chunk_shared[c], shared);
	if (shared)
		s->to_shared++;
	else
		s->to_private++;
	return true;
}

/* GMEM_MIGRATE of chunk @c to @node; pages the vCPUs keep busy may stay
 * where they are through gmem_migrate()'s retries, which is counted. */
static bool churn_migrate(struct smp *s, unsigned int c, uint32_t node)
{
	uint32_t off = work_gpa(c * CHUNK_PAGES);
	uint64_t moved;
	int r = gmem_migrate(s->fd, off, CHUNK_BYTES, node, &moved);

	s->moved += moved;
	if (r == -EBUSY) {
		s->migrate_busy++;
		return true;
	}
	if (!churn_ok(r, "GMEM_MIGRATE of %#x to node %u", off, node))
		return false;
	s->migrations++;
	return true;
}

/* Round @r's chunk and its host pages: @a refilled while shared, @b
 * while private (alternating between the two from one pass to the next). */
static unsigned int round_chunk(unsigned long r, unsigned int *a,
				unsigned int *b)
{
	unsigned int c = r % SMP_CHUNKS, first = c * CHUNK_PAGES;

	*a = first + 1 + (r / SMP_CHUNKS % 2) * 2;
	*b = first + 4 - (*a - first);
	return c;
}

/*
 * Round @r: chunk r % SMP_CHUNKS goes shared, has a host page refilled
 * through the mapping, its guest pages read there, and is migrated to
 * node 1; the chunk that went shared SMP_LAG rounds before goes private
 * again, has its other host page refilled with GMEM_POPULATE, and is
 * migrated back to node 0.  So SMP_LAG chunks are shared at any time and
 * the vCPUs touch both kinds.
 */
static bool churn_round(struct smp *s, bool two_nodes)
{
	unsigned long r = s->rounds;
	unsigned int a, b, c = round_chunk(r, &a, &b);

	if (!churn_convert(s, c, true) || !churn_refill(s, a, true) ||
	    !churn_read_guest_pages(s, c))
		return false;
	if (two_nodes && (!churn_migrate(s, c, 1) ||
			  !churn_read_guest_pages(s, c)))
		return false;
	if (r >= SMP_LAG) {
		c = round_chunk(r - SMP_LAG, &a, &b);
		if (!churn_read_guest_pages(s, c) ||
		    !churn_convert(s, c, false) || !churn_refill(s, b, false))
			return false;
		if (two_nodes && !churn_migrate(s, c, 0))
			return false;
	}
	s->rounds++;
	return true;
}

/* The fd: the image, the stub page shared, the work area's first
 * contents (guest pages stamped with seed 0, host pages generation 0). */
static void smp_gmem(struct smp *s)
{
	static uint8_t work[SMP_PAGES * GUEST_PAGE];

	s->fd = gmem_new(SMP_MEM, GMEM_CREATE_MMAP);
	ASSERT_OK(gmem_populate(s->fd, 0, guest_image(), GUEST_MEM_SIZE));
	for (unsigned int i = 0; i < SMP_PAGES; i++) {
		if (is_host_page(i))
			host_page_image(work + i * GUEST_PAGE, i, 0);
		else
			guest_page_image(work + i * GUEST_PAGE, i, 0);
	}
	ASSERT_OK(gmem_populate(s->fd, SMP_WORK, work, sizeof(work)));
	ASSERT_OK(gmem_convert(s->fd, GUEST_STUBS, GUEST_PAGE, GMEM_SHARED));
	s->mem = gmem_map(s->fd, SMP_MEM);
}

static void smp_final_check(struct smp *s)
{
	uint8_t want[GUEST_PAGE];

	/* Quiet now: every vCPU reads every page, each exactly as it must be. */
	for (unsigned int v = 0; v < SMP_VCPUS; v++) {
		struct vcpu_thread *t = &s->vcpus[v];

		for (unsigned int i = 0; i < SMP_PAGES; i++) {
			bool ok = is_host_page(i) ?
				vcpu_check_host_page(t, i, true) :
				vcpu_check_guest_page(t, i, atomic_load(&s->pages[i].seed),
						      "at the end");

			if (!ok)
				FAIL("%s", t->error);
		}
	}
	/* And the host, through its mapping, all of it shared. */
	ASSERT_OK(gmem_convert(s->fd, SMP_WORK, SMP_PAGES * GUEST_PAGE,
			       GMEM_SHARED));
	for (unsigned int i = 0; i < SMP_PAGES; i++) {
		if (is_host_page(i))
			host_page_image(want, i, atomic_load(&s->pages[i].done));
		else
			guest_page_image(want, i, atomic_load(&s->pages[i].seed));
		if (memcmp(s->mem + work_gpa(i), want, GUEST_PAGE))
			FAIL("at the end, the VMM reads %s page %#x through its mapping: not what it must hold",
			     is_host_page(i) ? "host" : "guest", work_gpa(i));
	}
	ASSERT_EQ(GUEST(&s->vm, CMD_SUM, GUEST_DATA, GUEST_DATA_LEN),
		  image_sum(GUEST_DATA, GUEST_DATA_LEN));
}

/*
 * Before each round, every vCPU must have done a guest page (and a host
 * page) since the last one, so that the rounds interleave with the vCPUs'
 * work however the L1 guest's CPUs are shared out.  False if a vCPU
 * failed, or the time is up.
 */
static bool smp_paced(struct smp *s, double start)
{
	static unsigned long seen[SMP_VCPUS];

	for (unsigned int v = 0; v < SMP_VCPUS; v++) {
		struct vcpu_thread *t = &s->vcpus[v];

		while (atomic_load(&t->steps) == seen[v]) {
			if (atomic_load(&t->failed) || now_s() - start >= SMP_SECS)
				return false;
			usleep(100);
		}
		if (atomic_load(&t->failed))
			return false;
		seen[v] = atomic_load(&t->steps);
	}
	return true;
}

/*
 * @uaddr_fd: the memslot's userspace_addr is the VMM's mapping of the fd,
 * as a VMM would have it, so KVM also hears of every change in it from
 * the MMU notifier of that mapping; else anonymous memory the guest never
 * sees (a gmem-only memslot takes every page from gmem), so gmem's
 * invalidations alone must keep KVM's mappings right.
 */
static void smp_churn(bool uaddr_fd)
{
	unsigned long long refs = gmem_refcnt();
	unsigned long strict = 0, overlapped = 0, shared_touches = 0;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	static struct smp s;
	double start, took;
	void *uaddr;
	bool two_nodes;

	need_protected_vm();
	/*
	 * With one L1 CPU the vCPU threads only ever take turns with the
	 * thread that converts: nothing would be concurrent.
	 */
	if (cpus < 2)
		test_skip("%ld CPU online in this (L1) guest, the test needs 2 (vmm-guest SMP=2)",
			  cpus);
	two_nodes = numa_count(numa_mem_mask()) >= 2;
	test_diag("%ld CPUs online in this (L1) guest, %d vCPUs in the VM; %s",
		  cpus, SMP_VCPUS, two_nodes ? "two NUMA nodes: migrations too" :
		  "one NUMA node: no migrations");
	smp_gmem(&s);
	if (uaddr_fd) {
		uaddr = s.mem;
	} else {
		uaddr = mmap(NULL, SMP_MEM, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		ASSERT_TRUE(uaddr != MAP_FAILED);
	}
	protected_vm_create(&s.vm, uaddr, SMP_MEM, s.fd, 0);
	for (unsigned int v = 0; v < SMP_VCPUS; v++) {
		s.vcpus[v].s = &s;
		s.vcpus[v].id = v;
		if (v)
			ASSERT_OK(vm_add_vcpu_id(&s.vm, v, &s.vcpus[v].cpu));
		else
			s.vcpus[v].cpu = s.vm;
	}

	start = now_s();
	for (unsigned int v = 0; v < SMP_VCPUS; v++)
		ASSERT_EQ(pthread_create(&s.vcpus[v].thread, NULL, vcpu_thread_fn,
					 &s.vcpus[v]), 0);
	while (s.rounds < SMP_ROUNDS && now_s() - start < SMP_SECS &&
	       !churn_error[0]) {
		if (!smp_paced(&s, start) || !churn_round(&s, two_nodes))
			break;
	}
	atomic_store(&s.stop, true);
	for (unsigned int v = 0; v < SMP_VCPUS; v++)
		ASSERT_EQ(pthread_join(s.vcpus[v].thread, NULL), 0);
	took = now_s() - start;

	for (unsigned int v = 0; v < SMP_VCPUS; v++) {
		struct vcpu_thread *t = &s.vcpus[v];

		test_diag("vCPU %u: %lu passes, %lu stamps, %lu checks of its pages (%lu while their chunk was shared), host pages %lu strict + %lu overlapped, %lu memory fault exits run again",
			  v, t->passes, t->stamps, t->guest_checks,
			  t->shared_touches, t->strict, t->overlapped,
			  t->fault_exits);
		strict += t->strict;
		overlapped += t->overlapped;
		shared_touches += t->shared_touches;
	}
	test_diag("main thread, %.1f s: %lu rounds: %lu GMEM_CONVERT to shared, %lu to private; %lu punches refilled through the mapping, %lu with GMEM_POPULATE; %lu GMEM_MIGRATE (%#llx bytes moved, %lu busy); %lu reads of guest pages through the mapping",
		  took, s.rounds, s.to_shared, s.to_private, s.punch_shared,
		  s.punch_private, s.migrations, (unsigned long long)s.moved,
		  s.migrate_busy, s.host_reads);
	for (unsigned int v = 0; v < SMP_VCPUS; v++)
		if (s.vcpus[v].error[0])
			FAIL("%s", s.vcpus[v].error);
	if (churn_error[0])
		FAIL("main thread, round %lu: %s", s.rounds, churn_error);

	/* It all happened, and at the same time. */
	EXPECT_GE(s.rounds, SMP_CHUNKS);
	for (unsigned int v = 0; v < SMP_VCPUS; v++)
		EXPECT_GT(s.vcpus[v].passes, 1);
	EXPECT_GT(strict, 0);
	EXPECT_GT(shared_touches, 0);
	EXPECT_GT(s.host_reads, 0);
	if (two_nodes)
		EXPECT_GT(s.moved, 0);

	smp_final_check(&s);
	for (unsigned int v = 1; v < SMP_VCPUS; v++)
		vm_destroy(&s.vcpus[v].cpu);
	vm_destroy(&s.vm);
	munmap(s.mem, SMP_MEM);
	if (!uaddr_fd)
		munmap(uaddr, SMP_MEM);
	close(s.fd);
	ASSERT_EQ(gmem_refcnt_wait(refs), refs);
}

static void smp_churn_alone(void)
{
	smp_churn(false);
}

static void smp_churn_mapped(void)
{
	smp_churn(true);
}

static const struct test smp_tests[] = {
	TEST("2 vCPUs fault in, write and check private and shared pages while GMEM_CONVERT both ways, punch-hole with new contents and GMEM_MIGRATE run on the same pages; gmem's invalidations alone",
	     smp_churn_alone, .timeout = 150),
	TEST("the same with the memslot's userspace_addr the VMM's mapping of the fd, whose MMU notifier KVM hears too",
	     smp_churn_mapped, .timeout = 150),
};
DEFINE_SUITE(e2e_smp_suite, "e2e-smp", smp_tests);
