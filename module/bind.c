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
 * (KVM does it with SRCU on its memslots).
 */
#include <linux/export.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/gmem.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/pagemap.h>
#include <linux/slab.h>

#include "compat.h"
#include "gmem.h"

/**
 * gmem_is_gmem_file - tell whether @file is a gmem memory fd
 * @file: any file
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
 * gmem_bind - bind pages [@start, @start + @nr_pages) of a gmem file
 * @file: a gmem file; the binding takes a reference of its own
 * @start: first page index of the range
 * @nr_pages: length of the range in pages
 * @ops: notifications for the range; any op may be NULL
 * @priv: passed to every op
 *
 * Return: the binding, or ERR_PTR(-EINVAL) if @file is not a gmem file,
 * @ops is NULL or the range is empty or past the end of the file,
 * ERR_PTR(-EBUSY) if it overlaps a range already bound, ERR_PTR(-ENOMEM).
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
	binding->ops = ops;
	binding->priv = priv;
	refcount_set(&binding->users, 1);
	init_completion(&binding->idle);

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
 * this is called; once it returns, @binding must not be used again and no
 * op runs.
 */
void gmem_unbind(struct gmem_binding *binding)
{
	struct inode *inode = file_inode(binding->file);
	struct address_space *mapping = inode->i_mapping;
	struct gmem_inode *gi = GMEM_I(inode);
	const struct gmem_consumer_ops *ops = binding->ops;

	/* Called from an op, which holds one of them: a deadlock. */
	lockdep_assert_not_held(&gi->bind_lock);
	lockdep_assert_not_held(&mapping->invalidate_lock);
	/*
	 * A resolve still running breaks the caller's side of the contract;
	 * waiting for it at least keeps it from using freed memory.
	 */
	if (WARN_ON_ONCE(!refcount_dec_and_test(&binding->users)))
		wait_for_completion(&binding->idle);

	filemap_invalidate_lock(mapping);
	mutex_lock(&gi->bind_lock);
	list_del(&binding->node);
	mutex_unlock(&gi->bind_lock);
	if (ops->invalidate_begin)
		ops->invalidate_begin(binding->priv, binding->start, binding->end);
	if (ops->invalidate_end)
		ops->invalidate_end(binding->priv, binding->start, binding->end);
	filemap_invalidate_unlock(mapping);

	fput(binding->file);
	kfree(binding);
}
EXPORT_SYMBOL_NS_GPL(gmem_unbind, GMEM_NS);

/*
 * The largest order the consumer may map at @index: no larger than the
 * folio, aligned, inside the binding and wholly private.
 */
static int gmem_max_order(struct gmem_binding *binding, struct folio *folio,
			  pgoff_t index)
{
	struct gmem_inode *gi = GMEM_I(file_inode(binding->file));
	int order = folio_order(folio);

	/* The shared/private answer holds only while the lock is held. */
	lockdep_assert_held(&binding->file->f_mapping->invalidate_lock);

	for (; order > 0; order--) {
		pgoff_t base = round_down(index, 1UL << order);
		pgoff_t last = base + (1UL << order);

		if (base >= binding->start && last <= binding->end &&
		    !gmem_attr_nr_shared(gi, base, last))
			break;
	}
	return order;
}

/**
 * gmem_get_pfn - resolve a private page of a binding
 * @binding: the binding
 * @index: page index in the file, inside the binding's range
 * @pfn: out: the page frame number
 * @page: out: the page, with a reference the caller drops with put_page()
 * @max_order: out: the largest order the caller may map at @index (the
 *	folio's size, alignment, the binding and a uniform private range
 *	bound it)
 *
 * Allocates the page (zeroed) if it is not there yet.  A consumer that
 * maps the pfn must follow the invalidate protocol: a concurrent
 * invalidate_begin means the answer may already be stale.
 *
 * Must not be called from a consumer op (it takes the invalidate_lock),
 * nor once gmem_unbind() of @binding has been called.
 *
 * Return: 0, or -ERANGE if @index is outside the binding, -EHWPOISON if the
 * page is poisoned, -EACCES if it is shared, -ENOMEM, -ENOSPC over
 * max_total, or -ENODEV if gmem_unbind() of @binding is already waiting
 * (a caller bug, which gmem_unbind() warns about).
 */
int gmem_get_pfn(struct gmem_binding *binding, pgoff_t index,
		 unsigned long *pfn, struct page **page, int *max_order)
{
	struct inode *inode = file_inode(binding->file);
	struct address_space *mapping = inode->i_mapping;
	struct gmem_inode *gi = GMEM_I(inode);
	struct folio *folio;
	int err = 0;

	/* From an op, under the invalidate_lock: a deadlock. */
	lockdep_assert_not_held(&mapping->invalidate_lock);
	if (index < binding->start || index >= binding->end)
		return -ERANGE;
	if (!refcount_inc_not_zero(&binding->users))
		return -ENODEV;

	filemap_invalidate_lock_shared(mapping);
	if (gmem_is_poisoned(gi, index)) {
		err = -EHWPOISON;
		goto out;
	}
	if (gmem_attr_is_shared(gi, index)) {
		err = -EACCES;
		goto out;
	}
	folio = gmem_get_folio(inode, index);
	if (IS_ERR(folio)) {
		err = PTR_ERR(folio);
		goto out;
	}
	*page = folio_file_page(folio, index);
	*pfn = page_to_pfn(*page);
	*max_order = gmem_max_order(binding, folio, index);
	folio_unlock(folio);
out:
	filemap_invalidate_unlock_shared(mapping);
	if (refcount_dec_and_test(&binding->users))
		complete(&binding->idle);
	return err;
}
EXPORT_SYMBOL_NS_GPL(gmem_get_pfn, GMEM_NS);
