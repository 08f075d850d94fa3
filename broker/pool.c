/* SPDX-License-Identifier: MIT */
/* A pool: many short workers from one configuration, on the caller's loop (sbx.h, "Pools").
 * What it holds ahead of the jobs is the setup that is safe to share, and only that: one empty
 * network namespace, which each worker is cloned into instead of creating its own (the most
 * expensive namespace, ~1.4 ms of CPU each, whose destruction competes with the next launch).
 * Every other namespace, the root, the filter and the exec stay per job, as in a cold launch.
 *
 * Sharing is chosen only where docs/sandbox.md ("Many jobs") shows it safe, else every job
 * makes its own namespace, as sbx_worker_spawn does:
 *  - the built-in default policy with seccomp on (socket() refused: no job can make a socket
 *    that another could reach; not in learn mode, which lets every call through);
 *  - Landlock ABI 6 (abstract unix sockets scoped to each job's own domain);
 *  - CAP_SYS_ADMIN in the broker's own user namespace: a thread enters the namespace with
 *    setns() around the clone, and setns() asks for it. An unprivileged broker cannot.
 *
 * Ready workers (sbx_pool_keep_ready): whole workers started ahead of their jobs, each for one
 * job only, on the caller's loop while it is idle. Each has its own namespaces, root, cgroup
 * and program's process exactly as a cold launch makes them; the program's process waits in
 * its exec, held by the broker (SBX_STEP_JOB, job.c) until a job's arguments and stdio are in
 * place. What a ready worker cannot know ahead decides when a job starts cold instead: another
 * program, a
 * configuration changed since (its generation), stdio the plan treats specially (a terminal,
 * a read-only regular file), arguments that do not fit its struct sbx_launch_job. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "broker/export.h"
#include "broker/internal.h"
#include "broker/worker.h"
#include "common/util.h"
#include "sandbox/landlock.h"

#include "broker/plan.h"
#include "broker/policy/policy.h"

/* At most SBX_POOL_READY_MAX ready workers: each holds a cgroup, a few fds and two processes. */
/* Ready workers that end before READY, in a row, after which the pool stops making them. */
#define POOL_READY_FAILURES 3

/* What stops a pool making ready workers, or a zygote, once they keep failing: POOL_READY_FAILURES
 * in a row, or a cause none can escape. A stop holds until what made them fail may have changed:
 * the configuration (its generation), the caller's view (a program installed since, another
 * working directory: hostview.h), or the program (the caller lifts it). */
struct pool_stop {
	unsigned failures;            /* in a row */
	bool stopped;
	unsigned generation;          /* cfg->generation when it stopped */
	struct sbx_host_view view;    /* the caller's, for the program as the caller names it */
};

static void stop_lift(struct pool_stop *s)
{
	s->stopped = false;
	s->failures = 0;
}

static void stop_set(struct pool_stop *s, unsigned generation, const char *program)
{
	s->stopped = true;
	s->generation = generation;
	sbx_host_view_take(&s->view, program, -1);
}

/* Whether the stop still holds: lifted once the configuration or the caller's view changed. */
static bool stop_holds(struct pool_stop *s, unsigned generation, const char *program)
{
	struct sbx_host_view now;
	if (!s->stopped)
		return false;
	sbx_host_view_take(&now, program, -1);
	if (s->generation != generation || sbx_host_view_changed(&s->view, &now))
		stop_lift(s);
	return s->stopped;
}

/* One more failure in a row: whether it makes the pool stop. */
static bool stop_counts(struct pool_stop *s)
{
	return ++s->failures >= POOL_READY_FAILURES;
}

/* Whether a job's stdio (-1: the caller's own) is what a prepared worker can take: no terminal,
 * no read-only regular file (each changes the plan, sbx_plan_stdio_plain). */
static bool stdio_plain(const int stdio[3])
{
	for (int fd = 0; fd < 3; fd++)
		if (!sbx_plan_stdio_plain(stdio && stdio[fd] >= 0 ? stdio[fd] : fd))
			return false;
	return true;
}

struct sbx_pool {
	struct event_base *base;
	const struct sbx_config *cfg; /* borrowed */
	int netns_fd;                 /* the shared empty namespace, -1: one per worker */
	int host_netns_fd;            /* the creating thread's own */

