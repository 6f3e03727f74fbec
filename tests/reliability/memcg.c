// SPDX-License-Identifier: GPL-2.0
/*
 * gmem memory and memory cgroups (v2).
 *
 * A child moves itself into a new cgroup with memory.max = 64 MiB and
 * asks gmem for 128 MiB: fallocate() fails with ENOMEM (gmem(4)) and gives
 * back what it took, GMEM_POPULATE stops with ENOMEM, a consumer resolve
 * returns -ENOMEM, and nothing in the guest is OOM-killed.  What it does
 * get shows in the cgroup's memory.current and memory.stat (file,
 * unevictable), and leaves it when the fd is closed.  Meanwhile a process
 * in the root cgroup allocates 128 MiB through gmem and 64 MiB of
 * anonymous memory without trouble: the limit holds only the cgroup.
 *
 * The memory is charged to the cgroup of the task that created the fd,
 * whoever allocates it (fallocate, populate, a fault, a consumer's
 * resolve), and that cgroup's limit binds every task using the fd.
 *
 * Works on any kernel with cgroup v2 and the memory controller (stock
 * Debian kernels and the debug kernel alike); mounts cgroup2 at
 * /sys/fs/cgroup if nothing is mounted there.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <linux/magic.h>
#include <sys/vfs.h>

#include "check.h"
#include "gmem_test.h"
#include "gmemfd.h"
#include "modctl.h"
#include "suites.h"

#define CGROOT		"/sys/fs/cgroup"
#define LIMIT		(64 * MiB)
#define ASK		(128 * MiB)
#define HELD		(32 * MiB)
#define SLACK		(4 * MiB)
#define PUNCH		(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE)

static char cg[128], cg2[160];

static void cg_path(char *buf, size_t len, const char *dir, const char *file)
{
	snprintf(buf, len, "%s/%s", dir, file);
}

static unsigned long long cg_read(const char *dir, const char *file)
{
	unsigned long long v;
	char path[256];
	int ret;

	cg_path(path, sizeof(path), dir, file);
	ret = read_ull(path, &v);
	if (ret)
		FAIL("reading %s: %s", path, errno_name(-ret));
	return v;
}

/* A "key value" line of memory.stat or memory.events. */
static unsigned long long cg_key(const char *dir, const char *file,
				 const char *key)
{
	char path[256], line[256], k[128];
	unsigned long long v;
	FILE *f;

	cg_path(path, sizeof(path), dir, file);
	f = fopen(path, "re");
	if (!f)
		FAIL("%s: %s", path, errno_name(errno));
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s %llu", k, &v) == 2 && !strcmp(k, key)) {
			fclose(f);
			return v;
		}
	}
	fclose(f);
	FAIL("%s has no %s", path, key);
}

static void cg_write(const char *dir, const char *file, const char *val)
{
	char path[256];
	int ret;

	cg_path(path, sizeof(path), dir, file);
	ret = write_str(path, val);
	if (ret)
		FAIL("writing '%s' to %s: %s", val, path, errno_name(-ret));
}

/* cgroup v2 with the memory controller, and a new group @dir under it. */
static void cg_setup(char *dir, size_t len, const char *name)
{
	struct statfs sfs;
	char ctl[256] = "";
	FILE *f;

	if (statfs(CGROOT, &sfs) || sfs.f_type != CGROUP2_SUPER_MAGIC) {
		mkdir(CGROOT, 0755);
		if (mount("cgroup2", CGROOT, "cgroup2", 0, NULL))
			test_skip("cannot mount cgroup2 at %s: %s", CGROOT,
				  errno_name(errno));
	}
	f = fopen(CGROOT "/cgroup.controllers", "re");
	if (!f || !fgets(ctl, sizeof(ctl), f) || !strstr(ctl, "memory"))
		test_skip("no memory controller in cgroup v2 (%s)", ctl);
	fclose(f);
	cg_write(CGROOT, "cgroup.subtree_control", "+memory");
	snprintf(dir, len, "%s/%s-%d", CGROOT, name, getpid());
	if (mkdir(dir, 0755))
		FAIL("mkdir %s: %s", dir, errno_name(errno));
}

static void cg_enter(const char *dir)
{
	cg_write(dir, "cgroup.procs", "0");
}

