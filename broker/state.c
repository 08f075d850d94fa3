/* SPDX-License-Identifier: MIT */
/* The state directory (state.h): where it is, how an entry is written, locked and collected. */
#include "state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"

/* An entry being written is renamed into place within microseconds; one older than this was
 * left by a broker that died in between. */
#define NEW_ENTRY_GRACE_S 10
#define ENTRY_MAX 8192

static bool is_own_dir(const char *path, uid_t uid)
{
	struct stat st;
	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == uid;
}

/* /run/sbx as root; unprivileged, in the caller's runtime directory: $XDG_RUNTIME_DIR when it
 * is the caller's (setpriv and sudo may pass another user's), else /run/user/UID when that is.
 * Nowhere else: an entry left by a SIGKILLed broker stays until the next sbx, which must not
 * be in /tmp (nothing of sbx may outlive it there). -ENOENT when there is none. */
static int dir_path(char *path, size_t len)
{
	uid_t uid = geteuid();
	const char *xdg = uid ? secure_getenv("XDG_RUNTIME_DIR") : NULL;
	char run_user[64];
	snprintf(run_user, sizeof(run_user), "/run/user/%u", (unsigned)uid);
	if (uid == 0)
		snprintf(path, len, "/run/sbx");
	else if (xdg && xdg[0] == '/' && is_own_dir(xdg, uid) && strlen(xdg) + 5 < len)
		snprintf(path, len, "%s/sbx", xdg);
	else if (is_own_dir(run_user, uid))
		snprintf(path, len, "%s/sbx", run_user);
	else {
		snprintf(path, len, "(no runtime directory: XDG_RUNTIME_DIR)");
		return -ENOENT;
	}
	return 0;
}

static int dir_open(char *path, size_t len, bool create)
{
	int r = dir_path(path, len);
	if (r < 0)
		return r;
	if (create && mkdir(path, 0700) < 0 && errno != EEXIST)
		return -errno;
	/* O_NOFOLLOW: a symlink planted at the name is refused, not followed. */
	_cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ELOOP || errno == ENOTDIR ? -EPERM : -errno;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid())
		return -EPERM;
	/* Ours: a umask may have left it narrower, nobody else can have widened it usefully. */
	if ((st.st_mode & 07777) != 0700 && fchmod(fd, 0700) < 0)
		return -errno;
	return sbx_steal_fd(&fd);
}

int sbx_state_dir_open(char *path, size_t len, bool create)
{
	return dir_open(path, len, create);
}

/* Opened without following a symlink and without blocking on a fifo planted there. */
static int entry_open(int dir, const char *name)
{
	return openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
}

/* Remove the entry if its lock is free (its broker is gone); true when it was removed. */
static bool collect_one(int dir, const char *name)
{
	struct stat st, now;
	if (name[0] == '.' && fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    st.st_mtime > time(NULL) - NEW_ENTRY_GRACE_S)
		return false; /* being written */
	_cleanup_close_ int fd = entry_open(dir, name);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
		return false;
	/* A regular file (the id locks live in a subdirectory, idrange.c), and still the one we
	 * locked, not a new entry renamed over it meanwhile. */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || fstatat(dir, name, &now, AT_SYMLINK_NOFOLLOW) < 0 || st.st_ino != now.st_ino)
		return false;
	return unlinkat(dir, name, 0) == 0;
}

/* A listing of dir that leaves dir itself open. */
static DIR *dir_list(int dir)
{
	int dfd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d && dfd >= 0)
		close(dfd);
	return d;
}

void sbx_state_collect(int dir)
{
	DIR *d = dir_list(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, ".."))
			(void)collect_one(dir, de->d_name);
	closedir(d);
}

static int write_entry(int dir, const char *name, const char *text, int *ret)
{
	static unsigned counter;
	char tmp[64];
	snprintf(tmp, sizeof(tmp), ".new-%d-%u", (int)getpid(), __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED));
	_cleanup_close_ int fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	int r = flock(fd, LOCK_EX | LOCK_NB) < 0 ? -errno : sbx_write_all(fd, text, strlen(text));
	/* Renamed only once locked and whole: a reader never sees half an entry, a collector never
	 * an unlocked live one. */
	if (r == 0 && renameat(dir, tmp, dir, name) < 0)
		r = -errno;
	if (r < 0) {
		unlinkat(dir, tmp, 0);
		return r;
	}
	*ret = sbx_steal_fd(&fd);
	return 0;
}

void sbx_state_collect_own(void)
{
	char path[128];
	_cleanup_close_ int dir = dir_open(path, sizeof(path), false);
	if (dir >= 0)
		sbx_state_collect(dir);
}

int sbx_state_add(const char *name, const char *text, struct sbx_state_entry *e)
{
	int r = -ENOENT;
	memset(e, 0, sizeof(*e));
	/* Twice: the runtime directory's sbx/ may be removed (by the user) between our open and our
	 * write. */
	for (int attempt = 0; attempt < 2 && r == -ENOENT; attempt++) {
		char path[128];
		_cleanup_close_ int dir = sbx_state_dir_open(path, sizeof(path), true);
		if (dir < 0)
			return dir;
		/* Stale entries were collected when the record began (nsrecord.c): once a launch. */
		if ((r = write_entry(dir, name, text, &e->fd)) == 0) {
			e->dir = sbx_steal_fd(&dir);
			e->active = true;
			sbx_strlcpy(e->name, name, sizeof(e->name));
		}
	}
	return r;
}

void sbx_state_remove(struct sbx_state_entry *e)
{
	if (!e->active)
		return;
	/* Unlinked before the lock goes: a collector never sees a free lock on a live name. */
	(void)unlinkat(e->dir, e->name, 0);
	sbx_close(&e->fd);
	sbx_close(&e->dir);
	e->active = false;
}

static int read_entry(int dir, const char *name, char *buf, size_t len)
{
	_cleanup_close_ int fd = entry_open(dir, name);
	if (fd < 0)
		return -errno;
	/* A free lock: its broker is gone (a collector removes it). */
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return -EINVAL;
	if (flock(fd, LOCK_SH | LOCK_NB) == 0)
		return -ESRCH;
	ssize_t n = read(fd, buf, len - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

int sbx_state_each(int dir, int (*fn)(const char *name, const char *text, void *ctx), void *ctx)
{
	DIR *d = dir_list(dir);
	if (!d)
		return -errno;
	_cleanup_free_ char *buf = malloc(ENTRY_MAX);
	int r = buf ? 0 : -ENOMEM;
	struct dirent *de;
	while (r == 0 && (de = readdir(d)))
		if (de->d_name[0] != '.' && read_entry(dir, de->d_name, buf, ENTRY_MAX) == 0)
			r = fn(de->d_name, buf, ctx);
	closedir(d);
	return r;
}
