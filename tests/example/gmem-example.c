// SPDX-License-Identifier: GPL-2.0
/*
 * gmem-example: gmem's API step by step, for a human to read along.
 *
 * Creates a 256 MiB gmem fd that may be mapped, loads a small "guest
 * image" into its private memory with GMEM_POPULATE, shares the first
 * pages of it (GMEM_CONVERT), maps the fd and prints what the VMM sees
 * there (and what pread() sees), takes the pages back, then allocates all
 * of it, punches half and closes it.  Then it restores a "snapshot" on
 * demand into a second fd (GMEM_MISSING_ARM, GMEM_MISSING_EVENTS): a
 * handler thread fills each page when the "guest" first touches it.  It
 * asks GMEM_FEATURES first and uses GMEM_QUERY, read() and demand paging
 * only where the module has them.  After each step it
 * shows what the kernel says: GMEM_INFO, GMEM_QUERY's layout, st_blocks
 * and the machine's free memory.  Exits 1 at the first error,
 * naming the errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/gmem.h>

#include "sys.h"

#define LENGTH	(256 * MiB)
#define IMAGE	(64 * KiB)	/* the "guest image" populated at offset 0 */
#define SHARE	(16 * KiB)	/* how much of it the guest shares */

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
	if ((unsigned long long)st.st_blocks * 512 >= MiB)
		printf("    st_blocks %lld = %lld MiB allocated\n",
		       (long long)st.st_blocks,
		       (long long)st.st_blocks * 512 / MiB);
	else
		printf("    st_blocks %lld = %lld KiB allocated\n",
		       (long long)st.st_blocks,
		       (long long)st.st_blocks * 512 / KiB);
	if ((unsigned long long)st.st_blocks * 512 != expect)
		die_msg("st_blocks does not match what was allocated");
}

static void show_info(int fd)
{
	struct gmem_info info = { .size = sizeof(info) };

	if (ioctl(fd, GMEM_INFO, &info))
		die("GMEM_INFO");
	printf("    GMEM_INFO: size %llu MiB, flags %#x, allocated %llu KiB, private %llu KiB, shared %llu KiB\n",
	       (unsigned long long)info.length / MiB, info.create_flags,
	       (unsigned long long)info.allocated / KiB,
	       (unsigned long long)info.private_bytes / KiB,
	       (unsigned long long)info.shared_bytes / KiB);
}

/*
 * What the module can do, asked once before anything optional is used.
 * A module older than this program answers fewer bytes (@size on
 * return); a field it did not fill in reads as "not supported".
 */
static struct gmem_features features(int dev)
{
	struct gmem_features f = { .size = sizeof(f) };

	if (ioctl(dev, GMEM_FEATURES, &f))
		die("GMEM_FEATURES");
	if (f.size < sizeof(f))
		memset((char *)&f + f.size, 0, sizeof(f) - f.size);
	return f;
}

static int fd_ioctl_served(const struct gmem_features *f, unsigned long cmd)
{
	return !!(f->fd_ioctls & (1ULL << _IOC_NR(cmd)));
}

/*
 * The fd's layout, [0, @length), as GMEM_QUERY's runs.  Two runs a call,
 * to show the loop every caller needs: ask again from next_offset until
 * the range is covered.
 */
static void show_layout(int fd, uint64_t length)
{
	struct gmem_query_run runs[2];
	struct gmem_query q = { .offset = 0, .length = length };
	int calls = 0;

	do {
		q.runs = (uintptr_t)runs;
		q.nr_runs = sizeof(runs) / sizeof(runs[0]);
		if (ioctl(fd, GMEM_QUERY, &q))
			die("GMEM_QUERY");
		calls++;
		for (unsigned int i = 0; i < q.nr_runs; i++)
			printf("    %9llu KiB + %9llu KiB: %s%s%s%s%s\n",
			       (unsigned long long)runs[i].offset / KiB,
			       (unsigned long long)runs[i].length / KiB,
			       runs[i].state & GMEM_PAGE_SHARED ? "shared" : "private",
			       runs[i].state & GMEM_PAGE_ALLOCATED ? ", allocated" : ", hole",
			       runs[i].state & GMEM_PAGE_HUGE ? ", 2 MiB folios" : "",
			       runs[i].state & GMEM_PAGE_POISONED ? ", POISONED" : "",
			       runs[i].state & GMEM_PAGE_MISSING ? ", missing" : "");
		q.length -= q.next_offset - q.offset;
		q.offset = q.next_offset;
	} while (q.length);
	printf("    (GMEM_QUERY, %d call%s of at most 2 runs)\n", calls,
	       calls == 1 ? "" : "s");
}

