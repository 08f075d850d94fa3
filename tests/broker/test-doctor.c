/* SPDX-License-Identifier: MIT */
/* The pure parts of `sbx doctor` and of the fallback (broker/probe-explain.c, fallback.c), with
 * made-up facts: AppArmor's restriction (this machine has no AppArmor), a container's seccomp
 * profile and masked /proc, the sysctls read from a fake /proc/sys; and which layers, clone
 * flags and steps a fallback plan leaves out. TAP. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/fallback.h"
#include "broker/probe-env.h"
#include "common/protocol.h"
#include "tests/tap.h"

static struct sbx_env_facts plain(void)
{
	return (struct sbx_env_facts){ .unpriv_userns_clone = -1, .max_user_namespaces = 15000,
				       .apparmor_restrict = -1 };
}

static void explain(enum sbx_check c, int stage, int err, const struct sbx_env_facts *f, char *why, char *fix)
{
	struct sbx_check_result r = { .ok = false, .stage = stage, .err = err };
	sbx_env_explain(c, &r, f, why, 512, fix, 512);
	tap_diag("%s: %s; fix: %s", sbx_check_name(c), why, fix);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void test_sysctls(void)
{
	char dir[] = "/tmp/sbx-test-doctor-XXXXXX";
	char sub[600];
	if (!mkdtemp(dir)) {
		tap_skip("no temporary folder");
		return;
	}
	snprintf(sub, sizeof(sub), "%s/kernel", dir);
	mkdir(sub, 0755);
	snprintf(sub, sizeof(sub), "%s/user", dir);
	mkdir(sub, 0755);
	write_file(dir, "kernel/apparmor_restrict_unprivileged_userns", "1\n");
	write_file(dir, "user/max_user_namespaces", "0\n");
	struct sbx_env_facts f;
	sbx_env_read_facts(&f, dir);
	tap_ok(f.apparmor_restrict == 1 && f.max_user_namespaces == 0 && f.unpriv_userns_clone == -1,
	       "sysctls read from a fake /proc/sys (apparmor 1, max 0, no unprivileged_userns_clone)");
	write_file(dir, "kernel/apparmor_restrict_unprivileged_userns", "0\n");
	sbx_env_read_facts(&f, dir);
	tap_ok(f.apparmor_restrict == 0, "apparmor_restrict_unprivileged_userns 0 read as 0");
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	(void)!system(cmd);
}

static void test_explain(void)
{
	char why[512], fix[512];
	struct sbx_env_facts f = plain();
	f.apparmor_restrict = 1;
	/* Ubuntu 24.04: the namespace is made, but a capability used inside is refused. */
	explain(SBX_CHECK_USERNS, 3, EPERM, &f, why, fix);
	tap_ok(strstr(why, "AppArmor") && strstr(why, "apparmor_restrict_unprivileged_userns") &&
		       strstr(fix, "dist/apparmor/sbx") && strstr(fix, "apparmor_restrict_unprivileged_userns=0"),
	       "AppArmor's restriction recognised, the profile and the sysctl offered");
	explain(SBX_CHECK_MOUNTNS, 5, EPERM, &f, why, fix);
	tap_ok(strstr(fix, "dist/apparmor/sbx") != NULL, "a mount refused under AppArmor's restriction: the profile");

	f = plain();
	f.apparmor_restrict = 0;
	explain(SBX_CHECK_USERNS, 3, EPERM, &f, why, fix);
	tap_ok(!strstr(why, "AppArmor"), "AppArmor not blamed when its restriction is off");

	f = plain();
	f.unpriv_userns_clone = 0;
	explain(SBX_CHECK_USERNS, 1, EPERM, &f, why, fix);
	tap_ok(strstr(fix, "kernel.unprivileged_userns_clone=1") != NULL, "Debian's unprivileged_userns_clone=0");

	f = plain();
	f.max_user_namespaces = 0;
	explain(SBX_CHECK_USERNS, 1, ENOSPC, &f, why, fix);
	tap_ok(strstr(fix, "user.max_user_namespaces") != NULL, "max_user_namespaces=0");

	f = plain();
	f.seccomp_mode = 2;
	explain(SBX_CHECK_USERNS, 1, EPERM, &f, why, fix);
	tap_ok(strstr(why, "seccomp") && strstr(fix, "seccomp=unconfined") && strstr(fix, "Unconfined"),
	       "a container's seccomp profile: --security-opt seccomp=unconfined, Kubernetes Unconfined");
	explain(SBX_CHECK_UTSNS, 5, EPERM, &f, why, fix);
	tap_ok(strstr(why, "sethostname") && strstr(fix, "seccomp=unconfined"), "sethostname refused by the profile");

	f.proc_masked = true;
	explain(SBX_CHECK_PROC, 6, EPERM, &f, why, fix);
	tap_ok(strstr(why, "masks") && strstr(fix, "systempaths=unconfined") && strstr(fix, "procMount: Unmasked"),
	       "masked /proc: systempaths=unconfined, procMount: Unmasked");
	explain(SBX_CHECK_PIDNS, 2, EPERM, &f, why, fix);
	tap_ok(strstr(why, "needs a user namespace") != NULL, "a namespace without a user namespace points there");
}

