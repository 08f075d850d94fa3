/* SPDX-License-Identifier: MIT */
/* libsbx-client: for a program running as an sbx worker, to ask its broker for more.
 * No dependency beyond libc; no allocation; no global state but what you pass in.
 * All functions return 0 or an fd (>= 0) on success and a negative errno on failure:
 *   -ENOTCONN  there is no broker channel (SBX_FD_BROKER unset)
 *   -EACCES    the broker refused by its grants (the audit log says which rule)
 *   -EPROTO    the broker's answer did not make sense
 *   -EPROTONOSUPPORT  the broker speaks another version of the request protocol, or
 *              announces none (a broker from before versioning): this program was built
 *              against a libsbx-client older or newer than the broker
 * A worker that sends malformed requests, too many, or too fast is killed by the broker. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SBX_CLIENT_PUSH_QUEUE 8

struct sbx_client {
	int fd;          /* the broker channel */
	uint64_t next_id;
	/* fds the host pushed while we waited for a reply: kept for sbx_client_receive_fd */
	unsigned n_pushed;
	int pushed[SBX_CLIENT_PUSH_QUEUE];
	char pushed_name[SBX_CLIENT_PUSH_QUEUE][64];
};

/* Find the broker channel from the environment (SBX_FD_BROKER), and check that the broker
 * speaks this library's protocol version (SBX_BROKER_PROTOCOL): -EPROTONOSUPPORT if not. */
int sbx_client_init(struct sbx_client *c);

/* The fd number of resource NAME (SBX_FD_<NAME>), or -ENOENT. */
int sbx_client_resource(const char *name);

#define SBX_CLIENT_READ 0x1u
#define SBX_CLIENT_WRITE 0x2u
#define SBX_CLIENT_CREATE 0x4u
#define SBX_CLIENT_TRUNC 0x8u
#define SBX_CLIENT_DIRECTORY 0x10u

/* Open PATH (relative) below the granted directory resource DIR. mode: with CREATE. */
int sbx_client_open(struct sbx_client *c, const char *dir, const char *path, unsigned flags, unsigned mode);

/* Another socket like the capture resource NAME. */
int sbx_client_capture(struct sbx_client *c, const char *name);

/* An event for the broker's audit log (level 0 info, 1 warning, 2 error). */
int sbx_client_log(struct sbx_client *c, unsigned level, const char *text);

/* No more fd requests from now on: the broker refuses (kills on) any later OPEN or CAPTURE. */
int sbx_client_done(struct sbx_client *c);

/* Wait for an fd the host application hands this worker (sbx_worker_send_fd). name (may be
 * NULL) receives its name, NUL-terminated, up to name_len bytes. Returns the fd. */
int sbx_client_receive_fd(struct sbx_client *c, char *name, size_t name_len);

#ifdef __cplusplus
}
#endif
