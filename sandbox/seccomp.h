/* SPDX-License-Identifier: MIT */
/* The seccomp layer, worker side: load the filter the broker compiled from the policy. */
#pragma once

#include <linux/filter.h>

/* Child side, the last restriction before exec (no_new_privs must be set). Loads prog with a new
 * user-notification listener and returns the listener fd (close-on-exec) or -errno. */
int sbx_seccomp_load(const struct sock_fprog *prog);
