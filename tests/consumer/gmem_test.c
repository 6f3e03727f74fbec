// SPDX-License-Identifier: GPL-2.0
/*
 * gmem_test: a consumer of gmem's in-kernel API for the test suite only.
 *
 * It binds ranges of gmem fds, resolves pages, reads and writes them
 * through kernel mappings (the one way a test can look at private memory),
 * records every notification gmem sends, and runs kernel threads that
 * resolve while userspace changes the memory under them (with or without
 * gmem_read_begin/retry()).  It also binds with ops tables made up to test
 * gmem's version check.  Two ioctls serve
 * the benchmark only (tests/bench): the page-zeroing floor, and resolve
 * latency against a bare page-cache lookup.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/gmem.h>
#include <linux/highmem.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pagemap.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>

#include "gmem_test.h"

#if GMEM_API_VERSION != 2
#error "gmem_test is written for version 2 of the gmem consumer API"
#endif

struct gmem_test_slot {
	struct gmem_binding *binding;
	pgoff_t start;
	pgoff_t end;
	u32 id;
};

/* Serialises every use of the slots, so none is used after its unbind. */
static DEFINE_MUTEX(gmem_test_lock);
static struct gmem_test_slot gmem_test_slots[GMEM_TEST_SLOTS];

/* The notification log, a ring; the ops may be called in any context. */
static DEFINE_SPINLOCK(gmem_test_log_lock);
static struct gmem_test_event gmem_test_log[GMEM_TEST_MAX_EVENTS];
static unsigned int gmem_test_log_head;
static unsigned int gmem_test_log_count;
static u64 gmem_test_log_seq;
static u64 gmem_test_log_dropped;

/*
 * Taken by invalidate_begin, as a consumer that maps pages takes the lock
 * that guards its mappings; GMEM_TEST_STRESS_SEQ checks gmem_read_retry()
 * under it.
 */
static DEFINE_SPINLOCK(gmem_test_map_lock);

static void gmem_test_record(void *priv, u32 type, pgoff_t start, pgoff_t end,
			     unsigned int flags)
{
	struct gmem_test_slot *slot = priv;
	struct gmem_test_event *ev;

	spin_lock(&gmem_test_log_lock);
	if (gmem_test_log_count == GMEM_TEST_MAX_EVENTS) {
		gmem_test_log_head = (gmem_test_log_head + 1) %
				     GMEM_TEST_MAX_EVENTS;
		gmem_test_log_count--;
		gmem_test_log_dropped++;
	}
	ev = &gmem_test_log[(gmem_test_log_head + gmem_test_log_count) %
			    GMEM_TEST_MAX_EVENTS];
	gmem_test_log_count++;
	ev->seq = ++gmem_test_log_seq;
	ev->type = type;
	ev->slot = slot->id;
	ev->start = start;
	ev->end = end;
	ev->flags = flags;
	ev->pad = 0;
	spin_unlock(&gmem_test_log_lock);
}

static void gmem_test_invalidate_begin(void *priv, pgoff_t start, pgoff_t end,
				       unsigned int flags)
{
	/* What a consumer that maps pages does here: drop its mappings. */
	spin_lock(&gmem_test_map_lock);
	spin_unlock(&gmem_test_map_lock);
	gmem_test_record(priv, GMEM_TEST_EV_BEGIN, start, end, flags);
}

static void gmem_test_invalidate_end(void *priv, pgoff_t start, pgoff_t end,
				     unsigned int flags)
{
	gmem_test_record(priv, GMEM_TEST_EV_END, start, end, flags);
}

static void gmem_test_error(void *priv, pgoff_t start, pgoff_t end)
{
	spin_lock(&gmem_test_map_lock);
	spin_unlock(&gmem_test_map_lock);
	gmem_test_record(priv, GMEM_TEST_EV_ERROR, start, end, 0);
}

static const struct gmem_consumer_ops gmem_test_ops = {
	.size			= GMEM_CONSUMER_OPS_SIZE,
	.invalidate_begin	= gmem_test_invalidate_begin,
	.invalidate_end		= gmem_test_invalidate_end,
	.error			= gmem_test_error,
};

/* Called with gmem_test_lock held. */
static struct gmem_test_slot *gmem_test_slot(u32 id)
{
	if (id >= GMEM_TEST_SLOTS || !gmem_test_slots[id].binding)
		return NULL;
	return &gmem_test_slots[id];
}

