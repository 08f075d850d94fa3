/* SPDX-License-Identifier: MIT */
/* The probes of probe-env.h. Each runs in a throwaway child, so that whatever it creates
 * (namespaces, mounts, a seccomp filter) dies with it; the child reports how far it got as a
 * (stage, errno) pair on a pipe. Stages, per check:
 *   user namespace: 1 unshare(CLONE_NEWUSER), 2 the uid/gid maps, 3 a capability used inside
 *     (unshare(CLONE_NEWIPC): AppArmor's restriction leaves the namespace without any)
 *   other namespaces: 1-3 as above, 4 unshare of that namespace, 5 using it (mount a tmpfs,
 *     sethostname)
 *   /proc: 1-3, 4 unshare(mount + pid), 5 fork into the pid namespace, 6 mount proc
 *   mount API: 1-3, 4 unshare(mount), 5 fsopen, 6 fsconfig, 7 fsmount, 8 open_tree, 9 mount_setattr
 *   seccomp: 1 no_new_privs, 2 a filter with a listener, 3 fork, 4 NOTIF_RECV, 5 NOTIF_ADDFD with
 *     SEND, 6 the fd arrived
 *   pidfd: 1 fork, 2 pidfd_open, 3 pidfd_send_signal, 4 waitid(P_PIDFD) */
#include "probe-env.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/mount.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "broker/cgroup.h"
#include "broker/idrange.h"
#include "common/util.h"
#include "sandbox/landlock.h"

struct stage_report {
	int stage;
	int err;
};

/* Run fn in a child; its (stage, err) is the result. A child that died without a report (a
 * seccomp kill, say) reads as failed at stage 0 with EPERM. */
static int in_child(struct stage_report (*fn)(int arg), int arg, struct sbx_check_result *res)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		return -e;
	}
	if (pid == 0) {
		close(p[0]);
		struct stage_report rep = fn(arg);
		(void)!write(p[1], &rep, sizeof(rep));
		_exit(0);
	}
	close(p[1]);
	struct stage_report rep = { 0, EPERM };
	ssize_t n;
	do
		n = read(p[0], &rep, sizeof(rep));
	while (n < 0 && errno == EINTR);
	close(p[0]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(rep))
		rep = (struct stage_report){ 0, EPERM };
	res->stage = rep.stage;
	res->err = rep.err;
	res->ok = rep.err == 0;
	return 0;
}

#define FAILED(s) ((struct stage_report){ (s), errno ? errno : EPERM })
#define PASSED(s) ((struct stage_report){ (s), 0 })

static int write_text(const char *path, const char *text)
{
	return sbx_write_file_at(AT_FDCWD, path, text);
}

/* Stages 1-3: a user namespace with our own ids mapped, and a capability that works inside. */
static struct stage_report enter_userns(void)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	char line[64];
	if (unshare(CLONE_NEWUSER) < 0)
		return FAILED(1);
	int r = write_text("/proc/self/setgroups", "deny");
	snprintf(line, sizeof(line), "%u %u 1\n", (unsigned)uid, (unsigned)uid);
	if ((r < 0 && r != -ENOENT) || (r = write_text("/proc/self/uid_map", line)) < 0) {
		errno = -r;
		return FAILED(2);
	}
	snprintf(line, sizeof(line), "%u %u 1\n", (unsigned)gid, (unsigned)gid);
	if ((r = write_text("/proc/self/gid_map", line)) < 0) {
		errno = -r;
		return FAILED(2);
	}
	if (unshare(CLONE_NEWIPC) < 0)
		return FAILED(3);
	return PASSED(3);
}

static struct stage_report try_userns(int arg)
{
	(void)arg;
	return enter_userns();
}

/* A private mount namespace and a tmpfs in it: what the sandbox's root is built from. */
static struct stage_report use_mountns(void)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return FAILED(5);
	if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=64k") < 0 &&
	    mount("tmpfs", "/", "tmpfs", MS_NOSUID | MS_NODEV, "size=64k") < 0)
		return FAILED(5);
	return PASSED(5);
}

static struct stage_report try_namespace(int flag)
{
	struct stage_report rep = enter_userns();
	if (rep.err)
		return rep;
	if (unshare(flag) < 0)
		return FAILED(4);
	if (flag == CLONE_NEWNS)
		return use_mountns();
	if (flag == CLONE_NEWUTS && sethostname("sbx-doctor", 10) < 0)
		return FAILED(5);
	return PASSED(5);
}