	char *ready_program;          /* what the ready workers run (sbx_pool_keep_ready) */
	unsigned want;                /* how many to keep; 0: none */
	struct sbx_worker *ready[SBX_POOL_READY_MAX]; /* unstarted, in the order they were made */
	size_t n_ready;
	struct pool_stop ready_stop;  /* ready workers that end before READY (stop_ready()) */
	struct event *ev_refill;      /* makes one ready worker per loop iteration */
	int devnull;                  /* a ready worker's stdio until its job */

	char *zygote_program;         /* jobs of it start on the zygote (sbx_pool_use_zygote) */
	struct sbx_worker *zygote;    /* NULL: none now (made again at the next job) */
	struct sbx_worker **retired;  /* zygotes that take no more jobs and end with their last (a
	                                 configuration changed) */
	size_t n_retired, cap_retired;
	struct pool_stop zygote_stop; /* zygotes that fail before serving or at a job (stop_zygote()) */
	bool hinted;                  /* a job's arguments were checked for hidden files (once) */
};

/* Checked again at each spawn: the caller may change the configuration between jobs. */
static bool policy_may_share(const struct sbx_config *cfg)
{
	return !cfg->policy && cfg->seccomp && !cfg->learn;
}

static bool may_share(const struct sbx_config *cfg)
{
	return policy_may_share(cfg) && sbx_landlock_abi() >= 6;
}

/* The empty namespace, made by this thread and left at once. Its loopback stays down: nothing
 * inside may bring it up (no job holds a capability over it, it belongs to our user namespace). */
static int make_netns(struct sbx_pool *pool, struct sbx_error *err)
{
	pool->host_netns_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (pool->host_netns_fd < 0)
		return 0; /* no /proc: every job makes its own */
	if (unshare(CLONE_NEWNET) < 0) {
		sbx_close(&pool->host_netns_fd);
		return 0; /* EPERM: not privileged; every job makes its own */
	}
	pool->netns_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int saved = pool->netns_fd < 0 ? -errno : 0;
	if (setns(pool->host_netns_fd, CLONE_NEWNET) < 0) {
		int r = -errno;
		sbx_error_set(err, r, "returning to the caller's network namespace: %s", strerror(-r));
		return r;
	}
	if (saved < 0)
		sbx_close(&pool->host_netns_fd);
	return 0;
}

/* ---- the zygote ---- */

static void drop_zygote(struct sbx_pool *pool)
{
	struct sbx_worker *z = pool->zygote;
	pool->zygote = NULL;
	if (z) {
		z->pool_data = NULL;
		sbx_worker_free(z); /* kills it: the jobs it started end with it */
	}
}

static void free_retired(struct sbx_pool *pool, size_t i)
{
	struct sbx_worker *z = pool->retired[i];
	memmove(&pool->retired[i], &pool->retired[i + 1], (pool->n_retired - i - 1) * sizeof(pool->retired[0]));
	pool->n_retired--;
	sbx_worker_free(z); /* killed if it still runs, with its jobs */
}

/* A zygote that works but takes no more jobs (the configuration changed, another program):
 * its end of the channel closed, it waits for the jobs it started and then exits, which its
 * exit callback sees (on_zygote_exit). The jobs running on it are not touched. */
static void retire_zygote(struct sbx_pool *pool)
{
	struct sbx_worker *z = pool->zygote;
	pool->zygote = NULL;
	if (!z)
		return;
	if (!sbx_zygote_usable(z)) {
		z->pool_data = NULL;
		sbx_worker_free(z);
		return;
	}
	if (pool->n_retired == pool->cap_retired) {
		size_t cap = pool->cap_retired ? 2 * pool->cap_retired : 4;
		void *p = reallocarray(pool->retired, cap, sizeof(*pool->retired));
		if (!p) {
			z->pool_data = NULL;
			sbx_worker_free(z); /* out of memory: killed, with its jobs */
			return;
		}
		pool->retired = p;
		pool->cap_retired = cap;
	}
	sbx_event_freep(&z->chan.ev);
	sbx_close(&z->chan.fd);
	pool->retired[pool->n_retired++] = z;
}

static void stop_zygote(struct sbx_pool *pool, const char *why)
{
	sbx_logf(pool->cfg->log, pool->cfg->log_userdata, SBX_LOG_DEBUG, "pool: no zygote (%s); jobs start cold", why);
	stop_set(&pool->zygote_stop, pool->cfg->generation, pool->zygote_program);
	drop_zygote(pool);
}

