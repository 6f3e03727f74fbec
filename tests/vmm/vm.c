// SPDX-License-Identifier: GPL-2.0
/*
 * The VMM of vm.h: raw KVM ioctls, nothing but libc.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/gmem.h>

#include "guest.h"
#include "vm.h"

/* Where KVM_SET_TSS_ADDR puts the three pages VMX real mode needs. */
#define VM_TSS_ADDR	0xfffbd000UL

static int open_kvm(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (kvm < 0)
		return -errno;
	if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		close(kvm);
		return -EPROTO;
	}
	return kvm;
}

bool vm_type_supported(unsigned long type)
{
	int kvm = open_kvm(), types;

	if (kvm < 0)
		return false;
	types = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_VM_TYPES);
	close(kvm);
	if (type == KVM_X86_DEFAULT_VM)
		return true;
	return types > 0 && type < 32 && (types & (1 << type));
}

int vm_create(struct vm *vm, unsigned long type)
{
	memset(vm, 0, sizeof(*vm));
	vm->kvm = vm->fd = vm->vcpu = vm->stats = -1;
	vm->kvm = open_kvm();
	if (vm->kvm < 0)
		return vm->kvm;
	vm->fd = ioctl(vm->kvm, KVM_CREATE_VM, type);
	if (vm->fd < 0)
		return -errno;
	/* Needed by VMX for real mode, ignored by SVM. */
	ioctl(vm->fd, KVM_SET_TSS_ADDR, VM_TSS_ADDR);
	return 0;
}

int vm_set_region(struct vm *vm, void *hva, uint64_t size)
{
	struct kvm_userspace_memory_region r = {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	return ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r) ? -errno : 0;
}

int vm_set_slot2(struct vm *vm, uint32_t slot, uint64_t gpa, void *hva,
		 uint64_t size, int fd, uint64_t off)
{
	struct kvm_userspace_memory_region2 r = {
		.slot = slot,
		.flags = KVM_MEM_GUEST_MEMFD,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
		.guest_memfd_offset = off,
		.guest_memfd = fd,
	};

	return ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION2, &r) ? -errno : 0;
}

int vm_set_region2(struct vm *vm, void *hva, uint64_t size, int fd,
		   uint64_t off)
{
	return vm_set_slot2(vm, 0, 0, hva, size, fd, off);
}

int vm_create_guest_memfd(struct vm *vm, uint64_t size)
{
	struct kvm_create_guest_memfd g = { .size = size };
	int fd = ioctl(vm->fd, KVM_CREATE_GUEST_MEMFD, &g);

	return fd < 0 ? -errno : fd;
}

int vm_delete_slot(struct vm *vm, uint32_t slot)
{
	struct kvm_userspace_memory_region r = { .slot = slot };

	return ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r) ? -errno : 0;
}

int vm_delete_region(struct vm *vm)
{
	return vm_delete_slot(vm, 0);
}

int vm_set_private(struct vm *vm, uint64_t gpa, uint64_t size, bool private)
{
	struct kvm_memory_attributes a = {
		.address = gpa,
		.size = size,
		.attributes = private ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0,
	};

	return ioctl(vm->fd, KVM_SET_MEMORY_ATTRIBUTES, &a) ? -errno : 0;
}

int vm_enable_map_gpa_exit(struct vm *vm)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_EXIT_HYPERCALL,
		.args[0] = 1ULL << GUEST_HC_MAP_GPA_RANGE,
	};

	return ioctl(vm->fd, KVM_ENABLE_CAP, &cap) ? -errno : 0;
}

static void real_mode_seg(struct kvm_segment *s)
{
	s->base = 0;
	s->selector = 0;
}

/* A data segment of "unreal" mode: real-mode base 0, a 4 GiB limit. */
static void unreal_data_seg(struct kvm_segment *s)
{
	real_mode_seg(s);
	s->limit = 0xffffffff;
	s->g = 1;
}

/* vCPU @id of @vm's VM into @cpu's vcpu and run; real mode at GUEST_CODE,
 * its stack the @id'th GUEST_STACK_SIZE bytes below GUEST_STACK_TOP. */
