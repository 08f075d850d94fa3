/* SPDX-License-Identifier: MIT */
/* sbx_fs_plan_build() and sbx_fs_plan_landlock() (broker/mountplan.c): the worker's filesystem
 * as a plan, compared entry by entry with what docs/sandbox.md describes, on this machine (its
 * top-level directories are links into /usr or directories of their own). The caller's paths
 * live in a directory this test makes under /tmp and removes:
 *
 *   TOP/ro/         TOP/rw/         TOP/file        TOP/link -> ro
 *   TOP/root -> /   TOP/dangling -> nowhere
 *
 * The expectations are written out here, so that a change to the plan shows. TAP. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/idmap.h"
#include "broker/mountplan.h"
#include "common/protocol.h"
#include "common/util.h"
#include "tests/tap.h"

/* Short, so that no path built from them can be cut. */
static char top[64], canon_top[128];

static void die(const char *what)
{
	printf("Bail out! %s: %m\n", what);
	exit(1);
}

/* TOP/name, in a buffer that lives until the next call with the same slot. */
static const char *at(int slot, const char *name)
{
	static char buf[4][PATH_MAX];
	snprintf(buf[slot], sizeof(buf[slot]), "%s/%s", top, name);
	return buf[slot];
}

static void remove_tree(void);

static void build_tree(void)
{
	strcpy(top, "/tmp/sbx-test-mountplan.XXXXXX");
	if (!mkdtemp(top))
		die("mkdtemp");
	char *canon = realpath(top, NULL); /* /tmp may be a link itself */
	if (!canon || strlen(canon) >= sizeof(canon_top))
		die("realpath");
	strcpy(canon_top, canon);
	free(canon);
	int fd;
	if (mkdir(at(0, "ro"), 0755) < 0 || mkdir(at(0, "rw"), 0755) < 0 ||
	    (fd = open(at(0, "file"), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0 || close(fd) < 0 ||
	    symlink("ro", at(0, "link")) < 0 || symlink("/", at(0, "root")) < 0 ||
	    symlink("nowhere", at(0, "dangling")) < 0)
		die(top);
	atexit(remove_tree); /* a bail-out too leaves nothing behind */
}

static void remove_tree(void)
{
	static const char *const names[] = { "ro", "rw", "file", "link", "root", "dangling", "in", "out", "both" };
	for (size_t i = 0; i < SBX_ARRAY_SIZE(names); i++)
		if (remove(at(0, names[i])) < 0 && errno != ENOENT)
			tap_diag("cannot remove %s: %m", at(0, names[i]));
	if (rmdir(top) < 0)
		tap_diag("cannot remove %s: %m", top);
}

/* ---- the expected mounts ---- */

static struct sbx_mount_entry want[SBX_MOUNT_MAX];
static size_t n_want;
static struct {
	const char *path;
	char *target;
} links[8]; /* symlink targets read for want[], each once */
static size_t n_links;

static void want_add(enum sbx_mount_op op, const char *path, const char *source, uint64_t size, unsigned mode,
		     bool optional)
{
	if (n_want < SBX_ARRAY_SIZE(want))
		want[n_want++] = (struct sbx_mount_entry){ op, path, source, size, mode, optional, false, -1 };
}

static const char *link_target(const char *path)
{
	for (size_t i = 0; i < n_links; i++)
		if (strcmp(links[i].path, path) == 0)
			return links[i].target;
	char buf[PATH_MAX];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);
	if (n <= 0 || n_links >= SBX_ARRAY_SIZE(links))
		die(path);
	buf[n] = '\0';
	links[n_links].path = path;
	return links[n_links++].target = strdup(buf);
}

/* docs/sandbox.md, "The filesystem": the fixed part of every worker's root. */
static void want_fixed(const char *passwd, const char *group, bool have_tty)
{
	static const char *const tops[] = { "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32" };
	n_want = 0;
	want_add(SBX_MNT_BIND_RO, "/usr", "/usr", 0, 0, false);
	for (size_t i = 0; i < SBX_ARRAY_SIZE(tops); i++) {
		struct stat st;
		if (lstat(tops[i], &st) < 0)
			continue;
		if (S_ISLNK(st.st_mode))
			want_add(SBX_MNT_SYMLINK, tops[i], link_target(tops[i]), 0, 0, false);
		else if (S_ISDIR(st.st_mode))
			want_add(SBX_MNT_BIND_RO, tops[i], tops[i], 0, 0, true);
	}
	want_add(SBX_MNT_BIND_RO, "/etc/ld.so.cache", "/etc/ld.so.cache", 0, 0, true);
	want_add(SBX_MNT_BIND_RO, "/etc/nsswitch.conf", "/etc/nsswitch.conf", 0, 0, true);
	want_add(SBX_MNT_BIND_RO, "/etc/alternatives", "/etc/alternatives", 0, 0, true);
	want_add(SBX_MNT_FILE, "/etc/passwd", passwd, 0, 0, false);
	want_add(SBX_MNT_FILE, "/etc/group", group, 0, 0, false);
	want_add(SBX_MNT_FILE, "/etc/hosts", "127.0.0.1 localhost sbx\n::1 localhost\n", 0, 0, false);
	want_add(SBX_MNT_FILE, "/etc/hostname", "sbx\n", 0, 0, false);
	/* The zone file itself, bound read-only (no symlink hop on every localtime()). Resolved
	 * once: want[] keeps the pointer, and every test calls this again. */
	static char *zone;
	if (!zone)
		zone = realpath("/etc/localtime", NULL);
	if (zone)
		want_add(SBX_MNT_BIND_RO, "/etc/localtime", zone, 0, 0, true);
	want_add(SBX_MNT_PROC, "/proc", NULL, 0, 0, false);
	want_add(SBX_MNT_DIR, "/dev", NULL, 0, 0, false);
	want_add(SBX_MNT_DEV, "/dev/null", "/dev/null", 0, 0, false);
	want_add(SBX_MNT_DEV, "/dev/zero", "/dev/zero", 0, 0, false);
	want_add(SBX_MNT_DEV, "/dev/full", "/dev/full", 0, 0, false);
	want_add(SBX_MNT_DEV, "/dev/random", "/dev/random", 0, 0, false);
	want_add(SBX_MNT_DEV, "/dev/urandom", "/dev/urandom", 0, 0, false);
	if (have_tty)
		want_add(SBX_MNT_DEV, "/dev/tty", "/dev/tty", 0, 0, true);
	want_add(SBX_MNT_SYMLINK, "/dev/fd", "/proc/self/fd", 0, 0, false);
	want_add(SBX_MNT_SYMLINK, "/dev/stdin", "/proc/self/fd/0", 0, 0, false);
	want_add(SBX_MNT_SYMLINK, "/dev/stdout", "/proc/self/fd/1", 0, 0, false);
	want_add(SBX_MNT_SYMLINK, "/dev/stderr", "/proc/self/fd/2", 0, 0, false);
	want_add(SBX_MNT_TMPFS, "/dev/shm", NULL, 64ULL << 20, 01777, false);
	want[n_want - 1].noexec = true;
	want_add(SBX_MNT_TMPFS, "/tmp", NULL, 64ULL << 20, 01777, false);
}

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool plan_is(const struct sbx_fs_plan *fs)
{
	for (size_t i = 0; i < fs->n && i < n_want; i++) {
		const struct sbx_mount_entry *g = &fs->entries[i], *w = &want[i];
		if (g->op != w->op || !str_eq(g->path, w->path) || !str_eq(g->source, w->source) || g->size != w->size ||
		    g->mode != w->mode || g->optional != w->optional || g->noexec != w->noexec) {
			tap_diag("entry %zu: op %d %s <- %s size %llu mode %#o%s", i, (int)g->op, g->path,
				 g->source ? g->source : "(null)", (unsigned long long)g->size, g->mode,
				 g->optional ? " optional" : "");
			tap_diag("    want: op %d %s <- %s size %llu mode %#o%s", (int)w->op, w->path,
				 w->source ? w->source : "(null)", (unsigned long long)w->size, w->mode,
				 w->optional ? " optional" : "");
			return false;
		}
	}
	if (fs->n != n_want) {
		tap_diag("%zu entries, want %zu", fs->n, n_want);
		return false;
	}
	return true;
}

/* A config holding the given caller paths (NULL-terminated; a leading '+' means --rw). */
static struct sbx_config *config_of(const char *const *paths)
{
	struct sbx_config *cfg = NULL;
	if (sbx_config_new(&cfg) < 0)
		die("sbx_config_new");
	for (size_t i = 0; paths && paths[i]; i++)
		if (sbx_config_add_path(cfg, paths[i] + (paths[i][0] == '+'), paths[i][0] == '+') < 0)
			die(paths[i]);
	return cfg;
}

/* Build a plan (fs zeroed first, as its owner does); returns the result, err filled. */
static int build(struct sbx_fs_plan *fs, const char *const *paths, uid_t uid, gid_t gid, bool have_tty,
		 struct sbx_error *err)
{
	struct sbx_config *cfg = config_of(paths);
	memset(fs, 0, sizeof(*fs));
	sbx_error_free(err); /* the previous case's message */
	int r = sbx_fs_plan_build(fs, cfg, NULL, uid, gid, have_tty, err);
	sbx_config_free(cfg);
	return r;
}

#define PASSWD_ROOT "root:x:0:0:root:/tmp:/bin/sh\n"

static void fixed_entries(void)
{
	static struct sbx_fs_plan fs;
	struct sbx_error err = SBX_ERROR_INIT;
	int r = build(&fs, NULL, 1000, 1001, false, &err);
	want_fixed(PASSWD_ROOT "sbx:x:1000:1001:sbx worker:/tmp:/bin/sh\n"
			       "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
		   "root:x:0:\nsbx:x:1001:\nnogroup:x:65534:\n", false);
	tap_ok(r == 0 && plan_is(&fs), "uid 1000, gid 1001, no tty: the fixed root in order, passwd and group name them");
	sbx_fs_plan_free(&fs);

	r = build(&fs, NULL, 65534, 65534, true, &err);
	want_fixed(PASSWD_ROOT "nobody:x:65534:65534:nobody:/tmp:/usr/sbin/nologin\n", "root:x:0:\nnogroup:x:65534:\n",
		   true);
	tap_ok(r == 0 && plan_is(&fs), "uid/gid 65534 with a tty: nobody's home is /tmp, no sbx entries, /dev/tty optional");
	sbx_fs_plan_free(&fs);

	/* Each half of the 65534 case on its own. */
	r = build(&fs, NULL, 65534, 100, false, &err);
	want_fixed(PASSWD_ROOT "nobody:x:65534:65534:nobody:/tmp:/usr/sbin/nologin\n",
		   "root:x:0:\nsbx:x:100:\nnogroup:x:65534:\n", false);
	tap_ok(r == 0 && plan_is(&fs), "uid 65534, gid 100: nobody in passwd, sbx in group");
	sbx_fs_plan_free(&fs);
	r = build(&fs, NULL, 1000, 65534, false, &err);
	want_fixed(PASSWD_ROOT "sbx:x:1000:65534:sbx worker:/tmp:/bin/sh\n"
			       "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
		   "root:x:0:\nnogroup:x:65534:\n", false);
	tap_ok(r == 0 && plan_is(&fs), "uid 1000, gid 65534: sbx in passwd, only nogroup in group");
	sbx_fs_plan_free(&fs);
}

static void caller_paths(void)
{
	static struct sbx_fs_plan fs;
	struct sbx_error err = SBX_ERROR_INIT;
	char ro[256], rw[256], rw_dirty[256];
	snprintf(ro, sizeof(ro), "%s/ro", canon_top);
	snprintf(rw, sizeof(rw), "%s/rw", canon_top);
	/* Writable twice is no conflict; the same path read-only and writable is (conflicts()). */
	snprintf(rw_dirty, sizeof(rw_dirty), "+%s//ro/./../rw/", top);
	char plus_rw[PATH_MAX + 1];
	snprintf(plus_rw, sizeof(plus_rw), "+%s", at(1, "rw"));
	const char *const paths[] = { at(0, "ro"), plus_rw, at(2, "link"), rw_dirty, at(3, "file"), NULL };
	int r = build(&fs, paths, 1000, 1000, false, &err);
	want_fixed(PASSWD_ROOT "sbx:x:1000:1000:sbx worker:/tmp:/bin/sh\n"
			       "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
		   "root:x:0:\nsbx:x:1000:\nnogroup:x:65534:\n", false);
	char file[256];
	snprintf(file, sizeof(file), "%s/file", canon_top);
	want_add(SBX_MNT_BIND_RO, ro, ro, 0, 0, false);
	want_add(SBX_MNT_BIND_RW, rw, rw, 0, 0, false);
	want_add(SBX_MNT_BIND_RO, ro, ro, 0, 0, false); /* link -> ro */
	want_add(SBX_MNT_BIND_RW, rw, rw, 0, 0, false); /* //ro/./../rw/ */
	want_add(SBX_MNT_BIND_RO, file, file, 0, 0, false);
	tap_ok(r == 0 && plan_is(&fs), "caller paths after /tmp in their order, canonical, a symlink resolved");
	sbx_fs_plan_free(&fs);
}

static void refused_paths(void)
{
	static struct sbx_fs_plan fs;
	struct sbx_error err = SBX_ERROR_INIT;
	char plus[PATH_MAX + 1], dotdot[PATH_MAX], below_file[PATH_MAX], want_msg[PATH_MAX + 128];
	struct {
		const char *path;  /* '+': --rw */
		int code;
		const char *message; /* NULL: "--ro|--rw PATH: strerror" */
		const char *name;
	} cases[] = {
		{ "/", -EINVAL, "--ro /: refusing to expose the whole host filesystem", "--ro / refused" },
		{ "+/", -EINVAL, "--rw /: refusing to expose the whole host filesystem", "--rw / refused" },
		{ "/usr/..", -EINVAL, "--ro /: refusing to expose the whole host filesystem", "--ro /usr/.. refused as /" },
		{ at(0, "root"), -EINVAL, "--ro /: refusing to expose the whole host filesystem",
		  "--ro of a symlink to / refused" },
		{ at(1, "missing"), -ENOENT, NULL, "--ro of a missing path names --ro and the path" },
		{ plus, -ENOENT, NULL, "--rw of a missing path names --rw and the path" },
		{ at(2, "dangling"), -ENOENT, NULL, "--ro of a dangling symlink" },
		{ below_file, -ENOTDIR, NULL, "--ro of a path below a file" },
		{ dotdot, -ENOENT, NULL, "--ro missing/..: a missing component is not skipped" },
	};
	snprintf(plus, sizeof(plus), "+%s/missing", top);
	snprintf(below_file, sizeof(below_file), "%s/file/x", top);
	snprintf(dotdot, sizeof(dotdot), "%s/missing/../ro", top);
	for (size_t i = 0; i < SBX_ARRAY_SIZE(cases); i++) {
		/* A good path first: the refusal does not depend on being alone. */
		const char *const paths[] = { at(3, "ro"), cases[i].path, NULL };
		int r = build(&fs, paths, 1000, 1000, false, &err);
		bool rw = cases[i].path[0] == '+';
		if (cases[i].message)
			snprintf(want_msg, sizeof(want_msg), "%s", cases[i].message);
		else
			snprintf(want_msg, sizeof(want_msg), "%s %s: %s", rw ? "--rw" : "--ro", cases[i].path + rw,
				 strerror(-cases[i].code));
		bool ok = r == cases[i].code && err.code == cases[i].code && strcmp(err.message, want_msg) == 0;
		if (!ok)
			tap_diag("got %d, err %d \"%s\"; want %d \"%s\"", r, err.code, err.message, cases[i].code, want_msg);
		tap_ok(ok, "%s", cases[i].name);
		sbx_fs_plan_free(&fs);
	}
	sbx_error_free(&err); /* the last case's message */
}

/* The same path read-only and writable is refused, however it is spelled and in either order;
 * a path below another is no conflict. */
static void conflicts(void)
{
	static struct sbx_fs_plan fs;
	struct sbx_error err = SBX_ERROR_INIT;
	char plus_ro[PATH_MAX + 1], plus_dirty[PATH_MAX + 1], plus_below[PATH_MAX + 1], want_msg[3 * PATH_MAX];
	snprintf(plus_ro, sizeof(plus_ro), "+%s/ro", top);
	snprintf(plus_dirty, sizeof(plus_dirty), "+%s//rw/./../ro/", top);
	snprintf(plus_below, sizeof(plus_below), "+%s/ro", top);
	const char *const same[] = { at(0, "ro"), plus_ro, NULL };
	int r = build(&fs, same, 1000, 1000, false, &err);
	snprintf(want_msg, sizeof(want_msg), "--ro %s/ro and --rw %s/ro: %s/ro cannot be both read-only and writable; "
					      "give it once", top, top, canon_top);
	tap_ok(r == -EINVAL && err.code == -EINVAL && strcmp(err.message, want_msg) == 0,
	       "--ro X --rw X refused, naming both options");
	if (strcmp(err.message, want_msg) != 0)
		tap_diag("got \"%s\"\nwant \"%s\"", err.message, want_msg);
	sbx_fs_plan_free(&fs);

	const char *const reversed[] = { plus_dirty, at(1, "link"), NULL };
	r = build(&fs, reversed, 1000, 1000, false, &err);
	tap_ok(r == -EINVAL && strstr(err.message, "cannot be both read-only and writable"),
	       "--rw X --ro SYMLINK-TO-X refused: canonical paths are compared");
	sbx_fs_plan_free(&fs);

	const char *const nested[] = { top, plus_below, NULL };
	r = build(&fs, nested, 1000, 1000, false, &err);
	tap_ok(r == 0, "--ro DIR --rw DIR/SUB is no conflict");
	sbx_fs_plan_free(&fs);
}

/* Which host paths the sandbox shows at the same place: the working directory's rule. */
static void shown_paths(void)
{
	static struct sbx_fs_plan fs;
	struct sbx_error err = SBX_ERROR_INIT;
	char ro[256], below[256], sibling[256];
	snprintf(ro, sizeof(ro), "%s/ro", canon_top);
	snprintf(below, sizeof(below), "%s/ro/a/b", canon_top);
	snprintf(sibling, sizeof(sibling), "%s/rox", canon_top);
	const char *const paths[] = { at(0, "ro"), NULL };
	if (build(&fs, paths, 1000, 1000, false, &err) < 0)
		die(err.message);
	tap_ok(sbx_fs_plan_shows(&fs, ro) && sbx_fs_plan_shows(&fs, below), "a --ro path and below it are shown");
	tap_ok(!sbx_fs_plan_shows(&fs, sibling) && !sbx_fs_plan_shows(&fs, canon_top),
	       "its parent and a sibling with the same prefix are not");
	tap_ok(sbx_fs_plan_shows(&fs, "/usr") && sbx_fs_plan_shows(&fs, "/usr/share"), "/usr is shown");
	tap_ok(!sbx_fs_plan_shows(&fs, "/") && !sbx_fs_plan_shows(&fs, "/tmp") && !sbx_fs_plan_shows(&fs, "/tmp/x") &&
		       !sbx_fs_plan_shows(&fs, "/proc/1") && !sbx_fs_plan_shows(&fs, "/dev/shm") &&
		       !sbx_fs_plan_shows(&fs, "/etc") && !sbx_fs_plan_shows(&fs, "relative"),
	       "the root, /tmp, /proc, /dev/shm, /etc and a relative path are not");
	sbx_fs_plan_free(&fs);
}

/* ---- Landlock ---- */

static bool rules_are(const struct sbx_fs_plan *fs, const struct sbx_ll_rule *w, size_t n)
{
	for (size_t i = 0; i < fs->n_ll && i < n; i++) {
		const struct sbx_ll_rule *g = &fs->ll[i];
		if (!str_eq(g->path, w[i].path) || g->fd != w[i].fd || g->cls != w[i].cls) {
			tap_diag("rule %zu: %s fd %d class %d; want %s fd %d class %d", i, g->path ? g->path : "(fd)", g->fd,
				 (int)g->cls, w[i].path ? w[i].path : "(fd)", w[i].fd, (int)w[i].cls);
			return false;
		}
	}
	if (fs->n_ll != n) {
		tap_diag("%zu rules, want %zu", fs->n_ll, n);
		return false;
	}
	return true;
}

/* Run sbx_fs_plan_landlock with stdin read-only, stdout write-only and stderr read-write: the
 * plan must not follow them (the broker's stdio is not the job's; each stdio rule is judged
 * inside, from the fd the program holds: SBX_LL_AS_FD); the test's own stdio is back before
 * anything is printed. */
static void landlock_with_stdio(struct sbx_fs_plan *fs, const struct sbx_fd_slot *slots, const int *slot_grant,
				size_t n_slots, const struct sbx_grants *g)
{
	static const char *const names[3] = { "in", "out", "both" };
	static const int modes[3] = { O_RDONLY, O_WRONLY, O_RDWR };
	int saved[3];
	fflush(stdout);
	fflush(stderr);
	for (int fd = 0; fd < 3; fd++) {
		int f = open(at(0, names[fd]), modes[fd] | O_CREAT | O_CLOEXEC, 0644);
		saved[fd] = fcntl(fd, F_DUPFD_CLOEXEC, 10);
		if (f < 0 || saved[fd] < 0 || dup2(f, fd) < 0)
			die("stdio");
		close(f);
	}
	sbx_fs_plan_landlock(fs, slots, slot_grant, n_slots, g);
	for (int fd = 0; fd < 3; fd++) {
		if (dup2(saved[fd], fd) < 0)
			die("stdio back");
		close(saved[fd]);
	}
}

static void landlock_rules(void)
{
	static struct sbx_fs_plan fs;
	struct sbx_error err = SBX_ERROR_INIT;
	char rw[256], plus_rw[PATH_MAX + 1];
	snprintf(rw, sizeof(rw), "%s/rw", canon_top);
	snprintf(plus_rw, sizeof(plus_rw), "+%s", at(1, "rw"));
	const char *const paths[] = { at(0, "ro"), plus_rw, NULL };
	if (build(&fs, paths, 1000, 1000, false, &err) < 0)
		die(err.message);

	/* Grants by hand, and slots that point at them out of order. */
	struct sbx_resource res[] = {
		{ .kind = SBX_RES_FILE, .name = "R", .flags = SBX_ACCESS_READ },
		{ .kind = SBX_RES_FILE, .name = "W", .flags = SBX_ACCESS_WRITE },
		{ .kind = SBX_RES_FILE, .name = "RW", .flags = SBX_ACCESS_READ | SBX_ACCESS_WRITE },
		{ .kind = SBX_RES_FILE, .name = "C", .flags = SBX_ACCESS_CREATE },
		{ .kind = SBX_RES_FILE, .name = "RT", .flags = SBX_ACCESS_READ | SBX_ACCESS_TRUNC },
		{ .kind = SBX_RES_DIR, .name = "DR", .flags = SBX_ACCESS_READ },
		{ .kind = SBX_RES_DIR, .name = "DRW", .flags = SBX_ACCESS_READ | SBX_ACCESS_WRITE },
		{ .kind = SBX_RES_DIR, .name = "DC", .flags = SBX_ACCESS_READ | SBX_ACCESS_CREATE },
		{ .kind = SBX_RES_CAPTURE, .name = "CAP" },
		{ .kind = SBX_RES_CONNECT, .name = "SOCK" },
		{ .kind = SBX_RES_FD, .name = "FD" },
	};
	struct sbx_grants g = { .res = res, .n = SBX_ARRAY_SIZE(res) };
	/* slot i (fd 3 + i) holds grant slot_grant[i]; -1 is the request channel. */
	static const int slot_grant[] = { 10, -1, 7, 6, 5, 4, 3, 2, 1, 0, 8, 9 };
	struct sbx_fd_slot slots[SBX_ARRAY_SIZE(slot_grant)];
	for (size_t i = 0; i < SBX_ARRAY_SIZE(slots); i++)
		slots[i] = (struct sbx_fd_slot){ .fd = -1, .target = 3 + (int)i };

#define TREE_RULES                                                                                   \
	{ "/", -1, SBX_LL_RO }, { "/dev", -1, SBX_LL_DEV }, { "/proc", -1, SBX_LL_PROC }, { "/tmp", -1, SBX_LL_RW }, \
		{ "/dev/shm", -1, SBX_LL_RW }
#define FD_RULES                                                                                     \
	{ NULL, SBX_PROGRAM_FD, SBX_LL_EXEC }, { NULL, 0, SBX_LL_AS_FD }, { NULL, 1, SBX_LL_AS_FD }, \
		{ NULL, 2, SBX_LL_AS_FD }
	landlock_with_stdio(&fs, NULL, NULL, 0, &g);
	const struct sbx_ll_rule with_rw[] = { TREE_RULES, { rw, -1, SBX_LL_RW }, FD_RULES };
	tap_ok(rules_are(&fs, with_rw, SBX_ARRAY_SIZE(with_rw)), "a --rw path is writable below it, a --ro path adds no rule");

	static struct sbx_fs_plan bare;
	if (build(&bare, NULL, 1000, 1000, false, &err) < 0)
		die(err.message);
	landlock_with_stdio(&bare, NULL, NULL, 0, &g);
	const struct sbx_ll_rule fixed[] = { TREE_RULES, FD_RULES };
	tap_ok(rules_are(&bare, fixed, SBX_ARRAY_SIZE(fixed)),
	       "no grants, no writable path: the tree, /dev, /proc, /tmp, the program, stdio as the program holds it");
	sbx_fs_plan_free(&bare);

	const struct sbx_ll_rule full[] = {
		TREE_RULES,
		{ rw, -1, SBX_LL_RW },
		FD_RULES,
		/* fd 3: FD, 4: the request channel: no rule */
		{ NULL, 5, SBX_LL_RW },     /* DC: creating is writing */
		{ NULL, 6, SBX_LL_RW },     /* DRW */
		{ NULL, 7, SBX_LL_RO },     /* DR */
		{ NULL, 8, SBX_LL_RDWR },   /* RT: truncating is writing */
		{ NULL, 9, SBX_LL_WRITE },  /* C */
		{ NULL, 10, SBX_LL_RDWR },  /* RW */
		{ NULL, 11, SBX_LL_WRITE }, /* W */
		{ NULL, 12, SBX_LL_READ },  /* R */
		/* fd 13: CAP, 14: SOCK: no rule */
	};
	landlock_with_stdio(&fs, slots, slot_grant, SBX_ARRAY_SIZE(slots), &g);
	tap_ok(rules_are(&fs, full, SBX_ARRAY_SIZE(full)),
	       "file and directory grants by their slot's fd and access; sockets, fds and the request channel none");
	landlock_with_stdio(&fs, slots, slot_grant, SBX_ARRAY_SIZE(slots), &g);
	tap_ok(rules_are(&fs, full, SBX_ARRAY_SIZE(full)), "computed again: the same rules, not appended");
	sbx_fs_plan_free(&fs);
}

/* The idmap namespace is made once per mapping and kept: the same mapping gives the same
 * namespace again (a new fd of it), another mapping another one. Root only (the maps it
 * writes name ids other than its own). */
static void idmap_kept(void)
{
	if (geteuid() != 0) {
		tap_skip("the idmap namespace is kept per mapping: needs root");
		return;
	}
	int a = sbx_idmap_userns(0, 0, 65534, 65534), b = sbx_idmap_userns(0, 0, 65534, 65534);
	int c = sbx_idmap_userns(0, 0, 65533, 65533);
	struct stat sa, sb, sc;
	bool ok = a >= 0 && b >= 0 && c >= 0 && a != b && fstat(a, &sa) == 0 && fstat(b, &sb) == 0 &&
		  fstat(c, &sc) == 0;
	tap_ok(ok && sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev,
	       "the same mapping twice: the same idmap namespace, made once (fds %d %d)", a, b);
	tap_ok(ok && sc.st_ino != sa.st_ino, "another mapping: another namespace");
	int flags = a >= 0 ? fcntl(a, F_GETFD) : -1;
	tap_ok(flags >= 0 && (flags & FD_CLOEXEC), "each fd is close-on-exec");
	const int fds[] = { a, b, c };
	for (size_t i = 0; i < SBX_ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

int main(void)
{
	build_tree();
	fixed_entries();
	caller_paths();
	refused_paths();
	conflicts();
	shown_paths();
	landlock_rules();
	idmap_kept();
	for (size_t i = 0; i < n_links; i++)
		free(links[i].target);
	return tap_done();
}