/* A new proc in a new pid namespace: refused where the visible /proc is not complete (a
 * container masks parts of it), whatever the capabilities. */
static struct stage_report try_proc(int arg)
{
	(void)arg;
	struct stage_report rep = enter_userns();
	if (rep.err)
		return rep;
	if (unshare(CLONE_NEWNS | CLONE_NEWPID) < 0)
		return FAILED(4);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return FAILED(4);
	pid_t pid = fork();
	if (pid < 0)
		return FAILED(5);
	if (pid == 0)
		_exit(mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 ? errno & 0xff : 0);
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return FAILED(5);
	if (!WIFEXITED(st))
		return (struct stage_report){ 6, EPERM };
	return (struct stage_report){ 6, WEXITSTATUS(st) };
}

static struct stage_report try_mount_api(int arg)
{
	(void)arg;
	struct stage_report rep = enter_userns();
	if (rep.err)
		return rep;
	if (unshare(CLONE_NEWNS) < 0)
		return FAILED(4);
	int fs = (int)syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0)
		return FAILED(5);
	if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return FAILED(6);
	int mnt = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, 0);
	if (mnt < 0)
		return FAILED(7);
	int tree = (int)syscall(SYS_open_tree, AT_FDCWD, "/", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (tree < 0)
		return FAILED(8);
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
	if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
		return FAILED(9);
	return PASSED(9);
}

/* The filter sends getppid() to us; we answer it with an fd (ADDFD with SEND), as the broker
 * answers a brokered socket(). */
static struct stage_report try_seccomp(int arg)
{
	(void)arg;
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = SBX_ARRAY_SIZE(insns), .filter = insns };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return FAILED(1);
	int listener = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	if (listener < 0)
		return FAILED(2);
	pid_t pid = fork();
	if (pid < 0)
		return FAILED(3);
	if (pid == 0) {
		long fd = syscall(SYS_getppid);
		_exit(fd >= 0 && fcntl((int)fd, F_GETFD) >= 0 ? 0 : 1);
	}
	struct seccomp_notif req;
	memset(&req, 0, sizeof(req));
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
		kill(pid, SIGKILL);
		return FAILED(4);
	}
	struct seccomp_notif_addfd add = { .id = req.id, .flags = SECCOMP_ADDFD_FLAG_SEND, .srcfd = (unsigned)listener };
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add) < 0) {
		kill(pid, SIGKILL);
		return FAILED(5);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return FAILED(6);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? PASSED(6) : (struct stage_report){ 6, EBADF };
}

static struct stage_report try_pidfd(int arg)
{
	(void)arg;
	pid_t pid = fork();
	if (pid < 0)
		return FAILED(1);
	if (pid == 0)
		_exit(0);
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0) {
		struct stage_report rep = FAILED(2);
		waitpid(pid, NULL, 0);
		return rep;
	}
	if (syscall(SYS_pidfd_send_signal, fd, 0, NULL, 0) < 0 && errno != ESRCH) {
		struct stage_report rep = FAILED(3);
		waitpid(pid, NULL, 0);
		return rep;
	}
	siginfo_t si;
	if (waitid(P_PIDFD, (id_t)fd, &si, WEXITED) < 0) {
		struct stage_report rep = FAILED(4);
		waitpid(pid, NULL, 0);
		return rep;
	}
	return PASSED(4);
}

static void probe_landlock(struct sbx_check_result *res)
{
	int abi = sbx_landlock_abi();
	snprintf(res->detail, sizeof(res->detail), "ABI %d (sbx uses up to %d)", abi, SBX_LANDLOCK_ABI_BUILT);
	res->stage = 1;
	res->ok = abi > 0;
	res->err = abi > 0 ? 0 : EOPNOTSUPP;
}

/* A memory and a pids group made and removed again, as a launch with limits would. */
static void probe_cgroups(struct sbx_check_result *res)
{
	struct sbx_cgroup cg = { 0 };
	char name[64];
	/* A worker's form (sbx-PID-N, N never a worker's), so that the collection of a dead
	 * broker's groups (cgroup.c) removes it too should the probe be killed meanwhile. */
	snprintf(name, sizeof(name), "sbx-%d-%u", (int)getpid(), UINT_MAX);
	int r = sbx_cgroup_create(name, 64 << 20, 64, &cg, res->detail, sizeof(res->detail));
	sbx_cgroup_destroy(&cg);
	res->stage = 1;
	res->ok = r > 0;
	res->err = r > 0 ? 0 : r < 0 ? -r : EOPNOTSUPP;
}

