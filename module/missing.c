// SPDX-License-Identifier: GPL-2.0
/*
 * Demand paging: GMEM_MISSING_ARM and the event fd of GMEM_MISSING_EVENTS.
 *
 * A page of an armed range that holds no memory is missing.  Whatever
 * touches it (a host mapping's fault, read(), a consumer's resolve) calls
 * gmem_missing_touch(), which reports the page on the event fd once and
 * says whether to wait; faults and reads then sleep in
 * gmem_missing_wait() until the report is no longer outstanding, while a
 * resolve fails at once with -ENODATA (consumers must not sleep for
 * userspace).  Everything that fills pages (GMEM_POPULATE, write(),
 * fallocate()) calls gmem_missing_filled() once the contents are in, which
 * ends the reports of those pages and wakes their waiters; they look at the
 * page again, so a page still missing (a fill that failed) is reported anew
 * rather than lost.
 *
 * The unit of a report is the page, or the 2 MiB block on a
 * GMEM_CREATE_HUGE fd, whose whole block a fill allocates at once; the
 * ranges of a huge fd are armed by whole blocks for that reason, so that no
 * fault outside an armed range allocates memory inside one.
 *
 * No report is lost and none is doubled: a touch and a fill order against
 * each other by a full barrier on both sides.  A touch stores its report
 * first and looks for the folio after; a fill inserts the folio first and
 * looks for reports after (gmem_missing_filled()).  So either the touch
 * sees the folio and takes its report back, or the fill sees the report
 * and ends it.  Reports, the queue and the event fd are changed under the
 * fd's missing.lock, which is taken under the invalidate_lock (shared) and
 * never the other way round; no user memory is touched under it.
 *
 * A page being filled is in the page cache, locked, from its insertion
 * until its contents are in, so that faults and locked resolves wait for
 * the folio lock; read() of an armed fd locks the folio too, and the
 * lockless resolve leaves a locked folio of an armed fd to the locked path
 * (bind.c).  What a touch finds is therefore the new contents or nothing.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/list.h>
#include <linux/maple_tree.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <linux/xarray.h>
#include <uapi/linux/gmem.h>

#include "compat.h"
#include "gmem.h"
#include "gmem_trace.h"

#define GMEM_MISSING_ARMED	xa_mk_value(1)

/* Events read() takes off the queue at once, copied out from the stack. */
#define GMEM_MISSING_READ_BATCH	8

/*
 * A unit that is missing and reported, or being filled, or both: touches
 * of any page of it wait until the entry goes.  Reported ones are queued
 * until read; an entry a fill made (fillers) is never queued.
 */
struct gmem_missing_entry {
	struct list_head node;		/* in gmem_missing.queue, if queued */
	pgoff_t unit;
	u32 source;			/* GMEM_MISSING_FAULT, ...; 0: a fill's */
	bool queued;
	unsigned int fillers;		/* fills in progress */
};

/* log2 of the pages in a unit of report: a page, or a huge fd's block. */
static unsigned int gmem_missing_shift(struct gmem_inode *gi)
{
	return gi->flags & GMEM_CREATE_HUGE ? GMEM_HUGE_ORDER : 0;
}

void gmem_missing_init(struct gmem_inode *gi)
{
	struct gmem_missing *m = &gi->missing;

	mt_init_flags(&m->armed, MT_FLAGS_USE_RCU);
	mutex_init(&m->lock);
	xa_init(&m->outstanding);
	INIT_LIST_HEAD(&m->queue);
	init_waitqueue_head(&m->fill_wait);
	init_waitqueue_head(&m->read_wait);
}

/*
 * At eviction.  The event fd holds a reference on a file of the fd, so it
 * is closed by now, and closing it ended every report.
 */
void gmem_missing_destroy(struct gmem_inode *gi)
{
	struct gmem_missing *m = &gi->missing;

	WARN_ON_ONCE(m->events || !xa_empty(&m->outstanding));
	mtree_destroy(&m->armed);
	xa_destroy(&m->outstanding);
	mutex_destroy(&m->lock);
}

