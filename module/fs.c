// SPDX-License-Identifier: GPL-2.0
/*
 * gmem's pseudo filesystem: every fd GMEM_CREATE returns is backed by an
 * inode of its own here, so each fd has its own page cache, its own
 * address_space_operations and its own inode number.
 *
 * The filesystem is mounted on demand and unmounted when its last file
 * goes away.  Its superblock pins the module (fs type owner), so module
 * code such as ->evict_inode can never run after the module is gone, and
 * nothing is left mounted that would keep the module from unloading.
 */
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/memcontrol.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/pagemap.h>
#include <linux/pseudo_fs.h>
#include <linux/slab.h>
#include <uapi/linux/gmem.h>

#include "compat.h"
#include "gmem.h"

#define GMEM_MAGIC	0x676d656d	/* "gmem" */

static struct vfsmount *gmem_mnt;
static int gmem_mnt_count;

static void gmem_evict_inode(struct inode *inode)
{
	struct gmem_inode *gi = GMEM_I(inode);

	/* The filesystem's root directory is the one inode without state. */
	if (!gi) {
		truncate_inode_pages_final(inode->i_mapping);
		clear_inode(inode);
		return;
	}

	gmem_stats_del_inode(gi);
	/* Every binding holds a file reference: none can be left to tell. */
	WARN_ON_ONCE(!list_empty(&gi->bindings));
	truncate_inode_pages_final(inode->i_mapping);
	clear_inode(inode);
	mem_cgroup_put(gi->memcg);
	gmem_attr_destroy(gi);
	gmem_mpol_destroy(gi);
	xa_destroy(&gi->poison);
	mutex_destroy(&gi->bind_lock);
	gmem_missing_destroy(gi);
	/* Last: a marker may hold a chunk until nothing else is left. */
	gmem_dirty_destroy(gi);
	kfree(gi);
}

static const struct super_operations gmem_super_ops = {
	.statfs		= simple_statfs,
	.evict_inode	= gmem_evict_inode,
};

static int gmem_init_fs_context(struct fs_context *fc)
{
	struct pseudo_fs_context *ctx;

	ctx = init_pseudo(fc, GMEM_MAGIC);
	if (!ctx)
		return -ENOMEM;
	ctx->ops = &gmem_super_ops;
	/* Guest memory is never executed or used as a device by the host. */
	fc->s_iflags |= SB_I_NOEXEC | SB_I_NODEV;
	return 0;
}

static struct file_system_type gmem_fs_type = {
	.owner			= THIS_MODULE,
	.name			= "gmem",
	.init_fs_context	= gmem_init_fs_context,
	.kill_sb		= kill_anon_super,
};

/* The size is fixed at creation: a VMM's memory layout must not shift. */
static int gmem_setattr(struct gmem_idmap *idmap, struct dentry *dentry,
			struct iattr *attr)
{
	if (attr->ia_valid & ATTR_SIZE)
		return -EINVAL;
	return simple_setattr(idmap, dentry, attr);
}

static const struct inode_operations gmem_inode_ops = {
	.setattr	= gmem_setattr,
};

