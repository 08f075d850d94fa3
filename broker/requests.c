/* SPDX-License-Identifier: MIT */
#include "requests.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include "broker/export.h"
#include "broker/worker.h"
#include "common/fdpass.h"
#include "common/util.h"

static bool nul_terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

/* The audit line for a version mismatch. Per thread: brokers in several threads decode at once. */
static const char *version_why(unsigned worker)
{
	static _Thread_local char why[80];
	snprintf(why, sizeof(why), "worker speaks request protocol version %u, broker speaks %u", worker,
		 SBX_REQ_VERSION);
	return why;
}

int sbx_req_decode(const void *buf, size_t len, size_t n_fds, int msg_flags, enum sbx_req_state state,
		   union sbx_req *out, const char **why)
{
	if (msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		*why = "truncated datagram or control data";
		return -EPROTO;
	}
	if (n_fds) {
		*why = "a worker never sends file descriptors";
		return -EPROTO;
	}
	if (len < sizeof(struct sbx_req_hdr) || len > SBX_REQ_MAX) {
		*why = "datagram size out of range";
		return -EPROTO;
	}
	struct sbx_req_hdr h;
	memcpy(&h, buf, sizeof(h));
	if (h.len != len) {
		*why = "header length does not match the datagram";
		return -EPROTO;
	}
	/* Nothing past the header means anything in another version: no further checks. */
	if (h.version != SBX_REQ_VERSION) {
		memset(out, 0, sizeof(*out));
		out->h = h;
		*why = version_why(h.version);
		return -EPROTONOSUPPORT;
	}
	if (h.type >= 32 || (unsigned)state > SBX_REQ_STATE_LOCKED || !(sbx_req_allowed[state] & (1u << h.type))) {
		*why = h.type == SBX_REQ_OPEN || h.type == SBX_REQ_CAPTURE || h.type == SBX_REQ_DONE
			       ? "request not allowed in this state"
			       : "unknown request type";
		return -EPROTO;
	}
	size_t want;
	switch (h.type) {
	case SBX_REQ_OPEN: want = sizeof(struct sbx_req_open); break;
	case SBX_REQ_CAPTURE: want = sizeof(struct sbx_req_capture); break;
	case SBX_REQ_LOG: want = sizeof(struct sbx_req_log); break;
	case SBX_REQ_DONE: want = sizeof(struct sbx_req_hdr); break;
	default:
		*why = "unknown request type";
		return -EPROTO;
	}
	if (len != want) {
		*why = "wrong size for the request type";
		return -EPROTO;
	}
	memset(out, 0, sizeof(*out));
	memcpy(out, buf, len);
	switch (h.type) {
	case SBX_REQ_OPEN:
		if (!nul_terminated(out->open.dir, sizeof(out->open.dir)) ||
		    !nul_terminated(out->open.path, sizeof(out->open.path))) {
			*why = "string not NUL-terminated";
			return -EPROTO;
		}
		if (out->open.flags & ~SBX_OPEN_ALL || !(out->open.flags & (SBX_OPEN_READ | SBX_OPEN_WRITE | SBX_OPEN_DIRECTORY))) {
			*why = "bad open flags";
			return -EPROTO;
		}
		break;
	case SBX_REQ_CAPTURE:
		if (!nul_terminated(out->capture.name, sizeof(out->capture.name))) {
			*why = "string not NUL-terminated";
			return -EPROTO;
		}
		break;
	case SBX_REQ_LOG:
		if (!nul_terminated(out->log.text, sizeof(out->log.text)) || out->log.level > 2 || out->log.reserved) {
			*why = "malformed log request";
			return -EPROTO;
		}
		break;
	}
	return 0;
}