/* Binds into a free slot; the slot's id, or -errno. */
static long gmem_test_do_bind(int fd, u64 start, u64 nr_pages,
			      const struct gmem_consumer_ops *ops)
{
	struct gmem_test_slot *slot = NULL;
	struct gmem_binding *binding;
	struct file *file;
	long ret;
	u32 id;

	file = gmem_fget(fd);
	if (IS_ERR(file))
		return PTR_ERR(file);

	ret = -ENOSPC;
	mutex_lock(&gmem_test_lock);
	for (id = 0; id < GMEM_TEST_SLOTS; id++) {
		if (!gmem_test_slots[id].binding) {
			slot = &gmem_test_slots[id];
			break;
		}
	}
	if (!slot)
		goto out;
	slot->id = id;
	binding = gmem_bind(file, start, nr_pages, ops, slot);
	if (IS_ERR(binding)) {
		ret = PTR_ERR(binding);
		goto out;
	}
	slot->binding = binding;
	slot->start = start;
	slot->end = start + nr_pages;
	ret = id;
out:
	mutex_unlock(&gmem_test_lock);
	/* The binding holds a reference of its own. */
	fput(file);
	return ret;
}

static long gmem_test_bind(struct gmem_test_bind __user *uarg)
{
	struct gmem_test_bind args;
	long ret;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	ret = gmem_test_do_bind(args.fd, args.start, args.nr_pages,
				&gmem_test_ops);
	if (ret < 0)
		return ret;
	/* The slot stays bound: the test unbinds it or unloads the module. */
	return put_user((u32)ret, &uarg->slot) ? -EFAULT : 0;
}

/* API version 1's ops table: three op pointers, no size. */
struct gmem_test_ops_v1 {
	void *invalidate_begin;
	void *invalidate_end;
	void *error;
};

/* The most GMEM_TEST_BIND_OPS makes up: past what gmem reads a tail of. */
#define GMEM_TEST_OPS_MAX	(2 * PAGE_SIZE)

/*
 * Bind with an ops table made up as userspace asks, to test gmem_bind()'s
 * check of it.  gmem keeps a copy, so the table goes once bound.
 */
static long gmem_test_bind_ops(struct gmem_test_bind_ops __user *uarg)
{
	struct gmem_test_bind_ops args;
	struct gmem_consumer_ops *ops;
	struct gmem_test_ops_v1 *v1;
	size_t len;
	long ret;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (args.layout > GMEM_TEST_OPS_V1 || args.pad ||
	    args.ops_size > GMEM_TEST_OPS_MAX)
		return -EINVAL;
	len = max_t(size_t, args.ops_size, sizeof(*ops) + sizeof(args.tail));
	ops = kzalloc(len, GFP_KERNEL);
	if (!ops)
		return -ENOMEM;
	if (args.layout == GMEM_TEST_OPS_V1) {
		v1 = (struct gmem_test_ops_v1 *)ops;
		v1->invalidate_begin = gmem_test_invalidate_begin;
		v1->invalidate_end = gmem_test_invalidate_end;
		v1->error = gmem_test_error;
	} else {
		*ops = gmem_test_ops;
		ops->size = args.ops_size;
		ops->flags = args.ops_flags;
		if (args.ops_size >= sizeof(*ops) + sizeof(args.tail))
			memcpy(ops + 1, &args.tail, sizeof(args.tail));
	}
	ret = gmem_test_do_bind(args.fd, args.start, args.nr_pages, ops);
	kfree(ops);
	if (ret < 0)
		return ret;
	return put_user((u32)ret, &uarg->slot) ? -EFAULT : 0;
}

/* Called with gmem_test_lock held. */
static void gmem_test_unbind_slot(struct gmem_test_slot *slot)
{
	gmem_unbind(slot->binding);
	slot->binding = NULL;
}

static long gmem_test_unbind(u32 __user *uarg)
{
	struct gmem_test_slot *slot;
	long ret = 0;
	u32 id;

	if (get_user(id, uarg))
		return -EFAULT;
	mutex_lock(&gmem_test_lock);
	slot = gmem_test_slot(id);
	if (slot)
		gmem_test_unbind_slot(slot);
	else
		ret = -ENOENT;
	mutex_unlock(&gmem_test_lock);
	return ret;
}

