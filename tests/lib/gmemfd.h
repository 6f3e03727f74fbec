/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers for tests that need a /dev/gmem fd or a gmem fd. */
#ifndef GMEM_TESTS_GMEMFD_H
#define GMEM_TESTS_GMEMFD_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/gmem.h>

#define GMEM_DEV		"/dev/gmem"
#define GMEM_SYSFS		"/sys/module/gmem"
#define GMEM_MAX_SIZE_PARAM	GMEM_SYSFS "/parameters/max_size"
#define GMEM_MAX_SIZE_DEFAULT	(1ULL << 46)
#define GMEM_HUGE_PARAM		GMEM_SYSFS "/parameters/huge"
#define GMEM_CHECK_CONSUMERS_PARAM	GMEM_SYSFS "/parameters/check_consumers"
/* The module-wide statistics: files of the misc device's sysfs directory. */
#define GMEM_STATS_DIR		"/sys/class/misc/gmem"

/* What GMEM_CREATE_HUGE backs with one folio: a 2 MiB-aligned 2 MiB block. */
#define GMEM_HUGE_SIZE		(2ULL << 20)
#define GMEM_HUGE_PAGES		(GMEM_HUGE_SIZE / 4096)
#define GMEM_HUGE_ORDER		9

/* The most NUMA nodes the helpers below track (the guests have two). */
#define GMEM_MAX_NODES		64
#define NODE_BIT(n)		(1ULL << (n))

/* Opens /dev/gmem read-write; fails the test if it cannot. */
int gmem_open_dev(void);

/* GMEM_CREATE of a version-0 struct on @dev; the raw ioctl result. */
int gmem_create_raw(int dev, unsigned long long length);

/* A new gmem fd of @length bytes, /dev/gmem closed again; or fails. */
int gmem_new(unsigned long long length);

/* st_blocks of @fd (512-byte units); fails the test if fstat does. */
long long gmem_blocks(int fd);

/* The module's max_size parameter; fails the test if unreadable. */
unsigned long long gmem_max_size(void);

/* A new gmem fd of @length bytes created with GMEM_CREATE_* @flags. */
int gmem_new_flags(unsigned long long length, unsigned int flags);

/* GMEM_INFO of @fd; fails the test if the ioctl does. */
struct gmem_info gmem_info(int fd);

/* GMEM_FEATURES, which must succeed: what the module supports. */
struct gmem_features gmem_features(void);

/*
 * GMEM_CREATE of a full (version-1) struct: @length, @flags and the NUMA
 * policy @mode over the nodes in @mask (bit n: node n; numa_maxnode 64,
 * or 0 with a NULL pointer when @mask is 0 and @mode is
 * GMEM_NUMA_DEFAULT).  Opens and closes /dev/gmem itself; the raw ioctl
 * result, -1 with errno on failure.
 */
int gmem_create_numa_raw(unsigned long long length, unsigned int flags,
			 unsigned int mode, uint64_t mask);

/* The same, which must succeed: the new fd. */
int gmem_new_numa(unsigned long long length, unsigned int flags,
		  unsigned int mode, uint64_t mask);

/* "default", "bind", "preferred", "interleave" or "?": for messages. */
const char *gmem_numa_mode_name(unsigned int mode);

/*
 * The /proc/self/fdinfo/<fd> numbers of @fd (gmem-size, gmem-flags,
 * gmem-numa-mode, gmem-allocated, gmem-private, gmem-shared,
 * gmem-allocated-private, gmem-allocated-shared, gmem-large-folios,
 * gmem-poisoned) in a struct gmem_info; fails the test if a field is
 * missing, repeated or malformed.  gmem-numa-mode may be a number or the
 * mode's name.
 */
struct gmem_info gmem_fdinfo(int fd);

/*
 * The number on @fd's fdinfo line "@key:" (e.g. "gmem-large-fallbacks");
 * fails the test if there is no such line or it is malformed.
 */
unsigned long long gmem_fdinfo_value(int fd, const char *key);

/*
 * The "gmem-node<N>:" lines of @fd's fdinfo: bytes of node N in
 * @bytes[N] (0 for a node without a line), for N < @nr; returns the
 * number of such lines, and fails the test for a malformed one or one for
 * a node >= @nr.
 */
int gmem_fdinfo_nodes(int fd, uint64_t *bytes, int nr);

/*
 * fdinfo's gmem-node0 and gmem-node1 lines say @n0 and @n1 bytes; with
 * @sum_is_allocated, the gmem-node<N> lines of all nodes also add up to
 * GMEM_INFO's allocated.  Otherwise the test fails at @file:@line and
 * goes on.
 */
