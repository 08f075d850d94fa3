/* SPDX-License-Identifier: MIT */
/* The supervisor: starts a worker in fresh namespaces and watches it from the caller's libevent
 * loop. Its concerns live in their own files (worker.h lists them); this one spawns, holds the
 * public handle and ends the worker. Whatever the worker does costs the worker only: every
 * failure kills and reports it. */
#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "broker/chan.h"
#include "broker/filter.h"
#include "broker/idrange.h"
#include "broker/export.h"
#include "broker/plan.h"
#include "broker/policy/policy.h"
#include "broker/worker.h"
#include "common/children.h"
#include "common/util.h"
#include "sandbox/launch.h"
#include "sandbox/userns.h"

/* ---- the kill ---- */

/* Without a pid namespace, SIGKILL to init ends init alone: the program and its descendants
 * would be handed to the host and run on, and a call the filter stopped would return ENOSYS
 * once the listener closes. So the kill ends init's whole tree first, while init, stopped, holds
 * it together: stopped, init neither reaps (a dead process's pid stays its own, never another's)
 * nor exits (its orphans would leave the tree). Each process found is killed at once: with
 * SIGKILL pending it forks no more and never runs another instruction of its own, so the
 * blocked call never returns, whenever the listener closes. */
struct tree {
	pid_t parent;                  /* whose children are being read */
	struct { pid_t pid; int fd; } *p;
	size_t n, cap, added;
};

static int tree_add(pid_t child, void *arg)
{
	struct tree *t = arg;
	for (size_t i = 0; i < t->n; i++)
		if (t->p[i].pid == child)
			return 0;
	_cleanup_close_ int fd = pidfd_open(child, 0);
	/* Asked with the pidfd held: whatever pids were reused meanwhile, the pidfd names a child
	 * of parent, or a process that is gone (signalling it does nothing). */
	if (fd < 0 || sbx_parent_of(child) != t->parent)
		return 0;
	(void)pidfd_send_signal(fd, SIGKILL, NULL, 0);
	t->added++;
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		void *p = reallocarray(t->p, cap, sizeof(*t->p));
		if (!p)
			return 0; /* killed, untracked: its orphans fall to init, read each round */
		t->p = p;
		t->cap = cap;
	}
	t->p[t->n].pid = child;
	t->p[t->n++].fd = sbx_steal_fd(&fd);
	return 0;
}

/* The children of every thread of pid. */
static void tree_read(struct tree *t, pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return;
	t->parent = pid;
	for (struct dirent *de; (de = readdir(d));) {
		char *end;
		long tid = strtol(de->d_name, &end, 10);
		if (*end == '\0' && tid > 0)
			(void)sbx_children_each(pid, (pid_t)tid, tree_add, t);
	}
	closedir(d);
}

static bool exited(int pidfd, int timeout_ms)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };
	return poll(&p, 1, timeout_ms) > 0;
}

static void end_tree(struct sbx_worker *w)
{
	if (pidfd_send_signal(w->pidfd, SIGSTOP, NULL, 0) < 0)
		return;
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	while (waitid(P_PIDFD, (id_t)w->pidfd, &si, WSTOPPED | WEXITED | WNOWAIT | __WALL) < 0 && errno == EINTR)
		;
	if (si.si_code != CLD_STOPPED)
		return; /* init is gone already: the tree is no longer ours to read */
	struct tree t = { 0 };
	for (int round = 0; round < 1000; round++) {
		t.added = 0;
		tree_read(&t, w->pid);
		/* A dead one's children are init's now: only the living are read (t.n grows). */
		for (size_t i = 0; i < t.n; i++)
			if (!exited(t.p[i].fd, 0))
				tree_read(&t, t.p[i].pid);
		if (t.added == 0)
			break;
		/* Let the killed exit, so that the next round finds their orphans under init. */
		for (size_t i = 0; i < t.n; i++)
			(void)exited(t.p[i].fd, 100);
	}
	for (size_t i = 0; i < t.n; i++)
		close(t.p[i].fd);
	free(t.p);
}

