// SPDX-License-Identifier: GPL-2.0
/*
 * GMEM_CREATE_HUGE memory as the private memory of the patched KVM, end to
 * end.  The guest's memslot is two 2 MiB blocks of a huge gmem fd, starting
 * 2 MiB into the fd, its guest-physical base, file offset and VMM mapping
 * all 2 MiB aligned:
 *
 *   GPA 0 .. 2 MiB       fd 2 MiB .. 4 MiB   the image (guest_image()) and
 *                                            zeroes; the stub page shared
 *   GPA 2 MiB .. 4 MiB   fd 4 MiB .. 6 MiB   block_image(), all private
 *
 * Block 0 is mixed (the stub page is shared), so KVM maps it with 4 KiB
 * entries.  Block 1 is one 2 MiB folio, wholly private and inside the
 * binding, so gmem_get_pfn() reports max_order 9 for it and KVM maps it
 * with one 2 MiB NPT entry.  KVM's statistics of the VM (KVM_GET_STATS_FD:
 * pages_4k, pages_2m, the leaf entries of its page tables by size) show
 * which it did; without them the tests check what the guest sees and
 * gmem's large_folios, and say so.
 *
 * Each test then does one thing to block 1 under the guest: converts a
 * page to shared and back, migrates the fd to the other NUMA node and back
 * between guest runs, or punches a page.  The last one moves the memslot a
 * page off alignment in the fd, where KVM must not map the folio whole.
 * Skipped, saying why, on a KVM without the gmem series, as the e2e suite
 * is; the migration also without two NUMA nodes with memory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/gmem.h>

#include "common.h"
#include "numa.h"
#include "suites.h"

#define HUGE_BLOCK	0x200000u		/* one 2 MiB folio */
#define HVM_MEM		(2 * HUGE_BLOCK)	/* the memslot, GPA 0 up */
#define HVM_FD_OFF	HUGE_BLOCK		/* where it starts in the fd */
#define HVM_FD_SIZE	(HVM_FD_OFF + HVM_MEM)
#define HFILE_BLOCK	(2 * HUGE_BLOCK)	/* block_image()'s offset in the fd */
#define HBLOCK		(HFILE_BLOCK - HVM_FD_OFF) /* and its GPA */
#define HCONV_PAGE	(HBLOCK + 0x81000)	/* converted to shared and back */
#define HPUNCH_PAGE	(HBLOCK + 0x123000)	/* punched */
#define HPOISON_PAGE	(HBLOCK + 0x1c7000)	/* poisoned */

#define MAX_NODES	64

struct hvm {
	struct vm vm;
	int fd;
	uint64_t off;		/* the memslot's offset in the fd */
	uint64_t size;		/* the fd's */
	uint32_t block;		/* GPA of block_image(): HFILE_BLOCK - off */
	uint8_t *mem;		/* the VMM's mapping of the memslot's range */
	uint8_t *want;		/* what block 1 should hold */
};

/*
 * Block 1 as populated: every 16 bytes name the huge fd (BLOCK_TAG) and
 * their offset in it, so a subpage of the 2 MiB folio that a split or a
 * migration puts in the wrong place shows.
 */
static const uint8_t *block_image(void)
{
	static uint8_t img[HUGE_BLOCK];
	static bool done;

	if (done)
		return img;
	fill_place(img, HUGE_BLOCK, BLOCK_TAG, HFILE_BLOCK);
	done = true;
	return img;
}

/* The host's checksum of [@gpa, @gpa + @len) of block 1 as it should be. */
static uint32_t want_sum(const struct hvm *h, uint32_t gpa, uint32_t len)
{
	return vmm_checksum(h->want + gpa - h->block, len, gpa);
}

/* A guest write to block 1, recorded in h->want. */
static void hvm_write(struct hvm *h, uint32_t gpa, uint32_t v)
{
	ASSERT_EQ(GUEST(&h->vm, CMD_WRITE, gpa, v), 0);
	memcpy(h->want + gpa - h->block, &v, 4);
}

/*
 * New contents for the punched [@gpa, @gpa + @len) of block 1 from the
 * host, named by @tag and their fd offset, with GMEM_POPULATE (block 1 is
 * private); recorded in h->want, for the guest to read.
 */
static void hvm_refill(struct hvm *h, uint32_t gpa, uint32_t len, uint32_t tag)
{
	uint8_t *want = h->want + gpa - h->block;

	fill_place(want, len, tag, h->off + gpa);
	ASSERT_OK(gmem_populate(h->fd, h->off + gpa, want, len));
}

/* The guest's checksum of the whole of block 1 must be the expected one. */
static void hvm_check_block(struct hvm *h)
{
	ASSERT_EQ(GUEST(&h->vm, CMD_SUM, h->block, HUGE_BLOCK),
		  want_sum(h, h->block, HUGE_BLOCK));
}