/* rmdir once the group's last process is gone (it may take a moment). */
static void cg_remove(const char *dir)
{
	for (int i = 0; i < 200; i++) {
		if (!rmdir(dir) || errno == ENOENT)
			return;
		usleep(10 * 1000);
	}
	FAIL("rmdir %s: %s", dir, errno_name(errno));
}

static void cleanup(void)
{
	DIR *d = opendir(CGROOT);
	struct dirent *e;

	if (!d)
		return;
	/* Whatever a failed run left: groups named by this suite. */
	while ((e = readdir(d))) {
		char path[512];

		if (strncmp(e->d_name, "gmem-memcg", 10))
			continue;
		snprintf(path, sizeof(path), "%s/%s", CGROOT, e->d_name);
		for (int i = 0; i < 200 && rmdir(path) && errno == EBUSY; i++)
			usleep(10 * 1000);
	}
	closedir(d);
}

static void wait_child(pid_t pid, const char *what)
{
	int status;

	ASSERT_SYS(waitpid(pid, &status, 0));
	if (WIFSIGNALED(status))
		FAIL("%s was killed by SIG%s", what,
		     sigabbrev_np(WTERMSIG(status)) ?: "?");
	if (WEXITSTATUS(status))
		FAIL("%s failed (exit status %d)", what, WEXITSTATUS(status));
}

/*
 * In the limited cgroup: everything gmem(4) promises about ENOMEM.
 * Tells the parent on @up when it holds its 32 MiB, waits on @down.
 */
static void limited_child(int up, int down)
{
	long ps = page_size();
	static unsigned char buf[1 << 20];
	struct gmem_populate p = { .uaddr = (uintptr_t)buf };
	unsigned long long cur;
	int fd, ct = -1, err, punch_ret;
	char c;

	cg_enter(cg);
	fd = gmem_new(2 * ASK);

	/* 128 MiB: refused, and what it took is given back. */
	EXPECT_ERRNO(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, ASK), ENOMEM);
	EXPECT_EQ(gmem_blocks(fd), 0);
	EXPECT_EQ(gmem_info(fd).allocated, 0);
	cur = cg_read(cg, "memory.current");
	EXPECT_LE(cur, SLACK);
	test_diag("after the refused 128 MiB: memory.current %llu KiB", cur / 1024);

	/* 32 MiB fits, and is the cgroup's. */
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, HELD));
	EXPECT_EQ(gmem_blocks(fd) * 512, HELD);
	cur = cg_read(cg, "memory.current");
	EXPECT_GE(cur, HELD);
	EXPECT_LE(cur, LIMIT);
	EXPECT_GE(cg_key(cg, "memory.stat", "file"), HELD);
	/* New pages reach the unevictable list through per-CPU batches. */
	EXPECT_GE(cg_key(cg, "memory.stat", "unevictable"), HELD - SLACK);
	test_diag("holding 32 MiB: memory.current %llu KiB, file %llu KiB, unevictable %llu KiB",
		  cur / 1024, cg_key(cg, "memory.stat", "file") / 1024,
		  cg_key(cg, "memory.stat", "unevictable") / 1024);

	/*
	 * Populate the rest, 1 MiB at a time, until the limit stops it.  The
	 * pages copied before that stay (gmem(4)), so the group is full: the
	 * next charged allocation of this task (a page table, a seq_file
	 * buffer) would invoke the group's OOM killer.  Punch them at once,
	 * before anything else here allocates.
	 */
	fill_pattern(buf, sizeof(buf), 9);
	err = 0;
	for (p.offset = HELD; p.offset < ASK; p.offset += sizeof(buf)) {
		p.length = sizeof(buf);
		p.copied = 0;
		if (ioctl(fd, GMEM_POPULATE, &p)) {
			err = errno;
			break;
		}
	}
	punch_ret = fallocate(fd, PUNCH, HELD, 2 * ASK - HELD);
	EXPECT_EQ(punch_ret, 0);
	EXPECT_TRUE(p.offset < ASK);
	EXPECT_EQ(err, ENOMEM);
	EXPECT_EQ(p.copied % ps, 0);
	test_diag("GMEM_POPULATE stopped at %llu MiB + %llu KiB: %s",
		  (unsigned long long)(p.offset / MiB),
		  (unsigned long long)(p.copied / 1024), errno_name(err));

	/* A consumer resolve past the limit: -ENOMEM, then punch again. */
	if (modctl_is_live("gmem_test"))
		ct = open("/dev/gmem_test", O_RDWR | O_CLOEXEC);
	if (ct >= 0) {
		struct gmem_test_bind b = { .fd = fd, .nr_pages = 2 * ASK / ps };
		struct gmem_test_resolve r = { .index = HELD / ps };
		long n = 0;

		ASSERT_SYS(ioctl(ct, GMEM_TEST_BIND, &b));
		r.slot = b.slot;
		err = 0;
		for (; r.index < 2 * ASK / ps && !err; r.index++, n++) {
			if (ioctl(ct, GMEM_TEST_RESOLVE, &r))
				err = -1000;
			else
				err = r.err;
		}
		punch_ret = fallocate(fd, PUNCH, HELD, 2 * ASK - HELD);
		EXPECT_EQ(punch_ret, 0);
		EXPECT_EQ(err, -ENOMEM);
		test_diag("consumer resolves: %ld worked, then %d", n - 1, err);
		ASSERT_SYS(ioctl(ct, GMEM_TEST_UNBIND, &b.slot));
		close(ct);
	} else {
		test_diag("no /dev/gmem_test: the consumer's resolve is not tried");
	}
	EXPECT_LE(cg_read(cg, "memory.current"), HELD + SLACK);
	EXPECT_EQ(cg_key(cg, "memory.events", "oom_kill"), 0);

	/* Let the parent check the rest of the guest, then let go. */
	ASSERT_EQ(write(up, "x", 1), 1);
	ASSERT_EQ(read(down, &c, 1), 1);
	close(fd);
	test_end();
}

