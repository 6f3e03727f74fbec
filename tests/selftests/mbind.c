// SPDX-License-Identifier: GPL-2.0
/*
 * mbind() on gmem mappings: the policy is the range's, whichever path
 * allocates a page of it (fault, pwrite(), fallocate(), GMEM_POPULATE, a
 * consumer's resolve), through any mapping and after munmap(); only the
 * range it covered; MPOL_DEFAULT gives the GMEM_CREATE policy back;
 * INTERLEAVE by file offset (2 MiB blocks on a huge fd), PREFERRED,
 * PREFERRED_MANY, LOCAL and a BIND home node; get_mempolicy(MPOL_F_ADDR)
 * on the mapping; what MPOL_MF_MOVE and MPOL_MF_STRICT do to pages that
 * are there (they stay; GMEM_MIGRATE moves them); modes gmem refuses
 * change nothing; thousands of overlapping calls leave the right policy on
 * every page and no policy object behind (fdinfo's gmem-mbind-* counts).
 *
 * The guests have two nodes (NUMA=2), vCPU 0 on node0 and vCPU 1 on node1;
 * a test that needs both is skipped, saying so, with fewer.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "ct.h"
#include "gmemfd.h"
#include "numa.h"
#include "rng.h"

#define HUGE		GMEM_HUGE_SIZE
#define HUGE_PAGES	GMEM_HUGE_PAGES
#define MMAP_SHARED_FD	(GMEM_CREATE_MMAP | GMEM_CREATE_SHARED)

#ifndef SYS_set_mempolicy_home_node
#define SYS_set_mempolicy_home_node	450
#endif

/* ---- helpers ---- */

/* mbind(2) of [@addr, @addr + @len): 0 or -1 with errno. */
static int do_mbind(void *addr, size_t len, int mode, uint64_t mask,
		    unsigned int flags)
{
	unsigned long words[2] = { mask, 0 };
	bool nodes = mode != MPOL_DEFAULT && mode != MPOL_LOCAL;

	return syscall(SYS_mbind, addr, len, mode, nodes ? words : NULL,
		       nodes ? 8 * sizeof(words) : 0UL, flags) ? -1 : 0;
}

#define MBIND(addr, len, mode, mask)					\
	ASSERT_SYS(do_mbind(addr, len, mode, mask, 0))

/* The mode and mask get_mempolicy(MPOL_F_ADDR) reports for @addr. */
static int policy_at(void *addr, uint64_t *mask)
{
	unsigned long words[2] = { 0, 0 };
	int mode = -1;

	if (syscall(SYS_get_mempolicy, &mode, words, 8 * sizeof(words), addr,
		    MPOL_F_ADDR))
		FAIL("get_mempolicy(MPOL_F_ADDR) at %p: %s", addr,
		     errno_name(errno));
	*mask = words[0];
	return mode;
}

/* Runs the calling thread on CPU @cpu (vCPU n is on node n % 2). */
static void run_on_cpu(int cpu)
{
	cpu_set_t set;

	if (cpu >= sysconf(_SC_NPROCESSORS_ONLN))
		test_skip("needs CPU %d (two vCPUs, one per node)", cpu);
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	ASSERT_SYS(sched_setaffinity(0, sizeof(set), &set));
}

/* fdinfo: ranges with an mbind() policy, and the objects holding them. */
static void mbind_counts_at(const char *file, int line, int fd,
			    unsigned long long ranges,
			    unsigned long long objects)
{
	unsigned long long r = gmem_fdinfo_value(fd, "gmem-mbind-ranges");
	unsigned long long o = gmem_fdinfo_value(fd, "gmem-mbind-policies");

	if (r != ranges || o != objects)
		test_fail_at(file, line,
			     "fdinfo: %llu mbind ranges, %llu policies; expected %llu, %llu",
			     r, o, ranges, objects);
}

#define MBIND_COUNTS(fd, r, o)	mbind_counts_at(__FILE__, __LINE__, fd, r, o)

/* ---- placement ---- */

