// SPDX-License-Identifier: GPL-2.0
/*
 * gmem-qemu-run: run an unmodified QEMU with a gmem fd as its guest RAM
 * and judge the run, in TAP.  Runs in the L1 test guest
 * (scripts/clients/check-clients, tests/clients/init).
 *
 *   gmem-qemu-run -n NAME -m MIB -e MIB -t SECS -r ROOT -c CONSOLE
 *                 -f FIRST [-H] [-E VAR=VALUE]... [-k LOG]
 *                 [-P | -p REASON] [-N NODE] [-b] -- QEMU-ARGV...
 *
 * Creates a gmem fd of -m MiB with GMEM_CREATE_MMAP | GMEM_CREATE_SHARED
 * (and GMEM_CREATE_HUGE with -H), leaves it open across exec, and runs
 * QEMU-ARGV chrooted into ROOT (the QEMU of a Debian suite, its libraries
 * beside it) with every "%FD%" in its arguments replaced by the fd's
 * number: e.g. mem-path=/proc/self/fd/%FD%, which QEMU opens again.
 * CONSOLE is the file (inside ROOT) that QEMU writes the L2 guest's serial
 * console to; tests/clients/l2-init.c says what the guest prints there.
 *
 * While QEMU runs, every 200 ms: GMEM_INFO of the fd (the most it held),
 * QEMU's /proc/PID/maps (a mapping of the fd's inode, as large as the
 * fd) and its fds' fdinfo (a gmem file of that size other than the fd
 * it inherited: the one it opened), and the console.
 * After -t seconds QEMU is killed.  Prints TAP lines numbered from
 * FIRST, always 5 of them:
 *   QEMU mapped the gmem fd as guest RAM (its maps and fdinfo)
 *   the L2 guest reached userspace
 *   the L2 guest wrote and verified -e MiB
 *   gmem held the guest's memory: GMEM_INFO's allocated reached -e MiB
 *     (so QEMU did not fall back to anonymous memory); with -H, at least
 *     half of it in 2 MiB folios
 *   QEMU exited by itself, status 0, within the timeout
 * and with -k LOG a sixth: KVM resolved the guest's RAM through gmem, as
 * a gmem-only memslot: libgmem-preload.so's log LOG (a path inside ROOT;
 * QEMU runs with GMEM_PRELOAD_LOG=LOG) shows one made on the fd's memory,
 * and with -H KVM's pages_2m statistic (debugfs, kvm/PID-FD/pages_2m of
 * QEMU's VM, sampled as above) went above 0: 2 MiB NPT mappings, which
 * an ordinary memslot gets only where the host maps 2 MiB too.  With -P
 * (and no -k), the sixth result is that for an ordinary memslot: KVM's
 * pages_2m went above 0, so it mapped gmem's 2 MiB folios with 2 MiB
 * entries because gmem mapped them into QEMU with PMDs (6.15+, QEMU's
 * mapping 2 MiB aligned); -p REASON makes the same result a SKIP with
 * REASON, where the kernel cannot.  With -N NODE (QEMU given host-nodes=
 * NODE,policy=bind on the backend, which it applies with mbind() to its
 * mapping of the fd), one more result after those: the guest's memory
 * landed on NODE: after QEMU is gone, the fd's fdinfo shows at least -e
 * MiB in gmem-node<NODE>, nothing on any other node, and a range with a
 * policy of its own (gmem-mbind-ranges; the policy belongs to the fd's
 * memory and outlives QEMU's mapping).  -E sets a variable in QEMU's
 * environment only (LD_PRELOAD, GMEM_PRELOAD_*).
 * Last, a line "# CLIENT-TIME NAME userspace=S wall-userspace=S total=S
 * allocated-mib=N large-folios=N" for the host to collect.  A failure
 * shows QEMU's stderr and the console's tail.  Exit status 0 when all
 * passed, 1 otherwise.
 *
 * -b is gmem-bench's mode (tests/bench/qemu.c): the L2 guest, given
 * client_bench=1, times its passes over its memory (tests/clients/
 * l2-init.c), and at each of its four "CLIENT-L2 phase" markers this
 * reads KVM's exits, pages_4k and pages_2m of QEMU's VM.  No TAP: one
 * line
 *   # CLIENT-BENCH NAME ok=0|1 touch=S reread=S walk=S exits-touch=N
 *     exits-reread=N exits-walk=N pages-4k=N pages-2m=N allocated-mib=N
 *     large-folios=N mapped=0|1 gmem-only=0|1 userspace=S total=S
 * where pages-* are KVM's leaf mappings after the first touch, mapped
 * and allocated-mib say whether QEMU's RAM was the fd (a baseline with
 * QEMU's own RAM has 0 for both), and gmem-only (with -k) whether the
 * memslot was a gmem-only one.  ok=1, and exit status 0, when the guest
 * ran every pass with its sums right and QEMU exited by itself, status
 * 0, within the timeout; the judging of those numbers is the caller's.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/gmem.h>

#define MiB		(1ULL << 20)
#define CONSOLE_MAX	(1 << 20)

struct run {
	const char *name, *root, *console;
	unsigned long long size, expect;
	unsigned int timeout, first;
	bool huge;
	const char *preload_log;
	bool want_pmd;			/* -P */
	const char *no_pmd;		/* -p REASON */
	int node;			/* -N NODE, else -1 */
	char *env[8];
	int nenv;
	bool bench;			/* -b */
	/* -b: KVM's statistics at each phase marker of the guest's */
	struct kvm_stats {
		unsigned long long exits, pages_4k, pages_2m;
	} at[4];
	int phases;
	off_t console_size;
	unsigned long long max_pages_2m;
	bool kvm_seen;			/* QEMU's VM found in debugfs */
	/* QEMU's PMD mappings of files (smaps_rollup), kB; its mapping's start */
	unsigned long long max_pmd_kb, map_start;
	int fd;
	struct stat st;
	/* what was seen */
	unsigned long long max_allocated, max_large;
	bool mapped, fdinfo;
	double t_start, t_userspace, t_end;
	char console_path[4096], stderr_path[4096];
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static noreturn void die(const char *what)
{
	printf("Bail out! gmem-qemu-run: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* The whole of a small file (at most CONSOLE_MAX bytes), NUL-terminated. */
static char *slurp(const char *path)
{
	char *buf = calloc(1, CONSOLE_MAX + 1);
	ssize_t n, len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (!buf)
		die("calloc");
	if (fd < 0)
		return buf;
	while (len < CONSOLE_MAX &&
	       (n = read(fd, buf + len, CONSOLE_MAX - len)) > 0)
		len += n;
	close(fd);
	for (ssize_t i = 0; i < len; i++)
		if (!buf[i])
			buf[i] = ' ';
	return buf;
}

/* Does QEMU map the fd's inode, all of it, and hold a gmem file? */
static void check_qemu(struct run *r, pid_t pid)
{
	char path[320], line[512];
	unsigned long long lo, hi, off, ino;
	unsigned int maj, min;
	struct dirent *de;
	FILE *f;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	while (f && !r->mapped && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx-%llx %*s %llx %x:%x %llu", &lo, &hi,
			   &off, &maj, &min, &ino) != 6)
			continue;
		if (ino == r->st.st_ino && maj == major(r->st.st_dev) &&
		    min == minor(r->st.st_dev) && hi - lo >= r->size) {
			r->mapped = true;
			r->map_start = lo;
		}
	}
	if (f)
		fclose(f);

	/* Walks all of QEMU's memory: not while a benchmark runs. */
	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	f = r->bench ? NULL : fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "FilePmdMapped: %llu", &off) == 1 &&
		    off > r->max_pmd_kb)
			r->max_pmd_kb = off;
	}
	if (f)
		fclose(f);

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	while (d && !r->fdinfo && (de = readdir(d))) {
		char want[64];

		/* not the fd it inherited: the file QEMU opened itself */
		if (de->d_name[0] == '.' || atoi(de->d_name) == r->fd)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", (int)pid,
			 de->d_name);
		snprintf(want, sizeof(want), "gmem-size:\t%llu\n", r->size);
		f = fopen(path, "re");
		while (f && fgets(line, sizeof(line), f))
			if (!strcmp(line, want))
				r->fdinfo = true;
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
}

