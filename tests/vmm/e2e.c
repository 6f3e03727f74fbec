// SPDX-License-Identifier: GPL-2.0
/*
 * gmem as the private memory of a patched KVM (scripts/kvm/patches), end
 * to end: a software-protected VM (KVM_X86_SW_PROTECTED_VM) whose memslot's
 * guest_memfd is a gmem fd.  Which pages are private is gmem's state
 * alone (KVM asks gmem).  The fds have GMEM_CREATE_MMAP, so the memslot is
 * gmem-only: private and shared pages both fault in through gmem's
 * consumer API, in place, and the memslot's userspace_addr (the VMM's
 * mapping of the same fd) is only the VMM's view; split_memory() has a fd
 * without it, whose shared pages come from userspace_addr.
 *
 * Without the patch series (a stock KVM, or a kernel with no series yet)
 * every test is skipped, saying why; with it (gmem_kvm=patched on the
 * kernel command line) the same refusal fails them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/gmem.h>

#include "common.h"
#include "suites.h"

struct pvm {
	struct vm vm;
	int fd;
	uint8_t *mem;
};

/* gmem's side: an all-private fd holding the image, the stub page shared. */
static void pvm_gmem(struct pvm *p)
{
	p->fd = gmem_new(GUEST_MEM_SIZE, GMEM_CREATE_MMAP);
	ASSERT_OK(gmem_populate(p->fd, 0, guest_image(), GUEST_MEM_SIZE));
	ASSERT_OK(gmem_convert(p->fd, GUEST_STUBS, GUEST_PAGE, GMEM_SHARED));
	p->mem = gmem_map(p->fd, GUEST_MEM_SIZE);
}

/* KVM's side: the VM, its memslot on the fd, attributes, the vCPU. */
static void pvm_kvm(struct pvm *p)
{
	protected_vm_create(&p->vm, p->mem, GUEST_MEM_SIZE, p->fd, 0);
}

static void pvm_setup(struct pvm *p)
{
	pvm_gmem(p);
	pvm_kvm(p);
}

static void pvm_teardown(struct pvm *p)
{
	vm_destroy(&p->vm);
	munmap(p->mem, GUEST_MEM_SIZE);
	close(p->fd);
}

static void private_checksum(void)
{
	unsigned long long refs = gmem_refcnt();
	struct pvm p;
	struct vexit x;
	uint32_t sum, v;

	pvm_setup(&p);
	/* Private to the host: its own mapping cannot reach the pages. */
	EXPECT_TRUE(!host_can_read(p.mem + GUEST_CODE));
	EXPECT_TRUE(!host_can_read(p.mem + GUEST_DATA));
	EXPECT_TRUE(host_can_read(p.mem + GUEST_STUBS));

	sum = GUEST(&p.vm, CMD_SUM, GUEST_DATA, GUEST_DATA_LEN);
	ASSERT_EQ(sum, image_sum(GUEST_DATA, GUEST_DATA_LEN));
	test_diag("guest checksum of its private data: %#x, as computed by the host",
		  sum);
	/* The code it runs is the populated image too. */
	ASSERT_EQ(GUEST(&p.vm, CMD_SUM, GUEST_CODE, GUEST_PAGE),
		  image_sum(GUEST_CODE, GUEST_PAGE));
	/* Private writes stay where the guest put them. */
	ASSERT_EQ(GUEST(&p.vm, CMD_WRITE, GUEST_DATA + 64, 0x600d0001), 0);
	ASSERT_EQ(GUEST(&p.vm, CMD_READ, GUEST_DATA + 64), 0x600d0001);

	ASSERT_TRUE(!guest_cmd(&p.vm, CMD_HLT, NULL, 0, &v, &x));
	if (x.kind != VX_HLT)
		FAIL("CMD_HLT: expected a HLT exit, got %s", vexit_str(&x));
	ASSERT_EQ(GUEST_DONE(&p.vm), 0);

	pvm_teardown(&p);
	ASSERT_EQ(gmem_refcnt_wait(refs), refs);
}

