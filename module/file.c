// SPDX-License-Identifier: GPL-2.0
/*
 * The file_operations of a gmem memory fd: fallocate, mmap, read and
 * write of shared pages (rw.c), lseek, the ioctls and fdinfo.
 *
 * There is deliberately no splice(): a page spliced into a pipe is a
 * reference gmem cannot take back when the page turns private, and 6.1's
 * generic splice would hand the page itself to the pipe.
 */
#include <linux/fs.h>
#include <linux/falloc.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/pagemap.h>
#include <linux/nodemask.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <uapi/linux/gmem.h>

#include "compat.h"
#include "gmem.h"
#include "gmem_trace.h"

/* Validate a byte range of @inode and turn it into page indices. */
static int gmem_range(struct inode *inode, u64 offset, u64 length,
		      pgoff_t *start, pgoff_t *end)
{
	u64 last;

	if (!length || !PAGE_ALIGNED(offset) || !PAGE_ALIGNED(length))
		return -EINVAL;
	if (check_add_overflow(offset, length, &last) ||
	    last > i_size_read(inode))
		return -EINVAL;
	*start = offset >> PAGE_SHIFT;
	*end = last >> PAGE_SHIFT;
	return 0;
}

static long gmem_fallocate(struct file *file, int mode, loff_t offset,
			   loff_t len)
{
	struct inode *inode = file_inode(file);
	pgoff_t start, end;
	int err;

	/* The size is fixed at creation, so only KEEP_SIZE modes make sense. */
	if (mode != FALLOC_FL_KEEP_SIZE &&
	    mode != (FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE))
		return -EOPNOTSUPP;

	/* vfs_fallocate() has refused negative, empty and overflowing ranges. */
	err = gmem_range(inode, offset, len, &start, &end);
	if (err)
		return err;

	if (mode & FALLOC_FL_PUNCH_HOLE) {
		gmem_punch(inode, start, end);
		return 0;
	}
	err = gmem_allocate(inode, start, end);
	/*
	 * Zeroes are a fill too (missing.c), and after a failure the waiters
	 * look again: a page the call took back is reported anew.
	 */
	gmem_missing_filled(inode, start, end);
	return err;
}

static long gmem_ioctl_convert(struct inode *inode,
			       struct gmem_convert __user *uarg)
{
	struct gmem_convert args;
	pgoff_t start, end, busy;
	int err;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (memchr_inv(args.reserved, 0, sizeof(args.reserved)) ||
	    args.flags & ~GMEM_CONVERT_FLAGS_ALL ||
	    (args.to != GMEM_PRIVATE && args.to != GMEM_SHARED))
		return -EINVAL;
	err = gmem_range(inode, args.offset, args.length, &start, &end);
	if (err)
		return err;

	err = gmem_convert(inode, start, end, args.to == GMEM_SHARED,
			   args.flags & GMEM_CONVERT_ZERO, &busy);
	if (err == -EAGAIN &&
	    put_user((u64)busy << PAGE_SHIFT, &uarg->error_offset))
		return -EFAULT;
	return err;
}

static long gmem_ioctl_populate(struct inode *inode,
				struct gmem_populate __user *uarg)
{
	struct gmem_populate args;
	pgoff_t start, end;
	u64 copied = 0;
	int err;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (args.flags & ~GMEM_POPULATE_FLAGS_ALL || args.pad ||
	    memchr_inv(args.reserved, 0, sizeof(args.reserved)))
		return -EINVAL;
	err = gmem_range(inode, args.offset, args.length, &start, &end);
	if (err)
		return err;

	err = gmem_populate(inode, start, end, u64_to_user_ptr(args.uaddr),
			    &copied);
	if (put_user(copied, &uarg->copied))
		return -EFAULT;
	return err;
}

