/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The uAPI header as a userspace program sees it: this file must build as
 * C90, C99 and C++ with -pedantic -Werror, including nothing but the
 * header and libc, and must run (host-check does all of that).  The
 * layout is checked at compile time, so -m32 checks it for 32-bit VMMs.
 */
#include <linux/gmem.h>		/* first: it must need nothing before it */

#include <stddef.h>
#include <stdio.h>

#define LAYOUT(name, cond)	typedef char layout_##name[(cond) ? 1 : -1]

LAYOUT(size, sizeof(struct gmem_create) == GMEM_CREATE_SIZE_VER1);
LAYOUT(size_is_32, GMEM_CREATE_SIZE_VER0 == 32);
LAYOUT(size_is_48, GMEM_CREATE_SIZE_VER1 == 48);
LAYOUT(off_size, offsetof(struct gmem_create, size) == 0);
LAYOUT(off_flags, offsetof(struct gmem_create, flags) == 4);
LAYOUT(off_length, offsetof(struct gmem_create, length) == 8);
LAYOUT(off_reserved, offsetof(struct gmem_create, reserved) == 16);
/* version 1 starts where version 0 ended */
LAYOUT(off_numa_mode, offsetof(struct gmem_create, numa_mode) ==
			GMEM_CREATE_SIZE_VER0);
LAYOUT(off_numa_maxnode, offsetof(struct gmem_create, numa_maxnode) == 36);
LAYOUT(off_numa_nodes, offsetof(struct gmem_create, numa_nodes) == 40);
LAYOUT(create_flags, GMEM_CREATE_MMAP == 1 && GMEM_CREATE_SHARED == 2 &&
		     GMEM_CREATE_HUGE == 4);
/* No mask of "every flag": GMEM_FEATURES answers that at run time. */
#if defined(GMEM_CREATE_FLAGS_ALL) || defined(GMEM_CONVERT_FLAGS_ALL) || \
	defined(GMEM_MIGRATE_FLAGS_ALL)
#error "a *_FLAGS_ALL mask is back in the uAPI header"
#endif
LAYOUT(numa_modes, GMEM_NUMA_DEFAULT == 0 && GMEM_NUMA_BIND == 1 &&
		   GMEM_NUMA_PREFERRED == 2 && GMEM_NUMA_INTERLEAVE == 3);

/* The fd's ioctl structs: no implicit padding, same on 32 and 64 bits. */
LAYOUT(convert_size, sizeof(struct gmem_convert) == 48);
LAYOUT(convert_to, offsetof(struct gmem_convert, to) == 16);
LAYOUT(convert_error, offsetof(struct gmem_convert, error_offset) == 24);
LAYOUT(convert_reserved, offsetof(struct gmem_convert, reserved) == 32);
LAYOUT(populate_size, sizeof(struct gmem_populate) == 56);
LAYOUT(populate_copied, offsetof(struct gmem_populate, copied) == 24);
LAYOUT(populate_flags, offsetof(struct gmem_populate, flags) == 32);
LAYOUT(populate_reserved, offsetof(struct gmem_populate, reserved) == 40);
/*
 * struct gmem_info: size first; from length to poisoned, the 72 bytes of
 * the first GMEM_INFO in their old order (the module serves that too).
 */
LAYOUT(info_size, sizeof(struct gmem_info) == GMEM_INFO_SIZE_VER0);
LAYOUT(info_size_is_88, GMEM_INFO_SIZE_VER0 == 88);
LAYOUT(info_hdr, offsetof(struct gmem_info, size) == 0 &&
		 offsetof(struct gmem_info, flags) == 4);
LAYOUT(info_length, offsetof(struct gmem_info, length) == 8);
LAYOUT(info_numa_mode, offsetof(struct gmem_info, numa_mode) == 8 + 12);
LAYOUT(info_allocated, offsetof(struct gmem_info, allocated) == 8 + 16);
LAYOUT(info_shared, offsetof(struct gmem_info, shared_bytes) == 8 + 32);
LAYOUT(info_alloc_private,
       offsetof(struct gmem_info, allocated_private) == 8 + 40);
LAYOUT(info_alloc_shared,
       offsetof(struct gmem_info, allocated_shared) == 8 + 48);
LAYOUT(info_large, offsetof(struct gmem_info, large_folios) == 8 + 56);
LAYOUT(info_poisoned, offsetof(struct gmem_info, poisoned) == 8 + 64);
LAYOUT(info_fallbacks, offsetof(struct gmem_info, large_fallbacks) == 80);
/* struct gmem_features */
LAYOUT(features_size, sizeof(struct gmem_features) == GMEM_FEATURES_SIZE_VER2);
LAYOUT(features_size_is_48, GMEM_FEATURES_SIZE_VER0 == 48);
LAYOUT(features_size_is_56, GMEM_FEATURES_SIZE_VER1 == 56);
LAYOUT(features_size_is_72, GMEM_FEATURES_SIZE_VER2 == 72);
LAYOUT(features_hdr, offsetof(struct gmem_features, size) == 0 &&
		     offsetof(struct gmem_features, flags) == 4);
LAYOUT(features_ioctls, offsetof(struct gmem_features, dev_ioctls) == 8 &&
			offsetof(struct gmem_features, fd_ioctls) == 16);
