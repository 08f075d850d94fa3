/* SPDX-License-Identifier: MIT */
#include "init.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

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

static void report(int launch_fd, int status)
{
	struct sbx_launch_msg msg;
	memset(&msg, 0, sizeof(msg));
	msg.type = SBX_LAUNCH_STATUS;
	msg.status = status;
	(void)send(launch_fd, &msg, sizeof(msg), MSG_NOSIGNAL);
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
				report(launch_fd, status);
				_exit(0);
			}
		}
	}
}
