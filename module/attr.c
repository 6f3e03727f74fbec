// SPDX-License-Identifier: GPL-2.0
/*
 * Which pages of a gmem fd are shared and which are private.
 *
 * A maple tree holds the shared ranges; a gap is private.  Conversions work
 * on ranges and the tree stores a range in one step, so a conversion that
 * fails for lack of memory leaves the state exactly as it was.
 *
 * Writers hold the mapping's invalidate_lock exclusively.  The tree is in
 * RCU mode, so point lookups need no lock (a reader sees each range as it
 * was before a store or after it, never a node being rewritten or freed);
 * range counts take the tree's own lock for a snapshot that is one or the
 * other as a whole.  Shared ranges are kept maximal (a gap is private, and
 * the tree merges gaps), so a lookup of one page also says how far its
 * state reaches: gmem_attr_lookup().
 */
#include <linux/maple_tree.h>
#include <linux/minmax.h>
#include <linux/xarray.h>
#include <uapi/linux/gmem.h>

#include "gmem.h"

#define GMEM_ATTR_SHARED	xa_mk_value(GMEM_SHARED)

int gmem_attr_init(struct gmem_inode *gi, pgoff_t nr_pages, bool shared)
{
	mt_init_flags(&gi->shared, MT_FLAGS_USE_RCU);
	if (!shared)
		return 0;
	return mtree_store_range(&gi->shared, 0, nr_pages - 1,
				 GMEM_ATTR_SHARED, GFP_KERNEL_ACCOUNT);
}

void gmem_attr_destroy(struct gmem_inode *gi)
{
	mtree_destroy(&gi->shared);
}

bool gmem_attr_is_shared(struct gmem_inode *gi, pgoff_t index)
{
	return mtree_load(&gi->shared, index);
}

/*
 * Whether page @index is shared, and the run of pages around it in the
 * same state, [*@first, *@last].  Takes no lock: without the invalidate_lock
 * the answer is only as good as the caller's retry protocol makes it.
 */
bool gmem_attr_lookup(struct gmem_inode *gi, pgoff_t index, pgoff_t *first,
		      pgoff_t *last)
{
	MA_STATE(mas, &gi->shared, index, index);
	void *entry;

	rcu_read_lock();
	entry = mas_walk(&mas);
	*first = mas.index;
	*last = mas.last;
	rcu_read_unlock();
	return entry;
}

/* Number of shared pages in [@start, @end). */
pgoff_t gmem_attr_nr_shared(struct gmem_inode *gi, pgoff_t start, pgoff_t end)
{
	MA_STATE(mas, &gi->shared, start, start);
	pgoff_t nr = 0;
	void *entry;

	mtree_lock(&gi->shared);
	mas_for_each(&mas, entry, end - 1)
		nr += min(mas.last, end - 1) - max(mas.index, start) + 1;
	mtree_unlock(&gi->shared);
	return nr;
}

/* Make [@start, @end) wholly shared or wholly private, or fail unchanged. */
int gmem_attr_set(struct gmem_inode *gi, pgoff_t start, pgoff_t end,
		  bool shared)
{
	pgoff_t first = start, last = end - 1, lo, hi;

	lockdep_assert_held_write(&gi->inode->i_mapping->invalidate_lock);
	/* One entry for a run of shared pages however it was converted. */
	if (shared && start && gmem_attr_lookup(gi, start - 1, &lo, &hi))
		first = lo;
	if (shared && gmem_attr_lookup(gi, end, &lo, &hi))
		last = hi;
	return mtree_store_range(&gi->shared, first, last,
				 shared ? GMEM_ATTR_SHARED : NULL,
				 GFP_KERNEL_ACCOUNT);
}
