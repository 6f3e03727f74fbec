/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small seeded random number generator for the stress and fuzz
 * programs: the same seed gives the same sequence on every machine, so a
 * printed seed replays a run.  splitmix64 (Steele, Lea, Flood): one 64-bit
 * state, no bad seeds.
 */
#ifndef GMEM_TESTS_RNG_H
#define GMEM_TESTS_RNG_H

#include <stdbool.h>
#include <stdint.h>

struct rng {
	uint64_t s;
};

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A seed derived from @seed and @n, for one worker of many. */
static inline uint64_t rng_mix(uint64_t seed, uint64_t n)
{
	struct rng r = { seed ^ (n * 0xd1342543de82ef95ULL) };

	rng_next(&r);
	return rng_next(&r);
}

/* Uniform in [0, @n); @n > 0. */
static inline uint64_t rng_below(struct rng *r, uint64_t n)
{
	return rng_next(r) % n;
}

/* True with probability @pct percent. */
static inline bool rng_pct(struct rng *r, unsigned int pct)
{
	return rng_below(r, 100) < pct;
}

/* Uniform in [@lo, @hi]. */
static inline uint64_t rng_range(struct rng *r, uint64_t lo, uint64_t hi)
{
	return lo + rng_below(r, hi - lo + 1);
}

#endif /* GMEM_TESTS_RNG_H */
