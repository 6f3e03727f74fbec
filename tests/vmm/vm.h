/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal VMM over raw KVM ioctls: one VM, one memslot (slot 0 at guest
 * physical 0), a vCPU (or a few) in real mode running guest.S, and the
 * exits that guest produces.  Functions return 0 or -errno and never end
 * a test; the tests (common.h) decide.
 */
#ifndef GMEM_VMM_VM_H
#define GMEM_VMM_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

/*
 * uAPI newer than the build host's headers (Debian 12: Linux 6.1).  The
 * values are those of Linux 6.12's include/uapi/linux/kvm.h and
 * arch/x86/include/uapi/asm/kvm.h, unchanged since.
 */
#ifndef KVM_CAP_USER_MEMORY2
#define KVM_CAP_USER_MEMORY2		231
#define KVM_CAP_MEMORY_FAULT_INFO	232
#define KVM_CAP_MEMORY_ATTRIBUTES	233
#define KVM_CAP_GUEST_MEMFD		234
#define KVM_CAP_VM_TYPES		235
#endif
#ifndef KVM_X86_DEFAULT_VM
#define KVM_X86_DEFAULT_VM		0
#define KVM_X86_SW_PROTECTED_VM		1
#endif
#ifndef KVM_MEM_GUEST_MEMFD
#define KVM_MEM_GUEST_MEMFD		(1UL << 2)
#endif
#ifndef KVM_SET_USER_MEMORY_REGION2
struct kvm_userspace_memory_region2 {
	__u32 slot;
	__u32 flags;
	__u64 guest_phys_addr;
	__u64 memory_size;
	__u64 userspace_addr;
	__u64 guest_memfd_offset;
	__u32 guest_memfd;
	__u32 pad1;
	__u64 pad2[14];
};
#define KVM_SET_USER_MEMORY_REGION2 \
	_IOW(KVMIO, 0x49, struct kvm_userspace_memory_region2)
#endif
#ifndef KVM_CREATE_GUEST_MEMFD
struct kvm_create_guest_memfd {
	__u64 size;
	__u64 flags;
	__u64 reserved[6];
};
#define KVM_CREATE_GUEST_MEMFD \
	_IOWR(KVMIO, 0xd4, struct kvm_create_guest_memfd)
#endif
#ifndef KVM_SET_MEMORY_ATTRIBUTES
struct kvm_memory_attributes {
	__u64 address;
	__u64 size;
	__u64 attributes;
	__u64 flags;
};
#define KVM_SET_MEMORY_ATTRIBUTES \
	_IOW(KVMIO, 0xd2, struct kvm_memory_attributes)
#define KVM_MEMORY_ATTRIBUTE_PRIVATE	(1ULL << 3)
#endif
#ifndef KVM_EXIT_MEMORY_FAULT
#define KVM_EXIT_MEMORY_FAULT		39
#define KVM_MEMORY_EXIT_FLAG_PRIVATE	(1ULL << 3)
#endif
#ifndef KVM_MAP_GPA_RANGE_ENCRYPTED
#define KVM_MAP_GPA_RANGE_ENCRYPTED	(1 << 4)
#endif

/* run->memory_fault, which Linux 6.1's struct kvm_run does not name. */
struct vm_memory_fault {
	__u64 flags;
	__u64 gpa;
	__u64 size;
};

struct vexit;

struct vm {
	int kvm;		/* /dev/kvm */
	int fd;			/* the VM */
	int vcpu;
	struct kvm_run *run;
	size_t run_size;
	int stats;		/* KVM_GET_STATS_FD, opened by vm_stat() */
	/*
	 * Demand paging: vcpu_run() calls it for a memory fault exit of a
	 * missing gmem page (GMEM_MEMORY_EXIT_FLAG_MISSING) and runs the
	 * vCPU again if it returns true (the page is filled), instead of
	 * returning the exit.  NULL: every exit is returned.
	 */
	bool (*missing)(struct vm *vm, const struct vexit *x, void *arg);
	void *missing_arg;
};

/* Exits, as far as the tests care. */
enum vexit_kind {
	VX_IN,		/* port I/O in: answer with vcpu_in_reply() */
	VX_OUT,		/* port I/O out: @value */
	VX_HLT,
	VX_HYPERCALL,	/* run->hypercall */
	VX_MEMORY_FAULT,/* run->memory_fault, KVM_RUN failed with @err */
	VX_ERROR,	/* KVM_RUN failed with @err, no memory fault exit */
	VX_OTHER,	/* any other exit_reason */
};

