// SPDX-License-Identifier: GPL-2.0
/*
 * VM teardown against gmem's operations, on the patched KVM: a VM whose
 * last reference goes while a punch, conversion, migration or memory
 * failure of its gmem memslot is in flight.  Before the series unbound its
 * gmem memslots first thing in kvm_destroy_vm(), an invalidation begun
 * before the VM's last reference went ended after it (or never), tripping
 * WARN_ON(kvm->mmu_invalidate_in_progress) and zapping a VM whose vCPUs
 * were being freed.  The harness fails a test whose kernel log shows a
 * WARNING, BUG or Oops, and the guest's console is checked as a whole.
 *
 * Both tests are bounded in iterations and in time, and say how often each
 * operation overlapped a teardown.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/falloc.h>

#include "common.h"
#include "numa.h"
#include "suites.h"
#include "sys.h"

/* An all-private fd of @size with the guest image at its start. */
static int image_fd(uint64_t size, uint8_t **mem)
{
	int fd = gmem_new(size, GMEM_CREATE_MMAP);

	ASSERT_OK(gmem_populate(fd, 0, guest_image(), GUEST_MEM_SIZE));
	ASSERT_OK(gmem_convert(fd, GUEST_STUBS, GUEST_PAGE, GMEM_SHARED));
	*mem = gmem_map(fd, size);
	return fd;
}

static int gmem_alloc(int fd, uint64_t off, uint64_t len)
{
	return fallocate(fd, FALLOC_FL_KEEP_SIZE, off, len) ? -errno : 0;
}

/* The guest's checksum of its data: the image, untouched by anything. */
static void guest_data_intact(struct vm *vm)
{
	ASSERT_EQ(GUEST(vm, CMD_SUM, GUEST_DATA, GUEST_DATA_LEN),
		  image_sum(GUEST_DATA, GUEST_DATA_LEN));
}

/*
 * The reproducer: a 256 MiB memslot, all of it allocated and the guest
 * run once, then one thread punches everything but the image (a fraction
 * of a second under TCG, between one invalidate_begin and its end) while
 * the VMM closes the VM a few milliseconds in.
 */
#define REPRO_SIZE	(256ULL << 20)

struct punch_arg {
	int fd;
	int err;
	double took;
};

static void *punch_thread(void *p)
{
	struct punch_arg *a = p;
	double t = now_s();

	a->err = gmem_punch(a->fd, GUEST_MEM_SIZE, REPRO_SIZE - GUEST_MEM_SIZE);
	a->took = now_s() - t;
	return NULL;
}

static void destroy_during_punch(void)
{
	static const unsigned int delay_ms[] = { 0, 2, 5, 10, 20, 30, 50 };
	unsigned long long refs = gmem_refcnt();
	struct punch_arg a;
	pthread_t thread;
	uint8_t *mem;
	struct vm vm;
	int fd;

	need_protected_vm();
	fd = image_fd(REPRO_SIZE, &mem);
	a.fd = fd;
	for (unsigned int i = 0; i < ARRAY_SIZE(delay_ms); i++) {
		double t;

		ASSERT_OK(gmem_alloc(fd, GUEST_MEM_SIZE,
				     REPRO_SIZE - GUEST_MEM_SIZE));
		protected_vm_create(&vm, mem, REPRO_SIZE, fd, 0);
		guest_data_intact(&vm);

		ASSERT_EQ(pthread_create(&thread, NULL, punch_thread, &a), 0);
		usleep(delay_ms[i] * 1000);
		t = now_s();
		vm_destroy(&vm);
		t = now_s() - t;
		ASSERT_EQ(pthread_join(thread, NULL), 0);
		ASSERT_OK(a.err);
		test_diag("close(vmfd) %u ms into a %.0f ms punch: took %.0f ms",
			  delay_ms[i], a.took * 1000, t * 1000);
	}
	munmap(mem, REPRO_SIZE);
	close(fd);
	ASSERT_EQ(gmem_refcnt_wait(refs), refs);
}

/*
 * The stress: one thread punches, reallocates, converts, migrates and
 * poisons pages of the memslot outside the guest's image in a loop, while
 * the test creates a VM on it, runs the guest over its data and over a
 * stretch of the churned range, and destroys it again.
 *
 * What it proves is counted in VM lifetimes, so it runs until it has
 * STRESS_MIN_VMS of them even where a lifetime takes seconds (the debug
 * kernel: KASAN and lockdep under TCG made it 5 in 25 s); past that, it
 * stops at STRESS_SECS, and at STRESS_VMS whatever the time.  The hard
 * limit, scaled like the test's timeout, turns a machine too slow for
 * even STRESS_MIN_VMS into a clear shortfall, not a timeout.
 */
