// SPDX-License-Identifier: GPL-2.0
/*
 * GMEM_CREATE_HUGE: a 2 MiB-aligned block allocated whole is one 2 MiB
 * folio (GMEM_INFO large_folios), anything else 4 KiB folios; a fault on a
 * shared mapping maps the whole block at once; a folio mixing shared and
 * private pages keeps each page's rules (SIGBUS on the private one, the
 * shared ones readable); punch, conversion, GMEM_CONVERT_ZERO and populate
 * act on exactly their pages inside a large folio; the "huge" module
 * parameter makes every new fd huge; a consumer's max_order is 9 where a
 * private 2 MiB folio lies whole in an aligned binding; and allocation
 * falls back to small folios when memory is too fragmented for large ones.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "check.h"
#include "ct.h"
#include "fault.h"
#include "gmemfd.h"
#include "sys.h"

#define HUGE		GMEM_HUGE_SIZE
#define HUGE_PAGES	GMEM_HUGE_PAGES
#define PUNCH		(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE)
#define MMAP_SHARED_FD	(GMEM_CREATE_MMAP | GMEM_CREATE_SHARED)
#define HUGE_MMAP	(GMEM_CREATE_HUGE | MMAP_SHARED_FD)

/* A fault that maps a whole block costs one; a few spare for noise. */
#define FEW_FAULTS	4

/* ---- helpers ---- */

/* The first page of [0, @n) at which @a and @b differ, or -1. */
static long long page_diff(const unsigned char *a, const unsigned char *b,
			   size_t n)
{
	long pg = page_size();

	for (size_t i = 0; i < n; i++)
		if (memcmp(a + i * pg, b + i * pg, pg))
			return i;
	return -1;
}

/*
 * The large folios among @npages pages mapped at @a, by the kernel's own
 * page flags (pagemap, kpageflags), not gmem's count: each is read through
 * the mapping, but for page @skip, whose frame is @skip_pfn (0: a hole,
 * left out).
 */
static uint64_t heads_in(const unsigned char *a, uint64_t npages,
			 uint64_t skip, uint64_t skip_pfn)
{
	uint64_t n = 0, pfn;

	for (uint64_t i = 0; i < npages; i++) {
		if (i != skip) {
			/* a split may have left it unmapped: fault it in */
			(void)*(const volatile unsigned char *)(a + i * page_size());
			pfn = pagemap_pfn(a + i * page_size());
		} else {
			pfn = skip_pfn;
		}
		if (pfn)
			n += pfn_is_folio_head(pfn);
	}
	return n;
}

/* GMEM_INFO's allocated and large_folios, checked against fdinfo too. */
static void folios_are_at(const char *file, int line, int fd,
			  uint64_t allocated, uint64_t large)
{
	struct gmem_info info = gmem_info(fd), fdi = gmem_fdinfo(fd);

	if (info.allocated != allocated || info.large_folios != large)
		test_fail_at(file, line,
			     "GMEM_INFO: allocated %#llx, large_folios %llu; expected %#llx, %llu",
			     (unsigned long long)info.allocated,
			     (unsigned long long)info.large_folios,
			     (unsigned long long)allocated,
			     (unsigned long long)large);
	if (fdi.allocated != info.allocated ||
	    fdi.large_folios != info.large_folios)
		test_fail_at(file, line,
			     "fdinfo: allocated %#llx, large folios %llu; GMEM_INFO %#llx, %llu",
			     (unsigned long long)fdi.allocated,
			     (unsigned long long)fdi.large_folios,
			     (unsigned long long)info.allocated,
			     (unsigned long long)info.large_folios);
	if (info.allocated_private + info.allocated_shared != info.allocated)
		test_fail_at(file, line,
			     "GMEM_INFO: allocated_private %#llx + allocated_shared %#llx != allocated %#llx",
			     (unsigned long long)info.allocated_private,
			     (unsigned long long)info.allocated_shared,
			     (unsigned long long)info.allocated);
	if ((uint64_t)gmem_blocks(fd) * 512 != info.allocated)
		test_fail_at(file, line, "st_blocks %lld for %#llx allocated",
			     gmem_blocks(fd),
			     (unsigned long long)info.allocated);
}

#define FOLIOS_ARE(fd, allocated, large)				\
	folios_are_at(__FILE__, __LINE__, fd, allocated, large)

static long minflt(void)
{
	struct rusage ru;

	ASSERT_SYS(getrusage(RUSAGE_SELF, &ru));
	return ru.ru_minflt;
}

/* A field ("FilePmdMapped") of the smaps entry holding @addr, in kB; -1. */
static long long smaps_kb(const void *addr, const char *field)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	size_t n = strlen(field);
	long long val = -1;
	bool inside = false;
	char line[512];

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			inside = lo <= (uintptr_t)addr && (uintptr_t)addr < hi;
			continue;
		}
		if (inside && !strncmp(line, field, n) && line[n] == ':') {
			sscanf(line + n + 1, "%lld", &val);
			break;
		}
	}
	fclose(f);
	return val;
}

/* ---- tests ---- */

