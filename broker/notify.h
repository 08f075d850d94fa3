/* SPDX-License-Identifier: MIT */
/* seccomp user notification, broker side: receive what the worker's filter sent us, and the
 * worker's listener (sbx_listener_watch() in worker.h). */
#pragma once

#include <linux/seccomp.h>

struct sbx_notify {
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp;
};

int sbx_notify_init(struct sbx_notify *n);
void sbx_notify_done(struct sbx_notify *n);

/* Returns 1 with n->req filled, 0 when nothing is pending (the listener hung up: no process
 * uses the filter any more, or the notifying task vanished), or -errno. Never blocks: it only
 * receives when poll says a notification is there. */
int sbx_notify_receive(struct sbx_notify *n, int fd);

/* Let the notified system call run as if no filter was there. Only for calls whose arguments
 * cannot change under us: the launcher's own exec, and learn mode. */
int sbx_notify_continue(struct sbx_notify *n, int fd);
