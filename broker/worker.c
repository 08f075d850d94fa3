/* SPDX-License-Identifier: MIT */
/* The supervisor: starts a worker in fresh namespaces and watches it from the caller's libevent
 * loop. Events: the worker's exit (pidfd), the launch channel (setup errors, the seccomp
 * listener, the program's status), seccomp notifications (violations) and the time limit.
 * Whatever the worker does costs the worker only: every failure here kills and reports it. */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "broker/cgroup.h"
#include "broker/env.h"
#include "broker/idrange.h"
#include "broker/internal.h"
#include "broker/notify.h"
#include "broker/policy/policy.h"
#include "broker/program.h"
#include "broker/requests.h"
#include "common/fdpass.h"
#include "common/protocol.h"
#include "common/util.h"
#include "sandbox/launch.h"
#include "sandbox/userns.h"

extern char **environ;

/* The default policy, compiled at build time (gen-default-filter). */
extern const bool sbx_default_filter_usable;
extern const bool sbx_default_exec_allowed;
extern const unsigned short sbx_default_filter_len;
extern const struct sock_filter sbx_default_filter[];

enum worker_state { W_SETUP, W_RUNNING, W_DONE };

struct sbx_worker {
	struct event_base *base;
	const struct sbx_callbacks *cb;
	void *userdata;
	sbx_log_fn log;
	void *log_userdata;
	struct sbx_policy *policy;     /* borrowed from the config, or owned_policy */
	struct sbx_policy *owned_policy;

	pid_t pid;
	int pidfd;
	int chan;                      /* broker end of the launch channel */
	int listener;                  /* seccomp notifications, -1 until EXEC */
	int program_fd_in_child;       /* the fd number the launcher's exec uses */
	struct event *ev_pid, *ev_chan, *ev_listener, *ev_timer;
	struct sbx_notify notify;
	struct sbx_cgroup cg;

	enum worker_state state;
	bool seccomp;
	bool learn;
	bool exec_pending;             /* the launcher's own exec has not been let through yet */
	bool have_status;
	int status;                    /* the program's wait status (from init) */
	bool setup_error;
	uint32_t err_step;
	int err_errno;
	char err_detail[SBX_LAUNCH_DETAIL_MAX];
	bool violation, timed_out, killed, protocol_error;
	char protocol_why[128];
	char call[256], suggestion[256];
	char program[256];
	struct sbx_exit exit;

	/* Resources and run-time requests (common/protocol.h). */
	const struct sbx_config *cfg;  /* borrowed: must outlive the worker */
	struct sbx_resource *res;      /* the policy's resources, then the config's: shallow copies
	                                  (strings owned by the policy and the config); owned array */
	size_t n_res;
	unsigned *res_opens;           /* per res[i]: OPEN requests granted so far */
	int *res_fds;                  /* per res[i]: the broker's own copy for DIR (to open
	                                  below it), -1 otherwise; owned */
	int req_fd;                    /* broker end of the request channel, -1 when none */
	struct event *ev_req;
	enum sbx_req_state req_state;
	uint32_t n_requests, n_granted, burst;
	uint64_t burst_start_ms;
	bool req_violation;
	char req_why[128];
	int id_offset;                 /* taken from cfg's id range, -1 when none */
	int id_lock;                   /* its lock file (idrange.c), -1 when none */
	bool prebuilt;                 /* the build-time default filter; w->policy stays NULL */
};

/* ---- helpers ---- */

static void worker_kill(struct sbx_worker *w)
{
	if (w->pidfd >= 0)
		(void)pidfd_send_signal(w->pidfd, SIGKILL, NULL, 0);
}

static void event_freep(struct event **ev)
{
	if (*ev) {
		event_free(*ev);
		*ev = NULL;
	}
}

static void worker_release_events(struct sbx_worker *w)
{
	event_freep(&w->ev_req);
	event_freep(&w->ev_pid);
	event_freep(&w->ev_chan);
	event_freep(&w->ev_listener);
	event_freep(&w->ev_timer);
}

static void worker_close_fds(struct sbx_worker *w)
{
	sbx_close(&w->req_fd);
	if (w->res_fds && w->cfg)
		for (size_t i = 0; i < w->n_res; i++)
			sbx_close(&w->res_fds[i]);
	sbx_close(&w->chan);
	sbx_close(&w->listener);
	sbx_close(&w->pidfd);
}

/* Everything a worker holds, once its processes are gone (or were never started). */
static void worker_destroy(struct sbx_worker *w)
{
	worker_release_events(w);
	worker_close_fds(w);
	sbx_cgroup_destroy(&w->cg);
	sbx_notify_done(&w->notify);
	sbx_policy_free(w->owned_policy);
	if (w->id_offset >= 0)
		sbx_idrange_release(w->cfg->range_uid, w->id_offset, w->id_lock);
	free(w->res_fds);
	free(w->res_opens);
	free(w->res);
	free(w);
}

static void protocol_violation(struct sbx_worker *w, const char *why)
{
	if (!w->protocol_error) {
		w->protocol_error = true;
		snprintf(w->protocol_why, sizeof(w->protocol_why), "%s", why);
	}
	worker_kill(w);
}

/* ---- launch channel ---- */

static void handle_msg(struct sbx_worker *w, const struct sbx_launch_msg *m, int *fds, size_t n_fds)
{
	if (memchr(m->detail, '\0', sizeof(m->detail)) == NULL)
		return protocol_violation(w, "detail not NUL-terminated");
	switch (m->type) {
	case SBX_LAUNCH_ERROR:
		if (n_fds)
			return protocol_violation(w, "fd passed with ERROR");
		if (m->step == SBX_STEP_NONE || m->step >= SBX_STEP_MAX_ || m->error <= 0 || m->error > 4095)
			return protocol_violation(w, "malformed ERROR");
		if (w->state == W_RUNNING && m->step != SBX_STEP_EXEC)
			return protocol_violation(w, "setup ERROR after EXEC");
		if (w->setup_error || w->have_status || w->state == W_DONE)
			return protocol_violation(w, "ERROR out of state");
		w->setup_error = true;
		w->err_step = m->step;
		w->err_errno = m->error;
		memcpy(w->err_detail, m->detail, sizeof(w->err_detail));
		break;
	case SBX_LAUNCH_EXEC:
		if (w->state != W_SETUP)
			return protocol_violation(w, "EXEC out of state");
		if (n_fds != (w->seccomp ? 1u : 0u))
			return protocol_violation(w, "EXEC with the wrong number of fds");
		if (w->seccomp) {
			w->listener = fds[0];
			fds[0] = -1;
		}
		w->state = W_RUNNING;
		break;
	case SBX_LAUNCH_STATUS:
		if (n_fds)
			return protocol_violation(w, "fd passed with STATUS");
		if (w->state != W_RUNNING || w->have_status)
			return protocol_violation(w, "STATUS out of state");
		w->have_status = true;
		w->status = m->status;
		break;
	default:
		return protocol_violation(w, "unknown message type");
	}
}

static void on_listener(evutil_socket_t fd, short what, void *arg);