/* KVM's leaf page table entries of the VM, by size. */
struct npt {
	bool ok;		/* KVM has the statistics */
	uint64_t k4, m2;
};

static struct npt npt_get(struct hvm *h, const char *when)
{
	struct npt n = { .ok = true };
	int r;

	r = vm_stat(&h->vm, "pages_4k", &n.k4);
	if (!r)
		r = vm_stat(&h->vm, "pages_2m", &n.m2);
	if (r) {
		n.ok = false;
		test_diag("%s: KVM's VM statistics have no pages_4k/pages_2m (%s): KVM's mapping size is not observable, only what the guest reads and gmem's large_folios are checked",
			  when, errno_name(-r));
		return n;
	}
	test_diag("%s: KVM maps pages_4k %llu, pages_2m %llu", when,
		  (unsigned long long)n.k4, (unsigned long long)n.m2);
	return n;
}

/*
 * gmem's side: the huge fd with the memslot at @off in it, block_image()
 * populated first at HFILE_BLOCK (one 2 MiB folio, which the test checks),
 * then the image at @off and its stub page shared, and the VMM's mapping
 * at a 2 MiB-aligned address.
 */
static void hvm_gmem(struct hvm *h, uint64_t off, uint32_t flags)
{
	struct gmem_info info;
	long long blocks = huge_blocks_free(16);

	if (blocks >= 0 && blocks < 4)
		test_skip("only %lld free 2 MiB blocks after compaction, the test needs 4",
			  blocks);
	h->want = malloc(HUGE_BLOCK);
	ASSERT_TRUE(h->want != NULL);
	memcpy(h->want, block_image(), HUGE_BLOCK);

	h->off = off;
	h->size = off + HVM_MEM;
	h->block = HFILE_BLOCK - off;
	h->fd = gmem_new(h->size, GMEM_CREATE_MMAP | GMEM_CREATE_HUGE | flags);
	ASSERT_OK(gmem_populate(h->fd, HFILE_BLOCK, block_image(), HUGE_BLOCK));
	info = gmem_get_info(h->fd);
	ASSERT_TRUE(info.create_flags & GMEM_CREATE_HUGE);
	ASSERT_EQ(info.allocated, HUGE_BLOCK);
	/* The whole empty block populated at once: one 2 MiB folio. */
	ASSERT_EQ(info.large_folios, 1);

	ASSERT_OK(gmem_populate(h->fd, off, guest_image(), GUEST_MEM_SIZE));
	ASSERT_OK(gmem_convert(h->fd, off + GUEST_STUBS, GUEST_PAGE, GMEM_SHARED));
	h->mem = gmem_map_aligned(h->fd, off, HVM_MEM, HUGE_BLOCK);
}

/*
 * KVM's side, as the e2e suite's, over the two blocks; then the guest
 * runs a first command, so that its code, stack and data pages (block 0,
 * 4 KiB entries) are mapped before a test counts KVM's entries.
 */
static void hvm_kvm(struct hvm *h)
{
	protected_vm_create(&h->vm, h->mem, HVM_MEM, h->fd, h->off);
	ASSERT_EQ(GUEST(&h->vm, CMD_SUM, GUEST_DATA, GUEST_DATA_LEN),
		  image_sum(GUEST_DATA, GUEST_DATA_LEN));
}

static void hvm_setup_flags(struct hvm *h, uint64_t off, uint32_t flags)
{
	/* Before anything is allocated: a stock KVM skips at once. */
	need_protected_vm();
	hvm_gmem(h, off, flags);
	hvm_kvm(h);
}

static void hvm_setup_at(struct hvm *h, uint64_t off)
{
	hvm_setup_flags(h, off, 0);
}

/* The layout of the comment at the top: everything 2 MiB aligned. */
static void hvm_setup(struct hvm *h)
{
	hvm_setup_at(h, HVM_FD_OFF);
}

static void hvm_teardown(struct hvm *h)
{
	vm_destroy(&h->vm);
	munmap(h->mem, HVM_MEM);
	close(h->fd);
	free(h->want);
}

/*
 * The guest reads all of block 1 (its checksum must be right); with KVM's
 * statistics, that must have taken exactly one new 2 MiB entry and no
 * 4 KiB one.  Returns the entries after.
 */
static struct npt hvm_touch_block(struct hvm *h, const char *when)
{
	struct npt n0 = npt_get(h, "before the guest reads block 1"), n1;

	hvm_check_block(h);
	n1 = npt_get(h, when);
	if (n0.ok && n1.ok) {
		ASSERT_EQ(n1.m2, n0.m2 + 1);
		ASSERT_EQ(n1.k4, n0.k4);
	}
	return n1;
}