static long gmem_ioctl_migrate(struct inode *inode,
			       struct gmem_migrate __user *uarg)
{
	bool collapse, huge = GMEM_I(inode)->flags & GMEM_CREATE_HUGE;
	struct gmem_migrate args;
	u64 moved = 0, collapsed = 0;
	pgoff_t start, end, busy;
	int node, err;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	collapse = args.flags & GMEM_MIGRATE_COLLAPSE;
	if (args.flags & ~GMEM_MIGRATE_FLAGS_ALL || args.reserved ||
	    (collapse && !huge))
		return -EINVAL;
	if (collapse && args.node == GMEM_MIGRATE_NODE_POLICY)
		node = NUMA_NO_NODE;
	else if (gmem_node_valid(args.node))
		node = args.node;
	else
		return -EINVAL;
	err = gmem_range(inode, args.offset, args.length, &start, &end);
	if (err)
		return err;

	err = gmem_migrate(inode, start, end, node, collapse, &moved,
			   &collapsed, &busy);
	if (put_user(moved, &uarg->moved) ||
	    put_user(collapsed, &uarg->collapsed))
		return -EFAULT;
	if (err == -EBUSY &&
	    put_user((u64)busy << PAGE_SHIFT, &uarg->error_offset))
		return -EFAULT;
	return err;
}

static long gmem_ioctl_query(struct inode *inode,
			     struct gmem_query __user *uarg)
{
	struct gmem_query args;
	pgoff_t start, end, next;
	u32 nr_runs;
	int err;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (args.flags & ~GMEM_QUERY_FLAGS_ALL || !args.nr_runs ||
	    memchr_inv(args.reserved, 0, sizeof(args.reserved)))
		return -EINVAL;
	err = gmem_range(inode, args.offset, args.length, &start, &end);
	if (err)
		return err;

	err = gmem_query(inode, start, end, u64_to_user_ptr(args.runs),
			 args.nr_runs, &nr_runs, &next);
	if (err)
		return err;
	if (put_user(nr_runs, &uarg->nr_runs) ||
	    put_user((u64)next << PAGE_SHIFT, &uarg->next_offset))
		return -EFAULT;
	return 0;
}

static long gmem_ioctl_dirty_log(struct inode *inode,
				 struct gmem_dirty_log __user *uarg)
{
	struct gmem_dirty_log args;
	pgoff_t start, end;
	u64 nr_dirty = 0;
	u32 status = 0;
	int err;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (!gmem_dirty_logged(GMEM_I(inode)) ||
	    args.flags & ~GMEM_DIRTY_LOG_FLAGS_ALL ||
	    memchr_inv(args.reserved, 0, sizeof(args.reserved)))
		return -EINVAL;
	err = gmem_range(inode, args.offset, args.length, &start, &end);
	if (err)
		return err;

	err = gmem_dirty_log(inode, start, end, u64_to_user_ptr(args.bitmap),
			     args.flags & GMEM_DIRTY_LOG_CLEAR, &nr_dirty,
			     &status);
	/* What was taken is in the bitmap and counted, also on failure. */
	if (err != -ENOMEM &&
	    (put_user(nr_dirty, &uarg->nr_dirty) ||
	     put_user(status, &uarg->status)))
		return -EFAULT;
	return err;
}

static long gmem_ioctl_missing_arm(struct inode *inode,
				   struct gmem_missing_range __user *uarg)
{
	struct gmem_missing_range args;
	pgoff_t start, end;
	int err;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (args.flags & ~GMEM_MISSING_FLAGS_ALL || args.reserved)
		return -EINVAL;
	err = gmem_range(inode, args.offset, args.length, &start, &end);
	if (err)
		return err;
	return gmem_missing_arm(inode, start, end,
				args.flags & GMEM_MISSING_DISARM);
}

static void gmem_get_info(struct inode *inode, struct gmem_info *info,
			  struct gmem_stats *st)
{
	struct gmem_inode *gi = GMEM_I(inode);
	pgoff_t nr_shared;

