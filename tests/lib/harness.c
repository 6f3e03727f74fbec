// SPDX-License-Identifier: GPL-2.0
/*
 * The TAP runner behind harness.h.
 *
 * Besides the test's own verdict, the runner fails a test when the kernel
 * logged a warning, an oops, an allocation-failure splat or an OOM kill
 * while it ran: those are bugs even when every syscall returned what the
 * test expected.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "sys.h"

/* How long after its deadline a test that ignored SIGALRM is killed. */
#define KILL_GRACE_S	5
/* How long a SIGKILLed test may take to die before it is given up on. */
#define REAP_WAIT_S	10
/* Kernel lines shown under a failed test, at most. */
#define KMSG_MAX_LINES	60

/* Written by the child, read by the runner: fork() keeps it shared. */
struct shared_state {
	char skip_reason[256];
};

enum outcome { PASS, FAIL, SKIP };

struct buf {
	char *data;
	size_t len, cap;
};

static struct shared_state *shared;
static bool test_failed;		/* in the child */
static int kmsg_fd = -1;
static bool zeroing;			/* GMEM_ZEROING=1 */

/*
 * Left free after dirtying, at least: the kernel's reserves and the
 * tests' own allocations need room, and an OOM kill would fail the test
 * (on 6.1, leaving 96 MiB did).
 */
#define DIRTY_KEEP_KB	(256 * 1024)
#define DIRTY_BYTE	0xa5

/*
 * Fills what is free of memory with DIRTY_BYTE and frees it again, in a
 * child that the OOM killer may take (the runner is shielded): with
 * init_on_free=0 the pages stay dirty on the free lists, so a page gmem
 * hands out without zeroing it shows DIRTY_BYTE.  Interleaved over the
 * nodes with memory, where the kernel allows it.  Returns the MiB dirtied.
 */
static long long dirty_free_memory(void)
{
	long long free = free_kb(), kb = free - DIRTY_KEEP_KB;
	unsigned long nodes = ~0UL;
	int status = 0;
	pid_t pid;

	/* and at least a quarter of what is free */
	if (kb > free - free / 4)
		kb = free - free / 4;
	if (kb <= 0)
		return 0;
	pid = fork();
	if (pid == 0) {
		size_t len = (size_t)kb * 1024;
		unsigned char *p;

		write_str("/proc/self/oom_score_adj", "1000");
		/* MPOL_INTERLEAVE = 3; nodes without memory are left out */
		syscall(SYS_set_mempolicy, 3, &nodes, sizeof(nodes) * 8);
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(1);
		memset(p, DIRTY_BYTE, len);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return -1;
	return kb / 1024;
}

static void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;

		while (cap < b->len + n + 1)
			cap *= 2;
		b->data = realloc(b->data, cap);
		if (!b->data) {
			perror("realloc");
			exit(2);
		}
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static void __attribute__((format(printf, 2, 3)))
buf_printf(struct buf *b, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(line))
		n = sizeof(line) - 1;
	if (n > 0)
		buf_add(b, line, n);
}

void test_diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

