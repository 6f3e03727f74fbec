// SPDX-License-Identifier: GPL-2.0
/*
 * GMEM_MIGRATE: the VMM moves guest memory between NUMA nodes.
 *
 * Core MM may not migrate gmem's folios (->migrate_folio refuses): a bound
 * consumer may have handed a pfn to hardware, and core MM would not ask it
 * to let go.  gmem can: with the invalidate_lock held exclusively it tells
 * every consumer to drop the range, zaps host mappings, and only then
 * copies each folio to a new one on the target node and swaps them in the
 * page cache in one step, so no lookup ever finds the index empty and no
 * failure can lose the data.  Consumers resolve the new pages after
 * invalidate_end.
 *
 * GMEM_MIGRATE_COLLAPSE re-forms 2 MiB folios of a GMEM_CREATE_HUGE fd out
 * of blocks that a partial punch split, or that got 4 KiB pages when no
 * 2 MiB folio was free.  There is no way for a module to swap many page
 * cache entries for one in a step, so the block's folios are all locked
 * and copied first, then taken out and the new folio put in with an
 * allocation that cannot fail; the exclusive invalidate_lock keeps every
 * lookup away while the block is empty.
 */
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/swap.h>

#include "compat.h"
#include "gmem.h"
#include "gmem_trace.h"

/*
 * Copies @old into a new folio on @node and swaps that in, in one step
 * that cannot fail: everything that can (the max_total charge, the
 * allocation) happens while @old is still in place, so an error leaves
 * the fd as it was.  The memory cgroup charge moves with the page cache
 * entry, and @old's ->free_folio gives back its max_total charge.
 */
static int gmem_move_folio(struct inode *inode, struct folio *old, int node)
{
	unsigned int order = folio_order(old);
	long i, nr = folio_nr_pages(old);
	struct folio *new;

	lockdep_assert_held_write(&inode->i_mapping->invalidate_lock);
	if (!gmem_charge(nr))
		return -ENOSPC;
	new = gmem_alloc_folio_copy(GMEM_I(inode), old->index, order, node);
	if (!new) {
		gmem_uncharge(nr);
		return -ENOMEM;
	}

	folio_lock(old);
	for (i = 0; i < nr; i++)
		copy_highpage(folio_page(new, i), folio_page(old, i));
	__folio_set_locked(new);
	__folio_mark_uptodate(new);
	/*
	 * The page cache holds a reference per page of a folio, and the
	 * replacement moves only one of them.
	 */
	folio_ref_add(new, nr - 1);
	/* The old folio must leave without private data, as from truncation. */
	if (folio_test_private(old))
		folio_detach_private(old);
	gmem_replace_page_cache(old, new);
	folio_put_refs(old, nr - 1);
	folio_mark_dirty(new);
	gmem_folio_guard_split(new);
	folio_add_lru(new);
	folio_unlock(new);
	folio_put(new);
	folio_unlock(old);
	return 0;
}

/*
 * Takes a reference on each folio of block [@blk, @blk + GMEM_HUGE_NR)
 * into @small.  The block qualifies for a collapse if its folios cover
 * every page, are each smaller than the block and hold no poisoned page.
 *
 * Return: how many folios @small holds if it qualifies, else 0 (and
 * @small holds none).
 */
static unsigned int gmem_collapse_gather(struct inode *inode, pgoff_t blk,
					 struct folio **small)
{
	struct address_space *mapping = inode->i_mapping;
	pgoff_t index = blk, next = blk, end = blk + GMEM_HUGE_NR;
	struct folio_batch fbatch;
	unsigned int i, n = 0;
	bool ok = true;

	if (gmem_range_poisoned(GMEM_I(inode), blk, GMEM_HUGE_NR))
		return 0;
	folio_batch_init(&fbatch);
	while (ok && filemap_get_folios(mapping, &index, end - 1, &fbatch)) {
		for (i = 0; i < folio_batch_count(&fbatch); i++) {
			struct folio *folio = fbatch.folios[i];

			ok = ok && folio->index == next &&
			     folio_nr_pages(folio) < GMEM_HUGE_NR &&
			     !gmem_folio_has_poison(folio);
			if (!ok)
				break;
			next += folio_nr_pages(folio);
			folio_get(folio);
			small[n++] = folio;
		}
		folio_batch_release(&fbatch);
	}
	if (ok && next == end)
		return n;
	while (n)
		folio_put(small[--n]);
	return 0;
}

