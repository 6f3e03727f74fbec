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
	new = gmem_alloc_folio_on(order, node);
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

/**
 * gmem_migrate - move the folios of [@start, @end) to @node
 * @inode: a gmem inode
 * @start: first page index
 * @end: page index after the last one
 * @node: target node, valid and with memory
 * @moved: incremented by the bytes moved, also on failure
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
		 u64 *moved, pgoff_t *busy)
{
	struct address_space *mapping = inode->i_mapping;
	/* Whole folios move: tell consumers about every block touched. */
	pgoff_t lo = round_down(start, GMEM_HUGE_NR);
	pgoff_t hi = min(round_up(end, GMEM_HUGE_NR), gmem_nr_pages(inode));
	struct folio_batch fbatch;
	pgoff_t index = start;
	unsigned int i;
	int err = 0;

	filemap_invalidate_lock(mapping);
	gmem_invalidate_begin(inode, lo, hi);
	unmap_mapping_pages(mapping, lo, hi - lo, false);

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

	gmem_update_blocks(inode);
	gmem_invalidate_end(inode, lo, hi);
	filemap_invalidate_unlock(mapping);
	return err;
}