void test_fail_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	test_failed = true;
	printf("%s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

noreturn void test_end(void)
{
	fflush(stdout);
	fflush(stderr);
	_exit(test_failed ? 1 : 0);
}

noreturn void test_skip(const char *fmt, ...)
{
	va_list ap;

	/* A test that already failed stays failed. */
	if (!test_failed) {
		va_start(ap, fmt);
		vsnprintf(shared->skip_reason, sizeof(shared->skip_reason),
			  fmt, ap);
		va_end(ap);
	}
	test_end();
}

/* Reads what is there within @ms; returns true at end of file. */
static bool pump(int fd, struct buf *out, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char chunk[4096];
	ssize_t n;

	if (poll(&p, 1, ms) <= 0)
		return false;
	n = read(fd, chunk, sizeof(chunk));
	if (n > 0) {
		buf_add(out, chunk, n);
		return false;
	}
	return n == 0 || errno != EINTR;
}

static noreturn void child_run(void (*fn)(void), int out_fd,
			       unsigned int timeout)
{
	/* Its own group, so that whatever it forks can be killed with it. */
	setpgid(0, 0);
	dup2(out_fd, STDOUT_FILENO);
	dup2(out_fd, STDERR_FILENO);
	close(out_fd);
	/* Line by line, so nothing is lost if the test crashes. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	setvbuf(stderr, NULL, _IOLBF, 0);
	test_failed = false;
	/* The runner shields itself from the OOM killer; tests do not. */
	write_str("/proc/self/oom_score_adj", "0");
	alarm(timeout);
	fn();
	test_end();
}

/* Kills a test that outlived its alarm, and everything it started. */
static void kill_hung(pid_t pid, unsigned int secs, struct buf *out)
{
	double give_up = now_s() + REAP_WAIT_S;
	int status;

	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, WNOHANG) != pid) {
		if (now_s() > give_up) {
			buf_printf(out, "runner: pid %d survives SIGKILL (stuck in the kernel?)\n",
				   pid);
			return;
		}
		usleep(10 * 1000);
	}
	buf_printf(out, "runner: still running after %u s, killed\n", secs);
}

/*
 * Runs @fn in a child; its output and the runner's verdicts go to @out.
 */
static enum outcome run_child(void (*fn)(void), unsigned int timeout,
			      struct buf *out)
{
	double deadline = now_s() + timeout + KILL_GRACE_S;
	bool reaped = false, eof = false;
	int pfd[2], status = 0, sig;
	pid_t pid;

	shared->skip_reason[0] = '\0';
	if (pipe2(pfd, O_CLOEXEC)) {
		buf_printf(out, "runner: pipe2: %s\n", errno_name(errno));
		return FAIL;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		buf_printf(out, "runner: fork: %s\n", errno_name(errno));
		close(pfd[0]);
		close(pfd[1]);
		return FAIL;
	}
	if (pid == 0) {
		close(pfd[0]);
		child_run(fn, pfd[1], timeout);
	}
	setpgid(pid, pid);	/* the child does too; whoever runs first */
	close(pfd[1]);

	while (!reaped) {
		if (!eof)
			eof = pump(pfd[0], out, 100);
		else
			usleep(10 * 1000);
		if (waitpid(pid, &status, WNOHANG) == pid) {
			reaped = true;
		} else if (now_s() > deadline) {
			close(pfd[0]);
			kill_hung(pid, timeout + KILL_GRACE_S, out);
			return FAIL;
		}
	}
	/* Whatever the test started and left running goes too. */
	kill(-pid, SIGKILL);
	for (double end = now_s() + 2; !eof && now_s() < end;)
		eof = pump(pfd[0], out, 100);
	close(pfd[0]);

	if (WIFSIGNALED(status)) {
		sig = WTERMSIG(status);
		if (sig == SIGALRM)
			buf_printf(out, "runner: timed out after %u s\n",
				   timeout);
		else
			buf_printf(out, "runner: killed by signal %d (SIG%s)\n",
				   sig, sigabbrev_np(sig) ?: "?");
		return FAIL;
	}
	if (WEXITSTATUS(status) != 0) {
		/* Status 1 is a failure the test has already explained. */
		if (WEXITSTATUS(status) != 1 || out->len == 0)
			buf_printf(out, "runner: exit status %d\n",
				   WEXITSTATUS(status));
		return FAIL;
	}
	return shared->skip_reason[0] ? SKIP : PASS;
}

static bool kmsg_is_bad(const char *msg)
{
	static const char *const bad[] = {
		"WARNING:", "BUG:", "kernel BUG", "Oops", "general protection",
		"refcount_t", "Call Trace", "UBSAN", "KASAN", "corruption",
		"Bad page", "blocked for more than", "soft lockup",
		"detected stalls", "Out of memory", "oom-kill",
		"page allocation failure",
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++)
		if (strstr(msg, bad[i]))
			return true;
	return false;
}

