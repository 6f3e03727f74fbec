// SPDX-License-Identifier: GPL-2.0
/*
 * libgmem-preload.so: an unmodified VMM, or KVM's own selftests, on gmem
 * memory wherever it asks KVM for a guest_memfd.
 *
 *   LD_PRELOAD=/usr/local/lib/gmem/libgmem-preload.so qemu-system-x86_64 ...
 *
 * Needs the patched KVM (scripts/kvm/), which takes a gmem fd wherever a
 * memslot takes a guest_memfd.  The library interposes a handful of libc
 * calls and changes nothing but guest_memfds and the memslots on them:
 *
 * - KVM_CREATE_GUEST_MEMFD on a VM fd: KVM creates its guest_memfd first,
 *   so every argument, flag and VM type gets exactly KVM's verdict and
 *   errno; then a gmem fd of the same size takes its place, at the same
 *   fd number with the same close-on-exec flag.  GUEST_MEMFD_FLAG_MMAP
 *   becomes GMEM_CREATE_MMAP; memory starts shared (GMEM_CREATE_SHARED)
 *   unless the fd is mmap()able without GUEST_MEMFD_FLAG_INIT_SHARED, as
 *   KVM's attributes of a new VM are all shared.  A flag the library does
 *   not know is refused with EINVAL, as an older KVM would.
 * - KVM_SET_USER_MEMORY_REGION2 with such an fd: passed on (the patched
 *   KVM binds the gmem fd), after refusing with EINVAL an fd created on
 *   another VM, as KVM does; a range of the fd that another memslot has
 *   is EEXIST, as KVM says (gmem's EBUSY).  The library remembers the
 *   memslot.
 * - KVM_SET_MEMORY_ATTRIBUTES: the patched KVM refuses attributes over a
 *   gmem memslot (gmem's page state is KVM's there), so the parts of the
 *   range inside those memslots become GMEM_CONVERT on the right offsets
 *   of the fd, and only the rest goes to KVM.  The library keeps each VM's
 *   private ranges as KVM would have them, so a memslot made over a range
 *   set private earlier starts with the fd converted to match, and a
 *   deleted memslot leaves its range's state with KVM.
 * - fallocate(PUNCH_HOLE) on such an fd past its end: KVM's guest_memfd
 *   succeeds (nothing to free), gmem says EINVAL; the library cuts the
 *   range at the end.  Everything else gmem takes as KVM does.
 * - read(), write() and the rest of that family on such an fd: EINVAL or
 *   ESPIPE, as on a guest_memfd (a gmem fd would copy shared pages).
 *
 * For a VMM that takes its RAM from a gmem fd it maps (QEMU's
 * memory-backend-file on /proc/self/fd/N), GMEM_PRELOAD_GMEM_ONLY=1 turns
 * each memslot whose memory lies in a mapping of a GMEM_CREATE_MMAP gmem
 * fd into a gmem-only memslot on that fd (KVM_SET_USER_MEMORY_REGION2
 * with KVM_MEM_GUEST_MEMFD at the mapping's offset): KVM then resolves
 * every guest fault through gmem, with 2 MiB mappings for 2 MiB folios,
 * instead of through the VMM's 4 KiB host mapping.  Linux 6.12's KVM has
 * guest_memfd memslots only in VMs with private memory, so
 * GMEM_PRELOAD_PROTECTED=1 creates a KVM_X86_SW_PROTECTED_VM where the
 * VMM asks for a default VM (its memory starts shared, as a default VM's).
 *
 * Environment: GMEM_PRELOAD_LOG=1 logs each replacement and conversion to
 * stderr (a value starting with / names a file to append to instead);
 * GMEM_PRELOAD_HUGE=1 adds GMEM_CREATE_HUGE (2 MiB folios);
 * GMEM_PRELOAD_DEVICE names the device (default /dev/gmem).
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <linux/falloc.h>
#include <linux/gmem.h>

#include "kvm-abi.h"
#include "table.h"

#define GMEM_EXPORT __attribute__((visibility("default")))

static int (*gmem_real_ioctl)(int fd, unsigned long req, ...);
static int (*gmem_real_close)(int fd);
static int (*gmem_real_dup2)(int oldfd, int newfd);
static int (*gmem_real_dup3)(int oldfd, int newfd, int flags);
static int (*gmem_real_fallocate)(int fd, int mode, off_t off, off_t len);
static ssize_t (*gmem_real_read)(int fd, void *buf, size_t n);
static ssize_t (*gmem_real_write)(int fd, const void *buf, size_t n);
static ssize_t (*gmem_real_pread)(int fd, void *buf, size_t n, off_t off);
static ssize_t (*gmem_real_pwrite)(int fd, const void *buf, size_t n,
				   off_t off);
static ssize_t (*gmem_real_readv)(int fd, const struct iovec *iov, int cnt);
static ssize_t (*gmem_real_writev)(int fd, const struct iovec *iov, int cnt);
static ssize_t (*gmem_real_preadv)(int fd, const struct iovec *iov, int cnt,
				   off_t off);
static ssize_t (*gmem_real_pwritev)(int fd, const struct iovec *iov, int cnt,
				    off_t off);
static ssize_t (*gmem_real_preadv2)(int fd, const struct iovec *iov, int cnt,
				    off_t off, int flags);
static ssize_t (*gmem_real_pwritev2)(int fd, const struct iovec *iov, int cnt,
				     off_t off, int flags);

static pthread_once_t gmem_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t gmem_lock = PTHREAD_MUTEX_INITIALIZER;
static struct gmem_table gmem_table;
/*
 * Set once anything is tracked (under gmem_lock, read without it): until
 * then close(), dup2() and fallocate() take no lock.
 */
