/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Touching memory that may fault: a read or write of one byte that comes
 * back with the signal (SIGBUS, SIGSEGV) and its siginfo instead of
 * killing the test.  Works in any thread: each has its own jump buffer.
 */
#ifndef GMEM_TESTS_FAULT_H
#define GMEM_TESTS_FAULT_H

#include <signal.h>
#include <stdbool.h>

struct fault {
	int sig;		/* 0: the access worked */
	int code;		/* si_code */
	void *addr;		/* si_addr */
};

/*
 * Installs the SIGBUS and SIGSEGV handlers (idempotent).  An access that
 * faults outside fault_read()/fault_write() still kills the process.
 */
void fault_install(void);

/* Reads the byte at @p into *@val (if it worked); the fault, if any. */
struct fault fault_read(const volatile void *p, unsigned char *val);

/* Writes @val to the byte at @p; the fault, if any. */
struct fault fault_write(volatile void *p, unsigned char val);

/* "SIGBUS (BUS_ADRERR) at 0x..." or "no fault": for messages. */
const char *fault_str(struct fault f);

/*
 * In a test: reading (@write false) or writing the byte at @p must raise
 * SIGBUS with si_addr == @p, and si_code @code unless @code is 0.
 */
void expect_sigbus_at(const char *file, int line, volatile void *p,
		      bool write, int code);
/* In a test: reading or writing the byte at @p must work. */
void expect_access_at(const char *file, int line, volatile void *p,
		      bool write);

#define EXPECT_SIGBUS(p, write)						\
	expect_sigbus_at(__FILE__, __LINE__, p, write, 0)
#define EXPECT_SIGBUS_CODE(p, write, code)				\
	expect_sigbus_at(__FILE__, __LINE__, p, write, code)
#define EXPECT_ACCESS(p, write)						\
	expect_access_at(__FILE__, __LINE__, p, write)

#endif /* GMEM_TESTS_FAULT_H */