/*
 * Copies the @n folios of @small, locked, into @new; false if one of them
 * changed since it was gathered (memory failure took it out or marked
 * it), which leaves the block as it is.
 */
static bool gmem_collapse_copy(struct address_space *mapping,
			       struct folio **small, unsigned int n,
			       struct folio *new, pgoff_t blk)
{
	unsigned int i;
	long j;

	for (i = 0; i < n; i++) {
		struct folio *folio = small[i];

		if (folio->mapping != mapping || gmem_folio_has_poison(folio))
			return false;
		for (j = 0; j < folio_nr_pages(folio); j++)
			copy_highpage(folio_page(new, folio->index - blk + j),
				      folio_page(folio, j));
	}
	return true;
}

/*
 * Re-forms block @blk into one 2 MiB folio on @node (NUMA_NO_NODE: where
 * the fd's policy says), if it qualifies (gmem_collapse_gather()).
 *
 * Return: 1 if it did, 0 if the block does not qualify, -EBUSY (with
 * @busy set) while something gmem cannot invalidate holds one of its
 * folios, -ENOSPC over max_total, -ENOMEM.
 */
static int gmem_collapse_block(struct inode *inode, pgoff_t blk, int node,
			       struct folio **small, pgoff_t *busy)
{
	struct address_space *mapping = inode->i_mapping;
	struct folio *new;
	unsigned int i, n;
	bool copied;
	int ret = 0;

	n = gmem_collapse_gather(inode, blk, small);
	if (!n)
		return 0;
	for (i = 0; i < n; i++) {
		if (gmem_folio_in_use(mapping, small[i])) {
			*busy = small[i]->index;
			ret = -EBUSY;
			goto out_put;
		}
	}
	if (!gmem_charge(GMEM_HUGE_NR)) {
		ret = -ENOSPC;
		goto out_put;
	}
	new = gmem_alloc_folio_copy(GMEM_I(inode), blk, GMEM_HUGE_ORDER, node);
	if (!new) {
		ret = -ENOMEM;
		goto out_uncharge;
	}

	/*
	 * In index order; nobody else holds more than one of them at a
	 * time.  Held until each is out of the page cache: memory failure
	 * on one then finds it gone rather than losing the copy.
	 */
	for (i = 0; i < n; i++)
		folio_lock(small[i]);
	copied = gmem_collapse_copy(mapping, small, n, new, blk);
	for (i = 0; i < n; i++) {
		if (copied)
			gmem_generic_error_remove(mapping, small[i]);
		folio_unlock(small[i]);
		folio_put(small[i]);
	}
	if (!copied) {
		folio_put(new);
		gmem_uncharge(GMEM_HUGE_NR);
		return 0;
	}

	/* The small folios' memory went back before this takes the new. */
	new = gmem_insert_folio(inode, new, blk);
	if (IS_ERR(new))
		return PTR_ERR(new);
	folio_unlock(new);
	folio_put(new);
	return 1;

out_uncharge:
	gmem_uncharge(GMEM_HUGE_NR);
out_put:
	for (i = 0; i < n; i++)
		folio_put(small[i]);
	return ret;
}

/* The first page at or after @index and before @end that holds a folio. */
static pgoff_t gmem_next_present(struct address_space *mapping, pgoff_t index,
				 pgoff_t end)
{
	struct folio_batch fbatch;
	pgoff_t from = index, next = end;

	folio_batch_init(&fbatch);
	if (filemap_get_folios(mapping, &index, end - 1, &fbatch))
		next = max(fbatch.folios[0]->index, from);
	folio_batch_release(&fbatch);
	return next;
}

/*
 * Collapses every block of [@lo, @hi), which is block aligned at @lo, that
 * lies wholly inside the fd.  Holes are jumped over, so that a call over
 * a large, sparse fd costs what the fd holds, not its size.
 */
