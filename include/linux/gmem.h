/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gmem consumer API: how an in-kernel user (a patched KVM, a test module)
 * binds a range of a gmem fd, resolves its pages and asks which of them
 * are private.
 *
 * A consumer holds a struct gmem_binding.  The binding holds a reference on
 * the gmem file; the file holds nothing of the consumer.  So a consumer may
 * go away before the fd (it unbinds) and the fd may be closed before the
 * consumer (the memory stays until the last binding goes).
 *
 * Page indices are those of the file (byte offset >> PAGE_SHIFT), never
 * relative to the binding.
 *
 * Versions: GMEM_API_VERSION is checked at build time; struct
 * gmem_consumer_ops carries its own size, checked by gmem_bind() at run
 * time, so a consumer built against another version of this header is
 * refused with -EPROTO instead of having its ops table misread.
 */
#ifndef _LINUX_GMEM_H
#define _LINUX_GMEM_H

#include <linux/bits.h>
#include <linux/stddef.h>
#include <linux/types.h>

/*
 * Bumped whenever anything in this header changes incompatibly.
 * 2: ops carry their size and flags, invalidations say whether the page
 *    state changes, gmem_get_pfn() takes flags (shared pages), the
 *    private/shared queries, the read_begin/retry helpers.
 */
#define GMEM_API_VERSION	2

struct file;
struct page;
struct gmem_binding;

/*
 * What an invalidation does to its range, the @flags of invalidate_begin
 * and invalidate_end.  0: the contents or the placement of the pages
 * change (punch, GMEM_MIGRATE), the binding ends (gmem_unbind()), or
 * GMEM_DIRTY_LOG cleared their bits (the consumer resolves again with
 * GMEM_GET_WRITE before it writes); the shared/private state stays.
 * GMEM_INV_TO_SHARED, GMEM_INV_TO_PRIVATE: a conversion; every page of
 * the range has that state once invalidate_end is called
 * (gmem_is_private() already says so then), and the contents stay unless
 * the VMM asked for zeroing.
 */
#define GMEM_INV_TO_SHARED	BIT(0)
#define GMEM_INV_TO_PRIVATE	BIT(1)

/**
 * struct gmem_consumer_ops - what gmem tells a bound consumer
 * @size: sizeof(struct gmem_consumer_ops) as the consumer was built, i.e.
 *	GMEM_CONSUMER_OPS_SIZE.  gmem_bind() refuses a smaller one (a
 *	consumer of an older API) with -EPROTO, and a larger one with
 *	-E2BIG unless every byte gmem does not know is zero.
 * @flags: none defined yet; must be 0 (else -EPROTO).
 * @invalidate_begin: pages [@start, @end) of the binding's range are about
 *	to change as @flags (GMEM_INV_*) says: stop using them and drop
 *	every mapping of them before returning.  Until the matching
 *	@invalidate_end, a resolve of these pages may return memory that is
 *	about to go; the consumer must not map it (gmem_read_begin() and
 *	gmem_read_retry() detect that, or the consumer's own protocol, as
 *	KVM's mmu_invalidate_seq).
 * @invalidate_end: the change of [@start, @end) is complete; @flags as
 *	for the matching @invalidate_begin.
 * @error: memory failure hit pages [@start, @end); they are gone for good
 *	(resolve returns -EHWPOISON there until the range is punched).  Drop
 *	every mapping of them before returning.
 *
 * Each op receives the private pointer given to gmem_bind() and a range
 * already clipped to the binding.  Any op may be NULL.  Ops run in
 * process context and may sleep; they are never called after
 * gmem_unbind() has returned.
 *
 * Locks held while an op runs:
 *
 * - @invalidate_begin and @invalidate_end from punch, conversion,
 *   GMEM_MIGRATE: the file's mapping->invalidate_lock (exclusive) and
 *   gmem's per-fd binding lock.
 * - @invalidate_begin and @invalidate_end (@flags 0) from a GMEM_DIRTY_LOG
 *   clear, for the pages whose bits it took: the invalidate_lock held
 *   shared (resolves run meanwhile), gmem's per-fd dirty-log lock and the
 *   binding lock.
 * - @invalidate_begin and @invalidate_end from gmem_unbind() (the binding
 *   being ended hears about its whole range, @flags 0): the
 *   invalidate_lock (exclusive) only.
 * - @error: the binding lock and the lock of the failed folio; the
 *   invalidate_lock only when gmem found the failure itself (shared, on a
 *   fault or resolve; exclusive, on punch or conversion), not when memory
 *   failure reports it.
 *
 * So an op must not call gmem_bind(), gmem_unbind(), gmem_get_pfn() or
 * gmem_read_begin() (each takes one of these locks or waits for the
 * invalidation to end; lockdep says so on a debug kernel), nor wait for a
 * thread that does.  gmem_is_private(), gmem_is_shared() and
 * gmem_read_retry() take no lock and may be called from an op.
 */
