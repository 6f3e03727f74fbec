// SPDX-License-Identifier: GPL-2.0
/*
 * Accounting: what each fd holds (GMEM_INFO, fdinfo) and what all of them
 * hold together (sysfs, /sys/class/misc/gmem/).
 *
 * The figures are counted from the page cache and the shared/private map
 * when asked for, not kept as running counters: core MM splits large
 * folios and takes poisoned ones out without telling gmem, so a running
 * count could drift, and one that is read rarely is cheaper to count.  A
 * read costs time in proportion to the folios an fd holds.
 */
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/pagemap.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/xarray.h>

#include "gmem.h"

/* Folios counted between breaks for the scheduler. */
#define GMEM_STATS_BATCH	4096

static LIST_HEAD(gmem_inodes);
static DEFINE_MUTEX(gmem_inodes_lock);

void gmem_stats_add_inode(struct gmem_inode *gi)
{
	mutex_lock(&gmem_inodes_lock);
	list_add_tail(&gi->node, &gmem_inodes);
	mutex_unlock(&gmem_inodes_lock);
}

void gmem_stats_del_inode(struct gmem_inode *gi)
{
	mutex_lock(&gmem_inodes_lock);
	list_del(&gi->node);
	mutex_unlock(&gmem_inodes_lock);
}

/* Poisoned pages of @folio at @index not in the poison record already. */
static u64 gmem_folio_poisoned_pages(struct gmem_inode *gi,
				     struct folio *folio, pgoff_t index,
				     pgoff_t nr)
{
	u64 poisoned = 0;
	pgoff_t i;

	if (!folio_test_hwpoison(folio) &&
	    !(nr > 1 && folio_test_has_hwpoisoned(folio)))
		return 0;
	for (i = 0; i < nr; i++)
		poisoned += PageHWPoison(folio_page(folio, i)) &&
			    !gmem_is_poisoned(gi, index + i);
	return poisoned;
}

/**
 * gmem_stats_count - count what @inode holds
 * @inode: a gmem inode
 * @st: out: the counts in pages (large_folios in folios); node_pages, if
 *	set, must have nr_node_ids zeroed entries and is added to
 *
 * Every folio is counted once, as shared or private by the state of its
 * pages when it is counted.  The caller decides whether conversions may
 * run meanwhile.
 */
static void gmem_stats_count(struct inode *inode, struct gmem_stats *st)
{
	struct address_space *mapping = inode->i_mapping;
	XA_STATE(xas, &mapping->i_pages, 0);
	struct gmem_inode *gi = GMEM_I(inode);
	unsigned int batch = 0;
	struct folio *folio;
	unsigned long index;
	pgoff_t nr, shared;
	void *entry;

	st->allocated_private = 0;
	st->allocated_shared = 0;
	st->large_folios = 0;
	st->poisoned = 0;

	rcu_read_lock();
	xas_for_each(&xas, folio, ULONG_MAX) {
		if (xas_retry(&xas, folio) || xa_is_value(folio))
			continue;
		/* The entry's own order, stable while the folio is counted. */
		nr = 1UL << xas_get_order(&xas);
		shared = gmem_attr_nr_shared(gi, xas.xa_index, xas.xa_index + nr);
		st->allocated_shared += shared;
		st->allocated_private += nr - shared;
		st->large_folios += nr > 1;
		st->poisoned += gmem_folio_poisoned_pages(gi, folio,
							  xas.xa_index, nr);
		if (st->node_pages)
			st->node_pages[folio_nid(folio)] += nr;
		if (++batch % GMEM_STATS_BATCH == 0) {
			xas_pause(&xas);
			rcu_read_unlock();
			cond_resched();
			rcu_read_lock();
		}
	}
	rcu_read_unlock();

	xa_for_each(&gi->poison, index, entry)
		st->poisoned++;
}

/**
 * gmem_stats_inode - count what @inode holds, for GMEM_INFO and fdinfo
 * @inode: a gmem inode
 * @st: as for gmem_stats_count()
 *
 * Takes the invalidate_lock shared, so that the fd's figures are a
 * snapshot between two conversions, punches or migrations; a fallocate()
 * (which holds it shared too) or a fault may be counted half done.
 */
