/* SPDX-License-Identifier: MIT */
/* No set-user-ID or set-group-ID bit from the worker, where its files are the caller's: in a
 * path a root broker idmapped writable (broker/idmap.h), what the worker creates is root's on
 * the host, so `chmod 4755` on it would leave a set-user-ID-root program there for anyone on
 * the host to run. The mount's nosuid only holds inside. */
#pragma once

/* Child side, after no_new_privs, before the policy's filter: a filter of its own under which
 * every call that gives a file a mode fails with EPERM when the mode has S_ISUID or S_ISGID:
 * chmod, fchmod, fchmodat, fchmodat2, creat, mknod, mknodat, and open/openat with O_CREAT or
 * O_TMPFILE (a file created with those bits need not lose them: a write through a shared
 * mapping does not clear them). openat2 (its mode is behind a pointer) and io_uring_setup (its
 * opens are not seen by seccomp) fail with ENOSYS; another architecture's calls end the
 * process. It holds with --no-seccomp too. Returns 0 or -errno. */
int sbx_setid_forbid(void);