/* Ends the report @e (held under the lock); the caller wakes waiters. */
static void gmem_missing_end(struct gmem_missing *m,
			     struct gmem_missing_entry *e)
{
	lockdep_assert_held(&m->lock);
	xa_erase(&m->outstanding, e->unit);
	if (e->queued) {
		list_del(&e->node);
		m->nr_queued--;
	}
	kfree(e);
}

/*
 * Ends every entry of units [@first, @last] and wakes their waiters, who
 * look at their pages again; but for those a fill is still writing, unless
 * @all (disarm, the event fd closed).  Return: how many ended.
 */
static unsigned long gmem_missing_end_range(struct gmem_missing *m,
					    pgoff_t first, pgoff_t last,
					    bool all)
{
	struct gmem_missing_entry *e;
	unsigned long unit, nr = 0;

	lockdep_assert_held(&m->lock);
	xa_for_each_range(&m->outstanding, unit, e, first, last) {
		if (e->fillers && !all)
			continue;
		gmem_missing_end(m, e);
		nr++;
	}
	if (nr)
		wake_up_all(&m->fill_wait);
	return nr;
}

/* Armed pages of [@start, @end); the caller holds the lock. */
static pgoff_t gmem_missing_nr_armed(struct gmem_missing *m, pgoff_t start,
				     pgoff_t end)
{
	MA_STATE(mas, &m->armed, start, start);
	pgoff_t nr = 0;
	void *entry;

	rcu_read_lock();
	mas_for_each(&mas, entry, end - 1)
		nr += min(mas.last, end - 1) - max(mas.index, start) + 1;
	rcu_read_unlock();
	return nr;
}

/**
 * gmem_missing_arm - GMEM_MISSING_ARM of pages [@start, @end)
 * @inode: a gmem inode
 * @start: first page index
 * @end: page index after the last one
 * @disarm: disarm instead
 *
 * Disarming ends the reports of the range: their waiters go on and
 * allocate zeroed pages as on any fd.
 *
 * Return: 0, -EINVAL for a range a huge fd cannot arm (not whole 2 MiB
 * blocks), -ENOMEM; nothing changed on error.
 */
int gmem_missing_arm(struct inode *inode, pgoff_t start, pgoff_t end,
		     bool disarm)
{
	struct gmem_inode *gi = GMEM_I(inode);
	struct gmem_missing *m = &gi->missing;
	unsigned int shift = gmem_missing_shift(gi);
	pgoff_t first = start, last = end - 1, lo, hi, nr;
	int err;

	if (!IS_ALIGNED(start, 1UL << shift) ||
	    (!IS_ALIGNED(end, 1UL << shift) && end != gmem_nr_pages(inode)))
		return -EINVAL;

	mutex_lock(&m->lock);
	nr = gmem_missing_nr_armed(m, start, end);
	/* One entry for a run of armed pages, however it was armed. */
	if (!disarm && start && gmem_missing_is_armed(gi, start - 1, &lo, &hi))
		first = lo;
	if (!disarm && gmem_missing_is_armed(gi, end, &lo, &hi))
		last = hi;
	err = mtree_store_range(&m->armed, first, last,
				disarm ? NULL : GMEM_MISSING_ARMED,
				GFP_KERNEL_ACCOUNT);
	if (!err) {
		if (disarm) {
			WRITE_ONCE(m->armed_pages, m->armed_pages - nr);
			gmem_missing_end_range(m, start >> shift,
					       (end - 1) >> shift, true);
		} else {
			WRITE_ONCE(m->armed_pages,
				   m->armed_pages + (end - start) - nr);
		}
	}
	trace_gmem_missing_arm(inode, start, end, disarm, m->armed_pages, err);
	mutex_unlock(&m->lock);
	return err;
}

/*
 * Whether page @index is armed, and the run of pages around it that is
 * (or is not) armed alike, [*@first, *@last].  Takes no lock.
 */
bool gmem_missing_is_armed(struct gmem_inode *gi, pgoff_t index,
			   pgoff_t *first, pgoff_t *last)
{
	MA_STATE(mas, &gi->missing.armed, index, index);
	void *entry;

	rcu_read_lock();
	entry = mas_walk(&mas);
	*first = mas.index;
	*last = mas.last;
	rcu_read_unlock();
	return entry;
}