static int gmem_active;
static int gmem_logging;
static int gmem_log_fd = STDERR_FILENO;
static bool gmem_only, gmem_protected;
static unsigned long gmem_page_size;

/* Whether variable @name is set to something other than "" or "0". */
static bool gmem_env(const char *name)
{
	const char *v = getenv(name);

	return v && *v && strcmp(v, "0");
}

static void gmem_resolve(void)
{
	const char *log = getenv("GMEM_PRELOAD_LOG");

	gmem_real_ioctl = dlsym(RTLD_NEXT, "ioctl");
	gmem_real_close = dlsym(RTLD_NEXT, "close");
	gmem_real_dup2 = dlsym(RTLD_NEXT, "dup2");
	gmem_real_dup3 = dlsym(RTLD_NEXT, "dup3");
	gmem_real_fallocate = dlsym(RTLD_NEXT, "fallocate");
	gmem_real_read = dlsym(RTLD_NEXT, "read");
	gmem_real_write = dlsym(RTLD_NEXT, "write");
	gmem_real_pread = dlsym(RTLD_NEXT, "pread");
	gmem_real_pwrite = dlsym(RTLD_NEXT, "pwrite");
	gmem_real_readv = dlsym(RTLD_NEXT, "readv");
	gmem_real_writev = dlsym(RTLD_NEXT, "writev");
	gmem_real_preadv = dlsym(RTLD_NEXT, "preadv");
	gmem_real_pwritev = dlsym(RTLD_NEXT, "pwritev");
	gmem_real_preadv2 = dlsym(RTLD_NEXT, "preadv2");
	gmem_real_pwritev2 = dlsym(RTLD_NEXT, "pwritev2");
	gmem_logging = log && *log && strcmp(log, "0");
	if (gmem_logging && log[0] == '/')
		gmem_log_fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	gmem_only = gmem_env("GMEM_PRELOAD_GMEM_ONLY");
	gmem_protected = gmem_env("GMEM_PRELOAD_PROTECTED");
	gmem_page_size = sysconf(_SC_PAGESIZE);
}

static void gmem_init(void)
{
	pthread_once(&gmem_once, gmem_resolve);
}

/* One line to stderr with write(): no stdio state of the program touched. */
__attribute__((format(printf, 1, 2)))
static void gmem_log(const char *fmt, ...)
{
	int saved = errno;
	char buf[512];
	va_list ap;
	int n;

	if (!gmem_logging)
		return;
	n = snprintf(buf, sizeof(buf), "gmem-preload[%d]: ", (int)getpid());
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (gmem_real_write(gmem_log_fd, buf, n) < 0)
		errno = saved;
	errno = saved;
}

static int gmem_fail(int err)
{
	errno = err;
	return -1;
}

/* The gmem file behind @fd, if the library made it. Caller locks. */
static struct gmem_file *gmem_file_of(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		return NULL;
	return gmem_table_file(&gmem_table, st.st_dev, st.st_ino);
}

