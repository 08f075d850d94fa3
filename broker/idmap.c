/* SPDX-License-Identifier: MIT */
/* Idmapped bind sources (idmap.h). */
#include "idmap.h"

#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/nsfs.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"

static int write_map(pid_t pid, const char *file, unsigned from, unsigned to)
{
	char path[64], line[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	int n = snprintf(line, sizeof(line), "%u %u 1\n", from, to);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return write(fd, line, (size_t)n) == n ? 0 : -errno;
}

/* The namespace belongs to a child that only waits on a pipe: created by clone3 without an exit
 * signal (an embedding program's waitpid(-1) never sees it), it runs no code that allocates. */
static int make_userns(uid_t caller_uid, gid_t caller_gid, uid_t worker_uid, gid_t worker_gid)
{
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	_cleanup_close_ int rd = pipefd[0], wr = pipefd[1], pidfd = -1;
	struct clone_args args = { .flags = CLONE_NEWUSER | CLONE_PIDFD, .pidfd = (uint64_t)(uintptr_t)&pidfd };
	pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		char c;
		close(wr);
		(void)!read(rd, &c, 1); /* EOF when the broker is done, or gone */
		_exit(0);
	}
	char ns[64];
	snprintf(ns, sizeof(ns), "/proc/%d/ns/user", (int)pid);
	/* On-disk caller id (the namespace's "inside") shown as the worker's (its "outside"). */
	int r = write_map(pid, "uid_map", caller_uid, worker_uid);
	if (r == 0)
		r = write_map(pid, "gid_map", caller_gid, worker_gid);
	int fd = r == 0 ? open(ns, O_RDONLY | O_CLOEXEC) : -1;
	if (r == 0 && fd < 0)
		r = -errno;
	sbx_close(&wr);
	siginfo_t si;
	while (waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED | __WALL) < 0 && errno == EINTR)
		;
	return r < 0 ? r : fd;
}

/* Made once per mapping and kept for the process's life (close-on-exec): a namespace with no
 * process in it, only its maps, which every launch with granted paths would otherwise make
 * again (a clone of the broker and a namespace, each time). A few mappings at most: the
 * caller's ids to one worker uid, or to each uid of a range. */
#define IDMAP_CACHE 8
static struct idmap_key {
	uid_t caller_uid, worker_uid;
	gid_t caller_gid, worker_gid;
	int fd;
} cache[IDMAP_CACHE];
static size_t n_cache;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

int sbx_idmap_userns(uid_t caller_uid, gid_t caller_gid, uid_t worker_uid, gid_t worker_gid)
{
	pthread_mutex_lock(&cache_lock);
	int fd = -ENOENT;
	for (size_t i = 0; i < n_cache && fd == -ENOENT; i++) {
		const struct idmap_key *k = &cache[i];
		if (k->caller_uid == caller_uid && k->caller_gid == caller_gid && k->worker_uid == worker_uid &&
		    k->worker_gid == worker_gid) {
			/* Still ours: an embedder that closed every fd may have reused its number. */
			if (ioctl(k->fd, NS_GET_NSTYPE) != CLONE_NEWUSER) {
				cache[i] = cache[--n_cache];
				break;
			}
			int d = fcntl(k->fd, F_DUPFD_CLOEXEC, 3);
			fd = d < 0 ? -errno : d;
		}
	}
	if (fd == -ENOENT) {
		fd = make_userns(caller_uid, caller_gid, worker_uid, worker_gid);
		int kept = fd >= 0 && n_cache < IDMAP_CACHE ? fcntl(fd, F_DUPFD_CLOEXEC, 3) : -1;
		if (kept >= 0)
			cache[n_cache++] = (struct idmap_key){ caller_uid, worker_uid, caller_gid, worker_gid, kept };
	}
	pthread_mutex_unlock(&cache_lock);
	return fd;
}

int sbx_idmap_tree(const char *path, int userns_fd, bool writable)
{
	_cleanup_close_ int tree = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (tree < 0)
		return -errno;
	/* Recursive: a submount left without the idmap would show the worker its own
	 * permissions there; one that cannot be idmapped makes the whole call fail. */
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
				   .userns_fd = (uint64_t)userns_fd };
	if (!writable)
		attr.attr_set |= MOUNT_ATTR_RDONLY;
	if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
		return -errno;
	return sbx_steal_fd(&tree);
}

bool sbx_idmap_refused(int err)
{
	return err == -EINVAL || err == -EOPNOTSUPP || err == -ENOSYS;
}

/* ---- what a writable idmapped tree must not hold ---- */

#define SCAN_MAX 200000 /* entries; past that the tree is not idmapped (no certainty) */

static size_t scan_count;
static char *scan_found;
static size_t scan_found_len;

