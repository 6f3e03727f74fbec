// SPDX-License-Identifier: GPL-2.0
/*
 * gmem-only memslots (issue 14 item 4): a memslot bound to a gmem fd
 * created with GMEM_CREATE_MMAP resolves every fault through gmem, shared
 * pages too, so a VM can run entirely on gmem memory, in place, with 2 MiB
 * NPT entries for shared memory as well as private.  The fd here is
 * GMEM_CREATE_MMAP | GMEM_CREATE_HUGE | GMEM_CREATE_SHARED, two 2 MiB
 * blocks, the VMM's mapping 2 MiB aligned:
 *
 *   GPA 0 .. 2 MiB       the image (guest_image()) and zeroes
 *   GPA 2 MiB .. 4 MiB   fill_place(BLOCK_TAG) of its fd offset
 *
 * both written by the VMM through its mapping (each block one 2 MiB folio,
 * allocated whole on its first fault).  KVM's VM statistics (pages_4k,
 * pages_2m) show how KVM maps them; a memslot whose shared pages came from
 * userspace_addr would have 4 KiB entries only (gmem maps its fd into the
 * VMM page by page).
 *
 * A software-protected VM also converts a page under the guest; a default
 * VM (no private memory: every page must be shared) exists on Linux 6.18
 * and later, whose KVM gives default VMs guest_memfd memslots; before, KVM
 * refuses it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/gmem.h>

#include "common.h"
#include "suites.h"

#define OBLOCK		0x200000u		/* one 2 MiB folio */
#define OMEM		(2 * OBLOCK)		/* the memslot and the fd */
#define OPAGE		(OBLOCK + 0x5d000)	/* converted, then punched */

struct ovm {
	struct vm vm;
	int fd;
	uint8_t *mem;
};

static uint64_t npt(struct ovm *o, const char *name, bool *ok)
{
	uint64_t v = 0;

	if (vm_stat(&o->vm, name, &v))
		*ok = false;
	return v;
}

/* KVM's 2 MiB entries (and 4 KiB ones in *@k4); false without statistics. */
static bool npt_2m(struct ovm *o, const char *when, uint64_t *m2,
		   uint64_t *k4)
{
	bool ok = true;

	*m2 = npt(o, "pages_2m", &ok);
	*k4 = npt(o, "pages_4k", &ok);
	if (ok)
		test_diag("%s: KVM maps pages_4k %llu, pages_2m %llu", when,
			  (unsigned long long)*k4, (unsigned long long)*m2);
	else
		test_diag("%s: KVM's VM statistics have no pages_4k/pages_2m: mapping sizes not checked",
			  when);
	return ok;
}

/* Does this kernel's KVM give default VMs guest_memfd memslots (6.18+)? */
static bool default_vm_gmem(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	ASSERT_SYS(uname(&u));
	if (sscanf(u.release, "%d.%d", &major, &minor) != 2)
		FAIL("uname release %s", u.release);
	return major > 6 || (major == 6 && minor >= 18);
}

/* The fd, filled through the VMM's mapping; 0 or the memslot's -errno. */
static int ovm_setup(struct ovm *o, unsigned long type)
{
	long long blocks = huge_blocks_free(16);
	struct gmem_info info;
	int r;

	if (blocks >= 0 && blocks < 3)
		test_skip("only %lld free 2 MiB blocks after compaction, the test needs 3",
			  blocks);
	o->fd = gmem_new(OMEM, GMEM_CREATE_MMAP | GMEM_CREATE_HUGE |
			 GMEM_CREATE_SHARED);
	o->mem = gmem_map_aligned(o->fd, 0, OMEM, OBLOCK);
	memcpy(o->mem, guest_image(), GUEST_MEM_SIZE);
	fill_place(o->mem + OBLOCK, OBLOCK, BLOCK_TAG, OBLOCK);
	info = gmem_get_info(o->fd);
	test_diag("gmem: %#llx bytes allocated, %llu large folio(s), all shared",
		  (unsigned long long)info.allocated,
		  (unsigned long long)info.large_folios);
	ASSERT_EQ(info.shared_bytes, OMEM);
	EXPECT_EQ(info.large_folios, 2);

	ASSERT_OK(vm_create(&o->vm, type));
	r = vm_set_region2(&o->vm, o->mem, OMEM, o->fd, 0);
	if (r)
		return r;
	ASSERT_OK(vm_add_vcpu(&o->vm));
	return 0;
}

