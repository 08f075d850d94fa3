/* SPDX-License-Identifier: MIT */
/* cgroups, broker side: a memory and a pids group per worker where the machine allows it
 * (cgroup v1 controllers as root, or a delegated cgroup v2 subtree). Where it does not, the
 * caller is told why and the rlimits stand alone. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct sbx_cgroup {
	char *paths[2];     /* created directories (allocated; freed by sbx_cgroup_destroy) */
	size_t n;
};

/* Create groups named `name` with the given limits (0 = that limit not wanted). Returns 1 when
 * groups were created (description in info; release them with sbx_cgroup_destroy), 0 when
 * cgroups are unavailable here (reason in info), or -errno on a real failure (info says what);
 * on 0 and -errno nothing is left to release. */
int sbx_cgroup_create(const char *name, uint64_t memory, uint64_t pids, struct sbx_cgroup *cg,
		      char *info, size_t info_len);
/* Move pid into every created group. Returns 0 or -errno. */
int sbx_cgroup_attach(const struct sbx_cgroup *cg, pid_t pid);
/* Remove the groups (after the worker is reaped) and free the paths. Safe to call on a zeroed
 * struct, and twice. */
void sbx_cgroup_destroy(struct sbx_cgroup *cg);
