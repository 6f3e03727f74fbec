// SPDX-License-Identifier: GPL-2.0
/*
 * gmem-example: gmem's API step by step, for a human to read along.
 *
 * Creates a 256 MiB gmem fd, allocates all of it, punches half, closes it,
 * and shows after each step what the kernel says: st_blocks of the fd and
 * the machine's free memory.  Exits 1 at the first error, naming the errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/gmem.h>

#include "sys.h"

#define LENGTH	(256 * MiB)

static int step_nr;

static void step(const char *what)
{
	printf("\n[%d] %s\n", ++step_nr, what);
	fflush(stdout);
}

static void __attribute__((noreturn)) die(const char *what)
{
	int err = errno;

	printf("    FAILED: %s: %s (%s)\n", what, errno_name(err),
	       strerror(err));
	exit(1);
}

static void __attribute__((noreturn)) die_msg(const char *msg)
{
	printf("    FAILED: %s\n", msg);
	exit(1);
}

/* MemFree, and free memory counting the per-CPU free lists, in kB. */
struct mem {
	long long memfree, free;
};

static struct mem mem_now(void)
{
	struct mem m = { memfree_kb(), free_kb() };

	if (m.memfree < 0 || m.free < 0)
		die_msg("cannot read /proc/meminfo");
	return m;
}

/*
 * Both figures, and how far they moved since @before.  MemFree leaves out
 * the pages parked in per-CPU free lists, tens of MiB on newer kernels,
 * so only the second figure comes back exactly.
 */
static void show_mem(struct mem now, struct mem before)
{
	printf("    MemFree %lld MiB (%+lld); free incl. per-CPU lists %lld MiB (%+lld)\n",
	       now.memfree / 1024, (now.memfree - before.memfree) / 1024,
	       now.free / 1024, (now.free - before.free) / 1024);
}

/* Shows st_blocks and checks it is what the steps so far should give. */
static void show_blocks(int fd, unsigned long long expect)
{
	struct stat st;

	if (fstat(fd, &st))
		die("fstat");
	printf("    st_blocks %lld = %lld MiB allocated\n",
	       (long long)st.st_blocks, (long long)st.st_blocks * 512 / MiB);
	if ((unsigned long long)st.st_blocks * 512 != expect)
		die_msg("st_blocks does not match what was allocated");
}

int main(void)
{
	struct gmem_create args = {
		.size = sizeof(args),
		.flags = 0,
		.length = LENGTH,
	};
	struct mem before;
	struct stat st;
	double t;
	int dev, fd;

	printf("gmem example: guest private memory from /dev/gmem\n");

	step("open(\"/dev/gmem\", O_RDWR)");
	dev = open("/dev/gmem", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		die("open /dev/gmem");
	printf("    fd %d\n", dev);

	step("ioctl(GMEM_CREATE, { .size = 32, .length = 256 MiB })");
	fd = ioctl(dev, GMEM_CREATE, &args);
	if (fd < 0)
		die("GMEM_CREATE");
	printf("    new fd %d, close-on-exec %s\n", fd,
	       fcntl(fd, F_GETFD) & FD_CLOEXEC ? "yes" : "NO");
	close(dev);
	printf("    /dev/gmem closed again: the new fd stands on its own\n");

	step("fstat(fd)");
	if (fstat(fd, &st))
		die("fstat");
	printf("    %s, st_size %lld (%lld MiB), st_blksize %ld\n",
	       S_ISREG(st.st_mode) ? "regular file" : "NOT a regular file",
	       (long long)st.st_size, (long long)st.st_size / (long long)MiB,
	       (long)st.st_blksize);
	show_blocks(fd, 0);

	step("free memory before allocating");
	before = mem_now();
	show_mem(before, before);

	step("fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 256 MiB)");
	t = now_s();
	if (fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, LENGTH))
		die("fallocate");
	t = now_s() - t;
	printf("    took %.3f s (%.0f MiB/s)\n", t, LENGTH / MiB / t);
	show_mem(mem_now(), before);
	show_blocks(fd, LENGTH);

	step("fallocate(fd, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE, 128 MiB, 128 MiB)");
	if (fallocate(fd, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE,
		      LENGTH / 2, LENGTH / 2))
		die("fallocate punch");
	show_mem(mem_now(), before);
	show_blocks(fd, LENGTH / 2);

	step("close(fd)");
	if (close(fd))
		die("close");
	/* freed pages may take a moment to reach the free lists */
	wait_kb(free_kb, before.free, 1000);
	show_mem(mem_now(), before);

	printf("\ndone: all steps succeeded\n");
	return 0;
}
