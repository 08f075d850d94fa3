/* SPDX-License-Identifier: MIT */
#include "idrange.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <pthread.h>
#include <pwd.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"

extern char **environ;

struct range_lookup {
	const char *name, *uid_str;
	unsigned long base, count;
};

/* One line of /etc/subuid or /etc/subgid: NAME:START:COUNT, by name or numeric uid. */
static int range_line(char *line, void *ctx)
{
	struct range_lookup *l = ctx;
	char *save = NULL;
	char *who = strtok_r(line, ":", &save);
	char *start = strtok_r(NULL, ":", &save);
	char *cnt = strtok_r(NULL, ":", &save);
	if (!who || !start || !cnt)
		return 0;
	if (strcmp(who, l->name) != 0 && (!l->uid_str || strcmp(who, l->uid_str) != 0))
		return 0;
	uint64_t b, c;
	if (sbx_parse_u64(start, &b) < 0 || sbx_parse_u64(cnt, &c) < 0 || c == 0 || b == 0 || b + c > UINT32_MAX)
		return 0;
	l->base = (unsigned long)b;
	l->count = (unsigned long)c;
	return 1;
}

static int lookup_file(const char *file, const char *name, const char *uid_str, unsigned long *base, unsigned long *count)
{
	struct range_lookup l = { name, uid_str, 0, 0 };
	int r = sbx_each_line(file, range_line, &l);
	if (r < 0)
		return r;
	*base = l.base;
	*count = l.count;
	return 0;
}

int sbx_idrange_lookup(const char *name, uid_t *uid_base, gid_t *gid_base, uint32_t *count)
{
	char uid_str[32] = "";
	struct passwd pw, *res = NULL;
	char buf[1024];
	if (getpwnam_r(name, &pw, buf, sizeof(buf), &res) == 0 && res)
		snprintf(uid_str, sizeof(uid_str), "%u", (unsigned)pw.pw_uid);
	unsigned long ub, uc, gb, gc;
	int r = lookup_file("/etc/subuid", name, uid_str[0] ? uid_str : NULL, &ub, &uc);
	if (r < 0)
		return r;
	r = lookup_file("/etc/subgid", name, uid_str[0] ? uid_str : NULL, &gb, &gc);
	if (r < 0)
		return r;
	*uid_base = (uid_t)ub;
	*gid_base = (gid_t)gb;
	*count = (uint32_t)(uc < gc ? uc : gc);
	return 0;
}

/* Few brokers use more than one range; a small table of ranges, each with a bitmap of the
 * offsets in use (capped: 65536 workers at once is far beyond any machine here). */
#define MAX_RANGES 8
#define MAX_OFFSETS 65536
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	uid_t base;
	uint64_t *bits;
} ranges[MAX_RANGES];

/* The directory of the id lock files, created if missing and checked to be ours: an fd to it
 * (O_DIRECTORY), so that no path to a lock file is ever built. */
static int open_lock_dir(void)
{
	_cleanup_free_ char *base = NULL, *ids = NULL;
	if (geteuid() == 0) {
		base = strdup("/run/sbx");
	} else {
		const char *x = getenv("XDG_RUNTIME_DIR");
		if (!x || x[0] != '/')
			return -ENOENT;
		if (asprintf(&base, "%s/sbx", x) < 0)
			base = NULL;
	}
	if (!base || asprintf(&ids, "%s/ids", base) < 0)
		return -ENOMEM;
	(void)mkdir(base, 0755);
	(void)mkdir(ids, 0755);
	_cleanup_close_ int fd = open(ids, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	/* Someone else's directory could hand out our ids twice: never use one we do not own. */
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 0022))
		return -EPERM;
	return sbx_steal_fd(&fd);
}

/* The lock file's name in that directory: the host id. */
static void lock_name(char name[16], uid_t base, uint32_t k)
{
	snprintf(name, 16, "%u", (unsigned)(base + k));
}

