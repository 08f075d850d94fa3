/* SPDX-License-Identifier: MIT */
/* Sending and receiving one datagram with file descriptors (SCM_RIGHTS), in one place for the
 * broker, the sandbox side and the client library. Receiving always uses MSG_CMSG_CLOEXEC,
 * collects every fd that came (so none leaks whatever the caller decides) and reports anything
 * unexpected in the control data; the caller checks sizes and counts against its protocol. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* sendmsg(sock, buf/len) with fd attached when fd >= 0. flags: e.g. MSG_DONTWAIT. MSG_NOSIGNAL
 * is always added. Retries on EINTR. Returns 0 when the whole datagram went, else -errno
 * (-EIO for a short send). */
int sbx_send_fd(int sock, const void *buf, size_t len, int fd, int flags);
/* The same with n_fds (at most SBX_SEND_FDS_MAX) fds in one SCM_RIGHTS message. */
#define SBX_SEND_FDS_MAX 8
int sbx_send_fds(int sock, const void *buf, size_t len, const int *fds, size_t n_fds, int flags);

struct sbx_recv {
	ssize_t len;        /* bytes received (0: EOF or an empty datagram) */
	int fds[8];         /* received fds, close-on-exec; the caller owns them */
	size_t n_fds;
	pid_t pid;          /* SCM_CREDENTIALS (SO_PASSCRED on sock): the sender's pid, else 0 */
	bool bad_control;   /* a control message that is not SCM_RIGHTS or SCM_CREDENTIALS, or
	                       more fds than fit */
	bool truncated;     /* MSG_TRUNC or MSG_CTRUNC: the datagram or its fds did not fit */
};

/* recvmsg(sock) into buf (size len). flags: e.g. MSG_DONTWAIT. Returns 0 with *r filled, or
 * -errno (EINTR is retried). Extra fds beyond 8 are closed and flagged as bad_control. */
int sbx_recv_fds(int sock, void *buf, size_t len, int flags, struct sbx_recv *r);

/* Close every fd in r (those the caller did not take: set taken ones to -1 first). */
void sbx_recv_close(struct sbx_recv *r);
