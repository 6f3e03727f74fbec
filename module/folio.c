// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory itself: folios gmem allocates, zeroes and keeps in the page
 * cache of the fd's inode, and the address_space_operations that keep core
 * MM from moving or reclaiming them.
 */
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/memcontrol.h>
#include <linux/migrate.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/swap.h>
#include <uapi/linux/gmem.h>

#include "compat.h"
#include "gmem.h"
#include "gmem_trace.h"

/*
 * Not movable (migration is refused, so movable zones and CMA would only
 * be blocked), and when memory runs out the caller gets -ENOMEM instead of
 * the OOM killer: a VMM preallocating guest memory can handle an error,
 * not the loss of a process.  __GFP_RETRY_MAYFAIL also keeps the memory
 * cgroup charge from invoking the cgroup's OOM killer.
 */
#define GMEM_GFP	(GFP_HIGHUSER | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

/*
 * A 2 MiB folio is worth one round of compaction, not a fight: when it
 * cannot be had quickly, 4 KiB pages do the job.
 */
#define GMEM_GFP_LARGE	((GMEM_GFP & ~__GFP_RETRY_MAYFAIL) | __GFP_NORETRY)

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

static bool gmem_charge_once(long nr)
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

/*
 * Charges @nr pages against max_total.  Pages kept only for somebody
 * else's pin count too (pinned.c); those let go meanwhile are given back
 * before a charge is refused.
 */
bool gmem_charge(long nr)
{
	if (gmem_charge_once(nr))
		return true;
	return gmem_pinned_reap() && gmem_charge_once(nr);
}

void gmem_uncharge(long nr)
{
	/* More given back than taken: a folio was uncharged twice. */
	WARN_ON_ONCE(atomic_long_sub_return(nr, &gmem_nr_held) < 0);
}

/*
 * Called as a folio leaves a gmem page cache, whatever took it out; the
 * memory is given back only once nobody holds it (pinned.c).
 */
