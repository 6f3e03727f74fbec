// SPDX-License-Identifier: GPL-2.0
/*
 * The copy part: a snapshot restored into a new fd and saved out again,
 * the way a VMM can now do it without mapping guest memory (pwrite(),
 * pread() of shared pages), with GMEM_POPULATE for private memory, and
 * through a fresh mapping for comparison.  memfd's pwrite() and pread()
 * in the same boot are the baseline: the same copies through shmem.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"

/* One system call's worth of copying, as a snapshot reader would issue. */
#define CHUNK	(2 * MiB)

const char *const copy_backend[NR_COPY_BACKENDS] = {
	[COPY_GMEM] = "gmem",
	[COPY_GMEM_HUGE] = "gmem-huge",
	[COPY_MEMFD] = "memfd",
};

const char *const copy_method[NR_COPY_METHODS] = {
	[COPY_RW] = "pwrite / pread",
	[COPY_POPULATE] = "GMEM_POPULATE",
	[COPY_MAP] = "memcpy, new mapping",
};

/*
 * How far past a 2 MiB boundary the image and the save buffer start.
 * Under TCG a kernel copy to or from user memory (`rep movsb`) is one
 * guest access per byte through QEMU's software TLB, which is
 * direct-mapped by the low bits of the page number.  A buffer at the
 * same offset from a 2 MiB boundary as a 2 MiB folio (in the direct map)
 * puts every source page and its destination page in the same TLB entry,
 * and the copy thrashes it: pwrite() into gmem-huge measured 14 times
 * slower from an aligned buffer than from one 37 pages off, and pread()
 * 18 times.  No hardware TLB aliases that way, and a VMM's buffer can
 * start anywhere: the bench keeps its buffers off the alignment.
 */
#define SKEW	(37 * 4096ULL)

/* A buffer of anonymous memory: the mapping, and where the bytes start. */
struct buffer {
	char *map;
	uint64_t span;
	char *p;
};

/* @size bytes of anonymous memory, every page faulted in, at SKEW. */
static struct buffer touched_buffer(uint64_t size)
{
	struct buffer b = { .span = size + 2 * MiB + SKEW };
	uintptr_t aligned;

	b.map = mmap(NULL, b.span, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (b.map == MAP_FAILED)
		die("%llu bytes of anonymous memory: %s",
		    (unsigned long long)b.span, strerror(errno));
	aligned = ((uintptr_t)b.map + 2 * MiB - 1) & ~(uintptr_t)(2 * MiB - 1);
	b.p = (char *)(aligned + SKEW);
	return b;
}

static double secs_since(uint64_t t)
{
	return (now_ns() - t) / 1e9;
}

static int copy_fd(enum copy_backend be, uint64_t size, bool private)
{
	unsigned int flags = GMEM_CREATE_MMAP;

	if (be == COPY_MEMFD)
		return backend_create(BE_MEMFD, size);
	if (!private)
		flags |= GMEM_CREATE_SHARED;
	if (be == COPY_GMEM_HUGE)
		flags |= GMEM_CREATE_HUGE;
	return gmem_create(size, flags);
}

static void xpwrite(int fd, const char *buf, uint64_t size)
{
	uint64_t off;
	ssize_t n;

	for (off = 0; off < size; off += n) {
		n = pwrite(fd, buf + off, CHUNK, off);
		if (n <= 0)
			die("pwrite at %llu: %s", (unsigned long long)off,
			    n ? strerror(errno) : "wrote nothing");
	}
}

static void xpread(int fd, char *buf, uint64_t size)
{
	uint64_t off;
	ssize_t n;

	for (off = 0; off < size; off += n) {
		n = pread(fd, buf + off, CHUNK, off);
		if (n <= 0)
			die("pread at %llu: %s", (unsigned long long)off,
			    n ? strerror(errno) : "end of file");
	}
}

static void xpopulate(int fd, const char *buf, uint64_t size)
{
	struct gmem_populate p;
	uint64_t off;

	for (off = 0; off < size; off += CHUNK) {
		p = (struct gmem_populate){
			.offset = off, .length = CHUNK,
			.uaddr = (uintptr_t)(buf + off),
		};
		if (ioctl(fd, GMEM_POPULATE, &p))
			die("GMEM_POPULATE at %llu: %s",
			    (unsigned long long)off, strerror(errno));
	}
}

/*
 * Restores @size bytes of @img into a new fd of @be with @method, then,
 * for the methods a save can use, saves them into @out and checks them.
 */
static void copy_one(enum copy_backend be, enum copy_method method,
		     const char *img, char *out, uint64_t size)
{
	char variant[64];
	uint64_t t;
	char *p;
	int fd;

	snprintf(variant, sizeof(variant), "%s, %s", copy_backend[be],
		 copy_method[method]);
	/*
	 * Each restore from memory as compact as the first one's: else the
	 * first 2 MiB folios after the 4 KiB runs pay for compaction.
	 */
	write_file("/proc/sys/vm/compact_memory", "1");
	fd = copy_fd(be, size, method == COPY_POPULATE);
	t = now_ns();
	switch (method) {
	case COPY_RW:
		xpwrite(fd, img, size);
		record(B_RESTORE, variant, "s", secs_since(t));
		if (be == COPY_GMEM_HUGE)
			record(B_RESTORE_LARGE, variant, "folios",
			       gmem_info(fd).large_folios);
		memset(out, 0, size);
		t = now_ns();
		xpread(fd, out, size);
		record(B_SAVE, variant, "s", secs_since(t));
		break;
	case COPY_POPULATE:
		xpopulate(fd, img, size);
		record(B_RESTORE, variant, "s", secs_since(t));
		if (be == COPY_GMEM_HUGE)
			record(B_RESTORE_LARGE, variant, "folios",
			       gmem_info(fd).large_folios);
		break;
	case COPY_MAP:
		p = xmmap(fd, size);
		memcpy(p, img, size);
		record(B_RESTORE, variant, "s", secs_since(t));
		munmap(p, size);
		memset(out, 0, size);
		t = now_ns();
		p = xmmap(fd, size);
		memcpy(out, p, size);
		record(B_SAVE, variant, "s", secs_since(t));
		munmap(p, size);
		break;
	default:
		die("copy method %d", method);
	}
	if (method != COPY_POPULATE && memcmp(out, img, size))
		die("%s: the saved copy differs from the image", variant);
	close(fd);
}

void bench_copy(uint64_t size)
{
	enum copy_backend be;
	uint64_t off;
	struct buffer ib = touched_buffer(size), ob = touched_buffer(size);
	char *img = ib.p, *out = ob.p;

	/* Every page different, so a misplaced page fails the check. */
	for (off = 0; off < size; off += sizeof(uint64_t))
		*(uint64_t *)(img + off) = off * 0x9e3779b97f4a7c15ULL + 1;
	for (be = 0; be < NR_COPY_BACKENDS; be++) {
		copy_one(be, COPY_RW, img, out, size);
		if (be != COPY_MEMFD)
			copy_one(be, COPY_POPULATE, img, out, size);
		copy_one(be, COPY_MAP, img, out, size);
	}
	munmap(ib.map, ib.span);
	munmap(ob.map, ob.span);
}