struct gmem_consumer_ops {
	u32 size;
	u32 flags;
	void (*invalidate_begin)(void *priv, pgoff_t start, pgoff_t end,
				 unsigned int flags);
	void (*invalidate_end)(void *priv, pgoff_t start, pgoff_t end,
			       unsigned int flags);
	void (*error)(void *priv, pgoff_t start, pgoff_t end);
};

/* The first ops table of API version 2; every later one is larger. */
#define GMEM_CONSUMER_OPS_SIZE_VER2	\
	offsetofend(struct gmem_consumer_ops, error)
#define GMEM_CONSUMER_OPS_SIZE		sizeof(struct gmem_consumer_ops)

bool gmem_is_gmem_file(const struct file *file);
struct file *gmem_fget(int fd);
u32 gmem_file_flags(const struct file *file);

struct gmem_binding *gmem_bind(struct file *file, pgoff_t start,
			       pgoff_t nr_pages,
			       const struct gmem_consumer_ops *ops, void *priv);
void gmem_unbind(struct gmem_binding *binding);

/* gmem_get_pfn() flags: resolve a shared page (-EACCES if it is private). */
#define GMEM_GET_SHARED		BIT(0)
/*
 * The consumer is going to write the page: on a GMEM_CREATE_DIRTY_LOG fd
 * the page is logged as written, and so is every page of the aligned
 * block of 2^max_order pages around it, which the consumer may map
 * writable with it.  A consumer of such an fd maps a page writable only
 * if it resolved it (or a page of its block) with this flag since the
 * last invalidation of it: GMEM_DIRTY_LOG invalidates the pages it clears.
 */
#define GMEM_GET_WRITE		BIT(1)

/*
 * gmem_get_pfn() of a missing page (in a range the VMM armed for demand
 * paging with GMEM_MISSING_ARM, not filled yet) returns -ENODATA at once,
 * having reported the page to the VMM (or found nobody to report to); no
 * other outcome of a resolve uses that errno.  The consumer must not wait
 * for the page in the kernel: it hands the fault to userspace (KVM: an
 * exit to the VMM, KVM_EXIT_MEMORY_FAULT), which fills the page and
 * retries.
 *
 * gmem_get_pfn() and gmem_unbind() of the same binding are kept apart by
 * the consumer: no resolve may be running or start once gmem_unbind() is
 * called, which frees the binding (KVM: resolves run under the memslots'
 * SRCU, unbind after synchronize_srcu()).  gmem checks this only with its
 * check_consumers module parameter set (the default on a CONFIG_DEBUG_VM
 * kernel): then it warns, waits for a resolve still running, and fails
 * one that starts with -ENODEV.  Resolves of one binding may
 * run concurrently with each other and with every op.  A resolve of a page
 * that is there takes no lock; its answer holds only as far as the
 * consumer's retry protocol (invalidate_begin/end and error, see above)
 * says it does.
 */
int gmem_get_pfn(struct gmem_binding *binding, pgoff_t index,
		 unsigned int flags, unsigned long *pfn, struct page **page,
		 int *max_order);

bool gmem_is_private(struct gmem_binding *binding, pgoff_t start,
		     pgoff_t end);
bool gmem_is_shared(struct gmem_binding *binding, pgoff_t start,
		    pgoff_t end);

unsigned long gmem_read_begin(struct gmem_binding *binding);
bool gmem_read_retry(struct gmem_binding *binding, unsigned long seq);

#endif /* _LINUX_GMEM_H */
