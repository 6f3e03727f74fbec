/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gmem's trace events (TRACE_SYSTEM gmem): every change of an fd's memory
 * or page state and every hot path, for tracefs, perf, trace-cmd and BPF.
 * Documentation/tracing.rst lists each event and its fields.
 *
 * An fd is named by the inode number of its memory (ino, st_ino of the
 * fd); ranges are page indices, end exclusive.  A binding is named by
 * its fd and its first page (bind_start): bindings of one fd never
 * overlap.  Every argument is read inside TP_fast_assign(), so a disabled
 * event costs its static branch and nothing else.
 *
 * module/trace.c is the one file that defines CREATE_TRACE_POINTS; Kbuild
 * adds this directory to its include path, where <trace/define_trace.h>
 * looks for TRACE_INCLUDE_FILE.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM gmem

#if !defined(_GMEM_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _GMEM_TRACE_H

#include <linux/fs.h>
#include <linux/gmem.h>
#include <linux/mm.h>
#include <linux/tracepoint.h>
#include <linux/uio.h>

#include "gmem.h"

TRACE_EVENT(gmem_create,
	    TP_PROTO(struct inode *inode, int fd),
	    TP_ARGS(inode, fd),
	    TP_STRUCT__entry(__field(u64, ino)
			     __field(int, fd)
			     __field(u32, flags)
			     __field(u32, numa_mode)
			     __field(u64, size)),
	    TP_fast_assign(__entry->ino = inode->i_ino;
			   __entry->fd = fd;
			   __entry->flags = GMEM_I(inode)->flags;
			   __entry->numa_mode = GMEM_I(inode)->numa.mode;
			   __entry->size = i_size_read(inode);),
	    TP_printk("ino=%llu fd=%d size=%llu flags=%#x numa_mode=%u",
		      __entry->ino, __entry->fd, __entry->size,
		      __entry->flags, __entry->numa_mode)
);

/* A file of the fd closed; nr_pages is what the fd holds then. */
TRACE_EVENT(gmem_release,
	    TP_PROTO(struct inode *inode),
	    TP_ARGS(inode),
	    TP_STRUCT__entry(__field(u64, ino)
			     __field(unsigned long, nr_pages)),
	    TP_fast_assign(__entry->ino = inode->i_ino;
			   __entry->nr_pages = inode->i_mapping->nrpages;),
	    TP_printk("ino=%llu nr_pages=%lu", __entry->ino,
		      __entry->nr_pages)
);

/*
 * A new zeroed folio for the page cache, or the error that kept it out
 * (-EEXIST: a racing caller filled the index first).
 */
TRACE_EVENT(gmem_alloc,
	    TP_PROTO(struct inode *inode, pgoff_t index, unsigned int order,
		     struct folio *folio, int ret),
	    TP_ARGS(inode, index, order, folio, ret),
	    TP_STRUCT__entry(__field(u64, ino)
			     __field(pgoff_t, index)
			     __field(unsigned int, order)
			     __field(int, node)
			     __field(int, ret)),
	    TP_fast_assign(__entry->ino = inode->i_ino;
			   __entry->index = index;
			   __entry->order = order;
			   __entry->node = ret ? NUMA_NO_NODE :
						 folio_nid(folio);
			   __entry->ret = ret;),
	    TP_printk("ino=%llu index=%lu order=%u node=%d ret=%d",
		      __entry->ino, __entry->index, __entry->order,
		      __entry->node, __entry->ret)
);

TRACE_EVENT(gmem_fallocate,
	    TP_PROTO(struct inode *inode, pgoff_t start, pgoff_t end, int ret),
	    TP_ARGS(inode, start, end, ret),
	    TP_STRUCT__entry(__field(u64, ino)
			     __field(pgoff_t, start)
			     __field(pgoff_t, end)
			     __field(int, ret)),
	    TP_fast_assign(__entry->ino = inode->i_ino;
			   __entry->start = start;
			   __entry->end = end;
			   __entry->ret = ret;),
	    TP_printk("ino=%llu start=%lu end=%lu ret=%d", __entry->ino,
		      __entry->start, __entry->end, __entry->ret)
);

