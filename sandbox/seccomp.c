/* SPDX-License-Identifier: MIT */
#include "seccomp.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

int sbx_seccomp_load(const struct sock_fprog *prog)
{
	/* The listener lets the broker learn which call broke the policy (a killed process cannot
	 * tell). The kernel creates it close-on-exec, so the program never holds it. */
	long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, prog);
	if (fd < 0)
		return -errno;
	return (int)fd;
}
