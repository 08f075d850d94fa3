/* SPDX-License-Identifier: MIT */
/* A ready worker's job (pool.c, docs/sandbox.md "Ready workers"): the worker was started ahead
 * of it with /dev/null on stdio and no arguments; its program's process waits after READY, before
 * its filter, for SBX_LAUNCH_JOB: the arguments, and the job's stdin, stdout and stderr as three
 * fds. It reads nothing else first, so a job for a worker still preparing is sent at once and
 * waits in the channel. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "broker/export.h"
#include "broker/worker.h"
#include "common/fdpass.h"
#include "common/util.h"

/* The job's arguments packed as SBX_LAUNCH_JOB carries them; -E2BIG when they do not fit. */
static int pack_job(struct sbx_launch_job *job, char *const argv[])
{
	memset(job, 0, offsetof(struct sbx_launch_job, args));
	job->type = SBX_LAUNCH_JOB;
	for (size_t i = 0; argv[i]; i++) {
		size_t n = strlen(argv[i]) + 1;
		if (job->argc == SBX_LAUNCH_JOB_ARGS || n > SBX_LAUNCH_JOB_MAX - job->len)
			return -E2BIG;
		memcpy(job->args + job->len, argv[i], n);
		job->len += (uint32_t)n;
		job->argc++;
	}
	return 0;
}

bool sbx_job_fits(char *const argv[])
{
	size_t len = 0, n = 0;
	for (; argv && argv[n]; n++)
		len += strlen(argv[n]) + 1;
	return n >= 1 && n <= SBX_LAUNCH_JOB_ARGS && len <= SBX_LAUNCH_JOB_MAX;
}

static int send_job(struct sbx_worker *w, const struct sbx_launch_job *job, const int fds[3])
{
	return sbx_send_fds(w->chan.fd, job, offsetof(struct sbx_launch_job, args) + job->len, fds, 3, MSG_DONTWAIT);
}

int sbx_worker_start_job(struct sbx_worker *w, char *const argv[], const int stdio[3],
			 const struct sbx_callbacks *cb, void *userdata, struct sbx_error *err)
{
	struct sbx_callbacks callbacks;
	int r;
	if (!w || !argv || !argv[0] || !w->deferred || w->job_sent) {
		sbx_error_set(err, -EINVAL, "invalid argument");
		return -EINVAL;
	}
	if (w->done || w->chan.fd < 0 ||
	    (w->chan.state != SBX_LAUNCH_STATE_PREPARING && w->chan.state != SBX_LAUNCH_STATE_READY)) {
		sbx_error_set(err, -ESRCH, "the ready worker is gone");
		return -ESRCH;
	}
	if ((r = sbx_worker_copy_callbacks(cb, &callbacks, err)) < 0)
		return r;
	struct sbx_launch_job *job = malloc(sizeof(*job));
	if (!job) {
		sbx_error_set(err, -ENOMEM, "out of memory");
		return -ENOMEM;
	}
	if ((r = pack_job(job, argv)) < 0) {
		free(job);
		sbx_error_set(err, r, "the arguments do not fit a ready worker's job (%d bytes, %d arguments at most)",
			      SBX_LAUNCH_JOB_MAX, SBX_LAUNCH_JOB_ARGS);
		return r;
	}
	int fds[3];
	for (int fd = 0; fd < 3; fd++)
		fds[fd] = stdio && stdio[fd] >= 0 ? stdio[fd] : fd;
	/* The time limit starts with the job. */
	if (w->time_ms && (r = sbx_worker_arm_timer(w, w->time_ms)) < 0) {
		free(job);
		sbx_error_set(err, r, "adding the time limit to the loop");
		return r;
	}
	r = send_job(w, job, fds);
	free(job);
	if (r < 0) {
		sbx_event_freep(&w->ev_timer);
		sbx_error_set(err, r, "handing the job to a ready worker: %s", strerror(-r));
		return r;
	}
	/* The caller's worker from here on: its callbacks. EXEC is accepted from now on: a
	 * worker still preparing goes to SETUP when it says READY (chan.c). */
	w->job_sent = true;
	w->on_ready = NULL;
	w->pool_data = NULL;
	w->cb = callbacks;
	w->userdata = userdata;
	if (w->chan.state == SBX_LAUNCH_STATE_READY)
		w->chan.state = SBX_LAUNCH_STATE_SETUP;
	return 0;
}
