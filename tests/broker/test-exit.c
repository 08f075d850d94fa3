/* SPDX-License-Identifier: MIT */
/* sbx_exit_decide() (broker/exit.c): why a worker ended, when several facts are true at once.
 * Each case sets the facts that can happen together and compares the whole decision: kind,
 * sbx(1) status, code, signal, errno and the exact message. The statuses are those of the
 * README: the program's own, 128+N for a signal, 159 (128+SIGSYS) for a violation, 124 for the
 * time limit, 125 for setup, 126/127 when the program cannot be executed. TAP. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "broker/exit.h"
#include "tests/tap.h"

#define PROG "/usr/bin/prog"
#define EXITED(c) ((c) << 8)  /* a wait status */
#define KILLED_BY(s) (s)
#define ENOENT_HINT " (for a script: is its interpreter visible inside? see --ro)"

struct want {
	enum sbx_exit_kind kind;
	int status, code, signal, error;
	const char *message, *syscall, *suggestion; /* NULL: "" */
};
/* A decision without syscall and suggestion. */
#define WANT(kind_, status_, code_, signal_, error_, message_)                                  \
	(&(struct want){ .kind = (kind_), .status = (status_), .code = (code_), .signal = (signal_), \
			 .error = (error_), .message = (message_) })

static bool field_is(const char *what, const char *got, const char *want)
{
	if (strcmp(got, want ? want : "") == 0)
		return true;
	tap_diag("%s: \"%s\"", what, got);
	tap_diag("%*s  want \"%s\"", (int)strlen(what), "", want ? want : "");
	return false;
}

static bool int_is(const char *what, int got, int want)
{
	if (got == want)
		return true;
	tap_diag("%s: %d, want %d", what, got, want);
	return false;
}

static void decide_is(const struct sbx_exit_facts *f, const struct want *w, const char *name)
{
	struct sbx_exit_report r;
	memset(&r, 0x5a, sizeof(r)); /* every field must be decided, none left over */
	sbx_exit_decide(f, PROG, &r);
	const struct sbx_exit e = r.exit;
	bool ok = int_is("kind", (int)e.kind, (int)w->kind);
	ok &= int_is("status", e.status, w->status);
	ok &= int_is("code", e.code, w->code);
	ok &= int_is("signal", e.signal, w->signal);
	ok &= int_is("error", e.error, w->error);
	ok &= field_is("message", e.message, w->message);
	ok &= field_is("syscall", e.syscall, w->syscall);
	ok &= field_is("suggestion", e.suggestion, w->suggestion);
	tap_ok(ok, "%s", name);
	sbx_exit_report_clear(&r);
}

/* The facts of the common cases. */
static struct sbx_exit_facts exec_failure(int error)
{
	return (struct sbx_exit_facts){ .setup_error = true, .err_step = SBX_STEP_EXEC, .err_errno = error };
}

static void add_violation(struct sbx_exit_facts *f)
{
	f->violation = true;
	snprintf(f->call, sizeof(f->call), "socket(AF_INET, SOCK_STREAM, 0)");
	snprintf(f->suggestion, sizeof(f->suggestion), "allow socket(AF_INET, *, *)");
}

static void add_status(struct sbx_exit_facts *f, int status)
{
	f->have_status = true;
	f->status = status;
}

/* What init's own end looks like after the broker killed the sandbox. */
static void add_init_killed(struct sbx_exit_facts *f)
{
	f->init_code = CLD_KILLED;
	f->init_status = SIGKILL;
}

static const struct want violation_want = {
	.kind = SBX_EXIT_VIOLATION, .status = 128 + SIGSYS, .signal = SIGSYS,
	.message = PROG ": system call socket(AF_INET, SOCK_STREAM, 0) not allowed by the policy; to allow it, add: "
		   "allow socket(AF_INET, *, *)",
	.syscall = "socket(AF_INET, SOCK_STREAM, 0)",
	.suggestion = "allow socket(AF_INET, *, *)",
};

