/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers for tests that need a /dev/gmem fd or a gmem fd. */
#ifndef GMEM_TESTS_GMEMFD_H
#define GMEM_TESTS_GMEMFD_H

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

#endif /* GMEM_TESTS_GMEMFD_H */
