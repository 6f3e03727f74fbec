// SPDX-License-Identifier: GPL-2.0
/*
 * The preload library's memory: the gmem files it created, the memslots
 * on them and each VM's private ranges.  Few entries (a VMM has a handful
 * of memslots), so plain arrays and linear searches.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

/* Room for one more element of @size in *@v (holding @n of *@cap). */
static int gmem_grow(void **v, size_t *cap, size_t n, size_t size)
{
	size_t c = *cap ? *cap * 2 : 8;
	void *p;

	if (n < *cap)
		return 0;
	p = realloc(*v, c * size);
	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = c;
	return 0;
}

int gmem_table_add_file(struct gmem_table *t, const struct gmem_file *f)
{
	struct gmem_file *old = gmem_table_file(t, f->dev, f->ino);

	/* An inode number of a file long gone, given out again. */
	if (old) {
		*old = *f;
		return 0;
	}
	if (gmem_grow((void **)&t->files, &t->capfiles, t->nfiles, sizeof(*f)))
		return -ENOMEM;
	t->files[t->nfiles++] = *f;
	return 0;
}

struct gmem_file *gmem_table_file(struct gmem_table *t, dev_t dev, ino_t ino)
{
	size_t i;

	for (i = 0; i < t->nfiles; i++)
		if (t->files[i].dev == dev && t->files[i].ino == ino)
			return &t->files[i];
	return NULL;
}

int gmem_table_add_slot(struct gmem_table *t, const struct gmem_slot *s)
{
	if (gmem_grow((void **)&t->slots, &t->capslots, t->nslots, sizeof(*s)))
		return -ENOMEM;
	t->slots[t->nslots++] = *s;
	return 0;
}

bool gmem_table_take_slot(struct gmem_table *t, int vm, uint32_t id,
			  struct gmem_slot *out)
{
	size_t i;

	for (i = 0; i < t->nslots; i++) {
		if (t->slots[i].vm != vm || t->slots[i].id != id)
			continue;
		*out = t->slots[i];
		/* Keep the order: the first added wins where slots overlap. */
		memmove(&t->slots[i], &t->slots[i + 1],
			(t->nslots - i - 1) * sizeof(*t->slots));
		t->nslots--;
		return true;
	}
	return false;
}

bool gmem_table_overlaps(const struct gmem_table *t, int vm, uint64_t gpa,
			 uint64_t end)
{
	size_t i;

	for (i = 0; i < t->nslots; i++) {
		const struct gmem_slot *s = &t->slots[i];

		if (s->vm == vm && s->gpa < end && gpa < s->gpa + s->size)
			return true;
	}
	return false;
}

bool gmem_table_file_overlaps(const struct gmem_table *t, dev_t dev, ino_t ino,
			      uint64_t offset, uint64_t end)
{
	size_t i;

	for (i = 0; i < t->nslots; i++) {
		const struct gmem_slot *s = &t->slots[i];

		if (s->dev == dev && s->ino == ino && s->offset < end &&
		    offset < s->offset + s->size)
			return true;
	}
	return false;
}

int gmem_table_split(const struct gmem_table *t, int vm, uint64_t gpa,
		     uint64_t end, gmem_piece_fn cb, void *arg)
{
	while (gpa < end) {
		const struct gmem_slot *in = NULL;
		uint64_t next = end;
		size_t i;
		int r;

		for (i = 0; i < t->nslots; i++) {
			const struct gmem_slot *s = &t->slots[i];

			if (s->vm != vm)
				continue;
			if (s->gpa <= gpa && gpa < s->gpa + s->size) {
				in = s;
				break;
			}
			if (s->gpa > gpa && s->gpa < next)
				next = s->gpa;
		}
		if (in && in->gpa + in->size < end)
			next = in->gpa + in->size;
		r = cb(arg, gpa, next, in);
		if (r)
			return r;
		gpa = next;
	}
	return 0;
}

struct gmem_vm *gmem_table_vm(struct gmem_table *t, int fd, bool create)
{
	struct gmem_vm *vm;
	size_t i;

