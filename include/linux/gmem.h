/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gmem consumer API: how an in-kernel user (a patched KVM, a test module)
 * binds a range of a gmem fd and resolves its private pages.
 *
 * A consumer holds a struct gmem_binding.  The binding holds a reference on
 * the gmem file; the file holds nothing of the consumer.  So a consumer may
 * go away before the fd (it unbinds) and the fd may be closed before the
 * consumer (the memory stays until the last binding goes).
 *
 * Page indices are those of the file (byte offset >> PAGE_SHIFT), never
 * relative to the binding.
 */
#ifndef _LINUX_GMEM_H
#define _LINUX_GMEM_H

#include <linux/types.h>

/* Bumped whenever anything in this header changes incompatibly. */
#define GMEM_API_VERSION	1

struct file;
struct page;
struct gmem_binding;

/**
 * struct gmem_consumer_ops - what gmem tells a bound consumer
 * @invalidate_begin: pages [@start, @end) of the binding's range are about
 *	to change (punch, shared/private conversion, unbind): stop using them
 *	and drop every mapping of them before returning.  Until the matching
 *	@invalidate_end, a resolve of these pages may return memory that is
 *	about to go; the consumer must not map it (KVM's retry protocol).
 * @invalidate_end: the change of [@start, @end) is complete.
 * @error: memory failure hit pages [@start, @end); they are gone for good
 *	(resolve returns -EHWPOISON there until the range is punched).  Drop
 *	every mapping of them before returning.
 *
 * Each op receives the private pointer given to gmem_bind() and a range
 * already clipped to the binding.  Ops run in process context and may
 * sleep; they are never called after gmem_unbind() has returned.
 *
 * Locks held while an op runs:
 *
 * - @invalidate_begin and @invalidate_end from punch, conversion,
 *   GMEM_MIGRATE: the file's mapping->invalidate_lock (exclusive) and
 *   gmem's per-fd binding lock.
 * - @invalidate_begin and @invalidate_end from gmem_unbind() (the binding
 *   being ended hears about its whole range): the invalidate_lock
 *   (exclusive) only.
 * - @error: the binding lock and the lock of the failed folio; the
 *   invalidate_lock only when gmem found the failure itself (shared, on a
 *   fault or resolve; exclusive, on punch or conversion), not when memory
 *   failure reports it.
 *
 * So an op must not call gmem_bind(), gmem_unbind() or gmem_get_pfn()
 * (each takes one of these locks; lockdep says so on a debug kernel), nor
 * wait for a thread that does.
 */
struct gmem_consumer_ops {
	void (*invalidate_begin)(void *priv, pgoff_t start, pgoff_t end);
	void (*invalidate_end)(void *priv, pgoff_t start, pgoff_t end);
	void (*error)(void *priv, pgoff_t start, pgoff_t end);
};

bool gmem_is_gmem_file(const struct file *file);
struct file *gmem_fget(int fd);

struct gmem_binding *gmem_bind(struct file *file, pgoff_t start,
			       pgoff_t nr_pages,
			       const struct gmem_consumer_ops *ops, void *priv);
void gmem_unbind(struct gmem_binding *binding);

/*
 * gmem_get_pfn() and gmem_unbind() of the same binding are kept apart by
 * the consumer: no resolve may be running or start once gmem_unbind() is
 * called, which frees the binding (KVM: resolves run under the memslots'
 * SRCU, unbind after synchronize_srcu()).  Resolves of one binding may
 * run concurrently with each other and with every op.
 */
int gmem_get_pfn(struct gmem_binding *binding, pgoff_t index,
		 unsigned long *pfn, struct page **page, int *max_order);

#endif /* _LINUX_GMEM_H */