/*
 * BIND node1 on a mapping of an fd created BIND node0: every path that
 * allocates puts the page on node1.
 */
static void bind_every_path(void)
{
	long pg = page_size();
	size_t len = 64 * pg;
	unsigned char *a, buf[64];
	int fd;

	numa_need_two();
	numa_bind_task(0);
	fd = gmem_new_numa(len, MMAP_SHARED_FD, GMEM_NUMA_BIND, NODE_BIT(0));
	a = gmem_map(fd, len);
	MBIND(a, len, MPOL_BIND, NODE_BIT(1));
	/* a quarter each by fallocate, pwrite, fault */
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, len / 4));
	NODE_BYTES(fd, 0, len / 4);
	memset(buf, 0x5a, sizeof(buf));
	for (size_t off = len / 4; off < len / 2; off += pg)
		ASSERT_EQ(pwrite(fd, buf, sizeof(buf), off), sizeof(buf));
	NODE_BYTES(fd, 0, len / 2);
	for (size_t off = len / 2; off < 3 * len / 4; off += pg)
		a[off] = 1;
	NODE_BYTES(fd, 0, 3 * len / 4);
	NODES_ARE(a, 0, len, 1);
	NODE_BYTES(fd, 0, len);
	MBIND_COUNTS(fd, 1, 1);

	/* huge: fallocate and a fault each get a 2 MiB folio on node1 */
	fd = gmem_new_numa(2 * HUGE, MMAP_SHARED_FD | GMEM_CREATE_HUGE,
			   GMEM_NUMA_BIND, NODE_BIT(0));
	a = gmem_map_aligned(fd, 2 * HUGE, HUGE);
	MBIND(a, 2 * HUGE, MPOL_BIND, NODE_BIT(1));
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, HUGE));
	a[HUGE] = 1;
	NODE_BYTES(fd, 0, 2 * HUGE);
	NODES_ARE(a, 0, 2 * HUGE, 1);
}

/*
 * Private pages: GMEM_POPULATE and a consumer's resolve follow the policy
 * mbind() gave through a mapping that can never fault them in.
 */
static void bind_private_paths(void)
{
	long pg = page_size();
	const uint64_t n = 2 * HUGE_PAGES;
	unsigned char *a, *src;
	uint64_t bytes[GMEM_MAX_NODES];
	uint32_t slot;
	int fd, ct;

	numa_need_two();
	numa_bind_task(0);
	ct = ct_open();
	for (int huge = 0; huge < 2; huge++) {
		unsigned int flags = GMEM_CREATE_MMAP |
				     (huge ? GMEM_CREATE_HUGE : 0);

		test_diag("%s fd", huge ? "huge" : "4 KiB");
		fd = gmem_new_numa(n * pg, flags, GMEM_NUMA_BIND, NODE_BIT(0));
		a = gmem_map_aligned(fd, n * pg, HUGE);
		MBIND(a, n * pg, MPOL_BIND, NODE_BIT(1));
		ASSERT_SYS(munmap(a, n * pg));
		/* the first half by GMEM_POPULATE */
		src = pattern_pages(n / 2 * pg, 7);
		POPULATE(fd, 0, n / 2 * pg, src);
		free(src);
		NODE_BYTES(fd, 0, n / 2 * pg);
		/* the rest by resolves */
		slot = CT_BIND(ct, fd, 0, n);
		for (uint64_t i = n / 2; i < n; i++) {
			struct gmem_test_resolve r = ct_resolve(ct, slot, i);

			ASSERT_EQ(r.err, 0);
			if (r.node != 1)
				FAIL("page %llu resolved on node %d, expected 1",
				     (unsigned long long)i, r.node);
		}
		ct_unbind(ct, slot);
		gmem_fdinfo_nodes(fd, bytes, GMEM_MAX_NODES);
		EXPECT_EQ(bytes[0], 0);
		EXPECT_EQ(bytes[1], n * pg);
		ASSERT_SYS(close(fd));
	}
}

