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
 *
 * Beside the tree, a bitmap with a bit per 2 MiB block says which blocks
 * may hold a shared page.  No folio and no max_order is larger than a
 * block, so a private resolve in a block whose bit is clear needs neither
 * the page's state nor its run from the tree: every page it could map is
 * private.  That is the common resolve of a guest that shares a few pages
 * for its devices, and a walk of the tree costs it more than its lookup of
 * the folio (gmem_attr_block_private()).  A set bit only says "ask the
 * tree": it is set when a page of the block becomes shared, and cleared
 * once the tree holds no shared page of the block.  Its writers are the
 * tree's, under the exclusive invalidate_lock and inside the conversion's
 * invalidate_begin/end, so a lockless reader's stale answer is one the
 * consumer's retry protocol throws away, as a stale walk of the tree is.
 * The bitmap comes with the fd's first shared page (at creation, or the
 * first conversion to shared) and stays until the fd goes: an fd that is
 * only ever private has none, and it costs 64 bytes a GiB.
 */
#include <linux/bitmap.h>
#include <linux/maple_tree.h>
#include <linux/minmax.h>
#include <linux/slab.h>
#include <linux/xarray.h>
#include <uapi/linux/gmem.h>

#include "gmem.h"

#define GMEM_ATTR_SHARED	xa_mk_value(GMEM_SHARED)

static pgoff_t gmem_attr_nr_blocks(pgoff_t nr_pages)
{
	return DIV_ROUND_UP(nr_pages, GMEM_HUGE_NR);
}

static unsigned long *gmem_attr_alloc_blocks(pgoff_t nr_pages)
{
	return kvcalloc(BITS_TO_LONGS(gmem_attr_nr_blocks(nr_pages)),
			sizeof(unsigned long), GFP_KERNEL_ACCOUNT);
}

int gmem_attr_init(struct gmem_inode *gi, pgoff_t nr_pages, bool shared)
{
	unsigned long *blocks;
	int err;

	mt_init_flags(&gi->shared, MT_FLAGS_USE_RCU);
	if (!shared)
		return 0;
	blocks = gmem_attr_alloc_blocks(nr_pages);
	if (!blocks)
		return -ENOMEM;
	bitmap_fill(blocks, gmem_attr_nr_blocks(nr_pages));
	err = mtree_store_range(&gi->shared, 0, nr_pages - 1,
				GMEM_ATTR_SHARED, GFP_KERNEL_ACCOUNT);
	if (err) {
		kvfree(blocks);
		return err;
	}
	gi->shared_blocks = blocks;
	return 0;
}

void gmem_attr_destroy(struct gmem_inode *gi)
{
	mtree_destroy(&gi->shared);
	kvfree(gi->shared_blocks);
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

static bool gmem_attr_block_has_shared(struct gmem_inode *gi, pgoff_t block)
{
	return gmem_attr_nr_shared(gi, block << GMEM_HUGE_ORDER,
				   (block + 1) << GMEM_HUGE_ORDER);
}

/*
 * After [@start, @end) became private: clear the bits of the blocks it
 * touches that hold no shared page now.  The blocks inside it hold none;
 * the two at its ends may still, outside it.
 */
static void gmem_attr_clear_blocks(struct gmem_inode *gi, pgoff_t start,
				   pgoff_t end)
{
	pgoff_t first = start >> GMEM_HUGE_ORDER;
	pgoff_t after = ((end - 1) >> GMEM_HUGE_ORDER) + 1;

	if (gmem_attr_block_has_shared(gi, first))
		first++;
	if (after > first && gmem_attr_block_has_shared(gi, after - 1))
		after--;
	if (after > first)
		bitmap_clear(gi->shared_blocks, first, after - first);
}

/* Make [@start, @end) wholly shared or wholly private, or fail unchanged. */
int gmem_attr_set(struct gmem_inode *gi, pgoff_t start, pgoff_t end,
		  bool shared)
{
	unsigned long *blocks = gi->shared_blocks;
	pgoff_t first = start, last = end - 1, lo, hi;
	int err;

	lockdep_assert_held_write(&gi->inode->i_mapping->invalidate_lock);
	if (shared && !blocks) {
		blocks = gmem_attr_alloc_blocks(gmem_nr_pages(gi->inode));
		if (!blocks)
			return -ENOMEM;
	}
	/* One entry for a run of shared pages however it was converted. */
	if (shared && start && gmem_attr_lookup(gi, start - 1, &lo, &hi))
		first = lo;
	if (shared && gmem_attr_lookup(gi, end, &lo, &hi))
		last = hi;
	err = mtree_store_range(&gi->shared, first, last,
				shared ? GMEM_ATTR_SHARED : NULL,
				GFP_KERNEL_ACCOUNT);
	if (err) {
		if (blocks != gi->shared_blocks)
			kvfree(blocks);
		return err;
	}

	if (shared) {
		first = start >> GMEM_HUGE_ORDER;
		last = (end - 1) >> GMEM_HUGE_ORDER;
		bitmap_set(blocks, first, last + 1 - first);
		/* A first map: its bits are set before a reader finds it. */
		smp_store_release(&gi->shared_blocks, blocks);
	} else if (blocks) {
		gmem_attr_clear_blocks(gi, start, end);
	}
	return 0;
}
