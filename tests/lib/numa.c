// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"
#include "numa.h"

#define NODE_DIR	"/sys/devices/system/node"

/*
 * A sysfs node list ("0", "0-1", "0,2-3", "") as a mask of the nodes below
 * 64; *@highest gets the highest node listed, -1 for none.  -errno if the
 * file cannot be read.
 */
static int read_node_list(const char *name, uint64_t *mask, int *highest)
{
	char path[128], buf[256], *p;
	FILE *f;

	*mask = 0;
	*highest = -1;
	snprintf(path, sizeof(path), "%s/%s", NODE_DIR, name);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	p = buf;
	while (*p && *p != '\n') {
		char *end;
		long lo = strtol(p, &end, 10), hi = lo;

		if (end == p)
			return -EINVAL;
		p = end;
		if (*p == '-') {
			hi = strtol(p + 1, &end, 10);
			if (end == p + 1)
				return -EINVAL;
			p = end;
		}
		for (long n = lo; n <= hi; n++)
			if (n < 64)
				*mask |= 1ULL << n;
		if (hi > *highest)
			*highest = hi;
		if (*p == ',')
			p++;
	}
	return 0;
}

int numa_possible(void)
{
	uint64_t mask;
	int highest;

	if (read_node_list("possible", &mask, &highest) || highest < 0)
		return 1;
	return highest + 1;
}

uint64_t numa_mem_mask(void)
{
	uint64_t mask;
	int highest;

	if (read_node_list("has_memory", &mask, &highest) || !mask)
		return 1;
	return mask;
}

int numa_count(uint64_t mask)
{
	return __builtin_popcountll(mask);
}

void numa_need_two(void)
{
	uint64_t mask = numa_mem_mask();

	if ((mask & 3) != 3)
		test_skip("needs node0 and node1 with memory; nodes with memory here: %#llx (NUMA=2 guests have two)",
			  (unsigned long long)mask);
}

long long numa_free_kb(int node)
{
	char path[128], line[256], key[64];
	long long val = -1;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "%s/node%d/meminfo", NODE_DIR, node);
	snprintf(key, sizeof(key), "Node %d MemFree:", node);
	n = strlen(key);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) &&
		    sscanf(line + n, "%lld", &val) == 1)
			break;
	fclose(f);
	return val;
}

long long numa_hint_faults(void)
{
	long long val = 0;
	char line[128];
	FILE *f = fopen("/proc/vmstat", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "numa_hint_faults %lld", &val) == 1)
			break;
	fclose(f);
	return val;
}

void numa_nodes_of(void *addr, size_t n, size_t stride, int *nodes)
{
	void **pages = calloc(n, sizeof(*pages));

	ASSERT_TRUE(pages != NULL);
	for (size_t i = 0; i < n; i++) {
		pages[i] = (unsigned char *)addr + i * stride;
		nodes[i] = -EINVAL;
	}
	if (syscall(SYS_move_pages, 0, n, pages, NULL, nodes, 0))
		FAIL("move_pages (query) of %zu pages at %p: %s", n, addr,
		     errno_name(errno));
	free(pages);
}

int numa_node_of(void *addr)
{
	int node;

	numa_nodes_of(addr, 1, 0, &node);
	return node;
}

void numa_nodes_are_at(const char *file, int line, unsigned char *a,
		       uint64_t base, uint64_t off, uint64_t len,
		       const int *want)
{
	long pg = page_size();
	size_t n = len / pg;
	int *got = calloc(n, sizeof(*got));
	unsigned int wrong = 0;

	ASSERT_TRUE(got != NULL);
	for (size_t i = 0; i < n; i++)
		(void)*(volatile unsigned char *)(a + off + i * pg);
	numa_nodes_of(a + off, n, pg, got);
	for (size_t i = 0; i < n; i++) {
		uint64_t index = base + off / pg + i;
		int w = want[index];

		if (w >= 0 && got[i] != w && wrong++ < 4)
			test_fail_at(file, line, "page %llu is on node %d, expected node %d",
				     (unsigned long long)index, got[i], w);
	}
	if (wrong > 4)
		test_fail_at(file, line, "%u pages in all on the wrong node",
			     wrong);
	free(got);
}

/* @want for fd pages [0, (@off + @len) / page) from @node(n, @arg). */
static void nodes_by(const char *file, int line, unsigned char *a,
		     uint64_t off, uint64_t len, int (*node)(uint64_t, uint64_t),
		     uint64_t arg)
{
	size_t n = (off + len) / page_size();
	int *want = malloc(n * sizeof(*want));

	ASSERT_TRUE(want != NULL);
	for (size_t i = 0; i < n; i++)
		want[i] = node(i, arg);
	numa_nodes_are_at(file, line, a, 0, off, len, want);
	free(want);
}

static int node_const(uint64_t index, uint64_t node)
{
	(void)index;
	return (int)node;
}

static int node_interleave(uint64_t index, uint64_t unit)
{
	return (index / unit) % 2;
}

void numa_nodes_const_at(const char *file, int line, unsigned char *a,
			 uint64_t off, uint64_t len, int node)
{
	nodes_by(file, line, a, off, len, node_const, (uint64_t)node);
}

void numa_nodes_interleave_at(const char *file, int line, unsigned char *a,
			      uint64_t off, uint64_t len, uint64_t unit)
{
	nodes_by(file, line, a, off, len, node_interleave, unit);
}

int numa_set_policy(int mode, uint64_t mask)
{
	unsigned long words[2] = { mask, 0 };

	if (syscall(SYS_set_mempolicy, mode, mode == MPOL_DEFAULT ? NULL : words,
		    mode == MPOL_DEFAULT ? 0UL : 8 * sizeof(words)))
		return -errno;
	return 0;
}

void numa_bind_task(int node)
{
	int ret = numa_set_policy(MPOL_BIND, 1ULL << node);

	if (ret)
		FAIL("set_mempolicy(MPOL_BIND, node%d): %s", node,
		     errno_name(-ret));
}

void numa_no_balancing(void)
{
	int ret = numa_set_policy(MPOL_LOCAL, 0);

	/* ENOSYS: a kernel without NUMA, which balances nothing */
	if (ret && ret != -ENOSYS)
		FAIL("set_mempolicy(MPOL_LOCAL): %s", errno_name(-ret));
}
