// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "gmemfd.h"

int gmem_open_dev(void)
{
	return ASSERT_SYS(open(GMEM_DEV, O_RDWR | O_CLOEXEC));
}

int gmem_create_raw(int dev, unsigned long long length)
{
	struct gmem_create args = {
		.size = sizeof(args),
		.length = length,
	};

	return ioctl(dev, GMEM_CREATE, &args);
}

int gmem_new(unsigned long long length)
{
	int dev = gmem_open_dev();
	int fd = gmem_create_raw(dev, length);

	if (fd < 0)
		FAIL("GMEM_CREATE of %llu bytes failed with %s", length,
		     errno_name(errno));
	close(dev);
	return fd;
}

long long gmem_blocks(int fd)
{
	struct stat st;

	ASSERT_SYS(fstat(fd, &st));
	return st.st_blocks;
}

unsigned long long gmem_max_size(void)
{
	unsigned long long val;
	int ret = read_ull(GMEM_MAX_SIZE_PARAM, &val);

	if (ret)
		FAIL("reading %s: %s", GMEM_MAX_SIZE_PARAM, errno_name(-ret));
	return val;
}

int gmem_new_flags(unsigned long long length, unsigned int flags)
{
	struct gmem_create args = {
		.size = sizeof(args),
		.flags = flags,
		.length = length,
	};
	int dev = gmem_open_dev();
	int fd = ioctl(dev, GMEM_CREATE, &args);

	if (fd < 0)
		FAIL("GMEM_CREATE of %llu bytes, flags %#x failed with %s",
		     length, flags, errno_name(errno));
	close(dev);
	return fd;
}

struct gmem_info gmem_info(int fd)
{
	struct gmem_info info;

	/* The out fields start as junk: all of them must be written. */
	memset(&info, 0xa5, sizeof(info));
	info.size = sizeof(info);
	info.flags = 0;
	if (ioctl(fd, GMEM_INFO, &info))
		FAIL("GMEM_INFO failed with %s", errno_name(errno));
	return info;
}

struct gmem_features gmem_features(void)
{
	struct gmem_features f;
	int dev = gmem_open_dev();

	memset(&f, 0xa5, sizeof(f));
	f.size = sizeof(f);
	f.flags = 0;
	if (ioctl(dev, GMEM_FEATURES, &f))
		FAIL("GMEM_FEATURES failed with %s", errno_name(errno));
	close(dev);
	if (f.size != sizeof(f))
		FAIL("GMEM_FEATURES filled %u bytes of %zu", f.size, sizeof(f));
	return f;
}

static const char *const numa_mode_names[] = {
	[GMEM_NUMA_DEFAULT] = "default",
	[GMEM_NUMA_BIND] = "bind",
	[GMEM_NUMA_PREFERRED] = "preferred",
	[GMEM_NUMA_INTERLEAVE] = "interleave",
};

const char *gmem_numa_mode_name(unsigned int mode)
{
	return mode < ARRAY_SIZE(numa_mode_names) ? numa_mode_names[mode] : "?";
}

int gmem_create_numa_raw(unsigned long long length, unsigned int flags,
			 unsigned int mode, uint64_t mask)
{
	static uint64_t words[1];
	struct gmem_create args = {
		.size = sizeof(args),
		.flags = flags,
		.length = length,
		.numa_mode = mode,
	};
	int dev = gmem_open_dev(), fd, err;

	if (mask || mode != GMEM_NUMA_DEFAULT) {
		words[0] = mask;
		args.numa_maxnode = 64;
		args.numa_nodes = (uintptr_t)words;
	}
	fd = ioctl(dev, GMEM_CREATE, &args);
	err = errno;
	close(dev);
	errno = err;
	return fd;
}

int gmem_new_numa(unsigned long long length, unsigned int flags,
		  unsigned int mode, uint64_t mask)
{
	int fd = gmem_create_numa_raw(length, flags, mode, mask);

	if (fd < 0)
		FAIL("GMEM_CREATE of %llu bytes, flags %#x, NUMA %s mask %#llx failed with %s",
		     length, flags, gmem_numa_mode_name(mode),
		     (unsigned long long)mask, errno_name(errno));
	return fd;
}

