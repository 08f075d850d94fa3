/* SPDX-License-Identifier: MIT */
/* The sandbox side of a launch: everything the child needs, prepared by the broker before the
 * clone, and the one function that applies the mechanisms in order. The child runs no code
 * that allocates: in an embedding program another thread may hold the malloc lock at clone. */
#pragma once

#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/protocol.h"
#include "landlock.h"
#include "mount.h"
#include "rlimits.h"

#define SBX_LAUNCH_MAX_SLOTS 128 /* fds 3..130 as the broker numbers them, below SBX_LAUNCH_FD */

/* One fd that crosses into the sandbox and over the exec (a resource, the request channel).
 * Its number inside is the broker's decision, made once in its plan; the sandbox side applies
 * it and never derives a number of its own. */
struct sbx_fd_slot {
	int fd;                   /* the broker's fd before the clone */
	int target;               /* its number inside: >= 3, below SBX_LAUNCH_FD, distinct */
	const char *ro_path;      /* reopen through a read-only mount (sandbox/mount.h), NULL: keep */
	int ro_flags;             /* open flags for that reopen */
};

struct sbx_launch_plan {
	int launch_fd;            /* child end of the launch channel (common/protocol.h); moved
	                             to SBX_LAUNCH_FD inside */
	int broker_fd;            /* broker end: closed first thing in the child */
	int program_fd;           /* the program, opened by the broker; moved to SBX_PROGRAM_FD */
	const struct sbx_fd_slot *slots; /* each moved to its target, which crosses the exec */
	size_t n_slots;           /* at most SBX_LAUNCH_MAX_SLOTS */
	const char *program_path; /* canonical host path: the program is reopened read-only too */
	bool program_shown;       /* the new root shows program_path (/usr, a granted path): it is
	                             found there again after the pivot, for /proc/self/exe and $0 */
	const char *cwd;          /* the working directory inside (after the pivot); NULL: / */
	const char *stdio_ro_path[3]; /* stdio fds that are read-only regular files: reopened read-only */
	int stdio[3];             /* the job's own stdin, stdout, stderr (a batch's pipes), moved to
	                             0, 1, 2; -1: the broker's own */
	bool netns_shared;        /* cloned into an empty network namespace the broker keeps for
	                             many workers (docs/sandbox.md, "Many jobs"): none of our own */
	bool program_is_script;   /* keep program_fd open across exec: the interpreter reads /dev/fd/N */
	bool script_by_path;      /* a script: exec it by program_path when the root shows it there
	                             (its $0 is then that path, not /dev/fd/N) */
	char *const *argv;        /* NULL with deferred_job: the job brings them */
	char *const *envp;
	bool zygote;              /* serve jobs instead of forking a program (sandbox/zygote.h) */
	bool deferred_job;        /* a ready worker (broker/pool.c): the program's process says
	                             READY instead of EXEC and waits in its exec, which the broker
	                             holds until a job (SBX_STEP_JOB, common/protocol.h) */

	uid_t uid;                /* uid/gid inside == host uid/gid the maps point at */
	gid_t gid;
	bool drop_groups;         /* broker is root: setgroups(0) is allowed and wanted */

	const char *hostname;
	const struct sbx_mount_plan *mounts;
	struct sbx_rlimits rlimits;

	bool forbid_setid;        /* the worker writes on the host's filesystems: no set-id bits (setid.h) */
	bool seccomp;             /* a filter follows GO (SBX_LAUNCH_FILTER); false: --no-seccomp */
	const struct sbx_ll_plan *landlock; /* what the program may open (paths inside, fds) */
	bool verbose;             /* each step is traced on stderr as it begins */
	bool no_userns;           /* the fallback plan made no user namespace: capabilities are
	                             verified empty rather than dropped (caps.h) */
	uint64_t skip_steps;      /* 1 << enum sbx_step: steps this place cannot have, left out by
	                             the broker's fallback plan (broker/fallback.h); 0: none */
};

/* Runs in the freshly cloned child (new user, mount, pid, ipc and uts namespaces; it makes its
 * network and cgroup namespaces itself): becomes the sandbox's init, forks the program's process
 * and supervises it. Never returns. Every failure is reported to the broker over the launch
 * channel as SBX_LAUNCH_ERROR with the step (enum sbx_step) that was running. */
_Noreturn void sbx_launch_child(const struct sbx_launch_plan *plan);

/* Tell the broker that a step failed (SBX_LAUNCH_ERROR: step, errno of either sign, an optional
 * detail) on the launch channel fd; best effort, it is the last word of a failing process. */
void sbx_launch_report_error(int fd, enum sbx_step step, int err, const char *detail);

/* Where a ready worker's program's process takes its job's arguments: the same address in the
 * broker (which writes them there, through /proc/PID/mem) as in the process. */
struct sbx_launch_job *sbx_launch_job_area(void);