static long gmem_test_resolve(struct gmem_test_resolve __user *uarg)
{
	struct gmem_test_resolve args;
	struct gmem_test_slot *slot;
	unsigned long pfn = 0;
	struct page *page;
	int max_order = 0;
	long ret = 0;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;

	mutex_lock(&gmem_test_lock);
	slot = gmem_test_slot(args.slot);
	if (!slot) {
		ret = -ENOENT;
		goto out;
	}
	args.err = gmem_get_pfn(slot->binding, args.index, args.flags, &pfn,
				&page, &max_order);
	args.node = -1;
	args.folio_order = -1;
	if (!args.err) {
		args.node = page_to_nid(page);
		args.folio_order = folio_order(page_folio(page));
		put_page(page);
	}
	args.pfn = pfn;
	args.max_order = max_order;
	if (copy_to_user(uarg, &args, sizeof(args)))
		ret = -EFAULT;
out:
	mutex_unlock(&gmem_test_lock);
	return ret;
}

static long gmem_test_rw(struct gmem_test_rw __user *uarg)
{
	void __user *ubuf;
	struct gmem_test_rw args;
	struct gmem_test_slot *slot;
	unsigned long pfn, left;
	struct page *page;
	int max_order;
	void *kaddr;
	long ret = 0;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (args.offset > PAGE_SIZE || args.len > PAGE_SIZE - args.offset)
		return -EINVAL;
	ubuf = u64_to_user_ptr(args.uaddr);

	mutex_lock(&gmem_test_lock);
	slot = gmem_test_slot(args.slot);
	if (!slot) {
		ret = -ENOENT;
		goto out;
	}
	args.err = gmem_get_pfn(slot->binding, args.index,
				args.write ? GMEM_GET_WRITE : 0, &pfn, &page,
				&max_order);
	if (!args.err) {
		kaddr = kmap_local_page(page);
		if (args.write)
			left = copy_from_user(kaddr + args.offset, ubuf,
					      args.len);
		else
			left = copy_to_user(ubuf, kaddr + args.offset,
					    args.len);
		kunmap_local(kaddr);
		put_page(page);
		if (left) {
			ret = -EFAULT;
			goto out;
		}
	}
	if (put_user(args.err, &uarg->err))
		ret = -EFAULT;
out:
	mutex_unlock(&gmem_test_lock);
	return ret;
}

static long gmem_test_events(struct gmem_test_events __user *uarg)
{
	struct gmem_test_event __user *out;
	struct gmem_test_events args;
	struct gmem_test_event ev;
	long ret = 0;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	out = u64_to_user_ptr(args.uaddr);

	for (args.count = 0; args.count < args.max; args.count++) {
		spin_lock(&gmem_test_log_lock);
		if (!gmem_test_log_count) {
			spin_unlock(&gmem_test_log_lock);
			break;
		}
		ev = gmem_test_log[gmem_test_log_head];
		gmem_test_log_head = (gmem_test_log_head + 1) %
				     GMEM_TEST_MAX_EVENTS;
		gmem_test_log_count--;
		spin_unlock(&gmem_test_log_lock);

		if (copy_to_user(&out[args.count], &ev, sizeof(ev))) {
			ret = -EFAULT;
			break;
		}
	}

	spin_lock(&gmem_test_log_lock);
	args.dropped = gmem_test_log_dropped;
	gmem_test_log_dropped = 0;
	spin_unlock(&gmem_test_log_lock);

	if (copy_to_user(uarg, &args, sizeof(args)))
		ret = -EFAULT;
	return ret;
}

static long gmem_test_state(struct gmem_test_state __user *uarg)
{
	struct gmem_test_state args;
	struct gmem_test_slot *slot;
	long ret = 0;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	mutex_lock(&gmem_test_lock);
	slot = gmem_test_slot(args.slot);
	if (slot) {
		args.is_private = gmem_is_private(slot->binding, args.start,
						  args.end);
		args.is_shared = gmem_is_shared(slot->binding, args.start,
						args.end);
		if (copy_to_user(uarg, &args, sizeof(args)))
			ret = -EFAULT;
	} else {
		ret = -ENOENT;
	}
	mutex_unlock(&gmem_test_lock);
	return ret;
}

