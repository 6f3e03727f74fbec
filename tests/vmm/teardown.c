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
 * Then teardown in the other orders a VMM may take it, under load: a gmem
 * memslot deleted and added again while a vCPU reads it and its pages are
 * punched and converted, and the VMM's gmem fd and VM fd closed while a
 * vCPU thread still runs, its own close dropping the VM's last reference.
 *
 * Every test is bounded in iterations and in time, and says how often each
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
	bool no_poison;			/* leave memory failure out */
	/* Operation @op, the @i'th of the loop; churn_once() when NULL. */
	int (*once)(struct churn *c, enum churn_op op, unsigned long i);
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
		if (c->no_poison || c->done[OP_POISON] >= STRESS_POISON)
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
		int r = c->once ? c->once(c, op, i) : churn_once(c, op, i);

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

/*
 * A gmem memslot deleted and added again under load.  Slot 0 holds the
 * guest's image as everywhere; slot 1, 4 MiB further on in the same fd,
 * is what a vCPU thread reads (a word of each page, over and over) and
 * what the churn punches, reallocates and converts, while the test
 * deletes it and adds it back, SLOT_ROUNDS times.  Deleting the slot
 * unbinds its range, in whatever invalidation is in flight; while it is
 * gone the vCPU's reads of its shared gfns (the first MiB stays shared)
 * are MMIO exits, answered with zeroes (the code page is shared for this
 * test, so KVM can read the instruction it emulates), and of its private
 * ones private memory fault exits (so are faults whose two reads of the
 * gfn's state straddled the deletion or a conversion), retried until the
 * slot is back.  At the end the guest writes and reads the slot back.
 */
#define SLOT1		1
#define SLOT1_GPA	(1U << 20)		/* and its offset in the fd */
#define SLOT1_SIZE	(4U << 20)
#define SLOT_FD_SIZE	(SLOT1_GPA + SLOT1_SIZE)
#define SLOT_ROUNDS	8
#define SLOT_GONE_MS	50
#define SLOT_VALUE	0x51075107u

struct slot_reader {
	struct vm *vm;
	atomic_bool stop;
	unsigned long passes;
	unsigned long mmio;		/* reads of the deleted slot's shared gfns */
	unsigned long faults;		/* memory fault exits */
	char error[200];
};

/* Whether @x is a memory fault exit (EFAULT) of a gfn of slot 1. */
static bool slot1_fault(const struct vexit *x)
{
	return x->kind == VX_MEMORY_FAULT && x->err == EFAULT &&
	       x->fault.gpa >= SLOT1_GPA && x->fault.gpa < SLOT1_GPA + SLOT1_SIZE;
}

/* The same, private: a private gfn without memslot. */
static bool slot1_private_fault(const struct vexit *x)
{
	return slot1_fault(x) &&
	       (x->fault.flags & KVM_MEMORY_EXIT_FLAG_PRIVATE);
}

static void *slot_reader_thread(void *p)
{
	struct slot_reader *r = p;
	struct kvm_run *run = r->vm->run;
	struct vexit x;
	uint32_t v;
	bool done;

	while (!atomic_load(&r->stop)) {
		done = guest_cmd(r->vm, CMD_ADD, (const uint32_t[]){
				 SLOT1_GPA, SLOT1_SIZE, GUEST_PAGE }, 3, &v, &x);
		while (!done) {
			if (x.kind == VX_OTHER && x.reason == KVM_EXIT_MMIO &&
			    !run->mmio.is_write) {
				memset(run->mmio.data, 0, sizeof(run->mmio.data));
				r->mmio++;
			} else if (slot1_fault(&x)) {
				/*
				 * Private while the slot is gone, or a fault whose
				 * two reads of the gfn's state straddled the
				 * deletion or a conversion: wait for the slot to be
				 * back and try again.
				 */
				r->faults++;
				usleep(1000);
			} else {
				break;
			}
			done = guest_finish(r->vm, &v, &x);
		}
		if (!done) {
			snprintf(r->error, sizeof(r->error), "pass %lu: %s",
				 r->passes, vexit_str(&x));
			break;
		}
		r->passes++;
	}
	return NULL;
}

/*
 * Slot 1's churn: punch+fallocate of all of it (the first MiB shared
 * again after), and conversions of the rest; nothing else.
 */