/*
 * KVM's statistic @stat (debugfs) summed over QEMU's VMs, of which there
 * is one; false if it has none yet.
 */
static bool kvm_stat(pid_t pid, const char *stat, unsigned long long *sum)
{
	char prefix[32], path[600], *text;
	struct dirent *de;
	DIR *d = opendir("/sys/kernel/debug/kvm");
	bool seen = false;

	*sum = 0;
	snprintf(prefix, sizeof(prefix), "%d-", (int)pid);
	while (d && (de = readdir(d))) {
		if (strncmp(de->d_name, prefix, strlen(prefix)))
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%s/%s",
			 de->d_name, stat);
		text = slurp(path);
		seen |= *text != 0;
		*sum += strtoull(text, NULL, 10);
		free(text);
	}
	if (d)
		closedir(d);
	return seen;
}

/* The most 2 MiB mappings KVM had for a VM of QEMU's. */
static void sample_kvm(struct run *r, pid_t pid)
{
	unsigned long long n;

	if (!kvm_stat(pid, "pages_2m", &n))
		return;
	r->kvm_seen = true;
	if (n > r->max_pages_2m)
		r->max_pages_2m = n;
}

static void sample_gmem(struct run *r)
{
	struct gmem_info info = { .size = sizeof(info) };

	if (ioctl(r->fd, GMEM_INFO, &info))
		die("GMEM_INFO");
	if (info.allocated > r->max_allocated)
		r->max_allocated = info.allocated;
	if (info.large_folios > r->max_large)
		r->max_large = info.large_folios;
}

