/* SPDX-License-Identifier: MIT */
/* No inherited descriptor crosses into the sandbox except stdio and the ones named. */
#pragma once

#include <stddef.h>

#define SBX_FDS_MAX 160 /* fds per call: the child allocates nothing, arrays live on its stack */

/* Child side: close every fd >= 3 except those in keep[] (any order; at most SBX_FDS_MAX; stdio
 * is always kept). Returns 0 or -errno. */
int sbx_fds_close_except(const int *keep, size_t n_keep);

/* Child side: move fds to fixed numbers: from[i] becomes to[i] (O_CLOEXEC), whatever the
 * overlaps between the two sets, by way of temporaries at or above `scratch` (every target must
 * be below it, else -EINVAL before anything moves). The originals are
 * left open (close them with sbx_fds_close_except). At most SBX_FDS_MAX fds. Returns 0 or -errno. */
int sbx_fds_move(const int *from, const int *to, size_t n, int scratch);
