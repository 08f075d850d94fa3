/* SPDX-License-Identifier: MIT */
/* A zygote (docs/sandbox.md, "Zygote"): an init that built the root once and, instead of
 * forking one program, gives each SBX_LAUNCH_JOB from the broker a job's init of its own, cloned
 * into new user, mount, pid, ipc and uts namespaces (and a network namespace when the broker
 * asks) one job ahead, its one-id maps written. The job's init then goes on as a cold launch's would
 * (sandbox/launch.c). The zygote runs nothing but this loop: it never executes anything, holds
 * no secret, and no job can reach it (another pid namespace, a user namespace above the job's
 * in which the job holds no capability). Nothing here allocates. */
#include "zygote.h"

#include <errno.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/fdpass.h"
#include "common/protocol.h"
#include "userns.h"

/* The job being started: parsed into the job's init's copy of this image. */
static struct sbx_launch_zjob zmsg;

/* argv from zmsg.args into job (its pointers point into job->args): -EPROTO when it is not
 * exactly argc NUL-terminated strings. */
static int parse_args(size_t len, struct sbx_launch_job *job)
{
	if (zmsg.argc == 0 || zmsg.argc > SBX_LAUNCH_JOB_ARGS || zmsg.len == 0 || zmsg.len > SBX_LAUNCH_JOB_MAX ||
	    len != offsetof(struct sbx_launch_zjob, args) + zmsg.len || zmsg.args[zmsg.len - 1] != '\0' ||
	    (zmsg.flags & ~SBX_ZJOB_OWN_NETNS))
		return -EPROTO;
	memcpy(job->args, zmsg.args, zmsg.len);
	size_t n = 0;
	for (size_t off = 0; off < zmsg.len && n <= zmsg.argc; off += strlen(job->args + off) + 1)
		job->argv[n++] = job->args + off;
	if (n != zmsg.argc)
		return -EPROTO;
	job->argv[n] = NULL;
	return 0;
}

static void report(int chan, int err)
{
	struct sbx_launch_msg msg;
	memset(&msg, 0, sizeof(msg));
	msg.type = SBX_LAUNCH_ERROR;
	msg.step = SBX_STEP_ZYGOTE;
	msg.error = err < 0 ? -err : err;
	(void)send(chan, &msg, sizeof(msg), MSG_NOSIGNAL);
}

/* The next job's init, cloned ahead of its job: in its own namespaces, its maps written, waiting
 * on sock for the job the zygote passes on (so that the broker's wait for STARTED is a message,
 * not a clone). */
struct next_init {
	pid_t pid;
	int pidfd;
	int sock;          /* the zygote's end; the init's is its own */
	uint32_t flags;    /* SBX_ZJOB_* it was cloned for */
};

static void next_drop(struct next_init *n)
{
	if (n->pidfd >= 0) {
		(void)syscall(SYS_pidfd_send_signal, n->pidfd, SIGKILL, NULL, 0);
		close(n->pidfd);
	}
	if (n->sock >= 0)
		close(n->sock);
	*n = (struct next_init){ .pid = -1, .pidfd = -1, .sock = -1 };
}

/* In the cloned init: wait for the job (the zygote's JOB, passed on whole with its four fds),
 * then become it. Nothing has run here but our code; the zygote's fds it holds go at step 2
 * and 14 of the job. */
_Noreturn static void await_job(int sock, struct sbx_launch_job *job, sbx_zygote_job_fn run_job, const void *arg)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		_exit(125);
	struct sbx_recv rv;
	int r = sbx_recv_fds(sock, &zmsg, sizeof(zmsg), 0, &rv);
	if (r < 0 || rv.len == 0 || rv.truncated || rv.bad_control || rv.n_fds != 4 ||
	    rv.len < (ssize_t)offsetof(struct sbx_launch_zjob, args) || parse_args((size_t)rv.len, job) < 0)
		_exit(125); /* the zygote dropped us (or is gone): never a job */
	close(sock);
	run_job(arg, rv.fds);
	_exit(125);
}

