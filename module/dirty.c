// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty logging: which pages of a GMEM_CREATE_DIRTY_LOG fd were written
 * since the VMM last asked (GMEM_DIRTY_LOG), so that live migration and
 * incremental snapshots copy only those.
 *
 * The log is a sparse bitmap: an xarray of 512-bit chunks, one per 2 MiB
 * of the fd, allocated on the first mark inside its 2 MiB and freed only
 * with the inode, since a marker may hold a chunk at any time without a
 * lock.  Bits are set and taken with atomic operations, so nothing orders
 * a mark against GMEM_DIRTY_LOG and no mark is lost to a race.  A mark
 * that cannot allocate its chunk must not drop the page either: it sets
 * GMEM_DIRTY_OVERFLOW, and the fd reports every page as written until a
 * clear of the whole fd takes the condition back.
 *
 * What marks a page:
 * - a write through a host mapping: only a dirty-logged fd's mappings have
 *   ->page_mkwrite (mmap.c), so the kernel maps its pages read-only until
 *   the first write, whose fault marks the page before it makes the entry
 *   writable; a huge fd's write fault on a PMD marks the whole block;
 * - write() and its kin (rw.c) and GMEM_POPULATE (populate.c), once the
 *   bytes are in, under the folio lock;
 * - a consumer's gmem_get_pfn() with GMEM_GET_WRITE (bind.c), before it
 *   hands the page out;
 * - what changes a page without writing it: a punch and GMEM_CONVERT_ZERO
 *   (the page reads zero now), memory failure (a read fails now), for the
 *   pages that held memory.
 *
 * GMEM_DIRTY_LOG with GMEM_DIRTY_LOG_CLEAR, per 2^15 pages: take the bits,
 * then write-protect the host mappings of the pages taken
 * (folio_mkclean(), under the folio lock, which ->page_mkwrite holds from
 * its mark until the entry is writable) and have bound consumers drop
 * theirs, then copy the bits out.  A write that follows the call comes
 * through an entry made writable after the protection, or a resolve after
 * the invalidation, whose mark comes after the take: a later call
 * reports it.  A write that came before the take is in what the caller
 * copies after the call.
 */
#include <linux/bitmap.h>
#include <linux/bitops.h>
#include <linux/fs.h>
#include <linux/memcontrol.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/rmap.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "compat.h"
#include "gmem.h"

/* A chunk of the log: the pages of a 2 MiB-aligned 2 MiB of the fd. */
#define GMEM_DIRTY_CHUNK_SHIFT	GMEM_HUGE_ORDER
#define GMEM_DIRTY_CHUNK_PAGES	BIT(GMEM_DIRTY_CHUNK_SHIFT)
#define GMEM_DIRTY_CHUNK_WORDS	(GMEM_DIRTY_CHUNK_PAGES / BITS_PER_LONG)

struct gmem_dirty_chunk {
	atomic_long_t words[GMEM_DIRTY_CHUNK_WORDS];
};

/* gmem_inode.dirty_flags: a mark could not be recorded. */
#define GMEM_DIRTY_OVERFLOW	0

/*
 * Pages GMEM_DIRTY_LOG takes at once, a kernel page of bits (128 MiB of
 * the fd), between which it lets go of the invalidate_lock.
 */
#define GMEM_DIRTY_WINDOW	(PAGE_SIZE * BITS_PER_BYTE)

void gmem_dirty_init(struct gmem_inode *gi)
{
	xa_init(&gi->dirty);
	mutex_init(&gi->dirty_lock);
}

void gmem_dirty_destroy(struct gmem_inode *gi)
{
	struct gmem_dirty_chunk *chunk;
	unsigned long nr;

	xa_for_each(&gi->dirty, nr, chunk)
		kfree(chunk);
	xa_destroy(&gi->dirty);
	mutex_destroy(&gi->dirty_lock);
}

/*
 * The chunk of pages [@nr << GMEM_DIRTY_CHUNK_SHIFT, +GMEM_DIRTY_CHUNK_PAGES),
 * allocated if need be, or NULL if it cannot be.  Charged to the fd's
 * memory cgroup, as its folios are, whoever writes.
 */