/* Page @index holds memory, or is lost to memory failure: not missing. */
static bool gmem_missing_filled_in(struct inode *inode, pgoff_t index)
{
	return xa_load(&inode->i_mapping->i_pages, index) ||
	       gmem_is_poisoned(GMEM_I(inode), index);
}

/**
 * gmem_missing_page - whether a touch of page @index of @inode must wait
 * @inode: a gmem inode
 * @index: page index
 *
 * Takes no lock: a snapshot, for the callers that then take the slow way
 * (gmem_missing_touch()) or leave the page to it.
 *
 * Return: true if the page is armed, and without memory or in a unit that
 * is reported or being filled.
 */
bool gmem_missing_page(struct inode *inode, pgoff_t index)
{
	struct gmem_inode *gi = GMEM_I(inode);
	struct gmem_missing *m = &gi->missing;

	if (!gmem_missing_armed(gi) || !mtree_load(&m->armed, index))
		return false;
	if (!gmem_missing_filled_in(inode, index))
		return true;
	/*
	 * A fill makes its entry before it inserts the folio: having seen
	 * the folio, see the entry.
	 */
	smp_rmb();
	return xa_load(&m->outstanding, index >> gmem_missing_shift(gi));
}

/**
 * gmem_missing_touch - something touches page @index: is it missing?
 * @inode: a gmem inode
 * @index: page index
 * @source: GMEM_MISSING_FAULT, _READ or _CONSUMER, for the report
 *
 * The caller holds the invalidate_lock (shared), so the page can be filled
 * meanwhile but not punched.  A missing page is reported on the event fd
 * unless its unit's report is outstanding already.
 *
 * Return: 0 if the page is not missing (go on as without demand
 * paging); GMEM_MISSING_WAIT if it is, and reported: wait for the fill
 * with gmem_missing_wait() (or fail, if the caller may not wait);
 * -ENODATA if it is missing and no event fd is open; -ENOMEM if the report
 * could not be made (nothing was reported).
 */
int gmem_missing_touch(struct inode *inode, pgoff_t index, u32 source)
{
	struct gmem_inode *gi = GMEM_I(inode);
	struct gmem_missing *m = &gi->missing;
	struct gmem_missing_entry *e, *new = NULL;
	pgoff_t unit = index >> gmem_missing_shift(gi);
	int ret = GMEM_MISSING_WAIT;

	lockdep_assert_held(&inode->i_mapping->invalidate_lock);
	if (!gmem_missing_page(inode, index))
		return 0;

	mutex_lock(&m->lock);
	/* Disarmed meanwhile: then the touch goes on as on any fd. */
	if (!mtree_load(&m->armed, index)) {
		ret = 0;
		goto out;
	}
	e = xa_load(&m->outstanding, unit);
	/* Being filled: wait for the whole of it, whatever is there. */
	if (e && e->fillers)
		goto out;
	if (!e && m->events) {
		new = kzalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
		if (!new) {
			ret = -ENOMEM;
			goto out;
		}
		new->unit = unit;
		new->source = source;
		if (xa_err(xa_store(&m->outstanding, unit, new,
				    GFP_KERNEL_ACCOUNT))) {
			kfree(new);
			new = NULL;
			ret = -ENOMEM;
			goto out;
		}
	}
	/* Pairs with gmem_missing_filled(): the report, then the look. */
	smp_mb();
	if (gmem_missing_filled_in(inode, index)) {
		if (new)
			gmem_missing_end(m, new);
		new = NULL;
		ret = 0;
		goto out;
	}
	if (!e && !new) {
		ret = -ENODATA;
		goto out;
	}
	if (new) {
		new->queued = true;
		list_add_tail(&new->node, &m->queue);
		m->nr_queued++;
		wake_up_interruptible_poll(&m->read_wait, EPOLLIN | EPOLLRDNORM);
	}
out:
	trace_gmem_missing_touch(inode, index, source, !!new, ret);
	mutex_unlock(&m->lock);
	return ret;
}