void sbx_worker_kill(struct sbx_worker *w)
{
	if (w->pidfd < 0)
		return;
	if (!w->own_pidns)
		end_tree(w);
	(void)pidfd_send_signal(w->pidfd, SIGKILL, NULL, 0);
}

/* ---- helpers shared by the worker's files ---- */

void sbx_worker_audit(struct sbx_worker *w, const char *request, const char *target, bool granted, int error,
		      const char *rule)
{
	struct sbx_audit a = { .request = request, .target = target, .granted = granted, .error = error, .rule = rule };
	sbx_logf(w->log, w->log_userdata, SBX_LOG_DEBUG, "audit: %s %s: %s%s%s (%s)", request, target,
		 granted ? "granted" : "refused", error ? ": " : "", error ? strerror(error) : "", rule ? rule : "");
	if (w->cb.audit)
		w->cb.audit(w, &a, w->userdata);
}

void sbx_event_freep(struct event **ev)
{
	if (*ev) {
		event_free(*ev);
		*ev = NULL;
	}
}

/* The events and fds of a worker whose processes are gone. */
static void worker_release(struct sbx_worker *w)
{
	sbx_job_free(w);
	sbx_close(&w->mem_fd);
	sbx_close(&w->prog_pidfd);
	sbx_close(&w->started_pidfd);
	sbx_event_freep(&w->req.ev);
	sbx_event_freep(&w->ev_pid);
	sbx_event_freep(&w->chan.ev);
	sbx_event_freep(&w->listener.ev);
	sbx_event_freep(&w->ev_timer);
	sbx_nsrecord_end(w);
	sbx_event_freep(&w->ev_grace);
	sbx_close(&w->req.fd);
	sbx_grants_free(&w->grants);
	sbx_close(&w->chan.fd);
	sbx_close(&w->listener.fd);
	sbx_close(&w->pidfd);
}

/* Everything a worker holds, once its processes are gone (or were never started). */
static void worker_destroy(struct sbx_worker *w)
{
	worker_release(w);
	sbx_close(&w->mntns_fd);
	if (w->zplan) {
		sbx_plan_free(w->zplan);
		free(w->zplan);
	}
	sbx_cgroup_destroy(&w->cg);
	sbx_notify_done(&w->listener.n);
	sbx_policy_free(w->owned_policy);
	sbx_exit_report_clear(&w->exit);
	if (w->id_offset >= 0)
		sbx_idrange_release(w->cfg->range_uid, w->id_offset, w->id_lock);
	sbx_host_view_free(&w->view);
	free(w->program);
	free(w);
}

/* ---- the end ---- */

static void worker_reap(struct sbx_worker *w)
{
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	if (w->from_zygote) {
		/* Not our child (waitid says ECHILD at once): its end is its pidfd's POLLIN. */
		struct pollfd p = { .fd = w->pidfd, .events = POLLIN };
		while (poll(&p, 1, -1) < 0 && errno == EINTR)
			;
	}
	while (waitid(P_PIDFD, (id_t)w->pidfd, &si, WEXITED | __WALL) < 0 && errno == EINTR)
		;
	/* Messages sent just before the exit are still queued: read them first. */
	(void)sbx_chan_drain(w);
	if (w->from_zygote) {
		/* The zygote's child, not ours (it has exited: its pidfd said so): init exits 0
		 * right after STATUS, and without one it was killed. */
		si.si_code = w->facts.have_status ? CLD_EXITED : CLD_KILLED;
		si.si_status = w->facts.have_status ? 0 : SIGKILL;
		w->facts.from_zygote = true;
	}
	w->facts.init_code = si.si_code;
	w->facts.init_status = si.si_status;
	w->facts.oom_killed = sbx_cgroup_oom_kills(&w->cg) > 0;
	sbx_exit_decide(&w->facts, w->program, &w->exit);
	w->done = true;
	worker_release(w);
	/* Leaving pid 1 took every process of the namespace with it: the groups are empty. */
	sbx_cgroup_destroy(&w->cg);
}