/* nr_pages: what the fd holds once the range is freed. */
TRACE_EVENT(gmem_punch,
	    TP_PROTO(struct inode *inode, pgoff_t start, pgoff_t end),
	    TP_ARGS(inode, start, end),
	    TP_STRUCT__entry(__field(u64, ino)
			     __field(pgoff_t, start)
			     __field(pgoff_t, end)
			     __field(unsigned long, nr_pages)),
	    TP_fast_assign(__entry->ino = inode->i_ino;
			   __entry->start = start;
			   __entry->end = end;
			   __entry->nr_pages = inode->i_mapping->nrpages;),
	    TP_printk("ino=%llu start=%lu end=%lu nr_pages=%lu",
		      __entry->ino, __entry->start, __entry->end,
		      __entry->nr_pages)
);

TRACE_EVENT(gmem_convert,
	    TP_PROTO(struct inode *inode, pgoff_t start, pgoff_t end,
		     bool to_shared, bool zero, int ret),
	    TP_ARGS(inode, start, end, to_shared, zero, ret),
	    TP_STRUCT__entry(__field(u64, ino)
			     __field(pgoff_t, start)
			     __field(pgoff_t, end)
			     __field(u8, to_shared)
			     __field(u8, zero)
			     __field(int, ret)),
	    TP_fast_assign(__entry->ino = inode->i_ino;
			   __entry->start = start;
			   __entry->end = end;
			   __entry->to_shared = to_shared;
			   __entry->zero = zero;
			   __entry->ret = ret;),
	    TP_printk("ino=%llu start=%lu end=%lu to=%s zero=%u ret=%d",
		      __entry->ino, __entry->start, __entry->end,
		      __print_symbolic(__entry->to_shared,
				       { 0, "private" }, { 1, "shared" }),
		      __entry->zero, __entry->ret)
);

/*
 * ->fault (order 0) or ->huge_fault (order 9) of a host mapping; ret is
 * the vm_fault_t, in hex: VM_FAULT_* names would reach perf and trace-cmd
 * as enum names they cannot resolve.
 */
TRACE_EVENT(gmem_fault,
	    TP_PROTO(struct inode *inode, pgoff_t index, unsigned int order,
		     vm_fault_t ret),
	    TP_ARGS(inode, index, order, ret),
	    TP_STRUCT__entry(__field(u64, ino)
			     __field(pgoff_t, index)
			     __field(unsigned int, order)
			     __field(unsigned int, ret)),
	    TP_fast_assign(__entry->ino = inode->i_ino;
			   __entry->index = index;
			   __entry->order = order;
			   __entry->ret = (__force unsigned int)ret;),
	    TP_printk("ino=%llu index=%lu order=%u ret=%#x", __entry->ino,
		      __entry->index, __entry->order, __entry->ret)
);

/* GMEM_POPULATE; @next is the page it stopped at (@end when all went in). */
TRACE_EVENT(gmem_populate,
	    TP_PROTO(struct inode *inode, pgoff_t start, pgoff_t end,
		     pgoff_t next, int ret),
	    TP_ARGS(inode, start, end, next, ret),
	    TP_STRUCT__entry(__field(u64, ino)
			     __field(pgoff_t, start)
			     __field(pgoff_t, end)
			     __field(u64, copied)
			     __field(int, ret)),
	    TP_fast_assign(__entry->ino = inode->i_ino;
			   __entry->start = start;
			   __entry->end = end;
			   __entry->copied = (u64)(next - start) << PAGE_SHIFT;
			   __entry->ret = ret;),
	    TP_printk("ino=%llu start=%lu end=%lu copied=%llu ret=%d",
		      __entry->ino, __entry->start, __entry->end,
		      __entry->copied, __entry->ret)
);

