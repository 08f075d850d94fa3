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
	char paths[2][512]; /* created directories ("" when none) */
	size_t n;
};

/* Create groups named `name` with the given limits (0 = that limit not wanted). Returns 1 when
 * groups were created (description in info), 0 when cgroups are unavailable here (reason in
 * info), or -errno on a real failure (info says what). */
int sbx_cgroup_create(const char *name, uint64_t memory, uint64_t pids, struct sbx_cgroup *cg,
		      char *info, size_t info_len);
/* Move pid into every created group. Returns 0 or -errno. */
int sbx_cgroup_attach(const struct sbx_cgroup *cg, pid_t pid);
/* Remove the groups (after the worker is reaped). Safe to call on an empty struct. */
void sbx_cgroup_destroy(struct sbx_cgroup *cg);
