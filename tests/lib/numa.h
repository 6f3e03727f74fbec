/* SPDX-License-Identifier: GPL-2.0 */
/*
 * NUMA for the tests, without libnuma: the nodes the kernel knows and
 * which have memory (sysfs), where a mapped page lives (move_pages(2)
 * with no target nodes) and the task's memory policy (set_mempolicy(2)).
 */
#ifndef GMEM_TESTS_NUMA_H
#define GMEM_TESTS_NUMA_H

#include <stddef.h>
#include <stdint.h>

/* Memory policies (numaif.h is libnuma's; the values are the kernel's). */
#ifndef MPOL_DEFAULT
#define MPOL_DEFAULT		0
#define MPOL_PREFERRED		1
#define MPOL_BIND		2
#define MPOL_INTERLEAVE		3
#endif
#ifndef MPOL_LOCAL
#define MPOL_LOCAL		4
#endif
#ifndef MPOL_PREFERRED_MANY
#define MPOL_PREFERRED_MANY	5
#endif
#ifndef MPOL_WEIGHTED_INTERLEAVE
#define MPOL_WEIGHTED_INTERLEAVE 6
#endif
#ifndef MPOL_F_STATIC_NODES
#define MPOL_F_STATIC_NODES	(1 << 15)
#define MPOL_F_RELATIVE_NODES	(1 << 14)
#endif
#ifndef MPOL_F_NUMA_BALANCING
#define MPOL_F_NUMA_BALANCING	(1 << 13)
#endif
#ifndef MPOL_MF_STRICT
#define MPOL_MF_STRICT		(1 << 0)
#endif
#ifndef MPOL_MF_MOVE
#define MPOL_MF_MOVE		(1 << 1)
#endif
#ifndef MPOL_MF_MOVE_ALL
#define MPOL_MF_MOVE_ALL	(1 << 2)
#endif
#ifndef MPOL_F_NODE
#define MPOL_F_NODE		(1 << 0)
#define MPOL_F_ADDR		(1 << 1)
#define MPOL_F_MEMS_ALLOWED	(1 << 2)
#endif

/*
 * The number of possible nodes (nr_node_ids: the highest node in
 * /sys/devices/system/node/possible, plus one); 1 without NUMA.
 */
int numa_possible(void);

/* Nodes (below 64) with memory, as a mask; bit 0 without NUMA. */
uint64_t numa_mem_mask(void);

/* Number of bits set in @mask. */
int numa_count(uint64_t mask);

/*
 * In a test: skip it unless node0 and node1 both have memory (the guests
 * boot with two nodes, NUMA=2).
 */
void numa_need_two(void);

/* MemFree of node @node in kB, or -1. */
long long numa_free_kb(int node);

/*
 * NUMA hinting faults so far, system wide (/proc/vmstat; 0 without
 * NUMA balancing).  On a guest with two nodes the balancer makes PTEs
 * inaccessible at any time, and the next access takes a minor fault of
 * its own: a test that counts faults subtracts these.
 */
long long numa_hint_faults(void);

/*
 * Keeps NUMA balancing off the task's mappings from now on: it scans only
 * those whose policy is the default (MPOL_F_MOF), and a task policy of
 * MPOL_LOCAL places pages where the default does.  The tests run in a
 * child each, so this ends with the test.
 */
void numa_no_balancing(void);

/*
 * The node of each of the @n pages at @addr, @addr + @stride, ... in
 * @nodes (move_pages(2) without targets): a node, or a negative errno for
 * a page that is not there (-ENOENT).  Fails the test if the call does.
 */
void numa_nodes_of(void *addr, size_t n, size_t stride, int *nodes);

/* The node of the page at @addr, or a negative errno. */
int numa_node_of(void *addr);

/*
 * In a test: every page of [@off, @off + @len) of the mapping @a (of fd
 * page @base + i for page i of the mapping) is touched, then fd page n
 * must be on @want[n] (-1: any node).  Fails the test at @file:@line,
 * naming the first few pages that are elsewhere.
 */
void numa_nodes_are_at(const char *file, int line, unsigned char *a,
		       uint64_t base, uint64_t off, uint64_t len,
		       const int *want);

/* The same for a mapping from fd offset 0, every page on @node. */
void numa_nodes_const_at(const char *file, int line, unsigned char *a,
			 uint64_t off, uint64_t len, int node);

/*
 * The same for a mapping from fd offset 0 interleaved over nodes 0 and 1
 * in units of @unit pages: fd page n on node (n / @unit) % 2.
 */
void numa_nodes_interleave_at(const char *file, int line, unsigned char *a,
			      uint64_t off, uint64_t len, uint64_t unit);

#define NODES_ARE(a, off, len, n)					\
	numa_nodes_const_at(__FILE__, __LINE__, a, off, len, n)
#define NODES_INTERLEAVE(a, off, len, unit)				\
	numa_nodes_interleave_at(__FILE__, __LINE__, a, off, len, unit)

/*
 * fdinfo's gmem-node<N> lines of @fd say @n0 bytes on node0 and @n1 on
 * node1, and add up to GMEM_INFO's allocated (gmem_node_bytes_at(),
 * gmemfd.h).
 */
#define NODE_BYTES(fd, n0, n1)						\
	gmem_node_bytes_at(__FILE__, __LINE__, fd, n0, n1, true)

/* set_mempolicy(@mode, @mask) for the calling thread; 0 or -errno. */
int numa_set_policy(int mode, uint64_t mask);

/*
 * The calling thread's own policy MPOL_BIND to @node, so that a test sees
 * gmem place pages by a policy of its own and not the task's; fails the
 * test if the kernel refuses.
 */
void numa_bind_task(int node);

#endif /* GMEM_TESTS_NUMA_H */
