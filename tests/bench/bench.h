/* SPDX-License-Identifier: GPL-2.0 */
/* gmem-bench: shared declarations (see README.md beside this file). */
#ifndef GMEM_BENCH_H
#define GMEM_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/gmem.h>

#define KiB	1024ULL
#define MiB	(1024 * KiB)
#define GiB	(1024 * MiB)
#define PAGE	4096ULL
#define HUGE	(2 * MiB)

#define MAX_REPS	32

/* util.c */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint64_t now_ns(void);
/* A MAP_SHARED read-write mapping of @len bytes of @fd; dies on failure. */
char *xmmap(int fd, uint64_t len);
int write_file(const char *path, const char *s);
/* A /proc/meminfo field in kB, or -1. */
long long meminfo_kb(const char *field);
/* Folds the per-CPU vm counters so /proc/meminfo is exact. */
void vmstat_refresh(void);
/*
 * The slab caches' object bytes (active objects times object size) and
 * slab page bytes, summed over /proc/slabinfo.
 */
struct slab_total {
	long long objects;
	long long pages;
};
struct slab_total slab_total(void);
/*
 * Makes every slab cache hand its per-CPU objects back and free its empty
 * slabs (/sys/kernel/slab/NAME/shrink), so that the counts above are exact.
 */
void slab_shrink_all(void);
/* The first kernel log line containing @what, or "" (a static buffer). */
const char *kmsg_find(const char *what);
/* The number after "@key:" in /proc/self/fdinfo/@fd, or -1 if absent. */
long long fdinfo_value(int fd, const char *key);
/* How many NUMA nodes have memory (/sys/devices/system/node/has_memory). */
int nodes_with_memory(void);

/*
 * All free memory in kB: MemFree plus the per-CPU free lists
 * (/proc/zoneinfo "count:"), which MemFree leaves out.
 */
long long free_kb(void);

/* What record() files results under (benchmark, then backend or variant). */
#define B_ALLOC		"allocate"
#define B_PUNCH		"punch"
#define B_TOUCH		"first touch"
#define B_ALLOC2	"allocate, 2 threads"
#define B_TOUCH2	"first touch, 2 threads"
/* The threads part's own baseline and its second layout. */
#define B_ALLOC1T	"allocate, 1 thread"
#define B_ALLOC2FD	"allocate, 2 threads, 2 fds"
/* The worst gmem_get_pfn() of one page while the rest is allocated. */
#define B_STALL		"resolve stall during allocate"
#define B_STALL_IDLE	"resolve stall, idle"
#define B_STALL_ALLOC	"allocate beside resolves"
#define B_FLOOR		"zeroing floor"
#define V_CLEAR		"clear_page"
#define V_MEMSET	"memset"
#define B_META_OBJ	"metadata, slab objects"
#define B_META_SLAB	"metadata, slab pages"
#define B_META_OTHER	"metadata, other pages"
#define B_CONV_PRIV	"convert to private"
#define B_CONV_SHARED	"convert to shared"
#define B_CONV_CALL	"convert, per call"
#define V_STEP_4K	"4 KiB steps"
#define V_STEP_2M	"2 MiB steps"
#define V_STEP_4K_HUGE	"4 KiB steps, huge"
#define V_STEP_2M_HUGE	"2 MiB steps, huge"
#define B_RESOLVE_1G	"resolve, 1 GiB fd"
#define B_RESOLVE_16G	"resolve, 16 GiB fd"
#define B_RESOLVE_1G_HUGE	"resolve, 1 GiB huge fd"
#define B_RESOLVE_16G_HUGE	"resolve, 16 GiB huge fd"
#define B_RESOLVE_1G_SHARED	"resolve, 1 GiB fd, shared pages"
#define B_RESOLVE_1G_HUGE_SHARED	"resolve, 1 GiB huge fd, shared pages"
#define B_RESOLVE_1G_MIXED	"resolve, 1 GiB fd, a shared page per block"
#define B_RESOLVE_1G_HUGE_MIXED	"resolve, 1 GiB huge fd, a shared page per block"
#define V_GET_PFN	"gmem_get_pfn"
#define V_LOOKUP	"page-cache lookup"
/* The same passes with gmem's trace events enabled (the 1 GiB fds). */
#define V_GET_PFN_TRACED	"gmem_get_pfn, events on"
#define V_LOOKUP_TRACED		"page-cache lookup, events on"
#define B_LARGE_ALLOC	"large folios after allocate"
#define B_LARGE_TOUCH	"large folios after first touch"
#define B_MIGRATE	"migrate, node 0 to 1"
#define V_MBIND		"memfd, mbind"
#define V_MBIND_THP	"memfd-thp, mbind"