/* The guest's KVM_HC_MAP_GPA_RANGE of one page, at the memslot's offset
 * in the fd. */
#define HVM_MAP_GPA(h, gpa, attrs)					\
	GUEST_MAP_GPA(&(h)->vm, (h)->fd, (h)->off, (gpa), 1, (attrs))

static void diag_info(int fd, const char *when)
{
	struct gmem_info i = gmem_get_info(fd);

	test_diag("%s: GMEM_INFO allocated %#llx, large_folios %llu, private %#llx, shared %#llx",
		  when, (unsigned long long)i.allocated,
		  (unsigned long long)i.large_folios,
		  (unsigned long long)i.private_bytes,
		  (unsigned long long)i.shared_bytes);
}

static void huge_checksum(void)
{
	unsigned long long refs = gmem_refcnt();
	struct gmem_info info;
	struct hvm h;
	struct npt n;

	hvm_setup(&h);
	info = gmem_get_info(h.fd);
	test_diag("huge fd of %#x bytes, memslot at GPA 0 from fd offset %#x: %llu large folio(s), %#llx bytes allocated",
		  HVM_FD_SIZE, HVM_FD_OFF, (unsigned long long)info.large_folios,
		  (unsigned long long)info.allocated);
	ASSERT_GT(info.large_folios, 0);
	/* Private to the host, whole folio or not; the stub page is shared. */
	EXPECT_TRUE(!host_can_read(h.mem + HBLOCK));
	EXPECT_TRUE(!host_can_read(h.mem + HBLOCK + HUGE_BLOCK - GUEST_PAGE));
	EXPECT_TRUE(!host_can_read(h.mem + GUEST_DATA));
	EXPECT_TRUE(host_can_read(h.mem + GUEST_STUBS));

	/* The guest checksums the block: one 2 MiB entry maps all of it. */
	n = hvm_touch_block(&h, "after the guest read block 1");
	if (n.ok)
		ASSERT_GT(n.m2, 0);
	test_diag("guest checksum of its private 2 MiB block: %#x, as computed by the host",
		  want_sum(&h, HBLOCK, HUGE_BLOCK));

	/* Writes at both ends of the block stay where the guest put them. */
	hvm_write(&h, HBLOCK, 0x4b1e0001);
	hvm_write(&h, HBLOCK + HUGE_BLOCK - 4, 0x4b1e0002);
	ASSERT_EQ(GUEST(&h.vm, CMD_READ, HBLOCK), 0x4b1e0001);
	ASSERT_EQ(GUEST(&h.vm, CMD_READ, HBLOCK + HUGE_BLOCK - 4), 0x4b1e0002);
	hvm_check_block(&h);
	/* Block 0 is mixed: its code still runs from 4 KiB entries. */
	ASSERT_EQ(GUEST(&h.vm, CMD_SUM, GUEST_CODE, GUEST_PAGE),
		  image_sum(GUEST_CODE, GUEST_PAGE));
	n = npt_get(&h, "at the end");
	if (n.ok)
		ASSERT_EQ(n.m2, 1);

	hvm_teardown(&h);
	ASSERT_EQ(gmem_refcnt_wait(refs), refs);
}