static struct gmem_dirty_chunk *gmem_dirty_chunk(struct gmem_inode *gi,
						 unsigned long nr)
{
	struct gmem_dirty_chunk *chunk, *old;
	struct mem_cgroup *memcg;

	chunk = xa_load(&gi->dirty, nr);
	if (chunk)
		return chunk;

	memcg = set_active_memcg(gi->memcg);
	chunk = kzalloc(sizeof(*chunk), GFP_KERNEL_ACCOUNT);
	old = chunk ? xa_cmpxchg(&gi->dirty, nr, NULL, chunk,
				 GFP_KERNEL_ACCOUNT) : NULL;
	set_active_memcg(memcg);
	if (!chunk || !old)
		return chunk;
	/* Another marker's chunk went in first, or the store failed. */
	kfree(chunk);
	return xa_is_err(old) ? NULL : old;
}

void __gmem_dirty_mark(struct gmem_inode *gi, pgoff_t start, pgoff_t end)
{
	struct gmem_dirty_chunk *chunk;
	pgoff_t index = start, stop;
	unsigned int bit, nr, word;

	/* Whoever sees the bit sees what was written before it was set. */
	smp_mb__before_atomic();
	while (index < end) {
		chunk = gmem_dirty_chunk(gi, index >> GMEM_DIRTY_CHUNK_SHIFT);
		if (!chunk) {
			set_bit(GMEM_DIRTY_OVERFLOW, &gi->dirty_flags);
			return;
		}
		stop = min_t(pgoff_t, end, round_down(index,
						      GMEM_DIRTY_CHUNK_PAGES) +
				       GMEM_DIRTY_CHUNK_PAGES);
		while (index < stop) {
			bit = index % BITS_PER_LONG;
			nr = min_t(pgoff_t, stop - index, BITS_PER_LONG - bit);
			word = (index % GMEM_DIRTY_CHUNK_PAGES) / BITS_PER_LONG;
			atomic_long_or((long)GENMASK(bit + nr - 1, bit),
				       &chunk->words[word]);
			index += nr;
		}
	}
}

/**
 * gmem_dirty_mark_present - mark the pages of [@start, @end) that hold
 *	memory or were lost to memory failure
 * @inode: a gmem inode
 * @start: first page index
 * @end: page index after the last one
 *
 * For a punch and a zeroing conversion, which change what those pages
 * read as and leave holes reading zero as before.  The caller holds the
 * invalidate_lock exclusively, so no reader sees the change before the
 * mark: it may come first.
 */
void gmem_dirty_mark_present(struct inode *inode, pgoff_t start, pgoff_t end)
{
	struct gmem_inode *gi = GMEM_I(inode);
	struct folio_batch fbatch;
	pgoff_t index = start;
	unsigned long lost;
	unsigned int i;
	void *entry;

	if (!gmem_dirty_logged(gi))
		return;
	lockdep_assert_held_write(&inode->i_mapping->invalidate_lock);
	folio_batch_init(&fbatch);
	while (filemap_get_folios(inode->i_mapping, &index, end - 1, &fbatch)) {
		for (i = 0; i < folio_batch_count(&fbatch); i++) {
			struct folio *folio = fbatch.folios[i];

			__gmem_dirty_mark(gi, max(folio->index, start),
					  min(folio->index +
					      folio_nr_pages(folio), end));
		}
		folio_batch_release(&fbatch);
		cond_resched();
	}
	xa_for_each_range(&gi->poison, lost, entry, start, end - 1)
		__gmem_dirty_mark(gi, lost, lost + 1);
}

/*
 * Takes the bits of pages [@win, @win + @nr) into @bits (bit i: page
 * @win + i), clearing them in the log if @clear.  Steps from chunk to
 * chunk, so a sparse range costs what it holds.  Return: bits taken.
 */