/* The value of a "key:" line: a number (any base), or a NUMA mode's name. */
static bool fdinfo_value(const char *key, const char *text,
			 unsigned long long *val)
{
	char *end;

	while (*text == ' ' || *text == '\t')
		text++;
	errno = 0;
	*val = strtoull(text, &end, 0);
	if (!errno && end != text && (*end == '\n' || *end == '\0'))
		return true;
	if (strcmp(key, "gmem-numa-mode"))
		return false;
	for (unsigned int i = 0; i < ARRAY_SIZE(numa_mode_names); i++) {
		size_t n = strlen(numa_mode_names[i]);

		if (!strncmp(text, numa_mode_names[i], n) &&
		    (text[n] == '\n' || text[n] == '\0')) {
			*val = i;
			return true;
		}
	}
	return false;
}

struct gmem_info gmem_fdinfo(int fd)
{
	static const char *const keys[] = {
		"gmem-size", "gmem-flags", "gmem-numa-mode", "gmem-allocated",
		"gmem-private", "gmem-shared", "gmem-allocated-private",
		"gmem-allocated-shared", "gmem-large-folios", "gmem-poisoned",
		"gmem-large-fallbacks",
	};
	unsigned long long val[ARRAY_SIZE(keys)];
	bool seen[ARRAY_SIZE(keys)] = { false };
	struct gmem_info info = { 0 };
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		FAIL("%s: %s", path, errno_name(errno));
	while (fgets(line, sizeof(line), f)) {
		for (unsigned int i = 0; i < ARRAY_SIZE(keys); i++) {
			size_t n = strlen(keys[i]);

			if (strncmp(line, keys[i], n) || line[n] != ':')
				continue;
			if (seen[i])
				FAIL("%s: %s appears twice", path, keys[i]);
			if (!fdinfo_value(keys[i], line + n + 1, &val[i]))
				FAIL("%s: malformed line '%s'", path, line);
			seen[i] = true;
		}
	}
	fclose(f);
	for (unsigned int i = 0; i < ARRAY_SIZE(keys); i++)
		if (!seen[i])
			FAIL("%s has no %s line", path, keys[i]);
	info.length = val[0];
	info.create_flags = val[1];
	info.numa_mode = val[2];
	info.allocated = val[3];
	info.private_bytes = val[4];
	info.shared_bytes = val[5];
	info.allocated_private = val[6];
	info.allocated_shared = val[7];
	info.large_folios = val[8];
	info.poisoned = val[9];
	info.large_fallbacks = val[10];
	/* as GMEM_INFO fills in its header */
	info.size = sizeof(info);
	return info;
}

/* @cmd on @fd with the struct at @b must fail with @err, writing nothing. */
static void sized_refused(const char *file, int line, int fd,
			  unsigned long cmd, unsigned char *b, size_t len,
			  int err, const char *what, uint32_t size)
{
	unsigned char *copy = xmalloc(len);
	int ret;

	memcpy(copy, b, len);
	errno = 0;
	ret = ioctl(fd, cmd, b);
	if (ret >= 0 || errno != err)
		test_fail_at(file, line, "command %#lx, size %u, %s: %d (%s), expected %s",
			     cmd, size, what, ret, errno_name(errno),
			     errno_name(err));
	if (memcmp(copy, b, len))
		test_fail_at(file, line, "command %#lx, size %u, %s: refused, but wrote to the struct",
			     cmd, size, what);
	free(copy);
}

