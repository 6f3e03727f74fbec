// SPDX-License-Identifier: GPL-2.0
/*
 * gmem-bench's qemu part: the guest part's passes (guest.c), run by a real
 * guest under an unmodified VMM.  Debian's own QEMU (scripts/clients/
 * qemu-fetch; /qemu in this boot's initramfs) boots a Debian kernel
 * (/qemu/l2) whose /init (tests/clients/l2-init.c, with client_bench=1)
 * first touches, re-reads and walks BENCH_GUEST_MB of its memory, timing
 * each pass itself.  gmem-qemu-run (tests/clients) starts QEMU and reads
 * KVM's exits, pages_4k and pages_2m of QEMU's VM between the passes.
 * QEMU's RAM is, in turn:
 *
 *   gmem             a gmem fd as QEMU's memory-backend-file (the fd
 *                    given by gmem-qemu-run, GMEM_CREATE_MMAP |
 *                    GMEM_CREATE_SHARED), its memslot made a gmem-only
 *                    memslot by libgmem-preload.so (GMEM_PRELOAD_GMEM_ONLY):
 *                    KVM resolves each of the guest's faults with
 *                    gmem_get_pfn(), as for private memory
 *   gmem-huge        the same with GMEM_CREATE_HUGE, QEMU's mapping 2 MiB
 *                    aligned so that KVM may map a block with one entry
 *   anonymous        QEMU's own RAM (memory-backend-ram), as QEMU runs by
 *                    default, with transparent huge pages off
 *   anonymous, THP   the same with transparent huge pages "always"
 *
 * KVM's own guest_memfd is not among them: an unmodified QEMU gives a
 * guest guest_memfd memory only as a confidential guest (SEV-SNP, TDX,
 * which need the hardware), and cannot take a guest_memfd as a
 * memory-backend-file, since its inode cannot be opened again through
 * /proc/self/fd.  QEMU's anonymous RAM is what a QEMU user compares with.
 *
 * The L2 guest gets BENCH_GUEST_MB plus 256 MiB for its kernel; memory is
 * compacted before each run, so that every backend finds 2 MiB pages
 * alike.  Needs the patched KVM for the gmem backends (a stock KVM refuses
 * a gmem-only memslot): guest_probe()'s reason makes them unavailable.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define QEMU_ROOT	"/qemu"
#define LAUNCHER	"/bin/gmem-qemu-run"
#define THP_ENABLED	"/sys/kernel/mm/transparent_hugepage/enabled"
/* The L2 kernel's own memory, beside what it touches. */
#define L2_EXTRA_MB	256
/* Per QEMU run: an L2 boot and three passes under nested TCG. */
#define QEMU_TIMEOUT	900
/* The launcher's and QEMU's arguments, the NULL after them included. */
#define MAX_ARGS	64
#define ARG(s)								\
	do {								\
		if (argc == MAX_ARGS - 1)				\
			die("qemu: more than %d arguments", MAX_ARGS - 1); \
		argv[argc++] = (s);					\
	} while (0)

const char *const qemu_backend_name[NR_QEMU_BACKENDS] = {
	[QB_GMEM]	= "gmem",
	[QB_GMEM_HUGE]	= "gmem-huge",
	[QB_ANON]	= "anonymous",
	[QB_ANON_THP]	= "anonymous, THP",
};

static const char *why_not[NR_QEMU_BACKENDS];
/* THP_ENABLED's mode before the part, put back after each anonymous run. */
static char thp_mode[16];

const char *qemu_unavailable(enum qemu_backend qb)
{
	return why_not[qb];
}

static bool is_gmem(enum qemu_backend qb)
{
	return qb == QB_GMEM || qb == QB_GMEM_HUGE;
}

/* The bracketed word of THP_ENABLED ("always [madvise] never"), or "". */
static void thp_read(char *mode, size_t len)
{
	char buf[128] = "", *l, *r;
	FILE *f = fopen(THP_ENABLED, "re");

	*mode = 0;
	if (!f)
		return;
	if (fgets(buf, sizeof(buf), f) && (l = strchr(buf, '[')) &&
	    (r = strchr(l, ']'))) {
		*r = 0;
		snprintf(mode, len, "%s", l + 1);
	}
	fclose(f);
}

