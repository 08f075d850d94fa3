/* SPDX-License-Identifier: MIT */
/* Landlock, a second wall behind the mounts: the program may open only what the sandbox's own
 * tree and its grants hold. It stops what mounts cannot: reopening, through /proc/self/fd, a host
 * file an fd points at (the caller's stdout file, read back), and it scopes signals and
 * abstract unix sockets to the sandbox (ABI 6). Applied when the kernel has it; a kernel
 * without Landlock still has every other layer. */
#pragma once

#include <stddef.h>

enum sbx_ll_class {
	SBX_LL_RO,      /* read files and directories, execute */
	SBX_LL_RW,      /* everything, below it */
	SBX_LL_DEV,     /* read and write files (device nodes), ioctl on devices */
	SBX_LL_PROC,    /* read, and write files (e.g. /proc/self/oom_score_adj) */
	SBX_LL_READ,    /* one file: read */
	SBX_LL_WRITE,   /* one file: write */
	SBX_LL_RDWR,    /* one file: read and write */
	SBX_LL_EXEC,    /* one file: read and execute (the program, a #! script) */
	SBX_LL_AS_FD,   /* one file: READ, WRITE or RDWR as its fd was opened (stdio), read when the
	                   rule is applied, from the fd the program will hold */
};

struct sbx_ll_rule {
	const char *path; /* inside the new root; NULL: use fd */
	int fd;
	enum sbx_ll_class cls;
};

struct sbx_ll_plan {
	const struct sbx_ll_rule *rules;
	size_t n;
};

/* The highest ABI this code uses (scoped signals and abstract unix sockets): what sbx was
 * built for, shown by `sbx --version` beside what the kernel offers. */
#define SBX_LANDLOCK_ABI_BUILT 6

/* The ABI the kernel offers (0: none). */
int sbx_landlock_abi(void);

/* Child side, after no_new_privs and before seccomp. Returns the ABI applied (> 0), 0 when the
 * kernel has no Landlock, or -errno (a rule that cannot be added fails the launch). */
int sbx_landlock_apply(const struct sbx_ll_plan *plan);
