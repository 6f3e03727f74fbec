// SPDX-License-Identifier: GPL-2.0
/*
 * gmem-bench's guest part: what a VMM's guest feels of its memory.  A
 * nested guest (tests/vmm/guest.S, the test VMM's little interpreter) on
 * the patched KVM touches and then reads BENCH_GUEST_MB of private memory
 * from each of
 *
 *   gmem               a gmem fd, 4 KiB folios
 *   gmem-huge          a GMEM_CREATE_HUGE gmem fd, 2 MiB folios
 *   gmem, logged       the same with GMEM_CREATE_DIRTY_LOG: KVM maps a
 *   gmem-huge, logged  page writable only on a write fault
 *   guest_memfd        KVM's own guest_memfd of the same VM type
 *
 * in one boot, each repetition a new VM and a new fd of each, back to
 * back.  The VM is a KVM_X86_SW_PROTECTED_VM with one memslot:
 *
 *   GPA 0 .. 2 MiB            shared: the guest's code, stack and stubs,
 *                             anonymous memory of this process
 *   GPA 2 MiB .. 2 MiB + size private: the measured memory, the fd's
 *                             same range (fd, GPA and the VMM's
 *                             mapping all 2 MiB aligned, so that KVM
 *                             may map a 2 MiB folio with one entry)
 *
 * Three passes over the measured memory, each one guest command, timed
 * from the VMM and counted in vCPU exits (KVM's "exits" statistic: every
 * exit to KVM, the nested page faults it handles itself included):
 *
 *   first touch   a word stored in each 4 KiB page: every page faulted in,
 *                 allocated and zeroed by the backend, mapped by KVM
 *   re-read       every word summed: what reading memory costs once it
 *                 is all mapped
 *   page walk     one word of each 4 KiB page summed: a TLB miss per
 *                 word, so the size of KVM's mappings (pages_4k and
 *                 pages_2m, read after the first touch) shows most here
 *   rewrite       a word stored in each page again; on a logged fd after
 *                 a GMEM_DIRTY_LOG get-and-clear of the memory (timed
 *                 too), which has KVM drop its mappings, so every page
 *                 (or 2 MiB block) faults once more: what a VMM's
 *                 migration round costs the guest
 *
 * The sums are checked against what the first touch stored, and a
 * logged fd's clears report every page the passes before them wrote.  Needs the
 * patched KVM (scripts/kvm): a stock KVM refuses a gmem fd in a memslot,
 * and the gmem backends are then reported unavailable with the reason.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/gmem.h>

#include "bench.h"
#include "guest.h"
#include "gvm.h"

#define TOUCH_VALUE	0x600dcafeu

const char *const guest_backend_name[NR_GUEST_BACKENDS] = {
	[GB_GMEM]		= "gmem",
	[GB_GMEM_HUGE]		= "gmem-huge",
	[GB_GMEM_LOG]		= "gmem, logged",
	[GB_GMEM_HUGE_LOG]	= "gmem-huge, logged",
	[GB_GUEST_MEMFD]	= "guest_memfd",
};

static const char *why_not[NR_GUEST_BACKENDS];

void gvm_destroy(struct gvm *g)
{
	vm_destroy(&g->vm);
	if (g->fd >= 0)
		close(g->fd);
	if (g->map)
		munmap(g->map, g->map_len);
	g->fd = -1;
	g->map = NULL;
}

static int gmem_to_shared(int fd, uint64_t off, uint64_t len)
{
	struct gmem_convert c = { .offset = off, .length = len,
				  .to = GMEM_SHARED };

	return ioctl(fd, GMEM_CONVERT, &c) ? -errno : 0;
}

/* The GMEM_CREATE_* flags of @gb's fd. */
static unsigned int gb_flags(enum guest_backend gb)
{
	unsigned int huge = gb == GB_GMEM_HUGE || gb == GB_GMEM_HUGE_LOG;
	unsigned int log = gb == GB_GMEM_LOG || gb == GB_GMEM_HUGE_LOG;

	return (huge ? GMEM_CREATE_HUGE : 0) | (log ? GMEM_CREATE_DIRTY_LOG : 0);
}

