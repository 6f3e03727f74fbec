/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Assertions for tests run by harness.h.  ASSERT_* ends the test at the
 * first failure; EXPECT_* records it and goes on, for tables of cases.
 * Every message names file:line and the expression, and shows both values
 * or the errno's name.
 *
 * Values are compared as long long: everything the tests compare (sizes,
 * counts, return values) fits.
 */
#ifndef GMEM_TESTS_CHECK_H
#define GMEM_TESTS_CHECK_H

#include <errno.h>
#include <string.h>

#include "harness.h"
#include "sys.h"

#define CHECK_FAIL_(fatal, ...)						\
	do {								\
		test_fail_at(__FILE__, __LINE__, __VA_ARGS__);		\
		if (fatal)						\
			test_end();					\
	} while (0)

/*
 * The public macros stringify their arguments themselves, before any
 * macro inside them (O_RDWR, MiB) is expanded.
 */
#define CHECK_TRUE_(fatal, cond, str)					\
	do {								\
		if (!(cond))						\
			CHECK_FAIL_(fatal, "expected %s", str);		\
	} while (0)

#define CHECK_CMP_(fatal, a, op, b, str)				\
	do {								\
		long long a_ = (long long)(a), b_ = (long long)(b);	\
									\
		if (!(a_ op b_))					\
			CHECK_FAIL_(fatal, "expected %s, got %lld vs %lld", \
				    str, a_, b_);			\
	} while (0)

/* @expr must not return -1; the value of the macro is what it returned. */
#define CHECK_SYS_(fatal, expr, str)					\
	({								\
		long long r_ = (long long)(expr);			\
		int e_ = errno;						\
									\
		if (r_ == -1)						\
			CHECK_FAIL_(fatal, "%s failed with %s (%s)",	\
				    str, errno_name(e_), strerror(e_));	\
		r_;							\
	})

/* @expr must return -1 with errno @err. */
#define CHECK_ERRNO_(fatal, expr, err, str)				\
	do {								\
		long long r_;						\
		int e_;							\
									\
		errno = 0;						\
		r_ = (long long)(expr);					\
		e_ = errno;						\
		if (r_ == -1 && e_ != (err))				\
			CHECK_FAIL_(fatal, "%s: expected %s, got %s (%s)", \
				    str, errno_name(err),		\
				    errno_name(e_), strerror(e_));	\
		else if (r_ != -1)					\
			CHECK_FAIL_(fatal,				\
				    "%s: expected -1 with %s, got %lld", \
				    str, errno_name(err), r_);		\
	} while (0)

#define ASSERT_TRUE(cond)	CHECK_TRUE_(1, cond, #cond)
#define EXPECT_TRUE(cond)	CHECK_TRUE_(0, cond, #cond)
#define ASSERT_EQ(a, b)		CHECK_CMP_(1, a, ==, b, #a " == " #b)
#define EXPECT_EQ(a, b)		CHECK_CMP_(0, a, ==, b, #a " == " #b)
#define ASSERT_NE(a, b)		CHECK_CMP_(1, a, !=, b, #a " != " #b)
#define EXPECT_NE(a, b)		CHECK_CMP_(0, a, !=, b, #a " != " #b)
#define ASSERT_GE(a, b)		CHECK_CMP_(1, a, >=, b, #a " >= " #b)
#define EXPECT_GE(a, b)		CHECK_CMP_(0, a, >=, b, #a " >= " #b)
#define ASSERT_GT(a, b)		CHECK_CMP_(1, a, >, b, #a " > " #b)
#define EXPECT_GT(a, b)		CHECK_CMP_(0, a, >, b, #a " > " #b)
#define ASSERT_LE(a, b)		CHECK_CMP_(1, a, <=, b, #a " <= " #b)
#define EXPECT_LE(a, b)		CHECK_CMP_(0, a, <=, b, #a " <= " #b)
#define ASSERT_SYS(expr)	CHECK_SYS_(1, expr, #expr)
#define EXPECT_SYS(expr)	CHECK_SYS_(0, expr, #expr)
#define ASSERT_ERRNO(expr, err)	CHECK_ERRNO_(1, expr, err, #expr)
#define EXPECT_ERRNO(expr, err)	CHECK_ERRNO_(0, expr, err, #expr)

/* Fails the test now with a message of its own. */
#define FAIL(...)		CHECK_FAIL_(1, __VA_ARGS__)

#endif /* GMEM_TESTS_CHECK_H */
