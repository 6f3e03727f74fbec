/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the preload library remembers about the guest_memfds it replaced:
 * plain data structures with no system calls, so that the host can unit
 * test them (tests/clients/preload-table-test.c).  The caller locks.
 */
#ifndef GMEM_PRELOAD_TABLE_H
#define GMEM_PRELOAD_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A gmem fd made in place of a guest_memfd, known by its inode. */
struct gmem_file {
	dev_t dev;
	ino_t ino;
	uint64_t size;
	/* The VM fd it was created on; -1 once that fd was closed. */
	int vm;
};

/* A memslot on such a file. */
struct gmem_slot {
	int vm;
	uint32_t id;		/* KVM's slot number, address space in 16+ */
	uint64_t gpa;
	uint64_t size;
	uint64_t offset;	/* of gpa in the file */
	int fd;			/* the library's own reference to the file */
	dev_t dev;
	ino_t ino;
};

/* [start, end) of guest physical addresses, bytes. */
struct gmem_range {
	uint64_t start;
	uint64_t end;
};

/*
 * A VM and its private ranges: KVM's memory attributes as the VM would see
 * them without the library, whichever of gmem and KVM holds them now.
 */
struct gmem_vm {
	int fd;
	struct gmem_range *priv;	/* sorted, disjoint, not adjacent */
	size_t npriv;
	size_t cappriv;
};

struct gmem_table {
	struct gmem_file *files;
	size_t nfiles, capfiles;
	struct gmem_slot *slots;
	size_t nslots, capslots;
	struct gmem_vm *vms;
	size_t nvms, capvms;
};

/* Every function returning int gives 0 or -ENOMEM. */
int gmem_table_add_file(struct gmem_table *t, const struct gmem_file *f);
struct gmem_file *gmem_table_file(struct gmem_table *t, dev_t dev, ino_t ino);

/* Adds @s; the caller took out any slot of the same VM and id before. */
int gmem_table_add_slot(struct gmem_table *t, const struct gmem_slot *s);
/* Takes slot @id of VM @vm out of the table into @out; false if none. */
bool gmem_table_take_slot(struct gmem_table *t, int vm, uint32_t id,
			  struct gmem_slot *out);
/* Whether [gpa, end) meets a slot of VM @vm. */
bool gmem_table_overlaps(const struct gmem_table *t, int vm, uint64_t gpa,
			 uint64_t end);

/* Whether [offset, end) of file @dev/@ino meets a slot's range of it. */
bool gmem_table_file_overlaps(const struct gmem_table *t, dev_t dev, ino_t ino,
			      uint64_t offset, uint64_t end);

/*
 * Cuts [gpa, end) into pieces in address order: each inside one slot of VM
 * @vm (@s set; where slots overlap, as in two address spaces, the first
 * added) or between slots (@s NULL), and calls @cb on each until it
 * returns non-zero, which is then returned.
 */
typedef int (*gmem_piece_fn)(void *arg, uint64_t gpa, uint64_t end,
			     const struct gmem_slot *s);
int gmem_table_split(const struct gmem_table *t, int vm, uint64_t gpa,
		     uint64_t end, gmem_piece_fn cb, void *arg);

/* The VM of fd @fd, made if @create (NULL then only for want of memory). */
struct gmem_vm *gmem_table_vm(struct gmem_table *t, int fd, bool create);

/*
 * VM fd @fd is gone: forget it, hand each of its slots to @drop (which
 * closes the slot's fd), and mark the files created on it as orphans.
 */
void gmem_table_forget_vm(struct gmem_table *t, int fd,
			  void (*drop)(const struct gmem_slot *s));

/* Marks [start, end) private or shared in @vm's ranges. */
int gmem_vm_set(struct gmem_vm *vm, uint64_t start, uint64_t end, bool priv);

/*
 * Cuts [start, end) into maximal private and shared pieces in order and
 * calls @cb on each until it returns non-zero, which is then returned.
 */
typedef int (*gmem_state_fn)(void *arg, uint64_t start, uint64_t end,
			     bool priv);
int gmem_vm_walk(const struct gmem_vm *vm, uint64_t start, uint64_t end,
		 gmem_state_fn cb, void *arg);

void gmem_table_free(struct gmem_table *t);

#endif /* GMEM_PRELOAD_TABLE_H */
