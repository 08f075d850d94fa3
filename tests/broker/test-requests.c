/* SPDX-License-Identifier: MIT */
/* Unit tests of the broker's request handling (broker/requests.c) without any sandbox:
 * sbx_req_decode() on every well-formed and malformed datagram, and sbx_req_open() on a tree
 * full of traps (tree.h). TAP. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "broker/requests.h"
#include "tests/tap.h"
#include "tree.h"

/* ---- sbx_req_decode ---- */

static union sbx_req out;
static const char *why;

static int decode(const void *buf, size_t len, size_t n_fds, int flags, enum sbx_req_state st)
{
	why = NULL;
	return sbx_req_decode(buf, len, n_fds, flags, st, &out, &why);
}

static void refused(const void *buf, size_t len, size_t n_fds, int flags, enum sbx_req_state st, const char *want,
		    const char *name)
{
	int r = decode(buf, len, n_fds, flags, st);
	tap_ok(r == -EPROTO && why && strstr(why, want), "decode refuses %s (%s)", name, why ? why : "no reason");
}

static struct sbx_req_open mk_open(void)
{
	struct sbx_req_open o;
	memset(&o, 0, sizeof(o));
	o.h.type = SBX_REQ_OPEN;
	o.h.version = SBX_REQ_VERSION;
	o.h.len = sizeof(o);
	o.h.id = 42;
	o.flags = SBX_OPEN_READ;
	strcpy(o.dir, "DATA");
	strcpy(o.path, "a.txt");
	return o;
}