LAYOUT(features_create, offsetof(struct gmem_features, create_flags) == 24 &&
			offsetof(struct gmem_features, create_size) == 28);
LAYOUT(features_numa, offsetof(struct gmem_features, numa_modes) == 32 &&
		      offsetof(struct gmem_features, info_size) == 36);
LAYOUT(features_flags, offsetof(struct gmem_features, convert_flags) == 40 &&
		       offsetof(struct gmem_features, migrate_flags) == 44);
LAYOUT(features_fd_ops, offsetof(struct gmem_features, fd_ops) == 48 &&
			offsetof(struct gmem_features, query_states) == 52);
LAYOUT(features_ioctl_flags,
       offsetof(struct gmem_features, dirty_log_flags) == 56 &&
       offsetof(struct gmem_features, populate_flags) == 60 &&
       offsetof(struct gmem_features, query_flags) == 64 &&
       offsetof(struct gmem_features, info_flags) == 68);
LAYOUT(migrate_size, sizeof(struct gmem_migrate) == 56);
LAYOUT(migrate_node, offsetof(struct gmem_migrate, node) == 16);
LAYOUT(migrate_flags, offsetof(struct gmem_migrate, flags) == 20);
LAYOUT(migrate_moved, offsetof(struct gmem_migrate, moved) == 24);
LAYOUT(migrate_error, offsetof(struct gmem_migrate, error_offset) == 32);
LAYOUT(migrate_collapsed, offsetof(struct gmem_migrate, collapsed) == 40);
LAYOUT(migrate_reserved, offsetof(struct gmem_migrate, reserved) == 48);
/* struct gmem_query, struct gmem_query_run */
LAYOUT(query_size, sizeof(struct gmem_query) == 56);
LAYOUT(query_runs, offsetof(struct gmem_query, runs) == 16);
LAYOUT(query_nr_runs, offsetof(struct gmem_query, nr_runs) == 24 &&
		      offsetof(struct gmem_query, flags) == 28);
LAYOUT(query_next, offsetof(struct gmem_query, next_offset) == 32);
LAYOUT(query_reserved, offsetof(struct gmem_query, reserved) == 40);
LAYOUT(query_run_size, sizeof(struct gmem_query_run) == 24);
LAYOUT(query_run_state, offsetof(struct gmem_query_run, state) == 16);
/* struct gmem_dirty_log */
LAYOUT(dirty_size, sizeof(struct gmem_dirty_log) == 56);
LAYOUT(dirty_bitmap, offsetof(struct gmem_dirty_log, bitmap) == 16);
LAYOUT(dirty_flags, offsetof(struct gmem_dirty_log, flags) == 24 &&
		    offsetof(struct gmem_dirty_log, status) == 28);
LAYOUT(dirty_nr, offsetof(struct gmem_dirty_log, nr_dirty) == 32);
LAYOUT(dirty_reserved, offsetof(struct gmem_dirty_log, reserved) == 40);

int main(void)
{
	struct gmem_create args = { 0, 0, 0, { 0, 0 }, 0, 0, 0 };
	unsigned long cmd = GMEM_CREATE;

	args.size = sizeof(args);
	args.length = 4096;
	/*
	 * No direction or size bits: the struct carries its own size, so a
	 * grown struct keeps the command number.  GMEM_CREATE's is 0.1.0's.
	 */
	if (_IOC_TYPE(cmd) != 0xB9 || _IOC_NR(cmd) != 0 ||
	    _IOC_DIR(cmd) != _IOC_NONE || _IOC_SIZE(cmd) != 0) {
		printf("GMEM_CREATE is %#lx, not _IO(0xB9, 0)\n", cmd);
		return 1;
	}
	if (GMEM_INFO != _IO(0xB9, 0x05) || GMEM_FEATURES != _IO(0xB9, 0x06)) {
		printf("an extensible command is not _IO(0xB9, n)\n");
		return 1;
	}
	/* The fd's commands encode their struct sizes, as _IOWR/_IOR do. */
	if (_IOC_SIZE(GMEM_CONVERT) != sizeof(struct gmem_convert) ||
	    _IOC_SIZE(GMEM_POPULATE) != sizeof(struct gmem_populate) ||
	    _IOC_SIZE(GMEM_MIGRATE) != sizeof(struct gmem_migrate) ||
	    _IOC_SIZE(GMEM_QUERY) != sizeof(struct gmem_query) ||
	    _IOC_DIR(GMEM_QUERY) != (_IOC_READ | _IOC_WRITE) ||
	    _IOC_SIZE(GMEM_DIRTY_LOG) != sizeof(struct gmem_dirty_log) ||
	    _IOC_DIR(GMEM_DIRTY_LOG) != (_IOC_READ | _IOC_WRITE) ||
	    _IOC_NR(GMEM_DIRTY_LOG) != 8 ||
	    _IOC_DIR(GMEM_MIGRATE) != (_IOC_READ | _IOC_WRITE) ||
	    _IOC_NR(GMEM_MIGRATE) != 4) {
		printf("a gmem fd command does not encode its struct\n");
		return 1;
	}
	printf("struct gmem_create: %u bytes; GMEM_CREATE %#lx\n",
	       (unsigned int)args.size, cmd);
	return 0;
}
