/* SPDX-License-Identifier: MIT */
/* The launch channel (common/protocol.h), broker side: a pure decoder that validates every
 * message like hostile input, and the worker's handler that records what a valid one says.
 * A sandbox that sends anything malformed or out of state is killed; the broker goes on. */
#include "chan.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "broker/worker.h"
#include "common/children.h"
#include "common/fdpass.h"
#include "common/util.h"

static int refuse(const char **why, const char *what)
{
	*why = what;
	return -EPROTO;
}

/* The state a valid message leads to (the table in common/protocol.h says which are valid). */
static enum sbx_launch_state next_state(const struct sbx_launch_msg *m)
{
	return m->type == SBX_LAUNCH_EXEC      ? SBX_LAUNCH_STATE_RUNNING
	       : m->type == SBX_LAUNCH_ERROR   ? SBX_LAUNCH_STATE_FAILED
	       : m->type == SBX_LAUNCH_READY   ? SBX_LAUNCH_STATE_READY
	       : m->type == SBX_LAUNCH_ZYGOTE  ? SBX_LAUNCH_STATE_ZIDLE
	       : m->type == SBX_LAUNCH_STARTED ? SBX_LAUNCH_STATE_ZIDLE
						: SBX_LAUNCH_STATE_ENDED;
}

int sbx_launch_decode(const void *buf, size_t len, size_t n_fds, int msg_flags, enum sbx_launch_state state,
		      bool seccomp, struct sbx_launch_msg *out, enum sbx_launch_state *next, const char **why)
{
	struct sbx_launch_msg m;
	if ((msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || len != sizeof(m))
		return refuse(why, "malformed launch message");
	if ((unsigned)state >= SBX_LAUNCH_STATE_MAX_)
		return refuse(why, "message after the end");
	memcpy(&m, buf, sizeof(m)); /* one copy: what is checked is what is used */
	if (memchr(m.detail, '\0', sizeof(m.detail)) == NULL)
		return refuse(why, "detail not NUL-terminated");
	/* The fields another type carries are zero (protocol.h): no message smuggles anything. */
	static const char zero[SBX_LAUNCH_DETAIL_MAX];
	bool started = m.type == SBX_LAUNCH_STARTED; /* a pid in status, or an errno in error */
	bool error_fields = m.step || (m.error && !started) || memcmp(m.detail, zero, sizeof(zero)) != 0;
	if ((m.type != SBX_LAUNCH_ERROR && error_fields) || (m.type != SBX_LAUNCH_STATUS && !started && m.status) ||
	    (m.type != SBX_LAUNCH_EXEC && m.type != SBX_LAUNCH_READY && m.listener))
		if (m.type == SBX_LAUNCH_ERROR || m.type == SBX_LAUNCH_EXEC || m.type == SBX_LAUNCH_STATUS ||
		    m.type == SBX_LAUNCH_READY || m.type == SBX_LAUNCH_ZYGOTE || m.type == SBX_LAUNCH_STARTED)
			return refuse(why, "field set that the message type does not carry");
	switch (m.type) {
	case SBX_LAUNCH_ERROR:
		if (n_fds)
			return refuse(why, "fd passed with ERROR");
		if (m.step == SBX_STEP_NONE || m.step >= SBX_STEP_MAX_ || m.error <= 0 || m.error > 4095)
			return refuse(why, "malformed ERROR");
		if (state == SBX_LAUNCH_STATE_RUNNING && m.step != SBX_STEP_EXEC)
			return refuse(why, "setup ERROR after EXEC");
		break;
	case SBX_LAUNCH_EXEC:
	case SBX_LAUNCH_READY: {
		/* The broker takes the listener itself (pidfd_getfd): nothing is ever in flight. A
		 * ready worker's READY names it as EXEC does. */
		bool ready = m.type == SBX_LAUNCH_READY;
		if (n_fds)
			return refuse(why, ready ? "fd passed with READY" : "fd passed with EXEC");
		if (seccomp && m.listener < 0)
			return refuse(why, ready ? "READY names no listener" : "EXEC names no listener");
		if (!seccomp && m.listener != 0)
			return refuse(why, ready ? "READY names a listener without seccomp"
						 : "EXEC names a listener without seccomp");
		break;
	}
	case SBX_LAUNCH_STATUS:
		if (n_fds)
			return refuse(why, "fd passed with STATUS");
		break;
	case SBX_LAUNCH_ZYGOTE:
		if (n_fds)
			return refuse(why, "fd passed with ZYGOTE");
		break;
	case SBX_LAUNCH_STARTED:
		if (n_fds)
			return refuse(why, "fd passed with STARTED");
		if ((m.status > 0) == (m.error != 0) || m.status < 0 || m.error < 0 || m.error > 4095)
			return refuse(why, "malformed STARTED");
		break;
	default:
		return refuse(why, "unknown message type");
	}
	if (!(sbx_launch_allowed[state] & (1u << m.type)))
		return refuse(why, m.type == SBX_LAUNCH_ERROR    ? "ERROR out of state"
				   : m.type == SBX_LAUNCH_EXEC   ? "EXEC out of state"
				   : m.type == SBX_LAUNCH_READY  ? "READY out of state"
				   : m.type == SBX_LAUNCH_ZYGOTE ? "ZYGOTE out of state"
				   : m.type == SBX_LAUNCH_STARTED ? "STARTED out of state"
								 : "STATUS out of state");
	*out = m;
	*next = next_state(&m);
	return 0;
}

/* ---- the worker's side ---- */

static void protocol_violation(struct sbx_worker *w, const char *why)
{
	if (!w->facts.protocol_error) {
		w->facts.protocol_error = true;
		snprintf(w->facts.protocol_why, sizeof(w->facts.protocol_why), "%s", why);
	}
	sbx_worker_kill(w);
}

/* Whether the process behind pidfd has exited (a zombie counts: one whose init was killed is
 * a zombie handed to another parent, hence no longer init's child). The pidfd, not the pid:
 * no reused number can answer for it. */
static bool exited(int pidfd)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };
	return poll(&p, 1, 0) > 0;
}

