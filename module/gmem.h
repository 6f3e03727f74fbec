/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interfaces shared by gmem's source files.
 */
#ifndef _GMEM_H
#define _GMEM_H

#include <linux/bitops.h>
#include <linux/completion.h>
#include <linux/fs.h>
#include <linux/gmem.h>
#include <linux/list.h>
#include <linux/maple_tree.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/page-flags.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/xarray.h>
#include <uapi/linux/gmem.h>

struct iov_iter;
struct mem_cgroup;

/* 2 MiB on x86: the folio size GMEM_CREATE_HUGE aims for. */
#define GMEM_HUGE_ORDER		(PMD_SHIFT - PAGE_SHIFT)
#define GMEM_HUGE_NR		BIT(GMEM_HUGE_ORDER)

/*
 * What the uAPI accepts.  Kept out of the uAPI header, where a mask would
 * be compiled into programs and outlive the module it described;
 * GMEM_FEATURES reports these to userspace.
 */
#define GMEM_CREATE_FLAGS_ALL	(GMEM_CREATE_MMAP | GMEM_CREATE_SHARED | \
				 GMEM_CREATE_HUGE | GMEM_CREATE_DIRTY_LOG)
#define GMEM_CONVERT_FLAGS_ALL	GMEM_CONVERT_ZERO
#define GMEM_MIGRATE_FLAGS_ALL	GMEM_MIGRATE_COLLAPSE
#define GMEM_DIRTY_LOG_FLAGS_ALL	GMEM_DIRTY_LOG_CLEAR
/* None yet: a flags field that must be zero today. */
#define GMEM_POPULATE_FLAGS_ALL	0U
#define GMEM_QUERY_FLAGS_ALL	0U
#define GMEM_INFO_FLAGS_ALL	0U
#define GMEM_NUMA_MODES_ALL	(BIT(GMEM_NUMA_DEFAULT) | BIT(GMEM_NUMA_BIND) | \
				 BIT(GMEM_NUMA_PREFERRED) | \
				 BIT(GMEM_NUMA_INTERLEAVE))

/* A NUMA placement policy, validated (see numa.c). */
struct gmem_numa {
	u32 mode;			/* GMEM_NUMA_* */
	unsigned int nr_nodes;		/* nodes_weight(nodes) */
	nodemask_t nodes;
};

/*
 * A policy mbind() gave a range of the fd, as gmem follows it (see
 * mpol.c): MPOL_LOCAL, MPOL_PREFERRED, MPOL_BIND, MPOL_PREFERRED_MANY or
 * MPOL_INTERLEAVE, with the nodes and home node of the struct mempolicy
 * it was copied from.
 */
struct gmem_policy {
	unsigned short mode;		/* MPOL_* */
	int home_node;			/* or NUMA_NO_NODE */
	unsigned int nr_nodes;		/* nodes_weight(nodes) */
	nodemask_t nodes;
};

/*
 * Locking rule for every gmem mapping: anything that inserts folios into
 * or removes them from the page cache, looks them up to hand them out, or
 * changes a page's shared/private state holds mapping->invalidate_lock,
 * but for a consumer's resolve of a page that is there, which a retry
 * protocol covers instead (gmem_get_folio_fast(), bind.c).
 * Lookups and allocation (faults, populate, read() and write(), resolves,
 * GMEM_QUERY, GMEM_DIRTY_LOG, fallocate()) take it shared; punch,
 * conversion, migration and bind/unbind take it exclusively.  fallocate()
 * holds it for the whole call and inserts its folios unclaimed (not
 * uptodate); whoever hands one out claims it first,
 * under the folio lock, so a call that fails can take back exactly the
 * folios it inserted that nobody relies on (gmem_allocate()).  Holders of
 * the exclusive lock never see an unclaimed folio.
 */

/*
 * Demand paging of an fd (missing.c): which ranges are armed, which
 * missing pages have been reported and are waited for, and the event fd
 * the reports go to.
 */