static void test_decode(void)
{
	struct sbx_req_open o = mk_open();
	struct sbx_req_capture c;
	memset(&c, 0, sizeof(c));
	c.h = (struct sbx_req_hdr){ .type = SBX_REQ_CAPTURE, .version = SBX_REQ_VERSION, .len = sizeof(c), .id = 7 };
	strcpy(c.name, "CAP");
	struct sbx_req_log l;
	memset(&l, 0, sizeof(l));
	l.h = (struct sbx_req_hdr){ .type = SBX_REQ_LOG, .version = SBX_REQ_VERSION, .len = sizeof(l), .id = 8 };
	l.level = 2;
	strcpy(l.text, "text");
	struct sbx_req_hdr d = { .type = SBX_REQ_DONE, .version = SBX_REQ_VERSION, .len = sizeof(d), .id = 9 };
	const enum sbx_req_state RUN = SBX_REQ_STATE_RUN, LOCKED = SBX_REQ_STATE_LOCKED;

	/* Valid, in the states that allow them. */
	tap_ok(decode(&o, sizeof(o), 0, 0, RUN) == 0 && out.h.id == 42 && strcmp(out.open.path, "a.txt") == 0,
	       "decode accepts OPEN in RUN and copies it");
	tap_ok(decode(&c, sizeof(c), 0, 0, RUN) == 0 && strcmp(out.capture.name, "CAP") == 0, "decode accepts CAPTURE in RUN");
	tap_ok(decode(&l, sizeof(l), 0, 0, RUN) == 0 && out.log.level == 2, "decode accepts LOG in RUN");
	tap_ok(decode(&d, sizeof(d), 0, 0, RUN) == 0 && out.h.type == SBX_REQ_DONE, "decode accepts DONE in RUN");
	tap_ok(decode(&l, sizeof(l), 0, 0, LOCKED) == 0, "decode accepts LOG in LOCKED");
	for (unsigned f = 1; f <= SBX_OPEN_ALL; f++) {
		o.flags = f;
		bool want = f & (SBX_OPEN_READ | SBX_OPEN_WRITE | SBX_OPEN_DIRECTORY);
		if ((decode(&o, sizeof(o), 0, 0, RUN) == 0) != want) {
			tap_ok(false, "decode of OPEN flags 0x%x", f);
			break;
		}
		if (f == SBX_OPEN_ALL)
			tap_ok(true, "decode accepts every OPEN flag combination with an access bit, and only those");
	}
	o = mk_open();
	/* A datagram that is exactly the message, placed at an odd address: no alignment assumed. */
	static char odd[sizeof(o) + 1];
	memcpy(odd + 1, &o, sizeof(o));
	tap_ok(decode(odd + 1, sizeof(o), 0, 0, RUN) == 0, "decode reads an unaligned datagram");

	/* Out of state. */
	refused(&o, sizeof(o), 0, 0, LOCKED, "not allowed in this state", "OPEN in LOCKED");
	refused(&c, sizeof(c), 0, 0, LOCKED, "not allowed in this state", "CAPTURE in LOCKED");
	refused(&d, sizeof(d), 0, 0, LOCKED, "not allowed in this state", "DONE in LOCKED");
	refused(&l, sizeof(l), 0, 0, (enum sbx_req_state)2, "", "a state that does not exist");
	refused(&l, sizeof(l), 0, 0, (enum sbx_req_state)-1, "", "a negative state");

	/* Transport. */
	refused(&o, sizeof(o), 1, 0, RUN, "file descriptors", "one fd attached");
	refused(&o, sizeof(o), 253, 0, RUN, "file descriptors", "many fds attached");
	refused(&o, sizeof(o), 0, MSG_TRUNC, RUN, "truncated", "MSG_TRUNC");
	refused(&o, sizeof(o), 0, MSG_CTRUNC, RUN, "truncated", "MSG_CTRUNC");

	/* Sizes. */
	static char big[SBX_REQ_MAX + 64];
	refused(big, 0, 0, 0, RUN, "size", "an empty datagram");
	refused(&d, sizeof(d) - 1, 0, 0, RUN, "size", "a datagram shorter than the header");
	memcpy(big, &o, sizeof(o));
	((struct sbx_req_hdr *)big)->len = SBX_REQ_MAX + 1;
	refused(big, SBX_REQ_MAX + 1, 0, 0, RUN, "size", "a datagram of SBX_REQ_MAX + 1");
	((struct sbx_req_hdr *)big)->len = SBX_REQ_MAX;
	refused(big, SBX_REQ_MAX, 0, 0, RUN, "wrong size", "OPEN padded to SBX_REQ_MAX");
	((struct sbx_req_hdr *)big)->len = sizeof(o) + 1;
	refused(big, sizeof(o) + 1, 0, 0, RUN, "wrong size", "OPEN one byte long");
	o.h.len = sizeof(o) - 1;
	refused(&o, sizeof(o) - 1, 0, 0, RUN, "wrong size", "OPEN one byte short");
	o = mk_open();
	o.h.len = sizeof(o) + 1;
	refused(&o, sizeof(o), 0, 0, RUN, "header length", "header len above the datagram");
	o.h.len = 0;
	refused(&o, sizeof(o), 0, 0, RUN, "header length", "header len 0");
	o.h.len = sizeof(o) - 4;
	refused(&o, sizeof(o), 0, 0, RUN, "header length", "header len below the datagram");
	o = mk_open();
	o.h.type = SBX_REQ_LOG;
	refused(&o, sizeof(o), 0, 0, RUN, "wrong size", "a LOG header on an OPEN body");
	struct sbx_req_hdr dd[2] = { d, d };
	dd[0].len = sizeof(dd);
	refused(dd, sizeof(dd), 0, 0, RUN, "wrong size", "DONE with a body");

	/* Types. */
	static const uint16_t bad_types[] = { 0, 5, 9, 31, 32, 33, 63, 64, SBX_REP_FD, SBX_REP_ERROR, SBX_REP_OK,
					      SBX_PUSH_FD, 0x8001, 0xffff };
	for (size_t i = 0; i < sizeof(bad_types) / sizeof(bad_types[0]); i++) {
		struct sbx_req_hdr h = d;
		h.type = bad_types[i];
		char name[48];
		snprintf(name, sizeof(name), "type 0x%x", bad_types[i]);
		refused(&h, sizeof(h), 0, 0, RUN, "unknown request type", name);
	}

	/* Strings and fields. */
	o = mk_open();
	memset(o.dir, 'D', sizeof(o.dir));
	refused(&o, sizeof(o), 0, 0, RUN, "NUL", "OPEN dir without NUL");
	o = mk_open();
	memset(o.path, 'p', sizeof(o.path));
	refused(&o, sizeof(o), 0, 0, RUN, "NUL", "OPEN path without NUL");
	o = mk_open();
	memset(o.path, 'p', sizeof(o.path));
	o.path[sizeof(o.path) - 1] = '\0';
	tap_ok(decode(&o, sizeof(o), 0, 0, RUN) == 0, "decode accepts a path that fills its field with the NUL last");
	o = mk_open();
	o.flags = 0x20;
	refused(&o, sizeof(o), 0, 0, RUN, "bad open flags", "OPEN with an unknown flag");
	o.flags = SBX_OPEN_READ | 0x80000000u;
	refused(&o, sizeof(o), 0, 0, RUN, "bad open flags", "OPEN with a high flag bit");
	o.flags = 0;
	refused(&o, sizeof(o), 0, 0, RUN, "bad open flags", "OPEN without any access");
	o.flags = SBX_OPEN_CREATE | SBX_OPEN_TRUNC;
	refused(&o, sizeof(o), 0, 0, RUN, "bad open flags", "OPEN with CREATE|TRUNC only");
	memset(c.name, 'C', sizeof(c.name));
	refused(&c, sizeof(c), 0, 0, RUN, "NUL", "CAPTURE name without NUL");
	memset(l.text, 'x', sizeof(l.text));
	refused(&l, sizeof(l), 0, 0, RUN, "malformed log", "LOG text without NUL");
	l.text[0] = '\0';
	l.level = 3;
	refused(&l, sizeof(l), 0, 0, RUN, "malformed log", "LOG level 3");
	l.level = 0;
	l.reserved = 1;
	refused(&l, sizeof(l), 0, 0, RUN, "malformed log", "LOG reserved field set");
}

