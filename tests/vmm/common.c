// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <linux/gmem.h>

#include "common.h"

static void fill32(uint8_t *p, size_t len, uint32_t v)
{
	for (size_t i = 0; i + 4 <= len; i += 4)
		memcpy(p + i, &v, 4);
}

const uint8_t *guest_image(void)
{
	static uint8_t img[GUEST_MEM_SIZE];
	static bool done;
	uint32_t x = 0x12345678;

	if (done)
		return img;
	memcpy(img + GUEST_CODE, guest_blob, GUEST_BLOB_LEN);
	/* Data no two runs of a wrong checksum would agree on: xorshift32. */
	for (unsigned int i = 0; i < GUEST_DATA_LEN; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		img[GUEST_DATA + i] = x >> 24;
	}
	fill32(img + GUEST_SHARE_PAGE, GUEST_PAGE, SHARE_FILL);
	fill32(img + GUEST_PUNCH_PAGE, GUEST_PAGE, PUNCH_FILL);
	fill32(img + GUEST_POISON_PAGE, GUEST_PAGE, POISON_FILL);
	done = true;
	return img;
}

int gmem_new(uint64_t size, uint32_t flags)
{
	struct gmem_create c = {
		.size = sizeof(c), .flags = flags, .length = size,
	};
	int dev, fd;

	dev = open("/dev/gmem", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		FAIL("open /dev/gmem: %s (is gmem loaded?)", errno_name(errno));
	fd = ioctl(dev, GMEM_CREATE, &c);
	if (fd < 0)
		FAIL("GMEM_CREATE %#llx bytes, flags %#x: %s",
		     (unsigned long long)size, flags, errno_name(errno));
	close(dev);
	return fd;
}

int gmem_convert(int fd, uint64_t off, uint64_t len, uint32_t to)
{
	struct gmem_convert cv = { .offset = off, .length = len, .to = to };

	for (int tries = 0; tries < 200; tries++) {
		if (!ioctl(fd, GMEM_CONVERT, &cv))
			return 0;
		if (errno != EAGAIN)
			return -errno;
		usleep(10 * 1000);
	}
	return -EAGAIN;
}

int gmem_populate(int fd, uint64_t off, const void *src, uint64_t len)
{
	struct gmem_populate p = {
		.offset = off, .length = len, .uaddr = (uintptr_t)src,
	};

	return ioctl(fd, GMEM_POPULATE, &p) ? -errno : 0;
}

int gmem_punch(int fd, uint64_t off, uint64_t len)
{
	return fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			 off, len) ? -errno : 0;
}

void *gmem_map(int fd, uint64_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		FAIL("mmap of the gmem fd: %s", errno_name(errno));
	return p;
}

bool host_can_read(const void *addr)
{
	int fd = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
	char c;
	bool ok;

	if (fd < 0)
		FAIL("open /proc/self/mem: %s", errno_name(errno));
	ok = pread(fd, &c, 1, (uintptr_t)addr) == 1;
	close(fd);
	return ok;
}

unsigned long long gmem_refcnt(void)
{
	unsigned long long v;
	int r = read_ull("/sys/module/gmem/refcnt", &v);

	if (r)
		FAIL("/sys/module/gmem/refcnt: %s", errno_name(-r));
	return v;
}

unsigned long long gmem_refcnt_wait(unsigned long long want)
{
	unsigned long long v = gmem_refcnt();

	for (int i = 0; i < 500 && v != want; i++) {
		usleep(10 * 1000);
		v = gmem_refcnt();
	}
	return v;
}

const char *kvm_flavour(void)
{
	const char *f = getenv("gmem_kvm");

	return f && *f ? f : NULL;
}

bool kvm_is_patched(void)
{
	const char *f = kvm_flavour();

	return f && !strcmp(f, "patched");
}

uint32_t guest_do(const char *file, int line, struct vm *vm, uint32_t cmd,
		  const uint32_t *args, unsigned int nargs)
{
	struct vexit x;
	uint32_t res;

	if (!guest_cmd(vm, cmd, args, nargs, &res, &x)) {
		test_fail_at(file, line, "guest command %u: %s", cmd,
			     vexit_str(&x));
		test_end();
	}
	if (res == RESULT_BAD_CMD) {
		test_fail_at(file, line, "guest refused command %u", cmd);
		test_end();
	}
	return res;
}

uint32_t guest_done(const char *file, int line, struct vm *vm)
{
	struct vexit x;
	uint32_t res;

	if (!guest_finish(vm, &res, &x)) {
		test_fail_at(file, line, "guest did not finish its command: %s",
			     vexit_str(&x));
		test_end();
	}
	return res;
}

void guest_exit(const char *file, int line, struct vm *vm, struct vexit *x,
		uint32_t cmd, const uint32_t *args, unsigned int nargs)
{
	uint32_t res;

	if (guest_cmd(vm, cmd, args, nargs, &res, x)) {
		test_fail_at(file, line,
			     "guest command %u completed (result %#x) instead of exiting",
			     cmd, res);
		test_end();
	}
}
