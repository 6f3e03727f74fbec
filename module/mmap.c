// SPDX-License-Identifier: GPL-2.0
/*
 * Host mappings of a gmem fd.  Only shared pages are ever mapped: a fault on
 * a private page, or past the end, raises SIGBUS, so neither the mapping
 * nor anything that walks it (GUP, /proc/<pid>/mem, process_vm_readv,
 * ptrace) can reach private memory.
 *
 * A large folio may mix shared and private pages, and core MM maps a PMD-
 * sized folio returned by ->fault with one PMD, private pages included.  So
 * on a GMEM_CREATE_HUGE fd the fault handlers map pages themselves and
 * never hand core MM a large folio:
 *
 * - From 6.15 (GMEM_PMD_MAP), ->huge_fault maps a 2 MiB block with one PMD
 *   when every page of it is shared and none poisoned, the VMA covers it
 *   and is aligned to it, and THP is not disabled for the VMA (VM_HUGEPAGE
 *   is set, so THP "madvise" is enough).  Anything else falls back to
 *   ->fault, which maps the one page.  The VMA is a plain one: on a
 *   VM_MIXEDMAP VMA core MM takes a split PMD for a special mapping and
 *   would leave the folio's reference and rmap behind.  A conversion to
 *   private unmaps its pages, which splits (that is, removes) the PMD
 *   before the state changes; the rest of the block faults in again.
 *
 * - Before, ->fault maps every shared page of the folio inside the VMA at
 *   once with PTEs (VM_MIXEDMAP, the precondition of vm_insert_pages() in
 *   a fault).
 *
 * A GMEM_CREATE_DIRTY_LOG fd's mappings have a ->page_mkwrite, which makes
 * core MM map its pages read-only (vma_wants_writenotify()) until a write
 * fault marks the page in the log (dirty.c); other fds' do without, so a
 * page read and then written costs them one fault, not two.  The marks:
 * ->page_mkwrite for a page ->fault handed core MM or a read-only entry;
 * ->fault itself where it maps a huge fd's page writable (6.15+);
 * ->huge_fault for a whole block it maps writable with one PMD.  Before
 * 6.15, vm_insert_pages() maps with the VMA's read-only protection, so a
 * write fault there maps the folio, then faults once more on the page
 * into ->page_mkwrite.
 *
 * A fault on a missing page (an armed range, missing.c) reports it and
 * sleeps with every lock let go, then has core MM retry the fault
 * (gmem_fault_missing()); ->huge_fault leaves such a block to ->fault.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/sched.h>
#include <uapi/linux/gmem.h>

#include "compat.h"
#include "gmem.h"
#include "gmem_trace.h"

#ifdef GMEM_PMD_MAP
/* A huge fd's VMA: THP "madvise" is enough for ->huge_fault to be called. */
#define GMEM_HUGE_VM_FLAGS	VM_HUGEPAGE

/*
 * Maps the page at @index of @folio, shared and unpoisoned, with one PTE.
 * The caller holds the invalidate_lock and the folio lock.
 */
static vm_fault_t gmem_map_huge_page(struct vm_fault *vmf, struct folio *folio,
				     pgoff_t index)
{
	bool write = vmf->flags & FAULT_FLAG_WRITE;

	if (gmem_page_poisoned(folio, index))
		return VM_FAULT_HWPOISON;
	/* Mapped writable here: no ->page_mkwrite follows. */
	if (write)
		gmem_dirty_mark(GMEM_I(folio->mapping->host), index, index + 1);
	return vmf_insert_page_mkwrite(vmf, folio_file_page(folio, index),
				       write);
}

/*
 * One PMD for the 2 MiB block around the fault, or VM_FAULT_FALLBACK to
 * ->fault.  The state is checked under the invalidate_lock and the PMD
 * set under the folio lock, so a conversion, which unmaps the block
 * before it changes a page, either finds the PMD there or runs first and
 * makes this fall back.  Also the write fault on a PMD mapped for reading
 * comes here, and vmf_insert_folio_pmd() makes it writable.
 */
