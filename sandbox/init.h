/* SPDX-License-Identifier: MIT */
/* The sandbox's pid 1. The kernel drops signals to a pid-1 process that has no handler for
 * them, and orphans inside are re-parented to pid 1: so our own small init runs there, forwards
 * the broker's signals to the program, reaps everything, and reports the program's status. */
#pragma once

#include <sys/types.h>

/* Before forking the program: install handlers for the forwarded signals and SIGCHLD (so the
 * kernel delivers them to pid 1 at all) and block them (init takes them with sigwaitinfo). */
int sbx_init_prepare(void);

/* In the program's process after the fork: every signal back to its default, mask empty, so
 * nothing sbx or its caller set (an ignored SIGPIPE, say) leaks into the program. */
void sbx_init_reset_signals(void);

/* Show init as "sbx-init" in /proc/1/cmdline and /proc/1/comm: a clone of the broker would
 * show the broker's host path and whole command line to the program. Cosmetic: returns 0 or
 * -errno, and the launch goes on either way. */
int sbx_init_set_name(void);

/* Supervise the program until it ends, then send SBX_LAUNCH_STATUS on launch_fd and exit.
 * Leaving pid 1 ends every other process of the namespace. */
_Noreturn void sbx_init_run(pid_t program, int launch_fd);
