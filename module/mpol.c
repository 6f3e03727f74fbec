// SPDX-License-Identifier: GPL-2.0
/*
 * Memory policies that mbind() gives ranges of an fd (QEMU's host-nodes=
 * and policy= do this to guest RAM).
 *
 * Core MM calls ->set_policy for every mapping of the fd that an mbind()
 * covers, with the new policy of the whole VMA.  gmem copies its mode,
 * nodes and home node into an object of its own and stores that for the
 * VMA's range of the file, [vm_pgoff, vm_pgoff + vma_pages(vma)), in a
 * maple tree: a policy belongs to the memory, as shmem's do, so it holds
 * for every mapping, for write(), fallocate(), GMEM_POPULATE and
 * consumers, and outlives the mapping.  gmem never keeps the kernel's
 * struct mempolicy: the functions that count references on one are not
 * exported to modules before 7.2, and one store on every kernel is one
 * behaviour to test.  MPOL_DEFAULT (a NULL policy) takes the range out of
 * the tree, so the policy given at GMEM_CREATE applies to it again.
 *
 * There is no ->get_policy: get_mempolicy(MPOL_F_ADDR) then reports the
 * VMA's own policy, which mbind() set on the VMA itself, and handing core
 * MM gmem's objects as struct mempolicy would need references it could
 * drop with __mpol_put().
 *
 * Objects are immutable once stored.  Storing part of a range leaves one
 * object under several ranges, so after each store a mark pass over the
 * tree finds the objects no range refers to any more (stores are rare,
 * one per mbind() and mapping).  Allocation looks the tree up under RCU
 * only, copies the policy out and lets go, so unreferenced objects are
 * freed after a grace period.  Stores are serialized per fd by mpol_lock;
 * they run under the caller's mmap_lock, which nothing under mpol_lock
 * takes.
 */
#include <linux/maple_tree.h>
#include <linux/mempolicy.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "gmem.h"

/* A range's policy, as mbind() gave it. */
struct gmem_mpol {
	struct rcu_head rcu;
	struct list_head node;		/* in gmem_inode.mpols */
	unsigned long mark;		/* last mark pass that found it used */
	struct gmem_policy policy;
};

void gmem_mpol_init(struct gmem_inode *gi)
{
	mt_init_flags(&gi->mpol, MT_FLAGS_USE_RCU);
	mutex_init(&gi->mpol_lock);
	INIT_LIST_HEAD(&gi->mpols);
}

/* At eviction: nothing can look the tree up any more. */
void gmem_mpol_destroy(struct gmem_inode *gi)
{
	struct gmem_mpol *mp, *tmp;

	mtree_destroy(&gi->mpol);
	list_for_each_entry_safe(mp, tmp, &gi->mpols, node)
		kfree(mp);
	mutex_destroy(&gi->mpol_lock);
}

/**
 * gmem_mpol_lookup - the policy mbind() gave the page at @index
 * @gi: the fd's state
 * @index: page index
 * @policy: out: a copy of the policy
 *
 * Takes no lock: an allocation racing an mbind() may follow the old
 * policy or the new one, as with any other file.
 *
 * Return: whether the page has one.
 */
bool gmem_mpol_lookup(struct gmem_inode *gi, pgoff_t index,
		      struct gmem_policy *policy)
{
	struct gmem_mpol *mp;

	if (mtree_empty(&gi->mpol))
		return false;
	rcu_read_lock();
	mp = mtree_load(&gi->mpol, index);
	if (mp)
		*policy = mp->policy;
	rcu_read_unlock();
	return mp;
}

/*
 * Frees the objects no range refers to any more.  The caller holds
 * mpol_lock, so the tree cannot change under the walk.
 */
static void gmem_mpol_sweep(struct gmem_inode *gi)
{
	MA_STATE(mas, &gi->mpol, 0, 0);
	unsigned long mark = ++gi->mpol_mark;
	struct gmem_mpol *mp, *tmp;

	lockdep_assert_held(&gi->mpol_lock);
	rcu_read_lock();
	mas_for_each(&mas, mp, ULONG_MAX)
		mp->mark = mark;
	rcu_read_unlock();

	list_for_each_entry_safe(mp, tmp, &gi->mpols, node) {
		if (mp->mark == mark)
			continue;
		list_del(&mp->node);
		kfree_rcu(mp, rcu);
	}
}