static int scan_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	const char *why = NULL;
	if (++scan_count > SCAN_MAX)
		why = "more files than sbx checks";
	else if (type == FTW_F && S_ISREG(st->st_mode) &&
		 ((st->st_mode & S_ISUID) || (st->st_mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP)))
		why = "a set-user-ID or set-group-ID file";
	else if (type == FTW_F && S_ISREG(st->st_mode) && lgetxattr(path, "security.capability", NULL, 0) >= 0)
		why = "a file with capabilities";
	else if ((type == FTW_D || type == FTW_DP) && (st->st_mode & (S_IWOTH | S_ISVTX)) == (S_IWOTH | S_ISVTX))
		why = "a sticky folder every user may write in";
	if (!why)
		return 0;
	snprintf(scan_found, scan_found_len, "%s: %s", path, why);
	return 1;
}

/* A scan's verdict, kept SCAN_KEEP_MS for the launches that follow it (a batch's or a pool's
 * cold ones, each of which would scan the same tree again: 0.2 s for 66,000 files here). The
 * scan is a look at one moment in any case: what lands in the tree after it is not seen by a
 * sandbox already running on it either, and a verdict two seconds old is no older than that of
 * a sandbox that started two seconds ago. Kept per path and the tree's root (device, inode). */
#define SCAN_KEEP_MS 2000
#define SCAN_KEPT 4

/* The tree at a path, as far as one look tells: its root's device and inode, and its birth
 * time where the filesystem keeps one (an inode number reused by a new folder: another birth;
 * writes in the tree leave it alone, where they would change the root's ctime). */
struct tree_id {
	dev_t dev;
	ino_t ino;
	struct statx_timestamp born;
};

static int tree_id_of(const char *path, struct tree_id *id)
{
	struct statx sx;
	if (statx(AT_FDCWD, path, 0, STATX_INO | STATX_BTIME, &sx) < 0)
		return -errno;
	*id = (struct tree_id){ makedev(sx.stx_dev_major, sx.stx_dev_minor), sx.stx_ino, { 0 } };
	if (sx.stx_mask & STATX_BTIME)
		id->born = sx.stx_btime;
	return 0;
}

static bool same_tree(const struct tree_id *a, const struct tree_id *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->born.tv_sec == b->born.tv_sec &&
	       a->born.tv_nsec == b->born.tv_nsec;
}

struct scan_kept {
	char path[PATH_MAX];
	struct tree_id id;
	uint64_t at_ms;
	int verdict;
	char found[PATH_MAX + 64];
};

static uint64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

static struct scan_kept *kept_for(struct scan_kept *kept, const char *path, const struct tree_id *id, uint64_t now)
{
	for (int i = 0; i < SCAN_KEPT; i++)
		if (kept[i].at_ms && now - kept[i].at_ms < SCAN_KEEP_MS && same_tree(&kept[i].id, id) &&
		    strcmp(kept[i].path, path) == 0)
			return &kept[i];
	return NULL;
}

int sbx_idmap_unsafe(const char *path, char *found, size_t len)
{
	/* nftw's callback has no context pointer: the broker scans from one thread at a time
	 * (the threading rule in sbx.h: a config and its workers belong to one thread). */
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static struct scan_kept kept[SCAN_KEPT];
	static unsigned next;
	struct tree_id id, after;
	int r = tree_id_of(path, &id);
	if (r < 0)
		return r;
	uint64_t now = now_ms();
	pthread_mutex_lock(&lock);
	struct scan_kept *k = strlen(path) < PATH_MAX ? kept_for(kept, path, &id, now) : NULL;
	if (k) {
		r = k->verdict;
		snprintf(found, len, "%s", k->found);
		pthread_mutex_unlock(&lock);
		return r;
	}
	scan_count = 0;
	scan_found = found;
	scan_found_len = len;
	found[0] = '\0';
	/* Into submounts too (no FTW_MOUNT): the idmapped bind is recursive, so a set-id file on
	 * a mount below path would be the worker's to rewrite as well. */
	r = nftw(path, scan_one, 16, FTW_PHYS);
	r = r < 0 ? -errno : r > 0;
	/* Kept only for the tree scanned: the path swapped meanwhile is scanned again next time. */
	if (strlen(path) < PATH_MAX && tree_id_of(path, &after) == 0 && same_tree(&id, &after)) {
		k = &kept[next++ % SCAN_KEPT];
		*k = (struct scan_kept){ .id = id, .at_ms = now, .verdict = r };
		snprintf(k->path, sizeof(k->path), "%s", path);
		snprintf(k->found, sizeof(k->found), "%s", found);
	}
	pthread_mutex_unlock(&lock);
	return r;
}