static void limit_enomem(void)
{
	long long oom_before = vmstat_get("oom_kill");
	unsigned char *anon;
	int up[2], down[2], fd;
	size_t len = 64 * MiB;
	pid_t pid;
	char c;

	cg_setup(cg, sizeof(cg), "gmem-memcg");
	cg_write(cg, "memory.max", "67108864");
	ASSERT_SYS(pipe(up));
	ASSERT_SYS(pipe(down));
	pid = ASSERT_SYS(fork());
	if (!pid) {
		close(up[0]);
		close(down[1]);
		limited_child(up[1], down[0]);
	}
	close(up[1]);
	close(down[0]);
	/* The child holds 32 MiB at its limit now, or died trying. */
	if (read(up[0], &c, 1) != 1) {
		wait_child(pid, "the child in the limited cgroup");
		FAIL("the child in the limited cgroup ended early");
	}

	/* The rest of the guest: 128 MiB through gmem, 64 MiB anonymous. */
	fd = gmem_new(ASK);
	EXPECT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, ASK));
	EXPECT_EQ(gmem_blocks(fd) * 512, ASK);
	anon = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(anon != MAP_FAILED);
	memset(anon, 0x5a, len);
	munmap(anon, len);
	close(fd);

	ASSERT_EQ(write(down[1], "x", 1), 1);
	close(down[1]);
	close(up[0]);
	wait_child(pid, "the child in the limited cgroup");
	EXPECT_EQ(vmstat_get("oom_kill"), oom_before);

	/* Its memory left the cgroup with its fd. */
	for (int i = 0; i < 100 && cg_read(cg, "memory.current") > SLACK; i++)
		usleep(10 * 1000);
	EXPECT_LE(cg_read(cg, "memory.current"), SLACK);
	cg_remove(cg);
}

/* memory.current of @dir, less @base, in bytes (may be negative). */
static long long cg_grew(const char *dir, unsigned long long base)
{
	return (long long)cg_read(dir, "memory.current") - (long long)base;
}

/*
 * Charges reach memory.current through per-CPU stocks of 64 pages and
 * memory.stat through per-CPU counters flushed in batches: a group may
 * read up to this much off in either direction.
 */
#define BATCH		(1 * MiB)