/* A pidfd for pid, which must be init's child: checked after pidfd_open and with the process
 * still alive after the check, so the pidfd is that child whatever pids were reused. -ESRCH
 * when it has exited (killed from outside, or with its zygote), -EPERM when it is not init's. */
static int child_pidfd(struct sbx_worker *w, pid_t pid)
{
	if (pid <= 0)
		return -EPERM;
	_cleanup_close_ int pidfd = pidfd_open(pid, 0);
	if (pidfd < 0)
		return -errno;
	if (sbx_parent_of(pid) != w->pid)
		return exited(pidfd) ? -ESRCH : -EPERM;
	if (pidfd_send_signal(pidfd, 0, NULL, 0) < 0)
		return -errno;
	return sbx_steal_fd(&pidfd);
}

/* The sender's pidfd: a ready worker's program's process, checked at READY (hold_program), or
 * one checked now, which *own holds for the caller to close. */
static int sender_pidfd(struct sbx_worker *w, pid_t pid, int *own)
{
	if (pid == w->prog_pid && w->prog_pidfd >= 0)
		return w->prog_pidfd;
	return *own = child_pidfd(w, pid);
}

/* The program's process named its listener in EXEC (or READY): take it with pidfd_getfd(), then say TAKEN
 * (it waits for that in ppoll() before its exec, which would close the listener). No fd is
 * ever in flight from the sandbox: an fd in flight counts against its uid's limit, which
 * every sandbox of that uid shares (issue 13). pid is the sender's, vouched for by the kernel
 * (SCM_CREDENTIALS); it must be init's child (child_pidfd). */