int gvm_create(struct gvm *g, enum guest_backend gb, uint64_t size,
	       const char **step)
{
	uint64_t len = GUEST_BASE + size;
	int r;

	memset(g, 0, sizeof(*g));
	g->fd = -1;
	g->vm.kvm = g->vm.fd = g->vm.vcpu = g->vm.stats = -1;
	g->size = size;

	/* The slot's whole range, untouched beyond the first block. */
	*step = "mmap";
	g->map_len = len + HUGE;
	g->map = mmap(NULL, g->map_len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (g->map == MAP_FAILED) {
		g->map = NULL;
		return -errno;
	}
	g->shared = (uint8_t *)(((uintptr_t)g->map + HUGE - 1) & ~(HUGE - 1));
	memcpy(g->shared + GUEST_CODE, guest_blob, GUEST_BLOB_LEN);

	*step = "KVM_CREATE_VM (KVM_X86_SW_PROTECTED_VM)";
	r = vm_create(&g->vm, KVM_X86_SW_PROTECTED_VM);
	if (r)
		goto fail;

	switch (gb) {
	case GB_GMEM:
	case GB_GMEM_HUGE:
	case GB_GMEM_LOG:
	case GB_GMEM_HUGE_LOG:
		/* backends.c's: dies on failure, as it does for every part. */
		g->fd = gmem_create(len, gb_flags(gb));
		/* gmem's own state is KVM's: the first block shared. */
		*step = "GMEM_CONVERT of the first 2 MiB to shared";
		r = gmem_to_shared(g->fd, 0, GUEST_BASE);
		if (r)
			goto fail;
		*step = "KVM_SET_USER_MEMORY_REGION2 with the gmem fd";
		r = vm_set_region2(&g->vm, g->shared, len, g->fd, 0);
		if (r)
			goto fail;
		break;
	default:
		*step = "KVM_CREATE_GUEST_MEMFD";
		g->fd = vm_create_guest_memfd(&g->vm, len);
		if (g->fd < 0) {
			r = g->fd;
			goto fail;
		}
		*step = "KVM_SET_USER_MEMORY_REGION2 with the guest_memfd";
		r = vm_set_region2(&g->vm, g->shared, len, g->fd, 0);
		if (r)
			goto fail;
		*step = "KVM_SET_MEMORY_ATTRIBUTES (private)";
		r = vm_set_private(&g->vm, GUEST_BASE, size, true);
		if (r)
			goto fail;
		break;
	}
	*step = "KVM_CREATE_VCPU";
	r = vm_add_vcpu(&g->vm);
	if (r)
		goto fail;
	return 0;
fail:
	gvm_destroy(g);
	return r;
}

void guest_probe(void)
{
	static char why[NR_GUEST_BACKENDS][160];
	const char *step;
	struct gvm g;
	int gb, r;

	if (!vm_type_supported(KVM_X86_SW_PROTECTED_VM)) {
		for (gb = 0; gb < NR_GUEST_BACKENDS; gb++)
			why_not[gb] = "KVM offers no KVM_X86_SW_PROTECTED_VM";
		return;
	}
	for (gb = 0; gb < NR_GUEST_BACKENDS; gb++) {
		if (gb != GB_GUEST_MEMFD && backend_unavailable(BE_GMEM)) {
			why_not[gb] = backend_unavailable(BE_GMEM);
			continue;
		}
		r = gvm_create(&g, gb, HUGE, &step);
		if (!r) {
			gvm_destroy(&g);
			continue;
		}
		snprintf(why[gb], sizeof(why[gb]), "%s: %s%s", step,
			 strerror(-r), r == -EINVAL && gb != GB_GUEST_MEMFD ?
			 " (a KVM without the gmem series refuses a gmem fd)" :
			 "");
		why_not[gb] = why[gb];
	}
}

const char *guest_unavailable(enum guest_backend gb)
{
	return why_not[gb];
}

uint64_t gvm_exits(struct gvm *g)
{
	uint64_t n = 0;

	if (vcpu_stat(&g->vm, "exits", &n))
		return 0;
	return n;
}

uint32_t gvm_cmd(struct gvm *g, const char *name, uint32_t cmd,
		 const uint32_t *args, unsigned int nargs)
{
	struct vexit x;
	uint32_t res;

	if (!guest_cmd(&g->vm, cmd, args, nargs, &res, &x))
		die("%s: guest command %u: %s", name, cmd, vexit_str(&x));
	if (res == RESULT_BAD_CMD)
		die("%s: the guest does not know command %u", name, cmd);
	return res;
}

/* A pass of @cmd, timed and counted in exits under @bench / @exits_bench. */
static uint32_t pass(struct gvm *g, const char *name, const char *bench,
		     const char *exits_bench, uint32_t cmd,
		     const uint32_t *args, unsigned int nargs)
{
	uint64_t e0 = gvm_exits(g), t = now_ns();
	uint32_t res = gvm_cmd(g, name, cmd, args, nargs);

	t = now_ns() - t;
	record(bench, name, "s", t / 1e9);
	record(exits_bench, name, "exits", (double)(gvm_exits(g) - e0));
	return res;
}

/*
 * GMEM_DIRTY_LOG with GMEM_DIRTY_LOG_CLEAR over the measured memory: it
 * must report @want pages.
 */
static void log_take(struct gvm *g, const char *name, uint64_t want)
{
	uint64_t *bitmap = malloc(g->size / PAGE / 8);
	struct gmem_dirty_log log = {
		.offset = GUEST_BASE, .length = g->size,
		.bitmap = (uintptr_t)bitmap, .flags = GMEM_DIRTY_LOG_CLEAR,
	};

	if (!bitmap)
		die("%s: no memory for the dirty bitmap", name);
	if (ioctl(g->fd, GMEM_DIRTY_LOG, &log))
		die("%s: GMEM_DIRTY_LOG: %s", name, strerror(errno));
	free(bitmap);
	if (log.nr_dirty != want)
		die("%s: GMEM_DIRTY_LOG reports %llu pages written, not %llu",
		    name, (unsigned long long)log.nr_dirty,
		    (unsigned long long)want);
}

void bench_guest(enum guest_backend gb, uint64_t size, bool first)
{
	const char *name = guest_backend_name[gb], *step;
	uint32_t base = GUEST_BASE, len = size, pages = size / PAGE, want, sum;
	uint64_t k4 = 0, m2 = 0;
	struct gvm g;
	int r;

	r = gvm_create(&g, gb, size, &step);
	if (r)
		die("%s: %s: %s", name, step, strerror(-r));
	/* The interpreter's own pages mapped before anything is counted. */
	gvm_cmd(&g, name, CMD_READ, (const uint32_t[]){ GUEST_DATA }, 1);

	pass(&g, name, B_GUEST_TOUCH, B_GUEST_TOUCH_EXITS, CMD_TOUCH,
	     (const uint32_t[]){ base, len, PAGE, TOUCH_VALUE }, 4);
	if (!vm_stat(&g.vm, "pages_4k", &k4) && !vm_stat(&g.vm, "pages_2m", &m2)) {
		record(B_GUEST_PAGES_4K, name, "pages", k4);
		record(B_GUEST_PAGES_2M, name, "pages", m2);
	} else if (first) {
		info("guest, %s: KVM has no pages_4k/pages_2m statistics", name);
	}

	/* Only the first word of each page is not zero. */
	want = TOUCH_VALUE * pages;
	sum = pass(&g, name, B_GUEST_READ, B_GUEST_READ_EXITS, CMD_ADD,
		   (const uint32_t[]){ base, len, 4 }, 3);
	if (sum != want)
		die("%s: the guest's re-read summed to %#x, not %#x", name, sum,
		    want);
	sum = pass(&g, name, B_GUEST_WALK, B_GUEST_WALK_EXITS, CMD_ADD,
		   (const uint32_t[]){ base, len, PAGE }, 3);
	if (sum != want)
		die("%s: the guest's page walk summed to %#x, not %#x", name,
		    sum, want);

	if (gb_flags(gb) & GMEM_CREATE_DIRTY_LOG) {
		uint64_t t = now_ns();

		/* the first touch wrote every page */
		log_take(&g, name, pages);
		record(B_GUEST_CLEAR, name, "s", (now_ns() - t) / 1e9);
	}
	pass(&g, name, B_GUEST_REWRITE, B_GUEST_REWRITE_EXITS, CMD_TOUCH,
	     (const uint32_t[]){ base, len, PAGE, TOUCH_VALUE + 1 }, 4);
	if (gb_flags(gb) & GMEM_CREATE_DIRTY_LOG)
		log_take(&g, name, pages);

	if (first && gb_flags(gb) & GMEM_CREATE_HUGE)
		info("guest, %s: %llu of %llu 2 MiB blocks in large folios after the first touch",
		     name, (unsigned long long)gmem_info(g.fd).large_folios,
		     (unsigned long long)((GUEST_BASE + size) / HUGE));
	gvm_destroy(&g);
}