static unsigned long gmem_dirty_take(struct gmem_inode *gi, pgoff_t win,
				     unsigned long nr, unsigned long *bits,
				     bool clear)
{
	pgoff_t end = win + nr, base;
	struct gmem_dirty_chunk *chunk;
	unsigned long chunk_nr, got, mask, count = 0;
	unsigned int word, bit;

	xa_for_each_range(&gi->dirty, chunk_nr, chunk,
			  win >> GMEM_DIRTY_CHUNK_SHIFT,
			  (end - 1) >> GMEM_DIRTY_CHUNK_SHIFT) {
		for (word = 0; word < GMEM_DIRTY_CHUNK_WORDS; word++) {
			base = (chunk_nr << GMEM_DIRTY_CHUNK_SHIFT) +
			       word * BITS_PER_LONG;
			if (base + BITS_PER_LONG <= win || base >= end)
				continue;
			mask = ~0UL;
			if (base < win)
				mask &= ~0UL << (win - base);
			if (end - base < BITS_PER_LONG)
				mask &= ~0UL >> (BITS_PER_LONG - (end - base));
			got = atomic_long_read(&chunk->words[word]) & mask;
			/* A bit set after the read stays for the next call. */
			if (got && clear)
				got = mask & atomic_long_fetch_andnot(mask,
							&chunk->words[word]);
			for_each_set_bit(bit, &got, BITS_PER_LONG)
				__set_bit(base + bit - win, bits);
			count += hweight_long(got);
		}
	}
	return count;
}

/* Write-protects the host mappings of the folios of [@start, @end). */
static void gmem_dirty_protect(struct address_space *mapping, pgoff_t start,
			       pgoff_t end)
{
	struct folio_batch fbatch;
	pgoff_t index = start;
	unsigned int i;

	folio_batch_init(&fbatch);
	while (filemap_get_folios(mapping, &index, end - 1, &fbatch)) {
		for (i = 0; i < folio_batch_count(&fbatch); i++) {
			struct folio *folio = fbatch.folios[i];

			/*
			 * Under the lock ->page_mkwrite holds from its mark to
			 * the writable entry.  All pages of a large folio are
			 * protected: a clean one just faults once more.  One
			 * memory failure took out has no mapping left.
			 */
			folio_lock(folio);
			if (folio->mapping == mapping)
				folio_mkclean(folio);
			folio_unlock(folio);
		}
		folio_batch_release(&fbatch);
		cond_resched();
	}
}

/*
 * Makes the next write to every page set in @bits (bit i: page @win + i)
 * mark it again: host mappings write-protected, consumers' mappings
 * dropped, run by run.
 */
static void gmem_dirty_revoke(struct inode *inode, pgoff_t win,
			      const unsigned long *bits, unsigned long nr)
{
	struct address_space *mapping = inode->i_mapping;
	/*
	 * A mapping created after this look faults its pages in read-only;
	 * bindings change only under the exclusive invalidate_lock.
	 */
	bool mapped = mapping_mapped(mapping);
	bool bound = !list_empty(&GMEM_I(inode)->bindings);
	unsigned long first, last = 0;

	while (mapped || bound) {
		first = find_next_bit(bits, nr, last);
		if (first >= nr)
			break;
		last = find_next_zero_bit(bits, nr, first);
		if (mapped)
			gmem_dirty_protect(mapping, win + first, win + last);
		if (bound)
			gmem_dirty_notify(inode, win + first, win + last);
	}
}

/* The bits of a window that could not be reported go back in the log. */
static void gmem_dirty_restore(struct gmem_inode *gi, pgoff_t win,
			       const unsigned long *bits, unsigned long nr)
{
	unsigned long first, last = 0;

	for (;;) {
		first = find_next_bit(bits, nr, last);
		if (first >= nr)
			break;
		last = find_next_zero_bit(bits, nr, first);
		__gmem_dirty_mark(gi, win + first, win + last);
	}
}

