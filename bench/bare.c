// SPDX-License-Identifier: MIT
//
// bench/bare.c: the floor under issue 10's targets, measured on the machine at hand.
//
// A bare launcher that does only what every sbx job must keep, and nothing else: no broker, no
// event loop, no policy, no status, no cgroups, no output handling, no error reports beyond
// perror. It is not a sandbox to use (it skips most of what sbx does); it is the fastest anything
// giving a job the same namespaces and mounts could be, so that bench/launch.sh and
// bench/batch.sh can print how far sbx is above it, beside bwrap and plain fork+exec.
//
//   bare launch [-n] [-r DIR]... PROGRAM [ARG...]
//       one cold sandbox, as `sbx -- PROGRAM` makes it: clone3 into new user, mount, pid, ipc,
//       uts, cgroup and network (-n: no network) namespaces with a one-id map; a tmpfs root with
//       /usr (and each DIR) bound read-only, /bin /lib /lib64 links, /dev/null, /dev/zero,
//       /dev/urandom, a tmpfs /tmp and /dev/shm, /proc; pivot; an init that forks the program;
//       the program drops every capability (bounding set too), sets no_new_privs and execs.
//
//   bare each [-j N] [-r DIR]... LIST PROGRAM [ARG...]
//       what `sbx --each LIST -j N` keeps per job on its zygote: the root above built once in a
//       zygote (network namespace included, shared by its jobs), then per line of LIST ({} in
//       ARGS replaced by it) clone3 into new user, mount, pid, ipc and uts namespaces with a
//       one-id map, a fresh /tmp, /dev/shm and /proc, an init that forks the program, which drops
//       every capability, sets no_new_privs, applies Landlock (read and execute everywhere, write
//       in /tmp and /dev/shm) and a 79-instruction seccomp filter (a denylist: cheaper than sbx's
//       allowlist), and execs. Outputs are not
//       collected, ordered or grouped (the jobs write to the inherited stdout, as xargs's do).
//
// Exit status: 0 when every job exited 0, else 1; 125 when the bare launcher itself failed.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__x86_64__)
#define BARE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define BARE_ARCH AUDIT_ARCH_AARCH64
#else
#error "bench/bare.c: the filter's architecture check knows x86_64 and aarch64"
#endif

#define MAX_RO 16
#define MAX_ARGS 64

static const char *ro_dirs[MAX_RO];
static int n_ro;

static void die(const char *what)
{
	perror(what);
	_exit(125);
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		die(path);
	close(fd);
}

// Map the child's uid and gid 0 to ours (outside: the caller's ids; in the zygote: its 0).
static void map_ids(pid_t pid, uid_t uid, gid_t gid)
{
	char path[64], map[64];

	snprintf(path, sizeof path, "/proc/%d/setgroups", pid);
	write_file(path, "deny");
	snprintf(path, sizeof path, "/proc/%d/uid_map", pid);
	snprintf(map, sizeof map, "0 %u 1", uid);
	write_file(path, map);
	snprintf(path, sizeof path, "/proc/%d/gid_map", pid);
	snprintf(map, sizeof map, "0 %u 1", gid);
	write_file(path, map);
}

// clone3 into FLAGS; the child waits until its parent has written its maps.
static pid_t clone_mapped(uint64_t flags, uid_t uid, gid_t gid)
{
	struct clone_args args = { .flags = flags, .exit_signal = SIGCHLD };
	int sync[2];
	char c;
	pid_t pid;

	if (pipe2(sync, O_CLOEXEC))
		die("pipe2");
	pid = syscall(SYS_clone3, &args, sizeof args);
	if (pid < 0)
		die("clone3");
	if (pid == 0) {
		close(sync[1]);
		if (read(sync[0], &c, 1) != 0)
			_exit(125);
		close(sync[0]);
		return 0;
	}
	close(sync[0]);
	map_ids(pid, uid, gid);
	close(sync[1]);
	return pid;
}

