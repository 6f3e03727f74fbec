/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The test consumer gmem_test.ko (tests/consumer): loading and unloading
 * it, binding, resolving (pfn, max_order, node, folio order), reading and
 * writing private pages, and its event log.  A test that uses it takes
 * ct_cleanup as its cleanup, which unloads it again.
 */
#ifndef GMEM_TESTS_CT_H
#define GMEM_TESTS_CT_H

#include <stdbool.h>
#include <stdint.h>

#include "gmem_test.h"

#define CT_NAME		"gmem_test"
#define CT_DEV		"/dev/gmem_test"

/*
 * gmem_test loaded if it is not (from $GMEM_TEST_KO, or beside $GMEM_KO;
 * the test is skipped when neither is set) and /dev/gmem_test open.
 */
int ct_open(void);

/* Unloads gmem_test, waiting up to 5 s for fds still being closed; 0 or
 * -errno. */
int ct_unload(void);

/* A test's cleanup: gmem_test unloaded, gmem still loaded. */
void ct_cleanup(void);

/* GMEM_TEST_BIND of pages [@start, @start + @nr) of @fd: the raw ioctl
 * result, *@slot (if not NULL) what the call left in the struct. */
int ct_bind_raw(int ct, int fd, uint64_t start, uint64_t nr, uint32_t *slot);

/* Binds pages [@start, @start + @nr) of @fd; the slot, or fails the test. */
uint32_t ct_bind_at(const char *file, int line, int ct, int fd,
		    uint64_t start, uint64_t nr);
#define CT_BIND(ct, fd, start, nr)					\
	ct_bind_at(__FILE__, __LINE__, ct, fd, start, nr)

void ct_unbind(int ct, uint32_t slot);

/* GMEM_TEST_RESOLVE of @index; fails the test if the ioctl does. */
struct gmem_test_resolve ct_resolve(int ct, uint32_t slot, uint64_t index);
/* The same with gmem_get_pfn() flags @flags (GMEM_TEST_GET_*). */
struct gmem_test_resolve ct_resolve_flags(int ct, uint32_t slot,
					  uint64_t index, uint32_t flags);
/* The same: gmem_get_pfn()'s 0 or -errno, and *@pfn (if not NULL) if 0. */
int ct_resolve_pfn(int ct, uint32_t slot, uint64_t index, uint64_t *pfn);

/* A page-sized read or write through the consumer; the resolve's result. */
int ct_rw(int ct, uint32_t slot, uint64_t index, void *buf, bool write);

/*
 * Takes up to GMEM_TEST_MAX_EVENTS recorded events into @out (room for
 * that many); fails the test if any was dropped or their seq numbers are
 * out of order.  Returns the count.
 */
unsigned int ct_events(int ct, struct gmem_test_event *out);

#endif /* GMEM_TESTS_CT_H */
