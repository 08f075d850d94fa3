/* SPDX-License-Identifier: MIT */
/* Idmapped bind sources, prepared by a root broker: a path the caller grants is shown to the
 * worker as the caller's own, and what the worker creates there belongs on the host to the
 * caller. The worker runs as uid W (never 0); an idmapped mount whose user namespace maps the
 * on-disk id C (the caller's) to W makes C's files W's inside and W's writes C's on disk.
 * Every other on-disk id is unmapped through it: shown as the overflow id, and no ownership
 * check passes on it. Setting the idmap needs CAP_SYS_ADMIN over the filesystem's user
 * namespace, i.e. real root for a host filesystem: an unprivileged broker cannot do it. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* A user namespace (fd, O_CLOEXEC) whose maps are "caller worker 1" for uids and gids: the
 * idmapping of the mounts below. Needs root. Made once per mapping and kept for the process's
 * life (up to 8 mappings); each call returns a new fd the caller closes. Returns it or -errno. */
int sbx_idmap_userns(uid_t caller_uid, gid_t caller_gid, uid_t worker_uid, gid_t worker_gid);

/* A detached recursive clone of the host's `path` (open_tree), idmapped through userns_fd,
 * nosuid, nodev, read-only unless `writable`: the sandbox only moves it into its root. Returns
 * the tree's fd (O_CLOEXEC) or -errno; -EINVAL when a filesystem of the tree cannot be
 * idmapped (sbx_idmap_refused()). */
int sbx_idmap_tree(const char *path, int userns_fd, bool writable);

/* Whether an error of sbx_idmap_tree() means "this filesystem cannot be idmapped" (the kernel
 * says EINVAL for a filesystem without idmapping support, EOPNOTSUPP or ENOSYS for a kernel
 * without idmapped mounts), after which the path is bound as before, without the idmap,
 * rather than failing the launch. Other errors fail it. */
bool sbx_idmap_refused(int err);

/* Whether the tree at `path` holds what a writable idmap must not hand the worker, since the
 * worker then owns the caller's files: a set-user-ID or set-group-ID file or one with file
 * capabilities (a write through a shared mapping keeps those bits: the worker could rewrite a
 * root set-uid program and keep it set-uid), or a sticky folder every user may write in
 * (root-owned symbolic links and FIFOs the worker made there would pass fs.protected_symlinks
 * and protected_fifos, which trust root's entries in such folders). Returns 1 with `found`
 * naming the first such entry, 0 when there is none, or -errno. */
int sbx_idmap_unsafe(const char *path, char *found, size_t len);