struct vexit {
	enum vexit_kind kind;
	int err;		/* KVM_RUN's errno, 0 if it succeeded */
	uint32_t reason;	/* run->exit_reason */
	uint16_t port;
	uint32_t value;
	struct vm_memory_fault fault;
};

/* The blob guest.S assembles, GUEST_BLOB_LEN bytes. */
extern const unsigned char guest_blob[], guest_blob_end[];

/* Open /dev/kvm and create a VM of @type (KVM_X86_*). */
int vm_create(struct vm *vm, unsigned long type);
/* Whether KVM_CAP_VM_TYPES lists @type (KVM_X86_DEFAULT_VM always). */
bool vm_type_supported(unsigned long type);
/* Slot 0: [0, @size) of guest memory is @hva. */
int vm_set_region(struct vm *vm, void *hva, uint64_t size);
/* The same with KVM_MEM_GUEST_MEMFD: private memory from @fd at @off. */
int vm_set_region2(struct vm *vm, void *hva, uint64_t size, int fd,
		   uint64_t off);
/* Memslot @slot at guest physical @gpa, as vm_set_region2() does slot 0. */
int vm_set_slot2(struct vm *vm, uint32_t slot, uint64_t gpa, void *hva,
		 uint64_t size, int fd, uint64_t off);
/* Delete memslot @slot. */
int vm_delete_slot(struct vm *vm, uint32_t slot);
/* KVM's own guest_memfd of @size bytes: the fd or -errno. */
int vm_create_guest_memfd(struct vm *vm, uint64_t size);
/* Delete slot 0. */
int vm_delete_region(struct vm *vm);
/* KVM_SET_MEMORY_ATTRIBUTES: [@gpa, @gpa + @size) private or shared. */
int vm_set_private(struct vm *vm, uint64_t gpa, uint64_t size, bool private);
/* KVM_CAP_EXIT_HYPERCALL for KVM_HC_MAP_GPA_RANGE. */
int vm_enable_map_gpa_exit(struct vm *vm);
/* The vCPU, in real mode at GUEST_CODE with all segments at 0. */
int vm_add_vcpu(struct vm *vm);
/*
 * Another vCPU of @vm, @id 1 up to GUEST_MAX_VCPUS - 1, set up as
 * vm_add_vcpu()'s with a stack of its own: *@cpu becomes a handle of it
 * that vcpu_run() and guest_cmd() take (its run and vcpu only: the VM's
 * fds stay @vm's).  vm_destroy(@cpu) closes that vCPU, before
 * vm_destroy(@vm).  Each vCPU must be run by one thread at a time.
 */
int vm_add_vcpu_id(struct vm *vm, unsigned int id, struct vm *cpu);
/*
 * The VM statistic @name (KVM_GET_STATS_FD, the binary stats of Linux
 * 5.14+; on x86 e.g. "pages_4k", "pages_2m": the leaf entries of KVM's
 * page tables of each size) in *@val: 0, -ENOENT if KVM has none of that
 * name, or another -errno.
 */
int vm_stat(struct vm *vm, const char *name, uint64_t *val);
/* The same of @vm's vCPU (its own stats fd, opened and closed each call;
 * e.g. "exits", every exit to KVM, those it handles itself included). */
int vcpu_stat(struct vm *vm, const char *name, uint64_t *val);
/* Closes whatever is open, vCPU first; safe on a partly set up VM. */
void vm_destroy(struct vm *vm);

/* One KVM_RUN; @x says what came of it.  Returns 0 or KVM_RUN's -errno. */
int vcpu_run(struct vm *vm, struct vexit *x);
/* The value the pending VX_IN reads. */
void vcpu_in_reply(struct vm *vm, uint32_t value);
/* @x in words, for diagnostics (a static buffer). */
const char *vexit_str(const struct vexit *x);

/* CMD_SUM's checksum in C, of @len bytes at @p as the guest sees them at
 * guest physical address @gpa. */
uint32_t vmm_checksum(const void *p, size_t len, uint32_t gpa);

/*
 * Give the guest a command and run it to its result.  Returns true with
 * *@result, or false with *@x the exit that came instead (a hypercall, a
 * fault, an error); after dealing with it, guest_finish() runs on to the
 * result.
 */
bool guest_cmd(struct vm *vm, uint32_t cmd, const uint32_t *args,
	       unsigned int nargs, uint32_t *result, struct vexit *x);
bool guest_finish(struct vm *vm, uint32_t *result, struct vexit *x);

#endif /* GMEM_VMM_VM_H */
