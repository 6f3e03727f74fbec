// SPDX-License-Identifier: GPL-2.0
/*
 * read() and write() of shared pages: a VMM saves and restores a guest's
 * shared memory (a snapshot, a migration stream) without mapping all of
 * it.  Private pages have no host path here either: the first one a call
 * reaches ends it, with -EACCES if it is the first page, else with the
 * bytes copied up to it, as a file ends a read at a hole it cannot cross.
 *
 * Each page is copied under the invalidate_lock held shared, so it cannot
 * turn private, be punched or move while its bytes go out or come in.
 * The user buffer may be a mapping of this very fd, whose fault needs the
 * same lock (and a shared rwsem taken twice deadlocks against a waiting
 * writer), so the copy runs with page faults disabled; when it falls
 * short the lock is dropped, the buffer faulted in, and the page copied
 * again from its start.
 *
 * On an fd with armed ranges (demand paging, missing.c) a read of a
 * missing page is reported and waits for the fill, as a pipe waits for a
 * writer, and a write is a fill: it copies through a kernel page, so the
 * page it fills is never seen half written.
 */
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "compat.h"
#include "gmem.h"
#include "gmem_trace.h"

/*
 * gmem_read_page(): the page is missing and reported (missing.c); wait for
 * it to be filled and read it again.  Never leaves this file.
 */
#define GMEM_READ_WAIT		(-EINPROGRESS)

/*
 * Copies @bytes from byte @offset of page @index to @to.  A page never
 * allocated reads as zeroes, and stays unallocated, unless it is missing
 * (an armed range): then it is reported and waited for.  Return: the
 * bytes copied (short if the user buffer faulted), or -EACCES (private),
 * -EHWPOISON (lost to memory failure), GMEM_READ_WAIT, -EIO (missing, and
 * no event fd to report it on), -ENOMEM (the report failed).
 */
static ssize_t gmem_read_page(struct inode *inode, pgoff_t index,
			      size_t offset, size_t bytes, struct iov_iter *to)
{
	struct address_space *mapping = inode->i_mapping;
	struct gmem_inode *gi = GMEM_I(inode);
	bool armed = gmem_missing_armed(gi);
	struct folio *folio;
	ssize_t ret;

	filemap_invalidate_lock_shared(mapping);
	if (!gmem_attr_is_shared(gi, index)) {
		ret = -EACCES;
		goto out;
	}
	if (gmem_is_poisoned(gi, index)) {
		ret = -EHWPOISON;
		goto out;
	}
	if (armed) {
		ret = gmem_missing_touch(inode, index, GMEM_MISSING_READ);
		if (ret == GMEM_MISSING_WAIT)
			ret = GMEM_READ_WAIT;
		else if (ret == -ENODATA)
			ret = -EIO;
		if (ret)
			goto out;
		/*
		 * Locked, so that a page being filled is read once its
		 * contents are in: the filler holds the lock until then.
		 */
		folio = filemap_lock_folio(mapping, index);
	} else {
		/* NULL before 6.3, ERR_PTR(-ENOENT) after, when absent. */
		folio = filemap_get_folio(mapping, index);
	}
	if (IS_ERR_OR_NULL(folio)) {
		pagefault_disable();
		ret = iov_iter_zero(bytes, to);
		pagefault_enable();
		goto out;
	}
	/*
	 * A folio a failing fallocate() may still take back (not claimed)
	 * holds zeroes, which is what the page reads as either way.
	 */
	if (gmem_page_poisoned(folio, index)) {
		ret = -EHWPOISON;
	} else {
		pagefault_disable();
		ret = copy_page_to_iter(folio_file_page(folio, index), offset,
					bytes, to);
		pagefault_enable();
	}
	if (armed)
		folio_unlock(folio);
	folio_put(folio);
out:
	filemap_invalidate_unlock_shared(mapping);
	return ret;
}

/*
 * Copies @bytes from @from to page @index at byte @offset, allocating a
 * zeroed page first if there is none; from the kernel buffer @bounce
 * instead, if not NULL.  Return as gmem_read_page(), or -ENOMEM, -ENOSPC
 * (max_total) from the allocation.
 */
static ssize_t gmem_write_page(struct inode *inode, pgoff_t index,
			       size_t offset, size_t bytes,
			       struct iov_iter *from, const void *bounce)
{
	struct address_space *mapping = inode->i_mapping;
	struct gmem_inode *gi = GMEM_I(inode);
	struct folio *folio;
	ssize_t ret;

	filemap_invalidate_lock_shared(mapping);
	if (!gmem_attr_is_shared(gi, index)) {
		ret = -EACCES;
		goto out;
	}
	folio = gmem_get_folio(inode, index);
	if (IS_ERR(folio)) {
		ret = PTR_ERR(folio);
		goto out;
	}
	if (bounce) {
		memcpy_to_page(folio_file_page(folio, index), offset, bounce,
			       bytes);
		ret = bytes;
	} else {
		pagefault_disable();
		ret = gmem_copy_from_iter_atomic(folio,
						 ((index - folio->index) <<
						  PAGE_SHIFT) + offset,
						 bytes, from);
		pagefault_enable();
	}
	/* The page may be mapped: make the write visible there. */
	flush_dcache_page(folio_file_page(folio, index));
	/* Once the bytes are in, so that whoever sees the bit sees them. */
	if (ret > 0)
		gmem_dirty_mark(gi, index, index + 1);
	folio_unlock(folio);
	folio_put(folio);
out:
	filemap_invalidate_unlock_shared(mapping);
	return ret;
}

