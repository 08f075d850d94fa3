/* SPDX-License-Identifier: MIT */
/* Capabilities: the program starts with none, in any set, and cannot get any back. */
#pragma once

/* Child side, before exec: lock the securebits (no root privileges on exec, no setuid fixup,
 * no ambient raise), empty the bounding and ambient sets, clear effective, permitted and
 * inheritable. Returns 0 or -errno. */
int sbx_caps_drop_all(void);

/* Child side: set no_new_privs, so that nothing the program executes gains privileges and so
 * that an unprivileged process may load a seccomp filter. Returns 0 or -errno. */
int sbx_caps_no_new_privs(void);
