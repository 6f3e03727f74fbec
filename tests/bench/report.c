// SPDX-License-Identifier: GPL-2.0
/*
 * gmem-bench: results, statistics, targets and the output files.
 *
 * Every file goes to stdout between "@@@ FILE name" and "@@@ END" lines;
 * scripts/bench cuts them apart on the host (the guest has no disk):
 *   table.txt     the tables and the targets, for a terminal
 *   table.md      the same in Markdown, for tests/bench/results/
 *   summary.csv   one line per result: unit, repetitions, min, median, samples
 *   results.json  the same with the targets and the run's description
 *   chart.dat     what tests/bench/chart.gp plots
 * Times are judged on the minimum of the repetitions (noise, of which a
 * TCG guest on a shared host has plenty, only ever adds time); medians are
 * shown beside.  Metadata is judged on its median.  Each target is worked
 * out for both gmem variants (4 KiB folios, and 2 MiB with
 * GMEM_CREATE_HUGE) and judged on the better of the two, since a VMM
 * picks the variant per fd.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

struct result {
	char bench[64];
	char variant[64];
	char unit[8];
	double v[MAX_REPS];
	int n;
};

#define MAX_RESULTS	256
#define MAX_INFO	48

static struct result results[MAX_RESULTS];
static int nresults;
static char infos[MAX_INFO][200];
static int ninfo;

void record(const char *bench, const char *variant, const char *unit,
	    double value)
{
	struct result *r = NULL;
	int i;

	/* Cut short, it would match no later sample and start a new result. */
	if (strlen(bench) >= sizeof(r->bench) ||
	    strlen(variant) >= sizeof(r->variant))
		die("result name too long: %s / %s", bench, variant);
	for (i = 0; i < nresults && !r; i++)
		if (!strcmp(results[i].bench, bench) &&
		    !strcmp(results[i].variant, variant))
			r = &results[i];
	if (!r) {
		if (nresults == MAX_RESULTS)
			die("too many results");
		r = &results[nresults++];
		snprintf(r->bench, sizeof(r->bench), "%s", bench);
		snprintf(r->variant, sizeof(r->variant), "%s", variant);
		snprintf(r->unit, sizeof(r->unit), "%s", unit);
	}
	if (r->n == MAX_REPS)
		die("too many samples of %s/%s", bench, variant);
	r->v[r->n++] = value;
}

void info(const char *fmt, ...)
{
	va_list ap;

	if (ninfo == MAX_INFO)
		return;
	va_start(ap, fmt);
	vsnprintf(infos[ninfo++], sizeof(infos[0]), fmt, ap);
	va_end(ap);
}

static const struct result *get(const char *bench, const char *variant)
{
	int i;

	for (i = 0; i < nresults; i++)
		if (!strcmp(results[i].bench, bench) &&
		    !strcmp(results[i].variant, variant))
			return &results[i];
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double rmin(const struct result *r)
{
	double m;
	int i;

	if (!r || !r->n)
		return NAN;
	for (m = r->v[0], i = 1; i < r->n; i++)
		m = fmin(m, r->v[i]);
	return m;
}

static double rmedian(const struct result *r)
{
	double s[MAX_REPS];

	if (!r || !r->n)
		return NAN;
	memcpy(s, r->v, r->n * sizeof(s[0]));
	qsort(s, r->n, sizeof(s[0]), cmp_double);
	return r->n % 2 ? s[r->n / 2] : (s[r->n / 2 - 1] + s[r->n / 2]) / 2;
}

static double min_of(const char *bench, const char *variant)
{
	return rmin(get(bench, variant));
}

static double median_of(const char *bench, const char *variant)
{
	return rmedian(get(bench, variant));
}

/* --- tables: one model, printed as text and as Markdown --- */

#define MAX_ROWS	16
#define MAX_COLS	10
#define CELL		56

struct table {
	char title[128];
	int ncols;
	int nrows;			/* row 0 is the header */
	char cell[MAX_ROWS][MAX_COLS][CELL];
};

static struct table tables[20];
static int ntables;

static struct table *table_new(const char *title, int ncols)
{
	struct table *t;

	if (ntables == (int)(sizeof(tables) / sizeof(tables[0])))
		die("too many tables");
	if (ncols > MAX_COLS)
		die("table %s: %d columns, at most %d", title, ncols, MAX_COLS);
	t = &tables[ntables++];

	snprintf(t->title, sizeof(t->title), "%s", title);
	t->ncols = ncols;
	t->nrows = 0;
	return t;
}

/* A new row; the cells are filled in with cell(). */
static int table_row(struct table *t, const char *first)
{
	int row = t->nrows++;

	if (row == MAX_ROWS)
		die("table %s: too many rows", t->title);
	memset(t->cell[row], 0, sizeof(t->cell[row]));
	if (snprintf(t->cell[row][0], CELL, "%s", first) >= CELL)
		die("table %s: row name \"%s\" too long", t->title, first);
	return row;
}

static void cell(struct table *t, int row, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void cell(struct table *t, int row, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->cell[row][col], CELL, fmt, ap);
	va_end(ap);
}

/* 3 significant digits, but never an exponent for a big number. */
static void fmt_num(char *buf, size_t len, double x)
{
	/* From 999.5, three digits round to 1000: "%.3g" would say 1e+03. */
	snprintf(buf, len, fabs(x) >= 999.5 ? "%.0f" : "%.3g", x);
}

/* "min / median" of a result, or n/a. */
static void cell_pair(struct table *t, int row, int col, const char *bench,
		      const char *variant)
{
	const struct result *r = get(bench, variant);

	char a[24], b[24];

	if (!r) {
		cell(t, row, col, "n/a");
		return;
	}
	fmt_num(a, sizeof(a), rmin(r));
	fmt_num(b, sizeof(b), rmedian(r));
	cell(t, row, col, "%s / %s", a, b);
}

static void cell_num(struct table *t, int row, int col, double x)
{
	char a[24];

	fmt_num(a, sizeof(a), x);
	cell(t, row, col, "%s", isnan(x) ? "n/a" : a);
}

static void cell_kib(struct table *t, int row, int col, double bytes)
{
	if (isnan(bytes))
		cell(t, row, col, "n/a");
	else
		cell(t, row, col, "%.0f KiB", bytes / KiB);
}

static void cell_ratio(struct table *t, int row, int col, double x)
{
	if (isnan(x))
		cell(t, row, col, "n/a");
	else
		cell(t, row, col, "%.2fx", x);
}

static void print_text(FILE *f, const struct table *t)
{
	int w[MAX_COLS] = { 0 }, r, c;

	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++)
			if ((int)strlen(t->cell[r][c]) > w[c])
				w[c] = strlen(t->cell[r][c]);
	fprintf(f, "%s\n", t->title);
	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < t->ncols; c++)
			fprintf(f, c ? "  %*s" : "%-*s", w[c], t->cell[r][c]);
		fputc('\n', f);
	}
	fputc('\n', f);
}

static void print_md(FILE *f, const struct table *t)
{
	int r, c;

	fprintf(f, "**%s**\n\n", t->title);
	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < t->ncols; c++)
			fprintf(f, "| %s ", t->cell[r][c]);
		fprintf(f, "|\n");
		if (r == 0) {
			for (c = 0; c < t->ncols; c++)
				fprintf(f, c ? "|---:" : "|---");
			fprintf(f, "|\n");
		}
	}
	fputc('\n', f);
}

