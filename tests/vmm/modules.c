// SPDX-License-Identifier: GPL-2.0
/*
 * The patched KVM and gmem as separate modules: kvm.ko looks gmem's
 * functions up when a memslot binds a gmem fd (symbol_get()), so it loads
 * and runs VMs without gmem, gmem loads later and is bound then, and gmem
 * unloads again once nothing is bound, with KVM still loaded.
 *
 * The test unloads kvm_amd, kvm, gmem_test and gmem, and puts them back
 * afterwards (its cleanup), so it runs last.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/memfd.h>

#include "common.h"
#include "suites.h"
#include "sys.h"

static bool mod_loaded(const char *name)
{
	char path[64];

	snprintf(path, sizeof(path), "/sys/module/%s/initstate", name);
	return !access(path, F_OK);
}

/* delete_module(2), waiting up to 5 s for references that are going. */
static int mod_unload(const char *name)
{
	for (int i = 0; i < 500; i++) {
		if (!syscall(SYS_delete_module, name, O_NONBLOCK))
			return 0;
		if (errno == ENOENT)
			return 0;
		if (errno != EWOULDBLOCK && errno != EAGAIN)
			return -errno;
		usleep(10 * 1000);
	}
	return -EBUSY;
}

/* modprobe @name (the initramfs's depmod: our modules from updates/). */
static int mod_probe(const char *name)
{
	char cmd[128];
	int r;

	snprintf(cmd, sizeof(cmd), "modprobe %s", name);
	r = system(cmd);
	return r == 0 ? 0 : -EIO;
}

#define ASSERT_UNLOAD(name)						\
	do {								\
		int r_ = mod_unload(name);				\
		if (r_)							\
			FAIL("unloading %s: %s", name, errno_name(-r_));	\
	} while (0)

#define ASSERT_PROBE(name)						\
	do {								\
		if (mod_probe(name))					\
			FAIL("modprobe %s failed", name);		\
	} while (0)

/* An ordinary VM on anonymous memory: the guest checksums its data. */
static void plain_vm_runs(void)
{
	uint8_t *mem = image_anon();
	struct vm vm;

	ASSERT_OK(vm_create(&vm, KVM_X86_DEFAULT_VM));
	ASSERT_OK(vm_set_region(&vm, mem, GUEST_MEM_SIZE));
	ASSERT_OK(vm_add_vcpu(&vm));
	ASSERT_EQ(GUEST(&vm, CMD_SUM, GUEST_DATA, GUEST_DATA_LEN),
		  image_sum(GUEST_DATA, GUEST_DATA_LEN));
	vm_destroy(&vm);
	munmap(mem, GUEST_MEM_SIZE);
}

/*
 * Without gmem, a software-protected VM still takes KVM's own guest_memfd,
 * and refuses any other fd as one (here a memfd) as stock KVM does.
 */
static void protected_vm_without_gmem(void)
{
	uint8_t *mem = image_anon();
	struct vm vm;
	int fd, mfd;

	ASSERT_OK(vm_create(&vm, KVM_X86_SW_PROTECTED_VM));
	mfd = ASSERT_SYS(memfd_create("not-guest-memfd", MFD_CLOEXEC));
	ASSERT_SYS(ftruncate(mfd, GUEST_MEM_SIZE));
	EXPECT_EQ(vm_set_region2(&vm, mem, GUEST_MEM_SIZE, mfd, 0), -EINVAL);
	close(mfd);
	fd = own_guest_memfd_vm(&vm, mem);
	ASSERT_EQ(GUEST(&vm, CMD_SUM, GUEST_DATA, GUEST_DATA_LEN),
		  image_sum(GUEST_DATA, GUEST_DATA_LEN));
	/* The private page is KVM's own, new and zeroed. */
	ASSERT_EQ(GUEST(&vm, CMD_READ, GUEST_PUNCH_PAGE), 0);
	vm_destroy(&vm);
	close(fd);
	munmap(mem, GUEST_MEM_SIZE);
}

/* A gmem fd bound by a VM: private code and data, checksummed. */
static void gmem_vm_runs(bool *unload_refused)
{
	uint8_t *mem;
	struct vm vm;
	int fd;

	fd = gmem_new(GUEST_MEM_SIZE, GMEM_CREATE_MMAP);
	ASSERT_OK(gmem_populate(fd, 0, guest_image(), GUEST_MEM_SIZE));
	ASSERT_OK(gmem_convert(fd, GUEST_STUBS, GUEST_PAGE, GMEM_SHARED));
	mem = gmem_map(fd, GUEST_MEM_SIZE);
	protected_vm_create(&vm, mem, GUEST_MEM_SIZE, fd, 0);
	ASSERT_EQ(GUEST(&vm, CMD_SUM, GUEST_DATA, GUEST_DATA_LEN),
		  image_sum(GUEST_DATA, GUEST_DATA_LEN));
	munmap(mem, GUEST_MEM_SIZE);
	close(fd);
	/* Only KVM's binding holds gmem now: it cannot go. */
	*unload_refused = syscall(SYS_delete_module, "gmem", O_NONBLOCK) &&
			  (errno == EWOULDBLOCK || errno == EAGAIN);
	ASSERT_EQ(GUEST(&vm, CMD_SUM, GUEST_DATA, GUEST_DATA_LEN),
		  image_sum(GUEST_DATA, GUEST_DATA_LEN));
	vm_destroy(&vm);
}

static void kvm_without_gmem(void)
{
	bool refused = false;

	if (!kvm_is_patched())
		test_skip("needs the patched KVM (gmem_kvm=patched), this is %s",
			  kvm_flavour() ?: "gmem_kvm unset");
	ASSERT_UNLOAD("kvm_amd");
	ASSERT_UNLOAD("kvm");
	ASSERT_UNLOAD("gmem_test");
	ASSERT_UNLOAD("gmem");

	/* The patched KVM loads on its own... */
	ASSERT_PROBE("kvm_amd");
	ASSERT_TRUE(mod_loaded("kvm"));
	if (mod_loaded("gmem"))
		FAIL("modprobe kvm_amd loaded gmem too: kvm.ko depends on it");
	/* ...and runs VMs. */
	plain_vm_runs();
	need_protected_vm();
	protected_vm_without_gmem();
	ASSERT_TRUE(!mod_loaded("gmem"));
	test_diag("without gmem: kvm and kvm_amd loaded, a plain VM and a protected VM on KVM's own guest_memfd ran");

	/* gmem loads later, and a VM binds a gmem fd. */
	ASSERT_PROBE("gmem");
	gmem_vm_runs(&refused);
	EXPECT_TRUE(refused);
	/* Nothing bound any more: gmem goes, and KVM stays. */
	ASSERT_EQ(gmem_refcnt_wait(0), 0);
	ASSERT_UNLOAD("gmem");
	ASSERT_TRUE(mod_loaded("kvm"));
	plain_vm_runs();
	test_diag("gmem loaded later, bound (unloading it refused meanwhile), unloaded with KVM still there");
}

/* Whatever happened, the modules the other tests expect are back. */
static void modules_back(void)
{
	ASSERT_PROBE("gmem");
	ASSERT_PROBE("gmem_test");
	ASSERT_PROBE("kvm_amd");
}

static const struct test modules_tests[] = {
	TEST("the patched KVM loads and runs VMs without gmem; gmem loaded later is bound, and unloads once unbound",
	     kvm_without_gmem, .timeout = 120, .cleanup = modules_back),
};
DEFINE_SUITE(e2e_modules_suite, "e2e-modules", modules_tests);