static void map_gpa_range(void)
{
	unsigned long long refs = gmem_refcnt();
	uint8_t *page, want[GUEST_PAGE];
	struct pvm p;
	uint32_t v;

	pvm_setup(&p);
	page = p.mem + GUEST_SHARE_PAGE;
	/* Written while private: the host cannot see it. */
	ASSERT_EQ(GUEST(&p.vm, CMD_FILL, GUEST_SHARE_PAGE, GUEST_PAGE, 0xc0ffee01), 0);
	EXPECT_TRUE(!host_can_read(page));

	GUEST_MAP_GPA(&p.vm, p.fd, 0, GUEST_SHARE_PAGE, 1, 0);

	/* Shared in place: the host reads what the guest wrote... */
	HOST_SEES_FILL(page, 0xc0ffee01);
	/* ...and both sides see each other's writes through the shared page. */
	ASSERT_EQ(GUEST(&p.vm, CMD_WRITE, GUEST_SHARE_PAGE + 8, 0xc0ffee02), 0);
	memcpy(&v, page + 8, 4);
	ASSERT_EQ(v, 0xc0ffee02);
	v = 0xc0ffee03;
	memcpy(page + 12, &v, 4);
	ASSERT_EQ(GUEST(&p.vm, CMD_READ, GUEST_SHARE_PAGE + 12), 0xc0ffee03);
	memcpy(want, page, GUEST_PAGE);

	/* And back to private, contents kept, out of the host's reach. */
	GUEST_MAP_GPA(&p.vm, p.fd, 0, GUEST_SHARE_PAGE, 1,
		      KVM_MAP_GPA_RANGE_ENCRYPTED);
	EXPECT_TRUE(!host_can_read(page));
	ASSERT_EQ(GUEST(&p.vm, CMD_READ, GUEST_SHARE_PAGE + 8), 0xc0ffee02);
	ASSERT_EQ(GUEST(&p.vm, CMD_SUM, GUEST_SHARE_PAGE, GUEST_PAGE),
		  vmm_checksum(want, GUEST_PAGE, GUEST_SHARE_PAGE));

	pvm_teardown(&p);
	ASSERT_EQ(gmem_refcnt_wait(refs), refs);
}

/* New contents for a punched page at @gpa from the host, @tag naming them
 * (GMEM_POPULATE: the page is private); the guest must read exactly those. */
static void refill_private(struct pvm *p, uint32_t gpa, uint32_t tag)
{
	uint8_t img[GUEST_PAGE];

	fill_place(img, GUEST_PAGE, tag, gpa);
	ASSERT_OK(gmem_populate(p->fd, gpa, img, GUEST_PAGE));
	ASSERT_EQ(GUEST(&p->vm, CMD_SUM, gpa, GUEST_PAGE),
		  vmm_checksum(img, GUEST_PAGE, gpa));
	ASSERT_EQ(GUEST(&p->vm, CMD_READ, gpa), tag);
}

/*
 * Split memory (an fd without GMEM_CREATE_MMAP, the memslot's own memory
 * anonymous): the VMM has no mapping of the fd at the memslot's
 * userspace_addr, so no MMU notifier tells KVM of a change in it; gmem's
 * invalidations alone must.
 */
static void pvm_setup_split(struct pvm *p)
{
	need_protected_vm();
	p->fd = gmem_new(GUEST_MEM_SIZE, 0);
	ASSERT_OK(gmem_populate(p->fd, 0, guest_image(), GUEST_MEM_SIZE));
	ASSERT_OK(gmem_convert(p->fd, GUEST_STUBS, GUEST_PAGE, GMEM_SHARED));
	p->mem = image_anon();
	pvm_kvm(p);
}

