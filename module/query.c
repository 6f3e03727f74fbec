// SPDX-License-Identifier: GPL-2.0
/*
 * Where an fd's memory is and what state its pages are in: lseek() with
 * SEEK_DATA and SEEK_HOLE, and GMEM_QUERY, so that a VMM saves only what
 * exists and a tool can show the layout.  Both step from entry to entry
 * of the page cache, the shared-range tree and the poison record, never
 * page by page through a hole, so a sparse fd costs what it holds, not
 * its size.
 */
#include <linux/fs.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>
#include <uapi/linux/gmem.h>

#include "gmem.h"

/* Steps GMEM_QUERY takes before it lets go of the lock for a moment. */
#define GMEM_QUERY_STEPS	1024

/*
 * "Data" is every page that holds memory, private or shared, and every
 * page lost to memory failure: reading one of those fails, and a saver
 * that skips holes must not skip a lost page as if it read zero.
 */
static bool gmem_index_is_data(struct inode *inode, pgoff_t index,
			       pgoff_t *next)
{
	struct xarray *pages = &inode->i_mapping->i_pages;
	unsigned long nr;

	if (xa_load(pages, index)) {
		/* The folio's last page; it may be gone by now, which is fine. */
		nr = 1UL << xa_get_order(pages, index);
		*next = round_down(index, nr) + nr;
		return true;
	}
	*next = index + 1;
	return xa_load(&GMEM_I(inode)->poison, index);
}

static pgoff_t gmem_next_data(struct inode *inode, pgoff_t index, pgoff_t end)
{
	unsigned long page = index, lost = index;

	if (!xa_find(&inode->i_mapping->i_pages, &page, end - 1, XA_PRESENT))
		page = end;
	if (!xa_find(&GMEM_I(inode)->poison, &lost, end - 1, XA_PRESENT))
		lost = end;
	return min(page, lost);
}

static pgoff_t gmem_next_hole(struct inode *inode, pgoff_t index, pgoff_t end)
{
	pgoff_t next;

	while (index < end && gmem_index_is_data(inode, index, &next)) {
		index = next;
		cond_resched();
	}
	return min(index, end);
}

/*
 * SEEK_DATA and SEEK_HOLE, answered from a look at the page cache without
 * the invalidate_lock: like any file's, the answer may be stale by the
 * time the caller acts on it.
 */
loff_t gmem_seek_data_hole(struct file *file, loff_t offset, int whence)
{
	struct inode *inode = file_inode(file);
	loff_t size = i_size_read(inode), pos;
	pgoff_t index, end = gmem_nr_pages(inode);

	if (offset < 0 || offset >= size)
		return -ENXIO;
	index = offset >> PAGE_SHIFT;
	if (whence == SEEK_DATA) {
		index = gmem_next_data(inode, index, end);
		if (index == end)
			return -ENXIO;
	} else {
		index = gmem_next_hole(inode, index, end);
	}
	pos = max_t(loff_t, offset, (loff_t)index << PAGE_SHIFT);
	return vfs_setpos(file, min(pos, size), size);
}

/*
 * The state of page @index, and in *@next the first page after it, at
 * most @end, whose state may differ.  The caller holds the invalidate_lock
 * shared, so only memory failure can change what this finds.
 */
static u32 gmem_page_state(struct inode *inode, pgoff_t index, pgoff_t end,
			   pgoff_t *next)
{
	struct gmem_inode *gi = GMEM_I(inode);
	unsigned long lost = index;
	pgoff_t first, last, bound;
	struct folio *folio;
	u32 state = 0;

	if (gmem_attr_lookup(gi, index, &first, &last))
		state |= GMEM_PAGE_SHARED;
	/* A gap runs to ULONG_MAX when nothing is shared after it. */
	bound = last >= end - 1 ? end : last + 1;

	if (gmem_is_poisoned(gi, index)) {
		state |= GMEM_PAGE_POISONED;
		bound = index + 1;
	} else if (xa_find(&gi->poison, &lost, bound - 1, XA_PRESENT)) {
		bound = lost;
	}

	/* NULL before 6.3, ERR_PTR(-ENOENT) after, when absent. */
	folio = filemap_get_folio(inode->i_mapping, index);
	if (IS_ERR_OR_NULL(folio)) {
		unsigned long page = index;

		if (xa_find(&inode->i_mapping->i_pages, &page, bound - 1,
			    XA_PRESENT))
			bound = page;
		/* Armed, no memory and not lost: missing (missing.c). */
		if (!(state & GMEM_PAGE_POISONED) && gmem_missing_armed(gi)) {
			if (gmem_missing_is_armed(gi, index, &first, &last))
				state |= GMEM_PAGE_MISSING;
			if (last < bound - 1)
				bound = last + 1;
		}
		*next = bound;
		return state;
	}
	state |= GMEM_PAGE_ALLOCATED;
	if (folio_order(folio) == GMEM_HUGE_ORDER)
		state |= GMEM_PAGE_HUGE;
	bound = min_t(pgoff_t, bound, folio->index + folio_nr_pages(folio));
	/* A page memory failure flagged but could not take out. */
	if (gmem_folio_has_poison(folio)) {
		if (gmem_page_poisoned(folio, index))
			state |= GMEM_PAGE_POISONED;
		bound = index + 1;
	}
	folio_put(folio);
	*next = bound;
	return state;
}