static int slot_churn_once(struct churn *c, enum churn_op op, unsigned long i)
{
	uint64_t off = SLOT1_GPA + CHUNK +
		       (i * 5 % (SLOT1_SIZE / CHUNK - 1)) * CHUNK;
	int r;

	switch (op) {
	case OP_PUNCH:
		r = gmem_punch(c->fd, SLOT1_GPA, SLOT1_SIZE);
		if (!r)
			r = gmem_alloc(c->fd, SLOT1_GPA, SLOT1_SIZE);
		/* Punched pages are private again: the first MiB not. */
		return r ? r : gmem_convert(c->fd, SLOT1_GPA, CHUNK, GMEM_SHARED);
	case OP_CONVERT:
		r = gmem_convert(c->fd, off, CHUNK, GMEM_SHARED);
		return r ? r : gmem_convert(c->fd, off, CHUNK, GMEM_PRIVATE);
	default:
		return -EOPNOTSUPP;
	}
}

static void delete_slot_under_load(void)
{
	unsigned long long refs = gmem_refcnt();
	struct slot_reader r = { 0 };
	pthread_t reader, churner;
	struct churn c = { .once = slot_churn_once };
	uint8_t *mem;
	struct vm vm;
	uint32_t sum;

	need_protected_vm();
	c.fd = image_fd(SLOT_FD_SIZE, &mem);
	ASSERT_OK(gmem_convert(c.fd, GUEST_CODE, GUEST_PAGE, GMEM_SHARED));
	ASSERT_OK(gmem_alloc(c.fd, SLOT1_GPA, SLOT1_SIZE));
	ASSERT_OK(gmem_convert(c.fd, SLOT1_GPA, CHUNK, GMEM_SHARED));
	protected_vm_create(&vm, mem, GUEST_MEM_SIZE, c.fd, 0);
	ASSERT_OK(vm_set_slot2(&vm, SLOT1, SLOT1_GPA, mem + SLOT1_GPA,
			       SLOT1_SIZE, c.fd, SLOT1_GPA));
	guest_data_intact(&vm);

	r.vm = &vm;
	ASSERT_EQ(pthread_create(&reader, NULL, slot_reader_thread, &r), 0);
	ASSERT_EQ(pthread_create(&churner, NULL, churn_thread, &c), 0);
	for (unsigned int i = 0; i < SLOT_ROUNDS && !r.error[0] && !c.error[0];
	     i++) {
		usleep(20 * 1000);
		ASSERT_OK(vm_delete_slot(&vm, SLOT1));
		usleep(SLOT_GONE_MS * 1000);
		ASSERT_OK(vm_set_slot2(&vm, SLOT1, SLOT1_GPA, mem + SLOT1_GPA,
				       SLOT1_SIZE, c.fd, SLOT1_GPA));
	}
	atomic_store(&c.stop, true);
	atomic_store(&r.stop, true);
	ASSERT_EQ(pthread_join(churner, NULL), 0);
	ASSERT_EQ(pthread_join(reader, NULL), 0);
	if (c.error[0])
		FAIL("churn: %s", c.error);
	if (r.error[0])
		FAIL("the vCPU's reads of slot 1: %s", r.error);
	test_diag("%u deletions: the vCPU read slot 1 %lu times; of the deleted slot, %lu MMIO reads and %lu memory faults; churn: %lu %s, %lu %s",
		  SLOT_ROUNDS, r.passes, r.mmio, r.faults, c.done[OP_PUNCH],
		  op_names[OP_PUNCH], c.done[OP_CONVERT], op_names[OP_CONVERT]);
	/* The deletions overlapped the vCPU's reads and the churn. */
	EXPECT_GT(r.mmio + r.faults, 0);
	EXPECT_GT(c.done[OP_PUNCH], 0);
	EXPECT_GT(c.done[OP_CONVERT], 0);

	/* The slot, added back for the last time, is the fd's again. */
	guest_data_intact(&vm);
	ASSERT_EQ(GUEST(&vm, CMD_TOUCH, SLOT1_GPA, SLOT1_SIZE, GUEST_PAGE,
			SLOT_VALUE), 0);
	sum = GUEST(&vm, CMD_ADD, SLOT1_GPA, SLOT1_SIZE, GUEST_PAGE);
	EXPECT_EQ(sum, (uint32_t)(SLOT_VALUE * (SLOT1_SIZE / GUEST_PAGE)));
	vm_destroy(&vm);
	munmap(mem, SLOT_FD_SIZE);
	close(c.fd);
	ASSERT_EQ(gmem_refcnt_wait(refs), refs);
}

/*
 * What a vCPU meets in a deleted gmem memslot, step by step: its private
 * gfns keep their state (KVM's attributes take it over before the memslot
 * goes: a private memory fault exit, not MMIO), its shared ones are MMIO,
 * and a shared page made private while the memslot is gone, whose MMIO
 * entry KVM still holds, is read from gmem once the memslot is back
 * (before the fix the vCPU retried that fault for ever).
 */