void gmem_node_bytes_at(const char *file, int line, int fd, uint64_t n0,
			uint64_t n1, bool sum_is_allocated);

/*
 * The module-wide statistics in GMEM_STATS_DIR: what all open gmem files
 * hold together.
 */
struct gmem_stats {
	unsigned long long allocated_bytes;
	unsigned long long private_bytes;
	unsigned long long shared_bytes;
	unsigned long long large_folios;
	unsigned long long poisoned_bytes;
	unsigned long long fds;
};

/* Reads every file of GMEM_STATS_DIR; fails the test if one is missing. */
struct gmem_stats gmem_stats(void);

/*
 * A bool module parameter's file (Y or N): 1 or 0, or -errno if it cannot
 * be read (-ENOENT: a module without it).
 */
int gmem_bool_param(const char *path);

/* The "huge" module parameter, as gmem_bool_param() reads it. */
int gmem_huge_param(void);

/* Sets the "huge" module parameter; 0 or -errno. */
int gmem_set_huge_param(bool on);

/*
 * GMEM_MIGRATE of [@off, @off + @len) to @node; the raw ioctl result.
 * *@moved and *@error_offset (when not NULL) get what the call left in the
 * struct; error_offset starts as GMEM_UNTOUCHED so that a test can tell
 * whether it was written.
 */
#define GMEM_UNTOUCHED		0x5a5a5a5a5a5a5a5aULL
int gmem_migrate_raw(int fd, uint64_t off, uint64_t len, uint32_t node,
		     uint64_t *moved, uint64_t *error_offset);

/*
 * GMEM_MIGRATE that must succeed; returns the bytes moved.  A transient
 * EBUSY (a page in a per-CPU LRU batch) is retried as CONVERT() retries
 * EAGAIN, the bytes moved by every try summed.
 */
uint64_t gmem_migrate_at(const char *file, int line, int fd, uint64_t off,
			 uint64_t len, uint32_t node);
#define MIGRATE(fd, off, len, node)					\
	gmem_migrate_at(__FILE__, __LINE__, fd, off, len, node)

/* GMEM_CONVERT of [@off, @off + @len) to @to; the raw ioctl result. */
int gmem_convert_raw(int fd, uint64_t off, uint64_t len, uint32_t to,
		     uint32_t flags);

/*
 * GMEM_CONVERT that must succeed.  Shared -> private may fail with EAGAIN
 * for a moment while a new page sits in a per-CPU LRU batch or a fault is
 * in flight (ioctl_gmem(2)); that is retried up to @tries times, 1 ms apart.
 * Returns the number of EAGAINs seen.
 */
int gmem_convert_at(const char *file, int line, int fd, uint64_t off,
		    uint64_t len, uint32_t to, uint32_t flags, int tries);
#define GMEM_CONVERT_TRIES	20
#define CONVERT(fd, off, len, to)					\
	gmem_convert_at(__FILE__, __LINE__, fd, off, len, to, 0,	\
			GMEM_CONVERT_TRIES)
#define CONVERT_FLAGS(fd, off, len, to, flags)				\
	gmem_convert_at(__FILE__, __LINE__, fd, off, len, to, flags,	\
			GMEM_CONVERT_TRIES)

/* GMEM_POPULATE; the raw ioctl result, *@copied the returned copied. */
int gmem_populate_raw(int fd, uint64_t off, uint64_t len, const void *src,
		      uint64_t *copied);

/* GMEM_POPULATE that must succeed and copy everything. */
void gmem_populate_at(const char *file, int line, int fd, uint64_t off,
		      uint64_t len, const void *src);
#define POPULATE(fd, off, len, src)					\
	gmem_populate_at(__FILE__, __LINE__, fd, off, len, src)

/*
 * GMEM_QUERY of [@off, @off + @len) into @runs, room for @cap of them:
 * the raw ioctl result; *@nr_runs and *@next (when not NULL) get the
 * struct's nr_runs and next_offset after the call (next_offset starts as
 * GMEM_UNTOUCHED).
 */
int gmem_query_raw(int fd, uint64_t off, uint64_t len,
		   struct gmem_query_run *runs, uint32_t cap,
		   uint32_t *nr_runs, uint64_t *next);

/*
 * open("/proc/self/fd/<@fd>", @flags | O_CLOEXEC): the same memory as a
 * file of its own (position, flags); fails the test if it cannot.
 */
int gmem_reopen(int fd, int flags);