/* Read everything queued on the launch channel. Returns false on EOF or error. */
static bool drain_chan(struct sbx_worker *w)
{
	while (w->chan >= 0) {
		struct sbx_launch_msg m;
		struct sbx_recv rv;
		int r = sbx_recv_fds(w->chan, &m, sizeof(m), MSG_DONTWAIT, &rv);
		if (r < 0)
			return r == -EAGAIN;
		if (rv.len == 0)
			return false;
		if (rv.bad_control || rv.truncated || rv.len != (ssize_t)sizeof(m))
			protocol_violation(w, "malformed launch message");
		else
			handle_msg(w, &m, rv.fds, rv.n_fds);
		sbx_recv_close(&rv); /* what handle_msg took is -1 already */
		if (w->listener >= 0 && !w->ev_listener) {
			w->ev_listener = event_new(w->base, w->listener, EV_READ | EV_PERSIST, on_listener, w);
			if (!w->ev_listener || event_add(w->ev_listener, NULL) < 0)
				protocol_violation(w, "cannot watch the seccomp listener");
		}
	}
	return false;
}

static void on_chan(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct sbx_worker *w = arg;
	if (!drain_chan(w))
		event_freep(&w->ev_chan); /* EOF: the end comes through the pidfd */
}

/* ---- seccomp notifications ---- */

static bool is_launcher_exec(const struct sbx_worker *w, const struct seccomp_notif *req)
{
	return req->data.arch == AUDIT_ARCH_X86_64 && req->data.nr == SYS_execveat &&
	       req->data.args[0] == (uint64_t)w->program_fd_in_child &&
	       req->data.args[4] == AT_EMPTY_PATH;
}

static void on_listener(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct sbx_worker *w = arg;
	int r = sbx_notify_receive(&w->notify, fd);
	if (r == 0) {
		/* Hang-up (nothing uses the filter any more), or the notifying task vanished. */
		struct pollfd p = { .fd = (int)fd, .events = POLLIN };
		if (poll(&p, 1, 0) > 0 && (p.revents & POLLHUP) && !(p.revents & POLLIN))
			event_freep(&w->ev_listener);
		return;
	}
	if (r < 0) {
		event_freep(&w->ev_listener);
		snprintf(w->call, sizeof(w->call), "(cannot receive seccomp notification: %s)", strerror(-r));
		w->violation = true;
		worker_kill(w);
		return;
	}
	const struct seccomp_notif *req = w->notify.req;
	if (w->exec_pending) {
		/* The first notification of an exec-none policy is the launcher's own exec of the
		 * program (our code, before any untrusted code ran). Anything else first is wrong. */
		w->exec_pending = false;
		if (is_launcher_exec(w, req)) {
			/* Learn mode records it too: the policy writer knows the first exec is ours. */
			if (w->learn && w->cb && w->cb->syscall)
				w->cb->syscall(w, req->data.arch, req->data.nr, (const uint64_t *)req->data.args,
					       w->userdata);
			if (sbx_notify_continue(&w->notify, fd) < 0)
				worker_kill(w);
			return;
		}
	}
	if (w->learn) {
		if (w->cb && w->cb->syscall)
			w->cb->syscall(w, req->data.arch, req->data.nr, (const uint64_t *)req->data.args, w->userdata);
		if (sbx_notify_continue(&w->notify, fd) < 0)
			worker_kill(w);
		return;
	}
	if (!w->violation) {
		w->violation = true;
		if (!w->policy && sbx_policy_default(&w->owned_policy, NULL) == 0)
			w->policy = w->owned_policy;
		sbx_policy_describe_call(w->policy, req->data.arch, req->data.nr, (const uint64_t *)req->data.args,
					 w->call, sizeof(w->call), w->suggestion, sizeof(w->suggestion));
		sbx_logf(w->log, w->log_userdata, SBX_LOG_DEBUG, "seccomp: blocked %s from pid %u", w->call, req->pid);
	}
	/* Never answer: the calling thread stays blocked in the kernel until the SIGKILL that ends
	 * the namespace reaches it, so neither this call nor anything after it runs. */
	worker_kill(w);
}

/* ---- run-time requests ---- */

static void audit(struct sbx_worker *w, const char *request, const char *target, bool granted, int error,
		  const char *rule)
{
	struct sbx_audit a = { .request = request, .target = target, .granted = granted, .error = error, .rule = rule };
	sbx_logf(w->log, w->log_userdata, SBX_LOG_DEBUG, "audit: %s %s: %s%s%s (%s)", request, target,
		 granted ? "granted" : "refused", error ? ": " : "", error ? strerror(error) : "", rule ? rule : "");
	if (w->cb && w->cb->audit)
		w->cb->audit(w, &a, w->userdata);
}

static void request_violation(struct sbx_worker *w, const char *why)
{
	if (!w->req_violation) {
		w->req_violation = true;
		snprintf(w->req_why, sizeof(w->req_why), "%s", why);
		audit(w, "protocol", why, false, EPROTO, "malformed, out-of-state or flooding requests kill the worker");
	}
	event_freep(&w->ev_req);
	worker_kill(w);
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Send one reply, never blocking: a worker that does not read its replies is flooding. */
static int send_reply(struct sbx_worker *w, uint32_t type, uint64_t id, int error, const char *name, int fd)
{
	struct sbx_rep rep;
	memset(&rep, 0, sizeof(rep));
	rep.h.type = type;
	rep.h.len = sizeof(rep);
	rep.h.id = id;
	rep.error = error;
	if (name)
		sbx_strlcpy(rep.name, name, sizeof(rep.name));
	return sbx_send_fd(w->req_fd, &rep, sizeof(rep), fd, MSG_DONTWAIT);
}

static void answer_fd(struct sbx_worker *w, const union sbx_req *req, const char *what, const char *target,
		      int fd, const char *rule)
{
	if (fd >= 0 && w->n_granted >= SBX_REQ_FD_QUOTA) {
		close(fd);
		fd = -EMFILE;
		rule = "per-worker fd quota";
	}
	int r = fd >= 0 ? send_reply(w, SBX_REP_FD, req->h.id, 0, NULL, fd)
			: send_reply(w, SBX_REP_ERROR, req->h.id, -fd, NULL, -1);
	audit(w, what, target, fd >= 0, fd >= 0 ? 0 : -fd, rule);
	if (fd >= 0) {
		close(fd); /* the worker has its own copy now */
		w->n_granted++;
	}
	if (r < 0)
		request_violation(w, "worker does not read its replies");
}

static const struct sbx_resource *find_resource(const struct sbx_worker *w, enum sbx_resource_kind kind, const char *name)
{
	for (size_t i = 0; i < w->n_res; i++)
		if (w->res[i].kind == kind && strcmp(w->res[i].name, name) == 0)
			return &w->res[i];
	return NULL;
}

static void handle_request(struct sbx_worker *w, const union sbx_req *req)
{
	char rule[256];
	switch (req->h.type) {
	case SBX_REQ_OPEN: {
		int fd = sbx_req_open(&req->open, w->res, w->n_res, w->res_fds, rule, sizeof(rule));
		/* A grant's own count, on top of the per-worker quota. */
		for (size_t i = 0; fd >= 0 && i < w->n_res; i++) {
			if (w->res[i].kind != SBX_RES_DIR || strcmp(w->res[i].name, req->open.dir) != 0)
				continue;
			if (w->res[i].max_opens && w->res_opens[i] >= w->res[i].max_opens) {
				close(fd);
				fd = -EDQUOT;
				snprintf(rule + strlen(rule), sizeof(rule) - strlen(rule), "; max %u opens reached",
					 w->res[i].max_opens);
			} else {
				w->res_opens[i]++;
			}
		}
		char target[SBX_REQ_NAME_MAX + SBX_REQ_PATH_MAX + 2];
		snprintf(target, sizeof(target), "%s/%s", req->open.dir, req->open.path);
		answer_fd(w, req, "open", target, fd, rule);
		break;
	}
	case SBX_REQ_CAPTURE: {
		const struct sbx_resource *res = find_resource(w, SBX_RES_CAPTURE, req->capture.name);
		int fd;
		if (!res) {
			snprintf(rule, sizeof(rule), "no capture resource named '%s'", req->capture.name);
			fd = -EACCES;
		} else {
			struct sbx_error e;
			memset(&e, 0, sizeof(e));
			snprintf(rule, sizeof(rule), "capture %s=%s%s%s", res->name, res->target, res->filter ? " filter " : "",
				 res->filter ? res->filter : "");
			fd = sbx_capture_open(res->target, res->promisc, res->filter, &e);
		}
		answer_fd(w, req, "capture", req->capture.name, fd, rule);
		break;
	}
	case SBX_REQ_LOG:
		audit(w, "log", req->log.text, true, 0, req->log.level == 2 ? "error" : req->log.level == 1 ? "warning" : "info");
		if (send_reply(w, SBX_REP_OK, req->h.id, 0, NULL, -1) < 0)
			request_violation(w, "worker does not read its replies");
		break;
	case SBX_REQ_DONE:
		w->req_state = SBX_REQ_STATE_LOCKED;
		audit(w, "done", "no further fd requests", true, 0, "state RUN -> LOCKED");
		if (send_reply(w, SBX_REP_OK, req->h.id, 0, NULL, -1) < 0)
			request_violation(w, "worker does not read its replies");
		break;
	}
}

static void on_request(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct sbx_worker *w = arg;
	for (int budget = 64; budget > 0 && w->ev_req; budget--) {
		/* One byte more than the largest message: a longer datagram shows as MSG_TRUNC. */
		char buf[SBX_REQ_MAX + 1];
		struct sbx_recv rv;
		int r = sbx_recv_fds(fd, buf, sizeof(buf), MSG_DONTWAIT, &rv);
		if (r < 0) {
			if (r != -EAGAIN)
				event_freep(&w->ev_req);
			return;
		}
		/* A worker never sends fds: any that came are closed unseen, and counted. */
		size_t n_fds = rv.n_fds + (rv.bad_control ? 1 : 0);
		sbx_recv_close(&rv);
		ssize_t n = rv.len;
		if (n == 0) {
			/* SEQPACKET: 0 is either the worker closing its end or an empty datagram. */
			struct pollfd p = { .fd = fd, .events = POLLRDHUP };
			if (poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP))) {
				event_freep(&w->ev_req);
				return;
			}
			return request_violation(w, "datagram size out of range (empty)");
		}
		uint64_t t = now_ms();
		if (t - w->burst_start_ms >= 1000) {
			w->burst_start_ms = t;
			w->burst = 0;
		}
		if (++w->n_requests > SBX_REQ_QUOTA || ++w->burst > SBX_REQ_BURST)
			return request_violation(w, "request quota exceeded (flooding)");
		union sbx_req req;
		const char *why = NULL;
		if (sbx_req_decode(buf, (size_t)n, n_fds, rv.truncated ? MSG_TRUNC : 0, w->req_state, &req, &why) < 0)
			return request_violation(w, why);
		handle_request(w, &req);
	}
}