/*
 * Whether a table has no result at all: a run of some parts only (the
 * guest part has a boot of its own) leaves the other parts' tables empty,
 * and they are not printed.
 */
static bool table_empty(const struct table *t)
{
	int r, c;

	for (r = 1; r < t->nrows; r++)
		for (c = 1; c < t->ncols; c++)
			if (t->cell[r][c][0] && strcmp(t->cell[r][c], "n/a"))
				return false;
	return true;
}

/* --- targets (issues 7 and 9) --- */

/* The gmem variants every target is worked out for. */
#define NR_VARIANTS	2
static const char *const variant_name[NR_VARIANTS] = { "gmem", "gmem-huge" };
static const char *const resolve_1g[NR_VARIANTS] = { B_RESOLVE_1G, B_RESOLVE_1G_HUGE };
static const char *const resolve_16g[NR_VARIANTS] = { B_RESOLVE_16G, B_RESOLVE_16G_HUGE };

struct target {
	const char *what;
	const char *label;		/* short, for the chart */
	double v[NR_VARIANTS];		/* per gmem variant */
	double limit;
	bool at_least;			/* met if value >= limit, else <= */
	const char *unit;		/* "x" or "%" */
	int best;			/* the variant judged: the better one */
	double value;			/* v[best] */
	double rep_median;		/* per-repetition median of best */
};

#define NR_TARGETS	12
static struct target targets[NR_TARGETS];

static double ratio(double a, double b)
{
	return a / b;	/* NaN propagates: a missing result is n/a */
}

/* A resolve over the bare lookup of the same pages. */
static double resolve_ratio(const char *bench)
{
	return ratio(min_of(bench, V_GET_PFN), min_of(bench, V_LOOKUP));
}

/* How far @x is from @t's limit: <= 1 is met, 1.5 means 1.5x off. */
static double off_by_value(const struct target *t, double x)
{
	return t->at_least ? t->limit / x : x / t->limit;
}

static double off_by(const struct target *t)
{
	return off_by_value(t, t->value);
}

/*
 * What a target is computed from: the minimum of the repetitions (@rep
 * < 0; metadata its median), or repetition @rep's own sample, which the
 * same repetition's samples of the other results are set against.
 */
static double pick(const char *bench, const char *variant, int rep)
{
	const struct result *r = get(bench, variant);

	if (rep < 0)
		return rmin(r);
	return r && rep < r->n ? r->v[rep] : NAN;
}

static double resolve_ratio_at(const char *bench, int rep)
{
	return ratio(pick(bench, V_GET_PFN, rep), pick(bench, V_LOOKUP, rep));
}

/* Target @i's value for gmem variant @g (an index into variant_name). */
static double target_value(int i, int g, int rep)
{
	const char *gm = variant_name[g];
	double alloc = pick(B_ALLOC, gm, rep);
	double r1 = resolve_ratio_at(resolve_1g[g], rep);
	double r16 = resolve_ratio_at(resolve_16g[g], rep);

	switch (i) {
	case 0: return ratio(alloc, pick(B_FLOOR, V_CLEAR, rep));
	case 1: return ratio(pick(B_ALLOC, "memfd", rep), alloc);
	case 2: return ratio(pick(B_ALLOC, "guest_memfd", rep), alloc);
	case 3: return ratio(pick(B_PUNCH, gm, rep), pick(B_PUNCH, "memfd-thp", rep));
	case 4: return ratio(pick(B_TOUCH, gm, rep), pick(B_TOUCH, "hugetlbfs", rep));
	case 5: return r1;
	case 6: return r16;
	case 7: return ratio(r16, r1);
	case 8: return (rep < 0 ? median_of(B_META_OBJ, gm) :
			pick(B_META_OBJ, gm, rep)) / (double)GiB * 100;
	case 9: return ratio(pick(B_ALLOC1T, gm, rep), pick(B_ALLOC2, gm, rep));
	case 10: return ratio(pick(B_ALLOC1T, gm, rep), pick(B_ALLOC2FD, gm, rep));
	default: return ratio(pick(B_TOUCH, gm, rep), pick(B_TOUCH2, gm, rep));
	}
}

/*
 * The median over the repetitions of target @i's value within each one:
 * the backends of one repetition ran back to back, so the host's load,
 * which changes over minutes, weighs on both sides of each ratio alike.
 */
static double target_rep_median(int i, int g, int reps)
{
	struct result r = { .n = 0 };
	double x;
	int rep;

	for (rep = 0; rep < reps && rep < MAX_REPS; rep++) {
		x = target_value(i, g, rep);
		if (!isnan(x))
			r.v[r.n++] = x;
	}
	return rmedian(&r);
}

static void compute_targets(int reps)
{
	static const struct target t[NR_TARGETS] = {
		{ "allocate: gmem / zeroing floor (clear_page)", "alloc/floor",
		  .limit = 1.1, .unit = "x" },
		{ "allocate: memfd / gmem", "memfd/gmem",
		  .limit = 1.4, .at_least = true, .unit = "x" },
		{ "allocate: guest_memfd / gmem", "guest_memfd/gmem",
		  .limit = 1.4, .at_least = true, .unit = "x" },
		{ "punch: gmem / memfd-thp", "punch/thp", .limit = 1.0, .unit = "x" },
		{ "first touch: gmem / hugetlbfs", "touch/hugetlb",
		  .limit = 1.1, .unit = "x" },
		{ "resolve, 1 GiB fd: gmem_get_pfn / page-cache lookup",
		  "resolve 1G", .limit = 1.5, .unit = "x" },
		{ "resolve, 16 GiB fd: gmem_get_pfn / page-cache lookup",
		  "resolve 16G", .limit = 1.5, .unit = "x" },
		{ "resolve: 16 GiB fd vs 1 GiB fd, each over its lookup (within 10%)",
		  "resolve 16G/1G", .limit = 1.1, .unit = "x" },
		{ "metadata: gmem slab objects per memory allocated", "metadata",
		  .limit = 0.2, .unit = "%" },
		{ "allocate: gmem 2 threads (one fd) speedup over 1", "alloc 2T",
		  .limit = 1.6, .at_least = true, .unit = "x" },
		{ "allocate: gmem 2 threads (two fds) speedup over 1",
		  "alloc 2T 2fd", .limit = 1.6, .at_least = true, .unit = "x" },
		{ "first touch: gmem 2 threads speedup over 1", "touch 2T",
		  .limit = 1.6, .at_least = true, .unit = "x" },
	};
	struct target *tg;
	int i, g;

	memcpy(targets, t, sizeof(t));
	for (i = 0; i < NR_TARGETS; i++) {
		tg = &targets[i];
		tg->best = -1;
		for (g = 0; g < NR_VARIANTS; g++) {
			tg->v[g] = target_value(i, g, -1);
			if (isnan(tg->v[g]))
				continue;
			if (tg->best < 0 || off_by_value(tg, tg->v[g]) <
					    off_by_value(tg, tg->v[tg->best]))
				tg->best = g;
		}
		tg->value = tg->best < 0 ? NAN : tg->v[tg->best];
		tg->rep_median = tg->best < 0 ? NAN :
				 target_rep_median(i, tg->best, reps);
	}
}