static void fallocate_folios(void)
{
	long pg = page_size();
	int fd, small;

	gmem_need_huge_blocks(8);
	fd = gmem_new_flags(4 * HUGE, GMEM_CREATE_HUGE);
	EXPECT_EQ(gmem_info(fd).create_flags, GMEM_CREATE_HUGE);
	EXPECT_EQ(gmem_fdinfo(fd).create_flags, GMEM_CREATE_HUGE);
	FOLIOS_ARE(fd, 0, 0);

	/* an aligned block allocated whole: one folio */
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, HUGE));
	FOLIOS_ARE(fd, HUGE, 1);
	/* again: nothing new */
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, HUGE));
	FOLIOS_ARE(fd, HUGE, 1);

	/* part of a block: pages */
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, HUGE + pg, 2 * pg));
	FOLIOS_ARE(fd, HUGE + 2 * pg, 1);
	/* the rest of that block, no longer empty: pages too */
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, HUGE, HUGE));
	FOLIOS_ARE(fd, 2 * HUGE, 1);

	/* 2 MiB, but across two blocks: neither is whole */
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 2 * HUGE + HUGE / 2,
			     HUGE));
	FOLIOS_ARE(fd, 3 * HUGE, 1);

	/* all punched, then all at once: one folio per block */
	ASSERT_SYS(fallocate(fd, PUNCH, 0, 4 * HUGE));
	FOLIOS_ARE(fd, 0, 0);
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 4 * HUGE));
	FOLIOS_ARE(fd, 4 * HUGE, 4);
	/* punching a whole block frees its folio */
	ASSERT_SYS(fallocate(fd, PUNCH, HUGE, HUGE));
	FOLIOS_ARE(fd, 3 * HUGE, 3);
	ASSERT_SYS(close(fd));

	/* an fd whose end cuts a block: that block is pages */
	fd = gmem_new_flags(HUGE + HUGE / 2, GMEM_CREATE_HUGE);
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, HUGE + HUGE / 2));
	FOLIOS_ARE(fd, HUGE + HUGE / 2, 1);
	ASSERT_SYS(close(fd));

	/* the control: without the flag, never a large folio */
	small = gmem_new_flags(2 * HUGE, 0);
	EXPECT_EQ(gmem_info(small).create_flags, 0);
	ASSERT_SYS(fallocate(small, FALLOC_FL_KEEP_SIZE, 0, 2 * HUGE));
	FOLIOS_ARE(small, 2 * HUGE, 0);
}

/* Reads every page of [@p, @p + @len) and returns the faults it cost. */
static long touch_read(const volatile unsigned char *p, size_t len)
{
	long pg = page_size(), before = minflt();
	unsigned int sum = 0;

	for (size_t off = 0; off < len; off += pg)
		sum += p[off];
	ASSERT_EQ(sum, 0);
	return minflt() - before;
}

static void fault_maps_block(void)
{
	long pg = page_size();
	int fd, small;
	unsigned char *a, *b, *ref;
	long first, faults, wfaults, control;
	unsigned char *warm;
	long long pmd;

	gmem_need_huge_blocks(4);
	fd = gmem_new_flags(2 * HUGE, HUGE_MMAP);
	ref = pattern_pages_at(fd, 0, HUGE, 10);
	a = gmem_map_aligned(fd, 2 * HUGE, HUGE);

	/*
	 * A forked child faults its parent's text in page by page: run the
	 * measuring code once on memory that is there, so that only the
	 * mapping's faults count.
	 */
	warm = calloc(1, pg);
	ASSERT_TRUE(warm != NULL);
	touch_read(warm, pg);
	touch_read(warm, pg);
	/* one read inside the first block */
	first = touch_read(a + 3 * pg, 1);
	/* it allocated the whole block, as one folio, and nothing else */
	FOLIOS_ARE(fd, HUGE, 1);
	/* the whole block is mapped already: reading it costs nothing more */
	faults = touch_read(a, HUGE);
	pmd = smaps_kb(a, "FilePmdMapped");
	test_diag("the first read: %ld faults; reading the 512 pages after it: %ld more; FilePmdMapped %lld kB",
		  first, faults, pmd);
	EXPECT_GE(first, 1);
	EXPECT_LE(first + faults, FEW_FAULTS);
	EXPECT_EQ(nonzero_at(a, HUGE), -1);
	/* from 6.15, with one PMD: the block is wholly shared */
	if (gmem_pmd_mapping_expected())
		EXPECT_EQ(pmd, HUGE / 1024);
	else
		EXPECT_EQ(pmd, 0);

	/* writes need no fault either, and stay */
	wfaults = minflt();
	memcpy(a, ref, HUGE);
	wfaults = minflt() - wfaults;
	test_diag("writing the 512 pages: %ld faults", wfaults);
	EXPECT_LE(wfaults, FEW_FAULTS);
	FOLIOS_ARE(fd, HUGE, 1);

	/* a new mapping, the same memory, again at one fault */
	b = gmem_map_aligned(fd, 2 * HUGE, HUGE);
	faults = minflt();
	EXPECT_EQ(page_diff(b, ref, HUGE_PAGES), -1);
	faults = minflt() - faults;
	test_diag("a second mapping: %ld faults to read the block", faults);
	EXPECT_LE(faults, FEW_FAULTS);

	/* the second block: also one fault */
	faults = touch_read(b + HUGE, HUGE);
	test_diag("the second block: %ld faults", faults);
	EXPECT_LE(faults, FEW_FAULTS);
	FOLIOS_ARE(fd, 2 * HUGE, 2);
	EXPECT_EQ(page_diff(a, ref, HUGE_PAGES), -1);

	/* MADV_NOHUGEPAGE: page by page, and no PMD */
	b = gmem_map_aligned(fd, 2 * HUGE, HUGE);
	ASSERT_SYS(madvise(b, 2 * HUGE, MADV_NOHUGEPAGE));
	EXPECT_EQ(page_diff(b, ref, HUGE_PAGES), -1);
	EXPECT_EQ(smaps_kb(b, "FilePmdMapped"), 0);

	/* the control: a 4 KiB fd costs a fault per page, or per fault-around */
	small = gmem_new_flags(HUGE, MMAP_SHARED_FD);
	b = gmem_map_aligned(small, HUGE, HUGE);
	control = touch_read(b, HUGE);
	test_diag("the control, 512 pages of an fd without the flag: %ld faults",
		  control);
	EXPECT_GT(control, 2 * FEW_FAULTS);
}