/*
 * read() or write() of the fd, once it is done: @iocb's position and
 * @iter have moved on by what was copied (a positive @ret), so where the
 * call began and what it asked for are worked out back from them.
 */
DECLARE_EVENT_CLASS(gmem_rw_class,
		    TP_PROTO(const struct kiocb *iocb,
			     const struct iov_iter *iter, ssize_t ret),
		    TP_ARGS(iocb, iter, ret),
		    TP_STRUCT__entry(__field(u64, ino)
				     __field(pgoff_t, index)
				     __field(unsigned int, offset)
				     __field(size_t, bytes)
				     __field(ssize_t, ret)),
		    TP_fast_assign(__entry->ino = file_inode(iocb->ki_filp)->i_ino;
				   __entry->index = (iocb->ki_pos -
						     max_t(ssize_t, ret, 0)) >>
						    PAGE_SHIFT;
				   __entry->offset = offset_in_page(iocb->ki_pos -
								    max_t(ssize_t, ret, 0));
				   __entry->bytes = iov_iter_count(iter) +
						    max_t(ssize_t, ret, 0);
				   __entry->ret = ret;),
		    TP_printk("ino=%llu index=%lu offset=%u bytes=%zu ret=%zd",
			      __entry->ino, __entry->index, __entry->offset,
			      __entry->bytes, __entry->ret)
);

DEFINE_EVENT(gmem_rw_class, gmem_read,
	     TP_PROTO(const struct kiocb *iocb, const struct iov_iter *iter,
		      ssize_t ret),
	     TP_ARGS(iocb, iter, ret)
);

DEFINE_EVENT(gmem_rw_class, gmem_write,
	     TP_PROTO(const struct kiocb *iocb, const struct iov_iter *iter,
		      ssize_t ret),
	     TP_ARGS(iocb, iter, ret)
);

/*
 * gmem_get_pfn(): @fast says the lockless path answered; pfn and order
 * (the max_order handed back) are the call's outputs when ret is 0.
 */
TRACE_EVENT(gmem_resolve,
	    TP_PROTO(struct gmem_binding *binding, pgoff_t index,
		     unsigned int flags, bool fast, const unsigned long *pfn,
		     const int *max_order, int ret),
	    TP_ARGS(binding, index, flags, fast, pfn, max_order, ret),
	    TP_STRUCT__entry(__field(u64, ino)
			     __field(pgoff_t, bind_start)
			     __field(pgoff_t, index)
			     __field(unsigned long, pfn)
			     __field(int, order)
			     __field(u8, shared)
			     __field(u8, fast)
			     __field(int, ret)),
	    TP_fast_assign(__entry->ino = file_inode(binding->file)->i_ino;
			   __entry->bind_start = binding->start;
			   __entry->index = index;
			   __entry->pfn = ret ? 0 : *pfn;
			   __entry->order = ret ? -1 : *max_order;
			   __entry->shared = !!(flags & GMEM_GET_SHARED);
			   __entry->fast = fast;
			   __entry->ret = ret;),
	    TP_printk("ino=%llu bind_start=%lu index=%lu want=%s fast=%u pfn=%#lx order=%d ret=%d",
		      __entry->ino, __entry->bind_start, __entry->index,
		      __print_symbolic(__entry->shared,
				       { 0, "private" }, { 1, "shared" }),
		      __entry->fast, __entry->pfn, __entry->order,
		      __entry->ret)
);

/* A binding made (or refused: -EBUSY) and ended. */
DECLARE_EVENT_CLASS(gmem_binding_class,
		    TP_PROTO(struct inode *inode, pgoff_t start, pgoff_t end,
			     int ret),
		    TP_ARGS(inode, start, end, ret),
		    TP_STRUCT__entry(__field(u64, ino)
				     __field(pgoff_t, bind_start)
				     __field(pgoff_t, bind_end)
				     __field(int, ret)),
		    TP_fast_assign(__entry->ino = inode->i_ino;
				   __entry->bind_start = start;
				   __entry->bind_end = end;
				   __entry->ret = ret;),
		    TP_printk("ino=%llu bind_start=%lu bind_end=%lu ret=%d",
			      __entry->ino, __entry->bind_start,
			      __entry->bind_end, __entry->ret)
);

