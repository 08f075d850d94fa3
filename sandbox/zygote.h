/* SPDX-License-Identifier: MIT */
/* A zygote's loop (docs/sandbox.md, "Zygote"): one job's init cloned per SBX_LAUNCH_JOB. */
#pragma once

#include <sys/types.h>

#include "common/protocol.h"

/* Runs in the job's init just after its clone and never returns: fds are the job's launch channel, stdin, stdout
 * and stderr, still at the numbers they arrived at. */
typedef void (*sbx_zygote_job_fn)(const void *arg, const int fds[4]);

/* Says SBX_LAUNCH_ZYGOTE on chan, then serves SBX_LAUNCH_JOB: each job's arguments go to *job
 * (in the job's init's copy), its init is cloned with the job's four fds, its one-id maps (uid,
 * gid inside to the same ids of the zygote's namespace) are written, and SBX_LAUNCH_STARTED
 * names its pid in our pid namespace, or the errno that kept it from starting (that job's
 * failure only). At the broker's EOF the zygote takes no more jobs and exits once the last has
 * ended. A malformed JOB is reported as an ERROR at SBX_STEP_ZYGOTE and ends the zygote (and
 * with it, pid 1 of their ancestor namespace, every job). */
_Noreturn void sbx_zygote_serve(int chan, uid_t uid, gid_t gid, struct sbx_launch_job *job,
				sbx_zygote_job_fn run_job, const void *arg);
