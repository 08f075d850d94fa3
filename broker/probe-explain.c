/* SPDX-License-Identifier: MIT */
/* The facts that explain a probe's result, and the explanation itself (probe-env.h): which
 * sysctl, AppArmor restriction, container profile or mask is in the way, and what lifts it. */
#include "probe-env.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"

static const struct {
	const char *name, *key;
} checks[SBX_CHECK_MAX_] = {
	[SBX_CHECK_USERNS] = { "user namespaces", "userns" },
	[SBX_CHECK_MOUNTNS] = { "mount namespace and mounts", "mountns" },
	[SBX_CHECK_PIDNS] = { "pid namespace", "pidns" },
	[SBX_CHECK_IPCNS] = { "ipc namespace", "ipcns" },
	[SBX_CHECK_UTSNS] = { "uts namespace and hostname", "utsns" },
	[SBX_CHECK_NETNS] = { "network namespace", "netns" },
	[SBX_CHECK_CGROUPNS] = { "cgroup namespace", "cgroupns" },
	[SBX_CHECK_PROC] = { "a new /proc", "proc" },
	[SBX_CHECK_SECCOMP] = { "seccomp user notification and ADDFD", "seccomp" },
	[SBX_CHECK_PIDFD] = { "pidfds", "pidfd" },
	[SBX_CHECK_MOUNT_API] = { "the new mount API", "mount_api" },
	[SBX_CHECK_LANDLOCK] = { "Landlock", "landlock" },
	[SBX_CHECK_CGROUPS] = { "cgroups for limits", "cgroups" },
	[SBX_CHECK_SUBIDS] = { "subordinate ids and newuidmap", "subids" },
	[SBX_CHECK_NET_RAW] = { "CAP_NET_RAW for captures", "net_raw" },
};

const char *sbx_check_name(enum sbx_check c)
{
	return (unsigned)c < SBX_CHECK_MAX_ ? checks[c].name : "?";
}

const char *sbx_check_key(enum sbx_check c)
{
	return (unsigned)c < SBX_CHECK_MAX_ ? checks[c].key : "?";
}