void gmem_check_sized_at(const char *file, int line, int fd,
			 unsigned long cmd, uint32_t ksize, uint32_t ver0)
{
	long pg = page_size();
	unsigned char *b = mmap(NULL, pg, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	const uint32_t small[] = { 0, 1, 8, ver0 - 1 };
	const uint32_t big[] = { ksize + 1, ksize + 8, 2 * ksize, pg };
	const uint32_t huge[] = { pg + 1, 2 * pg, UINT32_MAX };
	uint32_t size, flags;

	if (b == MAP_FAILED)
		FAIL("mmap: %s", errno_name(errno));
	for (unsigned int i = 0; i < ARRAY_SIZE(small); i++) {
		memset(b, 0, pg);
		memcpy(b, &small[i], sizeof(small[i]));
		sized_refused(file, line, fd, cmd, b, pg, EINVAL,
			      "below the first version", small[i]);
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(huge); i++) {
		memset(b, 0, pg);
		memcpy(b, &huge[i], sizeof(huge[i]));
		sized_refused(file, line, fd, cmd, b, pg, E2BIG,
			      "above a page", huge[i]);
	}
	for (unsigned int bit = 0; bit < 32; bit += 31) {
		memset(b, 0, pg);
		memcpy(b, &ksize, sizeof(ksize));
		flags = 1U << bit;
		memcpy(b + 4, &flags, sizeof(flags));
		sized_refused(file, line, fd, cmd, b, pg, EINVAL,
			      "flags not zero", ksize);
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(big); i++) {
		memset(b, 0, pg);
		memcpy(b, &big[i], sizeof(big[i]));
		if (ioctl(fd, cmd, b)) {
			test_fail_at(file, line, "command %#lx, size %u, zero tail: %s",
				     cmd, big[i], errno_name(errno));
			continue;
		}
		memcpy(&size, b, sizeof(size));
		if (size != ksize)
			test_fail_at(file, line, "command %#lx, size %u, zero tail: filled %u, expected %u",
				     cmd, big[i], size, ksize);
		for (uint32_t j = ksize; j < big[i]; j++)
			if (b[j]) {
				test_fail_at(file, line, "command %#lx, size %u, zero tail: byte %u written",
					     cmd, big[i], j);
				break;
			}

		memset(b, 0, pg);
		memcpy(b, &big[i], sizeof(big[i]));
		b[big[i] - 1] = 0x01;
		sized_refused(file, line, fd, cmd, b, pg, E2BIG,
			      "last byte non-zero", big[i]);
		b[big[i] - 1] = 0;
		b[ksize] = 0x80;
		sized_refused(file, line, fd, cmd, b, pg, E2BIG,
			      "first byte past the module's struct non-zero",
			      big[i]);
	}
	munmap(b, pg);
}

unsigned long long gmem_fdinfo_value(int fd, const char *key)
{
	unsigned long long val = 0;
	size_t n = strlen(key);
	char path[64], line[256];
	bool seen = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		FAIL("%s: %s", path, errno_name(errno));
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, n) || line[n] != ':')
			continue;
		if (seen || !fdinfo_value(key, line + n + 1, &val)) {
			fclose(f);
			FAIL("%s: line '%s' repeated or malformed", path, line);
		}
		seen = true;
	}
	fclose(f);
	if (!seen)
		FAIL("%s has no %s line", path, key);
	return val;
}

int gmem_fdinfo_nodes(int fd, uint64_t *bytes, int nr)
{
	static const char key[] = "gmem-node";
	char path[64], line[256];
	int lines = 0;
	FILE *f;

	for (int i = 0; i < nr; i++)
		bytes[i] = 0;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		FAIL("%s: %s", path, errno_name(errno));
	while (fgets(line, sizeof(line), f)) {
		unsigned long long val;
		char *end;
		long node;

		if (strncmp(line, key, sizeof(key) - 1))
			continue;
		errno = 0;
		node = strtol(line + sizeof(key) - 1, &end, 10);
		if (errno || end == line + sizeof(key) - 1 || *end != ':' ||
		    !fdinfo_value(key, end + 1, &val))
			FAIL("%s: malformed line '%s'", path, line);
		if (node < 0 || node >= nr)
			FAIL("%s: line '%s' for node %ld, expected one below %d",
			     path, line, node, nr);
		bytes[node] = val;
		lines++;
	}
	fclose(f);
	return lines;
}

void gmem_node_bytes_at(const char *file, int line, int fd, uint64_t n0,
			uint64_t n1, bool sum_is_allocated)
{
	uint64_t bytes[GMEM_MAX_NODES], sum = 0, allocated = 0;

	if (sum_is_allocated)
		allocated = gmem_info(fd).allocated;
	gmem_fdinfo_nodes(fd, bytes, GMEM_MAX_NODES);
	for (int i = 0; i < GMEM_MAX_NODES; i++)
		sum += bytes[i];
	if (bytes[0] != n0 || bytes[1] != n1)
		test_fail_at(file, line,
			     "fdinfo: gmem-node0 %llu, gmem-node1 %llu; expected %llu, %llu",
			     (unsigned long long)bytes[0],
			     (unsigned long long)bytes[1],
			     (unsigned long long)n0, (unsigned long long)n1);
	if (sum_is_allocated && sum != allocated)
		test_fail_at(file, line,
			     "fdinfo: the gmem-node lines add up to %llu, allocated is %llu",
			     (unsigned long long)sum,
			     (unsigned long long)allocated);
}