void qemu_probe(void)
{
	static const char *const need[] = {
		QEMU_ROOT "/usr/bin/qemu-system-x86_64",
		QEMU_ROOT "/l2/vmlinuz",
		QEMU_ROOT "/l2/initramfs.cpio.gz",
		QEMU_ROOT "/usr/lib/gmem/libgmem-preload.so",
		LAUNCHER,
		"/dev/kvm",
	};
	static char missing[96];
	const char *why = NULL;
	unsigned int i;
	int qb;

	for (i = 0; i < sizeof(need) / sizeof(need[0]) && !why; i++) {
		if (access(need[i], F_OK))
			why = need[i];
	}
	if (why) {
		snprintf(missing, sizeof(missing), "no %s in this boot", why);
		for (qb = 0; qb < NR_QEMU_BACKENDS; qb++)
			why_not[qb] = missing;
		return;
	}
	/* Whether KVM takes a gmem fd in a memslot: the guest part's probe. */
	why_not[QB_GMEM] = guest_unavailable(GB_GMEM);
	why_not[QB_GMEM_HUGE] = guest_unavailable(GB_GMEM_HUGE);
	thp_read(thp_mode, sizeof(thp_mode));
	if (!*thp_mode)
		why_not[QB_ANON] = why_not[QB_ANON_THP] =
			"no " THP_ENABLED ": QEMU's RAM would be whatever the kernel gives";
}

/* What the launcher's "# CLIENT-BENCH" line says. */
struct qemu_result {
	int ok, mapped, gmem_only;
	double touch, reread, walk, userspace, total;
	unsigned long long exits[3], pages_4k, pages_2m, allocated_mib, large;
};

static bool parse(const char *log, struct qemu_result *q)
{
	const char *p = strstr(log, "# CLIENT-BENCH ");

	/* After the backend's name, which has blanks of its own. */
	if (!p || !(p = strstr(p, " ok=")))
		return false;
	return sscanf(p, " ok=%d touch=%lf reread=%lf walk=%lf exits-touch=%llu exits-reread=%llu exits-walk=%llu pages-4k=%llu pages-2m=%llu allocated-mib=%llu large-folios=%llu mapped=%d gmem-only=%d userspace=%lf total=%lf",
		      &q->ok, &q->touch, &q->reread, &q->walk, &q->exits[0],
		      &q->exits[1], &q->exits[2], &q->pages_4k, &q->pages_2m,
		      &q->allocated_mib, &q->large, &q->mapped, &q->gmem_only,
		      &q->userspace, &q->total) == 15;
}

/* The whole of the launcher's output (it is a few KiB), NUL-terminated. */
static char *slurp(const char *path)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap + 1);
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (!buf)
		die("qemu: no memory for the launcher's output");
	while (fd >= 0 && len < cap && (n = read(fd, buf + len, cap - len)) > 0)
		len += n;
	if (fd >= 0)
		close(fd);
	buf[len] = 0;
	return buf;
}

