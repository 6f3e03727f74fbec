// SPDX-License-Identifier: GPL-2.0
/*
 * gmem with a KVM that knows nothing of it (every tier-1 kernel's stock
 * KVM, 6.1 included): the VMM maps gmem's shared pages and hands the
 * mapping to KVM as an ordinary memslot.  The guest runs from it; once a
 * page it uses turns private, KVM cannot fault it in any more (gmem's
 * mapping raises SIGBUS on private pages) and KVM_RUN fails cleanly,
 * leaving the host as it was.
 *
 * Also the "kvm" suite: which KVM is loaded and what it offers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/gmem.h>

#include "common.h"
#include "suites.h"

struct stock_vm {
	struct vm vm;
	int fd;
	uint8_t *mem;
};

static void stock_setup(struct stock_vm *s)
{
	s->fd = gmem_new(GUEST_MEM_SIZE, GMEM_CREATE_MMAP | GMEM_CREATE_SHARED);
	s->mem = gmem_map(s->fd, GUEST_MEM_SIZE);
	memcpy(s->mem, guest_image(), GUEST_MEM_SIZE);
	ASSERT_OK(vm_create(&s->vm, KVM_X86_DEFAULT_VM));
	ASSERT_OK(vm_set_region(&s->vm, s->mem, GUEST_MEM_SIZE));
	ASSERT_OK(vm_add_vcpu(&s->vm));
}

static void stock_teardown(struct stock_vm *s)
{
	vm_destroy(&s->vm);
	munmap(s->mem, GUEST_MEM_SIZE);
	close(s->fd);
}

/* The guest runs from gmem's shared pages and the host sees its writes. */
static void shared_memslot(void)
{
	unsigned long long refs = gmem_refcnt();
	struct stock_vm s;
	struct vexit x;
	uint32_t sum, v;

	stock_setup(&s);
	sum = GUEST(&s.vm, CMD_SUM, GUEST_DATA, GUEST_DATA_LEN);
	ASSERT_EQ(sum, image_sum(GUEST_DATA, GUEST_DATA_LEN));
	test_diag("guest checksum of %#x bytes at %#x: %#x, as computed by the host",
		  GUEST_DATA_LEN, GUEST_DATA, sum);

	/* Guest writes show through the VMM's mapping, and the reverse. */
	ASSERT_EQ(GUEST(&s.vm, CMD_FILL, GUEST_SHARE_PAGE, GUEST_PAGE, 0xfeed0001), 0);
	memcpy(&v, s.mem + GUEST_SHARE_PAGE + GUEST_PAGE - 4, 4);
	ASSERT_EQ(v, 0xfeed0001);
	v = 0xfeed0002;
	memcpy(s.mem + GUEST_SHARE_PAGE + 8, &v, 4);
	ASSERT_EQ(GUEST(&s.vm, CMD_READ, GUEST_SHARE_PAGE + 8), 0xfeed0002);

	/* HLT exits to the VMM (no in-kernel irqchip) and resumes after it. */
	ASSERT_TRUE(!guest_cmd(&s.vm, CMD_HLT, NULL, 0, &v, &x));
	if (x.kind != VX_HLT)
		FAIL("CMD_HLT: expected a HLT exit, got %s", vexit_str(&x));
	ASSERT_EQ(GUEST_DONE(&s.vm), 0);
	ASSERT_EQ(GUEST(&s.vm, CMD_SUM, GUEST_DATA, GUEST_DATA_LEN), sum);

	stock_teardown(&s);
	ASSERT_EQ(gmem_refcnt_wait(refs), refs);
}

/*
 * A page the guest uses turns private under it: the next access fails
 * KVM_RUN (KVM's fault-in of the page gets SIGBUS from gmem's mapping, so
 * -EFAULT; newer KVMs may add a memory fault exit), the host stays
 * healthy, and once the page is shared again the guest goes on.
 */
static void converted_page(void)
{
	unsigned long long refs = gmem_refcnt();
	struct stock_vm s;
	struct vexit x;

	stock_setup(&s);
	/* KVM maps the page now. */
	ASSERT_EQ(GUEST(&s.vm, CMD_READ, GUEST_PUNCH_PAGE), PUNCH_FILL);
	ASSERT_OK(gmem_convert(s.fd, GUEST_PUNCH_PAGE, GUEST_PAGE, GMEM_PRIVATE));
	ASSERT_TRUE(!host_can_read(s.mem + GUEST_PUNCH_PAGE));

	GUEST_EXIT(&s.vm, &x, CMD_READ, GUEST_PUNCH_PAGE + 4);
	test_diag("after the conversion, the guest's read: %s", vexit_str(&x));
	switch (x.kind) {
	case VX_ERROR:
	case VX_MEMORY_FAULT:
		EXPECT_EQ(x.err, EFAULT);
		if (x.kind == VX_MEMORY_FAULT)
			EXPECT_EQ(x.fault.gpa & ~(GUEST_PAGE - 1ULL), GUEST_PUNCH_PAGE);
		break;
	case VX_OTHER:
		/* An MMIO or internal-error exit is a clean failure too. */
		if (x.reason == KVM_EXIT_MMIO || x.reason == KVM_EXIT_INTERNAL_ERROR)
			break;
		/* fall through */
	default:
		FAIL("expected KVM_RUN to fail, got %s", vexit_str(&x));
	}
	/*
	 * KVM_RUN failed before the read completed: shared again (contents
	 * kept both ways), the page faults in and the read finishes.  An
	 * MMIO exit would want its data from the VMM instead: just tear down.
	 */
	if (x.kind != VX_OTHER) {
		ASSERT_OK(gmem_convert(s.fd, GUEST_PUNCH_PAGE, GUEST_PAGE, GMEM_SHARED));
		ASSERT_EQ(GUEST_DONE(&s.vm), PUNCH_FILL);
		ASSERT_EQ(GUEST(&s.vm, CMD_SUM, GUEST_DATA, GUEST_DATA_LEN),
			  image_sum(GUEST_DATA, GUEST_DATA_LEN));
	}

	stock_teardown(&s);
	ASSERT_EQ(gmem_refcnt_wait(refs), refs);
}

