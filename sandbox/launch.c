/* SPDX-License-Identifier: MIT */
/* The orchestrator of the sandbox side. It applies the mechanisms in this order:
 *
 *  init (pid 1 of the new pid namespace, still holding all capabilities of its user namespace)
 *   1. parent-death signal       before anything else: if the broker dies, we die
 *   1b. fixed fd numbers         the launch channel and the program at SBX_LAUNCH_FD/PROGRAM_FD
 *   1c. network namespace        here rather than in the clone: creating one costs ~1 ms of
 *                                kernel work, which now runs while the broker writes our maps
 *                                and compiles the filter, on the other core
 *   2. wait for GO               the broker has written our uid/gid maps and cgroups
 *   3. cgroup namespace          after the cgroup move, so our cgroup is the namespace's root
 *   4. hostname                  needs CAP_SYS_ADMIN in our user namespace
 *   5. clone the bind sources    as the caller's host identity, so they resolve with its access
 *   5b. reopen read-only         the program and read-only grants, through read-only mounts
 *   6. become the mapped uid/gid files created in the new root must belong to a mapped uid
 *   7. build the root, pivot     needs CAP_SYS_ADMIN in our user namespace (kept across 6)
 *   7b. forbid nested userns     needs CAP_SYS_RESOURCE and the fresh /proc of step 7
 *   8. close inherited fds       only stdio, the launch channel and the program stay
 *   9. non-dumpable, signals     the program cannot ptrace init even without seccomp
 *   9b. receive the filter       compiled by the broker while we did steps 3-9
 *  10. fork the program's process; init drops every capability and supervises (init.c)
 *
 *  program's process (pid 2)
 *  11. signals to defaults, new session (no terminal: TIOCSTI cannot reach the caller's)
 *  12. rlimits                   before dropping CAP_SYS_RESOURCE: raising nothing, lowering all
 *  13. capabilities: all sets empty, securebits locked
 *  14. no_new_privs             required for an unprivileged seccomp filter and for Landlock
 *  14b. Landlock                 opens limited to the sandbox's tree and its grants (landlock.h)
 *  15. seccomp                   last: everything above is system calls the policy need not allow
 *  16. hand the listener to the broker, then exec the program by fd
 *
 * Any failing step reports SBX_LAUNCH_ERROR with the step and errno, and exits: the launch
 * fails closed. */
#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps.h"
#include "common/fdpass.h"
#include "common/protocol.h"
#include "fds.h"
#include "init.h"
#include "seccomp.h"
#include "userns.h"
#include "uts.h"

/* sendmsg on exactly the launch fd is what the seccomp filter lets through before exec. */
static int send_msg(int fd, const struct sbx_launch_msg *msg, int pass_fd)
{
	return sbx_send_fd(fd, msg, sizeof(*msg), pass_fd, 0);
}

static void report_error(int fd, enum sbx_step step, int err, const char *detail)
{
	struct sbx_launch_msg msg;
	memset(&msg, 0, sizeof(msg));
	msg.type = SBX_LAUNCH_ERROR;
	msg.step = step;
	msg.error = err < 0 ? -err : err;
	if (detail)
		snprintf(msg.detail, sizeof(msg.detail), "%s", detail);
	(void)send_msg(fd, &msg, -1);
}

/* Filled in by step 9b; the program's process inherits it with the fork. */
static struct sbx_launch_filter filter_msg;

