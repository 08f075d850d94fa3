/* SPDX-License-Identifier: MIT */
/* The cause of a worker's end, decided in one readable place (exit.h). */
#include "exit.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "broker/policy/policy.h"

/* The one line for the user. Without memory the exit is still decided, just not described. */
static void say(struct sbx_exit_report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct sbx_exit_report *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&r->message, fmt, ap) < 0)
		r->message = NULL;
	va_end(ap);
	r->exit.message = r->message ? r->message : "";
}

static void exec_failed(const struct sbx_exit_facts *f, const char *program, struct sbx_exit_report *r)
{
	/* Our own code failed to exec (a violation after it can only be its _exit). */
	r->exit.kind = SBX_EXIT_EXEC_FAILED;
	r->exit.error = f->err_errno;
	r->exit.status = f->err_errno == ENOENT ? 127 : 126;
	say(r, "%s: cannot execute inside the sandbox: %s%s", program, strerror(f->err_errno),
	    f->err_errno == ENOENT ? " (for a script: is its interpreter visible inside? see --ro)" : "");
}

static void violation(const struct sbx_exit_facts *f, const char *program, struct sbx_exit_report *r)
{
	r->exit.kind = SBX_EXIT_VIOLATION;
	r->exit.signal = SIGSYS;
	r->exit.status = 128 + SIGSYS;
	snprintf(r->syscall, sizeof(r->syscall), "%s", f->call);
	snprintf(r->suggestion, sizeof(r->suggestion), "%s", f->suggestion);
	/* Refused by design (broker/policy/policy.h): no policy line should allow it; say why
	 * rather than what to add. */
	if (strncmp(f->suggestion, SBX_POLICY_REFUSED, strlen(SBX_POLICY_REFUSED)) == 0)
		say(r, "%s: system call %s not allowed: %s", program, f->call, f->suggestion);
	else
		say(r, "%s: system call %s not allowed by the policy; to allow it, add: %s", program, f->call,
		    f->suggestion[0] ? f->suggestion : "(unknown)");
}

static void killed(struct sbx_exit *e)
{
	e->kind = SBX_EXIT_KILLED;
	e->signal = SIGKILL;
	e->status = 128 + SIGKILL;
}

static void setup_failed(struct sbx_exit *e, int error)
{
	e->kind = SBX_EXIT_SETUP_FAILED;
	e->status = 125;
	e->error = error;
}

static void program_ended(const struct sbx_exit_facts *f, const char *program, struct sbx_exit_report *r)
{
	struct sbx_exit *e = &r->exit;
	if (WIFEXITED(f->status)) {
		e->kind = SBX_EXIT_EXITED;
		e->code = WEXITSTATUS(f->status);
		e->status = e->code;
		return;
	}
	e->kind = SBX_EXIT_SIGNALED;
	e->signal = WTERMSIG(f->status);
	e->status = 128 + e->signal;
	if (e->signal == SIGSYS)
		say(r, "%s: killed by the seccomp filter (a system call of another architecture, e.g. int 0x80, "
		       "or a rule with the kill action)", program);
}

/* The memory group's OOM killer ended it: it killed a process, and the program died of SIGKILL
 * or init did (no status). A child killed while the program went on to exit is not the cause. */
static bool memory_killed(const struct sbx_exit_facts *f)
{
	return f->oom_killed && (!f->have_status || (WIFSIGNALED(f->status) && WTERMSIG(f->status) == SIGKILL));
}

void sbx_exit_decide(const struct sbx_exit_facts *f, const char *program, struct sbx_exit_report *r)
{
	memset(r, 0, sizeof(*r));
	struct sbx_exit *e = &r->exit;
	e->message = "";
	e->syscall = r->syscall;
	e->suggestion = r->suggestion;
	if (f->setup_error && f->err_step == SBX_STEP_EXEC) {
		exec_failed(f, program, r);
	} else if (f->violation) {
		violation(f, program, r);
	} else if (f->req_violation) {
		killed(e);
		say(r, "%s: killed for breaking the broker protocol: %s", program, f->req_why);
	} else if (f->timed_out) {
		e->kind = SBX_EXIT_TIMEOUT;
		e->status = 124;
		say(r, "%s: time limit reached; the sandbox was killed", program);
	} else if (memory_killed(f)) {
		killed(e);
		e->kind = SBX_EXIT_MEMORY;
		say(r, "%s: memory limit reached; the kernel's OOM killer ended %s", program,
		    f->have_status ? "the program" : "the sandbox");
	} else if (f->protocol_error) {
		setup_failed(e, EPROTO);
		say(r, "launch protocol violation (%s); the sandbox was killed", f->protocol_why);
	} else if (f->setup_error) {
		setup_failed(e, f->err_errno);
		say(r, "sandbox setup failed at step '%s'%s%s: %s", sbx_step_name(f->err_step), f->err_detail[0] ? " " : "",
		    f->err_detail, strerror(f->err_errno));
	} else if (f->have_status && (WIFEXITED(f->status) || WIFSIGNALED(f->status))) {
		program_ended(f, program, r);
		/* The program ended by itself, but the memory limit ended others of its processes (a
		 * shell's children): its status stands, and the limit is named all the same. */
		if (f->oom_killed && !r->message)
			say(r, "%s: memory limit reached: the kernel's OOM killer ended processes of the sandbox; the "
			       "program itself ended with status %d", program, e->status);
	} else if (f->grace_expired) {
		killed(e);
		say(r, "%s: still running %llu.%03llu s after signal %d (SIG%s); the sandbox was killed", program,
		    (unsigned long long)(f->grace_ms / 1000), (unsigned long long)(f->grace_ms % 1000), f->grace_signal,
		    sigabbrev_np(f->grace_signal) ? sigabbrev_np(f->grace_signal) : "?");
	} else if (f->killed) {
		killed(e);
		say(r, "%s: killed", program);
	} else if (f->from_zygote) {
		/* A zygote's job ends without a status only when something killed its init: the
		 * zygote's end, which takes every job with it, or a kill from outside. */
		killed(e);
		say(r, "%s: killed: its init ended without the program's status (the zygote that started it ended?)",
		    program);
	} else {
		setup_failed(e, ECHILD);
		say(r, "the sandbox's init ended unexpectedly (%s %d)", f->init_code == CLD_EXITED ? "exit" : "signal",
		    f->init_status);
	}
}

void sbx_exit_report_clear(struct sbx_exit_report *r)
{
	free(r->message);
	memset(r, 0, sizeof(*r));
}