static const char *verdict(const struct target *t)
{
	if (isnan(t->value))
		return "n/a";
	return off_by(t) <= 1 ? "met" : "NOT met";
}

static void fmt_target_value(char *buf, size_t len, const struct target *t,
			     double x)
{
	if (isnan(x))
		snprintf(buf, len, "n/a");
	else
		snprintf(buf, len, "%.3g%s", x, t->unit);
}

static void print_targets(FILE *f, bool md)
{
	const struct target *t;
	int i;

	if (md)
		fprintf(f, "**Targets** (issues 7 and 9; times judged on the minimum of the repetitions; verdict on the better gmem variant; its per-repetition median beside)\n\n"
			"| target | gmem | gmem-huge | per-rep median | limit | verdict |\n|---|---:|---:|---:|---:|---|\n");
	else
		fprintf(f, "Targets (issues 7 and 9; times judged on the minimum of the repetitions;\n"
			"verdict on the better gmem variant, named; \"rep med\": the median over the\n"
			"repetitions of that variant's ratio within each repetition)\n"
			"  %-8s %-66s %8s %10s %8s\n", "", "", "gmem", "gmem-huge", "rep med");
	for (i = 0; i < NR_TARGETS; i++) {
		char v0[32], v1[32], vm[32], lim[32], how[80] = "";

		t = &targets[i];
		fmt_target_value(v0, sizeof(v0), t, t->v[0]);
		fmt_target_value(v1, sizeof(v1), t, t->v[1]);
		fmt_target_value(vm, sizeof(vm), t, t->rep_median);
		snprintf(lim, sizeof(lim), "%s %.3g%s", t->at_least ? ">=" : "<=",
			 t->limit, t->unit);
		if (t->best >= 0)
			snprintf(how, sizeof(how), " (%s)%s", variant_name[t->best],
				 off_by(t) > 1 ? ", missed by " : "");
		if (t->best >= 0 && off_by(t) > 1)
			snprintf(how + strlen(how), sizeof(how) - strlen(how),
				 "%.2fx", off_by(t));
		if (md)
			fprintf(f, "| %s | %s | %s | %s | %s | %s%s |\n", t->what,
				v0, v1, vm, lim, verdict(t), how);
		else
			fprintf(f, "  %-8s %-66s %8s %10s %8s  (%s)%s\n",
				verdict(t), t->what, v0, v1, vm, lim, how);
	}
	fputc('\n', f);
}

/* --- the tables --- */

/* A resolve table's row for one fd: resolve, lookup, their ratio. */
static void resolve_row(struct table *t, const char *name, const char *bench)
{
	int row = table_row(t, name);

	cell_pair(t, row, 1, bench, V_GET_PFN);
	cell_pair(t, row, 2, bench, V_LOOKUP);
	cell_ratio(t, row, 3, resolve_ratio(bench));
}

/* A resolve table's three rows for one gmem variant. */
static void resolve_rows(struct table *t, const char *label, const char *b1,
			 const char *b16)
{
	char name[CELL];
	int row;

	snprintf(name, sizeof(name), "%s, 1 GiB fd", label);
	resolve_row(t, name, b1);
	snprintf(name, sizeof(name), "%s, 16 GiB fd (sparse)", label);
	resolve_row(t, name, b16);
	snprintf(name, sizeof(name), "%s, 16 GiB over 1 GiB", label);
	row = table_row(t, name);
	cell_ratio(t, row, 1, min_of(b16, V_GET_PFN) / min_of(b1, V_GET_PFN));
	cell_ratio(t, row, 2, min_of(b16, V_LOOKUP) / min_of(b1, V_LOOKUP));
	cell_ratio(t, row, 3, resolve_ratio(b16) / resolve_ratio(b1));
}

/*
 * Resolves of the 1 GiB fds with gmem's trace events disabled (the
 * ordinary passes) and enabled, each over the lookups of its own ioctl.
 */
static void trace_table(void)
{
	static const char *const label[] = { "gmem, 1 GiB fd", "gmem-huge, 1 GiB fd" };
	static const char *const bench[] = { B_RESOLVE_1G, B_RESOLVE_1G_HUGE };
	struct table *t;
	unsigned int i;
	int row;

	t = table_new("Resolve with gmem's trace events off and on, ns per call, min / median", 6);
	table_row(t, "");
	cell(t, 0, 1, "events off");
	cell(t, 0, 2, "events on");
	cell(t, 0, 3, "on - off, ns");
	cell(t, 0, 4, "off / lookup");
	cell(t, 0, 5, "on / lookup");
	for (i = 0; i < sizeof(bench) / sizeof(bench[0]); i++) {
		row = table_row(t, label[i]);
		cell_pair(t, row, 1, bench[i], V_GET_PFN);
		cell_pair(t, row, 2, bench[i], V_GET_PFN_TRACED);
		cell_num(t, row, 3, min_of(bench[i], V_GET_PFN_TRACED) -
			 min_of(bench[i], V_GET_PFN));
		cell_ratio(t, row, 4, resolve_ratio(bench[i]));
		cell_ratio(t, row, 5, ratio(min_of(bench[i], V_GET_PFN_TRACED),
					    min_of(bench[i], V_LOOKUP_TRACED)));
	}
}

/* The fewest and most samples of a count, as an info line. */
static void count_info(const char *bench, const char *variant, uint64_t of)
{
	const struct result *r = get(bench, variant);
	double hi = 0;
	int i;

	if (!r)
		return;
	for (i = 0; i < r->n; i++)
		hi = fmax(hi, r->v[i]);
	info("%s, %s: %.0f to %.0f of %llu", variant, bench, rmin(r), hi,
	     (unsigned long long)of);
}

/* Per repetition, 1 thread's allocation over 2 threads' (@two). */
static double speedup_rep_median(const char *be, const char *two, int reps)
{
	struct result r = { .n = 0 };
	double x;
	int rep;

	for (rep = 0; rep < reps && rep < MAX_REPS; rep++) {
		x = ratio(pick(B_ALLOC1T, be, rep), pick(two, be, rep));
		if (!isnan(x))
			r.v[r.n++] = x;
	}
	return rmedian(&r);
}

/*
 * Issue 17's allocation target for every backend it names: 2 threads at
 * least 1.6x as fast as one, on one fd (one half each) and on two fds.
 */
static void threads_table(int reps)
{
	static const char *const bes[] = { "gmem", "gmem-huge", "guest_memfd" };
	static const char *const two[] = { B_ALLOC2, B_ALLOC2FD };
	static const char *const what[] = { "one fd", "two fds" };
	const double limit = 1.6;
	struct table *t;
	unsigned int i, j;
	double x, m;
	int row;

	t = table_new("Allocation, 2 threads over 1 (threads part), min / per-rep median, target >= 1.6x", 1 + 2 * 2);
	table_row(t, "");
	for (j = 0; j < 2; j++) {
		cell(t, 0, 1 + 2 * j, "%s", what[j]);
		cell(t, 0, 2 + 2 * j, "%s: verdict", what[j]);
	}
	for (i = 0; i < sizeof(bes) / sizeof(bes[0]); i++) {
		row = table_row(t, bes[i]);
		for (j = 0; j < 2; j++) {
			x = ratio(min_of(B_ALLOC1T, bes[i]), min_of(two[j], bes[i]));
			m = speedup_rep_median(bes[i], two[j], reps);
			if (isnan(x)) {
				cell(t, row, 1 + 2 * j, "n/a");
				cell(t, row, 2 + 2 * j, "n/a");
				continue;
			}
			cell(t, row, 1 + 2 * j, "%.2fx / %.2fx", x, m);
			cell(t, row, 2 + 2 * j, "%s%s",
			     x >= limit ? "met" : "not met",
			     (x >= limit) != (m >= limit) ? ", unsettled" : "");
		}
	}
}