static vm_fault_t gmem_huge_fault(struct vm_fault *vmf, unsigned int order)
{
	struct vm_area_struct *vma = vmf->vma;
	struct inode *inode = file_inode(vma->vm_file);
	struct address_space *mapping = inode->i_mapping;
	unsigned long haddr = vmf->address & PMD_MASK;
	/* the fd page at haddr: the block, if the VMA is aligned to it */
	pgoff_t block = vmf->pgoff - ((vmf->address - haddr) >> PAGE_SHIFT);
	struct gmem_inode *gi = GMEM_I(inode);
	vm_fault_t ret = VM_FAULT_FALLBACK;
	pgoff_t first, last;
	struct folio *folio;

	if (order != GMEM_HUGE_ORDER || !IS_ALIGNED(block, GMEM_HUGE_NR) ||
	    haddr < vma->vm_start || haddr + PMD_SIZE > vma->vm_end)
		return VM_FAULT_FALLBACK;

	filemap_invalidate_lock_shared(mapping);
	/* A missing page is ->fault's to report and wait for. */
	if (block + GMEM_HUGE_NR > gmem_nr_pages(inode) ||
	    !gmem_attr_lookup(gi, block, &first, &last) ||
	    last < block + GMEM_HUGE_NR - 1 ||
	    gmem_range_poisoned(gi, block, GMEM_HUGE_NR) ||
	    gmem_missing_page(inode, vmf->pgoff))
		goto out;
	/*
	 * What ->fault would allocate, the whole block if it is empty, else
	 * the one page; on an error ->fault tries again and reports it.
	 */
	folio = gmem_get_folio(inode, vmf->pgoff);
	if (IS_ERR(folio))
		goto out;
	if (folio_order(folio) == GMEM_HUGE_ORDER && folio->index == block &&
	    !gmem_folio_has_poison(folio)) {
		/* A writable PMD: the log cannot tell its pages apart. */
		if (vmf->flags & FAULT_FLAG_WRITE)
			gmem_dirty_mark(gi, block, block + GMEM_HUGE_NR);
		ret = vmf_insert_folio_pmd(vmf, folio,
					   vmf->flags & FAULT_FLAG_WRITE);
	}
	folio_unlock(folio);
	folio_put(folio);
out:
	trace_gmem_fault(inode, vmf->pgoff, order, ret);
	filemap_invalidate_unlock_shared(mapping);
	return ret;
}
#else
#define GMEM_HUGE_VM_FLAGS	VM_MIXEDMAP

/* Maps [@index, @end) of @folio at the VMA's matching addresses. */
static int gmem_insert_run(struct vm_area_struct *vma, struct folio *folio,
			   pgoff_t index, pgoff_t end)
{
	unsigned long addr = vma->vm_start +
			     ((index - vma->vm_pgoff) << PAGE_SHIFT);
	struct page *pages[64];
	unsigned long nr, left;
	int err;

	while (index < end) {
		nr = min_t(unsigned long, end - index, ARRAY_SIZE(pages));
		for (left = 0; left < nr; left++)
			pages[left] = folio_file_page(folio, index + left);
		left = nr;
		err = vm_insert_pages(vma, addr, pages, &left);
		/* A page mapped already (-EBUSY) is skipped, not an error. */
		if (err && err != -EBUSY)
			return err;
		nr -= left;
		if (err)
			nr++;
		index += nr;
		addr += nr << PAGE_SHIFT;
	}
	return 0;
}

/*
 * Maps every shared, unpoisoned page of @folio that the VMA covers, the
 * faulting one, @faulted, among them.  The caller holds the
 * invalidate_lock and the folio lock, so no conversion can slip in
 * between the check and the mapping.
 */
static vm_fault_t gmem_map_huge_page(struct vm_fault *vmf, struct folio *folio,
				     pgoff_t faulted)
{
	struct vm_area_struct *vma = vmf->vma;
	struct gmem_inode *gi = GMEM_I(file_inode(vma->vm_file));
	pgoff_t first = max_t(pgoff_t, folio->index, vma->vm_pgoff);
	pgoff_t last = min_t(pgoff_t, folio->index + folio_nr_pages(folio),
			     vma->vm_pgoff + vma_pages(vma));
	pgoff_t index, run = first;
	int err = 0;

	lockdep_assert_held(&vma->vm_file->f_mapping->invalidate_lock);
	WARN_ON_ONCE(!folio_test_locked(folio));

	for (index = first; index <= last && !err; index++) {
		if (index < last && gmem_attr_is_shared(gi, index) &&
		    !gmem_page_poisoned(folio, index))
			continue;
		if (run < index)
			err = gmem_insert_run(vma, folio, run, index);
		run = index + 1;
	}
	if (err == -ENOMEM)
		return VM_FAULT_OOM;
	return err ? VM_FAULT_SIGBUS : VM_FAULT_NOPAGE;
}