struct gmem_stats gmem_stats(void)
{
	static const char *const names[] = {
		"allocated_bytes", "private_bytes", "shared_bytes",
		"large_folios", "poisoned_bytes", "fds",
	};
	unsigned long long val[ARRAY_SIZE(names)];
	char path[128];

	for (unsigned int i = 0; i < ARRAY_SIZE(names); i++) {
		int ret;

		snprintf(path, sizeof(path), "%s/%s", GMEM_STATS_DIR, names[i]);
		ret = read_ull(path, &val[i]);
		if (ret)
			FAIL("reading %s: %s", path, errno_name(-ret));
	}
	return (struct gmem_stats){
		.allocated_bytes = val[0], .private_bytes = val[1],
		.shared_bytes = val[2], .large_folios = val[3],
		.poisoned_bytes = val[4], .fds = val[5],
	};
}

int gmem_bool_param(const char *path)
{
	char buf[8] = "";
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	if (buf[0] == 'Y' || buf[0] == 'y' || buf[0] == '1')
		return 1;
	if (buf[0] == 'N' || buf[0] == 'n' || buf[0] == '0')
		return 0;
	return -EINVAL;
}

int gmem_huge_param(void)
{
	return gmem_bool_param(GMEM_HUGE_PARAM);
}

int gmem_set_huge_param(bool on)
{
	return write_str(GMEM_HUGE_PARAM, on ? "Y" : "N");
}

int gmem_migrate_raw(int fd, uint64_t off, uint64_t len, uint32_t node,
		     uint64_t *moved, uint64_t *error_offset)
{
	struct gmem_migrate args = {
		.offset = off,
		.length = len,
		.node = node,
		.moved = GMEM_UNTOUCHED,
		.error_offset = GMEM_UNTOUCHED,
	};
	int ret = ioctl(fd, GMEM_MIGRATE, &args);

	if (moved)
		*moved = args.moved;
	if (error_offset)
		*error_offset = args.error_offset;
	return ret;
}

uint64_t gmem_migrate_at(const char *file, int line, int fd, uint64_t off,
			 uint64_t len, uint32_t node)
{
	uint64_t moved, error_offset, total = 0;
	int busy = 0;

	/*
	 * As for GMEM_CONVERT, a page just added to a per-CPU LRU batch may
	 * read as busy for a moment: EBUSY is retried, what moved summed.
	 */
	while (gmem_migrate_raw(fd, off, len, node, &moved, &error_offset)) {
		if (moved != GMEM_UNTOUCHED)
			total += moved;
		if (errno == EBUSY && ++busy < GMEM_CONVERT_TRIES) {
			usleep(1000);
			continue;
		}
		test_fail_at(file, line,
			     "GMEM_MIGRATE of [%#llx, +%#llx) to node %u failed with %s (moved %#llx, error_offset %#llx, %d EBUSYs)",
			     (unsigned long long)off, (unsigned long long)len,
			     node, errno_name(errno),
			     (unsigned long long)moved,
			     (unsigned long long)error_offset, busy);
		test_end();
	}
	if (busy)
		test_diag("GMEM_MIGRATE of [%#llx, +%#llx): %d transient EBUSYs",
			  (unsigned long long)off, (unsigned long long)len,
			  busy);
	if (error_offset != GMEM_UNTOUCHED)
		test_fail_at(file, line,
			     "GMEM_MIGRATE of [%#llx, +%#llx) worked but wrote error_offset %#llx",
			     (unsigned long long)off, (unsigned long long)len,
			     (unsigned long long)error_offset);
	total += moved;
	if (total > len + 2 * GMEM_HUGE_SIZE) {
		test_fail_at(file, line,
			     "GMEM_MIGRATE of [%#llx, +%#llx) says it moved %#llx bytes",
			     (unsigned long long)off, (unsigned long long)len,
			     (unsigned long long)total);
		test_end();
	}
	return total;
}

int gmem_convert_raw(int fd, uint64_t off, uint64_t len, uint32_t to,
		     uint32_t flags)
{
	struct gmem_convert args = {
		.offset = off,
		.length = len,
		.to = to,
		.flags = flags,
	};

	return ioctl(fd, GMEM_CONVERT, &args);
}