static void gmem_free_folio(struct folio *folio)
{
	/*
	 * A large folio with a poisoned page must not go back to the
	 * allocator, which would take the bad page with the rest: gmem's
	 * reference keeps it out for good.  It is nobody's memory now.
	 */
	if (folio_test_large(folio) && folio_test_has_hwpoisoned(folio))
		folio_get(folio);
	if (!gmem_pinned_keep(folio))
		gmem_uncharge(folio_nr_pages(folio));
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
 *
 * fallocate() holds the invalidate_lock shared (gmem_allocate()), so other
 * fallocate() calls, faults, populate and resolves run beside it.  Who
 * inserted a folio is what the runs say: each index is filled by exactly
 * one caller (filemap_add_folio() refuses a second with -EEXIST), and
 * while the call holds the lock nothing can take its folios out and put
 * somebody else's in their place: punch, conversion, migration and
 * collapse hold the lock exclusively, and memory failure, which takes a
 * folio out without it, leaves its index recorded as poisoned, which
 * nobody fills until a punch.  Whether somebody else has come to rely on
 * a folio of the call's meanwhile is what the folio's uptodate flag says
 * (gmem_folio_claim()).
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

static void gmem_undo_record(struct gmem_undo *undo, pgoff_t index,
			     pgoff_t nr)
{
	struct gmem_undo_run *run = undo->nr ? &undo->runs[undo->nr - 1] : NULL;

	if (run && run->end == index) {
		run->end += nr;
		return;
	}
	run = &undo->runs[undo->nr++];
	run->start = index;
	run->end = index + nr;
}

static void gmem_truncate_pages(struct address_space *mapping, pgoff_t start,
				pgoff_t end)
{
	truncate_inode_pages_range(mapping, (loff_t)start << PAGE_SHIFT,
				   ((loff_t)end << PAGE_SHIFT) - 1);
}

/*
 * Calls @fn on every folio of @undo's runs that lies wholly inside one,
 * with a reference.  Folios of a run are the call's own (see struct
 * gmem_undo), pieces of one that memory failure split included.  The
 * reference also keeps memory failure from splitting a folio while @fn
 * looks at it (a split needs every reference accounted for), so its size
 * and the pages its flag stands for stay as they were found.
 */
static void gmem_undo_walk(struct address_space *mapping,
			   struct gmem_undo *undo,
			   void (*fn)(struct address_space *, struct folio *))
{
	struct folio_batch fbatch;
	unsigned int i, n;
	pgoff_t index;

	folio_batch_init(&fbatch);
	for (i = 0; i < undo->nr; i++) {
		index = undo->runs[i].start;
		while (filemap_get_folios(mapping, &index, undo->runs[i].end - 1,
					  &fbatch)) {
			for (n = 0; n < folio_batch_count(&fbatch); n++) {
				struct folio *folio = fbatch.folios[n];

				if (folio->index >= undo->runs[i].start &&
				    folio->index + folio_nr_pages(folio) <=
				    undo->runs[i].end)
					fn(mapping, folio);
			}
			folio_batch_release(&fbatch);
			cond_resched();
		}
	}
}

/*
 * Takes @folio out unless somebody claimed it.  Unclaimed, it was never
 * mapped, resolved or written: nothing needs telling.
 */
static void gmem_undo_folio(struct address_space *mapping, struct folio *folio)
{
	folio_lock(folio);
	if (folio->mapping == mapping && !folio_test_uptodate(folio))
		gmem_generic_error_remove(mapping, folio);
	folio_unlock(folio);
}

static void gmem_undo_rollback(struct inode *inode, struct gmem_undo *undo)
{
	gmem_undo_walk(inode->i_mapping, undo, gmem_undo_folio);
}

/*
 * The call succeeded: its folios are everybody's now.  No folio lock is
 * needed: only this call's own rollback acts on the flag of its folios,
 * and whoever claims one meanwhile sets the same bit.
 */
static void gmem_undo_commit_folio(struct address_space *mapping,
				   struct folio *folio)
{
	folio_mark_uptodate(folio);
}

static void gmem_undo_commit(struct inode *inode, struct gmem_undo *undo)
{
	gmem_undo_walk(inode->i_mapping, undo, gmem_undo_commit_folio);
}

/**
 * gmem_alloc_folio - a zeroed folio for @index of @gi, placed by its policy
 * @gi: the fd's state
 * @index: first page index the folio will hold
 * @order: folio order
 *
 * Return: the folio, not yet in the page cache, or NULL.
 */
struct folio *gmem_alloc_folio(struct gmem_inode *gi, pgoff_t index,
			       unsigned int order)
{
	gfp_t gfp = (order ? GMEM_GFP_LARGE : GMEM_GFP) | __GFP_ZERO;

	/* Zeroed here, before any guest or host can see it. */
	return gmem_numa_alloc(gi, gfp, order, index);
}

/**
 * gmem_alloc_folio_copy - a folio to copy pages into, contents undefined
 * @gi: the fd's state
 * @index: first page index the folio will hold
 * @order: folio order
 * @node: the NUMA node to allocate on, and only there; or NUMA_NO_NODE to
 *	place the folio by the fd's policy
 *
 * Return: the folio, or NULL.
 */
struct folio *gmem_alloc_folio_copy(struct gmem_inode *gi, pgoff_t index,
				    unsigned int order, int node)
{
	gfp_t gfp = order ? GMEM_GFP_LARGE : GMEM_GFP;

	if (node == NUMA_NO_NODE)
		return gmem_numa_alloc(gi, gfp, order, index);
	return __folio_alloc(gfp | __GFP_THISNODE, order, node, NULL);
}

/*
 * What every folio gmem puts in its page cache is marked with.  Uptodate
 * means claimed: every folio is, but those a running fallocate() inserted
 * and nobody else has used yet, which that call may take back
 * (gmem_allocate()).
 */
static void gmem_folio_added(struct folio *folio, bool claimed)
{
	if (claimed)
		folio_mark_uptodate(folio);
	/*
	 * Dirty, so that core MM never takes the folio for a clean cache
	 * copy it may drop: truncating part of a large folio that cannot be
	 * split would otherwise discard all of it.
	 */
	folio_mark_dirty(folio);
	gmem_folio_guard_split(folio);
}

/*
 * Inserts a new folio of @order at @index, claimed (uptodate) unless
 * fallocate() inserts it (@claimed false).  The memory cgroup charge that
 * filemap_add_folio() makes goes to the cgroup that created the fd, not to
 * whichever task faults or fallocates: a VMM may hand the fd to helpers
 * in other cgroups, and the guest's memory belongs to the VM's cgroup.
 */
static struct folio *gmem_add_folio(struct inode *inode, pgoff_t index,
				    unsigned int order, bool claimed)
{
	struct gmem_inode *gi = GMEM_I(inode);
	long nr = 1L << order;
	struct mem_cgroup *old;
	struct folio *folio;
	int err;

	if (!gmem_charge(nr)) {
		trace_gmem_alloc(inode, index, order, NULL, -ENOSPC);
		return ERR_PTR(-ENOSPC);
	}

	folio = gmem_alloc_folio(gi, index, order);
	if (!folio) {
		err = -ENOMEM;
		goto err_uncharge;
	}

	old = set_active_memcg(gi->memcg);
	err = filemap_add_folio(inode->i_mapping, folio, index, GMEM_GFP);
	set_active_memcg(old);
	if (err) {
		folio_put(folio);
		goto err_uncharge;
	}
	gmem_folio_added(folio, claimed);
	trace_gmem_alloc(inode, index, order, folio, 0);
	return folio;

err_uncharge:
	gmem_uncharge(nr);
	trace_gmem_alloc(inode, index, order, NULL, err);
	return ERR_PTR(err);
}

/**
 * gmem_insert_folio - put a filled folio into an empty range, unfailing
 * @inode: a gmem inode
 * @folio: a folio with one reference, not locked, charged to max_total
 * @index: where it goes; the range it covers holds no folio
 *
 * For a caller that has just taken out the folios @folio replaces and so
 * has no way back: nothing here may fail.  __GFP_NOFAIL lets the memory
 * cgroup charge go past the limit if need be (the replaced folios were
 * uncharged just before) and makes the page cache's own allocations wait
 * for memory.  The caller holds the invalidate_lock exclusively, so nobody
 * can fill the range meanwhile.
 *
 * Return: @folio, locked and in the page cache, with the caller's
 * reference; an ERR_PTR only if the caller broke the rule above (the
 * folio is not inserted then, and still the caller's).
 */
struct folio *gmem_insert_folio(struct inode *inode, struct folio *folio,
				pgoff_t index)
{
	struct mem_cgroup *old;
	int err;

	lockdep_assert_held_write(&inode->i_mapping->invalidate_lock);
	old = set_active_memcg(GMEM_I(inode)->memcg);
	err = filemap_add_folio(inode->i_mapping, folio, index,
				GFP_KERNEL | __GFP_NOFAIL);
	set_active_memcg(old);
	/* Only another folio in the range can make it fail. */
	if (WARN_ON_ONCE(err))
		return ERR_PTR(err);
	gmem_folio_added(folio, true);
	return folio;
}

/*
 * Whether pages [@index, @index + @nr) hold nothing: no folio and no
 * poisoned index.
 */
static bool gmem_range_empty(struct inode *inode, pgoff_t index, pgoff_t nr)
{
	if (filemap_range_has_page(inode->i_mapping, (loff_t)index << PAGE_SHIFT,
				   ((loff_t)(index + nr) << PAGE_SHIFT) - 1))
		return false;
	return !gmem_range_poisoned(GMEM_I(inode), index, nr);
}

/*
 * The order of the folio to allocate at @index when pages up to @end may
 * be filled: 2 MiB for a GMEM_CREATE_HUGE fd where the aligned block lies
 * in [@index, @end) and holds nothing yet, else a single page.
 */
static unsigned int gmem_order_at(struct inode *inode, pgoff_t index,
				  pgoff_t end)
{
	if (!(GMEM_I(inode)->flags & GMEM_CREATE_HUGE) ||
	    !IS_ALIGNED(index, GMEM_HUGE_NR) || end - index < GMEM_HUGE_NR ||
	    !gmem_range_empty(inode, index, GMEM_HUGE_NR))
		return 0;
	return GMEM_HUGE_ORDER;
}

/*
 * The folio of @order around @index when it can be had, else the page at
 * @index alone; claimed as for gmem_add_folio().
 */
static struct folio *gmem_new_folio(struct inode *inode, pgoff_t index,
				    unsigned int order, bool claimed)
{
	struct folio *folio;

	if (order) {
		folio = gmem_add_folio(inode, round_down(index, 1UL << order),
				       order, claimed);
		/*
		 * No 2 MiB free, the memory cgroup or max_total too close to
		 * its limit for one, or a racing fault filled part of the
		 * block: a page may still do.  The first two are counted for
		 * the VMM (fdinfo), which may collapse the block later.
		 */
		if (!IS_ERR(folio))
			return folio;
		if (PTR_ERR(folio) != -EEXIST)
			atomic_long_inc(&GMEM_I(inode)->large_fallbacks);
	}
	return gmem_add_folio(inode, index, 0, claimed);
}

/*
 * Locked @folio, found in the page cache, is about to be handed out (to a
 * mapping, a consumer, populate's copy): a fallocate() that inserted it
 * and then fails must not take it back any more.
 */
static void gmem_folio_claim(struct folio *folio)
{
	if (!folio_test_uptodate(folio))
		folio_mark_uptodate(folio);
}

/*
 * Whether the page at @index of locked @folio may be handed out.  Memory
 * failure records the index before it takes the old folio out, under that
 * folio's lock, so a folio found or inserted after that sees the record:
 * a caller's own check before gmem_get_folio() can be stale by then.
 */
static bool gmem_folio_index_lost(struct inode *inode, struct folio *folio,
				  pgoff_t index)
{
	return gmem_is_poisoned(GMEM_I(inode), index) ||
	       gmem_page_poisoned(folio, index);
}

/**
 * gmem_get_folio - find or allocate the folio holding @index, locked
 * @inode: a gmem inode
 * @index: page index inside the fd
 *
 * A GMEM_CREATE_HUGE fd allocates the whole 2 MiB block around @index when
 * it is inside the fd and empty.  The caller holds the invalidate_lock
 * (shared is enough).
 *
 * Return: the locked folio with a reference, or an ERR_PTR: -EHWPOISON if
 * the page at @index was lost to memory failure (also when that happened
 * while this call waited or allocated), -ENOSPC, -ENOMEM.
 */
struct folio *gmem_get_folio(struct inode *inode, pgoff_t index)
{
	pgoff_t block = round_down(index, GMEM_HUGE_NR);
	struct folio *folio;
	unsigned int order;

	lockdep_assert_held(&inode->i_mapping->invalidate_lock);
	for (;;) {
		/* NULL before 6.3, ERR_PTR(-ENOENT) after, when absent. */
		folio = filemap_lock_folio(inode->i_mapping, index);
		if (!IS_ERR_OR_NULL(folio)) {
			gmem_folio_check_poison(folio);
			if (!gmem_folio_index_lost(inode, folio, index)) {
				gmem_folio_claim(folio);
				return folio;
			}
			folio_unlock(folio);
			folio_put(folio);
			return ERR_PTR(-EHWPOISON);
		}

		if (gmem_is_poisoned(GMEM_I(inode), index))
			return ERR_PTR(-EHWPOISON);
		order = gmem_order_at(inode, block, gmem_nr_pages(inode));
		folio = gmem_new_folio(inode, index, order, true);
		if (!IS_ERR(folio))
			break;
		/* Lost a race with another fault: use the winner's folio. */
		if (PTR_ERR(folio) != -EEXIST)
			return folio;
	}

	/*
	 * Memory failure may have taken the page that was here out while
	 * this call waited for its lock, after the caller's check: the new
	 * folio must not stand in for it.  It was never handed out.
	 */
	if (gmem_range_poisoned(GMEM_I(inode), folio->index,
				folio_nr_pages(folio))) {
		gmem_generic_error_remove(inode->i_mapping, folio);
		folio_unlock(folio);
		folio_put(folio);
		gmem_update_blocks(inode);
		return ERR_PTR(-EHWPOISON);
	}
	gmem_update_blocks(inode);
	return folio;
}

/*
 * Pages lost to memory failure read differently now (the read fails), so
 * a VMM copying written pages learns of the loss.  Without I/O in the
 * allocation, as for the poison record.
 */
static void gmem_dirty_mark_error(struct gmem_inode *gi, pgoff_t start,
				  pgoff_t end)
{
	unsigned int noio = memalloc_noio_save();

	gmem_dirty_mark(gi, start, end);
	memalloc_noio_restore(noio);
}

bool gmem_is_poisoned(struct gmem_inode *gi, pgoff_t index)
{
	return xa_load(&gi->poison, index);
}

/* Whether any page of [@index, @index + @nr) was lost to memory failure. */
bool gmem_range_poisoned(struct gmem_inode *gi, pgoff_t index, pgoff_t nr)
{
	unsigned long first = index;

	return xa_find(&gi->poison, &first, index + nr - 1, XA_PRESENT);
}

/*
 * Page @index of @folio is marked poisoned, but still in the page cache:
 * memory failure could neither split the large folio around it nor, when
 * gmem's bookkeeping could not allocate, let gmem take it out.  The page
 * flag is then the record, and nothing may hand the page out.
 */
bool gmem_page_poisoned(struct folio *folio, pgoff_t index)
{
	return PageHWPoison(folio_file_page(folio, index));
}

/*
 * A punched range is fresh memory again, but for poisoned pages of large
 * folios the punch had to leave in place (gmem_truncate()).
 */
static void gmem_unpoison(struct inode *inode, pgoff_t start, pgoff_t end)
{
	struct gmem_inode *gi = GMEM_I(inode);
	unsigned long index;
	struct folio *folio;
	void *entry;

	xa_for_each_range(&gi->poison, index, entry, start, end - 1) {
		folio = filemap_get_folio(inode->i_mapping, index);
		if (!IS_ERR_OR_NULL(folio)) {
			bool kept = gmem_page_poisoned(folio, index);

			folio_put(folio);
			if (kept)
				continue;
		}
		xa_erase(&gi->poison, index);
	}
}

/*
 * Memory failure splits a large folio to take out just the bad page; when
 * the split fails (something holds a reference it cannot account for), it
 * gives up without telling gmem, and the page stays flagged inside a folio
 * still in the page cache and maybe mapped.  gmem finds out when it next
 * touches the folio (under its lock): it records each such page, takes it
 * out of every host mapping and tells consumers, once.
 */
void gmem_folio_check_poison(struct folio *folio)
{
	struct inode *inode = folio->mapping->host;
	struct gmem_inode *gi = GMEM_I(inode);
	pgoff_t i, index;

	WARN_ON_ONCE(!folio_test_locked(folio));
	if (!folio_test_large(folio) || !folio_test_has_hwpoisoned(folio))
		return;
	for (i = 0; i < folio_nr_pages(folio); i++) {
		index = folio->index + i;
		if (!PageHWPoison(folio_page(folio, i)) ||
		    gmem_is_poisoned(gi, index))
			continue;
		/* Without the record the page flag still marks the page. */
		if (xa_err(xa_store(&gi->poison, index, xa_mk_value(1),
				    GFP_NOIO)))
			continue;
		unmap_mapping_pages(inode->i_mapping, index, 1, false);
		gmem_dirty_mark_error(gi, index, index + 1);
		gmem_notify_error(inode, index, index + 1);
	}
}

/*
 * A large folio with a poisoned page that the range covers only in part
 * stays: truncating part of it would zero (on kernels before 6.11) and
 * free (split) the bad page along with the rest.
 */
static bool gmem_folio_stays(struct folio *folio, pgoff_t start, pgoff_t end)
{
	return folio_test_large(folio) && folio_test_has_hwpoisoned(folio) &&
	       (folio->index < start ||
		folio->index + folio_nr_pages(folio) > end);
}

/* Truncates [@start, @end) around the folios gmem_folio_stays() keeps. */
static void gmem_truncate(struct address_space *mapping, pgoff_t start,
			  pgoff_t end)
{
	struct folio_batch fbatch;
	pgoff_t index = start, from = start;
	unsigned int i;

	folio_batch_init(&fbatch);
	while (filemap_get_folios(mapping, &index, end - 1, &fbatch)) {
		for (i = 0; i < folio_batch_count(&fbatch); i++) {
			struct folio *folio = fbatch.folios[i];

			if (!gmem_folio_stays(folio, start, end))
				continue;
			if (from < folio->index)
				gmem_truncate_pages(mapping, from, folio->index);
			from = folio->index + folio_nr_pages(folio);
		}
		folio_batch_release(&fbatch);
	}
	if (from < end)
		gmem_truncate_pages(mapping, from, end);
}

/*
 * @folio, which this fallocate() found in place, is one its range relies
 * on: claim it, so that another fallocate() that inserted it and then
 * fails keeps it.  False if that call took it back before this one could
 * claim it: the index is to be looked at again.
 */
static bool gmem_allocate_found(struct address_space *mapping,
				struct folio *folio)
{
	bool kept;

	if (folio_test_uptodate(folio))
		return true;
	folio_lock(folio);
	kept = folio->mapping == mapping;
	if (kept)
		gmem_folio_claim(folio);
	folio_unlock(folio);
	return kept;
}

/**
 * gmem_allocate - back pages [@start, @end) of @inode with zeroed memory
 * @inode: a gmem inode
 * @start: first page index
 * @end: page index after the last one
 *
 * Pages already present are left as they are.  On failure the folios this
 * call inserted are freed again, but for those somebody else found and
 * relied on meanwhile (a fault, a resolve, populate, or another
 * fallocate() over the same pages, which may have succeeded): the fd is
 * as it was before the call, plus what others needed of it.
 *
 * Return: 0, -ENOMEM when memory (or the memory cgroup's limit) runs out,
 * -ENOSPC over max_total, or -EINTR on a fatal signal.
 */
int gmem_allocate(struct inode *inode, pgoff_t start, pgoff_t end)
{
	struct address_space *mapping = inode->i_mapping;
	pgoff_t index, checked = start;
	struct gmem_undo undo = {};
	struct folio *folio;
	unsigned long nr;
	int err = 0;

	/*
	 * Shared, as for a fault: allocating and zeroing a large range takes
	 * seconds, and neither a consumer's resolve (a vCPU's fault) nor a
	 * second fallocate() of the fd need wait for it.  What the exclusive
	 * lock used to give:
	 * - a failed call takes back exactly its own folios: the runs of
	 *   struct gmem_undo name them, and the uptodate flag tells those
	 *   nobody has claimed (gmem_folio_claim(), gmem_allocate_found());
	 *   the lock is held until the rollback is done, so punch, conversion
	 *   and migration never see a folio that may still be taken back;
	 * - another caller may fill an index between this call's look and
	 *   its insertion: filemap_add_folio() then fails with -EEXIST and
	 *   the index is looked at again, which also covers a 2 MiB block
	 *   that a racing call filled in part (gmem_new_folio() falls back to
	 *   a page, and that page may be taken too);
	 * - max_total and the memory cgroup charge each folio atomically
	 *   (gmem_charge(), filemap_add_folio()), so concurrent calls never
	 *   both get the last pages; the one refused fails and rolls back;
	 * - large_fallbacks is atomic; a lost race for a block (-EEXIST) is
	 *   not a fallback;
	 * - poison is recorded by memory failure without any lock, and is
	 *   checked here before each insertion as it was; a folio of this
	 *   call that memory failure splits leaves pieces inside the run,
	 *   still the call's own;
	 * - GMEM_INFO, fdinfo and st_blocks may now see a call half done, as
	 *   they may a fault.
	 * Punch, conversion, migration, collapse and bind/unbind still wait
	 * for the whole call, as they did.
	 */
	filemap_invalidate_lock_shared(mapping);
	for (index = start; index < end; index += nr) {
		nr = 1;
		if (index >= checked) {
			checked = index + GMEM_ALLOC_BATCH;
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
		folio = filemap_get_folio(mapping, index);
		if (!IS_ERR_OR_NULL(folio)) {
			nr = folio->index + folio_nr_pages(folio) - index;
			if (!gmem_allocate_found(mapping, folio))
				nr = 0;
			folio_put(folio);
			continue;
		}
		if (gmem_is_poisoned(GMEM_I(inode), index))
			continue;

		err = gmem_undo_prepare(&undo, index);
		if (err)
			break;
		folio = gmem_new_folio(inode, index,
				       gmem_order_at(inode, index, end), false);
		if (IS_ERR(folio)) {
			err = PTR_ERR(folio);
			/* Another caller filled it meanwhile. */
			if (err == -EEXIST) {
				err = 0;
				nr = 0;
				continue;
			}
			break;
		}
		nr = folio_nr_pages(folio);
		folio_unlock(folio);
		folio_put(folio);
		gmem_undo_record(&undo, index, nr);
	}

	if (err)
		gmem_undo_rollback(inode, &undo);
	else
		gmem_undo_commit(inode, &undo);
	gmem_update_blocks(inode);
	trace_gmem_fallocate(inode, start, end, err);
	filemap_invalidate_unlock_shared(mapping);

	kfree(undo.runs);
	return err;
}

/*
 * Zeroes the pages of [@start, @end), and only those: a large folio may
 * reach past the range.  A page marked poisoned but still in the page
 * cache (memory failure could not take it out) is left alone; it must not
 * be touched at all, and it reads as lost until punched anyway.
 */
void gmem_zero_range(struct address_space *mapping, pgoff_t start,
		     pgoff_t end)
{
	struct folio_batch fbatch;
	pgoff_t index = start, i;
	unsigned int n;

	/* Nothing may map or hand out the pages meanwhile. */
	lockdep_assert_held_write(&mapping->invalidate_lock);
	folio_batch_init(&fbatch);
	while (filemap_get_folios(mapping, &index, end - 1, &fbatch)) {
		for (n = 0; n < folio_batch_count(&fbatch); n++) {
			struct folio *folio = fbatch.folios[n];
			pgoff_t first = max(folio->index, start);
			pgoff_t last = min(folio->index + folio_nr_pages(folio),
					   end);

			folio_lock(folio);
			gmem_folio_check_poison(folio);
			for (i = first; i < last; i++)
				if (!gmem_page_poisoned(folio, i))
					clear_highpage(folio_file_page(folio, i));
			/* a punch that could not split it: guard it again */
			gmem_folio_guard_split(folio);
			folio_unlock(folio);
		}
		folio_batch_release(&fbatch);
		cond_resched();
	}
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

	/*
	 * Exclusive: nothing may map or resolve a page on its way out, and
	 * no fallocate() is running, whose record of its own folios a punch
	 * would make stale (struct gmem_undo).
	 */
	filemap_invalidate_lock(mapping);
	gmem_invalidate_begin(inode, start, end);
	/*
	 * even_cows also clears the hwpoison markers memory failure left in
	 * the page tables, so a punched poisoned page is usable again through
	 * existing mappings too; gmem has no MAP_PRIVATE copies to protect.
	 */
	unmap_mapping_pages(mapping, start, end - start, true);
	/* While the folios that go are there to say which pages held memory. */
	gmem_dirty_mark_present(inode, start, end);
	gmem_truncate(mapping, start, end);
	/*
	 * What is left of the range are pages of large folios that could
	 * not be split; truncation zeroes them only where the mapping is
	 * not marked inaccessible (gmem_mapping_set_unmovable()).
	 */
	gmem_zero_range(mapping, start, end);
	gmem_unpoison(inode, start, end);
	gmem_update_blocks(inode);
	trace_gmem_punch(inode, start, end);
	gmem_invalidate_end(inode, start, end);
	filemap_invalidate_unlock(mapping);
}

/*
 * Core MM splits a large folio only after ->release_folio agreed, and asks
 * only for a folio with private data.  So each large gmem folio carries
 * some (the gmem_inode, which nothing reads), and the answer is no: host
 * userspace would otherwise split 2 MiB folios with MADV_COLD or
 * MADV_PAGEOUT on a few pages of a mapping, and KVM would fall back to
 * 4 KiB mappings.  The splits gmem wants go through: a punch of part of
 * the folio drops the private data in ->invalidate_folio first, and memory
 * failure, which splits to isolate the bad page, is let through.
 */
void gmem_folio_guard_split(struct folio *folio)
{
	if (folio_test_large(folio) && !folio_test_private(folio))
		folio_attach_private(folio, GMEM_I(folio->mapping->host));
}

static bool gmem_release_folio(struct folio *folio, gfp_t gfp)
{
	if (!folio_test_has_hwpoisoned(folio))
		return false;
	folio_detach_private(folio);
	return true;
}

/*
 * Truncation, whole (the folio leaves) or partial (a punch inside it, to
 * be followed by a split, which must then go through).
 */
static void gmem_invalidate_folio(struct folio *folio, size_t offset,
				  size_t len)
{
	if (folio_test_private(folio))
		folio_detach_private(folio);
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
 * Memory failure hit @folio.  Its indices are remembered as poisoned, so
 * that faults, resolves and populate report the loss instead of silently
 * handing out a fresh zeroed page in its place, until the VMM punches the
 * range.  The folio itself leaves the page cache, as memory failure
 * expects of a recovered page-cache page.  Consumers are told in any case;
 * if the record cannot be allocated, the folio stays where it is instead,
 * its page flag standing for the record (gmem_page_poisoned()).
 */
int gmem_error_folio(struct address_space *mapping, struct folio *folio)
{
	struct inode *inode = mapping->host;
	struct gmem_inode *gi = GMEM_I(inode);
	pgoff_t start = folio->index;
	pgoff_t end = start + folio_nr_pages(folio);
	pgoff_t index;
	int err = 0;

	/* Memory failure calls with the folio locked, which holds off punch. */
	WARN_ON_ONCE(!folio_test_locked(folio));
	for (index = start; index < end && !err; index++)
		err = xa_err(xa_store(&gi->poison, index, xa_mk_value(1),
				      GFP_NOIO));
	gmem_dirty_mark_error(gi, start, end);
	gmem_notify_error(inode, start, end);
	if (err) {
		/* Keep the entries already stored: they are true. */
		trace_gmem_memory_failure(inode, folio, err);
		return err;
	}
	err = gmem_generic_error_remove(mapping, folio);
	gmem_update_blocks(inode);
	trace_gmem_memory_failure(inode, folio, err);
	return err;
}

const struct address_space_operations gmem_aops = {
	.dirty_folio		= noop_dirty_folio,
	.invalidate_folio	= gmem_invalidate_folio,
	.release_folio		= gmem_release_folio,
	.migrate_folio		= gmem_migrate_folio,
	.free_folio		= gmem_free_folio,
	.GMEM_AOP_ERROR_REMOVE	= gmem_aop_error_remove,
};