DEFINE_EVENT(gmem_binding_class, gmem_bind,
	     TP_PROTO(struct inode *inode, pgoff_t start, pgoff_t end,
		      int ret),
	     TP_ARGS(inode, start, end, ret)
);

DEFINE_EVENT(gmem_binding_class, gmem_unbind,
	     TP_PROTO(struct inode *inode, pgoff_t start, pgoff_t end,
		      int ret),
	     TP_ARGS(inode, start, end, ret)
);

/* What one binding's consumer is told: its part of the range. */
DECLARE_EVENT_CLASS(gmem_invalidate_class,
		    TP_PROTO(struct gmem_binding *binding, pgoff_t start,
			     pgoff_t end, unsigned int flags),
		    TP_ARGS(binding, start, end, flags),
		    TP_STRUCT__entry(__field(u64, ino)
				     __field(pgoff_t, bind_start)
				     __field(pgoff_t, start)
				     __field(pgoff_t, end)
				     __field(unsigned int, flags)),
		    TP_fast_assign(__entry->ino = file_inode(binding->file)->i_ino;
				   __entry->bind_start = binding->start;
				   __entry->start = start;
				   __entry->end = end;
				   __entry->flags = flags;),
		    TP_printk("ino=%llu bind_start=%lu start=%lu end=%lu flags=%s",
			      __entry->ino, __entry->bind_start,
			      __entry->start, __entry->end,
			      __print_symbolic(__entry->flags,
					       { 0, "none" },
					       { GMEM_INV_TO_SHARED, "to_shared" },
					       { GMEM_INV_TO_PRIVATE, "to_private" }))
);

DEFINE_EVENT(gmem_invalidate_class, gmem_invalidate_begin,
	     TP_PROTO(struct gmem_binding *binding, pgoff_t start, pgoff_t end,
		      unsigned int flags),
	     TP_ARGS(binding, start, end, flags)
);

DEFINE_EVENT(gmem_invalidate_class, gmem_invalidate_end,
	     TP_PROTO(struct gmem_binding *binding, pgoff_t start, pgoff_t end,
		      unsigned int flags),
	     TP_ARGS(binding, start, end, flags)
);

/* Memory failure of a folio (->error_remove_folio). */
TRACE_EVENT(gmem_memory_failure,
	    TP_PROTO(struct inode *inode, struct folio *folio, int ret),
	    TP_ARGS(inode, folio, ret),
	    TP_STRUCT__entry(__field(u64, ino)
			     __field(pgoff_t, start)
			     __field(pgoff_t, end)
			     __field(unsigned long, pfn)
			     __field(int, ret)),
	    TP_fast_assign(__entry->ino = inode->i_ino;
			   __entry->start = folio->index;
			   __entry->end = folio->index + folio_nr_pages(folio);
			   __entry->pfn = folio_pfn(folio);
			   __entry->ret = ret;),
	    TP_printk("ino=%llu start=%lu end=%lu pfn=%#lx ret=%d",
		      __entry->ino, __entry->start, __entry->end,
		      __entry->pfn, __entry->ret)
);