/*
 * -b: KVM's statistics at each phase marker the guest printed since the
 * last look (it idles a second after each, and this runs every 100 ms),
 * and GMEM_INFO only then: it walks every folio of the fd, and polled
 * every 100 ms on a 4 KiB fd it took the L1 guest's one vCPU from the
 * L2 guest's passes (tests/bench/results/2026-12-08-guest-qemu.md).
 */
static void sample_phases(struct run *r, pid_t pid)
{
	struct kvm_stats *at;
	struct stat st;
	const char *p;
	char *console;
	int n = 0;

	if (stat(r->console_path, &st) || st.st_size == r->console_size)
		return;
	r->console_size = st.st_size;
	console = slurp(r->console_path);
	for (p = console; (p = strstr(p, "CLIENT-L2 phase ")); p++)
		n++;
	free(console);
	if (r->phases < n)
		sample_gmem(r);
	for (; r->phases < n && r->phases < 4; r->phases++) {
		at = &r->at[r->phases];
		r->kvm_seen |= kvm_stat(pid, "exits", &at->exits);
		kvm_stat(pid, "pages_4k", &at->pages_4k);
		kvm_stat(pid, "pages_2m", &at->pages_2m);
	}
}

/*
 * Where the fd's memory is, from its fdinfo: bytes on @node, on every
 * other node, and the ranges mbind() gave a policy.  False if fdinfo
 * could not be read or lacks the mbind line.
 */
static bool read_nodes(int fd, int node, unsigned long long *on,
		       unsigned long long *off, unsigned long long *ranges)
{
	unsigned long long bytes;
	char path[64], line[256];
	bool seen = false;
	FILE *f;
	int n;

	*on = *off = *ranges = 0;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "gmem-node%d: %llu", &n, &bytes) == 2)
			*(n == node ? on : off) += bytes;
		else if (sscanf(line, "gmem-mbind-ranges: %llu", ranges) == 1)
			seen = true;
	}
	fclose(f);
	return seen;
}

/* Prints the last @lines lines of @text as TAP diagnostics. */
static void tail(const char *what, const char *text, int lines)
{
	const char *p = text + strlen(text);

	while (p > text && lines >= 0)
		if (*--p == '\n')
			lines--;
	if (*p == '\n')
		p++;
	printf("# %s:\n", what);
	while (*p) {
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);

		printf("#   %.*s\n", len, p);
		p += len + (nl ? 1 : 0);
	}
}

static unsigned int tap_n;
static bool all_ok = true;

