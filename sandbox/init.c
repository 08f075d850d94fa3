/* SPDX-License-Identifier: MIT */
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/prctl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/children.h"
#include "common/protocol.h"

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGCONT, SIGWINCH };

static void noop_handler(int sig)
{
	(void)sig;
}

static void fill_set(sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(set, forwarded[i]);
	sigaddset(set, SIGCHLD);
}

int sbx_init_prepare(void)
{
	/* Orphans of the program become init's, also without a pid namespace of our own (the
	 * fallback mode), so that init can end every one of them (end_descendants). */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		return -errno;
	sigset_t set;
	fill_set(&set);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = noop_handler;
	sigfillset(&sa.sa_mask);
	for (int sig = 1; sig < NSIG; sig++)
		if (sigismember(&set, sig) == 1 && sigaction(sig, &sa, NULL) < 0)
			return -errno;
	return 0;
}

void sbx_init_reset_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &sa, NULL); /* EINVAL for SIGKILL, SIGSTOP and libc-reserved ones */
	sigset_t none;
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
}

/* What /proc/1/cmdline reads (NUL-terminated, as an argv). */
static const char init_cmdline[] = "sbx-init";

/* Fields 26.. of /proc/self/stat into v (v[0] is field 26), after the comm, which may hold
 * spaces and parentheses. No allocation: init is a clone of a possibly multithreaded broker. */
static int read_stat_fields(unsigned long long *v, size_t n)
{
	char buf[2048];
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return -EIO;
	buf[len] = '\0';
	char *p = strrchr(buf, ')');
	if (!p)
		return -EIO;
	/* p + 2 is field 3 (state): skip fields 3..25. */
	p += 2;
	for (int field = 3; field < 26; field++) {
		p = strchr(p, ' ');
		if (!p++)
			return -EIO;
	}
	for (size_t i = 0; i < n; i++) {
		char *end;
		v[i] = strtoull(p, &end, 10);
		if (end == p)
			return -EIO;
		p = end;
	}
	return 0;
}

int sbx_init_set_name(void)
{
	if (prctl(PR_SET_NAME, "sbx-init", 0, 0, 0) < 0)
		return -errno;
	/* PR_SET_MM_MAP, unlike the single PR_SET_MM_* fields, needs no CAP_SYS_RESOURCE in the
	 * initial namespace: the whole map is written back as it is, but for the arguments. */
	unsigned long long f[51 - 26 + 1];
	int r = read_stat_fields(f, sizeof(f) / sizeof(f[0]));
	if (r < 0)
		return r;
	/* The kernel reads the arguments from anonymous memory only (FOLL_ANON), not from our
	 * binary's mapping: a page of its own, mapped for init's lifetime. */
	char *args = mmap(NULL, sizeof(init_cmdline), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (args == MAP_FAILED)
		return -errno;
	memcpy(args, init_cmdline, sizeof(init_cmdline));
#define STAT(n) f[(n) - 26]
	struct prctl_mm_map map = {
		.start_code = STAT(26),
		.end_code = STAT(27),
		.start_stack = STAT(28),
		.start_data = STAT(45),
		.end_data = STAT(46),
		.start_brk = STAT(47),
		.brk = (uint64_t)(uintptr_t)sbrk(0),
		.arg_start = (uint64_t)(uintptr_t)args,
		.arg_end = (uint64_t)(uintptr_t)(args + sizeof(init_cmdline)),
		.env_start = STAT(50),
		.env_end = STAT(51),
		.exe_fd = (uint32_t)-1,
	};
#undef STAT
	if (prctl(PR_SET_MM, PR_SET_MM_MAP, (unsigned long)&map, sizeof(map), 0) < 0)
		return -errno;
	return 0;
}

static void report(int launch_fd, int status)
{
	struct sbx_launch_msg msg;
	memset(&msg, 0, sizeof(msg));
	msg.type = SBX_LAUNCH_STATUS;
	msg.status = status;
	(void)send(launch_fd, &msg, sizeof(msg), MSG_NOSIGNAL);
}

static int kill_child(pid_t pid, void *arg)
{
	(void)arg;
	/* Our own child: until we reap it, its pid is not given to another process. */
	(void)kill(pid, SIGKILL);
	return 0;
}

/* Without a pid namespace of our own nothing ends the program's other processes when init
 * exits: as their subreaper, kill every child init has, reap it, and go on with the orphans that
 * fall to it, until none is left. Children are read from /proc/self/task/PID/children, the whole
 * list by whole numbers (a pid cut at a read's end is never killed as another); without a /proc
 * to read it from, the broker's kill ends them (broker/worker.c). */
static void end_descendants(void)
{
	pid_t self = getpid();
	for (int round = 0; round < 100000; round++) {
		int r = sbx_children_each(0, self, kill_child, NULL);
		while (waitpid(-1, NULL, WNOHANG | __WALL) > 0)
			;
		/* ECHILD: none left. 0: some still run (just forked, or not listed yet): again. */
		if (waitpid(-1, NULL, WNOHANG | __WALL) < 0 && errno == ECHILD)
			return;
		if (r < 0) {
			struct timespec ms = { 0, 1000000 };
			nanosleep(&ms, NULL);
		}
	}
}

_Noreturn void sbx_init_run(pid_t program, int launch_fd)
{
	sigset_t set;
	fill_set(&set);
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&set, &si);
		if (sig < 0) {
			if (errno == EINTR)
				continue;
			/* Cannot supervise: end the sandbox rather than leave it unsupervised. */
			report(launch_fd, W_EXITCODE(125, 0));
			_exit(125);
		}
		if (sig != SIGCHLD) {
			(void)kill(program, sig);
			continue;
		}
		for (;;) {
			int status;
			pid_t pid = waitpid(-1, &status, WNOHANG | __WALL);
			if (pid <= 0)
				break;
			if (pid == program) {
				if (getpid() != 1)
					end_descendants();
				report(launch_fd, status);
				_exit(0);
			}
		}
	}
}
