// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the test harness: every way a test can end must be reported as
 * what it is.  host-check runs this and compares its TAP with
 * harness-selftest.expected, so a harness that passed everything (or
 * failed everything) is caught before it reaches a guest.
 */
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"

static void passes(void)
{
	EXPECT_EQ(1 + 1, 2);
	ASSERT_SYS(getpid());
}

static void expect_goes_on(void)
{
	EXPECT_EQ(1 + 1, 3);
	EXPECT_ERRNO(close(-1), EINVAL);
	test_diag("still running after two EXPECT failures");
}

static void assert_stops(void)
{
	ASSERT_SYS(close(-1));
	test_diag("not reached");
}

static void crashes(void)
{
	raise(SIGSEGV);
}

static void hangs(void)
{
	for (;;)
		pause();
}

/* The runner's own deadline is the backstop for a test deaf to SIGALRM. */
static void ignores_alarm(void)
{
	signal(SIGALRM, SIG_IGN);
	hangs();
}

static void skips(void)
{
	test_skip("nothing to do here");
}

static void skip_after_failure(void)
{
	EXPECT_TRUE(0 > 1);
	test_skip("too late to skip");
}

static void exits(void)
{
	exit(3);
}

/* A child left behind must not keep the runner waiting for its output. */
static void leaves_a_child(void)
{
	if (ASSERT_SYS(fork()) == 0)
		for (;;)
			pause();
}

static void fails_cleanup(void)
{
	FAIL("cleanup went wrong");
}

static void passing_cleanup(void)
{
}

static const struct test tests[] = {
	TEST("passes", passes),
	TEST("EXPECT goes on", expect_goes_on),
	TEST("ASSERT stops", assert_stops),
	TEST("a crash fails only its test", crashes),
	TEST("a hang times out", hangs, .timeout = 1),
	TEST("a hang that ignores its alarm is killed", ignores_alarm,
	     .timeout = 1),
	TEST("skip", skips),
	TEST("skip after a failure stays failed", skip_after_failure),
	TEST("exit status", exits),
	TEST("a leftover child", leaves_a_child),
	TEST("cleanup fails", passes, .cleanup = fails_cleanup),
	TEST("skip keeps its reason through a cleanup", skips,
	     .cleanup = passing_cleanup),
};

DEFINE_SUITE(harness_suite, "harness", tests);

int main(int argc, char **argv)
{
	static const struct suite *const suites[] = { &harness_suite, NULL };

	return harness_main(suites, argc, argv);
}