/*
 * Only the range mbind() covered, by file offset: a mapping that starts
 * at page 8 of the fd binds pages 24..39 to node1; the others stay with
 * the GMEM_CREATE policy (node0).
 */
static void partial_range(void)
{
	long pg = page_size();
	const size_t n = 64;
	int want[64];
	unsigned char *a, *b;
	int fd;

	numa_need_two();
	numa_bind_task(1);
	fd = gmem_new_numa(n * pg, MMAP_SHARED_FD, GMEM_NUMA_BIND, NODE_BIT(0));
	b = mmap(NULL, 32 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 8 * pg);
	ASSERT_TRUE(b != MAP_FAILED);
	MBIND(b + 16 * pg, 16 * pg, MPOL_BIND, NODE_BIT(1));
	MBIND_COUNTS(fd, 1, 1);
	a = gmem_map(fd, n * pg);
	for (size_t i = 0; i < n; i++)
		want[i] = i >= 24 && i < 40 ? 1 : 0;
	numa_nodes_are_at(__FILE__, __LINE__, a, 0, 0, n * pg, want);
	NODE_BYTES(fd, 48 * pg, 16 * pg);
}

/*
 * MPOL_DEFAULT takes the range's policy away: the GMEM_CREATE policy
 * (node0) applies again, on the whole range or on part of it.
 */
static void default_restores_create_policy(void)
{
	long pg = page_size();
	const size_t n = 64;
	int want[64];
	unsigned char *a;
	int fd;

	numa_need_two();
	numa_bind_task(1);
	fd = gmem_new_numa(n * pg, MMAP_SHARED_FD, GMEM_NUMA_BIND, NODE_BIT(0));
	a = gmem_map(fd, n * pg);
	MBIND(a, n * pg, MPOL_BIND, NODE_BIT(1));
	MBIND(a, n * pg, MPOL_DEFAULT, 0);
	MBIND_COUNTS(fd, 0, 0);
	NODES_ARE(a, 0, n / 2 * pg, 0);
	/* a hole punched in the middle of a range's policy */
	MBIND(a, n * pg, MPOL_BIND, NODE_BIT(1));
	MBIND(a + 40 * pg, 8 * pg, MPOL_DEFAULT, 0);
	MBIND_COUNTS(fd, 2, 1);
	for (size_t i = 0; i < n; i++)
		want[i] = i < n / 2 || (i >= 40 && i < 48) ? 0 : 1;
	numa_nodes_are_at(__FILE__, __LINE__, a, 0, 0, n * pg, want);
	/* and the fd's DEFAULT policy is the task's own again */
	fd = gmem_new_numa(n * pg, MMAP_SHARED_FD, GMEM_NUMA_DEFAULT, 0);
	a = gmem_map(fd, n * pg);
	MBIND(a, n * pg, MPOL_BIND, NODE_BIT(0));
	MBIND(a, n * pg, MPOL_DEFAULT, 0);
	NODES_ARE(a, 0, n * pg, 1);
}

/* INTERLEAVE {0,1}: page i of the fd on node i % 2, by offset in the fd. */
static void interleave_pages(void)
{
	long pg = page_size();
	const size_t n = 64;
	int want[64];
	unsigned char *a;
	int fd;

	numa_need_two();
	numa_bind_task(1);
	fd = gmem_new_numa(n * pg, MMAP_SHARED_FD, GMEM_NUMA_BIND, NODE_BIT(1));
	/* a mapping from page 3: odd pages of the mapping on node0 */
	a = mmap(NULL, (n - 3) * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 3 * pg);
	ASSERT_TRUE(a != MAP_FAILED);
	MBIND(a, (n - 3) * pg, MPOL_INTERLEAVE, NODE_BIT(0) | NODE_BIT(1));
	/* fallocate half, fault the rest backwards */
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 3 * pg, n / 2 * pg));
	for (size_t i = n - 4; i + 1 > 0; i--)
		a[i * pg] = 1;
	for (size_t i = 0; i < n; i++)
		want[i] = i < 3 ? -1 : (int)(i % 2);
	numa_nodes_are_at(__FILE__, __LINE__, a, 3, 0, (n - 3) * pg, want);
}

