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

/*
 * The /proc/self/fdinfo/<fd> numbers of @fd (gmem-size, gmem-flags,
 * gmem-allocated, gmem-private, gmem-shared) in a struct gmem_info; fails
 * the test if a field is missing or malformed.
 */
struct gmem_info gmem_fdinfo(int fd);

/* GMEM_CONVERT of [@off, @off + @len) to @to; the raw ioctl result. */
int gmem_convert_raw(int fd, uint64_t off, uint64_t len, uint32_t to,
		     uint32_t flags);

/*
 * GMEM_CONVERT that must succeed.  Shared -> private may fail with EAGAIN
 * for a moment while a new page sits in a per-CPU LRU batch or a fault is
 * in flight (README); that is retried up to @tries times, 1 ms apart.
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

/* mmap(MAP_SHARED, read-write) of [0, @len) of @fd; fails the test. */
void *gmem_map(int fd, size_t len);

/*
 * Page-sized test patterns: byte i of pattern @seed is a function of both,
 * so pages of different seeds differ everywhere and none is all zeroes.
 */
void fill_pattern(void *buf, size_t len, unsigned int seed);
/* The offset of the first byte of @buf that differs from the pattern, or -1. */
long long pattern_mismatch(const void *buf, size_t len, unsigned int seed);
/* The offset of the first non-zero byte of @buf, or -1. */
long long nonzero_at(const void *buf, size_t len);

#endif /* GMEM_TESTS_GMEMFD_H */
