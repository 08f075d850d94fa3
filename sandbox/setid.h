/* SPDX-License-Identifier: MIT */
/* No set-user-ID or set-group-ID bit from the worker, where its files are the caller's: in a
 * path a root broker idmapped writable (broker/idmap.h), what the worker creates is root's on
 * the host, so `chmod 4755` on it would leave a set-user-ID-root program there for anyone on
 * the host to run. The mount's nosuid only holds inside. */
#pragma once

/* Child side, after no_new_privs, before the policy's filter: a filter of its own under which
 * chmod, fchmod, fchmodat and fchmodat2 fail with EPERM when the mode has S_ISUID or S_ISGID.
 * (A file created with those bits loses them on its first write: the worker has no
 * CAP_FSETID.) Returns 0 or -errno. */
int sbx_setid_forbid(void);