/*
 * Appends the kernel's lines since the last call to @log; returns how many
 * of them show a kernel bug, not counting those that contain @allow.
 */
static unsigned int kmsg_collect(struct buf *log, const char *allow)
{
	unsigned int bad = 0, lines = 0;
	char rec[8192];
	ssize_t n;

	if (kmsg_fd < 0)
		return 0;
	for (;;) {
		char *msg, *nl;

		n = read(kmsg_fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)	/* records overwritten */
			continue;
		if (n <= 0)
			break;
		rec[n] = '\0';
		/* "prio,seq,usec,flags;text\n" then " KEY=value" lines */
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = '\0';
		if (kmsg_is_bad(msg) && !(allow && strstr(msg, allow)))
			bad++;
		if (++lines <= KMSG_MAX_LINES)
			buf_printf(log, "kernel: %s\n", msg);
	}
	return bad;
}

/* Prints @b as diagnostics, one "# " line per line. */
static void print_diag(const struct buf *b)
{
	const char *p = b->data;

	while (p && *p) {
		const char *nl = strchrnul(p, '\n');

		printf("# %.*s\n", (int)(nl - p), p);
		p = *nl ? nl + 1 : nl;
	}
}

unsigned int test_timeout_scale(void)
{
	const char *scale = getenv("GMEM_TIMEOUT_SCALE");

	return scale && atoi(scale) > 1 ? atoi(scale) : 1;
}

static unsigned int timeout_of(const struct test *t)
{
	unsigned int timeout = t->timeout ? t->timeout : TEST_TIMEOUT_DEFAULT;

	return timeout * test_timeout_scale();
}

static enum outcome run_test(unsigned int nr, const char *suite,
			     const struct test *t)
{
	struct buf out = { 0 }, klog = { 0 };
	long long oom_before = vmstat_get("oom_kill"), oom_after;
	unsigned int timeout = timeout_of(t), kbad;
	char skip_reason[sizeof(shared->skip_reason)];
	enum outcome res;

	if (zeroing) {
		long long mib = dirty_free_memory();

		if (mib < 0)
			buf_printf(&out, "runner: dirtying free memory failed\n");
		else
			buf_printf(&out, "runner: %lld MiB of free memory filled with %#x and freed first\n",
				   mib, DIRTY_BYTE);
	}
	if (kmsg_fd >= 0)
		lseek(kmsg_fd, 0, SEEK_END);
	/* an OOM kill while dirtying is not the test's */
	oom_before = vmstat_get("oom_kill");
	res = run_child(t->fn, timeout, &out);
	/* the cleanup's own run starts with an empty reason */
	memcpy(skip_reason, shared->skip_reason, sizeof(skip_reason));
	if (t->cleanup && run_child(t->cleanup, timeout, &out) == FAIL) {
		buf_printf(&out, "runner: cleanup failed\n");
		res = FAIL;
	}

	kbad = kmsg_collect(&klog, t->kmsg_allow);
	if (kbad) {
		buf_printf(&out, "runner: the kernel logged %u bad line%s\n",
			   kbad, kbad == 1 ? "" : "s");
		res = FAIL;
	}
	oom_after = vmstat_get("oom_kill");
	if (oom_after > oom_before) {
		buf_printf(&out, "runner: the OOM killer ran %lld time(s)\n",
			   oom_after - oom_before);
		res = FAIL;
	}
	if (res == FAIL)
		buf_add(&out, klog.data ? klog.data : "", klog.len);

	if (res == SKIP)
		printf("ok %u - %s: %s # SKIP %s\n", nr, suite, t->name,
		       skip_reason);
	else
		printf("%s %u - %s: %s\n", res == PASS ? "ok" : "not ok", nr,
		       suite, t->name);
	print_diag(&out);
	fflush(stdout);
	free(out.data);
	free(klog.data);
	return res;
}

