/* SPDX-License-Identifier: MIT */
/* The Landlock requirement of brokered directory grants (broker/plan.c,
 * sbx_plan_landlock_decide): refused without Landlock, named as missing under --fallback,
 * nothing to say with it or without directory grants. And this kernel's own answer. */
#include <errno.h>
#include <linux/landlock.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "broker/plan.h"
#include "tests/tap.h"

int main(void)
{
	char why[200];
	why[0] = '\0';
	tap_ok(sbx_plan_landlock_decide(true, 3, false, why, sizeof(why)) == 0, "directory grants with Landlock: run");
	tap_ok(sbx_plan_landlock_decide(false, -1, false, why, sizeof(why)) == 0, "no directory grant, no Landlock: run");
	why[0] = '\0';
	int r = sbx_plan_landlock_decide(true, -1, false, why, sizeof(why));
	tap_ok(r == -EOPNOTSUPP && strstr(why, "Landlock") && strstr(why, "/proc/self/fd"),
	   "directory grants without Landlock: refused, naming the reason (%s)", why);
	why[0] = '\0';
	r = sbx_plan_landlock_decide(true, 0, true, why, sizeof(why));
	tap_ok(r == 1 && strstr(why, "Landlock"), "with --fallback: run, naming Landlock as missing");
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	tap_ok(abi >= 1 && sbx_plan_landlock_decide(true, abi, false, why, sizeof(why)) == 0,
	   "this kernel offers Landlock (ABI %ld): directory grants run", abi);
	return tap_done();
}
