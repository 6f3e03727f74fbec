// SPDX-License-Identifier: GPL-2.0
/*
 * gmem-selftests: the userspace test suite for gmem.ko, printing TAP.
 * Runs as root in a test guest with gmem loaded; GMEM_KO names the .ko
 * for the tests that reload it.  "gmem-selftests -l" lists the tests, and
 * arguments select tests by substring.
 */
#include <string.h>

#include "harness.h"
#include "suites.h"

int main(int argc, char **argv)
{
	static const struct suite *const suites[] = {
		&create_suite,
		&features_suite,
		&file_suite,
		&fallocate_suite,
		&mmap_suite,
		&convert_suite,
		&populate_suite,
		&info_suite,
		&rw_suite,
		&query_suite,
		&dirty_suite,
		&consumer_suite,
		&missing_suite,
		&huge_suite,
		&numa_suite,
		&mbind_suite,
		&migrate_suite,
		&collapse_suite,
		&poison_suite,
		&pagecache_suite,
		&coremm_suite,
		&pin_suite,
		&reopen_suite,
		&trace_suite,
		&module_suite,
		NULL,
	};

	if (argc == 3 && !strcmp(argv[1], FD_CLOSED_ARG))
		return fd_closed_main(argv[2]);
	return harness_main(suites, argc, argv);
}
