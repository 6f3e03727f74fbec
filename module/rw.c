// SPDX-License-Identifier: GPL-2.0
/*
 * read() and write() of shared pages: a VMM saves and restores a guest's
 * shared memory (a snapshot, a migration stream) without mapping all of
 * it.  Private pages have no host path here either: the first one a call
 * reaches ends it, with -EACCES if it is the first page, else with the
 * bytes copied up to it, as a file ends a read at a hole it cannot cross.
 *
 * Pages are copied under the invalidate_lock held shared, so they cannot
 * turn private, be punched or move while their bytes go out or come in;
 * a run of them at a time, all in one folio (or hole) and one shared
 * range, up to GMEM_RW_CHUNK, so that a 2 MiB folio costs one lock and
 * one lookup rather than 512.  The user buffer may be a mapping of this
 * very fd, whose fault needs the same lock (and a shared rwsem taken
 * twice deadlocks against a waiting writer), so the copy runs with page
 * faults disabled; when it falls short the pages before are kept, the
 * lock is dropped, the buffer faulted in, and the page that fell short
 * copied again from its start.
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
 * gmem_read_run(): the page is missing and reported (missing.c); wait for
 * it to be filled and read it again.  Never leaves this file.
 */
#define GMEM_READ_WAIT		(-EINPROGRESS)

/*
 * At most this much is copied under one hold of the invalidate_lock: a
 * punch or conversion waits for no more than this, and the lock and the
 * lookups cost little beside the copy.
 */
#define GMEM_RW_CHUNK		(256 * 1024)

/*
 * The end of the run a call may copy from @index on, given the end it asks
 * for, @end: inside @folio (which holds @index) and before the first
 * poisoned page after @index.
 */
static pgoff_t gmem_rw_run_end(struct gmem_inode *gi, struct folio *folio,
			       pgoff_t index, pgoff_t end)
{
	unsigned long poisoned = index + 1;
	pgoff_t i;

	end = min(end, folio->index + folio_nr_pages(folio));
	if (end > index + 1 && !xa_empty(&gi->poison) &&
	    xa_find(&gi->poison, &poisoned, end - 1, XA_PRESENT))
		end = poisoned;
	if (gmem_folio_has_poison(folio))
		for (i = index + 1; i < end; i++)
			if (gmem_page_poisoned(folio, i))
				return i;
	return end;
}

/*
 * The end of the hole at @index (no folio there), before @end: a read
 * zeroes it all under one hold of the lock.
 */
static pgoff_t gmem_rw_hole_end(struct address_space *mapping, pgoff_t index,
				pgoff_t end)
{
	unsigned long next = index + 1;

	if (end > index + 1 &&
	    xa_find(&mapping->i_pages, &next, end - 1, XA_PRESENT))
		return max(next, index + 1);
	return end;
}

/*
 * The run of whole pages [@index, return) that a call of @bytes from byte
 * @offset of page @index reaches, inside the shared run that ends at @last
 * and GMEM_RW_CHUNK.
 */
static pgoff_t gmem_rw_want_end(pgoff_t index, size_t offset, size_t bytes,
				pgoff_t last)
{
	size_t pages = DIV_ROUND_UP(offset + min_t(size_t, bytes, GMEM_RW_CHUNK),
				    PAGE_SIZE);

	return min(last, index + pages - 1) + 1;
}

/*
 * A copy that fell short at the page it was copying, @partial bytes into
 * it: those bytes are given back to @iter, so that the page is copied
 * again from its first byte once the user buffer is in.  Return what the
 * pages before it copied, 0 for none.
 */
static ssize_t gmem_rw_short(struct iov_iter *iter, size_t copied,
			     size_t partial)
{
	iov_iter_revert(iter, partial);
	return copied;
}

/*
 * Copies up to @bytes from byte @offset of page @index on to @to, the
 * pages of one folio (or hole) in a run of shared ones.  A page never
 * allocated reads as zeroes, and stays unallocated, unless it is missing
 * (an armed range): then it is reported and waited for, and the call
 * reads that one page.  Return: the bytes copied (stopped early at the
 * end of the folio or run, a poisoned page or a user page that faulted),
 * 0 if the user buffer faulted at once, or -EACCES (private), -EHWPOISON
 * (lost to memory failure), GMEM_READ_WAIT, -EIO (missing, and no event
 * fd to report it on), -ENOMEM (the report failed).
 */
static ssize_t gmem_read_run(struct inode *inode, pgoff_t index,
			     size_t offset, size_t bytes, struct iov_iter *to)
{
	struct address_space *mapping = inode->i_mapping;
	struct gmem_inode *gi = GMEM_I(inode);
	bool armed = gmem_missing_armed(gi), fell_short = false;
	size_t copied = 0, n, c = 0;
	pgoff_t first, last, end;
	struct folio *folio;
	ssize_t ret;

	filemap_invalidate_lock_shared(mapping);
	if (!gmem_attr_lookup(gi, index, &first, &last)) {
		ret = -EACCES;
		goto out;
	}
	if (gmem_is_poisoned(gi, index)) {
		ret = -EHWPOISON;
		goto out;
	}
	end = gmem_rw_want_end(index, offset, bytes, last);
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
		 * Its neighbours may be missing: one page only.
		 */
		end = index + 1;
		folio = filemap_lock_folio(mapping, index);
	} else {
		/* NULL before 6.3, ERR_PTR(-ENOENT) after, when absent. */
		folio = filemap_get_folio(mapping, index);
	}
	if (IS_ERR_OR_NULL(folio)) {
		end = gmem_rw_hole_end(mapping, index, end);
		n = min_t(size_t, bytes, ((end - index) << PAGE_SHIFT) - offset);
		pagefault_disable();
		c = iov_iter_zero(n, to);
		pagefault_enable();
		/* A hole has no state to change: keep what was zeroed. */
		ret = c;
		goto out;
	}
	/*
	 * A folio a failing fallocate() may still take back (not claimed)
	 * holds zeroes, which is what the page reads as either way.
	 */
	if (gmem_page_poisoned(folio, index)) {
		ret = -EHWPOISON;
		goto out_folio;
	}
	end = gmem_rw_run_end(gi, folio, index, end);
	pagefault_disable();
	for (; index < end && copied < bytes; index++, offset = 0) {
		n = min(bytes - copied, PAGE_SIZE - offset);
		c = copy_page_to_iter(folio_file_page(folio, index), offset, n,
				      to);
		if (c < n) {
			fell_short = true;
			break;
		}
		copied += c;
	}
	pagefault_enable();
	ret = fell_short ? gmem_rw_short(to, copied, c) : copied;