/* Whether the report of @unit is outstanding; no lock, a snapshot. */
static bool gmem_missing_outstanding(struct gmem_missing *m, pgoff_t unit)
{
	return xa_load(&m->outstanding, unit);
}

/**
 * gmem_missing_wait - sleep until page @index's report is over
 * @inode: a gmem inode
 * @index: the page gmem_missing_touch() said to wait for
 * @state: TASK_INTERRUPTIBLE or TASK_KILLABLE
 *
 * The report is over when the page is filled, the range disarmed or the
 * event fd closed; the caller then looks at the page again.  The caller
 * holds no lock of the fd, nor the mmap_lock.
 *
 * Return: 0, or -ERESTARTSYS when a signal (a fatal one, for
 * TASK_KILLABLE) ended the wait.
 */
int gmem_missing_wait(struct inode *inode, pgoff_t index, unsigned int state)
{
	struct gmem_inode *gi = GMEM_I(inode);
	struct gmem_missing *m = &gi->missing;
	pgoff_t unit = index >> gmem_missing_shift(gi);
	int ret;

	if (state == TASK_INTERRUPTIBLE)
		ret = wait_event_interruptible(m->fill_wait,
					       !gmem_missing_outstanding(m, unit));
	else
		ret = wait_event_killable(m->fill_wait,
					  !gmem_missing_outstanding(m, unit));
	return ret ? -ERESTARTSYS : 0;
}

/*
 * Pages [@start, @end) were filled: their units' reports end, and their
 * waiters look again.  A huge fd's block filled in 4 KiB pages (no 2 MiB
 * folio to be had) may still miss pages; a waiter on one reports it anew.
 */
void __gmem_missing_filled(struct inode *inode, pgoff_t start, pgoff_t end)
{
	struct gmem_inode *gi = GMEM_I(inode);
	struct gmem_missing *m = &gi->missing;
	unsigned int shift = gmem_missing_shift(gi);
	unsigned long nr;

	mutex_lock(&m->lock);
	nr = gmem_missing_end_range(m, start >> shift, (end - 1) >> shift,
				    false);
	if (nr)
		trace_gmem_missing_fill(inode, start, end, nr);
	mutex_unlock(&m->lock);
}

/**
 * gmem_missing_fill_page - a fill is about to write page @index
 * @inode: a gmem inode
 * @fill: the fill's state, zeroed before its first page
 * @index: the page
 *
 * For write() and GMEM_POPULATE, which fill a page at a time: until the
 * fill is done with a unit (a 2 MiB block of a huge fd, whose first page
 * written allocates all of it, zeroed), every touch of a page of the unit
 * waits, so none sees the block half written.  Called after the source
 * bytes are in the kernel and before the page is written; ends the
 * previous unit when this page is in another.  The caller holds no lock.
 *
 * Return: 0, or -ENOMEM (the page is not to be written: the fill ends
 * there).
 */
int gmem_missing_fill_page(struct inode *inode, struct gmem_missing_fill *fill,
			   pgoff_t index)
{
	struct gmem_inode *gi = GMEM_I(inode);
	struct gmem_missing *m = &gi->missing;
	pgoff_t unit = index >> gmem_missing_shift(gi);
	struct gmem_missing_entry *e;
	int err = 0;

	if (fill->active && fill->unit == unit)
		return 0;
	gmem_missing_fill_done(inode, fill);
	if (!gmem_missing_page(inode, index))
		return 0;

	mutex_lock(&m->lock);
	e = xa_load(&m->outstanding, unit);
	if (!e) {
		/* Filled or disarmed meanwhile: nothing to hold back. */
		if (!gmem_missing_page(inode, index))
			goto out;
		e = kzalloc(sizeof(*e), GFP_KERNEL_ACCOUNT);
		if (!e) {
			err = -ENOMEM;
			goto out;
		}
		e->unit = unit;
		if (xa_err(xa_store(&m->outstanding, unit, e,
				    GFP_KERNEL_ACCOUNT))) {
			kfree(e);
			err = -ENOMEM;
			goto out;
		}
	}
	e->fillers++;
	fill->unit = unit;
	fill->active = true;
out:
	mutex_unlock(&m->lock);
	return err;
}

