// SPDX-License-Identifier: GPL-2.0
/*
 * gmem_test: a consumer of gmem's in-kernel API for the test suite only.
 *
 * It binds ranges of gmem fds, resolves pages, reads and writes them
 * through kernel mappings (the one way a test can look at private memory),
 * records every notification gmem sends, and runs kernel threads that
 * resolve while userspace changes the memory under them.  Two ioctls serve
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

#if GMEM_API_VERSION != 1
#error "gmem_test is written for version 1 of the gmem consumer API"
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

static void gmem_test_record(void *priv, u32 type, pgoff_t start, pgoff_t end)
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
	spin_unlock(&gmem_test_log_lock);
}

static void gmem_test_invalidate_begin(void *priv, pgoff_t start, pgoff_t end)
{
	gmem_test_record(priv, GMEM_TEST_EV_BEGIN, start, end);
}

static void gmem_test_invalidate_end(void *priv, pgoff_t start, pgoff_t end)
{
	gmem_test_record(priv, GMEM_TEST_EV_END, start, end);
}

static void gmem_test_error(void *priv, pgoff_t start, pgoff_t end)
{
	gmem_test_record(priv, GMEM_TEST_EV_ERROR, start, end);
}

static const struct gmem_consumer_ops gmem_test_ops = {
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

static long gmem_test_bind(struct gmem_test_bind __user *uarg)
{
	struct gmem_test_slot *slot = NULL;
	struct gmem_test_bind args;
	struct gmem_binding *binding;
	struct file *file;
	long ret = 0;
	u32 id;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;

	file = gmem_fget(args.fd);
	if (IS_ERR(file))
		return PTR_ERR(file);

	mutex_lock(&gmem_test_lock);
	for (id = 0; id < GMEM_TEST_SLOTS; id++) {
		if (!gmem_test_slots[id].binding) {
			slot = &gmem_test_slots[id];
			break;
		}
	}
	if (!slot) {
		ret = -ENOSPC;
		goto out;
	}
	slot->id = id;
	binding = gmem_bind(file, args.start, args.nr_pages, &gmem_test_ops,
			    slot);
	if (IS_ERR(binding)) {
		ret = PTR_ERR(binding);
		goto out;
	}
	slot->binding = binding;
	slot->start = args.start;
	slot->end = args.start + args.nr_pages;
	if (put_user(id, &uarg->slot))
		ret = -EFAULT;
out:
	mutex_unlock(&gmem_test_lock);
	/* The binding holds a reference of its own. */
	fput(file);
	return ret;
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
	args.err = gmem_get_pfn(slot->binding, args.index, &pfn, &page,
				&max_order);
	args.node = -1;
	args.folio_order = -1;
	if (!args.err) {
		args.node = page_to_nid(page);
		args.folio_order = folio_order(page_folio(page));
		put_page(page);
	}
	args.pfn = pfn;
	args.max_order = max_order;
	args.pad = 0;
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
	args.err = gmem_get_pfn(slot->binding, args.index, &pfn, &page,
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

struct gmem_test_stressor {
	struct gmem_test_slot *slot;
	unsigned int seed;
	atomic64_t *resolves;
	atomic64_t *bad;
	atomic_t *last_bad_err;
};

static int gmem_test_stress_fn(void *data)
{
	struct gmem_test_stressor *s = data;
	pgoff_t nr = s->slot->end - s->slot->start;
	pgoff_t index = s->seed % nr;
	unsigned long pfn;
	struct page *page;
	int max_order, err;
	u8 *kaddr;

	while (!kthread_should_stop()) {
		err = gmem_get_pfn(s->slot->binding, s->slot->start + index,
				   &pfn, &page, &max_order);
		if (!err) {
			kaddr = kmap_local_page(page);
			READ_ONCE(kaddr[0]);
			kunmap_local(kaddr);
			put_page(page);
		} else if (err != -EACCES) {
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
	atomic_t last_bad_err = ATOMIC_INIT(0);
	unsigned int i, started = 0;
	long ret = 0;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (!args.threads || args.threads > 16 || args.msecs > 60000)
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
			.resolves = &resolves,
			.bad = &bad,
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
		args.err = gmem_get_pfn(slot->binding, slot->start + got, &pfn,
					&pages[got], &max_order);
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
		err = gmem_get_pfn(slot->binding, idx[i], &pfn, &page,
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