static void mixed_folio(void)
{
	long pg = page_size();
	unsigned char *a, *b, *ref, *buf = xmalloc(pg);
	const uint64_t priv = 100;
	struct gmem_test_resolve r;
	struct gmem_info info;
	long long pmd;
	uint32_t slot;
	int fd, ct;

	gmem_need_huge_blocks(2);
	fault_install();
	fd = gmem_new_flags(HUGE, HUGE_MMAP);
	ref = pattern_pages_at(fd, 0, HUGE, 20);
	a = gmem_map_aligned(fd, HUGE, HUGE);
	memcpy(a, ref, HUGE);
	FOLIOS_ARE(fd, HUGE, 1);
	pmd = smaps_kb(a, "FilePmdMapped");
	test_diag("before the conversion: FilePmdMapped %lld kB", pmd);
	if (gmem_pmd_mapping_expected())
		EXPECT_EQ(pmd, HUGE / 1024);

	/* one page inside the folio becomes private: unreachable at once */
	CONVERT(fd, priv * pg, pg, GMEM_PRIVATE);
	EXPECT_SIGBUS(a + priv * pg, false);
	EXPECT_EQ(smaps_kb(a, "FilePmdMapped"), 0);
	info = gmem_info(fd);
	test_diag("after converting one page: large_folios %llu",
		  (unsigned long long)info.large_folios);
	EXPECT_EQ(info.allocated, HUGE);
	EXPECT_EQ(info.allocated_private, pg);
	EXPECT_EQ(info.allocated_shared, HUGE - pg);
	EXPECT_EQ(info.private_bytes, pg);

	EXPECT_SIGBUS(a + priv * pg, false);
	EXPECT_SIGBUS(a + priv * pg + pg - 1, true);
	for (uint64_t i = 0; i < HUGE_PAGES; i++) {
		if (i == priv)
			continue;
		if (memcmp(a + i * pg, ref + i * pg, pg))
			FAIL("shared page %llu lost its contents",
			     (unsigned long long)i);
	}
	/* a new mapping, faulting afresh, sees the same */
	b = gmem_map_aligned(fd, HUGE, HUGE);
	EXPECT_EQ(memcmp(b + (priv - 1) * pg, ref + (priv - 1) * pg, pg), 0);
	EXPECT_EQ(memcmp(b + (priv + 1) * pg, ref + (priv + 1) * pg, pg), 0);
	EXPECT_SIGBUS(b + priv * pg, false);
	EXPECT_EQ(page_diff(b, ref, priv), -1);

	/* the consumer sees the private page, with its contents, alone */
	ct = ct_open();
	slot = CT_BIND(ct, fd, 0, HUGE_PAGES);
	r = ct_resolve(ct, slot, priv);
	ASSERT_EQ(r.err, 0);
	test_diag("the private page: folio order %d, max_order %d",
		  r.folio_order, r.max_order);
	EXPECT_EQ(r.max_order, 0);
	EXPECT_EQ(ct_rw(ct, slot, priv, buf, false), 0);
	EXPECT_EQ(memcmp(buf, ref + priv * pg, pg), 0);
	EXPECT_EQ(ct_resolve(ct, slot, priv + 1).err, -EACCES);
	EXPECT_EQ(ct_resolve(ct, slot, priv - 1).err, -EACCES);
	ct_unbind(ct, slot);
	/* what GMEM_INFO said is what the kernel's page flags say */
	EXPECT_EQ(heads_in(a, HUGE_PAGES, priv, r.pfn), info.large_folios);
	FOLIOS_ARE(fd, HUGE, info.large_folios);

	/* shared again: readable in the old mapping, contents kept */
	CONVERT(fd, priv * pg, pg, GMEM_SHARED);
	EXPECT_ACCESS(a + priv * pg, false);
	EXPECT_EQ(page_diff(a, ref, HUGE_PAGES), -1);
	EXPECT_EQ(gmem_info(fd).allocated_private, 0);
}

static void punch_inside(void)
{
	long pg = page_size();
	unsigned char *a, *ref;
	const uint64_t hole = 7;
	struct gmem_info info;
	int fd;

	gmem_need_huge_blocks(2);
	fd = gmem_new_flags(HUGE, HUGE_MMAP);
	ref = pattern_pages_at(fd, 0, HUGE, 30);
	a = gmem_map_aligned(fd, HUGE, HUGE);
	memcpy(a, ref, HUGE);
	FOLIOS_ARE(fd, HUGE, 1);

	ASSERT_SYS(fallocate(fd, PUNCH, hole * pg, pg));
	info = gmem_info(fd);
	if (info.allocated == HUGE - pg) {
		test_diag("the punch split the folio: allocated %#llx, %llu large folios left",
			  (unsigned long long)info.allocated,
			  (unsigned long long)info.large_folios);
	} else if (info.allocated == HUGE) {
		/* core MM could not split: it zeroed the page in the folio */
		test_diag("the punch did not split the folio: allocated %#llx, %llu large folios; the page was zeroed in place",
			  (unsigned long long)info.allocated,
			  (unsigned long long)info.large_folios);
		EXPECT_EQ(info.large_folios, 1);
	} else {
		FAIL("after punching one page of a 2 MiB folio, allocated is %#llx",
		     (unsigned long long)info.allocated);
	}
	FOLIOS_ARE(fd, info.allocated, info.large_folios);
	/* the large folios left are there, the hole not mapped */
	EXPECT_EQ(heads_in(a, HUGE_PAGES, hole, 0), info.large_folios);

	/* the page reads zero, its neighbours what they held */
	EXPECT_EQ(nonzero_at(a + hole * pg, pg), -1);
	memset(ref + hole * pg, 0, pg);
	EXPECT_EQ(page_diff(a, ref, HUGE_PAGES), -1);
	/* touched again, the hole is allocated again */
	EXPECT_EQ(gmem_info(fd).allocated, HUGE);

	/* a second punch, at the block's last page */
	ASSERT_SYS(fallocate(fd, PUNCH, HUGE - pg, pg));
	EXPECT_GE(gmem_info(fd).allocated, HUGE - pg);
	memset(ref + HUGE - pg, 0, pg);
	EXPECT_EQ(page_diff(a, ref, HUGE_PAGES), -1);
}

