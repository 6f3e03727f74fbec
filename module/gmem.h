/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interfaces shared by gmem's source files.
 */
#ifndef _GMEM_H
#define _GMEM_H

#include <linux/completion.h>
#include <linux/fs.h>
#include <linux/list.h>
#include <linux/maple_tree.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/types.h>
#include <linux/xarray.h>

struct gmem_consumer_ops;

/*
 * Locking rule for every gmem mapping: anything that inserts folios into
 * or removes them from the page cache, looks them up to hand them out, or
 * changes a page's shared/private state holds mapping->invalidate_lock.
 * Lookups and on-demand allocation (faults, populate) take it shared;
 * fallocate(), punch and conversion take it exclusively.  fallocate() holds
 * it for the whole call, so a call that runs out of memory can take back
 * exactly the folios it inserted before anybody could have looked them up.
 */

/* Per-fd state, hung off the fd's own inode (inode->i_private). */
struct gmem_inode {
	u32 flags;			/* GMEM_CREATE_* given at creation */
	struct maple_tree shared;	/* ranges of shared pages */
	struct xarray poison;		/* indices lost to memory failure */
	struct mutex bind_lock;		/* protects bindings */
	struct list_head bindings;	/* struct gmem_binding.node */
};

/* A consumer's binding of a page range (see bind.c). */
struct gmem_binding {
	struct list_head node;		/* in gmem_inode.bindings */
	struct file *file;
	pgoff_t start;
	pgoff_t end;
	const struct gmem_consumer_ops *ops;
	void *priv;
	/*
	 * One reference for the consumer's ownership plus one per resolve in
	 * flight; gmem_unbind() drops the first and waits for the others.
	 */
	refcount_t users;
	struct completion idle;
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
extern u64 gmem_max_size;
extern u64 gmem_max_total;

/* fs.c */
struct file *gmem_file_create(u64 length, u32 flags);
void gmem_file_released(void);

/* file.c */
extern const struct file_operations gmem_file_fops;

/* attr.c */
int gmem_attr_init(struct gmem_inode *gi, pgoff_t nr_pages, bool shared);
void gmem_attr_destroy(struct gmem_inode *gi);
bool gmem_attr_is_shared(struct gmem_inode *gi, pgoff_t index);
pgoff_t gmem_attr_nr_shared(struct gmem_inode *gi, pgoff_t start, pgoff_t end);
int gmem_attr_set(struct gmem_inode *gi, pgoff_t start, pgoff_t end,
		  bool shared);

/* folio.c */
extern const struct address_space_operations gmem_aops;
struct folio *gmem_get_folio(struct inode *inode, pgoff_t index);
int gmem_allocate(struct inode *inode, pgoff_t start, pgoff_t end);
void gmem_punch(struct inode *inode, pgoff_t start, pgoff_t end);
void gmem_update_blocks(struct inode *inode);
bool gmem_is_poisoned(struct gmem_inode *gi, pgoff_t index);

/* convert.c */
int gmem_convert(struct inode *inode, pgoff_t start, pgoff_t end,
		 bool to_shared, bool zero, pgoff_t *busy);

/* populate.c */
int gmem_populate(struct inode *inode, pgoff_t start, pgoff_t end,
		  const void __user *src, u64 *copied);

/* mmap.c */
int gmem_mmap(struct file *file, struct vm_area_struct *vma);

/* notify.c */
void gmem_invalidate_begin(struct inode *inode, pgoff_t start, pgoff_t end);
void gmem_invalidate_end(struct inode *inode, pgoff_t start, pgoff_t end);
void gmem_notify_error(struct inode *inode, pgoff_t start, pgoff_t end);

#endif /* _GMEM_H */