/* A zygote failed (before it served, or at a job): after three in a row, no more until the
 * program or the configuration changes. */
static void zygote_failed(struct sbx_pool *pool, const char *why)
{
	if (stop_counts(&pool->zygote_stop))
		stop_zygote(pool, why);
	else
		drop_zygote(pool);
}

/* The zygote ended (killed from outside, or it failed): made again at the next job, unless
 * zygotes keep failing. Freeing it here is allowed (sbx.h). */
static void on_zygote_exit(struct sbx_worker *w, const struct sbx_exit *e, void *userdata)
{
	struct sbx_pool *pool = userdata;
	for (size_t i = 0; i < pool->n_retired; i++)
		if (pool->retired[i] == w) {
			free_retired(pool, i); /* its last job ended */
			return;
		}
	if (pool->zygote != w)
		return;
	const char *why = e->message[0] ? e->message : "no reason";
	sbx_logf(pool->cfg->log, pool->cfg->log_userdata, SBX_LOG_NOTICE, "pool: the zygote ended: %s", why);
	if (w->zygote_served)
		drop_zygote(pool); /* it worked: the next job makes another */
	else
		zygote_failed(pool, why);
}

/* What a zygote cannot have: what a ready worker cannot (make_ready), but the filter, which
 * the zygote does not need; and a place where the fallback leaves a namespace out. */
