// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <linux/gmem.h>

#include "common.h"
#include "gmem_test.h"

static void fill32(uint8_t *p, size_t len, uint32_t v)
{
	for (size_t i = 0; i + 4 <= len; i += 4)
		memcpy(p + i, &v, 4);
}

void fill_place(uint8_t *p, size_t len, uint32_t tag, uint64_t off)
{
	for (size_t i = 0; i + 16 <= len; i += 16) {
		uint64_t o = off + i;
		uint32_t w[4] = { tag, (uint32_t)o, (uint32_t)(o >> 32) };
		uint32_t h = tag ^ (uint32_t)(o >> 4) * 0x9e3779b1u ^
			     (uint32_t)(o >> 36);

		h ^= h >> 16;
		h *= 0x7feb352du;
		h ^= h >> 15;
		h *= 0x846ca68bu;
		w[3] = h ^ (h >> 16);
		memcpy(p + i, w, sizeof(w));
	}
}

const uint8_t *guest_image(void)
{
	static uint8_t img[GUEST_MEM_SIZE];
	static bool done;

	if (done)
		return img;
	memcpy(img + GUEST_CODE, guest_blob, GUEST_BLOB_LEN);
	/* Data that names its guest physical address in every 16 bytes. */
	fill_place(img + GUEST_DATA, GUEST_DATA_LEN, IMAGE_TAG, GUEST_DATA);
	fill32(img + GUEST_SHARE_PAGE, GUEST_PAGE, SHARE_FILL);
	fill32(img + GUEST_PUNCH_PAGE, GUEST_PAGE, PUNCH_FILL);
	fill32(img + GUEST_POISON_PAGE, GUEST_PAGE, POISON_FILL);
	done = true;
	return img;
}

uint32_t image_sum(uint32_t gpa, uint32_t len)
{
	return vmm_checksum(guest_image() + gpa, len, gpa);
}

uint32_t zero_sum(uint32_t gpa, uint32_t len)
{
	uint32_t s = SUM_BASIS;

	for (uint32_t i = 0; i < len; i++)
		s = (s ^ (gpa + i)) * SUM_PRIME;
	return s;
}

int gmem_new(uint64_t size, uint32_t flags)
{
	struct gmem_create c = {
		.size = sizeof(c), .flags = flags, .length = size,
	};
	int dev, fd;

	dev = open("/dev/gmem", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		FAIL("open /dev/gmem: %s (is gmem loaded?)", errno_name(errno));
	fd = ioctl(dev, GMEM_CREATE, &c);
	if (fd < 0)
		FAIL("GMEM_CREATE %#llx bytes, flags %#x: %s",
		     (unsigned long long)size, flags, errno_name(errno));
	close(dev);
	return fd;
}

int gmem_convert(int fd, uint64_t off, uint64_t len, uint32_t to)
{
	struct gmem_convert cv = { .offset = off, .length = len, .to = to };

	for (int tries = 0; tries < 200; tries++) {
		if (!ioctl(fd, GMEM_CONVERT, &cv))
			return 0;
		if (errno != EAGAIN)
			return -errno;
		usleep(10 * 1000);
	}
	return -EAGAIN;
}

int gmem_populate(int fd, uint64_t off, const void *src, uint64_t len)
{
	struct gmem_populate p = {
		.offset = off, .length = len, .uaddr = (uintptr_t)src,
	};

	return ioctl(fd, GMEM_POPULATE, &p) ? -errno : 0;
}

int gmem_punch(int fd, uint64_t off, uint64_t len)
{
	return fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			 off, len) ? -errno : 0;
}

int gmem_dirty_log(int fd, uint64_t off, uint64_t len, uint64_t *bitmap,
		   bool clear)
{
	struct gmem_dirty_log d = {
		.offset = off,
		.length = len,
		.bitmap = (uintptr_t)bitmap,
		.flags = clear ? GMEM_DIRTY_LOG_CLEAR : 0,
	};

	if (ioctl(fd, GMEM_DIRTY_LOG, &d))
		return -errno;
	return (int)d.nr_dirty;
}

void *gmem_map(int fd, uint64_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		FAIL("mmap of the gmem fd: %s", errno_name(errno));
	return p;
}