static void huge_convert_page(void)
{
	unsigned long long refs = gmem_refcnt();
	uint64_t large_folios;
	uint8_t *page, want[GUEST_PAGE];
	struct npt n0, n1, n2, n3;
	struct hvm h;
	uint32_t v;

	hvm_setup(&h);
	n0 = hvm_touch_block(&h, "block 1 all private");
	large_folios = gmem_get_info(h.fd).large_folios;
	page = h.mem + HCONV_PAGE;

	/* Written while private: the host cannot see it. */
	ASSERT_EQ(GUEST(&h.vm, CMD_FILL, HCONV_PAGE, GUEST_PAGE, 0xc0ffee11), 0);
	EXPECT_TRUE(!host_can_read(page));

	HVM_MAP_GPA(&h, HCONV_PAGE, 0);
	/* The invalidation took the 2 MiB entry with it. */
	n1 = npt_get(&h, "one page of block 1 shared");
	if (n0.ok && n1.ok)
		ASSERT_EQ(n1.m2, n0.m2 - 1);
	/* gmem tracks the page by itself: the folio stays whole. */
	EXPECT_EQ(gmem_get_info(h.fd).large_folios, large_folios);

	/* Shared in place: the host reads what the guest wrote... */
	HOST_SEES_FILL(page, 0xc0ffee11);
	/* ...both sides see each other's writes... */
	v = 0xc0ffee12;
	memcpy(page + 8, &v, 4);
	ASSERT_EQ(GUEST(&h.vm, CMD_READ, HCONV_PAGE + 8), 0xc0ffee12);
	ASSERT_EQ(GUEST(&h.vm, CMD_WRITE, HCONV_PAGE + 12, 0xc0ffee13), 0);
	memcpy(&v, page + 12, 4);
	ASSERT_EQ(v, 0xc0ffee13);
	memcpy(want, page, GUEST_PAGE);
	memcpy(h.want + HCONV_PAGE - HBLOCK, want, GUEST_PAGE);
	/* ...and the rest of the block is private and as it was. */
	EXPECT_TRUE(!host_can_read(page - GUEST_PAGE));
	EXPECT_TRUE(!host_can_read(page + GUEST_PAGE));
	ASSERT_EQ(GUEST(&h.vm, CMD_SUM, HBLOCK, HCONV_PAGE - HBLOCK),
		  want_sum(&h, HBLOCK, HCONV_PAGE - HBLOCK));
	ASSERT_EQ(GUEST(&h.vm, CMD_SUM, HCONV_PAGE + GUEST_PAGE,
			HBLOCK + HUGE_BLOCK - HCONV_PAGE - GUEST_PAGE),
		  want_sum(&h, HCONV_PAGE + GUEST_PAGE,
			   HBLOCK + HUGE_BLOCK - HCONV_PAGE - GUEST_PAGE));
	/* Mixed: KVM maps the block page by page (max_order 0 from gmem). */
	n2 = npt_get(&h, "block 1 mixed, all of it read again");
	if (n1.ok && n2.ok) {
		ASSERT_EQ(n2.m2, n1.m2);
		ASSERT_GE(n2.k4, n1.k4 + HUGE_BLOCK / GUEST_PAGE - 1);
	}

	/* And back to private, contents kept, out of the host's reach. */
	HVM_MAP_GPA(&h, HCONV_PAGE, KVM_MAP_GPA_RANGE_ENCRYPTED);
	EXPECT_TRUE(!host_can_read(page));
	ASSERT_EQ(GUEST(&h.vm, CMD_READ, HCONV_PAGE + 8), 0xc0ffee12);
	ASSERT_EQ(GUEST(&h.vm, CMD_SUM, HCONV_PAGE, GUEST_PAGE),
		  vmm_checksum(want, GUEST_PAGE, HCONV_PAGE));
	hvm_check_block(&h);
	EXPECT_EQ(gmem_get_info(h.fd).large_folios, large_folios);
	/*
	 * All private again: gmem's max_order is 9 again, and the fault on
	 * the page that was shared maps the whole block with one entry.
	 */
	n3 = npt_get(&h, "block 1 all private again, all of it read");
	if (n0.ok && n3.ok)
		ASSERT_EQ(n3.m2, n0.m2);

	hvm_teardown(&h);
	ASSERT_EQ(gmem_refcnt_wait(refs), refs);
}

static void diag_nodes(const uint64_t *nodes, const char *when)
{
	test_diag("%s: fdinfo gmem-node0 %#llx, gmem-node1 %#llx", when,
		  (unsigned long long)nodes[0], (unsigned long long)nodes[1]);
}