/**
 * gmem_missing_fill_done - a fill is done with the unit it was writing
 * @inode: a gmem inode
 * @fill: the fill's state
 *
 * Called once the last page of the unit is written, or the fill stops:
 * the unit's entry ends when no other fill is writing it, and whatever
 * waits for its pages looks again (a page the fill did not reach is
 * reported anew).  May sleep.
 */
void gmem_missing_fill_done(struct inode *inode, struct gmem_missing_fill *fill)
{
	struct gmem_missing *m = &GMEM_I(inode)->missing;
	struct gmem_missing_entry *e;

	if (!fill->active)
		return;
	fill->active = false;
	mutex_lock(&m->lock);
	/* Gone if the range was disarmed or the event fd closed meanwhile. */
	e = xa_load(&m->outstanding, fill->unit);
	if (e && e->fillers > 1) {
		e->fillers--;
	} else if (e) {
		gmem_missing_end(m, e);
		wake_up_all(&m->fill_wait);
		trace_gmem_missing_fill(inode,
					fill->unit << gmem_missing_shift(GMEM_I(inode)),
					(fill->unit + 1) <<
					gmem_missing_shift(GMEM_I(inode)), 1);
	}
	mutex_unlock(&m->lock);
}

void gmem_missing_counts(struct gmem_inode *gi, u64 *armed,
			 unsigned long *outstanding, unsigned long *queued)
{
	struct gmem_missing *m = &gi->missing;
	struct gmem_missing_entry *e;
	unsigned long unit;

	*outstanding = 0;
	mutex_lock(&m->lock);
	*armed = (u64)m->armed_pages << PAGE_SHIFT;
	*queued = m->nr_queued;
	xa_for_each(&m->outstanding, unit, e)
		(*outstanding)++;
	mutex_unlock(&m->lock);
}

/* ---- the event fd ---- */

static struct gmem_inode *gmem_missing_gi(struct file *file)
{
	struct file *mem = file->private_data;

	return GMEM_I(file_inode(mem));
}

/*
 * Takes up to @max reports off the queue into @ev.  They stay outstanding:
 * a waiter still waits for the fill.
 */
static unsigned int gmem_missing_take(struct gmem_inode *gi,
				      struct gmem_missing_event *ev,
				      unsigned int max)
{
	struct gmem_missing *m = &gi->missing;
	unsigned int shift = gmem_missing_shift(gi);
	u64 size = i_size_read(gi->inode);
	struct gmem_missing_entry *e, *tmp;
	unsigned int n = 0;
	u64 offset;

	lockdep_assert_held(&m->lock);
	list_for_each_entry_safe(e, tmp, &m->queue, node) {
		if (n == max)
			break;
		offset = (u64)e->unit << (shift + PAGE_SHIFT);
		ev[n++] = (struct gmem_missing_event){
			.offset = offset,
			.length = min_t(u64, PAGE_SIZE << shift, size - offset),
			.source = e->source,
		};
		list_del(&e->node);
		e->queued = false;
		m->nr_queued--;
	}
	return n;
}

/*
 * Puts back the reports of @ev[0..@n) that copy_to_user() could not
 * deliver, at the head of the queue in their order, if still outstanding.
 */
static void gmem_missing_untake(struct gmem_inode *gi,
				const struct gmem_missing_event *ev,
				unsigned int n)
{
	struct gmem_missing *m = &gi->missing;
	unsigned int shift = gmem_missing_shift(gi);
	struct gmem_missing_entry *e;

	lockdep_assert_held(&m->lock);
	while (n--) {
		e = xa_load(&m->outstanding,
			    ev[n].offset >> (shift + PAGE_SHIFT));
		if (!e || e->queued)
			continue;
		e->queued = true;
		list_add(&e->node, &m->queue);
		m->nr_queued++;
	}
}

/*
 * Whole struct gmem_missing_event records, as many as fit and are queued;
 * blocks (interruptibly) while none is, unless the file is O_NONBLOCK.
 */