SBX_EXPORT int sbx_worker_send_fd(struct sbx_worker *w, const char *name, int fd)
{
	if (!w || !name || fd < 0 || strlen(name) >= SBX_REQ_NAME_MAX)
		return -EINVAL;
	if (w->state == W_DONE || w->req_fd < 0)
		return w->req_fd < 0 ? -ENOTCONN : -ESRCH;
	int r = send_reply(w, SBX_PUSH_FD, 0, 0, name, fd);
	audit(w, "push", name, r == 0, r < 0 ? -r : 0, "sbx_worker_send_fd by the host application");
	return r;
}

/* ---- the end ---- */

static void compute_exit(struct sbx_worker *w, const siginfo_t *si)
{
	struct sbx_exit *e = &w->exit;
	memset(e, 0, sizeof(*e));
	if (w->setup_error && w->err_step == SBX_STEP_EXEC) {
		/* Our own code failed to exec (a violation after it can only be its _exit). */
		e->kind = SBX_EXIT_EXEC_FAILED;
		e->error = w->err_errno;
		e->status = w->err_errno == ENOENT ? 127 : 126;
		snprintf(e->message, sizeof(e->message), "%s: cannot execute inside the sandbox: %s%s", w->program,
			 strerror(w->err_errno),
			 w->err_errno == ENOENT ? " (for a script: is its interpreter visible inside? see --ro)" : "");
	} else if (w->violation) {
		e->kind = SBX_EXIT_VIOLATION;
		e->signal = SIGSYS;
		e->status = 128 + SIGSYS;
		snprintf(e->syscall, sizeof(e->syscall), "%s", w->call);
		snprintf(e->suggestion, sizeof(e->suggestion), "%s", w->suggestion);
		snprintf(e->message, sizeof(e->message), "%s: system call %s not allowed by the policy; to allow it, add: %s",
			 w->program, w->call, w->suggestion[0] ? w->suggestion : "(unknown)");
	} else if (w->req_violation) {
		e->kind = SBX_EXIT_KILLED;
		e->signal = SIGKILL;
		e->status = 128 + SIGKILL;
		snprintf(e->message, sizeof(e->message), "%s: killed for breaking the broker protocol: %s", w->program,
			 w->req_why);
	} else if (w->timed_out) {
		e->kind = SBX_EXIT_TIMEOUT;
		e->status = 124;
		snprintf(e->message, sizeof(e->message), "%s: time limit reached; the sandbox was killed", w->program);
	} else if (w->protocol_error) {
		e->kind = SBX_EXIT_SETUP_FAILED;
		e->status = 125;
		e->error = EPROTO;
		snprintf(e->message, sizeof(e->message), "launch protocol violation (%s); the sandbox was killed",
			 w->protocol_why);
	} else if (w->setup_error) {
		e->kind = SBX_EXIT_SETUP_FAILED;
		e->error = w->err_errno;
		e->status = 125;
		snprintf(e->message, sizeof(e->message), "sandbox setup failed at step '%s'%s%s: %s",
			 sbx_step_name(w->err_step), w->err_detail[0] ? " " : "", w->err_detail, strerror(w->err_errno));
	} else if (w->have_status && WIFEXITED(w->status)) {
		e->kind = SBX_EXIT_EXITED;
		e->code = WEXITSTATUS(w->status);
		e->status = e->code;
	} else if (w->have_status && WIFSIGNALED(w->status)) {
		e->kind = SBX_EXIT_SIGNALED;
		e->signal = WTERMSIG(w->status);
		e->status = 128 + e->signal;
		if (e->signal == SIGSYS)
			snprintf(e->message, sizeof(e->message),
				 "%s: killed by the seccomp filter (a system call of another architecture, e.g. int 0x80, "
				 "or a rule with the kill action)", w->program);
	} else if (w->killed) {
		e->kind = SBX_EXIT_KILLED;
		e->signal = SIGKILL;
		e->status = 128 + SIGKILL;
		snprintf(e->message, sizeof(e->message), "%s: killed", w->program);
	} else {
		e->kind = SBX_EXIT_SETUP_FAILED;
		e->status = 125;
		e->error = ECHILD;
		if (si->si_code == CLD_EXITED)
			snprintf(e->message, sizeof(e->message), "the sandbox's init ended unexpectedly (exit %d)", si->si_status);
		else
			snprintf(e->message, sizeof(e->message), "the sandbox's init ended unexpectedly (signal %d)", si->si_status);
	}
}