static void ovm_teardown(struct ovm *o)
{
	vm_destroy(&o->vm);
	munmap(o->mem, OMEM);
	close(o->fd);
}

static uint32_t block_sum(struct ovm *o)
{
	return vmm_checksum(o->mem + OBLOCK, OBLOCK, OBLOCK);
}

/*
 * What both VM types check: the guest runs on shared gmem memory, both
 * block 1 mapped with one 2 MiB entry, and the VMM and the guest see
 * each other's writes in place.
 */
static void ovm_shared_in_place(struct ovm *o)
{
	uint64_t m2, k4, m2_0, k4_0;
	bool ok;
	uint32_t v;

	ASSERT_EQ(GUEST(&o->vm, CMD_SUM, GUEST_DATA, GUEST_DATA_LEN),
		  image_sum(GUEST_DATA, GUEST_DATA_LEN));
	ok = npt_2m(o, "the guest ran from block 0", &m2_0, &k4_0);
	/* Shared block 1, read whole: one new 2 MiB entry, no 4 KiB one. */
	ASSERT_EQ(GUEST(&o->vm, CMD_SUM, OBLOCK, OBLOCK), block_sum(o));
	if (npt_2m(o, "the guest read block 1", &m2, &k4) && ok) {
		ASSERT_EQ(m2, m2_0 + 1);
		ASSERT_EQ(k4, k4_0);
	}
	/* One memory: the VMM's writes are the guest's reads... */
	v = 0x0e1f0001;
	memcpy(o->mem + OPAGE + 16, &v, 4);
	ASSERT_EQ(GUEST(&o->vm, CMD_READ, OPAGE + 16), 0x0e1f0001);
	/* ...and the other way round. */
	ASSERT_EQ(GUEST(&o->vm, CMD_WRITE, OBLOCK + OBLOCK - 4, 0x0e1f0002), 0);
	memcpy(&v, o->mem + OMEM - 4, 4);
	ASSERT_EQ(v, 0x0e1f0002);
	ASSERT_EQ(GUEST(&o->vm, CMD_SUM, OBLOCK, OBLOCK), block_sum(o));
}

static void only_protected(void)
{
	unsigned long long refs = gmem_refcnt();
	uint64_t m2, k4, m2_0, k4_0;
	uint8_t want[GUEST_PAGE];
	struct ovm o;
	int r;

	need_protected_vm();
	r = ovm_setup(&o, KVM_X86_SW_PROTECTED_VM);
	if (r == -EINVAL)
		no_gmem_kvm("KVM refuses a gmem fd as a memslot's guest_memfd (EINVAL)");
	ASSERT_OK(r);
	ovm_shared_in_place(&o);
	npt_2m(&o, "before the conversion", &m2_0, &k4_0);

	/* A page of block 1 private: the VMM loses it, the guest keeps it. */
	memcpy(want, o.mem + OPAGE, GUEST_PAGE);
	ASSERT_OK(gmem_convert(o.fd, OPAGE, GUEST_PAGE, GMEM_PRIVATE));
	EXPECT_TRUE(!host_can_read(o.mem + OPAGE));
	ASSERT_EQ(GUEST(&o.vm, CMD_SUM, OPAGE, GUEST_PAGE),
		  vmm_checksum(want, GUEST_PAGE, OPAGE));
	ASSERT_EQ(GUEST(&o.vm, CMD_WRITE, OPAGE + 32, 0x0e1f0003), 0);
	ASSERT_EQ(GUEST(&o.vm, CMD_SUM, OBLOCK, OPAGE - OBLOCK),
		  vmm_checksum(o.mem + OBLOCK, OPAGE - OBLOCK, OBLOCK));
	ASSERT_EQ(GUEST(&o.vm, CMD_SUM, OPAGE + GUEST_PAGE,
			OMEM - OPAGE - GUEST_PAGE),
		  vmm_checksum(o.mem + OPAGE + GUEST_PAGE,
			       OMEM - OPAGE - GUEST_PAGE, OPAGE + GUEST_PAGE));
	/* Block 1 is mixed now: 4 KiB entries for all of it. */
	if (npt_2m(&o, "one page of block 1 private, block 1 read", &m2, &k4)) {
		ASSERT_EQ(m2, m2_0 - 1);
		ASSERT_GE(k4, k4_0 + OBLOCK / GUEST_PAGE);
	}

	/* Shared again: the VMM reads the guest's write, one 2 MiB entry. */
	ASSERT_OK(gmem_convert(o.fd, OPAGE, GUEST_PAGE, GMEM_SHARED));
	ASSERT_TRUE(host_can_read(o.mem + OPAGE));
	ASSERT_EQ(*(uint32_t *)(o.mem + OPAGE + 32), 0x0e1f0003);
	ASSERT_EQ(GUEST(&o.vm, CMD_SUM, OBLOCK, OBLOCK), block_sum(&o));
	if (npt_2m(&o, "block 1 all shared again, read", &m2, &k4))
		ASSERT_EQ(m2, m2_0);

	/* A punched page reads zeroes on both sides, its neighbours not. */
	ASSERT_OK(gmem_punch(o.fd, OPAGE, GUEST_PAGE));
	ASSERT_EQ(GUEST(&o.vm, CMD_SUM, OPAGE, GUEST_PAGE),
		  zero_sum(OPAGE, GUEST_PAGE));
	ASSERT_EQ(*(uint32_t *)(o.mem + OPAGE + 32), 0);
	ASSERT_EQ(GUEST(&o.vm, CMD_SUM, OBLOCK, OBLOCK), block_sum(&o));
	/*
	 * Punched again, new contents written through the VMM's mapping
	 * before the guest looks: the guest reads those, not the freed page.
	 */
	ASSERT_OK(gmem_punch(o.fd, OPAGE, GUEST_PAGE));
	fill_place(o.mem + OPAGE, GUEST_PAGE, REFILL_TAG, OPAGE);
	ASSERT_EQ(GUEST(&o.vm, CMD_READ, OPAGE), REFILL_TAG);
	ASSERT_EQ(GUEST(&o.vm, CMD_SUM, OBLOCK, OBLOCK), block_sum(&o));

	ovm_teardown(&o);
	ASSERT_EQ(gmem_refcnt_wait(refs), refs);
}