	gmem_stats_inode(inode, st);
	memset(info, 0, sizeof(*info));
	nr_shared = gmem_attr_nr_shared(gi, 0, gmem_nr_pages(inode));
	info->length = i_size_read(inode);
	info->create_flags = gi->flags;
	info->numa_mode = gi->numa.mode;
	info->shared_bytes = (u64)nr_shared << PAGE_SHIFT;
	info->private_bytes = info->length - info->shared_bytes;
	info->allocated_private = st->allocated_private << PAGE_SHIFT;
	info->allocated_shared = st->allocated_shared << PAGE_SHIFT;
	info->allocated = info->allocated_private + info->allocated_shared;
	info->large_folios = st->large_folios;
	info->poisoned = st->poisoned << PAGE_SHIFT;
	info->large_fallbacks = atomic_long_read(&gi->large_fallbacks);
}

static long gmem_ioctl_info(struct inode *inode, struct gmem_info __user *uarg)
{
	struct gmem_stats st = {};
	struct gmem_info info;
	long usize;

	usize = gmem_args_from_user(&info, sizeof(info), GMEM_INFO_SIZE_VER0,
				    uarg);
	if (usize < 0)
		return usize;
	if (info.flags & ~GMEM_INFO_FLAGS_ALL)
		return -EINVAL;

	gmem_get_info(inode, &info, &st);
	info.size = min_t(u32, usize, sizeof(info));
	if (copy_to_user(uarg, &info, info.size))
		return -EFAULT;
	return 0;
}

/*
 * The first GMEM_INFO's struct, as programs built against version 0.1.0
 * have it: struct gmem_info's fields from length to poisoned.  It is
 * written whole, read never (the command is _IOR()).
 */
struct gmem_info_v0 {
	__u64 size;
	__u32 flags;
	__u32 numa_mode;
	__u64 allocated;
	__u64 private_bytes;
	__u64 shared_bytes;
	__u64 allocated_private;
	__u64 allocated_shared;
	__u64 large_folios;
	__u64 poisoned;
};

static_assert(sizeof(struct gmem_info_v0) == 72);

#define GMEM_INFO_V0	_IOR(GMEM_IOCTL_TYPE, GMEM_INFO_V0_NR, \
			     struct gmem_info_v0)

static long gmem_ioctl_info_v0(struct inode *inode,
			       struct gmem_info_v0 __user *uarg)
{
	struct gmem_stats st = {};
	struct gmem_info_v0 old;
	struct gmem_info info;