struct gmem_missing {
	/* Pages armed; 0 is the check every fault and resolve makes first. */
	unsigned long armed_pages;
	struct maple_tree armed;	/* armed ranges, RCU lookups */
	/* Serializes arm/disarm, reports, fills' wakeups, the event fd. */
	struct mutex lock;
	/* Reports outstanding: struct gmem_missing_entry by unit */
	struct xarray outstanding;
	struct list_head queue;		/* reported, not yet read */
	unsigned long nr_queued;	/* entries on queue */
	struct file *events;		/* the open event fd, or NULL */
	wait_queue_head_t fill_wait;	/* touches waiting for a fill */
	wait_queue_head_t read_wait;	/* readers and pollers of events */
};

/* Per-fd state, hung off the fd's own inode (inode->i_private). */
struct gmem_inode {
	u32 flags;			/* GMEM_CREATE_* in effect */
	struct gmem_numa numa;		/* where new folios go */
	/*
	 * The creating task's memory cgroup: every folio of the fd is
	 * charged to it, whichever task allocates (see folio.c).
	 */
	struct mem_cgroup *memcg;
	struct list_head node;		/* in gmem_inodes (stats.c) */
	struct inode *inode;		/* the inode this hangs off */
	struct maple_tree shared;	/* ranges of shared pages */
	/* 2 MiB blocks that may hold a shared page, or NULL (attr.c) */
	unsigned long *shared_blocks;
	struct xarray poison;		/* indices lost to memory failure */
	struct mutex bind_lock;		/* protects bindings */
	struct list_head bindings;	/* struct gmem_binding.node */
	/* mbind() policies by page range, struct gmem_mpol (mpol.c) */
	struct maple_tree mpol;
	struct mutex mpol_lock;		/* serializes stores to mpol */
	struct list_head mpols;		/* every struct gmem_mpol.node */
	unsigned long mpol_mark;	/* the last mark pass */
	/* 2 MiB folios that could not be had, 4 KiB pages used instead */
	atomic_long_t large_fallbacks;
	/* GMEM_CREATE_DIRTY_LOG: the log of written pages (dirty.c) */
	struct xarray dirty;		/* struct gmem_dirty_chunk by 2 MiB */
	unsigned long dirty_flags;	/* GMEM_DIRTY_* bits */
	struct mutex dirty_lock;	/* one GMEM_DIRTY_LOG at a time */
	struct gmem_missing missing;	/* GMEM_MISSING_ARM (missing.c) */
};

/* A consumer's binding of a page range (see bind.c). */
struct gmem_binding {
	struct list_head node;		/* in gmem_inode.bindings */
	struct file *file;
	pgoff_t start;
	pgoff_t end;
	/*
	 * The largest order both ends of the range are aligned to: a folio
	 * of that order or less lies in the range whole wherever it is.
	 */
	unsigned int aligned_order;
	void *priv;
	/*
	 * With check_consumers set (bind.c), one reference for the
	 * consumer's ownership plus one per resolve in flight.  The consumer
	 * guarantees that no resolve runs once it calls gmem_unbind() (see
	 * <linux/gmem.h>); the count is how gmem notices when one does, and
	 * waits for it rather than free under it.
	 */
	refcount_t users;
	struct completion idle;
	/*
	 * gmem_read_begin/retry(): odd while an invalidation of the range
	 * is in progress, bumped by each invalidation and memory failure.
	 * Written under the fd's bind_lock.
	 */
	unsigned long seq;
	wait_queue_head_t seq_wait;
	/* The consumer's ops, zero-extended to this gmem's struct. */
	struct gmem_consumer_ops ops;
};

static inline struct gmem_inode *GMEM_I(struct inode *inode)
{
	return inode->i_private;
}

static inline pgoff_t gmem_nr_pages(struct inode *inode)
{
	return i_size_read(inode) >> PAGE_SHIFT;
}

/* main.c */
long gmem_args_from_user(void *dst, size_t ksize, u32 min_size,
			 const void __user *src);
extern u64 gmem_max_size;
extern u64 gmem_max_total;

extern bool gmem_huge;

/* fs.c */
struct file *gmem_file_create(u64 length, u32 flags,
			      const struct gmem_numa *numa);