static int gmem_collapse(struct inode *inode, pgoff_t lo, pgoff_t hi,
			 int node, u64 *collapsed, pgoff_t *busy)
{
	struct folio **small;
	pgoff_t blk = lo;
	int ret = 0;

	small = kmalloc_array(GMEM_HUGE_NR, sizeof(*small), GFP_KERNEL);
	if (!small)
		return -ENOMEM;
	for (;;) {
		blk = round_down(gmem_next_present(inode->i_mapping, blk, hi),
				 GMEM_HUGE_NR);
		if (blk + GMEM_HUGE_NR > hi)
			break;
		ret = gmem_collapse_block(inode, blk, node, small, busy);
		if (ret < 0)
			break;
		if (ret)
			*collapsed += (u64)GMEM_HUGE_NR << PAGE_SHIFT;
		ret = 0;
		blk += GMEM_HUGE_NR;
		cond_resched();
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
	}
	kfree(small);
	return ret;
}

/**
 * gmem_migrate - move the folios of [@start, @end) to @node, or collapse
 * @inode: a gmem inode
 * @start: first page index
 * @end: page index after the last one
 * @node: target node, valid and with memory; NUMA_NO_NODE (only with
 *	@collapse) to move nothing and place new 2 MiB folios by the policy
 * @collapse: first re-form into 2 MiB folios the blocks the range overlaps
 *	(GMEM_MIGRATE_COLLAPSE)
 * @moved: incremented by the bytes moved, also on failure
 * @collapsed: incremented by the bytes re-formed, also on failure
 * @busy: set to the first page in use when -EBUSY is returned
 *
 * Folios that straddle the range move whole.  Holes, folios already on
 * @node and poisoned folios are skipped.
 *
 * Return: 0, -EBUSY while something gmem cannot invalidate holds a folio,
 * -ENOMEM when @node has no room, -ENOSPC over max_total, -EINTR on a
 * fatal signal.
 */
int gmem_migrate(struct inode *inode, pgoff_t start, pgoff_t end, int node,
		 bool collapse, u64 *moved, u64 *collapsed, pgoff_t *busy)
{
	struct address_space *mapping = inode->i_mapping;
	/* Whole folios move: tell consumers about every block touched. */
	pgoff_t lo = round_down(start, GMEM_HUGE_NR);
	pgoff_t hi = min(round_up(end, GMEM_HUGE_NR), gmem_nr_pages(inode));
	struct folio_batch fbatch;
	pgoff_t index = start;
	unsigned int i;
	int err = 0;

	/*
	 * Exclusive: a folio is replaced by its copy with nothing able to
	 * look it up in between, and no fallocate() is running, so no folio
	 * here is one a failing fallocate() could still take back, nor can
	 * one fill a hole the copy's 2 MiB block is to cover.
	 */
	filemap_invalidate_lock(mapping);
	gmem_invalidate_begin(inode, lo, hi);
	unmap_mapping_pages(mapping, lo, hi - lo, false);

	if (collapse) {
		err = gmem_collapse(inode, lo, hi, node, collapsed, busy);
		if (err == -EBUSY)
			*busy = max(*busy, start);
	}
	if (node == NUMA_NO_NODE)
		goto out;

	folio_batch_init(&fbatch);
	while (!err && filemap_get_folios(mapping, &index, end - 1, &fbatch)) {
		for (i = 0; i < folio_batch_count(&fbatch) && !err; i++) {
			struct folio *folio = fbatch.folios[i];
			pgoff_t first = folio->index;

			/* Poisoned memory is never read: it stays put. */
			if (folio_nid(folio) == node ||
			    gmem_folio_has_poison(folio))
				continue;
			if (gmem_folio_in_use(mapping, folio)) {
				*busy = max(first, start);
				err = -EBUSY;
				break;
			}
			err = gmem_move_folio(inode, folio, node);
			if (!err)
				*moved += folio_size(folio);
		}
		folio_batch_release(&fbatch);
		cond_resched();
		if (!err && fatal_signal_pending(current))
			err = -EINTR;
	}

out:
	gmem_update_blocks(inode);
	trace_gmem_migrate(inode, start, end, node, collapse, moved, collapsed,
			   err);
	gmem_invalidate_end(inode, lo, hi);
	filemap_invalidate_unlock(mapping);
	return err;
}
