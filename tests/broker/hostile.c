/* SPDX-License-Identifier: MIT */
/* A worker that speaks the broker's request protocol (common/protocol.h) raw over
 * SBX_FD_BROKER, one subcommand per thing it tries: the valid requests, every malformed form a
 * hostile worker could send, path escapes, and the client library end to end.
 *
 * Exit status, read by test-broker.c:
 *   0  what the subcommand expected happened (a refusal with the right errno, an fd that reads
 *      the right bytes, ...)
 *   1  a wrong answer (the message on stderr says which)
 *   2  the broker did not kill us after a protocol violation (we waited for it)
 *   3  the broker did not answer a valid request within the time limit
 *   4  the broker answered, but only after stalling (it blocked on something we planted)
 *   64 usage
 * A worker killed by the broker never gets to exit: the test sees SBX_EXIT_KILLED. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/protocol.h"
#include "sbx-client.h"

static int broker = -1;
static uint64_t next_id = 1;

#define CONTENT "hello\n"

__attribute__((format(printf, 2, 3), noreturn)) static void bail(int code, const char *fmt, ...);

static void bail(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "hostile: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	_exit(code);
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void find_broker(void)
{
	const char *s = getenv("SBX_FD_BROKER");
	if (!s || !*s)
		bail(1, "SBX_FD_BROKER is not set");
	broker = atoi(s);
}

/* Send one datagram, with fds attached when n_fds > 0. Returns 0 or -errno. */
static int send_raw_fds(const void *buf, size_t len, const int *fds, size_t n_fds, int flags)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int) * 32)];
		struct cmsghdr align;
	} control;
	if (n_fds) {
		memset(&control, 0, sizeof(control));
		mh.msg_control = control.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * n_fds);
	}
	ssize_t n = sendmsg(broker, &mh, MSG_NOSIGNAL | flags);
	if (n < 0)
		return -errno;
	return n == (ssize_t)len ? 0 : -EIO;
}

static void send_raw(const void *buf, size_t len)
{
	int r = send_raw_fds(buf, len, NULL, 0, 0);
	if (r < 0)
		bail(1, "send: %s", strerror(-r));
}

struct reply {
	struct sbx_rep rep;
	int fd;
};

/* Wait up to timeout_ms for one message from the broker. Returns 1 with *out filled, 0 on
 * timeout, -errno on error (-ECONNRESET: the broker closed its end). */
