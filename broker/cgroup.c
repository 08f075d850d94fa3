/* SPDX-License-Identifier: MIT */
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "common/util.h"

/* Paths are built whole (asprintf), never cut to a buffer: a cut path would name another
 * group, or one we would then fail to remove. */

static bool is_fs(const char *path, long magic)
{
	struct statfs sf;
	return statfs(path, &sf) == 0 && sf.f_type == magic;
}

static int write_knob(const char *dir, const char *knob, const char *value)
{
	_cleanup_free_ char *path = NULL;
	if (sbx_asprintf(&path, "%s/%s", dir, knob) < 0)
		return -ENOMEM;
	return sbx_write_file_at(AT_FDCWD, path, value);
}

static int write_u64(const char *dir, const char *knob, uint64_t value)
{
	char v[32];
	snprintf(v, sizeof(v), "%llu", (unsigned long long)value);
	return write_knob(dir, knob, v);
}

/* Create dir and take it into cg (which then owns the string and removes the directory). */
static int add_dir(struct sbx_cgroup *cg, char **dir)
{
	if (mkdir(*dir, 0755) < 0)
		return -errno;
	cg->paths[cg->n++] = sbx_steal_ptr(dir);
	return 0;
}

struct own_cgroup {
	const char *mnt;
	char **ret;
};

static int own_cgroup_line(char *line, void *ctx)
{
	struct own_cgroup *o = ctx;
	if (strncmp(line, "0::", 3) != 0)
		return 0;
	return sbx_asprintf(o->ret, "%s%s", o->mnt, line + 3) < 0 ? -ENOMEM : 1;
}

/* The cgroup v2 directory this process lives in, from /proc/self/cgroup ("0::/path"). */
static int own_v2_cgroup(const char *mnt, char **ret)
{
	struct own_cgroup o = { mnt, ret };
	int r = sbx_each_line("/proc/self/cgroup", own_cgroup_line, &o);
	return r < 0 ? r : 0;
}

static bool controller_enabled(const char *dir, const char *controller)
{
	_cleanup_free_ char *path = NULL;
	char buf[512]; /* the names of every controller the kernel has fit many times over */
	if (sbx_asprintf(&path, "%s/cgroup.subtree_control", dir) < 0)
		return false;
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	for (char *save = NULL, *tok = strtok_r(buf, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save))
		if (strcmp(tok, controller) == 0)
			return true;
	return false;
}

/* A broker killed with SIGKILL cannot remove its groups. Groups are named sbx-PID-N: remove
 * those whose broker is gone (rmdir refuses one that still holds processes). */
static void collect_stale(const char *parent)
{
	DIR *d = opendir(parent);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		int pid;
		unsigned n;
		char tail;
		if (sscanf(de->d_name, "sbx-%d-%u%c", &pid, &n, &tail) != 2 || pid <= 0)
			continue;
		if (kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		(void)unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR);
	}
	closedir(d);
}

static int set_v2_limits(const char *group, uint64_t memory, uint64_t pids)
{
	int r;
	if (memory) {
		if ((r = write_u64(group, "memory.max", memory)) < 0)
			return r;
		/* memory.swap.max exists only with swap accounting. */
		if ((r = write_knob(group, "memory.swap.max", "0")) < 0 && r != -ENOENT)
			return r;
	}
	if (pids && (r = write_u64(group, "pids.max", pids)) < 0)
		return r;
	return 0;
}

/* Pure cgroup v2 (or v2 mounted at the top): needs a delegated subtree whose subtree_control
 * already enables the controllers; a process cannot enable them in the group it lives in ("no
 * internal processes"). */
