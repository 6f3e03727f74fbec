// SPDX-License-Identifier: GPL-2.0
/*
 * The consumer API: in-kernel users bind a range of a gmem fd and resolve
 * its private pages to pfns.  See include/linux/gmem.h for the contract.
 *
 * Lifetime: a binding holds a reference on the file, and the file keeps
 * only a list of its bindings, never a reference on a consumer.  A binding
 * is linked and unlinked under both the mapping's invalidate_lock
 * (exclusive) and the fd's bind_lock, so every invalidate_begin/end pair a
 * consumer sees is complete, and the list can be walked under either lock.
 *
 * A binding is freed by gmem_unbind(), so gmem cannot make a resolve that
 * starts after that safe: the consumer keeps resolves and unbind apart
 * (KVM does it with SRCU on its memslots).  With check_consumers set, gmem
 * also counts the resolves in flight, to catch a consumer that does not.
 *
 * The ops table carries its size (API version 2): gmem_bind() copies it
 * into the binding, zero-extended, after refusing one of another API.
 */
#include <linux/export.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/gmem.h>
#include <linux/jump_label.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/overflow.h>
#include <linux/pagemap.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/wait.h>
#include <uapi/linux/gmem.h>

#include "compat.h"
#include "gmem.h"
#include "gmem_trace.h"

/**
 * gmem_is_gmem_file - tell whether @file is a gmem memory fd
 * @file: any file
 *
 * Return: true if @file is the file of a gmem memory fd (one GMEM_CREATE
 * returned, or a reopening of it), false for any other file.
 */
bool gmem_is_gmem_file(const struct file *file)
{
	return file->f_op == &gmem_file_fops;
}
EXPORT_SYMBOL_NS_GPL(gmem_is_gmem_file, GMEM_NS);

/**
 * gmem_fget - get the gmem file behind a file descriptor
 * @fd: a file descriptor of the current task
 *
 * Return: the file with a reference the caller drops with fput(), or
 * ERR_PTR(-EBADF) if @fd is not open, ERR_PTR(-EINVAL) if it is not a gmem
 * memory fd.
 */
struct file *gmem_fget(int fd)
{
	struct file *file = fget(fd);

	if (!file)
		return ERR_PTR(-EBADF);
	if (!gmem_is_gmem_file(file)) {
		fput(file);
		return ERR_PTR(-EINVAL);
	}
	return file;
}
EXPORT_SYMBOL_NS_GPL(gmem_fget, GMEM_NS);

/**
 * gmem_file_flags - the GMEM_CREATE_* flags a gmem file has in effect
 * @file: any file
 *
 * GMEM_CREATE_MMAP says the VMM may map the fd, so its shared pages are
 * meant to be used in place (KVM resolves every fault of such a memslot
 * through gmem); GMEM_CREATE_HUGE also when the module parameter set it.
 * Takes no lock.
 *
 * Return: the flags, or 0 if @file is not a gmem file.
 */
u32 gmem_file_flags(const struct file *file)
{
	if (!gmem_is_gmem_file(file))
		return 0;
	return GMEM_I(file_inode(file))->flags;
}
EXPORT_SYMBOL_NS_GPL(gmem_file_flags, GMEM_NS);

/*
 * Counting the resolves in flight lets gmem_unbind() warn about one a
 * consumer left running and wait for it rather than free the binding
 * under it, and a resolve that starts once gmem_unbind() has begun fail
 * and warn.  It is a check of the consumer's side of the contract, whose
 * price is an atomic increment and decrement of a count that every vCPU
 * faulting through the memslot shares: a fifth to a quarter of a resolve's
 * time under TCG (tests/bench/results/2026-12-07-resolve-count.md).  So it
 * is off unless asked for, or the kernel is a debug one, and a static key
 * keeps it out of the resolve when off.  Fixed at load: a count taken with
 * the key off and dropped with it on would not balance.
 */
