/* SPDX-License-Identifier: MIT */
/* Per-worker host identities from a subordinate id range (/etc/subuid style), so that two
 * workers of one broker never share a host uid: one cannot signal, ptrace or read the files of
 * another. Root writes the maps itself; an unprivileged caller goes through the setuid helpers
 * newuidmap/newgidmap, which check the range against /etc/subuid and /etc/subgid. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Look up NAME's ranges in /etc/subuid and /etc/subgid (the first line for NAME, or for the
 * numeric uid). Returns 0, or -ENOENT when NAME has no range in either file. */
int sbx_idrange_lookup(const char *name, uid_t *uid_base, gid_t *gid_base, uint32_t *count);

/* Take the lowest free offset in [0, count) of the range starting at uid_base. Free means: no
 * worker of this process holds it (thread-safe), and no other broker on the machine either: a
 * lock file per id (flock, in /run/sbx/ids as root, $XDG_RUNTIME_DIR/sbx/ids otherwise) held for
 * the worker's life; a broker that dies releases its locks with its fds. *lock_fd receives the
 * lock (or -1 when there is no lock directory to use). Returns the offset or -EUSERS. */
int sbx_idrange_take(uid_t uid_base, uint32_t count, int *lock_fd);
/* Release an offset and its lock file (removed). */
void sbx_idrange_release(uid_t uid_base, int offset, int lock_fd);

/* Unprivileged: run newuidmap and newgidmap for pid, mapping uid->uid and gid->gid (one id
 * each). Returns 0 or -errno (-ENOENT: helpers not installed; -EPERM: they refused). */
int sbx_idrange_newidmap(pid_t pid, uid_t uid, gid_t gid);
