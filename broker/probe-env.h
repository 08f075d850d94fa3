/* SPDX-License-Identifier: MIT */
/* What this place allows: each layer of the sandbox tried for real in a throwaway child (fork,
 * unshare, mount, seccomp, ...), never guessed from files alone, and the facts that explain a
 * refusal (sysctls, AppArmor's restriction, a container's seccomp profile, a masked /proc).
 * sbx_env_explain() turns one result into why and how to fix it: a pure function, so that a
 * restriction this machine lacks (AppArmor) can be tested with made-up facts. Used by
 * `sbx doctor` (doctor.c), by the fallback plan (fallback.c) and for the message of a launch
 * that failed closed. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

enum sbx_check {
	/* layers of the default sandbox */
	SBX_CHECK_USERNS,
	SBX_CHECK_MOUNTNS,     /* a mount namespace in which we may mount */
	SBX_CHECK_PIDNS,
	SBX_CHECK_IPCNS,
	SBX_CHECK_UTSNS,       /* and setting its hostname */
	SBX_CHECK_NETNS,
	SBX_CHECK_CGROUPNS,
	SBX_CHECK_PROC,        /* mounting a new /proc */
	SBX_CHECK_SECCOMP,     /* a filter with user notification, and NOTIF_ADDFD */
	SBX_CHECK_PIDFD,
	/* used when available, or by the options that need them */
	SBX_CHECK_MOUNT_API,
	SBX_CHECK_LANDLOCK,
	SBX_CHECK_CGROUPS,
	SBX_CHECK_SUBIDS,
	SBX_CHECK_NET_RAW,
	SBX_CHECK_MAX_,
};

/* Checks before this one are layers of the default sandbox: one missing fails a launch (or is
 * left out under --fallback) and makes `sbx doctor` exit non-zero. */
#define SBX_CHECK_FIRST_OPTIONAL SBX_CHECK_MOUNT_API

struct sbx_check_result {
	bool ok;
	int stage;          /* how far the try got (check-specific, see probe-env.c); 0: ran none */
	int err;            /* positive errno of the stage that failed */
	char detail[192];   /* what was measured (the Landlock ABI, the cgroup layout, ...) */
};

enum sbx_container { SBX_CT_NONE, SBX_CT_DOCKER, SBX_CT_PODMAN, SBX_CT_KUBERNETES, SBX_CT_OTHER };

struct sbx_env_facts {
	int unpriv_userns_clone;  /* kernel.unprivileged_userns_clone; -1: no such sysctl */
	long max_user_namespaces; /* user.max_user_namespaces; -1: unreadable */
	int apparmor_restrict;    /* kernel.apparmor_restrict_unprivileged_userns; -1: none */
	int seccomp_mode;         /* /proc/self/status Seccomp: 0 none, 2 a filter (a container's) */
	bool proc_masked;         /* something is mounted over a part of /proc (a container's masks) */
	bool root;
	enum sbx_container container;
};

struct sbx_env {
	struct sbx_env_facts facts;
	struct sbx_check_result r[SBX_CHECK_MAX_];
	int landlock_abi;         /* 0: none; what the fallback may count on (fallback.c) */
};

/* The facts, the sysctls read below sysctl_root (normally "/proc/sys"; tests give a fake one). */
void sbx_env_read_facts(struct sbx_env_facts *f, const char *sysctl_root);

/* Run every check. Returns 0 or -errno (fork or pipe failed: nothing could be tried). */
int sbx_env_probe(struct sbx_env *env, const char *sysctl_root);

/* This process's probe, run once and kept (thread-safe): the broker's view of the place. */
const struct sbx_env *sbx_env_cached(void);

/* The check's short name ("user namespaces") and its JSON key ("userns"). */
const char *sbx_check_name(enum sbx_check c);
const char *sbx_check_key(enum sbx_check c);

/* Why the check failed (or what was found) and the fix, from the result and the facts. Pure:
 * no system call. why and fix are always NUL-terminated; fix is "" when there is none. */
void sbx_env_explain(enum sbx_check c, const struct sbx_check_result *r, const struct sbx_env_facts *f,
		     char *why, size_t why_len, char *fix, size_t fix_len);
