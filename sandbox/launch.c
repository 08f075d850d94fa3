/* SPDX-License-Identifier: MIT */
/* The orchestrator of the sandbox side. It applies the mechanisms in the order of enum sbx_step
 * (common/protocol.h), numbered and named the same there, here and in docs/sandbox.md (a test
 * checks that the three agree, and that `sbx -v` traces the steps in this order):
 *
 *  init (pid 1 of the new pid namespace, still holding all capabilities of its user namespace)
 *   1. parent-death signal
 *        before anything else: if the broker dies, we die
 *   2. fixed fd numbers
 *        the launch channel and the program at SBX_LAUNCH_FD/PROGRAM_FD, the fd slots at the
 *        targets the broker chose: a compiled filter names the launch fd by number
 *   3. network namespace
 *        here rather than in the clone: creating one costs ~1 ms of kernel work, which now
 *        runs while the broker writes our maps and compiles the filter, on the other core
 *        (none when a pool cloned us into its shared empty one: docs/sandbox.md)
 *   4. waiting for the broker
 *        GO: the broker has written our uid/gid maps and moved us into our cgroups
 *   5. cgroup namespace
 *        after the cgroup move, so our cgroup is the namespace's root
 *   6. hostname
 *        needs CAP_SYS_ADMIN in our user namespace
 *   7. cloning the bind sources
 *        as the caller's host identity, so they resolve with its access
 *   8. reopening read-only
 *        the program, read-only stdio files and grants, through read-only mounts (mount.h)
 *   9. taking on the worker's uid/gid
 *        files created in the new root must belong to a mapped uid
 *  10. parent-death signal, again
 *        the kernel cleared it on the euid change just before
 *  11. building the root
 *        and pivoting: needs CAP_SYS_ADMIN in our user namespace (kept across the uid change)
 *  12. the job's own mounts
 *        a zygote's job only: a new /tmp, /dev/shm and /proc over the zygote's (mount.h)
 *  13. nested user namespace limit
 *        needs CAP_SYS_RESOURCE and the fresh /proc of the new root
 *  14. closing inherited file descriptors
 *        only stdio, the fd slots, the launch channel and the program stay
 *  15. non-dumpable
 *        the program cannot ptrace init even without seccomp
 *  16. init's signal handlers
 *        installed and blocked before the fork, so no forwarded signal is lost
 *  17. receiving the filter
 *        compiled by the broker while we did everything since GO
 *  18. serving jobs
 *        a zygote only (docs/sandbox.md, "Zygote"): instead of forking one program, it clones
 *        one init per job into new user, mount, pid, ipc and uts namespaces, which goes on from
 *        step 1 on the zygote's root: 1, 2, 4, 5, 6, 12, 13 and on, with 12 in place of 3 and 7
 *        to 11
 *  19. fork
 *        the program's process; a raw clone, without libc's atfork handlers
 *  20. init dropping capabilities
 *        init needs none to supervise (init.c), so nothing inside holds any
 *
 *  program's process (pid 2)
 *  21. new session
 *        signals to defaults; no terminal: TIOCSTI cannot reach the caller's
 *  22. fds that cross the exec
 *        close-on-exec cleared on the fd slots (and a script's own fd) only
 *  23. resource limits
 *        before dropping CAP_SYS_RESOURCE: raising nothing, lowering all
 *  24. dropping capabilities
 *        all sets empty, securebits locked
 *  25. no_new_privs
 *        required for an unprivileged seccomp filter and for Landlock
 *  26. landlock
 *        opens limited to the sandbox's tree and its grants (landlock.h)
 *  27. loading the seccomp filter
 *        last: everything above is system calls the policy need not allow
 *  28. handing the listener to the broker
 *        EXEC names it (a ready worker: READY); the broker takes it with pidfd_getfd() and
 *        says TAKEN, which we wait for in ppoll(): the two calls the filter lets through for
 *        us. No fd in flight
 *  29. waiting for the job
 *        a ready worker only (docs/sandbox.md, "Ready workers"): its exec, which the broker
 *        holds until a job, whose arguments and stdio it puts in place; a cold launch has them
 *  30. exec
 *        the program, by fd
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
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps.h"
#include "common/fdpass.h"
#include "common/protocol.h"
#include "fds.h"
#include "init.h"
#include "seccomp.h"
#include "setid.h"
#include "userns.h"
#include "uts.h"
#include "zygote.h"

/* The launch channel: plan->launch_fd until SBX_STEP_FIXED_FDS, SBX_LAUNCH_FD after. */
static int launch_fd = -1;
/* The step running now: the one a failure reports. */
static enum sbx_step step_now = SBX_STEP_NONE;
static bool verbose;
/* The steps the broker's fallback plan leaves out (plan->skip_steps). */
static uint64_t skip_steps;