int gmem_file_reopened(void);
void gmem_file_released(void);

/* file.c */
/*
 * The first GMEM_INFO (version 0.1.0), _IOR() of a fixed 72-byte struct,
 * still served for the programs built then (see struct gmem_info).
 */
#define GMEM_INFO_V0_NR		0x03
/* The commands a memory fd serves, by number, for GMEM_FEATURES. */
#define GMEM_FILE_IOCTLS	(BIT_ULL(_IOC_NR(GMEM_CONVERT)) | \
				 BIT_ULL(_IOC_NR(GMEM_POPULATE)) | \
				 BIT_ULL(GMEM_INFO_V0_NR) | \
				 BIT_ULL(_IOC_NR(GMEM_MIGRATE)) | \
				 BIT_ULL(_IOC_NR(GMEM_INFO)) | \
				 BIT_ULL(_IOC_NR(GMEM_QUERY)) | \
				 BIT_ULL(_IOC_NR(GMEM_DIRTY_LOG)) | \
				 BIT_ULL(_IOC_NR(GMEM_MISSING_ARM)) | \
				 BIT_ULL(_IOC_NR(GMEM_MISSING_EVENTS)))
#define GMEM_FD_OPS_ALL		(GMEM_FD_READ_WRITE | GMEM_FD_SEEK_HOLE)
#define GMEM_PAGE_STATES_ALL	(GMEM_PAGE_SHARED | GMEM_PAGE_ALLOCATED | \
				 GMEM_PAGE_HUGE | GMEM_PAGE_POISONED | \
				 GMEM_PAGE_MISSING)
extern const struct file_operations gmem_file_fops;

/* attr.c */
int gmem_attr_init(struct gmem_inode *gi, pgoff_t nr_pages, bool shared);
void gmem_attr_destroy(struct gmem_inode *gi);
bool gmem_attr_is_shared(struct gmem_inode *gi, pgoff_t index);
bool gmem_attr_lookup(struct gmem_inode *gi, pgoff_t index, pgoff_t *first,
		      pgoff_t *last);
pgoff_t gmem_attr_nr_shared(struct gmem_inode *gi, pgoff_t start, pgoff_t end);
int gmem_attr_set(struct gmem_inode *gi, pgoff_t start, pgoff_t end,
		  bool shared);

/*
 * No page of @gi is shared, as far as a lockless look can tell: the
 * common answer for a VM's private memory, found without a call (which
 * the resolve path counts).
 */
static inline bool gmem_attr_none_shared(struct gmem_inode *gi)
{
	return !rcu_access_pointer(gi->shared.ma_root);
}

/*
 * No page of @index's 2 MiB block is shared, as far as a lockless look
 * can tell (attr.c): a private resolve there needs no walk of the tree.
 */
static inline bool gmem_attr_block_private(struct gmem_inode *gi,
					   pgoff_t index)
{
	/* Pairs with gmem_attr_set()'s release: the bits before the map. */
	const unsigned long *blocks = smp_load_acquire(&gi->shared_blocks);

	return blocks && !test_bit(index >> GMEM_HUGE_ORDER, blocks);
}

/* folio.c */
extern const struct address_space_operations gmem_aops;
struct folio *gmem_get_folio(struct inode *inode, pgoff_t index);
struct folio *gmem_alloc_folio(struct gmem_inode *gi, pgoff_t index,
			       unsigned int order);
struct folio *gmem_alloc_folio_copy(struct gmem_inode *gi, pgoff_t index,
				    unsigned int order, int node);
struct folio *gmem_insert_folio(struct inode *inode, struct folio *folio,
				pgoff_t index);
bool gmem_charge(long nr);
void gmem_uncharge(long nr);
int gmem_allocate(struct inode *inode, pgoff_t start, pgoff_t end);
void gmem_punch(struct inode *inode, pgoff_t start, pgoff_t end);
void gmem_zero_range(struct address_space *mapping, pgoff_t start,
		     pgoff_t end);
void gmem_folio_guard_split(struct folio *folio);
void gmem_folio_check_poison(struct folio *folio);
void gmem_update_blocks(struct inode *inode);

