/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Interface of gmem_test.ko, the test consumer: a misc device,
 * /dev/gmem_test, that lets the tests drive gmem's consumer API from
 * userspace.  Bindings live in the module, not in the open file, so a test
 * can close every fd and keep the bindings; the module unbinds what is
 * left when it is unloaded.
 */
#ifndef _GMEM_TEST_H
#define _GMEM_TEST_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

#define GMEM_TEST_SLOTS		8	/* bindings at once */
#define GMEM_TEST_MAX_EVENTS	1024	/* recorded before the oldest drop */

/* Bind pages [start, start + nr_pages) of gmem fd @fd into a free slot. */
struct gmem_test_bind {
	__s32 fd;
	__u32 slot;		/* out */
	__u64 start;
	__u64 nr_pages;
};

/*
 * Bind as GMEM_TEST_BIND does, with an ops table made up as asked: of
 * @ops_size bytes with @ops_flags in its flags, @tail stored right after
 * the struct gmem_consumer_ops gmem_test was built with (when @ops_size
 * leaves room for it), or, with @layout GMEM_TEST_OPS_V1, in the layout of
 * API version 1 (the three op pointers and nothing else; @ops_size and
 * @ops_flags unused).  The table is freed once gmem_bind() returns.
 */
#define GMEM_TEST_OPS_V2	0
#define GMEM_TEST_OPS_V1	1
/* sizeof(struct gmem_consumer_ops) of API version 2 on 64-bit kernels. */
#define GMEM_TEST_OPS_SIZE	32
struct gmem_test_bind_ops {
	__s32 fd;
	__u32 slot;		/* out */
	__u64 start;
	__u64 nr_pages;
	__u32 ops_size;
	__u32 ops_flags;
	__u32 layout;
	__u32 pad;
	__u64 tail;
};

/*
 * Resolve @index through @slot with gmem_get_pfn() @flags (GMEM_GET_*);
 * @err is its return value.  On success @pfn, @max_order, the NUMA node
 * of the page (page_to_nid()) and the order of the folio holding it;
 * @node and @folio_order are -1 otherwise.
 */
struct gmem_test_resolve {
	__u32 slot;
	__s32 err;		/* out */
	__u64 index;
	__u64 pfn;		/* out */
	__s32 max_order;	/* out */
	__s32 node;		/* out */
	__s32 folio_order;	/* out */
	__u32 flags;
};

/* gmem_is_private() and gmem_is_shared() of [@start, @end) of @slot. */
struct gmem_test_state {
	__u32 slot;
	__u32 pad;
	__u64 start;
	__u64 end;
	__s32 is_private;	/* out */
	__s32 is_shared;	/* out */
};

/*
 * Resolve @index through @slot and copy @len bytes at @offset in that page
 * between it and @uaddr, through a kernel mapping: how the tests see
 * private memory.  A write resolves with GMEM_GET_WRITE.  @err is the
 * resolve's result; the ioctl itself fails only for a bad argument or a
 * bad @uaddr.
 */
struct gmem_test_rw {
	__u32 slot;
	__u32 write;
	__u64 index;
	__u64 offset;
	__u64 len;
	__u64 uaddr;
	__s32 err;		/* out */
	__u32 pad;
};

/* include/linux/gmem.h's GMEM_INV_* and GMEM_GET_*, for userspace. */
#define GMEM_TEST_INV_TO_SHARED		_BITUL(0)
#define GMEM_TEST_INV_TO_PRIVATE	_BITUL(1)
#define GMEM_TEST_GET_SHARED		_BITUL(0)
#define GMEM_TEST_GET_WRITE		_BITUL(1)

#define GMEM_TEST_EV_BEGIN	1
#define GMEM_TEST_EV_END	2
#define GMEM_TEST_EV_ERROR	3

struct gmem_test_event {
	__u64 seq;
	__u32 type;
	__u32 slot;
	__u64 start;
	__u64 end;
	__u32 flags;		/* BEGIN, END: the op's GMEM_INV_* flags */
	__u32 pad;
};