/*
 * For fdinfo: how many ranges have a policy of their own and how many
 * objects hold them (no more than the ranges, or one went unfreed).
 */
void gmem_mpol_counts(struct gmem_inode *gi, unsigned long *ranges,
		      unsigned long *objects)
{
	MA_STATE(mas, &gi->mpol, 0, 0);
	struct gmem_mpol *mp;

	*ranges = 0;
	*objects = 0;
	mutex_lock(&gi->mpol_lock);
	rcu_read_lock();
	mas_for_each(&mas, mp, ULONG_MAX)
		(*ranges)++;
	rcu_read_unlock();
	list_for_each_entry(mp, &gi->mpols, node)
		(*objects)++;
	mutex_unlock(&gi->mpol_lock);
}

#ifdef CONFIG_NUMA
/*
 * Copies what allocation needs of @new.  The kernel has already checked
 * the nodes against the task's cpuset and the nodes with memory.
 */
static int gmem_policy_from_mempolicy(struct gmem_policy *policy,
				      const struct mempolicy *new)
{
	policy->mode = new->mode;
	policy->home_node = new->home_node;
	policy->nodes = new->nodes;
	policy->nr_nodes = nodes_weight(new->nodes);

	switch (new->mode) {
	case MPOL_LOCAL:
		return 0;
	case MPOL_PREFERRED:
	case MPOL_BIND:
	case MPOL_PREFERRED_MANY:
	case MPOL_INTERLEAVE:
		return policy->nr_nodes ? 0 : -EINVAL;
	default:
		/*
		 * MPOL_WEIGHTED_INTERLEAVE (6.9): its weights are the
		 * kernel's, not readable by a module, and any mode added
		 * later gmem does not know how to follow.  Refusing makes
		 * mbind() fail with EINVAL and change nothing.
		 */
		return -EINVAL;
	}
}

/**
 * gmem_set_policy - vm_operations_struct.set_policy of a gmem mapping
 * @vma: the mapping, its range of the file the one to change
 * @new: the new policy, or NULL (MPOL_DEFAULT) to remove the range's
 *
 * Called by mbind() and set_mempolicy_home_node() with the mmap_lock held
 * for writing.  On an error nothing has changed.
 *
 * Return: 0, -EINVAL for a mode gmem cannot follow, -ENOMEM.
 */
int gmem_set_policy(struct vm_area_struct *vma, struct mempolicy *new)
{
	struct inode *inode = file_inode(vma->vm_file);
	struct gmem_inode *gi = GMEM_I(inode);
	pgoff_t nr_pages = gmem_nr_pages(inode);
	pgoff_t start = vma->vm_pgoff;
	pgoff_t last = start + vma_pages(vma) - 1;
	struct gmem_mpol *mp = NULL;
	int err;

	if (new && new->mode != MPOL_DEFAULT) {
		mp = kzalloc(sizeof(*mp), GFP_KERNEL_ACCOUNT);
		if (!mp)
			return -ENOMEM;
		err = gmem_policy_from_mempolicy(&mp->policy, new);
		if (err)
			goto out_free;
	}
	/* Pages past the end cannot be allocated: nothing to keep for them. */
	if (start >= nr_pages) {
		err = 0;
		goto out_free;
	}
	last = min(last, nr_pages - 1);

	mutex_lock(&gi->mpol_lock);
	/* A failed store leaves the tree as it was (and @mp unseen). */
	err = mtree_store_range(&gi->mpol, start, last, mp,
				GFP_KERNEL_ACCOUNT);
	if (!err) {
		if (mp)
			list_add(&mp->node, &gi->mpols);
		gmem_mpol_sweep(gi);
	}
	mutex_unlock(&gi->mpol_lock);
	if (!err)
		return 0;
out_free:
	kfree(mp);
	return err;
}
#endif /* CONFIG_NUMA */
