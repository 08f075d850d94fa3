/* SPDX-License-Identifier: MIT */
/* One worker as the broker sees it, shared by the files that each handle one of its concerns:
 *   worker.c    spawning (plan, clone, maps, cgroups, events), the public handle, the end
 *   plan.c      the launch plan built from policy + configuration (mountplan.c, grants.c, filter.c)
 *   chan.c      the launch channel: setup errors, the seccomp listener, the program's status
 *   notify.c    seccomp notifications: violations, learn mode, the launcher's own exec
 *   requests.c  run-time requests on the request channel
 *   exit.c      why the worker ended, decided in one place
 *   job.c       a ready worker's job (a pool's, pool.c)
 *   zygote.c    a zygote and the jobs it starts (a pool's, pool.c)
 * Not installed. */
#pragma once

#include <event2/event.h>
#include <stdbool.h>
#include <stdint.h>

#include "broker/cgroup.h"
#include "broker/exit.h"
#include "broker/grants.h"
#include "broker/hostview.h"
#include "broker/internal.h"
#include "broker/notify.h"
#include "broker/nsrecord.h"
#include "common/protocol.h"

struct sbx_plan;

struct sbx_worker {
	struct event_base *base;
	const struct sbx_config *cfg;  /* borrowed: must outlive the worker */
	struct sbx_callbacks cb;       /* the caller's, copied; members it lacked are NULL */
	void *userdata;
	sbx_log_fn log;
	void *log_userdata;
	char *program;                 /* the resolved host path, for messages; owned */

	/* The policy: borrowed from the config, or owned_policy; NULL while the build-time
	 * default filter serves (prebuilt) and nothing needed the parsed default yet. */
	const struct sbx_policy *policy;
	struct sbx_policy *owned_policy;
	bool prebuilt;
	bool seccomp;
	bool learn;

	int stdio[3];                  /* the job's stdio (borrowed until the clone), -1: ours */
	int netns_fd, host_netns_fd;   /* a pool's shared empty network namespace and this
	                                  thread's own (borrowed, pool.c); -1: a new one */

	pid_t pid;
	int pidfd;
	bool own_pidns;                /* false: the fallback left the pid namespace out (the kill
	                                  then ends init's tree itself, worker.c) */
	struct event *ev_pid, *ev_timer;
	struct event *ev_grace;        /* armed by the first forwarded SIGINT/TERM/HUP */
	struct sbx_cgroup cg;
	int id_offset;                 /* taken from cfg's id range, -1 when none */
	int id_lock;                   /* its lock file (idrange.c), -1 when none */

	struct {                       /* the launch channel (chan.c) */
		int fd;                /* broker end, -1 when closed */
		struct event *ev;
		enum sbx_launch_state state;
	} chan;

	struct {                       /* seccomp notifications (notify.c) */
		int fd;                /* the listener, -1 until EXEC */
		struct event *ev;
		struct sbx_notify n;
		bool exec_pending;     /* the launcher's own exec has not been let through yet */
	} listener;

	struct {                       /* run-time requests (requests.c) */
		int fd;                /* broker end of the request channel, -1 when none */
		struct event *ev;
		enum sbx_req_state state;
		uint32_t n_requests, n_granted, burst;
		uint64_t burst_start_ms;
	} req;
	struct sbx_grants grants;      /* what the requests are answered by */

	bool done;                     /* reaped: exit is final */
	struct sbx_exit_facts facts;   /* what happened, as it happened */
	struct sbx_exit_report exit;   /* decided from facts once the worker is reaped; its
	                                  strings live as long as the worker (sbx.h) */
	struct sbx_nsrecord rec;       /* the namespace record and state entry (nsrecord.c) */

	/* A ready worker (pool.c): made before its job, which sbx_worker_start_job() gives it. */
	bool deferred;                 /* made ready: the arguments and stdio come with the job */
	bool job_sent;                 /* the job was given: the caller's worker from now on */
	bool held;                     /* its exec is held (notify.c): ready */
	uint64_t held_id;              /* that notification */
	int mem_fd;                    /* /proc/PID/mem of its program's process, from READY */
	struct sbx_launch_job *job;    /* the job until it is delivered (job.c) */
	size_t job_argc, job_len;
	int job_fds[3];                /* its stdio, -1 when none */
	uint64_t time_ms;              /* its time limit, armed when the job starts */
	unsigned generation;           /* cfg->generation it was made with */
	struct sbx_host_view view;     /* a ready worker's or zygote's, as it was made (pool.c) */
	void (*on_ready)(struct sbx_worker *w); /* its program's process said READY (pool.c) */
	void *pool_data;               /* the pool's, while it holds the worker */
	bool own_mntns;                /* the plan made a mount namespace (not the fallback's) */
	bool script_by_path;           /* a script the sandbox may run by its path ($0), not by fd */
	int mntns_fd;                  /* a ready worker's, held past init's exit (chan.c); -1: none */
	int prog_pidfd;                /* a ready worker's program's process, checked at READY */
	pid_t prog_pid;
	char fallback[192];            /* the layers the fallback left out (sbx_worker_fallback) */