static ssize_t gmem_missing_read(struct file *file, char __user *buf,
				 size_t count, loff_t *ppos)
{
	struct gmem_missing_event ev[GMEM_MISSING_READ_BATCH];
	struct gmem_inode *gi = gmem_missing_gi(file);
	struct gmem_missing *m = &gi->missing;
	size_t max = count / sizeof(ev[0]), done = 0;
	unsigned int n, left;
	int err;

	if (!max)
		return -EINVAL;
	while (done < max) {
		mutex_lock(&m->lock);
		n = gmem_missing_take(gi, ev, min_t(size_t, max - done,
						    ARRAY_SIZE(ev)));
		mutex_unlock(&m->lock);
		if (!n) {
			if (done)
				break;
			if (file->f_flags & O_NONBLOCK)
				return -EAGAIN;
			err = wait_event_interruptible(m->read_wait,
						       READ_ONCE(m->nr_queued));
			if (err)
				return err;
			continue;
		}
		/* Outside the lock: @buf may be a mapping of a missing page. */
		left = copy_to_user(buf + done * sizeof(ev[0]), ev,
				    n * sizeof(ev[0]));
		if (left) {
			unsigned int ok = n - DIV_ROUND_UP(left, sizeof(ev[0]));

			mutex_lock(&m->lock);
			gmem_missing_untake(gi, ev + ok, n - ok);
			mutex_unlock(&m->lock);
			done += ok;
			if (!done)
				return -EFAULT;
			break;
		}
		done += n;
	}
	return done * sizeof(ev[0]);
}

static __poll_t gmem_missing_poll(struct file *file, poll_table *wait)
{
	struct gmem_missing *m = &gmem_missing_gi(file)->missing;

	poll_wait(file, &m->read_wait, wait);
	return READ_ONCE(m->nr_queued) ? EPOLLIN | EPOLLRDNORM : 0;
}

/*
 * The event fd closed: every report ends, and every waiter looks at its
 * page again and fails (nobody is left to fill it) until a new event fd
 * is opened.
 */
static int gmem_missing_release(struct inode *inode, struct file *file)
{
	struct file *mem = file->private_data;
	struct gmem_inode *gi = GMEM_I(file_inode(mem));
	struct gmem_missing *m = &gi->missing;

	mutex_lock(&m->lock);
	m->events = NULL;
	gmem_missing_end_range(m, 0, ULONG_MAX, true);
	mutex_unlock(&m->lock);
	wake_up_all(&m->read_wait);
	fput(mem);
	return 0;
}

static const struct file_operations gmem_missing_fops = {
	.owner		= THIS_MODULE,
	.read		= gmem_missing_read,
	.poll		= gmem_missing_poll,
	.release	= gmem_missing_release,
	.llseek		= noop_llseek,
};

/**
 * gmem_missing_events - GMEM_MISSING_EVENTS: a new event fd for @file
 * @file: a file of a memory fd; the event fd holds a reference on it
 * @flags: O_CLOEXEC and O_NONBLOCK, for the new fd
 *
 * Return: the new fd, or -EINVAL for other @flags, -EBUSY while another
 * event fd of the memory fd is open, -EMFILE, -ENFILE, -ENOMEM.
 */
int gmem_missing_events(struct file *file, unsigned long flags)
{
	struct gmem_missing *m = &GMEM_I(file_inode(file))->missing;
	struct file *events;
	int fd, err;

	if (flags & ~(unsigned long)(O_CLOEXEC | O_NONBLOCK))
		return -EINVAL;
	fd = get_unused_fd_flags(flags & O_CLOEXEC);
	if (fd < 0)
		return fd;

	mutex_lock(&m->lock);
	if (m->events) {
		err = -EBUSY;
		goto err_unlock;
	}
	events = anon_inode_getfile("[gmem-missing]", &gmem_missing_fops,
				    get_file(file), O_RDONLY | (flags & O_NONBLOCK));
	if (IS_ERR(events)) {
		fput(file);
		err = PTR_ERR(events);
		goto err_unlock;
	}
	m->events = events;
	mutex_unlock(&m->lock);
	fd_install(fd, events);
	return fd;

err_unlock:
	mutex_unlock(&m->lock);
	put_unused_fd(fd);
	return err;
}