static void exec_failed_first(void)
{
	/* The launcher's exec failed, and its _exit afterwards was a violation. */
	struct sbx_exit_facts f = exec_failure(ENOENT);
	add_violation(&f);
	add_status(&f, KILLED_BY(SIGSYS));
	add_init_killed(&f);
	decide_is(&f,
		  WANT(SBX_EXIT_EXEC_FAILED, 127, 0, 0, ENOENT,
		       PROG ": cannot execute inside the sandbox: No such file or directory" ENOENT_HINT),
		  "exec failure (ENOENT) before a violation: 127");
	f = exec_failure(EACCES);
	add_violation(&f);
	decide_is(&f,
		  WANT(SBX_EXIT_EXEC_FAILED, 126, 0, 0, EACCES,
		       PROG ": cannot execute inside the sandbox: Permission denied"),
		  "exec failure (EACCES) before a violation: 126");
	f = exec_failure(ENOEXEC);
	f.timed_out = true;
	f.req_violation = true;
	decide_is(&f,
		  WANT(SBX_EXIT_EXEC_FAILED, 126, 0, 0, ENOEXEC,
		       PROG ": cannot execute inside the sandbox: Exec format error"),
		  "exec failure (ENOEXEC) before the time limit and a request violation: 126");
	f = exec_failure(ENOENT);
	f.protocol_error = true;
	snprintf(f.protocol_why, sizeof(f.protocol_why), "STATUS out of state");
	decide_is(&f,
		  WANT(SBX_EXIT_EXEC_FAILED, 127, 0, 0, ENOENT,
		       PROG ": cannot execute inside the sandbox: No such file or directory" ENOENT_HINT),
		  "exec failure before a launch protocol error");
}

static void violation_next(void)
{
	struct sbx_exit_facts f = { 0 };
	add_violation(&f);
	f.timed_out = true;
	add_status(&f, KILLED_BY(SIGKILL));
	add_init_killed(&f);
	decide_is(&f, &violation_want, "violation before the time limit: 159");
	f = (struct sbx_exit_facts){ .req_violation = true, .req_why = "open request out of state" };
	add_violation(&f);
	decide_is(&f, &violation_want, "violation before a request violation");
	/* A setup step other than exec failed: the violation still comes first. */
	f = (struct sbx_exit_facts){ .setup_error = true, .err_step = SBX_STEP_LANDLOCK, .err_errno = EPERM };
	add_violation(&f);
	decide_is(&f, &violation_want, "violation before a setup error");
	f = (struct sbx_exit_facts){ 0 };
	add_violation(&f);
	f.suggestion[0] = '\0';
	decide_is(&f,
		  &(struct want){ .kind = SBX_EXIT_VIOLATION, .status = 159, .signal = SIGSYS,
				  .message = PROG ": system call socket(AF_INET, SOCK_STREAM, 0) not allowed by the "
						  "policy; to allow it, add: (unknown)",
				  .syscall = "socket(AF_INET, SOCK_STREAM, 0)" },
		  "violation without a suggestion says (unknown)");
	f = (struct sbx_exit_facts){ 0 };
	add_violation(&f);
	snprintf(f.call, sizeof(f.call), "ptrace(0, 0, 0, NULL)");
	snprintf(f.suggestion, sizeof(f.suggestion), "refused by design: it reads other processes");
	decide_is(&f,
		  &(struct want){ .kind = SBX_EXIT_VIOLATION, .status = 159, .signal = SIGSYS,
				  .message = PROG ": system call ptrace(0, 0, 0, NULL) not allowed: refused by design: "
						  "it reads other processes",
				  .syscall = "ptrace(0, 0, 0, NULL)",
				  .suggestion = "refused by design: it reads other processes" },
		  "a call no line should allow: the reason, not a line to add");
}

static void request_violation_and_time(void)
{
	struct sbx_exit_facts f = { .req_violation = true, .req_why = "open request out of state", .timed_out = true };
	add_status(&f, KILLED_BY(SIGKILL));
	add_init_killed(&f);
	decide_is(&f,
		  WANT(SBX_EXIT_KILLED, 128 + SIGKILL, 0, SIGKILL, 0,
		       PROG ": killed for breaking the broker protocol: open request out of state"),
		  "request violation before the time limit: 137");
	f = (struct sbx_exit_facts){ .timed_out = true, .protocol_error = true, .protocol_why = "EXEC out of state" };
	add_status(&f, KILLED_BY(SIGKILL));
	f.killed = true;
	decide_is(&f,
		  WANT(SBX_EXIT_TIMEOUT, 124, 0, 0, 0, PROG ": time limit reached; the sandbox was killed"),
		  "time limit before a launch protocol error, a SIGKILL status and a host kill: 124");
}

