// SPDX-License-Identifier: GPL-2.0
/*
 * GMEM_POPULATE: copy a guest image into private pages before the guest
 * runs, the one way host userspace may write private memory.
 */
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>

#include "gmem.h"
#include "gmem_trace.h"

/* Copy one page from @buf into page @index, which must be private. */
static int gmem_populate_page(struct inode *inode, pgoff_t index,
			      const void *buf)
{
	struct address_space *mapping = inode->i_mapping;
	struct folio *folio;
	int err = 0;

	filemap_invalidate_lock_shared(mapping);
	if (gmem_attr_is_shared(GMEM_I(inode), index)) {
		err = -EINVAL;
		goto out;
	}

	if (gmem_is_poisoned(GMEM_I(inode), index)) {
		err = -EHWPOISON;
		goto out;
	}

	folio = gmem_get_folio(inode, index);
	if (IS_ERR(folio)) {
		err = PTR_ERR(folio);
		goto out;
	}
	memcpy_to_page(folio_file_page(folio, index), 0, buf, PAGE_SIZE);
	gmem_dirty_mark(GMEM_I(inode), index, index + 1);
	folio_unlock(folio);
	folio_put(folio);
out:
	filemap_invalidate_unlock_shared(mapping);
	return err;
}

/**
 * gmem_populate - copy user memory into private pages [@start, @end)
 * @inode: a gmem inode
 * @start: first page index
 * @end: page index after the last one
 * @src: user address of the data
 * @copied: incremented by every byte copied, also on failure
 *
 * Return: 0, -EINVAL if the range has a shared page (checked before
 * anything is copied, and again per page), -EFAULT on a bad @src,
 * -ENOMEM, -EHWPOISON, or -EINTR on a fatal signal.
 */
int gmem_populate(struct inode *inode, pgoff_t start, pgoff_t end,
		  const void __user *src, u64 *copied)
{
	struct address_space *mapping = inode->i_mapping;
	struct gmem_missing_fill fill = {};
	pgoff_t index = start, nr_shared;
	void *buf;
	int err = 0;

	filemap_invalidate_lock_shared(mapping);
	nr_shared = gmem_attr_nr_shared(GMEM_I(inode), start, end);
	filemap_invalidate_unlock_shared(mapping);
	if (nr_shared) {
		err = -EINVAL;
		goto out;
	}

	buf = (void *)__get_free_page(GFP_KERNEL);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}

	/*
	 * The user copy goes through a bounce page taken before the lock:
	 * @src may itself be a mapping of this fd, whose fault needs the
	 * invalidate_lock, and a failed copy must not leave a page half
	 * written.
	 */
	for (index = start; index < end; index++) {
		if (fatal_signal_pending(current)) {
			err = -EINTR;
			break;
		}
		if (copy_from_user(buf, src, PAGE_SIZE)) {
			err = -EFAULT;
			break;
		}
		/* Touches of the page wait until it is written (missing.c). */
		err = gmem_missing_fill_page(inode, &fill, index);
		if (err)
			break;
		err = gmem_populate_page(inode, index, buf);
		if (err)
			break;
		*copied += PAGE_SIZE;
		src += PAGE_SIZE;
		cond_resched();
	}

	/* Whatever waits for the pages populated may have them now. */
	gmem_missing_fill_done(inode, &fill);
	free_page((unsigned long)buf);
out:
	trace_gmem_populate(inode, start, end, index, err);
	return err;
}