int gmem_convert_at(const char *file, int line, int fd, uint64_t off,
		    uint64_t len, uint32_t to, uint32_t flags, int tries)
{
	struct gmem_convert args;
	int again = 0;

	for (;;) {
		args = (struct gmem_convert) {
			.offset = off, .length = len, .to = to, .flags = flags,
		};
		if (!ioctl(fd, GMEM_CONVERT, &args))
			return again;
		if (errno != EAGAIN || ++again >= tries)
			break;
		usleep(1000);
	}
	test_fail_at(file, line,
		     "GMEM_CONVERT of [%#llx, +%#llx) to %s (flags %#x) failed with %s%s (error_offset %#llx, %d EAGAINs)",
		     (unsigned long long)off, (unsigned long long)len,
		     to == GMEM_SHARED ? "shared" : "private", flags,
		     errno_name(errno), errno == EAGAIN ? " every time" : "",
		     (unsigned long long)args.error_offset, again);
	test_end();
}

int gmem_populate_raw(int fd, uint64_t off, uint64_t len, const void *src,
		      uint64_t *copied)
{
	struct gmem_populate args = {
		.offset = off,
		.length = len,
		.uaddr = (uintptr_t)src,
	};
	int ret = ioctl(fd, GMEM_POPULATE, &args);

	if (copied)
		*copied = args.copied;
	return ret;
}

void gmem_populate_at(const char *file, int line, int fd, uint64_t off,
		      uint64_t len, const void *src)
{
	uint64_t copied = 0;

	if (gmem_populate_raw(fd, off, len, src, &copied)) {
		test_fail_at(file, line,
			     "GMEM_POPULATE of [%#llx, +%#llx) failed with %s, copied %llu",
			     (unsigned long long)off, (unsigned long long)len,
			     errno_name(errno), (unsigned long long)copied);
		test_end();
	}
	if (copied != len) {
		test_fail_at(file, line,
			     "GMEM_POPULATE of [%#llx, +%#llx) copied %llu",
			     (unsigned long long)off, (unsigned long long)len,
			     (unsigned long long)copied);
		test_end();
	}
}

int gmem_query_raw(int fd, uint64_t off, uint64_t len,
		   struct gmem_query_run *runs, uint32_t cap,
		   uint32_t *nr_runs, uint64_t *next)
{
	struct gmem_query args = {
		.offset = off,
		.length = len,
		.runs = (uintptr_t)runs,
		.nr_runs = cap,
		.next_offset = GMEM_UNTOUCHED,
	};
	int ret = ioctl(fd, GMEM_QUERY, &args);

	if (nr_runs)
		*nr_runs = args.nr_runs;
	if (next)
		*next = args.next_offset;
	return ret;
}

int gmem_reopen(int fd, int flags)
{
	char path[64];
	int r;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	r = open(path, flags | O_CLOEXEC);
	if (r < 0)
		FAIL("open(%s, %#x): %s", path, flags, errno_name(errno));
	return r;
}

void *gmem_map(int fd, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		FAIL("mmap of %zu bytes of gmem fd %d failed with %s", len, fd,
		     errno_name(errno));
	return p;
}

long long gmem_free_huge_blocks(void)
{
	FILE *f = fopen("/proc/buddyinfo", "re");
	long long blocks = 0;
	char line[512];

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "zone");
		int order = 0, n;
		long long count;

		if (!p)
			continue;
		p += 4;
		while (*p == ' ')
			p++;
		while (*p && *p != ' ')		/* the zone's name */
			p++;
		while (sscanf(p, "%lld%n", &count, &n) == 1) {
			if (order >= GMEM_HUGE_ORDER)
				blocks += count << (order - GMEM_HUGE_ORDER);
			order++;
			p += n;
		}
	}
	fclose(f);
	return blocks;
}

/*
 * The tests that expect 2 MiB folios need free 2 MiB blocks; earlier tests
 * may have fragmented memory, so compact it if there are too few.  gmem
 * itself only tries lightly (it falls back to small folios), which is
 * tested on its own below.
 */
void gmem_need_huge_blocks(long long n)
{
	long long blocks = gmem_free_huge_blocks();

	if (blocks >= 0 && blocks < n + 8) {
		write_str("/proc/sys/vm/compact_memory", "1");
		blocks = gmem_free_huge_blocks();
	}
	if (blocks >= 0 && blocks < n)
		test_skip("only %lld free 2 MiB blocks after compaction, the test needs %lld",
			  blocks, n);
}

