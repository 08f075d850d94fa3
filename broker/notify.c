/* SPDX-License-Identifier: MIT */
/* seccomp user notification, broker side: receiving and answering notifications, and the
 * worker's listener, which decides what each one means (a violation, a call to record in learn
 * mode, the launcher's own exec, or a brokered call, answered by brokered.c). */
#include "notify.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#include "broker/brokered.h"
#include "broker/filter.h"
#include "broker/policy/policy.h"
#include "broker/worker.h"

int sbx_notify_init(struct sbx_notify *n)
{
	n->req = NULL;
	n->resp = NULL;
	int r = seccomp_notify_alloc(&n->req, &n->resp);
	if (r < 0) {
		/* When the second allocation fails, libseccomp frees the first but leaves the
		 * pointer to it behind: forget both, or sbx_notify_done frees it again. */
		n->req = NULL;
		n->resp = NULL;
		return r;
	}
	return 0;
}

void sbx_notify_done(struct sbx_notify *n)
{
	if (n->req || n->resp)
		seccomp_notify_free(n->req, n->resp);
	n->req = NULL;
	n->resp = NULL;
}

int sbx_notify_receive(struct sbx_notify *n, int fd)
{
	/* RECV blocks when nothing is queued; POLLHUP alone means the filter has no users. */
	struct pollfd p = { .fd = fd, .events = POLLIN };
	if (poll(&p, 1, 0) < 0)
		return errno == EINTR ? 0 : -errno;
	if (!(p.revents & POLLIN))
		return 0;
	/* Raw ioctls: libseccomp 2.5 folds every failure into -ECANCELED, and ENOENT (the task
	 * went away) must not be mistaken for a broken listener. */
	memset(n->req, 0, sizeof(*n->req));
	if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, n->req) < 0)
		return (errno == ENOENT || errno == EINTR) ? 0 : -errno;
	return 1;
}

int sbx_notify_continue(struct sbx_notify *n, int fd)
{
	memset(n->resp, 0, sizeof(*n->resp));
	n->resp->id = n->req->id;
	n->resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	if (ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, n->resp) < 0)
		return errno == ENOENT ? 0 : -errno;
	return 0;
}

/* ---- the worker's listener ---- */

/* The first notification of an exec-none policy is the launcher's own exec of the program (our
 * code, before any untrusted code ran): execveat(SBX_PROGRAM_FD, "", argv, envp, AT_EMPTY_PATH)
 * in the native architecture. */
static bool is_launcher_exec(const struct seccomp_notif *req)
{
	return req->data.arch == seccomp_arch_native() && req->data.nr == SYS_execveat &&
	       req->data.args[0] == (uint64_t)SBX_PROGRAM_FD && req->data.args[4] == AT_EMPTY_PATH;
}

/* execveat with the flags of a ready worker's exec, which every filter sends here whatever the
 * policy (SBX_READY_EXEC_FLAGS); the launcher's own is by SBX_PROGRAM_FD. */
static bool is_ready_flags_exec(const struct seccomp_notif *req)
{
	return req->data.arch == seccomp_arch_native() && req->data.nr == SYS_execveat &&
	       req->data.args[4] == SBX_READY_EXEC_FLAGS;
}

/* The ready worker's own program's process, waiting for its job: held, unanswered, until one
 * comes (job.c). Until the job is handed over (the state READY), its every call of the held
 * exec is held: a signal (SIGSTOP and SIGCONT from a process of the worker's uid, say)
 * interrupts the wait, and the kernel restarts the call with a new notification, which
 * replaces the old one; never let through before the job. Its memory must be writable
 * (chan.c), or no job could be handed over. */
static bool hold_exec(struct sbx_worker *w, const struct seccomp_notif *req)
{
	if (!w->deferred || w->chan.state != SBX_LAUNCH_STATE_READY || req->pid != (uint32_t)w->prog_pid ||
	    req->data.args[0] != (uint64_t)SBX_PROGRAM_FD)
		return false;
	w->listener.exec_pending = false; /* this is the launcher's one exec */
	if (w->mem_fd < 0) {
		w->facts.setup_error = true;
		w->facts.err_step = SBX_STEP_JOB;
		w->facts.err_errno = EPERM;
		snprintf(w->facts.err_detail, sizeof(w->facts.err_detail), "its memory cannot be written");
		sbx_worker_kill(w);
		return true;
	}
	w->held = true;
	w->held_id = req->id;
	if (w->job)
		sbx_job_deliver_or_fail(w);
	else if (w->on_ready)
		w->on_ready(w);
	return true;
}