#define STRESS_SIZE	(32ULL << 20)
#define STRESS_VMS	30		/* VM lifetimes at most */
#define STRESS_MIN_VMS	8		/* and at least */
#define STRESS_SECS	25.0		/* past the minimum, no longer than this */
#define STRESS_HARD_SECS (4 * STRESS_SECS)	/* times the timeout scale */
#define STRESS_POISON	6		/* pages lost for good, at most */
#define CHUNK		(1ULL << 20)	/* what one conversion or move takes */
#define CHURN_START	CHUNK		/* the image stays out of the way */
#define CHURN_CHUNKS	((STRESS_SIZE - CHURN_START) / CHUNK)

enum churn_op { OP_PUNCH, OP_CONVERT, OP_MIGRATE, OP_POISON, NR_OPS };
static const char *const op_names[NR_OPS] = {
	"punch+fallocate", "convert", "migrate", "poison",
};

struct churn {
	int fd;
	bool two_nodes;
	atomic_bool stop;
	unsigned long done[NR_OPS];
	unsigned long busy;		/* migrations refused as busy */
	char error[200];		/* the first failure */
};

/* The pfn behind a shared page mapped at @addr, from /proc/self/pagemap. */
static uint64_t pagemap_pfn(const void *addr)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (pread(fd, &e, sizeof(e), (uintptr_t)addr / GUEST_PAGE * sizeof(e)) !=
	    sizeof(e))
		e = 0;
	close(fd);
	/* Present, and the pfn not hidden (bits 0-54). */
	return (e >> 63) ? e & ((1ULL << 55) - 1) : 0;
}

/* Memory failure on the page at @off: shared, touched, its pfn poisoned,
 * then punched (which ends the poisoning) and private again. */
static int churn_poison(struct churn *c, uint64_t off)
{
	char pfn_str[32];
	uint8_t *page;
	uint64_t pfn;
	int r;

	r = gmem_convert(c->fd, off, GUEST_PAGE, GMEM_SHARED);
	if (r)
		return r;
	page = mmap(NULL, GUEST_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		    c->fd, off);
	if (page == MAP_FAILED)
		return -errno;
	page[0] = 1;
	pfn = pagemap_pfn(page);
	munmap(page, GUEST_PAGE);
	if (!pfn)
		return -ENXIO;
	snprintf(pfn_str, sizeof(pfn_str), "%llu", (unsigned long long)pfn);
	r = write_str(HWPOISON_DIR "/corrupt-pfn", pfn_str);
	if (r)
		return r;
	r = gmem_punch(c->fd, off, GUEST_PAGE);
	return r ? r : gmem_convert(c->fd, off, GUEST_PAGE, GMEM_PRIVATE);
}

/* GMEM_MIGRATE of a chunk to @node; a page the guest is faulting in may
 * stay busy through gmem_migrate()'s retries, and is counted. */
static int churn_migrate(struct churn *c, uint64_t off, uint32_t node)
{
	uint64_t moved;
	int r = gmem_migrate(c->fd, off, CHUNK, node, &moved);

	if (r == -EBUSY) {
		c->busy++;
		r = 0;
	}
	return r;
}

static int churn_once(struct churn *c, enum churn_op op, unsigned long i)
{
	uint64_t off = CHURN_START + (i * 7 % CHURN_CHUNKS) * CHUNK;
	int r;

	switch (op) {
	case OP_PUNCH:
		r = gmem_punch(c->fd, CHURN_START, STRESS_SIZE - CHURN_START);
		return r ? r : gmem_alloc(c->fd, CHURN_START,
					  STRESS_SIZE - CHURN_START);
	case OP_CONVERT:
		r = gmem_convert(c->fd, off, CHUNK, GMEM_SHARED);
		return r ? r : gmem_convert(c->fd, off, CHUNK, GMEM_PRIVATE);
	case OP_MIGRATE:
		if (!c->two_nodes)
			return -EOPNOTSUPP;
		r = churn_migrate(c, off, 1);
		return r ? r : churn_migrate(c, off, 0);
	case OP_POISON:
		if (c->done[OP_POISON] >= STRESS_POISON)
			return -EOPNOTSUPP;
		return churn_poison(c, off + (i % (CHUNK / GUEST_PAGE)) * GUEST_PAGE);
	default:
		return -EINVAL;
	}
}