/* Which KVM_MEMORY_ATTRIBUTE_* @vm takes (0: no private memory). */
static __u64 gmem_vm_attributes(int vm)
{
	int r = gmem_real_ioctl(vm, GMEM_KVM_CHECK_EXTENSION,
				GMEM_KVM_CAP_MEMORY_ATTRIBUTES);

	return r > 0 ? (__u64)r : 0;
}

/* GMEM_CONVERT, retried while a page is briefly busy (ioctl_gmem(2)). */
static int gmem_convert(int fd, __u64 offset, __u64 length, bool priv)
{
	struct gmem_convert c = {
		.offset = offset, .length = length,
		.to = priv ? GMEM_PRIVATE : GMEM_SHARED,
	};
	struct timespec ms = { .tv_nsec = 1000000 };
	int i;

	for (i = 0; i < 2000; i++) {
		if (!gmem_real_ioctl(fd, GMEM_CONVERT, &c))
			return 0;
		if (errno != EAGAIN)
			break;
		if (i < 100)
			sched_yield();
		else
			nanosleep(&ms, NULL);
	}
	gmem_log("GMEM_CONVERT fd %d [%#llx, +%#llx) to %s: %s", fd,
		 (unsigned long long)offset, (unsigned long long)length,
		 priv ? "private" : "shared", strerror(errno));
	return -1;
}

/* The library's reference to a slot's file, checked to be that file still. */
static int gmem_slot_fd(const struct gmem_slot *s)
{
	struct stat st;

	if (fstat(s->fd, &st) || st.st_dev != s->dev || st.st_ino != s->ino) {
		gmem_log("slot %u: fd %d is no longer its gmem file (closed by the program?)",
			 s->id, s->fd);
		return -1;
	}
	return s->fd;
}

static void gmem_drop_slot(const struct gmem_slot *s)
{
	gmem_real_close(s->fd);
}

/* --- KVM_CREATE_GUEST_MEMFD ------------------------------------------ */

/*
 * The numbers of the fds the library made gmem fds of.  A guest_memfd has
 * no read() or write() (see the end of this file), and a gmem fd has: so
 * on those fds they fail here, at the cost of a bit test on every other.
 */
#define GMEM_FD_MARKS	65536
#define GMEM_LONG_BITS	(8 * sizeof(unsigned long))
static unsigned long gmem_fd_marks[GMEM_FD_MARKS / GMEM_LONG_BITS];

static void gmem_fd_mark(int fd, bool on)
{
	unsigned long bit = 1UL << (fd % GMEM_LONG_BITS);

	if (fd < 0 || fd >= GMEM_FD_MARKS)
		return;
	if (on)
		__atomic_fetch_or(&gmem_fd_marks[fd / GMEM_LONG_BITS], bit,
				  __ATOMIC_RELAXED);
	else
		__atomic_fetch_and(&gmem_fd_marks[fd / GMEM_LONG_BITS], ~bit,
				   __ATOMIC_RELAXED);
}

/* Whether @fd is a gmem fd the library made in place of a guest_memfd. */
static bool gmem_fd_is_ours(int fd)
{
	bool ours;

	if (fd < 0 || fd >= GMEM_FD_MARKS ||
	    !(__atomic_load_n(&gmem_fd_marks[fd / GMEM_LONG_BITS],
			      __ATOMIC_RELAXED) & (1UL << (fd % GMEM_LONG_BITS))))
		return false;
	/* Closed behind the library's back (close_range()) and reused? */
	pthread_mutex_lock(&gmem_lock);
	ours = gmem_file_of(fd) != NULL;
	pthread_mutex_unlock(&gmem_lock);
	if (!ours)
		gmem_fd_mark(fd, false);
	return ours;
}

