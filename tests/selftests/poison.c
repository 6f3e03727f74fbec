// SPDX-License-Identifier: GPL-2.0
/*
 * Memory failure racing gmem's own users of a page: a fault (and through
 * the same lookup, resolve and populate) that was already past its check
 * of the poison record when memory failure took the page out must not get
 * a fresh page at the poisoned index.  And memory failure in a 2 MiB folio
 * it cannot split, which it gives up on without telling gmem: gmem finds
 * the page when it next touches the folio.
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
#include "ct.h"
#include "fault.h"
#include "gmemfd.h"
#include "suites.h"

#define PUNCH		(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE)
#define HWPOISON_KMSG	"hardware memory corruption"

#define RACE_ROUNDS	300
#define RACE_SECS	30.0

/* What the parent is doing, as the reader in the child sees it. */
enum phase {
	PHASE_FILLING,		/* punched, the new page being written */
	PHASE_POISONED,		/* MADV_HWPOISON succeeded, not punched yet */
	PHASE_PUNCHING,
	PHASE_STOP,
};

struct race {
	volatile int phase;
	/* counted by the reader */
	volatile unsigned long reads;
	volatile unsigned long read_while_poisoned;	/* the defect */
	volatile unsigned long wrong_code;	/* SIGBUS, not BUS_MCEERR_AR */
	volatile unsigned char last_seen;
};

/*
 * The child: through a mapping of its own, drop its PTE and read the page
 * again and again.  A read that completes entirely inside one POISONED
 * phase found a page at a poisoned index.
 */
static noreturn void race_reader(int fd, struct race *r)
{
	unsigned char *p = mmap(NULL, page_size(), PROT_READ, MAP_SHARED,
				fd, 0);

	if (p == MAP_FAILED)
		_exit(2);
	fault_install();
	while (r->phase != PHASE_STOP) {
		int before = r->phase, after;
		struct fault f;
		unsigned char v = 0;

		madvise(p, page_size(), MADV_DONTNEED);
		f = fault_read(p, &v);
		after = r->phase;
		r->reads++;
		if (before != PHASE_POISONED || after != PHASE_POISONED)
			continue;
		if (!f.sig) {
			r->read_while_poisoned++;
			r->last_seen = v;
		} else if (f.sig != SIGBUS || f.code != BUS_MCEERR_AR) {
			r->wrong_code++;
		}
	}
	_exit(0);
}

/*
 * In a child (the kernel may send the caller SIGBUS): MADV_HWPOISON the
 * page at @p.  Exits 0 when it worked, with the errno otherwise.
 */
static int poison_in_child(unsigned char *p)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		signal(SIGBUS, SIG_DFL);
		_exit(madvise(p, page_size(), MADV_HWPOISON) ? errno : 0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS)
		return 0;	/* told of the loss: it worked */
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/*
 * One page, poisoned and punched over and over while another process
 * faults it in: once memory failure has recorded the page, every read
 * raises SIGBUS (BUS_MCEERR_AR) and GMEM_INFO counts no allocated page
 * at the poisoned index, until the punch.
 */
static void fault_races_memory_failure(void)
{
	const uint32_t flags = GMEM_CREATE_MMAP | GMEM_CREATE_SHARED;
	long pg = page_size();
	int fd = gmem_new_flags(pg, flags), status, round, err;
	unsigned char *a = gmem_map(fd, pg);
	unsigned long poisoned = 0, ebusy = 0, allocated_at_poison = 0;
	struct race *r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	double end = now_s() + RACE_SECS;
	pid_t pid;

	ASSERT_TRUE(r != MAP_FAILED);
	memset((void *)r, 0, sizeof(*r));
	pid = ASSERT_SYS(fork());
	if (pid == 0)
		race_reader(fd, r);

	for (round = 0; round < RACE_ROUNDS && now_s() < end; round++) {
		struct gmem_info info;

		r->phase = PHASE_FILLING;
		a[0] = 0x80 | (round & 0x7f);
		err = poison_in_child(a);
		if (err == EINVAL) {
			r->phase = PHASE_STOP;
			waitpid(pid, &status, 0);
			test_skip("MADV_HWPOISON: EINVAL (no CONFIG_MEMORY_FAILURE)");
		}
		/* EBUSY: the reader's fault held a reference just then */
		if (err == EBUSY)
			ebusy++;
		else if (err)
			FAIL("MADV_HWPOISON: %s", err < 0 ? "child lost" :
			     errno_name(err));
		/* recorded either way: memory failure took the page out */
		info = gmem_info(fd);
		if (info.poisoned == (uint64_t)pg) {
			poisoned++;
			r->phase = PHASE_POISONED;
			/* let the reader run into the poisoned index */
			usleep(2000);
			info = gmem_info(fd);
			if (info.allocated) {
				allocated_at_poison++;
				test_diag("round %d: allocated %llu poisoned %llu",
					  round,
					  (unsigned long long)info.allocated,
					  (unsigned long long)info.poisoned);
			}
		}
		r->phase = PHASE_PUNCHING;
		ASSERT_SYS(fallocate(fd, PUNCH, 0, pg));
	}
	r->phase = PHASE_STOP;
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	test_diag("%d rounds: %lu poisoned (%lu of them EBUSY); reader: %lu reads, %lu completed on a poisoned index (last byte %#x), %lu other signals",
		  round, poisoned, ebusy, r->reads, r->read_while_poisoned,
		  r->last_seen, r->wrong_code);
	EXPECT_EQ(r->read_while_poisoned, 0);
	EXPECT_EQ(r->wrong_code, 0);
	EXPECT_EQ(allocated_at_poison, 0);
	/* The race must have been run, not dodged. */
	EXPECT_EQ(poisoned, (unsigned long)round);
	EXPECT_GT(r->reads, (unsigned long)round);
	/* the reader may have faulted a page in after the last punch */
	ASSERT_SYS(fallocate(fd, PUNCH, 0, pg));
	EXPECT_EQ(gmem_info(fd).allocated, 0);
	EXPECT_EQ(gmem_info(fd).poisoned, 0);
	ASSERT_SYS(close(fd));
}