static bool gmem_check_consumers = IS_ENABLED(CONFIG_DEBUG_VM);
module_param_named(check_consumers, gmem_check_consumers, bool, 0444);
MODULE_PARM_DESC(check_consumers,
		 "Count resolves in flight, to catch a consumer that unbinds under one (default: Y on a CONFIG_DEBUG_VM kernel, else N)");

static DEFINE_STATIC_KEY_FALSE(gmem_counting);

/* Called once at module load, before any binding can exist. */
void gmem_bind_init(void)
{
	if (gmem_check_consumers)
		static_branch_enable(&gmem_counting);
}

/* The largest ops table gmem reads a tail of, to check it is zero. */
#define GMEM_OPS_SIZE_MAX	PAGE_SIZE

/*
 * An ops table of this API version, or of a later one whose additions
 * are all unset.  A version 1 table starts with a function pointer, read
 * here as size and flags: a kernel address has its upper half set (flags)
 * and NULL is size 0, so it is always refused.
 */
static int gmem_check_ops(const struct gmem_consumer_ops *ops)
{
	if (ops->size < GMEM_CONSUMER_OPS_SIZE_VER2 || ops->flags)
		return -EPROTO;
	if (ops->size > GMEM_OPS_SIZE_MAX)
		return -E2BIG;
	if (ops->size > sizeof(*ops) &&
	    memchr_inv((const u8 *)ops + sizeof(*ops), 0,
		       ops->size - sizeof(*ops)))
		return -E2BIG;
	return 0;
}

/**
 * gmem_bind - bind pages [@start, @start + @nr_pages) of a gmem file
 * @file: a gmem file; the binding takes a reference of its own
 * @start: first page index of the range
 * @nr_pages: length of the range in pages
 * @ops: notifications for the range, with @ops->size set to
 *	GMEM_CONSUMER_OPS_SIZE; any op may be NULL.  gmem keeps a copy.
 * @priv: passed to every op
 *
 * Takes the file's invalidate_lock (exclusive) and binding lock, so it
 * must not be called from an op.
 *
 * Return: the binding, or ERR_PTR(-EINVAL) if @file is not a gmem file,
 * @ops is NULL or the range is empty or past the end of the file,
 * ERR_PTR(-EPROTO) if @ops is of another API version (its size smaller
 * than version 2's, or flags set), ERR_PTR(-E2BIG) if it is larger than
 * gmem knows and sets something gmem does not know, ERR_PTR(-EBUSY) if
 * the range overlaps one already bound, ERR_PTR(-ENOMEM).  Nothing is
 * bound on error.
 */
struct gmem_binding *gmem_bind(struct file *file, pgoff_t start,
			       pgoff_t nr_pages,
			       const struct gmem_consumer_ops *ops, void *priv)
{
	struct gmem_binding *binding, *other;
	struct address_space *mapping;
	struct inode *inode;
	struct gmem_inode *gi;
	pgoff_t end;
	int err = 0;

	if (!file || !gmem_is_gmem_file(file) || !ops)
		return ERR_PTR(-EINVAL);
	err = gmem_check_ops(ops);
	if (err)
		return ERR_PTR(err);
	inode = file_inode(file);
	gi = GMEM_I(inode);
	mapping = inode->i_mapping;
	/* Called from an op, which holds one of them: a deadlock. */
	lockdep_assert_not_held(&gi->bind_lock);
	lockdep_assert_not_held(&mapping->invalidate_lock);
	if (!nr_pages || check_add_overflow(start, nr_pages, &end) ||
	    end > gmem_nr_pages(inode))
		return ERR_PTR(-EINVAL);

	binding = kzalloc(sizeof(*binding), GFP_KERNEL_ACCOUNT);
	if (!binding)
		return ERR_PTR(-ENOMEM);
	binding->start = start;
	binding->end = end;
	/* The lowest bit set in either end (end is never 0). */
	binding->aligned_order = __ffs(start | end);
	memcpy(&binding->ops, ops, min_t(size_t, ops->size, sizeof(*ops)));
	binding->priv = priv;
	refcount_set(&binding->users, 1);
	init_completion(&binding->idle);
	init_waitqueue_head(&binding->seq_wait);

	filemap_invalidate_lock(mapping);
	mutex_lock(&gi->bind_lock);
	list_for_each_entry(other, &gi->bindings, node) {
		if (start < other->end && other->start < end) {
			err = -EBUSY;
			break;
		}
	}
	if (!err) {
		binding->file = get_file(file);
		list_add_tail(&binding->node, &gi->bindings);
	}
	mutex_unlock(&gi->bind_lock);
	trace_gmem_bind(inode, start, end, err);
	filemap_invalidate_unlock(mapping);

	if (err) {
		kfree(binding);
		return ERR_PTR(err);
	}
	return binding;
}
EXPORT_SYMBOL_NS_GPL(gmem_bind, GMEM_NS);

