// SPDX-License-Identifier: GPL-2.0
/*
 * The one place where gmem tells bound consumers that memory they may have
 * mapped is about to change (punch, conversion, release) or has failed.
 * Punch and conversion bracket their change with gmem_invalidate_begin()
 * and gmem_invalidate_end() for the exact page range, under the mapping's
 * invalidate_lock; every binding that overlaps the range hears about its
 * part of it and no other binding hears anything.
 */
#include <linux/gmem.h>
#include <linux/list.h>
#include <linux/minmax.h>
#include <linux/mutex.h>

#include "gmem.h"

enum gmem_event {
	GMEM_EVENT_BEGIN,
	GMEM_EVENT_END,
	GMEM_EVENT_ERROR,
};

static void gmem_notify(struct inode *inode, pgoff_t start, pgoff_t end,
			enum gmem_event event)
{
	struct gmem_inode *gi = GMEM_I(inode);
	struct gmem_binding *binding;

	mutex_lock(&gi->bind_lock);
	list_for_each_entry(binding, &gi->bindings, node) {
		const struct gmem_consumer_ops *ops = binding->ops;
		pgoff_t first = max(start, binding->start);
		pgoff_t last = min(end, binding->end);
		void (*op)(void *priv, pgoff_t start, pgoff_t end);

		if (first >= last)
			continue;
		if (event == GMEM_EVENT_BEGIN)
			op = ops->invalidate_begin;
		else if (event == GMEM_EVENT_END)
			op = ops->invalidate_end;
		else
			op = ops->error;
		if (op)
			op(binding->priv, first, last);
	}
	mutex_unlock(&gi->bind_lock);
}

void gmem_invalidate_begin(struct inode *inode, pgoff_t start, pgoff_t end)
{
	/* What consumers are told holds until _end: nothing may change it. */
	lockdep_assert_held_write(&inode->i_mapping->invalidate_lock);
	gmem_notify(inode, start, end, GMEM_EVENT_BEGIN);
}

void gmem_invalidate_end(struct inode *inode, pgoff_t start, pgoff_t end)
{
	lockdep_assert_held_write(&inode->i_mapping->invalidate_lock);
	gmem_notify(inode, start, end, GMEM_EVENT_END);
}

/* Memory failure: called with the folio locked, without invalidate_lock. */
void gmem_notify_error(struct inode *inode, pgoff_t start, pgoff_t end)
{
	gmem_notify(inode, start, end, GMEM_EVENT_ERROR);
}
