/* SPDX-License-Identifier: MIT */
/* Why a worker ended. The supervisor's files record facts as they happen (a setup error from
 * the launch channel, a violation from the seccomp listener, a broken request, the time limit,
 * the program's wait status); once the worker is reaped, sbx_exit_decide() turns them into one
 * struct sbx_exit. Several facts can be true at once (a violation kills the sandbox, so init
 * ends by SIGKILL too): the precedence between them lives here and nowhere else. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/protocol.h"
#include "sbx.h"

struct sbx_exit_facts {
	bool setup_error;              /* an ERROR came over the launch channel */
	uint32_t err_step;             /* enum sbx_step */
	int err_errno;
	char err_detail[SBX_LAUNCH_DETAIL_MAX];
	bool have_status;              /* init reported the program's wait status */
	int status;
	bool violation;                /* the seccomp listener saw a call outside the policy */
	char call[256], suggestion[256];
	bool req_violation;            /* a malformed, out-of-state or flooding request */
	char req_why[128];
	bool protocol_error;           /* the launch channel carried something malformed */
	char protocol_why[128];
	bool timed_out;
	bool grace_expired;            /* still running kill_after_ms after a forwarded signal */
	int grace_signal;              /* that signal */
	uint64_t grace_ms;
	bool oom_killed;               /* the memory cgroup's OOM killer killed a process of it */
	bool killed;                   /* the host application killed it */
	bool from_zygote;              /* a zygote's job: its init is not ours to wait for (worker.c) */
	int init_code;                 /* how init itself ended: siginfo si_code (CLD_*) */
	int init_status;               /* and si_status */
};

/* The decided exit and the text its strings point to, kept in the worker: the exit callback's
 * struct sbx_exit is valid as long as this is (sbx.h promises until sbx_worker_free()). */
struct sbx_exit_report {
	struct sbx_exit exit;          /* message, syscall, suggestion: into this struct, never NULL */
	char *message;                 /* owned; NULL when there is none or no memory (exit.message "") */
	char syscall[sizeof(((struct sbx_exit_facts *)0)->call)];
	char suggestion[sizeof(((struct sbx_exit_facts *)0)->suggestion)];
};

/* Decide the exit from the facts, in this order: the launcher's exec failed; the policy was
 * violated; the request protocol was broken; the time limit; the memory cgroup's OOM kill; the
 * launch protocol was broken; a setup step failed; the program's own status; still running
 * after the grace period of a forwarded signal; killed by the host; init ended unexpectedly.
 * program: the host path, for messages. r is overwritten: clear a report decided before. No
 * system calls; the message is allocated, whatever its length. */
void sbx_exit_decide(const struct sbx_exit_facts *f, const char *program, struct sbx_exit_report *r);
/* Free the message; r reads as nothing decided yet. */
void sbx_exit_report_clear(struct sbx_exit_report *r);