static void convert_keeps_contents(void)
{
	long pg = page_size();
	size_t len = 2 * HUGE;
	unsigned char *a, *ref;
	int fd;

	gmem_need_huge_blocks(4);
	fault_install();
	fd = gmem_new_flags(len, GMEM_CREATE_HUGE | GMEM_CREATE_MMAP);
	ref = pattern_pages_at(fd, 0, len, 40);
	POPULATE(fd, 0, len, ref);
	FOLIOS_ARE(fd, len, 2);

	/* whole blocks, three times both ways */
	a = gmem_map_aligned(fd, len, HUGE);
	for (int round = 0; round < 3; round++) {
		CONVERT(fd, 0, len, GMEM_SHARED);
		EXPECT_EQ(page_diff(a, ref, len / pg), -1);
		CONVERT(fd, 0, len, GMEM_PRIVATE);
		EXPECT_SIGBUS(a + HUGE + 5 * pg, false);
	}
	FOLIOS_ARE(fd, len, 2);
	EXPECT_EQ(gmem_info(fd).allocated_private, len);

	/* part of a block, and a range across the two */
	CONVERT(fd, 0, len, GMEM_SHARED);
	for (int round = 0; round < 3; round++) {
		CONVERT(fd, HUGE / 2, 16 * pg, GMEM_PRIVATE);
		CONVERT(fd, HUGE - 8 * pg, 16 * pg, GMEM_PRIVATE);
		EXPECT_SIGBUS(a + HUGE / 2, false);
		EXPECT_SIGBUS(a + HUGE - pg, true);
		EXPECT_SIGBUS(a + HUGE + 7 * pg, false);
		EXPECT_EQ(memcmp(a + HUGE / 2 - pg, ref + HUGE / 2 - pg, pg), 0);
		EXPECT_EQ(memcmp(a + HUGE + 8 * pg, ref + HUGE + 8 * pg, pg), 0);
		EXPECT_EQ(gmem_info(fd).allocated_private, 32 * pg);
		CONVERT(fd, HUGE / 2, 16 * pg, GMEM_SHARED);
		CONVERT(fd, HUGE - 8 * pg, 16 * pg, GMEM_SHARED);
		EXPECT_EQ(page_diff(a, ref, len / pg), -1);
	}
	EXPECT_EQ(gmem_info(fd).allocated, len);
	test_diag("after the partial conversions: %llu large folios",
		  (unsigned long long)gmem_info(fd).large_folios);
}

static void convert_zero_subrange(void)
{
	long pg = page_size();
	unsigned char *a, *ref;
	int fd;

	gmem_need_huge_blocks(2);
	fd = gmem_new_flags(HUGE, HUGE_MMAP);
	ref = pattern_pages_at(fd, 0, HUGE, 50);
	a = gmem_map_aligned(fd, HUGE, HUGE);
	memcpy(a, ref, HUGE);
	FOLIOS_ARE(fd, HUGE, 1);

	/* shared -> private with ZERO, back without */
	CONVERT_FLAGS(fd, 16 * pg, 8 * pg, GMEM_PRIVATE, GMEM_CONVERT_ZERO);
	CONVERT(fd, 16 * pg, 8 * pg, GMEM_SHARED);
	memset(ref + 16 * pg, 0, 8 * pg);
	EXPECT_EQ(page_diff(a, ref, HUGE_PAGES), -1);

	/* private -> shared with ZERO */
	CONVERT(fd, 40 * pg, 4 * pg, GMEM_PRIVATE);
	CONVERT_FLAGS(fd, 40 * pg, 4 * pg, GMEM_SHARED, GMEM_CONVERT_ZERO);
	memset(ref + 40 * pg, 0, 4 * pg);
	EXPECT_EQ(page_diff(a, ref, HUGE_PAGES), -1);

	/* the last page of the block, and the first */
	CONVERT_FLAGS(fd, HUGE - pg, pg, GMEM_PRIVATE, GMEM_CONVERT_ZERO);
	CONVERT_FLAGS(fd, 0, pg, GMEM_PRIVATE, GMEM_CONVERT_ZERO);
	CONVERT(fd, 0, HUGE, GMEM_SHARED);
	memset(ref + HUGE - pg, 0, pg);
	memset(ref, 0, pg);
	EXPECT_EQ(page_diff(a, ref, HUGE_PAGES), -1);
	EXPECT_EQ(gmem_info(fd).allocated, HUGE);
}

static void populate_huge(void)
{
	long pg = page_size();
	size_t len = 2 * HUGE;
	unsigned char *a, *ref;
	struct gmem_info info;
	int fd;

	gmem_need_huge_blocks(4);
	fd = gmem_new_flags(len, GMEM_CREATE_HUGE | GMEM_CREATE_MMAP);
	ref = pattern_pages_at(fd, 0, len, 60);
	/* a whole block: one folio */
	POPULATE(fd, 0, HUGE, ref);
	FOLIOS_ARE(fd, HUGE, 1);
	/* two pages of the empty second block */
	POPULATE(fd, HUGE + 3 * pg, 2 * pg, ref + HUGE + 3 * pg);
	info = gmem_info(fd);
	test_diag("populating 2 pages of an empty block: allocated %#llx, %llu large folios",
		  (unsigned long long)info.allocated,
		  (unsigned long long)info.large_folios);
	/* either the block is allocated whole, or just the two pages */
	if (info.allocated == len)
		FOLIOS_ARE(fd, len, 2);
	else
		FOLIOS_ARE(fd, HUGE + 2 * pg, 1);

	/* the contents, once shared; what was not populated reads zero */
	memset(ref + HUGE, 0, 3 * pg);
	memset(ref + HUGE + 5 * pg, 0, HUGE - 5 * pg);
	CONVERT(fd, 0, len, GMEM_SHARED);
	a = gmem_map_aligned(fd, len, HUGE);
	EXPECT_EQ(page_diff(a, ref, len / pg), -1);

	/* populate over a populated folio rewrites just its pages */
	CONVERT(fd, 0, len, GMEM_PRIVATE);
	fill_pattern(ref + 9 * pg, pg, 99);
	POPULATE(fd, 9 * pg, pg, ref + 9 * pg);
	CONVERT(fd, 0, len, GMEM_SHARED);
	EXPECT_EQ(page_diff(a, ref, len / pg), -1);
	EXPECT_EQ(gmem_info(fd).large_folios, info.large_folios);
}