static int gmem_create_guest_memfd(int vm, struct gmem_kvm_create_guest_memfd *arg)
{
	const __u64 known = GMEM_KVM_GUEST_MEMFD_FLAG_MMAP |
			    GMEM_KVM_GUEST_MEMFD_FLAG_INIT_SHARED;
	const char *dev = getenv("GMEM_PRELOAD_DEVICE");
	struct gmem_create c = { .size = GMEM_CREATE_SIZE_VER0 };
	struct gmem_file f;
	struct stat st;
	int kfd, gfd, devfd, fdflags, err;

	/* KVM's verdict first: its errno for anything it refuses. */
	kfd = gmem_real_ioctl(vm, GMEM_KVM_CREATE_GUEST_MEMFD, arg);
	if (kfd < 0)
		return kfd;
	if (arg->flags & ~known) {
		gmem_log("KVM_CREATE_GUEST_MEMFD flags %#llx: gmem has no equivalent for %#llx",
			 (unsigned long long)arg->flags,
			 (unsigned long long)(arg->flags & ~known));
		gmem_real_close(kfd);
		return gmem_fail(EINVAL);
	}
	c.length = arg->size;
	if (arg->flags & GMEM_KVM_GUEST_MEMFD_FLAG_MMAP) {
		c.flags |= GMEM_CREATE_MMAP;
		if (arg->flags & GMEM_KVM_GUEST_MEMFD_FLAG_INIT_SHARED)
			c.flags |= GMEM_CREATE_SHARED;
	} else {
		/* Unmappable: its state only mirrors the VM's attributes. */
		c.flags |= GMEM_CREATE_SHARED;
	}
	if (gmem_env("GMEM_PRELOAD_HUGE"))
		c.flags |= GMEM_CREATE_HUGE;

	devfd = open(dev && *dev ? dev : "/dev/gmem", O_RDWR | O_CLOEXEC);
	gfd = devfd < 0 ? -1 : gmem_real_ioctl(devfd, GMEM_CREATE, &c);
	err = errno;
	if (devfd >= 0)
		gmem_real_close(devfd);
	fdflags = fcntl(kfd, F_GETFD);
	/* The gmem file takes the guest_memfd's number; KVM's file goes. */
	if (gfd < 0 || fdflags < 0 ||
	    gmem_real_dup3(gfd, kfd, fdflags & FD_CLOEXEC ? O_CLOEXEC : 0) < 0 ||
	    fstat(kfd, &st)) {
		if (gfd >= 0)
			err = errno;
		gmem_log("KVM_CREATE_GUEST_MEMFD size %llu: no gmem fd (%s, %s)",
			 (unsigned long long)arg->size,
			 dev && *dev ? dev : "/dev/gmem", strerror(err));
		if (gfd >= 0)
			gmem_real_close(gfd);
		gmem_real_close(kfd);
		return gmem_fail(err);
	}
	gmem_real_close(gfd);
	gmem_fd_mark(kfd, true);

	f.dev = st.st_dev;
	f.ino = st.st_ino;
	f.size = arg->size;
	f.vm = vm;
	pthread_mutex_lock(&gmem_lock);
	err = gmem_table_add_file(&gmem_table, &f);
	if (!err)
		__atomic_store_n(&gmem_active, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&gmem_lock);
	if (err) {
		gmem_real_close(kfd);
		return gmem_fail(-err);
	}
	gmem_log("KVM_CREATE_GUEST_MEMFD size %llu flags %#llx on VM fd %d: gmem fd %d (GMEM_CREATE flags %#x)",
		 (unsigned long long)arg->size, (unsigned long long)arg->flags,
		 vm, kfd, c.flags);
	return kfd;
}

/* --- memslots -------------------------------------------------------- */

struct gmem_mirror {
	const struct gmem_slot *slot;
	int fd;
};

/* A piece of a new memslot takes the state the VM's attributes give it. */
static int gmem_mirror_piece(void *arg, uint64_t start, uint64_t end, bool priv)
{
	struct gmem_mirror *m = arg;

	return gmem_convert(m->fd, m->slot->offset + (start - m->slot->gpa),
			    end - start, priv) ? -errno : 0;
}

/* KVM's own attributes of a gone memslot's range: the VM's, from now on. */
static int gmem_handback_piece(void *arg, uint64_t start, uint64_t end, bool priv)
{
	struct gmem_kvm_attributes a = {
		.address = start, .size = end - start,
		.attributes = priv ? GMEM_KVM_MEMORY_ATTRIBUTE_PRIVATE : 0,
	};
	int vm = *(int *)arg;

	if (gmem_real_ioctl(vm, GMEM_KVM_SET_MEMORY_ATTRIBUTES, &a)) {
		gmem_log("VM fd %d: handing [%#llx, %#llx) back to KVM as %s: %s",
			 vm, (unsigned long long)start, (unsigned long long)end,
			 priv ? "private" : "shared", strerror(errno));
		return -errno;
	}
	return 0;
}

/*
 * The fd of this process on the gmem file (made with GMEM_CREATE_MMAP)
 * that is mapped all over [uaddr, uaddr + size), and in *@offset where
 * uaddr lies in it; -1 if there is none.
 */