/**
 * gmem_dirty_log - GMEM_DIRTY_LOG of pages [@start, @end)
 * @inode: a GMEM_CREATE_DIRTY_LOG inode
 * @start: first page index
 * @end: page index after the last one
 * @ubitmap: where the bitmap goes, DIV_ROUND_UP(@end - @start, 64) words
 * @clear: take the bits (GMEM_DIRTY_LOG_CLEAR); else only read them
 * @nr_dirty: incremented by the bits reported, also on failure
 * @status: set to GMEM_DIRTY_LOG_OVERFLOW or 0
 *
 * The invalidate_lock is held shared, window by window: marks are atomic
 * and need no exclusion; the folios protected cannot leave the page cache
 * meanwhile (but to memory failure, checked under the folio lock); and
 * vCPU faults, host faults and resolves go on while a large log is taken.
 * The fd's dirty_lock keeps two calls from invalidating consumers at once,
 * which would interleave their invalidate_begin and _end.
 *
 * Return: 0; -EFAULT if the bitmap cannot be written: the words written
 * before hold the bits taken for them, and the rest of the log is as it
 * was; -EINTR on a fatal signal, with the same result; -ENOMEM.
 */
int gmem_dirty_log(struct inode *inode, pgoff_t start, pgoff_t end,
		   u64 __user *ubitmap, bool clear, u64 *nr_dirty, u32 *status)
{
	struct address_space *mapping = inode->i_mapping;
	struct gmem_inode *gi = GMEM_I(inode);
	unsigned long nr, nr_words, taken;
	unsigned long *bits;
	u64 __user *dst;
	u64 *words;
	pgoff_t win;
	int err = 0;
	bool all;

	bits = bitmap_alloc(GMEM_DIRTY_WINDOW, GFP_KERNEL);
	words = kmalloc(GMEM_DIRTY_WINDOW / BITS_PER_BYTE, GFP_KERNEL);
	if (!bits || !words) {
		err = -ENOMEM;
		goto out_free;
	}
	if (mutex_lock_killable(&gi->dirty_lock)) {
		err = -EINTR;
		goto out_free;
	}

	/*
	 * After a lost mark every page counts as written, until a clear of
	 * the whole fd takes the condition back; before any bit, so that a
	 * mark that fails meanwhile sets it again.
	 */
	if (clear && !start && end == gmem_nr_pages(inode))
		all = test_and_clear_bit(GMEM_DIRTY_OVERFLOW, &gi->dirty_flags);
	else
		all = test_bit(GMEM_DIRTY_OVERFLOW, &gi->dirty_flags);
	*status = all ? GMEM_DIRTY_LOG_OVERFLOW : 0;

	for (win = start; win < end; win += nr) {
		nr = min_t(pgoff_t, end - win, GMEM_DIRTY_WINDOW);
		nr_words = DIV_ROUND_UP(nr, 64);
		dst = ubitmap + (win - start) / 64;

		if (fatal_signal_pending(current)) {
			err = -EINTR;
			break;
		}
		/* A bitmap that cannot be written fails before a bit goes. */
		if (clear_user(dst, nr_words * sizeof(u64))) {
			err = -EFAULT;
			break;
		}

		bitmap_zero(bits, nr);
		filemap_invalidate_lock_shared(mapping);
		taken = gmem_dirty_take(gi, win, nr, bits, clear);
		if (all) {
			bitmap_fill(bits, nr);
			taken = nr;
		}
		if (clear && taken)
			gmem_dirty_revoke(inode, win, bits, nr);
		filemap_invalidate_unlock_shared(mapping);

		bitmap_to_arr64(words, bits, nr);
		/* Unmapped since the check: what was taken goes back. */
		if (copy_to_user(dst, words, nr_words * sizeof(u64))) {
			if (clear && !all)
				gmem_dirty_restore(gi, win, bits, nr);
			err = -EFAULT;
			break;
		}
		*nr_dirty += taken;
		cond_resched();
	}
	/* The overflow reported only in part stands for the rest. */
	if (err && clear && all)
		set_bit(GMEM_DIRTY_OVERFLOW, &gi->dirty_flags);
	mutex_unlock(&gi->dirty_lock);
out_free:
	kfree(words);
	bitmap_free(bits);
	return err;
}