/* Filled in by SBX_STEP_FILTER; the program's process inherits it with the fork. */
static struct sbx_launch_filter filter_msg;

/* sendmsg on exactly the launch fd is what the seccomp filter lets through before exec. */
static int send_msg(int fd, const struct sbx_launch_msg *msg, int pass_fd)
{
	return sbx_send_fd(fd, msg, sizeof(*msg), pass_fd, 0);
}

void sbx_launch_report_error(int fd, enum sbx_step step, int err, const char *detail)
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

/* After EXEC: wait until the broker has taken the listener (SBX_LAUNCH_TAKEN is the only
 * message it sends after FILTER, and init reads nothing any more). ppoll() with one fd, no
 * timeout and no mask is what the filter allows (broker/policy/compile.c); TAKEN stays queued,
 * unread. A hang-up means the broker is gone: never exec without it. */
static int wait_taken(void)
{
	struct pollfd p = { .fd = SBX_LAUNCH_FD, .events = POLLIN };
	for (;;) {
		long n = syscall(SYS_ppoll, &p, 1, NULL, NULL, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		return (p.revents & (POLLIN | POLLHUP | POLLERR)) == POLLIN ? 0 : -EPIPE;
	}
}

/* The step that is running fails: tell the broker (err: errno, either sign) and fail closed. */
_Noreturn static void fail(int err, const char *detail)
{
	sbx_launch_report_error(launch_fd, step_now, err, detail);
	_exit(125);
}

static void trace(const char *what)
{
	if (!verbose)
		return;
	char buf[256];
	int n = snprintf(buf, sizeof(buf), "sbx: [sandbox pid %d] %s\n", (int)getpid(), what);
	if (n > 0)
		(void)!write(STDERR_FILENO, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

static void announce(enum sbx_step step)
{
	char what[96];
	if (verbose) {
		snprintf(what, sizeof(what), "step %d: %s", (int)step, sbx_step_name(step));
		trace(what);
	}
}

static void begin(enum sbx_step step)
{
	step_now = step;
	announce(step);
}

/* Whether the fallback plan leaves out the step that just began (traced when it does). */
static bool skipped(void)
{
	if (!(skip_steps & (1ull << step_now)))
		return false;
	trace("skipped (fallback)");
	return true;
}

/* SBX_STEP_FIXED_FDS: the launch channel, the program and the fd slots to their fixed numbers. A target
 * outside [3, SBX_LAUNCH_FD) or taken twice would clobber the channel or another slot. */
static int fix_fds(const struct sbx_launch_plan *plan)
{
	int from[SBX_LAUNCH_MAX_SLOTS + 5], to[SBX_LAUNCH_MAX_SLOTS + 5];
	size_t n = 0;
	if (plan->n_slots > SBX_LAUNCH_MAX_SLOTS)
		return -E2BIG;
	from[n] = plan->launch_fd;
	to[n++] = SBX_LAUNCH_FD;
	from[n] = plan->program_fd;
	to[n++] = SBX_PROGRAM_FD;
	for (int fd = 0; fd < 3; fd++)
		if (plan->stdio[fd] >= 0) {
			from[n] = plan->stdio[fd];
			to[n++] = fd;
		}
	for (size_t i = 0; i < plan->n_slots; i++) {
		int t = plan->slots[i].target;
		if (t < 3 || t >= SBX_LAUNCH_FD)
			return -EBADF;
		for (size_t j = 0; j < i; j++)
			if (plan->slots[j].target == t)
				return -EBADF;
		from[n] = plan->slots[i].fd;
		to[n++] = t;
	}
	int r = sbx_fds_move(from, to, n, SBX_PROGRAM_FD + 1);
	/* A job's own stdio crosses the exec like the caller's would (sbx_fds_move set CLOEXEC). */
	for (int fd = 0; r == 0 && fd < 3; fd++)
		if (plan->stdio[fd] >= 0 && fcntl(fd, F_SETFD, 0) < 0)
			r = -errno;
	return r;
}

/* The bind sources: the trees the broker prepared (taken at SBX_STEP_FIXED_FDS), then the
 * clones of SBX_STEP_MOUNT_SOURCES; closed once the root is built. */
static struct sbx_mount_sources sources;

/* SBX_STEP_FIXED_FDS, first: the trees the broker prepared (idmapped binds), out of the way of
 * the numbers the fd slots move to. */
static void take_trees(const struct sbx_launch_plan *plan)
{
	int r = sbx_mount_take_trees(plan->mounts, &sources, SBX_PROGRAM_FD + 1);
	if (r < 0)
		fail(r, "taking the broker's bind sources");
}

/* SBX_STEP_SYNC. If the broker died before the parent-death signal took effect, its end is
 * closed: recv sees EOF, and there is nobody left to tell. */
static void wait_go(void)
{
	struct sbx_launch_msg go;
	ssize_t n;
	do
		n = recv(SBX_LAUNCH_FD, &go, sizeof(go), 0);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		_exit(125);
	if (n < 0)
		fail(errno, "receiving GO");
	if (n != (ssize_t)sizeof(go) || go.type != SBX_LAUNCH_GO)
		fail(EPROTO, "expected GO");
}

/* SBX_STEP_PDEATHSIG_AGAIN: the parent-death signal again, then make sure the broker is still there: if it died
 * before the prctl, its end of the launch channel is closed. */
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

/* SBX_STEP_REOPEN_RO: the program, read-only regular files on stdio and the fd slots that ask for it,
 * through read-only mounts (see mount.h). */
static void reopen_ro(const struct sbx_launch_plan *plan)
{
	int r;
	if (plan->program_path &&
	    (r = sbx_mount_reopen_ro(plan->program_path, SBX_PROGRAM_FD, plan->program_is_script ? O_RDONLY : O_PATH)) < 0)
		fail(r, "reopening the program read-only");
	for (int fd = 0; fd < 3; fd++) {
		if (!plan->stdio_ro_path[fd])
			continue;
		/* A fresh open file description: carry the caller's offset over. */
		off_t pos = lseek(fd, 0, SEEK_CUR);
		if ((r = sbx_mount_reopen_ro(plan->stdio_ro_path[fd], fd, O_RDONLY)) < 0 ||
		    (pos > 0 && lseek(fd, pos, SEEK_SET) < 0))
			fail(r < 0 ? r : -errno, plan->stdio_ro_path[fd]);
		/* dup3 set close-on-exec on it: stdio must cross the exec. */
		if (fcntl(fd, F_SETFD, 0) < 0)
			fail(errno, "stdio");
	}
	for (size_t i = 0; i < plan->n_slots; i++) {
		const struct sbx_fd_slot *s = &plan->slots[i];
		if (s->ro_path && (r = sbx_mount_reopen_ro(s->ro_path, s->target, s->ro_flags)) < 0)
			fail(r, s->ro_path);
	}
}

/* A ready worker's job (SBX_STEP_JOB): the broker writes the arguments here while it holds
 * this process's exec (common/protocol.h). Static, so at the same address in the broker's image,
 * of which this process is a copy. */
static struct sbx_launch_job job;

struct sbx_launch_job *sbx_launch_job_area(void)
{
	return &job;
}

/* Whether the program's process executes program_path rather than SBX_PROGRAM_FD. */
static bool exec_by_path;

/* A zygote's job: its arguments are in job.argv (sandbox/zygote.c), the filter is the zygote's. */
static bool in_job;

/* SBX_STEP_ROOT, after the pivot: a program the new root shows at its own path (/usr, a
 * granted path) is opened there again, so that the kernel names it by that path in
 * /proc/self/exe, and a script's interpreter gets that path as $0. The root is ours and
 * read-only and nothing untrusted runs yet, so the file checked here is the one executed; it
 * must be the one the broker opened. A hidden program, or one the worker's uid cannot reach,
 * keeps the fd reopened at SBX_STEP_REOPEN_RO (/proc/self/exe then reads /). */
static void program_at_path(const struct sbx_launch_plan *plan)
{
	struct stat want, got;
	if (!plan->program_path || !plan->program_shown)
		return;
	int fd = open(plan->program_path, O_PATH | O_CLOEXEC);
	if (fd < 0) {
		trace("the program's path cannot be reached as the worker's uid: executed by fd");
		return;
	}
	if (fstat(fd, &got) < 0 || fstat(SBX_PROGRAM_FD, &want) < 0 || got.st_dev != want.st_dev ||
	    got.st_ino != want.st_ino) {
		close(fd);
		fail(ESTALE, plan->program_path);
	}
	/* A script executed by fd needs that fd readable by its interpreter: keep the old one. */
	if (plan->program_is_script && !plan->script_by_path) {
		close(fd);
		return;
	}
	if (dup3(fd, SBX_PROGRAM_FD, O_CLOEXEC) < 0)
		fail(errno, plan->program_path);
	close(fd);
	exec_by_path = plan->program_is_script;
}

/* SBX_STEP_CLOSE_FDS: only stdio, the fd slots and the two launch fds stay. */
static int close_inherited(const struct sbx_launch_plan *plan)
{
	int keep[SBX_LAUNCH_MAX_SLOTS + 2];
	size_t n = 0;
	keep[n++] = SBX_LAUNCH_FD;
	keep[n++] = SBX_PROGRAM_FD;
	for (size_t i = 0; i < plan->n_slots; i++)
		keep[n++] = plan->slots[i].target;
	return sbx_fds_close_except(keep, n);
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

/* PDEATHSIG to HOSTNAME: the process, its fds and its namespaces, around the broker's GO. */
static void enter_namespaces(const struct sbx_launch_plan *plan)
{
	int r;
	begin(SBX_STEP_PDEATHSIG);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		fail(errno, NULL);
	begin(SBX_STEP_FIXED_FDS);
	take_trees(plan);
	if ((r = fix_fds(plan)) < 0)
		fail(r, "moving to fixed fd numbers");
	launch_fd = SBX_LAUNCH_FD;
	begin(SBX_STEP_NETNS);
	if (!plan->netns_shared && !skipped() && unshare(CLONE_NEWNET) < 0)
		fail(errno, NULL);
	begin(SBX_STEP_SYNC);
	wait_go();
	begin(SBX_STEP_CGROUPNS);
	if (!skipped() && unshare(CLONE_NEWCGROUP) < 0)
		fail(errno, NULL);
	begin(SBX_STEP_HOSTNAME);
	if (!skipped() && (r = sbx_uts_setup(plan->hostname)) < 0)
		fail(r, plan->hostname);
}

/* SBX_STEP_ROOT: build the root, pivot, and find the program and the caller's directory there. */
static void enter_root(const struct sbx_launch_plan *plan)
{
	char detail[SBX_LAUNCH_DETAIL_MAX];
	int r = sbx_mount_build_root(plan->mounts, &sources, detail, sizeof(detail));
	if (r < 0)
		fail(r, detail);
	trace("namespaces entered, minimal root built, pivoted");
	/* The caller's directory, which the broker found visible inside; one the worker's uid may
	 * not enter leaves the program at the root, as a shell whose cd failed would. */
	program_at_path(plan);
	if (plan->cwd && chdir(plan->cwd) < 0)
		trace("the caller's working directory cannot be entered; starting at /");
}

/* MOUNT_SOURCES to USERNS_LIMIT: the new root, entered as the worker's uid/gid. */
static void build_filesystem(const struct sbx_launch_plan *plan)
{
	int r;
	char detail[SBX_LAUNCH_DETAIL_MAX];

	begin(SBX_STEP_MOUNT_SOURCES);
	if (!skipped() &&
	    (r = sbx_mount_open_sources(plan->mounts, &sources, detail, sizeof(detail))) < 0)
		fail(r, detail);
	begin(SBX_STEP_REOPEN_RO);
	if (!skipped())
		reopen_ro(plan);
	begin(SBX_STEP_IDENTITY);
	if ((r = sbx_userns_become(plan->uid, plan->gid, plan->drop_groups)) < 0)
		fail(r, NULL);
	begin(SBX_STEP_PDEATHSIG_AGAIN);
	if ((r = arm_pdeathsig()) < 0)
		fail(r, NULL);
	begin(SBX_STEP_ROOT);
	if (!skipped())
		enter_root(plan);
	announce(SBX_STEP_JOB_ROOT); /* a zygote's jobs' step: traced, as every step is */
	begin(SBX_STEP_USERNS_LIMIT);
	/* A zygote's jobs each make a user namespace (below ours); each job's own limit is 0. */
	if (!skipped() && (r = sbx_userns_limit_nested(plan->zygote ? SBX_ZYGOTE_JOBS_MAX : 0)) < 0)
		fail(r, "/proc/sys/user/max_user_namespaces");
}

/* CLOSE_FDS to FILTER: what init holds and how it can be reached, before the untrusted process exists. */
static void seal_init(const struct sbx_launch_plan *plan)
{
	int r;
	begin(SBX_STEP_CLOSE_FDS);
	if ((r = close_inherited(plan)) < 0)
		fail(r, NULL);
	begin(SBX_STEP_NON_DUMPABLE);
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		fail(errno, "PR_SET_DUMPABLE");
	begin(SBX_STEP_INIT_SIGNALS);
	if ((r = sbx_init_prepare()) < 0)
		fail(r, NULL);
	/* The program sees "sbx-init" at pid 1, not the broker's path and command line (a
	 * zygote's job inherits the zygote's). */
	if (!in_job && sbx_init_set_name() < 0)
		trace("pid 1 keeps the broker's command line (PR_SET_MM_MAP refused)");
	begin(SBX_STEP_FILTER);
	if (!in_job && (r = receive_filter(plan)) < 0) /* a zygote's job has the zygote's copy */
		fail(r, NULL);
}

/* SBX_STEP_CAPS, SBX_STEP_INIT_CAPS: every set emptied and locked; without a user namespace of
 * our own (the fallback plan) there is nothing to drop and nothing to lock with: verified. */
static int drop_caps(const struct sbx_launch_plan *plan)
{
	return plan->no_userns ? sbx_caps_verify_none() : sbx_caps_drop_all();
}

/* SESSION to EXEC, in the program's process. */
_Noreturn static void run_program(const struct sbx_launch_plan *plan)
{
	int r;
	const char *which = NULL;

	begin(SBX_STEP_SESSION);
	sbx_init_reset_signals();
	if (setsid() < 0)
		fail(errno, NULL);
	/* The fd slots are the only fds besides stdio that cross the exec (and, for a script,
	 * the script itself, just before the exec). */
	begin(SBX_STEP_EXEC_FDS);
	for (size_t i = 0; i < plan->n_slots; i++)
		if (fcntl(plan->slots[i].target, F_SETFD, 0) < 0)
			fail(errno, "resource fds");
	/* The interpreter of a script opens /dev/fd/N: that fd must survive the exec. */
	if (plan->program_is_script && !exec_by_path && fcntl(SBX_PROGRAM_FD, F_SETFD, 0) < 0)
		fail(errno, "script fd");
	begin(SBX_STEP_RLIMITS);
	if ((r = sbx_rlimits_apply(&plan->rlimits, &which)) < 0)
		fail(r, which);
	begin(SBX_STEP_CAPS);
	if ((r = drop_caps(plan)) < 0)
		fail(r, NULL);
	begin(SBX_STEP_NO_NEW_PRIVS);
	if ((r = sbx_caps_no_new_privs()) < 0)
		fail(r, NULL);
	trace("capabilities dropped, securebits locked, no_new_privs set");
	begin(SBX_STEP_LANDLOCK);
	if (plan->landlock && (r = sbx_landlock_apply(plan->landlock)) < 0)
		fail(r, NULL);

	/* The filter need not allow write(2): the steps after it are traced before it. */
	begin(SBX_STEP_SECCOMP);
	if (plan->forbid_setid && (r = sbx_setid_forbid()) < 0)
		fail(r, "the set-id guard of the writable paths");
	if (plan->seccomp)
		trace("loading the seccomp filter; exec follows");
	announce(SBX_STEP_HANDOFF);
	announce(SBX_STEP_JOB);
	announce(SBX_STEP_EXEC);
	struct sbx_launch_msg msg;
	memset(&msg, 0, sizeof(msg));
	msg.type = plan->deferred_job ? SBX_LAUNCH_READY : SBX_LAUNCH_EXEC;
	if (plan->seccomp) {
		/* The broker takes the listener out of this process with pidfd_getfd(), which an
		 * unprivileged broker may only do to a dumpable process (init's non-dumpability was
		 * inherited). Nothing untrusted has run here, and the exec resets it anyway. */
		if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
			fail(errno, "dumpable for the handoff");
		struct sock_fprog prog = { .len = (unsigned short)filter_msg.n_insns,
					   .filter = (struct sock_filter *)filter_msg.insns };
		msg.listener = sbx_seccomp_load(&prog);
		if (msg.listener < 0)
			fail(msg.listener, NULL);
	}
	/* From here on only sendmsg(launch_fd), the handoff's ppoll, exit_group and the one exec
	 * are certain to be allowed: the broker answers anything else as a violation. */
	step_now = SBX_STEP_HANDOFF;
	if ((r = send_msg(SBX_LAUNCH_FD, &msg, -1)) < 0)
		fail(r, NULL); /* without the listener the broker could not answer: never exec */
	if (plan->seccomp && (r = wait_taken()) < 0)
		fail(r, NULL); /* the exec would close the listener before the broker took it */
	step_now = SBX_STEP_JOB;
	if (plan->deferred_job && !plan->seccomp)
		fail(EINVAL, "a ready worker needs the filter that holds its exec");
	if (plan->deferred_job) {
		/* The broker holds this call until a job: then job.argv and stdio are the job's and
		 * the exec goes on (or the broker kills the sandbox). A failure is the exec's. */
		syscall(SYS_execveat, SBX_PROGRAM_FD, "", job.argv, plan->envp, SBX_READY_EXEC_FLAGS);
		int err = errno;
		sbx_launch_report_error(SBX_LAUNCH_FD, SBX_STEP_EXEC, err, NULL);
		_exit(err == ENOENT ? 127 : 126);
	}
	step_now = SBX_STEP_EXEC;
	if (exec_by_path)
		syscall(SYS_execve, plan->program_path, in_job ? job.argv : plan->argv, plan->envp);
	else
		syscall(SYS_execveat, SBX_PROGRAM_FD, "", in_job ? job.argv : plan->argv, plan->envp, AT_EMPTY_PATH);
	int err = errno;
	sbx_launch_report_error(SBX_LAUNCH_FD, SBX_STEP_EXEC, err, NULL);
	_exit(err == ENOENT ? 127 : 126);
}

/* FORK and INIT_CAPS, then init supervises. */
_Noreturn static void fork_program(const struct sbx_launch_plan *plan)
{
	int r;
	begin(SBX_STEP_FORK);
	/* A raw fork: libc's fork() would run atfork handlers that take locks another thread of
	 * the broker may have held at clone time. */
	pid_t pid = (pid_t)syscall(SYS_clone, SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid < 0)
		fail(errno, NULL);
	if (pid == 0)
		run_program(plan);

	begin(SBX_STEP_INIT_CAPS);
	close(SBX_PROGRAM_FD);
	/* Once the program's process exists (it drops its own), init gives up every capability
	 * too: it needs none to supervise. */
	if ((r = drop_caps(plan)) < 0) {
		(void)kill(pid, SIGKILL);
		fail(r, "init");
	}
	sbx_init_run(pid, SBX_LAUNCH_FD);
}

/* A zygote's job's init, just cloned by the zygote into new user, mount, pid, ipc and uts
 * namespaces, its maps written: what a cold launch's init does that is the job's own, on the
 * zygote's root (docs/sandbox.md, "Zygote"). */
_Noreturn static void run_job(const void *arg, const int fds[4])
{
	const struct sbx_launch_plan *plan = arg;
	char detail[SBX_LAUNCH_DETAIL_MAX];
	int r;

	in_job = true;
	launch_fd = fds[0];
	begin(SBX_STEP_PDEATHSIG);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		fail(errno, NULL);
	begin(SBX_STEP_FIXED_FDS);
	/* The job's channel over the zygote's (which this process never uses), its stdio on 0-2. */
	int from[4] = { fds[0], fds[1], fds[2], fds[3] }, to[4] = { SBX_LAUNCH_FD, 0, 1, 2 };
	if ((r = sbx_fds_move(from, to, 4, SBX_PROGRAM_FD + 1)) < 0)
		fail(r, "moving to fixed fd numbers");
	launch_fd = SBX_LAUNCH_FD;
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_SETFD, 0) < 0)
			fail(errno, "stdio");
	begin(SBX_STEP_SYNC);
	wait_go();
	begin(SBX_STEP_CGROUPNS);
	if (unshare(CLONE_NEWCGROUP) < 0)
		fail(errno, NULL);
	begin(SBX_STEP_HOSTNAME);
	if ((r = sbx_uts_setup(plan->hostname)) < 0)
		fail(r, plan->hostname);
	begin(SBX_STEP_JOB_ROOT);
	if ((r = sbx_mount_job_fresh(plan->mounts, detail, sizeof(detail))) < 0)
		fail(r, detail);
	/* Entered again: a working directory below a fresh mount was the zygote's. */
	if (chdir(plan->cwd ? plan->cwd : "/") < 0 && chdir("/") < 0)
		fail(errno, "/");
	begin(SBX_STEP_USERNS_LIMIT);
	if ((r = sbx_userns_forbid_nested()) < 0)
		fail(r, "/proc/sys/user/max_user_namespaces");
	seal_init(plan);
	fork_program(plan);
}

_Noreturn void sbx_launch_child(const struct sbx_launch_plan *plan)
{
	launch_fd = plan->launch_fd;
	verbose = plan->verbose;
	skip_steps = plan->skip_steps;
	if (plan->broker_fd >= 0)
		close(plan->broker_fd);

	enter_namespaces(plan);
	build_filesystem(plan);
	seal_init(plan);
	begin(SBX_STEP_ZYGOTE);
	if (plan->zygote)
		sbx_zygote_serve(SBX_LAUNCH_FD, plan->uid, plan->gid, &job, run_job, plan);
	fork_program(plan);
}