static int gmem_mapped_fd(__u64 uaddr, __u64 size, __u64 *offset)
{
	unsigned long long lo, hi, off, ino = 0;
	unsigned int maj, min;
	struct gmem_info gi;
	struct dirent *de;
	char line[4096];
	struct stat st;
	int fd = -1;
	FILE *f;
	DIR *d;

	f = fopen("/proc/self/maps", "re");
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx-%llx %*s %llx %x:%x %llu", &lo, &hi,
			   &off, &maj, &min, &ino) != 6)
			continue;
		if (uaddr >= lo && uaddr < hi)
			break;
		ino = 0;
	}
	if (f)
		fclose(f);
	if (!ino || size > hi - uaddr)
		return -1;
	*offset = off + (uaddr - lo);

	d = opendir("/proc/self/fd");
	while (d && fd < 0 && (de = readdir(d))) {
		int n = atoi(de->d_name);

		if (de->d_name[0] == '.' || n == dirfd(d) || fstat(n, &st) ||
		    st.st_ino != ino || major(st.st_dev) != maj ||
		    minor(st.st_dev) != min)
			continue;
		memset(&gi, 0, sizeof(gi));
		gi.size = sizeof(gi);
		if (!gmem_real_ioctl(n, GMEM_INFO, &gi) &&
		    (gi.create_flags & GMEM_CREATE_MMAP))
			fd = n;
	}
	if (d)
		closedir(d);
	return fd;
}

/*
 * GMEM_PRELOAD_GMEM_ONLY: a memslot of the first address space whose
 * memory is a mapping of a gmem fd becomes a gmem-only memslot on it;
 * 1 if it did (the call's result in *@ret), 0 if the memslot is another.
 */
static int gmem_make_only(int vm, unsigned long req, void *arg, int *ret)
{
	struct gmem_kvm_region2 *r2 = arg, g = { 0 };
	struct gmem_kvm_region *r1 = arg;
	bool v2 = req == GMEM_KVM_SET_USER_MEMORY_REGION2;
	int fd;

	g.slot = v2 ? r2->slot : r1->slot;
	g.flags = v2 ? r2->flags : r1->flags;
	g.guest_phys_addr = v2 ? r2->guest_phys_addr : r1->guest_phys_addr;
	g.memory_size = v2 ? r2->memory_size : r1->memory_size;
	g.userspace_addr = v2 ? r2->userspace_addr : r1->userspace_addr;
	if (!g.memory_size || (g.flags & GMEM_KVM_MEM_GUEST_MEMFD) || g.slot >> 16)
		return 0;
	fd = gmem_mapped_fd(g.userspace_addr, g.memory_size, &g.guest_memfd_offset);
	if (fd < 0)
		return 0;
	g.flags |= GMEM_KVM_MEM_GUEST_MEMFD;
	g.guest_memfd = fd;
	*ret = gmem_real_ioctl(vm, GMEM_KVM_SET_USER_MEMORY_REGION2, &g);
	gmem_log("VM fd %d slot %u: gmem-only memslot [%#llx, +%#llx) on gmem fd %d at %#llx: %s",
		 vm, g.slot, (unsigned long long)g.guest_phys_addr,
		 (unsigned long long)g.memory_size, fd,
		 (unsigned long long)g.guest_memfd_offset,
		 *ret ? strerror(errno) : "made");
	return 1;
}