static void protocol_and_setup(void)
{
	struct sbx_exit_facts f = { .protocol_error = true, .protocol_why = "setup ERROR after EXEC",
				    .setup_error = true, .err_step = SBX_STEP_HOSTNAME, .err_errno = EINVAL,
				    .err_detail = "sbx" };
	add_init_killed(&f);
	decide_is(&f,
		  WANT(SBX_EXIT_SETUP_FAILED, 125, 0, 0, EPROTO,
		       "launch protocol violation (setup ERROR after EXEC); the sandbox was killed"),
		  "launch protocol error before a setup error: 125, EPROTO");
	f = (struct sbx_exit_facts){ .setup_error = true, .err_step = SBX_STEP_IDENTITY, .err_errno = EPERM,
				     .err_detail = "uid 1000" };
	add_status(&f, EXITED(0));
	decide_is(&f,
		  WANT(SBX_EXIT_SETUP_FAILED, 125, 0, 0, EPERM,
		       "sandbox setup failed at step 'taking on the worker's uid/gid' uid 1000: Operation not permitted"),
		  "setup error before the status: 125, the step and its detail");
	f = (struct sbx_exit_facts){ .setup_error = true, .err_step = SBX_STEP_LANDLOCK, .err_errno = EPERM,
				     .killed = true };
	add_status(&f, EXITED(1));
	decide_is(&f,
		  WANT(SBX_EXIT_SETUP_FAILED, 125, 0, 0, EPERM,
		       "sandbox setup failed at step 'landlock': Operation not permitted"),
		  "setup error without detail, before a status and a host kill");
	f = (struct sbx_exit_facts){ .setup_error = true, .err_step = SBX_STEP_SECCOMP, .err_errno = EINVAL };
	add_init_killed(&f);
	decide_is(&f,
		  WANT(SBX_EXIT_SETUP_FAILED, 125, 0, 0, EINVAL,
		       "sandbox setup failed at step 'loading the seccomp filter': Invalid argument"),
		  "setup error alone, init killed");
}

static void status_and_kill(void)
{
	struct sbx_exit_facts f = { .killed = true };
	add_status(&f, EXITED(0));
	decide_is(&f, WANT(SBX_EXIT_EXITED, 0, 0, 0, 0, NULL), "status exit 0 before a host kill");
	f = (struct sbx_exit_facts){ .killed = true };
	add_status(&f, KILLED_BY(SIGKILL));
	decide_is(&f, WANT(SBX_EXIT_SIGNALED, 137, 0, SIGKILL, 0, NULL),
		  "status SIGKILL before a host kill: 137, no message");
	f = (struct sbx_exit_facts){ .killed = true };
	add_init_killed(&f);
	decide_is(&f, WANT(SBX_EXIT_KILLED, 137, 0, SIGKILL, 0, PROG ": killed"),
		  "host kill without a status: 137");
	/* A wait status that is neither an exit nor a signal (stopped) is no end of the program. */
	f = (struct sbx_exit_facts){ .killed = true };
	add_status(&f, 0x137f);
	decide_is(&f, WANT(SBX_EXIT_KILLED, 137, 0, SIGKILL, 0, PROG ": killed"),
		  "a stopped status does not count: host kill");
}

/* The memory group's OOM killer: the cause when it ended the program, named beside the
 * program's own status when it ended only other processes of the sandbox. */
static void memory_limit(void)
{
	struct sbx_exit_facts f = { .oom_killed = true };
	add_status(&f, KILLED_BY(SIGKILL));
	decide_is(&f,
		  WANT(SBX_EXIT_MEMORY, 137, 0, SIGKILL, 0,
		       PROG ": memory limit reached; the kernel's OOM killer ended the program"),
		  "OOM kill of the program: memory, 137");
	f = (struct sbx_exit_facts){ .oom_killed = true };
	add_status(&f, EXITED(0));
	decide_is(&f,
		  WANT(SBX_EXIT_EXITED, 0, 0, 0, 0,
		       PROG ": memory limit reached: the kernel's OOM killer ended processes of the sandbox; "
			    "the program itself ended with status 0"),
		  "OOM kills of other processes while the program exits 0: its status, the limit named");
}