static void interleave_huge(void)
{
	size_t len = 4 * HUGE;
	int want[4 * HUGE_PAGES];
	unsigned char *a;
	int fd;

	numa_need_two();
	numa_bind_task(1);
	gmem_need_huge_blocks(8);
	fd = gmem_new_numa(len, MMAP_SHARED_FD | GMEM_CREATE_HUGE,
			   GMEM_NUMA_BIND, NODE_BIT(1));
	a = gmem_map_aligned(fd, len, HUGE);
	MBIND(a, len, MPOL_INTERLEAVE, NODE_BIT(0) | NODE_BIT(1));
	/* two blocks by fallocate, two by a fault on their last page */
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 2 * HUGE));
	a[3 * HUGE - 1] = 1;
	a[4 * HUGE - 1] = 1;
	EXPECT_EQ(gmem_info(fd).large_folios, 4);
	for (size_t i = 0; i < 4 * HUGE_PAGES; i++)
		want[i] = (i / HUGE_PAGES) % 2;
	numa_nodes_are_at(__FILE__, __LINE__, a, 0, 0, len, want);
	NODE_BYTES(fd, 2 * HUGE, 2 * HUGE);
}

/* PREFERRED and PREFERRED_MANY node1 over an fd bound to node0. */
static void preferred(void)
{
	long pg = page_size();
	size_t len = 32 * pg;
	unsigned char *a;
	int fd;

	numa_need_two();
	numa_bind_task(0);
	fd = gmem_new_numa(2 * len, MMAP_SHARED_FD, GMEM_NUMA_BIND,
			   NODE_BIT(0));
	a = gmem_map(fd, 2 * len);
	MBIND(a, len, MPOL_PREFERRED, NODE_BIT(1));
	MBIND(a + len, len, MPOL_PREFERRED_MANY, NODE_BIT(1));
	MBIND_COUNTS(fd, 2, 2);
	NODES_ARE(a, 0, 2 * len, 1);
}

/*
 * LOCAL: the node of the CPU that allocates.  vCPU 1 is on node1, vCPU 0
 * on node0, and the fd is bound to the other one each time.
 */
static void local(void)
{
	long pg = page_size();
	size_t len = 32 * pg;
	unsigned char *a;
	int fd;

	numa_need_two();
	for (int cpu = 0; cpu < 2; cpu++) {
		run_on_cpu(cpu);
		fd = gmem_new_numa(len, MMAP_SHARED_FD, GMEM_NUMA_BIND,
				   NODE_BIT(!cpu));
		a = gmem_map(fd, len);
		MBIND(a, len, MPOL_LOCAL, 0);
		ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, len / 2));
		NODES_ARE(a, 0, len, cpu);
	}
}

/*
 * BIND {0,1} allocates on the local node, unless set_mempolicy_home_node()
 * names another.
 */
static void bind_home_node(void)
{
	long pg = page_size();
	size_t len = 32 * pg;
	unsigned char *a;
	uint64_t mask;
	int fd;

	numa_need_two();
	run_on_cpu(0);
	fd = gmem_new_numa(2 * len, MMAP_SHARED_FD, GMEM_NUMA_DEFAULT, 0);
	a = gmem_map(fd, 2 * len);
	MBIND(a, 2 * len, MPOL_BIND, NODE_BIT(0) | NODE_BIT(1));
	NODES_ARE(a, 0, len / 2, 0);
	ASSERT_SYS(syscall(SYS_set_mempolicy_home_node, a + len, len, 1, 0));
	EXPECT_EQ(policy_at(a + len, &mask), MPOL_BIND);
	EXPECT_EQ(mask, NODE_BIT(0) | NODE_BIT(1));
	MBIND_COUNTS(fd, 2, 2);
	NODES_ARE(a, len, len, 1);
	NODES_ARE(a, len / 2, len / 2, 0);
}

/*
 * The policy belongs to the memory: it holds after munmap(), through a
 * new mapping (whose get_mempolicy() reports its own policy, the
 * default), and for another process.
 */