static void worker_reap(struct sbx_worker *w)
{
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	while (waitid(P_PIDFD, (id_t)w->pidfd, &si, WEXITED | __WALL) < 0 && errno == EINTR)
		;
	/* Messages sent just before the exit are still queued: read them first. */
	(void)drain_chan(w);
	compute_exit(w, &si);
	w->state = W_DONE;
	worker_release_events(w);
	worker_close_fds(w);
	/* Leaving pid 1 took every process of the namespace with it: the groups are empty. */
	sbx_cgroup_destroy(&w->cg);
}

static void on_pid(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct sbx_worker *w = arg;
	worker_reap(w);
	if (w->cb && w->cb->exit)
		w->cb->exit(w, &w->exit, w->userdata);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct sbx_worker *w = arg;
	if (w->state != W_DONE && !w->violation) {
		w->timed_out = true;
		sbx_logf(w->log, w->log_userdata, SBX_LOG_NOTICE, "time limit reached, killing the sandbox");
		worker_kill(w);
	}
}

/* ---- spawning ---- */

struct spawn_ctx {
	struct sbx_mount_entry entries[SBX_MOUNT_MAX];
	size_t n;
	char passwd[512], group[512];
	char paths[64][PATH_MAX];
	size_t n_paths;
	char links[6][PATH_MAX];
	char localtime[PATH_MAX];
	struct sbx_ll_rule ll[SBX_MOUNT_MAX + SBX_MAX_RESOURCES + 8];
	size_t n_ll;
};

static void ll_add(struct spawn_ctx *c, const char *path, int fd, enum sbx_ll_class cls)
{
	if (c->n_ll < SBX_ARRAY_SIZE(c->ll))
		c->ll[c->n_ll++] = (struct sbx_ll_rule){ path, fd, cls };
}

static enum sbx_ll_class class_of_fd(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	int acc = fl < 0 ? O_RDONLY : (fl & O_ACCMODE);
	return acc == O_RDWR ? SBX_LL_RDWR : acc == O_WRONLY ? SBX_LL_WRITE : SBX_LL_READ;
}

/* What the program may open: the sandbox's own tree (read-only but for /tmp, /dev, /proc and
 * the writable binds), its program, and the files behind its stdio and resources. */
static void build_landlock(struct spawn_ctx *c, const struct sbx_resource *res, const int *extra_res, size_t n_extra)
{
	c->n_ll = 0;
	ll_add(c, "/", -1, SBX_LL_RO);
	ll_add(c, "/dev", -1, SBX_LL_DEV);
	ll_add(c, "/proc", -1, SBX_LL_PROC);
	ll_add(c, "/tmp", -1, SBX_LL_RW);
	for (size_t i = 0; i < c->n; i++)
		if (c->entries[i].op == SBX_MNT_BIND_RW || (c->entries[i].op == SBX_MNT_TMPFS && strcmp(c->entries[i].path, "/tmp") != 0))
			ll_add(c, c->entries[i].path, -1, SBX_LL_RW);
	ll_add(c, NULL, SBX_PROGRAM_FD, SBX_LL_EXEC);
	for (int fd = 0; fd < 3; fd++)
		ll_add(c, NULL, fd, class_of_fd(fd));
	for (size_t i = 0; i < n_extra; i++) {
		const struct sbx_resource *r = extra_res[i] >= 0 ? &res[extra_res[i]] : NULL;
		if (!r)
			continue; /* the request channel: a socket */
		bool w = r->flags & (SBX_OPEN_WRITE | SBX_OPEN_CREATE | SBX_OPEN_TRUNC);
		bool rd = r->flags & SBX_OPEN_READ;
		if (r->kind == SBX_RES_DIR)
			ll_add(c, NULL, 3 + (int)i, w ? SBX_LL_RW : SBX_LL_RO);
		else if (r->kind == SBX_RES_FILE)
			ll_add(c, NULL, 3 + (int)i, w && rd ? SBX_LL_RDWR : w ? SBX_LL_WRITE : SBX_LL_READ);
	}
}

static int add_entry(struct spawn_ctx *c, enum sbx_mount_op op, const char *path, const char *source,
		     uint64_t size, unsigned mode, bool optional)
{
	if (c->n >= SBX_MOUNT_MAX)
		return -E2BIG;
	c->entries[c->n++] = (struct sbx_mount_entry){ op, path, source, size, mode, optional };
	return 0;
}

/* /bin, /lib... are symlinks into /usr on merged-/usr systems: recreate the link, else bind. */
static int add_top_dir(struct spawn_ctx *c, const char *path, char *linkbuf, size_t linklen)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return 0;
	if (S_ISLNK(st.st_mode)) {
		ssize_t n = readlink(path, linkbuf, linklen - 1);
		if (n <= 0)
			return 0;
		linkbuf[n] = '\0';
		return add_entry(c, SBX_MNT_SYMLINK, path, linkbuf, 0, 0, false);
	}
	if (S_ISDIR(st.st_mode))
		return add_entry(c, SBX_MNT_BIND_RO, path, path, 0, 0, true);
	return 0;
}