/* Whether any page of @folio was hit by memory failure. */
static inline bool gmem_folio_has_poison(struct folio *folio)
{
	return folio_test_hwpoison(folio) ||
	       (folio_test_large(folio) && folio_test_has_hwpoisoned(folio));
}

bool gmem_is_poisoned(struct gmem_inode *gi, pgoff_t index);
bool gmem_range_poisoned(struct gmem_inode *gi, pgoff_t index, pgoff_t nr);
bool gmem_page_poisoned(struct folio *folio, pgoff_t index);

/* bind.c */
void gmem_bind_init(void);

/* pinned.c */
bool gmem_pinned_keep(struct folio *folio);
long gmem_pinned_reap(void);
long gmem_pinned_pages(void);
void gmem_pinned_exit(void);

/* busy.c */
bool gmem_folio_in_use(struct address_space *mapping, struct folio *folio);

/* convert.c */
int gmem_convert(struct inode *inode, pgoff_t start, pgoff_t end,
		 bool to_shared, bool zero, pgoff_t *busy);

/* numa.c */
int gmem_numa_from_user(struct gmem_numa *numa, u32 mode, u32 maxnode,
			u64 unodes);
struct folio *gmem_numa_alloc(struct gmem_inode *gi, gfp_t gfp,
			      unsigned int order, pgoff_t index);
bool gmem_node_valid(u32 node);

/* mpol.c */
struct mempolicy;
struct vm_area_struct;
void gmem_mpol_init(struct gmem_inode *gi);
void gmem_mpol_destroy(struct gmem_inode *gi);
bool gmem_mpol_lookup(struct gmem_inode *gi, pgoff_t index,
		      struct gmem_policy *policy);
void gmem_mpol_counts(struct gmem_inode *gi, unsigned long *ranges,
		      unsigned long *objects);
int gmem_set_policy(struct vm_area_struct *vma, struct mempolicy *new);

/* migrate.c */
int gmem_migrate(struct inode *inode, pgoff_t start, pgoff_t end, int node,
		 bool collapse, u64 *moved, u64 *collapsed, pgoff_t *busy);

/* stats.c */
struct gmem_stats {
	u64 allocated_private;
	u64 allocated_shared;
	u64 large_folios;
	u64 poisoned;
	u64 *node_pages;		/* nr_node_ids entries, or NULL */
};

void gmem_stats_add_inode(struct gmem_inode *gi);
void gmem_stats_del_inode(struct gmem_inode *gi);
void gmem_stats_inode(struct inode *inode, struct gmem_stats *st);
extern const struct attribute_group *gmem_misc_groups[];

/* populate.c */
int gmem_populate(struct inode *inode, pgoff_t start, pgoff_t end,
		  const void __user *src, u64 *copied);

/* rw.c */
ssize_t gmem_read_iter(struct kiocb *iocb, struct iov_iter *to);
ssize_t gmem_write_iter(struct kiocb *iocb, struct iov_iter *from);

/* query.c */
loff_t gmem_seek_data_hole(struct file *file, loff_t offset, int whence);
int gmem_query(struct inode *inode, pgoff_t start, pgoff_t end,
	       struct gmem_query_run __user *dst, u32 limit, u32 *nr_runs,
	       pgoff_t *next_index);

/* dirty.c */
void gmem_dirty_init(struct gmem_inode *gi);
void gmem_dirty_destroy(struct gmem_inode *gi);
void __gmem_dirty_mark(struct gmem_inode *gi, pgoff_t start, pgoff_t end);
void gmem_dirty_mark_present(struct inode *inode, pgoff_t start, pgoff_t end);
int gmem_dirty_log(struct inode *inode, pgoff_t start, pgoff_t end,
		   u64 __user *ubitmap, bool clear, u64 *nr_dirty, u32 *status);

static inline bool gmem_dirty_logged(struct gmem_inode *gi)
{
	return gi->flags & GMEM_CREATE_DIRTY_LOG;
}

