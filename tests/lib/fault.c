// SPDX-License-Identifier: GPL-2.0
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "fault.h"

static __thread sigjmp_buf fault_jmp;
static __thread volatile sig_atomic_t fault_armed;
static __thread struct fault fault_last;

static void fault_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (!fault_armed) {
		/* Not ours: die of it as if no handler were there. */
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	fault_armed = 0;
	fault_last.sig = sig;
	fault_last.code = si->si_code;
	fault_last.addr = si->si_addr;
	siglongjmp(fault_jmp, 1);
}

void fault_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fault_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL) || sigaction(SIGSEGV, &sa, NULL))
		FAIL("sigaction: %s", errno_name(errno));
}

struct fault fault_read(const volatile void *p, unsigned char *val)
{
	const volatile unsigned char *b = p;

	fault_last = (struct fault){ 0 };
	if (sigsetjmp(fault_jmp, 1) == 0) {
		fault_armed = 1;
		unsigned char v = *b;

		fault_armed = 0;
		if (val)
			*val = v;
	}
	return fault_last;
}

struct fault fault_write(volatile void *p, unsigned char val)
{
	volatile unsigned char *b = p;

	fault_last = (struct fault){ 0 };
	if (sigsetjmp(fault_jmp, 1) == 0) {
		fault_armed = 1;
		*b = val;
		fault_armed = 0;
	}
	return fault_last;
}

static const char *code_name(int sig, int code)
{
	if (sig == SIGBUS) {
		switch (code) {
		case BUS_ADRALN: return "BUS_ADRALN";
		case BUS_ADRERR: return "BUS_ADRERR";
		case BUS_OBJERR: return "BUS_OBJERR";
		case BUS_MCEERR_AR: return "BUS_MCEERR_AR";
		case BUS_MCEERR_AO: return "BUS_MCEERR_AO";
		}
	} else if (sig == SIGSEGV) {
		switch (code) {
		case SEGV_MAPERR: return "SEGV_MAPERR";
		case SEGV_ACCERR: return "SEGV_ACCERR";
		}
	}
	return "?";
}

const char *fault_str(struct fault f)
{
	static __thread char s[96];

	if (!f.sig)
		return "no fault";
	snprintf(s, sizeof(s), "SIG%s (%s, si_code %d) at %p",
		 sigabbrev_np(f.sig) ?: "?", code_name(f.sig, f.code), f.code,
		 f.addr);
	return s;
}

void expect_sigbus_at(const char *file, int line, volatile void *p,
		      bool write, int code)
{
	struct fault f;

	fault_install();
	f = write ? fault_write(p, 0x5a) : fault_read(p, NULL);
	if (f.sig != SIGBUS || f.addr != (void *)p || (code && f.code != code))
		test_fail_at(file, line,
			     "%s of %p: expected SIGBUS%s%s at that address, got %s",
			     write ? "write" : "read", (void *)p,
			     code ? " " : "", code ? code_name(SIGBUS, code) : "",
			     fault_str(f));
}

void expect_access_at(const char *file, int line, volatile void *p,
		      bool write)
{
	struct fault f;
	unsigned char v;

	fault_install();
	if (write) {
		/* writes back what is there, so that nothing changes */
		f = fault_read(p, &v);
		if (!f.sig)
			f = fault_write(p, v);
	} else {
		f = fault_read(p, &v);
	}
	if (f.sig)
		test_fail_at(file, line, "%s of %p: expected it to work, got %s",
			     write ? "write" : "read", (void *)p, fault_str(f));
}
