/* SPDX-License-Identifier: MIT */
/* A ready worker's job (pool.c, docs/sandbox.md "Ready workers"). The worker was started ahead
 * of it with /dev/null on stdio and no arguments; its program's process said READY (the
 * listener handed over as for EXEC) and called its exec, which every filter sends to the broker
 * (SBX_READY_EXEC_FLAGS) and notify.c holds. A job then: its arguments written into the
 * process's struct sbx_launch_job through /proc/PID/mem (opened at READY, chan.c), its stdin,
 * stdout and stderr installed on 0-2 with SECCOMP_IOCTL_NOTIF_ADDFD, and the exec let through.
 * A job given to a worker still preparing waits here for the held exec. */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "broker/worker.h"
#include "common/util.h"
#include "sandbox/launch.h"

bool sbx_job_fits(char *const argv[])
{
	size_t len = 0, n = 0;
	for (; argv && argv[n]; n++)
		len += strlen(argv[n]) + 1;
	return n >= 1 && n <= SBX_LAUNCH_JOB_ARGS && len <= SBX_LAUNCH_JOB_MAX;
}

void sbx_job_free(struct sbx_worker *w)
{
	free(w->job);
	w->job = NULL;
	for (int i = 0; i < 3; i++)
		sbx_close(&w->job_fds[i]);
}

/* The arguments as the process will see them: strings in its args, their addresses (in its
 * image, which is a copy of ours) in its argv. */
static int pack_job(struct sbx_worker *w, char *const argv[])
{
	struct sbx_launch_job *there = sbx_launch_job_area();
	size_t off = 0, i = 0;
	for (; argv[i]; i++) {
		size_t n = strlen(argv[i]) + 1;
		if (i == SBX_LAUNCH_JOB_ARGS || n > SBX_LAUNCH_JOB_MAX - off)
			return -E2BIG;
		memcpy(w->job->args + off, argv[i], n);
		w->job->argv[i] = there->args + off;
		off += n;
	}
	w->job->argv[i] = NULL;
	w->job_argc = i;
	w->job_len = off;
	return 0;
}

static int write_at(int fd, const void *buf, size_t len, const void *where)
{
	ssize_t n = pwrite(fd, buf, len, (off_t)(uintptr_t)where);
	return n == (ssize_t)len ? 0 : n < 0 ? -errno : -EIO;
}

/* Whether the held call's process is still there (the call gone: a signal interrupted it, and
 * the kernel will make it again). */
static bool prog_alive(const struct sbx_worker *w)
{
	struct pollfd p = { .fd = w->prog_pidfd, .events = POLLIN };
	return w->prog_pidfd >= 0 && poll(&p, 1, 0) == 0;
}

/* An ioctl on the held call; 1 when the call went away but its process lives. */
static int held_ioctl(struct sbx_worker *w, unsigned long op, void *arg)
{
	if (ioctl(w->listener.fd, op, arg) >= 0)
		return 0;
	int e = errno;
	if (e == ENOENT && prog_alive(w)) {
		w->held = false; /* hold_exec() takes the call again, and hands the job over then */
		return 1;
	}
	return -e;
}

/* 0: handed over; 1: the held call went away, the job waits for it again; <0: failed. */
static int job_deliver(struct sbx_worker *w)
{
	struct sbx_launch_job *there = sbx_launch_job_area();
	int r = 0;
	if (!w->job || !w->held || w->mem_fd < 0 || w->listener.fd < 0)
		return -EINVAL;
	/* The held call is still the one the process waits in: then the memory written is that
	 * process's (the fd was opened on its mm at READY, checked then to be init's child). */
	uint64_t id = w->held_id;
	if ((r = held_ioctl(w, SECCOMP_IOCTL_NOTIF_ID_VALID, &id)) != 0)
		return r;
	if ((r = write_at(w->mem_fd, w->job->args, w->job_len, there->args)) < 0 ||
	    (r = write_at(w->mem_fd, w->job->argv, (w->job_argc + 1) * sizeof(char *), there->argv)) < 0)
		return r;
	for (int i = 0; i < 3; i++) {
		struct seccomp_notif_addfd a = { .id = w->held_id, .flags = SECCOMP_ADDFD_FLAG_SETFD,
						 .srcfd = (uint32_t)w->job_fds[i], .newfd = (uint32_t)i };
		if ((r = held_ioctl(w, SECCOMP_IOCTL_NOTIF_ADDFD, &a)) != 0)
			return r; /* again from the start when the call comes back: SETFD replaces */
	}
	struct seccomp_notif_resp resp = { .id = w->held_id, .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE };
	if ((r = held_ioctl(w, SECCOMP_IOCTL_NOTIF_SEND, &resp)) != 0)
		return r;
	w->held = false;
	w->chan.state = SBX_LAUNCH_STATE_RUNNING;
	sbx_job_free(w);
	sbx_close(&w->mem_fd);
	return 0;
}

void sbx_job_deliver_or_fail(struct sbx_worker *w)
{
	int r = job_deliver(w);
	if (r == 0)
		sbx_nsrecord_start(w); /* the job's callbacks are in place: the record is the job's */
	if (r >= 0)
		return;
	/* The job's callbacks report it as a setup failure at this step. */
	struct sbx_exit_facts *f = &w->facts;
	f->setup_error = true;
	f->err_step = SBX_STEP_JOB;
	f->err_errno = -r;
	snprintf(f->err_detail, sizeof(f->err_detail), "handing the job to the ready worker");
	sbx_worker_kill(w);
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
	if (!(w->job = calloc(1, sizeof(*w->job)))) {
		sbx_error_set(err, -ENOMEM, "out of memory");
		return -ENOMEM;
	}
	if ((r = pack_job(w, argv)) < 0) {
		sbx_job_free(w);
		sbx_error_set(err, r, "the arguments do not fit a ready worker's job (%d bytes, %d arguments at most)",
			      SBX_LAUNCH_JOB_MAX, SBX_LAUNCH_JOB_ARGS);
		return r;
	}
	for (int i = 0; i < 3; i++) {
		int fd = stdio && stdio[i] >= 0 ? stdio[i] : i;
		if ((w->job_fds[i] = fcntl(fd, F_DUPFD_CLOEXEC, 3)) < 0) {
			r = -errno;
			sbx_job_free(w);
			sbx_error_set(err, r, "the job's fd %d: %s", i, strerror(-r));
			return r;
		}
	}
	/* The time limit starts with the job. */
	if (w->time_ms && (r = sbx_worker_arm_timer(w, w->time_ms)) < 0) {
		sbx_job_free(w);
		sbx_error_set(err, r, "adding the time limit to the loop");
		return r;
	}
	/* Handed over at once to a worker whose exec is held: a failure there leaves the job
	 * untouched, and the caller starts it cold. */
	if (w->held && (r = job_deliver(w)) < 0) {
		sbx_job_free(w);
		sbx_event_freep(&w->ev_timer);
		sbx_error_set(err, r, "handing the job to a ready worker: %s", strerror(-r));
		return r;
	}
	/* The caller's worker from here on: its callbacks see the rest, a failure included. */
	w->job_sent = true;
	w->on_ready = NULL;
	w->pool_data = NULL;
	w->cb = callbacks;
	w->userdata = userdata;
	if (w->chan.state == SBX_LAUNCH_STATE_RUNNING)
		sbx_nsrecord_start(w); /* the record is the job's */
	return 0;
}