/* Which KVM is loaded, and what it offers: diagnostics for the log. */
static void kvm_loaded(void)
{
	const char *flavour = kvm_flavour();
	char taint[64] = "", npt[8] = "?";
	struct stat st;
	FILE *f;
	struct vm vm;
	int types;

	ASSERT_OK(vm_create(&vm, KVM_X86_DEFAULT_VM));
	types = ioctl(vm.kvm, KVM_CHECK_EXTENSION, KVM_CAP_VM_TYPES);
	vm_destroy(&vm);
	f = fopen("/sys/module/kvm/taint", "re");
	if (f) {
		if (!fgets(taint, sizeof(taint), f))
			taint[0] = '\0';
		fclose(f);
	}
	taint[strcspn(taint, "\n")] = '\0';
	f = fopen("/sys/module/kvm_amd/parameters/npt", "re");
	if (f) {
		if (!fgets(npt, sizeof(npt), f))
			npt[0] = '\0';
		fclose(f);
	}
	npt[strcspn(npt, "\n")] = '\0';
	test_diag("gmem_kvm=%s, kvm taint '%s', kvm_amd npt=%s, VM types %#x, kvm uses gmem: %s",
		  flavour ?: "(unset)", taint, npt, types < 0 ? 0 : types,
		  stat("/sys/module/gmem/holders/kvm", &st) ? "no" : "yes");
	if (!flavour)
		return;
	/* Modules not built in Debian's tree are tainted O (out of tree). */
	if (!strcmp(flavour, "stock"))
		EXPECT_TRUE(!strchr(taint, 'O'));
	else
		EXPECT_TRUE(strchr(taint, 'O'));
	/*
	 * The patched kvm.ko does not link against gmem: it looks gmem's
	 * functions up when a memslot binds a gmem fd (e2e-modules).
	 */
	if (kvm_is_patched()) {
		EXPECT_TRUE(stat("/sys/module/gmem/holders/kvm", &st));
		EXPECT_TRUE(types > 0 && (types & (1 << KVM_X86_SW_PROTECTED_VM)));
	}
}

static const struct test stock_tests[] = {
	TEST("a shared gmem mapping as an ordinary memslot: the guest runs, checksums, halts",
	     shared_memslot),
	TEST("a page converted to private under the guest: KVM_RUN fails cleanly, shared again it goes on",
	     converted_page),
};
DEFINE_SUITE(stock_suite, "stock", stock_tests);

/*
 * The checks the VMM tests lean on can see misplaced pages: CMD_SUM's
 * checksum changes when two pages swap or the same bytes sit at another
 * address (a rotate-and-xor over bytes repeats every page and saw
 * neither), and the data pages name their place in every 16 bytes.
 */
static void checksum_sees_places(void)
{
	uint8_t *buf = malloc(2 * GUEST_DATA_LEN);
	const uint32_t half = GUEST_DATA_LEN / 2;
	uint32_t sum = image_sum(GUEST_DATA, GUEST_DATA_LEN);

	ASSERT_TRUE(buf != NULL);
	memcpy(buf, guest_image() + GUEST_DATA, GUEST_DATA_LEN);
	/* The two halves of the data, swapped. */
	memcpy(buf + GUEST_DATA_LEN, buf, half);
	memmove(buf, buf + half, half);
	memcpy(buf + half, buf + GUEST_DATA_LEN, half);
	EXPECT_NE(vmm_checksum(buf, GUEST_DATA_LEN, GUEST_DATA), sum);
	EXPECT_NE(memcmp(buf, guest_image() + GUEST_DATA, 16), 0);
	/* The same bytes one page further on. */
	EXPECT_NE(vmm_checksum(guest_image() + GUEST_DATA, GUEST_DATA_LEN,
			       GUEST_DATA + GUEST_PAGE), sum);
	/* A page of the data differs from its neighbour in every 16 bytes. */
	for (uint32_t i = 0; i < GUEST_PAGE; i += 16)
		ASSERT_NE(memcmp(guest_image() + GUEST_DATA + i,
				 guest_image() + GUEST_DATA + GUEST_PAGE + i, 16), 0);
	free(buf);
}

static const struct test kvm_tests[] = {
	TEST("the expected KVM is loaded", kvm_loaded),
	TEST("the VMM's checksum and data patterns tell swapped and misplaced pages apart",
	     checksum_sees_places),
};
DEFINE_SUITE(kvm_suite, "kvm", kvm_tests);