void gmem_stats_inode(struct inode *inode, struct gmem_stats *st)
{
	filemap_invalidate_lock_shared(inode->i_mapping);
	gmem_stats_count(inode, st);
	filemap_invalidate_unlock_shared(inode->i_mapping);
}

/*
 * The sum over every gmem fd, and how many there are.  The fds are counted
 * without their invalidate_lock: a total must not wait for a long
 * fallocate() on one fd while holding up GMEM_CREATE and every fd's
 * release behind gmem_inodes_lock.  A folio a conversion is moving while
 * it is counted lands in one of the two counts, never both.
 */
static void gmem_stats_all(struct gmem_stats *sum, u64 *fds)
{
	struct gmem_stats st = {};
	struct gmem_inode *gi;

	memset(sum, 0, sizeof(*sum));
	*fds = 0;
	mutex_lock(&gmem_inodes_lock);
	list_for_each_entry(gi, &gmem_inodes, node) {
		gmem_stats_count(gi->inode, &st);
		sum->allocated_private += st.allocated_private;
		sum->allocated_shared += st.allocated_shared;
		sum->large_folios += st.large_folios;
		sum->poisoned += st.poisoned;
		(*fds)++;
	}
	mutex_unlock(&gmem_inodes_lock);
}

enum gmem_stat {
	GMEM_STAT_ALLOCATED,
	GMEM_STAT_PRIVATE,
	GMEM_STAT_SHARED,
	GMEM_STAT_LARGE,
	GMEM_STAT_POISONED,
	GMEM_STAT_PINNED,
	GMEM_STAT_FDS,
};

static ssize_t gmem_stat_show(char *buf, enum gmem_stat which)
{
	struct gmem_stats st;
	u64 fds, val;

	gmem_stats_all(&st, &fds);
	switch (which) {
	case GMEM_STAT_ALLOCATED:
		val = (st.allocated_private + st.allocated_shared) << PAGE_SHIFT;
		break;
	case GMEM_STAT_PRIVATE:
		val = st.allocated_private << PAGE_SHIFT;
		break;
	case GMEM_STAT_SHARED:
		val = st.allocated_shared << PAGE_SHIFT;
		break;
	case GMEM_STAT_LARGE:
		val = st.large_folios;
		break;
	case GMEM_STAT_POISONED:
		val = st.poisoned << PAGE_SHIFT;
		break;
	case GMEM_STAT_PINNED:
		val = (u64)gmem_pinned_pages() << PAGE_SHIFT;
		break;
	default:
		val = fds;
		break;
	}
	return sysfs_emit(buf, "%llu\n", val);
}

#define GMEM_STAT_ATTR(_name, _which)					\
static ssize_t _name##_show(struct device *dev,				\
			    struct device_attribute *attr, char *buf)	\
{									\
	return gmem_stat_show(buf, _which);				\
}									\
static DEVICE_ATTR_RO(_name)

GMEM_STAT_ATTR(allocated_bytes, GMEM_STAT_ALLOCATED);
GMEM_STAT_ATTR(private_bytes, GMEM_STAT_PRIVATE);
GMEM_STAT_ATTR(shared_bytes, GMEM_STAT_SHARED);
GMEM_STAT_ATTR(large_folios, GMEM_STAT_LARGE);
GMEM_STAT_ATTR(poisoned_bytes, GMEM_STAT_POISONED);
GMEM_STAT_ATTR(pinned_bytes, GMEM_STAT_PINNED);
GMEM_STAT_ATTR(fds, GMEM_STAT_FDS);

static struct attribute *gmem_misc_attrs[] = {
	&dev_attr_allocated_bytes.attr,
	&dev_attr_private_bytes.attr,
	&dev_attr_shared_bytes.attr,
	&dev_attr_large_folios.attr,
	&dev_attr_poisoned_bytes.attr,
	&dev_attr_pinned_bytes.attr,
	&dev_attr_fds.attr,
	NULL,
};

static const struct attribute_group gmem_misc_group = {
	.attrs = gmem_misc_attrs,
};

const struct attribute_group *gmem_misc_groups[] = {
	&gmem_misc_group,
	NULL,
};
