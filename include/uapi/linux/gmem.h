/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * gmem: guest private memory for virtual machine monitors.
 *
 * Open /dev/gmem and issue GMEM_CREATE to get a new file descriptor that
 * owns a fixed-size range of memory.  Every page of it is either private
 * (reachable only by in-kernel consumers such as KVM) or shared (mappable
 * by the VMM).  The new fd supports fallocate() (FALLOC_FL_KEEP_SIZE to
 * allocate, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE to free), fstat(),
 * mmap() of shared pages and the GMEM_CONVERT, GMEM_POPULATE and GMEM_INFO
 * ioctls below; see README.md for the full API and every errno.
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
 * @flags:	GMEM_CREATE_* flags.
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

/* The fd may be mmap()ed (MAP_SHARED); only shared pages can be touched. */
#define GMEM_CREATE_MMAP	(1U << 0)
/* Every page starts shared instead of private. */
#define GMEM_CREATE_SHARED	(1U << 1)

/* Every flag GMEM_CREATE accepts; anything else is -EINVAL. */
#define GMEM_CREATE_FLAGS_ALL	(GMEM_CREATE_MMAP | GMEM_CREATE_SHARED)

/* Page states, as GMEM_CONVERT targets. */
#define GMEM_PRIVATE		0
#define GMEM_SHARED		1

/* GMEM_CONVERT: discard the contents; the range reads as zeroes after. */
#define GMEM_CONVERT_ZERO	(1U << 0)
#define GMEM_CONVERT_FLAGS_ALL	GMEM_CONVERT_ZERO

/**
 * struct gmem_convert - argument of GMEM_CONVERT
 * @offset:	start of the range in bytes, page aligned.
 * @length:	length of the range in bytes, page aligned, non-zero.
 * @to:		GMEM_PRIVATE or GMEM_SHARED.
 * @flags:	GMEM_CONVERT_* flags.
 * @error_offset: out: on -EAGAIN, the offset of the first page that is
 *		still in use (mapped or referenced by something gmem cannot
 *		take it from); otherwise left as it was.
 * @reserved:	must be zero.
 *
 * The whole range changes state or none of it does.  Contents survive the
 * conversion unless GMEM_CONVERT_ZERO is given.
 */
struct gmem_convert {
	__u64 offset;
	__u64 length;
	__u32 to;
	__u32 flags;
	__u64 error_offset;
	__u64 reserved[2];
};

/**
 * struct gmem_populate - argument of GMEM_POPULATE
 * @offset:	start of the range in bytes, page aligned.
 * @length:	bytes to copy, page aligned, non-zero.
 * @uaddr:	user address to copy from; any alignment.
 * @copied:	out: bytes copied so far, also when the call fails.
 * @flags:	must be zero.
 * @pad:	must be zero.
 * @reserved:	must be zero.
 *
 * Copies a guest image into private pages, allocating them as needed.
 */
struct gmem_populate {
	__u64 offset;
	__u64 length;
	__u64 uaddr;
	__u64 copied;
	__u32 flags;
	__u32 pad;
	__u64 reserved[2];
};

/**
 * struct gmem_info - result of GMEM_INFO
 * @size:	size of the fd in bytes.
 * @flags:	GMEM_CREATE_* flags it was created with.
 * @pad:	zero.
 * @allocated:	bytes of memory currently allocated.
 * @private_bytes: bytes of the range that are private, allocated or not.
 * @shared_bytes: bytes of the range that are shared; private_bytes +
 *		shared_bytes == size.
 * @reserved:	zero.
 */
struct gmem_info {
	__u64 size;
	__u32 flags;
	__u32 pad;
	__u64 allocated;
	__u64 private_bytes;
	__u64 shared_bytes;
	__u64 reserved[4];
};

/*
 * The argument carries its own size, so the command number does not
 * encode one: a grown struct keeps the same command.
 */
#define GMEM_CREATE		_IO(GMEM_IOCTL_TYPE, 0x00)

/* On a gmem fd. */
#define GMEM_CONVERT		_IOWR(GMEM_IOCTL_TYPE, 0x01, struct gmem_convert)
#define GMEM_POPULATE		_IOWR(GMEM_IOCTL_TYPE, 0x02, struct gmem_populate)
#define GMEM_INFO		_IOR(GMEM_IOCTL_TYPE, 0x03, struct gmem_info)

#endif /* _UAPI_LINUX_GMEM_H */
