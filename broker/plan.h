/* SPDX-License-Identifier: MIT */
/* The launch plan: everything a spawn decides, built in one place from the policy and the
 * configuration before the clone (identity, limits, mounts and Landlock rules, the fd slots and
 * their environment, stdio, the program). The sandbox side only applies it (sandbox/launch.h);
 * the seccomp filter follows over the launch channel (filter.c), compiled while the sandbox
 * builds its root. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "broker/fallback.h"
#include "broker/mountplan.h"
#include "broker/program.h"
#include "sandbox/launch.h"
#include "sandbox/rlimits.h"

struct sbx_worker;

#define SBX_MAX_SLOTS (SBX_MAX_RESOURCES + 1) /* the resources and the request channel */
_Static_assert(SBX_MAX_SLOTS <= SBX_LAUNCH_MAX_SLOTS, "the sandbox side takes every slot the plan makes");

struct sbx_plan {
	uid_t uid, gid;                /* inside == on the host */
	bool privileged;               /* the broker runs as root: it writes the maps itself */
	uint64_t memory, pids, time_ms; /* resolved: the caller's, else the policy's; 0: none */
	struct sbx_rlimits rl;
	struct sbx_fs_plan fs;
	struct sbx_fd_slot slots[SBX_MAX_SLOTS]; /* fds owned */
	int slot_grant[SBX_MAX_SLOTS];  /* index into the worker's grants, -1: the request channel */
	size_t n_slots;
	char *env[SBX_MAX_SLOTS + 8];   /* SBX_FD_*, LISTEN_*; owned, NULL-terminated */
	size_t n_env;
	char **envp;                    /* the worker's whole environment; owned */
	char *stdio_ro[3];              /* stdio that is a read-only regular file: its path; owned */
	struct sbx_program prog;        /* fd owned */
	char *program_path;             /* canonical; owned */
	bool program_shown;             /* the sandbox shows program_path at the same place */
	char *cwd;                      /* the caller's directory when the sandbox shows it; owned */
	struct sbx_fallback fb;         /* the layers left out (fallback.h); none unless allowed */
};

/* Build w's plan for PROGRAM. Opens the resources into w->grants and the request channel into
 * w->req.fd (the worker owns those). Returns 0 or -errno with err set. Free with
 * sbx_plan_free() in any case. */
int sbx_plan_build(struct sbx_plan *p, struct sbx_worker *w, const char *program, struct sbx_error *err);

/* The sandbox side's view of the plan (pointers into p and w). */
/* Whether the plan treats stdio fd like any other: not a terminal (which changes the mounts),
 * not a read-only regular file (reopened read-only inside). A ready worker's job needs all
 * three plain (pool.c). */
bool sbx_plan_stdio_plain(int fd);
/* A notice when an argument names a file the program will not find inside (plan.c). */
void sbx_plan_hint_hidden(const struct sbx_plan *p, struct sbx_worker *w, char *const argv[]);
void sbx_plan_launch_view(const struct sbx_plan *p, const struct sbx_worker *w, char *const argv[], int launch_fd,
			  int broker_fd, struct sbx_launch_plan *out, struct sbx_mount_plan *mounts,
			  struct sbx_ll_plan *landlock);

/* What bounds the sandbox's total memory, one line for -v: the memory cgroup when there is
 * one (memory_group), else RLIMIT_AS x RLIMIT_NPROC + its tmpfs sizes (docs/sandbox.md). */
void sbx_plan_memory_bound(const struct sbx_plan *p, bool memory_group, char *buf, size_t len);
void sbx_plan_free(struct sbx_plan *p);

/* Brokered opens hand out fds on the host's own mount, where only Landlock stops a
 * /proc/self/fd/N reopen from widening a grant's mode. landlock_abi: what
 * landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION) returned (< 1: none).
 * 0: nothing to say; 1: run without it (fallback), why names it; -EOPNOTSUPP: refuse, why
 * says why. Pure. */
int sbx_plan_landlock_decide(bool dir_grants, long landlock_abi, bool fallback, char *why, size_t len);

/* grants.c: open every resource of the policy and the configuration into w->grants, each into
 * the next slot of p, plus the request channel when the worker may ask for anything; the
 * SBX_FD_* and LISTEN_* environment. */
int sbx_plan_open_grants(struct sbx_plan *p, struct sbx_worker *w, struct sbx_error *err);
