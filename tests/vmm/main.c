// SPDX-License-Identifier: GPL-2.0
/*
 * gmem-vmm: gmem under a real KVM, from a small VMM of its own (vm.c) and
 * a real-mode nested guest (guest.S); prints TAP.  Runs as root in an L1
 * test guest with gmem and KVM loaded (scripts/kvm/vmm-guest boots it):
 *
 *   kvm     which KVM is loaded (gmem_kvm=stock|rebuilt|patched from the
 *           kernel command line says which it should be)
 *   stock   a stock KVM: gmem's shared pages as an ordinary memslot
 *   e2e     the patched KVM: a gmem fd as a memslot's guest_memfd;
 *           skipped, with the reason, on a KVM without the series
 *   e2e-huge  the same with a GMEM_CREATE_HUGE fd: 2 MiB folios mapped
 *           by 2 MiB NPT entries, a page converted or punched inside
 *           one, GMEM_MIGRATE under the VM
 *   e2e-only  gmem-only memslots (a GMEM_CREATE_MMAP fd): shared pages
 *           through gmem too, with 2 MiB entries; a default VM on one
 *   e2e-teardown  VMs destroyed while punch, conversion, migration and
 *           memory failure of their gmem memslot are in flight
 *   e2e-smp  a VM with 2 vCPUs faulting in and checking gmem pages while
 *           conversions, punches and migrations of the same pages run
 *   e2e-modules  the patched KVM loads and runs VMs without gmem, and
 *           binds a gmem fd once gmem is loaded
 *
 * Arguments (or GMEM_TESTS=a,b) select tests by "suite: name" substring.
 * The last line says how long the tests took.
 */
#include <stddef.h>
#include <stdio.h>

#include "harness.h"
#include "suites.h"
#include "sys.h"

int main(int argc, char **argv)
{
	static const struct suite *const suites[] = {
		&kvm_suite,
		&stock_suite,
		&e2e_suite,
		&e2e_huge_suite,
		&e2e_only_suite,
		&e2e_teardown_suite,
		&e2e_smp_suite,
		&e2e_restore_suite,
		/* Last: it unloads and reloads gmem and KVM. */
		&e2e_modules_suite,
		NULL,
	};

	double start = now_s();
	int rc = harness_main(suites, argc, argv);

	/* After the TAP; scripts/kvm/check-vmm.sh records it per kernel. */
	printf("# gmem-vmm: tests took %.1fs\n", now_s() - start);
	return rc;
}