/* A sysctl below root as a number; -1 when absent or unreadable. */
static long read_sysctl(const char *root, const char *name)
{
	char path[512], buf[32];
	snprintf(path, sizeof(path), "%s/%s", root, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	char *end;
	long v = strtol(buf, &end, 10);
	return end == buf ? -1 : v;
}

static int status_line(char *line, void *ctx)
{
	if (strncmp(line, "Seccomp:", 8) == 0)
		*(int *)ctx = atoi(line + 8);
	return 0;
}

/* A container runtime masks /proc/kcore, /proc/keys, ... by mounting over them. */
static int mounts_line(char *line, void *ctx)
{
	char dev[256], where[512];
	if (sscanf(line, "%255s %511s", dev, where) == 2 && strncmp(where, "/proc/", 6) == 0)
		*(bool *)ctx = true;
	return 0;
}

static enum sbx_container container_kind(void)
{
	if (getenv("KUBERNETES_SERVICE_HOST"))
		return SBX_CT_KUBERNETES;
	if (access("/run/.containerenv", F_OK) == 0)
		return SBX_CT_PODMAN;
	if (access("/.dockerenv", F_OK) == 0)
		return SBX_CT_DOCKER;
	const char *c = getenv("container");
	return c && *c ? SBX_CT_OTHER : SBX_CT_NONE;
}

void sbx_env_read_facts(struct sbx_env_facts *f, const char *sysctl_root)
{
	memset(f, 0, sizeof(*f));
	f->unpriv_userns_clone = (int)read_sysctl(sysctl_root, "kernel/unprivileged_userns_clone");
	f->max_user_namespaces = read_sysctl(sysctl_root, "user/max_user_namespaces");
	f->apparmor_restrict = (int)read_sysctl(sysctl_root, "kernel/apparmor_restrict_unprivileged_userns");
	(void)sbx_each_line("/proc/self/status", status_line, &f->seccomp_mode);
	(void)sbx_each_line("/proc/self/mounts", mounts_line, &f->proc_masked);
	f->root = geteuid() == 0;
	f->container = container_kind();
}

#define SECCOMP_FIX "run the container with --security-opt seccomp=unconfined (Podman, Docker) or a " \
		    "profile that allows it; Kubernetes: securityContext.seccompProfile.type: Unconfined"
#define APPARMOR_FIX "install sbx's AppArmor profile (dist/apparmor/sbx, meson -Dapparmor=true; " \
		     "docs/deploy.md) or sysctl -w kernel.apparmor_restrict_unprivileged_userns=0"

/* The user namespace itself: the sysctls, AppArmor, a container's filter, in that order. */
static void explain_userns(const struct sbx_check_result *r, const struct sbx_env_facts *f, char *why,
			   size_t wl, char *fix, size_t fl)
{
	const char *e = strerror(r->err);
	if (r->stage <= 1 && f->unpriv_userns_clone == 0 && !f->root) {
		snprintf(why, wl, "unshare(CLONE_NEWUSER): %s: kernel.unprivileged_userns_clone is 0", e);
		snprintf(fix, fl, "sysctl -w kernel.unprivileged_userns_clone=1");
	} else if (r->stage <= 1 && f->max_user_namespaces == 0) {
		snprintf(why, wl, "unshare(CLONE_NEWUSER): %s: user.max_user_namespaces is 0", e);
		snprintf(fix, fl, "sysctl -w user.max_user_namespaces=15000 (in the namespace that set 0, or its parent)");
	} else if (r->stage >= 2 && f->apparmor_restrict == 1 && (r->err == EPERM || r->err == EACCES)) {
		snprintf(why, wl, "%s inside a new user namespace: %s: AppArmor restricts unprivileged user "
				  "namespaces (kernel.apparmor_restrict_unprivileged_userns=1): they get no capabilities",
			 r->stage == 2 ? "writing the id maps" : "using a capability", e);
		snprintf(fix, fl, "%s", APPARMOR_FIX);
	} else if (f->seccomp_mode == 2 && (r->err == EPERM || r->err == ENOSYS)) {
		snprintf(why, wl, "unshare(CLONE_NEWUSER): %s: this process runs under a seccomp filter (a "
				  "container's profile)", e);
		snprintf(fix, fl, "%s", SECCOMP_FIX);
	} else if (r->stage <= 1 && r->err == ENOSPC) {
		snprintf(why, wl, "unshare(CLONE_NEWUSER): %s: the user namespace limit is reached", e);
		snprintf(fix, fl, "raise user.max_user_namespaces (sysctl -w user.max_user_namespaces=15000)");
	} else {
		snprintf(why, wl, "%s: %s", r->stage <= 1 ? "unshare(CLONE_NEWUSER)" : r->stage == 2 ? "writing the id maps"
											 : "using a capability inside",
			 e);
		snprintf(fix, fl, "a kernel with CONFIG_USER_NS and unprivileged user namespaces allowed");
	}
}

/* /proc: the masks of a container make the kernel refuse any new proc. */
static void explain_proc(const struct sbx_check_result *r, const struct sbx_env_facts *f, char *why, size_t wl,
			 char *fix, size_t fl)
{
	if (r->stage == 6 && f->proc_masked) {
		snprintf(why, wl, "mount(proc): %s: the visible /proc has paths mounted over (a container's masks), "
				  "and the kernel refuses a new proc where it could uncover them", strerror(r->err));
		snprintf(fix, fl, "Podman/Docker: --security-opt systempaths=unconfined (with seccomp=unconfined); "
				  "Kubernetes: securityContext.procMount: Unmasked (needs hostUsers: false)");
	} else if (r->stage == 6) {
		snprintf(why, wl, "mount(proc): %s", strerror(r->err));
		snprintf(fix, fl, f->seccomp_mode == 2 ? SECCOMP_FIX : "");
	}
}

/* A namespace, /proc or the mount API, after the user namespace worked. */
static void explain_ns(enum sbx_check c, const struct sbx_check_result *r, const struct sbx_env_facts *f,
		       char *why, size_t wl, char *fix, size_t fl)
{
	static const char *const use[SBX_CHECK_MAX_] = {
		[SBX_CHECK_MOUNTNS] = "mount", [SBX_CHECK_UTSNS] = "sethostname",
	};
	static const char *const mount_api[] = { "", "", "", "", "unshare(CLONE_NEWNS)", "fsopen", "fsconfig",
						 "fsmount", "open_tree", "mount_setattr" };
	const char *what = r->stage == 4 ? "unshare" : c == SBX_CHECK_MOUNT_API && r->stage < 10 ? mount_api[r->stage]
					 : use[c] ? use[c] : "unshare";
	if (c == SBX_CHECK_PROC && r->stage == 6)
		return explain_proc(r, f, why, wl, fix, fl);
	snprintf(why, wl, "%s in a new user namespace: %s%s", what, strerror(r->err),
		 f->seccomp_mode == 2 && (r->err == EPERM || r->err == ENOSYS)
			 ? " (refused by this process's seccomp filter: a container's profile allows it only with "
			   "CAP_SYS_ADMIN in the container)" : "");
	if (f->apparmor_restrict == 1 && r->err == EPERM)
		snprintf(fix, fl, "%s", APPARMOR_FIX);
	else if (f->seccomp_mode == 2)
		snprintf(fix, fl, "%s", SECCOMP_FIX);
	else
		snprintf(fix, fl, "a kernel with this namespace type (CONFIG_*_NS)");
}

static void explain_other(enum sbx_check c, const struct sbx_check_result *r, const struct sbx_env_facts *f,
			  char *why, size_t wl, char *fix, size_t fl)
{
	switch (c) {
	case SBX_CHECK_SECCOMP:
		snprintf(why, wl, "%s: %s", r->stage <= 2 ? "a filter with SECCOMP_FILTER_FLAG_NEW_LISTENER"
					     : r->stage == 5 ? "SECCOMP_IOCTL_NOTIF_ADDFD with SEND" : "a notification round trip",
			 strerror(r->err));
		snprintf(fix, fl, "Linux 5.14 or later%s", f->seccomp_mode == 2 ? "; or " SECCOMP_FIX : "");
		break;
	case SBX_CHECK_PIDFD:
		snprintf(why, wl, "%s: %s", r->stage <= 2 ? "pidfd_open" : r->stage == 3 ? "pidfd_send_signal" : "waitid(P_PIDFD)",
			 strerror(r->err));
		snprintf(fix, fl, "Linux 5.4 or later");
		break;
	case SBX_CHECK_LANDLOCK:
		snprintf(why, wl, "not offered by the kernel: %s", r->detail);
		snprintf(fix, fl, "a kernel with CONFIG_SECURITY_LANDLOCK and landlock in lsm= (6.12+ for scoped signals)");
		break;
	case SBX_CHECK_CGROUPS:
		snprintf(why, wl, "%s", r->detail[0] ? r->detail : strerror(r->err));
		snprintf(fix, fl, "run as root, or in a delegated cgroup v2 subtree (systemd-run --user -p Delegate=yes, "
				  "or a service with Delegate=yes); without, the rlimits stand alone");
		break;
	case SBX_CHECK_SUBIDS:
		snprintf(why, wl, "%s%s%s", r->detail, r->stage >= 2 ? ": newuidmap: " : "",
			 r->stage >= 2 ? strerror(r->err) : "");
		snprintf(fix, fl, r->stage < 2 ? "usermod --add-subuids 100000-165535 --add-subgids 100000-165535 USER"
					       : "install the uidmap package (newuidmap, newgidmap)");
		break;
	case SBX_CHECK_NET_RAW:
		snprintf(why, wl, "socket(AF_PACKET): %s", strerror(r->err));
		snprintf(fix, fl, "run the capture broker with CAP_NET_RAW (systemd AmbientCapabilities=CAP_NET_RAW, "
				  "setcap cap_net_raw+ep, --cap-add NET_RAW in a container); needed only for --capture");
		break;
	default:
		snprintf(why, wl, "%s", strerror(r->err));
	}
}

void sbx_env_explain(enum sbx_check c, const struct sbx_check_result *r, const struct sbx_env_facts *f,
		     char *why, size_t why_len, char *fix, size_t fix_len)
{
	why[0] = fix[0] = '\0';
	if (r->ok) {
		snprintf(why, why_len, "%s", r->detail[0] ? r->detail : "works");
		return;
	}
	if (c == SBX_CHECK_USERNS)
		explain_userns(r, f, why, why_len, fix, fix_len);
	else if (c < SBX_CHECK_SECCOMP || c == SBX_CHECK_MOUNT_API) {
		if (r->stage <= 3) /* the user namespace it needs failed: said once, there */
			snprintf(why, why_len, "needs a user namespace (see 'user namespaces')");
		else {
			explain_ns(c, r, f, why, why_len, fix, fix_len);
		}
	} else
		explain_other(c, r, f, why, why_len, fix, fix_len);
}
