/* SPDX-License-Identifier: MIT */
/* A zygote (docs/sandbox.md, "Zygote"): an init that built the root once and, instead of
 * forking one program, gives each SBX_LAUNCH_JOB from the broker a job's init of its own, cloned
 * into new user, mount, pid, ipc and uts namespaces (and a network namespace when the broker
 * asks), its one-id maps written. The job's init then goes on as a cold launch's would
 * (sandbox/launch.c). The zygote sends the broker no fd: an fd in flight counts against the
 * worker's uid, which its jobs share. The zygote runs nothing but this loop: it never executes anything, holds
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
#include <sys/wait.h>
#include <unistd.h>

#include "common/fdpass.h"
#include "common/protocol.h"
#include "launch.h"
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

/* Clone the job's init (the job's fds go with the clone) and write its maps. Returns its pid in
 * our pid namespace, or -errno (the job's only: the zygote goes on). */
static pid_t clone_job(uid_t uid, gid_t gid, const int fds[4], sbx_zygote_job_fn run_job, const void *arg)
{
	struct clone_args args;
	int pidfd = -1;
	memset(&args, 0, sizeof(args));
	args.flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_PIDFD |
		     ((zmsg.flags & SBX_ZJOB_OWN_NETNS) ? CLONE_NEWNET : 0);
	args.pidfd = (uint64_t)(uintptr_t)&pidfd;
	args.exit_signal = SIGCHLD;
	/* The job's init is born dumpable, so that its /proc files (uid_map) are its uid's, which
	 * is ours, until its step 15 as a cold init is; we are not, but for the clone. */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
		return -errno;
	pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	if (pid == 0) {
		run_job(arg, fds);
		_exit(125);
	}
	int e = pid < 0 ? errno : 0;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		_exit(125); /* dumpable for good: serve no more */
	const char *what = "clone3";
	int r = e ? -e : sbx_userns_write_maps(pid, uid, gid, false, &what);
	/* By its pidfd: reaped by the kernel as soon as it ends, its pid may be another's. */
	if (r < 0 && pidfd >= 0)
		(void)syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	if (pidfd >= 0)
		close(pidfd);
	return r < 0 ? r : pid;
}

_Noreturn void sbx_zygote_serve(int chan, uid_t uid, gid_t gid, struct sbx_launch_job *job,
				sbx_zygote_job_fn run_job, const void *arg)
{
	/* Jobs' inits are reaped by the kernel: a zygote waits for none of them one by one (the
	 * broker watches each job through its pidfd, and hears its status from it). */
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sa.sa_flags = SA_NOCLDWAIT;
	int r = sigaction(SIGCHLD, &sa, NULL) < 0 ? -errno : 0;
	struct sbx_launch_msg msg;
	memset(&msg, 0, sizeof(msg));
	msg.type = SBX_LAUNCH_ZYGOTE;
	if (r < 0 || send(chan, &msg, sizeof(msg), MSG_NOSIGNAL) != (ssize_t)sizeof(msg)) {
		sbx_launch_report_error(chan, SBX_STEP_ZYGOTE, r < 0 ? r : -errno, NULL);
		_exit(125);
	}
	for (;;) {
		struct sbx_recv rv;
		r = sbx_recv_fds(chan, &zmsg, sizeof(zmsg), 0, &rv);
		if (r == 0 && rv.len == 0) {
			/* Retired: no more jobs. Those running end by themselves; then so do we (wait
			 * returns ECHILD once none is left, with SA_NOCLDWAIT). */
			while (wait(NULL) >= 0 || errno == EINTR)
				;
			_exit(0);
		}
		if (r < 0)
			_exit(125); /* the broker is gone: every job ends with us */
		if (rv.truncated || rv.bad_control || rv.n_fds != 4 || rv.len < (ssize_t)offsetof(struct sbx_launch_zjob, args) ||
		    zmsg.type != SBX_LAUNCH_JOB || parse_args((size_t)rv.len, job) < 0) {
			sbx_launch_report_error(chan, SBX_STEP_ZYGOTE, EPROTO, NULL);
			_exit(125);
		}
		pid_t pid = clone_job(uid, gid, rv.fds, run_job, arg);
		sbx_recv_close(&rv);
		memset(&msg, 0, sizeof(msg));
		msg.type = SBX_LAUNCH_STARTED;
		if (pid > 0)
			msg.status = (int32_t)pid;
		else
			msg.error = -pid;
		if (send(chan, &msg, sizeof(msg), MSG_NOSIGNAL) != (ssize_t)sizeof(msg))
			_exit(125);
	}
}
