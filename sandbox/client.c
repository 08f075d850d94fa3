/* SPDX-License-Identifier: MIT */
/* The worker side of the request protocol (common/protocol.h). The broker does not trust us;
 * we do not trust its replies blindly either: exact sizes, matching ids, fds only where one is
 * expected, every fd received with MSG_CMSG_CLOEXEC and closed when unexpected. */
#include "sbx-client.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/fdpass.h"
#include "common/protocol.h"

_Static_assert(SBX_CLIENT_READ == SBX_OPEN_READ && SBX_CLIENT_WRITE == SBX_OPEN_WRITE &&
		       SBX_CLIENT_CREATE == SBX_OPEN_CREATE && SBX_CLIENT_TRUNC == SBX_OPEN_TRUNC &&
		       SBX_CLIENT_DIRECTORY == SBX_OPEN_DIRECTORY,
	       "client flags are the wire flags");

static int parse_number(const char *s)
{
	if (!s || !*s)
		return -ENOENT;
	long v = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 1000000)
			return -EINVAL;
		v = v * 10 + (*s - '0');
	}
	return (int)v;
}

int sbx_client_resource(const char *name)
{
	char var[96];
	size_t n = strlen(name);
	if (n == 0 || n > 63)
		return -EINVAL;
	memcpy(var, "SBX_FD_", 7);
	memcpy(var + 7, name, n + 1);
	return parse_number(getenv(var));
}

int sbx_client_init(struct sbx_client *c)
{
	c->fd = -1;
	c->next_id = 1;
	c->n_pushed = 0;
	int fd = parse_number(getenv("SBX_FD_BROKER"));
	if (fd < 0)
		return fd == -ENOENT ? -ENOTCONN : fd;
	/* Every versioned broker announces its version beside SBX_FD_BROKER. Unset: a broker from
	 * before versioning, which would kill us for our first request (it reads our version field
	 * as part of an unknown type): refuse here instead. */
	int version = parse_number(getenv("SBX_BROKER_PROTOCOL"));
	if (version != SBX_REQ_VERSION)
		return -EPROTONOSUPPORT;
	c->fd = fd;
	return 0;
}

static int send_req(struct sbx_client *c, const void *req, size_t len)
{
	if (c->fd < 0)
		return -ENOTCONN;
	return sbx_send_fd(c->fd, req, len, -1, 0);
}

/* Receive one reply; *fd gets a passed fd or -1. Unexpected extra fds are closed. */
static int recv_rep(struct sbx_client *c, struct sbx_rep *rep, int *fd)
{
	struct sbx_recv rv;
	*fd = -1;
	int r = sbx_recv_fds(c->fd, rep, sizeof(*rep), 0, &rv);
	if (r < 0)
		return r;
	if (rv.len == 0 && rv.n_fds == 0)
		return -ECONNRESET;
	if (rv.len != (ssize_t)sizeof(*rep) || rep->h.len != sizeof(*rep) || rep->h.version != SBX_REQ_VERSION ||
	    rv.truncated || rv.bad_control || rv.n_fds > 1 || memchr(rep->name, '\0', sizeof(rep->name)) == NULL) {
		sbx_recv_close(&rv);
		return -EPROTO;
	}
	if (rv.n_fds == 1) {
		*fd = rv.fds[0];
		rv.fds[0] = -1;
	}
	return 0;
}

/* A request that expects SBX_REP_FD / SBX_REP_ERROR / SBX_REP_OK with the same id. Pushed fds
 * arriving meanwhile are not expected by this simple client: they are an error. */