static void record_call(struct sbx_worker *w, const struct seccomp_notif *req)
{
	if (w->cb.syscall)
		w->cb.syscall(w, req->data.arch, req->data.nr, (const uint64_t *)req->data.args, w->userdata);
}

/* Let a call through (the launcher's exec, learn mode); a listener that fails ends the worker. */
static void let_through(struct sbx_worker *w, int fd)
{
	if (sbx_notify_continue(&w->listener.n, fd) < 0)
		sbx_worker_kill(w);
}

static void violation(struct sbx_worker *w, const struct seccomp_notif *req)
{
	struct sbx_exit_facts *f = &w->facts;
	if (f->violation)
		return;
	f->violation = true;
	/* The prebuilt default filter has no parsed policy behind it: parse it now, to explain. */
	if (!w->policy && sbx_policy_default(&w->owned_policy, NULL) == 0)
		w->policy = w->owned_policy;
	sbx_policy_describe_call(w->policy, req->data.arch, req->data.nr, (const uint64_t *)req->data.args, f->call,
				 sizeof(f->call), f->suggestion, sizeof(f->suggestion));
	sbx_logf(w->log, w->log_userdata, SBX_LOG_DEBUG, "seccomp: blocked %s from pid %u", f->call, req->pid);
}

static void on_listener(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct sbx_worker *w = arg;
	int r = sbx_notify_receive(&w->listener.n, fd);
	if (r == 0) {
		/* Hang-up (nothing uses the filter any more), or the notifying task vanished. */
		struct pollfd p = { .fd = (int)fd, .events = POLLIN };
		if (poll(&p, 1, 0) > 0 && (p.revents & POLLHUP) && !(p.revents & POLLIN))
			sbx_event_freep(&w->listener.ev);
		return;
	}
	if (r < 0) {
		sbx_event_freep(&w->listener.ev);
		snprintf(w->facts.call, sizeof(w->facts.call), "(cannot receive seccomp notification: %s)", strerror(-r));
		w->facts.violation = true;
		sbx_worker_kill(w);
		return;
	}
	const struct seccomp_notif *req = w->listener.n.req;
	if (is_ready_flags_exec(req)) {
		if (hold_exec(w, req))
			return;
		/* Anyone else's call with those flags: as the policy says (let through when it
		 * allows exec, else what follows). */
		if (!w->listener.exec_pending && !w->learn && sbx_filter_exec_allowed(w))
			return let_through(w, (int)fd);
	}
	bool first = w->listener.exec_pending;
	w->listener.exec_pending = false;
	if (first && is_launcher_exec(req)) {
		/* Learn mode records it too: the policy writer knows the first exec is ours. */
		if (w->learn)
			record_call(w, req);
		return let_through(w, (int)fd);
	}
	if (w->learn) {
		record_call(w, req);
		/* A brokered call is answered in learn mode too: a granted directory is not mounted
		 * inside, so letting the open through would learn from a run that failed. */
		if (sbx_brokered_answer(w, (int)fd, req))
			return;
		return let_through(w, (int)fd);
	}
	/* A call the broker answers from the grants (brokered.c); anything else is a violation. */
	if (sbx_brokered_answer(w, (int)fd, req))
		return;
	violation(w, req);
	/* Never answer: the calling thread stays blocked in the kernel until the SIGKILL that ends
	 * the namespace reaches it, so neither this call nor anything after it runs. */
	sbx_worker_kill(w);
}

int sbx_listener_watch(struct sbx_worker *w)
{
	w->listener.ev = event_new(w->base, w->listener.fd, EV_READ | EV_PERSIST, on_listener, w);
	if (!w->listener.ev || event_add(w->listener.ev, NULL) < 0)
		return -ENOMEM;
	return 0;
}