static bool selected(const char *suite, const struct test *t, int argc,
		     char **argv)
{
	const char *env = getenv("GMEM_TESTS");
	char full[512], pat[256];
	bool any = false;

	if (zeroing && !t->zeroing)
		return false;
	snprintf(full, sizeof(full), "%s: %s", suite, t->name);
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-')
			continue;
		any = true;
		if (strstr(full, argv[i]))
			return true;
	}
	if (any || !env || !*env)
		return !any;
	/* GMEM_TESTS=pat1,pat2: the kernel command line has no spaces */
	while (*env) {
		size_t n = strcspn(env, ",");

		if (n && n < sizeof(pat)) {
			memcpy(pat, env, n);
			pat[n] = '\0';
			if (strstr(full, pat))
				return true;
		}
		env += n + (env[n] == ',');
	}
	return false;
}

static void usage(const char *prog)
{
	printf("usage: %s [-l] [PATTERN...]\n"
	       "  Runs the tests whose \"suite: name\" contains a PATTERN\n"
	       "  (all without one) and prints TAP.  -l lists them.\n"
	       "  GMEM_TESTS=PAT,PAT selects like PATTERNs when none is given;\n"
	       "  GMEM_TIMEOUT_SCALE=N multiplies every timeout;\n"
	       "  GMEM_ZEROING=1 runs only the tests of gmem's zeroing, each after\n"
	       "  dirtying free memory, and needs a kernel booted with init_on_alloc=0;\n"
	       "  GMEM_NO_KMSG=1 leaves the kernel log unchecked.\n", prog);
}

int harness_main(const struct suite *const *suites, int argc, char **argv)
{
	unsigned int planned = 0, nr = 0, counts[3] = { 0 };
	bool list = false;
	const char *z = getenv("GMEM_ZEROING");

	zeroing = z && !strcmp(z, "1");
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-l")) {
			list = true;
		} else if (argv[i][0] == '-') {
			usage(argv[0]);
			return strcmp(argv[i], "-h") ? 2 : 0;
		}
	}

	for (const struct suite *const *s = suites; *s; s++)
		for (unsigned int i = 0; i < (*s)->nr; i++)
			if (selected((*s)->name, &(*s)->tests[i], argc, argv)) {
				if (list)
					printf("%s: %s\n", (*s)->name,
					       (*s)->tests[i].name);
				planned++;
			}
	if (list)
		return 0;

	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	/*
	 * A test that drives the machine out of memory must not take the
	 * runner with it; needs CAP_SYS_RESOURCE, harmless without.
	 */
	write_str("/proc/self/oom_score_adj", "-1000");
	/* GMEM_NO_KMSG: for a host whose kernel log is not ours to judge */
	if (!getenv("GMEM_NO_KMSG"))
		kmsg_fd = open("/dev/kmsg",
			       O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	printf("1..%u\n", planned);
	if (kmsg_fd < 0)
		printf("# kernel log not checked\n");
	if (zeroing && kernel_zeroes_allocations()) {
		/* every zero read would pass whatever gmem does */
		printf("Bail out! GMEM_ZEROING=1 on a kernel that zeroes every allocation (boot it with init_on_alloc=0 init_on_free=0)\n");
		return 1;
	}
	for (const struct suite *const *s = suites; *s; s++)
		for (unsigned int i = 0; i < (*s)->nr; i++)
			if (selected((*s)->name, &(*s)->tests[i], argc, argv))
				counts[run_test(++nr, (*s)->name,
						&(*s)->tests[i])]++;

	printf("# %s: %u passed, %u failed, %u skipped\n",
	       program_invocation_short_name, counts[PASS], counts[FAIL],
	       counts[SKIP]);
	return counts[FAIL] ? 1 : 0;
}
