/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * gmem: guest private memory for virtual machine monitors.
 *
 * Open /dev/gmem and issue GMEM_CREATE to get a new file descriptor that
 * owns a fixed-size range of memory.  The new fd supports fallocate()
 * (FALLOC_FL_KEEP_SIZE to allocate, FALLOC_FL_KEEP_SIZE |
 * FALLOC_FL_PUNCH_HOLE to free) and fstat(); see README.md for the full
 * API and every errno.
 */
#ifndef _UAPI_LINUX_GMEM_H
#define _UAPI_LINUX_GMEM_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define GMEM_IOCTL_TYPE		0xB9

/**
 * struct gmem_create - argument of GMEM_CREATE
 * @size:	sizeof(struct gmem_create) as the caller was built with it.
 *		The struct only ever grows at the end: a newer caller's
 *		extra bytes must be zero for an older module (else -E2BIG),
 *		and an older caller's shorter struct reads as if the missing
 *		fields were zero.  Smaller than GMEM_CREATE_SIZE_VER0: -EINVAL.
 * @flags:	GMEM_CREATE_* flags; none are defined yet, so it must be 0.
 * @length:	size of the memory in bytes: non-zero, a multiple of the
 *		page size, at most the module's max_size parameter.  Fixed
 *		for the life of the fd.
 * @reserved:	must be zero.
 *
 * The ioctl returns the new file descriptor, opened read-write and
 * close-on-exec.
 */
struct gmem_create {
	__u32 size;
	__u32 flags;
	__u64 length;
	__u64 reserved[2];
};

#define GMEM_CREATE_SIZE_VER0	32	/* sizeof first published struct */

/* Every flag GMEM_CREATE accepts; anything else is -EINVAL. */
#define GMEM_CREATE_FLAGS_ALL	0

/*
 * The argument carries its own size, so the command number does not
 * encode one: a grown struct keeps the same command.
 */
#define GMEM_CREATE		_IO(GMEM_IOCTL_TYPE, 0x00)

#endif /* _UAPI_LINUX_GMEM_H */