/* Clone the next job's init for flags, write its one-id maps. Returns 0 or -errno. */
static int next_clone(struct next_init *n, uint32_t flags, uid_t uid, gid_t gid, struct sbx_launch_job *job,
		      sbx_zygote_job_fn run_job, const void *arg)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	struct clone_args args;
	memset(&args, 0, sizeof(args));
	args.flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_PIDFD |
		     ((flags & SBX_ZJOB_OWN_NETNS) ? CLONE_NEWNET : 0);
	args.pidfd = (uint64_t)(uintptr_t)&n->pidfd;
	args.exit_signal = SIGCHLD;
	/* The job's init is born dumpable, so that its /proc files (uid_map) are its uid's, which
	 * is ours, until its step 15 as a cold init is; we are not, but for the clone. */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0) {
		int e = errno;
		close(sv[0]);
		close(sv[1]);
		return -e;
	}
	pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	if (pid == 0) {
		close(sv[0]);
		await_job(sv[1], job, run_job, arg);
	}
	int e = pid < 0 ? errno : 0;
	close(sv[1]);
	n->sock = sv[0];
	n->pid = pid;
	n->flags = flags;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 && !e)
		e = errno;
	const char *what = "clone3";
	int r = e ? -e : sbx_userns_write_maps(pid, uid, gid, false, &what);
	if (r < 0)
		next_drop(n);
	return r;
}

_Noreturn void sbx_zygote_serve(int chan, uid_t uid, gid_t gid, struct sbx_launch_job *job,
				sbx_zygote_job_fn run_job, const void *arg)
{
	/* Jobs' inits are reaped by the kernel: a zygote waits for nothing (the broker watches
	 * each job through its pidfd, and hears its status from it). */
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sa.sa_flags = SA_NOCLDWAIT;
	int r = sigaction(SIGCHLD, &sa, NULL) < 0 ? -errno : 0;
	struct sbx_launch_msg msg;
	memset(&msg, 0, sizeof(msg));
	msg.type = SBX_LAUNCH_ZYGOTE;
	if (r < 0 || send(chan, &msg, sizeof(msg), MSG_NOSIGNAL) != (ssize_t)sizeof(msg)) {
		report(chan, r < 0 ? r : -errno);
		_exit(125);
	}
	struct next_init next = { .pid = -1, .pidfd = -1, .sock = -1 };
	for (;;) {
		struct sbx_recv rv;
		r = sbx_recv_fds(chan, &zmsg, sizeof(zmsg), 0, &rv);
		if (r < 0 || rv.len == 0)
			_exit(r < 0 ? 125 : 0); /* the broker is gone or let us go: every job ends with us */
		if (rv.truncated || rv.bad_control || rv.n_fds != 4 || rv.len < (ssize_t)offsetof(struct sbx_launch_zjob, args) ||
		    zmsg.type != SBX_LAUNCH_JOB || parse_args((size_t)rv.len, job) < 0) {
			report(chan, EPROTO);
			_exit(125);
		}
		/* The init cloned ahead, unless it was cloned for other flags or is gone. */
		if (next.pidfd >= 0 && (next.flags != zmsg.flags || syscall(SYS_pidfd_send_signal, next.pidfd, 0, NULL, 0) < 0))
			next_drop(&next);
		if (next.pidfd < 0 && (r = next_clone(&next, zmsg.flags, uid, gid, job, run_job, arg)) < 0) {
			report(chan, r);
			_exit(125);
		}
		memset(&msg, 0, sizeof(msg));
		msg.type = SBX_LAUNCH_STARTED;
		if ((r = sbx_send_fds(next.sock, &zmsg, (size_t)rv.len, rv.fds, 4, 0)) < 0 ||
		    (r = sbx_send_fd(chan, &msg, sizeof(msg), next.pidfd, 0)) < 0) {
			next_drop(&next);
			report(chan, r);
			_exit(125);
		}
		close(next.pidfd);
		close(next.sock);
		next = (struct next_init){ .pid = -1, .pidfd = -1, .sock = -1 };
		sbx_recv_close(&rv);
		/* The next job's init now, while the broker goes on with this one; a failure is
		 * the next job's to report (it clones again). */
		if (next_clone(&next, zmsg.flags, uid, gid, job, run_job, arg) < 0)
			next_drop(&next);
	}
}