	gmem_get_info(inode, &info, &st);
	old = (struct gmem_info_v0){
		.size = info.length,
		.flags = info.create_flags,
		.numa_mode = info.numa_mode,
		.allocated = info.allocated,
		.private_bytes = info.private_bytes,
		.shared_bytes = info.shared_bytes,
		.allocated_private = info.allocated_private,
		.allocated_shared = info.allocated_shared,
		.large_folios = info.large_folios,
		.poisoned = info.poisoned,
	};
	if (copy_to_user(uarg, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

static long gmem_file_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	struct inode *inode = file_inode(file);
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case GMEM_CONVERT:
		return gmem_ioctl_convert(inode, argp);
	case GMEM_POPULATE:
		return gmem_ioctl_populate(inode, argp);
	case GMEM_MIGRATE:
		return gmem_ioctl_migrate(inode, argp);
	case GMEM_INFO:
		return gmem_ioctl_info(inode, argp);
	case GMEM_INFO_V0:
		return gmem_ioctl_info_v0(inode, argp);
	case GMEM_QUERY:
		return gmem_ioctl_query(inode, argp);
	case GMEM_DIRTY_LOG:
		return gmem_ioctl_dirty_log(inode, argp);
	case GMEM_MISSING_ARM:
		return gmem_ioctl_missing_arm(inode, argp);
	case GMEM_MISSING_EVENTS:
		return gmem_missing_events(file, arg);
	default:
		return -ENOTTY;
	}
}

static void gmem_show_fdinfo(struct seq_file *m, struct file *file)
{
	unsigned long ranges, objects, outstanding, queued;
	u64 armed;
	struct gmem_stats st = {};
	struct gmem_info info;
	int node;

	/* Without the per-node figures if there is no memory for them. */
	st.node_pages = kcalloc(nr_node_ids, sizeof(*st.node_pages), GFP_KERNEL);
	gmem_get_info(file_inode(file), &info, &st);
	seq_printf(m, "gmem-size:\t%llu\n", info.length);
	seq_printf(m, "gmem-flags:\t%#x\n", info.create_flags);
	seq_printf(m, "gmem-allocated:\t%llu\n", info.allocated);
	seq_printf(m, "gmem-private:\t%llu\n", info.private_bytes);
	seq_printf(m, "gmem-shared:\t%llu\n", info.shared_bytes);
	seq_printf(m, "gmem-numa-mode:\t%u\n", info.numa_mode);
	seq_printf(m, "gmem-allocated-private:\t%llu\n", info.allocated_private);
	seq_printf(m, "gmem-allocated-shared:\t%llu\n", info.allocated_shared);
	seq_printf(m, "gmem-large-folios:\t%llu\n", info.large_folios);
	seq_printf(m, "gmem-poisoned:\t%llu\n", info.poisoned);
	seq_printf(m, "gmem-large-fallbacks:\t%llu\n", info.large_fallbacks);
	gmem_mpol_counts(GMEM_I(file_inode(file)), &ranges, &objects);
	seq_printf(m, "gmem-mbind-ranges:\t%lu\n", ranges);
	seq_printf(m, "gmem-mbind-policies:\t%lu\n", objects);
	gmem_missing_counts(GMEM_I(file_inode(file)), &armed, &outstanding,
			    &queued);
	seq_printf(m, "gmem-missing-armed:\t%llu\n", armed);
	seq_printf(m, "gmem-missing-outstanding:\t%lu\n", outstanding);
	seq_printf(m, "gmem-missing-queued:\t%lu\n", queued);
	if (!st.node_pages)
		return;
	for_each_node_state(node, N_MEMORY)
		if (st.node_pages[node])
			seq_printf(m, "gmem-node%d:\t%llu\n", node,
				   st.node_pages[node] << PAGE_SHIFT);
	kfree(st.node_pages);
}

/*
 * An fd's inode opened again, through /proc/<pid>/fd/<n> (the only path
 * to it): how a VMM that takes a file name, such as QEMU's
 * memory-backend-file, uses an fd it inherited.  The new file is the same
 * memory (all state lives in the inode) with the same rules: read-write
 * only, and only shared pages can be mapped, read or written.
 */
static int gmem_open(struct inode *inode, struct file *file)
{
	if (!(file->f_mode & FMODE_READ) || !(file->f_mode & FMODE_WRITE))
		return -EACCES;
	return gmem_file_reopened();
}

/*
 * Positions run from 0 to the size (QEMU sizes its backing store with
 * lseek(SEEK_END)); SEEK_DATA and SEEK_HOLE find allocated pages.
 */
static loff_t gmem_llseek(struct file *file, loff_t offset, int whence)
{
	switch (whence) {
	case SEEK_SET:
	case SEEK_CUR:
	case SEEK_END:
		return fixed_size_llseek(file, offset, whence,
					 i_size_read(file_inode(file)));
	case SEEK_DATA:
	case SEEK_HOLE:
		return gmem_seek_data_hole(file, offset, whence);
	default:
		return -EINVAL;
	}
}

static int gmem_release(struct inode *inode, struct file *file)
{
	trace_gmem_release(inode);
	gmem_file_released();
	return 0;
}

const struct file_operations gmem_file_fops = {
	.owner		= THIS_MODULE,
	.open		= gmem_open,
	.llseek		= gmem_llseek,
	.fallocate	= gmem_fallocate,
	.read_iter	= gmem_read_iter,
	.write_iter	= gmem_write_iter,
	.mmap		= gmem_mmap,
	/*
	 * Mappings of 2 MiB and more start on a 2 MiB boundary (plus the
	 * offset's), so a huge fd's blocks can be mapped with one PMD each.
	 */
	.get_unmapped_area = thp_get_unmapped_area,
	.unlocked_ioctl	= gmem_file_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.show_fdinfo	= gmem_show_fdinfo,
	.release	= gmem_release,
};