static void punch_private_in(struct pvm *p)
{
	/* KVM maps the page, and the guest changes it. */
	ASSERT_EQ(GUEST(&p->vm, CMD_READ, GUEST_PUNCH_PAGE), PUNCH_FILL);
	ASSERT_EQ(GUEST(&p->vm, CMD_WRITE, GUEST_PUNCH_PAGE + 4, 0x7e57ab1e), 0);
	ASSERT_EQ(GUEST(&p->vm, CMD_READ, GUEST_PUNCH_PAGE + 4), 0x7e57ab1e);

	/*
	 * Punched, and new contents populated before the guest looks again:
	 * KVM's mapping was zapped, so the guest reads the new page.  A stale
	 * mapping would read the freed one (zeroed or not, never these).
	 */
	ASSERT_OK(gmem_punch(p->fd, GUEST_PUNCH_PAGE, GUEST_PAGE));
	refill_private(p, GUEST_PUNCH_PAGE, REFILL_TAG);
	/* Punched again and nothing written: a new, zeroed page... */
	ASSERT_OK(gmem_punch(p->fd, GUEST_PUNCH_PAGE, GUEST_PAGE));
	ASSERT_EQ(GUEST(&p->vm, CMD_READ, GUEST_PUNCH_PAGE + 4), 0);
	ASSERT_EQ(GUEST(&p->vm, CMD_SUM, GUEST_PUNCH_PAGE, GUEST_PAGE),
		  zero_sum(GUEST_PUNCH_PAGE, GUEST_PAGE));
	/* ...which is the one the host's next contents go to. */
	refill_private(p, GUEST_PUNCH_PAGE, REFILL_TAG + 1);
	/* Nothing else was touched. */
	ASSERT_EQ(GUEST(&p->vm, CMD_SUM, GUEST_POISON_PAGE, GUEST_PAGE),
		  image_sum(GUEST_POISON_PAGE, GUEST_PAGE));
	ASSERT_EQ(GUEST(&p->vm, CMD_SUM, GUEST_DATA, GUEST_DATA_LEN),
		  image_sum(GUEST_DATA, GUEST_DATA_LEN));
}

/* Split memory first (gmem's invalidations alone), then gmem-only. */
static void punch_private(void)
{
	unsigned long long refs = gmem_refcnt();
	struct pvm p;

	pvm_setup_split(&p);
	punch_private_in(&p);
	pvm_teardown(&p);
	pvm_setup(&p);
	punch_private_in(&p);
	pvm_teardown(&p);
	ASSERT_EQ(gmem_refcnt_wait(refs), refs);
}

static void poison_private(void)
{
	unsigned long long refs = gmem_refcnt();
	unsigned long pfn;
	struct pvm p;
	struct vexit x;

	hwpoison_need();
	pvm_gmem(&p);
	pfn = private_pfn(p.fd, GUEST_POISON_PAGE, NULL);
	pvm_kvm(&p);
	ASSERT_EQ(GUEST(&p.vm, CMD_READ, GUEST_POISON_PAGE), POISON_FILL);

	test_diag("poisoning pfn %#lx, guest page %#x", pfn, GUEST_POISON_PAGE);
	hwpoison_pfn(pfn);

	/* The next access stops at a memory fault exit for that page. */
	GUEST_POISON_EXIT(&p.vm, &x, GUEST_POISON_PAGE);
	EXPECT_TRUE(x.fault.flags & KVM_MEMORY_EXIT_FLAG_PRIVATE);
	/* Again on a retry: the page stays lost... */
	ASSERT_TRUE(!guest_finish(&p.vm, &(uint32_t){ 0 }, &x));
	if (x.kind != VX_MEMORY_FAULT)
		FAIL("retry: expected a memory fault exit, got %s", vexit_str(&x));
	/* ...until the VMM punches it: then it reads as a new zeroed page. */
	ASSERT_OK(gmem_punch(p.fd, GUEST_POISON_PAGE, GUEST_PAGE));
	ASSERT_EQ(GUEST_DONE(&p.vm), 0);
	/* The rest of the guest never noticed. */
	ASSERT_EQ(GUEST(&p.vm, CMD_SUM, GUEST_DATA, GUEST_DATA_LEN),
		  image_sum(GUEST_DATA, GUEST_DATA_LEN));
	ASSERT_EQ(GUEST(&p.vm, CMD_READ, GUEST_PUNCH_PAGE), PUNCH_FILL);

	pvm_teardown(&p);
	ASSERT_EQ(gmem_refcnt_wait(refs), refs);
}

