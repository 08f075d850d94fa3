/* SPDX-License-Identifier: MIT */
/* Brokered opens (brokered.h): an unmodified program's own open, openat or creat of a path below
 * a directory grant, answered by the broker with a file it opened below its own handle on the
 * grant's directory, which is not mounted in the sandbox.
 *
 * Why it is safe:
 *  - The path is read once from worker memory (process_vm_readv, NUL-terminated within
 *    PATH_MAX), then SECCOMP_IOCTL_NOTIF_ID_VALID: the copy belongs to this very call. Only the
 *    copy is decided on and opened; a thread rewriting the buffer afterwards changes nothing.
 *  - The copy is made absolute (the cwd of the calling thread, by the name the sandbox shows;
 *    below a grant, checked by inode from the broker's own handle on it) and reduced
 *    lexically ("..", ".", "//"); what lies below a grant's directory is opened exactly as an
 *    OPEN request is (sbx_worker_open: the grant's mode and pattern, openat2() with
 *    RESOLVE_BENEATH | NO_SYMLINKS | NO_MAGICLINKS | NO_XDEV, the quotas), so "..", symlinks and
 *    /proc magic links inside the tree lead nowhere outside it.
 *  - A path below no grant is not brokered: the call continues (SECCOMP_USER_NOTIF_FLAG_CONTINUE)
 *    and the kernel opens it in the sandbox's own view. seccomp_unotify(2) warns that continuing
 *    is no security decision, because the kernel reads the path again and a racing thread may
 *    have changed it. Here nothing depends on that: the broker grants nothing by continuing, the
 *    mounts and Landlock decide what the path reaches, as they would for a call the filter
 *    allowed outright. A path swapped after the broker read it reaches only what the sandbox
 *    shows; the granted directories are not mounted there.
 *  - The fd is installed with SECCOMP_IOCTL_NOTIF_ADDFD + SECCOMP_ADDFD_FLAG_SEND: the call
 *    returns its number, which the kernel picks as open(2) would. */
#include "brokered.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "broker/policy/policy.h"
#include "broker/requests.h"
#include "broker/worker.h"
#include "common/util.h"

/* The kernel's O_LARGEFILE: glibc's is 0 on 64-bit, but a program may pass the bit itself. */
#define O_LARGEFILE_KERNEL 0100000

/* Flags the broker knows how to honour; any other bit is answered EINVAL, unopened. */
#define KNOWN_OFLAGS (O_ACCMODE | O_CREAT | O_TRUNC | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC | O_DIRECTORY | \
		      O_LARGEFILE_KERNEL | SBX_OPEN_EXTRA_OFLAGS)

struct open_call {
	const char *name;  /* "open", "openat", "creat" */
	int dirfd;
	uint64_t path;     /* address in the worker */
	int flags;
	unsigned mode;
};

static void decode_regs(const struct seccomp_notif *req, struct open_call *c)
{
	const uint64_t *a = (const uint64_t *)req->data.args;
	if (req->data.nr == SYS_openat) {
		*c = (struct open_call){ "openat", (int)(uint32_t)a[0], a[1], (int)(uint32_t)a[2], (unsigned)a[3] };
#ifdef SYS_creat
	} else if (req->data.nr == SYS_creat) {
		*c = (struct open_call){ "creat", AT_FDCWD, a[0], O_CREAT | O_WRONLY | O_TRUNC, (unsigned)a[1] };
#endif
	} else {
		*c = (struct open_call){ "open", AT_FDCWD, a[0], (int)(uint32_t)a[1], (unsigned)a[2] };
	}
}

/* Copy the NUL-terminated string at addr, page by page (a string may end just before an
 * unmapped page), then check that the notification is still pending. */
