/* SPDX-License-Identifier: MIT */
/* The worker's environment: a documented safe set, nothing else of the caller's. */
#pragma once

#include <stdbool.h>

/* Build a NULL-terminated environment from `from` (the caller's environ): PATH and HOME are
 * fixed (PATH=/usr/local/bin:/usr/bin:/bin, HOME=/tmp); TERM, LANG, LC_* and TZ are copied when
 * set; then the entries of extra (NULL-terminated, may be NULL), e.g. SBX_FD_<NAME>=N.
 * Returns 0 or -ENOMEM; free with sbx_env_free(). */
int sbx_env_build(char *const *from, char *const *extra, char ***ret);
void sbx_env_free(char **env);

/* Whether the caller's "NAME=value" entry kv is one sbx_env_build copies. */
bool sbx_env_passed_through(const char *kv);