static void nothing_at_all(void)
{
	struct sbx_exit_facts f = { .init_code = CLD_EXITED, .init_status = 1 };
	decide_is(&f,
		  WANT(SBX_EXIT_SETUP_FAILED, 125, 0, 0, ECHILD,
		       "the sandbox's init ended unexpectedly (exit 1)"),
		  "no facts, init exited 1: 125, ECHILD");
	f = (struct sbx_exit_facts){ .init_code = CLD_EXITED, .init_status = 0 };
	decide_is(&f,
		  WANT(SBX_EXIT_SETUP_FAILED, 125, 0, 0, ECHILD,
		       "the sandbox's init ended unexpectedly (exit 0)"),
		  "no facts, init exited 0");
	f = (struct sbx_exit_facts){ .init_code = CLD_KILLED, .init_status = SIGKILL };
	decide_is(&f,
		  WANT(SBX_EXIT_SETUP_FAILED, 125, 0, 0, ECHILD,
		       "the sandbox's init ended unexpectedly (signal 9)"),
		  "no facts, init killed by SIGKILL");
	f = (struct sbx_exit_facts){ .init_code = CLD_DUMPED, .init_status = SIGSEGV };
	add_status(&f, 0x137f);
	decide_is(&f,
		  WANT(SBX_EXIT_SETUP_FAILED, 125, 0, 0, ECHILD,
		       "the sandbox's init ended unexpectedly (signal 11)"),
		  "no facts but a stopped status, init dumped core on SIGSEGV");
}

/* The program's own end maps to the statuses a shell would show. */
static void program_statuses(void)
{
	static const int codes[] = { 0, 1, 3, 124, 125, 126, 127, 159, 255 };
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		struct sbx_exit_facts f = { 0 };
		add_status(&f, EXITED(codes[i]));
		add_init_killed(&f); /* init's own end does not matter once it reported */
		char name[64];
		snprintf(name, sizeof(name), "exit %d: status %d", codes[i], codes[i]);
		decide_is(&f, WANT(SBX_EXIT_EXITED, codes[i], codes[i], 0, 0, NULL), name);
	}
	static const int sigs[] = { SIGHUP, SIGINT, SIGKILL, SIGSEGV, SIGTERM, 64 /* SIGRTMAX */ };
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sbx_exit_facts f = { 0 };
		add_status(&f, KILLED_BY(sigs[i]));
		char name[64];
		snprintf(name, sizeof(name), "signal %d: status %d", sigs[i], 128 + sigs[i]);
		decide_is(&f, WANT(SBX_EXIT_SIGNALED, 128 + sigs[i], 0, sigs[i], 0, NULL), name);
	}
	struct sbx_exit_facts f = { 0 };
	add_status(&f, KILLED_BY(SIGSEGV) | 0x80); /* core dumped */
	decide_is(&f, WANT(SBX_EXIT_SIGNALED, 139, 0, SIGSEGV, 0, NULL), "SIGSEGV with a core: 139");
	/* SIGSYS without a recorded violation: the filter's kill action, or another architecture. */
	f = (struct sbx_exit_facts){ 0 };
	add_status(&f, KILLED_BY(SIGSYS));
	decide_is(&f,
		  WANT(SBX_EXIT_SIGNALED, 159, 0, SIGSYS, 0,
		       PROG ": killed by the seccomp filter (a system call of another architecture, "
			    "e.g. int 0x80, or a rule with the kill action)"),
		  "SIGSYS without a violation: 159 with the reason");
}

/* The message is whole, whatever the lengths of what it quotes (allocated, not cut). */
static void long_strings(void)
{
	char program[1024];
	memset(program, 'p', sizeof(program) - 1);
	program[sizeof(program) - 1] = '\0';
	struct sbx_exit_facts f = { 0 };
	f.violation = true;
	memset(f.call, 'c', sizeof(f.call) - 1);
	memset(f.suggestion, 's', sizeof(f.suggestion) - 1);
	struct sbx_exit_report r;
	memset(&r, 0x5a, sizeof(r));
	sbx_exit_decide(&f, program, &r);
	size_t want = strlen(program) + strlen(": system call ") + 255 +
		      strlen(" not allowed by the policy; to allow it, add: ") + 255;
	tap_ok(strlen(r.exit.message) == want && strncmp(r.exit.message, program, strlen(program)) == 0 &&
		       strlen(r.exit.syscall) == 255 && strlen(r.exit.suggestion) == 255,
	       "a 1023-byte program path and full call and suggestion: the message is whole (%zu bytes)",
	       strlen(r.exit.message));
	sbx_exit_report_clear(&r);
}

int main(void)
{
	exec_failed_first();
	violation_next();
	request_violation_and_time();
	protocol_and_setup();
	status_and_kill();
	memory_limit();
	nothing_at_all();
	program_statuses();
	long_strings();
	return tap_done();
}
