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

/* Why a backend cannot run here, or NULL if it can (probed once). */
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
void report(int reps);

#endif /* GMEM_BENCH_H */