/**
 * gmem_unbind - end a binding
 * @binding: what gmem_bind() returned
 *
 * Tells the consumer to let go of the whole range (invalidate_begin/end),
 * then drops the binding's file reference and frees @binding.  The caller
 * guarantees that no gmem_get_pfn() on @binding is running or starts once
 * this is called (with the check_consumers parameter set, gmem warns about
 * one still running and waits for it); once it returns, @binding must not
 * be used again and no op runs.  Takes the invalidate_lock (exclusive), so
 * it waits for every op in flight on the fd and must not be called from an
 * op.
 */
void gmem_unbind(struct gmem_binding *binding)
{
	struct inode *inode = file_inode(binding->file);
	struct address_space *mapping = inode->i_mapping;
	struct gmem_inode *gi = GMEM_I(inode);

	/* Called from an op, which holds one of them: a deadlock. */
	lockdep_assert_not_held(&gi->bind_lock);
	lockdep_assert_not_held(&mapping->invalidate_lock);
	/*
	 * A resolve still running breaks the caller's side of the contract;
	 * waiting for it at least keeps it from using freed memory.
	 */
	if (static_branch_unlikely(&gmem_counting) &&
	    WARN_ON_ONCE(!refcount_dec_and_test(&binding->users)))
		wait_for_completion(&binding->idle);

	filemap_invalidate_lock(mapping);
	mutex_lock(&gi->bind_lock);
	list_del(&binding->node);
	mutex_unlock(&gi->bind_lock);
	/* Unlinked: no other writer of the sequence count is left. */
	gmem_notify_binding(binding, binding->start, binding->end,
			    GMEM_EVENT_BEGIN, 0);
	gmem_notify_binding(binding, binding->start, binding->end,
			    GMEM_EVENT_END, 0);
	trace_gmem_unbind(inode, binding->start, binding->end, 0);
	filemap_invalidate_unlock(mapping);

	fput(binding->file);
	kfree(binding);
}
EXPORT_SYMBOL_NS_GPL(gmem_unbind, GMEM_NS);

/*
 * The largest order the consumer may map at @index: no larger than
 * @order, the folio's, aligned, inside the binding and inside [@first,
 * @last], the run of pages in the state asked for around @index.
 */
static int gmem_max_order(struct gmem_binding *binding, int order,
			  pgoff_t index, pgoff_t first, pgoff_t last)
{
	for (; order > 0; order--) {
		pgoff_t base = round_down(index, 1UL << order);
		pgoff_t end = base + (1UL << order);

		if (base >= max(binding->start, first) &&
		    end <= binding->end && end - 1 <= last)
			break;
	}
	return order;
}

/*
 * Whether page @index may be resolved in the state asked for: 0 with the
 * run of pages around it in that state, [*@first, *@last], or -EHWPOISON
 * or -EACCES.  The fd's common cases, no poisoned page and no shared one,
 * are tested inline, so that the other one costs no call; the lockless
 * path's common case tests both before it comes here.
 *
 * A private page in a 2 MiB block with no shared page gets the whole fd
 * as its run, as on an fd with no shared page: the run bounds no order,
 * since no folio is larger than the block (GMEM_HUGE_ORDER), and this way
 * neither needs the tree.
 */