void *gmem_map_aligned(int fd, uint64_t off, uint64_t len, uint64_t align)
{
	uint8_t *area, *at, *p;

	/* Reserve room to slide into alignment, then map over it. */
	area = mmap(NULL, len + align, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (area == MAP_FAILED)
		FAIL("reserving %#llx bytes of address space: %s",
		     (unsigned long long)(len + align), errno_name(errno));
	at = (uint8_t *)(((uintptr_t)area + align - 1) & ~(uintptr_t)(align - 1));
	p = mmap(at, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, off);
	if (p == MAP_FAILED)
		FAIL("mmap of the gmem fd at %p: %s", at, errno_name(errno));
	if (at > area)
		munmap(area, at - area);
	munmap(at + len, area + align - at);
	return p;
}

struct gmem_info gmem_get_info(int fd)
{
	struct gmem_info info;

	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	if (ioctl(fd, GMEM_INFO, &info))
		FAIL("GMEM_INFO: %s", errno_name(errno));
	return info;
}

int gmem_migrate(int fd, uint64_t off, uint64_t len, uint32_t node,
		 uint64_t *moved)
{
	struct gmem_migrate m = { .offset = off, .length = len, .node = node };

	*moved = 0;
	for (int tries = 0; tries < 200; tries++) {
		m.moved = 0;
		if (!ioctl(fd, GMEM_MIGRATE, &m)) {
			*moved += m.moved;
			return 0;
		}
		*moved += m.moved;
		if (errno != EBUSY)
			return -errno;
		usleep(10 * 1000);
	}
	return -EBUSY;
}

void gmem_node_bytes(int fd, uint64_t *bytes, int nr)
{
	char path[64], line[256];
	unsigned long long v;
	FILE *f;
	int node;

	memset(bytes, 0, nr * sizeof(*bytes));
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		FAIL("%s: %s", path, errno_name(errno));
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "gmem-node", 9))
			continue;
		if (sscanf(line, "gmem-node%d: %llu", &node, &v) != 2 ||
		    node < 0 || node >= nr) {
			fclose(f);
			FAIL("%s: unexpected line '%s'", path, line);
		}
		bytes[node] = v;
	}
	fclose(f);
}

static long long buddy_huge_blocks(void)
{
	FILE *f = fopen("/proc/buddyinfo", "re");
	long long blocks = 0, count;
	char line[512], *p;
	int order, n;

	if (!f)
		return -1;
	/* "Node 0, zone   Normal   c0 c1 ... c10" */
	while (fgets(line, sizeof(line), f)) {
		p = strstr(line, "zone");
		if (!p)
			continue;
		p += 4;
		while (*p == ' ')
			p++;
		while (*p && *p != ' ')
			p++;
		for (order = 0; sscanf(p, "%lld%n", &count, &n) == 1; order++) {
			if (order >= 9)
				blocks += count << (order - 9);
			p += n;
		}
	}
	fclose(f);
	return blocks;
}

long long huge_blocks_free(long long want)
{
	long long blocks = buddy_huge_blocks();

	if (blocks >= 0 && blocks < want) {
		write_str("/proc/sys/vm/compact_memory", "1");
		blocks = buddy_huge_blocks();
	}
	return blocks;
}

unsigned long private_pfn(int fd, uint64_t off, int *folio_order)
{
	struct gmem_test_bind b = {
		.fd = fd, .start = off / GUEST_PAGE, .nr_pages = 1,
	};
	struct gmem_test_resolve r = { .index = off / GUEST_PAGE };
	int t = open("/dev/gmem_test", O_RDWR | O_CLOEXEC);

	if (t < 0)
		test_skip("no /dev/gmem_test (gmem_test.ko), which tells a private page's pfn");
	ASSERT_SYS(ioctl(t, GMEM_TEST_BIND, &b));
	r.slot = b.slot;
	ASSERT_SYS(ioctl(t, GMEM_TEST_RESOLVE, &r));
	if (r.err)
		FAIL("gmem_get_pfn of offset %#llx: %s", (unsigned long long)off,
		     errno_name(-r.err));
	ASSERT_SYS(ioctl(t, GMEM_TEST_UNBIND, &b.slot));
	close(t);
	if (folio_order)
		*folio_order = r.folio_order;
	return r.pfn;
}