static int build_mounts(struct spawn_ctx *c, const struct sbx_config *cfg, const struct sbx_policy *policy,
			uid_t uid, gid_t gid, bool have_tty, struct sbx_error *err)
{
	static const char *const tops[] = { "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32" };
	char *localtime = c->localtime;
	int r;

	c->n = 0;
	if ((r = add_entry(c, SBX_MNT_BIND_RO, "/usr", "/usr", 0, 0, false)) < 0)
		return r;
	for (size_t i = 0; i < SBX_ARRAY_SIZE(tops); i++)
		if ((r = add_top_dir(c, tops[i], c->links[i], sizeof(c->links[i]))) < 0)
			return r;

	/* A small /etc: what the loader and libc read, and ids that make sense inside. */
	snprintf(c->passwd, sizeof(c->passwd),
		 "root:x:0:0:root:/tmp:/bin/sh\nsbx:x:%u:%u:sbx worker:/tmp:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
		 (unsigned)uid, (unsigned)gid);
	snprintf(c->group, sizeof(c->group), "root:x:0:\nsbx:x:%u:\nnogroup:x:65534:\n", (unsigned)gid);
	if (uid == 65534)
		snprintf(c->passwd, sizeof(c->passwd),
			 "root:x:0:0:root:/tmp:/bin/sh\nnobody:x:65534:65534:nobody:/tmp:/usr/sbin/nologin\n");
	if (gid == 65534)
		snprintf(c->group, sizeof(c->group), "root:x:0:\nnogroup:x:65534:\n");
	ssize_t ln = readlink("/etc/localtime", localtime, PATH_MAX - 1);
	if ((r = add_entry(c, SBX_MNT_BIND_RO, "/etc/ld.so.cache", "/etc/ld.so.cache", 0, 0, true)) < 0 ||
	    (r = add_entry(c, SBX_MNT_BIND_RO, "/etc/nsswitch.conf", "/etc/nsswitch.conf", 0, 0, true)) < 0 ||
	    (r = add_entry(c, SBX_MNT_BIND_RO, "/etc/alternatives", "/etc/alternatives", 0, 0, true)) < 0 ||
	    (r = add_entry(c, SBX_MNT_FILE, "/etc/passwd", c->passwd, 0, 0, false)) < 0 ||
	    (r = add_entry(c, SBX_MNT_FILE, "/etc/group", c->group, 0, 0, false)) < 0 ||
	    (r = add_entry(c, SBX_MNT_FILE, "/etc/hosts", "127.0.0.1 localhost sbx\n::1 localhost\n", 0, 0, false)) < 0 ||
	    (r = add_entry(c, SBX_MNT_FILE, "/etc/hostname", "sbx\n", 0, 0, false)) < 0)
		return r;
	if (ln > 0) {
		localtime[ln] = '\0';
		if ((r = add_entry(c, SBX_MNT_SYMLINK, "/etc/localtime", localtime, 0, 0, false)) < 0)
			return r;
	}

	if ((r = add_entry(c, SBX_MNT_PROC, "/proc", NULL, 0, 0, false)) < 0)
		return r;

	/* A minimal /dev: device nodes bound from the host (a user namespace cannot mknod), on
	 * mount points in the read-only root (a tmpfs of its own would cost a superblock). */
	if ((r = add_entry(c, SBX_MNT_DIR, "/dev", NULL, 0, 0, false)) < 0)
		return r;
	static const char *const devs[] = { "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom" };
	for (size_t i = 0; i < SBX_ARRAY_SIZE(devs); i++)
		if ((r = add_entry(c, SBX_MNT_DEV, devs[i], devs[i], 0, 0, false)) < 0)
			return r;
	if (have_tty && (r = add_entry(c, SBX_MNT_DEV, "/dev/tty", "/dev/tty", 0, 0, true)) < 0)
		return r;
	if ((r = add_entry(c, SBX_MNT_SYMLINK, "/dev/fd", "/proc/self/fd", 0, 0, false)) < 0 ||
	    (r = add_entry(c, SBX_MNT_SYMLINK, "/dev/stdin", "/proc/self/fd/0", 0, 0, false)) < 0 ||
	    (r = add_entry(c, SBX_MNT_SYMLINK, "/dev/stdout", "/proc/self/fd/1", 0, 0, false)) < 0 ||
	    (r = add_entry(c, SBX_MNT_SYMLINK, "/dev/stderr", "/proc/self/fd/2", 0, 0, false)) < 0)
		return r;
	if ((r = add_entry(c, SBX_MNT_TMPFS, "/tmp", NULL, SBX_DEFAULT_TMP_SIZE, 01777, false)) < 0)
		return r;

	/* Then what the policy and the caller add, in that order (the caller's word is last).
	 * Paths are canonical: a symlink in the path must not lead the bind elsewhere inside. */
	const struct sbx_policy_mount *pm = NULL;
	size_t n_pm = policy ? sbx_policy_mounts(policy, &pm) : 0;
	c->n_paths = 0;
	for (size_t i = 0; i < n_pm + cfg->n_paths; i++) {
		const char *path = i < n_pm ? pm[i].path : cfg->paths[i - n_pm].path;
		bool tmpfs = i < n_pm && pm[i].kind == SBX_MOUNT_TMPFS;
		bool rw = i < n_pm ? pm[i].kind == SBX_MOUNT_RW : cfg->paths[i - n_pm].writable;
		if (c->n_paths >= SBX_ARRAY_SIZE(c->paths))
			return -E2BIG;
		char *canon = c->paths[c->n_paths++];
		if (tmpfs) {
			sbx_strlcpy(canon, path, PATH_MAX);
			r = add_entry(c, SBX_MNT_TMPFS, canon, NULL, pm[i].tmpfs_size ? pm[i].tmpfs_size : SBX_DEFAULT_TMP_SIZE,
				      01777, false);
		} else {
			if (!realpath(path, canon)) {
				int e = errno;
				if (i < n_pm)
					sbx_error_set(err, -e, "%s:%u: path %s: %s", pm[i].file ? pm[i].file : "policy",
						      pm[i].line, path, strerror(e));
				else
					sbx_error_set(err, -e, "%s %s: %s", rw ? "--rw" : "--ro", path, strerror(e));
				return -e;
			}
			if (strcmp(canon, "/") == 0) {
				sbx_error_set(err, -EINVAL, "%s /: refusing to expose the whole host filesystem", rw ? "--rw" : "--ro");
				return -EINVAL;
			}
			r = add_entry(c, rw ? SBX_MNT_BIND_RW : SBX_MNT_BIND_RO, canon, canon, 0, 0, false);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

static rlim_t clamp_to_hard(int resource, uint64_t want)
{
	struct rlimit cur;
	if (getrlimit(resource, &cur) == 0 && cur.rlim_max != RLIM_INFINITY && want > cur.rlim_max)
		return cur.rlim_max;
	return (rlim_t)want;
}

static uint64_t pick(uint64_t cli, uint64_t policy, uint64_t def)
{
	if (cli)
		return cli;
	if (policy != UINT64_MAX)
		return policy;
	return def;
}

static void close_extra(int *fds, size_t n, char **env, size_t n_env)
{
	for (size_t i = 0; i < n; i++)
		sbx_close(&fds[i]);
	for (size_t i = 0; i < n_env; i++)
		free(env[i]);
}

/* Open every resource of the config (fds[i] lands on 3 + i inside), plus the request channel
 * when the worker may ask for anything. Fills the SBX_FD_* and LISTEN_* environment. */
/* A directory grant with a pattern is served by requests only: a directory fd in the worker's
 * hands would reach every file below it, whatever the pattern says. */
static bool request_only(const struct sbx_resource *res)
{
	return res->kind == SBX_RES_DIR && res->pattern && strcmp(res->pattern, "*") != 0;
}

static int open_resources(struct sbx_worker *w, const struct sbx_config *cfg, int *fds, int *fd_res, size_t *n_fds,
			  char **env, size_t *n_env, struct sbx_error *err)
{
	bool want_channel = cfg->requests;
	char names[SBX_MAX_RESOURCES * 65 + 16] = "";
	*n_fds = *n_env = 0;
	/* The policy's resources first, then the config's (the command line's). */
	const struct sbx_policy_resource *pr = NULL;
	size_t n_pr = w->policy ? sbx_policy_resources(w->policy, &pr) : 0;
	if (n_pr + cfg->n_res > SBX_MAX_RESOURCES) {
		sbx_error_set(err, -E2BIG, "too many resources (at most %d)", SBX_MAX_RESOURCES);
		return -E2BIG;
	}
	if (n_pr + cfg->n_res) {
		w->res = calloc(n_pr + cfg->n_res, sizeof(*w->res));
		w->res_fds = calloc(n_pr + cfg->n_res, sizeof(int));
		w->res_opens = calloc(n_pr + cfg->n_res, sizeof(unsigned));
		if (!w->res || !w->res_fds || !w->res_opens)
			return -ENOMEM;
	}
	for (size_t i = 0; i < n_pr; i++)
		w->res[w->n_res++] = pr[i].res; /* shallow: the strings stay the policy's */
	for (size_t i = 0; i < cfg->n_res; i++) {
		for (size_t j = 0; j < n_pr; j++) {
			if (strcmp(pr[j].res.name, cfg->res[i].name) == 0) {
				sbx_error_set(err, -EEXIST, "resource %s: also declared by the policy (%s:%u)", cfg->res[i].name,
					      pr[j].file, pr[j].line);
				return -EEXIST;
			}
		}
		w->res[w->n_res++] = cfg->res[i];
	}
	for (size_t i = 0; i < w->n_res; i++)
		w->res_fds[i] = -1;
	for (size_t i = 0; i < w->n_res; i++) {
		const struct sbx_resource *res = &w->res[i];
		int fd = sbx_resource_open(res, err);
		if (fd < 0)
			return fd;
		if (res->kind == SBX_RES_DIR || res->kind == SBX_RES_CAPTURE)
			want_channel = true;
		if (res->kind == SBX_RES_DIR) {
			/* Our own handle on the directory: requests are resolved below it. */
			if (request_only(res)) {
				w->res_fds[i] = fd;
				sbx_logf(w->log, w->log_userdata, SBX_LOG_DEBUG, "resource %s: by request only (pattern '%s')",
					 res->name, res->pattern);
				continue;
			}
			w->res_fds[i] = fcntl(fd, F_DUPFD_CLOEXEC, 3);
			if (w->res_fds[i] < 0) {
				close(fd);
				return -errno;
			}
		}
		size_t num = 3 + *n_fds;
		fd_res[*n_fds] = (int)i;
		fds[(*n_fds)++] = fd;
		if (asprintf(&env[(*n_env)++], "SBX_FD_%s=%zu", res->name, num) < 0)
			return (*n_env)--, -ENOMEM;
		if (names[0])
			strcat(names, ":");
		strcat(names, res->name);
		sbx_logf(w->log, w->log_userdata, SBX_LOG_DEBUG, "resource %s: fd %zu inside", res->name, num);
	}
	size_t n_listen = *n_fds;
	if (want_channel) {
		int pair[2];
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) {
			int e = errno;
			sbx_error_set(err, -e, "request channel: socketpair: %s", strerror(e));
			return -e;
		}
		w->req_fd = pair[0];
		fd_res[*n_fds] = -1;
		fds[(*n_fds)++] = pair[1];
		if (asprintf(&env[(*n_env)++], "SBX_FD_BROKER=%zu", 2 + *n_fds) < 0)
			return (*n_env)--, -ENOMEM;
		sbx_logf(w->log, w->log_userdata, SBX_LOG_DEBUG, "request channel: fd %zu inside", 2 + *n_fds);
	}
	if (n_listen) {
		/* systemd's convention; the program is always pid 2 inside (init is 1). */
		if (asprintf(&env[(*n_env)++], "LISTEN_FDS=%zu", n_listen) < 0 ||
		    asprintf(&env[(*n_env)++], "LISTEN_FDNAMES=%s", names) < 0 ||
		    asprintf(&env[(*n_env)++], "LISTEN_PID=2") < 0)
			return (*n_env)--, -ENOMEM;
	}
	return 0;
}

_Static_assert(sizeof(struct sock_filter) == 8, "the launch protocol sends 8-byte BPF instructions");

static int send_filter(struct sbx_worker *w, struct sbx_bpf *bpf, struct sbx_error *err)
{
	int r;
	if (w->seccomp && w->prebuilt) {
		bpf->insns = malloc(sbx_default_filter_len * sizeof(struct sock_filter));
		if (!bpf->insns)
			return -ENOMEM;
		memcpy(bpf->insns, sbx_default_filter, sbx_default_filter_len * sizeof(struct sock_filter));
		bpf->len = sbx_default_filter_len;
		sbx_logf(w->log, w->log_userdata, SBX_LOG_DEBUG, "seccomp: %u BPF instructions (default policy, compiled at build time)",
			 bpf->len);
	} else if (w->seccomp && !w->learn && w->cfg->cache->insns && w->cfg->cache->policy == w->policy) {
		struct sbx_filter_cache *c = w->cfg->cache;
		bpf->insns = malloc(c->len * sizeof(struct sock_filter));
		if (!bpf->insns)
			return -ENOMEM;
		memcpy(bpf->insns, c->insns, c->len * sizeof(struct sock_filter));
		bpf->len = c->len;
	} else if (w->seccomp) {
		struct sbx_policy_diag d;
		memset(&d, 0, sizeof(d));
		struct sbx_compile_opts co = { .mode = w->learn ? SBX_COMPILE_LEARN : SBX_COMPILE_ENFORCE,
					       .launch_fd = SBX_LAUNCH_FD };
		if ((r = sbx_policy_compile(w->policy, &co, bpf, &d)) < 0) {
			char buf[700];
			sbx_policy_diag_format(&d, buf, sizeof(buf));
			sbx_error_set(err, r, "compiling the seccomp filter: %s", buf);
			return r;
		}
		if (bpf->len == 0 || bpf->len > SBX_LAUNCH_FILTER_MAX) {
			sbx_error_set(err, -E2BIG, "compiled seccomp filter has %u instructions (1 to %u allowed)",
				      bpf->len, SBX_LAUNCH_FILTER_MAX);
			return -E2BIG;
		}
		sbx_logf(w->log, w->log_userdata, SBX_LOG_DEBUG, "seccomp: %u BPF instructions%s", bpf->len,
			 w->learn ? " (learn mode: every call is recorded and allowed)" : "");
		/* Keep it for the next spawn from this config (only the config's own policy). */
		struct sbx_filter_cache *c = w->cfg->cache;
		if (!w->learn && w->policy == w->cfg->policy) {
			struct sock_filter *copy = malloc(bpf->len * sizeof(struct sock_filter));
			if (copy) {
				memcpy(copy, bpf->insns, bpf->len * sizeof(struct sock_filter));
				free(c->insns);
				c->insns = copy;
				c->len = bpf->len;
				c->policy = w->policy;
			}
		}
	}
	_cleanup_free_ struct sbx_launch_filter *m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->type = SBX_LAUNCH_FILTER;
	m->n_insns = w->seccomp ? bpf->len : 0;
	if (m->n_insns)
		memcpy(m->insns, bpf->insns, (size_t)m->n_insns * sizeof(struct sock_filter));
	size_t len = 8 + 8 * (size_t)m->n_insns;
	if (send(w->chan, m, len, MSG_NOSIGNAL) != (ssize_t)len) {
		r = -errno;
		sbx_error_set(err, r, "handing the filter to the sandbox: %s", strerror(errno));
		return r;
	}
	return 0;
}

static int clone_sandbox(int *pidfd)
{
	struct clone_args args;
	memset(&args, 0, sizeof(args));
	/* The network namespace is created by the child itself (sandbox/launch.c step 1c), in
	 * parallel with our own work; the cgroup namespace after the cgroup move (step 3). */
	args.flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_PIDFD;
	args.pidfd = (uint64_t)(uintptr_t)pidfd;
	/* No exit signal: the caller's SIGCHLD handling (a waitpid(-1) loop, say) never sees our
	 * child, so it can neither steal its status nor be confused by it. */
	args.exit_signal = 0;
	return (int)syscall(SYS_clone3, &args, sizeof(args));
}

SBX_EXPORT int sbx_worker_spawn(struct event_base *base, const struct sbx_config *cfg,
				const char *program, char *const argv[],
				const struct sbx_callbacks *cb, void *userdata,
				struct sbx_worker **ret, struct sbx_error *err)
{
	if (!base || !cfg || !program || !argv || !argv[0] || !ret) {
		sbx_error_set(err, -EINVAL, "invalid argument");
		return -EINVAL;
	}
	int r;
	struct sbx_worker *w = calloc(1, sizeof(*w));
	_cleanup_free_ struct spawn_ctx *ctx = calloc(1, sizeof(*ctx));
	struct sbx_program prog = { .fd = -1 };
	char **envp = NULL;
	struct sbx_bpf bpf = { NULL, 0 };
	int sp[2] = { -1, -1 };
	int extra[SBX_MAX_RESOURCES + 1];
	int extra_res[SBX_MAX_RESOURCES + 1];
	size_t n_extra = 0;
	char *extra_env[SBX_MAX_RESOURCES + 8];
	size_t n_env = 0;
	const char *extra_ro_path[SBX_MAX_RESOURCES + 1];
	int extra_ro_flags[SBX_MAX_RESOURCES + 1];
	char program_path[PATH_MAX];
	if (!w || !ctx) {
		free(w);
		return -ENOMEM;
	}
	w->base = base;
	w->cb = cb;
	w->userdata = userdata;
	w->log = cfg->log;
	w->log_userdata = cfg->log_userdata;
	w->pidfd = w->chan = w->listener = w->req_fd = -1;
	w->id_offset = -1;
	w->id_lock = -1;
	w->cfg = cfg;
	w->seccomp = cfg->seccomp;
	w->learn = cfg->learn && cfg->seccomp;
	snprintf(w->program, sizeof(w->program), "%s", program);

	/* The policy. The built-in default is compiled at build time: nothing to parse or compile
	 * now (it is parsed only to explain a violation). */
	w->policy = cfg->policy;
	w->prebuilt = !w->policy && !w->learn && sbx_default_filter_usable;
	if (!w->policy && !w->prebuilt) {
		if ((r = sbx_policy_open_default(&w->owned_policy, err)) < 0)
			goto fail;
		w->policy = w->owned_policy;
	}

	/* The program, found and opened as the caller. */
	if ((r = sbx_program_open(program, getenv("PATH"), &prog, err)) < 0)
		goto fail;
	snprintf(w->program, sizeof(w->program), "%s", prog.path);
	sbx_logf(w->log, w->log_userdata, SBX_LOG_DEBUG, "program: %s (fd %d%s)", prog.path, prog.fd,
		 prog.is_script ? ", script" : "");

	/* Identity: inside uid == host uid; the caller's own when unprivileged, never root. */
	bool privileged = geteuid() == 0;
	uid_t uid = privileged ? cfg->host_uid : geteuid();
	gid_t gid = privileged ? cfg->host_gid : getegid();
	if (cfg->range_set) {
		w->id_offset = sbx_idrange_take(cfg->range_uid, cfg->range_count, &w->id_lock);
		if (w->id_offset < 0) {
			r = w->id_offset;
			sbx_error_set(err, r, "no free id in the range %u+%u: %s", (unsigned)cfg->range_uid,
				      (unsigned)cfg->range_count, strerror(-r));
			goto fail;
		}
		uid = cfg->range_uid + (uid_t)w->id_offset;
		gid = cfg->range_gid + (gid_t)w->id_offset;
	}
	if (uid == 0 || gid == 0) {
		sbx_error_set(err, -EPERM, "refusing to map the worker to host uid/gid 0");
		r = -EPERM;
		goto fail;
	}
	if (!privileged && cfg->host_id_set && !cfg->range_set) {
		sbx_error_set(err, -EPERM, "choosing the worker's host uid needs root (running as uid %u)", (unsigned)uid);
		r = -EPERM;
		goto fail;
	}
	sbx_logf(w->log, w->log_userdata, SBX_LOG_DEBUG, "user namespace: uid %u gid %u inside, the same on the host%s",
		 (unsigned)uid, (unsigned)gid, privileged ? " (sbx runs as root)" : "");

	/* Limits. */
	struct sbx_policy_limits pl = { UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX };
	if (w->policy)
		sbx_policy_limits(w->policy, &pl);
	uint64_t memory = pick(cfg->memory, pl.memory, 0);
	uint64_t pids = pick(cfg->pids, pl.pids, 0);
	uint64_t time_ms = pick(cfg->time_limit_ms, pl.time_ms, 0);
	struct sbx_rlimits rl = {
		.as = clamp_to_hard(RLIMIT_AS, memory ? memory : SBX_DEFAULT_AS),
		.nproc = clamp_to_hard(RLIMIT_NPROC, pids ? pids : SBX_DEFAULT_NPROC),
		.nofile = clamp_to_hard(RLIMIT_NOFILE, pl.nofile != UINT64_MAX ? pl.nofile : SBX_DEFAULT_NOFILE),
		.fsize = clamp_to_hard(RLIMIT_FSIZE, pl.fsize != UINT64_MAX ? pl.fsize : SBX_DEFAULT_FSIZE),
		.core = 0,
	};
	sbx_logf(w->log, w->log_userdata, SBX_LOG_DEBUG,
		 "rlimits: as=%llu nproc=%llu nofile=%llu fsize=%llu core=0", (unsigned long long)rl.as,
		 (unsigned long long)rl.nproc, (unsigned long long)rl.nofile, (unsigned long long)rl.fsize);

	/* Filesystem. */
	bool have_tty = isatty(0) || isatty(1) || isatty(2);
	if ((r = build_mounts(ctx, cfg, w->policy, uid, gid, have_tty, err)) < 0) {
		if (!err || !err->message[0])
			sbx_error_set(err, r, "preparing mounts: %s", strerror(-r));
		goto fail;
	}

	/* Resources, opened here with the broker's privileges, numbered 3.. inside. */
	if ((r = open_resources(w, cfg, extra, extra_res, &n_extra, extra_env, &n_env, err)) < 0)
		goto fail;
	/* Read-only grants reach the worker through read-only mounts: a reopen through
	 * /proc/self/fd must not turn them writable (the program likewise, below). */
	for (size_t i = 0; i < n_extra; i++) {
		const struct sbx_resource *res = extra_res[i] >= 0 ? &w->res[extra_res[i]] : NULL;
		extra_ro_path[i] = NULL;
		extra_ro_flags[i] = 0;
		bool ro = res && !(res->flags & (SBX_OPEN_WRITE | SBX_OPEN_CREATE | SBX_OPEN_TRUNC));
		if (res && res->kind == SBX_RES_FILE && ro) {
			extra_ro_path[i] = res->target;
			extra_ro_flags[i] = O_RDONLY;
		} else if (res && res->kind == SBX_RES_DIR) {
			/* Always through a clone of the directory's mount, read-only or not: ".." from a
			 * directory fd on the host's mount would climb the host's tree, past the
			 * sandbox's root; at the root of a detached clone it goes nowhere. */
			extra_ro_path[i] = res->target;
			extra_ro_flags[i] = O_PATH | O_DIRECTORY | (ro ? 0 : SBX_REOPEN_WRITABLE);
		}
	}
	/* A read-only regular file on stdin (or 1, 2) could otherwise be reopened for writing
	 * through /proc/self/fd/0 by a worker that owns it. */
	char stdio_path[3][PATH_MAX];
	const char *stdio_ro[3] = { NULL, NULL, NULL };
	for (int fd = 0; fd < 3; fd++) {
		struct stat st;
		int fl = fcntl(fd, F_GETFL);
		if (fl < 0 || (fl & O_ACCMODE) != O_RDONLY || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		char link[64];
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		ssize_t n = readlink(link, stdio_path[fd], PATH_MAX - 1);
		struct stat again;
		if (n > 0)
			stdio_path[fd][n] = '\0';
		if (n <= 0 || stdio_path[fd][0] != '/' || stat(stdio_path[fd], &again) < 0 || again.st_dev != st.st_dev ||
		    again.st_ino != st.st_ino) {
			r = -ESTALE;
			sbx_error_set(err, r, "fd %d is a file sbx cannot reopen read-only (deleted or unreachable); "
					      "pass it through a pipe instead", fd);
			goto fail;
		}
		stdio_ro[fd] = stdio_path[fd];
	}
	if (!realpath(prog.path, program_path)) {
		r = -errno;
		sbx_error_set(err, r, "%s: %s", prog.path, strerror(errno));
		goto fail;
	}
	extra_env[n_env] = NULL;
	if ((r = sbx_env_build(environ, extra_env, &envp)) < 0) {
		sbx_error_set(err, r, "building the environment: %s", strerror(-r));
		goto fail;
	}

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		r = -errno;
		sbx_error_set(err, r, "socketpair: %s", strerror(errno));
		goto fail;
	}

	if (w->seccomp) {
		if ((r = sbx_notify_init(&w->notify)) < 0) {
			sbx_error_set(err, r, "seccomp notifications unavailable: %s", strerror(-r));
			goto fail;
		}
		w->exec_pending = w->learn || !(w->prebuilt ? sbx_default_exec_allowed : sbx_policy_exec_allowed(w->policy));
	}
	w->program_fd_in_child = SBX_PROGRAM_FD;

	/* cgroups where the machine allows them. */
	char name[64], info[768];
	static unsigned counter;
	snprintf(name, sizeof(name), "sbx-%d-%u", (int)getpid(), __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED));
	r = sbx_cgroup_create(name, memory, pids, &w->cg, info, sizeof(info));
	if (r < 0) {
		sbx_error_set(err, r, "%s", info);
		goto fail;
	}
	if (memory || pids)
		sbx_logf(w->log, w->log_userdata, r ? SBX_LOG_DEBUG : SBX_LOG_NOTICE, "cgroups: %s", info);

	struct sbx_mount_plan mplan = { .entries = ctx->entries, .n = ctx->n };
	build_landlock(ctx, w->res, extra_res, n_extra);
	struct sbx_ll_plan llplan = { .rules = ctx->ll, .n = ctx->n_ll };
	struct sbx_launch_plan plan = {
		.launch_fd = sp[1],
		.broker_fd = sp[0],
		.program_fd = prog.fd,
		.program_is_script = prog.is_script,
		.extra_fds = extra,
		.extra_ro_path = extra_ro_path,
		.extra_ro_flags = extra_ro_flags,
		.n_extra = n_extra,
		.program_path = program_path,
		.stdio_ro_path = { stdio_ro[0], stdio_ro[1], stdio_ro[2] },
		.argv = argv,
		.envp = envp,
		.uid = uid,
		.gid = gid,
		/* setgroups() is allowed inside when a privileged writer (root, or newgidmap) wrote
		 * the gid map: then drop the caller's supplementary groups. */
		.drop_groups = privileged || cfg->range_set,
		.hostname = "sbx",
		.mounts = &mplan,
		.rlimits = rl,
		.seccomp = w->seccomp,
		.landlock = &llplan,
		.verbose = cfg->verbose,
	};

	int pidfd = -1;
	int pid = clone_sandbox(&pidfd);
	if (pid < 0) {
		r = -errno;
		sbx_error_set(err, r, "creating the namespaces (clone3): %s%s", strerror(errno),
			      errno == EPERM || errno == ENOSPC ? " (are unprivileged user namespaces disabled?)" : "");
		goto fail;
	}
	if (pid == 0)
		sbx_launch_child(&plan);

	w->pid = pid;
	w->pidfd = pidfd;
	sbx_close(&sp[1]);
	w->chan = sbx_steal_fd(&sp[0]);
	sbx_logf(w->log, w->log_userdata, SBX_LOG_DEBUG, "sandbox init is host pid %d", pid);

	const char *what = NULL;
	if (cfg->range_set && !privileged) {
		if ((r = sbx_idrange_newidmap(pid, uid, gid)) < 0) {
			sbx_error_set(err, r, "newuidmap/newgidmap for uid %u gid %u: %s%s", (unsigned)uid, (unsigned)gid,
				      strerror(-r), r == -ENOENT ? " (install the uidmap package)" : " (is the range yours in /etc/subuid and /etc/subgid?)");
			goto fail_child;
		}
	} else if ((r = sbx_userns_write_maps(pid, uid, gid, privileged, &what)) < 0) {
		sbx_error_set(err, r, "writing the user namespace map (%s): %s", what, strerror(-r));
		goto fail_child;
	}
	if (w->cg.n && (r = sbx_cgroup_attach(&w->cg, pid)) < 0) {
		sbx_error_set(err, r, "moving the sandbox into its cgroup: %s", strerror(-r));
		goto fail_child;
	}

	w->ev_pid = event_new(base, w->pidfd, EV_READ, on_pid, w);
	w->ev_chan = event_new(base, w->chan, EV_READ | EV_PERSIST, on_chan, w);
	if (!w->ev_pid || !w->ev_chan || event_add(w->ev_pid, NULL) < 0 || event_add(w->ev_chan, NULL) < 0) {
		r = -ENOMEM;
		sbx_error_set(err, r, "adding events to the loop");
		goto fail_child;
	}
	if (time_ms) {
		struct timeval tv = { .tv_sec = (time_t)(time_ms / 1000), .tv_usec = (suseconds_t)(time_ms % 1000) * 1000 };
		w->ev_timer = evtimer_new(base, on_timer, w);
		if (!w->ev_timer || evtimer_add(w->ev_timer, &tv) < 0) {
			r = -ENOMEM;
			sbx_error_set(err, r, "adding the time limit to the loop");
			goto fail_child;
		}
	}

	struct sbx_launch_msg go;
	memset(&go, 0, sizeof(go));
	go.type = SBX_LAUNCH_GO;
	if (send(w->chan, &go, sizeof(go), MSG_NOSIGNAL) != (ssize_t)sizeof(go)) {
		r = -errno;
		sbx_error_set(err, r, "starting the sandbox: %s", strerror(errno));
		goto fail_child;
	}

	/* The filter is compiled here in the broker, never inside, while the sandbox builds its
	 * root: the ~1 ms this takes overlaps the child's setup instead of delaying the clone.
	 * The child loads it as the last step before exec. */
	if ((r = send_filter(w, &bpf, err)) < 0)
		goto fail_child;

	if (w->req_fd >= 0) {
		w->ev_req = event_new(base, w->req_fd, EV_READ | EV_PERSIST, on_request, w);
		if (!w->ev_req || event_add(w->ev_req, NULL) < 0) {
			r = -ENOMEM;
			sbx_error_set(err, r, "adding the request channel to the loop");
			goto fail_child;
		}
	}

	close(prog.fd);
	close_extra(extra, n_extra, extra_env, n_env);
	sbx_env_free(envp);
	sbx_bpf_free(&bpf);
	*ret = w;
	return 0;

fail_child:
	worker_kill(w);
	worker_reap(w);
fail:
	if (err && err->code == 0)
		sbx_error_set(err, r, "%s", strerror(-r));
	sbx_close(&sp[0]);
	sbx_close(&sp[1]);
	sbx_close(&prog.fd);
	close_extra(extra, n_extra, extra_env, n_env);
	sbx_env_free(envp);
	sbx_bpf_free(&bpf);
	worker_destroy(w);
	return r;
}

SBX_EXPORT pid_t sbx_worker_pid(const struct sbx_worker *w)
{
	return w ? w->pid : -1;
}

SBX_EXPORT int sbx_worker_signal(struct sbx_worker *w, int sig)
{
	if (!w || sig <= 0 || sig >= NSIG)
		return -EINVAL;
	if (w->state == W_DONE || w->pidfd < 0)
		return -ESRCH;
	if (sig == SIGKILL)
		w->killed = true;
	/* Init has a handler for the forwarded signals and passes them to the program. */
	if (pidfd_send_signal(w->pidfd, sig, NULL, 0) < 0)
		return -errno;
	return 0;
}

SBX_EXPORT void sbx_worker_free(struct sbx_worker *w)
{
	if (!w)
		return;
	if (w->state != W_DONE && w->pidfd >= 0) {
		w->killed = true;
		worker_kill(w);
		worker_reap(w);
	}
	worker_destroy(w);
}
