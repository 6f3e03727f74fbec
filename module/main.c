// SPDX-License-Identifier: GPL-2.0
/*
 * gmem: guest private memory for virtual machine monitors.
 *
 * Module load and unload, the /dev/gmem misc device and GMEM_CREATE, which
 * hands out one new memory fd per call.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <uapi/linux/gmem.h>

#include "compat.h"
#include "gmem.h"
#include "gmem_trace.h"

/*
 * Largest memory one fd may describe.  Creating an fd allocates nothing, so
 * this guards against nonsense sizes rather than against memory use.
 */
u64 gmem_max_size = 1ULL << 46;

static int gmem_max_size_set(const char *val, const struct kernel_param *kp)
{
	u64 size;
	int err;

	err = kstrtoull(val, 0, &size);
	if (err)
		return err;
	if (!size || !IS_ALIGNED(size, PAGE_SIZE) || size > MAX_LFS_FILESIZE)
		return -EINVAL;
	WRITE_ONCE(gmem_max_size, size);
	return 0;
}

static const struct kernel_param_ops gmem_max_size_ops = {
	.set = gmem_max_size_set,
	.get = param_get_ullong,
};

module_param_cb(max_size, &gmem_max_size_ops, &gmem_max_size, 0644);
MODULE_PARM_DESC(max_size,
		 "Largest fd GMEM_CREATE accepts, in bytes (page multiple, default 64 TiB)");

/* Cap on the memory all gmem fds hold together, in bytes; 0: no cap. */
u64 gmem_max_total;

static int gmem_max_total_set(const char *val, const struct kernel_param *kp)
{
	u64 total;
	int err;

	err = kstrtoull(val, 0, &total);
	if (err)
		return err;
	WRITE_ONCE(gmem_max_total, total);
	return 0;
}

static const struct kernel_param_ops gmem_max_total_ops = {
	.set = gmem_max_total_set,
	.get = param_get_ullong,
};

module_param_cb(max_total, &gmem_max_total_ops, &gmem_max_total, 0644);
MODULE_PARM_DESC(max_total,
		 "Memory all gmem fds may hold together, in bytes (0: no cap, the default)");

bool gmem_huge;
module_param_named(huge, gmem_huge, bool, 0644);
MODULE_PARM_DESC(huge,
		 "Back every new fd with 2 MiB folios, as GMEM_CREATE_HUGE does (default: N, only fds created with the flag)");

/**
 * gmem_args_from_user - read an extensible ioctl argument
 * @dst: the module's struct; its first member is the __u32 size
 * @ksize: sizeof(*@dst)
 * @min_size: the size of the struct's first version
 * @src: the caller's struct
 *
 * What the caller's struct lacks reads as zero; bytes of it past @ksize
 * must be zero.
 *
 * Return: the caller's size; -EFAULT if the struct cannot be read, -EINVAL
 * if its size is below @min_size, -E2BIG if it is above a page or has a
 * non-zero byte past @ksize.
 */
long gmem_args_from_user(void *dst, size_t ksize, u32 min_size,
			 const void __user *src)
{
	u32 usize;
	int err;

	if (get_user(usize, (const u32 __user *)src))
		return -EFAULT;
	if (usize < min_size)
		return -EINVAL;
	/* Never scan up to 4 GiB of the caller's memory for a zero tail. */
	if (usize > PAGE_SIZE)
		return -E2BIG;
	err = copy_struct_from_user(dst, ksize, src, usize);
	if (err)
		return err;
	return usize;
}

static long gmem_ioctl_create(struct gmem_create __user *uarg)
{
	struct gmem_create args;
	struct gmem_numa numa;
	struct file *file;
	long usize;
	int fd, err;
	u32 flags;

	usize = gmem_args_from_user(&args, sizeof(args), GMEM_CREATE_SIZE_VER0,
				    uarg);
	if (usize < 0)
		return usize;

	if (args.flags & ~GMEM_CREATE_FLAGS_ALL)
		return -EINVAL;
	if (memchr_inv(args.reserved, 0, sizeof(args.reserved)))
		return -EINVAL;
	if (!args.length || !IS_ALIGNED(args.length, PAGE_SIZE))
		return -EINVAL;
	if (args.length > READ_ONCE(gmem_max_size))
		return -EFBIG;
	err = gmem_numa_from_user(&numa, args.numa_mode, args.numa_maxnode,
				  args.numa_nodes);
	if (err)
		return err;

	flags = args.flags;
	if (READ_ONCE(gmem_huge))
		flags |= GMEM_CREATE_HUGE;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;

	file = gmem_file_create(args.length, flags, &numa);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		return PTR_ERR(file);
	}

	/* Before the fd is installed, and so can be closed by another thread. */
	trace_gmem_create(file_inode(file), fd);
	fd_install(fd, file);
	return fd;
}