/* ---- protocol versions ---- */

/* A request of another version: -EPROTONOSUPPORT, not a violation, with the header kept for
 * the refusal and the versions named. */
static void version_refused(const void *buf, size_t len, uint16_t version, const char *name)
{
	char want[96];
	snprintf(want, sizeof(want), "worker speaks request protocol version %u, broker speaks %u", version,
		 SBX_REQ_VERSION);
	int r = decode(buf, len, 0, 0, SBX_REQ_STATE_RUN);
	tap_ok(r == -EPROTONOSUPPORT && why && strcmp(why, want) == 0 && out.h.version == version && out.h.id == 42,
	       "decode tells %s apart from a violation (%d, %s)", name, r, why ? why : "no reason");
}

static void test_version(void)
{
	struct sbx_req_open o = mk_open();
	o.h.version = 0;
	version_refused(&o, sizeof(o), 0, "an OPEN of version 0");
	/* What a client from before versioning sent: a 32-bit type, then len and id. */
	struct {
		uint32_t type, len;
		uint64_t id;
	} old = { SBX_REQ_DONE, 16, 42 };
	version_refused(&old, sizeof(old), 0, "a DONE of the unversioned layout");
	o.h.version = SBX_REQ_VERSION + 1;
	version_refused(&o, sizeof(o), SBX_REQ_VERSION + 1, "an OPEN of the next version");
	/* Past the header nothing is read: a different layout is not judged by ours. */
	static char other[200];
	memcpy(other, &o, sizeof(o.h));
	((struct sbx_req_hdr *)other)->len = sizeof(other);
	version_refused(other, sizeof(other), SBX_REQ_VERSION + 1, "a request of the next version and a size ours lacks");
	/* The framing is checked first, in every version. */
	o.h.len = 0;
	refused(&o, sizeof(o), 0, 0, SBX_REQ_STATE_RUN, "header length", "a bad header length, whatever the version");
	o = mk_open();
	o.h.version = 0;
	refused(&o, sizeof(o), 1, 0, SBX_REQ_STATE_RUN, "file descriptors", "an fd attached, whatever the version");

	/* The refusal, as the worker receives it. */
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		tap_ok(false, "socketpair: %s", strerror(errno));
		return;
	}
	struct sbx_req_hdr h = { .type = SBX_REQ_LOG, .version = 0, .len = sizeof(struct sbx_req_log), .id = 77 };
	int r = sbx_req_refuse_version(sv[0], &h);
	struct sbx_rep rep;
	memset(&rep, 0, sizeof(rep));
	ssize_t n = recv(sv[1], &rep, sizeof(rep), MSG_DONTWAIT | MSG_TRUNC);
	uint32_t type32;
	memcpy(&type32, &rep.h, sizeof(type32));
	tap_ok(r == 0 && n == (ssize_t)sizeof(rep) && rep.h.type == SBX_REP_ERROR && rep.h.version == 0 &&
		       type32 == SBX_REP_ERROR && rep.h.len == sizeof(rep) && rep.h.id == 77 && rep.error == EPROTONOSUPPORT,
	       "the refusal is SBX_REP_ERROR EPROTONOSUPPORT with the worker's id, in its version (0: a 32-bit type)");
	/* A worker that does not read: refused without blocking. */
	int sent = 0;
	while (sbx_req_refuse_version(sv[0], &h) == 0 && sent < 100000)
		sent++;
	tap_ok(sbx_req_refuse_version(sv[0], &h) == -EAGAIN, "a full channel: -EAGAIN after %d refusals, never blocking",
	       sent);
	close(sv[0]);
	close(sv[1]);
}

/* ---- sbx_req_open ---- */

static struct tree t;
static struct sbx_resource res[16];
static int res_fds[16];
static size_t n_res;