static int recv_reply(struct reply *out, int timeout_ms)
{
	struct pollfd p = { .fd = broker, .events = POLLIN };
	int r = poll(&p, 1, timeout_ms);
	if (r < 0)
		return -errno;
	if (r == 0)
		return 0;
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = &out->rep, .iov_len = sizeof(out->rep) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
			     .msg_controllen = sizeof(control.buf) };
	ssize_t n = recvmsg(broker, &mh, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ECONNRESET;
	out->fd = -1;
	int got = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			bail(1, "reply with an unexpected control message");
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++, got++)
			memcpy(&out->fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
	}
	if (n != (ssize_t)sizeof(out->rep) || out->rep.h.len != sizeof(out->rep) || got > 1 ||
	    (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
		bail(1, "malformed reply (%zd bytes, len %u, %d fds)", n, out->rep.h.len, got);
	if (got == 1 && !(fcntl(out->fd, F_GETFD) & FD_CLOEXEC))
		bail(1, "received fd without close-on-exec");
	return 1;
}

/* The reply to request `id`; pushed fds arriving meanwhile are closed and skipped. Exits 3 on
 * timeout. */
static void wait_reply(uint64_t id, struct reply *out, int timeout_ms)
{
	uint64_t end = now_ms() + (uint64_t)timeout_ms;
	for (;;) {
		uint64_t t = now_ms();
		if (t >= end)
			bail(3, "no answer to request %llu within %d ms", (unsigned long long)id, timeout_ms);
		int r = recv_reply(out, (int)(end - t));
		if (r < 0)
			bail(1, "receiving the reply: %s", strerror(-r));
		if (r == 0)
			continue;
		if (out->rep.h.type == SBX_PUSH_FD) {
			if (out->fd >= 0)
				close(out->fd);
			continue;
		}
		if (out->rep.h.id != id)
			bail(1, "reply id %llu, expected %llu", (unsigned long long)out->rep.h.id, (unsigned long long)id);
		return;
	}
}

/* After a violation: the broker must kill us. Any answer is wrong, surviving is wrong. */
static void expect_killed(void)
{
	uint64_t end = now_ms() + 5000;
	while (now_ms() < end) {
		struct reply rep;
		int r = recv_reply(&rep, 200);
		if (r == 1)
			bail(1, "the broker answered a malformed request (type 0x%x error %d)", rep.rep.h.type, rep.rep.error);
		if (r == -ECONNRESET || r < 0) {
			/* It stopped listening without killing us: still a failure, wait a little to be
			 * sure the kill is not just late. */
			usleep(200 * 1000);
		}
	}
	bail(2, "still alive 5 s after a protocol violation");
}

static void fill_hdr(struct sbx_req_hdr *h, uint16_t type, size_t len)
{
	h->type = type;
	h->version = SBX_REQ_VERSION;
	h->len = (uint32_t)len;
	h->id = next_id++;
}

static struct sbx_req_open mk_open(const char *dir, const char *path, uint32_t flags)
{
	struct sbx_req_open o;
	memset(&o, 0, sizeof(o));
	fill_hdr(&o.h, SBX_REQ_OPEN, sizeof(o));
	o.flags = flags;
	o.mode = 0600;
	snprintf(o.dir, sizeof(o.dir), "%s", dir);
	snprintf(o.path, sizeof(o.path), "%s", path);
	return o;
}

static struct sbx_req_log mk_log(const char *text)
{
	struct sbx_req_log l;
	memset(&l, 0, sizeof(l));
	fill_hdr(&l.h, SBX_REQ_LOG, sizeof(l));
	snprintf(l.text, sizeof(l.text), "%s", text);
	return l;
}

/* OPEN and return the fd, or -errno from an ERROR reply. */
static int raw_open(const char *dir, const char *path, uint32_t flags)
{
	struct sbx_req_open o = mk_open(dir, path, flags);
	send_raw(&o, sizeof(o));
	struct reply rep;
	wait_reply(o.h.id, &rep, 10000);
	if (rep.rep.h.type == SBX_REP_FD && rep.fd >= 0)
		return rep.fd;
	if (rep.rep.h.type == SBX_REP_ERROR && rep.fd < 0 && rep.rep.error > 0)
		return -rep.rep.error;
	bail(1, "bad answer to OPEN %s/%s: type 0x%x fd %d error %d", dir, path, rep.rep.h.type, rep.fd, rep.rep.error);
}

static void raw_ok(const void *req, size_t len)
{
	const struct sbx_req_hdr *h = req;
	send_raw(req, len);
	struct reply rep;
	wait_reply(h->id, &rep, 10000);
	if (rep.rep.h.type != SBX_REP_OK || rep.fd >= 0)
		bail(1, "expected OK, got type 0x%x error %d", rep.rep.h.type, rep.rep.error);
}

static void raw_done(void)
{
	struct sbx_req_hdr d;
	fill_hdr(&d, SBX_REQ_DONE, sizeof(d));
	raw_ok(&d, sizeof(d));
}

static void expect_content(int fd, const char *want, const char *what)
{
	char buf[256];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n < 0)
		bail(1, "%s: read: %s", what, strerror(errno));
	buf[n] = '\0';
	if (strcmp(buf, want) != 0)
		bail(1, "%s: read '%s', expected '%s'", what, buf, want);
}

static void expect_errno(int r, int want, const char *what)
{
	if (r >= 0) {
		char buf[64] = "";
		ssize_t n = pread(r, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		bail(1, "%s: granted an fd (reads '%.40s'), expected %s", what, buf, strerror(want));
	}
	if (-r != want)
		bail(1, "%s: refused with %s, expected %s", what, strerror(-r), strerror(want));
}

/* ---- subcommands ---- */

/* The well-behaved worker: an OPEN every 100 ms, checking each fd, until the host pushes an fd
 * that reads "stop\n". Prints how many fds it got. */
static int cmd_good(void)
{
	unsigned got = 0;
	for (;;) {
		int fd = raw_open("DATA", "a.txt", SBX_OPEN_READ);
		if (fd < 0)
			bail(1, "good: open a.txt: %s", strerror(-fd));
		expect_content(fd, CONTENT, "good: a.txt");
		close(fd);
		got++;
		uint64_t end = now_ms() + 100;
		for (uint64_t t; (t = now_ms()) < end;) {
			struct reply rep;
			int r = recv_reply(&rep, (int)(end - t));
			if (r < 0)
				bail(1, "good: %s", strerror(-r));
			if (r == 0)
				break;
			if (rep.rep.h.type != SBX_PUSH_FD || rep.fd < 0)
				bail(1, "good: unexpected message type 0x%x", rep.rep.h.type);
			if (strcmp(rep.rep.name, "stop") != 0)
				bail(1, "good: pushed fd named '%s'", rep.rep.name);
			char buf[16] = "";
			ssize_t n = read(rep.fd, buf, sizeof(buf) - 1);
			if (n != 5 || memcmp(buf, "stop\n", 5) != 0)
				bail(1, "good: the pushed fd reads '%.*s'", (int)(n > 0 ? n : 0), buf);
			close(rep.fd);
			fprintf(stderr, "good: %u fds, stopped by a pushed fd\n", got);
			return 0;
		}
	}
}

static int cmd_open(void)
{
	int fd = raw_open("DATA", "a.txt", SBX_OPEN_READ);
	if (fd < 0)
		bail(1, "open a.txt: %s", strerror(-fd));
	expect_content(fd, CONTENT, "a.txt");
	if (fcntl(fd, F_GETFL) & O_NONBLOCK)
		bail(1, "a.txt came back O_NONBLOCK");
	if (write(fd, "x", 1) >= 0 || errno != EBADF)
		bail(1, "a read grant is writable");
	close(fd);
	/* A directory, then a file created and written below a create grant. */
	/* Directories: granted, or refused by design (EACCES) since a directory fd leads out. */
	fd = raw_open("DATA", "sub", SBX_OPEN_DIRECTORY);
	if (fd < 0 && fd != -EACCES)
		bail(1, "open sub as a directory: %s", strerror(-fd));
	struct stat st;
	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode)))
		bail(1, "sub is not a directory");
	if (fd >= 0)
		close(fd);
	char name[64];
	snprintf(name, sizeof(name), "new-%d.out", (int)getpid());
	fd = raw_open("RWC", name, SBX_OPEN_WRITE | SBX_OPEN_CREATE | SBX_OPEN_TRUNC);
	if (fd < 0)
		bail(1, "create %s: %s", name, strerror(-fd));
	if (write(fd, "made\n", 5) != 5)
		bail(1, "write %s: %s", name, strerror(errno));
	close(fd);
	return 0;
}