out_folio:
	if (armed)
		folio_unlock(folio);
	folio_put(folio);
out:
	filemap_invalidate_unlock_shared(mapping);
	return ret;
}

/*
 * Copies up to @bytes from @from to byte @offset of page @index on, the
 * pages of one folio in a run of shared ones, allocating a zeroed folio
 * first if there is none; from the kernel buffer @bounce instead, if not
 * NULL (one page, @bytes at most the rest of it).  Return as
 * gmem_read_run(), or -ENOMEM, -ENOSPC (max_total) from the allocation.
 */
static ssize_t gmem_write_run(struct inode *inode, pgoff_t index,
			      size_t offset, size_t bytes,
			      struct iov_iter *from, const void *bounce)
{
	struct address_space *mapping = inode->i_mapping;
	struct gmem_inode *gi = GMEM_I(inode);
	pgoff_t first, last, end, start = index, written = index;
	size_t copied = 0, n, c = 0;
	bool fell_short = false;
	struct folio *folio;
	ssize_t ret;

	filemap_invalidate_lock_shared(mapping);
	if (!gmem_attr_lookup(gi, index, &first, &last)) {
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
		/* The page may be mapped: make the write visible there. */
		flush_dcache_page(folio_file_page(folio, index));
		copied = bytes;
		written = index + 1;
		goto mark;
	}
	end = gmem_rw_run_end(gi, folio, index,
			      gmem_rw_want_end(index, offset, bytes, last));
	pagefault_disable();
	for (; index < end && copied < bytes; index++, offset = 0) {
		n = min(bytes - copied, PAGE_SIZE - offset);
		c = gmem_copy_from_iter_atomic(folio,
					       ((index - folio->index) <<
						PAGE_SHIFT) + offset, n, from);
		flush_dcache_page(folio_file_page(folio, index));
		if (c)
			written = index + 1;
		if (c < n) {
			fell_short = true;
			break;
		}
		copied += c;
	}
	pagefault_enable();
mark:
	/*
	 * Once the bytes are in, so that whoever sees the bit sees them; a
	 * page that a short copy wrote part of changed too.
	 */
	if (written > start)
		gmem_dirty_mark(gi, start, written);
	ret = fell_short ? gmem_rw_short(from, copied, c) : copied;
	folio_unlock(folio);
	folio_put(folio);
out:
	filemap_invalidate_unlock_shared(mapping);
	return ret;
}

/*
 * Copies up to @bytes at @pos between @iter and the fd: one run of pages,
 * as gmem_read_run() and gmem_write_run() reach.  When the user buffer
 * faults at its first page, the page is redone from its first byte once
 * the buffer is in, so that no call ends inside a page whose state
 * changed while the lock was let go; as much of the buffer as can be
 * brought in, -EFAULT if none of it.
 */
static ssize_t gmem_rw_run(struct inode *inode, loff_t pos, size_t bytes,
			   struct iov_iter *iter, bool write, bool nowait)
{
	pgoff_t index = pos >> PAGE_SHIFT;
	size_t offset = offset_in_page(pos), left, n;
	ssize_t ret;

	for (;;) {
		if (write)
			ret = gmem_write_run(inode, index, offset, bytes, iter,
					     NULL);
		else
			ret = gmem_read_run(inode, index, offset, bytes, iter);
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
		if (ret)
			return ret;
		n = min(bytes, PAGE_SIZE - offset);
		if (write)
			left = fault_in_iov_iter_readable(iter, n);
		else
			left = fault_in_iov_iter_writeable(iter, n);
		if (left == n)
			return -EFAULT;
		bytes = n - left;
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
		ret = gmem_write_run(inode, pos >> PAGE_SHIFT,
				     offset_in_page(pos), copied, from, bounce);
	if (ret < 0)
		iov_iter_revert(from, copied);
	return ret;
}

/*
 * The loop read and write share: a run of pages at a time from
 * iocb->ki_pos, at most up to the end of the fd.  A write to an fd with
 * armed ranges goes a page at a time, and holds back touches of each unit
 * it writes until it is done with it, then wakes them (missing.c).
 * Return: the bytes copied, or the first page's error when nothing was.
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
		size_t bytes = min_t(size_t, iov_iter_count(iter), size - pos);

		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		if (bounce)
			ret = gmem_write_page_bounce(inode, pos,
						     min(bytes, PAGE_SIZE -
							 offset_in_page(pos)),
						     iter, bounce, &fill);
		else
			ret = gmem_rw_run(inode, pos, bytes, iter, write,
					  nowait);
		/* -EFAULT: the rest of the user buffer cannot be reached. */
		if (ret < 0)
			break;
		pos += ret;
		done += ret;
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