static void add_res(const char *name, const char *dir, unsigned flags, const char *pattern)
{
	struct sbx_resource *r = &res[n_res];
	memset(r, 0, sizeof(*r));
	r->kind = SBX_RES_DIR;
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->target = strdup(dir);
	r->flags = flags;
	r->pattern = pattern ? strdup(pattern) : NULL;
	res_fds[n_res] = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	n_res++;
}

static char rule[256];

static int req_open(const char *dir, const char *path, unsigned flags)
{
	struct sbx_req_open o;
	memset(&o, 0, sizeof(o));
	o.h.type = SBX_REQ_OPEN;
	o.h.version = SBX_REQ_VERSION;
	o.h.len = sizeof(o);
	o.flags = flags;
	o.mode = 0666;
	snprintf(o.dir, sizeof(o.dir), "%s", dir);
	snprintf(o.path, sizeof(o.path), "%s", path);
	return sbx_req_open(&o, res, n_res, res_fds, rule, sizeof(rule));
}

static void expect_fd(const char *dir, const char *path, unsigned flags, const char *content, const char *name)
{
	int fd = req_open(dir, path, flags);
	bool ok = fd >= 0;
	char buf[64] = "";
	if (ok && content) {
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		ok = strcmp(buf, content) == 0;
	}
	if (ok)
		ok = (fcntl(fd, F_GETFD) & FD_CLOEXEC) && !(fcntl(fd, F_GETFL) & O_NONBLOCK);
	tap_ok(ok, "open %s/%s: %s is granted (an fd, close-on-exec, blocking%s) [%s]", dir, path, name,
	       content ? ", reads the file" : "", fd < 0 ? strerror(-fd) : rule);
	if (fd >= 0)
		close(fd);
}

static void expect_err2(const char *dir, const char *path, unsigned flags, int err, int err2, const char *name)
{
	int fd = req_open(dir, path, flags);
	tap_ok(fd == -err || fd == -err2, "open %s/%s: %s is refused with %s (got %s)", dir, path, name, strerror(err),
	       fd >= 0 ? "an fd" : strerror(-fd));
	if (fd >= 0)
		close(fd);
}

static void expect_err(const char *dir, const char *path, unsigned flags, int err, const char *name)
{
	expect_err2(dir, path, flags, err, err, name);
}

/* Run one open in a child with an alarm: a FIFO must not block the caller (the broker's event
 * loop, which serves every worker). */
static void expect_no_block(const char *dir, const char *path, unsigned flags, const char *name)
{
	pid_t pid = fork();
	if (pid == 0) {
		alarm(2);
		int fd = req_open(dir, path, flags);
		_exit(fd >= 0 || fd == -ENXIO || fd == -EACCES ? 0 : 1);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "open %s/%s: %s returns at once (%s)", dir, path, name,
	       WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM ? "BLOCKED: the broker would hang on a planted FIFO"
	       : WIFEXITED(st)                            ? "returned"
							  : "crashed");
}

