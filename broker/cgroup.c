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

static bool is_fs(const char *path, long magic)
{
	struct statfs sf;
	return statfs(path, &sf) == 0 && sf.f_type == magic;
}

static int write_knob(const char *dir, const char *knob, const char *value)
{
	char path[640];
	snprintf(path, sizeof(path), "%s/%s", dir, knob);
	return sbx_write_file_at(AT_FDCWD, path, value);
}

static int add_group(struct sbx_cgroup *cg, const char *dir, const char *knob, uint64_t value)
{
	if (mkdir(dir, 0755) < 0)
		return -errno;
	sbx_strlcpy(cg->paths[cg->n++], dir, sizeof(cg->paths[0]));
	char v[32];
	snprintf(v, sizeof(v), "%llu", (unsigned long long)value);
	return write_knob(dir, knob, v);
}

/* The cgroup v2 directory this process lives in, from /proc/self/cgroup ("0::/path"). */
static int own_v2_cgroup(const char *mnt, char *buf, size_t len)
{
	char line[1024];
	FILE *f = fopen("/proc/self/cgroup", "re");
	if (!f)
		return -errno;
	int r = -ENOENT;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3) == 0) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(buf, len, "%s%s", mnt, line + 3);
			r = 0;
			break;
		}
	}
	fclose(f);
	return r;
}

static bool controller_enabled(const char *dir, const char *controller)
{
	char path[640], buf[512];
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	for (char *tok = strtok(buf, " \n"); tok; tok = strtok(NULL, " \n"))
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
		char path[768];
		snprintf(path, sizeof(path), "%s/%s", parent, de->d_name);
		(void)rmdir(path);
	}
	closedir(d);
}

int sbx_cgroup_create(const char *name, uint64_t memory, uint64_t pids, struct sbx_cgroup *cg,
		      char *info, size_t info_len)
{
	memset(cg, 0, sizeof(*cg));
	if (!memory && !pids) {
		snprintf(info, info_len, "no memory or pids limit requested");
		return 0;
	}
	char dir[512];
	int r;

	/* Pure cgroup v2 (or v2 mounted at the top): needs a delegated subtree whose
	 * subtree_control already enables the controllers; a process cannot enable them in the
	 * group it lives in ("no internal processes"). */
	if (is_fs("/sys/fs/cgroup", CGROUP2_SUPER_MAGIC)) {
		char base[512];
		if ((r = own_v2_cgroup("/sys/fs/cgroup", base, sizeof(base))) < 0) {
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
		snprintf(dir, sizeof(dir), "%s/%s", base, name);
		if (mkdir(dir, 0755) < 0) {
			snprintf(info, info_len, "cgroup v2: cannot create %s: %s; relying on rlimits", dir, strerror(errno));
			return 0;
		}
		sbx_strlcpy(cg->paths[cg->n++], dir, sizeof(cg->paths[0]));
		char v[32];
		if (memory) {
			snprintf(v, sizeof(v), "%llu", (unsigned long long)memory);
			if ((r = write_knob(dir, "memory.max", v)) < 0)
				goto fail;
			/* memory.swap.max exists only with swap accounting. */
			if ((r = write_knob(dir, "memory.swap.max", "0")) < 0 && r != -ENOENT)
				goto fail;
		}
		if (pids) {
			snprintf(v, sizeof(v), "%llu", (unsigned long long)pids);
			if ((r = write_knob(dir, "pids.max", v)) < 0)
				goto fail;
		}
		snprintf(info, info_len, "cgroup v2 %s", dir);
		return 1;
	}

	/* cgroup v1 (hybrid machines): one hierarchy per controller. */
	bool v1_mem = is_fs("/sys/fs/cgroup/memory", CGROUP_SUPER_MAGIC);
	bool v1_pids = is_fs("/sys/fs/cgroup/pids", CGROUP_SUPER_MAGIC);
	if ((memory && !v1_mem) || (pids && !v1_pids)) {
		snprintf(info, info_len, "no usable cgroup hierarchy for memory/pids; relying on rlimits");
		return 0;
	}
	if (memory) {
		collect_stale("/sys/fs/cgroup/memory");
		snprintf(dir, sizeof(dir), "/sys/fs/cgroup/memory/%s", name);
		if ((r = add_group(cg, dir, "memory.limit_in_bytes", memory)) < 0) {
			if (cg->n == 0 && (r == -EACCES || r == -EPERM || r == -EROFS)) {
				snprintf(info, info_len, "cgroup v1: cannot create groups as this user (%s); relying on rlimits",
					 strerror(-r));
				return 0;
			}
			goto fail;
		}
		/* memsw exists only with swap accounting; without it swap is not limited here. */
		char v[32];
		snprintf(v, sizeof(v), "%llu", (unsigned long long)memory);
		(void)write_knob(dir, "memory.memsw.limit_in_bytes", v);
	}
	if (pids) {
		collect_stale("/sys/fs/cgroup/pids");
		snprintf(dir, sizeof(dir), "/sys/fs/cgroup/pids/%s", name);
		if ((r = add_group(cg, dir, "pids.max", pids)) < 0) {
			if (cg->n == 0 && (r == -EACCES || r == -EPERM || r == -EROFS)) {
				snprintf(info, info_len, "cgroup v1: cannot create groups as this user (%s); relying on rlimits",
					 strerror(-r));
				return 0;
			}
			goto fail;
		}
	}
	snprintf(info, info_len, "cgroup v1 %s%s%s", cg->paths[0], cg->n > 1 ? " and " : "", cg->n > 1 ? cg->paths[1] : "");
	return 1;
fail:
	snprintf(info, info_len, "cgroup setup in %s failed: %s", dir, strerror(-r));
	sbx_cgroup_destroy(cg);
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

void sbx_cgroup_destroy(struct sbx_cgroup *cg)
{
	for (size_t i = cg->n; i-- > 0;) {
		/* The worker is reaped, but the kernel may take a moment to release the group. */
		for (int tries = 0; tries < 100 && rmdir(cg->paths[i]) < 0 && errno == EBUSY; tries++)
			usleep(1000);
		cg->paths[i][0] = '\0';
	}
	cg->n = 0;
}