/* The worst resolve while the rest of the fd is allocated (bench_stall). */
static void stall_table(uint64_t size)
{
	static const char *const vs[] = { "gmem", "gmem-huge" };
	const struct result *r;
	char title[96];
	struct table *t;
	unsigned int i;
	double worst;
	int row, j;

	snprintf(title, sizeof(title),
		 "Worst resolve of a bound page during a %llu MiB fallocate(), ms",
		 (unsigned long long)(size / MiB));
	t = table_new(title, 5);
	table_row(t, "");
	cell(t, 0, 1, "worst resolve");
	cell(t, 0, 2, "worst of all reps");
	cell(t, 0, 3, "idle, worst");
	cell(t, 0, 4, "fallocate, s");
	for (i = 0; i < sizeof(vs) / sizeof(vs[0]); i++) {
		row = table_row(t, vs[i]);
		cell_pair(t, row, 1, B_STALL, vs[i]);
		r = get(B_STALL, vs[i]);
		worst = r ? 0 : NAN;
		for (j = 0; r && j < r->n; j++)
			worst = fmax(worst, r->v[j]);
		cell_num(t, row, 2, worst);
		cell_pair(t, row, 3, B_STALL_IDLE, vs[i]);
		cell_pair(t, row, 4, B_STALL_ALLOC, vs[i]);
	}
}

/*
 * The copy part: restoring and saving an image with each method, and how
 * pwrite() compares with GMEM_POPULATE and with a mapping (min over min).
 */
static void copy_table(uint64_t size)
{
	static const struct {
		const char *label, *bench;
		enum copy_method method;
	} rows[] = {
		{ "restore: pwrite", B_RESTORE, COPY_RW },
		{ "restore: GMEM_POPULATE", B_RESTORE, COPY_POPULATE },
		{ "restore: memcpy, new mapping", B_RESTORE, COPY_MAP },
		{ "save: pread", B_SAVE, COPY_RW },
		{ "save: memcpy, new mapping", B_SAVE, COPY_MAP },
	};
	/* restore by pwrite() over the others */
	static const struct {
		const char *label;
		enum copy_method method;
	} vs[] = {
		{ "restore: pwrite / GMEM_POPULATE", COPY_POPULATE },
		{ "restore: pwrite / memcpy", COPY_MAP },
	};
	char title[96], v[64], w[64];
	struct table *t;
	unsigned int i;
	int be, row;

	snprintf(title, sizeof(title),
		 "Restoring and saving %llu MiB, seconds, min / median",
		 (unsigned long long)(size / MiB));
	t = table_new(title, NR_COPY_BACKENDS + 1);
	table_row(t, "");
	for (be = 0; be < NR_COPY_BACKENDS; be++)
		cell(t, 0, be + 1, "%s", copy_backend[be]);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		row = table_row(t, rows[i].label);
		for (be = 0; be < NR_COPY_BACKENDS; be++) {
			snprintf(v, sizeof(v), "%s, %s", copy_backend[be],
				 copy_method[rows[i].method]);
			cell_pair(t, row, be + 1, rows[i].bench, v);
		}
	}
	for (i = 0; i < sizeof(vs) / sizeof(vs[0]); i++) {
		row = table_row(t, vs[i].label);
		for (be = 0; be < NR_COPY_BACKENDS; be++) {
			snprintf(v, sizeof(v), "%s, %s", copy_backend[be],
				 copy_method[COPY_RW]);
			snprintf(w, sizeof(w), "%s, %s", copy_backend[be],
				 copy_method[vs[i].method]);
			cell_ratio(t, row, be + 1, ratio(min_of(B_RESTORE, v),
							 min_of(B_RESTORE, w)));
		}
	}
}

/*
 * The dirty part: each fd with and without the log, and what the log
 * costs a write (logged over not, min over min).
 */
static void dirty_table(uint64_t size)
{
	static const char *const rows[] = {
		B_DIRTY_TOUCH, B_DIRTY_REWRITE, B_DIRTY_CLEAR_ALL,
		B_DIRTY_CLEAR_NONE,
	};
	char title[96];
	struct table *t;
	unsigned int i;
	int dv, row;

	snprintf(title, sizeof(title),
		 "Dirty logging, a %llu MiB fd, seconds, min / median",
		 (unsigned long long)(size / MiB));
	t = table_new(title, NR_DIRTY_VARIANTS + 1);
	table_row(t, "");
	for (dv = 0; dv < NR_DIRTY_VARIANTS; dv++)
		cell(t, 0, dv + 1, "%s", dirty_variant[dv]);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		row = table_row(t, rows[i] + strlen("dirty log: "));
		for (dv = 0; dv < NR_DIRTY_VARIANTS; dv++)
			cell_pair(t, row, dv + 1, rows[i], dirty_variant[dv]);
	}
	for (i = 0; i < 2; i++) {
		row = table_row(t, i ? "rewrite: logged / not" :
				       "first write: logged / not");
		for (dv = DIRTY_GMEM_LOGGED; dv < NR_DIRTY_VARIANTS; dv += 2)
			cell_ratio(t, row, dv + 1,
				   ratio(min_of(rows[i], dirty_variant[dv]),
					 min_of(rows[i], dirty_variant[dv - 1])));
	}
}

/* Per repetition, @ba of @va over @bb of @vb; the median of those. */
static double ratio_rep_median(const char *ba, const char *va, const char *bb,
			       const char *vb, int reps)
{
	struct result r = { .n = 0 };
	double x;
	int rep;

	for (rep = 0; rep < reps && rep < MAX_REPS; rep++) {
		x = ratio(pick(ba, va, rep), pick(bb, vb, rep));
		if (!isnan(x))
			r.v[r.n++] = x;
	}
	return rmedian(&r);
}

/*
 * The nested boot's ratios, for results.json as well as the tables: the
 * guest part's, the restore part's (three per fd kind and size, no
 * target), then the qemu part's (no target).
 */
#define NR_GUEST_CMP	10
#define NR_RESTORE_CMP	(3 * 2 * MAX_RESTORE_SIZES)
#define NR_QEMU_CMP	7
#define QEMU_CMP	(NR_GUEST_CMP + NR_RESTORE_CMP)
#define NR_NESTED_CMP	(QEMU_CMP + NR_QEMU_CMP)
static struct guest_cmp {
	const char *what;
	double min, rep_median, limit;	/* limit 0: no target */
	bool at_least;
	const char *verdict;		/* NULL: not run */
} guest_cmp[NR_NESTED_CMP];