/* mmap(MAP_SHARED, read-write) of [0, @len) of @fd; fails the test. */
void *gmem_map(int fd, size_t len);

/*
 * Free 2 MiB blocks in the buddy allocator (/proc/buddyinfo, orders 9 and
 * up in 2 MiB units); -1 if unreadable.
 */
long long gmem_free_huge_blocks(void);

/*
 * In a test that expects 2 MiB folios: compacts memory when fewer than
 * @n + 8 blocks are free, and skips the test if fewer than @n are then.
 */
void gmem_need_huge_blocks(long long n);

/*
 * The same at an address that is a multiple of @align (a power of two),
 * so that a 2 MiB block of the fd can be mapped by one PMD.
 */
void *gmem_map_aligned(int fd, size_t len, size_t align);

/*
 * Test patterns.  A pattern is keyed by an id (a gmem fd's, or 0 for a
 * buffer's own), a position and a seed: every 8-byte word of a page is a
 * hash of the id, the page's offset (the fd offset it is meant for, or its
 * offset in the buffer) and the seed, so a page put at another offset, of
 * another fd, or left over from an earlier seed differs from the one
 * expected in every word, and no page is all zeroes.  A byte range of a
 * pattern is the same whichever call writes or checks it.
 */
/* The id of @fd's patterns: its inode's (one per gmem fd); 0 for fd < 0. */
uint64_t gmem_fd_id(int fd);
/* @buf gets the pattern of @fd's bytes [@off, @off + @len) for @seed. */
void fill_pattern_at(void *buf, size_t len, int fd, uint64_t off,
		     unsigned int seed);
void fill_pattern_id(void *buf, size_t len, uint64_t id, uint64_t off,
		     unsigned int seed);
/* The buffer's own pattern: positions counted from @buf, id 0. */
void fill_pattern(void *buf, size_t len, unsigned int seed);
/* malloc() that fails the test when it cannot. */
void *xmalloc(size_t len);
/* A new buffer (xmalloc) of @len bytes, page i holding pattern @seed + i. */
unsigned char *pattern_pages(size_t len, unsigned int seed);
/* A new buffer holding fill_pattern_at(@fd, @off, @len, @seed). */
unsigned char *pattern_pages_at(int fd, uint64_t off, size_t len,
				unsigned int seed);
/*
 * The offset in @buf of the first byte that differs from the pattern, or
 * -1; a test diagnostic says what the page there holds instead (zeroes,
 * the pattern page of another offset, or neither).
 */
long long pattern_mismatch_at(const void *buf, size_t len, int fd,
			      uint64_t off, unsigned int seed);
long long pattern_mismatch_id(const void *buf, size_t len, uint64_t id,
			      uint64_t off, unsigned int seed);
long long pattern_mismatch(const void *buf, size_t len, unsigned int seed);
/*
 * The physical frame of the page mapped at @addr (/proc/self/pagemap, as
 * root); fails the test if it is not present (waiting up to 2 s while a
 * migration entry stands in for it).
 */
uint64_t pagemap_pfn(const void *addr);
/*
 * Whether gmem maps a wholly shared 2 MiB block of an aligned mapping of
 * a GMEM_CREATE_HUGE fd with one PMD on this kernel: Linux 6.15 or newer
 * (vmf_insert_folio_pmd()), with THP not "never" (gmem marks its mappings
 * VM_HUGEPAGE, so "madvise" is enough).
 */
bool gmem_pmd_mapping_expected(void);
/*
 * Whether the page at @pfn heads a large folio (/proc/kpageflags): the
 * kernel's own count of large folios, to hold GMEM_INFO's against.
 */
bool pfn_is_folio_head(uint64_t pfn);
/* The offset of the first non-zero byte of @buf, or -1. */
long long nonzero_at(const void *buf, size_t len);

/*
 * The rules of the uAPI's extensible structs (size first, flags second,
 * the struct written back), for command @cmd on @fd, whose struct the
 * module knows as @ksize bytes, the first version @ver0: EINVAL below
 * @ver0 and for non-zero flags, E2BIG above a page and for a non-zero
 * byte past @ksize, and a refused call writes nothing; a larger struct
 * with a zero tail works, gets @ksize back in size and nothing past it.
 */
void gmem_check_sized_at(const char *file, int line, int fd,
			 unsigned long cmd, uint32_t ksize, uint32_t ver0);
#define CHECK_SIZED(fd, cmd, ksize, ver0)				\
	gmem_check_sized_at(__FILE__, __LINE__, fd, cmd, ksize, ver0)

#endif /* GMEM_TESTS_GMEMFD_H */