static void *churn_thread(void *p)
{
	struct churn *c = p;

	for (unsigned long i = 0; !atomic_load(&c->stop); i++) {
		enum churn_op op = i % NR_OPS;
		int r = churn_once(c, op, i);

		if (r == -EOPNOTSUPP)
			continue;
		if (r) {
			snprintf(c->error, sizeof(c->error), "%s #%lu: %s",
				 op_names[op], i, errno_name(-r));
			break;
		}
		c->done[op]++;
	}
	return NULL;
}

static void stress_teardown(void)
{
	unsigned long long refs = gmem_refcnt();
	unsigned long vms = 0, exits = 0;
	struct churn c = { 0 };
	double start = now_s();
	pthread_t thread;
	uint8_t *mem;
	struct vm vm;

	need_protected_vm();
	hwpoison_need();
	c.two_nodes = numa_count(numa_mem_mask()) >= 2;
	c.fd = image_fd(STRESS_SIZE, &mem);
	ASSERT_OK(gmem_alloc(c.fd, CHURN_START, STRESS_SIZE - CHURN_START));
	ASSERT_EQ(pthread_create(&thread, NULL, churn_thread, &c), 0);

	while (vms < STRESS_VMS && !c.error[0]) {
		double elapsed = now_s() - start;
		uint32_t off = CHURN_START + (vms * 3 % CHURN_CHUNKS) * CHUNK;
		struct vexit x;
		uint32_t v;

		if (elapsed >= STRESS_SECS && vms >= STRESS_MIN_VMS)
			break;
		if (elapsed >= STRESS_HARD_SECS * test_timeout_scale())
			break;
		protected_vm_create(&vm, mem, STRESS_SIZE, c.fd, 0);
		guest_data_intact(&vm);
		/*
		 * Fault in pages the other thread is changing: whatever they
		 * are by then, the read ends in a result or in an exit (a
		 * shared or poisoned page), never in a broken VM.
		 */
		if (!guest_cmd(&vm, CMD_SUM, (const uint32_t[]){ off, 256 << 10 },
			       2, &v, &x)) {
			if (x.kind != VX_MEMORY_FAULT && x.kind != VX_ERROR)
				FAIL("the guest's read of churned memory: %s",
				     vexit_str(&x));
			exits++;
		}
		vm_destroy(&vm);
		vms++;
	}
	atomic_store(&c.stop, true);
	ASSERT_EQ(pthread_join(thread, NULL), 0);
	if (c.error[0])
		FAIL("churn: %s", c.error);

	test_diag("%lu VMs in %.1f s, %lu guest reads ended in an exit", vms,
		  now_s() - start, exits);
	test_diag("churn: %lu %s, %lu %s, %lu %s (%lu busy), %lu %s",
		  c.done[OP_PUNCH], op_names[OP_PUNCH],
		  c.done[OP_CONVERT], op_names[OP_CONVERT],
		  c.done[OP_MIGRATE], op_names[OP_MIGRATE], c.busy,
		  c.done[OP_POISON], op_names[OP_POISON]);
	/* Every kind of operation overlapped VM lifetimes. */
	EXPECT_GE(vms, STRESS_MIN_VMS);
	EXPECT_GT(c.done[OP_PUNCH], 0);
	EXPECT_GT(c.done[OP_CONVERT], 0);
	if (c.two_nodes)
		EXPECT_GT(c.done[OP_MIGRATE], 0);
	else
		test_diag("one NUMA node: no migrations");
	EXPECT_GT(c.done[OP_POISON], 0);

	munmap(mem, STRESS_SIZE);
	close(c.fd);
	ASSERT_EQ(gmem_refcnt_wait(refs), refs);
}

static const struct test teardown_tests[] = {
	TEST("the VM closed while a punch of its 256 MiB gmem memslot is in flight, 7 delays",
	     destroy_during_punch, .timeout = 150),
	TEST("VMs created and destroyed while punch, convert, migrate and memory failure churn their gmem memslot",
	     stress_teardown, .timeout = 150, .kmsg_allow = "emory failure"),
};
DEFINE_SUITE(e2e_teardown_suite, "e2e-teardown", teardown_tests);