static void convert(int fd, uint64_t offset, uint64_t length, uint32_t to)
{
	struct gmem_convert cv = {
		.offset = offset, .length = length, .to = to,
	};
	int tries = 0;

	/* shared -> private: EAGAIN while something still holds a page */
	while (ioctl(fd, GMEM_CONVERT, &cv)) {
		if (errno != EAGAIN || ++tries > 100)
			die("GMEM_CONVERT");
		printf("    EAGAIN: page at offset %llu still in use, retrying\n",
		       (unsigned long long)cv.error_offset);
		usleep(1000);
	}
}

/* Prints @len bytes at @p as hex and as text, 16 to a line. */
static void dump(const unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i += 16) {
		printf("    %04zx: ", i);
		for (size_t j = i; j < i + 16; j++)
			printf("%02x ", p[j]);
		printf(" |");
		for (size_t j = i; j < i + 16; j++)
			putchar(p[j] >= 0x20 && p[j] < 0x7f ? p[j] : '.');
		printf("|\n");
	}
}

static sigjmp_buf sigbus_jmp;

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(sigbus_jmp, 1);
}

/* Reads the byte at @p; says whether that raised SIGBUS. */
static int touch_sigbus(const volatile unsigned char *p)
{
	struct sigaction sa = { .sa_handler = on_sigbus }, old;
	int bus = 0;

	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(sigbus_jmp, 1) == 0)
		(void)*p;
	else
		bus = 1;
	sigaction(SIGBUS, &old, NULL);
	return bus;
}

/* ---- demand paging: restoring a snapshot as the guest touches it ---- */

#define SNAP	(1 * MiB)	/* the snapshot's size */

struct restore {
	int fd;			/* the memory fd being restored */
	int efd;		/* its event fd */
	const unsigned char *snapshot;
	int stop;		/* a pipe's read end: the guest is done */
	unsigned int filled[4];	/* pages filled, by source */
};

/*
 * The VMM's handler thread: read what is missing, fill it from the
 * snapshot with pwrite() (a private page would take GMEM_POPULATE), and
 * the toucher goes on.  There is no wake call: the fill is the wake.
 */
static void *restore_handler(void *arg)
{
	struct restore *r = arg;
	struct pollfd p[2] = {
		{ .fd = r->efd, .events = POLLIN },
		{ .fd = r->stop, .events = POLLIN },
	};

	for (;;) {
		struct gmem_missing_event ev[16];
		ssize_t n;

		if (poll(p, 2, -1) < 0)
			die("poll");
		if (p[1].revents)
			return NULL;
		n = read(r->efd, ev, sizeof(ev));
		if (n < 0)
			die("read of the event fd");
		for (unsigned int i = 0; i < n / sizeof(ev[0]); i++) {
			if (pwrite(r->fd, r->snapshot + ev[i].offset,
				   ev[i].length, ev[i].offset) !=
			    (ssize_t)ev[i].length)
				die("pwrite");
			if (ev[i].source < 4)
				r->filled[ev[i].source]++;
		}
	}
}