static int read_path(int listener, const struct seccomp_notif *req, uint64_t addr, char *buf, size_t size)
{
	size_t got = 0;
	long page = sysconf(_SC_PAGESIZE);
	while (got < size) {
		uint64_t at = addr + got;
		size_t chunk = (size_t)page - (size_t)(at % (uint64_t)page);
		if (chunk > size - got)
			chunk = size - got;
		struct iovec local = { buf + got, chunk }, remote = { (void *)(uintptr_t)at, chunk };
		ssize_t n = process_vm_readv((pid_t)req->pid, &local, 1, &remote, 1, 0);
		if (n <= 0)
			return n < 0 && errno == ESRCH ? -ENOENT : -EFAULT;
		if (memchr(buf + got, '\0', (size_t)n))
			break;
		got += (size_t)n;
	}
	if (got >= size)
		return -ENAMETOOLONG;
	uint64_t id = req->id;
	return ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) < 0 ? -ENOENT : 0;
}

/* Reduce an absolute path in place: no "//", "." or ".." components, no trailing '/'. ".." at
 * the root stays at the root, as the kernel has it. Lexical, which is what the grant is about:
 * the result is only ever opened below a grant, where a symlink fails the open. */
static void reduce(char *path)
{
	char *out = path; /* the result is "/comp" repeated, written over the input */
	for (const char *c = path + 1; *c;) {
		while (*c == '/')
			c++;
		size_t n = strcspn(c, "/");
		if (n == 2 && c[0] == '.' && c[1] == '.') {
			while (out > path && *--out != '/')
				;
		} else if (n && !(n == 1 && c[0] == '.')) {
			*out++ = '/';
			memmove(out, c, n);
			out += n;
		}
		c += n;
	}
	if (out == path)
		*out++ = '/';
	*out = '\0';
}

/* What path is below dir ("" for dir itself), or NULL. Both are reduced. */
static const char *below(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	if (n == 1)
		return path + 1; /* dir is "/" */
	if (strncmp(path, dir, n) != 0 || (path[n] != '\0' && path[n] != '/'))
		return NULL;
	return path[n] ? path + n + 1 : path + n;
}

/* The innermost directory grant path lies below (*rest: the part below it), or -1. */
static long grant_for(const struct sbx_worker *w, const char *path, const char **rest)
{
	long best = -1;
	size_t best_len = 0;
	for (size_t i = 0; i < w->grants.n; i++) {
		const struct sbx_resource *res = &w->grants.res[i];
		if (res->kind != SBX_RES_DIR || w->grants.fds[i] < 0 || res->target[0] != '/')
			continue;
		char dir[PATH_MAX];
		if (snprintf(dir, sizeof(dir), "%s", res->target) >= (int)sizeof(dir))
			continue;
		reduce(dir);
		const char *r = below(path, dir);
		if (r && (best < 0 || strlen(dir) > best_len)) {
			best = (long)i;
			best_len = strlen(dir);
			*rest = r;
		}
	}
	return best;
}

/* The identity of the directory fd holds, from what the inode cache has: AT_STATX_DONT_SYNC,
 * so that a network or FUSE filesystem is never asked and cannot make the broker wait. */
static int dir_id(int fd, struct statx *id)
{
	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_TYPE | STATX_INO, id) < 0)
		return -errno;
	return S_ISDIR(id->stx_mode) ? 0 : -ENOTDIR;
}

static bool same_dir(int fd, const struct statx *want)
{
	struct statx id;
	return dir_id(fd, &id) == 0 && id.stx_ino == want->stx_ino && id.stx_dev_major == want->stx_dev_major &&
	       id.stx_dev_minor == want->stx_dev_minor;
}

/* Is the directory `cwd` (its name `name`) the grant g's directory or one below it? Decided
 * from the broker's own handle on the grant, never from a host path: below it, the directory
 * the name gives is reached with openat2() and RESOLVE_BENEATH | NO_SYMLINKS | NO_MAGICLINKS |
 * NO_XDEV, so nothing outside the grant's tree (another mount, an automount) is looked up. */
