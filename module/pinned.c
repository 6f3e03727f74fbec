// SPDX-License-Identifier: GPL-2.0
/*
 * Memory gmem let go of that something else still holds.
 *
 * A folio leaves the page cache (punch, truncation, the fd's release) and
 * ->free_folio runs even while a GUP pin or a pipe buffer still holds it:
 * the memory stays in use until that reference goes.  Were max_total
 * uncharged right then, "pin a shared page, punch, fault it in again" in
 * a loop would hold any amount of memory beyond the cap, unseen.  So such
 * a folio keeps its charge, and gmem keeps a reference to it here, until
 * gmem's is the last one; then both go.  A delayed work looks once a
 * second while any are kept, and a charge that would fail looks first.
 *
 * Folios with a poisoned page are not kept: memory failure holds those for
 * good, they are no longer anybody's memory.
 */
#include <linux/mm.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "gmem.h"

/* By pfn: each kept folio with gmem's reference. */
static DEFINE_XARRAY(gmem_pinned);
static atomic_long_t gmem_nr_pinned = ATOMIC_LONG_INIT(0);

static void gmem_pinned_work_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(gmem_pinned_work, gmem_pinned_work_fn);

/**
 * gmem_pinned_keep - keep @folio's charge while others hold it
 * @folio: a folio ->free_folio was called for
 *
 * Besides the page cache's references, the one who removes a folio holds
 * one (a folio batch, memory failure); anything beyond that is somebody
 * else's.
 *
 * Return: true if gmem keeps the folio's max_total charge for now.
 */
bool gmem_pinned_keep(struct folio *folio)
{
	long nr = folio_nr_pages(folio);

	if (folio_ref_count(folio) <= nr + 1 || gmem_folio_has_poison(folio))
		return false;

	folio_get(folio);
	/* No memory for the record: give the charge back after all. */
	if (xa_err(xa_store(&gmem_pinned, folio_pfn(folio), folio,
			    GFP_NOWAIT | __GFP_NOWARN))) {
		folio_put(folio);
		return false;
	}
	atomic_long_add(nr, &gmem_nr_pinned);
	schedule_delayed_work(&gmem_pinned_work, HZ);
	return true;
}

/**
 * gmem_pinned_reap - drop the kept folios nobody else holds any more
 *
 * Return: how many pages' charge was given back.
 */
long gmem_pinned_reap(void)
{
	struct folio *folio;
	unsigned long pfn;
	long nr, freed = 0;

	xa_for_each(&gmem_pinned, pfn, folio) {
		if (folio_ref_count(folio) != 1)
			continue;
		/* A racing reaper may have taken it. */
		if (xa_erase(&gmem_pinned, pfn) != folio)
			continue;
		nr = folio_nr_pages(folio);
		atomic_long_sub(nr, &gmem_nr_pinned);
		gmem_uncharge(nr);
		folio_put(folio);
		freed += nr;
	}
	return freed;
}

static void gmem_pinned_work_fn(struct work_struct *work)
{
	gmem_pinned_reap();
	if (!xa_empty(&gmem_pinned))
		schedule_delayed_work(&gmem_pinned_work, HZ);
}

/* Pages kept for their pins, for sysfs. */
long gmem_pinned_pages(void)
{
	return atomic_long_read(&gmem_nr_pinned);
}

/*
 * Module unload: the pins outlive gmem's bookkeeping; their holders free
 * the folios when they let go.
 */
void gmem_pinned_exit(void)
{
	struct folio *folio;
	unsigned long pfn;

	cancel_delayed_work_sync(&gmem_pinned_work);
	xa_for_each(&gmem_pinned, pfn, folio) {
		xa_erase(&gmem_pinned, pfn);
		folio_put(folio);
	}
	xa_destroy(&gmem_pinned);
}