static void test_open(void)
{
	static const struct grant grants[] = TREE_GRANTS;
	for (size_t i = 0; i < sizeof(grants) / sizeof(grants[0]); i++) {
		char dir[128];
		snprintf(dir, sizeof(dir), "%s/%s", t.root, grants[i].sub);
		add_res(grants[i].name, dir, grants[i].access, grants[i].pattern);
	}
	add_res("NOPAT", t.data, SBX_OPEN_READ, NULL);
	add_res("ALLP", t.data, SBX_OPEN_READ, "*");
	res[n_res - 1].kind = SBX_RES_CAPTURE; /* a capture of the same name is not a directory */
	const unsigned R = SBX_OPEN_READ, W = SBX_OPEN_WRITE, C = SBX_OPEN_CREATE, T = SBX_OPEN_TRUNC,
		       D = SBX_OPEN_DIRECTORY;

	expect_fd("DATA", "a.txt", R, "hello\n", "a file");
	expect_fd("NOPAT", "a.txt", R, "hello\n", "no pattern means '*'");
	expect_fd("DEEP", "sub/b.txt", R, "b\n", "a file one level down");
	/* A directory fd would let the worker walk '..' out of its grant (fchdir, then chmod or
	 * utime of a host path): only regular files are handed out. */
	int dfd = req_open("DATA", "sub", D);
	tap_ok(dfd == -EACCES, "open DATA/sub as a directory: refused (%s)", dfd >= 0 ? "granted" : strerror(-dfd));
	if (dfd >= 0)
		close(dfd);
	expect_err("DATA", "sub", R, EACCES, "a directory opened without O_DIRECTORY");
	expect_fd("RW", "existing.out", R | W, "old\n", "read-write");
	expect_fd("RWC", "made.out", W | C, NULL, "created");
	struct stat st;
	char made[160];
	snprintf(made, sizeof(made), "%s/made.out", t.rw);
	tap_ok(stat(made, &st) == 0 && (st.st_mode & 07777) == 0644,
	       "created with mode 0666 masked by the umask, never more (got %o)", st.st_mode & 07777);
	expect_fd("RWC", "made.out", W | T, NULL, "truncated");

	expect_err("DATA", "../out/secret", R, EACCES, "'..' (the pattern)");
	expect_err("DOTS", "sub/../../out/secret", R, EACCES, "'..' components are refused before any open");
	expect_err("DOTS", "sub/./../x.txt", R, EACCES, "'.' components are refused");
	expect_err("DOTS", "sub//b.txt", R, EACCES, "empty components are refused");
	expect_err("DATA", "/etc/passwd", R, EACCES, "an absolute path");
	expect_err("DATA", "", R, EACCES, "an empty path");
	expect_err("DATA", "lnk-out", R, ELOOP, "a symlink to ../out/secret");
	expect_err("DATA", "lnk-abs", R, ELOOP, "a symlink to /etc/passwd");
	expect_err("DATA", "lnk-in", R, ELOOP, "a symlink inside the tree");
	expect_err("DATA", "lnk-root", R, ELOOP, "a symlink to /proc/self/root");
	expect_err2("DEEP", "lnk-root/", D, ELOOP, EACCES, "a symlink to /proc/self/root, as a directory");
	expect_err("ROOTL", "lnk-root/etc/passwd", R, ELOOP, "/proc/self/root via a symlink");
	expect_err("DEEP", "lnk-dir/secret", R, ELOOP, "a symlinked directory");
	expect_err("DATA", ".hidden", R, EACCES, "a hidden file against '*' (FNM_PERIOD)");
	expect_err("DATA", "sub/b.txt", R, EACCES, "'*' crossing '/' (FNM_PATHNAME)");
	expect_err("RW", "x.txt", R, EACCES, "a pattern mismatch");
	expect_err("DATA", "a.txt", W, EACCES, "write on a read-only grant");
	expect_err("DATA", "a.txt", R | W, EACCES, "read-write on a read-only grant");
	expect_err("RW", "new.out", W | C, EACCES, "create without a create grant");
	expect_err("RW", "existing.out", R | T, EINVAL, "truncate without write");
	expect_err("RW", "existing.out", R | C, EINVAL, "create without write");
	expect_err("NOPE", "a.txt", R, EACCES, "an unknown resource");
	expect_err("ALLP", "a.txt", R, EACCES, "a resource of another kind with that name");
	expect_err("DATA", "missing", R, ENOENT, "a missing file");
	expect_err2("DATA", "a.txt", D, ENOTDIR, EACCES, "a file as a directory");
	expect_err("RWC", "sub", W | C, EACCES, "a directory through a file pattern");
	if (t.mounted)
		expect_err("MNT", "mnt/secret", R, EXDEV, "a bind mount inside the tree (RESOLVE_NO_XDEV)");
	else
		tap_skip("a bind mount inside the tree: cannot mount here (needs root)");

	/* FIFOs: opening one must never wait for the other end. */
	expect_no_block("DATA", "fifo", R, "a FIFO for reading");
	expect_no_block("RW", "fifo.out", W, "a FIFO for writing");
	expect_no_block("RWC", "fifo.out", W | C, "a FIFO for writing with CREATE");
	expect_no_block("RWC", "fifo.out", W | C | T, "a FIFO for writing with CREATE|TRUNC");

	/* The rule names what decided, for the audit log. */
	req_open("RW", "x.txt", R);
	tap_ok(strstr(rule, "RW") && strstr(rule, "*.out"), "the rule names the grant and its pattern ('%s')", rule);
	req_open("NOPE", "a.txt", R);
	tap_ok(strstr(rule, "NOPE") != NULL, "the rule names a missing resource ('%s')", rule);

	for (size_t i = 0; i < n_res; i++) {
		free(res[i].target);
		free(res[i].pattern);
		close(res_fds[i]);
	}
}

int main(void)
{
	umask(022);
	test_decode();
	test_version();
	if (tree_make(&t) < 0) {
		tap_ok(false, "building the test tree");
		return tap_done();
	}
	test_open();
	tree_remove(&t);
	return tap_done();
}
