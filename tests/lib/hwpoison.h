/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Memory failure on purpose: MADV_HWPOISON through a mapping, and the
 * hwpoison_inject module's debugfs file for a pfn no mapping reaches.
 */
#ifndef GMEM_TESTS_HWPOISON_H
#define GMEM_TESTS_HWPOISON_H

#define HWPOISON_DEBUGFS	"/sys/kernel/debug"
#define HWPOISON_CORRUPT_PFN	HWPOISON_DEBUGFS "/hwpoison/corrupt-pfn"

/*
 * In a child (the kernel may send the caller SIGBUS): MADV_HWPOISON the
 * page at @p.  0 when it worked, the errno (or -1) otherwise.
 */
int poison_in_child(unsigned char *p);

/*
 * hwpoison_inject loaded and HWPOISON_CORRUPT_PFN writable (debugfs
 * mounted if need be); the test skips without the module, fails otherwise.
 */
void hwpoison_inject_ready(void);

#endif /* GMEM_TESTS_HWPOISON_H */