static void trace(const struct sbx_launch_plan *plan, const char *what)
{
	if (!plan->verbose)
		return;
	char buf[256];
	int n = snprintf(buf, sizeof(buf), "sbx: [sandbox pid %d] %s\n", (int)getpid(), what);
	if (n > 0)
		(void)!write(STDERR_FILENO, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

#define FAIL(plan, step, err, detail)                                        \
	do {                                                                 \
		(void)(plan);                                                \
		report_error(launch_fd, (step), (err), (detail));            \
		_exit(125);                                                  \
	} while (0)

/* The launch channel: plan->launch_fd until step 1b, SBX_LAUNCH_FD after. */
static int launch_fd = -1;

/* The launch channel, the program and the resources to their fixed numbers. */
static int fix_fds(const struct sbx_launch_plan *plan)
{
	int from[SBX_LAUNCH_MAX_EXTRA + 2], to[SBX_LAUNCH_MAX_EXTRA + 2];
	if (plan->n_slots > SBX_LAUNCH_MAX_EXTRA)
		return -E2BIG;
	from[0] = plan->launch_fd;
	to[0] = SBX_LAUNCH_FD;
	from[1] = plan->program_fd;
	to[1] = SBX_PROGRAM_FD;
	for (size_t i = 0; i < plan->n_slots; i++) {
		from[2 + i] = plan->slots[i].fd;
		to[2 + i] = plan->slots[i].target;
	}
	return sbx_fds_move(from, to, 2 + plan->n_slots, SBX_PROGRAM_FD + 1);
}

/* Parent-death signal, then make sure the broker is still there: if it died before the prctl,
 * its end of the launch channel is closed. */
static int arm_pdeathsig(void)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		return -errno;
	struct pollfd p = { .fd = SBX_LAUNCH_FD, .events = POLLRDHUP };
	if (poll(&p, 1, 0) < 0)
		return -errno;
	if (p.revents & (POLLHUP | POLLRDHUP | POLLERR))
		_exit(125);
	return 0;
}

static int receive_filter(const struct sbx_launch_plan *plan)
{
	ssize_t n;
	do
		n = recv(SBX_LAUNCH_FD, &filter_msg, sizeof(filter_msg), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n < 8 || filter_msg.type != SBX_LAUNCH_FILTER || filter_msg.n_insns > SBX_LAUNCH_FILTER_MAX ||
	    (size_t)n != 8 + 8 * (size_t)filter_msg.n_insns || (filter_msg.n_insns != 0) != plan->seccomp)
		return -EPROTO;
	return 0;
}

_Noreturn static void run_program(const struct sbx_launch_plan *plan)
{
	int r;
	const char *which = NULL;

	sbx_init_reset_signals();
	if (setsid() < 0)
		FAIL(plan, SBX_STEP_SESSION, errno, NULL);
	/* The resources are the only fds besides stdio that cross the exec (and, for a script,
	 * the script itself, just before the exec). */
	for (size_t i = 0; i < plan->n_slots; i++)
		if (fcntl(plan->slots[i].target, F_SETFD, 0) < 0)
			FAIL(plan, SBX_STEP_FDS, errno, "resource fds");
	/* The interpreter of a script opens /dev/fd/N: that fd must survive the exec. */
	if (plan->program_is_script && fcntl(SBX_PROGRAM_FD, F_SETFD, 0) < 0)
		FAIL(plan, SBX_STEP_FDS, errno, "script fd");
	if ((r = sbx_rlimits_apply(&plan->rlimits, &which)) < 0)
		FAIL(plan, SBX_STEP_RLIMITS, r, which);
	if ((r = sbx_caps_drop_all()) < 0)
		FAIL(plan, SBX_STEP_CAPS, r, NULL);
	if ((r = sbx_caps_no_new_privs()) < 0)
		FAIL(plan, SBX_STEP_NO_NEW_PRIVS, r, NULL);
	trace(plan, "capabilities dropped, securebits locked, no_new_privs set");
	if (plan->landlock && (r = sbx_landlock_apply(plan->landlock)) < 0)
		FAIL(plan, SBX_STEP_LANDLOCK, r, NULL);

	struct sbx_launch_msg msg;
	memset(&msg, 0, sizeof(msg));
	msg.type = SBX_LAUNCH_EXEC;
	int listener = -1;
	if (plan->seccomp) {
		trace(plan, "loading the seccomp filter; exec follows");
		struct sock_fprog prog = { .len = (unsigned short)filter_msg.n_insns,
					   .filter = (struct sock_filter *)filter_msg.insns };
		listener = sbx_seccomp_load(&prog);
		if (listener < 0)
			FAIL(plan, SBX_STEP_SECCOMP, listener, NULL);
	}
	/* From here on only sendmsg(launch_fd), exit_group and the one exec are certain to be
	 * allowed: the broker answers anything else as a violation. */
	if (send_msg(SBX_LAUNCH_FD, &msg, listener) < 0)
		_exit(125); /* without the listener the broker could not answer: never exec */
	syscall(SYS_execveat, SBX_PROGRAM_FD, "", plan->argv, plan->envp, AT_EMPTY_PATH);
	int err = errno;
	report_error(SBX_LAUNCH_FD, SBX_STEP_EXEC, err, NULL);
	_exit(err == ENOENT ? 127 : 126);
}

_Noreturn void sbx_launch_child(const struct sbx_launch_plan *plan)
{
	int r;
	char detail[SBX_LAUNCH_DETAIL_MAX];

	launch_fd = plan->launch_fd;
	if (plan->broker_fd >= 0)
		close(plan->broker_fd);

	/* 1. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		FAIL(plan, SBX_STEP_PDEATHSIG, errno, NULL);
	/* 1b. */
	if ((r = fix_fds(plan)) < 0)
		FAIL(plan, SBX_STEP_FDS, r, "moving to fixed fd numbers");
	launch_fd = SBX_LAUNCH_FD;
	/* 1c. */
	if (unshare(CLONE_NEWNET) < 0)
		FAIL(plan, SBX_STEP_NETNS, errno, NULL);

	/* 2. If the broker died before step 1 took effect, its end is closed: recv sees EOF. */
	struct sbx_launch_msg go;
	ssize_t n;
	do
		n = recv(SBX_LAUNCH_FD, &go, sizeof(go), 0);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(go) || go.type != SBX_LAUNCH_GO)
		_exit(125);

	/* 3. */
	if (unshare(CLONE_NEWCGROUP) < 0)
		FAIL(plan, SBX_STEP_CGROUPNS, errno, NULL);
	/* 4. */
	if ((r = sbx_uts_setup(plan->hostname)) < 0)
		FAIL(plan, SBX_STEP_HOSTNAME, r, plan->hostname);
	/* 5. */
	struct sbx_mount_sources sources;
	if ((r = sbx_mount_open_sources(plan->mounts, &sources, detail, sizeof(detail))) < 0)
		FAIL(plan, SBX_STEP_MOUNTS, r, detail);
	/* 5b. The program and read-only grants through read-only mounts (see mount.h). */
	if (plan->program_path &&
	    (r = sbx_mount_reopen_ro(plan->program_path, SBX_PROGRAM_FD, plan->program_is_script ? O_RDONLY : O_PATH)) < 0)
		FAIL(plan, SBX_STEP_MOUNTS, r, "reopening the program read-only");
	for (int fd = 0; fd < 3; fd++) {
		if (!plan->stdio_ro_path[fd])
			continue;
		/* A fresh open file description: carry the caller's offset over. */
		off_t pos = lseek(fd, 0, SEEK_CUR);
		if ((r = sbx_mount_reopen_ro(plan->stdio_ro_path[fd], fd, O_RDONLY)) < 0 ||
		    (pos > 0 && lseek(fd, pos, SEEK_SET) < 0))
			FAIL(plan, SBX_STEP_MOUNTS, r < 0 ? r : -errno, plan->stdio_ro_path[fd]);
		/* dup3 set close-on-exec on it: stdio must cross the exec. */
		if (fcntl(fd, F_SETFD, 0) < 0)
			FAIL(plan, SBX_STEP_FDS, errno, "stdio");
	}
	for (size_t i = 0; i < plan->n_slots; i++)
		if (plan->slots[i].ro_path &&
		    (r = sbx_mount_reopen_ro(plan->slots[i].ro_path, plan->slots[i].target, plan->slots[i].ro_flags)) < 0)
			FAIL(plan, SBX_STEP_MOUNTS, r, plan->slots[i].ro_path);
	/* 6. */
	if ((r = sbx_userns_become(plan->uid, plan->gid, plan->drop_groups)) < 0)
		FAIL(plan, SBX_STEP_IDENTITY, r, NULL);
	/* The kernel clears the parent-death signal when the euid changes (as root, 0 -> 65534):
	 * arm it again, and look whether the broker died in between. */
	if ((r = arm_pdeathsig()) < 0)
		FAIL(plan, SBX_STEP_PDEATHSIG, r, NULL);
	/* 7. */
	if ((r = sbx_mount_build_root(plan->mounts, &sources, detail, sizeof(detail))) < 0)
		FAIL(plan, SBX_STEP_MOUNTS, r, detail);
	trace(plan, "namespaces entered, minimal root built, pivoted");
	if ((r = sbx_userns_forbid_nested()) < 0)
		FAIL(plan, SBX_STEP_USERNS_LIMIT, r, "/proc/sys/user/max_user_namespaces");
	/* 8. */
	int keep[2] = { SBX_LAUNCH_FD, SBX_PROGRAM_FD };
	if ((r = sbx_fds_close_except(plan->n_slots, keep, 2)) < 0)
		FAIL(plan, SBX_STEP_FDS, r, NULL);
	/* 9. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		FAIL(plan, SBX_STEP_FORK, errno, "PR_SET_DUMPABLE");
	if ((r = sbx_init_prepare()) < 0)
		FAIL(plan, SBX_STEP_FORK, r, "signals");
	/* 9b. */
	if ((r = receive_filter(plan)) < 0)
		FAIL(plan, SBX_STEP_SECCOMP, r, "receiving the filter");
	/* 10. */
	/* A raw fork: libc's fork() would run atfork handlers that take locks another thread of
	 * the broker may have held at clone time. */
	pid_t pid = (pid_t)syscall(SYS_clone, SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid < 0)
		FAIL(plan, SBX_STEP_FORK, errno, NULL);
	if (pid == 0)
		run_program(plan);
	close(SBX_PROGRAM_FD);
	/* Init needs no capability to supervise: once the program's process exists (it drops its
	 * own), init gives up every one too, so nothing inside holds any. */
	if ((r = sbx_caps_drop_all()) < 0) {
		(void)kill(pid, SIGKILL);
		FAIL(plan, SBX_STEP_CAPS, r, "init");
	}
	sbx_init_run(pid, SBX_LAUNCH_FD);
}