static void huge_migrate(void)
{
	unsigned long long refs = gmem_refcnt();
	uint64_t nodes[MAX_NODES], moved;
	struct gmem_info info0, info;
	uint32_t sum, code_sum, v;
	struct hvm h;
	struct npt n;

	numa_need_two();
	hvm_setup(&h);
	hvm_touch_block(&h, "before any migration");
	hvm_write(&h, HBLOCK + 0x40, 0x3e6a0001);
	hvm_write(&h, HBLOCK + 0x1ff000, 0x3e6a0002);
	ASSERT_EQ(GUEST(&h.vm, CMD_WRITE, GUEST_DATA + 0x40, 0x3e6a0003), 0);
	sum = GUEST(&h.vm, CMD_SUM, HBLOCK, HUGE_BLOCK);
	ASSERT_EQ(sum, want_sum(&h, HBLOCK, HUGE_BLOCK));
	code_sum = GUEST(&h.vm, CMD_SUM, GUEST_CODE, GUEST_DATA + GUEST_DATA_LEN - GUEST_CODE);

	info0 = gmem_get_info(h.fd);
	gmem_node_bytes(h.fd, nodes, MAX_NODES);
	diag_nodes(nodes, "before");
	ASSERT_EQ(nodes[0] + nodes[1], info0.allocated);

	/* To node 1, then back to node 0: the second move is of everything. */
	for (int pass = 0; pass < 2; pass++) {
		uint32_t node = pass ? 0 : 1;
		uint64_t expect = info0.allocated - nodes[node];
		char when[64];

		ASSERT_OK(gmem_migrate(h.fd, 0, h.size, node, &moved));
		gmem_node_bytes(h.fd, nodes, MAX_NODES);
		snprintf(when, sizeof(when), "GMEM_MIGRATE to node %u moved %#llx",
			 node, (unsigned long long)moved);
		diag_nodes(nodes, when);
		ASSERT_EQ(moved, expect);
		if (pass)
			ASSERT_EQ(moved, info0.allocated);
		ASSERT_EQ(nodes[node], info0.allocated);
		ASSERT_EQ(nodes[!node], 0);
		/* Folios move whole: same sizes, same states. */
		info = gmem_get_info(h.fd);
		ASSERT_EQ(info.allocated, info0.allocated);
		ASSERT_EQ(info.large_folios, info0.large_folios);
		ASSERT_EQ(info.private_bytes, info0.private_bytes);
		/* KVM was told to let go of the old pages... */
		n = npt_get(&h, "after the migration");
		if (n.ok)
			ASSERT_EQ(n.m2, 0);

		/* ...and the guest runs on the new ones, its data unchanged. */
		ASSERT_EQ(GUEST(&h.vm, CMD_SUM, GUEST_CODE,
				GUEST_DATA + GUEST_DATA_LEN - GUEST_CODE), code_sum);
		ASSERT_EQ(GUEST(&h.vm, CMD_READ, HBLOCK + 0x40), 0x3e6a0001);
		ASSERT_EQ(GUEST(&h.vm, CMD_SUM, HBLOCK, HUGE_BLOCK), sum);
		n = npt_get(&h, "the guest read block 1 again");
		if (n.ok)
			ASSERT_EQ(n.m2, 1);
		/* The host's mapping of the shared stub page faults the new page in. */
		ASSERT_EQ(memcmp(h.mem + GUEST_STUBS, guest_image() + GUEST_STUBS,
				 GUEST_PAGE), 0);
	}
	test_diag("guest checksum of its private block after both migrations: %#x, unchanged",
		  sum);

	/*
	 * Once more with a page of the block shared and mapped by both the
	 * VMM and KVM (through the VMM's mapping): the move zaps the VMM's
	 * mapping, which takes KVM's with it (MMU notifier), and both fault
	 * the new page in.  A stale mapping on either side would split the
	 * page in two.
	 */
	HVM_MAP_GPA(&h, HCONV_PAGE, 0);
	v = 0x3e6a0004;
	memcpy(h.mem + HCONV_PAGE + 16, &v, 4);
	memcpy(h.want + HCONV_PAGE - HBLOCK + 16, &v, 4);
	ASSERT_EQ(GUEST(&h.vm, CMD_READ, HCONV_PAGE + 16), 0x3e6a0004);
	ASSERT_OK(gmem_migrate(h.fd, 0, h.size, 1, &moved));
	gmem_node_bytes(h.fd, nodes, MAX_NODES);
	diag_nodes(nodes, "a page shared, everything moved to node 1");
	ASSERT_EQ(moved, info0.allocated);
	ASSERT_EQ(nodes[1], info0.allocated);
	ASSERT_EQ(GUEST(&h.vm, CMD_READ, HCONV_PAGE + 16), 0x3e6a0004);
	hvm_write(&h, HCONV_PAGE + 20, 0x3e6a0005);
	memcpy(&v, h.mem + HCONV_PAGE + 20, 4);
	ASSERT_EQ(v, 0x3e6a0005);
	ASSERT_EQ(memcmp(h.mem + HCONV_PAGE, h.want + HCONV_PAGE - HBLOCK,
			 GUEST_PAGE), 0);
	HVM_MAP_GPA(&h, HCONV_PAGE, KVM_MAP_GPA_RANGE_ENCRYPTED);
	hvm_check_block(&h);
	EXPECT_EQ(gmem_get_info(h.fd).large_folios, info0.large_folios);

	hvm_teardown(&h);
	ASSERT_EQ(gmem_refcnt_wait(refs), refs);
}