void hwpoison_need(void)
{
	if (access(HWPOISON_DIR, F_OK))
		mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	if (access(HWPOISON_DIR "/corrupt-pfn", W_OK))
		test_skip("no " HWPOISON_DIR "/corrupt-pfn (hwpoison_inject not loaded)");
}

void hwpoison_pfn(unsigned long pfn)
{
	char pfn_str[32];
	int r;

	snprintf(pfn_str, sizeof(pfn_str), "%lu", pfn);
	r = write_str(HWPOISON_DIR "/corrupt-pfn", pfn_str);
	if (r)
		FAIL("corrupt-pfn %s: %s", pfn_str, errno_name(-r));
}

bool host_can_read(const void *addr)
{
	int fd = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
	char c;
	bool ok;

	if (fd < 0)
		FAIL("open /proc/self/mem: %s", errno_name(errno));
	ok = pread(fd, &c, 1, (uintptr_t)addr) == 1;
	close(fd);
	return ok;
}

unsigned long long gmem_refcnt(void)
{
	unsigned long long v;
	int r = read_ull("/sys/module/gmem/refcnt", &v);

	if (r)
		FAIL("/sys/module/gmem/refcnt: %s", errno_name(-r));
	return v;
}

unsigned long long gmem_refcnt_wait(unsigned long long want)
{
	unsigned long long v = gmem_refcnt();

	for (int i = 0; i < 500 && v != want; i++) {
		usleep(10 * 1000);
		v = gmem_refcnt();
	}
	return v;
}

const char *kvm_flavour(void)
{
	const char *f = getenv("gmem_kvm");

	return f && *f ? f : NULL;
}

bool kvm_is_patched(void)
{
	const char *f = kvm_flavour();

	return f && !strcmp(f, "patched");
}

noreturn void no_gmem_kvm(const char *why)
{
	struct utsname u;

	if (kvm_is_patched())
		FAIL("%s, but gmem_kvm=patched says this KVM has the gmem series", why);
	uname(&u);
	test_skip("%s: this KVM (%s, Linux %s) has no gmem patch series applied",
		  why, kvm_flavour() ?: "gmem_kvm unset", u.release);
}

uint32_t guest_do(const char *file, int line, struct vm *vm, uint32_t cmd,
		  const uint32_t *args, unsigned int nargs)
{
	struct vexit x;
	uint32_t res;

	if (!guest_cmd(vm, cmd, args, nargs, &res, &x)) {
		test_fail_at(file, line, "guest command %u: %s", cmd,
			     vexit_str(&x));
		test_end();
	}
	if (res == RESULT_BAD_CMD) {
		test_fail_at(file, line, "guest refused command %u", cmd);
		test_end();
	}
	return res;
}

uint32_t guest_done(const char *file, int line, struct vm *vm)
{
	struct vexit x;
	uint32_t res;

	if (!guest_finish(vm, &res, &x)) {
		test_fail_at(file, line, "guest did not finish its command: %s",
			     vexit_str(&x));
		test_end();
	}
	return res;
}

void guest_exit(const char *file, int line, struct vm *vm, struct vexit *x,
		uint32_t cmd, const uint32_t *args, unsigned int nargs)
{
	uint32_t res;

	if (guest_cmd(vm, cmd, args, nargs, &res, x)) {
		test_fail_at(file, line,
			     "guest command %u completed (result %#x) instead of exiting",
			     cmd, res);
		test_end();
	}
}