struct gmem_test_stressor {
	struct gmem_test_slot *slot;
	unsigned int seed;
	bool seq;
	atomic64_t *resolves;
	atomic64_t *bad;
	atomic64_t *retries;
	atomic_t *last_bad_err;
};

/*
 * Whether what a resolve of @index returned may still be mapped: what
 * gmem_read_retry() is for.  Under gmem_test_map_lock, so an invalidation
 * that began after gmem_read_begin() has either been seen (retry) or not
 * reached the consumer yet: then the folio must still be the fd's (a punch
 * or migration empties folio->mapping) and hold the whole @max_order block
 * around @index, which must be private.  Not checked: the page's hwpoison
 * flag.  Memory failure sets it before it tells anyone (and, for a large
 * folio it cannot split, tells nobody until gmem next touches the folio),
 * so a kept answer may find it set; the error op that follows is what
 * takes the mapping away.
 */
static bool gmem_test_still_good(struct gmem_binding *binding,
				 struct page *page, pgoff_t index,
				 int max_order)
{
	struct folio *folio = page_folio(page);
	pgoff_t nr = 1UL << max_order, base = round_down(index, nr);

	return READ_ONCE(folio->mapping) && base >= folio->index &&
	       base + nr <= folio->index + folio_nr_pages(folio) &&
	       gmem_is_private(binding, base, base + nr);
}

static void gmem_test_keep(struct gmem_test_stressor *s, unsigned long seq,
			   struct page *page, pgoff_t index, int max_order)
{
	struct gmem_binding *binding = s->slot->binding;
	bool retry;

	spin_lock(&gmem_test_map_lock);
	retry = gmem_read_retry(binding, seq);
	if (!retry &&
	    !gmem_test_still_good(binding, page, index, max_order)) {
		atomic64_inc(s->bad);
		atomic_set(s->last_bad_err, -ESTALE);
	}
	spin_unlock(&gmem_test_map_lock);
	if (retry)
		atomic64_inc(s->retries);
}

static int gmem_test_stress_fn(void *data)
{
	struct gmem_test_stressor *s = data;
	pgoff_t nr = s->slot->end - s->slot->start;
	pgoff_t index = s->seed % nr;
	unsigned long pfn, seq = 0;
	struct page *page;
	int max_order, err;
	u8 *kaddr;

	while (!kthread_should_stop()) {
		if (s->seq)
			seq = gmem_read_begin(s->slot->binding);
		err = gmem_get_pfn(s->slot->binding, s->slot->start + index, 0,
				   &pfn, &page, &max_order);
		if (!err) {
			kaddr = kmap_local_page(page);
			READ_ONCE(kaddr[0]);
			kunmap_local(kaddr);
			if (s->seq)
				gmem_test_keep(s, seq, page,
					       s->slot->start + index,
					       max_order);
			put_page(page);
		} else if (err != -EACCES && err != -EHWPOISON) {
			atomic64_inc(s->bad);
			atomic_set(s->last_bad_err, err);
		}
		atomic64_inc(s->resolves);
		index = (index + 1) % nr;
		cond_resched();
	}
	return 0;
}

static long gmem_test_stress(struct gmem_test_stress __user *uarg)
{
	struct gmem_test_stressor *stressors;
	struct task_struct **tasks;
	struct gmem_test_stress args;
	struct gmem_test_slot *slot;
	atomic64_t resolves = ATOMIC64_INIT(0), bad = ATOMIC64_INIT(0);
	atomic64_t retries = ATOMIC64_INIT(0);
	atomic_t last_bad_err = ATOMIC_INIT(0);
	unsigned int i, started = 0;
	long ret = 0;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (!args.threads || args.threads > 16 || args.msecs > 60000 ||
	    (args.flags & ~GMEM_TEST_STRESS_SEQ) || args.pad)
		return -EINVAL;

	stressors = kcalloc(args.threads, sizeof(*stressors), GFP_KERNEL);
	tasks = kcalloc(args.threads, sizeof(*tasks), GFP_KERNEL);
	if (!stressors || !tasks) {
		ret = -ENOMEM;
		goto out_free;
	}

	mutex_lock(&gmem_test_lock);
	slot = gmem_test_slot(args.slot);
	if (!slot) {
		ret = -ENOENT;
		goto out_unlock;
	}
	for (i = 0; i < args.threads; i++) {
		stressors[i] = (struct gmem_test_stressor) {
			.slot = slot,
			.seed = i * 7919,
			.seq = args.flags & GMEM_TEST_STRESS_SEQ,
			.resolves = &resolves,
			.bad = &bad,
			.retries = &retries,
			.last_bad_err = &last_bad_err,
		};
		tasks[i] = kthread_run(gmem_test_stress_fn, &stressors[i],
				       "gmem_test/%u", i);
		if (IS_ERR(tasks[i])) {
			ret = PTR_ERR(tasks[i]);
			break;
		}
		get_task_struct(tasks[i]);
		started++;
	}
	if (!ret)
		msleep_interruptible(args.msecs);
	for (i = 0; i < started; i++) {
		kthread_stop(tasks[i]);
		put_task_struct(tasks[i]);
	}

	args.resolves = atomic64_read(&resolves);
	args.bad = atomic64_read(&bad);
	args.retries = atomic64_read(&retries);
	args.last_bad_err = atomic_read(&last_bad_err);
	if (!ret && copy_to_user(uarg, &args, sizeof(args)))
		ret = -EFAULT;
out_unlock:
	mutex_unlock(&gmem_test_lock);
out_free:
	kfree(tasks);
	kfree(stressors);
	return ret;
}

