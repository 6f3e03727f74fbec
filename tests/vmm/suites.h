/* SPDX-License-Identifier: GPL-2.0 */
#ifndef GMEM_VMM_SUITES_H
#define GMEM_VMM_SUITES_H

#include "harness.h"

extern const struct suite kvm_suite;	/* stock.c */
extern const struct suite stock_suite;	/* stock.c */
extern const struct suite e2e_suite;	/* e2e.c */
extern const struct suite e2e_huge_suite;	/* huge.c */
extern const struct suite e2e_only_suite;	/* only.c */
extern const struct suite e2e_teardown_suite;	/* teardown.c */
extern const struct suite e2e_smp_suite;	/* smp.c */
extern const struct suite e2e_restore_suite;	/* restore.c */
extern const struct suite e2e_modules_suite;	/* modules.c */

#endif /* GMEM_VMM_SUITES_H */