static void huge_punch_page(void)
{
	unsigned long long refs = gmem_refcnt();
	struct gmem_info info0, info;
	struct npt n0, n;
	struct hvm h;
	bool split;

	hvm_setup(&h);
	n0 = hvm_touch_block(&h, "block 1 all private");
	/* The guest changes the page and both its neighbours. */
	hvm_write(&h, HPUNCH_PAGE + 4, 0x7e57ab01);
	hvm_write(&h, HPUNCH_PAGE - 4, 0x7e57ab02);
	hvm_write(&h, HPUNCH_PAGE + GUEST_PAGE, 0x7e57ab03);
	ASSERT_EQ(GUEST(&h.vm, CMD_READ, HPUNCH_PAGE + 4), 0x7e57ab01);
	diag_info(h.fd, "before the punch");
	info0 = gmem_get_info(h.fd);

	ASSERT_OK(gmem_punch(h.fd, h.off + HPUNCH_PAGE, GUEST_PAGE));
	memset(h.want + HPUNCH_PAGE - HBLOCK, 0, GUEST_PAGE);
	diag_info(h.fd, "after the punch");
	/*
	 * The kernel either splits the folio and frees the page (a hole
	 * then, refilled by a new 4 KiB page), or, if it cannot split it,
	 * zeroes the page inside the whole folio.  Linux 6.12 splits into
	 * 512 pages; 7.2 splits around the page into folios of orders 8 down
	 * to 0, so large_folios can grow.
	 */
	info = gmem_get_info(h.fd);
	split = info.allocated != info0.allocated;
	test_diag("the 2 MiB folio was %s: large_folios %llu -> %llu", split ?
		  "split, the page freed" : "kept whole, the page zeroed in it",
		  (unsigned long long)info0.large_folios,
		  (unsigned long long)info.large_folios);
	if (split)
		ASSERT_EQ(info.allocated, info0.allocated - GUEST_PAGE);
	else
		ASSERT_EQ(info.large_folios, info0.large_folios);
	/* KVM's 2 MiB entry went with the punched page. */
	n = npt_get(&h, "after the punch");
	if (n0.ok && n.ok)
		ASSERT_EQ(n.m2, n0.m2 - 1);

	/* The guest's next read of the page sees zeroes... */
	ASSERT_EQ(GUEST(&h.vm, CMD_READ, HPUNCH_PAGE + 4), 0);
	ASSERT_EQ(GUEST(&h.vm, CMD_SUM, HPUNCH_PAGE, GUEST_PAGE),
		  zero_sum(HPUNCH_PAGE, GUEST_PAGE));
	/* ...its neighbours keep the guest's writes, the block the rest. */
	ASSERT_EQ(GUEST(&h.vm, CMD_READ, HPUNCH_PAGE - 4), 0x7e57ab02);
	ASSERT_EQ(GUEST(&h.vm, CMD_READ, HPUNCH_PAGE + GUEST_PAGE), 0x7e57ab03);
	hvm_check_block(&h);
	EXPECT_TRUE(!host_can_read(h.mem + HPUNCH_PAGE));
	diag_info(h.fd, "after the guest read block 1 again");
	ASSERT_EQ(gmem_get_info(h.fd).allocated, info0.allocated);
	/*
	 * KVM maps what gmem's max_order allows: the whole block again if
	 * the folio is whole, else page by page (small folios, order 0).
	 */
	n = npt_get(&h, "after the guest read block 1 again");
	if (n0.ok && n.ok) {
		if (split) {
			ASSERT_EQ(n.m2, n0.m2 - 1);
			ASSERT_GE(n.k4, n0.k4 + HUGE_BLOCK / GUEST_PAGE);
		} else {
			ASSERT_EQ(n.m2, n0.m2);
		}
	}
	/* And the page works as any other. */
	hvm_write(&h, HPUNCH_PAGE + 8, 0x7e57ab04);
	hvm_check_block(&h);
	/*
	 * Punched again and new contents populated from the host before the
	 * guest looks: it reads those, through a new mapping of the page; a
	 * stale one would show the page the punch freed.
	 */
	ASSERT_OK(gmem_punch(h.fd, h.off + HPUNCH_PAGE, GUEST_PAGE));
	hvm_refill(&h, HPUNCH_PAGE, GUEST_PAGE, REFILL_TAG);
	ASSERT_EQ(GUEST(&h.vm, CMD_READ, HPUNCH_PAGE), REFILL_TAG);
	hvm_check_block(&h);

	/*
	 * The whole block punched: the guest's next touch finds it empty,
	 * so gmem allocates one 2 MiB folio again and KVM maps it whole.
	 */
	ASSERT_OK(gmem_punch(h.fd, h.off + HBLOCK, HUGE_BLOCK));
	memset(h.want, 0, HUGE_BLOCK);
	ASSERT_EQ(gmem_get_info(h.fd).allocated, info0.allocated - HUGE_BLOCK);
	n0 = npt_get(&h, "the whole block punched");
	ASSERT_EQ(GUEST(&h.vm, CMD_SUM, HBLOCK, HUGE_BLOCK),
		  zero_sum(HBLOCK, HUGE_BLOCK));
	info = gmem_get_info(h.fd);
	diag_info(h.fd, "the whole block punched and read");
	ASSERT_EQ(info.allocated, info0.allocated);
	ASSERT_EQ(info.large_folios, info0.large_folios);
	n = npt_get(&h, "the whole block punched and read");
	if (n0.ok && n.ok) {
		ASSERT_EQ(n.m2, n0.m2 + 1);
		ASSERT_EQ(n.k4, n0.k4);
	}
	hvm_write(&h, HPUNCH_PAGE, 0x7e57ab05);
	hvm_check_block(&h);
	/* The whole block punched again, new contents populated: read whole. */
	ASSERT_OK(gmem_punch(h.fd, h.off + HBLOCK, HUGE_BLOCK));
	hvm_refill(&h, HBLOCK, HUGE_BLOCK, REFILL_TAG + 1);
	hvm_check_block(&h);
	diag_info(h.fd, "the whole block punched, populated anew and read");

	hvm_teardown(&h);
	ASSERT_EQ(gmem_refcnt_wait(refs), refs);
}