static bool cwd_in_grant(const struct sbx_worker *w, long g, const char *rest, const struct statx *cwd)
{
	if (same_dir(w->grants.fds[g], cwd))
		return true;
	if (!*rest)
		return false;
	struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV };
	_cleanup_close_ int fd = (int)syscall(SYS_openat2, w->grants.fds[g], rest, &how, sizeof(how));
	return fd >= 0 && same_dir(fd, cwd);
}

/* The calling thread's working directory by the name the sandbox shows, into buf, or -ENOENT
 * when the broker cannot name it. No host path the worker chose is ever resolved (a FUSE mount
 * or a hung NFS path at that name would block the broker): /proc/TID/cwd opened with O_PATH is
 * the thread's own directory object (a magic link, no lookup), and its name is what readlink
 * gives for that very object, the path in the sandbox's view.
 *  - Its name below a directory grant (or the directory being a grant's): it must be that
 *    grant's directory or one below it, by (dev, ino), reached from the broker's own handle on
 *    the grant (cwd_in_grant). A directory the worker made under that name in its own /tmp is
 *    not, and its relative opens are not brokered: they stay the worker's own.
 *  - Any other name: a directory the sandbox shows (the grants are not mounted there). Joining
 *    a relative path to it names what the program could name with an absolute path, so the
 *    grants decide as they would for that. */
static int thread_cwd(const struct sbx_worker *w, int listener, const struct seccomp_notif *req, char *buf,
		      size_t size)
{
	char link[64];
	snprintf(link, sizeof(link), "/proc/%u/cwd", req->pid);
	_cleanup_close_ int cwd = open(link, O_PATH | O_DIRECTORY | O_CLOEXEC);
	uint64_t id = req->id;
	/* Still pending after the open: the thread, not a reuse of its id, holds that directory. */
	if (cwd < 0 || ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) < 0)
		return -ENOENT;
	struct statx cwd_id;
	if (dir_id(cwd, &cwd_id) < 0)
		return -ENOENT;
	for (size_t i = 0; i < w->grants.n; i++) {
		const struct sbx_resource *res = &w->grants.res[i];
		if (res->kind == SBX_RES_DIR && w->grants.fds[i] >= 0 && res->target[0] == '/' &&
		    strlen(res->target) < size && same_dir(w->grants.fds[i], &cwd_id)) {
			snprintf(buf, size, "%s", res->target);
			reduce(buf);
			return 0;
		}
	}
	/* The name of the object held, not of /proc/TID/cwd again: another thread may chdir. */
	snprintf(link, sizeof(link), "/proc/self/fd/%d", cwd);
	ssize_t n = readlink(link, buf, size - 1);
	if (n <= 0 || (size_t)n >= size - 1 || buf[0] != '/')
		return -ENOENT;
	buf[n] = '\0';
	const char *rest = NULL;
	long g = grant_for(w, buf, &rest);
	return g < 0 || cwd_in_grant(w, g, rest, &cwd_id) ? 0 : -ENOENT;
}

static void flags_text(int flags, char *buf, size_t len)
{
	static const struct { int bit; const char *name; } names[] = {
		{ O_CREAT, "O_CREAT" }, { O_EXCL, "O_EXCL" }, { O_TRUNC, "O_TRUNC" }, { O_APPEND, "O_APPEND" },
		{ O_NONBLOCK, "O_NONBLOCK" }, { O_DIRECTORY, "O_DIRECTORY" }, { O_NOFOLLOW, "O_NOFOLLOW" },
		{ O_CLOEXEC, "O_CLOEXEC" }, { O_NOCTTY, "O_NOCTTY" }, { O_PATH, "O_PATH" },
	};
	int acc = flags & O_ACCMODE;
	snprintf(buf, len, "%s", acc == O_RDONLY ? "O_RDONLY" : acc == O_WRONLY ? "O_WRONLY" : acc == O_RDWR ? "O_RDWR" : "3");
	for (size_t i = 0; i < SBX_ARRAY_SIZE(names); i++)
		if ((flags & names[i].bit) == names[i].bit && names[i].bit != O_PATH)
			snprintf(buf + strlen(buf), len - strlen(buf), "|%s", names[i].name);
	if ((flags & O_PATH) == O_PATH)
		snprintf(buf + strlen(buf), len - strlen(buf), "|O_PATH");
}