#define KEEP_SHARED	SLOT1_GPA			/* shared page */
#define KEEP_PRIVATE	(SLOT1_GPA + GUEST_PAGE)	/* private page */
#define KEEP_V_SHARED	0x5a4ed001u
#define KEEP_V_PRIVATE	0x9a1ed002u

static void deleted_slot_state(void)
{
	unsigned long long refs = gmem_refcnt();
	struct kvm_run *run;
	struct vexit x;
	uint8_t *mem;
	struct vm vm;
	int fd;

	need_protected_vm();
	fd = image_fd(SLOT_FD_SIZE, &mem);
	ASSERT_OK(gmem_convert(fd, GUEST_CODE, GUEST_PAGE, GMEM_SHARED));
	ASSERT_OK(gmem_convert(fd, KEEP_SHARED, GUEST_PAGE, GMEM_SHARED));
	protected_vm_create(&vm, mem, GUEST_MEM_SIZE, fd, 0);
	run = vm.run;
	ASSERT_OK(vm_set_slot2(&vm, SLOT1, SLOT1_GPA, mem + SLOT1_GPA,
			       SLOT1_SIZE, fd, SLOT1_GPA));
	ASSERT_EQ(GUEST(&vm, CMD_WRITE, KEEP_SHARED, KEEP_V_SHARED), 0);
	ASSERT_EQ(GUEST(&vm, CMD_WRITE, KEEP_PRIVATE, KEEP_V_PRIVATE), 0);

	ASSERT_OK(vm_delete_slot(&vm, SLOT1));
	/* The shared page: emulated MMIO, here reading 0x1234. */
	GUEST_EXIT(&vm, &x, CMD_READ, KEEP_SHARED);
	if (x.kind != VX_OTHER || x.reason != KVM_EXIT_MMIO)
		FAIL("the deleted slot's shared page: %s, not an MMIO exit",
		     vexit_str(&x));
	ASSERT_EQ(run->mmio.phys_addr, KEEP_SHARED);
	memset(run->mmio.data, 0, sizeof(run->mmio.data));
	run->mmio.data[0] = 0x34;
	run->mmio.data[1] = 0x12;
	ASSERT_EQ(GUEST_DONE(&vm), 0x1234);
	/* Made private while the memslot is gone: gmem's state alone. */
	ASSERT_OK(gmem_convert(fd, KEEP_SHARED, GUEST_PAGE, GMEM_PRIVATE));

	/* The private page: a private memory fault exit, as upstream's. */
	GUEST_EXIT(&vm, &x, CMD_READ, KEEP_PRIVATE);
	if (!slot1_private_fault(&x) || x.fault.gpa != KEEP_PRIVATE)
		FAIL("the deleted slot's private page: %s, not a private memory fault exit at %#x",
		     vexit_str(&x), KEEP_PRIVATE);

	/* Back: the pending read ends in the page's contents... */
	ASSERT_OK(vm_set_slot2(&vm, SLOT1, SLOT1_GPA, mem + SLOT1_GPA,
			       SLOT1_SIZE, fd, SLOT1_GPA));
	ASSERT_EQ(GUEST_DONE(&vm), KEEP_V_PRIVATE);
	/* ...and the page with KVM's stale MMIO entry reads gmem's. */
	ASSERT_EQ(GUEST(&vm, CMD_READ, KEEP_SHARED), KEEP_V_SHARED);

	vm_destroy(&vm);
	munmap(mem, SLOT_FD_SIZE);
	close(fd);
	ASSERT_EQ(gmem_refcnt_wait(refs), refs);
}

/*
 * The VMM lets go in another order while the VM is busy: a vCPU thread
 * checks the guest's data and reads the churned range, over and over,
 * and the churn punches, reallocates and converts through a second fd of
 * the file; the test closes its own gmem fd and mapping, then the VM fd
 * (the vCPU keeps the VM), then stops the churn and closes that fd too,
 * and last the vCPU thread closes its vCPU, which drops the VM's final
 * reference and with it the memslot's binding.  Three rounds, each with
 * another pause between the steps.
 */
struct busy_vcpu {
	struct vm vm;
	atomic_bool stop;
	atomic_ulong cmds;
	char error[200];
};

