/* SPDX-License-Identifier: MIT */
/* Building the worker's root with the new mount API.
 *
 * Order, and why:
 *  1. Make every mount private, so nothing we do propagates back to the host.
 *  2. Clone every bind source first (open_tree), while the host tree is still visible and
 *     before we cover anything; set their attributes recursively with mount_setattr (mount(2)
 *     cannot make a whole subtree read-only: submounts of a read-only bind stay writable).
 *     A granted path a root broker idmapped (broker/idmap.h) arrives as a detached tree
 *     with its attributes: only the broker, root on the host, may set an idmap.
 *  3. Create the root tmpfs and attach it at a scratch point (/tmp of our private namespace),
 *     then build the tree inside it relative to its fd.
 *  4. Make the root itself read-only, pivot_root into it and detach the host root.
 * Nothing here allocates: it runs in a child cloned from a possibly multithreaded broker. */
#include "mount.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/util.h"

static int fail(char *detail, size_t len, const char *op, const char *path, int err)
{
	snprintf(detail, len, "%s %s", op, path ? path : "");
	return err < 0 ? err : -err;
}

/* mkdir -p of path's components (relative to root_fd), excluding the last one when
 * `include_last` is false. Components that exist are fine, even on read-only binds. */
static int mkdir_parents(int root_fd, const char *path, bool include_last)
{
	char buf[4096];
	while (*path == '/')
		path++;
	if (sbx_strlcpy(buf, path, sizeof(buf)) >= sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdirat(root_fd, buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (include_last && buf[0] && mkdirat(root_fd, buf, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static const char *rel(const char *path)
{
	while (*path == '/')
		path++;
	return *path ? path : ".";
}

/* Create the mount point for a tree: a directory for a directory, an empty file otherwise. */
static int make_mountpoint(int root_fd, const char *path, bool dir)
{
	int r = mkdir_parents(root_fd, path, dir);
	if (r < 0 || dir)
		return r;
	int fd = openat(root_fd, rel(path), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0644);
	if (fd < 0) {
		/* Already there (e.g. inside a read-only bind of the same host path). */
		struct stat st;
		if (fstatat(root_fd, rel(path), &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode))
			return 0;
		return -errno;
	}
	close(fd);
	return 0;
}

#define TMPFS_MIN_INODES 1024

static uint64_t tmpfs_inodes(uint64_t size)
{
	return size / 4096 > TMPFS_MIN_INODES ? size / 4096 : TMPFS_MIN_INODES;
}

static int new_fs_mount(const char *fstype, uint64_t size, unsigned mode, unsigned attrs)
{
	_cleanup_close_ int fs = fsopen(fstype, FSOPEN_CLOEXEC);
	if (fs < 0)
		return -errno;
	char buf[32];
	if (size) {
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)size);
		if (fsconfig(fs, FSCONFIG_SET_STRING, "size", buf, 0) < 0)
			return -errno;
		/* The size bounds data, not files: empty files cost kernel memory (an inode and a
		 * dentry, ~1 KiB each) outside it, 3 million of them 1.6 GB. One inode per page of
		 * the size (16384 for 64 MiB), at least TMPFS_MIN_INODES. */
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)tmpfs_inodes(size));
		if (fsconfig(fs, FSCONFIG_SET_STRING, "nr_inodes", buf, 0) < 0)
			return -errno;
	}
	if (mode) {
		snprintf(buf, sizeof(buf), "%04o", mode);
		if (fsconfig(fs, FSCONFIG_SET_STRING, "mode", buf, 0) < 0)
			return -errno;
	}
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -errno;
	int mnt = fsmount(fs, FSMOUNT_CLOEXEC, attrs);
	return mnt < 0 ? -errno : mnt;
}

static int write_file_at(int root_fd, const char *path, const char *text)
{
	int r = mkdir_parents(root_fd, path, false);
	if (r < 0)
		return r;
	_cleanup_close_ int fd = openat(root_fd, rel(path), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	return sbx_write_all(fd, text, strlen(text));
}

/* One entry of the plan, relative to root_fd. tree: a BIND/DEV entry's source, -1 when it is
 * optional and absent. */
static int apply_entry(int root, const struct sbx_mount_entry *e, int tree, bool tree_is_dir, char *detail,
		       size_t detail_len)
{
	int r, m;
	switch (e->op) {
	case SBX_MNT_DIR:
		if ((r = mkdir_parents(root, e->path, true)) < 0)
			return fail(detail, detail_len, "mkdir", e->path, r);
		return 0;
	case SBX_MNT_BIND_RO:
	case SBX_MNT_BIND_RW:
	case SBX_MNT_DEV:
		if (tree < 0)
			return 0; /* optional and absent */
		if ((r = make_mountpoint(root, e->path, tree_is_dir)) < 0)
			return fail(detail, detail_len, "mount point", e->path, r);
		if (move_mount(tree, "", root, rel(e->path), MOVE_MOUNT_F_EMPTY_PATH) < 0)
			return fail(detail, detail_len, "bind", e->path, -errno);
		return 0;
	case SBX_MNT_TMPFS:
	case SBX_MNT_PROC:
		if ((r = mkdir_parents(root, e->path, true)) < 0)
			return fail(detail, detail_len, "mkdir", e->path, r);
		if (e->op == SBX_MNT_TMPFS)
			m = new_fs_mount("tmpfs", e->size, e->mode,
					 MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (e->noexec ? MOUNT_ATTR_NOEXEC : 0));
		else
			m = new_fs_mount("proc", 0, 0, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
		if (m < 0)
			return fail(detail, detail_len, e->op == SBX_MNT_TMPFS ? "tmpfs" : "proc", e->path, m);
		r = move_mount(m, "", root, rel(e->path), MOVE_MOUNT_F_EMPTY_PATH) < 0 ? -errno : 0;
		close(m);
		return r < 0 ? fail(detail, detail_len, "attach", e->path, r) : 0;
	case SBX_MNT_SYMLINK:
		if ((r = mkdir_parents(root, e->path, false)) < 0 ||
		    (symlinkat(e->source, root, rel(e->path)) < 0 && (r = -errno) != -EEXIST))
			return fail(detail, detail_len, "symlink", e->path, r);
		return 0;
	case SBX_MNT_FILE:
		if ((r = write_file_at(root, e->path, e->source)) < 0)
			return fail(detail, detail_len, "write", e->path, r);
		return 0;
	}
	return 0;
}

void sbx_mount_sources_close(struct sbx_mount_sources *src)
{
	for (size_t i = 0; i < SBX_MOUNT_MAX; i++) {
		if (src->fds[i] >= 0)
			close(src->fds[i]);
		src->fds[i] = -1;
	}
}

int sbx_mount_take_trees(const struct sbx_mount_plan *plan, struct sbx_mount_sources *src, int above)
{
	for (size_t i = 0; i < SBX_MOUNT_MAX; i++)
		src->fds[i] = -1;
	if (plan->n > SBX_MOUNT_MAX)
		return -E2BIG;
	for (size_t i = 0; i < plan->n; i++) {
		const struct sbx_mount_entry *e = &plan->entries[i];
		if ((e->op != SBX_MNT_BIND_RO && e->op != SBX_MNT_BIND_RW) || e->tree < 0)
			continue;
		src->fds[i] = fcntl(e->tree, F_DUPFD_CLOEXEC, above);
		if (src->fds[i] < 0)
			return -errno;
	}
	return 0;
}

/* A clone of the host's e->source with the entry's attributes, in src at i. */
static int clone_source(const struct sbx_mount_entry *e, struct sbx_mount_sources *src, size_t i,
			char *detail, size_t detail_len)
{
	int fd = open_tree(AT_FDCWD, e->source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (fd < 0) {
		if (errno == ENOENT && e->optional)
			return 0;
		return fail(detail, detail_len, "open_tree", e->source, -errno);
	}
	src->fds[i] = fd;
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_NOSUID };
	if (e->op != SBX_MNT_DEV)
		attr.attr_set |= MOUNT_ATTR_NODEV;
	if (e->op != SBX_MNT_BIND_RW)
		attr.attr_set |= MOUNT_ATTR_RDONLY;
	if (mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
		return fail(detail, detail_len, "mount_setattr", e->source, -errno);
	return 0;
}

int sbx_mount_open_sources(const struct sbx_mount_plan *plan, struct sbx_mount_sources *src,
			   char *detail, size_t detail_len)
{
	if (plan->n > SBX_MOUNT_MAX)
		return fail(detail, detail_len, "too many mounts", NULL, -E2BIG);

	/* 1. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return fail(detail, detail_len, "make-rprivate", "/", -errno);

	/* 2. A tree the broker prepared already has its attributes (and its idmap). */
	for (size_t i = 0; i < plan->n; i++) {
		const struct sbx_mount_entry *e = &plan->entries[i];
		int r;
		if (e->op != SBX_MNT_BIND_RO && e->op != SBX_MNT_BIND_RW && e->op != SBX_MNT_DEV)
			continue;
		if (src->fds[i] < 0 && (r = clone_source(e, src, i, detail, detail_len)) < 0)
			return r;
		if (src->fds[i] < 0)
			continue; /* optional and absent */
		struct stat st;
		if (fstat(src->fds[i], &st) < 0)
			return fail(detail, detail_len, "stat", e->source, -errno);
		src->is_dir[i] = S_ISDIR(st.st_mode);
	}
	return 0;
}

int sbx_mount_build_root(const struct sbx_mount_plan *plan, struct sbx_mount_sources *src,
			 char *detail, size_t detail_len)
{
	_cleanup_close_ int root = -1;
	int r = 0;
	int *trees = src->fds;
	bool *tree_is_dir = src->is_dir;

	/* 3. */
	root = new_fs_mount("tmpfs", 1 << 20, 0755, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	if (root < 0) {
		r = fail(detail, detail_len, "tmpfs", "/", root);
		goto out;
	}
	if (move_mount(root, "", AT_FDCWD, "/tmp", MOVE_MOUNT_F_EMPTY_PATH) < 0 &&
	    move_mount(root, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) < 0) {
		r = fail(detail, detail_len, "attach new root", "", -errno);
		goto out;
	}

	for (size_t i = 0; i < plan->n; i++)
		if ((r = apply_entry(root, &plan->entries[i], trees[i], tree_is_dir[i], detail, detail_len)) < 0)
			goto out;

	/* 4. The root tmpfs only holds mount points and the small /etc files: nothing the worker
	 * should change. Not recursive: /tmp stays writable. */
	struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY };
	if (mount_setattr(root, "", AT_EMPTY_PATH, &ro, sizeof(ro)) < 0) {
		r = fail(detail, detail_len, "read-only root", "/", -errno);
		goto out;
	}
	if (fchdir(root) < 0) {
		r = fail(detail, detail_len, "chdir", "new root", -errno);
		goto out;
	}
	/* pivot_root(".", ".") stacks the old root on top of the new one; detaching it leaves
	 * only the new root, with no path back to the host's. */
	if (syscall(SYS_pivot_root, ".", ".") < 0) {
		r = fail(detail, detail_len, "pivot_root", "", -errno);
		goto out;
	}
	if (umount2(".", MNT_DETACH) < 0) {
		r = fail(detail, detail_len, "detach old root", "", -errno);
		goto out;
	}
	if (chdir("/") < 0) {
		r = fail(detail, detail_len, "chdir", "/", -errno);
		goto out;
	}
	r = 0;
out:
	sbx_mount_sources_close(src);
	return r;
}

static bool fresh_op(enum sbx_mount_op op)
{
	return op == SBX_MNT_TMPFS || op == SBX_MNT_PROC;
}

static bool mount_op(enum sbx_mount_op op)
{
	return op == SBX_MNT_BIND_RO || op == SBX_MNT_BIND_RW || op == SBX_MNT_DEV || fresh_op(op);
}

/* Whether path lies strictly below dir. */
static bool below(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	if (n == 1 && dir[0] == '/')
		return path[1] != '\0';
	return strncmp(path, dir, n) == 0 && path[n] == '/';
}

/* Whether path is where a mount is attached (the zygote left an optional, absent bind out). */
static bool mount_root(const char *path)
{
	struct statx stx;
	return statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, 0, &stx) == 0 &&
	       (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

int sbx_mount_job_fresh(const struct sbx_mount_plan *plan, char *detail, size_t detail_len)
{
	if (plan->n > SBX_MOUNT_MAX)
		return fail(detail, detail_len, "plan", "", -E2BIG);
	/* What lies below a tmpfs or proc is made again on the fresh one; its binds are cloned
	 * from the zygote's first, before anything covers them (with their attributes: read-only,
	 * an idmap). */
	bool fresh[SBX_MOUNT_MAX] = { false }, redo[SBX_MOUNT_MAX] = { false }, is_dir[SBX_MOUNT_MAX] = { false };
	int src[SBX_MOUNT_MAX];
	for (size_t i = 0; i < plan->n; i++) {
		const struct sbx_mount_entry *e = &plan->entries[i];
		src[i] = -1;
		/* An entry that a later mount covers (one at its path or above) is not what the root
		 * shows there: the zygote's cover stays, as in a cold launch, and brings its own tree. */
		bool covered = false;
		for (size_t j = i + 1; j < plan->n && !covered; j++)
			covered = mount_op(plan->entries[j].op) &&
				  (strcmp(plan->entries[j].path, e->path) == 0 || below(e->path, plan->entries[j].path));
		if (covered)
			continue;
		fresh[i] = fresh_op(e->op);
		for (size_t t = 0; t < i && !redo[i]; t++)
			redo[i] = fresh[t] && below(e->path, plan->entries[t].path);
	}
	int r = 0;
	for (size_t i = 0; i < plan->n && r == 0; i++) {
		const struct sbx_mount_entry *e = &plan->entries[i];
		if (!redo[i] || (e->op != SBX_MNT_BIND_RO && e->op != SBX_MNT_BIND_RW && e->op != SBX_MNT_DEV))
			continue;
		if (!mount_root(e->path)) {
			/* The zygote left it out: optional and absent; anything else fails closed. */
			if (!e->optional)
				r = fail(detail, detail_len, "clone", e->path, -ENOENT);
			continue;
		}
		src[i] = open_tree(AT_FDCWD, e->path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
		struct stat st;
		if (src[i] < 0 || fstat(src[i], &st) < 0)
			r = fail(detail, detail_len, "clone", e->path, -errno);
		else
			is_dir[i] = S_ISDIR(st.st_mode);
	}
	int root = r < 0 ? -1 : open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (r == 0 && root < 0)
		r = fail(detail, detail_len, "open", "/", -errno);
	/* On top of the zygote's mounts: locked below ours in this less privileged namespace,
	 * and nothing inside holds a capability to unmount ours. */
	for (size_t i = 0; i < plan->n && r == 0; i++) {
		const struct sbx_mount_entry *e = &plan->entries[i];
		if (redo[i] || fresh[i])
			r = apply_entry(root, e, src[i], is_dir[i], detail, detail_len);
	}
	for (size_t i = 0; i < plan->n; i++)
		if (src[i] >= 0)
			close(src[i]);
	if (root >= 0)
		close(root);
	return r;
}

int sbx_mount_reopen_ro(const char *path, int fd, int flags)
{
	struct stat want, got;
	if (fstat(fd, &want) < 0)
		return -errno;
	bool writable = flags & SBX_REOPEN_WRITABLE;
	flags &= ~SBX_REOPEN_WRITABLE;
	/* Recursive: in a user namespace, mounts below a directory are locked to it, and a clone
	 * that left them out would be refused (it would uncover what they hide). */
	_cleanup_close_ int tree = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (tree < 0)
		return -errno;
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV };
	if (!writable)
		attr.attr_set |= MOUNT_ATTR_RDONLY;
	if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
		return -errno;
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", tree);
	_cleanup_close_ int n = open(proc, flags | O_CLOEXEC | O_NOCTTY);
	if (n < 0)
		return -errno;
	/* The path was resolved twice (by the broker, and here): it must still be that file. */
	if (fstat(n, &got) < 0)
		return -errno;
	if (got.st_dev != want.st_dev || got.st_ino != want.st_ino)
		return -ESTALE;
	if (dup3(n, fd, O_CLOEXEC) < 0)
		return -errno;
	return 0;
}