static void demand_paging(void)
{
	struct gmem_create args = {
		.size = sizeof(args),
		.flags = GMEM_CREATE_MMAP | GMEM_CREATE_SHARED,
		.length = SNAP,
	};
	struct restore r = { 0 };
	struct gmem_missing_range arm = { .offset = 0, .length = SNAP };
	unsigned char *snapshot, *map, byte;
	unsigned long sum = 0, want = 0;
	pthread_t handler;
	int dev, stop[2];

	step("demand paging: a 1 MiB snapshot restored as the guest touches it");
	snapshot = malloc(SNAP);
	if (!snapshot)
		die("malloc");
	for (size_t i = 0; i < SNAP; i++) {
		snapshot[i] = (unsigned char)(i / 4096 * 7 + i % 251);
		want += snapshot[i];
	}
	dev = open("/dev/gmem", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		die("open /dev/gmem");
	r.fd = ioctl(dev, GMEM_CREATE, &args);
	if (r.fd < 0)
		die("GMEM_CREATE");
	close(dev);
	r.snapshot = snapshot;

	printf("    ioctl(fd, GMEM_MISSING_EVENTS, O_CLOEXEC): the event fd\n");
	r.efd = ioctl(r.fd, GMEM_MISSING_EVENTS, O_CLOEXEC);
	if (r.efd < 0)
		die("GMEM_MISSING_EVENTS");
	printf("    ioctl(fd, GMEM_MISSING_ARM, { 0, 1 MiB }): every page missing\n");
	if (ioctl(r.fd, GMEM_MISSING_ARM, &arm))
		die("GMEM_MISSING_ARM");
	show_layout(r.fd, SNAP);
	if (pipe2(stop, O_CLOEXEC))
		die("pipe2");
	r.stop = stop[0];
	if (pthread_create(&handler, NULL, restore_handler, &r))
		die_msg("pthread_create failed");

	printf("    the \"guest\" reads every byte through a mapping, and one with pread()\n");
	map = mmap(NULL, SNAP, PROT_READ | PROT_WRITE, MAP_SHARED, r.fd, 0);
	if (map == MAP_FAILED)
		die("mmap");
	if (pread(r.fd, &byte, 1, SNAP - 1) != 1)
		die("pread");
	for (size_t i = 0; i < SNAP; i++)
		sum += map[i];
	if (close(stop[1]))
		die("close");
	pthread_join(handler, NULL);
	if (sum != want || byte != snapshot[SNAP - 1])
		die_msg("the guest did not see the snapshot");
	printf("    the guest saw the snapshot, byte for byte\n");
	printf("    the handler filled %u pages for faults, %u for read()\n",
	       r.filled[GMEM_MISSING_FAULT], r.filled[GMEM_MISSING_READ]);
	show_info(r.fd);

	printf("    ioctl(fd, GMEM_MISSING_ARM, { .flags = GMEM_MISSING_DISARM }), close both\n");
	arm.flags = GMEM_MISSING_DISARM;
	if (ioctl(r.fd, GMEM_MISSING_ARM, &arm))
		die("GMEM_MISSING_DISARM");
	munmap(map, SNAP);
	close(r.efd);
	close(r.fd);
	close(stop[0]);
	free(snapshot);
}

int main(void)
{
	struct gmem_create args = {
		.size = sizeof(args),
		.flags = GMEM_CREATE_MMAP,
		.length = LENGTH,
	};
	static const char banner[] = "gmem example guest image\n";
	static const char hello[] = "hello from the VMM";
	struct gmem_populate pop;
	struct gmem_features feat;
	unsigned char *image, *map, buf[48];
	int query, rw;
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

	step("ioctl(dev, GMEM_FEATURES, { .size = sizeof(struct gmem_features) })");
	feat = features(dev);
	query = fd_ioctl_served(&feat, GMEM_QUERY);
	rw = !!(feat.fd_ops & GMEM_FD_READ_WRITE);
	printf("    the module answered %u bytes; GMEM_CREATE flags %#x, struct gmem_create %u bytes\n",
	       feat.size, feat.create_flags, feat.create_size);
	printf("    GMEM_QUERY: %s; read()/write() of shared pages: %s\n",
	       query ? "yes" : "no (older module: skipped below)",
	       rw ? "yes" : "no (older module: skipped below)");

	step("ioctl(GMEM_CREATE, { .size = sizeof(args), .flags = GMEM_CREATE_MMAP, .length = 256 MiB })");
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
	show_info(fd);
	printf("    every page starts private: only an in-kernel consumer can reach it\n");

	step("ioctl(fd, GMEM_POPULATE, { .offset = 0, .length = 64 KiB, .uaddr = image })");
	image = mmap(NULL, IMAGE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (image == MAP_FAILED)
		die("mmap of the image buffer");
	for (size_t i = 0; i < IMAGE; i++)
		image[i] = (unsigned char)i;
	memcpy(image, banner, sizeof(banner) - 1);
	/* the image's second half not readable yet, to show the resume */
	if (mprotect(image + IMAGE / 2, IMAGE / 2, PROT_NONE))
		die("mprotect");
	pop = (struct gmem_populate){
		.offset = 0, .length = IMAGE, .uaddr = (uintptr_t)image,
	};
	if (!ioctl(fd, GMEM_POPULATE, &pop) || errno != EFAULT)
		die_msg("GMEM_POPULATE from a half-unreadable buffer did not fail with EFAULT");
	printf("    EFAULT with the source's second half unreadable: copied %llu bytes, kept\n",
	       (unsigned long long)pop.copied);
	if (pop.copied != IMAGE / 2)
		die_msg("copied is not where the source became unreadable");
	if (mprotect(image + IMAGE / 2, IMAGE / 2, PROT_READ | PROT_WRITE))
		die("mprotect");
	/* continue from where it stopped: the first half is in place */
	pop = (struct gmem_populate){
		.offset = pop.copied, .length = IMAGE - pop.copied,
		.uaddr = (uintptr_t)image + pop.copied,
	};
	if (ioctl(fd, GMEM_POPULATE, &pop))
		die("GMEM_POPULATE");
	printf("    resumed at offset %llu: copied %llu more bytes into private memory\n",
	       (unsigned long long)pop.offset, (unsigned long long)pop.copied);
	show_info(fd);
	show_blocks(fd, IMAGE);
	if (query)
		show_layout(fd, LENGTH);

	step("mmap(NULL, 256 MiB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)");
	map = mmap(NULL, LENGTH, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		die("mmap");
	printf("    mapped at %p; reading its first byte: %s\n", (void *)map,
	       touch_sigbus(map) ? "SIGBUS, the page is private" :
				   "WORKED, but the page is private!");

	step("ioctl(fd, GMEM_CONVERT, { .offset = 0, .length = 16 KiB, .to = GMEM_SHARED })");
	convert(fd, 0, SHARE, GMEM_SHARED);
	show_info(fd);
	if (touch_sigbus(map))
		die_msg("the shared page raised SIGBUS");
	printf("    the first bytes as the VMM sees them through the mapping:\n");
	dump(map, 48);
	if (memcmp(map, image, SHARE))
		die_msg("the shared pages do not hold the populated image");
	printf("    the 16 KiB shared are the image, unchanged; byte 16 KiB: %s\n",
	       touch_sigbus(map + SHARE) ? "SIGBUS (still private)" :
					   "readable, but it is private!");
	if (query)
		show_layout(fd, LENGTH);
	if (rw) {
		printf("    pread() without a mapping, as a snapshot saver would:\n");
		if (pread(fd, buf, sizeof(buf), 0) != sizeof(buf))
			die("pread of a shared page");
		if (memcmp(buf, map, sizeof(buf)))
			die_msg("pread and the mapping disagree");
		printf("      48 bytes at offset 0, the same as through the mapping\n");
		if (pread(fd, buf, sizeof(buf), SHARE) != -1 || errno != EACCES)
			die_msg("pread of a private page did not fail with EACCES");
		printf("      at 16 KiB: EACCES, the page is private\n");
	}

	step("the VMM writes into the shared page, then GMEM_CONVERT back to GMEM_PRIVATE");
	memcpy(map + 4 * KiB, hello, sizeof(hello));
	convert(fd, 0, SHARE, GMEM_PRIVATE);
	show_info(fd);
	printf("    reading the first byte now: %s\n",
	       touch_sigbus(map) ? "SIGBUS, private again" :
				   "WORKED, but the page is private!");
	convert(fd, 0, SHARE, GMEM_SHARED);
	printf("    shared once more, the VMM's write is still there: \"%s\"\n",
	       (char *)map + 4 * KiB);
	if (strcmp((char *)map + 4 * KiB, hello))
		die_msg("the contents did not survive the conversions");
	convert(fd, 0, SHARE, GMEM_PRIVATE);
	if (munmap(map, LENGTH))
		die("munmap");
	printf("    unmapped again (a mapping keeps the fd's memory alive)\n");
	munmap(image, IMAGE);

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
	show_info(fd);
	printf("    (the 64 KiB image was allocated already; fallocate kept it)\n");

	step("fallocate(fd, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE, 128 MiB, 128 MiB)");
	if (fallocate(fd, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE,
		      LENGTH / 2, LENGTH / 2))
		die("fallocate punch");
	show_mem(mem_now(), before);
	show_blocks(fd, LENGTH / 2);
	show_info(fd);
	if (query)
		show_layout(fd, LENGTH);

	step("close(fd)");
	if (close(fd))
		die("close");
	/* freed pages may take a moment to reach the free lists */
	wait_kb(free_kb, before.free, 1000);
	show_mem(mem_now(), before);

	if (fd_ioctl_served(&feat, GMEM_MISSING_ARM))
		demand_paging();

	printf("\ndone: all steps succeeded\n");
	return 0;
}