static void outlives_mapping(void)
{
	long pg = page_size();
	size_t len = 64 * pg;
	unsigned char *a;
	uint64_t mask;
	pid_t pid;
	int fd, status;

	numa_need_two();
	numa_bind_task(0);
	fd = gmem_new_numa(len, MMAP_SHARED_FD, GMEM_NUMA_BIND, NODE_BIT(0));
	a = gmem_map(fd, len);
	MBIND(a, len, MPOL_BIND, NODE_BIT(1));
	ASSERT_SYS(munmap(a, len));
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, len / 4));
	a = gmem_map(fd, len);
	EXPECT_EQ(policy_at(a, &mask), MPOL_DEFAULT);
	NODES_ARE(a, len / 4, len / 4, 1);
	ASSERT_SYS(munmap(a, len));

	/* another process, its own mapping, its own policy node0 */
	pid = fork();
	ASSERT_SYS(pid);
	if (!pid) {
		unsigned char *c = mmap(NULL, len, PROT_READ | PROT_WRITE,
					MAP_SHARED, fd, 0);

		if (c == MAP_FAILED)
			_exit(2);
		for (size_t off = len / 2; off < len; off += pg)
			c[off] = 1;
		_exit(0);
	}
	ASSERT_SYS(waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	a = gmem_map(fd, len);
	NODES_ARE(a, 0, len, 1);
	NODE_BYTES(fd, 0, len);
}

/* get_mempolicy(MPOL_F_ADDR) on the mapping mbind() was called on. */
static void get_mempolicy_reports(void)
{
	long pg = page_size();
	size_t len = 16 * pg;
	unsigned char *a;
	uint64_t mask;
	int fd, node = -1;

	numa_need_two();
	fd = gmem_new_numa(len, MMAP_SHARED_FD, GMEM_NUMA_BIND, NODE_BIT(0));
	a = gmem_map(fd, len);
	EXPECT_EQ(policy_at(a, &mask), MPOL_DEFAULT);
	MBIND(a, len / 2, MPOL_BIND, NODE_BIT(1));
	MBIND(a + len / 2, len / 2, MPOL_INTERLEAVE, NODE_BIT(0) | NODE_BIT(1));
	EXPECT_EQ(policy_at(a, &mask), MPOL_BIND);
	EXPECT_EQ(mask, NODE_BIT(1));
	EXPECT_EQ(policy_at(a + len - pg, &mask), MPOL_INTERLEAVE);
	EXPECT_EQ(mask, NODE_BIT(0) | NODE_BIT(1));
	/* MPOL_F_NODE | MPOL_F_ADDR: the node of the page there */
	a[0] = 1;
	ASSERT_SYS(syscall(SYS_get_mempolicy, &node, NULL, 0UL, a,
			   MPOL_F_NODE | MPOL_F_ADDR));
	EXPECT_EQ(node, 1);
	MBIND(a, len, MPOL_DEFAULT, 0);
	EXPECT_EQ(policy_at(a, &mask), MPOL_DEFAULT);
}

/* ---- pages already there ---- */

/*
 * mbind() of node1 over pages on node0, with @flags: it returns
 * @want_err, the pages stay where they are (core MM cannot migrate gmem's
 * folios), and the new policy holds for new pages if @applied, else
 * nothing changed.  GMEM_MIGRATE moves them all the same.  On a 4 KiB fd
 * and on a huge fd (one PMD per block on 6.15+, PTEs before).
 */
