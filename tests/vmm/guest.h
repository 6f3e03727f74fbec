/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the test VMM (vm.c, *.c) and its nested guest (guest.S) agree on:
 * the guest's memory layout, its I/O ports and the commands it obeys.
 * Plain #defines, so the assembler can read this file too.
 *
 * The guest runs in 16-bit real mode with every segment base 0, so guest
 * physical addresses are its addresses: code and stack below 64 KiB, and
 * with DS and ES given a 4 GiB limit the data commands take any 32-bit
 * address (the huge-page tests use the 2 MiB block at 2 MiB).  It is a
 * little command interpreter: it reads a command from PORT_CMD (32-bit
 * IN), its arguments from PORT_ARG, does it and writes one 32-bit result
 * to PORT_OUT, then waits for the next command.  Only IN and OUT of a
 * register are used for I/O: KVM completes those from the exit's own
 * information, without emulating (reading) the instruction, which it could
 * not do on private memory.
 */
#ifndef GMEM_VMM_GUEST_H
#define GMEM_VMM_GUEST_H

#define GUEST_PAGE		0x1000
#define GUEST_MEM_SIZE		0x10000		/* one memslot, 16 pages */

/* Guest physical layout. */
#define GUEST_STACK_TOP		0x1000		/* page 0: the stacks */
#define GUEST_STACK_SIZE	0x400		/* vCPU n's: below TOP - n * SIZE */
#define GUEST_MAX_VCPUS		4
#define GUEST_CODE		0x1000		/* page 1: the interpreter */
#define GUEST_STUBS		0x2000		/* page 2: HLT and VMMCALL */
#define GUEST_DATA		0x3000		/* pages 3-4: checksum input */
#define GUEST_DATA_LEN		0x2000
#define GUEST_SHARE_PAGE	0x5000		/* converted to shared and back */
#define GUEST_PUNCH_PAGE	0x6000		/* punched under the guest */
#define GUEST_POISON_PAGE	0x7000		/* poisoned under the guest */
/* The blob (guest.S) covers the code and stub pages. */
#define GUEST_BLOB_LEN		(GUEST_DATA - GUEST_CODE)

/* I/O ports, all 32-bit. */
#define PORT_CMD		0x10		/* IN: the next command */
#define PORT_ARG		0x11		/* IN: its next argument */
#define PORT_OUT		0x12		/* OUT: its result */

/* Commands, with their arguments in order, and results. */
#define CMD_SUM			1	/* addr, len: checksum of the bytes */
#define CMD_READ		2	/* addr: the 32-bit word there */
#define CMD_WRITE		3	/* addr, value: store a word; 0 */
#define CMD_FILL		4	/* addr, len, value: store words; 0 */
#define CMD_MAP_GPA		5	/* gpa, npages, attrs: hypercall's rax */
#define CMD_HLT			6	/* HLT (in the stub page); 0 after it */
#define CMD_STAMP		7	/* addr, len, seed: each 32-bit word
					 * at a becomes a ^ seed; 0 */
#define CMD_TOUCH		8	/* addr, len, stride, value: store
					 * value at addr, addr + stride, ...
					 * below addr + len; 0 */
#define CMD_ADD			9	/* addr, len, stride: the sum mod 2^32
					 * of the words at those places */
#define RESULT_BAD_CMD		0xbadc0de

/* KVM_HC_MAP_GPA_RANGE (include/uapi/linux/kvm_para.h). */
#define GUEST_HC_MAP_GPA_RANGE	12

/*
 * The checksum CMD_SUM computes: a hash of every byte and its address, so
 * that bytes or whole pages swapped or read from the wrong place change
 * it (a plain rotate-and-xor repeats every page: 4096 rotations by 5 bits
 * are a whole number of turns).  From s = SUM_BASIS, for each byte b at
 * guest physical address a: s = (s ^ b ^ a) * SUM_PRIME mod 2^32 (the
 * FNV-1a constants).  vmm_checksum() in vm.c is the same in C.
 */
#define SUM_BASIS		0x811c9dc5
#define SUM_PRIME		0x01000193

#endif /* GMEM_VMM_GUEST_H */