uint8_t *image_anon(void)
{
	uint8_t *mem = mmap(NULL, GUEST_MEM_SIZE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_TRUE(mem != MAP_FAILED);
	memcpy(mem, guest_image(), GUEST_MEM_SIZE);
	return mem;
}

int own_guest_memfd_vm(struct vm *vm, uint8_t *mem)
{
	int fd = vm_create_guest_memfd(vm, GUEST_MEM_SIZE);

	ASSERT_OK(fd < 0 ? fd : 0);
	ASSERT_OK(vm_set_region2(vm, mem, GUEST_MEM_SIZE, fd, 0));
	ASSERT_OK(vm_set_private(vm, GUEST_PUNCH_PAGE, GUEST_PAGE, true));
	ASSERT_OK(vm_add_vcpu(vm));
	return fd;
}

void need_protected_vm(void)
{
	if (!vm_type_supported(KVM_X86_SW_PROTECTED_VM))
		no_gmem_kvm("KVM offers no KVM_X86_SW_PROTECTED_VM");
}

void protected_vm_create(struct vm *vm, void *mem, uint64_t size, int fd,
			 uint64_t off)
{
	int r;

	need_protected_vm();
	ASSERT_OK(vm_create(vm, KVM_X86_SW_PROTECTED_VM));
	r = vm_set_region2(vm, mem, size, fd, off);
	if (r == -EINVAL)
		no_gmem_kvm("KVM refuses a gmem fd as a memslot's guest_memfd (EINVAL)");
	ASSERT_OK(r);
	/* No KVM_SET_MEMORY_ATTRIBUTES: the pages are as gmem has them. */
	ASSERT_OK(vm_enable_map_gpa_exit(vm));
	ASSERT_OK(vm_add_vcpu(vm));
}

void handle_map_gpa(struct vm *vm, int fd, uint64_t off,
		    const struct vexit *x)
{
	struct kvm_run *run = vm->run;
	uint64_t gpa, len;
	bool private;

	if (x->kind != VX_HYPERCALL)
		FAIL("expected a KVM_HC_MAP_GPA_RANGE exit, got %s", vexit_str(x));
	ASSERT_EQ(run->hypercall.nr, GUEST_HC_MAP_GPA_RANGE);
	gpa = run->hypercall.args[0];
	len = run->hypercall.args[1] * GUEST_PAGE;
	private = run->hypercall.args[2] & KVM_MAP_GPA_RANGE_ENCRYPTED;
	test_diag("guest: KVM_HC_MAP_GPA_RANGE %#llx, %llu page(s), to %s (fd offset %#llx)",
		  (unsigned long long)gpa, (unsigned long long)run->hypercall.args[1],
		  private ? "private" : "shared",
		  (unsigned long long)(off + gpa));
	/* One call: gmem's state is KVM's for a gmem memslot. */
	ASSERT_OK(gmem_convert(fd, off + gpa, len,
			       private ? GMEM_PRIVATE : GMEM_SHARED));
	run->hypercall.ret = 0;
}

void guest_map_gpa(const char *file, int line, struct vm *vm, int fd,
		   uint64_t off, uint32_t gpa, uint32_t pages, uint32_t attrs)
{
	struct vexit x;
	uint32_t res;

	guest_exit(file, line, vm, &x, CMD_MAP_GPA,
		   (const uint32_t[]){ gpa, pages, attrs }, 3);
	handle_map_gpa(vm, fd, off, &x);
	res = guest_done(file, line, vm);
	if (res) {
		test_fail_at(file, line, "CMD_MAP_GPA of %#x: result %#x, expected 0",
			     gpa, res);
		test_end();
	}
}

void host_sees_fill(const char *file, int line, const uint8_t *page,
		    uint32_t v)
{
	uint32_t got;

	if (!host_can_read(page)) {
		test_fail_at(file, line, "the host cannot read the shared page at %p",
			     (const void *)page);
		test_end();
	}
	for (unsigned int i = 0; i < GUEST_PAGE; i += 4) {
		memcpy(&got, page + i, 4);
		if (got != v) {
			test_fail_at(file, line, "shared page, offset %#x: %#x, the guest wrote %#x",
				     i, got, v);
			test_end();
		}
	}
}

void guest_poison_exit(const char *file, int line, struct vm *vm,
		       struct vexit *x, uint32_t gpa)
{
	guest_exit(file, line, vm, x, CMD_READ, (const uint32_t[]){ gpa + 4 }, 1);
	test_diag("the guest's next read: %s", vexit_str(x));
	if (x->kind != VX_MEMORY_FAULT) {
		test_fail_at(file, line, "expected a memory fault exit, got %s",
			     vexit_str(x));
		test_end();
	}
	if (x->err != EHWPOISON)
		test_fail_at(file, line, "memory fault exit with %s, expected EHWPOISON",
			     errno_name(x->err));
	if ((x->fault.gpa & ~(GUEST_PAGE - 1ULL)) != gpa)
		test_fail_at(file, line, "memory fault exit at %#llx, expected the page %#x",
			     (unsigned long long)x->fault.gpa, gpa);
}