/* GMEM_MIGRATE; node -1: collapse only, new folios where the policy says. */
TRACE_EVENT(gmem_migrate,
	    TP_PROTO(struct inode *inode, pgoff_t start, pgoff_t end, int node,
		     bool collapse, const u64 *moved, const u64 *collapsed,
		     int ret),
	    TP_ARGS(inode, start, end, node, collapse, moved, collapsed, ret),
	    TP_STRUCT__entry(__field(u64, ino)
			     __field(pgoff_t, start)
			     __field(pgoff_t, end)
			     __field(u64, moved)
			     __field(u64, collapsed)
			     __field(int, node)
			     __field(u8, collapse)
			     __field(int, ret)),
	    TP_fast_assign(__entry->ino = inode->i_ino;
			   __entry->start = start;
			   __entry->end = end;
			   __entry->moved = *moved;
			   __entry->collapsed = *collapsed;
			   __entry->node = node;
			   __entry->collapse = collapse;
			   __entry->ret = ret;),
	    TP_printk("ino=%llu start=%lu end=%lu node=%d collapse=%u moved=%llu collapsed=%llu ret=%d",
		      __entry->ino, __entry->start, __entry->end,
		      __entry->node, __entry->collapse, __entry->moved,
		      __entry->collapsed, __entry->ret)
);

/*
 * GMEM_MISSING_ARM (disarm: 1 for GMEM_MISSING_DISARM); armed is the fd's
 * armed pages after the call.
 */
TRACE_EVENT(gmem_missing_arm,
	    TP_PROTO(struct inode *inode, pgoff_t start, pgoff_t end,
		     bool disarm, unsigned long armed, int ret),
	    TP_ARGS(inode, start, end, disarm, armed, ret),
	    TP_STRUCT__entry(__field(u64, ino)
			     __field(pgoff_t, start)
			     __field(pgoff_t, end)
			     __field(unsigned long, armed)
			     __field(u8, disarm)
			     __field(int, ret)),
	    TP_fast_assign(__entry->ino = inode->i_ino;
			   __entry->start = start;
			   __entry->end = end;
			   __entry->armed = armed;
			   __entry->disarm = disarm;
			   __entry->ret = ret;),
	    TP_printk("ino=%llu start=%lu end=%lu disarm=%u armed=%lu ret=%d",
		      __entry->ino, __entry->start, __entry->end,
		      __entry->disarm, __entry->armed, __entry->ret)
);

/*
 * A touch of a missing page: source is GMEM_MISSING_*, reported says this
 * touch queued the event (0: one was outstanding already, or none could
 * be), ret is gmem_missing_touch()'s (1: wait for the fill).
 */
TRACE_EVENT(gmem_missing_touch,
	    TP_PROTO(struct inode *inode, pgoff_t index, u32 source,
		     bool reported, int ret),
	    TP_ARGS(inode, index, source, reported, ret),
	    TP_STRUCT__entry(__field(u64, ino)
			     __field(pgoff_t, index)
			     __field(u32, source)
			     __field(u8, reported)
			     __field(int, ret)),
	    TP_fast_assign(__entry->ino = inode->i_ino;
			   __entry->index = index;
			   __entry->source = source;
			   __entry->reported = reported;
			   __entry->ret = ret;),
	    TP_printk("ino=%llu index=%lu source=%s reported=%u ret=%d",
		      __entry->ino, __entry->index,
		      __print_symbolic(__entry->source,
				       { GMEM_MISSING_FAULT, "fault" },
				       { GMEM_MISSING_READ, "read" },
				       { GMEM_MISSING_CONSUMER, "consumer" }),
		      __entry->reported, __entry->ret)
);

/* A fill of pages [start, end) ended nr outstanding reports. */
TRACE_EVENT(gmem_missing_fill,
	    TP_PROTO(struct inode *inode, pgoff_t start, pgoff_t end,
		     unsigned long nr),
	    TP_ARGS(inode, start, end, nr),
	    TP_STRUCT__entry(__field(u64, ino)
			     __field(pgoff_t, start)
			     __field(pgoff_t, end)
			     __field(unsigned long, nr)),
	    TP_fast_assign(__entry->ino = inode->i_ino;
			   __entry->start = start;
			   __entry->end = end;
			   __entry->nr = nr;),
	    TP_printk("ino=%llu start=%lu end=%lu nr=%lu", __entry->ino,
		      __entry->start, __entry->end, __entry->nr)
);

#endif /* _GMEM_TRACE_H */

/* This part must be outside the include guard. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE gmem_trace
#include <trace/define_trace.h>