static int gmem_set_region(int vm, unsigned long req, void *arg)
{
	struct gmem_kvm_region2 *r2 = arg;
	struct gmem_kvm_region *r1 = arg;
	struct gmem_file *file = NULL;
	struct gmem_slot old, s;
	struct gmem_vm *shadow;
	bool had, v2 = req == GMEM_KVM_SET_USER_MEMORY_REGION2;
	__u32 id = v2 ? r2->slot : r1->slot;
	__u64 size = v2 ? r2->memory_size : r1->memory_size;
	int ret, err = 0;

	if (gmem_only && gmem_make_only(vm, req, arg, &ret))
		return ret;
	pthread_mutex_lock(&gmem_lock);
	if (v2 && (r2->flags & GMEM_KVM_MEM_GUEST_MEMFD))
		file = gmem_file_of(r2->guest_memfd);
	if (file && size && file->vm != vm) {
		pthread_mutex_unlock(&gmem_lock);
		gmem_log("VM fd %d slot %u: gmem fd %u was created on VM fd %d: EINVAL, as KVM",
			 vm, id, r2->guest_memfd, file->vm);
		return gmem_fail(EINVAL);
	}
	ret = gmem_real_ioctl(vm, req, arg);
	if (ret) {
		/*
		 * KVM says EEXIST for a range of a guest_memfd another memslot
		 * has; the patched KVM on 7.2 passes on gmem's EBUSY.
		 */
		if (errno == EBUSY && file && size &&
		    gmem_table_file_overlaps(&gmem_table, file->dev, file->ino,
					     r2->guest_memfd_offset,
					     r2->guest_memfd_offset + size)) {
			gmem_log("VM fd %d slot %u: fd %u's range is another memslot's: EEXIST, as KVM",
				 vm, id, r2->guest_memfd);
			errno = EEXIST;
		}
		pthread_mutex_unlock(&gmem_lock);
		return ret;
	}

	had = gmem_table_take_slot(&gmem_table, vm, id, &old);
	shadow = gmem_table_vm(&gmem_table, vm, false);
	if (had && !(file && size) &&
	    (gmem_vm_attributes(vm) & GMEM_KVM_MEMORY_ATTRIBUTE_PRIVATE))
		gmem_vm_walk(shadow, old.gpa, old.gpa + old.size,
			     gmem_handback_piece, &vm);
	if (had) {
		gmem_log("VM fd %d slot %u: gmem memslot gone", vm, id);
		gmem_real_close(old.fd);
	}
	if (file && size) {
		s.vm = vm;
		s.id = id;
		s.gpa = r2->guest_phys_addr;
		s.size = size;
		s.offset = r2->guest_memfd_offset;
		s.dev = file->dev;
		s.ino = file->ino;
		/* Its own reference, out of the way of the program's fds. */
		s.fd = fcntl(r2->guest_memfd, F_DUPFD_CLOEXEC, 256);
		if (s.fd < 0)
			s.fd = fcntl(r2->guest_memfd, F_DUPFD_CLOEXEC, 0);
		if (s.fd < 0) {
			err = errno;
		} else if (gmem_vm_attributes(vm) & GMEM_KVM_MEMORY_ATTRIBUTE_PRIVATE) {
			struct gmem_mirror m = { .slot = &s, .fd = s.fd };

			err = -gmem_vm_walk(shadow, s.gpa, s.gpa + s.size,
					    gmem_mirror_piece, &m);
		}
		if (!err)
			err = -gmem_table_add_slot(&gmem_table, &s);
		if (err) {
			/* Undo: the memslot cannot be tracked or mirrored. */
			struct gmem_kvm_region2 del = *r2;

			del.memory_size = 0;
			gmem_real_ioctl(vm, req, &del);
			if (s.fd >= 0)
				gmem_real_close(s.fd);
			pthread_mutex_unlock(&gmem_lock);
			gmem_log("VM fd %d slot %u: gmem memslot refused: %s",
				 vm, id, strerror(err));
			return gmem_fail(err);
		}
		__atomic_store_n(&gmem_active, 1, __ATOMIC_RELEASE);
		gmem_log("VM fd %d slot %u: gmem memslot [%#llx, +%#llx) on fd %u at %#llx",
			 vm, id, (unsigned long long)s.gpa,
			 (unsigned long long)s.size, r2->guest_memfd,
			 (unsigned long long)s.offset);
	}
	pthread_mutex_unlock(&gmem_lock);
	return 0;
}

/* --- KVM_SET_MEMORY_ATTRIBUTES ---------------------------------------- */

struct gmem_attr_op {
	int vm;
	bool priv;
	__u64 attributes;
	struct gmem_vm *shadow;
};

static int gmem_attr_piece(void *arg, uint64_t gpa, uint64_t end,
			   const struct gmem_slot *s)
{
	struct gmem_attr_op *op = arg;
	int fd;

	if (s) {
		fd = gmem_slot_fd(s);
		if (fd < 0)
			return -EBADF;
		if (gmem_convert(fd, s->offset + (gpa - s->gpa), end - gpa, op->priv))
			return -errno;
		gmem_log("VM fd %d: [%#llx, %#llx) %s: GMEM_CONVERT on slot %u",
			 op->vm, (unsigned long long)gpa,
			 (unsigned long long)end,
			 op->priv ? "private" : "shared", s->id);
	} else {
		struct gmem_kvm_attributes a = {
			.address = gpa, .size = end - gpa,
			.attributes = op->attributes,
		};

		if (gmem_real_ioctl(op->vm, GMEM_KVM_SET_MEMORY_ATTRIBUTES, &a))
			return -errno;
	}
	if (op->shadow)
		return gmem_vm_set(op->shadow, gpa, end, op->priv);
	return 0;
}