/* Move up to @max recorded events to @uaddr, oldest first. */
struct gmem_test_events {
	__u64 uaddr;
	__u32 max;
	__u32 count;		/* out */
	__u64 dropped;		/* out: events lost because the log was full */
};

/*
 * Run @threads kernel threads for @msecs, each resolving pages of @slot's
 * range in turn (and reading the first byte through a kernel mapping).  A
 * resolve may succeed or fail with -EACCES (the page is shared now) or
 * -EHWPOISON (lost to memory failure), and nothing else; @bad counts other
 * results, @last_bad_err is one of them.
 *
 * With GMEM_TEST_STRESS_SEQ in @flags each resolve is bracketed by
 * gmem_read_begin() and gmem_read_retry(), the latter under the lock that
 * gmem_test's invalidate_begin takes, as a consumer that maps pages does;
 * @retries counts the resolves it threw away.  One it kept must still be
 * in the fd's page cache at its index, its folio must hold the whole
 * max_order block around it, and the block must be private: if not, it is
 * bad, with -ESTALE.
 */
#define GMEM_TEST_STRESS_SEQ	_BITUL(0)
struct gmem_test_stress {
	__u32 slot;
	__u32 threads;
	__u32 msecs;
	__s32 last_bad_err;	/* out */
	__u64 resolves;		/* out */
	__u64 bad;		/* out */
	__u32 flags;
	__u32 pad;
	__u64 retries;		/* out */
};

/*
 * Benchmark only (tests/bench): resolve every page of @slot's range, then
 * clear_page() each of them; @ns is the time the clearing alone took, the
 * floor any allocator that zeroes its pages has to pay.  @err is the first
 * resolve error (nothing is cleared then), @pages how many were cleared.
 */
struct gmem_test_clear {
	__u32 slot;
	__s32 err;		/* out */
	__u64 pages;		/* out */
	__u64 ns;		/* out */
};

/*
 * Benchmark only (tests/bench): @rounds passes over the @nr page indices
 * at @uaddr (a __u64 array of populated private pages of @slot's range).
 * Each pass resolves every index with gmem_get_pfn() and put_page(), then
 * looks each up bare in the page cache of gmem fd @fd (filemap_get_folio()
 * and folio_put()).  @resolve_ns and @lookup_ns are the two totals, @calls
 * the calls of each kind; @err is the first failure of either (a resolve
 * error, or -ENOENT for a page missing from the page cache).
 */
struct gmem_test_resolve_bench {
	__u32 slot;
	__s32 fd;
	__u64 uaddr;
	__u32 nr;
	__u32 rounds;
	__u64 resolve_ns;	/* out */
	__u64 lookup_ns;	/* out */
	__u64 calls;		/* out */
	__s32 err;		/* out */
	__u32 pad;
};

#define GMEM_TEST_TYPE		0xBA
#define GMEM_TEST_BIND		_IOWR(GMEM_TEST_TYPE, 0x00, struct gmem_test_bind)
#define GMEM_TEST_UNBIND	_IOW(GMEM_TEST_TYPE, 0x01, __u32)
#define GMEM_TEST_RESOLVE	_IOWR(GMEM_TEST_TYPE, 0x02, struct gmem_test_resolve)
#define GMEM_TEST_RW		_IOWR(GMEM_TEST_TYPE, 0x03, struct gmem_test_rw)
#define GMEM_TEST_EVENTS	_IOWR(GMEM_TEST_TYPE, 0x04, struct gmem_test_events)
#define GMEM_TEST_STRESS	_IOWR(GMEM_TEST_TYPE, 0x05, struct gmem_test_stress)
#define GMEM_TEST_CLEAR		_IOWR(GMEM_TEST_TYPE, 0x06, struct gmem_test_clear)
#define GMEM_TEST_RESOLVE_BENCH	_IOWR(GMEM_TEST_TYPE, 0x07, \
				      struct gmem_test_resolve_bench)
#define GMEM_TEST_BIND_OPS	_IOWR(GMEM_TEST_TYPE, 0x08, \
				      struct gmem_test_bind_ops)
#define GMEM_TEST_STATE		_IOWR(GMEM_TEST_TYPE, 0x09, struct gmem_test_state)

#endif /* _GMEM_TEST_H */
