// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests (cmocka) of preload/table.c: how libgmem-preload.so
 * cuts a KVM_SET_MEMORY_ATTRIBUTES range between gmem memslots and KVM,
 * and how it keeps a VM's private ranges.  Run by check-clients on the
 * host; no KVM and no gmem needed.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../preload/table.h"

#define SLOT(v, i, g, s, o) \
	((struct gmem_slot){ .vm = (v), .id = (i), .gpa = (g), .size = (s), \
			     .offset = (o), .fd = 100 + (i) })

struct pieces {
	int n;
	uint64_t start[8], end[8];
	int id[8];	/* slot id, -1 for KVM */
	int stop_at;	/* return -EIO on this piece, 0: never */
};

static int record_piece(void *arg, uint64_t gpa, uint64_t end,
			const struct gmem_slot *s)
{
	struct pieces *p = arg;

	assert_true(p->n < 8);
	p->start[p->n] = gpa;
	p->end[p->n] = end;
	p->id[p->n] = s ? (int)s->id : -1;
	p->n++;
	return p->n == p->stop_at ? -EIO : 0;
}

static void split_between_slots(void **state)
{
	struct gmem_table t = { 0 };
	struct pieces p = { 0 };
	struct gmem_slot a = SLOT(3, 1, 0x1000, 0x2000, 0);
	struct gmem_slot b = SLOT(3, 2, 0x5000, 0x1000, 0x2000);
	struct gmem_slot other = SLOT(4, 1, 0x3000, 0x1000, 0);

	(void)state;
	assert_int_equal(gmem_table_add_slot(&t, &b), 0);
	assert_int_equal(gmem_table_add_slot(&t, &a), 0);
	assert_int_equal(gmem_table_add_slot(&t, &other), 0);
	assert_int_equal(gmem_table_split(&t, 3, 0, 0x8000, record_piece, &p), 0);
	/* KVM, a, KVM (the other VM's slot does not count), b, KVM */
	assert_int_equal(p.n, 5);
	assert_int_equal(p.start[0], 0);
	assert_int_equal(p.end[0], 0x1000);
	assert_int_equal(p.id[0], -1);
	assert_int_equal(p.end[1], 0x3000);
	assert_int_equal(p.id[1], 1);
	assert_int_equal(p.end[2], 0x5000);
	assert_int_equal(p.id[2], -1);
	assert_int_equal(p.end[3], 0x6000);
	assert_int_equal(p.id[3], 2);
	assert_int_equal(p.end[4], 0x8000);
	assert_int_equal(p.id[4], -1);

	/* Inside one slot: one piece. */
	p.n = 0;
	gmem_table_split(&t, 3, 0x1800, 0x2000, record_piece, &p);
	assert_int_equal(p.n, 1);
	assert_int_equal(p.id[0], 1);

	/* The callback's error stops the walk and comes back. */
	p.n = 0;
	p.stop_at = 2;
	assert_int_equal(gmem_table_split(&t, 3, 0, 0x8000, record_piece, &p), -EIO);
	assert_int_equal(p.n, 2);

	assert_true(gmem_table_overlaps(&t, 3, 0x2fff, 0x3000));
	assert_false(gmem_table_overlaps(&t, 3, 0x3000, 0x5000));
	assert_true(gmem_table_overlaps(&t, 4, 0x3000, 0x5000));

	/* By file range: a and other share dev/ino 0/0, offsets 0 and 0. */
	assert_true(gmem_table_file_overlaps(&t, 0, 0, 0x1000, 0x2000));
	assert_true(gmem_table_file_overlaps(&t, 0, 0, 0x2fff, 0x3000));
	assert_false(gmem_table_file_overlaps(&t, 0, 0, 0x3000, 0x4000));
	assert_false(gmem_table_file_overlaps(&t, 1, 0, 0x1000, 0x2000));
	gmem_table_free(&t);
}

static int dropped;

