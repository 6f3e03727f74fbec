/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small TAP test runner.  Every test runs in a forked child, in its own
 * process group, under alarm(): a crash, a hang or a stray exit fails only
 * that test, and whatever it leaves behind is killed before the next one.
 * The child's stdout and stderr are a pipe to the runner, which prints all
 * of it as "# " diagnostics under the test's result line.
 */
#ifndef GMEM_TESTS_HARNESS_H
#define GMEM_TESTS_HARNESS_H

#include <stdbool.h>
#include <stdnoreturn.h>

#define TEST_TIMEOUT_DEFAULT	60	/* seconds; TCG guests are slow */

struct test {
	const char *name;
	void (*fn)(void);
	unsigned int timeout;		/* seconds; 0 means the default */
	/*
	 * Runs in a child of its own after fn, whether fn passed or not,
	 * to put shared state back (e.g. reload the module); its failure
	 * fails the test.
	 */
	void (*cleanup)(void);
	/*
	 * Kernel log lines containing this string are expected while the
	 * test runs (memory-failure reports of a test that poisons pages on
	 * purpose) and do not fail it; they are still shown if it fails.
	 */
	const char *kmsg_allow;
	/*
	 * It reads memory that gmem must have zeroed (new pages, punched
	 * pages, what populate did not write): with GMEM_ZEROING=1 only
	 * these run, each after free memory was filled with non-zero bytes,
	 * in a guest booted with init_on_alloc=0 init_on_free=0, where the
	 * kernel zeroes nothing for gmem.
	 */
	bool zeroing;
};

struct suite {
	const char *name;
	const struct test *tests;
	unsigned int nr;
};

/* TEST("name", fn) or TEST("name", fn, .timeout = 120, .cleanup = f) */
#define TEST(tname, tfn, ...)	{ .name = tname, .fn = tfn, __VA_ARGS__ }

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define DEFINE_SUITE(sym, sname, table)				\
	const struct suite sym = {					\
		.name = sname, .tests = table, .nr = ARRAY_SIZE(table),	\
	}

/*
 * Runs the tests of @suites (NULL-terminated) whose "suite: name"
 * contains one of the non-option arguments, or all of them; without
 * arguments, the comma-separated patterns in $GMEM_TESTS (how a guest's
 * kernel command line selects tests); with GMEM_ZEROING=1, only those
 * marked .zeroing (and the kernel must not zero allocations itself).
 * Returns the exit status: 0 if none failed.
 */
int harness_main(const struct suite *const *suites, int argc, char **argv);

/*
 * $GMEM_TIMEOUT_SCALE, 1 when unset: how much slower than a stock kernel
 * under TCG this machine is (a debug kernel's guests set it).  Every
 * test's timeout is multiplied by it; a test whose own work is bounded
 * by time rather than by count scales that bound too.
 */
unsigned int test_timeout_scale(void);

/* In a test: a line of diagnostics, printed whether the test passes or not. */
void test_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* In a test: record a failure at file:line and go on. */
void test_fail_at(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* In a test: end it now; it fails if anything failed so far. */
noreturn void test_end(void);

/* In a test: end it now as skipped (never counted as passed). */
noreturn void test_skip(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

#endif /* GMEM_TESTS_HARNESS_H */