static void on_pid(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct sbx_worker *w = arg;
	/* A ready worker's mount namespace, held so that init's exit did not wait for its
	 * teardown (chan.c), goes right after the callback: taken first, as the callback may free
	 * the worker. */
	int mntns = sbx_steal_fd(&w->mntns_fd);
	worker_reap(w);
	if (w->cb.exit)
		w->cb.exit(w, &w->exit.exit, w->userdata);
	if (mntns >= 0)
		close(mntns);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct sbx_worker *w = arg;
	if (!w->done && !w->facts.violation) {
		w->facts.timed_out = true;
		/* The exit report says it to the user (exit.c); this marks the moment in a debug log. */
		sbx_logf(w->log, w->log_userdata, SBX_LOG_DEBUG, "time limit reached, killing the sandbox");
		sbx_worker_kill(w);
	}
}

/* The grace period after a forwarded SIGINT/TERM/HUP is over and the sandbox still runs: a
 * program that ignores the signal must not keep sbx alive forever. */
static void on_grace(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct sbx_worker *w = arg;
	if (!w->done && !w->facts.violation) {
		w->facts.grace_expired = true;
		sbx_logf(w->log, w->log_userdata, SBX_LOG_DEBUG, "still running %llu ms after signal %d, killing the sandbox",
			 (unsigned long long)w->facts.grace_ms, w->facts.grace_signal);
		sbx_worker_kill(w);
	}
}

int sbx_worker_arm_timer(struct sbx_worker *w, uint64_t ms)
{
	struct timeval tv = { .tv_sec = (time_t)(ms / 1000), .tv_usec = (suseconds_t)(ms % 1000) * 1000 };
	w->ev_timer = evtimer_new(w->base, on_timer, w);
	if (!w->ev_timer || evtimer_add(w->ev_timer, &tv) < 0) {
		sbx_event_freep(&w->ev_timer);
		return -ENOMEM;
	}
	return 0;
}

static int arm_grace(struct sbx_worker *w, int sig)
{
	uint64_t ms = w->cfg->kill_after_ms;
	if ((sig != SIGINT && sig != SIGTERM && sig != SIGHUP) || ms == 0 || w->ev_grace)
		return 0; /* the first signal starts the one grace period */
	struct timeval tv = { .tv_sec = (time_t)(ms / 1000), .tv_usec = (suseconds_t)(ms % 1000) * 1000 };
	w->ev_grace = evtimer_new(w->base, on_grace, w);
	if (!w->ev_grace || evtimer_add(w->ev_grace, &tv) < 0)
		return -ENOMEM;
	w->facts.grace_signal = sig;
	w->facts.grace_ms = ms;
	return 0;
}

/* ---- spawning: the steps ---- */

/* The first struct sbx_callbacks ended with audit: no caller's may be shorter. Members added
 * later go after it, and this stays as it is. */
#define CALLBACKS_MIN_SIZE (offsetof(struct sbx_callbacks, audit) + sizeof(((struct sbx_callbacks *)0)->audit))

/* The caller's callbacks, completed with NULL for the members its sbx.h did not have yet. */
int sbx_worker_copy_callbacks(const struct sbx_callbacks *cb, struct sbx_callbacks *ret, struct sbx_error *err)
{
	memset(ret, 0, sizeof(*ret));
	if (!cb)
		return 0;
	if (cb->size < CALLBACKS_MIN_SIZE) {
		sbx_error_set(err, -EINVAL,
			      "struct sbx_callbacks: size %zu is too small (at least %zu; set .size = "
			      "sizeof(struct sbx_callbacks))",
			      cb->size, (size_t)CALLBACKS_MIN_SIZE);
		return -EINVAL;
	}
	if (cb->size > sizeof(*ret)) {
		sbx_error_set(err, -EINVAL,
			      "struct sbx_callbacks: size %zu is larger than this libsbx %s knows (%zu): built "
			      "against a newer sbx.h?",
			      cb->size, sbx_version(), sizeof(*ret));
		return -EINVAL;
	}
	memcpy(ret, cb, cb->size);
	return 0;
}