/*
 * Which cgroup pays: the creating task's (issue 8), whoever allocates.  A
 * task creates an fd in group A, moves to group B, and from B allocates
 * with fallocate(), GMEM_POPULATE, a fault on a shared page and a
 * consumer resolve (with gmem_test loaded): each grows A's
 * memory.current by what it allocated and B's not at all; A's
 * memory.stat shows the pages as file and unevictable, B's does not.
 * Closing the fd takes them out of A.
 */
static void charged_to_creator(void)
{
	static unsigned char buf[1 << 20];
	unsigned long long a0, b0, fa0, ua0, fb0, want = 0;
	long long da, db;
	long ps = page_size();
	unsigned char *map;
	int fd, ct = -1;

	/* The populate source, faulted in while still in the root group. */
	fill_pattern(buf, sizeof(buf), 3);
	cg_setup(cg, sizeof(cg), "gmem-memcg-a");
	snprintf(cg2, sizeof(cg2), "%s-b", cg);
	if (mkdir(cg2, 0755))
		FAIL("mkdir %s: %s", cg2, errno_name(errno));
	if (modctl_is_live("gmem_test"))
		ct = open("/dev/gmem_test", O_RDWR | O_CLOEXEC);
	cg_enter(cg);
	fd = gmem_new_flags(64 * MiB, GMEM_CREATE_MMAP);
	cg_enter(cg2);
	map = gmem_map(fd, 64 * MiB);
	CONVERT(fd, 24 * MiB, 8 * MiB, GMEM_SHARED);
	a0 = cg_read(cg, "memory.current");
	b0 = cg_read(cg2, "memory.current");
	fa0 = cg_key(cg, "memory.stat", "file");
	ua0 = cg_key(cg, "memory.stat", "unevictable");
	fb0 = cg_key(cg2, "memory.stat", "file");
	test_diag("created in A, every allocation below from a task in B");

	/* fallocate */
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 16 * MiB));
	want += 16 * MiB;
	da = cg_grew(cg, a0);
	db = cg_grew(cg2, b0);
	test_diag("fallocate 16 MiB: A %+lld KiB, B %+lld KiB", da / 1024, db / 1024);
	EXPECT_GE(da, (long long)(want - BATCH));
	EXPECT_LE(db, (long long)BATCH);

	/* GMEM_POPULATE */
	for (unsigned long long off = 16 * MiB; off < 24 * MiB; off += sizeof(buf))
		POPULATE(fd, off, sizeof(buf), buf);
	want += 8 * MiB;
	da = cg_grew(cg, a0);
	db = cg_grew(cg2, b0);
	test_diag("+ GMEM_POPULATE 8 MiB: A %+lld KiB, B %+lld KiB", da / 1024, db / 1024);
	EXPECT_GE(da, (long long)(want - BATCH));
	EXPECT_LE(db, (long long)BATCH);

	/* faults on shared holes (B pays only for the page tables) */
	for (unsigned long long off = 24 * MiB; off < 32 * MiB; off += ps)
		map[off] = 1;
	want += 8 * MiB;
	da = cg_grew(cg, a0);
	db = cg_grew(cg2, b0);
	test_diag("+ faults on 8 MiB: A %+lld KiB, B %+lld KiB", da / 1024, db / 1024);
	EXPECT_GE(da, (long long)(want - BATCH));
	EXPECT_LE(db, (long long)BATCH);

	/* a consumer's resolve, in B's task's ioctl */
	if (ct >= 0) {
		struct gmem_test_bind b = {
			.fd = fd, .start = 32 * MiB / ps, .nr_pages = 8 * MiB / ps,
		};
		struct gmem_test_resolve r = { 0 };

		ASSERT_SYS(ioctl(ct, GMEM_TEST_BIND, &b));
		r.slot = b.slot;
		for (r.index = b.start; r.index < b.start + b.nr_pages; r.index++) {
			ASSERT_SYS(ioctl(ct, GMEM_TEST_RESOLVE, &r));
			ASSERT_EQ(r.err, 0);
		}
		ASSERT_SYS(ioctl(ct, GMEM_TEST_UNBIND, &b.slot));
		close(ct);
		want += 8 * MiB;
		da = cg_grew(cg, a0);
		db = cg_grew(cg2, b0);
		test_diag("+ consumer resolves of 8 MiB: A %+lld KiB, B %+lld KiB",
			  da / 1024, db / 1024);
		EXPECT_GE(da, (long long)(want - BATCH));
		EXPECT_LE(db, (long long)BATCH);
	} else {
		test_diag("no /dev/gmem_test: the consumer's resolve is not tried");
	}
	EXPECT_EQ(gmem_info(fd).allocated, want);
	EXPECT_LE(da, (long long)(want + BATCH));

	/* memory.stat: A's file pages, on the unevictable list; not B's. */
	da = cg_key(cg, "memory.stat", "file") - fa0;
	db = cg_key(cg2, "memory.stat", "file") - fb0;
	test_diag("memory.stat file: A %+lld KiB, B %+lld KiB; A unevictable %+lld KiB",
		  da / 1024, db / 1024,
		  ((long long)cg_key(cg, "memory.stat", "unevictable") - (long long)ua0) / 1024);
	EXPECT_GE(da, (long long)(want - BATCH));
	EXPECT_LE(db, (long long)BATCH);
	/* New pages reach the unevictable list through per-CPU batches. */
	EXPECT_GE(cg_key(cg, "memory.stat", "unevictable") - ua0, want - SLACK);

	/* Closing the fd (and the mapping) uncharges A. */
	munmap(map, 64 * MiB);
	close(fd);
	for (int i = 0; i < 100 && cg_grew(cg, a0) > (long long)BATCH; i++)
		usleep(10 * 1000);
	da = cg_grew(cg, a0);
	test_diag("after close: A %+lld KiB", da / 1024);
	EXPECT_LE(da, (long long)BATCH);
	cg_enter(CGROOT);
	cg_remove(cg2);
	cg_remove(cg);
}

