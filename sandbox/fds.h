/* SPDX-License-Identifier: MIT */
/* No inherited descriptor crosses into the sandbox except stdio and the ones named. */
#pragma once

#include <stddef.h>

/* Child side: close every fd >= 3 except [3, 3 + n_low) and the fds in keep_high[] (each
 * >= 3 + n_low, at most 4). Returns 0 or -errno. */
int sbx_fds_close_except(size_t n_low, const int *keep_high, size_t n_high);

/* Child side: move fds to fixed numbers: from[i] becomes to[i] (O_CLOEXEC), whatever the
 * overlaps between the two sets, by way of temporaries at or above `scratch`. The originals are
 * left open (close them with sbx_fds_close_except). At most 160 fds. Returns 0 or -errno. */
int sbx_fds_move(const int *from, const int *to, size_t n, int scratch);