static struct inode *gmem_inode_create(struct super_block *sb, u64 length,
				       u32 flags, const struct gmem_numa *numa)
{
	struct gmem_inode *gi;
	struct inode *inode;
	int err;

	gi = kzalloc(sizeof(*gi), GFP_KERNEL_ACCOUNT);
	if (!gi)
		return ERR_PTR(-ENOMEM);
	gi->flags = flags;
	gi->numa = *numa;
	xa_init(&gi->poison);
	mutex_init(&gi->bind_lock);
	gmem_dirty_init(gi);
	INIT_LIST_HEAD(&gi->bindings);
	gmem_mpol_init(gi);
	gmem_missing_init(gi);
	err = gmem_attr_init(gi, length >> PAGE_SHIFT,
			     flags & GMEM_CREATE_SHARED);
	if (err)
		goto err_free;

	inode = alloc_anon_inode(sb);
	if (IS_ERR(inode)) {
		err = PTR_ERR(inode);
		goto err_destroy_attr;
	}

	inode->i_private = gi;
	inode->i_mode |= S_IFREG;
	inode->i_op = &gmem_inode_ops;
	/* What an open of /proc/<pid>/fd/<n> gets: see gmem_open(). */
	inode->i_fop = &gmem_file_fops;
	i_size_write(inode, length);
	inode->i_mapping->a_ops = &gmem_aops;
	/* Nothing may reclaim guest memory behind the VMM's back. */
	mapping_set_unevictable(inode->i_mapping);
	/*
	 * Nor move it (see gmem_migrate_folio()): allocations are not
	 * movable, and where the kernel can say so, compaction and
	 * alloc_contig_range() are told to leave the folios alone instead
	 * of isolating them only to be refused.
	 */
	mapping_set_gfp_mask(inode->i_mapping, GFP_HIGHUSER);
	gmem_mapping_set_unmovable(inode->i_mapping);
	if (flags & GMEM_CREATE_HUGE)
		mapping_set_large_folios(inode->i_mapping);
	/* The fd's memory is charged here, whoever allocates it later. */
	gi->memcg = get_mem_cgroup_from_mm(current->mm);
	gi->inode = inode;
	gmem_stats_add_inode(gi);
	return inode;

err_destroy_attr:
	gmem_attr_destroy(gi);
err_free:
	gmem_missing_destroy(gi);
	gmem_mpol_destroy(gi);
	gmem_dirty_destroy(gi);
	kfree(gi);
	return ERR_PTR(err);
}

/**
 * gmem_file_create - make the file behind a new gmem fd
 * @length: size in bytes, page aligned, already validated
 * @flags: GMEM_CREATE_* flags, already validated
 * @numa: NUMA placement policy, already validated
 *
 * Return: the new file, read-write, or an ERR_PTR.
 */
struct file *gmem_file_create(u64 length, u32 flags,
			      const struct gmem_numa *numa)
{
	struct inode *inode;
	struct file *file;
	int err;

	err = simple_pin_fs(&gmem_fs_type, &gmem_mnt, &gmem_mnt_count);
	if (err)
		return ERR_PTR(err);

	inode = gmem_inode_create(gmem_mnt->mnt_sb, length, flags, numa);
	if (IS_ERR(inode)) {
		err = PTR_ERR(inode);
		goto err_release_fs;
	}

	/*
	 * The VFS drops a file's f_op->owner reference in __fput() but
	 * alloc_file_pseudo() does not take one.
	 */
	__module_get(THIS_MODULE);
	file = alloc_file_pseudo(inode, gmem_mnt, "gmem", O_RDWR,
				 &gmem_file_fops);
	if (IS_ERR(file)) {
		err = PTR_ERR(file);
		goto err_put_module;
	}
	file->f_flags |= O_LARGEFILE;
	/*
	 * A pseudo file gets no position by itself on older kernels (6.1):
	 * the fd can seek and do positioned I/O like a reopened one.
	 */
	file->f_mode |= FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE;
	return file;

err_put_module:
	module_put(THIS_MODULE);
	iput(inode);
err_release_fs:
	simple_release_fs(&gmem_mnt, &gmem_mnt_count);
	return ERR_PTR(err);
}

/*
 * Called from the file's ->open, when an existing fd's inode is opened
 * again: each file pins the filesystem, as gmem_file_create() does.
 */
int gmem_file_reopened(void)
{
	return simple_pin_fs(&gmem_fs_type, &gmem_mnt, &gmem_mnt_count);
}

/*
 * Called from the file's ->release.  The file keeps its own mount reference
 * until __fput() is done with it, so dropping the pin here is safe.
 */
void gmem_file_released(void)
{
	simple_release_fs(&gmem_mnt, &gmem_mnt_count);
}