/*
 * Page 7 of a 2 MiB folio poisoned while a pipe holds page 5: the split
 * that would isolate page 7 fails.  The next fault on the folio (on page 7
 * itself) makes gmem record the page, refuse it and tell the consumer, and
 * the rest of the folio stays usable; a punch of part of the
 * folio leaves the page poisoned and the folio whole, a punch of all of
 * it heals the range.
 */
static void unsplittable_folio(void)
{
	const uint32_t flags = GMEM_CREATE_MMAP | GMEM_CREATE_SHARED |
			       GMEM_CREATE_HUGE;
	struct gmem_test_event ev[GMEM_TEST_MAX_EVENTS];
	long pg = page_size();
	size_t len = GMEM_HUGE_SIZE, i;
	unsigned int n, k, errors = 0;
	struct iovec iov;
	int fd, ct, pipefd[2], err;
	unsigned char *a, v;
	struct gmem_info info;
	struct fault f;
	uint32_t slot;

	gmem_need_huge_blocks(1);
	fd = gmem_new_flags(len, flags);
	a = gmem_map_aligned(fd, len, len);
	for (i = 0; i < len; i += pg)
		memcpy(a + i, &i, sizeof(i));
	if (gmem_info(fd).large_folios != 1)
		test_skip("no 2 MiB folio to be had (fragmented memory)");
	ct = ct_open();
	slot = CT_BIND(ct, fd, 0, len / pg);
	ct_events(ct, ev);

	ASSERT_SYS(pipe(pipefd));
	iov.iov_base = a + 5 * pg;
	iov.iov_len = pg;
	ASSERT_EQ(vmsplice(pipefd[1], &iov, 1, 0), pg);
	err = poison_in_child(a + 7 * pg);
	if (err == EINVAL)
		test_skip("MADV_HWPOISON: EINVAL (no CONFIG_MEMORY_FAILURE)");
	info = gmem_info(fd);
	test_diag("MADV_HWPOISON of page 7: %s; large_folios %llu, poisoned %llu",
		  err ? errno_name(err) : "done",
		  (unsigned long long)info.large_folios,
		  (unsigned long long)info.poisoned);
	if (info.large_folios != 1)
		test_skip("memory failure split the folio after all");

	/*
	 * gmem's first touch of the folio since: a fault on the bad page
	 * itself, which the poison record does not name yet.
	 */
	fault_install();
	ASSERT_SYS(madvise(a + 7 * pg, pg, MADV_DONTNEED));
	EXPECT_SIGBUS_CODE(a + 7 * pg, false, BUS_MCEERR_AR);
	n = ct_events(ct, ev);
	for (k = 0; k < n; k++) {
		if (ev[k].type != GMEM_TEST_EV_ERROR)
			continue;
		errors++;
		EXPECT_EQ(ev[k].slot, slot);
		EXPECT_EQ(ev[k].start, 7);
		EXPECT_EQ(ev[k].end, 8);
	}
	EXPECT_EQ(errors, 1);
	info = gmem_info(fd);
	EXPECT_EQ(info.poisoned, (uint64_t)pg);
	EXPECT_EQ(info.large_folios, 1);
	EXPECT_SIGBUS_CODE(a + 7 * pg, false, BUS_MCEERR_AR);
	ASSERT_SYS(madvise(a + 200 * pg, pg, MADV_DONTNEED));
	EXPECT_EQ(*(volatile size_t *)(a + 200 * pg), 200 * (size_t)pg);
	EXPECT_EQ(*(volatile size_t *)(a + 8 * pg), 8 * (size_t)pg);

	/* a punch of part of the folio: page 7 stays lost, the rest zeroed */
	ASSERT_SYS(fallocate(fd, PUNCH, 6 * pg, 3 * pg));
	info = gmem_info(fd);
	EXPECT_EQ(info.poisoned, (uint64_t)pg);
	EXPECT_EQ(info.allocated, (uint64_t)len);
	EXPECT_SIGBUS_CODE(a + 7 * pg, false, BUS_MCEERR_AR);
	EXPECT_EQ(*(volatile size_t *)(a + 6 * pg), 0);
	EXPECT_EQ(*(volatile size_t *)(a + 9 * pg), 9 * (size_t)pg);

	/* all of it: healed, fresh zeroed memory at page 7 */
	ASSERT_SYS(close(pipefd[0]));
	ASSERT_SYS(close(pipefd[1]));
	ASSERT_SYS(fallocate(fd, PUNCH, 0, len));
	info = gmem_info(fd);
	EXPECT_EQ(info.poisoned, 0);
	EXPECT_EQ(info.allocated, 0);
	f = fault_read(a + 7 * pg, &v);
	EXPECT_EQ(f.sig, 0);
	EXPECT_EQ(v, 0);
	ct_unbind(ct, slot);
	ASSERT_SYS(close(fd));
}

static const struct test poison_tests[] = {
	TEST("a fault racing memory failure never gets a page at the poisoned index",
	     fault_races_memory_failure, .timeout = 120,
	     .kmsg_allow = HWPOISON_KMSG),
	TEST("memory failure in a 2 MiB folio it cannot split: gmem finds the page, tells, never zeroes or frees it",
	     unsplittable_folio, .timeout = 120, .cleanup = ct_cleanup,
	     .kmsg_allow = HWPOISON_KMSG),
};

DEFINE_SUITE(poison_suite, "poison", poison_tests);
