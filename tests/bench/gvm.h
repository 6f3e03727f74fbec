/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gmem-bench: the VMs of the guest part (guest.c), which the restore part
 * (restore.c) runs too.  A KVM_X86_SW_PROTECTED_VM with one memslot:
 * its first 2 MiB shared (the nested guest's code, stack and stubs, in
 * anonymous memory of this process), then @size bytes of private memory
 * from the fd, at fd offset and guest physical address GUEST_BASE.
 */
#ifndef GMEM_BENCH_GVM_H
#define GMEM_BENCH_GVM_H

#include "bench.h"
#include "vm.h"

#define GUEST_BASE	HUGE		/* GPA and fd offset of the memory */

struct gvm {
	struct vm vm;
	int fd;			/* the private memory */
	void *map;		/* the VMM's mapping, for the shared block */
	size_t map_len;
	uint8_t *shared;	/* 2 MiB aligned, in map */
	uint64_t size;		/* the measured memory, bytes */
};

/*
 * A VM of @gb with @size bytes of measured memory, its vCPU ready at the
 * interpreter.  0, or -errno with *@step the call that failed.
 */
int gvm_create(struct gvm *g, enum guest_backend gb, uint64_t size,
	       const char **step);
void gvm_destroy(struct gvm *g);
/* One guest command, to its result; dies on anything else. */
uint32_t gvm_cmd(struct gvm *g, const char *name, uint32_t cmd,
		 const uint32_t *args, unsigned int nargs);
/* The vCPU's "exits" statistic, 0 if KVM has none. */
uint64_t gvm_exits(struct gvm *g);

#endif /* GMEM_BENCH_GVM_H */
