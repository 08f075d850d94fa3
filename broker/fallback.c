/* SPDX-License-Identifier: MIT */
/* The fallback plan (fallback.h): one table row per layer that may be left out. */
#include "fallback.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "broker/mountplan.h"
#include "common/protocol.h"
#include "common/util.h"

#define STEP(s) (1ull << (s))

static const struct {
	enum sbx_check layer;
	uint64_t clone_flag;  /* the flag the clone no longer has */
	uint64_t steps;       /* the steps the sandbox side skips */
	const char *instead;  /* how its promise is kept */
} rows[] = {
	{ SBX_CHECK_USERNS, CLONE_NEWUSER, STEP(SBX_STEP_USERNS_LIMIT),
	  "no_new_privs, the seccomp filter, Landlock and no capabilities" },
	/* The new root, the read-only reopens through its mounts, and the nested-namespace limit
	 * written through its fresh /proc. */
	{ SBX_CHECK_MOUNTNS, CLONE_NEWNS,
	  STEP(SBX_STEP_MOUNT_SOURCES) | STEP(SBX_STEP_REOPEN_RO) | STEP(SBX_STEP_ROOT) | STEP(SBX_STEP_USERNS_LIMIT),
	  "Landlock limits opens to the host paths the mounts would show (no private /tmp)" },
	{ SBX_CHECK_PROC, 0, STEP(SBX_STEP_USERNS_LIMIT), "no /proc inside; the filter refuses new namespaces" },
	{ SBX_CHECK_PIDNS, CLONE_NEWPID, 0,
	  "Landlock's signal scoping and the filter (no ptrace) keep the program from other processes" },
	{ SBX_CHECK_IPCNS, CLONE_NEWIPC, 0, "the filter refuses System V IPC" },
	{ SBX_CHECK_UTSNS, CLONE_NEWUTS, STEP(SBX_STEP_HOSTNAME), "the filter refuses sethostname" },
	{ SBX_CHECK_NETNS, 0, STEP(SBX_STEP_NETNS), "the filter refuses new sockets; Landlock refuses TCP" },
	{ SBX_CHECK_CGROUPNS, 0, STEP(SBX_STEP_CGROUPNS), "the host's cgroup paths are visible, read-only" },
};

void sbx_fallback_none(struct sbx_fallback *fb)
{
	memset(fb, 0, sizeof(*fb));
	fb->clone_flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS;
	fb->userns = true;
}

static void append(char *buf, size_t len, const char *sep, const char *s)
{
	size_t n = strlen(buf);
	if (n < len)
		snprintf(buf + n, len - n, "%s%s", n ? sep : "", s);
}

int sbx_fallback_decide(struct sbx_fallback *fb, const struct sbx_env *env)
{
	sbx_fallback_none(fb);
	/* Nothing stands in for these: the filter's violations are reported through the
	 * listener, and the broker supervises through pidfds. */
	static const enum sbx_check vital[] = { SBX_CHECK_SECCOMP, SBX_CHECK_PIDFD };
	for (size_t i = 0; i < SBX_ARRAY_SIZE(vital); i++)
		if (!env->r[vital[i]].ok) {
			snprintf(fb->text, sizeof(fb->text), "%s is missing and nothing replaces it",
				 sbx_check_name(vital[i]));
			return -EOPNOTSUPP;
		}
	for (size_t i = 0; i < SBX_ARRAY_SIZE(rows); i++) {
		if (env->r[rows[i].layer].ok)
			continue;
		fb->missing |= 1u << rows[i].layer;
		fb->clone_flags &= ~rows[i].clone_flag;
		fb->skip_steps |= rows[i].steps;
		char line[256];
		snprintf(line, sizeof(line), "%s (instead: %s)", sbx_check_name(rows[i].layer), rows[i].instead);
		append(fb->text, sizeof(fb->text), "; ", line);
		append(fb->keys, sizeof(fb->keys), ",", sbx_check_key(rows[i].layer));
	}
	/* What a row's "instead" counts on must be there: Landlock scopes signals from ABI 6
	 * (without a pid namespace nothing else keeps the program from signalling the processes
	 * of its uid: refused) and refuses TCP from ABI 4 (said). */
	int abi = env->landlock_abi;
	if ((fb->missing & (1u << SBX_CHECK_PIDNS)) && abi < 6) {
		snprintf(fb->text, sizeof(fb->text),
			 "no pid namespace, and Landlock ABI %d cannot scope signals (ABI 6 needed): nothing would keep "
			 "the program from signalling the processes of its uid",
			 abi);
		return -EOPNOTSUPP;
	}
	if ((fb->missing & (1u << SBX_CHECK_NETNS)) && abi < 4) {
		char line[128];
		snprintf(line, sizeof(line), "Landlock ABI %d does not refuse TCP (ABI 4 needed)", abi);
		append(fb->text, sizeof(fb->text), "; ", line);
	}
	fb->userns = !(fb->missing & (1u << SBX_CHECK_USERNS));
	fb->host_tree = fb->missing & (1u << SBX_CHECK_MOUNTNS);
	if (fb->missing && !env->r[SBX_CHECK_LANDLOCK].ok)
		append(fb->text, sizeof(fb->text), "; ", "Landlock too, so nothing keeps those promises");
	return 0;
}

/* The host path an entry shows, and the access Landlock gives it; NULL: nothing of the host
 * (the root's own tmpfs, /tmp, /proc, generated files, links). */
static const char *host_rule(const struct sbx_mount_entry *e, enum sbx_ll_class *cls)
{
	switch (e->op) {
	case SBX_MNT_BIND_RO: *cls = SBX_LL_RO; return e->source;
	case SBX_MNT_BIND_RW: *cls = SBX_LL_RW; return e->source;
	case SBX_MNT_DEV: *cls = SBX_LL_DEV; return e->source;
	default: return NULL;
	}
}

void sbx_fallback_fs(const struct sbx_fallback *fb, struct sbx_fs_plan *fs)
{
	if (fb->missing & (1u << SBX_CHECK_PROC)) {
		size_t k = 0;
		for (size_t i = 0; i < fs->n; i++)
			if (fs->entries[i].op != SBX_MNT_PROC)
				fs->entries[k++] = fs->entries[i];
		fs->n = k;
	}
	if (!fb->host_tree)
		return;
	/* The fd rules stay; the new root's paths become the host's own. */
	struct sbx_ll_rule fds[SBX_ARRAY_SIZE(fs->ll)];
	size_t n_fds = 0;
	for (size_t i = 0; i < fs->n_ll; i++)
		if (!fs->ll[i].path)
			fds[n_fds++] = fs->ll[i];
	fs->n_ll = 0;
	for (size_t i = 0; i < fs->n && fs->n_ll < SBX_ARRAY_SIZE(fs->ll); i++) {
		enum sbx_ll_class cls;
		const char *path = host_rule(&fs->entries[i], &cls);
		if (path)
			fs->ll[fs->n_ll++] = (struct sbx_ll_rule){ path, -1, cls };
	}
	for (size_t i = 0; i < n_fds && fs->n_ll < SBX_ARRAY_SIZE(fs->ll); i++)
		fs->ll[fs->n_ll++] = fds[i];
}