static int create_v2(const char *name, uint64_t memory, uint64_t pids, struct sbx_cgroup *cg,
		     char *info, size_t info_len)
{
	_cleanup_free_ char *base = NULL, *dir = NULL;
	int r;
	if (own_v2_cgroup("/sys/fs/cgroup", &base) < 0) {
		snprintf(info, info_len, "cgroup v2: cannot find our own cgroup");
		return 0;
	}
	if ((memory && !controller_enabled(base, "memory")) || (pids && !controller_enabled(base, "pids"))) {
		snprintf(info, info_len,
			 "cgroup v2: memory/pids controllers are not delegated to %s (run sbx in a delegated "
			 "scope, e.g. systemd-run --user --scope -p Delegate=yes); relying on rlimits", base);
		return 0;
	}
	collect_stale(base);
	if (sbx_asprintf(&dir, "%s/%s", base, name) < 0) {
		snprintf(info, info_len, "cgroup setup: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	if ((r = add_dir(cg, &dir)) < 0) {
		snprintf(info, info_len, "cgroup v2: cannot create %s/%s: %s; relying on rlimits", base, name,
			 strerror(-r));
		return 0;
	}
	const char *group = cg->paths[0];
	cg->v2 = true;
	cg->memory = memory ? group : NULL;
	if ((r = set_v2_limits(group, memory, pids)) < 0) {
		snprintf(info, info_len, "cgroup setup in %s failed: %s", group, strerror(-r));
		return r;
	}
	snprintf(info, info_len, "cgroup v2 %s", group);
	return 1;
}

/* cgroup v1: the group NAME in the hierarchy of one controller, with its limit. 1 when made, 0
 * when this user may not make groups there (nothing made yet), -errno otherwise. */
static int create_v1_one(const char *controller, const char *name, const char *knob, uint64_t value,
			 struct sbx_cgroup *cg, char *info, size_t info_len)
{
	_cleanup_free_ char *parent = NULL, *dir = NULL;
	int r;
	if (sbx_asprintf(&parent, "/sys/fs/cgroup/%s", controller) < 0 || sbx_asprintf(&dir, "%s/%s", parent, name) < 0) {
		snprintf(info, info_len, "cgroup setup: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	if ((r = add_dir(cg, &dir)) < 0) {
		if (cg->n == 0 && (r == -EACCES || r == -EPERM || r == -EROFS)) {
			snprintf(info, info_len, "cgroup v1: cannot create groups as this user (%s); relying on rlimits",
				 strerror(-r));
			return 0;
		}
		snprintf(info, info_len, "cgroup setup in %s/%s failed: %s", parent, name, strerror(-r));
		return r;
	}
	const char *group = cg->paths[cg->n - 1];
	if ((r = write_u64(group, knob, value)) < 0) {
		snprintf(info, info_len, "cgroup setup in %s failed: %s", group, strerror(-r));
		return r;
	}
	return 1;
}

/* cgroup v1 (hybrid machines): one hierarchy per controller. */
static int create_v1(const char *name, uint64_t memory, uint64_t pids, struct sbx_cgroup *cg,
		     char *info, size_t info_len)
{
	int r;
	if ((memory && !is_fs("/sys/fs/cgroup/memory", CGROUP_SUPER_MAGIC)) ||
	    (pids && !is_fs("/sys/fs/cgroup/pids", CGROUP_SUPER_MAGIC))) {
		snprintf(info, info_len, "no usable cgroup hierarchy for memory/pids; relying on rlimits");
		return 0;
	}
	/* A dead broker's groups are collected whole, in every controller we use, whichever
	 * limits this worker wants: a run with pids only must not leave a stale memory group. */
	static const char *const hierarchies[] = { "/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids" };
	for (size_t i = 0; i < sizeof(hierarchies) / sizeof(hierarchies[0]); i++)
		if (is_fs(hierarchies[i], CGROUP_SUPER_MAGIC))
			collect_stale(hierarchies[i]);
	if (memory) {
		if ((r = create_v1_one("memory", name, "memory.limit_in_bytes", memory, cg, info, info_len)) <= 0)
			return r;
		/* memsw exists only with swap accounting; without it swap is not limited here. */
		(void)write_u64(cg->paths[0], "memory.memsw.limit_in_bytes", memory);
		cg->memory = cg->paths[0];
	}
	if (pids && (r = create_v1_one("pids", name, "pids.max", pids, cg, info, info_len)) <= 0)
		return r;
	snprintf(info, info_len, "cgroup v1 %s%s%s", cg->paths[0], cg->n > 1 ? " and " : "", cg->n > 1 ? cg->paths[1] : "");
	return 1;
}

int sbx_cgroup_create(const char *name, uint64_t memory, uint64_t pids, struct sbx_cgroup *cg,
		      char *info, size_t info_len)
{
	memset(cg, 0, sizeof(*cg));
	if (!memory && !pids) {
		snprintf(info, info_len, "no memory or pids limit requested");
		return 0;
	}
	int r = is_fs("/sys/fs/cgroup", CGROUP2_SUPER_MAGIC) ? create_v2(name, memory, pids, cg, info, info_len)
							      : create_v1(name, memory, pids, cg, info, info_len);
	if (r <= 0)
		sbx_cgroup_destroy(cg); /* a half-made set is no use: remove what was made */
	return r;
}

int sbx_cgroup_attach(const struct sbx_cgroup *cg, pid_t pid)
{
	char v[32];
	snprintf(v, sizeof(v), "%d", (int)pid);
	for (size_t i = 0; i < cg->n; i++) {
		int r = write_knob(cg->paths[i], "cgroup.procs", v);
		if (r < 0)
			return r;
	}
	return 0;
}

static int oom_kill_line(char *line, void *ctx)
{
	unsigned long long v;
	if (sscanf(line, "oom_kill %llu", &v) == 1) {
		*(uint64_t *)ctx = v;
		return 1;
	}
	return 0;
}

uint64_t sbx_cgroup_oom_kills(const struct sbx_cgroup *cg)
{
	_cleanup_free_ char *path = NULL;
	uint64_t kills = 0;
	if (!cg->memory ||
	    sbx_asprintf(&path, "%s/%s", cg->memory, cg->v2 ? "memory.events" : "memory.oom_control") < 0)
		return 0;
	(void)sbx_each_line(path, oom_kill_line, &kills);
	return kills;
}

void sbx_cgroup_destroy(struct sbx_cgroup *cg)
{
	for (size_t i = cg->n; i-- > 0;) {
		/* The worker is reaped, but the kernel may take a moment to release the group. */
		for (int tries = 0; tries < 100 && rmdir(cg->paths[i]) < 0 && errno == EBUSY; tries++)
			usleep(1000);
		free(cg->paths[i]);
		cg->paths[i] = NULL;
	}
	cg->n = 0;
	cg->memory = NULL;
}
