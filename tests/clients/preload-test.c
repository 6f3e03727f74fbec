// SPDX-License-Identifier: GPL-2.0
/*
 * preload-test LIB: libgmem-preload.so (preload/) on the patched KVM, in
 * the selftests guest of scripts/clients/check-clients.
 *
 * First, without the library, it asks KVM itself what a guest_memfd is
 * like here (its close-on-exec flag, the errno of each refused creation,
 * whether mmap()able fds exist); then it runs itself again with
 * LD_PRELOAD=LIB and checks that each guest_memfd is a gmem fd that
 * behaves as KVM's would: the same errnos, KVM_SET_MEMORY_ATTRIBUTES as
 * GMEM_CONVERT on the right offsets, a range set private before its
 * memslot existed, another VM's fd refused, punching past the end.
 * Prints one line per check, "ok" or "FAIL"; exits non-zero on a failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/falloc.h>
#include <linux/gmem.h>

#include "../../preload/kvm-abi.h"

#define KVM_CREATE_VM		_IO(GMEM_KVMIO, 0x01)
#define VM_DEFAULT		0
#define VM_SW_PROTECTED		1
#define MIB			(1ULL << 20)
#define SLOT_GPA		(1ULL << 30)
#define EARLY_GPA		(2ULL << 30)

static int failures;

__attribute__((format(printf, 2, 3)))
static void check(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", ok ? "ok" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		failures++;
}

static int create_vm(int kvm, int type)
{
	int vm = ioctl(kvm, KVM_CREATE_VM, type);

	if (vm < 0) {
		printf("FAIL - KVM_CREATE_VM type %d: %s\n", type, strerror(errno));
		exit(1);
	}
	return vm;
}

/* KVM_CREATE_GUEST_MEMFD: the fd, or -errno. */
static int guest_memfd(int vm, __u64 size, __u64 flags)
{
	struct gmem_kvm_create_guest_memfd c = { .size = size, .flags = flags };
	int fd = ioctl(vm, GMEM_KVM_CREATE_GUEST_MEMFD, &c);

	return fd < 0 ? -errno : fd;
}

static int set_region(int vm, __u32 slot, __u64 gpa, __u64 size, int fd,
		      __u64 offset)
{
	void *mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct gmem_kvm_region2 r = {
		.slot = slot, .flags = GMEM_KVM_MEM_GUEST_MEMFD,
		.guest_phys_addr = gpa, .memory_size = size,
		.userspace_addr = (__u64)(unsigned long)mem,
		.guest_memfd_offset = offset, .guest_memfd = fd,
	};

	if (mem == MAP_FAILED)
		return -errno;
	return ioctl(vm, GMEM_KVM_SET_USER_MEMORY_REGION2, &r) ? -errno : 0;
}

static int set_attributes(int vm, __u64 gpa, __u64 size, int priv)
{
	struct gmem_kvm_attributes a = {
		.address = gpa, .size = size,
		.attributes = priv ? GMEM_KVM_MEMORY_ATTRIBUTE_PRIVATE : 0,
	};

	return ioctl(vm, GMEM_KVM_SET_MEMORY_ATTRIBUTES, &a) ? -errno : 0;
}

static int info(int fd, struct gmem_info *i)
{
	memset(i, 0, sizeof(*i));
	i->size = sizeof(*i);
	return ioctl(fd, GMEM_INFO, i) ? -errno : 0;
}

/* -errno of a read (@positioned: pread) of @fd's first byte, or 0. */
static int read_errno(int fd, int positioned)
{
	char b;
	ssize_t n = positioned ? pread(fd, &b, 1, 0) : read(fd, &b, 1);

	return n < 0 ? -errno : 0;
}

/*
 * What KVM itself does, in the parent: "cloexec size flag mmap read
 * pread" results.
 */