static void huge_param_off(void)
{
	int ret = gmem_set_huge_param(false);

	if (ret)
		FAIL("setting %s back to N: %s", GMEM_HUGE_PARAM,
		     errno_name(-ret));
}

static void module_param(void)
{
	int fd, flagged, plain, ret = gmem_huge_param();

	if (ret < 0)
		FAIL("%s: %s", GMEM_HUGE_PARAM, errno_name(-ret));
	EXPECT_EQ(ret, 0);		/* the default is N */
	gmem_need_huge_blocks(4);

	ret = gmem_set_huge_param(true);
	if (ret)
		FAIL("setting %s to Y: %s", GMEM_HUGE_PARAM, errno_name(-ret));
	EXPECT_EQ(gmem_huge_param(), 1);
	fd = gmem_new_flags(2 * HUGE, GMEM_CREATE_MMAP);
	flagged = gmem_new_flags(HUGE, GMEM_CREATE_HUGE);
	EXPECT_EQ(gmem_info(fd).create_flags, GMEM_CREATE_MMAP | GMEM_CREATE_HUGE);
	EXPECT_EQ(gmem_fdinfo(fd).create_flags, GMEM_CREATE_MMAP | GMEM_CREATE_HUGE);
	EXPECT_EQ(gmem_info(flagged).create_flags, GMEM_CREATE_HUGE);
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, HUGE));
	FOLIOS_ARE(fd, HUGE, 1);

	/* off again: new fds are small, the huge one stays huge */
	huge_param_off();
	EXPECT_EQ(gmem_huge_param(), 0);
	plain = gmem_new_flags(HUGE, 0);
	EXPECT_EQ(gmem_info(plain).create_flags, 0);
	ASSERT_SYS(fallocate(plain, FALLOC_FL_KEEP_SIZE, 0, HUGE));
	FOLIOS_ARE(plain, HUGE, 0);
	EXPECT_EQ(gmem_info(fd).create_flags, GMEM_CREATE_MMAP | GMEM_CREATE_HUGE);
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, HUGE, HUGE));
	FOLIOS_ARE(fd, 2 * HUGE, 2);
}

/*
 * The max_order gmem_get_pfn() documents for @index: the largest order k,
 * up to @folio_order, whose aligned block of 2^k pages around @index lies
 * inside the binding [@bstart, @bend) and holds no shared page of
 * [@shared_lo, @shared_hi).
 */
static int expected_order(uint64_t index, uint64_t bstart, uint64_t bend,
			  int folio_order, uint64_t shared_lo,
			  uint64_t shared_hi)
{
	for (int k = folio_order; k > 0; k--) {
		uint64_t base = index & ~((1ULL << k) - 1);
		uint64_t last = base + (1ULL << k);

		if (base >= bstart && last <= bend &&
		    (last <= shared_lo || base >= shared_hi))
			return k;
	}
	return 0;
}

/* GMEM_TEST_RESOLVE of shared page @index (GMEM_TEST_GET_SHARED). */
static struct gmem_test_resolve resolve_shared(int ct, uint32_t slot,
					       uint64_t index)
{
	struct gmem_test_resolve r = {
		.slot = slot, .index = index, .flags = GMEM_TEST_GET_SHARED,
		.err = 1, .max_order = -2,
	};

	if (ioctl(ct, GMEM_TEST_RESOLVE, &r))
		FAIL("GMEM_TEST_RESOLVE (shared) of %llu: %s",
		     (unsigned long long)index, errno_name(errno));
	return r;
}

