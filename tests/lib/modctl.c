// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <libkmod.h>

#include "modctl.h"

static void quiet(void *data, int prio, const char *file, int line,
		  const char *fn, const char *fmt, va_list args)
{
	(void)data, (void)prio, (void)file, (void)line, (void)fn;
	(void)fmt, (void)args;
}

/*
 * A context of its own per call: nothing is cached between calls, so
 * every answer reflects /sys/module as it is now.
 */
static struct kmod_ctx *ctx_new(void)
{
	struct kmod_ctx *ctx = kmod_new(NULL, NULL);

	if (ctx)
		kmod_set_log_fn(ctx, quiet, NULL);
	return ctx;
}

int modctl_load(const char *path, const char *options)
{
	struct kmod_ctx *ctx = ctx_new();
	struct kmod_module *mod;
	int ret;

	if (!ctx)
		return -ENOMEM;
	ret = kmod_module_new_from_path(ctx, path, &mod);
	if (!ret) {
		ret = kmod_module_insert_module(mod, 0, options);
		kmod_module_unref(mod);
	}
	kmod_unref(ctx);
	return ret;
}

int modctl_probe(const char *name)
{
	struct kmod_ctx *ctx = ctx_new();
	struct kmod_list *list = NULL, *l;
	int ret;

	if (!ctx)
		return -ENOMEM;
	ret = kmod_module_new_from_lookup(ctx, name, &list);
	if (!ret && !list)
		ret = -ENOENT;
	kmod_list_foreach(l, list) {
		struct kmod_module *mod = kmod_module_get_module(l);

		ret = kmod_module_probe_insert_module(mod, 0, NULL, NULL,
						      NULL, NULL);
		kmod_module_unref(mod);
		if (ret)
			break;
	}
	kmod_module_unref_list(list);
	kmod_unref(ctx);
	/* an already loaded module is success: KMOD_PROBE_IGNORE_LOADED */
	return ret == -EEXIST ? 0 : ret;
}

/* Runs @op on module @name; its result, or -errno. */
static int with_module(const char *name, int (*op)(struct kmod_module *))
{
	struct kmod_ctx *ctx = ctx_new();
	struct kmod_module *mod;
	int ret;

	if (!ctx)
		return -ENOMEM;
	ret = kmod_module_new_from_name(ctx, name, &mod);
	if (!ret) {
		ret = op(mod);
		kmod_module_unref(mod);
	}
	kmod_unref(ctx);
	return ret;
}

static int remove_op(struct kmod_module *mod)
{
	return kmod_module_remove_module(mod, 0);
}

static int refcnt_op(struct kmod_module *mod)
{
	return kmod_module_get_refcnt(mod);
}

static int initstate_op(struct kmod_module *mod)
{
	return kmod_module_get_initstate(mod);
}

int modctl_unload(const char *name)
{
	return with_module(name, remove_op);
}

int modctl_refcnt(const char *name)
{
	return with_module(name, refcnt_op);
}

bool modctl_is_live(const char *name)
{
	return with_module(name, initstate_op) == KMOD_MODULE_LIVE;
}
