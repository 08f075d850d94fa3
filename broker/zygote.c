/* SPDX-License-Identifier: MIT */
/* A zygote, broker side (docs/sandbox.md, "Zygote"): a worker whose init built the root once
 * and then clones one init per job (sandbox/zygote.c). Each job is a worker of its own from
 * there: its own launch channel, GO, cgroups, time limit, listener, status and end, exactly as
 * for a cold launch (worker.c); only its clone and its maps are the zygote's. What the zygote
 * sends is checked like everything from a sandbox: the pidfd that STARTED carries must be one
 * of the zygote's own children, alive. */
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

/* The pid a pidfd names (its fdinfo), or -errno. */
static pid_t pidfd_pid(int fd)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	_cleanup_close_ int info = open(path, O_RDONLY | O_CLOEXEC);
	if (info < 0)
		return -errno;
	ssize_t n = read(info, buf, sizeof(buf) - 1);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	const char *p = strstr(buf, "\nPid:\t");
	if (!p)
		return -EBADF; /* not a pidfd */
	char *end;
	long pid = strtol(p + 6, &end, 10);
	return pid > 0 && *end == '\n' ? (pid_t)pid : -ESRCH;
}

int sbx_zygote_take_started(struct sbx_worker *z, int *fd)
{
	if (!z->zygote || z->started_pidfd >= 0)
		return -EPROTO;
	pid_t pid = pidfd_pid(*fd);
	if (pid < 0)
		return pid;
	/* Asked with the pidfd held: whatever pids were reused, it names z's child or a process
	 * that is gone, which the signal below finds. */
	if (sbx_parent_of(pid) != z->pid)
		return -ESRCH;
	if (pidfd_send_signal(*fd, 0, NULL, 0) < 0)
		return -errno;
	z->started_pidfd = sbx_steal_fd(fd);
	z->started_pid = pid;
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
	if ((r = sbx_send_fds(z->chan.fd, m, size, fds, 4, 0)) < 0)
		return fail(z, err, r, "cannot be given the job");
	z->chan.state = SBX_LAUNCH_STATE_ZJOB;
	if ((r = wait_state(z, SBX_LAUNCH_STATE_ZJOB)) < 0)
		return fail(z, err, r, "did not start the job");
	if (z->chan.state != SBX_LAUNCH_STATE_ZIDLE || z->started_pidfd < 0)
		return fail(z, err, -ESRCH, "failed to start the job");
	w->pidfd = sbx_steal_fd(&z->started_pidfd);
	w->pid = z->started_pid;
	w->from_zygote = true;
	sbx_logf(w->log, w->log_userdata, SBX_LOG_DEBUG, "sandbox init is host pid %d (started by the zygote)",
		 (int)w->pid);
	return 0;
}