static int take_listener(struct sbx_worker *w, pid_t pid, int fd)
{
	_cleanup_close_ int own = -1;
	int pidfd = sender_pidfd(w, pid, &own);
	if (pidfd < 0)
		return pidfd;
	_cleanup_close_ int listener = pidfd_getfd(pidfd, fd, 0); /* close-on-exec */
	if (listener < 0) { /* an exiting process's files may be gone before its exit shows */
		int e = errno;
		return e == ESRCH || exited(pidfd) ? -ESRCH : -e;
	}
	char path[64], target[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", listener);
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	if (strcmp(target, "anon_inode:seccomp notify") != 0)
		return -ENOTSUP;
	struct sbx_launch_msg taken;
	memset(&taken, 0, sizeof(taken));
	taken.type = SBX_LAUNCH_TAKEN;
	if (send(w->chan.fd, &taken, sizeof(taken), MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)sizeof(taken))
		return -EIO;
	w->listener.fd = sbx_steal_fd(&listener);
	return 0;
}

/* A ready worker's mount namespace, held past init's exit: the kernel then has no mounts to
 * tear down before the broker learns of the exit (about a third of a warm job's latency,
 * docs/sandbox.md "Ready workers"); the broker closes it right after the exit callback
 * (worker.c). Nothing can enter it: no process is left in it, and the fd is the broker's. pid
 * (the sender of READY, dumpable for the handoff) must be init's child, checked as
 * take_listener() does. Best effort: without it the teardown happens at init's exit. */
static void hold_mntns(struct sbx_worker *w, pid_t pid)
{
	if (pid <= 0 || w->mntns_fd >= 0 || !w->own_mntns)
		return;
	_cleanup_close_ int own = -1;
	int pidfd = sender_pidfd(w, pid, &own);
	if (pidfd < 0)
		return;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && pidfd_send_signal(pidfd, 0, NULL, 0) == 0)
		w->mntns_fd = sbx_steal_fd(&fd);
}

/* A ready worker's READY: its program's process (dumpable for the handoff), checked to be
 * init's child, and its memory, where the job's arguments will go (job.c): the mem fd is bound
 * to the process's memory when opened, and the process is checked alive after the open, so it
 * is that child's whatever pids were reused. Without it no job can be handed over: the worker
 * is killed, and the pool makes no more after three (pool.c). */
static void hold_program(struct sbx_worker *w, pid_t pid)
{
	int pidfd = child_pidfd(w, pid);
	if (pidfd < 0)
		return; /* take_listener refuses it too */
	sbx_close(&w->prog_pidfd);
	w->prog_pidfd = pidfd;
	w->prog_pid = pid;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	_cleanup_close_ int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd >= 0 && pidfd_send_signal(pidfd, 0, NULL, 0) == 0)
		w->mem_fd = sbx_steal_fd(&fd);
	else
		sbx_logf(w->log, w->log_userdata, SBX_LOG_DEBUG, "a ready worker's memory cannot be written: %s",
			 strerror(fd < 0 ? errno : ESRCH));
}