static int gmem_resolve_state(struct gmem_inode *gi, pgoff_t index,
			      bool shared, pgoff_t *first, pgoff_t *last)
{
	if (!xa_empty(&gi->poison) && gmem_is_poisoned(gi, index))
		return -EHWPOISON;
	if (gmem_attr_none_shared(gi) || gmem_attr_block_private(gi, index)) {
		*first = 0;
		*last = ULONG_MAX;
		return shared ? -EACCES : 0;
	}
	return gmem_attr_lookup(gi, index, first, last) == shared ? 0 : -EACCES;
}

/*
 * The resolve of a page that is there: no invalidate_lock, no folio lock,
 * only RCU lookups and a folio reference, so vCPUs faulting in parallel
 * do not queue on the fd's locks.
 *
 * What it reads can be stale by the time it returns, and that is safe for
 * the reason a page-table walk under an MMU notifier is.  A consumer keeps
 * an answer only if its retry check, made under the lock its
 * invalidate_begin and error ops take, passes: only if the check came
 * before the notification of any change of the page (punch, conversion and
 * migration change it between invalidate_begin and invalidate_end; memory
 * failure stores the poison record, then calls the error op), and that
 * notification then removes what the consumer mapped.  A resolve that
 * starts after a notification is over reads the new state, since the
 * change is complete by then.  A folio taken out of the page cache
 * meanwhile stays valid memory while the reference is held.
 *
 * Anything not plainly in order takes the locked path, which returns the
 * exact error and does the rare work: a hole (allocation), a folio that
 * fallocate() inserted and nobody has claimed (not uptodate), a poisoned
 * page or folio (memory failure marks the page before it tells gmem), a
 * page not in the state asked for.
 *
 * The lookup and its checks are inlined twice: into the common case, a
 * private page on an fd with no poisoned page, in a 2 MiB block with no
 * shared page (gmem_attr_block_private(); on most fds, none at all), and
 * into gmem_get_folio_fast_mixed(), the rest.  In the common case only the
 * binding's ends bound the order, and a binding aligned to the folio's
 * size (a VMM's memslots usually are) takes it as it is, without the
 * search for the largest block that fits.  This is the path of every vCPU
 * fault, and each instruction shows: the search and a second look at the
 * folio's size cost the resolve 12 to 20% of its time in the benchmark
 * guest, and a walk of the tree of shared ranges more than its lookup of
 * the folio.
 *
 * Return: the folio, with a reference, or NULL for the locked path.
 */
static __always_inline struct folio *
gmem_get_folio_fast_run(struct gmem_binding *binding, pgoff_t index,
			pgoff_t first, pgoff_t last, struct page **page,
			int *max_order)
{
	struct inode *inode = file_inode(binding->file);
	struct gmem_inode *gi = GMEM_I(inode);
	struct folio *folio;
	int order;

	folio = filemap_get_folio(inode->i_mapping, index);
	/* NULL before 6.3, ERR_PTR(-ENOENT) after, when absent. */
	if (IS_ERR_OR_NULL(folio))
		return NULL;
	/*
	 * On an fd with armed ranges, a locked folio may be a missing page
	 * being filled, and a page of a huge fd's block being filled is there
	 * before the rest of the block is written (missing.c): the locked
	 * path waits for the folio lock or says -ENODATA.  Tested before
	 * uptodate, whose barrier orders the contents after.
	 */
	if (gmem_missing_armed(gi) &&
	    (folio_test_locked(folio) || gmem_missing_page(inode, index)))
		goto put;
	/* Uptodate: claimed, its zeroes visible (folio_test_uptodate's rmb). */
	if (!folio_test_uptodate(folio) || folio_test_hwpoison(folio))
		goto put;
	order = folio_order(folio);
	/*
	 * Another page of it marked by memory failure, and not split off:
	 * gmem_folio_has_poison(), with the order read once for the page too.
	 */
	if (order && folio_test_has_hwpoisoned(folio))
		goto put;
	*page = folio_page(folio, index & ((1UL << order) - 1));
	/*
	 * Bound by the binding's alignment alone on an fd with no shared
	 * page, the order is the folio's: no search for the largest fit.
	 */
	if (first || last != ULONG_MAX || order > binding->aligned_order)
		order = gmem_max_order(binding, order, index, first, last);
	*max_order = order;
	return folio;
put:
	folio_put(folio);
	return NULL;
}

