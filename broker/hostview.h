/* SPDX-License-Identifier: MIT */
/* What a pool's prepared worker (its zygote, a ready worker) fixed of the caller's process when
 * it was made, where a cold launch takes it anew at each start (plan.c): the working directory
 * (its file and its name), the variables of the environment the worker gets (sbx_env_build) and
 * PATH (which finds the program), the effective ids and the hard limits the plan is held to, and
 * the program's file. A job whose caller's view differs now starts on a new prepared worker, so
 * that it runs as a cold launch would: the file installed since, in the directory and with the
 * locale the caller has now. Also fixed when it was made: which --rw trees its root shows
 * idmapped, on the verdict of the set-id scan then (idmap.h); a job sees them scanned again
 * (a verdict is kept 2 s), as a cold launch would. Not in the view: the umask (no getter a
 * thread may call safely) and a file that would now be found before the old one on an
 * unchanged PATH. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <time.h>

struct sbx_fs_plan;

struct sbx_host_view {
	bool taken;
	dev_t cwd_dev;
	ino_t cwd_ino;
	uint64_t cwd_name;                /* a hash of getcwd()'s answer, which the plan shows */
	uint64_t env;                     /* a hash of the variables, in environ's order */
	uid_t euid;
	gid_t egid;
	rlim_t hard[4];                   /* RLIMIT_AS, _NPROC, _NOFILE, _FSIZE */
	bool prog_present;
	dev_t prog_dev;
	ino_t prog_ino;
	struct timespec prog_mtime, prog_ctime;
	struct sbx_view_tree *idmapped_rw; /* the --rw trees shown idmapped; owned */
	size_t n_idmapped_rw;
};

/* A --rw tree a prepared worker's root shows idmapped: its path, and the root of the tree the
 * worker holds (a clone made then), which the path must still name. */
struct sbx_view_tree {
	char *path;
	dev_t dev;
	ino_t ino;
};

/* The caller's view now, for the program at program_path (a prepared worker's resolved host
 * path; or the name the caller gave, for a pool's stop) or, with program_fd >= 0, for the file
 * the plan opened. A few system calls: cheap beside a launch. */
void sbx_host_view_take(struct sbx_host_view *v, const char *program_path, int program_fd);

/* Note which writable trees the plan fs idmapped (a prepared worker's view). 0 or -ENOMEM. */
int sbx_host_view_note_idmapped(struct sbx_host_view *v, const struct sbx_fs_plan *fs);

/* Whether each tree noted idmapped would still be: its path names the tree the worker holds,
 * which holds no set-id file now. */
bool sbx_host_view_idmap_holds(const struct sbx_host_view *v);

void sbx_host_view_free(struct sbx_host_view *v);

/* Whether a job seeing now would run as on a worker prepared with then: the same view, and the
 * program's file there. */
bool sbx_host_view_same(const struct sbx_host_view *then, const struct sbx_host_view *now);

/* Whether anything of the view changed (a missing file missing still is no change). */
bool sbx_host_view_changed(const struct sbx_host_view *then, const struct sbx_host_view *now);
