/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * gmem: guest private memory for virtual machine monitors.
 *
 * Open /dev/gmem and issue GMEM_CREATE to get a new file descriptor that
 * owns a fixed-size range of memory.  Every page of it is either private
 * (reachable only by in-kernel consumers such as KVM) or shared (mappable
 * by the VMM).  The new fd supports fallocate() (FALLOC_FL_KEEP_SIZE to
 * allocate, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE to free), fstat(),
 * mmap(), read() and write() of shared pages, lseek() (SEEK_DATA and
 * SEEK_HOLE too), and the GMEM_CONVERT, GMEM_POPULATE, GMEM_INFO,
 * GMEM_MIGRATE, GMEM_QUERY, GMEM_DIRTY_LOG, GMEM_MISSING_ARM and
 * GMEM_MISSING_EVENTS ioctls below.  The full API
 * and every errno: ioctl_gmem(2)
 * and gmem(4) (man/ in gmem's tree), Documentation/userspace-api.rst.
 * GMEM_FEATURES on /dev/gmem says what this module supports.
 *
 * Extensible structs.  struct gmem_create, struct gmem_info and struct
 * gmem_features begin with a __u32 size: the caller's sizeof() of the
 * struct, as the header it was built with defines it.  Such a struct only
 * ever grows at the end.  The module reads the bytes it knows; bytes past
 * them must be zero (else -E2BIG, so a field a newer caller sets is never
 * silently ignored), a size larger than a page is -E2BIG, and a size
 * below the struct's first version (*_SIZE_VER0) is -EINVAL.  A shorter
 * (older) struct reads as if the missing fields were zero.  A struct the
 * module also writes (gmem_info, gmem_features) gets min(size, the
 * module's own size) bytes back, and that number in size: fields at or
 * past it were not filled in, as the module predates them.
 *
 * Command numbers.  The commands taking an extensible struct are _IO(): the
 * number cannot encode a size, since the struct grows without the command
 * changing, and the struct's own size field is the single statement of
 * how much to copy (as iommufd's and VFIO's commands do).  The module
 * matches the whole number, so the same command with direction or size
 * bits set is -ENOTTY.  The commands taking a fixed struct (GMEM_CONVERT,
 * GMEM_POPULATE, GMEM_MIGRATE, GMEM_QUERY, GMEM_DIRTY_LOG,
 * GMEM_MISSING_ARM) encode its direction and size as usual.
 *
 * No *_FLAGS_ALL masks here: a mask compiled into a program would state
 * what the header knew when it was built, not what the running module
 * accepts.  Ask GMEM_FEATURES.
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
 * @numa_mode:	GMEM_NUMA_* placement policy of every page gmem allocates
 *		for the fd (GMEM_MIGRATE may move pages later).
 * @numa_maxnode: number of bits in the node mask at @numa_nodes; 0 with
 *		GMEM_NUMA_DEFAULT.
 * @numa_nodes:	user pointer to the node mask, an array of __u64 words
 *		holding node n in bit n % 64 of word n / 64; 0 with
 *		GMEM_NUMA_DEFAULT.  Every node in it must have memory.
 *
 * The ioctl returns the new file descriptor, opened read-write and
 * close-on-exec.
 */
struct gmem_create {
	__u32 size;
	__u32 flags;
	__u64 length;
	__u64 reserved[2];
	/* GMEM_CREATE_SIZE_VER1 */
	__u32 numa_mode;
	__u32 numa_maxnode;
	__u64 numa_nodes;
};

#define GMEM_CREATE_SIZE_VER0	32	/* sizeof first published struct */
#define GMEM_CREATE_SIZE_VER1	48	/* adds the NUMA policy */

/* The fd may be mmap()ed (MAP_SHARED); only shared pages can be touched. */
#define GMEM_CREATE_MMAP	(1U << 0)
/* Every page starts shared instead of private. */
#define GMEM_CREATE_SHARED	(1U << 1)
/*
 * Back each 2 MiB-aligned block of the fd that is allocated whole with one
 * 2 MiB folio (smaller ones when memory is too fragmented for that), so
 * that consumers and shared mappings can map it with one huge page.  The
 * module parameter "huge" makes this the default for every fd.
 */
#define GMEM_CREATE_HUGE	(1U << 2)
/*
 * Log which pages are written, for GMEM_DIRTY_LOG: writes through host
 * mappings, write() and its kin, GMEM_POPULATE, consumers that resolve a
 * page for writing, and whatever else changes what a page reads as (punch,
 * GMEM_CONVERT_ZERO, memory failure).  The price is on the fd's mappings
 * only: the first write to a page after each clear takes a fault.
 */
#define GMEM_CREATE_DIRTY_LOG	(1U << 3)

/*
 * NUMA placement, struct gmem_create.numa_mode.  gmem applies the policy
 * itself, whichever task allocates the pages.
 */
/* The allocating task's own memory policy (as before the policy existed). */
#define GMEM_NUMA_DEFAULT	0
/* Only the nodes in the mask; -ENOMEM when they are full. */
#define GMEM_NUMA_BIND		1
/* The one node in the mask first, any node when it is full. */
#define GMEM_NUMA_PREFERRED	2
/*
 * Round robin over the nodes in the mask by position in the fd: the block
 * at offset o goes to the ((o / unit) % nodes)-th node of the mask, where
 * unit is 2 MiB for GMEM_CREATE_HUGE fds and a page otherwise; another node
 * of the mask when that one is full.
 */
#define GMEM_NUMA_INTERLEAVE	3

/* Page states, as GMEM_CONVERT targets. */
#define GMEM_PRIVATE		0
#define GMEM_SHARED		1

/* GMEM_CONVERT: discard the contents; the range reads as zeroes after. */
#define GMEM_CONVERT_ZERO	(1U << 0)

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
 * struct gmem_info - argument of GMEM_INFO: what a memory fd holds
 * @size:	in: sizeof(struct gmem_info) as the caller was built with
 *		it, at least GMEM_INFO_SIZE_VER0.  Out: the bytes filled in,
 *		min(in, the module's own size).
 * @flags:	in: must be zero (no GMEM_INFO flags are defined yet).
 * @length:	out: size of the fd in bytes (struct gmem_create.length).
 * @create_flags: out: GMEM_CREATE_* flags in effect (GMEM_CREATE_HUGE
 *		also when the module parameter "huge" set it).
 * @numa_mode:	out: GMEM_NUMA_* policy the fd was created with.
 * @allocated:	out: bytes of memory currently allocated.
 * @private_bytes: out: bytes of the range that are private, allocated or
 *		not.
 * @shared_bytes: out: bytes of the range that are shared; private_bytes +
 *		shared_bytes == length.
 * @allocated_private: out: allocated bytes that are private.
 * @allocated_shared: out: allocated bytes that are shared;
 *		allocated_private + allocated_shared == allocated.
 * @large_folios: out: number of allocated folios larger than a page.
 * @poisoned:	out: bytes lost to memory failure, until punched.
 * @large_fallbacks: out: times a GMEM_CREATE_HUGE fd got smaller folios
 *		where it wanted a 2 MiB one.
 *
 * Extensible (see the top of this file): the out fields a caller's struct
 * has room for and the module knows are written, nothing else.  Command
 * number 0x03 was the first GMEM_INFO, _IOR() of a fixed 72-byte struct
 * (the fields above from @length to @poisoned, in that order); the module
 * still serves it, byte for byte as before, for programs built then.
 */
struct gmem_info {
	__u32 size;
	__u32 flags;
	__u64 length;
	__u32 create_flags;
	__u32 numa_mode;
	__u64 allocated;
	__u64 private_bytes;
	__u64 shared_bytes;
	__u64 allocated_private;
	__u64 allocated_shared;
	__u64 large_folios;
	__u64 poisoned;
	__u64 large_fallbacks;
};

#define GMEM_INFO_SIZE_VER0	88	/* sizeof first extensible struct */

/**
 * struct gmem_features - argument of GMEM_FEATURES: what this module
 *	supports
 * @size:	in: sizeof(struct gmem_features) as the caller was built
 *		with it, at least GMEM_FEATURES_SIZE_VER0.  Out: the bytes
 *		filled in, min(in, the module's own size); fields at or past
 *		it are answers the module does not know how to give (read
 *		them as "nothing supported").
 * @flags:	in: must be zero (no GMEM_FEATURES flags are defined yet).
 * @dev_ioctls:	out: bit n is set if /dev/gmem serves the command of
 *		number n (_IOC_NR) of type GMEM_IOCTL_TYPE; every other
 *		command on it is -ENOTTY.
 * @fd_ioctls:	out: the same for a memory fd.
 * @create_flags: out: the GMEM_CREATE_* flags GMEM_CREATE accepts; any
 *		other bit is -EINVAL.
 * @create_size: out: sizeof(struct gmem_create) of the module: the bytes
 *		of it the module reads as fields.  A larger struct's bytes
 *		past it must be zero.
 * @numa_modes:	out: bit n is set if GMEM_CREATE accepts numa_mode n.
 * @info_size:	out: sizeof(struct gmem_info) of the module: the most
 *		GMEM_INFO fills in.
 * @convert_flags: out: the GMEM_CONVERT_* flags GMEM_CONVERT accepts.
 * @migrate_flags: out: the GMEM_MIGRATE_* flags GMEM_MIGRATE accepts.
 * @fd_ops:	out: GMEM_FD_* bits, the file operations a memory fd serves
 *		beyond fallocate(), mmap() and its ioctls.
 * @query_states: out: the GMEM_PAGE_* bits GMEM_QUERY reports.
 * @dirty_log_flags: out: the GMEM_DIRTY_LOG_* flags GMEM_DIRTY_LOG accepts.
 * @populate_flags: out: the flags GMEM_POPULATE accepts (none yet).
 * @query_flags: out: the flags GMEM_QUERY accepts (none yet).
 * @info_flags:	out: the flags GMEM_INFO accepts (none yet).
 *
 * Asked on /dev/gmem, before any memory fd exists.  The answers are the
 * module's, fixed for as long as it is loaded; module parameters
 * (max_size, huge) are in /sys/module/gmem/parameters.  A module that
 * reports a size below GMEM_FEATURES_SIZE_VER2 predates the flag fields
 * at its end: it accepts GMEM_DIRTY_LOG_CLEAR where it serves
 * GMEM_DIRTY_LOG, and no flag of GMEM_POPULATE, GMEM_QUERY or GMEM_INFO.
 * A module that fails GMEM_FEATURES with ENOTTY predates it: it supports
 * GMEM_CREATE with every field of the 48-byte struct, GMEM_CREATE_MMAP,
 * _SHARED and _HUGE, the four NUMA modes, GMEM_CONVERT_ZERO,
 * GMEM_MIGRATE_COLLAPSE, and only the first GMEM_INFO (command 0x03).  The
 * struct is itself extensible: a new answer is a new field at the end,
 * which an older module leaves out of the size it reports.
 */
struct gmem_features {
	__u32 size;
	__u32 flags;
	__u64 dev_ioctls;
	__u64 fd_ioctls;
	__u32 create_flags;
	__u32 create_size;
	__u32 numa_modes;
	__u32 info_size;
	__u32 convert_flags;
	__u32 migrate_flags;
	/* GMEM_FEATURES_SIZE_VER1 */
	__u32 fd_ops;
	__u32 query_states;
	/* GMEM_FEATURES_SIZE_VER2 */
	__u32 dirty_log_flags;
	__u32 populate_flags;
	__u32 query_flags;
	__u32 info_flags;
};

#define GMEM_FEATURES_SIZE_VER0	48	/* sizeof first published struct */
#define GMEM_FEATURES_SIZE_VER1	56	/* adds fd_ops and query_states */
#define GMEM_FEATURES_SIZE_VER2	72	/* adds the flags of four more ioctls */

/* struct gmem_features.fd_ops */
/*
 * read(), write(), pread(), pwrite(), readv(), writev(), preadv() and
 * pwritev() of shared pages, and lseek() on every memory fd.
 */
#define GMEM_FD_READ_WRITE	(1U << 0)
/* lseek() with SEEK_DATA and SEEK_HOLE over the allocated pages. */
#define GMEM_FD_SEEK_HOLE	(1U << 1)

/* GMEM_MIGRATE flags */
/*
 * Also re-form into one 2 MiB folio each 2 MiB block the range overlaps
 * that lies inside a GMEM_CREATE_HUGE fd and holds every page in smaller
 * folios, none poisoned.
 */
#define GMEM_MIGRATE_COLLAPSE	(1U << 0)

/* @node with GMEM_MIGRATE_COLLAPSE: move nothing, collapse per the policy. */
#define GMEM_MIGRATE_NODE_POLICY	0xffffffffU

/**
 * struct gmem_migrate - argument of GMEM_MIGRATE
 * @offset:	start of the range in bytes, page aligned.
 * @length:	length of the range in bytes, page aligned, non-zero.
 * @node:	NUMA node to move the memory to; it must have memory.  With
 *		GMEM_MIGRATE_COLLAPSE also GMEM_MIGRATE_NODE_POLICY.
 * @flags:	GMEM_MIGRATE_* flags.
 * @moved:	out: bytes this call moved, also when it fails.
 * @error_offset: out: on -EBUSY, the offset of the first page still in use
 *		by something gmem cannot invalidate (a GUP pin, a page spliced
 *		into a pipe); otherwise left as it was.
 * @collapsed:	out: bytes this call re-formed into 2 MiB folios, also when
 *		it fails.
 * @reserved:	must be zero.
 *
 * Moves every allocated folio that overlaps the range and is not on @node
 * to @node, whole (a folio that straddles an end of the range moves too),
 * keeping its contents, size and shared/private state.  Bound consumers are
 * invalidated before and resolve the new pages after; host mappings of
 * shared pages are zapped and fault the new pages in.  Holes and poisoned
 * pages are skipped.  Pages moved before a failure stay moved.
 *
 * With GMEM_MIGRATE_COLLAPSE, the qualifying blocks are first copied into
 * new 2 MiB folios on @node (or where the fd's NUMA policy puts them, for
 * GMEM_MIGRATE_NODE_POLICY, which then moves nothing else), keeping every
 * page's contents and state.
 */
struct gmem_migrate {
	__u64 offset;
	__u64 length;
	__u32 node;
	__u32 flags;
	__u64 moved;
	__u64 error_offset;
	__u64 collapsed;
	__u64 reserved;
};

/* What a run of pages is, struct gmem_query_run.state. */
#define GMEM_PAGE_SHARED	(1U << 0)	/* shared; without it, private */
#define GMEM_PAGE_ALLOCATED	(1U << 1)	/* memory is there */
#define GMEM_PAGE_HUGE		(1U << 2)	/* in a 2 MiB folio */
#define GMEM_PAGE_POISONED	(1U << 3)	/* lost to memory failure */
/* In a range GMEM_MISSING_ARM armed, no memory there yet: see below. */
#define GMEM_PAGE_MISSING	(1U << 4)

/**
 * struct gmem_query_run - one run of pages in the same state
 * @offset:	start of the run in bytes.
 * @length:	length of the run in bytes.
 * @state:	GMEM_PAGE_* bits, the same for every page of the run.
 * @reserved:	written as zero.
 */
struct gmem_query_run {
	__u64 offset;
	__u64 length;
	__u32 state;
	__u32 reserved;
};

/**
 * struct gmem_query - argument of GMEM_QUERY
 * @offset:	start of the range in bytes, page aligned.
 * @length:	length of the range in bytes, page aligned, non-zero.
 * @runs:	user pointer to an array of struct gmem_query_run.
 * @nr_runs:	in: the array's capacity, non-zero; out: runs written.
 * @flags:	must be zero.
 * @next_offset: out: where the runs written end: @offset + @length when
 *		they cover the range, else the offset to ask from next.
 * @reserved:	must be zero.
 *
 * Describes the range as consecutive runs of pages in the same state,
 * each as long as it can be (two neighbours always differ), in order from
 * @offset.  The cost follows the number of runs, not the range's size: a
 * sparse 1 TiB fd with nothing in it is one run.  A page gmem could not
 * keep after memory failure is GMEM_PAGE_POISONED and not allocated; one
 * still inside a large folio is both.  The answer is a snapshot: pages
 * can change state as soon as the call returns.
 */
struct gmem_query {
	__u64 offset;
	__u64 length;
	__u64 runs;
	__u32 nr_runs;
	__u32 flags;
	__u64 next_offset;
	__u64 reserved[2];
};

/* GMEM_DIRTY_LOG flags */
/*
 * Clear the bits reported and write-protect their pages again, so that
 * the next write to each is logged anew.  Without it, a peek: nothing
 * changes.
 */
#define GMEM_DIRTY_LOG_CLEAR	(1U << 0)

/* struct gmem_dirty_log.status */
/*
 * gmem could not allocate memory to record a write, and reports every
 * page of the range as written instead, until a GMEM_DIRTY_LOG_CLEAR call
 * over the whole fd has cleared the condition.
 */
#define GMEM_DIRTY_LOG_OVERFLOW	(1U << 0)

/**
 * struct gmem_dirty_log - argument of GMEM_DIRTY_LOG
 * @offset:	start of the range in bytes, page aligned.
 * @length:	length of the range in bytes, page aligned, non-zero.
 * @bitmap:	user pointer to the bitmap, DIV_ROUND_UP(@length / 4096, 64)
 *		__u64 words, every one of which is written: bit i % 64 of
 *		word i / 64 is set if page @offset / 4096 + i was written
 *		since it was last cleared (or the fd was created).
 * @flags:	GMEM_DIRTY_LOG_* flags.
 * @status:	out: GMEM_DIRTY_LOG_OVERFLOW or 0.
 * @nr_dirty:	out: the number of bits set in the bitmap, also when the
 *		call fails after writing some of it.
 * @reserved:	must be zero.
 *
 * On a GMEM_CREATE_DIRTY_LOG fd only (else -EINVAL).  With
 * GMEM_DIRTY_LOG_CLEAR, a page written at any time after the bit was
 * taken is reported by a later call: to copy a changing guest, get and
 * clear, then copy the pages reported, and repeat.  A 2 MiB block mapped
 * by one PMD (a GMEM_CREATE_HUGE fd from Linux 6.15), or by a consumer
 * with one 2 MiB entry (the patched KVM), is logged whole.
 */
struct gmem_dirty_log {
	__u64 offset;
	__u64 length;
	__u64 bitmap;
	__u32 flags;
	__u32 status;
	__u64 nr_dirty;
	__u64 reserved[2];
};

/*
 * Demand paging: a VMM that restores a snapshot or receives a guest by
 * post-copy migration starts the guest before its memory is there, and
 * fills each page when something first touches it.
 *
 * GMEM_MISSING_ARM arms a range of a memory fd: from then on a page of
 * the range that holds no memory (never filled, or punched) is missing.
 * A touch of a missing page does not allocate a zeroed page; it is
 * reported on the fd's event fd (GMEM_MISSING_EVENTS) and waits:
 *
 * - a fault of a host mapping sleeps until the page is filled (a fatal
 *   signal ends the wait, the fault is then retried or dropped);
 * - read() and its kin sleep interruptibly (EINTR or a restart, as a
 *   pipe; EAGAIN on an O_NONBLOCK file);
 * - a consumer's resolve (KVM's fault) does not sleep: it fails with a
 *   distinct error, for the consumer to hand to userspace (for KVM, an
 *   exit to the VMM).
 *
 * The VMM reads struct gmem_missing_event records from the event fd and
 * fills the pages: GMEM_POPULATE for private pages, pwrite() or pwritev()
 * for shared ones, fallocate() to fill with zeroes.  Each of those wakes
 * whatever waits on the page once its contents are in; there is no
 * separate wake call.  Touches of one page (one 2 MiB block of a
 * GMEM_CREATE_HUGE fd) are reported once while the report is
 * outstanding, that is until the page is filled or the range disarmed.
 * Disarming lets the waiters go on, and they allocate zeroed pages as
 * without demand paging.  Without an open event fd a touch of a missing
 * page fails at once: SIGBUS, EIO, the consumer's error.
 */
/* GMEM_MISSING_ARM: disarm the range instead. */
#define GMEM_MISSING_DISARM	(1U << 0)

/**
 * struct gmem_missing_range - argument of GMEM_MISSING_ARM
 * @offset:	start of the range in bytes, page aligned (2 MiB aligned on
 *		a GMEM_CREATE_HUGE fd).
 * @length:	length of the range in bytes, page aligned (2 MiB aligned on
 *		a GMEM_CREATE_HUGE fd, unless the range ends at the end of
 *		the fd), non-zero.
 * @flags:	GMEM_MISSING_* flags: 0 arms, GMEM_MISSING_DISARM disarms.
 * @reserved:	must be zero.
 *
 * Arming an armed page or disarming one that is not armed is no error.
 * Pages that hold memory are left as they are.
 */
struct gmem_missing_range {
	__u64 offset;
	__u64 length;
	__u32 flags;
	__u32 reserved;
};

/* What touched a missing page, struct gmem_missing_event.source. */
#define GMEM_MISSING_FAULT	1	/* a fault of a host mapping */
#define GMEM_MISSING_READ	2	/* read(), pread() and their kin */
#define GMEM_MISSING_CONSUMER	3	/* a consumer's resolve (KVM) */

/*
 * The patched KVM (scripts/kvm) on a vCPU fault of a missing page:
 * KVM_RUN fails with EFAULT, exit_reason KVM_EXIT_MEMORY_FAULT, and this
 * bit is set in kvm_run.memory_fault.flags (with
 * KVM_MEMORY_EXIT_FLAG_PRIVATE for a private page) beside the page's gpa
 * and size.  The VMM fills the page (or waits for its handler to) and
 * runs the vCPU again.  Bit 32, far from the low bits upstream KVM hands
 * out, so that a later upstream flag cannot be mistaken for it.
 */
#define GMEM_MEMORY_EXIT_FLAG_MISSING	(1ULL << 32)

/**
 * struct gmem_missing_event - what read() of the event fd returns
 * @offset:	start of the missing page, or 2 MiB block of a
 *		GMEM_CREATE_HUGE fd, in bytes.
 * @length:	its length: the page size, or 2 MiB (less for the last block
 *		of a huge fd whose size is not a multiple of 2 MiB).
 * @source:	GMEM_MISSING_FAULT, _READ or _CONSUMER: the first touch.
 * @flags:	written as zero.
 * @reserved:	written as zero.
 */
struct gmem_missing_event {
	__u64 offset;
	__u64 length;
	__u32 source;
	__u32 flags;
	__u64 reserved;
};

/*
 * On /dev/gmem.  Extensible structs, so _IO() (see the top of this file).
 *
 * GMEM_CREATE keeps the number it had in version 0.1.0 on purpose: _IO()
 * is the right encoding for a struct that carries its own size, not a
 * slip to correct.  _IOW(..., struct gmem_create) would change the number
 * every time the struct grows (the very thing the size field avoids), and
 * _IOW() of the first version's size would claim a fixed 32-byte argument
 * that is not; either would give one call two statements of its size that
 * can disagree.  Nor would a new number buy anything: nothing in the
 * kernel acts on those bits (compat_ptr_ioctl() converts a 32-bit
 * caller's pointer whatever they say), while a renumbering would cost
 * either an alias kept for old binaries or breaking them.
 */
#define GMEM_CREATE		_IO(GMEM_IOCTL_TYPE, 0x00)
#define GMEM_FEATURES		_IO(GMEM_IOCTL_TYPE, 0x06)

/* On a memory fd.  0x03 is the first GMEM_INFO (see struct gmem_info). */
#define GMEM_CONVERT		_IOWR(GMEM_IOCTL_TYPE, 0x01, struct gmem_convert)
#define GMEM_POPULATE		_IOWR(GMEM_IOCTL_TYPE, 0x02, struct gmem_populate)
#define GMEM_MIGRATE		_IOWR(GMEM_IOCTL_TYPE, 0x04, struct gmem_migrate)
#define GMEM_INFO		_IO(GMEM_IOCTL_TYPE, 0x05)
#define GMEM_QUERY		_IOWR(GMEM_IOCTL_TYPE, 0x07, struct gmem_query)
#define GMEM_DIRTY_LOG		_IOWR(GMEM_IOCTL_TYPE, 0x08, struct gmem_dirty_log)
#define GMEM_MISSING_ARM	_IOW(GMEM_IOCTL_TYPE, 0x09, struct gmem_missing_range)
/*
 * The argument is not a pointer but flags, O_CLOEXEC and O_NONBLOCK, for
 * the new event fd, which the call returns.  One per memory fd at a time.
 */
#define GMEM_MISSING_EVENTS	_IO(GMEM_IOCTL_TYPE, 0x0a)

#endif /* _UAPI_LINUX_GMEM_H */