static void reference(int kvm, char *buf, size_t len)
{
	int vm = create_vm(kvm, VM_SW_PROTECTED), dvm = create_vm(kvm, VM_DEFAULT);
	int fd = guest_memfd(vm, 2 * MIB, 0), mfd;
	int cloexec = fd >= 0 ? !!(fcntl(fd, F_GETFD) & FD_CLOEXEC) : -1;

	mfd = guest_memfd(dvm, 2 * MIB, GMEM_KVM_GUEST_MEMFD_FLAG_MMAP |
			  GMEM_KVM_GUEST_MEMFD_FLAG_INIT_SHARED);
	snprintf(buf, len, "%d %d %d %d %d %d", cloexec, guest_memfd(vm, 1, 0),
		 guest_memfd(vm, 2 * MIB, 1ULL << 62), mfd >= 0 ? 0 : mfd,
		 read_errno(fd, 0), read_errno(fd, 1));
	printf("# KVM's own guest_memfd: fd %d, cloexec %d; refs %s\n", fd, cloexec, buf);
}

int main(int argc, char **argv)
{
	int kvm, vm, vm2, dvm, fd, fd2, mfd, cloexec, e_size, e_flag, mmap_ok, ok;
	int e_read, e_pread;
	const char *ref = getenv("GMEM_PRELOAD_TEST_REF");
	struct gmem_info gi;
	char buf[128];

	if (argc != 2) {
		fprintf(stderr, "usage: preload-test LIBGMEM-PRELOAD.SO\n");
		return 2;
	}
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		printf("FAIL - /dev/kvm: %s\n", strerror(errno));
		return 1;
	}
	if (!ref) {
		reference(kvm, buf, sizeof(buf));
		setenv("GMEM_PRELOAD_TEST_REF", buf, 1);
		setenv("LD_PRELOAD", argv[1], 1);
		setenv("GMEM_PRELOAD_LOG", "1", 1);
		execv("/proc/self/exe", argv);
		printf("FAIL - exec with LD_PRELOAD: %s\n", strerror(errno));
		return 1;
	}
	if (sscanf(ref, "%d %d %d %d %d %d", &cloexec, &e_size, &e_flag,
		   &mmap_ok, &e_read, &e_pread) != 6) {
		printf("FAIL - GMEM_PRELOAD_TEST_REF '%s'\n", ref);
		return 1;
	}

	vm = create_vm(kvm, VM_SW_PROTECTED);
	vm2 = create_vm(kvm, VM_SW_PROTECTED);

	/* Creation: KVM's verdicts, then a gmem fd. */
	check(guest_memfd(vm, 1, 0) == e_size,
	      "size 1: errno %d, as KVM's %d", -guest_memfd(vm, 1, 0), -e_size);
	check(guest_memfd(vm, 2 * MIB, 1ULL << 62) == e_flag,
	      "flag bit 62: errno %d, as KVM's %d",
	      -guest_memfd(vm, 2 * MIB, 1ULL << 62), -e_flag);
	fd = guest_memfd(vm, 4 * MIB, 0);
	ok = fd >= 0 && !info(fd, &gi) && gi.length == 4 * MIB &&
	      gi.create_flags == GMEM_CREATE_SHARED;
	check(ok,
	      "KVM_CREATE_GUEST_MEMFD 4 MiB: gmem fd %d, size %llu, flags %#x (GMEM_CREATE_SHARED)",
	      fd, (unsigned long long)gi.length, gi.create_flags);
	if (fd < 0)
		return 1;
	check(!!(fcntl(fd, F_GETFD) & FD_CLOEXEC) == cloexec,
	      "close-on-exec %d, as KVM's guest_memfd", cloexec);
	/* gmem copies shared pages; a guest_memfd refuses, and so must this. */
	check(read_errno(fd, 0) == e_read && read_errno(fd, 1) == e_pread,
	      "read(): errno %d, pread(): errno %d, as KVM's %d and %d",
	      -read_errno(fd, 0), -read_errno(fd, 1), -e_read, -e_pread);

	/* Attributes over the memslot become conversions of the fd. */
	check(!set_region(vm, 1, SLOT_GPA, 2 * MIB, fd, 2 * MIB),
	      "KVM_SET_USER_MEMORY_REGION2 on the gmem fd at offset 2 MiB");
	ok = !set_attributes(vm, SLOT_GPA + MIB, MIB, 1) && !info(fd, &gi) &&
	      gi.private_bytes == MIB;
	check(ok,
	      "private [1 GiB + 1 MiB, +1 MiB): GMEM_CONVERT, %llu bytes private",
	      (unsigned long long)gi.private_bytes);
	ok = !set_attributes(vm, SLOT_GPA + MIB, 4 * MIB, 0) && !info(fd, &gi) &&
	      gi.private_bytes == 0;
	check(ok,
	      "shared over the memslot's end into no memslot: %llu bytes private",
	      (unsigned long long)gi.private_bytes);
	ok = !set_attributes(vm, SLOT_GPA - MIB, 2 * MIB, 1) && !info(fd, &gi) &&
	      gi.private_bytes == MIB;
	check(ok,
	      "private from below the memslot into it: %llu bytes private",
	      (unsigned long long)gi.private_bytes);
	check(set_attributes(vm, SLOT_GPA, 4096 + 1, 1) == -EINVAL,
	      "unaligned size: EINVAL, KVM's");

	/* KVM's rule: a guest_memfd belongs to the VM it was made on. */
	check(set_region(vm2, 1, SLOT_GPA, 2 * MIB, fd, 0) == -EINVAL,
	      "the fd in another VM's memslot: EINVAL, as KVM");

	/* A range made private before its memslot: the fd follows. */
	fd2 = guest_memfd(vm, 2 * MIB, 0);
	ok = !set_attributes(vm, EARLY_GPA, MIB, 1) &&
	      !set_region(vm, 2, EARLY_GPA, 2 * MIB, fd2, 0) &&
	      !info(fd2, &gi) && gi.private_bytes == MIB;
	check(ok,
	      "private before the memslot existed: %llu bytes private once bound",
	      (unsigned long long)gi.private_bytes);

	/* Punching past the end: KVM's guest_memfd says nothing. */
	check(!fallocate(fd, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE, 4 * MIB, 4096),
	      "punch at the end: 0");
	check(!fallocate(fd, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE, 3 * MIB, 2 * MIB),
	      "punch across the end: 0");
	check(fallocate(fd, FALLOC_FL_KEEP_SIZE, 4 * MIB, 4096) && errno == EINVAL,
	      "allocate at the end: EINVAL");

	/* 2 MiB folios on request. */
	setenv("GMEM_PRELOAD_HUGE", "1", 1);
	fd2 = guest_memfd(vm, 2 * MIB, 0);
	ok = fd2 >= 0 && !info(fd2, &gi) && (gi.create_flags & GMEM_CREATE_HUGE);
	check(ok,
	      "GMEM_PRELOAD_HUGE=1: flags %#x", gi.create_flags);
	unsetenv("GMEM_PRELOAD_HUGE");

	/* mmap()able guest_memfds, where this KVM has them (6.18+). */
	dvm = create_vm(kvm, VM_DEFAULT);
	mfd = guest_memfd(dvm, 2 * MIB, GMEM_KVM_GUEST_MEMFD_FLAG_MMAP |
			  GMEM_KVM_GUEST_MEMFD_FLAG_INIT_SHARED);
	if (mmap_ok) {
		check(mfd == mmap_ok, "MMAP | INIT_SHARED: errno %d as KVM's", -mfd);
	} else {
		char *p = mfd < 0 ? MAP_FAILED :
			mmap(NULL, 2 * MIB, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);

		check(p != MAP_FAILED && !info(mfd, &gi) &&
		      gi.create_flags == (GMEM_CREATE_MMAP | GMEM_CREATE_SHARED),
		      "MMAP | INIT_SHARED: GMEM_CREATE_MMAP | GMEM_CREATE_SHARED, mapped");
		if (p != MAP_FAILED) {
			memset(p, 0x5a, 2 * MIB);
			ok = !info(mfd, &gi) && gi.allocated == 2 * MIB;
			check(ok, "written through the mapping: %llu bytes in gmem",
			      (unsigned long long)gi.allocated);
		}
	}

	/* Everything else passes through untouched. */
	fd2 = memfd_create("preload-test", MFD_CLOEXEC);
	check(ioctl(fd2, GMEM_INFO, &gi) < 0 && errno == ENOTTY,
	      "GMEM_INFO on a memfd: ENOTTY, the kernel's");

	close(vm);
	close(vm2);
	close(dvm);
	printf("# %d failed\n", failures);
	return failures ? 1 : 0;
}