/*
 * gmem's state is KVM's for a gmem memslot (issue 14 item 4): the VMM
 * cannot set KVM's attributes there (EINVAL), and one GMEM_CONVERT under
 * the running guest is all a conversion takes, both ways, contents kept.
 * Outside the memslot KVM's own attributes still work.
 */
static void attributes_from_gmem(void)
{
	unsigned long long refs = gmem_refcnt();
	uint8_t *page;
	struct pvm p;
	uint32_t v;

	pvm_setup(&p);
	page = p.mem + GUEST_PUNCH_PAGE;
	EXPECT_EQ(vm_set_private(&p.vm, GUEST_PUNCH_PAGE, GUEST_PAGE, false),
		  -EINVAL);
	EXPECT_EQ(vm_set_private(&p.vm, GUEST_STUBS, GUEST_PAGE, true), -EINVAL);
	EXPECT_EQ(vm_set_private(&p.vm, 0, GUEST_MEM_SIZE, true), -EINVAL);
	/* Overlapping the memslot's last page is overlapping it. */
	EXPECT_EQ(vm_set_private(&p.vm, GUEST_MEM_SIZE - GUEST_PAGE,
				 2 * GUEST_PAGE, true), -EINVAL);
	ASSERT_OK(vm_set_private(&p.vm, GUEST_MEM_SIZE, GUEST_PAGE, true));
	ASSERT_OK(vm_set_private(&p.vm, GUEST_MEM_SIZE, GUEST_PAGE, false));

	/* The guest maps the page private and writes to it... */
	ASSERT_EQ(GUEST(&p.vm, CMD_READ, GUEST_PUNCH_PAGE), PUNCH_FILL);
	ASSERT_EQ(GUEST(&p.vm, CMD_WRITE, GUEST_PUNCH_PAGE + 4, 0x5ca1ab1e), 0);
	EXPECT_TRUE(!host_can_read(page));
	/* ...gmem alone makes it shared: the host reads the guest's write... */
	ASSERT_OK(gmem_convert(p.fd, GUEST_PUNCH_PAGE, GUEST_PAGE, GMEM_SHARED));
	ASSERT_TRUE(host_can_read(page));
	memcpy(&v, page + 4, 4);
	ASSERT_EQ(v, 0x5ca1ab1e);
	/* ...and the guest, not stopped by any exit, the host's. */
	v = 0x5ca1ab1f;
	memcpy(page + 8, &v, 4);
	ASSERT_EQ(GUEST(&p.vm, CMD_READ, GUEST_PUNCH_PAGE + 8), 0x5ca1ab1f);
	ASSERT_EQ(GUEST(&p.vm, CMD_READ, GUEST_PUNCH_PAGE), PUNCH_FILL);
	/* Back to private by gmem alone: contents kept, the host shut out. */
	ASSERT_OK(gmem_convert(p.fd, GUEST_PUNCH_PAGE, GUEST_PAGE, GMEM_PRIVATE));
	EXPECT_TRUE(!host_can_read(page));
	ASSERT_EQ(GUEST(&p.vm, CMD_READ, GUEST_PUNCH_PAGE + 8), 0x5ca1ab1f);
	ASSERT_EQ(GUEST(&p.vm, CMD_READ, GUEST_PUNCH_PAGE + 4), 0x5ca1ab1e);
	ASSERT_EQ(GUEST(&p.vm, CMD_SUM, GUEST_DATA, GUEST_DATA_LEN),
		  image_sum(GUEST_DATA, GUEST_DATA_LEN));

	pvm_teardown(&p);
	ASSERT_EQ(gmem_refcnt_wait(refs), refs);
}