/*
 * A shared resolve, or an fd with a poisoned page, or a 2 MiB block with a
 * shared page: the run of pages around @index bounds the order.
 */
static noinline struct folio *
gmem_get_folio_fast_mixed(struct gmem_binding *binding, pgoff_t index,
			  bool shared, struct page **page, int *max_order)
{
	struct gmem_inode *gi = GMEM_I(file_inode(binding->file));
	pgoff_t first, last;

	if (gmem_resolve_state(gi, index, shared, &first, &last))
		return NULL;
	return gmem_get_folio_fast_run(binding, index, first, last, page,
				       max_order);
}

static __always_inline struct folio *
gmem_get_folio_fast(struct gmem_binding *binding, pgoff_t index, bool shared,
		    struct page **page, int *max_order)
{
	struct gmem_inode *gi = GMEM_I(file_inode(binding->file));

	if (unlikely(!xa_empty(&gi->poison)))
		return gmem_get_folio_fast_mixed(binding, index, shared, page,
						 max_order);
	if (gmem_attr_none_shared(gi)) {
		/* No shared page: a shared resolve's -EACCES is exact. */
		if (shared)
			return NULL;
	} else if (shared || !gmem_attr_block_private(gi, index)) {
		return gmem_get_folio_fast_mixed(binding, index, shared, page,
						 max_order);
	}
	/* A private page, and none shared in its block: no run to bound. */
	return gmem_get_folio_fast_run(binding, index, 0, ULONG_MAX, page,
				       max_order);
}

/*
 * Everything gmem_get_folio_fast() leaves: under the invalidate_lock
 * (shared), which holds off every change of the page, so the answer and
 * its error are exact.  Out of line, as gmem_get_folio_fast_mixed() is.
 * Return: the folio, with a reference, or an ERR_PTR.
 */
static noinline struct folio *
gmem_get_folio_locked(struct gmem_binding *binding, pgoff_t index,
		      bool shared, struct page **page, int *max_order)
{
	struct inode *inode = file_inode(binding->file);
	struct gmem_inode *gi = GMEM_I(inode);
	pgoff_t first, last;
	struct folio *folio;
	int err;

	filemap_invalidate_lock_shared(inode->i_mapping);
	err = gmem_resolve_state(gi, index, shared, &first, &last);
	if (!err && gmem_missing_armed(gi)) {
		/* Reported, or nobody to report to: the VMM fills it. */
		err = gmem_missing_touch(inode, index, GMEM_MISSING_CONSUMER);
		if (err == GMEM_MISSING_WAIT)
			err = -ENODATA;
	}
	if (err) {
		folio = ERR_PTR(err);
		goto out;
	}
	folio = gmem_get_folio(inode, index);
	if (IS_ERR(folio))
		goto out;
	*page = folio_file_page(folio, index);
	*max_order = gmem_max_order(binding, folio_order(folio), index, first,
				    last);
	folio_unlock(folio);
out:
	filemap_invalidate_unlock_shared(inode->i_mapping);
	return folio;
}

