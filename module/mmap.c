// SPDX-License-Identifier: GPL-2.0
/*
 * Host mappings of a gmem fd.  Only shared pages are ever mapped: a fault on
 * a private page, or past the end, raises SIGBUS, so neither the mapping
 * nor anything that walks it (GUP, /proc/<pid>/mem, process_vm_readv,
 * ptrace) can reach private memory.
 */
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <uapi/linux/gmem.h>

#include "gmem.h"

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

	folio = gmem_get_folio(inode, index);
	if (IS_ERR(folio)) {
		/*
		 * VM_FAULT_OOM would send the OOM killer after some process
		 * that does not own this memory; gmem reports it instead.
		 */
		ret = VM_FAULT_SIGBUS;
		goto out;
	}
	vmf->page = folio_file_page(folio, index);
out:
	filemap_invalidate_unlock_shared(mapping);
	return ret;
}

static const struct vm_operations_struct gmem_vm_ops = {
	.fault = gmem_fault,
};

int gmem_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct gmem_inode *gi = GMEM_I(file_inode(file));

	if (!(gi->flags & GMEM_CREATE_MMAP))
		return -ENODEV;
	/* A private (COW) copy of guest memory would outlive conversions. */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;

	vma->vm_ops = &gmem_vm_ops;
	return 0;
}