/* Most indices GMEM_TEST_RESOLVE_BENCH takes at once (8 MiB of them). */
#define GMEM_TEST_BENCH_MAX_NR	(1024 * 1024)

/*
 * The zeroing floor: every page of the slot's range is resolved first,
 * then only the clear_page() loop is timed.
 */
static long gmem_test_clear(struct gmem_test_clear __user *uarg)
{
	struct gmem_test_clear args;
	struct gmem_test_slot *slot;
	unsigned long pfn, i, nr, got;
	struct page **pages;
	int max_order;
	long ret = 0;
	u64 start;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;

	mutex_lock(&gmem_test_lock);
	slot = gmem_test_slot(args.slot);
	if (!slot) {
		ret = -ENOENT;
		goto out;
	}
	nr = slot->end - slot->start;
	pages = kvmalloc_array(nr, sizeof(*pages), GFP_KERNEL);
	if (!pages) {
		ret = -ENOMEM;
		goto out;
	}

	args.err = 0;
	for (got = 0; got < nr; got++) {
		args.err = gmem_get_pfn(slot->binding, slot->start + got, 0,
					&pfn, &pages[got], &max_order);
		if (args.err)
			break;
	}
	args.pages = 0;
	args.ns = 0;
	if (!args.err) {
		start = ktime_get_ns();
		for (i = 0; i < nr; i++) {
			clear_highpage(pages[i]);
			if (i % 512 == 511)
				cond_resched();
		}
		args.ns = ktime_get_ns() - start;
		args.pages = nr;
	}
	for (i = 0; i < got; i++)
		put_page(pages[i]);
	kvfree(pages);

	if (copy_to_user(uarg, &args, sizeof(args)))
		ret = -EFAULT;
out:
	mutex_unlock(&gmem_test_lock);
	return ret;
}

/* One pass of resolves over @idx; the first error stops it. */
static int gmem_test_resolve_pass(struct gmem_test_slot *slot, const u64 *idx,
				  u32 nr)
{
	unsigned long pfn;
	struct page *page;
	int max_order, err;
	u32 i;

	for (i = 0; i < nr; i++) {
		err = gmem_get_pfn(slot->binding, idx[i], 0, &pfn, &page,
				   &max_order);
		if (err)
			return err;
		put_page(page);
	}
	return 0;
}

/* One pass of bare page-cache lookups over @idx. */
static int gmem_test_lookup_pass(struct address_space *mapping, const u64 *idx,
				 u32 nr)
{
	struct folio *folio;
	u32 i;

	for (i = 0; i < nr; i++) {
		folio = filemap_get_folio(mapping, idx[i]);
		/* NULL before 6.3, ERR_PTR(-ENOENT) since, when absent. */
		if (IS_ERR_OR_NULL(folio))
			return -ENOENT;
		folio_put(folio);
	}
	return 0;
}