static void move_strict_case(unsigned int flags, int want_err, bool applied,
			     bool huge)
{
	size_t len = 2 * HUGE;
	int want = applied ? 1 : 0;
	unsigned char *a;
	uint64_t mask;
	int fd, ret, err;

	fd = gmem_new_numa(2 * len, MMAP_SHARED_FD |
			   (huge ? GMEM_CREATE_HUGE : 0), GMEM_NUMA_BIND,
			   NODE_BIT(0));
	a = gmem_map_aligned(fd, 2 * len, HUGE);
	NODES_ARE(a, 0, len, 0);
	ret = do_mbind(a, 2 * len, MPOL_BIND, NODE_BIT(1), flags);
	err = ret ? errno : 0;
	test_diag("%s fd, flags %s%s: %s", huge ? "huge" : "4 KiB",
		  flags & MPOL_MF_MOVE ? "MOVE " : "",
		  flags & MPOL_MF_STRICT ? "STRICT" : "",
		  err ? errno_name(err) : "0");
	if (err != want_err)
		test_fail_at(__FILE__, __LINE__, "mbind: %s, expected %s",
			     err ? errno_name(err) : "0",
			     want_err ? errno_name(want_err) : "0");
	/* the pages there stay */
	NODES_ARE(a, 0, len, 0);
	NODE_BYTES(fd, len, 0);
	EXPECT_EQ(policy_at(a, &mask), applied ? MPOL_BIND : MPOL_DEFAULT);
	if (applied)
		EXPECT_EQ(mask, NODE_BIT(1));
	MBIND_COUNTS(fd, applied, applied);
	NODES_ARE(a, len, len, want);
	/* GMEM_MIGRATE is the way to move them */
	EXPECT_EQ(MIGRATE(fd, 0, 2 * len, 1), applied ? len : 2 * len);
	NODES_ARE(a, 0, 2 * len, 1);
	NODE_BYTES(fd, 0, 2 * len);
	ASSERT_SYS(munmap(a, 2 * len));
	ASSERT_SYS(close(fd));
}

/*
 * What mbind() does with mapped pages on other nodes, the same on 6.1,
 * 6.12 and 7.2: MPOL_MF_MOVE alone returns 0 (it moves what it can, here
 * nothing) with the policy set; MPOL_MF_MOVE | MPOL_MF_STRICT sets the
 * policy and fails with EIO (pages not moved); MPOL_MF_STRICT alone fails
 * with EIO before it sets anything.
 */
static void move_and_strict(void)
{
	numa_need_two();
	for (int huge = 0; huge < 2; huge++) {
		move_strict_case(MPOL_MF_MOVE, 0, true, huge);
		move_strict_case(MPOL_MF_MOVE | MPOL_MF_STRICT, EIO, true,
				 huge);
		move_strict_case(MPOL_MF_STRICT, EIO, false, huge);
	}
}

/* ---- refused ---- */

/*
 * A mode the kernel does not know is refused by the kernel (EINVAL); one
 * gmem cannot follow, MPOL_WEIGHTED_INTERLEAVE (6.9), by gmem: EINVAL from
 * mbind(), and neither the mapping's policy nor the range's changes.
 */
static void refused_modes(void)
{
	long pg = page_size();
	size_t len = 16 * pg;
	unsigned char *a;
	uint64_t mask;
	int fd;

	numa_need_two();
	numa_bind_task(0);
	fd = gmem_new_numa(len, MMAP_SHARED_FD, GMEM_NUMA_BIND, NODE_BIT(0));
	a = gmem_map(fd, len);
	MBIND(a, len, MPOL_BIND, NODE_BIT(1));
	EXPECT_ERRNO(do_mbind(a, len, 99, NODE_BIT(0), 0), EINVAL);
	EXPECT_ERRNO(do_mbind(a, len, MPOL_BIND, 0, 0), EINVAL);
	EXPECT_ERRNO(do_mbind(a + pg, len / 2, MPOL_WEIGHTED_INTERLEAVE,
			      NODE_BIT(0) | NODE_BIT(1), 0), EINVAL);
	EXPECT_EQ(policy_at(a + pg, &mask), MPOL_BIND);
	EXPECT_EQ(mask, NODE_BIT(1));
	MBIND_COUNTS(fd, 1, 1);
	NODES_ARE(a, 0, len, 1);
	if (!kernel_at_least(6, 9))
		test_skip("MPOL_WEIGHTED_INTERLEAVE is 6.9+; this kernel refuses it as an unknown mode");
}

