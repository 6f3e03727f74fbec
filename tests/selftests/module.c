// SPDX-License-Identifier: GPL-2.0
/*
 * The module's lifetime: every open /dev/gmem and every gmem fd pins it,
 * it unloads once they are closed, and it loads and unloads cleanly again
 * and again.  These tests load gmem themselves through libkmod from
 * $GMEM_KO, run last, and leave it loaded with default parameters.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "gmemfd.h"
#include "modctl.h"

#define GMEM_NAME	"gmem"
#define RELOAD_ROUNDS	10

/* A test loaded gmem with options that restore() cannot see. */
static bool loaded_with_options;

static const char *ko_path(void)
{
	const char *path = getenv("GMEM_KO");

	if (!path || !*path)
		test_skip("GMEM_KO is not set: cannot reload gmem");
	return path;
}

static int refcnt(void)
{
	int ret = modctl_refcnt(GMEM_NAME);

	if (ret < 0)
		FAIL("refcnt of %s: %s", GMEM_NAME, errno_name(-ret));
	return ret;
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static void load(const char *options)
{
	int ret = modctl_load(ko_path(), options);

	if (ret)
		FAIL("loading %s %s: %s", ko_path(), options ?: "",
		     errno_name(-ret));
	ASSERT_TRUE(modctl_is_live(GMEM_NAME));
	/* devtmpfs creates the node before init_module returns */
	ASSERT_TRUE(exists(GMEM_DEV));
}

static void unload(void)
{
	int ret = modctl_unload(GMEM_NAME);

	if (ret)
		FAIL("unloading %s: %s", GMEM_NAME, errno_name(-ret));
	ASSERT_TRUE(!exists(GMEM_SYSFS));
	/* and removes it before delete_module returns */
	ASSERT_TRUE(!exists(GMEM_DEV));
}

/* Proves the module works: an fd, some memory, all of it given back. */
static void use_once(void)
{
	int fd = gmem_new(4 * MiB);

	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 2 * MiB));
	EXPECT_EQ(gmem_blocks(fd), 2 * MiB / 512);
	ASSERT_SYS(close(fd));
	EXPECT_EQ(refcnt(), 0);
}

/* Cleanup: gmem loaded, with default parameters, for whatever follows. */
static void restore(void)
{
	unsigned long long max;

	if (!getenv("GMEM_KO"))
		return;
	if (modctl_is_live(GMEM_NAME)) {
		if (!loaded_with_options &&
		    !read_ull(GMEM_MAX_SIZE_PARAM, &max) &&
		    max == GMEM_MAX_SIZE_DEFAULT)
			return;
		unload();
	}
	load(NULL);
	loaded_with_options = false;
}

static void refcnt_idle(void)
{
	ASSERT_TRUE(modctl_is_live(GMEM_NAME));
	EXPECT_EQ(refcnt(), 0);
}

static void refcnt_dev(void)
{
	int dev = gmem_open_dev();

	EXPECT_GT(refcnt(), 0);
	ASSERT_SYS(close(dev));
	EXPECT_EQ(refcnt(), 0);
}

static void refcnt_fd(void)
{
	int fd = gmem_new(MiB);		/* /dev/gmem is closed again */

	EXPECT_GT(refcnt(), 0);
	ASSERT_SYS(close(fd));
	EXPECT_EQ(refcnt(), 0);
}

/*
 * Unloading under an open fd would leave its file operations pointing
 * into freed module text: the kernel must refuse (EWOULDBLOCK, "in use").
 */
static void unload_busy(void)
{
	int fd, ret;

	ko_path();		/* skip early if we could not reload */
	fd = gmem_new(4 * MiB);
	ret = modctl_unload(GMEM_NAME);
	if (ret == 0)
		FAIL("gmem unloaded with a gmem fd open");
	EXPECT_EQ(-ret, EWOULDBLOCK);
	EXPECT_TRUE(modctl_is_live(GMEM_NAME));
	EXPECT_TRUE(exists(GMEM_DEV));

	/* the fd is untouched by the attempt */
	ASSERT_SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 2 * MiB));
	EXPECT_EQ(gmem_blocks(fd), 2 * MiB / 512);
	ASSERT_SYS(close(fd));
	EXPECT_EQ(refcnt(), 0);
	unload();
	load(NULL);
}

static void reload(void)
{
	struct stat st;

	ko_path();
	unload();
	EXPECT_EQ(modctl_refcnt(GMEM_NAME), -ENOENT);
	EXPECT_ERRNO(open(GMEM_DEV, O_RDWR | O_CLOEXEC), ENOENT);
	load(NULL);
	ASSERT_SYS(stat(GMEM_DEV, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(st.st_mode & 07777, 0600);
	use_once();
}

static void max_size_param(void)
{
	long pg = page_size();
	int dev;

	ko_path();
	unload();
	load("max_size=2097152");
	EXPECT_EQ(gmem_max_size(), 2 * MiB);

	dev = gmem_open_dev();
	EXPECT_ERRNO(gmem_create_raw(dev, 2 * MiB + pg), EFBIG);
	EXPECT_ERRNO(gmem_create_raw(dev, 4 * MiB), EFBIG);
	ASSERT_SYS(close(ASSERT_SYS(gmem_create_raw(dev, 2 * MiB))));
	ASSERT_SYS(close(dev));
}

static int check_consumers(void)
{
	int ret = gmem_bool_param(GMEM_CHECK_CONSUMERS_PARAM);

	if (ret < 0)
		FAIL("%s: %s", GMEM_CHECK_CONSUMERS_PARAM, errno_name(-ret));
	return ret;
}

/*
 * Set at load only (mode 0444): resolves counted with it on and uncounted
 * with it off must not meet on one binding.  Its default depends on the
 * kernel's CONFIG_DEBUG_VM, which a test cannot read everywhere: it comes
 * back as it was.
 */
static void check_consumers_param(void)
{
	int dflt;

	ko_path();
	dflt = check_consumers();
	loaded_with_options = true;
	unload();
	load("check_consumers=1");
	EXPECT_EQ(check_consumers(), 1);
	EXPECT_ERRNO(open(GMEM_CHECK_CONSUMERS_PARAM, O_WRONLY | O_CLOEXEC),
		     EACCES);
	use_once();

	unload();
	load("check_consumers=0");
	EXPECT_EQ(check_consumers(), 0);
	use_once();

	unload();
	load(NULL);
	loaded_with_options = false;
	EXPECT_EQ(check_consumers(), dflt);
}

static void reload_rounds(void)
{
	ko_path();
	for (int i = 0; i < RELOAD_ROUNDS; i++) {
		unload();
		load(NULL);
		use_once();
	}
}

static const struct test module_tests[] = {
	TEST("refcnt is 0 with nothing open", refcnt_idle),
	TEST("refcnt > 0 while /dev/gmem is open", refcnt_dev),
	TEST("refcnt > 0 while a gmem fd is open", refcnt_fd),
	TEST("unload refused while a gmem fd is open", unload_busy,
	     .cleanup = restore),
	TEST("unload and load: /dev/gmem goes and comes", reload,
	     .cleanup = restore),
	TEST("max_size parameter at load", max_size_param,
	     .cleanup = restore),
	TEST("check_consumers parameter at load, read-only after",
	     check_consumers_param, .cleanup = restore),
	TEST("10 unload/load rounds, each used", reload_rounds,
	     .timeout = 180, .cleanup = restore),
};

DEFINE_SUITE(module_suite, "module", module_tests);
