/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the gmem-vmm tests share: the guest image, gmem fds, driving the
 * guest with assertions, and which KVM this guest booted with.
 */
#ifndef GMEM_VMM_COMMON_H
#define GMEM_VMM_COMMON_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/gmem.h>

#include "check.h"
#include "guest.h"
#include "harness.h"
#include "vm.h"

/* Patterns the image holds in the pages tests play with. */
#define SHARE_FILL	0x5ba7ed01u
#define PUNCH_FILL	0x9c4c4ed5u
#define POISON_FILL	0xbadd0770u

/*
 * Fill @len bytes at @p (a multiple of 16) with a pattern that names its
 * place: every 16 bytes are @tag (which memory: IMAGE_TAG, BLOCK_TAG),
 * the low and high halves of the byte offset @off + i they stand at, and a
 * hash of the three; so a page read from the wrong offset or the wrong fd
 * differs from the right one in every 16 bytes, and says where it is from.
 */
void fill_place(uint8_t *p, size_t len, uint32_t tag, uint64_t off);
#define IMAGE_TAG	0x494d4147u	/* "IMAG": guest_image(), at its GPA */
#define BLOCK_TAG	0x424c4b31u	/* "BLK1": huge.c's block, at its fd offset */
#define REFILL_TAG	0x4e455730u	/* "NEW0" up: what a punched page gets */

/* The whole guest memory as loaded: blob, data, pattern pages. */
const uint8_t *guest_image(void);
/* CMD_SUM's checksum of [@gpa, @gpa + @len) of the image as loaded. */
uint32_t image_sum(uint32_t gpa, uint32_t len);
/* CMD_SUM's checksum of [@gpa, @gpa + @len) all zeroes. */
uint32_t zero_sum(uint32_t gpa, uint32_t len);

/* A gmem fd of @size with GMEM_CREATE_* @flags; the test fails otherwise. */
int gmem_new(uint64_t size, uint32_t flags);
/* GMEM_CONVERT [@off, @off + @len) to GMEM_PRIVATE or GMEM_SHARED, retrying
 * the transient -EAGAIN of a page on a per-CPU LRU list; 0 or -errno. */
int gmem_convert(int fd, uint64_t off, uint64_t len, uint32_t to);
/* GMEM_POPULATE; 0 or -errno. */
int gmem_populate(int fd, uint64_t off, const void *src, uint64_t len);
/* fallocate(PUNCH_HOLE | KEEP_SIZE); 0 or -errno. */
int gmem_punch(int fd, uint64_t off, uint64_t len);
/* mmap the whole fd, shared, read-write. */
/*
 * GMEM_DIRTY_LOG of [@off, @off + @len) into @bitmap (a bit per 4 KiB
 * page), taking the bits with @clear: the number of pages written, or
 * -errno.
 */
int gmem_dirty_log(int fd, uint64_t off, uint64_t len, uint64_t *bitmap,
		   bool clear);
void *gmem_map(int fd, uint64_t size);
/* mmap [@off, @off + @len) of the fd, shared, read-write, at an address
 * that is a multiple of @align (a power of two); the test fails otherwise. */
void *gmem_map_aligned(int fd, uint64_t off, uint64_t len, uint64_t align);
/* GMEM_INFO; the test fails if the ioctl does. */
struct gmem_info gmem_get_info(int fd);
/* GMEM_MIGRATE [@off, @off + @len) to @node, retrying the transient EBUSY
 * of a page in a per-CPU LRU batch; *@moved gets the bytes moved by every
 * try together.  0 or -errno. */
int gmem_migrate(int fd, uint64_t off, uint64_t len, uint32_t node,
		 uint64_t *moved);
/* The "gmem-node<N>:" lines of the fd's fdinfo: bytes on node N in
 * @bytes[N] for N < @nr (0 without a line); the test fails for a line
 * it cannot read or a node >= @nr. */
void gmem_node_bytes(int fd, uint64_t *bytes, int nr);
/* Free 2 MiB blocks (/proc/buddyinfo, order 9 and up), -1 if unknown;
 * compacts memory first when fewer than @want are free. */
long long huge_blocks_free(long long want);

/*
 * The pfn behind a private page, from gmem itself: the test consumer
 * (gmem_test.ko) binds the page, resolves it and unbinds again (bindings
 * may not overlap, so before KVM binds the fd); *@folio_order, if not
 * NULL, gets the order of its folio.  Skips the test without gmem_test.
 */
unsigned long private_pfn(int fd, uint64_t off, int *folio_order);
#define HWPOISON_DIR	"/sys/kernel/debug/hwpoison"
/* Skips the test unless hwpoison_inject's corrupt-pfn is there (mounts
 * debugfs if need be). */
void hwpoison_need(void);
/* Memory failure on @pfn through hwpoison_inject; the test fails if the
 * write does. */
void hwpoison_pfn(unsigned long pfn);

/* Whether the host can read @addr in its own address space (via
 * /proc/self/mem, so a private page's SIGBUS is an error instead). */
bool host_can_read(const void *addr);

/* /sys/module/gmem/refcnt: each open gmem file holds one. */
unsigned long long gmem_refcnt(void);
/* Wait up to 5 s for the refcount to drop to @want; the last value read. */
unsigned long long gmem_refcnt_wait(unsigned long long want);

