/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interfaces shared by gmem's source files.
 */
#ifndef _GMEM_H
#define _GMEM_H

#include <linux/fs.h>
#include <linux/types.h>

/*
 * Locking rule for every gmem mapping: anything that inserts folios into
 * or removes them from the page cache holds mapping->invalidate_lock.
 * fallocate() holds it exclusively for the whole call, so a call that runs
 * out of memory can take back exactly the folios it inserted before anybody
 * else could have looked them up.
 */

/* Per-fd state, hung off the fd's own inode (inode->i_private). */
struct gmem_inode {
	u32 flags;		/* GMEM_CREATE_* as given at creation */
};

/* main.c */
extern u64 gmem_max_size;

/* fs.c */
struct file *gmem_file_create(u64 length, u32 flags);
void gmem_file_released(void);

/* file.c */
extern const struct file_operations gmem_file_fops;

/* folio.c */
extern const struct address_space_operations gmem_aops;
int gmem_allocate(struct inode *inode, pgoff_t start, pgoff_t end);
void gmem_punch(struct inode *inode, pgoff_t start, pgoff_t end);
void gmem_update_blocks(struct inode *inode);

#endif /* _GMEM_H */