/* Runs being gathered for the user's array, a kernel page at a time. */
struct gmem_query_ctx {
	struct gmem_query_run *buf;
	u32 cap;		/* runs buf holds */
	u32 n;			/* runs in buf */
	u32 written;		/* runs copied out before them */
	u32 limit;		/* the user's capacity */
};

/*
 * Adds [@index, @next) in @state to the runs, growing the last one if it
 * has the same state.  False if it needs a new run and there is no room:
 * the user's array is full (ctx->written + ctx->n == ctx->limit) or the
 * kernel's buffer is (ctx->n == ctx->cap).
 */
static bool gmem_query_add(struct gmem_query_ctx *ctx, pgoff_t index,
			   pgoff_t next, u32 state)
{
	struct gmem_query_run *run = ctx->n ? &ctx->buf[ctx->n - 1] : NULL;
	u64 length = (u64)(next - index) << PAGE_SHIFT;

	if (run && run->state == state) {
		run->length += length;
		return true;
	}
	if (ctx->written + ctx->n == ctx->limit || ctx->n == ctx->cap)
		return false;
	ctx->buf[ctx->n++] = (struct gmem_query_run){
		.offset = (u64)index << PAGE_SHIFT,
		.length = length,
		.state = state,
	};
	return true;
}

/*
 * Copies the runs gathered to @dst.  Each is whole: a run ends only where
 * the next page needs a run of its own.
 */
static int gmem_query_flush(struct gmem_query_ctx *ctx,
			    struct gmem_query_run __user *dst)
{
	if (copy_to_user(dst + ctx->written, ctx->buf,
			 ctx->n * sizeof(*ctx->buf)))
		return -EFAULT;
	ctx->written += ctx->n;
	ctx->n = 0;
	return 0;
}

/*
 * GMEM_QUERY over [@start, @end): the runs go to @dst, at most @limit of
 * them.  Return: 0 with *@nr_runs and *@next_index set, or -EFAULT,
 * -ENOMEM, -EINTR.
 */
int gmem_query(struct inode *inode, pgoff_t start, pgoff_t end,
	       struct gmem_query_run __user *dst, u32 limit, u32 *nr_runs,
	       pgoff_t *next_index)
{
	struct address_space *mapping = inode->i_mapping;
	struct gmem_query_ctx ctx = { .limit = limit };
	pgoff_t index = start, next;
	unsigned int steps;
	bool room = true;
	int err;

	ctx.buf = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!ctx.buf)
		return -ENOMEM;
	ctx.cap = PAGE_SIZE / sizeof(*ctx.buf);

	while (index < end && room) {
		filemap_invalidate_lock_shared(mapping);
		for (steps = 0; index < end && steps < GMEM_QUERY_STEPS;
		     steps++) {
			u32 state = gmem_page_state(inode, index, end, &next);

			room = gmem_query_add(&ctx, index, next, state);
			if (!room)
				break;
			index = next;
		}
		filemap_invalidate_unlock_shared(mapping);

		/* Out of kernel buffer, not of user array: make room. */
		if (!room && ctx.written + ctx.n < limit) {
			err = gmem_query_flush(&ctx, dst);
			if (err)
				goto out;
			room = true;
		}
		if (fatal_signal_pending(current)) {
			err = -EINTR;
			goto out;
		}
		cond_resched();
	}
	err = gmem_query_flush(&ctx, dst);
	if (err)
		goto out;
	*nr_runs = ctx.written;
	*next_index = index;
out:
	kfree(ctx.buf);
	return err;
}
