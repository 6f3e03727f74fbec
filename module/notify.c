// SPDX-License-Identifier: GPL-2.0
/*
 * The one place where gmem tells bound consumers that memory they may have
 * mapped is about to change (punch, conversion, migration) or has failed.
 * Punch, conversion and migration bracket their change with
 * gmem_invalidate_begin() and gmem_invalidate_end() (conversion:
 * gmem_convert_begin/end(), which say the new state) for the exact page
 * range, under the mapping's invalidate_lock; every binding that overlaps
 * the range hears about its part of it and no other binding hears
 * anything.
 *
 * Each binding's sequence count (gmem_read_begin/retry(), bind.c) is odd
 * from just before its consumer hears invalidate_begin until just after it
 * hears invalidate_end, and moves on at every memory failure in its range.
 */
#include <linux/gmem.h>
#include <linux/list.h>
#include <linux/minmax.h>
#include <linux/mutex.h>
#include <linux/wait.h>

#include "gmem.h"
#include "gmem_trace.h"

/* Called with the fd's bind_lock held, which orders every writer. */
static void gmem_seq_bump(struct gmem_binding *binding, unsigned long by)
{
	/*
	 * Pairs with the smp_rmb() of gmem_read_begin/retry(): a reader that
	 * sees the new count sees everything written before it, and an op's
	 * (or a state change's) writes come after the count they follow.
	 */
	smp_wmb();
	WRITE_ONCE(binding->seq, binding->seq + by);
	/* The count is visible before what the op or the change writes. */
	smp_wmb();
}

/*
 * Tell one binding about [@start, @end) of its range: the sequence count
 * goes odd before the consumer hears invalidate_begin, even again after
 * it has heard invalidate_end, and moves on before it hears an error.
 */
void gmem_notify_binding(struct gmem_binding *binding, pgoff_t start,
			 pgoff_t end, enum gmem_event event,
			 unsigned int flags)
{
	const struct gmem_consumer_ops *ops = &binding->ops;

	switch (event) {
	case GMEM_EVENT_BEGIN:
		trace_gmem_invalidate_begin(binding, start, end, flags);
		gmem_seq_bump(binding, 1);
		if (ops->invalidate_begin)
			ops->invalidate_begin(binding->priv, start, end, flags);
		break;
	case GMEM_EVENT_END:
		if (ops->invalidate_end)
			ops->invalidate_end(binding->priv, start, end, flags);
		gmem_seq_bump(binding, 1);
		wake_up_all(&binding->seq_wait);
		trace_gmem_invalidate_end(binding, start, end, flags);
		break;
	default:
		gmem_seq_bump(binding, 2);
		if (ops->error)
			ops->error(binding->priv, start, end);
		break;
	}
}

static void gmem_notify(struct inode *inode, pgoff_t start, pgoff_t end,
			enum gmem_event event, unsigned int flags)
{
	struct gmem_inode *gi = GMEM_I(inode);
	struct gmem_binding *binding;

	mutex_lock(&gi->bind_lock);
	list_for_each_entry(binding, &gi->bindings, node) {
		pgoff_t first = max(start, binding->start);
		pgoff_t last = min(end, binding->end);

		if (first < last)
			gmem_notify_binding(binding, first, last, event, flags);
	}
	mutex_unlock(&gi->bind_lock);
}

void gmem_invalidate_begin(struct inode *inode, pgoff_t start, pgoff_t end)
{
	/* What consumers are told holds until _end: nothing may change it. */
	lockdep_assert_held_write(&inode->i_mapping->invalidate_lock);
	gmem_notify(inode, start, end, GMEM_EVENT_BEGIN, 0);
}

void gmem_invalidate_end(struct inode *inode, pgoff_t start, pgoff_t end)
{
	lockdep_assert_held_write(&inode->i_mapping->invalidate_lock);
	gmem_notify(inode, start, end, GMEM_EVENT_END, 0);
}

static unsigned int gmem_convert_flags(bool to_shared)
{
	return to_shared ? GMEM_INV_TO_SHARED : GMEM_INV_TO_PRIVATE;
}

/* A conversion of [@start, @end): its consumers learn the new state. */
void gmem_convert_begin(struct inode *inode, pgoff_t start, pgoff_t end,
			bool to_shared)
{
	lockdep_assert_held_write(&inode->i_mapping->invalidate_lock);
	gmem_notify(inode, start, end, GMEM_EVENT_BEGIN,
		    gmem_convert_flags(to_shared));
}

/*
 * Called once the state is set (or the conversion failed and nothing
 * changed: consumers then find the old state when they look).
 */
void gmem_convert_end(struct inode *inode, pgoff_t start, pgoff_t end,
		      bool to_shared)
{
	lockdep_assert_held_write(&inode->i_mapping->invalidate_lock);
	gmem_notify(inode, start, end, GMEM_EVENT_END,
		    gmem_convert_flags(to_shared));
}

/*
 * GMEM_DIRTY_LOG took the bits of [@start, @end): consumers drop their
 * mappings, so that they resolve again (with GMEM_GET_WRITE) before they
 * write.  Contents and state stay, so flags 0, as for a migration.  Under
 * the invalidate_lock held shared only (dirty.c), so resolves run beside
 * it, which the consumers' retry protocol covers as for any invalidation;
 * the fd's dirty_lock keeps two of these from overlapping, the exclusive
 * lock of punch, conversion and migration keeps out theirs.
 */
void gmem_dirty_notify(struct inode *inode, pgoff_t start, pgoff_t end)
{
	lockdep_assert_held(&inode->i_mapping->invalidate_lock);
	lockdep_assert_held(&GMEM_I(inode)->dirty_lock);
	gmem_notify(inode, start, end, GMEM_EVENT_BEGIN, 0);
	gmem_notify(inode, start, end, GMEM_EVENT_END, 0);
}

/* Memory failure: called with the folio locked, without invalidate_lock. */
void gmem_notify_error(struct inode *inode, pgoff_t start, pgoff_t end)
{
	gmem_notify(inode, start, end, GMEM_EVENT_ERROR, 0);
}