static void resolve_max_order(void)
{
	const uint64_t n = 4 * HUGE_PAGES;
	struct gmem_test_resolve r0, r;
	int ct, fd;
	uint32_t slot;

	gmem_need_huge_blocks(8);
	ct = ct_open();
	fd = gmem_new_flags(4 * HUGE, GMEM_CREATE_HUGE);
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, HUGE));
	/* pages only in the second block */
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE,
			     HUGE + 4 * page_size(), 4 * page_size()));
	/* and the last block whole */
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 3 * HUGE, HUGE));
	FOLIOS_ARE(fd, 2 * HUGE + 4 * page_size(), 2);

	slot = CT_BIND(ct, fd, 0, n);
	r0 = ct_resolve(ct, slot, 0);
	ASSERT_EQ(r0.err, 0);
	EXPECT_EQ(r0.folio_order, GMEM_HUGE_ORDER);
	EXPECT_EQ(r0.max_order, GMEM_HUGE_ORDER);
	for (uint64_t i = 1; i < HUGE_PAGES; i += 85) {
		r = ct_resolve(ct, slot, i);
		ASSERT_EQ(r.err, 0);
		EXPECT_EQ(r.max_order, GMEM_HUGE_ORDER);
		/* one folio: consecutive pfns */
		EXPECT_EQ(r.pfn, r0.pfn + i);
	}
	/* a 4 KiB folio */
	r = ct_resolve(ct, slot, HUGE_PAGES + 5);
	ASSERT_EQ(r.err, 0);
	EXPECT_EQ(r.folio_order, 0);
	EXPECT_EQ(r.max_order, 0);
	/* a resolve in an empty block allocates: whatever it is, max_order fits */
	r = ct_resolve(ct, slot, 2 * HUGE_PAGES + 7);
	ASSERT_EQ(r.err, 0);
	test_diag("a resolve in an empty block: folio order %d, max_order %d",
		  r.folio_order, r.max_order);
	EXPECT_EQ(r.max_order, r.folio_order);
	ct_unbind(ct, slot);

	/* a binding that starts one page in: the block is not whole in it */
	slot = CT_BIND(ct, fd, 1, HUGE_PAGES - 1);
	for (uint64_t i = 1; i < HUGE_PAGES; i += 37) {
		r = ct_resolve(ct, slot, i);
		ASSERT_EQ(r.err, 0);
		EXPECT_EQ(r.max_order, expected_order(i, 1, HUGE_PAGES,
						      GMEM_HUGE_ORDER, 0, 0));
	}
	ct_unbind(ct, slot);
	/* an aligned binding that ends inside the block */
	slot = CT_BIND(ct, fd, 0, 256);
	r = ct_resolve(ct, slot, 5);
	ASSERT_EQ(r.err, 0);
	EXPECT_EQ(r.max_order, 8);
	ct_unbind(ct, slot);
	/*
	 * A binding whose start is aligned to 256 pages, not 512: the last
	 * block lies in it whole and maps at order 9, the first only by the
	 * half the binding holds.
	 */
	slot = CT_BIND(ct, fd, 256, n - 256);
	r = ct_resolve(ct, slot, 300);
	ASSERT_EQ(r.err, 0);
	EXPECT_EQ(r.max_order, 8);
	r = ct_resolve(ct, slot, 3 * HUGE_PAGES + 9);
	ASSERT_EQ(r.err, 0);
	EXPECT_EQ(r.folio_order, GMEM_HUGE_ORDER);
	EXPECT_EQ(r.max_order, GMEM_HUGE_ORDER);
	EXPECT_EQ(r.pfn, ct_resolve(ct, slot, 3 * HUGE_PAGES).pfn + 9);
	ct_unbind(ct, slot);

	/* one shared page in the folio bounds the order around it */
	CONVERT(fd, 300 * page_size(), page_size(), GMEM_SHARED);
	slot = CT_BIND(ct, fd, 0, n);
	EXPECT_EQ(ct_resolve(ct, slot, 300).err, -EACCES);
	for (uint64_t i = 0; i < HUGE_PAGES; i += 23) {
		if (i == 300)
			continue;
		r = ct_resolve(ct, slot, i);
		ASSERT_EQ(r.err, 0);
		EXPECT_EQ(r.max_order, expected_order(i, 0, n, r.folio_order,
						      300, 301));
	}
	r = ct_resolve(ct, slot, 301);
	EXPECT_EQ(r.max_order, 0);
	r = ct_resolve(ct, slot, 5);
	EXPECT_EQ(r.max_order, 8);

	/* a shared block converted in pieces is one run to shared resolves */
	CONVERT(fd, 0, 300 * page_size(), GMEM_SHARED);
	CONVERT(fd, 301 * page_size(), (HUGE_PAGES - 301) * page_size(),
		GMEM_SHARED);
	for (uint64_t i = 0; i < HUGE_PAGES; i += 37) {
		r = resolve_shared(ct, slot, i);
		ASSERT_EQ(r.err, 0);
		EXPECT_EQ(r.max_order, GMEM_HUGE_ORDER);
	}
	EXPECT_EQ(ct_resolve(ct, slot, 300).err, -EACCES);
	/* and one private page in it bounds them */
	CONVERT(fd, 7 * page_size(), page_size(), GMEM_PRIVATE);
	EXPECT_EQ(resolve_shared(ct, slot, 7).err, -EACCES);
	for (uint64_t i = 0; i < HUGE_PAGES; i += 29) {
		r = resolve_shared(ct, slot, i);
		ASSERT_EQ(r.err, 0);
		EXPECT_EQ(r.max_order,
			  expected_order(i, 0, n, GMEM_HUGE_ORDER, 7, 8));
	}
}

/*
 * Private resolve at @index, with the run of shared pages nearest it
 * [@lo, @hi) (or none: @lo == @hi), on a binding of the whole fd.
 */
static void expect_private_order(int ct, uint32_t slot, uint64_t index,
				 uint64_t lo, uint64_t hi)
{
	struct gmem_test_resolve r = ct_resolve(ct, slot, index);

	if (r.err)
		FAIL("private resolve of page %llu: %s",
		     (unsigned long long)index, errno_name(-r.err));
	EXPECT_EQ(r.folio_order, GMEM_HUGE_ORDER);
	EXPECT_EQ(r.max_order, expected_order(index, 0, UINT64_MAX,
					      GMEM_HUGE_ORDER, lo, hi));
}

/*
 * gmem keeps a summary of which 2 MiB blocks hold a shared page, and a
 * private resolve in a block that holds none looks no further.  Every
 * change of it is seen at once: a block's first shared page bounds the
 * resolves of its neighbours (and is refused to them), a conversion back
 * to private that leaves a shared page in the block at either end of its
 * range keeps bounding them there, and a block whose last shared page
 * went maps whole again.  On an fd created shared, the same from the
 * other side.
 */