static int worker_new(struct event_base *base, const struct sbx_config *cfg, const char *program,
		      const struct sbx_spawn_opts *opts, const struct sbx_callbacks *cb, void *userdata,
		      struct sbx_worker **ret)
{
	struct sbx_worker *w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->base = base;
	w->cfg = cfg;
	w->cb = *cb;
	w->userdata = userdata;
	w->log = cfg->log;
	w->log_userdata = cfg->log_userdata;
	w->pidfd = w->chan.fd = w->listener.fd = w->req.fd = w->mntns_fd = w->prog_pidfd = w->mem_fd = -1;
	w->started_pidfd = -1;
	w->job_fds[0] = w->job_fds[1] = w->job_fds[2] = -1;
	w->id_offset = w->id_lock = -1;
	for (int fd = 0; fd < 3; fd++)
		w->stdio[fd] = opts ? opts->stdio[fd] : -1;
	w->netns_fd = opts ? opts->netns_fd : -1;
	w->host_netns_fd = opts ? opts->host_netns_fd : -1;
	w->seccomp = cfg->seccomp;
	w->learn = cfg->learn && cfg->seccomp;
	w->deferred = opts && opts->deferred;
	w->generation = cfg->generation;
	if (w->deferred)
		w->chan.state = SBX_LAUNCH_STATE_PREPARING;
	w->zygote = opts && opts->serve;
	if (w->zygote)
		w->chan.state = SBX_LAUNCH_STATE_ZSETUP;
	*ret = w;
	return (w->program = strdup(program)) ? 0 : -ENOMEM;
}

/* The policy. The built-in default is compiled at build time: nothing to parse or compile now
 * (it is parsed only to explain a violation). */
static int choose_policy(struct sbx_worker *w, struct sbx_error *err)
{
	/* Our own reference: the configuration may be given another policy while we run, and our
	 * grants and violation messages point into this one. */
	w->policy = w->owned_policy = sbx_policy_ref(w->cfg->policy);
	w->prebuilt = !w->policy && !w->learn && sbx_filter_prebuilt_usable();
	if (w->policy || w->prebuilt)
		return 0;
	int r = sbx_policy_new_default(&w->owned_policy, err);
	w->policy = w->owned_policy;
	return r;
}

static int prepare_seccomp(struct sbx_worker *w, struct sbx_error *err)
{
	if (!w->seccomp)
		return 0;
	int r = sbx_notify_init(&w->listener.n);
	if (r < 0) {
		sbx_error_set(err, r, "seccomp notifications unavailable: %s", strerror(-r));
		return r;
	}
	w->listener.exec_pending = w->learn || !sbx_filter_exec_allowed(w);
	return 0;
}

/* cgroups where the machine allows them. */
static int create_cgroups(struct sbx_worker *w, const struct sbx_plan *p, struct sbx_error *err)
{
	static unsigned counter;
	char name[64], info[768];
	snprintf(name, sizeof(name), "sbx-%d-%u", (int)getpid(), __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED));
	int r = sbx_cgroup_create(name, p->memory, p->pids, &w->cg, info, sizeof(info));
	if (r < 0) {
		sbx_error_set(err, r, "%s", info);
		return r;
	}
	if (p->memory || p->pids)
		sbx_logf(w->log, w->log_userdata, r ? SBX_LOG_DEBUG : SBX_LOG_NOTICE, "cgroups: %s", info);
	sbx_plan_memory_bound(p, r > 0 && w->cg.memory, info, sizeof(info));
	sbx_logf(w->log, w->log_userdata, SBX_LOG_DEBUG, "%s", info);
	return 0;
}