/*
 * The creator's limit binds everyone: an fd created in a group with
 * memory.max = 64 MiB refuses 128 MiB to a task of another group with
 * ENOMEM (gmem(4), fallocate), keeping nothing, and 32 MiB from that task
 * fit and are charged to the creator's group.  Nothing is OOM-killed.
 */
static void creator_limit(void)
{
	long long oom_before = vmstat_get("oom_kill");
	unsigned long long cur;
	int fd;

	cg_setup(cg, sizeof(cg), "gmem-memcg-lim");
	cg_write(cg, "memory.max", "67108864");
	cg_enter(cg);
	fd = gmem_new(2 * ASK);
	cg_enter(CGROOT);

	EXPECT_ERRNO(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, ASK), ENOMEM);
	EXPECT_EQ(gmem_blocks(fd), 0);
	EXPECT_EQ(gmem_info(fd).allocated, 0);
	cur = cg_read(cg, "memory.current");
	test_diag("128 MiB asked from the root group: memory.current of the creator's %llu KiB",
		  cur / 1024);
	EXPECT_LE(cur, SLACK);

	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, HELD));
	cur = cg_read(cg, "memory.current");
	test_diag("32 MiB from the root group: memory.current of the creator's %llu KiB",
		  cur / 1024);
	EXPECT_GE(cur, HELD - BATCH);
	EXPECT_LE(cur, LIMIT);
	EXPECT_EQ(cg_key(cg, "memory.events", "oom_kill"), 0);
	EXPECT_EQ(vmstat_get("oom_kill"), oom_before);
	close(fd);
	for (int i = 0; i < 100 && cg_read(cg, "memory.current") > SLACK; i++)
		usleep(10 * 1000);
	EXPECT_LE(cg_read(cg, "memory.current"), SLACK);
	cg_remove(cg);
}

static const struct test tests[] = {
	TEST("128 MiB in a 64 MiB cgroup: ENOMEM, charged there, nobody else notices",
	     limit_enomem, .timeout = 300, .cleanup = cleanup,
	     .kmsg_allow = "memory.max"),
	TEST("memory is charged to the cgroup of the task that created the fd",
	     charged_to_creator, .timeout = 120, .cleanup = cleanup),
	TEST("the creator's 64 MiB cgroup refuses 128 MiB to a task outside it",
	     creator_limit, .timeout = 300, .cleanup = cleanup,
	     .kmsg_allow = "memory.max"),
};

DEFINE_SUITE(memcg_suite, "memcg", tests);