static int transact(struct sbx_client *c, void *req, size_t len, bool want_fd)
{
	struct sbx_req_hdr *h = req;
	h->version = SBX_REQ_VERSION;
	h->len = (uint32_t)len;
	h->id = c->next_id++;
	int r = send_req(c, req, len);
	if (r < 0)
		return r;
	struct sbx_rep rep;
	int fd;
	for (;;) {
		if ((r = recv_rep(c, &rep, &fd)) < 0)
			return r;
		if (rep.h.type != SBX_PUSH_FD)
			break;
		/* The host handed us an fd meanwhile: keep it for sbx_client_receive_fd. */
		if (fd < 0 || c->n_pushed >= SBX_CLIENT_PUSH_QUEUE) {
			if (fd >= 0)
				close(fd);
			return -EPROTO;
		}
		c->pushed[c->n_pushed] = fd;
		memcpy(c->pushed_name[c->n_pushed], rep.name, sizeof(rep.name));
		c->n_pushed++;
	}
	if (rep.h.id != h->id) {
		if (fd >= 0)
			close(fd);
		return -EPROTO;
	}
	switch (rep.h.type) {
	case SBX_REP_FD:
		if (!want_fd || fd < 0)
			break;
		return fd;
	case SBX_REP_ERROR:
		if (fd >= 0 || rep.error <= 0 || rep.error > 4095)
			break;
		return -rep.error;
	case SBX_REP_OK:
		if (want_fd || fd >= 0)
			break;
		return 0;
	}
	if (fd >= 0)
		close(fd);
	return -EPROTO;
}

static int copy_str(char *dst, size_t size, const char *src)
{
	size_t n = src ? strlen(src) : 0;
	if (n >= size)
		return -ENAMETOOLONG;
	memcpy(dst, src ? src : "", n + 1);
	return 0;
}

int sbx_client_open(struct sbx_client *c, const char *dir, const char *path, unsigned flags, unsigned mode)
{
	struct sbx_req_open req;
	memset(&req, 0, sizeof(req));
	req.h.type = SBX_REQ_OPEN;
	req.flags = flags;
	req.mode = mode;
	if (copy_str(req.dir, sizeof(req.dir), dir) < 0 || copy_str(req.path, sizeof(req.path), path) < 0)
		return -ENAMETOOLONG;
	return transact(c, &req, sizeof(req), true);
}

int sbx_client_capture(struct sbx_client *c, const char *name)
{
	struct sbx_req_capture req;
	memset(&req, 0, sizeof(req));
	req.h.type = SBX_REQ_CAPTURE;
	if (copy_str(req.name, sizeof(req.name), name) < 0)
		return -ENAMETOOLONG;
	return transact(c, &req, sizeof(req), true);
}

int sbx_client_log(struct sbx_client *c, unsigned level, const char *text)
{
	struct sbx_req_log req;
	memset(&req, 0, sizeof(req));
	req.h.type = SBX_REQ_LOG;
	req.level = level > 2 ? 2 : level;
	/* Long texts are cut, not refused: a log line is not worth failing for. */
	size_t n = strlen(text ? text : "");
	if (n >= sizeof(req.text))
		n = sizeof(req.text) - 1;
	memcpy(req.text, text ? text : "", n);
	return transact(c, &req, sizeof(req), false);
}

int sbx_client_done(struct sbx_client *c)
{
	struct sbx_req_hdr req;
	memset(&req, 0, sizeof(req));
	req.type = SBX_REQ_DONE;
	return transact(c, &req, sizeof(req), false);
}

int sbx_client_receive_fd(struct sbx_client *c, char *name, size_t name_len)
{
	if (c->fd < 0)
		return -ENOTCONN;
	struct sbx_rep rep;
	int fd, r;
	if (c->n_pushed) {
		fd = c->pushed[0];
		memcpy(rep.name, c->pushed_name[0], sizeof(rep.name));
		c->n_pushed--;
		memmove(c->pushed, c->pushed + 1, c->n_pushed * sizeof(c->pushed[0]));
		memmove(c->pushed_name, c->pushed_name + 1, c->n_pushed * sizeof(c->pushed_name[0]));
	} else {
		if ((r = recv_rep(c, &rep, &fd)) < 0)
			return r;
		if (rep.h.type != SBX_PUSH_FD || fd < 0) {
			if (fd >= 0)
				close(fd);
			return -EPROTO;
		}
	}
	if (name && name_len) {
		size_t n = strlen(rep.name);
		if (n >= name_len)
			n = name_len - 1;
		memcpy(name, rep.name, n);
		name[n] = '\0';
	}
	return fd;
}