static void count_drop(const struct gmem_slot *s)
{
	assert_int_equal(s->vm, 3);
	dropped++;
}

static void take_and_forget(void **state)
{
	struct gmem_table t = { 0 };
	struct gmem_slot a = SLOT(3, 1, 0x1000, 0x1000, 0), out;
	struct gmem_slot b = SLOT(5, 1, 0x1000, 0x1000, 0);
	struct gmem_file f = { .dev = 1, .ino = 7, .size = 0x1000, .vm = 3 };

	(void)state;
	gmem_table_add_slot(&t, &a);
	gmem_table_add_slot(&t, &b);
	gmem_table_add_file(&t, &f);
	assert_non_null(gmem_table_vm(&t, 3, true));
	assert_true(gmem_table_take_slot(&t, 3, 1, &out));
	assert_int_equal(out.vm, 3);
	assert_false(gmem_table_take_slot(&t, 3, 1, &out));
	gmem_table_add_slot(&t, &a);

	/* Closing VM fd 3 drops its slot and orphans its file. */
	gmem_table_forget_vm(&t, 3, count_drop);
	assert_int_equal(dropped, 1);
	assert_int_equal(t.nslots, 1);
	assert_int_equal(t.slots[0].vm, 5);
	assert_int_equal(gmem_table_file(&t, 1, 7)->vm, -1);
	assert_null(gmem_table_vm(&t, 3, false));
	gmem_table_free(&t);
}

struct states {
	int n;
	uint64_t start[8], end[8];
	bool priv[8];
};

static int record_state(void *arg, uint64_t start, uint64_t end, bool priv)
{
	struct states *s = arg;

	assert_true(s->n < 8);
	s->start[s->n] = start;
	s->end[s->n] = end;
	s->priv[s->n] = priv;
	s->n++;
	return 0;
}

static void private_ranges(void **state)
{
	struct gmem_vm vm = { .fd = 3 };
	struct states s = { 0 };

	(void)state;
	assert_int_equal(gmem_vm_set(&vm, 0x1000, 0x3000, true), 0);
	assert_int_equal(gmem_vm_set(&vm, 0x5000, 0x6000, true), 0);
	/* Touching the first: merged. */
	assert_int_equal(gmem_vm_set(&vm, 0x3000, 0x4000, true), 0);
	assert_int_equal(vm.npriv, 2);
	assert_int_equal(vm.priv[0].start, 0x1000);
	assert_int_equal(vm.priv[0].end, 0x4000);

	/* A hole in the middle of the first: split in two. */
	assert_int_equal(gmem_vm_set(&vm, 0x2000, 0x3000, false), 0);
	assert_int_equal(vm.npriv, 3);

	assert_int_equal(gmem_vm_walk(&vm, 0, 0x7000, record_state, &s), 0);
	assert_int_equal(s.n, 7);
	assert_false(s.priv[0]);		/* [0, 1000) */
	assert_true(s.priv[1]);			/* [1000, 2000) */
	assert_int_equal(s.end[1], 0x2000);
	assert_false(s.priv[2]);		/* [2000, 3000) */
	assert_true(s.priv[3]);			/* [3000, 4000) */
	assert_false(s.priv[4]);		/* [4000, 5000) */
	assert_true(s.priv[5]);			/* [5000, 6000) */
	assert_false(s.priv[6]);		/* [6000, 7000) */

	/* Shared over everything: nothing left. */
	assert_int_equal(gmem_vm_set(&vm, 0, 0x10000, false), 0);
	assert_int_equal(vm.npriv, 0);

	/* No VM known: all shared, one piece. */
	s.n = 0;
	gmem_vm_walk(NULL, 0x1000, 0x2000, record_state, &s);
	assert_int_equal(s.n, 1);
	assert_false(s.priv[0]);
	free(vm.priv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(split_between_slots),
		cmocka_unit_test(take_and_forget),
		cmocka_unit_test(private_ranges),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
