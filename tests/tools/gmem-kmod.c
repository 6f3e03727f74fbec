// SPDX-License-Identifier: GPL-2.0
/*
 * gmem-kmod: load, unload and inspect modules through libkmod, so the test
 * guest needs neither kmod's tools nor a shell-out to insmod.
 *
 *   gmem-kmod load PATH [param=value...]
 *   gmem-kmod unload NAME
 *   gmem-kmod refcnt NAME      prints the module's reference count
 *
 * Exit status 0 on success, 1 on failure (with the errno's name on
 * stderr), 2 on bad usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modctl.h"
#include "sys.h"

static int usage(void)
{
	fprintf(stderr,
		"usage: gmem-kmod load PATH [param=value...]\n"
		"       gmem-kmod unload NAME\n"
		"       gmem-kmod refcnt NAME\n");
	return 2;
}

static int failed(const char *what, const char *arg, int ret)
{
	fprintf(stderr, "gmem-kmod: %s %s: %s (%s)\n", what, arg,
		errno_name(-ret), strerror(-ret));
	return 1;
}

/* The kernel takes module parameters as one space-separated string. */
static char *join(int argc, char **argv)
{
	size_t len = 1;
	char *s;

	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	s = calloc(1, len);
	if (!s)
		return NULL;
	for (int i = 0; i < argc; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

int main(int argc, char **argv)
{
	char *options;
	int ret;

	if (argc < 3)
		return usage();

	if (!strcmp(argv[1], "load")) {
		options = join(argc - 3, argv + 3);
		if (!options)
			return failed("load", argv[2], -ENOMEM);
		ret = modctl_load(argv[2], options);
		free(options);
		return ret ? failed("load", argv[2], ret) : 0;
	}
	if (argc != 3)
		return usage();
	if (!strcmp(argv[1], "unload")) {
		ret = modctl_unload(argv[2]);
		return ret ? failed("unload", argv[2], ret) : 0;
	}
	if (!strcmp(argv[1], "refcnt")) {
		ret = modctl_refcnt(argv[2]);
		if (ret < 0)
			return failed("refcnt", argv[2], ret);
		printf("%d\n", ret);
		return 0;
	}
	return usage();
}