#endif /* GMEM_PMD_MAP */

/*
 * The fault of a missing page that gmem_missing_touch() answered with @err.
 * It waits for the fill where the fault may drop its lock and be retried,
 * as core MM lets a handler do with FAULT_FLAG_ALLOW_RETRY: the lock is
 * let go, the wait ends when the page is filled, the range disarmed, the
 * event fd closed or a signal comes, and VM_FAULT_RETRY has the fault
 * taken again, which then maps the page, waits again or fails.  A user
 * fault sleeps interruptibly (a signal handler runs and the access is
 * retried); a kernel one (a copy to or from user memory, GUP) only until
 * a fatal signal, since it would otherwise retry at once without ever
 * sleeping.  With FAULT_FLAG_RETRY_NOWAIT the caller keeps the lock and
 * must not wait.  A fault that cannot be retried at all gets SIGBUS
 * rather than sleep with the mmap_lock held, which the VMM's own handler
 * may need; the page is reported all the same.
 */
static vm_fault_t gmem_fault_missing(struct vm_fault *vmf, pgoff_t index,
				     int err)
{
	struct inode *inode = file_inode(vmf->vma->vm_file);
	unsigned int state = TASK_KILLABLE;
	vm_fault_t ret = VM_FAULT_RETRY;
	struct file *file;

	/* No event fd; or the report failed, for which gmem sends no OOM. */
	if (err != GMEM_MISSING_WAIT ||
	    !(vmf->flags & FAULT_FLAG_ALLOW_RETRY))
		ret = VM_FAULT_SIGBUS;
	trace_gmem_fault(inode, index, 0, ret);
	if (ret != VM_FAULT_RETRY || vmf->flags & FAULT_FLAG_RETRY_NOWAIT)
		return ret;

	if ((vmf->flags & (FAULT_FLAG_USER | FAULT_FLAG_INTERRUPTIBLE)) ==
	    (FAULT_FLAG_USER | FAULT_FLAG_INTERRUPTIBLE))
		state = TASK_INTERRUPTIBLE;
	/* The VMA may go once the lock is let go; the file must not. */
	file = get_file(vmf->vma->vm_file);
	gmem_release_fault_lock(vmf);
	gmem_missing_wait(inode, index, state);
	fput(file);
	return ret;
}

static vm_fault_t gmem_fault(struct vm_fault *vmf)
{
	struct inode *inode = file_inode(vmf->vma->vm_file);
	struct address_space *mapping = inode->i_mapping;
	pgoff_t index = vmf->pgoff;
	vm_fault_t ret = VM_FAULT_LOCKED;
	struct folio *folio;

	/* Holds off conversion and punch until the folio is locked. */
	filemap_invalidate_lock_shared(mapping);

	if (index >= gmem_nr_pages(inode) ||
	    !gmem_attr_is_shared(GMEM_I(inode), index)) {
		ret = VM_FAULT_SIGBUS;
		goto out;
	}

	if (gmem_is_poisoned(GMEM_I(inode), index)) {
		ret = VM_FAULT_HWPOISON;
		goto out;
	}

	if (gmem_missing_armed(GMEM_I(inode))) {
		int err = gmem_missing_touch(inode, index, GMEM_MISSING_FAULT);

		if (err) {
			filemap_invalidate_unlock_shared(mapping);
			return gmem_fault_missing(vmf, index, err);
		}
	}

	folio = gmem_get_folio(inode, index);
	if (IS_ERR(folio)) {
		/*
		 * VM_FAULT_OOM would send the OOM killer after some process
		 * that does not own this memory; gmem reports it instead.
		 */
		ret = PTR_ERR(folio) == -EHWPOISON ? VM_FAULT_HWPOISON :
						     VM_FAULT_SIGBUS;
		goto out;
	}
	if (GMEM_I(inode)->flags & GMEM_CREATE_HUGE) {
		ret = gmem_map_huge_page(vmf, folio, index);
		goto out_folio;
	}
	vmf->page = folio_file_page(folio, index);
	goto out;

out_folio:
	folio_unlock(folio);
	folio_put(folio);
out:
	trace_gmem_fault(inode, index, 0, ret);
	filemap_invalidate_unlock_shared(mapping);
	return ret;
}