/*
 * A gmem fd without GMEM_CREATE_MMAP backs only the private view: shared
 * pages are the memslot's userspace memory (here anonymous memory holding
 * the image, its punch page filled otherwise).  GMEM_CONVERT alone
 * switches which of the two the guest sees, and KVM drops the mapping of
 * the other one each way.
 */
#define ANON_FILL	0xa7077a11u

static void split_memory(void)
{
	unsigned long long refs = gmem_refcnt();
	uint8_t *anon = image_anon(), img[GUEST_PAGE];
	struct vm vm;
	int fd;

	need_protected_vm();
	for (unsigned int i = 0; i < GUEST_PAGE; i += 4)
		memcpy(anon + GUEST_PUNCH_PAGE + i, &(uint32_t){ ANON_FILL }, 4);
	fd = gmem_new(GUEST_MEM_SIZE, 0);
	ASSERT_OK(gmem_populate(fd, 0, guest_image(), GUEST_MEM_SIZE));
	ASSERT_OK(gmem_convert(fd, GUEST_STUBS, GUEST_PAGE, GMEM_SHARED));
	protected_vm_create(&vm, anon, GUEST_MEM_SIZE, fd, 0);

	/* Private: gmem's page, the image's fill. */
	ASSERT_EQ(GUEST(&vm, CMD_READ, GUEST_PUNCH_PAGE), PUNCH_FILL);
	ASSERT_EQ(GUEST(&vm, CMD_WRITE, GUEST_PUNCH_PAGE + 4, 0x5b117001), 0);
	/* Shared: the anonymous page, mapped in place of gmem's. */
	ASSERT_OK(gmem_convert(fd, GUEST_PUNCH_PAGE, GUEST_PAGE, GMEM_SHARED));
	ASSERT_EQ(GUEST(&vm, CMD_READ, GUEST_PUNCH_PAGE + 4), ANON_FILL);
	ASSERT_EQ(GUEST(&vm, CMD_WRITE, GUEST_PUNCH_PAGE + 8, 0x5b117002), 0);
	memcpy(img, anon + GUEST_PUNCH_PAGE, GUEST_PAGE);
	ASSERT_EQ(*(uint32_t *)(img + 8), 0x5b117002);
	/* Private again: gmem's page as the guest left it, not the anon one. */
	ASSERT_OK(gmem_convert(fd, GUEST_PUNCH_PAGE, GUEST_PAGE, GMEM_PRIVATE));
	ASSERT_EQ(GUEST(&vm, CMD_READ, GUEST_PUNCH_PAGE + 4), 0x5b117001);
	ASSERT_EQ(GUEST(&vm, CMD_READ, GUEST_PUNCH_PAGE + 8), PUNCH_FILL);
	ASSERT_EQ(GUEST(&vm, CMD_SUM, GUEST_DATA, GUEST_DATA_LEN),
		  image_sum(GUEST_DATA, GUEST_DATA_LEN));

	vm_destroy(&vm);
	close(fd);
	munmap(anon, GUEST_MEM_SIZE);
	ASSERT_EQ(gmem_refcnt_wait(refs), refs);
}