/*
 * Pages [@start, @end) of @gi were written, or changed what they read as.
 * Called once the new contents are in place (a reader that sees the bit
 * then sees them), or before a mapping or a consumer is let write them.
 * Never fails and may sleep (it allocates).
 */
static inline void gmem_dirty_mark(struct gmem_inode *gi, pgoff_t start,
				   pgoff_t end)
{
	if (gmem_dirty_logged(gi))
		__gmem_dirty_mark(gi, start, end);
}

/* missing.c */
#define GMEM_MISSING_FLAGS_ALL	GMEM_MISSING_DISARM
/* gmem_missing_touch(): reported (now or before), wait for the fill. */
#define GMEM_MISSING_WAIT	1
void gmem_missing_init(struct gmem_inode *gi);
void gmem_missing_destroy(struct gmem_inode *gi);
int gmem_missing_arm(struct inode *inode, pgoff_t start, pgoff_t end,
		     bool disarm);
int gmem_missing_events(struct file *file, unsigned long flags);
int gmem_missing_touch(struct inode *inode, pgoff_t index, u32 source);
int gmem_missing_wait(struct inode *inode, pgoff_t index, unsigned int state);
void __gmem_missing_filled(struct inode *inode, pgoff_t start, pgoff_t end);
/* A write() or GMEM_POPULATE in progress (gmem_missing_fill_page()). */
struct gmem_missing_fill {
	pgoff_t unit;			/* the unit being written */
	bool active;			/* its entry holds touches back */
};

int gmem_missing_fill_page(struct inode *inode, struct gmem_missing_fill *fill,
			   pgoff_t index);
void gmem_missing_fill_done(struct inode *inode,
			    struct gmem_missing_fill *fill);
bool gmem_missing_is_armed(struct gmem_inode *gi, pgoff_t index,
			   pgoff_t *first, pgoff_t *last);
bool gmem_missing_page(struct inode *inode, pgoff_t index);
void gmem_missing_counts(struct gmem_inode *gi, u64 *armed,
			 unsigned long *outstanding, unsigned long *queued);

/*
 * Whether any page of @gi is armed: false for every fd that never used
 * GMEM_MISSING_ARM, which then pays one load on its faults and resolves.
 */
static inline bool gmem_missing_armed(struct gmem_inode *gi)
{
	return READ_ONCE(gi->missing.armed_pages);
}

/*
 * Pages [@start, @end) of @inode were filled (written, populated,
 * allocated): whatever waits on one of them may go on.  Called once the
 * contents are in and the folio lock is dropped; may sleep.
 */
static inline void gmem_missing_filled(struct inode *inode, pgoff_t start,
				       pgoff_t end)
{
	struct gmem_inode *gi = GMEM_I(inode);

	/*
	 * Orders the folios just inserted before the look at the reports:
	 * a touch registers its report, then looks for the folio
	 * (gmem_missing_touch()), so one of the two sees the other.
	 */
	smp_mb();
	if (!xa_empty(&gi->missing.outstanding))
		__gmem_missing_filled(inode, start, end);
}

/* mmap.c */
int gmem_mmap(struct file *file, struct vm_area_struct *vma);

/* notify.c */
void gmem_invalidate_begin(struct inode *inode, pgoff_t start, pgoff_t end);
void gmem_invalidate_end(struct inode *inode, pgoff_t start, pgoff_t end);
void gmem_convert_begin(struct inode *inode, pgoff_t start, pgoff_t end,
			bool to_shared);
void gmem_convert_end(struct inode *inode, pgoff_t start, pgoff_t end,
		      bool to_shared);
void gmem_notify_error(struct inode *inode, pgoff_t start, pgoff_t end);
void gmem_dirty_notify(struct inode *inode, pgoff_t start, pgoff_t end);
enum gmem_event {
	GMEM_EVENT_BEGIN,
	GMEM_EVENT_END,
	GMEM_EVENT_ERROR,
};

void gmem_notify_binding(struct gmem_binding *binding, pgoff_t start,
			 pgoff_t end, enum gmem_event event,
			 unsigned int flags);

#endif /* _GMEM_H */