/*
 * Copies @bytes at @pos between @iter and the fd, one page.  When the
 * user buffer faults partway, the page is redone from its first byte
 * once the buffer is in, so that no call ends inside a page whose state
 * changed while the lock was let go; as much of the buffer as can be
 * brought in, -EFAULT if none of it.
 */
static ssize_t gmem_rw_page(struct inode *inode, loff_t pos, size_t bytes,
			    struct iov_iter *iter, bool write, bool nowait)
{
	pgoff_t index = pos >> PAGE_SHIFT;
	size_t offset = offset_in_page(pos), left;
	ssize_t ret;

	for (;;) {
		if (write)
			ret = gmem_write_page(inode, index, offset, bytes, iter,
					      NULL);
		else
			ret = gmem_read_page(inode, index, offset, bytes, iter);
		if (ret == GMEM_READ_WAIT) {
			/* As a pipe: EAGAIN, EINTR, or the call restarted. */
			if (nowait)
				return -EAGAIN;
			ret = gmem_missing_wait(inode, index,
						TASK_INTERRUPTIBLE);
			if (ret)
				return ret;
			continue;
		}
		if (ret < 0 || ret == bytes)
			return ret;
		iov_iter_revert(iter, ret);
		if (write)
			left = fault_in_iov_iter_readable(iter, bytes);
		else
			left = fault_in_iov_iter_writeable(iter, bytes);
		if (left == bytes)
			return -EFAULT;
		bytes -= left;
	}
}

/*
 * A write to an fd with armed ranges (missing.c): the bytes come into
 * @bounce first, with the user's pages faulted in as needed and no lock
 * held, and go into the page from there.  So a page being filled never
 * shows part of what is written to it: the copy into it cannot fall short
 * with the page already in place, where a touch would find it.
 */
static ssize_t gmem_write_page_bounce(struct inode *inode, loff_t pos,
				      size_t bytes, struct iov_iter *from,
				      void *bounce,
				      struct gmem_missing_fill *fill)
{
	size_t copied = copy_from_iter(bounce, bytes, from);
	ssize_t ret;

	if (!copied)
		return -EFAULT;
	ret = gmem_missing_fill_page(inode, fill, pos >> PAGE_SHIFT);
	if (!ret)
		ret = gmem_write_page(inode, pos >> PAGE_SHIFT,
				      offset_in_page(pos), copied, from, bounce);
	if (ret < 0)
		iov_iter_revert(from, copied);
	return ret;
}

/*
 * The loop read and write share: a page at a time from iocb->ki_pos, at
 * most up to the end of the fd.  A write to an fd with armed ranges holds
 * back touches of each unit it writes until it is done with it, then
 * wakes them (missing.c).  Return: the bytes copied, or the first page's
 * error when nothing was.
 */
static ssize_t gmem_rw(struct kiocb *iocb, struct iov_iter *iter, bool write)
{
	struct inode *inode = file_inode(iocb->ki_filp);
	loff_t pos = iocb->ki_pos, size = i_size_read(inode);
	bool nowait = iocb->ki_flags & IOCB_NOWAIT ||
		      iocb->ki_filp->f_flags & O_NONBLOCK;
	struct gmem_missing_fill fill = {};
	ssize_t done = 0, ret = 0;
	void *bounce = NULL;

	if (write && gmem_missing_armed(GMEM_I(inode))) {
		bounce = (void *)__get_free_page(GFP_KERNEL);
		if (!bounce)
			return -ENOMEM;
	}

	while (iov_iter_count(iter) && pos < size) {
		size_t bytes = min3(PAGE_SIZE - offset_in_page(pos),
				    iov_iter_count(iter), (size_t)(size - pos));

		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		if (bounce)
			ret = gmem_write_page_bounce(inode, pos, bytes, iter,
						     bounce, &fill);
		else
			ret = gmem_rw_page(inode, pos, bytes, iter, write,
					   nowait);
		if (ret < 0)
			break;
		pos += ret;
		done += ret;
		/* Short: the rest of the user buffer cannot be reached. */
		if (ret < bytes)
			break;
		cond_resched();
	}
	iocb->ki_pos = pos;
	if (bounce) {
		/* Whatever waits for the pages written may go on. */
		gmem_missing_fill_done(inode, &fill);
		free_page((unsigned long)bounce);
	}
	return done ? done : ret;
}

ssize_t gmem_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	ssize_t ret = gmem_rw(iocb, to, false);

	trace_gmem_read(iocb, to, ret);
	return ret;
}

/*
 * The size is fixed: a write that starts at or past the end is -ENOSPC
 * (as on a block device), one that crosses it is cut short there.
 */
ssize_t gmem_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct inode *inode = file_inode(iocb->ki_filp);
	ssize_t ret;

	if (!iov_iter_count(from))
		return 0;
	if (iocb->ki_flags & IOCB_APPEND || iocb->ki_pos >= i_size_read(inode))
		ret = -ENOSPC;
	else
		ret = gmem_rw(iocb, from, true);
	trace_gmem_write(iocb, from, ret);
	return ret;
}
