// SPDX-License-Identifier: GPL-2.0
/*
 * The file_operations of a gmem memory fd.
 *
 * Guest memory is reached through fallocate() and, later, through
 * mappings of pages the guest shares; there is deliberately no read(),
 * write() or splice(), so the VFS refuses those by itself.
 */
#include <linux/fs.h>
#include <linux/falloc.h>
#include <linux/module.h>
#include <linux/pagemap.h>

#include "compat.h"
#include "gmem.h"

static long gmem_fallocate(struct file *file, int mode, loff_t offset,
			   loff_t len)
{
	struct inode *inode = file_inode(file);
	pgoff_t start, end;

	/* The size is fixed at creation, so only KEEP_SIZE modes make sense. */
	if (mode != FALLOC_FL_KEEP_SIZE &&
	    mode != (FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE))
		return -EOPNOTSUPP;

	/* vfs_fallocate() has refused negative, empty and overflowing ranges. */
	if (!PAGE_ALIGNED(offset) || !PAGE_ALIGNED(len))
		return -EINVAL;
	if (offset + len > i_size_read(inode))
		return -EINVAL;

	start = offset >> PAGE_SHIFT;
	end = (offset + len) >> PAGE_SHIFT;

	if (mode & FALLOC_FL_PUNCH_HOLE) {
		gmem_punch(inode, start, end);
		return 0;
	}
	return gmem_allocate(inode, start, end);
}

static int gmem_release(struct inode *inode, struct file *file)
{
	gmem_file_released();
	return 0;
}

const struct file_operations gmem_file_fops = {
	.owner		= THIS_MODULE,
	.fallocate	= gmem_fallocate,
	.release	= gmem_release,
};