static void vm_before_fd(void)
{
	unsigned long long refs = gmem_refcnt();
	struct pvm p;

	pvm_setup(&p);
	ASSERT_EQ(GUEST(&p.vm, CMD_WRITE, GUEST_DATA, 0xdead0001), 0);
	vm_destroy(&p.vm);

	/* The memory outlived the VM, and KVM's binding is gone... */
	ASSERT_OK(gmem_convert(p.fd, GUEST_DATA, GUEST_PAGE, GMEM_SHARED));
	ASSERT_EQ(*(uint32_t *)(p.mem + GUEST_DATA), 0xdead0001);
	ASSERT_EQ(memcmp(p.mem + GUEST_DATA + 4, guest_image() + GUEST_DATA + 4,
			 GUEST_PAGE - 4), 0);
	ASSERT_OK(gmem_convert(p.fd, GUEST_DATA, GUEST_PAGE, GMEM_PRIVATE));
	/* ...so a new VM binds the same range (overlaps would be EBUSY). */
	pvm_kvm(&p);
	ASSERT_EQ(GUEST(&p.vm, CMD_READ, GUEST_DATA), 0xdead0001);
	vm_destroy(&p.vm);

	munmap(p.mem, GUEST_MEM_SIZE);
	close(p.fd);
	ASSERT_EQ(gmem_refcnt_wait(refs), refs);
}

static void fd_before_vm(void)
{
	unsigned long long refs = gmem_refcnt();
	struct pvm p;

	pvm_setup(&p);
	munmap(p.mem, GUEST_MEM_SIZE);
	close(p.fd);
	/* KVM's binding holds the file, so the guest's memory lives on. */
	EXPECT_GT(gmem_refcnt(), refs);
	ASSERT_EQ(GUEST(&p.vm, CMD_SUM, GUEST_DATA, GUEST_DATA_LEN),
		  image_sum(GUEST_DATA, GUEST_DATA_LEN));
	ASSERT_EQ(GUEST(&p.vm, CMD_WRITE, GUEST_PUNCH_PAGE, 1), 0);
	ASSERT_EQ(GUEST(&p.vm, CMD_READ, GUEST_PUNCH_PAGE), 1);
	vm_destroy(&p.vm);
	/* The VM took the last reference with it. */
	ASSERT_EQ(gmem_refcnt_wait(refs), refs);
}

/*
 * What KVM refuses: a range another VM has bound (gmem's bindings never
 * overlap), a range past the end of the fd, an unaligned offset, and a
 * VM type without private memory, unless the fd is mmap-able (a gmem-only
 * memslot: e2e-only).
 */
static void bind_rules(void)
{
	unsigned long long refs = gmem_refcnt();
	struct vm other, dflt;
	struct pvm p;
	int fd;

	pvm_setup(&p);
	ASSERT_OK(vm_create(&other, KVM_X86_SW_PROTECTED_VM));
	EXPECT_EQ(vm_set_region2(&other, p.mem, GUEST_MEM_SIZE, p.fd, 0), -EBUSY);
	EXPECT_EQ(vm_set_region2(&other, p.mem, GUEST_MEM_SIZE, p.fd,
				 GUEST_MEM_SIZE), -EINVAL);
	EXPECT_EQ(vm_set_region2(&other, p.mem, GUEST_PAGE, p.fd, 100), -EINVAL);
	ASSERT_OK(vm_create(&dflt, KVM_X86_DEFAULT_VM));
	fd = gmem_new(GUEST_MEM_SIZE, 0);
	EXPECT_EQ(vm_set_region2(&dflt, p.mem, GUEST_MEM_SIZE, fd, 0), -EINVAL);
	close(fd);
	vm_destroy(&dflt);

	/* None of that disturbed the VM that holds the range... */
	ASSERT_EQ(GUEST(&p.vm, CMD_SUM, GUEST_DATA, GUEST_DATA_LEN),
		  image_sum(GUEST_DATA, GUEST_DATA_LEN));
	/* ...and once it is gone, the range is free for another. */
	vm_destroy(&p.vm);
	ASSERT_OK(vm_set_region2(&other, p.mem, GUEST_MEM_SIZE, p.fd, 0));
	vm_destroy(&other);

	munmap(p.mem, GUEST_MEM_SIZE);
	close(p.fd);
	ASSERT_EQ(gmem_refcnt_wait(refs), refs);
}

/*
 * gmem is a second provider: KVM's own guest_memfd still backs a
 * memslot's private pages, next to ordinary memory for the shared ones.
 */
