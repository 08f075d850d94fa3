/* SPDX-License-Identifier: MIT */
/* A zygote, broker side (docs/sandbox.md, "Zygote"): a worker whose init built the root once
 * and then clones one init per job (sandbox/zygote.c). Each job is a worker of its own from
 * there: its own launch channel, GO, cgroups, time limit, listener, status and end, exactly as
 * for a cold launch (worker.c); only its clone and its maps are the zygote's. What the zygote
 * sends is checked like everything from a sandbox: the pidfd that STARTED carries must be one
 * of the zygote's own children, alive. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "broker/worker.h"
#include "common/children.h"
#include "common/fdpass.h"
#include "common/util.h"

/* How long a job waits for the zygote to be ready (its root is built once) or to clone it. */
#define ZYGOTE_WAIT_MS 10000

bool sbx_zygote_usable(const struct sbx_worker *z)
{
	if (!z || !z->zygote || z->done || z->chan.fd < 0 || z->facts.killed || z->facts.protocol_error ||
	    z->facts.setup_error ||
	    (z->chan.state != SBX_LAUNCH_STATE_ZSETUP && z->chan.state != SBX_LAUNCH_STATE_ZIDLE))
		return false;
	/* Ended, and the loop has not seen it yet (killed from outside, say). */
	struct pollfd p = { .fd = z->pidfd, .events = POLLIN };
	return poll(&p, 1, 0) == 0;
}

/* pid's pid one level below ours (NSpid's second field: in the zygote's pid namespace, for its
 * child), or -errno. */
static pid_t nspid_below(pid_t pid)
{
	char v[128];
	int r = sbx_status_field(pid, "NSpid", v, sizeof(v));
	if (r < 0)
		return r;
	char *end;
	long own = strtol(v, &end, 10);
	if (own != pid || *end != '\t')
		return -ESRCH; /* not seen from our pid namespace as pid, or no level below */
	long below = strtol(end + 1, &end, 10);
	return below > 0 && (*end == '\t' || *end == '\0') ? (pid_t)below : -ESRCH;
}

struct find {
	pid_t want;        /* in the zygote's pid namespace */
	pid_t found;       /* in ours */
};

static int match_child(pid_t child, void *arg)
{
	struct find *f = arg;
	if (nspid_below(child) == f->want)
		f->found = child;
	return 0;
}

/* The same over every process: the children file may miss one while the list changes under
 * it (the zygote's other jobs ending), /proc's own listing does not miss a live process. */
static int scan_proc(pid_t zygote, struct find *f)
{
	DIR *d = opendir("/proc");
	if (!d)
		return -errno;
	for (struct dirent *de; f->found <= 0 && (de = readdir(d));) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		if (*end == '\0' && pid > 0 && sbx_parent_of((pid_t)pid) == zygote)
			(void)match_child((pid_t)pid, f);
	}
	closedir(d);
	return 0;
}

int sbx_zygote_take_started(struct sbx_worker *z, int32_t pid_in_zygote, int32_t error)
{
	if (!z->zygote || z->started_pidfd >= 0 || z->started_error)
		return -EPROTO;
	if (error) {
		z->started_error = error; /* that job's failure only */
		return 0;
	}
	/* Among the zygote's own children, the one whose pid in the zygote's namespace is the
	 * one named; checked again with a pidfd held, so that it is that process whatever pids
	 * were reused. */
	struct find f = { .want = pid_in_zygote, .found = -1 };
	int r = sbx_children_each(z->pid, z->pid, match_child, &f);
	if (r == 0 && f.found <= 0)
		r = scan_proc(z->pid, &f);
	if (r < 0)
		return r;
	if (f.found <= 0)
		return -ESRCH;
	_cleanup_close_ int pidfd = pidfd_open(f.found, 0);
	if (pidfd < 0)
		return -errno;
	if (sbx_parent_of(f.found) != z->pid || nspid_below(f.found) != pid_in_zygote)
		return -ESRCH;
	if (pidfd_send_signal(pidfd, 0, NULL, 0) < 0)
		return -errno;
	z->started_pidfd = sbx_steal_fd(&pidfd);
	z->started_pid = f.found;
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Read z's channel until its state leaves `from` (or it fails, or the time is up). */
static int wait_state(struct sbx_worker *z, enum sbx_launch_state from)
{
	uint64_t deadline = now_ms() + ZYGOTE_WAIT_MS;
	while (z->chan.state == from) {
		if (z->facts.killed || z->facts.protocol_error)
			return -EPROTO;
		uint64_t t = now_ms();
		if (t >= deadline)
			return -ETIMEDOUT;
		struct pollfd p = { .fd = z->chan.fd, .events = POLLIN };
		int n = poll(&p, 1, (int)(deadline - t));
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0 && !sbx_chan_drain(z) && z->chan.state == from)
			return -ESRCH; /* EOF: the zygote is gone */
	}
	return 0;
}