static void tmpfs_at(const char *where)
{
	if (mount("tmpfs", where, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=64m"))
		die(where);
}

static int clone_tree(const char *path)
{
	int fd = syscall(SYS_open_tree, AT_FDCWD, path,
			 OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);

	if (fd < 0)
		die(path);
	return fd;
}

// Attach TREE (from clone_tree) read-only at ROOT/PATH, making the folders on the way.
static void attach_ro(int tree, const char *root, const char *path)
{
	char dst[512];

	snprintf(dst, sizeof dst, "%s%s", root, path);
	for (char *p = dst + strlen(root) + 1; (p = strchr(p, '/')); *p++ = '/') {
		*p = 0;
		mkdir(dst, 0755);
	}
	mkdir(dst, 0755);
	if (syscall(SYS_move_mount, tree, "", AT_FDCWD, dst, MOVE_MOUNT_F_EMPTY_PATH) ||
	    mount(NULL, dst, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL))
		die(path);
	close(tree);
}

static int below_tmp(const char *path)
{
	return !strncmp(path, "/tmp/", 5);
}

// The minimal root, built under /tmp of the caller's (copied) mount namespace and pivoted to.
static void build_root(void)
{
	static const char *const dirs[] = { "usr", "proc", "dev", "dev/shm", "tmp", "old" };
	static const char *const devs[] = { "null", "zero", "urandom" };
	char src[512], dst[512];
	int trees[MAX_RO];

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		die("making / private");
	// Detached copies first: the root's tmpfs below covers whatever is under /tmp.
	for (int i = 0; i < n_ro; i++)
		trees[i] = clone_tree(ro_dirs[i]);
	if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755"))
		die("root tmpfs");
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		snprintf(dst, sizeof dst, "/tmp/%s", dirs[i]);
		if (mkdir(dst, 0755))
			die(dst);
	}
	if (mount("/usr", "/tmp/usr", NULL, MS_BIND | MS_REC, NULL) ||
	    mount(NULL, "/tmp/usr", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL))
		die("binding /usr");
	if (symlink("usr/bin", "/tmp/bin") || symlink("usr/lib", "/tmp/lib") ||
	    symlink("usr/lib64", "/tmp/lib64"))
		die("symlink");
	for (size_t i = 0; i < sizeof devs / sizeof devs[0]; i++) {
		snprintf(src, sizeof src, "/dev/%s", devs[i]);
		snprintf(dst, sizeof dst, "/tmp/dev/%s", devs[i]);
		close(open(dst, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
		if (mount(src, dst, NULL, MS_BIND, NULL))
			die(src);
	}
	tmpfs_at("/tmp/tmp");
	tmpfs_at("/tmp/dev/shm");
	for (int i = 0; i < n_ro; i++)
		attach_ro(trees[i], "/tmp", ro_dirs[i]);
	// Before the pivot: a new proc must be mounted while a full one is still visible.
	if (mount("proc", "/tmp/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
		die("proc");
	if (chdir("/tmp") || syscall(SYS_pivot_root, ".", "old") || chdir("/"))
		die("pivot_root");
	if (umount2("/old", MNT_DETACH) || rmdir("/old"))
		die("detaching the old root");
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL))
		die("read-only root");
}

static void drop_everything(void)
{
	struct __user_cap_header_struct head = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = { { 0 } };

	for (int cap = 0; prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0; cap++)
		;
	if (syscall(SYS_capset, &head, data))
		die("capset");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		die("no_new_privs");
}

static void landlock(void)
{
	const uint64_t rx = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE |
			    LANDLOCK_ACCESS_FS_READ_DIR;
	const uint64_t all = rx | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |
			     LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |
			     LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
			     LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |
			     LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM;
	struct landlock_ruleset_attr attr = { .handled_access_fs = all };
	static const char *const paths[] = { "/", "/tmp", "/dev/shm", "/dev/null" };
	const uint64_t rules[] = { rx, all, all,
				   LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE };
	int ruleset = syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);

	if (ruleset < 0)
		die("landlock_create_ruleset");
	for (int i = 0; i < 4; i++) {
		struct landlock_path_beneath_attr rule = {
			.allowed_access = rules[i],
			.parent_fd = open(paths[i], O_PATH | O_CLOEXEC),
		};
		if (rule.parent_fd < 0 ||
		    syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0))
			die("landlock_add_rule");
		close(rule.parent_fd);
	}
	if (syscall(SYS_landlock_restrict_self, ruleset, 0))
		die("landlock_restrict_self");
	close(ruleset);
}

// An allowlist's shape: the architecture check, then 37 refused calls one by one, then allow.
static void seccomp_filter(void)
{
	static const int refused[] = {
		SYS_ptrace, SYS_mount, SYS_umount2, SYS_pivot_root, SYS_swapon, SYS_swapoff,
		SYS_reboot, SYS_kexec_load, SYS_init_module, SYS_finit_module, SYS_delete_module,
		SYS_bpf, SYS_perf_event_open, SYS_userfaultfd, SYS_io_uring_setup,
		SYS_io_uring_enter, SYS_io_uring_register, SYS_keyctl, SYS_add_key,
		SYS_request_key, SYS_unshare, SYS_setns, SYS_open_by_handle_at, SYS_name_to_handle_at,
		SYS_acct, SYS_settimeofday, SYS_clock_settime, SYS_sethostname, SYS_setdomainname,
		SYS_socket, SYS_socketpair, SYS_process_vm_readv, SYS_process_vm_writev,
		SYS_kcmp, SYS_lookup_dcookie, SYS_quotactl, SYS_vhangup,
	};
	enum { N = sizeof refused / sizeof refused[0] };
	struct sock_filter prog[6 + 2 * N];
	int k = 0;

	prog[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						 offsetof(struct seccomp_data, arch));
	prog[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, BARE_ARCH, 1, 0);
	prog[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	prog[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						 offsetof(struct seccomp_data, nr));
	for (int i = 0; i < N; i++) {
		prog[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, refused[i], 0, 1);
		prog[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	}
	prog[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog fprog = { .len = (unsigned short)k, .filter = prog };
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog))
		die("seccomp");
}

// pid 1 of a sandbox: fork the program, wait for it, exit with its status.
static void init_and_exec(char **argv, int confine)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		drop_everything();
		if (confine) {
			landlock();
			seccomp_filter();
		}
		execvp(argv[0], argv);
		die(argv[0]);
	}
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid");
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

static int wait_status(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		die("waitpid");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static const uint64_t job_flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC |
				  CLONE_NEWUTS;

static int launch(int net, char **argv)
{
	uint64_t flags = job_flags | CLONE_NEWCGROUP | (net ? CLONE_NEWNET : 0);
	pid_t pid = clone_mapped(flags, getuid(), getgid());

	if (pid == 0) {
		build_root();
		init_and_exec(argv, 0);
	}
	return wait_status(pid);
}

// One job on the zygote: its own namespaces, /tmp, /dev/shm and /proc, then the program.
static pid_t start_job(char **tmpl, int argc, const char *line)
{
	char *argv[MAX_ARGS + 1];
	pid_t pid;

	for (int i = 0; i < argc; i++)
		argv[i] = strcmp(tmpl[i], "{}") ? tmpl[i] : (char *)line;
	argv[argc] = NULL;
	pid = clone_mapped(job_flags, 0, 0);
	if (pid == 0) {
		int trees[MAX_RO];

		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
			die("making / private");
		// What the root has below /tmp is bound again over the job's own /tmp, as sbx does.
		for (int i = 0; i < n_ro; i++)
			if (below_tmp(ro_dirs[i]))
				trees[i] = clone_tree(ro_dirs[i]);
		tmpfs_at("/tmp");
		for (int i = 0; i < n_ro; i++)
			if (below_tmp(ro_dirs[i]))
				attach_ro(trees[i], "", ro_dirs[i]);
		tmpfs_at("/dev/shm");
		if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
			die("proc");
		init_and_exec(argv, 1);
	}
	return pid;
}

static int zygote(FILE *list, int jobs, int argc, char **tmpl)
{
	char *lines[4096] = { 0 };
	pid_t pids[4096] = { 0 };
	int running = 0, failed = 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	if (jobs > 4096)
		jobs = 4096;
	build_root();
	for (;;) {
		len = getline(&line, &cap, list);
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = 0;
		if ((len < 0 && running > 0) || running == jobs) {
			int status;
			pid_t done = wait(&status);

			if (done < 0)
				die("wait");
			failed |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
			for (int i = 0; i < jobs; i++)
				if (pids[i] == done) {
					free(lines[i]);
					pids[i] = 0;
				}
			running--;
		}
		if (len < 0) {
			if (running == 0)
				break;
			continue;
		}
		for (int i = 0; i < jobs; i++)
			if (pids[i] == 0) {
				lines[i] = strdup(line);
				pids[i] = start_job(tmpl, argc, lines[i]);
				running++;
				break;
			}
	}
	free(line);
	return failed;
}

static int each(int jobs, const char *list_path, int argc, char **argv)
{
	FILE *list = fopen(list_path, "re");
	pid_t pid;

	if (!list)
		die(list_path);
	if (argc > MAX_ARGS) {
		fprintf(stderr, "bare: at most %d arguments\n", MAX_ARGS);
		return 125;
	}
	pid = clone_mapped(job_flags | CLONE_NEWCGROUP | CLONE_NEWNET, getuid(), getgid());
	if (pid == 0)
		_exit(zygote(list, jobs, argc, argv));
	fclose(list);
	return wait_status(pid);
}

static int usage(void)
{
	fprintf(stderr, "usage: bare launch [-n] [-r DIR]... PROGRAM [ARG...]\n"
			"       bare each [-j N] [-r DIR]... LIST PROGRAM [ARG...]\n");
	return 2;
}

int main(int argc, char **argv)
{
	int net = 1, jobs = 2, i = 2;

	if (argc < 3)
		return usage();
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-n"))
			net = 0;
		else if (!strcmp(argv[i], "-j") && i + 1 < argc)
			jobs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "-r") && i + 1 < argc && n_ro < MAX_RO &&
			 argv[i + 1][0] == '/')
			ro_dirs[n_ro++] = argv[++i];
		else
			return usage();
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	if (!strcmp(argv[1], "launch") && i < argc)
		return launch(net, argv + i);
	if (!strcmp(argv[1], "each") && i + 1 < argc && jobs > 0)
		return each(jobs, argv[i], argc - i - 1, argv + i + 1);
	return usage();
}
