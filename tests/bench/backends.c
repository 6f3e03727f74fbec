// SPDX-License-Identifier: GPL-2.0
/*
 * gmem-bench: the memory fds compared, each created the way a VMM would
 * for guest memory it maps: gmem (all shared, mmap()able) with its default
 * 4 KiB folios and with GMEM_CREATE_HUGE's 2 MiB ones, memfd (shmem)
 * with and without transparent huge pages, memfd on hugetlbfs's 2 MiB
 * pages, and upstream KVM's guest_memfd on a default VM with
 * GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/gmem.h>
#include <linux/kvm.h>

#include "bench.h"
#include "gmem_test.h"

/* The build host's headers may predate guest_memfd (7.2's uAPI values). */
#ifndef KVM_CREATE_GUEST_MEMFD
struct kvm_create_guest_memfd {
	__u64 size;
	__u64 flags;
	__u64 reserved[6];
};
#define KVM_CREATE_GUEST_MEMFD	_IOWR(KVMIO, 0xd4, struct kvm_create_guest_memfd)
#endif
#ifndef KVM_CAP_GUEST_MEMFD_FLAGS
#define KVM_CAP_GUEST_MEMFD_FLAGS	244
#endif
#ifndef GUEST_MEMFD_FLAG_MMAP
#define GUEST_MEMFD_FLAG_MMAP		(1ULL << 0)
#endif
#ifndef GUEST_MEMFD_FLAG_INIT_SHARED
#define GUEST_MEMFD_FLAG_INIT_SHARED	(1ULL << 1)
#endif
#define GUEST_MEMFD_FLAGS	(GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED)

#ifndef MFD_HUGE_2MB
#define MFD_HUGE_2MB		(21U << 26)
#endif

#define THP_SHMEM	"/sys/kernel/mm/transparent_hugepage/shmem_enabled"
/* 6.14+: per-size knobs; "inherit" follows THP_SHMEM. */
#define THP_SHMEM_PMD	"/sys/kernel/mm/transparent_hugepage/hugepages-2048kB/shmem_enabled"

#define GMEM_HUGE_PARAM	"/sys/module/gmem/parameters/huge"

const char *const backend_name[NR_BACKENDS] = {
	[BE_GMEM]		= "gmem",
	[BE_GMEM_HUGE]		= "gmem-huge",
	[BE_MEMFD]		= "memfd",
	[BE_MEMFD_THP]		= "memfd-thp",
	[BE_HUGETLB]		= "hugetlbfs",
	[BE_GUEST_MEMFD]	= "guest_memfd",
};

static bool probed;
static const char *why_not[NR_BACKENDS];
static int kvm_vm = -1;		/* every guest_memfd belongs to this VM */
static long long gmemfd_flags = -1;

static int set_shmem_thp(bool on)
{
	int err = write_file(THP_SHMEM, on ? "always" : "never");

	if (!err && access(THP_SHMEM_PMD, F_OK) == 0)
		err = write_file(THP_SHMEM_PMD, "inherit");
	return err;
}

static void probe_kvm(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (kvm < 0) {
		why_not[BE_GUEST_MEMFD] = "no /dev/kvm";
		return;
	}
	do {
		kvm_vm = ioctl(kvm, KVM_CREATE_VM, 0);
	} while (kvm_vm < 0 && errno == EINTR);
	close(kvm);
	if (kvm_vm < 0) {
		why_not[BE_GUEST_MEMFD] = "KVM_CREATE_VM failed";
		return;
	}
	gmemfd_flags = ioctl(kvm_vm, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD_FLAGS);
	if (gmemfd_flags < 0 || (gmemfd_flags & GUEST_MEMFD_FLAGS) != GUEST_MEMFD_FLAGS)
		why_not[BE_GUEST_MEMFD] = "no guest_memfd with MMAP|INIT_SHARED";
}

void backend_probe(uint64_t size)
{
	long long free_huge = meminfo_kb("HugePages_Free");
	long long huge_kb = meminfo_kb("Hugepagesize");

	probed = true;
	/* "gmem" is the default, 4 KiB folios: huge=Y would make it huge too. */
	write_file(GMEM_HUGE_PARAM, "N");
	if (access("/dev/gmem", R_OK | W_OK))
		why_not[BE_GMEM] = why_not[BE_GMEM_HUGE] = "no /dev/gmem";
	if (set_shmem_thp(false))
		why_not[BE_MEMFD_THP] = "cannot set " THP_SHMEM;
	if (huge_kb != 2048)
		why_not[BE_HUGETLB] = "default huge page size is not 2 MiB";
	else if (free_huge < 0 || (uint64_t)free_huge * HUGE < size)
		why_not[BE_HUGETLB] = "not enough free 2 MiB pages (hugepages= at boot)";
	probe_kvm();
}

const char *backend_unavailable(enum backend be)
{
	if (!probed)
		die("backend_probe() first");
	return why_not[be];
}

