/* SPDX-License-Identifier: MIT */
/* What a pool's prepared worker (its zygote, a ready worker) fixed of the caller's process when
 * it was made, where a cold launch takes it anew at each start: the working directory, the
 * variables of the environment the worker gets (sbx_env_build) and PATH (which finds the
 * program), and the program's file. A job whose caller's view differs now starts on a new
 * prepared worker, so that it runs as a cold launch would: the file installed since, in the
 * directory and with the locale the caller has now. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct sbx_host_view {
	bool taken;
	dev_t cwd_dev;
	ino_t cwd_ino;
	uint64_t env;                     /* a hash of the variables, in environ's order */
	dev_t prog_dev;                   /* all 0 when the file is gone */
	ino_t prog_ino;
	struct timespec prog_mtime, prog_ctime;
};

/* The caller's view now, for the program at program_path (the prepared worker's resolved host
 * path). A few system calls: cheap beside a launch. */
void sbx_host_view_take(struct sbx_host_view *v, const char *program_path);

/* Whether a job seeing now would run as on a worker prepared with then. */
bool sbx_host_view_same(const struct sbx_host_view *then, const struct sbx_host_view *now);