/* The copy part (copy.c): a snapshot restored and saved, per method. */
#define B_RESTORE	"restore into a new fd"
#define B_SAVE		"save from the fd"
#define B_RESTORE_LARGE	"2 MiB folios after restore"

enum copy_backend {
	COPY_GMEM,
	COPY_GMEM_HUGE,
	COPY_MEMFD,
	NR_COPY_BACKENDS
};

enum copy_method {
	COPY_RW,		/* pwrite() in, pread() out */
	COPY_POPULATE,		/* GMEM_POPULATE into private pages */
	COPY_MAP,		/* memcpy() through a new mapping each way */
	NR_COPY_METHODS
};

extern const char *const copy_backend[NR_COPY_BACKENDS];
extern const char *const copy_method[NR_COPY_METHODS];
/* Each backend and method once, @size bytes each, checked. */
void bench_copy(uint64_t size);

/* The dirty part (dirty.c): dirty logging's cost, each fd with and without. */
#define B_DIRTY_TOUCH		"dirty log: first write"
#define B_DIRTY_REWRITE		"dirty log: rewrite after a clear"
#define B_DIRTY_CLEAR_ALL	"dirty log: get and clear, all written"
#define B_DIRTY_CLEAR_NONE	"dirty log: get and clear, none written"

enum dirty_variant {
	DIRTY_GMEM,
	DIRTY_GMEM_LOGGED,
	DIRTY_HUGE,
	DIRTY_HUGE_LOGGED,
	NR_DIRTY_VARIANTS
};

extern const char *const dirty_variant[NR_DIRTY_VARIANTS];
/* Each variant once, an fd of @size bytes. */
void bench_dirty(uint64_t size);

/* The guest part (guest.c): a nested guest's passes over its memory. */
#define B_GUEST_TOUCH		"guest: first touch"
#define B_GUEST_READ		"guest: re-read"
#define B_GUEST_WALK		"guest: page walk"
#define B_GUEST_TOUCH_EXITS	"guest: exits, first touch"
#define B_GUEST_READ_EXITS	"guest: exits, re-read"
#define B_GUEST_WALK_EXITS	"guest: exits, page walk"
#define B_GUEST_CLEAR		"guest: dirty log get and clear"
#define B_GUEST_REWRITE		"guest: rewrite"
#define B_GUEST_REWRITE_EXITS	"guest: exits, rewrite"
#define B_GUEST_PAGES_4K	"guest: pages_4k after touch"
#define B_GUEST_PAGES_2M	"guest: pages_2m after touch"

/* backends.c: the kinds of memory fd compared. */
enum backend {
	BE_GMEM,		/* 4 KiB folios, the default */
	BE_GMEM_HUGE,		/* GMEM_CREATE_HUGE: 2 MiB folios */
	BE_MEMFD,		/* shmem, huge pages off */
	BE_MEMFD_THP,		/* shmem with shmem_enabled=always */
	BE_HUGETLB,		/* memfd MFD_HUGETLB, 2 MiB pages */
	BE_GUEST_MEMFD,		/* KVM_CREATE_GUEST_MEMFD, MMAP|INIT_SHARED */
	NR_BACKENDS
};

extern const char *const backend_name[NR_BACKENDS];

/* Finds out which backends can run here, for fds of @size bytes. */
void backend_probe(uint64_t size);
/* Why a backend cannot run here, or NULL if it can. */
const char *backend_unavailable(enum backend be);
/*
 * A new fd of @size bytes of @be, mmap()able and every page shared, ready
 * for fallocate(); dies on failure.  Sets the shmem THP mode @be needs.
 */
int backend_create(enum backend be, uint64_t size);
/* The kernel, CPUs and memory, for the report header. */
void machine_describe(void);
/* What the probe found (THP, KVM flags), for the report header. */
void backend_describe(void);

/* Whether @be is one of the gmem variants. */
static inline bool backend_is_gmem(int be)
{
	return be == BE_GMEM || be == BE_GMEM_HUGE;
}

/* gmem fds and the test consumer, for the gmem-only benchmarks. */
int gmem_create(uint64_t size, unsigned int flags);
/* The same, every page on NUMA node @node (GMEM_NUMA_BIND). */
int gmem_create_on(uint64_t size, unsigned int flags, int node);
/* GMEM_INFO; dies on failure. */
struct gmem_info gmem_info(int fd);
int gmem_test_open(void);
unsigned int gmem_test_bind(int dev, int fd, uint64_t start, uint64_t nr);
void gmem_test_unbind(int dev, unsigned int slot);

/* guest.c: the private memory of the guest part's VMs. */
enum guest_backend {
	GB_GMEM,		/* a gmem fd, 4 KiB folios */
	GB_GMEM_HUGE,		/* GMEM_CREATE_HUGE */
	GB_GMEM_LOG,		/* GMEM_CREATE_DIRTY_LOG */
	GB_GMEM_HUGE_LOG,	/* GMEM_CREATE_HUGE | GMEM_CREATE_DIRTY_LOG */
	GB_GUEST_MEMFD,		/* KVM's own guest_memfd */
	NR_GUEST_BACKENDS
};

