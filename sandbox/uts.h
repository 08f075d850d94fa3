/* SPDX-License-Identifier: MIT */
/* UTS namespace: the worker sees its own hostname, not the host's. */
#pragma once

/* Child side. Returns 0 or -errno. */
int sbx_uts_setup(const char *hostname);