	for (i = 0; i < t->nvms; i++)
		if (t->vms[i].fd == fd)
			return &t->vms[i];
	if (!create ||
	    gmem_grow((void **)&t->vms, &t->capvms, t->nvms, sizeof(*vm)))
		return NULL;
	vm = &t->vms[t->nvms++];
	memset(vm, 0, sizeof(*vm));
	vm->fd = fd;
	return vm;
}

void gmem_table_forget_vm(struct gmem_table *t, int fd,
			  void (*drop)(const struct gmem_slot *s))
{
	size_t i, j;

	for (i = 0, j = 0; i < t->nslots; i++) {
		if (t->slots[i].vm == fd)
			drop(&t->slots[i]);
		else
			t->slots[j++] = t->slots[i];
	}
	t->nslots = j;
	for (i = 0; i < t->nfiles; i++)
		if (t->files[i].vm == fd)
			t->files[i].vm = -1;
	for (i = 0; i < t->nvms; i++) {
		if (t->vms[i].fd != fd)
			continue;
		free(t->vms[i].priv);
		t->vms[i] = t->vms[--t->nvms];
		break;
	}
}

int gmem_vm_set(struct gmem_vm *vm, uint64_t start, uint64_t end, bool priv)
{
	struct gmem_range keep[2];
	size_t i, first, last, nkeep = 0;

	if (start >= end)
		return 0;
	/*
	 * Ranges [first, last) meet or touch [start, end): they are replaced
	 * by what of them lies outside it, plus [start, end) itself when it
	 * becomes private (merged with its neighbours).
	 */
	for (first = 0; first < vm->npriv && vm->priv[first].end < start; first++)
		;
	for (last = first; last < vm->npriv && vm->priv[last].start <= end; last++)
		;
	if (priv) {
		if (first < last) {
			if (vm->priv[first].start < start)
				start = vm->priv[first].start;
			if (vm->priv[last - 1].end > end)
				end = vm->priv[last - 1].end;
		}
		keep[nkeep].start = start;
		keep[nkeep++].end = end;
	} else if (first < last) {
		if (vm->priv[first].start < start) {
			keep[nkeep].start = vm->priv[first].start;
			keep[nkeep++].end = start;
		}
		if (vm->priv[last - 1].end > end) {
			keep[nkeep].start = end;
			keep[nkeep++].end = vm->priv[last - 1].end;
		}
	}
	if (vm->npriv - (last - first) + nkeep > vm->cappriv) {
		size_t c = vm->cappriv ? vm->cappriv * 2 : 8;
		void *p = realloc(vm->priv, c * sizeof(*vm->priv));

		if (!p)
			return -ENOMEM;
		vm->priv = p;
		vm->cappriv = c;
	}
	memmove(&vm->priv[first + nkeep], &vm->priv[last],
		(vm->npriv - last) * sizeof(*vm->priv));
	for (i = 0; i < nkeep; i++)
		vm->priv[first + i] = keep[i];
	vm->npriv = vm->npriv - (last - first) + nkeep;
	return 0;
}

int gmem_vm_walk(const struct gmem_vm *vm, uint64_t start, uint64_t end,
		 gmem_state_fn cb, void *arg)
{
	size_t i = 0;
	int r;

	while (start < end) {
		uint64_t next = end;
		bool priv = false;

		while (vm && i < vm->npriv && vm->priv[i].end <= start)
			i++;
		if (vm && i < vm->npriv) {
			if (vm->priv[i].start <= start) {
				priv = true;
				if (vm->priv[i].end < end)
					next = vm->priv[i].end;
			} else if (vm->priv[i].start < end) {
				next = vm->priv[i].start;
			}
		}
		r = cb(arg, start, next, priv);
		if (r)
			return r;
		start = next;
	}
	return 0;
}

void gmem_table_free(struct gmem_table *t)
{
	size_t i;

	for (i = 0; i < t->nvms; i++)
		free(t->vms[i].priv);
	free(t->vms);
	free(t->slots);
	free(t->files);
	memset(t, 0, sizeof(*t));
}
