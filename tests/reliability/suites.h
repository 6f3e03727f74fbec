/* SPDX-License-Identifier: GPL-2.0 */
/* The suites of gmem-reliability, one per file, in the order they run. */
#ifndef GMEM_RELIABILITY_SUITES_H
#define GMEM_RELIABILITY_SUITES_H

#include "harness.h"

extern const struct suite memcg_suite;		/* memcg.c */
extern const struct suite failinject_suite;	/* failinject.c: debug kernel */

#endif /* GMEM_RELIABILITY_SUITES_H */