/* A ratio of a nested part: @a's time over @b's in benchmark @bench. */
struct cmp_def {
	const char *what, *bench, *a, *b;
	double limit;		/* 0: no target, shown for context */
	bool at_least;
};

/*
 * The table of @n ratios @cmp, min and per-repetition median, with their
 * targets' verdicts; each kept in guest_cmp[@first + i] for results.json.
 */
static void cmp_table(const char *title, const struct cmp_def *cmp,
		      unsigned int n, unsigned int first, int reps)
{
	struct table *t = table_new(title, 5);
	struct guest_cmp *g;
	bool met, unsettled;
	unsigned int i;
	double x, m;
	int row;

	table_row(t, "");
	cell(t, 0, 1, "min");
	cell(t, 0, 2, "per-rep median");
	cell(t, 0, 3, "limit");
	cell(t, 0, 4, "verdict");
	for (i = 0; i < n; i++) {
		g = &guest_cmp[first + i];
		row = table_row(t, cmp[i].what);
		x = ratio(min_of(cmp[i].bench, cmp[i].a),
			  min_of(cmp[i].bench, cmp[i].b));
		m = ratio_rep_median(cmp[i].bench, cmp[i].a, cmp[i].bench,
				     cmp[i].b, reps);
		cell_ratio(t, row, 1, x);
		cell_ratio(t, row, 2, m);
		*g = (struct guest_cmp){
			.what = cmp[i].what, .min = x, .rep_median = m,
			.limit = cmp[i].limit, .at_least = cmp[i].at_least,
			.verdict = "-",
		};
		if (!cmp[i].limit) {
			cell(t, row, 3, "-");
			cell(t, row, 4, "-");
			continue;
		}
		cell(t, row, 3, "%s %.1fx", cmp[i].at_least ? ">=" : "<=",
		     cmp[i].limit);
		if (isnan(x)) {
			cell(t, row, 4, "n/a");
			g->verdict = "n/a";
			continue;
		}
		met = cmp[i].at_least ? x >= cmp[i].limit : x <= cmp[i].limit;
		unsettled = met != (cmp[i].at_least ? m >= cmp[i].limit :
				    m <= cmp[i].limit);
		cell(t, row, 4, "%s%s", met ? "met" : "not met",
		     unsettled ? ", unsettled" : "");
		g->verdict = met ? (unsettled ? "met, unsettled" : "met") :
			(unsettled ? "not met, unsettled" : "not met");
	}
}

/*
 * A nested part's table of passes: per backend of @names, each column of
 * @cols (a header and a benchmark) as min / median, then KVM's leaf
 * mappings after the first touch (@pages_4k, @pages_2m).  False, and no
 * table, when no backend has a sample of the first column: the part did
 * not run in this boot (scripts/bench gives the nested parts their own).
 */
static bool pass_table(const char *title, const char *const *names, int n,
		       const char *const (*cols)[2], unsigned int ncols,
		       const char *pages_4k, const char *pages_2m)
{
	struct table *t;
	unsigned int j;
	double x, m;
	int i, row;

	for (i = 0; i < n; i++)
		if (get(cols[0][1], names[i]))
			break;
	if (i == n)
		return false;
	t = table_new(title, 2 + ncols);

	table_row(t, "");
	for (j = 0; j < ncols; j++)
		cell(t, 0, 1 + j, "%s", cols[j][0]);
	cell(t, 0, 1 + j, "pages_4k / pages_2m");
	for (i = 0; i < n; i++) {
		row = table_row(t, names[i]);
		for (j = 0; j < ncols; j++)
			cell_pair(t, row, 1 + j, cols[j][1], names[i]);
		x = median_of(pages_4k, names[i]);
		m = median_of(pages_2m, names[i]);
		if (isnan(x) || isnan(m))
			cell(t, row, 1 + j, "n/a");
		else
			cell(t, row, 1 + j, "%.0f / %.0f", x, m);
	}
	return true;
}

/*
 * The guest part (issue 17's target 5): each pass per backend, and the
 * ratios the targets set, with the comparisons that explain them.
 */
static void guest_tables(uint64_t size, int reps)
{
	static const struct cmp_def cmp[] = {
		{ "re-read: guest_memfd / gmem-huge", B_GUEST_READ,
		  "guest_memfd", "gmem-huge", 2.0, true },
		{ "first touch: gmem / guest_memfd", B_GUEST_TOUCH,
		  "gmem", "guest_memfd", 1.0, false },
		{ "re-read: gmem / guest_memfd", B_GUEST_READ,
		  "gmem", "guest_memfd", 1.0, false },
		{ "touch: guest_memfd / gmem-huge", B_GUEST_TOUCH,
		  "guest_memfd", "gmem-huge", 0, false },
		{ "page walk: guest_memfd / gmem-huge", B_GUEST_WALK,
		  "guest_memfd", "gmem-huge", 0, false },
		{ "page walk: gmem / guest_memfd", B_GUEST_WALK,
		  "gmem", "guest_memfd", 0, false },
		{ "touch: gmem logged / gmem", B_GUEST_TOUCH,
		  "gmem, logged", "gmem", 0, false },
		{ "rewrite: gmem logged / gmem", B_GUEST_REWRITE,
		  "gmem, logged", "gmem", 0, false },
		{ "touch: gmem-huge logged / gmem-huge", B_GUEST_TOUCH,
		  "gmem-huge, logged", "gmem-huge", 0, false },
		{ "rewrite: gmem-huge logged / gmem-huge", B_GUEST_REWRITE,
		  "gmem-huge, logged", "gmem-huge", 0, false },
	};
	_Static_assert(sizeof(cmp) / sizeof(cmp[0]) == NR_GUEST_CMP,
		       "guest_cmp holds every comparison");
	static const char *const cols[][2] = {
		{ "first touch, s", B_GUEST_TOUCH },
		{ "re-read, s", B_GUEST_READ },
		{ "page walk, s", B_GUEST_WALK },
		{ "get and clear, s", B_GUEST_CLEAR },
		{ "rewrite, s", B_GUEST_REWRITE },
		{ "exits, touch", B_GUEST_TOUCH_EXITS },
		{ "exits, re-read", B_GUEST_READ_EXITS },
		{ "exits, rewrite", B_GUEST_REWRITE_EXITS },
	};
	char title[120];

	snprintf(title, sizeof(title),
		 "Guest part: a nested guest on the patched KVM, %llu MiB private, min / median of %d",
		 (unsigned long long)(size / MiB), reps);
	if (!pass_table(title, guest_backend_name, NR_GUEST_BACKENDS, cols,
			sizeof(cols) / sizeof(cols[0]), B_GUEST_PAGES_4K,
			B_GUEST_PAGES_2M))
		return;
	cmp_table("Guest part, targets (issue 17, target 5): ratios of times, min / per-rep median",
		  cmp, NR_GUEST_CMP, 0, reps);
}

/*
 * The qemu part (issue 17's target 5, through an unmodified VMM): each
 * pass per backend, and how gmem compares with QEMU's own RAM.  No
 * target: the targets are against guest_memfd, which cannot be an
 * unmodified QEMU's RAM outside a confidential guest (qemu.c).
 */
