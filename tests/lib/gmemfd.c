// SPDX-License-Identifier: GPL-2.0
#include <fcntl.h>
#include <sys/ioctl.h>
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
