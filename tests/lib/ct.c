// SPDX-License-Identifier: GPL-2.0
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "check.h"
#include "ct.h"
#include "modctl.h"

static const char *ct_ko(void)
{
	static char path[PATH_MAX];
	const char *env = getenv("GMEM_TEST_KO"), *ko, *slash;

	if (env && *env)
		return env;
	ko = getenv("GMEM_KO");
	if (!ko || !*ko)
		test_skip("neither GMEM_TEST_KO nor GMEM_KO is set: cannot find gmem_test.ko");
	slash = strrchr(ko, '/');
	snprintf(path, sizeof(path), "%.*s/%s.ko",
		 slash ? (int)(slash - ko) : 1, slash ? ko : ".", CT_NAME);
	if (access(path, R_OK))
		FAIL("%s: %s (the test consumer is built with gmem)", path,
		     errno_name(errno));
	return path;
}

static void ct_load(void)
{
	int ret = modctl_load(ct_ko(), NULL);

	if (ret)
		FAIL("loading %s: %s", ct_ko(), errno_name(-ret));
	ASSERT_TRUE(modctl_is_live(CT_NAME));
}

int ct_open(void)
{
	if (!modctl_is_live(CT_NAME))
		ct_load();
	return ASSERT_SYS(open(CT_DEV, O_RDWR | O_CLOEXEC));
}

int ct_unload(void)
{
	double end = now_s() + 5;
	int ret;

	/* fds of the test may still be closing */
	while ((ret = modctl_unload(CT_NAME)) == -EWOULDBLOCK &&
	       now_s() < end)
		usleep(10 * 1000);
	return ret;
}

void ct_cleanup(void)
{
	int ret;

	if (modctl_is_live(CT_NAME) || modctl_refcnt(CT_NAME) >= 0) {
		ret = ct_unload();
		if (ret)
			FAIL("unloading %s after the test: %s", CT_NAME,
			     errno_name(-ret));
	}
	if (!modctl_is_live("gmem"))
		FAIL("gmem is not loaded after the test");
}

int ct_bind_raw(int ct, int fd, uint64_t start, uint64_t nr, uint32_t *slot)
{
	struct gmem_test_bind args = {
		.fd = fd, .start = start, .nr_pages = nr, .slot = UINT32_MAX,
	};
	int ret = ioctl(ct, GMEM_TEST_BIND, &args);

	if (slot)
		*slot = args.slot;
	return ret;
}

uint32_t ct_bind_at(const char *file, int line, int ct, int fd,
		    uint64_t start, uint64_t nr)
{
	uint32_t slot;

	if (ct_bind_raw(ct, fd, start, nr, &slot)) {
		test_fail_at(file, line, "binding pages [%llu, %llu) of fd %d: %s",
			     (unsigned long long)start,
			     (unsigned long long)(start + nr), fd,
			     errno_name(errno));
		test_end();
	}
	return slot;
}

void ct_unbind(int ct, uint32_t slot)
{
	if (ioctl(ct, GMEM_TEST_UNBIND, &slot))
		FAIL("unbinding slot %u: %s", slot, errno_name(errno));
}

struct gmem_test_resolve ct_resolve(int ct, uint32_t slot, uint64_t index)
{
	return ct_resolve_flags(ct, slot, index, 0);
}

struct gmem_test_resolve ct_resolve_flags(int ct, uint32_t slot,
					  uint64_t index, uint32_t flags)
{
	struct gmem_test_resolve args = {
		.slot = slot, .index = index, .err = 1, .max_order = -2,
		.node = -2, .folio_order = -2, .flags = flags,
	};

	if (ioctl(ct, GMEM_TEST_RESOLVE, &args))
		FAIL("GMEM_TEST_RESOLVE of slot %u index %llu: %s", slot,
		     (unsigned long long)index, errno_name(errno));
	if (!args.err && (!args.pfn || args.max_order < 0 || args.node < 0 ||
			  args.folio_order < 0))
		FAIL("resolve of %llu: pfn %#llx, max_order %d, node %d, folio order %d",
		     (unsigned long long)index, (unsigned long long)args.pfn,
		     args.max_order, args.node, args.folio_order);
	return args;
}

int ct_resolve_pfn(int ct, uint32_t slot, uint64_t index, uint64_t *pfn)
{
	struct gmem_test_resolve r = ct_resolve(ct, slot, index);

	if (!r.err && pfn)
		*pfn = r.pfn;
	return r.err;
}

int ct_rw(int ct, uint32_t slot, uint64_t index, void *buf, bool write)
{
	struct gmem_test_rw args = {
		.slot = slot, .write = write, .index = index,
		.len = page_size(), .uaddr = (uintptr_t)buf, .err = 1,
	};

	if (ioctl(ct, GMEM_TEST_RW, &args))
		FAIL("GMEM_TEST_RW of slot %u index %llu: %s", slot,
		     (unsigned long long)index, errno_name(errno));
	return args.err;
}

unsigned int ct_events(int ct, struct gmem_test_event *out)
{
	struct gmem_test_events args = {
		.uaddr = (uintptr_t)out, .max = GMEM_TEST_MAX_EVENTS,
	};

	if (ioctl(ct, GMEM_TEST_EVENTS, &args))
		FAIL("GMEM_TEST_EVENTS: %s", errno_name(errno));
	if (args.dropped)
		FAIL("%llu events were dropped",
		     (unsigned long long)args.dropped);
	for (unsigned int i = 1; i < args.count; i++)
		if (out[i].seq <= out[i - 1].seq)
			FAIL("event seq %llu after %llu",
			     (unsigned long long)out[i].seq,
			     (unsigned long long)out[i - 1].seq);
	return args.count;
}
