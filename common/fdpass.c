/* SPDX-License-Identifier: MIT */
#include "fdpass.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int sbx_send_fds(int sock, const void *buf, size_t len, const int *fds, size_t n_fds, int flags)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	union {
		char buf[CMSG_SPACE(sizeof(int) * SBX_SEND_FDS_MAX)];
		struct cmsghdr align;
	} control;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (n_fds > SBX_SEND_FDS_MAX)
		return -E2BIG;
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
	for (;;) {
		ssize_t n = sendmsg(sock, &mh, flags | MSG_NOSIGNAL);
		if (n == (ssize_t)len)
			return 0;
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 ? -errno : -EIO;
	}
}

int sbx_send_fd(int sock, const void *buf, size_t len, int fd, int flags)
{
	return sbx_send_fds(sock, buf, len, &fd, fd >= 0 ? 1 : 0, flags);
}

int sbx_recv_fds(int sock, void *buf, size_t len, int flags, struct sbx_recv *r)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 8) + CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} control;
	memset(r, 0, sizeof(*r));
	for (;;) {
		struct iovec iov = { .iov_base = buf, .iov_len = len };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
				     .msg_controllen = sizeof(control.buf) };
		ssize_t n = recvmsg(sock, &mh, flags | MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		r->len = n;
		r->truncated = (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
			    c->cmsg_len == CMSG_LEN(sizeof(struct ucred))) {
				struct ucred uc;
				memcpy(&uc, CMSG_DATA(c), sizeof(uc));
				r->pid = uc.pid;
				continue;
			}
			if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len < CMSG_LEN(0)) {
				r->bad_control = true;
				continue;
			}
			size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < k; i++) {
				int f;
				memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
				if (r->n_fds < sizeof(r->fds) / sizeof(r->fds[0])) {
					r->fds[r->n_fds++] = f;
				} else {
					close(f);
					r->bad_control = true;
				}
			}
		}
		return 0;
	}
}

void sbx_recv_close(struct sbx_recv *r)
{
	for (size_t i = 0; i < r->n_fds; i++) {
		if (r->fds[i] >= 0)
			close(r->fds[i]);
		r->fds[i] = -1;
	}
}