/**
 * gmem_get_pfn - resolve a page of a binding
 * @binding: the binding
 * @index: page index in the file, inside the binding's range
 * @flags: 0 to resolve a private page, GMEM_GET_SHARED a shared one; with
 *	GMEM_GET_WRITE, the caller is going to write the page, which a
 *	GMEM_CREATE_DIRTY_LOG fd then logs as written, with the rest of
 *	the 2^@max_order block around it
 * @pfn: out: the page frame number
 * @page: out: the page, with a reference the caller drops with put_page()
 * @max_order: out: the largest order the caller may map at @index (the
 *	folio's size, alignment, the binding and a range uniformly in the
 *	state asked for bound it)
 *
 * Allocates the page (zeroed) if it is not there yet.  A consumer that
 * maps the pfn must follow the invalidate protocol: the answer is only
 * good if no invalidate_begin or error of the page came between the
 * start of its retry window (KVM's mmu_invalidate_seq read,
 * gmem_read_begin()) and the retry check.  A page that is there in the
 * state asked for resolves without any lock; a hole, a page fallocate()
 * has not handed out yet and every error take the invalidate_lock (shared)
 * and the folio lock.
 *
 * Must not be called from a consumer op (it may take the invalidate_lock),
 * nor once gmem_unbind() of @binding has been called.
 *
 * A page that is missing (in a range the VMM armed with
 * GMEM_MISSING_ARM and not filled yet) is not allocated: the call reports
 * it to the VMM and returns -ENODATA at once, without waiting; the
 * consumer hands the fault to userspace (KVM: an exit), and resolves again
 * once the VMM has filled the page.
 *
 * Return: 0, or -EINVAL for unknown @flags, -ERANGE if @index is outside
 * the binding, -EHWPOISON if the page is poisoned, -EACCES if it is not
 * in the state asked for (shared, or private with GMEM_GET_SHARED),
 * -ENODATA if it is missing, -ENOMEM, -ENOSPC over max_total, or, with the
 * check_consumers parameter set, -ENODEV if gmem_unbind() of @binding has
 * begun (a caller bug, which this warns about).
 */
int gmem_get_pfn(struct gmem_binding *binding, pgoff_t index,
		 unsigned int flags, unsigned long *pfn, struct page **page,
		 int *max_order)
{
	bool shared = flags & GMEM_GET_SHARED;
	struct folio *folio;
	bool fast = false;
	int err = 0;

	/* From an op, under the invalidate_lock: a deadlock. */
	lockdep_assert_not_held(&binding->file->f_mapping->invalidate_lock);
	if (flags & ~(GMEM_GET_SHARED | GMEM_GET_WRITE)) {
		err = -EINVAL;
		goto out;
	}
	if (index < binding->start || index >= binding->end) {
		err = -ERANGE;
		goto out;
	}
	/*
	 * Not traced: gmem_unbind() may free @binding from here on, and the
	 * event reads it.
	 */
	if (static_branch_unlikely(&gmem_counting) &&
	    WARN_ON_ONCE(!refcount_inc_not_zero(&binding->users)))
		return -ENODEV;

	folio = gmem_get_folio_fast(binding, index, shared, page, max_order);
	if (folio)
		fast = true;
	else
		folio = gmem_get_folio_locked(binding, index, shared, page,
					      max_order);
	if (IS_ERR(folio)) {
		err = PTR_ERR(folio);
	} else {
		/*
		 * Before the consumer can write: a GMEM_DIRTY_LOG that takes
		 * the bits after this invalidates the mapping made of them.
		 * The consumer may map the whole 2^max_order block writable
		 * (KVM does, with one 2 MiB entry), and then writes to any
		 * page of it reach no resolve: log the block, as a host PMD
		 * write fault does.
		 */
		if (flags & GMEM_GET_WRITE) {
			pgoff_t first = ALIGN_DOWN(index, 1UL << *max_order);

			gmem_dirty_mark(GMEM_I(file_inode(binding->file)),
					first, first + (1UL << *max_order));
		}
		*pfn = page_to_pfn(*page);
	}

	/* The event reads @binding: before gmem_unbind() may free it. */
	trace_gmem_resolve(binding, index, flags, fast, pfn, max_order, err);
	if (static_branch_unlikely(&gmem_counting) &&
	    refcount_dec_and_test(&binding->users))
		complete(&binding->idle);
	return err;
out:
	trace_gmem_resolve(binding, index, flags, fast, pfn, max_order, err);
	return err;
}
EXPORT_SYMBOL_NS_GPL(gmem_get_pfn, GMEM_NS);

/* Pages [@start, @end) of @binding that are shared, or -1 outside it. */
static long gmem_nr_shared(struct gmem_binding *binding, pgoff_t start,
			   pgoff_t end)
{
	struct gmem_inode *gi = GMEM_I(file_inode(binding->file));

	if (start >= end || start < binding->start || end > binding->end)
		return -1;
	if (end - start == 1)
		return gmem_attr_is_shared(gi, start);
	return gmem_attr_nr_shared(gi, start, end);
}