/*
 * The KVM this guest was booted with, from gmem_kvm= on the kernel
 * command line (scripts/kvm/vmm-guest): "stock" (the image's modules),
 * "rebuilt" (from linux-source, no patch series for this kernel),
 * "patched" (the gmem series applied), or NULL when run by hand.
 */
const char *kvm_flavour(void);
bool kvm_is_patched(void);
/* For the tests of the patched KVM: @why it cannot take a gmem fd.  Skips
 * the test, saying so, or fails it if gmem_kvm=patched. */
noreturn void no_gmem_kvm(const char *why);

/* Give the guest a command; the result, or the test fails saying what
 * happened instead. */
#define GUEST(vm, cmd, ...)						\
	guest_do(__FILE__, __LINE__, (vm), (cmd),			\
		 (const uint32_t[]){ __VA_ARGS__ },			\
		 sizeof((const uint32_t[]){ __VA_ARGS__ }) / sizeof(uint32_t))
uint32_t guest_do(const char *file, int line, struct vm *vm, uint32_t cmd,
		  const uint32_t *args, unsigned int nargs);
/* Run on to the result after a command stopped at an exit. */
uint32_t guest_done(const char *file, int line, struct vm *vm);
#define GUEST_DONE(vm)	guest_done(__FILE__, __LINE__, (vm))

/* A command that must stop at an exit other than its result: *@x. */
#define GUEST_EXIT(vm, x, cmd, ...)					\
	guest_exit(__FILE__, __LINE__, (vm), (x), (cmd),		\
		   (const uint32_t[]){ __VA_ARGS__ },			\
		   sizeof((const uint32_t[]){ __VA_ARGS__ }) / sizeof(uint32_t))
void guest_exit(const char *file, int line, struct vm *vm, struct vexit *x,
		uint32_t cmd, const uint32_t *args, unsigned int nargs);

/* The guest image in private anonymous memory of GUEST_MEM_SIZE. */
uint8_t *image_anon(void);
/*
 * KVM's own guest_memfd as the private memory of software-protected VM
 * @vm, already created: a memslot of GUEST_MEM_SIZE at @mem, the punch
 * page private (a new zeroed page from the guest_memfd), the rest shared,
 * the vCPU added.  Returns the guest_memfd; the test fails otherwise.
 */
int own_guest_memfd_vm(struct vm *vm, uint8_t *mem);

/*
 * The VMs of the patched KVM (the e2e suites): a KVM_X86_SW_PROTECTED_VM
 * whose memslot is [0, @size) of guest memory at @mem, its pages from
 * gmem fd @fd starting at @off, private or shared as gmem has them (KVM
 * asks gmem; KVM_SET_MEMORY_ATTRIBUTES is refused there), shared ones too
 * if the fd has GMEM_CREATE_MMAP (a gmem-only memslot), else from @mem;
 * the KVM_HC_MAP_GPA_RANGE exit on, the vCPU added.  A KVM without that VM
 * type, or one that refuses the fd, skips the test (no_gmem_kvm()), as
 * need_protected_vm() alone does for the first.
 */
void need_protected_vm(void);
void protected_vm_create(struct vm *vm, void *mem, uint64_t size, int fd,
			 uint64_t off);

/*
 * The VMM's half of KVM_HC_MAP_GPA_RANGE, exit @x of a memslot at @off in
 * @fd: one GMEM_CONVERT, which KVM follows by itself.
 */
void handle_map_gpa(struct vm *vm, int fd, uint64_t off,
		    const struct vexit *x);
/* The guest's CMD_MAP_GPA of @pages pages at @gpa with @attrs
 * (KVM_MAP_GPA_RANGE_ENCRYPTED: to private), served by handle_map_gpa(),
 * to its result 0. */
#define GUEST_MAP_GPA(vm, fd, off, gpa, pages, attrs)			\
	guest_map_gpa(__FILE__, __LINE__, (vm), (fd), (off), (gpa),	\
		      (pages), (attrs))
void guest_map_gpa(const char *file, int line, struct vm *vm, int fd,
		   uint64_t off, uint32_t gpa, uint32_t pages, uint32_t attrs);

/* The host reads, through its mapping of a shared page at @page, what the
 * guest filled it with: @v in every 32-bit word. */
#define HOST_SEES_FILL(page, v)						\
	host_sees_fill(__FILE__, __LINE__, (page), (v))
void host_sees_fill(const char *file, int line, const uint8_t *page,
		    uint32_t v);

/* The guest's read of a poisoned page at @gpa: a memory fault exit (*@x)
 * for that page with EHWPOISON.  The command stays pending. */
#define GUEST_POISON_EXIT(vm, x, gpa)					\
	guest_poison_exit(__FILE__, __LINE__, (vm), (x), (gpa))
void guest_poison_exit(const char *file, int line, struct vm *vm,
		       struct vexit *x, uint32_t gpa);

/* The test fails unless @r (a vm.h/common.h return value) is 0. */
#define ASSERT_OK(r)							\
	do {								\
		int r_ = (r);						\
		if (r_)							\
			FAIL("%s: %s (%s)", #r, errno_name(-r_),	\
			     strerror(-r_));				\
	} while (0)

#endif /* GMEM_VMM_COMMON_H */
