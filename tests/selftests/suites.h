/* SPDX-License-Identifier: GPL-2.0 */
/* The suites of gmem-selftests, one per file, in the order they run. */
#ifndef GMEM_SELFTESTS_SUITES_H
#define GMEM_SELFTESTS_SUITES_H

#include "harness.h"

extern const struct suite create_suite;		/* create.c */
extern const struct suite features_suite;	/* features.c */
extern const struct suite file_suite;		/* file.c */
extern const struct suite fallocate_suite;	/* fallocate.c */
extern const struct suite mmap_suite;		/* mmap.c */
extern const struct suite convert_suite;	/* convert.c */
extern const struct suite populate_suite;	/* populate.c */
extern const struct suite info_suite;		/* info.c */
extern const struct suite rw_suite;		/* rw.c */
extern const struct suite query_suite;		/* query.c */
extern const struct suite dirty_suite;		/* dirty.c: gmem_test too */
extern const struct suite consumer_suite;	/* consumer.c: loads gmem_test */
extern const struct suite missing_suite;	/* missing.c: gmem_test too */
extern const struct suite huge_suite;		/* huge.c */
extern const struct suite numa_suite;		/* numa.c */
extern const struct suite mbind_suite;		/* mbind.c */
extern const struct suite migrate_suite;	/* migrate.c */
extern const struct suite collapse_suite;	/* collapse.c */
extern const struct suite poison_suite;		/* poison.c */
extern const struct suite pagecache_suite;	/* pagecache.c */
extern const struct suite coremm_suite;		/* coremm.c */
extern const struct suite pin_suite;		/* pin.c */
extern const struct suite reopen_suite;		/* reopen.c */
extern const struct suite trace_suite;		/* trace.c: tracefs, gmem_test */
extern const struct suite module_suite;		/* module.c: last, reloads */

/*
 * The close-on-exec test re-executes gmem-selftests as
 * "gmem-selftests --fd-closed N"; this answers it (create.c).
 */
#define FD_CLOSED_ARG	"--fd-closed"
int fd_closed_main(const char *fd);

#endif /* GMEM_SELFTESTS_SUITES_H */
