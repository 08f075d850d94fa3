/* SPDX-License-Identifier: MIT */
/* The worker's filesystem as a plan, built by the broker (the sandbox side applies it with
 * sandbox/mount.c and sandbox/landlock.c): the fixed minimal root, then the policy's paths,
 * then the caller's; and the Landlock rules that keep opens inside that tree and the fds. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "broker/grants.h"
#include "broker/internal.h"
#include "sandbox/landlock.h"
#include "sandbox/launch.h"
#include "sandbox/mount.h"

struct sbx_fs_plan {
	struct sbx_mount_entry entries[SBX_MOUNT_MAX];
	size_t n;
	size_t first_granted; /* entries from here on: the policy's paths, then the caller's */
	struct sbx_ll_rule ll[SBX_MOUNT_MAX + SBX_MAX_RESOURCES + 8];
	size_t n_ll;
	char *owned[SBX_MOUNT_MAX + 4]; /* strings the entries point at (at most one each, and two) */
	char *no_idmap[SBX_MOUNT_MAX];  /* per entry: why a path a root broker could idmap was not */
	size_t n_owned;
};

/* The mounts for a worker running as uid/gid inside (generated /etc/passwd and /etc/group name
 * them), with /dev/tty when have_tty. policy may be NULL (the built-in default adds no paths).
 * Paths are made canonical here. Returns 0 or -errno with err naming the path and its source
 * (FILE:LINE of the policy, or --ro/--rw). Free with sbx_fs_plan_free() in any case. */
int sbx_fs_plan_build(struct sbx_fs_plan *fs, const struct sbx_config *cfg, const struct sbx_policy *policy,
		      uid_t uid, gid_t gid, bool have_tty, struct sbx_error *err);

/* Does the sandbox show the host's `path` (canonical, absolute) at the same place? True when
 * the last mount covering it is a bind of the host's tree at its own path (/usr, a policy
 * path, --ro, --rw), false under the root's own tmpfs, /tmp, /dev, /proc. Whether the worker's
 * uid may enter it is another question. */
bool sbx_fs_plan_shows(const struct sbx_fs_plan *fs, const char *path);
/* Whether the host's path is neither shown inside nor replaced by something of the sandbox's
 * own (its /etc/passwd, /dev/null, a /bin link): a program given it finds nothing there. */
bool sbx_fs_plan_hides(const struct sbx_fs_plan *fs, const char *path);

/* Landlock rules: the sandbox's tree (read-only but for /tmp, /dev/shm, /dev, /proc and the
 * writable mounts), the program, stdio, and each slot that holds a file or directory grant
 * (slot_grant[i]: index into g, -1 for a slot that is no grant). */
void sbx_fs_plan_landlock(struct sbx_fs_plan *fs, const struct sbx_fd_slot *slots, const int *slot_grant,
			  size_t n_slots, const struct sbx_grants *g);

/* When the broker runs as root (the caller is caller_uid/caller_gid, the worker uid/gid): each
 * path of the policy and the caller as an idmapped tree (broker/idmap.h), so that the worker
 * uses it as the caller would and what it creates there is the caller's on the host. A path on
 * a filesystem that cannot be idmapped keeps tree -1 (bound as before, by the sandbox: the
 * caller names it to the user). Returns 0 or -errno with err set. */
int sbx_fs_plan_idmap(struct sbx_fs_plan *fs, uid_t caller_uid, gid_t caller_gid, uid_t uid, gid_t gid,
		      struct sbx_error *err);


/* Closes the prepared trees too. */
void sbx_fs_plan_free(struct sbx_fs_plan *fs);
