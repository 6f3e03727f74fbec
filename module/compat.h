/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels gmem builds for.  Kbuild probes the
 * target kernel's headers and passes GMEM_HAVE_* for what it found; logic
 * elsewhere uses only what this file defines.
 */
#ifndef _GMEM_COMPAT_H
#define _GMEM_COMPAT_H

#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/uio.h>
#include <linux/vmstat.h>

/* Newer kernels moved struct folio_batch out of pagevec.h into its own header. */
#ifdef GMEM_HAVE_FOLIO_BATCH_H
#include <linux/folio_batch.h>
#else
#include <linux/pagevec.h>
#endif

/*
 * 6.3 replaced the user_namespace that inode operations take with a
 * mnt_idmap.  "struct gmem_idmap" names whichever the kernel has.
 */
#ifdef GMEM_HAVE_MNT_IDMAP
#define gmem_idmap mnt_idmap
#else
#define gmem_idmap user_namespace
#endif

/*
 * The per-CPU system workqueue: system_percpu_wq where the kernel has it,
 * whose system_wq, the old name, logs a deprecation warning when used.
 */
#ifdef GMEM_HAVE_SYSTEM_PERCPU_WQ
#define gmem_percpu_wq		system_percpu_wq
#else
#define gmem_percpu_wq		system_wq
#endif

/*
 * Copies from @i into @folio at byte @offset of it, without faulting.
 * Kernels before the folio version have the page one, whose copy must
 * stay inside that page (gmem's calls do).
 */
#ifdef GMEM_HAVE_COPY_FOLIO_FROM_ITER_ATOMIC
#define gmem_copy_from_iter_atomic	copy_folio_from_iter_atomic
#else
static inline size_t gmem_copy_from_iter_atomic(struct folio *folio,
						size_t offset, size_t bytes,
						struct iov_iter *i)
{
	return copy_page_from_iter_atomic(folio_page(folio,
						     offset >> PAGE_SHIFT),
					  offset_in_page(offset), bytes, i);
}
#endif

/* 6.3 made vma->vm_flags read-only behind vm_flags_set(). */
#ifdef GMEM_HAVE_VM_FLAGS_SET
#define gmem_vm_flags_set	vm_flags_set
#else
static inline void gmem_vm_flags_set(struct vm_area_struct *vma,
				     unsigned long flags)
{
	vma->vm_flags |= flags;
}
#endif

/*
 * Swaps @new (locked, not in any page cache) in for @old (locked) in one
 * xarray store.  6.1 has only the page version, which moves a single
 * page's worth of NR_FILE_PAGES from one folio's node to the other's
 * whatever the folio's size; the rest is moved here.
 */
#ifdef GMEM_HAVE_REPLACE_PAGE_CACHE_FOLIO
#define gmem_replace_page_cache	replace_page_cache_folio
#else
static inline void gmem_replace_page_cache(struct folio *old,
					   struct folio *new)
{
	long nr = folio_nr_pages(old);

	replace_page_cache_page(&old->page, &new->page);
	if (nr > 1) {
		mod_lruvec_page_state(&old->page, NR_FILE_PAGES, 1 - nr);
		mod_lruvec_page_state(&new->page, NR_FILE_PAGES, nr - 1);
	}
}
#endif

/*
 * 6.15 lets a fault handler map a whole folio of a plain VMA (not
 * VM_MIXEDMAP) with one PMD, vmf_insert_folio_pmd() from ->huge_fault, and
 * one page of a folio with one PTE, vmf_insert_page_mkwrite(): what a huge
 * fd needs to map wholly shared 2 MiB blocks with a PMD (mmap.c).
 */
#if defined(GMEM_HAVE_FOLIO_PMD) && defined(GMEM_HAVE_INSERT_PAGE_MKWRITE) && \
	defined(CONFIG_TRANSPARENT_HUGEPAGE)
#define GMEM_PMD_MAP
#endif

/*
 * 6.11 added AS_INACCESSIBLE (for guest_memfd): compaction skips such
 * folios without isolating them, and truncation does not zero what it
 * cannot free (gmem zeroes itself, see gmem_punch()).  Before, compaction
 * isolates gmem's 4 KiB folios and ->migrate_folio refuses them; large
 * folios it skips anyway.
 */
#ifdef GMEM_HAVE_MAPPING_INACCESSIBLE
#define gmem_mapping_set_unmovable	mapping_set_inaccessible
#else
static inline void gmem_mapping_set_unmovable(struct address_space *mapping)
{
}
#endif

int gmem_error_folio(struct address_space *mapping, struct folio *folio);

/*
 * Memory failure reaches the mapping through ->error_remove_folio from 6.8
 * on and through ->error_remove_page (same meaning, given a page) before.
 * GMEM_AOP_ERROR_REMOVE names the member, gmem_aop_error_remove is what to
 * set it to, and gmem_generic_error_remove() is the matching core helper
 * that takes the folio out of the page cache.
 */
#ifdef GMEM_HAVE_ERROR_REMOVE_FOLIO
#define GMEM_AOP_ERROR_REMOVE		error_remove_folio
#define gmem_aop_error_remove		gmem_error_folio
#define gmem_generic_error_remove	generic_error_remove_folio
#else
#define GMEM_AOP_ERROR_REMOVE		error_remove_page
static inline int gmem_aop_error_remove(struct address_space *mapping,
					struct page *page)
{
	return gmem_error_folio(mapping, page_folio(page));
}

static inline int gmem_generic_error_remove(struct address_space *mapping,
					    struct folio *folio)
{
	return generic_error_remove_page(mapping, &folio->page);
}
#endif

/*
 * A fault handler that returns VM_FAULT_RETRY with FAULT_FLAG_ALLOW_RETRY
 * (and not FAULT_FLAG_RETRY_NOWAIT) lets go of the lock the fault was
 * taken under first.  6.4 added faults under the VMA's own lock
 * (FAULT_FLAG_VMA_LOCK), and release_fault_lock() to drop whichever is
 * held; before, it is always the mmap_lock.
 */
#ifdef GMEM_HAVE_RELEASE_FAULT_LOCK
#define gmem_release_fault_lock	release_fault_lock
#else
static inline void gmem_release_fault_lock(struct vm_fault *vmf)
{
	mmap_read_unlock(vmf->vma->vm_mm);
}
#endif

/*
 * --- The consumer API's symbol namespace (KVM series, issue 14 item 3) ---
 *
 * gmem exports its consumer API in the symbol namespace GMEM_NS; a
 * consumer that links against it imports the namespace, one that looks
 * the functions up (the patched KVM, with symbol_get()) needs nothing.
 * Linux 6.13 made the namespace argument of EXPORT_SYMBOL_NS_GPL() and
 * MODULE_IMPORT_NS() a string literal; before, it was a bare identifier
 * the macros stringified.  Kbuild's probe of <linux/module.h> tells which
 * (Debian's 6.1 and 6.12.118: identifier; 7.2.13: string).
 */
#ifdef GMEM_HAVE_NS_STRING
#define GMEM_NS		"GMEM"
#else
#define GMEM_NS		GMEM
#endif

#endif /* _GMEM_COMPAT_H */