static int make_zygote(struct sbx_pool *pool, struct sbx_error *err)
{
	static const struct sbx_callbacks cb = { .size = sizeof(cb), .exit = on_zygote_exit };
	const struct sbx_config *cfg = pool->cfg;
	const struct sbx_policy_resource *pr;
	bool resources = cfg->n_res || (cfg->policy && sbx_policy_resources(cfg->policy, &pr) > 0);
	if (cfg->range_set || resources || cfg->learn) {
		sbx_error_set(err, -ENOTSUP, "%s",
			      cfg->range_set ? "per-job ids from a range are taken as each job starts"
			      : resources    ? "resources are opened as each job starts"
					     : "learn mode records each launch");
		return -ENOTSUP;
	}
	if (pool->devnull < 0 && (pool->devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) {
		int r = -errno;
		sbx_error_set(err, r, "/dev/null: %s", strerror(-r));
		return r;
	}
	char *argv[] = { pool->zygote_program, NULL };
	struct sbx_spawn_opts opts = { .stdio = { pool->devnull, pool->devnull, pool->devnull },
				       .netns_fd = policy_may_share(cfg) ? pool->netns_fd : -1,
				       .host_netns_fd = pool->host_netns_fd,
				       .serve = true };
	struct sbx_worker *z;
	int r = sbx_worker_spawn_opts(pool->base, cfg, pool->zygote_program, argv, &opts, &cb, pool, &z, err);
	if (r < 0)
		return r;
	/* What its plan shows: a request channel (--requests) would be the zygote's, in every job. */
	const char *no = z->script_by_path                          ? "a script run by its path starts cold"
			 : z->fallback[0] || !z->own_pidns || !z->own_mntns ? "the fallback leaves namespaces out"
			 : z->zplan->n_slots                             ? "the request channel is each job's own"
									 : NULL;
	if (no) {
		sbx_worker_free(z);
		sbx_error_set(err, -ENOTSUP, "%s", no);
		return -ENOTSUP;
	}
	z->pool_data = pool;
	pool->zygote = z;
	sbx_logf(cfg->log, cfg->log_userdata, SBX_LOG_DEBUG, "pool: a zygote for %s (host pid %d)", pool->zygote_program,
		 (int)z->pid);
	return 0;
}

/* Whether the caller's working directory, environment and program file are as when w was made,
 * and the --rw trees it shows idmapped still hold no set-id file (hostview.h); if not, says so
 * in the pool's log, naming what goes (since WHAT made). */
static bool view_holds(const struct sbx_pool *pool, const struct sbx_worker *w, const char *what)
{
	struct sbx_host_view now;
	sbx_host_view_take(&now, w->program, -1);
	bool same = sbx_host_view_same(&w->view, &now);
	if (same && sbx_host_view_idmap_holds(&w->view))
		return true;
	const char *why = same ? "a --rw tree shown idmapped holds a set-id file"
			       : "the working directory, environment or program file changed";
	sbx_logf(pool->cfg->log, pool->cfg->log_userdata, SBX_LOG_DEBUG, "pool: %s since %s made: new ones", why,
		 what);
	return false;
}

/* The zygote a job of program may start on, made now if need be, or NULL. */
static struct sbx_worker *zygote_for(struct sbx_pool *pool, const char *program, const int stdio[3])
{
	if (!pool->zygote_program || strcmp(program, pool->zygote_program) != 0 || !stdio_plain(stdio))
		return NULL;
	bool stopped = stop_holds(&pool->zygote_stop, pool->cfg->generation, program);
	if (pool->zygote && pool->zygote->generation != pool->cfg->generation)
		retire_zygote(pool); /* made with a configuration that changed since */
	if (pool->zygote && !view_holds(pool, pool->zygote, "the zygote was"))
		retire_zygote(pool);
	if (pool->zygote && !sbx_zygote_usable(pool->zygote))
		drop_zygote(pool); /* it ended */
	if (!pool->zygote && !stopped) {
		struct sbx_error err = SBX_ERROR_INIT;
		int r = make_zygote(pool, &err);
		if (r < 0)
			stop_zygote(pool, err.message ? err.message : strerror(-r));
		sbx_error_free(&err);
	}
	return pool->zygote;
}

SBX_EXPORT int sbx_pool_use_zygote(struct sbx_pool *pool, const char *program, struct sbx_error *err)
{
	if (!pool) {
		sbx_error_set(err, -EINVAL, "invalid argument");
		return -EINVAL;
	}
	char *copy = program ? strdup(program) : NULL;
	if (program && !copy) {
		sbx_error_set(err, -ENOMEM, "out of memory");
		return -ENOMEM;
	}
	retire_zygote(pool);
	free(pool->zygote_program);
	pool->zygote_program = copy;
	stop_lift(&pool->zygote_stop);
	if (!program)
		return 0;
	/* Made now, so that its root is built while the caller prepares the first job. */
	int r = make_zygote(pool, err);
	if (r < 0)
		stop_set(&pool->zygote_stop, pool->cfg->generation, program);
	return r;
}

SBX_EXPORT bool sbx_pool_has_zygote(const struct sbx_pool *pool)
{
	return pool && sbx_zygote_usable(pool->zygote);
}

/* ---- ready workers ---- */

static void drop_ready(struct sbx_pool *pool, size_t i)
{
	struct sbx_worker *w = pool->ready[i];
	memmove(&pool->ready[i], &pool->ready[i + 1], (pool->n_ready - i - 1) * sizeof(pool->ready[0]));
	pool->n_ready--;
	w->pool_data = NULL;
	w->on_ready = NULL;
	sbx_worker_free(w); /* kills and reaps one that still runs */
}

static void drop_all_ready(struct sbx_pool *pool)
{
	while (pool->n_ready)
		drop_ready(pool, pool->n_ready - 1);
}

static void schedule_refill(struct sbx_pool *pool)
{
	static const struct timeval soon = { 0, 2000 };
	if (pool->ev_refill && pool->n_ready < pool->want &&
	    !stop_holds(&pool->ready_stop, pool->cfg->generation, pool->ready_program))
		(void)evtimer_add(pool->ev_refill, &soon);
}

static void stop_ready(struct sbx_pool *pool, const char *why)
{
	/* A job started cold meets the same cause and reports it to the caller: a debug line here. */
	sbx_logf(pool->cfg->log, pool->cfg->log_userdata, SBX_LOG_DEBUG,
		 "pool: no more ready workers (%s); jobs start cold", why);
	stop_set(&pool->ready_stop, pool->cfg->generation, pool->ready_program);
	drop_all_ready(pool);
}

static void on_worker_ready(struct sbx_worker *w)
{
	struct sbx_pool *pool = w->pool_data;
	if (pool)
		pool->ready_stop.failures = 0;
}

/* A ready worker ended before its job (killed, out of memory, a failed setup): replaced,
 * unless they keep failing. Freeing it here is allowed (sbx.h). */
static void on_ready_exit(struct sbx_worker *w, const struct sbx_exit *e, void *userdata)
{
	struct sbx_pool *pool = userdata;
	bool was_ready = w->held;
	for (size_t i = 0; i < pool->n_ready; i++)
		if (pool->ready[i] == w) {
			sbx_logf(pool->cfg->log, pool->cfg->log_userdata, SBX_LOG_NOTICE,
				 "pool: a ready worker ended before its job: %s", e->message[0] ? e->message : "no reason");
			char why[256];
			snprintf(why, sizeof(why), "they end before their job: %s", e->message);
			drop_ready(pool, i);
			if (!was_ready && stop_counts(&pool->ready_stop))
				stop_ready(pool, why);
			schedule_refill(pool);
			return;
		}
}

static int make_ready(struct sbx_pool *pool, struct sbx_error *err)
{
	static const struct sbx_callbacks cb = { .size = sizeof(cb), .exit = on_ready_exit };
	char *argv[] = { pool->ready_program, NULL };
	struct sbx_spawn_opts opts = { .stdio = { pool->devnull, pool->devnull, pool->devnull },
				       .netns_fd = policy_may_share(pool->cfg) ? pool->netns_fd : -1,
				       .host_netns_fd = pool->host_netns_fd,
				       .deferred = true };
	struct sbx_worker *w;
	/* What a ready worker would take ahead of its job, and a cold launch takes at its start:
	 * an id from the range (held while it waits, so the range would run dry), and resources
	 * (a file truncated, a connection made, packets captured before the job existed). */
	const struct sbx_config *cfg = pool->cfg;
	const struct sbx_policy_resource *pr;
	bool resources = cfg->n_res || (cfg->policy && sbx_policy_resources(cfg->policy, &pr) > 0);
	if (cfg->range_set || resources || !cfg->seccomp || cfg->learn) {
		sbx_error_set(err, -ENOTSUP, "%s",
			      cfg->range_set ? "per-job ids from a range are taken as each job starts"
			      : resources    ? "resources are opened as each job starts"
					     : "a ready worker's exec is held by its seccomp filter (not in learn mode)");
		return -ENOTSUP;
	}
	int r = sbx_worker_spawn_opts(pool->base, pool->cfg, pool->ready_program, argv, &opts, &cb, pool, &w, err);
	if (r < 0)
		return r;
	if (w->script_by_path) { /* its $0 is its path, where a ready worker's exec is by fd */
		sbx_worker_free(w);
		sbx_error_set(err, -ENOTSUP, "a script run by its path starts cold");
		return -ENOTSUP;
	}
	w->on_ready = on_worker_ready;
	w->pool_data = pool;
	pool->ready[pool->n_ready++] = w;
	return 0;
}

static void on_refill(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct sbx_pool *pool = arg;
	if (pool->ready_stop.stopped || pool->n_ready >= pool->want)
		return;
	struct sbx_error err = SBX_ERROR_INIT;
	int r = make_ready(pool, &err);
	if (r < 0) {
		/* What no ready worker can have stops them at once; anything else (a missing
		 * program, out of fds or memory for now) counts toward the three in a row. */
		if (r == -ENOTSUP || stop_counts(&pool->ready_stop))
			stop_ready(pool, err.message ? err.message : "cannot start one");
		else
			schedule_refill(pool);
		sbx_error_free(&err);
		return;
	}
	schedule_refill(pool); /* one per loop iteration: the caller's events go between */
}

/* Whether a ready worker can take a job now: its exec held, made with the configuration as it
 * is, nothing gone wrong, both its processes alive (their ends may not have reached the loop). */
static bool failed(const struct sbx_worker *r)
{
	struct pollfd p[2] = { { .fd = r->pidfd, .events = POLLIN }, { .fd = r->prog_pidfd, .events = POLLIN } };
	return r->facts.killed || r->facts.protocol_error || r->facts.setup_error || poll(p, 2, 0) != 0;
}

static bool usable(const struct sbx_pool *pool, const struct sbx_worker *r)
{
	return r->held && r->generation == pool->cfg->generation && !failed(r);
}

/* The ready worker a job of program may take, or NULL. Ready ones first, then ones still
 * preparing (the job waits in their channel until they are). */
static struct sbx_worker *take_ready(struct sbx_pool *pool, const char *program, const int stdio[3])
{
	if (!pool->n_ready || strcmp(program, pool->ready_program) != 0 || !stdio_plain(stdio))
		return NULL;
	if (pool->ready[0]->generation != pool->cfg->generation) {
		drop_all_ready(pool); /* made with a configuration that changed since */
		return NULL;
	}
	/* One that ended meanwhile (killed, say) and whose end the loop has not seen yet would
	 * cost the job: dropped here (reaped by the free). */
	for (size_t i = pool->n_ready; i-- > 0;) {
		struct sbx_worker *r = pool->ready[i];
		if (failed(r))
			drop_ready(pool, i);
	}
	if (!pool->n_ready)
		return NULL;
	size_t pick = 0;
	for (size_t i = 0; i < pool->n_ready; i++)
		if (pool->ready[i]->held) {
			pick = i;
			break;
		}
	struct sbx_worker *w = pool->ready[pick];
	if (!view_holds(pool, w, "the ready workers were")) {
		drop_all_ready(pool);
		return NULL;
	}
	memmove(&pool->ready[pick], &pool->ready[pick + 1], (pool->n_ready - pick - 1) * sizeof(pool->ready[0]));
	pool->n_ready--;
	return w;
}

SBX_EXPORT int sbx_pool_keep_ready(struct sbx_pool *pool, const char *program, unsigned n, struct sbx_error *err)
{
	if (!pool || (n && !program) || n > SBX_POOL_READY_MAX) {
		sbx_error_set(err, -EINVAL, n > SBX_POOL_READY_MAX ? "at most %d ready workers" : "invalid argument",
			      SBX_POOL_READY_MAX);
		return -EINVAL;
	}
	bool program_changed = n && (!pool->ready_program || strcmp(program, pool->ready_program) != 0);
	if (program_changed) {
		char *copy = strdup(program);
		if (!copy) {
			sbx_error_set(err, -ENOMEM, "out of memory");
			return -ENOMEM;
		}
		drop_all_ready(pool);
		free(pool->ready_program);
		pool->ready_program = copy;
	}
	if (n && pool->devnull < 0 && (pool->devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) {
		int r = -errno;
		sbx_error_set(err, r, "/dev/null: %s", strerror(-r));
		return r;
	}
	if (n && !pool->ev_refill && !(pool->ev_refill = evtimer_new(pool->base, on_refill, pool))) {
		sbx_error_set(err, -ENOMEM, "out of memory");
		return -ENOMEM;
	}
	/* A stop holds until what made the workers fail may have changed (schedule_refill
	 * checks the configuration). */
	if (program_changed)
		stop_lift(&pool->ready_stop);
	pool->want = n;
	while (pool->n_ready > n)
		drop_ready(pool, pool->n_ready - 1);
	/* The first one at once, so that a job started right after this call finds it (it waits
	 * for its READY); the rest from the loop. */
	if (n && pool->n_ready == 0 && !pool->ready_stop.stopped)
		on_refill(-1, 0, pool);
	else
		schedule_refill(pool);
	return 0;
}

SBX_EXPORT unsigned sbx_pool_ready(const struct sbx_pool *pool)
{
	unsigned n = 0;
	for (size_t i = 0; pool && i < pool->n_ready; i++)
		n += usable(pool, pool->ready[i]);
	return n;
}

SBX_EXPORT int sbx_pool_new(struct event_base *base, const struct sbx_config *cfg, struct sbx_pool **ret,
			    struct sbx_error *ret_err)
{
	struct sbx_error error = SBX_ERROR_INIT;
	if (!base || !cfg || !ret) {
		sbx_error_set(ret_err, -EINVAL, "invalid argument");
		return -EINVAL;
	}
	struct sbx_pool *pool = calloc(1, sizeof(*pool));
	if (!pool) {
		sbx_error_set(ret_err, -ENOMEM, "out of memory");
		return -ENOMEM;
	}
	*pool = (struct sbx_pool){ .base = base, .cfg = cfg, .netns_fd = -1, .host_netns_fd = -1, .devnull = -1 };
	int r = may_share(cfg) ? make_netns(pool, &error) : 0;
	if (r < 0) {
		sbx_error_move(ret_err, &error);
		sbx_pool_free(pool);
		return r;
	}
	sbx_logf(cfg->log, cfg->log_userdata, SBX_LOG_DEBUG, "pool: %s",
		 pool->netns_fd >= 0 ? "one empty network namespace shared by its workers"
				     : "each worker makes its own network namespace");
	*ret = pool;
	return 0;
}

SBX_EXPORT bool sbx_pool_shares_netns(const struct sbx_pool *pool)
{
	/* The pool's own (a root broker), or its zygote's, which its jobs stay in. */
	return pool && may_share(pool->cfg) && (pool->netns_fd >= 0 || pool->zygote);
}

SBX_EXPORT int sbx_pool_spawn(struct sbx_pool *pool, const char *program, char *const argv[], const int stdio[3],
			      const struct sbx_callbacks *cb, void *userdata, struct sbx_worker **ret,
			      struct sbx_error *err)
{
	if (!pool) {
		sbx_error_set(err, -EINVAL, "invalid argument");
		return -EINVAL;
	}
	struct sbx_worker *w = program && argv && argv[0] && ret && sbx_job_fits(argv) ? take_ready(pool, program, stdio)
											: NULL;
	/* Whatever the job takes: replace what it took or dropped, or lift a stop the
	 * configuration's change may have undone. */
	schedule_refill(pool);
	if (w) {
		struct sbx_error start_err = SBX_ERROR_INIT;
		int r = sbx_worker_start_job(w, argv, stdio, cb, userdata, &start_err);
		if (r == 0) {
			sbx_logf(pool->cfg->log, pool->cfg->log_userdata, SBX_LOG_DEBUG,
				 "pool: the job runs on a ready worker (sandbox init host pid %d)", (int)w->pid);
			*ret = w;
			return 0;
		}
		/* Arguments too long for a job, or the worker just ended: this job starts cold. */
		sbx_logf(pool->cfg->log, pool->cfg->log_userdata, SBX_LOG_DEBUG, "pool: %s; starting the job cold",
			 start_err.message ? start_err.message : strerror(-r));
		sbx_error_free(&start_err);
		w->pool_data = NULL;
		w->on_ready = NULL;
		sbx_worker_free(w);
	}
	struct sbx_spawn_opts opts = { .stdio = { -1, -1, -1 },
				       .netns_fd = policy_may_share(pool->cfg) ? pool->netns_fd : -1,
				       .host_netns_fd = pool->host_netns_fd,
				       .hinted = &pool->hinted };
	if (stdio)
		memcpy(opts.stdio, stdio, sizeof(opts.stdio));
	struct sbx_worker *z = program && argv && argv[0] && ret && sbx_job_fits(argv) ? zygote_for(pool, program, stdio)
											: NULL;
	if (z) {
		/* Jobs share the zygote's network namespace where a pool may share one. */
		struct sbx_spawn_opts zopts = opts;
		zopts.zygote = z;
		zopts.own_netns = !may_share(pool->cfg);
		struct sbx_error zerr = SBX_ERROR_INIT;
		int r = sbx_worker_spawn_opts(pool->base, pool->cfg, program, argv, &zopts, cb, userdata, ret, &zerr);
		bool declined = z->zygote_declined;
		z->zygote_declined = false;
		if (r == 0 || (sbx_zygote_usable(z) && !declined)) {
			/* Started, or failed for a reason of the job's own, as it would cold. */
			sbx_error_move(err, &zerr);
			if (r == 0) {
				pool->zygote_stop.failures = 0;
				sbx_logf(pool->cfg->log, pool->cfg->log_userdata, SBX_LOG_DEBUG,
					 "pool: the job runs on the zygote (sandbox init host pid %d)", (int)(*ret)->pid);
			}
			return r;
		}
		sbx_logf(pool->cfg->log, pool->cfg->log_userdata, SBX_LOG_NOTICE, "pool: %s; the job starts cold",
			 zerr.message ? zerr.message : strerror(-r));
		if (!declined)
			zygote_failed(pool, zerr.message ? zerr.message : strerror(-r));
		sbx_error_free(&zerr);
	}
	return sbx_worker_spawn_opts(pool->base, pool->cfg, program, argv, &opts, cb, userdata, ret, err);
}

SBX_EXPORT void sbx_pool_free(struct sbx_pool *pool)
{
	if (!pool)
		return;
	pool->want = 0;
	drop_all_ready(pool);
	drop_zygote(pool);
	while (pool->n_retired)
		free_retired(pool, pool->n_retired - 1);
	free(pool->retired);
	free(pool->zygote_program);
	if (pool->ev_refill)
		event_free(pool->ev_refill);
	free(pool->ready_program);
	sbx_close(&pool->devnull);
	sbx_close(&pool->netns_fd);
	sbx_close(&pool->host_netns_fd);
	free(pool);
}