/* Record what a decoded message says; pid: its sender's (SCM_CREDENTIALS), 0 when unknown. */
static void apply(struct sbx_worker *w, const struct sbx_launch_msg *m, pid_t pid)
{
	struct sbx_exit_facts *f = &w->facts;
	switch (m->type) {
	case SBX_LAUNCH_ERROR:
		f->setup_error = true;
		f->err_step = m->step;
		f->err_errno = m->error;
		memcpy(f->err_detail, m->detail, sizeof(f->err_detail));
		break;
	case SBX_LAUNCH_READY:
		hold_program(w, pid);
		hold_mntns(w, pid);
		__attribute__((fallthrough)); /* the listener, as for EXEC */
	case SBX_LAUNCH_EXEC:
		if (w->seccomp) {
			int r = take_listener(w, pid, m->listener);
			/* Its sender ended before the listener was taken: something killed it (or its
			 * zygote) from outside, and its listener went with it. Not the sandbox's doing:
			 * nothing is taken or answered, nothing can exec without TAKEN, and init's end
			 * says what happened. A ready worker without its program can take no job: it
			 * goes (failed() in pool.c sees it killed). */
			if (r == -ESRCH) {
				sbx_logf(w->log, w->log_userdata, SBX_LOG_DEBUG,
					 "the program's process ended before its seccomp listener was taken");
				if (m->type == SBX_LAUNCH_READY) {
					f->killed = true;
					sbx_worker_kill(w);
				}
			} else if (r < 0) {
				char why[sizeof(f->protocol_why)];
				snprintf(why, sizeof(why), "cannot take the seccomp listener: %s", strerror(-r));
				protocol_violation(w, why);
			}
		}
		/* A ready worker's record is its job's, made when the job is handed over (job.c). */
		if (m->type == SBX_LAUNCH_EXEC)
			sbx_nsrecord_start(w); /* every namespace exists now */
		break;
	case SBX_LAUNCH_STATUS:
		f->have_status = true;
		f->status = m->status;
		break;
	case SBX_LAUNCH_ZYGOTE:
		w->zygote_served = true;
		sbx_nsrecord_start(w); /* listed by sbx ps beside its jobs */
		break;
	case SBX_LAUNCH_STARTED: {
		/* A pid that names no child of the zygote's (found by NSpid, checked with a pidfd)
		 * is never trusted: that job starts cold; its init, if any, ends when its channel
		 * closes. Only a STARTED no job was asked for breaks the protocol (the state table). */
		int r = sbx_zygote_take_started(w, m->status, m->error);
		if (r < 0) {
			sbx_logf(w->log, w->log_userdata, SBX_LOG_NOTICE,
				 "the zygote's STARTED names no job's init of its own (pid %d there): %s", (int)m->status,
				 strerror(-r));
			w->started_error = r == -EPROTO ? EPROTO : ESRCH;
		}
		break;
	}
	}
}

bool sbx_chan_drain(struct sbx_worker *w)
{
	while (w->chan.fd >= 0) {
		struct sbx_launch_msg buf;
		struct sbx_recv rv;
		int r = sbx_recv_fds(w->chan.fd, &buf, sizeof(buf), MSG_DONTWAIT, &rv);
		if (r < 0)
			return r == -EAGAIN;
		if (rv.len == 0)
			return false;
		struct sbx_launch_msg m;
		enum sbx_launch_state next;
		const char *why = NULL;
		int flags = (rv.truncated ? MSG_TRUNC : 0) | (rv.bad_control ? MSG_CTRUNC : 0);
		if (sbx_launch_decode(&buf, (size_t)rv.len, rv.n_fds, flags, w->chan.state, w->seccomp, &m, &next, &why) < 0) {
			protocol_violation(w, why);
		} else {
			apply(w, &m, rv.pid);
			w->chan.state = next;
		}
		sbx_recv_close(&rv); /* no valid message carries an fd */
		if (w->listener.fd >= 0 && !w->listener.ev && sbx_listener_watch(w) < 0)
			protocol_violation(w, "cannot watch the seccomp listener");
	}
	return false;
}

static void on_chan(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct sbx_worker *w = arg;
	if (!sbx_chan_drain(w))
		sbx_event_freep(&w->chan.ev); /* EOF: the end comes through the pidfd */
}

int sbx_chan_watch(struct sbx_worker *w)
{
	/* Every datagram then carries its sender's pid (before GO: nothing is sent before it). */
	int one = 1;
	if (setsockopt(w->chan.fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
		return -errno;
	w->chan.ev = event_new(w->base, w->chan.fd, EV_READ | EV_PERSIST, on_chan, w);
	if (!w->chan.ev || event_add(w->chan.ev, NULL) < 0)
		return -ENOMEM;
	return 0;
}
