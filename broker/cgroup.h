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
	const char *memory; /* the one of paths with the memory controller, or NULL */
	bool v2;
};

/* Create groups named `name` with the given limits (0 = that limit not wanted). Returns 1 when
 * groups were created (description in info; release them with sbx_cgroup_destroy), 0 when
 * cgroups are unavailable here (reason in info), or -errno on a real failure (info says what);
 * on 0 and -errno nothing is left to release. */
int sbx_cgroup_create(const char *name, uint64_t memory, uint64_t pids, struct sbx_cgroup *cg,
		      char *info, size_t info_len);
/* Move pid into every created group. Returns 0 or -errno. */
int sbx_cgroup_attach(const struct sbx_cgroup *cg, pid_t pid);
/* How many processes the memory group's OOM killer killed (cgroup v1 memory.oom_control, v2
 * memory.events: oom_kill), 0 without a memory group or when the kernel does not count. */
uint64_t sbx_cgroup_oom_kills(const struct sbx_cgroup *cg);
/* Remove the groups (after the worker is reaped) and free the paths. Safe to call on a zeroed
 * struct, and twice. */
void sbx_cgroup_destroy(struct sbx_cgroup *cg);