static void resolve_block_summary(void)
{
	const uint64_t hp = HUGE_PAGES, n = 4 * HUGE_PAGES;
	long pg = page_size();
	struct gmem_test_resolve r;
	uint32_t slot;
	int ct, fd;

	gmem_need_huge_blocks(8);
	ct = ct_open();
	fd = gmem_new_flags(4 * HUGE, GMEM_CREATE_HUGE);
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 4 * HUGE));
	FOLIOS_ARE(fd, 4 * HUGE, 4);
	slot = CT_BIND(ct, fd, 0, n);

	/* one shared page in block 1: block 0 stays whole, block 1 is cut */
	CONVERT(fd, (hp + 10) * pg, pg, GMEM_SHARED);
	EXPECT_EQ(ct_resolve(ct, slot, hp + 10).err, -EACCES);
	EXPECT_EQ(resolve_shared(ct, slot, hp + 10).err, 0);
	EXPECT_EQ(resolve_shared(ct, slot, 7).err, -EACCES);
	expect_private_order(ct, slot, 7, 0, 0);
	expect_private_order(ct, slot, 3 * hp + 7, 0, 0);
	expect_private_order(ct, slot, hp + 3, hp + 10, hp + 11);
	expect_private_order(ct, slot, hp + 300, hp + 10, hp + 11);

	/* shared across the boundary of blocks 1 and 2 */
	CONVERT(fd, (2 * hp - 6) * pg, 12 * pg, GMEM_SHARED);
	EXPECT_EQ(ct_resolve(ct, slot, 2 * hp - 1).err, -EACCES);
	EXPECT_EQ(ct_resolve(ct, slot, 2 * hp + 5).err, -EACCES);
	expect_private_order(ct, slot, 2 * hp + 300, 2 * hp - 6, 2 * hp + 6);

	/*
	 * Private from 2 * hp - 6 to 2 * hp + 1: both blocks keep a shared
	 * page outside the range, page hp + 10 and five pages of block 2.
	 */
	CONVERT(fd, (2 * hp - 6) * pg, 7 * pg, GMEM_PRIVATE);
	EXPECT_EQ(ct_resolve(ct, slot, hp + 10).err, -EACCES);
	expect_private_order(ct, slot, hp + 300, hp + 10, hp + 11);
	expect_private_order(ct, slot, 2 * hp - 1, hp + 10, hp + 11);
	expect_private_order(ct, slot, 2 * hp, 2 * hp + 1, 2 * hp + 6);
	expect_private_order(ct, slot, 2 * hp + 300, 2 * hp + 1, 2 * hp + 6);

	/*
	 * Private from hp + 5 to 2 * hp + 2: block 1's last shared page went,
	 * and it maps whole again; block 2 keeps four.
	 */
	CONVERT(fd, (hp + 5) * pg, (hp - 3) * pg, GMEM_PRIVATE);
	expect_private_order(ct, slot, hp + 10, 0, 0);
	expect_private_order(ct, slot, hp + 300, 0, 0);
	EXPECT_EQ(resolve_shared(ct, slot, hp + 10).err, -EACCES);
	EXPECT_EQ(ct_resolve(ct, slot, 2 * hp + 2).err, -EACCES);
	expect_private_order(ct, slot, 2 * hp + 1, 2 * hp + 2, 2 * hp + 6);
	expect_private_order(ct, slot, 2 * hp + 300, 2 * hp + 2, 2 * hp + 6);
	CONVERT(fd, (2 * hp + 2) * pg, 4 * pg, GMEM_PRIVATE);
	for (uint64_t i = 0; i < n; i += 97)
		expect_private_order(ct, slot, i, 0, 0);
	ct_unbind(ct, slot);
	close(fd);

	/* created shared: private resolves in the block made private only */
	fd = gmem_new_flags(4 * HUGE, GMEM_CREATE_HUGE | GMEM_CREATE_SHARED);
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 4 * HUGE));
	slot = CT_BIND(ct, fd, 0, n);
	EXPECT_EQ(ct_resolve(ct, slot, 2 * hp + 7).err, -EACCES);
	CONVERT(fd, 2 * hp * pg, HUGE, GMEM_PRIVATE);
	expect_private_order(ct, slot, 2 * hp + 7, 0, 0);
	EXPECT_EQ(resolve_shared(ct, slot, 2 * hp + 7).err, -EACCES);
	EXPECT_EQ(ct_resolve(ct, slot, hp + 7).err, -EACCES);
	EXPECT_EQ(ct_resolve(ct, slot, 3 * hp).err, -EACCES);
	r = resolve_shared(ct, slot, 3 * hp + 7);
	ASSERT_EQ(r.err, 0);
	EXPECT_EQ(r.max_order, GMEM_HUGE_ORDER);
	/* one page of it shared again */
	CONVERT(fd, (2 * hp + 40) * pg, pg, GMEM_SHARED);
	EXPECT_EQ(ct_resolve(ct, slot, 2 * hp + 40).err, -EACCES);
	expect_private_order(ct, slot, 2 * hp + 7, 2 * hp + 40, 2 * hp + 41);
	expect_private_order(ct, slot, 2 * hp + 300, 2 * hp + 40, 2 * hp + 41);
	ct_unbind(ct, slot);
	close(fd);
}

/*
 * What fallback_fragmented() leaves free above the zones' high watermarks.
 * The kernel keeps allocating while the test fills memory (a kthread's
 * stack, order 3 on a KASAN kernel; its metadata): at the min watermarks
 * such an allocation calls the OOM killer, which picks the test.  The
 * unmovable fill itself raises the watermarks (watermark boosting), so
 * they are read again before every step.
 */
#define FILL_ROOM_KB	(32 * 1024)

static bool fill_has_room(uint64_t chunk)
{
	return memfree_kb() > watermark_high_kb() + FILL_ROOM_KB +
			      (long long)(chunk / 1024);
}

/*
 * Memory fragmented so that no 2 MiB block can be had: nearly all of it
 * filled with gmem's own 4 KiB folios (which core MM cannot migrate, so
 * compaction cannot undo this), then every other one punched.  A huge fd
 * asking for more blocks than are then free still gets all its memory,
 * the rest in small folios.
 */