extern const char *const guest_backend_name[NR_GUEST_BACKENDS];

/* Finds out which guest backends this KVM runs (a small VM of each). */
void guest_probe(void);
/* Why @gb cannot run here, or NULL if it can. */
const char *guest_unavailable(enum guest_backend gb);
/* A new VM on @gb: first touch, re-read, page walk and rewrite of @size
 * bytes (a multiple of 2 MiB, at most 2 GiB), a get-and-clear of the
 * dirty log before the rewrite on a logged fd; dies on failure. */
void bench_guest(enum guest_backend gb, uint64_t size, bool first);

/*
 * The restore part (restore.c): a snapshot restored into a nested guest's
 * memory, eagerly and on demand, in the guest part's boot.
 */
#define MAX_RESTORE_SIZES	4
#define B_RST_FIRST		"restore: to first instruction"
#define B_RST_DONE		"restore: to completion"
#define B_RST_POPULATE		"restore: GMEM_POPULATE of all"
#define B_RST_PASS		"restore: read pass"
#define B_RST_PER_FAULT		"restore: read pass per fault"
#define B_RST_EXITS		"restore: vCPU exits"
#define B_RST_MISSING_EXITS	"restore: missing-page exits"
#define B_RST_EVENTS		"restore: missing-page events"

enum restore_mode {
	RM_EAGER,		/* GMEM_POPULATE of all, then the guest runs */
	RM_LAZY,		/* armed: the guest runs, a handler fills */
	RM_SELF,		/* armed, no handler: the vCPU thread fills */
	RM_ZERO,		/* nothing restored: zeroed at first touch */
	NR_RESTORE_MODES
};

extern const char *const restore_mode_name[NR_RESTORE_MODES];
/* What results are filed under: "gmem, 256 MiB, lazy". */
void restore_variant(char *buf, size_t len, bool huge, uint64_t size,
		     enum restore_mode mode);
/* Generates the snapshot, as large as the largest of the @n @sizes. */
void restore_setup(const uint64_t *sizes, int n);
/*
 * After guest_probe() and restore_setup(): whether KVM exits to the VMM
 * for a missing page of gmem and of gmem-huge (a small VM of each).
 */
void restore_probe(void);
/* Why gmem (@huge: gmem-huge) cannot run the part here, or NULL. */
const char *restore_unavailable(bool huge);
/* Each mode with @size bytes, for each fd kind; dies on failure. */
void bench_restore(uint64_t size, bool first);

/*
 * The qemu part (qemu.c): the guest part's passes in a Linux guest of
 * Debian's unmodified QEMU, its RAM from each backend, in the same boot.
 */
#define B_QEMU_TOUCH		"qemu: first touch"
#define B_QEMU_READ		"qemu: re-read"
#define B_QEMU_WALK		"qemu: page walk"
#define B_QEMU_TOUCH_EXITS	"qemu: exits, first touch"
#define B_QEMU_READ_EXITS	"qemu: exits, re-read"
#define B_QEMU_WALK_EXITS	"qemu: exits, page walk"
#define B_QEMU_PAGES_4K		"qemu: pages_4k after touch"
#define B_QEMU_PAGES_2M		"qemu: pages_2m after touch"
#define B_QEMU_BOOT		"qemu: guest boot to userspace"

enum qemu_backend {
	QB_GMEM,		/* a gmem fd, its memslot gmem-only */
	QB_GMEM_HUGE,		/* the same, GMEM_CREATE_HUGE */
	QB_ANON,		/* QEMU's own RAM, THP off */
	QB_ANON_THP,		/* QEMU's own RAM, THP always */
	NR_QEMU_BACKENDS
};

extern const char *const qemu_backend_name[NR_QEMU_BACKENDS];
/* After guest_probe(): which backends this boot can run. */
void qemu_probe(void);
/* Why @qb cannot run here, or NULL if it can. */
const char *qemu_unavailable(enum qemu_backend qb);
/* One QEMU run on @qb, the guest touching @size bytes; dies on failure. */
void bench_qemu(enum qemu_backend qb, uint64_t size, bool first);

/* report.c */
void record(const char *bench, const char *backend, const char *unit,
	    double value);
void info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Writes every output file's section to stdout (see report.c); @size is
 * the fds', @guest_size the guest part's memory, @restore_sizes the
 * restore part's @nr_restore sizes. */
void report(uint64_t size, uint64_t guest_size, const uint64_t *restore_sizes,
	    int nr_restore, int reps);

#endif /* GMEM_BENCH_H */