static void only_default(void)
{
	unsigned long long refs = gmem_refcnt();
	struct ovm o;
	struct vexit x;
	uint32_t v;
	int r;

	r = ovm_setup(&o, KVM_X86_DEFAULT_VM);
	if (!default_vm_gmem()) {
		ASSERT_EQ(r, -EINVAL);
		ovm_teardown(&o);
		test_skip("this KVM (before 6.18) gives default VMs no guest_memfd memslots: EINVAL, as expected");
	}
	if (r == -EINVAL)
		no_gmem_kvm("KVM refuses a gmem-only memslot of a default VM (EINVAL)");
	ASSERT_OK(r);
	ovm_shared_in_place(&o);

	/*
	 * A default VM has no private memory: a page the VMM made private is
	 * the VMM's error, reported as a memory fault exit (EFAULT); shared
	 * again, the guest goes on.
	 */
	ASSERT_OK(gmem_convert(o.fd, OPAGE, GUEST_PAGE, GMEM_PRIVATE));
	ASSERT_TRUE(!guest_cmd(&o.vm, CMD_READ,
			       (const uint32_t[]){ OPAGE + 16 }, 1, &v, &x));
	if (x.kind != VX_MEMORY_FAULT)
		FAIL("expected a memory fault exit, got %s", vexit_str(&x));
	test_diag("the guest's read of the private page: %s", vexit_str(&x));
	EXPECT_EQ(x.err, EFAULT);
	EXPECT_EQ(x.fault.gpa, OPAGE);
	ASSERT_OK(gmem_convert(o.fd, OPAGE, GUEST_PAGE, GMEM_SHARED));
	ASSERT_EQ(GUEST_DONE(&o.vm), 0x0e1f0001);

	ovm_teardown(&o);
	ASSERT_EQ(gmem_refcnt_wait(refs), refs);
}

static const struct test only_tests[] = {
	TEST("a protected VM on a gmem-only memslot: shared memory in place with 2 MiB entries, a page converted and back, one punched and written anew",
	     only_protected, .timeout = 120),
	TEST("a default VM entirely on a gmem-only memslot: 2 MiB entries, one memory with the VMM, a private page a memory fault exit",
	     only_default, .timeout = 120),
};
DEFINE_SUITE(e2e_only_suite, "e2e-only", only_tests);
