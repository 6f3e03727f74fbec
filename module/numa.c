// SPDX-License-Identifier: GPL-2.0
/*
 * NUMA placement chosen at GMEM_CREATE.  gmem applies the policy itself at
 * every allocation, so the node a page lands on depends on the fd and the
 * page's offset, not on which task (VMM thread, vCPU, consumer) happened to
 * touch it first.
 */
#include <linux/gfp.h>
#include <linux/mempolicy.h>
#include <linux/mm.h>
#include <linux/nodemask.h>
#include <linux/slab.h>
#include <linux/topology.h>
#include <linux/uaccess.h>
#include <uapi/linux/gmem.h>

#include "gmem.h"

/* The node mask is at most this many bits (as mbind() bounds its own). */
#define GMEM_MAXNODE_LIMIT	(PAGE_SIZE * BITS_PER_BYTE)

bool gmem_node_valid(u32 node)
{
	return node < nr_node_ids && node_state(node, N_MEMORY);
}

/*
 * Reads the user's node mask: bit n of the mask is bit n % 64 of __u64
 * word n / 64.  Bits at maxnode and above are ignored, as mbind() does.
 */
static int gmem_nodes_from_user(nodemask_t *nodes, u32 maxnode, u64 unodes)
{
	u64 __user *uwords = u64_to_user_ptr(unodes);
	unsigned int nr_words = DIV_ROUND_UP(maxnode, 64);
	unsigned int bit, i;
	int err = 0;
	u64 *words;

	words = kmalloc_array(nr_words, sizeof(*words), GFP_KERNEL);
	if (!words)
		return -ENOMEM;
	if (copy_from_user(words, uwords, nr_words * sizeof(*words))) {
		err = -EFAULT;
		goto out;
	}
	if (maxnode % 64)
		words[nr_words - 1] &= (1ULL << (maxnode % 64)) - 1;

	nodes_clear(*nodes);
	for (i = 0; i < nr_words; i++) {
		for (; words[i]; words[i] &= words[i] - 1) {
			bit = i * 64 + __ffs64(words[i]);
			if (!gmem_node_valid(bit)) {
				err = -EINVAL;
				goto out;
			}
			node_set(bit, *nodes);
		}
	}
	if (nodes_empty(*nodes))
		err = -EINVAL;
out:
	kfree(words);
	return err;
}

/**
 * gmem_numa_from_user - validate the NUMA fields of struct gmem_create
 * @numa: out: the policy
 * @mode: GMEM_NUMA_*
 * @maxnode: bits in the mask
 * @unodes: user pointer to the mask
 *
 * Return: 0, -EINVAL for an unknown mode, a mask given with
 * GMEM_NUMA_DEFAULT or missing with another mode, an empty mask, a node
 * that does not exist or has no memory, or more than one node for
 * GMEM_NUMA_PREFERRED; -EFAULT if the mask cannot be read; -ENOMEM.
 */
int gmem_numa_from_user(struct gmem_numa *numa, u32 mode, u32 maxnode,
			u64 unodes)
{
	int err;

	memset(numa, 0, sizeof(*numa));
	switch (mode) {
	case GMEM_NUMA_DEFAULT:
		return maxnode || unodes ? -EINVAL : 0;
	case GMEM_NUMA_BIND:
	case GMEM_NUMA_PREFERRED:
	case GMEM_NUMA_INTERLEAVE:
		break;
	default:
		return -EINVAL;
	}
	if (!maxnode || maxnode > GMEM_MAXNODE_LIMIT || !unodes)
		return -EINVAL;

	err = gmem_nodes_from_user(&numa->nodes, maxnode, unodes);
	if (err)
		return err;
	numa->mode = mode;
	numa->nr_nodes = nodes_weight(numa->nodes);
	if (mode == GMEM_NUMA_PREFERRED && numa->nr_nodes != 1)
		return -EINVAL;
	return 0;
}