int sbx_req_refuse_version(int fd, const struct sbx_req_hdr *req)
{
	struct sbx_rep rep;
	memset(&rep, 0, sizeof(rep));
	/* In the worker's version, so that its client reads the refusal as an answer to its
	 * request; the header and struct sbx_rep have not changed since version 0. */
	rep.h = (struct sbx_req_hdr){ .type = SBX_REP_ERROR, .version = req->version, .len = sizeof(rep), .id = req->id };
	rep.error = EPROTONOSUPPORT;
	/* Never blocking, like every reply: a worker that does not read them is flooding. */
	ssize_t n = send(fd, &rep, sizeof(rep), MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0)
		return -errno;
	return n == (ssize_t)sizeof(rep) ? 0 : -EIO;
}

/* The grant's decision on req: 0, or -EACCES with *by_grant set when the grant's mode or pattern
 * refuses it, or -EACCES/-EINVAL when the request has a shape no grant answers. */
static int decide(const struct sbx_req_open *req, const struct sbx_resource *dir, char *rule, size_t rule_len,
		  bool *by_grant)
{
	const char *pattern = dir->pattern ? dir->pattern : "*";
	unsigned allowed = dir->flags;
	char mode[8];
	snprintf(mode, sizeof(mode), "%s%s%s", allowed & SBX_ACCESS_READ ? "r" : "", allowed & SBX_ACCESS_WRITE ? "w" : "",
		 allowed & SBX_ACCESS_CREATE ? "c" : "");
	snprintf(rule, rule_len, "dir %s=%s:%s pattern '%s'", dir->name, dir->target, mode, pattern);

	unsigned want = req->flags;
	/* A directory fd from the host's mount would lead anywhere by "..": none are handed out by
	 * request. (A directory resource without a pattern is itself handed over, through a clone
	 * of its mount that confines "..".) */
	if (want & SBX_OPEN_DIRECTORY) {
		snprintf(rule + strlen(rule), rule_len - strlen(rule), "; directories are not handed out by request");
		return -EACCES;
	}
	/* TRUNC and CREATE need WRITE; DIRECTORY is a read. */
	if ((want & (SBX_OPEN_CREATE | SBX_OPEN_TRUNC)) && !(want & SBX_OPEN_WRITE))
		return -EINVAL;
	unsigned need = want & (SBX_OPEN_READ | SBX_OPEN_WRITE | SBX_OPEN_CREATE);
	if (want & SBX_OPEN_TRUNC)
		need |= SBX_OPEN_WRITE;
	if ((need & allowed) != need) {
		*by_grant = true;
		return -EACCES;
	}
	if (req->path[0] == '\0' || req->path[0] == '/')
		return -EACCES;
	/* The pattern is matched against the path as written: "sub/../x" could match a pattern the
	 * file it names does not. Only plain relative paths: no ".", "..", or empty components. */
	for (const char *c = req->path; *c;) {
		size_t n = strcspn(c, "/");
		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.')) {
			snprintf(rule + strlen(rule), rule_len - strlen(rule), "; no '.', '..' or empty path components");
			return -EACCES;
		}
		c += n;
		if (*c == '/')
			c++;
	}
	/* FNM_PATHNAME: '*' does not cross '/'; FNM_PERIOD: hidden files need an explicit dot. */
	if (fnmatch(pattern, req->path, FNM_PATHNAME | FNM_PERIOD) != 0) {
		*by_grant = true;
		return -EACCES;
	}
	return 0;
}

