/* SPDX-License-Identifier: MIT */
#include "notify.h"

#include <errno.h>
#include <poll.h>
#include <seccomp.h>
#include <string.h>
#include <sys/ioctl.h>

int sbx_notify_init(struct sbx_notify *n)
{
	n->req = NULL;
	n->resp = NULL;
	int r = seccomp_notify_alloc(&n->req, &n->resp);
	return r < 0 ? r : 0;
}

void sbx_notify_done(struct sbx_notify *n)
{
	if (n->req || n->resp)
		seccomp_notify_free(n->req, n->resp);
	n->req = NULL;
	n->resp = NULL;
}

int sbx_notify_receive(struct sbx_notify *n, int fd)
{
	/* RECV blocks when nothing is queued; POLLHUP alone means the filter has no users. */
	struct pollfd p = { .fd = fd, .events = POLLIN };
	if (poll(&p, 1, 0) < 0)
		return errno == EINTR ? 0 : -errno;
	if (!(p.revents & POLLIN))
		return 0;
	/* Raw ioctls: libseccomp 2.5 folds every failure into -ECANCELED, and ENOENT (the task
	 * went away) must not be mistaken for a broken listener. */
	memset(n->req, 0, sizeof(*n->req));
	if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, n->req) < 0)
		return (errno == ENOENT || errno == EINTR) ? 0 : -errno;
	return 1;
}

int sbx_notify_continue(struct sbx_notify *n, int fd)
{
	memset(n->resp, 0, sizeof(*n->resp));
	n->resp->id = n->req->id;
	n->resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	if (ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, n->resp) < 0)
		return errno == ENOENT ? 0 : -errno;
	return 0;
}
