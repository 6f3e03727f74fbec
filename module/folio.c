// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory itself: folios gmem allocates, zeroes and keeps in the page
 * cache of the fd's inode, and the address_space_operations that keep core
 * MM from moving or reclaiming them.
 */
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/swap.h>

#include "compat.h"
#include "gmem.h"

/*
 * Not movable (migration is refused, so movable zones and CMA would only
 * be blocked), and when memory runs out the caller gets -ENOMEM instead of
 * the OOM killer: a VMM preallocating guest memory can handle an error,
 * not the loss of a process.  __GFP_RETRY_MAYFAIL also keeps the memory
 * cgroup charge from invoking the cgroup's OOM killer.
 */
#define GMEM_GFP	(GFP_HIGHUSER | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

/* How many pages gmem allocates between checks for signals and memory. */
#define GMEM_ALLOC_BATCH	512

/*
 * Allocation stops while less than 1/64 of RAM would remain available.
 * Without a floor, a large fallocate() drains memory until some other,
 * unrelated allocation in the system triggers the OOM killer, which finds
 * no process owning gmem's memory and kills the wrong one.
 */
#define GMEM_RESERVE_SHIFT	6

/* Pages all gmem fds hold, against the max_total parameter. */
static atomic_long_t gmem_nr_held = ATOMIC_LONG_INIT(0);

static bool gmem_charge(long nr)
{
	u64 max_total = READ_ONCE(gmem_max_total);
	long max_pages = min_t(u64, max_total >> PAGE_SHIFT, LONG_MAX);
	long held = atomic_long_add_return(nr, &gmem_nr_held);

	if (max_total && held > max_pages) {
		atomic_long_sub(nr, &gmem_nr_held);
		return false;
	}
	return true;
}

/* Called as a folio leaves a gmem page cache, whatever took it out. */
static void gmem_free_folio(struct folio *folio)
{
	atomic_long_sub(folio_nr_pages(folio), &gmem_nr_held);
}

static bool gmem_memory_low(void)
{
	return si_mem_available() < (long)(totalram_pages() >> GMEM_RESERVE_SHIFT);
}

/* st_blocks follows what the page cache holds. */
void gmem_update_blocks(struct inode *inode)
{
	spin_lock(&inode->i_lock);
	inode_set_bytes(inode, (loff_t)inode->i_mapping->nrpages << PAGE_SHIFT);
	spin_unlock(&inode->i_lock);
}

/*
 * The index runs one fallocate() call inserted, so that a failure can take
 * back exactly those and leave folios that were there before untouched.
 */
struct gmem_undo {
	struct gmem_undo_run {
		pgoff_t start;
		pgoff_t end;
	} *runs;
	unsigned int nr;
	unsigned int size;
};

/* Make room to record @index; called before the folio goes in. */
static int gmem_undo_prepare(struct gmem_undo *undo, pgoff_t index)
{
	struct gmem_undo_run *runs;
	unsigned int size;

	if (undo->nr && undo->runs[undo->nr - 1].end == index)
		return 0;
	if (undo->nr < undo->size)
		return 0;

	size = undo->size ? undo->size * 2 : 8;
	runs = krealloc_array(undo->runs, size, sizeof(*runs), GFP_KERNEL);
	if (!runs)
		return -ENOMEM;
	undo->runs = runs;
	undo->size = size;
	return 0;
}

static void gmem_undo_record(struct gmem_undo *undo, pgoff_t index)
{
	struct gmem_undo_run *run = undo->nr ? &undo->runs[undo->nr - 1] : NULL;

	if (run && run->end == index) {
		run->end++;
		return;
	}
	run = &undo->runs[undo->nr++];
	run->start = index;
	run->end = index + 1;
}

static void gmem_undo_rollback(struct inode *inode, struct gmem_undo *undo)
{
	unsigned int i;

	for (i = 0; i < undo->nr; i++)
		truncate_inode_pages_range(inode->i_mapping,
					   (loff_t)undo->runs[i].start << PAGE_SHIFT,
					   ((loff_t)undo->runs[i].end << PAGE_SHIFT) - 1);
}

static struct folio *gmem_new_folio(struct inode *inode, pgoff_t index)
{
	struct folio *folio;
	int err;

	if (!gmem_charge(1))
		return ERR_PTR(-ENOSPC);

	/* Zeroed here, before any guest or host can see it. */
	folio = folio_alloc(GMEM_GFP | __GFP_ZERO, 0);
	if (!folio) {
		err = -ENOMEM;
		goto err_uncharge;
	}

	err = filemap_add_folio(inode->i_mapping, folio, index, GMEM_GFP);
	if (err) {
		folio_put(folio);
		goto err_uncharge;
	}
	folio_mark_uptodate(folio);
	return folio;

err_uncharge:
	atomic_long_sub(1, &gmem_nr_held);
	return ERR_PTR(err);
}

/**
 * gmem_get_folio - find or allocate the folio at @index, locked
 * @inode: a gmem inode
 * @index: page index inside the fd
 *
 * The caller holds the invalidate_lock (shared is enough).
 *
 * Return: the locked folio with a reference, or an ERR_PTR.
 */
struct folio *gmem_get_folio(struct inode *inode, pgoff_t index)
{
	struct folio *folio;

	for (;;) {
		/* NULL before 6.3, ERR_PTR(-ENOENT) after, when absent. */
		folio = filemap_lock_folio(inode->i_mapping, index);
		if (!IS_ERR_OR_NULL(folio))
			return folio;

		folio = gmem_new_folio(inode, index);
		if (!IS_ERR(folio)) {
			gmem_update_blocks(inode);
			return folio;
		}
		/* Lost a race with another fault: use the winner's folio. */
		if (PTR_ERR(folio) != -EEXIST)
			return folio;
	}
}

