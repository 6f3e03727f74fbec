// SPDX-License-Identifier: GPL-2.0
/*
 * Pages the host still holds: a page of a 2 MiB folio pinned through a
 * pipe (vmsplice) keeps the whole folio from turning private, however
 * many other mappings of it come and go meanwhile (fork copies them,
 * taking its references before the rmap).  And punched pages that a pin
 * still holds count against max_total (and in pinned_bytes) until the pin
 * goes.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "fault.h"
#include "gmemfd.h"
#include "suites.h"

#define PIN_SECS	15.0
#define PIN_TRIES	3000

#define MAX_TOTAL_PARAM	GMEM_SYSFS "/parameters/max_total"
#define PINNED_BYTES	GMEM_STATS_DIR "/pinned_bytes"
#define CAP_PAGES	64

/* Maps the folio's pages back in, forks, reaps; until killed. */
static noreturn void forker(volatile unsigned char *p)
{
	for (;;) {
		pid_t pid;

		(void)p[0];
		pid = fork();
		if (pid == 0)
			_exit(0);
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
}

static void pinned_page_blocks_private_under_fork(void)
{
	const uint32_t flags = GMEM_CREATE_MMAP | GMEM_CREATE_SHARED |
			       GMEM_CREATE_HUGE;
	long pg = page_size();
	size_t len = GMEM_HUGE_SIZE;
	int fd, pipefd[2], tries, err, status;
	unsigned long converted = 0, eagain = 0;
	double end = now_s() + PIN_SECS;
	struct iovec iov;
	unsigned char *a;
	pid_t pid;

	gmem_need_huge_blocks(1);
	fd = gmem_new_flags(len, flags);
	a = gmem_map_aligned(fd, len, len);
	memset(a, 0x5a, len);
	if (gmem_info(fd).large_folios != 1)
		test_skip("no 2 MiB folio to be had (fragmented memory)");

	/* the pin: page 5 of the folio, held by a pipe */
	ASSERT_SYS(pipe(pipefd));
	iov.iov_base = a + 5 * pg;
	iov.iov_len = pg;
	ASSERT_EQ(vmsplice(pipefd[1], &iov, 1, 0), pg);

	pid = ASSERT_SYS(fork());
	if (pid == 0)
		forker(a);
	for (tries = 0; tries < PIN_TRIES && now_s() < end; tries++) {
		(void)*(volatile unsigned char *)(a + 300 * pg);
		err = gmem_convert_raw(fd, 100 * pg, pg, GMEM_PRIVATE, 0) ?
		      errno : 0;
		if (!err) {
			converted++;
			CONVERT(fd, 100 * pg, pg, GMEM_SHARED);
		} else if (err == EAGAIN) {
			eagain++;
		} else {
			FAIL("GMEM_CONVERT: %s", errno_name(err));
		}
	}
	kill(pid, SIGKILL);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	test_diag("%d conversions to private tried with a pinned page in the folio: %lu succeeded, %lu EAGAIN",
		  tries, converted, eagain);
	EXPECT_EQ(converted, 0);
	EXPECT_GE(tries, 100);

	/* the pin gone, the conversion goes through */
	ASSERT_SYS(close(pipefd[0]));
	ASSERT_SYS(close(pipefd[1]));
	CONVERT(fd, 100 * pg, pg, GMEM_PRIVATE);
	EXPECT_EQ(gmem_info(fd).large_folios, 1);
	ASSERT_SYS(close(fd));
}

static unsigned long long pinned_bytes(void)
{
	unsigned long long v = 0;

	/* absent: the count is not reported, which fails what expects it */
	if (read_ull(PINNED_BYTES, &v))
		return ~0ULL;
	return v;
}

/*
 * Pin a page, punch it, fault a new one in, over and over under a cap of
 * CAP_PAGES: the punched pages stay charged while pinned, so the fault
 * that would go over the cap fails; once the pins go, so does the charge.
 */
static void pinned_punched_pages_stay_charged(void)
{
	const uint32_t flags = GMEM_CREATE_MMAP | GMEM_CREATE_SHARED;
	long pg = page_size();
	int fd = gmem_new_flags(pg, flags), pipefd[2], i;
	unsigned char *a = gmem_map(fd, pg);
	unsigned long long base = gmem_stats().allocated_bytes;
	char cap[32];
	double end;
	struct fault f = { 0 };

	ASSERT_EQ(base, 0);
	EXPECT_EQ(pinned_bytes(), 0);
	ASSERT_SYS(pipe(pipefd));
	/* room for every pin: 256 buffers */
	ASSERT_SYS(fcntl(pipefd[1], F_SETPIPE_SZ, 1 << 20));
	snprintf(cap, sizeof(cap), "%ld", CAP_PAGES * pg);
	ASSERT_EQ(write_str(MAX_TOTAL_PARAM, cap), 0);
	fault_install();

	for (i = 0; i < 4 * CAP_PAGES; i++) {
		struct iovec iov = { .iov_base = a, .iov_len = pg };

		f = fault_write(a, (unsigned char)i);
		if (f.sig)
			break;
		ASSERT_EQ(vmsplice(pipefd[1], &iov, 1, 0), pg);
		ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE |
				     FALLOC_FL_PUNCH_HOLE, 0, pg));
	}
	test_diag("%d pages pinned and punched before a fault was refused (%s); pinned_bytes %llu",
		  i, fault_str(f), pinned_bytes());
	EXPECT_EQ(i, CAP_PAGES);
	EXPECT_EQ(f.sig, SIGBUS);
	EXPECT_EQ(pinned_bytes(), (unsigned long long)i * pg);
	EXPECT_EQ(gmem_stats().allocated_bytes, 0);

	/* the pins go: within a few seconds, so does their charge */
	ASSERT_SYS(close(pipefd[0]));
	ASSERT_SYS(close(pipefd[1]));
	end = now_s() + 5;
	while (pinned_bytes() && now_s() < end)
		usleep(50 * 1000);
	EXPECT_EQ(pinned_bytes(), 0);
	f = fault_write(a, 1);
	EXPECT_EQ(f.sig, 0);
	ASSERT_SYS(close(fd));
}

static void max_total_reset(void)
{
	ASSERT_EQ(write_str(MAX_TOTAL_PARAM, "0"), 0);
}

static const struct test pin_tests[] = {
	TEST("a pinned page keeps its 2 MiB folio from turning private while fork() maps it",
	     pinned_page_blocks_private_under_fork, .timeout = 120),
	TEST("punched pages a pin still holds count against max_total until it goes",
	     pinned_punched_pages_stay_charged, .timeout = 60,
	     .cleanup = max_total_reset),
};

DEFINE_SUITE(pin_suite, "pin", pin_tests);