/*
 * Memory failure of one page of the 2 MiB folio while KVM maps it with one
 * 2 MiB entry: memory_failure() splits the folio before it hands the page
 * to gmem, which records that one page as lost and tells KVM, which zaps
 * the 2 MiB entry.  The guest's next read of the page must end in a memory
 * fault exit for it, and nothing else of the block may be lost.
 */
static void huge_poison_page(void)
{
	unsigned long long refs = gmem_refcnt();
	struct gmem_info info0, info;
	unsigned long pfn;
	struct vexit x;
	struct hvm h;
	struct npt n;
	int order;

	hwpoison_need();
	need_protected_vm();
	hvm_gmem(&h, HVM_FD_OFF, 0);
	pfn = private_pfn(h.fd, h.off + HPOISON_PAGE, &order);
	ASSERT_EQ(order, 9);
	hvm_kvm(&h);
	hvm_touch_block(&h, "block 1 all private");
	info0 = gmem_get_info(h.fd);

	test_diag("poisoning pfn %#lx, guest page %#x of the 2 MiB folio", pfn,
		  HPOISON_PAGE);
	hwpoison_pfn(pfn);
	diag_info(h.fd, "after memory failure");
	info = gmem_get_info(h.fd);
	test_diag("GMEM_INFO poisoned %#llx", (unsigned long long)info.poisoned);
	n = npt_get(&h, "after memory failure");
	if (n.ok)
		EXPECT_EQ(n.m2, 0);

	/* The next access to the page stops at a memory fault exit. */
	GUEST_POISON_EXIT(&h.vm, &x, HPOISON_PAGE);
	/* Only that page is lost. */
	ASSERT_EQ(info.poisoned, GUEST_PAGE);
	ASSERT_EQ(info.allocated, info0.allocated - GUEST_PAGE);

	/* Punched, it reads as a new zeroed page, and the rest is intact. */
	ASSERT_OK(gmem_punch(h.fd, h.off + HPOISON_PAGE, GUEST_PAGE));
	ASSERT_EQ(GUEST_DONE(&h.vm), 0);
	memset(h.want + HPOISON_PAGE - HBLOCK, 0, GUEST_PAGE);
	hvm_check_block(&h);
	EXPECT_EQ(gmem_get_info(h.fd).poisoned, 0);
	diag_info(h.fd, "punched and read again");
	npt_get(&h, "punched and read again");

	hvm_teardown(&h);
	ASSERT_EQ(gmem_refcnt_wait(refs), refs);
}

/*
 * The memslot one page further into the fd than the aligned layout: the
 * guest's 2 MiB block at 2 MiB - 4 KiB is the fd's folio at 4 MiB, and
 * KVM's own 2 MiB frames (GPA 2 MiB, VMM mapping alike) straddle two of
 * gmem's.  gmem still reports the folio's max_order 9; KVM's side must
 * clamp it (gfn and file index are not equally aligned) and map page by
 * page: a 2 MiB entry here would map a whole frame of the wrong pages.
 */
static void huge_unaligned_offset(void)
{
	unsigned long long refs = gmem_refcnt();
	struct gmem_info info;
	struct npt n0, n1;
	struct hvm h;

	hvm_setup_at(&h, HVM_FD_OFF + GUEST_PAGE);
	info = gmem_get_info(h.fd);
	test_diag("memslot at GPA 0 from fd offset %#llx: the fd's 2 MiB folio at %#x is GPA %#x",
		  (unsigned long long)h.off, HFILE_BLOCK, h.block);
	ASSERT_GT(info.large_folios, 0);

	n0 = npt_get(&h, "before the guest reads the folio");
	hvm_check_block(&h);
	n1 = npt_get(&h, "after the guest read the folio");
	if (n0.ok && n1.ok) {
		ASSERT_EQ(n1.m2, n0.m2);
		ASSERT_GE(n1.k4, n0.k4 + HUGE_BLOCK / GUEST_PAGE);
	}
	/* Its first and last pages, and the pages either side. */
	hvm_write(&h, h.block, 0x0ff5e701);
	hvm_write(&h, h.block + HUGE_BLOCK - 4, 0x0ff5e702);
	ASSERT_EQ(GUEST(&h.vm, CMD_READ, h.block), 0x0ff5e701);
	ASSERT_EQ(GUEST(&h.vm, CMD_READ, h.block + HUGE_BLOCK - 4), 0x0ff5e702);
	ASSERT_EQ(GUEST(&h.vm, CMD_READ, h.block - 4), 0);
	ASSERT_EQ(GUEST(&h.vm, CMD_READ, h.block + HUGE_BLOCK), 0);
	hvm_check_block(&h);
	ASSERT_EQ(GUEST(&h.vm, CMD_SUM, GUEST_DATA, GUEST_DATA_LEN),
		  image_sum(GUEST_DATA, GUEST_DATA_LEN));

	hvm_teardown(&h);
	ASSERT_EQ(gmem_refcnt_wait(refs), refs);
}