static void tap(bool ok, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void tap(bool ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %u - %s: ", ok ? "" : "not ", tap_n++, name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	all_ok &= ok;
}

static char **qemu_argv(int argc, char **argv, int fd)
{
	char **out = calloc(argc + 1, sizeof(*out));
	char num[16];

	if (!out)
		die("calloc");
	snprintf(num, sizeof(num), "%d", fd);
	for (int i = 0; i < argc; i++) {
		const char *s = argv[i], *hit;
		char *o = malloc(strlen(s) * 4 + 16), *w = o;

		if (!o)
			die("malloc");
		while ((hit = strstr(s, "%FD%"))) {
			memcpy(w, s, hit - s);
			w += hit - s;
			w += sprintf(w, "%s", num);
			s = hit + 4;
		}
		strcpy(w, s);
		out[i] = o;
	}
	return out;
}

static pid_t start_qemu(struct run *r, char **argv)
{
	pid_t pid = fork();
	int err;

	if (pid < 0)
		die("fork");
	if (pid)
		return pid;
	for (int i = 0; i < r->nenv; i++)
		putenv(r->env[i]);
	err = open(r->stderr_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (err >= 0) {
		dup2(err, 1);
		dup2(err, 2);
		close(err);
	}
	if (chroot(r->root) || chdir("/")) {
		perror("chroot");
		_exit(126);
	}
	execv(argv[0], argv);
	perror(argv[0]);
	_exit(127);
}

/* libgmem-preload.so's log (-k, a path inside ROOT), NUL-terminated. */
static char *preload_log(const struct run *r)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", r->root, r->preload_log);
	return slurp(path);
}

/* Whether the library's log says it made a gmem-only memslot. */
static bool made_gmem_only(const char *log)
{
	return strstr(log, "gmem-only memslot") != NULL;
}

/* -b's one line, from what the guest printed and what was sampled. */
static int bench_verdict(struct run *r, const char *console, const char *qerr,
			 double t_userspace_l2, bool exited)
{
	double touch = -1, reread = -1, walk = -1;
	const char *p = strstr(console, "CLIENT-L2 bench ");
	bool only = false, ok;

	if (p)
		sscanf(p, "CLIENT-L2 bench touch=%lf reread=%lf walk=%lf",
		       &touch, &reread, &walk);
	if (r->preload_log) {
		char *log = preload_log(r);

		only = made_gmem_only(log);
		free(log);
	}
	ok = exited && walk >= 0 && r->phases == 4 && r->kvm_seen;
	printf("# CLIENT-BENCH %s ok=%d touch=%.6f reread=%.6f walk=%.6f exits-touch=%llu exits-reread=%llu exits-walk=%llu pages-4k=%llu pages-2m=%llu allocated-mib=%llu large-folios=%llu mapped=%d gmem-only=%d userspace=%.2f total=%.1f\n",
	       r->name, ok, touch, reread, walk,
	       r->at[1].exits - r->at[0].exits, r->at[2].exits - r->at[1].exits,
	       r->at[3].exits - r->at[2].exits, r->at[1].pages_4k,
	       r->at[1].pages_2m, r->max_allocated / MiB, r->max_large,
	       r->mapped && r->fdinfo, only, t_userspace_l2, r->t_end);
	if (!ok) {
		printf("# %s: %s, %d of 4 phase markers seen, KVM's statistics %s\n",
		       r->name, exited ? "the guest ran" : "the guest or QEMU failed",
		       r->phases, r->kvm_seen ? "read" : "not found");
		tail("QEMU's stderr", qerr, 20);
		tail("the L2 console's tail", console, 30);
	}
	close(r->fd);
	return ok ? 0 : 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: gmem-qemu-run -n NAME -m MIB -e MIB -t SECS -r ROOT -c CONSOLE -f FIRST [-H] [-E VAR=VALUE]... [-k LOG] [-P | -p REASON] [-N NODE] [-b] -- QEMU-ARGV...\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct run r = { .timeout = 300, .first = 1, .node = -1 };
	struct gmem_create c = { .size = sizeof(c) };
	double t_userspace_l2 = -1;
	unsigned long long verified = 0;
	const char *p;
	char *console, *qerr, **qargv;
	int opt, dev, status = -1;
	bool killed = false, done = false, failed_line = false;
	pid_t pid;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "n:m:e:t:r:c:f:HE:k:Pp:N:b")) != -1) {
		switch (opt) {
		case 'n': r.name = optarg; break;
		case 'm': r.size = strtoull(optarg, NULL, 0) * MiB; break;
		case 'e': r.expect = strtoull(optarg, NULL, 0) * MiB; break;
		case 't': r.timeout = strtoul(optarg, NULL, 0); break;
		case 'r': r.root = optarg; break;
		case 'c': r.console = optarg; break;
		case 'f': r.first = strtoul(optarg, NULL, 0); break;
		case 'H': r.huge = true; break;
		case 'E':
			if (r.nenv == (int)(sizeof(r.env) / sizeof(r.env[0])))
				return usage();
			r.env[r.nenv++] = optarg;
			break;
		case 'k': r.preload_log = optarg; break;
		case 'P': r.want_pmd = true; break;
		case 'p': r.no_pmd = optarg; break;
		case 'N': r.node = atoi(optarg); break;
		case 'b': r.bench = true; break;
		default: return usage();
		}
	}
	if (!r.name || !r.size || !r.root || !r.console || optind >= argc ||
	    ((r.want_pmd || r.no_pmd) && (r.preload_log || !r.huge)) ||
	    (r.want_pmd && r.no_pmd) ||
	    (r.bench && (r.want_pmd || r.no_pmd || r.node >= 0)))
		return usage();
	tap_n = r.first;
	snprintf(r.console_path, sizeof(r.console_path), "%s/%s", r.root,
		 r.console);
	snprintf(r.stderr_path, sizeof(r.stderr_path), "%s/tmp/%s.stderr",
		 r.root, r.name);
	unlink(r.console_path);

	dev = open("/dev/gmem", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		die("open /dev/gmem");
	c.flags = GMEM_CREATE_MMAP | GMEM_CREATE_SHARED |
		  (r.huge ? GMEM_CREATE_HUGE : 0);
	c.length = r.size;
	r.fd = ioctl(dev, GMEM_CREATE, &c);
	if (r.fd < 0)
		die("GMEM_CREATE");
	close(dev);
	/* QEMU inherits it: GMEM_CREATE's fds are close-on-exec. */
	if (fcntl(r.fd, F_SETFD, 0) || fstat(r.fd, &r.st))
		die("fcntl/fstat");
	printf("# %s: gmem fd %d, %llu MiB, flags %#x, inode %llu\n", r.name,
	       r.fd, r.size / MiB, c.flags, (unsigned long long)r.st.st_ino);

	qargv = qemu_argv(argc - optind, argv + optind, r.fd);
	printf("# %s:", r.name);
	for (char **a = qargv; *a; a++)
		printf(" %s", *a);
	printf("\n");
	r.t_start = now();
	pid = start_qemu(&r, qargv);

	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		double t = now() - r.t_start;

		if (w == pid)
			break;
		if (r.bench) {
			sample_phases(&r, pid);
			/* QEMU maps its RAM before the guest boots. */
			if (!r.phases)
				check_qemu(&r, pid);
		} else {
			sample_gmem(&r);
			sample_kvm(&r, pid);
			check_qemu(&r, pid);
		}
		if (r.t_userspace == 0) {
			console = slurp(r.console_path);
			if (strstr(console, "CLIENT-L2 userspace"))
				r.t_userspace = t;
			free(console);
		}
		if (!killed && t > r.timeout) {
			printf("# %s: timed out after %u s, killing QEMU\n",
			       r.name, r.timeout);
			kill(pid, SIGTERM);
			killed = true;
		} else if (killed && t > r.timeout + 10) {
			kill(pid, SIGKILL);
		}
		usleep(r.bench ? 100000 : 200000);
	}
	r.t_end = now() - r.t_start;
	sample_gmem(&r);

	console = slurp(r.console_path);
	qerr = slurp(r.stderr_path);
	p = strstr(console, "CLIENT-L2 userspace ");
	if (p)
		t_userspace_l2 = strtod(p + strlen("CLIENT-L2 userspace "), NULL);
	p = strstr(console, "CLIENT-L2 verified ");
	if (p)
		verified = strtoull(p + strlen("CLIENT-L2 verified "), NULL, 10) * MiB;
	failed_line = strstr(console, "CLIENT-L2 FAIL") != NULL;
	done = strstr(console, "CLIENT-L2 done") != NULL;
	if (r.bench)
		return bench_verdict(&r, console, qerr, t_userspace_l2,
				     !killed && WIFEXITED(status) &&
				     WEXITSTATUS(status) == 0 && done &&
				     !failed_line);

	tap(r.mapped && r.fdinfo, r.name,
	    "QEMU mapped the gmem fd as guest RAM (maps: %s, fdinfo: %s)",
	    r.mapped ? "the fd's inode, whole" : "no mapping of the fd's inode",
	    r.fdinfo ? "a gmem file of that size" : "no gmem file");
	tap(t_userspace_l2 >= 0, r.name,
	    "the L2 guest reached userspace (%.1f s after QEMU started, L2 uptime %.2f s)",
	    r.t_userspace, t_userspace_l2);
	tap(verified >= r.expect && !failed_line, r.name,
	    "the L2 guest wrote and verified %llu MiB (%llu expected)",
	    verified / MiB, r.expect / MiB);
	tap(r.max_allocated >= r.expect &&
	    (!r.huge || r.max_large * 2 * MiB * 2 >= r.max_allocated), r.name,
	    "gmem held the guest's memory: allocated up to %llu MiB (>= %llu), %llu 2 MiB folios%s",
	    r.max_allocated / MiB, r.expect / MiB, r.max_large,
	    r.huge ? " (>= half of it expected)" : "");
	tap(!killed && WIFEXITED(status) && WEXITSTATUS(status) == 0 && done,
	    r.name, "QEMU exited by itself, status %#x, after %.1f s%s",
	    status, r.t_end, done ? "" : ", without the guest's \"done\"");
	if (r.preload_log) {
		char *log = preload_log(&r);
		bool only = made_gmem_only(log);

		tap(only && (!r.huge || r.max_pages_2m > 0), r.name,
		    "KVM resolved the RAM through gmem: %s, pages_2m up to %llu%s",
		    only ? "a gmem-only memslot on the fd" : "no gmem-only memslot in the library's log",
		    r.max_pages_2m, r.huge ? " (> 0 expected)" : "");
		if (!only || (r.huge && !r.max_pages_2m))
			tail("the library's log", log, 10);
		free(log);
	}
	if (!r.kvm_seen && (r.want_pmd || r.no_pmd || r.preload_log))
		printf("# %s: no KVM statistics of QEMU's VM in /sys/kernel/debug/kvm (debugfs not mounted?): pages_2m unknown\n",
		       r.name);
	if (r.want_pmd)
		tap(r.kvm_seen && r.max_pages_2m > 0, r.name,
		    "KVM mapped gmem's 2 MiB folios with 2 MiB entries through QEMU's PMD mappings: pages_2m up to %llu (> 0 expected); QEMU's FilePmdMapped up to %llu kB, its mapping at %#llx",
		    r.max_pages_2m, r.max_pmd_kb, r.map_start);
	else if (r.no_pmd)
		printf("ok %u - %s: KVM's 2 MiB entries through QEMU's mapping, pages_2m up to %llu # SKIP %s\n",
		       tap_n++, r.name, r.max_pages_2m, r.no_pmd);
	if (r.node >= 0) {
		unsigned long long on, off, ranges;
		bool read = read_nodes(r.fd, r.node, &on, &off, &ranges);

		tap(read && on >= r.expect && !off && ranges, r.name,
		    "the guest's RAM landed on node %d (host-nodes=%d,policy=bind): fdinfo %s: gmem-node%d %llu MiB (>= %llu), other nodes %llu KiB (0), gmem-mbind-ranges %llu (>= 1)",
		    r.node, r.node, read ? "read" : "unreadable", r.node,
		    on / MiB, r.expect / MiB, off >> 10, ranges);
	}
	printf("# CLIENT-TIME %s userspace=%.2f wall-userspace=%.1f total=%.1f allocated-mib=%llu large-folios=%llu pages-2m=%llu pmd-mapped-mib=%llu\n",
	       r.name, t_userspace_l2, r.t_userspace, r.t_end,
	       r.max_allocated / MiB, r.max_large, r.max_pages_2m,
	       r.max_pmd_kb / 1024);
	if (!all_ok) {
		tail("QEMU's stderr", qerr, 20);
		tail("the L2 console's tail", console, 30);
	}
	close(r.fd);
	return all_ok ? 0 : 1;
}