static void kvm_guest_memfd(void)
{
	uint8_t *mem;
	struct vm vm;
	uint32_t v;
	int fd;

	need_protected_vm();
	mem = image_anon();
	ASSERT_OK(vm_create(&vm, KVM_X86_SW_PROTECTED_VM));
	fd = own_guest_memfd_vm(&vm, mem);

	/* Shared pages come from the anonymous memory... */
	ASSERT_EQ(GUEST(&vm, CMD_SUM, GUEST_DATA, GUEST_DATA_LEN),
		  image_sum(GUEST_DATA, GUEST_DATA_LEN));
	/* ...the private one from KVM's guest_memfd, zeroed, apart. */
	ASSERT_EQ(GUEST(&vm, CMD_READ, GUEST_PUNCH_PAGE), 0);
	ASSERT_EQ(GUEST(&vm, CMD_WRITE, GUEST_PUNCH_PAGE + 4, 0x0e1f0001), 0);
	ASSERT_EQ(GUEST(&vm, CMD_READ, GUEST_PUNCH_PAGE + 4), 0x0e1f0001);
	memcpy(&v, mem + GUEST_PUNCH_PAGE + 4, 4);
	ASSERT_EQ(v, PUNCH_FILL);

	vm_destroy(&vm);
	close(fd);
	munmap(mem, GUEST_MEM_SIZE);
}

/* The pages of the guest's memory GMEM_DIRTY_LOG reports, bit n page n. */
static uint64_t guest_dirty(int fd, bool clear, const char *when)
{
	uint64_t bits = 0;
	int n = gmem_dirty_log(fd, 0, GUEST_MEM_SIZE, &bits, clear);

	if (n < 0)
		FAIL("GMEM_DIRTY_LOG %s: %s", when, errno_name(-n));
	test_diag("%s: pages written %#llx", when, (unsigned long long)bits);
	ASSERT_EQ(n, __builtin_popcountll(bits));
	return bits;
}

/* The 32-bit word of guest_image() at @gpa. */
static uint32_t image_word(uint32_t gpa)
{
	uint32_t v;

	memcpy(&v, guest_image() + gpa, 4);
	return v;
}

#define PAGE_BIT(gpa)	(1ULL << ((gpa) / GUEST_PAGE))
/* Every command may push onto page 0, the stacks. */
#define NOT_STACK(bits)	((bits) & ~PAGE_BIT(0))

/*
 * A GMEM_CREATE_DIRTY_LOG fd: what the guest writes, private or shared,
 * is logged, what it only reads is not.  KVM maps a page read-only on a
 * read fault and resolves it again, with GMEM_GET_WRITE, on the write
 * fault that follows; a clear makes it resolve again.
 */