/* Resolve latency against a bare page-cache lookup of the same pages. */
static long gmem_test_resolve_bench(struct gmem_test_resolve_bench __user *uarg)
{
	struct gmem_test_resolve_bench args;
	struct gmem_test_slot *slot;
	struct file *file;
	long ret = 0;
	u32 round;
	u64 *idx;
	u64 t;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (!args.nr || args.nr > GMEM_TEST_BENCH_MAX_NR || !args.rounds)
		return -EINVAL;

	idx = kvmalloc_array(args.nr, sizeof(*idx), GFP_KERNEL);
	if (!idx)
		return -ENOMEM;
	if (copy_from_user(idx, u64_to_user_ptr(args.uaddr),
			   array_size(args.nr, sizeof(*idx)))) {
		ret = -EFAULT;
		goto out_free;
	}
	file = gmem_fget(args.fd);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto out_free;
	}

	mutex_lock(&gmem_test_lock);
	slot = gmem_test_slot(args.slot);
	if (!slot) {
		ret = -ENOENT;
		goto out_unlock;
	}
	args.resolve_ns = 0;
	args.lookup_ns = 0;
	args.calls = 0;
	args.err = 0;
	/* Alternating passes, so that drift affects both alike. */
	for (round = 0; round < args.rounds && !args.err; round++) {
		t = ktime_get_ns();
		args.err = gmem_test_resolve_pass(slot, idx, args.nr);
		args.resolve_ns += ktime_get_ns() - t;
		if (args.err)
			break;
		t = ktime_get_ns();
		args.err = gmem_test_lookup_pass(file->f_mapping, idx, args.nr);
		args.lookup_ns += ktime_get_ns() - t;
		args.calls += args.nr;
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		cond_resched();
	}
	if (!ret && copy_to_user(uarg, &args, sizeof(args)))
		ret = -EFAULT;
out_unlock:
	mutex_unlock(&gmem_test_lock);
	fput(file);
out_free:
	kvfree(idx);
	return ret;
}

static long gmem_test_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case GMEM_TEST_BIND:
		return gmem_test_bind(argp);
	case GMEM_TEST_UNBIND:
		return gmem_test_unbind(argp);
	case GMEM_TEST_RESOLVE:
		return gmem_test_resolve(argp);
	case GMEM_TEST_RW:
		return gmem_test_rw(argp);
	case GMEM_TEST_EVENTS:
		return gmem_test_events(argp);
	case GMEM_TEST_STRESS:
		return gmem_test_stress(argp);
	case GMEM_TEST_CLEAR:
		return gmem_test_clear(argp);
	case GMEM_TEST_RESOLVE_BENCH:
		return gmem_test_resolve_bench(argp);
	case GMEM_TEST_BIND_OPS:
		return gmem_test_bind_ops(argp);
	case GMEM_TEST_STATE:
		return gmem_test_state(argp);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations gmem_test_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= gmem_test_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice gmem_test_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "gmem_test",
	.fops	= &gmem_test_fops,
	.mode	= 0600,
};

static int __init gmem_test_init(void)
{
	BUILD_BUG_ON(GMEM_CONSUMER_OPS_SIZE != GMEM_TEST_OPS_SIZE);
	BUILD_BUG_ON(GMEM_INV_TO_SHARED != GMEM_TEST_INV_TO_SHARED);
	BUILD_BUG_ON(GMEM_INV_TO_PRIVATE != GMEM_TEST_INV_TO_PRIVATE);
	BUILD_BUG_ON(GMEM_GET_SHARED != GMEM_TEST_GET_SHARED);
	BUILD_BUG_ON(GMEM_GET_WRITE != GMEM_TEST_GET_WRITE);
	return misc_register(&gmem_test_misc);
}

static void __exit gmem_test_exit(void)
{
	unsigned int i;

	misc_deregister(&gmem_test_misc);
	/* A consumer that goes away must leave no binding behind. */
	mutex_lock(&gmem_test_lock);
	for (i = 0; i < GMEM_TEST_SLOTS; i++)
		if (gmem_test_slots[i].binding)
			gmem_test_unbind_slot(&gmem_test_slots[i]);
	mutex_unlock(&gmem_test_lock);
}

module_init(gmem_test_init);
module_exit(gmem_test_exit);

MODULE_DESCRIPTION("Test consumer of the gmem consumer API");
MODULE_LICENSE("GPL");
/* gmem's consumer API is exported in the namespace GMEM (module/compat.h). */
#ifdef GMEM_HAVE_NS_STRING
MODULE_IMPORT_NS("GMEM");
#else
MODULE_IMPORT_NS(GMEM);
#endif