static int cmd_log(void)
{
	struct sbx_req_log l = mk_log("hostile says hello");
	l.level = 1;
	raw_ok(&l, sizeof(l));
	return 0;
}

static int cmd_done(void)
{
	raw_done();
	/* LOCKED still accepts LOG. */
	struct sbx_req_log l = mk_log("after done");
	raw_ok(&l, sizeof(l));
	return 0;
}

static int cmd_capture(void)
{
	struct sbx_req_capture c;
	memset(&c, 0, sizeof(c));
	fill_hdr(&c.h, SBX_REQ_CAPTURE, sizeof(c));
	snprintf(c.name, sizeof(c.name), "NOPE");
	send_raw(&c, sizeof(c));
	struct reply rep;
	wait_reply(c.h.id, &rep, 10000);
	if (rep.rep.h.type != SBX_REP_ERROR || rep.rep.error != EACCES)
		bail(1, "CAPTURE of an unknown resource: type 0x%x error %d", rep.rep.h.type, rep.rep.error);
	if (getenv("SBX_FD_CAP")) {
		fill_hdr(&c.h, SBX_REQ_CAPTURE, sizeof(c));
		snprintf(c.name, sizeof(c.name), "CAP");
		send_raw(&c, sizeof(c));
		wait_reply(c.h.id, &rep, 10000);
		if (rep.rep.h.type != SBX_REP_FD || rep.fd < 0)
			bail(1, "CAPTURE CAP: type 0x%x error %d", rep.rep.h.type, rep.rep.error);
		int domain = 0;
		socklen_t l = sizeof(domain);
		if (getsockopt(rep.fd, SOL_SOCKET, SO_DOMAIN, &domain, &l) < 0 || domain != AF_PACKET)
			bail(1, "CAPTURE CAP: not an AF_PACKET socket (domain %d)", domain);
		close(rep.fd);
	}
	return 0;
}