static void qemu_tables(uint64_t size, int reps)
{
	static const struct cmp_def cmp[] = {
		{ "first touch: gmem / anonymous", B_QEMU_TOUCH,
		  "gmem", "anonymous", 0, false },
		{ "re-read: gmem / anonymous", B_QEMU_READ,
		  "gmem", "anonymous", 0, false },
		{ "first touch: anonymous, THP / gmem-huge", B_QEMU_TOUCH,
		  "anonymous, THP", "gmem-huge", 0, false },
		{ "re-read: anonymous, THP / gmem-huge", B_QEMU_READ,
		  "anonymous, THP", "gmem-huge", 0, false },
		{ "re-read: anonymous / gmem-huge", B_QEMU_READ,
		  "anonymous", "gmem-huge", 0, false },
		{ "first touch: gmem / gmem-huge", B_QEMU_TOUCH,
		  "gmem", "gmem-huge", 0, false },
		{ "page walk: anonymous / gmem-huge", B_QEMU_WALK,
		  "anonymous", "gmem-huge", 0, false },
	};
	_Static_assert(sizeof(cmp) / sizeof(cmp[0]) == NR_QEMU_CMP,
		       "guest_cmp holds every comparison");
	static const char *const cols[][2] = {
		{ "first touch, s", B_QEMU_TOUCH },
		{ "re-read, s", B_QEMU_READ },
		{ "page walk, s", B_QEMU_WALK },
		{ "exits, touch", B_QEMU_TOUCH_EXITS },
		{ "exits, re-read", B_QEMU_READ_EXITS },
		{ "exits, walk", B_QEMU_WALK_EXITS },
		{ "boot to userspace, s", B_QEMU_BOOT },
	};
	char title[160];

	snprintf(title, sizeof(title),
		 "QEMU part: a Linux guest of Debian's QEMU on the patched KVM touching %llu MiB, min / median of %d",
		 (unsigned long long)(size / MiB), reps);
	if (!pass_table(title, qemu_backend_name, NR_QEMU_BACKENDS, cols,
			sizeof(cols) / sizeof(cols[0]), B_QEMU_PAGES_4K,
			B_QEMU_PAGES_2M))
		return;
	cmp_table("QEMU part: ratios of times against QEMU's own RAM (no target: guest_memfd cannot be its RAM), min / per-rep median",
		  cmp, NR_QEMU_CMP, QEMU_CMP, reps);
}

/* A ratio of the restore part: in a table cell and in guest_cmp[@k]. */
static void restore_ratio(struct table *t, int row, int col, int k,
			  const char *what, const char *bench_a,
			  const char *a, const char *bench_b, const char *b,
			  int reps)
{
	static char whats[NR_RESTORE_CMP][128];
	double x = ratio(min_of(bench_a, a), min_of(bench_b, b));

	cell_ratio(t, row, col, x);
	snprintf(whats[k], sizeof(whats[k]), "%s", what);
	guest_cmp[NR_GUEST_CMP + k] = (struct guest_cmp){
		.what = whats[k], .min = x,
		.rep_median = ratio_rep_median(bench_a, a, bench_b, b, reps),
		.verdict = "-",
	};
}

/*
 * The restore part (issue 19): per fd kind and size, when the guest runs
 * its first instruction and when it has all its memory, eagerly and
 * lazily; and what one fault of its read pass costs with the page there,
 * zeroed, and filled on demand.
 */
static void restore_tables(const uint64_t *sizes, int n, int reps)
{
	char title[128], label[CELL], what[128];
	char v[NR_RESTORE_MODES][64];
	struct table *t, *f;
	int huge, i, m, row, frow, k = 0;
	bool ran = false;

	for (i = 0; i < n; i++)
		for (huge = 0; huge < 2; huge++) {
			restore_variant(v[0], sizeof(v[0]), huge, sizes[i],
					RM_LAZY);
			ran |= get(B_RST_DONE, v[0]) != NULL;
		}
	/* Not run in this boot (scripts/bench gives it the nested one). */
	if (!ran)
		return;

	snprintf(title, sizeof(title),
		 "Restore part: a snapshot restored into a nested guest's memory, seconds, min / median of %d",
		 reps);
	t = table_new(title, 10);
	table_row(t, "");
	cell(t, 0, 1, "eager: first instr.");
	cell(t, 0, 2, "eager: done");
	cell(t, 0, 3, "of which GMEM_POPULATE");
	cell(t, 0, 4, "lazy: first instr.");
	cell(t, 0, 5, "lazy: done");
	cell(t, 0, 6, "lazy, vCPU fills: done");
	cell(t, 0, 7, "first instr.: eager / lazy");
	cell(t, 0, 8, "done: lazy / eager");
	cell(t, 0, 9, "missing exits / events");
	f = table_new("Restore part: the guest's read pass, per fault (a 4 KiB page; a 2 MiB block on gmem-huge), us, min / median", 8);
	table_row(f, "");
	cell(f, 0, 1, "present (eager)");
	cell(f, 0, 2, "zero fill");
	cell(f, 0, 3, "demand: handler");
	cell(f, 0, 4, "demand: vCPU fills");
	cell(f, 0, 5, "handler / zero fill");
	cell(f, 0, 6, "handler / present");
	cell(f, 0, 7, "vCPU fills / zero fill");

	for (i = 0; i < n; i++) {
		for (huge = 0; huge < 2; huge++) {
			for (m = 0; m < NR_RESTORE_MODES; m++)
				restore_variant(v[m], sizeof(v[m]), huge,
						sizes[i], m);
			snprintf(label, sizeof(label), "%s, %llu MiB",
				 huge ? "gmem-huge" : "gmem",
				 (unsigned long long)(sizes[i] / MiB));
			row = table_row(t, label);
			cell_pair(t, row, 1, B_RST_FIRST, v[RM_EAGER]);
			cell_pair(t, row, 2, B_RST_DONE, v[RM_EAGER]);
			cell_pair(t, row, 3, B_RST_POPULATE, v[RM_EAGER]);
			cell_pair(t, row, 4, B_RST_FIRST, v[RM_LAZY]);
			cell_pair(t, row, 5, B_RST_DONE, v[RM_LAZY]);
			cell_pair(t, row, 6, B_RST_DONE, v[RM_SELF]);
			snprintf(what, sizeof(what),
				 "restore, %s: first instruction, eager / lazy",
				 label);
			restore_ratio(t, row, 7, k++, what, B_RST_FIRST,
				      v[RM_EAGER], B_RST_FIRST, v[RM_LAZY],
				      reps);
			snprintf(what, sizeof(what),
				 "restore, %s: completion, lazy / eager",
				 label);
			restore_ratio(t, row, 8, k++, what, B_RST_DONE,
				      v[RM_LAZY], B_RST_DONE, v[RM_EAGER],
				      reps);
			if (get(B_RST_EVENTS, v[RM_LAZY]))
				cell(t, row, 9, "%.0f / %.0f",
				     median_of(B_RST_MISSING_EXITS, v[RM_LAZY]),
				     median_of(B_RST_EVENTS, v[RM_LAZY]));
			else
				cell(t, row, 9, "n/a");

			frow = table_row(f, label);
			cell_pair(f, frow, 1, B_RST_PER_FAULT, v[RM_EAGER]);
			cell_pair(f, frow, 2, B_RST_PER_FAULT, v[RM_ZERO]);
			cell_pair(f, frow, 3, B_RST_PER_FAULT, v[RM_LAZY]);
			cell_pair(f, frow, 4, B_RST_PER_FAULT, v[RM_SELF]);
			snprintf(what, sizeof(what),
				 "restore, %s: per fault, demand fill / zero fill",
				 label);
			restore_ratio(f, frow, 5, k++, what, B_RST_PER_FAULT,
				      v[RM_LAZY], B_RST_PER_FAULT, v[RM_ZERO],
				      reps);
			cell_ratio(f, frow, 6,
				   ratio(min_of(B_RST_PER_FAULT, v[RM_LAZY]),
					 min_of(B_RST_PER_FAULT, v[RM_EAGER])));
			cell_ratio(f, frow, 7,
				   ratio(min_of(B_RST_PER_FAULT, v[RM_SELF]),
					 min_of(B_RST_PER_FAULT, v[RM_ZERO])));
		}
	}
}

