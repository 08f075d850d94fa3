/* SPDX-License-Identifier: MIT */
/* The worker's seccomp filter: the build-time default, the configuration's cached one, or one
 * compiled from the policy now; sent to the sandbox over the launch channel. */
#pragma once

#include <stdbool.h>

#include "sbx.h"

struct sbx_worker;

/* Called right after GO, so that compiling (~1 ms) overlaps the sandbox building its root.
 * With seccomp off it sends the empty filter the sandbox waits for. Returns 0 or -errno. */
int sbx_filter_send(struct sbx_worker *w, struct sbx_error *err);

/* Whether the filter lets the program's own exec through (else the launcher's exec is the one
 * expected notification). */
bool sbx_filter_exec_allowed(const struct sbx_worker *w);

/* Whether the build-time default filter can serve (it was generated for this machine's arch). */
bool sbx_filter_prebuilt_usable(void);
