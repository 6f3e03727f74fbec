// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "hwpoison.h"
#include "modctl.h"

int poison_in_child(unsigned char *p)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		signal(SIGBUS, SIG_DFL);
		_exit(madvise(p, page_size(), MADV_HWPOISON) ? errno : 0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS)
		return 0;	/* told of the loss: it worked */
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void hwpoison_inject_ready(void)
{
	int ret = modctl_probe("hwpoison_inject");

	if (ret == -ENOENT)
		test_skip("no hwpoison_inject module in this guest (GUEST_KMODS)");
	if (ret)
		FAIL("modprobe hwpoison_inject: %s", errno_name(-ret));
	if (access(HWPOISON_CORRUPT_PFN, W_OK)) {
		if (mount("debugfs", HWPOISON_DEBUGFS, "debugfs", 0, NULL) &&
		    errno != EBUSY)
			FAIL("mounting debugfs: %s", errno_name(errno));
		if (access(HWPOISON_CORRUPT_PFN, W_OK))
			FAIL("%s: %s", HWPOISON_CORRUPT_PFN, errno_name(errno));
	}
}
