/* SPDX-License-Identifier: MIT */
/* The fallback plan: which layers of the sandbox a launch leaves out, decided once by the
 * broker from the probe of this place (probe-env.h) when the caller allowed it (--fallback, a
 * policy's `fallback allow`, sbx_config_set_fallback). Each missing layer is one row of a table:
 * the namespaces the clone no longer makes and the setup steps (enum sbx_step) the sandbox side
 * skips. The promise a missing layer made is kept by another route where one exists: no mount
 * namespace, Landlock on the host paths the mounts would have shown; no new /proc, no /proc;
 * no pid namespace, Landlock's signal scoping and the filter; no user namespace, no_new_privs,
 * the filter, Landlock and no capabilities. Without the caller's consent nothing is probed and
 * nothing is left out: a layer that cannot be applied fails the launch (exit 125). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "broker/probe-env.h"

struct sbx_fs_plan;

struct sbx_fallback {
	uint32_t missing;       /* 1 << enum sbx_check: default layers left out; 0: the full sandbox */
	uint64_t clone_flags;   /* the CLONE_NEW* flags the clone makes */
	uint64_t skip_steps;    /* 1 << enum sbx_step: the steps the sandbox side skips */
	bool userns;            /* a user namespace: its maps are written */
	bool host_tree;         /* no mount namespace: Landlock rules on host paths */
	char text[768];         /* what is missing and how it is covered, for the notice */
	char keys[192];         /* the missing layers' JSON keys, comma-separated */
};

/* The full sandbox: every namespace, every step. */
void sbx_fallback_none(struct sbx_fallback *fb);

/* Decide from env which layers to leave out. Returns 0, or -EOPNOTSUPP with why (a layer
 * nothing replaces is missing: the seccomp listener, pidfds) written into fb->text. Pure. */
int sbx_fallback_decide(struct sbx_fallback *fb, const struct sbx_env *env);

/* Apply the decision to the filesystem plan: without a new /proc, no proc mount; without a
 * mount namespace, the Landlock rules name the host paths the mounts would have shown (binds
 * and device nodes) instead of the new root's tree. Call after sbx_fs_plan_landlock(). */
void sbx_fallback_fs(const struct sbx_fallback *fb, struct sbx_fs_plan *fs);