/**
 * gmem_is_private - whether every page of [@start, @end) is private
 * @binding: the binding
 * @start: first page index, inside the binding
 * @end: the index after the last page, inside the binding
 *
 * gmem's shared/private state is the only one: a consumer that needs the
 * state of a page (KVM: whether a guest access is private) asks here.  The
 * answer can change once the call returns, except while the consumer is
 * between invalidate_begin and invalidate_end of a conversion of the range
 * (where it is already the new state) or until gmem_read_retry() says so.
 * Takes no sleeping lock (a single page: none at all), so it may be called
 * under a consumer's spinlock and from an op.
 *
 * Return: true if every page is private; false if one is shared, or the
 * range is empty or not inside the binding.
 */
bool gmem_is_private(struct gmem_binding *binding, pgoff_t start,
		     pgoff_t end)
{
	return gmem_nr_shared(binding, start, end) == 0;
}
EXPORT_SYMBOL_NS_GPL(gmem_is_private, GMEM_NS);

/**
 * gmem_is_shared - whether every page of [@start, @end) is shared
 * @binding: the binding
 * @start: first page index, inside the binding
 * @end: the index after the last page, inside the binding
 *
 * As gmem_is_private(), for the other state; a range for which both are
 * false is mixed (or not inside the binding).
 *
 * Return: true if every page is shared.
 */
bool gmem_is_shared(struct gmem_binding *binding, pgoff_t start,
		    pgoff_t end)
{
	long nr = gmem_nr_shared(binding, start, end);

	return nr > 0 && nr == end - start;
}
EXPORT_SYMBOL_NS_GPL(gmem_is_shared, GMEM_NS);

/**
 * gmem_read_begin - start a resolve that must not race an invalidation
 * @binding: the binding
 *
 * A consumer without a retry protocol of its own (KVM has one, its
 * mmu_invalidate_seq) brackets a resolve and the mapping it makes with
 * this and gmem_read_retry(), as with mmu_interval_read_begin()::
 *
 *	again:
 *		seq = gmem_read_begin(binding);
 *		gmem_get_pfn(binding, index, 0, &pfn, &page, &order);
 *		lock(consumer's lock);	(its invalidate_begin takes it too)
 *		if (gmem_read_retry(binding, seq)) {
 *			unlock; put_page(page); goto again;
 *		}
 *		map pfn; unlock;
 *
 * Waits (sleeps) while an invalidation of the binding is in progress, so
 * it must not be called from an op or under a lock an op takes.  The
 * count covers the whole binding: an invalidation of any of its pages
 * makes every read begun before it retry.
 *
 * Return: the sequence count to give gmem_read_retry().
 */
unsigned long gmem_read_begin(struct gmem_binding *binding)
{
	unsigned long seq;

	for (;;) {
		seq = READ_ONCE(binding->seq);
		if (!(seq & 1))
			break;
		wait_event(binding->seq_wait, READ_ONCE(binding->seq) != seq);
	}
	/* Pairs with gmem_seq_bump(): no state read is older than @seq. */
	smp_rmb();
	return seq;
}
EXPORT_SYMBOL_NS_GPL(gmem_read_begin, GMEM_NS);

/**
 * gmem_read_retry - whether what was resolved since gmem_read_begin() may
 *	be stale
 * @binding: the binding
 * @seq: what gmem_read_begin() returned
 *
 * Called under the consumer's lock that its invalidate_begin takes, right
 * before it maps what it resolved.  Takes no lock.
 *
 * Return: true if an invalidation or memory failure of the binding has
 * begun since gmem_read_begin(): drop what was resolved and start again.
 */
bool gmem_read_retry(struct gmem_binding *binding, unsigned long seq)
{
	/* Pairs with gmem_seq_bump(): what was read comes before the count. */
	smp_rmb();
	return READ_ONCE(binding->seq) != seq;
}
EXPORT_SYMBOL_NS_GPL(gmem_read_retry, GMEM_NS);