/* The commands /dev/gmem serves, by number, for GMEM_FEATURES. */
#define GMEM_DEV_IOCTLS	(BIT_ULL(_IOC_NR(GMEM_CREATE)) | \
			 BIT_ULL(_IOC_NR(GMEM_FEATURES)))

static long gmem_ioctl_features(struct gmem_features __user *uarg)
{
	struct gmem_features args;
	long usize;

	usize = gmem_args_from_user(&args, sizeof(args),
				    GMEM_FEATURES_SIZE_VER0, uarg);
	if (usize < 0)
		return usize;
	if (args.flags)
		return -EINVAL;

	memset(&args, 0, sizeof(args));
	args.size = min_t(u32, usize, sizeof(args));
	args.dev_ioctls = GMEM_DEV_IOCTLS;
	args.fd_ioctls = GMEM_FILE_IOCTLS;
	args.create_flags = GMEM_CREATE_FLAGS_ALL;
	args.create_size = sizeof(struct gmem_create);
	args.numa_modes = GMEM_NUMA_MODES_ALL;
	args.info_size = sizeof(struct gmem_info);
	args.convert_flags = GMEM_CONVERT_FLAGS_ALL;
	args.migrate_flags = GMEM_MIGRATE_FLAGS_ALL;
	args.fd_ops = GMEM_FD_OPS_ALL;
	args.query_states = GMEM_PAGE_STATES_ALL;
	args.dirty_log_flags = GMEM_DIRTY_LOG_FLAGS_ALL;
	args.populate_flags = GMEM_POPULATE_FLAGS_ALL;
	args.query_flags = GMEM_QUERY_FLAGS_ALL;
	args.info_flags = GMEM_INFO_FLAGS_ALL;
	if (copy_to_user(uarg, &args, args.size))
		return -EFAULT;
	return 0;
}

static long gmem_dev_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case GMEM_CREATE:
		return gmem_ioctl_create(argp);
	case GMEM_FEATURES:
		return gmem_ioctl_features(argp);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations gmem_dev_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= gmem_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

/*
 * A fixed minor lets kmod's static-nodes create /dev/gmem before gmem is
 * loaded, and the first open load it (the devname and char-major aliases
 * below), as /dev/kvm and /dev/fuse do.  Minors 243-254 are unassigned in
 * devices.txt; if another driver holds this one, gmem falls back to a
 * dynamic minor and loses only the autoloading.
 */
#define GMEM_MINOR	246

static struct miscdevice gmem_misc = {
	.minor	= GMEM_MINOR,
	.name	= "gmem",
	.fops	= &gmem_dev_fops,
	.mode	= 0600,
	.groups	= gmem_misc_groups,
};

static int __init gmem_init(void)
{
	int err;

	gmem_bind_init();
	err = misc_register(&gmem_misc);
	if (err == -EBUSY) {
		pr_notice("misc minor %d is taken, using a dynamic one: /dev/gmem will not autoload\n",
			  GMEM_MINOR);
		gmem_misc.minor = MISC_DYNAMIC_MINOR;
		err = misc_register(&gmem_misc);
	}
	return err;
}

static void __exit gmem_exit(void)
{
	misc_deregister(&gmem_misc);
	/* Every fd is gone: nothing can keep another pinned folio now. */
	gmem_pinned_exit();
}

module_init(gmem_init);
module_exit(gmem_exit);

MODULE_ALIAS_MISCDEV(GMEM_MINOR);
MODULE_ALIAS("devname:gmem");
MODULE_DESCRIPTION("Guest private memory for virtual machine monitors");
MODULE_LICENSE("GPL");
MODULE_VERSION(GMEM_VERSION);