static int add_vcpu(struct vm *vm, unsigned int id, struct vm *cpu)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	int size;

	if (id >= GUEST_MAX_VCPUS)
		return -EINVAL;
	cpu->vcpu = ioctl(vm->fd, KVM_CREATE_VCPU, id);
	if (cpu->vcpu < 0)
		return -errno;
	size = ioctl(vm->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof(struct kvm_run))
		return size < 0 ? -errno : -EPROTO;
	cpu->run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
			cpu->vcpu, 0);
	if (cpu->run == MAP_FAILED) {
		cpu->run = NULL;
		return -errno;
	}
	cpu->run_size = size;

	/* Reset state is real mode at F000:FFF0; move CS to 0. */
	if (ioctl(cpu->vcpu, KVM_GET_SREGS, &sregs))
		return -errno;
	real_mode_seg(&sregs.cs);
	unreal_data_seg(&sregs.ds);
	unreal_data_seg(&sregs.es);
	real_mode_seg(&sregs.fs);
	real_mode_seg(&sregs.gs);
	real_mode_seg(&sregs.ss);
	if (ioctl(cpu->vcpu, KVM_SET_SREGS, &sregs))
		return -errno;
	memset(&regs, 0, sizeof(regs));
	regs.rip = GUEST_CODE;
	regs.rsp = GUEST_STACK_TOP - id * GUEST_STACK_SIZE;
	regs.rflags = 0x2;
	if (ioctl(cpu->vcpu, KVM_SET_REGS, &regs))
		return -errno;
	return 0;
}

int vm_add_vcpu(struct vm *vm)
{
	return add_vcpu(vm, 0, vm);
}

int vm_add_vcpu_id(struct vm *vm, unsigned int id, struct vm *cpu)
{
	memset(cpu, 0, sizeof(*cpu));
	cpu->kvm = cpu->fd = cpu->vcpu = cpu->stats = -1;
	if (!id)
		return -EINVAL;
	return add_vcpu(vm, id, cpu);
}

void vm_destroy(struct vm *vm)
{
	if (vm->stats >= 0)
		close(vm->stats);
	vm->stats = -1;
	if (vm->run)
		munmap(vm->run, vm->run_size);
	if (vm->vcpu >= 0)
		close(vm->vcpu);
	if (vm->fd >= 0)
		close(vm->fd);
	if (vm->kvm >= 0)
		close(vm->kvm);
	vm->run = NULL;
	vm->vcpu = vm->fd = vm->kvm = -1;
}

/* Statistic @name of the binary stats fd @stats, the first of its values. */
static int stats_read(int stats, const char *name, uint64_t *val)
{
	struct kvm_stats_header h;
	struct kvm_stats_desc *d;
	size_t dsize;
	int r = -ENOENT;

	if (pread(stats, &h, sizeof(h), 0) != sizeof(h))
		return -EIO;
	dsize = sizeof(*d) + h.name_size;
	d = malloc(dsize);
	if (!d)
		return -ENOMEM;
	for (uint32_t i = 0; i < h.num_desc; i++) {
		if (pread(stats, d, dsize, h.desc_offset + i * dsize) !=
		    (ssize_t)dsize) {
			r = -EIO;
			break;
		}
		if (strncmp(d->name, name, h.name_size))
			continue;
		/* Every value is an array of d->size u64s; the first. */
		r = pread(stats, val, sizeof(*val),
			  h.data_offset + d->offset) == sizeof(*val) ? 0 : -EIO;
		break;
	}
	free(d);
	return r;
}

int vm_stat(struct vm *vm, const char *name, uint64_t *val)
{
	if (vm->stats < 0) {
		vm->stats = ioctl(vm->fd, KVM_GET_STATS_FD, NULL);
		if (vm->stats < 0) {
			vm->stats = -1;
			return -errno;
		}
	}
	return stats_read(vm->stats, name, val);
}

int vcpu_stat(struct vm *vm, const char *name, uint64_t *val)
{
	int stats = ioctl(vm->vcpu, KVM_GET_STATS_FD, NULL);
	int r;

	if (stats < 0)
		return -errno;
	r = stats_read(stats, name, val);
	close(stats);
	return r;
}

static uint32_t io_value(struct kvm_run *run)
{
	uint32_t v = 0;

	memcpy(&v, (char *)run + run->io.data_offset,
	       run->io.size < 4 ? run->io.size : 4);
	return v;
}

