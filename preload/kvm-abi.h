/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few pieces of KVM's userspace ABI the preload library speaks, under
 * gmem_ names.  The library must build against the libc headers of any
 * distribution, including ones (Debian 12: Linux 6.1) whose <linux/kvm.h>
 * predates guest_memfd, so it carries the numbers and layouts itself.
 * They are ABI: fixed once a kernel released them.
 */
#ifndef GMEM_PRELOAD_KVM_ABI_H
#define GMEM_PRELOAD_KVM_ABI_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define GMEM_KVMIO			0xAE

/* KVM_CREATE_VM on /dev/kvm, its argument the VM type. */
#define GMEM_KVM_CREATE_VM		_IO(GMEM_KVMIO, 0x01)
#define GMEM_KVM_X86_SW_PROTECTED_VM	1UL

/* KVM_CHECK_EXTENSION, on /dev/kvm or (KVM_CAP_CHECK_EXTENSION_VM) a VM. */
#define GMEM_KVM_CHECK_EXTENSION	_IO(GMEM_KVMIO, 0x03)
#define GMEM_KVM_CAP_MEMORY_ATTRIBUTES	233

/* Memslot flags. */
#define GMEM_KVM_MEM_GUEST_MEMFD	(1U << 2)

/* struct kvm_userspace_memory_region, KVM_SET_USER_MEMORY_REGION */
struct gmem_kvm_region {
	__u32 slot;
	__u32 flags;
	__u64 guest_phys_addr;
	__u64 memory_size;
	__u64 userspace_addr;
};

/* struct kvm_userspace_memory_region2, KVM_SET_USER_MEMORY_REGION2 (6.8) */
struct gmem_kvm_region2 {
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

/* struct kvm_memory_attributes, KVM_SET_MEMORY_ATTRIBUTES (6.8) */
struct gmem_kvm_attributes {
	__u64 address;
	__u64 size;
	__u64 attributes;
	__u64 flags;
};

#define GMEM_KVM_MEMORY_ATTRIBUTE_PRIVATE	(1ULL << 3)

/* struct kvm_create_guest_memfd, KVM_CREATE_GUEST_MEMFD (6.8) */
struct gmem_kvm_create_guest_memfd {
	__u64 size;
	__u64 flags;
	__u64 reserved[6];
};

/* guest_memfd flags: mmap() allowed (6.18); memory starts shared (6.18). */
#define GMEM_KVM_GUEST_MEMFD_FLAG_MMAP		(1ULL << 0)
#define GMEM_KVM_GUEST_MEMFD_FLAG_INIT_SHARED	(1ULL << 1)

#define GMEM_KVM_SET_USER_MEMORY_REGION \
	_IOW(GMEM_KVMIO, 0x46, struct gmem_kvm_region)
#define GMEM_KVM_SET_USER_MEMORY_REGION2 \
	_IOW(GMEM_KVMIO, 0x49, struct gmem_kvm_region2)
#define GMEM_KVM_SET_MEMORY_ATTRIBUTES \
	_IOW(GMEM_KVMIO, 0xd2, struct gmem_kvm_attributes)
#define GMEM_KVM_CREATE_GUEST_MEMFD \
	_IOWR(GMEM_KVMIO, 0xd4, struct gmem_kvm_create_guest_memfd)

#endif /* GMEM_PRELOAD_KVM_ABI_H */