	/* A zygote (zygote.c): serves jobs, each its own worker. */
	bool zygote;
	bool zygote_served;            /* it said ZYGOTE: its root was built, it serves jobs */
	struct sbx_plan *zplan;        /* its plan, which its jobs run on; owned */
	int started_pidfd;             /* the job init its last STARTED named, checked, until taken */
	pid_t started_pid;
	int started_error;             /* or the errno that kept that job from starting */
	bool zygote_declined;          /* the last job could not start on it, which goes on (pool.c) */
	bool from_zygote;              /* a job a zygote started: its init is the zygote's child, not
	                                  ours (its end is read from its channel, worker.c) */
};

/* worker.c */
/* What a pool (pool.c) adds to a spawn; NULL: the defaults of sbx_worker_spawn. */
struct sbx_spawn_opts {
	int stdio[3];                  /* the job's stdin, stdout, stderr (borrowed); -1: the caller's */
	int netns_fd;                  /* an empty network namespace to clone into (borrowed); -1: none */
	int host_netns_fd;             /* the calling thread's own, returned to after the clone */
	bool deferred;                 /* a ready worker: argv is ignored, stdio should be /dev/null;
	                                  sbx_worker_start_job() gives it its job */
	bool serve;                    /* a zygote: argv is ignored, stdio should be /dev/null */
	struct sbx_worker *zygote;     /* a job started by this zygote (zygote.c) instead of a clone */
	bool own_netns;                /* with zygote: the job makes its own network namespace */
	bool *hinted;                  /* when false: say when an argument names a file the program
	                                  will not find, then set it (a pool's first job it reaches;
	                                  a single launch always says it) */
};
int sbx_worker_spawn_opts(struct event_base *base, const struct sbx_config *cfg, const char *program,
			  char *const argv[], const struct sbx_spawn_opts *opts, const struct sbx_callbacks *cb,
			  void *userdata, struct sbx_worker **ret, struct sbx_error *ret_err);
void sbx_worker_kill(struct sbx_worker *w);
/* The caller's callbacks, checked and completed with NULL for members its sbx.h lacked. */
int sbx_worker_copy_callbacks(const struct sbx_callbacks *cb, struct sbx_callbacks *ret, struct sbx_error *err);
/* The time limit's timer, from now. */
int sbx_worker_arm_timer(struct sbx_worker *w, uint64_t ms);

/* job.c: a ready worker's job. argv, stdio (-1: the caller's own fd), the caller's callbacks
 * from now on; the time limit starts now. A worker still preparing gets it once its exec is held. -EINVAL when w is not a ready worker or already has its job,
 * -E2BIG when argv does not fit (the caller starts the job cold instead), -ESRCH
 * when it is gone. On any failure the worker is still the pool's, without its job. */
int sbx_worker_start_job(struct sbx_worker *w, char *const argv[], const int stdio[3],
			 const struct sbx_callbacks *cb, void *userdata, struct sbx_error *err);
/* Whether argv fits a ready worker's job (struct sbx_launch_job). */
bool sbx_job_fits(char *const argv[]);
/* notify.c, the held exec just arrived / job.c: hand the job over; a failure is reported as
 * the job's setup failure and ends the worker. */
void sbx_job_deliver_or_fail(struct sbx_worker *w);
/* What a job not handed over yet holds (worker_release). */
void sbx_job_free(struct sbx_worker *w);

/* zygote.c: hand a job (argv, w's stdio, the child end of its launch channel) to zygote z and
 * wait for its init, whose pid and pidfd go to w. Returns 0 or -errno with err set; a zygote
 * that fails is killed; one that could not take this job only goes on, with z->zygote_declined
 * set. */
int sbx_zygote_clone(struct sbx_worker *z, struct sbx_worker *w, char *const argv[], int chan_fd, bool own_netns,
		     struct sbx_error *err);
/* chan.c: STARTED named the job's init by its pid in z's pid namespace (found among z's own
 * children, a pidfd taken and checked, kept for sbx_zygote_clone), or the errno that kept the
 * job from starting. Returns 0 or -errno. */
int sbx_zygote_take_started(struct sbx_worker *z, int32_t pid_in_zygote, int32_t error);
/* Whether z can start a job now: a zygote, not failed, its channel open. */
bool sbx_zygote_usable(const struct sbx_worker *z);

/* One decision of the broker (a request, a brokered call): the -v log and the audit callback. */
void sbx_worker_audit(struct sbx_worker *w, const char *request, const char *target, bool granted, int error,
		      const char *rule);
void sbx_event_freep(struct event **ev);

/* chan.c: watch the launch channel / read everything queued (false at EOF or error). */
int sbx_chan_watch(struct sbx_worker *w);
bool sbx_chan_drain(struct sbx_worker *w);

/* notify.c: watch the seccomp listener once the sandbox handed it over. */
int sbx_listener_watch(struct sbx_worker *w);

/* requests.c: watch the request channel. */
int sbx_requests_watch(struct sbx_worker *w);