/* Path escapes: refused answers, never a kill. */
static int cmd_escapes(void)
{
	static const struct {
		const char *dir, *path;
		uint32_t flags;
		int err;
		const char *what;
	} cases[] = {
		{ "DATA", "../out/secret", SBX_OPEN_READ, EACCES, "'..' (refused by the pattern)" },
		{ "DOTS", "sub/../../out/secret", SBX_OPEN_READ, EACCES, "'..' past the granted dir (pattern allows it; '..' components are refused)" },
		{ "DATA", "/etc/passwd", SBX_OPEN_READ, EACCES, "an absolute path" },
		{ "DATA", "", SBX_OPEN_READ, EACCES, "an empty path" },
		{ "DATA", "lnk-out", SBX_OPEN_READ, ELOOP, "a symlink to ../out/secret" },
		{ "DATA", "lnk-abs", SBX_OPEN_READ, ELOOP, "a symlink to an absolute path" },
		{ "DATA", "lnk-in", SBX_OPEN_READ, ELOOP, "a symlink inside the tree" },
		{ "DATA", "lnk-root", SBX_OPEN_READ, ELOOP, "a symlink to /proc/self/root" },
		{ "ROOTL", "lnk-root/etc/passwd", SBX_OPEN_READ, ELOOP, "/proc/self/root via a symlink" },
		{ "DEEP", "lnk-dir/secret", SBX_OPEN_READ, ELOOP, "a symlinked directory leading out" },
		{ "DATA", ".hidden", SBX_OPEN_READ, EACCES, "a hidden file against '*'" },
		{ "DATA", "a.txt", SBX_OPEN_WRITE, EACCES, "write on a read-only grant" },
		{ "DATA", "a.txt", SBX_OPEN_READ | SBX_OPEN_WRITE, EACCES, "read+write on a read-only grant" },
		{ "RW", "made.out", SBX_OPEN_WRITE | SBX_OPEN_CREATE, EACCES, "create without a create grant" },
		{ "RW", "x.txt", SBX_OPEN_READ, EACCES, "a pattern mismatch" },
		{ "RW", "existing.out", SBX_OPEN_READ | SBX_OPEN_TRUNC, EINVAL, "truncate without write" },
		{ "NOPE", "a.txt", SBX_OPEN_READ, EACCES, "an unknown directory resource" },
		{ "DATA", "missing", SBX_OPEN_READ, ENOENT, "a missing file" },
		{ "MNT", "mnt/secret", SBX_OPEN_READ, EXDEV, "a mount inside the tree (RESOLVE_NO_XDEV)" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (strcmp(cases[i].dir, "MNT") == 0 && !getenv("SBX_FD_MNT"))
			continue;
		int r = raw_open(cases[i].dir, cases[i].path, cases[i].flags);
		expect_errno(r, cases[i].err, cases[i].what);
	}
	/* Still served after all these refusals. */
	int fd = raw_open("DATA", "a.txt", SBX_OPEN_READ);
	if (fd < 0)
		bail(1, "open a.txt after the refusals: %s", strerror(-fd));
	close(fd);
	return 0;
}

/* A FIFO planted below a grant must not block the broker: opened for reading... */
static int cmd_fifo_read(void)
{
	uint64_t t0 = now_ms();
	int fd = raw_open("DATA", "fifo", SBX_OPEN_READ);
	uint64_t dt = now_ms() - t0;
	if (dt > 1000)
		bail(4, "the broker took %llu ms to open a FIFO for reading", (unsigned long long)dt);
	if (fd >= 0)
		close(fd);
	return 0;
}

/* ... and for writing, with and without CREATE. */
static int cmd_fifo_write(const char *dir, uint32_t flags)
{
	uint64_t t0 = now_ms();
	int fd = raw_open(dir, "fifo.out", flags);
	uint64_t dt = now_ms() - t0;
	if (dt > 1000)
		bail(4, "the broker blocked %llu ms opening a planted FIFO (%s, flags 0x%x): every worker stalled",
		     (unsigned long long)dt, dir, flags);
	if (fd >= 0)
		close(fd);
	return 0;
}

/* The fds the broker hands out must not lead outside either: the granted directory itself
 * (SBX_FD_DATA, O_PATH) and a directory opened through a request. */
static int cmd_dirfd_escape(void)
{
	int failed = 0;
	int data = sbx_client_resource("DATA");
	if (data < 0)
		bail(1, "no SBX_FD_DATA");
	int fd = openat(data, "../out/secret", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		char buf[64] = "";
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		fprintf(stderr, "hostile: openat(SBX_FD_DATA, \"../out/secret\") read '%.*s' outside the grant\n",
			(int)(n > 0 ? n - 1 : 0), buf);
		close(fd);
		failed = 1;
	}
	fd = openat(data, "a.txt", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		fprintf(stderr, "hostile: openat(SBX_FD_DATA, \"a.txt\", O_RDWR) opened a read-only grant read-write\n");
		close(fd);
		failed = 1;
	}
	/* A writable grant may not be handed over as an fd at all (then there is nothing to try). */
	int rw = sbx_client_resource("RW");
	fd = rw < 0 ? -1 : openat(rw, "../out/secret", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		fprintf(stderr, "hostile: openat(SBX_FD_RW, \"../out/secret\") opened a file outside a writable grant\n");
		close(fd);
		failed = 1;
	}
	fd = rw < 0 ? -1 : openat(rw, "x.txt", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		fprintf(stderr, "hostile: openat(SBX_FD_RW, \"x.txt\") opened a file the grant's pattern '*.out' excludes\n");
		close(fd);
		failed = 1;
	}
	int sub = raw_open("DATA", "sub", SBX_OPEN_DIRECTORY);
	if (sub < 0 && sub != -EACCES)
		bail(1, "open sub as a directory: %s", strerror(-sub));
	fd = sub < 0 ? -1 : openat(sub, "../../out/secret", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		fprintf(stderr, "hostile: openat(<directory fd from the broker>, \"../../out/secret\") opened a file outside the grant\n");
		close(fd);
		failed = 1;
	}
	return failed;
}

/* ---- malformed: each must kill us ---- */

static void violate(const char *what)
{
	struct sbx_req_open o = mk_open("DATA", "a.txt", SBX_OPEN_READ);
	struct sbx_req_log l = mk_log("x");
	struct sbx_req_capture c;
	memset(&c, 0, sizeof(c));
	fill_hdr(&c.h, SBX_REQ_CAPTURE, sizeof(c));
	struct sbx_req_hdr h;
	fill_hdr(&h, SBX_REQ_DONE, sizeof(h));
	static char big[SBX_REQ_MAX * 2 + 16];

	if (strcmp(what, "empty") == 0) {
		send_raw("", 0);
	} else if (strcmp(what, "short") == 0) {
		send_raw(&h, 8);
	} else if (strcmp(what, "short-open") == 0) {
		o.h.len = sizeof(o) - 1;
		send_raw(&o, sizeof(o) - 1);
	} else if (strcmp(what, "long") == 0) {
		memcpy(big, &o, sizeof(o));
		((struct sbx_req_hdr *)big)->len = SBX_REQ_MAX + 1;
		send_raw(big, SBX_REQ_MAX + 1);
	} else if (strcmp(what, "huge") == 0) {
		memcpy(big, &o, sizeof(o));
		((struct sbx_req_hdr *)big)->len = sizeof(big);
		send_raw(big, sizeof(big));
	} else if (strcmp(what, "oversize") == 0) {
		/* Within SBX_REQ_MAX and consistent, but longer than an OPEN is. */
		memcpy(big, &o, sizeof(o));
		((struct sbx_req_hdr *)big)->len = sizeof(o) + 8;
		send_raw(big, sizeof(o) + 8);
	} else if (strcmp(what, "len-mismatch") == 0) {
		o.h.len = sizeof(o) - 8;
		send_raw(&o, sizeof(o));
	} else if (strcmp(what, "len-zero") == 0) {
		l.h.len = 0;
		send_raw(&l, sizeof(l));
	} else if (strcmp(what, "type-unknown") == 0) {
		h.type = 9;
		send_raw(&h, sizeof(h));
	} else if (strcmp(what, "type-zero") == 0) {
		h.type = 0;
		send_raw(&h, sizeof(h));
	} else if (strcmp(what, "type-reply") == 0) {
		h.type = SBX_REP_FD;
		send_raw(&h, sizeof(h));
	} else if (strcmp(what, "type-push") == 0) {
		h.type = SBX_PUSH_FD;
		send_raw(&h, sizeof(h));
	} else if (strcmp(what, "type-huge") == 0) {
		h.type = 0xffff;
		send_raw(&h, sizeof(h));
	} else if (strcmp(what, "type-bit") == 0) {
		h.type = 32 + SBX_REQ_OPEN; /* 1u << 33 would wrap to the OPEN bit */
		send_raw(&h, sizeof(h));
	} else if (strcmp(what, "open-as-log") == 0) {
		/* A LOG header on an OPEN-sized body. */
		o.h.type = SBX_REQ_LOG;
		send_raw(&o, sizeof(o));
	} else if (strcmp(what, "open-after-done") == 0) {
		raw_done();
		send_raw(&o, sizeof(o));
	} else if (strcmp(what, "capture-after-done") == 0) {
		raw_done();
		fill_hdr(&c.h, SBX_REQ_CAPTURE, sizeof(c));
		send_raw(&c, sizeof(c));
	} else if (strcmp(what, "done-twice") == 0) {
		raw_done();
		fill_hdr(&h, SBX_REQ_DONE, sizeof(h));
		send_raw(&h, sizeof(h));
	} else if (strcmp(what, "fd-attached") == 0) {
		int fds[1] = { 0 };
		int r = send_raw_fds(&l, sizeof(l), fds, 1, 0);
		if (r < 0)
			bail(1, "sendmsg with an fd: %s", strerror(-r));
	} else if (strcmp(what, "fds-many") == 0) {
		/* More than the broker's control buffer holds: MSG_CTRUNC. */
		int fds[20];
		for (int i = 0; i < 20; i++)
			fds[i] = i % 3;
		int r = send_raw_fds(&l, sizeof(l), fds, 20, 0);
		if (r < 0)
			bail(1, "sendmsg with 20 fds: %s", strerror(-r));
	} else if (strcmp(what, "fd-on-open") == 0) {
		/* A valid OPEN that would be granted, with the broker's own channel attached. */
		int fds[1] = { broker };
		int r = send_raw_fds(&o, sizeof(o), fds, 1, 0);
		if (r < 0)
			bail(1, "sendmsg with an fd: %s", strerror(-r));
	} else if (strcmp(what, "nonul-dir") == 0) {
		memset(o.dir, 'A', sizeof(o.dir));
		send_raw(&o, sizeof(o));
	} else if (strcmp(what, "nonul-path") == 0) {
		memset(o.path, 'a', sizeof(o.path));
		send_raw(&o, sizeof(o));
	} else if (strcmp(what, "nonul-capture") == 0) {
		memset(c.name, 'C', sizeof(c.name));
		send_raw(&c, sizeof(c));
	} else if (strcmp(what, "nonul-log") == 0) {
		memset(l.text, 'x', sizeof(l.text));
		send_raw(&l, sizeof(l));
	} else if (strcmp(what, "bad-flags") == 0) {
		o.flags = SBX_OPEN_READ | 0x20;
		send_raw(&o, sizeof(o));
	} else if (strcmp(what, "flags-high") == 0) {
		o.flags = SBX_OPEN_READ | 0x80000000u;
		send_raw(&o, sizeof(o));
	} else if (strcmp(what, "no-access") == 0) {
		o.flags = SBX_OPEN_CREATE;
		send_raw(&o, sizeof(o));
	} else if (strcmp(what, "log-level") == 0) {
		l.level = 3;
		send_raw(&l, sizeof(l));
	} else if (strcmp(what, "log-reserved") == 0) {
		l.reserved = 1;
		send_raw(&l, sizeof(l));
	} else if (strcmp(what, "flood") == 0) {
		/* Answers read, but faster than SBX_REQ_BURST per second. */
		for (int i = 0; i < SBX_REQ_BURST + 100; i++) {
			struct sbx_req_log m = mk_log("flood");
			if (send_raw_fds(&m, sizeof(m), NULL, 0, 0) < 0)
				break;
			struct reply rep;
			if (recv_reply(&rep, 2000) != 1)
				break;
		}
	} else if (strcmp(what, "no-read") == 0) {
		/* Never reading the replies: the broker must not block on us, nor queue without end.
		 * Paced below the flooding limit so that the unread replies are what gets us killed. */
		for (int i = 0; i < SBX_REQ_BURST * 4; i++) {
			struct sbx_req_log m = mk_log("not reading");
			if (send_raw_fds(&m, sizeof(m), NULL, 0, MSG_DONTWAIT) < 0 && errno != EAGAIN)
				break;
			if (i % 100 == 99)
				usleep(150 * 1000);
		}
	} else if (strcmp(what, "quota") == 0) {
		/* Below the burst rate, past the lifetime quota of SBX_REQ_QUOTA requests. */
		for (int i = 0; i < SBX_REQ_QUOTA + 10; i++) {
			struct sbx_req_log m = mk_log("quota");
			if (send_raw_fds(&m, sizeof(m), NULL, 0, 0) < 0)
				break;
			struct reply rep;
			if (recv_reply(&rep, 2000) != 1)
				break;
			if (i % 500 == 499)
				usleep(600 * 1000);
		}
	} else {
		bail(64, "unknown subcommand %s", what);
	}
	expect_killed();
}

/* A request of another protocol version (0: a client from before versioning, whose 32-bit type
 * reads as type and version 0; or a newer one): answered EPROTONOSUPPORT in that version, which
 * is what lets the old client report it, and not killed. */
static int cmd_version(uint16_t version)
{
	struct sbx_req_log l = mk_log("from another version");
	l.h.version = version;
	send_raw(&l, sizeof(l));
	struct reply rep;
	wait_reply(l.h.id, &rep, 10000);
	if (version == 0) {
		uint32_t type32;
		memcpy(&type32, &rep.rep.h, sizeof(type32));
		if (type32 != SBX_REP_ERROR)
			bail(1, "the refusal does not read as SBX_REP_ERROR in the 32-bit type of version 0 (0x%x)", type32);
	}
	if (rep.rep.h.type != SBX_REP_ERROR || rep.rep.h.version != version || rep.rep.error != EPROTONOSUPPORT ||
	    rep.fd >= 0)
		bail(1, "version %u: got type 0x%x version %u error %d, expected EPROTONOSUPPORT in version %u", version,
		     rep.rep.h.type, rep.rep.h.version, rep.rep.error, version);
	struct sbx_req_log ok = mk_log("and now in the broker's version");
	raw_ok(&ok, sizeof(ok));
	return 0;
}

/* More fds than SBX_REQ_FD_QUOTA: refused (EMFILE), not killed. */
static int cmd_fd_quota(void)
{
	for (int i = 0; i < SBX_REQ_FD_QUOTA; i++) {
		int fd = raw_open("DATA", "a.txt", SBX_OPEN_READ);
		if (fd < 0)
			bail(1, "open #%d: %s", i + 1, strerror(-fd));
		close(fd);
		if (i % 200 == 199)
			usleep(1100 * 1000); /* stay below the burst limit */
	}
	int r = raw_open("DATA", "a.txt", SBX_OPEN_READ);
	expect_errno(r, EMFILE, "the fd past SBX_REQ_FD_QUOTA");
	struct sbx_req_log l = mk_log("still here");
	raw_ok(&l, sizeof(l));
	return 0;
}

/* ---- the client library ---- */

static int cmd_client(const char *what)
{
	struct sbx_client c;
	int r = sbx_client_init(&c);
	if (strcmp(what, "version") == 0) {
		char want[16];
		snprintf(want, sizeof(want), "%u", SBX_REQ_VERSION);
		const char *v = getenv("SBX_BROKER_PROTOCOL");
		if (!v || strcmp(v, want) != 0)
			bail(1, "SBX_BROKER_PROTOCOL is '%s', expected '%s'", v ? v : "(unset)", want);
		if (r < 0)
			bail(1, "sbx_client_init with the broker's version: %s", strerror(-r));
		/* A broker of the next version: refused before anything is sent. */
		snprintf(want, sizeof(want), "%u", SBX_REQ_VERSION + 1);
		setenv("SBX_BROKER_PROTOCOL", want, 1);
		struct sbx_client c2;
		if ((r = sbx_client_init(&c2)) != -EPROTONOSUPPORT)
			bail(1, "sbx_client_init against a broker of version %s: %d, expected -EPROTONOSUPPORT", want, r);
		if (sbx_client_log(&c2, 0, "never sent") != -ENOTCONN)
			bail(1, "a client that failed to init still sends");
		/* A broker from before versioning says nothing, and would kill us for the first request
		 * (it reads the version as part of an unknown type): refused before anything is sent. */
		unsetenv("SBX_BROKER_PROTOCOL");
		if ((r = sbx_client_init(&c2)) != -EPROTONOSUPPORT)
			bail(1, "without SBX_BROKER_PROTOCOL: %d, expected -EPROTONOSUPPORT", r);
		return 0;
	}
	if (strcmp(what, "noenv") == 0) {
		unsetenv("SBX_FD_BROKER");
		struct sbx_client c2;
		r = sbx_client_init(&c2);
		if (r != -ENOTCONN)
			bail(1, "sbx_client_init without SBX_FD_BROKER: %d", r);
		if (sbx_client_open(&c2, "DATA", "a.txt", SBX_CLIENT_READ, 0) != -ENOTCONN)
			bail(1, "sbx_client_open without a channel is not -ENOTCONN");
		if (sbx_client_resource("NOPE") != -ENOENT)
			bail(1, "sbx_client_resource of a missing name");
		if (sbx_client_resource("DATA") < 3)
			bail(1, "sbx_client_resource(DATA)");
		return 0;
	}
	if (r < 0)
		bail(1, "sbx_client_init: %s", strerror(-r));
	if (strcmp(what, "open") == 0) {
		int fd = sbx_client_open(&c, "DATA", "a.txt", SBX_CLIENT_READ, 0);
		if (fd < 0)
			bail(1, "sbx_client_open DATA/a.txt: %s", strerror(-fd));
		expect_content(fd, CONTENT, "client a.txt");
		close(fd);
		fd = sbx_client_open(&c, "DEEP", "sub/b.txt", SBX_CLIENT_READ, 0);
		if (fd < 0)
			bail(1, "sbx_client_open DEEP/sub/b.txt: %s", strerror(-fd));
		expect_content(fd, "b\n", "client sub/b.txt");
		close(fd);
		char name[64];
		snprintf(name, sizeof(name), "client-%d.out", (int)getpid());
		fd = sbx_client_open(&c, "RWC", name, SBX_CLIENT_WRITE | SBX_CLIENT_CREATE, 0600);
		if (fd < 0)
			bail(1, "sbx_client_open RWC create: %s", strerror(-fd));
		close(fd);
		if ((r = sbx_client_log(&c, 0, "client log")) != 0)
			bail(1, "sbx_client_log: %d", r);
		char longtext[2000];
		memset(longtext, 'L', sizeof(longtext) - 1);
		longtext[sizeof(longtext) - 1] = '\0';
		if ((r = sbx_client_log(&c, 7, longtext)) != 0)
			bail(1, "sbx_client_log of a long text at level 7: %d", r);
		if ((r = sbx_client_done(&c)) != 0)
			bail(1, "sbx_client_done: %d", r);
		if ((r = sbx_client_log(&c, 1, "log after done")) != 0)
			bail(1, "sbx_client_log after done: %d", r);
		return 0;
	}
	if (strcmp(what, "refused") == 0) {
		expect_errno(sbx_client_open(&c, "DATA", "../out/secret", SBX_CLIENT_READ, 0), EACCES, "client ..");
		expect_errno(sbx_client_open(&c, "DOTS", "sub/../../out/secret", SBX_CLIENT_READ, 0), EACCES,
			     "client .. past the grant");
		expect_errno(sbx_client_open(&c, "DATA", "lnk-out", SBX_CLIENT_READ, 0), ELOOP, "client symlink");
		expect_errno(sbx_client_open(&c, "ROOTL", "lnk-root/etc/passwd", SBX_CLIENT_READ, 0), ELOOP,
			     "client /proc/self/root");
		expect_errno(sbx_client_open(&c, "DATA", "a.txt", SBX_CLIENT_WRITE, 0), EACCES, "client write on ro");
		expect_errno(sbx_client_open(&c, "RW", "y.out", SBX_CLIENT_WRITE | SBX_CLIENT_CREATE, 0600), EACCES,
			     "client create without create");
		expect_errno(sbx_client_open(&c, "DATA", "/etc/passwd", SBX_CLIENT_READ, 0), EACCES, "client absolute");
		char longpath[2000];
		memset(longpath, 'p', sizeof(longpath) - 1);
		longpath[sizeof(longpath) - 1] = '\0';
		expect_errno(sbx_client_open(&c, "DATA", longpath, SBX_CLIENT_READ, 0), ENAMETOOLONG, "client long path");
		expect_errno(sbx_client_capture(&c, "NOPE"), EACCES, "client capture of an unknown resource");
		/* Still served. */
		int fd = sbx_client_open(&c, "DATA", "a.txt", SBX_CLIENT_READ, 0);
		if (fd < 0)
			bail(1, "client open after refusals: %s", strerror(-fd));
		close(fd);
		return 0;
	}
	if (strcmp(what, "after-done") == 0) {
		if ((r = sbx_client_done(&c)) != 0)
			bail(1, "sbx_client_done: %d", r);
		r = sbx_client_open(&c, "DATA", "a.txt", SBX_CLIENT_READ, 0);
		/* The broker kills us: we never see r unless it did not. */
		bail(2, "sbx_client_open after done returned %d instead of the broker killing us", r);
	}
	if (strcmp(what, "receive") == 0) {
		char name[SBX_REQ_NAME_MAX];
		int fd = sbx_client_receive_fd(&c, name, sizeof(name));
		if (fd < 0)
			bail(1, "sbx_client_receive_fd: %s", strerror(-fd));
		if (strcmp(name, "gift") != 0)
			bail(1, "pushed fd named '%s'", name);
		char buf[32] = "";
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		if (n != 7 || memcmp(buf, "pushed\n", 7) != 0)
			bail(1, "pushed fd reads '%.*s'", (int)(n > 0 ? n : 0), buf);
		close(fd);
		return 0;
	}
	if (strcmp(what, "push-race") == 0) {
		/* The host pushed an fd before we ask for anything (the test does so at spawn). A
		 * client that takes the push for the reply may fail this one call, but must not stay
		 * out of step with the broker for every call after it. */
		usleep(300 * 1000);
		int first = sbx_client_open(&c, "DATA", "a.txt", SBX_CLIENT_READ, 0);
		if (first >= 0)
			close(first);
		int second = sbx_client_open(&c, "DATA", "a.txt", SBX_CLIENT_READ, 0);
		if (second < 0)
			bail(1, "after a pushed fd: first open %s, second open %s (the client is out of step with the broker)",
			     first >= 0 ? "ok" : strerror(-first), strerror(-second));
		close(second);
		return 0;
	}
	if (strcmp(what, "capture") == 0) {
		int fd = sbx_client_capture(&c, "CAP");
		if (fd < 0)
			bail(1, "sbx_client_capture CAP: %s", strerror(-fd));
		close(fd);
		return 0;
	}
	bail(64, "unknown client subcommand %s", what);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		bail(64, "usage: hostile SUBCOMMAND");
	const char *cmd = argv[1];
	if (strcmp(cmd, "client") == 0)
		return argc > 2 ? cmd_client(argv[2]) : 64;
	find_broker();
	if (strcmp(cmd, "good") == 0)
		return cmd_good();
	if (strcmp(cmd, "open") == 0)
		return cmd_open();
	if (strcmp(cmd, "log") == 0)
		return cmd_log();
	if (strcmp(cmd, "done") == 0)
		return cmd_done();
	if (strcmp(cmd, "capture") == 0)
		return cmd_capture();
	if (strcmp(cmd, "escapes") == 0)
		return cmd_escapes();
	if (strcmp(cmd, "fifo-read") == 0)
		return cmd_fifo_read();
	if (strcmp(cmd, "fifo-write") == 0)
		return cmd_fifo_write("RW", SBX_OPEN_WRITE);
	if (strcmp(cmd, "fifo-create") == 0)
		return cmd_fifo_write("RWC", SBX_OPEN_WRITE | SBX_OPEN_CREATE);
	if (strcmp(cmd, "dirfd-escape") == 0)
		return cmd_dirfd_escape();
	if (strcmp(cmd, "fd-quota") == 0)
		return cmd_fd_quota();
	if (strcmp(cmd, "version-old") == 0)
		return cmd_version(0);
	if (strcmp(cmd, "version-next") == 0)
		return cmd_version(SBX_REQ_VERSION + 1);
	violate(cmd);
	return 1;
}
