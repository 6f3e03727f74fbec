/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The nested test guest: 16-bit real mode code, loaded at GUEST_CODE with
 * CS = DS = ES = SS = 0 and SP = GUEST_STACK_TOP (vCPU n: n stacks lower,
 * GUEST_STACK_SIZE each; the code keeps no other state in memory, so
 * several vCPUs run it at once).  It obeys the commands of guest.h,
 * forever.  It is linked into the VMM as data: guest_blob ..
 * guest_blob_end is copied into guest memory, GUEST_BLOB_LEN bytes.
 *
 * Position independent by construction: jumps and calls are relative, and
 * every address the code uses is a constant of guest.h (a label used as
 * an address would need a relocation, which the link refuses for 16-bit
 * fields outside the first 64 KiB).
 *
 * The addresses the commands take are 32-bit: the data accesses use %esi
 * and %edi (the assembler adds the address-size prefix), and the VMM gives
 * DS and ES a 4 GiB limit (vm_add_vcpu(), "unreal" mode), so the huge-page
 * tests reach the 2 MiB blocks above the first megabyte.  Code and stack
 * stay below 64 KiB.
 *
 * Page 1 (the interpreter) may be private memory.  Page 2 holds the two
 * instructions after which KVM must skip the instruction itself: without
 * the NRIP-save feature (QEMU's TCG does not offer it to the L1 guest) KVM
 * reads the instruction to know its length, and it cannot read private
 * memory, so the VMM keeps page 2 shared.
 */
#include "guest.h"

	.section .rodata.gmem_vmm_guest, "a"
	.code16
	.globl guest_blob, guest_blob_end

guest_blob:
next_cmd:
	mov	$PORT_CMD, %dx
	inl	%dx, %eax
	cmp	$CMD_SUM, %eax
	je	do_sum
	cmp	$CMD_READ, %eax
	je	do_read
	cmp	$CMD_WRITE, %eax
	je	do_write
	cmp	$CMD_FILL, %eax
	je	do_fill
	cmp	$CMD_MAP_GPA, %eax
	je	do_map_gpa
	cmp	$CMD_HLT, %eax
	je	do_hlt
	cmp	$CMD_STAMP, %eax
	je	do_stamp
	cmp	$CMD_TOUCH, %eax
	je	do_touch
	cmp	$CMD_ADD, %eax
	je	do_add
	mov	$RESULT_BAD_CMD, %eax
	/* fall through */
reply:					/* result in %eax */
	mov	$PORT_OUT, %dx
	outl	%eax, %dx
	jmp	next_cmd

next_arg:				/* the next argument in %eax; clobbers %dx */
	mov	$PORT_ARG, %dx
	inl	%dx, %eax
	ret

do_sum:					/* addr, len */
	call	next_arg
	mov	%eax, %esi
	call	next_arg
	mov	%eax, %ecx
	mov	$SUM_BASIS, %eax
1:	jecxz	reply
	movzbl	(%esi), %ebx
	xorl	%ebx, %eax
	xorl	%esi, %eax
	imull	$SUM_PRIME, %eax, %eax
	inc	%esi
	dec	%ecx
	jmp	1b

do_read:				/* addr */
	call	next_arg
	mov	%eax, %esi
	movl	(%esi), %eax
	jmp	reply

do_write:				/* addr, value */
	call	next_arg
	mov	%eax, %edi
	call	next_arg
	movl	%eax, (%edi)
	xor	%eax, %eax
	jmp	reply

do_fill:				/* addr, len (bytes, a multiple of 4), value */
	call	next_arg
	mov	%eax, %edi
	call	next_arg
	mov	%eax, %ecx
	shr	$2, %ecx
	call	next_arg
1:	jecxz	2f
	movl	%eax, (%edi)
	add	$4, %edi
	dec	%ecx
	jmp	1b
2:	xor	%eax, %eax
	jmp	reply

do_stamp:				/* addr, len (bytes, a multiple of 4), seed */
	call	next_arg
	mov	%eax, %edi
	call	next_arg
	mov	%eax, %ecx
	shr	$2, %ecx
	call	next_arg
	mov	%eax, %ebx
1:	jecxz	2f
	mov	%edi, %eax
	xorl	%ebx, %eax
	movl	%eax, (%edi)
	add	$4, %edi
	dec	%ecx
	jmp	1b
2:	xor	%eax, %eax
	jmp	reply

/*
 * The benchmark's strided passes (tests/bench/guest.c): one word per
 * stride, so that a 4 KiB stride costs a TLB miss per word.  The stride
 * must not be 0 and addr + len must stay below 4 GiB; the loop runs while
 * the address is below the end.
 */
do_touch:				/* addr, len, stride, value */
	call	next_arg
	mov	%eax, %edi
	call	next_arg
	mov	%eax, %ecx
	add	%edi, %ecx		/* the end */
	call	next_arg
	mov	%eax, %ebx
	call	next_arg
1:	cmp	%ecx, %edi
	jae	2f
	movl	%eax, (%edi)
	add	%ebx, %edi
	jmp	1b
2:	xor	%eax, %eax
	jmp	reply

do_add:					/* addr, len, stride */
	call	next_arg
	mov	%eax, %esi
	call	next_arg
	mov	%eax, %ecx
	add	%esi, %ecx		/* the end */
	call	next_arg
	mov	%eax, %ebx
	xor	%eax, %eax
1:	cmp	%ecx, %esi
	jae	reply
	addl	(%esi), %eax
	add	%ebx, %esi
	jmp	1b

do_map_gpa:				/* gpa, npages, attrs */
	call	next_arg
	mov	%eax, %ebx
	call	next_arg
	mov	%eax, %ecx
	call	next_arg
	mov	%eax, %edx
	mov	$GUEST_HC_MAP_GPA_RANGE, %eax
	call	stub_hypercall
	jmp	reply

do_hlt:
	call	stub_hlt
	xor	%eax, %eax
	jmp	reply

	/* Page 2: the stubs. */
	.org	GUEST_STUBS - GUEST_CODE, 0xf4
stub_hypercall:				/* nr in %eax, args in %ebx, %ecx, %edx */
	vmmcall
	ret
stub_hlt:
	hlt
	ret

	.org	GUEST_BLOB_LEN, 0xf4
guest_blob_end:

	.section .note.GNU-stack, "", @progbits