/*
 * The first write to a page mapped read-only, on a dirty-logged fd: the
 * page goes in the log before core MM makes the entry writable, under the
 * folio lock, which GMEM_DIRTY_LOG takes to write-protect it again.
 */
static vm_fault_t gmem_page_mkwrite(struct vm_fault *vmf)
{
	struct inode *inode = file_inode(vmf->vma->vm_file);
	struct address_space *mapping = inode->i_mapping;
	struct folio *folio = page_folio(vmf->page);
	pgoff_t index = vmf->pgoff;
	vm_fault_t ret = VM_FAULT_LOCKED;

	/* As in ->fault: holds off conversion and punch. */
	filemap_invalidate_lock_shared(mapping);
	folio_lock(folio);
	/*
	 * Punched or turned private since it was mapped: the entry is gone,
	 * and the fault retried finds a new page or raises SIGBUS.
	 */
	if (folio->mapping != mapping ||
	    !gmem_attr_is_shared(GMEM_I(inode), index)) {
		folio_unlock(folio);
		ret = VM_FAULT_NOPAGE;
		goto out;
	}
	gmem_dirty_mark(GMEM_I(inode), index, index + 1);
out:
	trace_gmem_fault(inode, index, 0, ret);
	filemap_invalidate_unlock_shared(mapping);
	return ret;
}

static const struct vm_operations_struct gmem_vm_ops = {
	.fault = gmem_fault,
#ifdef CONFIG_NUMA
	/* mbind(): kept per file range, see mpol.c; no ->get_policy there */
	.set_policy = gmem_set_policy,
#endif
};

static const struct vm_operations_struct gmem_dirty_vm_ops = {
	.fault = gmem_fault,
	.page_mkwrite = gmem_page_mkwrite,
#ifdef CONFIG_NUMA
	.set_policy = gmem_set_policy,
#endif
};

/*
 * Only a GMEM_CREATE_HUGE fd has a ->huge_fault: core MM tries it on every
 * fault of a VMA where THP is allowed (on Debian's kernels, THP "always"
 * allows it everywhere), and on a 4 KiB fd it could only take the
 * invalidate_lock, allocate the one page and fall back.
 */
static const struct vm_operations_struct gmem_huge_vm_ops = {
	.fault = gmem_fault,
#ifdef GMEM_PMD_MAP
	.huge_fault = gmem_huge_fault,
#endif
#ifdef CONFIG_NUMA
	.set_policy = gmem_set_policy,
#endif
};

static const struct vm_operations_struct gmem_huge_dirty_vm_ops = {
	.fault = gmem_fault,
#ifdef GMEM_PMD_MAP
	.huge_fault = gmem_huge_fault,
#endif
	.page_mkwrite = gmem_page_mkwrite,
#ifdef CONFIG_NUMA
	.set_policy = gmem_set_policy,
#endif
};

int gmem_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct gmem_inode *gi = GMEM_I(file_inode(file));

	if (!(gi->flags & GMEM_CREATE_MMAP))
		return -ENODEV;
	/* A private (COW) copy of guest memory would outlive conversions. */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;

	if (gi->flags & GMEM_CREATE_HUGE) {
		gmem_vm_flags_set(vma, GMEM_HUGE_VM_FLAGS);
		vma->vm_ops = gmem_dirty_logged(gi) ? &gmem_huge_dirty_vm_ops :
						      &gmem_huge_vm_ops;
	} else {
		vma->vm_ops = gmem_dirty_logged(gi) ? &gmem_dirty_vm_ops :
						      &gmem_vm_ops;
	}
	return 0;
}
