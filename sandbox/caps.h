/* SPDX-License-Identifier: MIT */
/* Capabilities: the program starts with none, in any set, and cannot get any back. */
#pragma once

/* Child side, before exec: lock the securebits (no root privileges on exec, no setuid fixup,
 * no ambient raise), empty the bounding and ambient sets, clear effective, permitted and
 * inheritable. Returns 0 or -errno. */
int sbx_caps_drop_all(void);

/* Child side, without a user namespace of our own (broker/fallback.h): an unprivileged process
 * cannot lock securebits or shrink its bounding set (both need CAP_SETPCAP), but it holds no
 * capability to lose. Clear the ambient set and verify that effective, permitted and inheritable
 * are empty; no_new_privs, set next, keeps exec from granting any. Returns 0 or -EPERM when a
 * capability is held (then sbx_caps_drop_all() is the one to call). */
int sbx_caps_verify_none(void);

/* Child side: set no_new_privs, so that nothing the program executes gains privileges and so
 * that an unprivileged process may load a seccomp filter. Returns 0 or -errno. */
int sbx_caps_no_new_privs(void);