/*
 * Thousands of mbind() calls over random ranges of one mapping, with
 * random policies: every page then follows the last call that covered it,
 * and the fd holds no more policy objects than ranges (none after a last
 * MPOL_DEFAULT over everything).
 */
static void many_overlapping(void)
{
	long pg = page_size();
	const size_t n = 256;
	int want[256];
	struct rng r = { 18 };
	unsigned long long ranges, objects;
	unsigned char *a;
	int fd;

	numa_need_two();
	numa_bind_task(1);
	fd = gmem_new_numa(n * pg, MMAP_SHARED_FD, GMEM_NUMA_BIND, NODE_BIT(0));
	a = gmem_map(fd, n * pg);
	for (size_t i = 0; i < n; i++)
		want[i] = 0;
	for (int k = 0; k < 4000; k++) {
		size_t first = rng_below(&r, n);
		size_t nr = 1 + rng_below(&r, n - first);
		unsigned int what = rng_below(&r, 5);
		int node = what % 2;

		switch (what) {
		case 0:
		case 1:
			MBIND(a + first * pg, nr * pg, MPOL_BIND,
			      NODE_BIT(node));
			break;
		case 2:
		case 3:
			MBIND(a + first * pg, nr * pg, MPOL_PREFERRED,
			      NODE_BIT(node));
			break;
		default:
			MBIND(a + first * pg, nr * pg, MPOL_DEFAULT, 0);
			node = 0;	/* the fd's */
			break;
		}
		for (size_t i = first; i < first + nr; i++)
			want[i] = node;
	}
	ranges = gmem_fdinfo_value(fd, "gmem-mbind-ranges");
	objects = gmem_fdinfo_value(fd, "gmem-mbind-policies");
	test_diag("%llu ranges, %llu policy objects", ranges, objects);
	EXPECT_LE(objects, ranges);
	EXPECT_LE(ranges, n);
	numa_nodes_are_at(__FILE__, __LINE__, a, 0, 0, n * pg, want);
	MBIND(a, n * pg, MPOL_DEFAULT, 0);
	MBIND_COUNTS(fd, 0, 0);
}

static const struct test mbind_tests[] = {
	TEST("BIND node1 on a mapping: fallocate, pwrite and faults put pages there, 4 KiB and huge",
	     bind_every_path),
	TEST("BIND node1: GMEM_POPULATE and resolves of private pages put them there",
	     bind_private_paths, .cleanup = ct_cleanup),
	TEST("mbind of part of a mapping at an offset: only those pages of the fd",
	     partial_range),
	TEST("MPOL_DEFAULT gives the GMEM_CREATE policy back, all or part of a range",
	     default_restores_create_policy),
	TEST("INTERLEAVE {0,1}: fd page i on node i % 2, from a mapping at an odd offset",
	     interleave_pages),
	TEST("INTERLEAVE {0,1} on a huge fd: 2 MiB block b on node b % 2",
	     interleave_huge),
	TEST("PREFERRED and PREFERRED_MANY node1 over an fd bound to node0",
	     preferred),
	TEST("LOCAL: the allocating CPU's node", local),
	TEST("BIND {0,1}: the local node, or the home node set_mempolicy_home_node() names",
	     bind_home_node),
	TEST("the policy outlives munmap, holds for a new mapping and another process",
	     outlives_mapping),
	TEST("get_mempolicy(MPOL_F_ADDR) reports the mapping's mbind policy",
	     get_mempolicy_reports),
	TEST("MPOL_MF_MOVE: 0, pages stay; MOVE|STRICT: EIO, policy set; STRICT: EIO, nothing set; GMEM_MIGRATE moves",
	     move_and_strict, .timeout = 180),
	TEST("unknown modes, empty masks and WEIGHTED_INTERLEAVE: EINVAL, nothing changes",
	     refused_modes),
	TEST("4000 overlapping mbind calls: each page follows the last, no policy left over",
	     many_overlapping, .timeout = 180),
};

DEFINE_SUITE(mbind_suite, "mbind", mbind_tests);
