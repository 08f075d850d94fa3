/* SPDX-License-Identifier: MIT */
/* The caller's view a prepared worker fixed (hostview.h). */
#include "hostview.h"

#include <string.h>
#include <sys/stat.h>

#include "broker/env.h"

extern char **environ;

/* FNV-1a over the variables the worker gets and PATH, each with its terminating '\0'. */
static uint64_t env_hash(void)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (char **p = environ; p && *p; p++) {
		if (!sbx_env_passed_through(*p) && strncmp(*p, "PATH=", 5) != 0)
			continue;
		for (const unsigned char *c = (const unsigned char *)*p;; c++) {
			h = (h ^ *c) * 0x100000001b3ULL;
			if (!*c)
				break;
		}
	}
	return h;
}

void sbx_host_view_take(struct sbx_host_view *v, const char *program_path)
{
	struct stat st;
	memset(v, 0, sizeof(*v));
	v->taken = true;
	if (stat(".", &st) == 0) {
		v->cwd_dev = st.st_dev;
		v->cwd_ino = st.st_ino;
	}
	v->env = env_hash();
	if (program_path && stat(program_path, &st) == 0) {
		v->prog_dev = st.st_dev;
		v->prog_ino = st.st_ino;
		v->prog_mtime = st.st_mtim;
		v->prog_ctime = st.st_ctim;
	}
}

static bool same_time(struct timespec a, struct timespec b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

bool sbx_host_view_same(const struct sbx_host_view *then, const struct sbx_host_view *now)
{
	/* A file gone (all 0) is never the same: its job starts cold, and fails as it would. */
	return then->taken && now->taken && then->cwd_dev == now->cwd_dev && then->cwd_ino == now->cwd_ino &&
	       then->env == now->env && now->prog_ino != 0 && then->prog_dev == now->prog_dev &&
	       then->prog_ino == now->prog_ino && same_time(then->prog_mtime, now->prog_mtime) &&
	       same_time(then->prog_ctime, now->prog_ctime);
}
