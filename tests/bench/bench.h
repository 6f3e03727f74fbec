/* SPDX-License-Identifier: GPL-2.0 */
/* gmem-bench: shared declarations (see README.md beside this file). */
#ifndef GMEM_BENCH_H
#define GMEM_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
#define B_RESOLVE_1G	"resolve, 1 GiB fd"
#define B_RESOLVE_16G	"resolve, 16 GiB fd"
#define V_GET_PFN	"gmem_get_pfn"
#define V_LOOKUP	"page-cache lookup"

/* backends.c: the kinds of memory fd compared. */
enum backend {
	BE_GMEM,
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
/* What the probe found (kernel, THP, KVM flags), for the report header. */
void backend_describe(void);

/* gmem fds and the test consumer, for the gmem-only benchmarks. */
int gmem_create(uint64_t size, unsigned int flags);
int gmem_test_open(void);
unsigned int gmem_test_bind(int dev, int fd, uint64_t start, uint64_t nr);
void gmem_test_unbind(int dev, unsigned int slot);

/* report.c */
void record(const char *bench, const char *backend, const char *unit,
	    double value);
void info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Writes every output file's section to stdout (see report.c). */
void report(uint64_t size, int reps);

#endif /* GMEM_BENCH_H */
