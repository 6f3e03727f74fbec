// SPDX-License-Identifier: GPL-2.0
/*
 * What core MM may not do to gmem's folios, whatever the host asks of it:
 * compaction leaves them alone (from Linux 6.11, where gmem can mark its
 * mapping inaccessible: before, compaction isolates 4 KiB folios only to
 * be refused by ->migrate_folio), and madvise() cannot split 2 MiB ones.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "gmemfd.h"
#include "suites.h"

#define PUNCH		(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE)

/*
 * Fragments 64 MiB of anonymous memory, compacts everything, and returns
 * how many migrations failed meanwhile.
 */
static long long compact_failures(void)
{
	size_t frag = 64 * MiB, off;
	long long fail0 = vmstat_get("pgmigrate_fail");
	unsigned char *anon = mmap(NULL, frag, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int ret;

	ASSERT_TRUE(anon != MAP_FAILED);
	memset(anon, 1, frag);
	for (off = 0; off < frag; off += 2 * page_size())
		ASSERT_SYS(madvise(anon + off, page_size(), MADV_DONTNEED));
	ret = write_str("/proc/sys/vm/compact_memory", "1");
	if (ret == -ENOENT)
		test_skip("no /proc/sys/vm/compact_memory (no CONFIG_COMPACTION)");
	if (ret)
		FAIL("writing /proc/sys/vm/compact_memory: %s", errno_name(-ret));
	ASSERT_SYS(munmap(anon, frag));
	return vmstat_get("pgmigrate_fail") - fail0;
}

/*
 * The same compaction with and without 32 MiB of gmem's 4 KiB folios in
 * memory: where the kernel lets gmem say so (6.11+), gmem's folios add no
 * failed migration (they were never isolated; 7.2 before the change:
 * 4097 more).  On every kernel the pages keep their contents.
 */
static void compaction_skips_gmem(void)
{
	const uint32_t flags = GMEM_CREATE_MMAP | GMEM_CREATE_SHARED;
	size_t len = 32 * MiB, i;
	long long base, with_gmem;
	unsigned char *p;
	int fd;

	base = compact_failures();
	fd = gmem_new_flags(len, flags);
	p = gmem_map(fd, len);
	for (i = 0; i < len; i += page_size())
		memcpy(p + i, &i, sizeof(i));
	/* a hole every other page, so that the gmem pages are worth moving */
	for (i = 0; i < len; i += 2 * page_size())
		ASSERT_SYS(fallocate(fd, PUNCH, i, page_size()));
	with_gmem = compact_failures();
	test_diag("failed migrations: %lld without gmem, %lld with 16 MiB of gmem pages",
		  base, with_gmem);
	/*
	 * Before 6.11 the failures depend on where compaction's scanners
	 * meet; what holds there is that nothing moved (below).
	 */
	if (kernel_at_least(6, 11))
		EXPECT_LE(with_gmem, base + 8);
	for (i = page_size(); i < len; i += 2 * page_size())
		if (memcmp(p + i, &i, sizeof(i)))
			FAIL("page %zu changed", i / page_size());
	EXPECT_EQ(gmem_info(fd).allocated, (uint64_t)len / 2);
	ASSERT_SYS(close(fd));
}

#ifndef MADV_COLD
#define MADV_COLD	20
#define MADV_PAGEOUT	21
#endif

/*
 * MADV_COLD and MADV_PAGEOUT on 64 KiB of a mapping of 2 MiB folios: core
 * MM splits a large folio that a range covers only in part, unless the
 * folio's owner refuses.  The folios stay whole, mapped and unchanged.
 */
static void madvise_cannot_split(void)
{
	const uint32_t flags = GMEM_CREATE_MMAP | GMEM_CREATE_SHARED |
			       GMEM_CREATE_HUGE;
	size_t len = 2 * GMEM_HUGE_SIZE, i;
	static const int advice[] = { MADV_COLD, MADV_PAGEOUT };
	unsigned char *p;
	int fd, a;

	gmem_need_huge_blocks(2);
	fd = gmem_new_flags(len, flags);
	p = gmem_map_aligned(fd, len, GMEM_HUGE_SIZE);
	for (i = 0; i < len; i += page_size())
		memcpy(p + i, &i, sizeof(i));
	if (gmem_info(fd).large_folios != 2)
		test_skip("no two 2 MiB folios to be had (fragmented memory)");

	for (a = 0; a < 2; a++) {
		unsigned char *at = p + a * GMEM_HUGE_SIZE + 64 * KiB;

		if (madvise(at, 64 * KiB, advice[a]) && errno == EINVAL)
			test_skip("madvise(%s): EINVAL (kernel without it)",
				  a ? "MADV_PAGEOUT" : "MADV_COLD");
		test_diag("after %s on 64 KiB of folio %d: large_folios %llu",
			  a ? "MADV_PAGEOUT" : "MADV_COLD", a,
			  (unsigned long long)gmem_info(fd).large_folios);
	}
	EXPECT_EQ(gmem_info(fd).large_folios, 2);
	for (i = 0; i < len; i += page_size())
		if (memcmp(p + i, &i, sizeof(i)))
			FAIL("page %zu changed", i / page_size());
	EXPECT_EQ(gmem_info(fd).allocated, (uint64_t)len);
	ASSERT_SYS(close(fd));
}

static const struct test coremm_tests[] = {
	TEST("compaction leaves gmem folios alone (6.11+: not even isolated)",
	     compaction_skips_gmem, .timeout = 180),
	TEST("MADV_COLD and MADV_PAGEOUT on part of a 2 MiB folio do not split it",
	     madvise_cannot_split),
};

DEFINE_SUITE(coremm_suite, "coremm", coremm_tests);