bool gmem_is_poisoned(struct gmem_inode *gi, pgoff_t index)
{
	return xa_load(&gi->poison, index);
}

/* A punched range is fresh memory again. */
static void gmem_unpoison(struct gmem_inode *gi, pgoff_t start, pgoff_t end)
{
	unsigned long index;
	void *entry;

	xa_for_each_range(&gi->poison, index, entry, start, end - 1)
		xa_erase(&gi->poison, index);
}

/**
 * gmem_allocate - back pages [@start, @end) of @inode with zeroed memory
 * @inode: a gmem inode
 * @start: first page index
 * @end: page index after the last one
 *
 * Pages already present are left as they are.  On failure every folio this
 * call inserted is freed again, so the fd is as it was before the call.
 *
 * Return: 0, -ENOMEM when memory (or the memory cgroup's limit) runs out,
 * or -EINTR on a fatal signal.
 */
int gmem_allocate(struct inode *inode, pgoff_t start, pgoff_t end)
{
	struct address_space *mapping = inode->i_mapping;
	struct gmem_undo undo = {};
	struct folio *folio;
	pgoff_t index;
	int err = 0;

	filemap_invalidate_lock(mapping);
	for (index = start; index < end; index++) {
		if ((index - start) % GMEM_ALLOC_BATCH == 0) {
			if (fatal_signal_pending(current)) {
				err = -EINTR;
				break;
			}
			if (gmem_memory_low()) {
				err = -ENOMEM;
				break;
			}
			cond_resched();
		}

		/* Present, or lost to memory failure until punched. */
		if (filemap_range_has_page(mapping, (loff_t)index << PAGE_SHIFT,
					   ((loff_t)index << PAGE_SHIFT) + PAGE_SIZE - 1) ||
		    gmem_is_poisoned(GMEM_I(inode), index))
			continue;

		err = gmem_undo_prepare(&undo, index);
		if (err)
			break;
		folio = gmem_new_folio(inode, index);
		if (IS_ERR(folio)) {
			err = PTR_ERR(folio);
			break;
		}
		folio_unlock(folio);
		folio_put(folio);
		gmem_undo_record(&undo, index);
	}

	if (err)
		gmem_undo_rollback(inode, &undo);
	gmem_update_blocks(inode);
	filemap_invalidate_unlock(mapping);

	kfree(undo.runs);
	return err;
}

/**
 * gmem_punch - free pages [@start, @end) of @inode
 * @inode: a gmem inode
 * @start: first page index
 * @end: page index after the last one
 *
 * Mappings of the range are zapped first, so the next touch of a shared
 * page faults in a new zeroed one.
 */
void gmem_punch(struct inode *inode, pgoff_t start, pgoff_t end)
{
	struct address_space *mapping = inode->i_mapping;

	filemap_invalidate_lock(mapping);
	gmem_invalidate_begin(inode, start, end);
	/*
	 * even_cows also clears the hwpoison markers memory failure left in
	 * the page tables, so a punched poisoned page is usable again through
	 * existing mappings too; gmem has no MAP_PRIVATE copies to protect.
	 */
	unmap_mapping_pages(mapping, start, end - start, true);
	truncate_inode_pages_range(mapping, (loff_t)start << PAGE_SHIFT,
				   ((loff_t)end << PAGE_SHIFT) - 1);
	gmem_unpoison(GMEM_I(inode), start, end);
	gmem_update_blocks(inode);
	gmem_invalidate_end(inode, start, end);
	filemap_invalidate_unlock(mapping);
}

/*
 * Guest memory must stay where it is: a bound consumer (KVM, an IOMMU) may
 * have handed its pfn to hardware, and nothing tells it that it moved.
 */
static int gmem_migrate_folio(struct address_space *mapping,
			      struct folio *dst, struct folio *src,
			      enum migrate_mode mode)
{
	return -EBUSY;
}

/*
 * A poisoned folio stays in the page cache, so its index keeps answering
 * "poisoned" instead of being silently refilled with fresh zeroes that the
 * guest would take for its data.
 */
/*
 * Memory failure hit @folio.  Its indices are remembered as poisoned, so
 * that faults, resolves and populate report the loss instead of silently
 * handing out a fresh zeroed page in its place, until the VMM punches the
 * range.  The folio itself leaves the page cache, as memory failure
 * expects of a recovered page-cache page.
 */
int gmem_error_folio(struct address_space *mapping, struct folio *folio)
{
	struct inode *inode = mapping->host;
	struct gmem_inode *gi = GMEM_I(inode);
	pgoff_t start = folio->index;
	pgoff_t end = start + folio_nr_pages(folio);
	pgoff_t index;
	int err;

	for (index = start; index < end; index++) {
		err = xa_err(xa_store(&gi->poison, index, xa_mk_value(1),
				      GFP_NOIO));
		if (err)
			return err;
	}
	gmem_notify_error(inode, start, end);
	err = gmem_generic_error_remove(mapping, folio);
	gmem_update_blocks(inode);
	return err;
}

const struct address_space_operations gmem_aops = {
	.dirty_folio		= noop_dirty_folio,
	.migrate_folio		= gmem_migrate_folio,
	.free_folio		= gmem_free_folio,
	.GMEM_AOP_ERROR_REMOVE	= gmem_aop_error_remove,
};