/* The pages of block 1 GMEM_DIRTY_LOG reports, taking them. */
static unsigned int hvm_dirty_block(struct hvm *h, const char *when)
{
	uint64_t bits[HUGE_BLOCK / GUEST_PAGE / 64];
	unsigned int n = 0;
	int r;

	r = gmem_dirty_log(h->fd, HFILE_BLOCK, HUGE_BLOCK, bits, true);
	if (r < 0)
		FAIL("GMEM_DIRTY_LOG %s: %s", when, errno_name(-r));
	for (unsigned int i = 0; i < ARRAY_SIZE(bits); i++)
		n += __builtin_popcountll(bits[i]);
	ASSERT_EQ(n, (unsigned int)r);
	test_diag("%s: %u page(s) of block 1 written", when, n);
	return n;
}

/*
 * A GMEM_CREATE_DIRTY_LOG huge fd: the guest's reads of block 1 map it
 * with one read-only 2 MiB entry and log nothing; its write faults on
 * that entry, resolves for writing and is logged as the whole block,
 * which stays one 2 MiB entry.  After each clear the same again.
 */
static void huge_dirty_log(void)
{
	unsigned long long refs = gmem_refcnt();
	struct npt n0, n1;
	struct hvm h;

	hvm_setup_flags(&h, HVM_FD_OFF, GMEM_CREATE_DIRTY_LOG);
	/* GMEM_POPULATE wrote all of it */
	ASSERT_EQ(hvm_dirty_block(&h, "after GMEM_POPULATE"),
		  HUGE_BLOCK / GUEST_PAGE);

	n0 = hvm_touch_block(&h, "after the guest read block 1");
	ASSERT_EQ(hvm_dirty_block(&h, "after the guest read it"), 0);

	for (unsigned int round = 0; round < 3; round++) {
		hvm_write(&h, h.block + 0x1000 * (round * 100 + 3) + 8,
			  0xd1e7b000 + round);
		n1 = npt_get(&h, "after the write");
		if (n0.ok && n1.ok) {
			/* the same one 2 MiB entry, now writable */
			EXPECT_EQ(n1.m2, n0.m2);
			EXPECT_EQ(n1.k4, n0.k4);
		}
		ASSERT_EQ(hvm_dirty_block(&h, "after a write"),
			  HUGE_BLOCK / GUEST_PAGE);
		/* a read after the clear logs nothing */
		hvm_check_block(&h);
		ASSERT_EQ(hvm_dirty_block(&h, "after a read"), 0);
	}

	hvm_teardown(&h);
	ASSERT_EQ(gmem_refcnt_wait(refs), refs);
}

static const struct test huge_tests[] = {
	TEST("a GMEM_CREATE_HUGE fd, 2 MiB aligned: the guest checksums a private 2 MiB folio mapped by one 2 MiB entry",
	     huge_checksum, .timeout = 120),
	TEST("one 4 KiB page of a private 2 MiB block to shared and back under the guest: contents kept, the host reads them",
	     huge_convert_page, .timeout = 120),
	TEST("GMEM_MIGRATE of the guest's memory to the other node and back between guest runs: checksum unchanged",
	     huge_migrate, .timeout = 120),
	TEST("punch-hole of one 4 KiB page of a private 2 MiB block: it reads zeroes or the contents populated after, its neighbours keep theirs",
	     huge_punch_page, .timeout = 120),
	TEST("a poisoned 4 KiB page of a private 2 MiB block: memory fault exit for it alone, the rest of the block intact",
	     huge_poison_page, .timeout = 120, .kmsg_allow = "emory failure"),
	TEST("a memslot whose fd offset is 4 KiB off 2 MiB alignment: the 2 MiB folio is mapped page by page, each the right one",
	     huge_unaligned_offset, .timeout = 120),
	TEST("a GMEM_CREATE_DIRTY_LOG huge fd: guest reads of a private 2 MiB block log nothing, a write logs the block, which stays one 2 MiB entry",
	     huge_dirty_log, .timeout = 120),
};
DEFINE_SUITE(e2e_huge_suite, "e2e-huge", huge_tests);
