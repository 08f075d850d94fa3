/* SPDX-License-Identifier: MIT */
/* User namespace: the worker's uid maps to one unprivileged host uid, never host root. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* Broker side, right after the clone: map uid/gid inside to the same uid/gid on the host, one
 * id each. privileged: the broker may map ids other than its own (it is root); otherwise
 * setgroups is denied first, as the kernel requires. Returns 0 or -errno; *what names the file. */
int sbx_userns_write_maps(pid_t pid, uid_t uid, gid_t gid, bool privileged, const char **what);

/* Child side: forbid nested user namespaces (user.max_user_namespaces = 0 in ours), so the
 * worker cannot regain capabilities in a namespace of its own, even without seccomp. */
int sbx_userns_forbid_nested(void);
/* The same with a limit of n: a zygote's, whose jobs each have a namespace of their own. */
int sbx_userns_limit_nested(unsigned n);

/* Child side: take on the mapped uid/gid for real (and drop supplementary groups when the
 * kernel allows it: the broker was root). Returns 0 or -errno. */
int sbx_userns_become(uid_t uid, gid_t gid, bool drop_groups);