/* openat2() below dirfd: "..", symlinks, /proc magic links and other mounts lead nowhere. */
static int open_below(int dirfd, const struct sbx_req_open *req, int oflags_extra, char *rule, size_t rule_len)
{
	unsigned want = req->flags;
	struct open_how how;
	memset(&how, 0, sizeof(how));
	bool rd = want & (SBX_OPEN_READ | SBX_OPEN_DIRECTORY), wr = want & SBX_OPEN_WRITE;
	how.flags = O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | (rd && wr ? O_RDWR : wr ? O_WRONLY : O_RDONLY);
	how.flags |= (unsigned)oflags_extra & SBX_OPEN_EXTRA_OFLAGS;
	if (want & SBX_OPEN_CREATE)
		how.flags |= O_CREAT;
	if (want & SBX_OPEN_TRUNC)
		how.flags |= O_TRUNC;
	if (want & SBX_OPEN_DIRECTORY)
		how.flags |= O_DIRECTORY;
	/* A FIFO planted in the tree must not hang the broker: never block in open. */
	how.flags |= O_NONBLOCK;
	if (want & SBX_OPEN_CREATE)
		how.mode = req->mode & 0666;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
	long fd = syscall(SYS_openat2, dirfd, req->path, &how, sizeof(how));
	if (fd < 0)
		return -errno;
	/* Only regular files (docs/policy.md): not FIFOs, sockets or device nodes someone planted
	 * in the tree, and not directories, whose fd would let the worker fchdir() there and reach
	 * the host beyond its grant through '..' with the calls Landlock does not govern (chmod,
	 * utime, stat). */
	struct stat st;
	if (fstat((int)fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close((int)fd);
		snprintf(rule + strlen(rule), rule_len - strlen(rule), "; only regular files");
		return -EACCES;
	}
	int fl = fcntl((int)fd, F_GETFL);
	if (fl >= 0 && !(oflags_extra & O_NONBLOCK))
		(void)fcntl((int)fd, F_SETFL, fl & ~O_NONBLOCK);
	return (int)fd;
}

int sbx_req_open_as(const struct sbx_req_open *req, int oflags_extra, const struct sbx_resource *res, size_t n_res,
		    const int *res_fds, char *rule, size_t rule_len, bool *by_grant)
{
	bool dummy = false;
	if (!by_grant)
		by_grant = &dummy;
	*by_grant = false;
	for (size_t i = 0; i < n_res; i++) {
		if (res[i].kind != SBX_RES_DIR || strcmp(res[i].name, req->dir) != 0)
			continue;
		if (res_fds[i] < 0)
			break;
		int r = decide(req, &res[i], rule, rule_len, by_grant);
		return r < 0 ? r : open_below(res_fds[i], req, oflags_extra, rule, rule_len);
	}
	snprintf(rule, rule_len, "no directory resource named '%s'", req->dir);
	return -EACCES;
}

int sbx_req_open(const struct sbx_req_open *req, const struct sbx_resource *res, size_t n_res,
		 const int *res_fds, char *rule, size_t rule_len)
{
	return sbx_req_open_as(req, 0, res, n_res, res_fds, rule, rule_len, NULL);
}

int sbx_worker_open(struct sbx_worker *w, const struct sbx_req_open *req, int oflags_extra, char *rule,
		    size_t rule_len, bool *by_grant)
{
	struct sbx_grants *g = &w->grants;
	int fd = sbx_req_open_as(req, oflags_extra, g->res, g->n, g->fds, rule, rule_len, by_grant);
	/* A grant's own count, on top of the per-worker quota. */
	for (size_t i = 0; fd >= 0 && i < g->n; i++) {
		if (g->res[i].kind != SBX_RES_DIR || strcmp(g->res[i].name, req->dir) != 0)
			continue;
		if (g->res[i].max_opens && g->opens[i] >= g->res[i].max_opens) {
			close(fd);
			fd = -EDQUOT;
			snprintf(rule + strlen(rule), rule_len - strlen(rule), "; max %u opens reached",
				 g->res[i].max_opens);
		} else {
			g->opens[i]++;
		}
	}
	if (fd >= 0 && w->req.n_granted >= SBX_REQ_FD_QUOTA) {
		close(fd);
		fd = -EMFILE;
		snprintf(rule, rule_len, "per-worker fd quota");
	}
	return fd;
}

/* ---- serving a worker: answers by its grants, every decision audited ---- */


static void request_violation(struct sbx_worker *w, const char *why)
{
	if (!w->facts.req_violation) {
		w->facts.req_violation = true;
		snprintf(w->facts.req_why, sizeof(w->facts.req_why), "%s", why);
		sbx_worker_audit(w, "protocol", why, false, EPROTO, "malformed, out-of-state or flooding requests kill the worker");
	}
	sbx_event_freep(&w->req.ev);
	sbx_worker_kill(w);
}

/* Send one reply, never blocking: a worker that does not read its replies is flooding. */
static int send_reply(struct sbx_worker *w, uint32_t type, uint64_t id, int error, const char *name, int fd)
{
	struct sbx_rep rep;
	memset(&rep, 0, sizeof(rep));
	rep.h.type = type;
	rep.h.version = SBX_REQ_VERSION;
	rep.h.len = sizeof(rep);
	rep.h.id = id;
	rep.error = error;
	if (name)
		sbx_strlcpy(rep.name, name, sizeof(rep.name));
	return sbx_send_fd(w->req.fd, &rep, sizeof(rep), fd, MSG_DONTWAIT);
}

static void answer_fd(struct sbx_worker *w, const union sbx_req *req, const char *what, const char *target,
		      int fd, const char *rule)
{
	if (fd >= 0 && w->req.n_granted >= SBX_REQ_FD_QUOTA) {
		close(fd);
		fd = -EMFILE;
		rule = "per-worker fd quota";
	}
	int r = fd >= 0 ? send_reply(w, SBX_REP_FD, req->h.id, 0, NULL, fd)
			: send_reply(w, SBX_REP_ERROR, req->h.id, -fd, NULL, -1);
	sbx_worker_audit(w, what, target, fd >= 0, fd >= 0 ? 0 : -fd, rule);
	if (fd >= 0) {
		close(fd); /* the worker has its own copy now */
		w->req.n_granted++;
	}
	if (r < 0)
		request_violation(w, "worker does not read its replies");
}

/* One handler per request type: a new brokered call is a row of this table plus a handler
 * (and its decoder case in sbx_req_decode, its state bits in common/protocol.h). */

static void answer_open(struct sbx_worker *w, const union sbx_req *req)
{
	char rule[256];
	int fd = sbx_worker_open(w, &req->open, 0, rule, sizeof(rule), NULL);
	char target[SBX_REQ_NAME_MAX + SBX_REQ_PATH_MAX + 2];
	snprintf(target, sizeof(target), "%s/%s", req->open.dir, req->open.path);
	answer_fd(w, req, "open", target, fd, rule);
}

static void answer_capture(struct sbx_worker *w, const union sbx_req *req)
{
	char rule[256];
	const struct sbx_resource *res = sbx_grants_find(&w->grants, SBX_RES_CAPTURE, req->capture.name);
	int fd;
	if (!res) {
		snprintf(rule, sizeof(rule), "no capture resource named '%s'", req->capture.name);
		fd = -EACCES;
	} else {
		snprintf(rule, sizeof(rule), "capture %s=%s%s%s", res->name, res->target, res->filter ? " filter " : "",
			 res->filter ? res->filter : "");
		fd = sbx_capture_open(res->target, res->promisc, res->filter, NULL); /* answered by its errno */
	}
	answer_fd(w, req, "capture", req->capture.name, fd, rule);
}

static void answer_ok(struct sbx_worker *w, const union sbx_req *req)
{
	if (send_reply(w, SBX_REP_OK, req->h.id, 0, NULL, -1) < 0)
		request_violation(w, "worker does not read its replies");
}

static void answer_log(struct sbx_worker *w, const union sbx_req *req)
{
	static const char *const levels[] = { "info", "warning", "error" };
	sbx_worker_audit(w, "log", req->log.text, true, 0, levels[req->log.level]); /* level <= 2: decoded */
	answer_ok(w, req);
}

static void answer_done(struct sbx_worker *w, const union sbx_req *req)
{
	w->req.state = SBX_REQ_STATE_LOCKED;
	sbx_worker_audit(w, "done", "no further fd requests", true, 0, "state RUN -> LOCKED");
	answer_ok(w, req);
}

static void (*const answers[])(struct sbx_worker *, const union sbx_req *) = {
	[SBX_REQ_OPEN] = answer_open,
	[SBX_REQ_CAPTURE] = answer_capture,
	[SBX_REQ_LOG] = answer_log,
	[SBX_REQ_DONE] = answer_done,
};

/* Flooding: more than SBX_REQ_QUOTA requests in all, or SBX_REQ_BURST in a second. */
static bool over_quota(struct sbx_worker *w)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t t = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
	if (t - w->req.burst_start_ms >= 1000) {
		w->req.burst_start_ms = t;
		w->req.burst = 0;
	}
	return ++w->req.n_requests > SBX_REQ_QUOTA || ++w->req.burst > SBX_REQ_BURST;
}