static void dirty_log_guest(void)
{
	unsigned long long refs = gmem_refcnt();
	struct pvm p;
	uint32_t v;

	p.fd = gmem_new(GUEST_MEM_SIZE,
			GMEM_CREATE_MMAP | GMEM_CREATE_DIRTY_LOG);
	ASSERT_OK(gmem_populate(p.fd, 0, guest_image(), GUEST_MEM_SIZE));
	ASSERT_OK(gmem_convert(p.fd, GUEST_STUBS, GUEST_PAGE, GMEM_SHARED));
	p.mem = gmem_map(p.fd, GUEST_MEM_SIZE);
	pvm_kvm(&p);
	/* GMEM_POPULATE wrote every page */
	ASSERT_EQ(guest_dirty(p.fd, true, "after GMEM_POPULATE"),
		  PAGE_BIT(GUEST_MEM_SIZE) - 1);

	/* reads map read-only and log nothing */
	ASSERT_EQ(GUEST(&p.vm, CMD_SUM, GUEST_DATA, GUEST_DATA_LEN),
		  image_sum(GUEST_DATA, GUEST_DATA_LEN));
	ASSERT_EQ(GUEST(&p.vm, CMD_READ, GUEST_PUNCH_PAGE + 4),
		  image_word(GUEST_PUNCH_PAGE + 4));
	ASSERT_EQ(NOT_STACK(guest_dirty(p.fd, false, "after guest reads")), 0);

	/* a write to a page read before: its read-only entry faults */
	ASSERT_EQ(GUEST(&p.vm, CMD_WRITE, GUEST_PUNCH_PAGE + 4, 0xd1e7f001), 0);
	ASSERT_EQ(NOT_STACK(guest_dirty(p.fd, true, "after a write")),
		  PAGE_BIT(GUEST_PUNCH_PAGE));
	/* after the clear, the same page written again: again */
	ASSERT_EQ(GUEST(&p.vm, CMD_WRITE, GUEST_PUNCH_PAGE + 8, 0xd1e7f002), 0);
	ASSERT_EQ(NOT_STACK(guest_dirty(p.fd, true, "after a write after the clear")),
		  PAGE_BIT(GUEST_PUNCH_PAGE));
	/* nothing written since: nothing */
	ASSERT_EQ(GUEST(&p.vm, CMD_READ, GUEST_PUNCH_PAGE + 8), 0xd1e7f002);
	ASSERT_EQ(NOT_STACK(guest_dirty(p.fd, true, "after a read")), 0);

	/* a shared page: the guest's write is logged, the host sees it */
	ASSERT_OK(gmem_convert(p.fd, GUEST_SHARE_PAGE, GUEST_PAGE, GMEM_SHARED));
	guest_dirty(p.fd, true, "after the conversion");
	ASSERT_EQ(GUEST(&p.vm, CMD_READ, GUEST_SHARE_PAGE),
		  image_word(GUEST_SHARE_PAGE));
	ASSERT_EQ(NOT_STACK(guest_dirty(p.fd, false, "after a shared read")), 0);
	ASSERT_EQ(GUEST(&p.vm, CMD_WRITE, GUEST_SHARE_PAGE + 16, 0xd1e7f003), 0);
	ASSERT_EQ(NOT_STACK(guest_dirty(p.fd, true, "after a shared write")),
		  PAGE_BIT(GUEST_SHARE_PAGE));
	memcpy(&v, p.mem + GUEST_SHARE_PAGE + 16, 4);
	ASSERT_EQ(v, 0xd1e7f003);

	pvm_teardown(&p);
	ASSERT_EQ(gmem_refcnt_wait(refs), refs);
}

static const struct test e2e_tests[] = {
	TEST("private code and data from GMEM_POPULATE: the guest runs and checksums them",
	     private_checksum),
	TEST("KVM_HC_MAP_GPA_RANGE: a page goes shared in place, the host reads the guest's writes, and back",
	     map_gpa_range),
	TEST("punch-hole on a private page the guest uses, split memory and gmem-only: it reads the contents the host populated after, or zeroes",
	     punch_private),
	TEST("a poisoned private page: memory fault exit to the VMM, the guest goes on once punched",
	     poison_private, .kmsg_allow = "emory failure"),
	TEST("gmem's state is KVM's: KVM_SET_MEMORY_ATTRIBUTES on the memslot EINVAL, GMEM_CONVERT alone converts under the guest, both ways",
	     attributes_from_gmem),
	TEST("a gmem fd without GMEM_CREATE_MMAP: shared pages from the memslot's own memory, GMEM_CONVERT switches the guest between the two",
	     split_memory),
	TEST("the VM destroyed before the gmem fd is closed", vm_before_fd),
	TEST("the gmem fd closed before the VM is destroyed", fd_before_vm),
	TEST("KVM refuses an overlapping, out-of-range or unaligned binding, and a VM without private memory",
	     bind_rules),
	TEST("KVM's own guest_memfd still works beside gmem", kvm_guest_memfd),
	TEST("a GMEM_CREATE_DIRTY_LOG fd: the guest's writes to private and shared pages are logged, its reads not, again after each clear",
	     dirty_log_guest),
};
DEFINE_SUITE(e2e_suite, "e2e", e2e_tests);