static void build_tables(uint64_t size, int reps)
{
	static const char *const steps[] = {
		V_STEP_4K, V_STEP_2M, V_STEP_4K_HUGE, V_STEP_2M_HUGE,
	};
	static const char *const migrations[] = {
		"gmem", "gmem-huge", V_MBIND, V_MBIND_THP,
	};
	static const char *const rows[] = {
		B_ALLOC, B_PUNCH, B_TOUCH, B_ALLOC1T, B_ALLOC2, B_ALLOC2FD,
		B_TOUCH2,
	};
	double floor = min_of(B_FLOOR, V_CLEAR);
	char title[96];
	struct table *t;
	unsigned int i;
	int be, row;

	snprintf(title, sizeof(title),
		 "%llu MiB per fd, seconds, min / median of %d",
		 (unsigned long long)(size / MiB), reps);
	t = table_new(title, 1 + NR_BACKENDS);
	table_row(t, "");
	for (be = 0; be < NR_BACKENDS; be++)
		cell(t, 0, be + 1, "%s", backend_name[be]);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		row = table_row(t, rows[i]);
		for (be = 0; be < NR_BACKENDS; be++)
			cell_pair(t, row, be + 1, rows[i], backend_name[be]);
	}
	row = table_row(t, "allocate / floor");
	for (be = 0; be < NR_BACKENDS; be++)
		cell_ratio(t, row, be + 1, min_of(B_ALLOC, backend_name[be]) / floor);
	row = table_row(t, "first touch / floor");
	for (be = 0; be < NR_BACKENDS; be++)
		cell_ratio(t, row, be + 1, min_of(B_TOUCH, backend_name[be]) / floor);
	row = table_row(t, "allocate 2T speedup");
	for (be = 0; be < NR_BACKENDS; be++)
		cell_ratio(t, row, be + 1, min_of(B_ALLOC1T, backend_name[be]) /
			   min_of(B_ALLOC2, backend_name[be]));
	row = table_row(t, "allocate 2T 2-fd speedup");
	for (be = 0; be < NR_BACKENDS; be++)
		cell_ratio(t, row, be + 1, min_of(B_ALLOC1T, backend_name[be]) /
			   min_of(B_ALLOC2FD, backend_name[be]));
	row = table_row(t, "first touch 2T speedup");
	for (be = 0; be < NR_BACKENDS; be++)
		cell_ratio(t, row, be + 1, min_of(B_TOUCH, backend_name[be]) /
			   min_of(B_TOUCH2, backend_name[be]));
	row = table_row(t, "slab objects/GiB");
	for (be = 0; be < NR_BACKENDS; be++) {
		double b = median_of(B_META_OBJ, backend_name[be]);

		if (isnan(b))
			cell(t, row, be + 1, "n/a");
		else
			cell(t, row, be + 1, "%.0f KiB %.3f%%", b / KiB,
			     b / GiB * 100);
	}
	row = table_row(t, "slab pages/GiB");
	for (be = 0; be < NR_BACKENDS; be++)
		cell_kib(t, row, be + 1, median_of(B_META_SLAB, backend_name[be]));
	row = table_row(t, "other pages/GiB");
	for (be = 0; be < NR_BACKENDS; be++)
		cell_kib(t, row, be + 1, median_of(B_META_OTHER, backend_name[be]));

	t = table_new("Zeroing floor, the same memory already allocated, seconds", 4);
	table_row(t, "");
	cell(t, 0, 1, "min");
	cell(t, 0, 2, "median");
	cell(t, 0, 3, "GiB/s");
	row = table_row(t, "clear_page (kernel)");
	cell_num(t, row, 1, floor);
	cell_num(t, row, 2, median_of(B_FLOOR, V_CLEAR));
	cell_num(t, row, 3, (double)size / GiB / floor);
	row = table_row(t, "memset (user, faulted)");
	cell_num(t, row, 1, min_of(B_FLOOR, V_MEMSET));
	cell_num(t, row, 2, median_of(B_FLOOR, V_MEMSET));
	cell_num(t, row, 3, (double)size / GiB / min_of(B_FLOOR, V_MEMSET));

	threads_table(reps);
	stall_table(size);
	copy_table(size);
	dirty_table(size);
	count_info(B_RESTORE_LARGE, "gmem-huge, pwrite / pread", size / HUGE);
	count_info(B_RESTORE_LARGE, "gmem-huge, GMEM_POPULATE", size / HUGE);

	count_info(B_LARGE_ALLOC, "gmem-huge", size / HUGE);
	count_info(B_LARGE_TOUCH, "gmem-huge", size / HUGE);

	t = table_new("gmem conversion, shared -> private -> shared, seconds, min / median", 5);
	table_row(t, "");
	cell(t, 0, 1, "to private");
	cell(t, 0, 2, "to shared");
	cell(t, 0, 3, "round trip");
	cell(t, 0, 4, "us per call");
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		row = table_row(t, steps[i]);
		cell_pair(t, row, 1, B_CONV_PRIV, steps[i]);
		cell_pair(t, row, 2, B_CONV_SHARED, steps[i]);
		cell_num(t, row, 3, min_of(B_CONV_PRIV, steps[i]) +
			 min_of(B_CONV_SHARED, steps[i]));
		cell_num(t, row, 4, min_of(B_CONV_CALL, steps[i]));
	}

	t = table_new("Resolve, populated private pages, ns per call, min / median", 4);
	table_row(t, "");
	cell(t, 0, 1, V_GET_PFN);
	cell(t, 0, 2, V_LOOKUP);
	cell(t, 0, 3, "ratio");
	resolve_rows(t, "gmem", B_RESOLVE_1G, B_RESOLVE_16G);
	resolve_rows(t, "gmem-huge", B_RESOLVE_1G_HUGE, B_RESOLVE_16G_HUGE);
	resolve_row(t, "gmem, 1 GiB fd, shared pages in other blocks",
		    B_RESOLVE_1G_SHARED);
	resolve_row(t, "gmem-huge, 1 GiB fd, shared pages in other blocks",
		    B_RESOLVE_1G_HUGE_SHARED);
	resolve_row(t, "gmem, 1 GiB fd, a shared page in each block",
		    B_RESOLVE_1G_MIXED);
	resolve_row(t, "gmem-huge, 1 GiB fd, a shared page in each block",
		    B_RESOLVE_1G_HUGE_MIXED);
	trace_table();

	snprintf(title, sizeof(title),
		 "Moving %llu MiB from NUMA node 0 to node 1, seconds, min / median",
		 (unsigned long long)(size / MiB));
	t = table_new(title, 3);
	table_row(t, "");
	cell(t, 0, 1, "seconds");
	cell(t, 0, 2, "GiB/s");
	for (i = 0; i < sizeof(migrations) / sizeof(migrations[0]); i++) {
		row = table_row(t, migrations[i]);
		cell_pair(t, row, 1, B_MIGRATE, migrations[i]);
		cell_num(t, row, 2, (double)size / GiB /
			 min_of(B_MIGRATE, migrations[i]));
	}
}