void *gmem_map_aligned(int fd, size_t len, size_t align)
{
	unsigned char *area, *at, *p;

	/* reserve room to slide into alignment, then map over it */
	area = mmap(NULL, len + align, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (area == MAP_FAILED)
		FAIL("reserving %zu bytes of address space: %s", len + align,
		     errno_name(errno));
	at = (unsigned char *)(((uintptr_t)area + align - 1) & ~(align - 1));
	p = mmap(at, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
		 0);
	if (p == MAP_FAILED)
		FAIL("mmap of %zu bytes of gmem fd %d at %p failed with %s",
		     len, fd, at, errno_name(errno));
	/* give back the rest of the reservation */
	if (at > area)
		munmap(area, at - area);
	if (area + len + align > at + len)
		munmap(at + len, area + len + align - (at + len));
	return p;
}

/*
 * Pattern bytes.  Position p of a pattern (its offset in the fd, or in the
 * buffer) lies in the page at p - p % pg, whose key is a hash of the fd's
 * id, that page's offset and the seed; byte p is byte p % 8 of the hash of
 * the key and the word's index (p % pg) / 8.  So every word of a page
 * depends on its fd, its offset and its seed, with no period.
 */
struct pattern_cursor {
	uint64_t id, page_off, key, word_no, word;
	unsigned int seed;
	uint64_t pg;
};

static uint64_t pattern_mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t pattern_key(uint64_t id, uint64_t page_off, unsigned int seed)
{
	uint64_t k = pattern_mix(id + 0x9e3779b97f4a7c15ULL);

	k = pattern_mix(k ^ page_off);
	return pattern_mix(k ^ seed);
}

static uint64_t pattern_word(uint64_t key, uint64_t word_no)
{
	return pattern_mix(key + (word_no + 1) * 0x9e3779b97f4a7c15ULL);
}

static void pattern_start(struct pattern_cursor *c, uint64_t id,
			  unsigned int seed)
{
	*c = (struct pattern_cursor){
		.id = id, .seed = seed, .pg = page_size(),
		.page_off = UINT64_MAX, .word_no = UINT64_MAX,
	};
}

static unsigned char pattern_byte(struct pattern_cursor *c, uint64_t p)
{
	uint64_t page_off = p - p % c->pg, word_no = p % c->pg / 8;

	if (page_off != c->page_off) {
		c->page_off = page_off;
		c->key = pattern_key(c->id, page_off, c->seed);
		c->word_no = UINT64_MAX;
	}
	if (word_no != c->word_no) {
		c->word_no = word_no;
		c->word = pattern_word(c->key, word_no);
	}
	return c->word >> (p % 8 * 8);
}

uint64_t gmem_fd_id(int fd)
{
	struct stat st;

	if (fd < 0)
		return 0;
	ASSERT_SYS(fstat(fd, &st));
	/* never 0, the id of a buffer's own pattern */
	return (uint64_t)st.st_ino | 1ULL << 63;
}

void fill_pattern_id(void *buf, size_t len, uint64_t id, uint64_t off,
		     unsigned int seed)
{
	struct pattern_cursor c;
	unsigned char *b = buf;

	pattern_start(&c, id, seed);
	for (size_t i = 0; i < len; i++)
		b[i] = pattern_byte(&c, off + i);
}

void fill_pattern_at(void *buf, size_t len, int fd, uint64_t off,
		     unsigned int seed)
{
	fill_pattern_id(buf, len, gmem_fd_id(fd), off, seed);
}

void fill_pattern(void *buf, size_t len, unsigned int seed)
{
	fill_pattern_id(buf, len, 0, 0, seed);
}

void *xmalloc(size_t len)
{
	void *p = malloc(len);

	ASSERT_TRUE(p != NULL);
	return p;
}

unsigned char *pattern_pages(size_t len, unsigned int seed)
{
	unsigned char *p = xmalloc(len);
	long pg = page_size();

	for (size_t i = 0; i < len / pg; i++)
		fill_pattern(p + i * pg, pg, seed + i);
	return p;
}

unsigned char *pattern_pages_at(int fd, uint64_t off, size_t len,
				unsigned int seed)
{
	unsigned char *p = xmalloc(len);

	fill_pattern_at(p, len, fd, off, seed);
	return p;
}

/*
 * What the page at @page (a whole page of a buffer that should hold the
 * pattern of @id, @seed at @off) holds instead, as a diagnostic: zeroes,
 * or the pattern page of another offset (a page moved or swapped) or of
 * another id, if it is one of those nearby.
 */
static void pattern_describe(const unsigned char *page, uint64_t id,
			     uint64_t off, unsigned int seed)
{
	uint64_t pg = page_size(), first, want = pattern_word(pattern_key(id, off, seed), 0);
	const uint64_t span = 4096 * pg;

	memcpy(&first, page, sizeof(first));
	if (nonzero_at(page, pg) < 0) {
		test_diag("pattern: the page at offset %#llx reads zeroes",
			  (unsigned long long)off);
		return;
	}
	for (uint64_t o = off > span ? off - span : 0; o <= off + span; o += pg) {
		if (o == off || first != pattern_word(pattern_key(id, o, seed), 0))
			continue;
		test_diag("pattern: the page at offset %#llx holds the page of offset %#llx",
			  (unsigned long long)off, (unsigned long long)o);
		return;
	}
	test_diag("pattern: the page at offset %#llx holds something else (first word %#llx, expected %#llx)",
		  (unsigned long long)off, (unsigned long long)first,
		  (unsigned long long)want);
}

long long pattern_mismatch_id(const void *buf, size_t len, uint64_t id,
			      uint64_t off, unsigned int seed)
{
	const unsigned char *p = buf;
	struct pattern_cursor c;
	uint64_t pg = page_size();

	pattern_start(&c, id, seed);
	for (size_t i = 0; i < len; i++) {
		uint64_t at = off + i, start;

		if (p[i] == pattern_byte(&c, at))
			continue;
		/* the whole page is in the buffer: say what it holds */
		start = at - at % pg;
		if (start >= off && start - off + pg <= len)
			pattern_describe(p + (start - off), id, start, seed);
		return i;
	}
	return -1;
}

long long pattern_mismatch_at(const void *buf, size_t len, int fd,
			      uint64_t off, unsigned int seed)
{
	return pattern_mismatch_id(buf, len, gmem_fd_id(fd), off, seed);
}

long long pattern_mismatch(const void *buf, size_t len, unsigned int seed)
{
	return pattern_mismatch_id(buf, len, 0, 0, seed);
}

long long nonzero_at(const void *buf, size_t len)
{
	const unsigned char *p = buf;

	for (size_t i = 0; i < len; i++)
		if (p[i])
			return i;
	return -1;
}

/* pagemap entry bits: present; swapped, which a migration entry also is */
#define PM_PRESENT	(1ULL << 63)
#define PM_SWAP		(1ULL << 62)

uint64_t pagemap_pfn(const void *addr)
{
	int fd = ASSERT_SYS(open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC));
	uint64_t entry = 0;
	int tries = 0;

	/*
	 * A page compaction, kcompactd or NUMA balancing is moving right
	 * now shows as a migration entry (not present, "swapped"): wait
	 * for the move to end rather than fail a test over it.  The guests
	 * have no swap, so such an entry never stays for long.
	 */
	do {
		if (tries)
			usleep(10 * 1000);
		ASSERT_EQ(pread(fd, &entry, sizeof(entry),
				(uintptr_t)addr / page_size() * sizeof(entry)),
			  sizeof(entry));
	} while (!(entry & PM_PRESENT) && (entry & PM_SWAP) && ++tries < 200);
	close(fd);
	if (!(entry & PM_PRESENT))
		FAIL("%p is not present in pagemap%s", addr,
		     entry & PM_SWAP ? " (a swap or migration entry for 2 s)" : "");
	if (!(entry & ((1ULL << 55) - 1)))
		FAIL("pagemap hides the pfn of %p (not root?)", addr);
	return entry & ((1ULL << 55) - 1);
}

/* /proc/kpageflags: KPF_COMPOUND_HEAD */
#define KPF_HEAD_BIT	15

bool pfn_is_folio_head(uint64_t pfn)
{
	int fd = ASSERT_SYS(open("/proc/kpageflags", O_RDONLY | O_CLOEXEC));
	uint64_t flags = 0;

	ASSERT_EQ(pread(fd, &flags, sizeof(flags), pfn * sizeof(flags)),
		  sizeof(flags));
	close(fd);
	return flags >> KPF_HEAD_BIT & 1;
}

bool gmem_pmd_mapping_expected(void)
{
	char mode[128] = "";
	FILE *f;

	f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "re");
	if (!f)
		return false;
	if (!fgets(mode, sizeof(mode), f))
		mode[0] = 0;
	fclose(f);
	return kernel_at_least(6, 15) && !strstr(mode, "[never]");
}
