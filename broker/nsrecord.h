/* SPDX-License-Identifier: MIT */
/* The namespace record: once a sandbox's namespaces all exist, their inodes (as lsns and
 * /proc/PID/ns/ show them) go to the caller's namespaces callback, to the state directory
 * (state.h, `sbx ps`) and, when asked, to the system log: what a monitor needs to tell sbx's
 * namespaces from unexpected ones (docs/ids.md). */
#pragma once

#include <event2/event.h>

#include "broker/state.h"

#define SBX_NS_COUNT 7

struct sbx_worker;

struct sbx_nsrecord {
	struct event *ev;             /* retries until the namespaces can be read */
	unsigned tries;
	struct sbx_state_entry entry; /* the worker's state entry */
};

/* The launcher reported EXEC: every namespace exists. Records them now, or retries shortly
 * (an unprivileged broker may read them only once the program has executed). */
void sbx_nsrecord_start(struct sbx_worker *w);
/* The worker ended: its state entry is removed. */
void sbx_nsrecord_end(struct sbx_worker *w);
