// SPDX-License-Identifier: GPL-2.0
/*
 * The dirty part: what dirty logging (GMEM_CREATE_DIRTY_LOG) costs a VMM.
 * The same fd with and without the log, 4 KiB and huge, in the same boot:
 * the first write of every page through a mapping; a rewrite of every
 * page after a get-and-clear (on a logged fd each page faults once more,
 * into ->page_mkwrite; on the other, nothing); and GMEM_DIRTY_LOG with
 * GMEM_DIRTY_LOG_CLEAR over the whole fd, with every page written and
 * with none.  The counts each clear returns are checked.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"

const char *const dirty_variant[NR_DIRTY_VARIANTS] = {
	[DIRTY_GMEM] = "gmem",
	[DIRTY_GMEM_LOGGED] = "gmem, logged",
	[DIRTY_HUGE] = "gmem-huge",
	[DIRTY_HUGE_LOGGED] = "gmem-huge, logged",
};

/* One store to every page of @p; @v differs between passes. */
static void write_pages(char *p, uint64_t size, char v)
{
	for (uint64_t off = 0; off < size; off += PAGE)
		*(volatile char *)(p + off) = v;
}

/* GMEM_DIRTY_LOG with GMEM_DIRTY_LOG_CLEAR of all of @fd: pages reported. */
static uint64_t get_and_clear(int fd, uint64_t size, uint64_t *bitmap)
{
	struct gmem_dirty_log log = {
		.offset = 0, .length = size, .bitmap = (uintptr_t)bitmap,
		.flags = GMEM_DIRTY_LOG_CLEAR,
	};

	if (ioctl(fd, GMEM_DIRTY_LOG, &log))
		die("GMEM_DIRTY_LOG of %llu bytes: %s",
		    (unsigned long long)size, strerror(errno));
	return log.nr_dirty;
}

static double secs_since(uint64_t t)
{
	return (now_ns() - t) / 1e9;
}

static void dirty_one(enum dirty_variant dv, uint64_t size, uint64_t *bitmap)
{
	bool logged = dv == DIRTY_GMEM_LOGGED || dv == DIRTY_HUGE_LOGGED;
	bool huge = dv == DIRTY_HUGE || dv == DIRTY_HUGE_LOGGED;
	const char *variant = dirty_variant[dv];
	uint32_t flags = GMEM_CREATE_MMAP | GMEM_CREATE_SHARED;
	uint64_t t, n, pages = size / PAGE;
	char *p;
	int fd;

	if (huge)
		flags |= GMEM_CREATE_HUGE;
	if (logged)
		flags |= GMEM_CREATE_DIRTY_LOG;
	/* as compact for every variant as for the first */
	write_file("/proc/sys/vm/compact_memory", "1");
	fd = gmem_create(size, flags);
	p = xmmap(fd, size);

	t = now_ns();
	write_pages(p, size, 1);
	record(B_DIRTY_TOUCH, variant, "s", secs_since(t));
	if (logged) {
		t = now_ns();
		n = get_and_clear(fd, size, bitmap);
		record(B_DIRTY_CLEAR_ALL, variant, "s", secs_since(t));
		if (n != pages)
			die("%s: the first clear reported %llu pages, not %llu",
			    variant, (unsigned long long)n,
			    (unsigned long long)pages);
	}

	t = now_ns();
	write_pages(p, size, 2);
	record(B_DIRTY_REWRITE, variant, "s", secs_since(t));
	if (logged) {
		n = get_and_clear(fd, size, bitmap);
		if (n != pages)
			die("%s: the clear after the rewrite reported %llu pages, not %llu",
			    variant, (unsigned long long)n,
			    (unsigned long long)pages);
		t = now_ns();
		n = get_and_clear(fd, size, bitmap);
		record(B_DIRTY_CLEAR_NONE, variant, "s", secs_since(t));
		if (n)
			die("%s: a clear with nothing written reported %llu pages",
			    variant, (unsigned long long)n);
	}
	munmap(p, size);
	close(fd);
}

void bench_dirty(uint64_t size)
{
	uint64_t *bitmap = calloc(size / PAGE / 64 + 1, sizeof(*bitmap));
	enum dirty_variant dv;

	if (!bitmap)
		die("no memory for a %llu-page bitmap",
		    (unsigned long long)(size / PAGE));
	for (dv = 0; dv < NR_DIRTY_VARIANTS; dv++)
		dirty_one(dv, size, bitmap);
	free(bitmap);
}