static int gmem_create_numa(uint64_t size, unsigned int flags,
			    unsigned int mode, const __u64 *mask)
{
	struct gmem_create c = {
		.size = sizeof(c), .flags = flags, .length = size,
		.numa_mode = mode, .numa_maxnode = mask ? 64 : 0,
		.numa_nodes = (uintptr_t)mask,
	};
	int dev, fd;

	dev = open("/dev/gmem", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		die("open /dev/gmem: %s", strerror(errno));
	fd = ioctl(dev, GMEM_CREATE, &c);
	if (fd < 0)
		die("GMEM_CREATE %llu bytes: %s", (unsigned long long)size,
		    strerror(errno));
	close(dev);
	return fd;
}

int gmem_create(uint64_t size, unsigned int flags)
{
	return gmem_create_numa(size, flags, GMEM_NUMA_DEFAULT, NULL);
}

int gmem_create_on(uint64_t size, unsigned int flags, int node)
{
	__u64 mask = 1ULL << node;

	if (node < 0 || node >= 64)
		die("node %d: gmem-bench handles nodes 0 to 63", node);
	return gmem_create_numa(size, flags, GMEM_NUMA_BIND, &mask);
}

struct gmem_info gmem_info(int fd)
{
	struct gmem_info info = { .size = sizeof(info) };

	if (ioctl(fd, GMEM_INFO, &info))
		die("GMEM_INFO: %s", strerror(errno));
	return info;
}

static int memfd_sized(unsigned int flags, uint64_t size)
{
	int fd = memfd_create("gmem-bench", MFD_CLOEXEC | flags);

	if (fd < 0)
		die("memfd_create: %s", strerror(errno));
	if (ftruncate(fd, size))
		die("ftruncate memfd: %s", strerror(errno));
	return fd;
}

int backend_create(enum backend be, uint64_t size)
{
	struct kvm_create_guest_memfd g = {
		.size = size, .flags = GUEST_MEMFD_FLAGS,
	};
	int fd = -1;

	if (backend_unavailable(be))
		die("%s: %s", backend_name[be], why_not[be]);
	switch (be) {
	case BE_GMEM:
		fd = gmem_create(size, GMEM_CREATE_MMAP | GMEM_CREATE_SHARED);
		break;
	case BE_GMEM_HUGE:
		fd = gmem_create(size, GMEM_CREATE_MMAP | GMEM_CREATE_SHARED |
				 GMEM_CREATE_HUGE);
		break;
	case BE_MEMFD:
	case BE_MEMFD_THP:
		/* shmem decides per allocation, so the mode is set each time. */
		if (set_shmem_thp(be == BE_MEMFD_THP))
			die("cannot set %s", THP_SHMEM);
		fd = memfd_sized(0, size);
		break;
	case BE_HUGETLB:
		fd = memfd_sized(MFD_HUGETLB | MFD_HUGE_2MB, size);
		break;
	case BE_GUEST_MEMFD:
		fd = ioctl(kvm_vm, KVM_CREATE_GUEST_MEMFD, &g);
		if (fd < 0)
			die("KVM_CREATE_GUEST_MEMFD: %s", strerror(errno));
		break;
	default:
		die("unknown backend %d", be);
	}
	return fd;
}

/* The first line of a sysfs file, or "?" (a static buffer). */
static const char *param_value(const char *path)
{
	static char buf[64];
	FILE *f = fopen(path, "re");

	if (!f || !fgets(buf, sizeof(buf), f))
		snprintf(buf, sizeof(buf), "?");
	if (f)
		fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

void machine_describe(void)
{
	struct utsname u;

	uname(&u);
	info("kernel %s, %ld CPUs, MemTotal %lld MiB, 2 MiB huge pages free %lld",
	     u.release, sysconf(_SC_NPROCESSORS_ONLN),
	     meminfo_kb("MemTotal") / 1024, meminfo_kb("HugePages_Free"));
}

void backend_describe(void)
{
	int be;

	info("guest_memfd: KVM_CAP_GUEST_MEMFD_FLAGS 0x%llx, created with 0x%llx",
	     gmemfd_flags, (unsigned long long)GUEST_MEMFD_FLAGS);
	info("NUMA nodes with memory: %d; gmem's huge parameter: %s",
	     nodes_with_memory(), param_value(GMEM_HUGE_PARAM));
	for (be = 0; be < NR_BACKENDS; be++)
		if (why_not[be])
			info("%s not measured: %s", backend_name[be], why_not[be]);
}

int gmem_test_open(void)
{
	int dev = open("/dev/gmem_test", O_RDWR | O_CLOEXEC);

	if (dev < 0)
		die("open /dev/gmem_test (gmem_test.ko loaded?): %s",
		    strerror(errno));
	return dev;
}

unsigned int gmem_test_bind(int dev, int fd, uint64_t start, uint64_t nr)
{
	struct gmem_test_bind b = { .fd = fd, .start = start, .nr_pages = nr };

	if (ioctl(dev, GMEM_TEST_BIND, &b))
		die("GMEM_TEST_BIND: %s", strerror(errno));
	return b.slot;
}

void gmem_test_unbind(int dev, unsigned int slot)
{
	__u32 s = slot;

	if (ioctl(dev, GMEM_TEST_UNBIND, &s))
		die("GMEM_TEST_UNBIND: %s", strerror(errno));
}