static void on_request(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct sbx_worker *w = arg;
	for (int budget = 64; budget > 0 && w->req.ev; budget--) {
		/* One byte more than the largest message: a longer datagram shows as MSG_TRUNC. */
		char buf[SBX_REQ_MAX + 1];
		struct sbx_recv rv;
		int r = sbx_recv_fds(fd, buf, sizeof(buf), MSG_DONTWAIT, &rv);
		if (r < 0) {
			if (r != -EAGAIN)
				sbx_event_freep(&w->req.ev);
			return;
		}
		/* A worker never sends fds: any that came are closed unseen, and counted. */
		size_t n_fds = rv.n_fds + (rv.bad_control ? 1 : 0);
		sbx_recv_close(&rv);
		ssize_t n = rv.len;
		if (n == 0) {
			/* SEQPACKET: 0 is either the worker closing its end or an empty datagram. */
			struct pollfd p = { .fd = fd, .events = POLLRDHUP };
			if (poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP))) {
				sbx_event_freep(&w->req.ev);
				return;
			}
			return request_violation(w, "datagram size out of range (empty)");
		}
		if (over_quota(w))
			return request_violation(w, "request quota exceeded (flooding)");
		union sbx_req req;
		const char *why = NULL;
		r = sbx_req_decode(buf, (size_t)n, n_fds, rv.truncated ? MSG_TRUNC : 0, w->req.state, &req, &why);
		if (r == -EPROTONOSUPPORT) {
			/* Another libsbx-client: told, in its own version, rather than killed. */
			sbx_worker_audit(w, "protocol", why, false, EPROTONOSUPPORT, "the broker's request protocol version");
			if (sbx_req_refuse_version(w->req.fd, &req.h) < 0)
				return request_violation(w, "worker does not read its replies");
			continue;
		}
		if (r < 0)
			return request_violation(w, why);
		if (req.h.type >= SBX_ARRAY_SIZE(answers) || !answers[req.h.type])
			return request_violation(w, "request type without a handler"); /* the decoder let it by */
		answers[req.h.type](w, &req);
	}
}

SBX_EXPORT int sbx_worker_send_fd(struct sbx_worker *w, const char *name, int fd)
{
	if (!w || !name || fd < 0 || strlen(name) >= SBX_REQ_NAME_MAX)
		return -EINVAL;
	if (w->done || w->req.fd < 0)
		return w->req.fd < 0 ? -ENOTCONN : -ESRCH;
	int r = send_reply(w, SBX_PUSH_FD, 0, 0, name, fd);
	sbx_worker_audit(w, "push", name, r == 0, r < 0 ? -r : 0, "sbx_worker_send_fd by the host application");
	return r;
}


int sbx_requests_watch(struct sbx_worker *w)
{
	if (w->req.fd < 0)
		return 0;
	w->req.ev = event_new(w->base, w->req.fd, EV_READ | EV_PERSIST, on_request, w);
	if (!w->req.ev || event_add(w->req.ev, NULL) < 0)
		return -ENOMEM;
	return 0;
}
