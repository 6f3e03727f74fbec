// SPDX-License-Identifier: GPL-2.0
/*
 * What a lookup of the fd's page cache sees while gmem replaces folios:
 * GMEM_MIGRATE swaps the new folio in for the old one in one step, so a
 * page never looks absent (a moment in which it is absent is a moment in
 * which a failed insert would lose it).  mincore() on a mapping whose
 * PTEs are gone asks the page cache directly, without gmem's locks.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "gmemfd.h"
#include "numa.h"
#include "suites.h"

#define SWAP_PAGES	512
#define SWAP_ROUNDS	40
#define SWAP_SECS	40.0

struct watcher {
	unsigned char *map;
	size_t len;
	volatile int stop;
	unsigned long passes;
	unsigned long absent;		/* pages mincore() found missing */
	int error;
};

static void *watch(void *arg)
{
	struct watcher *w = arg;
	size_t n = w->len / page_size(), i;
	unsigned char *vec = xmalloc(n);

	while (!w->stop) {
		if (mincore(w->map, w->len, vec)) {
			w->error = errno;
			break;
		}
		for (i = 0; i < n; i++)
			if (!(vec[i] & 1))
				w->absent++;
		w->passes++;
	}
	free(vec);
	return NULL;
}

/* Pages moved back and forth between two nodes while mincore() watches. */
static void migrate_never_leaves_a_hole(void)
{
	const uint32_t flags = GMEM_CREATE_MMAP | GMEM_CREATE_SHARED;
	size_t len = SWAP_PAGES * page_size();
	int fd = gmem_new_flags(len, flags), round;
	struct watcher w = { .len = len };
	double end = now_s() + SWAP_SECS;
	unsigned char *data = gmem_map(fd, len);
	uint64_t moved = 0;
	pthread_t t;
	size_t i;

	numa_need_two();
	for (i = 0; i < len; i += page_size())
		memcpy(data + i, &i, sizeof(i));
	/* all on node 0 first, so that every round moves every page */
	MIGRATE(fd, 0, len, 0);
	/* a second mapping, never touched: its PTEs stay empty */
	w.map = gmem_map(fd, len);
	ASSERT_EQ(pthread_create(&t, NULL, watch, &w), 0);
	for (round = 0; round < SWAP_ROUNDS && now_s() < end; round++)
		moved += MIGRATE(fd, 0, len, round & 1 ? 0 : 1);
	w.stop = 1;
	ASSERT_EQ(pthread_join(t, NULL), 0);

	test_diag("%d rounds, %llu bytes moved; %lu mincore passes, %lu pages found absent",
		  round, (unsigned long long)moved, w.passes, w.absent);
	EXPECT_EQ(w.error, 0);
	EXPECT_EQ(w.absent, 0);
	EXPECT_EQ(moved, (uint64_t)round * len);
	/* the watcher ran during the moves, not only after them */
	EXPECT_GT(w.passes, (unsigned long)round);
	for (i = 0; i < len; i += page_size())
		if (memcmp(data + i, &i, sizeof(i)))
			FAIL("page %zu lost its contents", i / page_size());
	EXPECT_EQ(gmem_info(fd).allocated, (uint64_t)len);
	ASSERT_SYS(close(fd));
}

static const struct test pagecache_tests[] = {
	TEST("GMEM_MIGRATE swaps folios in place: mincore never finds a page absent",
	     migrate_never_leaves_a_hole, .timeout = 180),
};

DEFINE_SUITE(pagecache_suite, "pagecache", pagecache_tests);
