// SPDX-License-Identifier: GPL-2.0
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

	memset(&info, 0xa5, sizeof(info));
	if (ioctl(fd, GMEM_INFO, &info))
		FAIL("GMEM_INFO failed with %s", errno_name(errno));
	return info;
}

struct gmem_info gmem_fdinfo(int fd)
{
	static const char *const keys[] = {
		"gmem-size", "gmem-flags", "gmem-allocated", "gmem-private",
		"gmem-shared",
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
			char *end;

			if (strncmp(line, keys[i], n) || line[n] != ':')
				continue;
			if (seen[i])
				FAIL("%s: %s appears twice", path, keys[i]);
			errno = 0;
			val[i] = strtoull(line + n + 1, &end, 0);
			if (errno || end == line + n + 1 ||
			    (*end != '\n' && *end != '\0'))
				FAIL("%s: malformed line '%s'", path, line);
			seen[i] = true;
		}
	}
	fclose(f);
	for (unsigned int i = 0; i < ARRAY_SIZE(keys); i++)
		if (!seen[i])
			FAIL("%s has no %s line", path, keys[i]);
	info.size = val[0];
	info.flags = val[1];
	info.allocated = val[2];
	info.private_bytes = val[3];
	info.shared_bytes = val[4];
	return info;
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

void *gmem_map(int fd, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		FAIL("mmap of %zu bytes of gmem fd %d failed with %s", len, fd,
		     errno_name(errno));
	return p;
}

static unsigned char pattern_byte(size_t i, unsigned int seed)
{
	return (unsigned char)(i * 131 + (i >> 12) * 7 + seed * 251 + 1);
}

void fill_pattern(void *buf, size_t len, unsigned int seed)
{
	unsigned char *p = buf;

	for (size_t i = 0; i < len; i++)
		p[i] = pattern_byte(i, seed);
}

long long pattern_mismatch(const void *buf, size_t len, unsigned int seed)
{
	const unsigned char *p = buf;

	for (size_t i = 0; i < len; i++)
		if (p[i] != pattern_byte(i, seed))
			return i;
	return -1;
}

long long nonzero_at(const void *buf, size_t len)
{
	const unsigned char *p = buf;

	for (size_t i = 0; i < len; i++)
		if (p[i])
			return i;
	return -1;
}
