/* SPDX-License-Identifier: MIT */
/* The launch channel, broker side: every message the sandbox sends the broker is decoded here
 * before anything looks at it (common/protocol.h has the messages and the state table). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "common/protocol.h"

/* Validate one datagram exactly as received: buf/len, the number of fds that came with it,
 * the recvmsg flags (MSG_TRUNC, MSG_CTRUNC; pass MSG_CTRUNC too for a control message that was
 * not SCM_RIGHTS), the channel's state, and whether the sandbox runs with seccomp (then EXEC
 * carries the listener). Returns 0 with the message copied to *out and the state it leads to
 * in *next, or -EPROTO with *why set to a static description. Pure: no system calls. */
int sbx_launch_decode(const void *buf, size_t len, size_t n_fds, int msg_flags, enum sbx_launch_state state,
		      bool seccomp, struct sbx_launch_msg *out, enum sbx_launch_state *next, const char **why);