static void fallback_fragmented(void)
{
	long pg = page_size();
	uint64_t filled = 0, last = ~0ULL, filler_len = 4 * GiB, len, blocks;
	uint64_t chunk;
	struct gmem_migrate collapse;
	long long before, after;
	struct gmem_info info;
	int filler, fd, err = 0, pass;
	unsigned char *a;

	write_str("/proc/self/oom_score_adj", "1000");
	/*
	 * Fill until gmem says the machine has no more to give, or until
	 * only the room kept for the kernel is left: in 16 MiB steps, then
	 * in ever smaller ones.  A step that fails gives back all it took,
	 * and reclaim may free more after it failed (so the steps are
	 * repeated until a round adds nothing); memory left over is what
	 * compaction makes 2 MiB blocks of later (once 80 MiB of it gave
	 * every block of the huge fd a large folio), which the number of
	 * blocks asked for below allows for.  Compaction first, for the
	 * per-CPU LRU batches it drains: folios earlier tests freed may
	 * still wait there.
	 */
	write_str("/proc/sys/vm/compact_memory", "1");
	filler = gmem_new_flags(filler_len, 0);
	for (pass = 0; pass < 4 && filled != last; pass++) {
		last = filled;
		for (chunk = 16 * MiB; chunk >= 64 * KiB; chunk /= 4) {
			while (filled + chunk <= filler_len) {
				if (!fill_has_room(chunk)) {
					err = ENOMEM;
					break;
				}
				if (fallocate(filler, FALLOC_FL_KEEP_SIZE,
					      filled, chunk)) {
					err = errno;
					break;
				}
				filled += chunk;
			}
		}
	}
	ASSERT_EQ(err, ENOMEM);
	test_diag("filled %llu MiB; %lld kB free, the high watermarks at %lld kB",
		  (unsigned long long)(filled / MiB), memfree_kb(),
		  watermark_high_kb());
	/* then free every other page of it */
	for (uint64_t off = 0; off < filled; off += 2 * pg)
		ASSERT_SYS(fallocate(filler, PUNCH, off, pg));
	EXPECT_EQ(gmem_info(filler).allocated, filled / 2);
	before = gmem_free_huge_blocks();
	ASSERT_GE(before, 0);

	/*
	 * More blocks than there are free: as many as the punched half of
	 * the filler leaves room for, 64 MiB kept back, and at least 64 over
	 * the count.  Compaction still makes blocks of what the fill could
	 * not take (up to 53 beyond the count were seen), so the more asked
	 * for, the surer some go without.
	 */
	blocks = filled / 2 > 64 * MiB ? (filled / 2 - 64 * MiB) / HUGE : 0;
	if (blocks < (uint64_t)before + 64)
		blocks = before + 64;
	len = blocks * HUGE;
	if (len + 64 * MiB > filled / 2)
		test_skip("only %llu MiB fragmented, %lld free 2 MiB blocks: not enough to ask for more",
			  (unsigned long long)(filled / MiB), before);
	fd = gmem_new_flags(len, HUGE_MMAP);
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, len));
	after = gmem_free_huge_blocks();
	info = gmem_info(fd);
	test_diag("%llu MiB filled, half punched; free 2 MiB blocks before %lld, after %lld; %llu MiB allocated with %llu large folios",
		  (unsigned long long)(filled / MiB), before, after,
		  (unsigned long long)(len / MiB),
		  (unsigned long long)info.large_folios);
	FOLIOS_ARE(fd, len, info.large_folios);
	/* what compaction cannot give, small folios filled in */
	EXPECT_GT(blocks, info.large_folios);
	/* each block that went without is counted, in both places */
	EXPECT_EQ(gmem_fdinfo_value(fd, "gmem-large-fallbacks"),
		  blocks - info.large_folios);
	EXPECT_EQ(info.large_fallbacks, blocks - info.large_folios);

	/* whatever the folios, the memory works: zeroed, and keeps data */
	a = gmem_map_aligned(fd, len, HUGE);
	EXPECT_EQ(nonzero_at(a, len), -1);
	fill_pattern_at(a, len, fd, 0, 70);
	EXPECT_EQ(pattern_mismatch_at(a, len, fd, 0, 70), -1);
	EXPECT_EQ(gmem_info(fd).allocated, len);

	/*
	 * With the filler gone there are 2 MiB blocks again: a collapse
	 * re-forms the blocks that went without, data in place.
	 */
	ASSERT_SYS(close(filler));
	collapse = (struct gmem_migrate){
		.length = len, .node = GMEM_MIGRATE_NODE_POLICY,
		.flags = GMEM_MIGRATE_COLLAPSE,
	};
	if (ioctl(fd, GMEM_MIGRATE, &collapse))
		EXPECT_EQ(errno, ENOMEM);	/* still fragmented, in part */
	after = gmem_free_huge_blocks();
	test_diag("collapse: %llu MiB re-formed, %lld free 2 MiB blocks left",
		  (unsigned long long)(collapse.collapsed / MiB), after);
	EXPECT_GT(collapse.collapsed, 0);
	EXPECT_EQ(collapse.moved, 0);
	FOLIOS_ARE(fd, len, info.large_folios + collapse.collapsed / HUGE);
	EXPECT_EQ(pattern_mismatch_at(a, len, fd, 0, 70), -1);
	/* a collapse is not a fallback */
	EXPECT_EQ(gmem_fdinfo_value(fd, "gmem-large-fallbacks"),
		  blocks - info.large_folios);
}

static const struct test huge_tests[] = {
	TEST("fallocate: a whole 2 MiB block is one large folio, partial and unaligned blocks 4 KiB folios",
	     fallocate_folios),
	TEST("a fault on a shared mapping allocates and maps the whole 2 MiB block at once",
	     fault_maps_block, .zeroing = true),
	TEST("one page of a shared 2 MiB folio made private: SIGBUS there, neighbours kept, max_order 0",
	     mixed_folio, .cleanup = ct_cleanup),
	TEST("punching 4 KiB inside a 2 MiB folio zeroes that page only",
	     punch_inside, .zeroing = true),
	TEST("conversions of whole blocks and parts of them keep contents",
	     convert_keeps_contents),
	TEST("GMEM_CONVERT_ZERO on part of a 2 MiB folio zeroes that part only",
	     convert_zero_subrange),
	TEST("GMEM_POPULATE into a huge fd: a whole block is one folio, contents kept",
	     populate_huge, .zeroing = true),
	TEST("module parameter huge=Y makes new fds huge without the flag",
	     module_param, .cleanup = huge_param_off),
	TEST("gmem_test: max_order 9 for a private 2 MiB folio in an aligned binding, bounded by binding and shared pages; for a shared one converted in pieces too",
	     resolve_max_order, .cleanup = ct_cleanup),
	TEST("gmem_test: a private resolve in a 2 MiB block with no shared page maps it whole on an fd with shared pages; each conversion in or out of a block shows at once",
	     resolve_block_summary, .cleanup = ct_cleanup),
	TEST("fragmented memory: a huge fd still allocates, with smaller folios if need be, counted; a collapse re-forms them later",
	     fallback_fragmented, .timeout = 180, .zeroing = true),
};

DEFINE_SUITE(huge_suite, "huge", huge_tests);
