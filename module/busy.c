// SPDX-License-Identifier: GPL-2.0
/*
 * Whether anything but gmem holds a folio: the check that guards
 * conversion to private and GMEM_MIGRATE.
 *
 * The answer must be exact.  A reference the check cannot account for may
 * be a GUP pin (vmsplice, O_DIRECT, io_uring) through which the host goes
 * on reading a page after it turned private.  So no reference is explained
 * away with another counter: the mapcount and the LRU flag change apart
 * from the reference count (fork takes its reference before the rmap,
 * isolation takes one before it clears the LRU flag), and an allowance
 * computed from them can hide a pin.  Instead the folio is locked, which
 * waits out a fault that is still mapping it, every mapping of it is
 * removed, and then only the page cache's references, the caller's and
 * gmem's own private one may be left.
 *
 * References that are not pins come and go too: a new folio waits in a
 * per-CPU LRU batch, mlock and other batches hold some.  When the first
 * look finds one reference too many, every CPU's batches are drained and
 * the folio looked at once more; what is still there then counts as use.
 */
#include <linux/cpu.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "gmem.h"

struct gmem_drain {
	struct work_struct work;
	struct folio *folio;
};

/*
 * Releasing a folio batch drains the local CPU's LRU and mlock batches
 * first, the one way a module has to do so; the batch holds one extra
 * reference to a folio the caller keeps alive.
 */
static void gmem_drain_local(struct work_struct *work)
{
	struct gmem_drain *d = container_of(work, struct gmem_drain, work);
	struct folio_batch fbatch;

	folio_batch_init(&fbatch);
	folio_get(d->folio);
	folio_batch_add(&fbatch, d->folio);
	folio_batch_release(&fbatch);
}

/* Drains the LRU batches of every online CPU, as lru_add_drain_all() does. */
static void gmem_drain_all(struct folio *folio)
{
	struct gmem_drain *d;
	unsigned int cpu;

	d = kcalloc(nr_cpu_ids, sizeof(*d), GFP_KERNEL);
	if (!d)
		return;		/* the folio merely stays busy */
	cpus_read_lock();
	for_each_online_cpu(cpu) {
		INIT_WORK(&d[cpu].work, gmem_drain_local);
		d[cpu].folio = folio;
		queue_work_on(cpu, gmem_percpu_wq, &d[cpu].work);
	}
	for_each_online_cpu(cpu)
		flush_work(&d[cpu].work);
	cpus_read_unlock();
	kfree(d);
}

/* Locked, unmapped: exactly the page cache, the caller and private left. */
static bool gmem_folio_refs_exact(struct folio *folio)
{
	long expected = folio_nr_pages(folio) + 1 + folio_test_private(folio);

	return !folio_mapped(folio) && folio_ref_count(folio) == expected;
}

/**
 * gmem_folio_in_use - whether anything but gmem holds @folio
 * @mapping: the folio's mapping
 * @folio: a folio of a gmem page cache, with the caller's reference (as
 *	filemap_get_folios() takes) on top of the page cache's own
 *
 * The caller holds the invalidate_lock exclusively, so no fault or resolve
 * can hand the folio out meanwhile.  Every host mapping of the folio is
 * removed, also of its pages outside the caller's range: a reference does
 * not say which page of a folio it is for, and they fault back in.
 *
 * Return: true if the folio is in use.
 */
bool gmem_folio_in_use(struct address_space *mapping, struct folio *folio)
{
	bool exact;

	lockdep_assert_held_write(&mapping->invalidate_lock);
	folio_lock(folio);
	unmap_mapping_pages(mapping, folio->index, folio_nr_pages(folio),
			    false);
	exact = gmem_folio_refs_exact(folio);
	folio_unlock(folio);
	if (exact)
		return false;

	gmem_drain_all(folio);
	folio_lock(folio);
	exact = gmem_folio_refs_exact(folio);
	folio_unlock(folio);
	return !exact;
}
