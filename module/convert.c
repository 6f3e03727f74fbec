// SPDX-License-Identifier: GPL-2.0
/*
 * In-place conversion between shared and private.
 *
 * Shared -> private must leave no way for host userspace to reach the
 * pages: gmem zaps every mapping of the range and then refuses, changing
 * nothing, while anything else still holds one of its pages (a GUP pin, a
 * page spliced into a pipe).  Private -> shared needs no check: private
 * pages are only ever handed to in-kernel consumers, and those are told to
 * let go through the invalidate hooks.
 */
#include <linux/fs.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/sched.h>

#include "compat.h"
#include "gmem.h"
#include "gmem_trace.h"

static int gmem_range_idle(struct address_space *mapping, pgoff_t start,
			   pgoff_t end, pgoff_t *busy)
{
	struct folio_batch fbatch;
	pgoff_t index = start;
	unsigned int i;
	int err = 0;

	folio_batch_init(&fbatch);
	while (!err && filemap_get_folios(mapping, &index, end - 1, &fbatch)) {
		for (i = 0; i < folio_batch_count(&fbatch); i++) {
			struct folio *folio = fbatch.folios[i];

			if (gmem_folio_in_use(mapping, folio)) {
				*busy = max(folio->index, start);
				err = -EAGAIN;
				break;
			}
		}
		folio_batch_release(&fbatch);
		cond_resched();
	}
	return err;
}

/**
 * gmem_convert - make pages [@start, @end) of @inode shared or private
 * @inode: a gmem inode
 * @start: first page index
 * @end: page index after the last one
 * @to_shared: the target state
 * @zero: discard the contents of the range
 * @busy: set to the first page still in use when -EAGAIN is returned
 *
 * Return: 0 with the whole range converted, or an error with nothing
 * changed: -EAGAIN while a page is in use, -ENOMEM.
 */
int gmem_convert(struct inode *inode, pgoff_t start, pgoff_t end,
		 bool to_shared, bool zero, pgoff_t *busy)
{
	struct address_space *mapping = inode->i_mapping;
	int err;

	/*
	 * Exclusive: no fault, resolve or populate may hand out a page while
	 * its state changes, and no fallocate() is running, so every folio
	 * in the range is a claimed one that stays (gmem_allocate()).
	 */
	filemap_invalidate_lock(mapping);
	gmem_convert_begin(inode, start, end, to_shared);

	if (!to_shared) {
		unmap_mapping_pages(mapping, start, end - start, false);
		err = gmem_range_idle(mapping, start, end, busy);
		if (err)
			goto out;
	}

	err = gmem_attr_set(GMEM_I(inode), start, end, to_shared);
	if (err)
		goto out;

	/* No fault can map the range before the lock is dropped. */
	if (zero) {
		gmem_zero_range(mapping, start, end);
		gmem_dirty_mark_present(inode, start, end);
	}
out:
	trace_gmem_convert(inode, start, end, to_shared, zero, err);
	gmem_convert_end(inode, start, end, to_shared);
	filemap_invalidate_unlock(mapping);
	return err;
}