/* The job could not start on the zygote, which goes on: the caller starts it cold. */
static int declined(struct sbx_worker *z, struct sbx_error *err, int r, const char *what)
{
	sbx_error_set(err, r, "the zygote %s: %s", what, strerror(-r));
	z->zygote_declined = true;
	return r;
}

static int fail(struct sbx_worker *z, struct sbx_error *err, int r, const char *what)
{
	sbx_error_set(err, r, "the zygote %s: %s", what, strerror(-r));
	z->facts.killed = true;
	sbx_worker_kill(z); /* whatever it was doing, it serves no more jobs */
	return r;
}

int sbx_zygote_clone(struct sbx_worker *z, struct sbx_worker *w, char *const argv[], int chan_fd, bool own_netns,
		     struct sbx_error *err)
{
	if (!sbx_zygote_usable(z))
		return fail(z, err, -ESRCH, "is not serving");
	int r;
	if (z->chan.state == SBX_LAUNCH_STATE_ZSETUP && (r = wait_state(z, SBX_LAUNCH_STATE_ZSETUP)) < 0)
		return fail(z, err, r, "did not get ready");
	if (z->chan.state != SBX_LAUNCH_STATE_ZIDLE)
		return fail(z, err, -ESRCH, "ended before its first job");
	size_t argc = 0, len = 0;
	for (; argv[argc]; argc++)
		len += strlen(argv[argc]) + 1;
	if (argc == 0 || argc > SBX_LAUNCH_JOB_ARGS || len > SBX_LAUNCH_JOB_MAX) {
		sbx_error_set(err, -E2BIG, "the job's arguments do not fit a zygote's job");
		return -E2BIG;
	}
	size_t size = offsetof(struct sbx_launch_zjob, args) + len;
	_cleanup_free_ struct sbx_launch_zjob *m = calloc(1, size);
	if (!m) {
		sbx_error_set(err, -ENOMEM, "out of memory");
		return -ENOMEM;
	}
	m->type = SBX_LAUNCH_JOB;
	m->flags = own_netns ? SBX_ZJOB_OWN_NETNS : 0;
	m->argc = (uint32_t)argc;
	m->len = (uint32_t)len;
	for (size_t i = 0, off = 0; i < argc; i++) {
		size_t n = strlen(argv[i]) + 1;
		memcpy(m->args + off, argv[i], n);
		off += n;
	}
	int fds[4] = { chan_fd };
	for (int fd = 0; fd < 3; fd++)
		fds[fd + 1] = w->stdio[fd] >= 0 ? w->stdio[fd] : fd;
	/* A datagram goes whole or not at all: a refused send (the fds in flight of our uid at
	 * their limit, a closed stdio fd of the caller's) leaves the zygote as it was. */
	if ((r = sbx_send_fds(z->chan.fd, m, size, fds, 4, MSG_DONTWAIT)) < 0)
		return r == -EPIPE || r == -ECONNRESET ? fail(z, err, r, "cannot be given the job")
						       : declined(z, err, r, "cannot be given the job");
	z->chan.state = SBX_LAUNCH_STATE_ZJOB;
	if ((r = wait_state(z, SBX_LAUNCH_STATE_ZJOB)) < 0)
		return fail(z, err, r, "did not start the job");
	if (z->chan.state == SBX_LAUNCH_STATE_ZIDLE && z->started_error) {
		r = -z->started_error;
		z->started_error = 0;
		return declined(z, err, r, "could not start the job");
	}
	if (z->chan.state != SBX_LAUNCH_STATE_ZIDLE || z->started_pidfd < 0)
		return fail(z, err, -ESRCH, "failed to start the job");
	w->pidfd = sbx_steal_fd(&z->started_pidfd);
	w->pid = z->started_pid;
	w->from_zygote = true;
	sbx_logf(w->log, w->log_userdata, SBX_LOG_DEBUG, "sandbox init is host pid %d (started by the zygote)",
		 (int)w->pid);
	return 0;
}