static int gmem_set_attributes(int vm, struct gmem_kvm_attributes *a)
{
	struct gmem_attr_op op = {
		.vm = vm, .attributes = a->attributes,
		.priv = a->attributes & GMEM_KVM_MEMORY_ATTRIBUTE_PRIVATE,
	};
	__u64 end = a->address + a->size;
	int ret;

	pthread_mutex_lock(&gmem_lock);
	op.shadow = gmem_table_vm(&gmem_table, vm, true);
	/*
	 * Arguments KVM refuses, and ranges that meet no gmem memslot, are
	 * KVM's business alone (its errno, its attributes).
	 */
	if (a->flags || !a->size || end < a->address ||
	    (a->address | a->size) & (gmem_page_size - 1) ||
	    (a->attributes & ~gmem_vm_attributes(vm)) ||
	    !gmem_table_overlaps(&gmem_table, vm, a->address, end)) {
		ret = gmem_real_ioctl(vm, GMEM_KVM_SET_MEMORY_ATTRIBUTES, a);
		if (!ret && op.shadow)
			gmem_vm_set(op.shadow, a->address, end, op.priv);
		pthread_mutex_unlock(&gmem_lock);
		return ret;
	}
	__atomic_store_n(&gmem_active, 1, __ATOMIC_RELEASE);
	ret = gmem_table_split(&gmem_table, vm, a->address, end,
			       gmem_attr_piece, &op);
	pthread_mutex_unlock(&gmem_lock);
	return ret ? gmem_fail(-ret) : 0;
}

/* --- the interposed calls ---------------------------------------------- */

GMEM_EXPORT int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	gmem_init();

	switch (req) {
	case GMEM_KVM_CREATE_VM:
		/* 6.12 has guest_memfd memslots only in protected VMs. */
		if (gmem_protected && !arg) {
			gmem_log("KVM_CREATE_VM: a KVM_X86_SW_PROTECTED_VM for the default VM");
			arg = (void *)GMEM_KVM_X86_SW_PROTECTED_VM;
		}
		break;
	case GMEM_KVM_CREATE_GUEST_MEMFD:
		return gmem_create_guest_memfd(fd, arg);
	case GMEM_KVM_SET_USER_MEMORY_REGION:
	case GMEM_KVM_SET_USER_MEMORY_REGION2:
		return gmem_set_region(fd, req, arg);
	case GMEM_KVM_SET_MEMORY_ATTRIBUTES:
		return gmem_set_attributes(fd, arg);
	}
	return gmem_real_ioctl(fd, req, arg);
}

/* VM fd @fd is about to go: what the library keeps of it goes first. */
static void gmem_fd_closing(int fd)
{
	if (fd < 0 || !__atomic_load_n(&gmem_active, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&gmem_lock);
	gmem_table_forget_vm(&gmem_table, fd, gmem_drop_slot);
	pthread_mutex_unlock(&gmem_lock);
}

GMEM_EXPORT int close(int fd)
{
	gmem_init();
	gmem_fd_mark(fd, false);
	gmem_fd_closing(fd);
	return gmem_real_close(fd);
}

GMEM_EXPORT int dup2(int oldfd, int newfd)
{
	gmem_init();
	if (oldfd != newfd) {
		gmem_fd_mark(newfd, false);
		gmem_fd_closing(newfd);
	}
	return gmem_real_dup2(oldfd, newfd);
}

GMEM_EXPORT int dup3(int oldfd, int newfd, int flags)
{
	gmem_init();
	if (oldfd != newfd) {
		gmem_fd_mark(newfd, false);
		gmem_fd_closing(newfd);
	}
	return gmem_real_dup3(oldfd, newfd, flags);
}

GMEM_EXPORT int fallocate(int fd, int mode, off_t off, off_t len)
{
	struct gmem_file *f;
	__u64 size = 0;

	gmem_init();
	if (__atomic_load_n(&gmem_active, __ATOMIC_ACQUIRE) &&
	    mode == (FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE) &&
	    off >= 0 && len > 0 && off <= INT64_MAX - len &&
	    !((off | len) & (gmem_page_size - 1))) {
		pthread_mutex_lock(&gmem_lock);
		f = gmem_file_of(fd);
		if (f)
			size = f->size;
		pthread_mutex_unlock(&gmem_lock);
		/* KVM's guest_memfd punches past its end without a word. */
		if (f && (__u64)off >= size)
			return 0;
		if (f && (__u64)(off + len) > size)
			len = size - off;
	}
	return gmem_real_fallocate(fd, mode, off, len);
}

GMEM_EXPORT int fallocate64(int fd, int mode, off_t off, off_t len)
{
	return fallocate(fd, mode, off, len);
}

/* --- read() and write() ---------------------------------------------- */

/*
 * KVM's guest_memfd has no read or write method and cannot seek, so
 * read(), write(), readv() and writev() on it fail with EINVAL and the
 * positioned calls with ESPIPE; upstream's guest_memfd_test checks that.
 * A gmem fd copies shared pages, so on the fds the library made these
 * calls fail here as on KVM's (a dup() of one is plain gmem).
 */
#define GMEM_GUEST_MEMFD_IO(fd, err, call)				\
	do {								\
		gmem_init();						\
		return gmem_fd_is_ours(fd) ? gmem_fail(err) : (call);	\
	} while (0)

GMEM_EXPORT ssize_t read(int fd, void *buf, size_t n)
{
	GMEM_GUEST_MEMFD_IO(fd, EINVAL, gmem_real_read(fd, buf, n));
}

GMEM_EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
	GMEM_GUEST_MEMFD_IO(fd, EINVAL, gmem_real_write(fd, buf, n));
}