/* Runs the launcher with @argv, its output in @log; its exit status. */
static int launch(char *const argv[], const char *log)
{
	int status, fd;
	pid_t pid = fork();

	if (pid < 0)
		die("qemu: fork: %s", strerror(errno));
	if (!pid) {
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		die("qemu: waitpid: %s", strerror(errno));
	return status;
}

/* Linux 6.x's KVM has gmem-only memslots in protected VMs only. */
static bool needs_protected_vm(void)
{
	struct utsname u;

	return !uname(&u) && !strncmp(u.release, "6.", 2);
}

void bench_qemu(enum qemu_backend qb, uint64_t size, bool first)
{
	const char *name = qemu_backend_name[qb];
	unsigned long long mib = size / MiB, ram = mib + L2_EXTRA_MB;
	char ram_s[32], mib_s[32], timeout_s[32], mem[32], console[64],
	     serial[96], object[192], append[160], log[64], preload_log[64],
	     preload_log_env[96];
	const char *argv[MAX_ARGS];
	struct qemu_result q;
	int argc = 0, status, attempt;
	char *out;

	snprintf(ram_s, sizeof(ram_s), "%llu", ram);
	snprintf(mib_s, sizeof(mib_s), "%llu", mib);
	snprintf(timeout_s, sizeof(timeout_s), "%d", QEMU_TIMEOUT);
	snprintf(mem, sizeof(mem), "%lluM", ram);
	snprintf(console, sizeof(console), "/tmp/bench-%d.console", qb);
	snprintf(serial, sizeof(serial), "file:%s", console);
	snprintf(log, sizeof(log), "/tmp/bench-qemu-%d.log", qb);
	snprintf(preload_log, sizeof(preload_log), "/tmp/bench-%d.preload", qb);
	snprintf(preload_log_env, sizeof(preload_log_env),
		 "GMEM_PRELOAD_LOG=%s", preload_log);
	snprintf(append, sizeof(append),
		 "console=ttyS0 reboot=t panic=-1 quiet client_mib=%llu client_bench=1",
		 mib);
	if (is_gmem(qb))
		snprintf(object, sizeof(object),
			 "memory-backend-file,id=ram0,mem-path=/proc/self/fd/%%FD%%,share=on,size=%lluM%s",
			 ram, qb == QB_GMEM_HUGE ? ",align=2M" : "");
	else
		snprintf(object, sizeof(object),
			 "memory-backend-ram,id=ram0,size=%lluM", ram);

	ARG(LAUNCHER);
	ARG("-b");
	ARG("-n");
	ARG(name);
	ARG("-m");
	ARG(ram_s);
	ARG("-e");
	ARG(mib_s);
	ARG("-t");
	ARG(timeout_s);
	ARG("-r");
	ARG(QEMU_ROOT);
	ARG("-c");
	ARG(console);
	ARG("-f");
	ARG("1");
	if (qb == QB_GMEM_HUGE)
		ARG("-H");
	if (is_gmem(qb)) {
		ARG("-E");
		ARG("LD_PRELOAD=/usr/lib/gmem/libgmem-preload.so");
		ARG("-E");
		ARG("GMEM_PRELOAD_GMEM_ONLY=1");
		ARG("-E");
		ARG(preload_log_env);
		if (needs_protected_vm()) {
			ARG("-E");
			ARG("GMEM_PRELOAD_PROTECTED=1");
		}
		ARG("-k");
		ARG(preload_log);
	}
	ARG("--");
	ARG("/usr/bin/qemu-system-x86_64");
	/* A protected VM has no SMM address space: off for all, alike. */
	ARG("-M");
	ARG("microvm,memory-backend=ram0,smm=off");
	ARG("-accel");
	ARG("kvm");
	ARG("-cpu");
	ARG("qemu64");
	ARG("-smp");
	ARG("1");
	ARG("-m");
	ARG(mem);
	ARG("-object");
	ARG(object);
	ARG("-nodefaults");
	ARG("-no-user-config");
	ARG("-display");
	ARG("none");
	ARG("-no-reboot");
	ARG("-serial");
	ARG(serial);
	ARG("-kernel");
	ARG("/l2/vmlinuz");
	ARG("-initrd");
	ARG("/l2/initramfs.cpio.gz");
	ARG("-append");
	ARG(append);
	argv[argc] = NULL;

	/*
	 * Nested TCG now and then kills a guest as no hardware would (an L2
	 * kernel once oopsed on its own entry stack in a run on QEMU's
	 * anonymous RAM): a failed run runs once more, and says so in a
	 * header line; a second failure ends the benchmark.
	 */
	for (attempt = 1;; attempt++) {
		if (!is_gmem(qb))
			write_file(THP_ENABLED,
				   qb == QB_ANON_THP ? "always" : "never");
		write_file("/proc/sys/vm/compact_memory", "1");
		status = launch((char *const *)argv, log);
		if (!is_gmem(qb))
			write_file(THP_ENABLED, thp_mode);

		out = slurp(log);
		if (parse(out, &q) && q.ok && WIFEXITED(status) &&
		    !WEXITSTATUS(status))
			break;
		fprintf(stderr, "%s", out);
		free(out);
		if (attempt == 2)
			die("qemu, %s: the run failed twice (status %#x; the output above)",
			    name, status);
		note("qemu, %s: the run failed (status %#x; its output above), once more",
		     name, status);
		info("qemu, %s: a run failed (status %#x, the launcher's output on the console) and ran again",
		     name, status);
	}
	/* QEMU's RAM was what it was meant to be, else the numbers lie. */
	if (is_gmem(qb) && (!q.mapped || !q.gmem_only || q.allocated_mib < mib))
		die("qemu, %s: QEMU's RAM was not a gmem-only memslot on the fd (mapped %d, gmem-only %d, %llu MiB allocated of %llu touched)",
		    name, q.mapped, q.gmem_only, q.allocated_mib, mib);
	if (!is_gmem(qb) && (q.mapped || q.allocated_mib))
		die("qemu, %s: QEMU mapped the launcher's gmem fd", name);
	free(out);

	record(B_QEMU_TOUCH, name, "s", q.touch);
	record(B_QEMU_READ, name, "s", q.reread);
	record(B_QEMU_WALK, name, "s", q.walk);
	record(B_QEMU_TOUCH_EXITS, name, "exits", q.exits[0]);
	record(B_QEMU_READ_EXITS, name, "exits", q.exits[1]);
	record(B_QEMU_WALK_EXITS, name, "exits", q.exits[2]);
	record(B_QEMU_PAGES_4K, name, "pages", q.pages_4k);
	record(B_QEMU_PAGES_2M, name, "pages", q.pages_2m);
	record(B_QEMU_BOOT, name, "s", q.userspace);
	if (first && qb == QB_GMEM_HUGE)
		info("qemu, gmem-huge: %llu 2 MiB folios of %llu MiB allocated",
		     q.large, q.allocated_mib);
}