/* A range of our own in /etc/subuid, and newuidmap writing it for a throwaway namespace. */
static void probe_subids(struct sbx_check_result *res)
{
	struct passwd *pw = getpwuid(geteuid());
	uid_t ub;
	gid_t gb;
	uint32_t count;
	res->stage = 1;
	if (!pw || sbx_idrange_lookup(pw->pw_name, &ub, &gb, &count) < 0) {
		snprintf(res->detail, sizeof(res->detail), "no range for %s in /etc/subuid and /etc/subgid",
			 pw ? pw->pw_name : "this uid");
		res->err = ENOENT;
		return;
	}
	snprintf(res->detail, sizeof(res->detail), "%s: uids %u+%u", pw->pw_name, (unsigned)ub, (unsigned)count);
	res->stage = 2;
	if (geteuid() == 0) { /* root writes the maps itself */
		res->ok = true;
		return;
	}
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		res->err = errno;
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		char c = unshare(CLONE_NEWUSER) == 0 ? 'u' : 'x';
		(void)!write(p[1], &c, 1);
		pause();
		_exit(0);
	}
	char c = 'x';
	close(p[1]);
	if (pid > 0)
		(void)!read(p[0], &c, 1);
	close(p[0]);
	int r = c == 'u' ? sbx_idrange_newidmap(pid, ub, gb) : -EPERM;
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	res->ok = r == 0;
	res->err = -r;
}

static void probe_net_raw(struct sbx_check_result *res)
{
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	res->stage = 1;
	res->ok = fd >= 0;
	res->err = fd >= 0 ? 0 : errno;
	if (fd >= 0)
		close(fd);
}

int sbx_env_probe(struct sbx_env *env, const char *sysctl_root)
{
	static const struct {
		struct stage_report (*fn)(int);
		int arg;
	} children[SBX_CHECK_MAX_] = {
		[SBX_CHECK_USERNS] = { try_userns, 0 },
		[SBX_CHECK_MOUNTNS] = { try_namespace, CLONE_NEWNS },
		[SBX_CHECK_PIDNS] = { try_namespace, CLONE_NEWPID },
		[SBX_CHECK_IPCNS] = { try_namespace, CLONE_NEWIPC },
		[SBX_CHECK_UTSNS] = { try_namespace, CLONE_NEWUTS },
		[SBX_CHECK_NETNS] = { try_namespace, CLONE_NEWNET },
		[SBX_CHECK_CGROUPNS] = { try_namespace, CLONE_NEWCGROUP },
		[SBX_CHECK_PROC] = { try_proc, 0 },
		[SBX_CHECK_SECCOMP] = { try_seccomp, 0 },
		[SBX_CHECK_PIDFD] = { try_pidfd, 0 },
		[SBX_CHECK_MOUNT_API] = { try_mount_api, 0 },
	};
	memset(env, 0, sizeof(*env));
	sbx_env_read_facts(&env->facts, sysctl_root);
	for (int c = 0; c < SBX_CHECK_MAX_; c++) {
		int r = children[c].fn ? in_child(children[c].fn, children[c].arg, &env->r[c]) : 0;
		if (r < 0)
			return r;
	}
	probe_landlock(&env->r[SBX_CHECK_LANDLOCK]);
	env->landlock_abi = sbx_landlock_abi();
	probe_cgroups(&env->r[SBX_CHECK_CGROUPS]);
	probe_subids(&env->r[SBX_CHECK_SUBIDS]);
	probe_net_raw(&env->r[SBX_CHECK_NET_RAW]);
	return 0;
}

static struct sbx_env cached;
static int cached_r;
static pthread_once_t cached_once = PTHREAD_ONCE_INIT;

static void probe_once(void)
{
	cached_r = sbx_env_probe(&cached, "/proc/sys");
}

const struct sbx_env *sbx_env_cached(void)
{
	pthread_once(&cached_once, probe_once);
	return cached_r < 0 ? NULL : &cached;
}
