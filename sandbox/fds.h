/* SPDX-License-Identifier: MIT */
/* No inherited descriptor crosses into the sandbox except stdio and the ones named. */
#pragma once

#include <stddef.h>

/* Child side: close every fd >= 3 except those in keep (at most 8). Returns 0 or -errno. */
int sbx_fds_close_except(const int *keep, size_t n_keep);
