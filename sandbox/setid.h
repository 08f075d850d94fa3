/* SPDX-License-Identifier: MIT */
/* No set-user-ID or set-group-ID bit from the worker wherever what it writes lands on the host:
 * a file it creates in a writable path or grant belongs to the caller (unprivileged), to root
 * (through an idmap, broker/idmap.h) or to the worker's uid, so `chmod 4755` on it would leave
 * a set-uid program there for anyone on the host to run as that owner. The mount's nosuid only
 * holds inside. */
#pragma once

/* Child side, after no_new_privs, before the policy's filter: a filter of its own under which
 * every call that gives a file a mode fails with EPERM when the mode has S_ISUID or S_ISGID:
 * chmod, fchmod, fchmodat, fchmodat2, creat, mknod, mknodat, and open/openat with O_CREAT or
 * O_TMPFILE (a file created with those bits need not lose them: a write through a shared
 * mapping does not clear them). openat2 (its mode is behind a pointer) and io_uring_setup (its
 * opens are not seen by seccomp) fail with ENOSYS; another architecture's calls end the
 * process. It holds with --no-seccomp too. Returns 0 or -errno. */
int sbx_setid_forbid(void);