static int vcpu_run_once(struct vm *vm, struct vexit *x)
{
	struct kvm_run *run = vm->run;
	int r;

	memset(x, 0, sizeof(*x));
	/* So that a failing KVM_RUN cannot show an earlier exit's reason. */
	run->exit_reason = KVM_EXIT_UNKNOWN;
	do {
		r = ioctl(vm->vcpu, KVM_RUN, 0);
	} while (r < 0 && errno == EINTR);
	x->reason = run->exit_reason;
	if (r < 0) {
		x->err = errno;
		x->kind = VX_ERROR;
		if (run->exit_reason == KVM_EXIT_MEMORY_FAULT) {
			x->kind = VX_MEMORY_FAULT;
			memcpy(&x->fault, &run->hw, sizeof(x->fault));
		}
		return -x->err;
	}
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		x->port = run->io.port;
		if (run->io.direction == KVM_EXIT_IO_IN) {
			x->kind = VX_IN;
		} else {
			x->kind = VX_OUT;
			x->value = io_value(run);
		}
		break;
	case KVM_EXIT_HLT:
		x->kind = VX_HLT;
		break;
	case KVM_EXIT_HYPERCALL:
		x->kind = VX_HYPERCALL;
		break;
	case KVM_EXIT_MEMORY_FAULT:	/* only ever with an error, but still */
		x->kind = VX_MEMORY_FAULT;
		memcpy(&x->fault, &run->hw, sizeof(x->fault));
		break;
	default:
		x->kind = VX_OTHER;
		break;
	}
	return 0;
}

int vcpu_run(struct vm *vm, struct vexit *x)
{
	int r;

	for (;;) {
		r = vcpu_run_once(vm, x);
		if (x->kind != VX_MEMORY_FAULT || !vm->missing ||
		    !(x->fault.flags & GMEM_MEMORY_EXIT_FLAG_MISSING) ||
		    !vm->missing(vm, x, vm->missing_arg))
			return r;
	}
}

void vcpu_in_reply(struct vm *vm, uint32_t value)
{
	struct kvm_run *run = vm->run;

	memcpy((char *)run + run->io.data_offset, &value,
	       run->io.size < 4 ? run->io.size : 4);
}

const char *vexit_str(const struct vexit *x)
{
	static char s[256];
	int n = 0;

	if (x->err)
		n = snprintf(s, sizeof(s), "KVM_RUN failed with %s, ",
			     strerrorname_np(x->err) ?: "?");
	switch (x->kind) {
	case VX_IN:
		snprintf(s + n, sizeof(s) - n, "IN from port %#x", x->port);
		break;
	case VX_OUT:
		snprintf(s + n, sizeof(s) - n, "OUT %#x to port %#x",
			 x->value, x->port);
		break;
	case VX_HLT:
		snprintf(s + n, sizeof(s) - n, "HLT");
		break;
	case VX_HYPERCALL:
		snprintf(s + n, sizeof(s) - n, "hypercall exit");
		break;
	case VX_MEMORY_FAULT:
		snprintf(s + n, sizeof(s) - n,
			 "memory fault exit: gpa %#llx size %#llx flags %#llx",
			 (unsigned long long)x->fault.gpa,
			 (unsigned long long)x->fault.size,
			 (unsigned long long)x->fault.flags);
		break;
	case VX_ERROR:
		snprintf(s + n, sizeof(s) - n, "no exit reason (%u)", x->reason);
		break;
	case VX_OTHER:
		snprintf(s + n, sizeof(s) - n, "exit reason %u", x->reason);
		break;
	}
	return s;
}

uint32_t vmm_checksum(const void *p, size_t len, uint32_t gpa)
{
	const unsigned char *b = p;
	uint32_t s = SUM_BASIS;

	for (size_t i = 0; i < len; i++)
		s = (s ^ b[i] ^ (uint32_t)(gpa + i)) * SUM_PRIME;
	return s;
}

static bool expect_in(struct vm *vm, uint16_t port, struct vexit *x)
{
	vcpu_run(vm, x);
	return x->kind == VX_IN && x->port == port;
}

bool guest_cmd(struct vm *vm, uint32_t cmd, const uint32_t *args,
	       unsigned int nargs, uint32_t *result, struct vexit *x)
{
	if (!expect_in(vm, PORT_CMD, x))
		return false;
	vcpu_in_reply(vm, cmd);
	for (unsigned int i = 0; i < nargs; i++) {
		if (!expect_in(vm, PORT_ARG, x))
			return false;
		vcpu_in_reply(vm, args[i]);
	}
	return guest_finish(vm, result, x);
}

bool guest_finish(struct vm *vm, uint32_t *result, struct vexit *x)
{
	vcpu_run(vm, x);
	if (x->kind == VX_OUT && x->port == PORT_OUT) {
		*result = x->value;
		return true;
	}
	return false;
}