/* --- machine-readable files --- */

static void print_csv(FILE *f)
{
	int i, j;

	fprintf(f, "benchmark,variant,unit,reps,min,median,samples\n");
	for (i = 0; i < nresults; i++) {
		const struct result *r = &results[i];

		/* Names may hold commas, never quotes. */
		fprintf(f, "\"%s\",\"%s\",%s,%d,%.6g,%.6g,", r->bench,
			r->variant, r->unit, r->n, rmin(r), rmedian(r));
		for (j = 0; j < r->n; j++)
			fprintf(f, "%s%.6g", j ? " " : "", r->v[j]);
		fputc('\n', f);
	}
}

static void json_num(FILE *f, double x)
{
	if (isnan(x) || isinf(x))
		fprintf(f, "null");
	else
		fprintf(f, "%.6g", x);
}

static void print_json(FILE *f, uint64_t size, int reps)
{
	int i, j;

	fprintf(f, "{\n  \"size_bytes\": %llu,\n  \"reps\": %d,\n  \"info\": [",
		(unsigned long long)size, reps);
	for (i = 0; i < ninfo; i++)
		fprintf(f, "%s\n    \"%s\"", i ? "," : "", infos[i]);
	fprintf(f, "\n  ],\n  \"results\": [");
	for (i = 0; i < nresults; i++) {
		const struct result *r = &results[i];

		fprintf(f, "%s\n    {\"benchmark\": \"%s\", \"variant\": \"%s\", \"unit\": \"%s\", \"min\": ",
			i ? "," : "", r->bench, r->variant, r->unit);
		json_num(f, rmin(r));
		fprintf(f, ", \"median\": ");
		json_num(f, rmedian(r));
		fprintf(f, ", \"samples\": [");
		for (j = 0; j < r->n; j++) {
			fprintf(f, j ? ", " : "");
			json_num(f, r->v[j]);
		}
		fprintf(f, "]}");
	}
	fprintf(f, "\n  ],\n  \"targets\": [");
	for (i = 0; i < NR_TARGETS; i++) {
		const struct target *t = &targets[i];

		fprintf(f, "%s\n    {\"target\": \"%s\", \"value\": ", i ? "," : "",
			t->what);
		json_num(f, t->value);
		fprintf(f, ", \"rep_median\": ");
		json_num(f, t->rep_median);
		fprintf(f, ", \"variant\": \"%s\", \"gmem\": ",
			t->best < 0 ? "" : variant_name[t->best]);
		json_num(f, t->v[0]);
		fprintf(f, ", \"gmem-huge\": ");
		json_num(f, t->v[1]);
		fprintf(f, ", \"limit\": %.6g, \"at_least\": %s, \"unit\": \"%s\", \"verdict\": \"%s\"}",
			t->limit, t->at_least ? "true" : "false", t->unit,
			verdict(t));
	}
	/*
	 * The guest, restore and qemu parts' ratios, those that ran in this
	 * boot (a limit of 0: none).
	 */
	fprintf(f, "\n  ],\n  \"guest_targets\": [");
	for (i = j = 0; i < NR_NESTED_CMP; i++) {
		const struct guest_cmp *g = &guest_cmp[i];

		if (!g->verdict)
			continue;
		fprintf(f, "%s\n    {\"target\": \"%s\", \"value\": ",
			j++ ? "," : "", g->what);
		json_num(f, g->min);
		fprintf(f, ", \"rep_median\": ");
		json_num(f, g->rep_median);
		fprintf(f, ", \"limit\": %.6g, \"at_least\": %s, \"verdict\": \"%s\"}",
			g->limit, g->at_least ? "true" : "false", g->verdict);
	}
	fprintf(f, "\n  ]\n}\n");
}

/*
 * Block 0: each operation's time over the zeroing floor, per backend.
 * Block 1: each target's distance from its limit (<= 1 is met).
 */
static void print_chart(FILE *f)
{
	static const char *const ops[] = { B_ALLOC, B_PUNCH, B_TOUCH };
	double floor = min_of(B_FLOOR, V_CLEAR), x;
	unsigned int i;
	int be;

	fprintf(f, "operation");
	for (be = 0; be < NR_BACKENDS; be++)
		fprintf(f, " %s", backend_name[be]);
	fputc('\n', f);
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		fprintf(f, "\"%s\"", ops[i]);
		for (be = 0; be < NR_BACKENDS; be++) {
			x = min_of(ops[i], backend_name[be]) / floor;
			if (isnan(x))
				fprintf(f, " -");
			else
				fprintf(f, " %.6g", x);
		}
		fputc('\n', f);
	}
	fprintf(f, "\n\n# target off met\n");
	for (i = 0; i < NR_TARGETS; i++) {
		x = off_by(&targets[i]);
		if (isnan(x))
			fprintf(f, "\"%s\" - -\n", targets[i].label);
		else
			fprintf(f, "\"%s\" %.6g %d\n", targets[i].label, x, x <= 1);
	}
}

/* Whether any of issues 7 and 9's targets has a value in this run. */
static bool any_target(void)
{
	int i;

	for (i = 0; i < NR_TARGETS; i++)
		if (!isnan(targets[i].value))
			return true;
	return false;
}

void report(uint64_t size, uint64_t guest_size, const uint64_t *restore_sizes,
	    int nr_restore, int reps)
{
	int i;

	compute_targets(reps);
	build_tables(size, reps);
	guest_tables(guest_size, reps);
	qemu_tables(guest_size, reps);
	restore_tables(restore_sizes, nr_restore, reps);

	printf("@@@ FILE table.txt\n");
	for (i = 0; i < ninfo; i++)
		printf("# %s\n", infos[i]);
	printf("\n");
	for (i = 0; i < ntables; i++)
		if (!table_empty(&tables[i]))
			print_text(stdout, &tables[i]);
	if (any_target())
		print_targets(stdout, false);
	printf("@@@ END\n@@@ FILE table.md\n");
	for (i = 0; i < ntables; i++)
		if (!table_empty(&tables[i]))
			print_md(stdout, &tables[i]);
	if (any_target())
		print_targets(stdout, true);
	printf("@@@ END\n@@@ FILE summary.csv\n");
	print_csv(stdout);
	printf("@@@ END\n@@@ FILE results.json\n");
	print_json(stdout, size, reps);
	printf("@@@ END\n@@@ FILE chart.dat\n");
	print_chart(stdout);
	printf("@@@ END\n");
	fflush(stdout);
}
