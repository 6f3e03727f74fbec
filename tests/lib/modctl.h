/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Loading, unloading and inspecting a kernel module through libkmod, for
 * gmem-kmod and the module tests: no insmod or rmmod needed in the guest.
 * Every function returns 0 (or a count) on success and -errno on failure,
 * and logs nothing: callers say what failed.
 */
#ifndef GMEM_TESTS_MODCTL_H
#define GMEM_TESTS_MODCTL_H

#include <stdbool.h>

/* Loads the .ko at @path with @options ("a=1 b=2", or NULL). */
int modctl_load(const char *path, const char *options);

/*
 * Loads module @name the way modprobe does (modules.dep of the running
 * kernel, dependencies first); 0 if it is loaded already, -ENOENT if the
 * kernel has no such module.
 */
int modctl_probe(const char *name);

/* Unloads module @name; -EWOULDBLOCK (EAGAIN) while it is in use. */
int modctl_unload(const char *name);

/* The module's reference count; -ENOENT when it is not loaded. */
int modctl_refcnt(const char *name);

/* Whether module @name is loaded and live (its init has finished). */
bool modctl_is_live(const char *name);

#endif /* GMEM_TESTS_MODCTL_H */