/* New user, mount, pid, ipc and uts namespaces; the child becomes the sandbox's init. */
static int clone_sandbox(struct sbx_worker *w, const struct sbx_launch_plan *lp, uint64_t ns_flags,
			 struct sbx_error *err)
{
	struct clone_args args;
	memset(&args, 0, sizeof(args));
	/* The network namespace is created by the child itself (sandbox/launch.c), in parallel with
	 * our own work; the cgroup namespace after the cgroup move. */
	args.flags = ns_flags | CLONE_PIDFD; /* all five, unless the fallback plan says otherwise */
	args.pidfd = (uint64_t)(uintptr_t)&w->pidfd;
	/* No exit signal: the caller's SIGCHLD handling (a waitpid(-1) loop, say) never sees our
	 * child, so it can neither steal its status nor be confused by it. */
	args.exit_signal = 0;
	if (w->netns_fd >= 0 && setns(w->netns_fd, CLONE_NEWNET) < 0) {
		int e = errno;
		sbx_error_set(err, -e, "entering the pool's network namespace: %s", strerror(e));
		return -e;
	}
	int pid = (int)syscall(SYS_clone3, &args, sizeof(args));
	int clone_errno = errno;
	if (pid == 0)
		sbx_launch_child(lp);
	if (w->netns_fd >= 0 && setns(w->host_netns_fd, CLONE_NEWNET) < 0) {
		/* This thread would stay cut off from the network: the caller must know. */
		int e = errno;
		sbx_error_set(err, -e, "returning to the broker's own network namespace: %s", strerror(e));
		if (pid > 0)
			w->pid = pid;
		return -e;
	}
	errno = clone_errno;
	if (pid < 0) {
		int e = errno;
		sbx_error_set(err, -e, "creating the namespaces (clone3): %s%s", strerror(e),
			      e == EPERM || e == ENOSPC ? " (are unprivileged user namespaces disabled?)" : "");
		return -e;
	}
	w->pid = pid;
	sbx_logf(w->log, w->log_userdata, SBX_LOG_DEBUG, "sandbox init is host pid %d", pid);
	return 0;
}

/* The uid/gid maps (as root ourselves, unprivileged through newuidmap; p NULL: none to write),
 * then the cgroups. */
static int map_and_attach(struct sbx_worker *w, const struct sbx_plan *p, struct sbx_error *err)
{
	const char *what = NULL;
	int r;
	if (!p) {
		/* maps written by the zygote */
	} else if (p->fb.userns && w->cfg->range_set && !p->privileged) {
		if ((r = sbx_idrange_newidmap(w->pid, p->uid, p->gid)) < 0) {
			sbx_error_set(err, r, "newuidmap/newgidmap for uid %u gid %u: %s%s", (unsigned)p->uid,
				      (unsigned)p->gid, strerror(-r),
				      r == -ENOENT ? " (install the uidmap package)"
						   : " (is the range yours in /etc/subuid and /etc/subgid?)");
			return r;
		}
	} else if (p->fb.userns && (r = sbx_userns_write_maps(w->pid, p->uid, p->gid, p->privileged, &what)) < 0) {
		sbx_error_set(err, r, "writing the user namespace map (%s): %s", what, strerror(-r));
		return r;
	}
	if (w->cg.n && (r = sbx_cgroup_attach(&w->cg, w->pid)) < 0) {
		sbx_error_set(err, r, "moving the sandbox into its cgroup: %s", strerror(-r));
		return r;
	}
	/* A zygote's job's init is not our child, held as a zombie until we reap it: its pid was
	 * its own for the move only if it is still alive after it. */
	if (w->from_zygote && w->cg.n && pidfd_send_signal(w->pidfd, 0, NULL, 0) < 0) {
		r = -errno;
		sbx_error_set(err, r, "moving the sandbox into its cgroup: it ended: %s", strerror(-r));
		return r;
	}
	return 0;
}

static int watch(struct sbx_worker *w, uint64_t time_ms, struct sbx_error *err)
{
	w->ev_pid = event_new(w->base, w->pidfd, EV_READ, on_pid, w);
	if (!w->ev_pid || event_add(w->ev_pid, NULL) < 0 || sbx_chan_watch(w) < 0) {
		sbx_error_set(err, -ENOMEM, "adding events to the loop");
		return -ENOMEM;
	}
	if (time_ms && sbx_worker_arm_timer(w, time_ms) < 0) {
		sbx_error_set(err, -ENOMEM, "adding the time limit to the loop");
		return -ENOMEM;
	}
	return 0;
}

static int send_go(struct sbx_worker *w, struct sbx_error *err)
{
	struct sbx_launch_msg go;
	memset(&go, 0, sizeof(go));
	go.type = SBX_LAUNCH_GO;
	if (send(w->chan.fd, &go, sizeof(go), MSG_NOSIGNAL) != (ssize_t)sizeof(go)) {
		int e = errno;
		sbx_error_set(err, -e, "starting the sandbox: %s", strerror(e));
		return -e;
	}
	return 0;
}

