/* SPDX-License-Identifier: MIT */
/* Resource limits, always applied (cgroups come on top where the machine allows them). */
#pragma once

#include <sys/resource.h>

struct sbx_rlimits {
	rlim_t as;      /* address space, bytes */
	rlim_t nproc;   /* processes of the worker's uid (counted per user namespace) */
	rlim_t nofile;
	rlim_t fsize;   /* largest file the worker may write */
	rlim_t core;    /* always 0: a core dump would leave worker memory behind */
};

/* Child side: sets soft = hard = value for each limit. Returns 0 or -errno; on error *which
 * names the limit. */
int sbx_rlimits_apply(const struct sbx_rlimits *l, const char **which);