/* The request the grant decides on: the access as SBX_OPEN_* bits, the path below the grant. */
static int to_request(const struct sbx_resource *res, const char *rest, const struct open_call *c,
		      struct sbx_req_open *o)
{
	memset(o, 0, sizeof(*o));
	if ((c->flags & ~KNOWN_OFLAGS) || (c->flags & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;
	if (strlen(rest) >= sizeof(o->path))
		return -ENAMETOOLONG;
	sbx_strlcpy(o->dir, res->name, sizeof(o->dir));
	sbx_strlcpy(o->path, rest, sizeof(o->path));
	int acc = c->flags & O_ACCMODE;
	o->flags = (acc == O_RDONLY ? SBX_OPEN_READ : acc == O_WRONLY ? SBX_OPEN_WRITE : SBX_OPEN_READ | SBX_OPEN_WRITE) |
		   (c->flags & O_CREAT ? SBX_OPEN_CREATE : 0) | (c->flags & O_TRUNC ? SBX_OPEN_TRUNC : 0) |
		   (c->flags & O_DIRECTORY ? SBX_OPEN_DIRECTORY : 0);
	o->mode = c->mode & 07777;
	return 0;
}

/* The grant that would allow what was refused: its mode with the letters the call needs, its
 * pattern if the path matched it, else the path itself. */
static void would_allow(const struct sbx_resource *res, const struct sbx_req_open *o, char *buf, size_t len)
{
	unsigned want = res->flags | (o->flags & (SBX_OPEN_READ | SBX_OPEN_WRITE | SBX_OPEN_CREATE));
	if (o->flags & SBX_OPEN_TRUNC)
		want |= SBX_OPEN_WRITE;
	const char *pattern = res->pattern ? res->pattern : "*";
	if (fnmatch(pattern, o->path, FNM_PATHNAME | FNM_PERIOD) != 0)
		pattern = o->path;
	snprintf(buf, len, "--dir %s=%.200s:%s%s%s:%.200s", res->name, res->target, want & SBX_ACCESS_READ ? "r" : "",
		 want & SBX_ACCESS_WRITE ? "w" : "", want & SBX_ACCESS_CREATE ? "c" : "", pattern);
}

bool sbx_brokered_open_match(struct sbx_worker *w, const struct seccomp_notif *req, char *rule, size_t len)
{
	/* The default filter built with directory grants (filter.c) came without a parse: the
	 * default policy is parsed at the first open it sends here, the text it was built from.
	 * Without it nothing is brokered (the open goes on in the sandbox's own view). */
	if (!w->policy && sbx_policy_default(&w->owned_policy, NULL) == 0)
		w->policy = w->owned_policy;
	return sbx_policy_brokers(w->policy, sbx_grants_kinds(&w->grants), req->data.arch, req->data.nr,
				  (const uint64_t *)req->data.args, rule, len);
}

/* Not brokered: the kernel opens it in the sandbox's own view (see the top of this file). */
static void go_on(struct sbx_worker *w, int listener)
{
	if (sbx_notify_continue(&w->listener.n, listener) < 0)
		sbx_worker_kill(w);
}

/* The path the call names, absolute and reduced, into abs; false when the broker cannot tell
 * (relative to a descriptor, or to a working directory it cannot name): not brokered. */
static bool absolute_path(const struct sbx_worker *w, int listener, const struct seccomp_notif *req,
			  const struct open_call *c, const char *path, char *abs, size_t size)
{
	if (path[0] == '/') {
		snprintf(abs, size, "%s", path);
	} else {
		/* Relative to a descriptor the worker holds: the kernel resolves it against that
		 * descriptor, which reaches only what the sandbox shows or a grant handed over. */
		if (c->dirfd != AT_FDCWD)
			return false;
		char cwd[PATH_MAX];
		if (thread_cwd(w, listener, req, cwd, sizeof(cwd)) < 0)
			return false;
		if (snprintf(abs, size, "%s/%s", cwd, path) >= (int)size)
			return false;
	}
	reduce(abs);
	return true;
}

static void call_text(const struct open_call *c, const char *path, char *buf, size_t len)
{
	char fl[160], dir[16] = "";
	flags_text(c->flags, fl, sizeof(fl));
	if (c->dirfd == AT_FDCWD && strcmp(c->name, "openat") == 0)
		snprintf(dir, sizeof(dir), "AT_FDCWD, ");
	else if (strcmp(c->name, "openat") == 0)
		snprintf(dir, sizeof(dir), "%d, ", c->dirfd);
	if (c->flags & O_CREAT)
		snprintf(buf, len, "%s(%s\"%.300s\", %s, 0%o)", c->name, dir, path, fl, c->mode & 07777);
	else
		snprintf(buf, len, "%s(%s\"%.300s\", %s)", c->name, dir, path, fl);
}

void sbx_brokered_open_answer(struct sbx_worker *w, int listener, const struct seccomp_notif *req, const char *rule)
{
	struct open_call c;
	decode_regs(req, &c);
	char path[PATH_MAX], abs[PATH_MAX + PATH_MAX / 2];
	int r = read_path(listener, req, c.path, path, sizeof(path));
	if (r == -ENOENT)
		return; /* the task is gone */
	/* Unreadable or too long: the kernel answers EFAULT or ENAMETOOLONG itself. */
	if (r < 0 || !absolute_path(w, listener, req, &c, path, abs, sizeof(abs)))
		return go_on(w, listener);
	const char *rest = NULL;
	long g = grant_for(w, abs, &rest);
	if (g < 0)
		return go_on(w, listener);
	const struct sbx_resource *res = &w->grants.res[g];
	char call[512], why[600], grant[600];
	call_text(&c, path, call, sizeof(call));
	struct sbx_req_open o;
	bool by_grant = false;
	int fd = (c.flags & (O_PATH | __O_TMPFILE)) ? -EACCES : to_request(res, rest, &c, &o);
	if (fd < 0) {
		snprintf(why, sizeof(why), "%s; grant %s: %s", rule, res->name,
			 fd == -EACCES ? "O_PATH and O_TMPFILE are not brokered" : "flags the broker does not answer");
	} else {
		char decided[300];
		fd = sbx_worker_open(w, &o, c.flags & SBX_OPEN_EXTRA_OFLAGS, decided, sizeof(decided), &by_grant);
		snprintf(why, sizeof(why), "%s; %s", rule, decided);
	}
	if (fd == -EACCES && by_grant) {
		would_allow(res, &o, grant, sizeof(grant));
		return sbx_brokered_refuse(w, c.name, call, grant, why);
	}
	if (fd < 0) {
		sbx_worker_audit(w, c.name, call, false, -fd, why);
		return sbx_brokered_reply(w, listener, req, 0, -fd);
	}
	_cleanup_close_ int owned = fd;
	struct seccomp_notif_addfd add = { .id = req->id, .flags = SECCOMP_ADDFD_FLAG_SEND, .srcfd = (uint32_t)fd,
					   .newfd_flags = (c.flags & O_CLOEXEC) ? O_CLOEXEC : 0 };
	/* With _SEND the installation is the answer: the call returns the new number. */
	int target = ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
	if (target < 0) {
		int e = errno;
		sbx_worker_audit(w, c.name, call, false, e, why);
		if (e != ENOENT)
			sbx_brokered_reply(w, listener, req, 0, e);
		return;
	}
	w->req.n_granted++;
	snprintf(call + strlen(call), sizeof(call) - strlen(call), " = fd %d", target);
	sbx_worker_audit(w, c.name, call, true, 0, why);
}