static int watch_requests(struct sbx_worker *w, struct sbx_error *err)
{
	int r = sbx_requests_watch(w);
	if (r < 0)
		sbx_error_set(err, r, "adding the request channel to the loop");
	return r;
}

/* A failed spawn: the sandbox (if it was started) is killed and reaped, everything released,
 * and the error the steps filled handed to the caller's. */
static int spawn_failed(struct sbx_worker *w, int r, struct sbx_error *err, struct sbx_error *ret_err)
{
	if (err->code == 0)
		sbx_error_set(err, r, "%s", strerror(-r));
	sbx_error_move(ret_err, err);
	if (w && w->pidfd >= 0) {
		sbx_worker_kill(w);
		worker_reap(w);
	}
	if (w)
		worker_destroy(w);
	return r;
}

/* A zygote's plan, moved out of the spawn's (which is then empty), for its jobs. */
static struct sbx_plan *keep_plan(struct sbx_plan *p)
{
	struct sbx_plan *kept = malloc(sizeof(*kept));
	if (kept) {
		*kept = *p;
		memset(p, 0, sizeof(*p));
		p->prog.fd = -1;
	}
	return kept;
}

static void close_pair(int (*sp)[2])
{
	sbx_close(&(*sp)[0]);
	sbx_close(&(*sp)[1]);
}

SBX_EXPORT int sbx_worker_spawn(struct event_base *base, const struct sbx_config *cfg,
				const char *program, char *const argv[],
				const struct sbx_callbacks *cb, void *userdata,
				struct sbx_worker **ret, struct sbx_error *ret_err)
{
	return sbx_worker_spawn_opts(base, cfg, program, argv, NULL, cb, userdata, ret, ret_err);
}

