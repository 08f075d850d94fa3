/* SPDX-License-Identifier: MIT */
/* The worker's filesystem plan (mountplan.h). */
#include "mountplan.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/idmap.h"
#include "broker/policy/policy.h"
#include "common/protocol.h"
#include "common/util.h"

static int add_entry(struct sbx_fs_plan *fs, enum sbx_mount_op op, const char *path, const char *source,
		     uint64_t size, unsigned mode, bool optional)
{
	if (fs->n >= SBX_MOUNT_MAX)
		return -E2BIG;
	fs->entries[fs->n++] = (struct sbx_mount_entry){ op, path, source, size, mode, optional, false, -1 };
	return 0;
}

/* Keep an allocated string for the plan's lifetime; NULL (out of memory) stays NULL. */
static char *keep(struct sbx_fs_plan *fs, char *s)
{
	if (!s)
		return NULL;
	if (fs->n_owned >= SBX_ARRAY_SIZE(fs->owned)) {
		free(s);
		return NULL;
	}
	return fs->owned[fs->n_owned++] = s;
}

/* The target of a symlink, allocated; NULL when path is no readable symlink. */
static char *read_link(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0 || !S_ISLNK(st.st_mode))
		return NULL;
	size_t len = st.st_size > 0 ? (size_t)st.st_size + 1 : PATH_MAX;
	char *buf = malloc(len);
	ssize_t n = buf ? readlink(path, buf, len) : -1;
	if (n <= 0 || (size_t)n >= len) { /* grew since lstat: leave it out */
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

/* /bin, /lib... are symlinks into /usr on merged-/usr systems: recreate the link, else bind. */
static int add_top_dir(struct sbx_fs_plan *fs, const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return 0;
	if (S_ISLNK(st.st_mode)) {
		char *link = read_link(path);
		if (!link)
			return 0; /* changed since lstat: leave it out */
		const char *target = keep(fs, link);
		return target ? add_entry(fs, SBX_MNT_SYMLINK, path, target, 0, 0, false) : -ENOMEM;
	}
	if (S_ISDIR(st.st_mode))
		return add_entry(fs, SBX_MNT_BIND_RO, path, path, 0, 0, true);
	return 0;
}

/* A small /etc: what the loader and libc read, and ids that make sense inside. */
static int add_etc(struct sbx_fs_plan *fs, uid_t uid, gid_t gid)
{
	char *passwd = NULL, *group = NULL;
	int r;
	if (uid == 65534)
		r = asprintf(&passwd, "root:x:0:0:root:/tmp:/bin/sh\nnobody:x:65534:65534:nobody:/tmp:/usr/sbin/nologin\n");
	else
		r = asprintf(&passwd, "root:x:0:0:root:/tmp:/bin/sh\nsbx:x:%u:%u:sbx worker:/tmp:/bin/sh\n"
				      "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
			     (unsigned)uid, (unsigned)gid);
	if (r < 0 || !keep(fs, passwd))
		return -ENOMEM;
	if (gid == 65534)
		r = asprintf(&group, "root:x:0:\nnogroup:x:65534:\n");
	else
		r = asprintf(&group, "root:x:0:\nsbx:x:%u:\nnogroup:x:65534:\n", (unsigned)gid);
	if (r < 0 || !keep(fs, group))
		return -ENOMEM;
	if ((r = add_entry(fs, SBX_MNT_BIND_RO, "/etc/ld.so.cache", "/etc/ld.so.cache", 0, 0, true)) < 0 ||
	    (r = add_entry(fs, SBX_MNT_BIND_RO, "/etc/nsswitch.conf", "/etc/nsswitch.conf", 0, 0, true)) < 0 ||
	    (r = add_entry(fs, SBX_MNT_BIND_RO, "/etc/alternatives", "/etc/alternatives", 0, 0, true)) < 0 ||
	    (r = add_entry(fs, SBX_MNT_FILE, "/etc/passwd", passwd, 0, 0, false)) < 0 ||
	    (r = add_entry(fs, SBX_MNT_FILE, "/etc/group", group, 0, 0, false)) < 0 ||
	    (r = add_entry(fs, SBX_MNT_FILE, "/etc/hosts", "127.0.0.1 localhost sbx\n::1 localhost\n", 0, 0, false)) < 0 ||
	    (r = add_entry(fs, SBX_MNT_FILE, "/etc/hostname", "sbx\n", 0, 0, false)) < 0)
		return r;
	/* The zone file itself, bound where glibc looks: with TZ unset, localtime() stats
	 * /etc/localtime on every call (tcpdump: once per packet), and a symlink on the tmpfs root
	 * into the /usr bind made each of those lookups cost half as much again as outside. */
	char *zone = realpath("/etc/localtime", NULL);
	struct stat st;
	if (!zone || stat(zone, &st) < 0 || !S_ISREG(st.st_mode)) {
		free(zone); /* no zone, or not a zone file: UTC inside, as glibc does without one */
		return 0;
	}
	const char *localtime = keep(fs, zone);
	return localtime ? add_entry(fs, SBX_MNT_BIND_RO, "/etc/localtime", localtime, 0, 0, true) : -ENOMEM;
}

/* A minimal /dev: device nodes bound from the host (a user namespace cannot mknod), on mount
 * points in the read-only root (a tmpfs of its own would cost a superblock). */
static int add_dev(struct sbx_fs_plan *fs, bool have_tty)
{
	static const char *const devs[] = { "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom" };
	static const char *const links[][2] = { { "/dev/fd", "/proc/self/fd" },
						{ "/dev/stdin", "/proc/self/fd/0" },
						{ "/dev/stdout", "/proc/self/fd/1" },
						{ "/dev/stderr", "/proc/self/fd/2" } };
	int r;
	if ((r = add_entry(fs, SBX_MNT_DIR, "/dev", NULL, 0, 0, false)) < 0)
		return r;
	for (size_t i = 0; i < SBX_ARRAY_SIZE(devs); i++)
		if ((r = add_entry(fs, SBX_MNT_DEV, devs[i], devs[i], 0, 0, false)) < 0)
			return r;
	if (have_tty && (r = add_entry(fs, SBX_MNT_DEV, "/dev/tty", "/dev/tty", 0, 0, true)) < 0)
		return r;
	for (size_t i = 0; i < SBX_ARRAY_SIZE(links); i++)
		if ((r = add_entry(fs, SBX_MNT_SYMLINK, links[i][0], links[i][1], 0, 0, false)) < 0)
			return r;
	/* POSIX shared memory and semaphores (shm_open, sem_open: Python's multiprocessing): a
	 * private tmpfs, nothing on it executable. */
	if ((r = add_entry(fs, SBX_MNT_TMPFS, "/dev/shm", NULL, SBX_DEFAULT_TMP_SIZE, 01777, false)) < 0)
		return r;
	fs->entries[fs->n - 1].noexec = true;
	return 0;
}

/* One path of the policy (pm) or of the caller (cp). Paths are canonical: a symlink in the
 * path must not lead the bind elsewhere inside. */
static int add_path(struct sbx_fs_plan *fs, const struct sbx_policy_mount *pm, const struct sbx_path_grant *cp,
		    struct sbx_error *err)
{
	const char *path = pm ? pm->path : cp->path;
	bool rw = pm ? pm->kind == SBX_MOUNT_RW : cp->writable;
	if (pm && pm->kind == SBX_MOUNT_TMPFS) {
		const char *p = keep(fs, strdup(path));
		if (!p)
			return -ENOMEM;
		return add_entry(fs, SBX_MNT_TMPFS, p, NULL, pm->tmpfs_size ? pm->tmpfs_size : SBX_DEFAULT_TMP_SIZE,
				 01777, false);
	}
	char *canon = realpath(path, NULL);
	if (!canon) {
		int e = errno;
		if (pm)
			sbx_error_set(err, -e, "%s:%u: path %s: %s", pm->file ? pm->file : "policy", pm->line, path,
				      strerror(e));
		else
			sbx_error_set(err, -e, "%s %s: %s", rw ? "--rw" : "--ro", path, strerror(e));
		return -e;
	}
	if (!keep(fs, canon))
		return -ENOMEM;
	if (strcmp(canon, "/") == 0) {
		sbx_error_set(err, -EINVAL, "%s /: refusing to expose the whole host filesystem", rw ? "--rw" : "--ro");
		return -EINVAL;
	}
	return add_entry(fs, rw ? SBX_MNT_BIND_RW : SBX_MNT_BIND_RO, canon, canon, 0, 0, false);
}

/* How the i-th path of the policy (i < n_pm), else of the caller, was given, for messages. */
static void describe_path(char *buf, size_t len, const struct sbx_policy_mount *pm, size_t n_pm,
			  const struct sbx_config *cfg, size_t i)
{
	if (i < n_pm)
		snprintf(buf, len, "%s:%u: %s %s", pm[i].file ? pm[i].file : "policy", pm[i].line,
			 pm[i].kind == SBX_MOUNT_RW ? "rw" : "ro", pm[i].path);
	else
		snprintf(buf, len, "%s %s", cfg->paths[i - n_pm].writable ? "--rw" : "--ro", cfg->paths[i - n_pm].path);
}

/* The same path read-only and writable, whoever said each (--ro X --rw X, or a policy's `ro X`
 * and --rw X): refused, not resolved by order. A policy's `ro` is a promise about what the
 * program cannot change; a silent upgrade by a later word would break it. A path below
 * another is no conflict (--ro /data --rw /data/out is how an output folder is given). The
 * user paths start at entry `first`, one entry each, the policy's first. */
static int refuse_conflicts(const struct sbx_fs_plan *fs, size_t first, const struct sbx_policy_mount *pm, size_t n_pm,
			    const struct sbx_config *cfg, struct sbx_error *err)
{
	for (size_t j = first; j < fs->n; j++) {
		const struct sbx_mount_entry *b = &fs->entries[j];
		if (b->op != SBX_MNT_BIND_RO && b->op != SBX_MNT_BIND_RW)
			continue;
		for (size_t i = first; i < j; i++) {
			const struct sbx_mount_entry *a = &fs->entries[i];
			if ((a->op != SBX_MNT_BIND_RO && a->op != SBX_MNT_BIND_RW) || a->op == b->op ||
			    strcmp(a->path, b->path) != 0)
				continue;
			char da[PATH_MAX + 64], db[PATH_MAX + 64];
			describe_path(da, sizeof(da), pm, n_pm, cfg, i - first);
			describe_path(db, sizeof(db), pm, n_pm, cfg, j - first);
			sbx_error_set(err, -EINVAL, "%s and %s: %s cannot be both read-only and writable; give it once",
				      da, db, a->path);
			return -EINVAL;
		}
	}
	return 0;
}

int sbx_fs_plan_build(struct sbx_fs_plan *fs, const struct sbx_config *cfg, const struct sbx_policy *policy,
		      uid_t uid, gid_t gid, bool have_tty, struct sbx_error *err)
{
	static const char *const tops[] = { "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32" };
	int r;

	memset(fs, 0, sizeof(*fs));
	if ((r = add_entry(fs, SBX_MNT_BIND_RO, "/usr", "/usr", 0, 0, false)) < 0)
		return r;
	for (size_t i = 0; i < SBX_ARRAY_SIZE(tops); i++)
		if ((r = add_top_dir(fs, tops[i])) < 0)
			return r;
	if ((r = add_etc(fs, uid, gid)) < 0 ||
	    (r = add_entry(fs, SBX_MNT_PROC, "/proc", NULL, 0, 0, false)) < 0 ||
	    (r = add_dev(fs, have_tty)) < 0 ||
	    (r = add_entry(fs, SBX_MNT_TMPFS, "/tmp", NULL, SBX_DEFAULT_TMP_SIZE, 01777, false)) < 0)
		return r;

	/* Then what the policy and the caller add, in that order (the caller's word is last). */
	const struct sbx_policy_mount *pm = NULL;
	size_t n_pm = policy ? sbx_policy_mounts(policy, &pm) : 0;
	size_t first = fs->first_granted = fs->n;
	for (size_t i = 0; i < n_pm + cfg->n_paths; i++) {
		r = i < n_pm ? add_path(fs, &pm[i], NULL, err) : add_path(fs, NULL, &cfg->paths[i - n_pm], err);
		if (r == -E2BIG)
			sbx_error_set(err, r, "%s: too many paths (the sandbox holds at most %d mounts in all)",
				      i < n_pm ? pm[i].path : cfg->paths[i - n_pm].path, SBX_MOUNT_MAX);
		if (r < 0)
			return r;
	}
	return refuse_conflicts(fs, first, pm, n_pm, cfg, err);
}

/* Is `base` the path `path` or one of its ancestors? Both canonical. */
static bool path_under(const char *path, const char *base)
{
	size_t n = strlen(base);
	return strncmp(path, base, n) == 0 && (path[n] == '\0' || path[n] == '/' || (n == 1 && base[0] == '/'));
}

/* The entry applied last that covers path (symbolic links too, or not), or NULL. */
static const struct sbx_mount_entry *covering(const struct sbx_fs_plan *fs, const char *path, bool symlinks)
{
	const struct sbx_mount_entry *last = NULL;
	for (size_t i = 0; i < fs->n; i++)
		if ((symlinks || fs->entries[i].op != SBX_MNT_SYMLINK) && path_under(path, fs->entries[i].path))
			last = &fs->entries[i];
	return last;
}

bool sbx_fs_plan_shows(const struct sbx_fs_plan *fs, const char *path)
{
	if (!path || path[0] != '/')
		return false;
	/* The entry applied last that covers path decides: a tmpfs or /proc over a bind hides it,
	 * a bind over a tmpfs shows it again. */
	const struct sbx_mount_entry *last = covering(fs, path, false);
	return last && (last->op == SBX_MNT_BIND_RO || last->op == SBX_MNT_BIND_RW) &&
	       strcmp(last->path, last->source) == 0;
}

bool sbx_fs_plan_hides(const struct sbx_fs_plan *fs, const char *path)
{
	if (!path || path[0] != '/' || sbx_fs_plan_shows(fs, path))
		return false;
	/* The root, and a folder above something of the plan (/home above --rw /home/u/proj):
	 * the program finds a folder there. */
	for (size_t i = 0; i < fs->n; i++)
		if (path_under(fs->entries[i].path, path))
			return false;
	/* Nothing of the plan there (the root's empty tmpfs), or below a tmpfs of the sandbox's
	 * own (/tmp); a file, device, link or bind of its own at that place is something. */
	const struct sbx_mount_entry *last = covering(fs, path, true);
	return !last || (last->op == SBX_MNT_TMPFS && strcmp(last->path, path) != 0);
}

static void ll_add(struct sbx_fs_plan *fs, const char *path, int fd, enum sbx_ll_class cls)
{
	if (fs->n_ll < SBX_ARRAY_SIZE(fs->ll))
		fs->ll[fs->n_ll++] = (struct sbx_ll_rule){ path, fd, cls };
}

void sbx_fs_plan_landlock(struct sbx_fs_plan *fs, const struct sbx_fd_slot *slots, const int *slot_grant,
			  size_t n_slots, const struct sbx_grants *g)
{
	fs->n_ll = 0;
	ll_add(fs, "/", -1, SBX_LL_RO);
	ll_add(fs, "/dev", -1, SBX_LL_DEV);
	ll_add(fs, "/proc", -1, SBX_LL_PROC);
	ll_add(fs, "/tmp", -1, SBX_LL_RW);
	for (size_t i = 0; i < fs->n; i++) {
		const struct sbx_mount_entry *e = &fs->entries[i];
		if (e->op == SBX_MNT_BIND_RW || (e->op == SBX_MNT_TMPFS && strcmp(e->path, "/tmp") != 0))
			ll_add(fs, e->path, -1, SBX_LL_RW);
	}
	ll_add(fs, NULL, SBX_PROGRAM_FD, SBX_LL_EXEC);
	/* stdio as the program will hold it (a job's own, not the broker's): read inside. */
	for (int fd = 0; fd < 3; fd++)
		ll_add(fs, NULL, fd, SBX_LL_AS_FD);
	for (size_t i = 0; i < n_slots; i++) {
		if (slot_grant[i] < 0)
			continue; /* the request channel: a socket */
		const struct sbx_resource *r = &g->res[slot_grant[i]];
		bool w = r->flags & (SBX_ACCESS_WRITE | SBX_ACCESS_CREATE | SBX_ACCESS_TRUNC);
		bool rd = r->flags & SBX_ACCESS_READ;
		if (r->kind == SBX_RES_DIR)
			ll_add(fs, NULL, slots[i].target, w ? SBX_LL_RW : SBX_LL_RO);
		else if (r->kind == SBX_RES_FILE)
			ll_add(fs, NULL, slots[i].target, w && rd ? SBX_LL_RDWR : w ? SBX_LL_WRITE : SBX_LL_READ);
	}
}

int sbx_fs_plan_idmap(struct sbx_fs_plan *fs, uid_t caller_uid, gid_t caller_gid, uid_t uid, gid_t gid,
		      struct sbx_error *err)
{
	_cleanup_close_ int userns = -1;
	for (size_t i = fs->first_granted; i < fs->n; i++) {
		struct sbx_mount_entry *e = &fs->entries[i];
		if (e->op != SBX_MNT_BIND_RO && e->op != SBX_MNT_BIND_RW)
			continue;
		/* One namespace for every path, made only when there is a path. */
		if (userns < 0 && (userns = sbx_idmap_userns(caller_uid, caller_gid, uid, gid)) < 0) {
			int r = userns;
			sbx_error_set(err, r, "idmapping the granted paths: user namespace: %s", strerror(-r));
			return r;
		}
		if (e->op == SBX_MNT_BIND_RW) {
			char found[PATH_MAX + 64];
			int u = sbx_idmap_unsafe(e->source, found, sizeof(found));
			if (u != 0) {
				if (asprintf(&fs->no_idmap[i], "%s", u > 0 ? found : strerror(-u)) < 0)
					fs->no_idmap[i] = NULL;
				continue; /* bound as before: the worker writes as its own uid */
			}
		}
		int tree = sbx_idmap_tree(e->source, userns, e->op == SBX_MNT_BIND_RW);
		if (tree < 0 && sbx_idmap_refused(tree))
			continue; /* bound as before, without the idmap: the caller says so */
		if (tree < 0) {
			sbx_error_set(err, tree, "%s %s: idmapping it: %s", e->op == SBX_MNT_BIND_RW ? "rw" : "ro",
				      e->source, strerror(-tree));
			return tree;
		}
		e->tree = tree;
	}
	return 0;
}

void sbx_fs_plan_free(struct sbx_fs_plan *fs)
{
	for (size_t i = 0; i < fs->n; i++)
		if (fs->entries[i].tree >= 0)
			sbx_close(&fs->entries[i].tree);
	for (size_t i = 0; i < fs->n_owned; i++)
		free(fs->owned[i]);
	for (size_t i = 0; i < SBX_ARRAY_SIZE(fs->no_idmap); i++) {
		free(fs->no_idmap[i]);
		fs->no_idmap[i] = NULL;
	}
	fs->n_owned = 0;
	fs->n = fs->n_ll = 0;
}
