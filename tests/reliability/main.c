// SPDX-License-Identifier: GPL-2.0
/*
 * gmem-reliability: memory cgroups and allocation-failure injection, TAP.
 * Runs as root in a test guest with gmem loaded (GMEM_KO names the .ko,
 * gmem_test.ko beside it is loaded when needed).  The failure-injection
 * tests need the debug kernel's fault injection and skip elsewhere.
 * Arguments select tests by substring, as for gmem-selftests.
 */
#include <stddef.h>

#include "harness.h"
#include "suites.h"

int main(int argc, char **argv)
{
	static const struct suite *const suites[] = {
		&memcg_suite,
		&failinject_suite,
		NULL,
	};

	return harness_main(suites, argc, argv);
}