int sbx_worker_spawn_opts(struct event_base *base, const struct sbx_config *cfg, const char *program,
			  char *const argv[], const struct sbx_spawn_opts *opts, const struct sbx_callbacks *cb,
			  void *userdata, struct sbx_worker **ret, struct sbx_error *ret_err)
{
	/* Filled as the steps go and handed to the caller's only on failure: a caller's error
	 * from an earlier call is neither kept nor freed by a spawn that succeeds. */
	struct sbx_error error = SBX_ERROR_INIT, *err = &error;
	struct sbx_worker *w = NULL;
	struct sbx_callbacks callbacks;
	__attribute__((cleanup(sbx_plan_free))) struct sbx_plan plan = { .prog.fd = -1 };
	struct sbx_plan *pp = &plan;
	__attribute__((cleanup(close_pair))) int sp[2] = { -1, -1 };
	struct sbx_launch_plan lp;
	struct sbx_mount_plan mounts;
	struct sbx_ll_plan landlock;
	int r;

	if (!base || !cfg || !program || !argv || !argv[0] || !ret) {
		sbx_error_set(err, -EINVAL, "invalid argument");
		return spawn_failed(w, -EINVAL, err, ret_err);
	}
	/* A zygote's job runs on the zygote's plan: its root, program, environment and limits. */
	bool zjob = opts && opts->zygote;
	if (zjob)
		pp = opts->zygote->zplan;
	if ((r = sbx_worker_copy_callbacks(cb, &callbacks, err)) < 0 ||
	    (r = worker_new(base, cfg, program, opts, &callbacks, userdata, &w)) < 0 ||
	    (r = choose_policy(w, err)) < 0 ||
	    (!zjob && (r = sbx_plan_build(pp, w, program, err)) < 0))
		return spawn_failed(w, r, err, ret_err);
	/* A zygote's job runs the zygote's program file: named by its resolved path, as a cold
	 * launch's is once planned. */
	if (zjob && opts->zygote->program) {
		char *resolved = strdup(opts->zygote->program);
		if (!resolved) {
			sbx_error_set(err, -ENOMEM, "out of memory");
			return spawn_failed(w, -ENOMEM, err, ret_err);
		}
		free(w->program);
		w->program = resolved;
	}
	/* A single launch, or a pool's first job: say so when an argument names a file the
	 * program will not find (a batch's jobs would each fail the same way). */
	if (!opts || (opts->hinted && !*opts->hinted)) {
		sbx_plan_hint_hidden(pp, w, argv);
		if (opts)
			*opts->hinted = true;
	}
	/* What the plan took of the caller, for a pool to see it change (hostview.h). */
	if (opts && (opts->serve || opts->deferred)) {
		sbx_host_view_take(&w->view, NULL, pp->prog.fd);
		if ((r = sbx_host_view_note_idmapped(&w->view, &pp->fs)) < 0) {
			sbx_error_set(err, r, "out of memory");
			return spawn_failed(w, r, err, ret_err);
		}
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		r = -errno;
		sbx_error_set(err, r, "socketpair: %s", strerror(-r));
		return spawn_failed(w, r, err, ret_err);
	}
	/* A zygote has no cgroup of its own: what the kernel allocates at each job's clone is
	 * charged where the clone happens, and a job's limit on the zygote would sum every job's
	 * (each job's own cgroups are made for it, as for a cold launch). */
	if ((r = prepare_seccomp(w, err)) < 0 ||
	    (!w->zygote && (r = create_cgroups(w, pp, err)) < 0))
		return spawn_failed(w, r, err, ret_err);
	sbx_plan_launch_view(pp, w, argv, sp[1], sp[0], &lp, &mounts, &landlock);
	lp.zygote = w->zygote;
	sbx_strlcpy(w->fallback, pp->fb.keys, sizeof(w->fallback));
	w->own_pidns = pp->fb.clone_flags & CLONE_NEWPID;
	w->own_mntns = pp->fb.clone_flags & CLONE_NEWNS;
	w->script_by_path = lp.program_is_script && lp.script_by_path && lp.program_shown;
	r = zjob ? sbx_zygote_clone(opts->zygote, w, argv, sp[1], opts->own_netns, err)
		 : clone_sandbox(w, &lp, pp->fb.clone_flags, err);
	if (r < 0)
		return spawn_failed(w, r, err, ret_err);
	sbx_close(&sp[1]);
	w->chan.fd = sbx_steal_fd(&sp[0]);
	w->time_ms = pp->time_ms;
	/* A zygote's job: its maps are the zygote's to write, its filter the zygote's copy. */
	if ((r = map_and_attach(w, zjob ? NULL : pp, err)) < 0 ||
	    (r = watch(w, w->deferred || w->zygote ? 0 : pp->time_ms, err)) < 0 ||
	    (r = send_go(w, err)) < 0 ||
	    (!zjob && (r = sbx_filter_send(w, err)) < 0) ||
	    (r = watch_requests(w, err)) < 0)
		return spawn_failed(w, r, err, ret_err);
	if (w->zygote && !(w->zplan = keep_plan(pp))) {
		sbx_error_set(err, -ENOMEM, "out of memory");
		return spawn_failed(w, -ENOMEM, err, ret_err);
	}
	*ret = w;
	return 0;
}

SBX_EXPORT pid_t sbx_worker_pid(const struct sbx_worker *w)
{
	return w ? w->pid : -1;
}

SBX_EXPORT const char *sbx_worker_fallback(const struct sbx_worker *w)
{
	return w ? w->fallback : "";
}

SBX_EXPORT int sbx_worker_signal(struct sbx_worker *w, int sig)
{
	if (!w || sig <= 0 || sig >= NSIG)
		return -EINVAL;
	if (w->done || w->pidfd < 0)
		return -ESRCH;
	if (sig == SIGKILL)
		w->facts.killed = true;
	/* Init has a handler for the forwarded signals and passes them to the program. */
	if (pidfd_send_signal(w->pidfd, sig, NULL, 0) < 0)
		return -errno;
	return arm_grace(w, sig);
}

SBX_EXPORT void sbx_worker_free(struct sbx_worker *w)
{
	if (!w)
		return;
	if (!w->done && w->pidfd >= 0) {
		w->facts.killed = true;
		sbx_worker_kill(w);
		worker_reap(w);
	}
	worker_destroy(w);
}