static void *busy_vcpu_thread(void *p)
{
	struct busy_vcpu *b = p;
	const uint32_t want = image_sum(GUEST_DATA, GUEST_DATA_LEN);
	struct vexit x;
	uint32_t v;

	while (!atomic_load(&b->stop)) {
		if (!guest_cmd(&b->vm, CMD_SUM, (const uint32_t[]){
			       GUEST_DATA, GUEST_DATA_LEN }, 2, &v, &x)) {
			snprintf(b->error, sizeof(b->error),
				 "checksum #%lu: %s", b->cmds, vexit_str(&x));
			break;
		}
		if (v != want) {
			snprintf(b->error, sizeof(b->error),
				 "checksum #%lu: %#x, not %#x: the data changed",
				 b->cmds, v, want);
			break;
		}
		if (!guest_cmd(&b->vm, CMD_ADD, (const uint32_t[]){
			       CHURN_START, STRESS_SIZE - CHURN_START,
			       GUEST_PAGE }, 3, &v, &x)) {
			snprintf(b->error, sizeof(b->error), "read #%lu: %s",
				 b->cmds, vexit_str(&x));
			break;
		}
		b->cmds++;
	}
	/* The VM's last reference, from this thread. */
	munmap(b->vm.run, b->vm.run_size);
	close(b->vm.vcpu);
	b->vm.run = NULL;
	b->vm.vcpu = -1;
	return NULL;
}

static void close_out_of_order(void)
{
	static const unsigned int pause_ms[] = { 0, 30, 150 };
	unsigned long long refs = gmem_refcnt();

	need_protected_vm();
	for (unsigned int i = 0; i < ARRAY_SIZE(pause_ms); i++) {
		useconds_t pause = pause_ms[i] * 1000;
		struct busy_vcpu b = { 0 };
		pthread_t vcpu, churner;
		struct churn c = { .no_poison = true };
		unsigned long cmds;
		uint8_t *mem;
		int fd;

		c.two_nodes = numa_count(numa_mem_mask()) >= 2;
		fd = image_fd(STRESS_SIZE, &mem);
		ASSERT_OK(gmem_alloc(fd, CHURN_START, STRESS_SIZE - CHURN_START));
		c.fd = dup(fd);
		ASSERT_TRUE(c.fd >= 0);
		protected_vm_create(&b.vm, mem, STRESS_SIZE, fd, 0);
		guest_data_intact(&b.vm);
		ASSERT_EQ(pthread_create(&vcpu, NULL, busy_vcpu_thread, &b), 0);
		ASSERT_EQ(pthread_create(&churner, NULL, churn_thread, &c), 0);

		usleep(pause);
		munmap(mem, STRESS_SIZE);
		close(fd);
		usleep(pause);
		close(b.vm.fd);
		close(b.vm.kvm);
		b.vm.fd = b.vm.kvm = -1;
		cmds = atomic_load(&b.cmds);
		usleep(pause);
		atomic_store(&c.stop, true);
		ASSERT_EQ(pthread_join(churner, NULL), 0);
		close(c.fd);
		usleep(pause);
		atomic_store(&b.stop, true);
		ASSERT_EQ(pthread_join(vcpu, NULL), 0);
		if (c.error[0])
			FAIL("round %u: churn: %s", i, c.error);
		if (b.error[0])
			FAIL("round %u: the vCPU: %s", i, b.error);
		test_diag("round %u, %u ms between steps: %lu guest command pairs (%lu of them after the VMM's fd, mapping and VM fd were gone); churn: %lu %s, %lu %s, %lu %s",
			  i, pause_ms[i], (unsigned long)b.cmds,
			  (unsigned long)b.cmds - cmds,
			  c.done[OP_PUNCH], op_names[OP_PUNCH],
			  c.done[OP_CONVERT], op_names[OP_CONVERT],
			  c.done[OP_MIGRATE], op_names[OP_MIGRATE]);
		/* Every file gone: the binding went with the VM. */
		ASSERT_EQ(gmem_refcnt_wait(refs), refs);
	}
}

static const struct test teardown_tests[] = {
	TEST("the VM closed while a punch of its 256 MiB gmem memslot is in flight, 7 delays",
	     destroy_during_punch, .timeout = 150),
	TEST("VMs created and destroyed while punch, convert, migrate and memory failure churn their gmem memslot",
	     stress_teardown, .timeout = 150, .kmsg_allow = "emory failure"),
	TEST("a deleted gmem memslot: private gfns fault as private, shared ones are MMIO, a page made private meanwhile reads back",
	     deleted_slot_state, .timeout = 60),
	TEST("a gmem memslot deleted and added again 8 times while a vCPU reads it and its pages are punched and converted",
	     delete_slot_under_load, .timeout = 150),
	TEST("the VMM's gmem fd and VM fd closed while a vCPU thread runs and a churn punches, the vCPU's close last, 3 pauses",
	     close_out_of_order, .timeout = 150),
};
DEFINE_SUITE(e2e_teardown_suite, "e2e-teardown", teardown_tests);