GMEM_EXPORT ssize_t readv(int fd, const struct iovec *iov, int cnt)
{
	GMEM_GUEST_MEMFD_IO(fd, EINVAL, gmem_real_readv(fd, iov, cnt));
}

GMEM_EXPORT ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
	GMEM_GUEST_MEMFD_IO(fd, EINVAL, gmem_real_writev(fd, iov, cnt));
}

GMEM_EXPORT ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
	GMEM_GUEST_MEMFD_IO(fd, ESPIPE, gmem_real_pread(fd, buf, n, off));
}

GMEM_EXPORT ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	GMEM_GUEST_MEMFD_IO(fd, ESPIPE, gmem_real_pwrite(fd, buf, n, off));
}

GMEM_EXPORT ssize_t preadv(int fd, const struct iovec *iov, int cnt,
			   off_t off)
{
	GMEM_GUEST_MEMFD_IO(fd, ESPIPE, gmem_real_preadv(fd, iov, cnt, off));
}

GMEM_EXPORT ssize_t pwritev(int fd, const struct iovec *iov, int cnt,
			    off_t off)
{
	GMEM_GUEST_MEMFD_IO(fd, ESPIPE, gmem_real_pwritev(fd, iov, cnt, off));
}

/* Offset -1 is the file position: readv() and writev(), so EINVAL. */
GMEM_EXPORT ssize_t preadv2(int fd, const struct iovec *iov, int cnt,
			    off_t off, int flags)
{
	GMEM_GUEST_MEMFD_IO(fd, off == -1 ? EINVAL : ESPIPE,
			    gmem_real_preadv2(fd, iov, cnt, off, flags));
}

GMEM_EXPORT ssize_t pwritev2(int fd, const struct iovec *iov, int cnt,
			     off_t off, int flags)
{
	GMEM_GUEST_MEMFD_IO(fd, off == -1 ? EINVAL : ESPIPE,
			    gmem_real_pwritev2(fd, iov, cnt, off, flags));
}

/* On 64-bit Linux the *64 names are the same calls. */
GMEM_EXPORT ssize_t pread64(int fd, void *buf, size_t n, off_t off)
{
	return pread(fd, buf, n, off);
}

GMEM_EXPORT ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
	return pwrite(fd, buf, n, off);
}

GMEM_EXPORT ssize_t preadv64(int fd, const struct iovec *iov, int cnt,
			     off_t off)
{
	return preadv(fd, iov, cnt, off);
}

GMEM_EXPORT ssize_t pwritev64(int fd, const struct iovec *iov, int cnt,
			      off_t off)
{
	return pwritev(fd, iov, cnt, off);
}

GMEM_EXPORT ssize_t preadv64v2(int fd, const struct iovec *iov, int cnt,
			       off_t off, int flags)
{
	return preadv2(fd, iov, cnt, off, flags);
}

GMEM_EXPORT ssize_t pwritev64v2(int fd, const struct iovec *iov, int cnt,
				off_t off, int flags)
{
	return pwritev2(fd, iov, cnt, off, flags);
}
