/* SPDX-License-Identifier: MIT */
/* The caller's view a prepared worker fixed (hostview.h). */
#include "hostview.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/env.h"
#include "broker/idmap.h"
#include "broker/mountplan.h"

extern char **environ;

/* FNV-1a over s and its terminating '\0', continuing from h. */
static uint64_t hash(uint64_t h, const char *s)
{
	for (const unsigned char *c = (const unsigned char *)s;; c++) {
		h = (h ^ *c) * 0x100000001b3ULL;
		if (!*c)
			return h;
	}
}

#define HASH_START 0xcbf29ce484222325ULL

static uint64_t env_hash(void)
{
	uint64_t h = HASH_START;
	for (char **p = environ; p && *p; p++)
		if (sbx_env_passed_through(*p) || strncmp(*p, "PATH=", 5) == 0)
			h = hash(h, *p);
	return h;
}

static void take_cwd(struct sbx_host_view *v)
{
	struct stat st;
	if (stat(".", &st) == 0) {
		v->cwd_dev = st.st_dev;
		v->cwd_ino = st.st_ino;
	}
	char *cwd = getcwd(NULL, 0);
	v->cwd_name = cwd ? hash(HASH_START, cwd) : 0;
	free(cwd);
}

void sbx_host_view_take(struct sbx_host_view *v, const char *program_path, int program_fd)
{
	static const int limits[4] = { RLIMIT_AS, RLIMIT_NPROC, RLIMIT_NOFILE, RLIMIT_FSIZE };
	struct stat st;
	memset(v, 0, sizeof(*v));
	v->taken = true;
	take_cwd(v);
	v->env = env_hash();
	v->euid = geteuid();
	v->egid = getegid();
	for (int i = 0; i < 4; i++) {
		struct rlimit rl;
		v->hard[i] = getrlimit(limits[i], &rl) == 0 ? rl.rlim_max : 0;
	}
	if (program_fd >= 0 ? fstat(program_fd, &st) == 0 : program_path && stat(program_path, &st) == 0) {
		v->prog_present = true;
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

bool sbx_host_view_changed(const struct sbx_host_view *then, const struct sbx_host_view *now)
{
	return !then->taken || !now->taken || then->cwd_dev != now->cwd_dev || then->cwd_ino != now->cwd_ino ||
	       then->cwd_name != now->cwd_name || then->env != now->env || then->euid != now->euid ||
	       then->egid != now->egid || memcmp(then->hard, now->hard, sizeof(then->hard)) != 0 ||
	       then->prog_present != now->prog_present || then->prog_dev != now->prog_dev ||
	       then->prog_ino != now->prog_ino || !same_time(then->prog_mtime, now->prog_mtime) ||
	       !same_time(then->prog_ctime, now->prog_ctime);
}

bool sbx_host_view_same(const struct sbx_host_view *then, const struct sbx_host_view *now)
{
	/* A file gone is never the same: its job starts cold, and fails as it would. */
	return now->prog_present && !sbx_host_view_changed(then, now);
}

int sbx_host_view_note_idmapped(struct sbx_host_view *v, const struct sbx_fs_plan *fs)
{
	for (size_t i = fs->first_granted; i < fs->n; i++) {
		const struct sbx_mount_entry *e = &fs->entries[i];
		if (e->op != SBX_MNT_BIND_RW || e->tree < 0)
			continue;
		struct stat st;
		if (fstat(e->tree, &st) < 0)
			return -errno;
		struct sbx_view_tree *more = reallocarray(v->idmapped_rw, v->n_idmapped_rw + 1, sizeof(*more));
		if (!more)
			return -ENOMEM;
		v->idmapped_rw = more;
		struct sbx_view_tree *t = &v->idmapped_rw[v->n_idmapped_rw];
		*t = (struct sbx_view_tree){ strdup(e->source), st.st_dev, st.st_ino };
		if (!t->path)
			return -ENOMEM;
		v->n_idmapped_rw++;
	}
	return 0;
}

bool sbx_host_view_idmap_holds(const struct sbx_host_view *v)
{
	char found[PATH_MAX + 64];
	for (size_t i = 0; i < v->n_idmapped_rw; i++) {
		const struct sbx_view_tree *t = &v->idmapped_rw[i];
		struct stat st;
		/* Renamed away, or another tree mounted there: what the path names now is not what
		 * the worker holds, and a scan of it would say nothing of that. */
		if (stat(t->path, &st) < 0 || st.st_dev != t->dev || st.st_ino != t->ino ||
		    sbx_idmap_unsafe(t->path, found, sizeof(found)) != 0)
			return false;
	}
	return true;
}

void sbx_host_view_free(struct sbx_host_view *v)
{
	for (size_t i = 0; i < v->n_idmapped_rw; i++)
		free(v->idmapped_rw[i].path);
	free(v->idmapped_rw);
	v->idmapped_rw = NULL;
	v->n_idmapped_rw = 0;
}