/* The ((index / unit) % @nr_nodes)-th node of @nodes. */
static int gmem_interleave_node(const nodemask_t *nodes, unsigned int nr_nodes,
				pgoff_t index, bool huge)
{
	unsigned long nth = (huge ? index >> GMEM_HUGE_ORDER : index) %
			    nr_nodes;
	int node;

	for_each_node_mask(node, *nodes)
		if (!nth--)
			break;
	return node;
}

/*
 * Places a folio by a policy mbind() gave its range, as the kernel's own
 * modes would, but for MPOL_INTERLEAVE, which goes by file offset like
 * GMEM_NUMA_INTERLEAVE so that every path that allocates a page agrees.
 * A home node (set_mempolicy_home_node()) is where MPOL_BIND and
 * MPOL_PREFERRED_MANY start looking, as in the kernel.
 */
static struct folio *gmem_policy_alloc(struct gmem_policy *pol, gfp_t gfp,
				       unsigned int order, pgoff_t index,
				       bool huge)
{
	nodemask_t *nodes = &pol->nodes;
	int node = numa_node_id();
	struct folio *folio;

	switch (pol->mode) {
	case MPOL_PREFERRED:
		return __folio_alloc(gfp, order, first_node(*nodes), NULL);
	case MPOL_BIND:
		if (pol->home_node != NUMA_NO_NODE)
			node = pol->home_node;
		else if (!node_isset(node, *nodes))
			node = first_node(*nodes);
		return __folio_alloc(gfp, order, node, nodes);
	case MPOL_PREFERRED_MANY:
		if (pol->home_node != NUMA_NO_NODE)
			node = pol->home_node;
		/* The set without a fight, then anywhere, as the kernel does. */
		folio = __folio_alloc((gfp | __GFP_NOWARN) &
				      ~(__GFP_DIRECT_RECLAIM | __GFP_NOFAIL),
				      order, node, nodes);
		return folio ?: __folio_alloc(gfp, order, node, NULL);
	case MPOL_INTERLEAVE:
		node = gmem_interleave_node(nodes, pol->nr_nodes, index, huge);
		return __folio_alloc(gfp, order, node, nodes);
	default:	/* MPOL_LOCAL */
		return __folio_alloc(gfp, order, node, NULL);
	}
}

/**
 * gmem_numa_alloc - allocate a folio where the fd's policy says
 * @gi: the fd's state
 * @gfp: allocation flags
 * @order: folio order
 * @index: page index the folio will hold (first page)
 *
 * The policy mbind() gave the range comes first, then the one given at
 * GMEM_CREATE.
 *
 * Return: the folio, or NULL.
 */
struct folio *gmem_numa_alloc(struct gmem_inode *gi, gfp_t gfp,
			      unsigned int order, pgoff_t index)
{
	const struct gmem_numa *numa = &gi->numa;
	bool huge = gi->flags & GMEM_CREATE_HUGE;
	struct gmem_policy pol;
	int node;

	/*
	 * A huge fd's 2 MiB block follows one policy, that of its first
	 * page, also when it gets 4 KiB folios.
	 */
	if (gmem_mpol_lookup(gi, huge ? round_down(index, GMEM_HUGE_NR) : index,
			     &pol))
		return gmem_policy_alloc(&pol, gfp, order, index, huge);

	switch (numa->mode) {
	case GMEM_NUMA_PREFERRED:
		return __folio_alloc(gfp, order, first_node(numa->nodes), NULL);
	case GMEM_NUMA_BIND:
		/* The local node when the set allows it, like MPOL_BIND. */
		node = numa_node_id();
		if (!node_isset(node, numa->nodes))
			node = first_node(numa->nodes);
		return __folio_alloc(gfp, order, node, (nodemask_t *)&numa->nodes);
	case GMEM_NUMA_INTERLEAVE:
		node = gmem_interleave_node(&numa->nodes, numa->nr_nodes, index,
					    huge);
		return __folio_alloc(gfp, order, node, (nodemask_t *)&numa->nodes);
	default:
		/* The allocating task's own mempolicy. */
		return folio_alloc(gfp, order);
	}
}
