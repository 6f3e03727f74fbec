// SPDX-License-Identifier: GPL-2.0
/*
 * Pages the host still holds: a page of a 2 MiB folio pinned through a
 * pipe (vmsplice) keeps the whole folio from turning private, however
 * many other mappings of it come and go meanwhile (fork copies them,
 * taking its references before the rmap).
 */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "gmemfd.h"
#include "suites.h"

#define PIN_SECS	15.0
#define PIN_TRIES	3000

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

static const struct test pin_tests[] = {
	TEST("a pinned page keeps its 2 MiB folio from turning private while fork() maps it",
	     pinned_page_blocks_private_under_fork, .timeout = 120),
};

DEFINE_SUITE(pin_suite, "pin", pin_tests);