static struct sbx_env all_ok(void)
{
	struct sbx_env env = { .facts = plain(), .landlock_abi = 7 };
	for (int c = 0; c < SBX_CHECK_MAX_; c++)
		env.r[c].ok = true;
	return env;
}

static void test_fallback(void)
{
	struct sbx_fallback fb, none;
	sbx_fallback_none(&none);
	struct sbx_env env = all_ok();
	tap_ok(sbx_fallback_decide(&fb, &env) == 0 && fb.missing == 0 && fb.skip_steps == 0 &&
		       fb.clone_flags == none.clone_flags && fb.userns && !fb.host_tree,
	       "everything works: the full sandbox");

	/* The default Podman container: no hostname, no new /proc. */
	env.r[SBX_CHECK_UTSNS].ok = env.r[SBX_CHECK_PROC].ok = false;
	tap_ok(sbx_fallback_decide(&fb, &env) == 0 && !(fb.clone_flags & CLONE_NEWUTS) &&
		       (fb.clone_flags & CLONE_NEWNS) && (fb.skip_steps & (1ull << SBX_STEP_HOSTNAME)) &&
		       (fb.skip_steps & (1ull << SBX_STEP_USERNS_LIMIT)) && !(fb.skip_steps & (1ull << SBX_STEP_ROOT)) &&
		       strcmp(fb.keys, "proc,utsns") == 0,
	       "a default container: hostname and the nested-userns limit skipped, the root kept");

	env = all_ok();
	env.r[SBX_CHECK_MOUNTNS].ok = false;
	tap_ok(sbx_fallback_decide(&fb, &env) == 0 && fb.host_tree && !(fb.clone_flags & CLONE_NEWNS) &&
		       (fb.skip_steps & (1ull << SBX_STEP_ROOT)) && (fb.skip_steps & (1ull << SBX_STEP_MOUNT_SOURCES)),
	       "no mounts: no root, Landlock on the host tree");

	env = all_ok();
	for (int c = 0; c <= SBX_CHECK_PROC; c++)
		env.r[c].ok = false;
	tap_ok(sbx_fallback_decide(&fb, &env) == 0 && !fb.userns && fb.clone_flags == 0 &&
		       (fb.skip_steps & (1ull << SBX_STEP_NETNS)) && (fb.skip_steps & (1ull << SBX_STEP_CGROUPNS)),
	       "no user namespace: no namespace at all");

	/* What stands in must be there: Landlock's signal scoping (ABI 6) without a pid namespace. */
	env = all_ok();
	env.r[SBX_CHECK_PIDNS].ok = false;
	env.landlock_abi = 5;
	tap_ok(sbx_fallback_decide(&fb, &env) == -EOPNOTSUPP && strstr(fb.text, "ABI 5 cannot scope signals"),
	       "no pid namespace and Landlock ABI 5: no fallback, it fails closed");
	env.landlock_abi = 6;
	tap_ok(sbx_fallback_decide(&fb, &env) == 0 && !(fb.clone_flags & CLONE_NEWPID),
	       "no pid namespace and Landlock ABI 6: the fallback");
	env = all_ok();
	env.r[SBX_CHECK_NETNS].ok = false;
	env.landlock_abi = 3;
	tap_ok(sbx_fallback_decide(&fb, &env) == 0 && strstr(fb.text, "ABI 3 does not refuse TCP"),
	       "no network namespace and Landlock ABI 3: the fallback says TCP is not refused");

	env = all_ok();
	env.r[SBX_CHECK_SECCOMP].ok = false;
	tap_ok(sbx_fallback_decide(&fb, &env) == -EOPNOTSUPP && strstr(fb.text, "seccomp"),
	       "no seccomp listener: no fallback, it fails closed");
}

int main(void)
{
	test_sysctls();
	test_explain();
	test_fallback();
	return tap_done();
}