/* Try to hold the lock of one id; 0 with *fd on success, -EBUSY when another broker has it. */
static int lock_id(int dir_fd, uid_t base, uint32_t k, int *fd)
{
	char name[16];
	lock_name(name, base, k);
	for (int tries = 0; tries < 4; tries++) {
		int f = openat(dir_fd, name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (f < 0)
			return -errno;
		if (flock(f, LOCK_EX | LOCK_NB) < 0) {
			int e = errno;
			close(f);
			return e == EWOULDBLOCK ? -EBUSY : -e;
		}
		/* The holder before us may have removed the file between our open and our lock: we
		 * then hold a lock nobody else sees. Only a lock on the file at the path counts. */
		struct stat a, b;
		if (fstat(f, &a) == 0 && fstatat(dir_fd, name, &b, 0) == 0 && a.st_ino == b.st_ino &&
		    a.st_dev == b.st_dev) {
			*fd = f;
			return 0;
		}
		close(f);
	}
	return -EBUSY;
}

int sbx_idrange_take(uid_t uid_base, uint32_t count, int *lock_fd)
{
	_cleanup_close_ int dir_fd = open_lock_dir();
	bool use_locks = dir_fd >= 0;
	*lock_fd = -1;
	if (count > MAX_OFFSETS)
		count = MAX_OFFSETS;
	int r = -EUSERS;
	pthread_mutex_lock(&lock);
	int slot = -1;
	for (int i = 0; i < MAX_RANGES; i++) {
		if (ranges[i].bits && ranges[i].base == uid_base) {
			slot = i;
			break;
		}
		if (!ranges[i].bits && slot < 0)
			slot = i;
	}
	if (slot < 0) {
		r = -ENOSPC;
		goto out;
	}
	if (!ranges[slot].bits) {
		ranges[slot].bits = calloc(MAX_OFFSETS / 64, sizeof(uint64_t));
		if (!ranges[slot].bits) {
			r = -ENOMEM;
			goto out;
		}
		ranges[slot].base = uid_base;
	}
	for (uint32_t k = 0; k < count; k++) {
		if (ranges[slot].bits[k / 64] & (1ull << (k % 64)))
			continue;
		if (use_locks) {
			int lr = lock_id(dir_fd, uid_base, k, lock_fd);
			if (lr == -EBUSY)
				continue;
			if (lr < 0) {
				r = lr;
				break;
			}
		}
		ranges[slot].bits[k / 64] |= 1ull << (k % 64);
		r = (int)k;
		break;
	}
out:
	pthread_mutex_unlock(&lock);
	return r;
}

void sbx_idrange_release(uid_t uid_base, int offset, int lock_fd)
{
	if (offset < 0 || offset >= MAX_OFFSETS)
		return;
	if (lock_fd >= 0) {
		/* Remove while holding the lock; lock_id() checks for this. */
		_cleanup_close_ int dir_fd = open_lock_dir();
		if (dir_fd >= 0) {
			char name[16];
			lock_name(name, uid_base, (uint32_t)offset);
			(void)unlinkat(dir_fd, name, 0);
		}
		close(lock_fd);
	}
	pthread_mutex_lock(&lock);
	for (int i = 0; i < MAX_RANGES; i++)
		if (ranges[i].bits && ranges[i].base == uid_base)
			ranges[i].bits[offset / 64] &= ~(1ull << (offset % 64));
	pthread_mutex_unlock(&lock);
}

static int run_helper(const char *prog, pid_t pid, unsigned id)
{
	char spid[16], sid[16];
	snprintf(spid, sizeof(spid), "%d", (int)pid);
	snprintf(sid, sizeof(sid), "%u", id);
	char *argv[] = { (char *)prog, spid, sid, sid, (char *)"1", NULL };
	pid_t child;
	/* posix_spawnp: no atfork handlers, and the helper gets our fds only if not O_CLOEXEC
	 * (all of ours are). */
	int r = posix_spawnp(&child, prog, NULL, NULL, argv, environ);
	if (r != 0)
		return -r;
	int status;
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	return -EPERM;
}

int sbx_idrange_newidmap(pid_t pid, uid_t uid, gid_t gid)
{
	int r = run_helper("newuidmap", pid, uid);
	if (r < 0)
		return r;
	return run_helper("newgidmap", pid, gid);
}
